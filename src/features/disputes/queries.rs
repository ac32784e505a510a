//! The disputes facts, one query function each, shared by the pages, the JSON API and the CSV
//! export. Filters are built once, in [`push_filter`], with bind parameters only.

use chrono::{DateTime, Duration, Utc};
use futures_util::{Stream, TryStreamExt};
use sqlx::{FromRow, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::model::{
    CaseDetail, CasePage, CaseRow, Document, Kpis, LinkedTransaction, ListFilter, OutcomeSummary, Recovery,
    RecoveryDeduction, Scope, SlaBucket, SlaCell, Sort, SortKey, TimelineEntry, UiStatus,
};
use super::rules;
use crate::db::PlannedWithValues;
use crate::error::AppError;
use crate::ist;
use crate::money::Paise;

/// Append the WHERE conditions of a filter (the caller has written `WHERE TRUE`).
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, filter: &ListFilter, now: DateTime<Utc>, with_status: bool) {
    push_scope(qb, &filter.scope);
    if with_status {
        if let Some(ui) = filter.ui_status {
            let (stages, status, outcomes) = rules::stored_values(ui);
            qb.push(" AND c.stage = ANY(").push_bind(stages.to_vec()).push(")");
            qb.push(" AND c.status = ").push_bind(status);
            qb.push(" AND c.outcome = ANY(").push_bind(outcomes.to_vec()).push(")");
        }
        if let Some(raw) = &filter.raw_status {
            qb.push(" AND c.status = ").push_bind(raw.clone());
        }
    }
    if let Some(bucket) = filter.sla {
        let (start, end) = rules::sla_bounds(bucket, now);
        qb.push(" AND c.status = 'OPEN' AND c.evidence_due_at < ").push_bind(end);
        if let Some(start) = start {
            qb.push(" AND c.evidence_due_at >= ").push_bind(start);
        }
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = |text: &str| format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let pattern = like(q);
        qb.push(" AND (c.case_ref ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR c.network_case_id ILIKE ")
            .push_bind(pattern.clone())
            .push(" OR c.txn_ref ILIKE ")
            .push_bind(pattern);
        // RRNs and UTRs are kept without spaces (`domain::stored_ref`): `ab12 cd34` finds `AB12CD34`.
        if let Some(reference) = crate::domain::stored_ref(q) {
            let reference = like(&reference);
            qb.push(" OR c.rrn ILIKE ").push_bind(reference.clone()).push(" OR c.utr ILIKE ").push_bind(reference);
        }
        qb.push(")");
    }
}

fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: &Scope) {
    if let Some(from) = scope.from {
        qb.push(" AND c.received_at >= ").push_bind(ist::start_of_day(from));
    }
    if let Some(to) = scope.to {
        qb.push(" AND c.received_at < ").push_bind(ist::end_of_day(to));
    }
    if let Some(m) = &scope.merchant_id {
        qb.push(" AND c.merchant_id = ").push_bind(m.clone());
    }
    if let Some(a) = &scope.acquirer {
        qb.push(" AND c.acquirer = ").push_bind(a.clone());
    }
}

#[derive(FromRow)]
struct KpiRow {
    open_count: i64,
    evidence_required_count: i64,
    disputed_paise: Paise,
    recovered_paise: Paise,
    written_off_paise: Paise,
}

/// The KPIs of spec 03 §3.2 over the cases in scope (the same definitions as [`rules::kpis`]).
pub async fn kpis(pool: &PgPool, scope: &Scope) -> Result<Kpis, AppError> {
    let mut qb = QueryBuilder::new(
        "SELECT count(*) FILTER (WHERE c.status = 'OPEN') AS open_count,
                count(*) FILTER (WHERE c.status = 'OPEN' AND c.stage = 'UNDER_REVIEW') AS evidence_required_count,
                coalesce(sum(c.chargeback_paise + c.fees_paise) FILTER (WHERE c.status <> 'WRITEOFF'), 0)::bigint
                    AS disputed_paise,
                coalesce(sum(c.recovered_paise), 0)::bigint AS recovered_paise,
                coalesce(sum(c.written_off_paise), 0)::bigint AS written_off_paise
         FROM chargebacks c WHERE TRUE",
    );
    push_scope(&mut qb, scope);
    let row: KpiRow = qb.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(Kpis {
        open_count: row.open_count,
        evidence_required_count: row.evidence_required_count,
        disputed: row.disputed_paise,
        recovered: row.recovered_paise,
        written_off: row.written_off_paise,
    })
}

/// Won / lost, resolution time and the money recovered and written off over the cases in scope
/// closed in the last `window_days`.
pub async fn outcome_summary(
    pool: &PgPool,
    scope: &Scope,
    window_days: i64,
    now: DateTime<Utc>,
) -> Result<OutcomeSummary, AppError> {
    let mut qb = QueryBuilder::new(
        "SELECT count(*) FILTER (WHERE c.outcome = 'WON') AS won,
                count(*) FILTER (WHERE c.outcome IN ('LOST', 'PARTIAL')) AS lost,
                coalesce(sum(extract(epoch FROM c.closed_at - c.received_at))
                    FILTER (WHERE c.outcome IN ('WON', 'LOST', 'PARTIAL')), 0)::bigint AS seconds,
                coalesce(sum(c.recovered_paise), 0)::bigint AS recovered,
                coalesce(sum(c.written_off_paise), 0)::bigint AS written_off
         FROM chargebacks c WHERE c.closed_at >= ",
    );
    qb.push_bind(now - Duration::days(window_days)).push(" AND c.closed_at <= ").push_bind(now);
    push_scope(&mut qb, scope);
    let (won, lost, seconds, recovered, written_off): (i64, i64, i64, i64, i64) =
        qb.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(rules::outcome_summary(window_days, won, lost, seconds, Paise(recovered), Paise(written_off)))
}

/// The SLA strip: open cases in scope per deadline bucket, with amounts.
pub async fn sla_strip(pool: &PgPool, scope: &Scope, now: DateTime<Utc>) -> Result<Vec<SlaCell>, AppError> {
    let mut qb = QueryBuilder::new("SELECT ");
    for (i, bucket) in SlaBucket::ALL.into_iter().enumerate() {
        let (start, end) = rules::sla_bounds(bucket, now);
        let condition = |qb: &mut QueryBuilder<'_, Postgres>| {
            qb.push("c.evidence_due_at < ").push_bind(end);
            if let Some(start) = start {
                qb.push(" AND c.evidence_due_at >= ").push_bind(start);
            }
        };
        if i > 0 {
            qb.push(", ");
        }
        qb.push("count(*) FILTER (WHERE ");
        condition(&mut qb);
        qb.push("), coalesce(sum(c.chargeback_paise) FILTER (WHERE ");
        condition(&mut qb);
        qb.push("), 0)::bigint");
    }
    qb.push(" FROM chargebacks c WHERE c.status = 'OPEN'");
    push_scope(&mut qb, scope);
    let row = qb.build().planned_with_values().fetch_one(pool).await?;
    use sqlx::Row;
    SlaBucket::ALL
        .into_iter()
        .enumerate()
        .map(|(i, bucket)| Ok(SlaCell { bucket, count: row.try_get(2 * i)?, amount: row.try_get(2 * i + 1)? }))
        .collect()
}

/// Case counts per UI status under every filter except the status itself (the tabs).
pub async fn tab_counts(
    pool: &PgPool,
    filter: &ListFilter,
    now: DateTime<Utc>,
) -> Result<Vec<(UiStatus, i64)>, AppError> {
    let mut qb = QueryBuilder::new("SELECT c.stage, c.status, c.outcome, count(*) FROM chargebacks c WHERE TRUE");
    push_filter(&mut qb, filter, now, false);
    qb.push(" GROUP BY 1, 2, 3");
    let rows: Vec<(String, String, String, i64)> = qb.build_query_as().planned_with_values().fetch_all(pool).await?;
    Ok(UiStatus::ALL
        .into_iter()
        .map(|ui| {
            let n = rows
                .iter()
                .filter(|(stage, status, outcome, _)| rules::ui_status(stage, status, outcome) == Some(ui))
                .map(|r| r.3)
                .sum();
            (ui, n)
        })
        .collect())
}

#[derive(FromRow)]
struct CaseRecord {
    id: Uuid,
    case_ref: String,
    network_case_id: String,
    acquirer: String,
    merchant_id: String,
    merchant_name: String,
    txn_ref: Option<String>,
    rrn: Option<String>,
    utr: Option<String>,
    reason_code: String,
    reason_description: String,
    category: String,
    chargeback_paise: Paise,
    fees_paise: Paise,
    stage: String,
    status: String,
    outcome: String,
    received_at: DateTime<Utc>,
    evidence_due_at: Option<DateTime<Utc>>,
    owner: Option<String>,
}

impl From<CaseRecord> for CaseRow {
    fn from(r: CaseRecord) -> Self {
        CaseRow {
            ui_status: rules::ui_status(&r.stage, &r.status, &r.outcome),
            id: r.id,
            case_ref: r.case_ref,
            network_case_id: r.network_case_id,
            acquirer: r.acquirer,
            merchant_id: r.merchant_id,
            merchant_name: r.merchant_name,
            txn_ref: r.txn_ref,
            rrn: r.rrn,
            utr: r.utr,
            reason_code: r.reason_code,
            reason_description: r.reason_description,
            category: r.category,
            chargeback: r.chargeback_paise,
            fees: r.fees_paise,
            stage: r.stage,
            status: r.status,
            outcome: r.outcome,
            received_at: r.received_at,
            evidence_due_at: r.evidence_due_at,
            owner: r.owner,
        }
    }
}

/// The columns of [`CaseRecord`]; `detail` writes them out (a test below holds the copies equal).
const CASE_COLUMNS: &str = "c.id, c.case_ref, c.network_case_id, c.acquirer, c.merchant_id, c.merchant_name, c.txn_ref,
     c.rrn, c.utr, c.reason_code, c.reason_description, c.category::text AS category, c.chargeback_paise,
     c.fees_paise, c.stage, c.status, c.outcome, c.received_at, c.evidence_due_at, u.full_name AS owner";

/// The list's SELECT for a filter, sort and page, after `prefix` (`EXPLAIN` in the index check).
fn list_query<'a>(
    prefix: &str,
    filter: &'a ListFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!(
        "{prefix}SELECT {CASE_COLUMNS} FROM chargebacks c LEFT JOIN users u ON u.id = c.assigned_to WHERE TRUE"
    ));
    push_filter(&mut qb, filter, now, true);
    let column = match sort.key {
        SortKey::Received => "c.received_at",
        SortKey::Amount => "c.chargeback_paise",
        SortKey::EvidenceDue => "c.evidence_due_at",
        SortKey::CaseRef => "c.case_ref",
        SortKey::Merchant => "c.merchant_name",
    };
    // Only the deadline can be empty; the other keys keep the default null order, which is what
    // lets Postgres walk the (… received_at DESC) indexes instead of sorting.
    let direction = if sort.descending { "DESC" } else { "ASC" };
    let nulls = if sort.key == SortKey::EvidenceDue { " NULLS LAST" } else { "" };
    qb.push(format!(" ORDER BY {column} {direction}{nulls}, c.id {direction}"));
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb
}

/// One page of the list and the number of all matching rows.
pub async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> Result<CasePage, AppError> {
    let rows = rows(pool, &mut list_query("", filter, sort, limit, offset, now)).try_collect().await?;
    let mut count = QueryBuilder::new("SELECT count(*) FROM chargebacks c WHERE TRUE");
    push_filter(&mut count, filter, now, true);
    let (total,): (i64,) = count.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(CasePage { rows, total })
}

/// The list's query for its first `cap` rows, for [`rows`] to stream (the CSV export).
pub fn export_query(filter: &ListFilter, sort: Sort, cap: i64, now: DateTime<Utc>) -> QueryBuilder<'_, Postgres> {
    list_query("", filter, sort, cap, 0, now)
}

/// The rows of a list query as the database sends them: a cursor, never the whole set in memory.
/// Planned with its values, as the count is ([`PlannedWithValues`]).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    query: &'q mut QueryBuilder<'_, Postgres>,
) -> impl Stream<Item = Result<CaseRow, AppError>> + Send + 'q {
    query.build_query_as::<CaseRecord>().planned_with_values().fetch(db).map_ok(CaseRow::from).map_err(AppError::from)
}

/// The plan Postgres chooses for [`list`]'s page query (for the index check on large tables).
pub async fn explain_list(
    pool: &PgPool,
    filter: &ListFilter,
    sort: Sort,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let lines: Vec<(String,)> =
        list_query("EXPLAIN ", filter, sort, limit, 0, now).build_query_as().fetch_all(pool).await?;
    Ok(lines.into_iter().map(|l| l.0).collect::<Vec<_>>().join("\n"))
}

struct DetailExtra {
    original_gross_paise: Paise,
    recovered_paise: Paise,
    pending_recovery_paise: Paise,
    written_off_paise: Paise,
    assigned_to: Option<Uuid>,
    assigned_team: Option<String>,
    deadline_at: Option<DateTime<Utc>>,
    responded_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    notes: Option<String>,
    tags: Vec<String>,
    transaction_id: Option<i64>,
}

struct TransactionRow {
    txn_id: String,
    amount_paise: Paise,
    payment_method: String,
    utr: Option<String>,
    rrn: Option<String>,
    txn_at: DateTime<Utc>,
    status: String,
}

/// Everything about one case: record, linked transaction, evidence, timeline, recovery.
pub async fn detail(pool: &PgPool, id: Uuid) -> Result<CaseDetail, AppError> {
    let not_found = || AppError::NotFound("No chargeback case with that id.".into());
    // [`CASE_COLUMNS`] written out, with the overrides the macro needs (a test below holds the copies equal).
    let case = sqlx::query_as!(
        CaseRecord,
        r#"SELECT c.id, c.case_ref, c.network_case_id, c.acquirer, c.merchant_id, c.merchant_name, c.txn_ref,
                  c.rrn, c.utr, c.reason_code, c.reason_description, c.category::text AS "category!",
                  c.chargeback_paise AS "chargeback_paise: Paise", c.fees_paise AS "fees_paise: Paise", c.stage,
                  c.status, c.outcome,
                  c.received_at AS "received_at: DateTime<Utc>", c.evidence_due_at AS "evidence_due_at: DateTime<Utc>",
                  u.full_name AS "owner?"
           FROM chargebacks c LEFT JOIN users u ON u.id = c.assigned_to WHERE c.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(not_found)?;
    let extra = sqlx::query_as!(
        DetailExtra,
        r#"SELECT original_gross_paise AS "original_gross_paise: Paise", recovered_paise AS "recovered_paise: Paise",
                pending_recovery_paise AS "pending_recovery_paise: Paise",
                written_off_paise AS "written_off_paise: Paise", assigned_to, assigned_team,
                deadline_at AS "deadline_at: DateTime<Utc>",
                responded_at AS "responded_at: DateTime<Utc>", closed_at AS "closed_at: DateTime<Utc>", notes, tags,
                transaction_id
         FROM chargebacks WHERE id = $1"#,
        id
    )
    .fetch_one(pool)
    .await?;

    let transaction = match extra.transaction_id {
        Some(txn) => {
            let row = sqlx::query_as!(
                TransactionRow,
                r#"SELECT t.txn_id, t.amount_paise AS "amount_paise: Paise", t.payment_method::text AS "payment_method!",
                        t.utr, t.rrn, t.txn_at AS "txn_at: DateTime<Utc>", l.status AS "status!"
                 FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id WHERE t.id = $1"#,
                txn
            )
            .fetch_optional(pool)
            .await?;
            row.map(|t| LinkedTransaction {
                txn_id: t.txn_id,
                amount: t.amount_paise,
                payment_method: t.payment_method,
                utr: t.utr,
                rrn: t.rrn,
                txn_at: t.txn_at,
                status: t.status,
            })
        }
        None => None,
    };
    let recovery = sqlx::query!(
        r#"SELECT id, amount_paise AS "amount_paise: Paise", applied_paise AS "applied_paise: Paise", status,
                created_at AS "created_at: DateTime<Utc>"
         FROM chargeback_recovery_actions WHERE chargeback_id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    let deductions = match &recovery {
        Some(r) => sqlx::query_as!(
            RecoveryDeduction,
            r#"SELECT d.batch_id, b.batch_ref, d.amount_paise AS "amount: Paise", d.created_at AS "at: DateTime<Utc>"
                   FROM settlement_deductions d JOIN settlement_batches b ON b.id = d.batch_id
                   WHERE d.recovery_action_id = $1 ORDER BY d.created_at, d.id"#,
            r.id
        )
        .fetch_all(pool)
        .await?,
        None => Vec::new(),
    };

    Ok(CaseDetail {
        case: case.into(),
        original_gross: extra.original_gross_paise,
        recovered: extra.recovered_paise,
        pending_recovery: extra.pending_recovery_paise,
        written_off: extra.written_off_paise,
        assigned_to: extra.assigned_to,
        assigned_team: extra.assigned_team,
        deadline_at: extra.deadline_at,
        responded_at: extra.responded_at,
        closed_at: extra.closed_at,
        notes: extra.notes,
        tags: extra.tags,
        transaction,
        documents: documents(pool, id).await?,
        timeline: timeline(pool, id).await?,
        recovery: recovery.map(|r| Recovery {
            amount: r.amount_paise,
            applied: r.applied_paise,
            status: r.status,
            created_at: r.created_at,
            deductions,
        }),
    })
}

struct DocumentRow {
    id: Uuid,
    kind: String,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
}

pub async fn documents(pool: &PgPool, case_id: Uuid) -> Result<Vec<Document>, AppError> {
    let rows = sqlx::query_as!(
        DocumentRow,
        r#"SELECT d.id, d.kind, d.file_name, d.content_type, d.size_bytes, d.sha256, u.full_name AS uploaded_by,
                d.uploaded_at AS "uploaded_at: DateTime<Utc>"
         FROM chargeback_documents d JOIN users u ON u.id = d.uploaded_by
         WHERE d.chargeback_id = $1 ORDER BY d.uploaded_at DESC, d.id"#,
        case_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Document {
            id: r.id,
            kind: r.kind,
            file_name: r.file_name,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at,
        })
        .collect())
}

/// Every audit row of the case, newest first.
pub async fn timeline(pool: &PgPool, case_id: Uuid) -> Result<Vec<TimelineEntry>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT a.action, u.full_name AS "actor?", a.actor_role, host(a.ip) AS "ip?", a.before, a.after,
                  a.occurred_at AS "occurred_at: DateTime<Utc>"
         FROM chargeback_audit a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.chargeback_id = $1 ORDER BY a.occurred_at DESC, a.id DESC"#,
        case_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TimelineEntry {
            action: r.action,
            actor: r.actor.unwrap_or_else(|| "System".into()),
            role: r.actor_role,
            ip: r.ip,
            before: r.before.map(|v| v.to_string()),
            after: r.after.map(|v| v.to_string()),
            at: r.occurred_at,
        })
        .collect())
}

/// Merchants that have cases, for the filter (id, name).
pub async fn merchants(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!(
        "SELECT m.id, m.name FROM merchants m WHERE EXISTS (SELECT 1 FROM chargebacks c WHERE c.merchant_id = m.id)
         ORDER BY m.name"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|m| (m.id, m.name)).collect())
}

/// Active users who work disputes (operations or admin), for the assign control.
pub async fn assignees(pool: &PgPool) -> Result<Vec<(Uuid, String)>, AppError> {
    let workers = crate::auth::users::case_workers(pool, None).await?;
    Ok(workers.into_iter().map(|w| (w.id, w.full_name)).collect())
}

#[cfg(test)]
mod tests {
    use super::CASE_COLUMNS;

    #[test]
    fn detail_reads_the_list_columns() {
        // `detail` writes out the list's columns (the query macros take literals only).
        let detail = format!("SELECT {CASE_COLUMNS} FROM chargebacks c LEFT JOIN users u ON u.id = c.assigned_to");
        assert_eq!(crate::db::sql_copies::count(include_str!("queries.rs"), &detail), 1);
    }
}
