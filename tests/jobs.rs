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
                Ok::<(), jobs::Failure>(())
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
    let app =
        common::TestApp::with_config(busy.clone(), settlepaisa_ops::config::Config::for_tests("postgres://unused"));
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

/// A run of `common::fixed_time()`'s cycle with one PG transaction to match, queued and claimed by
/// worker `a`.
async fn claimed_run(pool: &PgPool) -> (uuid::Uuid, jobs::Job) {
    let cycle = common::fixed_time().date_naive();
    sqlx::query(
        "WITH m AS (INSERT INTO merchants (id, name, legal_name) VALUES ('M_FENCE', 'M', 'M Ltd'))
         INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, utr)
         VALUES ('T-FENCE-1', 'M_FENCE', 10000, $1, $2, 'UPI', 'UTRFENCE1')",
    )
    .bind(common::fixed_time())
    .bind(cycle)
    .execute(pool)
    .await
    .unwrap();
    let run_id = runs::queue(pool, cycle, None, "manual").await.unwrap();
    let job = jobs::claim(pool, "a").await.unwrap().unwrap();
    (run_id, job)
}

/// Another worker takes `job` over (as a reclaim after a stale heartbeat does).
async fn take_over(pool: &PgPool, job: &jobs::Job) {
    sqlx::query("UPDATE jobs SET locked_by = 'b', attempts = attempts + 1 WHERE id = $1")
        .bind(job.id)
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_run_whose_job_was_taken_over_commits_nothing(pool: PgPool) {
    let (run_id, job) = claimed_run(&pool).await;
    take_over(&pool, &job).await;
    let app = common::TestApp::new(pool.clone());
    let outcome = runs::execute_job(&app.state, &job).await;
    assert!(outcome.unwrap_err().contains("another worker"), "the stale worker reports the lost lock");
    let results: i64 = sqlx::query_scalar("SELECT count(*) FROM recon_results WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(results, 0, "no results of the stale worker");
    let run: String =
        sqlx::query_scalar("SELECT status FROM recon_runs WHERE id = $1").bind(run_id).fetch_one(&pool).await.unwrap();
    assert_ne!(run, "completed");
    assert_ne!(run, "failed", "the run is the new worker's to finish");
    assert_eq!(status(&pool, job.id).await.1.as_deref(), Some("b"), "the job stays the new worker's");

    // The worker holding the job commits as before.
    let current = jobs::Job { locked_by: "b".into(), ..job };
    runs::execute_job(&app.state, &current).await.unwrap();
    let run: String =
        sqlx::query_scalar("SELECT status FROM recon_runs WHERE id = $1").bind(run_id).fetch_one(&pool).await.unwrap();
    assert_eq!(run, "completed");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_worker_whose_heartbeat_finds_the_job_taken_stops_its_work(pool: PgPool) {
    let timing = Timing { heartbeat_every: Duration::from_millis(50), stale_after: Duration::from_secs(1) };
    let id = queued(&pool).await;
    let job = jobs::claim_with(&pool, "a", &timing).await.unwrap().unwrap();
    take_over(&pool, &job).await;
    let endless = std::future::pending::<Result<(), String>>();
    let settled = tokio::time::timeout(Duration::from_secs(5), jobs::run_claimed(&pool, &job, &timing, endless))
        .await
        .expect("the work is stopped when the lock is lost")
        .unwrap();
    assert_eq!(settled, Settled::LockLost);
    assert_eq!(
        status(&pool, id).await,
        ("running".into(), Some("b".into()), None),
        "the new worker's job is untouched"
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_worker_whose_job_was_taken_over_cannot_fail_the_run(pool: PgPool) {
    // No PG transactions for the cycle: the run fails ("upload the PG file first").
    let run_id = runs::queue(&pool, common::fixed_time().date_naive(), None, "manual").await.unwrap();
    let job = jobs::claim(&pool, "a").await.unwrap().unwrap();
    take_over(&pool, &job).await;
    let app = common::TestApp::new(pool.clone());
    runs::execute_job(&app.state, &job).await.unwrap();
    let run_status = async || -> (String, Option<String>) {
        sqlx::query_as("SELECT status, error FROM recon_runs WHERE id = $1")
            .bind(run_id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let (status_after_stale, error) = run_status().await;
    assert_ne!(status_after_stale, "failed", "the stale worker failed the new worker's run: {error:?}");
    assert_eq!(status(&pool, job.id).await.1.as_deref(), Some("b"), "the job stays the new worker's");

    // The worker holding the job records the failure as before.
    let current = jobs::Job { locked_by: "b".into(), ..job };
    runs::execute_job(&app.state, &current).await.unwrap();
    let (status_after_holder, error) = run_status().await;
    assert_eq!(status_after_holder, "failed");
    assert!(error.unwrap().contains("upload the PG file first"));
}

/// Housekeeping runs at once and then every period, goes on after a failed run, and stops when the
/// pool closes.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn housekeeping_runs_every_period_survives_failures_and_stops_with_the_pool(pool: PgPool) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let runs = Arc::new(AtomicU32::new(0));
    let counted = runs.clone();
    jobs::every(pool.clone(), Duration::from_millis(50), "test", move || {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 1 {
                return Err(AppError::Unavailable);
            }
            Ok(())
        }
    });
    // At once, then every 50 ms, past the failed second run (waited for up to 5 s on a busy machine).
    let started = std::time::Instant::now();
    while runs.load(Ordering::SeqCst) < 4 {
        assert!(started.elapsed() < Duration::from_secs(5), "runs: {}", runs.load(Ordering::SeqCst));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close().await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let settled = runs.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs.load(Ordering::SeqCst), settled, "no more runs once the pool is closed");
}

/// A job cut short by its instance's shutdown is given back at once: queued, claimable by another
/// worker now (not once its heartbeat is stale), the attempt counted; a worker that holds nothing
/// gives back nothing, another worker's job is left alone, and a job on its last attempt is not
/// queued again (it goes stale and fails as abandoned).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_job_stopped_at_shutdown_is_queued_again_at_once(pool: PgPool) {
    let id = queued(&pool).await;
    let other = queued(&pool).await;
    let held = jobs::claim(&pool, "a").await.unwrap().unwrap();
    assert_eq!((held.id, held.attempts), (id, 1));
    let kept = jobs::claim(&pool, "b").await.unwrap().unwrap();
    assert_eq!(kept.id, other);
    assert_eq!(jobs::release(&pool, "a").await.unwrap(), Some(id));
    assert_eq!(jobs::release(&pool, "a").await.unwrap(), None, "nothing left to give back");
    let (state, locked_by, _) = status(&pool, id).await;
    assert_eq!((state.as_str(), locked_by), ("queued", None));
    assert_eq!(status(&pool, other).await.0, "running", "another worker's job is not touched");
    let again = jobs::claim(&pool, "c").await.unwrap().expect("claimable at once");
    assert_eq!((again.id, again.attempts, again.locked_by.as_str()), (id, 2, "c"));
    // The stopped worker can no longer settle it.
    assert_eq!(jobs::succeed(&pool, &held).await.unwrap(), Settled::LockLost);
    sqlx::query("UPDATE jobs SET max_attempts = 2 WHERE id = $1").bind(id).execute(&pool).await.unwrap();
    assert_eq!(jobs::release(&pool, "c").await.unwrap(), None, "its last attempt is not given back");
    assert_eq!(status(&pool, id).await.0, "running");
}
