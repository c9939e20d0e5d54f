-- Reception pages (kommun-controlled, P8): the draft that reception admins
-- edit and preview, and the published page the public sees. Two tables, so
-- the public read policy can never reach a draft. The page itself is a
-- JSON document (internal/reception defines it), validated in Go.
CREATE TABLE app.reception_draft (
    kommun_id  uuid PRIMARY KEY REFERENCES app.kommun (id),
    page       jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES app.staff (id) ON DELETE SET NULL
);
ALTER TABLE app.reception_draft ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.reception_draft FORCE ROW LEVEL SECURITY;
CREATE POLICY reception_draft_kommun ON app.reception_draft
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.reception_draft TO mottagning_app;

CREATE TABLE app.reception_page (
    kommun_id    uuid PRIMARY KEY REFERENCES app.kommun (id),
    page         jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by uuid REFERENCES app.staff (id) ON DELETE SET NULL
);
ALTER TABLE app.reception_page ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.reception_page FORCE ROW LEVEL SECURITY;
-- Published pages are public: any actor may read them (not a missing context).
CREATE POLICY reception_page_read ON app.reception_page FOR SELECT
    USING ((SELECT app.ctx_actor()) IS NOT NULL);
CREATE POLICY reception_page_write ON app.reception_page
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.reception_page TO mottagning_app;

-- Every admin action in a kommun (who, what, when), viewable by the
-- kommun's reception admins. Kommun-controlled.
CREATE TABLE app.admin_action (
    kommun_id  uuid NOT NULL REFERENCES app.kommun (id),
    id         bigint GENERATED ALWAYS AS IDENTITY,
    at         timestamptz NOT NULL DEFAULT now(),
    staff_id   uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    staff_role text NOT NULL,
    action     text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    detail     text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    PRIMARY KEY (kommun_id, id)
);
CREATE INDEX admin_action_at ON app.admin_action (kommun_id, at DESC);
ALTER TABLE app.admin_action ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.admin_action FORCE ROW LEVEL SECURITY;
CREATE POLICY admin_action_kommun ON app.admin_action
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT ON app.admin_action TO mottagning_app;
