package testenv

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// PrivateRedis is a redis-server of one test's own, on a free port, which
// the test may stop and restart without disturbing the rest of the suite.
type PrivateRedis struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	// Client talks to the server; it reconnects by itself after a restart.
	Client *redis.Client
}

// NewPrivateRedis starts a private redis-server (keeping nothing on disk)
// and stops it when t ends.
func NewPrivateRedis(t testing.TB) *PrivateRedis {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	r := &PrivateRedis{t: t, port: port, dir: t.TempDir()}
	r.start()
	r.Client = redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() {
		_ = r.Client.Close()
		r.stop()
	})
	r.waitUp()
	return r
}

// Addr returns host:port of the server.
func (r *PrivateRedis) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

// Restart stops the server, losing everything it held, and starts it again
// on the same port.
func (r *PrivateRedis) Restart() {
	r.t.Helper()
	r.Stop()
	r.Start()
}

// Stop stops the server; it stays down until Start.
func (r *PrivateRedis) Stop() { r.stop() }

// Start starts the server again on the same port and waits until it answers.
func (r *PrivateRedis) Start() {
	r.t.Helper()
	r.start()
	r.waitUp()
}

func (r *PrivateRedis) start() {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		r.t.Fatalf("testenv: redis-server is not installed (run `make test`): %v", err)
	}
	r.cmd = exec.Command(path, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *PrivateRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

func (r *PrivateRedis) waitUp() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
		err := c.Ping(context.Background()).Err()
		c.Close()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("testenv: private redis-server on %s did not start: %v", r.Addr(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
