package main

import (
	"testing"

	"github.com/storsthlm/mottagning/internal/retention"
)

// Booking's retention jobs (P18 intake answers, account links after the
// kommun's period) are wired and scheduled.
func TestBookingRetentionJobsAreScheduled(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, p := range (&appCtx{}).retentionPeriodic() {
		names[p.Name] = true
	}
	for _, want := range []string{retention.JobIntakeAnswers, retention.JobBookingLinks} {
		if !names[want] {
			t.Errorf("%s is not scheduled", want)
		}
	}
}
