package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/booking"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// TestSeedGivesDemoKommunerEverythingToTry seeds a migrated database and
// checks what a new user meets in Nacka: a published page with the chat
// open, appointment types with free times, and a demo youth who can sign
// in; then that a second seed adds nothing and reverts nothing.
func TestSeedGivesDemoKommunerEverythingToTry(t *testing.T) {
	t.Parallel()
	d := testenv.NewDatabase(t)
	ctx := context.Background()
	env := getenv(map[string]string{"DATABASE_URL": d.AppURL})
	if err := run(ctx, []string{"tenants", "apply"}, env, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, env, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seed: nacka: page published, 4 appointment types, hours for 2 staff", "seed: solna: page published", `"demo-ung" created`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("seed printed %q; want a line with %q", out.String(), want)
		}
	}

	db, err := postgres.Open(ctx, d.AppURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	system := tenant.WithActing(ctx, tenant.System())
	nacka, err := db.KommunBySlug(system, "nacka")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := db.PublishedReception(system, nacka.ID)
	if err != nil {
		t.Fatalf("Nacka has no published page: %v", err)
	}
	wednesdayNoon := time.Date(2026, 12, 2, 12, 0, 0, 0, reception.Stockholm)
	if !pub.Page.Services.Chat || !pub.Page.ChatSchedule().At(wednesdayNoon).Open {
		t.Errorf("Nacka's chat is not open on a Wednesday at 12:00: %+v", pub.Page.Services)
	}
	if err := pub.Page.ValidatePublish(); err != nil {
		t.Errorf("the demo page does not pass publishing's check: %v", err)
	}

	accounts, err := account.NewService(db, account.DefaultHashParams, account.SessionPolicy{Idle: time.Hour, Lifetime: time.Hour}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	youth, _, err := accounts.Login(tenant.WithActing(ctx, tenant.Acting{Actor: tenant.ActorAnonymous}), DemoYouth, DemoPassword)
	if err != nil {
		t.Fatalf("the demo youth cannot sign in: %v", err)
	}
	asYouth := tenant.WithActing(ctx, tenant.Acting{Actor: tenant.ActorYouth, AccountID: youth, KommunID: nacka.ID})
	store := db.BookingStore()
	types, err := store.Types(asYouth)
	if err != nil || len(types) != len(demoTypes) {
		t.Fatalf("the youth sees %d types in Nacka (%v); want %d", len(types), err, len(demoTypes))
	}
	var visit booking.AppointmentType
	for _, ty := range types {
		if ty.Mode == booking.ModeVisit {
			visit = ty
		}
	}
	if len(visit.Questions) != 1 || len(visit.Counsellors) != 2 {
		t.Errorf("the visit type has %d questions and %d counsellors; want 1 and 2", len(visit.Questions), len(visit.Counsellors))
	}
	slots, err := store.FreeSlots(asYouth, visit.ID, time.Time{}, time.Time{})
	if err != nil || len(slots) == 0 {
		t.Fatalf("no free times for %q in Nacka (%v)", visit.Name, err)
	}
	if first := time.Until(slots[0].Start); first < time.Hour-time.Minute || first > 25*time.Hour {
		t.Errorf("the first free time is %s away; want within a day, after the hour's notice", first)
	}

	// Someone renames a type in the demo; the next `make run` seeds again.
	visit.Name = "Besök (ändrat)"
	asAdmin := tenant.WithActing(ctx, tenant.System().ForKommun(nacka.ID))
	if _, err := store.SaveType(asAdmin, visit); err != nil {
		t.Fatal(err)
	}
	before := seedCounts(t, d)
	out.Reset()
	if err := run(ctx, []string{"seed"}, env, &out); err != nil {
		t.Fatal(err)
	}
	if after := seedCounts(t, d); after != before {
		t.Errorf("a second seed changed the counts from %+v to %+v", before, after)
	}
	if !strings.Contains(out.String(), "seed: nacka: already there") || !strings.Contains(out.String(), `"demo-ung" already there`) {
		t.Errorf("second seed printed %q", out.String())
	}
	types, err = store.Types(asYouth)
	if err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, ty := range types {
		renamed = renamed || ty.ID == visit.ID && ty.Name == "Besök (ändrat)"
	}
	if !renamed {
		t.Error("the second seed reverted the renamed type")
	}
}

type demoCounts struct{ Types, Counsellors, Hours, Pages, Accounts, Sessions, Staff int }

// seedCounts counts the demo data's rows as the administrative role.
func seedCounts(t *testing.T, d testenv.Database) (c demoCounts) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, d.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM app.booking_type), (SELECT count(*) FROM app.booking_type_counsellor),
		(SELECT count(*) FROM app.booking_availability), (SELECT count(*) FROM app.reception_page),
		(SELECT count(*) FROM app.account), (SELECT count(*) FROM app.session), (SELECT count(*) FROM app.staff)`).
		Scan(&c.Types, &c.Counsellors, &c.Hours, &c.Pages, &c.Accounts, &c.Sessions, &c.Staff)
	if err != nil {
		t.Fatal(err)
	}
	if c.Types != 8 || c.Counsellors != 16 || c.Hours != 4 || c.Pages != 2 || c.Accounts != 1 {
		t.Errorf("demo data %+v; want 8 types offered 16 times, 4 staff hours, 2 pages, 1 youth account", c)
	}
	return c
}
