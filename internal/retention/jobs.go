package retention

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// The retention periods.
const (
	// InactiveAfter is how long an account may go without a sign-in (P16).
	InactiveAfter = 365 * 24 * time.Hour
	// WarnAhead is how long before deletion the one warning goes out.
	WarnAhead = 30 * 24 * time.Hour
	// AccessLogYears is how long access-log entries are kept (P19).
	AccessLogYears = 5
	// PartitionsAhead is how many months ahead of the current one the
	// access log has partitions ready.
	PartitionsAhead = 3
	// InvitationKeep is how long an expired or accepted staff invitation
	// is kept (for questions about it), counted from expiry or acceptance.
	InvitationKeep = 30 * 24 * time.Hour
	// RunKeep is how long the record of a job run is kept.
	RunKeep = 90 * 24 * time.Hour
)

// AccountStore is what the inactive-accounts job (P16) needs.
type AccountStore interface {
	// InactiveAccounts returns up to limit account ids greater than after,
	// in id order, whose last sign-in was at or before before.
	InactiveAccounts(ctx context.Context, before time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error)
	// DeleteInactiveAccount deletes the account with everything the
	// platform holds for it, exactly as self-deletion does, if its last
	// sign-in is still at or before before and keep (called inside the
	// transaction, after the account row is locked) says false. It returns
	// false, deleting nothing, if the account signed in since, is gone, is
	// locked by another run, or is kept.
	DeleteInactiveAccount(ctx context.Context, id uuid.UUID, before time.Time, keep func(ctx context.Context) (bool, error)) (bool, error)
	// WarnableAccounts returns up to limit account ids greater than after,
	// in id order, whose last sign-in was after deleteBefore and at or
	// before warnBefore, that have not been warned, are not restricted
	// (P27) and have a verified contact with notices switched on (P12).
	WarnableAccounts(ctx context.Context, warnBefore, deleteBefore time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error)
	// MarkWarned records at as the account's warning, once: if it is still
	// unwarned and its last sign-in at or before warnBefore, it sets the
	// mark and calls send with the last sign-in, in one transaction (an
	// error from send undoes the mark). Otherwise it returns false.
	MarkWarned(ctx context.Context, id uuid.UUID, warnBefore, at time.Time, send func(ctx context.Context, lastLogin time.Time) error) (bool, error)
}

// AccessLogStore keeps the access log's monthly partitions (P19).
type AccessLogStore interface {
	DropAccessLogPartitionsBefore(ctx context.Context, cutoff time.Time) (int, error)
	EnsureAccessLogPartitions(ctx context.Context, from time.Time, months int) (int, error)
}

// SessionStore removes sessions that can no longer be used.
type SessionStore interface {
	// DeleteExpiredSessions deletes up to limit sessions past their
	// lifetime at now or idle for longer than idle.
	DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration, limit int) (int64, error)
}

// InvitationStore removes one-time staff invitations.
type InvitationStore interface {
	// DeleteOldInvitations deletes up to limit invitations of the kommun of
	// ctx (of the platform when ctx names none) that expired or were
	// accepted at or before before.
	DeleteOldInvitations(ctx context.Context, before time.Time, limit int) (int64, error)
}

// ReviewStore removes access-log samples of the kommun of ctx once the
// log they copy would have expired.
type ReviewStore interface {
	// DeleteExpiredSamples deletes up to limit samples whose month ended at
	// or before before, with their items, and returns the rows removed.
	DeleteExpiredSamples(ctx context.Context, before time.Time, limit int) (int64, error)
}

// inactiveAccounts deletes accounts without a sign-in for InactiveAfter
// and no ongoing case, after warning those who can be warned WarnAhead
// before. It returns accounts deleted plus warnings recorded.
func inactiveAccounts(d Deps) func(context.Context, time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		deleted, err := deleteInactive(ctx, d, now)
		if err != nil {
			return deleted, err
		}
		warned, err := warnInactive(ctx, d, now)
		return deleted + warned, err
	}
}

func deleteInactive(ctx context.Context, d Deps, now time.Time) (int64, error) {
	before := now.Add(-InactiveAfter)
	keep := func(ctx context.Context, id uuid.UUID) (bool, error) {
		for _, c := range d.Cases {
			if ongoing, err := c.HasOngoingCase(ctx, id, now); err != nil || ongoing {
				return ongoing, err
			}
		}
		return false, nil
	}
	var n int64
	after := uuid.Nil
	for {
		ids, err := d.Accounts.InactiveAccounts(ctx, before, after, BatchSize)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			ok, err := d.Accounts.DeleteInactiveAccount(ctx, id, before, func(ctx context.Context) (bool, error) { return keep(ctx, id) })
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		after = ids[len(ids)-1]
	}
}

func warnInactive(ctx context.Context, d Deps, now time.Time) (int64, error) {
	warnBefore, deleteBefore := now.Add(-(InactiveAfter - WarnAhead)), now.Add(-InactiveAfter)
	send := func(id uuid.UUID) func(context.Context, time.Time) error {
		return func(ctx context.Context, lastLogin time.Time) error {
			if d.Warner == nil {
				return nil // recorded only; the notification outbox sends once it exists
			}
			return d.Warner.WarnBeforeDeletion(ctx, id, lastLogin.Add(InactiveAfter))
		}
	}
	var n int64
	after := uuid.Nil
	for {
		ids, err := d.Accounts.WarnableAccounts(ctx, warnBefore, deleteBefore, after, BatchSize)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			ok, err := d.Accounts.MarkWarned(ctx, id, warnBefore, now, send(id))
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		after = ids[len(ids)-1]
	}
}

// accessLogExpiry drops the monthly partitions whose whole month lies more
// than AccessLogYears back, and makes sure the coming months have theirs.
// It returns the partitions dropped.
func accessLogExpiry(s AccessLogStore) func(context.Context, time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		dropped, err := s.DropAccessLogPartitionsBefore(ctx, now.AddDate(-AccessLogYears, 0, 0))
		if err != nil {
			return int64(dropped), err
		}
		_, err = s.EnsureAccessLogPartitions(ctx, now, PartitionsAhead+1)
		return int64(dropped), err
	}
}

func expiredSessions(s SessionStore, idle time.Duration) func(context.Context, time.Time) (int64, error) {
	return batched(func(ctx context.Context, now time.Time, limit int) (int64, error) {
		return s.DeleteExpiredSessions(ctx, now, idle, limit)
	})
}

func oldInvitations(s InvitationStore) func(context.Context, time.Time) (int64, error) {
	return batched(func(ctx context.Context, now time.Time, limit int) (int64, error) {
		return s.DeleteOldInvitations(ctx, now.Add(-InvitationKeep), limit)
	})
}

func expiredReviews(s ReviewStore) func(context.Context, time.Time) (int64, error) {
	return batched(func(ctx context.Context, now time.Time, limit int) (int64, error) {
		return s.DeleteExpiredSamples(ctx, now.AddDate(-AccessLogYears, 0, 0), limit)
	})
}

// RunPurger removes old records of job runs.
type RunPurger interface {
	// DeleteOldRuns deletes up to limit runs that started at or before before.
	DeleteOldRuns(ctx context.Context, before time.Time, limit int) (int64, error)
}

func oldRuns(s RunPurger) func(context.Context, time.Time) (int64, error) {
	return batched(func(ctx context.Context, now time.Time, limit int) (int64, error) {
		return s.DeleteOldRuns(ctx, now.Add(-RunKeep), limit)
	})
}

// PolicyNoticeStore queues the notice of a coming privacy-policy change
// (P29). It is not a deletion, but it is a periodic platform job over every
// account in bounded batches with its runs recorded, like the others.
type PolicyNoticeStore interface {
	// ComingPolicies returns the versions published at or before now that
	// take effect after now, oldest published first.
	ComingPolicies(ctx context.Context, now time.Time) ([]uuid.UUID, error)
	// QueuePolicyNotices tells up to limit accounts with ids greater than
	// after, that have a notice channel switched on and have not been told
	// yet, of the version, in one transaction, and returns how many it told
	// and the greatest id among them. It tells none once the version is in
	// effect at now.
	QueuePolicyNotices(ctx context.Context, version, after uuid.UUID, now time.Time, limit int) (int, uuid.UUID, error)
}

// policyNotices tells every youth with a channel switched on of each
// coming policy version, once, BatchSize accounts per transaction. It
// returns the accounts told. Those it cannot tell yet (a channel switched
// on later, a restriction lifted) are told by a later run while the
// version is still to come.
func policyNotices(s PolicyNoticeStore) func(context.Context, time.Time) (int64, error) {
	return func(ctx context.Context, now time.Time) (int64, error) {
		versions, err := s.ComingPolicies(ctx, now)
		if err != nil {
			return 0, err
		}
		var total int64
		for _, v := range versions {
			after := uuid.Nil
			for {
				if err := ctx.Err(); err != nil {
					return total, err
				}
				n, last, err := s.QueuePolicyNotices(ctx, v, after, now, BatchSize)
				total += int64(n)
				if err != nil {
					return total, err
				}
				if n < BatchSize {
					break
				}
				after = last
			}
		}
		return total, nil
	}
}
