package postgres

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// NewStaff is a staff identity to create.
type NewStaff struct {
	Email        string
	DisplayName  string
	PasswordHash string
}

// UpsertStaff creates a staff identity, or returns the id of the existing
// one with the same e-mail (seeding runs again without duplicating).
func (db *DB) UpsertStaff(ctx context.Context, s NewStaff) (id uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.UpsertStaff")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `
			INSERT INTO app.staff (email, display_name, password_hash) VALUES ($1, $2, $3)
			ON CONFLICT (email) DO UPDATE SET display_name = app.staff.display_name
			RETURNING id`, strings.ToLower(s.Email), s.DisplayName, s.PasswordHash).Scan(&id)
	})
	return id, err
}

// SetMembership gives staff member staffID the role in the kommun of the
// acting context (replacing an earlier role there).
func (db *DB) SetMembership(ctx context.Context, staffID uuid.UUID, role string) (err error) {
	defer apperr.Wrap(&err, "postgres.SetMembership")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `
			INSERT INTO app.staff_membership (kommun_id, staff_id, role)
			VALUES ((SELECT app.ctx_kommun()), $1, $2)
			ON CONFLICT (kommun_id, staff_id) DO UPDATE SET role = EXCLUDED.role`, staffID, role)
		return err
	})
}

// AddPlatformAdmin makes staffID a Storsthlm platform admin.
func (db *DB) AddPlatformAdmin(ctx context.Context, staffID uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.AddPlatformAdmin")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.platform_admin (staff_id) VALUES ($1) ON CONFLICT DO NOTHING`, staffID)
		return err
	})
}

// Memberships returns every role held by an active staff member: platform
// admins in the platform domain and kommun roles in their kommun's domain.
// It reads each kommun's memberships with that kommun's context, as every
// cross-kommun job does, in one transaction. It implements
// authz.MembershipSource.
func (db *DB) Memberships(ctx context.Context) (ms []authz.Membership, err error) {
	defer apperr.Wrap(&err, "postgres.Memberships")
	ctx = tenant.WithActing(ctx, tenant.System())
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		ms = nil
		rows, err := q.Query(ctx, `
			SELECT p.staff_id FROM app.platform_admin p
			JOIN app.staff s ON s.id = p.staff_id AND s.status = 'active'`)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for _, id := range ids {
			ms = append(ms, authz.Membership{StaffID: id, Domain: authz.PlatformDomain, Role: authz.RolePlatformAdmin})
		}
		kommuner, err := db.Kommuner(ctx)
		if err != nil {
			return err
		}
		for _, k := range kommuner {
			if err := SetActing(ctx, q, tenant.System().ForKommun(k.ID)); err != nil {
				return err
			}
			rows, err := q.Query(ctx, `
				SELECT m.staff_id, m.role FROM app.staff_membership m
				JOIN app.staff s ON s.id = m.staff_id AND s.status = 'active'
				WHERE m.kommun_id = $1`, k.ID)
			if err != nil {
				return err
			}
			domain := authz.KommunDomain(k.Slug)
			kms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (authz.Membership, error) {
				m := authz.Membership{Domain: domain}
				return m, r.Scan(&m.StaffID, &m.Role)
			})
			if err != nil {
				return err
			}
			ms = append(ms, kms...)
		}
		return nil
	})
	return ms, err
}
