package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/storsthlm/mottagning/internal/queue"
)

// TypeHeartbeat is the task type of the heartbeat, a periodic task whose
// recorded runs prove that scheduler, Redis and worker all work.
const TypeHeartbeat = "platform:heartbeat"

// HeartbeatRecorder stores that a heartbeat ran.
type HeartbeatRecorder interface {
	// RecordHeartbeat records the run of task taskID at at. Recording the
	// same taskID twice (a retry) must not fail.
	RecordHeartbeat(ctx context.Context, taskID string, at time.Time) error
}

// HeartbeatPeriodic returns the heartbeat's periodic task, every minute on
// queue q. Its task ids are "heartbeat:<tick in unix seconds>".
func HeartbeatPeriodic(q string) queue.Periodic {
	return queue.Periodic{Name: "heartbeat", Spec: "@every 1m", TaskType: TypeHeartbeat,
		Queue: q, Timeout: 30 * time.Second}
}

// NewHeartbeatHandler returns the handler for TypeHeartbeat. It records the
// task id, which names the tick, at clock's time (nil: time.Now). It fails
// permanently if the task has no id and returns the recorder's error, to be
// retried, if recording fails.
func NewHeartbeatHandler(rec HeartbeatRecorder, clock func() time.Time) asynq.Handler {
	if clock == nil {
		clock = time.Now
	}
	return asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		id, ok := asynq.GetTaskID(ctx)
		if !ok || id == "" {
			return fmt.Errorf("worker.heartbeat: no task id: %w", asynq.SkipRetry)
		}
		if err := rec.RecordHeartbeat(ctx, id, clock()); err != nil {
			return fmt.Errorf("worker.heartbeat(%s): %w", id, err)
		}
		return nil
	})
}
