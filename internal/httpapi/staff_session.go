package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// staffSessionFrom returns the signed-in staff member, if the session is a
// staff session that has passed TOTP.
func staffSessionFrom(c *fiber.Ctx) (uuid.UUID, bool) {
	sess, ok := sessionFrom(c)
	if !ok || sess.StaffID == uuid.Nil || !sess.MFADone {
		return uuid.Nil, false
	}
	return sess.StaffID, true
}

// requireStaff lets through only staff who signed in with password and
// TOTP; others are sent to the staff sign-in (pages) or told to (API).
func (s *Server) requireStaff(c *fiber.Ctx) error {
	if _, ok := staffSessionFrom(c); !ok {
		if isAPI(c) || c.Method() != fiber.MethodGet {
			return apperr.New(apperr.Unauthorized, "error.unauthorized")
		}
		return c.Redirect("/personal/logga-in?next="+c.Path(), fiber.StatusSeeOther)
	}
	return c.Next()
}

// actAsKommunStaff makes the request act for the kommun of the path as the
// signed-in staff member, with their role there. Staff without a role in
// that kommun get "not found", revealing nothing about it (P5). Use after
// resolveKommun and requireStaff.
func (s *Server) actAsKommunStaff(c *fiber.Ctx) error {
	staffID, _ := staffSessionFrom(c)
	k := kommunFrom(c)
	role, err := s.authz.RoleIn(authz.StaffSubject(staffID), authz.KommunDomain(k.Slug))
	if err != nil {
		return err
	}
	if role == "" {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	c.SetUserContext(tenant.WithActing(c.UserContext(), tenant.Acting{
		Actor: tenant.ActorStaff, KommunID: k.ID, AccountID: staffID, Role: role}))
	return c.Next()
}

// actAsPlatformAdmin makes the request act for the platform as the
// signed-in platform admin; other staff are refused. Use after requireStaff.
func (s *Server) actAsPlatformAdmin(c *fiber.Ctx) error {
	staffID, _ := staffSessionFrom(c)
	role, err := s.authz.RoleIn(authz.StaffSubject(staffID), authz.PlatformDomain)
	if err != nil {
		return err
	}
	if role != authz.RolePlatformAdmin {
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
	c.SetUserContext(tenant.WithActing(c.UserContext(), tenant.Acting{
		Actor: tenant.ActorPlatform, AccountID: staffID, Role: authz.RolePlatformAdmin}))
	return c.Next()
}
