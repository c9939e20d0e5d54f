package httpapi

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
	"github.com/skip2/go-qrcode"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// The staff sign-in JSON API (docs/openapi.yaml): the same two steps
// as the pages, with the session in the same cookie.

type staffCredentialsJSON struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type staffCodeJSON struct {
	Code string `json:"code"`
}

func (h *staffAuth) apiLogin(c *fiber.Ctx) error {
	var in staffCredentialsJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	res, err := h.signIn(c, in.Email, in.Password)
	if err != nil {
		return err
	}
	h.setSessionCookie(c, res.Token)
	return c.JSON(fiber.Map{"mfa_required": true, "enrolled": res.Enrolled})
}

func (h *staffAuth) apiVerify(c *fiber.Ctx) error {
	var in staffCodeJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	token, usedRecovery, err := h.verify(c, in.Code)
	if err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	return c.JSON(fiber.Map{"signed_in": true, "recovery_code_used": usedRecovery})
}

func (h *staffAuth) apiEnrolment(c *fiber.Ctx) error {
	sess, _ := sessionFrom(c)
	enr, err := h.svc.StartEnrolment(c.UserContext(), sess.StaffID)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(enr.URL, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"secret": enr.Secret, "otpauth_url": enr.URL, "qr_png_base64": base64.StdEncoding.EncodeToString(png)})
}

func (h *staffAuth) apiConfirmEnrolment(c *fiber.Ctx) error {
	var in staffCodeJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	token, codes, err := h.confirm(c, in.Code)
	if err != nil {
		return err
	}
	h.setSessionCookie(c, token)
	return c.JSON(fiber.Map{"signed_in": true, "recovery_codes": codes})
}

func (h *staffAuth) apiLogout(c *fiber.Ctx) error {
	if err := h.accounts.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

type staffRoleJSON struct {
	Kommun     string `json:"kommun"`
	KommunName string `json:"kommun_name"`
	Role       string `json:"role"`
}

func (h *staffAuth) apiMe(c *fiber.Ctx) error {
	id, _ := staffSessionFrom(c)
	o, err := h.db.StaffOverview(c.UserContext(), id)
	if err != nil {
		return err
	}
	roles := []staffRoleJSON{}
	for _, r := range sortedRoles(o.Roles) {
		roles = append(roles, staffRoleJSON{Kommun: r.KommunSlug, KommunName: r.KommunName, Role: r.Role})
	}
	return c.JSON(fiber.Map{"id": id.String(), "display_name": o.DisplayName, "email": o.Email,
		"platform_admin": o.PlatformAdmin, "roles": roles})
}
