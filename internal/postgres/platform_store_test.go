package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

func pfActing(a tenant.Acting) context.Context { return tenant.WithActing(context.Background(), a) }

// Row-level security keeps requests to their owner and the platform: a
// youth cannot see or file for another account, and neither kommun staff
// nor visitors see the queue or can act on accounts (P20, P22, P27).
func TestPlatformRequestsStayWithOwnerAndPlatform(t *testing.T) {
	t.Parallel()
	db, info := testenv.DB(t)
	system := pfActing(tenant.System())
	a, err := db.CreateAccount(system, "Ekorren", "ekorren", "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.CreateAccount(system, "Grävlingen", "grävlingen", "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	asA := pfActing(tenant.Acting{Actor: tenant.ActorYouth, AccountID: a.ID})
	asB := pfActing(tenant.Acting{Actor: tenant.ActorYouth, AccountID: b.ID})
	if _, err := db.FileRequest(asA, a.ID, account.KindRestriction, "Rätta min e-post."); err != nil {
		t.Fatal(err)
	}
	if rs, err := db.MyRequests(asB, a.ID); err != nil || len(rs) != 0 {
		t.Fatalf("youth B reads A's requests: %v %v", rs, err)
	}
	if _, err := db.FileRequest(asB, a.ID, account.KindObjection, "I A:s namn."); err == nil {
		t.Fatal("youth B filed a request in A's name")
	}
	staffID := uuid.New()
	for name, ctx := range map[string]context.Context{
		"anonymous": pfActing(tenant.Acting{Actor: tenant.ActorAnonymous}),
		"youth":     asB, // A would see only their own request; B sees none
		"staff":     pfActing(tenant.Acting{Actor: tenant.ActorStaff, AccountID: staffID, KommunID: uuid.New()}),
	} {
		if rs, err := db.OpenRequests(ctx); err != nil || len(rs) != 0 {
			t.Errorf("%s sees the platform queue: %d requests, %v", name, len(rs), err)
		}
		if _, err := db.RestrictAccount(ctx, a.ID); !apperr.Is(err, apperr.NotFound) && !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("%s restricted an account: %v", name, err)
		}
		if _, err := db.SupportFind(ctx, "ekorren"); err == nil {
			t.Errorf("%s found an account by username", name)
		}
	}
	admin := testenv.Admin(t, info)
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.account WHERE restricted_at IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d accounts restricted by refused actors (%v)", n, err)
	}
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.access_log`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d access-log entries from refused actors (%v)", n, err)
	}
}

// A platform admin's support act and its access-log entry commit together:
// if the entry cannot be written, the act is undone.
func TestPlatformSupportActAndLogAreOneTransaction(t *testing.T) {
	t.Parallel()
	db, info := testenv.DB(t)
	system := pfActing(tenant.System())
	a, err := db.CreateAccount(system, "Lodjuret", "lodjuret", "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	// No staff id: the entry is invalid, so nothing may change.
	noActor := pfActing(tenant.Acting{Actor: tenant.ActorPlatform})
	if _, err := db.RestrictAccount(noActor, a.ID); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("restrict without an actor to log: %v; want Invalid", err)
	}
	acc, err := db.Account(system, a.ID)
	if err != nil || acc.Restricted {
		t.Fatalf("the account was restricted although the log entry failed (%v)", err)
	}
	admin := testenv.Admin(t, info)
	staffID := uuid.New()
	if _, err := admin.Exec(context.Background(), `INSERT INTO app.staff (id, email, display_name, password_hash) VALUES ($1, 'p@x.example', 'P', 'x')`, staffID); err != nil {
		t.Fatal(err)
	}
	platform := pfActing(tenant.Acting{Actor: tenant.ActorPlatform, AccountID: staffID})
	v, err := db.RestrictAccount(platform, a.ID)
	if err != nil || !v.Restricted || v.Username != "Lodjuret" {
		t.Fatalf("restrict: %+v %v", v, err)
	}
	if _, err := db.RestrictAccount(platform, uuid.New()); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("restricting an unknown account: %v; want NotFound", err)
	}
}

// The notice reads only what matters now: the version in force and those
// to come, without their long texts.
func TestPlatformPolicyTimeline(t *testing.T) {
	t.Parallel()
	db, info := testenv.DB(t)
	admin := testenv.Admin(t, info)
	if _, err := admin.Exec(context.Background(), `INSERT INTO app.policy_version (version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at) VALUES
		('old', 's', 's', 'gammal', 'old', now() - interval '60 days', now() - interval '100 days'),
		('now', 's', 's', 'nu', 'now', now() - interval '1 day', now() - interval '40 days')`); err != nil {
		t.Fatal(err)
	}
	platform := pfActing(tenant.Acting{Actor: tenant.ActorPlatform, AccountID: uuid.New()})
	v, err := db.PublishPolicy(platform, account.PolicyVersion{Version: "next", SummarySV: "s", SummaryEN: "s", TextSV: "ny",
		TextEN: "new", EffectiveAt: time.Now().Add(40 * 24 * time.Hour)})
	if err == nil {
		t.Fatal("published with an unknown staff id as publisher")
	}
	v, err = db.PublishPolicy(pfActing(tenant.System()), account.PolicyVersion{Version: "next", SummarySV: "s", SummaryEN: "s",
		TextSV: "ny", TextEN: "new", EffectiveAt: time.Now().Add(40 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anon := pfActing(tenant.Acting{Actor: tenant.ActorAnonymous})
	tl, err := db.PolicyTimeline(anon)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 2 || tl[0].Version != "now" || tl[1].Version != "next" || tl[0].TextSV != "" {
		t.Fatalf("timeline %+v; want now and next, without texts", tl)
	}
	if cur, next := tl.Current(time.Now()), tl.Coming(time.Now()); cur == nil || cur.Version != "now" || next == nil || next.ID != v.ID {
		t.Fatalf("current %v, coming %v", cur, next)
	}
	if _, err := db.PublishPolicy(pfActing(tenant.Acting{Actor: tenant.ActorYouth, AccountID: uuid.New()}),
		account.PolicyVersion{Version: "youth", SummarySV: "s", SummaryEN: "s", TextSV: "t", TextEN: "t", EffectiveAt: time.Now().Add(time.Hour)}); err == nil {
		t.Fatal("a youth published a policy version")
	}
}

var _ interface {
	SupportDelete(ctx context.Context, id uuid.UUID, confirmKey string, hooks ...account.DeletionHook) error
} = (*postgres.DB)(nil)
