package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/httpapi"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/worker"
)

// TypeRetention is the task type of every retention job; the payload names
// the job.
const TypeRetention = "retention:run"

// retentionPayload is the payload of a retention task.
type retentionPayload struct {
	Job string `json:"job"`
}

// retentionJobs is the registry with the stores of db. The warning before
// deletion goes to the notification outbox (db.WarnBeforeDeletion), in the
// transaction that records it. No feature registers ongoing cases yet
// (chat and booking add theirs to Cases, and their deletion hooks to
// NewRetentionStore).
func (a *appCtx) retentionJobs(db *postgres.DB) []retention.Job {
	chat, bk := db.ChatStore(), db.BookingStore()
	d := postgres.NewRetentionStore(db, chat, bk).RetentionDeps()
	d.SessionIdle = a.cfg.SessionIdle
	d.Chat, d.Cases = chat, append(d.Cases, chat, bk)
	d.Intake, d.Booking = bk, bk
	d.Warner = db
	return retention.Jobs(d)
}

// startRetention registers the retention task handler on srv.
func (a *appCtx) startRetention(ctx context.Context, g *errgroup.Group, srv *worker.Server, db *postgres.DB) error {
	r, err := retention.NewRunner(a.retentionJobs(db), db, db, time.Now, a.log, a.reg)
	if err != nil {
		return err
	}
	srv.Handle(TypeRetention, retentionHandler(r))
	return nil
}

// retentionHandler decodes the job name and runs it. An unknown job fails
// for good; a failed run is retried by Asynq.
func retentionHandler(r *retention.Runner) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p retentionPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.Job == "" {
			return fmt.Errorf("retention: bad payload: %w", asynq.SkipRetry)
		}
		id, _ := asynq.GetTaskID(ctx)
		if id == "" {
			return fmt.Errorf("retention %s: no task id: %w", p.Job, asynq.SkipRetry)
		}
		err := r.Run(ctx, p.Job, id)
		if apperr.Is(err, apperr.NotFound) {
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	})
}

// retentionPeriodic lists the periodic tasks of retention: one per
// registered job that exists (slots are not scheduled).
func (a *appCtx) retentionPeriodic() []queue.Periodic {
	var db *postgres.DB // only the jobs' names and schedules are read
	d := postgres.NewRetentionStore(nil).RetentionDeps()
	d.Chat = db.ChatStore()
	d.Intake, d.Booking = db.BookingStore(), db.BookingStore()
	return retentionPeriodicOf(retention.Jobs(d), "")
}

func retentionPeriodicOf(jobs []retention.Job, prefix string) []queue.Periodic {
	var out []queue.Periodic
	for _, j := range jobs {
		if j.Pending() {
			continue
		}
		payload, _ := json.Marshal(retentionPayload{Job: j.Name})
		out = append(out, queue.Periodic{Name: j.Name, Spec: j.Schedule, TaskType: TypeRetention, Payload: payload,
			Queue: prefix + queue.QueueRetention, Timeout: 30 * time.Minute, MaxRetry: 3})
	}
	return out
}

// jobRunner returns what the platform's job page needs in serve: the
// registry and "run now", which enqueues the job's periodic task once.
// The lead passes it as httpapi.Deps.Jobs in startServe.
func (a *appCtx) jobRunner(db *postgres.DB) (httpapi.JobRunner, error) {
	opt, err := queue.NewRedisOpt(a.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	client := queue.NewClient(opt)
	a.closers = append(a.closers, func() { client.Close() })
	jobs := a.retentionJobs(db)
	s, err := queue.NewScheduler(client, retentionPeriodicOf(jobs, ""), time.Now, a.log, nil)
	if err != nil {
		return nil, err
	}
	return jobRunner{jobs: jobs, sched: s}, nil
}

type jobRunner struct {
	jobs  []retention.Job
	sched *queue.Scheduler
}

func (r jobRunner) Jobs() []retention.Job { return r.jobs }

func (r jobRunner) RunNow(ctx context.Context, name string) error {
	return r.sched.EnqueueNow(ctx, name)
}
