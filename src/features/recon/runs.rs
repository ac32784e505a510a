//! Recon runs (spec 02 §2.4): queued as a job, executed in the background through the stages
//! validate → load → match → persist, with the stage and progress on the run row for the page to
//! show. Persisting is one database transaction: results, exception records (one per PG row in an
//! exception or unmatched class, one per duplicate or PG-less bank credit), transaction statuses,
//! auto-resolution of exceptions whose row now matches (and of a bank line's own record once a PG
//! row's record carries the line; reopened if the line is unpaired again), and superseding the
//! cycle's previous run.
//! A failed run records its reason and leaves nothing half-written.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use serde_json::json;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::engine::{self, BankLine, PgRow, Reason, Settings, Tolerances};
use super::model::{ResultRow, RunAmounts, RunCounts, RunView};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::features::exceptions::model::Status;
use crate::features::exceptions::rules::{raise_by_amount, Severity};
use crate::ist;
use crate::jobs::{self, Job};
use crate::money::Paise;
use crate::state::AppState;

pub const JOB_KIND: &str = "recon_run";
const COPY_RESULTS: &str =
    "COPY recon_results (run_id, side, transaction_id, bank_line_id, class, reason_code, pg_amount_paise,
    bank_amount_paise, delta_paise, match_score) FROM STDIN (FORMAT csv)";
const CHUNK: usize = 1_000;

/// Queue a run of a cycle, with its audit row; refused while another run of the same cycle is
/// queued or running. `started_by`: the signed-in user, `None` for a connector or the system.
pub async fn queue(
    pool: &PgPool,
    cycle_date: NaiveDate,
    started_by: Option<&CurrentUser>,
    source: &str,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO recon_runs (id, cycle_date, source, started_by) VALUES ($1, $2, $3, $4)",
        id,
        cycle_date as NaiveDate,
        source,
        started_by.map(|user| user.id),
    )
    .execute(&mut *tx)
    .await?;
    let job = jobs::enqueue(&mut *tx, JOB_KIND, &json!({ "runId": id }), Some(&format!("recon:{cycle_date}"))).await?;
    if job.is_none() {
        return Err(AppError::Conflict(format!("A run of cycle {cycle_date} is already queued or running.")));
    }
    let action = "recon.run.start";
    let entry = match started_by {
        Some(user) => AuditEntry::by(user, action, "recon_run"),
        None => AuditEntry {
            action,
            target_type: "recon_run",
            success: true,
            details: Some(source.into()),
            ..Default::default()
        },
    };
    let after = json!({ "cycleDate": cycle_date, "source": source });
    audit::record(&mut *tx, AuditEntry { target_id: Some(id.to_string()), after: Some(after), ..entry }).await?;
    tx.commit().await?;
    Ok(id)
}

/// The run a job of [`JOB_KIND`] executes.
fn run_of(payload: &serde_json::Value) -> Option<Uuid> {
    payload.get("runId").and_then(|v| v.as_str()).and_then(|s| Uuid::parse_str(s).ok())
}

/// The job of a run was failed for good by the queue (its worker stopped answering on the last
/// attempt): the run says so instead of showing "running" for ever.
pub async fn abandoned(db: &mut sqlx::PgConnection, payload: &serde_json::Value, reason: &str) -> Result<(), AppError> {
    let Some(run_id) = run_of(payload) else { return Ok(()) };
    sqlx::query!(
        "UPDATE recon_runs SET status = 'failed', error = $2, finished_at = now()
         WHERE id = $1 AND status IN ('queued', 'running')",
        run_id,
        reason,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The run's job is queued again (the jobs console's retry): the run is open again.
pub async fn reopen(db: &mut sqlx::PgConnection, payload: &serde_json::Value) -> Result<(), AppError> {
    let Some(run_id) = run_of(payload) else { return Ok(()) };
    sqlx::query!(
        "UPDATE recon_runs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = $1 AND status = 'failed'",
        run_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn execute_job(state: &AppState, job: &Job) -> Result<(), String> {
    let run_id = run_of(&job.payload).ok_or("the job has no runId")?;
    match execute(&state.pool, job, run_id, state.clock.now()).await {
        Ok(Ran::Persisted) => Ok(()),
        // The run is the other worker's now: leave it (and its row) alone.
        Ok(Ran::LockLost) => {
            tracing::warn!(%run_id, job = job.id, "recon run's job was taken over before its commit; nothing written");
            Err("another worker took the job over before the results were committed; nothing was written".into())
        }
        // A database hiccup (connection lost, a serialization conflict or deadlock, a busy pool)
        // is not the run's fault: the queue retries it with back-off while attempts remain. The
        // run's results are written in one transaction, so nothing half-written stays behind.
        Err(AppError::Unavailable) if job.attempts < job.max_attempts => {
            tracing::warn!(%run_id, attempt = job.attempts, "recon run met a transient database error; retrying");
            Err("the database was unavailable; the run will be retried".into())
        }
        Err(e) => {
            let message = e.to_string();
            // A run that failed says why; the job itself is finished (a re-run is a new run). Only
            // while this worker still holds the job: one whose job was reclaimed (stale heartbeat)
            // must not fail the run the new holder is running.
            let marked = sqlx::query!(
                "UPDATE recon_runs SET status = 'failed', error = $2, finished_at = now()
                 WHERE id = $1 AND status <> 'completed'
                   AND EXISTS (SELECT 1 FROM jobs WHERE id = $3 AND locked_by = $4 AND status = 'running')",
                run_id,
                message,
                job.id,
                job.locked_by,
            )
            .execute(&state.pool)
            .await;
            match marked {
                Ok(done) if done.rows_affected() == 0 => {
                    tracing::warn!(%run_id, job = job.id, error = %message, "recon run failed after its job was taken over; left to the new worker")
                }
                _ => tracing::warn!(%run_id, error = %message, "recon run failed"),
            }
            Ok(())
        }
    }
}

/// Logs how long a step of a run took (for operators sizing runs; `LOG_LEVEL=info`).
struct Laps {
    run_id: Uuid,
    last: std::time::Instant,
}

impl Laps {
    fn new(run_id: Uuid) -> Self {
        Laps { run_id, last: std::time::Instant::now() }
    }

    fn lap(&mut self, step: &str) {
        let now = std::time::Instant::now();
        tracing::info!(run = %self.run_id, step, ms = (now - self.last).as_millis() as u64, "recon run step");
        self.last = now;
    }
}

/// Progress within the persist step, told on its own connection (the step's transaction is not
/// committed yet, and this run's row is not locked by it). Progress is only a display: a failure
/// to record it does not fail the run.
async fn progress(pool: &PgPool, run_id: Uuid, pct: i16) {
    let _ = sqlx::query!("UPDATE recon_runs SET progress_pct = $2 WHERE id = $1 AND status = 'running'", run_id, pct)
        .execute(pool)
        .await;
}

async fn stage(pool: &PgPool, run_id: Uuid, stage: &str, progress: i16) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE recon_runs SET status = 'running', stage = $2, progress_pct = $3, started_at = coalesce(started_at, now())
         WHERE id = $1",
        run_id,
        stage,
        progress,
    )
    .execute(pool)
    .await?;
    Ok(())
}

struct TxnRow {
    id: i64,
    txn_id: String,
    merchant_id: String,
    acquirer: Option<String>,
    amount_paise: Paise,
    utr: Option<String>,
    rrn: Option<String>,
    txn_at: DateTime<Utc>,
    bank_fee_paise: Option<Paise>,
    expected_settlement_paise: Option<Paise>,
}

struct LineRow {
    id: i64,
    natural_key: String,
    amount_paise: Paise,
    net_paise: Option<Paise>,
    utr: Option<String>,
    txn_date: NaiveDate,
    direction: String,
}

/// Tolerances from `recon_settings`: the row without merchant and acquirer is the default.
pub async fn settings(pool: &PgPool) -> Result<Settings, AppError> {
    let rows = sqlx::query!(
        r#"SELECT merchant_id, acquirer, min_tolerance_paise AS "min_tolerance_paise: Paise", tolerance_rate,
                rounding_paise AS "rounding_paise: Paise", fee_band_low_paise AS "fee_band_low_paise: Paise",
                fee_band_high_paise AS "fee_band_high_paise: Paise", fee_variance_paise AS "fee_variance_paise: Paise",
                date_window_days FROM recon_settings"#,
    )
    .fetch_all(pool)
    .await?;
    let mut settings = Settings::default();
    for r in rows {
        let t = Tolerances {
            min_tolerance: r.min_tolerance_paise,
            tolerance_rate: r.tolerance_rate,
            rounding: r.rounding_paise,
            fee_band_low: r.fee_band_low_paise,
            fee_band_high: r.fee_band_high_paise,
            fee_variance: r.fee_variance_paise,
            date_window_days: r.date_window_days.into(),
        };
        if r.merchant_id.is_none() && r.acquirer.is_none() {
            settings.default = t;
        } else {
            settings.scoped.push((r.merchant_id, r.acquirer, t));
        }
    }
    Ok(settings)
}

/// How the execution of a run ended, short of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ran {
    /// Its results are committed (now or by an earlier attempt).
    Persisted,
    /// Its job was taken over by another worker before the commit: nothing was written.
    LockLost,
}

/// Run the stages of one queued run for the worker holding `job`.
pub async fn execute(pool: &PgPool, job: &Job, run_id: Uuid, now: DateTime<Utc>) -> Result<Ran, AppError> {
    let run =
        sqlx::query!(r#"SELECT cycle_date AS "cycle_date: NaiveDate", status FROM recon_runs WHERE id = $1"#, run_id)
            .fetch_one(pool)
            .await?;
    let cycle_date = run.cycle_date;
    if run.status == "completed" {
        return Ok(Ran::Persisted);
    }
    let mut laps = Laps::new(run_id);
    stage(pool, run_id, "validate", 5).await?;
    let settings = settings(pool).await?;
    let pg_count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM transactions WHERE cycle_date = $1"#,
        cycle_date as NaiveDate
    )
    .fetch_one(pool)
    .await?;
    if pg_count == 0 {
        return Err(AppError::BadRequest(format!(
            "No PG transactions are loaded for cycle {cycle_date}; upload the PG file first."
        )));
    }

    stage(pool, run_id, "load", 20).await?;
    let txns = sqlx::query_as!(
        TxnRow,
        r#"SELECT id, txn_id, merchant_id, acquirer, amount_paise AS "amount_paise: Paise", utr, rrn, txn_at AS "txn_at: DateTime<Utc>",
                bank_fee_paise AS "bank_fee_paise: Paise", expected_settlement_paise AS "expected_settlement_paise: Paise"
         FROM transactions WHERE cycle_date = $1"#,
        cycle_date as NaiveDate,
    )
    .fetch_all(pool)
    .await?;
    let lines = sqlx::query_as!(
        LineRow,
        r#"SELECT id, natural_key, amount_paise AS "amount_paise: Paise", net_paise AS "net_paise: Paise", utr,
                  txn_date AS "txn_date: NaiveDate", direction
         FROM bank_statement_lines WHERE cycle_date = $1"#,
        cycle_date as NaiveDate,
    )
    .fetch_all(pool)
    .await?;

    laps.lap("load");
    stage(pool, run_id, "match", 45).await?;
    // The rows move into the engine's types (no copies); the ids stay beside them by position.
    let (txn_ids, pg): (Vec<i64>, Vec<PgRow>) = txns
        .into_iter()
        .map(|t| {
            let date = ist::date_of(t.txn_at);
            (
                t.id,
                PgRow {
                    txn_id: t.txn_id,
                    merchant_id: t.merchant_id,
                    acquirer: t.acquirer,
                    amount: t.amount_paise,
                    utr: t.utr,
                    rrn: t.rrn,
                    date,
                    bank_fee: t.bank_fee_paise,
                    expected_settlement: t.expected_settlement_paise,
                },
            )
        })
        .unzip();
    let (line_ids, bank): (Vec<i64>, Vec<BankLine>) = lines
        .into_iter()
        .map(|l| {
            let credit = l.direction == "CREDIT";
            let line = BankLine {
                key: l.natural_key,
                amount: l.amount_paise,
                net: l.net_paise,
                utr: l.utr,
                date: l.txn_date,
                credit,
            };
            (l.id, line)
        })
        .unzip();
    let (pg, bank, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = engine::reconcile(&pg, &bank, &settings);
        (pg, bank, outcome)
    })
    .await
    .map_err(|_| AppError::Internal)?;
    // A Δ past the range of paise fails the run with the sentence that says so (a 400-class error).
    let outcome = outcome?;
    metrics::counter!("recon_rows_matched_total").increment(outcome.counts().pg_matched as u64);

    laps.lap("match");
    stage(pool, run_id, "persist", 70).await?;
    let rows = Persist {
        run_id,
        cycle_date,
        now,
        txn_ids: &txn_ids,
        pg: &pg,
        line_ids: &line_ids,
        bank: &bank,
        outcome: &outcome,
    };
    persist(pool, job, rows, &mut laps).await
}

/// What a run's persist step writes: its rows as loaded and the engine's outcome.
struct Persist<'a> {
    run_id: Uuid,
    cycle_date: NaiveDate,
    now: DateTime<Utc>,
    /// Transaction ids by the position of their rows in `pg`.
    txn_ids: &'a [i64],
    pg: &'a [PgRow],
    /// Bank line ids by the position of their lines in `bank`.
    line_ids: &'a [i64],
    bank: &'a [BankLine],
    outcome: &'a engine::Outcome,
}

/// Write a run's outcome in one transaction, step by step, with the run's progress between steps.
async fn persist(pool: &PgPool, job: &Job, p: Persist<'_>, laps: &mut Laps) -> Result<Ran, AppError> {
    let rules = ExceptionRules::load(pool).await?;
    let mut tx = pool.begin().await?;
    // The joins below over a run's million rows hash in memory, not in temporary files.
    sqlx::query!("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    // A million rows' writes outlast the per-statement limit meant for page queries.
    crate::db::lift_statement_timeout(&mut tx).await?;
    write_results(&mut tx, &p).await?;
    laps.lap("persist: results");
    progress(pool, p.run_id, 80).await;

    stage_exception_records(&mut tx, &p, &rules).await?;
    upsert_exception_records(&mut tx, &p).await?;
    laps.lap("persist: exception records");
    progress(pool, p.run_id, 86).await;

    auto_resolve(&mut tx, p.run_id, p.cycle_date, p.now).await?;
    laps.lap("persist: auto-resolve");
    progress(pool, p.run_id, 90).await;

    crate::domain::txn_status::apply_run(&mut tx, p.run_id, p.cycle_date, p.now).await?;
    laps.lap("persist: transaction statuses");
    progress(pool, p.run_id, 97).await;

    finish_run(&mut tx, &p).await?;
    // Fenced like the job's settling: a worker whose job was reclaimed (its heartbeat went stale)
    // rolls its results back instead of committing over the new worker's.
    if !jobs::still_held(&mut tx, job).await? {
        return Ok(Ran::LockLost);
    }
    tx.commit().await?;
    laps.lap("persist: commit");
    Ok(Ran::Persisted)
}

/// The exception types' default severities and the SLA hours by reason and severity, as configured.
struct ExceptionRules {
    types: HashMap<String, String>,
    sla: HashMap<(String, String), i32>,
}

impl ExceptionRules {
    async fn load(pool: &PgPool) -> Result<Self, AppError> {
        let types: HashMap<String, String> =
            sqlx::query!(r#"SELECT code, default_severity::text AS "default_severity!" FROM exception_types"#)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|t| (t.code, t.default_severity))
                .collect();
        let sla: HashMap<(String, String), i32> =
            sqlx::query!(r#"SELECT reason_code, severity::text AS "severity!", sla_hours FROM sla_settings"#)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|s| ((s.reason_code, s.severity), s.sla_hours))
                .collect();
        Ok(ExceptionRules { types, sla })
    }

    /// A record's severity (its type's default, raised by amount) and its SLA due time from `now`.
    fn severity_of(&self, reason: Reason, amount: Paise, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let default = match self.types.get(reason.code()).map(String::as_str) {
            Some("CRITICAL") => Severity::Critical,
            Some("HIGH") => Severity::High,
            Some("MEDIUM") => Severity::Medium,
            _ => Severity::Low,
        };
        let severity = raise_by_amount(default, amount).code().to_string();
        let hours = self.sla.get(&(reason.code().to_string(), severity.clone())).copied().unwrap_or(24);
        (severity, now + Duration::hours(hours.into()))
    }
}

/// Results streamed with COPY: a row per PG row (its paired bank line, if any, rides on it), then a
/// row per bank line that no PG row pairs (migration 20261216000001).
async fn write_results(tx: &mut sqlx::PgConnection, p: &Persist<'_>) -> Result<(), AppError> {
    let Persist { run_id, txn_ids, pg, line_ids, bank, outcome, .. } = *p;
    crate::db::copy_in(&mut *tx, COPY_RESULTS, 0..outcome.pg.len(), |w, i| {
        let r = &outcome.pg[i];
        w.show(Some(run_id))
            .text(Some("pg"))
            .num(Some(txn_ids[r.pg]))
            .num(r.bank.map(|b| line_ids[b]))
            .text(Some(r.class.code()))
            .text(r.reason.map(Reason::code))
            .paise(Some(pg[r.pg].amount))
            .paise(r.bank.map(|b| bank[b].amount))
            .paise(r.delta)
            .num(Some(r.score.into()))
            .end();
    })
    .await?;
    // Indices, not a borrowing iterator: the future must stay `Send` for the job's spawned task.
    let unpaired: Vec<usize> = (0..outcome.bank.len()).filter(|&i| outcome.bank[i].pg.is_none()).collect();
    crate::db::copy_in(&mut *tx, COPY_RESULTS, unpaired, |w, i| {
        let r = &outcome.bank[i];
        w.show(Some(run_id))
            .text(Some("bank"))
            .num(None)
            .num(Some(line_ids[r.bank]))
            .text(Some(r.class.code()))
            .text(r.reason.map(Reason::code))
            .paise(None)
            .paise(Some(bank[r.bank].amount))
            .paise(None)
            // Score 0, as for an unpaired PG row (`PgResult::score`).
            .num(Some(0))
            .end();
    })
    .await?;
    Ok(())
}

/// The rows that get an exception record, by the rule of spec 2.2: PG rows (true, their index)
/// with a reason, and bank lines (false, their index) that are duplicates or missing in PG.
fn exception_records(outcome: &engine::Outcome) -> Vec<(bool, usize)> {
    outcome
        .pg
        .iter()
        .enumerate()
        .filter(|(_, r)| r.reason.is_some())
        .map(|(i, _)| (true, i))
        .chain(
            outcome
                .bank
                .iter()
                .enumerate()
                .filter(|(_, r)| matches!(r.reason, Some(Reason::DuplicateBankEntry | Reason::BankTxnMissingInPg)))
                .map(|(i, _)| (false, i)),
        )
        .collect()
}

/// Exception records: staged with COPY, then upserted on the row (`upsert_exception_records`), so a
/// re-run keeps an analyst's work on it (status, assignee, history) and never duplicates it.
async fn stage_exception_records(
    tx: &mut sqlx::PgConnection,
    p: &Persist<'_>,
    rules: &ExceptionRules,
) -> Result<(), AppError> {
    let Persist { now, txn_ids, pg, line_ids, bank, outcome, .. } = *p;
    sqlx::query!(
        "CREATE TEMP TABLE staging_exceptions (reason_code TEXT, severity TEXT, sla_due_at TIMESTAMPTZ,
             pg_amount_paise BIGINT, bank_amount_paise BIGINT, delta_paise BIGINT, merchant_id TEXT, acquirer TEXT,
             utr TEXT, transaction_id BIGINT, bank_line_id BIGINT) ON COMMIT DROP",
    )
    .execute(&mut *tx)
    .await?;
    crate::db::copy_in(
        &mut *tx,
        "COPY staging_exceptions (reason_code, severity, sla_due_at, pg_amount_paise, bank_amount_paise, delta_paise,
                                  merchant_id, acquirer, utr, transaction_id, bank_line_id) FROM STDIN (FORMAT csv)",
        exception_records(outcome),
        |w, (is_pg, i)| {
            if is_pg {
                let r = &outcome.pg[i];
                let reason = r.reason.unwrap_or(Reason::PgTxnMissingInBank);
                let t = &pg[r.pg];
                let line = r.bank.map(|b| &bank[b]);
                let (severity, due) = rules.severity_of(reason, t.amount, now);
                w.text(Some(reason.code()))
                    .text(Some(&severity))
                    .show(Some(due.to_rfc3339()))
                    .paise(Some(t.amount))
                    .paise(line.map(|l| l.amount))
                    .paise(r.delta)
                    .text(Some(&t.merchant_id))
                    .text(t.acquirer.as_deref())
                    // As the engine matched it (upper case, no spaces): the queue's search finds it so.
                    .text(crate::domain::normalise_ref(t.utr.as_deref()).as_deref())
                    .num(Some(txn_ids[r.pg]))
                    .num(r.bank.map(|b| line_ids[b]))
                    .end();
            } else {
                let r = &outcome.bank[i];
                let reason = r.reason.unwrap_or(Reason::BankTxnMissingInPg);
                let l = &bank[r.bank];
                let (severity, due) = rules.severity_of(reason, l.amount, now);
                w.text(Some(reason.code()))
                    .text(Some(&severity))
                    .show(Some(due.to_rfc3339()))
                    .paise(None)
                    .paise(Some(l.amount))
                    .paise(None)
                    .text(None)
                    .text(None)
                    .text(crate::domain::normalise_ref(l.utr.as_deref()).as_deref())
                    .num(None)
                    .num(Some(line_ids[r.bank]))
                    .end();
            }
        },
    )
    .await?;
    Ok(())
}

/// Insert the staged records, or refresh the record of the same transaction or bank line. A record
/// whose reason changes takes the new reason's severity and its SLA hours, due from when the record
/// was raised (spec 02: created + SLA hours, as a re-grade by an analyst); with the same reason it
/// keeps its severity and SLA (an analyst may have changed them). [`stage_exception_records`]
/// staged each record due at the run's `now` plus its hours, and this reads the same `Persist`, so
/// created + (due − now) is created plus the same hours.
async fn upsert_exception_records(tx: &mut sqlx::PgConnection, p: &Persist<'_>) -> Result<(), AppError> {
    let Persist { run_id, cycle_date, now, .. } = *p;
    let day = cycle_date.format("%Y%m%d").to_string();
    // Runtime queries: `staging_exceptions` is this transaction's temporary table, which the
    // compile-time check of the query macros cannot see. A record's number is the sequence's next
    // value, at least six digits and never cut short: `lpad` alone truncates a longer value, so
    // from 1,000,000 on ten numbers would share one id. The subquery takes each number once per
    // row (PostgreSQL keeps a subquery that calls a volatile function as it is; `OFFSET 0` says so
    // to the reader and holds it there).
    sqlx::query(
        "INSERT INTO exceptions (id, run_id, reason_code, severity, sla_due_at, pg_amount_paise, bank_amount_paise,
                                 delta_paise, merchant_id, acquirer, cycle_date, utr, transaction_id, bank_line_id)
         SELECT 'EXC-' || $1 || '-' || lpad(n, greatest(length(n), 6), '0'), $2, reason_code,
                severity::severity, sla_due_at, pg_amount_paise, bank_amount_paise, delta_paise, merchant_id, acquirer, $3,
                utr, transaction_id, bank_line_id
         FROM (SELECT nextval('exception_number_seq')::text AS n, * FROM staging_exceptions
               WHERE transaction_id IS NOT NULL OFFSET 0) s
         ON CONFLICT (transaction_id) WHERE transaction_id IS NOT NULL DO UPDATE SET run_id = EXCLUDED.run_id,
            severity = CASE WHEN exceptions.reason_code <> EXCLUDED.reason_code THEN EXCLUDED.severity ELSE exceptions.severity END,
            sla_due_at = CASE WHEN exceptions.reason_code <> EXCLUDED.reason_code
                              THEN exceptions.created_at + (EXCLUDED.sla_due_at - $4) ELSE exceptions.sla_due_at END,
            reason_code = EXCLUDED.reason_code, pg_amount_paise = EXCLUDED.pg_amount_paise,
            bank_amount_paise = EXCLUDED.bank_amount_paise, delta_paise = EXCLUDED.delta_paise,
            bank_line_id = EXCLUDED.bank_line_id, utr = EXCLUDED.utr, updated_at = now()",
    )
    .bind(&day)
    .bind(run_id)
    .bind(cycle_date)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO exceptions (id, run_id, reason_code, severity, sla_due_at, bank_amount_paise, cycle_date, utr,
                                 bank_line_id)
         SELECT 'EXC-' || $1 || '-' || lpad(n, greatest(length(n), 6), '0'), $2, reason_code,
                severity::severity, sla_due_at, bank_amount_paise, $3, utr, bank_line_id
         FROM (SELECT nextval('exception_number_seq')::text AS n, * FROM staging_exceptions
               WHERE transaction_id IS NULL OFFSET 0) s
         ON CONFLICT (bank_line_id) WHERE transaction_id IS NULL DO UPDATE SET run_id = EXCLUDED.run_id,
            severity = CASE WHEN exceptions.reason_code <> EXCLUDED.reason_code THEN EXCLUDED.severity ELSE exceptions.severity END,
            sla_due_at = CASE WHEN exceptions.reason_code <> EXCLUDED.reason_code
                              THEN exceptions.created_at + (EXCLUDED.sla_due_at - $4) ELSE exceptions.sla_due_at END,
            reason_code = EXCLUDED.reason_code, utr = EXCLUDED.utr, updated_at = now()",
    )
    .bind(&day)
    .bind(run_id)
    .bind(cycle_date)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Rows that match now: their open exceptions resolve as AUTO_MATCHED, with a note. A bank line's
/// own record (BANK_TXN_MISSING_IN_PG, DUPLICATE_BANK_ENTRY) that a PG row now pairs in an
/// exception class resolves as DUPLICATE when the PG row's record is being worked (active, not
/// escalated on the line's side): that record carries the line from now on, so the queue holds
/// one open record for it, not two. A line's record a run resolved so opens again once a run finds
/// the line unpaired (the PG row took another UTR from a file sent again).
async fn auto_resolve(
    tx: &mut sqlx::PgConnection,
    run_id: Uuid,
    cycle_date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let active = Status::codes(&Status::ACTIVE);
    let resolved = sqlx::query!(
        r#"WITH matched AS (
             SELECT transaction_id, bank_line_id FROM recon_results
             WHERE run_id = $1 AND side = 'pg' AND class = 'MATCHED'),
         r AS (
             SELECT id, status FROM exceptions
             WHERE status = ANY($3)
               AND (transaction_id IN (SELECT transaction_id FROM matched)
                    OR (transaction_id IS NULL AND bank_line_id IN (SELECT bank_line_id FROM matched)))
             FOR UPDATE)
         UPDATE exceptions e SET status = 'resolved', resolution = 'AUTO_MATCHED', resolved_at = $2, updated_at = $2,
                snoozed_until = NULL,
                run_id = $1
         FROM r WHERE e.id = r.id
         RETURNING e.id, r.status AS "status!""#,
        run_id,
        now as DateTime<Utc>,
        &active[..] as &[&str],
    )
    .fetch_all(&mut *tx)
    .await?;
    let note = format!("Matched by recon run {run_id} of cycle {cycle_date}");
    let moves: Vec<RunMove> = resolved
        .into_iter()
        .map(|r| RunMove {
            id: r.id,
            before: json!({ "status": r.status }),
            after: json!({ "status": "resolved", "resolution": "AUTO_MATCHED" }),
            note: note.clone(),
        })
        .collect();
    log_run_moves(&mut *tx, "auto_resolve", &moves, now).await?;

    let carried = sqlx::query!(
        r#"WITH paired AS (
             SELECT r.bank_line_id, x.id AS carrier FROM recon_results r
             JOIN exceptions x ON x.transaction_id = r.transaction_id AND x.status = ANY($3)
             WHERE r.run_id = $1 AND r.side = 'pg' AND r.class <> 'MATCHED' AND r.bank_line_id IS NOT NULL),
         r AS (
             SELECT e.id, e.status, paired.carrier FROM exceptions e JOIN paired ON paired.bank_line_id = e.bank_line_id
             WHERE e.transaction_id IS NULL AND e.status = ANY($3) AND e.status <> 'escalated'
             FOR UPDATE OF e)
         UPDATE exceptions e SET status = 'resolved', resolution = 'DUPLICATE', resolved_at = $2, updated_at = $2,
                snoozed_until = NULL,
                run_id = $1
         FROM r WHERE e.id = r.id
         RETURNING e.id, r.status AS "status!", r.carrier"#,
        run_id,
        now as DateTime<Utc>,
        &active[..] as &[&str],
    )
    .fetch_all(&mut *tx)
    .await?;
    let moves: Vec<RunMove> = carried
        .into_iter()
        .map(|r| RunMove {
            id: r.id,
            before: json!({ "status": r.status }),
            after: json!({ "status": "resolved", "resolution": "DUPLICATE" }),
            note: format!(
                "Paired with a PG row by recon run {run_id} of cycle {cycle_date}: {} carries the line",
                r.carrier
            ),
        })
        .collect();
    log_run_moves(&mut *tx, "auto_resolve", &moves, now).await?;

    // Resolved as DUPLICATE by a run (the last action that set its status is the run's, not an
    // analyst's), and the line unpaired again. Last by id, not by time: a run stamps its rows with
    // the time it started, and each status change writes its row under the record's lock, so ids
    // are in the order the changes were made.
    let reopened = sqlx::query_scalar!(
        r#"WITH unpaired AS (
             SELECT bank_line_id FROM recon_results WHERE run_id = $1 AND side = 'bank'),
         r AS (
             SELECT e.id FROM exceptions e JOIN unpaired u ON u.bank_line_id = e.bank_line_id
             WHERE e.transaction_id IS NULL AND e.status = 'resolved' AND e.resolution = 'DUPLICATE'
               AND (SELECT a.actor_id IS NULL AND a.action = 'auto_resolve' FROM exception_actions a
                    WHERE a.exception_id = e.id AND a.after ? 'status' ORDER BY a.id DESC LIMIT 1)
             FOR UPDATE OF e)
         UPDATE exceptions e SET status = 'open', resolution = NULL, resolved_at = NULL, snoozed_until = NULL, updated_at = $2,
                run_id = $1
         FROM r WHERE e.id = r.id
         RETURNING e.id"#,
        run_id,
        now as DateTime<Utc>,
    )
    .fetch_all(&mut *tx)
    .await?;
    let note = format!("The line is unpaired again in recon run {run_id} of cycle {cycle_date}");
    let moves: Vec<RunMove> = reopened
        .into_iter()
        .map(|id| RunMove {
            id,
            before: json!({ "status": "resolved", "resolution": "DUPLICATE" }),
            after: json!({ "status": "open" }),
            note: note.clone(),
        })
        .collect();
    log_run_moves(&mut *tx, "reopen", &moves, now).await?;
    Ok(())
}

/// A run's change to an exception record, as its action row tells it.
struct RunMove {
    id: String,
    before: serde_json::Value,
    after: serde_json::Value,
    note: String,
}

/// The action rows of a run's changes (no actor: the run made them).
async fn log_run_moves(
    tx: &mut sqlx::PgConnection,
    action: &str,
    moves: &[RunMove],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for chunk in moves.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO exception_actions (exception_id, action, actor_id, acted_at, before, after, note) ",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(&m.id)
                .push_bind(action)
                .push_bind(None::<Uuid>)
                .push_bind(now)
                .push_bind(&m.before)
                .push_bind(&m.after)
                .push_bind(&m.note);
        });
        qb.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Supersede the cycle's previous completed run and complete this one with its counts and stored totals.
async fn finish_run(tx: &mut sqlx::PgConnection, p: &Persist<'_>) -> Result<(), AppError> {
    let Persist { run_id, cycle_date, now, outcome, .. } = *p;
    let counts = outcome.counts();
    sqlx::query!(
        "UPDATE recon_runs SET superseded_by = $1
         WHERE cycle_date = $2 AND id <> $1 AND status = 'completed' AND superseded_by IS NULL",
        run_id,
        cycle_date as NaiveDate,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE recon_runs SET status = 'completed', stage = 'persist', progress_pct = 100, finished_at = $2,
                pg_rows = $3, bank_rows = $4, matched = $5, exceptions = $6, unmatched_pg = $7, unmatched_bank = $8,
                error = NULL
         WHERE id = $1",
        run_id,
        now as DateTime<Utc>,
        counts.pg_rows as i32,
        counts.bank_rows as i32,
        counts.pg_matched as i32,
        counts.pg_exceptions as i32,
        counts.unmatched_pg as i32,
        counts.unmatched_bank as i32,
    )
    .execute(&mut *tx)
    .await?;
    store_totals(&mut *tx, &[run_id]).await?;
    Ok(())
}

/// A run's exception records by reason, as stored (JSON).
type ByReason = sqlx::types::Json<std::collections::BTreeMap<String, i64>>;

/// A run as stored (counts, amounts and records by reason are written when the run is persisted,
/// so reading a run never aggregates its results); [`run`] and [`recent_runs`] select its columns.
struct RunRow {
    id: Uuid,
    cycle_date: NaiveDate,
    status: String,
    stage: Option<String>,
    progress_pct: i16,
    pg_rows: i32,
    bank_rows: i32,
    matched: i32,
    exceptions: i32,
    unmatched_pg: i32,
    unmatched_bank: i32,
    matched_paise: Paise,
    exceptions_paise: Paise,
    unmatched_pg_paise: Paise,
    unmatched_bank_paise: Paise,
    by_reason: ByReason,
    error: Option<String>,
    superseded_by: Option<Uuid>,
    queued_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl From<RunRow> for RunView {
    fn from(r: RunRow) -> RunView {
        RunView {
            id: r.id,
            cycle_date: r.cycle_date,
            status: r.status,
            stage: r.stage,
            progress_pct: r.progress_pct,
            counts: RunCounts {
                pg_rows: r.pg_rows,
                bank_rows: r.bank_rows,
                matched: r.matched,
                exceptions: r.exceptions,
                unmatched_pg: r.unmatched_pg,
                unmatched_bank: r.unmatched_bank,
            },
            amounts: RunAmounts {
                matched_paise: r.matched_paise,
                exceptions_paise: r.exceptions_paise,
                unmatched_pg_paise: r.unmatched_pg_paise,
                unmatched_bank_paise: r.unmatched_bank_paise,
            },
            by_reason: r.by_reason.0,
            error: r.error,
            superseded_by: r.superseded_by,
            queued_at: r.queued_at,
            finished_at: r.finished_at,
        }
    }
}

/// Store the amounts and exception records by reason of runs whose results are written (one SQL
/// definition, `recon_store_run_totals`, shared with the demo loader and the migration that added them).
pub async fn store_totals<'e>(db: impl sqlx::PgExecutor<'e>, run_ids: &[Uuid]) -> Result<(), AppError> {
    sqlx::query!("SELECT recon_store_run_totals($1)", run_ids).fetch_one(db).await?;
    Ok(())
}

/// One run with its counts, amounts and the exception records by reason (PG rows with a reason,
/// and bank lines that are duplicates or missing in PG).
pub async fn run(pool: &PgPool, id: Uuid) -> Result<RunView, AppError> {
    // The same columns as [`recent_runs`] (a test below holds the copies equal).
    let row = sqlx::query_as!(
        RunRow,
        r#"SELECT id, cycle_date AS "cycle_date: NaiveDate", status, stage, progress_pct, pg_rows, bank_rows, matched, exceptions,
                unmatched_pg, unmatched_bank, matched_paise AS "matched_paise: Paise",
                exceptions_paise AS "exceptions_paise: Paise", unmatched_pg_paise AS "unmatched_pg_paise: Paise",
                unmatched_bank_paise AS "unmatched_bank_paise: Paise",
                by_reason AS "by_reason: ByReason", error,
                superseded_by, queued_at AS "queued_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>"
         FROM recon_runs WHERE id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.ok_or_else(|| AppError::NotFound("No recon run with that id.".into()))?.into())
}

/// The result rows a run shows: PG rows, and bank lines without a PG partner (runs before
/// migration 20261216000001 also stored a bank-side copy of each pair, which this skips); `$1` the
/// run, `$2` the class or null. [`results`]' count and [`result_rows`] write out the
/// same WHERE text (the query macros take literals only; a test below holds the copies equal).
///
/// A page of a run's results and the number of all of them; `class` filters (MATCHED,
/// EXCEPTION, UNMATCHED_PG, UNMATCHED_BANK).
pub async fn results(
    pool: &PgPool,
    run_id: Uuid,
    class: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ResultRow>, i64), AppError> {
    let rows = result_rows(pool, run_id, class, limit, offset).try_collect().await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM recon_results r
         WHERE r.run_id = $1 AND (r.side = 'pg' OR r.transaction_id IS NULL) AND ($2::text IS NULL OR r.class = $2)"#,
        run_id,
        class,
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// The rows of [`results`] as the database sends them: a cursor, never the whole set in memory
/// (the CSV export).
pub fn result_rows<'a>(
    db: impl sqlx::PgExecutor<'a> + 'a,
    run_id: Uuid,
    class: Option<&'a str>,
    limit: i64,
    offset: i64,
) -> impl Stream<Item = Result<ResultRow, AppError>> + Send + 'a {
    // Columns of the LEFT JOINed tables (and expressions over them) may be null.
    sqlx::query_as!(
        ResultRow,
        r#"SELECT r.side, r.class, r.reason_code, t.txn_id AS "txn_id?", coalesce(t.utr, b.utr) AS "utr?",
                coalesce(t.rrn, b.rrn) AS "rrn?", r.pg_amount_paise AS "pg_amount_paise: Paise",
                r.bank_amount_paise AS "bank_amount_paise: Paise", r.delta_paise AS "delta_paise: Paise",
                (t.txn_at AT TIME ZONE 'Asia/Kolkata')::date AS "pg_date?: NaiveDate",
                b.txn_date AS "bank_date?: NaiveDate",
                b.bank_ref AS "bank_ref?",
                coalesce(ex.id, exb.id) AS "exception_id?"
         FROM recon_results r
         LEFT JOIN transactions t ON t.id = r.transaction_id
         LEFT JOIN bank_statement_lines b ON b.id = r.bank_line_id
         LEFT JOIN exceptions ex ON r.transaction_id IS NOT NULL AND ex.transaction_id = r.transaction_id
         LEFT JOIN exceptions exb ON r.transaction_id IS NULL AND exb.transaction_id IS NULL
                                 AND exb.bank_line_id = r.bank_line_id
         WHERE r.run_id = $1 AND (r.side = 'pg' OR r.transaction_id IS NULL) AND ($2::text IS NULL OR r.class = $2)
         ORDER BY r.id LIMIT $3 OFFSET $4"#,
        run_id,
        class,
        limit,
        offset,
    )
    .fetch(db)
    .map_err(AppError::from)
}

/// A result class from a URL or the API: one of the four, or none.
pub fn valid_class(class: Option<&str>) -> Result<Option<&str>, AppError> {
    match class.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) if super::model::CLASSES.iter().any(|(code, _)| *code == c) => Ok(Some(c)),
        Some(_) => {
            Err(AppError::BadRequest("class must be MATCHED, EXCEPTION, UNMATCHED_PG or UNMATCHED_BANK.".into()))
        }
    }
}

/// How many result rows of a run fall in each class (the page's tabs; same rows as [`results`]).
pub async fn class_counts(pool: &PgPool, run_id: Uuid) -> Result<Vec<(String, i64)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT class, count(*) AS "count!" FROM recon_results
         WHERE run_id = $1 AND (side = 'pg' OR transaction_id IS NULL)
         GROUP BY class ORDER BY class"#,
        run_id,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|c| (c.class, c.count))
    .collect())
}

/// The latest runs, newest first: one query.
pub async fn recent_runs(pool: &PgPool, limit: i64) -> Result<Vec<RunView>, AppError> {
    // The same columns as [`run`] (a test below holds the copies equal).
    let rows = sqlx::query_as!(
        RunRow,
        r#"SELECT id, cycle_date AS "cycle_date: NaiveDate", status, stage, progress_pct, pg_rows, bank_rows, matched, exceptions,
                unmatched_pg, unmatched_bank, matched_paise AS "matched_paise: Paise",
                exceptions_paise AS "exceptions_paise: Paise", unmatched_pg_paise AS "unmatched_pg_paise: Paise",
                unmatched_bank_paise AS "unmatched_bank_paise: Paise",
                by_reason AS "by_reason: ByReason", error,
                superseded_by, queued_at AS "queued_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>"
         FROM recon_runs ORDER BY queued_at DESC, id LIMIT $1"#,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(RunView::from).collect())
}

#[cfg(test)]
mod tests {
    use crate::db::sql_copies::count;

    /// The query macros take literals only, so these fragments are written out in two queries each.
    #[test]
    fn copied_sql_has_not_drifted() {
        let source = include_str!("runs.rs");
        // `results`' count and `result_rows`.
        let results_where = "WHERE r.run_id = $1 AND (r.side = 'pg' OR r.transaction_id IS NULL)
            AND ($2::text IS NULL OR r.class = $2)";
        assert_eq!(count(source, results_where), 2);
        // `run` and `recent_runs`.
        let run_columns = r#"SELECT id, cycle_date AS "cycle_date: NaiveDate", status, stage, progress_pct, pg_rows,
            bank_rows, matched, exceptions, unmatched_pg, unmatched_bank, matched_paise AS "matched_paise: Paise",
            exceptions_paise AS "exceptions_paise: Paise", unmatched_pg_paise AS "unmatched_pg_paise: Paise",
            unmatched_bank_paise AS "unmatched_bank_paise: Paise", by_reason AS "by_reason: ByReason", error,
            superseded_by, queued_at AS "queued_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>"
            FROM recon_runs"#;
        assert_eq!(count(source, run_columns), 2);
    }
}
