package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// RetentionStore is the database side of the retention jobs: *DB with the
// deletion hooks of the features that hold data for an account, so an
// inactive account goes exactly as self-deletion takes it.
type RetentionStore struct {
	*DB
	Hooks []account.DeletionHook
}

// NewRetentionStore returns the retention store over db.
func NewRetentionStore(db *DB, hooks ...account.DeletionHook) RetentionStore {
	return RetentionStore{DB: db, Hooks: hooks}
}

// RetentionDeps returns retention.Deps with every store of this package
// filled in; the caller adds the warner, ongoing cases and idle timeout.
func (s RetentionStore) RetentionDeps() retention.Deps {
	return retention.Deps{Accounts: s, AccessLog: s.DB, Sessions: s.DB, Invitations: s.DB, Reviews: s.DB, Runs: s.DB,
		PolicyNotices: s.DB}
}

// InactiveAccounts returns up to limit ids after after, in id order, of
// accounts whose last sign-in was at or before before.
func (s RetentionStore) InactiveAccounts(ctx context.Context, before time.Time, after uuid.UUID, limit int) (ids []uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.InactiveAccounts")
	err = s.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT id FROM app.account WHERE last_login_at <= $1 AND id > $2 ORDER BY id LIMIT $3`,
			before, after, limit)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	return ids, err
}

// DeleteInactiveAccount deletes the account through DeleteAccount with the
// store's hooks, if it is still inactive and keep says false (see
// retention.AccountStore). An account another run holds is skipped.
func (s RetentionStore) DeleteInactiveAccount(ctx context.Context, id uuid.UUID, before time.Time,
	keep func(ctx context.Context) (bool, error)) (deleted bool, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteInactiveAccount")
	err = s.InTx(ctx, func(ctx context.Context, q Querier) error {
		var one int
		err := q.QueryRow(ctx, `SELECT 1 FROM app.account WHERE id = $1 AND last_login_at <= $2 FOR UPDATE SKIP LOCKED`,
			id, before).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if kept, err := keep(ctx); err != nil || kept {
			return err
		}
		if err := s.DeleteAccount(ctx, id, s.Hooks...); err != nil {
			return err
		}
		deleted = true
		return nil
	})
	return deleted, err
}

// WarnableAccounts returns accounts due for the warning before deletion
// (see retention.AccountStore): a verified, deliverable contact whose
// channel has an open consent, and no restriction (P12, P27).
func (s RetentionStore) WarnableAccounts(ctx context.Context, warnBefore, deleteBefore time.Time, after uuid.UUID, limit int) (ids []uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.WarnableAccounts")
	err = s.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT a.id FROM app.account a
			WHERE a.last_login_at <= $1 AND a.last_login_at > $2 AND a.deletion_warned_at IS NULL
			  AND a.restricted_at IS NULL AND a.id > $3
			  AND EXISTS (SELECT 1 FROM app.notice_consent c WHERE c.account_id = a.id AND c.withdrawn_at IS NULL
			      AND ((c.channel = 'sms' AND a.phone IS NOT NULL AND a.phone_verified_at IS NOT NULL AND a.phone_undeliverable_at IS NULL)
			        OR (c.channel = 'email' AND a.email IS NOT NULL AND a.email_verified_at IS NOT NULL AND a.email_undeliverable_at IS NULL)))
			ORDER BY a.id LIMIT $4`, warnBefore, deleteBefore, after, limit)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	return ids, err
}

// MarkWarned records the warning once and sends it in the same
// transaction (see retention.AccountStore). A sign-in clears the mark
// (RecordLogin), so the next period of inactivity warns again.
func (s RetentionStore) MarkWarned(ctx context.Context, id uuid.UUID, warnBefore, at time.Time,
	send func(ctx context.Context, lastLogin time.Time) error) (marked bool, err error) {
	defer apperr.Wrap(&err, "postgres.MarkWarned")
	err = s.InTx(ctx, func(ctx context.Context, q Querier) error {
		var last time.Time
		err := q.QueryRow(ctx, `UPDATE app.account SET deletion_warned_at = $3
			WHERE id = $1 AND deletion_warned_at IS NULL AND last_login_at <= $2 RETURNING last_login_at`,
			id, warnBefore, at).Scan(&last)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := send(ctx, last); err != nil {
			return err
		}
		marked = true
		return nil
	})
	return marked, err
}

// DeleteExpiredSessions deletes up to limit sessions past their lifetime
// at now, or idle longer than idle (when positive). Rows another run holds
// are skipped.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteExpiredSessions")
	idleBefore := now.Add(-idle)
	if idle <= 0 {
		idleBefore = time.Time{}
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM app.session WHERE id_hash IN (
			SELECT id_hash FROM app.session WHERE expires_at <= $1 OR last_seen_at <= $2
			LIMIT $3 FOR UPDATE SKIP LOCKED)`, now, idleBefore, limit)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// DeleteOldInvitations deletes up to limit invitations of the kommun of
// ctx (platform-admin invitations when ctx names no kommun) that expired or
// were accepted at or before before.
func (db *DB) DeleteOldInvitations(ctx context.Context, before time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteOldInvitations")
	k := tenant.ActingFrom(ctx).KommunID
	scope := `kommun_id = $3`
	args := []any{before, limit, k}
	if k == uuid.Nil {
		scope, args = `kommun_id IS NULL`, args[:2]
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM app.staff_invitation WHERE id IN (
			SELECT id FROM app.staff_invitation WHERE `+scope+` AND (expires_at <= $1 OR accepted_at <= $1)
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// DeleteExpiredSamples deletes up to limit access-log samples of the
// kommun of ctx whose month ended at or before before, with their items,
// and returns the rows removed (samples and items).
func (db *DB) DeleteExpiredSamples(ctx context.Context, before time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteExpiredSamples")
	k := tenant.ActingFrom(ctx).KommunID
	if k == uuid.Nil {
		return 0, apperr.New(apperr.Internal, "")
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `
			WITH doomed AS (
			    SELECT id FROM app.access_log_sample
			    WHERE kommun_id = $3 AND ((month + interval '1 month')::timestamp AT TIME ZONE 'Europe/Stockholm') <= $1
			    LIMIT $2 FOR UPDATE SKIP LOCKED),
			gone AS (DELETE FROM app.access_log_sample s USING doomed d
			    WHERE s.kommun_id = $3 AND s.id = d.id RETURNING s.size)
			SELECT count(*) + coalesce(sum(size), 0) FROM gone`, before, limit, k).Scan(&n)
	})
	return n, err
}

// DeleteOldRuns deletes up to limit job runs that started at or before before.
func (db *DB) DeleteOldRuns(ctx context.Context, before time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteOldRuns")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM app.job_run WHERE id IN (
			SELECT id FROM app.job_run WHERE started_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, limit)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}
