package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
)

// staffRoutes registers the routes of staff sign-in with password and TOTP, and invitations.
func (s *Server) staffRoutes(app *fiber.App, api fiber.Router) {
	h := s.newStaffAuth()

	app.Get("/personal/logga-in", h.ready, h.loginPage)
	app.Post("/personal/logga-in", h.ready, h.login)
	app.Get("/personal/tvafaktor", h.ready, h.pendingStaff, h.totpPage)
	app.Post("/personal/tvafaktor", h.ready, h.pendingStaff, h.verifyTOTP)
	app.Get("/personal/tvafaktor/aktivera", h.ready, h.pendingStaff, h.enrolPage)
	app.Get("/personal/tvafaktor/aktivera/qr.png", h.ready, h.pendingStaff, h.enrolQR)
	app.Post("/personal/tvafaktor/aktivera", h.ready, h.pendingStaff, h.confirmEnrolment)
	app.Post("/personal/logga-ut", h.ready, h.logout)
	app.Get("/personal/inbjudan/:token", h.ready, h.invitePage)
	app.Post("/personal/inbjudan/:token", h.ready, h.acceptInvite)
	app.Get("/personal", h.ready, s.requireStaff, h.home)

	api.Post("/staff/session", h.ready, h.apiLogin)
	api.Delete("/staff/session", h.ready, h.apiLogout)
	api.Post("/staff/session/totp", h.ready, h.pendingStaff, h.apiVerify)
	api.Get("/staff/session/totp/enrolment", h.ready, h.pendingStaff, h.apiEnrolment)
	api.Post("/staff/session/totp/enrolment", h.ready, h.pendingStaff, h.apiConfirmEnrolment)
	api.Get("/staff/me", h.ready, s.requireStaff, h.apiMe)
}

// staffDB is what staff sign-in needs from the database (postgres.DB).
type staffDB interface {
	account.StaffStore
	StaffOverview(ctx context.Context, id uuid.UUID) (account.StaffOverview, error)
}

// membershipNotifier is implemented by an authorizer that can reload at
// once when a membership changes (authz.Enforcer), so a new role works
// without waiting for the periodic reload.
type membershipNotifier interface {
	NotifyChanged(ctx context.Context) error
}

// staffAuth holds the staff sign-in handlers and the service they call.
type staffAuth struct {
	*Server
	svc *account.StaffService
	db  staffDB
	err error // set if the staff service could not be built
}

func (s *Server) newStaffAuth() *staffAuth {
	h := &staffAuth{Server: s}
	h.db = s.accountDB
	h.svc, h.err = account.NewStaffService(h.db, s.accounts, s.secret)
	return h
}

// ready fails every staff route with an internal error if the server was
// wired without a staff store; the error handler logs it once per request.
func (h *staffAuth) ready(c *fiber.Ctx) error {
	if h.err != nil {
		return h.err
	}
	return c.Next()
}

// notifyMembership tells the authorizer that a membership changed. A
// failure is logged: the periodic reload catches up within seconds.
func (h *staffAuth) notifyMembership(c *fiber.Ctx) {
	n, ok := h.authz.(membershipNotifier)
	if !ok {
		return
	}
	if err := n.NotifyChanged(c.UserContext()); err != nil {
		h.log.Warn("staff: reloading memberships failed; the periodic reload will catch up",
			"request_id", requestID(c), "err", err)
	}
}
