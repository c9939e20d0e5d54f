package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// BenchmarkP19_ExpirePartitionOf1MRows times the 5-year expiry of one
// monthly access-log partition holding 1,000,000 entries (goal: under 1 s).
// The rows are made with INSERT ... SELECT generate_series through the
// administrative connection; ns/op includes making them, the drop alone is
// reported as worst-drop-ms.
func BenchmarkP19_ExpirePartitionOf1MRows(b *testing.B) {
	db, info := testenv.DB(b)
	admin := testenv.Admin(b, info)
	ctx := tenant.WithActing(context.Background(), tenant.System())
	const rows = 1_000_000
	var worst time.Duration
	for i := range b.N { // each iteration makes 1,000,000 rows, so b.N stays small
		month := time.Date(2001, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i, 0)
		if _, err := db.EnsureAccessLogPartitions(ctx, month, 1); err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(context.Background(), `
			INSERT INTO app.access_log (at, kommun_id, actor_id, actor_role, action, subject_username)
			SELECT $1::timestamptz + (g % 2592000) * interval '1 second', NULL, gen_random_uuid(), 'counsellor', 'booking.read', 'ung' || (g % 5000)
			FROM generate_series(1, $2) g`, month, rows); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		n, err := db.DropAccessLogPartitionsBefore(ctx, month.AddDate(0, 1, 0))
		took := time.Since(start)
		if err != nil || n != 1 {
			b.Fatalf("dropped %d partitions (%v); want 1", n, err)
		}
		worst = max(worst, took)
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-drop-ms")
	if worst > time.Second {
		b.Errorf("expiring a partition of %d rows took %v; goal under 1 s", rows, worst)
	}
}
