-- Chat real-time state and booked chats (issue 7).
--
-- Delivered and read: per conversation and side, the highest message id
-- of the other side that side's client has received (delivered) and shown
-- (read). Only numbers, no content; they move only forward (the store's
-- UPDATE checks it) and stay with the bare row until the row goes (P18).
-- Typing is ephemeral and lives in Redis only, never here.
--
-- booking_id links a conversation to the chat appointment it serves: at
-- most one conversation per booking. It is the same kind of conversation
-- as a drop-in one (same policies, same purge on end, same idle end).
ALTER TABLE app.chat_conversation
    ADD COLUMN youth_delivered bigint NOT NULL DEFAULT 0 CHECK (youth_delivered >= 0),
    ADD COLUMN youth_read      bigint NOT NULL DEFAULT 0 CHECK (youth_read >= 0),
    ADD COLUMN staff_delivered bigint NOT NULL DEFAULT 0 CHECK (staff_delivered >= 0),
    ADD COLUMN staff_read      bigint NOT NULL DEFAULT 0 CHECK (staff_read >= 0),
    ADD COLUMN booking_id      uuid,
    ADD CONSTRAINT chat_conversation_booking_fk FOREIGN KEY (kommun_id, booking_id)
        REFERENCES app.booking (kommun_id, id) ON DELETE SET NULL (booking_id);
CREATE UNIQUE INDEX chat_conversation_booking ON app.chat_conversation (kommun_id, booking_id) WHERE booking_id IS NOT NULL;
