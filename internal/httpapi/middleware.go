package httpapi

import (
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	redisstore "github.com/gofiber/storage/redis/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/i18n"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Locals keys.
const (
	localLang   = "lang"
	localKommun = "kommun"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mottagning_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mottagning_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts and times every request by its route pattern (never the
// raw path, which could carry a username) and logs it without personal
// data: no IP, no query string, no body.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	route := c.Route().Path
	status := c.Response().StatusCode()
	if status == fiber.StatusNotFound {
		route = "unmatched"
	}
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Method(), strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, c.Method()).Observe(elapsed.Seconds())
	if route != "/healthz" && route != "/readyz" && route != "/metrics" {
		attrs := []any{"method", c.Method(), "route", route, "status", status,
			"ms", elapsed.Milliseconds(), "request_id", requestID(c), "actor", string(tenant.ActingFrom(c.UserContext()).Actor)}
		if k, ok := c.Locals(localKommun).(tenantKommun); ok {
			attrs = append(attrs, "kommun", k.Slug)
		}
		s.log.Info("http: request", attrs...)
	}
	return nil
}

type tenantKommun = tenant.Kommun

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

// contentSecurityPolicy allows only the platform's own resources (S3).
// Inline images as data: URIs carry server-rendered QR codes.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

var helmetHandler = helmet.New(helmet.Config{
	XSSProtection:             "0",
	ContentTypeNosniff:        "nosniff",
	XFrameOptions:             "DENY",
	ContentSecurityPolicy:     contentSecurityPolicy,
	ReferrerPolicy:            "no-referrer",
	PermissionPolicy:          "camera=(self), microphone=(self), geolocation=(), payment=(), usb=(), interest-cohort=()",
	CrossOriginEmbedderPolicy: "require-corp",
	CrossOriginOpenerPolicy:   "same-origin",
	CrossOriginResourcePolicy: "same-origin",
})

// securityHeaders sets the security headers on every response. HSTS is
// set explicitly: helmet only sets it when it sees TLS itself, and in
// production TLS ends at the load balancer. Every response is no-store
// unless a handler says otherwise (static assets do): pages may hold
// personal data and must not linger in a shared or family device's cache.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000; includeSubDomains")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return helmetHandler(c)
}

func (s *Server) staticCache(c *fiber.Ctx) error {
	err := c.Next()
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return err
}

func (s *Server) staticFile(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		b, err := fs.ReadFile(webFS(), name)
		if err != nil {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		c.Type(strings.TrimPrefix(name[strings.LastIndex(name, "."):], "."))
		return c.Send(b)
	}
}

// rateLimit limits requests per client address per minute, counted in
// Redis so every replica shares the count. The key is a keyed hash of the
// address, never the address itself.
func (s *Server) rateLimit() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:          s.cfg.RateLimit,
		Expiration:   time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string { return s.prefix + "ratelimit:" + s.ipKey(c.IP()) },
		LimitReached: func(c *fiber.Ctx) error { return apperr.New(apperr.TooMany, "error.too_many") },
		Storage:      redisstore.NewFromConnection(s.rdb),
	})
}

// language picks the page language: ?lang= (remembered in a cookie), then
// the cookie, then the browser's Accept-Language (P11); Swedish by default.
func (s *Server) language(c *fiber.Ctx) error {
	lang := ""
	if q := c.Query("lang"); i18n.Supported(q) {
		lang = q
		c.Cookie(&fiber.Cookie{Name: "lang", Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			Secure: s.secureCookies(), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	} else if ck := c.Cookies("lang"); i18n.Supported(ck) {
		lang = ck
	} else {
		lang = i18n.Match(c.Get(fiber.HeaderAcceptLanguage))
	}
	c.Locals(localLang, lang)
	c.Set(fiber.HeaderContentLanguage, lang)
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

func langOf(c *fiber.Ctx) string {
	if l, ok := c.Locals(localLang).(string); ok {
		return l
	}
	return "sv"
}

// anonymousActing gives every request the anonymous acting context unless
// an earlier middleware (sessions) set one.
func (s *Server) anonymousActing(c *fiber.Ctx) error {
	if tenant.ActingFrom(c.UserContext()).Actor == "" {
		c.SetUserContext(tenant.WithActing(c.UserContext(), tenant.Acting{Actor: tenant.ActorAnonymous}))
	}
	return c.Next()
}

// resolveKommun loads the kommun named by the :kommun path parameter. An
// unknown or malformed slug gets the kind "no such reception" page.
func (s *Server) resolveKommun(c *fiber.Ctx) error {
	slug := strings.ToLower(c.Params("kommun"))
	if !slugPattern(slug) || tenant.IsReserved(slug) {
		return &apperr.Error{Kind: apperr.NotFound, Key: "error.kommun_not_found", Args: map[string]any{"Slug": clip(slug, 40)}}
	}
	k, err := s.store.KommunBySlug(c.UserContext(), slug)
	if apperr.Is(err, apperr.NotFound) || (err == nil && k.Status == tenant.StatusOffboarded) {
		return &apperr.Error{Kind: apperr.NotFound, Key: "error.kommun_not_found", Args: map[string]any{"Slug": clip(slug, 40)}, Err: err}
	}
	if err != nil {
		return err
	}
	c.Locals(localKommun, k)
	return c.Next()
}

func kommunFrom(c *fiber.Ctx) tenant.Kommun {
	k, _ := c.Locals(localKommun).(tenant.Kommun)
	return k
}

func slugPattern(s string) bool {
	if len(s) < 2 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return !strings.Contains(s, "--")
}

func clip(s string, n int) string {
	if len([]rune(s)) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}

func adaptHandler(h http.Handler) fiber.Handler { return adaptor.HTTPHandler(h) }
