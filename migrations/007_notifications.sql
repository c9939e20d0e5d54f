-- Notifications (issue 5, P12, P21, P27): the transactional outbox of
-- notices, and contact verification codes. Both are platform-controlled.

-- One row per notice and channel, written in the same transaction as the
-- change that causes it. The relay moves due rows to Asynq with the row id
-- as task id; the worker decides at send time (P12) and records the outcome.
-- account_id becomes NULL when the account is deleted, so the row records
-- "dropped: account deleted" and nothing personal remains.
CREATE TABLE app.notice_outbox (
    id              uuid PRIMARY KEY,
    account_id      uuid REFERENCES app.account (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]{3,40}$'),
    channel         text NOT NULL CHECK (channel IN ('sms', 'email')),
    payload         jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    due_at          timestamptz NOT NULL DEFAULT now(),
    enqueued_at     timestamptz,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'dropped', 'failed')),
    reason          text,
    attempts        integer NOT NULL DEFAULT 0,
    sending_since   timestamptz,
    provider_id     text,
    sent_at         timestamptz,
    delivery_status text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_outbox_due ON app.notice_outbox (due_at) WHERE enqueued_at IS NULL AND status = 'pending';
CREATE INDEX notice_outbox_unsent ON app.notice_outbox (created_at) WHERE status IN ('pending', 'sending');
CREATE INDEX notice_outbox_provider ON app.notice_outbox (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX notice_outbox_account ON app.notice_outbox (account_id);
ALTER TABLE app.notice_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.notice_outbox FORCE ROW LEVEL SECURITY;
-- Any feature may queue a notice inside its own transaction: staff and the
-- platform for any account, a youth only for themself.
CREATE POLICY notice_outbox_queue ON app.notice_outbox FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform', 'staff')
                OR ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account())));
-- The relay, the worker, the delivery callbacks and the purge act as the system.
CREATE POLICY notice_outbox_system ON app.notice_outbox
    USING ((SELECT app.ctx_actor()) = 'system')
    WITH CHECK ((SELECT app.ctx_actor()) = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON app.notice_outbox TO mottagning_app;

-- Wake the relay at once when notices are committed (NOTIFY is delivered
-- at commit, never for a rolled-back transaction).
CREATE FUNCTION app.notice_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notice_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER notice_outbox_wake AFTER INSERT ON app.notice_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION app.notice_outbox_wake();

-- A pending verification of a new phone number or e-mail address: a
-- 6-digit code, stored only as a keyed hash, valid 10 minutes, 5 tries.
CREATE TABLE app.contact_verification (
    account_id uuid NOT NULL REFERENCES app.account (id) ON DELETE CASCADE,
    channel    text NOT NULL CHECK (channel IN ('sms', 'email')),
    address    text NOT NULL,
    code_hash  bytea NOT NULL,
    tries      integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    sent_at    timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, channel)
);
ALTER TABLE app.contact_verification ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.contact_verification FORCE ROW LEVEL SECURITY;
CREATE POLICY contact_verification_self ON app.contact_verification
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY contact_verification_system ON app.contact_verification
    USING ((SELECT app.ctx_actor()) = 'system')
    WITH CHECK ((SELECT app.ctx_actor()) = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON app.contact_verification TO mottagning_app;
