package httpapi

import (
	"context"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// The staff's booking administration through the API: appointment types
// as staff see them (inactive and not online-bookable ones too), each
// counsellor's availability, and the kommun's booking settings. Every
// route acts for the kommun of the path only (P5); Casbin decides the
// object and act, the application that a counsellor reads and edits only
// their own schedule.

// isReceptionAdmin reports whether the staff member of ctx administers
// the reception of the kommun acted for.
func isReceptionAdmin(ctx context.Context) bool {
	return tenant.ActingFrom(ctx).Role == "reception_admin"
}

// ownSchedule refuses a counsellor who is not a reception admin access to
// a colleague's schedule.
func ownSchedule(ctx context.Context, staff uuid.UUID) error {
	if a := tenant.ActingFrom(ctx); !isReceptionAdmin(ctx) && a.AccountID != staff {
		return apperr.New(apperr.Forbidden, "booking.error.own_schedule")
	}
	return nil
}

// jsonStaffType is an appointment type as staff see it.
type jsonStaffType struct {
	ID              uuid.UUID    `json:"id"`
	Name            string       `json:"name"`
	Mode            booking.Mode `json:"mode"`
	DurationMinutes int          `json:"duration_minutes"`
	BufferMinutes   int          `json:"buffer_minutes"`
	Counsellors     []uuid.UUID  `json:"counsellors"`
	Online          bool         `json:"online"`
	Questions       []string     `json:"questions"`
	Active          bool         `json:"active"`
}

func staffTypeJSON(t booking.AppointmentType) jsonStaffType {
	j := jsonStaffType{ID: t.ID, Name: t.Name, Mode: t.Mode, DurationMinutes: int(t.Duration / time.Minute),
		BufferMinutes: int(t.BufferAfter / time.Minute), Counsellors: t.Counsellors, Online: t.OnlineBookable,
		Questions: t.Questions, Active: t.Active}
	if j.Counsellors == nil {
		j.Counsellors = []uuid.UUID{}
	}
	if j.Questions == nil {
		j.Questions = []string{}
	}
	return j
}

func (r typeRequest) appointmentType(id uuid.UUID) booking.AppointmentType {
	return booking.AppointmentType{ID: id, Name: r.Name, Mode: booking.Mode(r.Mode),
		Duration: time.Duration(r.DurationMinutes) * time.Minute, BufferAfter: time.Duration(r.BufferMinutes) * time.Minute,
		Counsellors: r.Counsellors, OnlineBookable: r.Online, Questions: r.Questions}
}

// staffType returns one type of the kommun acted for, inactive ones too.
func (h *bookingHandlers) staffType(ctx context.Context, id uuid.UUID) (booking.AppointmentType, error) {
	ts, err := h.store.AllTypes(ctx)
	if err != nil {
		return booking.AppointmentType{}, err
	}
	i := slices.IndexFunc(ts, func(t booking.AppointmentType) bool { return t.ID == id })
	if i < 0 {
		return booking.AppointmentType{}, apperr.New(apperr.NotFound, "booking.error.type")
	}
	return ts[i], nil
}

func (h *bookingHandlers) apiStaffTypes(c *fiber.Ctx) error {
	ts, err := h.store.AllTypes(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]jsonStaffType, len(ts))
	for i, t := range ts {
		out[i] = staffTypeJSON(t)
	}
	return c.JSON(fiber.Map{"types": out})
}

func (h *bookingHandlers) apiStaffType(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	t, err := h.staffType(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(staffTypeJSON(t))
}

func (h *bookingHandlers) apiUpdateType(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	var r typeRequest
	if err := parseBody(c, &r); err != nil {
		return err
	}
	if _, err := h.store.SaveType(c.UserContext(), r.appointmentType(id)); err != nil {
		return err
	}
	t, err := h.staffType(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(staffTypeJSON(t))
}

func (h *bookingHandlers) apiSetTypeActive(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	var r struct {
		Active *bool `json:"active"`
	}
	if err := parseBody(c, &r); err != nil {
		return err
	}
	if r.Active == nil {
		return apperr.InvalidFields(apperr.FieldError{Field: "active", Key: "booking.error.bad_request"})
	}
	if err := h.store.SetTypeActive(c.UserContext(), id, *r.Active); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *bookingHandlers) apiDeleteType(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	if err := h.store.DeleteType(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// jsonAvailability is a counsellor's availability; Saved is false while
// the counsellor has none (the defaults are shown, nobody can book).
type jsonAvailability struct {
	CounsellorID  uuid.UUID           `json:"counsellor_id"`
	Week          booking.Week        `json:"week"`
	Exceptions    []booking.Exception `json:"exceptions"`
	HorizonDays   int                 `json:"horizon_days"`
	MinNoticeMins int                 `json:"min_notice_minutes"`
	HolidaysOpen  bool                `json:"holidays_open"`
	Saved         bool                `json:"saved"`
}

// member returns the staff member id of the kommun acted for, NotFound
// for anyone else (another kommun's staff included).
func (h *bookingHandlers) member(ctx context.Context, id uuid.UUID) (reception.Member, error) {
	ms, err := h.receptionDB().KommunStaff(ctx)
	if err != nil {
		return reception.Member{}, err
	}
	i := slices.IndexFunc(ms, func(m reception.Member) bool { return m.StaffID == id })
	if i < 0 {
		return reception.Member{}, apperr.New(apperr.NotFound, "booking.error.unknown_counsellor")
	}
	return ms[i], nil
}

// availabilityOf returns staff's availability in the kommun acted for, or
// the defaults (nothing bookable) and false if none is saved.
func (h *bookingHandlers) availabilityOf(ctx context.Context, staff uuid.UUID) (booking.Availability, bool, error) {
	as, err := h.store.Availabilities(ctx)
	if err != nil {
		return booking.Availability{}, false, err
	}
	for _, a := range as {
		if a.CounsellorID == staff {
			return a, true, nil
		}
	}
	return booking.Availability{CounsellorID: staff, HorizonDays: booking.DefaultHorizon, MinNotice: booking.DefaultNotice}, false, nil
}

func (h *bookingHandlers) apiAvailability(c *fiber.Ctx) error {
	staff, err := paramID(c, "staff")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := ownSchedule(ctx, staff); err != nil {
		return err
	}
	if _, err := h.member(ctx, staff); err != nil {
		return err
	}
	a, saved, err := h.availabilityOf(ctx, staff)
	if err != nil {
		return err
	}
	ex := a.Exceptions
	if ex == nil {
		ex = []booking.Exception{}
	}
	for d := range a.Week {
		if a.Week[d] == nil {
			a.Week[d] = []booking.Interval{}
		}
	}
	return c.JSON(jsonAvailability{CounsellorID: staff, Week: a.Week, Exceptions: ex, HorizonDays: a.HorizonDays,
		MinNoticeMins: int(a.MinNotice / time.Minute), HolidaysOpen: a.HolidaysOpen, Saved: saved})
}

type jsonSettings struct {
	KeepDays      int `json:"keep_days"`
	CutOffMinutes int `json:"cutoff_minutes"`
}

func (h *bookingHandlers) apiSettings(c *fiber.Ctx) error {
	st, err := h.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(jsonSettings{KeepDays: st.KeepDays, CutOffMinutes: int(st.CutOff / time.Minute)})
}

func (h *bookingHandlers) apiSaveSettings(c *fiber.Ctx) error {
	var r struct {
		KeepDays      *int `json:"keep_days"`
		CutOffMinutes *int `json:"cutoff_minutes"`
	}
	if err := parseBody(c, &r); err != nil {
		return err
	}
	var fe []apperr.FieldError
	if r.KeepDays == nil {
		fe = append(fe, apperr.FieldError{Field: "keep_days", Key: "booking.error.keep_days"})
	}
	if r.CutOffMinutes == nil {
		fe = append(fe, apperr.FieldError{Field: "cutoff_minutes", Key: "booking.error.cutoff"})
	}
	if len(fe) > 0 {
		return apperr.InvalidFields(fe...)
	}
	st := booking.Settings{KeepDays: *r.KeepDays, CutOff: time.Duration(*r.CutOffMinutes) * time.Minute}
	if err := h.store.SaveSettings(c.UserContext(), st); err != nil {
		return err
	}
	return h.apiSettings(c)
}
