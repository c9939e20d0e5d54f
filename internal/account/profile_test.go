package account

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
)

func fieldKeys(err error) map[string]string {
	out := map[string]string{}
	if e := apperr.As(err); e != nil {
		for _, f := range e.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

func TestNormalizePhoneAcceptsSwedishFormatsAndOnlyMobiles(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"070-123 45 67", "0701234567", "+46 70 123 45 67", " +46701234567 ", "0046701234567", "070-1234567"} {
		got, err := NormalizePhone(in)
		if err != nil || got != "+46701234567" {
			t.Errorf("NormalizePhone(%q) = %q, %v; want +46701234567", in, got, err)
		}
	}
	if got, err := NormalizePhone("+358 40 1234567"); err != nil || got != "+358401234567" {
		t.Errorf("a Finnish mobile: %q, %v", got, err)
	}
	if got, err := NormalizePhone("   "); err != nil || got != "" {
		t.Errorf("empty: %q, %v; want empty and no error", got, err)
	}
	for in, key := range map[string]string{
		"12345":                       "error.profile.phone_invalid",
		"08-123 456 78":               "error.profile.phone_not_mobile",
		"+46 8 123 456 78":            "error.profile.phone_not_mobile",
		"070-ABC 45 67":               "error.profile.phone_invalid",
		"070 123 45 67 89 01 23 45 6": "error.profile.phone_invalid",
		strings.Repeat("0", 40):       "error.profile.phone_invalid",
		"+46 70 123":                  "error.profile.phone_invalid",
	} {
		_, err := NormalizePhone(in)
		if got := fieldKeys(err)["phone"]; got != key || !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NormalizePhone(%q): %v; want Invalid %s on phone", in, err, key)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	if got, err := NormalizeEmail("  Kalle.Anka@Exempel.SE "); err != nil || got != "kalle.anka@exempel.se" {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := NormalizeEmail(""); err != nil || got != "" {
		t.Errorf("empty: %q, %v", got, err)
	}
	for in, key := range map[string]string{
		"inte en adress":                   "error.profile.email_invalid",
		"a@b":                              "error.profile.email_invalid",
		"Kalle <kalle@exempel.se>":         "error.profile.email_invalid",
		"kalle@exempel.se, a@b.se":         "error.profile.email_invalid",
		"\"a b\"@exempel.se":               "error.profile.email_invalid",
		"kalle@[127.0.0.1]":                "error.profile.email_invalid",
		"kalle@.exempel.se":                "error.profile.email_invalid",
		strings.Repeat("a", 250) + "@x.se": "error.profile.email_too_long",
	} {
		_, err := NormalizeEmail(in)
		if got := fieldKeys(err)["email"]; got != key {
			t.Errorf("NormalizeEmail(%q): %v; want %s", in, err, key)
		}
	}
}

func TestPlanProfile(t *testing.T) {
	t.Parallel()
	cur := Account{Language: "sv", Phone: "+46701234567", SMSNotices: true}
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }

	// A changed number without an explicit choice switches SMS off.
	u, err := PlanProfile(cur, ProfileInput{Phone: s("0739876543")})
	if err != nil || u.Phone != "+46739876543" || u.SMSNotices {
		t.Errorf("changed phone: %+v, %v; want SMS off", u, err)
	}
	// ...unless the same change switches it on for the new number.
	if u, err := PlanProfile(cur, ProfileInput{Phone: s("0739876543"), SMSNotices: b(true)}); err != nil || !u.SMSNotices {
		t.Errorf("changed phone with SMS on: %+v, %v", u, err)
	}
	// The same number written another way is no change.
	if u, _ := PlanProfile(cur, ProfileInput{Phone: s("070-123 45 67")}); !u.SMSNotices {
		t.Error("the same number in another format switched SMS off")
	}
	// Every broken rule at once.
	_, err = PlanProfile(cur, ProfileInput{Phone: s("12345"), Email: s("nej"), Language: s("de"), EmailNotices: b(true)})
	keys := fieldKeys(err)
	if keys["phone"] == "" || keys["email"] == "" || keys["language"] == "" {
		t.Errorf("got %v; want phone, email and language", keys)
	}
	if _, ok := keys["email_notices"]; ok {
		t.Error("email_notices reported although the e-mail field already has an error")
	}
	_, err = PlanProfile(Account{Language: "sv"}, ProfileInput{SMSNotices: b(true), EmailNotices: b(true)})
	if keys := fieldKeys(err); keys["sms_notices"] != "error.profile.sms_needs_phone" || keys["email_notices"] != "error.profile.email_needs_email" {
		t.Errorf("notices without contacts: %v", keys)
	}
}

func TestBuildExportPartsCarryControllerAndExplanation(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 9, 12, 0, 0, 0, time.UTC)
	d := ExportData{Account: Account{Username: "Mås", Language: "sv"}, AccessLog: []AccessRecord{{Role: "platform_admin", Action: "account.find"}}}
	exp := BuildExport(d, now, KommunPart("Nacka", "bookings:nacka", "Bokningar", "Dina bokningar.", "För att du ska få din tid.", []string{}))
	b, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Note  string
		Parts map[string]struct{ Controller, Explanation, Purpose string }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Note == "" || len(got.Parts) != len(exp.Parts) {
		t.Fatalf("note %q, %d parts of %d", got.Note, len(got.Parts), len(exp.Parts))
	}
	for name, p := range got.Parts {
		want := PlatformController
		if name == "bookings:nacka" {
			want = "Nacka"
		}
		if p.Controller != want || p.Explanation == "" || p.Purpose == "" {
			t.Errorf("part %s: %+v", name, p)
		}
	}
	// Parts keep their order; lists are never null.
	if i, j := strings.Index(string(b), `"account"`), strings.Index(string(b), `"bookings:nacka"`); i < 0 || j < i {
		t.Error("parts are not in order")
	}
	if strings.Contains(string(b), "null,") && strings.Contains(string(b), `"data":null`) {
		t.Error("a part's data is null")
	}
	if !strings.Contains(string(b), `"kommun":"Storsthlm"`) || !strings.Contains(string(b), "sökte fram ditt konto") {
		t.Errorf("a platform admin's entry is not explained: %s", b)
	}
}
