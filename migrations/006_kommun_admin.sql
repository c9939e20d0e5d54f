-- Kommun administration by Storsthlm's platform admins (issue 4): the
-- console's per-kommun counts, and the encrypted export archives that
-- offboarding leaves for the kommun.

-- The console shows, per kommun, how many staff hold a role there and
-- whether its reception page is published. Memberships are kommun data
-- (P7) that a platform admin must not read (P20), so the console reads
-- them only through this function: it runs as the owner, whose one extra
-- policy below lets it count memberships, and returns nothing but counts.
-- The runtime role can execute the function but never reaches the rows.
CREATE POLICY staff_membership_owner_count ON app.staff_membership FOR SELECT TO mottagning_owner
    USING (true);

CREATE FUNCTION app.kommun_overview()
RETURNS TABLE (kommun_id uuid, staff_count bigint, page_published boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS $$
BEGIN
    IF app.ctx_actor() IS DISTINCT FROM 'platform' AND app.ctx_actor() IS DISTINCT FROM 'system' THEN
        RAISE EXCEPTION 'kommun_overview is for the platform' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT k.id,
               (SELECT count(*) FROM app.staff_membership m WHERE m.kommun_id = k.id),
               EXISTS (SELECT 1 FROM app.reception_page p WHERE p.kommun_id = k.id)
          FROM app.kommun k;
END $$;
REVOKE ALL ON FUNCTION app.kommun_overview() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.kommun_overview() TO mottagning_app;

-- Export archives made at offboarding: the kommun's data as a zip,
-- encrypted with AES-256-GCM under a key that is never stored. The
-- platform only keeps the ciphertext for the kommun to download through
-- a platform admin, like a courier with a sealed envelope; it cannot read
-- it. Platform-controlled (the row is the platform's bookkeeping) with a
-- nullable kommun_id: the registry row it came from. Kept until it expires.
CREATE TABLE app.kommun_export (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kommun_id   uuid REFERENCES app.kommun (id),
    file_name   text NOT NULL CHECK (file_name ~ '^[a-z0-9.-]+$'),
    ciphertext  bytea NOT NULL,
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    created_by  uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX kommun_export_kommun ON app.kommun_export (kommun_id, created_at DESC);
ALTER TABLE app.kommun_export ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.kommun_export FORCE ROW LEVEL SECURITY;
CREATE POLICY kommun_export_platform ON app.kommun_export
    USING ((SELECT app.ctx_actor()) IN ('platform', 'system'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
GRANT SELECT, INSERT, DELETE ON app.kommun_export TO mottagning_app;

-- Offboarding deletes a kommun's admin log with everything else it
-- controls. The log stays append-only for the kommun's staff: only the
-- system, acting for that kommun, may delete from it.
GRANT DELETE ON app.admin_action TO mottagning_app;
CREATE POLICY admin_action_delete_system_only ON app.admin_action AS RESTRICTIVE FOR DELETE
    USING ((SELECT app.ctx_actor()) = 'system');
