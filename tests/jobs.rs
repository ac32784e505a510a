//! The job queue against real Postgres: a running job's heartbeat keeps it from being run twice,
//! a stale one is reclaimed only while it has attempts left, a worker that lost its job cannot
//! settle it, and transient database errors are retried rather than failing a recon run for good.

mod common;

use std::time::Duration;

use settlepaisa_ops::error::AppError;
use settlepaisa_ops::features::recon::runs;
use settlepaisa_ops::jobs::{self, Settled, Timing};
use sqlx::PgPool;

async fn queued(pool: &PgPool) -> i64 {
    jobs::enqueue(pool, "noop", &serde_json::json!({}), None).await.unwrap().unwrap()
}

/// The job's heartbeat as if its worker had stopped ten minutes ago.
async fn go_silent(pool: &PgPool, id: i64) {
    sqlx::query("UPDATE jobs SET heartbeat_at = now() - interval '10 minutes', locked_at = now() - interval '10 minutes' WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}

async fn status(pool: &PgPool, id: i64) -> (String, Option<String>, Option<String>) {
    sqlx::query_as("SELECT status, locked_by, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_job_whose_heartbeat_went_stale_is_reclaimed(pool: PgPool) {
    let id = queued(&pool).await;
    let first = jobs::claim(&pool, "a").await.unwrap().unwrap();
    assert!(jobs::claim(&pool, "b").await.unwrap().is_none(), "a fresh job is not taken over");
    go_silent(&pool, id).await;
    let second = jobs::claim(&pool, "b").await.unwrap().expect("reclaimed");
    assert_eq!((second.id, second.attempts, second.locked_by.as_str()), (first.id, 2, "b"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_job_that_keeps_its_heartbeat_is_not_reclaimed_however_long_it_runs(pool: PgPool) {
    let timing = Timing { heartbeat_every: Duration::from_millis(100), stale_after: Duration::from_secs(1) };
    let id = queued(&pool).await;
    let job = jobs::claim_with(&pool, "a", &timing).await.unwrap().unwrap();
    // The job runs for 2.5 stale periods; another worker keeps asking meanwhile.
    let running = tokio::spawn({
        let (pool, job) = (pool.clone(), job.clone());
        async move {
            jobs::run_claimed(&pool, &job, &timing, async {
                tokio::time::sleep(Duration::from_millis(2_500)).await;
                Ok(())
            })
            .await
        }
    });
    for _ in 0..11 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(jobs::claim_with(&pool, "b", &timing).await.unwrap().is_none(), "run twice");
    }
    assert_eq!(running.await.unwrap().unwrap(), Settled::Succeeded);
    assert_eq!(status(&pool, id).await.0, "succeeded");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_stale_job_on_its_last_attempt_is_failed_not_reclaimed(pool: PgPool) {
    let id = queued(&pool).await;
    sqlx::query("UPDATE jobs SET max_attempts = 2 WHERE id = $1").bind(id).execute(&pool).await.unwrap();
    jobs::claim(&pool, "a").await.unwrap().unwrap();
    go_silent(&pool, id).await;
    assert_eq!(jobs::claim(&pool, "b").await.unwrap().unwrap().attempts, 2, "one attempt was left");
    go_silent(&pool, id).await;
    assert!(jobs::claim(&pool, "c").await.unwrap().is_none(), "no third attempt");
    let (status, locked_by, error) = status(&pool, id).await;
    assert_eq!((status.as_str(), locked_by), ("failed", None));
    assert!(error.unwrap().contains("worker stopped answering"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_worker_whose_job_was_taken_over_cannot_settle_it(pool: PgPool) {
    let id = queued(&pool).await;
    let stale = jobs::claim(&pool, "a").await.unwrap().unwrap();
    go_silent(&pool, id).await;
    let current = jobs::claim(&pool, "b").await.unwrap().unwrap();
    assert_eq!(jobs::succeed(&pool, &stale).await.unwrap(), Settled::LockLost);
    assert_eq!(jobs::fail(&pool, &stale, "late").await.unwrap(), Settled::LockLost);
    assert!(!jobs::heartbeat(&pool, &stale).await.unwrap());
    let (status, locked_by, error) = status(&pool, id).await;
    assert_eq!((status.as_str(), locked_by.as_deref(), error), ("running", Some("b"), None), "unchanged");
    assert_eq!(jobs::succeed(&pool, &current).await.unwrap(), Settled::Succeeded);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn serialization_failures_and_deadlocks_are_transient(pool: PgPool) {
    for (code, transient) in [("40001", true), ("40P01", true), ("08006", true), ("23505", false)] {
        let raised = sqlx::query(&format!("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{code}'; END $$"))
            .execute(&pool)
            .await
            .unwrap_err();
        assert_eq!(AppError::from(raised) == AppError::Unavailable, transient, "{code}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_recon_run_meeting_a_busy_database_is_retried_not_failed_for_good(pool: PgPool) {
    let run_id = runs::queue(&pool, common::fixed_time().date_naive(), None, "manual").await.unwrap();
    let job = jobs::claim(&pool, "a").await.unwrap().unwrap();
    // The run's pool has one connection, held elsewhere: every query times out waiting for it.
    let busy = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(200))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let held = busy.acquire().await.unwrap();
    let app = common::TestApp::new(busy.clone());
    let settled = jobs::run_claimed(&pool, &job, &Timing::DEFAULT, runs::execute_job(&app.state, &job)).await.unwrap();
    drop(held);
    assert_eq!(settled, Settled::Retrying);
    assert_eq!(status(&pool, job.id).await.0, "queued", "queued again after its back-off");
    let run: String =
        sqlx::query_scalar("SELECT status FROM recon_runs WHERE id = $1").bind(run_id).fetch_one(&pool).await.unwrap();
    assert_ne!(run, "failed");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_recon_run_whose_worker_was_lost_on_its_last_attempt_says_so(pool: PgPool) {
    let run_id = runs::queue(&pool, common::fixed_time().date_naive(), None, "manual").await.unwrap();
    sqlx::query("UPDATE jobs SET max_attempts = 1").execute(&pool).await.unwrap();
    let job = jobs::claim(&pool, "a").await.unwrap().unwrap();
    sqlx::query("UPDATE recon_runs SET status = 'running', stage = 'match' WHERE id = $1")
        .bind(run_id)
        .execute(&pool)
        .await
        .unwrap();
    go_silent(&pool, job.id).await;
    assert!(jobs::claim(&pool, "b").await.unwrap().is_none());
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM recon_runs WHERE id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("start it again"));
}
