package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/audit"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/retention"
)

// JobRunner is the registry of background jobs and a way to run one now
// (cmd/mottagning's jobRunner enqueues the job's periodic task once).
type JobRunner interface {
	// Jobs returns the registered jobs, slots included.
	Jobs() []retention.Job
	// RunNow enqueues one run of job name. It returns NotFound for an
	// unknown job or a slot, and the queue's error if enqueueing fails.
	RunNow(ctx context.Context, name string) error
}

// retentionStore is what the job page, the youth's view of the access log
// and the kommun's follow-up need from the database (internal/postgres).
type retentionStore interface {
	JobRuns(ctx context.Context) ([]retention.RunSummary, error)
	MyAccessLog(ctx context.Context, accountID uuid.UUID) ([]retention.LogEntry, error)
	KommunAccessLog(ctx context.Context, f retention.LogFilter) ([]retention.LogEntry, error)
	DrawAccessSample(ctx context.Context, month time.Time, size int) (retention.Sample, error)
	AccessSamples(ctx context.Context) ([]retention.Sample, error)
	AccessSample(ctx context.Context, id uuid.UUID) (retention.Sample, error)
	ReviewAccessSample(ctx context.Context, id uuid.UUID, reviews []retention.ItemReview) (retention.Sample, error)
	Record(ctx context.Context, e audit.Entry) error
}

// jobsRoutes registers the routes of the platform's job page and the youth's access-log view (issue 8).
func (s *Server) jobsRoutes(app *fiber.App, api fiber.Router) {
	// The platform's background jobs.
	readJobs, runJobs := s.require(authz.ObjJob, authz.ActRead), s.require(authz.ObjJob, authz.ActRun)
	app.Get("/plattform/jobb", s.requireStaff, s.actAsPlatformAdmin, readJobs, s.jobsPage)
	app.Post("/plattform/jobb/:name", s.requireStaff, s.actAsPlatformAdmin, runJobs, s.runJobNow)
	api.Get("/platform/jobs", s.requireStaff, s.actAsPlatformAdmin, readJobs, s.apiJobs)
	api.Post("/platform/jobs/:name/run", s.requireStaff, s.actAsPlatformAdmin, runJobs, s.apiRunJobNow)

	// "Vem har sett mina uppgifter?" (P14, P23).
	app.Get("/min-profil/insyn", s.requireYouth, s.require(authz.ObjAccount, authz.ActRead), s.insightPage)
	api.Get("/account/access-log", s.requireYouth, s.require(authz.ObjAccount, authz.ActRead), s.apiInsight)

	// A kommun's access log and its sampled follow-up (P14).
	readLog, sample := s.require(authz.ObjAccessLog, authz.ActRead), s.require(authz.ObjAccessLog, authz.ActSample)
	staff := []fiber.Handler{s.resolveKommun, s.requireStaff, s.actAsKommunStaff}
	with := func(hs ...fiber.Handler) []fiber.Handler { return append(append([]fiber.Handler{}, staff...), hs...) }
	app.Get("/personal/:kommun/logg", with(readLog, s.kommunLogPage)...)
	app.Post("/personal/:kommun/logg/stickprov", with(sample, s.drawSample)...)
	app.Get("/personal/:kommun/logg/stickprov/:id", with(sample, s.samplePage)...)
	app.Post("/personal/:kommun/logg/stickprov/:id", with(sample, s.reviewSample)...)
	api.Get("/kommuner/:kommun/access-log", with(readLog, s.apiKommunLog)...)
	api.Get("/kommuner/:kommun/access-log/samples", with(sample, s.apiSamples)...)
	api.Post("/kommuner/:kommun/access-log/samples", with(sample, s.apiDrawSample)...)
	api.Get("/kommuner/:kommun/access-log/samples/:id", with(sample, s.apiSample)...)
	api.Patch("/kommuner/:kommun/access-log/samples/:id", with(sample, s.apiReviewSample)...)
}

// retentionDB returns the store of this area.
func (s *Server) retentionDB() retentionStore { return s.accountDB }

// stockholmTime formats t for people, in Stockholm time.
func stockholmTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(retention.Stockholm).Format("2006-01-02 15:04")
}
