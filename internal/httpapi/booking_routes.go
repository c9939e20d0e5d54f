package httpapi

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// bookingDB is what booking needs from the database (postgres.DB).
type bookingDB interface {
	Booking() booking.Store
	BookingDeletionHook() account.DeletionHook
}

// bookingDeletionHooks are the hooks every account deletion runs for
// booking (P16, P24): the youth's future bookings are cancelled.
func (s *Server) bookingDeletionHooks() []account.DeletionHook {
	if db, ok := s.accountDB.(bookingDB); ok {
		return []account.DeletionHook{db.BookingDeletionHook()}
	}
	return nil
}

type bookingHandlers struct {
	*Server
	store booking.Store
}

// bookingRoutes registers the routes of booking: schedules, free times, book, rebook, cancel (issue 6).
func (s *Server) bookingRoutes(app *fiber.App, api fiber.Router) {
	db, ok := s.accountDB.(bookingDB)
	if !ok {
		return
	}
	h := &bookingHandlers{Server: s, store: db.Booking()}

	// Youth: any kommun's reception (free choice), their own bookings only.
	app.Get("/mina-bokningar", s.requireYouth, h.myBookingsPage)
	app.Get("/:kommun/boka", s.resolveKommun, s.requireYouth, h.bookPage)
	app.Post("/:kommun/boka", s.resolveKommun, s.requireYouth, h.book)
	app.Post("/:kommun/bokningar/:id/avboka", s.resolveKommun, s.requireYouth, h.cancelMine)
	// Staff and platform admins are known actors who may not act as youth
	// here: 403, not a prompt to sign in (P5, P20).
	youth := func(hs ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{s.resolveKommun, notAsStaff, s.requireYouth}, hs...)
	}
	api.Get("/kommuner/:kommun/booking/types", youth(h.apiTypes)...)
	api.Get("/kommuner/:kommun/booking/types/:type/slots", youth(h.apiSlots)...)
	api.Post("/kommuner/:kommun/bookings", youth(h.apiBook)...)
	api.Get("/kommuner/:kommun/bookings/:id", youth(h.apiMine)...)
	api.Delete("/kommuner/:kommun/bookings/:id", youth(h.apiCancel)...)
	api.Post("/kommuner/:kommun/bookings/:id/rebook", youth(h.apiRebook)...)
	api.Get("/bookings", s.requireYouth, h.apiMyBookings)

	// Staff: their kommun only (P5), every read of a booking logged (P14).
	in := func(obj, act string, hs ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{s.resolveKommun, s.requireStaff, s.actAsKommunStaff, s.require(obj, act)}, hs...)
	}
	app.Get("/personal/:kommun/kalender", in(authz.ObjBooking, authz.ActRead, h.calendarPage)...)
	app.Get("/personal/:kommun/kalender/:id", in(authz.ObjBooking, authz.ActRead, h.calendarDetail)...)
	app.Post("/personal/:kommun/kalender/:id/avboka", in(authz.ObjBooking, authz.ActCancel, h.calendarCancel)...)
	api.Get("/kommuner/:kommun/calendar", in(authz.ObjBooking, authz.ActRead, h.apiCalendar)...)
	api.Get("/kommuner/:kommun/calendar/bookings/:id", in(authz.ObjBooking, authz.ActRead, h.apiDetail)...)
	api.Post("/kommuner/:kommun/calendar/bookings/:id/cancel", in(authz.ObjBooking, authz.ActCancel, h.apiStaffCancel)...)
	api.Post("/kommuner/:kommun/calendar/bookings/:id/move", in(authz.ObjBooking, authz.ActEdit, h.apiStaffMove)...)
	api.Post("/kommuner/:kommun/booking/types", in(authz.ObjAppointmentType, authz.ActEdit, h.apiSaveType)...)
	api.Put("/kommuner/:kommun/booking/availability/:staff", in(authz.ObjSchedule, authz.ActEdit, h.apiSaveAvailability)...)

	// Staff: booking administration (booking_admin*.go). The youth's
	// /booking/types lists only bookable types; staff read all of them
	// under /booking/admin/types.
	api.Get("/kommuner/:kommun/booking/admin/types", in(authz.ObjAppointmentType, authz.ActRead, h.apiStaffTypes)...)
	api.Get("/kommuner/:kommun/booking/admin/types/:type", in(authz.ObjAppointmentType, authz.ActRead, h.apiStaffType)...)
	api.Put("/kommuner/:kommun/booking/admin/types/:type", in(authz.ObjAppointmentType, authz.ActEdit, h.apiUpdateType)...)
	api.Put("/kommuner/:kommun/booking/admin/types/:type/active", in(authz.ObjAppointmentType, authz.ActEdit, h.apiSetTypeActive)...)
	api.Delete("/kommuner/:kommun/booking/admin/types/:type", in(authz.ObjAppointmentType, authz.ActEdit, h.apiDeleteType)...)
	api.Get("/kommuner/:kommun/booking/availability/:staff", in(authz.ObjSchedule, authz.ActRead, h.apiAvailability)...)
	// The kommun's booking rules belong with its appointment types: a
	// reception admin sets them, every counsellor may read them.
	api.Get("/kommuner/:kommun/booking/settings", in(authz.ObjAppointmentType, authz.ActRead, h.apiSettings)...)
	api.Put("/kommuner/:kommun/booking/settings", in(authz.ObjAppointmentType, authz.ActEdit, h.apiSaveSettings)...)

	app.Get("/personal/:kommun/bokning/typer", in(authz.ObjAppointmentType, authz.ActRead, h.typesPage)...)
	app.Get("/personal/:kommun/bokning/typer/ny", in(authz.ObjAppointmentType, authz.ActEdit, h.typeNewPage)...)
	app.Post("/personal/:kommun/bokning/typer", in(authz.ObjAppointmentType, authz.ActEdit, h.typeCreate)...)
	app.Get("/personal/:kommun/bokning/typer/:type", in(authz.ObjAppointmentType, authz.ActEdit, h.typeEditPage)...)
	app.Post("/personal/:kommun/bokning/typer/:type", in(authz.ObjAppointmentType, authz.ActEdit, h.typeUpdate)...)
	app.Post("/personal/:kommun/bokning/typer/:type/aktiv", in(authz.ObjAppointmentType, authz.ActEdit, h.typeSetActive)...)
	app.Post("/personal/:kommun/bokning/typer/:type/ta-bort", in(authz.ObjAppointmentType, authz.ActEdit, h.typeDelete)...)
	app.Get("/personal/:kommun/bokning/tider", in(authz.ObjSchedule, authz.ActRead, h.availabilityPage)...)
	app.Post("/personal/:kommun/bokning/tider/:staff", in(authz.ObjSchedule, authz.ActEdit, h.availabilitySave)...)
	app.Get("/personal/:kommun/bokning/installningar", in(authz.ObjAppointmentType, authz.ActRead, h.settingsPage)...)
	app.Post("/personal/:kommun/bokning/installningar", in(authz.ObjAppointmentType, authz.ActEdit, h.settingsSave)...)
	app.Post("/personal/:kommun/kalender/:id/flytta", in(authz.ObjBooking, authz.ActEdit, h.calendarMove)...)
}

// notAsStaff refuses a request carrying a staff session.
func notAsStaff(c *fiber.Ctx) error {
	if _, staff := staffSessionFrom(c); staff {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	return c.Next()
}

// youthIn returns the request's context acting for the youth in the
// kommun of the path, which must serve youth.
func youthIn(c *fiber.Ctx) (context.Context, tenant.Kommun, error) {
	k := kommunFrom(c)
	if !k.Active() {
		return nil, k, apperr.New(apperr.Unavailable, "booking.error.kommun_closed")
	}
	a := tenant.ActingFrom(c.UserContext())
	return tenant.WithActing(c.UserContext(), a.ForKommun(k.ID)), k, nil
}

func paramID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.Invalid, "booking.error.bad_id")
	}
	return id, nil
}

// jsonSlot, jsonType and jsonBooking are the API's shapes.
type jsonSlot struct {
	CounsellorID uuid.UUID `json:"counsellor_id"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
}

type jsonType struct {
	ID              uuid.UUID    `json:"id"`
	Name            string       `json:"name"`
	Mode            booking.Mode `json:"mode"`
	DurationMinutes int          `json:"duration_minutes"`
	Questions       []string     `json:"questions"`
}

type jsonBooking struct {
	ID           uuid.UUID    `json:"id"`
	KommunID     uuid.UUID    `json:"kommun_id"`
	TypeID       uuid.UUID    `json:"type_id"`
	TypeName     string       `json:"type_name"`
	CounsellorID uuid.UUID    `json:"counsellor_id"`
	Counsellor   string       `json:"counsellor,omitempty"`
	Mode         booking.Mode `json:"mode"`
	Start        time.Time    `json:"start"`
	End          time.Time    `json:"end"`
	Status       string       `json:"status"`
	CancelReason string       `json:"cancel_reason,omitempty"`
	Questions    []string     `json:"questions,omitempty"`
	Answers      []string     `json:"answers,omitempty"`
	Username     string       `json:"username,omitempty"`
}

func slotsJSON(ss []booking.Slot) []jsonSlot {
	out := make([]jsonSlot, len(ss))
	for i, s := range ss {
		out[i] = jsonSlot{CounsellorID: s.CounsellorID, Start: s.Start, End: s.End}
	}
	return out
}

func bookingJSON(b booking.Booking) jsonBooking {
	j := jsonBooking{ID: b.ID, KommunID: b.KommunID, TypeID: b.TypeID, TypeName: b.TypeName, CounsellorID: b.CounsellorID,
		Counsellor: b.Counsellor, Mode: b.Mode, Start: b.Start, End: b.End, Status: b.Status, Answers: b.Answers, Username: b.Username}
	if b.Answers != nil {
		j.Questions = b.Questions
	}
	if b.CancelledBy == "staff" {
		j.CancelReason = b.CancelReason
	}
	return j
}

func bookingsJSON(bs []booking.Booking) []jsonBooking {
	out := make([]jsonBooking, len(bs))
	for i, b := range bs {
		out[i] = bookingJSON(b)
	}
	return out
}

func (h *bookingHandlers) apiTypes(c *fiber.Ctx) error {
	ctx, _, err := youthIn(c)
	if err != nil {
		return err
	}
	ts, err := h.store.Types(ctx)
	if err != nil {
		return err
	}
	out := make([]jsonType, len(ts))
	for i, t := range ts {
		out[i] = jsonType{ID: t.ID, Name: t.Name, Mode: t.Mode, DurationMinutes: int(t.Duration / time.Minute), Questions: t.Questions}
	}
	return c.JSON(fiber.Map{"types": out})
}

// timeQuery parses an RFC 3339 query parameter; empty is the zero time.
func timeQuery(c *fiber.Ctx, name string) (time.Time, error) {
	v := strings.ReplaceAll(c.Query(name), " ", "+") // an unescaped "+01:00"
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, apperr.InvalidFields(apperr.FieldError{Field: name, Key: "booking.error.bad_time"})
	}
	return t, nil
}

func (h *bookingHandlers) apiSlots(c *fiber.Ctx) error {
	ctx, _, err := youthIn(c)
	if err != nil {
		return err
	}
	typeID, err := paramID(c, "type")
	if err != nil {
		return err
	}
	from, err := timeQuery(c, "from")
	if err != nil {
		return err
	}
	to, err := timeQuery(c, "to")
	if err != nil {
		return err
	}
	slots, err := h.store.FreeSlots(ctx, typeID, from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"slots": slotsJSON(slots)})
}

type bookRequest struct {
	TypeID       uuid.UUID `json:"type_id"`
	CounsellorID uuid.UUID `json:"counsellor_id"`
	Start        time.Time `json:"start"`
	Answers      []string  `json:"answers"`
}

func (r bookRequest) request() booking.Request {
	return booking.Request{TypeID: r.TypeID, CounsellorID: r.CounsellorID, Start: r.Start, Answers: r.Answers}
}

func parseBody(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return apperr.New(apperr.Invalid, "booking.error.bad_request")
	}
	return nil
}

// taken answers a conflict with the friendly message and the nearest free
// alternatives.
func (h *bookingHandlers) taken(c *fiber.Ctx, ctx context.Context, typeID uuid.UUID, at time.Time, err error) error {
	if e := apperr.As(err); e == nil || e.Kind != apperr.Conflict || e.Key != "booking.error.taken" {
		return err
	}
	alts, aerr := h.store.Alternatives(ctx, typeID, at, 3)
	if aerr != nil {
		return aerr
	}
	var body apiError
	body.Error.Kind, body.Error.Message, body.RequestID = apperr.Conflict.String(), h.tr.T(langOf(c), "booking.error.taken"), requestID(c)
	return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": body.Error, "request_id": body.RequestID, "alternatives": slotsJSON(alts)})
}

func (h *bookingHandlers) apiBook(c *fiber.Ctx) error {
	ctx, _, err := youthIn(c)
	if err != nil {
		return err
	}
	var r bookRequest
	if err := parseBody(c, &r); err != nil {
		return err
	}
	b, err := h.store.Book(ctx, r.request())
	if err != nil {
		return h.taken(c, ctx, r.TypeID, r.Start, err)
	}
	return c.Status(fiber.StatusCreated).JSON(bookingJSON(b))
}

func (h *bookingHandlers) apiMyBookings(c *fiber.Ctx) error {
	bs, err := h.store.MyBookings(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"bookings": bookingsJSON(bs)})
}

func (h *bookingHandlers) apiMine(c *fiber.Ctx) error {
	ctx, k, err := youthIn(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	b, err := h.store.MyBooking(ctx, k.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(bookingJSON(b))
}

func (h *bookingHandlers) apiCancel(c *fiber.Ctx) error {
	if err := h.cancelOwn(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// cancelOwn cancels the signed-in youth's booking :id in the kommun of c
// (the page and the API answer it differently).
func (h *bookingHandlers) cancelOwn(c *fiber.Ctx) error {
	ctx, k, err := youthIn(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	return h.store.Cancel(ctx, k.ID, id, "")
}

func (h *bookingHandlers) apiRebook(c *fiber.Ctx) error {
	ctx, k, err := youthIn(c)
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var r bookRequest
	if err := parseBody(c, &r); err != nil {
		return err
	}
	old, err := h.store.MyBooking(ctx, k.ID, id)
	if err != nil {
		return err
	}
	b, err := h.store.Rebook(ctx, k.ID, id, r.request())
	if err != nil {
		return h.taken(c, ctx, old.TypeID, r.Start, err)
	}
	return c.JSON(bookingJSON(b))
}

func (h *bookingHandlers) apiCalendar(c *fiber.Ctx) error {
	from, err := timeQuery(c, "from")
	if err != nil {
		return err
	}
	to, err := timeQuery(c, "to")
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = time.Now().Truncate(24 * time.Hour)
	}
	if to.IsZero() || to.Sub(from) > 31*24*time.Hour || !to.After(from) {
		to = from.AddDate(0, 0, 7)
	}
	counsellor := uuid.Nil
	if v := c.Query("counsellor"); v != "" {
		if counsellor, err = uuid.Parse(v); err != nil {
			return apperr.New(apperr.Invalid, "booking.error.bad_id")
		}
	}
	if own := calendarOwner(c); own != uuid.Nil {
		counsellor = own // a counsellor's calendar is their own
	}
	bs, err := h.store.Calendar(c.UserContext(), counsellor, from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"bookings": bookingsJSON(bs)})
}

func (h *bookingHandlers) apiDetail(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	b, err := h.store.BookingDetail(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(bookingJSON(b))
}

func (h *bookingHandlers) apiStaffCancel(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var r struct {
		Reason string `json:"reason"`
	}
	if err := parseBody(c, &r); err != nil {
		return err
	}
	if err := h.store.Cancel(c.UserContext(), kommunFrom(c).ID, id, r.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type typeRequest struct {
	Name            string      `json:"name"`
	Mode            string      `json:"mode"`
	DurationMinutes int         `json:"duration_minutes"`
	BufferMinutes   int         `json:"buffer_minutes"`
	Counsellors     []uuid.UUID `json:"counsellors"`
	Online          bool        `json:"online"`
	Questions       []string    `json:"questions"`
}

func (h *bookingHandlers) apiSaveType(c *fiber.Ctx) error {
	var r typeRequest
	if err := parseBody(c, &r); err != nil {
		return err
	}
	id, err := h.store.SaveType(c.UserContext(), r.appointmentType(uuid.Nil))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id})
}

type availabilityRequest struct {
	Week          booking.Week        `json:"week"`
	Exceptions    []booking.Exception `json:"exceptions"`
	HorizonDays   int                 `json:"horizon_days"`
	MinNoticeMins int                 `json:"min_notice_minutes"`
	HolidaysOpen  bool                `json:"holidays_open"`
}

func (h *bookingHandlers) apiSaveAvailability(c *fiber.Ctx) error {
	staff, err := paramID(c, "staff")
	if err != nil {
		return err
	}
	// A counsellor edits only their own schedule (policies/policy.csv).
	if err := ownSchedule(c.UserContext(), staff); err != nil {
		return err
	}
	var r availabilityRequest
	if err := parseBody(c, &r); err != nil {
		return err
	}
	err = h.store.SaveAvailability(c.UserContext(), booking.Availability{CounsellorID: staff, Week: r.Week, Exceptions: r.Exceptions,
		HorizonDays: r.HorizonDays, MinNotice: time.Duration(r.MinNoticeMins) * time.Minute, HolidaysOpen: r.HolidaysOpen})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *bookingHandlers) apiStaffMove(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var r struct {
		bookRequest
		Reason string `json:"reason"`
	}
	if err := parseBody(c, &r); err != nil {
		return err
	}
	b, err := h.store.Move(c.UserContext(), kommunFrom(c).ID, id, r.request(), r.Reason)
	if err != nil {
		return err
	}
	return c.JSON(bookingJSON(b))
}
