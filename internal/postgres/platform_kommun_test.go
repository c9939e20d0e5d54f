package postgres_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// platformTablesWithKommun are the platform-controlled tables that carry a
// (nullable) kommun_id: the kommun it concerns, not its controller. Every
// other table with a kommun_id is a kommun's (P7). A new table with a
// nullable kommun_id must be listed here with a reason.
var platformTablesWithKommun = map[string]string{
	"access_log":       "P14: which staff looked at whose data; kept 5 years by the platform (P19)",
	"job_run":          "background job bookkeeping, per-kommun runs name their kommun",
	"staff_invitation": "creates a platform staff identity; a kommun role names the kommun",
	"kommun_export":    "sealed archive of an offboarded kommun, ciphertext only",
}

// publicKommunTables are kommun tables every actor may read by design.
var publicKommunTables = map[string]bool{"reception_page": true}

type tableInfo struct {
	name            string
	hasKommun       bool
	kommunNullable  bool
	pkLeadsByKommun bool
}

func tableCatalog(t *testing.T, admin *pgx.Conn) []tableInfo {
	t.Helper()
	rows, err := admin.Query(context.Background(), `
		SELECT c.relname,
		       a.attname IS NOT NULL,
		       coalesce(NOT a.attnotnull, false),
		       coalesce((SELECT pa.attname = 'kommun_id' FROM pg_index i
		                  JOIN pg_attribute pa ON pa.attrelid = i.indrelid AND pa.attnum = i.indkey[0]
		                 WHERE i.indrelid = c.oid AND i.indisprimary), false)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'kommun_id' AND NOT a.attisdropped
		WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tableInfo, error) {
		var ti tableInfo
		return ti, r.Scan(&ti.name, &ti.hasKommun, &ti.kommunNullable, &ti.pkLeadsByKommun)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kommunTables are the tables a kommun controls: kommun_id NOT NULL.
func kommunTables(cat []tableInfo) []string {
	var out []string
	for _, ti := range cat {
		if ti.hasKommun && !ti.kommunNullable {
			out = append(out, ti.name)
		}
	}
	return out
}

func TestP7_EveryRecordBelongsToOneController(t *testing.T) {
	t.Parallel()
	_, info := testenv.DB(t)
	cat := tableCatalog(t, testenv.Admin(t, info))
	var platform, kommun []string
	for _, ti := range cat {
		switch {
		case !ti.hasKommun:
			platform = append(platform, ti.name)
		case ti.kommunNullable:
			if _, listed := platformTablesWithKommun[ti.name]; !listed {
				t.Errorf("app.%s has a nullable kommun_id: make it NOT NULL and lead the primary key with it (a kommun's data), or list it in platformTablesWithKommun with the reason it is the platform's", ti.name)
			}
			platform = append(platform, ti.name)
		case !ti.pkLeadsByKommun:
			t.Errorf("app.%s is kommun data (kommun_id NOT NULL) but its primary key does not lead with kommun_id", ti.name)
		default:
			if _, listed := platformTablesWithKommun[ti.name]; listed {
				t.Errorf("app.%s is listed as platform data but its kommun_id is NOT NULL", ti.name)
			}
			kommun = append(kommun, ti.name)
		}
	}
	for _, want := range []string{"kommun", "staff", "account", "access_log"} {
		if !slices.Contains(platform, want) {
			t.Errorf("app.%s should be platform data; platform tables: %v", want, platform)
		}
	}
	for _, want := range []string{"staff_membership", "reception_draft", "reception_page", "admin_action"} {
		if !slices.Contains(kommun, want) {
			t.Errorf("app.%s should be kommun data; kommun tables: %v", want, kommun)
		}
	}
	t.Logf("platform: %v", platform)
	t.Logf("kommun: %v", kommun)
}

// Offboarding deletes every kommun table's rows of that kommun: each must
// belong to a registered kind of kommun data.
func TestOffboardCoversEveryKommunTable(t *testing.T) {
	t.Parallel()
	_, info := testenv.DB(t)
	covered := postgres.KommunDataTables()
	cat := tableCatalog(t, testenv.Admin(t, info))
	for _, name := range kommunTables(cat) {
		if !slices.Contains(covered, name) {
			t.Errorf("app.%s is kommun data but no registered KommunData kind exports and deletes it (registerKommunData in internal/postgres)", name)
		}
	}
	for _, name := range covered {
		if !slices.ContainsFunc(cat, func(ti tableInfo) bool { return ti.name == name && ti.hasKommun }) {
			t.Errorf("registered kommun data table app.%s does not exist or has no kommun_id", name)
		}
	}
}

func platformCtx(admin uuid.UUID, kommun uuid.UUID) context.Context {
	return tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorPlatform, AccountID: admin,
		KommunID: kommun, Role: "platform_admin"})
}

func TestP20_PlatformAdminCannotReadKommunData(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	adminID := w.addStaff(t, w.b, "plattform@storsthlm.example", "counsellor")
	// Even with a kommun in its context, the platform actor sees nothing.
	for _, kctx := range []uuid.UUID{uuid.Nil, w.a.ID} {
		ctx := platformCtx(adminID, kctx)
		for _, table := range kommunTables(tableCatalog(t, admin)) {
			var seeded int
			if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.`+table+` WHERE kommun_id = $1`, w.a.ID).Scan(&seeded); err != nil {
				t.Fatal(err)
			}
			if seeded == 0 {
				t.Errorf("app.%s has no row of %s; seed one in seedEveryTable so the check means something", table, w.a.Slug)
				continue
			}
			var visible int
			err := w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
				return q.QueryRow(ctx, `SELECT count(*) FROM app.`+table).Scan(&visible)
			})
			if err != nil && !apperr.Is(err, apperr.Forbidden) {
				t.Fatalf("app.%s: %v", table, err)
			}
			if visible != 0 && !publicKommunTables[table] {
				t.Errorf("app.%s: platform admin sees %d rows; want 0 (P20)", table, visible)
			}
			err = w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
				_, err := q.Exec(ctx, `INSERT INTO app.`+table+` (kommun_id) VALUES ($1)`, w.a.ID)
				return err
			})
			if !apperr.Is(err, apperr.Forbidden) {
				t.Errorf("app.%s: platform insert gave %v; want a refusal (Forbidden)", table, err)
			}
			var changed int64
			err = w.db.InTx(ctx, func(ctx context.Context, q postgres.Querier) error {
				u, err := q.Exec(ctx, `UPDATE app.`+table+` SET kommun_id = kommun_id`)
				if err != nil {
					return err
				}
				d, err := q.Exec(ctx, `DELETE FROM app.`+table)
				changed = u.RowsAffected() + d.RowsAffected()
				return err
			})
			if err != nil && !apperr.Is(err, apperr.Forbidden) {
				t.Fatalf("app.%s: %v", table, err)
			}
			if changed != 0 {
				t.Errorf("app.%s: platform admin changed %d rows; want 0", table, changed)
			}
			var after int
			if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.`+table+` WHERE kommun_id = $1`, w.a.ID).Scan(&after); err != nil {
				t.Fatal(err)
			}
			if after != seeded {
				t.Errorf("app.%s: %d rows of %s before, %d after the platform's attempts", table, seeded, w.a.Slug, after)
			}
		}
	}
}

func TestKommunOverviewGivesOnlyCountsToThePlatform(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	w.addStaff(t, w.a, "c@nacka.example", "reception_admin")
	ov, err := w.db.KommunOverview(platformCtx(uuid.New(), uuid.Nil))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]onboarding.Overview{}
	for _, o := range ov {
		got[o.Slug] = o
	}
	if len(ov) != 26 || got["nacka"].StaffCount != 2 || !got["nacka"].PagePublished || got["solna"].StaffCount != 1 || got["solna"].PagePublished {
		t.Errorf("overview: %d kommuner, nacka %+v, solna %+v", len(ov), got["nacka"], got["solna"])
	}
	youth := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorYouth, AccountID: uuid.New()})
	staff := staffCtx(w.a, w.staffA)
	for _, ctx := range []context.Context{youth, staff, context.Background()} {
		if _, err := w.db.KommunOverview(ctx); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("KommunOverview as %q: %v; want Forbidden", tenant.ActingFrom(ctx).Actor, err)
		}
	}
}

func kommunRows(t *testing.T, admin *pgx.Conn, tables []string, k uuid.UUID) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.`+table+` WHERE kommun_id = $1`, k).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func TestOffboardDeletesExactlyThatKommunsDataAfterSealingIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	for _, sql := range []string{`INSERT INTO app.reception_draft (kommun_id, page) VALUES ($1, '{"x": 1}')`,
		`INSERT INTO app.admin_action (kommun_id, staff_role, action) VALUES ($1, 'reception_admin', 'staff.invite')`} {
		if _, err := admin.Exec(context.Background(), sql, w.b.ID); err != nil {
			t.Fatal(err)
		}
	}
	tables := postgres.KommunDataTables()
	solnaBefore := kommunRows(t, admin, tables, w.b.ID)
	platformAdmin := w.addStaff(t, w.b, "pa@storsthlm.example", "counsellor")
	solnaBefore["staff_membership"]++

	res, err := w.db.OffboardKommun(platformCtx(platformAdmin, uuid.Nil), "nacka", onboarding.SealAt(w.a.CreatedAt))
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range kommunRows(t, admin, tables, w.a.ID) {
		if n != 0 {
			t.Errorf("app.%s keeps %d rows of nacka after offboarding", table, n)
		}
	}
	if after := kommunRows(t, admin, tables, w.b.ID); !mapsEqual(after, solnaBefore) {
		t.Errorf("solna's rows changed: before %v, after %v", solnaBefore, after)
	}
	var status string
	if err := admin.QueryRow(context.Background(), `SELECT status FROM app.kommun WHERE slug = 'nacka'`).Scan(&status); err != nil || status != "offboarded" {
		t.Errorf("nacka: status %q (%v); want the registry row kept as offboarded", status, err)
	}
	var logged int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.access_log WHERE action = 'kommun.offboard'
		AND subject_username = 'nacka' AND actor_id = $1 AND actor_role = 'platform_admin'`, platformAdmin).Scan(&logged); err != nil || logged != 1 {
		t.Errorf("access-log entries for the offboarding: %d (%v); want 1", logged, err)
	}

	x, err := w.db.KommunExport(platformCtx(platformAdmin, uuid.Nil), res.ExportID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(x.Ciphertext, []byte("a@nacka.example")) {
		t.Fatal("the stored archive holds a staff e-mail in clear text")
	}
	files := openArchive(t, "nacka", res.Key, x.Ciphertext)
	if m := files["staff/memberships.json"]; !strings.Contains(m, `"a@nacka.example"`) || !strings.Contains(m, `"counsellor"`) {
		t.Errorf("staff/memberships.json: %s", m)
	}
	if m := files["staff/memberships.json"]; strings.Contains(m, "b@solna.example") {
		t.Error("nacka's archive holds solna's staff")
	}
	for _, name := range []string{"readme.txt", "reception/reception_draft.json", "reception/reception_page.json", "admin_log/admin_actions.json", "staff/invitations.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("archive lacks %s; has %v", name, keys(files))
		}
	}
	if !strings.Contains(files["admin_log/admin_actions.json"], "reception_page.publish") {
		t.Errorf("admin log: %s", files["admin_log/admin_actions.json"])
	}
	if _, err := onboarding.Open("solna", res.Key, x.Ciphertext); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("opening nacka's archive as solna's: %v; want Invalid", err)
	}
	if _, err := w.db.OffboardKommun(platformCtx(platformAdmin, uuid.Nil), "nacka", onboarding.SealAt(w.a.CreatedAt)); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("offboarding twice: %v; want Conflict", err)
	}
}

func TestOffboardIsForPlatformAdminsOnlyAndAllOrNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	before := kommunRows(t, admin, postgres.KommunDataTables(), w.a.ID)
	for _, ctx := range []context.Context{w.systemCtx, staffCtx(w.a, w.staffA)} {
		if _, err := w.db.OffboardKommun(ctx, "nacka", onboarding.SealAt(w.a.CreatedAt)); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("offboarding as %q: %v; want Forbidden", tenant.ActingFrom(ctx).Actor, err)
		}
	}
	failing := func(tenant.Kommun, []onboarding.File) (onboarding.Sealed, error) {
		return onboarding.Sealed{}, apperr.New(apperr.Internal, "")
	}
	if _, err := w.db.OffboardKommun(platformCtx(uuid.New(), uuid.Nil), "nacka", failing); err == nil {
		t.Fatal("offboarding with a failing seal succeeded")
	}
	if after := kommunRows(t, admin, postgres.KommunDataTables(), w.a.ID); !mapsEqual(after, before) {
		t.Errorf("a failed offboarding changed nacka's rows: before %v, after %v", before, after)
	}
}

func openArchive(t *testing.T, slug, key string, sealed []byte) map[string]string {
	t.Helper()
	plain, err := onboarding.Open(slug, key, sealed)
	if err != nil {
		t.Fatalf("open archive: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		files[f.Name] = string(b)
	}
	return files
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Offboarding may delete the admin log; the kommun's own staff may not.
func TestAdminLogStaysAppendOnlyForStaff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	admin := testenv.Admin(t, w.dbinfo)
	seedEveryTable(t, admin, w)
	var deleted int64
	err := w.db.InTx(staffCtx(w.a, w.staffA), func(ctx context.Context, q postgres.Querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM app.admin_action`)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil || deleted != 0 {
		t.Errorf("staff deleting the admin log: %d rows (%v); want 0", deleted, err)
	}
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM app.admin_action WHERE kommun_id = $1`, w.a.ID).Scan(&n); err != nil || n != 1 {
		t.Errorf("admin log rows: %d (%v); want 1", n, err)
	}
}
