//! One query per report, built for its filter; its select list is the report's columns in order,
//! each under the column's SQL name ([`Report::columns`]), so one decoder reads any report's rows
//! by their kinds. The page's preview, its totals and both files run the same query: the totals
//! wrap it (`SELECT count(*), sum(…) FROM (query) r`), the files read it as a binary `COPY`
//! ([`write_masked`]).
//!
//! "The cycle's current recon run" (bank MIS, recon outcome) is the completed run no later run
//! superseded, as the recon pages show it; a run's results are counted as its page counts them:
//! PG rows, and bank lines without a PG partner (`side = 'pg' OR transaction_id IS NULL`). Every
//! bank credit line a run read is in exactly one of those rows (at most one: a unique index): its PG
//! partner's when paired, its own otherwise; that row is the line's match state in the bank MIS.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::model::{Filter, Report};
use crate::binary_copy;
use crate::db::PlannedWithValues;
use crate::error::AppError;
use crate::money::Paise;
use crate::sheet::{Cell, Column, Kind, Masking};

/// The report's query for `filter`, in the report's order; `limit` bounds it (the preview).
pub fn query(report: Report, filter: &Filter, limit: Option<i64>) -> QueryBuilder<'static, Postgres> {
    let mut qb = QueryBuilder::new("");
    push_select(&mut qb, report, filter, &mut Args::Bound);
    push_order(&mut qb, report);
    if let Some(limit) = limit {
        qb.push(" LIMIT ").push_bind(limit);
    }
    qb
}

fn push_order(qb: &mut QueryBuilder<'static, Postgres>, report: Report) {
    qb.push(match report {
        Report::SettlementSummary => " ORDER BY b.cycle_date, b.merchant_id, b.batch_ref",
        // Byte order for the texts and the item's id as the tie-break: a million rows sort without
        // the locale's collation rules.
        Report::SettlementTransactions => " ORDER BY b.cycle_date, b.batch_ref COLLATE \"C\", i.transaction_id",
        Report::BankMis => " ORDER BY l.cycle_date, l.bank_name, l.txn_date, l.id",
        // Two current runs of one cycle (say, one per merchant scope) are kept apart by the run id.
        Report::ReconOutcome => " ORDER BY 1, 3, 4, 2",
        Report::Tax => " ORDER BY 1, 2",
    });
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
    push_select(&mut qb, report, filter, &mut Args::Bound);
    qb.push(") r");
    qb
}

/// The report's whole query as the `SELECT` of a binary `COPY` ([`copy_statement`]), in the
/// report's order. `COPY` takes no parameters, so the filter's texts are read from settings of the
/// export's transaction and its dates are literals: the select, and the `(name, value)` settings
/// to make first (`set_config(name, value, true)`, undone when the transaction ends).
pub fn copy_select(report: Report, filter: &Filter) -> (String, Vec<(String, String)>) {
    let mut args = Args::Settings(Vec::new());
    let mut qb: QueryBuilder<'static, Postgres> = QueryBuilder::new("");
    push_select(&mut qb, report, filter, &mut args);
    push_order(&mut qb, report);
    let Args::Settings(settings) = args else { unreachable!("built with settings") };
    (qb.into_sql(), settings)
}

/// One settlement batch's rows of the settlement-transactions report, as [`copy_select`] (the same
/// settings): the batch's items in its primary key's (batch_id, transaction_id) order, which its
/// index gives without a sort ([`prepare_copies`]). The id is ours (a UUID's hyphenated hex), never
/// a caller's text.
pub fn batch_copy_select(filter: &Filter, batch: Uuid) -> (String, Vec<(String, String)>) {
    let mut args = Args::Settings(Vec::new());
    let mut qb: QueryBuilder<'static, Postgres> = QueryBuilder::new("");
    push_select(&mut qb, Report::SettlementTransactions, filter, &mut args);
    qb.push(format!(" AND b.id = '{}'::uuid ORDER BY i.transaction_id", batch.hyphenated()));
    let Args::Settings(settings) = args else { unreachable!("built with settings") };
    (qb.into_sql(), settings)
}

/// A select of [`copy_select`] or [`batch_copy_select`] as the statement that reads its rows.
pub fn copy_statement(select: &str) -> String {
    format!("COPY ({select}) TO STDOUT (FORMAT binary)")
}

/// The settlement-transactions report's batches for `filter`, in the report's order (its
/// `ORDER BY` without the item's tie-break): the file is these batches' items, batch by batch.
async fn batches_in_order(tx: &mut PgConnection, filter: &Filter) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT b.id FROM settlement_batches b
           WHERE b.cycle_date BETWEEN $1 AND $2 AND ($3::text IS NULL OR b.merchant_id = $3)
           ORDER BY b.cycle_date, b.batch_ref COLLATE "C""#,
        filter.from as NaiveDate,
        filter.to as NaiveDate,
        filter.merchant_id.as_deref(),
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// Where a file's rows come from: the report's one select, or (settlement transactions) one per
/// batch, in the report's order, each built only when it is read.
struct Copies {
    whole: Option<String>,
    batches: std::vec::IntoIter<Uuid>,
    filter: Filter,
}

impl Iterator for Copies {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        match self.whole.take() {
            Some(select) => Some(select),
            None => self.batches.next().map(|batch| batch_copy_select(&self.filter, batch).0),
        }
    }
}

/// Make the export's transaction ready for `report`'s file — its filter's settings made, and for
/// settlement transactions the batches listed — and give the selects its rows come from. The
/// transaction is one snapshot ([`crate::db::begin_export`]): the batches listed are the batches
/// whose items are read.
///
/// Once the batches are listed, sorting is off for the rest of the transaction: each batch's items
/// must come from the primary key's index, in its order. Over a million items the planner prices
/// that index scan as random reads (random batch ids spread the index over the whole table,
/// though each batch's items lie together, as batch creation writes them) and chose a bitmap scan
/// and a sort, spilt to disk under the default `work_mem` (BENCHMARKS.md, "Reports").
async fn prepare_copies(tx: &mut PgConnection, report: Report, filter: &Filter) -> Result<Copies, AppError> {
    let (whole, settings) = copy_select(report, filter);
    for (name, value) in settings {
        sqlx::query!("SELECT set_config($1, $2, true)", name, value).fetch_one(&mut *tx).await?;
    }
    if report != Report::SettlementTransactions {
        return Ok(Copies { whole: Some(whole), batches: Vec::new().into_iter(), filter: filter.clone() });
    }
    let batches = batches_in_order(&mut *tx, filter).await?;
    sqlx::query!("SELECT set_config('enable_sort', 'off', true)").fetch_one(&mut *tx).await?;
    Ok(Copies { whole: None, batches: batches.into_iter(), filter: filter.clone() })
}

/// The plan PostgreSQL chooses for the first batch's items of a settlement-transactions file for
/// `filter`, in a transaction prepared as the export prepares its own ([`prepare_copies`]): the
/// index check (no sort). `None` when the filter has no batch.
pub async fn explain_first_batch_copy(pool: &PgPool, filter: &Filter) -> Result<Option<String>, AppError> {
    let mut tx = pool.begin().await?;
    let Some(select) = prepare_copies(&mut tx, Report::SettlementTransactions, filter).await?.next() else {
        return Ok(None);
    };
    let explain = format!("EXPLAIN {select}");
    let lines: Vec<String> = sqlx::query_scalar(&explain).fetch_all(&mut *tx).await?;
    tx.rollback().await?;
    Ok(Some(lines.join("\n")))
}

/// How a report's query takes its filter's values.
enum Args {
    /// As bound parameters (the page's queries, a cursor).
    Bound,
    /// `COPY` takes no parameters: texts from settings of the transaction, each read once (an init
    /// plan), dates as literals. The settings' names and values, in order.
    Settings(Vec<(String, String)>),
}

/// A filter value.
enum Arg {
    Date(NaiveDate),
    Text(String),
}

fn push_arg(qb: &mut QueryBuilder<'static, Postgres>, args: &mut Args, arg: Arg) {
    match (args, arg) {
        (Args::Bound, Arg::Date(d)) => {
            qb.push_bind(d);
        }
        (Args::Bound, Arg::Text(t)) => {
            qb.push_bind(t);
        }
        // A date is written into the statement as a literal: chrono writes `YYYY-MM-DD`, digits and
        // dashes only, and the planner sees the window (a setting read at run time would hide it).
        (Args::Settings(_), Arg::Date(d)) => {
            qb.push(format!("'{}'::date", d.format("%Y-%m-%d")));
        }
        (Args::Settings(settings), Arg::Text(value)) => {
            // The name is ours, never the caller's; the value is only ever bound (`set_config`).
            let name = format!("settlepaisa.report_arg{}", settings.len() + 1);
            qb.push(format!("(SELECT current_setting('{name}'))"));
            settings.push((name, value));
        }
    }
}

fn push_select(qb: &mut QueryBuilder<'static, Postgres>, report: Report, f: &Filter, args: &mut Args) {
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
            push_window(qb, f, args);
            push_merchant(qb, "b.merchant_id", f, args);
        }
        Report::SettlementTransactions => {
            qb.push(
                // The transaction's identity is the item's copy of it (written with the item and
                // kept equal, migration 20261211000001), and a batch holds one merchant's
                // transactions: no lookup into `transactions` per row.
                "SELECT b.batch_ref, b.cycle_date, b.status AS batch_status, b.merchant_id, i.txn_id, i.txn_at,
                        i.payment_method::text AS payment_method, i.acquirer, i.utr, i.rrn, i.amount_paise,
                        i.commission_paise, i.gst_paise, i.tds_paise, i.reserve_paise, i.net_paise, i.fee_bearer
                 FROM settlement_batches b
                 JOIN settlement_items i ON i.batch_id = b.id
                 WHERE b.cycle_date BETWEEN ",
            );
            push_window(qb, f, args);
            push_merchant(qb, "b.merchant_id", f, args);
            if let Some(a) = &f.acquirer {
                qb.push(" AND i.acquirer = ");
                push_arg(qb, args, Arg::Text(a.clone()));
            }
        }
        Report::BankMis => {
            // A line's result in its cycle's current run: its PG partner's row when paired, its own
            // otherwise (the rows that speak for a run: recon_results_bank_line_once, migration
            // 20261216000001; runs before it also hold a bank-side copy of each pair, skipped here).
            // The results are narrowed to the window's current runs: the join hashes only theirs,
            // and once runs accumulate the planner reads them through recon_results_bank_line_once
            // instead of scanning every run ever stored (5 cycles of 1,000,000 lines stored: one
            // day's MIS 5.7 s before, 2.7 s narrowed; BENCHMARKS.md).
            qb.push(
                "SELECT l.bank_name, l.cycle_date, l.txn_date, l.value_date, l.direction, l.bank_ref, l.utr, l.rrn,
                        l.amount_paise, l.net_paise, coalesce(r.class, 'NOT_RECONCILED') AS match_state,
                        r.reason_code, t.txn_id AS matched_txn_id, l.remarks
                 FROM bank_statement_lines l
                 LEFT JOIN recon_runs run ON run.cycle_date = l.cycle_date AND run.status = 'completed'
                                        AND run.superseded_by IS NULL
                 LEFT JOIN (SELECT r.run_id, r.bank_line_id, r.class, r.reason_code, r.transaction_id
                            FROM recon_results r
                            WHERE r.bank_line_id IS NOT NULL AND (r.side = 'pg' OR r.transaction_id IS NULL)
                              AND r.run_id IN (SELECT w.id FROM recon_runs w
                                               WHERE w.status = 'completed' AND w.superseded_by IS NULL
                                                 AND w.cycle_date BETWEEN ",
            );
            push_window(qb, f, args);
            qb.push(
                ")) r ON r.run_id = run.id AND r.bank_line_id = l.id
                 LEFT JOIN transactions t ON t.id = r.transaction_id
                 WHERE l.cycle_date BETWEEN ",
            );
            push_window(qb, f, args);
            if let Some(a) = &f.acquirer {
                qb.push(" AND l.bank_name = ");
                push_arg(qb, args, Arg::Text(a.clone()));
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
            push_window(qb, f, args);
            push_merchant(qb, "t.merchant_id", f, args);
            if let Some(a) = &f.acquirer {
                // A PG row by its transaction's acquirer; a bank line without a PG partner by its bank.
                qb.push(" AND coalesce(t.acquirer, l.bank_name) = ");
                push_arg(qb, args, Arg::Text(a.clone()));
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
            push_window(qb, f, args);
            push_merchant(qb, "b.merchant_id", f, args);
            qb.push(" GROUP BY 1, b.merchant_id, m.legal_name, m.gstin, m.pan");
        }
    }
}

fn push_window(qb: &mut QueryBuilder<'static, Postgres>, f: &Filter, args: &mut Args) {
    push_arg(qb, args, Arg::Date(f.from));
    qb.push(" AND ");
    push_arg(qb, args, Arg::Date(f.to));
}

fn push_merchant(qb: &mut QueryBuilder<'static, Postgres>, column: &str, f: &Filter, args: &mut Args) {
    if let Some(m) = &f.merchant_id {
        qb.push(format!(" AND {column} = "));
        push_arg(qb, args, Arg::Text(m.clone()));
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

/// The report's rows as a cursor, never all in memory (the files read a binary `COPY` instead;
/// tests compare the two).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    report: Report,
    query: &'q mut QueryBuilder<'static, Postgres>,
) -> impl Stream<Item = Result<Vec<Cell>, AppError>> + Send + 'q {
    let columns = report.columns();
    query
        .build()
        .planned_with_values()
        .fetch(db)
        .map_err(AppError::from)
        .and_then(move |row| async move { Ok(cells(columns, &row)?) })
}

/// The first `limit` rows (the page's preview).
pub async fn preview(pool: &PgPool, report: Report, filter: &Filter, limit: i64) -> Result<Vec<Vec<Cell>>, AppError> {
    let mut q = query(report, filter, Some(limit));
    rows(pool, report, &mut q).try_collect().await
}

/// How many rows the report has, and per column the sum of its amounts or counts.
pub async fn totals(pool: &PgPool, report: Report, filter: &Filter) -> Result<(i64, Vec<Option<Cell>>), AppError> {
    let row = totals_query(report, filter).build().planned_with_values().fetch_one(pool).await?;
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

/// Where a file's rows go: a streamed CSV download, or a file being written (an XLSX download, a
/// scheduled report's XLSX or CSV).
enum FileRows {
    Csv(Box<crate::http::csv::CsvRows>),
    Sheet(crate::http::xlsx::XlsxRows),
}

impl FileRows {
    async fn end(self) -> Result<(), AppError> {
        match self {
            FileRows::Csv(out) => out.end().await,
            FileRows::Sheet(out) => out.end().await,
        }
    }
}

/// Every row of the report for `filter`, the personal data `masking` hides masked, into a file's rows.
pub async fn write_masked(
    out: crate::http::xlsx::XlsxRows,
    tx: crate::db::ExportTx,
    report: Report,
    filter: Filter,
    masking: Masking,
) -> Result<(), AppError> {
    write_file(FileRows::Sheet(out), tx, report, filter, masking).await
}

/// The same into a streamed CSV download.
pub async fn write_masked_csv(
    out: crate::http::csv::CsvRows,
    tx: crate::db::ExportTx,
    report: Report,
    filter: Filter,
    masking: Masking,
) -> Result<(), AppError> {
    write_file(FileRows::Csv(Box::new(out)), tx, report, filter, masking).await
}

/// A file's rows are read as binary `COPY` ([`copy_statement`]) and turned into cells here, each
/// by its column's kind, the same cells whatever the file: a million rows of settlement
/// transactions in about 3 s as CSV (BENCHMARKS.md, "Reports"), where PostgreSQL formatting the
/// CSV itself took 5.4 s and a cursor's decoded rows 6.8 s. Settlement transactions go batch by
/// batch, each batch's items read in its primary key's order, so a million rows are never sorted
/// ([`prepare_copies`]).
async fn write_file(
    mut out: FileRows,
    mut tx: crate::db::ExportTx,
    report: Report,
    filter: Filter,
    masking: Masking,
) -> Result<(), AppError> {
    let columns = report.columns();
    for select in prepare_copies(&mut tx, report, &filter).await? {
        copy_rows(&mut tx, &copy_statement(&select), columns, masking, &mut out).await?;
    }
    out.end().await?;
    Ok(tx.finish().await?)
}

/// The rows of one binary `COPY`, each decoded and masked as `masking` says, into `out`: a sheet's
/// rows as cells; a CSV's cell by cell, numbers, dates and times formatted into one reused buffer
/// and texts written straight from the `COPY`'s bytes, so an unmasked CSV allocates nothing per
/// cell but the few cells that take a formula's quote.
async fn copy_rows(
    tx: &mut PgConnection,
    statement: &str,
    columns: &[Column],
    masking: Masking,
    out: &mut FileRows,
) -> Result<(), AppError> {
    let mut reader = binary_copy::Reader::new();
    let mut chunks = tx.copy_out_raw(statement).await?;
    let mut text = Vec::new();
    while let Some(chunk) = chunks.try_next().await? {
        reader.push(&chunk);
        while let Some(row) = reader.next_row().map_err(format_error)? {
            check_width(columns, &row)?;
            match out {
                FileRows::Sheet(sheet) => {
                    let cells = columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| row.get(i).map_or(Ok(Cell::Empty), |bytes| decode(c.kind, bytes)))
                        .collect::<Result<Vec<_>, _>>()?;
                    sheet.write_row(crate::sheet::mask_row(columns, cells, masking)).await?;
                }
                FileRows::Csv(csv) => {
                    for (i, c) in columns.iter().enumerate() {
                        let Some(bytes) = row.get(i) else {
                            csv.write_cell(b"")?;
                            continue;
                        };
                        match (c.kind, c.personal) {
                            (kind, Some(personal)) if masking.masks(personal) => {
                                text.clear();
                                decode(kind, bytes)?.masked(personal).push_csv_text(&mut text);
                                csv.write_cell(&text)?;
                            }
                            // Text comes in the connection's client encoding, UTF-8 (sqlx sets it),
                            // and goes to the file as it is.
                            (Kind::Text, _) => csv.write_cell(bytes)?,
                            (kind, _) => {
                                text.clear();
                                decode(kind, bytes)?.push_csv_text(&mut text);
                                csv.write_cell(&text)?;
                            }
                        }
                    }
                    csv.end_row().await?;
                }
            }
        }
    }
    reader.finish().map_err(format_error)
}

/// A row of as many fields as the report has columns, or an error.
fn check_width(columns: &[Column], row: &binary_copy::Row<'_>) -> Result<(), AppError> {
    if row.len() == columns.len() {
        return Ok(());
    }
    Err(format_error(binary_copy::FormatError(format!("a row of {} fields for {} columns", row.len(), columns.len()))))
}

/// A field of a binary `COPY` as a cell of its column's kind (as [`cells`] reads a cursor's row).
fn decode(kind: Kind, bytes: &[u8]) -> Result<Cell, AppError> {
    Ok(match kind {
        Kind::Text => Cell::Text(binary_copy::text(bytes).map_err(format_error)?.to_owned()),
        Kind::Money => Cell::Money(Paise(binary_copy::int8(bytes).map_err(format_error)?)),
        Kind::Count => Cell::Count(binary_copy::int8(bytes).map_err(format_error)?),
        Kind::Date => Cell::Date(binary_copy::date(bytes).map_err(format_error)?),
        Kind::Time => Cell::Time(binary_copy::timestamptz(bytes).map_err(format_error)?),
    })
}

fn format_error(error: binary_copy::FormatError) -> AppError {
    tracing::error!(%error, "report file: a row could not be read");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `COPY` statement never carries a caller's text: merchant and acquirer travel as settings,
    /// and only the parsed dates are written into it.
    #[test]
    fn a_copy_statement_holds_no_caller_text() {
        let hostile = "x'); DROP TABLE merchants; --";
        let filter = Filter {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            merchant_id: Some(hostile.into()),
            acquirer: Some(format!("{hostile} acq")),
        };
        let batch = Uuid::from_u128(0x1234);
        for report in Report::ALL {
            let (whole, settings) = copy_select(report, &filter);
            let mut statements = vec![(copy_statement(&whole), settings)];
            if report == Report::SettlementTransactions {
                let (one, settings) = batch_copy_select(&filter, batch);
                assert_eq!(settings, statements[0].1, "a batch's select takes the same settings");
                statements.push((copy_statement(&one), settings));
            }
            for (sql, settings) in statements {
                assert!(!sql.contains("DROP") && !sql.contains(hostile) && !sql.contains("x'"), "{report:?}: {sql}");
                assert!(sql.starts_with("COPY (SELECT ") && sql.ends_with(") TO STDOUT (FORMAT binary)"), "{report:?}");
                assert!(sql.contains("'2026-11-01'::date AND '2026-11-30'::date"), "{report:?}: {sql}");
                let expected = usize::from(report.by_merchant()) + usize::from(report.by_acquirer());
                assert_eq!(settings.len(), expected, "{report:?}");
                for (i, (name, value)) in settings.iter().enumerate() {
                    assert_eq!(name, &format!("settlepaisa.report_arg{}", i + 1));
                    assert!(value.starts_with(hostile));
                    assert!(sql.contains(&format!("(SELECT current_setting('{name}'))")), "{report:?}");
                }
            }
        }
        let sql = copy_statement(&batch_copy_select(&filter, batch).0);
        assert!(
            sql.ends_with("AND b.id = '00000000-0000-0000-0000-000000001234'::uuid ORDER BY i.transaction_id) TO STDOUT (FORMAT binary)"),
            "{sql}"
        );
    }
}
