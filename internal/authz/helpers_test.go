package authz

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// memSource is an in-memory MembershipSource; the PostgreSQL one is tested
// with the store.
type memSource struct {
	mu sync.Mutex
	ms []Membership
}

func (s *memSource) Memberships(context.Context) ([]Membership, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Membership(nil), s.ms...), nil
}

func (s *memSource) add(ms ...Membership) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ms = append(s.ms, ms...)
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, nil)), b
}

func newEnforcer(t *testing.T, src MembershipSource, opts Options) *Enforcer {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger, _ = newLogger(t)
	}
	e, err := New(t.Context(), src, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// run starts e.Run until the test ends.
func run(t *testing.T, e *Enforcer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	return rdb
}

func newWatcher(t *testing.T, rdb *redis.Client, channel string) *Watcher {
	t.Helper()
	w, err := NewWatcher(rdb, channel)
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	t.Cleanup(w.Close)
	return w
}

func mustAllowed(t *testing.T, e *Enforcer, sub, dom, obj, act string) bool {
	t.Helper()
	ok, err := e.Allowed(sub, dom, obj, act)
	if err != nil {
		t.Fatalf("Allowed(%s, %s, %s, %s): %v", sub, dom, obj, act, err)
	}
	return ok
}
