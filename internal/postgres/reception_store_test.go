package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
	"github.com/storsthlm/mottagning/tenants"
)

func receptionKommuner(t *testing.T, db *postgres.DB) (nacka, solna tenant.Kommun) {
	t.Helper()
	system := pfActing(tenant.System())
	defs, err := tenant.LoadDir(tenants.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyKommuner(system, defs); err != nil {
		t.Fatal(err)
	}
	if nacka, err = db.KommunBySlug(system, "nacka"); err != nil {
		t.Fatal(err)
	}
	if solna, err = db.KommunBySlug(system, "solna"); err != nil {
		t.Fatal(err)
	}
	return nacka, solna
}

// TestP7_ReceptionDraftsAndAdminLogAreKommunControlled: a kommun's draft
// and admin log belong to that kommun (P7); row-level security keeps
// another kommun's staff, a platform admin and visitors from them (P5,
// P20), while a published page is public.
func TestP7_ReceptionDraftsAndAdminLogAreKommunControlled(t *testing.T) {
	t.Parallel()
	db, _ := testenv.DB(t)
	nacka, solna := receptionKommuner(t, db)
	staffID, err := db.UpsertStaff(pfActing(tenant.System()), postgres.NewStaff{Email: "admin@nacka.example", DisplayName: "Alva Admin", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	asNacka := pfActing(tenant.Acting{Actor: tenant.ActorStaff, KommunID: nacka.ID, AccountID: staffID, Role: "reception_admin"})
	page := reception.Page{DisplayName: "Nacka UM", Phone: "08-718 80 00", Email: "um@nacka.example",
		PrivacyPolicyURL: "https://www.nacka.se/integritet", Introduction: "hemligt utkast"}
	if err := db.SaveReceptionDraft(asNacka, page, "reception.save_draft", ""); err != nil {
		t.Fatal(err)
	}
	others := map[string]context.Context{
		"solna staff":       pfActing(tenant.Acting{Actor: tenant.ActorStaff, KommunID: solna.ID, AccountID: uuid.New(), Role: "reception_admin"}),
		"platform":          pfActing(tenant.Acting{Actor: tenant.ActorPlatform, AccountID: uuid.New()}),
		"platform in nacka": pfActing(tenant.Acting{Actor: tenant.ActorPlatform, KommunID: nacka.ID, AccountID: uuid.New()}),
		"anonymous":         pfActing(tenant.Acting{Actor: tenant.ActorAnonymous, KommunID: nacka.ID}),
		"no context":        context.Background(),
	}
	for name, ctx := range others {
		if d, err := db.ReceptionDraft(ctx); err == nil && d.Saved {
			t.Errorf("%s reads Nacka's draft", name)
		}
		if acts, err := db.AdminActions(ctx, nacka.CreatedAt.AddDate(10, 0, 0), 10); err == nil && len(acts) > 0 {
			t.Errorf("%s reads Nacka's admin log", name)
		}
		if err := db.PublishReception(ctx, func(reception.Page) error { return nil }, "reception.publish"); err == nil {
			t.Errorf("%s published a page", name)
		}
	}
	if _, err := db.PublishedReception(pfActing(tenant.Acting{Actor: tenant.ActorAnonymous}), nacka.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unpublished page: %v", err)
	}
	if err := db.PublishReception(asNacka, reception.Page.ValidatePublish, "reception.publish"); err != nil {
		t.Fatal(err)
	}
	pub, err := db.PublishedReception(pfActing(tenant.Acting{Actor: tenant.ActorAnonymous}), nacka.ID)
	if err != nil || pub.Page.DisplayName != "Nacka UM" {
		t.Fatalf("a visitor reads the published page: %+v %v", pub, err)
	}
	all, err := db.PublishedReceptions(pfActing(tenant.Acting{Actor: tenant.ActorAnonymous}))
	if err != nil || len(all) != 1 || all[nacka.ID].Page.Phone != "08-718 80 00" {
		t.Fatalf("all published pages in one read: %v %v", all, err)
	}
	acts, err := db.AdminActions(asNacka, nacka.CreatedAt.AddDate(10, 0, 0), 10)
	if err != nil || len(acts) != 2 || acts[0].Action != "reception.publish" || acts[0].StaffRole != "reception_admin" {
		t.Fatalf("Nacka's admin log: %+v %v", acts, err)
	}
}
