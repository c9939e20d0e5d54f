-- Booking administration (issue 6): 24-hour reminders that are withdrawn
-- when their booking is cancelled or moved, and intake answers that keep
-- the questions they answer.
--
-- A reminder is queued in the outbox with its due time and the booking's
-- id in its payload. Only the system may update outbox rows, so this
-- function, run as the owner, drops the reminders still pending for one
-- booking, and only for a caller who may change that booking: staff of its
-- kommun, the system acting for its kommun, or the youth who booked it.
-- Dropped rows keep no payload (like every dropped notice) and are never
-- sent: the relay takes only pending rows, the worker skips dropped ones.
CREATE POLICY notice_outbox_owner_reminder ON app.notice_outbox TO mottagning_owner
    USING (kind = 'booking_reminder') WITH CHECK (kind = 'booking_reminder');
CREATE FUNCTION app.booking_reminder_drop(kommun uuid, booking uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = app, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM app.booking b WHERE b.kommun_id = kommun AND b.id = booking
        AND ((app.ctx_actor() IN ('staff', 'system') AND app.ctx_kommun() = kommun)
          OR (app.ctx_actor() = 'youth' AND b.account_id = app.ctx_account()))) THEN
        RETURN 0;
    END IF;
    UPDATE app.notice_outbox SET status = 'dropped', reason = 'booking_changed', payload = '{}', updated_at = now()
     WHERE kind = 'booking_reminder' AND status = 'pending' AND payload ->> 'booking' = booking::text;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION app.booking_reminder_drop(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.booking_reminder_drop(uuid, uuid) TO mottagning_app;

-- Intake answers keep the questions they answer: a reception admin may
-- change an appointment type's questions while bookings with answers to
-- the old ones are still to come. NULL for answers stored before.
ALTER TABLE app.booking_intake ADD COLUMN questions jsonb CHECK (questions IS NULL OR jsonb_typeof(questions) = 'array');
