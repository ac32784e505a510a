//! The connectors' writes (the reads are in [`super::queries`]). A secret arrives here sealed
//! (`crate::secrets`), never in the clear.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::model::SecretName;
use crate::error::AppError;
use crate::secrets::Sealed;

/// A connector's stored settings (create or overwrite), as one row.
pub struct Write<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub config: &'a Value,
    pub schedule: &'a str,
    pub timezone: &'a str,
    pub mapping_id: Option<Uuid>,
    pub auto_recon: bool,
    pub by: Uuid,
    pub now: DateTime<Utc>,
    /// When the schedule next fires (from `now`): kept by an edit that leaves the schedule as it was.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// Insert a new connector; a name already taken is refused in words.
pub async fn insert<'c>(db: impl PgExecutor<'c>, w: &Write<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO connectors (id, name, connector_type, status, config, schedule_cron, timezone, mapping_id, auto_recon,
                                 created_by, updated_by, created_at, updated_at, next_run_at)
         VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $7, $8, $9, $9, $10, $10, $11)",
        w.id,
        w.name,
        w.kind,
        w.config,
        w.schedule,
        w.timezone,
        w.mapping_id,
        w.auto_recon,
        w.by,
        w.now as DateTime<Utc>,
        w.next_run_at as Option<DateTime<Utc>>,
    )
    .execute(db)
    .await
    .map_err(|e| taken(e, w.name))?;
    Ok(())
}

/// Overwrite a connector's settings (its type stays); a name already taken is refused in words.
/// A changed host or port forgets the pinned host key: the next test pins the new server's. A
/// changed schedule is read afresh by the scheduler.
pub async fn update<'c>(db: impl PgExecutor<'c>, w: &Write<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE connectors
         SET name = $2, config = $3, schedule_cron = $4, timezone = $5, mapping_id = $6, auto_recon = $7,
             host_key_fingerprint = CASE WHEN config -> 'host' IS DISTINCT FROM $3::jsonb -> 'host'
                                           OR config -> 'port' IS DISTINCT FROM $3::jsonb -> 'port'
                                         THEN NULL ELSE host_key_fingerprint END,
             next_run_at = CASE WHEN schedule_cron = $4 AND timezone = $5 THEN next_run_at ELSE $10 END,
             updated_by = $8, updated_at = $9
         WHERE id = $1",
        w.id,
        w.name,
        w.config,
        w.schedule,
        w.timezone,
        w.mapping_id,
        w.auto_recon,
        w.by,
        w.now as DateTime<Utc>,
        w.next_run_at as Option<DateTime<Utc>>,
    )
    .execute(db)
    .await
    .map_err(|e| taken(e, w.name))?;
    Ok(())
}

fn taken(e: sqlx::Error, name: &str) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("connectors_name_key") => {
            AppError::Conflict(format!("A connector named {name:?} exists already: choose another name."))
        }
        _ => e.into(),
    }
}

/// Seal a secret for a connector, replacing the one of that name.
pub async fn set_secret<'c>(
    db: impl PgExecutor<'c>,
    connector: Uuid,
    name: SecretName,
    sealed: &Sealed,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO connector_secrets (connector_id, name, nonce, ciphertext, set_at, set_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (connector_id, name) DO UPDATE
         SET nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, set_at = EXCLUDED.set_at, set_by = EXCLUDED.set_by",
        connector,
        name.code(),
        &sealed.nonce,
        &sealed.ciphertext,
        now as DateTime<Utc>,
        by,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The same secret sealed again (under a new key): its value, `set_at` and `set_by` unchanged.
pub async fn reseal_secret<'c>(
    db: impl PgExecutor<'c>,
    connector: Uuid,
    name: &str,
    sealed: &Sealed,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE connector_secrets SET nonce = $3, ciphertext = $4 WHERE connector_id = $1 AND name = $2",
        connector,
        name,
        &sealed.nonce,
        &sealed.ciphertext,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forget the secrets of a connector other than `keep` (a password replaced by a private key, or
/// the other way round), and an environment reference it was set up with.
pub async fn drop_other_secrets<'c>(db: impl PgExecutor<'c>, connector: Uuid, keep: &[&str]) -> Result<(), AppError> {
    sqlx::query!(
        "WITH gone AS (DELETE FROM connector_secrets WHERE connector_id = $1 AND NOT (name = ANY($2)) RETURNING 1)
         UPDATE connectors SET secret_ref = NULL WHERE id = $1",
        connector,
        keep as &[&str],
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Set a connector's status; `false` when it was not in `from`.
pub async fn set_status<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    from: &[&str],
    to: &str,
    by: Uuid,
    now: DateTime<Utc>,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        // Resuming sets the next fire time afresh from now: the times missed while paused do not fire.
        "UPDATE connectors SET status = $3, updated_by = $4, updated_at = $5,
                next_run_at = CASE WHEN $3 = 'ACTIVE' THEN $6 ELSE next_run_at END
         WHERE id = $1 AND status = ANY($2)",
        id,
        from as &[&str],
        to,
        by,
        now as DateTime<Utc>,
        next_run_at as Option<DateTime<Utc>>,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Delete a connector with its secrets, runs and seen files; `false` when there was none.
pub async fn delete<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query!("DELETE FROM connectors WHERE id = $1", id).execute(db).await?.rows_affected() == 1)
}

/// Forget a BANK_SFTP connector's pinned host key (an admin who confirmed the bank's new key): the
/// next contact pins the key the server then offers. `false` when none was pinned.
pub async fn forget_host_key<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "UPDATE connectors SET host_key_fingerprint = NULL, updated_by = $2, updated_at = $3
         WHERE id = $1 AND host_key_fingerprint IS NOT NULL",
        id,
        by,
        now as DateTime<Utc>,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
