//! Reconciliation facts read from the database: the exception catalogue and the summary of a
//! window of cycle dates (the checklist's `GET /api/recon/summary`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionType {
    pub code: String,
    pub label: String,
    pub description: String,
    #[sqlx(rename = "default_severity")]
    pub severity: String,
    pub sla_hours: i32,
    #[sqlx(rename = "resolution_hint")]
    pub resolution: String,
    #[serde(skip)]
    pub is_v1: bool,
}

/// Every exception type, in catalogue order (the 11 V1 types, then the extensions).
pub async fn exception_types(pool: &PgPool) -> Result<Vec<ExceptionType>, AppError> {
    Ok(sqlx::query_as(
        "SELECT code, label, description, default_severity::text AS default_severity, sla_hours, resolution_hint, is_v1
         FROM exception_types ORDER BY sort_order",
    )
    .fetch_all(pool)
    .await?)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountAmount {
    pub count: i64,
    pub amount_paise: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastRun {
    pub id: Uuid,
    pub cycle_date: NaiveDate,
    pub status: String,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub transactions: CountAmount,
    pub matched: CountAmount,
    pub unmatched_pg: CountAmount,
    pub unmatched_bank: CountAmount,
    pub exceptions: CountAmount,
    /// Matched ÷ transactions, in tenths of a percent (`None` without transactions).
    pub match_rate_permille: Option<i64>,
    pub last_run: Option<LastRun>,
}

#[derive(FromRow)]
struct SummaryRow {
    txn_count: i64,
    txn_paise: i64,
    matched_count: i64,
    matched_paise: i64,
    unmatched_pg_count: i64,
    unmatched_pg_paise: i64,
    unmatched_bank_count: i64,
    unmatched_bank_paise: i64,
    exception_count: i64,
    exception_paise: i64,
}

/// Totals over the cycle dates `from..=to`: transactions, reconciled (matched), the open
/// exceptions (all, PG-only, bank-only; amounts are the PG amount, else the bank amount).
pub async fn summary(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Summary, AppError> {
    let r: SummaryRow = sqlx::query_as(
        "WITH t AS (SELECT count(*) AS n, coalesce(sum(amount_paise), 0)::bigint AS paise,
                           count(*) FILTER (WHERE status IN ('RECONCILED', 'SETTLED', 'PAID')) AS m,
                           coalesce(sum(amount_paise) FILTER (WHERE status IN ('RECONCILED', 'SETTLED', 'PAID')), 0)::bigint AS mp
                    FROM transactions WHERE cycle_date BETWEEN $1 AND $2),
              e AS (SELECT reason_code, coalesce(pg_amount_paise, bank_amount_paise, 0) AS paise
                    FROM exceptions WHERE cycle_date BETWEEN $1 AND $2 AND status NOT IN ('resolved', 'wont_fix'))
         SELECT t.n AS txn_count, t.paise AS txn_paise, t.m AS matched_count, t.mp AS matched_paise,
                (SELECT count(*) FROM e WHERE reason_code = 'PG_TXN_MISSING_IN_BANK') AS unmatched_pg_count,
                (SELECT coalesce(sum(paise), 0)::bigint FROM e WHERE reason_code = 'PG_TXN_MISSING_IN_BANK') AS unmatched_pg_paise,
                (SELECT count(*) FROM e WHERE reason_code = 'BANK_TXN_MISSING_IN_PG') AS unmatched_bank_count,
                (SELECT coalesce(sum(paise), 0)::bigint FROM e WHERE reason_code = 'BANK_TXN_MISSING_IN_PG') AS unmatched_bank_paise,
                (SELECT count(*) FROM e) AS exception_count,
                (SELECT coalesce(sum(paise), 0)::bigint FROM e) AS exception_paise
         FROM t",
    )
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    let last_run: Option<(Uuid, NaiveDate, String, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT id, cycle_date, status, finished_at FROM recon_runs ORDER BY queued_at DESC, id LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    let pair = |count, amount_paise| CountAmount { count, amount_paise };
    Ok(Summary {
        from,
        to,
        transactions: pair(r.txn_count, r.txn_paise),
        matched: pair(r.matched_count, r.matched_paise),
        unmatched_pg: pair(r.unmatched_pg_count, r.unmatched_pg_paise),
        unmatched_bank: pair(r.unmatched_bank_count, r.unmatched_bank_paise),
        exceptions: pair(r.exception_count, r.exception_paise),
        match_rate_permille: (r.txn_count > 0).then(|| (2 * r.matched_count * 1000 + r.txn_count) / (2 * r.txn_count)),
        last_run: last_run.map(|(id, cycle_date, status, finished_at)| LastRun { id, cycle_date, status, finished_at }),
    })
}
