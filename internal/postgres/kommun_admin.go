package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// KommunOverview returns every kommun with its staff count and whether
// its reception page is published, for the platform console. The counts
// come from app.kommun_overview(), which reads memberships with the
// owner's rights and returns only numbers: the platform actor itself
// never sees a membership row (P20). Only the platform or system actor
// may call it; others get Forbidden.
func (db *DB) KommunOverview(ctx context.Context) (out []onboarding.Overview, err error) {
	defer apperr.Wrap(&err, "postgres.KommunOverview")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT `+prefixed("k", kommunColumns)+`, o.staff_count, o.page_published
			FROM app.kommun k JOIN app.kommun_overview() o ON o.kommun_id = k.id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboarding.Overview, error) {
			var o onboarding.Overview
			var n int64
			k := &o.Kommun
			err := r.Scan(&k.ID, &k.Slug, &k.Name, &k.Code, &k.Demo, &k.Status, &k.Contact.Phone,
				&k.Contact.Email, &k.Contact.Address, &k.Contact.Website, &k.PrivacyPolicyURL,
				&k.CreatedAt, &k.UpdatedAt, &n, &o.PagePublished)
			o.StaffCount = int(n)
			return o, err
		})
		return err
	})
	return out, err
}

// prefixed qualifies each column of a comma-separated list with alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// OnboardKommun brings a kommun on board from its definition (a registry
// file or the console's form, validated by the caller): a new slug is
// created active; an offboarded kommun gets the definition and is active
// again. A kommun that is active or suspended is a Conflict; a code that
// another kommun uses is an Invalid error on the field "code". It reports
// whether the kommun was new.
func (db *DB) OnboardKommun(ctx context.Context, d tenant.Definition) (k tenant.Kommun, created bool, err error) {
	defer apperr.Wrap(&err, "postgres.OnboardKommun(%q)", d.Slug)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		old, err := scanKommun(q.QueryRow(ctx, `SELECT `+kommunColumns+` FROM app.kommun WHERE slug = $1 FOR UPDATE`, d.Slug))
		switch {
		case err == pgx.ErrNoRows:
			created = true
		case err != nil:
			return err
		case old.Status != tenant.StatusOffboarded:
			return &apperr.Error{Kind: apperr.Conflict, Key: "error.platform_kommun.exists", Args: map[string]any{"Name": old.Name}}
		}
		var used bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.kommun WHERE code = $1 AND slug <> $2)`, d.Code, d.Slug).Scan(&used); err != nil {
			return err
		}
		if used {
			return apperr.InvalidFields(apperr.FieldError{Field: "code", Key: "error.platform_kommun.code_used"})
		}
		if _, err := db.ApplyKommuner(ctx, []tenant.Definition{d}); err != nil {
			return err
		}
		k, err = scanKommun(q.QueryRow(ctx, `UPDATE app.kommun SET status = 'active', updated_at = now()
			WHERE slug = $1 RETURNING `+kommunColumns, d.Slug))
		if err != nil {
			return err
		}
		return db.recordKommunAct(ctx, audit.KommunOnboard, k.Slug)
	})
	return k, created, err
}

// SetKommunStatus moves the kommun slug to status to, if it is in one of
// the statuses from: suspend (active to suspended) and resume (suspended
// to active). Nothing else changes; the kommun's data is untouched.
// NotFound for an unknown slug; Conflict if it is in another status.
func (db *DB) SetKommunStatus(ctx context.Context, slug string, to tenant.Status, from ...tenant.Status) (k tenant.Kommun, err error) {
	defer apperr.Wrap(&err, "postgres.SetKommunStatus(%q, %s)", slug, to)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		k, err = scanKommun(q.QueryRow(ctx, `SELECT `+kommunColumns+` FROM app.kommun WHERE slug = $1 FOR UPDATE`, slug))
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.platform_kommun.not_found", err)
		}
		if err != nil {
			return err
		}
		if !slices.Contains(from, k.Status) {
			return &apperr.Error{Kind: apperr.Conflict, Key: "error.platform_kommun.status_changed"}
		}
		k, err = scanKommun(q.QueryRow(ctx, `UPDATE app.kommun SET status = $2, updated_at = now()
			WHERE id = $1 RETURNING `+kommunColumns, k.ID, string(to)))
		if err != nil {
			return err
		}
		act := audit.KommunSuspend
		if to == tenant.StatusActive {
			act = audit.KommunResume
		}
		return db.recordKommunAct(ctx, act, k.Slug)
	})
	return k, err
}

// recordKommunAct writes the access-log entry of a platform admin's act
// on the registry, in the caller's transaction. Work by the system (no
// person acting) is not logged here.
func (db *DB) recordKommunAct(ctx context.Context, act audit.Action, slug string) error {
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorPlatform || a.AccountID == uuid.Nil {
		return nil
	}
	return db.Record(ctx, audit.Entry{ActorID: a.AccountID, ActorRole: "platform_admin", Action: act, Subject: slug})
}

// KommunExport returns a sealed archive that has not expired, or NotFound.
func (db *DB) KommunExport(ctx context.Context, id uuid.UUID) (x onboarding.Export, err error) {
	defer apperr.Wrap(&err, "postgres.KommunExport")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		err := q.QueryRow(ctx, `SELECT id, kommun_id, file_name, ciphertext, sha256, created_at, expires_at
			FROM app.kommun_export WHERE id = $1 AND expires_at > now()`, id).
			Scan(&x.ID, &x.KommunID, &x.FileName, &x.Ciphertext, &x.SHA256, &x.CreatedAt, &x.ExpiresAt)
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.platform_kommun.export_gone", err)
		}
		return err
	})
	return x, err
}

// KommunExports returns the unexpired archives of kommun id, newest first,
// without their contents.
func (db *DB) KommunExports(ctx context.Context, kommunID uuid.UUID) (xs []onboarding.Export, err error) {
	defer apperr.Wrap(&err, "postgres.KommunExports")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if _, err := q.Exec(ctx, `DELETE FROM app.kommun_export WHERE expires_at <= now()`); err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT id, kommun_id, file_name, sha256, created_at, expires_at
			FROM app.kommun_export WHERE kommun_id = $1 ORDER BY created_at DESC`, kommunID)
		if err != nil {
			return err
		}
		xs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (onboarding.Export, error) {
			var x onboarding.Export
			return x, r.Scan(&x.ID, &x.KommunID, &x.FileName, &x.SHA256, &x.CreatedAt, &x.ExpiresAt)
		})
		return err
	})
	return xs, err
}
