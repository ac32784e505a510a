//! The connectors' reads and writes, one query per fact. Secrets are written and read sealed
//! (`crate::secrets`); nothing here ever sees a plain secret except [`set_secret`]'s caller.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::model::SecretName;
use crate::error::AppError;
use crate::secrets::Sealed;

/// A connector as stored.
#[derive(Clone, Debug)]
pub struct ConnectorRow {
    pub id: Uuid,
    pub name: String,
    pub connector_type: String,
    pub status: String,
    pub config: Value,
    pub secret_ref: Option<String>,
    pub schedule_cron: String,
    pub timezone: String,
    pub layout: Option<String>,
    pub auto_recon: bool,
    pub host_key_fingerprint: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

/// Every connector, by name.
pub async fn connectors(pool: &PgPool) -> Result<Vec<ConnectorRow>, AppError> {
    Ok(sqlx::query_as!(
        ConnectorRow,
        r#"SELECT c.id, c.name, c.connector_type, c.status, c.config, c.secret_ref, c.schedule_cron, c.timezone,
                  m.layout_name AS "layout?", c.auto_recon, c.host_key_fingerprint,
                  c.updated_at AS "updated_at: DateTime<Utc>", u.email AS "updated_by?"
           FROM connectors c
           LEFT JOIN bank_column_mappings m ON m.id = c.mapping_id
           LEFT JOIN users u ON u.id = c.updated_by
           ORDER BY c.name"#
    )
    .fetch_all(pool)
    .await?)
}

/// One connector, locked for an edit when read inside a transaction (`FOR UPDATE`).
pub async fn connector_for_update<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Option<ConnectorRow>, AppError> {
    Ok(sqlx::query_as!(
        ConnectorRow,
        r#"SELECT c.id, c.name, c.connector_type, c.status, c.config, c.secret_ref, c.schedule_cron, c.timezone,
                  m.layout_name AS "layout?", c.auto_recon, c.host_key_fingerprint,
                  c.updated_at AS "updated_at: DateTime<Utc>", u.email AS "updated_by?"
           FROM connectors c
           LEFT JOIN bank_column_mappings m ON m.id = c.mapping_id
           LEFT JOIN users u ON u.id = c.updated_by
           WHERE c.id = $1
           FOR UPDATE OF c"#,
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Which secrets are sealed for each connector, and when each was set: `(connector, name, set_at)`.
pub async fn secret_states(pool: &PgPool) -> Result<Vec<(Uuid, String, DateTime<Utc>)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT connector_id, name, set_at AS "set_at: DateTime<Utc>" FROM connector_secrets ORDER BY connector_id, name"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.connector_id, r.name, r.set_at))
    .collect())
}

/// The names of the secrets sealed for one connector.
pub async fn secret_names<'c>(db: impl PgExecutor<'c>, connector: Uuid) -> Result<Vec<SecretName>, AppError> {
    let names = sqlx::query_scalar!("SELECT name FROM connector_secrets WHERE connector_id = $1", connector)
        .fetch_all(db)
        .await?;
    Ok(names.iter().filter_map(|n| SecretName::parse(n)).collect())
}

/// The stored bank layout of this name (any case), if there is one: its id.
pub async fn layout_id<'c>(db: impl PgExecutor<'c>, name: &str) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM bank_column_mappings WHERE lower(btrim(layout_name)) = lower(btrim($1)) AND is_active",
        name
    )
    .fetch_optional(db)
    .await?)
}

/// The active bank layouts' names, for the form.
pub async fn layout_names(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!("SELECT layout_name FROM bank_column_mappings WHERE is_active ORDER BY layout_name")
        .fetch_all(pool)
        .await?)
}

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
}

/// Insert a new connector; a name already taken is refused in words.
pub async fn insert<'c>(db: impl PgExecutor<'c>, w: &Write<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO connectors (id, name, connector_type, status, config, schedule_cron, timezone, mapping_id, auto_recon,
                                 created_by, updated_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $6, $7, $8, $9, $9, $10, $10)",
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
    )
    .execute(db)
    .await
    .map_err(|e| taken(e, w.name))?;
    Ok(())
}

/// Overwrite a connector's settings (its type stays); a name already taken is refused in words.
/// A changed host or port forgets the pinned host key: the next test pins the new server's.
pub async fn update<'c>(db: impl PgExecutor<'c>, w: &Write<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE connectors
         SET name = $2, config = $3, schedule_cron = $4, timezone = $5, mapping_id = $6, auto_recon = $7,
             host_key_fingerprint = CASE WHEN config -> 'host' IS DISTINCT FROM $3::jsonb -> 'host'
                                           OR config -> 'port' IS DISTINCT FROM $3::jsonb -> 'port'
                                         THEN NULL ELSE host_key_fingerprint END,
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
) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "UPDATE connectors SET status = $3, updated_by = $4, updated_at = $5 WHERE id = $1 AND status = ANY($2)",
        id,
        from as &[&str],
        to,
        by,
        now as DateTime<Utc>,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Delete a connector with its secrets, runs and seen files; `false` when there was none.
pub async fn delete<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query!("DELETE FROM connectors WHERE id = $1", id).execute(db).await?.rows_affected() == 1)
}
