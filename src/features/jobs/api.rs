//! `/api/ingest/v1/jobs` (admin): the jobs console's twin.
//!
//! - `GET jobs?status=` → `{"jobs": [{"id", "kind", "status", "attempts", "maxAttempts", "runAt",
//!   "createdAt", "finishedAt", "lastError", "key"}], "counts": {"queued": n, …}}`, newest first;
//! - `POST jobs/{id}/actions` `{"action": "retry"|"cancel"}` → `200` with the job; `409` in words
//!   when the job is not in a state for it.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::responses::JsonBody;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/jobs", get(list)).route("/v1/jobs/{id}/actions", post(action))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, AppError> {
    let view = service::view(&state, &user, q.status.as_deref()).await?;
    let counts: serde_json::Map<String, Value> = view.counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    Ok(Json(json!({ "jobs": view.jobs, "counts": counts })))
}

#[derive(Deserialize)]
struct ActionBody {
    action: String,
}

fn job_id(text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| AppError::NotFound("There is no such job.".into()))
}

async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Json<Value>, AppError> {
    crate::auth::guard::authorize(Some(&user), crate::auth::Access::ADMIN)?;
    let id = job_id(&id)?;
    match body.action.as_str() {
        "retry" => service::retry(&state, &user, ip.as_deref(), id).await?,
        "cancel" => service::cancel(&state, &user, ip.as_deref(), id).await?,
        other => return Err(AppError::BadRequest(format!("{other:?} is not an action: use retry or cancel."))),
    }
    Ok(Json(json!(service::job(&state, &user, id).await?)))
}
