package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// QueueNotice writes notices to the outbox (P12). It joins the caller's
// transaction if ctx carries one, so a notice is committed exactly when the
// change that causes it is; the relay is woken at commit by a trigger.
func (db *DB) QueueNotice(ctx context.Context, ns ...notify.Notice) (err error) {
	defer apperr.Wrap(&err, "postgres.QueueNotice")
	if len(ns) == 0 {
		return nil
	}
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		b := &pgx.Batch{}
		for _, n := range ns {
			p, err := json.Marshal(n.Payload)
			if err != nil {
				return err
			}
			due := n.DueAt
			if due.IsZero() {
				due = time.Now()
			}
			b.Queue(`INSERT INTO app.notice_outbox (id, account_id, kind, channel, payload, due_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				n.ID, n.AccountID, string(n.Kind), string(n.Channel), p, due)
		}
		return q.SendBatch(ctx, b).Close()
	})
}

// QueueAccountNotice queues kind for the account on every channel; the
// worker sends on those the youth has switched on and verified when the
// notice is due, and records the others as dropped.
func (db *DB) QueueAccountNotice(ctx context.Context, accountID uuid.UUID, kind notify.Kind, p notify.Payload, due time.Time) error {
	ns := make([]notify.Notice, 0, len(notify.Channels))
	for _, ch := range notify.Channels {
		ns = append(ns, notify.New(accountID, kind, ch, p, due))
	}
	return db.QueueNotice(ctx, ns...)
}

// WarnBeforeDeletion queues the warning that the account will be deleted
// on deleteOn unless the youth signs in (P16); the retention job calls it
// 30 days before the 365-day limit.
func (db *DB) WarnBeforeDeletion(ctx context.Context, accountID uuid.UUID, deleteOn time.Time) error {
	if tenant.ActingFrom(ctx).Actor == "" {
		ctx = tenant.WithActing(ctx, tenant.System())
	}
	return db.QueueAccountNotice(ctx, accountID, notify.KindDeletionWarning, notify.Payload{At: deleteOn}, time.Time{})
}

// systemCtx acts as the system (relay, worker, callbacks).
func systemCtx(ctx context.Context) context.Context { return tenant.WithActing(ctx, tenant.System()) }

// DueNotices returns up to limit ids of notices due and not yet handed to
// the queue, oldest first.
func (db *DB) DueNotices(ctx context.Context, limit int) (ids []uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.DueNotices")
	err = db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT id FROM app.notice_outbox
			WHERE status = 'pending' AND enqueued_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT $1`, limit)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	return ids, err
}

// MarkEnqueued records that the notices are in the queue.
func (db *DB) MarkEnqueued(ctx context.Context, ids []uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.MarkEnqueued")
	return db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.notice_outbox SET enqueued_at = now(), updated_at = now()
			WHERE id = ANY($1) AND enqueued_at IS NULL`, ids)
		return err
	})
}

// OutboxStats returns how many notices are not sent yet and the age of the
// oldest of them.
func (db *DB) OutboxStats(ctx context.Context) (depth int, oldest time.Duration, err error) {
	defer apperr.Wrap(&err, "postgres.OutboxStats")
	err = db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		var secs float64
		err := q.QueryRow(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
			FROM app.notice_outbox WHERE status IN ('pending', 'sending')`).Scan(&depth, &secs)
		oldest = time.Duration(secs * float64(time.Second))
		return err
	})
	return depth, oldest, err
}

// SendStep says what the worker must do with a notice.
type SendStep int

// The steps.
const (
	StepSend    SendStep = iota // send it
	StepLookup                  // an earlier attempt may have been accepted: look it up first
	StepDone                    // already sent, dropped or failed: nothing to do
	StepBusy                    // another attempt is sending it right now: retry later
	StepDropped                 // dropped now at send time (P12); Reason says why
)

// SendStart is the outcome of StartNoticeSend.
type SendStart struct {
	Step      SendStep
	Reason    string
	Notice    notify.Notice
	Recipient notify.Recipient
	CreatedAt time.Time
}

// StartNoticeSend takes the send-time decision (P12) for notice id: in one
// transaction it locks the row, re-reads the account's existence,
// restriction, contact, verification and consent, and either records the
// notice as dropped or marks it as being sent. An earlier attempt still
// inside lease makes it StepBusy; one older than lease (a worker killed or
// timed out mid-send) makes it StepLookup.
func (db *DB) StartNoticeSend(ctx context.Context, id uuid.UUID, lease time.Duration) (s SendStart, err error) {
	defer apperr.Wrap(&err, "postgres.StartNoticeSend")
	err = db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		var accountID *uuid.UUID
		var kind, channel, status string
		var toEmail *string // staff mail (staffmail.go) goes to an address
		var payload []byte
		var busy bool
		if err := q.QueryRow(ctx, `SELECT account_id, kind, channel, payload, status, created_at, due_at,
			    status = 'sending' AND sending_since IS NOT NULL AND sending_since > now() - make_interval(secs => $2), to_email
			FROM app.notice_outbox WHERE id = $1 FOR UPDATE`, id, lease.Seconds()).
			Scan(&accountID, &kind, &channel, &payload, &status, &s.CreatedAt, &s.Notice.DueAt, &busy, &toEmail); err != nil {
			return err
		}
		s.Notice.ID, s.Notice.Kind, s.Notice.Channel = id, notify.Kind(kind), notify.Channel(channel)
		if err := json.Unmarshal(payload, &s.Notice.Payload); err != nil {
			return err
		}
		switch {
		case status == "sent" || status == "dropped" || status == "failed":
			s.Step = StepDone
			return nil
		case busy:
			s.Step = StepBusy
			return nil
		}
		if accountID != nil {
			s.Notice.AccountID = *accountID
			r, err := readRecipient(ctx, q, *accountID, s.Notice.Channel)
			if err != nil {
				return err
			}
			s.Recipient = r
		} else if toEmail != nil {
			s.Recipient = notify.StaffRecipient(*toEmail, s.Notice.Payload)
		}
		if s.Reason = notify.Decide(s.Notice, s.Recipient, time.Now()); s.Reason != "" {
			s.Step = StepDropped
			_, err := q.Exec(ctx, `UPDATE app.notice_outbox SET status = 'dropped', reason = $2, payload = '{}',
				sending_since = NULL, updated_at = now() WHERE id = $1`, id, s.Reason)
			return err
		}
		s.Step = StepSend
		if status == "sending" {
			s.Step = StepLookup
		}
		_, err := q.Exec(ctx, `UPDATE app.notice_outbox SET status = 'sending', sending_since = now(),
			attempts = attempts + 1, updated_at = now() WHERE id = $1`, id)
		return err
	})
	return s, err
}

func readRecipient(ctx context.Context, q Querier, id uuid.UUID, ch notify.Channel) (r notify.Recipient, err error) {
	err = q.QueryRow(ctx, `SELECT a.language, a.restricted_at IS NOT NULL,
		    coalesce(CASE WHEN $2 = 'sms' THEN a.phone ELSE a.email END, ''),
		    CASE WHEN $2 = 'sms' THEN a.phone_verified_at IS NOT NULL ELSE a.email_verified_at IS NOT NULL END,
		    CASE WHEN $2 = 'sms' THEN a.phone_undeliverable_at IS NOT NULL ELSE a.email_undeliverable_at IS NOT NULL END,
		    EXISTS (SELECT 1 FROM app.notice_consent c WHERE c.account_id = a.id AND c.channel = $2 AND c.withdrawn_at IS NULL)
		FROM app.account a WHERE a.id = $1`, id, string(ch)).
		Scan(&r.Language, &r.Restricted, &r.Address, &r.Verified, &r.Undeliverable, &r.Consent)
	if errors.Is(err, pgx.ErrNoRows) {
		return notify.Recipient{}, nil
	}
	r.Exists = err == nil
	return r, err
}

// NoticeSent records the provider's acceptance and its message id; a
// verification code is removed from the row.
func (db *DB) NoticeSent(ctx context.Context, id uuid.UUID, providerID string) (err error) {
	defer apperr.Wrap(&err, "postgres.NoticeSent")
	return db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.notice_outbox SET status = 'sent', provider_id = $2, sent_at = now(),
			sending_since = NULL, reason = NULL, updated_at = now(),
			payload = CASE WHEN kind = 'verify_code' THEN '{}' ELSE payload END
			WHERE id = $1 AND status IN ('pending', 'sending')`, id, providerID)
		return err
	})
}

// NoticeAttemptFailed records a failed attempt that will be retried: the
// row stays "sending" (the provider may have accepted it), but without a
// live attempt, so the retry looks it up at once.
func (db *DB) NoticeAttemptFailed(ctx context.Context, id uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.NoticeAttemptFailed")
	return db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `UPDATE app.notice_outbox SET sending_since = NULL, updated_at = now()
			WHERE id = $1 AND status = 'sending'`, id)
		return err
	})
}

// NoticeFailed records that the notice cannot be sent. If permanent, the
// contact it was for is marked undeliverable (shown on Min profil) unless
// it changed meanwhile.
func (db *DB) NoticeFailed(ctx context.Context, id uuid.UUID, reason string, permanent bool, address string) (err error) {
	defer apperr.Wrap(&err, "postgres.NoticeFailed")
	return db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		var accountID *uuid.UUID
		var channel string
		if err := q.QueryRow(ctx, `UPDATE app.notice_outbox SET status = 'failed', reason = $2, payload = '{}',
			sending_since = NULL, updated_at = now() WHERE id = $1 RETURNING account_id, channel`, id, reason).
			Scan(&accountID, &channel); err != nil {
			return err
		}
		if !permanent || accountID == nil {
			return nil
		}
		return markUndeliverable(ctx, q, *accountID, notify.Channel(channel), address)
	})
}

func markUndeliverable(ctx context.Context, q Querier, accountID uuid.UUID, ch notify.Channel, address string) error {
	sql := `UPDATE app.account SET email_undeliverable_at = now() WHERE id = $1 AND email = $2 AND email_undeliverable_at IS NULL`
	if ch == notify.SMS {
		sql = `UPDATE app.account SET phone_undeliverable_at = now() WHERE id = $1 AND phone = $2 AND phone_undeliverable_at IS NULL`
	}
	_, err := q.Exec(ctx, sql, accountID, address)
	return err
}

// RecordDelivery stores a provider's delivery report for the message
// providerID. A permanent failure marks the phone undeliverable. It
// returns NotFound for an unknown message.
func (db *DB) RecordDelivery(ctx context.Context, providerID, status string, permanent bool) (err error) {
	defer apperr.Wrap(&err, "postgres.RecordDelivery")
	return db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
		var accountID *uuid.UUID
		var channel string
		if err := q.QueryRow(ctx, `UPDATE app.notice_outbox SET delivery_status = $2, updated_at = now()
			WHERE provider_id = $1 RETURNING account_id, channel`, providerID, status).Scan(&accountID, &channel); err != nil {
			return err
		}
		if !permanent || accountID == nil || channel != string(notify.SMS) {
			return nil
		}
		_, err := q.Exec(ctx, `UPDATE app.account SET phone_undeliverable_at = now()
			WHERE id = $1 AND phone IS NOT NULL AND phone_undeliverable_at IS NULL`, *accountID)
		return err
	})
}

// PurgeNotices deletes finished notices (sent, dropped or failed) last
// touched more than age ago, in batches, and returns how many went. Open
// ones are never purged.
func (db *DB) PurgeNotices(ctx context.Context, age time.Duration) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.PurgeNotices")
	for {
		var batch int64
		err = db.InTx(systemCtx(ctx), func(ctx context.Context, q Querier) error {
			tag, err := q.Exec(ctx, `DELETE FROM app.notice_outbox WHERE id IN (
				SELECT id FROM app.notice_outbox WHERE status IN ('sent', 'dropped', 'failed')
				AND updated_at < now() - make_interval(secs => $1) LIMIT 5000)`, age.Seconds())
			batch = tag.RowsAffected()
			return err
		})
		n += batch
		if err != nil || batch < 5000 {
			return n, err
		}
	}
}
