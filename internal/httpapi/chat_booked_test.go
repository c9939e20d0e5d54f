package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// chatBooking stores a booking of a chat appointment with the setup's
// counsellor for the youth named, starting at start (as the booking flow
// would; the flow itself is booking's to test).
func chatBooking(t *testing.T, s bookingSetup, youth string, start time.Time) uuid.UUID {
	t.Helper()
	ctx := tenant.WithActing(s.se.system, tenant.Acting{Actor: tenant.ActorStaff, KommunID: s.nacka.ID, AccountID: s.counselor, Role: "reception_admin"})
	typeID, err := s.se.db.BookingStore().SaveType(ctx, booking.AppointmentType{Name: "Chatt " + randomSuffix(t), Mode: booking.ModeChat,
		Duration: 30 * time.Minute, Counsellors: []uuid.UUID{s.counselor}, OnlineBookable: true})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if _, err := adminConn(t, s.se.env).Exec(context.Background(), `INSERT INTO app.booking (kommun_id, id, type_id, counsellor_id, account_id, mode, starts_at, ends_at, during)
		SELECT $1, $2, $3, $4, a.id, 'chat', $5, $6, tstzrange($5, $6) FROM app.account a WHERE lower(a.username) = lower($7)`,
		s.nacka.ID, id, typeID, s.counselor, start, start.Add(30*time.Minute), youth); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestChatBookedAppointmentOpensForItsYouthAndCounsellorOnly(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	ugglan, stranger := s.youth(t, "Ugglan"), s.youth(t, "Grävlingen")
	now := s.se.now()
	soon := chatBooking(t, s, "Ugglan", now.Add(5*time.Minute))
	later := chatBooking(t, s, "Ugglan", now.Add(72*time.Hour))
	path := func(b uuid.UUID) string { return "/api/v1/chat/nacka/bookings/" + b.String() + "/conversation" }
	convs := func(b uuid.UUID) int {
		return chatCount(t, s.se, `SELECT count(*) FROM app.chat_conversation WHERE booking_id = $1`, b)
	}

	// Refused: another youth, nobody signed in, a malformed id, too early.
	if res, body := chatAPI(t, stranger, http.MethodPost, path(soon), nil); res.StatusCode != http.StatusNotFound || !strings.Contains(body, "chattbokning") {
		t.Errorf("another youth opening the booked chat: %d %s; want 404", res.StatusCode, body)
	}
	if res, _ := chatAPI(t, newBrowser(s.se.env), http.MethodPost, path(soon), nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("opening without signing in: %d; want 401", res.StatusCode)
	}
	if res, _ := chatAPI(t, ugglan, http.MethodPost, "/api/v1/chat/nacka/bookings/inte-ett-id/conversation", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a malformed booking id: %d; want 404", res.StatusCode)
	}
	if res, body := chatAPI(t, ugglan, http.MethodPost, path(later), nil); res.StatusCode != http.StatusConflict || !strings.Contains(body, "kvart före") {
		t.Errorf("opening three days early: %d %s; want 409", res.StatusCode, body)
	}
	if convs(soon)+convs(later) != 0 {
		t.Fatal("a refused opening created a conversation")
	}

	// Mina bokningar offers the chat at the time, and only then.
	if _, page := ugglan.get(t, "/mina-bokningar"); !strings.Contains(page, "/nacka/chatt/bokning/"+soon.String()) || strings.Contains(page, "/nacka/chatt/bokning/"+later.String()) {
		t.Error("Mina bokningar does not offer the booked chat at its time only")
	}
	res, body := ugglan.post(t, "/mina-bokningar", "/nacka/chatt/bokning/"+soon.String(), url.Values{})
	if res.StatusCode != http.StatusSeeOther || ugglan.cookies[chatCookieName("nacka")] == "" {
		t.Fatalf("opening the booked chat: %d %s", res.StatusCode, body)
	}
	var conv struct {
		Conversation struct {
			ID     uuid.UUID
			Status string
		}
	}
	_, body = chatAPI(t, ugglan, http.MethodGet, "/api/v1/chat/nacka/conversation", nil)
	if err := json.Unmarshal([]byte(body), &conv); err != nil || conv.Conversation.Status != "active" {
		t.Fatalf("the youth's booked conversation: %s", body)
	}
	id := conv.Conversation.ID
	if n := chatCount(t, s.se, `SELECT count(*) FROM app.chat_conversation c JOIN app.booking b ON b.kommun_id = c.kommun_id AND b.id = c.booking_id
		WHERE c.id = $1 AND c.counsellor_id = $2 AND c.account_id = b.account_id AND c.status = 'active'`, id, s.counselor); n != 1 {
		t.Fatal("the conversation is not the booking's, assigned to its counsellor and youth")
	}
	// Opening again (another device) leads to the same conversation.
	if res, _ := chatAPI(t, ugglan, http.MethodPost, path(soon), nil); res.StatusCode != http.StatusCreated || convs(soon) != 1 {
		t.Errorf("opening again: %d, %d conversations; want 201 and one", res.StatusCode, convs(soon))
	}

	// The counsellor sees it among their active conversations and on the
	// queue page; a colleague cannot open the booking's chat.
	counsellor := s.se.client()
	counsellor.signInFully(t, "kurator@nacka.example")
	if _, body := counsellor.api(t, http.MethodGet, "/api/v1/kommuner/nacka/chat/queue", nil); !strings.Contains(body, id.String()) {
		t.Errorf("the counsellor's active conversations do not hold the booked chat: %s", body)
	}
	if _, page := counsellor.get(t, "/personal/nacka/chatt"); !strings.Contains(page, "/personal/nacka/chatt/bokning/"+soon.String()) {
		t.Error("the queue page does not offer the booked chat")
	}
	colleague, _ := chatStaff(t, s.se, "nacka")
	if res, _ := colleague.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/bookings/"+soon.String()+"/conversation", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a colleague opening the booked chat: %d; want 404", res.StatusCode)
	}
	other, _ := chatStaff(t, s.se, "botkyrka")
	if res, _ := other.api(t, http.MethodPost, "/api/v1/kommuner/botkyrka/chat/bookings/"+soon.String()+"/conversation", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another kommun's counsellor opening the booked chat: %d; want 404", res.StatusCode)
	}

	// They write; the counsellor ends it; it is purged like any (P18) and
	// cannot be opened again.
	chatAPI(t, ugglan, http.MethodPost, "/api/v1/chat/nacka/conversation/messages", map[string]string{"body": "hej från ugglan"})
	counsellor.api(t, http.MethodPost, "/api/v1/kommuner/nacka/chat/conversations/"+id.String()+"/messages", map[string]string{"body": "hej"})
	if n := chatCount(t, s.se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, id); n != 2 {
		t.Fatalf("%d messages; want 2", n)
	}
	if res, _ := counsellor.api(t, http.MethodDelete, "/api/v1/kommuner/nacka/chat/conversations/"+id.String(), nil); res.StatusCode != http.StatusNoContent {
		t.Fatal("ending failed")
	}
	if n := chatCount(t, s.se, `SELECT count(*) FROM app.chat_message WHERE conversation_id = $1`, id); n != 0 {
		t.Errorf("%d messages left after the end", n)
	}
	if res, _ := chatAPI(t, ugglan, http.MethodPost, path(soon), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("reopening an ended booked chat: %d; want 409", res.StatusCode)
	}
}

// The counsellor's calendar page of a booked chat appointment offers to
// open its chat while the window is open, to the booking's counsellor
// only; the button leads into the conversation.
func TestChatBookedOpensFromTheCalendarPage(t *testing.T) {
	t.Parallel()
	s := newBookingSetup(t)
	s.youth(t, "Räven")
	now := s.se.now()
	soon := chatBooking(t, s, "Räven", now.Add(10*time.Minute))
	later := chatBooking(t, s, "Räven", now.Add(48*time.Hour))
	action := func(b uuid.UUID) string { return `action="/personal/nacka/chatt/bokning/` + b.String() + `"` }
	counsellor := s.se.client()
	counsellor.signInFully(t, "kurator@nacka.example")
	if res, page := counsellor.get(t, "/personal/nacka/kalender/"+soon.String()); res.StatusCode != http.StatusOK || !strings.Contains(page, action(soon)) {
		t.Fatalf("the calendar page of a chat appointment about to start does not offer its chat: %d", res.StatusCode)
	}
	if _, page := counsellor.get(t, "/personal/nacka/kalender/"+later.String()); strings.Contains(page, "/chatt/bokning/") {
		t.Error("the calendar page offers the chat two days early")
	}
	admin := s.se.client()
	email := "chef-" + randomSuffix(t) + "@nacka.example"
	s.se.addStaff(t, email, "nacka", "reception_admin")
	admin.signInFully(t, email)
	if res, page := admin.get(t, "/personal/nacka/kalender/"+soon.String()); res.StatusCode != http.StatusOK || !strings.Contains(page, "Räven") || strings.Contains(page, "/chatt/bokning/") {
		t.Error("a reception admin who is not the booking's counsellor is offered its chat")
	}
	res, body := counsellor.post(t, "/personal/nacka/chatt/bokning/"+soon.String(), url.Values{})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/nacka/chatt/") {
		t.Fatalf("opening the chat from the calendar: %d %s", res.StatusCode, body)
	}
	if n := chatCount(t, s.se, `SELECT count(*) FROM app.chat_conversation WHERE booking_id = $1 AND status = 'active'`, soon); n != 1 {
		t.Errorf("%d conversations of the booking; want 1", n)
	}
}
