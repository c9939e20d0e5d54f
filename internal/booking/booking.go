// Package booking is the domain of appointments at a youth clinic's
// reception: appointment types, counsellors' availability, and the pure
// computation of free times (schedules, exceptions, existing bookings,
// buffers, booking horizon, minimum notice, Swedish public holidays), all
// in Europe/Stockholm and right across daylight-saving changes.
package booking

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Mode is how an appointment takes place.
type Mode string

// The modes a reception may offer.
const (
	ModeVisit Mode = "visit" // at the clinic
	ModePhone Mode = "phone"
	ModeVideo Mode = "video"
	ModeChat  Mode = "chat"
)

// Modes lists every mode in display order.
var Modes = []Mode{ModeVisit, ModePhone, ModeVideo, ModeChat}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return slices.Contains(Modes, m) }

// Limits of an appointment type.
const (
	MinDuration     = 5 * time.Minute
	MaxDuration     = 4 * time.Hour
	MaxBuffer       = 2 * time.Hour
	MaxNameLen      = 100
	MaxQuestions    = 10
	MaxQuestionLen  = 300
	MaxAnswerLen    = 2000
	MaxHorizonDays  = 180
	MaxNotice       = 14 * 24 * time.Hour
	DefaultStep     = 15 * time.Minute
	DefaultHorizon  = 28 // days
	DefaultNotice   = 2 * time.Hour
	DefaultKeepDays = 30             // days the account link is kept after an appointment
	ReminderBefore  = 24 * time.Hour // when the youth is reminded of a booking
)

// AppointmentType is one kind of appointment a reception offers.
type AppointmentType struct {
	ID             uuid.UUID
	KommunID       uuid.UUID
	Name           string
	Mode           Mode
	Duration       time.Duration
	BufferAfter    time.Duration
	Counsellors    []uuid.UUID // who offers it
	OnlineBookable bool        // whether youth may book it themselves
	Questions      []string    // optional intake questions
	Active         bool        // false: deactivated, no new bookings (read only)
}

// Offers reports whether counsellor c offers t.
func (t AppointmentType) Offers(c uuid.UUID) bool { return slices.Contains(t.Counsellors, c) }

// Validate checks t's fields and returns an Invalid error naming each
// field that breaks a rule. It trims Name and Questions in place.
func (t *AppointmentType) Validate() error {
	var fe []apperr.FieldError
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		fe = append(fe, apperr.FieldError{Field: "name", Key: "booking.error.name_required"})
	case utf8.RuneCountInString(t.Name) > MaxNameLen:
		fe = append(fe, apperr.FieldError{Field: "name", Key: "booking.error.name_too_long", Args: map[string]any{"Max": MaxNameLen}})
	}
	if !t.Mode.Valid() {
		fe = append(fe, apperr.FieldError{Field: "mode", Key: "booking.error.mode"})
	}
	if t.Duration < MinDuration || t.Duration > MaxDuration || t.Duration%time.Minute != 0 {
		fe = append(fe, apperr.FieldError{Field: "duration", Key: "booking.error.duration"})
	}
	if t.BufferAfter < 0 || t.BufferAfter > MaxBuffer || t.BufferAfter%time.Minute != 0 {
		fe = append(fe, apperr.FieldError{Field: "buffer", Key: "booking.error.buffer"})
	}
	qs := t.Questions[:0:0]
	for _, q := range t.Questions {
		if q = strings.TrimSpace(q); q != "" {
			qs = append(qs, q)
		}
	}
	t.Questions = qs
	if len(qs) > MaxQuestions {
		fe = append(fe, apperr.FieldError{Field: "questions", Key: "booking.error.too_many_questions", Args: map[string]any{"Max": MaxQuestions}})
	}
	for _, q := range qs {
		if utf8.RuneCountInString(q) > MaxQuestionLen {
			fe = append(fe, apperr.FieldError{Field: "questions", Key: "booking.error.question_too_long", Args: map[string]any{"Max": MaxQuestionLen}})
			break
		}
	}
	if len(fe) > 0 {
		return apperr.InvalidFields(fe...)
	}
	return nil
}

// CheckAnswers checks intake answers against t's questions: one answer
// per question (empty allowed, the questions are optional), none too long.
// It returns the answers trimmed.
func (t AppointmentType) CheckAnswers(answers []string) ([]string, error) {
	if len(answers) > len(t.Questions) {
		return nil, apperr.New(apperr.Invalid, "booking.error.answers")
	}
	out := make([]string, len(t.Questions))
	for i, a := range answers {
		a = strings.TrimSpace(a)
		if utf8.RuneCountInString(a) > MaxAnswerLen {
			return nil, apperr.InvalidFields(apperr.FieldError{Field: fmt.Sprintf("answer_%d", i), Key: "booking.error.answer_too_long", Args: map[string]any{"Max": MaxAnswerLen}})
		}
		out[i] = a
	}
	return out, nil
}

// Interval is a working interval of a day in local wall-clock minutes
// from midnight: Start inclusive, End exclusive; End may be 1440 (24:00).
type Interval struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// String returns the interval as "09:00–16:30".
func (iv Interval) String() string {
	return fmt.Sprintf("%02d:%02d–%02d:%02d", iv.Start/60, iv.Start%60, iv.End/60, iv.End%60)
}

// Week holds the working intervals of each weekday, indexed by
// time.Weekday (Sunday is 0).
type Week [7][]Interval

// Exception replaces the weekly hours on the dates From to To inclusive
// ("2026-07-01"): off (leave, sickness), or working only in Hours.
// Reason is a category only, never a health detail.
type Exception struct {
	From   string     `json:"from"`
	To     string     `json:"to"`
	Closed bool       `json:"closed"`
	Hours  []Interval `json:"hours,omitempty"`
	Reason Reason     `json:"reason,omitempty"`
}

// Reason is why a counsellor is away: a category, nothing more.
type Reason string

// The reasons for an exception; empty is allowed (not given).
const (
	ReasonLeave    Reason = "leave"    // ledighet, semester
	ReasonSick     Reason = "sick"     // sjukfrånvaro
	ReasonTraining Reason = "training" // utbildning, konferens
	ReasonOther    Reason = "other"
)

// Reasons lists every reason in display order.
var Reasons = []Reason{ReasonLeave, ReasonSick, ReasonTraining, ReasonOther}

// MaxExceptions is how many exceptions one counsellor may have.
const MaxExceptions = 100

// Availability is when one counsellor can be booked.
type Availability struct {
	CounsellorID uuid.UUID
	Week         Week
	Exceptions   []Exception
	HorizonDays  int           // how far ahead youth may book
	MinNotice    time.Duration // how soon before the start youth may book
	HolidaysOpen bool          // works on Swedish public holidays
}

// Validate checks a's hours, exceptions, horizon and notice.
func (a Availability) Validate() error {
	var fe []apperr.FieldError
	for d, ivs := range a.Week {
		if !validIntervals(ivs) {
			fe = append(fe, apperr.FieldError{Field: "week_" + time.Weekday(d).String(), Key: "booking.error.hours"})
		}
	}
	for _, ex := range a.Exceptions {
		from, err1 := time.Parse(time.DateOnly, ex.From)
		to, err2 := time.Parse(time.DateOnly, ex.To)
		if err1 != nil || err2 != nil || to.Before(from) || (!ex.Closed && !validIntervals(ex.Hours)) ||
			(ex.Reason != "" && !slices.Contains(Reasons, ex.Reason)) || to.Sub(from) > 366*24*time.Hour {
			fe = append(fe, apperr.FieldError{Field: "exceptions", Key: "booking.error.exception"})
			break
		}
	}
	if len(a.Exceptions) > MaxExceptions {
		fe = append(fe, apperr.FieldError{Field: "exceptions", Key: "booking.error.too_many_exceptions", Args: map[string]any{"Max": MaxExceptions}})
	}
	if a.HorizonDays < 1 || a.HorizonDays > MaxHorizonDays {
		fe = append(fe, apperr.FieldError{Field: "horizon_days", Key: "booking.error.horizon", Args: map[string]any{"Max": MaxHorizonDays}})
	}
	if a.MinNotice < 0 || a.MinNotice > MaxNotice {
		fe = append(fe, apperr.FieldError{Field: "min_notice", Key: "booking.error.notice"})
	}
	if len(fe) > 0 {
		return apperr.InvalidFields(fe...)
	}
	return nil
}

// validIntervals reports whether ivs lie within a day, each non-empty,
// in order and not overlapping.
func validIntervals(ivs []Interval) bool {
	prev := 0
	for i, iv := range ivs {
		if iv.Start < 0 || iv.End > 1440 || iv.Start >= iv.End || (i > 0 && iv.Start < prev) {
			return false
		}
		prev = iv.End
	}
	return true
}
