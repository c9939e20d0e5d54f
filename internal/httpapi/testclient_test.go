package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// testClient is a cookie-keeping client of one app, like a browser tab: it
// carries the session and CSRF cookies, and sends the CSRF token with forms
// (field _csrf) and API calls (header X-CSRF-Token). The area helpers
// (profClient, pfClient, staffClient) embed it.
type testClient struct {
	app     *fiber.App
	cookies map[string]string
	csrf    string
}

func newTestClient(app *fiber.App) *testClient {
	return &testClient{app: app, cookies: map[string]string{}}
}

func (c *testClient) send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, err := c.app.Test(req, -1)
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

func (c *testClient) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return c.send(t, httptest.NewRequest(http.MethodGet, path, nil))
}

func (c *testClient) token(t *testing.T) string {
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

func (c *testClient) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	form.Set("_csrf", c.token(t))
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(t, req)
}

func (c *testClient) api(t *testing.T, method, path string, body any) (*http.Response, string) {
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
