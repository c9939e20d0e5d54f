package httpapi

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/retention"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// jobView is one job as the platform page shows it.
type jobView struct {
	Name, Label, About, Schedule, Scope, Next string
	Pending                                   bool
	HasRun                                    bool
	Started, Finished, Duration, LastSuccess  string
	Rows                                      int64
	Outcome, OutcomeLabel, Error              string
	Attempts, Failures                        int
}

type jobsPageData struct {
	Jobs      []jobView
	Queued    string // the label of the job just queued
	Available bool   // "run now" is wired
}

// jobViews joins the registry with the latest runs.
func (s *Server) jobViews(c *fiber.Ctx) ([]jobView, error) {
	runs, err := s.retentionDB().JobRuns(c.UserContext())
	if err != nil {
		return nil, err
	}
	lang, now := langOf(c), time.Now()
	var out []jobView
	for _, j := range s.registeredJobs() {
		v := jobView{Name: j.Name, Label: s.jobLabel(lang, j.Name), About: s.tr.T(lang, "jobs.about."+j.Name),
			Schedule: j.Schedule, Scope: s.tr.T(lang, "jobs.scope."+string(j.Scope)), Pending: j.Pending(),
			Next: stockholmTime(j.Next(now))}
		if i := slices.IndexFunc(runs, func(r retention.RunSummary) bool { return r.Job == j.Name }); i >= 0 {
			r := runs[i]
			v.HasRun, v.Started, v.Rows, v.Outcome, v.Error = true, stockholmTime(r.Started), r.Rows, r.Outcome, r.Error
			v.Attempts, v.Failures = r.Attempts, r.Failures
			v.OutcomeLabel = s.tr.T(lang, "jobs.outcome."+r.Outcome)
			if r.Finished != nil {
				v.Finished, v.Duration = stockholmTime(*r.Finished), r.Finished.Sub(r.Started).Round(time.Millisecond).String()
			}
			if r.LastSuccess != nil {
				v.LastSuccess = stockholmTime(*r.LastSuccess)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) registeredJobs() []retention.Job {
	if s.jobs == nil {
		return nil
	}
	return s.jobs.Jobs()
}

func (s *Server) jobLabel(lang, name string) string {
	if s.tr.Has(lang, "jobs.name."+name) {
		return s.tr.T(lang, "jobs.name."+name)
	}
	return name
}

func (s *Server) jobsPage(c *fiber.Ctx) error {
	jobs, err := s.jobViews(c)
	if err != nil {
		return err
	}
	data := jobsPageData{Jobs: jobs, Available: s.jobs != nil}
	if q := c.Query("koad"); q != "" && s.knownJob(q) {
		data.Queued = s.jobLabel(langOf(c), q)
	}
	return s.render(c, "jobs", false, data)
}

// knownJob reports whether name is a registered job that can run.
func (s *Server) knownJob(name string) bool {
	return slices.ContainsFunc(s.registeredJobs(), func(j retention.Job) bool { return j.Name == name && !j.Pending() })
}

// runJob enqueues job name, after writing to the access log that this
// platform admin asked for it. The subject is the job (audit.JobSubject):
// the run concerns no single user.
func (s *Server) runJob(c *fiber.Ctx) (string, error) {
	name := c.Params("name")
	if s.jobs == nil {
		return "", apperr.New(apperr.Unavailable, "error.jobs.unavailable")
	}
	if !s.knownJob(name) {
		return "", apperr.New(apperr.NotFound, "error.jobs.unknown")
	}
	name = string([]byte(name)) // Fiber reuses its buffers
	a := tenant.ActingFrom(c.UserContext())
	if err := s.retentionDB().Record(c.UserContext(), audit.Entry{ActorID: a.AccountID, ActorRole: authz.RolePlatformAdmin,
		Action: audit.JobRun, Subject: audit.JobSubject(name)}); err != nil {
		return "", err
	}
	if err := s.jobs.RunNow(c.UserContext(), name); err != nil {
		if apperr.As(err) == nil {
			return "", apperr.E(apperr.Unavailable, "error.jobs.enqueue", err)
		}
		return "", err
	}
	s.log.Info("jobs: run now", "request_id", requestID(c), "job", name, "staff", a.AccountID.String())
	return name, nil
}

func (s *Server) runJobNow(c *fiber.Ctx) error {
	name, err := s.runJob(c)
	if err != nil {
		return err
	}
	return c.Redirect("/plattform/jobb?koad="+name, fiber.StatusSeeOther)
}

// jobJSON is a job with its latest run, as the API shows it.
type jobJSON struct {
	Name        string  `json:"name"`
	Schedule    string  `json:"schedule"`
	Scope       string  `json:"scope"`
	Pending     bool    `json:"pending"`
	NextRun     *string `json:"next_run"`
	LastStarted *string `json:"last_started"`
	LastOutcome string  `json:"last_outcome,omitempty"`
	LastRows    int64   `json:"last_rows"`
	LastError   string  `json:"last_error,omitempty"`
	Attempts    int     `json:"attempts"`
}

func (s *Server) apiJobs(c *fiber.Ctx) error {
	runs, err := s.retentionDB().JobRuns(c.UserContext())
	if err != nil {
		return err
	}
	out := []jobJSON{}
	for _, j := range s.registeredJobs() {
		v := jobJSON{Name: j.Name, Schedule: j.Schedule, Scope: string(j.Scope), Pending: j.Pending()}
		if next := j.Next(time.Now()); !next.IsZero() {
			n := next.UTC().Format(time.RFC3339)
			v.NextRun = &n
		}
		if i := slices.IndexFunc(runs, func(r retention.RunSummary) bool { return r.Job == j.Name }); i >= 0 {
			st := runs[i].Started.UTC().Format(time.RFC3339)
			v.LastStarted, v.LastOutcome, v.LastRows, v.LastError, v.Attempts = &st, runs[i].Outcome, runs[i].Rows, runs[i].Error, runs[i].Attempts
		}
		out = append(out, v)
	}
	return c.JSON(fiber.Map{"jobs": out})
}

func (s *Server) apiRunJobNow(c *fiber.Ctx) error {
	name, err := s.runJob(c)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"job": name, "queued": true})
}
