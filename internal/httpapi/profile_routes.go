package httpapi

import (
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// profileRoutes registers the routes of Min profil and the youth's data rights (P4, P12, P23, P24).
// Every route but /konto-raderat needs a signed-in youth, route by route:
// a Use here would reach the routes registered after these.
func (s *Server) profileRoutes(app *fiber.App, api fiber.Router) {
	app.Get("/min-profil", s.requireYouth, s.profilePage)
	app.Post("/min-profil", s.requireYouth, s.saveProfile)
	app.Post("/min-profil/losenord", s.requireYouth, s.changePassword)
	app.Get("/min-profil/data", s.requireYouth, s.dataPage)
	app.Get("/min-profil/data.json", s.requireYouth, s.downloadData)
	app.Get("/min-profil/radera", s.requireYouth, s.deletePage)
	app.Post("/min-profil/radera", s.requireYouth, s.deleteAccount)
	app.Get("/konto-raderat", s.accountDeletedPage)

	api.Get("/account", s.requireYouth, s.apiProfile)
	api.Patch("/account", s.requireYouth, s.apiUpdateProfile)
	api.Delete("/account", s.requireYouth, s.apiDeleteAccount)
	api.Post("/account/password", s.requireYouth, s.apiChangePassword)
	api.Get("/account/export", s.requireYouth, s.apiExport)
}

// profiles returns the Min profil service over the account store. A new
// phone number or e-mail address gets a verification code (s.verifier);
// deletion hooks for ongoing cases are added here when those features exist.
func (s *Server) profiles() (*account.Profiles, error) {
	return &account.Profiles{Store: s.accountDB, Verifier: s.verifier(), Hooks: append(s.chatDeletionHooks(), s.bookingDeletionHooks()...)}, nil
}

// youthID returns the signed-in youth's account id (requireYouth ran).
func youthID(c *fiber.Ctx) uuid.UUID { return tenant.ActingFrom(c.UserContext()).AccountID }

// passwordChecks bounds how often a signed-in youth may give a wrong
// password (to change it or delete the account), so a borrowed session
// cannot be used to guess the password.
var passwordChecks = redis_rate.Limit{Rate: 10, Burst: 10, Period: 15 * time.Minute}

func (s *Server) passwordCheckKey(id uuid.UUID) string { return s.prefix + "pwcheck:" + id.String() }

// checkPasswordAllowed refuses when the account has had too many wrong
// passwords lately.
func (s *Server) checkPasswordAllowed(c *fiber.Ctx, id uuid.UUID) error {
	res, err := s.limiter.AllowN(c.UserContext(), s.passwordCheckKey(id), passwordChecks, 0)
	if err != nil {
		return err
	}
	if res.Remaining == 0 {
		return apperr.New(apperr.TooMany, "error.profile.password_too_many")
	}
	return nil
}

// countWrongPassword counts err against the account if it says a password
// was wrong.
func (s *Server) countWrongPassword(c *fiber.Ctx, id uuid.UUID, err error) error {
	e := apperr.As(err)
	if e == nil || !(hasFieldKey(e, "error.password.current_wrong") || hasFieldKey(e, "error.profile.delete_password_wrong")) {
		return nil
	}
	_, lerr := s.limiter.Allow(c.UserContext(), s.passwordCheckKey(id), passwordChecks)
	return lerr
}

func hasFieldKey(e *apperr.Error, key string) bool {
	for _, f := range e.Fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

// changePasswordOf checks the input, then changes the password (which ends
// every session) and returns the new session's token. Errors name the
// form's fields: current_password and new_password.
func (s *Server) changePasswordOf(c *fiber.Ctx, current, next string) (string, error) {
	id := youthID(c)
	if current == "" {
		return "", apperr.InvalidFields(apperr.FieldError{Field: "current_password", Key: "error.profile.current_password_required"})
	}
	if err := s.checkPasswordAllowed(c, id); err != nil {
		return "", err
	}
	acc, err := s.accountDB.Account(c.UserContext(), id)
	if err != nil {
		return "", err
	}
	token, err := s.accounts.ChangePassword(c.UserContext(), id, acc.Username, current, next)
	if err != nil {
		if lerr := s.countWrongPassword(c, id, err); lerr != nil {
			return "", lerr
		}
		return "", renameField(err, "password", "new_password")
	}
	s.log.Info("account: password changed", "request_id", requestID(c), "account", id.String())
	return token, nil
}

// deleteOwnAccount deletes the signed-in youth's account after checking
// the password, and ends the browser's session.
func (s *Server) deleteOwnAccount(c *fiber.Ctx, password string) error {
	id := youthID(c)
	p, err := s.profiles()
	if err != nil {
		return err
	}
	if err := s.checkPasswordAllowed(c, id); err != nil {
		return err
	}
	if err := p.Delete(c.UserContext(), id, password); err != nil {
		if lerr := s.countWrongPassword(c, id, err); lerr != nil {
			return lerr
		}
		return err
	}
	s.clearSessionCookie(c)
	s.log.Info("account: deleted by its owner", "request_id", requestID(c), "account", id.String())
	return nil
}

// renameField returns err with field from renamed to; other errors as they are.
func renameField(err error, from, to string) error {
	e := apperr.As(err)
	if e == nil || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if f.Field == from {
			f.Field = to
		}
		out.Fields[i] = f
	}
	return &out
}
