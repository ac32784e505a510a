//! `GET /health` and `GET /api/<service>/health`: public, and they check the database for real
//! (503 when it does not answer).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::error::AppError;
use crate::state::AppState;

/// The services of the system being replaced, now path prefixes of this one program.
pub const SERVICES: [&str; 7] = ["pg", "bank", "recon", "disputes", "overview", "analytics", "ingest"];

/// The body of a health answer; `version` only on the overall `/health`.
#[derive(Serialize)]
struct HealthResponse<'a> {
    database: &'static str,
    service: String,
    status: &'static str,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

/// Check the database and answer for `service`: 200 healthy, or 503 unhealthy when it is down.
async fn report(state: &AppState, service: String, version: Option<&str>) -> Response {
    let up = crate::db::is_up(&state.pool).await;
    let body = HealthResponse {
        database: if up { "up" } else { "down" },
        service,
        status: if up { "healthy" } else { "unhealthy" },
        timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        version,
    };
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

pub async fn overall(State(state): State<AppState>) -> Response {
    report(&state, "settlepaisa-ops".into(), Some(env!("CARGO_PKG_VERSION"))).await
}

pub async fn service(State(state): State<AppState>, Path(service): Path<String>) -> Response {
    if !SERVICES.contains(&service.as_str()) {
        return AppError::NotFound(format!("No service named {service:?}.")).into_response();
    }
    report(&state, format!("{service}-api"), None).await
}
