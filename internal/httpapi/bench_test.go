package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/config"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/tenants"
)

// BenchmarkRegistrationThroughput registers youth through the real app
// over a loopback listener: POST /api/v1/account with a CSRF token, a
// fresh PostgreSQL database, real Redis, and the production argon2id
// parameters (account.DefaultHashParams), so each registration pays for
// one full password hash. "serial" is the time one registration takes;
// "parallel" is how many the machine manages with every CPU busy. Run it
// with
//
//	go test -run '^$' -bench Registration -benchtime 20x ./internal/httpapi/
func BenchmarkRegistrationThroughput(b *testing.B) {
	base := benchServer(b, account.DefaultHashParams).base
	csrf, cookie := benchCSRF(b, base)
	var seq atomic.Int64
	register := func(client *http.Client) error {
		body := fmt.Sprintf(`{"username":"mus_%d","password":"en lång lösenfras om hösten"}`, seq.Add(1))
		req, err := http.NewRequest(http.MethodPost, base+"/api/v1/account", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		req.AddCookie(cookie)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		msg, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST /api/v1/account: %d %s; want 201", res.StatusCode, msg)
		}
		return nil
	}

	b.Run("serial", func(b *testing.B) {
		client := &http.Client{Timeout: 10 * time.Second}
		start := time.Now()
		for b.Loop() {
			if err := register(client); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, time.Since(start))
	})
	b.Run("parallel", func(b *testing.B) {
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			client := &http.Client{Timeout: 30 * time.Second}
			for pb.Next() {
				if err := register(client); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, time.Since(start))
	})
}

// reportRate adds registrations per second and milliseconds per
// registration (wall time over all of them) to the benchmark's line.
func reportRate(b *testing.B, elapsed time.Duration) {
	if b.N == 0 || elapsed <= 0 {
		return
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "registrations/s")
	b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(b.N), "ms/registration")
}

// benchApp is the app benchServer serves: its address and database.
type benchApp struct {
	base string
	db   *postgres.DB
	info testenv.Database
	deps Deps
}

// benchServer serves the real app, wired as in production but for the
// given hash parameters, on a loopback listener until b ends, with a
// database pool of production's default size (DB_MAX_CONNS), or of
// BENCH_DB_MAX_CONNS when set, to compare pool sizes. It mirrors
// newEnv, which only takes a *testing.T. The per-address rate limit is
// lifted: every request comes from 127.0.0.1.
func benchServer(b testing.TB, hash account.HashParams) benchApp {
	b.Helper()
	ctx := context.Background()
	info := testenv.NewDatabase(b)
	pool := int32(20)
	if v := os.Getenv("BENCH_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			b.Fatalf("BENCH_DB_MAX_CONNS=%q: want a number of at least 2", v)
		}
		pool = int32(n)
	}
	db, err := postgres.Open(ctx, info.AppURL, postgres.Options{MaxConns: pool})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.ApplyKommuner(tenant.WithActing(ctx, tenant.System()), defs); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "SECRET_KEY":
			return strings.Repeat("ab", 32)
		case "BASE_URL":
			return testBaseURL
		}
		return ""
	})
	if err != nil {
		b.Fatal(err)
	}
	cfg.RateLimit = 1 << 30
	rdb, prefix := testenv.Redis(b)
	enf, err := authz.New(ctx, db, authz.Options{})
	if err != nil {
		b.Fatal(err)
	}
	accounts, err := account.NewService(db, hash, account.SessionPolicy{Idle: 30 * time.Minute, Lifetime: 12 * time.Hour}, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	deps := Deps{Config: cfg, Store: db, Redis: rdb, RedisPrefix: prefix, Authz: enf, Registry: prometheus.NewRegistry(),
		Accounts: accounts, AccountDB: db}
	return benchApp{base: benchServe(b, deps), db: db, info: info, deps: deps}
}

// benchReplica serves a second app on the same database and Redis as a,
// as another `serve` replica would be.
func benchReplica(b testing.TB, a benchApp) benchApp {
	b.Helper()
	deps := a.deps
	deps.Registry = prometheus.NewRegistry()
	a.base = benchServe(b, deps)
	return a
}

// benchServe serves an app wired with deps on a loopback listener until b
// ends, and returns its base URL.
func benchServe(b testing.TB, deps Deps) string {
	b.Helper()
	app, err := New(deps)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(sctx, app, ln, 5*time.Second, slog.New(slog.DiscardHandler)) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// benchCSRF fetches a CSRF token and the cookie that goes with it, as a
// program using the API would before its first state-changing call.
func benchCSRF(b testing.TB, base string) (string, *http.Cookie) {
	b.Helper()
	res, err := http.Get(base + "/api/v1/csrf")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		b.Fatalf("GET /api/v1/csrf: %d, %v; want a token", res.StatusCode, err)
	}
	for _, c := range res.Cookies() {
		if c.Name == "mottagning_csrf" {
			return out.Token, &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	b.Fatal("GET /api/v1/csrf set no CSRF cookie")
	return "", nil
}
