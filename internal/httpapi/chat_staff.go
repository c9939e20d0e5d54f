package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
	"github.com/storsthlm/mottagning/internal/reception"
	"github.com/storsthlm/mottagning/internal/tenant"
)

type chatConvView struct {
	ID       string
	Who      string // the youth's username, or "anonym"
	Waiting  string // since when, HH:MM
	AgeRange string
	Topic    string
	Status   string
}

type chatQueueData struct {
	form
	KommunName, Slug string
	Queue            []chatConvView
	Mine             []chatConvView
	Notice           string
	MyStatus         string
	AvailableText    string
	Statuses         []chatOption
	Colleagues       []chatOption // each colleague's name (Value) and status (Label)
	Booked           []chatBookedView
}

// chatBookedView is a booked chat appointment on the counsellor's queue page.
type chatBookedView struct {
	BookingID, ConvID, Time string
}

type chatColleague struct{ ID, Name string }

type chatStaffConvData struct {
	form
	KommunName, Slug string
	Conv             chatConvView
	Mine             bool
	Ended            bool
	Messages         []chatMessageView
	LastID           int64
	Colleagues       []chatColleague
}

func (h *chatHandlers) convView(lang string, c chat.Conversation) chatConvView {
	v := chatConvView{ID: c.ID.String(), Who: c.Username, Waiting: c.CreatedAt.In(reception.Stockholm).Format("15:04"), Status: h.tr.T(lang, "chat.status."+string(c.Status))}
	if v.Who == "" {
		v.Who = h.tr.T(lang, "chat.anonymous")
	}
	if c.Answers.AgeRange != "" {
		v.AgeRange = c.Answers.AgeRange
	}
	if c.Answers.Topic != "" {
		v.Topic = h.tr.T(lang, "chat.topic."+c.Answers.Topic)
	}
	return v
}

func (h *chatHandlers) queuePage(c *fiber.Ctx) error { return h.renderQueue(c, newForm(), "") }

func (h *chatHandlers) renderQueue(c *fiber.Ctx, f form, notice string) error {
	k, lang, ctx := kommunFrom(c), langOf(c), c.UserContext()
	q, err := h.svc.Store.Queue(ctx)
	if err != nil {
		return err
	}
	mine, err := h.svc.Store.Assigned(ctx, tenant.ActingFrom(ctx).AccountID)
	if err != nil {
		return err
	}
	d := chatQueueData{form: f, KommunName: k.Name, Slug: k.Slug, Notice: notice}
	avail, err := h.chatAvailability(ctx, k.ID)
	if err != nil {
		return err
	}
	d.MyStatus = avail[tenant.ActingFrom(ctx).AccountID]
	available := 0
	for _, v := range avail {
		if v == "available" {
			available++
		}
	}
	d.AvailableText = h.tr.Tf(lang, "chat.availability.count", map[string]any{"Count": available})
	me := tenant.ActingFrom(ctx).AccountID
	if db := h.receptionDB(); db != nil {
		members, err := db.KommunStaff(ctx)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.StaffID == me {
				continue
			}
			st := avail[m.StaffID]
			if st == "" {
				st = "none"
			}
			d.Colleagues = append(d.Colleagues, chatOption{Value: m.DisplayName, Label: h.tr.T(lang, "chat.availability."+st)})
		}
	}
	booked, err := h.svc.Store.BookedChats(ctx, me, h.receptionNow())
	if err != nil {
		return err
	}
	for _, b := range booked {
		v := chatBookedView{BookingID: b.BookingID.String(), Time: b.Start.In(reception.Stockholm).Format("15:04") + "–" + b.End.In(reception.Stockholm).Format("15:04")}
		if b.Conversation != uuid.Nil {
			v.ConvID = b.Conversation.String()
		}
		d.Booked = append(d.Booked, v)
	}
	for _, a := range chatAvailabilities {
		d.Statuses = append(d.Statuses, chatOption{Value: a, Label: h.tr.T(lang, "chat.availability."+a)})
	}
	for _, cv := range q {
		d.Queue = append(d.Queue, h.convView(lang, cv))
	}
	for _, cv := range mine {
		d.Mine = append(d.Mine, h.convView(lang, cv))
	}
	return h.render(c, "chat_queue", false, d)
}

// pickUp takes the chosen conversation (form field id) or the next one.
func (h *chatHandlers) pickUp(c *fiber.Ctx) error {
	id := uuid.Nil
	if v := c.FormValue("id"); v != "" {
		var err error
		if id, err = uuid.Parse(v); err != nil {
			return apperr.New(apperr.NotFound, "chat.error.no_conversation")
		}
	}
	conv, err := h.svc.PickUp(c.UserContext(), id)
	if err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderQueue(c, f, "")
		}
		if apperr.Is(err, apperr.NotFound) && id == uuid.Nil {
			c.Status(fiber.StatusNotFound)
			return h.renderQueue(c, newForm(), h.tr.T(langOf(c), "chat.error.queue_empty"))
		}
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, conv.ID)
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/chatt/"+conv.ID.String(), fiber.StatusSeeOther)
}

func convParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "chat.error.no_conversation")
	}
	return id, nil
}

// staffConversationPage opens a conversation (an access-log entry, P14).
func (h *chatHandlers) staffConversationPage(c *fiber.Ctx) error {
	return h.renderStaffConv(c, newForm())
}

func (h *chatHandlers) renderStaffConv(c *fiber.Ctx, f form) error {
	k, lang, ctx := kommunFrom(c), langOf(c), c.UserContext()
	id, err := convParam(c)
	if err != nil {
		return err
	}
	conv, err := h.svc.Store.Open(ctx, id)
	if err != nil {
		return err
	}
	msgs, err := h.svc.Messages(ctx, id, 0)
	if err != nil {
		return err
	}
	me := tenant.ActingFrom(ctx).AccountID
	d := chatStaffConvData{form: f, KommunName: k.Name, Slug: k.Slug, Conv: h.convView(lang, conv),
		Mine: conv.CounsellorID == me && conv.Status == chat.Active, Ended: conv.Status == chat.Ended,
		Messages: h.messageViews(lang, msgs, chat.FromStaff)}
	h.withFiles(lang, d.Messages, msgs, "/personal/"+k.Slug+"/chatt/"+id.String()+"/fil/")
	if len(msgs) > 0 {
		d.LastID = msgs[len(msgs)-1].ID
	}
	if d.Mine {
		members, err := h.receptionDB().KommunStaff(ctx)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.StaffID != me {
				d.Colleagues = append(d.Colleagues, chatColleague{ID: m.StaffID.String(), Name: m.DisplayName})
			}
		}
	}
	return h.render(c, "chat_staff", false, d)
}

func (h *chatHandlers) staffBack(c *fiber.Ctx, id uuid.UUID) error {
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/chatt/"+id.String()+"#senaste", fiber.StatusSeeOther)
}

func (h *chatHandlers) staffSend(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if err := h.messageAllowed(c, id); err != nil {
		return err
	}
	if _, err := h.svc.Send(c.UserContext(), id, chat.FromStaff, c.FormValue("body")); err != nil {
		if f, ok := h.formFailure(c, err); ok {
			f.Values["body"] = clip(c.FormValue("body"), chat.MaxMessage)
			return h.renderStaffConv(c, f)
		}
		return err
	}
	h.afterMessage(c.UserContext(), kommunFrom(c), id, chat.FromStaff)
	return h.staffBack(c, id)
}

func (h *chatHandlers) staffTransfer(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	to, _ := uuid.Parse(c.FormValue("to"))
	if err := h.svc.Transfer(c.UserContext(), id, to); err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderStaffConv(c, f)
		}
		return err
	}
	return h.renderQueue(c, newForm(), h.tr.T(langOf(c), "chat.transferred"))
}

func (h *chatHandlers) staffEnd(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if err := h.svc.End(c.UserContext(), id, chat.ByStaff); err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderQueue(c, f, "")
		}
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, id)
	return h.renderQueue(c, newForm(), h.tr.T(langOf(c), "chat.ended_notice"))
}

// The staff API.

func (h *chatHandlers) apiQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q, err := h.svc.Store.Queue(ctx)
	if err != nil {
		return err
	}
	mine, err := h.svc.Store.Assigned(ctx, tenant.ActingFrom(ctx).AccountID)
	if err != nil {
		return err
	}
	if q == nil {
		q = []chat.Conversation{}
	}
	if mine == nil {
		mine = []chat.Conversation{}
	}
	return c.JSON(fiber.Map{"waiting": q, "mine": mine})
}

func (h *chatHandlers) apiPickUp(c *fiber.Ctx) error {
	var in struct {
		ID string `json:"id"`
	}
	if len(c.Body()) > 0 {
		if err := platformJSON(c, &in); err != nil {
			return err
		}
	}
	id := uuid.Nil
	if in.ID != "" {
		var err error
		if id, err = uuid.Parse(in.ID); err != nil {
			return apperr.New(apperr.NotFound, "chat.error.no_conversation")
		}
	}
	conv, err := h.svc.PickUp(c.UserContext(), id)
	if err != nil {
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, conv.ID)
	return c.JSON(conv)
}

func (h *chatHandlers) apiStaffOpen(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	conv, err := h.svc.Store.Open(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"conversation": conv, "username": conv.Username})
}

func (h *chatHandlers) apiStaffMessages(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	return h.pollJSON(c, id)
}

func (h *chatHandlers) apiStaffSend(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	return h.sendJSON(c, id, chat.FromStaff)
}

func (h *chatHandlers) apiStaffTransfer(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	var in struct {
		To string `json:"to"`
	}
	if err := platformJSON(c, &in); err != nil {
		return err
	}
	to, _ := uuid.Parse(in.To)
	if err := h.svc.Transfer(c.UserContext(), id, to); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *chatHandlers) apiStaffEnd(c *fiber.Ctx) error {
	id, err := convParam(c)
	if err != nil {
		return err
	}
	if err := h.svc.End(c.UserContext(), id, chat.ByStaff); err != nil {
		return err
	}
	h.announce(c.UserContext(), kommunFrom(c).ID, id)
	return c.SendStatus(fiber.StatusNoContent)
}
