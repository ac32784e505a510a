//! Reads of the settlement desk, one function per fact, shared by the pages and the JSON API: the
//! batch list (filtered, sorted, paged; streamed for the CSV export) and its count, the tiles,
//! recent runs, payout files and carried-forward cycles, and one batch with its items, deductions,
//! transfers, timeline and reserve entries.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::model::{
    BankAccountView, BatchDetail, BatchFilter, BatchPage, BatchRow, CarryForwardRow, CountNet, DeductionRow, EventRow,
    ItemPage, ItemRow, PayoutFileRow, ReserveRow, RunRow, Sort, SortKey, Tiles, TransferRow,
};
use super::rules::{self, MerchantTerms, Rail, Status};
use crate::db::PlannedWithValues;
use crate::error::AppError;
use crate::money::Paise;

/// A batch row as the database gives it.
#[derive(sqlx::FromRow)]
struct BatchRecord {
    id: Uuid,
    batch_ref: String,
    merchant_id: String,
    merchant_name: String,
    cycle_date: NaiveDate,
    status: String,
    txn_count: i32,
    gross_paise: Paise,
    commission_paise: Paise,
    gst_paise: Paise,
    tds_paise: Paise,
    reserve_paise: Paise,
    deductions_paise: Paise,
    reserve_released_paise: Paise,
    fees_not_deducted_paise: Paise,
    net_paise: Paise,
    rail: String,
    payout_due_on: Option<NaiveDate>,
    created_by: Option<String>,
    approved_by: Option<String>,
    created_at: DateTime<Utc>,
    approved_at: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    payout_utr: Option<String>,
    failure_reason: Option<String>,
}

impl From<BatchRecord> for BatchRow {
    fn from(r: BatchRecord) -> Self {
        BatchRow {
            id: r.id,
            batch_ref: r.batch_ref,
            merchant_id: r.merchant_id,
            merchant_name: r.merchant_name,
            cycle_date: r.cycle_date,
            // The table's CHECK holds the status and the rail to these lists.
            status: Status::parse(&r.status).unwrap_or(Status::Calculated),
            txn_count: i64::from(r.txn_count),
            gross: r.gross_paise,
            commission: r.commission_paise,
            gst: r.gst_paise,
            tds: r.tds_paise,
            reserve: r.reserve_paise,
            deductions: r.deductions_paise,
            reserve_released: r.reserve_released_paise,
            fees_not_deducted: r.fees_not_deducted_paise,
            net: r.net_paise,
            rail: Rail::parse(&r.rail).unwrap_or(Rail::Neft),
            payout_due_on: r.payout_due_on,
            created_by: r.created_by,
            approved_by: r.approved_by,
            created_at: r.created_at,
            approved_at: r.approved_at,
            sent_at: r.sent_at,
            paid_at: r.paid_at,
            payout_utr: r.payout_utr,
            failure_reason: r.failure_reason,
        }
    }
}

const BATCH_COLUMNS: &str =
    "b.id, b.batch_ref, b.merchant_id, m.name AS merchant_name, b.cycle_date, b.status, b.txn_count,
     b.gross_paise, b.commission_paise, b.gst_paise, b.tds_paise, b.reserve_paise, b.deductions_paise,
     b.reserve_released_paise, b.fees_not_deducted_paise, b.net_paise, b.rail::text AS rail, b.payout_due_on,
     cu.email AS created_by, au.email AS approved_by, b.created_at, b.approved_at, b.sent_at, b.paid_at,
     b.payout_utr, b.failure_reason";

const BATCH_FROM: &str = " FROM settlement_batches b JOIN merchants m ON m.id = b.merchant_id
     LEFT JOIN users cu ON cu.id = b.created_by LEFT JOIN users au ON au.id = b.approved_by";

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &BatchFilter) {
    if let Some(from) = f.from {
        qb.push(" AND b.cycle_date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        qb.push(" AND b.cycle_date <= ").push_bind(to);
    }
    if let Some(m) = &f.merchant_id {
        qb.push(" AND b.merchant_id = ").push_bind(m.clone());
    }
    if let Some(s) = f.status {
        qb.push(" AND b.status = ").push_bind(s.code());
    }
    if let Some(r) = f.rail {
        qb.push(" AND b.rail = ").push_bind(r.code());
    }
}

fn list_query<'a>(
    prefix: &str,
    filter: &'a BatchFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!("{prefix}SELECT {BATCH_COLUMNS}{BATCH_FROM} WHERE TRUE"));
    push_filter(&mut qb, filter);
    let column = match sort.key {
        SortKey::CycleDate => "b.cycle_date",
        SortKey::BatchRef => "b.batch_ref",
        SortKey::Merchant => "m.name",
        SortKey::TxnCount => "b.txn_count",
        SortKey::Gross => "b.gross_paise",
        SortKey::Deductions => "b.deductions_paise",
        SortKey::Net => "b.net_paise",
        SortKey::Status => "b.status",
        SortKey::Rail => "b.rail",
        SortKey::Created => "b.created_at",
    };
    let direction = if sort.desc { "DESC" } else { "ASC" };
    qb.push(format!(" ORDER BY {column} {direction}, b.batch_ref {direction}"));
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb
}

/// One page of batches and the number of all that match.
pub async fn list(
    pool: &PgPool,
    filter: &BatchFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<BatchPage, AppError> {
    let rows = rows(pool, &mut list_query("", filter, sort, limit, offset)).try_collect().await?;
    let mut count = QueryBuilder::new("SELECT count(*) FROM settlement_batches b WHERE TRUE");
    push_filter(&mut count, filter);
    let (total,): (i64,) = count.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(BatchPage { rows, total })
}

/// The list's query for its first `cap` rows (the CSV export streams it).
pub fn export_query(filter: &BatchFilter, sort: Sort, cap: i64) -> QueryBuilder<'_, Postgres> {
    list_query("", filter, sort, cap, 0)
}

/// The rows of a list query as the database sends them: a cursor, never the whole set in memory.
/// Planned with its values, as the count is ([`PlannedWithValues`]).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    query: &'q mut QueryBuilder<'_, Postgres>,
) -> impl Stream<Item = Result<BatchRow, AppError>> + Send + 'q {
    query.build_query_as::<BatchRecord>().planned_with_values().fetch(db).map_ok(BatchRow::from).map_err(AppError::from)
}

/// The plan Postgres chooses for the list's page query (the index check on large tables).
pub async fn explain_list(pool: &PgPool, filter: &BatchFilter, sort: Sort, limit: i64) -> Result<String, AppError> {
    let lines: Vec<(String,)> = list_query("EXPLAIN ", filter, sort, limit, 0).build_query_as().fetch_all(pool).await?;
    Ok(lines.into_iter().map(|l| l.0).collect::<Vec<_>>().join("\n"))
}

/// Count and net of the filter's batches per status (the filter's own status aside): the tiles'
/// figures and Overview's settlement figures for a cycle window, from one query.
pub async fn status_totals(pool: &PgPool, filter: &BatchFilter) -> Result<Vec<(Status, CountNet)>, AppError> {
    let f = BatchFilter { status: None, ..filter.clone() };
    let mut qb = QueryBuilder::new(
        "SELECT b.status, count(*), coalesce(sum(b.net_paise), 0)::bigint FROM settlement_batches b WHERE TRUE",
    );
    push_filter(&mut qb, &f);
    qb.push(" GROUP BY b.status");
    let rows: Vec<(String, i64, i64)> = qb.build_query_as().planned_with_values().fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(status, count, net)| Status::parse(&status).map(|s| (s, CountNet { count, net: Paise(net) })))
        .collect())
}

/// The tiles over a filter: each status's count and net (the filter's own status is ignored, so
/// every tile shows; "paid" counts the window's batches that are paid).
pub async fn tiles(pool: &PgPool, filter: &BatchFilter) -> Result<Tiles, AppError> {
    let totals = status_totals(pool, filter).await?;
    let get = |s: Status| totals.iter().find(|(status, _)| *status == s).map_or(CountNet::default(), |(_, t)| *t);
    Ok(Tiles {
        awaiting_approval: get(Status::PendingApproval),
        approved_awaiting_payout: get(Status::Approved),
        sent: get(Status::Sent),
        paid: get(Status::Paid),
        failed: get(Status::Failed),
    })
}

/// The latest batch-creation runs.
pub async fn runs(pool: &PgPool, limit: i64) -> Result<Vec<RunRow>, AppError> {
    runs_where(pool, None, limit).await
}

/// The run of a job (the API's `GET jobs/{jobId}`).
pub async fn run_of_job(pool: &PgPool, job_id: i64) -> Result<RunRow, AppError> {
    runs_where(pool, Some(job_id), 1)
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("No batch run with that job id.".into()))
}

/// Runs, newest first: all, or the one of a job.
async fn runs_where(pool: &PgPool, job_id: Option<i64>, limit: i64) -> Result<Vec<RunRow>, AppError> {
    Ok(sqlx::query_as!(
        RunRow,
        r#"SELECT r.id, r.job_id, r.cycle_date AS "cycle_date: NaiveDate", r.status, u.email AS "requested_by?",
                  r.merchants_total, r.merchants_done, r.created, r.skipped, r.carried_forward, r.problems, r.error,
                  r.queued_at AS "queued_at: DateTime<Utc>", r.finished_at AS "finished_at: DateTime<Utc>"
           FROM settlement_runs r LEFT JOIN users u ON u.id = r.requested_by
           WHERE $1::bigint IS NULL OR r.job_id = $1
           ORDER BY r.queued_at DESC, r.id LIMIT $2"#,
        job_id,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

/// The latest payout files.
pub async fn payout_files(pool: &PgPool, limit: i64) -> Result<Vec<PayoutFileRow>, AppError> {
    payout_files_where(pool, None, limit).await
}

/// Payout files with their batches, newest first: all, or one.
pub async fn payout_files_where<'c, E: sqlx::PgExecutor<'c>>(
    db: E,
    id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PayoutFileRow>, AppError> {
    Ok(sqlx::query_as!(
        PayoutFileRow,
        r#"SELECT f.id, f.payout_date AS "payout_date: NaiveDate", f.file_name, f.sha256, f.batch_count,
                  f.total_paise AS "total!: Paise", u.email AS "generated_by?", f.generated_at AS "generated_at: DateTime<Utc>",
                  coalesce((SELECT array_agg(tr.batch_id ORDER BY tr.batch_id) FROM settlement_transfers tr
                            WHERE tr.payout_file_id = f.id), '{}') AS "batch_ids!",
                  coalesce((SELECT array_agg(b.batch_ref ORDER BY b.batch_ref)
                            FROM settlement_transfers tr JOIN settlement_batches b ON b.id = tr.batch_id
                            WHERE tr.payout_file_id = f.id AND tr.status IN ('PAID', 'FAILED')), '{}') AS "answered_batches!"
           FROM payout_files f LEFT JOIN users u ON u.id = f.generated_by
           WHERE $1::uuid IS NULL OR f.id = $1
           ORDER BY f.generated_at DESC, f.id LIMIT $2"#,
        id,
        limit,
    )
    .fetch_all(db)
    .await?)
}

/// Each merchant's latest cycle carried forward and not yet taken into a batch.
pub async fn carried(pool: &PgPool) -> Result<Vec<CarryForwardRow>, AppError> {
    Ok(sqlx::query_as!(
        CarryForwardRow,
        r#"SELECT DISTINCT ON (cf.merchant_id) cf.merchant_id, m.name AS merchant_name,
                  cf.cycle_date AS "cycle_date: NaiveDate", cf.txn_count, cf.gross_paise AS "gross!: Paise",
                  cf.net_paise AS "net!: Paise", cf.min_paise AS "minimum!: Paise"
           FROM settlement_carry_forwards cf JOIN merchants m ON m.id = cf.merchant_id
           WHERE cf.into_batch_id IS NULL
           ORDER BY cf.merchant_id, cf.cycle_date DESC"#,
    )
    .fetch_all(pool)
    .await?)
}

/// The merchants (id, name) for the filter's choice.
pub async fn merchants(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query!("SELECT id, name FROM merchants ORDER BY name, id")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

/// One batch row.
pub async fn batch(pool: &PgPool, id: Uuid) -> Result<BatchRow, AppError> {
    let mut qb = QueryBuilder::new(format!("SELECT {BATCH_COLUMNS}{BATCH_FROM} WHERE b.id = "));
    qb.push_bind(id);
    qb.build_query_as::<BatchRecord>()
        .fetch_optional(pool)
        .await?
        .map(BatchRow::from)
        .ok_or_else(|| AppError::NotFound("No settlement batch with that id.".into()))
}

/// Everything about one batch; items from `items_offset`.
pub async fn detail(pool: &PgPool, id: Uuid, items_limit: i64, items_offset: i64) -> Result<BatchDetail, AppError> {
    let batch = batch(pool, id).await?;
    let extra = sqlx::query!(
        r#"SELECT b.terms, a.holder_name AS "holder?", a.account_number AS "account?", a.ifsc AS "ifsc?",
                  a.bank_name AS "bank_name?"
           FROM settlement_batches b LEFT JOIN merchant_bank_accounts a ON a.id = b.bank_account_id
           WHERE b.id = $1"#,
        id,
    )
    .fetch_one(pool)
    .await?;
    let bank_account = match (extra.holder, extra.account, extra.ifsc, extra.bank_name) {
        (Some(holder_name), Some(account), Some(ifsc), Some(bank_name)) => {
            Some(BankAccountView { holder_name, account_number_masked: rules::mask_account(&account), ifsc, bank_name })
        }
        _ => None,
    };
    let terms: Option<MerchantTerms> = extra.terms.and_then(|t| serde_json::from_value(t).ok());
    let (items, deductions, transfers, timeline, reserve) = tokio::try_join!(
        items(pool, id, items_limit, items_offset),
        deductions(pool, id),
        transfers(pool, id),
        timeline(pool, id),
        reserve(pool, id),
    )?;
    Ok(BatchDetail { batch, bank_account, terms, items, deductions, transfers, timeline, reserve })
}

pub async fn items(pool: &PgPool, batch: Uuid, limit: i64, offset: i64) -> Result<ItemPage, AppError> {
    let rows = item_rows(pool, batch, Some(limit), offset).try_collect().await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM settlement_items WHERE batch_id = $1"#, batch)
        .fetch_one(pool)
        .await?;
    Ok(ItemPage { rows, total })
}

/// A batch's items in transaction order, as the database sends them (`limit` `None`: all of them,
/// for the merchant's statement).
pub fn item_rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    batch: Uuid,
    limit: Option<i64>,
    offset: i64,
) -> impl Stream<Item = Result<ItemRow, AppError>> + Send + 'q {
    sqlx::query_as!(
        ItemRow,
        r#"SELECT si.transaction_id, t.txn_id, t.payment_method::text AS "payment_method!", l.status AS "txn_status!",
                  si.amount_paise AS "amount!: Paise", si.commission_paise AS "commission!: Paise",
                  si.gst_paise AS "gst!: Paise", si.tds_paise AS "tds!: Paise", si.reserve_paise AS "reserve!: Paise",
                  si.net_paise AS "net!: Paise", si.fee_bearer
           FROM settlement_items si JOIN transactions t ON t.id = si.transaction_id
           JOIN transaction_lifecycle l ON l.transaction_id = si.transaction_id
           WHERE si.batch_id = $1
           ORDER BY si.transaction_id LIMIT $2 OFFSET $3"#,
        batch,
        limit,
        offset,
    )
    .fetch(db)
    .map_err(AppError::from)
}

/// Who made a batch (maker-checker is decided on the user, not on an e-mail).
pub async fn maker_of(pool: &PgPool, batch: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!("SELECT created_by FROM settlement_batches WHERE id = $1", batch)
        .fetch_optional(pool)
        .await?
        .flatten())
}

pub async fn deductions(pool: &PgPool, batch: Uuid) -> Result<Vec<DeductionRow>, AppError> {
    Ok(sqlx::query_as!(
        DeductionRow,
        r#"SELECT d.id, d.kind, d.amount_paise AS "amount!: Paise", ra.chargeback_id AS "chargeback_id?",
                  c.case_ref AS "case_ref?", r.txn_ref AS "refund_txn_ref?", d.created_at AS "created_at: DateTime<Utc>"
           FROM settlement_deductions d
           LEFT JOIN chargeback_recovery_actions ra ON ra.id = d.recovery_action_id
           LEFT JOIN chargebacks c ON c.id = ra.chargeback_id
           LEFT JOIN merchant_refunds r ON r.id = d.refund_id
           WHERE d.batch_id = $1 ORDER BY d.id"#,
        batch,
    )
    .fetch_all(pool)
    .await?)
}

pub async fn transfers(pool: &PgPool, batch: Uuid) -> Result<Vec<TransferRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT tr.id, tr.rail::text AS "rail!", tr.amount_paise AS "amount!: Paise", tr.status, tr.utr,
                  tr.verification, l.amount_paise AS "bank_amount?: Paise", tr.failure_reason, tr.payout_file_id,
                  tr.initiated_at AS "initiated_at: DateTime<Utc>", tr.completed_at AS "completed_at: DateTime<Utc>"
           FROM settlement_transfers tr LEFT JOIN bank_statement_lines l ON l.id = tr.bank_line_id
           WHERE tr.batch_id = $1 ORDER BY tr.initiated_at, tr.id"#,
        batch,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TransferRow {
            id: r.id,
            rail: Rail::parse(&r.rail).unwrap_or(Rail::Neft),
            amount: r.amount,
            status: r.status,
            utr: r.utr,
            verification: r.verification,
            bank_amount: r.bank_amount,
            failure_reason: r.failure_reason,
            payout_file_id: r.payout_file_id,
            initiated_at: r.initiated_at,
            completed_at: r.completed_at,
        })
        .collect())
}

pub async fn timeline(pool: &PgPool, batch: Uuid) -> Result<Vec<EventRow>, AppError> {
    Ok(sqlx::query_as!(
        EventRow,
        r#"SELECT e.event, u.email AS "actor?", e.note, e.at AS "at: DateTime<Utc>"
           FROM settlement_batch_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.batch_id = $1 ORDER BY e.at, e.id"#,
        batch,
    )
    .fetch_all(pool)
    .await?)
}

pub async fn reserve(pool: &PgPool, batch: Uuid) -> Result<Vec<ReserveRow>, AppError> {
    Ok(sqlx::query_as!(
        ReserveRow,
        r#"SELECT h.id, h.kind, h.amount_paise AS "amount!: Paise", h.release_on AS "release_on: NaiveDate",
                  (SELECT b.batch_ref FROM reserve_ledger r JOIN settlement_batches b ON b.id = r.batch_id
                   WHERE r.kind = 'RELEASE' AND r.released_entry_id = h.id) AS "released_in?"
           FROM reserve_ledger h WHERE h.batch_id = $1 ORDER BY h.id"#,
        batch,
    )
    .fetch_all(pool)
    .await?)
}

/// The settlement figures of a window of cycle dates (Overview's finance tiles): its batches, and
/// the count and net of those paid — the same figures as the list's tiles for that cycle window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowTotals {
    pub batches: i64,
    pub paid: CountNet,
}

pub async fn window_totals(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<WindowTotals, AppError> {
    let filter = BatchFilter { from: Some(from), to: Some(to), ..BatchFilter::default() };
    let totals = status_totals(pool, &filter).await?;
    Ok(WindowTotals {
        batches: totals.iter().map(|(_, t)| t.count).sum(),
        paid: totals.iter().find(|(s, _)| *s == Status::Paid).map_or(CountNet::default(), |(_, t)| *t),
    })
}
