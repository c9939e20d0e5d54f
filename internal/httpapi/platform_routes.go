package httpapi

import "github.com/gofiber/fiber/v2"

// platformRoutes registers the routes of privacy requests, support access and policy versions for platform admins (P13, P22, P27, P29).
func (s *Server) platformRoutes(app *fiber.App, api fiber.Router) {}
