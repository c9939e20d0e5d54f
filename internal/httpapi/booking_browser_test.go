package httpapi

import (
	"net/http"
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

// In a real headless Chromium on a 360 px screen, a counsellor opens a
// youth's booking from the calendar, moves it to another free time with a
// reason, and lands on the calendar with the booking at its new time; the
// booking administration pages fit the screen.
func TestBookingBrowserCounsellorMovesABooking(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	y := s.youth(t, "Lodjuret")
	if res, body := bookingCall(t, y, http.MethodPost, "/api/v1/kommuner/nacka/bookings",
		bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0)}); res.StatusCode != http.StatusCreated {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	c := s.se.client()
	c.signInFully(t, "kurator@nacka.example")
	base := s.se.listen(t)
	b := newChromeTab(t, base)
	b.signIn(c.testClient)
	staffPage := func(action chromedp.Action[chromedp.Void], what string) string {
		t.Helper()
		text := b.page(action, what)
		if w := evalT[[]int](b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
			t.Errorf("%s: page is %d px wide on a %d px screen", what, w[0], w[1])
		}
		return text
	}
	for _, p := range []string{"/personal/nacka/bokning/tider", "/personal/nacka/bokning/typer", "/personal/nacka/bokning/installningar"} {
		staffPage(chromedp.Navigate(base+p), "open "+p)
	}
	staffPage(chromedp.Navigate(base+"/personal/nacka/kalender?datum="+s.day.Format(time.DateOnly)), "open the calendar")
	staffPage(chromedp.Click(chromedp.CSS(`a[href^="/personal/nacka/kalender/"]`), chromedp.NodeVisible), "open the booking")
	ten := s.counselor.String() + "|" + s.at(10, 0).UTC().Format(time.RFC3339)
	b.do(chromedp.SetValue(chromedp.ID("slot"), ten),
		chromedp.SendKeys(chromedp.ID("move_reason"), "Kuratorn har ett möte"))
	text := staffPage(chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector('#move-form button[type=submit]'); el.form.requestSubmit(el); })()`), "move")
	if !strings.Contains(text, "Bokningen är flyttad") || !strings.Contains(text, "10:00") {
		t.Fatalf("after moving: %s", text)
	}
	if path := evalT[string](b, `location.pathname`); path != "/personal/nacka/kalender" {
		t.Fatalf("after moving the counsellor is on %s", path)
	}
	var got string
	s.nackaRow(t, `SELECT string_agg(status || ' ' || to_char(starts_at AT TIME ZONE 'Europe/Stockholm', 'HH24:MI'), ',' ORDER BY starts_at) FROM app.booking`, &got)
	if got != "cancelled 09:00,booked 10:00" {
		t.Fatalf("bookings after the move: %s", got)
	}
}
