package httpapi

import "github.com/gofiber/fiber/v2"

// notifyRoutes registers the routes of notification callbacks, contact verification and the dev outbox (issue 5).
func (s *Server) notifyRoutes(app *fiber.App, api fiber.Router) {}
