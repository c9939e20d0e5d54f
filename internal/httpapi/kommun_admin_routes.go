package httpapi

import "github.com/gofiber/fiber/v2"

// kommunAdminRoutes registers the routes of each kommun's reception admins: reception page and staff (issue 4).
func (s *Server) kommunAdminRoutes(app *fiber.App, api fiber.Router) {}
