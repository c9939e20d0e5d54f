package httpapi

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
)

// platformStore is what privacy requests, support access and policy
// versions need from the database (internal/postgres implements it).
type platformStore interface {
	FileRequest(ctx context.Context, accountID uuid.UUID, kind account.RequestKind, reason string) (account.Request, error)
	MyRequests(ctx context.Context, accountID uuid.UUID) ([]account.Request, error)
	OpenRequests(ctx context.Context) ([]account.QueuedRequest, error)
	OpenRequest(ctx context.Context, id uuid.UUID) (account.QueuedRequest, error)
	UpdateRequest(ctx context.Context, id uuid.UUID, u account.RequestUpdate) (account.QueuedRequest, error)

	SupportFind(ctx context.Context, usernameKey string) (account.SupportView, error)
	SupportAccount(ctx context.Context, id uuid.UUID) (account.SupportView, error)
	RestrictAccount(ctx context.Context, id uuid.UUID) (account.SupportView, error)
	LiftRestriction(ctx context.Context, id uuid.UUID) (account.SupportView, error)
	SupportDelete(ctx context.Context, id uuid.UUID, confirmKey string, hooks ...account.DeletionHook) error

	PolicyTimeline(ctx context.Context) (account.PolicyTimeline, error)
	PolicyVersion(ctx context.Context, id uuid.UUID) (account.PolicyVersion, error)
	PublishPolicy(ctx context.Context, v account.PolicyVersion) (account.PolicyVersion, error)
	AcknowledgePolicy(ctx context.Context, accountID, versionID uuid.UUID) error
	PolicyAcknowledged(ctx context.Context, accountID, versionID uuid.UUID) (bool, error)
}

// platformDB returns the store of this area.
func (s *Server) platformDB() (platformStore, bool) { return s.accountDB, s.accountDB != nil }

// platformRoutes registers the routes of privacy requests, support access and policy versions for platform admins (P13, P22, P27, P29).
func (s *Server) platformRoutes(app *fiber.App, api fiber.Router) {
	// The youth's own requests (P22, P27).
	app.Get("/min-profil/begaran", s.requireYouth, s.require(authz.ObjPrivacyRequest, authz.ActRead), s.myRequestsPage)
	app.Post("/min-profil/begaran", s.requireYouth, s.require(authz.ObjPrivacyRequest, authz.ActCreate), s.fileRequest)
	api.Get("/account/requests", s.requireYouth, s.require(authz.ObjPrivacyRequest, authz.ActRead), s.apiMyRequests)
	api.Post("/account/requests", s.requireYouth, s.require(authz.ObjPrivacyRequest, authz.ActCreate), s.apiFileRequest)

	// Policy versions: the coming text for everyone (P29).
	app.Get("/integritet/kommande", s.comingPolicyPage)
	app.Post("/integritet/kommande", s.acknowledgePolicy)
	api.Get("/policy", s.apiPolicy)
	api.Post("/policy/ack", s.requireYouth, s.apiAcknowledgePolicy)

	// Platform admins: request queue, support access, policy publishing.
	p := app.Group("/plattform", s.requireStaff, s.actAsPlatformAdmin)
	p.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/plattform/begaran", fiber.StatusSeeOther) })
	readReq, handleReq := s.require(authz.ObjPrivacyRequest, authz.ActRead), s.require(authz.ObjPrivacyRequest, authz.ActHandle)
	find := s.require(authz.ObjAccountSupport, authz.ActFind)
	restrict, lift := s.require(authz.ObjAccountSupport, authz.ActRestrict), s.require(authz.ObjAccountSupport, authz.ActLift)
	del := s.require(authz.ObjAccountSupport, authz.ActDelete)
	publish := s.require(authz.ObjPolicyVersion, authz.ActPublish)
	p.Get("/begaran", readReq, s.requestQueuePage)
	p.Get("/begaran/:id", readReq, s.requestPage)
	p.Post("/begaran/:id", handleReq, s.updateRequest)
	p.Get("/konto", find, s.supportFindPage)
	p.Post("/konto", find, s.supportFind)
	p.Get("/konto/:id", find, s.supportAccountPage)
	p.Post("/konto/:id/begransa", restrict, s.supportRestrict)
	p.Post("/konto/:id/lyft", lift, s.supportLift)
	p.Get("/konto/:id/radera", del, s.supportDeletePage)
	p.Post("/konto/:id/radera", del, s.supportDelete)
	p.Get("/policy", publish, s.policyAdminPage)
	p.Post("/policy", publish, s.publishPolicy)

	pa := api.Group("/platform", s.requireStaff, s.actAsPlatformAdmin)
	pa.Get("/requests", readReq, s.apiRequestQueue)
	pa.Get("/requests/:id", readReq, s.apiRequest)
	pa.Patch("/requests/:id", handleReq, s.apiUpdateRequest)
	pa.Post("/accounts/find", find, s.apiSupportFind)
	pa.Post("/accounts/:id/restrict", restrict, s.apiSupportRestrict)
	pa.Post("/accounts/:id/lift", lift, s.apiSupportLift)
	pa.Delete("/accounts/:id", del, s.apiSupportDelete)
	pa.Post("/policy", publish, s.apiPublishPolicy)
}

// platformID parses the :id of the path. A malformed id names nothing there:
// NotFound with the given message key.
func platformID(c *fiber.Ctx, notFoundKey string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.E(apperr.NotFound, notFoundKey, err)
	}
	return id, nil
}

// platformBack returns next if it is a platform page, else fallback: the
// forms of a request page and of an account page share the actions.
func platformBack(next, fallback string) string {
	if strings.HasPrefix(next, "/plattform/") && !strings.ContainsAny(next, "\\\r\n") && !strings.Contains(next, "//") {
		return next
	}
	return fallback
}

// requesterID returns the signed-in youth's account id (after requireYouth).
func requesterID(c *fiber.Ctx) uuid.UUID {
	sess, _ := sessionFrom(c)
	return sess.AccountID
}

// platformJSON reads the request body into v, or returns an Invalid error.
func platformJSON(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	return nil
}
