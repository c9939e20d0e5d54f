package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// profLabels maps each label's for= to its text.
func profLabels(doc *html.Node) map[string]string {
	out := map[string]string{}
	walk(doc, func(n *html.Node) {
		if n.Data != "label" {
			return
		}
		for _, a := range n.Attr {
			if a.Key == "for" {
				out[a.Val] = profText(n)
			}
		}
	})
	return out
}

func profText(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func profAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// profFields returns every visible input, select and textarea by id.
func profFields(doc *html.Node) map[string]*html.Node {
	out := map[string]*html.Node{}
	walk(doc, func(n *html.Node) {
		if n.Data != "input" && n.Data != "select" && n.Data != "textarea" {
			return
		}
		if typ, _ := profAttr(n, "type"); typ == "hidden" {
			return
		}
		if _, hidden := profAttr(n, "hidden"); hidden {
			return
		}
		if id, ok := profAttr(n, "id"); ok {
			out[id] = n
		}
	})
	return out
}

func TestP3_ProfileFieldsOptionalAndRequiredMarked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := profRegister(t, e, "Lövgroda")
	required := e.srv.tr.T("sv", "form.required")
	optional := e.srv.tr.T("sv", "profile.optional")
	pages := map[string][]string{
		"/min-profil":        {"phone", "email", "language", "sms_notices", "email_notices", "current_password", "new_password"},
		"/min-profil/radera": {"delete-password"},
	}
	mustBeOptional := map[string]bool{"phone": true, "email": true}
	for path, ids := range pages {
		res, body := c.get(t, path)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		labels, fields := profLabels(doc), profFields(doc)
		for _, id := range ids {
			if fields[id] == nil {
				t.Errorf("%s: no field #%s", path, id)
			}
		}
		for id, n := range fields {
			label, ok := labels[id]
			if !ok {
				t.Errorf("%s: field #%s has no label", path, id)
				continue
			}
			_, isRequired := profAttr(n, "required")
			aria, _ := profAttr(n, "aria-required")
			marked := strings.Contains(label, required)
			if isRequired != marked || isRequired != (aria == "true") {
				t.Errorf("%s: #%s required=%v aria-required=%q but label %q marked=%v", path, id, isRequired, aria, label, marked)
			}
			if mustBeOptional[id] && (isRequired || !strings.Contains(label, optional)) {
				t.Errorf("%s: #%s must be optional and say so; label %q, required=%v", path, id, label, isRequired)
			}
		}
	}
	// Both optional fields may stay empty: saving an empty profile works.
	res, _ := c.post(t, "/min-profil", profForm("", "", "sv", false, false))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving with phone and e-mail empty: %d; want 303", res.StatusCode)
	}
}

func TestP4_ProfileChangesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, id := profRegister(t, e, "Stjärnfall")
	admin := profAdmin(t, e)

	res, _ := c.post(t, "/min-profil", profForm("070-123 45 67", "Stjarn@Exempel.SE", "en", true, true))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/min-profil?sparat=1" {
		t.Fatalf("save: %d to %q; want 303 to /min-profil?sparat=1", res.StatusCode, res.Header.Get("Location"))
	}
	got := profStored(t, admin, id)
	if got.Phone != "+46701234567" || got.Email != "stjarn@exempel.se" || got.Language != "en" || !got.OpenSMS || !got.OpenEmail {
		t.Fatalf("stored %+v; want the normalised phone and e-mail, English, both channels on", got)
	}
	_, body := c.get(t, "/min-profil?sparat=1")
	for _, want := range []string{`id="saved"`, `role="status"`, profMsg(e, "profile.not_verified", nil)} {
		if !strings.Contains(body, want) {
			t.Errorf("Min profil after saving lacks %q", want)
		}
	}
	doc, _ := html.Parse(strings.NewReader(body))
	for id, want := range map[string]string{"phone": "+46701234567", "email": "stjarn@exempel.se"} {
		if v, _ := profAttr(profFields(doc)[id], "value"); v != want {
			t.Errorf("#%s holds %q after saving; want %q", id, v, want)
		}
	}
	for _, id := range []string{"sms_notices", "email_notices"} {
		if _, checked := profAttr(profFields(doc)[id], "checked"); !checked {
			t.Errorf("#%s is not checked after switching it on", id)
		}
	}
	var api profileJSON
	_, body = c.get(t, "/api/v1/account")
	if err := json.Unmarshal([]byte(body), &api); err != nil || api.Phone != "+46701234567" || api.Language != "en" || !api.SMSNotices {
		t.Fatalf("API right after the save: %s (%v)", body, err)
	}

	// Removing both contacts is a change too, and switches their notices off.
	res, _ = c.post(t, "/min-profil", profForm("", "", "sv", false, false))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clearing: %d", res.StatusCode)
	}
	if got := profStored(t, admin, id); got.Phone != "" || got.Email != "" || got.Language != "sv" || got.OpenSMS || got.OpenEmail {
		t.Fatalf("after clearing: %+v", got)
	}

	// The API changes only what it names.
	res, body = c.api(t, http.MethodPatch, "/api/v1/account", map[string]any{"email": "ny@exempel.se", "email_notices": true})
	if res.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", res.StatusCode, body)
	}
	if got := profStored(t, admin, id); got.Email != "ny@exempel.se" || !got.OpenEmail || got.Language != "sv" || got.Phone != "" {
		t.Fatalf("after PATCH: %+v", got)
	}
}

func TestP12_ConsentRecordedAndWithdrawn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, id := profRegister(t, e, "Molntuss")
	admin := profAdmin(t, e)
	ctx := context.Background()
	consents := func() []struct {
		Channel, Version string
		Open             bool
	} {
		rows, err := admin.Query(ctx, `SELECT channel, policy_version, withdrawn_at IS NULL FROM app.notice_consent
			WHERE account_id = $1 ORDER BY id`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []struct {
			Channel, Version string
			Open             bool
		}
		for rows.Next() {
			var r struct {
				Channel, Version string
				Open             bool
			}
			if err := rows.Scan(&r.Channel, &r.Version, &r.Open); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}

	// Off by default: no consent at all.
	if cs := consents(); len(cs) != 0 {
		t.Fatalf("a new account has consents %+v", cs)
	}
	// Cannot switch on without the contact detail, with a clear message.
	res, body := c.post(t, "/min-profil", profForm("", "", "sv", true, false))
	if res.StatusCode != 400 || !strings.Contains(body, profMsg(e, "error.profile.sms_needs_phone", nil)) {
		t.Fatalf("SMS on without a number: %d; want 400 and the message", res.StatusCode)
	}
	if cs := consents(); len(cs) != 0 {
		t.Fatalf("a refused switch-on recorded consents %+v", cs)
	}
	// On: one open consent under the default version (none published).
	c.post(t, "/min-profil", profForm("0701234567", "", "sv", true, false))
	cs := consents()
	if len(cs) != 1 || cs[0].Channel != "sms" || cs[0].Version != "2026-1" || !cs[0].Open {
		t.Fatalf("after switching SMS on: %+v; want one open sms consent under 2026-1", cs)
	}
	// A newer version in effect is the one recorded; a future one is not.
	if _, err := admin.Exec(ctx, `INSERT INTO app.policy_version (version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at)
		VALUES ('2026-2', 's', 's', 't', 't', now() - interval '1 day', now() - interval '40 days'),
		       ('2027-1', 's', 's', 't', 't', now() + interval '30 days', now())`); err != nil {
		t.Fatal(err)
	}
	c.post(t, "/min-profil", profForm("0701234567", "mol@exempel.se", "sv", true, true))
	cs = consents()
	if len(cs) != 2 || cs[1].Channel != "email" || cs[1].Version != "2026-2" {
		t.Fatalf("after switching e-mail on: %+v; want a second consent under 2026-2", cs)
	}
	// Off: withdrawn at once, the history kept.
	c.post(t, "/min-profil", profForm("0701234567", "mol@exempel.se", "sv", false, true))
	var withdrawn bool
	if err := admin.QueryRow(ctx, `SELECT withdrawn_at IS NOT NULL AND withdrawn_at <= now() FROM app.notice_consent
		WHERE account_id = $1 AND channel = 'sms'`, id).Scan(&withdrawn); err != nil || !withdrawn {
		t.Fatalf("SMS consent not withdrawn after switching off (%v)", err)
	}
	if got := profStored(t, admin, id); got.OpenSMS || !got.OpenEmail {
		t.Fatalf("after switching SMS off: %+v", got)
	}
	// A changed number loses its verification and the consent given for it.
	if _, err := admin.Exec(ctx, `UPDATE app.account SET phone_verified_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	c.post(t, "/min-profil", profForm("0701234567", "mol@exempel.se", "sv", true, true))
	res, body = c.api(t, http.MethodPatch, "/api/v1/account", map[string]any{"phone": "+46 73 987 65 43"})
	if res.StatusCode != 200 {
		t.Fatalf("PATCH phone: %d %s", res.StatusCode, body)
	}
	if got := profStored(t, admin, id); got.Phone != "+46739876543" || got.PhoneVerified || got.OpenSMS || !got.OpenEmail {
		t.Fatalf("after changing the number: %+v; want it unverified and SMS consent withdrawn", got)
	}
}
