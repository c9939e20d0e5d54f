package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestP22_ObjectionBecomesTrackedRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	youth, accID := pfYouth(t, e, "Molnsvamp")

	res, body := youth.get(t, "/min-profil/begaran")
	if res.StatusCode != 200 || !strings.Contains(body, `name="reason"`) || !strings.Contains(body, "(måste fyllas i)") ||
		!strings.Contains(body, `href="/lamna"`) {
		t.Fatalf("GET /min-profil/begaran: %d; want the form, required marks and the quick exit", res.StatusCode)
	}
	if !strings.Contains(body, "Skriv inte ditt riktiga namn") {
		t.Error("the form does not advise leaving out identifying details")
	}
	reason := "Jag vill inte att ni använder mina uppgifter till <statistik>."
	res, _ = youth.post(t, "/min-profil/begaran", url.Values{"kind": {"objection"}, "reason": {reason}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/min-profil/begaran?skickad=1" {
		t.Fatalf("POST objection: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var kind, status, stored string
	var reqID uuid.UUID
	if err := db.QueryRow(context.Background(), `SELECT id, kind, status, reason FROM app.privacy_request WHERE account_id = $1`, accID).
		Scan(&reqID, &kind, &status, &stored); err != nil {
		t.Fatalf("no tracked request: %v", err)
	}
	if kind != "objection" || status != "received" || stored != reason {
		t.Fatalf("stored %s/%s/%q", kind, status, stored)
	}
	_, body = youth.get(t, "/min-profil/begaran?skickad=1")
	if !strings.Contains(body, "Vi har fått din begäran") || !strings.Contains(body, "Mottagen") ||
		!strings.Contains(body, pfHTMLText(reason)) || strings.Contains(body, "<statistik>") {
		t.Error("the youth does not see the request, its status in plain Swedish, or the reason escaped")
	}

	// The platform admin sees it in the queue: kind, date, status, username.
	admin, staffID := pfPlatformAdmin(t, e)
	res, body = admin.get(t, "/plattform/begaran")
	if res.StatusCode != 200 || !strings.Contains(body, "Molnsvamp") || !strings.Contains(body, "Invända") ||
		!strings.Contains(body, "/plattform/begaran/"+reqID.String()) {
		t.Fatalf("queue: %d, request not listed", res.StatusCode)
	}
	if strings.Contains(body, "statistik") {
		t.Error("the queue shows the reason; it is read one request at a time, logged")
	}
	if strings.Contains(body, `href="/lamna"`) {
		t.Error("a platform page shows the youth's quick exit")
	}
	if got := pfActions(pfAccessLog(t, db)); len(got) != 0 {
		t.Fatalf("listing the queue wrote %v to the access log", got)
	}
	res, body = admin.get(t, "/plattform/begaran/"+reqID.String())
	if res.StatusCode != 200 || !strings.Contains(body, pfHTMLText(reason)) {
		t.Fatalf("open request: %d", res.StatusCode)
	}
	log := pfAccessLog(t, db)
	if len(log) != 1 || log[0] != (pfLogEntry{ActorID: staffID, ActorRole: "platform_admin", Action: "privacy_request.read", Subject: "Molnsvamp"}) {
		t.Fatalf("opening a request logged %+v", log)
	}

	res, _ = admin.post(t, "/plattform/begaran/"+reqID.String(), url.Values{"status": {"in_progress"}, "answer": {"Vi tittar på det nu."}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("status change: %d", res.StatusCode)
	}
	var handledBy uuid.UUID
	if err := db.QueryRow(context.Background(), `SELECT status, handled_by FROM app.privacy_request WHERE id = $1`, reqID).
		Scan(&status, &handledBy); err != nil || status != "in_progress" || handledBy != staffID {
		t.Fatalf("after change: %s by %s (%v)", status, handledBy, err)
	}
	if !slices.Contains(pfActions(pfAccessLog(t, db)), "privacy_request.update") {
		t.Error("the status change is not in the access log")
	}
	_, body = youth.get(t, "/min-profil/begaran")
	if !strings.Contains(body, "Vi tittar på den") || !strings.Contains(body, "Vi tittar på det nu.") {
		t.Error("the youth does not see the new status and the answer")
	}

	// The same through the API.
	res, body = youth.api(t, http.MethodGet, "/api/v1/account/requests", nil)
	var mine struct{ Requests []requestJSON }
	if err := json.Unmarshal([]byte(body), &mine); err != nil || res.StatusCode != 200 || len(mine.Requests) != 1 ||
		mine.Requests[0].Status != "in_progress" || mine.Requests[0].Answer == "" {
		t.Fatalf("GET /api/v1/account/requests: %d %s", res.StatusCode, body)
	}
	res, body = youth.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": "restriction", "reason": "Tills ni har rättat."})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, `"status":"received"`) {
		t.Fatalf("POST /api/v1/account/requests: %d %s", res.StatusCode, body)
	}
	res, body = admin.api(t, http.MethodGet, "/api/v1/platform/requests", nil)
	var queue struct{ Requests []queuedJSON }
	if err := json.Unmarshal([]byte(body), &queue); err != nil || res.StatusCode != 200 || len(queue.Requests) != 2 ||
		queue.Requests[0].ID != reqID.String() || queue.Requests[1].Username != "Molnsvamp" || queue.Requests[0].Reason != "" {
		t.Fatalf("GET /api/v1/platform/requests (oldest first, no reasons): %d %s", res.StatusCode, body)
	}
}

func TestP27_RestrictionGrantedFlagsAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	youth, accID := pfYouth(t, e, "Regnbåge")
	res, body := youth.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": "restriction", "reason": "Mitt mejl är fel."})
	var filed requestJSON
	if err := json.Unmarshal([]byte(body), &filed); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("file restriction: %d %s", res.StatusCode, body)
	}
	restricted := func() bool {
		t.Helper()
		acc, err := e.db.Account(e.system, accID)
		if err != nil {
			t.Fatal(err)
		}
		return acc.Restricted
	}
	if restricted() {
		t.Fatal("restricted before anyone granted anything")
	}
	admin, _ := pfPlatformAdmin(t, e)
	res, body = admin.api(t, http.MethodPatch, "/api/v1/platform/requests/"+filed.ID, map[string]string{"status": "granted", "answer": "Vi begränsar ditt konto."})
	if res.StatusCode != 200 || !strings.Contains(body, `"restricted":true`) {
		t.Fatalf("grant: %d %s", res.StatusCode, body)
	}
	if !restricted() {
		t.Fatal("granting a restriction request did not flag the account (P27)")
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.account WHERE id = $1 AND restricted_at IS NOT NULL`, accID); n != 1 {
		t.Fatal("restricted_at not set")
	}
	// The youth sees it too.
	if _, body = youth.api(t, http.MethodGet, "/api/v1/account", nil); strings.Contains(body, `"restricted"`) && !strings.Contains(body, `"restricted":true`) {
		t.Errorf("the youth's own account does not show the restriction: %s", body)
	}
	// Lifting it, from the request page, clears the flag.
	res, _ = admin.post(t, "/plattform/konto/"+accID.String()+"/lyft", url.Values{"next": {"/plattform/begaran/" + filed.ID}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/plattform/begaran/"+filed.ID {
		t.Fatalf("lift: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	if restricted() {
		t.Fatal("lifting did not clear the restriction")
	}
	got := pfActions(pfAccessLog(t, db))
	for _, want := range []string{"privacy_request.update", "account.restrict", "account.lift"} {
		if !slices.Contains(got, want) {
			t.Errorf("access log %v lacks %s", got, want)
		}
	}
	// Rejecting an objection leaves the account alone.
	_, body = youth.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": "objection", "reason": "Nej tack."})
	_ = json.Unmarshal([]byte(body), &filed)
	admin.api(t, http.MethodPatch, "/api/v1/platform/requests/"+filed.ID, map[string]string{"status": "granted"})
	if restricted() {
		t.Fatal("granting an objection restricted the account")
	}
}

func TestP13_SupportActionsAreAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	youth, accID := pfYouth(t, e, "Stjärnfall")
	youth.post(t, "/min-profil/begaran", url.Values{"kind": {"restriction"}, "reason": {"Rätta mitt nummer."}})
	admin, staffID := pfPlatformAdmin(t, e)

	// Exact username, without regard to case; never a part of it.
	res, body := admin.post(t, "/plattform/konto", url.Values{"username": {"stjärn"}})
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.support.not_found", nil))) {
		t.Fatalf("partial username: %d; want 404 with a Swedish message", res.StatusCode)
	}
	res, body = admin.post(t, "/plattform/konto", url.Values{"username": {"STJÄRNFALL"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Stjärnfall") || !strings.Contains(body, "Begränsa") {
		t.Fatalf("find: %d", res.StatusCode)
	}
	if res, _ := admin.post(t, "/plattform/konto/"+accID.String()+"/begransa", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("restrict: %d", res.StatusCode)
	}
	if res, _ := admin.post(t, "/plattform/konto/"+accID.String()+"/lyft", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("lift: %d", res.StatusCode)
	}
	// Deletion needs the username typed again; a mismatch deletes nothing.
	res, body = admin.post(t, "/plattform/konto/"+accID.String()+"/radera", url.Values{"confirm_username": {"Stjärnfal"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.support.confirm_mismatch", nil))) {
		t.Fatalf("delete with a wrong username: %d", res.StatusCode)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.account WHERE id = $1`, accID); n != 1 {
		t.Fatal("a mismatched confirmation deleted the account")
	}
	before := pfActions(pfAccessLog(t, db))
	if slices.Contains(before, "account.delete") {
		t.Fatal("a refused deletion was logged as done")
	}
	res, _ = admin.post(t, "/plattform/konto/"+accID.String()+"/radera", url.Values{"confirm_username": {"stjärnfall"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/plattform/konto?raderat=1" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Exactly what self-deletion does: the account and everything that
	// hangs on it are gone, the youth is signed out.
	for table, sql := range map[string]string{
		"account": `SELECT count(*) FROM app.account WHERE id = $1`, "session": `SELECT count(*) FROM app.session WHERE account_id = $1`,
		"privacy_request": `SELECT count(*) FROM app.privacy_request WHERE account_id = $1`,
	} {
		if n := pfCount(t, db, sql, accID); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	if res, _ := youth.get(t, "/min-profil/begaran"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the deleted youth is still signed in: %d", res.StatusCode)
	}

	log := pfAccessLog(t, db)
	// The refused deletion showed the account again: that, too, is a find.
	if got, want := pfActions(log), []string{"account.find", "account.restrict", "account.lift", "account.find", "account.delete"}; !slices.Equal(got, want) {
		t.Fatalf("access log %v; want %v", got, want)
	}
	for _, l := range log {
		if l != (pfLogEntry{ActorID: staffID, ActorRole: "platform_admin", Action: l.Action, Subject: "Stjärnfall"}) {
			t.Errorf("entry %+v; want the admin, platform_admin, no kommun, the username only", l)
		}
	}

	// The API writes the same entries.
	_, id2 := pfYouth(t, e, "Vintergatan")
	res, body = admin.api(t, http.MethodPost, "/api/v1/platform/accounts/find", map[string]string{"username": "vintergatan"})
	if res.StatusCode != 200 || !strings.Contains(body, id2.String()) {
		t.Fatalf("API find: %d %s", res.StatusCode, body)
	}
	admin.api(t, http.MethodPost, "/api/v1/platform/accounts/"+id2.String()+"/restrict", nil)
	admin.api(t, http.MethodPost, "/api/v1/platform/accounts/"+id2.String()+"/lift", nil)
	if res, body := admin.api(t, http.MethodDelete, "/api/v1/platform/accounts/"+id2.String(), map[string]string{"confirm_username": "Vintergatan"}); res.StatusCode != http.StatusNoContent {
		t.Fatalf("API delete: %d %s", res.StatusCode, body)
	}
	log = pfAccessLog(t, db)[5:]
	if got, want := pfActions(log), []string{"account.find", "account.restrict", "account.lift", "account.delete"}; !slices.Equal(got, want) {
		t.Fatalf("API access log %v; want %v", got, want)
	}
	for _, l := range log {
		if l.Subject != "Vintergatan" || l.ActorID != staffID || l.KommunID != nil {
			t.Errorf("API entry %+v", l)
		}
	}
}

func TestP20_SupportFindShowsNothingElse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	youth, accID := pfYouth(t, e, "Tallkotte")
	youth.post(t, "/min-profil/begaran", url.Values{"kind": {"objection"}, "reason": {"Inga notiser, tack."}})
	if _, err := db.Exec(context.Background(), `UPDATE app.account SET phone = '+46701234567', email = 'tallkotte@example.com',
		phone_verified_at = now(), language = 'en' WHERE id = $1`, accID); err != nil {
		t.Fatal(err)
	}
	admin, _ := pfPlatformAdmin(t, e)
	pages := map[string]string{}
	_, pages["find"] = admin.post(t, "/plattform/konto", url.Values{"username": {"tallkotte"}})
	_, pages["account"] = admin.get(t, "/plattform/konto/"+accID.String())
	_, pages["delete"] = admin.get(t, "/plattform/konto/"+accID.String()+"/radera")
	_, pages["api"] = admin.api(t, http.MethodPost, "/api/v1/platform/accounts/find", map[string]string{"username": "Tallkotte"})
	for name, body := range pages {
		if !strings.Contains(body, "Tallkotte") {
			t.Errorf("%s: the username is not shown", name)
		}
		for _, secret := range []string{"+46701234567", "0701234567", "70 123", "tallkotte@example.com", "example.com", "last_login", "language", "verified"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q; support sees only the username, the restriction and open requests (P20)", name, secret)
			}
		}
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(pages["api"]), &got); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"id", "open_requests", "restricted", "username"}; !slices.Equal(keys, want) {
		t.Errorf("API find returns %v; want only %v", keys, want)
	}
}

func TestPlatformPagesRefuseOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	counsellor := pfCounsellor(t, e)
	youth, accID := pfYouth(t, e, "Blåbär")
	anon := newPFClient(e)
	pages := []string{"/plattform/begaran", "/plattform/konto", "/plattform/policy", "/plattform/konto/" + accID.String()}
	for _, p := range pages {
		if res, _ := counsellor.get(t, p); res.StatusCode != http.StatusForbidden {
			t.Errorf("counsellor GET %s: %d; want 403", p, res.StatusCode)
		}
		for who, c := range map[string]*pfClient{"youth": youth, "anonymous": anon} {
			res, _ := c.get(t, p)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in") {
				t.Errorf("%s GET %s: %d %s; want a redirect to the staff sign-in", who, p, res.StatusCode, res.Header.Get("Location"))
			}
		}
	}
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/platform/requests"},
		{http.MethodPost, "/api/v1/platform/accounts/find"},
		{http.MethodPost, "/api/v1/platform/accounts/" + accID.String() + "/restrict"},
		{http.MethodDelete, "/api/v1/platform/accounts/" + accID.String()},
		{http.MethodPost, "/api/v1/platform/policy"},
	} {
		if res, _ := counsellor.api(t, c.method, c.path, map[string]string{"username": "Blåbär", "confirm_username": "Blåbär"}); res.StatusCode != http.StatusForbidden {
			t.Errorf("counsellor %s %s: %d; want 403", c.method, c.path, res.StatusCode)
		}
		if res, _ := youth.api(t, c.method, c.path, map[string]string{"username": "Blåbär", "confirm_username": "Blåbär"}); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("youth %s %s: %d; want 401", c.method, c.path, res.StatusCode)
		}
	}
	db := pfAdminDB(t, e)
	if n := pfCount(t, db, `SELECT count(*) FROM app.account WHERE id = $1 AND restricted_at IS NULL`, accID); n != 1 {
		t.Fatal("a refused caller changed the account")
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.access_log`); n != 0 {
		t.Fatalf("refused callers left %d access-log entries", n)
	}
	// The youth's own request page is for youth only.
	if res, _ := anon.get(t, "/min-profil/begaran"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous GET /min-profil/begaran: %d; want a redirect to sign in", res.StatusCode)
	}
	if res, _ := anon.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": "objection", "reason": "x"}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous POST /api/v1/account/requests: %d; want 401", res.StatusCode)
	}
}

func TestRequestBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	youth, accID := pfYouth(t, e, "Humla")
	long := strings.Repeat("å", 2001)
	for _, c := range []struct {
		name, kind, reason, field, key string
		args                           map[string]any
	}{
		{"empty reason", "objection", "   ", "reason", "error.reason.required", nil},
		{"too long", "restriction", long, "reason", "error.text.too_long", map[string]any{"Max": 2000, "Count": 2001}},
		{"no kind", "", "Ett skäl.", "kind", "error.request.kind", nil},
		{"unknown kind", "erasure", "Ett skäl.", "kind", "error.request.kind", nil},
	} {
		res, body := youth.post(t, "/min-profil/begaran", url.Values{"kind": {c.kind}, "reason": {c.reason}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfHTMLText(pfMsg(e, c.key, c.args))) {
			t.Errorf("%s: %d; want 400 with %q", c.name, res.StatusCode, pfMsg(e, c.key, c.args))
		}
		if c.name == "too long" && !strings.Contains(body, long) {
			t.Error("the text was not kept in the form")
		}
		res, body = youth.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": c.kind, "reason": c.reason})
		var got apiError
		_ = json.Unmarshal([]byte(body), &got)
		if res.StatusCode != http.StatusBadRequest || len(got.Error.Fields) == 0 || got.Error.Fields[0].Field != c.field {
			t.Errorf("API %s: %d %s", c.name, res.StatusCode, body)
		}
	}
	// Exactly 2000 characters, with a line break from a form, is fine.
	if res, _ := youth.post(t, "/min-profil/begaran", url.Values{"kind": {"objection"}, "reason": {strings.Repeat("a", 1000) + "\r\n" + strings.Repeat("b", 999)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("2000 characters: %d", res.StatusCode)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.privacy_request WHERE account_id = $1`, accID); n != 1 {
		t.Fatalf("%d requests stored; want only the valid one", n)
	}
	// A flood of open requests is refused kindly.
	for range 4 {
		youth.api(t, http.MethodPost, "/api/v1/account/requests", map[string]string{"kind": "objection", "reason": "Igen."})
	}
	res, body := youth.post(t, "/min-profil/begaran", url.Values{"kind": {"objection"}, "reason": {"En till."}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.request.too_many_open", map[string]any{"Max": 5}))) {
		t.Errorf("sixth open request: %d; want 409 with a friendly text", res.StatusCode)
	}

	// The admin's side: unknown and malformed ids, a bad status.
	admin, _ := pfPlatformAdmin(t, e)
	for _, p := range []string{"/plattform/begaran/" + uuid.NewString(), "/plattform/begaran/inte-ett-id", "/plattform/konto/123"} {
		res, body := admin.get(t, p)
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, `lang="sv"`) || strings.Contains(body, "uuid") {
			t.Errorf("GET %s: %d; want a Swedish 404", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/api/v1/platform/requests/" + uuid.NewString(), "/api/v1/platform/requests/nej"} {
		if res, _ := admin.api(t, http.MethodPatch, p, map[string]string{"status": "closed"}); res.StatusCode != http.StatusNotFound {
			t.Errorf("PATCH %s: %d; want 404", p, res.StatusCode)
		}
	}
	var reqID string
	if err := db.QueryRow(context.Background(), `SELECT id::text FROM app.privacy_request WHERE account_id = $1 LIMIT 1`, accID).Scan(&reqID); err != nil {
		t.Fatal(err)
	}
	res, body = admin.post(t, "/plattform/begaran/"+reqID, url.Values{"status": {"deleted"}, "answer": {strings.Repeat("x", 2001)}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfHTMLText(pfMsg(e, "error.request.status", nil))) {
		t.Errorf("bad status: %d", res.StatusCode)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.privacy_request WHERE status <> 'received'`); n != 0 {
		t.Error("a refused status change was written")
	}
	if slices.Contains(pfActions(pfAccessLog(t, db)), "privacy_request.update") {
		t.Error("a refused status change was logged")
	}
	res, body = admin.post(t, "/plattform/konto", url.Values{"username": {""}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfMsg(e, "error.support.username_required", nil)) {
		t.Errorf("empty username: %d", res.StatusCode)
	}
	if res, _ := admin.api(t, http.MethodPost, "/api/v1/platform/accounts/find", map[string]string{"username": "Finnsinte"}); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown username: %d; want 404", res.StatusCode)
	}
	if res, _ := admin.api(t, http.MethodDelete, "/api/v1/platform/accounts/"+accID.String(), map[string]string{}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("delete without confirmation: %d; want 400", res.StatusCode)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.account WHERE id = $1`, accID); n != 1 {
		t.Error("the account was deleted without confirmation")
	}
}

func TestPlatformPagesRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	youth, accID := pfYouth(t, e, "Lingon")
	youth.post(t, "/min-profil/begaran", url.Values{"kind": {"restriction"}, "reason": {"Rätta mitt nummer."}})
	admin, _ := pfPlatformAdmin(t, e)
	admin.post(t, "/plattform/policy", pfPolicyForm("2027-1", pfDate(31)))
	var reqID string
	if err := pfAdminDB(t, e).QueryRow(context.Background(), `SELECT id::text FROM app.privacy_request LIMIT 1`).Scan(&reqID); err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		c     *pfClient
		path  string
		youth bool
	}{
		{youth, "/min-profil/begaran", true},
		{youth, "/integritet/kommande", true},
		{newPFClient(e), "/integritet/kommande", true},
		{admin, "/plattform/begaran", false},
		{admin, "/plattform/begaran/" + reqID, false},
		{admin, "/plattform/konto", false},
		{admin, "/plattform/konto/" + accID.String(), false},
		{admin, "/plattform/konto/" + accID.String() + "/radera", false},
		{admin, "/plattform/policy", false},
	}
	for _, lang := range []string{"sv", "en"} {
		ids := e.srv.tr.IDs(lang)
		for _, p := range pages {
			res, body := p.c.get(t, p.path+"?lang="+lang)
			if res.StatusCode != 200 {
				t.Errorf("%s (%s): %d", p.path, lang, res.StatusCode)
				continue
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) || strings.Count(body, "<h1") != 1 {
				t.Errorf("%s (%s): wrong language or not exactly one h1", p.path, lang)
			}
			if strings.Contains(body, `id="quick-exit"`) != p.youth {
				t.Errorf("%s (%s): quick exit shown = %v; youth page = %v", p.path, lang, !p.youth, p.youth)
			}
			for _, bad := range []string{"<no value>", "ZgotmplZ", "%!"} {
				if strings.Contains(body, bad) {
					t.Errorf("%s (%s): output contains %q", p.path, lang, bad)
				}
			}
			for _, id := range ids {
				if strings.Contains(body, ">"+id+"<") || strings.Contains(body, `"`+id+`"`) {
					t.Errorf("%s (%s): untranslated id %q", p.path, lang, id)
				}
			}
			for _, f := range attrs(t, body, "form", "method") {
				if f == "post" && !strings.Contains(body, `name="_csrf"`) {
					t.Errorf("%s (%s): a form without the CSRF field", p.path, lang)
				}
			}
		}
	}
}
