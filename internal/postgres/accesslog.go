package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
)

// Record writes one access-log entry in the caller's transaction (or its
// own). If the entry's month has no partition yet, it creates the partition
// and tries once more, so an insert never fails for a missing partition.
func (db *DB) Record(ctx context.Context, e audit.Entry) (err error) {
	defer apperr.Wrap(&err, "postgres.Record(%s)", e.Action)
	if err := e.Validate(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		insert := func() error {
			_, err := q.Exec(ctx, `
				INSERT INTO app.access_log (at, kommun_id, actor_id, actor_role, action, subject_username)
				VALUES ($1, $2, $3, $4, $5, $6)`,
				e.At, nullUUID(e.KommunID), e.ActorID, e.ActorRole, string(e.Action), e.Subject)
			return err
		}
		// A savepoint keeps the caller's transaction usable if the partition is missing.
		if _, err := q.Exec(ctx, `SAVEPOINT access_log_insert`); err != nil {
			return err
		}
		err := insert()
		if !isNoPartition(err) {
			if err == nil {
				_, err = q.Exec(ctx, `RELEASE SAVEPOINT access_log_insert`)
			}
			return err
		}
		if _, err := q.Exec(ctx, `ROLLBACK TO SAVEPOINT access_log_insert`); err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `SELECT app.ensure_access_log_partitions($1::date, 1)`, e.At.UTC()); err != nil {
			return err
		}
		return insert()
	})
}

// isNoPartition reports whether err says no partition holds the row.
func isNoPartition(err error) bool {
	var pgErr *pgconn.PgError
	return asPgError(err, &pgErr) && pgErr.Code == "23514" && pgErr.Message != "" &&
		pgErr.ConstraintName == ""
}

// EnsureAccessLogPartitions creates the monthly partitions from the month
// of from and months ahead, returning how many it created.
func (db *DB) EnsureAccessLogPartitions(ctx context.Context, from time.Time, months int) (n int, err error) {
	defer apperr.Wrap(&err, "postgres.EnsureAccessLogPartitions")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT app.ensure_access_log_partitions($1::date, $2)`, from.UTC(), months).Scan(&n)
	})
	return n, err
}

// DropAccessLogPartitionsBefore drops every whole month of the access log
// that ended before cutoff (promise P19), returning how many it dropped.
func (db *DB) DropAccessLogPartitionsBefore(ctx context.Context, cutoff time.Time) (n int, err error) {
	defer apperr.Wrap(&err, "postgres.DropAccessLogPartitionsBefore")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT app.drop_access_log_partitions_before($1)`, cutoff).Scan(&n)
	})
	return n, err
}
