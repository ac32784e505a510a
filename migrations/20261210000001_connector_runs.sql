-- Issue 14, second part: connector runs.
--
-- A run is QUEUED from the moment an analyst (or the scheduler) asks for it until a worker takes
-- it; only one run of a connector and cycle date is live (queued or running) at a time, so a
-- second "run now" is a 409 and a backfill never overlaps a scheduled run of the same day. A
-- scheduled run records the fire time it answers (`due_at`): one run per connector and fire time,
-- however many instances saw the tick. `files` lists what the run found, file by file (taken,
-- skipped as seen, refused and why), with the upload each file became; `note` what else it has to
-- say (a recon run it could not queue).
ALTER TABLE connector_runs DROP CONSTRAINT connector_runs_status_check,
    ADD CONSTRAINT connector_runs_status_check CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));
ALTER TABLE connector_runs DROP CONSTRAINT connector_runs_check1,
    ADD CONSTRAINT connector_runs_finished_check CHECK ((status IN ('QUEUED', 'RUNNING')) = (finished_at IS NULL));
ALTER TABLE connector_runs
    ADD COLUMN due_at TIMESTAMPTZ,
    ADD COLUMN job_id BIGINT,
    ADD COLUMN files JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN recon_run_id UUID REFERENCES recon_runs (id) ON DELETE SET NULL,
    ADD COLUMN note TEXT,
    ADD COLUMN queued_at TIMESTAMPTZ NOT NULL DEFAULT now();
-- Runs recorded before runs were queued were queued when they started.
UPDATE connector_runs SET queued_at = started_at;
CREATE UNIQUE INDEX connector_runs_one_live ON connector_runs (connector_id, cycle_date)
    WHERE status IN ('QUEUED', 'RUNNING') AND run_type <> 'TEST';
CREATE UNIQUE INDEX connector_runs_one_per_fire ON connector_runs (connector_id, due_at) WHERE due_at IS NOT NULL;

-- When the connector's schedule next fires (set from its cron in its time zone; null until the
-- scheduler first reads it). A paused connector keeps it, and resuming sets it afresh: no burst of
-- missed runs.
ALTER TABLE connectors ADD COLUMN next_run_at TIMESTAMPTZ;

-- The jobs console (issue 14) cancels queued jobs: a cancelled job never ran, which `failed` would
-- not say (its connector runs are CANCELLED, which health does not count as a failure).
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
    ADD CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));
CREATE INDEX jobs_recent_idx ON jobs (created_at DESC, id DESC);
