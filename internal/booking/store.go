package booking

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Booking is one booking as the store returns it.
type Booking struct {
	ID           uuid.UUID
	KommunID     uuid.UUID
	KommunSlug   string
	TypeID       uuid.UUID
	TypeName     string
	CounsellorID uuid.UUID
	Counsellor   string // the counsellor's display name
	AccountID    uuid.UUID
	Mode         Mode
	Start, End   time.Time
	Status       string // booked or cancelled
	CancelledBy  string
	CancelReason string
	Questions    []string
	Answers      []string // only in BookingDetail and for the youth's own booking
	Username     string   // only in BookingDetail
}

// Settings are a kommun's booking rules.
type Settings struct {
	KeepDays  int           // days the account link is kept after the appointment
	CutOff    time.Duration // until how long before the start a youth may cancel or rebook
	UpdatedAt time.Time
}

// Limits of the settings.
const (
	MaxKeepDays = 365
	MaxCutOff   = 7 * 24 * time.Hour
)

// Validate checks st and names each field that breaks a rule.
func (st Settings) Validate() error {
	var fe []apperr.FieldError
	if st.KeepDays < 0 || st.KeepDays > MaxKeepDays {
		fe = append(fe, apperr.FieldError{Field: "keep_days", Key: "booking.error.keep_days", Args: map[string]any{"Max": MaxKeepDays}})
	}
	if st.CutOff < 0 || st.CutOff > MaxCutOff || st.CutOff%time.Minute != 0 {
		fe = append(fe, apperr.FieldError{Field: "cutoff_minutes", Key: "booking.error.cutoff"})
	}
	if len(fe) > 0 {
		return apperr.InvalidFields(fe...)
	}
	return nil
}

// DefaultSettings apply to a kommun that has saved none.
var DefaultSettings = Settings{KeepDays: DefaultKeepDays, CutOff: 2 * time.Hour}

// Request is a youth's request for a free time.
type Request struct {
	TypeID       uuid.UUID
	CounsellorID uuid.UUID
	Start        time.Time
	Answers      []string
}

// Store is what the booking pages and API need from the database. Every
// call acts with the acting context of ctx: a youth for their own
// bookings (the kommun of ctx for types, free times, booking and
// rebooking), staff for the kommun of ctx.
type Store interface {
	Settings(ctx context.Context) (Settings, error)
	SaveSettings(ctx context.Context, st Settings) error
	SaveType(ctx context.Context, t AppointmentType) (uuid.UUID, error)
	Types(ctx context.Context) ([]AppointmentType, error)
	// AllTypes returns every type of the kommun for its staff, inactive
	// and not online-bookable ones too.
	AllTypes(ctx context.Context) ([]AppointmentType, error)
	// SetTypeActive deactivates a type (existing bookings stay) or
	// activates it again.
	SetTypeActive(ctx context.Context, id uuid.UUID, active bool) error
	// DeleteType deletes a type that was never booked; otherwise a
	// Conflict: it can only be deactivated.
	DeleteType(ctx context.Context, id uuid.UUID) error
	SaveAvailability(ctx context.Context, a Availability) error
	Availabilities(ctx context.Context) ([]Availability, error)
	// FreeSlots returns the free times of a type with starts in [from, to)
	// (zero: from now up to the horizon).
	FreeSlots(ctx context.Context, typeID uuid.UUID, from, to time.Time) ([]Slot, error)
	// Alternatives returns up to n free times of the type nearest to at.
	Alternatives(ctx context.Context, typeID uuid.UUID, at time.Time, n int) ([]Slot, error)
	// Book books a free time for the youth of ctx; a taken time is a
	// Conflict with key booking.error.taken.
	Book(ctx context.Context, r Request) (Booking, error)
	MyBookings(ctx context.Context) ([]Booking, error)
	MyBooking(ctx context.Context, kommunID, id uuid.UUID) (Booking, error)
	Cancel(ctx context.Context, kommunID, id uuid.UUID, reason string) error
	// Rebook moves a booking atomically: the old time is released only if
	// the new one is taken.
	Rebook(ctx context.Context, kommunID, id uuid.UUID, to Request) (Booking, error)
	// Move moves a booking for staff, atomically, with a reason; the youth
	// gets a neutral notice.
	Move(ctx context.Context, kommunID, id uuid.UUID, to Request, reason string) (Booking, error)
	Calendar(ctx context.Context, counsellor uuid.UUID, from, to time.Time) ([]Booking, error)
	// BookingDetail returns a booking with answers and username, writing
	// the access-log entry (P14).
	BookingDetail(ctx context.Context, id uuid.UUID) (Booking, error)
}
