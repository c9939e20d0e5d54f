package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/twilio/twilio-go/client"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/notify"
)

// notifyStore is what contact verification and the delivery callbacks
// need from the database (internal/postgres.DB implements it).
type notifyStore interface {
	StartContactVerification(ctx context.Context, accountID uuid.UUID, ch notify.Channel, address string, codeHash []byte, n notify.Notice) error
	CheckContactCode(ctx context.Context, accountID uuid.UUID, ch notify.Channel, codeHash []byte) error
	PendingVerification(ctx context.Context, accountID uuid.UUID, ch notify.Channel) (string, error)
	RecordDelivery(ctx context.Context, providerID, status string, permanent bool) error
}

// twilioPermanent are Twilio error codes after which a number will never
// receive messages (invalid, unknown or not mobile).
var twilioPermanent = []string{"21211", "21214", "21612", "21614", "30005", "30006"}

// twilioStatus takes Twilio's delivery report for a message. Only a
// request with a valid X-Twilio-Signature (computed with the auth token
// over the callback URL and the form) is accepted.
func (s *Server) twilioStatus(c *fiber.Ctx) error {
	if s.cfg.TwilioAuthToken == "" {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	params := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
	v := client.NewRequestValidator(s.cfg.TwilioAuthToken)
	if !v.Validate(s.cfg.TwilioStatusCallback(), params, c.Get("X-Twilio-Signature")) {
		s.log.Warn("notify: Twilio callback with a bad signature refused", "request_id", requestID(c))
		return apperr.New(apperr.Forbidden, "error.notify.bad_signature")
	}
	sid, status := params["MessageSid"], params["MessageStatus"]
	if sid == "" || status == "" {
		return apperr.New(apperr.Invalid, "error.invalid")
	}
	permanent := (status == "failed" || status == "undelivered") && slices.Contains(twilioPermanent, params["ErrorCode"])
	if err := s.accountDB.RecordDelivery(c.UserContext(), sid, status, permanent); err != nil {
		if e := apperr.As(err); e != nil && e.Kind == apperr.NotFound {
			return c.SendStatus(fiber.StatusNoContent) // not ours, or already deleted: nothing to retry
		}
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// contactVerifier sends a 6-digit code to a new phone number or e-mail
// address (account.ContactVerifier) and checks the code typed back.
type contactVerifier struct {
	db  notifyStore
	key []byte
}

func (s *Server) verifier() contactVerifier {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("contact-verification"))
	return contactVerifier{db: s.accountDB, key: m.Sum(nil)}
}

// ContactChanged sends a code to address, which was just saved on the
// account; notices on the channel wait until it is verified.
func (v contactVerifier) ContactChanged(ctx context.Context, accountID uuid.UUID, ch account.Channel, address string) error {
	code, err := notify.NewCode()
	if err != nil {
		return err
	}
	c := notify.Channel(ch)
	n := notify.New(accountID, notify.KindVerifyCode, c, notify.Payload{Code: code, Address: address}, time.Now())
	return v.db.StartContactVerification(ctx, accountID, c, address, notify.HashCode(v.key, accountID, c, code), n)
}

// Check compares code with the pending one of channel ch.
func (v contactVerifier) Check(ctx context.Context, accountID uuid.UUID, ch notify.Channel, code string) error {
	if len(code) != 6 || !digits(code) {
		return apperr.InvalidFields(apperr.FieldError{Field: "code", Key: "error.notify.verify_format"})
	}
	return v.db.CheckContactCode(ctx, accountID, ch, notify.HashCode(v.key, accountID, ch, code))
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// resend sends a new code to the contact stored for channel ch, at most
// once a minute.
func (s *Server) resendCode(c *fiber.Ctx, ch notify.Channel) error {
	id := youthID(c)
	address, err := s.unverifiedContact(c, ch)
	if err != nil {
		return err
	}
	if address == "" {
		return apperr.New(apperr.Conflict, "error.notify.verify_nothing")
	}
	return s.verifier().ContactChanged(c.UserContext(), id, account.Channel(ch), address)
}

// channelParam reads a channel from the path: sms/epost on pages,
// sms/email in the API.
func channelParam(c *fiber.Ctx, name string) (notify.Channel, error) {
	switch c.Params(name) {
	case "sms":
		return notify.SMS, nil
	case "epost", "email":
		return notify.Email, nil
	}
	return "", apperr.New(apperr.NotFound, "error.not_found")
}
