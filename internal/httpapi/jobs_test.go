package httpapi

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/postgres"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// jobsFakeRunner lists the real registry and remembers what was run.
type jobsFakeRunner struct {
	jobs []retention.Job
	mu   sync.Mutex
	ran  []string
}

func (r *jobsFakeRunner) Jobs() []retention.Job { return r.jobs }

func (r *jobsFakeRunner) RunNow(_ context.Context, name string) error {
	for _, j := range r.jobs {
		if j.Name == name && !j.Pending() {
			r.mu.Lock()
			r.ran = append(r.ran, name)
			r.mu.Unlock()
			return nil
		}
	}
	return apperr.New(apperr.NotFound, "error.jobs.unknown")
}

func (r *jobsFakeRunner) runs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

// jobsEnv is an env whose server has the fake runner wired.
func jobsEnv(t *testing.T) (env, *jobsFakeRunner) {
	t.Helper()
	e := newEnv(t)
	r := &jobsFakeRunner{jobs: retention.Jobs(postgres.NewRetentionStore(e.db).RetentionDeps())}
	e.srv.jobs = r
	return e, r
}

// jobsMember returns a signed-in staff member of the kommun slug with role.
func jobsMember(t *testing.T, e env, slug, role string) (*pfClient, uuid.UUID) {
	t.Helper()
	k, err := e.db.KommunBySlug(e.system, slug)
	if err != nil {
		t.Fatal(err)
	}
	id := pfStaff(t, e, role+"-"+uuid.NewString()[:8]+"@"+slug+".example")
	if err := e.db.SetMembership(tenant.WithActing(e.system, tenant.System().ForKommun(k.ID)), id, role); err != nil {
		t.Fatal(err)
	}
	pfReload(t, e)
	return pfSession(t, e, id), id
}

func TestJobsPageShowsEveryJobToPlatformAdmins(t *testing.T) {
	t.Parallel()
	e, _ := jobsEnv(t)
	admin, _ := pfPlatformAdmin(t, e)
	if _, err := pfAdminDB(t, e).Exec(context.Background(), `INSERT INTO app.job_run (job, task_id, started_at, finished_at, outcome, error, attempts)
		VALUES ('sessions', 'sessions:1', now() - interval '1 minute', now(), 'failed', 'disk full', 4)`); err != nil {
		t.Fatal(err)
	}
	res, body := admin.get(t, "/plattform/jobb")
	if res.StatusCode != 200 {
		t.Fatalf("GET /plattform/jobb = %d; want 200", res.StatusCode)
	}
	for _, want := range []string{"Inaktiva konton", "Loggen efter 5 år", "Chattens skyddsnät", "Väntar på funktionen", "Nästa körning",
		"Misslyckades", "försök 4", "disk full", "behöver någon titta på felet"} {
		if !strings.Contains(body, want) {
			t.Errorf("the job page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/plattform/jobb/chat_safety_net"`) {
		t.Error("a slot without its feature offers \"run now\"")
	}
	res, body = admin.get(t, "/api/v1/platform/jobs")
	if res.StatusCode != 200 || !strings.Contains(body, `"name":"inactive_accounts"`) {
		t.Errorf("GET /api/v1/platform/jobs = %d %s", res.StatusCode, body)
	}
}

func TestJobsPageRefusesCounsellorsAndYouth(t *testing.T) {
	t.Parallel()
	e, r := jobsEnv(t)
	counsellor := pfCounsellor(t, e)
	reception, _ := jobsMember(t, e, "nacka", "reception_admin")
	youth, _ := pfYouth(t, e, "nyfiken"+randomSuffix(t))
	for name, c := range map[string]*pfClient{"counsellor": counsellor, "reception admin": reception, "youth": youth} {
		if res, _ := c.get(t, "/plattform/jobb"); res.StatusCode == 200 {
			t.Errorf("%s: GET /plattform/jobb = 200; want refused", name)
		}
		if res, _ := c.post(t, "/plattform/jobb/sessions", url.Values{}); res.StatusCode < 400 {
			t.Errorf("%s: run now = %d; want refused", name, res.StatusCode)
		}
	}
	if got := r.runs(); len(got) != 0 {
		t.Errorf("jobs run by people who may not: %v", got)
	}
}

func TestJobsRunNowIsAudited(t *testing.T) {
	t.Parallel()
	e, r := jobsEnv(t)
	admin, adminID := pfPlatformAdmin(t, e)
	res, _ := admin.post(t, "/plattform/jobb/sessions", url.Values{})
	if res.StatusCode != 303 || !strings.Contains(res.Header.Get("Location"), "koad=sessions") {
		t.Fatalf("run now = %d to %q; want 303 back to the page", res.StatusCode, res.Header.Get("Location"))
	}
	if got := r.runs(); len(got) != 1 || got[0] != "sessions" {
		t.Fatalf("runs enqueued: %v; want [sessions]", got)
	}
	log := pfAccessLog(t, pfAdminDB(t, e))
	if len(log) != 1 || log[0].Action != "job.run" || log[0].Subject != "job:sessions" ||
		log[0].ActorRole != "platform_admin" || log[0].ActorID != adminID || log[0].KommunID != nil {
		t.Errorf("access log %+v; want one job.run by the admin about job:sessions", log)
	}
	_, body := admin.get(t, "/plattform/jobb?koad=sessions")
	if !strings.Contains(body, "körs strax") {
		t.Error("the page does not confirm the job was queued")
	}
	res, body = admin.api(t, "POST", "/api/v1/platform/jobs/access_log_expiry/run", nil)
	if res.StatusCode != 202 {
		t.Errorf("API run now = %d %s; want 202", res.StatusCode, body)
	}
}

func TestJobsRunNowRefusesUnknownJob(t *testing.T) {
	t.Parallel()
	e, r := jobsEnv(t)
	admin, _ := pfPlatformAdmin(t, e)
	for _, name := range []string{"finns_inte", "chat_safety_net", "DROP"} {
		res, body := admin.post(t, "/plattform/jobb/"+name, url.Values{})
		if res.StatusCode != 404 || !strings.Contains(body, "Det finns inget sådant jobb") {
			t.Errorf("run now %q = %d; want 404 with a clear message", name, res.StatusCode)
		}
	}
	if len(r.runs()) != 0 || len(pfAccessLog(t, pfAdminDB(t, e))) != 0 {
		t.Error("a refused run was enqueued or logged")
	}
}

func TestJobsAndLogPagesRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	e, _ := jobsEnv(t)
	platform, _ := pfPlatformAdmin(t, e)
	reception, _ := jobsMember(t, e, "nacka", "reception_admin")
	youth, _ := pfYouth(t, e, "sprak"+randomSuffix(t))
	for _, lang := range []string{"sv", "en"} {
		for c, path := range map[*pfClient]string{platform: "/plattform/jobb", reception: "/personal/nacka/logg", youth: "/min-profil/insyn"} {
			res, body := c.get(t, path+"?lang="+lang)
			if res.StatusCode != 200 || strings.Contains(body, "jobs.") || strings.Contains(body, "accesslog.") || strings.Contains(body, "insight.") {
				t.Errorf("%s in %s: %d, or an untranslated key shows", path, lang, res.StatusCode)
			}
		}
	}
}
