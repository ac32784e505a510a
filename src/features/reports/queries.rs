//! One query per report, built for its filter; its select list is the report's columns in order,
//! each under the column's SQL name ([`Report::columns`]), so one decoder reads any report's rows
//! by their kinds. The page's preview, its totals and both files run the same query: the totals
//! wrap it (`SELECT count(*), sum(…) FROM (query) r`), the files stream it as a cursor.
//!
//! "The cycle's current recon run" (bank MIS, recon outcome) is the completed run no later run
//! superseded, as the recon pages show it; a run's results are counted as its page counts them:
//! PG rows, and bank lines without a PG partner (`side = 'pg' OR transaction_id IS NULL`). Every
//! bank line a run read has a bank-side result of its own (at most one: a unique index), which is
//! the line's match state in the bank MIS.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::model::{Filter, Report};
use crate::error::AppError;
use crate::money::Paise;
use crate::sheet::{Cell, Column, Kind};

/// The report's query for `filter`, in the report's order; `limit` bounds it (the preview).
pub fn query(report: Report, filter: &Filter, limit: Option<i64>) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, report, filter);
    qb.push(match report {
        Report::SettlementSummary => " ORDER BY b.cycle_date, b.merchant_id, b.batch_ref",
        // Byte order for the texts and the item's id as the tie-break: a million rows sort without
        // the locale's collation rules.
        Report::SettlementTransactions => " ORDER BY b.cycle_date, b.batch_ref COLLATE \"C\", i.transaction_id",
        Report::BankMis => " ORDER BY l.cycle_date, l.bank_name, l.txn_date, l.id",
        Report::ReconOutcome => " ORDER BY 1, 3, 4",
        Report::Tax => " ORDER BY 1, 2",
    });
    if let Some(limit) = limit {
        qb.push(" LIMIT ").push_bind(limit);
    }
    qb
}

/// The rows and column sums of the report's whole query (unordered, unlimited).
pub fn totals_query(report: Report, filter: &Filter) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new("SELECT count(*) AS rows");
    for c in report.columns().iter().filter(|c| c.total) {
        // `sum(bigint)` is numeric; every sum is cast back to bigint (a paise total of a window
        // is far below 2⁶³).
        qb.push(format!(", coalesce(sum(r.{0}), 0)::bigint AS {0}", c.sql));
    }
    qb.push(" FROM (");
    push_select(&mut qb, report, filter);
    qb.push(") r");
    qb
}

fn push_select(qb: &mut QueryBuilder<'static, Postgres>, report: Report, f: &Filter) {
    match report {
        Report::SettlementSummary => {
            qb.push(
                "SELECT b.batch_ref, b.merchant_id, m.name AS merchant_name, b.cycle_date, b.status,
                        b.txn_count::bigint AS txn_count, b.gross_paise, b.commission_paise, b.gst_paise, b.tds_paise,
                        b.reserve_paise, b.reserve_released_paise, b.deductions_paise, b.fees_not_deducted_paise,
                        b.net_paise, b.rail::text AS rail, a.account_number, a.ifsc, b.payout_utr, b.paid_at
                 FROM settlement_batches b
                 JOIN merchants m ON m.id = b.merchant_id
                 LEFT JOIN merchant_bank_accounts a ON a.id = b.bank_account_id
                 WHERE b.status <> 'REJECTED' AND b.cycle_date BETWEEN ",
            );
            push_window(qb, f);
            push_merchant(qb, "b.merchant_id", f);
        }
        Report::SettlementTransactions => {
            qb.push(
                "SELECT b.batch_ref, b.cycle_date, b.status AS batch_status, t.merchant_id, t.txn_id, t.txn_at,
                        t.payment_method::text AS payment_method, t.acquirer, t.utr, t.rrn, i.amount_paise,
                        i.commission_paise, i.gst_paise, i.tds_paise, i.reserve_paise, i.net_paise, i.fee_bearer
                 FROM settlement_batches b
                 JOIN settlement_items i ON i.batch_id = b.id
                 JOIN transactions t ON t.id = i.transaction_id
                 WHERE b.cycle_date BETWEEN ",
            );
            push_window(qb, f);
            push_merchant(qb, "b.merchant_id", f);
            if let Some(a) = &f.acquirer {
                qb.push(" AND t.acquirer = ").push_bind(a.clone());
            }
        }
        Report::BankMis => {
            qb.push(
                "SELECT l.bank_name, l.cycle_date, l.txn_date, l.value_date, l.direction, l.bank_ref, l.utr, l.rrn,
                        l.amount_paise, l.net_paise, coalesce(r.class, 'NOT_RECONCILED') AS match_state,
                        r.reason_code, t.txn_id AS matched_txn_id, l.remarks
                 FROM bank_statement_lines l
                 LEFT JOIN recon_runs run ON run.cycle_date = l.cycle_date AND run.status = 'completed'
                                        AND run.superseded_by IS NULL
                 LEFT JOIN recon_results r ON r.run_id = run.id AND r.side = 'bank' AND r.bank_line_id = l.id
                 LEFT JOIN transactions t ON t.id = r.transaction_id
                 WHERE l.cycle_date BETWEEN ",
            );
            push_window(qb, f);
            if let Some(a) = &f.acquirer {
                qb.push(" AND l.bank_name = ").push_bind(a.clone());
            }
        }
        Report::ReconOutcome => {
            qb.push(
                "SELECT run.cycle_date, run.id::text AS run_id, rr.class, coalesce(rr.reason_code, '') AS reason,
                        count(*) AS results,
                        sum(CASE WHEN rr.side = 'pg' THEN coalesce(rr.pg_amount_paise, 0)
                                 ELSE coalesce(rr.bank_amount_paise, 0) END)::bigint AS amount_paise,
                        sum(rr.pg_amount_paise)::bigint AS pg_amount_paise,
                        sum(rr.bank_amount_paise)::bigint AS bank_amount_paise,
                        sum(rr.delta_paise)::bigint AS delta_paise
                 FROM recon_runs run
                 JOIN recon_results rr ON rr.run_id = run.id AND (rr.side = 'pg' OR rr.transaction_id IS NULL)
                 LEFT JOIN transactions t ON t.id = rr.transaction_id
                 LEFT JOIN bank_statement_lines l ON l.id = rr.bank_line_id
                 WHERE run.status = 'completed' AND run.superseded_by IS NULL AND run.cycle_date BETWEEN ",
            );
            push_window(qb, f);
            push_merchant(qb, "t.merchant_id", f);
            if let Some(a) = &f.acquirer {
                // A PG row by its transaction's acquirer; a bank line without a PG partner by its bank.
                qb.push(" AND coalesce(t.acquirer, l.bank_name) = ").push_bind(a.clone());
            }
            qb.push(" GROUP BY run.cycle_date, run.id, rr.class, coalesce(rr.reason_code, '')");
        }
        Report::Tax => {
            qb.push(
                "SELECT date_trunc('month', b.cycle_date)::date AS month, b.merchant_id, m.legal_name, m.gstin, m.pan,
                        count(*) AS batches, sum(b.gross_paise)::bigint AS gross_paise,
                        sum(b.commission_paise)::bigint AS commission_paise, sum(b.gst_paise)::bigint AS gst_paise,
                        sum(b.tds_paise)::bigint AS tds_paise
                 FROM settlement_batches b
                 JOIN merchants m ON m.id = b.merchant_id
                 WHERE b.status <> 'REJECTED' AND b.cycle_date BETWEEN ",
            );
            push_window(qb, f);
            push_merchant(qb, "b.merchant_id", f);
            qb.push(" GROUP BY 1, b.merchant_id, m.legal_name, m.gstin, m.pan");
        }
    }
}

fn push_window(qb: &mut QueryBuilder<'static, Postgres>, f: &Filter) {
    qb.push_bind(f.from).push(" AND ").push_bind(f.to);
}

fn push_merchant(qb: &mut QueryBuilder<'static, Postgres>, column: &str, f: &Filter) {
    if let Some(m) = &f.merchant_id {
        qb.push(format!(" AND {column} = ")).push_bind(m.clone());
    }
}

/// A row of any report as its cells, each read by its column's kind.
pub fn cells(columns: &[Column], row: &PgRow) -> Result<Vec<Cell>, sqlx::Error> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Text => row.try_get::<Option<String>, _>(i)?.map_or(Cell::Empty, Cell::Text),
                Kind::Money => row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Empty, |p| Cell::Money(Paise(p))),
                Kind::Count => row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Empty, Cell::Count),
                Kind::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map_or(Cell::Empty, Cell::Date),
                Kind::Time => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map_or(Cell::Empty, Cell::Time),
            })
        })
        .collect()
}

/// The report's rows as a cursor (the files), never all in memory.
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    report: Report,
    query: &'q mut QueryBuilder<'static, Postgres>,
) -> impl Stream<Item = Result<Vec<Cell>, AppError>> + Send + 'q {
    let columns = report.columns();
    query.build().fetch(db).map_err(AppError::from).and_then(move |row| async move { Ok(cells(columns, &row)?) })
}

/// The first `limit` rows (the page's preview).
pub async fn preview(pool: &PgPool, report: Report, filter: &Filter, limit: i64) -> Result<Vec<Vec<Cell>>, AppError> {
    let mut q = query(report, filter, Some(limit));
    rows(pool, report, &mut q).try_collect().await
}

/// How many rows the report has, and per column the sum of its amounts or counts.
pub async fn totals(pool: &PgPool, report: Report, filter: &Filter) -> Result<(i64, Vec<Option<Cell>>), AppError> {
    let row = totals_query(report, filter).build().fetch_one(pool).await?;
    let count: i64 = row.try_get(0)?;
    let mut next = 1;
    let mut sums = Vec::with_capacity(report.columns().len());
    for c in report.columns() {
        sums.push(if c.total {
            let sum: i64 = row.try_get(next)?;
            next += 1;
            Some(if c.kind == Kind::Money { Cell::Money(Paise(sum)) } else { Cell::Count(sum) })
        } else {
            None
        });
    }
    Ok((count, sums))
}

/// The acquirers the filter form offers: the banks whose statement layouts are stored.
pub async fn acquirers(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!("SELECT DISTINCT bank_code FROM bank_column_mappings ORDER BY 1").fetch_all(pool).await?)
}

/// Every row of the report for `filter`, personal data masked when `mask`, into a file's rows.
pub async fn write_masked(
    out: crate::http::xlsx::XlsxRows,
    mut tx: crate::http::csv::ExportTx,
    report: Report,
    filter: Filter,
    mask: bool,
) -> Result<(), AppError> {
    let mut query = query(report, &filter, None);
    let columns = report.columns();
    out.write_all(rows(&mut *tx, report, &mut query), move |row| crate::sheet::mask_row(columns, row, mask)).await
}

/// The same as CSV text cells, into a streamed CSV download.
pub async fn write_masked_csv(
    out: crate::http::csv::CsvRows,
    mut tx: crate::http::csv::ExportTx,
    report: Report,
    filter: Filter,
    mask: bool,
) -> Result<(), AppError> {
    let mut query = query(report, &filter, None);
    let columns = report.columns();
    out.write_all(rows(&mut *tx, report, &mut query), move |row| {
        crate::sheet::mask_row(columns, row, mask).into_iter().map(Cell::into_csv_text).collect()
    })
    .await
}
