package postgres

import (
	"context"
	"time"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// RecordHeartbeat records one run of the heartbeat job, proving that the
// scheduler, Redis and a worker all work. A task delivered twice is
// recorded once.
func (db *DB) RecordHeartbeat(ctx context.Context, taskID string, at time.Time) (err error) {
	defer apperr.Wrap(&err, "postgres.RecordHeartbeat")
	ctx = tenant.WithActing(ctx, tenant.System())
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `
			INSERT INTO app.job_run (job, task_id, started_at, finished_at, outcome)
			VALUES ('heartbeat', $1, $2, $2, 'ok')
			ON CONFLICT DO NOTHING`, taskID, at)
		return err
	})
}

// LastHeartbeat returns the time of the newest heartbeat, or a NotFound error.
func (db *DB) LastHeartbeat(ctx context.Context) (at time.Time, err error) {
	defer apperr.Wrap(&err, "postgres.LastHeartbeat")
	ctx = tenant.WithActing(ctx, tenant.System())
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT max(started_at) FROM app.job_run WHERE job = 'heartbeat' HAVING count(*) > 0`).Scan(&at)
	})
	return at, err
}
