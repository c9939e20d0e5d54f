package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/audit"
)

// profExport is the download as a reader sees it.
type profExport struct {
	Format string
	Note   string
	Parts  map[string]struct {
		Title, Controller, Explanation, Purpose string
		Data                                    json.RawMessage
	}
}

func TestP23_DownloadContainsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const username = "Havsörn_9"
	c, id := profRegister(t, e, username)
	admin := profAdmin(t, e)
	nacka, err := e.db.KommunBySlug(e.system, "nacka")
	if err != nil {
		t.Fatal(err)
	}

	// Contacts, and a consent history: on, off, on again (under a newer policy).
	c.post(t, "/min-profil", profForm("070-123 45 67", "havsorn@exempel.se", "sv", true, false))
	c.post(t, "/min-profil", profForm("070-123 45 67", "havsorn@exempel.se", "sv", false, false))
	// A privacy request with an answer, an acknowledged policy, and
	// access-log entries: one about this username, one about another.
	profExec(t, admin, `INSERT INTO app.privacy_request (account_id, kind, reason, status, answer)
		VALUES ($1, 'objection', 'Jag vill inte ha statistik om mig', 'granted', 'Vi har tagit bort dig ur statistiken')`, id)
	profExec(t, admin, `INSERT INTO app.policy_version (id, version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at)
		VALUES ('00000000-0000-0000-0000-0000000000c1', 'P-2026-05', 's', 's', 't', 't', now(), now() - interval '31 days')`)
	profExec(t, admin, `INSERT INTO app.policy_ack (account_id, policy_version_id) VALUES ($1, '00000000-0000-0000-0000-0000000000c1')`, id)
	c.post(t, "/min-profil", profForm("070-123 45 67", "havsorn@exempel.se", "sv", true, false))
	for _, subject := range []string{username, "NågonAnnan"} {
		if err := e.db.Record(e.system, audit.Entry{KommunID: nacka.ID, ActorID: uuid.New(), ActorRole: "counsellor",
			Action: audit.ConversationRead, Subject: subject}); err != nil {
			t.Fatal(err)
		}
	}

	res, body := c.get(t, "/min-profil/data")
	if res.StatusCode != 200 || !strings.Contains(body, `id="download-data"`) || !strings.Contains(body, `href="/min-profil/data.json"`) {
		t.Fatalf("GET /min-profil/data: %d, no #download-data link to the file", res.StatusCode)
	}
	res, body = c.get(t, "/min-profil/data.json")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
		res.Header.Get("Content-Disposition") != `attachment; filename="mina-uppgifter.json"` ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("download: %d %q %q %q", res.StatusCode, res.Header.Get("Content-Type"),
			res.Header.Get("Content-Disposition"), res.Header.Get("Cache-Control"))
	}
	var exp profExport
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatalf("the download is not JSON: %v", err)
	}
	if exp.Note == "" || exp.Format == "" {
		t.Error("the download has no top-level note or format")
	}
	for _, part := range []string{"account", "contact_details", "notice_consents", "sessions", "privacy_requests",
		"policy_acknowledgements", "access_log", "notices", "verification_codes"} {
		p, ok := exp.Parts[part]
		if !ok {
			t.Errorf("part %q missing", part)
			continue
		}
		if p.Controller != "Storsthlm" || p.Explanation == "" || p.Purpose == "" || p.Title == "" || len(p.Data) == 0 {
			t.Errorf("part %q: controller %q, explanation/purpose/title/data empty? %+v", part, p.Controller, p)
		}
	}
	part := func(name string, v any) {
		if err := json.Unmarshal(exp.Parts[name].Data, v); err != nil {
			t.Fatalf("part %s: %v", name, err)
		}
	}
	var acc struct{ Username, Language string }
	part("account", &acc)
	var contact struct {
		Phone, Email    string
		PhoneVerifiedAt *time.Time `json:"phone_verified_at"`
	}
	part("contact_details", &contact)
	if acc.Username != username || contact.Phone != "+46701234567" || contact.Email != "havsorn@exempel.se" {
		t.Errorf("account %+v, contact %+v", acc, contact)
	}
	var consents []struct {
		Channel       string
		PolicyVersion string     `json:"policy_version"`
		WithdrawnAt   *time.Time `json:"withdrawn_at"`
	}
	part("notice_consents", &consents)
	if len(consents) != 2 || consents[0].Channel != "sms" || consents[0].WithdrawnAt == nil || consents[0].PolicyVersion != "2026-1" ||
		consents[1].WithdrawnAt != nil || consents[1].PolicyVersion != "P-2026-05" {
		t.Errorf("consent history %+v; want sms withdrawn then given again under P-2026-05", consents)
	}
	var sessions []map[string]any
	part("sessions", &sessions)
	if len(sessions) != 1 || sessions[0]["expires_at"] == nil || len(sessions[0]) != 3 {
		t.Errorf("sessions %v; want one with created, last seen and expiry only", sessions)
	}
	var requests []struct{ Kind, Reason, Status, Answer string }
	part("privacy_requests", &requests)
	if len(requests) != 1 || requests[0].Reason != "Jag vill inte ha statistik om mig" || requests[0].Answer == "" || requests[0].Status != "granted" {
		t.Errorf("requests %+v", requests)
	}
	var acks []struct{ Version string }
	part("policy_acknowledgements", &acks)
	if len(acks) != 1 || acks[0].Version != "P-2026-05" {
		t.Errorf("policy acknowledgements %+v", acks)
	}
	var log []struct{ Kommun, Role, Action, Description string }
	part("access_log", &log)
	if len(log) != 1 || log[0].Kommun != nacka.Name || log[0].Role != "counsellor" || log[0].Action != "conversation.read" || log[0].Description == "" {
		t.Errorf("access log %+v; want exactly the one entry about %s", log, username)
	}
	// Adding the phone number sent a code to confirm it: the pending code is
	// in the download (where it went, until when), the code itself is not.
	var codes []struct{ Channel, Address string }
	part("verification_codes", &codes)
	if len(codes) == 0 || codes[0].Address == "" {
		t.Errorf("verification codes %+v; want the pending code for the new contact", codes)
	}
	var notices []struct{ Kind, Channel, Status string }
	part("notices", &notices)
	for _, n := range notices {
		if n.Kind == "" || n.Channel == "" || n.Status == "" {
			t.Errorf("notice %+v lacks kind, channel or status", n)
		}
	}
	for _, never := range []string{"$argon2id", "NågonAnnan", "password_hash", "id_hash", "code_hash"} {
		if strings.Contains(body, never) {
			t.Errorf("the download contains %q", never)
		}
	}
	// The API gives the same document.
	res, body = c.get(t, "/api/v1/account/export")
	var apiExp profExport
	if err := json.Unmarshal([]byte(body), &apiExp); res.StatusCode != 200 || err != nil || len(apiExp.Parts) != len(exp.Parts) {
		t.Errorf("GET /api/v1/account/export: %d, %d parts (%v)", res.StatusCode, len(apiExp.Parts), err)
	}
}

// profAccountRefs counts, as the admin, every row in app.* that refers to
// the account: through a column named account_id or any foreign key to
// app.account, in every table the catalog lists.
func profAccountRefs(t *testing.T, e env, id uuid.UUID) map[string]int {
	t.Helper()
	admin := profAdmin(t, e)
	ctx := context.Background()
	rows, err := admin.Query(ctx, `
		SELECT DISTINCT c.relname, a.attname
		FROM pg_attribute a
		JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND a.attnum > 0 AND NOT a.attisdropped
		  AND (a.attname = 'account_id' OR EXISTS (
		        SELECT 1 FROM pg_constraint k
		        WHERE k.contype = 'f' AND k.conrelid = c.oid AND k.confrelid = 'app.account'::regclass
		          AND a.attnum = ANY (k.conkey)))`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, [2]string{table, col})
	}
	rows.Close()
	if len(cols) < 4 {
		t.Fatalf("found only %d columns referring to accounts; the catalog query is wrong", len(cols))
	}
	out := map[string]int{}
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM app.account WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	out["account.id"] = n
	for _, tc := range cols {
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM app.`+tc[0]+` WHERE `+tc[1]+` = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tc[0]+"."+tc[1]] = n
	}
	return out
}

func TestP24_DeleteAccountRemovesEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const username = "Blåbärsris"
	c, id := profRegister(t, e, username)
	other := profLogin(t, e, username, profPassword) // a second browser
	admin := profAdmin(t, e)
	ctx := context.Background()
	c.post(t, "/min-profil", profForm("0701234567", "bla@exempel.se", "sv", true, true))
	profExec(t, admin, `INSERT INTO app.privacy_request (account_id, kind, reason) VALUES ($1, 'restriction', 'Vänta')`, id)
	profExec(t, admin, `INSERT INTO app.policy_version (id, version, summary_sv, summary_en, text_sv, text_en, effective_at)
		VALUES ('00000000-0000-0000-0000-0000000000d1', 'D-1', 's', 's', 't', 't', now() + interval '1 day')`)
	profExec(t, admin, `INSERT INTO app.policy_ack (account_id, policy_version_id) VALUES ($1, '00000000-0000-0000-0000-0000000000d1')`, id)
	if err := e.db.Record(e.system, audit.Entry{ActorID: uuid.New(), ActorRole: "platform_admin",
		Action: audit.AccountFind, Subject: username}); err != nil {
		t.Fatal(err)
	}
	before := profAccountRefs(t, e, id)
	for _, must := range []string{"account.id", "notice_consent.account_id", "session.account_id",
		"privacy_request.account_id", "policy_ack.account_id"} {
		if before[must] == 0 {
			t.Fatalf("before deleting, %s has no row; the test would prove nothing (%v)", must, before)
		}
	}
	oldCookie := c.cookies[sessionCookie]

	res, body := c.get(t, "/min-profil/radera")
	if res.StatusCode != 200 || !strings.Contains(body, `id="delete-form"`) || !strings.Contains(body, "5 år") {
		t.Fatalf("GET /min-profil/radera: %d; want the form and what stays (the log, 5 years)", res.StatusCode)
	}
	res, _ = c.post(t, "/min-profil/radera", url.Values{"password": {profPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/konto-raderat" {
		t.Fatalf("delete: %d to %q; want 303 to /konto-raderat", res.StatusCode, res.Header.Get("Location"))
	}
	if _, ok := c.cookies[sessionCookie]; ok {
		t.Error("the session cookie was not cleared")
	}
	res, body = c.get(t, "/konto-raderat")
	if res.StatusCode != 200 || !strings.Contains(body, "Ditt konto är borttaget") || !strings.Contains(body, `id="quick-exit"`) {
		t.Errorf("/konto-raderat: %d, not the calm youth page", res.StatusCode)
	}
	for ref, n := range profAccountRefs(t, e, id) {
		if n != 0 {
			t.Errorf("after deletion, %d rows in app.%s still refer to the account", n, ref)
		}
	}
	var logged int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM app.access_log WHERE subject_username = $1`, username).Scan(&logged); err != nil || logged != 1 {
		t.Errorf("access-log entries about %s after deletion: %d (%v); want them kept", username, logged, err)
	}
	// Every session is gone: the old cookie and the other browser's.
	stale := newProfClient(e)
	stale.cookies[sessionCookie] = oldCookie
	for name, cl := range map[string]*profClient{"old cookie": stale, "other browser": other} {
		if res, _ := cl.get(t, "/api/v1/account"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s after deletion: GET /api/v1/account %d; want 401", name, res.StatusCode)
		}
	}
	// The username is free again, and the new holder does not inherit the log.
	c2, _ := profRegister(t, e, username)
	_, body = c2.get(t, "/min-profil/data.json")
	var exp profExport
	if err := json.Unmarshal([]byte(body), &exp); err != nil {
		t.Fatal(err)
	}
	if string(exp.Parts["access_log"].Data) != "[]" {
		t.Errorf("a new account with a freed username sees the old holder's log: %s", exp.Parts["access_log"].Data)
	}
}

func TestDeleteWithWrongPasswordDeletesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, id := profRegister(t, e, "Snöflinga")
	for pw, key := range map[string]string{"fel lösenord helt och hållet": "error.profile.delete_password_wrong",
		"": "error.profile.delete_password_required"} {
		res, body := c.post(t, "/min-profil/radera", url.Values{"password": {pw}})
		if res.StatusCode != 400 || !strings.Contains(body, profMsg(e, key, nil)) || !strings.Contains(body, `id="delete-password-error"`) {
			t.Errorf("delete with password %q: %d; want 400 and %q beside the field", pw, res.StatusCode, key)
		}
	}
	res, body := c.api(t, http.MethodDelete, "/api/v1/account", map[string]string{"password": "fel lösenord helt och hållet"})
	if res.StatusCode != 400 || !strings.Contains(body, `"field":"password"`) {
		t.Errorf("API delete with a wrong password: %d %s", res.StatusCode, body)
	}
	if refs := profAccountRefs(t, e, id); refs["account.id"] != 1 || refs["session.account_id"] != 1 {
		t.Fatalf("after wrong passwords: %v; want the account and its session intact", refs)
	}
	if res, _ := c.get(t, "/min-profil"); res.StatusCode != 200 {
		t.Fatalf("still signed in? GET /min-profil %d", res.StatusCode)
	}
	// Through the API with the right password: 204, cookie cleared, gone.
	res, _ = c.api(t, http.MethodDelete, "/api/v1/account", map[string]string{"password": profPassword})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("API delete: %d", res.StatusCode)
	}
	if refs := profAccountRefs(t, e, id); refs["account.id"] != 0 {
		t.Fatalf("API delete left %v", refs)
	}
}

func TestChangePasswordEndsOtherSessionsAndNeedsCurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const username = "Ekorre.77"
	c, _ := profRegister(t, e, username)
	other := profLogin(t, e, username, profPassword)
	oldCookie := c.cookies[sessionCookie]
	const next = "tre tysta tranor i tornet"

	for _, tc := range []struct{ current, next, field, key string }{
		{"", next, "current_password", "error.profile.current_password_required"},
		{"inte mitt lösenord alls", next, "current_password", "error.password.current_wrong"},
		{profPassword, "kort", "new_password", "error.password.too_short"},
	} {
		res, body := c.post(t, "/min-profil/losenord", url.Values{"current_password": {tc.current}, "new_password": {tc.next}})
		msg := profMsg(e, tc.key, map[string]any{"Min": 8})
		if res.StatusCode != 400 || !strings.Contains(body, msg) || !strings.Contains(body, `id="`+tc.field+`-error"`) {
			t.Errorf("change password (%q, %q): %d; want 400 and %q beside #%s", tc.current, tc.next, res.StatusCode, msg, tc.field)
		}
	}
	if res, _ := other.get(t, "/api/v1/account"); res.StatusCode != 200 {
		t.Fatal("a refused change ended the other session")
	}
	res, _ := c.post(t, "/min-profil/losenord", url.Values{"current_password": {profPassword}, "new_password": {next}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/min-profil?losenord=1" {
		t.Fatalf("change password: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if c.cookies[sessionCookie] == "" || c.cookies[sessionCookie] == oldCookie {
		t.Fatal("no fresh session cookie after the change")
	}
	if res, body := c.get(t, "/min-profil?losenord=1"); res.StatusCode != 200 || !strings.Contains(body, `id="password-changed"`) {
		t.Fatalf("this browser is not signed in with the fresh session: %d", res.StatusCode)
	}
	stale := newProfClient(e)
	stale.cookies[sessionCookie] = oldCookie
	for name, cl := range map[string]*profClient{"old cookie": stale, "other browser": other} {
		if res, _ := cl.get(t, "/api/v1/account"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s after the change: %d; want 401", name, res.StatusCode)
		}
	}
	profLogin(t, e, username, next)

	// The API: 204 and a fresh cookie; a wrong current password is 400.
	res, body := c.api(t, http.MethodPost, "/api/v1/account/password", map[string]string{"current_password": profPassword, "new_password": "fyra"})
	if res.StatusCode != 400 || !strings.Contains(body, `"field":"current_password"`) {
		t.Errorf("API change with the old password: %d %s", res.StatusCode, body)
	}
	before := c.cookies[sessionCookie]
	res, body = c.api(t, http.MethodPost, "/api/v1/account/password", map[string]string{"current_password": next, "new_password": profPassword})
	if res.StatusCode != http.StatusNoContent || c.cookies[sessionCookie] == before {
		t.Errorf("API change: %d %s; want 204 and a new cookie", res.StatusCode, body)
	}
}

func TestProfileBadInputGivesSwedishMessageAndWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, id := profRegister(t, e, "Regnbåge")
	admin := profAdmin(t, e)
	c.post(t, "/min-profil", profForm("0701234567", "regn@exempel.se", "sv", true, false))
	want := profStored(t, admin, id)
	long := strings.Repeat("a", 250) + "@exempel.se"
	cases := []struct {
		name  string
		form  url.Values
		patch map[string]any
		field string
		key   string
	}{
		{"bad phone", profForm("12345", "ny@exempel.se", "sv", true, false), map[string]any{"phone": "12345", "email": "ny@exempel.se"}, "phone", "error.profile.phone_invalid"},
		{"landline", profForm("08-123 456 78", "ny@exempel.se", "sv", true, false), map[string]any{"phone": "08-123 456 78"}, "phone", "error.profile.phone_not_mobile"},
		{"letters in phone", profForm("070-ABC", "", "sv", false, false), map[string]any{"phone": "070-ABC"}, "phone", "error.profile.phone_invalid"},
		{"bad e-mail", profForm("0739876543", "inte en adress", "sv", true, false), map[string]any{"email": "inte en adress", "phone": "0739876543"}, "email", "error.profile.email_invalid"},
		{"e-mail with a name", profForm("0701234567", "Regn <regn@exempel.se>", "sv", true, false), map[string]any{"email": "Regn <regn@exempel.se>"}, "email", "error.profile.email_invalid"},
		{"long e-mail", profForm("0701234567", long, "sv", true, false), map[string]any{"email": long}, "email", "error.profile.email_too_long"},
		{"unknown language", profForm("0701234567", "ny@exempel.se", "de", true, false), map[string]any{"language": "de", "email": "ny@exempel.se"}, "language", "error.profile.language_invalid"},
		{"sms without phone", profForm("", "ny@exempel.se", "sv", true, false), map[string]any{"phone": "", "sms_notices": true}, "sms_notices", "error.profile.sms_needs_phone"},
		{"e-mail notices without e-mail", profForm("0701234567", "", "sv", true, true), map[string]any{"email_notices": true, "email": ""}, "email_notices", "error.profile.email_needs_email"},
	}
	for _, tc := range cases {
		msg := profMsg(e, tc.key, map[string]any{"Max": 254})
		res, body := c.post(t, "/min-profil", tc.form)
		if res.StatusCode != 400 || !strings.Contains(body, `id="`+tc.field+`-error" class="field-error">`+msg) {
			t.Errorf("%s (form): %d; want 400 and %q beside #%s", tc.name, res.StatusCode, msg, tc.field)
		}
		if !strings.Contains(body, `id="profile-form"`) || !strings.Contains(body, profMsg(e, "form.has_errors", nil)) {
			t.Errorf("%s (form): the form is not shown again with a summary", tc.name)
		}
		res, body = c.api(t, http.MethodPatch, "/api/v1/account", tc.patch)
		var got apiError
		_ = json.Unmarshal([]byte(body), &got)
		found := false
		for _, f := range got.Error.Fields {
			found = found || f.Field == tc.field && f.Message == e.srv.tr.Tf("sv", tc.key, map[string]any{"Max": 254})
		}
		if res.StatusCode != 400 || got.Error.Kind != "invalid" || !found {
			t.Errorf("%s (API): %d %s; want 400 with the message on field %s", tc.name, res.StatusCode, body, tc.field)
		}
		if got := profStored(t, admin, id); got != want {
			t.Fatalf("%s: stored %+v; want nothing written (%+v)", tc.name, got, want)
		}
	}
	// Several errors at once are all shown.
	_, body := c.post(t, "/min-profil", profForm("12345", "nej", "sv", false, false))
	if !strings.Contains(body, `id="phone-error"`) || !strings.Contains(body, `id="email-error"`) {
		t.Error("two bad fields: not both errors shown")
	}
	res, body := c.api(t, http.MethodPatch, "/api/v1/account", "not an object")
	if res.StatusCode != 400 || !strings.Contains(body, "invalid") {
		t.Errorf("PATCH with a bad body: %d %s", res.StatusCode, body)
	}
}

func TestProfileAPIRequiresCSRFHeaderAndSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, id := profRegister(t, e, "Vitsippa")
	admin := profAdmin(t, e)
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPatch, "/api/v1/account", `{"language":"en"}`},
		{http.MethodPost, "/api/v1/account/password", `{"current_password":"` + profPassword + `","new_password":"en helt ny fras här"}`},
		{http.MethodDelete, "/api/v1/account", `{"password":"` + profPassword + `"}`},
	} {
		req := profJSONRequest(tc.method, tc.path, tc.body)
		res, body := c.send(t, req)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"kind":"forbidden"`) {
			t.Errorf("%s %s without X-CSRF-Token: %d %s; want 403", tc.method, tc.path, res.StatusCode, body)
		}
	}
	if got := profStored(t, admin, id); got.Language != "sv" {
		t.Fatal("a request without the CSRF header changed the profile")
	}
	if refs := profAccountRefs(t, e, id); refs["account.id"] != 1 {
		t.Fatal("a request without the CSRF header deleted the account")
	}
	// The page form without its token is refused too.
	req := profJSONRequest(http.MethodPost, "/min-profil", url.Values{"language": {"en"}}.Encode())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := c.send(t, req); res.StatusCode != http.StatusForbidden {
		t.Errorf("form without _csrf: %d; want 403", res.StatusCode)
	}
	// Not signed in: pages send to sign-in, the API says 401.
	anon := newProfClient(e)
	res, _ := anon.get(t, "/min-profil")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/logga-in") {
		t.Errorf("anonymous /min-profil: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/api/v1/account", "/api/v1/account/export", "/min-profil/data.json"} {
		if res, _ := anon.get(t, p); p != "/min-profil/data.json" && res.StatusCode != http.StatusUnauthorized ||
			p == "/min-profil/data.json" && res.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous %s: %d", p, res.StatusCode)
		}
	}
	if res, _ := anon.api(t, http.MethodPatch, "/api/v1/account", map[string]any{"language": "en"}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous PATCH: %d; want 401", res.StatusCode)
	}
}

func profJSONRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return req
}
