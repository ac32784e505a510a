//! `/api/ingest/v1`: the connectors as JSON, the page's twin.
//!
//! - `GET connectors` → `{"connectors": [{"id", "name", "type", "status", "health", "healthReason",
//!   "schedule", "timezone", "nextRuns", "lastSuccessAt"}]}` (every signed-in role);
//! - `GET connectors/{id}` → the connector as its card shows it, its settings included: never a
//!   secret, only `secrets: [{"name", "setAt", "fromEnv"}]`;
//! - `POST connectors` (admin) `{"name", "type": "BANK_SFTP"|"PG_API", "schedule", "timezone",
//!   "autoRecon", "config": {…}, "secrets": {…}}` → `201` with the connector; BANK_SFTP config `host,
//!   port, username, directory, pattern, sidecar, layout`, secrets `password` or `privateKey`;
//!   PG_API config `baseUrl, merchantCodes, daysBack`, secret `apiKey`. `400` names every problem.
//! - `PUT connectors/{id}` (admin) the same body (secrets left out stay; `version`, the
//!   `updatedAt` read, refuses an edit over a newer change with `409`) → `200` with the connector;
//! - `DELETE connectors/{id}` (admin) → `204`;
//! - `POST connectors/{id}/actions` (`sp-ops`, admin) `{"action": "pause"|"resume"}` → `200` with the
//!   connector; `{"action": "run", "cycleDate"?}` and `{"action": "backfill", "from", "to"}` → `202
//!   {"runIds"}` (`409` while a run of the connector for a date is live); `{"action": "test",
//!   "cycleDate"?}` → `200 {"runId", "ok", "error", "files", "hostKeyFingerprint"}`;
//!   `{"action": "forgetHostKey"}` (admin) → `200` with the connector;
//! - `GET connectors/{id}/runs` → `{"runs": [{"id", "type", "status", "cycleDate", "filesSeen",
//!   "filesIngested", "rowsIngested", "error", "files", …}]}`, newest first; `GET runs/{id}` → one.
//!
//! And, with `SANDBOX=true` only, the sandbox sources of spec 6.2 (their data in [`super::sandbox`]):
//! `GET /api/pg/v1/transactions?cycleDate=&merchant=&page=` and `GET /api/bank/v1/statements?cycleDate=`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{ConnectorCard, ConnectorInput, RunView};
use super::{sandbox, service};
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::responses::JsonBody;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/connectors", get(list).post(create))
        .route("/v1/connectors/{id}", get(one).put(update).delete(remove))
        .route("/v1/connectors/{id}/actions", post(action))
        .route("/v1/connectors/{id}/runs", get(runs))
        .route("/v1/runs/{id}", get(one_run))
}

/// A card without its settings: the list's line.
fn summary(c: &ConnectorCard) -> Value {
    json!({
        "id": c.id, "name": c.name, "type": c.kind, "status": c.status, "health": c.health.code(),
        "healthReason": c.health_reason, "schedule": c.schedule, "timezone": c.timezone,
        "nextRuns": c.next_runs, "lastSuccessAt": c.last_success_at,
    })
}

/// A card in full; `health` as its code, like the list.
fn full(c: &ConnectorCard) -> Value {
    let mut value = serde_json::to_value(c).unwrap_or_default();
    value["health"] = json!(c.health.code());
    value
}

async fn list(State(state): State<AppState>, Authorized(user): Authorized) -> Result<Json<Value>, AppError> {
    let view = service::view(&state, &user).await?;
    Ok(Json(json!({ "connectors": view.cards.iter().map(summary).collect::<Vec<_>>() })))
}

async fn one(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let card = service::card(&state, &user, service::parse_id(&id)?).await?;
    Ok(Json(full(&card)))
}

async fn create(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    JsonBody(input): JsonBody<ConnectorInput>,
) -> Result<Response, AppError> {
    let id = service::create(&state, &user, ip.as_deref(), &input).await?;
    let card = service::card(&state, &user, id).await?;
    Ok((StatusCode::CREATED, Json(full(&card))).into_response())
}

async fn update(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<ConnectorInput>,
) -> Result<Json<Value>, AppError> {
    let id = service::parse_id(&id)?;
    service::update(&state, &user, ip.as_deref(), id, &input).await?;
    Ok(Json(full(&service::card(&state, &user, id).await?)))
}

async fn remove(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &user, ip.as_deref(), service::parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionBody {
    action: String,
    #[serde(default)]
    cycle_date: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn date_field(value: Option<&str>, name: &str) -> Result<Option<NaiveDate>, AppError> {
    value.filter(|v| !v.trim().is_empty()).map(|v| crate::ist::parse_date(v, name)).transpose()
}

/// A run as the API lists it: its line, with its files.
fn run_json(r: &RunView) -> Value {
    json!({
        "id": r.id, "connectorId": r.connector_id, "type": r.run_type, "status": r.status, "cycleDate": r.cycle_date,
        "queuedAt": r.queued_at, "startedAt": r.started_at, "finishedAt": r.finished_at, "startedBy": r.started_by,
        "filesSeen": r.files_seen, "filesIngested": r.files_ingested, "rowsIngested": r.rows_ingested,
        "error": r.error, "files": r.files, "reconRunId": r.recon_run_id, "note": r.note,
    })
}

async fn runs(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let runs = service::runs_of(&state, &user, service::parse_id(&id)?, 100).await?;
    Ok(Json(json!({ "runs": runs.iter().map(run_json).collect::<Vec<_>>() })))
}

async fn one_run(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id =
        uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("There is no such connector run.".into()))?;
    Ok(Json(run_json(&service::run(&state, &user, id).await?)))
}

async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Response, AppError> {
    let id = service::parse_id(&id)?;
    match body.action.as_str() {
        "pause" | "resume" => {
            service::set_paused(&state, &user, ip.as_deref(), id, body.action == "pause").await?;
            Ok(Json(full(&service::card(&state, &user, id).await?)).into_response())
        }
        "run" => {
            crate::auth::guard::authorize(Some(&user), crate::auth::Access::OPS_WORK)?;
            let cycle = date_field(body.cycle_date.as_deref(), "cycleDate")?;
            let ids = service::run_now(&state, &user, ip.as_deref(), id, cycle).await?;
            Ok((StatusCode::ACCEPTED, Json(json!({ "runIds": ids }))).into_response())
        }
        "backfill" => {
            crate::auth::guard::authorize(Some(&user), crate::auth::Access::OPS_WORK)?;
            let (from, to) = (date_field(body.from.as_deref(), "from")?, date_field(body.to.as_deref(), "to")?);
            let ids = service::backfill(&state, &user, ip.as_deref(), id, from, to).await?;
            Ok((StatusCode::ACCEPTED, Json(json!({ "runIds": ids }))).into_response())
        }
        "test" => {
            crate::auth::guard::authorize(Some(&user), crate::auth::Access::OPS_WORK)?;
            let cycle = date_field(body.cycle_date.as_deref(), "cycleDate")?;
            let tested = service::test(&state, &user, id, cycle).await?;
            let card = service::card(&state, &user, id).await?;
            Ok(Json(json!({
                "runId": tested.run_id,
                "ok": tested.outcome.error_text().is_none(),
                "error": tested.outcome.error_text().map(|e| super::runs::clip(&e)),
                "files": tested.outcome.files,
                "hostKeyFingerprint": card.host_key_fingerprint,
            }))
            .into_response())
        }
        "forgetHostKey" => {
            service::forget_host_key(&state, &user, ip.as_deref(), id).await?;
            Ok(Json(full(&service::card(&state, &user, id).await?)).into_response())
        }
        other => Err(AppError::BadRequest(format!(
            "{other:?} is not an action: use test, run, pause, resume, backfill or forgetHostKey."
        ))),
    }
}

/// The sandbox sources (spec 6.2), mounted at `/api` when `SANDBOX=true` (see [`super::sandbox`]).
pub fn sandbox_routes() -> Router<AppState> {
    Router::new().route("/pg/v1/transactions", get(pg_transactions)).route("/bank/v1/statements", get(bank_statements))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PgQuery {
    cycle_date: Option<String>,
    merchant: Option<String>,
    page: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BankQuery {
    cycle_date: Option<String>,
}

fn cycle_date(text: Option<&str>) -> Result<NaiveDate, AppError> {
    let text = text.ok_or_else(|| AppError::BadRequest("Give cycleDate=YYYY-MM-DD.".into()))?;
    crate::ist::parse_date(text, "cycleDate")
}

/// The sandbox answers only when it is on: otherwise there is no such endpoint.
fn on(state: &AppState) -> Result<(), AppError> {
    if state.config.sandbox {
        Ok(())
    } else {
        Err(AppError::NotFound("No such API endpoint.".into()))
    }
}

async fn pg_transactions(
    State(state): State<AppState>,
    Authorized(_user): Authorized,
    Query(q): Query<PgQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    on(&state)?;
    let cycle = cycle_date(q.cycle_date.as_deref())?;
    let merchant = sandbox::check_merchant(q.merchant.as_deref().unwrap_or_default())?;
    let page = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| AppError::BadRequest(format!("page must be a whole number from 1, not {p:?}.")))?,
    };
    let all = sandbox::transactions(cycle, merchant);
    let total_pages = all.len().div_ceil(sandbox::PAGE_SIZE).max(1);
    let rows: Vec<&sandbox::SandboxTxn> =
        all.iter().skip((page - 1).saturating_mul(sandbox::PAGE_SIZE)).take(sandbox::PAGE_SIZE).collect();
    Ok(Json(serde_json::json!({
        "cycleDate": cycle, "merchant": merchant, "page": page, "pageSize": sandbox::PAGE_SIZE,
        "totalPages": total_pages, "total": all.len(), "transactions": rows,
    })))
}

async fn bank_statements(
    State(state): State<AppState>,
    Authorized(_user): Authorized,
    Query(q): Query<BankQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    on(&state)?;
    let cycle = cycle_date(q.cycle_date.as_deref())?;
    Ok(Json(serde_json::json!({ "cycleDate": cycle, "bankName": sandbox::BANK, "lines": sandbox::statement(cycle) })))
}
