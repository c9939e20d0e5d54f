package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// KommunStaff returns the staff members of the acting kommun with their
// roles, by name.
func (db *DB) KommunStaff(ctx context.Context) (out []reception.Member, err error) {
	defer apperr.Wrap(&err, "postgres.KommunStaff")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT s.id, s.email, s.display_name, m.role, m.created_at
			FROM app.staff_membership m JOIN app.staff s ON s.id = m.staff_id
			WHERE m.kommun_id = (SELECT app.ctx_kommun())
			ORDER BY lower(s.display_name), s.email`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (reception.Member, error) {
			var m reception.Member
			return m, r.Scan(&m.StaffID, &m.Email, &m.DisplayName, &m.Role, &m.Since)
		})
		return err
	})
	return out, err
}

// ChangeStaffRole gives member staffID the role in the acting kommun and
// records the act. An unknown member is NotFound; taking the role from
// the last reception admin is Conflict (kommun_admin.error.last_admin).
func (db *DB) ChangeStaffRole(ctx context.Context, staffID uuid.UUID, role, action, detail string) (err error) {
	defer apperr.Wrap(&err, "postgres.ChangeStaffRole")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := keepOneAdmin(ctx, q, staffID, role); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE app.staff_membership SET role = $2
			WHERE kommun_id = (SELECT app.ctx_kommun()) AND staff_id = $1`, staffID, role); err != nil {
			return err
		}
		return recordAdmin(ctx, q, action, detail)
	})
}

// DeactivateStaff removes member staffID from the acting kommun and ends
// every session of theirs, so the old cookie stops working at once on
// every instance; then records the act. Removing the last reception admin
// is Conflict; an unknown member is NotFound.
func (db *DB) DeactivateStaff(ctx context.Context, staffID uuid.UUID, action, detail string) (err error) {
	defer apperr.Wrap(&err, "postgres.DeactivateStaff")
	a := tenant.ActingFrom(ctx)
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := keepOneAdmin(ctx, q, staffID, ""); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.staff_membership
			WHERE kommun_id = (SELECT app.ctx_kommun()) AND staff_id = $1`, staffID); err != nil {
			return err
		}
		if err := recordAdmin(ctx, q, action, detail); err != nil {
			return err
		}
		// Sessions are platform data only system work may touch.
		if err := SetActing(ctx, q, tenant.System()); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.session WHERE staff_id = $1`, staffID); err != nil {
			return err
		}
		return SetActing(ctx, q, a)
	})
}

// keepOneAdmin locks the kommun's memberships and refuses a change that
// would leave it without a reception admin (newRole "" is removal). It
// returns NotFound if staffID is not a member.
func keepOneAdmin(ctx context.Context, q Querier, staffID uuid.UUID, newRole string) error {
	rows, err := q.Query(ctx, `SELECT staff_id, role FROM app.staff_membership
		WHERE kommun_id = (SELECT app.ctx_kommun()) ORDER BY staff_id FOR UPDATE`)
	if err != nil {
		return err
	}
	type member struct {
		id   uuid.UUID
		role string
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (member, error) {
		var m member
		return m, r.Scan(&m.id, &m.role)
	})
	if err != nil {
		return err
	}
	admins, found, wasAdmin := 0, false, false
	for _, m := range ms {
		if m.role == "reception_admin" {
			admins++
		}
		if m.id == staffID {
			found, wasAdmin = true, m.role == "reception_admin"
		}
	}
	if !found {
		return apperr.New(apperr.NotFound, "kommun_admin.error.member_not_found")
	}
	if wasAdmin && newRole != "reception_admin" && admins <= 1 {
		return apperr.New(apperr.Conflict, "kommun_admin.error.last_admin")
	}
	return nil
}
