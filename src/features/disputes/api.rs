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
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::model::{
    CaseAction, CaseDetail, CaseRow, Document, Kpis, LinkedTransaction, ListFilter, Recovery, Scope, SlaBucket,
    SlaCell, Sort, SortKey, TimelineEntry, UiStatus,
};
use super::{evidence, rules, service};
use crate::auth::guard::Authorized;
use crate::error::{AppError, ErrorBody};
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
#[derive(Serialize)]
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
#[derive(Serialize)]
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

#[derive(Serialize)]
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

/// The body of `GET /v1/chargebacks/outcome-summary`. The rate and the average are decimal text
/// with one digit after the point (`"62.5"`), null when nothing was decided in the window; money
/// is a number of paise, over the cases closed in the window like every other figure of the body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutcomeSummaryResponse {
    avg_resolution_days: Option<String>,
    lost: i64,
    net_impact_paise: i64,
    recovered_paise: i64,
    win_rate_percent: Option<String>,
    window: String,
    won: i64,
    written_off_paise: i64,
}

/// `GET /v1/chargebacks/outcome-summary?window=7d|30d`.
async fn outcome_summary(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Json<OutcomeSummaryResponse>, AppError> {
    let days = rules::window_days(params.window.as_deref()).map_err(AppError::BadRequest)?;
    let s = service::outcome_summary(&state, &user, &params.scope()?, days).await?;
    Ok(Json(OutcomeSummaryResponse {
        avg_resolution_days: s.avg_resolution_tenth_days.map(crate::ratio::tenths_text),
        lost: s.lost,
        net_impact_paise: s.net()?.0,
        recovered_paise: s.recovered.0,
        win_rate_percent: s.win_rate_permille.map(crate::ratio::tenths_text),
        window: format!("{days}d"),
        won: s.won,
        written_off_paise: s.written_off.0,
    }))
}

/// One deadline bucket of `GET /v1/chargebacks/sla-buckets`, under the bucket's key
/// (`overdue`, `dueToday`, `dueTomorrow`, `dueIn2To3Days`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SlaBucketCell {
    amount_paise: i64,
    count: i64,
    /// The bucket as the list's `slaBucket` parameter names it.
    sla_bucket: &'static str,
}

impl From<&SlaCell> for SlaBucketCell {
    fn from(c: &SlaCell) -> Self {
        SlaBucketCell { amount_paise: c.amount.0, count: c.count, sla_bucket: c.bucket.param() }
    }
}

/// `GET /v1/chargebacks/sla-buckets`: open cases per deadline bucket, count and amount.
async fn sla_buckets(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(params): Query<ApiParams>,
) -> Result<Json<BTreeMap<&'static str, SlaBucketCell>>, AppError> {
    let cells = service::sla_strip(&state, &user, &params.scope()?).await?;
    Ok(Json(cells.iter().map(|c| (c.bucket.api_key(), SlaBucketCell::from(c))).collect()))
}

/// The body of `GET /v1/chargebacks/{id}` and of an action's answer: the list's keys, then the
/// case's money, dates, linked transaction, documents, timeline and recovery.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DisputeDetailResponse<'a> {
    #[serde(flatten)]
    case: ApiCase<'a>,
    assigned_team: Option<&'a str>,
    closed_at: Option<String>,
    deadline_at: Option<String>,
    documents: Vec<DocumentItem<'a>>,
    notes: Option<&'a str>,
    original_gross_paise: i64,
    pending_recovery_paise: i64,
    recovered_paise: i64,
    recovery: Option<RecoveryItem<'a>>,
    responded_at: Option<String>,
    tags: &'a [String],
    timeline: Vec<TimelineItem<'a>>,
    transaction: Option<TransactionItem<'a>>,
    written_off_paise: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionItem<'a> {
    amount_paise: i64,
    payment_method: &'a str,
    rrn: Option<&'a str>,
    status: &'a str,
    txn_at: String,
    txn_id: &'a str,
    utr: Option<&'a str>,
}

impl<'a> From<&'a LinkedTransaction> for TransactionItem<'a> {
    fn from(t: &'a LinkedTransaction) -> Self {
        TransactionItem {
            amount_paise: t.amount.0,
            payment_method: &t.payment_method,
            rrn: t.rrn.as_deref(),
            status: &t.status,
            txn_at: t.txn_at.to_rfc3339(),
            txn_id: &t.txn_id,
            utr: t.utr.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentItem<'a> {
    content_type: &'a str,
    file_name: &'a str,
    id: Uuid,
    kind: &'a str,
    sha256: &'a str,
    size_bytes: i64,
    uploaded_at: String,
    uploaded_by: &'a str,
}

impl<'a> From<&'a Document> for DocumentItem<'a> {
    fn from(doc: &'a Document) -> Self {
        DocumentItem {
            content_type: &doc.content_type,
            file_name: &doc.file_name,
            id: doc.id,
            kind: &doc.kind,
            sha256: &doc.sha256,
            size_bytes: doc.size_bytes,
            uploaded_at: doc.uploaded_at.to_rfc3339(),
            uploaded_by: &doc.uploaded_by,
        }
    }
}

/// One audit entry of the case; `before` and `after` are the stored JSON (null when unreadable).
#[derive(Serialize)]
struct TimelineItem<'a> {
    action: &'a str,
    actor: &'a str,
    after: Option<Value>,
    at: String,
    before: Option<Value>,
    ip: Option<&'a str>,
    role: Option<&'a str>,
}

impl<'a> From<&'a TimelineEntry> for TimelineItem<'a> {
    fn from(t: &'a TimelineEntry) -> Self {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok());
        TimelineItem {
            action: &t.action,
            actor: &t.actor,
            after: parse(&t.after),
            at: t.at.to_rfc3339(),
            before: parse(&t.before),
            ip: t.ip.as_deref(),
            role: t.role.as_deref(),
        }
    }
}

/// The case's recovery: a deduction from the merchant's settlements.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecoveryItem<'a> {
    amount_paise: i64,
    applied_paise: i64,
    created_at: String,
    /// Always `SETTLEMENT_DEDUCTION`, the one kind the schema allows.
    kind: &'static str,
    status: &'a str,
    /// The batches it was deducted in.
    deductions: Vec<RecoveryDeductionItem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecoveryDeductionItem<'a> {
    batch_id: uuid::Uuid,
    batch_ref: &'a str,
    amount_paise: i64,
    at: String,
}

impl<'a> From<&'a Recovery> for RecoveryItem<'a> {
    fn from(r: &'a Recovery) -> Self {
        RecoveryItem {
            amount_paise: r.amount.0,
            applied_paise: r.applied.0,
            created_at: r.created_at.to_rfc3339(),
            kind: "SETTLEMENT_DEDUCTION",
            status: &r.status,
            deductions: r
                .deductions
                .iter()
                .map(|x| RecoveryDeductionItem {
                    batch_id: x.batch_id,
                    batch_ref: &x.batch_ref,
                    amount_paise: x.amount.0,
                    at: x.at.to_rfc3339(),
                })
                .collect(),
        }
    }
}

impl<'a> DisputeDetailResponse<'a> {
    fn new(d: &'a CaseDetail, now: DateTime<Utc>) -> Self {
        DisputeDetailResponse {
            case: ApiCase::new(&d.case, now),
            assigned_team: d.assigned_team.as_deref(),
            closed_at: d.closed_at.map(|t| t.to_rfc3339()),
            deadline_at: d.deadline_at.map(|t| t.to_rfc3339()),
            documents: d.documents.iter().map(DocumentItem::from).collect(),
            notes: d.notes.as_deref(),
            original_gross_paise: d.original_gross.0,
            pending_recovery_paise: d.pending_recovery.0,
            recovered_paise: d.recovered.0,
            recovery: d.recovery.as_ref().map(RecoveryItem::from),
            responded_at: d.responded_at.map(|t| t.to_rfc3339()),
            tags: &d.tags,
            timeline: d.timeline.iter().map(TimelineItem::from).collect(),
            transaction: d.transaction.as_ref().map(TransactionItem::from),
            written_off_paise: d.written_off.0,
        }
    }
}

fn detail_response(d: &CaseDetail, now: DateTime<Utc>) -> Response {
    Json(DisputeDetailResponse::new(d, now)).into_response()
}

/// `GET /v1/chargebacks/{id}`.
async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let d = service::detail(&state, &user, &id).await?;
    Ok(detail_response(&d, state.clock.now()))
}

/// `POST /v1/chargebacks/{id}/actions` with `{"action": "status"|"assign"|"note"|"deadline", …}`.
async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    Json(body): Json<CaseAction>,
) -> Result<Response, AppError> {
    service::apply_action(&state, &user, ip.0, &id, &body).await?;
    let d = service::detail(&state, &user, &id).await?;
    Ok(detail_response(&d, state.clock.now()))
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

/// The body of `201` to an evidence upload.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DocumentUploadedResponse<'a> {
    content_type: &'a str,
    file_name: &'a str,
    id: Uuid,
    sha256: &'a str,
    size_bytes: i64,
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
            Json(DocumentUploadedResponse {
                content_type: &doc.content_type,
                file_name: &doc.file_name,
                id: doc.id,
                sha256: &doc.sha256,
                size_bytes: doc.size_bytes,
            }),
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
        (Ok(report), false) => Json(report).into_response(),
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
            Json(ErrorBody { error: "unauthorized", message: "The webhook signature is missing or wrong." }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
