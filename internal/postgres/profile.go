package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// UpdateProfile writes the youth's whole profile in one transaction (P4):
// a changed or removed contact detail loses its verification and
// undeliverable marks and the consent given for it; a channel switched on
// records a consent under the newest policy version in effect (or
// account.DefaultPolicyVersion); a channel switched off is withdrawn at
// once (P12, P26). It returns the account as stored, NotFound if the actor
// cannot see it, and Invalid if a channel is on without its contact.
func (db *DB) UpdateProfile(ctx context.Context, id uuid.UUID, u account.ProfileUpdate) (a account.Account, err error) {
	defer apperr.Wrap(&err, "postgres.UpdateProfile")
	if u.SMSNotices && u.Phone == "" || u.EmailNotices && u.Email == "" {
		return a, apperr.New(apperr.Invalid, "error.invalid")
	}
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var phone, email string
		if err := q.QueryRow(ctx, `SELECT coalesce(phone, ''), coalesce(email, '') FROM app.account WHERE id = $1 FOR UPDATE`, id).
			Scan(&phone, &email); err != nil {
			return err
		}
		phoneChanged, emailChanged := phone != u.Phone, email != u.Email
		b := &pgx.Batch{}
		b.Queue(`UPDATE app.account SET language = $2,
			phone = nullif($3, ''),
			phone_verified_at = CASE WHEN $4::boolean THEN NULL ELSE phone_verified_at END,
			phone_undeliverable_at = CASE WHEN $4::boolean THEN NULL ELSE phone_undeliverable_at END,
			email = nullif($5, ''),
			email_verified_at = CASE WHEN $6::boolean THEN NULL ELSE email_verified_at END,
			email_undeliverable_at = CASE WHEN $6::boolean THEN NULL ELSE email_undeliverable_at END
			WHERE id = $1`, id, u.Language, u.Phone, phoneChanged, u.Email, emailChanged)
		queueConsent(b, id, account.ChannelSMS, u.SMSNotices, phoneChanged)
		queueConsent(b, id, account.ChannelEmail, u.EmailNotices, emailChanged)
		b.Queue(`SELECT `+accountColumns+` FROM app.account a WHERE a.id = $1`, id)
		br := q.SendBatch(ctx, b)
		for range 5 {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return err
			}
		}
		a, err = scanAccount(br.QueryRow())
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return a, err
}

// queueConsent withdraws the open consent of a channel switched off or
// whose contact changed, then records a new one if the channel is on and
// has none open.
func queueConsent(b *pgx.Batch, id uuid.UUID, ch account.Channel, on, contactChanged bool) {
	b.Queue(`UPDATE app.notice_consent SET withdrawn_at = now()
		WHERE account_id = $1 AND channel = $2 AND withdrawn_at IS NULL AND (NOT $3::boolean OR $4::boolean)`,
		id, string(ch), on, contactChanged)
	b.Queue(`INSERT INTO app.notice_consent (account_id, channel, policy_version)
		SELECT $1, $2, coalesce((SELECT v.version FROM app.policy_version v WHERE v.effective_at <= now()
		                         ORDER BY v.effective_at DESC, v.published_at DESC LIMIT 1), $4)
		WHERE $3::boolean AND NOT EXISTS (SELECT 1 FROM app.notice_consent c
		                                  WHERE c.account_id = $1 AND c.channel = $2 AND c.withdrawn_at IS NULL)`,
		id, string(ch), on, account.DefaultPolicyVersion)
}

// ExportData reads, in one transaction, everything the platform holds about
// the account (P23), including the access-log entries about its username
// (readable by the youth through policy access_log_read_youth). It returns
// NotFound if the actor cannot see the account.
func (db *DB) ExportData(ctx context.Context, id uuid.UUID) (d account.ExportData, err error) {
	defer apperr.Wrap(&err, "postgres.ExportData")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := scanExportAccount(q.QueryRow(ctx, `SELECT `+accountColumns+`, a.phone_verified_at, a.phone_undeliverable_at,
			a.email_verified_at, a.email_undeliverable_at, a.restricted_at, a.deletion_warned_at
			FROM app.account a WHERE a.id = $1`, id), &d); err != nil {
			return err
		}
		var err error
		if d.Consents, err = collect(ctx, q, `SELECT channel, policy_version, given_at, withdrawn_at FROM app.notice_consent
			WHERE account_id = $1 ORDER BY given_at, id`, id, func(r pgx.Rows, c *account.ConsentRecord) error {
			return r.Scan(&c.Channel, &c.PolicyVersion, &c.GivenAt, &c.WithdrawnAt)
		}); err != nil {
			return err
		}
		if d.Sessions, err = collect(ctx, q, `SELECT created_at, last_seen_at, expires_at FROM app.session
			WHERE account_id = $1 ORDER BY created_at`, id, func(r pgx.Rows, s *account.SessionRecord) error {
			return r.Scan(&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
		}); err != nil {
			return err
		}
		if d.Requests, err = collect(ctx, q, `SELECT kind, reason, status, created_at, updated_at, coalesce(answer, '')
			FROM app.privacy_request WHERE account_id = $1 ORDER BY created_at, id`, id, func(r pgx.Rows, p *account.RequestRecord) error {
			return r.Scan(&p.Kind, &p.Reason, &p.Status, &p.CreatedAt, &p.UpdatedAt, &p.Answer)
		}); err != nil {
			return err
		}
		if d.PolicyAcks, err = collect(ctx, q, `SELECT v.version, k.acknowledged_at FROM app.policy_ack k
			JOIN app.policy_version v ON v.id = k.policy_version_id
			WHERE k.account_id = $1 ORDER BY k.acknowledged_at`, id, func(r pgx.Rows, p *account.PolicyAckRecord) error {
			return r.Scan(&p.Version, &p.AcknowledgedAt)
		}); err != nil {
			return err
		}
		if d.AccessLog, err = collect(ctx, q, `SELECT l.at, coalesce(k.name, ''), l.actor_role, l.action
			FROM app.access_log l LEFT JOIN app.kommun k ON k.id = l.kommun_id
			WHERE l.subject_username = $1 ORDER BY l.at, l.id`, d.Account.Username, func(r pgx.Rows, e *account.AccessRecord) error {
			return r.Scan(&e.At, &e.Kommun, &e.Role, &e.Action)
		}); err != nil {
			return err
		}
		if d.Verifications, err = collect(ctx, q, `SELECT channel, address, sent_at, expires_at FROM app.contact_verification
			WHERE account_id = $1 ORDER BY channel`, id, func(r pgx.Rows, v *account.VerificationRecord) error {
			return r.Scan(&v.Channel, &v.Address, &v.SentAt, &v.ExpiresAt)
		}); err != nil {
			return err
		}
		// The outbox is the platform's own machinery, readable only by the
		// system; the account was read above as its owner, so its notices
		// are read for it here, by account id and nothing else.
		if err := SetActing(ctx, q, tenant.System()); err != nil {
			return err
		}
		d.Notices, err = collect(ctx, q, `SELECT kind, channel, status, coalesce(reason, ''), created_at, due_at, sent_at
			FROM app.notice_outbox WHERE account_id = $1 ORDER BY created_at, id`, id, func(r pgx.Rows, n *account.NoticeRecord) error {
			return r.Scan(&n.Kind, &n.Channel, &n.Status, &n.Reason, &n.CreatedAt, &n.DueAt, &n.SentAt)
		})
		return err
	})
	return d, err
}

func scanExportAccount(row pgx.Row, d *account.ExportData) error {
	a, c := &d.Account, &d.Contact
	err := row.Scan(&a.ID, &a.Username, &a.Language, &a.Phone, &a.PhoneVerified, &a.PhoneUndeliverable,
		&a.Email, &a.EmailVerified, &a.EmailUndeliverable, &a.SMSNotices, &a.EmailNotices, &a.Restricted,
		&a.CreatedAt, &a.LastLoginAt, &c.PhoneVerifiedAt, &c.PhoneUndeliverableAt, &c.EmailVerifiedAt,
		&c.EmailUndeliverableAt, &d.RestrictedAt, &d.DeletionWarnedAt)
	c.Phone, c.Email, c.NoticeLanguage = a.Phone, a.Email, a.Language
	return err
}

// collect runs a query with one argument and scans every row into a T.
func collect[T any](ctx context.Context, q Querier, sql string, arg any, scan func(pgx.Rows, *T) error) ([]T, error) {
	rows, err := q.Query(ctx, sql, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DeleteAccount deletes an account with everything the platform holds for
// it, in one transaction (P16, P24): contact details and settings live on
// the row; consents, sessions, privacy requests and policy acknowledgements
// go with it (ON DELETE CASCADE). The access log keeps its entries, which
// hold only the username (P14, P19). hooks run first, inside the same
// transaction (carried by ctx), so ongoing cases end with the account or
// not at all. The actor is the youth themself (self-service) or the
// platform (support, on request). It returns NotFound if the actor cannot
// see the account, and the first hook error, deleting nothing.
func (db *DB) DeleteAccount(ctx context.Context, id uuid.UUID, hooks ...account.DeletionHook) (err error) {
	defer apperr.Wrap(&err, "postgres.DeleteAccount")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		// Lock the row so a hook sees a stable account while it works.
		var locked time.Time
		if err := q.QueryRow(ctx, `SELECT created_at FROM app.account WHERE id = $1 FOR UPDATE`, id).Scan(&locked); err != nil {
			return err
		}
		for _, h := range hooks {
			if err := h.AccountDeleting(ctx, id); err != nil {
				return err
			}
		}
		return expectOne(q.Exec(ctx, `DELETE FROM app.account WHERE id = $1`, id))
	})
}
