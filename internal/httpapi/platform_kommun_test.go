package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// pkRoutes returns every route (method and path, HEAD left out) whose
// path satisfies keep, so routes other features add later are covered.
func pkRoutes(app *fiber.App, keep func(path string) bool) []fiber.Route {
	var out []fiber.Route
	for _, r := range app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == "USE" || !keep(r.Path) {
			continue
		}
		out = append(out, r)
	}
	return out
}

var pkParam = regexp.MustCompile(`:[A-Za-z_]+\??|\*`)

// pkFill gives a route's parameters values: the kommun slug, else an id.
func pkFill(path, slug string) string {
	return pkParam.ReplaceAllStringFunc(path, func(p string) string {
		if strings.HasPrefix(p, ":kommun") {
			return slug
		}
		return uuid.NewString()
	})
}

// pkCall sends a request of method to path with a CSRF token.
func pkCall(t *testing.T, c *pfClient, method, path string) *http.Response {
	t.Helper()
	if method == fiber.MethodGet {
		res, _ := c.get(t, path)
		return res
	}
	if strings.HasPrefix(path, "/api/") {
		res, _ := c.api(t, method, path, map[string]any{})
		return res
	}
	res, _ := c.post(t, path, url.Values{})
	return res
}

// P20 at the authorization layer: a platform admin is refused every
// kommun-data route, those registered today and any added later. The
// database layer is tested by the test of the same name in
// internal/postgres.
func TestP20_PlatformAdminCannotReadKommunData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pa, paID := pfPlatformAdmin(t, e)
	routes := pkRoutes(e.app, func(p string) bool { return strings.Contains(p, "/personal/:kommun") })
	t.Logf("checking %d kommun-data routes", len(routes))
	for _, r := range routes {
		path := pkFill(r.Path, "nacka")
		res := pkCall(t, pa, r.Method, path)
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s (%s) as platform admin: %d; want 404 or 403", r.Method, r.Path, path, res.StatusCode)
		}
	}
	// Casbin itself holds no kommun permission for the role (P20).
	enf := e.srv.authz.(*authz.Enforcer)
	for obj, acts := range map[string][]string{authz.ObjConversation: {authz.ActRead}, authz.ObjBooking: {authz.ActRead},
		authz.ObjStaffNote: {authz.ActRead}, authz.ObjStaff: {authz.ActRead}, authz.ObjAdminLog: {authz.ActRead},
		authz.ObjReceptionPage: {authz.ActEdit}, authz.ObjAccessLog: {authz.ActRead}} {
		for _, act := range acts {
			if ok, err := enf.Allowed(authz.StaffSubject(paID), authz.KommunDomain("nacka"), obj, act); err != nil || ok {
				t.Errorf("platform admin allowed %s %s in kommun:nacka: %v %v", obj, act, ok, err)
			}
		}
	}
}

func TestPlatformKommunConsoleRefusesEveryoneButPlatformAdmins(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	kurator := pfCounsellor(t, e)
	anon := newPFClient(e)
	youth, _ := pfYouth(t, e, "molnet")
	routes := pkRoutes(e.app, func(p string) bool {
		return strings.HasPrefix(p, "/plattform/kommuner") || strings.HasPrefix(p, "/api/v1/platform/kommuner")
	})
	if len(routes) < 10 {
		t.Fatalf("found %d console routes; the walk is broken", len(routes))
	}
	for _, r := range routes {
		path := pkFill(strings.ReplaceAll(r.Path, ":slug", "nacka"), "nacka")
		if res := pkCall(t, kurator, r.Method, path); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s as counsellor: %d; want 403", r.Method, path, res.StatusCode)
		}
		if res := pkCall(t, youth, r.Method, path); res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s %s as youth: %d; want 401 or a redirect to staff sign-in", r.Method, path, res.StatusCode)
		}
		res := pkCall(t, anon, r.Method, path)
		wantRedirect := r.Method == fiber.MethodGet && !strings.HasPrefix(path, "/api/")
		if wantRedirect && (res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in")) ||
			!wantRedirect && res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s anonymously: %d to %q", r.Method, path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	var status string
	if err := pfAdminDB(t, e).QueryRow(context.Background(), `SELECT status FROM app.kommun WHERE slug = 'nacka'`).Scan(&status); err != nil || status != "active" {
		t.Errorf("nacka is %q after the refused calls (%v)", status, err)
	}
}

func TestPlatformKommunConsoleShowsStatusStaffAndPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pfCounsellor(t, e)
	if _, err := pfAdminDB(t, e).Exec(context.Background(),
		`INSERT INTO app.reception_page (kommun_id, page) SELECT id, '{}' FROM app.kommun WHERE slug = 'nacka'`); err != nil {
		t.Fatal(err)
	}
	pa, _ := pfPlatformAdmin(t, e)
	res, body := pa.get(t, "/plattform/kommuner")
	if res.StatusCode != 200 {
		t.Fatalf("console: %d %s", res.StatusCode, body)
	}
	slugs := regexp.MustCompile(`<tr data-slug="([a-z-]+)">`).FindAllStringSubmatch(body, -1)
	if len(slugs) != 26 || slugs[0][1] != "botkyrka" || slugs[25][1] != "osteraker" || slugs[24][1] != "varmdo" || slugs[23][1] != "vaxholm" {
		t.Errorf("rows: %d, want 26 in Swedish order (Botkyrka first; Vaxholm, Värmdö, Österåker last): %v", len(slugs), slugs)
	}
	row := regexp.MustCompile(`(?s)<tr data-slug="nacka">(.*?)</tr>`).FindStringSubmatch(body)
	if row == nil || !strings.Contains(row[1], `<td class="kommun-staff">1</td>`) || !strings.Contains(row[1], "Öppen") ||
		!strings.Contains(row[1], `<td class="kommun-published">Ja</td>`) {
		t.Errorf("nacka row: %v", row)
	}
	res, body = pa.get(t, "/api/v1/platform/kommuner")
	var out struct {
		Kommuner []overviewJSON `json:"kommuner"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != 200 || len(out.Kommuner) != 26 {
		t.Fatalf("API overview: %d %v %s", res.StatusCode, err, body)
	}
}

func TestPlatformKommunSuspendShowsNoticeAndResumeRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pa, _ := pfPlatformAdmin(t, e)
	closed := pfMsg(e, "kommun.suspended_title", nil)
	if _, body := e.get(t, "/nacka"); strings.Contains(body, closed) {
		t.Fatal("an active kommun shows the closed notice")
	}
	res, body := pa.post(t, "/plattform/kommuner/nacka/pausa", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend: %d %s", res.StatusCode, body)
	}
	_, body = e.get(t, "/nacka")
	if !strings.Contains(body, closed) || !strings.Contains(body, "08-000 00 00") {
		t.Errorf("suspended kommun page lacks the notice with its own contact details")
	}
	if k, err := e.db.KommunBySlug(e.system, "nacka"); err != nil || k.Active() {
		t.Errorf("nacka Active() = %v (%v) while suspended; every feature checks it before starting a booking or chat", k.Active(), err)
	}
	if res, _ := pa.post(t, "/plattform/kommuner/nacka/pausa", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Errorf("suspending twice: %d; want 409", res.StatusCode)
	}
	if res, _ := pa.post(t, "/plattform/kommuner/nacka/oppna", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", res.StatusCode)
	}
	if _, body := e.get(t, "/nacka"); strings.Contains(body, closed) {
		t.Error("the closed notice stays after resuming")
	}
	got := pfActions(pfAccessLog(t, pfAdminDB(t, e)))
	if strings.Join(got, ",") != "kommun.suspend,kommun.resume" {
		t.Errorf("access log: %v", got)
	}
}

func TestPlatformKommunOnboardingErrorsPerFieldInSwedish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pa, _ := pfPlatformAdmin(t, e)
	form := url.Values{"slug": {"Nacka!"}, "name": {" "}, "code": {"0380"}, "contact.phone": {""}, "contact.email": {"um"},
		"contact.address": {""}, "contact.website": {"http://um.se"}, "privacy_policy_url": {""}, "admin_email": {"nej"}}
	res, body := pa.post(t, "/plattform/kommuner/ny", form)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad onboarding: %d", res.StatusCode)
	}
	for id, key := range map[string]string{"slug": "error.kommun.slug", "name": "error.kommun.name", "code": "error.kommun.code",
		"contact-phone": "error.kommun.contact.phone", "contact-email": "error.kommun.contact.email",
		"contact-address": "error.kommun.contact.address", "contact-website": "error.kommun.contact.website",
		"privacy-policy-url": "error.kommun.privacy_policy_url", "admin-email": "error.staff.email.invalid"} {
		want := pfMsg(e, key, nil)
		if got := staffFieldError(body, id); got != want || strings.HasPrefix(got, "error.") {
			t.Errorf("field %s: %q; want %q", id, got, want)
		}
	}
	admin := pfAdminDB(t, e)
	if n := pfCount(t, admin, `SELECT count(*) FROM app.kommun`); n != 26 {
		t.Errorf("%d kommuner after a refused onboarding", n)
	}
	good := url.Values{"slug": {"testby"}, "name": {"Testby kommun"}, "code": {"0182"}, "contact.phone": {"08-123 45 67"},
		"contact.email": {"um@testby.se"}, "contact.address": {"Torget 1, 199 99 Testby"}, "contact.website": {""},
		"privacy_policy_url": {"https://testby.se/integritet"}, "admin_email": {"Chef@Testby.se"}}
	res, body = pa.post(t, "/plattform/kommuner/ny", good)
	if res.StatusCode != http.StatusBadRequest || staffFieldError(body, "code") != pfMsg(e, "error.platform_kommun.code_used", nil) {
		t.Errorf("a used code: %d %q", res.StatusCode, staffFieldError(body, "code"))
	}
	existing := url.Values{}
	for k, v := range good {
		existing[k] = v
	}
	existing.Set("slug", "nacka")
	if res, _ := pa.post(t, "/plattform/kommuner/ny", existing); res.StatusCode != http.StatusConflict {
		t.Errorf("onboarding an active kommun: %d; want 409", res.StatusCode)
	}
	if n := pfCount(t, admin, `SELECT count(*) FROM app.staff_invitation`); n != 0 {
		t.Errorf("%d invitations after refused onboardings", n)
	}
	good.Set("code", "0199")
	res, body = pa.post(t, "/plattform/kommuner/ny", good)
	link := regexp.MustCompile(`id="invitation-link" readonly value="` + regexp.QuoteMeta(testBaseURL) + `(/personal/inbjudan/[^"]+)"`).FindStringSubmatch(body)
	if res.StatusCode != 200 || link == nil {
		t.Fatalf("onboarding testby: %d, link %v\n%s", res.StatusCode, link, body)
	}
	if res, _ := newPFClient(e).get(t, link[1]); res.StatusCode != 200 {
		t.Errorf("the invitation link: %d", res.StatusCode)
	}
	if n := pfCount(t, admin, `SELECT count(*) FROM app.staff_invitation i JOIN app.kommun k ON k.id = i.kommun_id
		WHERE k.slug = 'testby' AND k.status = 'active' AND NOT k.demo AND i.email = 'chef@testby.se' AND i.role = 'reception_admin'`); n != 1 {
		t.Errorf("testby with its reception admin's invitation: %d rows", n)
	}
	if got := pfActions(pfAccessLog(t, admin)); strings.Join(got, ",") != "kommun.onboard" {
		t.Errorf("access log: %v", got)
	}
}

func TestPlatformKommunOffboardTwoStepExportsDeletesAndLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := pfAdminDB(t, e)
	member := func(slug, email string) uuid.UUID {
		k, err := e.db.KommunBySlug(e.system, slug)
		if err != nil {
			t.Fatal(err)
		}
		id := pfStaff(t, e, email)
		if err := e.db.SetMembership(tenant.WithActing(e.system, tenant.System().ForKommun(k.ID)), id, authz.RoleReceptionAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(context.Background(), `INSERT INTO app.reception_page (kommun_id, page) VALUES ($1, '{"intro": "hej"}')`, k.ID); err != nil {
			t.Fatal(err)
		}
		return id
	}
	nackaAdmin := member("nacka", "ra@nacka.example")
	member("solna", "ra@solna.example")
	pa, _ := pfPlatformAdmin(t, e)
	counts := func() string {
		return strings.Join([]string{
			strings.Repeat("m", pfCount(t, admin, `SELECT count(*) FROM app.staff_membership m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'nacka'`)),
			strings.Repeat("p", pfCount(t, admin, `SELECT count(*) FROM app.reception_page m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'nacka'`)),
		}, ",")
	}
	untouched := counts()

	if res, _ := pa.get(t, "/plattform/kommuner/nacka/avsluta"); res.StatusCode != 200 {
		t.Fatalf("step 1 page: %d", res.StatusCode)
	}
	res, body := pa.post(t, "/plattform/kommuner/nacka/avsluta", url.Values{"confirm_name": {"Solna stad"}})
	if res.StatusCode != http.StatusBadRequest || staffFieldError(body, "confirm_name") != pfMsg(e, "error.platform_kommun.confirm_mismatch", map[string]any{"Name": "Nacka kommun"}) {
		t.Errorf("wrong name: %d %q", res.StatusCode, staffFieldError(body, "confirm_name"))
	}
	if res, _ := pa.post(t, "/plattform/kommuner/nacka/avsluta/bekrafta", url.Values{"confirm_name": {"Solna stad"}, "confirm": {"ja"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("confirming with the wrong name: %d; want 400", res.StatusCode)
	}
	res, body = pa.post(t, "/plattform/kommuner/nacka/avsluta", url.Values{"confirm_name": {" nacka  KOMMUN "}})
	if res.StatusCode != 200 || !strings.Contains(body, `action="/plattform/kommuner/nacka/avsluta/bekrafta"`) {
		t.Fatalf("step 2: %d", res.StatusCode)
	}
	if res, _ := pa.post(t, "/plattform/kommuner/nacka/avsluta/bekrafta", url.Values{"confirm_name": {"Nacka kommun"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("step 2 without the final confirmation: %d; want 400", res.StatusCode)
	}
	if got := counts(); got != untouched {
		t.Fatalf("data changed before the final confirmation: %q, was %q", got, untouched)
	}
	if k, _ := e.db.KommunBySlug(e.system, "nacka"); k.Status != tenant.StatusActive {
		t.Fatalf("status %q before the final confirmation", k.Status)
	}

	res, body = pa.post(t, "/plattform/kommuner/nacka/avsluta/bekrafta", url.Values{"confirm_name": {"Nacka kommun"}, "confirm": {"ja"}})
	if res.StatusCode != 200 {
		t.Fatalf("offboarding: %d %s", res.StatusCode, body)
	}
	key := staffMatch(t, body, `id="archive-key" readonly value="([^"]+)"`)
	download := staffMatch(t, body, `href="(/plattform/kommuner/nacka/export/[0-9a-f-]+)" download`)
	if !strings.Contains(body, "ungdomsmottagningen@nacka.example") {
		t.Error("the page does not name the kommun's registered contact for the key")
	}
	res, sealed := pa.get(t, download)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if strings.Contains(sealed, "ra@nacka.example") {
		t.Fatal("the download holds kommun data in clear text")
	}
	plain, err := onboarding.Open("nacka", key, []byte(sealed))
	if err != nil {
		t.Fatalf("decrypting the archive with the key shown: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		r, _ := f.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = string(b)
	}
	if !strings.Contains(files["staff/memberships.json"], "ra@nacka.example") || !strings.Contains(files["reception/reception_page.json"], "hej") {
		t.Errorf("archive: %v", files)
	}

	if got := counts(); got != "," {
		t.Errorf("nacka's data after offboarding: %q; want none", got)
	}
	if n := pfCount(t, admin, `SELECT count(*) FROM app.staff_membership m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'solna'`); n != 1 {
		t.Errorf("solna has %d memberships; want 1 (untouched)", n)
	}
	if n := pfCount(t, admin, `SELECT count(*) FROM app.reception_page m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'solna'`); n != 1 {
		t.Errorf("solna has %d published pages; want 1 (untouched)", n)
	}
	log := pfAccessLog(t, admin)
	if len(log) != 1 || log[0].Action != "kommun.offboard" || log[0].Subject != "nacka" || log[0].ActorRole != "platform_admin" {
		t.Errorf("access log: %+v", log)
	}
	// Staff lose access at once, without waiting for the periodic reload.
	if role, err := e.srv.authz.RoleIn(authz.StaffSubject(nackaAdmin), authz.KommunDomain("nacka")); err != nil || role != "" {
		t.Errorf("nacka's reception admin still holds %q (%v)", role, err)
	}
	if res, _ := e.get(t, "/nacka"); res.StatusCode != http.StatusNotFound {
		t.Errorf("public page of an offboarded kommun: %d; want 404", res.StatusCode)
	}
	if res, _ := pa.post(t, "/plattform/kommuner/nacka/avsluta/bekrafta", url.Values{"confirm_name": {"Nacka kommun"}, "confirm": {"ja"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("offboarding again: %d; want 409", res.StatusCode)
	}

	// Onboarding it again makes it active, with a new first reception admin.
	res, body = pa.post(t, "/plattform/kommuner/registret", url.Values{"slug": {"nacka"}, "admin_email": {"ny@nacka.se"}})
	if res.StatusCode != 200 || !strings.Contains(body, "/personal/inbjudan/") {
		t.Fatalf("onboarding again: %d %s", res.StatusCode, body)
	}
	if k, _ := e.db.KommunBySlug(e.system, "nacka"); k.Status != tenant.StatusActive {
		t.Errorf("status after onboarding again: %q", k.Status)
	}
	if res, _ := e.get(t, "/nacka"); res.StatusCode != 200 {
		t.Errorf("public page after onboarding again: %d", res.StatusCode)
	}
}

func TestPlatformKommunOffboardAPINeedsBothConfirmations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pa, _ := pfPlatformAdmin(t, e)
	for _, in := range []map[string]any{{"confirm_name": "Nacka kommun"}, {"confirm_name": "Nacka", "confirm": true}, {}} {
		if res, body := pa.api(t, http.MethodPost, "/api/v1/platform/kommuner/nacka/offboard", in); res.StatusCode != http.StatusBadRequest {
			t.Errorf("offboard %v: %d %s", in, res.StatusCode, body)
		}
	}
	if k, _ := e.db.KommunBySlug(e.system, "nacka"); k.Status != tenant.StatusActive {
		t.Fatalf("status %q after refused calls", k.Status)
	}
	res, body := pa.api(t, http.MethodPost, "/api/v1/platform/kommuner/nacka/offboard", map[string]any{"confirm_name": "Nacka kommun", "confirm": true})
	var out offboardedJSON
	if err := json.Unmarshal([]byte(body), &out); err != nil || res.StatusCode != 200 || out.Key == "" || out.KeyFor != "ungdomsmottagningen@nacka.example" {
		t.Fatalf("offboard: %d %v %s", res.StatusCode, err, body)
	}
	res, sealed := pa.get(t, out.DownloadURL)
	if res.StatusCode != 200 {
		t.Fatalf("download: %d", res.StatusCode)
	}
	if _, err := onboarding.Open("nacka", out.Key, []byte(sealed)); err != nil {
		t.Errorf("open: %v", err)
	}
}
