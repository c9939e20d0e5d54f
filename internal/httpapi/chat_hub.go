package httpapi

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// chatHub is the one Redis subscriber of a server process. It
// pattern-subscribes to every chat channel of the server's prefix and
// wakes the local sockets of the conversation an announcement names.
//
// A socket's wake-up channel holds one pending signal: an announcement
// carries no content (the socket re-reads from PostgreSQL), so further
// ones while a signal waits are coalesced and a slow client never blocks
// the hub. When Redis comes back after a restart, go-redis reconnects and
// subscribes again; the hub then wakes every local socket, which catches
// up by reading, so an announcement lost while Redis was away loses
// nothing.
//
// The hub also keeps the sockets' slow work off the sockets: every
// chatHubTick it refreshes the presence of all local youth sockets in one
// pipelined Redis call, and wakes each socket whose safety catch-up is due
// (every chatSafetyMin to chatSafetyMax, jittered, so that an
// announcement lost without a reconnection is still caught eventually,
// while idle sockets cost the database almost nothing).
//
// The hub starts with the first socket and stops on the app's shutdown.
type chatHub struct {
	rdb     *redis.Client
	pattern string
	log     *slog.Logger

	once   sync.Once
	mu     sync.Mutex
	subs   map[string]map[*chatSub]struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// chatSub is one socket's registration with the hub.
type chatSub struct {
	channel string
	wake    chan struct{} // capacity 1: a pending wake-up
	// presence is the youth's presence key and member the socket's entry
	// in it ("" for a counsellor's socket); the hub refreshes it.
	presence, member string
	due              time.Time // the next safety catch-up (under the hub's mu)
}

// Safety catch-up and presence timing.
const (
	chatHubTick     = 20 * time.Second
	chatSafetyMin   = 2 * time.Minute
	chatSafetyMax   = 5 * time.Minute
	chatPresenceTTL = 3 * chatHubTick
)

func chatSafetyDue(now time.Time) time.Time {
	return now.Add(chatSafetyMin + rand.N(chatSafetyMax-chatSafetyMin))
}

func newChatHub(rdb *redis.Client, prefix string, log *slog.Logger) *chatHub {
	return &chatHub{rdb: rdb, pattern: globEscape(prefix) + "chat:*", log: log, subs: map[string]map[*chatSub]struct{}{}}
}

// subscribe registers a socket for channel, starting the hub if needed.
func (h *chatHub) subscribe(channel string) *chatSub {
	return h.subscribePresent(channel, "", "")
}

// subscribePresent registers a youth's socket whose presence member in
// the sorted set key the hub keeps fresh.
func (h *chatHub) subscribePresent(channel, key, member string) *chatSub {
	h.once.Do(h.start)
	s := &chatSub{channel: channel, wake: make(chan struct{}, 1), presence: key, member: member, due: chatSafetyDue(time.Now())}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[channel] == nil {
		h.subs[channel] = map[*chatSub]struct{}{}
	}
	h.subs[channel][s] = struct{}{}
	return s
}

// unsubscribe removes a socket's registration.
func (h *chatHub) unsubscribe(s *chatSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[s.channel], s)
	if len(h.subs[s.channel]) == 0 {
		delete(h.subs, s.channel)
	}
}

// count returns how many local sockets are registered (tests, metrics).
func (h *chatHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.subs {
		n += len(m)
	}
	return n
}

func wakeUp(s *chatSub) {
	select {
	case s.wake <- struct{}{}:
	default: // one is pending already: coalesced
	}
}

// notify wakes the sockets of channel; all wakes every socket.
func (h *chatHub) notify(channel string, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if all {
		for _, m := range h.subs {
			for s := range m {
				wakeUp(s)
			}
		}
		return
	}
	for s := range h.subs[channel] {
		wakeUp(s)
	}
}

func (h *chatHub) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cancel()
		return
	}
	h.cancel = cancel
	h.wg.Add(2)
	h.mu.Unlock()
	ps := h.rdb.PSubscribe(ctx, h.pattern)
	go h.run(ctx, ps)
	go h.tick(ctx)
}

// tick refreshes presence and wakes the sockets due a safety catch-up.
func (h *chatHub) tick(ctx context.Context) {
	defer h.wg.Done()
	t := time.NewTicker(chatHubTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.refresh(ctx, now)
		}
	}
}

func (h *chatHub) refresh(ctx context.Context, now time.Time) {
	until := float64(now.Add(chatPresenceTTL).UnixMilli())
	pipe := h.rdb.Pipeline()
	keys := map[string]bool{}
	h.mu.Lock()
	for _, m := range h.subs {
		for s := range m {
			if now.After(s.due) {
				s.due = chatSafetyDue(now)
				wakeUp(s)
			}
			if s.presence != "" {
				pipe.ZAdd(ctx, s.presence, redis.Z{Score: until, Member: s.member})
				keys[s.presence] = true
			}
		}
	}
	h.mu.Unlock()
	if len(keys) == 0 {
		return
	}
	for k := range keys {
		pipe.Expire(ctx, k, 2*chatPresenceTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
		h.log.Warn("chat: refreshing presence failed", "err", err)
	}
}

func (h *chatHub) run(ctx context.Context, ps *redis.PubSub) {
	defer h.wg.Done()
	defer ps.Close()
	in := ps.ChannelWithSubscriptions()
	subscribed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-in:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Message:
				h.notify(m.Channel, false)
			case *redis.Subscription:
				if m.Kind != "psubscribe" {
					continue
				}
				// The first confirmation is the start; any later one is a
				// reconnection: announcements may have been lost meanwhile.
				subscribed++
				if subscribed > 1 {
					h.log.Info("chat: pub/sub reconnected; local sockets catch up")
					h.notify("", true)
				}
			}
		}
	}
}

// close stops the hub (the app's shutdown hook).
func (h *chatHub) close() error {
	h.mu.Lock()
	h.closed = true
	cancel := h.cancel
	h.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	h.wg.Wait()
	return nil
}

// globEscape quotes the characters a Redis pattern gives meaning to.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)
	return r.Replace(s)
}
