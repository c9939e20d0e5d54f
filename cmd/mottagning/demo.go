package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// DemoYouth is the demo youth account `seed` creates (password DemoPassword).
const DemoYouth = "demo-ung"

// demoTeam is one kommun's demo staff: who acts and who is booked.
type demoTeam struct {
	kommun     tenant.Kommun
	counsellor uuid.UUID
	admin      uuid.UUID
}

// demoTypes are the appointment types a demo kommun starts with.
var demoTypes = []booking.AppointmentType{
	{Name: "Besök på mottagningen", Mode: booking.ModeVisit, Duration: 45 * time.Minute,
		Questions: []string{"Vill du berätta lite om vad du vill prata om? Du behöver inte svara."}},
	{Name: "Telefonsamtal", Mode: booking.ModePhone, Duration: 30 * time.Minute},
	{Name: "Videosamtal", Mode: booking.ModeVideo, Duration: 30 * time.Minute},
	{Name: "Chatt med kurator", Mode: booking.ModeChat, Duration: 30 * time.Minute},
}

// demoDay is 08:00–20:00.
var demoDay = reception.Interval{Start: 8 * 60, End: 20 * 60}

// demoPage is the reception page of a demo kommun: open every day, the
// chat open 07:00–23:00 every day so it can be tried whenever, holidays
// open, and the registry's placeholder contact details.
func demoPage(k tenant.Kommun) reception.Page {
	p := reception.FromKommun(k)
	place := strings.TrimSuffix(k.Name, " kommun")
	p.DisplayName = "Ungdomsmottagningen i " + place
	p.Introduction = "Välkommen till oss! Hos oss kan du prata med en kurator om det du funderar på: " +
		"känslor, relationer, kropp, sex eller hur du har det hemma och i skolan. " +
		"Det är gratis, och du bestämmer själv hur mycket du vill berätta.\n\n" +
		"Du kan komma hit, ringa, ha ett videosamtal eller chatta med oss. " +
		"Boka en tid när det passar dig, eller skriv i chatten när den är öppen.\n\n" +
		"*Det här är en demo: adressen, telefonnumret och e-postadressen är påhittade.*"
	p.Services = reception.Services{Chat: true, Booking: true, Video: true}
	for d := range 7 {
		p.Hours[d] = []reception.Interval{demoDay}
		p.Services.ChatHours[d] = []reception.Interval{{Start: 7 * 60, End: 23 * 60}}
	}
	p.HolidaysOpen = true
	p.Languages = []string{"svenska", "engelska"}
	p.Accessibility = "Ingången har inga trappsteg och det finns en toalett som fungerar med rullstol."
	return p
}

// demoAvailability is a demo staff member's bookable hours.
func demoAvailability(staff uuid.UUID) booking.Availability {
	a := booking.Availability{CounsellorID: staff, HorizonDays: booking.DefaultHorizon, MinNotice: time.Hour, HolidaysOpen: true}
	for d := range 7 {
		a.Week[d] = []booking.Interval{{Start: demoDay.Start, End: demoDay.End}}
	}
	return a
}

// seedKommun gives a demo kommun what a new user needs to try everything:
// a published page, appointment types and bookable hours. It only creates
// what the kommun has none of, so what someone changed in the demo since
// stays as it is. It acts as the kommun's demo reception admin, as the
// admin pages do, and returns what it created.
func seedKommun(ctx context.Context, db *postgres.DB, t demoTeam) (string, error) {
	ctx = tenant.WithActing(ctx, tenant.Acting{Actor: tenant.ActorStaff, KommunID: t.kommun.ID,
		AccountID: t.admin, Role: authz.RoleReceptionAdmin})
	var did []string

	draft, err := db.ReceptionDraft(ctx)
	if err != nil {
		return "", err
	}
	_, err = db.PublishedReception(ctx, t.kommun.ID)
	switch {
	case apperr.Is(err, apperr.NotFound) && !draft.Saved:
		if err := db.SaveReceptionDraft(ctx, demoPage(t.kommun), string(audit.ReceptionDraftSave), ""); err != nil {
			return "", err
		}
		if err := db.PublishReception(ctx, reception.Page.ValidatePublish, string(audit.ReceptionPublish)); err != nil {
			return "", err
		}
		did = append(did, "page published")
	case err != nil && !apperr.Is(err, apperr.NotFound):
		return "", err
	}

	store := db.BookingStore()
	types, err := store.AllTypes(ctx)
	if err != nil {
		return "", err
	}
	if len(types) == 0 {
		for _, at := range demoTypes {
			at.Counsellors, at.OnlineBookable = []uuid.UUID{t.counsellor, t.admin}, true
			if _, err := store.SaveType(ctx, at); err != nil {
				return "", fmt.Errorf("type %q: %w", at.Name, err)
			}
		}
		did = append(did, fmt.Sprintf("%d appointment types", len(demoTypes)))
	}

	as, err := store.Availabilities(ctx)
	if err != nil {
		return "", err
	}
	has := map[uuid.UUID]bool{}
	for _, a := range as {
		has[a.CounsellorID] = true
	}
	hours := 0
	for _, staff := range []uuid.UUID{t.counsellor, t.admin} {
		if !has[staff] {
			if err := store.SaveAvailability(ctx, demoAvailability(staff)); err != nil {
				return "", err
			}
			hours++
		}
	}
	if hours > 0 {
		did = append(did, fmt.Sprintf("hours for %d staff", hours))
	}
	if len(did) == 0 {
		return "already there, left as it is", nil
	}
	return strings.Join(did, ", "), nil
}

// seedYouth registers the demo youth account as /registrera does, unless
// it exists (its password may have been changed since: left as it is).
func seedYouth(ctx context.Context, a *appCtx, db *postgres.DB) (bool, error) {
	accounts, err := account.NewService(db, account.DefaultHashParams,
		account.SessionPolicy{Idle: a.cfg.SessionIdle, Lifetime: a.cfg.SessionLifetime}, time.Now)
	if err != nil {
		return false, err
	}
	ctx = tenant.WithActing(ctx, tenant.Acting{Actor: tenant.ActorAnonymous})
	_, token, err := accounts.Register(ctx, DemoYouth, DemoPassword, "sv")
	if apperr.Is(err, apperr.Conflict) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// Registering signs in; nobody holds this session, so end it.
	return true, accounts.Logout(ctx, token)
}
