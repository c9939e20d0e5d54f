// Package postgres is Mottagning's PostgreSQL adapter: the connection pool,
// the one helper that runs work in a transaction with the acting context
// set for row-level security, error translation, migrations and every store.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Querier is what stores run statements on: the connection of the current
// transaction, with its acting context already set.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// DB is the pool of runtime connections (as mottagning_app).
type DB struct {
	pool *pgxpool.Pool
}

// Options tune Open.
type Options struct {
	MaxConns int32
	// AllowPrivileged lets a role that bypasses row-level security connect.
	// Only migrate and the test harness's admin connection set it.
	AllowPrivileged bool
}

// Open connects to url and checks that the role cannot bypass row-level
// security. It returns an error naming the role if it can.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db := &DB{pool: pool}
	if !opt.AllowPrivileged {
		if err := db.checkUnprivileged(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return db, nil
}

func (db *DB) checkUnprivileged(ctx context.Context) error {
	var role string
	var super, bypass bool
	err := db.pool.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).
		Scan(&role, &super, &bypass)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if super || bypass {
		return fmt.Errorf("DATABASE_URL: role %q bypasses row-level security; serve and worker must connect as %s", role, AppRole)
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that PostgreSQL answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Pool returns the underlying pool, for statistics and benchmarks.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

type txKey struct{}

// InTx runs fn in a transaction whose acting context is the one carried by
// ctx (tenant.ActingFrom). The context is set with set_config(..., true),
// local to this transaction, in the same round trip as BEGIN. If ctx already
// carries a transaction, fn joins it. fn's error rolls everything back.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, q Querier) error) (err error) {
	if q, ok := ctx.Value(txKey{}).(Querier); ok {
		return fn(ctx, q)
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return apperr.E(apperr.Internal, "", fmt.Errorf("acquire connection: %w", err))
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	queueActing(b, tenant.ActingFrom(ctx))
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		_ = conn.Conn().Close(ctx)
		return translate(err)
	}
	defer func() {
		if p := recover(); p != nil {
			rollback(ctx, conn)
			panic(p)
		}
		if err != nil {
			rollback(ctx, conn)
			return
		}
		if _, cerr := conn.Exec(ctx, "COMMIT"); cerr != nil {
			err = translate(cerr)
		}
	}()
	return translate(fn(context.WithValue(ctx, txKey{}, Querier(conn)), conn))
}

// rollback ends the transaction; if that fails the connection is closed so
// the pool never hands out a connection still inside a transaction.
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if _, err := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
	}
}

// SetActing changes the acting context inside the current transaction, for
// system work that walks the kommuner one by one in one transaction.
func SetActing(ctx context.Context, q Querier, a tenant.Acting) error {
	b := &pgx.Batch{}
	queueActing(b, a)
	return translate(q.SendBatch(ctx, b).Close())
}

func queueActing(b *pgx.Batch, a tenant.Acting) {
	b.Queue(`SELECT set_config('app.kommun_id', $1, true), set_config('app.account_id', $2, true), set_config('app.actor', $3, true), set_config('app.conversation_id', $4, true)`,
		uuidOrEmpty(a.KommunID), uuidOrEmpty(a.AccountID), string(a.Actor), uuidOrEmpty(a.ConversationID))
}

func uuidOrEmpty(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

// translate turns driver errors into the apperr vocabulary.
func translate(err error) error {
	if err == nil || apperr.As(err) != nil {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.E(apperr.NotFound, "error.not_found", err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			return apperr.E(apperr.Conflict, "error.conflict", err)
		case "23503", "23514", "22P02", "23502": // fk, check, bad text representation, not null
			return apperr.E(apperr.Invalid, "error.invalid", err)
		case "42501": // insufficient_privilege, including a row-level security refusal
			return apperr.E(apperr.Forbidden, "error.forbidden", err)
		}
	}
	return err
}

func asPgError(err error, target **pgconn.PgError) bool { return errors.As(err, target) }

func nullUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
