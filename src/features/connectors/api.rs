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
//! - `POST connectors/{id}/actions` `{"action": "pause"|"resume"}` (`sp-ops`, admin) → `200` with the
//!   connector. `test`, `run` and `backfill` are not built yet: `501` says so.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{ConnectorCard, ConnectorInput};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/connectors", get(list).post(create))
        .route("/v1/connectors/{id}", get(one).put(update).delete(remove))
        .route("/v1/connectors/{id}/actions", post(action))
}

fn connector_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("There is no such connector.".into()))
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
    let card = service::card(&state, &user, connector_id(&id)?).await?;
    Ok(Json(full(&card)))
}

async fn create(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Json(input): Json<ConnectorInput>,
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
    Json(input): Json<ConnectorInput>,
) -> Result<Json<Value>, AppError> {
    let id = connector_id(&id)?;
    service::update(&state, &user, ip.as_deref(), id, &input).await?;
    Ok(Json(full(&service::card(&state, &user, id).await?)))
}

async fn remove(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &user, ip.as_deref(), connector_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ActionBody {
    action: String,
}

async fn action(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(body): Json<ActionBody>,
) -> Result<Response, AppError> {
    let id = connector_id(&id)?;
    match body.action.as_str() {
        "pause" | "resume" => {
            service::set_paused(&state, &user, ip.as_deref(), id, body.action == "pause").await?;
            Ok(Json(full(&service::card(&state, &user, id).await?)).into_response())
        }
        "test" | "run" | "backfill" => {
            // The role check first, so a reader learns nothing more than 403.
            crate::auth::guard::authorize(Some(&user), crate::auth::Access::OPS_WORK)?;
            Ok((
                StatusCode::NOT_IMPLEMENTED,
                Json(json!({
                    "error": "not_built",
                    "message": format!("The {} action is not built yet: connector runs arrive with the next part of the connectors feature.", body.action),
                })),
            )
                .into_response())
        }
        other => {
            Err(AppError::BadRequest(format!("{other:?} is not an action: use test, run, pause, resume or backfill.")))
        }
    }
}
