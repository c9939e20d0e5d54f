// Package outbox carries notices from the transactional outbox in
// PostgreSQL to the providers: the Relay moves due rows to Asynq (woken by
// LISTEN/NOTIFY, polling as the safety net) with the row id as task id, and
// the Handler takes the send-time decision and sends (P12).
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/postgres"
)

// TypeSend is the Asynq task type of one notice; its payload and task id
// are the outbox row id.
const TypeSend = "notify:send"

// TypePurge is the periodic task that deletes finished notices after
// Keep; its payload is empty.
const TypePurge = "notify:purge"

// Keep is how long a finished notice (sent, dropped or failed) is kept, for
// delivery reports and questions about it; then it is purged.
const Keep = 30 * 24 * time.Hour

// Channel is the PostgreSQL notification channel the outbox trigger uses.
const Channel = "notice_outbox"

// Store is what the relay and the handler need from the database.
type Store interface {
	DueNotices(ctx context.Context, limit int) ([]uuid.UUID, error)
	MarkEnqueued(ctx context.Context, ids []uuid.UUID) error
	OutboxStats(ctx context.Context) (int, time.Duration, error)
	StartNoticeSend(ctx context.Context, id uuid.UUID, lease time.Duration) (postgres.SendStart, error)
	NoticeSent(ctx context.Context, id uuid.UUID, providerID string) error
	NoticeAttemptFailed(ctx context.Context, id uuid.UUID) error
	NoticeFailed(ctx context.Context, id uuid.UUID, reason string, permanent bool, address string) error
	PurgeNotices(ctx context.Context, age time.Duration) (int64, error)
}

// PurgeHandler deletes finished notices older than Keep.
type PurgeHandler struct {
	Store Store
	Log   *slog.Logger
}

// ProcessTask implements asynq.Handler.
func (p *PurgeHandler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	n, err := p.Store.PurgeNotices(ctx, Keep)
	if err == nil && p.Log != nil {
		p.Log.Info("outbox: finished notices purged", "rows", n)
	}
	return err
}

// Metrics are the pipeline's Prometheus metrics.
type Metrics struct {
	depth   prometheus.Gauge
	oldest  prometheus.Gauge
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
	dropped *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewMetrics registers the metrics on reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		depth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mottagning_outbox_depth",
			Help: "Notices in the outbox not sent, dropped or failed yet."}),
		oldest: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mottagning_outbox_oldest_unsent_seconds",
			Help: "Age of the oldest notice not sent yet."}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mottagning_notices_sent_total",
			Help: "Notices accepted by the provider, per channel."}, []string{"channel"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mottagning_notice_failures_total",
			Help: "Failed send attempts, per channel and kind (transient or permanent)."}, []string{"channel", "kind"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mottagning_notices_dropped_total",
			Help: "Notices dropped at send time (P12), per reason."}, []string{"reason"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mottagning_notice_commit_to_provider_seconds",
			Help:    "Time from the outbox commit to the provider's acceptance.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}}, []string{"channel"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.depth, m.oldest, m.sent, m.failed, m.dropped, m.latency} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("outbox: metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Relay moves due notices from the outbox to Asynq.
type Relay struct {
	Store   Store
	Client  *asynq.Client
	ConnURL string // the runtime role's URL, for the LISTEN connection
	Queue   string
	Poll    time.Duration // safety-net polling interval; zero: 5 s
	Batch   int           // rows per round; zero: 500
	Metrics *Metrics
	Log     *slog.Logger
}

// Run relays until ctx is done. Neither PostgreSQL nor Redis being down
// stops it: it logs, waits and tries again; rows wait in the outbox.
func (r *Relay) Run(ctx context.Context) error {
	if r.Poll == 0 {
		r.Poll = 5 * time.Second
	}
	if r.Batch == 0 {
		r.Batch = 500
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	wake := make(chan struct{}, 1)
	if r.ConnURL != "" {
		go r.listen(ctx, wake)
	}
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		for {
			n, err := r.relayOnce(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.Log.Warn("outbox: relay round failed; rows wait in the outbox", "err", err)
				}
				break
			}
			if n < r.Batch {
				break
			}
		}
		r.updateStats(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-t.C:
		}
	}
}

// relayOnce enqueues one batch of due notices and returns how many.
func (r *Relay) relayOnce(ctx context.Context) (int, error) {
	ids, err := r.Store.DueNotices(ctx, r.Batch)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	done := make([]uuid.UUID, 0, len(ids))
	var enqErr error
	for _, id := range ids {
		_, err := r.Client.EnqueueContext(ctx, asynq.NewTask(TypeSend, []byte(id.String())),
			asynq.TaskID(id.String()), asynq.Queue(r.Queue), asynq.MaxRetry(MaxRetry), asynq.Retention(24*time.Hour))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			enqErr = err
			break
		}
		done = append(done, id)
	}
	if len(done) > 0 {
		if err := r.Store.MarkEnqueued(context.WithoutCancel(ctx), done); err != nil {
			return 0, err
		}
	}
	if enqErr != nil {
		return 0, fmt.Errorf("enqueue: %w", enqErr)
	}
	return len(done), nil
}

func (r *Relay) updateStats(ctx context.Context) {
	if r.Metrics == nil {
		return
	}
	depth, oldest, err := r.Store.OutboxStats(ctx)
	if err != nil {
		return
	}
	r.Metrics.depth.Set(float64(depth))
	r.Metrics.oldest.Set(oldest.Seconds())
}

// listen holds a dedicated connection that LISTENs on Channel and wakes
// the relay on every notification, reconnecting after a failure.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		r.Log.Warn("outbox: LISTEN connection lost; polling meanwhile", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, r.ConnURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	// Rows committed before LISTEN took effect are picked up by this wake.
	signal(wake)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal(wake)
	}
}

func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// MaxRetry is how often a notice is retried after a transient failure,
// with Asynq's exponential backoff (about a day in all).
const MaxRetry = 12

// Handler sends one notice per task.
type Handler struct {
	Store   Store
	Senders map[notify.Channel]notify.Sender // a channel without a sender is off
	BaseURL string
	// Lease is how long an attempt may be in flight before another may
	// assume it died; it must exceed the providers' timeouts. Zero: 60 s.
	Lease   time.Duration
	Metrics *Metrics
	Log     *slog.Logger
}

// ProcessTask implements asynq.Handler.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := uuid.ParseBytes(t.Payload())
	if err != nil {
		return fmt.Errorf("outbox: bad task payload: %v: %w", err, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	return h.Process(ctx, id, !ok || retried >= maxRetry)
}

// Process sends notice id once; last says no retry follows a failure.
func (h *Handler) Process(ctx context.Context, id uuid.UUID, last bool) error {
	lease := h.Lease
	if lease == 0 {
		lease = 60 * time.Second
	}
	s, err := h.Store.StartNoticeSend(ctx, id, lease)
	for err == nil && s.Step == postgres.StepBusy {
		// Another attempt is in flight (or died mid-send): wait for its
		// lease to run out rather than risk a second message.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lease / 4):
		}
		s, err = h.Store.StartNoticeSend(ctx, id, lease)
	}
	if err != nil {
		return err
	}
	ch := string(s.Notice.Channel)
	switch s.Step {
	case postgres.StepDone:
		return nil
	case postgres.StepDropped:
		h.dropped(s.Reason)
		return nil
	}
	sender := h.Senders[s.Notice.Channel]
	if sender == nil {
		h.dropped("channel_off")
		return h.Store.NoticeFailed(ctx, id, "channel_off", false, "")
	}
	to := s.Recipient.Address
	if s.Step == postgres.StepLookup {
		pid, found, err := sender.Lookup(ctx, to, s.Notice)
		if err != nil {
			_ = h.Store.NoticeAttemptFailed(context.WithoutCancel(ctx), id)
			return fmt.Errorf("outbox: look up earlier attempt: %w", err)
		}
		if found {
			return h.sent(ctx, s, pid)
		}
	}
	msg, err := notify.Render(s.Notice, s.Recipient.Language, h.BaseURL)
	if err != nil {
		_ = h.Store.NoticeFailed(ctx, id, "no_template", false, "")
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	pid, err := sender.Send(ctx, to, s.Notice, msg)
	bg := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		return h.sent(bg, s, pid)
	case errors.Is(err, notify.ErrPermanent):
		h.failed(ch, "permanent")
		if ferr := h.Store.NoticeFailed(bg, id, "permanent", true, to); ferr != nil {
			return ferr
		}
		if h.Log != nil {
			h.Log.Info("outbox: contact undeliverable", "notice", id.String(), "channel", ch)
		}
		return nil
	case last:
		h.failed(ch, "transient")
		if ferr := h.Store.NoticeFailed(bg, id, "gave_up", false, to); ferr != nil {
			return ferr
		}
		return fmt.Errorf("outbox: giving up: %w", err)
	default:
		h.failed(ch, "transient")
		if ferr := h.Store.NoticeAttemptFailed(bg, id); ferr != nil {
			return ferr
		}
		return err
	}
}

func (h *Handler) sent(ctx context.Context, s postgres.SendStart, pid string) error {
	if err := h.Store.NoticeSent(ctx, s.Notice.ID, pid); err != nil {
		return err
	}
	if h.Metrics != nil {
		ch := string(s.Notice.Channel)
		h.Metrics.sent.WithLabelValues(ch).Inc()
		start := s.CreatedAt
		if s.Notice.DueAt.After(start) {
			start = s.Notice.DueAt
		}
		h.Metrics.latency.WithLabelValues(ch).Observe(time.Since(start).Seconds())
	}
	return nil
}

func (h *Handler) dropped(reason string) {
	if h.Metrics != nil {
		h.Metrics.dropped.WithLabelValues(reason).Inc()
	}
}

func (h *Handler) failed(ch, kind string) {
	if h.Metrics != nil {
		h.Metrics.failed.WithLabelValues(ch, kind).Inc()
	}
}
