package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"
)

// The two roles of the design: the owner of the schema, and the runtime
// login that owns nothing and cannot bypass row-level security.
const (
	OwnerRole = "mottagning_owner"
	AppRole   = "mottagning_app"
	// versionTable lives outside schema app, which holds only data tables.
	versionTable = "migration.schema_version"
)

// MigrateOptions tune Migrate.
type MigrateOptions struct {
	// AppPassword, if set, becomes the password of mottagning_app.
	AppPassword string
	// Log, if set, receives one line per migration applied.
	Log func(format string, args ...any)
}

// Migrate brings the database at adminURL (a superuser, or a role with
// CREATEROLE that may create schemas) to the newest schema in fsys. It creates
// the roles if they are missing, then applies the migrations as the owner
// role. Running it again changes nothing.
func Migrate(ctx context.Context, adminURL string, fsys fs.FS, opt MigrateOptions) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("migrate: connect with DATABASE_URL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Serialize concurrent migrate runs on this database (a rollout may start two).
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('mottagning.migrate'))`); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if err := ensureRolesRetrying(ctx, conn, opt.AppPassword); err != nil {
		return fmt.Errorf("migrate: roles: %w", err)
	}
	if _, err := conn.Exec(ctx, "SET ROLE "+OwnerRole); err != nil {
		return fmt.Errorf("migrate: act as %s: %w", OwnerRole, err)
	}
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("migrate: load: %w", err)
	}
	if opt.Log != nil {
		m.OnStart = func(seq int32, name, _, _ string) { opt.Log("applying migration %d %s", seq, name) }
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// ensureRolesRetrying runs ensureRoles until no concurrent migrate of
// another database gets in its way. Roles live in the cluster-wide catalog,
// which the per-database advisory lock above cannot serialize: two migrates
// of two databases (a rollout and a test, two test packages) can create or
// alter the same role at once, and PostgreSQL then refuses one with
// "tuple concurrently updated" or a duplicate role name. Every statement
// of ensureRoles is idempotent, so trying again is safe.
func ensureRolesRetrying(ctx context.Context, conn *pgx.Conn, appPassword string) error {
	for attempt := 1; ; attempt++ {
		err := ensureRoles(ctx, conn, appPassword)
		var pgErr *pgconn.PgError
		if err == nil || attempt == 10 || !errors.As(err, &pgErr) ||
			(pgErr.Code != "XX000" && pgErr.Code != "23505") { // internal_error (tuple concurrently updated), unique_violation
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		}
	}
}

// ensureRoles creates the owner and runtime roles when missing, and
// re-asserts the attributes that keep row-level security unbypassable.
func ensureRoles(ctx context.Context, conn *pgx.Conn, appPassword string) error {
	stmts := []string{
		fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s') THEN
				CREATE ROLE %[1]s NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
			END IF;
			IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%[2]s') THEN
				CREATE ROLE %[2]s LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
			END IF;
		END $$`, OwnerRole, AppRole),
		fmt.Sprintf(`DO $$ BEGIN
			IF EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s'
			           AND (rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole)) THEN
				ALTER ROLE %[1]s NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
			END IF;
		END $$`, AppRole),
		fmt.Sprintf(`DO $$ BEGIN
			IF NOT pg_has_role(current_user, '%[1]s', 'MEMBER') THEN
				EXECUTE format('GRANT %[1]s TO %%I', current_user);
			END IF;
		END $$`, OwnerRole),
		fmt.Sprintf(`DO $$ BEGIN
			EXECUTE format('GRANT CONNECT ON DATABASE %%I TO %[2]s', current_database());
			EXECUTE format('GRANT CREATE ON DATABASE %%I TO %[1]s', current_database());
		END $$`, OwnerRole, AppRole),
		fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION %s`, OwnerRole),
		fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS migration AUTHORIZATION %s`, OwnerRole),
		`REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	if appPassword != "" {
		pw, err := conn.PgConn().EscapeString(appPassword)
		if err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s PASSWORD '%s'`, AppRole, pw)); err != nil {
			return err
		}
	}
	return nil
}
