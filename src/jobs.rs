//! The Postgres job queue of spec 06 §6.3: durable (a row per job), claimed with
//! `FOR UPDATE SKIP LOCKED` so no job runs twice at once across instances, retried with back-off
//! up to its maximum attempts (unless its failure is a [`Failure::lasting`] one, which another
//! attempt would meet again: that fails it at once), and reclaimed when the instance that held it
//! died. A running job's worker stamps a heartbeat every few seconds, so "died" means a stale
//! heartbeat, however long the job runs; a worker whose job was reclaimed can no longer settle it
//! (every settling update is fenced on the worker's name). Jobs that must not overlap (a cycle's
//! recon run) carry a unique key that only one live job may hold.
//!
//! Beside the queue, [`every`] runs an instance's periodic housekeeping (snoozed exceptions waking,
//! the sign-in throttle pruned): work every instance may do at once, which needs no queue.

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use sqlx::{PgExecutor, PgPool};

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: i32,
    pub max_attempts: i32,
    /// The worker holding the job: settling it is refused once another worker holds it.
    pub locked_by: String,
}

/// How often a running job's heartbeat is stamped, and how old it may grow before the job is
/// taken to have lost its worker (several missed beats, so a slow database does not double-run).
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub heartbeat_every: Duration,
    pub stale_after: Duration,
}

impl Timing {
    pub const DEFAULT: Timing =
        Timing { heartbeat_every: Duration::from_secs(15), stale_after: Duration::from_secs(120) };

    /// A job stale after `stale` without a heartbeat, beating eight times in that span.
    pub fn stale_after(stale: Duration) -> Result<Timing, String> {
        if stale < Duration::from_secs(4) {
            return Err(format!("JOB_STALE_AFTER_SECS must be at least 4, got {}", stale.as_secs()));
        }
        Ok(Timing { heartbeat_every: stale / 8, stale_after: stale })
    }
}

/// Why an attempt at a job failed, and whether another attempt could end otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// `false`: the job fails now, whatever attempts it has left (another would meet the same
    /// refusal, after doing the same work again).
    pub retry: bool,
}

impl Failure {
    /// Worth another attempt (the database or a relay away, a disk full): retried with back-off
    /// while attempts remain.
    pub fn transient(reason: impl Into<String>) -> Failure {
        Failure { reason: reason.into(), retry: true }
    }

    /// The same at every attempt (a report too long for its format): the job fails now.
    pub fn lasting(reason: impl Into<String>) -> Failure {
        Failure { reason: reason.into(), retry: false }
    }

    /// An error of the product's own as a job's failure: a refusal of the work itself — a
    /// `BadRequest` (a report longer than its format holds, an amount past its type) or a
    /// `NotFound` (what the job names is gone) — is lasting; the database, the file store or a
    /// relay being away, and a fault of ours, are transient.
    pub fn of(error: &AppError) -> Failure {
        match error {
            AppError::BadRequest(_) | AppError::NotFound(_) => Failure::lasting(error.to_string()),
            _ => Failure::transient(error.to_string()),
        }
    }

    /// Whether this failure ends `job` for good: a lasting one, or its last attempt.
    pub fn is_last(&self, job: &Job) -> bool {
        !self.retry || job.attempts >= job.max_attempts
    }
}

/// A job's failure in words is retried (recon, batching and connector runs say only that).
impl From<String> for Failure {
    fn from(reason: String) -> Failure {
        Failure::transient(reason)
    }
}

/// How a worker's attempt to settle its job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Succeeded,
    /// Failed with attempts left: queued again after its back-off.
    Retrying,
    /// Failed on its last allowed attempt.
    Failed,
    /// Another worker had taken the job over (this one's heartbeat went stale): nothing changed.
    LockLost,
}

/// Queue a job; `Ok(None)` when a live job already holds `unique_key`.
pub async fn enqueue<'c, E: PgExecutor<'c>>(
    db: E,
    kind: &str,
    payload: &Value,
    unique_key: Option<&str>,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO jobs (kind, payload, unique_key) VALUES ($1, $2, $3)
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('queued', 'running') DO NOTHING
         RETURNING id",
        kind,
        payload,
        unique_key,
    )
    .fetch_optional(db)
    .await?)
}

/// Take the next ready job (or one whose worker died) for `worker`, with the default timing.
pub async fn claim(pool: &PgPool, worker: &str) -> Result<Option<Job>, AppError> {
    claim_with(pool, worker, &Timing::DEFAULT).await
}

/// Take the next ready job for `worker`. A running job whose heartbeat is older than
/// `timing.stale_after` is reclaimed while it has attempts left, and failed for good when not.
pub async fn claim_with(pool: &PgPool, worker: &str, timing: &Timing) -> Result<Option<Job>, AppError> {
    let stale_secs = timing.stale_after.as_secs_f64();
    // Failing such a job and its own records (a recon run's row) is one transaction.
    let mut tx = pool.begin().await?;
    let abandoned = sqlx::query!(
        "UPDATE jobs SET status = 'failed', finished_at = now(), locked_at = NULL, locked_by = NULL,
                last_error = 'its worker stopped answering on the last allowed attempt'
         WHERE status = 'running' AND attempts >= max_attempts
           AND coalesce(heartbeat_at, locked_at) < now() - make_interval(secs => $1)
         RETURNING id, kind, payload",
        stale_secs,
    )
    .fetch_all(&mut *tx)
    .await?;
    for job in abandoned {
        let (id, kind, payload): (i64, String, Value) = (job.id, job.kind, job.payload);
        tracing::warn!(job = id, %kind, "job abandoned by its worker on its last attempt");
        metrics::counter!("jobs_failed_total", "kind" => kind.clone()).increment(1);
        ended(&mut tx, &kind, &payload, ABANDONED, false).await?;
    }
    tx.commit().await?;
    // `locked_by` is the `$1` just set, never null in what the update returns.
    Ok(sqlx::query_as!(
        Job,
        r#"UPDATE jobs SET status = 'running', locked_at = now(), heartbeat_at = now(), locked_by = $1,
                attempts = attempts + 1
         WHERE id = (
             SELECT id FROM jobs
             WHERE (status = 'queued' AND run_at <= now())
                OR (status = 'running' AND attempts < max_attempts
                    AND coalesce(heartbeat_at, locked_at) < now() - make_interval(secs => $2))
             ORDER BY priority DESC, run_at, id
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, kind, payload, attempts, max_attempts, locked_by AS "locked_by!""#,
        worker,
        stale_secs,
    )
    .fetch_optional(pool)
    .await?)
}

/// What a job's run says when its worker died on the last attempt.
pub const ABANDONED: &str =
    "The run stopped without finishing (its worker stopped answering on the last allowed attempt); start it again.";

/// A job ended without its work (abandoned, or cancelled): the run its kind keeps says `reason`,
/// in the queue's transaction.
async fn ended(
    tx: &mut sqlx::PgConnection,
    kind: &str,
    payload: &Value,
    reason: &str,
    cancelled: bool,
) -> Result<(), AppError> {
    use crate::features::{connectors, recon, reports, settlements};
    match kind {
        recon::runs::JOB_KIND => recon::runs::abandoned(tx, payload, reason).await,
        settlements::batching::JOB_KIND => settlements::batching::abandoned(tx, payload, reason).await,
        reports::schedules::JOB_KIND => reports::schedules::abandoned(tx, payload, reason).await,
        connectors::runs::JOB_KIND => connectors::runs::abandoned(tx, payload, reason, cancelled).await,
        _ => Ok(()),
    }
}

/// A failed or cancelled job queued again: the run its kind keeps is open again, in the queue's
/// transaction.
async fn reopened(tx: &mut sqlx::PgConnection, kind: &str, payload: &Value) -> Result<(), AppError> {
    use crate::features::{connectors, recon, reports, settlements};
    match kind {
        recon::runs::JOB_KIND => recon::runs::reopen(tx, payload).await,
        settlements::batching::JOB_KIND => settlements::batching::reopen(tx, payload).await,
        reports::schedules::JOB_KIND => reports::schedules::reopen(tx, payload).await,
        connectors::runs::JOB_KIND => connectors::runs::reopen(tx, payload).await,
        _ => Ok(()),
    }
}

/// Queue a failed or cancelled job again (the jobs console's retry): one more attempt, now. Its
/// kind's run opens again. Refused in words when the job is not failed or cancelled, or when a
/// live job holds its unique key (say, a newer run of the same cycle). In the caller's transaction
/// (with its audit row).
pub async fn retry(tx: &mut sqlx::PgConnection, id: i64) -> Result<(), AppError> {
    let job = sqlx::query!("SELECT kind, payload, status, unique_key FROM jobs WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no job {id}.")))?;
    if !matches!(job.status.as_str(), "failed" | "cancelled") {
        return Err(AppError::Conflict(format!(
            "Job {id} is {}: only a failed or cancelled job is retried.",
            job.status
        )));
    }
    let requeued = sqlx::query!(
        "UPDATE jobs SET status = 'queued', run_at = now(), finished_at = NULL, locked_at = NULL, locked_by = NULL,
                heartbeat_at = NULL, max_attempts = attempts + 1
         WHERE id = $1",
        id
    )
    .execute(&mut *tx)
    .await;
    match requeued {
        Err(sqlx::Error::Database(d)) if d.constraint() == Some("jobs_unique_live_key") => {
            return Err(AppError::Conflict(format!(
                "Job {id} cannot run again now: another job for the same work ({}) is queued or running.",
                job.unique_key.unwrap_or_default()
            )));
        }
        other => other?,
    };
    reopened(&mut *tx, &job.kind, &job.payload).await?;
    Ok(())
}

/// Cancel a queued job (the jobs console): it never runs, and its kind's run says `reason`. A
/// running job is not stopped (its work may be half way): refused in words. In the caller's
/// transaction (with its audit row).
pub async fn cancel(tx: &mut sqlx::PgConnection, id: i64, reason: &str) -> Result<(), AppError> {
    let job = sqlx::query!("SELECT kind, payload, status FROM jobs WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no job {id}.")))?;
    if job.status != "queued" {
        return Err(AppError::Conflict(format!(
            "Job {id} is {}: only a queued job is cancelled (a running one finishes its work).",
            job.status
        )));
    }
    sqlx::query!(
        "UPDATE jobs SET status = 'cancelled', finished_at = now(), last_error = $2 WHERE id = $1",
        id,
        reason
    )
    .execute(&mut *tx)
    .await?;
    ended(&mut *tx, &job.kind, &job.payload, reason, true).await?;
    Ok(())
}

/// Stamp the job's heartbeat; `false` when its worker no longer holds it.
pub async fn heartbeat(pool: &PgPool, job: &Job) -> Result<bool, AppError> {
    let stamped = sqlx::query!(
        "UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        job.id,
        job.locked_by,
    )
    .execute(pool)
    .await?;
    Ok(stamped.rows_affected() == 1)
}

/// Does `job`'s worker still hold it? Called inside the transaction that writes the job's results,
/// just before it commits: the row stays locked until then, so the job cannot be reclaimed between
/// this check and the commit, and a worker whose job was taken over writes nothing.
pub async fn still_held(tx: &mut sqlx::PgConnection, job: &Job) -> Result<bool, AppError> {
    let held: Option<i32> = sqlx::query_scalar!(
        r#"SELECT 1 AS "held!" FROM jobs WHERE id = $1 AND locked_by = $2 AND status = 'running' FOR UPDATE"#,
        job.id,
        job.locked_by,
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(held.is_some())
}

/// Give back the job `worker` holds, its work cut short by this instance's shutdown (dropped: its
/// open transaction rolls back): queued again at once, so another instance takes it now rather
/// than once its heartbeat is stale. The attempt counts, so a job that never ends within the grace
/// still runs out of attempts; on its last one it is not queued again but left to go stale and
/// fail as abandoned ([`claim_with`]). Like a stale job's takeover, this can run again work that
/// committed just before the stop, before its job was settled: each kind's work skips what is
/// already done. The job's id, when the worker held one that was queued again.
pub async fn release(pool: &PgPool, worker: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "UPDATE jobs SET status = 'queued', run_at = now(), locked_at = NULL, locked_by = NULL, heartbeat_at = NULL
         WHERE locked_by = $1 AND status = 'running' AND attempts < max_attempts
         RETURNING id",
        worker,
    )
    .fetch_optional(pool)
    .await?)
}

pub async fn succeed(pool: &PgPool, job: &Job) -> Result<Settled, AppError> {
    let done = sqlx::query!(
        "UPDATE jobs SET status = 'succeeded', finished_at = now(), last_error = NULL, locked_at = NULL, locked_by = NULL
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        job.id,
        job.locked_by,
    )
    .execute(pool)
    .await?;
    Ok(if done.rows_affected() == 1 { Settled::Succeeded } else { Settled::LockLost })
}

/// Record a transient failure ([`settle_failure`]).
pub async fn fail(pool: &PgPool, job: &Job, error: &str) -> Result<Settled, AppError> {
    settle_failure(pool, job, &Failure::transient(error)).await
}

/// Record a failure: a transient one is retried later (30 s, 60 s, 120 s …) while attempts remain,
/// else the job failed; a lasting one fails it now.
pub async fn settle_failure(pool: &PgPool, job: &Job, failure: &Failure) -> Result<Settled, AppError> {
    let error = failure.reason.as_str();
    let final_failure = failure.is_last(job);
    let done = sqlx::query!(
        "UPDATE jobs SET last_error = $3,
                status = CASE WHEN $4 THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN $4 THEN now() END,
                run_at = CASE WHEN $4 THEN run_at ELSE now() + make_interval(secs => 30 * power(2, $5::float8 - 1)) END,
                locked_at = NULL, locked_by = NULL
         WHERE id = $1 AND locked_by = $2 AND status = 'running'",
        job.id,
        job.locked_by,
        error,
        final_failure,
        f64::from(job.attempts),
    )
    .execute(pool)
    .await?;
    Ok(match (done.rows_affected() == 1, final_failure) {
        (false, _) => Settled::LockLost,
        (true, true) => Settled::Failed,
        (true, false) => Settled::Retrying,
    })
}

/// Run a claimed job's `work`, stamping its heartbeat meanwhile, and settle it by the outcome.
/// The heartbeat runs in its own task, so work that holds its thread for a while does not
/// starve it. When the heartbeat finds the job taken over, the work is stopped (dropped: its open
/// transaction rolls back) and nothing is settled: the job is the other worker's now.
pub async fn run_claimed<E: Into<Failure>>(
    pool: &PgPool,
    job: &Job,
    timing: &Timing,
    work: impl Future<Output = Result<(), E>>,
) -> Result<Settled, AppError> {
    // Ends only when the job is no longer this worker's.
    let beat = {
        let (pool, job, every) = (pool.clone(), job.clone(), timing.heartbeat_every);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match heartbeat(&pool, &job).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => tracing::warn!(job = job.id, error = %e, "job heartbeat not recorded"),
                }
            }
        })
    };
    // Stops the heartbeat however this function ends (also when its caller drops it).
    let mut beat = AbortOnDrop(beat);
    let started = std::time::Instant::now();
    tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let outcome = tokio::select! {
        outcome = work => outcome,
        _ = &mut beat.0 => {
            tracing::warn!(job = job.id, kind = %job.kind, "job taken over by another worker; its work was stopped");
            return Ok(Settled::LockLost);
        }
    };
    let settled = match outcome {
        Ok(()) => succeed(pool, job).await?,
        Err(e) => {
            let failure = e.into();
            let settled = settle_failure(pool, job, &failure).await?;
            // A worker that lost its job reports no failure of it: the job is another's now.
            if settled != Settled::LockLost {
                tracing::warn!(job = job.id, kind = %job.kind, error = %failure.reason, retry = failure.retry, "job failed");
                metrics::counter!("jobs_failed_total", "kind" => job.kind.clone()).increment(1);
            }
            settled
        }
    };
    if settled == Settled::LockLost {
        tracing::warn!(job = job.id, kind = %job.kind, "job finished after another worker took it over");
    }
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(job = job.id, kind = %job.kind, outcome = ?settled, duration_ms, "job finished");
    metrics::histogram!("job_duration_seconds", "kind" => job.kind.clone()).record(duration_ms / 1000.0);
    Ok(settled)
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every kind of job the queue runs (the `kind` label of the job metrics).
pub const KINDS: [&str; 4] = [
    crate::features::recon::runs::JOB_KIND,
    crate::features::settlements::batching::JOB_KIND,
    crate::features::reports::schedules::JOB_KIND,
    crate::features::connectors::runs::JOB_KIND,
];

/// What a worker does with a job of each kind.
pub async fn execute(state: &crate::state::AppState, job: &Job) -> Result<(), Failure> {
    match job.kind.as_str() {
        crate::features::recon::runs::JOB_KIND => Ok(crate::features::recon::runs::execute_job(state, job).await?),
        crate::features::settlements::batching::JOB_KIND => {
            Ok(crate::features::settlements::batching::execute_job(state, job).await?)
        }
        crate::features::reports::schedules::JOB_KIND => {
            crate::features::reports::schedules::execute_job(state, job).await
        }
        crate::features::connectors::runs::JOB_KIND => {
            Ok(crate::features::connectors::runs::execute_job(state, job).await?)
        }
        other => Err(format!("no handler for job kind {other:?}").into()),
    }
}

/// Claim and run one job; `Ok(false)` when the queue had nothing ready.
pub async fn run_next(state: &crate::state::AppState, worker: &str) -> Result<bool, AppError> {
    let timing = state.config.job_timing;
    let Some(job) = claim_with(&state.pool, worker, &timing).await? else {
        return Ok(false);
    };
    run_claimed(&state.pool, &job, &timing, execute(state, &job)).await?;
    Ok(true)
}

/// Housekeeping on this instance (snoozed exceptions waking, the sign-in throttle pruned): `task`
/// runs every `period`, the first time at once, until the pool closes. A failure is logged under
/// `what` and the task runs again at the next tick; ticks missed while a run took long are not
/// made up in a burst.
pub fn every<F, Fut>(pool: PgPool, period: Duration, what: &'static str, mut task: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), AppError>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !pool.is_closed() {
            tick.tick().await;
            if let Err(error) = task().await {
                tracing::warn!(%error, what, "housekeeping failed; it runs again at the next tick");
            }
        }
    });
}

/// A background worker: polls the queue every second while idle; stops when the pool closes or
/// when `stop` turns true — between jobs, never inside one (see [`Worker::finish`]).
pub fn spawn_worker(state: crate::state::AppState, mut stop: tokio::sync::watch::Receiver<bool>) -> Worker {
    let name = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    let pool = state.pool.clone();
    let worker = name.clone();
    let task = tokio::spawn(async move {
        while !state.pool.is_closed() && !*stop.borrow() {
            match run_next(&state, &worker).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "job queue unavailable"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    });
    Worker { task, name, pool }
}

/// A running worker (of [`spawn_worker`]).
pub struct Worker {
    task: tokio::task::JoinHandle<()>,
    /// The `locked_by` of the jobs it claims.
    name: String,
    pool: PgPool,
}

/// How a worker's job in hand ended at shutdown ([`Worker::finish`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// The worker ended by itself within the grace: its job, if any, was settled.
    InTime,
    /// Stopped at the deadline and queued again at once (the job's id).
    Requeued(i64),
    /// Stopped at the deadline, nothing given back: it held no job (or settled it at that moment),
    /// its job was on its last attempt (it fails as abandoned once stale), its work did not stop in
    /// time, or the queue could not be reached (the job is taken over once stale).
    Stopped,
}

impl Worker {
    /// After its stop signal: wait up to `grace` for the job in hand to end (its commit is the safe
    /// point). Past that the job is dropped — its open transaction rolls back, nothing is settled —
    /// and given back to the queue at once ([`release`]) for another instance to take. The wait
    /// for the dropped work and the release are bounded by [`RELEASE_WITHIN`] each, so a stop never
    /// outlasts the grace by much.
    pub async fn finish(self, grace: Duration) -> Finished {
        let Worker { mut task, name, pool } = self;
        if tokio::time::timeout(grace, &mut task).await.is_ok() {
            return Finished::InTime;
        }
        task.abort();
        // The work is gone once its task has ended (a cancelled task's result). Work that does not
        // stop in time (held in a long synchronous stretch) may still be writing: its job is not
        // given back, but left to go stale, as if the process had died.
        if tokio::time::timeout(RELEASE_WITHIN, task).await.is_err() {
            tracing::warn!("the stopped job's work did not end in time; its job is left to go stale");
            return Finished::Stopped;
        }
        match tokio::time::timeout(RELEASE_WITHIN, release(&pool, &name)).await {
            Ok(Ok(Some(job))) => Finished::Requeued(job),
            Ok(Ok(None)) => Finished::Stopped,
            Ok(Err(error)) => {
                tracing::warn!(%error, "the stopped job could not be queued again");
                Finished::Stopped
            }
            Err(_) => {
                tracing::warn!("the stopped job was not queued again in time");
                Finished::Stopped
            }
        }
    }
}

/// How long a stopping worker waits for its dropped work to end, and then for its job to be queued
/// again.
pub const RELEASE_WITHIN: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    fn job(attempts: i32, max_attempts: i32) -> Job {
        Job { id: 1, kind: "k".into(), payload: Value::Null, attempts, max_attempts, locked_by: "w".into() }
    }

    #[test]
    fn a_refusal_of_the_work_is_lasting_and_the_rest_is_retried() {
        let too_long = AppError::BadRequest("This report has more than 2 rows".into());
        assert_eq!(Failure::of(&too_long), Failure::lasting("This report has more than 2 rows"));
        assert!(!Failure::of(&AppError::NotFound("No such report run.".into())).retry);
        for transient in [
            AppError::Unavailable,
            AppError::Internal,
            AppError::StorageFull("disk full".into()),
            AppError::Transport("relay down".into()),
        ] {
            assert!(Failure::of(&transient).retry, "{transient:?}");
        }
        // Lasting ends the job on its first attempt; transient only on its last.
        assert!(Failure::of(&too_long).is_last(&job(1, 5)));
        assert!(!Failure::transient("down").is_last(&job(4, 5)));
        assert!(Failure::transient("down").is_last(&job(5, 5)));
        assert_eq!(Failure::from("bad payload".to_string()), Failure::transient("bad payload"));
    }
}
