package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/tenants"
)

// The store serves Min profil.
var _ account.ProfileStore = (*postgres.DB)(nil)

type profWorld struct {
	db     *postgres.DB
	info   testenv.Database
	system context.Context
	a, b   account.Account
	nacka  tenant.Kommun
}

func newProfWorld(t *testing.T) profWorld {
	t.Helper()
	db, info := testenv.DB(t)
	system := tenant.WithActing(context.Background(), tenant.System())
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyKommuner(system, defs); err != nil {
		t.Fatal(err)
	}
	w := profWorld{db: db, info: info, system: system}
	if w.nacka, err = db.KommunBySlug(system, "nacka"); err != nil {
		t.Fatal(err)
	}
	if w.a, err = db.CreateAccount(system, "Ugglan", "ugglan", "x", "sv"); err != nil {
		t.Fatal(err)
	}
	if w.b, err = db.CreateAccount(system, "Räven", "räven", "x", "sv"); err != nil {
		t.Fatal(err)
	}
	return w
}

func youthCtx(id uuid.UUID) context.Context {
	return tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: id})
}

func TestYouthCannotReadOrChangeAnotherAccount(t *testing.T) {
	t.Parallel()
	w := newProfWorld(t)
	asA := youthCtx(w.a.ID)
	if _, err := w.db.Account(asA, w.a.ID); err != nil {
		t.Fatalf("A reading A: %v", err)
	}
	if _, err := w.db.Account(asA, w.b.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("A reading B: %v; want NotFound", err)
	}
	if _, err := w.db.UpdateProfile(asA, w.b.ID, account.ProfileUpdate{Language: "en", Phone: "+46701234567", SMSNotices: true}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("A changing B: %v; want NotFound", err)
	}
	if _, err := w.db.ExportData(asA, w.b.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("A downloading B: %v; want NotFound", err)
	}
	if _, err := w.db.PasswordHash(asA, w.b.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("A reading B's hash: %v; want NotFound", err)
	}
	if err := w.db.DeleteAccount(asA, w.b.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("A deleting B: %v; want NotFound", err)
	}
	b, err := w.db.Account(youthCtx(w.b.ID), w.b.ID)
	if err != nil || b.Language != "sv" || b.Phone != "" || b.SMSNotices {
		t.Fatalf("B after A's attempts: %+v, %v; want untouched", b, err)
	}
	// Without an acting context nothing is visible either.
	if _, err := w.db.Account(context.Background(), w.a.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("no context reading A: %v; want NotFound", err)
	}
}

func TestUpdateProfileConsentAndVerification(t *testing.T) {
	t.Parallel()
	w := newProfWorld(t)
	ctx := youthCtx(w.a.ID)
	admin := testenv.Admin(t, w.info)
	u := account.ProfileUpdate{Language: "sv", Phone: "+46701234567", Email: "u@exempel.se", SMSNotices: true}
	acc, err := w.db.UpdateProfile(ctx, w.a.ID, u)
	if err != nil || !acc.SMSNotices || acc.EmailNotices || acc.Phone != u.Phone {
		t.Fatalf("switch SMS on: %+v, %v", acc, err)
	}
	// Saving the same again records no second consent.
	if _, err := w.db.UpdateProfile(ctx, w.a.ID, u); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.notice_consent WHERE account_id = $1`, w.a.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("consents after saving twice: %d (%v); want 1", n, err)
	}
	// Verified and undeliverable marks go with a changed address only.
	if _, err := admin.Exec(context.Background(), `UPDATE app.account SET phone_verified_at = now(), email_verified_at = now(),
		email_undeliverable_at = now() WHERE id = $1`, w.a.ID); err != nil {
		t.Fatal(err)
	}
	u.Email = "ny@exempel.se"
	acc, err = w.db.UpdateProfile(ctx, w.a.ID, u)
	if err != nil || !acc.PhoneVerified || acc.EmailVerified || acc.EmailUndeliverable {
		t.Fatalf("after changing the e-mail: %+v, %v; want the phone still verified, the e-mail not", acc, err)
	}
	// The store refuses a channel on without its contact, writing nothing.
	if _, err := w.db.UpdateProfile(ctx, w.a.ID, account.ProfileUpdate{Language: "sv", EmailNotices: true}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("e-mail notices without an address: %v; want Invalid", err)
	}
	d, err := w.db.ExportData(ctx, w.a.ID)
	if err != nil || d.Contact.Email != "ny@exempel.se" || d.Contact.PhoneVerifiedAt == nil || len(d.Consents) != 1 || len(d.Sessions) != 0 {
		t.Fatalf("export: %+v, %v", d, err)
	}
}

// hookFunc adapts a function to account.DeletionHook.
type hookFunc func(ctx context.Context, id uuid.UUID) error

func (f hookFunc) AccountDeleting(ctx context.Context, id uuid.UUID) error { return f(ctx, id) }

func TestDeleteAccountHooksRunInTheSameTransaction(t *testing.T) {
	t.Parallel()
	w := newProfWorld(t)
	ctx := youthCtx(w.a.ID)
	admin := testenv.Admin(t, w.info)
	boom := errors.New("the booking feature could not cancel")
	var sawAccount bool
	// The hook's own store calls join the deleting transaction (db.InTx
	// finds it in ctx): its change is rolled back with everything else.
	failing := hookFunc(func(ctx context.Context, id uuid.UUID) error {
		err := w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
			_, err := q.Exec(ctx, `UPDATE app.account SET language = 'en' WHERE id = $1`, id)
			return err
		})
		if err != nil {
			return err
		}
		return boom
	})
	if err := w.db.DeleteAccount(ctx, w.a.ID, failing); !errors.Is(err, boom) {
		t.Fatalf("delete with a failing hook: %v; want the hook's error", err)
	}
	var lang string
	if err := admin.QueryRow(context.Background(), `SELECT language FROM app.account WHERE id = $1`, w.a.ID).Scan(&lang); err != nil || lang != "sv" {
		t.Fatalf("after a failed hook: language %q (%v); want the account kept and the hook's change rolled back", lang, err)
	}
	seeing := hookFunc(func(ctx context.Context, id uuid.UUID) error {
		_, err := w.db.Account(ctx, id)
		sawAccount = err == nil
		return err
	})
	if err := w.db.DeleteAccount(ctx, w.a.ID, seeing); err != nil {
		t.Fatal(err)
	}
	if !sawAccount {
		t.Error("the hook did not see the account it runs for")
	}
	if _, err := w.db.Account(w.system, w.a.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("after deletion: %v; want NotFound", err)
	}
	// The platform (support on request) may delete too.
	platform := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorPlatform, AccountID: uuid.New()})
	if err := w.db.DeleteAccount(platform, w.b.ID); err != nil {
		t.Errorf("platform deleting B: %v", err)
	}
}

func TestYouthReadsOnlyTheirOwnAccessLog(t *testing.T) {
	t.Parallel()
	w := newProfWorld(t)
	record := func(subject string, at time.Time) {
		t.Helper()
		if err := w.db.Record(w.system, audit.Entry{At: at, KommunID: w.nacka.ID, ActorID: uuid.New(), ActorRole: "counsellor",
			Action: audit.BookingRead, Subject: subject}); err != nil {
			t.Fatal(err)
		}
	}
	record("Ugglan", time.Now())
	record("Ugglan", w.a.CreatedAt.Add(-time.Hour)) // an earlier holder of the name
	record("Räven", time.Now())
	d, err := w.db.ExportData(youthCtx(w.a.ID), w.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.AccessLog) != 1 || d.AccessLog[0].Kommun != w.nacka.Name || d.AccessLog[0].Action != "booking.read" {
		t.Fatalf("A's access log: %+v; want only the entry about Ugglan since the account was made", d.AccessLog)
	}
	var all int
	err = w.db.InTx(youthCtx(w.a.ID), func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM app.access_log`).Scan(&all)
	})
	if err != nil || all != 1 {
		t.Errorf("A sees %d access-log rows in all (%v); want 1", all, err)
	}
}
