package httpapi

import "github.com/gofiber/fiber/v2"

// staffRoutes registers the routes of staff sign-in with password and TOTP, and invitations.
func (s *Server) staffRoutes(app *fiber.App, api fiber.Router) {}
