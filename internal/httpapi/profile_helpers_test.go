package httpapi

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/testenv"
)

// profPassword is the password every profile test account starts with.
const profPassword = "sju gröna äpplen i korgen"

// profClient is a cookie-keeping client of the app for the profile tests:
// it carries the session and CSRF cookies like a browser would.
type profClient struct {
	*testClient
	e env
}

func newProfClient(e env) *profClient { return &profClient{testClient: newTestClient(e.app), e: e} }

// send runs req with the client's cookies and keeps the cookies it is given.
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
