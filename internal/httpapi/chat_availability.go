package httpapi

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Counsellors' availability (available, busy, away), per kommun, kept in
// Redis: a hash per kommun, field the staff id, value "status|expiry".
// A status lapses after chatAvailabilityTTL, so nobody stays "available"
// after going home.
const chatAvailabilityTTL = 10 * time.Hour

var chatAvailabilities = []string{"available", "busy", "away"}

func (s *Server) chatAvailabilityKey(kommunID uuid.UUID) string {
	return s.prefix + "chat:availability:" + kommunID.String()
}

// setChatAvailability records the acting staff member's status.
func (s *Server) setChatAvailability(ctx context.Context, status string) error {
	ok := false
	for _, a := range chatAvailabilities {
		ok = ok || a == status
	}
	if !ok {
		return apperr.InvalidFields(apperr.FieldError{Field: "status", Key: "chat.error.availability"})
	}
	a := tenant.ActingFrom(ctx)
	v := status + "|" + strconv.FormatInt(time.Now().Add(chatAvailabilityTTL).Unix(), 10)
	key := s.chatAvailabilityKey(a.KommunID)
	if err := s.rdb.HSet(ctx, key, a.AccountID.String(), v).Err(); err != nil {
		return err
	}
	return s.rdb.Expire(ctx, key, chatAvailabilityTTL).Err()
}

// chatAvailability returns every live status of the kommun's counsellors.
func (s *Server) chatAvailability(ctx context.Context, kommunID uuid.UUID) (map[uuid.UUID]string, error) {
	all, err := s.rdb.HGetAll(ctx, s.chatAvailabilityKey(kommunID)).Result()
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	out := map[uuid.UUID]string{}
	for k, v := range all {
		id, err := uuid.Parse(k)
		status, exp, found := strings.Cut(v, "|")
		until, perr := strconv.ParseInt(exp, 10, 64)
		if err != nil || !found || perr != nil || until < now {
			continue
		}
		out[id] = status
	}
	return out, nil
}

// ChatAvailableCount returns how many of the kommun's counsellors are
// available now, for the queue view and the reception page.
func (s *Server) chatAvailableCount(ctx context.Context, kommunID uuid.UUID) (int, error) {
	st, err := s.chatAvailability(ctx, kommunID)
	n := 0
	for _, v := range st {
		if v == "available" {
			n++
		}
	}
	return n, err
}

// saveAvailability is the queue page's status form.
func (h *chatHandlers) saveAvailability(c *fiber.Ctx) error {
	if err := h.setChatAvailability(c.UserContext(), c.FormValue("status")); err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderQueue(c, f, "")
		}
		return err
	}
	return h.renderQueue(c, newForm(), h.tr.T(langOf(c), "chat.availability.saved"))
}

func (h *chatHandlers) apiSetAvailability(c *fiber.Ctx) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	if err := h.setChatAvailability(c.UserContext(), in.Status); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
