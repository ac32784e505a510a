//! The audit log's reads, one function per fact, shared by the page, the JSON API, the CSV export
//! and the command line: a page of rows (filtered, newest first; streamed for the export), how many
//! match, the actions and target types the log holds, and the hash chain walked in order. Filters
//! are built once, in [`push_filter`], with bind parameters only.

use chrono::{DateTime, Utc};
use futures_util::{Stream, TryStreamExt};
use serde_json::Value;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::model::{
    hex, AuditPage, AuditRow, ChainCheck, ChainLink, ChainReport, Filter, MatchCount, Outcome, COUNT_CAP,
};
use crate::db::PlannedWithValues;
use crate::error::AppError;

#[derive(sqlx::FromRow)]
struct Record {
    id: i64,
    chain_seq: i64,
    occurred_at: DateTime<Utc>,
    actor_email: Option<String>,
    actor_roles: Vec<String>,
    action: String,
    target_type: String,
    target_id: Option<String>,
    outcome: String,
    ip: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
    details: Option<String>,
    row_hash: Vec<u8>,
}

impl From<Record> for AuditRow {
    fn from(r: Record) -> Self {
        AuditRow {
            id: r.id,
            chain_seq: r.chain_seq,
            at: r.occurred_at,
            actor: r.actor_email,
            roles: r.actor_roles,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            success: r.outcome == Outcome::Success.code(),
            ip: r.ip,
            before: r.before,
            after: r.after,
            details: r.details,
            row_hash: hex(&r.row_hash),
        }
    }
}

const COLUMNS: &str = "a.id, a.chain_seq, a.occurred_at, a.actor_email, a.actor_roles, a.action, a.target_type, \
     a.target_id, a.outcome, host(a.ip) AS ip, a.before, a.after, a.details, a.row_hash";

/// Append the WHERE conditions of a filter (the caller has written `WHERE TRUE`).
fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
    if let Some(actor) = &f.actor {
        qb.push(" AND a.actor_email = ").push_bind(actor.clone());
    }
    if let Some(role) = f.role {
        qb.push(" AND a.actor_roles @> ").push_bind(vec![role.code().to_string()]);
    }
    if let Some(action) = &f.action {
        qb.push(" AND a.action = ").push_bind(action.clone());
    }
    if let Some(t) = &f.target_type {
        qb.push(" AND a.target_type = ").push_bind(t.clone());
    }
    if let Some(id) = &f.target_id {
        qb.push(" AND a.target_id = ").push_bind(id.clone());
    }
    if let Some(outcome) = f.outcome {
        // A literal of the enum's two codes, not a parameter: a generic plan can then still use
        // the partial index of failures.
        qb.push(format!(" AND a.outcome = '{}'", outcome.code()));
    }
    if let Some(from) = f.from {
        qb.push(" AND a.occurred_at >= ").push_bind(crate::ist::start_of_day(from));
    }
    if let Some(to) = f.to {
        qb.push(" AND a.occurred_at < ").push_bind(crate::ist::end_of_day(to));
    }
    if let Some(ip) = &f.ip {
        qb.push(" AND a.ip = ").push_bind(ip.clone()).push("::inet");
    }
}

fn list_query<'a>(prefix: &str, filter: &'a Filter, limit: i64, offset: i64) -> QueryBuilder<'a, Postgres> {
    let mut qb = QueryBuilder::new(format!("{prefix}SELECT {COLUMNS} FROM audit_log a WHERE TRUE"));
    push_filter(&mut qb, filter);
    qb.push(" ORDER BY a.occurred_at DESC, a.chain_seq DESC");
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    qb
}

/// One page of rows (`limit` from `offset`, newest first) and how many match.
pub async fn list(pool: &PgPool, filter: &Filter, limit: i64, offset: i64) -> Result<AuditPage, AppError> {
    let (rows, total) = tokio::try_join!(
        async {
            // One row more than the page says whether there is a next page.
            let rows: Vec<AuditRow> = rows(pool, &mut list_query("", filter, limit + 1, offset)).try_collect().await?;
            Ok::<_, AppError>(rows)
        },
        count(pool, filter)
    )?;
    let mut rows = rows;
    let has_next = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok(AuditPage { rows, total, has_next })
}

/// How many rows match: the whole log's size from the chain (its positions are gapless while it
/// is whole, so the last one is the count), else counted up to [`COUNT_CAP`] + 1.
pub async fn count(pool: &PgPool, filter: &Filter) -> Result<MatchCount, AppError> {
    if filter.is_empty() {
        let count = sqlx::query_scalar!(r#"SELECT coalesce(max(chain_seq), 0) AS "count!" FROM audit_log"#)
            .fetch_one(pool)
            .await?;
        return Ok(MatchCount { count, exact: true });
    }
    let mut qb = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM audit_log a WHERE TRUE");
    push_filter(&mut qb, filter);
    qb.push(" LIMIT ").push_bind(COUNT_CAP + 1).push(") x");
    let (count,): (i64,) = qb.build_query_as().planned_with_values().fetch_one(pool).await?;
    Ok(MatchCount::capped(count))
}

/// The list's query for its first `cap` rows (the CSV export streams it).
pub fn export_query(filter: &Filter, cap: i64) -> QueryBuilder<'_, Postgres> {
    list_query("", filter, cap, 0)
}

/// The rows of a list query as the database sends them: a cursor, never the whole set in memory.
/// Planned with its values, as the count is ([`PlannedWithValues`]).
pub fn rows<'q>(
    db: impl sqlx::PgExecutor<'q> + 'q,
    query: &'q mut QueryBuilder<'_, Postgres>,
) -> impl Stream<Item = Result<AuditRow, AppError>> + Send + 'q {
    query.build_query_as::<Record>().planned_with_values().fetch(db).map_ok(AuditRow::from).map_err(AppError::from)
}

/// The plan Postgres chooses for the list's first page (the index check on large logs).
pub async fn explain_list(pool: &PgPool, filter: &Filter, limit: i64) -> Result<String, AppError> {
    let lines: Vec<(String,)> = list_query("EXPLAIN ", filter, limit, 0).build_query_as().fetch_all(pool).await?;
    Ok(lines.into_iter().map(|l| l.0).collect::<Vec<_>>().join("\n"))
}

/// The distinct actions in the log (the filter's choices): one index probe per action, not a scan.
pub async fn actions(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"WITH RECURSIVE t (action) AS (
               (SELECT action FROM audit_log ORDER BY action LIMIT 1)
               UNION ALL
               SELECT (SELECT a.action FROM audit_log a WHERE a.action > t.action ORDER BY a.action LIMIT 1)
               FROM t WHERE t.action IS NOT NULL)
           SELECT action AS "action!" FROM t WHERE action IS NOT NULL"#
    )
    .fetch_all(pool)
    .await?)
}

/// The distinct target types in the log, the same way.
pub async fn target_types(pool: &PgPool) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"WITH RECURSIVE t (target_type) AS (
               (SELECT target_type FROM audit_log ORDER BY target_type LIMIT 1)
               UNION ALL
               SELECT (SELECT a.target_type FROM audit_log a WHERE a.target_type > t.target_type
                       ORDER BY a.target_type LIMIT 1)
               FROM t WHERE t.target_type IS NOT NULL)
           SELECT target_type AS "target_type!" FROM t WHERE target_type IS NOT NULL"#
    )
    .fetch_all(pool)
    .await?)
}

/// Walk the whole chain in order and report the first broken link: one read-only snapshot,
/// streamed, its statement timeout lifted (a year of rows takes longer than a page's 30 s). The
/// database hashes each row again from its content and its stored `prev_hash`, with the check's
/// own copy of the canonical text below — not the trigger's functions, which whoever can rewrite
/// the table could also replace (`tests/audit.rs` holds the two copies equal on every row); the
/// links are checked here.
pub async fn verify(pool: &PgPool) -> Result<ChainReport, AppError> {
    let mut tx = crate::db::begin_export(pool).await?;
    let mut rows = sqlx::query_as!(
        ChainLink,
        r#"SELECT a.id AS "id!", a.chain_seq AS "chain_seq!", a.prev_hash AS "prev_hash!", a.row_hash AS "row_hash!",
                  coalesce(pg_catalog.sha256(a.prev_hash || pg_catalog.convert_to(pg_catalog.jsonb_build_array(
                      a.chain_seq, a.id, (extract(epoch FROM a.occurred_at) * 1000000)::bigint, a.actor_id,
                      a.actor_email, pg_catalog.to_jsonb(a.actor_roles), a.action, a.target_type, a.target_id,
                      a.outcome, pg_catalog.host(a.ip) || '/' || pg_catalog.masklen(a.ip), a.before, a.after,
                      a.details)::text, 'UTF8')), '') AS "recomputed!"
           FROM public.audit_log a ORDER BY a.chain_seq"#
    )
    .fetch(&mut *tx);
    let mut check = ChainCheck::default();
    let mut read_all = true;
    while let Some(link) = rows.try_next().await? {
        if !check.push(&link) {
            // The first broken link is the answer; the rest is not read (the connection is closed).
            read_all = false;
            break;
        }
    }
    drop(rows);
    if read_all {
        tx.finish().await?;
    }
    Ok(check.report())
}
