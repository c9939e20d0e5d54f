package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

// chatOption is one choice of a select.
type chatOption struct{ Value, Label string }

// chatMessageView is one message as a page shows it.
type chatMessageView struct {
	ID     int64
	Mine   bool
	Sender string
	Body   string
	Time   string
	File   *chatFileView // a file message's file (chat_files.go)
}

type chatYouthData struct {
	form
	KommunName, Slug string
	Open             bool
	// Contact: the reception's other ways of contact, for when chat is closed.
	Phone, Email, Address string
	HasConversation       bool
	Status                string
	Position              int
	StatusText            string
	Messages              []chatMessageView
	LastID                int64
	AgeRanges             []string
	Topics                []chatOption
	Ended                 bool
	NobodyAvailable       bool
	ConvID                string
	// Feedback: the feedback step offered after a signed-in youth's
	// conversation ended (chat.FeedbackAsker), if any.
	FeedbackText, FeedbackURL string
}

func (h *chatHandlers) messageViews(lang string, msgs []chat.Message, mine chat.Sender) []chatMessageView {
	out := make([]chatMessageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, chatMessageView{ID: m.ID, Mine: m.Sender == mine, Sender: h.tr.T(lang, "chat.sender."+string(m.Sender)),
			Body: m.Body, Time: m.At.In(reception.Stockholm).Format("15:04")})
	}
	return out
}

// youthPage is the youth's chat: the join form or the closed message
// without a conversation; the waiting view or the conversation with one.
func (h *chatHandlers) youthPage(c *fiber.Ctx) error {
	return h.renderYouth(c, newForm(), c.Query("avslutat") == "1")
}

func (h *chatHandlers) renderYouth(c *fiber.Ctx, f form, ended bool) error {
	k, lang, ctx := kommunFrom(c), langOf(c), c.UserContext()
	open, page, err := h.chatOpen(ctx, k)
	if err != nil {
		return err
	}
	d := chatYouthData{form: f, KommunName: k.Name, Slug: k.Slug, Open: open, AgeRanges: chat.AgeRanges,
		Phone: k.Contact.Phone, Email: k.Contact.Email, Address: k.Contact.Address, Ended: ended}
	for _, tp := range chat.Topics {
		d.Topics = append(d.Topics, chatOption{Value: tp, Label: h.tr.T(lang, "chat.topic."+tp)})
	}
	if open {
		n, err := h.chatAvailableCount(ctx, k.ID)
		if err != nil {
			return err
		}
		d.NobodyAvailable = n == 0
	}
	if page != nil {
		d.Phone, d.Email, d.Address = page.Phone, page.Email, page.Address
	}
	if ended {
		h.feedbackStep(c, &d)
	}
	if id, ok := chatConvFrom(c); ok {
		d.ConvID = id.String()
		conv, err := h.svc.Store.Conversation(ctx, id)
		if err != nil {
			return err
		}
		msgs, err := h.svc.Messages(ctx, id, 0)
		if err != nil {
			return err
		}
		pos, err := h.svc.Store.QueuePosition(ctx, id)
		if err != nil {
			return err
		}
		d.HasConversation, d.Status, d.Position = true, string(conv.Status), pos
		switch conv.Status {
		case chat.Waiting:
			d.StatusText = h.tr.Tf(lang, "chat.waiting", map[string]any{"Position": pos})
		case chat.Active:
			d.StatusText = h.tr.T(lang, "chat.active")
		default:
			d.StatusText = h.tr.T(lang, "chat.ended_youth")
		}
		d.Messages = h.messageViews(lang, msgs, chat.FromYouth)
		h.withFiles(lang, d.Messages, msgs, "/"+k.Slug+"/chatt/fil/")
		if len(msgs) > 0 {
			d.LastID = msgs[len(msgs)-1].ID
		}
	}
	return h.render(c, "chat", true, d)
}

// join starts a conversation from the page's form.
func (h *chatHandlers) join(c *fiber.Ctx) error {
	a := chat.Answers{AgeRange: c.FormValue("age_range"), Topic: c.FormValue("topic")}
	_, _, err := h.doJoin(c, a)
	if e := apperr.As(err); e != nil && e.Key == "chat.error.already_open" {
		// Their conversation is already there: the page shows it.
		return c.Redirect("/"+kommunFrom(c).Slug+"/chatt", fiber.StatusSeeOther)
	}
	if err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderYouth(c, f, false)
		}
		return err
	}
	return c.Redirect("/"+kommunFrom(c).Slug+"/chatt", fiber.StatusSeeOther)
}

// formFailure turns an Invalid or Conflict error into a form with the
// message shown on the page; other errors go to the error page.
func (h *chatHandlers) formFailure(c *fiber.Ctx, err error) (form, bool) {
	e := apperr.As(err)
	if e == nil || (e.Kind != apperr.Invalid && e.Kind != apperr.Conflict && e.Kind != apperr.TooMany &&
		e.Kind != apperr.TooLarge && e.Kind != apperr.Unsupported) {
		return form{}, false
	}
	f := newForm()
	lang := langOf(c)
	for _, fe := range e.Fields {
		f.Errors[fe.Field] = h.tr.Tf(lang, fe.Key, fe.Args)
	}
	key := e.Key
	if key == "" || key == "error.invalid" {
		key = "chat.error.check"
	}
	f.Error = h.tr.Tf(lang, key, e.Args)
	c.Status(statusOf[e.Kind])
	return f, true
}

func (h *chatHandlers) youthSend(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	if err := h.messageAllowed(c, id); err != nil {
		return err
	}
	if _, err := h.svc.Send(c.UserContext(), id, chat.FromYouth, c.FormValue("body")); err != nil {
		if f, ok := h.formFailure(c, err); ok {
			f.Values["body"] = clip(c.FormValue("body"), chat.MaxMessage)
			return h.renderYouth(c, f, false)
		}
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, id)
	return c.Redirect("/"+kommunFrom(c).Slug+"/chatt#senaste", fiber.StatusSeeOther)
}

func (h *chatHandlers) youthEnd(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	if err := h.svc.End(c.UserContext(), id, chat.ByYouth); err != nil {
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, id)
	h.clearChatCookie(c, kommunFrom(c).Slug)
	return c.Redirect(chatEndedURL(kommunFrom(c).Slug, id), fiber.StatusSeeOther)
}

// chatEndedURL is the youth's page after the end of conversation id; for
// a signed-in youth it leads to the feedback step, if one is offered.
func chatEndedURL(slug string, id uuid.UUID) string {
	return "/" + slug + "/chatt?avslutat=1&samtal=" + id.String()
}

// feedbackStep asks the feedback seam about the conversation named in the
// query, for the signed-in youth it belongs to (row-level security shows a
// youth only their own); anonymous visitors and strangers get nothing.
func (h *chatHandlers) feedbackStep(c *fiber.Ctx, d *chatYouthData) {
	ctx := c.UserContext()
	id, err := uuid.Parse(c.Query("samtal"))
	if err != nil || tenant.ActingFrom(ctx).Actor != tenant.ActorYouth {
		return
	}
	conv, err := h.svc.Store.Conversation(ctx, id)
	if err != nil {
		return
	}
	if p, ok := h.svc.Feedback(ctx, conv); ok {
		d.FeedbackText, d.FeedbackURL = h.tr.T(langOf(c), p.Key), p.URL
	}
}

// chatStateJSON is the youth's view of their conversation.
type chatStateJSON struct {
	Status   chat.Status    `json:"status"`
	Position int            `json:"position"`
	Messages []chat.Message `json:"messages"`
}

func (h *chatHandlers) apiJoin(c *fiber.Ctx) error {
	var in chat.Answers
	if len(c.Body()) > 0 {
		if err := platformJSON(c, &in); err != nil {
			return err
		}
	}
	conv, token, err := h.doJoin(c, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"conversation": conv, "token": token})
}

func (h *chatHandlers) apiYouthState(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	conv, err := h.svc.Store.Conversation(c.UserContext(), id)
	if err != nil {
		return err
	}
	pos := 0 // a place in the queue only while waiting
	if conv.Status == chat.Waiting {
		if pos, err = h.svc.Store.QueuePosition(c.UserContext(), id); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"conversation": conv, "position": pos})
}

// pollArgs reads after (last seen message id), wait (seconds, long poll)
// and status (the state the client knows) from the query.
func pollArgs(c *fiber.Ctx) (int64, time.Duration, chat.Status, error) {
	after, wait := int64(0), 0
	var err error
	if v := c.Query("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return 0, 0, "", apperr.InvalidFields(apperr.FieldError{Field: "after", Key: "chat.error.after"})
		}
	}
	if v := c.Query("wait"); v != "" {
		if wait, err = strconv.Atoi(v); err != nil || wait < 0 || wait > 25 {
			return 0, 0, "", apperr.InvalidFields(apperr.FieldError{Field: "wait", Key: "chat.error.wait"})
		}
	}
	return after, time.Duration(wait) * time.Second, chat.Status(c.Query("status")), nil
}

func (h *chatHandlers) pollJSON(c *fiber.Ctx, id uuid.UUID) error {
	after, wait, known, err := pollArgs(c)
	if err != nil {
		return err
	}
	conv, msgs, err := h.waitMessages(c, id, after, wait, known)
	if err != nil {
		return err
	}
	pos := 0
	if conv.Status == chat.Waiting {
		if pos, err = h.svc.Store.QueuePosition(c.UserContext(), id); err != nil {
			return err
		}
	}
	if msgs == nil {
		msgs = []chat.Message{}
	}
	return c.JSON(chatStateJSON{Status: conv.Status, Position: pos, Messages: msgs})
}

func (h *chatHandlers) apiYouthMessages(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	return h.pollJSON(c, id)
}

func (h *chatHandlers) sendJSON(c *fiber.Ctx, id uuid.UUID, from chat.Sender) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	if err := h.messageAllowed(c, id); err != nil {
		return err
	}
	m, err := h.svc.Send(c.UserContext(), id, from, in.Body)
	if err != nil {
		return err
	}
	h.afterMessage(c.UserContext(), kommunFrom(c), id, from)
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (h *chatHandlers) apiYouthSend(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	return h.sendJSON(c, id, chat.FromYouth)
}

func (h *chatHandlers) apiYouthEnd(c *fiber.Ctx) error {
	id, _ := chatConvFrom(c)
	if err := h.svc.End(c.UserContext(), id, chat.ByYouth); err != nil {
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, id)
	h.clearChatCookie(c, kommunFrom(c).Slug)
	return c.SendStatus(fiber.StatusNoContent)
}
