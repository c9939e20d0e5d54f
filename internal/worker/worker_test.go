package worker_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/queue/queuetest"
	"github.com/storsthlm/mottagning/internal/worker"
)

// memRecorder is a goroutine-safe HeartbeatRecorder in memory.
type memRecorder struct {
	mu  sync.Mutex
	ids []string
}

func (r *memRecorder) RecordHeartbeat(_ context.Context, taskID string, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, taskID)
	return nil
}

func (r *memRecorder) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// run starts fn in a goroutine and returns a stop function that cancels
// its context and returns its error once it has returned. The test stops it
// at the latest when it ends.
func run(t *testing.T, fn func(context.Context) error) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestHeartbeatEndToEnd(t *testing.T) {
	t.Parallel()
	opt := queuetest.RedisOpt(t)
	prefix := queuetest.Prefix(t, opt)

	rec := &memRecorder{}
	srv := worker.New(opt, worker.Config{Concurrency: 2, Queues: queue.Queues(prefix)}, testLogger(t))
	srv.Handle(worker.TypeHeartbeat, worker.NewHeartbeatHandler(rec, time.Now))
	run(t, srv.Run)

	client := queue.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	hb := worker.HeartbeatPeriodic(prefix + queue.QueueDefault)
	hb.Spec = "@every 1s"
	sched, err := queue.NewScheduler(client, []queue.Periodic{hb}, time.Now, testLogger(t), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run(t, sched.Run)

	var ids []string
	for deadline := time.Now().Add(5 * time.Second); len(ids) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		ids = rec.recorded()
	}
	if len(ids) == 0 {
		t.Fatal("no heartbeat recorded within 5s")
	}
	m := regexp.MustCompile(`^heartbeat:(\d+)$`).FindStringSubmatch(ids[0])
	if m == nil {
		t.Fatalf("task id %q, want heartbeat:<unix seconds>", ids[0])
	}
	tick, _ := strconv.ParseInt(m[1], 10, 64)
	if tick <= start.Unix() || tick > time.Now().Unix() {
		t.Errorf("task id %q names tick %d, want one after the start at %d and not in the future",
			ids[0], tick, start.Unix())
	}
}

func TestHeartbeatWithoutTaskIDFailsPermanently(t *testing.T) {
	t.Parallel()
	h := worker.NewHeartbeatHandler(&memRecorder{}, nil)
	err := h.ProcessTask(context.Background(), asynq.NewTask(worker.TypeHeartbeat, nil))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("ProcessTask without a task id = %v, want asynq.SkipRetry", err)
	}
}

func TestShutdownWaitsForTaskInProgress(t *testing.T) {
	t.Parallel()
	opt := queuetest.RedisOpt(t)
	prefix := queuetest.Prefix(t, opt)
	q := prefix + queue.QueueDefault

	started := make(chan struct{})
	var finished time.Time // written by the handler before Run returns
	srv := worker.New(opt, worker.Config{Concurrency: 1, Queues: queue.Queues(prefix),
		ShutdownTimeout: 5 * time.Second}, testLogger(t))
	srv.Handle("test:slow", asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		close(started)
		select {
		case <-time.After(500 * time.Millisecond):
			finished = time.Now()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	stop := run(t, srv.Run)

	client := queue.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	const id = "slow-1"
	if _, err := client.Enqueue(asynq.NewTask("test:slow", nil), asynq.Queue(q),
		asynq.TaskID(id), asynq.MaxRetry(3), asynq.Retention(time.Minute)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("task not started within 5s")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	returned := time.Now()
	if finished.IsZero() || finished.After(returned) {
		t.Fatalf("Run returned at %v before the task finished (%v)", returned, finished)
	}

	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { insp.Close() })
	info, err := insp.GetTaskInfo(q, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != asynq.TaskStateCompleted || info.Retried != 0 {
		t.Errorf("task state %v after %d retries, want completed after 0", info.State, info.Retried)
	}
}
