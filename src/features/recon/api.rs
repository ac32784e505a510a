//! The recon JSON API so far (spec 07, under `/api/recon`): uploads, the exception catalogue and
//! the summary the staging checklist calls.

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};

use super::ingest::Kind;
use super::{queries, runs, store};
use crate::auth::guard::Authorized;
use crate::auth::Access;
use crate::error::AppError;
use crate::http::csv::{csv_response, rupees_cell};
use crate::http::form::{back_to, wants_html};
use crate::ist;
use crate::money::Paise;
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

/// `GET /v1/runs/{id}/results.csv?class=`: every result row of the class (no paging).
async fn results_csv(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, AppError> {
    caller.require(Access::AnySignedIn)?;
    let id = run_id(&id)?;
    let class = runs::valid_class(q.class.as_deref())?;
    let (rows, _) = runs::results(&state.pool, id, class, 1_000_000, 0).await?;
    let rupees = |p: Option<i64>| rupees_cell(p.map(Paise));
    csv_response(
        &format!("recon-run-{id}.csv"),
        &[
            "txn_id",
            "bank_ref",
            "utr",
            "rrn",
            "pg_amount_inr",
            "bank_amount_inr",
            "delta_inr",
            "pg_date",
            "bank_date",
            "class",
            "reason",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.txn_id.unwrap_or_default(),
                r.bank_ref.unwrap_or_default(),
                r.utr.unwrap_or_default(),
                r.rrn.unwrap_or_default(),
                rupees(r.pg_amount_paise),
                rupees(r.bank_amount_paise),
                rupees(r.delta_paise),
                r.pg_date.map(|d| d.to_string()).unwrap_or_default(),
                r.bank_date.map(|d| d.to_string()).unwrap_or_default(),
                r.class,
                r.reason_code.unwrap_or_default(),
            ]
        }),
    )
}

/// `GET /v1/uploads/{id}/errors.csv`: the refused rows of an upload (line, column, reason).
async fn upload_errors_csv(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    caller.require(Access::AnySignedIn)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No such upload.".into()))?;
    let errors = store::row_errors(&state.pool, id).await?;
    csv_response(
        &format!("upload-{id}-errors.csv"),
        &["line", "column", "message"],
        errors.into_iter().map(|e| vec![e.line.to_string(), e.column.unwrap_or_default(), e.message]),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartRun {
    cycle_date: String,
}

/// `POST /v1/runs` `{"cycleDate"}` → `202 {"id"}`; the run executes in the background.
async fn start_run(
    State(state): State<AppState>,
    caller: Authorized,
    Json(body): Json<StartRun>,
) -> Result<Response, AppError> {
    let user = caller.require(Access::OPS_WORK)?;
    let cycle_date = NaiveDate::parse_from_str(body.cycle_date.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest("cycleDate must be a date (YYYY-MM-DD).".into()))?;
    let id = runs::queue(&state.pool, cycle_date, Some(user.id), "manual").await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response())
}

fn run_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound("No recon run with that id.".into()))
}

/// `GET /v1/runs/{id}`: status, stage, progress, counts, exception records by reason, error.
async fn run(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
) -> Result<Json<super::model::RunView>, AppError> {
    caller.require(Access::AnySignedIn)?;
    Ok(Json(runs::run(&state.pool, run_id(&id)?).await?))
}

#[derive(Deserialize)]
struct ResultsQuery {
    class: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /v1/runs/{id}/results?class=&limit=&offset=`.
async fn results(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<Value>, AppError> {
    caller.require(Access::AnySignedIn)?;
    let class = runs::valid_class(q.class.as_deref())?;
    let (limit, offset) = crate::api::page_params(&q.limit, &q.offset, 100, 1000)?;
    let (items, total) = runs::results(&state.pool, run_id(&id)?, class, limit, offset).await?;
    Ok(Json(json!({ "items": items, "total": total, "limit": limit, "offset": offset })))
}

/// `POST /v1/uploads`: multipart `kind` (`pg` | `bank`), `cycleDate` (YYYY-MM-DD), `file`, optional
/// `mapping` (a format or bank layout name instead of detection).
async fn upload(
    State(state): State<AppState>,
    caller: Authorized,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let html = wants_html(&headers);
    match store_upload(&state, caller, multipart).await {
        // A browser form goes back to the workspace with the outcome in words.
        Ok(report) if html => {
            let mut notice = if report.duplicate {
                format!(
                    "This file was already uploaded ({} rows accepted then); nothing changed.",
                    report.rows_accepted
                )
            } else {
                format!(
                    "Uploaded as {}: {} rows accepted, {} rejected.",
                    report.format.clone().unwrap_or_default(),
                    report.rows_accepted,
                    report.rows_rejected
                )
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

/// The file field of a multipart request, read chunk by chunk within the size limit.
struct FieldBody<'a> {
    field: axum::extract::multipart::Field<'a>,
    read: usize,
    limit: usize,
}

impl store::Body for FieldBody<'_> {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, AppError> {
        match self.field.chunk().await.map_err(|e| read_error(e, self.limit))? {
            Some(chunk) => {
                self.read += chunk.len();
                if self.read > self.limit {
                    return Err(too_big(self.limit));
                }
                Ok(Some(chunk))
            }
            None => Ok(None),
        }
    }
}

fn too_big(limit: usize) -> AppError {
    AppError::BadRequest(format!("The file is larger than the {} MB upload limit.", limit / (1024 * 1024)))
}

fn read_error(e: axum::extract::multipart::MultipartError, limit: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_big(limit)
    } else {
        AppError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}

fn upload_kind(kind: Option<&str>) -> Result<Kind, AppError> {
    match kind.map(str::trim) {
        Some("pg") => Ok(Kind::Pg),
        Some("bank") => Ok(Kind::Bank),
        _ => Err(AppError::BadRequest("kind must be pg or bank.".into())),
    }
}

/// Read the form's fields; the file streams into the store when `kind` and `cycleDate` came
/// before it (as the page's form and `curl -F` in that order send them), else it is read whole
/// first. A `mapping` must come before the file to apply to it.
async fn store_upload(
    state: &AppState,
    caller: Authorized,
    mut multipart: Multipart,
) -> Result<store::UploadReport, AppError> {
    let user = caller.require(Access::OPS_WORK)?;
    let limit = state.config.upload_max_bytes;
    let cycle = |d: Option<&str>| {
        d.and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()).ok_or_else(|| {
            AppError::BadRequest("cycleDate must be a date (YYYY-MM-DD): the cycle the rows belong to.".into())
        })
    };
    let (mut kind, mut cycle_date, mut mapping, mut whole) = (None, None, None, None);
    let mut report = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| read_error(e, limit))? {
        match field.name().unwrap_or_default() {
            "file" if report.is_none() && whole.is_none() => {
                let name = field.file_name().unwrap_or("upload").to_string();
                if kind.is_some() && cycle_date.is_some() {
                    let upload = store::Upload {
                        kind: upload_kind(kind.as_deref())?,
                        cycle_date: cycle(cycle_date.as_deref())?,
                        file_name: &name,
                        format: mapping.as_deref(),
                        uploaded_by: Some(user.id),
                        max_rows: state.config.upload_max_rows,
                    };
                    let body = FieldBody { field, read: 0, limit };
                    report = Some(store::store(&state.pool, state.objects.clone(), upload, body).await?);
                } else {
                    let bytes = field.bytes().await.map_err(|e| read_error(e, limit))?;
                    if bytes.len() > limit {
                        return Err(too_big(limit));
                    }
                    whole = Some((name, bytes));
                }
            }
            "kind" => kind = Some(field.text().await.map_err(|e| read_error(e, limit))?),
            "cycleDate" => cycle_date = Some(field.text().await.map_err(|e| read_error(e, limit))?),
            "mapping" => mapping = Some(field.text().await.map_err(|e| read_error(e, limit))?),
            _ => {}
        }
    }
    if let Some(report) = report {
        return Ok(report);
    }
    let kind = upload_kind(kind.as_deref())?;
    let cycle_date = cycle(cycle_date.as_deref())?;
    let (file_name, bytes) =
        whole.ok_or_else(|| AppError::BadRequest("Attach the file in the field `file`.".into()))?;
    let upload = store::Upload {
        kind,
        cycle_date,
        file_name: &file_name,
        format: mapping.as_deref(),
        uploaded_by: Some(user.id),
        max_rows: state.config.upload_max_rows,
    };
    store::store(&state.pool, state.objects.clone(), upload, store::Whole(Some(bytes))).await
}

/// `POST /v1/uploads/preview` (multipart `kind`, optional `mapping`, `file`, `sampled=true` when
/// `file` is only the start of the file): the format the file would be read as and its first
/// five rows as understood, or why it would be refused. Nothing is stored.
async fn preview(
    State(state): State<AppState>,
    caller: Authorized,
    mut multipart: Multipart,
) -> Result<Json<super::model::UploadPreview>, AppError> {
    caller.require(Access::OPS_WORK)?;
    let limit = state.config.upload_max_bytes;
    let (mut kind, mut mapping, mut sampled, mut file) = (None, None, false, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| read_error(e, limit))? {
        match field.name().unwrap_or_default() {
            "file" => file = Some(field.bytes().await.map_err(|e| read_error(e, limit))?),
            "kind" => kind = Some(field.text().await.map_err(|e| read_error(e, limit))?),
            "mapping" => mapping = Some(field.text().await.map_err(|e| read_error(e, limit))?),
            "sampled" => sampled = field.text().await.map_err(|e| read_error(e, limit))?.trim() == "true",
            _ => {}
        }
    }
    let kind = upload_kind(kind.as_deref())?;
    let bytes = file.ok_or_else(|| AppError::BadRequest("Attach the file in the field `file`.".into()))?;
    let layouts = store::mappings(&state.pool).await?;
    let format =
        mapping.as_deref().filter(|m| !m.trim().is_empty()).map(|m| store::named_format(m, &layouts)).transpose()?;
    let preview = tokio::task::spawn_blocking(move || super::ingest::preview(&bytes, sampled, kind, format, &layouts))
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(AppError::BadRequest)?;
    Ok(Json(preview))
}

/// `GET /exceptions/v1/types`: the 11 V1 types of spec 2.3; extensions (FEES_VARIANCE) apart.
async fn exception_types(State(state): State<AppState>, caller: Authorized) -> Result<Json<Value>, AppError> {
    caller.require(Access::AnySignedIn)?;
    let all = queries::exception_types(&state.pool).await?;
    let (v1, extensions): (Vec<_>, Vec<_>) = all.into_iter().partition(|t| t.is_v1);
    Ok(Json(json!({ "types": v1, "extensions": extensions })))
}

#[derive(Deserialize)]
struct Window {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /summary?from=&to=`: cycle dates, default the last 7 IST days including today.
async fn summary(
    State(state): State<AppState>,
    caller: Authorized,
    Query(w): Query<Window>,
) -> Result<Json<queries::Summary>, AppError> {
    caller.require(Access::AnySignedIn)?;
    let today = ist::today(state.clock.now());
    let to = crate::api::date_param(&w.to, "to")?.unwrap_or(today);
    let from = crate::api::date_param(&w.from, "from")?.unwrap_or(to - Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest("from is after to.".into()));
    }
    Ok(Json(queries::summary(&state.pool, from, to).await?))
}
