-- Scheduled reports (issue 15): a report with its filter, a five-field cron read in IST and the
-- addresses its file is announced to. A scheduler tick (every instance, every 30 s) queues a job
-- for each schedule due, in the transaction that moves the schedule to its next time, so a due
-- time is queued once whichever instance sees it first (`FOR UPDATE SKIP LOCKED`, and one run per
-- schedule and due time). The job writes the file to the object store, records its SHA-256, and
-- e-mails the recipients a link to it. A schedule fires at most hourly (its minute is one number)
-- and report jobs queue behind the desk's own (a lower priority).

CREATE TABLE report_schedules (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    report       TEXT NOT NULL CHECK (report IN ('settlement-summary', 'settlement-transactions', 'bank-mis', 'recon-outcome', 'tax')),
    format       TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    -- The cycle dates covered: the `window_days` IST days up to the day before the run.
    window_days  SMALLINT NOT NULL CHECK (window_days BETWEEN 1 AND 366),
    merchant_id  TEXT REFERENCES merchants (id),
    acquirer     TEXT CHECK (acquirer IS NULL OR acquirer ~ '^[A-Z0-9_ ]{1,32}$'),
    -- Five fields (minute hour day-of-month month day-of-week), in IST.
    cron         TEXT NOT NULL CHECK (length(cron) <= 100),
    recipients   TEXT[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 20),
    created_by   UUID NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_run_at  TIMESTAMPTZ NOT NULL,
    -- Deleted schedules stop running; their runs and files stay listed.
    deleted_at   TIMESTAMPTZ
);
CREATE INDEX report_schedules_due_idx ON report_schedules (next_run_at) WHERE deleted_at IS NULL;
-- A name once per creator among the live schedules (a deleted one's name is free again).
CREATE UNIQUE INDEX report_schedules_name_key ON report_schedules (created_by, name) WHERE deleted_at IS NULL;

CREATE TABLE report_runs (
    id           UUID PRIMARY KEY,
    schedule_id  UUID NOT NULL REFERENCES report_schedules (id),
    due_at       TIMESTAMPTZ NOT NULL,
    window_from  DATE NOT NULL,
    window_to    DATE NOT NULL,
    job_id       BIGINT REFERENCES jobs (id),
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'completed', 'failed')),
    storage_key  TEXT,
    file_name    TEXT,
    sha256       TEXT CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes   BIGINT CHECK (size_bytes >= 0),
    -- Whether the file hides personal data: decided by the creator's roles when it is written (a
    -- creator who has since lost the right to see personal data gets masked files).
    masked       BOOLEAN,
    -- The recipients mailed so far (a retry mails only the others), when the last of them was
    -- (null: not yet, or e-mail is off), and why some were not.
    emailed_to   TEXT[] NOT NULL DEFAULT '{}',
    emailed_at   TIMESTAMPTZ,
    email_note   TEXT,
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    UNIQUE (schedule_id, due_at),
    CHECK (window_from <= window_to),
    CHECK (status <> 'completed' OR (storage_key IS NOT NULL AND sha256 IS NOT NULL AND size_bytes IS NOT NULL AND masked IS NOT NULL)),
    CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX report_runs_schedule_idx ON report_runs (schedule_id, due_at DESC);
CREATE INDEX report_runs_recent_idx ON report_runs (created_at DESC);
