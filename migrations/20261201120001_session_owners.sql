-- Which user each server session belongs to. The session store keeps its data as opaque
-- MessagePack, so disabling a user could not find their sessions to delete them; sign-in records
-- the owner here, the guard accepts a session only while its row exists, and the row goes with its
-- session (sign-out, expiry) or its user.
CREATE TABLE tower_sessions.session_owner (
    session_id TEXT PRIMARY KEY REFERENCES tower_sessions.session (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX session_owner_user_idx ON tower_sessions.session_owner (user_id);
