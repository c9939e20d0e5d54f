package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/config"
)

// withMail turns staff e-mail on (SMTP configured).
func withMail(c *config.Config) { c.SMTPHost = "smtp.example" }

type staffMailRow struct {
	To, Kind, Channel, Status, Token, Lang, Kommun string
}

// staffMailRows reads the outbox's staff e-mail as the database owner.
func staffMailRows(t *testing.T, e env) []staffMailRow {
	t.Helper()
	rows, err := pfAdminDB(t, e).Query(context.Background(), `SELECT coalesce(to_email, ''), kind, channel, status, payload
		FROM app.notice_outbox WHERE kind = 'staff_invite' ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []staffMailRow
	for rows.Next() {
		var r staffMailRow
		var p []byte
		if err := rows.Scan(&r.To, &r.Kind, &r.Channel, &r.Status, &p); err != nil {
			t.Fatal(err)
		}
		var pl struct{ Token, Lang, Kommun string }
		if err := json.Unmarshal(p, &pl); err != nil {
			t.Fatal(err)
		}
		r.Token, r.Lang, r.Kommun = pl.Token, pl.Lang, pl.Kommun
		out = append(out, r)
	}
	return out
}

// TestStaffMail_ReceptionAdminInviteIsEmailed: with e-mail on, a
// reception admin's invitation queues exactly one e-mail to the address,
// with a working link, and the page says it was sent instead of showing
// the link. A refused invitation queues nothing.
func TestStaffMail_ReceptionAdminInviteIsEmailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMail)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	for _, bad := range []url.Values{{"email": {"inte-en-adress"}, "role": {"counsellor"}}, {"email": {"ok@nacka.example"}, "role": {"platform_admin"}}} {
		if res, _ := admin.post(t, "/personal/nacka/personal/inbjudan", bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("invite %v: %d; want 400", bad, res.StatusCode)
		}
	}
	if rows := staffMailRows(t, e); len(rows) != 0 {
		t.Fatalf("refused invitations queued e-mail: %+v", rows)
	}
	res, body := admin.post(t, "/personal/nacka/personal/inbjudan",
		url.Values{"email": {"Ny.Kurator@Nacka.example"}, "role": {"counsellor"}, "language": {"en"}})
	if res.StatusCode != 200 {
		t.Fatalf("invite: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(strings.ToLower(body), "vi har skickat en inbjudan till ny.kurator@nacka.example") {
		t.Error("the page does not say the invitation was sent")
	}
	if strings.Contains(body, "/personal/inbjudan/") && strings.Contains(body, `id="invite-link"`) {
		t.Error("the link is shown although it was e-mailed")
	}
	rows := staffMailRows(t, e)
	if len(rows) != 1 {
		t.Fatalf("%d e-mails queued; want 1", len(rows))
	}
	r := rows[0]
	if r.To != "ny.kurator@nacka.example" || r.Channel != "email" || r.Status != "pending" || r.Lang != "en" ||
		!strings.Contains(r.Kommun, "Nacka") || r.Token == "" {
		t.Fatalf("queued e-mail: %+v", r)
	}
	if res, page := newPFClient(e).get(t, "/personal/inbjudan/"+r.Token); res.StatusCode != 200 ||
		!strings.Contains(page, "ny.kurator@nacka.example") {
		t.Fatalf("the e-mailed link does not open the invitation: %d", res.StatusCode)
	}
	// The JSON API says it was sent and gives no link.
	res, body = admin.api(t, http.MethodPost, "/api/v1/kommuner/nacka/staff/invitations",
		map[string]string{"email": "andra@nacka.example", "role": "reception_admin"})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, `"sent":true`) || strings.Contains(body, "inbjudan") {
		t.Fatalf("API invite: %d %s", res.StatusCode, body)
	}
	if n := len(staffMailRows(t, e)); n != 2 {
		t.Fatalf("%d e-mails after the API invite; want 2", n)
	}
}

// TestStaffMail_PlatformOnboardingInviteIsEmailed: onboarding a kommun
// e-mails its first reception admin's invitation; a refused onboarding
// queues nothing.
func TestStaffMail_PlatformOnboardingInviteIsEmailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withMail)
	pa, _ := pfPlatformAdmin(t, e)
	good := url.Values{"slug": {"testby"}, "name": {"Testby kommun"}, "code": {"0199"}, "contact.phone": {"08-123 45 67"},
		"contact.email": {"um@testby.se"}, "contact.address": {"Torget 1, 199 99 Testby"}, "contact.website": {""},
		"privacy_policy_url": {"https://testby.se/integritet"}, "admin_email": {"inte-en-adress"}}
	if res, _ := pa.post(t, "/plattform/kommuner/ny", good); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad admin e-mail: %d", res.StatusCode)
	}
	if rows := staffMailRows(t, e); len(rows) != 0 {
		t.Fatalf("a refused onboarding queued e-mail: %+v", rows)
	}
	good.Set("admin_email", "Chef@Testby.se")
	res, body := pa.post(t, "/plattform/kommuner/ny", good)
	if res.StatusCode != 200 || !strings.Contains(body, "Vi har skickat en inbjudan till chef@testby.se") ||
		strings.Contains(body, `id="invitation-link"`) {
		t.Fatalf("onboarding: %d\n%s", res.StatusCode, body)
	}
	rows := staffMailRows(t, e)
	if len(rows) != 1 || rows[0].To != "chef@testby.se" || rows[0].Kommun != "Testby kommun" || rows[0].Lang != "sv" {
		t.Fatalf("queued e-mail: %+v", rows)
	}
	if res, _ := newPFClient(e).get(t, "/personal/inbjudan/"+rows[0].Token); res.StatusCode != 200 {
		t.Fatalf("the e-mailed link: %d", res.StatusCode)
	}
}

// TestStaffMail_NoMailShowsLinkOnce: without e-mail the link is shown
// (the fallback) and nothing is queued, so no token waits in the outbox.
func TestStaffMail_NoMailShowsLinkOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin, _ := kaMember(t, e, "nacka", authz.RoleReceptionAdmin)
	res, body := admin.post(t, "/personal/nacka/personal/inbjudan", url.Values{"email": {"x@nacka.example"}, "role": {"counsellor"}})
	if res.StatusCode != 200 || !strings.Contains(body, `id="invite-link"`) {
		t.Fatalf("invite without e-mail: %d", res.StatusCode)
	}
	if rows := staffMailRows(t, e); len(rows) != 0 {
		t.Fatalf("queued without e-mail: %+v", rows)
	}
}
