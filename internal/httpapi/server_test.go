package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/net/html"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/config"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/tenants"
)

const testBaseURL = "https://ungdomsmottagning.example"

// testHash keeps password hashing cheap in tests; production parameters
// are measured by the benchmarks.
var testHash = account.HashParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// env is one test's running server over a fresh database and real Redis.
type env struct {
	app    *fiber.App
	srv    *Server
	db     *postgres.DB
	dbinfo testenv.Database
	system context.Context
}

func testConfig(t *testing.T) config.Config {
	t.Helper()
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
		t.Fatal(err)
	}
	return cfg
}

func newEnv(t *testing.T, mutate ...func(*config.Config)) env {
	t.Helper()
	rdb, prefix := testenv.Redis(t)
	return newEnvOn(t, rdb, prefix, mutate...)
}

// newEnvOn is newEnv with a Redis of the test's choosing (a private one it
// can restart, say).
func newEnvOn(t *testing.T, rdb *redis.Client, prefix string, mutate ...func(*config.Config)) env {
	t.Helper()
	db, dbinfo := testenv.DB(t)
	system := tenant.WithActing(context.Background(), tenant.System())
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyKommuner(system, defs); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	for _, m := range mutate {
		m(&cfg)
	}
	enf, err := authz.New(context.Background(), db, authz.Options{})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := account.NewService(db, testHash, account.SessionPolicy{Idle: 30 * time.Minute, Lifetime: 12 * time.Hour}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(Deps{Config: cfg, Store: db, Redis: rdb, RedisPrefix: prefix, Authz: enf, Registry: prometheus.NewRegistry(),
		Accounts: accounts, AccountDB: db})
	if err != nil {
		t.Fatal(err)
	}
	app, err := srv.app(srv.routes)
	if err != nil {
		t.Fatal(err)
	}
	return env{app: app, srv: srv, db: db, dbinfo: dbinfo, system: system}
}

// listen serves the app on a real loopback listener until the test ends
// and returns its base URL.
func (e env) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, e.app, ln, 5*time.Second, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func (e env) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func (e env) get(t *testing.T, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

func TestStartPageListsAll26Kommuner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, body := e.get(t, "/")
	if res.StatusCode != 200 {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	links := map[string]bool{}
	for _, a := range attrs(t, body, "a", "href") {
		links[a] = true
	}
	defs, _ := tenant.LoadDir(tenants.FS)
	for _, d := range defs {
		if !links["/"+d.Slug] {
			t.Errorf("start page has no link to /%s", d.Slug)
		}
	}
	if !strings.Contains(body, "Österåker") || !strings.Contains(body, "Södertälje") {
		t.Error("start page misses Swedish names")
	}
	// Swedish order: Österåker comes after Värmdö.
	if strings.Index(body, "Värmdö") > strings.Index(body, "Österåker") {
		t.Error("kommuner are not in Swedish alphabetical order")
	}
}

func TestStartPageSearchWorksWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, body := e.get(t, "/?q=sol")
	hrefs := attrs(t, body, "a", "href")
	has := func(h string) bool {
		for _, x := range hrefs {
			if x == h {
				return true
			}
		}
		return false
	}
	if !has("/solna") || !has("/sollentuna") || has("/nacka") {
		t.Fatalf("search for 'sol' gave links %v; want Solna and Sollentuna, not Nacka", hrefs)
	}
}

func TestS3_NoThirdPartyResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	paths := []string{"/", "/?lang=en", "/integritet", "/integritet?lang=en", "/finns-inte", "/nacka/finns-inte", "/api-nej"}
	defs, _ := tenant.LoadDir(tenants.FS)
	for _, d := range defs {
		paths = append(paths, "/"+d.Slug, "/"+d.Slug+"?lang=en")
	}
	base, _ := url.Parse(testBaseURL)
	for _, p := range paths {
		_, body := e.get(t, p)
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		n := 0
		walk(doc, func(node *html.Node) {
			for _, a := range node.Attr {
				switch a.Key {
				case "src", "href", "action", "srcset", "poster", "data", "formaction", "manifest", "background":
				default:
					continue
				}
				n++
				u, err := url.Parse(strings.TrimSpace(a.Val))
				if err != nil {
					t.Errorf("%s: <%s %s=%q> does not parse", p, node.Data, a.Key, a.Val)
					continue
				}
				if u.Host != "" && u.Host != base.Host {
					t.Errorf("%s: <%s %s=%q> points to another site", p, node.Data, a.Key, a.Val)
				}
				if u.Scheme != "" && u.Scheme != "https" && u.Scheme != "tel" && u.Scheme != "mailto" {
					t.Errorf("%s: <%s %s=%q> uses scheme %q", p, node.Data, a.Key, a.Val, u.Scheme)
				}
			}
		})
		if n == 0 {
			t.Errorf("%s: no src or href at all; the page did not render", p)
		}
	}
}

func TestOutsideLinksRedirectFromOwnOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	k, err := e.db.KommunBySlug(e.system, "nacka")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/nacka/integritetspolicy": k.PrivacyPolicyURL,
		"/nacka/webbplats":         k.Contact.Website,
		"/integritet/imy":          imyURL,
		"/lamna":                   "https://www.smhi.se",
	} {
		res, _ := e.get(t, path)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q; want 303 to %q", path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

func TestP9_PrivacyContactsFromConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.DPOName = "Dataskyddsombud Testsson"
		c.DPOEmail = "dso-test@storsthlm.example"
		c.StorsthlmAddress = "Testvägen 9, 111 11 Stockholm"
	})
	_, body := e.get(t, "/integritet")
	for _, want := range []string{"Dataskyddsombud Testsson", "dso-test@storsthlm.example", "Testvägen 9, 111 11 Stockholm"} {
		if !strings.Contains(body, want) {
			t.Errorf("privacy page lacks configured %q", want)
		}
	}
}

func TestP28_PrivacyPageExplainsIMYComplaint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, lang := range []string{"sv", "en"} {
		_, body := e.get(t, "/integritet?lang="+lang)
		if !strings.Contains(body, "IMY") || !strings.Contains(body, "/integritet/imy") {
			t.Errorf("privacy page (%s) does not explain how to complain to IMY", lang)
		}
	}
}

func TestUnknownKommunGetsSwedish404(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/atlantis", "/Atlantis", "/atlantis/chatt", "/x"} {
		res, body := e.get(t, p)
		if res.StatusCode != 404 {
			t.Errorf("GET %s: %d; want 404", p, res.StatusCode)
		}
		if !strings.Contains(body, `lang="sv"`) || !strings.Contains(body, "Ungdomsmottagningen") {
			t.Errorf("GET %s: not a Swedish page", p)
		}
		if strings.Contains(body, "Cannot GET") || strings.Contains(body, "fiber") {
			t.Errorf("GET %s: shows internals", p)
		}
	}
	_, body := e.get(t, "/atlantis")
	if !strings.Contains(body, "atlantis") {
		t.Error("the 404 page does not name the reception that was not found")
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for path, want := range map[string]int{"/api/v1/finns-inte": 404, "/api/v1/kommuner/atlantis": 404} {
		res, body := e.get(t, path)
		var got apiError
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("GET %s: body %q is not JSON: %v", path, body, err)
		}
		if res.StatusCode != want || got.Error.Kind != "not_found" || got.Error.Message == "" {
			t.Errorf("GET %s: %d %+v; want %d not_found with a message", path, res.StatusCode, got, want)
		}
	}
	res, body := e.get(t, "/api/v1/kommuner", "Accept-Language", "en")
	var list struct{ Kommuner []kommunJSON }
	if err := json.Unmarshal([]byte(body), &list); err != nil || res.StatusCode != 200 || len(list.Kommuner) != 26 {
		t.Fatalf("GET /api/v1/kommuner: %d, %d kommuner, %v", res.StatusCode, len(list.Kommuner), err)
	}
}

func TestOversizedBodyGets413(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.BodyLimit = 4096 })
	base := e.listen(t)
	big := bytes.Repeat([]byte("a"), 10_000)
	for _, path := range []string{"/api/v1/kommuner", "/nacka"} {
		res, err := http.Post(base+path, "application/json", bytes.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body := string(b)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("POST %s with 10 kB: %d; want 413", path, res.StatusCode)
		}
		if strings.HasPrefix(path, "/api/") {
			var got apiError
			if err := json.Unmarshal([]byte(body), &got); err != nil || got.Error.Kind != "too_large" {
				t.Errorf("POST %s: body %q; want JSON too_large", path, body)
			}
		} else if !strings.Contains(body, "<html") {
			t.Errorf("POST %s: want a friendly page, got %q", path, body)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, _ := e.get(t, "/nacka")
	h := res.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if !strings.Contains(h.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS header")
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a page; want no-store", h.Get("Cache-Control"))
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
		t.Error("nosniff or frame options missing")
	}
	if h.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	res, _ = e.get(t, "/static/app.css")
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("static asset: %d %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
}

func TestRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.RateLimit = 5 })
	for i := range 5 {
		if res, _ := e.get(t, "/integritet"); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := e.get(t, "/integritet")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "<html") {
		t.Fatalf("6th request: %d; want 429 with a friendly page", res.StatusCode)
	}
	// Probes are never limited.
	if res, _ := e.get(t, "/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz limited: %d", res.StatusCode)
	}
	// The count lives in Redis under a hash, never the address.
	keys, err := e.srv.rdb.Keys(context.Background(), e.srv.prefix+"*").Result()
	if err != nil || len(keys) != 1 || strings.Contains(keys[0], "0.0.0.0") {
		t.Fatalf("rate-limit keys %v (%v); want one hashed key", keys, err)
	}
}

func TestLanguageFollowsBrowserAndChoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, body := e.get(t, "/", "Accept-Language", "en-GB,en;q=0.9"); !strings.Contains(body, `<html lang="en"`) {
		t.Error("Accept-Language en did not give English")
	}
	if _, body := e.get(t, "/", "Accept-Language", "de-DE"); !strings.Contains(body, `<html lang="sv"`) {
		t.Error("an unsupported language did not fall back to Swedish")
	}
	res, body := e.get(t, "/?lang=en")
	if !strings.Contains(body, `<html lang="en"`) {
		t.Error("?lang=en did not give English")
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "lang" {
			cookie = c.Value
		}
	}
	if cookie != "en" {
		t.Fatal("?lang=en was not remembered in a cookie")
	}
	if _, body := e.get(t, "/integritet", "Cookie", "lang=en"); !strings.Contains(body, `<html lang="en"`) {
		t.Error("the language cookie was not respected")
	}
}

func TestQuickExitOnEveryYouthPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range []string{"/", "/integritet", "/nacka", "/atlantis"} {
		_, body := e.get(t, p)
		if !strings.Contains(body, `href="/lamna"`) {
			t.Errorf("%s has no quick-exit button", p)
		}
		if !strings.Contains(body, "<title>Ungdomsmottagningen</title>") {
			t.Errorf("%s: the tab title must be just Ungdomsmottagningen", p)
		}
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if res, _ := e.get(t, "/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz %d", res.StatusCode)
	}
	if res, body := e.get(t, "/readyz"); res.StatusCode != 200 {
		t.Fatalf("readyz %d %s", res.StatusCode, body)
	}
	e.get(t, "/nacka")
	res, body := e.get(t, "/metrics")
	if res.StatusCode != 200 || !strings.Contains(body, `mottagning_http_requests_total{method="GET",route="/:kommun/",status="200"}`) &&
		!strings.Contains(body, `route="/:kommun"`) {
		t.Fatalf("metrics: %d, no request counter by route pattern:\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, "/nacka") {
		t.Error("metrics carry a raw path; they must use route patterns")
	}
}

func TestReadyzFailsWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.rdb = brokenRedis()
	res, body := e.get(t, "/readyz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "redis") {
		t.Fatalf("readyz with Redis down: %d %s; want 503 naming redis", res.StatusCode, body)
	}
}

func TestRequirePermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nacka, _ := e.db.KommunBySlug(e.system, "nacka")
	solna, _ := e.db.KommunBySlug(e.system, "solna")
	staff, err := e.db.UpsertStaff(e.system, postgres.NewStaff{Email: "k@nacka.example", DisplayName: "K", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetMembership(tenant.WithActing(e.system, tenant.System().ForKommun(nacka.ID)), staff, authz.RoleCounsellor); err != nil {
		t.Fatal(err)
	}
	enf := e.srv.authz.(*authz.Enforcer)
	if err := enf.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	var acting tenant.Acting
	app, err := e.srv.app(func(app *fiber.App) {
		app.Use(func(c *fiber.Ctx) error {
			c.SetUserContext(tenant.WithActing(c.UserContext(), acting))
			return c.Next()
		})
		app.Get("/:kommun/bokningar", e.srv.resolveKommun, e.srv.require(authz.ObjBooking, authz.ActRead),
			func(c *fiber.Ctx) error { return c.SendString("ok") })
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		acting tenant.Acting
		path   string
		want   int
	}{
		{"counsellor in own kommun", tenant.Acting{Actor: tenant.ActorStaff, AccountID: staff, KommunID: nacka.ID}, "/nacka/bokningar", 200},
		{"counsellor in other kommun", tenant.Acting{Actor: tenant.ActorStaff, AccountID: staff, KommunID: solna.ID}, "/solna/bokningar", 404},
		{"anonymous", tenant.Acting{Actor: tenant.ActorAnonymous}, "/nacka/bokningar", 401},
		{"unknown staff", tenant.Acting{Actor: tenant.ActorStaff, AccountID: uuid.New()}, "/nacka/bokningar", 404},
	}
	for _, tc := range cases {
		acting = tc.acting
		res, err := app.Test(httptest.NewRequest(http.MethodGet, tc.path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d; want %d", tc.name, res.StatusCode, tc.want)
		}
	}
}

func attrs(t *testing.T, body, tag, key string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			for _, a := range n.Attr {
				if a.Key == key {
					out = append(out, a.Val)
				}
			}
		}
	})
	return out
}

func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}
