package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// BenchmarkP18_PurgeChat1MWhileBooking is issue 8's chat benchmark: the
// chat safety net (the retention job chat_safety_net, batches of
// retention.BatchSize through ChatStore.PurgeEnded) deletes 1,000,000
// messages of ended conversations while youth book at a steady rate
// through BookingStore.Book. Goals: done in under 60 s, every batch under
// 100 ms, booking p99 during the purge at most 1.5 times its idle value.
//
// The messages (10,000 conversations of 100, interleaved in time as real
// chats are) are written with INSERT ... SELECT generate_series through the
// administrative connection; the conversations are then marked ended
// without the purge that ending does (a crash between the two: the case the
// safety net exists for). Bookings are open-loop: one is due every
// 1/bookingRate s whatever the others are doing, and its latency counts
// from when it was due. Run it with
//
//	go test -run '^$' -bench P18_PurgeChat -benchtime 1x ./internal/postgres/
func BenchmarkP18_PurgeChat1MWhileBooking(b *testing.B) {
	r := runPurgeWhileBooking(b, purgeScenario{conversations: 10_000, perConversation: 100, idle: 15 * time.Second, bookingRate: 20})
	b.ReportMetric(r.total.Seconds(), "purge-s")
	b.ReportMetric(float64(r.batches), "batches")
	b.ReportMetric(ms(r.batchMax), "batch-max-ms")
	b.ReportMetric(ms(r.batchP99), "batch-p99-ms")
	b.ReportMetric(ms(r.idleP50), "book-idle-p50-ms")
	b.ReportMetric(ms(r.idleP99), "book-idle-p99-ms")
	b.ReportMetric(ms(r.duringP50), "book-purge-p50-ms")
	b.ReportMetric(ms(r.duringP99), "book-purge-p99-ms")
	b.ReportMetric(float64(r.duringP99)/float64(r.idleP99), "p99-ratio")
	b.Logf("%d messages in %d batches, %v; batches p50 %v p99 %v max %v (batch %d), %d over 100 ms; bookings idle %d p50 %v p99 %v, during purge %d p50 %v p99 %v",
		r.purged, r.batches, r.total, r.batchP50, r.batchP99, r.batchMax, r.slowest, r.over100, r.idleN, r.idleP50, r.idleP99, r.duringN, r.duringP50, r.duringP99)
}

// TestP18_SafetyNetPurgesWhileBookingsAreMade runs the benchmark's scenario
// small, so it cannot rot: every message of the ended conversations is
// gone and every booking made meanwhile succeeded.
func TestP18_SafetyNetPurgesWhileBookingsAreMade(t *testing.T) {
	t.Parallel()
	r := runPurgeWhileBooking(t, purgeScenario{conversations: 30, perConversation: 100, idle: 200 * time.Millisecond, bookingRate: 20})
	if r.purged < 3000 || r.batches < 4 {
		t.Fatalf("purged %d rows in %d batches; want the 3,000 messages and 30 answers in at least 4 batches", r.purged, r.batches)
	}
	if r.idleN == 0 || r.duringN == 0 {
		t.Fatalf("bookings: %d idle, %d during the purge; want some of each", r.idleN, r.duringN)
	}
}

type purgeScenario struct {
	conversations, perConversation int
	idle                           time.Duration // bookings alone before the purge starts
	bookingRate                    int           // bookings per second
}

type purgeResult struct {
	purged, batches                     int64
	total, batchP50, batchMax, batchP99 time.Duration
	slowest, over100                    int
	idleN, duringN                      int
	idleP50, idleP99                    time.Duration
	duringP50, duringP99                time.Duration
}

// runPurgeWhileBooking seeds the ended conversations, books alone for
// s.idle, then runs the chat safety net as the job does while booking on,
// and checks that nothing of the conversations is left and no booking
// failed.
func runPurgeWhileBooking(tb testing.TB, s purgeScenario) purgeResult {
	tb.Helper()
	w := bookingWorld{world: newWorld(tb)}
	w.store = w.db.BookingStore()
	w.store.Now = func() time.Time { return bookingNow }
	next := bookableSlots(tb, w, 10)
	youths := make([]uuid.UUID, 20)
	for i := range youths {
		youths[i] = w.newYouth(tb, fmt.Sprintf("Uttern%d", i))
	}
	book := func(i int) error {
		counsellor, typeID, start := next(i)
		_, err := w.store.Book(youthIn(w.a, youths[i%len(youths)]), booking.Request{TypeID: typeID, CounsellorID: counsellor, Start: start})
		return err
	}

	admin := testenv.Admin(tb, w.dbinfo)
	seedEndedChats(tb, w, s.conversations, s.perConversation)
	if tb, ok := tb.(*testing.B); ok {
		tb.ResetTimer()
	}

	var r purgeResult
	load := startBooking(book, s.bookingRate)
	time.Sleep(s.idle)
	idle := load.mark()

	timed := &timedPurger{ChatPurger: w.db.ChatStore()}
	d := postgres.NewRetentionStore(w.db).RetentionDeps()
	d.Chat = timed
	job := retention.Jobs(d)[slices.IndexFunc(retention.Jobs(d), func(j retention.Job) bool { return j.Name == retention.JobChat })]
	start := time.Now()
	purged, err := job.Run(tenant.WithActing(context.Background(), tenant.System().ForKommun(w.a.ID)), time.Now())
	r.total = time.Since(start)
	during, failed := load.stop()
	if err != nil {
		tb.Fatalf("chat safety net: %v", err)
	}
	if failed != nil {
		tb.Fatalf("booking during the purge: %v", failed)
	}
	var left int
	if err := admin.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM app.chat_message) + (SELECT count(*) FROM app.chat_answer)`).Scan(&left); err != nil || left != 0 {
		tb.Fatalf("after the purge %d messages and answers are left (%v); want none", left, err)
	}
	r.purged, r.batches = purged, int64(len(timed.durs))
	r.batchP50, r.batchMax, r.batchP99 = pct(timed.durs, 50), slices.Max(timed.durs), pct(timed.durs, 99)
	r.slowest = slices.Index(timed.durs, r.batchMax) + 1
	for _, d := range timed.durs {
		if d > 100*time.Millisecond {
			r.over100++
		}
	}
	r.idleN, r.idleP50, r.idleP99 = len(idle), pct(idle, 50), pct(idle, 99)
	r.duringN, r.duringP50, r.duringP99 = len(during), pct(during, 50), pct(during, 99)
	return r
}

// bookableSlots gives n counsellors of kommun a 08-20 every day for 28
// days and a 15-minute type they all offer, and returns the i-th distinct
// bookable time (about 13,000 of them).
func bookableSlots(tb testing.TB, w bookingWorld, n int) func(i int) (uuid.UUID, uuid.UUID, time.Time) {
	tb.Helper()
	admin := staffCtx(w.a, w.world.staffA)
	var week booking.Week
	for d := range week {
		week[d] = []booking.Interval{{Start: 8 * 60, End: 20 * 60}}
	}
	cs := []uuid.UUID{w.world.staffA}
	for i := 1; i < n; i++ {
		cs = append(cs, w.addStaff(tb, w.a, fmt.Sprintf("k%d@nacka.example", i), "counsellor"))
	}
	for _, c := range cs {
		if err := w.store.SaveAvailability(admin, booking.Availability{CounsellorID: c, Week: week, HorizonDays: 28, HolidaysOpen: true}); err != nil {
			tb.Fatal(err)
		}
	}
	typeID, err := w.store.SaveType(admin, booking.AppointmentType{Name: "Samtal", Mode: booking.ModePhone, Duration: 15 * time.Minute,
		Counsellors: cs, OnlineBookable: true})
	if err != nil {
		tb.Fatal(err)
	}
	const perDay = 12 * 4
	return func(i int) (uuid.UUID, uuid.UUID, time.Time) {
		slot := i / len(cs)
		day := time.Date(bookingNow.Year(), bookingNow.Month(), bookingNow.Day()+1+slot/perDay, 8, 0, 0, 0, booking.Stockholm)
		return cs[i%len(cs)], typeID, day.Add(time.Duration(slot%perDay) * 15 * time.Minute)
	}
}

// seedEndedChats writes conversations of kommun a with their pre-chat
// answers and perConversation messages each, interleaved as live chats
// are, then ends them without purging, and leaves the tables analysed and
// checkpointed as a running database would have them.
func seedEndedChats(tb testing.TB, w bookingWorld, conversations, perConversation int) {
	tb.Helper()
	ctx := context.Background()
	admin := testenv.Admin(tb, w.dbinfo)
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO app.chat_conversation (kommun_id, id, token_hash, status, counsellor_id, picked_up_at)
			SELECT $1, gen_random_uuid(), sha256(convert_to('bench' || g, 'UTF8')), 'active', $2, now()
			FROM generate_series(1, $3::int) g`, []any{w.a.ID, w.world.staffA, conversations}},
		{`INSERT INTO app.chat_answer (kommun_id, conversation_id, age_range, topic)
			SELECT kommun_id, id, '16-19', 'feelings' FROM app.chat_conversation WHERE kommun_id = $1`, []any{w.a.ID}},
		{`INSERT INTO app.chat_message (kommun_id, conversation_id, sender, staff_id, body, at)
			SELECT c.kommun_id, c.id, CASE WHEN g % 2 = 0 THEN 'youth' ELSE 'staff' END, CASE WHEN g % 2 = 1 THEN $2::uuid END,
			       'Hej! Jag har funderat länge på hur jag ska säga det här, men nu skriver jag ändå. Meddelande ' || g,
			       now() - interval '1 hour' + g * interval '20 seconds'
			FROM generate_series(1, $3::int) g CROSS JOIN app.chat_conversation c WHERE c.kommun_id = $1
			ORDER BY g, c.id`, []any{w.a.ID, w.world.staffA, perConversation}},
		// Ended, but the purge that ending runs in the same transaction never happened.
		{`UPDATE app.chat_conversation SET status = 'ended', ended_at = now(), ended_by = 'youth', token_hash = NULL
			WHERE kommun_id = $1`, []any{w.a.ID}},
	} {
		if _, err := admin.Exec(ctx, st.sql, st.args...); err != nil {
			tb.Fatalf("seed chats: %v", err)
		}
	}
	for _, stmt := range []string{`VACUUM ANALYZE app.chat_conversation, app.chat_answer, app.chat_message`, `CHECKPOINT`} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
}

// timedPurger times each PurgeEnded batch of the job.
type timedPurger struct {
	retention.ChatPurger
	durs []time.Duration
}

func (p *timedPurger) PurgeEnded(ctx context.Context, now time.Time, limit int) (int64, error) {
	start := time.Now()
	n, err := p.ChatPurger.PurgeEnded(ctx, now, limit)
	p.durs = append(p.durs, time.Since(start))
	return n, err
}

// openLoop calls a function at a constant rate, each call in its own
// goroutine when it falls due, whatever the earlier ones are doing, and
// records each call's latency from when it was due (so a stall shows as
// the wait of every call behind it, not as fewer calls).
type openLoop struct {
	mu      sync.Mutex
	lat     []time.Duration
	err     error
	done    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup
}

func startBooking(call func(i int) error, perSecond int) *openLoop {
	l := &openLoop{done: make(chan struct{}), stopped: make(chan struct{})}
	interval := time.Second / time.Duration(perSecond)
	go func() {
		defer close(l.stopped)
		start := time.Now()
		for i := 0; ; i++ {
			due := start.Add(time.Duration(i) * interval)
			select {
			case <-l.done:
				return
			case <-time.After(time.Until(due)):
			}
			l.wg.Go(func() {
				err := call(i)
				took := time.Since(due)
				l.mu.Lock()
				defer l.mu.Unlock()
				l.lat = append(l.lat, took)
				if err != nil && l.err == nil {
					l.err = fmt.Errorf("call %d: %w", i, err)
				}
			})
		}
	}()
	return l
}

// mark returns the latencies recorded so far and starts a new series.
func (l *openLoop) mark() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lat := l.lat
	l.lat = nil
	return lat
}

// stop waits for the calls under way and returns the latencies since the
// last mark and the first error.
func (l *openLoop) stop() ([]time.Duration, error) {
	close(l.done)
	<-l.stopped
	l.wg.Wait()
	return l.mark(), l.err
}

// pct returns the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
