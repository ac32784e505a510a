//! The JSON API (spec 07): public health checks, then one JSON twin per page, each calling the same
//! query functions as the page. Errors are JSON `{"error", "message"}`, never HTML.

pub mod health;

use axum::routing::get;
use axum::Router;

use crate::error::AppError;
use crate::state::AppState;

pub fn routes(config: &crate::config::Config) -> Router<AppState> {
    Router::new()
        .route("/{service}/health", get(health::service))
        .route("/overview/overview", get(crate::features::overview::api::overview))
        .nest("/disputes", crate::features::disputes::api::routes())
        .nest("/recon", crate::features::recon::api::routes(config))
        .fallback(|| async { AppError::NotFound("No such API endpoint.".into()) })
}
