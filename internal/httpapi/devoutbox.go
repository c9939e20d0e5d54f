package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// devOutboxPage shows the SMS and e-mail that `mottagning dev` would have
// sent. It exists only in dev mode; elsewhere it is 404.
func (s *Server) devOutboxPage(c *fiber.Ctx) error {
	if !s.cfg.Dev || s.devOutbox == nil {
		return apperr.New(apperr.NotFound, "error.not_found")
	}
	return s.render(c, "devoutbox", false, s.devOutbox.Messages())
}
