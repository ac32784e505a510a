-- Connectors (bank SFTP, PG API), their runs and seen files, and the durable job queue.

CREATE TABLE connectors (
    id              UUID PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    connector_type  TEXT NOT NULL CHECK (connector_type IN ('BANK_SFTP', 'PG_API')),
    status          TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'FAILED')),
    -- Non-secret settings (host, port, directory, pattern…); secrets are referenced, never stored here.
    config          JSONB NOT NULL DEFAULT '{}',
    secret_ref      TEXT,
    schedule_cron   TEXT NOT NULL,
    timezone        TEXT NOT NULL DEFAULT 'Asia/Kolkata',
    mapping_id      UUID REFERENCES bank_column_mappings (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE connector_runs (
    id             UUID PRIMARY KEY,
    connector_id   UUID NOT NULL REFERENCES connectors (id),
    run_type       TEXT NOT NULL CHECK (run_type IN ('SCHEDULED', 'MANUAL', 'TEST', 'BACKFILL')),
    status         TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
    cycle_date     DATE,
    files_seen     INTEGER NOT NULL DEFAULT 0 CHECK (files_seen >= 0),
    files_ingested INTEGER NOT NULL DEFAULT 0 CHECK (files_ingested >= 0),
    rows_ingested  INTEGER NOT NULL DEFAULT 0 CHECK (rows_ingested >= 0),
    error          TEXT,
    started_by     UUID REFERENCES users (id),
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ,
    CHECK (status <> 'FAILED' OR error IS NOT NULL),
    CHECK ((status = 'RUNNING') = (finished_at IS NULL))
);
CREATE INDEX connector_runs_connector_idx ON connector_runs (connector_id, started_at DESC);

CREATE TABLE connector_files (
    connector_id UUID NOT NULL REFERENCES connectors (id),
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    run_id       UUID REFERENCES connector_runs (id),
    file_id      UUID REFERENCES uploaded_files (id),
    seen_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connector_id, file_name, sha256)
);

CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL DEFAULT '{}',
    -- A job that must not run twice at once (e.g. a schedule tick) carries a unique key.
    unique_key   TEXT,
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    priority     SMALLINT NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_at    TIMESTAMPTZ,
    locked_by    TEXT,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ
);
CREATE INDEX jobs_ready_idx ON jobs (priority DESC, run_at) WHERE status = 'queued';
CREATE UNIQUE INDEX jobs_unique_live_key ON jobs (unique_key) WHERE unique_key IS NOT NULL AND status IN ('queued', 'running');
