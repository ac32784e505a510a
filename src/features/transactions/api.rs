//! `GET /api/recon/v1/transactions?from=&to=&bucket=&merchantId=&acquirer=&method=&status=&minPaise=&maxPaise=&q=&sort=&dir=&limit=&offset=`,
//! `GET /api/recon/v1/transactions/{txnId}` and the CSV export `GET /api/recon/v1/transactions.csv`
//! (the page's parameters): the explorer's API twins, in the API's JSON conventions (camelCase,
//! `…Paise` integers).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{parse_sort, ExplorerQuery, Filter, RawFilter, TxnDetail, TxnRow};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::money::Paise;
use crate::paging::page_params;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/transactions", get(list))
        .route("/v1/transactions.csv", get(export_csv))
        .route("/v1/transactions/{id}", get(detail))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    from: Option<String>,
    to: Option<String>,
    merchant_id: Option<String>,
    acquirer: Option<String>,
    method: Option<String>,
    status: Option<String>,
    bucket: Option<String>,
    min_paise: Option<String>,
    max_paise: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

impl ListParams {
    fn filter(&self) -> Result<Filter, AppError> {
        let paise = |v: &Option<String>, name: &str| -> Result<Option<Paise>, AppError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .map(|p| Some(Paise(p)))
                    .ok_or_else(|| AppError::BadRequest(format!("{name} must be a whole number of paise."))),
            }
        };
        let raw = RawFilter {
            from: &self.from,
            to: &self.to,
            merchant: &self.merchant_id,
            acquirer: &self.acquirer,
            method: &self.method,
            status: &self.status,
            bucket: &self.bucket,
            q: &self.q,
        };
        raw.parse(paise(&self.min_paise, "minPaise")?, paise(&self.max_paise, "maxPaise")?)
            .map_err(AppError::BadRequest)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TxnResponse {
    id: i64,
    txn_id: String,
    merchant_id: String,
    merchant_name: String,
    amount_paise: i64,
    currency: String,
    cycle_date: NaiveDate,
    txn_at: String,
    payment_method: String,
    acquirer: Option<String>,
    utr: Option<String>,
    rrn: Option<String>,
    status: &'static str,
    batch_ref: Option<String>,
    batch_status: Option<String>,
}

impl From<TxnRow> for TxnResponse {
    fn from(r: TxnRow) -> Self {
        TxnResponse {
            id: r.id,
            txn_id: r.txn_id,
            merchant_id: r.merchant_id,
            merchant_name: r.merchant_name,
            amount_paise: r.amount.0,
            currency: r.currency,
            cycle_date: r.cycle_date,
            txn_at: r.txn_at.to_rfc3339(),
            payment_method: r.payment_method,
            acquirer: r.acquirer,
            utr: r.utr,
            rrn: r.rrn,
            status: r.status.code(),
            batch_ref: r.batch_ref,
            batch_status: r.batch_status,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    transactions: Vec<TxnResponse>,
    /// Exact when `totalExact`; otherwise more than this many (the count stops past the cap).
    total: i64,
    total_exact: bool,
    has_more: bool,
}

async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(p): Query<ListParams>,
) -> Result<Json<ListResponse>, AppError> {
    let (limit, offset) = page_params(&p.limit, &p.offset, 50, 500)?;
    let sort = parse_sort(&p.sort, &p.dir).map_err(AppError::BadRequest)?;
    let page = service::list(&state, &user, &p.filter()?, sort, limit, offset).await?;
    Ok(Json(ListResponse {
        transactions: page.rows.into_iter().map(TxnResponse::from).collect(),
        total: page.total.count,
        total_exact: page.total.exact,
        has_more: page.has_next,
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DetailResponse {
    #[serde(flatten)]
    row: TxnResponse,
    gross_paise: Option<i64>,
    gateway_status: String,
    bank_fee_paise: Option<i64>,
    expected_settlement_paise: Option<i64>,
    bank_line: Option<serde_json::Value>,
    results: Vec<serde_json::Value>,
    exception: Option<serde_json::Value>,
    settlement: Option<serde_json::Value>,
    chargebacks: Vec<serde_json::Value>,
}

fn detail_response(d: TxnDetail) -> DetailResponse {
    use serde_json::json;
    DetailResponse {
        gross_paise: d.gross.map(|p| p.0),
        gateway_status: d.gateway_status,
        bank_fee_paise: d.bank_fee.map(|p| p.0),
        expected_settlement_paise: d.expected_settlement.map(|p| p.0),
        bank_line: d.bank_line.map(|l| {
            json!({"id": l.id, "bankName": l.bank_name, "bankRef": l.bank_ref, "amountPaise": l.amount.0,
                   "txnDate": l.txn_date, "valueDate": l.value_date, "utr": l.utr})
        }),
        results: d
            .results
            .into_iter()
            .map(|r| {
                json!({"runId": r.run_id, "runCycleDate": r.run_cycle, "runFinishedAt": r.run_at.map(|t| t.to_rfc3339()),
                       "class": r.class, "reasonCode": r.reason_code, "deltaPaise": r.delta.map(|p| p.0),
                       "bankLineId": r.bank_line_id})
            })
            .collect(),
        exception: d.exception.map(|e| {
            json!({"id": e.id, "reasonCode": e.reason_code, "severity": e.severity, "status": e.status,
                   "deltaPaise": e.delta.map(|p| p.0)})
        }),
        settlement: d.settlement.map(|s| {
            json!({"batchId": s.batch_id, "batchRef": s.batch_ref, "batchStatus": s.batch_status,
                   "batchCycleDate": s.batch_cycle, "commissionPaise": s.commission.0, "gstPaise": s.gst.0,
                   "tdsPaise": s.tds.0, "reservePaise": s.reserve.0, "netPaise": s.net.0,
                   "payoutUtr": s.payout_utr, "paidAt": s.paid_at.map(|t| t.to_rfc3339())})
        }),
        chargebacks: d
            .chargebacks
            .into_iter()
            .map(|c| {
                json!({"id": c.id, "caseRef": c.case_ref, "status": c.status, "stage": c.stage,
                       "amountPaise": c.amount.0, "receivedAt": c.received_at.to_rfc3339()})
            })
            .collect(),
        row: TxnResponse::from(d.row),
    }
}

async fn detail(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<DetailResponse>, AppError> {
    Ok(Json(detail_response(service::detail(&state, &user, &id).await?)))
}

async fn export_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(q): Query<ExplorerQuery>,
) -> Result<Response, AppError> {
    service::export_csv(&state, &user, &q)?.respond().await
}
