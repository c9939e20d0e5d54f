package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/testenv"
)

// profPassword is the password every profile test account starts with.
const profPassword = "sju gröna äpplen i korgen"

// profClient is a cookie-keeping client of the app for the profile tests:
// it carries the session and CSRF cookies like a browser would.
type profClient struct {
	e       env
	cookies map[string]string
	csrf    string
}

func newProfClient(e env) *profClient { return &profClient{e: e, cookies: map[string]string{}} }

// send runs req with the client's cookies and keeps the cookies it is given.
func (c *profClient) send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Value == "" || ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return res, string(b)
}

func (c *profClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return c.send(t, httptest.NewRequest(http.MethodGet, path, nil))
}

// token returns the CSRF token bound to the client's CSRF cookie.
func (c *profClient) token(t *testing.T) string {
	t.Helper()
	if c.csrf == "" || c.cookies["mottagning_csrf"] == "" {
		_, body := c.get(t, "/api/v1/csrf")
		var out struct{ Token string }
		if err := json.Unmarshal([]byte(body), &out); err != nil || out.Token == "" {
			t.Fatalf("GET /api/v1/csrf: %q (%v)", body, err)
		}
		c.csrf = out.Token
	}
	return c.csrf
}

// post submits a form with the CSRF token, like the page would.
func (c *profClient) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set("_csrf", c.token(t))
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(t, req)
}

// api calls the JSON API with the CSRF header; body nil sends none.
func (c *profClient) api(t *testing.T, method, path string, body any) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.token(t))
	return c.send(t, req)
}

// profRegister registers username with profPassword and returns the
// signed-in client and the account id.
func profRegister(t *testing.T, e env, username string) (*profClient, uuid.UUID) {
	t.Helper()
	c := newProfClient(e)
	res, body := c.post(t, "/registrera", url.Values{"username": {username}, "password": {profPassword}})
	if res.StatusCode != http.StatusSeeOther || c.cookies[sessionCookie] == "" {
		t.Fatalf("register %s: %d %s", username, res.StatusCode, body)
	}
	_, body = c.get(t, "/api/v1/account")
	var acc struct{ ID string }
	if err := json.Unmarshal([]byte(body), &acc); err != nil {
		t.Fatalf("GET /api/v1/account after registering: %q", body)
	}
	return c, uuid.MustParse(acc.ID)
}

// profLogin signs in as username in a new client (a second browser).
func profLogin(t *testing.T, e env, username, password string) *profClient {
	t.Helper()
	c := newProfClient(e)
	res, body := c.post(t, "/logga-in", url.Values{"username": {username}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther || c.cookies[sessionCookie] == "" {
		t.Fatalf("login %s: %d %s", username, res.StatusCode, body)
	}
	return c
}

// profAdmin connects to the test's database as the administrative role
// (bypasses row-level security: for setup and checks only).
func profAdmin(t *testing.T, e env) *pgx.Conn {
	t.Helper()
	cfg := testenv.AdminConfig(t, e.db.Pool().Config().ConnConfig.Database)
	conn, err := pgx.Connect(context.Background(), testenv.URL(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func profExec(t *testing.T, admin *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := admin.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// profRow is the stored profile of an account, read as the admin.
type profRow struct {
	Phone, Email, Language string
	PhoneVerified          bool
	Consents               int // rows, open or not
	OpenSMS, OpenEmail     bool
}

func profStored(t *testing.T, admin *pgx.Conn, id uuid.UUID) profRow {
	t.Helper()
	var r profRow
	err := admin.QueryRow(context.Background(), `SELECT coalesce(phone, ''), coalesce(email, ''), language, phone_verified_at IS NOT NULL,
		(SELECT count(*) FROM app.notice_consent WHERE account_id = a.id),
		EXISTS (SELECT 1 FROM app.notice_consent WHERE account_id = a.id AND channel = 'sms' AND withdrawn_at IS NULL),
		EXISTS (SELECT 1 FROM app.notice_consent WHERE account_id = a.id AND channel = 'email' AND withdrawn_at IS NULL)
		FROM app.account a WHERE id = $1`, id).
		Scan(&r.Phone, &r.Email, &r.Language, &r.PhoneVerified, &r.Consents, &r.OpenSMS, &r.OpenEmail)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// profMsg is the Swedish message of key as it appears in a page.
func profMsg(e env, key string, args map[string]any) string {
	return template.HTMLEscapeString(e.srv.tr.Tf("sv", key, args))
}

// profForm is the full profile form as the page posts it.
func profForm(phone, email, lang string, sms, mail bool) url.Values {
	v := url.Values{"phone": {phone}, "email": {email}, "language": {lang}}
	if sms {
		v.Set("sms_notices", "on")
	}
	if mail {
		v.Set("email_notices", "on")
	}
	return v
}
