package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// ApplyResult counts what ApplyKommuner did.
type ApplyResult struct {
	Created, Updated, Unchanged int
}

// ApplyKommuner makes the registry match defs: new kommuner are created,
// changed ones updated. It never deletes a kommun and never changes a
// status (offboarding is an explicit act). It must run as the platform or
// system actor; a code already used by another slug is a Conflict.
func (db *DB) ApplyKommuner(ctx context.Context, defs []tenant.Definition) (res ApplyResult, err error) {
	defer apperr.Wrap(&err, "postgres.ApplyKommuner")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		res = ApplyResult{}
		for _, d := range defs {
			var inserted, changed bool
			err := q.QueryRow(ctx, `
				INSERT INTO app.kommun AS k (slug, name, code, demo, contact_phone, contact_email,
				                             contact_address, contact_website, privacy_policy_url)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (slug) DO UPDATE SET
				    name = EXCLUDED.name, code = EXCLUDED.code, demo = EXCLUDED.demo,
				    contact_phone = EXCLUDED.contact_phone, contact_email = EXCLUDED.contact_email,
				    contact_address = EXCLUDED.contact_address, contact_website = EXCLUDED.contact_website,
				    privacy_policy_url = EXCLUDED.privacy_policy_url, updated_at = now()
				WHERE (k.name, k.code, k.demo, k.contact_phone, k.contact_email, k.contact_address,
				       k.contact_website, k.privacy_policy_url)
				   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.code, EXCLUDED.demo, EXCLUDED.contact_phone,
				       EXCLUDED.contact_email, EXCLUDED.contact_address, EXCLUDED.contact_website,
				       EXCLUDED.privacy_policy_url)
				RETURNING xmax = 0, true`,
				d.Slug, d.Name, d.Code, d.Demo, d.Contact.Phone, d.Contact.Email,
				d.Contact.Address, d.Contact.Website, d.PrivacyPolicyURL).Scan(&inserted, &changed)
			switch {
			case err == pgx.ErrNoRows:
				res.Unchanged++
			case err != nil:
				return fmt.Errorf("%s: %w", d.Slug, translate(err))
			case inserted:
				res.Created++
			default:
				res.Updated++
			}
		}
		return nil
	})
	return res, err
}

const kommunColumns = `id, slug, name, code, demo, status, contact_phone, contact_email,
	contact_address, contact_website, privacy_policy_url, created_at, updated_at`

func scanKommun(row pgx.Row) (tenant.Kommun, error) {
	var k tenant.Kommun
	err := row.Scan(&k.ID, &k.Slug, &k.Name, &k.Code, &k.Demo, &k.Status, &k.Contact.Phone,
		&k.Contact.Email, &k.Contact.Address, &k.Contact.Website, &k.PrivacyPolicyURL,
		&k.CreatedAt, &k.UpdatedAt)
	return k, err
}

// Kommuner returns the registry ordered by name (Swedish collation order is
// applied by the caller). With no acting context it returns nothing.
func (db *DB) Kommuner(ctx context.Context) (ks []tenant.Kommun, err error) {
	defer apperr.Wrap(&err, "postgres.Kommuner")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+kommunColumns+` FROM app.kommun ORDER BY name`)
		if err != nil {
			return err
		}
		ks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant.Kommun, error) { return scanKommun(r) })
		return err
	})
	return ks, err
}

// KommunBySlug returns the kommun with that slug, or a NotFound error.
func (db *DB) KommunBySlug(ctx context.Context, slug string) (k tenant.Kommun, err error) {
	defer apperr.Wrap(&err, "postgres.KommunBySlug(%q)", slug)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		k, err = scanKommun(q.QueryRow(ctx, `SELECT `+kommunColumns+` FROM app.kommun WHERE slug = $1`, slug))
		if err == pgx.ErrNoRows {
			return apperr.E(apperr.NotFound, "error.kommun_not_found", err)
		}
		return err
	})
	return k, err
}
