package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// invite creates an invitation as the system would and returns its link.
func (se staffEnv) invite(t *testing.T, email, slug, role string) string {
	t.Helper()
	in := account.Invite{Email: email, Role: role}
	ctx := se.system
	if slug != "" {
		in.KommunID = se.kommun(t, slug).ID
		ctx = tenant.WithActing(se.system, tenant.System().ForKommun(in.KommunID))
	}
	token, err := se.svc.Invite(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return "/personal/inbjudan/" + token
}

func (se staffEnv) roleIn(t *testing.T, id uuid.UUID, dom string) string {
	t.Helper()
	role, err := se.srv.authz.RoleIn(authz.StaffSubject(id), dom)
	if err != nil {
		t.Fatal(err)
	}
	return role
}

func TestStaffInvitationCreatesIdentityAndRoleThatWorksAtOnce(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	link := se.invite(t, "Ny.Kurator@Nacka.example", "nacka", account.RoleCounsellor)
	if n := se.count(t, `SELECT count(*) FROM app.staff_invitation WHERE email = 'ny.kurator@nacka.example' AND length(token_hash) = 32`); n != 1 {
		t.Fatal("the invitation is not stored under its hash")
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff_invitation WHERE expires_at BETWEEN $1 AND $2`,
		se.now().Add(7*24*time.Hour-time.Minute), se.now().Add(7*24*time.Hour+time.Minute)); n != 1 {
		t.Error("an invitation does not expire after 7 days by default")
	}
	c := se.client()
	res, body := c.get(t, link)
	if res.StatusCode != 200 || !strings.Contains(body, "Nacka") || !strings.Contains(body, "ny.kurator@nacka.example") ||
		!strings.Contains(body, `name="display_name"`) || !strings.Contains(body, "Kurator") {
		t.Fatalf("invitation page: %d\n%s", res.StatusCode, body)
	}
	res, body = c.post(t, link, url.Values{"display_name": {"  Nora   Ny "}, "password": {"tre långa ord räcker"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("accepting: %d to %q %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	var id uuid.UUID
	o, err := func() (account.StaffOverview, error) {
		cred, err := se.db.StaffCredentials(se.system, "ny.kurator@nacka.example")
		id = cred.ID
		if err != nil {
			return account.StaffOverview{}, err
		}
		return se.db.StaffOverview(se.system, cred.ID)
	}()
	if err != nil || o.DisplayName != "Nora Ny" || len(o.Roles) != 1 || o.Roles[0].KommunSlug != "nacka" || o.Roles[0].Role != "counsellor" {
		t.Fatalf("after accepting: %+v, %v", o, err)
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff_invitation WHERE accepted_at IS NOT NULL`); n != 1 {
		t.Error("the invitation is not marked accepted")
	}
	// The role works at once, without waiting for the periodic reload.
	if got := se.roleIn(t, id, authz.KommunDomain("nacka")); got != authz.RoleCounsellor {
		t.Errorf("role in Nacka right after accepting: %q; want counsellor", got)
	}
	if got := se.roleIn(t, id, authz.KommunDomain("solna")); got != "" {
		t.Errorf("role in Solna: %q; want none", got)
	}
	// The new password signs in, and enrolment finishes the sign-in.
	c.enrol(t)
	if res, body := c.get(t, "/personal"); res.StatusCode != 200 || !strings.Contains(body, "Nora Ny") || !strings.Contains(body, "Nacka") {
		t.Fatalf("start page: %d", res.StatusCode)
	}

	// The link works once.
	res, body = se.client().get(t, link)
	if res.StatusCode != http.StatusGone || !strings.Contains(body, se.msg("error.staff.invite.gone", nil)) || !strings.Contains(body, `lang="sv"`) {
		t.Fatalf("used link: %d; want 410 with a kind Swedish page", res.StatusCode)
	}
	res, _ = se.client().post(t, link, url.Values{"display_name": {"Någon"}, "password": {"tre långa ord räcker"}})
	if res.StatusCode != http.StatusGone {
		t.Fatalf("posting a used link: %d; want 410", res.StatusCode)
	}
}

func TestStaffInvitationOfExistingStaffAsksForTheirPassword(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	id := se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	c := se.client()
	c.signInFully(t, "kim@nacka.example")
	c.post(t, "/personal/logga-ut", url.Values{})

	link := se.invite(t, "kim@nacka.example", "solna", account.RoleReceptionAdmin)
	res, body := c.get(t, link)
	if res.StatusCode != 200 || strings.Contains(body, `name="display_name"`) || !strings.Contains(body, `autocomplete="current-password"`) {
		t.Fatalf("invitation page for an existing identity: %d; want only the current password\n%s", res.StatusCode, body)
	}
	res, body = c.post(t, link, url.Values{"password": {"inte mitt lösenord alls"}})
	if res.StatusCode != http.StatusUnauthorized || staffFieldError(body, "password") != se.msg("error.staff.invite.password_wrong", nil) {
		t.Fatalf("wrong current password: %d %q", res.StatusCode, staffFieldError(body, "password"))
	}
	if got := se.roleIn(t, id, authz.KommunDomain("solna")); got != "" || se.count(t, `SELECT count(*) FROM app.staff_invitation WHERE accepted_at IS NULL`) != 1 {
		t.Fatal("a wrong password accepted the invitation")
	}
	res, _ = c.post(t, link, url.Values{"password": {staffPassword}, "display_name": {"Ett nytt namn"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal/tvafaktor" {
		t.Fatalf("accepting with the right password: %d to %q; want the TOTP step (already enrolled)", res.StatusCode, res.Header.Get("Location"))
	}
	if got := se.roleIn(t, id, authz.KommunDomain("solna")); got != authz.RoleReceptionAdmin {
		t.Errorf("role in Solna: %q", got)
	}
	if got := se.roleIn(t, id, authz.KommunDomain("nacka")); got != authz.RoleCounsellor {
		t.Errorf("role in Nacka changed to %q", got)
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff WHERE id = $1 AND display_name = 'Kim Kurator'`, id); n != 1 {
		t.Error("an invitation changed the existing identity's name")
	}
}

func TestStaffInvitationOfPlatformAdmin(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	link := se.invite(t, "pat@storsthlm.example", "", account.RolePlatformAdmin)
	c := se.client()
	if _, body := c.get(t, link); !strings.Contains(body, "Plattformsadministratör") {
		t.Fatal("the page does not name the platform admin role")
	}
	res, _ := c.post(t, link, url.Values{"display_name": {"Pat"}, "password": {"tre långa ord räcker"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting: %d", res.StatusCode)
	}
	cred, err := se.db.StaffCredentials(se.system, "pat@storsthlm.example")
	if err != nil {
		t.Fatal(err)
	}
	if got := se.roleIn(t, cred.ID, authz.PlatformDomain); got != authz.RolePlatformAdmin {
		t.Errorf("platform role: %q", got)
	}
	if got := se.roleIn(t, cred.ID, authz.KommunDomain("nacka")); got != "" {
		t.Errorf("a platform admin got role %q in Nacka (P20)", got)
	}
}

func TestStaffInvitationExpiredOrUnknownRefused(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.advance(-8 * 24 * time.Hour)
	old := se.invite(t, "sen@nacka.example", "nacka", account.RoleCounsellor)
	se.advance(8 * 24 * time.Hour)
	for path, want := range map[string]int{
		old: http.StatusGone,
		"/personal/inbjudan/" + strings.Repeat("A", 43): http.StatusNotFound,
		"/personal/inbjudan/inte-en-token":              http.StatusNotFound,
	} {
		res, body := se.client().get(t, path)
		if res.StatusCode != want || !strings.Contains(body, se.msg("error.staff.invite.gone", nil)) {
			t.Errorf("GET %s: %d; want %d with the kind Swedish text", path, res.StatusCode, want)
		}
		res, _ = se.client().post(t, path, url.Values{"display_name": {"Sen"}, "password": {"tre långa ord räcker"}})
		if res.StatusCode != want {
			t.Errorf("POST %s: %d; want %d", path, res.StatusCode, want)
		}
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff`); n != 0 {
		t.Errorf("%d staff identities created from dead links", n)
	}
}

func TestStaffInvitationBadInputSwedishAndNothingWritten(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	link := se.invite(t, "ny@nacka.example", "nacka", account.RoleCounsellor)
	for _, tc := range []struct {
		name, password, field, key string
		args                       map[string]any
	}{
		{"", "tre långa ord räcker", "display_name", "error.staff.display_name.required", nil},
		{strings.Repeat("n", 101), "tre långa ord räcker", "display_name", "error.staff.display_name.too_long", map[string]any{"Max": 100}},
		{"<script>", "tre långa ord räcker", "display_name", "error.staff.display_name.chars", nil},
		{"Nora", "", "password", "error.password.required", nil},
		{"Nora", "kort", "password", "error.password.too_short", map[string]any{"Min": 8}},
		{"Nora", "password", "password", "error.password.common", nil},
		{"Nora", strings.Repeat("x", 257), "password", "error.password.too_long", map[string]any{"Max": 256}},
	} {
		res, body := se.client().post(t, link, url.Values{"display_name": {tc.name}, "password": {tc.password}})
		want := se.msg(tc.key, tc.args)
		if res.StatusCode != http.StatusBadRequest || staffFieldError(body, tc.field) != want {
			t.Errorf("%q/%q: %d, %s error %q; want 400 %q", tc.name, tc.password, res.StatusCode, tc.field, staffFieldError(body, tc.field), want)
		}
		if tc.name != "" && len(tc.name) < 100 && !strings.Contains(body, `value="`+strings.ReplaceAll(strings.ReplaceAll(tc.name, "<", "&lt;"), ">", "&gt;")+`"`) {
			t.Errorf("%q: the name was not kept in the field", tc.name)
		}
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff`) + se.count(t, `SELECT count(*) FROM app.session`); n != 0 {
		t.Errorf("bad input wrote %d staff rows or sessions", n)
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff_invitation WHERE accepted_at IS NULL`); n != 1 {
		t.Error("bad input used up the invitation")
	}

	// Inviting: bad e-mail, role or kommun are refused and nothing is stored.
	nacka := se.kommun(t, "nacka").ID
	for _, in := range []account.Invite{
		{Email: "", Role: account.RoleCounsellor, KommunID: nacka},
		{Email: "inte en adress", Role: account.RoleCounsellor, KommunID: nacka},
		{Email: "a@nacka.example", Role: "chef", KommunID: nacka},
		{Email: "a@nacka.example", Role: account.RoleCounsellor},
		{Email: "a@nacka.example", Role: account.RolePlatformAdmin, KommunID: nacka},
	} {
		_, err := se.svc.Invite(se.system, in)
		e := apperr.As(err)
		if e == nil || e.Kind != apperr.Invalid || len(e.Fields) != 1 || se.msg(e.Fields[0].Key, nil) == e.Fields[0].Key {
			t.Errorf("Invite(%+v) = %v; want Invalid with a translated field message", in, err)
		}
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff_invitation`); n != 1 {
		t.Errorf("%d invitations stored; bad ones were written", n)
	}
}
