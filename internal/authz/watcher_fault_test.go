package authz

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// privateRedis starts a redis-server of its own on a free port, so that
// breaking its connections disturbs no other test.
func privateRedis(t *testing.T) *redis.Client {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not installed: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command(path, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port)})
	t.Cleanup(func() { _ = rdb.Close() })
	if !eventually(t, 5*time.Second, func() bool { return rdb.Ping(t.Context()).Err() == nil }) {
		t.Fatal("private redis-server did not start")
	}
	return rdb
}

// TestWatcherReloadsAfterReconnect: a message published while the
// subscription is down is lost, so the watcher asks for a reload when it has
// subscribed again.
func TestWatcherReloadsAfterReconnect(t *testing.T) {
	t.Parallel()
	rdb := privateRedis(t)
	w := newWatcher(t, rdb, "authz-fault")
	got := make(chan string, 4)
	_ = w.SetUpdateCallback(func(s string) { got <- s })
	if err := rdb.ClientKillByFilter(t.Context(), "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "resubscribed" {
			t.Errorf("callback(%q), want resubscribed", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no callback after the subscription was broken")
	}
}
