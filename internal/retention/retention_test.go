package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/retention"
)

// nopStores satisfies every store; the registry tests never run a job.
type nopStores struct{}

func (nopStores) InactiveAccounts(context.Context, time.Time, uuid.UUID, int) ([]uuid.UUID, error) {
	return nil, nil
}
func (nopStores) DeleteInactiveAccount(context.Context, uuid.UUID, time.Time, func(context.Context) (bool, error)) (bool, error) {
	return false, nil
}
func (nopStores) WarnableAccounts(context.Context, time.Time, time.Time, uuid.UUID, int) ([]uuid.UUID, error) {
	return nil, nil
}
func (nopStores) MarkWarned(context.Context, uuid.UUID, time.Time, time.Time, func(context.Context, time.Time) error) (bool, error) {
	return false, nil
}
func (nopStores) DropAccessLogPartitionsBefore(context.Context, time.Time) (int, error) {
	return 0, nil
}
func (nopStores) EnsureAccessLogPartitions(context.Context, time.Time, int) (int, error) {
	return 0, nil
}
func (nopStores) DeleteExpiredSessions(context.Context, time.Time, time.Duration, int) (int64, error) {
	return 0, nil
}
func (nopStores) DeleteOldInvitations(context.Context, time.Time, int) (int64, error) { return 0, nil }
func (nopStores) DeleteExpiredSamples(context.Context, time.Time, int) (int64, error) { return 0, nil }
func (nopStores) DeleteOldRuns(context.Context, time.Time, int) (int64, error)        { return 0, nil }

func (nopStores) ComingPolicies(context.Context, time.Time) ([]uuid.UUID, error) { return nil, nil }
func (nopStores) QueuePolicyNotices(context.Context, uuid.UUID, uuid.UUID, time.Time, int) (int, uuid.UUID, error) {
	return 0, uuid.Nil, nil
}

func deps() retention.Deps {
	s := nopStores{}
	return retention.Deps{Accounts: s, AccessLog: s, Sessions: s, Invitations: s, Reviews: s, Runs: s, PolicyNotices: s}
}

func TestRetentionRegistryHasOneJobPerKindAndSlotsWaitForTheirFeature(t *testing.T) {
	t.Parallel()
	jobs := retention.Jobs(deps())
	if err := retention.Validate(jobs); err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{}
	for _, j := range jobs {
		pending[j.Name] = j.Pending()
		if !j.Pending() && j.Next(time.Now()).IsZero() {
			t.Errorf("%s never runs", j.Name)
		}
	}
	for _, slot := range []string{retention.JobChat, retention.JobIntakeAnswers, retention.JobBookingLinks} {
		if !pending[slot] {
			t.Errorf("%s runs although its feature does not exist", slot)
		}
	}
	for _, real := range []string{retention.JobInactiveAccounts, retention.JobAccessLog, retention.JobSessions, retention.JobKommunInvitations, retention.JobPolicyNotices} {
		if pending[real] {
			t.Errorf("%s is a slot; want a job", real)
		}
	}
}

func TestRetentionFilterRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ from, to, action, user, field string }{
		{"2026-02-30", "", "", "", "from"},
		{"", "igår", "", "", "to"},
		{"2026-03-10", "2026-03-01", "", "", "to"},
		{"", "", "DROP TABLE", "", "action"},
		{"", "", "", string(make([]byte, 65)), "username"},
	} {
		_, err := retention.ParseLogFilter(c.from, c.to, c.action, c.user)
		e := apperr.As(err)
		if e == nil || e.Kind != apperr.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != c.field {
			t.Errorf("ParseLogFilter(%q, %q, %q) = %v; want Invalid on %s", c.from, c.to, c.action, err, c.field)
		}
	}
	f, err := retention.ParseLogFilter("2026-03-01", "2026-03-01", "booking.read", "")
	if err != nil || f.To.Sub(f.From) != 24*time.Hour {
		t.Errorf("one-day filter = %+v, %v; want the whole day", f, err)
	}
}

func TestRetentionSampleMonthMustHaveEnded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, retention.Stockholm)
	for _, bad := range []string{"2026-11", "2027-01", "2026-13", "nov", ""} {
		if _, err := retention.ParseSampleMonth(bad, now); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("ParseSampleMonth(%q) = %v; want Invalid", bad, err)
		}
	}
	if m, err := retention.ParseSampleMonth("2026-10", now); err != nil || m.Month() != time.October {
		t.Errorf("ParseSampleMonth(2026-10) = %v, %v", m, err)
	}
}

func TestRetentionReviewsValidated(t *testing.T) {
	t.Parallel()
	err := retention.ValidateReviews([]retention.ItemReview{{Position: 1, Outcome: "kanske"}, {Position: 12, Note: "x"}})
	e := apperr.As(err)
	if e == nil || len(e.Fields) != 2 || e.Fields[0].Field != "outcome_1" || e.Fields[1].Field != "outcome_12" {
		t.Errorf("ValidateReviews = %v; want outcome_1 and outcome_12 refused", err)
	}
}
