package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/reception"
)

// kommunAdminRoutes registers the routes of each kommun's reception admins: reception page and staff (issue 4).
func (s *Server) kommunAdminRoutes(app *fiber.App, api fiber.Router) {
	h := &kommunAdmin{Server: s, staff: s.newStaffAuth()}
	// Every admin route acts in the kommun of its path as the signed-in
	// staff member; staff of another kommun get "not found" (P5).
	in := func(obj, act string, hs ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{s.resolveKommun, s.requireStaff, s.actAsKommunStaff, s.require(obj, act)}, hs...)
	}
	app.Get("/personal/:kommun/mottagning", in(authz.ObjReceptionPage, authz.ActEdit, h.editPage)...)
	app.Post("/personal/:kommun/mottagning", in(authz.ObjReceptionPage, authz.ActEdit, h.saveDraft)...)
	app.Get("/personal/:kommun/mottagning/forhandsvisning", in(authz.ObjReceptionPage, authz.ActEdit, h.preview)...)
	app.Post("/personal/:kommun/mottagning/publicera", in(authz.ObjReceptionPage, authz.ActPublish, h.publish)...)
	app.Get("/personal/:kommun/handelser", in(authz.ObjAdminLog, authz.ActRead, h.adminLog)...)
	app.Get("/personal/:kommun/personal", in(authz.ObjStaff, authz.ActEdit, h.ready, h.staffPage)...)
	app.Post("/personal/:kommun/personal/inbjudan", in(authz.ObjStaff, authz.ActInvite, h.ready, h.invite)...)
	app.Post("/personal/:kommun/personal/:staff/roll", in(authz.ObjStaff, authz.ActEdit, h.ready, h.changeRole)...)
	app.Post("/personal/:kommun/personal/:staff/avaktivera", in(authz.ObjStaff, authz.ActDeactivate, h.ready, h.deactivate)...)

	// The public page's outside links go through same-origin redirects
	// (S3); the privacy link follows the published page (P8).
	app.Get("/:kommun/integritetspolicy", s.resolveKommun, s.redirectOut(s.publishedPrivacyURL))
	app.Get("/:kommun/karta", s.resolveKommun, s.redirectOut(s.mapURL))

	api.Get("/kommuner/:kommun/reception", s.resolveKommun, s.apiReception)
	api.Get("/kommuner/:kommun/reception/draft", in(authz.ObjReceptionPage, authz.ActEdit, h.apiDraft)...)
	api.Put("/kommuner/:kommun/reception/draft", in(authz.ObjReceptionPage, authz.ActEdit, h.apiSaveDraft)...)
	api.Post("/kommuner/:kommun/reception/publish", in(authz.ObjReceptionPage, authz.ActPublish, h.apiPublish)...)
	api.Get("/kommuner/:kommun/admin-log", in(authz.ObjAdminLog, authz.ActRead, h.apiAdminLog)...)
	api.Get("/kommuner/:kommun/staff", in(authz.ObjStaff, authz.ActEdit, h.apiStaff)...)
	api.Post("/kommuner/:kommun/staff/invitations", in(authz.ObjStaff, authz.ActInvite, h.ready, h.apiInvite)...)
	api.Put("/kommuner/:kommun/staff/:staff/role", in(authz.ObjStaff, authz.ActEdit, h.ready, h.apiChangeRole)...)
	api.Delete("/kommuner/:kommun/staff/:staff", in(authz.ObjStaff, authz.ActDeactivate, h.ready, h.apiDeactivate)...)
}

// receptionStore is what reception pages, the admin log and staff
// management need from the database (postgres.DB). Every method acts in
// the kommun of ctx's acting context, except the published-page reads.
type receptionStore interface {
	ReceptionDraft(ctx context.Context) (reception.Draft, error)
	SaveReceptionDraft(ctx context.Context, p reception.Page, action, detail string) error
	PublishReception(ctx context.Context, check func(reception.Page) error, action string) error
	PublishedReception(ctx context.Context, kommunID uuid.UUID) (reception.Published, error)
	PublishedReceptions(ctx context.Context) (map[uuid.UUID]reception.Published, error)
	AdminActions(ctx context.Context, before time.Time, limit int) ([]reception.AdminAction, error)
	RecordAdminAction(ctx context.Context, action, detail string) error
	KommunStaff(ctx context.Context) ([]reception.Member, error)
	ChangeStaffRole(ctx context.Context, staffID uuid.UUID, role, action, detail string) error
	DeactivateStaff(ctx context.Context, staffID uuid.UUID, action, detail string) error
	WithAdminAction(ctx context.Context, action, detail string, fn func(ctx context.Context) error) error
}

// kommunAdmin holds the reception admins' handlers.
type kommunAdmin struct {
	*Server
	staff *staffAuth // the staff service (invitations) and membership reloads
}

// ready fails staff management if the staff service could not be built.
func (h *kommunAdmin) ready(c *fiber.Ctx) error { return h.staff.ready(c) }

// receptionNow is the time the opening hours are judged at.
func (s *Server) receptionNow() time.Time {
	if s.accounts != nil && s.accounts.Now != nil {
		return s.accounts.Now()
	}
	return time.Now()
}
