package httpapi

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/account"
	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/authz"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// chatDB is what the chat needs from the database (postgres.DB).
type chatDB interface {
	Chat() chat.Store
	ChatDeletionHook() account.DeletionHook
}

// chatRoutes registers the routes of chat: drop-in queue, conversations, real time, files (issue 7).
func (s *Server) chatRoutes(app *fiber.App, api fiber.Router) {
	db, ok := s.accountDB.(chatDB)
	if !ok {
		return
	}
	h := &chatHandlers{Server: s, svc: &chat.Service{Store: db.Chat(), Now: s.receptionNow, FeedbackAskers: s.chatAsk}, hub: newChatHub(s.rdb, s.prefix, s.log)}
	app.Hooks().OnShutdown(h.hub.close)

	// The youth side: anyone may join during chat hours (P1); afterwards
	// only the holder of the conversation's token reaches it.
	app.Get("/:kommun/chatt", s.resolveKommun, h.visitor(false), h.youthPage)
	app.Post("/:kommun/chatt", s.resolveKommun, h.join)
	app.Post("/:kommun/chatt/meddelande", s.resolveKommun, h.visitor(true), h.youthSend)
	app.Post("/:kommun/chatt/avsluta", s.resolveKommun, h.visitor(true), h.youthEnd)
	api.Post("/chat/:kommun/conversations", s.resolveKommun, h.apiJoin)
	api.Get("/chat/:kommun/conversation", s.resolveKommun, h.visitor(true), h.apiYouthState)
	api.Get("/chat/:kommun/conversation/messages", s.resolveKommun, h.visitor(true), h.apiYouthMessages)
	api.Post("/chat/:kommun/conversation/messages", s.resolveKommun, h.visitor(true), h.apiYouthSend)
	api.Delete("/chat/:kommun/conversation", s.resolveKommun, h.visitor(true), h.apiYouthEnd)
	api.Get("/chat/:kommun/conversation/ws", s.resolveKommun, h.visitor(true), chatSameOrigin, h.youthSocket())
	// Booked chat appointments (chat_booked.go).
	app.Post("/:kommun/chatt/bokning/:booking", s.resolveKommun, s.requireYouth, h.youthOpenBooked)
	api.Post("/chat/:kommun/bookings/:booking/conversation", s.resolveKommun, s.requireYouth, h.apiYouthOpenBooked)

	// The counsellors' side: their kommun only (P5).
	in := func(act string, hs ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{s.resolveKommun, s.requireStaff, s.actAsKommunStaff, s.require(authz.ObjConversation, act)}, hs...)
	}
	app.Get("/personal/:kommun/chatt", in(authz.ActRead, h.queuePage)...)
	app.Post("/personal/:kommun/chatt/ta", in(authz.ActJoin, h.pickUp)...)
	app.Post("/personal/:kommun/chatt/status", in(authz.ActJoin, h.saveAvailability)...)
	api.Put("/kommuner/:kommun/chat/availability", in(authz.ActJoin, h.apiSetAvailability)...)
	app.Get("/personal/:kommun/chatt/:id", in(authz.ActRead, h.staffConversationPage)...)
	app.Post("/personal/:kommun/chatt/:id/meddelande", in(authz.ActWrite, h.staffSend)...)
	app.Post("/personal/:kommun/chatt/:id/overlamna", in(authz.ActTransfer, h.staffTransfer)...)
	app.Post("/personal/:kommun/chatt/:id/avsluta", in(authz.ActEnd, h.staffEnd)...)
	app.Post("/personal/:kommun/chatt/:id/blockera", in(authz.ActBlock, h.staffBlock)...)
	api.Post("/kommuner/:kommun/chat/conversations/:id/block", in(authz.ActBlock, h.apiStaffBlock)...)
	api.Get("/kommuner/:kommun/chat/queue", in(authz.ActRead, h.apiQueue)...)
	api.Post("/kommuner/:kommun/chat/queue/pickup", in(authz.ActJoin, h.apiPickUp)...)
	api.Get("/kommuner/:kommun/chat/conversations/:id", in(authz.ActRead, h.apiStaffOpen)...)
	api.Get("/kommuner/:kommun/chat/conversations/:id/messages", in(authz.ActRead, h.apiStaffMessages)...)
	api.Post("/kommuner/:kommun/chat/conversations/:id/messages", in(authz.ActWrite, h.apiStaffSend)...)
	api.Post("/kommuner/:kommun/chat/conversations/:id/transfer", in(authz.ActTransfer, h.apiStaffTransfer)...)
	api.Delete("/kommuner/:kommun/chat/conversations/:id", in(authz.ActEnd, h.apiStaffEnd)...)
	api.Get("/kommuner/:kommun/chat/conversations/:id/ws", in(authz.ActRead, h.staffOpenCheck, chatSameOrigin, h.staffSocket())...)
	h.chatFileRoutes(app, api, in)
	app.Post("/personal/:kommun/chatt/bokning/:booking", in(authz.ActJoin, h.staffOpenBooked)...)
	api.Post("/kommuner/:kommun/chat/bookings/:booking/conversation", in(authz.ActJoin, h.apiStaffOpenBooked)...)
}

// chatDeletionHooks are the hooks every account deletion runs (P16, P24):
// the youth's open conversations end.
func (s *Server) chatDeletionHooks() []account.DeletionHook {
	if db, ok := s.accountDB.(chatDB); ok {
		return []account.DeletionHook{db.ChatDeletionHook()}
	}
	return nil
}

type chatHandlers struct {
	*Server
	svc *chat.Service
	hub *chatHub // the process's one Redis subscriber for the sockets
}

// Abuse limits: new conversations per client address, messages per conversation.
var (
	chatJoinsPerIP      = redis_rate.Limit{Rate: 10, Burst: 10, Period: time.Hour}
	chatMessagesPerConv = redis_rate.Limit{Rate: 30, Burst: 30, Period: time.Minute}
)

const (
	localChatConv   = "chat_conversation"
	chatTokenHeader = "X-Chat-Token"
	chatLongPollMax = 25 * time.Second
)

func chatCookieName(slug string) string { return "mottagning_chat_" + slug }

// chatOpen reports whether the kommun's drop-in chat is open now, and the
// published page (for the other ways of contact) if there is one.
func (h *chatHandlers) chatOpen(ctx context.Context, k tenant.Kommun) (bool, *reception.Page, error) {
	if k.Status != tenant.StatusActive {
		return false, nil, nil
	}
	db := h.receptionDB()
	if db == nil {
		return false, nil, nil
	}
	pub, err := db.PublishedReception(ctx, k.ID)
	if apperr.Is(err, apperr.NotFound) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	return chatOpenNow(k, pub.Page, h.receptionNow()), &pub.Page, nil
}

// visitor resumes the visitor's conversation from its token (cookie, or
// the X-Chat-Token header for API clients) or, for a signed-in youth
// without a valid token, from their session: their own open conversation
// of the kommun (another device, a lost cookie). Anonymous visitors have
// only the token. With required, a request without a live conversation is
// refused; otherwise it goes on without.
func (h *chatHandlers) visitor(required bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k := kommunFrom(c)
		token := c.Get(chatTokenHeader)
		if token == "" {
			token = c.Cookies(chatCookieName(k.Slug))
		}
		if token != "" {
			ctx, id, err := h.svc.Resume(c.UserContext(), k.ID, token)
			switch {
			case err == nil:
				c.SetUserContext(ctx)
				c.Locals(localChatConv, id)
				return c.Next()
			case !apperr.Is(err, apperr.NotFound):
				return err
			}
			h.clearChatCookie(c, k.Slug)
		}
		ctx, id, err := h.svc.ResumeOwn(c.UserContext(), k.ID)
		switch {
		case err == nil:
			c.SetUserContext(ctx)
			c.Locals(localChatConv, id)
			return c.Next()
		case !apperr.Is(err, apperr.NotFound):
			return err
		}
		if required {
			return apperr.New(apperr.NotFound, "chat.error.no_conversation")
		}
		return c.Next()
	}
}

func chatConvFrom(c *fiber.Ctx) (uuid.UUID, bool) {
	id, ok := c.Locals(localChatConv).(uuid.UUID)
	return id, ok
}

// setChatCookie hands the browser its conversation token: a session
// cookie (closing the browser loses it, and with it the access), HttpOnly,
// SameSite=Strict.
func (h *chatHandlers) setChatCookie(c *fiber.Ctx, slug, token string) {
	c.Cookie(&fiber.Cookie{Name: chatCookieName(slug), Value: token, Path: "/", HTTPOnly: true, Secure: true,
		SameSite: fiber.CookieSameSiteStrictMode, SessionOnly: true})
}

func (h *chatHandlers) clearChatCookie(c *fiber.Ctx, slug string) {
	c.Cookie(&fiber.Cookie{Name: chatCookieName(slug), Value: "", Path: "/", HTTPOnly: true, Secure: true,
		SameSite: fiber.CookieSameSiteStrictMode, Expires: time.Unix(1, 0), MaxAge: -1})
}

// joinAllowed counts a new conversation against the client's address.
func (h *chatHandlers) joinAllowed(c *fiber.Ctx) error {
	res, err := h.limiter.Allow(c.UserContext(), h.prefix+"chat:join:"+h.ipKey(c.IP()), chatJoinsPerIP)
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		return apperr.New(apperr.TooMany, "chat.error.too_many_joins")
	}
	return nil
}

// messageAllowed counts a message against its conversation.
func (h *chatHandlers) messageAllowed(c *fiber.Ctx, id uuid.UUID) error {
	res, err := h.limiter.Allow(c.UserContext(), h.prefix+"chat:msg:"+id.String(), chatMessagesPerConv)
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		return apperr.New(apperr.TooMany, "chat.error.too_many_messages")
	}
	return nil
}

// doJoin validates and starts a conversation for the request's visitor.
func (h *chatHandlers) doJoin(c *fiber.Ctx, a chat.Answers) (chat.Conversation, string, error) {
	k := kommunFrom(c)
	open, _, err := h.chatOpen(c.UserContext(), k)
	if err != nil {
		return chat.Conversation{}, "", err
	}
	if !open {
		return chat.Conversation{}, "", apperr.New(apperr.Conflict, "chat.error.closed")
	}
	if err := chat.ValidateAnswers(a); err != nil {
		return chat.Conversation{}, "", err
	}
	// A signed-in youth has one open conversation per kommun (the store
	// holds to it against two joins at once).
	if _, _, err := h.svc.ResumeOwn(c.UserContext(), k.ID); err == nil {
		return chat.Conversation{}, "", apperr.New(apperr.Conflict, "chat.error.already_open")
	} else if !apperr.Is(err, apperr.NotFound) {
		return chat.Conversation{}, "", err
	}
	if err := h.joinAllowed(c); err != nil {
		return chat.Conversation{}, "", err
	}
	browser, err := h.browserAllowed(c)
	if err != nil {
		return chat.Conversation{}, "", err
	}
	_, conv, token, err := h.svc.Join(c.UserContext(), k.ID, open, a)
	if err != nil {
		return conv, "", err
	}
	if err := h.rememberBrowser(c.UserContext(), conv.ID, browser); err != nil {
		return conv, "", err
	}
	h.setChatCookie(c, k.Slug, token)
	return conv, token, nil
}

// waitMessages returns the messages after after, waiting up to wait for
// some to arrive or the conversation to change state.
func (h *chatHandlers) waitMessages(c *fiber.Ctx, id uuid.UUID, after int64, wait time.Duration, known chat.Status) (chat.Conversation, []chat.Message, error) {
	ctx := c.UserContext()
	deadline := time.Now().Add(min(wait, chatLongPollMax))
	for {
		conv, err := h.svc.Store.Conversation(ctx, id)
		if err != nil {
			return conv, nil, err
		}
		msgs, err := h.svc.Messages(ctx, id, after)
		if err != nil {
			return conv, nil, err
		}
		if len(msgs) > 0 || conv.Status != known || conv.Status == chat.Ended || !time.Now().Before(deadline) {
			return conv, msgs, nil
		}
		select {
		case <-ctx.Done():
			return conv, nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
