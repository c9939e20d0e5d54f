package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/onboarding"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// platformKommunStore is what the platform admins' kommun console needs
// from the database (internal/postgres implements it).
type platformKommunStore interface {
	KommunOverview(ctx context.Context) ([]onboarding.Overview, error)
	OnboardKommun(ctx context.Context, d tenant.Definition) (tenant.Kommun, bool, error)
	SetKommunStatus(ctx context.Context, slug string, to tenant.Status, from ...tenant.Status) (tenant.Kommun, error)
	OffboardKommun(ctx context.Context, slug string, seal onboarding.SealFunc) (onboarding.Offboarded, error)
	KommunExport(ctx context.Context, id uuid.UUID) (onboarding.Export, error)
	KommunExports(ctx context.Context, kommunID uuid.UUID) ([]onboarding.Export, error)
	staffMailStore // invitations by e-mail (kommun_admin_staffmail.go)
}

// platformKommunRoutes registers the routes of the platform admins' kommun console: onboard, suspend, offboard (issue 4).
//
// Whether a kommun serves youth is tenant.Kommun.Active: every feature
// that starts something new for a youth (a booking, a chat) checks it and
// refuses with apperr.Unavailable when it is false; existing data stays.
func (s *Server) platformKommunRoutes(app *fiber.App, api fiber.Router) {
	h := s.newPlatformKommun()
	read, onboard := s.require(authz.ObjKommun, authz.ActRead), s.require(authz.ObjKommun, authz.ActOnboard)
	suspend, offboard := s.require(authz.ObjKommun, authz.ActSuspend), s.require(authz.ObjKommun, authz.ActOffboard)

	p := app.Group("/plattform/kommuner", s.requireStaff, s.actAsPlatformAdmin, h.ready)
	p.Get("/", read, h.consolePage)
	p.Get("/ny", onboard, h.onboardPage)
	p.Post("/ny", onboard, h.onboardForm)
	p.Post("/registret", onboard, h.onboardRegistry)
	p.Get("/:slug", read, h.kommunPage)
	p.Post("/:slug/inbjudan", onboard, h.inviteAdmin)
	p.Post("/:slug/pausa", suspend, h.suspend)
	p.Post("/:slug/oppna", suspend, h.resume)
	p.Get("/:slug/avsluta", offboard, h.offboardPage)
	p.Post("/:slug/avsluta", offboard, h.offboardCheck)
	p.Post("/:slug/avsluta/bekrafta", offboard, h.offboardConfirm)
	p.Get("/:slug/export/:id", offboard, h.download)

	pa := api.Group("/platform/kommuner", s.requireStaff, s.actAsPlatformAdmin, h.ready)
	pa.Get("/", read, h.apiOverview)
	pa.Post("/", onboard, h.apiOnboard)
	pa.Post("/:slug/invitations", onboard, h.apiInvite)
	pa.Post("/:slug/suspend", suspend, h.apiSuspend)
	pa.Post("/:slug/resume", suspend, h.apiResume)
	pa.Post("/:slug/offboard", offboard, h.apiOffboard)
	pa.Get("/:slug/exports/:id", offboard, h.download)
}
