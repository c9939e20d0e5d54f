package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// reminders returns the due times of the youth's pending reminders, one
// per channel, and how many of theirs were withdrawn.
func (w bookingWorld) reminders(t *testing.T, youth uuid.UUID) (due []time.Time, dropped int) {
	t.Helper()
	rows, err := testenv.Admin(t, w.dbinfo).Query(context.Background(), `SELECT due_at FROM app.notice_outbox
		WHERE account_id = $1 AND kind = 'booking_reminder' AND status = 'pending' ORDER BY due_at`, youth)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d time.Time
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		due = append(due, d)
	}
	dropped = w.count(t, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'booking_reminder'
		AND status = 'dropped' AND reason = 'booking_changed' AND payload = '{}'`, youth)
	return due, dropped
}

func wantDue(t *testing.T, due []time.Time, at time.Time) {
	t.Helper()
	if len(due) != 2 || !due[0].Equal(at) || !due[1].Equal(at) {
		t.Fatalf("pending reminders due %v, want one per channel due %v", due, at)
	}
}

func TestBookingReminderQueuedWithdrawnAndMoved(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	youth := youthIn(w.a, w.youth)

	// Tuesday 09:00 is 26 hours away: reminded on Monday at 09:00.
	b, err := w.store.Book(youth, booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	due, _ := w.reminders(t, w.youth)
	wantDue(t, due, w.slot(9, 0).Add(-24*time.Hour))

	// A counsellor moves it to Wednesday 10:00: the old reminder is
	// withdrawn, the new one falls due on Tuesday at 10:00.
	nb, err := w.store.Move(w.staffA, w.a.ID, b.ID, booking.Request{CounsellorID: w.world.staffA, Start: w.slot(10, 0).AddDate(0, 0, 1)}, "Krock")
	if err != nil {
		t.Fatal(err)
	}
	due, dropped := w.reminders(t, w.youth)
	wantDue(t, due, w.slot(10, 0))
	if dropped != 2 {
		t.Fatalf("withdrawn after the move: %d, want 2", dropped)
	}

	// The youth rebooks it to Tuesday 11:00, then cancels: nothing is left
	// to send, and the relay finds nothing even once the time has come.
	rb, err := w.store.Rebook(youth, w.a.ID, nb.ID, booking.Request{CounsellorID: w.world.staffA, Start: w.slot(11, 0)})
	if err != nil {
		t.Fatal(err)
	}
	due, _ = w.reminders(t, w.youth)
	wantDue(t, due, w.slot(11, 0).Add(-24*time.Hour))
	if err := w.store.Cancel(youth, w.a.ID, rb.ID, ""); err != nil {
		t.Fatal(err)
	}
	due, dropped = w.reminders(t, w.youth)
	if len(due) != 0 || dropped != 6 {
		t.Fatalf("after cancel: pending %v, withdrawn %d", due, dropped)
	}
	if _, err := testenv.Admin(t, w.dbinfo).Exec(context.Background(),
		`UPDATE app.notice_outbox SET due_at = now() - interval '1 minute' WHERE account_id = $1`, w.youth); err != nil {
		t.Fatal(err)
	}
	ids, err := w.db.DueNotices(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if w.count(t, `SELECT count(*) FROM app.notice_outbox WHERE id = $1 AND kind = 'booking_reminder'`, id) != 0 {
			t.Fatal("the relay picked up a withdrawn reminder")
		}
	}

	// A reminder still due goes through the send-time decision like every
	// notice (P12): this youth has given no contact nor consent, so it is
	// dropped, not sent.
	other := w.newYouth(t, "Igelkotten")
	ob, err := w.store.Book(youthIn(w.a, other), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0).AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var reminder uuid.UUID
	if err := testenv.Admin(t, w.dbinfo).QueryRow(context.Background(), `SELECT id FROM app.notice_outbox
		WHERE account_id = $1 AND kind = 'booking_reminder' AND channel = 'sms'`, other).Scan(&reminder); err != nil {
		t.Fatal(err)
	}
	st, err := w.db.StartNoticeSend(context.Background(), reminder, time.Minute)
	if err != nil || st.Step != postgres.StepDropped || st.Notice.Payload.Booking != ob.ID || !st.Notice.Payload.At.Equal(ob.Start) {
		t.Fatalf("send-time decision on a reminder: %+v %v", st, err)
	}

	// A booking less than 24 hours away gets no reminder (Monday 10:00).
	other = w.newYouth(t, "Bävern")
	if _, err := w.store.Book(youthIn(w.a, other), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA,
		Start: w.slot(10, 0).AddDate(0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	if due, _ := w.reminders(t, other); len(due) != 0 {
		t.Fatalf("reminder for a booking 3 hours away: %v", due)
	}
}

func TestBookingReminderWithdrawnOnlyByThoseWhoMayChangeTheBooking(t *testing.T) {
	t.Parallel()
	w := newBookingWorld(t)
	b, err := w.store.Book(youthIn(w.a, w.youth), booking.Request{TypeID: w.typeA, CounsellorID: w.world.staffA, Start: w.slot(9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	stranger := w.newYouth(t, "Rävungen")
	for name, ctx := range map[string]context.Context{
		"staff of another kommun": staffCtx(w.b, w.staffB),
		"another youth":           youthIn(w.a, stranger),
	} {
		err := w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
			_, err := q.Exec(ctx, `SELECT app.booking_reminder_drop($1, $2)`, w.a.ID, b.ID)
			return err
		})
		if err != nil {
			t.Fatal(name, err)
		}
		due, dropped := w.reminders(t, w.youth)
		if len(due) != 2 || dropped != 0 {
			t.Fatalf("%s withdrew the reminder: pending %v, withdrawn %d", name, due, dropped)
		}
	}
}
