-- Identity, sessions, API tokens, sign-in attempts and the unified audit log.

CREATE TABLE roles (
    code        TEXT PRIMARY KEY CHECK (code IN ('sp-ops', 'sp-finance', 'sp-compliance', 'auditor', 'admin')),
    label       TEXT NOT NULL,
    description TEXT NOT NULL
);

INSERT INTO roles (code, label, description) VALUES
    ('sp-ops', 'Operations analyst', 'Recon, exceptions, disputes, connector runs; reads the rest'),
    ('sp-finance', 'Finance analyst', 'Settlement batches, approvals (maker-checker), payouts; reads the rest'),
    ('sp-compliance', 'Compliance', 'Reads everything, audit log, dispute decisions'),
    ('auditor', 'Auditor', 'Read only, including the audit log; no personal-data exports'),
    ('admin', 'Platform admin', 'Users and roles, connector configuration, mappings, SLA and rule settings');

CREATE TABLE users (
    id                 UUID PRIMARY KEY,
    email              TEXT NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    full_name          TEXT NOT NULL,
    password_hash      TEXT NOT NULL,
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    failed_login_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until       TIMESTAMPTZ,
    last_login_at      TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE user_roles (
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_code  TEXT NOT NULL REFERENCES roles (code),
    granted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_code)
);

-- Server-side sessions (tower-sessions-sqlx-store layout, owned by our migrations so that a
-- replay from zero creates every table the program uses).
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE tower_sessions.session (
    id          TEXT PRIMARY KEY NOT NULL,
    data        BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_expiry_idx ON tower_sessions.session (expiry_date);

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 (hex) of the secret; the secret itself is shown once and never stored.
    token_hash   TEXT NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    token_prefix TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    UNIQUE (token_hash),
    UNIQUE (user_id, name)
);

CREATE TABLE login_attempts (
    id           BIGSERIAL PRIMARY KEY,
    email        TEXT NOT NULL,
    user_id      UUID REFERENCES users (id) ON DELETE SET NULL,
    ip           INET,
    succeeded    BOOLEAN NOT NULL,
    reason       TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_ip_time_idx ON login_attempts (ip, attempted_at DESC);
CREATE INDEX login_attempts_email_time_idx ON login_attempts (email, attempted_at DESC);

-- Unified, append-only audit log of every mutating action and every sign-in.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id    UUID REFERENCES users (id) ON DELETE SET NULL,
    actor_email TEXT,
    actor_roles TEXT[] NOT NULL DEFAULT '{}',
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT,
    outcome     TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip          INET,
    before      JSONB,
    after       JSONB,
    details     TEXT
);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, occurred_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
