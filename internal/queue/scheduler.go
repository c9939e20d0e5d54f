package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Periodic describes a task enqueued on a schedule.
type Periodic struct {
	Name     string // unique, without ':'; the first part of every task id
	Spec     string // cron spec, seconds optional, or a descriptor such as "@every 1m"
	TaskType string
	Payload  []byte // the same for every run; a handler learns its tick from the task id
	Queue    string // full queue name; empty means QueueDefault
	Timeout  time.Duration
	// MaxRetry is how often a failed run is retried. Zero means never: the
	// next tick is the retry.
	MaxRetry int
}

// specParser accepts five or six fields (seconds optional) and descriptors.
var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// retryDelay is how long the scheduler waits before trying again to enqueue
// a tick that failed for a reason other than a conflict (Redis away).
const retryDelay = 5 * time.Second

type entry struct {
	Periodic
	sched cron.Schedule
}

// Scheduler enqueues periodic tasks with deterministic task ids
// "<name>:<tick in unix seconds>". Two schedulers (a rolling deploy, a
// mistake) compute the same ids, so the second enqueue of a tick fails with
// asynq.ErrTaskIDConflict, which counts as success. The finished task is kept
// for twice its period so a late second scheduler still conflicts.
//
// Ticks are computed in UTC unless the spec says CRON_TZ=...; "@every d" ticks
// fall on multiples of d since the Unix epoch, whenever the process started.
type Scheduler struct {
	client  *asynq.Client
	entries []entry
	clock   func() time.Time
	log     *slog.Logger
	m       metrics
}

// NewScheduler returns a Scheduler for tasks. It returns an error if a task
// has no name or type, a duplicate name, or a spec that does not parse or
// never fires. Metrics are registered on reg (nil: not registered); a nil
// clock means time.Now and a nil logger discards.
func NewScheduler(client *asynq.Client, tasks []Periodic, clock func() time.Time,
	logger *slog.Logger, reg prometheus.Registerer) (*Scheduler, error) {
	if client == nil {
		return nil, errors.New("queue.NewScheduler: nil client")
	}
	if clock == nil {
		clock = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{client: client, clock: clock, log: logger}
	seen := map[string]bool{}
	for _, p := range tasks {
		e, err := newEntry(p, clock())
		if err != nil {
			return nil, fmt.Errorf("queue.NewScheduler: %w", err)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("queue.NewScheduler: periodic task %q listed twice", p.Name)
		}
		seen[p.Name] = true
		s.entries = append(s.entries, e)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("queue.NewScheduler: %w", err)
	}
	s.m = m
	for _, e := range s.entries {
		s.m.init(e.Name)
	}
	return s, nil
}

func newEntry(p Periodic, now time.Time) (entry, error) {
	switch {
	case p.Name == "" || strings.Contains(p.Name, ":"):
		return entry{}, fmt.Errorf("periodic task name %q: must be non-empty and without ':'", p.Name)
	case p.TaskType == "":
		return entry{}, fmt.Errorf("periodic task %q: no task type", p.Name)
	case p.MaxRetry < 0 || p.Timeout < 0:
		return entry{}, fmt.Errorf("periodic task %q: negative MaxRetry or Timeout", p.Name)
	}
	sched, err := specParser.Parse(p.Spec)
	if err != nil {
		return entry{}, fmt.Errorf("periodic task %q: bad schedule %q: %w", p.Name, p.Spec, err)
	}
	if nextTick(sched, now).IsZero() {
		return entry{}, fmt.Errorf("periodic task %q: schedule %q never fires", p.Name, p.Spec)
	}
	if p.Queue == "" {
		p.Queue = QueueDefault
	}
	return entry{Periodic: p, sched: sched}, nil
}

// nextTick returns the first tick of sched strictly after t, or the zero
// time if there is none. Constant delays are aligned to the Unix epoch so
// that every scheduler, whenever it started, agrees on the ticks.
func nextTick(sched cron.Schedule, t time.Time) time.Time {
	t = t.UTC()
	if cd, ok := sched.(cron.ConstantDelaySchedule); ok {
		d := int64(cd.Delay / time.Second) // at least 1: cron.Every rounds up
		return time.Unix((t.Unix()/d+1)*d, 0).UTC()
	}
	return sched.Next(t)
}

// TaskID returns the id of the run of the periodic task name due at tick.
func TaskID(name string, tick time.Time) string {
	return name + ":" + strconv.FormatInt(tick.Unix(), 10)
}

// Run enqueues each task at each of its ticks until ctx is done, then
// returns nil. A tick missed while the process was stopped or asleep is
// skipped; a tick whose enqueue failed is retried every few seconds until
// the next tick is due.
func (s *Scheduler) Run(ctx context.Context) error {
	now := s.clock()
	due := make([]time.Time, len(s.entries))  // the tick to enqueue next
	wake := make([]time.Time, len(s.entries)) // when to try it
	for i, e := range s.entries {
		due[i] = nextTick(e.sched, now)
		wake[i] = due[i]
	}
	s.log.InfoContext(ctx, "scheduler started", "tasks", len(s.entries))
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		timer.Reset(s.untilEarliest(wake))
		select {
		case <-ctx.Done():
			s.log.InfoContext(ctx, "scheduler stopped")
			return nil
		case <-timer.C:
		}
		now := s.clock()
		for i, e := range s.entries {
			if wake[i].IsZero() || wake[i].After(now) {
				continue
			}
			due[i], wake[i] = s.fire(ctx, e, due[i], now)
		}
	}
}

// untilEarliest returns how long to sleep until the earliest wake time; an
// hour when there is none, to stay simple without special cases.
func (s *Scheduler) untilEarliest(wake []time.Time) time.Duration {
	var first time.Time
	for _, w := range wake {
		if !w.IsZero() && (first.IsZero() || w.Before(first)) {
			first = w
		}
	}
	if first.IsZero() {
		return time.Hour
	}
	return max(first.Sub(s.clock()), 0)
}

// fire enqueues the run of e due at tick and returns the next tick to
// enqueue and when to try it.
func (s *Scheduler) fire(ctx context.Context, e entry, tick, now time.Time) (due, wake time.Time) {
	following := nextTick(e.sched, now)
	err := s.enqueue(ctx, e, TaskID(e.Name, tick), retention(e.sched, tick))
	if err == nil || ctx.Err() != nil {
		return following, following
	}
	s.log.ErrorContext(ctx, "periodic task not enqueued", "task", e.Name,
		"tick", tick.Unix(), "err", err)
	if retry := now.Add(retryDelay); following.IsZero() || retry.Before(following) {
		return tick, retry
	}
	return following, following
}

// retention returns how long a finished run is kept: twice the time to the
// next tick, at least two minutes, so a late scheduler still conflicts.
func retention(sched cron.Schedule, tick time.Time) time.Duration {
	period := time.Minute
	if next := nextTick(sched, tick); !next.IsZero() {
		period = max(next.Sub(tick), time.Minute)
	}
	return 2 * period
}

// enqueue enqueues e with id. A conflict means another scheduler (or this
// one, retrying) got there first; it is counted and returns nil.
func (s *Scheduler) enqueue(ctx context.Context, e entry, id string, keep time.Duration) error {
	opts := []asynq.Option{asynq.TaskID(id), asynq.Queue(e.Queue),
		asynq.MaxRetry(e.MaxRetry), asynq.Retention(keep)}
	if e.Timeout > 0 {
		opts = append(opts, asynq.Timeout(e.Timeout))
	}
	_, err := s.client.EnqueueContext(ctx, asynq.NewTask(e.TaskType, e.Payload), opts...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		s.m.conflicts.WithLabelValues(e.Name).Inc()
		s.log.DebugContext(ctx, "periodic task already enqueued", "task", e.Name, "task_id", id)
		return nil
	case err != nil:
		s.m.errors.WithLabelValues(e.Name).Inc()
		return err
	}
	s.m.enqueued.WithLabelValues(e.Name).Inc()
	s.log.DebugContext(ctx, "periodic task enqueued", "task", e.Name, "task_id", id)
	return nil
}

// EnqueueNow enqueues one extra run of the periodic task name, for an
// administrator's "run now", with id "<name>:manual:<unix nanoseconds>". It
// returns an apperr.NotFound error for an unknown name and the Asynq error
// if the enqueue fails.
func (s *Scheduler) EnqueueNow(ctx context.Context, name string) error {
	for _, e := range s.entries {
		if e.Name != name {
			continue
		}
		now := s.clock()
		id := e.Name + ":manual:" + strconv.FormatInt(now.UnixNano(), 10)
		if err := s.enqueue(ctx, e, id, retention(e.sched, now)); err != nil {
			return fmt.Errorf("queue.EnqueueNow(%s): %w", name, err)
		}
		s.log.InfoContext(ctx, "periodic task enqueued by hand", "task", name, "task_id", id)
		return nil
	}
	return apperr.E(apperr.NotFound, "", fmt.Errorf("queue.EnqueueNow: no periodic task %q", name))
}
