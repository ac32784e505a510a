//! The connectors' use cases, shared by the page's server functions and the JSON API: every
//! signed-in role reads the cards; an admin creates, edits and deletes connectors; `sp-ops` (and
//! admin) pause and resume them. Each change is one transaction with its audit row, which records
//! the settings before and after and the names of the secrets set — never a secret.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use super::commands;
use super::model::{
    ConnectorCard, ConnectorConfig, ConnectorInput, ConnectorType, ConnectorsView, RunView, SecretName, SecretState,
    NEXT_RUNS,
};
use super::queries::{self, ConnectorRow};
use super::rules::{self, Valid};
use super::runs::{self, RunType};
use crate::audit::{self, AuditEntry};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::features::overview::model::ConnectorFacts;
use crate::secrets::{Sealed, SecretsKey};
use crate::state::AppState;

/// Everything `/connectors` shows.
pub async fn view(state: &AppState, caller: &CurrentUser) -> Result<ConnectorsView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let cards = cards(state).await?;
    Ok(ConnectorsView {
        cards,
        runs: queries::runs(&state.pool, None, None, super::model::HISTORY as i64).await?,
        may_configure: user.may(Access::ADMIN),
        may_operate: user.may(Access::OPS_WORK),
        sftp_enabled: state.config.feature_bank_sftp_ingestion,
        secrets_ready: state.config.secrets_key.is_some(),
        layouts: queries::layout_names(&state.pool).await?,
    })
}

/// One connector's card; 404 when there is none.
pub async fn card(state: &AppState, caller: &CurrentUser, id: Uuid) -> Result<ConnectorCard, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    cards(state).await?.into_iter().find(|c| c.id == id).ok_or_else(no_such)
}

fn no_such() -> AppError {
    AppError::NotFound("There is no such connector.".into())
}

/// A connector's id from a URL or a form; anything else is "no such connector".
pub fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| no_such())
}

async fn cards(state: &AppState) -> Result<Vec<ConnectorCard>, AppError> {
    let now = state.clock.now();
    let (rows, secrets, facts) = tokio::try_join!(
        queries::connectors(&state.pool),
        queries::secret_states(&state.pool),
        crate::features::overview::queries::connector_facts(&state.pool),
    )?;
    Ok(rows.into_iter().map(|row| card_of(row, &secrets, &facts, now)).collect())
}

fn card_of(
    row: ConnectorRow,
    secrets: &[(Uuid, String, DateTime<Utc>)],
    facts: &[ConnectorFacts],
    now: DateTime<Utc>,
) -> ConnectorCard {
    let (kind, config) = (row.kind(), row.settings());
    let health = facts
        .iter()
        .find(|f| f.name == row.name)
        .cloned()
        .unwrap_or(ConnectorFacts {
            name: row.name.clone(),
            paused: row.status == "PAUSED",
            last_success_at: None,
            last_run_at: None,
            last_run_failed: false,
            failures_since_success: 0,
        })
        .health(now);
    let tz = row.tz();
    let next_runs = if row.status == "PAUSED" {
        Vec::new()
    } else {
        rules::next_fires(&row.schedule_cron, tz, now, NEXT_RUNS).unwrap_or_default()
    };
    let env_ref = row.secret_ref.as_deref().and_then(|r| r.strip_prefix("env:")).map(String::from);
    let secret_states = kind
        .secret_names()
        .iter()
        .map(|name| SecretState {
            name: *name,
            set_at: secrets.iter().find(|(c, n, _)| *c == row.id && n == name.code()).map(|(_, _, at)| *at),
            // An environment reference (the demo's connector) stands for its first secret.
            from_env: (*name == kind.secret_names()[0]).then(|| env_ref.clone()).flatten(),
        })
        .collect();
    ConnectorCard {
        id: row.id,
        name: row.name,
        kind,
        status: row.status,
        health: health.health,
        health_reason: health.reason,
        schedule: row.schedule_cron,
        timezone: row.timezone,
        next_runs,
        last_success_at: health.facts.last_success_at,
        config,
        secrets: secret_states,
        auto_recon: row.auto_recon,
        host_key_fingerprint: row.host_key_fingerprint,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    }
}

/// The settings an audit row shows of a connector (no secret).
fn audited(
    name: &str,
    kind: &str,
    schedule: &str,
    timezone: &str,
    config: &Value,
    layout: Option<&str>,
    auto_recon: bool,
) -> Value {
    json!({
        "name": name, "type": kind, "schedule": schedule, "timezone": timezone, "config": config,
        "layout": layout, "autoRecon": auto_recon,
    })
}

fn audited_row(row: &ConnectorRow) -> Value {
    let mut value = audited(
        &row.name,
        &row.connector_type,
        &row.schedule_cron,
        &row.timezone,
        &row.config,
        row.layout.as_deref(),
        row.auto_recon,
    );
    // An edit of the server forgets the pinned host key: the audit row shows the one it had.
    value["hostKeyFingerprint"] = json!(row.host_key_fingerprint);
    value
}

/// A bad input is a 400 with every problem named.
fn checked(state: &AppState, input: &ConnectorInput, existing: Option<&[SecretName]>) -> Result<Valid, AppError> {
    rules::validate(input, existing, state.clock.now()).map_err(AppError::BadRequest)
}

/// The secrets given, sealed for connector `id` before anything is written; refused in words when
/// the server has no key.
fn seal(state: &AppState, id: Uuid, valid: &Valid) -> Result<Vec<(SecretName, Sealed)>, AppError> {
    if valid.secrets.is_empty() {
        return Ok(Vec::new());
    }
    let key: &SecretsKey = state.config.secrets_key.as_ref().ok_or_else(|| {
        AppError::BadRequest(
            "This server has no SECRETS_KEY, so it cannot store a secret: set SECRETS_KEY (32 bytes, base64) and restart."
                .into(),
        )
    })?;
    Ok(valid.secrets.iter().map(|(name, value)| (*name, key.seal(&context(id, *name), value.expose()))).collect())
}

/// Create a connector (admin): its id.
pub async fn create(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    input: &ConnectorInput,
) -> Result<Uuid, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let valid = checked(state, input, None)?;
    let now = state.clock.now();
    let id = Uuid::new_v4();
    let sealed = seal(state, id, &valid)?;
    let mut tx = state.pool.begin().await?;
    let mapping_id = layout(&mut tx, &valid).await?;
    let config = serde_json::to_value(&valid.config).map_err(|_| AppError::Internal)?;
    let tz = valid.timezone.name();
    commands::insert(
        &mut *tx,
        &commands::Write {
            id,
            name: &valid.name,
            kind: valid.kind.code(),
            config: &config,
            schedule: &valid.schedule,
            timezone: tz,
            mapping_id,
            auto_recon: valid.auto_recon,
            by: user.id,
            now,
            next_run_at: runs::next_fire(&valid.schedule, valid.timezone, now),
        },
    )
    .await?;
    for (name, sealed) in &sealed {
        commands::set_secret(&mut *tx, id, *name, sealed, user.id, now).await?;
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            after: Some(audited(
                &valid.name,
                valid.kind.code(),
                &valid.schedule,
                tz,
                &config,
                valid.layout.as_deref(),
                valid.auto_recon,
            )),
            details: Some(secrets_note(&valid)),
            ..AuditEntry::by(&user, "connector.create", "connector")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Edit a connector (admin). Secrets given replace the stored ones of that name; those left out
/// stay. The edit names the `updatedAt` it was made on: a connector changed since is refused (409).
pub async fn update(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    input: &ConnectorInput,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let before = queries::connector_for_update(&mut *tx, id).await?.ok_or_else(no_such)?;
    if ConnectorType::parse(&input.kind).map(ConnectorType::code) != Some(before.connector_type.as_str()) {
        return Err(AppError::BadRequest(format!(
            "A connector keeps its type ({}): create a new connector for another type.",
            before.connector_type
        )));
    }
    // An API edit names the `updatedAt` it was made on, as the page's form does.
    let version = input.version.as_deref().ok_or_else(|| {
        AppError::BadRequest("Give the version (the connector's updatedAt) the edit was made on.".into())
    })?;
    let version = DateTime::parse_from_rfc3339(version.trim())
        .map_err(|_| AppError::BadRequest("The edit's version is not a time: reload the connector.".into()))?;
    if version != before.updated_at {
        return Err(AppError::Conflict(format!(
            "{} was changed by {} at {} since you opened it: reload it and make your change again.",
            before.name,
            before.updated_by.as_deref().unwrap_or("someone else"),
            crate::ist::format_datetime(before.updated_at),
        )));
    }
    let mut held = queries::secret_names(&mut *tx, id).await?;
    if before.secret_ref.is_some() {
        // An environment reference stands for the type's first secret.
        if let Some(first) = ConnectorType::parse(&before.connector_type).map(|k| k.secret_names()[0]) {
            held.push(first);
        }
    }
    let valid = checked(state, input, Some(&held))?;
    let stored: ConnectorConfig = serde_json::from_value(before.config.clone()).unwrap_or_default();
    if valid.secrets.is_empty() && valid.destination() != rules::destination(&stored) {
        let what = match valid.kind {
            ConnectorType::BankSftp => "the password or private key",
            ConnectorType::PgApi => "the API key",
        };
        return Err(AppError::BadRequest(format!(
            "The connector now connects elsewhere ({}): give {what} again. A stored secret is never sent to a new destination.",
            valid.destination()
        )));
    }
    let sealed = seal(state, id, &valid)?;
    let mapping_id = layout(&mut tx, &valid).await?;
    let config = serde_json::to_value(&valid.config).map_err(|_| AppError::Internal)?;
    let tz = valid.timezone.name();
    commands::update(
        &mut *tx,
        &commands::Write {
            id,
            name: &valid.name,
            kind: valid.kind.code(),
            config: &config,
            schedule: &valid.schedule,
            timezone: tz,
            mapping_id,
            auto_recon: valid.auto_recon,
            by: user.id,
            now,
            next_run_at: runs::next_fire(&valid.schedule, valid.timezone, now),
        },
    )
    .await?;
    if !sealed.is_empty() {
        let keep: Vec<&str> = sealed.iter().map(|(n, _)| n.code()).collect();
        commands::drop_other_secrets(&mut *tx, id, &keep).await?;
        for (name, sealed) in &sealed {
            commands::set_secret(&mut *tx, id, *name, sealed, user.id, now).await?;
        }
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(audited_row(&before)),
            after: Some(audited(
                &valid.name,
                valid.kind.code(),
                &valid.schedule,
                tz,
                &config,
                valid.layout.as_deref(),
                valid.auto_recon,
            )),
            details: Some(secrets_note(&valid)),
            ..AuditEntry::by(&user, "connector.update", "connector")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Delete a connector with its secrets, run history and seen files (admin).
pub async fn delete(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: Uuid) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let mut tx = state.pool.begin().await?;
    let before = queries::connector_for_update(&mut *tx, id).await?.ok_or_else(no_such)?;
    if queries::has_live_run(&mut *tx, id).await? {
        return Err(AppError::Conflict(format!("{} has a run in progress: delete it once the run ends.", before.name)));
    }
    commands::delete(&mut *tx, id).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(audited_row(&before)),
            ..AuditEntry::by(&user, "connector.delete", "connector")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(before.name)
}

/// Pause (no scheduled run fires) or resume a connector (`sp-ops`, admin): its name. Pausing a
/// paused connector, or resuming an active one, is refused in words (409).
pub async fn set_paused(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    pause: bool,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::OPS_WORK)?;
    let mut tx = state.pool.begin().await?;
    let before = queries::connector_for_update(&mut *tx, id).await?.ok_or_else(no_such)?;
    let (from, to, action): (&[&str], &str, &str) = if pause {
        (&["ACTIVE", "FAILED"], "PAUSED", "connector.pause")
    } else {
        (&["PAUSED"], "ACTIVE", "connector.resume")
    };
    let now = state.clock.now();
    let next = runs::next_fire(&before.schedule_cron, before.tz(), now);
    if !commands::set_status(&mut *tx, id, from, to, user.id, now, next).await? {
        return Err(AppError::Conflict(if pause {
            format!("{} is paused already.", before.name)
        } else {
            format!("{} is not paused ({}).", before.name, before.status)
        }));
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(json!({ "status": before.status })),
            after: Some(json!({ "status": to })),
            ..AuditEntry::by(&user, action, "connector")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(before.name)
}

/// Where a secret belongs, bound into its ciphertext (see [`crate::secrets`]).
pub fn context(connector: Uuid, name: SecretName) -> String {
    format!("connector:{connector}:{}", name.code())
}

/// The bank layout a BANK_SFTP connector names, as its mapping id; an unknown name is a 400.
async fn layout(tx: &mut sqlx::PgConnection, valid: &Valid) -> Result<Option<Uuid>, AppError> {
    let Some(name) = valid.layout.as_deref() else { return Ok(None) };
    queries::layout_id(&mut *tx, name)
        .await?
        .map(Some)
        .ok_or_else(|| AppError::BadRequest(format!("There is no active bank layout named {name:?}.")))
}

fn secrets_note(valid: &Valid) -> String {
    if valid.secrets.is_empty() {
        "no secret changed".into()
    } else {
        let names: Vec<&str> = valid.secrets.iter().map(|(n, _)| n.code()).collect();
        format!("secret set: {}", names.join(", "))
    }
}

/// The cycle date an action names, or the one the schedule would fetch now; never a day after
/// today in the connector's time zone, nor more than [`runs::MAX_DAYS_AGO`] days before it.
fn action_cycle(state: &AppState, row: &ConnectorRow, cycle: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
    let now = state.clock.now();
    let today = now.with_timezone(&row.tz()).date_naive();
    let cycle = cycle.unwrap_or_else(|| runs::cycle_for(row.kind(), &row.settings(), now, row.tz()));
    if cycle > today {
        return Err(AppError::BadRequest(format!(
            "{cycle} is in the future: choose a cycle date up to today ({today})."
        )));
    }
    if (today - cycle).num_days() > runs::MAX_DAYS_AGO {
        return Err(AppError::BadRequest(format!(
            "{cycle} is more than {} days ago: a connector fetches the last year at most.",
            runs::MAX_DAYS_AGO
        )));
    }
    Ok(cycle)
}

/// Run a connector now for one cycle date (the schedule's when none is given): `sp-ops`, admin.
pub async fn run_now(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    cycle: Option<NaiveDate>,
) -> Result<Vec<Uuid>, AppError> {
    let user = authorize(Some(caller), Access::OPS_WORK)?;
    let row = queries::connector(&state.pool, id).await?.ok_or_else(no_such)?;
    let cycle = action_cycle(state, &row, cycle)?;
    runs::queue(&state.pool, id, RunType::Manual, &[cycle], Some(&user), ip, state.clock.now()).await
}

/// Backfill a date range: one run per date, in order (`sp-ops`, admin).
pub async fn backfill(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Uuid>, AppError> {
    let user = authorize(Some(caller), Access::OPS_WORK)?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::BadRequest("A backfill needs the first and the last cycle date (from, to).".into()));
    };
    let row = queries::connector(&state.pool, id).await?.ok_or_else(no_such)?;
    action_cycle(state, &row, Some(to))?;
    action_cycle(state, &row, Some(from))?;
    let dates = runs::backfill_dates(from, to).map_err(AppError::BadRequest)?;
    runs::queue(&state.pool, id, RunType::Backfill, &dates, Some(&user), ip, state.clock.now()).await
}

/// Test a connector: connect and list, nothing ingested (`sp-ops`, admin).
pub async fn test(
    state: &AppState,
    caller: &CurrentUser,
    id: Uuid,
    cycle: Option<NaiveDate>,
) -> Result<runs::Tested, AppError> {
    let user = authorize(Some(caller), Access::OPS_WORK)?;
    let row = queries::connector(&state.pool, id).await?.ok_or_else(no_such)?;
    let cycle = action_cycle(state, &row, cycle)?;
    runs::test(state, &user, id, cycle).await
}

/// Forget the pinned host key (admin), after the bank confirmed it changed its key.
pub async fn forget_host_key(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let mut tx = state.pool.begin().await?;
    let before = queries::connector_for_update(&mut *tx, id).await?.ok_or_else(no_such)?;
    if !commands::forget_host_key(&mut *tx, id, user.id, state.clock.now()).await? {
        return Err(AppError::Conflict(format!("{} has no pinned host key.", before.name)));
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(json!({ "hostKeyFingerprint": before.host_key_fingerprint })),
            after: Some(json!({ "hostKeyFingerprint": null })),
            ..AuditEntry::by(&user, "connector.host_key.forget", "connector")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(before.name)
}

/// A connector's runs, newest first (every signed-in role).
pub async fn runs_of(state: &AppState, caller: &CurrentUser, id: Uuid, limit: i64) -> Result<Vec<RunView>, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::connector(&state.pool, id).await?.ok_or_else(no_such)?;
    queries::runs(&state.pool, Some(id), None, limit).await
}

/// One run (every signed-in role).
pub async fn run(state: &AppState, caller: &CurrentUser, run: Uuid) -> Result<RunView, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::runs(&state.pool, None, Some(run), 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("There is no such connector run.".into()))
}
