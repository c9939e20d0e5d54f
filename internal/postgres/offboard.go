package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// KommunData is one kind of data a kommun controls (P7): the tables that
// hold it and how it is exported for the kommun when it leaves. Each
// feature that adds kommun tables registers its kind in an init function
// of its own store file (registerKommunData); offboarding exports and then
// deletes every registered kind, and TestOffboardCoversEveryKommunTable
// fails for a kommun table no kind lists.
type KommunData struct {
	Kind   string   // directory in the archive, e.g. "bookings"
	Tables []string // app tables (without schema) whose rows with the kommun's kommun_id are deleted
	// Export returns the kind's files; nil dumps each table's rows as JSON
	// (kind/table.json) without the kommun_id column.
	Export func(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error)
}

// kommunData is filled by init functions only and read afterwards.
var kommunData []KommunData

func registerKommunData(d KommunData) { kommunData = append(kommunData, d) }

// KommunDataTables returns every table a registered kind deletes from.
func KommunDataTables() []string {
	var out []string
	for _, d := range kommunData {
		out = append(out, d.Tables...)
	}
	slices.Sort(out)
	return out
}

func init() {
	registerKommunData(KommunData{Kind: "staff", Tables: []string{"staff_membership", "staff_invitation"}, Export: exportStaff})
	registerKommunData(KommunData{Kind: "reception", Tables: []string{"reception_draft", "reception_page"}})
	registerKommunData(KommunData{Kind: "admin_log", Tables: []string{"admin_action"}, Export: exportAdminLog})
}

// exportStaff names each member by e-mail and role: the kommun needs to
// know who worked for it; staff identities themselves stay with the
// platform (a staff member may work for several kommuner).
func exportStaff(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	members, err := jsonRows(ctx, q, `SELECT s.email, s.display_name, m.role, m.created_at AS member_since
		FROM app.staff_membership m JOIN app.staff s ON s.id = m.staff_id
		WHERE m.kommun_id = $1 ORDER BY s.email`, kommunID)
	if err != nil {
		return nil, err
	}
	invites, err := jsonRows(ctx, q, `SELECT email, role, created_at, expires_at, accepted_at
		FROM app.staff_invitation WHERE kommun_id = $1 ORDER BY created_at`, kommunID)
	if err != nil {
		return nil, err
	}
	return []onboarding.File{{Name: "staff/memberships.json", Data: members}, {Name: "staff/invitations.json", Data: invites}}, nil
}

func exportAdminLog(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	b, err := jsonRows(ctx, q, `SELECT a.at, s.email AS staff_email, a.staff_role, a.action, a.detail
		FROM app.admin_action a LEFT JOIN app.staff s ON s.id = a.staff_id
		WHERE a.kommun_id = $1 ORDER BY a.at, a.id`, kommunID)
	if err != nil {
		return nil, err
	}
	return []onboarding.File{{Name: "admin_log/admin_actions.json", Data: b}}, nil
}

// jsonRows runs query (with the kommun id as $1) and returns its rows as
// one JSON array.
func jsonRows(ctx context.Context, q Querier, query string, kommunID uuid.UUID) ([]byte, error) {
	var b []byte
	err := q.QueryRow(ctx, `SELECT coalesce(jsonb_agg(to_jsonb(r)), '[]'::jsonb)::text FROM (`+query+`) r`, kommunID).Scan(&b)
	return b, err
}

func (d KommunData) export(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	if d.Export != nil {
		return d.Export(ctx, q, kommunID)
	}
	var files []onboarding.File
	for _, t := range d.Tables {
		b, err := jsonRows(ctx, q, `SELECT * FROM app.`+pgx.Identifier{t}.Sanitize()+` WHERE kommun_id = $1`, kommunID)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t, err)
		}
		files = append(files, onboarding.File{Name: d.Kind + "/" + t + ".json", Data: b})
	}
	return files, nil
}

// OffboardKommun takes the kommun slug off the platform, in one
// transaction: it locks the registry row (so no new row can reference the
// kommun meanwhile), exports every registered kind of its data acting as
// the system for that kommun, has seal make the encrypted archive, stores
// the ciphertext, deletes the data of every kind, sets the status
// offboarded and records the act in the access log as the acting platform
// admin. The registry row stays. NotFound for an unknown slug; Conflict if
// it is offboarded already. On any error nothing is deleted.
func (db *DB) OffboardKommun(ctx context.Context, slug string, seal onboarding.SealFunc) (res onboarding.Offboarded, err error) {
	defer apperr.Wrap(&err, "postgres.OffboardKommun(%q)", slug)
	admin := tenant.ActingFrom(ctx)
	if admin.Actor != tenant.ActorPlatform || admin.AccountID == uuid.Nil {
		return res, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		k, err := scanKommun(q.QueryRow(ctx, `SELECT `+kommunColumns+` FROM app.kommun WHERE slug = $1 FOR UPDATE`, slug))
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.platform_kommun.not_found", err)
		}
		if err != nil {
			return err
		}
		if k.Status == tenant.StatusOffboarded {
			return &apperr.Error{Kind: apperr.Conflict, Key: "error.platform_kommun.status_changed"}
		}
		res = onboarding.Offboarded{Kommun: k, Deleted: map[string]int64{}}
		if err := SetActing(ctx, q, tenant.System().ForKommun(k.ID)); err != nil {
			return err
		}
		files, err := exportKommun(ctx, q, k.ID)
		if err != nil {
			return err
		}
		sealed, err := seal(k, files)
		if err != nil {
			return err
		}
		if res.Deleted, err = deleteKommunData(ctx, q, k.ID); err != nil {
			return err
		}
		if err := SetActing(ctx, q, admin); err != nil {
			return err
		}
		return db.finishOffboard(ctx, q, admin, &res, sealed)
	})
	return res, err
}

func exportKommun(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	var files []onboarding.File
	for _, d := range kommunData {
		f, err := d.export(ctx, q, kommunID)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", d.Kind, err)
		}
		files = append(files, f...)
	}
	return files, nil
}

// finishOffboard stores the sealed archive, marks the kommun offboarded
// and writes the access-log entry, acting as the platform admin.
func (db *DB) finishOffboard(ctx context.Context, q Querier, admin tenant.Acting, res *onboarding.Offboarded, sealed onboarding.Sealed) error {
	now := time.Now()
	res.FileName = onboarding.FileName(res.Kommun, now)
	res.Size = len(sealed.Ciphertext)
	res.Key = sealed.KeyText()
	sum := sha256.Sum256(sealed.Ciphertext)
	err := q.QueryRow(ctx, `INSERT INTO app.kommun_export (kommun_id, file_name, ciphertext, sha256, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, expires_at`, res.Kommun.ID, res.FileName, sealed.Ciphertext, sum[:],
		admin.AccountID, now.Add(onboarding.ExportTTL)).Scan(&res.ExportID, &res.ExpiresAt)
	if err != nil {
		return err
	}
	res.Kommun, err = scanKommun(q.QueryRow(ctx, `UPDATE app.kommun SET status = 'offboarded', updated_at = now()
		WHERE id = $1 RETURNING `+kommunColumns, res.Kommun.ID))
	if err != nil {
		return err
	}
	// The subject is the kommun's slug: the act concerns no user, and the
	// slug names what was acted on without being personal data. KommunID
	// stays empty: a platform admin acted, not the kommun's staff.
	return db.Record(ctx, audit.Entry{ActorID: admin.AccountID, ActorRole: "platform_admin",
		Action: audit.KommunOffboard, Subject: res.Kommun.Slug})
}

// deleteKommunData deletes the kommun's rows from every registered table,
// tables that reference others first, and returns the count per table.
func deleteKommunData(ctx context.Context, q Querier, kommunID uuid.UUID) (map[string]int64, error) {
	order, err := deletionOrder(ctx, q, KommunDataTables())
	if err != nil {
		return nil, err
	}
	deleted := map[string]int64{}
	for _, t := range order {
		tag, err := q.Exec(ctx, `DELETE FROM app.`+pgx.Identifier{t}.Sanitize()+` WHERE kommun_id = $1`, kommunID)
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", t, err)
		}
		deleted[t] = tag.RowsAffected()
	}
	return deleted, nil
}

// deletionOrder sorts tables so that a table comes before every table it
// references (by foreign key), read from the catalog.
func deletionOrder(ctx context.Context, q Querier, tables []string) ([]string, error) {
	rows, err := q.Query(ctx, `
		SELECT ch.relname, pa.relname FROM pg_constraint c
		JOIN pg_class ch ON ch.oid = c.conrelid JOIN pg_class pa ON pa.oid = c.confrelid
		WHERE c.contype = 'f' AND c.connamespace = 'app'::regnamespace AND c.conrelid <> c.confrelid`)
	if err != nil {
		return nil, err
	}
	type edge struct{ child, parent string }
	edges, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (edge, error) {
		var e edge
		return e, r.Scan(&e.child, &e.parent)
	})
	if err != nil {
		return nil, err
	}
	var order []string
	left := slices.Clone(tables)
	for len(left) > 0 {
		progress := false
		for i := 0; i < len(left); i++ {
			t := left[i]
			referenced := slices.ContainsFunc(edges, func(e edge) bool { return e.parent == t && slices.Contains(left, e.child) })
			if !referenced {
				order = append(order, t)
				left = slices.Delete(left, i, i+1)
				i--
				progress = true
			}
		}
		if !progress {
			return nil, fmt.Errorf("kommun tables reference each other in a cycle: %v", left)
		}
	}
	return order, nil
}
