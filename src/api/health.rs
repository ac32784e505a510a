//! `GET /health` and `GET /api/<service>/health`: public, and they check the database for real
//! (503 when it does not answer).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

/// The services of the system being replaced, now path prefixes of this one program.
pub const SERVICES: [&str; 7] = ["pg", "bank", "recon", "disputes", "overview", "analytics", "ingest"];

fn timestamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub async fn overall(State(state): State<AppState>) -> Response {
    let up = crate::db::is_up(&state.pool).await;
    let body = json!({
        "status": if up { "healthy" } else { "unhealthy" },
        "service": "settlepaisa-ops",
        "version": env!("CARGO_PKG_VERSION"),
        "timestamp": timestamp(),
        "database": if up { "up" } else { "down" },
    });
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

pub async fn service(State(state): State<AppState>, Path(service): Path<String>) -> Response {
    if !SERVICES.contains(&service.as_str()) {
        return AppError::NotFound(format!("No service named {service:?}.")).into_response();
    }
    let up = crate::db::is_up(&state.pool).await;
    let body = json!({
        "status": if up { "healthy" } else { "unhealthy" },
        "service": format!("{service}-api"),
        "timestamp": timestamp(),
        "database": if up { "up" } else { "down" },
    });
    let status = if up { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}
