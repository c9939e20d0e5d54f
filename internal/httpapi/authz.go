package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// require returns middleware that lets the request through only if the
// acting subject may do act on obj in the route's domain: the kommun of the
// path, or the platform. A visitor who is not signed in is asked to sign
// in; anyone else gets "not found" on kommun routes (revealing nothing
// about another kommun) and "forbidden" on platform routes.
func (s *Server) require(obj, act string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := tenant.ActingFrom(c.UserContext())
		dom := authz.PlatformDomain
		k, inKommun := c.Locals(localKommun).(tenant.Kommun)
		if inKommun {
			dom = authz.KommunDomain(k.Slug)
		}
		ok, err := s.authz.Allowed(subjectOf(a), dom, obj, act)
		if err != nil {
			return err
		}
		switch {
		case ok:
			return c.Next()
		case a.Actor == tenant.ActorAnonymous:
			return apperr.New(apperr.Unauthorized, "error.unauthorized")
		case inKommun:
			return apperr.New(apperr.NotFound, "error.not_found")
		}
		return apperr.New(apperr.Forbidden, "error.forbidden")
	}
}

// subjectOf names the acting party as the Casbin model knows it: staff by
// id (their roles come from memberships), everyone else by role.
func subjectOf(a tenant.Acting) string {
	switch a.Actor {
	case tenant.ActorStaff, tenant.ActorPlatform:
		return authz.StaffSubject(a.AccountID)
	case tenant.ActorYouth:
		return authz.RoleYouth
	}
	return authz.RoleAnonymous
}
