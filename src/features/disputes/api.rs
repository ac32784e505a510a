//! The disputes JSON API (spec 07, under `/api/disputes`): the checklist's KPI and list calls, the
//! detail, outcome and SLA twins, CSV import and export, evidence, case actions and the signed
//! network webhooks. Every handler reads its request, calls the same use case (`service`) as the
//! pages, and shapes the answer.
//! Forms on the pages post here too: a browser form (`Accept: text/html`) gets a 303 back to the
//! page with a notice, a script gets JSON.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{CaseAction, CaseDetail, CaseRow, Kpis, ListFilter, Scope, SlaBucket, Sort, SortKey, UiStatus};
use super::{evidence, rules, service};
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::form::{back_to, content_type_is, multipart_error, upload_too_big, wants_html};
use crate::http::ClientIp;
use crate::ist::date_param;
use crate::paging::page_params;
use crate::state::AppState;

/// Import files may be larger than evidence files (spec 2.1's 25 MB upload limit).
const IMPORT_LIMIT: usize = 25 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chargebacks", get(list))
        .route("/v1/chargebacks/kpis", get(kpis))
        .route("/v1/chargebacks/outcome-summary", get(outcome_summary))
        .route("/v1/chargebacks/sla-buckets", get(sla_buckets))
        .route("/v1/chargebacks/export.csv", get(export_csv))
        .route("/v1/chargebacks/import", post(import).layer(DefaultBodyLimit::max(IMPORT_LIMIT + 64 * 1024)))
        .route("/v1/chargebacks/{id}", get(detail))
        .route("/v1/chargebacks/{id}/actions", post(action))
        .route(
            "/v1/chargebacks/{id}/documents",
            post(upload_document).layer(DefaultBodyLimit::max(evidence::MAX_BYTES + 64 * 1024)),
        )
        .route("/v1/chargebacks/{id}/documents/{document_id}", get(download_document))
        .route("/v1/webhooks/{network}", post(webhook))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiParams {
    from: Option<String>,
    to: Option<String>,
    merchant_id: Option<String>,
    acquirer: Option<String>,
    status: Option<String>,
    ui_status: Option<String>,
    q: Option<String>,
    sla_bucket: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    window: Option<String>,
}

impl ApiParams {
    fn scope(&self) -> Result<Scope, AppError> {
        Ok(Scope {
            from: date_param(&self.from, "from")?,
            to: date_param(&self.to, "to")?,
            merchant_id: self.merchant_id.clone().filter(|s| !s.is_empty()),
            acquirer: self.acquirer.as_deref().filter(|s| !s.is_empty()).map(str::to_ascii_uppercase),
        })
    }

    fn filter(&self) -> Result<ListFilter, AppError> {
        let raw_status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) if rules::STORED_STATUSES.contains(&s) => Some(s.to_string()),
            Some(other) => {
                return Err(AppError::BadRequest(format!(
                    "status must be OPEN, RECOVERED or WRITEOFF (got {other:?}); use uiStatus for the page's statuses."
                )))
            }
        };
        let ui_status = self
            .ui_status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| UiStatus::parse(s).ok_or_else(|| AppError::BadRequest(format!("Unknown uiStatus {s:?}."))))
            .transpose()?;
        let sla = self
            .sla_bucket
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                SlaBucket::parse(s).ok_or_else(|| {
                    AppError::BadRequest(format!("slaBucket must be overdue, today, tomorrow or 2-3d (got {s:?})."))
                })
            })
            .transpose()?;
        Ok(ListFilter { scope: self.scope()?, ui_status, raw_status, sla, q: self.q.clone() })
    }

    fn sort(&self) -> Result<Sort, AppError> {
        match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(Sort::default()),
            Some(s) => Ok(Sort {
                key: SortKey::parse(s).ok_or_else(|| AppError::BadRequest(format!("Unknown sort {s:?}.")))?,
                descending: self.dir.as_deref() != Some("asc"),
            }),
        }
    }
}

/// The body of `GET /v1/chargebacks/kpis`. Money in the API's JSON is `i64` paise as a number,
/// except here: the staging checklist (its "Test Disputes API" step) fixes this response with the
/// three amounts as strings of paise (`"recoveredPaise": "38637570"`), and the deployed clients read
/// them so. Every other `…Paise` field, `recoveredPaise` of the outcome summary and the case
/// included, is a number.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiKpis {
    open_count: i64,
    evidence_required_count: i64,
    disputed_paise: String,
    recovered_paise: String,
    written_off_paise: String,
}

impl From<&Kpis> for ApiKpis {
    fn from(k: &Kpis) -> Self {
        ApiKpis {
            open_count: k.open_count,
            evidence_required_count: k.evidence_required_count,
            disputed_paise: k.disputed.0.to_string(),
            recovered_paise: k.recovered.0.to_string(),
            written_off_paise: k.written_off.0.to_string(),
        }
    }
}

/// `GET /v1/chargebacks/kpis`: the checklist's exact shape (see [`ApiKpis`]).
async fn kpis(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Json<ApiKpis>, AppError> {
    let k = service::kpis(&state, &user, &params.scope()?).await?;
    Ok(Json(ApiKpis::from(&k)))
}

/// A case as the API shows it, serialised straight from borrowed fields (no intermediate JSON
/// tree: the 50-row list is the API's hottest path).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiCase<'a> {
    id: Uuid,
    case_ref: &'a str,
    network_case_id: &'a str,
    acquirer: &'a str,
    merchant_id: &'a str,
    merchant_name: &'a str,
    txn_ref: Option<&'a str>,
    rrn: Option<&'a str>,
    utr: Option<&'a str>,
    reason_code: &'a str,
    reason_description: &'a str,
    category: &'a str,
    chargeback_paise: i64,
    fees_paise: i64,
    stage: &'a str,
    status: &'a str,
    outcome: &'a str,
    ui_status: Option<&'static str>,
    received_at: DateTime<chrono::FixedOffset>,
    evidence_due_at: Option<DateTime<chrono::FixedOffset>>,
    sla_bucket: Option<&'static str>,
    owner: Option<&'a str>,
}

impl<'a> ApiCase<'a> {
    fn new(row: &'a CaseRow, now: DateTime<Utc>) -> Self {
        // RFC 3339 with the +00:00 offset, as everywhere in the API.
        let utc = |t: DateTime<Utc>| t.fixed_offset();
        ApiCase {
            id: row.id,
            case_ref: &row.case_ref,
            network_case_id: &row.network_case_id,
            acquirer: &row.acquirer,
            merchant_id: &row.merchant_id,
            merchant_name: &row.merchant_name,
            txn_ref: row.txn_ref.as_deref(),
            rrn: row.rrn.as_deref(),
            utr: row.utr.as_deref(),
            reason_code: &row.reason_code,
            reason_description: &row.reason_description,
            category: &row.category,
            chargeback_paise: row.chargeback.0,
            fees_paise: row.fees.0,
            stage: &row.stage,
            status: &row.status,
            outcome: &row.outcome,
            ui_status: row.ui_status.map(|s| s.param()),
            received_at: utc(row.received_at),
            evidence_due_at: row.evidence_due_at.map(utc),
            sla_bucket: rules::case_sla_bucket(&row.status, row.evidence_due_at, now).map(|b| b.param()),
            owner: row.owner.as_deref(),
        }
    }
}

#[derive(serde::Serialize)]
struct ApiCasePage<'a> {
    chargebacks: Vec<ApiCase<'a>>,
    total: i64,
    limit: i64,
    offset: i64,
}

/// `GET /v1/chargebacks`: one page and the count of all matching rows.
async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Response, AppError> {
    let (limit, offset) = page_params(&params.limit, &params.offset, 50, 500)?;
    let (page, now) = service::list(&state, &user, &params.filter()?, params.sort()?, limit, offset).await?;
    let body = ApiCasePage {
        chargebacks: page.rows.iter().map(|r| ApiCase::new(r, now)).collect(),
        total: page.total,
        limit,
        offset,
    };
    Ok(Json(body).into_response())
}

/// `GET /v1/chargebacks/outcome-summary?window=7d|30d`.
async fn outcome_summary(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Json<Value>, AppError> {
    let days = rules::window_days(params.window.as_deref()).map_err(AppError::BadRequest)?;
    let (s, k) = service::outcome_summary(&state, &user, &params.scope()?, days).await?;
    Ok(Json(json!({
        "window": format!("{days}d"),
        "won": s.won,
        "lost": s.lost,
        "winRatePercent": s.win_rate_permille.map(crate::ratio::tenths_text),
        "avgResolutionDays": s.avg_resolution_tenth_days.map(crate::ratio::tenths_text),
        "recoveredPaise": k.recovered.0,
        "writtenOffPaise": k.written_off.0,
        "netImpactPaise": k.net()?.0,
    })))
}

/// `GET /v1/chargebacks/sla-buckets`: open cases per deadline bucket, count and amount.
async fn sla_buckets(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Json<Value>, AppError> {
    let cells = service::sla_strip(&state, &user, &params.scope()?).await?;
    let mut body = serde_json::Map::new();
    for c in cells {
        body.insert(
            c.bucket.api_key().into(),
            json!({ "count": c.count, "amountPaise": c.amount.0, "slaBucket": c.bucket.param() }),
        );
    }
    Ok(Json(Value::Object(body)))
}

fn detail_json(d: &CaseDetail, now: DateTime<Utc>) -> Value {
    let mut v = serde_json::to_value(ApiCase::new(&d.case, now)).unwrap_or(Value::Null);
    let extra = json!({
        "originalGrossPaise": d.original_gross.0,
        "recoveredPaise": d.recovered.0,
        "pendingRecoveryPaise": d.pending_recovery.0,
        "writtenOffPaise": d.written_off.0,
        "assignedTeam": d.assigned_team,
        "deadlineAt": d.deadline_at.map(|t| t.to_rfc3339()),
        "respondedAt": d.responded_at.map(|t| t.to_rfc3339()),
        "closedAt": d.closed_at.map(|t| t.to_rfc3339()),
        "notes": d.notes,
        "tags": d.tags,
        "transaction": d.transaction.as_ref().map(|t| json!({
            "txnId": t.txn_id, "amountPaise": t.amount.0, "paymentMethod": t.payment_method, "utr": t.utr,
            "rrn": t.rrn, "txnAt": t.txn_at.to_rfc3339(), "status": t.status,
        })),
        "documents": d.documents.iter().map(|doc| json!({
            "id": doc.id, "kind": doc.kind, "fileName": doc.file_name, "contentType": doc.content_type,
            "sizeBytes": doc.size_bytes, "sha256": doc.sha256, "uploadedBy": doc.uploaded_by,
            "uploadedAt": doc.uploaded_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "timeline": d.timeline.iter().map(|t| json!({
            "action": t.action, "actor": t.actor, "role": t.role, "ip": t.ip,
            "before": t.before.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok()),
            "after": t.after.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()),
            "at": t.at.to_rfc3339(),
        })).collect::<Vec<_>>(),
        "recovery": d.recovery.as_ref().map(|r| json!({
            "kind": "SETTLEMENT_DEDUCTION", "amountPaise": r.amount.0, "appliedPaise": r.applied.0, "status": r.status,
            "createdAt": r.created_at.to_rfc3339(),
        })),
    });
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    v
}

/// `GET /v1/chargebacks/{id}`.
async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let d = service::detail(&state, &user, &id).await?;
    Ok(Json(detail_json(&d, state.clock.now())))
}

/// `POST /v1/chargebacks/{id}/actions` with `{"action": "status"|"assign"|"note"|"deadline", …}`.
async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    Json(body): Json<CaseAction>,
) -> Result<Json<Value>, AppError> {
    service::apply_action(&state, &user, ip.0, &id, &body).await?;
    let d = service::detail(&state, &user, &id).await?;
    Ok(Json(detail_json(&d, state.clock.now())))
}

/// Read the named file field and the text fields of a multipart form.
async fn read_form(
    mut multipart: Multipart,
    limit: usize,
) -> Result<(Option<(String, Bytes)>, Vec<(String, String)>), AppError> {
    let mut file = None;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
            if bytes.len() > limit {
                return Err(upload_too_big(limit));
            }
            file = Some((file_name, bytes));
        } else {
            let value =
                field.text().await.map_err(|_| AppError::BadRequest("A form field could not be read.".into()))?;
            fields.push((name, value));
        }
    }
    Ok((file, fields))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// `POST /v1/chargebacks/{id}/documents` (multipart: `file`, `kind`).
async fn upload_document(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    headers: HeaderMap,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let html = wants_html(&headers);
    let page = format!("/disputes/{id}");
    let result = async {
        let worker = service::case_worker(&user, ip.0)?;
        let id = service::case_id(&id)?;
        let (file, fields) = read_form(multipart, evidence::MAX_BYTES).await?;
        service::upload_document(&state, &worker, id, field(&fields, "kind"), file).await
    }
    .await;
    match (result, html) {
        (Ok(doc), true) => back_to(&page, "notice", &format!("Uploaded {}.", doc.file_name)),
        (Err(e), true) => back_to(&page, "error", &e.to_string()),
        (Ok(doc), false) => (
            StatusCode::CREATED,
            Json(json!({
                "id": doc.id, "fileName": doc.file_name, "contentType": doc.content_type, "sizeBytes": doc.size_bytes,
                "sha256": doc.sha256,
            })),
        )
            .into_response(),
        (Err(e), false) => e.into_response(),
    }
}

/// `GET /v1/chargebacks/{id}/documents/{document_id}`: the bytes, as an attachment.
async fn download_document(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path((id, document_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (file_name, content_type, bytes) = service::download_document(&state, &user, &id, &document_id).await?;
    let disposition = crate::files::attachment_disposition(&file_name);
    Ok(([(header::CONTENT_TYPE, content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// `POST /v1/chargebacks/import`: multipart (`file`, optional `network`) or a raw CSV body with
/// `?network=`. Answers the report: inserted, duplicates, rejected, errors with line numbers.
async fn import(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    request: axum::extract::Request,
) -> Response {
    let html = wants_html(&headers);
    let result = async {
        let worker = service::case_worker(&user, ip.0)?;
        let (bytes, network) = if content_type_is(&headers, "multipart/form-data") {
            let multipart =
                Multipart::from_request(request, &state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
            let (file, fields) = read_form(multipart, IMPORT_LIMIT).await?;
            let (_, bytes) = file.ok_or_else(|| AppError::BadRequest("Choose a CSV file to import.".into()))?;
            (bytes, field(&fields, "network").map(str::to_string).or(query.network.clone()))
        } else {
            let bytes = Bytes::from_request(request, &state).await.map_err(|_| upload_too_big(IMPORT_LIMIT))?;
            (bytes, query.network.clone())
        };
        service::import(&state, &worker, &bytes, network.as_deref()).await
    }
    .await;
    match (result, html) {
        (Ok(report), true) => back_to("/disputes", "notice", &report.summary()),
        (Err(e), true) => back_to("/disputes", "error", &format!("Import refused: {e}")),
        (Ok(report), false) => Json(json!({
            "inserted": report.inserted,
            "duplicates": report.duplicates,
            "rejected": report.rejected,
            "errors": report.errors.iter().map(|e| json!({ "line": e.line, "column": e.column, "message": e.message })).collect::<Vec<_>>(),
        }))
        .into_response(),
        (Err(e), false) => e.into_response(),
    }
}

use axum::extract::FromRequest;

#[derive(Debug, Deserialize)]
struct ImportQuery {
    network: Option<String>,
}

/// `GET /v1/chargebacks/export.csv`: every row matching the page's filter (the `/disputes` URL's
/// parameters), as CSV streamed from the list's own query (see [`service::export_csv`]).
async fn export_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(page_query): Query<super::model::DisputesQuery>,
) -> Result<Response, AppError> {
    service::export_csv(&state, &user, &page_query)?.respond().await
}

/// `POST /v1/webhooks/{network}`: no session; the body's HMAC-SHA256 with the network's secret
/// (`X-Webhook-Signature: sha256=<hex>`) is the authentication.
async fn webhook(
    State(state): State<AppState>,
    Path(network): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers.get("x-webhook-signature").and_then(|v| v.to_str().ok());
    match service::webhook(&state, &network, signature, &body).await {
        Ok(v) => Json(v).into_response(),
        Err(AppError::Unauthorized) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "unauthorized", "message": "The webhook signature is missing or wrong." })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
