package authz

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// eventually polls cond until it holds or d has passed.
func eventually(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMembershipChangeReachesOtherInstance(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	channel := "authz-test-" + uuid.NewString()
	src := &memSource{} // both instances read the same database
	e1 := newEnforcer(t, src, Options{Watcher: newWatcher(t, rdb, channel), ReloadInterval: time.Hour})
	e2 := newEnforcer(t, src, Options{Watcher: newWatcher(t, rdb, channel), ReloadInterval: time.Hour})
	run(t, e1)
	run(t, e2)

	id := uuid.New()
	sub := StaffSubject(id)
	if mustAllowed(t, e2, sub, kommunA, ObjConversation, ActRead) {
		t.Fatal("allowed before the membership exists")
	}
	src.add(Membership{StaffID: id, Domain: kommunA, Role: RoleCounsellor})
	if err := e1.NotifyChanged(t.Context()); err != nil {
		t.Fatalf("NotifyChanged: %v", err)
	}
	if !mustAllowed(t, e1, sub, kommunA, ObjConversation, ActRead) {
		t.Error("instance 1 did not reload itself")
	}
	if !eventually(t, 2*time.Second, func() bool {
		return mustAllowed(t, e2, sub, kommunA, ObjConversation, ActRead)
	}) {
		t.Error("instance 2 did not pick up the change within 2s")
	}
	if mustAllowed(t, e2, sub, kommunB, ObjConversation, ActRead) {
		t.Error("the new counsellor is allowed in another kommun")
	}
}

func TestPeriodicReloadPicksUpChange(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	e := newEnforcer(t, src, Options{ReloadInterval: 100 * time.Millisecond})
	run(t, e)
	id := uuid.New()
	src.add(Membership{StaffID: id, Domain: "platform", Role: RolePlatformAdmin})
	if !eventually(t, 2*time.Second, func() bool {
		return mustAllowed(t, e, StaffSubject(id), PlatformDomain, ObjKommun, ActOnboard)
	}) {
		t.Error("periodic reload did not pick up the new membership within 2s")
	}
}

// TestWatcherSkipsOwnMessages: w1 publishes, then w2 publishes. Redis keeps
// the order, so w1's first callback must be w2's message: its own was
// skipped.
func TestWatcherSkipsOwnMessages(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	channel := "authz-test-" + uuid.NewString()
	w1, w2 := newWatcher(t, rdb, channel), newWatcher(t, rdb, channel)
	got1 := make(chan string, 4)
	got2 := make(chan string, 4)
	_ = w1.SetUpdateCallback(func(s string) { got1 <- s })
	_ = w2.SetUpdateCallback(func(s string) { got2 <- s })

	if err := w1.Update(); err != nil {
		t.Fatal(err)
	}
	if err := w2.Update(); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got1:
		if s != w2.instance {
			t.Errorf("w1 was called with %q, want w2's message %q", s, w2.instance)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("w1 heard nothing from w2")
	}
	select {
	case s := <-got2:
		if s != w1.instance {
			t.Errorf("w2 was called with %q, want w1's message %q", s, w1.instance)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("w2 heard nothing from w1")
	}
}

// TestAllowedDuringReloads lets the race detector look at questions asked
// while the policy is swapped.
func TestAllowedDuringReloads(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	id := uuid.New()
	src.add(Membership{StaffID: id, Domain: kommunA, Role: RoleReceptionAdmin})
	e := newEnforcer(t, src, Options{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if ok, err := e.Allowed(StaffSubject(id), kommunA, ObjStaff, ActInvite); err != nil || !ok {
					t.Errorf("Allowed = %v, %v during reload", ok, err)
					return
				}
			}
		})
	}
	for range 20 {
		src.add(Membership{StaffID: uuid.New(), Domain: kommunB, Role: RoleCounsellor})
		if err := e.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}
