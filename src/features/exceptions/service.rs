//! The exception use cases, shared by the pages' server functions and the JSON API: each
//! authorises the caller (every role reads the queue; operations works it), reads its input into
//! the domain's types, runs the query or the command (which writes the action log and the audit
//! log), and flushes this instance's cache of the queue's counts after a change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::commands::{self, Actor, Target};
use super::model::{
    ActionKind, ActionRequest, AssigneeFilter, BulkReport, Counts, ExceptionDetail, ExceptionRow, ExceptionView,
    ExceptionsQuery, ExceptionsView, Filter, SavedView, SortKey, PAGE_SIZE,
};
use super::{queries, rules};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{dated_file_name, ist_minute_cell, rupees_cell, CsvExport, EXPORT_CAP};
use crate::notified_cache::Loaded;
use crate::sheet::{Masking, Personal};
use crate::state::AppState;

/// The counts of a filter through the per-instance cache: exact, since every change to the
/// exceptions flushes it (notification; this instance's writers also flush directly) and an entry
/// is used only before the next instant at which time alone changes the counts.
async fn counts_cached(state: &AppState, f: &Filter, me: Uuid, now: DateTime<Utc>) -> Result<Counts, AppError> {
    let key = (f.clone(), (f.assignee == Some(AssigneeFilter::Me)).then_some(me));
    let current = |until: &Option<DateTime<Utc>>| until.is_none_or(|u| now < u);
    let load = async {
        let (counts, until) = tokio::try_join!(
            queries::counts(&state.pool, f, Some(me), now),
            queries::next_change(&state.pool, f.sla_breached, now),
        )?;
        Ok::<_, AppError>(Loaded::Keep((counts, until)))
    };
    // The cached or shared counts are for this instant (`current`); every read keeps what it
    // finds, so there is always an answer — were there none, this reads for itself.
    match state.exception_counts.load_shared(key, |(_, until)| current(until), load).await? {
        Some((counts, _)) => Ok(counts),
        None => Ok(queries::counts(&state.pool, f, Some(me), now).await?),
    }
}

/// Everything the `/exceptions` page shows for its URL.
pub async fn queue_view(
    state: &AppState,
    caller: &CurrentUser,
    query: &ExceptionsQuery,
) -> Result<ExceptionsView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, page_number) = query.parse().map_err(AppError::BadRequest)?;
    let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
    let now = state.clock.now();
    let pool = &state.pool;
    let me = Some(user.id);
    // The three queue queries in parallel; the small lookups one after another on a fourth.
    let lookups = async {
        Ok::<_, AppError>((
            queries::saved_views(pool, user.id, user.may(Access::ADMIN)).await?,
            queries::reasons(pool).await?,
            queries::merchants(pool).await?,
            queries::acquirers(pool).await?,
            queries::assignees(pool).await?,
        ))
    };
    let (kpis, rows, counts, (views, reasons, merchants, acquirers, assignees)) = tokio::try_join!(
        queries::kpis(pool, now),
        queries::list(pool, &filter, sort, me, PAGE_SIZE, offset, now),
        counts_cached(state, &filter, user.id, now),
        lookups,
    )?;
    Ok(ExceptionsView {
        kpis,
        rows,
        counts,
        page_number,
        sort,
        views,
        reasons,
        merchants,
        acquirers,
        assignees,
        can_work: user.may(Access::OPS_WORK),
        now,
    })
}

/// One window of the rows matching a filter, and the counts of all of them.
pub async fn list(
    state: &AppState,
    caller: &CurrentUser,
    filter: &Filter,
    sort: SortKey,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ExceptionRow>, Counts), AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    tokio::try_join!(
        queries::list(&state.pool, filter, sort, Some(user.id), limit, offset, now),
        counts_cached(state, filter, user.id, now),
    )
}

/// What this user may do to an exception now: nothing for read-only roles.
fn allowed_for(user: &CurrentUser, d: &ExceptionDetail) -> Vec<ActionKind> {
    if user.may(Access::OPS_WORK) {
        rules::allowed_actions(d.row.status)
    } else {
        Vec::new()
    }
}

/// The detail page of one exception: the record, the next steps of its reason, what the caller
/// may do and (if anything) to whom it may be assigned.
pub async fn exception_view(state: &AppState, caller: &CurrentUser, id: &str) -> Result<ExceptionView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    let mut detail = queries::detail(&state.pool, id, now).await?;
    // Bank remarks, and the notes analysts write (often pasting a remark), may name a customer's
    // account, e-mail or UPI id: shown to the roles that may see personal data, masked for the
    // others (as the Bank MIS report and the audit log mask them).
    let masking = Masking::for_roles(&user.roles);
    if let Some(bank) = detail.bank.as_mut() {
        bank.remarks = bank.remarks.as_deref().map(|r| masking.shown(Personal::FreeText, r));
    }
    // A run's or a job's note is written by the product (record ids, run ids): shown as written.
    for action in detail.actions.iter_mut().filter(|a| a.actor.is_some()) {
        action.note = action.note.as_deref().map(|n| masking.shown(Personal::FreeText, n));
    }
    let allowed = allowed_for(&user, &detail);
    let assignees = if allowed.is_empty() { Vec::new() } else { queries::assignees(&state.pool).await? };
    Ok(ExceptionView {
        next_steps: rules::next_steps(&detail.row.reason_code).into_iter().map(str::to_string).collect(),
        detail,
        allowed,
        assignees,
        me: Some(user.email),
        now,
    })
}

/// One action on one exception, for a user who works exceptions.
pub async fn apply_action(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    id: &str,
    request: &ActionRequest,
) -> Result<(), AppError> {
    let actor = Actor { user: authorize(Some(caller), Access::OPS_WORK)?, ip };
    let now = state.clock.now();
    let action = commands::parse_action(&state.pool, &actor, request, now).await?;
    let result = commands::apply(&state.pool, &actor, id, &action, now).await;
    // This instance's readers see the change at once; others when the notification arrives.
    state.exception_counts.flush();
    result
}

/// One action over the exceptions of ids or of a filter, for a user who works exceptions.
pub async fn apply_bulk(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    target: &Target,
    request: &ActionRequest,
) -> Result<(ActionKind, BulkReport), AppError> {
    let actor = Actor { user: authorize(Some(caller), Access::OPS_WORK)?, ip };
    let now = state.clock.now();
    let action = commands::parse_action(&state.pool, &actor, request, now).await?;
    let report = commands::bulk(&state.pool, &actor, target, &action, now).await;
    state.exception_counts.flush();
    Ok((action.kind, report?))
}

/// The shared views and the caller's own.
pub async fn saved_views(state: &AppState, caller: &CurrentUser) -> Result<Vec<SavedView>, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    queries::saved_views(&state.pool, user.id, user.may(Access::ADMIN)).await
}

/// Save a view: personal for anyone signed in; shared only for those who work exceptions.
pub async fn save_view(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    name: &str,
    shared: bool,
    filters: &Value,
) -> Result<Uuid, AppError> {
    let access = if shared { Access::OPS_WORK } else { Access::SIGNED_IN };
    let actor = Actor { user: authorize(Some(caller), access)?, ip };
    commands::save_view(&state.pool, &actor, name, shared, filters).await
}

/// Delete one of the caller's views (admins: also shared ones).
pub async fn delete_view(state: &AppState, caller: &CurrentUser, ip: Option<String>, id: &str) -> Result<(), AppError> {
    let actor = Actor { user: authorize(Some(caller), Access::SIGNED_IN)?, ip };
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound("No such saved view.".into()))?;
    commands::delete_view(&state.pool, &actor, id).await
}

/// The columns of the exceptions export, in order.
const EXPORT_HEADER: &[&str] = &[
    "exception_id",
    "reason_code",
    "severity",
    "status",
    "pg_amount_inr",
    "bank_amount_inr",
    "delta_inr",
    "merchant_id",
    "merchant_name",
    "acquirer",
    "cycle_date",
    "utr",
    "txn_id",
    "created_at_ist",
    "sla_due_at_ist",
    "sla_breached",
    "assignee",
    "tags",
    "resolution",
    "resolved_at_ist",
];

/// Every exception matching the queue's query (up to [`EXPORT_CAP`]), as CSV streamed from the
/// list's own query.
pub fn export_csv(state: &AppState, caller: &CurrentUser, query: &ExceptionsQuery) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    let (filter, sort, _) = query.parse().map_err(AppError::BadRequest)?;
    let me = Some(user.id);
    let name = dated_file_name("exceptions", now);
    Ok(CsvExport::new(state, user.id, name, EXPORT_HEADER, move |out, mut tx| async move {
        let mut query = queries::export_query(&filter, sort, me, EXPORT_CAP, now);
        out.write_all(queries::rows(&mut *tx, &mut query, now), export_cells).await
    }))
}

fn export_cells(r: ExceptionRow) -> Vec<String> {
    vec![
        r.id,
        r.reason_code,
        r.severity,
        r.status.code().to_string(),
        rupees_cell(r.pg_amount),
        rupees_cell(r.bank_amount),
        rupees_cell(r.delta),
        r.merchant_id.unwrap_or_default(),
        r.merchant_name.unwrap_or_default(),
        r.acquirer.unwrap_or_default(),
        r.cycle_date.to_string(),
        r.utr.unwrap_or_default(),
        r.txn_id.unwrap_or_default(),
        ist_minute_cell(r.created_at),
        ist_minute_cell(r.sla_due_at),
        if r.sla_breached { "yes" } else { "no" }.to_string(),
        r.assignee.unwrap_or_default(),
        r.tags.join(" "),
        r.resolution.unwrap_or_default(),
        r.resolved_at.map(ist_minute_cell).unwrap_or_default(),
    ]
}
