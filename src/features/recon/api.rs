//! The recon JSON API so far (spec 07, under `/api/recon`): uploads, the exception catalogue and
//! the summary the staging checklist calls.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::model::ResultRow;
use super::queries::{self, ExceptionType};
use super::service::{self, UploadFields};
use super::store;
use crate::auth::guard::Authorized;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::http::form::{back_to, multipart_error, upload_too_big, wants_html};
use crate::http::responses::IdResponse;
use crate::state::AppState;

pub fn routes(config: &crate::config::Config) -> Router<AppState> {
    Router::new()
        .route("/exceptions/v1/types", get(exception_types))
        .route("/summary", get(summary))
        .route("/v1/uploads", post(upload).layer(DefaultBodyLimit::max(config.upload_max_bytes + 64 * 1024)))
        .route("/v1/uploads/preview", post(preview).layer(DefaultBodyLimit::max(config.upload_max_bytes + 64 * 1024)))
        .route("/v1/runs", post(start_run))
        .route("/v1/runs/{id}", get(run))
        .route("/v1/runs/{id}/results", get(results))
        .route("/v1/runs/{id}/results.csv", get(results_csv))
        .route("/v1/uploads/{id}/errors.csv", get(upload_errors_csv))
}

/// `GET /v1/runs/{id}/results.csv?class=`: every result row of the class (no paging), streamed
/// (see [`service::results_csv`]).
async fn results_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, AppError> {
    service::results_csv(&state, &user, &id, q.class.as_deref())?.respond().await
}

/// `GET /v1/uploads/{id}/errors.csv`: the refused rows of an upload (line, column, reason).
async fn upload_errors_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    service::upload_errors_csv(&state, &user, &id)?.respond().await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRun {
    cycle_date: String,
}

/// `POST /v1/runs` `{"cycleDate"}` → `202 {"id"}`; the run executes in the background.
async fn start_run(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Json(body): Json<StartRun>,
) -> Result<Response, AppError> {
    let id = service::start_run(&state, &user, &body.cycle_date).await?;
    Ok((StatusCode::ACCEPTED, Json(IdResponse { id })).into_response())
}

/// `GET /v1/runs/{id}`: status, stage, progress, counts, exception records by reason, error.
async fn run(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<super::model::RunView>, AppError> {
    Ok(Json(service::run(&state, &user, &id).await?))
}

#[derive(Deserialize)]
struct ResultsQuery {
    class: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// The body of `GET /v1/runs/{id}/results`: one page and the count of all rows of the class.
#[derive(Serialize)]
struct ResultsResponse {
    items: Vec<ResultRow>,
    limit: i64,
    offset: i64,
    total: i64,
}

/// `GET /v1/runs/{id}/results?class=&limit=&offset=`.
async fn results(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<ResultsResponse>, AppError> {
    let (limit, offset) = crate::paging::page_params(&q.limit, &q.offset, 100, 1000)?;
    let (items, total) = service::results(&state, &user, &id, q.class.as_deref(), limit, offset).await?;
    Ok(Json(ResultsResponse { items, limit, offset, total }))
}

/// `POST /v1/uploads`: multipart `kind` (`pg` | `bank`), `cycleDate` (YYYY-MM-DD), `file`, optional
/// `mapping` (a format or bank layout name instead of detection), `merchantId` (for a layout
/// without a merchant column), `amountUnit` (`rupees` | `paise`, for a layout whose amount column
/// does not say it) and `saveUnit=true` (admin: keep that unit on the stored layout). Fields after
/// `file` do not apply to it.
async fn upload(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let html = wants_html(&headers);
    match store_upload(&state, &user, multipart).await {
        // A browser form goes back to the workspace with the outcome in words.
        Ok(report) if html => {
            let mut notice = if report.duplicate {
                format!(
                    "This file was already uploaded ({} rows accepted then); nothing changed.",
                    report.rows_accepted
                )
            } else {
                let mut n = format!(
                    "Uploaded as {} (amounts read as {}): {} rows accepted, {} rejected, {} skipped.",
                    report.format.clone().unwrap_or_default(),
                    report.amount_unit.clone().unwrap_or_default(),
                    report.rows_accepted,
                    report.rows_rejected,
                    report.rows_skipped,
                );
                for s in &report.skipped {
                    let rows = if s.rows == 1 { "1 row".to_string() } else { format!("{} rows", s.rows) };
                    n.push_str(&format!(" Skipped {rows}: {}.", s.reason));
                }
                if !report.unknown_merchants.is_empty() {
                    let codes: Vec<String> =
                        report.unknown_merchants.iter().map(|u| format!("{} ({} rows)", u.code, u.rows)).collect();
                    n.push_str(&format!(
                        " Merchants not known yet: {} — their rows are reconciled but kept out of settlement until \
                         an admin creates each merchant or maps its code to an existing one (Settlements → Merchants).",
                        codes.join(", ")
                    ));
                }
                n
            };
            for e in report.errors.iter().take(3) {
                notice.push_str(&format!(" Line {}: {}.", e.line, e.message));
            }
            back_to("/recon", "notice", &notice)
        }
        Err(e) if html => back_to("/recon", "error", &format!("Upload refused: {e}")),
        Ok(report) => {
            let status = if report.duplicate { StatusCode::OK } else { StatusCode::CREATED };
            (status, Json(report)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The text fields read so far (`kind`, `cycleDate`, `mapping`, `merchantId`, `amountUnit`).
fn upload_fields<'a>(text: [&'a Option<String>; 5], save_unit: bool) -> UploadFields<'a> {
    let [kind, cycle_date, mapping, merchant, unit] = text.map(Option::as_deref);
    UploadFields { kind, cycle_date, mapping, merchant, unit, save_unit }
}

/// The file field of a multipart request, read chunk by chunk within the size limit.
struct FieldBody<'a> {
    field: axum::extract::multipart::Field<'a>,
    read: usize,
    limit: usize,
}

impl store::Body for FieldBody<'_> {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, AppError> {
        match self.field.chunk().await.map_err(|e| multipart_error(e, self.limit))? {
            Some(chunk) => {
                self.read += chunk.len();
                if self.read > self.limit {
                    return Err(upload_too_big(self.limit));
                }
                Ok(Some(chunk))
            }
            None => Ok(None),
        }
    }
}

/// Read the form's fields (for an uploader only); the file streams into the store when `kind`
/// and `cycleDate` came before it (as the page's form and `curl -F` in that order send them),
/// else it is read whole first. A `mapping` must come before the file to apply to it.
async fn store_upload(
    state: &AppState,
    user: &CurrentUser,
    mut multipart: Multipart,
) -> Result<store::UploadReport, AppError> {
    let uploader = service::uploader(user)?;
    let limit = state.config.upload_max_bytes;
    let (mut kind, mut cycle_date, mut mapping, mut whole) = (None, None, None, None);
    let (mut merchant, mut unit, mut save_unit) = (None, None, false);
    let mut report = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        match field.name().unwrap_or_default() {
            "file" if report.is_none() && whole.is_none() => {
                let name = field.file_name().unwrap_or("upload").to_string();
                if kind.is_some() && cycle_date.is_some() {
                    let fields = upload_fields([&kind, &cycle_date, &mapping, &merchant, &unit], save_unit);
                    let body = FieldBody { field, read: 0, limit };
                    report = Some(service::store_upload(state, &uploader, fields, Some((&name, body))).await?);
                } else {
                    let bytes = field.bytes().await.map_err(|e| multipart_error(e, limit))?;
                    if bytes.len() > limit {
                        return Err(upload_too_big(limit));
                    }
                    whole = Some((name, bytes));
                }
            }
            "kind" => kind = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "cycleDate" => cycle_date = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "mapping" => mapping = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "merchantId" => merchant = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "amountUnit" => unit = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "saveUnit" => save_unit = field.text().await.map_err(|e| multipart_error(e, limit))?.trim() == "true",
            _ => {}
        }
    }
    if let Some(report) = report {
        return Ok(report);
    }
    let fields = upload_fields([&kind, &cycle_date, &mapping, &merchant, &unit], save_unit);
    let file = whole.as_ref().map(|(name, bytes)| (name.as_str(), store::Whole(Some(bytes.clone()))));
    service::store_upload(state, &uploader, fields, file).await
}

/// `POST /v1/uploads/preview` (multipart `kind`, optional `mapping`, `file`, `sampled=true` when
/// `file` is only the start of the file): the format the file would be read as and its first
/// five rows as understood, or why it would be refused. Nothing is stored.
async fn preview(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    mut multipart: Multipart,
) -> Result<Json<super::model::UploadPreview>, AppError> {
    let uploader = service::uploader(&user)?;
    let limit = state.config.upload_max_bytes;
    let (mut kind, mut mapping, mut sampled, mut file) = (None, None, false, None);
    let (mut merchant, mut unit, mut cycle_date) = (None, None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        match field.name().unwrap_or_default() {
            "file" => file = Some(field.bytes().await.map_err(|e| multipart_error(e, limit))?),
            "kind" => kind = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "mapping" => mapping = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "merchantId" => merchant = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "amountUnit" => unit = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "cycleDate" => cycle_date = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "sampled" => sampled = field.text().await.map_err(|e| multipart_error(e, limit))?.trim() == "true",
            _ => {}
        }
    }
    let fields = UploadFields {
        kind: kind.as_deref(),
        mapping: mapping.as_deref(),
        merchant: merchant.as_deref(),
        unit: unit.as_deref(),
        cycle_date: cycle_date.as_deref(),
        save_unit: false,
    };
    Ok(Json(service::preview(&state, &uploader, fields, sampled, file).await?))
}

/// The body of `GET /exceptions/v1/types`.
#[derive(Serialize)]
struct ExceptionTypesResponse {
    extensions: Vec<ExceptionType>,
    types: Vec<ExceptionType>,
}

/// `GET /exceptions/v1/types`: the 11 V1 types of spec 2.3; extensions (FEES_VARIANCE) apart.
async fn exception_types(
    State(state): State<AppState>,
    Authorized(user): Authorized,
) -> Result<Json<ExceptionTypesResponse>, AppError> {
    let all = service::exception_types(&state, &user).await?;
    let (v1, extensions): (Vec<_>, Vec<_>) = all.into_iter().partition(|t| t.is_v1);
    Ok(Json(ExceptionTypesResponse { extensions, types: v1 }))
}

#[derive(Deserialize)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /summary?from=&to=`: cycle dates, default the last 7 IST days including today.
async fn summary(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(w): Query<Window>,
) -> Result<Json<queries::Summary>, AppError> {
    Ok(Json(service::summary(&state, &user, &w.from, &w.to).await?))
}
