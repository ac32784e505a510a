//! Every change to an exception: one locked row, the rule check of [`rules::transition`], the update,
//! an action-log row (actor, time, before/after, note) and a unified audit row, in one transaction.
//! Bulk actions run the same per-row step for every selected or matching row in one transaction and
//! count what changed. The snooze wake-up job lives here too.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{ActionKind, ActionRequest, BulkReport, Filter, Status};
use super::queries;
use super::rules::{self, Severity};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;

/// Who acts: a signed-in user (role already checked by the caller) and their address.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: CurrentUser,
    pub ip: Option<String>,
}

/// A request checked for shape: the parameters each action needs, parsed once (a bulk action
/// checks them before touching any row).
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    /// For `assign`: the new assignee (`None` unassigns).
    pub assignee: Option<Uuid>,
    pub until: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub severity: Option<Severity>,
}

/// The most rows one bulk action may touch.
pub const BULK_CAP: i64 = 10_000;

/// Parse `until`: RFC 3339, or a datetime-local value (`2026-11-28T10:30`) read as IST.
pub fn parse_until(text: &str) -> Result<DateTime<Utc>, AppError> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, format) {
            return local
                .and_local_timezone(crate::ist::offset())
                .single()
                .map(|at| at.with_timezone(&Utc))
                .ok_or_else(|| AppError::BadRequest("until is not a valid time.".into()));
        }
    }
    Err(AppError::BadRequest("until must be a time (RFC 3339, or YYYY-MM-DDTHH:MM in IST).".into()))
}

/// Tags: lower-case words of letters, digits, `-` and `_`, at most 40 characters each.
pub fn parse_tags(text: &str) -> Result<Vec<String>, AppError> {
    let mut tags: Vec<String> = Vec::new();
    for raw in text.split(',') {
        let tag = raw.trim().to_lowercase().replace(' ', "-");
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 40 || !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(AppError::BadRequest(format!(
                "Tag {raw:?}: use letters, digits, - and _ (at most 40 characters)."
            )));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// Check a request's shape and resolve its assignee. `now` bounds `until`.
pub async fn parse_action(
    pool: &PgPool,
    actor: &Actor,
    r: &ActionRequest,
    now: DateTime<Utc>,
) -> Result<Action, AppError> {
    let kind = ActionKind::parse(r.action.trim()).ok_or_else(|| {
        let all: Vec<&str> = ActionKind::ALL.iter().map(|a| a.code()).collect();
        AppError::BadRequest(format!("Unknown action {:?}; use one of {}.", r.action, all.join(", ")))
    })?;
    let note = r.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 5000) {
        return Err(AppError::BadRequest("The note is longer than 5,000 characters.".into()));
    }
    let mut a = Action { kind, assignee: None, until: None, resolution: None, note, tags: Vec::new(), severity: None };
    match kind {
        ActionKind::Assign => {
            a.assignee = match r.assignee.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(who) => Some(worker_id(pool, who).await?),
            }
        }
        ActionKind::Take => a.assignee = Some(actor.user.id),
        ActionKind::Snooze => {
            let until = parse_until(r.until.as_deref().unwrap_or(""))?;
            if until <= now {
                return Err(AppError::BadRequest("Snooze until a time in the future.".into()));
            }
            if until > now + chrono::Duration::days(90) {
                return Err(AppError::BadRequest("Snooze for at most 90 days.".into()));
            }
            a.until = Some(until);
        }
        ActionKind::Resolve => {
            let code = r
                .resolution
                .as_deref()
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| AppError::BadRequest("Choose a resolution code.".into()))?;
            if !rules::is_resolution(&code) {
                return Err(AppError::BadRequest(format!("Unknown resolution code {code:?}.")));
            }
            if code == "WRITE_OFF" && a.note.is_none() {
                return Err(AppError::BadRequest("A write-off needs a note saying why.".into()));
            }
            a.resolution = Some(code);
        }
        ActionKind::Comment => {
            if a.note.is_none() {
                return Err(AppError::BadRequest("Write the comment.".into()));
            }
        }
        ActionKind::Tag | ActionKind::Untag => {
            a.tags = parse_tags(r.tags.as_deref().unwrap_or(""))?;
            if a.tags.is_empty() {
                return Err(AppError::BadRequest("Name at least one tag.".into()));
            }
        }
        ActionKind::Severity => {
            let s = r.severity.as_deref().unwrap_or("").trim().to_ascii_uppercase();
            a.severity = Some(
                Severity::parse(&s)
                    .ok_or_else(|| AppError::BadRequest("severity must be CRITICAL, HIGH, MEDIUM or LOW.".into()))?,
            );
        }
        ActionKind::Investigate | ActionKind::Escalate | ActionKind::Reopen => {}
    }
    Ok(a)
}

/// A user who may work exceptions, by email or id.
async fn worker_id(pool: &PgPool, who: &str) -> Result<Uuid, AppError> {
    let worker = crate::auth::users::case_workers(pool, Some(who)).await?.into_iter().next();
    worker
        .map(|w| w.id)
        .ok_or_else(|| AppError::BadRequest(format!("{who} is not an active user who works exceptions.")))
}

async fn email_of(conn: &mut PgConnection, id: Option<Uuid>) -> Result<Value, AppError> {
    Ok(match id {
        None => Value::Null,
        Some(id) => sqlx::query_scalar!("SELECT email FROM users WHERE id = $1", id)
            .fetch_optional(conn)
            .await?
            .map(Value::from)
            .unwrap_or(Value::Null),
    })
}

struct Locked {
    status: String,
    snoozed_until: Option<DateTime<Utc>>,
    assignee_id: Option<Uuid>,
    tags: Vec<String>,
    severity: String,
    reason_code: String,
    created_at: DateTime<Utc>,
    sla_due_at: DateTime<Utc>,
    transaction_id: Option<i64>,
    resolution: Option<String>,
    resolved_at: Option<DateTime<Utc>>,
}

/// Apply one action to one exception in its own transaction.
pub async fn apply(
    pool: &PgPool,
    actor: &Actor,
    id: &str,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    apply_in(&mut tx, actor, id, action, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The per-row step inside the caller's transaction, with its audit row. Every refusal
/// (`Conflict`) is decided before anything is written, so a bulk action can skip the row and go on.
pub async fn apply_in(
    tx: &mut PgConnection,
    actor: &Actor,
    id: &str,
    a: &Action,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let change = change_in(tx, actor, id, a, now).await?;
    record_change(tx, actor, a, change).await
}

/// What one action changed on one exception, for its audit row.
pub struct Change {
    id: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

/// The audit row of one exception's change. Written last in its transaction: the audit log's hash
/// chain holds its lock from the first audit row to the commit (migration 20261206000001), so a
/// bulk action records its rows after every exception row is locked and changed, not in between.
async fn record_change(tx: &mut PgConnection, actor: &Actor, a: &Action, change: Change) -> Result<(), AppError> {
    let action = format!("exception.{}", a.kind.code());
    audit::record(
        &mut *tx,
        AuditEntry {
            ip: actor.ip.as_deref(),
            target_id: Some(change.id),
            before: change.before,
            after: change.after,
            details: a.note.clone(),
            ..AuditEntry::by(&actor.user, &action, "exception")
        },
    )
    .await
}

/// The per-row change without its audit row (see [`record_change`]).
async fn change_in(
    tx: &mut PgConnection,
    actor: &Actor,
    id: &str,
    a: &Action,
    now: DateTime<Utc>,
) -> Result<Change, AppError> {
    let row = sqlx::query_as!(
        Locked,
        r#"SELECT status, snoozed_until AS "snoozed_until: DateTime<Utc>", assignee_id, tags,
                severity::text AS "severity!", reason_code, created_at AS "created_at: DateTime<Utc>",
                sla_due_at AS "sla_due_at: DateTime<Utc>", transaction_id, resolution,
                resolved_at AS "resolved_at: DateTime<Utc>"
         FROM exceptions WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("No exception {id}.")))?;
    let stored = Status::parse(&row.status).ok_or(AppError::Internal)?;
    let from = rules::effective_status(stored, row.snoozed_until, now);
    let to = rules::transition(from, a.kind, a.resolution.as_deref()).map_err(AppError::Conflict)?;

    // The new values, starting from the current ones.
    let status = to.unwrap_or(from);
    let mut snoozed_until = if status == Status::Snoozed { row.snoozed_until } else { None };
    let mut assignee = row.assignee_id;
    let mut tags = row.tags.clone();
    let mut severity = row.severity.clone();
    let mut due = row.sla_due_at;
    let mut resolution = row.resolution.clone();
    let mut resolved_at = row.resolved_at;
    let mut transaction_status: Option<&str> = None;
    let (before, after) = match a.kind {
        ActionKind::Assign | ActionKind::Take => {
            if a.assignee == row.assignee_id {
                return Err(AppError::Conflict(match a.assignee {
                    None => "The exception is already unassigned.".into(),
                    Some(_) if a.kind == ActionKind::Take => "The exception is already assigned to you.".into(),
                    Some(_) => "The exception is already assigned to that user.".into(),
                }));
            }
            assignee = a.assignee;
            (
                json!({ "assignee": email_of(&mut *tx, row.assignee_id).await? }),
                json!({ "assignee": email_of(&mut *tx, assignee).await? }),
            )
        }
        ActionKind::Investigate | ActionKind::Escalate => {
            (json!({ "status": from.code() }), json!({ "status": status.code() }))
        }
        ActionKind::Snooze => {
            snoozed_until = a.until;
            (
                json!({ "status": from.code(), "until": row.snoozed_until.filter(|_| from == Status::Snoozed).map(|u| u.to_rfc3339()) }),
                json!({ "status": "snoozed", "until": a.until.map(|u| u.to_rfc3339()) }),
            )
        }
        ActionKind::Resolve => {
            let code = a.resolution.clone().unwrap_or_default();
            resolution = Some(code.clone());
            resolved_at = Some(now);
            let mut after = json!({ "status": status.code(), "resolution": code });
            if rules::reconciles(&code) {
                if let Some(tid) = row.transaction_id {
                    if crate::domain::txn_status::reconcile(&mut *tx, tid, now).await? {
                        transaction_status = Some("RECONCILED");
                    }
                }
            }
            if let Some(t) = transaction_status {
                after["transaction"] = json!(t);
            }
            (json!({ "status": from.code() }), after)
        }
        ActionKind::Reopen => {
            let before = json!({ "status": from.code(), "resolution": row.resolution });
            // A match or adjustment that is undone makes its transaction an exception again,
            // unless it has already gone into a settlement.
            if row.resolution.as_deref().is_some_and(rules::reconciles) && from.is_closed() {
                if let Some(tid) = row.transaction_id {
                    if crate::domain::txn_status::unreconcile(&mut *tx, tid, now).await? {
                        transaction_status = Some("EXCEPTION");
                    }
                }
            }
            resolution = None;
            resolved_at = None;
            let mut after = json!({ "status": "open" });
            if let Some(t) = transaction_status {
                after["transaction"] = json!(t);
            }
            (before, after)
        }
        ActionKind::Comment => {
            sqlx::query!(
                "INSERT INTO exception_comments (exception_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)",
                id,
                actor.user.id,
                a.note.as_deref().unwrap_or_default(),
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
            (Value::Null, Value::Null)
        }
        ActionKind::Tag => {
            let new: Vec<String> = a.tags.iter().filter(|t| !tags.contains(t)).cloned().collect();
            if new.is_empty() {
                return Err(AppError::Conflict("The exception already has those tags.".into()));
            }
            tags.extend(new);
            (json!({ "tags": row.tags }), json!({ "tags": tags }))
        }
        ActionKind::Untag => {
            if !a.tags.iter().any(|t| tags.contains(t)) {
                return Err(AppError::Conflict("The exception has none of those tags.".into()));
            }
            tags.retain(|t| !a.tags.contains(t));
            (json!({ "tags": row.tags }), json!({ "tags": tags }))
        }
        ActionKind::Severity => {
            let new = a.severity.map(|s| s.code().to_string()).unwrap_or_default();
            if new == row.severity {
                return Err(AppError::Conflict(format!("The exception is already {new}.")));
            }
            let hours = queries::sla_hours(&mut *tx, &row.reason_code, &new).await?;
            severity = new;
            due = rules::sla_due(row.created_at, hours);
            (
                json!({ "severity": row.severity, "slaDueAt": row.sla_due_at.to_rfc3339() }),
                json!({ "severity": severity, "slaDueAt": due.to_rfc3339() }),
            )
        }
    };
    sqlx::query!(
        "UPDATE exceptions SET status = $2, snoozed_until = $3, assignee_id = $4, tags = $5,
                severity = $6::text::severity, sla_due_at = $7, resolution = $8, resolved_at = $9, updated_at = $10
         WHERE id = $1",
        id,
        status.code(),
        snoozed_until as Option<DateTime<Utc>>,
        assignee,
        &tags[..],
        &severity,
        due as DateTime<Utc>,
        resolution.as_deref(),
        resolved_at as Option<DateTime<Utc>>,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    let (before, after) = (Some(before).filter(|v| !v.is_null()), Some(after).filter(|v| !v.is_null()));
    sqlx::query!(
        "INSERT INTO exception_actions (exception_id, action, actor_id, acted_at, before, after, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        a.kind.code(),
        actor.user.id,
        now as DateTime<Utc>,
        before.as_ref(),
        after.as_ref(),
        a.note.as_deref(),
    )
    .execute(&mut *tx)
    .await?;
    Ok(Change { id: id.to_string(), before, after })
}

/// What a bulk action applies to.
#[derive(Clone, Debug)]
pub enum Target {
    Ids(Vec<String>),
    Matching(Filter),
}

/// Apply one action to many exceptions in one transaction: rows the action cannot apply to (a
/// refused transition, nothing to change) are skipped and reported; any other error undoes all.
pub async fn bulk(
    pool: &PgPool,
    actor: &Actor,
    target: &Target,
    a: &Action,
    now: DateTime<Utc>,
) -> Result<BulkReport, AppError> {
    let mut tx = pool.begin().await?;
    let ids = match target {
        Target::Ids(ids) => {
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            if ids.is_empty() {
                return Err(AppError::BadRequest("Select at least one exception.".into()));
            }
            if ids.len() as i64 > BULK_CAP {
                return Err(AppError::BadRequest(format!("Select at most {BULK_CAP} exceptions at once.")));
            }
            ids
        }
        Target::Matching(filter) => {
            let ids = queries::matching_ids(&mut tx, filter, Some(actor.user.id), BULK_CAP + 1, now).await?;
            if ids.len() as i64 > BULK_CAP {
                return Err(AppError::BadRequest(format!(
                    "More than {BULK_CAP} exceptions match; narrow the filter first."
                )));
            }
            ids
        }
    };
    let mut report = BulkReport { matched: ids.len() as i64, ..Default::default() };
    let mut changes = Vec::with_capacity(ids.len());
    for id in &ids {
        match change_in(&mut tx, actor, id, a, now).await {
            Ok(change) => changes.push(change),
            Err(AppError::Conflict(why)) | Err(AppError::NotFound(why)) => report.skipped.push((id.clone(), why)),
            Err(e) => return Err(e),
        }
    }
    report.changed = changes.len() as i64;
    // The audit rows last (see `record_change`).
    for change in changes {
        record_change(&mut tx, actor, a, change).await?;
    }
    let action = format!("exception.bulk_{}", a.kind.code());
    audit::record(
        &mut *tx,
        AuditEntry {
            ip: actor.ip.as_deref(),
            after: Some(
                json!({ "matched": report.matched, "changed": report.changed, "skipped": report.skipped.len() }),
            ),
            details: Some(match target {
                Target::Ids(_) => "selected".to_string(),
                Target::Matching(f) => format!("all matching {}", serde_json::to_string(f).unwrap_or_default()),
            }),
            ..AuditEntry::by(&actor.user, &action, "exception")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// Snoozed exceptions whose time has come back to open, each with a `wake` action row dated at its
/// snooze end. Returns how many woke. (Reads are already right before this runs.)
pub async fn wake_snoozed(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, AppError> {
    let woke = sqlx::query!(
        "WITH due AS (
             SELECT id, snoozed_until FROM exceptions
             WHERE status = 'snoozed' AND snoozed_until <= $1
             FOR UPDATE SKIP LOCKED),
         woke AS (
             UPDATE exceptions e SET status = 'open', snoozed_until = NULL, updated_at = $1
             FROM due WHERE e.id = due.id
             RETURNING e.id, due.snoozed_until)
         INSERT INTO exception_actions (exception_id, action, actor_id, acted_at, before, after, note)
         SELECT id, 'wake', NULL, snoozed_until, jsonb_build_object('status', 'snoozed', 'until', snoozed_until),
                '{\"status\": \"open\"}'::jsonb, 'Snooze ended'
         FROM woke",
        now as DateTime<Utc>,
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(woke)
}

/// The scheduled wake-up: every minute, on every instance (rows are claimed with SKIP LOCKED).
pub fn spawn_snooze_waker(state: crate::state::AppState) {
    let pool = state.pool.clone();
    crate::jobs::every(pool, std::time::Duration::from_secs(60), "snooze wake-up", move || {
        let state = state.clone();
        async move {
            let woke = wake_snoozed(&state.pool, state.clock.now()).await?;
            if woke > 0 {
                tracing::info!(woke, "snoozed exceptions back to open");
            }
            Ok(())
        }
    });
}

/// Save the current filter as a view (personal, or shared with everyone).
pub async fn save_view(
    pool: &PgPool,
    actor: &Actor,
    name: &str,
    shared: bool,
    filters: &Value,
) -> Result<Uuid, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::BadRequest("Name the view (at most 100 characters).".into()));
    }
    // The filter must be one the page can show.
    super::model::ExceptionsQuery::from_view(filters).parse().map_err(AppError::BadRequest)?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query!(
        "INSERT INTO saved_views (id, page, name, owner_id, is_shared, filters) VALUES ($1, 'exceptions', $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
        id,
        name,
        actor.user.id,
        shared,
        filters,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::Conflict(format!("You already have a view called {name:?}.")));
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            ip: actor.ip.as_deref(),
            target_id: Some(id.to_string()),
            after: Some(json!({ "name": name, "shared": shared, "filters": filters })),
            ..AuditEntry::by(&actor.user, "saved_view.create", "saved_view")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Delete a view: its owner may; an admin may also delete shared ones.
pub async fn delete_view(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<(), AppError> {
    let is_admin = actor.user.may(crate::auth::Access::ADMIN);
    let mut tx = pool.begin().await?;
    let row = sqlx::query!("SELECT name, owner_id, is_shared, filters FROM saved_views WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *tx)
        .await?;
    let row = row.ok_or_else(|| AppError::NotFound("No such saved view.".into()))?;
    let (name, owner, shared, filters) = (row.name, row.owner_id, row.is_shared, row.filters);
    if owner != Some(actor.user.id) && !(is_admin && shared) {
        return Err(AppError::Forbidden);
    }
    sqlx::query!("DELETE FROM saved_views WHERE id = $1", id).execute(&mut *tx).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            ip: actor.ip.as_deref(),
            target_id: Some(id.to_string()),
            before: Some(json!({ "name": name, "shared": shared, "filters": filters })),
            ..AuditEntry::by(&actor.user, "saved_view.delete", "saved_view")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_reads_rfc3339_and_ist_local_times() {
        let utc = parse_until("2026-11-28T05:00:00Z").unwrap();
        assert_eq!(parse_until("2026-11-28T10:30").unwrap(), utc);
        assert_eq!(parse_until("2026-11-28T10:30:00+05:30").unwrap(), utc);
        assert!(parse_until("tomorrow").is_err());
    }

    #[test]
    fn tags_are_normalised_and_checked() {
        assert_eq!(parse_tags(" Bank Followup, high-value,,bank-followup").unwrap(), ["bank-followup", "high-value"]);
        assert!(parse_tags("a;b").is_err());
        assert!(parse_tags(&"x".repeat(41)).is_err());
    }
}
