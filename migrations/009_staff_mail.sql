-- Staff e-mail through the transactional outbox: an invitation's one-time
-- link goes to an address, not to an account (no consent: it is a service
-- message the invitee expects). The row is queued in the same transaction
-- as the invitation and sent by the same relay and worker as notices.
ALTER TABLE app.notice_outbox ADD COLUMN to_email text
    CHECK (to_email IS NULL OR length(to_email) BETWEEN 3 AND 254);
-- A row goes either to an account or to an address, never both; only
-- staff mail goes to an address. The existing insert policy already lets
-- only the system, the platform and staff queue for anyone but themself.
ALTER TABLE app.notice_outbox ADD CONSTRAINT notice_outbox_one_recipient
    CHECK (to_email IS NULL OR (account_id IS NULL AND channel = 'email' AND kind = 'staff_invite'));

-- Once a staff e-mail is finished (sent, dropped or failed) nothing
-- personal stays: the token-bearing payload and the address go.
CREATE FUNCTION app.notice_outbox_forget_staff_mail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.payload := '{}';
    NEW.to_email := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER notice_outbox_forget_staff_mail BEFORE UPDATE ON app.notice_outbox
    FOR EACH ROW WHEN (NEW.kind = 'staff_invite' AND NEW.status IN ('sent', 'dropped', 'failed'))
    EXECUTE FUNCTION app.notice_outbox_forget_staff_mail();
