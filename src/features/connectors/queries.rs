//! The connectors' reads, one query per fact (the writes are in [`super::commands`]). Secrets are
//! never read here beyond which are set.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::model::{ConnectorConfig, ConnectorType, RunFile, RunView, SecretName};
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

impl ConnectorRow {
    /// Its type (a stored row always has a known one).
    pub fn kind(&self) -> ConnectorType {
        ConnectorType::parse(&self.connector_type).unwrap_or(ConnectorType::BankSftp)
    }

    /// Its settings as the API names them, the bank layout's name included.
    pub fn settings(&self) -> ConnectorConfig {
        let mut config: ConnectorConfig = serde_json::from_value(self.config.clone()).unwrap_or_default();
        config.layout = self.layout.clone();
        config
    }

    /// The time zone its schedule is read in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Asia::Kolkata)
    }
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

/// Whether a run of the connector is queued or in progress (a test is not a run: it ends with its
/// request, and one cut short must not keep the connector from being deleted).
pub async fn has_live_run<'c>(db: impl PgExecutor<'c>, connector: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM connector_runs WHERE connector_id = $1 AND status IN ('QUEUED', 'RUNNING')
                          AND run_type <> 'TEST') AS "live!""#,
        connector
    )
    .fetch_one(db)
    .await?)
}

/// How many runs of the connector are queued or running.
pub async fn live_runs<'c>(db: impl PgExecutor<'c>, connector: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM connector_runs
           WHERE connector_id = $1 AND status IN ('QUEUED', 'RUNNING') AND run_type <> 'TEST'"#,
        connector
    )
    .fetch_one(db)
    .await?)
}

/// One connector, not locked.
pub async fn connector(pool: &PgPool, id: Uuid) -> Result<Option<ConnectorRow>, AppError> {
    Ok(sqlx::query_as!(
        ConnectorRow,
        r#"SELECT c.id, c.name, c.connector_type, c.status, c.config, c.secret_ref, c.schedule_cron, c.timezone,
                  m.layout_name AS "layout?", c.auto_recon, c.host_key_fingerprint,
                  c.updated_at AS "updated_at: DateTime<Utc>", u.email AS "updated_by?"
           FROM connectors c
           LEFT JOIN bank_column_mappings m ON m.id = c.mapping_id
           LEFT JOIN users u ON u.id = c.updated_by
           WHERE c.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?)
}

/// Every sealed secret, locked until the transaction ends: `(connector, name, nonce, ciphertext)`,
/// for a reseal under a new key.
pub async fn all_sealed_secrets_locked(
    tx: &mut sqlx::PgConnection,
) -> Result<Vec<(Uuid, String, Vec<u8>, Vec<u8>)>, AppError> {
    Ok(sqlx::query!(
        "SELECT connector_id, name, nonce, ciphertext FROM connector_secrets ORDER BY connector_id, name FOR UPDATE"
    )
    .fetch_all(tx)
    .await?
    .into_iter()
    .map(|r| (r.connector_id, r.name, r.nonce, r.ciphertext))
    .collect())
}

/// A connector's sealed secrets: `(name, nonce, ciphertext)`, for a run to open.
pub async fn sealed_secrets(pool: &PgPool, connector: Uuid) -> Result<Vec<(String, Vec<u8>, Vec<u8>)>, AppError> {
    Ok(sqlx::query!(
        "SELECT name, nonce, ciphertext FROM connector_secrets WHERE connector_id = $1 ORDER BY name",
        connector
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.name, r.nonce, r.ciphertext))
    .collect())
}

/// Pin the SFTP server's host key at a test's first contact: the key pinned now (another test's,
/// when two raced), and whether this call pinned it.
pub async fn pin_host_key<'c>(
    db: impl PgExecutor<'c>,
    connector: Uuid,
    fingerprint: &str,
) -> Result<(Option<String>, bool), AppError> {
    let row = sqlx::query!(
        r#"WITH pinned AS (
               UPDATE connectors SET host_key_fingerprint = $2 WHERE id = $1 AND host_key_fingerprint IS NULL
               RETURNING host_key_fingerprint)
           SELECT coalesce((SELECT host_key_fingerprint FROM pinned), c.host_key_fingerprint) AS fingerprint,
                  EXISTS (SELECT 1 FROM pinned) AS "pinned_now!"
           FROM connectors c WHERE c.id = $1"#,
        connector,
        fingerprint
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map_or((None, false), |r| (r.fingerprint, r.pinned_now)))
}

/// A file the connector took before: the upload it became.
pub struct SeenFile {
    pub upload: Option<Uuid>,
}

/// The file of this name and SHA-256 the connector took before, if it did.
pub async fn seen_file(pool: &PgPool, connector: Uuid, name: &str, sha256: &str) -> Result<Option<SeenFile>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT file_id FROM connector_files WHERE connector_id = $1 AND file_name = $2 AND sha256 = $3",
        connector,
        name,
        sha256
    )
    .fetch_optional(pool)
    .await?
    .map(|upload| SeenFile { upload }))
}

/// Remember a file the connector took (or found stored before), so the next run skips it.
pub async fn remember_file(
    pool: &PgPool,
    connector: Uuid,
    name: &str,
    sha256: &str,
    upload: Uuid,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO connector_files (connector_id, file_name, sha256, file_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (connector_id, file_name, sha256) DO NOTHING",
        connector,
        name,
        sha256,
        upload
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether the cycle's PG side is in (any gateway transaction of the cycle date).
pub async fn pg_side_present(pool: &PgPool, cycle: chrono::NaiveDate) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM transactions WHERE cycle_date = $1) AS "present!""#,
        cycle as chrono::NaiveDate
    )
    .fetch_one(pool)
    .await?)
}

/// Runs, newest first: of one connector, or one run, or the newest `per_connector` of every
/// connector.
pub async fn runs(
    pool: &PgPool,
    connector: Option<Uuid>,
    run: Option<Uuid>,
    per_connector: i64,
) -> Result<Vec<RunView>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT r.id, r.connector_id, c.name AS connector_name, r.run_type, r.status,
                  r.cycle_date AS "cycle_date: chrono::NaiveDate", r.queued_at AS "queued_at: DateTime<Utc>", r.started_at AS "started_at: DateTime<Utc>",
                  r.finished_at AS "finished_at: DateTime<Utc>", u.email AS "started_by?",
                  r.files_seen, r.files_ingested, r.rows_ingested, r.error,
                  r.files AS "files: sqlx::types::Json<Vec<RunFile>>", r.recon_run_id, r.note
           FROM (SELECT r.*, row_number() OVER (PARTITION BY r.connector_id ORDER BY r.queued_at DESC, r.cycle_date DESC, r.id) AS n
                 FROM connector_runs r
                 WHERE ($1::uuid IS NULL OR r.connector_id = $1) AND ($2::uuid IS NULL OR r.id = $2)) r
           JOIN connectors c ON c.id = r.connector_id
           LEFT JOIN users u ON u.id = r.started_by
           WHERE r.n <= $3
           ORDER BY c.name, r.queued_at DESC, r.cycle_date DESC, r.id"#,
        connector,
        run,
        per_connector,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RunView {
            id: r.id,
            connector_id: r.connector_id,
            connector_name: r.connector_name,
            run_type: r.run_type,
            status: r.status,
            cycle_date: r.cycle_date,
            queued_at: r.queued_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            started_by: r.started_by,
            files_seen: r.files_seen,
            files_ingested: r.files_ingested,
            rows_ingested: r.rows_ingested,
            error: r.error,
            files: r.files.0,
            recon_run_id: r.recon_run_id,
            note: r.note,
        })
        .collect())
}
