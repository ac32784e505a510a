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
use serde::Deserialize;
use serde_json::{json, Value};

use super::commands::Target;
use super::model::{ActionRequest, ExceptionRow, ExceptionView, ExceptionsApiQuery, ExceptionsQuery, Filter, SortKey};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::form::{back_to, content_type_is, is_back_path, wants_html};
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

fn row_json(r: &ExceptionRow) -> Value {
    json!({
        "id": r.id,
        "reasonCode": r.reason_code,
        "reasonLabel": r.reason_label,
        "severity": r.severity,
        "status": r.status.code(),
        "pgAmountPaise": r.pg_amount.map(|p| p.0),
        "bankAmountPaise": r.bank_amount.map(|p| p.0),
        "deltaPaise": r.delta.map(|p| p.0),
        "merchantId": r.merchant_id,
        "merchantName": r.merchant_name,
        "acquirer": r.acquirer,
        "cycleDate": r.cycle_date,
        "utr": r.utr,
        "txnId": r.txn_id,
        "createdAt": r.created_at.to_rfc3339(),
        "slaDueAt": r.sla_due_at.to_rfc3339(),
        "slaBreached": r.sla_breached,
        "snoozedUntil": r.snoozed_until.map(|t| t.to_rfc3339()),
        "assignee": r.assignee,
        "tags": r.tags,
        "resolution": r.resolution,
        "resolvedAt": r.resolved_at.map(|t| t.to_rfc3339()),
    })
}

/// `GET /v1/exceptions`: one page, the total and the counts of everything matching the filter.
async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ExceptionsApiQuery>,
) -> Result<Json<Value>, AppError> {
    let (limit, offset) = crate::paging::page_params(&params.limit, &params.offset, 50, 500)?;
    let (filter, sort) = list_filter(&params)?;
    let (rows, counts) = service::list(&state, &user, &filter, sort, limit, offset).await?;
    let map = |pairs: Vec<(String, i64)>| Value::Object(pairs.into_iter().map(|(k, n)| (k, json!(n))).collect());
    Ok(Json(json!({
        "items": rows.iter().map(row_json).collect::<Vec<_>>(),
        "total": counts.total,
        "limit": limit,
        "offset": offset,
        "counts": {
            "byStatus": map(counts.by_status.into_iter().map(|(s, n)| (s.code().to_string(), n)).collect()),
            "bySeverity": map(counts.by_severity),
            "byReason": map(counts.by_reason),
        },
    })))
}

fn detail_json(view: &ExceptionView) -> Value {
    let d = &view.detail;
    let mut v = row_json(&d.row);
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
    let extra = json!({
        "reasonDescription": d.reason_description,
        "resolutionHint": d.resolution_hint,
        "slaHours": d.sla_hours,
        "runId": d.run_id,
        "updatedAt": d.updated_at.to_rfc3339(),
        "pg": d.pg.as_ref().map(|p| json!({
            "txnId": p.txn_id, "merchant": p.merchant, "amountPaise": p.amount.0, "paymentMethod": p.payment_method,
            "utr": p.utr, "rrn": p.rrn, "txnAt": p.txn_at.to_rfc3339(), "cycleDate": p.cycle_date, "status": p.status,
        })),
        "bank": d.bank.as_ref().map(|b| json!({
            "bankName": b.bank_name, "bankRef": b.bank_ref, "amountPaise": b.amount.0, "direction": b.direction,
            "utr": b.utr, "txnDate": b.txn_date, "valueDate": b.value_date, "remarks": b.remarks,
        })),
        "nextSteps": view.next_steps,
        "allowedActions": view.allowed.iter().map(|a| a.code()).collect::<Vec<_>>(),
        "actions": d.actions.iter().map(|a| json!({
            "action": a.action, "actor": a.actor, "at": a.at.to_rfc3339(),
            "before": parse(&a.before), "after": parse(&a.after), "note": a.note,
        })).collect::<Vec<_>>(),
    });
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    v
}

/// `GET /v1/exceptions/{id}`.
async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(detail_json(&service::exception_view(&state, &user, &id).await?)))
}

/// `POST /v1/exceptions/{id}/actions` → the record after the action.
async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    Json(request): Json<ActionRequest>,
) -> Result<Json<Value>, AppError> {
    service::apply_action(&state, &user, ip.0, &id, &request).await?;
    Ok(Json(detail_json(&service::exception_view(&state, &user, &id).await?)))
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
            Ok((_, r)) => Json(json!({
                "matched": r.matched,
                "changed": r.changed,
                "skipped": r.skipped.iter().map(|(id, why)| json!({ "id": id, "reason": why })).collect::<Vec<_>>(),
            }))
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
            Ok((_, r)) => {
                Json(json!({ "matched": r.matched, "changed": r.changed, "message": message })).into_response()
            }
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

/// `GET /v1/exceptions/views`: the shared views and the caller's own.
async fn list_views(State(state): State<AppState>, Authorized(user): Authorized) -> Result<Json<Value>, AppError> {
    let views = service::saved_views(&state, &user).await?;
    Ok(Json(json!({
        "views": views.iter().map(|v| json!({
            "id": v.id, "name": v.name, "shared": v.shared, "deletable": v.deletable,
            "filters": v.query.to_view(), "href": v.query.href(),
        })).collect::<Vec<_>>(),
    })))
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
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
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
