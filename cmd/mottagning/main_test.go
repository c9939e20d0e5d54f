package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/testenv"
)

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEverySubcommandHasHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		var out bytes.Buffer
		args := append(strings.Fields(c.name), "--help")
		if err := run(context.Background(), args, getenv(nil), &out); err != nil {
			t.Errorf("%s --help: %v", c.name, err)
		}
		if !strings.Contains(out.String(), "Usage: mottagning "+c.name) {
			t.Errorf("%s --help printed %q", c.name, out.String())
		}
	}
}

func TestBadCommandLines(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"fly"}, {"tenants"}, {"tenants", "remove"}, {"serve", "extra"}, {"serve", "--port=1"}} {
		err := run(context.Background(), args, getenv(nil), io.Discard)
		if !errors.Is(err, errUsage) {
			t.Errorf("%q: got %v; want a usage error", args, err)
		}
	}
}

func TestInvalidConfigurationNamesVariable(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"serve"}, getenv(map[string]string{
		"DATABASE_URL": "postgres://x@localhost/x", "REDIS_URL": "nope://", "SECRET_KEY": strings.Repeat("a", 64),
	}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Fatalf("got %v; want an error naming REDIS_URL", err)
	}
}

func TestServeRefusesPrivilegedDatabaseRole(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	err := run(context.Background(), []string{"tenants", "apply"}, getenv(map[string]string{"DATABASE_URL": d.AdminURL}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bypasses row-level security") {
		t.Fatalf("got %v; want a refusal of the superuser role", err)
	}
}

func TestMigrateTenantsSeedOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	d := testenv.EmptyDatabase(t)
	ctx := context.Background()
	admin := map[string]string{"DATABASE_URL": d.AdminURL, "APP_DB_PASSWORD": testenv.AppPassword}
	appEnv := map[string]string{"DATABASE_URL": d.AppURL}
	for i := range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"migrate"}, getenv(admin), &out); err != nil {
			t.Fatalf("migrate run %d: %v", i+1, err)
		}
		if i == 1 && strings.Contains(out.String(), "applying migration") {
			t.Fatalf("second migrate applied migrations again:\n%s", out.String())
		}
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"tenants", "apply"}, getenv(appEnv), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "26 created") {
		t.Fatalf("tenants apply: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"tenants", "apply"}, getenv(appEnv), &out); err != nil || !strings.Contains(out.String(), "26 unchanged") {
		t.Fatalf("second tenants apply: %v %s", err, out.String())
	}
	for range 2 {
		if err := run(ctx, []string{"seed"}, getenv(appEnv), io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var staff, memberships, admins int
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM app.staff), (SELECT count(*) FROM app.staff_membership),
		(SELECT count(*) FROM app.platform_admin)`).Scan(&staff, &memberships, &admins)
	if err != nil || staff != 5 || memberships != 4 || admins != 1 {
		t.Fatalf("after seeding twice: %d staff, %d memberships, %d platform admins (%v); want 5, 4, 1", staff, memberships, admins, err)
	}
}

func TestTenantsApplyRejectsBadFileNamingFileAndField(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	dir := t.TempDir()
	bad := "slug: nacka\nname: Nacka kommun\ncode: \"182\"\ndemo: true\ncontact:\n  phone: \"08\"\n  email: a@nacka.example\n  address: x\nprivacy_policy_url: https://nacka.example/p\n"
	if err := os.WriteFile(filepath.Join(dir, "nacka.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"tenants", "apply"}, getenv(map[string]string{"DATABASE_URL": d.AppURL, "TENANTS_DIR": dir}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nacka.yaml") || !strings.Contains(err.Error(), "code") {
		t.Fatalf("got %v; want an error naming nacka.yaml and code", err)
	}
}

// TestDevRunsTheWholePlatform starts `dev` on an empty database: it
// migrates, applies the registry, seeds, serves the start page with all 26
// kommuner, and the heartbeat goes scheduler → Redis → worker → PostgreSQL.
func TestDevRunsTheWholePlatform(t *testing.T) {
	t.Parallel()
	d := testenv.EmptyDatabase(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev"}, getenv(map[string]string{
			"DATABASE_URL": d.AdminURL, "APP_DB_PASSWORD": testenv.AppPassword, "REDIS_URL": testenv.RedisURL(),
			"HTTP_ADDR": addr, "BASE_URL": "http://" + addr, "HEARTBEAT_SCHEDULE": "@every 1s", "LOG_LEVEL": "warn",
			"SECRET_KEY": strings.Repeat("5e", 32),
		}), io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev ended with %v", err)
		}
	}()
	var body string
	waitFor(t, 30*time.Second, "the start page", func() bool {
		res, err := http.Get("http://" + addr + "/")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		body = string(b)
		return res.StatusCode == 200
	})
	for _, name := range []string{"Botkyrka", "Österåker", "Upplands Väsby", "Stockholm"} {
		if !strings.Contains(body, name) {
			t.Errorf("start page lacks %s", name)
		}
	}
	conn, err := pgx.Connect(context.Background(), d.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	waitFor(t, 20*time.Second, "a heartbeat in app.job_run", func() bool {
		var n int
		_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM app.job_run WHERE job = 'heartbeat' AND outcome = 'ok'`).Scan(&n)
		return n > 0
	})
	// One registry per process: /metrics shows the scheduler's counters too.
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), "mottagning_scheduler_enqueued_total") {
		t.Error("/metrics lacks the scheduler's counters")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
