package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/tenants"
)

func tenantsApply(ctx context.Context, a *appCtx) error {
	var fsys fs.FS = tenants.FS
	source := "the registry built into the binary"
	if a.cfg.TenantsDir != "" {
		fsys, source = os.DirFS(a.cfg.TenantsDir), a.cfg.TenantsDir
	}
	defs, err := tenant.LoadDir(fsys)
	if err != nil {
		return fmt.Errorf("tenants apply: %s:\n%w", source, err)
	}
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	res, err := db.ApplyKommuner(tenant.WithActing(ctx, tenant.System()), defs)
	if err != nil {
		return fmt.Errorf("tenants apply: %w", err)
	}
	fmt.Fprintf(a.out, "tenants apply: %d kommuner from %s: %d created, %d updated, %d unchanged\n",
		len(defs), source, res.Created, res.Updated, res.Unchanged)
	return nil
}

// DemoPassword is the password of every demo staff account (README).
const DemoPassword = "Demo-losenord-2026"

// demoStaff are the demo staff members `seed` creates.
var demoStaff = []struct {
	email, name, kommun, role string
}{
	{"kurator.nacka@demo.example", "Kim Kurator (Nacka)", "nacka", authz.RoleCounsellor},
	{"admin.nacka@demo.example", "Alex Admin (Nacka)", "nacka", authz.RoleReceptionAdmin},
	{"kurator.solna@demo.example", "Sam Kurator (Solna)", "solna", authz.RoleCounsellor},
	{"admin.solna@demo.example", "Robin Admin (Solna)", "solna", authz.RoleReceptionAdmin},
	{"plattform@demo.example", "Pat Plattform (Storsthlm)", "", authz.RolePlatformAdmin},
}

// seedCmd creates the demo staff, then for each kommun with demo staff a
// published page, appointment types and bookable hours (demo.go), and the
// demo youth account. Idempotent: it creates only what is missing.
func seedCmd(ctx context.Context, a *appCtx) error {
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	ctx = tenant.WithActing(ctx, tenant.System())
	var teams []*demoTeam
	team := map[string]*demoTeam{}
	for _, s := range demoStaff {
		hash, err := account.HashPassword(DemoPassword, account.DefaultHashParams)
		if err != nil {
			return err
		}
		id, err := db.UpsertStaff(ctx, postgres.NewStaff{Email: s.email, DisplayName: s.name, PasswordHash: hash})
		if err != nil {
			return fmt.Errorf("seed %s: %w", s.email, err)
		}
		if s.role == authz.RolePlatformAdmin {
			err = db.AddPlatformAdmin(ctx, id)
		} else {
			t := team[s.kommun]
			if t == nil {
				k, err := db.KommunBySlug(ctx, s.kommun)
				if err != nil {
					return fmt.Errorf("seed %s: run `mottagning tenants apply` first: %w", s.email, err)
				}
				t = &demoTeam{kommun: k}
				team[s.kommun] = t
				teams = append(teams, t)
			}
			if s.role == authz.RoleCounsellor {
				t.counsellor = id
			} else {
				t.admin = id
			}
			err = db.SetMembership(tenant.WithActing(ctx, tenant.System().ForKommun(t.kommun.ID)), id, s.role)
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", s.email, err)
		}
	}
	fmt.Fprintf(a.out, "seed: %d demo staff members (password %q, for local use only)\n", len(demoStaff), DemoPassword)
	for _, t := range teams {
		did, err := seedKommun(ctx, db, *t)
		if err != nil {
			return fmt.Errorf("seed %s: %w", t.kommun.Slug, err)
		}
		fmt.Fprintf(a.out, "seed: %s: %s\n", t.kommun.Slug, did)
	}
	created, err := seedYouth(ctx, a, db)
	if err != nil {
		return fmt.Errorf("seed %s: %w", DemoYouth, err)
	}
	state := "already there"
	if created {
		state = "created"
	}
	fmt.Fprintf(a.out, "seed: demo youth account %q %s (same password; book at /nacka/boka)\n", DemoYouth, state)
	return nil
}
