package outbox_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/mail"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/outbox"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/queue/queuetest"
	"github.com/storsthlm/mottagning/internal/sms"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/internal/worker"
)

const baseURL = "https://ungdomsmottagning.storsthlm.example"

// harness is the whole pipeline on real services: PostgreSQL, Redis and
// Asynq, the real twilio-go client against a fake Twilio, go-mail against
// an in-process SMTP server.
type harness struct {
	db     *postgres.DB
	d      testenv.Database
	admin  *pgx.Conn
	twilio *fakeTwilio
	smtp   *fakeSMTP
	opt    asynq.RedisConnOpt
	prefix string
	h      *outbox.Handler
	hc     *http.Client // Twilio's HTTP client
}

func newHarness(t testing.TB, opt asynq.RedisConnOpt) *harness {
	t.Helper()
	db, d := testenv.DB(t)
	tw, hc := newFakeTwilio(t)
	hc.Timeout = time.Second
	sm := newFakeSMTP(t)
	ts, err := sms.NewTwilio(sms.Config{AccountSID: "AC123", AuthToken: "tok", Region: "ie1", Edge: "dublin",
		From: "Ungdomsmott", HTTPClient: hc, StatusCallback: baseURL + "/api/v1/notify/twilio/status"})
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitHostPort(t, sm.addr)
	ms, err := mail.New(mail.Config{Host: host, Port: port, From: "Ungdomsmottagningen <noreply@mottagning.example>",
		TLS: mail.TLSStartTLS, TLSConfig: sm.tls, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if opt == nil {
		opt = queuetest.RedisOpt(t)
	}
	m, _ := outbox.NewMetrics(nil)
	return &harness{db: db, d: d, admin: testenv.Admin(t, d), twilio: tw, smtp: sm, opt: opt, prefix: queuetest.Prefix(t, opt),
		h: &outbox.Handler{Store: db, Senders: map[notify.Channel]notify.Sender{notify.SMS: ts.Notices(), notify.Email: ms},
			BaseURL: baseURL, Lease: 2 * time.Second, Metrics: m}, hc: hc}
}

func splitHostPort(t testing.TB, addr string) (string, int) {
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscan(addr[i+1:], &port); err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// run starts the relay and an Asynq worker until the returned stop is
// called (or the test ends).
func (h *harness) run(t testing.TB) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	client := asynq.NewClient(h.opt)
	relay := &outbox.Relay{Store: h.db, Client: client, ConnURL: h.d.AppURL, Queue: h.prefix + queue.QueueCritical,
		Poll: 200 * time.Millisecond}
	srv := worker.New(h.opt, worker.Config{Concurrency: 20, Queues: queue.Queues(h.prefix), ShutdownTimeout: 300 * time.Millisecond}, nil)
	srv.Handle(outbox.TypeSend, h.h)
	done := make(chan struct{}, 2)
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	go func() { _ = srv.Run(ctx); done <- struct{}{} }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		<-done
		client.Close()
	}
	t.Cleanup(stop)
	return stop
}

type acct struct {
	phone, email     string
	phoneOK, emailOK bool // verified
	smsOn, emailOn   bool // consent
	restricted       bool
	lang             string
}

func (h *harness) account(t testing.TB, a acct) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if a.lang == "" {
		a.lang = "sv"
	}
	ctx := context.Background()
	_, err := h.admin.Exec(ctx, `INSERT INTO app.account (id, username, username_key, password_hash, language, phone, phone_verified_at,
		email, email_verified_at, restricted_at)
		VALUES ($1, $2, $2, 'x', $3, nullif($4, ''), CASE WHEN $5 THEN now() END, nullif($6, ''), CASE WHEN $7 THEN now() END,
		        CASE WHEN $8 THEN now() END)`,
		id, "u"+strings.ReplaceAll(id.String(), "-", "")[:20], a.lang, a.phone, a.phoneOK, a.email, a.emailOK, a.restricted)
	if err != nil {
		t.Fatal(err)
	}
	for ch, on := range map[string]bool{"sms": a.smsOn, "email": a.emailOn} {
		if on {
			if _, err := h.admin.Exec(ctx, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, $2, '2026-1')`, id, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	return id
}

// queue queues kind for the account on both channels, as the system, and
// returns the notices by channel.
func (h *harness) queue(t testing.TB, id uuid.UUID, kind notify.Kind, due time.Time) map[notify.Channel]notify.Notice {
	t.Helper()
	out := map[notify.Channel]notify.Notice{}
	var ns []notify.Notice
	for _, ch := range notify.Channels {
		n := notify.New(id, kind, ch, notify.Payload{At: time.Now().Add(48 * time.Hour)}, due)
		out[ch] = n
		ns = append(ns, n)
	}
	if err := h.db.QueueNotice(tenant.WithActing(context.Background(), tenant.System()), ns...); err != nil {
		t.Fatal(err)
	}
	return out
}

type row struct {
	Status, Reason, Provider, Delivery string
	Attempts                           int
}

func (h *harness) row(t testing.TB, id uuid.UUID) row {
	t.Helper()
	var r row
	if err := h.admin.QueryRow(context.Background(), `SELECT status, coalesce(reason, ''), coalesce(provider_id, ''),
		coalesce(delivery_status, ''), attempts FROM app.notice_outbox WHERE id = $1`, id).
		Scan(&r.Status, &r.Reason, &r.Provider, &r.Delivery, &r.Attempts); err != nil {
		t.Fatal(err)
	}
	return r
}

// settled waits until no notice in the outbox is pending or sending.
func (h *harness) settled(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := h.admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_outbox WHERE status IN ('pending', 'sending')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notices still unsent after %v", n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestP12_OptInRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.run(t)
	// Both contacts verified, but only e-mail switched on.
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, email: "ung@example.se", emailOK: true, emailOn: true})
	ns := h.queue(t, id, notify.KindNewMessage, time.Time{})
	h.settled(t, 15*time.Second)
	if r := h.row(t, ns[notify.SMS].ID); r.Status != "dropped" || r.Reason != notify.ReasonNoConsent {
		t.Fatalf("SMS without consent: %+v; want dropped for no_consent", r)
	}
	if n := len(h.twilio.messages()); n != 0 {
		t.Fatalf("%d SMS sent without consent", n)
	}
	r := h.row(t, ns[notify.Email].ID)
	if r.Status != "sent" || r.Provider != "<"+notify.MessageID(ns[notify.Email].ID, "127.0.0.1")+">" {
		t.Fatalf("e-mail with consent: %+v", r)
	}
	msgs := h.smtp.messages()
	if len(msgs) != 1 || msgs[0].To != "ung@example.se" || !strings.Contains(msgs[0].Data, "Ungdomsmottagningen") ||
		!strings.Contains(msgs[0].Data, "Message-ID: <"+ns[notify.Email].ID.String()) {
		t.Fatalf("e-mail: %+v", msgs)
	}
}

func TestP12_WithdrawalStopsQueuedNotice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true, email: "ung@example.se", emailOK: true, emailOn: true})
	// Queued while the youth had notices on; the worker is not running yet.
	ns := h.queue(t, id, notify.KindBookingReminder, time.Time{})
	// The youth switches SMS off on Min profil before it goes out.
	youth := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: id})
	if _, err := h.db.UpdateProfile(youth, id, account.ProfileUpdate{Phone: "+46701234567", Email: "ung@example.se",
		Language: "sv", SMSNotices: false, EmailNotices: true}); err != nil {
		t.Fatal(err)
	}
	h.run(t)
	h.settled(t, 15*time.Second)
	if r := h.row(t, ns[notify.SMS].ID); r.Status != "dropped" || r.Reason != notify.ReasonNoConsent {
		t.Fatalf("withdrawn SMS: %+v; want dropped for no_consent", r)
	}
	if n := len(h.twilio.messages()); n != 0 {
		t.Fatalf("%d SMS sent after consent was withdrawn", n)
	}
	if r := h.row(t, ns[notify.Email].ID); r.Status != "sent" {
		t.Fatalf("e-mail still on: %+v", r)
	}
}

func TestP12_VerificationRequired(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.run(t)
	id := h.account(t, acct{phone: "+46701234567", smsOn: true})
	ns := h.queue(t, id, notify.KindBookingConfirmed, time.Time{})
	h.settled(t, 15*time.Second)
	if r := h.row(t, ns[notify.SMS].ID); r.Status != "dropped" || r.Reason != notify.ReasonUnverified {
		t.Fatalf("unverified number: %+v; want dropped for unverified", r)
	}
	if n := len(h.twilio.messages()); n != 0 {
		t.Fatalf("%d SMS sent to an unverified number", n)
	}
	// Once verified, the next notice goes out.
	if _, err := h.admin.Exec(context.Background(), `UPDATE app.account SET phone_verified_at = now() WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	ns = h.queue(t, id, notify.KindBookingConfirmed, time.Time{})
	h.settled(t, 15*time.Second)
	r := h.row(t, ns[notify.SMS].ID)
	msgs := h.twilio.messages()
	if r.Status != "sent" || len(msgs) != 1 || r.Provider != msgs[0].SID || msgs[0].To != "+46701234567" {
		t.Fatalf("verified number: %+v, %+v", r, msgs)
	}
	if !strings.HasPrefix(msgs[0].Body, "Ungdomsmottagningen: Din tid ") || !strings.Contains(msgs[0].Body, baseURL) ||
		!notify.OneSegment(msgs[0].Body) {
		t.Fatalf("SMS text %q", msgs[0].Body)
	}
}

// TestP27_RestrictedOrDeletedAccountGetsNoNotice: a restricted account and
// one deleted after the notice was queued get nothing; both are recorded.
func TestP27_RestrictedOrDeletedAccountGetsNoNotice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	full := acct{phone: "+46701234567", phoneOK: true, smsOn: true, email: "ung@example.se", emailOK: true, emailOn: true}
	restricted := full
	restricted.restricted = true
	rid := h.account(t, restricted)
	did := h.account(t, full)
	rn := h.queue(t, rid, notify.KindNewMessage, time.Time{})
	dn := h.queue(t, did, notify.KindNewMessage, time.Time{})
	if _, err := h.admin.Exec(context.Background(), `DELETE FROM app.account WHERE id = $1`, did); err != nil {
		t.Fatal(err)
	}
	h.run(t)
	h.settled(t, 15*time.Second)
	for _, ch := range notify.Channels {
		if r := h.row(t, rn[ch].ID); r.Status != "dropped" || r.Reason != notify.ReasonRestricted {
			t.Errorf("restricted %s: %+v", ch, r)
		}
		if r := h.row(t, dn[ch].ID); r.Status != "dropped" || r.Reason != notify.ReasonAccountDeleted {
			t.Errorf("deleted %s: %+v", ch, r)
		}
	}
	if len(h.twilio.messages())+len(h.smtp.messages()) != 0 {
		t.Fatal("a notice went to a restricted or deleted account")
	}
}

func TestPermanentFailureMarksContactUndeliverable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.run(t)
	id := h.account(t, acct{phone: "+46700000000", phoneOK: true, smsOn: true, email: "finnsinte@example.se", emailOK: true, emailOn: true})
	ns := h.queue(t, id, notify.KindNewMessage, time.Time{})
	h.settled(t, 15*time.Second)
	for _, ch := range notify.Channels {
		if r := h.row(t, ns[ch].ID); r.Status != "failed" || r.Reason != "permanent" || r.Attempts != 1 {
			t.Errorf("%s: %+v; want failed permanently after one attempt", ch, r)
		}
	}
	var phoneBad, emailBad bool
	if err := h.admin.QueryRow(context.Background(), `SELECT phone_undeliverable_at IS NOT NULL, email_undeliverable_at IS NOT NULL
		FROM app.account WHERE id = $1`, id).Scan(&phoneBad, &emailBad); err != nil {
		t.Fatal(err)
	}
	if !phoneBad || !emailBad {
		t.Fatalf("undeliverable marks: phone %v, e-mail %v", phoneBad, emailBad)
	}
}

func TestOutbox_FutureNoticeWaitsUntilDue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.run(t)
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	ns := h.queue(t, id, notify.KindBookingReminder, time.Now().Add(1500*time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	if r := h.row(t, ns[notify.SMS].ID); r.Status != "pending" {
		t.Fatalf("before due: %+v", r)
	}
	h.settled(t, 15*time.Second)
	if r := h.row(t, ns[notify.SMS].ID); r.Status != "sent" {
		t.Fatalf("after due: %+v", r)
	}
}

// TestOutbox_RedisDownLosesNothing: with Redis stopped, 1,000 notices are
// committed; when Redis is back every one is delivered exactly once.
func TestOutbox_RedisDownLosesNothing(t *testing.T) {
	t.Parallel()
	rs := testenv.NewPrivateRedis(t)
	opt := asynq.RedisClientOpt{Addr: rs.Addr()}
	h := newHarness(t, opt)
	rs.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := asynq.NewClient(opt)
	defer client.Close()
	relay := &outbox.Relay{Store: h.db, Client: client, ConnURL: h.d.AppURL, Queue: h.prefix + queue.QueueCritical, Poll: 200 * time.Millisecond}
	relayDone := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(relayDone) }()

	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	sys := tenant.WithActing(context.Background(), tenant.System())
	const total = 1000
	for i := 0; i < total; i += 100 {
		ns := make([]notify.Notice, 100)
		for j := range ns {
			ns[j] = notify.New(id, notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})
		}
		if err := h.db.QueueNotice(sys, ns...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // the relay tries (and fails) meanwhile
	var waiting int
	if err := h.admin.QueryRow(ctx, `SELECT count(*) FROM app.notice_outbox WHERE status = 'pending' AND enqueued_at IS NULL`).Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if waiting != total {
		t.Fatalf("%d of %d notices waiting while Redis is down", waiting, total)
	}

	rs.Start()
	srv := worker.New(opt, worker.Config{Concurrency: 20, Queues: queue.Queues(h.prefix), ShutdownTimeout: time.Second}, nil)
	srv.Handle(outbox.TypeSend, h.h)
	srvDone := make(chan struct{})
	go func() { _ = srv.Run(ctx); close(srvDone) }()
	h.settled(t, 90*time.Second)
	cancel()
	<-relayDone
	<-srvDone

	msgs := h.twilio.messages()
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.Body] {
			t.Fatalf("the same notice was sent twice: %q", m.Body)
		}
		seen[m.Body] = true
	}
	var sent int
	if err := h.admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_outbox WHERE status = 'sent'`).Scan(&sent); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != total || sent != total {
		t.Fatalf("%d SMS sent, %d rows sent; want %d each", len(msgs), sent, total)
	}
}

// TestOutbox_WorkerKilledMidSend: the worker stops while Twilio has taken
// the message but not answered; the restarted worker finds the message
// among those Twilio accepted instead of sending it again.
func TestOutbox_WorkerKilledMidSend(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var held atomic.Bool
	h.twilio.hold = func() bool {
		if held.Swap(true) {
			return false
		}
		arrived <- struct{}{}
		<-release
		return true // the answer is lost
	}
	// The provider's timeout outlasts the worker's shutdown, so the attempt
	// is still in flight when the worker dies; the lease outlasts both.
	h.hc.Timeout, h.h.Lease = 4*time.Second, 5*time.Second
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	stop := h.run(t)
	ns := h.queue(t, id, notify.KindBookingReminder, time.Time{})
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the SMS never reached Twilio")
	}
	stop() // the worker dies mid-send; Asynq puts the task back
	h.run(t)
	time.Sleep(300 * time.Millisecond)
	close(release) // the dead attempt's answer never arrives
	h.settled(t, 30*time.Second)
	msgs := h.twilio.messages()
	r := h.row(t, ns[notify.SMS].ID)
	if len(msgs) != 1 || r.Status != "sent" || r.Provider != msgs[0].SID || r.Attempts != 2 {
		t.Fatalf("after a kill mid-send: %d SMS, row %+v; want exactly one, recorded as sent", len(msgs), r)
	}
}

// TestOutbox_NoticeCommitsWithItsChange: a notice queued inside a
// feature's transaction exists exactly when that transaction commits.
func TestOutbox_NoticeCommitsWithItsChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	staff := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorStaff, KommunID: uuid.New(), AccountID: uuid.New()})
	n := notify.New(id, notify.KindBookingCancelled, notify.SMS, notify.Payload{At: time.Now()}, time.Time{})
	boom := fmt.Errorf("the booking change failed")
	err := h.db.InTx(staff, func(ctx context.Context, q postgres.Querier) error {
		if err := h.db.QueueNotice(ctx, n); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx: %v", err)
	}
	var count int
	_ = h.admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_outbox`).Scan(&count)
	if count != 0 {
		t.Fatalf("%d notices left by a rolled-back change", count)
	}
	if err := h.db.InTx(staff, func(ctx context.Context, q postgres.Querier) error { return h.db.QueueNotice(ctx, n) }); err != nil {
		t.Fatal(err)
	}
	if r := h.row(t, n.ID); r.Status != "pending" {
		t.Fatalf("committed notice: %+v", r)
	}
	// A youth may queue only for themself.
	youth := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: uuid.New()})
	if err := h.db.QueueNotice(youth, notify.New(id, notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})); err == nil {
		t.Fatal("a youth queued a notice for another account")
	}
}

func TestOutbox_PurgeKeepsOpenAndRecentNotices(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	old := h.queue(t, id, notify.KindNewMessage, time.Time{})
	recent := h.queue(t, id, notify.KindNewMessage, time.Time{})
	open := h.queue(t, id, notify.KindNewMessage, time.Time{})
	ctx := context.Background()
	for _, n := range old {
		if _, err := h.admin.Exec(ctx, `UPDATE app.notice_outbox SET status = 'sent', updated_at = now() - interval '31 days' WHERE id = $1`, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range recent {
		if _, err := h.admin.Exec(ctx, `UPDATE app.notice_outbox SET status = 'dropped' WHERE id = $1`, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range open {
		if _, err := h.admin.Exec(ctx, `UPDATE app.notice_outbox SET updated_at = now() - interval '40 days' WHERE id = $1`, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := (&outbox.PurgeHandler{Store: h.db}).ProcessTask(ctx, asynq.NewTask(outbox.TypePurge, nil)); err != nil {
		t.Fatal(err)
	}
	var left int
	_ = h.admin.QueryRow(ctx, `SELECT count(*) FROM app.notice_outbox`).Scan(&left)
	if left != 4 {
		t.Fatalf("%d notices left; want the 2 recent and the 2 open ones", left)
	}
}

func TestOutbox_Metrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	reg := prometheus.NewRegistry()
	m, err := outbox.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h.h.Metrics = m
	id := h.account(t, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	h.queue(t, id, notify.KindNewMessage, time.Time{}) // SMS sent, e-mail dropped (no contact)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := asynq.NewClient(h.opt)
	defer client.Close()
	relay := &outbox.Relay{Store: h.db, Client: client, Queue: h.prefix + queue.QueueCritical, Poll: 100 * time.Millisecond, Metrics: m}
	go func() { _ = relay.Run(ctx) }()
	h.run(t)
	h.settled(t, 15*time.Second)
	time.Sleep(300 * time.Millisecond) // one more relay round updates the depth
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			switch {
			case mt.GetCounter() != nil:
				got[f.GetName()] += mt.GetCounter().GetValue()
			case mt.GetGauge() != nil:
				got[f.GetName()] = mt.GetGauge().GetValue()
			case mt.GetHistogram() != nil:
				got[f.GetName()] += float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	if got["mottagning_notices_sent_total"] != 1 || got["mottagning_notices_dropped_total"] != 1 ||
		got["mottagning_notice_commit_to_provider_seconds"] != 1 || got["mottagning_outbox_depth"] != 0 {
		t.Fatalf("metrics %v", got)
	}
	if _, ok := got["mottagning_outbox_oldest_unsent_seconds"]; !ok {
		t.Fatal("no age of the oldest unsent notice")
	}
}
