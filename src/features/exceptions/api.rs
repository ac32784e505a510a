//! The exceptions JSON API (under `/api/recon`): the list with its counts, one record with its
//! action log, one action, bulk actions, the CSV export of a filter, and saved views. Every handler
//! reads its request, calls the same use case (`service`) as the pages, and shapes the answer. The
//! bulk form of the page posts here too: a browser form (`Accept: text/html`) gets a 303 back to
//! the page with a notice.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::commands::Target;
use super::model::{
    ActionEntry, ActionRequest, BankSide, ExceptionRow, ExceptionView, ExceptionsApiQuery, ExceptionsQuery, Filter,
    PgSide, SavedView, SortKey,
};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::form::{back_to, content_type_is, is_back_path, wants_html};
use crate::http::responses::IdResponse;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/exceptions", get(list))
        .route("/v1/exceptions/export.csv", get(export_csv))
        .route("/v1/exceptions/bulk", post(bulk))
        .route("/v1/exceptions/views", get(list_views).post(create_view))
        .route("/v1/exceptions/views/{id}", delete(delete_view))
        .route("/v1/exceptions/{id}", get(detail))
        .route("/v1/exceptions/{id}/actions", post(action))
}

/// The typed filter and sort of the list's query parameters (see [`ExceptionsQuery::parse_api`]).
fn list_filter(params: &ExceptionsApiQuery) -> Result<(Filter, SortKey), AppError> {
    ExceptionsQuery::parse_api(params).map_err(AppError::BadRequest)
}

/// An exception as the list shows it, and the first keys of the detail.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionItem<'a> {
    acquirer: Option<&'a str>,
    assignee: Option<&'a str>,
    bank_amount_paise: Option<i64>,
    created_at: String,
    cycle_date: NaiveDate,
    delta_paise: Option<i64>,
    id: &'a str,
    merchant_id: Option<&'a str>,
    merchant_name: Option<&'a str>,
    merchant_unknown: bool,
    pg_amount_paise: Option<i64>,
    reason_code: &'a str,
    reason_label: &'a str,
    resolution: Option<&'a str>,
    resolved_at: Option<String>,
    severity: &'a str,
    sla_breached: bool,
    sla_due_at: String,
    snoozed_until: Option<String>,
    status: &'static str,
    tags: &'a [String],
    txn_id: Option<&'a str>,
    utr: Option<&'a str>,
}

impl<'a> ExceptionItem<'a> {
    fn new(r: &'a ExceptionRow) -> Self {
        ExceptionItem {
            acquirer: r.acquirer.as_deref(),
            assignee: r.assignee.as_deref(),
            bank_amount_paise: r.bank_amount.map(|p| p.0),
            created_at: r.created_at.to_rfc3339(),
            cycle_date: r.cycle_date,
            delta_paise: r.delta.map(|p| p.0),
            id: &r.id,
            merchant_id: r.merchant_id.as_deref(),
            merchant_name: r.merchant_name.as_deref(),
            merchant_unknown: r.merchant_unknown,
            pg_amount_paise: r.pg_amount.map(|p| p.0),
            reason_code: &r.reason_code,
            reason_label: &r.reason_label,
            resolution: r.resolution.as_deref(),
            resolved_at: r.resolved_at.map(|t| t.to_rfc3339()),
            severity: &r.severity,
            sla_breached: r.sla_breached,
            sla_due_at: r.sla_due_at.to_rfc3339(),
            snoozed_until: r.snoozed_until.map(|t| t.to_rfc3339()),
            status: r.status.code(),
            tags: &r.tags,
            txn_id: r.txn_id.as_deref(),
            utr: r.utr.as_deref(),
        }
    }
}

/// The body of `GET /v1/exceptions`.
#[derive(Serialize)]
struct ExceptionListResponse<'a> {
    counts: ExceptionCounts,
    items: Vec<ExceptionItem<'a>>,
    limit: i64,
    offset: i64,
    total: i64,
}

/// The number of matching exceptions per status code, severity and reason code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionCounts {
    by_reason: BTreeMap<String, i64>,
    by_severity: BTreeMap<String, i64>,
    by_status: BTreeMap<&'static str, i64>,
}

/// `GET /v1/exceptions`: one page, the total and the counts of everything matching the filter.
async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ExceptionsApiQuery>,
) -> Result<Response, AppError> {
    let (limit, offset) = crate::paging::page_params(&params.limit, &params.offset, 50, 500)?;
    let (filter, sort) = list_filter(&params)?;
    let (rows, counts) = service::list(&state, &user, &filter, sort, limit, offset).await?;
    let body = ExceptionListResponse {
        counts: ExceptionCounts {
            by_reason: counts.by_reason.into_iter().collect(),
            by_severity: counts.by_severity.into_iter().collect(),
            by_status: counts.by_status.into_iter().map(|(s, n)| (s.code(), n)).collect(),
        },
        items: rows.iter().map(ExceptionItem::new).collect(),
        limit,
        offset,
        total: counts.total,
    };
    Ok(Json(body).into_response())
}

/// The body of `GET /v1/exceptions/{id}` and of an action's answer: the list's keys, then the
/// record's own, its two sides and its action log.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExceptionDetailResponse<'a> {
    #[serde(flatten)]
    row: ExceptionItem<'a>,
    actions: Vec<ActionItem<'a>>,
    allowed_actions: Vec<&'static str>,
    bank: Option<BankItem<'a>>,
    next_steps: &'a [String],
    pg: Option<PgItem<'a>>,
    reason_description: &'a str,
    resolution_hint: &'a str,
    run_id: Option<Uuid>,
    sla_hours: i32,
    updated_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PgItem<'a> {
    amount_paise: i64,
    cycle_date: NaiveDate,
    merchant: &'a str,
    payment_method: &'a str,
    rrn: Option<&'a str>,
    status: &'a str,
    txn_at: String,
    txn_id: &'a str,
    utr: Option<&'a str>,
}

impl<'a> From<&'a PgSide> for PgItem<'a> {
    fn from(p: &'a PgSide) -> Self {
        PgItem {
            amount_paise: p.amount.0,
            cycle_date: p.cycle_date,
            merchant: &p.merchant,
            payment_method: &p.payment_method,
            rrn: p.rrn.as_deref(),
            status: &p.status,
            txn_at: p.txn_at.to_rfc3339(),
            txn_id: &p.txn_id,
            utr: p.utr.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BankItem<'a> {
    amount_paise: i64,
    bank_name: &'a str,
    bank_ref: Option<&'a str>,
    direction: &'a str,
    remarks: Option<&'a str>,
    txn_date: NaiveDate,
    utr: Option<&'a str>,
    value_date: Option<NaiveDate>,
}

impl<'a> From<&'a BankSide> for BankItem<'a> {
    fn from(b: &'a BankSide) -> Self {
        BankItem {
            amount_paise: b.amount.0,
            bank_name: &b.bank_name,
            bank_ref: b.bank_ref.as_deref(),
            direction: &b.direction,
            remarks: b.remarks.as_deref(),
            txn_date: b.txn_date,
            utr: b.utr.as_deref(),
            value_date: b.value_date,
        }
    }
}

/// One entry of the action log; `before` and `after` are the stored JSON (null when unreadable).
#[derive(Serialize)]
struct ActionItem<'a> {
    action: &'a str,
    actor: Option<&'a str>,
    after: Option<Value>,
    at: String,
    before: Option<Value>,
    note: Option<&'a str>,
}

impl<'a> From<&'a ActionEntry> for ActionItem<'a> {
    fn from(a: &'a ActionEntry) -> Self {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
        ActionItem {
            action: &a.action,
            actor: a.actor.as_deref(),
            after: parse(&a.after),
            at: a.at.to_rfc3339(),
            before: parse(&a.before),
            note: a.note.as_deref(),
        }
    }
}

impl<'a> ExceptionDetailResponse<'a> {
    fn new(view: &'a ExceptionView) -> Self {
        let d = &view.detail;
        ExceptionDetailResponse {
            row: ExceptionItem::new(&d.row),
            actions: d.actions.iter().map(ActionItem::from).collect(),
            allowed_actions: view.allowed.iter().map(|a| a.code()).collect(),
            bank: d.bank.as_ref().map(BankItem::from),
            next_steps: &view.next_steps,
            pg: d.pg.as_ref().map(PgItem::from),
            reason_description: &d.reason_description,
            resolution_hint: &d.resolution_hint,
            run_id: d.run_id,
            sla_hours: d.sla_hours,
            updated_at: d.updated_at.to_rfc3339(),
        }
    }
}

fn detail_response(view: &ExceptionView) -> Response {
    Json(ExceptionDetailResponse::new(view)).into_response()
}

/// `GET /v1/exceptions/{id}`.
async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    Ok(detail_response(&service::exception_view(&state, &user, &id).await?))
}

/// `POST /v1/exceptions/{id}/actions` → the record after the action.
async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    Json(request): Json<ActionRequest>,
) -> Result<Response, AppError> {
    service::apply_action(&state, &user, ip.0, &id, &request).await?;
    Ok(detail_response(&service::exception_view(&state, &user, &id).await?))
}

/// A JSON filter's values as the list's query parameters (arrays joined, booleans as text).
fn params_from_json(filter: &Value) -> Result<ExceptionsApiQuery, AppError> {
    let Value::Object(map) = filter else {
        return Err(AppError::BadRequest("filter must be an object of the list's parameters.".into()));
    };
    let mut text = serde_json::Map::new();
    for (k, v) in map {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(","),
            Value::Null => continue,
            Value::Object(_) => return Err(AppError::BadRequest(format!("filter.{k} must be a value or a list."))),
        };
        text.insert(k.clone(), Value::String(s));
    }
    serde_json::from_value(Value::Object(text)).map_err(|e| AppError::BadRequest(format!("filter: {e}")))
}

/// The body of a bulk action's answer to JSON: the rows the target matched, those changed and
/// why the others were left as they were.
#[derive(Serialize)]
struct BulkResponse<'a> {
    changed: i64,
    matched: i64,
    skipped: Vec<SkippedItem<'a>>,
}

#[derive(Serialize)]
struct SkippedItem<'a> {
    id: &'a str,
    reason: &'a str,
}

/// The body of a bulk action's answer to the page's form posted by a script: the counts and the
/// page's sentence.
#[derive(Serialize)]
struct BulkFormResponse {
    changed: i64,
    matched: i64,
    message: String,
}

/// `POST /v1/exceptions/bulk`: JSON `{"ids": [...]}` or `{"filter": {list parameters}}` with the
/// action's fields, or the page's form (`scope=selected` with `ids`, or `scope=matching` with the
/// page's filter fields).
async fn bulk(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if content_type_is(&headers, "application/json") {
        let result = async {
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| AppError::BadRequest(format!("The body is not JSON: {e}")))?;
            let target = match (value.get("ids"), value.get("filter")) {
                (Some(ids), None) => Target::Ids(
                    serde_json::from_value::<Vec<String>>(ids.clone())
                        .map_err(|_| AppError::BadRequest("ids must be a list of exception ids.".into()))?,
                ),
                (None, Some(filter)) => Target::Matching(list_filter(&params_from_json(filter)?)?.0),
                _ => return Err(AppError::BadRequest("Send either ids or filter.".into())),
            };
            let request: ActionRequest =
                serde_json::from_value(value).map_err(|e| AppError::BadRequest(format!("The action: {e}")))?;
            service::apply_bulk(&state, &user, ip.0, &target, &request).await
        }
        .await;
        return match result {
            Ok((_, r)) => Json(BulkResponse {
                changed: r.changed,
                matched: r.matched,
                skipped: r.skipped.iter().map(|(id, why)| SkippedItem { id, reason: why }).collect(),
            })
            .into_response(),
            Err(e) => e.into_response(),
        };
    }
    // The page's form.
    // Ordered pairs, so the repeated `ids` of the ticked rows are all kept.
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(p) => p,
        Err(_) => return AppError::BadRequest("The form could not be read.".into()).into_response(),
    };
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let query = ExceptionsQuery {
        status: get("status"),
        severity: get("severity"),
        reason: get("reason"),
        merchant: get("merchant"),
        acquirer: get("acquirer"),
        from: get("from"),
        to: get("to"),
        assignee: get("assignee_filter"),
        breached: get("breached"),
        dmin: get("dmin"),
        dmax: get("dmax"),
        q: get("q"),
        ..Default::default()
    };
    // A `back` that is not a clean path of this page (another site, a newline that would make an
    // invalid `Location`) is ignored: the redirect goes to the filter's own page instead.
    let back = get("back").filter(|b| is_back_path(b, "/exceptions")).unwrap_or_else(|| query.href());
    let result = async {
        let target = match get("scope").as_deref() {
            Some("matching") => Target::Matching(query.parse().map_err(AppError::BadRequest)?.0),
            _ => Target::Ids(pairs.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.clone()).collect()),
        };
        let request = ActionRequest {
            action: get("action").unwrap_or_default(),
            assignee: get("assignee"),
            until: get("until"),
            resolution: get("resolution"),
            note: get("note"),
            tags: get("tags"),
            severity: get("severity_to"),
        };
        service::apply_bulk(&state, &user, ip.0, &target, &request).await
    }
    .await;
    let (key, message) = match &result {
        Ok((kind, report)) => ("notice", report.summary(*kind)),
        Err(e) => ("error", e.to_string()),
    };
    if !wants_html(&headers) {
        return match result {
            Ok((_, r)) => Json(BulkFormResponse { changed: r.changed, matched: r.matched, message }).into_response(),
            Err(e) => e.into_response(),
        };
    }
    back_to(&back, key, &message)
}

/// `GET /v1/exceptions/export.csv` with the page's query: every matching row, streamed from the
/// list's own query (see [`service::export_csv`]).
async fn export_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(page_query): Query<ExceptionsQuery>,
) -> Result<Response, AppError> {
    service::export_csv(&state, &user, &page_query)?.respond().await
}

/// The body of `GET /v1/exceptions/views`.
#[derive(Serialize)]
struct ViewListResponse<'a> {
    views: Vec<ViewItem<'a>>,
}

/// A saved view: its filter as JSON (the list's parameter names) and as the page's URL.
#[derive(Serialize)]
struct ViewItem<'a> {
    deletable: bool,
    filters: Value,
    href: String,
    id: Uuid,
    name: &'a str,
    shared: bool,
}

impl<'a> From<&'a SavedView> for ViewItem<'a> {
    fn from(v: &'a SavedView) -> Self {
        ViewItem {
            deletable: v.deletable,
            filters: v.query.to_view(),
            href: v.query.href(),
            id: v.id,
            name: &v.name,
            shared: v.shared,
        }
    }
}

/// `GET /v1/exceptions/views`: the shared views and the caller's own.
async fn list_views(State(state): State<AppState>, Authorized(user): Authorized) -> Result<Response, AppError> {
    let views = service::saved_views(&state, &user).await?;
    Ok(Json(ViewListResponse { views: views.iter().map(ViewItem::from).collect() }).into_response())
}

#[derive(Debug, Deserialize)]
struct NewView {
    name: String,
    #[serde(default)]
    shared: bool,
    filters: Value,
}

/// `POST /v1/exceptions/views` `{"name", "shared", "filters"}` → `201 {"id"}`.
async fn create_view(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Json(body): Json<NewView>,
) -> Result<Response, AppError> {
    let id = service::save_view(&state, &user, ip.0, &body.name, body.shared, &body.filters).await?;
    Ok((StatusCode::CREATED, Json(IdResponse { id })).into_response())
}

/// `DELETE /v1/exceptions/views/{id}`.
async fn delete_view(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete_view(&state, &user, ip.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Paise;
    use serde_json::json;

    #[test]
    fn form_bodies_keep_repeated_names() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(b"ids=EXC-1&ids=EXC-2&note=two+words%21&scope=").unwrap();
        assert_eq!(pairs[0], ("ids".into(), "EXC-1".into()));
        assert_eq!(pairs[1], ("ids".into(), "EXC-2".into()));
        assert_eq!(pairs[2], ("note".into(), "two words!".into()));
        assert_eq!(pairs[3], ("scope".into(), String::new()));
    }

    #[test]
    fn a_json_filter_reads_as_list_parameters() {
        let p = params_from_json(&json!({"status": ["open", "escalated"], "slaBreached": true, "deltaMinPaise": 200}))
            .unwrap();
        let (f, _) = list_filter(&p).unwrap();
        assert_eq!(f.statuses.len(), 2);
        assert!(f.sla_breached);
        assert_eq!(f.delta_min, Some(Paise(200)));
        let both = ExceptionsApiQuery {
            cycle_date: Some("2026-11-01".into()),
            from: Some("2026-11-01".into()),
            ..Default::default()
        };
        assert!(list_filter(&both).is_err());
    }
}
