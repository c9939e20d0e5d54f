// Package queuetest gives tests a real Redis and queue names no other test
// uses, and removes everything under those names when the test ends.
package queuetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/storsthlm/mottagning/internal/queue"
)

// DefaultRedisURL is used when REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisOpt returns connection options for the Redis named by REDIS_URL. It
// fails the test if that Redis does not answer.
func RedisOpt(t testing.TB) asynq.RedisConnOpt {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = DefaultRedisURL
	}
	opt, err := queue.NewRedisOpt(u)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rc := opt.MakeRedisClient().(redis.UniversalClient)
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis at REDIS_URL (default %s) does not answer: %v", DefaultRedisURL, err)
	}
	return opt
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// Prefix returns a queue-name prefix unique to this test run, for
// queue.Queues and every task the test enqueues. When the test ends it
// deletes the queues queue.Queues(prefix) names, with their tasks and
// statistics. Stop servers that use them before then: Asynq will not delete
// a queue with a task in progress.
func Prefix(t testing.TB, opt asynq.RedisConnOpt) string {
	t.Helper()
	prefix := fmt.Sprintf("test-%s-%s-", unsafe.ReplaceAllString(t.Name(), "-"), rand.Text()[:8])
	t.Cleanup(func() {
		for q := range queue.Queues(prefix) {
			if err := deleteQueue(opt, q); err != nil {
				t.Errorf("cleaning up queue %s: %v", q, err)
			}
		}
	})
	return prefix
}

// deleteQueue removes the queue and every key under its name; Asynq's own
// DeleteQueue leaves completed tasks and counters behind.
func deleteQueue(opt asynq.RedisConnOpt, q string) error {
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	queues, err := insp.Queues()
	if err != nil {
		return err
	}
	if slices.Contains(queues, q) {
		if _, err := insp.DeleteAllCompletedTasks(q); err != nil {
			return err
		}
		if err := insp.DeleteQueue(q, true); err != nil {
			return err
		}
	}
	rc := opt.MakeRedisClient().(redis.UniversalClient)
	defer rc.Close()
	ctx := context.Background()
	iter := rc.Scan(ctx, 0, "asynq:{"+q+"}:*", 100).Iterator()
	for iter.Next(ctx) {
		if err := rc.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}
