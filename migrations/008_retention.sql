-- Retention jobs and access-log follow-up (issue 8; P14, P16, P19, P23).

-- Job runs: a retried run (same task id) counts its attempts; a run that
-- found another run of the same job and kommun in progress is 'skipped'.
ALTER TABLE app.job_run ADD COLUMN attempts int NOT NULL DEFAULT 1 CHECK (attempts >= 1);
ALTER TABLE app.job_run DROP CONSTRAINT job_run_outcome_check;
ALTER TABLE app.job_run ADD CONSTRAINT job_run_outcome_check
    CHECK (outcome IN ('running', 'ok', 'failed', 'skipped'));
-- Runs older than a quarter are removed by the job_runs job.
GRANT DELETE ON app.job_run TO mottagning_app;
CREATE INDEX job_run_started ON app.job_run (started_at);

-- Accounts are found by the inactivity job through last_login_at (an index
-- exists) and walked in id order; warnings look for unwarned accounts.
CREATE INDEX account_unwarned ON app.account (last_login_at) WHERE deletion_warned_at IS NULL;

-- Expired sessions and invitations are found without a table scan.
CREATE INDEX session_last_seen ON app.session (last_seen_at);
CREATE INDEX staff_invitation_kommun_expires ON app.staff_invitation (kommun_id, expires_at);

-- The systematic follow-up of the access log (kommun-controlled): a
-- reception admin draws a random sample of a month's entries of their
-- kommun and records, entry by entry, whether it was in order. One sample
-- per kommun and month, so a sample cannot be redrawn until it looks good.
-- The items copy the entries they were drawn from (the log itself expires
-- by partition); they expire with the log, 5 years after the month.
CREATE TABLE app.access_log_sample (
    kommun_id uuid NOT NULL REFERENCES app.kommun (id),
    id        uuid NOT NULL DEFAULT gen_random_uuid(),
    month     date NOT NULL CHECK (month = date_trunc('month', month)::date),
    drawn_at  timestamptz NOT NULL DEFAULT now(),
    drawn_by  uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    size      int NOT NULL DEFAULT 0 CHECK (size BETWEEN 0 AND 100),
    PRIMARY KEY (kommun_id, id),
    UNIQUE (kommun_id, month)
);
ALTER TABLE app.access_log_sample ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.access_log_sample FORCE ROW LEVEL SECURITY;
CREATE POLICY access_log_sample_kommun ON app.access_log_sample
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.access_log_sample TO mottagning_app;

CREATE TABLE app.access_log_sample_item (
    kommun_id        uuid NOT NULL,
    sample_id        uuid NOT NULL,
    position         int NOT NULL CHECK (position >= 1),
    entry_at         timestamptz NOT NULL,
    entry_id         bigint NOT NULL,
    actor_id         uuid NOT NULL,
    actor_role       text NOT NULL,
    action           text NOT NULL,
    subject_username text NOT NULL,
    outcome          text CHECK (outcome IN ('ok', 'follow_up')),
    note             text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    reviewed_at      timestamptz,
    reviewed_by      uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    PRIMARY KEY (kommun_id, sample_id, position),
    FOREIGN KEY (kommun_id, sample_id) REFERENCES app.access_log_sample (kommun_id, id) ON DELETE CASCADE,
    CHECK ((outcome IS NULL) = (reviewed_at IS NULL))
);
ALTER TABLE app.access_log_sample_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.access_log_sample_item FORCE ROW LEVEL SECURITY;
CREATE POLICY access_log_sample_item_kommun ON app.access_log_sample_item
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.access_log_sample_item TO mottagning_app;
