-- Files in chat (issue 7, P18): images and PDFs a participant sends in a
-- conversation, stored with it. A file is shown in the conversation as a
-- message that refers to it (chat_message.file_id), so it appears in order
-- in both views and resumes like any other message. Ending a conversation
-- deletes its files in the same transaction as its messages; the periodic
-- safety net removes any left of an ended conversation.
--
-- Who sees a file: the same three audiences as the conversation's
-- messages (the kommun's staff and the system, the anonymous visitor of
-- that one conversation, the signed-in youth whose conversation it is).
CREATE TABLE app.chat_file (
    kommun_id       uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              uuid NOT NULL,
    -- A sanitized display name only; the original name is not kept.
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The type sniffed from the content, never the one the client named.
    content_type    text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf')),
    size            integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
    data            bytea NOT NULL CHECK (length(data) = size),
    at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, id),
    FOREIGN KEY (kommun_id, conversation_id) REFERENCES app.chat_conversation (kommun_id, id) ON DELETE CASCADE
);
CREATE INDEX chat_file_conversation ON app.chat_file (kommun_id, conversation_id);
-- The file's bytes are large: keep them out of the main heap pages and
-- do not try to compress images and PDFs, which are compressed already.
ALTER TABLE app.chat_file ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE app.chat_message ADD COLUMN file_id uuid;
ALTER TABLE app.chat_message ADD FOREIGN KEY (kommun_id, file_id) REFERENCES app.chat_file (kommun_id, id);
CREATE INDEX chat_message_file ON app.chat_message (kommun_id, file_id) WHERE file_id IS NOT NULL;

ALTER TABLE app.chat_file ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.chat_file FORCE ROW LEVEL SECURITY;
CREATE POLICY chat_file_kommun ON app.chat_file
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY chat_file_anonymous ON app.chat_file
    USING ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
           AND conversation_id = (SELECT app.ctx_conversation()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'anonymous' AND kommun_id = (SELECT app.ctx_kommun())
           AND conversation_id = (SELECT app.ctx_conversation()));
CREATE POLICY chat_file_youth ON app.chat_file
    USING ((SELECT app.ctx_actor()) = 'youth' AND (kommun_id, conversation_id) IN
           (SELECT c.kommun_id, c.id FROM app.chat_conversation c WHERE c.account_id = (SELECT app.ctx_account())))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND (kommun_id, conversation_id) IN
           (SELECT c.kommun_id, c.id FROM app.chat_conversation c WHERE c.account_id = (SELECT app.ctx_account())));
GRANT SELECT, INSERT, DELETE ON app.chat_file TO mottagning_app;
