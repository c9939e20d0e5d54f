package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/authz"
)

// kaAdminRoutes are every route that acts on one kommun's administration:
// under /personal/:kommun/ and the kommun's JSON API, except the public
// reading of a published page.
func kaAdminRoutes(e env) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, r := range e.app.GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodOptions || seen[r.Method+r.Path] {
			continue
		}
		admin := strings.HasPrefix(r.Path, "/personal/:kommun/") || r.Path == "/personal/:kommun" ||
			(strings.HasPrefix(r.Path, "/api/v1/kommuner/:kommun/") && !(r.Method == http.MethodGet && r.Path == "/api/v1/kommuner/:kommun/reception"))
		if admin {
			seen[r.Method+r.Path] = true
			out = append(out, [2]string{r.Method, r.Path})
		}
	}
	return out
}

// kaPath fills a route's parameters: the kommun, a real staff member of
// it for :staff, and something harmless for any other.
func kaPath(route, slug string, staff uuid.UUID) string {
	var parts []string
	for _, p := range strings.Split(route, "/") {
		switch {
		case p == ":kommun":
			p = slug
		case p == ":staff":
			p = staff.String()
		case strings.HasPrefix(p, ":"):
			p = uuid.NewString()
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/")
}

// kaRefusedEverywhere sends c to every admin route of kommun slug and
// fails unless each answers 403 or 404 without a word from inside.
func kaRefusedEverywhere(t *testing.T, e env, c *pfClient, slug string, staff uuid.UUID, secrets ...string) {
	t.Helper()
	routes := kaAdminRoutes(e)
	t.Logf("%d admin routes of %s checked", len(routes), slug)
	if len(routes) < 9 {
		t.Fatalf("only %d admin routes found: %v", len(routes), routes)
	}
	for _, r := range routes {
		path := kaPath(r[1], slug, staff)
		var res *http.Response
		var body string
		switch {
		case strings.HasPrefix(path, "/api/"):
			res, body = c.api(t, r[0], path, map[string]any{"role": "counsellor", "email": "x@y.example", "display_name": "X"})
		case r[0] == http.MethodGet:
			res, body = c.get(t, path)
		default:
			form := kaForm()
			form.Set("role", "counsellor")
			res, body = c.post(t, path, form)
		}
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: status %d; want 404 or 403", r[0], path, res.StatusCode)
		}
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s %s: the answer reveals %q", r[0], path, s)
			}
		}
	}
}

func TestP5_ReceptionAdminOfOtherKommunRefusedOnEveryAdminRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nackaAdmin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	solnaAdmin, solnaAdminID := kaMember(t, e, "solna", authz.RoleReceptionAdmin)
	form := kaForm()
	form.Set("introduction", "Hemligt utkast från Solna")
	if res, body := solnaAdmin.post(t, "/personal/solna/mottagning", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Solna saves its draft: %d %s", res.StatusCode, body)
	}
	before := kaCount(t, e, "solna", `SELECT count(*) FROM app.admin_action`)
	kaRefusedEverywhere(t, e, nackaAdmin, "solna", solnaAdminID, "Hemligt utkast", "reception_admin-", "solna.example")
	if n := kaCount(t, e, "solna", `SELECT count(*) FROM app.admin_action`); n != before {
		t.Errorf("Solna's admin log grew from %d to %d", before, n)
	}
	if n := kaCount(t, e, "solna", `SELECT count(*) FROM app.reception_page`); n != 0 {
		t.Errorf("Solna's page was published by Nacka's admin")
	}
	if n := kaCount(t, e, "solna", `SELECT count(*) FROM app.staff_membership`); n != 1 {
		t.Errorf("Solna has %d members; want its one admin untouched", n)
	}
}

func TestP5_CounsellorCannotReachOtherKommunStaffOrAdminPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	counsellor, _ := kaMember(t, e, "nacka", authz.RoleCounsellor)
	_, solnaAdminID := kaMember(t, e, "solna", authz.RoleReceptionAdmin)
	kaRefusedEverywhere(t, e, counsellor, "solna", solnaAdminID, "solna.example")
	// In their own kommun a counsellor administers nothing either.
	for _, p := range []string{"/personal/nacka/mottagning", "/personal/nacka/personal", "/personal/nacka/handelser"} {
		if res, _ := counsellor.get(t, p); res.StatusCode != http.StatusNotFound {
			t.Errorf("counsellor GET %s: %d; want 404", p, res.StatusCode)
		}
	}
}

func TestKommunAdminRoutesNeedStaffSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/personal/nacka/mottagning", "/personal/nacka/personal", "/personal/nacka/handelser"} {
		res, err := e.app.Test(httptest.NewRequest(http.MethodGet, p, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in") {
			t.Errorf("anonymous GET %s: %d to %q; want the staff sign-in", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	youth, _ := pfYouth(t, e, "ung"+uuid.NewString()[:6])
	if res, _ := youth.api(t, http.MethodPut, "/api/v1/kommuner/nacka/reception/draft", map[string]any{"display_name": "x"}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("youth PUT draft: %d; want 401", res.StatusCode)
	}
	pa, _ := pfPlatformAdmin(t, e)
	for _, r := range kaAdminRoutes(e) {
		if r[0] != http.MethodGet {
			continue
		}
		if res, _ := pa.get(t, kaPath(r[1], "nacka", uuid.New())); res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
			t.Errorf("platform admin GET %s: %d; want 404 or 403 (P20)", r[1], res.StatusCode)
		}
	}
}

func TestP8_PublishedPageRequiresPrivacyLinkAndContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	form := kaForm()
	form.Set("privacy_policy_url", "")
	form.Set("phone", "")
	form.Set("email", "")
	if res, body := admin.post(t, "/personal/nacka/mottagning", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a draft may lack them: %d %s", res.StatusCode, body)
	}
	res, body := admin.post(t, "/personal/nacka/mottagning/publicera", url.Values{})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("publishing without privacy link and contacts: %d; want 400", res.StatusCode)
	}
	for field, want := range map[string]string{"privacy_policy_url": "integritetspolicy", "phone": "telefonnummer", "email": "e-postadress"} {
		if msg := kaFieldError(body, field); !strings.Contains(msg, want) {
			t.Errorf("%s: message %q; want one about %s", field, msg, want)
		}
	}
	if !strings.Contains(body, "Sidan kan inte publiceras än") {
		t.Error("no summary saying the page cannot be published yet")
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.reception_page`); n != 0 {
		t.Fatalf("%d published pages; want none", n)
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.admin_action WHERE action = 'reception.publish'`); n != 0 {
		t.Fatal("a refused publish was recorded as done")
	}

	if res, body := admin.post(t, "/personal/nacka/mottagning", kaForm()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	if res, body := admin.post(t, "/personal/nacka/mottagning/publicera", url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", res.StatusCode, body)
	}
	res, body = newPFClient(e).get(t, "/nacka")
	if res.StatusCode != 200 || !strings.Contains(body, `href="/nacka/integritetspolicy"`) || !strings.Contains(body, "08-718 80 00") || !strings.Contains(body, "um@nacka.example") {
		t.Fatalf("public page lacks the privacy link or contacts: %d %s", res.StatusCode, body)
	}
	res, _ = newPFClient(e).get(t, "/nacka/integritetspolicy")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "https://www.nacka.se/integritet" {
		t.Fatalf("privacy link: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestReceptionPreviewDiffersFromPublicUntilPublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	public := newPFClient(e)
	form := kaForm()
	form.Set("introduction", "Nu har vi **kvällsöppet** på torsdagar.")
	if res, body := admin.post(t, "/personal/nacka/mottagning", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, body)
	}
	_, prev := admin.get(t, "/personal/nacka/mottagning/forhandsvisning")
	if !strings.Contains(prev, "<strong>kvällsöppet</strong>") || !strings.Contains(prev, "Förhandsvisning") {
		t.Fatalf("preview lacks the draft: %s", prev)
	}
	if _, pub := public.get(t, "/nacka"); strings.Contains(pub, "kvällsöppet") {
		t.Fatal("the public page shows the draft before it is published")
	}
	if res, _ := public.get(t, "/personal/nacka/mottagning/forhandsvisning"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous preview: %d; want the staff sign-in", res.StatusCode)
	}
	admin.post(t, "/personal/nacka/mottagning/publicera", url.Values{})
	_, pub := public.get(t, "/nacka")
	if !strings.Contains(pub, "<strong>kvällsöppet</strong>") || strings.Contains(pub, "Förhandsvisning") {
		t.Fatalf("the public page lacks the published text: %s", pub)
	}
	if !strings.Contains(pub, "Öppet nu") || !strings.Contains(pub, "Chatt utan tidsbokning") {
		t.Errorf("the page open around the clock should say it is open now, with chat: %s", pub)
	}
	if _, start := public.get(t, "/"); !strings.Contains(start, "Öppet nu") {
		t.Errorf("the start page does not show Nacka open now")
	}
	// A later draft does not change the public page either.
	form.Set("introduction", "Ett nytt utkast")
	admin.post(t, "/personal/nacka/mottagning", form)
	if _, pub := public.get(t, "/nacka"); strings.Contains(pub, "Ett nytt utkast") {
		t.Fatal("a new draft leaked onto the public page")
	}
}

func TestReceptionEditRefusesBadInputPerField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	cases := map[string]struct{ value, want string }{
		"display_name":       {"", "Skriv mottagningens namn"},
		"phone":              {"ring oss", "Telefonnumret ser inte rätt ut"},
		"email":              {"inte en adress", "E-postadressen ser inte rätt ut"},
		"privacy_policy_url": {"javascript:alert(1)", "Länken ser inte rätt ut"},
		"address":            {strings.Repeat("a", 201), "för lång"},
		"introduction":       {strings.Repeat("a", 5001), "för lång"},
		"accessibility":      {strings.Repeat("a", 1001), "för lång"},
		"languages":          {"<script>", "Skriv språken"},
		"hours_mon":          {"16:00-09:00", "slutar innan den börjar"},
		"hours_tue":          {"09:00-12:00, 11:00-14:00", "går in i varandra"},
		"hours_wed":          {"nio till fem", "Tiden ser inte rätt ut"},
		"chat_fri":           {"25:00-26:00", "Tiden ser inte rätt ut"},
		"exceptions":         {"2026-02-30 stängt", "Rad 1"},
	}
	for field, c := range cases {
		form := kaForm()
		form.Set(field, c.value)
		res, body := admin.post(t, "/personal/nacka/mottagning", form)
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s=%q: status %d; want 400", field, c.value, res.StatusCode)
			continue
		}
		if msg := kaFieldError(body, field); !strings.Contains(msg, c.want) {
			t.Errorf("%s=%q: message %q; want one with %q", field, c.value, msg, c.want)
		}
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.reception_draft`); n != 0 {
		t.Errorf("%d drafts written by refused input", n)
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.admin_action`); n != 0 {
		t.Errorf("%d admin actions recorded for refused input", n)
	}
	res, body := admin.api(t, http.MethodPut, "/api/v1/kommuner/nacka/reception/draft",
		map[string]any{"display_name": "Nacka", "hours": [][]map[string]int{{}, {{"start": 600, "end": 500}}, {}, {}, {}, {}, {}}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "hours_mon") {
		t.Errorf("API with end before start: %d %s", res.StatusCode, body)
	}
}

func TestKommunAdminActionsRecordedAndListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, adminID := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	_, counsellorID := kaMember(t, e, "nacka", authz.RoleCounsellor)
	admin.post(t, "/personal/nacka/mottagning", kaForm())
	admin.post(t, "/personal/nacka/mottagning/publicera", url.Values{})
	admin.post(t, "/personal/nacka/personal/inbjudan", url.Values{"email": {"ny@nacka.example"}, "role": {"counsellor"}})
	admin.post(t, "/personal/nacka/personal/"+counsellorID.String()+"/roll", url.Values{"role": {"reception_admin"}})
	want := []string{"reception.save_draft", "reception.publish", "staff.invite", "staff.change_role"}
	for _, a := range want {
		if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.admin_action WHERE action = $1 AND staff_id = $2 AND staff_role = 'reception_admin'`, a, adminID); n != 1 {
			t.Errorf("%s recorded %d times with who and role; want 1", a, n)
		}
	}
	res, body := admin.get(t, "/personal/nacka/handelser")
	if res.StatusCode != 200 {
		t.Fatalf("admin log: %d", res.StatusCode)
	}
	for _, s := range []string{"Publicerade mottagningens sida", "Sparade ett utkast", "Bjöd in en medarbetare", "ny@nacka.example", "Ändrade en medarbetares roll", "Test reception_admin-"} {
		if !strings.Contains(body, s) {
			t.Errorf("admin log lacks %q", s)
		}
	}
	if i, j := strings.Index(body, "Ändrade en medarbetares roll"), strings.Index(body, "Sparade ett utkast"); i > j {
		t.Error("admin log is not newest first")
	}
	res, body = admin.get(t, "/api/v1/kommuner/nacka/admin-log")
	if res.StatusCode != 200 || strings.Count(body, `"action"`) != 4 {
		t.Errorf("API admin log: %d %s", res.StatusCode, body)
	}
}
