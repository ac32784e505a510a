//! Scheduled reports: a report, its filter (a window of the `window_days` cycle dates up to the
//! day before each run, a merchant, an acquirer), a format, a five-field cron read in IST and the
//! addresses to tell. Every instance ticks every [`TICK`]: each schedule due is moved to its next
//! time and its run queued as a job ([`JOB_KIND`]) in one transaction, the schedule's row locked
//! `FOR UPDATE SKIP LOCKED` and the run unique per schedule and due time, so a due time runs once
//! however many instances see it. A schedule that missed several times (every instance down) runs
//! once, for its latest due time, and goes on from now. Schedules fire at most hourly (the cron's
//! minute is one number, and a changed cron's next time is an hour after the latest run at least),
//! a user keeps at most [`MAX_PER_USER`], and their jobs queue behind the desk's own (recon runs,
//! batching) at a lower priority.
//!
//! The job writes the report to a temporary file ([`crate::http::xlsx::build_file`], the
//! download's writer), stores it in the object store under `reports/…` while hashing it (SHA-256),
//! records the run, and e-mails each recipient a link to the run on the schedules page over SMTP
//! ([`crate::mail::Mailer`]; off when `SMTP_HOST` is unset: the file is stored and listed all the
//! same). A recipient the relay refuses fails the job, which the queue retries for the recipients
//! not mailed yet; the stored file is not written twice. A report longer than an XLSX file holds
//! fails its run and its job at once, in words (no retry would make it shorter). A run whose
//! schedule was deleted, or whose creator was disabled, after it was queued does nothing; whether
//! its file masks personal data follows the creator's roles when it is written.
//!
//! A schedule can be changed ([`update`]) but for its report. A run takes the format, merchant,
//! acquirer and recipients its schedule has when it runs (so a run queued before a change to CSV
//! is written as CSV); its window of dates was fixed when it was queued. A run's stored file keeps
//! its name and format whatever the schedule says later.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use super::model::{Filter, Format, NewSchedule, Report, RunRow, ScheduleRow, MAX_RECIPIENTS};
use super::queries;
use crate::audit::{self, AuditEntry};
use crate::auth::{Access, CurrentUser, Role};
use crate::error::AppError;
use crate::http::xlsx::FileKind;
use crate::sheet::Masking;
use crate::state::AppState;

pub const JOB_KIND: &str = "report.scheduled_run";
/// How often each instance looks for schedules due.
pub const TICK: Duration = Duration::from_secs(30);
/// Runs the schedules page lists.
pub const RECENT_RUNS: i64 = 50;
/// Live schedules one user may keep.
pub const MAX_PER_USER: i64 = 20;
/// Report jobs run after any job of the default priority (0) that is ready.
const JOB_PRIORITY: i16 = -1;

fn parse_cron(cron: &str) -> Result<croner::Cron, String> {
    cron.parse::<croner::Cron>().map_err(|e| {
        format!("\"{cron}\" is not a schedule: {e}. Use five cron fields in IST, e.g. \"0 9 * * 1\" for 09:00 every Monday.")
    })
}

/// The cron's next time strictly after `after`, the cron read in IST; a cron that cannot be read
/// (or never fires) is refused in words.
pub fn next_after(cron: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let ist = after.with_timezone(&crate::ist::offset());
    parse_cron(cron)?
        .find_next_occurrence(&ist, false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("\"{cron}\" never comes round."))
}

/// A schedule's next time: the cron's next after `now`, and at least an hour after its latest run
/// (`last_due`), however its cron was changed in between.
fn next_run(cron: &str, now: DateTime<Utc>, last_due: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, String> {
    // Minutes are whole in a cron: its next time after 59 minutes past the last run is an hour on.
    next_after(cron, last_due.map_or(now, |last| now.max(last + chrono::Duration::minutes(59))))
}

/// The next run of a schedule whose cron is changed from `old_cron` to `new_cron` at `now` (its
/// next run was `old_next`, its latest run was due at `last_due`): it stays when the cron is the
/// same, or when it is due already and not queued yet (that run is still made, and the tick that
/// queues it goes on by the new cron); otherwise the new cron's [`next_run`]. A new cron that
/// cannot be read is refused in words either way.
pub fn next_after_change(
    old_cron: &str,
    old_next: DateTime<Utc>,
    new_cron: &str,
    now: DateTime<Utc>,
    last_due: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, String> {
    let by_new_cron = next_run(new_cron, now, last_due)?;
    Ok(if new_cron == old_cron || old_next <= now { old_next } else { by_new_cron })
}

/// A schedule's id as a URL or form gives it; anything else names no schedule.
pub fn schedule_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::NotFound("No such schedule.".into()))
}

/// Who may change or delete a schedule: its creator while they may schedule (not once made an
/// auditor), or an admin.
pub fn may_change(created_by: Uuid, user: &CurrentUser) -> bool {
    (created_by == user.id && user.may(Access::REPORT_SCHEDULES)) || user.may(Access::ADMIN)
}

/// Whom a run still mails: its schedule's recipients not mailed yet, and no more than
/// [`MAX_RECIPIENTS`] addresses in all for the run, however its recipients were changed between
/// the run's attempts.
pub fn still_to_mail<'a>(recipients: &'a [String], mailed: &[String]) -> Vec<&'a String> {
    recipients.iter().filter(|to| !mailed.contains(to)).take(MAX_RECIPIENTS.saturating_sub(mailed.len())).collect()
}

/// A schedule and its next run as its audit entries record them.
fn audited(s: &NewSchedule, next_run_at: DateTime<Utc>) -> serde_json::Value {
    json!({
        "name": s.name, "report": s.report.slug(), "format": s.format.extension(), "windowDays": s.window_days,
        "merchantId": s.merchant_id, "acquirer": s.acquirer, "cron": s.cron, "recipients": s.recipients,
        "nextRunAt": next_run_at,
    })
}

/// The cron's latest time at or before `now` (IST), if it has one.
fn latest_due(cron: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let ist = now.with_timezone(&crate::ist::offset());
    parse_cron(cron).ok()?.find_previous_occurrence(&ist, true).ok().map(|t| t.with_timezone(&Utc))
}

/// The cycle dates a run due at `due` covers: the `days` IST days up to the day before.
pub fn window(due: DateTime<Utc>, days: i16) -> (NaiveDate, NaiveDate) {
    let to = crate::ist::date_of(due) - chrono::Duration::days(1);
    (to - chrono::Duration::days(i64::from(days.max(1)) - 1), to)
}

/// Create a schedule for `user`; its id and first run.
pub async fn create(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    new: &NewSchedule,
    now: DateTime<Utc>,
) -> Result<(Uuid, DateTime<Utc>), AppError> {
    let next = next_after(&new.cron, now).map_err(AppError::BadRequest)?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    // One creator's schedules are counted under a lock on their user row, so two at once cannot
    // both pass the limit.
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE", user.id).fetch_optional(&mut *tx).await?;
    let live = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM report_schedules WHERE created_by = $1 AND deleted_at IS NULL"#,
        user.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if live >= MAX_PER_USER {
        return Err(AppError::Conflict(format!(
            "You already have {MAX_PER_USER} schedules. Delete one you no longer need first."
        )));
    }
    known_merchant(&mut tx, new.merchant_id.as_deref()).await?;
    let inserted = sqlx::query!(
        "INSERT INTO report_schedules (id, name, report, format, window_days, merchant_id, acquirer, cron, recipients,
                                       created_by, created_at, next_run_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (created_by, name) WHERE deleted_at IS NULL DO NOTHING",
        id,
        new.name,
        new.report.slug(),
        new.format.extension(),
        new.window_days,
        new.merchant_id,
        new.acquirer,
        new.cron,
        &new.recipients,
        user.id,
        now as DateTime<Utc>,
        next as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("You already have a schedule called \"{}\".", new.name)));
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            after: Some(audited(new, next)),
            ..AuditEntry::by(user, "report.schedule.create", "report_schedule")
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, next))
}

/// A schedule's merchant, if it names one, is one the product knows.
async fn known_merchant(tx: &mut sqlx::PgConnection, merchant: Option<&str>) -> Result<(), AppError> {
    if let Some(m) = merchant {
        let known = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM merchants WHERE id = $1) AS "known!""#, m)
            .fetch_one(&mut *tx)
            .await?;
        if !known {
            return Err(AppError::BadRequest(format!("There is no merchant {m}.")));
        }
    }
    Ok(())
}

/// Change a schedule (its creator, or an admin): everything but its report, which its past runs
/// are listed under (another report is another schedule). Its next run stays when the cron is the
/// same, or when it is due already (not queued yet: it is still made, and the tick that queues it
/// goes on by the new cron); otherwise it is the new cron's next time after `now`, and at least an
/// hour after the schedule's latest run, so that changing the cron again and again cannot run a
/// report more often than hourly. The change is audited with the schedule before and after.
pub async fn update(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    new: &NewSchedule,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let mut tx = pool.begin().await?;
    // Locked as the scheduler locks a schedule it queues: an edit waits for a tick that holds it,
    // and the tick after the edit sees the new cron.
    let old = sqlx::query!(
        r#"SELECT name, report, format, window_days, merchant_id, acquirer, cron, recipients, created_by,
                  next_run_at AS "next_run_at: DateTime<Utc>"
           FROM report_schedules WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"#,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("No such schedule.".into()))?;
    if !may_change(old.created_by, user) {
        return Err(AppError::Forbidden);
    }
    if new.report.slug() != old.report {
        return Err(AppError::BadRequest(
            "A schedule keeps its report, which its past runs are listed under: schedule the other report as a new one."
                .into(),
        ));
    }
    known_merchant(&mut tx, new.merchant_id.as_deref()).await?;
    // Read once the row is locked, so a run a tick queued just before is seen.
    let last_due = sqlx::query_scalar!(
        r#"SELECT max(due_at) AS "last: DateTime<Utc>" FROM report_runs WHERE schedule_id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    let next = next_after_change(&old.cron, old.next_run_at, &new.cron, now, last_due).map_err(AppError::BadRequest)?;
    sqlx::query!(
        "UPDATE report_schedules SET name = $2, format = $3, window_days = $4, merchant_id = $5, acquirer = $6,
                cron = $7, recipients = $8, next_run_at = $9
         WHERE id = $1",
        id,
        new.name,
        new.format.extension(),
        new.window_days,
        new.merchant_id,
        new.acquirer,
        new.cron,
        &new.recipients,
        next as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        // The unique index of live names per creator (migration `report_schedules`).
        if e.as_database_error().and_then(|d| d.constraint()) == Some("report_schedules_name_key") {
            AppError::Conflict(format!("There is a schedule called \"{}\" of the same creator already.", new.name))
        } else {
            e.into()
        }
    })?;
    let before = NewSchedule {
        name: old.name,
        report: new.report,
        format: Format::parse(&old.format).unwrap_or(Format::Csv),
        window_days: old.window_days,
        merchant_id: old.merchant_id,
        acquirer: old.acquirer,
        cron: old.cron,
        recipients: old.recipients,
    };
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(audited(&before, old.next_run_at)),
            after: Some(audited(new, next)),
            ..AuditEntry::by(user, "report.schedule.update", "report_schedule")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// Delete a schedule: its creator, or an admin. Its runs and files stay.
pub async fn delete(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        "SELECT name, created_by FROM report_schedules WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("No such schedule.".into()))?;
    if !may_change(row.created_by, user) {
        return Err(AppError::Forbidden);
    }
    sqlx::query!("UPDATE report_schedules SET deleted_at = $2 WHERE id = $1", id, now as DateTime<Utc>)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(json!({ "name": row.name })),
            ..AuditEntry::by(user, "report.schedule.delete", "report_schedule")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The schedules not deleted, by next run; `caller` decides which they may change.
pub async fn schedules(pool: &PgPool, caller: &CurrentUser) -> Result<Vec<ScheduleRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT s.id, s.name, s.report, s.format, s.window_days, s.merchant_id, s.acquirer, s.cron, s.recipients,
                  s.created_by, u.email AS "created_by_email!", s.created_at AS "created_at: DateTime<Utc>",
                  s.next_run_at AS "next_run_at: DateTime<Utc>"
           FROM report_schedules s JOIN users u ON u.id = s.created_by
           WHERE s.deleted_at IS NULL ORDER BY s.next_run_at, s.name"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ScheduleRow {
            id: r.id,
            name: r.name,
            // The table's CHECKs hold these to the lists.
            report: Report::parse(&r.report).unwrap_or(Report::SettlementSummary),
            format: Format::parse(&r.format).unwrap_or(Format::Csv),
            window_days: r.window_days,
            merchant_id: r.merchant_id,
            acquirer: r.acquirer,
            cron: r.cron,
            recipients: r.recipients,
            created_by: r.created_by_email,
            created_at: r.created_at,
            next_run_at: r.next_run_at,
            may_change: may_change(r.created_by, caller),
        })
        .collect())
}

/// The latest runs, newest first.
pub async fn runs(pool: &PgPool, limit: i64) -> Result<Vec<RunRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT r.id, r.schedule_id, s.name, s.report, r.masked, r.accounts_masked, r.due_at AS "due_at: DateTime<Utc>",
                  r.window_from AS "window_from: NaiveDate", r.window_to AS "window_to: NaiveDate", r.status,
                  r.file_name, r.sha256, r.size_bytes, r.emailed_at AS "emailed_at: DateTime<Utc>", r.email_note, r.error
           FROM report_runs r JOIN report_schedules s ON s.id = r.schedule_id
           ORDER BY r.created_at DESC, r.id LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let report = Report::parse(&r.report).unwrap_or(Report::SettlementSummary);
            RunRow {
                id: r.id,
                schedule_id: r.schedule_id,
                schedule_name: r.name,
                report,
                due_at: r.due_at,
                window_from: r.window_from,
                window_to: r.window_to,
                status: r.status,
                file_name: r.file_name,
                sha256: r.sha256,
                size_bytes: r.size_bytes,
                emailed_at: r.emailed_at,
                email_note: r.email_note,
                error: r.error,
                unmasked_personal_data: file_masking(r.masked, r.accounts_masked)
                    .is_some_and(|m| m.shows_more_than(Masking::ALL, report.columns())),
            }
        })
        .collect())
}

/// How a run's file was masked, from its `masked` and `accounts_masked` columns (none before it is
/// written).
fn file_masking(masked: Option<bool>, accounts_masked: Option<bool>) -> Option<Masking> {
    Some(Masking { free_text: masked?, accounts: accounts_masked? })
}

/// One run's stored file: its name, format (its name's extension: the schedule's format may have
/// changed since), its report and how it was masked, and where it is stored.
pub struct StoredFile {
    pub file_name: String,
    pub format: Format,
    pub report: Report,
    pub masking: Masking,
    pub storage_key: String,
}

pub async fn stored_file(pool: &PgPool, run_id: Uuid) -> Result<StoredFile, AppError> {
    let r = sqlx::query!(
        r#"SELECT r.file_name AS "file_name!", r.storage_key AS "storage_key!", s.report, r.masked AS "masked!",
                  r.accounts_masked AS "accounts_masked!"
           FROM report_runs r JOIN report_schedules s ON s.id = r.schedule_id
           WHERE r.id = $1 AND r.status = 'completed'"#,
        run_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("No finished report run with that id.".into()))?;
    let report = Report::parse(&r.report).unwrap_or(Report::SettlementSummary);
    Ok(StoredFile {
        format: r.file_name.rsplit_once('.').and_then(|(_, extension)| Format::parse(extension)).unwrap_or(Format::Csv),
        file_name: r.file_name,
        report,
        masking: Masking { free_text: r.masked, accounts: r.accounts_masked },
        storage_key: r.storage_key,
    })
}

/// Queue a run of every schedule due at `now` and move each to its next time; how many were queued.
pub async fn enqueue_due(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT id, cron, next_run_at AS "next_run_at: DateTime<Utc>", window_days FROM report_schedules
         WHERE deleted_at IS NULL AND next_run_at <= $1
         ORDER BY next_run_at LIMIT 100 FOR UPDATE SKIP LOCKED"#,
        now as DateTime<Utc>
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut queued = 0;
    for s in due {
        // A schedule that missed several times runs once, for the latest time it was due.
        let due_at = latest_due(&s.cron, now).filter(|t| *t >= s.next_run_at).unwrap_or(s.next_run_at);
        let next = next_run(&s.cron, now, Some(due_at));
        let (from, to) = window(due_at, s.window_days);
        let run_id = Uuid::new_v4();
        let inserted = sqlx::query!(
            "INSERT INTO report_runs (id, schedule_id, due_at, window_from, window_to, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (schedule_id, due_at) DO NOTHING",
            run_id,
            s.id,
            due_at as DateTime<Utc>,
            from as NaiveDate,
            to as NaiveDate,
            now as DateTime<Utc>,
        )
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            let job = crate::jobs::enqueue(
                &mut *tx,
                JOB_KIND,
                &json!({ "runId": run_id }),
                Some(&format!("report-run:{run_id}")),
            )
            .await?;
            sqlx::query!("UPDATE jobs SET priority = $2 WHERE id = $1", job, JOB_PRIORITY).execute(&mut *tx).await?;
            sqlx::query!("UPDATE report_runs SET job_id = $2 WHERE id = $1", run_id, job).execute(&mut *tx).await?;
            queued += 1;
        }
        match next {
            Ok(next) => {
                sqlx::query!("UPDATE report_schedules SET next_run_at = $2 WHERE id = $1", s.id, next as DateTime<Utc>)
                    .execute(&mut *tx)
                    .await?;
            }
            // A cron that was read when the schedule was made reads now; one that never comes
            // round again (a date past) stops the schedule.
            Err(reason) => {
                tracing::warn!(schedule = %s.id, reason, "schedule has no next time; it stops");
                sqlx::query!("UPDATE report_schedules SET deleted_at = $2 WHERE id = $1", s.id, now as DateTime<Utc>)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(queued)
}

/// Every instance ticks: schedules due are queued once between them.
pub fn spawn_scheduler(state: AppState) {
    let pool = state.pool.clone();
    crate::jobs::every(pool, TICK, "queueing scheduled reports", move || {
        let state = state.clone();
        async move {
            let queued = enqueue_due(&state.pool, state.clock.now()).await?;
            if queued > 0 {
                tracing::info!(queued, "scheduled reports queued");
            }
            Ok(())
        }
    });
}

/// The job: write the run's file (once), store it with its hash, then mail the recipients. A
/// refusal that another attempt would meet again (a report longer than an XLSX file holds) fails
/// the run and the job at once, instead of building the file again at every retry.
pub async fn execute_job(state: &AppState, job: &crate::jobs::Job) -> Result<(), crate::jobs::Failure> {
    let run_id = run_of(&job.payload).ok_or_else(|| crate::jobs::Failure::lasting("the job names no run"))?;
    match run(state, run_id).await {
        Ok(()) => Ok(()),
        Err(error) => {
            let failure = crate::jobs::Failure::of(&error);
            // The run says why, whether or not the queue tries again.
            let _ = fail_run(&state.pool, job, run_id, &failure.reason, failure.is_last(job), state.clock.now()).await;
            Err(failure)
        }
    }
}

fn run_of(payload: &serde_json::Value) -> Option<Uuid> {
    payload.get("runId").and_then(|v| v.as_str()).and_then(|v| Uuid::parse_str(v).ok())
}

/// Record a run's failure: its reason, and `failed` when no attempt is left (a run whose file is
/// stored stays completed: only its e-mail failed, which its note says). Only while this worker
/// still holds the job: one whose job was taken over leaves the run to the new holder.
async fn fail_run(
    pool: &PgPool,
    job: &crate::jobs::Job,
    run_id: Uuid,
    reason: &str,
    last: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE report_runs SET error = $2,
                status = CASE WHEN $3 AND status = 'queued' THEN 'failed' ELSE status END,
                finished_at = CASE WHEN $3 AND status = 'queued' THEN $4 ELSE finished_at END
         WHERE id = $1
           AND EXISTS (SELECT 1 FROM jobs WHERE id = $5 AND locked_by = $6 AND status = 'running')",
        run_id,
        reason,
        last,
        now as DateTime<Utc>,
        job.id,
        job.locked_by,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A report job whose worker died on its last attempt: its run failed (in the queue's transaction).
pub async fn abandoned(tx: &mut sqlx::PgConnection, payload: &serde_json::Value, reason: &str) -> Result<(), AppError> {
    if let Some(run_id) = run_of(payload) {
        sqlx::query!(
            "UPDATE report_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'queued'",
            run_id,
            reason,
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The run's job is queued again (the jobs console's retry): the run is open again.
pub async fn reopen(tx: &mut sqlx::PgConnection, payload: &serde_json::Value) -> Result<(), AppError> {
    if let Some(run_id) = run_of(payload) {
        sqlx::query!(
            "UPDATE report_runs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = $1 AND status = 'failed'",
            run_id
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn run(state: &AppState, run_id: Uuid) -> Result<(), AppError> {
    let r = sqlx::query!(
        r#"SELECT r.window_from AS "window_from: NaiveDate", r.window_to AS "window_to: NaiveDate", r.storage_key,
                  r.sha256, r.file_name, r.emailed_to, r.emailed_at AS "emailed_at: DateTime<Utc>", s.id AS schedule_id, s.name,
                  s.report, s.format, s.merchant_id, s.acquirer, s.recipients, s.deleted_at IS NOT NULL AS "deleted!",
                  u.is_active AS creator_active,
                  coalesce((SELECT array_agg(role_code) FROM user_roles WHERE user_id = s.created_by), '{}') AS "creator_roles!"
           FROM report_runs r JOIN report_schedules s ON s.id = r.schedule_id JOIN users u ON u.id = s.created_by
           WHERE r.id = $1"#,
        run_id
    )
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| AppError::NotFound("No such report run.".into()))?;
    let report = Report::parse(&r.report).ok_or(AppError::Internal)?;
    let format = Format::parse(&r.format).ok_or(AppError::Internal)?;
    if r.storage_key.is_none() && (r.deleted || !r.creator_active) {
        let why = if r.deleted { "the schedule was deleted" } else { "its creator's account is disabled" };
        sqlx::query!(
            "UPDATE report_runs SET status = 'failed', error = $2, finished_at = $3 WHERE id = $1 AND status = 'queued'",
            run_id,
            format!("Not run: {why}."),
            state.clock.now() as DateTime<Utc>,
        )
        .execute(&state.pool)
        .await?;
        return Ok(());
    }
    let filter = Filter { from: r.window_from, to: r.window_to, merchant_id: r.merchant_id, acquirer: r.acquirer };
    let (file_name, sha256) = match (r.storage_key, r.sha256, r.file_name) {
        // Stored by an earlier attempt (its e-mail failed): that file, whatever the schedule says now.
        (Some(_), Some(sha), Some(file_name)) => (file_name, sha),
        _ => {
            let file_name = filter.file_name(report, format);
            let roles: Vec<Role> = r.creator_roles.iter().filter_map(|c| Role::parse(c)).collect();
            let masking = crate::sheet::Masking::for_roles(&roles);
            let (key, sha256, size) =
                store_file(state, report, format, &filter, masking, r.schedule_id, run_id, &file_name).await?;
            sqlx::query!(
                "UPDATE report_runs SET status = 'completed', storage_key = $2, file_name = $3, sha256 = $4, size_bytes = $5,
                        masked = $6, accounts_masked = $7, finished_at = $8, error = NULL
                 WHERE id = $1",
                run_id,
                key,
                file_name,
                sha256,
                size,
                masking.free_text,
                masking.accounts,
                state.clock.now() as DateTime<Utc>,
            )
            .execute(&state.pool)
            .await?;
            (file_name, sha256)
        }
    };
    if r.emailed_at.is_some() {
        return Ok(());
    }
    if r.deleted || !r.creator_active {
        // Stored before the schedule was deleted (or its creator disabled): kept, not mailed.
        sqlx::query!(
            "UPDATE report_runs SET email_note = 'Not mailed: the schedule was deleted or its creator disabled.', error = NULL
             WHERE id = $1",
            run_id
        )
        .execute(&state.pool)
        .await?;
        return Ok(());
    }
    let Some(mailer) = state.mailer.as_ref() else {
        sqlx::query!(
            "UPDATE report_runs SET email_note = 'E-mail is off on this server (SMTP_HOST is not set).' WHERE id = $1",
            run_id
        )
        .execute(&state.pool)
        .await?;
        return Ok(());
    };
    let origin =
        state.config.public_origin.clone().unwrap_or_else(|| format!("http://{}", state.leptos_options.site_addr));
    let subject = format!("SettlePaisa report: {} ({} to {})", r.name, r.window_from, r.window_to);
    let body = format!(
        "The scheduled report \"{name}\" is ready.\n\n\
         Report: {title}\nCycle dates: {from} to {to} (IST)\nFile: {file_name}\nSHA-256: {sha256}\n\n\
         Download it from the schedules page (sign in first): {origin}/reports/schedules?run={run_id}\n",
        name = r.name,
        title = report.title(),
        from = r.window_from,
        to = r.window_to,
    );
    // One message per recipient: a relay that refuses one address does not stop the others, and a
    // retry mails only those not mailed yet.
    let mut refused = Vec::new();
    for to in still_to_mail(&r.recipients, &r.emailed_to) {
        match mailer.send(std::slice::from_ref(to), &subject, &body).await {
            Ok(()) => {
                sqlx::query!(
                    "UPDATE report_runs SET emailed_to = array_append(emailed_to, $2) WHERE id = $1",
                    run_id,
                    to
                )
                .execute(&state.pool)
                .await?;
            }
            Err(reason) => refused.push(format!("{to}: {reason}")),
        }
    }
    if refused.is_empty() {
        sqlx::query!(
            "UPDATE report_runs SET emailed_at = $2, email_note = NULL, error = NULL WHERE id = $1",
            run_id,
            state.clock.now() as DateTime<Utc>
        )
        .execute(&state.pool)
        .await?;
        Ok(())
    } else {
        let note = format!("E-mail failed for {}", refused.join("; "));
        sqlx::query!("UPDATE report_runs SET email_note = $2 WHERE id = $1", run_id, note).execute(&state.pool).await?;
        Err(AppError::Transport(format!("the report's e-mail was not sent to everyone: {}", refused.join("; "))))
    }
}

/// Write the report to a temporary file and copy it into the object store, hashing it on the way;
/// the key, the hex SHA-256 and the length. A failed upload is aborted (no part left behind).
#[allow(clippy::too_many_arguments)]
async fn store_file(
    state: &AppState,
    report: Report,
    format: Format,
    filter: &Filter,
    masking: Masking,
    schedule_id: Uuid,
    run_id: Uuid,
    file_name: &str,
) -> Result<(String, String, i64), AppError> {
    let kind = match format {
        Format::Csv => FileKind::Csv,
        Format::Xlsx => FileKind::Xlsx,
    };
    let limits = state.config.xlsx_limits;
    let written = crate::http::xlsx::build_file(&state.pool, kind, limits, report.title(), report.columns(), {
        let filter = filter.clone();
        move |out, tx| queries::write_masked(out, tx, report, filter, masking)
    })
    .await?;
    let key = format!("reports/{schedule_id}/{run_id}/{file_name}");
    let store: Arc<dyn ObjectStore> = state.objects.clone();
    let mut upload = object_store::buffered::BufWriter::new(store, ObjectPath::from(key.as_str()));
    let mut file = tokio::fs::File::from_std(written.file);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let copied: Result<(), std::io::Error> = async {
        loop {
            let n = file.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            upload.write_all(&buffer[..n]).await?;
        }
        upload.shutdown().await
    }
    .await;
    if let Err(error) = copied {
        tracing::error!(%error, key, "report file not stored");
        let _ = upload.abort().await;
        return Err(AppError::Transport("The report file could not be stored.".into()));
    }
    Ok((key, hex::encode(hasher.finalize()), written.length as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn crons_are_read_in_ist() {
        // Wednesday 2 Dec 2026, 05:30 IST → Monday 7 Dec 09:00 IST (03:30 UTC).
        assert_eq!(next_after("0 9 * * 1", utc("2026-12-02T00:00:00Z")), Ok(utc("2026-12-07T03:30:00Z")));
        // Strictly after: at 09:00 IST the next daily run is tomorrow's.
        assert_eq!(next_after("0 9 * * *", utc("2026-12-02T03:30:00Z")), Ok(utc("2026-12-03T03:30:00Z")));
        // 00:15 IST on the 1st is the evening before in UTC.
        assert_eq!(next_after("15 0 1 * *", utc("2026-12-02T00:00:00Z")), Ok(utc("2026-12-31T18:45:00Z")));
        assert!(next_after("61 9 * * *", utc("2026-12-02T00:00:00Z")).unwrap_err().contains("not a schedule"));
        assert!(next_after("0 9 31 2 *", utc("2026-12-02T00:00:00Z")).is_err());
    }

    #[test]
    fn a_changed_cron_moves_the_next_run_not_sooner_than_an_hour_after_the_last() {
        // Daily at 09:00 IST (03:30 UTC), next on 7 Dec; changed on 6 Dec at 10:00 UTC.
        let (old_next, now) = (utc("2026-12-07T03:30:00Z"), utc("2026-12-06T10:00:00Z"));
        let change = |new: &str, last: Option<&str>| next_after_change("0 9 * * *", old_next, new, now, last.map(utc));
        // The same cron keeps its next run.
        assert_eq!(change("0 9 * * *", None), Ok(old_next));
        // A new cron: its next time after now (18:00 IST is 12:30 UTC).
        assert_eq!(change("0 18 * * *", None), Ok(utc("2026-12-06T12:30:00Z")));
        // ... but an hour after the latest run at least: a run due at 12:00 UTC pushes 12:30 to tomorrow.
        assert_eq!(change("0 18 * * *", Some("2026-12-06T12:00:00Z")), Ok(utc("2026-12-07T12:30:00Z")));
        // Exactly an hour after it is allowed.
        assert_eq!(change("0 18 * * *", Some("2026-12-06T11:30:00Z")), Ok(utc("2026-12-06T12:30:00Z")));
        // A cron that cannot be read is refused.
        assert!(change("0 25 * * *", None).unwrap_err().contains("not a schedule"));
        // Due already and not queued: that run is still made, whatever the new cron...
        let due = next_after_change("0 9 * * *", utc("2026-12-06T03:30:00Z"), "0 18 * * *", now, None);
        assert_eq!(due, Ok(utc("2026-12-06T03:30:00Z")));
        // ... but a new cron that cannot be read is refused even then (the next run would stay).
        let bad = next_after_change("0 9 * * *", utc("2026-12-06T03:30:00Z"), "0 25 * * *", now, None);
        assert!(bad.unwrap_err().contains("not a schedule"));
    }

    #[test]
    fn the_creator_may_change_a_schedule_while_they_may_schedule_and_an_admin_always() {
        let user = |roles: Vec<Role>| CurrentUser {
            id: Uuid::new_v4(),
            email: "u@settlepaisa.test".into(),
            full_name: "U".into(),
            roles,
        };
        let ops = user(vec![Role::Ops]);
        assert!(may_change(ops.id, &ops));
        assert!(!may_change(Uuid::new_v4(), &ops), "someone else's");
        let now_auditor = user(vec![Role::Auditor]);
        assert!(!may_change(now_auditor.id, &now_auditor), "its creator, made an auditor since");
        let admin = user(vec![Role::Admin]);
        assert!(may_change(Uuid::new_v4(), &admin));
    }

    #[test]
    fn a_run_mails_twenty_addresses_at_most_however_its_recipients_change() {
        let addresses =
            |from: usize, n: usize| (from..from + n).map(|i| format!("r{i}@example.com")).collect::<Vec<_>>();
        // First attempt: all 20 but the one the relay refused.
        let first = addresses(0, 20);
        let mailed: Vec<String> = first[1..].to_vec();
        assert_eq!(still_to_mail(&first, &mailed), vec![&first[0]]);
        // The recipients replaced by 20 others before the retry: one more address, not 20.
        let other = addresses(100, 20);
        assert_eq!(still_to_mail(&other, &mailed), vec![&other[0]]);
        assert!(still_to_mail(&first, &first).is_empty());
    }

    #[test]
    fn a_run_covers_the_days_before_it_in_ist() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Monday 7 Dec 09:00 IST, 7 days: Monday 30 Nov to Sunday 6 Dec.
        assert_eq!(window(utc("2026-12-07T03:30:00Z"), 7), (d("2026-11-30"), d("2026-12-06")));
        // 00:10 IST on 7 Dec is 6 Dec in UTC: the window still ends on 6 Dec.
        assert_eq!(window(utc("2026-12-06T18:40:00Z"), 1), (d("2026-12-06"), d("2026-12-06")));
    }
}
