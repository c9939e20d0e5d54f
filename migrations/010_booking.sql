-- Booking (issue 6; P7, P10, P14, P18): appointment types, counsellors'
-- availability, the kommun's booking settings, bookings and their intake
-- answers. All kommun-controlled, keyed (kommun_id, ...). No double
-- booking is enforced here, not only in Go: an exclusion constraint over
-- each counsellor's active bookings, their buffer after included.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The kommun's booking rules: how long the link between a past booking
-- and the youth's account is kept, and until how long before the start a
-- youth may cancel or rebook themself.
CREATE TABLE app.booking_settings (
    kommun_id   uuid PRIMARY KEY REFERENCES app.kommun (id),
    keep_days   integer NOT NULL DEFAULT 30 CHECK (keep_days BETWEEN 0 AND 365),
    cutoff_min  integer NOT NULL DEFAULT 120 CHECK (cutoff_min BETWEEN 0 AND 10080),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- An appointment type of the reception (internal/booking.AppointmentType).
CREATE TABLE app.booking_type (
    kommun_id    uuid NOT NULL REFERENCES app.kommun (id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    mode         text NOT NULL CHECK (mode IN ('visit', 'phone', 'video', 'chat')),
    duration_min integer NOT NULL CHECK (duration_min BETWEEN 5 AND 240),
    buffer_min   integer NOT NULL DEFAULT 0 CHECK (buffer_min BETWEEN 0 AND 120),
    online       boolean NOT NULL DEFAULT true,
    questions    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(questions) = 'array'),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, id)
);

-- Which counsellors offer which type.
CREATE TABLE app.booking_type_counsellor (
    kommun_id  uuid NOT NULL,
    type_id    uuid NOT NULL,
    staff_id   uuid NOT NULL,
    PRIMARY KEY (kommun_id, type_id, staff_id),
    FOREIGN KEY (kommun_id, type_id) REFERENCES app.booking_type (kommun_id, id) ON DELETE CASCADE,
    FOREIGN KEY (kommun_id, staff_id) REFERENCES app.staff_membership (kommun_id, staff_id) ON DELETE CASCADE
);

-- A counsellor's availability in the kommun: weekly hours and exceptions
-- as JSON (internal/booking.Week and []Exception), horizon and notice.
CREATE TABLE app.booking_availability (
    kommun_id      uuid NOT NULL,
    staff_id       uuid NOT NULL,
    week           jsonb NOT NULL DEFAULT '[[],[],[],[],[],[],[]]',
    exceptions     jsonb NOT NULL DEFAULT '[]',
    horizon_days   integer NOT NULL DEFAULT 28 CHECK (horizon_days BETWEEN 1 AND 180),
    min_notice_min integer NOT NULL DEFAULT 120 CHECK (min_notice_min BETWEEN 0 AND 20160),
    holidays_open  boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, staff_id),
    FOREIGN KEY (kommun_id, staff_id) REFERENCES app.staff_membership (kommun_id, staff_id) ON DELETE CASCADE
);

-- A booking. account_id is the youth's account (any kommun may be
-- chosen); it becomes NULL when the account is deleted or when the
-- kommun's keep_days have passed after the appointment, and the
-- anonymous fact of the visit stays for statistics. during is the
-- appointment plus the type's buffer after: what the counsellor is taken.
CREATE TABLE app.booking (
    kommun_id     uuid NOT NULL REFERENCES app.kommun (id),
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    type_id       uuid NOT NULL,
    counsellor_id uuid NOT NULL REFERENCES app.staff (id),
    account_id    uuid REFERENCES app.account (id) ON DELETE SET NULL,
    mode          text NOT NULL CHECK (mode IN ('visit', 'phone', 'video', 'chat')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    during        tstzrange NOT NULL,
    status        text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
    cancelled_at  timestamptz,
    cancelled_by  text CHECK (cancelled_by IN ('youth', 'staff', 'system')),
    cancel_reason text CHECK (length(cancel_reason) <= 500),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kommun_id, id),
    FOREIGN KEY (kommun_id, type_id) REFERENCES app.booking_type (kommun_id, id),
    CHECK (ends_at > starts_at),
    CHECK (lower(during) = starts_at AND upper(during) >= ends_at AND NOT lower_inf(during) AND NOT upper_inf(during)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CONSTRAINT booking_no_double_booking EXCLUDE USING gist
        (kommun_id WITH =, counsellor_id WITH =, during WITH &&) WHERE (status = 'booked')
);
CREATE INDEX booking_account ON app.booking (account_id, starts_at) WHERE account_id IS NOT NULL;
CREATE INDEX booking_calendar ON app.booking (kommun_id, starts_at);

-- Intake answers, kept apart so they can be deleted once the appointment
-- has taken place or been cancelled (P18).
CREATE TABLE app.booking_intake (
    kommun_id  uuid NOT NULL,
    booking_id uuid NOT NULL,
    answers    jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'array'),
    PRIMARY KEY (kommun_id, booking_id),
    FOREIGN KEY (kommun_id, booking_id) REFERENCES app.booking (kommun_id, id) ON DELETE CASCADE
);

ALTER TABLE app.booking_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking_settings FORCE ROW LEVEL SECURITY;
ALTER TABLE app.booking_type ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking_type FORCE ROW LEVEL SECURITY;
ALTER TABLE app.booking_type_counsellor ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking_type_counsellor FORCE ROW LEVEL SECURITY;
ALTER TABLE app.booking_availability ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking_availability FORCE ROW LEVEL SECURITY;
ALTER TABLE app.booking ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking FORCE ROW LEVEL SECURITY;
ALTER TABLE app.booking_intake ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.booking_intake FORCE ROW LEVEL SECURITY;

-- The kommun's staff and the system acting for it manage everything of it.
CREATE POLICY booking_settings_kommun ON app.booking_settings
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_type_kommun ON app.booking_type
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_type_counsellor_kommun ON app.booking_type_counsellor
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_availability_kommun ON app.booking_availability
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_kommun ON app.booking
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_intake_kommun ON app.booking_intake
    USING ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()))
    WITH CHECK ((SELECT app.ctx_actor()) IN ('staff', 'system') AND kommun_id = (SELECT app.ctx_kommun()));

-- Youth choose freely among the kommuner: the rules, types and hours of
-- any kommun are readable by a youth acting for that kommun.
CREATE POLICY booking_settings_youth ON app.booking_settings FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_type_youth ON app.booking_type FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND kommun_id = (SELECT app.ctx_kommun()) AND active AND online);
-- and the types of their own bookings, wherever they booked.
CREATE POLICY booking_type_youth_own ON app.booking_type FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND EXISTS (SELECT 1 FROM app.booking b
           WHERE b.kommun_id = booking_type.kommun_id AND b.type_id = booking_type.id
             AND b.account_id = (SELECT app.ctx_account())));
CREATE POLICY booking_type_counsellor_youth ON app.booking_type_counsellor FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND kommun_id = (SELECT app.ctx_kommun()));
CREATE POLICY booking_availability_youth ON app.booking_availability FOR SELECT
    USING ((SELECT app.ctx_actor()) = 'youth' AND kommun_id = (SELECT app.ctx_kommun()));

-- A youth sees, books, cancels and rebooks their own bookings, in any
-- kommun; never another's.
CREATE POLICY booking_youth ON app.booking
    USING ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND account_id = (SELECT app.ctx_account()));
CREATE POLICY booking_intake_youth ON app.booking_intake
    USING ((SELECT app.ctx_actor()) = 'youth' AND EXISTS (SELECT 1 FROM app.booking b
           WHERE b.kommun_id = booking_intake.kommun_id AND b.id = booking_intake.booking_id
             AND b.account_id = (SELECT app.ctx_account())))
    WITH CHECK ((SELECT app.ctx_actor()) = 'youth' AND EXISTS (SELECT 1 FROM app.booking b
           WHERE b.kommun_id = booking_intake.kommun_id AND b.id = booking_intake.booking_id
             AND b.account_id = (SELECT app.ctx_account())));

-- Free times need every active booking's counsellor and time, which a
-- youth may not read as rows. This function, run as the owner whose one
-- extra policy lets it read bookings, returns nothing but those for the
-- kommun of the context.
CREATE POLICY booking_owner_busy ON app.booking FOR SELECT TO mottagning_owner USING (true);
CREATE FUNCTION app.booking_busy(from_at timestamptz, to_at timestamptz)
RETURNS TABLE (counsellor_id uuid, busy_from timestamptz, busy_to timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS $$
    SELECT b.counsellor_id, lower(b.during), upper(b.during)
      FROM app.booking b
     WHERE b.kommun_id = app.ctx_kommun() AND app.ctx_actor() IS NOT NULL
       AND b.status = 'booked' AND b.during && tstzrange(from_at, to_at)
$$;
REVOKE ALL ON FUNCTION app.booking_busy(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.booking_busy(timestamptz, timestamptz) TO mottagning_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON app.booking_settings, app.booking_type, app.booking_type_counsellor,
    app.booking_availability, app.booking, app.booking_intake TO mottagning_app;

-- The youth's username of a booking of the kommun acted for, for the
-- counsellor's view and the access log (P14); staff cannot read
-- app.account otherwise. NULL once unlinked, or for any other caller.
CREATE POLICY account_owner_booking_username ON app.account FOR SELECT TO mottagning_owner USING (true);
CREATE FUNCTION app.booking_youth_username(kommun uuid, booking uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = app, pg_temp AS $$
    SELECT a.username FROM app.booking b JOIN app.account a ON a.id = b.account_id
     WHERE b.kommun_id = kommun AND b.id = booking
       AND app.ctx_actor() IN ('staff', 'system') AND app.ctx_kommun() = kommun
$$;
REVOKE ALL ON FUNCTION app.booking_youth_username(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.booking_youth_username(uuid, uuid) TO mottagning_app;
