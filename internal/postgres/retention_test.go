package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
	"github.com/storsthlm/mottagning/internal/testenv"
)

// travel is a clock tests move by hand.
type travel struct {
	mu  sync.Mutex
	now time.Time
}

func (c *travel) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *travel) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// retentionEnv is a world with a runner over the real stores.
type retentionEnv struct {
	world
	admin *pgx.Conn
	clock *travel
	reg   *prometheus.Registry
}

func newRetentionEnv(t *testing.T) retentionEnv {
	t.Helper()
	w := newWorld(t)
	return retentionEnv{world: w, admin: testenv.Admin(t, w.dbinfo), clock: &travel{now: time.Now()}, reg: prometheus.NewRegistry()}
}

// runner returns a runner of the registry, with deps changed by mutate,
// walking the kommuner of lister (nil: all of them).
func (e retentionEnv) runner(t *testing.T, lister retention.KommunLister, mutate ...func(*retention.Deps)) *retention.Runner {
	t.Helper()
	d := postgres.NewRetentionStore(e.db).RetentionDeps()
	d.SessionIdle = 30 * time.Minute
	for _, m := range mutate {
		m(&d)
	}
	if lister == nil {
		lister = e.db
	}
	r, err := retention.NewRunner(retention.Jobs(d), e.db, lister, e.clock.Now, nil, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func run(t *testing.T, r *retention.Runner, job string) {
	t.Helper()
	if err := r.Run(context.Background(), job, job+":"+uuid.NewString()); err != nil {
		t.Fatalf("run %s: %v", job, err)
	}
}

// account creates a youth account whose last sign-in was at last.
func (e retentionEnv) account(t *testing.T, username string, last time.Time) uuid.UUID {
	t.Helper()
	a, err := e.db.CreateAccount(e.systemCtx, username, strings.ToLower(username), "x", "sv")
	if err != nil {
		t.Fatal(err)
	}
	e.exec(t, `UPDATE app.account SET last_login_at = $2, created_at = least(created_at, $2) WHERE id = $1`, a.ID, last)
	return a.ID
}

func (e retentionEnv) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.admin.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (e retentionEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.admin.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e retentionEnv) exists(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM app.account WHERE id = $1`, id) == 1
}

const day = 24 * time.Hour

func TestP16_InactiveAccountDeletedAfter365Days(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now().Truncate(time.Second)
	e.clock.Set(now)
	kept := e.account(t, "dag364", now.Add(-364*day))
	gone := e.account(t, "dag365", now.Add(-365*day))
	e.exec(t, `INSERT INTO app.session (id_hash, account_id, expires_at) VALUES (sha256('p16'), $1, now() + interval '1 day')`, gone)
	run(t, e.runner(t, nil), retention.JobInactiveAccounts)
	if !e.exists(t, kept) {
		t.Error("an account 364 days without sign-in was deleted; want kept")
	}
	if e.exists(t, gone) {
		t.Error("an account 365 days without sign-in is still there; want deleted")
	}
	if n := e.count(t, `SELECT count(*) FROM app.session WHERE account_id = $1`, gone); n != 0 {
		t.Errorf("%d sessions of the deleted account remain; want everything gone with it", n)
	}
}

func TestP16_LoginResetsClock(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	id := e.account(t, "atervand", time.Now().Add(-400*day))
	e.exec(t, `UPDATE app.account SET deletion_warned_at = now() - interval '40 days' WHERE id = $1`, id)
	if err := e.db.RecordLogin(context.Background(), id, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(time.Now())
	run(t, e.runner(t, nil), retention.JobInactiveAccounts)
	if !e.exists(t, id) {
		t.Fatal("an account that just signed in was deleted")
	}
	if n := e.count(t, `SELECT count(*) FROM app.account WHERE id = $1 AND deletion_warned_at IS NULL`, id); n != 1 {
		t.Error("signing in did not clear the deletion warning")
	}
}

// countingWarner records each warning.
type countingWarner struct {
	mu    sync.Mutex
	calls map[uuid.UUID][]time.Time
}

func (w *countingWarner) WarnBeforeDeletion(_ context.Context, id uuid.UUID, deleteOn time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls[id] = append(w.calls[id], deleteOn)
	return nil
}

func (w *countingWarner) of(id uuid.UUID) []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Time(nil), w.calls[id]...)
}

func TestP16_WarningSentOnce30DaysBefore(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	start := time.Now().Truncate(time.Second)
	last := start.Add(-334 * day)
	reachable := e.account(t, "nabar", last)
	e.exec(t, `UPDATE app.account SET phone = '+46701234567', phone_verified_at = now() WHERE id = $1`, reachable)
	e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, 'sms', '2026-1')`, reachable)
	unverified := e.account(t, "overifierad", last)
	e.exec(t, `UPDATE app.account SET phone = '+46701234568' WHERE id = $1`, unverified)
	e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, 'sms', '2026-1')`, unverified)
	silent := e.account(t, "tyst", last)

	w := &countingWarner{calls: map[uuid.UUID][]time.Time{}}
	r := e.runner(t, nil, func(d *retention.Deps) { d.Warner = w })
	e.clock.Set(start) // day 334
	run(t, r, retention.JobInactiveAccounts)
	if got := w.of(reachable); len(got) != 0 {
		t.Fatalf("warned on day 334: %v; want no warning before day 335", got)
	}
	for d := 1; d <= 3; d++ { // days 335, 336, 337
		e.clock.Set(start.Add(time.Duration(d) * day))
		run(t, r, retention.JobInactiveAccounts)
	}
	got := w.of(reachable)
	if len(got) != 1 {
		t.Fatalf("warnings sent: %d; want exactly one", len(got))
	}
	if want := last.Add(365 * day); !got[0].Equal(want) {
		t.Errorf("warning names deletion on %v; want %v", got[0], want)
	}
	if len(w.of(unverified)) != 0 || len(w.of(silent)) != 0 {
		t.Error("an account without a verified contact with notices on was warned")
	}
	if n := e.count(t, `SELECT count(*) FROM app.account WHERE deletion_warned_at IS NOT NULL`); n != 1 {
		t.Errorf("%d accounts marked warned; want 1", n)
	}
}

func TestP16_WarningRecordedWithoutWarner(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now()
	id := e.account(t, "utanbud", now.Add(-340*day))
	e.exec(t, `UPDATE app.account SET email = 'a@b.example', email_verified_at = now() WHERE id = $1`, id)
	e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, 'email', '2026-1')`, id)
	e.clock.Set(now)
	run(t, e.runner(t, nil), retention.JobInactiveAccounts)
	if n := e.count(t, `SELECT count(*) FROM app.account WHERE id = $1 AND deletion_warned_at IS NOT NULL`, id); n != 1 {
		t.Error("the warning decision was not recorded when no warner is wired")
	}
}

// fakeCases says which accounts have an ongoing case.
type fakeCases struct {
	mu      sync.Mutex
	ongoing map[uuid.UUID]bool
}

func (f *fakeCases) HasOngoingCase(_ context.Context, id uuid.UUID, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ongoing[id], nil
}

func TestP16_OngoingCaseBlocksDeletion(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	busy := e.account(t, "upptagen", time.Now().Add(-400*day))
	idle := e.account(t, "ledig", time.Now().Add(-400*day))
	cases := &fakeCases{ongoing: map[uuid.UUID]bool{busy: true}}
	r := e.runner(t, nil, func(d *retention.Deps) { d.Cases = []retention.OngoingCases{cases} })
	run(t, r, retention.JobInactiveAccounts)
	if !e.exists(t, busy) {
		t.Fatal("an account with an ongoing case was deleted")
	}
	if e.exists(t, idle) {
		t.Fatal("an inactive account without a case was kept")
	}
	cases.mu.Lock()
	cases.ongoing[busy] = false
	cases.mu.Unlock()
	run(t, r, retention.JobInactiveAccounts)
	if e.exists(t, busy) {
		t.Error("the account is still there after its case ended; want deleted")
	}
}

func partitionExists(t *testing.T, e retentionEnv, at time.Time) bool {
	t.Helper()
	name := fmt.Sprintf("app.access_log_y%04dm%02d", at.UTC().Year(), int(at.UTC().Month()))
	return e.count(t, `SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)`, name) == 1
}

func (e retentionEnv) logAt(t *testing.T, at time.Time, subject string) {
	t.Helper()
	if err := e.db.Record(e.systemCtx, audit.Entry{At: at, ActorID: uuid.New(), ActorRole: "system",
		Action: audit.AccountFind, Subject: subject}); err != nil {
		t.Fatal(err)
	}
}

func TestP19_AccessLogExpiresByPartition(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now().UTC()
	keptAt, goneAt := now.AddDate(-5, 0, 1), now.AddDate(-5, -1, 0)
	e.logAt(t, keptAt, "gammalkvar")
	e.logAt(t, goneAt, "gammalborta")
	e.logAt(t, now, "ny")
	e.clock.Set(now)
	run(t, e.runner(t, nil), retention.JobAccessLog)
	if n := e.count(t, `SELECT count(*) FROM app.access_log WHERE subject_username = 'gammalkvar'`); n != 1 {
		t.Error("an entry 5 years minus a day old is gone; want kept")
	}
	if n := e.count(t, `SELECT count(*) FROM app.access_log WHERE subject_username = 'gammalborta'`); n != 0 {
		t.Error("an entry a month past 5 years is still there")
	}
	if partitionExists(t, e, goneAt) {
		t.Error("the expired month's partition still exists; want it dropped (no row deletes)")
	}
	if !partitionExists(t, e, keptAt) || !partitionExists(t, e, now) {
		t.Error("a partition that is not expired was dropped")
	}
	if !partitionExists(t, e, now.AddDate(0, retention.PartitionsAhead, 0)) {
		t.Errorf("no partition %d months ahead; want them created ahead of time", retention.PartitionsAhead)
	}
}

func TestP19_InsertIntoMonthWithoutPartitionSucceeds(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	future := time.Now().UTC().AddDate(3, 2, 0)
	if partitionExists(t, e, future) {
		t.Fatal("the month already has a partition; the test means nothing")
	}
	staff := staffCtx(e.a, e.staffA)
	if err := e.db.Record(staff, audit.Entry{At: future, KommunID: e.a.ID, ActorID: e.staffA, ActorRole: "counsellor",
		Action: audit.BookingRead, Subject: "framtid"}); err != nil {
		t.Fatalf("insert into a month without a partition: %v", err)
	}
	if n := e.count(t, `SELECT count(*) FROM app.access_log WHERE subject_username = 'framtid'`); n != 1 {
		t.Errorf("%d entries written; want 1", n)
	}
}

func TestRetentionTwoWorkersAtOnceDeleteNothingTwice(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	const n = 40
	for i := range n {
		e.account(t, fmt.Sprintf("samtidig%02d", i), time.Now().Add(-500*day))
	}
	r1, r2 := e.runner(t, nil), e.runner(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, r := range []*retention.Runner{r1, r2} {
		wg.Go(func() {
			errs[i] = r.Run(context.Background(), retention.JobInactiveAccounts, fmt.Sprintf("twice:%d", i))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("a run failed: %v", err)
	}
	if left := e.count(t, `SELECT count(*) FROM app.account`); left != 0 {
		t.Errorf("%d inactive accounts left; want 0", left)
	}
	total := e.count(t, `SELECT coalesce(sum(rows_affected), 0)::int FROM app.job_run WHERE job = $1`, retention.JobInactiveAccounts)
	if total != n {
		t.Errorf("the two runs report %d deletions together; want %d (nothing deleted twice)", total, n)
	}
	if failed := e.count(t, `SELECT count(*) FROM app.job_run WHERE outcome NOT IN ('ok', 'skipped')`); failed != 0 {
		t.Errorf("%d runs did not end ok or skipped", failed)
	}
}

// onlyKommuner lists the given kommuner.
type onlyKommuner []tenant.Kommun

func (o onlyKommuner) Kommuner(context.Context) ([]tenant.Kommun, error) { return o, nil }

func TestRetentionKommunJobTouchesOnlyItsKommun(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	for i, k := range []*tenant.Kommun{&e.a, &e.b, nil} {
		var kid *uuid.UUID
		role := "platform_admin"
		if k != nil {
			kid, role = &k.ID, "counsellor"
		}
		e.exec(t, `INSERT INTO app.staff_invitation (token_hash, email, kommun_id, role, expires_at)
			VALUES (sha256($1::bytea), 'ny@x.example', $2, $3, now() - interval '40 days')`, []byte(fmt.Sprint("inv", i)), kid, role)
		if k != nil {
			e.exec(t, `INSERT INTO app.access_log_sample (kommun_id, month) VALUES ($1, '2019-01-01')`, k.ID)
		}
	}
	r := e.runner(t, onlyKommuner{e.a})
	run(t, r, retention.JobKommunInvitations)
	run(t, r, retention.JobAccessReviews)
	if n := e.count(t, `SELECT count(*) FROM app.staff_invitation WHERE kommun_id = $1`, e.a.ID); n != 0 {
		t.Errorf("%d old invitations of %s left; want 0", n, e.a.Slug)
	}
	if n := e.count(t, `SELECT count(*) FROM app.staff_invitation WHERE kommun_id = $1 OR kommun_id IS NULL`, e.b.ID); n != 2 {
		t.Errorf("the job for %s touched another kommun's or the platform's invitations (%d of 2 left)", e.a.Slug, n)
	}
	if n := e.count(t, `SELECT count(*) FROM app.access_log_sample WHERE kommun_id = $1`, e.b.ID); n != 1 {
		t.Errorf("the job for %s removed %s's samples", e.a.Slug, e.b.Slug)
	}
	if n := e.count(t, `SELECT count(*) FROM app.access_log_sample WHERE kommun_id = $1`, e.a.ID); n != 0 {
		t.Error("a sample older than 5 years was kept")
	}
	if n := e.count(t, `SELECT count(*) FROM app.job_run WHERE job = $1 AND kommun_id = $2 AND outcome = 'ok'`,
		retention.JobKommunInvitations, e.a.ID); n != 1 {
		t.Error("the kommun run was not recorded with its kommun")
	}
}

func TestRetentionSessionsAndInvitationsExpire(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	e.exec(t, `INSERT INTO app.session (id_hash, staff_id, expires_at, last_seen_at) VALUES
		(sha256('old'), $1, now() - interval '1 minute', now() - interval '2 minutes'),
		(sha256('idle'), $1, now() + interval '1 hour', now() - interval '2 hours'),
		(sha256('live'), $1, now() + interval '1 hour', now())`, e.staffA)
	e.exec(t, `INSERT INTO app.staff_invitation (token_hash, email, role, expires_at) VALUES
		(sha256('p1'), 'a@x.example', 'platform_admin', now() - interval '31 days'),
		(sha256('p2'), 'b@x.example', 'platform_admin', now() - interval '29 days')`)
	r := e.runner(t, nil)
	run(t, r, retention.JobSessions)
	run(t, r, retention.JobPlatformInvitations)
	if n := e.count(t, `SELECT count(*) FROM app.session WHERE id_hash = sha256('live')`); n != 1 {
		t.Error("a live session was removed")
	}
	if n := e.count(t, `SELECT count(*) FROM app.session`); n != 1 {
		t.Errorf("%d sessions left; want only the live one", n)
	}
	if n := e.count(t, `SELECT count(*) FROM app.staff_invitation`); n != 1 {
		t.Errorf("%d invitations left; want the one expired 29 days ago", n)
	}
}

func TestRetentionRunsRecordedAndFailuresRetried(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	r := e.runner(t, nil)
	run(t, r, retention.JobSessions)
	if n := e.count(t, `SELECT count(*) FROM app.job_run WHERE job = 'sessions' AND outcome = 'ok' AND finished_at IS NOT NULL AND kommun_id IS NULL`); n != 1 {
		t.Errorf("%d recorded runs; want 1 ok run", n)
	}
	fail := true
	bad := retention.Job{Name: "flaky", Schedule: "@every 1h", Scope: retention.ScopePlatform,
		Run: func(context.Context, time.Time) (int64, error) {
			if fail {
				return 0, errors.New("disk on fire")
			}
			return 3, nil
		}}
	fr, err := retention.NewRunner([]retention.Job{bad}, e.db, e.db, e.clock.Now, nil, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := fr.Run(context.Background(), "flaky", "flaky:1"); err == nil {
		t.Fatal("a failing job reported success")
	}
	if n := e.count(t, `SELECT count(*) FROM app.job_run WHERE job = 'flaky' AND outcome = 'failed' AND error LIKE '%disk on fire%'`); n != 1 {
		t.Error("the failed run is not recorded with its error")
	}
	fail = false
	if err := fr.Run(context.Background(), "flaky", "flaky:1"); err != nil { // Asynq's retry: the same task id
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT count(*) FROM app.job_run WHERE job = 'flaky' AND outcome = 'ok' AND attempts = 2 AND rows_affected = 3`); n != 1 {
		t.Error("the retry did not update the run to ok with 2 attempts")
	}
	if runs := metricValue(t, e.reg, "mottagning_retention_runs_total", "flaky", "failed"); runs != 1 {
		t.Errorf("runs_total{flaky,failed} = %v; want 1", runs)
	}
	sums, err := e.db.JobRuns(tenant.WithActing(context.Background(), tenant.System()))
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) < 2 {
		t.Errorf("JobRuns returned %d jobs; want sessions and flaky", len(sums))
	}
}

func metricValue(t *testing.T, reg *prometheus.Registry, name, job, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] == job && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestP16_WarningGoesToOutboxWithTheMark(t *testing.T) {
	t.Parallel()
	e := newRetentionEnv(t)
	now := time.Now()
	id := e.account(t, "utkorg", now.Add(-340*day))
	e.exec(t, `UPDATE app.account SET email = 'u@k.example', email_verified_at = now() WHERE id = $1`, id)
	e.exec(t, `INSERT INTO app.notice_consent (account_id, channel, policy_version) VALUES ($1, 'email', '2026-1')`, id)
	e.clock.Set(now)
	r := e.runner(t, nil, func(d *retention.Deps) { d.Warner = e.db })
	run(t, r, retention.JobInactiveAccounts)
	run(t, r, retention.JobInactiveAccounts)
	if n := e.count(t, `SELECT count(DISTINCT channel) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'deletion_warning'`, id); n == 0 {
		t.Fatal("no deletion warning in the outbox")
	}
	if n := e.count(t, `SELECT count(*) FROM app.notice_outbox WHERE account_id = $1 AND kind = 'deletion_warning' AND channel = 'email'`, id); n != 1 {
		t.Errorf("%d e-mail warnings queued over two runs; want 1", n)
	}
}
