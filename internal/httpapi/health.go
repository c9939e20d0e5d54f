package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
)

func (s *Server) healthz(c *fiber.Ctx) error { return c.SendString("ok") }

// readyz answers 200 only when PostgreSQL and Redis both answer, so a load
// balancer stops sending traffic to an instance that cannot serve.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	var errs []error
	if err := s.store.Ping(ctx); err != nil {
		errs = append(errs, errors.New("postgres"))
	}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		errs = append(errs, errors.New("redis"))
	}
	if len(errs) > 0 {
		s.log.Warn("http: not ready", "err", errors.Join(errs...))
		return c.Status(http.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "failing": errorStrings(errs)})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}
