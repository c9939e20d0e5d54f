package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// ReceptionDraft returns the draft of the acting kommun; Saved is false if
// none was ever saved.
func (db *DB) ReceptionDraft(ctx context.Context) (d reception.Draft, err error) {
	defer apperr.Wrap(&err, "postgres.ReceptionDraft")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var raw []byte
		err := q.QueryRow(ctx, `SELECT page, updated_at FROM app.reception_draft WHERE kommun_id = (SELECT app.ctx_kommun())`).
			Scan(&raw, &d.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		d.Saved = true
		return json.Unmarshal(raw, &d.Page)
	})
	return d, err
}

// SaveReceptionDraft stores p as the acting kommun's draft and records
// the act (action, detail) in the admin log, in one transaction.
func (db *DB) SaveReceptionDraft(ctx context.Context, p reception.Page, action, detail string) (err error) {
	defer apperr.Wrap(&err, "postgres.SaveReceptionDraft")
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	a := tenant.ActingFrom(ctx)
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `
			INSERT INTO app.reception_draft (kommun_id, page, updated_at, updated_by)
			VALUES ((SELECT app.ctx_kommun()), $1, now(), $2)
			ON CONFLICT (kommun_id) DO UPDATE SET page = EXCLUDED.page, updated_at = now(), updated_by = EXCLUDED.updated_by`,
			raw, nullUUID(a.AccountID))
		if err != nil {
			return err
		}
		return recordAdmin(ctx, q, action, detail)
	})
}

// PublishReception copies the acting kommun's draft to its public page,
// after check accepts the draft, and records the act. No draft is NotFound;
// check's error is returned as is and nothing is written.
func (db *DB) PublishReception(ctx context.Context, check func(reception.Page) error, action string) (err error) {
	defer apperr.Wrap(&err, "postgres.PublishReception")
	a := tenant.ActingFrom(ctx)
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var raw []byte
		err := q.QueryRow(ctx, `SELECT page FROM app.reception_draft WHERE kommun_id = (SELECT app.ctx_kommun()) FOR UPDATE`).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.E(apperr.NotFound, "reception.error.no_draft", err)
		}
		if err != nil {
			return err
		}
		var p reception.Page
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		if err := check(p); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `
			INSERT INTO app.reception_page (kommun_id, page, published_at, published_by)
			VALUES ((SELECT app.ctx_kommun()), $1, now(), $2)
			ON CONFLICT (kommun_id) DO UPDATE SET page = EXCLUDED.page, published_at = now(), published_by = EXCLUDED.published_by`,
			raw, nullUUID(a.AccountID)); err != nil {
			return err
		}
		return recordAdmin(ctx, q, action, "")
	})
}

// PublishedReception returns kommun's published page; NotFound if it was
// never published. Any acting context may read published pages.
func (db *DB) PublishedReception(ctx context.Context, kommunID uuid.UUID) (p reception.Published, err error) {
	defer apperr.Wrap(&err, "postgres.PublishedReception")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var raw []byte
		if err := q.QueryRow(ctx, `SELECT kommun_id, page, published_at FROM app.reception_page WHERE kommun_id = $1`, kommunID).
			Scan(&p.KommunID, &raw, &p.PublishedAt); err != nil {
			return err
		}
		return json.Unmarshal(raw, &p.Page)
	})
	return p, err
}

// PublishedReceptions returns every published page by kommun id, in one
// query (the start page shows them all).
func (db *DB) PublishedReceptions(ctx context.Context) (out map[uuid.UUID]reception.Published, err error) {
	defer apperr.Wrap(&err, "postgres.PublishedReceptions")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		out = map[uuid.UUID]reception.Published{}
		rows, err := q.Query(ctx, `SELECT kommun_id, page, published_at FROM app.reception_page`)
		if err != nil {
			return err
		}
		var p reception.Published
		var raw []byte
		_, err = pgx.ForEachRow(rows, []any{&p.KommunID, &raw, &p.PublishedAt}, func() error {
			var page reception.Page
			if err := json.Unmarshal(raw, &page); err != nil {
				return err
			}
			out[p.KommunID] = reception.Published{KommunID: p.KommunID, Page: page, PublishedAt: p.PublishedAt}
			return nil
		})
		return err
	})
	return out, err
}

// RecordAdminAction records an administrative act of the acting staff
// member in the acting kommun's admin log.
func (db *DB) RecordAdminAction(ctx context.Context, action, detail string) (err error) {
	defer apperr.Wrap(&err, "postgres.RecordAdminAction(%s)", action)
	return db.InTx(ctx, func(ctx context.Context, q Querier) error { return recordAdmin(ctx, q, action, detail) })
}

func recordAdmin(ctx context.Context, q Querier, action, detail string) error {
	a := tenant.ActingFrom(ctx)
	role := a.Role
	if role == "" {
		role = string(a.Actor)
	}
	if r := []rune(detail); len(r) > 500 {
		detail = string(r[:500])
	}
	_, err := q.Exec(ctx, `INSERT INTO app.admin_action (kommun_id, staff_id, staff_role, action, detail)
		VALUES ((SELECT app.ctx_kommun()), $1, $2, $3, $4)`, nullUUID(a.AccountID), role, action, detail)
	return err
}

// AdminActions returns the acting kommun's admin log, newest first, at
// most limit entries from before (zero: now).
func (db *DB) AdminActions(ctx context.Context, before time.Time, limit int) (out []reception.AdminAction, err error) {
	defer apperr.Wrap(&err, "postgres.AdminActions")
	if before.IsZero() {
		before = time.Now().Add(time.Minute)
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT a.at, a.staff_id, coalesce(s.display_name, ''), a.staff_role, a.action, a.detail
			FROM app.admin_action a LEFT JOIN app.staff s ON s.id = a.staff_id
			WHERE a.kommun_id = (SELECT app.ctx_kommun()) AND a.at < $1
			ORDER BY a.at DESC, a.id DESC LIMIT $2`, before, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (reception.AdminAction, error) {
			var x reception.AdminAction
			var id *uuid.UUID
			err := r.Scan(&x.At, &id, &x.StaffName, &x.StaffRole, &x.Action, &x.Detail)
			if id != nil {
				x.StaffID = *id
			}
			return x, err
		})
		return err
	})
	return out, err
}

// WithAdminAction runs fn in one transaction with the record of the act,
// so the act and its record commit together or not at all. Stores fn
// calls join the transaction through ctx.
func (db *DB) WithAdminAction(ctx context.Context, action, detail string, fn func(ctx context.Context) error) (err error) {
	defer apperr.Wrap(&err, "postgres.WithAdminAction(%s)", action)
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := fn(ctx); err != nil {
			return err
		}
		return recordAdmin(ctx, q, action, detail)
	})
}
