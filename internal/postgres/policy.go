package postgres

import (
	"bytes"
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
)

func scanPolicy(row pgx.Row) (account.PolicyVersion, error) {
	var v account.PolicyVersion
	err := row.Scan(&v.ID, &v.Version, &v.SummarySV, &v.SummaryEN, &v.TextSV, &v.TextEN,
		&v.EffectiveAt, &v.PublishedAt, &v.UrgentReason)
	return v, err
}

const (
	policyHeadColumns = `id, version, summary_sv, summary_en, '', '', effective_at, published_at, coalesce(urgent_reason, '')`
	policyColumns     = `id, version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at, coalesce(urgent_reason, '')`
)

// PolicyTimeline returns the privacy-policy versions that matter now (P29):
// the newest one in force and every one still to come, without their full
// texts (the notice on every youth page needs only the summaries).
func (db *DB) PolicyTimeline(ctx context.Context) (t account.PolicyTimeline, err error) {
	defer apperr.Wrap(&err, "postgres.PolicyTimeline")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+policyHeadColumns+` FROM app.policy_version
			WHERE effective_at > now()
			   OR id = (SELECT id FROM app.policy_version WHERE effective_at <= now()
			            ORDER BY effective_at DESC, published_at DESC LIMIT 1)
			ORDER BY effective_at, published_at`)
		if err != nil {
			return err
		}
		t, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.PolicyVersion, error) { return scanPolicy(row) })
		return err
	})
	return t, err
}

// PolicyVersion returns one version with its full texts, or NotFound.
func (db *DB) PolicyVersion(ctx context.Context, id uuid.UUID) (v account.PolicyVersion, err error) {
	defer apperr.Wrap(&err, "postgres.PolicyVersion")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		v, err = scanPolicy(q.QueryRow(ctx, `SELECT `+policyColumns+` FROM app.policy_version WHERE id = $1`, id))
		return err
	})
	return v, err
}

// PublishPolicy stores a new version (checked by account.NewPolicyVersion)
// as published now by the acting platform admin. A version label already
// used is an Invalid error on field "version". The reason of an urgent
// change is kept with the version.
func (db *DB) PublishPolicy(ctx context.Context, v account.PolicyVersion) (out account.PolicyVersion, err error) {
	defer apperr.Wrap(&err, "postgres.PublishPolicy")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		out, err = scanPolicy(q.QueryRow(ctx, `
			INSERT INTO app.policy_version (version, summary_sv, summary_en, text_sv, text_en, effective_at, published_by, urgent_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''))
			RETURNING `+policyColumns,
			v.Version, v.SummarySV, v.SummaryEN, v.TextSV, v.TextEN, v.EffectiveAt,
			nullUUID(tenant.ActingFrom(ctx).AccountID), v.UrgentReason))
		return err
	})
	if apperr.Is(err, apperr.Conflict) {
		return out, &apperr.Error{Kind: apperr.Invalid, Key: "error.invalid", Err: err,
			Fields: []apperr.FieldError{{Field: "version", Key: "error.version.taken"}}}
	}
	return out, err
}

// AcknowledgePolicy records that the acting youth has read a version
// (P29). Acknowledging twice keeps the first time. An unknown version is
// NotFound.
func (db *DB) AcknowledgePolicy(ctx context.Context, accountID, versionID uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.AcknowledgePolicy")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.policy_ack (account_id, policy_version_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, accountID, versionID)
		return err
	})
	if apperr.Is(err, apperr.Invalid) { // the foreign key: no such version
		return apperr.E(apperr.NotFound, "error.policy.not_found", err)
	}
	return err
}

// PolicyAcknowledged reports whether the acting youth has acknowledged the
// version.
func (db *DB) PolicyAcknowledged(ctx context.Context, accountID, versionID uuid.UUID) (ok bool, err error) {
	defer apperr.Wrap(&err, "postgres.PolicyAcknowledged")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.policy_ack WHERE account_id = $1 AND policy_version_id = $2)`,
			accountID, versionID).Scan(&ok)
	})
	return ok, err
}

// ComingPolicies returns the ids of the versions published at or before now
// that take effect after now, oldest published first: those the youth are
// still to be told of (P29).
func (db *DB) ComingPolicies(ctx context.Context, now time.Time) (ids []uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.ComingPolicies")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT id FROM app.policy_version WHERE published_at <= $1 AND effective_at > $1
			ORDER BY published_at, id`, now)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	return ids, err
}

// QueuePolicyNotices tells up to limit accounts, with ids greater than
// after, of the coming policy version (P29), in one transaction: accounts
// that existed when the version was published, are not restricted (P27),
// have at least one notice channel switched on and have not been told of
// this or a later version. Each gets one policy_change notice per channel
// switched on, carrying the effective date, and its mark
// (account.policy_noticed_at) in the same transaction; accounts another
// run holds are skipped (the next run takes them). The send-time decision
// still checks consent, verification and restriction. It returns how many
// accounts were told and the greatest id among them; nothing is told once
// the version is in effect at now.
func (db *DB) QueuePolicyNotices(ctx context.Context, version, after uuid.UUID, now time.Time, limit int) (told int, last uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.QueuePolicyNotices")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `
			WITH v AS (SELECT published_at, effective_at FROM app.policy_version WHERE id = $1 AND effective_at > $2),
			batch AS (
				SELECT a.id FROM app.account a, v
				WHERE a.id > $3 AND a.created_at < v.published_at AND a.restricted_at IS NULL
				  AND (a.policy_noticed_at IS NULL OR a.policy_noticed_at < v.published_at)
				  AND EXISTS (SELECT 1 FROM app.notice_consent c WHERE c.account_id = a.id AND c.withdrawn_at IS NULL)
				ORDER BY a.id LIMIT $4
				FOR UPDATE OF a SKIP LOCKED)
			UPDATE app.account a SET policy_noticed_at = v.published_at FROM batch, v WHERE a.id = batch.id
			RETURNING a.id, v.effective_at,
				array(SELECT c.channel FROM app.notice_consent c WHERE c.account_id = a.id AND c.withdrawn_at IS NULL ORDER BY c.channel)`,
			version, now, after, limit)
		if err != nil {
			return err
		}
		var ns []notify.Notice
		var id uuid.UUID
		var effective time.Time
		var channels []string
		if _, err := pgx.ForEachRow(rows, []any{&id, &effective, &channels}, func() error {
			told++
			if bytes.Compare(id[:], last[:]) > 0 {
				last = id
			}
			for _, ch := range channels {
				ns = append(ns, notify.New(id, notify.KindPolicyChange, notify.Channel(ch), notify.Payload{At: effective}, time.Time{}))
			}
			return nil
		}); err != nil {
			return err
		}
		return db.QueueNotice(ctx, ns...)
	})
	if err != nil {
		return 0, uuid.Nil, err
	}
	return told, last, nil
}
