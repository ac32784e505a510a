//! Connector runs (spec 06): queued as jobs, run by any instance's worker, recorded file by file.
//!
//! - **Run now / backfill** (`sp-ops`, admin) queue one run per cycle date, in date order, as one
//!   job that runs them one after the other; each is idempotent (a file already taken is skipped).
//!   Only one run of a connector and date is live at a time (a unique index): a second is a 409.
//! - **Schedule**: every instance ticks ([`enqueue_due`]); a connector whose `next_run_at` has come
//!   gets one SCHEDULED run for that fire time (unique per connector × fire time, so two instances
//!   seeing the same tick queue it once), for the cycle the fire time stands for ([`cycle_for`]).
//!   A scheduled run that fails (the bank's file not there yet) is tried again by the queue with
//!   back-off ([`SCHEDULED_ATTEMPTS`]); a run asked for by an analyst is tried once.
//! - **Test** connects and lists without ingesting, and answers with what a run would take. For
//!   BANK_SFTP it is the only contact that may pin the server's host key: a run refuses while none
//!   is pinned.
//!
//! A BANK_SFTP run lists the directory, takes the files the pattern matches for the cycle date,
//! checks each against its `.sha256` sidecar, skips a file seen before (same name and SHA-256),
//! and streams the rest through the upload path ([`crate::features::recon::store::store`]). A
//! PG_API run streams the day's pages through the same path as one PG file. When a run brought a
//! bank file in and refused none, and the cycle's PG side is present, the cycle's recon run is
//! queued (the connector's `autoRecon`). Host names are resolved at run time and the address is
//! checked again ([`rules::reachable`]) before anything is sent to it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::model::{ConnectorConfig, ConnectorType, FileOutcome, RunFile, SecretName};
use super::queries::{self, ConnectorRow};
use super::{pg_api, rules, sftp};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::features::recon::ingest::{Kind, XlsxLimits};
use crate::features::recon::store;
use crate::ist;
use crate::jobs::Job;
use crate::secrets::{Plain, Sealed};
use crate::state::AppState;

pub const JOB_KIND: &str = "connector_run";
/// Most dates one backfill may ask for.
pub const MAX_BACKFILL_DAYS: i64 = 62;
/// Most runs of one connector queued or running at once.
pub const MAX_LIVE_RUNS: i64 = 62;
/// How far back a run or backfill may reach, in days before today.
pub const MAX_DAYS_AGO: i64 = 366;
/// Tries of a scheduled run's job (the queue waits 30 s, 1, 2, 4 and 8 minutes between them), so
/// a bank file that lands a little after the fire time is still taken.
pub const SCHEDULED_ATTEMPTS: i32 = 6;
/// How often each instance looks for schedules that have come round.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(20);
/// The longest a run may take, whatever the source does (a server that trickles bytes).
const RUN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2 * 3600);
/// The longest a test may take: less than a request may (it answers the analyst's click).
pub const TEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(25);
/// The longest error a run stores.
const MAX_ERROR_CHARS: usize = 1_000;
/// Most files one BANK_SFTP run takes (by name); the rest wait for the next run.
const MAX_FILES_PER_RUN: usize = 50;
/// The most a downloaded file may be: a statement streams, so only the disk bounds it.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunType {
    Scheduled,
    Manual,
    Test,
    Backfill,
}

impl RunType {
    pub fn code(self) -> &'static str {
        match self {
            RunType::Scheduled => "SCHEDULED",
            RunType::Manual => "MANUAL",
            RunType::Test => "TEST",
            RunType::Backfill => "BACKFILL",
        }
    }
}

/// The cycle a fire time stands for: a bank's statement of a day arrives the next morning, so a
/// BANK_SFTP run fetches the day before the fire date (in the connector's time zone); a PG_API run
/// fetches the day `daysBack` days before it (1 unless set).
pub fn cycle_for(kind: ConnectorType, config: &ConnectorConfig, fire: DateTime<Utc>, tz: Tz) -> NaiveDate {
    let date = fire.with_timezone(&tz).date_naive();
    let back = match kind {
        ConnectorType::BankSftp => 1,
        ConnectorType::PgApi => config.days_back.unwrap_or(1),
    };
    date - Duration::days(back.into())
}

/// The dates of a backfill, in order: `from` to `to` inclusive, at most [`MAX_BACKFILL_DAYS`].
pub fn backfill_dates(from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, String> {
    if to < from {
        return Err(format!("The backfill ends ({to}) before it starts ({from})."));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_BACKFILL_DAYS {
        return Err(format!("A backfill takes at most {MAX_BACKFILL_DAYS} dates at once, not {days}."));
    }
    Ok(from.iter_days().take(days as usize).collect())
}

/// Queue runs of `connector`, one per date in the order given, as one job; refused with a 409
/// naming the date when a run of the connector for that date is already live, or when the
/// connector would have more than [`MAX_LIVE_RUNS`] waiting.
pub async fn queue(
    pool: &PgPool,
    connector: Uuid,
    run_type: RunType,
    dates: &[NaiveDate],
    by: Option<&CurrentUser>,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, AppError> {
    let mut tx = pool.begin().await?;
    let row = queries::connector_for_update(&mut *tx, connector)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such connector.".into()))?;
    let live = queries::live_runs(&mut *tx, connector).await?;
    if live + dates.len() as i64 > MAX_LIVE_RUNS {
        return Err(AppError::Conflict(format!(
            "\"{}\" has {live} runs waiting: at most {MAX_LIVE_RUNS} may be queued at once. Wait for them to finish.",
            row.name
        )));
    }
    let mut ids = Vec::with_capacity(dates.len());
    for date in dates {
        let id = Uuid::new_v4();
        let inserted = insert_run(&mut tx, id, connector, run_type, Some(*date), by.map(|u| u.id), None, now).await?;
        if !inserted {
            return Err(AppError::Conflict(format!(
                "A run of \"{}\" for {date} is already queued or running: wait for it to finish.",
                row.name
            )));
        }
        ids.push(id);
    }
    enqueue_job(&mut tx, &ids, 1).await?;
    if let Some(user) = by {
        let action = match run_type {
            RunType::Backfill => "connector.backfill",
            _ => "connector.run",
        };
        audit::record(
            &mut *tx,
            AuditEntry {
                target_id: Some(connector.to_string()),
                ip,
                after: Some(json!({ "runIds": ids, "cycleDates": dates, "type": run_type.code() })),
                details: Some(row.name.clone()),
                ..AuditEntry::by(user, action, "connector")
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// A run row; `false` when a live run of the connector and date (or the same fire time) exists.
#[allow(clippy::too_many_arguments)]
async fn insert_run(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    connector: Uuid,
    run_type: RunType,
    cycle: Option<NaiveDate>,
    by: Option<Uuid>,
    due_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let status = if run_type == RunType::Test { "RUNNING" } else { "QUEUED" };
    let inserted = sqlx::query!(
        "INSERT INTO connector_runs (id, connector_id, run_type, status, cycle_date, started_by, due_at, queued_at, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT DO NOTHING",
        id,
        connector,
        run_type.code(),
        status,
        cycle as Option<NaiveDate>,
        by,
        due_at as Option<DateTime<Utc>>,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// One job for the runs, which it takes in order, with `attempts` tries (the jobs console's retry
/// gives one more).
async fn enqueue_job(tx: &mut sqlx::PgConnection, ids: &[Uuid], attempts: i32) -> Result<(), AppError> {
    let key = format!("connector-run:{}", ids[0]);
    let job = crate::jobs::enqueue(&mut *tx, JOB_KIND, &json!({ "runIds": ids }), Some(&key))
        .await?
        .ok_or(AppError::Internal)?;
    sqlx::query!("UPDATE jobs SET max_attempts = $2 WHERE id = $1", job, attempts).execute(&mut *tx).await?;
    sqlx::query!("UPDATE connector_runs SET job_id = $2 WHERE id = ANY($1)", ids, job).execute(&mut *tx).await?;
    Ok(())
}

/// The schedule's next fire time after `now`, if it has one.
pub fn next_fire(row_cron: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    rules::next_fires(row_cron, tz, now, 1).ok().and_then(|n| n.first().copied())
}

/// Every instance ticks: each active connector whose schedule has come round gets one run for
/// its latest fire time (several missed times run once); its next time is set from now. A
/// connector whose next time was never set (made before the scheduler) only gets it.
pub async fn enqueue_due(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        r#"SELECT id, connector_type, config, schedule_cron, timezone, next_run_at AS "next_run_at: DateTime<Utc>"
           FROM connectors
           WHERE status = 'ACTIVE' AND (next_run_at IS NULL OR next_run_at <= $1)
           ORDER BY next_run_at NULLS FIRST LIMIT 100 FOR UPDATE SKIP LOCKED"#,
        now as DateTime<Utc>,
    )
    .fetch_all(&mut *tx)
    .await?;
    // A test whose server stopped mid-way never ended its row: end it.
    sqlx::query!(
        "UPDATE connector_runs SET status = 'FAILED', finished_at = $1,
                error = 'the test did not finish (its server stopped while it ran)'
         WHERE run_type = 'TEST' AND status = 'RUNNING' AND started_at < $1::timestamptz - interval '10 minutes'",
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    let mut queued = 0;
    for c in due {
        let tz = c.timezone.parse::<Tz>().unwrap_or(chrono_tz::Asia::Kolkata);
        if let Some(since) = c.next_run_at {
            let fire = latest_fire(&c.schedule_cron, tz, since, now).unwrap_or(since);
            let kind = ConnectorType::parse(&c.connector_type).unwrap_or(ConnectorType::BankSftp);
            let config: ConnectorConfig = serde_json::from_value(c.config).unwrap_or_default();
            let id = Uuid::new_v4();
            let cycle = cycle_for(kind, &config, fire, tz);
            if insert_run(&mut tx, id, c.id, RunType::Scheduled, Some(cycle), None, Some(fire), now).await? {
                enqueue_job(&mut tx, &[id], SCHEDULED_ATTEMPTS).await?;
                queued += 1;
            } else {
                tracing::info!(connector = %c.id, %fire, %cycle, "scheduled run not queued: one for this time or cycle is live or done");
            }
        }
        let next = next_fire(&c.schedule_cron, tz, now);
        sqlx::query!("UPDATE connectors SET next_run_at = $2 WHERE id = $1", c.id, next as Option<DateTime<Utc>>)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(queued)
}

/// The latest fire time in `[since, now]`.
fn latest_fire(cron: &str, tz: Tz, since: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let parsed = cron.parse::<croner::Cron>().ok()?;
    // Times missed longer ago than a week do not matter: only the latest fires.
    let since = since.max(now - Duration::days(7));
    let mut at = (since - Duration::seconds(1)).with_timezone(&tz);
    let mut latest = None;
    // A schedule every minute missed for a week is ten thousand steps: bounded, and rare.
    for _ in 0..20_000 {
        let next = parsed.find_next_occurrence(&at, false).ok()?;
        if next.with_timezone(&Utc) > now {
            break;
        }
        latest = Some(next.with_timezone(&Utc));
        at = next;
    }
    latest
}

/// Each instance's scheduler.
pub fn spawn_scheduler(state: AppState) {
    let pool = state.pool.clone();
    crate::jobs::every(pool, TICK, "queueing scheduled connector runs", move || {
        let state = state.clone();
        async move {
            let queued = enqueue_due(&state.pool, state.clock.now()).await?;
            if queued > 0 {
                tracing::info!(queued, "scheduled connector runs queued");
            }
            Ok(())
        }
    });
}

fn runs_of(payload: &serde_json::Value) -> Vec<Uuid> {
    payload
        .get("runIds")
        .and_then(|v| v.as_array())
        .map(|ids| ids.iter().filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect())
        .unwrap_or_default()
}

/// The job: its runs in order. Each run's outcome is on its row; the job fails (naming them) when
/// any run failed, so the queue tries a scheduled one again and the jobs console shows it (its
/// retry runs again what did not succeed).
pub async fn execute_job(state: &AppState, job: &Job) -> Result<(), String> {
    let mut failed = Vec::new();
    for id in runs_of(&job.payload) {
        match execute(state, job, id).await {
            Ok(None) => {}
            Ok(Some(error)) => failed.push(error),
            Err(e) => {
                let error = e.to_string();
                let _ = finish(&state.pool, id, &Outcome::failed(error.clone()), state.clock.now()).await;
                failed.push(error);
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join(" · "))
    }
}

/// The job ended without running (its worker died on its last attempt, or it was cancelled): its
/// runs still open end with `reason` (in the queue's transaction), CANCELLED when it was cancelled
/// (not a failure of the connector), else FAILED.
pub async fn abandoned(
    tx: &mut sqlx::PgConnection,
    payload: &serde_json::Value,
    reason: &str,
    cancelled: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE connector_runs SET status = CASE WHEN $3 THEN 'CANCELLED' ELSE 'FAILED' END, finished_at = now(), error = $2
         WHERE id = ANY($1) AND status IN ('QUEUED', 'RUNNING')",
        &runs_of(payload),
        reason,
        cancelled,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The job is queued again (the jobs console's retry): its failed or cancelled runs are open
/// again; one whose connector and date has another live run meanwhile is refused in words.
pub async fn reopen(tx: &mut sqlx::PgConnection, payload: &serde_json::Value) -> Result<(), AppError> {
    let reopened = sqlx::query!(
        "UPDATE connector_runs SET status = 'QUEUED', finished_at = NULL, error = NULL, note = NULL
         WHERE id = ANY($1) AND status IN ('FAILED', 'CANCELLED')",
        &runs_of(payload),
    )
    .execute(&mut *tx)
    .await;
    match reopened {
        Err(sqlx::Error::Database(d)) if d.constraint() == Some("connector_runs_one_live") => Err(AppError::Conflict(
            "A run of the same connector and date is queued or running: this one cannot run again beside it.".into(),
        )),
        other => other.map(|_| ()).map_err(AppError::from),
    }
}

/// What a run (or a test) found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub files: Vec<RunFile>,
    pub error: Option<String>,
    pub recon_run_id: Option<Uuid>,
    pub note: Option<String>,
}

impl Outcome {
    fn failed(error: String) -> Outcome {
        Outcome { error: Some(error), ..Default::default() }
    }

    /// Add a sentence to the run's note.
    fn add_note(&mut self, text: String) {
        self.note = Some(match self.note.take() {
            Some(before) => format!("{before} {text}"),
            None => text,
        });
    }

    fn count(&self, outcome: FileOutcome) -> usize {
        self.files.iter().filter(|f| f.outcome == outcome).count()
    }

    /// The run's error in words: its own, and every file refused.
    pub fn error_text(&self) -> Option<String> {
        let mut parts: Vec<String> = self.error.iter().cloned().collect();
        parts.extend(
            self.files
                .iter()
                .filter(|f| f.outcome == FileOutcome::Refused)
                .map(|f| f.reason.clone().unwrap_or_else(|| format!("{} was refused", f.name))),
        );
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Run one run of the job; `Ok(Some(error))` when it failed (recorded), `Ok(None)` when it
/// succeeded or was done already. A run whose job has tries left waits QUEUED for the next one
/// (saying why in its note), so it stays the connector's live run for its date and is not counted
/// a failure before its last try; the jobs console's retry reopens a failed one.
pub async fn execute(state: &AppState, job: &Job, run_id: Uuid) -> Result<Option<String>, AppError> {
    let now = state.clock.now();
    let Some(run) = sqlx::query!(
        r#"UPDATE connector_runs SET status = 'RUNNING', started_at = $2, finished_at = NULL, error = NULL, note = NULL
           WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')
           RETURNING connector_id, cycle_date AS "cycle_date!: NaiveDate""#,
        run_id,
        now as DateTime<Utc>,
    )
    .fetch_optional(&state.pool)
    .await?
    else {
        return Ok(None);
    };
    let connector = load(state, run.connector_id).await?;
    let work = async {
        match connector.kind {
            ConnectorType::BankSftp => bank_sftp(state, &connector, run.cycle_date, None).await,
            ConnectorType::PgApi => pg_api(state, &connector, run.cycle_date, false).await,
        }
    };
    let mut outcome = tokio::time::timeout(RUN_DEADLINE, work).await.unwrap_or_else(|_| {
        Outcome::failed(format!(
            "the run did not finish within {} hours and was stopped",
            RUN_DEADLINE.as_secs() / 3600
        ))
    });
    if connector.kind == ConnectorType::BankSftp
        && outcome.error_text().is_none()
        && outcome.count(FileOutcome::Ingested) > 0
    {
        auto_recon(state, &connector, run.cycle_date, &mut outcome).await;
    }
    let error = outcome.error_text();
    if let (Some(error), true) = (&error, job.attempts < job.max_attempts) {
        // The queue's back-off before the next try (`crate::jobs::settle_failure`).
        let wait = 30 * 2_i64.pow(job.attempts.clamp(1, 20) as u32 - 1);
        let next = ist::format_datetime(state.clock.now() + Duration::seconds(wait));
        outcome.add_note(format!(
            "Try {} of {} failed: {}. Tried again at about {next}.",
            job.attempts,
            job.max_attempts,
            clip(error)
        ));
        requeue(&state.pool, run_id, &outcome.note).await?;
    } else {
        finish(&state.pool, run_id, &outcome, state.clock.now()).await?;
    }
    Ok(error)
}

/// A failed try of a run whose job has tries left: QUEUED again, with what happened in its note.
async fn requeue(pool: &PgPool, run_id: Uuid, note: &Option<String>) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE connector_runs SET status = 'QUEUED', note = $2 WHERE id = $1 AND status = 'RUNNING'",
        run_id,
        note.as_deref()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An error as stored and shown: at most [`MAX_ERROR_CHARS`] characters (a remote server's text can
/// be any length).
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Record how a run ended (only while it is running: a run a cancel or the queue ended meanwhile
/// keeps what they wrote).
async fn finish(pool: &PgPool, run_id: Uuid, outcome: &Outcome, now: DateTime<Utc>) -> Result<(), AppError> {
    let error = outcome.error_text().map(|e| clip(&e));
    let rows: i64 = outcome.files.iter().filter(|f| f.outcome == FileOutcome::Ingested).map(|f| f.rows).sum();
    sqlx::query!(
        "UPDATE connector_runs SET status = CASE WHEN $2::text IS NULL THEN 'SUCCEEDED' ELSE 'FAILED' END,
                error = $2, finished_at = $3, files_seen = $4, files_ingested = $5, rows_ingested = $6,
                files = $7, recon_run_id = $8, note = $9
         WHERE id = $1 AND status = 'RUNNING'",
        run_id,
        error,
        now as DateTime<Utc>,
        outcome.files.len() as i32,
        outcome.count(FileOutcome::Ingested) as i32,
        i32::try_from(rows).unwrap_or(i32::MAX),
        sqlx::types::Json(&outcome.files) as _,
        outcome.recon_run_id,
        outcome.note,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A connector with its secrets opened, for the moment of a run.
pub struct Loaded {
    pub row: ConnectorRow,
    pub kind: ConnectorType,
    pub config: ConnectorConfig,
    pub secrets: Vec<(SecretName, Plain)>,
}

impl Loaded {
    fn secret(&self, name: SecretName) -> Option<&Plain> {
        self.secrets.iter().find(|(n, _)| *n == name).map(|(_, s)| s)
    }
}

async fn load(state: &AppState, id: Uuid) -> Result<Loaded, AppError> {
    let row = queries::connector(&state.pool, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such connector.".into()))?;
    let (kind, config) = (row.kind(), row.settings());
    let mut secrets = Vec::new();
    let sealed = queries::sealed_secrets(&state.pool, id).await?;
    if !sealed.is_empty() {
        let key = state.config.secrets_key.as_ref().ok_or_else(|| {
            AppError::Transport("the server has no SECRETS_KEY, so the connector's secrets cannot be opened.".into())
        })?;
        for (name, nonce, ciphertext) in sealed {
            let Some(name) = SecretName::parse(&name) else { continue };
            let plain = key.open(&super::service::context(id, name), &Sealed { nonce, ciphertext }).map_err(|_| {
                AppError::Transport(format!(
                    "the connector's {} cannot be opened with this server's SECRETS_KEY{}: save it again.",
                    name.label().to_lowercase(),
                    if key.has_previous() { " (nor with SECRETS_KEY_PREVIOUS)" } else { "" }
                ))
            })?;
            secrets.push((name, plain));
        }
    }
    // A secret referenced from the environment (`env:NAME`) stands for the type's first secret.
    if let Some(var) = row.secret_ref.as_deref().and_then(|r| r.strip_prefix("env:")) {
        let first = kind.secret_names()[0];
        if !secrets.iter().any(|(n, _)| *n == first) {
            if let Ok(value) = std::env::var(var) {
                secrets.push((first, Plain::new(value)));
            }
        }
    }
    Ok(Loaded { row, kind, config, secrets })
}

/// What a test found: the run it is recorded as, and its findings.
#[derive(Debug)]
pub struct Tested {
    pub run_id: Uuid,
    pub outcome: Outcome,
}

/// Test a connector (`sp-ops`, admin): connect and list, nothing ingested; recorded as a TEST
/// run. For BANK_SFTP, the first test pins the server's host key (audited). The test runs in a
/// task of its own within [`TEST_DEADLINE`], so it is recorded as ended even when the request
/// that asked for it is gone.
pub async fn test(state: &AppState, user: &CurrentUser, connector: Uuid, cycle: NaiveDate) -> Result<Tested, AppError> {
    let now = state.clock.now();
    let loaded = load(state, connector).await?;
    let run_id = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    insert_run(&mut tx, run_id, connector, RunType::Test, Some(cycle), Some(user.id), None, now).await?;
    tx.commit().await?;
    let (state, user) = (state.clone(), user.clone());
    let task = tokio::spawn(async move {
        let work = async {
            match loaded.kind {
                ConnectorType::BankSftp => bank_sftp(&state, &loaded, cycle, Some(&user)).await,
                ConnectorType::PgApi => pg_api(&state, &loaded, cycle, true).await,
            }
        };
        let outcome = tokio::time::timeout(TEST_DEADLINE, work).await.unwrap_or_else(|_| {
            Outcome::failed(format!("the test did not finish within {} seconds", TEST_DEADLINE.as_secs()))
        });
        finish(&state.pool, run_id, &outcome, state.clock.now()).await.map(|()| outcome)
    });
    let outcome = task.await.map_err(|_| AppError::Internal)??;
    Ok(Tested { run_id, outcome })
}

/// The address a host name resolves to now, checked ([`rules::reachable`]).
async fn resolve(host: &str, port: u16) -> Result<std::net::SocketAddr, String> {
    let lookup = tokio::time::timeout(std::time::Duration::from_secs(10), tokio::net::lookup_host((host, port))).await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Err(_) => return Err(format!("{host} did not resolve within 10 seconds.")),
        Ok(Err(e)) => return Err(format!("{host} does not resolve: {e}")),
        Ok(Ok(addrs)) => addrs.collect(),
    };
    rules::reachable(host, &addrs)
}

/// A BANK_SFTP run (or a test, by `tester`) for one cycle date.
async fn bank_sftp(state: &AppState, c: &Loaded, cycle: NaiveDate, tester: Option<&CurrentUser>) -> Outcome {
    if tester.is_none() && !state.config.feature_bank_sftp_ingestion {
        return Outcome::failed(
            "bank SFTP ingestion is switched off on this server (FEATURE_BANK_SFTP_INGESTION=false): nothing was fetched."
                .into(),
        );
    }
    if tester.is_none() && c.row.host_key_fingerprint.is_none() {
        return Outcome::failed(
            "no host key is pinned for this connector yet: test it first (a test pins the server's key).".into(),
        );
    }
    let (host, username) =
        (c.config.host.as_deref().unwrap_or_default(), c.config.username.as_deref().unwrap_or_default());
    let addr = match resolve(host, c.config.port.unwrap_or(22)).await {
        Ok(addr) => addr,
        Err(e) => return Outcome::failed(e),
    };
    let target = sftp::Target {
        host,
        addr,
        username,
        password: c.secret(SecretName::Password),
        private_key: c.secret(SecretName::PrivateKey),
        pinned: c.row.host_key_fingerprint.as_deref(),
    };
    let session = match sftp::connect(&target).await {
        Ok(session) => session,
        Err(e) => return Outcome::failed(e),
    };
    if let (Some(user), None) = (tester, &c.row.host_key_fingerprint) {
        if let Err(e) = pin(state, c, user, &session.fingerprint).await {
            session.close().await;
            return Outcome::failed(e);
        }
    }
    let outcome = bank_files(state, c, &session, cycle, tester.is_some()).await;
    session.close().await;
    outcome
}

/// Pin the key a test's first contact was offered, with its audit row; refused when another test
/// pinned a different key meanwhile.
async fn pin(state: &AppState, c: &Loaded, user: &CurrentUser, offered: &str) -> Result<(), String> {
    let pinning = async {
        let mut tx = state.pool.begin().await?;
        let (pinned, now) = queries::pin_host_key(&mut *tx, c.row.id, offered).await?;
        if now {
            audit::record(
                &mut *tx,
                AuditEntry {
                    target_id: Some(c.row.id.to_string()),
                    after: Some(json!({ "hostKeyFingerprint": offered })),
                    details: Some(format!("{}: host key pinned at the first test", c.row.name)),
                    ..AuditEntry::by(user, "connector.host_key.pin", "connector")
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<_, AppError>(pinned)
    };
    match pinning.await.map_err(|e| e.to_string())? {
        Some(pinned) if pinned == offered => Ok(()),
        Some(pinned) => Err(format!(
            "the server offered host key {offered}, but {pinned} was pinned meanwhile (by another test): refused. Test again."
        )),
        None => Err("the connector was deleted during the test.".into()),
    }
}

async fn bank_files(state: &AppState, c: &Loaded, session: &sftp::Sftp, cycle: NaiveDate, test: bool) -> Outcome {
    let directory = c.config.directory.as_deref().unwrap_or(".");
    let pattern = c.config.pattern.as_deref().unwrap_or_default();
    let glob = match rules::file_glob(pattern, cycle) {
        Ok(glob) => glob,
        Err(e) => return Outcome::failed(e),
    };
    let listed = match session.list(directory).await {
        Ok(listed) => listed,
        Err(e) => return Outcome::failed(e),
    };
    let wanted: Vec<&sftp::Listed> =
        listed.iter().filter(|f| !f.name.ends_with(".sha256") && rules::takes_file(&glob, &f.name)).collect();
    if wanted.is_empty() {
        return Outcome::failed(format!("no file matching {} in {directory} for {cycle}", glob.as_str()));
    }
    let sidecar = c.config.sidecar.unwrap_or(false);
    let limits = sftp::Limits { any: MAX_FILE_BYTES, workbook: state.config.upload_max_bytes as u64 };
    let mut outcome = Outcome::default();
    if wanted.len() > MAX_FILES_PER_RUN {
        outcome.add_note(format!(
            "{} files match; this run took the first {MAX_FILES_PER_RUN} by name: run this date again for the rest.",
            wanted.len()
        ));
    }
    for file in wanted.into_iter().take(MAX_FILES_PER_RUN) {
        let path = sftp::remote_path(directory, &file.name);
        if file.size > limits.any {
            outcome.files.push(refused(&file.name, None, format!("{} is larger than a connector takes", file.name)));
            continue;
        }
        let expected = if sidecar {
            let side = format!("{}.sha256", file.name);
            if !listed.iter().any(|f| f.name == side) {
                outcome.files.push(refused(
                    &file.name,
                    None,
                    format!("{} has no checksum sidecar ({side}) beside it", file.name),
                ));
                continue;
            }
            match session.sidecar(&sftp::remote_path(directory, &side)).await {
                Ok(sha) => Some(sha),
                Err(e) => {
                    outcome.files.push(refused(&file.name, None, e));
                    continue;
                }
            }
        } else {
            None
        };
        if let Some(sha) = &expected {
            match queries::seen_file(&state.pool, c.row.id, &file.name, sha).await {
                Ok(Some(seen)) => {
                    outcome.files.push(RunFile {
                        name: file.name.clone(),
                        outcome: FileOutcome::Seen,
                        sha256: Some(sha.clone()),
                        upload_id: seen.upload,
                        rows: 0,
                        row_errors: 0,
                        reason: Some("taken before (same name and SHA-256)".into()),
                    });
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    outcome.files.push(refused(&file.name, expected.clone(), format!("{}: {e}", file.name)));
                    continue;
                }
            }
        }
        if test {
            let reason = if expected.is_some() {
                format!("{} bytes; a run would take it", file.size)
            } else {
                format!("{} bytes; a run downloads it, and skips it if the same content was taken before", file.size)
            };
            outcome.files.push(RunFile {
                name: file.name.clone(),
                outcome: FileOutcome::New,
                sha256: expected,
                upload_id: None,
                rows: 0,
                row_errors: 0,
                reason: Some(reason),
            });
            continue;
        }
        let download = match session.open(&path, limits).await {
            Ok(d) => d,
            Err(e) => {
                outcome.files.push(refused(&file.name, expected, e));
                continue;
            }
        };
        let upload =
            connector_upload(state, Kind::Bank, cycle, &file.name, c.config.layout.as_deref(), expected.as_deref());
        let stored = store::store(&state.pool, state.objects.clone(), upload, download).await;
        outcome.files.push(taken(c, &state.pool, &file.name, stored).await);
    }
    outcome
}

/// A file a connector brings, for the upload path: no person sent it, and it is read as the
/// connector says (its bank layout, or the PG export its pages become).
fn connector_upload<'a>(
    state: &AppState,
    kind: Kind,
    cycle: NaiveDate,
    file_name: &'a str,
    format: Option<&'a str>,
    expected_sha256: Option<&'a str>,
) -> store::Upload<'a> {
    store::Upload {
        kind,
        cycle_date: cycle,
        file_name,
        format,
        merchant: None,
        unit: None,
        save_unit: false,
        uploaded_by: None,
        max_rows: state.config.upload_max_rows,
        xlsx: XlsxLimits::for_upload(state.config.upload_max_bytes as u64),
        now: state.clock.now(),
        source: "connector",
        expected_sha256,
    }
}

fn refused(name: &str, sha256: Option<String>, reason: String) -> RunFile {
    RunFile {
        name: name.to_string(),
        outcome: FileOutcome::Refused,
        sha256,
        upload_id: None,
        rows: 0,
        row_errors: 0,
        reason: Some(reason),
    }
}

/// What became of a file sent through the upload path; a new or known upload is remembered as
/// seen, so the next run skips it. A failure is the file's, in words: the run's record keeps every
/// other file.
async fn taken(c: &Loaded, pool: &PgPool, name: &str, stored: Result<store::UploadReport, AppError>) -> RunFile {
    let report = match stored {
        Ok(report) => report,
        Err(e) => return refused(name, None, e.to_string()),
    };
    let remembered = queries::remember_file(pool, c.row.id, name, &report.sha256, report.file_id).await;
    RunFile {
        name: name.to_string(),
        outcome: if report.duplicate { FileOutcome::Seen } else { FileOutcome::Ingested },
        sha256: Some(report.sha256.clone()),
        upload_id: Some(report.file_id),
        rows: report.rows_accepted,
        row_errors: report.rows_rejected,
        reason: match (report.duplicate, remembered) {
            (_, Err(e)) => Some(format!("stored, but not remembered as taken ({e}): the next run checks it again")),
            (true, Ok(())) => Some("the same file was stored before".to_string()),
            (false, Ok(())) => None,
        },
    }
}

/// A PG_API run (or test) for one cycle date.
async fn pg_api(state: &AppState, c: &Loaded, cycle: NaiveDate, test: bool) -> Outcome {
    match pg_api_pages(state, c, cycle, test).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::failed(e),
    }
}

async fn pg_api_pages(state: &AppState, c: &Loaded, cycle: NaiveDate, test: bool) -> Result<Outcome, String> {
    let key = c.secret(SecretName::ApiKey).cloned().ok_or("no API key is set for this connector.")?;
    let merchants = c.config.merchant_codes.clone().unwrap_or_default();
    if merchants.is_empty() {
        return Err("the connector names no merchant codes.".into());
    }
    let base = c.config.base_url.as_deref().unwrap_or_default();
    let url = url::Url::parse(base).map_err(|e| format!("the base URL does not read: {e}"))?;
    let port = url.port_or_known_default().unwrap_or(443);
    let resolved = match url.host() {
        Some(url::Host::Domain(host)) => Some((host.to_string(), resolve(host, port).await?)),
        Some(url::Host::Ipv4(ip)) => {
            rules::reachable(&ip.to_string(), &[std::net::SocketAddr::from((ip, port))])?;
            None
        }
        Some(url::Host::Ipv6(ip)) => {
            rules::reachable(&ip.to_string(), &[std::net::SocketAddr::from((ip, port))])?;
            None
        }
        None => return Err("the base URL has no host.".into()),
    };
    let mut pages = pg_api::Pages::new(
        base,
        resolved.as_ref().map(|(h, a)| (h.as_str(), *a)),
        key,
        merchants,
        cycle,
        state.config.connector_http,
    )?;
    let name = format!("{}_{cycle}.csv", crate::files::clean_file_name(&c.row.name, "pg").replace(' ', "_"));
    if test {
        use crate::features::recon::store::Body;
        let mut bytes = 0usize;
        while let Some(chunk) = pages.next_chunk().await.map_err(|e| e.to_string())? {
            bytes += chunk.len();
        }
        let file = RunFile {
            name,
            outcome: FileOutcome::New,
            sha256: None,
            upload_id: None,
            rows: pages.rows as i64,
            row_errors: 0,
            reason: Some(format!("{} transactions ({bytes} bytes) a run would take", pages.rows)),
        };
        return Ok(Outcome { files: vec![file], ..Default::default() });
    }
    let upload = connector_upload(state, Kind::Pg, cycle, &name, Some(pg_api::FORMAT), None);
    let stored = store::store(&state.pool, state.objects.clone(), upload, pages).await;
    let file = taken(c, &state.pool, &name, stored).await;
    if file.outcome == FileOutcome::Refused {
        return Err(file.reason.unwrap_or_default());
    }
    Ok(Outcome { files: vec![file], ..Default::default() })
}

/// After a run brought a bank file in (and refused none): queue the cycle's recon run when the
/// connector asks for it and the PG side of the cycle is present. When a run of the cycle is
/// already queued or running (it may have read the cycle before this file), the run says so.
async fn auto_recon(state: &AppState, c: &Loaded, cycle: NaiveDate, outcome: &mut Outcome) {
    if !c.row.auto_recon {
        return;
    }
    match queries::pg_side_present(&state.pool, cycle).await {
        Ok(true) => {}
        Ok(false) => {
            outcome.add_note(format!("No recon run queued: the PG side of {cycle} is not in yet."));
            return;
        }
        Err(e) => {
            outcome.add_note(format!("No recon run queued: {e}"));
            return;
        }
    }
    match crate::features::recon::runs::queue(&state.pool, cycle, None, "connector").await {
        Ok(id) => outcome.recon_run_id = Some(id),
        Err(AppError::Conflict(_)) => outcome.add_note(format!(
            "A recon run of {cycle} was already queued or running, so none was queued: start one once it \
                 finishes, so this file's lines are matched."
        )),
        Err(e) => outcome.add_note(format!("The recon run of {cycle} could not be queued: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fire_time_stands_for_the_day_before_in_its_time_zone() {
        // 06:30 IST on 1 Dec is 01:00 UTC: the bank's file of 30 Nov.
        let fire = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        let tz = chrono_tz::Asia::Kolkata;
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(cycle_for(ConnectorType::BankSftp, &ConnectorConfig::default(), fire, tz), d(2026, 11, 30));
        // 23:30 UTC on 30 Nov is already 1 Dec in IST.
        let late = Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap();
        assert_eq!(cycle_for(ConnectorType::BankSftp, &ConnectorConfig::default(), late, tz), d(2026, 11, 30));
        assert_eq!(
            cycle_for(ConnectorType::BankSftp, &ConnectorConfig::default(), late, chrono_tz::UTC),
            d(2026, 11, 29)
        );
        let three = ConnectorConfig { days_back: Some(3), ..Default::default() };
        assert_eq!(cycle_for(ConnectorType::PgApi, &three, fire, tz), d(2026, 11, 28));
        let zero = ConnectorConfig { days_back: Some(0), ..Default::default() };
        assert_eq!(cycle_for(ConnectorType::PgApi, &zero, fire, tz), d(2026, 12, 1));
    }

    #[test]
    fn backfills_are_dates_in_order_within_the_limit() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(backfill_dates(d(28), d(30)).unwrap(), vec![d(28), d(29), d(30)]);
        assert_eq!(backfill_dates(d(30), d(30)).unwrap(), vec![d(30)]);
        assert!(backfill_dates(d(30), d(28)).unwrap_err().contains("before it starts"));
        let far = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert!(backfill_dates(far, d(30)).unwrap_err().contains("at most"));
    }

    #[test]
    fn missed_fire_times_run_once_for_the_latest() {
        let tz = chrono_tz::Asia::Kolkata;
        // Daily at 06:30 IST (01:00 UTC); due since 28 Nov, now 30 Nov 12:00 UTC.
        let since = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(
            latest_fire("30 6 * * *", tz, since, now),
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap())
        );
        assert_eq!(latest_fire("30 6 * * *", tz, since, since), Some(since));
        assert_eq!(latest_fire("30 6 * * *", tz, now, now), None);
    }

    #[test]
    fn a_run_error_names_every_refused_file() {
        let outcome = Outcome {
            files: vec![
                refused("a.csv", None, "a.csv does not match its checksum".into()),
                RunFile {
                    name: "b.csv".into(),
                    outcome: FileOutcome::Ingested,
                    sha256: None,
                    upload_id: None,
                    rows: 3,
                    row_errors: 0,
                    reason: None,
                },
            ],
            ..Default::default()
        };
        assert_eq!(outcome.error_text().as_deref(), Some("a.csv does not match its checksum"));
        assert_eq!(Outcome::default().error_text(), None);
    }
}
