package authz

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2/model"
	"github.com/google/uuid"
)

// TestInvalidMembershipsIgnored: rows the adapter cannot vouch for are
// skipped with a warning and grant nothing, and do not spoil the load.
func TestInvalidMembershipsIgnored(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name, domain, role string
	}{
		{"unknown role", kommunA, "superuser"},
		{"youth is not a staff role", kommunA, "youth"},
		{"anonymous is not a staff role", kommunA, "anonymous"},
		{"platform admin in a kommun (P20)", kommunA, "platform_admin"},
		{"counsellor on the platform", "platform", "counsellor"},
		{"pattern domain", "kommun:*", "counsellor"},
		{"empty slug", "kommun:", "reception_admin"},
		{"no prefix", "solna", "counsellor"},
		{"upper case", "kommun:Solna", "counsellor"},
	}
	src := &memSource{}
	ids := make([]uuid.UUID, len(bad))
	for i, b := range bad {
		ids[i] = uuid.New()
		src.add(Membership{StaffID: ids[i], Domain: b.domain, Role: b.role})
	}
	src.add(Membership{StaffID: uuid.Nil, Domain: kommunA, Role: RoleCounsellor})
	good := uuid.New()
	src.add(Membership{StaffID: good, Domain: kommunA, Role: RoleCounsellor})

	log, logs := newLogger(t)
	e := newEnforcer(t, src, Options{Logger: log})
	for i, b := range bad {
		for _, dom := range domains {
			assertDeniedEverywhereIn(t, e, b.name, StaffSubject(ids[i]), dom)
		}
		if !strings.Contains(logs.String(), ids[i].String()) {
			t.Errorf("%s: no warning names staff %s", b.name, ids[i])
		}
	}
	if n := strings.Count(logs.String(), "membership skipped"); n != len(bad)+1 {
		t.Errorf("%d warnings, want %d:\n%s", n, len(bad)+1, logs)
	}
	if !mustAllowed(t, e, StaffSubject(good), kommunA, ObjBooking, ActRead) {
		t.Error("a valid membership loaded beside invalid ones grants nothing")
	}
}

func TestAdapterIsReadOnly(t *testing.T) {
	t.Parallel()
	a, err := NewAdapter(&memSource{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rule := []string{"staff:x", "counsellor", kommunA}
	for name, err := range map[string]error{
		"SavePolicy":              a.SavePolicy(model.Model{}),
		"AddPolicy":               a.AddPolicy("g", "g", rule),
		"RemovePolicy":            a.RemovePolicy("g", "g", rule),
		"RemoveFilteredPolicy":    a.RemoveFilteredPolicy("g", "g", 0, "staff:x"),
		"SavePolicyCtx":           a.SavePolicyCtx(ctx, model.Model{}),
		"AddPolicyCtx":            a.AddPolicyCtx(ctx, "g", "g", rule),
		"RemovePolicyCtx":         a.RemovePolicyCtx(ctx, "g", "g", rule),
		"RemoveFilteredPolicyCtx": a.RemoveFilteredPolicyCtx(ctx, "g", "g", 0, "staff:x"),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s = %v, want ErrReadOnly", name, err)
		}
	}
}

type failingSource struct{}

func (failingSource) Memberships(context.Context) ([]Membership, error) {
	return nil, errors.New("database down")
}

// TestFailedReloadKeepsPolicy: a failing source leaves the last good policy
// in force rather than denying (or allowing) everything.
func TestFailedReloadKeepsPolicy(t *testing.T) {
	t.Parallel()
	if _, err := New(t.Context(), failingSource{}, Options{}); err == nil {
		t.Error("New succeeded without memberships")
	}
	id := uuid.New()
	src := &switchSource{ok: &memSource{ms: []Membership{{StaffID: id, Domain: kommunA, Role: RoleCounsellor}}}}
	e := newEnforcer(t, src, Options{})
	src.fail = true
	if err := e.Reload(t.Context()); err == nil {
		t.Fatal("Reload succeeded with a failing source")
	}
	if !mustAllowed(t, e, StaffSubject(id), kommunA, ObjQueue, ActRead) {
		t.Error("a failed reload dropped the previous policy")
	}
}

type switchSource struct {
	ok   *memSource
	fail bool // only set between loads in the test
}

func (s *switchSource) Memberships(ctx context.Context) ([]Membership, error) {
	if s.fail {
		return failingSource{}.Memberships(ctx)
	}
	return s.ok.Memberships(ctx)
}
