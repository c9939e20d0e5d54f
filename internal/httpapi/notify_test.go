package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/config"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// verifyCodeOf reads the code of the newest verification notice queued for
// the account (the worker would send it by SMS or e-mail).
func verifyCodeOf(t *testing.T, admin *pgx.Conn, id uuid.UUID, ch string) string {
	t.Helper()
	var code string
	err := admin.QueryRow(context.Background(), `SELECT payload->>'code' FROM app.notice_outbox
		WHERE account_id = $1 AND kind = 'verify_code' AND channel = $2 ORDER BY created_at DESC LIMIT 1`, id, ch).Scan(&code)
	if err != nil {
		t.Fatalf("no verification code queued on %s: %v", ch, err)
	}
	return code
}

func verifyTries(t *testing.T, admin *pgx.Conn, id uuid.UUID) int {
	t.Helper()
	var n int
	_ = admin.QueryRow(context.Background(), `SELECT coalesce((SELECT tries FROM app.contact_verification WHERE account_id = $1 AND channel = 'sms'), -1)`, id).Scan(&n)
	return n
}

func TestVerify_NewNumberGetsACodeAndTheRightCodeVerifiesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := profAdmin(t, e)
	c, id := profRegister(t, e, "verifiera1")
	res, body := c.post(t, "/min-profil", profForm("070-123 45 67", "", "sv", true, false))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save profile: %d %s", res.StatusCode, body)
	}
	_, body = c.get(t, "/min-profil")
	if !strings.Contains(body, `href="/min-profil/verifiera/sms"`) {
		t.Fatal("Min profil does not offer to verify the new number")
	}
	code := verifyCodeOf(t, admin, id, "sms")
	res, body = c.get(t, "/min-profil/verifiera/sms")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="code"`) || !strings.Contains(body, "46701234567") {
		t.Fatalf("verification page: %d %s", res.StatusCode, body)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	res, body = c.post(t, "/min-profil/verifiera/sms", url.Values{"code": {wrong}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, profMsg(e, "error.notify.verify_wrong", nil)) {
		t.Fatalf("wrong code: %d", res.StatusCode)
	}
	if profStored(t, admin, id).PhoneVerified || verifyTries(t, admin, id) != 1 {
		t.Fatal("a wrong code verified the number or was not counted")
	}
	res, _ = c.post(t, "/min-profil/verifiera/sms", url.Values{"code": {"12a"}})
	if res.StatusCode != http.StatusBadRequest || verifyTries(t, admin, id) != 1 {
		t.Fatalf("malformed code: %d, tries %d", res.StatusCode, verifyTries(t, admin, id))
	}
	res, _ = c.post(t, "/min-profil/verifiera/sms", url.Values{"code": {code}})
	if res.StatusCode != http.StatusSeeOther || !profStored(t, admin, id).PhoneVerified {
		t.Fatalf("right code: %d, verified %v", res.StatusCode, profStored(t, admin, id).PhoneVerified)
	}
	if verifyTries(t, admin, id) != -1 {
		t.Fatal("the used code was kept")
	}
	// The code is stored only as a hash.
	var stored int
	_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM app.contact_verification`).Scan(&stored)
	if stored != 0 {
		t.Fatal("verification rows left behind")
	}
}

func TestVerify_FiveTriesThenANewCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := profAdmin(t, e)
	c, id := profRegister(t, e, "verifiera2")
	c.post(t, "/min-profil", profForm("", "ung@example.se", "sv", false, true))
	code := verifyCodeOf(t, admin, id, "email")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	var res *http.Response
	for range 5 {
		res, _ = c.api(t, http.MethodPost, "/api/v1/account/verification/email", map[string]string{"code": wrong})
	}
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fifth wrong code: %d; want 429", res.StatusCode)
	}
	res, _ = c.api(t, http.MethodPost, "/api/v1/account/verification/email", map[string]string{"code": code})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code after five tries: %d; want 429 (a new code is needed)", res.StatusCode)
	}
	// A resend right away is throttled; a minute later it is not.
	res, _ = c.api(t, http.MethodPost, "/api/v1/account/verification/email/resend", nil)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("resend within a minute: %d; want 429", res.StatusCode)
	}
	profExec(t, admin, `UPDATE app.contact_verification SET sent_at = now() - interval '61 seconds'`)
	res, _ = c.api(t, http.MethodPost, "/api/v1/account/verification/email/resend", nil)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("resend: %d", res.StatusCode)
	}
	res, _ = c.api(t, http.MethodPost, "/api/v1/account/verification/email", map[string]string{"code": verifyCodeOf(t, admin, id, "email")})
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("new code: %d", res.StatusCode)
	}
	var verified bool
	_ = admin.QueryRow(context.Background(), `SELECT email_verified_at IS NOT NULL FROM app.account WHERE id = $1`, id).Scan(&verified)
	if !verified {
		t.Fatal("e-mail not verified")
	}
}

func TestVerify_ExpiredCodeRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := profAdmin(t, e)
	c, id := profRegister(t, e, "verifiera3")
	c.post(t, "/min-profil", profForm("0701234567", "", "sv", false, false))
	code := verifyCodeOf(t, admin, id, "sms")
	profExec(t, admin, `UPDATE app.contact_verification SET expires_at = now() - interval '1 second'`)
	res, body := c.post(t, "/min-profil/verifiera/sms", url.Values{"code": {code}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, profMsg(e, "error.notify.verify_expired", nil)) {
		t.Fatalf("expired code: %d", res.StatusCode)
	}
	if profStored(t, admin, id).PhoneVerified {
		t.Fatal("an expired code verified the number")
	}
}

// twilioSign computes X-Twilio-Signature the way Twilio does: HMAC-SHA1
// with the auth token over the URL and the sorted form fields.
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := u
	for _, k := range keys {
		s += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestTwilioCallback_SignatureAcceptedAndForgeryRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.TwilioAccountSID, c.TwilioAuthToken = "AC123", "twilio-token" })
	admin := profAdmin(t, e)
	accountID := uuid.New()
	profExec(t, admin, `INSERT INTO app.account (id, username, username_key, password_hash, phone, phone_verified_at)
		VALUES ($1, 'callback1', 'callback1', 'x', '+46701234567', now())`, accountID)
	notice := notify.New(accountID, notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})
	if err := e.db.QueueNotice(tenant.WithActing(context.Background(), tenant.System()), notice); err != nil {
		t.Fatal(err)
	}
	profExec(t, admin, `UPDATE app.notice_outbox SET status = 'sent', provider_id = 'SM1' WHERE id = $1`, notice.ID)
	// Twilio calls the whole app without cookies or a CSRF token: the
	// endpoint is exempt from CSRF and proves itself by signature.
	app := e.app
	post := func(form url.Values, sig string) int {
		req := httptest.NewRequest(http.MethodPost, TwilioStatusPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	status := func() (string, bool) {
		var d string
		var bad bool
		_ = admin.QueryRow(context.Background(), `SELECT coalesce(delivery_status, ''), (SELECT phone_undeliverable_at IS NOT NULL FROM app.account WHERE id = $2)
			FROM app.notice_outbox WHERE id = $1`, notice.ID, accountID).Scan(&d, &bad)
		return d, bad
	}
	cb := e.srv.cfg.TwilioStatusCallback()
	delivered := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "AccountSid": {"AC123"}}
	if got := post(delivered, twilioSign("fel-token", cb, delivered)); got != http.StatusForbidden {
		t.Fatalf("forged signature: %d; want 403", got)
	}
	if got := post(delivered, ""); got != http.StatusForbidden {
		t.Fatalf("no signature: %d; want 403", got)
	}
	tampered := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30005"}, "AccountSid": {"AC123"}}
	if got := post(tampered, twilioSign("twilio-token", cb, delivered)); got != http.StatusForbidden {
		t.Fatalf("signature of another form: %d; want 403", got)
	}
	if d, bad := status(); d != "" || bad {
		t.Fatalf("a refused callback changed the row: %q %v", d, bad)
	}
	if got := post(delivered, twilioSign("twilio-token", cb, delivered)); got != http.StatusNoContent {
		t.Fatalf("signed callback: %d; want 204", got)
	}
	if d, _ := status(); d != "delivered" {
		t.Fatalf("delivery status %q", d)
	}
	if got := post(tampered, twilioSign("twilio-token", cb, tampered)); got != http.StatusNoContent {
		t.Fatalf("signed failure callback: %d", got)
	}
	if d, bad := status(); d != "undelivered" || !bad {
		t.Fatalf("unknown destination: status %q, undeliverable %v", d, bad)
	}
}

func TestDevOutbox_OnlyInDevMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if res, _ := e.get(t, "/dev/outbox"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("outside dev: %d; want 404", res.StatusCode)
	}
	d := newEnv(t, func(c *config.Config) { c.Dev = true })
	box := notify.NewDevOutbox(10)
	d.srv.devOutbox = box
	n := notify.New(uuid.New(), notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})
	m, _ := notify.Render(n, "sv", testBaseURL)
	if _, err := box.For(notify.SMS).Send(context.Background(), "+46701234567", n, m); err != nil {
		t.Fatal(err)
	}
	res, body := d.get(t, "/dev/outbox")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Du har ett nytt meddelande från Ungdomsmottagningen") {
		t.Fatalf("dev outbox: %d %s", res.StatusCode, body)
	}
}
