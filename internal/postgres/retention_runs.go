package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/retention"
)

// StartRun records the start of a retention run (see retention.RunStore).
// A retry of the same task id and kommun reuses the record and counts the
// attempt.
func (db *DB) StartRun(ctx context.Context, job, taskID string, kommunID uuid.UUID, at time.Time) (id int64, err error) {
	defer apperr.Wrap(&err, "postgres.StartRun(%s)", job)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `
			INSERT INTO app.job_run (job, task_id, kommun_id, started_at, outcome) VALUES ($1, $2, $3, $4, 'running')
			ON CONFLICT (task_id, (coalesce(kommun_id, '00000000-0000-0000-0000-000000000000'::uuid))) DO UPDATE
			SET attempts = app.job_run.attempts + 1, started_at = EXCLUDED.started_at, finished_at = NULL,
			    outcome = 'running', error = NULL, rows_affected = 0
			RETURNING id`, job, taskID, nullUUID(kommunID), at).Scan(&id)
	})
	return id, err
}

// FinishRun records the end of run id.
func (db *DB) FinishRun(ctx context.Context, id int64, at time.Time, rows int64, outcome retention.Outcome, errText string) (err error) {
	defer apperr.Wrap(&err, "postgres.FinishRun")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return expectOne(q.Exec(ctx, `UPDATE app.job_run SET finished_at = $2, rows_affected = $3, outcome = $4,
			error = nullif($5, '') WHERE id = $1`, id, at, rows, string(outcome), errText))
	})
}

// TryLock takes the session-level advisory lock of job and kommun on a
// connection of its own, held until release. ok is false, and nothing is
// held, when another run has it.
func (db *DB) TryLock(ctx context.Context, job string, kommunID uuid.UUID) (release func(), ok bool, err error) {
	defer apperr.Wrap(&err, "postgres.TryLock(%s)", job)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	key := "mottagning.retention:" + job + ":" + kommunID.String()
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, key).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, err
	}
	release = func() {
		bg := context.WithoutCancel(ctx)
		if _, err := conn.Exec(bg, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			_ = conn.Conn().Close(bg) // closing the session frees the lock
		}
		conn.Release()
	}
	return release, true, nil
}

// JobRuns returns, per job, its latest run (all kommuner of that task
// together) and when it last succeeded. Platform admins and system work see
// them; the heartbeat is left out.
func (db *DB) JobRuns(ctx context.Context) (out []retention.RunSummary, err error) {
	defer apperr.Wrap(&err, "postgres.JobRuns")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			WITH latest AS (
			    SELECT DISTINCT ON (job) job, task_id FROM app.job_run
			    WHERE job <> 'heartbeat' ORDER BY job, started_at DESC, id DESC),
			good AS (SELECT job, max(finished_at) AS at FROM app.job_run WHERE outcome = 'ok' AND job <> 'heartbeat' GROUP BY job)
			SELECT r.job, r.task_id, min(r.started_at),
			       CASE WHEN bool_or(r.outcome = 'running') THEN NULL ELSE max(r.finished_at) END,
			       sum(r.rows_affected)::bigint,
			       CASE WHEN bool_or(r.outcome = 'failed') THEN 'failed' WHEN bool_or(r.outcome = 'running') THEN 'running'
			            WHEN bool_and(r.outcome = 'skipped') THEN 'skipped' ELSE 'ok' END,
			       max(r.attempts), (count(*) FILTER (WHERE r.outcome = 'failed'))::int,
			       coalesce(min(r.error) FILTER (WHERE r.error IS NOT NULL), ''), max(g.at)
			FROM app.job_run r JOIN latest l ON l.job = r.job AND l.task_id = r.task_id
			LEFT JOIN good g ON g.job = r.job
			GROUP BY r.job, r.task_id ORDER BY r.job`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (retention.RunSummary, error) {
			var s retention.RunSummary
			return s, r.Scan(&s.Job, &s.TaskID, &s.Started, &s.Finished, &s.Rows, &s.Outcome, &s.Attempts,
				&s.Failures, &s.Error, &s.LastSuccess)
		})
		return err
	})
	return out, err
}
