-- Sign-in throttling, one row per e-mail address tried, whether or not an account has it (issue 10
-- review, H2 and M4). Each password check is reserved here before argon2 runs, and the reservation
-- completes itself: the one that reaches the limit also sets the lock, so an attempt that never
-- settles (client gone, request timeout, database error) leaves at worst an ordinary 30-minute lock,
-- never a count stuck at the limit. Failures older than the lock period no longer count, for known
-- and unknown addresses alike, so the answers cannot tell them apart. A successful sign-in or an
-- admin's unlock deletes the row.
CREATE TABLE login_throttle (
    email          TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL CHECK (failures >= 0),
    last_failed_at TIMESTAMPTZ NOT NULL,
    locked_until   TIMESTAMPTZ
);

-- Carry over the accounts' state (a count stuck at the limit locks on its next attempt), then drop
-- the columns it replaces: one state machine, one place.
INSERT INTO login_throttle (email, failures, last_failed_at, locked_until)
SELECT email, failed_login_count, updated_at, CASE WHEN locked_until > now() THEN locked_until END
FROM users
WHERE failed_login_count > 0 OR locked_until > now();

ALTER TABLE users DROP COLUMN failed_login_count, DROP COLUMN locked_until;
