package queue_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/queue/queuetest"
	"github.com/storsthlm/mottagning/internal/worker"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// start runs fn until the test ends or the returned stop is called.
func start(t *testing.T, fn func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// counts counts executions per task id.
type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	id, _ := asynq.GetTaskID(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[id]++
	return nil
}

func (c *counts) snapshot() (perID map[string]int, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	perID = map[string]int{}
	for id, n := range c.n {
		perID[id] = n
		total += n
	}
	return perID, total
}

func counter(t *testing.T, reg *prometheus.Registry, name, task string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetName() == name && m.GetLabel()[0].GetValue() == task {
				return int(m.GetCounter().GetValue())
			}
		}
	}
	t.Fatalf("no metric %s{task=%q}", name, task)
	return 0
}

func TestTwoSchedulersEnqueueOnce(t *testing.T) {
	t.Parallel()
	opt := queuetest.RedisOpt(t)
	prefix := queuetest.Prefix(t, opt)

	executed := &counts{n: map[string]int{}}
	srv := worker.New(opt, worker.Config{Concurrency: 4, Queues: queue.Queues(prefix)}, testLogger(t))
	srv.Handle("test:beat", executed)
	start(t, srv.Run)

	client := queue.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	p := queue.Periodic{Name: "beat", Spec: "@every 1s", TaskType: "test:beat",
		Queue: prefix + queue.QueueDefault, Timeout: 5 * time.Second}
	// B's clock is 200ms behind, so B always comes second, as a late
	// scheduler would, sometimes after the worker has finished the task.
	clocks := []func() time.Time{time.Now, func() time.Time { return time.Now().Add(-200 * time.Millisecond) }}
	var regs []*prometheus.Registry
	var scheds []*queue.Scheduler
	for _, clock := range clocks {
		reg := prometheus.NewRegistry()
		s, err := queue.NewScheduler(client, []queue.Periodic{p}, clock, testLogger(t), reg)
		if err != nil {
			t.Fatal(err)
		}
		regs, scheds = append(regs, reg), append(scheds, s)
	}

	// Start half-way through a second and stop three seconds later: both
	// schedulers see the same three ticks, 300ms from either edge.
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(1500 * time.Millisecond).Sub(now))
	var stops []func()
	for _, s := range scheds {
		stops = append(stops, start(t, s.Run))
	}
	time.Sleep(3 * time.Second)
	for _, stop := range stops {
		stop()
	}

	enqueued, conflicts := 0, 0
	for _, reg := range regs {
		enqueued += counter(t, reg, "mottagning_scheduler_enqueued_total", "beat")
		conflicts += counter(t, reg, "mottagning_scheduler_conflicts_total", "beat")
	}
	perID, total := executed.snapshot()
	for deadline := time.Now().Add(5 * time.Second); total < enqueued && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		perID, total = executed.snapshot()
	}
	if enqueued != 3 || conflicts != 3 {
		t.Errorf("schedulers enqueued %d and conflicted %d times, want 3 and 3", enqueued, conflicts)
	}
	if total != enqueued || len(perID) != enqueued {
		t.Errorf("worker ran %d tasks with %d ids %v, want %d once each", total, len(perID), perID, enqueued)
	}
	for id, n := range perID {
		if n != 1 {
			t.Errorf("task %s ran %d times, want once", id, n)
		}
		// The finished task is retained, so a scheduler arriving even later
		// still conflicts.
		_, err := client.Enqueue(asynq.NewTask("test:beat", nil), asynq.TaskID(id), asynq.Queue(p.Queue))
		if !errors.Is(err, asynq.ErrTaskIDConflict) {
			t.Errorf("enqueueing finished task %s again = %v, want ErrTaskIDConflict", id, err)
		}
	}
}

func TestEnqueueNowAddsAManualRun(t *testing.T) {
	t.Parallel()
	opt := queuetest.RedisOpt(t)
	prefix := queuetest.Prefix(t, opt)
	client := queue.NewClient(opt)
	t.Cleanup(func() { client.Close() })
	q := prefix + queue.QueueRetention
	fixed := time.Unix(1_772_000_000, 123)
	p := queue.Periodic{Name: "purge", Spec: "0 3 * * *", TaskType: "test:purge", Queue: q}
	s, err := queue.NewScheduler(client, []queue.Periodic{p}, func() time.Time { return fixed }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}

	if err := s.EnqueueNow(context.Background(), "purge"); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { insp.Close() })
	info, err := insp.GetTaskInfo(q, "purge:manual:1772000000000000123")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != "test:purge" || info.State != asynq.TaskStatePending {
		t.Errorf("manual run is %s in state %v, want test:purge pending", info.Type, info.State)
	}
	if err := s.EnqueueNow(context.Background(), "nonesuch"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("EnqueueNow(unknown) = %v, want NotFound", err)
	}
}
