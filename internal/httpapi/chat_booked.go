package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/storsthlm/mottagning/internal/apperr"
	"github.com/storsthlm/mottagning/internal/chat"
)

// Booked chats: a chat appointment's conversation, opened by its youth
// from "Mina bokningar" or by its counsellor from the chat queue page,
// within the window around the appointment (chat.BookedWindowBefore/After).
// The youth's browser then reaches it with a conversation token, exactly
// like a drop-in conversation, and it ends and is purged the same way (P18).

func bookingParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("booking"))
	if err != nil {
		return uuid.Nil, apperr.New(apperr.NotFound, "chat.error.no_booking")
	}
	return id, nil
}

// openBookedForYouth opens the booking's conversation for the signed-in
// youth and hands their browser its token.
func (h *chatHandlers) openBookedForYouth(c *fiber.Ctx) (chat.Conversation, string, error) {
	bid, err := bookingParam(c)
	if err != nil {
		return chat.Conversation{}, "", err
	}
	conv, token, err := h.svc.OpenBooked(c.UserContext(), bid, true)
	if err != nil {
		return conv, "", err
	}
	k := kommunFrom(c)
	if conv.KommunID != k.ID {
		return chat.Conversation{}, "", apperr.New(apperr.NotFound, "chat.error.no_booking")
	}
	h.setChatCookie(c, k.Slug, token)
	return conv, token, nil
}

// youthOpenBooked is the button on "Mina bokningar".
func (h *chatHandlers) youthOpenBooked(c *fiber.Ctx) error {
	if _, _, err := h.openBookedForYouth(c); err != nil {
		return err
	}
	return c.Redirect("/"+kommunFrom(c).Slug+"/chatt", fiber.StatusSeeOther)
}

func (h *chatHandlers) apiYouthOpenBooked(c *fiber.Ctx) error {
	conv, token, err := h.openBookedForYouth(c)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"conversation": conv, "token": token})
}

// staffOpenBooked is the button on the counsellor's queue page.
func (h *chatHandlers) staffOpenBooked(c *fiber.Ctx) error {
	bid, err := bookingParam(c)
	if err != nil {
		return err
	}
	conv, _, err := h.svc.OpenBooked(c.UserContext(), bid, false)
	if err != nil {
		if f, ok := h.formFailure(c, err); ok {
			return h.renderQueue(c, f, "")
		}
		return err
	}
	return c.Redirect("/personal/"+kommunFrom(c).Slug+"/chatt/"+conv.ID.String(), fiber.StatusSeeOther)
}

func (h *chatHandlers) apiStaffOpenBooked(c *fiber.Ctx) error {
	bid, err := bookingParam(c)
	if err != nil {
		return err
	}
	conv, _, err := h.svc.OpenBooked(c.UserContext(), bid, false)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"conversation": conv})
}
