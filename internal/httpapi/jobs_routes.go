package httpapi

import "github.com/gofiber/fiber/v2"

// jobsRoutes registers the routes of the platform's job page and the youth's access-log view (issue 8).
func (s *Server) jobsRoutes(app *fiber.App, api fiber.Router) {}
