package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
)

// profileJSON is Min profil as the API shows it to its owner: the account
// and the state of each contact detail.
type profileJSON struct {
	accountJSON
	PhoneVerified      bool   `json:"phone_verified"`
	PhoneUndeliverable bool   `json:"phone_undeliverable"`
	EmailVerified      bool   `json:"email_verified"`
	EmailUndeliverable bool   `json:"email_undeliverable"`
	LastLoginAt        string `json:"last_login_at"`
}

func profileJSONOf(a account.Account) profileJSON {
	return profileJSON{accountJSON: accountJSONOf(a), PhoneVerified: a.PhoneVerified, PhoneUndeliverable: a.PhoneUndeliverable,
		EmailVerified: a.EmailVerified, EmailUndeliverable: a.EmailUndeliverable,
		LastLoginAt: a.LastLoginAt.UTC().Format("2006-01-02T15:04:05Z")}
}

// profilePatchJSON is a PATCH of Min profil: a missing field stays as it
// is; "" removes a contact detail.
type profilePatchJSON struct {
	Phone        *string `json:"phone"`
	Email        *string `json:"email"`
	Language     *string `json:"language"`
	SMSNotices   *bool   `json:"sms_notices"`
	EmailNotices *bool   `json:"email_notices"`
}

type passwordChangeJSON struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type passwordJSON struct {
	Password string `json:"password"`
}

func (s *Server) apiProfile(c *fiber.Ctx) error {
	acc, err := s.accountDB.Account(c.UserContext(), youthID(c))
	if err != nil {
		return err
	}
	return c.JSON(profileJSONOf(acc))
}

func (s *Server) apiUpdateProfile(c *fiber.Ctx) error {
	var in profilePatchJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	p, err := s.profiles()
	if err != nil {
		return err
	}
	acc, err := p.Update(c.UserContext(), youthID(c), account.ProfileInput{Phone: in.Phone, Email: in.Email,
		Language: in.Language, SMSNotices: in.SMSNotices, EmailNotices: in.EmailNotices})
	if err != nil {
		return err
	}
	return c.JSON(profileJSONOf(acc))
}

// apiChangePassword changes the password and answers 204 with a fresh
// session cookie; every other session has ended.
func (s *Server) apiChangePassword(c *fiber.Ctx) error {
	var in passwordChangeJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	token, err := s.changePasswordOf(c, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiExport(c *fiber.Ctx) error {
	exp, err := s.exportOf(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(exp)
}

// apiDeleteAccount deletes the account (password in the body) and answers
// 204 with the session cookie cleared.
func (s *Server) apiDeleteAccount(c *fiber.Ctx) error {
	var in passwordJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	if err := s.deleteOwnAccount(c, in.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
