//! Reads for the merchant terms pages and API, one function per fact. The terms themselves are
//! read by [`crate::features::settlements::terms::terms_on`] only; here are the merchants, their
//! primary bank account (full number: callers mask it), the versions and the holiday calendar.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use super::model::{BankAccount, Holiday};
use crate::error::AppError;

pub struct MerchantHead {
    pub id: String,
    pub name: String,
    pub legal_name: String,
}

pub async fn merchants(conn: &mut PgConnection) -> Result<Vec<MerchantHead>, AppError> {
    // Codes still unknown are listed apart (`codes::unknown`): they have no terms yet.
    Ok(sqlx::query_as!(
        MerchantHead,
        "SELECT id, name, legal_name FROM merchants WHERE unknown_since IS NULL ORDER BY id"
    )
    .fetch_all(&mut *conn)
    .await?)
}

pub async fn merchant(conn: &mut PgConnection, id: &str) -> Result<Option<MerchantHead>, AppError> {
    // A code still unknown is not a merchant page (it is listed, and resolved, apart).
    Ok(sqlx::query_as!(
        MerchantHead,
        "SELECT id, name, legal_name FROM merchants WHERE id = $1 AND unknown_since IS NULL",
        id
    )
    .fetch_optional(&mut *conn)
    .await?)
}

/// The primary account of each of `merchant_ids` that has one, the number in full (mask before
/// showing it).
pub async fn primary_accounts(
    conn: &mut PgConnection,
    merchant_ids: &[String],
) -> Result<HashMap<String, BankAccount>, AppError> {
    let rows = sqlx::query!(
        "SELECT merchant_id, holder_name, account_number, ifsc, bank_name
         FROM merchant_bank_accounts WHERE is_primary AND merchant_id = ANY($1)",
        merchant_ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let account = BankAccount {
                holder_name: r.holder_name,
                account_number: r.account_number,
                ifsc: r.ifsc,
                bank_name: r.bank_name,
            };
            (r.merchant_id, account)
        })
        .collect())
}

/// One merchant's primary account, the number in full (mask before showing it).
pub async fn primary_account(conn: &mut PgConnection, merchant_id: &str) -> Result<Option<BankAccount>, AppError> {
    Ok(primary_accounts(conn, &[merchant_id.to_string()]).await?.remove(merchant_id))
}

pub struct VersionRecord {
    pub effective_from: NaiveDate,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

/// Every date from which some of the merchant's terms changed, newest first, with who saved the
/// configuration version of that date and when (nobody for the rows loaded before versions).
pub async fn versions(conn: &mut PgConnection, merchant_id: &str) -> Result<Vec<VersionRecord>, AppError> {
    Ok(sqlx::query_as!(
        VersionRecord,
        r#"SELECT v.effective_from AS "effective_from!: NaiveDate",
                  u.full_name AS "changed_by?",
                  c.updated_at AS "changed_at?: DateTime<Utc>"
           FROM (SELECT effective_from FROM merchant_settlement_config WHERE merchant_id = $1
                 UNION SELECT effective_from FROM merchant_commission_rates WHERE merchant_id = $1
                 UNION SELECT effective_from FROM merchant_fee_bearers WHERE merchant_id = $1) v
           LEFT JOIN merchant_settlement_config c ON c.merchant_id = $1 AND c.effective_from = v.effective_from
           LEFT JOIN users u ON u.id = c.updated_by
           ORDER BY v.effective_from DESC"#,
        merchant_id
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The latest cycle date that has a batch for the merchant.
pub async fn last_batched_cycle(conn: &mut PgConnection, merchant_id: &str) -> Result<Option<NaiveDate>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT max(cycle_date) AS "d: NaiveDate" FROM settlement_batches WHERE merchant_id = $1"#,
        merchant_id
    )
    .fetch_one(&mut *conn)
    .await?)
}

/// The bank-holiday calendar.
pub async fn holidays(conn: &mut PgConnection) -> Result<Vec<Holiday>, AppError> {
    // Every year the table holds (it is data: India's bank holidays year by year).
    let (first, last) = (NaiveDate::from_ymd_opt(1900, 1, 1), NaiveDate::from_ymd_opt(2200, 12, 31));
    let (Some(first), Some(last)) = (first, last) else { return Ok(Vec::new()) };
    let calendar = super::super::terms::holiday_calendar(conn, first, last).await?;
    Ok(calendar.into_iter().map(|(date, name)| Holiday { date, name }).collect())
}
