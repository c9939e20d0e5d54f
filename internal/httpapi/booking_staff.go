package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// The counsellors' calendar: /personal/:kommun/kalender shows a day or a
// week of bookings (a counsellor's own; a reception admin's the whole
// reception), each opened on its own page, which writes the access-log
// entry (P14), and cancelled there with a reason (the youth gets a
// neutral notice).

// calendarOwner returns whose bookings the staff member of c sees: their
// own (uuid.Nil, all, for a reception admin).
func calendarOwner(c *fiber.Ctx) uuid.UUID {
	a := tenant.ActingFrom(c.UserContext())
	if a.Role == "reception_admin" {
		return uuid.Nil
	}
	return a.AccountID
}

type calendarEntry struct {
	ID, Time, Type, Counsellor, Status string
	Cancelled                          bool
}

type calendarDay struct {
	Day     string
	Entries []calendarEntry
}

type calendarPage struct {
	Nav                      bookingNav
	Notice                   string
	Slug, Kommun             string
	Week                     bool
	Days                     []calendarDay
	Prev, Next, Today, Other string
	Heading                  string
}

func (h *bookingHandlers) calendarPage(c *fiber.Ctx) error {
	k := kommunFrom(c)
	lang := langOf(c)
	week := c.Query("vy") == "vecka"
	day := time.Now().In(booking.Stockholm)
	if v := c.Query("datum"); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, booking.Stockholm)
		if err != nil {
			return apperr.New(apperr.Invalid, "booking.error.bad_time")
		}
		day = d
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, booking.Stockholm)
	n := 1
	if week {
		from = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7)) // Monday
		n = 7
	}
	to := from.AddDate(0, 0, n)
	bs, err := h.store.Calendar(c.UserContext(), calendarOwner(c), from, to)
	if err != nil {
		return err
	}
	p := calendarPage{Nav: navFor(c, "calendar"), Slug: k.Slug, Kommun: k.Name, Week: week}
	if c.Query("flyttad") != "" {
		p.Notice = h.tr.T(lang, "booking.move.done")
	}
	vy := "dag"
	if week {
		vy = "vecka"
	}
	link := func(d time.Time, v string) string {
		return "/personal/" + k.Slug + "/kalender?vy=" + v + "&datum=" + d.Format(time.DateOnly)
	}
	p.Prev, p.Next = link(from.AddDate(0, 0, -n), vy), link(to, vy)
	p.Today = link(time.Now().In(booking.Stockholm), vy)
	if week {
		p.Other = link(from, "dag")
	} else {
		p.Other = link(from, "vecka")
	}
	for i := range n {
		d := from.AddDate(0, 0, i)
		cd := calendarDay{Day: bookingDay(lang, d)}
		for _, b := range bs {
			if y, m, dd := b.Start.In(booking.Stockholm).Date(); y == d.Year() && m == d.Month() && dd == d.Day() {
				cd.Entries = append(cd.Entries, calendarEntry{ID: b.ID.String(), Time: bookingClock(b.Start) + "–" + bookingClock(b.End),
					Type: b.TypeName, Counsellor: b.Counsellor, Status: h.tr.T(lang, "booking.status."+b.Status), Cancelled: b.Status != "booked"})
			}
		}
		p.Days = append(p.Days, cd)
	}
	return h.render(c, "booking_calendar", false, p)
}

type calendarDetailPage struct {
	form
	Nav                                                bookingNav
	Slug, ID, When, Type, Counsellor, Username, Status string
	Booked                                             bool
	// ChatOpen offers the booked chat (chat_booked.go) to the booking's
	// counsellor while its window is open.
	ChatOpen bool
	QA       []struct{ Q, A string }
	// Move: the free times of the booking's type by counsellor offering
	// it, the booking's own counsellor first.
	MoveGroups []moveGroup
}

type moveGroup struct {
	Counsellor string
	Slots      []moveSlot
}

type moveSlot struct {
	Value, Label string
	Selected     bool
}

// moveSlotsShown bounds the free times the move form lists per counsellor.
const moveSlotsShown = 40

func (h *bookingHandlers) moveGroups(c *fiber.Ctx, b booking.Booking, chosen string) ([]moveGroup, error) {
	ctx, lang := c.UserContext(), langOf(c)
	slots, err := h.store.FreeSlots(ctx, b.TypeID, time.Time{}, time.Time{})
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil // a switched-off type: no new times, the booking can still be cancelled
	}
	if err != nil {
		return nil, err
	}
	_, names, err := h.names(ctx)
	if err != nil {
		return nil, err
	}
	var out []moveGroup
	at := map[uuid.UUID]int{}
	for _, s := range slots { // in order of start
		i, ok := at[s.CounsellorID]
		if !ok {
			i = len(out)
			at[s.CounsellorID] = i
			out = append(out, moveGroup{Counsellor: names[s.CounsellorID]})
		}
		if len(out[i].Slots) == moveSlotsShown {
			continue
		}
		v := s.CounsellorID.String() + "|" + s.Start.UTC().Format(time.RFC3339)
		out[i].Slots = append(out[i].Slots, moveSlot{Value: v, Selected: v == chosen, Label: bookingDay(lang, s.Start) + " " + bookingClock(s.Start)})
	}
	if i, ok := at[b.CounsellorID]; ok && i > 0 {
		own := out[i]
		out = append(out[:i], out[i+1:]...)
		out = append([]moveGroup{own}, out...)
	}
	return out, nil
}

func (h *bookingHandlers) detailData(c *fiber.Ctx, f form) (calendarDetailPage, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return calendarDetailPage{}, err
	}
	b, err := h.store.BookingDetail(c.UserContext(), id)
	if err != nil {
		return calendarDetailPage{}, err
	}
	lang := langOf(c)
	p := calendarDetailPage{form: f, Nav: navFor(c, "calendar"), Slug: kommunFrom(c).Slug, ID: b.ID.String(), When: bookingDay(lang, b.Start) + " " + bookingClock(b.Start) + "–" + bookingClock(b.End),
		Type: b.TypeName, Counsellor: b.Counsellor, Username: b.Username, Status: h.tr.T(lang, "booking.status."+b.Status),
		Booked: b.Status == "booked" && b.Start.After(time.Now())}
	if b.Mode == booking.ModeChat && b.Status == "booked" && b.AccountID != uuid.Nil &&
		b.CounsellorID == tenant.ActingFrom(c.UserContext()).AccountID && chat.InBookedWindow(b.Start, b.End, h.receptionNow()) {
		p.ChatOpen = true
	}
	for i, q := range b.Questions {
		if i < len(b.Answers) && b.Answers[i] != "" {
			p.QA = append(p.QA, struct{ Q, A string }{q, b.Answers[i]})
		}
	}
	if p.Booked {
		if p.MoveGroups, err = h.moveGroups(c, b, f.Values["slot"]); err != nil {
			return p, err
		}
	}
	return p, nil
}

// calendarMove moves a booking to the chosen free time (of the same or
// another counsellor offering its type) with a reason kept at the
// reception, atomically: the old time is released only if the new one is
// taken. The youth gets the neutral booking_changed notice.
func (h *bookingHandlers) calendarMove(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	reason := c.FormValue("move_reason")
	slot := c.FormValue("slot")
	counsellor, at, err := parseSlot(slot)
	var nb booking.Booking
	if err == nil {
		nb, err = h.store.Move(c.UserContext(), kommunFrom(c).ID, id, booking.Request{CounsellorID: counsellor, Start: at}, reason)
	}
	if err == nil {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/kalender?flyttad=1&datum="+nb.Start.In(booking.Stockholm).Format(time.DateOnly), fiber.StatusSeeOther)
	}
	f := newForm("move_reason", reason, "slot", slot)
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	if msg, ok := f.Errors["reason"]; ok { // the move form's own reason field
		f.Errors["move_reason"] = msg
		delete(f.Errors, "reason")
	}
	status := c.Response().StatusCode()
	p, perr := h.detailData(c, f)
	if perr != nil {
		return perr
	}
	c.Status(status)
	return h.render(c, "booking_detail", false, p)
}

func (h *bookingHandlers) calendarDetail(c *fiber.Ctx) error {
	p, err := h.detailData(c, newForm())
	if err != nil {
		return err
	}
	return h.render(c, "booking_detail", false, p)
}

func (h *bookingHandlers) calendarCancel(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	err = h.store.Cancel(c.UserContext(), kommunFrom(c).ID, id, reason)
	if err == nil {
		return c.Redirect("/personal/"+kommunFrom(c).Slug+"/kalender", fiber.StatusSeeOther)
	}
	f := newForm("reason", reason)
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	status := c.Response().StatusCode()
	p, perr := h.detailData(c, f)
	if perr != nil {
		return perr
	}
	c.Status(status)
	return h.render(c, "booking_detail", false, p)
}
