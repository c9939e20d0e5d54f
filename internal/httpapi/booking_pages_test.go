package httpapi

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A youth books on the page without JavaScript, sees the booking in Mina
// bokningar, rebooks it and cancels it.
func TestBookingPagesBookRebookCancel(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	y := s.youth(t, "Bävern")

	res, body := y.get(t, "/nacka/boka")
	if res.StatusCode != 200 || !strings.Contains(body, "/nacka/boka?typ="+s.typeID.String()) {
		t.Fatalf("type choice: %d %s", res.StatusCode, body)
	}
	page := "/nacka/boka?typ=" + s.typeID.String()
	res, body = y.get(t, page)
	if res.StatusCode != 200 || !strings.Contains(body, "Skriv inte ditt namn, personnummer") || !strings.Contains(body, `name="answer_0"`) {
		t.Fatalf("booking page lacks the P6 advice or the question: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(body, `required-mark`) || !strings.Contains(body, `aria-required="true"`) {
		t.Fatal("the required time choice is not marked")
	}
	slots := regexp.MustCompile(`name="slot" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(slots) < 2 {
		t.Fatalf("free times: %d", len(slots))
	}
	// No time chosen: a clear message, nothing written.
	res, body = y.post(t, page, "/nacka/boka", url.Values{"typ": {s.typeID.String()}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Välj en av de lediga tiderna") || s.bookings(t) != 0 {
		t.Fatalf("no time: %d", res.StatusCode)
	}
	res, _ = y.post(t, page, "/nacka/boka", url.Values{"typ": {s.typeID.String()}, "slot": {slots[0][1]}, "answer_0": {"Sömnen"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/mina-bokningar?klart=1" {
		t.Fatalf("book: %d", res.StatusCode)
	}
	_, body = y.get(t, "/mina-bokningar")
	rebook := regexp.MustCompile(`href="(/nacka/boka\?typ=[^"]+&amp;omboka=[^"]+)"`).FindStringSubmatch(body)
	if rebook == nil || !strings.Contains(body, "Besök") {
		t.Fatalf("mina bokningar: %s", body)
	}
	rebookPage := strings.ReplaceAll(rebook[1], "&amp;", "&")
	omboka := rebookPage[strings.Index(rebookPage, "omboka=")+7:]
	res, _ = y.post(t, rebookPage, "/nacka/boka", url.Values{"typ": {s.typeID.String()}, "slot": {slots[len(slots)-1][1]}, "omboka": {omboka}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rebook: %d", res.StatusCode)
	}
	_, body = y.get(t, "/mina-bokningar")
	cancel := regexp.MustCompile(`action="(/nacka/bokningar/[^"]+/avboka)"`).FindAllStringSubmatch(body, -1)
	if len(cancel) != 1 || !strings.Contains(body, "avbokad") {
		t.Fatalf("after rebook: one upcoming and one cancelled expected: %s", body)
	}
	res, _ = y.post(t, "/mina-bokningar", cancel[0][1], url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	_, body = y.get(t, "/mina-bokningar")
	if strings.Contains(body, "/avboka") || !strings.Contains(body, "Du har inga kommande bokningar") {
		t.Fatalf("after cancel: %s", body)
	}
}
