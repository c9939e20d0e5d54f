package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// bookingNow is a Monday morning, the clock of every booking test.
var bookingNow = time.Date(2027, 1, 11, 7, 0, 0, 0, booking.Stockholm)

type bookingWorld struct {
	world
	store  postgres.BookingStore
	typeA  uuid.UUID // 45 min + 15 buffer, staffA, one question
	staffA context.Context
	youth  uuid.UUID
}

func newBookingWorld(t *testing.T) bookingWorld {
	t.Helper()
	w := bookingWorld{world: newWorld(t)}
	w.store = w.db.BookingStore()
	w.store.Now = func() time.Time { return bookingNow }
	w.staffA = staffCtx(w.a, w.world.staffA)
	var week booking.Week
	for d := time.Monday; d <= time.Friday; d++ {
		week[d] = []booking.Interval{{Start: 9 * 60, End: 12 * 60}}
	}
	if err := w.store.SaveAvailability(w.staffA, booking.Availability{CounsellorID: w.world.staffA, Week: week, HorizonDays: 28, MinNotice: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	var err error
	w.typeA, err = w.store.SaveType(w.staffA, booking.AppointmentType{Name: "Besök", Mode: booking.ModeVisit, Duration: 45 * time.Minute,
		BufferAfter: 15 * time.Minute, Counsellors: []uuid.UUID{w.world.staffA}, OnlineBookable: true, Questions: []string{"Vad vill du prata om?"}})
	if err != nil {
		t.Fatal(err)
	}
	w.youth = w.newYouth(t, "Ekorren")
	return w
}

func (w bookingWorld) newYouth(t testing.TB, name string) uuid.UUID {
	t.Helper()
	a, err := w.db.CreateAccount(w.systemCtx, name, fmt.Sprintf("%s-%s", name, uuid.NewString()[:8]), "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func youthIn(k tenant.Kommun, id uuid.UUID) context.Context {
	return tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: id, KommunID: k.ID})
}

func (w bookingWorld) slot(h, m int) time.Time {
	return time.Date(2027, 1, 12, h, m, 0, 0, booking.Stockholm)
}

func wantKey(t *testing.T, err error, kind apperr.Kind, key string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Kind != kind || (key != "" && e.Key != key) {
		t.Fatalf("got %v, want %v %s", err, kind, key)
	}
}

func (w bookingWorld) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := testenv.Admin(t, w.dbinfo).QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBookingFreeSlotsAndBook(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	ctx := youthIn(w.a, w.youth)
	slots, err := w.store.FreeSlots(ctx, w.typeA, w.slot(0, 0), w.slot(23, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 10 { // 09:00..11:15 every 15 minutes, the 45 minutes within 12:00
		t.Fatalf("got %d slots: %v", len(slots), slots)
	}
	b, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"Sömn"}})
	if err != nil {
		t.Fatal(err)
	}
	slots, err = w.store.FreeSlots(ctx, w.typeA, w.slot(0, 0), w.slot(23, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 6 || !slots[0].Start.Equal(w.slot(10, 0)) { // 09:00 + 45 + 15 buffer
		t.Fatalf("after booking: %v", slots)
	}
	mine, err := w.store.MyBooking(ctx, w.a.ID, b.ID)
	if err != nil || len(mine.Answers) != 1 || mine.Answers[0] != "Sömn" || mine.TypeName != "Besök" {
		t.Fatalf("own booking: %+v %v", mine, err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'booking_confirmed'`, w.youth); n != 2 {
		t.Fatalf("confirmation notices: %d, want one per channel", n)
	}
	// A youth of another kommun's context still sees it in Mina bokningar.
	all, err := w.store.MyBookings(youthIn(w.b, w.youth))
	if err != nil || len(all) != 1 || all[0].TypeName != "Besök" {
		t.Fatalf("mina bokningar: %+v %v", all, err)
	}
}

func TestP10_ConcurrentAttemptsOnOneSlotGiveExactlyOneBooking(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	youths := make([]uuid.UUID, 10)
	for i := range youths {
		youths[i] = w.newYouth(t, fmt.Sprintf("Räven%d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, taken := 0, 0
	var other []error
	start := make(chan struct{})
	for i := range 200 {
		wg.Go(func() {
			<-start
			_, err := w.store.Book(youthIn(w.a, youths[i%len(youths)]), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(10, 0)})
			mu.Lock()
			defer mu.Unlock()
			switch e := apperr.As(err); {
			case err == nil:
				ok++
			case e != nil && e.Kind == apperr.Conflict && e.Key == "booking.error.taken":
				taken++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok != 1 || taken != 199 || len(other) > 0 {
		t.Fatalf("booked %d, taken %d, other %v", ok, taken, other)
	}
	if n := w.count(t, `SELECT count(*) FROM app.booking WHERE status = 'booked'`); n != 1 {
		t.Fatalf("%d bookings in the database", n)
	}
	alts, err := w.store.Alternatives(youthIn(w.a, youths[0]), w.typeA, w.slot(10, 0), 3)
	if err != nil || len(alts) != 3 {
		t.Fatalf("alternatives %v %v", alts, err)
	}
	for _, a := range alts {
		if a.Start.Equal(w.slot(10, 0)) {
			t.Fatal("the taken time offered as an alternative")
		}
	}
}

func TestBookingBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	ctx := youthIn(w.a, w.youth)
	staffOnly, err := w.store.SaveType(w.staffA, booking.AppointmentType{Name: "Internt", Mode: booking.ModePhone, Duration: 30 * time.Minute,
		Counsellors: []uuid.UUID{w.world.staffA}})
	if err != nil {
		t.Fatal(err)
	}
	typeB, err := w.store.SaveType(staffCtx(w.b, w.staffB), booking.AppointmentType{Name: "Solna", Mode: booking.ModeVisit, Duration: 30 * time.Minute,
		Counsellors: []uuid.UUID{w.staffB}, OnlineBookable: true})
	if err != nil {
		t.Fatal(err)
	}
	long := make([]rune, booking.MaxAnswerLen+1)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name string
		nb   booking.Request
		kind apperr.Kind
		key  string
	}{
		{"past", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: bookingNow.Add(-time.Hour)}, apperr.Invalid, "booking.error.past"},
		{"too soon", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: time.Date(2027, 1, 11, 9, 0, 1, 0, booking.Stockholm).Add(-time.Minute)}, apperr.Invalid, "booking.error.too_soon"},
		{"outside availability", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(13, 0)}, apperr.Invalid, "booking.error.outside_hours"},
		{"beyond horizon", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: bookingNow.AddDate(0, 0, 29).Add(3 * time.Hour)}, apperr.Invalid, "booking.error.beyond_horizon"},
		{"type not bookable online", booking.Request{TypeID: staffOnly, CounsellorID: w.world.staffA, Start: w.slot(9, 0)}, apperr.NotFound, "booking.error.type"},
		{"type of another kommun", booking.Request{TypeID: typeB, CounsellorID: w.staffB, Start: w.slot(9, 0)}, apperr.NotFound, "booking.error.type"},
		{"unknown type", booking.Request{TypeID: uuid.New(), CounsellorID: w.world.staffA, Start: w.slot(9, 0)}, apperr.NotFound, "booking.error.type"},
		{"counsellor not offering it", booking.Request{TypeID: w.typeA, CounsellorID: w.staffB, Start: w.slot(9, 0)}, apperr.Invalid, "booking.error.counsellor"},
		{"too many answers", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"a", "b"}}, apperr.Invalid, "booking.error.answers"},
		{"answer too long", booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{string(long)}}, apperr.Invalid, ""},
	}
	for _, tc := range cases {
		_, err := w.store.Book(ctx, tc.nb)
		if e := apperr.As(err); e == nil || e.Kind != tc.kind || (tc.key != "" && e.Key != tc.key) {
			t.Errorf("%s: got %v, want %v %s", tc.name, err, tc.kind, tc.key)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM app.booking`) + w.count(t, `SELECT count(*) FROM app.booking_intake`) +
		w.count(t, `SELECT count(*) FROM app.notice_outbox`); n != 0 {
		t.Fatalf("%d rows written by refused bookings", n)
	}
	// Staff cannot book on behalf of a youth, in their kommun or another.
	_, err = w.store.Book(w.staffA, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0)})
	wantKey(t, err, apperr.Forbidden, "")
}

func TestBookingRebookIsAtomicAndCancelRespectsCutOff(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	ctx := youthIn(w.a, w.youth)
	b, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"Skolan"}})
	if err != nil {
		t.Fatal(err)
	}
	other := w.newYouth(t, "Igelkotten")
	if _, err := w.store.Book(youthIn(w.a, other), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(11, 0)}); err != nil {
		t.Fatal(err)
	}
	// The new time is taken: the old booking stays as it was.
	_, err = w.store.Rebook(ctx, w.a.ID, b.ID, booking.Request{CounsellorID: w.world.staffA, Start: w.slot(10, 45)})
	wantKey(t, err, apperr.Conflict, "booking.error.taken")
	if got, err := w.store.MyBooking(ctx, w.a.ID, b.ID); err != nil || got.Status != "booked" || len(got.Answers) != 1 {
		t.Fatalf("old booking after failed rebook: %+v %v", got, err)
	}
	// A rebook overlapping the old time itself works: the old is released in the same transaction.
	nb, err := w.store.Rebook(ctx, w.a.ID, b.ID, booking.Request{CounsellorID: w.world.staffA, Start: w.slot(9, 30)})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w.store.MyBooking(ctx, w.a.ID, nb.ID); len(got.Answers) != 1 || got.Answers[0] != "Skolan" {
		t.Fatalf("answers did not move along: %+v", got)
	}
	if old, _ := w.store.MyBooking(ctx, w.a.ID, b.ID); old.Status != "cancelled" {
		t.Fatalf("old booking: %+v", old)
	}
	if n := w.count(t, `SELECT count(*) FROM app.booking_intake WHERE booking_id = $1`, b.ID); n != 0 {
		t.Fatal("the cancelled booking kept its answers")
	}
	// Past the cut-off (2 hours by default) the youth can no longer cancel.
	late := w.store
	late.Now = func() time.Time { return w.slot(8, 0) }
	wantKey(t, late.Cancel(ctx, w.a.ID, nb.ID, ""), apperr.Conflict, "booking.error.cut_off")
	if err := w.store.Cancel(ctx, w.a.ID, nb.ID, ""); err != nil {
		t.Fatal(err)
	}
	wantKey(t, w.store.Cancel(ctx, w.a.ID, nb.ID, ""), apperr.Conflict, "booking.error.already_cancelled")
}

func TestBookingCrossKommunAndOtherYouthRefused(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	b, err := w.store.Book(youthIn(w.a, w.youth), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// Another youth cannot see or cancel it by id.
	other := youthIn(w.a, w.newYouth(t, "Uttern"))
	_, err = w.store.MyBooking(other, w.a.ID, b.ID)
	wantKey(t, err, apperr.NotFound, "")
	wantKey(t, w.store.Cancel(other, w.a.ID, b.ID, ""), apperr.NotFound, "")
	if mine, _ := w.store.MyBookings(other); len(mine) != 0 {
		t.Fatalf("another youth sees %v", mine)
	}
	// A counsellor of kommun B sees nothing of A and cannot change it.
	staffB := staffCtx(w.b, w.staffB)
	_, err = w.store.BookingDetail(staffB, b.ID)
	wantKey(t, err, apperr.NotFound, "")
	wantKey(t, w.store.Cancel(staffB, w.a.ID, b.ID, "Sjuk"), apperr.NotFound, "")
	wantKey(t, w.store.Cancel(staffB, w.b.ID, b.ID, "Sjuk"), apperr.NotFound, "")
	cal, err := w.store.Calendar(staffB, uuid.Nil, bookingNow, bookingNow.AddDate(0, 0, 7))
	if err != nil || len(cal) != 0 {
		t.Fatalf("B's calendar: %v %v", cal, err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.booking WHERE status = 'booked'`); n != 1 {
		t.Fatal("the booking changed")
	}
	// A's counsellor sees it on the calendar and may cancel it with a reason; the youth gets a neutral notice.
	cal, err = w.store.Calendar(w.staffA, uuid.Nil, bookingNow, bookingNow.AddDate(0, 0, 7))
	if err != nil || len(cal) != 1 || cal[0].Answers != nil {
		t.Fatalf("A's calendar: %+v %v", cal, err)
	}
	wantKey(t, w.store.Cancel(w.staffA, w.a.ID, b.ID, ""), apperr.Invalid, "")
	if err := w.store.Cancel(w.staffA, w.a.ID, b.ID, "Kuratorn är sjuk"); err != nil {
		t.Fatal(err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'booking_cancelled' AND payload::text NOT LIKE '%sjuk%'`, w.youth); n != 2 {
		t.Fatalf("cancellation notices: %d", n)
	}
}

func TestP14_CounsellorReadingABookingWritesTheAccessLog(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	b, err := w.store.Book(youthIn(w.a, w.youth), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"Hemma"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read'`); n != 0 {
		t.Fatal("logged before any read")
	}
	d, err := w.store.BookingDetail(w.staffA, b.ID)
	if err != nil || d.Username != "Ekorren" || len(d.Answers) != 1 {
		t.Fatalf("detail %+v %v", d, err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.access_log WHERE action = 'booking.read' AND subject_username = 'Ekorren'
		AND actor_id = $1 AND actor_role = 'counsellor' AND kommun_id = $2`, w.world.staffA, w.a.ID); n != 1 {
		t.Fatalf("access-log entries: %d", n)
	}
}

func TestP18_IntakeAnswersDeletedAfterTheAppointmentOrCancellation(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	ctx := youthIn(w.a, w.youth)
	past, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"Ett"}})
	if err != nil {
		t.Fatal(err)
	}
	future, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(11, 0), Answers: []string{"Två"}})
	if err != nil {
		t.Fatal(err)
	}
	system := tenant.WithActing(context.Background(), tenant.System().ForKommun(w.a.ID))
	// 10:00: the first appointment (09:00–09:45) has taken place, the second not.
	n, err := w.store.DeleteIntakeAnswers(system, w.slot(10, 0), 100)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d %v", n, err)
	}
	if w.count(t, `SELECT count(*) FROM app.booking_intake WHERE booking_id = $1`, past.ID) != 0 ||
		w.count(t, `SELECT count(*) FROM app.booking_intake WHERE booking_id = $1`, future.ID) != 1 {
		t.Fatal("wrong answers deleted")
	}
	// Cancelling deletes the answers at once.
	if err := w.store.Cancel(ctx, w.a.ID, future.ID, ""); err != nil {
		t.Fatal(err)
	}
	if w.count(t, `SELECT count(*) FROM app.booking_intake`) != 0 {
		t.Fatal("answers of a cancelled booking remain")
	}
}

func TestBookingRetentionUnlinkOngoingCaseAndAccountDeletion(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	ctx := youthIn(w.a, w.youth)
	b, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	system := tenant.WithActing(context.Background(), tenant.System())
	if on, err := w.store.HasOngoingCase(system, w.youth, bookingNow); err != nil || !on {
		t.Fatalf("a future booking is an ongoing case: %v %v", on, err)
	}
	if on, _ := w.store.HasOngoingCase(system, w.youth, w.slot(10, 0)); on {
		t.Fatal("a past booking is no ongoing case")
	}
	inA := tenant.WithActing(context.Background(), tenant.System().ForKommun(w.a.ID))
	if n, err := w.store.UnlinkPastBookings(inA, w.slot(10, 0).AddDate(0, 0, 29), 100); err != nil || n != 0 {
		t.Fatalf("unlinked %d before 30 days: %v", n, err)
	}
	if n, err := w.store.UnlinkPastBookings(inA, w.slot(10, 0).AddDate(0, 0, 31), 100); err != nil || n != 1 {
		t.Fatalf("unlinked %d after 30 days: %v", n, err)
	}
	if w.count(t, `SELECT count(*) FROM app.booking WHERE id = $1 AND account_id IS NULL`, b.ID) != 1 {
		t.Fatal("the anonymous fact of the visit must stay")
	}
	// Account deletion cancels future bookings.
	f, err := w.store.Book(ctx, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(11, 0), Answers: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.DeleteAccount(youthCtx(w.youth), w.youth, w.store); err != nil {
		t.Fatal(err)
	}
	if w.count(t, `SELECT count(*) FROM app.booking WHERE id = $1 AND status = 'cancelled' AND account_id IS NULL`, f.ID) != 1 ||
		w.count(t, `SELECT count(*) FROM app.booking_intake WHERE booking_id = $1`, f.ID) != 0 {
		t.Fatal("account deletion left the future booking")
	}
}

func TestBookingStaffMoveIsAtomicAndNotifies(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	b, err := w.store.Book(youthIn(w.a, w.youth), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0), Answers: []string{"Familjen"}})
	if err != nil {
		t.Fatal(err)
	}
	to := booking.Request{CounsellorID: w.world.staffA, Start: w.slot(10, 0)}
	_, err = w.store.Move(staffCtx(w.b, w.staffB), w.a.ID, b.ID, to, "Krock")
	wantKey(t, err, apperr.NotFound, "")
	_, err = w.store.Move(w.staffA, w.a.ID, b.ID, to, "")
	wantKey(t, err, apperr.Invalid, "")
	_, err = w.store.Move(w.staffA, w.a.ID, b.ID, booking.Request{CounsellorID: w.world.staffA, Start: w.slot(13, 0)}, "Krock")
	wantKey(t, err, apperr.Invalid, "booking.error.outside_hours")
	if w.count(t, `SELECT count(*) FROM app.booking WHERE id = $1 AND status = 'booked'`, b.ID) != 1 {
		t.Fatal("a refused move released the old time")
	}
	nb, err := w.store.Move(w.staffA, w.a.ID, b.ID, to, "Krock")
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.store.MyBooking(youthIn(w.a, w.youth), w.a.ID, nb.ID)
	if err != nil || !got.Start.Equal(w.slot(10, 0)) || len(got.Answers) != 1 {
		t.Fatalf("moved booking: %+v %v", got, err)
	}
	if n := w.count(t, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'booking_changed' AND payload::text NOT LIKE '%Krock%'`, w.youth); n != 2 {
		t.Fatalf("change notices: %d", n)
	}
}
