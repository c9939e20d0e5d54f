package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/retention"
)

// publish publishes a policy version taking effect at effective, as the system.
func (e retentionEnv) publish(t *testing.T, version string, effective time.Time) account.PolicyVersion {
	t.Helper()
	v, err := e.db.PublishPolicy(e.systemCtx, account.PolicyVersion{Version: version, SummarySV: "s", SummaryEN: "s",
		TextSV: "ny", TextEN: "new", EffectiveAt: effective})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// consent switches channels on for the account.
func (e retentionEnv) consent(t *testing.T, id uuid.UUID, channels ...string) {
	t.Helper()
	for _, ch := range channels {
		e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, $2, '2026-1')`, id, ch)
	}
}

// policyNotices returns the channels of the account's policy_change notices.
func (e retentionEnv) policyNotices(t *testing.T, id uuid.UUID) map[string]int {
	t.Helper()
	rows, err := e.admin.Query(context.Background(), `SELECT channel FROM app.notice_outbox WHERE account_id = $1 AND kind = 'policy_change'`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			t.Fatal(err)
		}
		out[ch]++
	}
	return out
}

func TestP29_PolicyChangeNoticeOncePerSwitchedOnChannel(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now()
	both := e.account(t, "bada", now.Add(-10*day))
	e.consent(t, both, "sms", "email")
	mail := e.account(t, "mejl", now.Add(-10*day))
	e.consent(t, mail, "email")
	off := e.account(t, "avstangd", now.Add(-10*day))
	withdrawn := e.account(t, "angrat", now.Add(-10*day))
	e.consent(t, withdrawn, "sms")
	e.exec(t, `UPDATE app.notice_consent SET withdrawn_at = now() WHERE account_id = $1`, withdrawn)
	restricted := e.account(t, "begransad", now.Add(-10*day))
	e.consent(t, restricted, "email")
	e.exec(t, `UPDATE app.account SET restricted_at = now() WHERE id = $1`, restricted)

	v := e.publish(t, "2027-1", now.Add(40*day))
	late, err := e.db.CreateAccount(e.systemCtx, "senare", "senare", "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	e.consent(t, late.ID, "sms")

	e.clock.Set(time.Now())
	r := e.runner(t, nil)
	run(t, r, retention.JobPolicyNotices)
	run(t, r, retention.JobPolicyNotices)

	for _, c := range []struct {
		name string
		id   uuid.UUID
		want map[string]int
	}{
		{"both channels on", both, map[string]int{"sms": 1, "email": 1}},
		{"e-mail on", mail, map[string]int{"email": 1}},
		{"notices off", off, map[string]int{}},
		{"consent withdrawn", withdrawn, map[string]int{}},
		{"restricted", restricted, map[string]int{}},
		{"registered after publishing", late.ID, map[string]int{}},
	} {
		if got := e.policyNotices(t, c.id); !equalCounts(got, c.want) {
			t.Errorf("%s: policy_change notices by channel %v; want %v", c.name, got, c.want)
		}
	}
	rows, err := e.admin.Query(context.Background(), `SELECT payload, due_at <= now() FROM app.notice_outbox WHERE kind = 'policy_change'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var due bool
		if err := rows.Scan(&raw, &due); err != nil {
			t.Fatal(err)
		}
		var p notify.Payload
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		if !p.At.Equal(v.EffectiveAt) || !due {
			t.Errorf("notice dated %v (due now: %v); want the effective date %v, due at once", p.At, due, v.EffectiveAt)
		}
	}
	if told := e.count(t, `SELECT coalesce(sum(rows_affected), 0)::int FROM app.job_run WHERE job = $1`, retention.JobPolicyNotices); told != 2 {
		t.Errorf("the two runs report %d accounts told; want 2", told)
	}

	// A restriction lifted while the version is still to come: told by the next run.
	e.exec(t, `UPDATE app.account SET restricted_at = NULL WHERE id = $1`, restricted)
	run(t, r, retention.JobPolicyNotices)
	if got := e.policyNotices(t, restricted); !equalCounts(got, map[string]int{"email": 1}) {
		t.Errorf("after the restriction was lifted: %v; want one e-mail", got)
	}
	// A newer version is told again, once.
	e.publish(t, "2027-2", now.Add(60*day))
	e.clock.Set(time.Now())
	run(t, r, retention.JobPolicyNotices)
	run(t, r, retention.JobPolicyNotices)
	if got := e.policyNotices(t, both); !equalCounts(got, map[string]int{"sms": 2, "email": 2}) {
		t.Errorf("after a second version: %v; want two per channel", got)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestP29_PolicyNoticesNotForAVersionInEffect(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now()
	id := e.account(t, "ikraft", now.Add(-100*day))
	e.consent(t, id, "sms", "email")
	e.exec(t, `INSERT INTO app.policy_version (version, summary_sv, summary_en, text_sv, text_en, effective_at, published_at)
		VALUES ('gammal', 's', 's', 'g', 'o', now() - interval '1 day', now() - interval '40 days')`)
	r := e.runner(t, nil)
	e.clock.Set(time.Now())
	run(t, r, retention.JobPolicyNotices)
	// A coming version whose date has passed by the time the job runs.
	v := e.publish(t, "snart", now.Add(2*day))
	e.clock.Set(v.EffectiveAt.Add(time.Minute))
	run(t, r, retention.JobPolicyNotices)
	if n := e.count(t, `SELECT count(*) FROM app.notice_outbox WHERE kind = 'policy_change'`); n != 0 {
		t.Errorf("%d notices queued for versions already in effect; want 0", n)
	}
	// Asked directly, the store refuses too, and so for an unknown version.
	for _, ver := range []uuid.UUID{v.ID, uuid.New()} {
		told, _, err := e.db.QueuePolicyNotices(e.systemCtx, ver, uuid.Nil, v.EffectiveAt.Add(time.Minute), retention.BatchSize)
		if err != nil || told != 0 {
			t.Errorf("version %s: told %d, err %v; want 0, nil", ver, told, err)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM app.account WHERE policy_noticed_at IS NOT NULL`); n != 0 {
		t.Errorf("%d accounts marked as told; want 0", n)
	}
}

func TestP29_PolicyNoticesConcurrentRunsTellEachAccountOnce(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	const n = 2*retention.BatchSize + 300
	e.exec(t, `INSERT INTO app.account (username, username_key, password_hash, created_at)
		SELECT 'massa' || i, 'massa' || i, 'x', now() - interval '1 day' FROM generate_series(1, $1) i`, n)
	e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version)
		SELECT id, 'email', '2026-1' FROM app.account WHERE username LIKE 'massa%'`)
	v := e.publish(t, "2027-1", time.Now().Add(40*day))
	at := time.Now()

	// Two workers calling the store at once, past the job's lock.
	var wg sync.WaitGroup
	told := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			after := uuid.Nil
			for {
				k, last, err := e.db.QueuePolicyNotices(e.systemCtx, v.ID, after, at, retention.BatchSize)
				told[i] += k
				if err != nil || k < retention.BatchSize {
					errs[i] = err
					return
				}
				after = last
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Then two runners at once, and once more: whatever was skipped is told now.
	r1, r2 := e.runner(t, nil), e.runner(t, nil)
	e.clock.Set(time.Now())
	for i, r := range []*retention.Runner{r1, r2} {
		wg.Go(func() { errs[i] = r.Run(context.Background(), retention.JobPolicyNotices, "twice:"+uuid.NewString()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	run(t, r1, retention.JobPolicyNotices)

	if got := e.count(t, `SELECT count(*) FROM app.notice_outbox WHERE kind = 'policy_change'`); got != n {
		t.Errorf("%d notices queued; want %d, one per account", got, n)
	}
	if got := e.count(t, `SELECT count(DISTINCT account_id) FROM app.notice_outbox WHERE kind = 'policy_change'`); got != n {
		t.Errorf("%d accounts notified; want %d", got, n)
	}
	byRuns := e.count(t, `SELECT coalesce(sum(rows_affected), 0)::int FROM app.job_run WHERE job = $1`, retention.JobPolicyNotices)
	if told[0]+told[1]+byRuns != n {
		t.Errorf("workers told %d+%d and runs %d accounts; want %d in all", told[0], told[1], byRuns, n)
	}
}
