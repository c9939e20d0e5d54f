package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// bookingCall is a JSON API call of a signed-in youth's browser, with
// the CSRF header.
func bookingCall(t *testing.T, b *browser, method, path string, body any) (*http.Response, string) {
	t.Helper()
	_, tb := b.get(t, "/api/v1/csrf")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(tb), &tok); err != nil || tok.Token == "" {
		t.Fatalf("csrf: %s", tb)
	}
	var r io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			bs, _ := json.Marshal(body)
			raw = string(bs)
		}
		r = bytes.NewReader([]byte(raw))
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", tok.Token)
	return b.send(t, req)
}

type bookingSetup struct {
	se        staffEnv
	nacka     tenant.Kommun
	counselor uuid.UUID
	typeID    uuid.UUID
	day       time.Time // a weekday at least two days ahead, 00:00 Stockholm
}

// newBookingSetup gives Nacka a counsellor working 09–12 every day and a
// 45-minute visit type with one intake question.
func newBookingSetup(t *testing.T) bookingSetup {
	t.Helper()
	se := newStaffEnv(t)
	s := bookingSetup{se: se, nacka: se.kommun(t, "nacka")}
	s.counselor = se.addStaff(t, "kurator@nacka.example", "nacka", "counsellor")
	ctx := tenant.WithActing(se.system, tenant.Acting{Actor: tenant.ActorStaff, KommunID: s.nacka.ID, AccountID: s.counselor, Role: "reception_admin"})
	store := se.db.BookingStore()
	var week booking.Week
	for d := range week {
		week[d] = []booking.Interval{{Start: 9 * 60, End: 12 * 60}}
	}
	if err := store.SaveAvailability(ctx, booking.Availability{CounsellorID: s.counselor, Week: week, HorizonDays: 28, HolidaysOpen: true}); err != nil {
		t.Fatal(err)
	}
	var err error
	s.typeID, err = store.SaveType(ctx, booking.AppointmentType{Name: "Besök", Mode: booking.ModeVisit, Duration: 45 * time.Minute,
		Counsellors: []uuid.UUID{s.counselor}, OnlineBookable: true, Questions: []string{"Vad vill du prata om?"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(booking.Stockholm)
	s.day = time.Date(now.Year(), now.Month(), now.Day()+3, 0, 0, 0, 0, booking.Stockholm)
	return s
}

func (s bookingSetup) at(h, m int) time.Time {
	return time.Date(s.day.Year(), s.day.Month(), s.day.Day(), h, m, 0, 0, booking.Stockholm)
}

func (s bookingSetup) youth(t *testing.T, name string) *browser {
	t.Helper()
	b := newBrowser(s.se.env)
	if res := b.register(t, name, "en lång fras att minnas"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register %s: %d", name, res.StatusCode)
	}
	return b
}

func TestBookingAPIBookConflictCancelAndRefusals(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	ekorren := s.youth(t, "Ekorren")
	base := "/api/v1/kommuner/nacka"

	res, body := bookingCall(t, ekorren, http.MethodGet, base+"/booking/types", nil)
	if res.StatusCode != 200 || !strings.Contains(body, s.typeID.String()) {
		t.Fatalf("types: %d %s", res.StatusCode, body)
	}
	res, body = bookingCall(t, ekorren, http.MethodGet, base+"/booking/types/"+s.typeID.String()+"/slots?from="+
		s.at(0, 0).Format(time.RFC3339)+"&to="+s.at(23, 0).Format(time.RFC3339), nil)
	var slots struct{ Slots []jsonSlot }
	if err := json.Unmarshal([]byte(body), &slots); res.StatusCode != 200 || err != nil || len(slots.Slots) != 10 {
		t.Fatalf("slots: %d %s", res.StatusCode, body)
	}
	req := bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(10, 0), Answers: []string{"Sömn"}}
	res, body = bookingCall(t, ekorren, http.MethodPost, base+"/bookings", req)
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}

	// Another youth trying the same time: 409, friendly, with alternatives.
	raven := s.youth(t, "Räven")
	res, body = bookingCall(t, raven, http.MethodPost, base+"/bookings", req)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "hann någon annan boka") || !strings.Contains(body, `"alternatives":[{`) {
		t.Fatalf("conflict: %d %s", res.StatusCode, body)
	}
	// ...and cannot see or cancel Ekorren's booking by id.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		if res, body := bookingCall(t, raven, m, base+"/bookings/"+b.ID.String(), nil); res.StatusCode != http.StatusNotFound {
			t.Fatalf("%s another youth's booking: %d %s", m, res.StatusCode, body)
		}
	}

	// Bad input: each a clear 4xx, nothing written.
	bad := []struct {
		name   string
		path   string
		body   any
		status int
		text   string
	}{
		{"past", base + "/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: time.Now().Add(-time.Hour)}, 400, "redan varit"},
		{"outside availability", base + "/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(14, 0)}, 400, "ingen bokningsbar tid"},
		{"beyond horizon", base + "/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(10, 0).AddDate(0, 0, 40)}, 400, "så långt fram"},
		{"wrong type for the reception", "/api/v1/kommuner/solna/bookings", req, 404, "typen av besök"},
		{"malformed body", base + "/bookings", `{"type_id":"nej"`, 400, ""},
		{"malformed id", base + "/bookings/inte-ett-id", nil, 400, "Länken verkar vara fel"},
	}
	for _, tc := range bad {
		method := http.MethodPost
		if tc.body == nil {
			method = http.MethodGet
		}
		res, body := bookingCall(t, raven, method, tc.path, tc.body)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.text) {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
	if n := s.bookings(t); n != 1 {
		t.Fatalf("%d bookings after refusals", n)
	}

	// Mina bokningar, then cancel.
	res, body = bookingCall(t, ekorren, http.MethodGet, "/api/v1/bookings", nil)
	if res.StatusCode != 200 || !strings.Contains(body, b.ID.String()) {
		t.Fatalf("mina bokningar: %d %s", res.StatusCode, body)
	}
	if res, body := bookingCall(t, ekorren, http.MethodDelete, base+"/bookings/"+b.ID.String(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	// Without signing in: 401.
	anon := newBrowser(s.se.env)
	if res, _ := bookingCall(t, anon, http.MethodGet, "/api/v1/bookings", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", res.StatusCode)
	}
}

// bookings counts Nacka's bookings, acting as the system for Nacka.
func (s bookingSetup) bookings(t *testing.T) int {
	t.Helper()
	var n int
	ctx := tenant.WithActing(context.Background(), tenant.System().ForKommun(s.nacka.ID))
	if err := s.se.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM app.booking`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBookingAPIRebookIsAtomic(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	y := s.youth(t, "Igelkotten")
	other := s.youth(t, "Uttern")
	base := "/api/v1/kommuner/nacka"
	res, body := bookingCall(t, y, http.MethodPost, base+"/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0)})
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	if res, body := bookingCall(t, other, http.MethodPost, base+"/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(11, 0)}); res.StatusCode != http.StatusCreated {
		t.Fatalf("other: %d %s", res.StatusCode, body)
	}
	res, body = bookingCall(t, y, http.MethodPost, base+"/bookings/"+b.ID.String()+"/rebook", bookRequest{CounsellorID: s.counselor, Start: s.at(11, 0)})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "alternatives") {
		t.Fatalf("rebook onto a taken time: %d %s", res.StatusCode, body)
	}
	if res, body := bookingCall(t, y, http.MethodGet, base+"/bookings/"+b.ID.String(), nil); !strings.Contains(body, `"status":"booked"`) {
		t.Fatalf("old booking after failed rebook: %d %s", res.StatusCode, body)
	}
	res, body = bookingCall(t, y, http.MethodPost, base+"/bookings/"+b.ID.String()+"/rebook", bookRequest{CounsellorID: s.counselor, Start: s.at(9, 30)})
	if res.StatusCode != 200 || !strings.Contains(body, s.at(9, 30).UTC().Format("2006-01-02T15:04")) && !strings.Contains(body, s.at(9, 30).Format("2006-01-02T15:04")) {
		t.Fatalf("rebook: %d %s", res.StatusCode, body)
	}
}

func TestP14_CounsellorOpeningABookingThroughTheAPIIsLogged(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	y := s.youth(t, "Lodjuret")
	res, body := bookingCall(t, y, http.MethodPost, "/api/v1/kommuner/nacka/bookings", bookRequest{TypeID: s.typeID, CounsellorID: s.counselor, Start: s.at(9, 0), Answers: []string{"Hej"}})
	var b jsonBooking
	if err := json.Unmarshal([]byte(body), &b); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("book: %d %s", res.StatusCode, body)
	}
	c := s.se.client()
	c.signInFully(t, "kurator@nacka.example")
	res, body = c.api(t, http.MethodGet, "/api/v1/kommuner/nacka/calendar?from="+s.at(0, 0).Format(time.RFC3339)+"&to="+s.at(23, 0).Format(time.RFC3339), nil)
	if res.StatusCode != 200 || !strings.Contains(body, b.ID.String()) || strings.Contains(body, "Hej") {
		t.Fatalf("calendar: %d %s", res.StatusCode, body)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read'`); n != 0 {
		t.Fatalf("%d entries before opening", n)
	}
	res, body = c.api(t, http.MethodGet, "/api/v1/kommuner/nacka/calendar/bookings/"+b.ID.String(), nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"username":"Lodjuret"`) || !strings.Contains(body, "Hej") {
		t.Fatalf("detail: %d %s", res.StatusCode, body)
	}
	if n := s.se.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read' AND subject_username = 'Lodjuret' AND actor_id = $1`, s.counselor); n != 1 {
		t.Fatalf("access-log entries: %d", n)
	}
	// A counsellor of Nacka cannot reach Solna's calendar.
	if res, _ := c.api(t, http.MethodGet, "/api/v1/kommuner/solna/calendar", nil); res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusNotFound {
		t.Fatalf("other kommun's calendar: %d", res.StatusCode)
	}
	// Cancelling needs a reason; with one, the youth gets a neutral notice.
	if res, body := c.api(t, http.MethodPost, "/api/v1/kommuner/nacka/calendar/bookings/"+b.ID.String()+"/cancel", map[string]string{}); res.StatusCode != 400 {
		t.Fatalf("cancel without reason: %d %s", res.StatusCode, body)
	}
	if res, body := c.api(t, http.MethodPost, "/api/v1/kommuner/nacka/calendar/bookings/"+b.ID.String()+"/cancel", map[string]string{"reason": "Sjuk"}); res.StatusCode != 204 {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
}
