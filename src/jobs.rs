//! The Postgres job queue of spec 06 §6.3: durable (a row per job), claimed with
//! `FOR UPDATE SKIP LOCKED` so no job runs twice at once across instances, retried with back-off
//! up to its maximum attempts, and reclaimed when the instance that held it died. Jobs that must
//! not overlap (a cycle's recon run) carry a unique key that only one live job may hold.

use std::time::Duration;

use serde_json::Value;
use sqlx::{PgExecutor, PgPool};

use crate::error::AppError;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// A job running longer than this without finishing is taken to have lost its worker.
const STALE_AFTER_SECS: f64 = 15.0 * 60.0;

/// Queue a job; `Ok(None)` when a live job already holds `unique_key`.
pub async fn enqueue<'c, E: PgExecutor<'c>>(
    db: E,
    kind: &str,
    payload: &Value,
    unique_key: Option<&str>,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, unique_key) VALUES ($1, $2, $3)
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND status IN ('queued', 'running') DO NOTHING
         RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(unique_key)
    .fetch_optional(db)
    .await?)
}

/// Take the next ready job (or a stale running one) for `worker`.
pub async fn claim(pool: &PgPool, worker: &str) -> Result<Option<Job>, AppError> {
    Ok(sqlx::query_as(
        "UPDATE jobs SET status = 'running', locked_at = now(), locked_by = $1, attempts = attempts + 1
         WHERE id = (
             SELECT id FROM jobs
             WHERE (status = 'queued' AND run_at <= now())
                OR (status = 'running' AND locked_at < now() - make_interval(secs => $2))
             ORDER BY priority DESC, run_at, id
             FOR UPDATE SKIP LOCKED
             LIMIT 1)
         RETURNING id, kind, payload, attempts, max_attempts",
    )
    .bind(worker)
    .bind(STALE_AFTER_SECS)
    .fetch_optional(pool)
    .await?)
}

pub async fn succeed(pool: &PgPool, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE jobs SET status = 'succeeded', finished_at = now(), last_error = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Record a failure: retried later (30 s, 60 s, 120 s …) while attempts remain, else failed.
/// Returns whether the job is finished for good.
pub async fn fail(pool: &PgPool, job: &Job, error: &str) -> Result<bool, AppError> {
    let final_failure = job.attempts >= job.max_attempts;
    sqlx::query(
        "UPDATE jobs SET last_error = $2,
                status = CASE WHEN $3 THEN 'failed' ELSE 'queued' END,
                finished_at = CASE WHEN $3 THEN now() END,
                run_at = CASE WHEN $3 THEN run_at ELSE now() + make_interval(secs => 30 * power(2, $4 - 1)) END,
                locked_at = NULL, locked_by = NULL
         WHERE id = $1",
    )
    .bind(job.id)
    .bind(error)
    .bind(final_failure)
    .bind(f64::from(job.attempts))
    .execute(pool)
    .await?;
    Ok(final_failure)
}

/// Jobs waiting to run (the queue-depth gauge).
pub async fn depth(pool: &PgPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'queued'").fetch_one(pool).await?)
}

/// What a worker does with a job of each kind.
pub async fn execute(state: &crate::state::AppState, job: &Job) -> Result<(), String> {
    match job.kind.as_str() {
        crate::features::recon::runs::JOB_KIND => crate::features::recon::runs::execute_job(state, job).await,
        other => Err(format!("no handler for job kind {other:?}")),
    }
}

/// Claim and run one job; `Ok(false)` when the queue had nothing ready.
pub async fn run_next(state: &crate::state::AppState, worker: &str) -> Result<bool, AppError> {
    let Some(job) = claim(&state.pool, worker).await? else {
        return Ok(false);
    };
    match execute(state, &job).await {
        Ok(()) => succeed(&state.pool, job.id).await?,
        Err(e) => {
            tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
            metrics::counter!("jobs_failed_total", "kind" => job.kind.clone()).increment(1);
            fail(&state.pool, &job, &e).await?;
        }
    }
    Ok(true)
}

/// A background worker: polls the queue every second while idle; stops when the pool closes.
pub fn spawn_worker(state: crate::state::AppState) {
    let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        while !state.pool.is_closed() {
            match run_next(&state, &worker).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "job queue unavailable"),
            }
            if let Ok(n) = depth(&state.pool).await {
                metrics::gauge!("jobs_queued").set(n as f64);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
