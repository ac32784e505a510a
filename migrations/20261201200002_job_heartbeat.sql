-- A running job's worker stamps `heartbeat_at` every few seconds while the job runs: a job is
-- reclaimed when its heartbeat goes stale (its worker died), not because it has run for long.
ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;
UPDATE jobs SET heartbeat_at = locked_at WHERE status = 'running';
CREATE INDEX jobs_running_heartbeat_idx ON jobs (heartbeat_at) WHERE status = 'running';
