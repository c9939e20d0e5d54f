package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/postgres"
)

func TestStaffFirstSignInEnrolsTOTPThenReachesStaffPages(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	id := se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	c := se.client()

	res, _ := c.get(t, "/personal")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in") {
		t.Fatalf("GET /personal signed out: %d to %q; want the staff sign-in", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := c.get(t, "/personal/logga-in?next=/personal")
	if res.StatusCode != 200 || !strings.Contains(body, `name="email"`) || !strings.Contains(body, `name="_csrf"`) || strings.Contains(body, `id="quick-exit"`) {
		t.Fatalf("sign-in page: %d; want an e-mail form without the youth quick exit", res.StatusCode)
	}
	res, body = c.signIn(t, "  Kim@Nacka.example ", staffPassword)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("password step: %d to %q %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	pending := c.sessionHash(t)

	// Half signed in: the staff pages stay shut.
	if res, _ := c.get(t, "/personal"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in") {
		t.Fatalf("GET /personal before TOTP: %d to %q; want the sign-in", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.get(t, "/personal/tvafaktor"); res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("the code page before enrolment should send to enrolment, got %q", res.Header.Get("Location"))
	}

	res, body = c.get(t, "/personal/tvafaktor/aktivera")
	if res.StatusCode != 200 || !strings.Contains(body, `<img class="qr-code" src="/personal/tvafaktor/aktivera/qr.png"`) {
		t.Fatalf("enrolment page: %d, no server-rendered QR code", res.StatusCode)
	}
	secret := strings.ReplaceAll(staffMatch(t, body, `id="totp-secret">([^<]+)<`), " ", "")
	if _, again := c.get(t, "/personal/tvafaktor/aktivera"); !strings.Contains(again, staffMatch(t, body, `id="totp-secret">([^<]+)<`)) {
		t.Error("reloading the enrolment page changed the secret")
	}
	res, qr := c.get(t, "/personal/tvafaktor/aktivera/qr.png")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("QR code: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if _, err := png.Decode(bytes.NewReader([]byte(qr))); err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}

	// Encrypted at rest: the stored secret is not the secret.
	var stored string
	_ = se.db.InTx(se.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT totp_secret FROM app.staff WHERE id = $1`, id).Scan(&stored)
	})
	if !strings.HasPrefix(stored, "v1:") || strings.Contains(stored, secret) {
		t.Fatalf("stored TOTP secret %q is not sealed", stored)
	}

	res, body = c.post(t, "/personal/tvafaktor/aktivera", url.Values{"code": {se.code(t, secret, 0)}})
	if res.StatusCode != 200 {
		t.Fatalf("confirming: %d %s", res.StatusCode, body)
	}
	codes := regexp.MustCompile(`<li><code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code></li>`).FindAllStringSubmatch(body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown; want 10", len(codes))
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff_recovery_code WHERE staff_id = $1 AND used_at IS NULL`, id); n != 10 {
		t.Errorf("%d recovery codes stored; want 10", n)
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff WHERE id = $1 AND totp_enabled_at IS NOT NULL`, id); n != 1 {
		t.Fatal("TOTP not enabled after confirmation")
	}
	// A new session id once both factors are done; the half one is gone.
	if bytes.Equal(c.sessionHash(t), pending) {
		t.Error("the session id did not change when the second factor was done")
	}
	if n := se.count(t, `SELECT count(*) FROM app.session WHERE id_hash = $1`, pending); n != 0 {
		t.Error("the half-signed-in session still exists")
	}

	res, body = c.get(t, "/personal")
	if res.StatusCode != 200 || !strings.Contains(body, "Nacka") || !strings.Contains(body, "Kurator") || strings.Contains(body, `href="/plattform"`) {
		t.Fatalf("staff start page: %d; want Nacka with the role Kurator and no platform link\n%s", res.StatusCode, body)
	}
	if strings.Contains(body, `id="quick-exit"`) {
		t.Error("the staff start page shows the youth quick exit")
	}

	res, _ = c.post(t, "/personal/logga-ut", url.Values{})
	if res.StatusCode != http.StatusSeeOther || c.cookies[sessionCookie] != "" {
		t.Fatalf("sign-out: %d, cookie %q", res.StatusCode, c.cookies[sessionCookie])
	}
	if n := se.count(t, `SELECT count(*) FROM app.session WHERE staff_id = $1`, id); n != 0 {
		t.Errorf("%d sessions left after signing out", n)
	}
	if res, _ := c.get(t, "/personal"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /personal after sign-out: %d", res.StatusCode)
	}
}

func TestStaffTOTPCodeWorksOnceAndRecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	c := se.client()
	res, _ := c.signIn(t, "kim@nacka.example", staffPassword)
	if res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("first sign-in went to %q", res.Header.Get("Location"))
	}
	secret, codes := c.enrol(t)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	c.post(t, "/personal/logga-ut", url.Values{})

	verify := func(code string) (*http.Response, string) {
		t.Helper()
		c := se.client()
		res, _ := c.signIn(t, "kim@nacka.example", staffPassword)
		if res.Header.Get("Location") != "/personal/tvafaktor" {
			t.Fatalf("an enrolled staff member was sent to %q", res.Header.Get("Location"))
		}
		return c.post(t, "/personal/tvafaktor", url.Values{"code": {code}})
	}

	// The code used for enrolment is spent.
	res, body := verify(se.code(t, secret, 0))
	if res.StatusCode != http.StatusUnauthorized || staffFieldError(body, "code") != se.msg("error.staff.totp.reused", nil) {
		t.Fatalf("the enrolment code again: %d %q", res.StatusCode, staffFieldError(body, "code"))
	}
	// The next step's code works (clocks drift: one step either side).
	next := se.code(t, secret, 30*time.Second)
	if res, _ := verify(next); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal" {
		t.Fatalf("a fresh code: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// ... once.
	if res, body := verify(next); res.StatusCode != http.StatusUnauthorized || !strings.Contains(staffNotice(body)+staffFieldError(body, "code"), "redan använts") {
		t.Fatalf("the same code twice: %d %q", res.StatusCode, staffFieldError(body, "code"))
	}
	// A code two steps away is refused.
	se.advance(5 * time.Minute)
	if res, _ := verify(se.code(t, secret, 90*time.Second)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a code three steps ahead: %d; want 401", res.StatusCode)
	}
	if res, _ := verify(se.code(t, secret, -30*time.Second)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a code one step behind: %d; want it accepted", res.StatusCode)
	}

	// A recovery code, typed loosely, works once.
	loose := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	res, _ = verify(loose)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal?reservkod=1" {
		t.Fatalf("recovery code: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = verify(codes[3])
	if res.StatusCode != http.StatusUnauthorized || staffFieldError(body, "code") != se.msg("error.staff.recovery.wrong", nil) {
		t.Fatalf("recovery code twice: %d %q", res.StatusCode, staffFieldError(body, "code"))
	}
	if res, _ := verify(codes[4]); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another recovery code: %d", res.StatusCode)
	}
}

func TestStaffSignInSameAnswerForUnknownEmailWrongPasswordAndDeactivated(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	off := se.addStaff(t, "alex@nacka.example", "nacka", "counsellor")
	err := se.db.InTx(se.system, func(ctx context.Context, q postgres.Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.staff SET status = 'deactivated' WHERE id = $1`, off)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	answer := func(email, password string) (int, string) {
		t.Helper()
		res, body := se.client().signIn(t, email, password)
		body = regexp.MustCompile(`name="_csrf" value="[^"]*"`).ReplaceAllString(body, "")
		return res.StatusCode, strings.ReplaceAll(body, email, "EMAIL")
	}
	s1, b1 := answer("nobody@nacka.example", staffPassword)
	s2, b2 := answer("kim@nacka.example", "fel lösenord helt och hållet")
	s3, b3 := answer("alex@nacka.example", staffPassword)
	if s1 != http.StatusUnauthorized || s2 != s1 || s3 != s1 {
		t.Fatalf("statuses %d, %d, %d; want 401 for all", s1, s2, s3)
	}
	if b1 != b2 || b1 != b3 {
		t.Error("unknown e-mail, wrong password and deactivated staff get different pages")
	}
	if got := staffNotice(b1); got != se.msg("error.staff.login.failed", nil) {
		t.Errorf("message %q", got)
	}
	if n := se.count(t, `SELECT count(*) FROM app.session`); n != 0 {
		t.Errorf("%d sessions after refused sign-ins", n)
	}
	// The API answers the same way.
	c := se.client()
	r1, j1 := c.api(t, http.MethodPost, "/api/v1/staff/session", map[string]string{"email": "nobody@nacka.example", "password": staffPassword})
	r2, j2 := c.api(t, http.MethodPost, "/api/v1/staff/session", map[string]string{"email": "alex@nacka.example", "password": staffPassword})
	strip := regexp.MustCompile(`"request_id":"[^"]*"`)
	if r1.StatusCode != 401 || r2.StatusCode != 401 || strip.ReplaceAllString(j1, "") != strip.ReplaceAllString(j2, "") {
		t.Errorf("API: %d %s / %d %s", r1.StatusCode, j1, r2.StatusCode, j2)
	}
}

func TestStaffSignInThrottledPerEmail(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	for i := range 10 {
		if res, _ := se.client().signIn(t, "kim@nacka.example", "fel lösenord nummer"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := se.client().signIn(t, "KIM@nacka.example", staffPassword)
	if res.StatusCode != http.StatusTooManyRequests || staffNotice(body) != se.msg("error.login.too_many", nil) {
		t.Fatalf("right password after 10 failures: %d %q; want 429 with a clear message", res.StatusCode, staffNotice(body))
	}
	if n := se.count(t, `SELECT count(*) FROM app.session`); n != 0 {
		t.Error("a throttled sign-in started a session")
	}
	// Another staff member is not affected.
	se.addStaff(t, "sam@nacka.example", "nacka", "counsellor")
	if res, _ := se.client().signIn(t, "sam@nacka.example", staffPassword); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another e-mail: %d", res.StatusCode)
	}
}

func TestStaffTOTPFailuresThrottled(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	c := se.client()
	secret := c.signInFully(t, "kim@nacka.example")
	c.post(t, "/personal/logga-ut", url.Values{})
	c.signIn(t, "kim@nacka.example", staffPassword)
	right := se.code(t, secret, 30*time.Second)
	wrong := "000000"
	if wrong == right {
		wrong = "111111"
	}
	for i := range 5 {
		if res, _ := c.post(t, "/personal/tvafaktor", url.Values{"code": {wrong}}); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d", i+1, res.StatusCode)
		}
	}
	res, body := c.post(t, "/personal/tvafaktor", url.Values{"code": {right}})
	if res.StatusCode != http.StatusTooManyRequests || staffNotice(body) != se.msg("error.staff.totp.too_many", nil) {
		t.Fatalf("right code after 5 wrong: %d %q; want 429 with a clear message", res.StatusCode, staffNotice(body))
	}
	if n := se.count(t, `SELECT count(*) FROM app.session WHERE mfa_done`); n != 0 {
		t.Error("a throttled code completed the sign-in")
	}
}

func TestStaffSessionWithoutTOTPIsRefusedByRequireStaff(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "pat@storsthlm.example", "", "platform_admin")
	c := se.client()
	c.signIn(t, "pat@storsthlm.example", staffPassword)
	if c.cookies[sessionCookie] == "" {
		t.Fatal("no session after the password step")
	}
	if res, _ := c.get(t, "/personal"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/personal/logga-in") {
		t.Errorf("GET /personal: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := c.api(t, http.MethodGet, "/api/v1/staff/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/staff/me: %d; want 401", res.StatusCode)
	}
	// A youth session does not reach the TOTP step either.
	y := se.client()
	if res, body := y.post(t, "/registrera", url.Values{"username": {"stjarnfall"}, "password": {"sju gröna äpplen"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %s", res.StatusCode, body)
	}
	if res, _ := y.post(t, "/personal/tvafaktor", url.Values{"code": {"123456"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a youth posting a TOTP code: %d; want 401", res.StatusCode)
	}
	if res, _ := y.get(t, "/personal"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a youth on /personal: %d; want a redirect to the staff sign-in", res.StatusCode)
	}
}

func TestStaffBadInputGetsSwedishMessageAndWritesNothing(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "counsellor")
	for _, tc := range []struct {
		email, password, field, key string
	}{
		{"", staffPassword, "email", "error.staff.email.required"},
		{"inte-en-adress", staffPassword, "email", "error.staff.email.invalid"},
		{"kim@nacka", staffPassword, "email", "error.staff.email.invalid"},
		{"kim@nacka.example", "", "password", "error.password.required"},
	} {
		res, body := se.client().signIn(t, tc.email, tc.password)
		if res.StatusCode != http.StatusBadRequest || staffFieldError(body, tc.field) != se.msg(tc.key, nil) {
			t.Errorf("sign-in %q/%q: %d, %s error %q; want 400 %q", tc.email, tc.password, res.StatusCode, tc.field,
				staffFieldError(body, tc.field), se.msg(tc.key, nil))
		}
		if !strings.Contains(body, `lang="sv"`) {
			t.Error("not a Swedish page")
		}
	}
	if n := se.count(t, `SELECT count(*) FROM app.session`); n != 0 {
		t.Errorf("%d sessions after bad input", n)
	}

	c := se.client()
	c.signInFully(t, "kim@nacka.example")
	c.post(t, "/personal/logga-ut", url.Values{})
	c.signIn(t, "kim@nacka.example", staffPassword)
	var before int64
	_ = se.db.InTx(se.system, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT totp_last_step FROM app.staff WHERE email = 'kim@nacka.example'`).Scan(&before)
	})
	for code, key := range map[string]string{"": "error.staff.totp.required", "12345": "error.staff.totp.format",
		"1234567": "error.staff.totp.format", "abcdef": "error.staff.totp.format", "abcd-efgh-jk": "error.staff.totp.format"} {
		res, body := c.post(t, "/personal/tvafaktor", url.Values{"code": {code}})
		if res.StatusCode != http.StatusBadRequest || staffFieldError(body, "code") != se.msg(key, nil) {
			t.Errorf("code %q: %d %q; want 400 %q", code, res.StatusCode, staffFieldError(body, "code"), se.msg(key, nil))
		}
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff WHERE email = 'kim@nacka.example' AND totp_last_step = $1`, before); n != 1 {
		t.Error("a malformed code changed the last used step")
	}
	if n := se.count(t, `SELECT count(*) FROM app.session WHERE mfa_done`); n != 0 {
		t.Error("a malformed code completed the sign-in")
	}
	// Format errors do not count against the limit of wrong codes.
	if res, _ := c.post(t, "/personal/tvafaktor", url.Values{"code": {"000000"}}); res.StatusCode == http.StatusTooManyRequests {
		t.Error("format errors were counted as wrong codes")
	}
	// Enrolment: a malformed code leaves TOTP off.
	n := se.client()
	se.addStaff(t, "ny@nacka.example", "nacka", "counsellor")
	n.signIn(t, "ny@nacka.example", staffPassword)
	n.get(t, "/personal/tvafaktor/aktivera")
	res, body := n.post(t, "/personal/tvafaktor/aktivera", url.Values{"code": {"12 34"}})
	if res.StatusCode != http.StatusBadRequest || staffFieldError(body, "code") != se.msg("error.staff.totp.format", nil) ||
		!strings.Contains(body, `id="totp-secret"`) {
		t.Errorf("enrolment with a malformed code: %d %q; want 400 and the QR page again", res.StatusCode, staffFieldError(body, "code"))
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff WHERE email = 'ny@nacka.example' AND totp_enabled_at IS NULL`); n != 1 {
		t.Error("a malformed code enabled TOTP")
	}
}

func TestStaffPasswordHashUpgradedOnSignIn(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	weak := account.HashParams{Memory: 4 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	id := se.addStaffHashed(t, "kim@nacka.example", "nacka", "counsellor", weak)
	if res, _ := se.client().signIn(t, "kim@nacka.example", staffPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	if n := se.count(t, `SELECT count(*) FROM app.staff WHERE id = $1 AND password_hash LIKE '%m=8192,t=1,p=1%'`, id); n != 1 {
		t.Error("the weaker hash was not upgraded to the service's parameters")
	}
	if res, _ := se.client().signIn(t, "kim@nacka.example", staffPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatal("the upgraded hash does not verify")
	}
}

// The demo staff of `mottagning seed` have no TOTP and the production hash
// parameters; their first sign-in enrols TOTP.
func TestStaffSeededDemoAccountEnrolsOnFirstSignIn(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	const demoPassword = "Demo-losenord-2026"
	hash, err := account.HashPassword(demoPassword, account.DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	id, err := se.db.UpsertStaff(se.system, postgres.NewStaff{Email: "plattform@demo.example", DisplayName: "Pat Plattform (Storsthlm)", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if err := se.db.AddPlatformAdmin(se.system, id); err != nil {
		t.Fatal(err)
	}
	c := se.client()
	res, _ := c.post(t, "/personal/logga-in", url.Values{"email": {"plattform@demo.example"}, "password": {demoPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/personal/tvafaktor/aktivera" {
		t.Fatalf("demo sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	c.enrol(t)
	res, body := c.get(t, "/personal")
	if res.StatusCode != 200 || !strings.Contains(body, "Pat Plattform") || !strings.Contains(body, `href="/plattform"`) {
		t.Fatalf("platform admin start page: %d; want the name and a link to /plattform\n%s", res.StatusCode, body)
	}
}

func TestStaffSignInAPI(t *testing.T) {
	t.Parallel()
	se := newStaffEnv(t)
	se.addStaff(t, "kim@nacka.example", "nacka", "reception_admin")
	c := se.client()
	req := map[string]string{"email": "kim@nacka.example", "password": staffPassword}

	// Without the CSRF header: refused.
	noCSRF, _ := c.send(t, jsonRequestNoCSRF(http.MethodPost, "/api/v1/staff/session", req))
	if noCSRF.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF header: %d; want 403", noCSRF.StatusCode)
	}
	res, body := c.api(t, http.MethodPost, "/api/v1/staff/session", req)
	var signIn struct {
		MFARequired bool `json:"mfa_required"`
		Enrolled    bool `json:"enrolled"`
	}
	if err := json.Unmarshal([]byte(body), &signIn); err != nil || res.StatusCode != 200 || !signIn.MFARequired || signIn.Enrolled {
		t.Fatalf("POST /api/v1/staff/session: %d %s", res.StatusCode, body)
	}
	if res, _ := c.api(t, http.MethodGet, "/api/v1/staff/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me before TOTP: %d", res.StatusCode)
	}
	if res, body := c.api(t, http.MethodPost, "/api/v1/staff/session/totp", map[string]string{"code": "123456"}); res.StatusCode != http.StatusConflict {
		t.Fatalf("verifying before enrolment: %d %s; want 409", res.StatusCode, body)
	}
	res, body = c.api(t, http.MethodGet, "/api/v1/staff/session/totp/enrolment", nil)
	var enr struct {
		Secret string `json:"secret"`
		URL    string `json:"otpauth_url"`
		QR     string `json:"qr_png_base64"`
	}
	if err := json.Unmarshal([]byte(body), &enr); err != nil || res.StatusCode != 200 || enr.Secret == "" || !strings.HasPrefix(enr.URL, "otpauth://totp/") || enr.QR == "" {
		t.Fatalf("enrolment: %d %s", res.StatusCode, body)
	}
	res, body = c.api(t, http.MethodPost, "/api/v1/staff/session/totp/enrolment", map[string]string{"code": "12"})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, se.msg("error.staff.totp.format", nil)) {
		t.Fatalf("malformed enrolment code: %d %s", res.StatusCode, body)
	}
	res, body = c.api(t, http.MethodPost, "/api/v1/staff/session/totp/enrolment", map[string]string{"code": se.code(t, enr.Secret, 0)})
	var done struct {
		SignedIn      bool     `json:"signed_in"`
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(body), &done); err != nil || !done.SignedIn || len(done.RecoveryCodes) != 10 {
		t.Fatalf("confirm enrolment: %d %s", res.StatusCode, body)
	}
	res, body = c.api(t, http.MethodGet, "/api/v1/staff/me", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"kommun":"nacka"`) || !strings.Contains(body, `"role":"reception_admin"`) {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}
	if res, _ := c.api(t, http.MethodDelete, "/api/v1/staff/session", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE session: %d", res.StatusCode)
	}
	if res, _ := c.api(t, http.MethodGet, "/api/v1/staff/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me after sign-out: %d", res.StatusCode)
	}

	// Second sign-in through the API with a code of the next step.
	c.api(t, http.MethodPost, "/api/v1/staff/session", req)
	res, body = c.api(t, http.MethodPost, "/api/v1/staff/session/totp", map[string]string{"code": se.code(t, enr.Secret, 30*time.Second)})
	if res.StatusCode != 200 || !strings.Contains(body, `"signed_in":true`) {
		t.Fatalf("TOTP: %d %s", res.StatusCode, body)
	}
}

func jsonRequestNoCSRF(method, path string, body any) *http.Request {
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return req
}
