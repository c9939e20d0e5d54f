package postgres

import (
	"context"
	"encoding/json"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
)

// QueueStaffMail writes a staff e-mail (an invitation's link) to the
// outbox. Like QueueNotice it joins the caller's transaction, so the
// e-mail is committed exactly when the invitation is. The row goes to an
// address, not to an account; its payload (with the token) and the
// address are cleared by a trigger when it is sent, dropped or failed.
func (db *DB) QueueStaffMail(ctx context.Context, m notify.StaffMail) (err error) {
	defer apperr.Wrap(&err, "postgres.QueueStaffMail")
	p, err := json.Marshal(m.Notice.Payload)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.notice_outbox (id, kind, channel, payload, due_at, to_email)
			VALUES ($1, $2, 'email', $3, now(), $4)`, m.Notice.ID, string(m.Notice.Kind), p, m.To)
		return err
	})
}

// WithStaffMail runs fn in one transaction (joining the caller's, if
// any), so an invitation fn writes and the e-mail it queues with
// QueueStaffMail commit or roll back together.
func (db *DB) WithStaffMail(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer apperr.Wrap(&err, "postgres.WithStaffMail")
	return db.InTx(ctx, func(ctx context.Context, _ Querier) error { return fn(ctx) })
}
