package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/internal/authz"
)

func TestKommunAdminDeactivatedMemberLosesAccessAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	other, otherID := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	if res, _ := other.get(t, "/personal/nacka/personal"); res.StatusCode != 200 {
		t.Fatalf("before: %d", res.StatusCode)
	}
	res, body := admin.post(t, "/personal/nacka/personal/"+otherID.String()+"/avaktivera", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", res.StatusCode, body)
	}
	// The old cookie is refused right after: the session is gone.
	if res, _ := other.api(t, http.MethodGet, "/api/v1/staff/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("deactivated member's session: %d; want 401", res.StatusCode)
	}
	if res, _ := other.get(t, "/personal/nacka/personal"); res.StatusCode == 200 {
		t.Error("deactivated member still reaches the staff page")
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.staff_membership WHERE staff_id = $1`, otherID); n != 0 {
		t.Errorf("membership left: %d", n)
	}
	var sessions int
	if err := adminConn(t, e).QueryRow(t.Context(), `SELECT count(*) FROM app.session WHERE staff_id = $1`, otherID).Scan(&sessions); err != nil || sessions != 0 {
		t.Errorf("sessions left: %d (%v)", sessions, err)
	}
	// The enforcer knows at once, without waiting for a reload.
	if role, err := e.srv.authz.RoleIn(authz.StaffSubject(otherID), authz.KommunDomain("nacka")); err != nil || role != "" {
		t.Errorf("enforcer still gives role %q (%v)", role, err)
	}
	_, body = admin.get(t, "/personal/nacka/personal?avaktiverad=1")
	if !strings.Contains(body, "är avaktiverad") {
		t.Error("no confirmation shown")
	}
}

func TestKommunAdminCannotRemoveLastAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, adminID := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	res, body := admin.post(t, "/personal/nacka/personal/"+adminID.String()+"/avaktivera", url.Values{})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "minst en administratör") {
		t.Fatalf("deactivating the last admin: %d; want 409 with a clear message: %s", res.StatusCode, staffNotice(body))
	}
	res, body = admin.post(t, "/personal/nacka/personal/"+adminID.String()+"/roll", url.Values{"role": {"counsellor"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "minst en administratör") {
		t.Fatalf("demoting the last admin: %d %s", res.StatusCode, staffNotice(body))
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.staff_membership WHERE staff_id = $1 AND role = 'reception_admin'`, adminID); n != 1 {
		t.Fatal("the last admin lost the role")
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.admin_action`); n != 0 {
		t.Errorf("a refused change was recorded: %d", n)
	}
	if res, _ := admin.get(t, "/personal/nacka/personal"); res.StatusCode != 200 {
		t.Fatalf("admin lost access: %d", res.StatusCode)
	}
	// With a second admin, the first may step down.
	_, second := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	_ = second
	res, _ = admin.post(t, "/personal/nacka/personal/"+adminID.String()+"/roll", url.Values{"role": {"counsellor"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("stepping down with another admin present: %d", res.StatusCode)
	}
	if res, _ := admin.get(t, "/personal/nacka/personal"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a counsellor now, the page should be closed to them at once: %d", res.StatusCode)
	}
}

func TestKommunAdminInvitesByEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	res, body := admin.post(t, "/personal/nacka/personal/inbjudan", url.Values{"email": {"Ny.Kurator@Nacka.example"}, "role": {"counsellor"}})
	if res.StatusCode != 200 {
		t.Fatalf("invite: %d %s", res.StatusCode, body)
	}
	link := staffMatch(t, body, `<code id="invite-link">([^<]+)</code>`)
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/personal/inbjudan/") {
		t.Fatalf("link %q", link)
	}
	res, page := newPFClient(e).get(t, u.Path)
	if res.StatusCode != 200 || !strings.Contains(page, "ny.kurator@nacka.example") {
		t.Fatalf("the invitation link does not work: %d", res.StatusCode)
	}
	if !strings.Contains(body, "skickar inte inbjudan med e-post") {
		t.Error("the admin is not told to pass the link on")
	}
	for _, bad := range []url.Values{{"email": {"inte-en-adress"}, "role": {"counsellor"}}, {"email": {"ok@nacka.example"}, "role": {"platform_admin"}}, {"email": {""}, "role": {"counsellor"}}} {
		res, body := admin.post(t, "/personal/nacka/personal/inbjudan", bad)
		if res.StatusCode != http.StatusBadRequest || staffNotice(body) == "" {
			t.Errorf("invite %v: %d; want 400 with a message", bad, res.StatusCode)
		}
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.staff_invitation`); n != 1 {
		t.Errorf("%d invitations stored; want only the good one", n)
	}
	if n := kaCount(t, e, "nacka", `SELECT count(*) FROM app.admin_action WHERE action = 'staff.invite'`); n != 1 {
		t.Errorf("%d invitations recorded; want 1", n)
	}
}
