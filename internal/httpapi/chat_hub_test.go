package httpapi

import (
	"log/slog"
	"testing"
	"time"

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

// TestChatHubRefreshesPresenceAndWakesDueSockets: the hub's tick keeps
// every local youth socket present in Redis in one pipelined call and
// wakes a socket only once its safety catch-up is due.
func TestChatHubRefreshesPresenceAndWakesDueSockets(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	h := newChatHub(rdb, prefix, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = h.close() })
	key := prefix + "present"
	youth, staff := h.subscribePresent("a", key, "m1"), h.subscribe("a")
	now := time.Now()
	h.refresh(t.Context(), now)
	if len(youth.wake) != 0 || len(staff.wake) != 0 {
		t.Fatalf("woken before the safety catch-up was due: youth=%d staff=%d", len(youth.wake), len(staff.wake))
	}
	score, err := rdb.ZScore(t.Context(), key, "m1").Result()
	if err != nil || int64(score) < now.Add(chatPresenceTTL).UnixMilli() {
		t.Fatalf("presence score %v, %v; want at least %d", score, err, now.Add(chatPresenceTTL).UnixMilli())
	}
	if n, _ := rdb.ZCard(t.Context(), key).Result(); n != 1 {
		t.Errorf("%d presence entries; want only the youth's", n)
	}
	if ttl, _ := rdb.TTL(t.Context(), key).Result(); ttl <= 0 {
		t.Errorf("presence key TTL %v; want one", ttl)
	}
	later := now.Add(chatSafetyMax + time.Second)
	h.refresh(t.Context(), later)
	if len(youth.wake) != 1 || len(staff.wake) != 1 {
		t.Fatalf("after the safety interval: youth=%d staff=%d; want one each", len(youth.wake), len(staff.wake))
	}
	<-youth.wake
	h.refresh(t.Context(), later.Add(time.Second))
	if len(youth.wake) != 0 {
		t.Error("woken again right after a safety catch-up")
	}
}
