package httpapi

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// The staff's booking administration pages under /personal/:kommun/bokning:
// the reception's appointment types (a reception admin creates, edits,
// deactivates and deletes them; a counsellor reads them), each
// counsellor's availability (their own; a reception admin anyone's in the
// kommun) and the kommun's booking settings (a reception admin).

// bookingNav is the small staff navigation of the booking pages.
type bookingNav struct {
	Slug, Kommun, Current string
	Admin                 bool
}

func navFor(c *fiber.Ctx, current string) bookingNav {
	k := kommunFrom(c)
	return bookingNav{Slug: k.Slug, Kommun: k.Name, Current: current, Admin: isReceptionAdmin(c.UserContext())}
}

// bookingBase is what every booking administration page carries.
type bookingBase struct {
	form
	Nav    bookingNav
	Notice string
}

func (h *bookingHandlers) base(c *fiber.Ctx, current string, f form) bookingBase {
	b := bookingBase{form: f, Nav: navFor(c, current)}
	if c.Query("klart") != "" {
		b.Notice = h.tr.T(langOf(c), "booking.admin.saved")
	}
	return b
}

// --- Appointment types ---

type typeRow struct {
	ID, Name, Mode, Counsellors string
	Duration, Buffer            int
	Online, Active              bool
	Questions                   int
}

type typesPage struct {
	bookingBase
	Types []typeRow
}

// names returns the display names of the kommun's staff by id.
func (h *bookingHandlers) names(ctx context.Context) ([]reception.Member, map[uuid.UUID]string, error) {
	ms, err := h.receptionDB().KommunStaff(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[uuid.UUID]string, len(ms))
	for _, m := range ms {
		out[m.StaffID] = m.DisplayName
	}
	return ms, out, nil
}

func (h *bookingHandlers) typesData(c *fiber.Ctx, f form) (typesPage, error) {
	ctx, lang := c.UserContext(), langOf(c)
	p := typesPage{bookingBase: h.base(c, "types", f)}
	ts, err := h.store.AllTypes(ctx)
	if err != nil {
		return p, err
	}
	_, names, err := h.names(ctx)
	if err != nil {
		return p, err
	}
	for _, t := range ts {
		var cs []string
		for _, id := range t.Counsellors {
			cs = append(cs, names[id])
		}
		slices.Sort(cs)
		p.Types = append(p.Types, typeRow{ID: t.ID.String(), Name: t.Name, Mode: h.tr.T(lang, "booking.mode."+string(t.Mode)),
			Counsellors: strings.Join(cs, ", "), Duration: int(t.Duration / time.Minute), Buffer: int(t.BufferAfter / time.Minute),
			Online: t.OnlineBookable, Active: t.Active, Questions: len(t.Questions)})
	}
	return p, nil
}

func (h *bookingHandlers) typesPage(c *fiber.Ctx) error {
	p, err := h.typesData(c, newForm())
	if err != nil {
		return err
	}
	return h.render(c, "booking_types", false, p)
}

type typeFormPage struct {
	bookingBase
	ID          string // empty for a new type
	Modes       []booking.Mode
	Counsellors []typeCounsellor
}

type typeCounsellor struct {
	ID, Name string
	Checked  bool
}

func (h *bookingHandlers) typeForm(c *fiber.Ctx, id string, f form, chosen []uuid.UUID) (typeFormPage, error) {
	p := typeFormPage{bookingBase: h.base(c, "types", f), ID: id, Modes: booking.Modes}
	ms, _, err := h.names(c.UserContext())
	if err != nil {
		return p, err
	}
	for _, m := range ms {
		p.Counsellors = append(p.Counsellors, typeCounsellor{ID: m.StaffID.String(), Name: m.DisplayName, Checked: slices.Contains(chosen, m.StaffID)})
	}
	return p, nil
}

func (h *bookingHandlers) typeNewPage(c *fiber.Ctx) error {
	p, err := h.typeForm(c, "", newForm("mode", string(booking.ModeVisit), "duration", "45", "buffer", "15", "online", "on"), nil)
	if err != nil {
		return err
	}
	return h.render(c, "booking_type_form", false, p)
}

func (h *bookingHandlers) typeEditPage(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	t, err := h.staffType(c.UserContext(), id)
	if err != nil {
		return err
	}
	f := newForm("name", t.Name, "mode", string(t.Mode), "duration", strconv.Itoa(int(t.Duration/time.Minute)),
		"buffer", strconv.Itoa(int(t.BufferAfter/time.Minute)), "questions", strings.Join(t.Questions, "\n"))
	if t.OnlineBookable {
		f.Values["online"] = "on"
	}
	p, err := h.typeForm(c, id.String(), f, t.Counsellors)
	if err != nil {
		return err
	}
	return h.render(c, "booking_type_form", false, p)
}

// atoiOr reads a whole number, or returns bad (which the domain refuses).
func atoiOr(s string, bad int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return bad
	}
	return n
}

// postedIDs reads every value of a repeated form field as an id.
func postedIDs(c *fiber.Ctx, name string) ([]uuid.UUID, bool) {
	var out []uuid.UUID
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		id, err := uuid.ParseBytes(v)
		if err != nil {
			return out, false
		}
		out = append(out, id)
	}
	return out, true
}

func (h *bookingHandlers) typeSave(c *fiber.Ctx, id uuid.UUID) error {
	f := newForm("name", c.FormValue("name"), "mode", c.FormValue("mode"), "duration", c.FormValue("duration"),
		"buffer", c.FormValue("buffer"), "questions", c.FormValue("questions"))
	if c.FormValue("online") != "" {
		f.Values["online"] = "on"
	}
	counsellors, ok := postedIDs(c, "counsellor")
	var qs []string
	for q := range strings.SplitSeq(strings.ReplaceAll(c.FormValue("questions"), "\r\n", "\n"), "\n") {
		qs = append(qs, q)
	}
	t := booking.AppointmentType{ID: id, Name: c.FormValue("name"), Mode: booking.Mode(c.FormValue("mode")),
		Duration: time.Duration(atoiOr(c.FormValue("duration"), 0)) * time.Minute, BufferAfter: time.Duration(atoiOr(c.FormValue("buffer"), -1)) * time.Minute,
		Counsellors: counsellors, OnlineBookable: f.Values["online"] != "", Questions: qs}
	var err error
	if !ok {
		err = apperr.InvalidFields(apperr.FieldError{Field: "counsellors", Key: "booking.error.unknown_counsellor"})
	} else {
		_, err = h.store.SaveType(c.UserContext(), t)
	}
	if err == nil {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/bokning/typer?klart=1", fiber.StatusSeeOther)
	}
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	status := c.Response().StatusCode()
	idText := ""
	if id != uuid.Nil {
		idText = id.String()
	}
	p, perr := h.typeForm(c, idText, f, counsellors)
	if perr != nil {
		return perr
	}
	c.Status(status)
	return h.render(c, "booking_type_form", false, p)
}

func (h *bookingHandlers) typeCreate(c *fiber.Ctx) error { return h.typeSave(c, uuid.Nil) }

func (h *bookingHandlers) typeUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "type")
	if err != nil {
		return err
	}
	return h.typeSave(c, id)
}

// typeAct runs a change of a type from the list and shows the list again,
// with the error at the top if it was refused.
func (h *bookingHandlers) typeAct(c *fiber.Ctx, act func(ctx context.Context, id uuid.UUID) error) error {
	id, err := paramID(c, "type")
	if err == nil {
		err = act(c.UserContext(), id)
	}
	if err == nil {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/bokning/typer?klart=1", fiber.StatusSeeOther)
	}
	f := newForm()
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	status := c.Response().StatusCode()
	p, perr := h.typesData(c, f)
	if perr != nil {
		return perr
	}
	c.Status(status)
	return h.render(c, "booking_types", false, p)
}

func (h *bookingHandlers) typeSetActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "1"
	return h.typeAct(c, func(ctx context.Context, id uuid.UUID) error { return h.store.SetTypeActive(ctx, id, active) })
}

func (h *bookingHandlers) typeDelete(c *fiber.Ctx) error { return h.typeAct(c, h.store.DeleteType) }

// --- Availability ---

// weekdays in the order a Swedish week is shown, Monday first.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

type weekdayField struct {
	Key, Name string
}

type exceptionRow struct {
	N                                 int
	From, To, Hours, Reason, ErrorKey string
}

type availabilityPage struct {
	bookingBase
	StaffID, StaffName string
	Own                bool
	Saved              bool
	Members            []typeCounsellor // for a reception admin: whose schedule to open
	Days               []weekdayField
	Exceptions         []exceptionRow
	Reasons            []booking.Reason
	MaxHorizon         int
}

func (h *bookingHandlers) availabilityData(c *fiber.Ctx, staff uuid.UUID, f form, rows []exceptionRow, saved bool) (availabilityPage, error) {
	ctx, lang := c.UserContext(), langOf(c)
	p := availabilityPage{bookingBase: h.base(c, "availability", f), StaffID: staff.String(), Saved: saved,
		Own: staff == tenant.ActingFrom(ctx).AccountID, Reasons: booking.Reasons, MaxHorizon: booking.MaxHorizonDays, Exceptions: rows}
	m, err := h.member(ctx, staff)
	if err != nil {
		return p, err
	}
	p.StaffName = m.DisplayName
	if p.Nav.Admin {
		ms, _, err := h.names(ctx)
		if err != nil {
			return p, err
		}
		for _, m := range ms {
			p.Members = append(p.Members, typeCounsellor{ID: m.StaffID.String(), Name: m.DisplayName, Checked: m.StaffID == staff})
		}
	}
	for _, d := range weekdays {
		p.Days = append(p.Days, weekdayField{Key: "week_" + d.String(), Name: weekdayName(lang, d)})
	}
	// One empty row to add an absence.
	p.Exceptions = append(p.Exceptions, exceptionRow{N: len(rows)})
	return p, nil
}

func weekdayName(lang string, d time.Weekday) string {
	if lang == "en" {
		return d.String()
	}
	return [...]string{"Söndag", "Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag"}[d]
}

func intervalsText(ivs []booking.Interval) string {
	parts := make([]string, len(ivs))
	for i, iv := range ivs {
		parts[i] = strings.ReplaceAll(iv.String(), "–", "-")
	}
	return strings.Join(parts, ", ")
}

func (h *bookingHandlers) availabilityPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	staff := tenant.ActingFrom(ctx).AccountID
	if v := c.Query("kurator"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return apperr.New(apperr.Invalid, "booking.error.bad_id")
		}
		staff = id
	}
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
	f := newForm("horizon_days", strconv.Itoa(a.HorizonDays), "min_notice", strconv.Itoa(int(a.MinNotice/time.Minute)))
	if a.HolidaysOpen {
		f.Values["holidays_open"] = "on"
	}
	for _, d := range weekdays {
		f.Values["week_"+d.String()] = intervalsText(a.Week[d])
	}
	rows := make([]exceptionRow, len(a.Exceptions))
	for i, ex := range a.Exceptions {
		rows[i] = exceptionRow{N: i, From: ex.From, To: ex.To, Reason: string(ex.Reason)}
		if !ex.Closed {
			rows[i].Hours = intervalsText(ex.Hours)
		}
	}
	p, err := h.availabilityData(c, staff, f, rows, saved)
	if err != nil {
		return err
	}
	return h.render(c, "booking_availability", false, p)
}

// maxExceptionRows bounds how many exception rows one form may post.
const maxExceptionRows = booking.MaxExceptions + 1

// parseIntervals reads a day's hours as the reception page writes them
// ("09:00-12:00, 13:00-16:30"), in order of their start.
func parseIntervals(s string) ([]booking.Interval, bool) {
	ivs, ok := reception.ParseIntervals(s)
	if !ok {
		return nil, false
	}
	out := make([]booking.Interval, len(ivs))
	for i, iv := range ivs {
		out[i] = booking.Interval{Start: iv.Start, End: iv.End}
	}
	slices.SortStableFunc(out, func(a, b booking.Interval) int { return cmp.Compare(a.Start, b.Start) })
	return out, true
}

func (h *bookingHandlers) availabilitySave(c *fiber.Ctx) error {
	staff, err := paramID(c, "staff")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := ownSchedule(ctx, staff); err != nil {
		return err
	}
	f := newForm("horizon_days", c.FormValue("horizon_days"), "min_notice", c.FormValue("min_notice"))
	a := booking.Availability{CounsellorID: staff, HorizonDays: atoiOr(c.FormValue("horizon_days"), 0),
		MinNotice: time.Duration(atoiOr(c.FormValue("min_notice"), -1)) * time.Minute, HolidaysOpen: c.FormValue("holidays_open") != ""}
	if a.HolidaysOpen {
		f.Values["holidays_open"] = "on"
	}
	var fe []apperr.FieldError
	for _, d := range weekdays {
		key := "week_" + d.String()
		f.Values[key] = c.FormValue(key)
		ivs, ok := parseIntervals(c.FormValue(key))
		if !ok {
			fe = append(fe, apperr.FieldError{Field: key, Key: "booking.error.hours_format"})
		}
		a.Week[d] = ivs
	}
	var rows []exceptionRow
	for i := range maxExceptionRows {
		n := strconv.Itoa(i)
		r := exceptionRow{N: len(rows), From: strings.TrimSpace(c.FormValue("exc_from_" + n)), To: strings.TrimSpace(c.FormValue("exc_to_" + n)),
			Hours: c.FormValue("exc_hours_" + n), Reason: c.FormValue("exc_reason_" + n)}
		if c.FormValue("exc_remove_"+n) != "" || (r.From == "" && r.To == "" && strings.TrimSpace(r.Hours) == "") {
			continue
		}
		if r.To == "" {
			r.To = r.From // one day
		}
		from, err1 := time.Parse(time.DateOnly, r.From)
		to, err2 := time.Parse(time.DateOnly, r.To)
		ivs, okHours := parseIntervals(r.Hours)
		switch {
		case err1 != nil || err2 != nil:
			r.ErrorKey = "booking.error.exception_dates"
		case to.Before(from):
			r.ErrorKey = "booking.error.exception_order"
		case !okHours:
			r.ErrorKey = "booking.error.hours_format"
		case r.Reason != "" && !slices.Contains(booking.Reasons, booking.Reason(r.Reason)):
			r.ErrorKey = "booking.error.exception_reason"
		}
		if r.ErrorKey != "" {
			fe = append(fe, apperr.FieldError{Field: "exc_" + strconv.Itoa(r.N), Key: r.ErrorKey})
		}
		rows = append(rows, r)
		a.Exceptions = append(a.Exceptions, booking.Exception{From: r.From, To: r.To, Closed: len(ivs) == 0, Hours: ivs, Reason: booking.Reason(r.Reason)})
	}
	if len(fe) > 0 {
		err = apperr.InvalidFields(fe...)
	} else if _, err = h.member(ctx, staff); err == nil {
		err = h.store.SaveAvailability(ctx, a)
	}
	if err == nil {
		q := "?klart=1"
		if staff != tenant.ActingFrom(ctx).AccountID {
			q += "&kurator=" + staff.String()
		}
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/bokning/tider"+q, fiber.StatusSeeOther)
	}
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	status := c.Response().StatusCode()
	p, perr := h.availabilityData(c, staff, f, rows, true)
	if perr != nil {
		return perr
	}
	c.Status(status)
	return h.render(c, "booking_availability", false, p)
}

// --- Settings ---

type settingsPage struct {
	bookingBase
	MaxKeep, MaxCutOff int
}

func (h *bookingHandlers) settingsData(c *fiber.Ctx, f form) settingsPage {
	return settingsPage{bookingBase: h.base(c, "settings", f), MaxKeep: booking.MaxKeepDays, MaxCutOff: int(booking.MaxCutOff / time.Minute)}
}

func (h *bookingHandlers) settingsPage(c *fiber.Ctx) error {
	st, err := h.store.Settings(c.UserContext())
	if err != nil {
		return err
	}
	f := newForm("keep_days", strconv.Itoa(st.KeepDays), "cutoff_minutes", strconv.Itoa(int(st.CutOff/time.Minute)))
	return h.render(c, "booking_settings", false, h.settingsData(c, f))
}

func (h *bookingHandlers) settingsSave(c *fiber.Ctx) error {
	f := newForm("keep_days", c.FormValue("keep_days"), "cutoff_minutes", c.FormValue("cutoff_minutes"))
	st := booking.Settings{KeepDays: atoiOr(c.FormValue("keep_days"), -1), CutOff: time.Duration(atoiOr(c.FormValue("cutoff_minutes"), -1)) * time.Minute}
	err := h.store.SaveSettings(c.UserContext(), st)
	if err == nil {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/bokning/installningar?klart=1", fiber.StatusSeeOther)
	}
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	return h.render(c, "booking_settings", false, h.settingsData(c, f))
}
