package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
)

// inviteData is the page where an invitee accepts: who they are invited
// as, and the fields to fill in (a display name and a new password, or
// only the current password of an existing staff identity).
type inviteData struct {
	staffForm
	Token      string
	Email      string
	KommunName string
	Role       string
	Existing   bool
}

func (h *staffAuth) invitePage(c *fiber.Ctx) error {
	token := c.Params("token")
	inv, err := h.svc.Invitation(c.UserContext(), token)
	if err != nil {
		return h.inviteGone(c, err)
	}
	return h.render(c, "staff_invite", false, inviteDataOf(token, inv, staffForm{form: newForm()}))
}

func (h *staffAuth) acceptInvite(c *fiber.Ctx) error {
	token := c.Params("token")
	inv, err := h.svc.Invitation(c.UserContext(), token)
	if err != nil {
		return h.inviteGone(c, err)
	}
	name := c.FormValue("display_name")
	f := staffForm{form: newForm("display_name", name)}
	res, err := h.accept(c, inv, token, name, c.FormValue("password"))
	if errors.Is(err, account.ErrInvitationUsed) || errors.Is(err, account.ErrInvitationExpired) {
		return h.inviteGone(c, err)
	}
	if err != nil {
		if rerr := h.formError(c, &f.form, err); rerr != nil {
			return rerr
		}
		return h.render(c, "staff_invite", false, inviteDataOf(token, inv, f))
	}
	h.setSessionCookie(c, res.Token)
	return c.Redirect(secondStep(res.Enrolled, staffHome), fiber.StatusSeeOther)
}

// accept accepts the invitation and makes the new role work at once. An
// invitee who already has a staff identity proves it with their password,
// under the same limit as sign-in.
func (h *staffAuth) accept(c *fiber.Ctx, inv account.Invitation, token, name, password string) (account.StaffSignIn, error) {
	key := "staff:" + inv.Email
	if inv.Existing {
		if err := h.throttleLogin(c, key); err != nil {
			return account.StaffSignIn{}, err
		}
	}
	res, err := h.svc.AcceptInvitation(c.UserContext(), token, name, password)
	if inv.Existing && apperr.Is(err, apperr.Unauthorized) {
		if ferr := h.loginFailed(c, key); ferr != nil {
			return account.StaffSignIn{}, ferr
		}
	}
	if err != nil {
		return account.StaffSignIn{}, err
	}
	h.notifyMembership(c)
	h.endPreviousSession(c)
	h.log.Info("staff: invitation accepted", "request_id", requestID(c), "staff", res.StaffID.String(), "role", inv.Role)
	return res, nil
}

// inviteGone answers a link that does not work (any more): a kind page
// saying to ask for a new one; 410 for a used or expired invitation, 404
// for a token that never was one.
func (h *staffAuth) inviteGone(c *fiber.Ctx, err error) error {
	if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	status := fiber.StatusNotFound
	if errors.Is(err, account.ErrInvitationUsed) || errors.Is(err, account.ErrInvitationExpired) {
		status = fiber.StatusGone
	}
	c.Status(status)
	return h.render(c, "staff_invite_gone", false, nil)
}

func inviteDataOf(token string, inv account.Invitation, f staffForm) inviteData {
	return inviteData{staffForm: f, Token: token, Email: inv.Email, KommunName: inv.KommunName, Role: inv.Role, Existing: inv.Existing}
}
