//! `GET /api/audit/v1/events?actor=&role=&action=&targetType=&targetId=&outcome=&from=&to=&ip=&limit=&offset=`,
//! its CSV twin `GET /api/audit/v1/events.csv` (the page's parameters) and
//! `GET /api/audit/v1/verify`: the audit page's API twins (compliance, auditors and admins; 403
//! otherwise).

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::{AuditQuery, AuditRow, ChainReport};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::paging::page_params;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/events", get(list))
        .route("/v1/events.csv", get(export_csv))
        .route("/v1/verify", get(verify))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    actor: Option<String>,
    role: Option<String>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    ip: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventResponse {
    id: i64,
    chain_seq: i64,
    at: String,
    /// E-mail; the operator of a command-line change; null for the system.
    actor: Option<String>,
    /// The actor's roles at the time, joined with ", " (`roles` has them as a list).
    role: Option<String>,
    roles: Vec<String>,
    action: String,
    target_type: String,
    target_id: Option<String>,
    outcome: &'static str,
    ip: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    details: Option<String>,
    row_hash: String,
}

impl From<AuditRow> for EventResponse {
    fn from(r: AuditRow) -> Self {
        EventResponse {
            id: r.id,
            chain_seq: r.chain_seq,
            at: r.at.to_rfc3339(),
            actor: r.actor,
            role: (!r.roles.is_empty()).then(|| r.roles.join(", ")),
            roles: r.roles,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            outcome: if r.success { "success" } else { "failure" },
            ip: r.ip,
            before: r.before,
            after: r.after,
            details: r.details,
            row_hash: r.row_hash,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    events: Vec<EventResponse>,
    /// Exact when `totalExact`; otherwise more than this many (a filtered count stops past the cap).
    total: i64,
    total_exact: bool,
    has_more: bool,
    /// Personal data (account numbers, customer e-mail and phone; in details, long digit runs,
    /// numbers written in groups and e-mail addresses) was masked for the caller's role (the
    /// auditor's).
    masked: bool,
}

async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(p): Query<ListParams>,
) -> Result<Json<ListResponse>, AppError> {
    let (limit, offset) = page_params(&p.limit, &p.offset, 50, 500)?;
    let query = AuditQuery {
        actor: p.actor,
        role: p.role,
        action: p.action,
        target_type: p.target_type,
        target_id: p.target_id,
        outcome: p.outcome,
        from: p.from,
        to: p.to,
        ip: p.ip,
        page: None,
    };
    let (filter, _) = query.parse().map_err(AppError::BadRequest)?;
    let (page, masked) = service::list(&state, &user, &filter, limit, offset).await?;
    Ok(Json(ListResponse {
        events: page.rows.into_iter().map(EventResponse::from).collect(),
        total: page.total.count,
        total_exact: page.total.exact,
        has_more: page.has_next,
        masked,
    }))
}

/// `{"ok", "checked", "firstBrokenId", "firstBrokenPosition", "reason", "headHash"}`.
async fn verify(State(state): State<AppState>, Authorized(user): Authorized) -> Result<Json<ChainReport>, AppError> {
    Ok(Json(service::verify(&state, &user).await?))
}

async fn export_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    service::export_csv(&state, &user, &q)?.respond().await
}
