package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/reception"
)

// Blocking a visitor for the rest of the day. Each browser that joins gets
// a random browser id (session-only cookie); Redis remembers, for a day,
// which browser (by keyed hash, never the id itself) started which
// conversation. A counsellor's block ends the conversation and refuses that
// browser new conversations in the kommun until midnight (Stockholm time).

const chatBrowserCookie = "mottagning_chat_browser"

var chatJoinsPerBrowser = chatJoinsPerIP

func (s *Server) chatBrowserKey(c *fiber.Ctx) string {
	id := c.Cookies(chatBrowserCookie)
	if len(id) != 43 {
		t, _, _ := account.NewToken()
		id = t
		c.Cookie(&fiber.Cookie{Name: chatBrowserCookie, Value: id, Path: "/", HTTPOnly: true, Secure: true,
			SameSite: fiber.CookieSameSiteStrictMode, SessionOnly: true})
	}
	return s.ipKey("browser:" + id)
}

func (s *Server) chatBlockedKey(kommunID uuid.UUID, browser string) string {
	return s.prefix + "chat:blocked:" + kommunID.String() + ":" + browser
}

func (s *Server) chatConvBrowserKey(id uuid.UUID) string {
	return s.prefix + "chat:browser:" + id.String()
}

// browserAllowed refuses a blocked browser and counts the new conversation
// against it; it returns the browser's key for remember.
func (h *chatHandlers) browserAllowed(c *fiber.Ctx) (string, error) {
	ctx, k := c.UserContext(), kommunFrom(c)
	browser := h.chatBrowserKey(c)
	n, err := h.rdb.Exists(ctx, h.chatBlockedKey(k.ID, browser)).Result()
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", apperr.New(apperr.Forbidden, "chat.error.blocked")
	}
	res, err := h.limiter.Allow(ctx, h.prefix+"chat:join:browser:"+browser, chatJoinsPerBrowser)
	if err != nil {
		return "", err
	}
	if res.Allowed == 0 {
		return "", apperr.New(apperr.TooMany, "chat.error.too_many_joins")
	}
	return browser, nil
}

// rememberBrowser notes which browser started conversation id, for a day.
func (h *chatHandlers) rememberBrowser(ctx context.Context, id uuid.UUID, browser string) error {
	return h.rdb.Set(ctx, h.chatConvBrowserKey(id), browser, 24*time.Hour).Err()
}

// untilMidnight is how long a block lasts: to the end of today in Stockholm.
func untilMidnight(now time.Time) time.Duration {
	n := now.In(reception.Stockholm)
	end := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, reception.Stockholm)
	return end.Sub(now)
}

// block ends conversation id and blocks the browser that started it.
func (h *chatHandlers) block(c *fiber.Ctx, id uuid.UUID) error {
	ctx, k := c.UserContext(), kommunFrom(c)
	if _, err := h.svc.Store.Conversation(ctx, id); err != nil {
		return err
	}
	browser, err := h.rdb.Get(ctx, h.chatConvBrowserKey(id)).Result()
	if err != nil && err != redis.Nil {
		return err
	}
	if browser != "" {
		if err := h.rdb.Set(ctx, h.chatBlockedKey(k.ID, browser), "1", untilMidnight(h.receptionNow())).Err(); err != nil {
			return err
		}
	}
	if err := h.svc.End(ctx, id, chat.ByStaff); err != nil && !apperr.Is(err, apperr.Conflict) {
		return err
	}
	h.announce(ctx, k.ID, id)
	return nil
}

func (h *chatHandlers) staffBlock(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if err := h.block(c, id); err != nil {
		return err
	}
	return h.renderQueue(c, newForm(), h.tr.T(langOf(c), "chat.blocked_notice"))
}

func (h *chatHandlers) apiStaffBlock(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if err := h.block(c, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
