package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Support access (P13, P20): a platform admin finds an account by its
// exact username, sees only the username, whether it is restricted and its
// open requests, and may restrict, lift or delete. The store writes every
// find and action to the access log in the same transaction.

type supportView struct {
	ID           string
	Username     string
	Restricted   bool
	OpenRequests []requestView
}

type supportFindData struct {
	form
	Deleted bool
}

type supportAccountData struct {
	form
	Account supportView
	Done    string // what was just done, in words
	Back    string
}

func (s *Server) supportViewOf(lang string, v account.SupportView) supportView {
	out := supportView{ID: v.ID.String(), Username: v.Username, Restricted: v.Restricted}
	for _, r := range v.OpenRequests {
		out.OpenRequests = append(out.OpenRequests, s.requestViewOf(lang, r))
	}
	return out
}

// supportKey turns what an admin typed into the key usernames are unique
// by. Nothing that could not be a username can be found.
func supportKey(raw string, field string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", apperr.InvalidFields(apperr.FieldError{Field: field, Key: "error.support.username_required"})
	}
	_, key, err := account.NormalizeUsername(raw)
	if err != nil {
		return "", &apperr.Error{Kind: apperr.NotFound, Key: "error.support.not_found",
			Fields: []apperr.FieldError{{Field: field, Key: "error.support.not_found"}}}
	}
	return key, nil
}

func (s *Server) supportFindPage(c *fiber.Ctx) error {
	return s.render(c, "platform_find", false, supportFindData{form: newForm(), Deleted: c.Query("raderat") == "1"})
}

// supportFind looks the username up (sent in the body, never in the URL).
func (s *Server) supportFind(c *fiber.Ctx) error {
	f := newForm("username", c.FormValue("username"))
	v, err := s.supportFindFor(c, c.FormValue("username"))
	if err != nil {
		if apperr.Is(err, apperr.NotFound) && apperr.As(err).Fields == nil {
			err = &apperr.Error{Kind: apperr.NotFound, Key: "error.support.not_found",
				Fields: []apperr.FieldError{{Field: "username", Key: "error.support.not_found"}}}
		}
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.render(c, "platform_find", false, supportFindData{form: f})
	}
	return s.renderSupport(c, v, "")
}

func (s *Server) supportFindFor(c *fiber.Ctx, username string) (account.SupportView, error) {
	key, err := supportKey(username, "username")
	if err != nil {
		return account.SupportView{}, err
	}
	ps, _ := s.platformDB()
	return ps.SupportFind(c.UserContext(), key)
}

func (s *Server) renderSupport(c *fiber.Ctx, v account.SupportView, done string) error {
	data := supportAccountData{form: newForm(), Account: s.supportViewOf(langOf(c), v), Back: "/plattform/konto/" + v.ID.String()}
	if done != "" {
		data.Done = s.tr.T(langOf(c), "support.done."+done)
	}
	return s.render(c, "platform_account", false, data)
}

func (s *Server) supportAccountPage(c *fiber.Ctx) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	ps, _ := s.platformDB()
	v, err := ps.SupportAccount(c.UserContext(), id)
	if err != nil {
		return err
	}
	done := c.Query("klart")
	if done != "restricted" && done != "lifted" {
		done = ""
	}
	return s.renderSupport(c, v, done)
}

func (s *Server) supportRestrict(c *fiber.Ctx) error { return s.supportAct(c, true) }
func (s *Server) supportLift(c *fiber.Ctx) error     { return s.supportAct(c, false) }

func (s *Server) supportAct(c *fiber.Ctx, restrict bool) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	if _, err := s.supportActFor(c, id, restrict); err != nil {
		return err
	}
	done := "lifted"
	if restrict {
		done = "restricted"
	}
	return c.Redirect(platformBack(c.FormValue("next"), "/plattform/konto/"+id.String()+"?klart="+done), fiber.StatusSeeOther)
}

func (s *Server) supportActFor(c *fiber.Ctx, id uuid.UUID, restrict bool) (account.SupportView, error) {
	ps, _ := s.platformDB()
	act, what := ps.LiftRestriction, "lift"
	if restrict {
		act, what = ps.RestrictAccount, "restrict"
	}
	v, err := act(c.UserContext(), id)
	if err == nil {
		s.log.Info("support: "+what, "request_id", requestID(c), "account", id.String(),
			"staff", tenant.ActingFrom(c.UserContext()).AccountID.String())
	}
	return v, err
}

func (s *Server) supportDeletePage(c *fiber.Ctx) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	ps, _ := s.platformDB()
	v, err := ps.SupportAccount(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.render(c, "platform_delete", false, supportAccountData{form: newForm(), Account: s.supportViewOf(langOf(c), v)})
}

// supportDelete deletes the account once the admin has typed its username
// again; a mismatch shows the page again and deletes nothing.
func (s *Server) supportDelete(c *fiber.Ctx) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	if err := s.supportDeleteFor(c, id, c.FormValue("confirm_username")); err != nil {
		ps, _ := s.platformDB()
		v, verr := ps.SupportAccount(c.UserContext(), id)
		if verr != nil {
			return verr
		}
		f := newForm()
		if ferr := s.formError(c, &f, err); ferr != nil {
			return ferr
		}
		return s.render(c, "platform_delete", false, supportAccountData{form: f, Account: s.supportViewOf(langOf(c), v)})
	}
	return c.Redirect("/plattform/konto?raderat=1", fiber.StatusSeeOther)
}

func (s *Server) supportDeleteFor(c *fiber.Ctx, id uuid.UUID, confirm string) error {
	if strings.TrimSpace(confirm) == "" {
		return apperr.InvalidFields(apperr.FieldError{Field: "confirm_username", Key: "error.support.confirm_required"})
	}
	key, err := supportKey(confirm, "confirm_username")
	if err != nil {
		key = "" // matches no account: reported as a mismatch below
	}
	ps, _ := s.platformDB()
	// Deletion is exactly self-service deletion: the store calls the same
	// DeleteAccount (with the same hooks once features with ongoing cases
	// provide them).
	if err := ps.SupportDelete(c.UserContext(), id, key, append(s.chatDeletionHooks(), s.bookingDeletionHooks()...)...); err != nil {
		return err
	}
	s.log.Info("support: delete", "request_id", requestID(c), "account", id.String(),
		"staff", tenant.ActingFrom(c.UserContext()).AccountID.String())
	return nil
}

// supportJSON is all the API shows of an account to support (P20).
type supportJSON struct {
	ID           string        `json:"id"`
	Username     string        `json:"username"`
	Restricted   bool          `json:"restricted"`
	OpenRequests []requestJSON `json:"open_requests"`
}

func supportJSONOf(v account.SupportView) supportJSON {
	out := supportJSON{ID: v.ID.String(), Username: v.Username, Restricted: v.Restricted, OpenRequests: []requestJSON{}}
	for _, r := range v.OpenRequests {
		out.OpenRequests = append(out.OpenRequests, requestJSONOf(r))
	}
	return out
}

func (s *Server) apiSupportFind(c *fiber.Ctx) error {
	var in struct {
		Username string `json:"username"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	v, err := s.supportFindFor(c, in.Username)
	if err != nil {
		return err
	}
	return c.JSON(supportJSONOf(v))
}

func (s *Server) apiSupportRestrict(c *fiber.Ctx) error { return s.apiSupportAct(c, true) }
func (s *Server) apiSupportLift(c *fiber.Ctx) error     { return s.apiSupportAct(c, false) }

func (s *Server) apiSupportAct(c *fiber.Ctx, restrict bool) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	v, err := s.supportActFor(c, id, restrict)
	if err != nil {
		return err
	}
	return c.JSON(supportJSONOf(v))
}

func (s *Server) apiSupportDelete(c *fiber.Ctx) error {
	id, err := platformID(c, "error.support.not_found")
	if err != nil {
		return err
	}
	var in struct {
		ConfirmUsername string `json:"confirm_username"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	if err := s.supportDeleteFor(c, id, in.ConfirmUsername); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
