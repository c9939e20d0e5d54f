// Package testenv gives tests real services: a fresh PostgreSQL database per
// test, cloned from a template migrated once per run, connected as the
// runtime role; and a Redis client with a key prefix of the test's own.
//
// It reads the standard libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD)
// for an administrative connection, and REDIS_URL; `make test` sets them.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/migrations"
)

// AppPassword is set on mottagning_app so tests also work where TCP
// connections need a password.
const AppPassword = "mottagning-test-app"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// AdminConfig returns the administrative connection settings from PG*
// variables, for database db.
func AdminConfig(t testing.TB, db string) *pgconn.Config {
	t.Helper()
	cfg, err := pgconn.ParseConfig("")
	if err != nil {
		t.Fatalf("testenv: PG* variables: %v", err)
	}
	if os.Getenv("PGUSER") == "" {
		cfg.User = "postgres"
	}
	if os.Getenv("PGHOST") == "" {
		cfg.Host = "127.0.0.1"
	}
	cfg.Database = db
	return cfg
}

// URL renders cfg as a postgres:// URL (no TLS: tests talk to localhost).
func URL(cfg *pgconn.Config) string {
	auth := cfg.User
	if cfg.Password != "" {
		auth += ":" + cfg.Password
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", auth, cfg.Host, cfg.Port, cfg.Database)
}

// Database is one test's fresh database.
type Database struct {
	Name     string
	AdminURL string // as the administrative role (bypasses RLS; for setup and catalog checks only)
	AppURL   string // as mottagning_app
}

// NewDatabase creates a fresh, fully migrated database for t and drops it
// when t ends.
func NewDatabase(t testing.TB) Database {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(t) })
	if templateErr != nil {
		t.Fatalf("testenv: template database: %v", templateErr)
	}
	return createDatabase(t, "mt_"+randomHex(8), "TEMPLATE "+templateName)
}

// EmptyDatabase creates an empty database (no roles granted, no schema)
// for t, for tests of migrate itself, and drops it when t ends. The app URL
// carries the password migrate must be given as APP_DB_PASSWORD.
func EmptyDatabase(t testing.TB) Database {
	t.Helper()
	return createDatabase(t, "mt_empty_"+randomHex(8), "")
}

// createDatabase creates database name (with the CREATE DATABASE options
// given), drops it when t ends, and returns its URLs.
func createDatabase(t testing.TB, name, options string) Database {
	t.Helper()
	admin := AdminConfig(t, "postgres")
	ctx := context.Background()
	conn := connect(t, admin)
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s %s`, name, options)); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		c := connect(t, admin)
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	app := AdminConfig(t, name)
	app.User, app.Password = postgres.AppRole, AppPassword
	return Database{Name: name, AdminURL: URL(AdminConfig(t, name)), AppURL: URL(app)}
}

// DB returns a pool connected as mottagning_app to a fresh database.
func DB(t testing.TB) (*postgres.DB, Database) {
	t.Helper()
	d := NewDatabase(t)
	db, err := postgres.Open(context.Background(), d.AppURL, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatalf("testenv: open app pool: %v", err)
	}
	t.Cleanup(db.Close)
	return db, d
}

// Admin returns a connection as the administrative role to d, for test
// setup that must bypass row-level security and for catalog checks.
func Admin(t testing.TB, d Database) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), d.AdminURL)
	if err != nil {
		t.Fatalf("testenv: admin connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func connect(t testing.TB, cfg *pgconn.Config) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), URL(cfg))
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL at %s:%d as %s (set PGHOST/PGPORT/PGUSER, or run `make test`): %v",
			cfg.Host, cfg.Port, cfg.User, err)
	}
	return conn
}

// ensureTemplate builds, once per schema version and month, a migrated
// template database. Test binaries of several packages race for it, so the
// build happens under an advisory lock and under a temporary name.
func ensureTemplate(t testing.TB) (string, error) {
	ctx := context.Background()
	name := "mt_tmpl_" + migrationsHash() + "_" + time.Now().UTC().Format("200601")
	admin := AdminConfig(t, "postgres")
	conn, err := pgx.Connect(ctx, URL(admin))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('mottagning.testenv.template'))`); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('mottagning.testenv.template'))`)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := name + "_build"
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, build)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, build)); err != nil {
		return "", err
	}
	if err := postgres.Migrate(ctx, URL(AdminConfig(t, build)), migrations.FS, postgres.MigrateOptions{AppPassword: AppPassword}); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, build, name)); err != nil {
		return "", err
	}
	_, err = conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s IS_TEMPLATE true`, name))
	return name, err
}

// migrationsHash names the schema version by the content of the migrations.
func migrationsHash() string {
	h := sha256.New()
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Redis returns a client for REDIS_URL and a key prefix unique to t; keys
// under the prefix are removed when t ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("testenv: REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("testenv: Redis at %s does not answer (run `make test`): %v", opt.Addr, err)
	}
	prefix := "test:" + strings.ToLower(randomHex(6)) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

// RedisURL returns REDIS_URL or the local default.
func RedisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
