package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Staff sign-in runs before anyone is known, so these act as the system:
// app.staff, app.staff_recovery_code and app.session are platform data
// whose policies admit only the system for this.

// StaffCredentials returns the id, password hash, status and TOTP state of
// the staff member with that (lower-case) e-mail, or NotFound.
func (db *DB) StaffCredentials(ctx context.Context, email string) (c account.StaffCredentials, err error) {
	defer apperr.Wrap(&err, "postgres.StaffCredentials")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT id, password_hash, status, totp_enabled_at IS NOT NULL FROM app.staff WHERE email = $1`,
			email).Scan(&c.ID, &c.PasswordHash, &c.Status, &c.TOTPEnabled)
	})
	return c, err
}

// RecordStaffLogin stores an upgraded password hash when one is given.
func (db *DB) RecordStaffLogin(ctx context.Context, id uuid.UUID, newHash string) (err error) {
	defer apperr.Wrap(&err, "postgres.RecordStaffLogin")
	if newHash == "" {
		return nil
	}
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return expectOne(q.Exec(ctx, `UPDATE app.staff SET password_hash = $2 WHERE id = $1`, id, newHash))
	})
}

// StaffTOTP returns a staff member's e-mail, status and sealed TOTP secret.
func (db *DB) StaffTOTP(ctx context.Context, id uuid.UUID) (t account.StaffTOTP, err error) {
	defer apperr.Wrap(&err, "postgres.StaffTOTP")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT email, status, coalesce(totp_secret, ''), totp_enabled_at IS NOT NULL
			FROM app.staff WHERE id = $1`, id).Scan(&t.Email, &t.Status, &t.SealedSecret, &t.Enabled)
	})
	return t, err
}

// SetStaffPendingTOTP stores a secret awaiting confirmation; a Conflict if
// TOTP is already enabled.
func (db *DB) SetStaffPendingTOTP(ctx context.Context, id uuid.UUID, sealed string) (err error) {
	defer apperr.Wrap(&err, "postgres.SetStaffPendingTOTP")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return conflictIfNone(q.Exec(ctx, `UPDATE app.staff SET totp_secret = $2, totp_last_step = NULL
			WHERE id = $1 AND totp_enabled_at IS NULL`, id, sealed))
	})
}

// EnableStaffTOTP enables the pending secret, records step as used and
// replaces the recovery codes, in one transaction. A Conflict if the
// stored secret is no longer sealed or TOTP is already enabled.
func (db *DB) EnableStaffTOTP(ctx context.Context, id uuid.UUID, sealed string, step int64, hashes [][]byte) (err error) {
	defer apperr.Wrap(&err, "postgres.EnableStaffTOTP")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		err := conflictIfNone(q.Exec(ctx, `UPDATE app.staff SET totp_enabled_at = now(), totp_last_step = $3
			WHERE id = $1 AND totp_secret = $2 AND totp_enabled_at IS NULL`, id, sealed, step))
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.staff_recovery_code WHERE staff_id = $1`, id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `INSERT INTO app.staff_recovery_code (staff_id, code_hash) SELECT $1, unnest($2::bytea[])`, id, hashes)
		return err
	})
}

// UseStaffTOTPStep records step as the last one used; a Conflict if that
// step or a later one was used already (a code works once).
func (db *DB) UseStaffTOTPStep(ctx context.Context, id uuid.UUID, step int64) (err error) {
	defer apperr.Wrap(&err, "postgres.UseStaffTOTPStep")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return conflictIfNone(q.Exec(ctx, `UPDATE app.staff SET totp_last_step = $2
			WHERE id = $1 AND totp_enabled_at IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)`, id, step))
	})
}

// UseStaffRecoveryCode spends an unused recovery code; NotFound if there
// is none with that hash.
func (db *DB) UseStaffRecoveryCode(ctx context.Context, id uuid.UUID, hash []byte) (err error) {
	defer apperr.Wrap(&err, "postgres.UseStaffRecoveryCode")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		return expectOne(q.Exec(ctx, `UPDATE app.staff_recovery_code SET used_at = now()
			WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL`, id, hash))
	})
}

// ResetStaffTOTP turns a staff member's TOTP off: the secret, the last
// used step and the recovery codes are removed and every session ends, so
// the next sign-in enrols again. For a lost phone (after the identity is
// checked) and for demo accounts whose secret was sealed under another
// SECRET_KEY. Authorising the reset is the caller's task.
func (db *DB) ResetStaffTOTP(ctx context.Context, id uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.ResetStaffTOTP")
	return db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		err := expectOne(q.Exec(ctx, `UPDATE app.staff SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL
			WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.staff_recovery_code WHERE staff_id = $1`, id); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `DELETE FROM app.session WHERE staff_id = $1`, id)
		return err
	})
}

// CreateStaffInvitation stores an invitation with the acting context of
// ctx: the system or a platform admin for any, a kommun's staff only for
// their own kommun (row-level security refuses the rest).
func (db *DB) CreateStaffInvitation(ctx context.Context, inv account.NewInvitation) (id uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.CreateStaffInvitation")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `INSERT INTO app.staff_invitation (token_hash, email, kommun_id, role, created_by, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, inv.TokenHash, inv.Email, nullUUID(inv.KommunID), inv.Role,
			nullUUID(inv.CreatedBy), inv.ExpiresAt).Scan(&id)
	})
	return id, err
}

// StaffInvitation returns the invitation with that token hash, whether or
// not it can still be used, or NotFound.
func (db *DB) StaffInvitation(ctx context.Context, tokenHash []byte) (inv account.Invitation, err error) {
	defer apperr.Wrap(&err, "postgres.StaffInvitation")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		var kommunID *uuid.UUID
		err := q.QueryRow(ctx, `
			SELECT i.id, i.email, i.kommun_id, coalesce(k.name, ''), i.role, i.expires_at, i.accepted_at IS NOT NULL,
			       EXISTS (SELECT 1 FROM app.staff s WHERE s.email = i.email)
			FROM app.staff_invitation i LEFT JOIN app.kommun k ON k.id = i.kommun_id
			WHERE i.token_hash = $1`, tokenHash).
			Scan(&inv.ID, &inv.Email, &kommunID, &inv.KommunName, &inv.Role, &inv.ExpiresAt, &inv.Accepted, &inv.Existing)
		if kommunID != nil {
			inv.KommunID = *kommunID
		}
		return err
	})
	return inv, err
}

// AcceptStaffInvitation creates the staff identity (or, when passwordHash
// is "", reuses the existing one with the invitation's e-mail), gives it
// the invited role (a kommun membership acting for that kommun, or a
// platform admin row) and marks the invitation accepted, all in one
// transaction. NotFound if the invitation is used, expired or unknown; a
// Conflict if an identity appeared or vanished meanwhile.
func (db *DB) AcceptStaffInvitation(ctx context.Context, tokenHash []byte, displayName, passwordHash string) (id uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.AcceptStaffInvitation")
	err = db.InTx(asSystem(ctx), func(ctx context.Context, q Querier) error {
		var invID uuid.UUID
		var kommunID *uuid.UUID
		var email, role string
		err := q.QueryRow(ctx, `SELECT id, email, kommun_id, role FROM app.staff_invitation
			WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() FOR UPDATE`, tokenHash).
			Scan(&invID, &email, &kommunID, &role)
		if err != nil {
			return err
		}
		if id, err = db.inviteeIdentity(ctx, q, email, displayName, passwordHash); err != nil {
			return err
		}
		if kommunID == nil {
			err = db.AddPlatformAdmin(ctx, id)
		} else {
			if err = SetActing(ctx, q, tenant.System().ForKommun(*kommunID)); err != nil {
				return err
			}
			err = db.SetMembership(tenant.WithActing(ctx, tenant.System().ForKommun(*kommunID)), id, role)
			if err == nil {
				err = SetActing(ctx, q, tenant.System())
			}
		}
		if err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE app.staff_invitation SET accepted_at = now() WHERE id = $1`, invID)
		return err
	})
	return id, err
}

// inviteeIdentity returns the staff id for an accepted invitation: a new
// identity, or the existing one when passwordHash is "".
func (db *DB) inviteeIdentity(ctx context.Context, q Querier, email, displayName, passwordHash string) (id uuid.UUID, err error) {
	if passwordHash == "" {
		err = q.QueryRow(ctx, `SELECT id FROM app.staff WHERE email = $1 AND status = 'active'`, email).Scan(&id)
		if err == pgx.ErrNoRows {
			return uuid.Nil, apperr.E(apperr.Conflict, "error.conflict", err)
		}
		return id, err
	}
	err = q.QueryRow(ctx, `INSERT INTO app.staff (email, display_name, password_hash) VALUES ($1, $2, $3)
		ON CONFLICT (email) DO NOTHING RETURNING id`, email, displayName, passwordHash).Scan(&id)
	if err == pgx.ErrNoRows {
		return uuid.Nil, apperr.E(apperr.Conflict, "error.conflict", err)
	}
	return id, err
}

// StaffOverview returns what the staff start page shows about the acting
// staff member: name, e-mail, roles per kommun and platform admin. It
// reads as that staff member (row-level security shows their own rows).
func (db *DB) StaffOverview(ctx context.Context, id uuid.UUID) (o account.StaffOverview, err error) {
	defer apperr.Wrap(&err, "postgres.StaffOverview")
	ctx = tenant.WithActing(ctx, tenant.Acting{Actor: tenant.ActorStaff, AccountID: id})
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		err := q.QueryRow(ctx, `SELECT display_name, email, EXISTS (SELECT 1 FROM app.platform_admin WHERE staff_id = $1)
			FROM app.staff WHERE id = $1`, id).Scan(&o.DisplayName, &o.Email, &o.PlatformAdmin)
		if err != nil {
			return err
		}
		rows, err := q.Query(ctx, `SELECT k.slug, k.name, m.role FROM app.staff_membership m
			JOIN app.kommun k ON k.id = m.kommun_id
			WHERE m.staff_id = $1 AND k.status <> 'offboarded'`, id)
		if err != nil {
			return err
		}
		o.Roles, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.StaffRole, error) {
			var sr account.StaffRole
			return sr, r.Scan(&sr.KommunSlug, &sr.KommunName, &sr.Role)
		})
		return err
	})
	return o, err
}

// conflictIfNone turns "no row changed" into a Conflict: the row is not
// in the state the change needs.
func conflictIfNone(tag interface{ RowsAffected() int64 }, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.Conflict, "error.conflict")
	}
	return nil
}
