package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/notify"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// "New message" notices. When a counsellor writes to a signed-in youth
// who has no socket open on any replica (the presence set in Redis), a
// notify.KindNewMessage notice is queued through the account notice path:
// the worker sends it on the channels the youth switched on and verified
// and drops it otherwise. At most one per conversation per
// chatNoticeEvery; never any content of the message. Anonymous youth get
// none: there is nobody to reach.
const chatNoticeEvery = 15 * time.Minute

// chatNoticeDB queues account notices (postgres.DB).
type chatNoticeDB interface {
	QueueAccountNotice(ctx context.Context, accountID uuid.UUID, kind notify.Kind, p notify.Payload, due time.Time) error
}

func (s *Server) chatNoticeKey(id uuid.UUID) string {
	return s.prefix + "chat:notice:" + id.String()
}

// afterMessage announces a committed message and, for one from staff,
// notices a youth who is away.
func (h *chatHandlers) afterMessage(ctx context.Context, k tenant.Kommun, id uuid.UUID, from chat.Sender) {
	h.announce(ctx, k.ID, id)
	if from == chat.FromStaff {
		h.noticeIfAway(context.WithoutCancel(ctx), k.Slug, id)
	}
}

// noticeIfAway queues the notice if the conversation's youth is signed in,
// away, and was not noticed within chatNoticeEvery. Failures are logged:
// the message itself is stored and waits for the youth.
func (h *chatHandlers) noticeIfAway(ctx context.Context, slug string, id uuid.UUID) {
	db, ok := h.accountDB.(chatNoticeDB)
	if !ok {
		return
	}
	conv, err := h.svc.Store.Conversation(ctx, id)
	if err != nil || conv.AccountID == uuid.Nil || conv.Status == chat.Ended || h.youthPresent(ctx, id) {
		return
	}
	fresh, err := h.rdb.SetNX(ctx, h.chatNoticeKey(id), "1", chatNoticeEvery).Result()
	if err != nil || !fresh {
		return
	}
	if err := db.QueueAccountNotice(ctx, conv.AccountID, notify.KindNewMessage, notify.Payload{Slug: slug}, time.Time{}); err != nil {
		h.log.Warn("chat: queueing the new-message notice failed", "err", err)
		_ = h.rdb.Del(ctx, h.chatNoticeKey(id)).Err()
	}
}
