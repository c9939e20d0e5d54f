package httpapi

import (
	"log/slog"
	"testing"

	"github.com/storsthlm/mottagning/internal/testenv"
)

// The hub never blocks on a socket that does not read: announcements
// while one is pending coalesce into that one; a reconnection wakes all.
func TestChatHubCoalescesAndWakesAll(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	h := newChatHub(rdb, prefix, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = h.close() })
	a1, a2, b := h.subscribe("a"), h.subscribe("a"), h.subscribe("b")
	for range 1000 {
		h.notify("a", false)
	}
	if len(a1.wake) != 1 || len(a2.wake) != 1 || len(b.wake) != 0 {
		t.Fatalf("pending wake-ups a1=%d a2=%d b=%d; want 1, 1, 0", len(a1.wake), len(a2.wake), len(b.wake))
	}
	<-a1.wake
	h.notify("", true)
	if len(a1.wake) != 1 || len(a2.wake) != 1 || len(b.wake) != 1 {
		t.Errorf("after waking all: a1=%d a2=%d b=%d; want one each", len(a1.wake), len(a2.wake), len(b.wake))
	}
	h.unsubscribe(a1)
	h.unsubscribe(b)
	if n := h.count(); n != 1 {
		t.Errorf("%d registrations after two left; want 1", n)
	}
}
