package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/storsthlm/mottagning/internal/apperr"
)

// Request body limits. Fiber v2 has one body limit for the whole app
// (fasthttp's MaxRequestBodySize), which fasthttp enforces while it reads
// the body, before any handler runs. Chat file uploads need ~10 MiB, every
// other route keeps the configured BodyLimit (1 MiB by default). So the
// app's limit is the larger of the two (appBodyLimit), and bodyLimitGate,
// the first middleware that may read a body, refuses with 413 any body over
// the configured limit that is not an upload (isChatUpload).
//
// The alternative, fasthttp's StreamRequestBody, would leave every route's
// body unbounded unless each reader limited it itself, and would make
// fasthttp spool multipart files to temporary files on disk; a file of a
// youth must not land on disk.

// appBodyLimit is the body limit fasthttp enforces for the whole app.
func (s *Server) appBodyLimit() int { return max(s.cfg.BodyLimit, chatUploadBodyLimit) }

// bodyLimitGate refuses a body over the configured limit on every route
// but the chat uploads.
func (s *Server) bodyLimitGate(c *fiber.Ctx) error {
	if len(c.Request().Body()) > s.cfg.BodyLimit && !isChatUpload(c.Method(), c.Path()) {
		c.Context().SetConnectionClose()
		return apperr.New(apperr.TooLarge, "error.too_large")
	}
	return c.Next()
}
