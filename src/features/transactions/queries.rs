//! The explorer's reads, one function per fact, shared by the page, the JSON API and the CSV export:
//! a page of transactions (filtered, sorted; streamed for the export), the number that match (from
//! the daily rollup when the filter allows, else counted up to a cap), and one transaction's life.
//! Filters are built once, in [`push_filter`], with bind parameters only.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::model::{
    BankLineView, ChargebackRef, ExceptionRef, Filter, MatchCount, ResultView, SettlementRef, Sort, SortKey, TxnDetail,
    TxnPage, TxnRow, COUNT_CAP,
};
use crate::db::PlannedWithValues;
use crate::domain::{Lifecycle, PipelineBucket};
use crate::error::AppError;
use crate::money::Paise;

#[derive(sqlx::FromRow)]
struct TxnRecord {
    id: i64,
    txn_id: String,
    merchant_id: String,
    merchant_name: String,
    amount_paise: Paise,
    currency: String,
    cycle_date: NaiveDate,
    txn_at: DateTime<Utc>,
    payment_method: String,
    acquirer: Option<String>,
    utr: Option<String>,
    rrn: Option<String>,
    stored_status: String,
    batch_status: String,
    batch_ref: Option<String>,
}

impl From<TxnRecord> for TxnRow {
    fn from(r: TxnRecord) -> Self {
        TxnRow {
            id: r.id,
            txn_id: r.txn_id,
            merchant_id: r.merchant_id,
            merchant_name: r.merchant_name,
            amount: r.amount_paise,
            currency: r.currency,
            cycle_date: r.cycle_date,
            txn_at: r.txn_at,
            payment_method: r.payment_method,
            acquirer: r.acquirer,
            utr: r.utr,
            rrn: r.rrn,
            // The tables' CHECKs hold both statuses to the lists `Lifecycle::of` covers.
            status: Lifecycle::of(&r.stored_status, &r.batch_status).unwrap_or(Lifecycle::Pending),
            batch_ref: r.batch_ref,
            batch_status: Some(r.batch_status).filter(|s| !s.is_empty()),
        }
    }
}

const COLUMNS: &str =
    "t.id, t.txn_id, t.merchant_id, m.name AS merchant_name, t.amount_paise, t.currency, t.cycle_date,
     t.txn_at, t.payment_method::text AS payment_method, t.acquirer, t.utr, t.rrn, t.status AS stored_status,
     coalesce(b.status, '') AS batch_status, b.batch_ref";

const FROM: &str = " FROM transactions t JOIN merchants m ON m.id = t.merchant_id
     LEFT JOIN settlement_items si ON si.transaction_id = t.id
     LEFT JOIN settlement_batches b ON b.id = si.batch_id";

/// The search's values: as typed, upper case, and as UTRs and RRNs are stored
/// (`domain::normalise_ref`: upper case, no spaces).
fn search_terms(q: &str) -> Vec<String> {
    let mut terms = vec![q.to_string()];
    let up = q.to_ascii_uppercase();
    let stored = crate::domain::stored_ref(q);
    for term in [Some(up), stored].into_iter().flatten() {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// Append the WHERE conditions of a filter (the caller has written `WHERE TRUE`).
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
    if let Some(from) = f.from {
        qb.push(" AND t.cycle_date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        qb.push(" AND t.cycle_date <= ").push_bind(to);
    }
    if let Some(m) = &f.merchant_id {
        qb.push(" AND t.merchant_id = ").push_bind(m.clone());
    }
    if let Some(a) = &f.acquirer {
        qb.push(" AND upper(t.acquirer) = ").push_bind(a.clone());
    }
    if let Some(method) = &f.method {
        qb.push(" AND t.payment_method = ").push_bind(method.clone());
    }
    if let Some(status) = f.status {
        let (stored, batch) = status.stored();
        qb.push(" AND t.status = ANY(").push_bind(stored.to_vec()).push(")");
        if batch.len() < PipelineBucket::EVERY_BATCH_STATUS.len() {
            qb.push(" AND coalesce(b.status, '') = ANY(").push_bind(batch.to_vec()).push(")");
        }
    }
    if let Some(bucket) = f.bucket.filter(|b| *b != PipelineBucket::Captured) {
        qb.push(" AND coalesce(b.status, '') = ANY(").push_bind(bucket.batch_statuses().to_vec()).push(")");
    }
    if let Some(min) = f.min {
        qb.push(" AND t.amount_paise >= ").push_bind(min.0);
    }
    if let Some(max) = f.max {
        qb.push(" AND t.amount_paise <= ").push_bind(max.0);
    }
    if let Some(q) = &f.q {
        let terms = search_terms(q);
        qb.push(" AND (t.txn_id = ANY(")
            .push_bind(terms.clone())
            .push(") OR t.utr = ANY(")
            .push_bind(terms.clone())
            .push(") OR t.rrn = ANY(")
            .push_bind(terms)
            .push("))");
    }
}

fn list_query<'a>(prefix: &str, filter: &'a Filter, sort: Sort, limit: i64, offset: i64) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!("{prefix}SELECT {COLUMNS}{FROM} WHERE TRUE"));
    push_filter(&mut qb, filter);
    let direction = if sort.desc { "DESC" } else { "ASC" };
    let column = match sort.key {
        SortKey::Cycle => "t.cycle_date",
        SortKey::Amount => "t.amount_paise",
    };
    qb.push(format!(" ORDER BY {column} {direction}, t.id {direction}"));
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb
}

/// One page of transactions (`limit` rows from `offset`) and how many match.
///
/// When the filter is made of the rollup's keys and the order is by cycle date, the rollup's
/// per-day counts say which days hold the page's rows: the query then reads only those days (and
/// skips only the rows of the page's first day before it), instead of walking every newer row that
/// does not match — the difference between a millisecond and a second for "credited" when the
/// newest days are not paid yet.
pub async fn list(pool: &PgPool, filter: &Filter, sort: Sort, limit: i64, offset: i64) -> Result<TxnPage, AppError> {
    if filter.countable_by_rollup() && sort.key == SortKey::Cycle {
        let days = day_counts(pool, filter).await?;
        let total = MatchCount { count: days.iter().map(|(_, n)| n).sum(), exact: true };
        let Some(span) = page_days(&days, sort.desc, offset, limit + 1) else {
            return Ok(TxnPage { rows: Vec::new(), total, has_next: false });
        };
        let narrowed = Filter { from: Some(span.first), to: Some(span.last), ..filter.clone() };
        let mut rows: Vec<TxnRow> =
            rows(pool, &mut list_query("", &narrowed, sort, limit + 1, offset - span.before)).try_collect().await?;
        let has_next = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        return Ok(TxnPage { rows, total, has_next });
    }
    // One row more than the page says whether there is a next page.
    let mut rows: Vec<TxnRow> = rows(pool, &mut list_query("", filter, sort, limit + 1, offset)).try_collect().await?;
    let has_next = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let total = count(pool, filter).await?;
    Ok(TxnPage { rows, total, has_next })
}

/// The cycle dates that hold rows `offset..offset + want` of a list ordered by cycle date, and how
/// many matching rows come before the first of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageDays {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub before: i64,
}

/// From each cycle date's count of matching rows (ascending dates), the days a page of `want` rows
/// from `offset` needs in that order; `None` when the page starts past the last row.
pub fn page_days(days: &[(NaiveDate, i64)], desc: bool, offset: i64, want: i64) -> Option<PageDays> {
    let ordered: Box<dyn Iterator<Item = &(NaiveDate, i64)>> =
        if desc { Box::new(days.iter().rev()) } else { Box::new(days.iter()) };
    let mut seen = 0i64;
    let mut first: Option<(NaiveDate, i64)> = None;
    let mut last = None;
    for &(date, n) in ordered.filter(|(_, n)| *n > 0) {
        if first.is_none() {
            if seen + n <= offset {
                seen += n;
                continue;
            }
            first = Some((date, seen));
        }
        last = Some(date);
        seen += n;
        if seen >= offset + want {
            break;
        }
    }
    let (day, before) = first?;
    let other = last.unwrap_or(day);
    Some(PageDays { first: day.min(other), last: day.max(other), before })
}

/// Append the rollup's conditions for a filter made of its keys (`d` is `txn_daily`).
fn push_rollup_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &Filter) {
    if let Some(from) = filter.from {
        qb.push(" AND d.cycle_date >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        qb.push(" AND d.cycle_date <= ").push_bind(to);
    }
    if let Some(a) = &filter.acquirer {
        qb.push(" AND upper(d.acquirer) = ").push_bind(a.clone());
    }
    if let Some(m) = &filter.method {
        qb.push(" AND d.payment_method = ").push_bind(m.clone());
    }
    if let Some(status) = filter.status {
        let (stored, batch) = status.stored();
        qb.push(" AND d.status = ANY(").push_bind(stored.to_vec()).push(")");
        qb.push(" AND d.batch_status = ANY(").push_bind(batch.to_vec()).push(")");
    }
    if let Some(bucket) = filter.bucket {
        qb.push(" AND d.batch_status = ANY(").push_bind(bucket.batch_statuses().to_vec()).push(")");
    }
}

/// Matching rows per cycle date (ascending), from the rollup.
async fn day_counts(pool: &PgPool, filter: &Filter) -> Result<Vec<(NaiveDate, i64)>, AppError> {
    let mut qb = QueryBuilder::new("SELECT d.cycle_date, sum(d.txn_count)::bigint FROM txn_daily d WHERE TRUE");
    push_rollup_filter(&mut qb, filter);
    qb.push(" GROUP BY d.cycle_date HAVING sum(d.txn_count) > 0 ORDER BY d.cycle_date");
    Ok(qb.build_query_as().fetch_all(pool).await?)
}

/// How many transactions match: from the daily rollup (exact, whatever the size) when the filter
/// is made of its keys, else counted up to [`COUNT_CAP`] + 1.
pub async fn count(pool: &PgPool, filter: &Filter) -> Result<MatchCount, AppError> {
    if filter.countable_by_rollup() {
        let mut qb = QueryBuilder::new("SELECT coalesce(sum(d.txn_count), 0)::bigint FROM txn_daily d WHERE TRUE");
        push_rollup_filter(&mut qb, filter);
        let (count,): (i64,) = qb.build_query_as().fetch_one(pool).await?;
        return Ok(MatchCount { count, exact: true });
    }
    let mut qb = QueryBuilder::new(format!("SELECT count(*) FROM (SELECT 1{FROM} WHERE TRUE"));
    push_filter(&mut qb, filter);
    qb.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") x");
    let (count,): (i64,) = qb.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(MatchCount::capped(count))
}

/// The list's query for its first `cap` rows (the CSV export streams it).
pub fn export_query(filter: &Filter, sort: Sort, cap: i64) -> QueryBuilder<'_, Postgres> {
    list_query("", filter, sort, cap, 0)
}

/// The rows of a list query as the database sends them: a cursor, never the whole set in memory.
/// Planned with its values, as the count is ([`PlannedWithValues`]).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    query: &'q mut QueryBuilder<'_, Postgres>,
) -> impl Stream<Item = Result<TxnRow, AppError>> + Send + 'q {
    query.build_query_as::<TxnRecord>().planned_with_values().fetch(db).map_ok(TxnRow::from).map_err(AppError::from)
}

/// The plan Postgres chooses for the list's first page (the index check on large tables).
pub async fn explain_list(pool: &PgPool, filter: &Filter, sort: Sort, limit: i64) -> Result<String, AppError> {
    let lines: Vec<(String,)> = list_query("EXPLAIN ", filter, sort, limit, 0).build_query_as().fetch_all(pool).await?;
    Ok(lines.into_iter().map(|l| l.0).collect::<Vec<_>>().join("\n"))
}

/// The acquirers the ledger has seen (the filter's choices), from the rollup.
pub async fn acquirers(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT DISTINCT acquirer AS "acquirer!"
           FROM (SELECT acquirer FROM txn_daily_base UNION ALL SELECT acquirer FROM txn_daily_delta) a
           WHERE acquirer <> '' ORDER BY 1"#
    )
    .fetch_all(pool)
    .await?)
}

/// One transaction by its id (`txn_id`), with everything that happened to it.
pub async fn detail(pool: &PgPool, txn_id: &str) -> Result<TxnDetail, AppError> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}{FROM} WHERE t.txn_id = "));
    qb.push_bind(txn_id);
    let row: TxnRow = qb
        .build_query_as::<TxnRecord>()
        .fetch_optional(pool)
        .await?
        .map(TxnRow::from)
        .ok_or_else(|| AppError::NotFound(format!("No transaction {txn_id}.")))?;
    let id = row.id;
    let extra = sqlx::query!(
        r#"SELECT t.gross_paise AS "gross: Paise", t.gateway_status, t.bank_fee_paise AS "bank_fee: Paise",
                  t.expected_settlement_paise AS "expected: Paise", f.original_name AS "source_file?",
                  t.created_at AS "created_at: DateTime<Utc>"
           FROM transactions t LEFT JOIN uploaded_files f ON f.id = t.source_file_id WHERE t.id = $1"#,
        id
    )
    .fetch_one(pool)
    .await?;
    // Only runs of its own cycle read a transaction (a run loads its cycle's rows, and a trigger
    // refuses a change of cycle): each run's result is one probe of recon_results_pg_once.
    let results = sqlx::query_as!(
        ResultView,
        r#"SELECT r.run_id, rr.cycle_date AS "run_cycle: NaiveDate", rr.finished_at AS "run_at: DateTime<Utc>", r.class,
                  r.reason_code, r.delta_paise AS "delta: Paise", r.bank_line_id
           FROM recon_runs rr JOIN recon_results r ON r.run_id = rr.id AND r.transaction_id = $1 AND r.side = 'pg'
           WHERE rr.cycle_date = $2
           ORDER BY rr.queued_at DESC, r.id DESC LIMIT 100"#,
        id,
        row.cycle_date as NaiveDate,
    )
    .fetch_all(pool)
    .await?;
    let exception = sqlx::query_as!(
        ExceptionRef,
        r#"SELECT id, reason_code, severity::text AS "severity!", status, delta_paise AS "delta: Paise"
           FROM exceptions WHERE transaction_id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    // The bank line of its newest result that names one (matched, or paired with a difference),
    // else the one its exception names.
    let line_id = results.iter().find_map(|r| r.bank_line_id);
    let line_id = match line_id {
        Some(l) => Some(l),
        None => sqlx::query_scalar!("SELECT bank_line_id FROM exceptions WHERE transaction_id = $1", id)
            .fetch_optional(pool)
            .await?
            .flatten(),
    };
    let bank_line =
        match line_id {
            None => None,
            Some(l) => sqlx::query_as!(
                BankLineView,
                r#"SELECT id, bank_name, bank_ref, amount_paise AS "amount: Paise", txn_date AS "txn_date: NaiveDate",
                      value_date AS "value_date: NaiveDate", utr
               FROM bank_statement_lines WHERE id = $1"#,
                l
            )
            .fetch_optional(pool)
            .await?,
        };
    let settlement = sqlx::query_as!(
        SettlementRef,
        r#"SELECT b.id AS batch_id, b.batch_ref, b.status AS batch_status, b.cycle_date AS "batch_cycle: NaiveDate",
                  si.commission_paise AS "commission: Paise", si.gst_paise AS "gst: Paise", si.tds_paise AS "tds: Paise",
                  si.reserve_paise AS "reserve: Paise", si.net_paise AS "net: Paise", b.payout_utr,
                  b.paid_at AS "paid_at: DateTime<Utc>"
           FROM settlement_items si JOIN settlement_batches b ON b.id = si.batch_id WHERE si.transaction_id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let chargebacks = sqlx::query_as!(
        ChargebackRef,
        r#"SELECT id, case_ref, status, stage, chargeback_paise AS "amount: Paise", received_at AS "received_at: DateTime<Utc>"
           FROM chargebacks WHERE transaction_id = $1 ORDER BY received_at DESC"#,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(TxnDetail {
        row,
        gross: extra.gross,
        gateway_status: extra.gateway_status,
        bank_fee: extra.bank_fee,
        expected_settlement: extra.expected,
        source_file: extra.source_file,
        created_at: extra.created_at,
        bank_line,
        results,
        exception,
        settlement,
        chargebacks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_only_the_days_that_hold_it() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 1 Nov: 30 rows, 2 Nov: 0, 3 Nov: 50, 4 Nov: 20.
        let days = [(d("2026-11-01"), 30), (d("2026-11-02"), 0), (d("2026-11-03"), 50), (d("2026-11-04"), 20)];
        // Newest first: rows 0..51 are 4 Nov (20) and 31 of 3 Nov.
        assert_eq!(
            page_days(&days, true, 0, 51),
            Some(PageDays { first: d("2026-11-03"), last: d("2026-11-04"), before: 0 })
        );
        // Rows 20..71: all on 3 Nov (50) and 1 of 1 Nov; 20 rows come before 3 Nov.
        assert_eq!(
            page_days(&days, true, 20, 51),
            Some(PageDays { first: d("2026-11-01"), last: d("2026-11-03"), before: 20 })
        );
        // Rows 70..: only 1 Nov, after 70 rows.
        assert_eq!(
            page_days(&days, true, 70, 51),
            Some(PageDays { first: d("2026-11-01"), last: d("2026-11-01"), before: 70 })
        );
        assert_eq!(page_days(&days, true, 100, 51), None);
        // Oldest first.
        assert_eq!(
            page_days(&days, false, 10, 10),
            Some(PageDays { first: d("2026-11-01"), last: d("2026-11-01"), before: 0 })
        );
        assert_eq!(
            page_days(&days, false, 30, 60),
            Some(PageDays { first: d("2026-11-03"), last: d("2026-11-04"), before: 30 })
        );
        assert_eq!(page_days(&[], true, 0, 51), None);
    }
}
