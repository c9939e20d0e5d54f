package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// In a real headless Chromium on a phone-sized screen, a youth registers,
// books a time with an intake answer, sees it in Mina bokningar, rebooks
// it and cancels it; the counsellor sees the booking on the calendar.
func TestBookingBrowserBookRebookCancel(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	b := newChromeTab(t, s.se.listen(t))

	b.open("/registrera")
	b.fill("username", "Kungsörnen")
	b.fill("password", "en lång fras att minnas")
	b.submit(`form[action="/registrera"] button[type=submit]`)

	b.open("/nacka/boka?typ=" + s.typeID.String())
	b.do(chromedp.WaitVisible(chromedp.CSS(`input[name=slot]`)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=slot]').click()`))
	b.do(chromedp.SendKeys(chromedp.ID("answer_0"), "Sömnen"))
	_, f := b.submit(`form[action="/nacka/boka"] button[type=submit]`)
	wantPath(t, f, "/mina-bokningar")
	if n := s.bookings(t); n != 1 {
		t.Fatalf("%d bookings after booking in the browser", n)
	}

	// The counsellor sees it on the calendar.
	c := s.se.client()
	c.signInFully(t, "kurator@nacka.example")
	found := false
	for d := range 7 {
		day := time.Now().In(s.day.Location()).AddDate(0, 0, d).Format(time.DateOnly)
		if _, body := c.get(t, "/personal/nacka/kalender?datum="+day); strings.Contains(body, "/personal/nacka/kalender/") {
			found = true
			break
		}
	}
	if !found {
		t.Fatal("the counsellor does not see the booking on the calendar")
	}

	// Rebook to the last free time, then cancel.
	b.do(chromedp.Click(chromedp.CSS(`a[href*="omboka="]`), chromedp.NodeVisible))
	b.do(chromedp.WaitVisible(chromedp.CSS(`input[name=slot]`)))
	b.do(chromedp.Evaluate[chromedp.Void](`(() => { const r = document.querySelectorAll('input[name=slot]'); r[r.length-1].click(); })()`))
	_, f = b.submit(`form[action="/nacka/boka"] button[type=submit]`)
	wantPath(t, f, "/mina-bokningar")
	if html := evalT[string](b, `document.body.innerText`); !strings.Contains(html, "avbokad") {
		t.Fatalf("after rebooking the old time is not shown as cancelled: %s", html)
	}
	_, f = b.submit(`form[action$="/avboka"] button[type=submit]`)
	wantPath(t, f, "/mina-bokningar")
	if html := evalT[string](b, `document.body.innerText`); !strings.Contains(html, "Du har inga kommande bokningar") {
		t.Fatalf("after cancelling: %s", html)
	}
}
