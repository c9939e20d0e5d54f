package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// browser is a cookie-keeping client of one env, like a browser tab.
type browser struct {
	e       env
	cookies map[string]string
}

func newBrowser(e env) *browser { return &browser{e: e, cookies: map[string]string{}} }

func (b *browser) send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	res, body := b.e.do(t, req)
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return res, body
}

func (b *browser) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return b.send(t, httptest.NewRequest(http.MethodGet, path, nil))
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post submits a form the way the page does: with the page's CSRF token.
func (b *browser) post(t *testing.T, page, action string, form url.Values) (*http.Response, string) {
	t.Helper()
	_, body := b.get(t, page)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s has no CSRF field", page)
	}
	form.Set("_csrf", m[1])
	req := httptest.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(t, req)
}

func (b *browser) register(t *testing.T, username, password string) *http.Response {
	t.Helper()
	res, _ := b.post(t, "/registrera", "/registrera", url.Values{"username": {username}, "password": {password}})
	return res
}

func (b *browser) login(t *testing.T, username, password string) (*http.Response, string) {
	t.Helper()
	return b.post(t, "/logga-in", "/logga-in", url.Values{"username": {username}, "password": {password}})
}

func (b *browser) signedIn(t *testing.T) bool {
	t.Helper()
	_, body := b.get(t, "/")
	return strings.Contains(body, `action="/logga-ut"`)
}

func countAccounts(t *testing.T, e env) int {
	t.Helper()
	var n int
	err := e.db.InTx(e.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM app.account`).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestP2_RegistrationAsksOnlyUsernameAndPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, body := e.get(t, "/registrera")
	var names []string
	for _, m := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*name="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if m[1] != "_csrf" {
			names = append(names, m[1])
		}
	}
	if strings.Join(names, ",") != "username,password" {
		t.Fatalf("registration asks for %v; want exactly username and password", names)
	}
	// P2 and P6: the form advises an invented username.
	if !strings.Contains(body, "Hitta på ett användarnamn") {
		t.Error("registration does not advise choosing an invented username")
	}
}

func TestP3_RequiredFieldsAreMarked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, page := range []string{"/registrera", "/logga-in"} {
		_, body := e.get(t, page)
		inputs := regexp.MustCompile(`<input[^>]*type="(?:text|password)"[^>]*>`).FindAllString(body, -1)
		if len(inputs) != 2 {
			t.Fatalf("%s: %d inputs", page, len(inputs))
		}
		for _, in := range inputs {
			if !strings.Contains(in, "required") || !strings.Contains(in, `aria-required="true"`) {
				t.Errorf("%s: %s is not marked required", page, in)
			}
		}
		if strings.Count(body, "(måste fyllas i)") != 2 {
			t.Errorf("%s: the labels do not say which fields are required", page)
		}
	}
}

func TestRegisterRefusesBadInputWithSwedishMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct{ username, password, want string }{
		{"", "en lång fras att minnas", "Skriv ett användarnamn."},
		{"ab", "en lång fras att minnas", "för kort"},
		{strings.Repeat("a", 33), "en lång fras att minnas", "för långt"},
		{"hej hej", "en lång fras att minnas", "Använd bara bokstäver"},
		{"Анна", "en lång fras att minnas", "Använd bara bokstäver"},
		{"admin", "en lång fras att minnas", "går inte att använda"},
		{"molnet", "", "Skriv ett lösenord."},
		{"molnet", "kort", "Lösenordet är för kort"},
		{"molnet", "password123", "för vanligt"},
		{"molnet", "Lösenord123", "för vanligt"},
		{"solstråle", "Solstråle", "samma som användarnamnet"},
		{"molnet", strings.Repeat("x", 257), "för långt"},
	}
	b := newBrowser(e)
	for _, c := range cases {
		res, body := b.post(t, "/registrera", "/registrera", url.Values{"username": {c.username}, "password": {c.password}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("register %q/%q: %d; want 400 with %q", c.username, c.password, res.StatusCode, c.want)
		}
		if c.password != "" && strings.Contains(body, `value="`+c.password+`"`) {
			t.Errorf("register %q: the password was echoed back into the page", c.username)
		}
	}
	if n := countAccounts(t, e); n != 0 {
		t.Fatalf("%d accounts after only bad input; want 0", n)
	}
	// Long passphrases are welcome: 64 characters and more.
	if res := b.register(t, "lång.fras", strings.Repeat("blå cykel ", 7)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a 70-character passphrase was refused: %d", res.StatusCode)
	}
}

func TestDuplicateUsernameIsConflictWithoutRegardToCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if res := newBrowser(e).register(t, "Molnet", "en lång fras att minnas"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first registration: %d", res.StatusCode)
	}
	res, body := newBrowser(e).post(t, "/registrera", "/registrera", url.Values{"username": {"molnet"}, "password": {"en annan lång fras"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Användarnamnet är upptaget. Prova ett annat") {
		t.Fatalf("duplicate username: %d; want 409 with a friendly text", res.StatusCode)
	}
	if n := countAccounts(t, e); n != 1 {
		t.Fatalf("%d accounts; want 1", n)
	}
}

func TestPasswordStoredAsArgon2idPHC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newBrowser(e).register(t, "molnet", "en lång fras att minnas")
	var hash string
	err := e.db.InTx(e.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT password_hash FROM app.account`).Scan(&hash)
	})
	if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=") || strings.Contains(hash, "fras") {
		t.Fatalf("stored hash %q (%v); want an argon2id PHC string", hash, err)
	}
}

func TestSessionCookieAndNewIDAtLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBrowser(e)
	res := b.register(t, "molnet", "en lång fras att minnas")
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || len(cookie.Value) < 43 {
		t.Fatalf("session cookie %+v; want HttpOnly, Secure, SameSite=Lax and a 256-bit id", cookie)
	}
	first := b.cookies[sessionCookie]
	b.login(t, "molnet", "en lång fras att minnas")
	if b.cookies[sessionCookie] == first || b.cookies[sessionCookie] == "" {
		t.Fatal("sign-in did not give a new session id")
	}
	// The id is not stored, only its hash.
	var stored int
	_ = e.db.InTx(e.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM app.session WHERE encode(id_hash, 'escape') LIKE '%' || $1 || '%'`, first[:10]).Scan(&stored)
	})
	if stored != 0 {
		t.Fatal("the session id itself is stored")
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBrowser(e)
	b.register(t, "molnet", "en lång fras att minnas")
	old := b.cookies[sessionCookie]
	if !b.signedIn(t) {
		t.Fatal("not signed in after registration")
	}
	b.post(t, "/", "/logga-ut", url.Values{})
	if b.signedIn(t) {
		t.Fatal("still signed in after logging out")
	}
	replay := newBrowser(e)
	replay.cookies[sessionCookie] = old
	if replay.signedIn(t) {
		t.Fatal("the old session id still works after logout")
	}
}

func TestTamperedSessionIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBrowser(e)
	b.register(t, "molnet", "en lång fras att minnas")
	// Change a character in the middle: the last one of 43 carries padding
	// bits a decoder may ignore.
	real := b.cookies[sessionCookie]
	swap := byte('A')
	if real[20] == swap {
		swap = 'B'
	}
	changed := real[:20] + string(swap) + real[21:]
	for _, forged := range []string{"x", strings.Repeat("A", 43), changed, "' OR 1=1 --"} {
		f := newBrowser(e)
		f.cookies[sessionCookie] = forged
		if f.signedIn(t) {
			t.Errorf("forged session %q accepted", forged)
		}
	}
}

func TestSessionIdleTimeoutAndLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, expire := range []string{
		`UPDATE app.session SET last_seen_at = now() - interval '31 minutes'`, // idle past 30 min
		`UPDATE app.session SET expires_at = now() - interval '1 second'`,     // past its lifetime
	} {
		b := newBrowser(e)
		b.register(t, "u"+strings.ToLower(randomSuffix(t)), "en lång fras att minnas")
		admin := adminConn(t, e)
		if _, err := admin.Exec(context.Background(), expire); err != nil {
			t.Fatal(err)
		}
		if b.signedIn(t) {
			t.Errorf("%s: still signed in", expire)
		}
		var n int
		_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM app.session`).Scan(&n)
		if n != 0 {
			t.Errorf("%s: %d sessions left; the dead one should be deleted", expire, n)
		}
	}
}

func TestMissingCSRFTokenIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	form := url.Values{"username": {"molnet"}, "password": {"en lång fras att minnas"}}
	req := httptest.NewRequest(http.MethodPost, "/registrera", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, body := e.do(t, req)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Ladda om sidan") {
		t.Fatalf("form without CSRF token: %d; want 403 with a friendly text", res.StatusCode)
	}
	api := httptest.NewRequest(http.MethodPost, "/api/v1/account", strings.NewReader(`{"username":"molnet","password":"en lång fras att minnas"}`))
	api.Header.Set("Content-Type", "application/json")
	res, body = e.do(t, api)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, `"kind":"forbidden"`) {
		t.Fatalf("API call without CSRF header: %d %s", res.StatusCode, body)
	}
	if n := countAccounts(t, e); n != 0 {
		t.Fatalf("%d accounts written without a CSRF token", n)
	}
}

func TestAPIRegisterAndLoginWithCSRFHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := newBrowser(e)
	_, body := b.get(t, "/api/v1/csrf")
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Token == "" {
		t.Fatalf("csrf endpoint: %s", body)
	}
	call := func(method, path, payload string) (*http.Response, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", tok.Token)
		return b.send(t, req)
	}
	res, body := call(http.MethodPost, "/api/v1/account", `{"username":"Molnet","password":"en lång fras att minnas"}`)
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, `"username":"Molnet"`) {
		t.Fatalf("API register: %d %s", res.StatusCode, body)
	}
	res, body = call(http.MethodPost, "/api/v1/account", `{"username":"molnet","password":"en lång fras att minnas"}`)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, `"field":"username"`) {
		t.Fatalf("API duplicate: %d %s", res.StatusCode, body)
	}
	res, body = call(http.MethodPost, "/api/v1/account", `{"username":"x"`)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("API malformed JSON: %d %s", res.StatusCode, body)
	}
	res, body = call(http.MethodPost, "/api/v1/account", `{"username":"Stjarnan","password":"en lång fras att minnas","language":"fi"}`)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"field":"language"`) {
		t.Fatalf("API unknown language: %d %s", res.StatusCode, body)
	}
	if n := countAccounts(t, e); n != 1 {
		t.Fatalf("accounts after a refused language: %d; want only Molnet", n)
	}
	if res, _ := call(http.MethodPost, "/api/v1/session", `{"username":"molnet","password":"en lång fras att minnas"}`); res.StatusCode != 200 {
		t.Fatalf("API login: %d", res.StatusCode)
	}
	if res, _ := call(http.MethodDelete, "/api/v1/session", ``); res.StatusCode != http.StatusNoContent {
		t.Fatalf("API logout: %d", res.StatusCode)
	}
}

func TestLoginSameAnswerForUnknownUserAndWrongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newBrowser(e).register(t, "molnet", "en lång fras att minnas")
	res1, body1 := newBrowser(e).login(t, "molnet", "fel lösenord helt")
	res2, body2 := newBrowser(e).login(t, "finnsinte", "fel lösenord helt")
	strip := regexp.MustCompile(`value="[^"]*"`)
	if res1.StatusCode != res2.StatusCode || strip.ReplaceAllString(body1, "") != strip.ReplaceAllString(body2, "") &&
		!strings.Contains(body1, "Användarnamnet eller lösenordet stämmer inte") {
		t.Fatalf("wrong password %d, unknown user %d: the answers differ", res1.StatusCode, res2.StatusCode)
	}
	if res1.StatusCode != http.StatusUnauthorized || !strings.Contains(body2, "Användarnamnet eller lösenordet stämmer inte") {
		t.Fatalf("failed sign-in: %d; want 401 with the shared message", res1.StatusCode)
	}
}

func TestBruteForceIsThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newBrowser(e).register(t, "molnet", "en lång fras att minnas")
	b := newBrowser(e)
	for i := range 10 {
		if res, _ := b.login(t, "molnet", "gissning nummer "+string(rune('a'+i))); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := b.login(t, "Molnet", "en lång fras att minnas")
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "för många gånger") {
		t.Fatalf("after 10 failures even the right password must wait: %d", res.StatusCode)
	}
	// Another username from the same address is not locked out by these failures.
	newBrowser(e).register(t, "stjarna", "en annan lång fras")
	if res, _ := newBrowser(e).login(t, "stjarna", "en annan lång fras"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another user was locked out: %d", res.StatusCode)
	}
}

func TestLoginSurvivesRedisRestart(t *testing.T) {
	t.Parallel()
	r := testenv.NewPrivateRedis(t)
	e := newEnvOn(t, r.Client, "")
	b := newBrowser(e)
	b.register(t, "molnet", "en lång fras att minnas")
	r.Restart()
	if !b.signedIn(t) {
		t.Fatal("signed out by a Redis restart; sessions must live in PostgreSQL")
	}
}

func adminConn(t *testing.T, e env) *pgx.Conn {
	t.Helper()
	return testenv.Admin(t, e.dbinfo)
}

func randomSuffix(t *testing.T) string {
	t.Helper()
	return strings.ReplaceAll(uuid.NewString()[:8], "-", "")
}
