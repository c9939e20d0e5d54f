package httpapi

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// staffPassword is the password of every staff member the tests create.
const staffPassword = "fyra blå kaniner dansar"

// staffEnv is a test server with a clock that stands still until the test
// moves it (TOTP codes belong to 30-second steps) and the staff service
// for invitations.
type staffEnv struct {
	env
	offset *atomic.Int64 // nanoseconds added to the start time
	svc    *account.StaffService
}

func newStaffEnv(t *testing.T) staffEnv {
	t.Helper()
	return staffEnvOf(t, newEnv(t))
}

// staffEnvOf is newStaffEnv over an env of the test's choosing.
func staffEnvOf(t *testing.T, e env) staffEnv {
	t.Helper()
	off := new(atomic.Int64)
	start := time.Now()
	e.srv.accounts.Now = func() time.Time { return start.Add(time.Duration(off.Load())) }
	svc, err := account.NewStaffService(e.db, e.srv.accounts, e.srv.secret)
	if err != nil {
		t.Fatal(err)
	}
	return staffEnv{env: e, offset: off, svc: svc}
}

func (se staffEnv) now() time.Time { return se.srv.accounts.Now() }

// advance moves the server's clock on by d.
func (se staffEnv) advance(d time.Duration) { se.offset.Add(int64(d)) }

// code returns the TOTP code of secret at the server's time plus d.
func (se staffEnv) code(t *testing.T, secret string, d time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, se.now().Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addStaff creates an active staff member with staffPassword and a role:
// in kommun slug, or platform admin when slug is "". The enforcer is
// reloaded, as the periodic reload would.
func (se staffEnv) addStaff(t *testing.T, email, slug, role string) uuid.UUID {
	t.Helper()
	return se.addStaffHashed(t, email, slug, role, testHash)
}

func (se staffEnv) addStaffHashed(t *testing.T, email, slug, role string, p account.HashParams) uuid.UUID {
	t.Helper()
	hash, err := account.HashPassword(staffPassword, p)
	if err != nil {
		t.Fatal(err)
	}
	id, err := se.db.UpsertStaff(se.system, postgres.NewStaff{Email: email, DisplayName: "Kim Kurator", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if slug == "" {
		err = se.db.AddPlatformAdmin(se.system, id)
	} else {
		err = se.db.SetMembership(tenant.WithActing(se.system, tenant.System().ForKommun(se.kommun(t, slug).ID)), id, role)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := se.srv.authz.(*authz.Enforcer).Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	return id
}

func (se staffEnv) kommun(t *testing.T, slug string) tenant.Kommun {
	t.Helper()
	k, err := se.db.KommunBySlug(se.system, slug)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// count runs a counting query as the system (row-level security applies).
func (se staffEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	err := se.db.InTx(se.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, sql, args...).Scan(&n)
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// staffClient is a cookie-keeping client, like a browser.
type staffClient struct {
	*testClient
	se staffEnv
}

func (se staffEnv) client() *staffClient {
	return &staffClient{testClient: newTestClient(se.app), se: se}
}

func (c *staffClient) signIn(t *testing.T, email, password string) (*http.Response, string) {
	t.Helper()
	return c.post(t, "/personal/logga-in", url.Values{"email": {email}, "password": {password}})
}

// enrol goes through TOTP enrolment on a session that has passed the
// password and returns the secret (read off the page, as a person would)
// and the recovery codes shown once.
func (c *staffClient) enrol(t *testing.T) (string, []string) {
	t.Helper()
	res, body := c.get(t, "/personal/tvafaktor/aktivera")
	if res.StatusCode != 200 {
		t.Fatalf("enrolment page: %d %s", res.StatusCode, body)
	}
	secret := strings.ReplaceAll(staffMatch(t, body, `id="totp-secret">([^<]+)<`), " ", "")
	res, body = c.post(t, "/personal/tvafaktor/aktivera", url.Values{"code": {c.se.code(t, secret, 0)}})
	if res.StatusCode != 200 {
		t.Fatalf("confirming enrolment: %d %s", res.StatusCode, body)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`).FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return secret, codes
}

// signInFully signs in with password and TOTP (enrolling if need be) and
// returns the secret.
func (c *staffClient) signInFully(t *testing.T, email string) string {
	t.Helper()
	res, body := c.signIn(t, email, staffPassword)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("sign-in of %s: %d to %q %s", email, res.StatusCode, res.Header.Get("Location"), body)
	}
	secret, _ := c.enrol(t)
	return secret
}

// staffMatch returns the first submatch of pattern in body, unescaped.
func staffMatch(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in %s", pattern, body)
	}
	return html.UnescapeString(m[1])
}

// staffNotice returns the error summary of a page, or "".
func staffNotice(body string) string {
	m := regexp.MustCompile(`(?s)class="notice notice--error error-summary"[^>]*>(.*?)</div>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// staffFieldError returns the message tied to field, or "".
func staffFieldError(body, field string) string {
	m := regexp.MustCompile(`<p id="` + regexp.QuoteMeta(field) + `-error" class="field-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// staffMsg is the Swedish text of a message id.
func (se staffEnv) msg(key string, args map[string]any) string { return se.srv.tr.Tf("sv", key, args) }

// sessionHash is the stored hash of the client's session cookie.
func (c *staffClient) sessionHash(t *testing.T) []byte {
	t.Helper()
	h, err := account.HashToken(c.cookies[sessionCookie])
	if err != nil {
		t.Fatalf("no session cookie: %v", err)
	}
	return h
}
