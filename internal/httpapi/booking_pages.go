package httpapi

import (
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/chat"
)

// The youth's booking pages: /:kommun/boka (choose a type and a free
// time, answer the optional questions) and /mina-bokningar (upcoming and
// past bookings in every kommun; cancel or rebook). They work without
// JavaScript: every choice is a link or a form.

var (
	svWeekdays = [...]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
	svMonths   = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
)

// bookingDay writes the Stockholm date of t as "tisdag 12 januari".
func bookingDay(lang string, t time.Time) string {
	t = t.In(booking.Stockholm)
	if lang == "en" {
		return t.Format("Monday 2 January")
	}
	return fmt.Sprintf("%s %d %s", svWeekdays[t.Weekday()], t.Day(), svMonths[t.Month()-1])
}

func bookingClock(t time.Time) string { return t.In(booking.Stockholm).Format("15:04") }

type bookingSlotView struct {
	Value string // counsellor id|RFC 3339 start
	Time  string
	ID    string
}

type bookingDayView struct {
	Day   string
	Slots []bookingSlotView
}

type bookingPage struct {
	form
	Kommun    string
	Slug      string
	Types     []booking.AppointmentType
	Type      *booking.AppointmentType
	Days      []bookingDayView
	Rebook    string // id of the booking being rebooked
	Questions []string
}

// bookingDaysShown bounds how many days of free times one page lists.
const bookingDaysShown = 14

func slotViews(lang string, slots []booking.Slot) []bookingDayView {
	var days []bookingDayView
	seen := map[int64]bool{}
	for _, s := range slots {
		if seen[s.Start.Unix()] {
			continue // one counsellor per start is enough to offer it
		}
		seen[s.Start.Unix()] = true
		d := bookingDay(lang, s.Start)
		if len(days) == 0 || days[len(days)-1].Day != d {
			if len(days) == bookingDaysShown {
				break
			}
			days = append(days, bookingDayView{Day: d})
		}
		v := s.CounsellorID.String() + "|" + s.Start.UTC().Format(time.RFC3339)
		days[len(days)-1].Slots = append(days[len(days)-1].Slots, bookingSlotView{Value: v, Time: bookingClock(s.Start), ID: fmt.Sprintf("slot-%d", s.Start.Unix())})
	}
	return days
}

func (h *bookingHandlers) bookPageData(c *fiber.Ctx, f form) (bookingPage, error) {
	ctx, k, err := youthIn(c)
	if err != nil {
		return bookingPage{}, err
	}
	p := bookingPage{form: f, Kommun: k.Name, Slug: k.Slug, Rebook: c.Query("omboka", c.FormValue("omboka"))}
	if p.Types, err = h.store.Types(ctx); err != nil {
		return p, err
	}
	typ := c.Query("typ", c.FormValue("typ"))
	if typ == "" {
		return p, nil
	}
	id, err := uuid.Parse(typ)
	if err != nil {
		return p, apperr.New(apperr.Invalid, "booking.error.bad_id")
	}
	for i := range p.Types {
		if p.Types[i].ID == id {
			p.Type = &p.Types[i]
		}
	}
	if p.Type == nil {
		return p, apperr.New(apperr.NotFound, "booking.error.type")
	}
	slots, err := h.store.FreeSlots(ctx, id, time.Time{}, time.Time{})
	if err != nil {
		return p, err
	}
	p.Days = slotViews(langOf(c), slots)
	if p.Rebook == "" {
		p.Questions = p.Type.Questions
	}
	return p, nil
}

func (h *bookingHandlers) bookPage(c *fiber.Ctx) error {
	p, err := h.bookPageData(c, newForm())
	if err != nil {
		return err
	}
	return h.render(c, "booking", true, p)
}

// parseSlot reads "counsellor|start" from the chosen radio button.
func parseSlot(v string) (uuid.UUID, time.Time, error) {
	for i := 0; i < len(v); i++ {
		if v[i] == '|' {
			id, err1 := uuid.Parse(v[:i])
			at, err2 := time.Parse(time.RFC3339, v[i+1:])
			if err1 == nil && err2 == nil {
				return id, at, nil
			}
			break
		}
	}
	return uuid.Nil, time.Time{}, apperr.InvalidFields(apperr.FieldError{Field: "slot", Key: "booking.error.choose_time"})
}

func (h *bookingHandlers) book(c *fiber.Ctx) error {
	ctx, k, err := youthIn(c)
	if err != nil {
		return err
	}
	f := newForm()
	typeID, terr := uuid.Parse(c.FormValue("typ"))
	counsellor, start, serr := parseSlot(c.FormValue("slot"))
	var answers []string
	for i := range booking.MaxQuestions {
		if v := c.FormValue(fmt.Sprintf("answer_%d", i)); v != "" || i == 0 {
			answers = append(answers, v)
		}
	}
	for i := len(answers) - 1; i >= 0 && answers[i] == ""; i-- {
		answers = answers[:i]
	}
	switch {
	case terr != nil:
		err = apperr.New(apperr.Invalid, "booking.error.bad_id")
	case serr != nil:
		err = serr
	default:
		req := booking.Request{TypeID: typeID, CounsellorID: counsellor, Start: start, Answers: answers}
		if re := c.FormValue("omboka"); re != "" {
			var old uuid.UUID
			if old, err = uuid.Parse(re); err != nil {
				err = apperr.New(apperr.Invalid, "booking.error.bad_id")
			} else {
				_, err = h.store.Rebook(ctx, k.ID, old, req)
			}
		} else {
			_, err = h.store.Book(ctx, req)
		}
	}
	if err == nil {
		return c.Redirect("/mina-bokningar?klart=1", fiber.StatusSeeOther)
	}
	if rerr := h.formError(c, &f, err); rerr != nil {
		return rerr
	}
	status := c.Response().StatusCode()
	p, perr := h.bookPageData(c, f)
	if perr != nil {
		return perr
	}
	if apperr.Is(err, apperr.Conflict) && p.Type != nil {
		// The nearest free alternatives first.
		alts, aerr := h.store.Alternatives(ctx, p.Type.ID, start, 3)
		if aerr != nil {
			return aerr
		}
		p.Days = append(slotViews(langOf(c), alts), p.Days...)
	}
	c.Status(status)
	return h.render(c, "booking", true, p)
}

type myBookingView struct {
	ID, Slug, Type, When, Status, Reason string
	RebookURL                            string
	KommunID                             uuid.UUID
	TypeID                               uuid.UUID
	Upcoming, Changeable                 bool
	ChatOpen                             bool // a chat appointment whose chat can be opened now (chatt/bokning/:id)
}

type myBookingsPage struct {
	Done           bool
	Upcoming, Past []myBookingView
	Chats          []ongoingChat // the youth's open conversations
}

func (h *bookingHandlers) myBookingsPage(c *fiber.Ctx) error {
	bs, err := h.store.MyBookings(c.UserContext())
	if err != nil {
		return err
	}
	lang := langOf(c)
	p := myBookingsPage{Done: c.Query("klart") == "1"}
	if p.Chats, err = h.ongoingChats(c.UserContext()); err != nil {
		return err
	}
	now := time.Now()
	for i := len(bs) - 1; i >= 0; i-- {
		b := bs[i]
		v := myBookingView{ID: b.ID.String(), Slug: b.KommunSlug, KommunID: b.KommunID, TypeID: b.TypeID, Type: b.TypeName,
			When:   bookingDay(lang, b.Start) + " " + bookingClock(b.Start),
			Status: h.tr.T(lang, "booking.status."+b.Status)}
		if b.CancelledBy == "staff" {
			v.Reason = b.CancelReason
		}
		if b.Mode == booking.ModeChat && b.Status == "booked" && v.Slug != "" && chat.InBookedWindow(b.Start, b.End, now) {
			v.ChatOpen = true
		}
		if b.Start.After(now) && b.Status == "booked" {
			v.Upcoming, v.Changeable = true, v.Slug != ""
			v.RebookURL = rebookLink(v.Slug, b.TypeID, b.ID)
			p.Upcoming = append(p.Upcoming, v)
		} else {
			p.Past = append([]myBookingView{v}, p.Past...)
		}
	}
	return h.render(c, "booking_mine", true, p)
}

func (h *bookingHandlers) cancelMine(c *fiber.Ctx) error {
	if err := h.cancelOwn(c); err != nil {
		return err
	}
	return c.Redirect("/mina-bokningar?klart=1", fiber.StatusSeeOther)
}

// rebookLink is where the rebook button of a booking leads.
func rebookLink(slug string, typeID, id uuid.UUID) string {
	return "/" + slug + "/boka?typ=" + url.QueryEscape(typeID.String()) + "&omboka=" + url.QueryEscape(id.String())
}
