package notify

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Stockholm even where the system has no zone data
)

// stockholm is the time zone notices are written in.
var stockholm = func() *time.Location {
	l, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return l
}()

// Message is a rendered notice.
type Message struct {
	Subject string // e-mail only
	Body    string
}

// texts holds each notice in Swedish and English. They are neutral and
// discreet: nothing beyond "Ungdomsmottagningen", a time and a link; no
// topic, no counsellor. %[1]s is the time or date, %[2]s the link or code.
var texts = map[string]map[Kind]string{
	"sv": {
		KindBookingConfirmed: "Ungdomsmottagningen: Din tid %[1]s är bokad. Läs mer: %[2]s",
		KindBookingReminder:  "Ungdomsmottagningen: Påminnelse om din tid %[1]s. Läs mer: %[2]s",
		KindBookingChanged:   "Ungdomsmottagningen: Din tid är ändrad till %[1]s. Läs mer: %[2]s",
		KindBookingCancelled: "Ungdomsmottagningen: Din tid %[1]s är inställd. Läs mer: %[2]s",
		KindNewMessage:       "Du har ett nytt meddelande från Ungdomsmottagningen. Läs det här: %[2]s",
		KindDeletionWarning:  "Ungdomsmottagningen: Ditt konto tas bort %[1]s om du inte loggar in innan dess. %[2]s",
		KindPolicyChange:     "Ungdomsmottagningen: Vår integritetspolicy ändras %[1]s. Läs mer: %[2]s",
		KindVerifyCode:       "Din kod från Ungdomsmottagningen är %[2]s. Den gäller i 10 minuter.",
	},
	"en": {
		KindBookingConfirmed: "Ungdomsmottagningen: Your appointment %[1]s is booked. Read more: %[2]s",
		KindBookingReminder:  "Ungdomsmottagningen: Reminder of your appointment %[1]s. Read more: %[2]s",
		KindBookingChanged:   "Ungdomsmottagningen: Your appointment is moved to %[1]s. Read more: %[2]s",
		KindBookingCancelled: "Ungdomsmottagningen: Your appointment %[1]s is cancelled. Read more: %[2]s",
		KindNewMessage:       "You have a new message from Ungdomsmottagningen. Read it here: %[2]s",
		KindDeletionWarning:  "Ungdomsmottagningen: Your account will be removed on %[1]s unless you sign in first. %[2]s",
		KindPolicyChange:     "Ungdomsmottagningen: Our privacy policy changes on %[1]s. Read more: %[2]s",
		KindVerifyCode:       "Your code from Ungdomsmottagningen is %[2]s. It is valid for 10 minutes.",
	},
}

var subjects = map[string]string{
	"sv": "Meddelande från Ungdomsmottagningen",
	"en": "Message from Ungdomsmottagningen",
}

// paths are where a notice's link leads inside the service.
var paths = map[Kind]string{
	KindBookingConfirmed: "/mina-bokningar",
	KindBookingReminder:  "/mina-bokningar",
	KindBookingChanged:   "/mina-bokningar",
	KindBookingCancelled: "/mina-bokningar",
	KindDeletionWarning:  "/logga-in",
	KindPolicyChange:     "/integritet",
}

// slugRE is what a kommun slug looks like (tenants/*.toml).
var slugRE = regexp.MustCompile(`^[a-z0-9-]{2,40}$`)

// Link returns the link into the service that a notice carries; it ends
// with the notice's marker so a retry can recognise the message. A new
// message leads to the chat page of its kommun.
func Link(baseURL string, n Notice) string {
	p := paths[n.Kind]
	if n.Kind == KindNewMessage && slugRE.MatchString(n.Payload.Slug) {
		p = "/" + n.Payload.Slug + "/chatt"
	}
	if p == "" {
		p = "/"
	}
	return strings.TrimRight(baseURL, "/") + p + "?n=" + Marker(n.ID)
}

// Render writes n in lang ("sv" or "en"; anything else is Swedish).
func Render(n Notice, lang, baseURL string) (Message, error) {
	if n.Kind == KindStaffInvite {
		return renderStaffInvite(n, baseURL), nil
	}
	t, ok := texts[lang]
	if !ok {
		lang, t = "sv", texts["sv"]
	}
	f, ok := t[n.Kind]
	if !ok {
		return Message{}, fmt.Errorf("notify: no text for notice %q", n.Kind)
	}
	var when, link string
	switch n.Kind {
	case KindBookingConfirmed, KindBookingReminder, KindBookingChanged, KindBookingCancelled:
		when = formatTime(n.Payload.At, lang)
	case KindDeletionWarning, KindPolicyChange:
		when = formatDate(n.Payload.At, lang)
	}
	if n.Kind == KindVerifyCode {
		link = n.Payload.Code
	} else {
		link = Link(baseURL, n)
	}
	return Message{Subject: subjects[lang], Body: fmt.Sprintf(f, when, link)}, nil
}

var svMonths = []string{"jan", "feb", "mars", "april", "maj", "juni", "juli", "aug", "sep", "okt", "nov", "dec"}

func formatTime(t time.Time, lang string) string {
	t = t.In(stockholm)
	if lang == "en" {
		return t.Format("2 Jan 15:04")
	}
	return fmt.Sprintf("%d %s kl. %s", t.Day(), svMonths[t.Month()-1], t.Format("15:04"))
}

func formatDate(t time.Time, lang string) string {
	t = t.In(stockholm)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d %s %d", t.Day(), svMonths[t.Month()-1], t.Year())
}

// gsm7 is the GSM 03.38 basic character set; gsm7ext the extension table,
// whose characters take two septets.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ext = "^{}\\[~]|€\f"
)

// GSM7Septets returns how many septets s takes in the GSM 7-bit alphabet,
// and false if s has a character outside it (the SMS would then be sent as
// UCS-2, 70 characters a segment).
func GSM7Septets(s string) (int, bool) {
	n := 0
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsm7, r):
			n++
		case strings.ContainsRune(gsm7ext, r):
			n += 2
		default:
			return 0, false
		}
	}
	return n, true
}

// OneSegment reports whether s fits one 160-septet GSM-7 SMS segment.
func OneSegment(s string) bool {
	n, ok := GSM7Septets(s)
	return ok && n <= 160
}
