package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// asSystem returns ctx acting as the platform's own system: registration
// and sign-in happen before anyone is known.
func asSystem(ctx context.Context) context.Context { return tenant.WithActing(ctx, tenant.System()) }

const accountColumns = `a.id, a.username, a.language, coalesce(a.phone, ''), a.phone_verified_at IS NOT NULL,
	a.phone_undeliverable_at IS NOT NULL, coalesce(a.email, ''), a.email_verified_at IS NOT NULL,
	a.email_undeliverable_at IS NOT NULL,
	EXISTS (SELECT 1 FROM app.notice_consent c WHERE c.account_id = a.id AND c.channel = 'sms' AND c.withdrawn_at IS NULL),
	EXISTS (SELECT 1 FROM app.notice_consent c WHERE c.account_id = a.id AND c.channel = 'email' AND c.withdrawn_at IS NULL),
	a.restricted_at IS NOT NULL, a.created_at, a.last_login_at`

func scanAccount(row pgx.Row) (account.Account, error) {
	var a account.Account
	err := row.Scan(&a.ID, &a.Username, &a.Language, &a.Phone, &a.PhoneVerified, &a.PhoneUndeliverable,
		&a.Email, &a.EmailVerified, &a.EmailUndeliverable, &a.SMSNotices, &a.EmailNotices, &a.Restricted,
		&a.CreatedAt, &a.LastLoginAt)
	return a, err
}

// CreateAccount inserts a youth account. A username taken without regard
// to case is a Conflict.
func (db *DB) CreateAccount(ctx context.Context, username, key, hash, language string) (a account.Account, err error) {
	defer apperr.Wrap(&err, "postgres.CreateAccount")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		a, err = scanAccount(q.QueryRow(ctx, `
			WITH a AS (INSERT INTO app.account (username, username_key, password_hash, language)
			           VALUES ($1, $2, $3, $4) RETURNING *)
			SELECT `+accountColumns+` FROM a`, username, key, hash, language))
		return err
	})
	return a, err
}

// Account returns the account of the acting youth (or any, for the system).
func (db *DB) Account(ctx context.Context, id uuid.UUID) (a account.Account, err error) {
	defer apperr.Wrap(&err, "postgres.Account")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		a, err = scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM app.account a WHERE a.id = $1`, id))
		return err
	})
	return a, err
}

// Credentials returns the id and password hash for a username key, or NotFound.
func (db *DB) Credentials(ctx context.Context, key string) (c account.Credentials, err error) {
	defer apperr.Wrap(&err, "postgres.Credentials")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT id, username, password_hash FROM app.account WHERE username_key = $1`, key).
			Scan(&c.ID, &c.Username, &c.PasswordHash)
	})
	return c, err
}

// RecordLogin notes a sign-in (which restarts the 365-day clock of P16) and
// stores an upgraded hash when one is given.
func (db *DB) RecordLogin(ctx context.Context, id uuid.UUID, newHash string) (err error) {
	defer apperr.Wrap(&err, "postgres.RecordLogin")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.account SET last_login_at = now(), deletion_warned_at = NULL,
			password_hash = coalesce(nullif($2, ''), password_hash) WHERE id = $1`, id, newHash)
		return err
	})
}

// PasswordHash returns the acting youth's password hash.
func (db *DB) PasswordHash(ctx context.Context, id uuid.UUID) (h string, err error) {
	defer apperr.Wrap(&err, "postgres.PasswordHash")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT password_hash FROM app.account WHERE id = $1`, id).Scan(&h)
	})
	return h, err
}

// SetPasswordHash replaces the acting youth's password hash.
func (db *DB) SetPasswordHash(ctx context.Context, id uuid.UUID, hash string) (err error) {
	defer apperr.Wrap(&err, "postgres.SetPasswordHash")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return expectOne(q.Exec(ctx, `UPDATE app.account SET password_hash = $2 WHERE id = $1`, id, hash))
	})
}

// CreateSession stores a new session under the hash of its id.
func (db *DB) CreateSession(ctx context.Context, s account.Session) (err error) {
	defer apperr.Wrap(&err, "postgres.CreateSession")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.session (id_hash, account_id, staff_id, mfa_done, created_at, last_seen_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $5, $6)`, s.IDHash, nullUUID(s.AccountID), nullUUID(s.StaffID), s.MFADone, s.CreatedAt, s.ExpiresAt)
		return err
	})
}

// SessionByHash returns the live session with that hash and marks it
// seen. An expired or idle session is deleted and reported NotFound.
func (db *DB) SessionByHash(ctx context.Context, h []byte, idle time.Duration) (s account.Session, err error) {
	defer apperr.Wrap(&err, "postgres.SessionByHash")
	expired := false
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		var accountID, staffID *uuid.UUID
		var alive, stale bool
		// Liveness is judged on the stored last_seen_at, before this visit.
		err := q.QueryRow(ctx, `
			SELECT account_id, staff_id, mfa_done, created_at, expires_at,
			       expires_at > now() AND last_seen_at > now() - $2::interval,
			       last_seen_at < now() - interval '1 minute'
			FROM app.session WHERE id_hash = $1 FOR UPDATE`, h, idle).
			Scan(&accountID, &staffID, &s.MFADone, &s.CreatedAt, &s.ExpiresAt, &alive, &stale)
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.session.expired", err)
		}
		if err != nil {
			return err
		}
		if alive && stale {
			// Marked seen at most once a minute, to spare writes.
			if _, err := q.Exec(ctx, `UPDATE app.session SET last_seen_at = now() WHERE id_hash = $1`, h); err != nil {
				return err
			}
		}
		if !alive {
			expired = true
			_, err := q.Exec(ctx, `DELETE FROM app.session WHERE id_hash = $1`, h)
			return err
		}
		s.IDHash = h
		if accountID != nil {
			s.AccountID = *accountID
		}
		if staffID != nil {
			s.StaffID = *staffID
		}
		return nil
	})
	if err == nil && expired {
		return account.Session{}, apperr.New(apperr.NotFound, "error.session.expired")
	}
	return s, err
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, h []byte) (err error) {
	defer apperr.Wrap(&err, "postgres.DeleteSession")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `DELETE FROM app.session WHERE id_hash = $1`, h)
		return err
	})
}

// DeleteAccountSessions ends every session of an account.
func (db *DB) DeleteAccountSessions(ctx context.Context, id uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.DeleteAccountSessions")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `DELETE FROM app.session WHERE account_id = $1`, id)
		return err
	})
}

// SetSessionMFA marks a staff session as having passed TOTP.
func (db *DB) SetSessionMFA(ctx context.Context, h []byte) (err error) {
	defer apperr.Wrap(&err, "postgres.SetSessionMFA")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return expectOne(q.Exec(ctx, `UPDATE app.session SET mfa_done = true WHERE id_hash = $1`, h))
	})
}

// expectOne turns "no row changed" into NotFound.
func expectOne(tag interface{ RowsAffected() int64 }, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	return nil
}
