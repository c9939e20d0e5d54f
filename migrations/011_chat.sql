-- Drop-in chat (issue 7, P1, P5, P14, P18): kommun-controlled conversations,
-- their pre-chat answers and messages. Ending a conversation deletes its
-- answers and messages in the same transaction that marks it ended; the
-- conversation row keeps only its timestamps and who ended it.
--
-- Who sees a conversation:
--  * an anonymous visitor: only the one conversation whose token the server
--    verified (app.conversation_id, set after the hash matched), in its kommun;
--  * a signed-in youth: their own conversations (account_id);
--  * staff and system: every conversation of the kommun acted for.
CREATE FUNCTION app.ctx_conversation() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT NULLIF(current_setting('app.conversation_id', true), '')::uuid $$;

CREATE TABLE app.chat_conversation (
    kommun_id        uuid NOT NULL REFERENCES app.kommun (id),
    id               uuid NOT NULL,
    token_hash       bytea UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 32),
    account_id       uuid REFERENCES app.account (id) ON DELETE SET NULL,
    status           text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'ended')),
    counsellor_id    uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    picked_up_at     timestamptz,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    ended_at         timestamptz,
    ended_by         text CHECK (ended_by IN ('youth', 'staff', 'idle', 'account_deleted')),
    PRIMARY KEY (kommun_id, id),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL)),
    CHECK (token_hash IS NOT NULL OR account_id IS NOT NULL OR status = 'ended')
);
CREATE INDEX chat_conversation_queue ON app.chat_conversation (kommun_id, status, created_at);
CREATE INDEX chat_conversation_account ON app.chat_conversation (account_id) WHERE account_id IS NOT NULL;
ALTER TABLE app.chat_conversation ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.chat_conversation FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_conversation_kommun ON app.chat_conversation
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY chat_conversation_anonymous ON app.chat_conversation
    USING ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
           AND id = (SELECT app.ctx_conversation()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
           AND id = (SELECT app.ctx_conversation()));
-- The one lookup an anonymous visitor makes before the server knows the
-- conversation: by the hash of the presented token (app.chat_token_hash,
-- hex, set by the store for that query only), an open one of the kommun.
CREATE POLICY chat_conversation_token ON app.chat_conversation FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
           AND status <> 'ended'
           AND token_hash = (SELECT decode(NULLIF(current_setting('app.chat_token_hash', true), ''), 'hex')));
CREATE POLICY chat_conversation_youth ON app.chat_conversation
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account())
           AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE ON app.chat_conversation TO mottagning_app;
GRANT DELETE ON app.chat_conversation TO mottagning_app;

-- The optional pre-chat answers (all optional, from fixed lists).
CREATE TABLE app.chat_answer (
    kommun_id       uuid NOT NULL,
    conversation_id uuid NOT NULL,
    age_range       text NOT NULL DEFAULT '' CHECK (age_range IN ('', '12-15', '16-19', '20-25')),
    topic           text NOT NULL DEFAULT '' CHECK (topic IN ('', 'body', 'feelings', 'relations', 'sex', 'drugs', 'other')),
    PRIMARY KEY (kommun_id, conversation_id),
    FOREIGN KEY (kommun_id, conversation_id) REFERENCES app.chat_conversation (kommun_id, id) ON DELETE CASCADE
);

CREATE TABLE app.chat_message (
    kommun_id       uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    sender          text NOT NULL CHECK (sender IN ('youth', 'staff')),
    staff_id        uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, id),
    FOREIGN KEY (kommun_id, conversation_id) REFERENCES app.chat_conversation (kommun_id, id) ON DELETE CASCADE
);
CREATE INDEX chat_message_conversation ON app.chat_message (kommun_id, conversation_id, id);

-- Answers and messages: the same three audiences, through the conversation.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['chat_answer', 'chat_message'] LOOP
        EXECUTE format('ALTER TABLE app.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE app.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON app.%I
            USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
            WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))$p$,
            t || '_kommun', t);
        EXECUTE format($p$CREATE POLICY %I ON app.%I
            USING ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
                   AND conversation_id = (SELECT app.ctx_conversation()))
            WITH CHECK ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
                   AND conversation_id = (SELECT app.ctx_conversation()))$p$,
            t || '_anonymous', t);
        EXECUTE format($p$CREATE POLICY %I ON app.%I
            USING ((SELECT app.ctx_actor()) = 'youth' AND (kommun_id, conversation_id) IN
                   (SELECT c.kommun_id, c.id FROM app.chat_conversation c WHERE c.account_id = (SELECT app.ctx_account())))
            WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND (kommun_id, conversation_id) IN
                   (SELECT c.kommun_id, c.id FROM app.chat_conversation c WHERE c.account_id = (SELECT app.ctx_account())))$p$,
            t || '_youth', t);
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON app.%I TO mottagning_app', t);
    END LOOP;
END $$;

