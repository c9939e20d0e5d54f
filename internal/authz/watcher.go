package authz

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// publishTimeout bounds Update, which has no context of its own.
const publishTimeout = 2 * time.Second

// Watcher is a Casbin persist.Watcher over Redis pub/sub. Every instance
// subscribes to the same channel; a message carries the id of the instance
// that sent it, and an instance does not call its callback for its own.
// Messages lost while Redis is unreachable are covered by the periodic
// reload; after a reconnect the callback is also called once, in case a
// message was missed.
type Watcher struct {
	rdb      *redis.Client
	channel  string
	instance string
	ps       *redis.PubSub
	done     chan struct{}

	mu       sync.Mutex
	callback func(string)
}

var _ persist.Watcher = (*Watcher)(nil)

// NewWatcher subscribes to channel and returns the watcher once Redis has
// confirmed the subscription. It returns an error if Redis does not confirm
// within a few seconds; the caller may then run without a watcher and rely
// on the periodic reload.
func NewWatcher(rdb *redis.Client, channel string) (*Watcher, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ps := rdb.Subscribe(ctx, channel)
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("authz: subscribing to %s: %w", channel, err)
	}
	w := &Watcher{rdb: rdb, channel: channel, instance: uuid.NewString(), ps: ps, done: make(chan struct{})}
	go w.listen(ps.ChannelWithSubscriptions())
	return w, nil
}

// listen calls the callback for every message from another instance and
// after every resubscription, until the subscription is closed.
func (w *Watcher) listen(ch <-chan any) {
	defer close(w.done)
	for m := range ch {
		var payload string
		switch m := m.(type) {
		case *redis.Message:
			if m.Payload == w.instance {
				continue
			}
			payload = m.Payload
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			payload = "resubscribed"
		default:
			continue
		}
		w.mu.Lock()
		cb := w.callback
		w.mu.Unlock()
		if cb != nil {
			cb(payload)
		}
	}
}

// SetUpdateCallback sets the function called when another instance reports
// a change. It must not block. It never returns an error.
func (w *Watcher) SetUpdateCallback(cb func(string)) error {
	w.mu.Lock()
	w.callback = cb
	w.mu.Unlock()
	return nil
}

// Update tells the other instances to reload. It returns the publish error.
func (w *Watcher) Update() error {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	return w.Publish(ctx)
}

// Publish is Update with the caller's context.
func (w *Watcher) Publish(ctx context.Context) error {
	if err := w.rdb.Publish(ctx, w.channel, w.instance).Err(); err != nil {
		return fmt.Errorf("authz: publishing to %s: %w", w.channel, err)
	}
	return nil
}

// Close ends the subscription; once it returns the callback is not called
// again. It must not be called from the callback.
func (w *Watcher) Close() {
	_ = w.ps.Close()
	<-w.done
}
