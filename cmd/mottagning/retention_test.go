package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/queue/queuetest"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/internal/worker"
)

func TestRetentionPeriodicSchedulesEveryRunnableJob(t *testing.T) {
	t.Parallel()
	a := &appCtx{}
	tasks := a.retentionPeriodic()
	if _, err := queue.NewScheduler(queue.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}), tasks, nil, nil, nil); err != nil {
		t.Fatalf("the retention schedules do not parse: %v", err)
	}
	names := map[string]bool{}
	for _, p := range tasks {
		names[p.Name] = true
		if p.Queue != queue.QueueRetention || p.MaxRetry < 1 {
			t.Errorf("%s: queue %q, %d retries; want the retention queue with retries", p.Name, p.Queue, p.MaxRetry)
		}
	}
	for _, want := range []string{retention.JobInactiveAccounts, retention.JobAccessLog, retention.JobSessions} {
		if !names[want] {
			t.Errorf("%s is not scheduled", want)
		}
	}
	if !names[retention.JobChat] {
		t.Error("the chat safety net (P18) is not scheduled")
	}
}

func TestRetentionHandlerRefusesBadPayloadForGood(t *testing.T) {
	t.Parallel()
	r, err := retention.NewRunner(nil, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := retentionHandler(r)
	for _, payload := range []string{"", "{", `{"job":""}`} {
		if err := h.ProcessTask(context.Background(), asynq.NewTask(TypeRetention, []byte(payload))); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("payload %q: %v; want asynq.SkipRetry", payload, err)
		}
	}
}

// The whole path: a task on the retention queue reaches a worker, which
// runs the job and records it.
func TestRetentionTaskRunsThroughWorker(t *testing.T) {
	t.Parallel()
	db, info := testenv.DB(t)
	opt := queuetest.RedisOpt(t)
	prefix := queuetest.Prefix(t, opt)
	a := &appCtx{log: slog.New(slog.DiscardHandler)}
	jobs := a.retentionJobs(db)
	r, err := retention.NewRunner(jobs, db, db, time.Now, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	srv := worker.New(opt, worker.Config{Concurrency: 2, Queues: queue.Queues(prefix)}, nil)
	srv.Handle(TypeRetention, retentionHandler(r))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	client := queue.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	s, err := queue.NewScheduler(client, retentionPeriodicOf(jobs, prefix), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueNow(context.Background(), retention.JobSessions); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(context.Background(), info.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	waitFor(t, 10*time.Second, "the sessions run recorded", func() bool {
		var n int
		_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM app.job_run WHERE job = 'sessions' AND outcome = 'ok'`).Scan(&n)
		return n == 1
	})
}
