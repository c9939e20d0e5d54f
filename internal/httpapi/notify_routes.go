package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// TwilioStatusPath is the path of Twilio's delivery callbacks; it carries
// no CSRF token (Twilio signs it instead) and is exempt from that check.
const TwilioStatusPath = "/api/v1/notify/twilio/status"

// notifyRoutes registers the routes of notification callbacks, contact verification and the dev outbox (issue 5).
func (s *Server) notifyRoutes(app *fiber.App, api fiber.Router) {
	api.Post("/notify/twilio/status", s.twilioStatus)

	app.Get("/min-profil/verifiera/:kanal", s.requireYouth, s.verifyPage)
	app.Post("/min-profil/verifiera/:kanal", s.requireYouth, s.verifyCode)
	app.Post("/min-profil/verifiera/:kanal/ny-kod", s.requireYouth, s.verifyResend)
	api.Post("/account/verification/:channel", s.requireYouth, s.apiVerify)
	api.Post("/account/verification/:channel/resend", s.requireYouth, s.apiVerifyResend)

	app.Get("/dev/outbox", s.devOutboxPage)
}
