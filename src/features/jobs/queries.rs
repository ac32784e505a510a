//! The jobs console's reads.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::model::{JobView, STATUSES};
use crate::error::AppError;

/// The newest jobs, of one status or all.
pub async fn jobs(pool: &PgPool, status: Option<&str>, limit: i64) -> Result<Vec<JobView>, AppError> {
    Ok(sqlx::query_as!(
        JobView,
        r#"SELECT id, kind, status, attempts, max_attempts, run_at AS "run_at: DateTime<Utc>",
                  created_at AS "created_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
                  last_error, unique_key AS key
           FROM jobs WHERE ($1::text IS NULL OR status = $1)
           ORDER BY created_at DESC, id DESC LIMIT $2"#,
        status,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

/// One job.
pub async fn job(pool: &PgPool, id: i64) -> Result<Option<JobView>, AppError> {
    Ok(sqlx::query_as!(
        JobView,
        r#"SELECT id, kind, status, attempts, max_attempts, run_at AS "run_at: DateTime<Utc>",
                  created_at AS "created_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
                  last_error, unique_key AS key
           FROM jobs WHERE id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Jobs by status, every status listed.
pub async fn counts(pool: &PgPool) -> Result<Vec<(String, i64)>, AppError> {
    let rows = sqlx::query!(r#"SELECT status, count(*) AS "n!" FROM jobs GROUP BY status"#).fetch_all(pool).await?;
    Ok(STATUSES.iter().map(|s| (s.to_string(), rows.iter().find(|r| r.status == *s).map_or(0, |r| r.n))).collect())
}
