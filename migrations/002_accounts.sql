-- Accounts, sessions and the youth's own data rights (platform-controlled,
-- P2-P4, P12, P13, P22-P27, P29), and staff sign-in with TOTP.

-- Youth accounts: a username and a password, nothing else required (P2).
-- Phone and e-mail are optional, only for notices (P3, P12).
CREATE TABLE app.account (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username               text NOT NULL CHECK (length(username) BETWEEN 3 AND 32),
    username_key           text NOT NULL UNIQUE, -- case-folded, for uniqueness without regard to case
    password_hash          text NOT NULL,
    language               text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    phone                  text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    phone_verified_at      timestamptz,
    phone_undeliverable_at timestamptz,
    email                  text CHECK (length(email) <= 254 AND email LIKE '%_@_%'),
    email_verified_at      timestamptz,
    email_undeliverable_at timestamptz,
    restricted_at          timestamptz, -- P27: no notices, no statistics while set
    created_at             timestamptz NOT NULL DEFAULT now(),
    last_login_at          timestamptz NOT NULL DEFAULT now(),
    deletion_warned_at     timestamptz
);
CREATE INDEX account_last_login ON app.account (last_login_at);
ALTER TABLE app.account ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.account FORCE ROW LEVEL SECURITY;
CREATE POLICY account_self ON app.account
    USING ((SELECT app.ctx_actor()) = 'youth' AND id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND id = (SELECT app.ctx_account()));
-- Registration, sign-in lookups and retention jobs act as the system;
-- platform admins act on requests (restrict, lift, delete) by exact username.
CREATE POLICY account_system ON app.account
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform'));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.account TO mottagning_app;

-- Consent to notices per channel (P12, P26): one row per consent given,
-- closed when withdrawn. At most one open consent per channel.
CREATE TABLE app.notice_consent (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES app.account (id) ON DELETE CASCADE,
    channel        text NOT NULL CHECK (channel IN ('sms', 'email')),
    policy_version text NOT NULL,
    given_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at   timestamptz,
    CHECK (withdrawn_at IS NULL OR withdrawn_at >= given_at)
);
CREATE UNIQUE INDEX notice_consent_open ON app.notice_consent (account_id, channel) WHERE withdrawn_at IS NULL;
ALTER TABLE app.notice_consent ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.notice_consent FORCE ROW LEVEL SECURITY;
CREATE POLICY notice_consent_self ON app.notice_consent
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY notice_consent_system ON app.notice_consent
    USING ((SELECT app.ctx_actor()) = 'system')
    WITH CHECK ((SELECT app.ctx_actor()) = 'system');
GRANT SELECT, INSERT, UPDATE ON app.notice_consent TO mottagning_app;

-- Server-side sessions, in PostgreSQL so a sign-in survives a Redis
-- restart. Only a hash of the 256-bit session id is stored.
CREATE TABLE app.session (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    account_id   uuid REFERENCES app.account (id) ON DELETE CASCADE,
    staff_id     uuid REFERENCES app.staff (id) ON DELETE CASCADE,
    mfa_done     boolean NOT NULL DEFAULT false, -- staff: TOTP passed
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CHECK ((account_id IS NULL) <> (staff_id IS NULL))
);
CREATE INDEX session_account ON app.session (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX session_staff ON app.session (staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX session_expires ON app.session (expires_at);
ALTER TABLE app.session ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.session FORCE ROW LEVEL SECURITY;
CREATE POLICY session_system ON app.session
    USING ((SELECT app.ctx_actor()) = 'system')
    WITH CHECK ((SELECT app.ctx_actor()) = 'system');
CREATE POLICY session_youth ON app.session
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.session TO mottagning_app;

-- Restriction and objection requests (P22, P27), tracked for Storsthlm.
CREATE TABLE app.privacy_request (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES app.account (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('restriction', 'objection')),
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    status      text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'in_progress', 'granted', 'rejected', 'closed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    handled_by  uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    answer      text CHECK (length(answer) <= 2000)
);
CREATE INDEX privacy_request_status ON app.privacy_request (status, created_at);
CREATE INDEX privacy_request_account ON app.privacy_request (account_id);
ALTER TABLE app.privacy_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.privacy_request FORCE ROW LEVEL SECURITY;
CREATE POLICY privacy_request_self_read ON app.privacy_request FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY privacy_request_self_file ON app.privacy_request FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY privacy_request_platform ON app.privacy_request
    USING ((SELECT app.ctx_actor()) IN ('platform', 'system'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.privacy_request TO mottagning_app;

-- Privacy policy versions (P29): published ahead of their effective date.
-- Public text, readable by every actor.
CREATE TABLE app.policy_version (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version      text NOT NULL UNIQUE CHECK (length(version) BETWEEN 1 AND 40),
    summary_sv   text NOT NULL CHECK (length(summary_sv) BETWEEN 1 AND 2000),
    summary_en   text NOT NULL CHECK (length(summary_en) BETWEEN 1 AND 2000),
    text_sv      text NOT NULL CHECK (length(text_sv) BETWEEN 1 AND 100000),
    text_en      text NOT NULL CHECK (length(text_en) BETWEEN 1 AND 100000),
    effective_at timestamptz NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    CHECK (effective_at >= published_at)
);
CREATE INDEX policy_version_effective ON app.policy_version (effective_at);
ALTER TABLE app.policy_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.policy_version FORCE ROW LEVEL SECURITY;
CREATE POLICY policy_version_read ON app.policy_version FOR SELECT
    USING ((SELECT app.ctx_actor()) IS NOT NULL);
CREATE POLICY policy_version_publish ON app.policy_version FOR INSERT
    WITH CHECK ((SELECT app.ctx_actor()) IN ('platform', 'system'));
GRANT SELECT, INSERT ON app.policy_version TO mottagning_app;

CREATE TABLE app.policy_ack (
    account_id        uuid NOT NULL REFERENCES app.account (id) ON DELETE CASCADE,
    policy_version_id uuid NOT NULL REFERENCES app.policy_version (id),
    acknowledged_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, policy_version_id)
);
ALTER TABLE app.policy_ack ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.policy_ack FORCE ROW LEVEL SECURITY;
CREATE POLICY policy_ack_self ON app.policy_ack
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY policy_ack_system ON app.policy_ack
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'));
GRANT SELECT, INSERT ON app.policy_ack TO mottagning_app;

-- Staff sign-in: TOTP is mandatory; enrolment on first sign-in.
ALTER TABLE app.staff ADD COLUMN totp_enabled_at timestamptz;
ALTER TABLE app.staff ADD COLUMN totp_last_step bigint; -- refuses a code used twice

CREATE TABLE app.staff_recovery_code (
    staff_id  uuid NOT NULL REFERENCES app.staff (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL CHECK (length(code_hash) = 32),
    used_at   timestamptz,
    PRIMARY KEY (staff_id, code_hash)
);
ALTER TABLE app.staff_recovery_code ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.staff_recovery_code FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_recovery_code_system ON app.staff_recovery_code
    USING ((SELECT app.ctx_actor()) = 'system')
    WITH CHECK ((SELECT app.ctx_actor()) = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON app.staff_recovery_code TO mottagning_app;

-- Invitations: a one-time link (only its hash stored) that expires. It
-- creates the staff identity and, for kommun roles, the membership.
CREATE TABLE app.staff_invitation (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    email       text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    kommun_id   uuid REFERENCES app.kommun (id),
    role        text NOT NULL CHECK (role IN ('counsellor', 'reception_admin', 'platform_admin')),
    created_by  uuid REFERENCES app.staff (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    CHECK ((role = 'platform_admin') = (kommun_id IS NULL))
);
ALTER TABLE app.staff_invitation ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.staff_invitation FORCE ROW LEVEL SECURITY;
CREATE POLICY staff_invitation_system ON app.staff_invitation
    USING ((SELECT app.ctx_actor()) IN ('system', 'platform'))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('system', 'platform'));
CREATE POLICY staff_invitation_kommun ON app.staff_invitation
    USING ((SELECT app.ctx_actor()) = 'staff' AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'staff' AND kommun_id = (SELECT app.ctx_kommun()));
GRANT SELECT, INSERT, UPDATE, DELETE ON app.staff_invitation TO mottagning_app;
