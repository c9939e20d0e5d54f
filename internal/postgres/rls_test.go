package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/migrations"
	"github.com/storsthlm/mottagning/tenants"
)

// world is a test database with the registry applied and one counsellor in
// each of two kommuner.
type world struct {
	db        *postgres.DB
	dbinfo    testenv.Database
	a, b      tenant.Kommun
	staffA    uuid.UUID
	staffB    uuid.UUID
	systemCtx context.Context
}

func newWorld(t testing.TB) world {
	t.Helper()
	db, info := testenv.DB(t)
	ctx := tenant.WithActing(context.Background(), tenant.System())
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyKommuner(ctx, defs); err != nil {
		t.Fatal(err)
	}
	w := world{db: db, dbinfo: info, systemCtx: ctx}
	if w.a, err = db.KommunBySlug(ctx, "nacka"); err != nil {
		t.Fatal(err)
	}
	if w.b, err = db.KommunBySlug(ctx, "solna"); err != nil {
		t.Fatal(err)
	}
	w.staffA = w.addStaff(t, w.a, "a@nacka.example", "counsellor")
	w.staffB = w.addStaff(t, w.b, "b@solna.example", "counsellor")
	return w
}

func (w world) addStaff(t testing.TB, k tenant.Kommun, email, role string) uuid.UUID {
	t.Helper()
	id, err := w.db.UpsertStaff(w.systemCtx, postgres.NewStaff{Email: email, DisplayName: "Kurator", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.SetMembership(tenant.WithActing(w.systemCtx, tenant.System().ForKommun(k.ID)), id, role); err != nil {
		t.Fatal(err)
	}
	return id
}

func staffCtx(k tenant.Kommun, staff uuid.UUID) context.Context {
	return tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorStaff, KommunID: k.ID, AccountID: staff, Role: "counsellor"})
}

func TestEveryTableHasRLSEnabledAndForced(t *testing.T) {
	t.Parallel()
	_, info := testenv.DB(t)
	admin := testenv.Admin(t, info)
	rows, err := admin.Query(context.Background(), `
		SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p')`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var name string
		var enabled, forced bool
		if err := rows.Scan(&name, &enabled, &forced); err != nil {
			t.Fatal(err)
		}
		n++
		if !enabled || !forced {
			t.Errorf("table app.%s: row-level security enabled=%v forced=%v; both must be true", name, enabled, forced)
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if n < 6 {
		t.Fatalf("found only %d tables in schema app; the catalog query is wrong", n)
	}
}

func TestAppRoleCannotBypassRLSAndOwnsNothing(t *testing.T) {
	t.Parallel()
	_, info := testenv.DB(t)
	admin := testenv.Admin(t, info)
	var super, bypass, createRole, createDB bool
	var owned int
	err := admin.QueryRow(context.Background(), `
		SELECT r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb,
		       (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
		     + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
		     + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
		FROM pg_roles r WHERE r.rolname = $1`, postgres.AppRole).Scan(&super, &bypass, &createRole, &createDB, &owned)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || createRole || createDB || owned != 0 {
		t.Fatalf("%s: super=%v bypassrls=%v createrole=%v createdb=%v owns %d objects; want none of these",
			postgres.AppRole, super, bypass, createRole, createDB, owned)
	}
}

func TestOpenRefusesPrivilegedRole(t *testing.T) {
	t.Parallel()
	info := testenv.NewDatabase(t)
	_, err := postgres.Open(context.Background(), info.AdminURL, postgres.Options{})
	if err == nil {
		t.Fatal("Open with a superuser URL succeeded; serve must refuse a role that bypasses RLS")
	}
}

func TestNoContextSeesNoRows(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.db.Record(staffCtx(w.a, w.staffA), audit.Entry{KommunID: w.a.ID, ActorID: w.staffA,
		ActorRole: "counsellor", Action: audit.BookingRead, Subject: "molnet"}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.RecordHeartbeat(context.Background(), "hb:1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := w.db.AddPlatformAdmin(w.systemCtx, w.staffB); err != nil {
		t.Fatal(err)
	}
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	for _, table := range appTables(t, admin) {
		var seeded int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM app."+table).Scan(&seeded); err != nil {
			t.Fatal(err)
		}
		if seeded == 0 {
			t.Errorf("app.%s has no rows in this test; seed some so the check means something", table)
			continue
		}
		var visible int
		err := w.db.InTx(context.Background(), func(ctx context.Context, q postgres.Querier) error {
			return q.QueryRow(ctx, "SELECT count(*) FROM app."+table).Scan(&visible)
		})
		if err != nil {
			t.Fatal(err)
		}
		if visible != 0 {
			t.Errorf("app.%s: %d rows visible without an acting context; want 0", table, visible)
		}
	}
}

// seedEveryTable puts a row in each table the stores above do not fill,
// through the administrative connection. A new table needs a line here.
func seedEveryTable(t *testing.T, admin *pgx.Conn, w world) {
	t.Helper()
	_, err := admin.Exec(context.Background(), `
		INSERT INTO app.account (id, username, username_key, password_hash)
		    VALUES ('00000000-0000-0000-0000-00000000000a', 'molnet', 'molnet', 'x');
		INSERT INTO app.notice_consent (account_id, channel, policy_version)
		    VALUES ('00000000-0000-0000-0000-00000000000a', 'sms', '2026-1');
		INSERT INTO app.session (id_hash, account_id, expires_at)
		    VALUES (sha256('s'), '00000000-0000-0000-0000-00000000000a', now() + interval '1 day');
		INSERT INTO app.privacy_request (account_id, kind, reason)
		    VALUES ('00000000-0000-0000-0000-00000000000a', 'objection', 'skäl');
		INSERT INTO app.policy_version (id, version, summary_sv, summary_en, text_sv, text_en, effective_at)
		    VALUES ('00000000-0000-0000-0000-0000000000b1', '2026-1', 's', 's', 't', 't', now() + interval '30 days');
		INSERT INTO app.policy_ack (account_id, policy_version_id)
		    VALUES ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-0000000000b1');
		INSERT INTO app.staff_recovery_code (staff_id, code_hash) SELECT id, sha256('r') FROM app.staff LIMIT 1;
		INSERT INTO app.staff_invitation (token_hash, email, kommun_id, role, expires_at)
		    SELECT sha256('i'), 'ny@nacka.example', id, 'counsellor', now() + interval '7 days' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.reception_draft (kommun_id, page) SELECT id, '{}' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.reception_page (kommun_id, page) SELECT id, '{}' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.admin_action (kommun_id, staff_role, action) SELECT id, 'reception_admin', 'reception_page.publish' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.notice_outbox (id, account_id, kind, channel) VALUES (gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', 'new_message', 'sms');
		INSERT INTO app.contact_verification (account_id, channel, address, code_hash, expires_at)
		    VALUES ('00000000-0000-0000-0000-00000000000a', 'sms', '+46701234567', sha256('c'), now() + interval '10 minutes');
		INSERT INTO app.access_log_sample (kommun_id, id, month, size) SELECT id, '00000000-0000-0000-0000-0000000000c1', '2026-01-01', 1 FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.access_log_sample_item (kommun_id, sample_id, position, entry_at, entry_id, actor_id, actor_role, action, subject_username)
		    SELECT id, '00000000-0000-0000-0000-0000000000c1', 1, now(), 1, gen_random_uuid(), 'counsellor', 'booking.read', 'molnet' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.kommun_export (kommun_id, file_name, ciphertext, sha256, expires_at)
		    SELECT id, 'nacka-export.zip.enc', '\x00', sha256('x'), now() + interval '1 day' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.chat_conversation (kommun_id, id, token_hash) SELECT id, '00000000-0000-0000-0000-0000000000d1', sha256('t') FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.chat_answer (kommun_id, conversation_id, topic) SELECT id, '00000000-0000-0000-0000-0000000000d1', 'other' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.chat_message (kommun_id, conversation_id, sender, body) SELECT id, '00000000-0000-0000-0000-0000000000d1', 'youth', 'hej' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.chat_file (kommun_id, conversation_id, id, name, content_type, size, data)
		    SELECT id, '00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000d2', 'bild.png', 'image/png', 8, '\x89504e470d0a1a0a' FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.booking_settings (kommun_id) SELECT id FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.booking_type (kommun_id, id, name, mode, duration_min) SELECT id, '00000000-0000-0000-0000-0000000000e1', 'Besök', 'visit', 45 FROM app.kommun WHERE slug = 'nacka';
		INSERT INTO app.booking_type_counsellor (kommun_id, type_id, staff_id) SELECT m.kommun_id, '00000000-0000-0000-0000-0000000000e1', m.staff_id
		    FROM app.staff_membership m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'nacka' LIMIT 1;
		INSERT INTO app.booking_availability (kommun_id, staff_id) SELECT m.kommun_id, m.staff_id
		    FROM app.staff_membership m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'nacka' LIMIT 1;
		INSERT INTO app.booking (kommun_id, id, type_id, counsellor_id, account_id, mode, starts_at, ends_at, during)
		    SELECT m.kommun_id, '00000000-0000-0000-0000-0000000000e2', '00000000-0000-0000-0000-0000000000e1', m.staff_id, '00000000-0000-0000-0000-00000000000a',
		           'visit', '2030-01-07 09:00+01', '2030-01-07 09:45+01', tstzrange('2030-01-07 09:00+01', '2030-01-07 10:00+01')
		    FROM app.staff_membership m JOIN app.kommun k ON k.id = m.kommun_id WHERE k.slug = 'nacka' LIMIT 1;
		INSERT INTO app.booking_intake (kommun_id, booking_id, answers) SELECT id, '00000000-0000-0000-0000-0000000000e2', '["svar"]' FROM app.kommun WHERE slug = 'nacka';
	`)
	if err != nil {
		t.Fatal(err)
	}
}

// appTables lists the tables a query can name (partitions are read through
// their parent).
func appTables(t *testing.T, admin *pgx.Conn) []string {
	rows, err := admin.Query(context.Background(), `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestContextIsTransactionLocal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if err := w.db.InTx(staffCtx(w.a, w.staffA), func(ctx context.Context, q postgres.Querier) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// The pool has 4 connections; ask each of them.
	for range 8 {
		var k string
		if err := w.db.Pool().QueryRow(context.Background(), `SELECT coalesce(current_setting('app.kommun_id', true), '')`).Scan(&k); err != nil {
			t.Fatal(err)
		}
		if k != "" {
			t.Fatalf("app.kommun_id = %q outside any transaction; the context leaked through the pool", k)
		}
	}
}

func TestInterleavedKommunerNeverSeeEachOther(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pool, err := postgres.Open(context.Background(), w.dbinfo.AppURL, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const total = 10_000
	const workers = 4
	var wrong, seen int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range total / workers {
				k, staff := w.a, w.staffA
				if (i+g)%2 == 1 {
					k, staff = w.b, w.staffB
				}
				err := pool.InTx(staffCtx(k, staff), func(ctx context.Context, q postgres.Querier) error {
					rows, err := q.Query(ctx, `SELECT kommun_id FROM app.staff_membership`)
					if err != nil {
						return err
					}
					ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
					if err != nil {
						return err
					}
					mu.Lock()
					defer mu.Unlock()
					for _, id := range ids {
						seen++
						if id != k.ID {
							wrong++
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if wrong != 0 {
		t.Fatalf("%d of %d rows belonged to the other kommun", wrong, seen)
	}
	if seen != total {
		t.Fatalf("saw %d rows in %d transactions; want exactly one own row per transaction", seen, total)
	}
}

func TestWriteForOtherKommunRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	err := w.db.InTx(staffCtx(w.a, w.staffA), func(ctx context.Context, q postgres.Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.staff_membership (kommun_id, staff_id, role) VALUES ($1, $2, 'counsellor')`,
			w.b.ID, w.staffA)
		return err
	})
	if !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("insert into kommun B while acting for A: got %v; want a Forbidden (RLS) error", err)
	}
	// And an update cannot move a row into another kommun.
	err = w.db.InTx(staffCtx(w.a, w.staffA), func(ctx context.Context, q postgres.Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.staff_membership SET kommun_id = $1`, w.b.ID)
		return err
	})
	if err == nil {
		t.Fatal("moving a membership to kommun B while acting for A succeeded")
	}
	admin := testenv.Admin(t, w.dbinfo)
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.staff_membership WHERE kommun_id = $1`, w.b.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("kommun B has %d memberships after refused writes; want its 1", n)
	}
}

func TestMigrateTwiceIsNoOp(t *testing.T) {
	t.Parallel()
	info := testenv.NewDatabase(t)
	ctx := context.Background()
	admin := testenv.Admin(t, info)
	var before string
	if err := admin.QueryRow(ctx, `SELECT md5(string_agg(relname || relkind::text, ',' ORDER BY relname)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'app'`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	var applied []string
	err := postgres.Migrate(ctx, info.AdminURL, migrations.FS, postgres.MigrateOptions{Log: func(f string, a ...any) { applied = append(applied, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v; want nothing", applied)
	}
	var after string
	if err := admin.QueryRow(ctx, `SELECT md5(string_agg(relname || relkind::text, ',' ORDER BY relname)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'app'`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Fatal("second migrate changed the schema")
	}
}

// TestMigrateOfSeveralDatabasesAtOnce: roles are shared by the whole
// cluster, so migrates of different databases running at once (a rollout
// beside a test run, several test packages on a fresh cluster) must not
// fail on each other's role changes.
func TestMigrateOfSeveralDatabasesAtOnce(t *testing.T) {
	t.Parallel()
	const n = 6
	dbs := make([]testenv.Database, n)
	for i := range dbs {
		dbs[i] = testenv.EmptyDatabase(t)
	}
	errs := make(chan error, n)
	for _, d := range dbs {
		go func() {
			errs <- postgres.Migrate(context.Background(), d.AdminURL, migrations.FS, postgres.MigrateOptions{AppPassword: testenv.AppPassword})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent migrate failed: %v", err)
		}
	}
}

func TestAccessLogIsInsertOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := staffCtx(w.a, w.staffA)
	e := audit.Entry{KommunID: w.a.ID, ActorID: w.staffA, ActorRole: "counsellor", Action: audit.ConversationRead, Subject: audit.AnonymousSubject}
	if err := w.db.Record(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE app.access_log SET subject_username = 'x'`, `DELETE FROM app.access_log`} {
		err := w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error { _, err := q.Exec(ctx, stmt); return err })
		if !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("%s: got %v; want permission denied", stmt, err)
		}
	}
	// A counsellor cannot write an entry in another kommun's name or as someone else.
	bad := e
	bad.KommunID = w.b.ID
	if err := w.db.Record(ctx, bad); err == nil {
		t.Error("recorded an entry for kommun B while acting for A")
	}
	bad = e
	bad.ActorID = w.staffB
	if err := w.db.Record(ctx, bad); err == nil {
		t.Error("recorded an entry in another staff member's name")
	}
}

func TestAccessLogInsertCreatesMissingPartition(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	far := time.Now().AddDate(3, 0, 0)
	err := w.db.Record(w.systemCtx, audit.Entry{At: far, KommunID: w.a.ID, ActorID: w.staffA, ActorRole: "system",
		Action: audit.JobRun, Subject: "molnet"})
	if err != nil {
		t.Fatalf("insert into a month without a partition: %v", err)
	}
	var n int
	err = w.db.InTx(w.systemCtx, func(ctx context.Context, q postgres.Querier) error {
		return q.QueryRow(ctx, `SELECT count(*) FROM app.access_log WHERE at = $1`, far).Scan(&n)
	})
	if err != nil || n != 1 {
		t.Fatalf("entry in the new month: n=%d err=%v; want 1", n, err)
	}
}

func TestAccessLogPartitionsDropWhole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	old := time.Now().AddDate(-6, 0, 0)
	if err := w.db.Record(w.systemCtx, audit.Entry{At: old, ActorID: w.staffA, ActorRole: "system", Action: audit.JobRun, Subject: "molnet"}); err != nil {
		t.Fatal(err)
	}
	n, err := w.db.DropAccessLogPartitionsBefore(w.systemCtx, time.Now().AddDate(-5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("dropped %d partitions; want the one 6-year-old month", n)
	}
}

func TestApplyKommunerIsIdempotentAndNeverDeletes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	defs, _ := tenant.LoadDir(tenants.FS)
	res, err := w.db.ApplyKommuner(w.systemCtx, defs)
	if err != nil {
		t.Fatal(err)
	}
	if res != (postgres.ApplyResult{Unchanged: 26}) {
		t.Fatalf("second apply: %+v; want 26 unchanged", res)
	}
	changed := defs[:1]
	changed[0].Name += " (ny)"
	if res, err = w.db.ApplyKommuner(w.systemCtx, changed); err != nil || res.Updated != 1 {
		t.Fatalf("apply one changed: %+v %v", res, err)
	}
	ks, err := w.db.Kommuner(w.systemCtx)
	if err != nil || len(ks) != 26 {
		t.Fatalf("after applying one file the registry has %d kommuner (%v); none may be deleted", len(ks), err)
	}
	// Only the platform or the system may change the registry.
	_, err = w.db.ApplyKommuner(staffCtx(w.a, w.staffA), defs[:1])
	if err == nil {
		t.Fatal("a staff member changed the kommun registry")
	}
	// A code taken by another slug is a conflict.
	dup := defs[1]
	dup.Code = defs[2].Code
	if _, err := w.db.ApplyKommuner(w.systemCtx, []tenant.Definition{dup}); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("duplicate code: got %v; want Conflict", err)
	}
}

func TestMembershipsPerDomain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := w.addStaff(t, w.a, "admin@nacka.example", "reception_admin")
	if err := w.db.AddPlatformAdmin(w.systemCtx, admin); err != nil {
		t.Fatal(err)
	}
	ms, err := w.db.Memberships(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		w.staffA.String() + " kommun:nacka counsellor":   true,
		w.staffB.String() + " kommun:solna counsellor":   true,
		admin.String() + " kommun:nacka reception_admin": true,
		admin.String() + " platform platform_admin":      true,
	}
	if len(ms) != len(want) {
		t.Fatalf("memberships %v; want %d", ms, len(want))
	}
	for _, m := range ms {
		if !want[m.StaffID.String()+" "+m.Domain+" "+m.Role] {
			t.Errorf("unexpected membership %+v", m)
		}
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
