// Package queue is the adapter around Asynq: Redis connection options, the
// client that enqueues tasks, the queue names and their priorities, and a
// Scheduler for periodic tasks whose deterministic task ids make a second
// scheduler harmless.
//
// Asynq has no key prefix, so isolation (tests, several environments on one
// Redis) comes from queue names: see Queues.
package queue

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/hibiken/asynq"
)

// Queue names, before any prefix. Critical is for notifications a person is
// waiting for, Retention for the periodic deletion jobs, Default for the rest.
const (
	QueueDefault   = "default"
	QueueCritical  = "critical"
	QueueRetention = "retention"
)

// Queues returns the queue names, each prefixed with prefix, mapped to their
// weighted priorities for asynq.Config.Queues. Production uses the empty
// prefix; tests use a unique one so they never see each other's tasks.
func Queues(prefix string) map[string]int {
	return map[string]int{
		prefix + QueueCritical:  6,
		prefix + QueueDefault:   3,
		prefix + QueueRetention: 1,
	}
}

// NewRedisOpt parses a Redis URL (redis://, rediss://, redis-socket:// or
// redis-sentinel://) into Asynq connection options. It returns an error,
// which never contains the password, when the URL cannot be parsed.
func NewRedisOpt(redisURL string) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		// url.Error repeats the whole URL, password included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("queue: invalid Redis URL: %w", err)
	}
	// Asynq drops the user name, which Redis ACLs need.
	if c, ok := opt.(asynq.RedisClientOpt); ok {
		if u, perr := url.Parse(redisURL); perr == nil && u.User != nil {
			c.Username = u.User.Username()
		}
		opt = c
	}
	return opt, nil
}

// NewClient returns an Asynq client over opt. It does not connect until the
// first enqueue; the caller closes it.
func NewClient(opt asynq.RedisConnOpt) *asynq.Client {
	return asynq.NewClient(opt)
}
