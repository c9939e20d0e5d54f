package httpapi

import "github.com/gofiber/fiber/v2"

// platformKommunRoutes registers the routes of the platform admins' kommun console: onboard, suspend, offboard (issue 4).
func (s *Server) platformKommunRoutes(app *fiber.App, api fiber.Router) {}
