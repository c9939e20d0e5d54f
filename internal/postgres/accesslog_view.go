package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// MyAccessLog returns the access-log entries about the acting youth's
// username, newest first (P14, P23): kommun name, role, action and time,
// never who the staff member was. Row-level security limits them to
// entries made since the account was created.
func (db *DB) MyAccessLog(ctx context.Context, accountID uuid.UUID) (out []retention.LogEntry, err error) {
	defer apperr.Wrap(&err, "postgres.MyAccessLog")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT l.id, l.at, coalesce(k.name, ''), l.actor_role, l.action
			FROM app.access_log l LEFT JOIN app.kommun k ON k.id = l.kommun_id
			WHERE l.subject_username = (SELECT a.username FROM app.account a WHERE a.id = $1)
			ORDER BY l.at DESC, l.id DESC LIMIT 1000`, accountID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (retention.LogEntry, error) {
			var e retention.LogEntry
			return e, r.Scan(&e.ID, &e.At, &e.Kommun, &e.Role, &e.Action)
		})
		return err
	})
	return out, err
}

// KommunAccessLog returns the acting kommun's access-log entries matching
// f, newest first, with the staff member's name for the follow-up (P14).
func (db *DB) KommunAccessLog(ctx context.Context, f retention.LogFilter) (out []retention.LogEntry, err error) {
	defer apperr.Wrap(&err, "postgres.KommunAccessLog")
	k := tenant.ActingFrom(ctx).KommunID
	if f.Limit <= 0 || f.Limit > retention.LogLimit {
		f.Limit = retention.LogLimit
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT l.id, l.at, l.actor_id, coalesce(s.display_name, ''), l.actor_role, l.action, l.subject_username
			FROM app.access_log l LEFT JOIN app.staff s ON s.id = l.actor_id
			WHERE l.kommun_id = $1 AND ($2::timestamptz IS NULL OR l.at >= $2) AND ($3::timestamptz IS NULL OR l.at < $3)
			  AND ($4 = '' OR l.action = $4) AND ($5 = '' OR lower(l.subject_username) = lower($5))
			ORDER BY l.at DESC, l.id DESC LIMIT $6`,
			k, timeOrNil(f.From), timeOrNil(f.To), f.Action, f.Username, f.Limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanKommunEntry)
		return err
	})
	return out, err
}

func scanKommunEntry(r pgx.CollectableRow) (retention.LogEntry, error) {
	var e retention.LogEntry
	return e, r.Scan(&e.ID, &e.At, &e.ActorID, &e.StaffName, &e.Role, &e.Action, &e.Subject)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// DrawAccessSample draws up to size random entries of the acting kommun's
// log from month (its first day, Stockholm time), records them as the
// month's sample and the draw in the access log, in one transaction. It
// returns Conflict if the month already has a sample.
func (db *DB) DrawAccessSample(ctx context.Context, month time.Time, size int) (s retention.Sample, err error) {
	defer apperr.Wrap(&err, "postgres.DrawAccessSample")
	a := tenant.ActingFrom(ctx)
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, retention.Stockholm)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var id uuid.UUID
		err := q.QueryRow(ctx, `INSERT INTO app.access_log_sample (kommun_id, month, drawn_by) VALUES ($1, $2::date, $3)
			ON CONFLICT (kommun_id, month) DO NOTHING RETURNING id`, a.KommunID, month.Format("2006-01-02"), nullUUID(a.AccountID)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.Conflict, "error.accesslog.sample_exists")
		}
		if err != nil {
			return err
		}
		tag, err := q.Exec(ctx, `
			INSERT INTO app.access_log_sample_item (kommun_id, sample_id, position, entry_at, entry_id, actor_id, actor_role, action, subject_username)
			SELECT $1, $2, row_number() OVER (ORDER BY d.at, d.id), d.at, d.id, d.actor_id, d.actor_role, d.action, d.subject_username
			FROM (SELECT at, id, actor_id, actor_role, action, subject_username FROM app.access_log
			      WHERE kommun_id = $1 AND at >= $3 AND at < $4 ORDER BY random() LIMIT $5) d`,
			a.KommunID, id, month, month.AddDate(0, 1, 0), size)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `UPDATE app.access_log_sample SET size = $3 WHERE kommun_id = $1 AND id = $2`,
			a.KommunID, id, tag.RowsAffected()); err != nil {
			return err
		}
		if err := db.Record(ctx, audit.Entry{KommunID: a.KommunID, ActorID: a.AccountID, ActorRole: a.Role,
			Action: audit.AccessLogSampleRun, Subject: audit.SampleSubject(month.Format("2006-01"))}); err != nil {
			return err
		}
		s, err = db.AccessSample(ctx, id)
		return err
	})
	return s, err
}

// AccessSamples lists the acting kommun's samples, newest month first,
// without their items.
func (db *DB) AccessSamples(ctx context.Context) (out []retention.Sample, err error) {
	defer apperr.Wrap(&err, "postgres.AccessSamples")
	k := tenant.ActingFrom(ctx).KommunID
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT s.id, s.month, s.drawn_at, s.size,
			       (SELECT count(*) FROM app.access_log_sample_item i WHERE i.kommun_id = s.kommun_id AND i.sample_id = s.id AND i.outcome IS NOT NULL)::int,
			       (SELECT count(*) FROM app.access_log_sample_item i WHERE i.kommun_id = s.kommun_id AND i.sample_id = s.id AND i.outcome = 'follow_up')::int
			FROM app.access_log_sample s WHERE s.kommun_id = $1 ORDER BY s.month DESC LIMIT 120`, k)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanSample)
		return err
	})
	return out, err
}

func scanSample(r pgx.CollectableRow) (retention.Sample, error) {
	var s retention.Sample
	var month time.Time
	err := r.Scan(&s.ID, &month, &s.DrawnAt, &s.Size, &s.Reviewed, &s.FollowUp)
	s.Month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, retention.Stockholm)
	return s, err
}

// AccessSample returns one of the acting kommun's samples with its items,
// or NotFound.
func (db *DB) AccessSample(ctx context.Context, id uuid.UUID) (s retention.Sample, err error) {
	defer apperr.Wrap(&err, "postgres.AccessSample")
	k := tenant.ActingFrom(ctx).KommunID
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			SELECT s.id, s.month, s.drawn_at, s.size,
			       (SELECT count(*) FROM app.access_log_sample_item i WHERE i.kommun_id = s.kommun_id AND i.sample_id = s.id AND i.outcome IS NOT NULL)::int,
			       (SELECT count(*) FROM app.access_log_sample_item i WHERE i.kommun_id = s.kommun_id AND i.sample_id = s.id AND i.outcome = 'follow_up')::int
			FROM app.access_log_sample s WHERE s.kommun_id = $1 AND s.id = $2`, k, id)
		if err != nil {
			return err
		}
		s, err = pgx.CollectExactlyOneRow(rows, scanSample)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.E(apperr.NotFound, "error.accesslog.sample_not_found", err)
		}
		if err != nil {
			return err
		}
		rows, err = q.Query(ctx, `
			SELECT i.position, i.entry_id, i.entry_at, i.actor_id, coalesce(st.display_name, ''), i.actor_role, i.action,
			       i.subject_username, coalesce(i.outcome, ''), i.note, i.reviewed_at
			FROM app.access_log_sample_item i LEFT JOIN app.staff st ON st.id = i.actor_id
			WHERE i.kommun_id = $1 AND i.sample_id = $2 ORDER BY i.position`, k, id)
		if err != nil {
			return err
		}
		s.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (retention.SampleItem, error) {
			var it retention.SampleItem
			var reviewed *time.Time
			err := r.Scan(&it.Position, &it.Entry.ID, &it.Entry.At, &it.Entry.ActorID, &it.Entry.StaffName, &it.Entry.Role,
				&it.Entry.Action, &it.Entry.Subject, &it.Outcome, &it.Note, &reviewed)
			if reviewed != nil {
				it.Reviewed = *reviewed
			}
			return it, err
		})
		return err
	})
	return s, err
}

// ReviewAccessSample records the review of the items of sample id that
// have an outcome, all or none, by the acting staff member. It returns
// NotFound for another kommun's or an unknown sample, and Invalid for a
// position the sample does not have.
func (db *DB) ReviewAccessSample(ctx context.Context, id uuid.UUID, reviews []retention.ItemReview) (s retention.Sample, err error) {
	defer apperr.Wrap(&err, "postgres.ReviewAccessSample")
	if err := retention.ValidateReviews(reviews); err != nil {
		return s, err
	}
	a := tenant.ActingFrom(ctx)
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if _, err := db.AccessSample(ctx, id); err != nil {
			return err
		}
		for _, r := range reviews {
			if r.Outcome == "" {
				continue
			}
			tag, err := q.Exec(ctx, `UPDATE app.access_log_sample_item SET outcome = $4, note = $5, reviewed_at = now(), reviewed_by = $6
				WHERE kommun_id = $1 AND sample_id = $2 AND position = $3`, a.KommunID, id, r.Position, r.Outcome, r.Note, nullUUID(a.AccountID))
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return apperr.New(apperr.Invalid, "error.accesslog.position")
			}
		}
		s, err = db.AccessSample(ctx, id)
		return err
	})
	return s, err
}
