package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// Real time. A change (a message, a pick-up, the end) is committed to
// PostgreSQL first and only then announced on Redis pub/sub, on a channel
// that carries the kommun and conversation ids. The announcement holds no
// content: each replica that serves a participant reads what is new from
// the database, after the last message id the client has seen, so nothing
// is lost across replicas, reconnects or a Redis restart (the hub wakes
// every socket when its subscription reconnects, and each socket now and
// then as a safety net: see chatHub).

const (
	localChatCtx    = "chat_ctx"
	chatWriteWait   = 10 * time.Second
	chatReadLimit   = 4096
	chatAnnounceMsg = "changed"
)

// chatSocketConfig keeps an idle socket small: client frames are short
// JSON, so a small read buffer does (longer frames, up to chatReadLimit,
// are still read whole, in several reads), and the write buffer comes from
// a pool shared by all sockets only while a frame is being written.
var (
	chatWritePool    sync.Pool
	chatSocketConfig = websocket.Config{ReadBufferSize: 256, WriteBufferSize: 4096, WriteBufferPool: &chatWritePool}
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
		h.serveSocket(conn, id, chat.FromYouth)
	}, chatSocketConfig)
}

// staffSocket serves a conversation of the kommun to a counsellor.
func (h *chatHandlers) staffSocket() fiber.Handler {
	return websocket.New(func(conn *websocket.Conn) {
		id, err := uuid.Parse(conn.Params("id"))
		if err != nil {
			_ = conn.WriteJSON(fiber.Map{"error": "not_found"})
			return
		}
		h.serveSocket(conn, id, chat.FromStaff)
	}, chatSocketConfig)
}

// socketFrame is what the server sends: the state, new messages, whether
// the other side is typing, and how far the other side's client has
// received (Delivered) and shown (Read) this side's messages.
type socketFrame struct {
	Status    chat.Status    `json:"status"`
	Position  int            `json:"position"`
	Messages  []chat.Message `json:"messages"`
	Typing    bool           `json:"typing"`
	Delivered int64          `json:"delivered"`
	Read      int64          `json:"read"`
}

// socketIn is what a client may send; unknown fields are ignored.
type socketIn struct {
	Typing bool  `json:"typing"`
	Ack    int64 `json:"ack"`
	Read   int64 `json:"read"`
}

// serveSocket sends the messages after the query's after, then every new
// one and every change of state as it is announced, until the conversation
// ends or the client goes. side is who the client is.
func (h *chatHandlers) serveSocket(conn *websocket.Conn, id uuid.UUID, side chat.Sender) {
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
	var sub *chatSub
	if side == chat.FromYouth {
		member := uuid.NewString() // this socket in the youth's presence set
		h.present(ctx, id, member)
		defer h.absent(context.WithoutCancel(ctx), id, member)
		sub = h.hub.subscribePresent(h.chatChannel(conv.KommunID, id), h.chatPresenceKey(id), member)
	} else {
		sub = h.hub.subscribe(h.chatChannel(conv.KommunID, id))
	}
	defer h.hub.unsubscribe(sub)
	var current atomic.Pointer[chat.Conversation]
	current.Store(&conv)

	// The reader: typing signals, acknowledgements, and noticing the
	// client left. A frame that is not JSON or too long ends the socket.
	gone := make(chan struct{})
	var closeCode atomic.Int32
	conn.SetReadLimit(chatReadLimit)
	go func() {
		defer close(gone)
		for {
			kind, data, err := conn.ReadMessage()
			if err != nil {
				if errors.Is(err, websocket.ErrReadLimit) {
					closeCode.Store(websocket.CloseMessageTooBig)
				}
				return
			}
			var in socketIn
			if kind != websocket.TextMessage || json.Unmarshal(data, &in) != nil {
				closeCode.Store(websocket.CloseUnsupportedData)
				return
			}
			h.socketInput(ctx, current.Load(), side, in)
		}
	}()
	// The reader must be done before the handler returns: the server
	// reuses the connection's buffers afterwards.
	defer func() {
		_ = conn.Close()
		<-gone
	}()

	var sent socketFrame
	first := true
	var typingTimer *time.Timer
	defer func() {
		if typingTimer != nil {
			typingTimer.Stop()
		}
	}()
	for {
		conv, msgs, err := h.svc.Since(ctx, id, after)
		if err != nil {
			return
		}
		current.Store(&conv)
		f := socketFrame{Status: conv.Status, Messages: msgs}
		f.Delivered, f.Read = conv.Seen.Of(side.Other())
		var typingLeft time.Duration
		if conv.Status == chat.Active {
			typingLeft = h.typingLeft(ctx, id, side.Other())
			f.Typing = typingLeft > 0
		}
		if first || len(msgs) > 0 || f.Status != sent.Status || f.Typing != sent.Typing || f.Delivered != sent.Delivered || f.Read != sent.Read {
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
			sent, first = f, false
		}
		if conv.Status == chat.Ended {
			_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "ended"))
			return
		}
		// While the other side is typing, look again when it lapses.
		var typingC <-chan time.Time
		if typingTimer != nil {
			typingTimer.Stop()
			typingTimer = nil
		}
		if typingLeft > 0 {
			typingTimer = time.NewTimer(typingLeft + 50*time.Millisecond)
			typingC = typingTimer.C
		}
		select {
		case <-gone:
			if code := int(closeCode.Load()); code != 0 {
				_ = conn.SetWriteDeadline(time.Now().Add(chatWriteWait))
				_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""))
			}
			return
		case <-sub.wake:
		case <-typingC:
		}
	}
}

// socketInput handles one frame from a client: a typing signal or an
// acknowledgement. What does not count is ignored without writing.
func (h *chatHandlers) socketInput(ctx context.Context, conv *chat.Conversation, side chat.Sender, in socketIn) {
	if conv == nil || conv.Status != chat.Active {
		return
	}
	if side == chat.FromStaff && conv.CounsellorID != tenant.ActingFrom(ctx).AccountID {
		return // a colleague looking on neither types nor reads for the counsellor
	}
	changed := false
	if in.Typing {
		changed = h.typing(ctx, conv.ID, side)
	}
	for _, m := range []struct {
		id   int64
		read bool
	}{{in.Ack, false}, {in.Read, true}} {
		ok, err := h.svc.Acknowledge(ctx, conv.ID, side, m.id, m.read)
		if err != nil {
			h.log.Warn("chat: acknowledgement failed", "err", err)
		}
		changed = changed || ok
	}
	if changed {
		h.announce(ctx, conv.KommunID, conv.ID)
	}
}

// Typing is ephemeral: a Redis key per conversation and side that lapses
// after chat.TypingFor, never written to PostgreSQL.
func (s *Server) chatTypingKey(id uuid.UUID, side chat.Sender) string {
	return s.prefix + "chat:typing:" + id.String() + ":" + string(side)
}

// typing records that side is typing; it reports whether that is news
// (the other side's sockets need waking) or only prolongs it.
func (h *chatHandlers) typing(ctx context.Context, id uuid.UUID, side chat.Sender) bool {
	key := h.chatTypingKey(id, side)
	fresh, err := h.rdb.SetNX(ctx, key, "1", chat.TypingFor).Result()
	if err != nil {
		return false
	}
	if !fresh {
		_ = h.rdb.Expire(ctx, key, chat.TypingFor).Err()
	}
	return fresh
}

// typingLeft returns how much longer side counts as typing (0: not).
func (h *chatHandlers) typingLeft(ctx context.Context, id uuid.UUID, side chat.Sender) time.Duration {
	d, err := h.rdb.PTTL(ctx, h.chatTypingKey(id, side)).Result()
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// Presence: a sorted set per conversation of the youth's open sockets on
// every replica, each scored with when it lapses unless refreshed; a
// socket adds itself on open, the hub refreshes all its replica's entries
// every chatHubTick (chatPresenceTTL is three of those), and a socket
// removes itself on close.

func (s *Server) chatPresenceKey(id uuid.UUID) string {
	return s.prefix + "chat:present:" + id.String()
}

func (h *chatHandlers) present(ctx context.Context, id uuid.UUID, member string) {
	key := h.chatPresenceKey(id)
	until := float64(time.Now().Add(chatPresenceTTL).UnixMilli())
	if err := h.rdb.ZAdd(ctx, key, redis.Z{Score: until, Member: member}).Err(); err == nil {
		_ = h.rdb.Expire(ctx, key, 2*chatPresenceTTL).Err()
	}
}

func (h *chatHandlers) absent(ctx context.Context, id uuid.UUID, member string) {
	_ = h.rdb.ZRem(ctx, h.chatPresenceKey(id), member).Err()
}

// youthPresent reports whether the youth of conversation id has a socket
// open on any replica. If Redis cannot tell, it answers yes (no notice is
// better than a wrong one).
func (h *chatHandlers) youthPresent(ctx context.Context, id uuid.UUID) bool {
	n, err := h.rdb.ZCount(ctx, h.chatPresenceKey(id), strconv.FormatInt(time.Now().UnixMilli(), 10), "+inf").Result()
	return err != nil || n > 0
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
