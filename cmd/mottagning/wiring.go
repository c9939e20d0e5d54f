package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/config"
	"github.com/storsthlm/mottagning/internal/httpapi"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/queue"
	"github.com/storsthlm/mottagning/internal/sms"
	"github.com/storsthlm/mottagning/internal/worker"
	"github.com/storsthlm/mottagning/migrations"
)

// authzChannel is the Redis channel on which instances tell each other that
// staff memberships changed.
const authzChannel = "mottagning:authz:changed"

// appCtx holds what the subcommands share: configuration, logger and the
// connections opened so far, closed in reverse order at the end.
type appCtx struct {
	cfg     config.Config
	log     *slog.Logger
	out     io.Writer
	dbURL   string               // the runtime (mottagning_app) URL
	reg     *prometheus.Registry // one per process: serve exposes it at /metrics, worker and scheduler at METRICS_ADDR
	db      *postgres.DB
	rdb     *redis.Client
	closers []func()
}

func newAppCtx(cfg config.Config, stdout io.Writer) (*appCtx, error) {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(stdout, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(stdout, opts)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a := &appCtx{cfg: cfg, log: slog.New(h), out: stdout, dbURL: cfg.DatabaseURL, reg: reg}
	if cfg.Dev {
		u, err := runtimeURL(cfg)
		if err != nil {
			return nil, err
		}
		a.dbURL = u
	}
	return a, nil
}

func (a *appCtx) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// openDB connects as the runtime role, refusing one that bypasses RLS.
func (a *appCtx) openDB(ctx context.Context) (*postgres.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	db, err := postgres.Open(ctx, a.dbURL, postgres.Options{MaxConns: a.cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("DATABASE_URL: PostgreSQL does not answer: %w", err)
	}
	a.db = db
	a.closers = append(a.closers, db.Close)
	return db, nil
}

func (a *appCtx) openRedis(ctx context.Context) (*redis.Client, error) {
	if a.rdb != nil {
		return a.rdb, nil
	}
	opt, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("REDIS_URL: Redis does not answer at %s: %w", opt.Addr, err)
	}
	a.rdb = rdb
	a.closers = append(a.closers, func() { rdb.Close() })
	return rdb, nil
}

// enforcer loads the Casbin policy with memberships from the database and
// listens for changes announced by other instances.
func (a *appCtx) enforcer(ctx context.Context, db *postgres.DB, rdb *redis.Client) (*authz.Enforcer, error) {
	opts := authz.Options{Logger: a.log, ReloadInterval: a.cfg.AuthzReload}
	w, err := authz.NewWatcher(rdb, authzChannel)
	if err != nil {
		a.log.Warn("authz: no change notifications; relying on periodic reload", "err", err)
	} else {
		opts.Watcher = w
		a.closers = append(a.closers, w.Close)
	}
	return authz.New(ctx, db, opts)
}

func serve(ctx context.Context, a *appCtx) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := a.startServe(ctx, g); err != nil {
		return err
	}
	return g.Wait()
}

// startServe starts the HTTP server and the policy reloader in g.
func (a *appCtx) startServe(ctx context.Context, g *errgroup.Group) error {
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	rdb, err := a.openRedis(ctx)
	if err != nil {
		return err
	}
	enf, err := a.enforcer(ctx, db, rdb)
	if err != nil {
		return err
	}
	accounts, err := account.NewService(db, account.DefaultHashParams,
		account.SessionPolicy{Idle: a.cfg.SessionIdle, Lifetime: a.cfg.SessionLifetime}, time.Now)
	if err != nil {
		return err
	}
	jobs, err := a.jobRunner(db)
	if err != nil {
		return err
	}
	app, err := httpapi.New(httpapi.Deps{Config: a.cfg, Store: db, Redis: rdb, Authz: enf, Logger: a.log, Registry: a.reg,
		Accounts: accounts, AccountDB: db, Jobs: jobs, DevOutbox: a.devOutbox()})
	if err != nil {
		return err
	}
	g.Go(func() error { return enf.Run(ctx) })
	g.Go(func() error { return httpapi.Serve(ctx, app, a.cfg.HTTPAddr, a.cfg.ShutdownTimeout, a.log) })
	return nil
}

func workerCmd(ctx context.Context, a *appCtx) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := a.startWorker(ctx, g); err != nil {
		return err
	}
	a.startMetrics(ctx, g)
	return g.Wait()
}

// startMetrics serves the process's metrics at METRICS_ADDR, for the
// processes without an HTTP server of their own (worker, scheduler).
func (a *appCtx) startMetrics(ctx context.Context, g *errgroup.Group) {
	if a.cfg.MetricsAddr == "" {
		return
	}
	srv := &http.Server{Addr: a.cfg.MetricsAddr, Handler: promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}),
		ReadHeaderTimeout: 5 * time.Second}
	g.Go(func() error {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("METRICS_ADDR %s: %w", a.cfg.MetricsAddr, err)
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		return srv.Shutdown(context.WithoutCancel(ctx))
	})
}

// startWorker starts the Asynq worker with every task handler in g.
func (a *appCtx) startWorker(ctx context.Context, g *errgroup.Group) error {
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	opt, err := queue.NewRedisOpt(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	srv := worker.New(opt, worker.Config{Concurrency: a.cfg.WorkerConcurrent, Queues: queue.Queues(""),
		ShutdownTimeout: a.cfg.ShutdownTimeout}, a.log)
	srv.Handle(worker.TypeHeartbeat, worker.NewHeartbeatHandler(db, time.Now))
	if err := a.startNotify(ctx, g, srv, db); err != nil {
		return err
	}
	if err := a.startRetention(ctx, g, srv, db); err != nil {
		return err
	}
	if _, err := a.smsSender(); err != nil {
		return err
	}
	g.Go(func() error { return srv.Run(ctx) })
	return nil
}

// smsSender returns the Twilio sender, or nil when SMS is not configured
// (notices then go by e-mail only, or in dev to the local outbox).
func (a *appCtx) smsSender() (*sms.Twilio, error) {
	if a.cfg.TwilioAccountSID == "" {
		a.log.Info("sms: off (TWILIO_ACCOUNT_SID is not set)")
		return nil, nil
	}
	s, err := sms.NewTwilio(sms.Config{AccountSID: a.cfg.TwilioAccountSID, AuthToken: a.cfg.TwilioAuthToken,
		Region: a.cfg.TwilioRegion, Edge: a.cfg.TwilioEdge, From: a.cfg.TwilioFrom})
	if err != nil {
		return nil, fmt.Errorf("TWILIO_*: %w", err)
	}
	a.log.Info("sms: on", "region", a.cfg.TwilioRegion, "edge", a.cfg.TwilioEdge)
	return s, nil
}

func schedulerCmd(ctx context.Context, a *appCtx) error {
	g, ctx := errgroup.WithContext(ctx)
	if err := a.startScheduler(ctx, g); err != nil {
		return err
	}
	a.startMetrics(ctx, g)
	return g.Wait()
}

// periodicTasks lists every periodic task; later features add theirs here.
func (a *appCtx) periodicTasks() []queue.Periodic {
	hb := worker.HeartbeatPeriodic(queue.QueueDefault)
	hb.Spec = a.cfg.HeartbeatSpec
	tasks := []queue.Periodic{hb}
	tasks = append(tasks, a.notifyPeriodic()...)
	return append(tasks, a.retentionPeriodic()...)
}

func (a *appCtx) startScheduler(ctx context.Context, g *errgroup.Group) error {
	opt, err := queue.NewRedisOpt(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	client := queue.NewClient(opt)
	a.closers = append(a.closers, func() { client.Close() })
	s, err := queue.NewScheduler(client, a.periodicTasks(), time.Now, a.log, a.reg)
	if err != nil {
		return fmt.Errorf("HEARTBEAT_SCHEDULE: %w", err)
	}
	g.Go(func() error { return s.Run(ctx) })
	return nil
}

func migrateCmd(ctx context.Context, a *appCtx) error {
	err := postgres.Migrate(ctx, a.cfg.DatabaseURL, migrations.FS, postgres.MigrateOptions{
		AppPassword: a.cfg.AppDBPassword,
		Log:         func(format string, args ...any) { a.log.Info(fmt.Sprintf(format, args...)) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(a.out, "migrate: the database is up to date")
	return nil
}

// devSecretFile keeps dev's SECRET_KEY across restarts (it is under the
// git-ignored .local/), so staff TOTP secrets encrypted with it stay
// readable and sessions survive a restart of `make run`.
const devSecretFile = ".local/dev-secret-key"

// devDefaults fills what a laptop lacks: a SECRET_KEY kept in
// .local/dev-secret-key (made on first use) and a known password for
// mottagning_app.
func devDefaults(cfg config.Config) config.Config {
	if cfg.SecretKey == "" {
		cfg.SecretKey = devSecret()
	}
	if cfg.AppDBPassword == "" {
		cfg.AppDBPassword = "mottagning-dev"
	}
	return cfg
}

func devSecret() string {
	if b, err := os.ReadFile(devSecretFile); err == nil {
		if k := strings.TrimSpace(string(b)); len(k) >= 64 {
			return k
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	key := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(devSecretFile), 0o700); err == nil {
		_ = os.WriteFile(devSecretFile, []byte(key+"\n"), 0o600)
	}
	return key
}

// runtimeURL is APP_DATABASE_URL, or DATABASE_URL with the runtime role
// and APP_DB_PASSWORD in place of the administrative user.
func runtimeURL(cfg config.Config) (string, error) {
	if cfg.AppDatabaseURL != "" {
		return cfg.AppDatabaseURL, nil
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.User = url.UserPassword(postgres.AppRole, cfg.AppDBPassword)
	return u.String(), nil
}

func devCmd(ctx context.Context, a *appCtx) error {
	if err := migrateCmd(ctx, a); err != nil {
		return err
	}
	if err := tenantsApply(ctx, a); err != nil {
		return err
	}
	if err := seedCmd(ctx, a); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, start := range []func(context.Context, *errgroup.Group) error{a.startServe, a.startWorker, a.startScheduler} {
		if err := start(ctx, g); err != nil {
			return err
		}
	}
	fmt.Fprintf(a.out, "\nMottagning runs at %s (stop with Ctrl-C)\n\n", a.cfg.BaseURL)
	return g.Wait()
}
