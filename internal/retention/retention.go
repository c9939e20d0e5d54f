// Package retention keeps the promises about how long data lives (P16,
// P18, P19): one registry of periodic jobs, one per kind of data, each
// deleting in bounded batches with the acting context of the controller
// (the platform, or one kommun at a time), recording every run.
//
// The package declares the narrow interfaces it needs (stores, clock,
// warner, ongoing cases); adapters implement them. Later features add their
// rule to Jobs, in one place.
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
)

// Clock returns the current time; tests pass one that travels.
type Clock func() time.Time

// Scope says for whom a job acts.
type Scope string

// The scopes: the platform (Storsthlm's data) or each kommun in turn.
const (
	ScopePlatform Scope = "platform"
	ScopeKommun   Scope = "kommun"
)

// BatchSize bounds the rows one statement touches, so no lock is held long.
const BatchSize = 1000

// Job is one kind of data with its retention rule.
type Job struct {
	Name     string // unique, [a-z_]+; the periodic task name
	Schedule string // cron spec (UTC), e.g. "30 2 * * *"
	Scope    Scope
	// Run removes what has expired at now, with the acting context of ctx
	// (system, for the kommun when Scope is ScopeKommun), and returns how
	// many rows (or, for the access log, partitions) it removed; the one
	// job that removes nothing, policy_notices, returns the accounts it
	// told of a coming policy change. Nil means
	// the data kind does not exist yet: the job is a registered slot,
	// listed but never scheduled.
	Run func(ctx context.Context, now time.Time) (int64, error)
}

// Pending reports whether the job is a slot waiting for its feature.
func (j Job) Pending() bool { return j.Run == nil }

// Next returns the first time after t the job is due, or the zero time for
// a slot or a schedule that never fires.
func (j Job) Next(t time.Time) time.Time {
	if j.Pending() {
		return time.Time{}
	}
	s, err := specParser.Parse(j.Schedule)
	if err != nil {
		return time.Time{}
	}
	return s.Next(t.UTC())
}

var specParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
	cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Validate returns an error naming the first job with a bad name, scope or
// schedule, or a name used twice.
func Validate(jobs []Job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		if !namePattern(j.Name) || seen[j.Name] {
			return fmt.Errorf("retention: job name %q is empty, malformed or listed twice", j.Name)
		}
		seen[j.Name] = true
		if j.Scope != ScopePlatform && j.Scope != ScopeKommun {
			return fmt.Errorf("retention: job %q: unknown scope %q", j.Name, j.Scope)
		}
		if _, err := specParser.Parse(j.Schedule); err != nil {
			return fmt.Errorf("retention: job %q: bad schedule %q: %w", j.Name, j.Schedule, err)
		}
	}
	return nil
}

func namePattern(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// Deps are what the registered jobs need. A nil store of a kind that
// exists now is a wiring mistake (Jobs panics); a nil store of a kind
// still to be built leaves its job a slot.
type Deps struct {
	Accounts    AccountStore
	AccessLog   AccessLogStore
	Sessions    SessionStore
	Invitations InvitationStore
	Reviews     ReviewStore
	Runs        RunPurger
	// PolicyNotices tells youth of a coming privacy-policy change (P29).
	PolicyNotices PolicyNoticeStore

	// Warner sends the neutral warning 30 days before deletion (P16); nil
	// records the decision only (deletion_warned_at), for the outbox to
	// pick up once notifications exist.
	Warner DeletionWarner
	// Cases are the features that can hold an ongoing case (chat, booking);
	// none registered means no account has one.
	Cases []OngoingCases
	// SessionIdle is the longest idle timeout of any session.
	SessionIdle time.Duration

	// Slots: set when the feature exists (see the interfaces' docs).
	Chat    ChatPurger    // P18: chat safety net
	Intake  IntakePurger  // issue 6: intake answers of past appointments
	Booking BookingUnlink // issue 6: account links of past appointments
}

// Jobs is the registry: every kind of data with a retention rule, in one
// place. A feature adds its rule here.
func Jobs(d Deps) []Job {
	if d.Accounts == nil || d.AccessLog == nil || d.Sessions == nil || d.Invitations == nil || d.Reviews == nil || d.Runs == nil ||
		d.PolicyNotices == nil {
		panic("retention.Jobs: a store of an existing data kind is missing")
	}
	jobs := []Job{
		{Name: JobInactiveAccounts, Schedule: "30 2 * * *", Scope: ScopePlatform, Run: inactiveAccounts(d)},
		{Name: JobAccessLog, Schedule: "15 3 * * *", Scope: ScopePlatform, Run: accessLogExpiry(d.AccessLog)},
		{Name: JobSessions, Schedule: "@every 15m", Scope: ScopePlatform, Run: expiredSessions(d.Sessions, d.SessionIdle)},
		{Name: JobPlatformInvitations, Schedule: "45 3 * * *", Scope: ScopePlatform, Run: oldInvitations(d.Invitations)},
		{Name: JobKommunInvitations, Schedule: "50 3 * * *", Scope: ScopeKommun, Run: oldInvitations(d.Invitations)},
		{Name: JobAccessReviews, Schedule: "0 4 * * *", Scope: ScopeKommun, Run: expiredReviews(d.Reviews)},
		{Name: JobRuns, Schedule: "55 4 * * *", Scope: ScopePlatform, Run: oldRuns(d.Runs)},
		{Name: JobPolicyNotices, Schedule: "@every 10m", Scope: ScopePlatform, Run: policyNotices(d.PolicyNotices)},
		{Name: JobChat, Schedule: "@every 5m", Scope: ScopeKommun},
		{Name: JobIntakeAnswers, Schedule: "10 4 * * *", Scope: ScopeKommun},
		{Name: JobBookingLinks, Schedule: "20 4 * * *", Scope: ScopeKommun},
	}
	for i := range jobs {
		switch jobs[i].Name {
		case JobChat:
			if d.Chat != nil {
				jobs[i].Run = chatSafetyNet(d.Chat)
			}
		case JobIntakeAnswers:
			if d.Intake != nil {
				jobs[i].Run = batched(d.Intake.DeleteIntakeAnswers)
			}
		case JobBookingLinks:
			if d.Booking != nil {
				jobs[i].Run = batched(d.Booking.UnlinkPastBookings)
			}
		}
	}
	return jobs
}

// The job names.
const (
	JobInactiveAccounts    = "inactive_accounts"
	JobAccessLog           = "access_log_expiry"
	JobSessions            = "sessions"
	JobPlatformInvitations = "platform_invitations"
	JobKommunInvitations   = "kommun_invitations"
	JobAccessReviews       = "access_log_reviews"
	JobRuns                = "job_runs"
	JobPolicyNotices       = "policy_notices"
	JobChat                = "chat_safety_net"
	JobIntakeAnswers       = "intake_answers"
	JobBookingLinks        = "booking_links"
)

// DeletionWarner sends the one neutral warning before an inactive account
// is deleted. It runs inside the transaction that records the warning
// (carried by ctx), so an outbox insert commits with it or not at all.
type DeletionWarner interface {
	WarnBeforeDeletion(ctx context.Context, accountID uuid.UUID, deleteOn time.Time) error
}

// OngoingCases is implemented by each feature that can hold a case for an
// account: an open conversation (chat) or a future booking (booking). It
// runs inside the deletion's transaction, after the account row is locked.
type OngoingCases interface {
	HasOngoingCase(ctx context.Context, accountID uuid.UUID, now time.Time) (bool, error)
}

// ChatPurger is the chat safety net's store (P18), for the chat feature to
// implement: each call works on at most limit conversations of the kommun
// of ctx and returns how many rows it removed.
type ChatPurger interface {
	// EndIdle ends conversations idle past their limit at now, purging
	// them as ending does.
	EndIdle(ctx context.Context, now time.Time, limit int) (int64, error)
	// PurgeEnded deletes anything left of ended conversations.
	PurgeEnded(ctx context.Context, now time.Time, limit int) (int64, error)
}

// IntakePurger deletes intake answers of appointments that took place or
// were cancelled (issue 6), at most limit rows per call.
type IntakePurger interface {
	DeleteIntakeAnswers(ctx context.Context, now time.Time, limit int) (int64, error)
}

// BookingUnlink removes the account link of past appointments after the
// kommun's retention period (issue 6), at most limit rows per call.
type BookingUnlink interface {
	UnlinkPastBookings(ctx context.Context, now time.Time, limit int) (int64, error)
}

// batched calls step until it removes fewer than BatchSize rows, and
// returns the total. Each step is its own short transaction.
func batched(step func(ctx context.Context, now time.Time, limit int) (int64, error)) func(context.Context, time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		var total int64
		for {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			n, err := step(ctx, now, BatchSize)
			total += n
			if err != nil || n < BatchSize {
				return total, err
			}
		}
	}
}

func chatSafetyNet(c ChatPurger) func(context.Context, time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		ended, err := batched(c.EndIdle)(ctx, now)
		if err != nil {
			return ended, err
		}
		purged, err := batched(c.PurgeEnded)(ctx, now)
		return ended + purged, err
	}
}
