package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The counsellor sees the youth's booking on the calendar (day and week),
// opening it writes the access log (P14), another kommun's calendar and
// bookings stay closed, and cancelling needs a reason.
func TestBookingStaffCalendarDetailAndCancel(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	y := s.youth(t, "Myskoxen")
	res, body := bookingCall(t, y, http.MethodPost, "/api/v1/kommuner/nacka/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0), Answers: []string{"Skolan"}})
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	c := s.se.client()
	c.signInFully(t, "kurator@nacka.example")
	date := s.day.Format(time.DateOnly)
	for _, vy := range []string{"dag", "vecka"} {
		res, body = c.get(t, "/personal/nacka/kalender?vy="+vy+"&datum="+date)
		if res.StatusCode != 200 || !strings.Contains(body, "/personal/nacka/kalender/"+b.ID.String()) || strings.Contains(body, "Myskoxen") || strings.Contains(body, "Skolan") {
			t.Fatalf("calendar %s: %d %s", vy, res.StatusCode, body)
		}
	}
	if res, _ := c.get(t, "/personal/nacka/kalender?datum=igår"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed date: %d", res.StatusCode)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read'`); n != 0 {
		t.Fatalf("logged before opening: %d", n)
	}
	detail := "/personal/nacka/kalender/" + b.ID.String()
	res, body = c.get(t, detail)
	if res.StatusCode != 200 || !strings.Contains(body, "Myskoxen") || !strings.Contains(body, "Skolan") {
		t.Fatalf("detail: %d %s", res.StatusCode, body)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read' AND subject_username = 'Myskoxen' AND actor_id = $1`, s.counselor); n != 1 {
		t.Fatalf("access-log entries after opening: %d", n)
	}
	if res, _ := c.get(t, "/personal/nacka/kalender/inte-ett-id"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed id: %d", res.StatusCode)
	}
	// Another kommun: refused, for the page and the booking alike.
	for _, p := range []string{"/personal/solna/kalender", "/personal/solna/kalender/" + b.ID.String()} {
		if res, _ := c.get(t, p); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
	}
	res, body = c.post(t, detail+"/avboka", url.Values{"reason": {""}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Skriv ett kort skäl") {
		t.Fatalf("cancel without reason: %d", res.StatusCode)
	}
	res, _ = c.post(t, detail+"/avboka", url.Values{"reason": {"Kuratorn är sjuk"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	_, body = y.get(t, "/mina-bokningar")
	if !strings.Contains(body, "avbokad") || strings.Contains(body, "/avboka\"") {
		t.Fatalf("youth after staff cancel: %s", body)
	}
}
