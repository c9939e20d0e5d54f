package postgres_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/tenant"
)

var _ account.StaffStore = (*postgres.DB)(nil)

func TestStaffTOTPStepAndRecoveryCodeWorkOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if err := w.db.SetStaffPendingTOTP(ctx, w.staffA, "v1:pending"); err != nil {
		t.Fatal(err)
	}
	if err := w.db.EnableStaffTOTP(ctx, w.staffA, "v1:other", 100, nil); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("enabling a secret that is not the pending one: %v; want Conflict", err)
	}
	code := bytes.Repeat([]byte{1}, 32)
	if err := w.db.EnableStaffTOTP(ctx, w.staffA, "v1:pending", 100, [][]byte{code, bytes.Repeat([]byte{2}, 32)}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.EnableStaffTOTP(ctx, w.staffA, "v1:pending", 101, nil); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("enabling twice: %v; want Conflict", err)
	}
	if err := w.db.SetStaffPendingTOTP(ctx, w.staffA, "v1:new"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("replacing an enabled secret: %v; want Conflict", err)
	}
	for step, want := range map[int64]bool{99: false, 100: false} {
		if err := w.db.UseStaffTOTPStep(ctx, w.staffA, step); (err == nil) != want {
			t.Errorf("step %d after enrolment at 100: %v", step, err)
		}
	}
	if err := w.db.UseStaffTOTPStep(ctx, w.staffA, 101); err != nil {
		t.Fatal(err)
	}
	if err := w.db.UseStaffTOTPStep(ctx, w.staffA, 101); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("step 101 twice: %v; want Conflict", err)
	}
	if err := w.db.UseStaffRecoveryCode(ctx, w.staffA, code); err != nil {
		t.Fatal(err)
	}
	if err := w.db.UseStaffRecoveryCode(ctx, w.staffA, code); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("recovery code twice: %v; want NotFound", err)
	}
	if err := w.db.UseStaffRecoveryCode(ctx, w.staffB, bytes.Repeat([]byte{2}, 32)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another staff member's recovery code: %v; want NotFound", err)
	}
	st, err := w.db.StaffTOTP(ctx, w.staffA)
	if err != nil || !st.Enabled || st.SealedSecret != "v1:pending" || st.Email != "a@nacka.example" {
		t.Fatalf("StaffTOTP = %+v, %v", st, err)
	}

	// A reset turns TOTP off and spends nothing that could be reused.
	if err := w.db.ResetStaffTOTP(ctx, w.staffA); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.db.StaffTOTP(ctx, w.staffA); st.Enabled || st.SealedSecret != "" {
		t.Errorf("after reset: %+v", st)
	}
	if err := w.db.UseStaffRecoveryCode(ctx, w.staffA, bytes.Repeat([]byte{2}, 32)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a recovery code survived the reset: %v", err)
	}
	if err := w.db.ResetStaffTOTP(ctx, uuid.New()); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("reset of an unknown staff member: %v; want NotFound", err)
	}
}

func TestAcceptStaffInvitationIsAllOrNothingAndOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	hash := bytes.Repeat([]byte{9}, 32)
	if _, err := w.db.CreateStaffInvitation(w.systemCtx, account.NewInvitation{TokenHash: hash, Email: "ny@nacka.example",
		KommunID: w.a.ID, Role: "counsellor", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	id, err := w.db.AcceptStaffInvitation(ctx, hash, "Ny Kurator", "$argon2id$x")
	if err != nil {
		t.Fatal(err)
	}
	o, err := w.db.StaffOverview(ctx, id)
	if err != nil || o.DisplayName != "Ny Kurator" || len(o.Roles) != 1 || o.Roles[0].KommunSlug != "nacka" || o.Roles[0].Role != "counsellor" || o.PlatformAdmin {
		t.Fatalf("after accepting: %+v, %v", o, err)
	}
	if _, err := w.db.AcceptStaffInvitation(ctx, hash, "Någon annan", "$argon2id$y"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("accepting twice: %v; want NotFound", err)
	}

	// Expired: nothing is created.
	expired := bytes.Repeat([]byte{10}, 32)
	if _, err := w.db.CreateStaffInvitation(w.systemCtx, account.NewInvitation{TokenHash: expired, Email: "sen@nacka.example",
		KommunID: w.a.ID, Role: "counsellor", ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.AcceptStaffInvitation(ctx, expired, "Sen", "$argon2id$z"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("accepting an expired invitation: %v; want NotFound", err)
	}
	if _, err := w.db.StaffCredentials(ctx, "sen@nacka.example"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("an expired invitation created a staff identity: %v", err)
	}

	// An identity that exists already is reused, never overwritten.
	again := bytes.Repeat([]byte{11}, 32)
	if _, err := w.db.CreateStaffInvitation(w.systemCtx, account.NewInvitation{TokenHash: again, Email: "a@nacka.example",
		KommunID: w.b.ID, Role: "reception_admin", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.AcceptStaffInvitation(ctx, again, "Inkräktare", "$argon2id$new"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a new password for an existing identity: %v; want Conflict", err)
	}
	if got, err := w.db.AcceptStaffInvitation(ctx, again, "", ""); err != nil || got != w.staffA {
		t.Fatalf("reusing the identity: %v, %v; want %v", got, err, w.staffA)
	}
	cred, _ := w.db.StaffCredentials(ctx, "a@nacka.example")
	if cred.PasswordHash != "x" {
		t.Error("accepting an invitation changed an existing identity's password")
	}
	o, _ = w.db.StaffOverview(ctx, w.staffA)
	if len(o.Roles) != 2 {
		t.Errorf("staff A has roles %+v; want Nacka and Solna", o.Roles)
	}
}

func TestStaffOfOneKommunCannotInviteToAnother(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := tenant.WithActing(context.Background(), tenant.Acting{Actor: tenant.ActorStaff, KommunID: w.a.ID, AccountID: w.staffA})
	inv := account.NewInvitation{TokenHash: bytes.Repeat([]byte{3}, 32), Email: "x@solna.example", KommunID: w.b.ID,
		Role: "counsellor", CreatedBy: w.staffA, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := w.db.CreateStaffInvitation(ctx, inv); err == nil {
		t.Fatal("staff of Nacka invited someone to Solna")
	}
	inv.KommunID = w.a.ID
	if _, err := w.db.CreateStaffInvitation(ctx, inv); err != nil {
		t.Fatalf("staff of Nacka inviting to Nacka: %v", err)
	}
	inv.TokenHash, inv.KommunID, inv.Role = bytes.Repeat([]byte{4}, 32), uuid.Nil, "platform_admin"
	if _, err := w.db.CreateStaffInvitation(ctx, inv); err == nil {
		t.Fatal("kommun staff invited a platform admin")
	}
}
