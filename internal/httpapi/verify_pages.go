package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
)

// verifyView is the data of the verification page of one channel.
type verifyView struct {
	form
	Channel string // sms or epost, for the form's action
	Email   bool
	Address string
	Pending bool // a code has been sent
	Resent  bool
}

func pathChannel(ch notify.Channel) string {
	if ch == notify.Email {
		return "epost"
	}
	return "sms"
}

// unverifiedContact returns the signed-in youth's contact on channel ch
// if it still awaits verification, "" if there is none or it is verified.
func (s *Server) unverifiedContact(c *fiber.Ctx, ch notify.Channel) (string, error) {
	acc, err := s.accountDB.Account(c.UserContext(), youthID(c))
	if err != nil {
		return "", err
	}
	address, verified := acc.Phone, acc.PhoneVerified
	if ch == notify.Email {
		address, verified = acc.Email, acc.EmailVerified
	}
	if verified {
		return "", nil
	}
	return address, nil
}

func (s *Server) renderVerify(c *fiber.Ctx, ch notify.Channel, f form, resent bool) error {
	id := youthID(c)
	address, err := s.unverifiedContact(c, ch)
	if err != nil {
		return err
	}
	if address == "" {
		return c.Redirect("/min-profil", fiber.StatusSeeOther)
	}
	pending, err := s.accountDB.PendingVerification(c.UserContext(), id, ch)
	if err != nil {
		return err
	}
	return s.render(c, "verify", true, verifyView{form: f, Channel: pathChannel(ch), Email: ch == notify.Email,
		Address: address, Pending: pending == address, Resent: resent})
}

// verifyPage asks for the code sent to the new contact.
func (s *Server) verifyPage(c *fiber.Ctx) error {
	ch, err := channelParam(c, "kanal")
	if err != nil {
		return err
	}
	return s.renderVerify(c, ch, newForm(), c.Query("skickad") == "1")
}

// verifyCode checks the typed code; the right one verifies the contact.
func (s *Server) verifyCode(c *fiber.Ctx) error {
	ch, err := channelParam(c, "kanal")
	if err != nil {
		return err
	}
	if err := s.verifier().Check(c.UserContext(), youthID(c), ch, c.FormValue("code")); err != nil {
		f := newForm()
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderVerify(c, ch, f, false)
	}
	return c.Redirect("/min-profil?sparat=1", fiber.StatusSeeOther)
}

// verifyResend sends a new code (at most once a minute).
func (s *Server) verifyResend(c *fiber.Ctx) error {
	ch, err := channelParam(c, "kanal")
	if err != nil {
		return err
	}
	if err := s.resendCode(c, ch); err != nil {
		f := newForm()
		if rerr := s.formError(c, &f, err); rerr != nil {
			return rerr
		}
		return s.renderVerify(c, ch, f, false)
	}
	return c.Redirect("/min-profil/verifiera/"+pathChannel(ch)+"?skickad=1", fiber.StatusSeeOther)
}

type verifyJSON struct {
	Code string `json:"code"`
}

// apiVerify checks a code: 204 when the contact is verified.
func (s *Server) apiVerify(c *fiber.Ctx) error {
	ch, err := channelParam(c, "channel")
	if err != nil {
		return err
	}
	var in verifyJSON
	if err := c.BodyParser(&in); err != nil {
		return apperr.E(apperr.Invalid, "error.invalid_json", err)
	}
	if err := s.verifier().Check(c.UserContext(), youthID(c), ch, in.Code); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiVerifyResend sends a new code: 202.
func (s *Server) apiVerifyResend(c *fiber.Ctx) error {
	ch, err := channelParam(c, "channel")
	if err != nil {
		return err
	}
	if err := s.resendCode(c, ch); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusAccepted)
}
