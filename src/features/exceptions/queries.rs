//! One query function per fact of the work queue. The list, its counts, the CSV export and bulk
//! "all matching" all build their `WHERE` with [`push_filter`], so they always agree. Statuses are
//! read as of `now`: a snoozed exception whose time has passed reads (and filters) as open.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, StreamExt, TryStreamExt};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::model::{
    ActionEntry, AssigneeFilter, BankSide, Counts, ExceptionDetail, ExceptionRow, Filter, Kpis, Person, PgSide,
    SavedView, SortKey, Status,
};
use super::rules;
use crate::db::PlannedWithValues;
use crate::error::AppError;
use crate::money::Paise;

/// [`Status::ACTIVE`] as an SQL literal list, `('open', …)`: a literal rather than a bound array
/// lets the planner use the partial indexes whose predicate is this same list (migration
/// `exception_queue`; a test below holds the two together).
fn active_sql() -> String {
    let quoted: Vec<String> = Status::ACTIVE.iter().map(|s| format!("'{}'", s.code())).collect();
    format!("({})", quoted.join(", "))
}

/// `WHERE …` for a filter. `me` is the reader (for `assignee=me`).
pub fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter, me: Option<Uuid>, now: DateTime<Utc>) {
    qb.push(" WHERE TRUE");
    if !f.statuses.is_empty() {
        let has = |s: Status| f.statuses.contains(&s);
        let mut plain: Vec<&str> =
            f.statuses.iter().copied().filter(|s| *s != Status::Snoozed).map(Status::code).collect();
        let mut parts = Vec::new();
        match (has(Status::Open), has(Status::Snoozed)) {
            (true, true) => plain.push("snoozed"),
            (true, false) => parts.push("(e.status = 'snoozed' AND e.snoozed_until <= "),
            (false, true) => parts.push("(e.status = 'snoozed' AND e.snoozed_until > "),
            (false, false) => {}
        }
        plain.sort_by_key(|c| Status::ALL.iter().position(|s| s.code() == *c));
        qb.push(" AND (");
        if plain.is_empty() {
            qb.push("FALSE");
        } else {
            // Codes come from the enum, never from the request.
            let list: Vec<String> = plain.iter().map(|c| format!("'{c}'")).collect();
            qb.push(format!("e.status IN ({})", list.join(", ")));
        }
        for part in parts {
            qb.push(" OR ").push(part).push_bind(now).push(")");
        }
        qb.push(")");
    }
    if !f.severities.is_empty() {
        qb.push(" AND e.severity = ANY(").push_bind(f.severities.clone()).push(")");
    }
    if !f.reasons.is_empty() {
        qb.push(" AND e.reason_code = ANY(").push_bind(f.reasons.clone()).push(")");
    }
    if let Some(m) = &f.merchant_id {
        qb.push(" AND e.merchant_id = ").push_bind(m.clone());
    }
    if let Some(a) = &f.acquirer {
        qb.push(" AND e.acquirer = ").push_bind(a.clone());
    }
    if let Some(d) = f.from {
        qb.push(" AND e.cycle_date >= ").push_bind(d);
    }
    if let Some(d) = f.to {
        qb.push(" AND e.cycle_date <= ").push_bind(d);
    }
    match &f.assignee {
        None => {}
        Some(AssigneeFilter::Me) => {
            qb.push(" AND e.assignee_id = ").push_bind(me.unwrap_or(Uuid::nil()));
        }
        Some(AssigneeFilter::Nobody) => {
            qb.push(" AND e.assignee_id IS NULL");
        }
        Some(AssigneeFilter::Email(email)) => {
            qb.push(" AND e.assignee_id = (SELECT id FROM users WHERE lower(email) = ")
                .push_bind(email.clone())
                .push(")");
        }
    }
    if f.sla_breached {
        qb.push(format!(" AND e.status IN {} AND e.sla_due_at < ", active_sql())).push_bind(now);
    }
    if let Some(p) = f.delta_min {
        qb.push(" AND e.delta_paise >= ").push_bind(p);
    }
    if let Some(p) = f.delta_max {
        qb.push(" AND e.delta_paise <= ").push_bind(p);
    }
    if let Some(q) = &f.q {
        let upper = q.trim().to_ascii_uppercase();
        // As records hold it.
        let utr = crate::domain::stored_ref(q);
        qb.push(" AND (e.id = ")
            .push_bind(upper)
            .push(" OR e.utr = ")
            .push_bind(utr)
            .push(" OR e.transaction_id = (SELECT id FROM transactions WHERE txn_id = ")
            .push_bind(q.trim().to_string())
            .push("))");
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    reason_code: String,
    reason_label: String,
    severity: String,
    status: String,
    pg_amount_paise: Option<Paise>,
    bank_amount_paise: Option<Paise>,
    delta_paise: Option<Paise>,
    merchant_id: Option<String>,
    merchant_name: Option<String>,
    merchant_unknown: Option<bool>,
    acquirer: Option<String>,
    cycle_date: NaiveDate,
    utr: Option<String>,
    txn_id: Option<String>,
    created_at: DateTime<Utc>,
    sla_due_at: DateTime<Utc>,
    snoozed_until: Option<DateTime<Utc>>,
    assignee: Option<String>,
    tags: Vec<String>,
    resolution: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_row(self, now: DateTime<Utc>) -> Result<ExceptionRow, AppError> {
        let stored = Status::parse(&self.status).ok_or(AppError::Internal)?;
        let status = rules::effective_status(stored, self.snoozed_until, now);
        Ok(ExceptionRow {
            sla_breached: rules::sla_breached(status, self.sla_due_at, now),
            snoozed_until: self.snoozed_until.filter(|_| status == Status::Snoozed),
            id: self.id,
            reason_code: self.reason_code,
            reason_label: self.reason_label,
            severity: self.severity,
            status,
            pg_amount: self.pg_amount_paise,
            bank_amount: self.bank_amount_paise,
            delta: self.delta_paise,
            merchant_id: self.merchant_id,
            merchant_name: self.merchant_name,
            merchant_unknown: self.merchant_unknown.unwrap_or(false),
            acquirer: self.acquirer,
            cycle_date: self.cycle_date,
            utr: self.utr,
            txn_id: self.txn_id,
            created_at: self.created_at,
            sla_due_at: self.sla_due_at,
            assignee: self.assignee,
            tags: self.tags,
            resolution: self.resolution,
            resolved_at: self.resolved_at,
        })
    }
}

/// The columns of [`Row`] and their joins; `detail` writes them out (a test below holds the copies equal).
const ROW_COLUMNS: &str = "e.id, e.reason_code, t.label AS reason_label, e.severity::text AS severity, e.status,
       e.pg_amount_paise, e.bank_amount_paise, e.delta_paise, e.merchant_id, m.name AS merchant_name,
       m.unknown_since IS NOT NULL AS merchant_unknown, e.acquirer, e.cycle_date, e.utr, tx.txn_id, e.created_at, e.sla_due_at, e.snoozed_until, u.email AS assignee, e.tags,
       e.resolution, e.resolved_at";

const ROW_JOINS: &str = " JOIN exception_types t ON t.code = e.reason_code
       LEFT JOIN merchants m ON m.id = e.merchant_id
       LEFT JOIN transactions tx ON tx.id = e.transaction_id
       LEFT JOIN users u ON u.id = e.assignee_id";

fn list_query<'a>(
    prefix: &str,
    f: &'a Filter,
    sort: SortKey,
    me: Option<Uuid>,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> QueryBuilder<'a, Postgres> {
    // The page's ids first (an index walk over `exceptions` alone), then its columns and joins.
    let mut qb = QueryBuilder::new(format!(
        "{prefix}WITH page AS (SELECT e.id, e.sla_due_at, e.created_at, e.delta_paise FROM exceptions e"
    ));
    push_filter(&mut qb, f, me, now);
    let order = match sort {
        SortKey::Due => " ORDER BY e.sla_due_at, e.id",
        SortKey::Age => " ORDER BY e.created_at, e.id",
        SortKey::Delta => " ORDER BY e.delta_paise DESC NULLS LAST, e.id",
    };
    qb.push(order).push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset).push(")");
    qb.push(format!(" SELECT {ROW_COLUMNS} FROM page JOIN exceptions e ON e.id = page.id {ROW_JOINS}"));
    qb.push(order);
    qb
}

/// One page of the queue in the sort's order (ties by id, so pages never overlap).
pub async fn list(
    pool: &PgPool,
    f: &Filter,
    sort: SortKey,
    me: Option<Uuid>,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ExceptionRow>, AppError> {
    rows(pool, &mut list_query("", f, sort, me, limit, offset, now), now).try_collect().await
}

/// The list's query for its first `cap` rows, for [`rows`] to stream (the CSV export).
pub fn export_query(
    f: &Filter,
    sort: SortKey,
    me: Option<Uuid>,
    cap: i64,
    now: DateTime<Utc>,
) -> QueryBuilder<'_, Postgres> {
    list_query("", f, sort, me, cap, 0, now)
}

/// The rows of a list query as the database sends them: a cursor, never the whole set in memory.
/// Planned with its values, as the count is ([`PlannedWithValues`]).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    query: &'q mut QueryBuilder<'_, Postgres>,
    now: DateTime<Utc>,
) -> impl Stream<Item = Result<ExceptionRow, AppError>> + Send + 'q {
    query.build_query_as::<Row>().planned_with_values().fetch(db).map(move |row| row?.into_row(now))
}

/// The plan of the list's first page and of the counts (tests check they use an index).
pub async fn explain(pool: &PgPool, f: &Filter, sort: SortKey, now: DateTime<Utc>) -> Result<String, AppError> {
    let mut qb = list_query("EXPLAIN ", f, sort, None, 25, 0, now);
    let mut plan: Vec<String> = qb.build_query_scalar().fetch_all(pool).await?;
    let mut qb = counts_query("EXPLAIN ", f, None, now);
    plan.push("--- counts".into());
    plan.extend(qb.build_query_scalar::<String>().fetch_all(pool).await?);
    Ok(plan.join("\n"))
}

/// The ids matching a filter (bulk "all matching"), locked for the caller's transaction.
pub async fn matching_ids(
    conn: &mut sqlx::PgConnection,
    f: &Filter,
    me: Option<Uuid>,
    cap: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let mut qb = QueryBuilder::new("SELECT e.id FROM exceptions e");
    push_filter(&mut qb, f, me, now);
    qb.push(" ORDER BY e.id LIMIT ").push_bind(cap).push(" FOR UPDATE");
    Ok(qb.build_query_scalar().planned_with_values().fetch_all(conn).await?)
}

fn counts_query<'a>(prefix: &str, f: &'a Filter, me: Option<Uuid>, now: DateTime<Utc>) -> QueryBuilder<'a, Postgres> {
    // Grouped on the stored columns, in the order of `exceptions_active_facets_idx`, so the active
    // set is counted from the index alone; snoozed rows whose time has passed are counted apart
    // and moved to open by the caller.
    let mut qb = QueryBuilder::new(format!(
        "{prefix}SELECT e.status, e.severity::text AS severity, e.reason_code, count(*),
                count(*) FILTER (WHERE e.status = 'snoozed' AND e.snoozed_until <= "
    ));
    qb.push_bind(now);
    qb.push(") FROM exceptions e");
    push_filter(&mut qb, f, me, now);
    qb.push(" GROUP BY e.status, e.severity, e.reason_code");
    qb
}

/// The filter's total and its counts by status (as of now), severity and reason: one pass.
pub async fn counts(pool: &PgPool, f: &Filter, me: Option<Uuid>, now: DateTime<Utc>) -> Result<Counts, AppError> {
    let mut qb = counts_query("", f, me, now);
    let groups: Vec<(String, String, String, i64, i64)> =
        qb.build_query_as().planned_with_values().fetch_all(pool).await?;
    let mut c = Counts::default();
    for (status, severity, reason, n, woken) in groups {
        c.total += n;
        let status = Status::parse(&status).ok_or(AppError::Internal)?;
        if woken > 0 {
            add(&mut c.by_status, Status::Open, woken);
        }
        if n > woken {
            add(&mut c.by_status, status, n - woken);
        }
        add(&mut c.by_severity, severity, n);
        add(&mut c.by_reason, reason, n);
    }
    c.by_status.sort_by_key(|(s, _)| Status::ALL.iter().position(|x| x == s));
    c.by_severity.sort_by_key(|(s, _)| super::model::SEVERITIES.iter().position(|x| x == s));
    c.by_reason.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(c)
}

/// The next instant at which the counts of a filter can change with no write: the next snooze end
/// (a snoozed row then counts as open) and, for "SLA breached", the next due time.
pub async fn next_change(
    pool: &PgPool,
    sla_breached: bool,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, AppError> {
    // `status IN (…)` is [`active_sql`] written out (the test below holds the two together).
    Ok(sqlx::query_scalar!(
        r#"SELECT least(
             (SELECT min(snoozed_until) FROM exceptions WHERE status = 'snoozed' AND snoozed_until > $1),
             CASE WHEN $2 THEN (SELECT min(sla_due_at) FROM exceptions
                 WHERE status IN ('open', 'investigating', 'snoozed', 'escalated') AND sla_due_at >= $1) END)
             AS "next_change?: DateTime<Utc>""#,
        now as DateTime<Utc>,
        sla_breached,
    )
    .fetch_one(pool)
    .await?)
}

fn add<K: PartialEq>(v: &mut Vec<(K, i64)>, key: K, n: i64) {
    match v.iter_mut().find(|(k, _)| *k == key) {
        Some((_, total)) => *total += n,
        None => v.push((key, n)),
    }
}

/// The tiles: the whole queue as of now.
pub async fn kpis(pool: &PgPool, now: DateTime<Utc>) -> Result<Kpis, AppError> {
    // `status IN (…)` is [`active_sql`] written out (the test below holds the two together).
    let queue = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE status = 'open' OR (status = 'snoozed' AND snoozed_until <= $1)) AS "open!",
                count(*) FILTER (WHERE status = 'investigating') AS "investigating!",
                count(*) FILTER (WHERE status = 'snoozed' AND snoozed_until > $1) AS "snoozed!",
                count(*) FILTER (WHERE sla_due_at < $1) AS "sla_breached!"
         FROM exceptions WHERE status IN ('open', 'investigating', 'snoozed', 'escalated')"#,
        now as DateTime<Utc>,
    )
    .fetch_one(pool)
    .await?;
    let flow = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM exceptions
                 WHERE resolved_at > $1::timestamptz - interval '7 days' AND resolved_at <= $1) AS "resolved_7d!",
                (SELECT count(*) FROM exceptions
                 WHERE created_at > $1::timestamptz - interval '24 hours' AND created_at <= $1) AS "inflow_24h!""#,
        now as DateTime<Utc>,
    )
    .fetch_one(pool)
    .await?;
    Ok(Kpis {
        open: queue.open,
        investigating: queue.investigating,
        snoozed: queue.snoozed,
        sla_breached: queue.sla_breached,
        resolved_7d: flow.resolved_7d,
        inflow_24h: flow.inflow_24h,
    })
}

/// The exception types for the reason filter: `(code, label)` in catalogue order.
pub async fn reasons(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!("SELECT code, label FROM exception_types ORDER BY sort_order").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.code, r.label)).collect())
}

/// Merchants for the merchant filter.
pub async fn merchants(pool: &PgPool) -> Result<Vec<(String, String)>, AppError> {
    let rows = sqlx::query!("SELECT id, name FROM merchants ORDER BY name").fetch_all(pool).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Acquiring banks for the acquirer filter: the banks with a statement layout or a tolerance setting.
pub async fn acquirers(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT bank_code AS "bank_code!" FROM bank_column_mappings UNION
         SELECT acquirer FROM recon_settings WHERE acquirer IS NOT NULL ORDER BY 1"#
    )
    .fetch_all(pool)
    .await?)
}

/// Active users who work exceptions (operations or admin).
pub async fn assignees(pool: &PgPool) -> Result<Vec<Person>, AppError> {
    let workers = crate::auth::users::case_workers(pool, None).await?;
    Ok(workers.into_iter().map(|w| Person { id: w.id, email: w.email, name: w.full_name }).collect())
}

/// An exception with both sides, its SLA setting and its action log.
pub async fn detail(pool: &PgPool, id: &str, now: DateTime<Utc>) -> Result<ExceptionDetail, AppError> {
    let not_found = || AppError::NotFound(format!("No exception {id}."));
    // [`ROW_COLUMNS`] and [`ROW_JOINS`] written out, with the overrides the macro needs (a test below
    // holds the copies equal).
    let row = sqlx::query_as!(
        Row,
        r#"SELECT e.id, e.reason_code, t.label AS reason_label, e.severity::text AS "severity!", e.status,
               e.pg_amount_paise AS "pg_amount_paise: Paise", e.bank_amount_paise AS "bank_amount_paise: Paise",
               e.delta_paise AS "delta_paise: Paise", e.merchant_id, m.name AS "merchant_name?",
               m.unknown_since IS NOT NULL AS merchant_unknown, e.acquirer, e.cycle_date AS "cycle_date: NaiveDate", e.utr, tx.txn_id AS "txn_id?",
               e.created_at AS "created_at: DateTime<Utc>", e.sla_due_at AS "sla_due_at: DateTime<Utc>",
               e.snoozed_until AS "snoozed_until: DateTime<Utc>", u.email AS "assignee?", e.tags, e.resolution,
               e.resolved_at AS "resolved_at: DateTime<Utc>"
         FROM exceptions e JOIN exception_types t ON t.code = e.reason_code
               LEFT JOIN merchants m ON m.id = e.merchant_id
               LEFT JOIN transactions tx ON tx.id = e.transaction_id
               LEFT JOIN users u ON u.id = e.assignee_id
         WHERE e.id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(not_found)?;
    struct More {
        description: String,
        resolution_hint: String,
        sla_hours: Option<i32>,
        run_id: Option<Uuid>,
        updated_at: DateTime<Utc>,
        transaction_id: Option<i64>,
        bank_line_id: Option<i64>,
    }
    let more = sqlx::query_as!(
        More,
        r#"SELECT t.description, t.resolution_hint, s.sla_hours AS "sla_hours?", e.run_id,
                e.updated_at AS "updated_at: DateTime<Utc>", e.transaction_id, e.bank_line_id
         FROM exceptions e JOIN exception_types t ON t.code = e.reason_code
         LEFT JOIN sla_settings s ON s.reason_code = e.reason_code AND s.severity = e.severity
         WHERE e.id = $1"#,
        id,
    )
    .fetch_one(pool)
    .await?;
    let pg = match more.transaction_id {
        None => None,
        Some(tid) => {
            sqlx::query_as!(
                PgSide,
                r#"SELECT t.txn_id, coalesce(m.name || ' (' || t.merchant_id || ')', t.merchant_id) AS "merchant!",
                    t.amount_paise AS "amount: Paise", t.payment_method::text AS "payment_method!", t.utr, t.rrn,
                    t.txn_at AS "txn_at: DateTime<Utc>", t.cycle_date AS "cycle_date: NaiveDate", l.status AS "status!"
             FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id
             LEFT JOIN merchants m ON m.id = t.merchant_id WHERE t.id = $1"#,
                tid,
            )
            .fetch_optional(pool)
            .await?
        }
    };
    let bank = match more.bank_line_id {
        None => None,
        Some(lid) => {
            sqlx::query_as!(
                BankSide,
                r#"SELECT bank_name, bank_ref, amount_paise AS "amount: Paise", direction, utr,
                    txn_date AS "txn_date: NaiveDate", value_date AS "value_date: NaiveDate", remarks
             FROM bank_statement_lines WHERE id = $1"#,
                lid,
            )
            .fetch_optional(pool)
            .await?
        }
    };
    Ok(ExceptionDetail {
        row: row.into_row(now)?,
        reason_description: more.description,
        resolution_hint: more.resolution_hint,
        sla_hours: more.sla_hours.unwrap_or(24),
        run_id: more.run_id,
        updated_at: more.updated_at,
        pg,
        bank,
        actions: actions(pool, id).await?,
    })
}

/// The action log, oldest first.
pub async fn actions(pool: &PgPool, id: &str) -> Result<Vec<ActionEntry>, AppError> {
    Ok(sqlx::query_as!(
        ActionEntry,
        r#"SELECT a.action, u.email AS "actor?", a.acted_at AS "at: DateTime<Utc>", a.before::text AS "before?",
                a.after::text AS "after?", a.note
         FROM exception_actions a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.exception_id = $1 ORDER BY a.acted_at, a.id"#,
        id,
    )
    .fetch_all(pool)
    .await?)
}

/// The SLA hours for a reason at a severity (spec 2.5's settings table).
pub async fn sla_hours(conn: &mut sqlx::PgConnection, reason: &str, severity: &str) -> Result<i32, AppError> {
    let hours: Option<i32> = sqlx::query_scalar!(
        "SELECT sla_hours FROM sla_settings WHERE reason_code = $1 AND severity = $2",
        reason,
        severity
    )
    .fetch_optional(conn)
    .await?;
    hours.ok_or_else(|| AppError::BadRequest(format!("No SLA is set for {reason} at {severity}.")))
}

/// The saved views this user sees: the shared ones and their own.
pub async fn saved_views(pool: &PgPool, user: Uuid, is_admin: bool) -> Result<Vec<SavedView>, AppError> {
    let rows = sqlx::query!(
        "SELECT id, name, is_shared, owner_id, filters FROM saved_views
         WHERE page = 'exceptions' AND (is_shared OR owner_id = $1)
         ORDER BY owner_id IS NOT NULL, created_at, id",
        user,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SavedView {
            id: r.id,
            name: r.name,
            shared: r.is_shared,
            deletable: r.owner_id == Some(user) || (is_admin && r.is_shared),
            query: super::model::ExceptionsQuery::from_view(&r.filters),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_active_list_is_the_partial_indexes_predicate() {
        assert_eq!(active_sql(), "('open', 'investigating', 'snoozed', 'escalated')");
        // Changing `Status::ACTIVE` needs a migration that rebuilds these indexes with the new list.
        let migration = include_str!("../../../migrations/20261127000004_exception_queue.sql");
        assert_eq!(migration.matches(&format!("WHERE status IN {};", active_sql())).count(), 2);
        // `next_change` and `kpis` write the list out (the query macros take literal SQL only).
        let source = include_str!("queries.rs");
        assert_eq!(source.matches(&format!("status IN {} AND sla_due_at >= $1", active_sql())).count(), 1);
        assert_eq!(source.matches(&format!("FROM exceptions WHERE status IN {}\"#", active_sql())).count(), 1);
    }

    #[test]
    fn detail_reads_the_list_columns() {
        // `detail` writes out the list's columns and joins (the query macros take literals only).
        let detail = format!("SELECT {ROW_COLUMNS} FROM exceptions e{ROW_JOINS} WHERE e.id = $1");
        assert_eq!(crate::db::sql_copies::count(include_str!("queries.rs"), &detail), 1);
    }
}
