// Package httpapi is Mottagning's HTTP adapter: the Fiber app with its
// middleware, the one error handler, the page shell and the JSON API.
// Handlers are thin: parse, call a store or service, render.
package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/template/html/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/config"
	"github.com/storsthlm/mottagning/internal/i18n"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/web"
)

// Store is what the foundation's pages need from the database.
type Store interface {
	Ping(ctx context.Context) error
	Kommuner(ctx context.Context) ([]tenant.Kommun, error)
	KommunBySlug(ctx context.Context, slug string) (tenant.Kommun, error)
}

// Authorizer decides whether a subject may act on an object type in a
// domain (see internal/authz).
type Authorizer interface {
	Allowed(sub, dom, obj, act string) (bool, error)
	RoleIn(sub, dom string) (string, error)
}

// Deps are the adapters the server is wired with.
type Deps struct {
	Config      config.Config
	Store       Store
	Redis       *redis.Client
	RedisPrefix string // key prefix for rate limits; tests give each their own
	Authz       Authorizer
	Logger      *slog.Logger
	Registry    *prometheus.Registry // metrics are registered here and served at /metrics
	Accounts    *account.Service
	AccountDB   AccountStore
	DevOutbox   *notify.DevOutbox // dev only: the SMS and e-mail shown at /dev/outbox
	Jobs        JobRunner         // the background jobs and "run now" (nil: the job page lists none)
	// ChatFeedback are asked after a signed-in youth's conversation ended
	// (chat.FeedbackAsker; none: nothing is asked).
	ChatFeedback []chat.FeedbackAsker
}

// AccountStore is what the account, Min profil, staff sign-in and platform
// pages need from the database (internal/postgres.DB implements it all).
type AccountStore interface {
	Account(ctx context.Context, id uuid.UUID) (account.Account, error)
	account.ProfileStore
	staffDB
	platformStore
	notifyStore
	platformKommunStore
	receptionStore
	retentionStore
}

// Server holds the wired dependencies of the handlers.
type Server struct {
	cfg     config.Config
	store   Store
	rdb     *redis.Client
	prefix  string
	authz   Authorizer
	log     *slog.Logger
	tr      *i18n.Translator
	reg     *prometheus.Registry
	secret  []byte
	metrics *httpMetrics

	accounts  *account.Service
	accountDB AccountStore
	limiter   *redis_rate.Limiter
	devOutbox *notify.DevOutbox
	jobs      JobRunner
	chatAsk   []chat.FeedbackAsker
}

// New builds the Fiber app with every route and middleware. It returns an
// error if the embedded templates or translations do not load.
func New(d Deps) (*fiber.App, error) {
	s, err := newServer(d)
	if err != nil {
		return nil, err
	}
	return s.app(s.routes)
}

func newServer(d Deps) (*Server, error) {
	tr, err := i18n.New(web.FS)
	if err != nil {
		return nil, fmt.Errorf("httpapi: translations: %w", err)
	}
	secret, err := d.Config.Secret()
	if err != nil {
		return nil, fmt.Errorf("httpapi: SECRET_KEY: %w", err)
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: d.Config, store: d.Store, rdb: d.Redis, prefix: d.RedisPrefix, authz: d.Authz,
		log: d.Logger, tr: tr, reg: d.Registry, secret: secret,
		accounts: d.Accounts, accountDB: d.AccountDB, limiter: redis_rate.NewLimiter(d.Redis), devOutbox: d.DevOutbox, jobs: d.Jobs,
		chatAsk: d.ChatFeedback}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics, err = newHTTPMetrics(d.Registry); err != nil {
		return nil, err
	}
	return s, nil
}

// app returns a Fiber app with the server's configuration and the routes
// that register adds.
func (s *Server) app(register func(*fiber.App)) (*fiber.App, error) {
	views, err := s.views()
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		AppName:                 "mottagning",
		Views:                   views,
		ViewsLayout:             "layouts/main",
		ErrorHandler:            s.handleError,
		BodyLimit:               s.appBodyLimit(), // bodyLimitGate keeps s.cfg.BodyLimit on all but uploads
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             120 * time.Second,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          s.cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(s.cfg.TrustedProxies),
	})
	register(app)
	return app, nil
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

func (s *Server) views() (*html.Engine, error) {
	sub, err := fs.Sub(web.FS, "templates")
	if err != nil {
		return nil, err
	}
	e := html.NewFileSystem(http.FS(sub), ".html")
	e.AddFunc("t", s.tr.T)
	e.AddFunc("tf", s.tr.Tf)
	if err := e.Load(); err != nil {
		return nil, fmt.Errorf("httpapi: templates: %w", err)
	}
	return e, nil
}

// Serve runs app on addr until ctx is done, then shuts it down gracefully,
// waiting at most timeout for requests in flight.
func Serve(ctx context.Context, app *fiber.App, addr string, timeout time.Duration, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", addr, err)
	}
	return ServeListener(ctx, app, ln, timeout, log)
}

// ServeListener is Serve on an open listener (tests listen on port 0).
func ServeListener(ctx context.Context, app *fiber.App, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	log.Info("http: listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("http: shutting down")
	if err := app.ShutdownWithTimeout(timeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// ipKey returns a keyed hash of the client's IP address: rate limits count
// per address without the address itself being stored (P11).
func (s *Server) ipKey(ip string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("ip:" + ip))
	return hex.EncodeToString(m.Sum(nil)[:12])
}
