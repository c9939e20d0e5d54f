package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

func TestBadSpecFailsAtNewScheduler(t *testing.T) {
	t.Parallel()
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { client.Close() })
	for _, tc := range []struct{ name, spec, want string }{
		{"retention", "every minute", `"retention": bad schedule "every minute"`},
		{"retention", "61 * * * *", `bad schedule "61 * * * *"`},
		{"retention", "0 0 30 2 *", "never fires"},
		{"has:colon", "@every 1m", "without ':'"},
		{"", "@every 1m", "must be non-empty"},
	} {
		p := Periodic{Name: tc.name, Spec: tc.spec, TaskType: "retention:purge"}
		_, err := NewScheduler(client, []Periodic{p}, nil, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewScheduler(%q, %q) = %v, want an error containing %q", tc.name, tc.spec, err, tc.want)
		}
	}
	dup := Periodic{Name: "a", Spec: "@every 1m", TaskType: "t"}
	if _, err := NewScheduler(client, []Periodic{dup, dup}, nil, nil, nil); err == nil {
		t.Error("NewScheduler with a duplicate name succeeded")
	}
}

// Every scheduler, whenever it started, must compute the same ticks.
func TestTicksDoNotDependOnStartTime(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct{ spec, now, want string }{
		{"@every 1m", "2026-03-01T12:00:17.5Z", "2026-03-01T12:01:00Z"},
		{"@every 1m", "2026-03-01T12:00:43Z", "2026-03-01T12:01:00Z"},
		{"@every 1m", "2026-03-01T12:01:00Z", "2026-03-01T12:02:00Z"},
		{"@every 1s", "2026-03-01T12:00:43.999Z", "2026-03-01T12:00:44Z"},
		{"@every 1h", "2026-03-01T13:59:59+01:00", "2026-03-01T13:00:00Z"},
		{"0 3 * * *", "2026-03-01T12:00:00Z", "2026-03-02T03:00:00Z"},
		{"0 3 * * *", "2026-03-01T12:00:00+01:00", "2026-03-02T03:00:00Z"}, // UTC, not local
		{"CRON_TZ=Europe/Stockholm 0 3 * * *", "2026-03-01T12:00:00Z", "2026-03-02T02:00:00Z"},
		{"30 * * * * *", "2026-03-01T12:00:00Z", "2026-03-01T12:00:30Z"}, // with seconds
	} {
		sched, err := specParser.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := nextTick(sched, at(tc.now)); !got.Equal(at(tc.want)) {
			t.Errorf("nextTick(%q, %s) = %s, want %s", tc.spec, tc.now, got, tc.want)
		}
	}
}

func TestRetentionOutlastsThePeriod(t *testing.T) {
	t.Parallel()
	tick := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC) // a tick of every spec below
	for spec, want := range map[string]time.Duration{
		"@every 1s": 2 * time.Minute,
		"@every 1h": 2 * time.Hour,
		"0 3 * * *": 48 * time.Hour,
	} {
		sched, _ := specParser.Parse(spec)
		if got := retention(sched, tick); got != want {
			t.Errorf("retention(%q) = %v, want %v", spec, got, want)
		}
	}
}

func TestRedisURLErrorHidesPassword(t *testing.T) {
	t.Parallel()
	_, err := NewRedisOpt("redis://user:s3cret@host:port/0")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("NewRedisOpt(bad URL) = %v, want an error without the password", err)
	}
	opt, err := NewRedisOpt("redis://mottagning:s3cret@localhost:6380/2")
	if err != nil {
		t.Fatal(err)
	}
	c := opt.(asynq.RedisClientOpt)
	if c.Username != "mottagning" || c.Password != "s3cret" || c.Addr != "localhost:6380" || c.DB != 2 {
		t.Errorf("NewRedisOpt = %+v", c)
	}
}
