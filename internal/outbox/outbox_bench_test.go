package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// BenchmarkNotifyPipeline sends 1,000 notices through the whole pipeline
// (outbox commit, LISTEN/NOTIFY relay, Asynq, send-time decision, the real
// twilio-go client, a fake Twilio on loopback) and reports notices per
// second and the latency from commit to the provider's acceptance.
//
//	go test -run '^$' -bench BenchmarkNotifyPipeline -benchtime 1x ./internal/outbox/
func BenchmarkNotifyPipeline(b *testing.B) {
	h := newHarness(b, nil)
	h.run(b)
	id := h.account(b, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	sys := tenant.WithActing(context.Background(), tenant.System())
	const total, batch = 1000, 20
	var rate, p50, p95 float64
	for range b.N {
		h.twilio.mu.Lock()
		h.twilio.at = map[string]time.Time{}
		h.twilio.mu.Unlock()
		committed := map[string]time.Time{}
		start := time.Now()
		for i := 0; i < total; i += batch {
			ns := make([]notify.Notice, batch)
			for j := range ns {
				ns[j] = notify.New(id, notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})
			}
			if err := h.db.QueueNotice(sys, ns...); err != nil {
				b.Fatal(err)
			}
			at := time.Now()
			for _, n := range ns {
				m, _ := notify.Render(n, "sv", baseURL)
				committed[m.Body] = at
			}
		}
		h.settled(b, 120*time.Second)
		elapsed := time.Since(start)
		h.twilio.mu.Lock()
		var lat []float64
		for body, c := range committed {
			if a, ok := h.twilio.at[body]; ok {
				lat = append(lat, float64(a.Sub(c))/float64(time.Millisecond))
			}
		}
		h.twilio.mu.Unlock()
		if len(lat) != total {
			b.Fatalf("%d of %d notices reached the provider", len(lat), total)
		}
		slices.Sort(lat)
		rate = total / elapsed.Seconds()
		p50, p95 = lat[len(lat)/2], lat[len(lat)*95/100]
	}
	b.ReportMetric(rate, "notices/s")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
}

// BenchmarkNotifyLatencyIdle commits one notice at a time and waits for
// the provider to accept it: the latency of a notice on an idle pipeline,
// which LISTEN/NOTIFY keeps well below the polling interval.
//
//	go test -run '^$' -bench BenchmarkNotifyLatencyIdle -benchtime 1x ./internal/outbox/
func BenchmarkNotifyLatencyIdle(b *testing.B) {
	h := newHarness(b, nil)
	h.run(b)
	id := h.account(b, acct{phone: "+46701234567", phoneOK: true, smsOn: true})
	sys := tenant.WithActing(context.Background(), tenant.System())
	const total = 30
	var p50, p95 float64
	for range b.N {
		var lat []float64
		for range total {
			n := notify.New(id, notify.KindNewMessage, notify.SMS, notify.Payload{}, time.Time{})
			m, _ := notify.Render(n, "sv", baseURL)
			h.twilio.mu.Lock()
			h.twilio.at = map[string]time.Time{}
			h.twilio.mu.Unlock()
			if err := h.db.QueueNotice(sys, n); err != nil {
				b.Fatal(err)
			}
			committed := time.Now()
			for {
				h.twilio.mu.Lock()
				a, ok := h.twilio.at[m.Body]
				h.twilio.mu.Unlock()
				if ok {
					lat = append(lat, float64(a.Sub(committed))/float64(time.Millisecond))
					break
				}
				if time.Since(committed) > 10*time.Second {
					b.Fatal("a notice did not reach the provider within 10 s")
				}
				time.Sleep(time.Millisecond)
			}
		}
		slices.Sort(lat)
		p50, p95 = lat[len(lat)/2], lat[len(lat)*95/100]
	}
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p95, "p95-ms")
}
