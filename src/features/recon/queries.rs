//! Reconciliation facts read from the database: the exception catalogue, the totals of a window of
//! cycle dates (one query, read by Overview too) and the checklist's `GET /api/recon/summary`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;
use crate::features::exceptions::model::Status;
use crate::ist;
use crate::money::Paise;
use crate::ratio::permille_half_up;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionType {
    pub code: String,
    pub label: String,
    pub description: String,
    /// `default_severity` in the table.
    pub severity: String,
    pub sla_hours: i32,
    /// `resolution_hint` in the table.
    pub resolution: String,
    #[serde(skip)]
    pub is_v1: bool,
}

/// Every exception type, in catalogue order (the 11 V1 types, then the extensions).
pub async fn exception_types(pool: &PgPool) -> Result<Vec<ExceptionType>, AppError> {
    Ok(sqlx::query_as!(
        ExceptionType,
        r#"SELECT code, label, description, default_severity::text AS "severity!", sla_hours,
                resolution_hint AS resolution, is_v1
         FROM exception_types ORDER BY sort_order"#,
    )
    .fetch_all(pool)
    .await?)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountAmount {
    pub count: i64,
    pub amount_paise: Paise,
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

/// The figures of a window of cycle dates that the Overview page and `GET /api/recon/summary` both
/// show. One query computes them for both, so the two can never disagree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowTotals {
    pub transactions: CountAmount,
    /// Reconciled, then settled or paid: matched.
    pub reconciled: CountAmount,
    /// The settlement pipeline: in a batch not yet sent, sent to the bank, paid.
    pub in_settlement: CountAmount,
    pub sent_to_bank: CountAmount,
    pub credited: CountAmount,
    /// Open exceptions (all, PG-only, bank-only); amounts are the PG amount, else the bank amount.
    pub open_exceptions: CountAmount,
    pub unmatched_pg: CountAmount,
    pub unmatched_bank: CountAmount,
    /// Open chargebacks received in the same IST days.
    pub open_chargebacks: i64,
}

struct WindowRow {
    txn_count: i64,
    txn_paise: Paise,
    reconciled_count: i64,
    reconciled_paise: Paise,
    in_settlement_count: i64,
    in_settlement_paise: Paise,
    sent_to_bank_count: i64,
    sent_to_bank_paise: Paise,
    credited_count: i64,
    credited_paise: Paise,
    exception_count: i64,
    exception_paise: Paise,
    unmatched_pg_count: i64,
    unmatched_pg_paise: Paise,
    unmatched_bank_count: i64,
    unmatched_bank_paise: Paise,
    open_chargebacks: i64,
}

/// [`WindowTotals`] over the cycle dates `from..=to`, in one round trip. The transaction and
/// exception figures are read from the daily rollups (`txn_daily`, `exception_daily`, kept exact by
/// the ledger's triggers), so the cost does not grow with the number of transactions.
pub async fn window_totals(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<WindowTotals, AppError> {
    use crate::domain::PipelineBucket as B;
    let (start, end) = ist::day_range(from, to);
    // Counts and sums of aggregates without GROUP BY (and scalar subqueries over them) always
    // give a row and, with the coalesce, never null.
    let r = sqlx::query_as!(
        WindowRow,
        r#"WITH txn AS (
             SELECT status, batch_status, sum(txn_count)::bigint AS n, sum(amount_paise)::bigint AS paise
             FROM txn_daily WHERE cycle_date BETWEEN $1 AND $2 GROUP BY 1, 2
         ),
         exc AS (
             SELECT reason_code, sum(exc_count)::bigint AS n, sum(amount_paise)::bigint AS paise
             FROM exception_daily WHERE cycle_date BETWEEN $1 AND $2 AND status = ANY($6) GROUP BY 1
         )
         SELECT coalesce(sum(n), 0)::bigint AS "txn_count!",
                coalesce(sum(paise), 0)::bigint AS "txn_paise!: Paise",
                coalesce(sum(n) FILTER (WHERE status = ANY($5)), 0)::bigint AS "reconciled_count!",
                coalesce(sum(paise) FILTER (WHERE status = ANY($5)), 0)::bigint AS "reconciled_paise!: Paise",
                coalesce(sum(n) FILTER (WHERE batch_status = ANY($7)), 0)::bigint AS "in_settlement_count!",
                coalesce(sum(paise) FILTER (WHERE batch_status = ANY($7)), 0)::bigint AS "in_settlement_paise!: Paise",
                coalesce(sum(n) FILTER (WHERE batch_status = ANY($8)), 0)::bigint AS "sent_to_bank_count!",
                coalesce(sum(paise) FILTER (WHERE batch_status = ANY($8)), 0)::bigint AS "sent_to_bank_paise!: Paise",
                coalesce(sum(n) FILTER (WHERE batch_status = ANY($9)), 0)::bigint AS "credited_count!",
                coalesce(sum(paise) FILTER (WHERE batch_status = ANY($9)), 0)::bigint AS "credited_paise!: Paise",
                (SELECT coalesce(sum(n), 0)::bigint FROM exc) AS "exception_count!",
                (SELECT coalesce(sum(paise), 0)::bigint FROM exc) AS "exception_paise!: Paise",
                (SELECT coalesce(sum(n), 0)::bigint FROM exc WHERE reason_code = 'PG_TXN_MISSING_IN_BANK') AS "unmatched_pg_count!",
                (SELECT coalesce(sum(paise), 0)::bigint FROM exc WHERE reason_code = 'PG_TXN_MISSING_IN_BANK') AS "unmatched_pg_paise!: Paise",
                (SELECT coalesce(sum(n), 0)::bigint FROM exc WHERE reason_code = 'BANK_TXN_MISSING_IN_PG') AS "unmatched_bank_count!",
                (SELECT coalesce(sum(paise), 0)::bigint FROM exc WHERE reason_code = 'BANK_TXN_MISSING_IN_PG') AS "unmatched_bank_paise!: Paise",
                (SELECT count(*) FROM chargebacks c
                  WHERE c.status = 'OPEN' AND c.received_at >= $3 AND c.received_at < $4) AS "open_chargebacks!"
         FROM txn"#,
        from as NaiveDate,
        to as NaiveDate,
        start as DateTime<Utc>,
        end as DateTime<Utc>,
        &crate::domain::txn_status::RECONCILED[..] as &[&str],
        &Status::codes(&Status::ACTIVE)[..] as &[&str],
        B::InSettlement.batch_statuses() as &[&str],
        B::SentToBank.batch_statuses() as &[&str],
        B::Credited.batch_statuses() as &[&str],
    )
    .fetch_one(pool)
    .await?;
    let pair = |count, amount_paise| CountAmount { count, amount_paise };
    Ok(WindowTotals {
        transactions: pair(r.txn_count, r.txn_paise),
        reconciled: pair(r.reconciled_count, r.reconciled_paise),
        in_settlement: pair(r.in_settlement_count, r.in_settlement_paise),
        sent_to_bank: pair(r.sent_to_bank_count, r.sent_to_bank_paise),
        credited: pair(r.credited_count, r.credited_paise),
        open_exceptions: pair(r.exception_count, r.exception_paise),
        unmatched_pg: pair(r.unmatched_pg_count, r.unmatched_pg_paise),
        unmatched_bank: pair(r.unmatched_bank_count, r.unmatched_bank_paise),
        open_chargebacks: r.open_chargebacks,
    })
}

/// The checklist's summary of the cycle dates `from..=to`: the [`WindowTotals`] it shares with
/// Overview, the match rate and the latest run.
pub async fn summary(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Summary, AppError> {
    let totals = window_totals(pool, from, to).await?;
    let last_run = sqlx::query_as!(
        LastRun,
        r#"SELECT id, cycle_date AS "cycle_date: NaiveDate", status, finished_at AS "finished_at: DateTime<Utc>"
         FROM recon_runs ORDER BY queued_at DESC, id LIMIT 1"#,
    )
    .fetch_optional(pool)
    .await?;
    Ok(Summary {
        from,
        to,
        transactions: totals.transactions,
        matched: totals.reconciled,
        unmatched_pg: totals.unmatched_pg,
        unmatched_bank: totals.unmatched_bank,
        exceptions: totals.open_exceptions,
        match_rate_permille: permille_half_up(totals.reconciled.count, totals.transactions.count),
        last_run,
    })
}
