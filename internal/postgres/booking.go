package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

func init() {
	// P7: bookings and everything they rest on are kommun data.
	registerKommunData(KommunData{Kind: "booking", Tables: []string{
		"booking_intake", "booking", "booking_type_counsellor", "booking_availability", "booking_type", "booking_settings",
	}, Export: exportBookings})
}

// exportBookings hands a leaving kommun its appointment types and the
// anonymous facts of its bookings (never an account id or intake answer).
func exportBookings(ctx context.Context, q Querier, kommunID uuid.UUID) ([]onboarding.File, error) {
	types, err := jsonRows(ctx, q, `SELECT id, name, mode, duration_min, buffer_min, online, questions, active, created_at
		FROM app.booking_type WHERE kommun_id = $1 ORDER BY created_at`, kommunID)
	if err != nil {
		return nil, err
	}
	bookings, err := jsonRows(ctx, q, `SELECT b.id, b.type_id, s.email AS counsellor_email, b.mode, b.starts_at, b.ends_at, b.status,
		b.cancelled_at, b.cancelled_by, b.created_at
		FROM app.booking b JOIN app.staff s ON s.id = b.counsellor_id WHERE b.kommun_id = $1 ORDER BY b.starts_at`, kommunID)
	if err != nil {
		return nil, err
	}
	return []onboarding.File{{Name: "booking/types.json", Data: types}, {Name: "booking/bookings.json", Data: bookings}}, nil
}

// BookingStore is the booking feature's store, its retention jobs
// (retention.IntakePurger, retention.BookingUnlink), its ongoing-case
// check (retention.OngoingCases) and its account-deletion hook
// (account.DeletionHook). Every call acts with the acting context of ctx.
type BookingStore struct {
	db *DB
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// BookingStore returns the booking store over db.
func (db *DB) BookingStore() BookingStore { return BookingStore{db: db} }

// Booking returns the booking store as the booking pages use it.
func (db *DB) Booking() booking.Store { return db.BookingStore() }

// BookingDeletionHook cancels an account's future bookings when it is
// deleted (account.DeletionHook).
func (db *DB) BookingDeletionHook() account.DeletionHook { return db.BookingStore() }

func (s BookingStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// kommunOf returns the kommun of ctx, or NotFound.
func kommunOf(ctx context.Context) (uuid.UUID, error) {
	k := tenant.ActingFrom(ctx).KommunID
	if k == uuid.Nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	return k, nil
}

// Settings returns the kommun of ctx's booking rules, the defaults if it saved none.
func (s BookingStore) Settings(ctx context.Context) (st booking.Settings, err error) {
	defer apperr.Wrap(&err, "postgres.BookingSettings")
	k, err := kommunOf(ctx)
	if err != nil {
		return st, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		st, err = settings(ctx, q, k)
		return err
	})
	return st, err
}

func settings(ctx context.Context, q Querier, k uuid.UUID) (booking.Settings, error) {
	var keep, cut int
	var at time.Time
	err := q.QueryRow(ctx, `SELECT keep_days, cutoff_min, updated_at FROM app.booking_settings WHERE kommun_id = $1`, k).Scan(&keep, &cut, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return booking.DefaultSettings, nil
	}
	return booking.Settings{KeepDays: keep, CutOff: time.Duration(cut) * time.Minute, UpdatedAt: at}, err
}

// SaveSettings stores the kommun of ctx's booking rules.
func (s BookingStore) SaveSettings(ctx context.Context, st booking.Settings) (err error) {
	defer apperr.Wrap(&err, "postgres.SaveBookingSettings")
	k, err := kommunOf(ctx)
	if err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.booking_settings (kommun_id, keep_days, cutoff_min) VALUES ($1, $2, $3)
			ON CONFLICT (kommun_id) DO UPDATE SET keep_days = EXCLUDED.keep_days, cutoff_min = EXCLUDED.cutoff_min, updated_at = now()`,
			k, st.KeepDays, int(st.CutOff/time.Minute))
		return err
	})
}

// SaveType creates (zero ID) or updates an appointment type of the kommun
// of ctx, with the counsellors offering it (each must be a member of the
// kommun), and returns its id.
func (s BookingStore) SaveType(ctx context.Context, t booking.AppointmentType) (id uuid.UUID, err error) {
	defer apperr.Wrap(&err, "postgres.SaveBookingType")
	k, err := kommunOf(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	if err := t.Validate(); err != nil {
		return uuid.Nil, err
	}
	if t.Questions == nil {
		t.Questions = []string{}
	}
	qs, _ := json.Marshal(t.Questions)
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if t.ID == uuid.Nil {
			t.ID = uuid.New()
		} else if err := typeExists(ctx, q, k, t.ID); err != nil {
			return err // an edit never creates, nor reaches another kommun's type
		}
		tag, err := q.Exec(ctx, `INSERT INTO app.booking_type (kommun_id, id, name, mode, duration_min, buffer_min, online, questions)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (kommun_id, id) DO UPDATE SET name = EXCLUDED.name, mode = EXCLUDED.mode, duration_min = EXCLUDED.duration_min,
				buffer_min = EXCLUDED.buffer_min, online = EXCLUDED.online, questions = EXCLUDED.questions`,
			k, t.ID, t.Name, string(t.Mode), int(t.Duration/time.Minute), int(t.BufferAfter/time.Minute), t.OnlineBookable, qs)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return apperr.New(apperr.NotFound, "booking.error.not_found")
		}
		if _, err := q.Exec(ctx, `DELETE FROM app.booking_type_counsellor WHERE kommun_id = $1 AND type_id = $2`, k, t.ID); err != nil {
			return err
		}
		for _, c := range t.Counsellors {
			if _, err := q.Exec(ctx, `INSERT INTO app.booking_type_counsellor (kommun_id, type_id, staff_id) VALUES ($1, $2, $3)`, k, t.ID, c); err != nil {
				if apperr.Is(translate(err), apperr.Invalid) {
					return apperr.InvalidFields(apperr.FieldError{Field: "counsellors", Key: "booking.error.unknown_counsellor"})
				}
				return err
			}
		}
		return nil
	})
	return t.ID, err
}

func typeExists(ctx context.Context, q Querier, k, id uuid.UUID) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.booking_type WHERE kommun_id = $1 AND id = $2)`, k, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.NotFound, "booking.error.type")
	}
	return nil
}

// Types returns the active appointment types of the kommun of ctx (a
// youth sees only the online-bookable ones).
func (s BookingStore) Types(ctx context.Context) (ts []booking.AppointmentType, err error) {
	defer apperr.Wrap(&err, "postgres.BookingTypes")
	return s.listTypes(ctx, false)
}

// AllTypes returns every appointment type of the kommun of ctx for its
// staff, inactive and not online-bookable ones too.
func (s BookingStore) AllTypes(ctx context.Context) (ts []booking.AppointmentType, err error) {
	defer apperr.Wrap(&err, "postgres.AllBookingTypes")
	if tenant.ActingFrom(ctx).Actor != tenant.ActorStaff {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return s.listTypes(ctx, true)
}

func (s BookingStore) listTypes(ctx context.Context, inactive bool) (ts []booking.AppointmentType, err error) {
	k, err := kommunOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		ts, err = types(ctx, q, k, uuid.Nil, inactive)
		return err
	})
	return ts, err
}

// SetTypeActive deactivates an appointment type of the kommun of ctx (no
// new bookings; existing ones stay as they are) or activates it again.
func (s BookingStore) SetTypeActive(ctx context.Context, id uuid.UUID, active bool) (err error) {
	defer apperr.Wrap(&err, "postgres.SetBookingTypeActive")
	k, err := kommunOf(ctx)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `UPDATE app.booking_type SET active = $3 WHERE kommun_id = $1 AND id = $2`, k, id, active)
		if err == nil && tag.RowsAffected() != 1 {
			return apperr.New(apperr.NotFound, "booking.error.type")
		}
		return err
	})
}

// DeleteType deletes an appointment type of the kommun of ctx that was
// never booked; one with bookings, past or future, is a Conflict
// (booking.error.type_in_use): it can only be deactivated, so no booking
// loses its type.
func (s BookingStore) DeleteType(ctx context.Context, id uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.DeleteBookingType")
	k, err := kommunOf(ctx)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if err := typeExists(ctx, q, k, id); err != nil {
			return err
		}
		var used bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.booking WHERE kommun_id = $1 AND type_id = $2)`, k, id).Scan(&used); err != nil {
			return err
		}
		if used {
			return apperr.New(apperr.Conflict, "booking.error.type_in_use")
		}
		_, err := q.Exec(ctx, `DELETE FROM app.booking_type WHERE kommun_id = $1 AND id = $2`, k, id)
		return err
	})
}

func types(ctx context.Context, q Querier, k, only uuid.UUID, inactive bool) ([]booking.AppointmentType, error) {
	rows, err := q.Query(ctx, `SELECT t.id, t.name, t.mode, t.duration_min, t.buffer_min, t.online, t.questions, t.active,
			coalesce((SELECT array_agg(c.staff_id ORDER BY c.staff_id) FROM app.booking_type_counsellor c
			          WHERE c.kommun_id = t.kommun_id AND c.type_id = t.id), '{}')
		FROM app.booking_type t WHERE t.kommun_id = $1 AND (t.active OR $3) AND ($2::uuid IS NULL OR t.id = $2)
		ORDER BY t.name, t.id`, k, nullUUID(only), inactive)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (booking.AppointmentType, error) {
		var t booking.AppointmentType
		var mode string
		var dur, buf int
		err := r.Scan(&t.ID, &t.Name, &mode, &dur, &buf, &t.OnlineBookable, &t.Questions, &t.Active, &t.Counsellors)
		t.KommunID, t.Mode, t.Duration, t.BufferAfter = k, booking.Mode(mode), time.Duration(dur)*time.Minute, time.Duration(buf)*time.Minute
		return t, err
	})
}

// typeByID returns one active type of kommun k, NotFound if none.
func typeByID(ctx context.Context, q Querier, k, id uuid.UUID) (booking.AppointmentType, error) {
	ts, err := types(ctx, q, k, id, false)
	if err != nil {
		return booking.AppointmentType{}, err
	}
	if len(ts) == 0 {
		return booking.AppointmentType{}, apperr.New(apperr.NotFound, "booking.error.type")
	}
	return ts[0], nil
}

// SaveAvailability stores a counsellor's availability in the kommun of ctx.
func (s BookingStore) SaveAvailability(ctx context.Context, a booking.Availability) (err error) {
	defer apperr.Wrap(&err, "postgres.SaveAvailability")
	k, err := kommunOf(ctx)
	if err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	week, _ := json.Marshal(a.Week)
	exc, _ := json.Marshal(a.Exceptions)
	if a.Exceptions == nil {
		exc = []byte("[]")
	}
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO app.booking_availability (kommun_id, staff_id, week, exceptions, horizon_days, min_notice_min, holidays_open)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (kommun_id, staff_id) DO UPDATE SET week = EXCLUDED.week, exceptions = EXCLUDED.exceptions,
				horizon_days = EXCLUDED.horizon_days, min_notice_min = EXCLUDED.min_notice_min, holidays_open = EXCLUDED.holidays_open, updated_at = now()`,
			k, a.CounsellorID, week, exc, a.HorizonDays, int(a.MinNotice/time.Minute), a.HolidaysOpen)
		if apperr.Is(translate(err), apperr.Invalid) {
			return apperr.InvalidFields(apperr.FieldError{Field: "counsellor", Key: "booking.error.unknown_counsellor"})
		}
		return err
	})
}

// Availabilities returns every counsellor's availability in the kommun of ctx.
func (s BookingStore) Availabilities(ctx context.Context) (as []booking.Availability, err error) {
	defer apperr.Wrap(&err, "postgres.Availabilities")
	k, err := kommunOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		as, err = availabilities(ctx, q, k, uuid.Nil)
		return err
	})
	return as, err
}

func availabilities(ctx context.Context, q Querier, k, only uuid.UUID) ([]booking.Availability, error) {
	rows, err := q.Query(ctx, `SELECT staff_id, week, exceptions, horizon_days, min_notice_min, holidays_open
		FROM app.booking_availability WHERE kommun_id = $1 AND ($2::uuid IS NULL OR staff_id = $2) ORDER BY staff_id`, k, nullUUID(only))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (booking.Availability, error) {
		var a booking.Availability
		var notice int
		err := r.Scan(&a.CounsellorID, &a.Week, &a.Exceptions, &a.HorizonDays, &notice, &a.HolidaysOpen)
		a.MinNotice = time.Duration(notice) * time.Minute
		return a, err
	})
}

func busyBetween(ctx context.Context, q Querier, from, to time.Time) ([]booking.Busy, error) {
	rows, err := q.Query(ctx, `SELECT counsellor_id, busy_from, busy_to FROM app.booking_busy($1, $2)`, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (booking.Busy, error) {
		var b booking.Busy
		err := r.Scan(&b.CounsellorID, &b.Start, &b.End)
		return b, err
	})
}

// FreeSlots returns the free times of a type of the kommun of ctx, with
// starts in [from, to) (zero: from now up to the horizon).
func (s BookingStore) FreeSlots(ctx context.Context, typeID uuid.UUID, from, to time.Time) (slots []booking.Slot, err error) {
	defer apperr.Wrap(&err, "postgres.FreeSlots")
	k, err := kommunOf(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		t, err := typeByID(ctx, q, k, typeID)
		if err != nil {
			return err
		}
		as, err := availabilities(ctx, q, k, uuid.Nil)
		if err != nil {
			return err
		}
		busy, err := busyBetween(ctx, q, now.Add(-24*time.Hour), now.AddDate(0, 0, booking.MaxHorizonDays+2))
		if err != nil {
			return err
		}
		slots = booking.FreeSlots(booking.Search{Now: now, Type: t, From: from, To: to}, as, busy)
		return nil
	})
	return slots, err
}

// Alternatives returns up to n free times of the type nearest to at.
func (s BookingStore) Alternatives(ctx context.Context, typeID uuid.UUID, at time.Time, n int) ([]booking.Slot, error) {
	slots, err := s.FreeSlots(ctx, typeID, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	return booking.Nearest(slots, at, n), nil
}

// Book books a free time for the youth of ctx in the kommun of ctx, stores
// the intake answers with it and queues the confirmation notice, in one
// transaction. A taken time is a Conflict (booking.error.taken), also when
// another request took it a moment before (the exclusion constraint).
func (s BookingStore) Book(ctx context.Context, nb booking.Request) (b booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.Book")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorYouth || a.AccountID == uuid.Nil || a.KommunID == uuid.Nil {
		return b, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		b, err = s.insert(ctx, q, a.KommunID, a.AccountID, nb, nil)
		if err != nil {
			return err
		}
		if err := s.db.QueueAccountNotice(ctx, a.AccountID, notify.KindBookingConfirmed, notify.Payload{At: b.Start}, time.Time{}); err != nil {
			return err
		}
		return s.queueReminder(ctx, b)
	})
	return b, err
}

// queueReminder queues the reminder of b, due booking.ReminderBefore its
// start; none if it starts sooner than that or has no youth. The worker
// decides at send time, like for every notice, whether the youth's
// settings and consent let it go (P12).
func (s BookingStore) queueReminder(ctx context.Context, b booking.Booking) error {
	due := b.Start.Add(-booking.ReminderBefore)
	if b.AccountID == uuid.Nil || !due.After(s.now()) {
		return nil
	}
	return s.db.QueueAccountNotice(ctx, b.AccountID, notify.KindBookingReminder, notify.Payload{At: b.Start, Booking: b.ID}, due)
}

// dropReminder withdraws the reminders of booking id not yet sent, in
// q's transaction (migrations/012_booking_admin.sql): a cancelled or moved
// booking is never reminded of at its old time.
func dropReminder(ctx context.Context, q Querier, k, id uuid.UUID) error {
	_, err := q.Exec(ctx, `SELECT app.booking_reminder_drop($1, $2)`, k, id)
	return err
}

// insert checks and inserts a booking (and its answers, with the
// questions they answer) inside q's transaction. A rebooked or moved
// booking keeps the answers and questions of old.
func (s BookingStore) insert(ctx context.Context, q Querier, k, account uuid.UUID, nb booking.Request, old *booking.Booking) (booking.Booking, error) {
	now := s.now()
	t, err := typeByID(ctx, q, k, nb.TypeID)
	if err != nil {
		return booking.Booking{}, err
	}
	as, err := availabilities(ctx, q, k, nb.CounsellorID)
	if err != nil {
		return booking.Booking{}, err
	}
	if len(as) == 0 || !t.Offers(nb.CounsellorID) {
		return booking.Booking{}, apperr.New(apperr.Invalid, "booking.error.counsellor")
	}
	answers, questions := []string(nil), t.Questions
	if old != nil {
		answers, questions = old.Answers, old.Questions
	} else if answers, err = t.CheckAnswers(nb.Answers); err != nil {
		return booking.Booking{}, err
	}
	busy, err := busyBetween(ctx, q, nb.Start.Add(-booking.MaxDuration-booking.MaxBuffer), nb.Start.Add(booking.MaxDuration+booking.MaxBuffer))
	if err != nil {
		return booking.Booking{}, err
	}
	if err := booking.CheckSlot(booking.Search{Now: now, Type: t}, as[0], busy, nb.Start); err != nil {
		return booking.Booking{}, err
	}
	b := booking.Booking{ID: uuid.New(), KommunID: k, TypeID: t.ID, TypeName: t.Name, CounsellorID: nb.CounsellorID, AccountID: account,
		Mode: t.Mode, Start: nb.Start, End: nb.Start.Add(t.Duration), Status: "booked", Questions: questions, Answers: answers}
	_, err = q.Exec(ctx, `INSERT INTO app.booking (kommun_id, id, type_id, counsellor_id, account_id, mode, starts_at, ends_at, during)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, tstzrange($7, $9))`,
		k, b.ID, t.ID, b.CounsellorID, nullUUID(account), string(t.Mode), b.Start, b.End, b.End.Add(t.BufferAfter))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23P01" {
		return b, apperr.E(apperr.Conflict, "booking.error.taken", err)
	}
	if err != nil {
		return b, err
	}
	if slices.ContainsFunc(answers, func(a string) bool { return a != "" }) {
		aj, _ := json.Marshal(answers)
		qj, _ := json.Marshal(questions)
		if _, err := q.Exec(ctx, `INSERT INTO app.booking_intake (kommun_id, booking_id, answers, questions) VALUES ($1, $2, $3, $4)`, k, b.ID, aj, qj); err != nil {
			return b, err
		}
	}
	return b, nil
}

const bookingColumns = `b.id, b.kommun_id, k.slug, b.type_id, coalesce(t.name, ''), b.counsellor_id, coalesce(s.display_name, ''),
	coalesce(b.account_id, '00000000-0000-0000-0000-000000000000'), b.mode, b.starts_at, b.ends_at, b.status,
	coalesce(b.cancelled_by, ''), coalesce(b.cancel_reason, ''), coalesce(t.questions, '[]')`

// The joins are outer: a youth reads neither staff rows nor other
// kommuners' types, and still sees their bookings.
const bookingFrom = ` FROM app.booking b LEFT JOIN app.booking_type t ON t.kommun_id = b.kommun_id AND t.id = b.type_id
	LEFT JOIN app.staff s ON s.id = b.counsellor_id JOIN app.kommun k ON k.id = b.kommun_id `

func scanBookings(rows pgx.Rows) ([]booking.Booking, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (booking.Booking, error) {
		var b booking.Booking
		var mode string
		err := r.Scan(&b.ID, &b.KommunID, &b.KommunSlug, &b.TypeID, &b.TypeName, &b.CounsellorID, &b.Counsellor, &b.AccountID, &mode,
			&b.Start, &b.End, &b.Status, &b.CancelledBy, &b.CancelReason, &b.Questions)
		b.Mode = booking.Mode(mode)
		return b, err
	})
}

// MyBookings returns the youth of ctx's bookings in every kommun, latest
// start first.
func (s BookingStore) MyBookings(ctx context.Context) (bs []booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.MyBookings")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorYouth {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+bookingColumns+bookingFrom+` WHERE b.account_id = $1 ORDER BY b.starts_at DESC`, a.AccountID)
		if err != nil {
			return err
		}
		bs, err = scanBookings(rows)
		return err
	})
	return bs, err
}

// MyBooking returns one booking of the youth of ctx with its answers;
// NotFound for anyone else's.
func (s BookingStore) MyBooking(ctx context.Context, kommunID, id uuid.UUID) (b booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.MyBooking")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorYouth {
		return b, apperr.New(apperr.Forbidden, "error.forbidden")
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		b, err = oneBooking(ctx, q, kommunID, id, false)
		return err
	})
	return b, err
}

func oneBooking(ctx context.Context, q Querier, k, id uuid.UUID, lock bool) (booking.Booking, error) {
	sql := `SELECT ` + bookingColumns + bookingFrom + ` WHERE b.kommun_id = $1 AND b.id = $2`
	if lock {
		sql += ` FOR UPDATE OF b`
	}
	rows, err := q.Query(ctx, sql, k, id)
	if err != nil {
		return booking.Booking{}, err
	}
	bs, err := scanBookings(rows)
	if err != nil {
		return booking.Booking{}, err
	}
	if len(bs) == 0 {
		return booking.Booking{}, apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	b := bs[0]
	// The answers come with the questions as they were asked: the type's
	// questions may have changed since (NULL: stored before they were kept).
	var aj, qj []byte
	err = q.QueryRow(ctx, `SELECT answers, questions FROM app.booking_intake WHERE kommun_id = $1 AND booking_id = $2`, k, id).Scan(&aj, &qj)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, nil
	}
	if err == nil {
		err = json.Unmarshal(aj, &b.Answers)
	}
	if err == nil && qj != nil {
		err = json.Unmarshal(qj, &b.Questions)
	}
	return b, err
}

// Cancel cancels a booking: the youth of ctx their own up to the kommun's
// cut-off, or staff of the kommun of ctx any of its bookings, with a
// reason and a neutral notice to the youth. The intake answers go (P18).
func (s BookingStore) Cancel(ctx context.Context, kommunID, id uuid.UUID, reason string) (err error) {
	defer apperr.Wrap(&err, "postgres.CancelBooking")
	reason = strings.TrimSpace(reason) // a blank reason is none
	a := tenant.ActingFrom(ctx)
	by := map[tenant.ActorKind]string{tenant.ActorYouth: "youth", tenant.ActorStaff: "staff", tenant.ActorSystem: "system"}[a.Actor]
	if by == "" || (a.Actor != tenant.ActorYouth && a.KommunID != kommunID) {
		return apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	if len([]rune(reason)) > 500 {
		return apperr.InvalidFields(apperr.FieldError{Field: "reason", Key: "booking.error.reason_too_long"})
	}
	if by == "staff" && reason == "" {
		return apperr.InvalidFields(apperr.FieldError{Field: "reason", Key: "booking.error.reason_required"})
	}
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		b, err := s.lockActive(ctx, q, kommunID, id)
		if err != nil {
			return err
		}
		if by == "youth" {
			if err := s.beforeCutOff(ctx, q, kommunID, b); err != nil {
				return err
			}
		}
		if err := cancelRow(ctx, q, kommunID, id, by, reason); err != nil {
			return err
		}
		if err := dropReminder(ctx, q, kommunID, id); err != nil {
			return err
		}
		if by == "staff" && b.AccountID != uuid.Nil {
			return s.db.QueueAccountNotice(ctx, b.AccountID, notify.KindBookingCancelled, notify.Payload{At: b.Start}, time.Time{})
		}
		return nil
	})
}

func (s BookingStore) lockActive(ctx context.Context, q Querier, k, id uuid.UUID) (booking.Booking, error) {
	b, err := oneBooking(ctx, q, k, id, true)
	if err != nil {
		return b, err
	}
	if b.Status != "booked" {
		return b, apperr.New(apperr.Conflict, "booking.error.already_cancelled")
	}
	if !b.Start.After(s.now()) {
		return b, apperr.New(apperr.Conflict, "booking.error.already_started")
	}
	return b, nil
}

func (s BookingStore) beforeCutOff(ctx context.Context, q Querier, k uuid.UUID, b booking.Booking) error {
	st, err := settings(ctx, q, k)
	if err != nil {
		return err
	}
	if s.now().Add(st.CutOff).After(b.Start) {
		return apperr.E(apperr.Conflict, "booking.error.cut_off", nil)
	}
	return nil
}

func cancelRow(ctx context.Context, q Querier, k, id uuid.UUID, by, reason string) error {
	var r *string
	if reason != "" {
		r = &reason
	}
	if _, err := q.Exec(ctx, `UPDATE app.booking SET status = 'cancelled', cancelled_at = now(), cancelled_by = $3, cancel_reason = $4
		WHERE kommun_id = $1 AND id = $2`, k, id, by, r); err != nil {
		return err
	}
	_, err := q.Exec(ctx, `DELETE FROM app.booking_intake WHERE kommun_id = $1 AND booking_id = $2`, k, id)
	return err
}

// Rebook moves the youth of ctx's booking to a new time (and counsellor)
// atomically: the old time is released only if the new one is taken. The
// intake answers move along. It returns the new booking.
func (s BookingStore) Rebook(ctx context.Context, kommunID, id uuid.UUID, to booking.Request) (nb booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.Rebook")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorYouth || a.KommunID != kommunID {
		return nb, apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		old, err := s.lockActive(ctx, q, kommunID, id)
		if err != nil {
			return err
		}
		if err := s.beforeCutOff(ctx, q, kommunID, old); err != nil {
			return err
		}
		if err := cancelRow(ctx, q, kommunID, id, "youth", "rebooked"); err != nil {
			return err
		}
		if err := dropReminder(ctx, q, kommunID, id); err != nil {
			return err
		}
		to.TypeID = old.TypeID
		if nb, err = s.insert(ctx, q, kommunID, a.AccountID, to, &old); err != nil {
			return err
		}
		if err := s.db.QueueAccountNotice(ctx, a.AccountID, notify.KindBookingChanged, notify.Payload{At: nb.Start}, time.Time{}); err != nil {
			return err
		}
		return s.queueReminder(ctx, nb)
	})
	return nb, err
}

// Move moves a booking of the kommun of ctx to a new time (and
// counsellor) for staff, atomically like Rebook, with a reason kept at the
// reception; the youth gets a neutral notice of the change.
func (s BookingStore) Move(ctx context.Context, kommunID, id uuid.UUID, to booking.Request, reason string) (nb booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.MoveBooking")
	reason = strings.TrimSpace(reason) // a blank reason is none
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorStaff || a.KommunID != kommunID {
		return nb, apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	if reason == "" {
		return nb, apperr.InvalidFields(apperr.FieldError{Field: "reason", Key: "booking.error.reason_required"})
	}
	if len([]rune(reason)) > 500 {
		return nb, apperr.InvalidFields(apperr.FieldError{Field: "reason", Key: "booking.error.reason_too_long"})
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		old, err := s.lockActive(ctx, q, kommunID, id)
		if err != nil {
			return err
		}
		if err := cancelRow(ctx, q, kommunID, id, "staff", reason); err != nil {
			return err
		}
		if err := dropReminder(ctx, q, kommunID, id); err != nil {
			return err
		}
		to.TypeID = old.TypeID
		if nb, err = s.insert(ctx, q, kommunID, old.AccountID, to, &old); err != nil {
			return err
		}
		if old.AccountID == uuid.Nil {
			return nil
		}
		if err := s.db.QueueAccountNotice(ctx, old.AccountID, notify.KindBookingChanged, notify.Payload{At: nb.Start}, time.Time{}); err != nil {
			return err
		}
		return s.queueReminder(ctx, nb)
	})
	return nb, err
}

// Calendar returns the bookings of the kommun of ctx starting in
// [from, to), of one counsellor or (uuid.Nil) all, without answers.
func (s BookingStore) Calendar(ctx context.Context, counsellor uuid.UUID, from, to time.Time) (bs []booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.BookingCalendar")
	k, err := kommunOf(ctx)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		rows, err := q.Query(ctx, `SELECT `+bookingColumns+bookingFrom+` WHERE b.kommun_id = $1 AND b.starts_at >= $2 AND b.starts_at < $3
			AND ($4::uuid IS NULL OR b.counsellor_id = $4) ORDER BY b.starts_at, b.id`, k, from, to, nullUUID(counsellor))
		if err != nil {
			return err
		}
		bs, err = scanBookings(rows)
		return err
	})
	return bs, err
}

// BookingDetail returns a booking of the kommun of ctx with its answers
// and the youth's username, and writes the access-log entry (P14) in the
// same transaction: no read without its entry.
func (s BookingStore) BookingDetail(ctx context.Context, id uuid.UUID) (b booking.Booking, err error) {
	defer apperr.Wrap(&err, "postgres.BookingDetail")
	a := tenant.ActingFrom(ctx)
	if a.Actor != tenant.ActorStaff || a.KommunID == uuid.Nil {
		return b, apperr.New(apperr.NotFound, "booking.error.not_found")
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		if b, err = oneBooking(ctx, q, a.KommunID, id, false); err != nil {
			return err
		}
		var username *string
		if err := q.QueryRow(ctx, `SELECT app.booking_youth_username($1, $2)`, a.KommunID, id).Scan(&username); err != nil {
			return err
		}
		subject := audit.AnonymousSubject
		if username != nil {
			subject, b.Username = *username, *username
		}
		return s.db.Record(ctx, audit.Entry{KommunID: a.KommunID, ActorID: a.AccountID, ActorRole: a.Role, Action: audit.BookingRead, Subject: subject})
	})
	return b, err
}

// DeleteIntakeAnswers deletes up to limit intake answers of the kommun of
// ctx whose appointment has ended or was cancelled (P18;
// retention.IntakePurger).
func (s BookingStore) DeleteIntakeAnswers(ctx context.Context, now time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.DeleteIntakeAnswers")
	k, err := kommunOf(ctx)
	if err != nil {
		return 0, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		tag, err := q.Exec(ctx, `DELETE FROM app.booking_intake i WHERE i.kommun_id = $1 AND i.booking_id IN (
			SELECT b.id FROM app.booking b JOIN app.booking_intake x ON x.kommun_id = b.kommun_id AND x.booking_id = b.id
			 WHERE b.kommun_id = $1 AND (b.status = 'cancelled' OR b.ends_at <= $2) LIMIT $3)`, k, now, limit)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// UnlinkPastBookings removes the account link of up to limit bookings of
// the kommun of ctx that ended more than the kommun's keep_days before now
// (retention.BookingUnlink); the anonymous booking row stays.
func (s BookingStore) UnlinkPastBookings(ctx context.Context, now time.Time, limit int) (n int64, err error) {
	defer apperr.Wrap(&err, "postgres.UnlinkPastBookings")
	k, err := kommunOf(ctx)
	if err != nil {
		return 0, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		st, err := settings(ctx, q, k)
		if err != nil {
			return err
		}
		tag, err := q.Exec(ctx, `UPDATE app.booking SET account_id = NULL WHERE kommun_id = $1 AND id IN (
			SELECT id FROM app.booking WHERE kommun_id = $1 AND account_id IS NOT NULL AND ends_at <= $2 LIMIT $3)`,
			k, now.AddDate(0, 0, -st.KeepDays), limit)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// HasOngoingCase reports whether the account has a booking still to come
// in any kommun (retention.OngoingCases, P16).
func (s BookingStore) HasOngoingCase(ctx context.Context, accountID uuid.UUID, now time.Time) (ongoing bool, err error) {
	defer apperr.Wrap(&err, "postgres.BookingHasOngoingCase")
	err = s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return forEachKommun(ctx, q, func(ctx context.Context, k uuid.UUID) error {
			if ongoing {
				return nil
			}
			return q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app.booking WHERE kommun_id = $1 AND account_id = $2
				AND status = 'booked' AND ends_at > $3)`, k, accountID, now).Scan(&ongoing)
		})
	})
	return ongoing, err
}

// AccountDeleting cancels the account's future bookings in every kommun,
// deleting their answers (account.DeletionHook); the rows lose their
// account link with the account itself.
func (s BookingStore) AccountDeleting(ctx context.Context, accountID uuid.UUID) (err error) {
	defer apperr.Wrap(&err, "postgres.BookingAccountDeleting")
	return s.db.InTx(ctx, func(ctx context.Context, q Querier) error {
		return forEachKommun(ctx, q, func(ctx context.Context, k uuid.UUID) error {
			if _, err := q.Exec(ctx, `DELETE FROM app.booking_intake i USING app.booking b
				WHERE i.kommun_id = $1 AND b.kommun_id = $1 AND b.id = i.booking_id AND b.account_id = $2`, k, accountID); err != nil {
				return err
			}
			_, err := q.Exec(ctx, `UPDATE app.booking SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'system',
				cancel_reason = 'account_deleted', account_id = NULL
				WHERE kommun_id = $1 AND account_id = $2 AND status = 'booked' AND starts_at > now()`, k, accountID)
			if err != nil {
				return err
			}
			_, err = q.Exec(ctx, `UPDATE app.booking SET account_id = NULL WHERE kommun_id = $1 AND account_id = $2`, k, accountID)
			return err
		})
	})
}
