package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
)

// Support access (P13, P20): a platform admin acting on a request finds an
// account by its exact username and may restrict it, lift the restriction
// or delete it. They see the username, whether the account is restricted
// and its open requests: nothing else. Every find and every action is
// written to the access log in the same transaction as the act, so neither
// can happen without the other.

// SupportFind returns the account whose username is key (case-folded, as
// account.NormalizeUsername gives it) and logs the find. No such account
// is NotFound, and nothing is logged: no one's data was seen.
func (db *DB) SupportFind(ctx context.Context, key string) (v account.SupportView, err error) {
	defer apperr.Wrap(&err, "postgres.SupportFind")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var id uuid.UUID
		err := q.QueryRow(ctx, `SELECT id FROM app.account WHERE username_key = $1`, key).Scan(&id)
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.support.not_found", err)
		}
		if err != nil {
			return err
		}
		v, err = db.supportView(ctx, q, id, audit.AccountFind)
		return err
	})
	return v, err
}

// SupportAccount is SupportFind by account id (the link from a request).
func (db *DB) SupportAccount(ctx context.Context, id uuid.UUID) (v account.SupportView, err error) {
	defer apperr.Wrap(&err, "postgres.SupportAccount")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		v, err = db.supportView(ctx, q, id, audit.AccountFind)
		return err
	})
	return v, err
}

// RestrictAccount marks the account restricted (P27): no notices, no
// statistics until lifted. Restricting a restricted account keeps the
// time it was first restricted. The act is logged.
func (db *DB) RestrictAccount(ctx context.Context, id uuid.UUID) (v account.SupportView, err error) {
	defer apperr.Wrap(&err, "postgres.RestrictAccount")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := setRestricted(ctx, q, id, true); err != nil {
			return err
		}
		v, err = db.supportView(ctx, q, id, audit.AccountRestrict)
		return err
	})
	return v, err
}

// LiftRestriction clears the account's restriction and logs the act.
func (db *DB) LiftRestriction(ctx context.Context, id uuid.UUID) (v account.SupportView, err error) {
	defer apperr.Wrap(&err, "postgres.LiftRestriction")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := setRestricted(ctx, q, id, false); err != nil {
			return err
		}
		v, err = db.supportView(ctx, q, id, audit.AccountLift)
		return err
	})
	return v, err
}

// SupportDelete deletes the account on request exactly as self-service
// deletion does (P20, P24), after the admin typed its username again
// (confirmKey, case-folded). A mismatch is an Invalid error on field
// "confirm_username" and nothing is deleted. The deletion is logged with
// the username, in the same transaction.
func (db *DB) SupportDelete(ctx context.Context, id uuid.UUID, confirmKey string, hooks ...account.DeletionHook) (err error) {
	defer apperr.Wrap(&err, "postgres.SupportDelete")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var username, key string
		err := q.QueryRow(ctx, `SELECT username, username_key FROM app.account WHERE id = $1 FOR UPDATE`, id).Scan(&username, &key)
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.support.not_found", err)
		}
		if err != nil {
			return err
		}
		if confirmKey != key {
			return apperr.InvalidFields(apperr.FieldError{Field: "confirm_username", Key: "error.support.confirm_mismatch"})
		}
		if err := db.Record(ctx, platformEntry(ctx, audit.AccountDelete, username)); err != nil {
			return err
		}
		return db.DeleteAccount(ctx, id, hooks...)
	})
}

// setRestricted sets or clears app.account.restricted_at. An unknown
// account is NotFound.
func setRestricted(ctx context.Context, q Querier, id uuid.UUID, on bool) error {
	sql := `UPDATE app.account SET restricted_at = coalesce(restricted_at, now()) WHERE id = $1`
	if !on {
		sql = `UPDATE app.account SET restricted_at = NULL WHERE id = $1`
	}
	err := expectOne(q.Exec(ctx, sql, id))
	if apperr.Is(err, apperr.NotFound) {
		return apperr.New(apperr.NotFound, "error.support.not_found")
	}
	return err
}

// supportView reads what support may see of an account and logs action.
func (db *DB) supportView(ctx context.Context, q Querier, id uuid.UUID, action audit.Action) (account.SupportView, error) {
	var v account.SupportView
	err := q.QueryRow(ctx, `SELECT id, username, restricted_at IS NOT NULL FROM app.account WHERE id = $1`, id).
		Scan(&v.ID, &v.Username, &v.Restricted)
	if err == pgx.ErrNoRows {
		return v, apperr.E(apperr.NotFound, "error.support.not_found", err)
	}
	if err != nil {
		return v, err
	}
	rows, err := q.Query(ctx, `SELECT `+requestColumns+` FROM app.privacy_request r
		WHERE r.account_id = $1 AND r.status IN ('received', 'in_progress') ORDER BY r.created_at, r.id`, id)
	if err != nil {
		return v, err
	}
	v.OpenRequests, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Request, error) { return scanRequest(row) })
	if err != nil {
		return v, err
	}
	return v, db.Record(ctx, platformEntry(ctx, action, v.Username))
}
