package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Access-log actions of the request queue, beside the account actions of
// package audit: a platform admin opened a request (and so read its
// reason) or changed its status.
const (
	actionRequestRead   audit.Action = "privacy_request.read"
	actionRequestUpdate audit.Action = "privacy_request.update"
)

const requestColumns = `r.id, r.account_id, r.kind, r.reason, r.status, coalesce(r.answer, ''), r.created_at, r.updated_at`

func scanRequest(row pgx.Row, extra ...any) (account.Request, error) {
	var r account.Request
	var kind, status string
	err := row.Scan(append([]any{&r.ID, &r.AccountID, &kind, &r.Reason, &status, &r.Answer, &r.CreatedAt, &r.UpdatedAt}, extra...)...)
	r.Kind, r.Status = account.RequestKind(kind), account.RequestStatus(status)
	return r, err
}

func scanQueued(row pgx.Row) (account.QueuedRequest, error) {
	var q account.QueuedRequest
	r, err := scanRequest(row, &q.Username, &q.Restricted)
	q.Request = r
	return q, err
}

// FileRequest records a restriction or objection request of the acting
// youth (P22, P27). An account with account.OpenRequestsMax open requests
// gets a Conflict and nothing is written.
func (db *DB) FileRequest(ctx context.Context, accountID uuid.UUID, kind account.RequestKind, reason string) (r account.Request, err error) {
	defer apperr.Wrap(&err, "postgres.FileRequest")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		// The account row lock makes the count and the insert one step.
		if _, err := q.Exec(ctx, `SELECT 1 FROM app.account WHERE id = $1 FOR UPDATE`, accountID); err != nil {
			return err
		}
		var open int
		if err := q.QueryRow(ctx, `SELECT count(*) FROM app.privacy_request
			WHERE account_id = $1 AND status IN ('received', 'in_progress')`, accountID).Scan(&open); err != nil {
			return err
		}
		if open >= account.OpenRequestsMax {
			return &apperr.Error{Kind: apperr.Conflict, Key: "error.request.too_many_open",
				Args: map[string]any{"Max": account.OpenRequestsMax}}
		}
		r, err = scanRequest(q.QueryRow(ctx, `
			WITH r AS (INSERT INTO app.privacy_request (account_id, kind, reason) VALUES ($1, $2, $3) RETURNING *)
			SELECT `+requestColumns+` FROM r`, accountID, string(kind), reason))
		return err
	})
	return r, err
}

// MyRequests returns the acting youth's requests, newest first.
func (db *DB) MyRequests(ctx context.Context, accountID uuid.UUID) (rs []account.Request, err error) {
	defer apperr.Wrap(&err, "postgres.MyRequests")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+requestColumns+` FROM app.privacy_request r
			WHERE r.account_id = $1 ORDER BY r.created_at DESC, r.id`, accountID)
		if err != nil {
			return err
		}
		rs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.Request, error) { return scanRequest(row) })
		return err
	})
	return rs, err
}

const queuedFrom = ` FROM app.privacy_request r JOIN app.account a ON a.id = r.account_id `

// OpenRequests returns the requests that wait for an answer, oldest first,
// each with the requester's username only (P20). Platform admins only.
func (db *DB) OpenRequests(ctx context.Context) (rs []account.QueuedRequest, err error) {
	defer apperr.Wrap(&err, "postgres.OpenRequests")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+requestColumns+`, a.username, a.restricted_at IS NOT NULL`+queuedFrom+`
			WHERE r.status IN ('received', 'in_progress') ORDER BY r.created_at, r.id`)
		if err != nil {
			return err
		}
		rs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.QueuedRequest, error) { return scanQueued(row) })
		return err
	})
	return rs, err
}

// OpenRequest returns one request for the acting platform admin and writes
// that they read it to the access log, in the same transaction (P13).
// An unknown id is NotFound.
func (db *DB) OpenRequest(ctx context.Context, id uuid.UUID) (r account.QueuedRequest, err error) {
	defer apperr.Wrap(&err, "postgres.OpenRequest")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if r, err = queuedByID(ctx, q, id, false); err != nil {
			return err
		}
		return db.Record(ctx, platformEntry(ctx, actionRequestRead, r.Username))
	})
	return r, err
}

// UpdateRequest changes a request's status (and answer) for the acting
// platform admin. Granting a restriction request restricts the account
// (P27). Each change, and the restriction, is written to the access log in
// the same transaction. An unknown id is NotFound.
func (db *DB) UpdateRequest(ctx context.Context, id uuid.UUID, u account.RequestUpdate) (r account.QueuedRequest, err error) {
	defer apperr.Wrap(&err, "postgres.UpdateRequest")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		cur, err := queuedByID(ctx, q, id, true)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE app.privacy_request SET status = $2, answer = coalesce(nullif($3, ''), answer),
			handled_by = $4, updated_at = now() WHERE id = $1`,
			id, string(u.Status), u.Answer, tenant.ActingFrom(ctx).AccountID); err != nil {
			return err
		}
		if err := db.Record(ctx, platformEntry(ctx, actionRequestUpdate, cur.Username)); err != nil {
			return err
		}
		if cur.Kind == account.KindRestriction && u.Status == account.StatusGranted && !cur.Restricted {
			if err := setRestricted(ctx, q, cur.AccountID, true); err != nil {
				return err
			}
			if err := db.Record(ctx, platformEntry(ctx, audit.AccountRestrict, cur.Username)); err != nil {
				return err
			}
		}
		r, err = queuedByID(ctx, q, id, false)
		return err
	})
	return r, err
}

func queuedByID(ctx context.Context, q Querier, id uuid.UUID, lock bool) (account.QueuedRequest, error) {
	sql := `SELECT ` + requestColumns + `, a.username, a.restricted_at IS NOT NULL` + queuedFrom + `WHERE r.id = $1`
	if lock {
		sql += ` FOR UPDATE OF r`
	}
	r, err := scanQueued(q.QueryRow(ctx, sql, id))
	if err == pgx.ErrNoRows {
		return r, apperr.E(apperr.NotFound, "error.request.not_found", err)
	}
	return r, err
}

// platformEntry is an access-log entry of the acting platform admin about
// the account with username: who, what, and the username only (P13, P14).
func platformEntry(ctx context.Context, action audit.Action, username string) audit.Entry {
	return audit.Entry{ActorID: tenant.ActingFrom(ctx).AccountID, ActorRole: "platform_admin", Action: action, Subject: username}
}
