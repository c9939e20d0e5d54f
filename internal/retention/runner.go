package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Outcome is how a run ended.
type Outcome string

// The outcomes of a run. Skipped: another run of the same job and kommun
// was in progress, so this one did nothing.
const (
	OutcomeOK      Outcome = "ok"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped"
)

// RunStore records runs and keeps two runs of one job and kommun apart.
type RunStore interface {
	// StartRun records that the run taskID of job began at at for kommunID
	// (uuid.Nil: the platform) and returns its id; a retry of the same
	// task id reuses the record and counts the attempt.
	StartRun(ctx context.Context, job, taskID string, kommunID uuid.UUID, at time.Time) (int64, error)
	// FinishRun records the end of run id.
	FinishRun(ctx context.Context, id int64, at time.Time, rows int64, outcome Outcome, errText string) error
	// TryLock takes the lock of job for kommunID without waiting. ok is
	// false when another run holds it; release frees it.
	TryLock(ctx context.Context, job string, kommunID uuid.UUID) (release func(), ok bool, err error)
}

// KommunLister lists the kommuner a per-kommun job walks through.
type KommunLister interface {
	Kommuner(ctx context.Context) ([]tenant.Kommun, error)
}

// Runner runs registered jobs, recording each run and its metrics.
type Runner struct {
	jobs     map[string]Job
	order    []Job
	runs     RunStore
	kommuner KommunLister
	clock    Clock
	log      *slog.Logger
	m        metrics
}

// NewRunner returns a Runner over jobs. Metrics are registered on reg (nil:
// not registered), reusing ones already there. It returns an error for an
// invalid registry or a metrics clash. A nil clock is time.Now.
func NewRunner(jobs []Job, runs RunStore, kommuner KommunLister, clock Clock, log *slog.Logger, reg prometheus.Registerer) (*Runner, error) {
	if err := Validate(jobs); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	r := &Runner{jobs: map[string]Job{}, runs: runs, kommuner: kommuner, clock: clock, log: log, m: m}
	for _, j := range jobs {
		r.jobs[j.Name] = j
		r.order = append(r.order, j)
	}
	return r, nil
}

// Jobs returns the registered jobs in registry order.
func (r *Runner) Jobs() []Job { return append([]Job(nil), r.order...) }

// Run runs job name as task taskID: once for the platform, or once per
// kommun with that kommun's context. A kommun whose run fails does not
// stop the others. It returns NotFound for an unknown name or a slot, and
// the failures joined (to be retried) otherwise.
func (r *Runner) Run(ctx context.Context, name, taskID string) error {
	j, ok := r.jobs[name]
	if !ok || j.Pending() {
		return apperr.E(apperr.NotFound, "error.jobs.unknown", fmt.Errorf("retention: no runnable job %q", name))
	}
	if j.Scope == ScopePlatform {
		return r.runOne(ctx, j, taskID, uuid.Nil)
	}
	ks, err := r.kommuner.Kommuner(tenant.WithActing(ctx, tenant.System()))
	if err != nil {
		return fmt.Errorf("retention %s: list kommuner: %w", name, err)
	}
	var errs []error
	for _, k := range ks {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs = append(errs, r.runOne(ctx, j, taskID, k.ID))
	}
	return errors.Join(errs...)
}

// runOne runs j for one kommun (or the platform) under its lock.
func (r *Runner) runOne(ctx context.Context, j Job, taskID string, kommunID uuid.UUID) (err error) {
	acting := tenant.System()
	if kommunID != uuid.Nil {
		acting = acting.ForKommun(kommunID)
	}
	ctx = tenant.WithActing(ctx, acting)
	start := r.clock()
	id, err := r.runs.StartRun(ctx, j.Name, taskID, kommunID, start)
	if err != nil {
		return fmt.Errorf("retention %s: record start: %w", j.Name, err)
	}
	release, locked, err := r.runs.TryLock(ctx, j.Name, kommunID)
	if err != nil {
		return r.finish(ctx, j, id, start, 0, err)
	}
	if !locked {
		r.m.observe(j.Name, OutcomeSkipped, 0)
		return r.runs.FinishRun(ctx, id, r.clock(), 0, OutcomeSkipped, "")
	}
	defer release()
	began := time.Now()
	rows, runErr := j.Run(ctx, start)
	r.m.duration.WithLabelValues(j.Name, string(outcomeOf(runErr))).Observe(time.Since(began).Seconds())
	return r.finish(ctx, j, id, start, rows, runErr)
}

func outcomeOf(err error) Outcome {
	if err != nil {
		return OutcomeFailed
	}
	return OutcomeOK
}

// finish records the end of a run. The error text is kept short and holds
// no personal data (stores' errors name ids at most).
func (r *Runner) finish(ctx context.Context, j Job, id int64, start time.Time, rows int64, runErr error) error {
	outcome, text := outcomeOf(runErr), ""
	if runErr != nil {
		text = runErr.Error()
		if len(text) > 500 {
			text = text[:500]
		}
		r.log.ErrorContext(ctx, "retention job failed", "job", j.Name, "kommun", tenant.ActingFrom(ctx).KommunID.String(), "err", runErr)
	}
	r.m.observe(j.Name, outcome, rows)
	// The record must be written even when the job ran out of time.
	if err := r.runs.FinishRun(context.WithoutCancel(ctx), id, r.clock(), rows, outcome, text); err != nil {
		return errors.Join(runErr, fmt.Errorf("retention %s: record end: %w", j.Name, err))
	}
	if runErr != nil {
		return fmt.Errorf("retention %s: %w", j.Name, runErr)
	}
	r.log.InfoContext(ctx, "retention job done", "job", j.Name, "rows", rows, "since_start", r.clock().Sub(start))
	return nil
}

// metrics are the job metrics: runs and rows per job and outcome, and run
// durations.
type metrics struct {
	runs     *prometheus.CounterVec
	rows     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func (m metrics) observe(job string, o Outcome, rows int64) {
	m.runs.WithLabelValues(job, string(o)).Inc()
	if rows > 0 {
		m.rows.WithLabelValues(job).Add(float64(rows))
	}
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mottagning_retention_runs_total",
			Help: "Retention job runs (per kommun for kommun jobs), by job and outcome."}, []string{"job", "outcome"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mottagning_retention_rows_total",
			Help: "Rows (for the access log: partitions) removed by retention jobs."}, []string{"job"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mottagning_retention_run_seconds",
			Help: "Duration of retention job runs.", Buckets: prometheus.ExponentialBuckets(0.01, 4, 8)}, []string{"job", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.runs, err = register(reg, m.runs); err != nil {
		return metrics{}, err
	}
	if m.rows, err = register(reg, m.rows); err != nil {
		return metrics{}, err
	}
	m.duration, err = register(reg, m.duration)
	return m, err
}

// register registers c on reg, or returns the collector of the same
// description already there.
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(T); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("retention: register metrics: %w", err)
}
