package httpapi

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
)

// Real time. A change (a message, a pick-up, the end) is committed to
// PostgreSQL first and only then announced on Redis pub/sub, on a channel
// that carries the kommun and conversation ids. The announcement holds no
// content: each replica that serves a participant reads what is new from
// the database, after the last message id the client has seen, so nothing
// is lost across replicas, reconnects or a Redis restart (a periodic
// catch-up read covers a lost announcement).

const (
	localChatCtx    = "chat_ctx"
	chatCatchUp     = 10 * time.Second
	chatWriteWait   = 10 * time.Second
	chatReadLimit   = 4096
	chatAnnounceMsg = "changed"
)

// chatChannel is the pub/sub channel of one conversation.
func (s *Server) chatChannel(kommunID, id uuid.UUID) string {
	return s.prefix + "chat:" + kommunID.String() + ":" + id.String()
}

// announce tells every replica that conversation id changed. It runs after
// the change committed; a failure only delays delivery to the catch-up read.
func (h *chatHandlers) announce(ctx context.Context, kommunID, id uuid.UUID) {
	if err := h.rdb.Publish(context.WithoutCancel(ctx), h.chatChannel(kommunID, id), chatAnnounceMsg).Err(); err != nil {
		h.log.Warn("chat: announce failed; clients catch up by reading", "err", err)
	}
}

// chatSameOrigin refuses a websocket upgrade from another site (cross-site
// websocket hijacking): a browser always sends Origin, and it must name
// this host. Clients that are not browsers send none.
func chatSameOrigin(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return apperr.New(apperr.Invalid, "chat.error.not_websocket")
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != string(c.Request().Host()) {
			return apperr.New(apperr.Forbidden, "error.forbidden")
		}
	}
	c.Locals(localChatCtx, context.WithoutCancel(c.UserContext()))
	return c.Next()
}

// youthSocket serves the visitor's conversation over a websocket.
func (h *chatHandlers) youthSocket() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		id, _ := conn.Locals(localChatConv).(uuid.UUID)
		h.serveSocket(conn, id)
	})
}

// staffSocket serves a conversation of the kommun to a counsellor.
func (h *chatHandlers) staffSocket() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		id, err := uuid.Parse(conn.Params("id"))
		if err != nil {
			_ = conn.WriteJSON(fiber.Map{"error": "not_found"})
			return
		}
		h.serveSocket(conn, id)
	})
}

// socketFrame is what the server sends: the state and new messages.
type socketFrame struct {
	Status   chat.Status    `json:"status"`
	Position int            `json:"position"`
	Messages []chat.Message `json:"messages"`
}

// serveSocket sends the messages after the query's after, then every new
// one as it is announced, until the conversation ends or the client goes.
// The client may send {"ack": id} to move its resume point.
func (h *chatHandlers) serveSocket(conn *websocket.Conn, id uuid.UUID) {
	ctx, _ := conn.Locals(localChatCtx).(context.Context)
	if ctx == nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	after, _ := strconv.ParseInt(conn.Query("after", "0"), 10, 64)
	conv, err := h.svc.Store.Conversation(ctx, id)
	if err != nil {
		_ = conn.WriteJSON(fiber.Map{"error": "not_found"})
		return
	}
	sub := h.rdb.Subscribe(ctx, h.chatChannel(conv.KommunID, id))
	defer sub.Close()
	announced := sub.Channel()

	// The reader: acknowledgements, and noticing the client left.
	gone := make(chan struct{})
	conn.SetReadLimit(chatReadLimit)
	go func() {
		defer close(gone)
		for {
			var in struct {
				Ack int64 `json:"ack"`
			}
			if err := conn.ReadJSON(&in); err != nil {
				return
			}
		}
	}()

	var last chat.Status
	tick := time.NewTicker(chatCatchUp)
	defer tick.Stop()
	for {
		conv, err := h.svc.Store.Conversation(ctx, id)
		if err != nil {
			return
		}
		msgs, err := h.svc.Messages(ctx, id, after)
		if err != nil {
			return
		}
		if len(msgs) > 0 || conv.Status != last {
			f := socketFrame{Status: conv.Status, Messages: msgs}
			if f.Messages == nil {
				f.Messages = []chat.Message{}
			}
			if conv.Status == chat.Waiting {
				f.Position, _ = h.svc.Store.QueuePosition(ctx, id)
			}
			_ = conn.SetWriteDeadline(time.Now().Add(chatWriteWait))
			if err := conn.WriteJSON(f); err != nil {
				return
			}
			if len(msgs) > 0 {
				after = msgs[len(msgs)-1].ID
			}
			last = conv.Status
		}
		if conv.Status == chat.Ended {
			_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "ended"))
			return
		}
		select {
		case <-gone:
			return
		case <-announced:
		case <-tick.C:
		}
	}
}

// staffOpenCheck answers "not found" before the upgrade for a conversation
// the counsellor cannot see.
func (h *chatHandlers) staffOpenCheck(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.Store.Conversation(c.UserContext(), id); err != nil {
		return err
	}
	return c.Next()
}
