//! The settlements JSON API (`/api/settlements/v1`, issue 12): batches (list, detail, create per
//! cycle, actions), batch runs, payout files and the batch list's CSV; the merchant-terms calls
//! come from [`super::merchants`]. Every handler calls the same use case (`service`) as the pages;
//! amounts are integer paise.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commands::ActionInput;
use super::model::{
    BatchDetail, BatchFilter, BatchRow, DeductionRow, EventRow, ItemRow, PayoutFileRow, RunRow, SettlementsQuery, Sort,
    TransferRow,
};
use super::rules::{Rail, Status};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::form::{back_to, content_type_is, is_back_path, wants_html};
use crate::http::responses::JsonBody;
use crate::http::ClientIp;
use crate::ist::date_param;
use crate::money::Paise;
use crate::paging::page_params;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/batches", get(list).post(create))
        .route("/v1/batches.csv", get(export_csv))
        .route("/v1/batches/approve", post(bulk_approve))
        .route("/v1/batches/{id}", get(detail))
        .route("/v1/batches/{id}/actions", post(action))
        .route("/v1/batches/{id}/statement.csv", get(statement_csv))
        .route("/v1/jobs/{job_id}", get(job))
        .route("/v1/payout-files", post(payout_file))
        .route("/v1/payout-files/{file}", get(payout_file_get))
        .merge(super::merchants::routes())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    cycle_date: Option<String>,
    from: Option<String>,
    to: Option<String>,
    merchant_id: Option<String>,
    status: Option<String>,
    rail: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

impl ListParams {
    fn filter(&self) -> Result<BatchFilter, AppError> {
        let cycle = date_param(&self.cycle_date, "cycleDate")?;
        if cycle.is_some() && (self.from.is_some() || self.to.is_some()) {
            return Err(AppError::BadRequest("Give either cycleDate or from/to, not both.".into()));
        }
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(BatchFilter {
            from: cycle.or(date_param(&self.from, "from")?),
            to: cycle.or(date_param(&self.to, "to")?),
            merchant_id: text(&self.merchant_id),
            status: text(&self.status)
                .map(|s| Status::parse(&s).ok_or_else(|| AppError::BadRequest(format!("Unknown status {s:?}."))))
                .transpose()?,
            rail: text(&self.rail)
                .map(|s| Rail::parse(&s).ok_or_else(|| AppError::BadRequest(format!("Unknown rail {s:?}."))))
                .transpose()?,
        })
    }
}

/// A batch as the API shows it: amounts in paise, statuses and rails as their codes, the maker and
/// checker as e-mails.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    id: Uuid,
    batch_ref: String,
    merchant_id: String,
    merchant_name: String,
    cycle_date: NaiveDate,
    status: &'static str,
    txn_count: i64,
    gross_paise: Paise,
    commission_paise: Paise,
    gst_paise: Paise,
    tds_paise: Paise,
    reserve_paise: Paise,
    deductions_paise: Paise,
    reserve_released_paise: Paise,
    fees_not_deducted_paise: Paise,
    net_paise: Paise,
    rail: &'static str,
    payout_due_on: Option<NaiveDate>,
    created_by: Option<String>,
    approved_by: Option<String>,
    created_at: DateTime<Utc>,
    approved_at: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    payout_utr: Option<String>,
    failure_reason: Option<String>,
}

impl From<BatchRow> for BatchResponse {
    fn from(b: BatchRow) -> Self {
        BatchResponse {
            id: b.id,
            batch_ref: b.batch_ref,
            merchant_id: b.merchant_id,
            merchant_name: b.merchant_name,
            cycle_date: b.cycle_date,
            status: b.status.code(),
            txn_count: b.txn_count,
            gross_paise: b.gross,
            commission_paise: b.commission,
            gst_paise: b.gst,
            tds_paise: b.tds,
            reserve_paise: b.reserve,
            deductions_paise: b.deductions,
            reserve_released_paise: b.reserve_released,
            fees_not_deducted_paise: b.fees_not_deducted,
            net_paise: b.net,
            rail: b.rail.code(),
            payout_due_on: b.payout_due_on,
            created_by: b.created_by,
            approved_by: b.approved_by,
            created_at: b.created_at,
            approved_at: b.approved_at,
            sent_at: b.sent_at,
            paid_at: b.paid_at,
            payout_utr: b.payout_utr,
            failure_reason: b.failure_reason,
        }
    }
}

#[derive(Serialize)]
struct ListResponse {
    batches: Vec<BatchResponse>,
    total: i64,
}

/// `GET /v1/batches?cycleDate=&from=&to=&merchantId=&status=&rail=&limit=&offset=`
async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(p): Query<ListParams>,
) -> Result<Json<ListResponse>, AppError> {
    let (limit, offset) = page_params(&p.limit, &p.offset, 50, 500)?;
    let page = service::list(&state, &user, &p.filter()?, Sort::default(), limit, offset).await?;
    Ok(Json(ListResponse { batches: page.rows.into_iter().map(BatchResponse::from).collect(), total: page.total }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ItemResponse {
    transaction_id: i64,
    txn_id: String,
    payment_method: String,
    txn_status: String,
    amount_paise: Paise,
    commission_paise: Paise,
    gst_paise: Paise,
    tds_paise: Paise,
    reserve_paise: Paise,
    net_paise: Paise,
    fee_bearer: String,
}

impl From<ItemRow> for ItemResponse {
    fn from(i: ItemRow) -> Self {
        ItemResponse {
            transaction_id: i.transaction_id,
            txn_id: i.txn_id,
            payment_method: i.payment_method,
            txn_status: i.txn_status,
            amount_paise: i.amount,
            commission_paise: i.commission,
            gst_paise: i.gst,
            tds_paise: i.tds,
            reserve_paise: i.reserve,
            net_paise: i.net,
            fee_bearer: i.fee_bearer,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferResponse {
    id: i64,
    rail: &'static str,
    amount_paise: Paise,
    status: String,
    utr: Option<String>,
    verification: Option<String>,
    bank_amount_paise: Option<Paise>,
    failure_reason: Option<String>,
    payout_file_id: Option<Uuid>,
    initiated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<TransferRow> for TransferResponse {
    fn from(t: TransferRow) -> Self {
        TransferResponse {
            id: t.id,
            rail: t.rail.code(),
            amount_paise: t.amount,
            status: t.status,
            utr: t.utr,
            verification: t.verification,
            bank_amount_paise: t.bank_amount,
            failure_reason: t.failure_reason,
            payout_file_id: t.payout_file_id,
            initiated_at: t.initiated_at,
            completed_at: t.completed_at,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeductionResponse {
    kind: String,
    amount_paise: Paise,
    chargeback_id: Option<Uuid>,
    case_ref: Option<String>,
    refund_txn_ref: Option<String>,
}

impl From<DeductionRow> for DeductionResponse {
    fn from(d: DeductionRow) -> Self {
        DeductionResponse {
            kind: d.kind,
            amount_paise: d.amount,
            chargeback_id: d.chargeback_id,
            case_ref: d.case_ref,
            refund_txn_ref: d.refund_txn_ref,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventResponse {
    event: String,
    actor: Option<String>,
    note: Option<String>,
    at: DateTime<Utc>,
}

impl From<EventRow> for EventResponse {
    fn from(e: EventRow) -> Self {
        EventResponse { event: e.event, actor: e.actor, note: e.note, at: e.at }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DetailResponse {
    #[serde(flatten)]
    batch: BatchResponse,
    bank_account: Option<super::model::BankAccountView>,
    items: Vec<ItemResponse>,
    items_total: i64,
    transfers: Vec<TransferResponse>,
    deductions: Vec<DeductionResponse>,
    timeline: Vec<EventResponse>,
}

impl From<BatchDetail> for DetailResponse {
    fn from(d: BatchDetail) -> Self {
        DetailResponse {
            batch: d.batch.into(),
            bank_account: d.bank_account,
            items_total: d.items.total,
            items: d.items.rows.into_iter().map(ItemResponse::from).collect(),
            transfers: d.transfers.into_iter().map(TransferResponse::from).collect(),
            deductions: d.deductions.into_iter().map(DeductionResponse::from).collect(),
            timeline: d.timeline.into_iter().map(EventResponse::from).collect(),
        }
    }
}

/// `GET /v1/batches/{id}`: the batch with its first page of items, transfers, deductions, timeline.
async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<DetailResponse>, AppError> {
    Ok(Json(service::detail(&state, &user, &id).await?.into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    cycle_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobResponse {
    job_id: Option<i64>,
    run_id: Uuid,
    already_running: bool,
}

/// `POST /v1/batches` `{"cycleDate"}` → `202 {"jobId"}`; the batches are made by a job.
async fn create(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<Response, AppError> {
    let started = service::start_run(&state, &user, ip.0, &body.cycle_date).await?;
    let body = JobResponse { job_id: started.job_id, run_id: started.run_id, already_running: started.already_running };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunResponse {
    job_id: Option<i64>,
    run_id: Uuid,
    cycle_date: NaiveDate,
    status: String,
    merchants_total: i32,
    merchants_done: i32,
    created: i32,
    skipped: i32,
    carried_forward: i32,
    /// Merchants left out of the run, with why.
    problems: Vec<String>,
    error: Option<String>,
}

impl From<RunRow> for RunResponse {
    fn from(r: RunRow) -> Self {
        RunResponse {
            job_id: r.job_id,
            run_id: r.id,
            cycle_date: r.cycle_date,
            status: r.status,
            merchants_total: r.merchants_total,
            merchants_done: r.merchants_done,
            created: r.created,
            skipped: r.skipped,
            carried_forward: r.carried_forward,
            problems: r.problems,
            error: r.error,
        }
    }
}

/// `GET /v1/jobs/{jobId}` → the batch run's status and, when done, what it created.
async fn job(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(job_id): Path<String>,
) -> Result<Json<RunResponse>, AppError> {
    let job_id: i64 = job_id.trim().parse().map_err(|_| AppError::NotFound("No batch run with that job id.".into()))?;
    Ok(Json(service::run_status(&state, &user, job_id).await?.into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionBody {
    action: String,
    reason: Option<String>,
    utr: Option<String>,
    failure_code: Option<String>,
}

/// `POST /v1/batches/{id}/actions` `{"action", "reason", "utr", "failureCode"}` → the batch.
async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Json<BatchResponse>, AppError> {
    let input = ActionInput { reason: body.reason, utr: body.utr, failure_code: body.failure_code };
    let batch = service::act(&state, &user, ip.0.as_deref(), &id, &body.action, &input).await?;
    Ok(Json(batch.into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayoutBody {
    payout_date: Option<String>,
    batch_ids: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayoutFileResponse {
    id: Uuid,
    payout_date: NaiveDate,
    file_name: String,
    batches: Vec<Uuid>,
    batch_count: i32,
    total_paise: Paise,
    sha256: String,
    generated_by: Option<String>,
    generated_at: DateTime<Utc>,
    /// False when the same batches were already in this file (nothing new was paid).
    created: bool,
    /// Approved batches due that were left out: for want of a bank account, or because the bank
    /// may have paid their failed transfer after all (their references).
    left_out: Vec<String>,
    /// Batches the bank has answered for (paid or failed); while there are any, the file is no
    /// longer downloadable.
    answered_batches: Vec<String>,
    downloadable: bool,
}

impl PayoutFileResponse {
    fn new(f: PayoutFileRow, created: bool) -> Self {
        PayoutFileResponse {
            id: f.id,
            payout_date: f.payout_date,
            file_name: f.file_name,
            batches: f.batch_ids,
            batch_count: f.batch_count,
            total_paise: f.total,
            sha256: f.sha256,
            generated_by: f.generated_by,
            generated_at: f.generated_at,
            created,
            left_out: Vec::new(),
            downloadable: f.answered_batches.is_empty(),
            answered_batches: f.answered_batches,
        }
    }
}

/// `POST /v1/payout-files` `{"payoutDate"}` or `{"batchIds": [...]}` → 201 with the file's record
/// (200 with the existing file when those batches are already in one).
async fn payout_file(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    JsonBody(body): JsonBody<PayoutBody>,
) -> Result<Response, AppError> {
    let selection = service::selection(body.payout_date.as_deref(), body.batch_ids.as_deref())?;
    let made = service::payout_file(&state, &user, ip.0.as_deref(), &selection).await?;
    let status = if made.created { StatusCode::CREATED } else { StatusCode::OK };
    let mut body = PayoutFileResponse::new(made.file, made.created);
    body.left_out = made.left_out;
    Ok((status, Json(body)).into_response())
}

/// `GET /v1/payout-files/{id}` (the record) or `{id}.csv` (the file itself).
async fn payout_file_get(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    if let Some(id) = file.strip_suffix(".csv") {
        let (name, bytes) = service::download_payout(&state, &user, id).await?;
        let disposition = crate::files::attachment_disposition(&name);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response());
    }
    let row = service::payout_file_row(&state, &user, &file).await?;
    Ok(Json(PayoutFileResponse::new(row, false)).into_response())
}

/// `GET /v1/batches.csv?from=&to=&merchant=&status=&rail=&sort=&dir=`: the list as CSV.
async fn export_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(q): Query<SettlementsQuery>,
) -> Result<Response, AppError> {
    service::export_csv(&state, &user, &q)?.respond().await
}

/// `GET /v1/batches/{id}/statement.csv`: the merchant's settlement statement for the batch.
async fn statement_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    service::statement_csv(&state, &user, &id).await?.respond().await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    ids: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RefusedResponse {
    batch_ref: String,
    reason: String,
}

fn bulk_json(result: Result<super::model::BulkOutcome, AppError>) -> Response {
    match result {
        Ok(o) => Json(BulkResponse {
            approved: o.approved,
            refused: o.refused.into_iter().map(|(batch_ref, reason)| RefusedResponse { batch_ref, reason }).collect(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Serialize)]
struct BulkResponse {
    approved: i64,
    refused: Vec<RefusedResponse>,
}

/// `POST /v1/batches/approve`: JSON `{"ids": [...]}`, or the desk's form (the ticked rows' `ids`
/// and the page to go `back` to). Each batch is approved if this user may (maker-checker is checked
/// per batch); the answer counts what changed and says why the rest did not.
async fn bulk_approve(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if content_type_is(&headers, "application/json") {
        let result = async {
            let body: BulkBody = serde_json::from_slice(&body)
                .map_err(|e| AppError::BadRequest(format!("The body must be {{\"ids\": [batch ids]}}: {e}")))?;
            service::bulk_approve(&state, &user, ip.0.as_deref(), &body.ids).await
        }
        .await;
        return bulk_json(result);
    }
    let pairs: Vec<(String, String)> = match serde_urlencoded::from_bytes(&body) {
        Ok(p) => p,
        Err(_) => return AppError::BadRequest("The form could not be read.".into()).into_response(),
    };
    let ids: Vec<String> = pairs.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.clone()).collect();
    let back = pairs
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.clone())
        .filter(|b| is_back_path(b, "/settlements"))
        .unwrap_or_else(|| "/settlements".into());
    let result = service::bulk_approve(&state, &user, ip.0.as_deref(), &ids).await;
    if !wants_html(&headers) {
        return bulk_json(result);
    }
    match result {
        Ok(o) if o.refused.is_empty() => back_to(&back, "notice", &format!("{} batches approved.", o.approved)),
        Ok(o) => {
            let why: Vec<String> = o.refused.iter().map(|(_, reason)| reason.clone()).collect();
            back_to(
                &back,
                "notice",
                &format!("{} batches approved; {} not: {}", o.approved, o.refused.len(), why.join(" ")),
            )
        }
        Err(e) => back_to(&back, "error", &e.to_string()),
    }
}
