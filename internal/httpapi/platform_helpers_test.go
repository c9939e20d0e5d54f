package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// pfClient is a cookie-keeping client of the app for the platform tests.
type pfClient struct {
	*testClient
	e env
}

func newPFClient(e env) *pfClient { return &pfClient{testClient: newTestClient(e.app), e: e} }

// pfSession signs a staff member in directly (password and TOTP passed).
func pfSession(t *testing.T, e env, staffID uuid.UUID) *pfClient {
	t.Helper()
	token, hash, err := account.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.db.CreateSession(context.Background(), account.Session{IDHash: hash, StaffID: staffID, MFADone: true,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c := newPFClient(e)
	c.cookies[sessionCookie] = token
	return c
}

func pfStaff(t *testing.T, e env, email string) uuid.UUID {
	t.Helper()
	id, err := e.db.UpsertStaff(e.system, postgres.NewStaff{Email: email, DisplayName: "Test " + email, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func pfReload(t *testing.T, e env) {
	t.Helper()
	if err := e.srv.authz.(*authz.Enforcer).Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// pfPlatformAdmin returns a signed-in Storsthlm platform admin.
func pfPlatformAdmin(t *testing.T, e env) (*pfClient, uuid.UUID) {
	t.Helper()
	id := pfStaff(t, e, "admin-"+uuid.NewString()[:8]+"@storsthlm.example")
	if err := e.db.AddPlatformAdmin(e.system, id); err != nil {
		t.Fatal(err)
	}
	pfReload(t, e)
	return pfSession(t, e, id), id
}

// pfCounsellor returns a signed-in counsellor of Nacka.
func pfCounsellor(t *testing.T, e env) *pfClient {
	t.Helper()
	nacka, err := e.db.KommunBySlug(e.system, "nacka")
	if err != nil {
		t.Fatal(err)
	}
	id := pfStaff(t, e, "kurator-"+uuid.NewString()[:8]+"@nacka.example")
	if err := e.db.SetMembership(tenant.WithActing(e.system, tenant.System().ForKommun(nacka.ID)), id, authz.RoleCounsellor); err != nil {
		t.Fatal(err)
	}
	pfReload(t, e)
	return pfSession(t, e, id)
}

// pfYouth registers username and returns the signed-in client and the id.
func pfYouth(t *testing.T, e env, username string) (*pfClient, uuid.UUID) {
	t.Helper()
	acc, token, err := e.srv.accounts.Register(context.Background(), username, "en lång fras om sommaren", "sv")
	if err != nil {
		t.Fatal(err)
	}
	c := newPFClient(e)
	c.cookies[sessionCookie] = token
	return c, acc.ID
}

// pfAdminDB connects as the administrative role (bypasses row-level
// security: for setup and checks only).
func pfAdminDB(t *testing.T, e env) *pgx.Conn {
	t.Helper()
	return testenv.Admin(t, e.dbinfo)
}

func pfCount(t *testing.T, db *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// pfLogEntry is one access-log row, every column but the id.
type pfLogEntry struct {
	KommunID  *uuid.UUID
	ActorID   uuid.UUID
	ActorRole string
	Action    string
	Subject   string
}

func pfAccessLog(t *testing.T, db *pgx.Conn) []pfLogEntry {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT kommun_id, actor_id, actor_role, action, subject_username
		FROM app.access_log ORDER BY at, id`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pfLogEntry, error) {
		var l pfLogEntry
		return l, r.Scan(&l.KommunID, &l.ActorID, &l.ActorRole, &l.Action, &l.Subject)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pfActions(log []pfLogEntry) []string {
	var out []string
	for _, l := range log {
		out = append(out, l.Action)
	}
	return out
}

func pfMsg(e env, key string, args map[string]any) string { return e.srv.tr.Tf("sv", key, args) }

// pfHTMLText is what the template engine makes of s (escaped).
func pfHTMLText(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}
