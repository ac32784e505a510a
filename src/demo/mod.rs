//! The deterministic demo data set (spec 08): `settlepaisa-ops seed demo [--anchor-date D]`.
//! [`generate`] builds it purely from the anchor date; [`load`] writes it in one transaction.

pub mod generate;
mod load;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::error::AppError;

pub use generate::{generate, DemoData, DEMO_PASSWORD, DEMO_USERS};

pub async fn has_users(pool: &PgPool) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users) AS "exists!""#).fetch_one(pool).await?)
}

/// Generate and load the demo data; refuses a database that already holds users or transactions.
pub async fn seed(pool: &PgPool, anchor: NaiveDate) -> Result<String, AppError> {
    let occupied: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM transactions) AS "occupied!""#
    )
    .fetch_one(pool)
    .await?;
    if occupied {
        return Err(AppError::Conflict(
            "The database already holds data; the demo set loads only into an empty database.".into(),
        ));
    }
    let data = tokio::task::spawn_blocking(move || generate(anchor)).await.map_err(|_| AppError::Internal)?;
    load::load(pool, &data).await?;
    Ok(format!(
        "demo data loaded (anchor {anchor}): {} users, {} merchants, {} transactions, {} bank lines, {} exceptions, \
         {} settlement batches, {} chargebacks, 1 connector",
        data.users.len(),
        data.merchants.len(),
        data.transactions.len(),
        data.bank_lines.len(),
        data.exceptions.len(),
        data.batches.len(),
        data.chargebacks.len()
    ))
}
