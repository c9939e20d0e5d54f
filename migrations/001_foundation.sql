-- Foundation: acting-context helpers, the kommun registry, staff identities
-- and memberships, the partitioned access log and job runs.
--
-- Conventions for every table in schema app:
--  * row-level security ENABLED and FORCED (a test reads the catalog);
--  * policies read the acting context through app.ctx_*(), wrapped in
--    (SELECT ...) so they are evaluated once per query; a missing context
--    yields NULL and so matches no row;
--  * kommun tables lead their keys with kommun_id and reference each other
--    with composite (kommun_id, id) keys;
--  * mottagning_app gets only the grants it needs, table by table.

CREATE FUNCTION app.ctx_kommun() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT NULLIF(current_setting('app.kommun_id', true), '')::uuid $$;

CREATE FUNCTION app.ctx_account() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT NULLIF(current_setting('app.account_id', true), '')::uuid $$;

CREATE FUNCTION app.ctx_actor() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT NULLIF(current_setting('app.actor', true), '') $$;

GRANT USAGE ON SCHEMA app TO mottagning_app;

-- The kommun registry (platform-controlled, public facts). Readable by any
-- actor; written by platform admins and system commands (tenants apply).
CREATE TABLE app.kommun (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug               text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    code               text NOT NULL UNIQUE CHECK (code ~ '^01[0-9]{2}$'),
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'offboarded')),
    demo               boolean NOT NULL DEFAULT true,
    contact_phone      text NOT NULL,
    contact_email      text NOT NULL,
    contact_address    text NOT NULL,
    contact_website    text NOT NULL DEFAULT '',
    privacy_policy_url text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE app.kommun ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.kommun FORCE ROW LEVEL SECURITY;
CREATE POLICY kommun_read ON app.kommun FOR SELECT
    USING ((SELECT app.ctx_actor()) IS NOT NULL);
CREATE POLICY kommun_insert ON app.kommun FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
CREATE POLICY kommun_update ON app.kommun FOR UPDATE
    USING ((SELECT app.ctx_actor()) IN ('platform', 'system'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
GRANT SELECT, INSERT, UPDATE ON app.kommun TO mottagning_app;

-- Staff identities (platform-controlled): counsellors, reception admins and
-- platform admins sign in with e-mail, password and TOTP.
CREATE TABLE app.staff (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash text NOT NULL,
    totp_secret   text,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_email_key ON app.staff (email);

-- Memberships: who holds which role in which kommun (kommun-controlled).
CREATE TABLE app.staff_membership (
    kommun_id  uuid NOT NULL REFERENCES app.kommun (id),
    staff_id   uuid NOT NULL REFERENCES app.staff (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('counsellor', 'reception_admin')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, staff_id)
);
CREATE INDEX staff_membership_staff ON app.staff_membership (staff_id);
ALTER TABLE app.staff_membership ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.staff_membership FORCE ROW LEVEL SECURITY;
-- Staff and system work acting for a kommun see and change its memberships
-- (a platform admin or a youth with a kommun context sees none, P20); a
-- staff member sees their own memberships (to choose where to work).
CREATE POLICY staff_membership_kommun ON app.staff_membership
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY staff_membership_self ON app.staff_membership FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'staff' AND staff_id = (SELECT app.ctx_account()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.staff_membership TO mottagning_app;

ALTER TABLE app.staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.staff FORCE ROW LEVEL SECURITY;
-- System work (sign-in lookups, seeding) and platform admins see every
-- identity; a staff member sees themself; a kommun context sees its members.
CREATE POLICY staff_system ON app.staff
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform'));
CREATE POLICY staff_self ON app.staff FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'staff' AND id = (SELECT app.ctx_account()));
CREATE POLICY staff_of_kommun ON app.staff FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'staff' AND EXISTS (SELECT 1 FROM app.staff_membership m
                   WHERE m.staff_id = staff.id AND m.kommun_id = (SELECT app.ctx_kommun())));
GRANT SELECT, INSERT, UPDATE ON app.staff TO mottagning_app;

-- Platform admins (Storsthlm staff): platform-controlled.
CREATE TABLE app.platform_admin (
    staff_id   uuid PRIMARY KEY REFERENCES app.staff (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE app.platform_admin ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.platform_admin FORCE ROW LEVEL SECURITY;
CREATE POLICY platform_admin_system ON app.platform_admin
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform'));
CREATE POLICY platform_admin_self ON app.platform_admin FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'staff' AND staff_id = (SELECT app.ctx_account()));
GRANT SELECT, INSERT, DELETE ON app.platform_admin TO mottagning_app;

-- The access log (P14, P19): who among the staff read or changed which
-- user's data, when. Holds the username and nothing else about the subject.
-- Platform-controlled, carrying kommun_id so each kommun can follow up its
-- own staff. Partitioned by month; expired by dropping whole partitions.
-- mottagning_app may insert and read, never update or delete.
CREATE TABLE app.access_log (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    at               timestamptz NOT NULL DEFAULT now(),
    kommun_id        uuid,
    actor_id         uuid NOT NULL,
    actor_role       text NOT NULL CHECK (actor_role IN ('counsellor', 'reception_admin', 'platform_admin', 'system')),
    action           text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    subject_username text NOT NULL CHECK (length(subject_username) BETWEEN 1 AND 64),
    PRIMARY KEY (at, id)
) PARTITION BY RANGE (at);
CREATE INDEX access_log_kommun ON app.access_log (kommun_id, at);
CREATE INDEX access_log_subject ON app.access_log (subject_username, at);
ALTER TABLE app.access_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.access_log FORCE ROW LEVEL SECURITY;
CREATE POLICY access_log_insert_staff ON app.access_log FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) = 'staff'
                AND kommun_id = (SELECT app.ctx_kommun())
                AND actor_id = (SELECT app.ctx_account()));
CREATE POLICY access_log_insert_platform ON app.access_log FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
CREATE POLICY access_log_read_kommun ON app.access_log FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'staff' AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY access_log_read_platform ON app.access_log FOR SELECT
    USING ((SELECT app.ctx_actor()) IN ('platform', 'system'));
GRANT SELECT, INSERT ON app.access_log TO mottagning_app;

-- Partition upkeep runs with the owner's rights (mottagning_app owns
-- nothing and may not create or drop tables), through these two functions.
CREATE FUNCTION app.ensure_access_log_partitions(from_month date, months int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = app, pg_temp AS $$
DECLARE
    m date := date_trunc('month', from_month)::date;
    created int := 0;
    part text;
BEGIN
    IF months < 1 OR months > 120 THEN
        RAISE EXCEPTION 'months must be between 1 and 120';
    END IF;
    FOR i IN 0 .. months - 1 LOOP
        part := format('access_log_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        IF to_regclass('app.' || part) IS NULL THEN
            EXECUTE format('CREATE TABLE app.%I PARTITION OF app.access_log FOR VALUES FROM (%L) TO (%L)',
                           part, m::timestamptz, (m + interval '1 month')::timestamptz);
            EXECUTE format('ALTER TABLE app.%I ENABLE ROW LEVEL SECURITY', part);
            EXECUTE format('ALTER TABLE app.%I FORCE ROW LEVEL SECURITY', part);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$;

-- Drops every monthly partition whose whole range lies before cutoff and
-- returns how many it dropped. Never deletes single rows.
CREATE FUNCTION app.drop_access_log_partitions_before(cutoff timestamptz) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = app, pg_temp AS $$
DECLARE
    r record;
    dropped int := 0;
BEGIN
    FOR r IN
        SELECT c.relname
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'app.access_log'::regclass
           AND c.relname ~ '^access_log_y[0-9]{4}m[0-9]{2}$'
           AND (to_date(substr(c.relname, 13, 4) || substr(c.relname, 18, 2), 'YYYYMM')
                + interval '1 month') <= cutoff
    LOOP
        EXECUTE format('DROP TABLE app.%I', r.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;
REVOKE ALL ON FUNCTION app.ensure_access_log_partitions(date, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION app.drop_access_log_partitions_before(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.ensure_access_log_partitions(date, int) TO mottagning_app;
GRANT EXECUTE ON FUNCTION app.drop_access_log_partitions_before(timestamptz) TO mottagning_app;

SELECT app.ensure_access_log_partitions((now() - interval '1 month')::date, 6);

-- Every run of a background job (heartbeat now, retention later): platform
-- bookkeeping, carrying the kommun a per-kommun run acted for.
CREATE TABLE app.job_run (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job           text NOT NULL,
    task_id       text NOT NULL,
    kommun_id     uuid REFERENCES app.kommun (id),
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    rows_affected bigint NOT NULL DEFAULT 0,
    outcome       text NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
    error         text
);
CREATE UNIQUE INDEX job_run_task ON app.job_run (task_id, coalesce(kommun_id, '00000000-0000-0000-0000-000000000000'));
CREATE INDEX job_run_job ON app.job_run (job, started_at DESC);
ALTER TABLE app.job_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.job_run FORCE ROW LEVEL SECURITY;
CREATE POLICY job_run_system ON app.job_run
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform'));
GRANT SELECT, INSERT, UPDATE ON app.job_run TO mottagning_app;
