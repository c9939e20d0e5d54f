package postgres

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
)

// StartContactVerification stores the hash of a new code for the account's
// contact on channel ch and queues the code's notice, in one transaction.
// A code for the same address sent less than a minute ago makes it a
// TooMany error (resend throttle); a new address always gets its code.
func (db *DB) StartContactVerification(ctx context.Context, accountID uuid.UUID, ch notify.Channel, address string,
	codeHash []byte, n notify.Notice) (err error) {
	defer apperr.Wrap(&err, "postgres.StartContactVerification")
	return db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var recent bool
		err := q.QueryRow(ctx, `SELECT address = $3 AND sent_at > now() - make_interval(secs => $4)
			FROM app.contact_verification WHERE account_id = $1 AND channel = $2 FOR UPDATE`,
			accountID, string(ch), address, notify.ResendInterval.Seconds()).Scan(&recent)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if recent {
			return apperr.New(apperr.TooMany, "error.notify.verify_resend_wait")
		}
		if _, err := q.Exec(ctx, `INSERT INTO app.contact_verification (account_id, channel, address, code_hash, expires_at)
			VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
			ON CONFLICT (account_id, channel) DO UPDATE SET address = EXCLUDED.address, code_hash = EXCLUDED.code_hash,
			    tries = 0, sent_at = now(), expires_at = EXCLUDED.expires_at`,
			accountID, string(ch), address, codeHash, notify.CodeValidity.Seconds()); err != nil {
			return err
		}
		return db.QueueNotice(ctx, n)
	})
}

// PendingVerification reports the address a code was last sent to on
// channel ch, if one is pending.
func (db *DB) PendingVerification(ctx context.Context, accountID uuid.UUID, ch notify.Channel) (address string, err error) {
	defer apperr.Wrap(&err, "postgres.PendingVerification")
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		err := q.QueryRow(ctx, `SELECT address FROM app.contact_verification WHERE account_id = $1 AND channel = $2`,
			accountID, string(ch)).Scan(&address)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return address, err
}

// errWrongCode carries a wrong code out of the transaction that counted it.
var errWrongCode = errors.New("wrong code")

// CheckContactCode compares codeHash with the pending code of channel ch.
// The right code marks the contact verified (if it is still the account's
// contact) and removes the code. A wrong one counts a try; after the fifth,
// or once the code is 10 minutes old, a new code is needed. Errors are
// Invalid on field "code" or TooMany, with keys under error.notify.
func (db *DB) CheckContactCode(ctx context.Context, accountID uuid.UUID, ch notify.Channel, codeHash []byte) (err error) {
	defer apperr.Wrap(&err, "postgres.CheckContactCode")
	bad := func(key string) error { return apperr.InvalidFields(apperr.FieldError{Field: "code", Key: key}) }
	err = db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var address string
		var stored []byte
		var tries int
		var expires time.Time
		err := q.QueryRow(ctx, `SELECT address, code_hash, tries, expires_at FROM app.contact_verification
			WHERE account_id = $1 AND channel = $2 FOR UPDATE`, accountID, string(ch)).Scan(&address, &stored, &tries, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return bad("error.notify.verify_no_code")
		}
		if err != nil {
			return err
		}
		switch {
		case tries >= notify.CodeMaxTries:
			return apperr.New(apperr.TooMany, "error.notify.verify_too_many")
		case time.Now().After(expires):
			return bad("error.notify.verify_expired")
		case subtle.ConstantTimeCompare(stored, codeHash) != 1:
			return errWrongCode
		}
		sql := `UPDATE app.account SET email_verified_at = now(), email_undeliverable_at = NULL WHERE id = $1 AND email = $2`
		if ch == notify.SMS {
			sql = `UPDATE app.account SET phone_verified_at = now(), phone_undeliverable_at = NULL WHERE id = $1 AND phone = $2`
		}
		tag, err := q.Exec(ctx, sql, accountID, address)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.contact_verification WHERE account_id = $1 AND channel = $2`, accountID, string(ch)); err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errContactChanged
		}
		return nil
	})
	switch {
	case errors.Is(err, errWrongCode):
		// The try is counted only if the transaction commits: redo it.
		return db.countWrongCode(ctx, accountID, ch)
	case errors.Is(err, errContactChanged):
		return bad("error.notify.verify_contact_changed")
	}
	return err
}

var errContactChanged = errors.New("contact changed")

func (db *DB) countWrongCode(ctx context.Context, accountID uuid.UUID, ch notify.Channel) error {
	var tries int
	err := db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return q.QueryRow(ctx, `UPDATE app.contact_verification SET tries = tries + 1 WHERE account_id = $1 AND channel = $2
			RETURNING tries`, accountID, string(ch)).Scan(&tries)
	})
	if err != nil {
		return err
	}
	if tries >= notify.CodeMaxTries {
		return apperr.New(apperr.TooMany, "error.notify.verify_too_many")
	}
	return apperr.InvalidFields(apperr.FieldError{Field: "code", Key: "error.notify.verify_wrong"})
}
