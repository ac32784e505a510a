//! The connectors' reads, one query per fact (the writes are in [`super::commands`]). Secrets are
//! never read here beyond which are set.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::model::SecretName;
use crate::error::AppError;

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

/// Whether a run of the connector is in progress.
pub async fn has_live_run<'c>(db: impl PgExecutor<'c>, connector: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM connector_runs WHERE connector_id = $1 AND status = 'RUNNING') AS "live!""#,
        connector
    )
    .fetch_one(db)
    .await?)
}
