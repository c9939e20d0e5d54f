-- P29: a policy change that must apply sooner than 30 days carries the
-- reason, so the exception is on record.
ALTER TABLE app.policy_version ADD COLUMN urgent_reason text CHECK (length(urgent_reason) BETWEEN 1 AND 1000);
