package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/account"
)

func pfPolicyForm(version, date string) url.Values {
	return url.Values{"version": {version}, "effective_date": {date},
		"summary_sv": {"Vi lägger till videosamtal i texten."}, "summary_en": {"We add video calls to the text."},
		"text_sv": {"## Videosamtal\n\nVideosamtal spelas aldrig in. <b>Aldrig.</b>\n\n- Inget sparas\n- Ingen lyssnar"},
		"text_en": {"## Video calls\n\nVideo calls are never recorded."}}
}

func pfDate(days int) string {
	return time.Now().In(account.Stockholm).AddDate(0, 0, days).Format(time.DateOnly)
}

func TestP29_ComingPolicyShownBeforeItApplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	admin, staffID := pfPlatformAdmin(t, e)

	// The form suggests a date 30 days ahead, and that date is accepted.
	res, body := admin.get(t, "/plattform/policy")
	if res.StatusCode != 200 || !strings.Contains(body, `value="`+account.DefaultEffectiveDate(time.Now())+`"`) {
		t.Fatalf("GET /plattform/policy: %d; want the default date %s", res.StatusCode, account.DefaultEffectiveDate(time.Now()))
	}
	res, _ = admin.post(t, "/plattform/policy", pfPolicyForm("2026-2", pfDate(30)))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	var comingID string
	var by string
	if err := db.QueryRow(context.Background(), `SELECT id::text, published_by::text FROM app.policy_version WHERE version = '2026-2'`).Scan(&comingID, &by); err != nil || by != staffID.String() {
		t.Fatalf("not stored as published by the admin: %v", err)
	}

	// Before it applies: a notice on youth pages with a link to the text.
	anon := newPFClient(e)
	_, body = anon.get(t, "/")
	for _, want := range []string{`role="region"`, `id="policy-banner-heading"`, "Vi ändrar texten om dina personuppgifter",
		"Vi lägger till videosamtal i texten.", `href="/integritet/kommande"`, "Jag har läst", `name="version" value="` + comingID + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("start page lacks %q", want)
		}
	}
	if _, body = newPFClient(e).get(t, "/nacka?lang=en"); !strings.Contains(body, "We add video calls to the text.") || !strings.Contains(body, "I have read it") {
		t.Error("the English notice is missing")
	}
	if _, body = admin.get(t, "/plattform/begaran"); strings.Contains(body, "policy-banner") {
		t.Error("a staff page shows the youth notice")
	}
	res, body = anon.get(t, "/integritet/kommande")
	if res.StatusCode != 200 || !strings.Contains(body, "<h3>Videosamtal</h3>") || !strings.Contains(body, "&lt;b&gt;Aldrig.&lt;/b&gt;") ||
		!strings.Contains(body, "<li>Ingen lyssnar</li>") || strings.Contains(body, "<b>Aldrig") {
		t.Fatalf("coming text: %d; want headings, lists and escaped text:\n%s", res.StatusCode, body)
	}
	if _, body = anon.get(t, "/integritet"); strings.Contains(body, "Videosamtal spelas aldrig in. ") || !strings.Contains(body, "Det viktigaste i korthet") {
		t.Error("/integritet shows the new text before it applies")
	}

	// A signed-in youth acknowledges once; the notice goes away.
	youth, accID := pfYouth(t, e, "Sjöstjärna")
	if _, body = youth.get(t, "/min-profil/begaran"); !strings.Contains(body, "policy-banner") {
		t.Fatal("the youth sees no notice")
	}
	for range 2 {
		res, _ = youth.post(t, "/integritet/kommande", url.Values{"version": {comingID}, "next": {"/min-profil/begaran"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/min-profil/begaran" {
			t.Fatalf("acknowledge: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.policy_ack WHERE account_id = $1 AND policy_version_id = $2::uuid`, accID, comingID); n != 1 {
		t.Fatalf("%d acknowledgements; want exactly one", n)
	}
	if _, body = youth.get(t, "/min-profil/begaran"); strings.Contains(body, "policy-banner") {
		t.Error("the notice stays after acknowledging")
	}
	_, body = youth.api(t, http.MethodGet, "/api/v1/policy", nil)
	if !strings.Contains(body, `"acknowledged":true`) || !strings.Contains(body, `"current":null`) || !strings.Contains(body, `"version":"2026-2"`) {
		t.Errorf("GET /api/v1/policy for the youth: %s", body)
	}
	// A visitor without an account can hide it too, without an account row.
	res, _ = anon.post(t, "/integritet/kommande", url.Values{"version": {comingID}, "next": {"/"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous acknowledge: %d", res.StatusCode)
	}
	if _, body = anon.get(t, "/"); strings.Contains(body, "policy-banner") {
		t.Error("the anonymous visitor's notice stays after reading")
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.policy_ack`); n != 1 {
		t.Fatalf("%d acknowledgements; the anonymous one must not be stored", n)
	}
	if res, _ := anon.post(t, "/integritet/kommande", url.Values{"version": {"inte-ett-id"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("acknowledging a malformed version: %d; want 404", res.StatusCode)
	}

	// After its effective date the new text is the policy.
	if _, err := db.Exec(context.Background(), `INSERT INTO app.policy_version
		(version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at)
		VALUES ('2026-1', 'Kort.', 'Short.', 'Vi sparar bara det som behövs.', 'We keep only what is needed.', now() - interval '1 day', now() - interval '40 days')`); err != nil {
		t.Fatal(err)
	}
	e.srv.forgetPolicies(context.Background())
	_, body = anon.get(t, "/integritet")
	for _, want := range []string{"Vi sparar bara det som behövs.", "Version 2026-1", "/integritet/imy", "Integritetsskyddsmyndigheten"} {
		if !strings.Contains(body, want) {
			t.Errorf("/integritet after the effective date lacks %q", want)
		}
	}
	if strings.Contains(body, "Det viktigaste i korthet") {
		t.Error("/integritet still shows the built-in text")
	}
	if _, body = anon.get(t, "/integritet?lang=en"); !strings.Contains(body, "We keep only what is needed.") {
		t.Error("the English text is not shown")
	}
	res, body = anon.api(t, http.MethodGet, "/api/v1/policy", nil)
	var got struct{ Current, Coming *policyJSON }
	if err := json.Unmarshal([]byte(body), &got); err != nil || res.StatusCode != 200 || got.Current == nil || got.Current.Version != "2026-1" ||
		got.Coming == nil || got.Coming.Version != "2026-2" || !strings.Contains(got.Coming.TextSV, "Videosamtal") {
		t.Fatalf("GET /api/v1/policy: %d %s", res.StatusCode, body)
	}
}

func TestPolicyPublishingRefusesTooShortNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	db := pfAdminDB(t, e)
	admin, _ := pfPlatformAdmin(t, e)
	for _, c := range []struct {
		name string
		form url.Values
		key  string
		args map[string]any
	}{
		{"past", pfPolicyForm("v-past", pfDate(-1)), "error.effective_date.past", map[string]any{"Earliest": pfDate(30)}},
		{"today", pfPolicyForm("v-today", pfDate(0)), "error.effective_date.past", map[string]any{"Earliest": pfDate(30)}},
		{"29 days", pfPolicyForm("v-29", pfDate(29)), "error.effective_date.too_soon", map[string]any{"Days": 30, "Earliest": pfDate(30)}},
		{"not a date", pfPolicyForm("v-x", "1 juli"), "error.effective_date.invalid", nil},
		{"no version", pfPolicyForm("", pfDate(40)), "error.version.required", nil},
		{"bad version", pfPolicyForm("<script>", pfDate(40)), "error.version.invalid", map[string]any{"Max": 40}},
		{"urgent without reason", func() url.Values { f := pfPolicyForm("v-u", pfDate(3)); f.Set("urgent", "on"); return f }(),
			"error.urgent_reason.required", nil},
		{"no Swedish text", func() url.Values { f := pfPolicyForm("v-t", pfDate(40)); f.Set("text_sv", " "); return f }(),
			"error.text_sv.required", nil},
	} {
		res, body := admin.post(t, "/plattform/policy", c.form)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfHTMLText(pfMsg(e, c.key, c.args))) {
			t.Errorf("%s: %d; want 400 with %q", c.name, res.StatusCode, pfMsg(e, c.key, c.args))
		}
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.policy_version`); n != 0 {
		t.Fatalf("%d versions stored from bad input", n)
	}
	// An urgent change with a reason may apply sooner, but not today.
	urgent := pfPolicyForm("2026-akut", pfDate(2))
	urgent.Set("urgent", "on")
	urgent.Set("urgent_reason", "Ny lag från 1 maj.")
	if res, body := admin.post(t, "/plattform/policy", urgent); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("urgent with a reason: %d %s", res.StatusCode, body)
	}
	res, body := admin.api(t, http.MethodPost, "/api/v1/platform/policy", map[string]any{"version": "2026-akut", "effective_date": pfDate(40),
		"summary_sv": "a", "summary_en": "b", "text_sv": "c", "text_en": "d"})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, pfMsg(e, "error.version.taken", nil)) {
		t.Errorf("a version label used twice: %d %s", res.StatusCode, body)
	}
	if n := pfCount(t, db, `SELECT count(*) FROM app.policy_version`); n != 1 {
		t.Fatalf("%d versions stored; want the urgent one only", n)
	}
}
