package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNoticeTextsFitOneSMS renders every notice in both languages with a
// realistic base URL and checks each fits one 160-character GSM-7 segment
// and says nothing beyond "Ungdomsmottagningen", a time and a link.
func TestNoticeTextsFitOneSMS(t *testing.T) {
	t.Parallel()
	base := "https://ungdomsmottagning.storsthlm.se"
	at := time.Date(2026, 12, 24, 13, 45, 0, 0, stockholm) // long month names in English, kl. in Swedish
	for _, lang := range []string{"sv", "en"} {
		for _, k := range Kinds {
			n := New(uuid.New(), k, SMS, Payload{At: at, Code: "123456", Address: "+46701234567", Slug: "upplands-vasby"}, time.Time{})
			m, err := Render(n, lang, base)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, k, err)
			}
			if !OneSegment(m.Body) {
				sept, gsm := GSM7Septets(m.Body)
				t.Errorf("%s/%s does not fit one SMS (%d septets, GSM-7 %v): %q", lang, k, sept, gsm, m.Body)
			}
			if !strings.Contains(m.Body, "Ungdomsmottagningen") {
				t.Errorf("%s/%s does not say who it is from: %q", lang, k, m.Body)
			}
			if k != KindVerifyCode && !strings.Contains(m.Body, base+"/") {
				t.Errorf("%s/%s has no link into the service: %q", lang, k, m.Body)
			}
			if k == KindVerifyCode && !strings.Contains(m.Body, "123456") {
				t.Errorf("%s/%s has no code: %q", lang, k, m.Body)
			}
			if m.Subject == "" || strings.ContainsAny(m.Subject, "0123456789") {
				t.Errorf("%s/%s subject %q", lang, k, m.Subject)
			}
		}
	}
	m, _ := Render(New(uuid.New(), KindBookingReminder, SMS, Payload{At: at}, time.Time{}), "sv", base)
	if !strings.Contains(m.Body, "24 dec kl. 13:45") {
		t.Fatalf("Swedish time: %q", m.Body)
	}
}

// TestLinkLeadsWhereTheNoticeIsAbout checks each notice's link: bookings to
// Mina bokningar, a new message to its kommun's chat, and that a slug that
// is not one cannot steer the link anywhere else.
func TestLinkLeadsWhereTheNoticeIsAbout(t *testing.T) {
	t.Parallel()
	base := "https://ungdomsmottagning.example/"
	for _, c := range []struct {
		kind Kind
		p    Payload
		want string
	}{
		{KindBookingReminder, Payload{}, "/mina-bokningar?n="},
		{KindBookingCancelled, Payload{}, "/mina-bokningar?n="},
		{KindNewMessage, Payload{Slug: "nacka"}, "/nacka/chatt?n="},
		{KindNewMessage, Payload{Slug: "//evil.example"}, "/?n="},
		{KindNewMessage, Payload{}, "/?n="},
		{KindPolicyChange, Payload{}, "/integritet?n="},
	} {
		got := Link(base, New(uuid.New(), c.kind, SMS, c.p, time.Time{}))
		if !strings.HasPrefix(got, "https://ungdomsmottagning.example"+c.want) {
			t.Errorf("%s %+v: link %q; want %s…", c.kind, c.p, got, c.want)
		}
	}
}

func TestGSM7(t *testing.T) {
	t.Parallel()
	if n, ok := GSM7Septets("Påminnelse: åäö ÅÄÖ é"); !ok || n != 21 {
		t.Fatalf("Swedish letters are GSM-7: %d %v", n, ok)
	}
	if n, ok := GSM7Septets("a€b"); !ok || n != 4 {
		t.Fatalf("euro sign takes two septets: %d %v", n, ok)
	}
	if _, ok := GSM7Septets("emoji 🙂"); ok {
		t.Fatal("emoji is not GSM-7")
	}
	if OneSegment(strings.Repeat("a", 161)) {
		t.Fatal("161 characters fit one segment")
	}
}

func TestDecideAtSendTime(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ok := Recipient{Exists: true, Language: "sv", Address: "+46701234567", Verified: true, Consent: true}
	n := New(uuid.New(), KindNewMessage, SMS, Payload{}, now)
	cases := []struct {
		name string
		mod  func(*Recipient)
		want string
	}{
		{"all in order", func(*Recipient) {}, ""},
		{"deleted", func(r *Recipient) { *r = Recipient{} }, ReasonAccountDeleted},
		{"restricted (P27)", func(r *Recipient) { r.Restricted = true }, ReasonRestricted},
		{"no contact", func(r *Recipient) { r.Address = "" }, ReasonNoContact},
		{"undeliverable", func(r *Recipient) { r.Undeliverable = true }, ReasonUndeliverable},
		{"consent withdrawn (P12)", func(r *Recipient) { r.Consent = false }, ReasonNoConsent},
		{"not verified", func(r *Recipient) { r.Verified = false }, ReasonUnverified},
	}
	for _, c := range cases {
		r := ok
		c.mod(&r)
		if got := Decide(n, r, now); got != c.want {
			t.Errorf("%s: %q; want %q", c.name, got, c.want)
		}
	}
	code := New(uuid.New(), KindVerifyCode, SMS, Payload{Code: "123456", Address: "+46701234567"}, now)
	unverified := ok
	unverified.Verified, unverified.Consent = false, false
	if got := Decide(code, unverified, now); got != "" {
		t.Errorf("a verification code needs neither consent nor verification: %q", got)
	}
	unverified.Address = "+46709999999"
	if got := Decide(code, unverified, now); got != ReasonContactChanged {
		t.Errorf("code for a replaced number: %q", got)
	}
	unverified.Address = "+46701234567"
	if got := Decide(code, unverified, now.Add(11*time.Minute)); got != ReasonExpired {
		t.Errorf("expired code: %q", got)
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	c, err := NewCode()
	if err != nil || len(c) != 6 {
		t.Fatalf("code %q %v", c, err)
	}
	id := uuid.New()
	if string(HashCode([]byte("k"), id, SMS, c)) == string(HashCode([]byte("k"), id, Email, c)) {
		t.Fatal("the hash does not bind the channel")
	}
}
