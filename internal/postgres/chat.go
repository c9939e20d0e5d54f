package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

func init() {
	// P7, P18: conversations are kommun data; only open ones hold content.
	registerKommunData(KommunData{Kind: "chat", Tables: []string{"chat_message", "chat_answer", "chat_conversation"}, Export: exportChat})
}

// exportChat hands a leaving kommun the facts of its conversations (when,
// how they ended) but never a token hash; open conversations' messages go
// along, as they are the kommun's records until ended.
func exportChat(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	convs, err := jsonRows(ctx, q, `SELECT id, status, created_at, picked_up_at, ended_at, ended_by
		FROM app.chat_conversation WHERE kommun_id = $1 ORDER BY created_at`, kommunID)
	if err != nil {
		return nil, err
	}
	msgs, err := jsonRows(ctx, q, `SELECT conversation_id, id, sender, body, at
		FROM app.chat_message WHERE kommun_id = $1 ORDER BY id`, kommunID)
	if err != nil {
		return nil, err
	}
	return []onboarding.File{{Name: "chat/conversations.json", Data: convs}, {Name: "chat/messages.json", Data: msgs}}, nil
}

// ChatStore is the chat's store (chat.Store), its retention safety net
// (retention.ChatPurger), its ongoing-case check (retention.OngoingCases)
// and its account-deletion hook (account.DeletionHook).
type ChatStore struct {
	db *DB
	// IdleAnonymous and IdleAccount are how long a conversation may be idle
	// before EndIdle ends it.
	IdleAnonymous, IdleAccount time.Duration
}

// ChatStore returns the chat store over db with the default idle limits.
func (db *DB) ChatStore() ChatStore {
	return ChatStore{db: db, IdleAnonymous: chat.IdleAnonymous, IdleAccount: chat.IdleAccount}
}

const convColumns = `c.id, c.kommun_id, coalesce(c.account_id, '00000000-0000-0000-0000-000000000000'), c.account_id IS NULL,
	c.status, coalesce(c.counsellor_id, '00000000-0000-0000-0000-000000000000'), c.created_at,
	coalesce(c.picked_up_at, 'epoch'), coalesce(c.ended_at, 'epoch'), coalesce(c.ended_by, ''),
	coalesce(a.age_range, ''), coalesce(a.topic, ''), coalesce(c.booking_id, '00000000-0000-0000-0000-000000000000'),
	c.youth_delivered, c.youth_read, c.staff_delivered, c.staff_read`

const convFrom = ` FROM app.chat_conversation c LEFT JOIN app.chat_answer a ON a.kommun_id = c.kommun_id AND a.conversation_id = c.id `

func scanConv(row pgx.Row) (chat.Conversation, error) {
	var c chat.Conversation
	var picked, ended time.Time
	err := row.Scan(&c.ID, &c.KommunID, &c.AccountID, &c.Anonymous, &c.Status, &c.CounsellorID, &c.CreatedAt,
		&picked, &ended, &c.EndedBy, &c.Answers.AgeRange, &c.Answers.Topic, &c.BookingID,
		&c.Seen.YouthDelivered, &c.Seen.YouthRead, &c.Seen.StaffDelivered, &c.Seen.StaffRead)
	if picked.After(time.Unix(0, 0)) {
		c.PickedUpAt = picked
	}
	if ended.After(time.Unix(0, 0)) {
		c.EndedAt = ended
	}
	return c, err
}

func collectConvs(rows pgx.Rows, err error) ([]chat.Conversation, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chat.Conversation
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CreateConversation stores a new waiting conversation and its answers.
func (s ChatStore) CreateConversation(ctx context.Context, c chat.Conversation, tokenHash []byte) (err error) {
	defer apperr.Wrap(&err, "postgres.CreateConversation")
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if c.AccountID != uuid.Nil {
			// One open drop-in conversation per youth and kommun: the lock
			// makes two joins of the same account (two devices) take turns,
			// so the second sees the first's conversation.
			if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('chat.join:' || $1::text, 0))`, c.AccountID); err != nil {
				return err
			}
			var open bool
			if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.chat_conversation WHERE kommun_id = $1 AND account_id = $2 AND status <> 'ended')`,
				c.KommunID, c.AccountID).Scan(&open); err != nil {
				return err
			}
			if open {
				return apperr.New(apperr.Conflict, "chat.error.already_open")
			}
		}
		if _, err := q.Exec(ctx, `INSERT INTO app.chat_conversation (kommun_id, id, token_hash, account_id, created_at, last_activity_at)
			VALUES ($1, $2, $3, $4, $5, $5)`, c.KommunID, c.ID, tokenHash, nullUUID(c.AccountID), c.CreatedAt); err != nil {
			return err
		}
		if c.Answers == (chat.Answers{}) {
			return nil
		}
		_, err := q.Exec(ctx, `INSERT INTO app.chat_answer (kommun_id, conversation_id, age_range, topic) VALUES ($1, $2, $3, $4)`,
			c.KommunID, c.ID, c.Answers.AgeRange, c.Answers.Topic)
		return err
	})
}

// ConversationByToken finds the open conversation a token belongs to.
func (s ChatStore) ConversationByToken(ctx context.Context, kommunID uuid.UUID, tokenHash []byte) (id uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.ConversationByToken")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var got *uuid.UUID
		// The hash is set for this one query (policy chat_conversation_token)
		// and cleared right after.
		if _, err := q.Exec(ctx, `SELECT set_config('app.chat_token_hash', $1, true)`, hex.EncodeToString(tokenHash)); err != nil {
			return err
		}
		err := q.QueryRow(ctx, `SELECT id FROM app.chat_conversation WHERE kommun_id = $1 AND status <> 'ended'`, kommunID).Scan(&got)
		if _, rerr := q.Exec(ctx, `SELECT set_config('app.chat_token_hash', '', true)`); rerr != nil {
			return rerr
		}
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && got == nil) {
			return apperr.New(apperr.NotFound, "chat.error.no_conversation")
		}
		if err != nil {
			return err
		}
		id = *got
		return nil
	})
	return id, err
}

// OpenOfAccount lists the acting youth's open conversations in every
// kommun, newest first (policy chat_conversation_youth; none for others).
func (s ChatStore) OpenOfAccount(ctx context.Context) (out []chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatOpenOfAccount")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorYouth {
		return nil, nil
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		out, err = collectConvs(q.Query(ctx, `SELECT `+convColumns+convFrom+`WHERE c.account_id = $1 AND c.status <> 'ended'
			ORDER BY c.created_at DESC, c.id`, a.AccountID))
		return err
	})
	return out, err
}

// Conversation returns one conversation the actor may see.
func (s ChatStore) Conversation(ctx context.Context, id uuid.UUID) (c chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.Conversation")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		c, err = scanConv(q.QueryRow(ctx, `SELECT `+convColumns+convFrom+`WHERE c.id = $1`, id))
		return notFoundAs(err, "chat.error.no_conversation")
	})
	return c, err
}

func notFoundAs(err error, key string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.E(apperr.NotFound, key, err)
	}
	return err
}

// QueuePosition returns the place of a waiting conversation in its
// kommun's queue (1 is next), 0 if it is no longer waiting.
func (s ChatStore) QueuePosition(ctx context.Context, id uuid.UUID) (pos int, err error) {
	defer apperr.Wrap(&err, "postgres.QueuePosition")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var st chat.Status
		var kommunID uuid.UUID
		var created time.Time
		if err := q.QueryRow(ctx, `SELECT status, kommun_id, created_at FROM app.chat_conversation WHERE id = $1`, id).
			Scan(&st, &kommunID, &created); err != nil {
			return notFoundAs(err, "chat.error.no_conversation")
		}
		if st != chat.Waiting {
			return nil
		}
		// The visitor may see no other conversation: the count runs as
		// the system for the kommun and returns only a number.
		return asSystemIn(ctx, q, kommunID, func(ctx context.Context) error {
			return q.QueryRow(ctx, `SELECT count(*) FROM app.chat_conversation WHERE kommun_id = $1 AND status = 'waiting'
				AND (created_at, id) <= ($2, $3)`, kommunID, created, id).Scan(&pos)
		})
	})
	return pos, err
}

// Queue lists the kommun's waiting conversations, oldest first.
func (s ChatStore) Queue(ctx context.Context) (out []chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatQueue")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		out, err = collectConvs(q.Query(ctx, `SELECT `+convColumns+convFrom+`WHERE c.status = 'waiting' ORDER BY c.created_at, c.id LIMIT 500`))
		return err
	})
	return out, err
}

// Assigned lists the open conversations assigned to staffID.
func (s ChatStore) Assigned(ctx context.Context, staffID uuid.UUID) (out []chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatAssigned")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		out, err = collectConvs(q.Query(ctx, `SELECT `+convColumns+convFrom+`WHERE c.status = 'active' AND c.counsellor_id = $1
			ORDER BY c.picked_up_at, c.id`, staffID))
		return err
	})
	return out, err
}

// PickUp assigns a waiting conversation to staffID and logs the opening.
func (s ChatStore) PickUp(ctx context.Context, id, staffID uuid.UUID, now time.Time) (c chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatPickUp")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var picked uuid.UUID
		var err error
		if id == uuid.Nil {
			err = q.QueryRow(ctx, `UPDATE app.chat_conversation SET status = 'active', counsellor_id = $1, picked_up_at = $2, last_activity_at = $2
				WHERE (kommun_id, id) = (SELECT kommun_id, id FROM app.chat_conversation WHERE status = 'waiting'
				                          ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
				RETURNING id`, staffID, now).Scan(&picked)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.E(apperr.NotFound, "chat.error.queue_empty", err)
			}
		} else {
			err = q.QueryRow(ctx, `UPDATE app.chat_conversation SET status = 'active', counsellor_id = $2, picked_up_at = $3, last_activity_at = $3
				WHERE id = $1 AND status = 'waiting' RETURNING id`, id, staffID, now).Scan(&picked)
			if errors.Is(err, pgx.ErrNoRows) {
				return s.notWaiting(ctx, q, id, err)
			}
		}
		if err != nil {
			return err
		}
		c, err = s.openIn(ctx, q, picked)
		return err
	})
	return c, err
}

// notWaiting explains why a pick-up found nothing: no such conversation
// (for this actor), or someone else took or ended it.
func (s ChatStore) notWaiting(ctx context.Context, q Querier, id uuid.UUID, cause error) error {
	var st chat.Status
	if err := q.QueryRow(ctx, `SELECT status FROM app.chat_conversation WHERE id = $1`, id).Scan(&st); err != nil {
		return notFoundAs(err, "chat.error.no_conversation")
	}
	if st == chat.Ended {
		return apperr.E(apperr.Conflict, "chat.error.ended", cause)
	}
	return apperr.E(apperr.Conflict, "chat.error.taken", cause)
}

// Open returns a conversation for staff and logs the opening (P14).
func (s ChatStore) Open(ctx context.Context, id uuid.UUID) (c chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatOpen")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		c, err = s.openIn(ctx, q, id)
		return err
	})
	return c, err
}

func (s ChatStore) openIn(ctx context.Context, q Querier, id uuid.UUID) (chat.Conversation, error) {
	c, err := scanConv(q.QueryRow(ctx, `SELECT `+convColumns+convFrom+`WHERE c.id = $1`, id))
	if err != nil {
		return c, notFoundAs(err, "chat.error.no_conversation")
	}
	subject := audit.AnonymousSubject
	if c.AccountID != uuid.Nil {
		// Staff cannot read accounts; the username of the youth of this
		// conversation is read as the system, for the view and the log (P14).
		err := asSystemIn(ctx, q, uuid.Nil, func(ctx context.Context) error {
			return q.QueryRow(ctx, `SELECT username FROM app.account WHERE id = $1`, c.AccountID).Scan(&c.Username)
		})
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return c, err
		}
		if c.Username != "" {
			subject = c.Username
		}
	}
	a := tenant.ActingFrom(ctx)
	return c, s.db.Record(ctx, audit.Entry{KommunID: a.KommunID, ActorID: a.AccountID, ActorRole: a.Role,
		Action: audit.ConversationRead, Subject: subject})
}

// Transfer passes an active conversation to another member of the kommun.
func (s ChatStore) Transfer(ctx context.Context, id, toStaff uuid.UUID, now time.Time) (err error) {
	defer apperr.Wrap(&err, "postgres.ChatTransfer")
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var member bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.staff_membership WHERE kommun_id = $1 AND staff_id = $2)`,
			tenant.ActingFrom(ctx).KommunID, toStaff).Scan(&member); err != nil {
			return err
		}
		if !member {
			return apperr.InvalidFields(apperr.FieldError{Field: "to", Key: "chat.error.transfer_to"})
		}
		tag, err := q.Exec(ctx, `UPDATE app.chat_conversation SET counsellor_id = $2, last_activity_at = $3
			WHERE id = $1 AND status = 'active'`, id, toStaff, now)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return s.notActive(ctx, q, id)
		}
		return nil
	})
}

func (s ChatStore) notActive(ctx context.Context, q Querier, id uuid.UUID) error {
	var st chat.Status
	if err := q.QueryRow(ctx, `SELECT status FROM app.chat_conversation WHERE id = $1`, id).Scan(&st); err != nil {
		return notFoundAs(err, "chat.error.no_conversation")
	}
	if st == chat.Ended {
		return apperr.New(apperr.Conflict, "chat.error.ended")
	}
	return apperr.New(apperr.Conflict, "chat.error.not_active")
}

// AddMessage stores a message of an open conversation.
func (s ChatStore) AddMessage(ctx context.Context, id uuid.UUID, from chat.Sender, staffID uuid.UUID, body string, now time.Time) (m chat.Message, err error) {
	defer apperr.Wrap(&err, "postgres.ChatAddMessage")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		kommunID, err := lockForWriting(ctx, q, id, from, staffID)
		if err != nil {
			return err
		}
		m = chat.Message{Sender: from, Body: body, At: now}
		m.ID, err = insertMessage(ctx, q, kommunID, id, from, staffID, body, uuid.Nil, now)
		return err
	})
	return m, err
}

// lockForWriting locks conversation id for a new message from from and
// returns its kommun; an ended conversation, or one another counsellor
// has, is refused.
func lockForWriting(ctx context.Context, q Querier, id uuid.UUID, from chat.Sender, staffID uuid.UUID) (uuid.UUID, error) {
	var kommunID uuid.UUID
	var st chat.Status
	var counsellor *uuid.UUID
	if err := q.QueryRow(ctx, `SELECT kommun_id, status, counsellor_id FROM app.chat_conversation WHERE id = $1 FOR UPDATE`, id).
		Scan(&kommunID, &st, &counsellor); err != nil {
		return uuid.Nil, notFoundAs(err, "chat.error.no_conversation")
	}
	switch {
	case st == chat.Ended:
		return uuid.Nil, apperr.New(apperr.Conflict, "chat.error.ended")
	case from == chat.FromStaff && (counsellor == nil || *counsellor != staffID):
		return uuid.Nil, apperr.New(apperr.Conflict, "chat.error.not_yours")
	}
	return kommunID, nil
}

// insertMessage stores a message of conversation id (fileID uuid.Nil for
// text alone), notes the activity, and returns the message's id.
func insertMessage(ctx context.Context, q Querier, kommunID, id uuid.UUID, from chat.Sender, staffID uuid.UUID, body string, fileID uuid.UUID, now time.Time) (int64, error) {
	var msgID int64
	if err := q.QueryRow(ctx, `INSERT INTO app.chat_message (kommun_id, conversation_id, sender, staff_id, body, at, file_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, kommunID, id, from, nullUUID(staffID), body, now, nullUUID(fileID)).Scan(&msgID); err != nil {
		return 0, err
	}
	_, err := q.Exec(ctx, `UPDATE app.chat_conversation SET last_activity_at = $2 WHERE id = $1`, id, now)
	return msgID, err
}

// Messages returns up to limit messages of a conversation after after.
func (s ChatStore) Messages(ctx context.Context, id uuid.UUID, after int64, limit int) (out []chat.Message, err error) {
	defer apperr.Wrap(&err, "postgres.ChatMessages")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var one int
		if err := q.QueryRow(ctx, `SELECT 1 FROM app.chat_conversation WHERE id = $1`, id).Scan(&one); err != nil {
			return notFoundAs(err, "chat.error.no_conversation")
		}
		out, err = collectMessages(q.Query(ctx, messagesAfter, id, after, limit))
		return err
	})
	return out, err
}

const messagesAfter = `SELECT m.id, m.sender, m.body, m.at, f.id, f.name, f.content_type, f.size FROM app.chat_message m
	LEFT JOIN app.chat_file f ON f.kommun_id = m.kommun_id AND f.id = m.file_id
	WHERE m.conversation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`

func collectMessages(rows pgx.Rows, err error) ([]chat.Message, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Message, error) {
		var m chat.Message
		var f fileRef
		err := r.Scan(&m.ID, &m.Sender, &m.Body, &m.At, &f.ID, &f.Name, &f.Type, &f.Size)
		m.File = f.info()
		return m, err
	})
}

// Since reads the conversation and its messages after after in one
// transaction, both queries sent together in one round trip.
func (s ChatStore) Since(ctx context.Context, id uuid.UUID, after int64, limit int) (c chat.Conversation, out []chat.Message, err error) {
	defer apperr.Wrap(&err, "postgres.ChatSince")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT `+convColumns+convFrom+`WHERE c.id = $1`, id)
		b.Queue(messagesAfter, id, after, limit)
		br := q.SendBatch(ctx, b)
		defer br.Close()
		if c, err = scanConv(br.QueryRow()); err != nil {
			return notFoundAs(err, "chat.error.no_conversation")
		}
		out, err = collectMessages(br.Query())
		if err != nil {
			return err
		}
		return br.Close()
	})
	return c, out, err
}

// End marks a conversation ended and deletes its content in the same
// transaction (P18).
func (s ChatStore) End(ctx context.Context, id uuid.UUID, by chat.EndedBy, now time.Time) (err error) {
	defer apperr.Wrap(&err, "postgres.ChatEnd")
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var kommunID uuid.UUID
		err := q.QueryRow(ctx, `UPDATE app.chat_conversation SET status = 'ended', ended_at = $2, ended_by = $3, token_hash = NULL
			WHERE id = $1 AND status <> 'ended' RETURNING kommun_id`, id, now, by).Scan(&kommunID)
		if errors.Is(err, pgx.ErrNoRows) {
			var st chat.Status
			if err := q.QueryRow(ctx, `SELECT status FROM app.chat_conversation WHERE id = $1`, id).Scan(&st); err != nil {
				return notFoundAs(err, "chat.error.no_conversation")
			}
			return apperr.New(apperr.Conflict, "chat.error.ended")
		}
		if err != nil {
			return err
		}
		return purgeConversation(ctx, q, kommunID, id)
	})
}

// Mark records a delivered or read mark of one side, only forward and only
// for an existing message of the other side; on the staff side only the
// conversation's own counsellor's client counts.
func (s ChatStore) Mark(ctx context.Context, id uuid.UUID, m chat.Mark) (changed bool, err error) {
	defer apperr.Wrap(&err, "postgres.ChatMark")
	var set, col string
	switch {
	case m.Side == chat.FromYouth && m.Read:
		col, set = "youth_read", "youth_read = $2, youth_delivered = greatest(youth_delivered, $2)"
	case m.Side == chat.FromYouth:
		col, set = "youth_delivered", "youth_delivered = $2"
	case m.Side == chat.FromStaff && m.Read:
		col, set = "staff_read", "staff_read = $2, staff_delivered = greatest(staff_delivered, $2)"
	case m.Side == chat.FromStaff:
		col, set = "staff_delivered", "staff_delivered = $2"
	default:
		return false, nil
	}
	var counsellor any
	if m.Side == chat.FromStaff {
		counsellor = tenant.ActingFrom(ctx).AccountID
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `UPDATE app.chat_conversation c SET `+set+`
			WHERE c.id = $1 AND c.status = 'active' AND c.`+col+` < $2 AND ($3::uuid IS NULL OR c.counsellor_id = $3)
			  AND EXISTS (SELECT 1 FROM app.chat_message msg WHERE msg.kommun_id = c.kommun_id AND msg.conversation_id = c.id
			              AND msg.id = $2 AND msg.sender = $4)`, id, m.ID, counsellor, string(m.Side.Other()))
		changed = err == nil && tag.RowsAffected() > 0
		return err
	})
	return changed, err
}

// Booked returns the conversation of a chat booking, creating it at the
// first opening within the window around the appointment.
func (s ChatStore) Booked(ctx context.Context, bookingID uuid.UUID, now time.Time, tokenHash []byte) (c chat.Conversation, err error) {
	defer apperr.Wrap(&err, "postgres.ChatBooked")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		var kommunID, counsellor uuid.UUID
		var account *uuid.UUID
		var mode, status string
		var start, end time.Time
		// Row-level security shows a youth their own bookings and staff
		// their kommun's.
		err := q.QueryRow(ctx, `SELECT kommun_id, counsellor_id, account_id, mode, status, starts_at, ends_at FROM app.booking WHERE id = $1`,
			bookingID).Scan(&kommunID, &counsellor, &account, &mode, &status, &start, &end)
		if err != nil {
			return notFoundAs(err, "chat.error.no_booking")
		}
		a := tenant.ActingFrom(ctx)
		if mode != "chat" || status != "booked" || account == nil || (a.Actor == tenant.ActorStaff && a.AccountID != counsellor) {
			return apperr.New(apperr.NotFound, "chat.error.no_booking")
		}
		if !chat.InBookedWindow(start, end, now) {
			return apperr.New(apperr.Conflict, "chat.error.booked_window")
		}
		var id uuid.UUID
		err = asSystemIn(ctx, q, kommunID, func(ctx context.Context) error {
			if _, err := q.Exec(ctx, `INSERT INTO app.chat_conversation (kommun_id, id, account_id, status, counsellor_id, created_at, picked_up_at, last_activity_at, booking_id)
				VALUES ($1, $2, $3, 'active', $4, $5, $5, $5, $6) ON CONFLICT (kommun_id, booking_id) WHERE booking_id IS NOT NULL DO NOTHING`,
				kommunID, uuid.New(), *account, counsellor, now, bookingID); err != nil {
				return err
			}
			var st chat.Status
			if err := q.QueryRow(ctx, `SELECT id, status FROM app.chat_conversation WHERE kommun_id = $1 AND booking_id = $2`, kommunID, bookingID).
				Scan(&id, &st); err != nil {
				return err
			}
			if st == chat.Ended {
				return apperr.New(apperr.Conflict, "chat.error.ended")
			}
			if tokenHash != nil {
				_, err := q.Exec(ctx, `UPDATE app.chat_conversation SET token_hash = $3 WHERE kommun_id = $1 AND id = $2`, kommunID, id, tokenHash)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		return asSystemIn(ctx, q, kommunID, func(ctx context.Context) error {
			c, err = scanConv(q.QueryRow(ctx, `SELECT `+convColumns+convFrom+`WHERE c.kommun_id = $1 AND c.id = $2`, kommunID, id))
			return err
		})
	})
	return c, err
}

// BookedChats lists the staff member's chat appointments open now.
func (s ChatStore) BookedChats(ctx context.Context, staffID uuid.UUID, now time.Time) (out []chat.BookedChat, err error) {
	defer apperr.Wrap(&err, "postgres.ChatBookedChats")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT b.id, b.starts_at, b.ends_at, coalesce(c.id, '00000000-0000-0000-0000-000000000000')
			FROM app.booking b LEFT JOIN app.chat_conversation c ON c.kommun_id = b.kommun_id AND c.booking_id = b.id
			WHERE b.counsellor_id = $1 AND b.mode = 'chat' AND b.status = 'booked' AND b.account_id IS NOT NULL
			  AND b.starts_at - $3::interval <= $2 AND b.ends_at + $4::interval >= $2 AND (c.status IS NULL OR c.status <> 'ended')
			ORDER BY b.starts_at`, staffID, now, chat.BookedWindowBefore, chat.BookedWindowAfter)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.BookedChat, error) {
			var b chat.BookedChat
			err := r.Scan(&b.BookingID, &b.Start, &b.End, &b.Conversation)
			return b, err
		})
		return err
	})
	return out, err
}

func purgeConversation(ctx context.Context, q Querier, kommunID, id uuid.UUID) error {
	if _, err := q.Exec(ctx, `DELETE FROM app.chat_message WHERE kommun_id = $1 AND conversation_id = $2`, kommunID, id); err != nil {
		return err
	}
	if err := purgeFiles(ctx, q, kommunID, id); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `DELETE FROM app.chat_answer WHERE kommun_id = $1 AND conversation_id = $2`, kommunID, id)
	return err
}

// EndIdle ends up to limit conversations of the kommun of ctx idle past
// their limit at now, purging them as End does (retention.ChatPurger).
// It returns how many conversations it ended.
func (s ChatStore) EndIdle(ctx context.Context, now time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.ChatEndIdle")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `UPDATE app.chat_conversation SET status = 'ended', ended_at = $1, ended_by = 'idle', token_hash = NULL
			WHERE (kommun_id, id) IN (SELECT kommun_id, id FROM app.chat_conversation
			        WHERE status <> 'ended' AND last_activity_at <= $1::timestamptz - CASE WHEN account_id IS NULL THEN $2::interval ELSE $3::interval END
			        ORDER BY last_activity_at LIMIT $4 FOR UPDATE SKIP LOCKED)
			RETURNING kommun_id, id`, now, s.IdleAnonymous, s.IdleAccount, limit)
		if err != nil {
			return err
		}
		type key struct{ k, id uuid.UUID }
		ended, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (key, error) {
			var k key
			err := r.Scan(&k.k, &k.id)
			return k, err
		})
		if err != nil {
			return err
		}
		for _, e := range ended {
			if err := purgeConversation(ctx, q, e.k, e.id); err != nil {
				return err
			}
		}
		n = int64(len(ended))
		return nil
	})
	return n, err
}

// EndedKeep is how long the bare row of an ended conversation (times and
// how it ended, no content) stays before the safety net removes it.
const EndedKeep = 24 * time.Hour

// openConversations lists the open conversations of kommun $1, for the
// safety net's statements.
const openConversations = `(SELECT c.id FROM app.chat_conversation c WHERE c.kommun_id = $1 AND c.status <> 'ended')`

// PurgeEnded deletes up to limit rows left of ended conversations of the
// kommun of ctx: any message, file or answer (none should exist), then the bare
// rows ended more than EndedKeep ago (retention.ChatPurger).
//
// Each statement takes its rows in primary-key order among those of any
// conversation that is not open (open ones are few, read once per
// statement), so every batch costs about the same. Joining the rows to the
// ended conversations instead (as this did first) made each batch probe
// again every conversation the batches before it had emptied, and the
// planner, misled by the row-level-security filters, sorted whole tables:
// 1,000,000 messages took 96 s in batches of up to 330 ms (issue 8's
// benchmark, docs/benchmarks.md).
func (s ChatStore) PurgeEnded(ctx context.Context, now time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.ChatPurgeEnded")
	k := tenant.ActingFrom(ctx).KommunID
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		for _, st := range []struct {
			sql    string
			cutoff bool
		}{
			{sql: `DELETE FROM app.chat_message WHERE kommun_id = $1 AND id = ANY (ARRAY(SELECT m.id FROM app.chat_message m
				WHERE m.kommun_id = $1 AND m.conversation_id NOT IN ` + openConversations + ` ORDER BY m.id LIMIT $2))`},
			{sql: purgeEndedFilesSQL},
			{sql: `DELETE FROM app.chat_answer WHERE kommun_id = $1 AND conversation_id = ANY (ARRAY(SELECT a.conversation_id FROM app.chat_answer a
				WHERE a.kommun_id = $1 AND a.conversation_id NOT IN ` + openConversations + ` ORDER BY a.conversation_id LIMIT $2))`},
			{sql: `DELETE FROM app.chat_conversation WHERE kommun_id = $1 AND id = ANY (ARRAY(SELECT c.id FROM app.chat_conversation c
				WHERE c.kommun_id = $1 AND c.status = 'ended' AND c.ended_at <= $3 ORDER BY c.id LIMIT $2))`, cutoff: true},
		} {
			left := int64(limit) - n
			if left <= 0 {
				return nil
			}
			args := []any{k, left}
			if st.cutoff {
				args = append(args, now.Add(-EndedKeep))
			}
			tag, err := q.Exec(ctx, st.sql, args...)
			if err != nil {
				return err
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return n, err
}

// asSystemIn runs fn acting as the system (for kommunID, or the platform
// when uuid.Nil) in the current transaction and restores the caller's
// acting context afterwards, whatever fn returned.
func asSystemIn(ctx context.Context, q Querier, kommunID uuid.UUID, fn func(ctx context.Context) error) error {
	a := tenant.System().ForKommun(kommunID)
	if err := SetActing(ctx, q, a); err != nil {
		return err
	}
	err := fn(tenant.WithActing(ctx, a))
	if rerr := SetActing(ctx, q, tenant.ActingFrom(ctx)); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// forEachKommun runs fn acting as the system for each kommun in turn, in
// the current transaction, and restores the caller's acting context. It
// serves account deletion, which may run as the youth, a platform admin
// or a retention job, none of whom sees every kommun's conversations.
func forEachKommun(ctx context.Context, q Querier, fn func(ctx context.Context, kommunID uuid.UUID) error) error {
	rows, err := q.Query(ctx, `SELECT id FROM app.kommun ORDER BY id`)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	caller := tenant.ActingFrom(ctx)
	for _, k := range ids {
		a := tenant.System().ForKommun(k)
		if err := SetActing(ctx, q, a); err != nil {
			return err
		}
		if err := fn(tenant.WithActing(ctx, a), k); err != nil {
			return err
		}
	}
	return SetActing(ctx, q, caller)
}

// HasOngoingCase reports whether the account has an open conversation
// (retention.OngoingCases).
func (s ChatStore) HasOngoingCase(ctx context.Context, accountID uuid.UUID, _ time.Time) (ongoing bool, err error) {
	defer apperr.Wrap(&err, "postgres.ChatHasOngoingCase")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return forEachKommun(ctx, q, func(ctx context.Context, k uuid.UUID) error {
			if ongoing {
				return nil
			}
			return q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.chat_conversation WHERE kommun_id = $1 AND account_id = $2 AND status <> 'ended')`,
				k, accountID).Scan(&ongoing)
		})
	})
	return ongoing, err
}

// AccountDeleting ends the account's open conversations, purging them, and
// unlinks its ended ones (account.DeletionHook).
func (s ChatStore) AccountDeleting(ctx context.Context, accountID uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.ChatAccountDeleting")
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return forEachKommun(ctx, q, func(ctx context.Context, k uuid.UUID) error {
			rows, err := q.Query(ctx, `UPDATE app.chat_conversation SET status = 'ended', ended_at = now(), ended_by = 'account_deleted'
				WHERE kommun_id = $1 AND account_id = $2 AND status <> 'ended' RETURNING id`, k, accountID)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := purgeConversation(ctx, q, k, id); err != nil {
					return err
				}
			}
			_, err = q.Exec(ctx, `UPDATE app.chat_conversation SET account_id = NULL WHERE kommun_id = $1 AND account_id = $2`, k, accountID)
			return err
		})
	})
}

// Chat returns the chat store as chat.Store, for the HTTP layer.
func (db *DB) Chat() chat.Store { return db.ChatStore() }

// ChatDeletionHook returns the chat's account-deletion hook.
func (db *DB) ChatDeletionHook() account.DeletionHook { return db.ChatStore() }
