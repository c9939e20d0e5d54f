package httpapi

import "github.com/gofiber/fiber/v2"

// profileRoutes registers the routes of Min profil and the youth's data rights (P4, P12, P23, P24).
func (s *Server) profileRoutes(app *fiber.App, api fiber.Router) {}
