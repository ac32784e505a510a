//! The JSON API (spec 07): public health checks, then one JSON twin per page, each calling the same
//! query functions as the page. Errors are JSON `{"error", "message"}`, never HTML.

pub mod health;

use axum::routing::get;
use axum::Router;

use crate::error::AppError;
use crate::features;
use crate::state::AppState;

pub fn routes(config: &crate::config::Config) -> Router<AppState> {
    let router = Router::new()
        .route("/{service}/health", get(health::service))
        .nest("/overview", features::overview::routes())
        .nest("/admin", features::settings::routes(config))
        .nest("/analytics", features::analytics::routes())
        .nest("/audit", features::audit::routes())
        .nest("/disputes", features::disputes::routes())
        .nest("/ingest", features::connectors::routes().merge(features::jobs::routes()))
        .nest("/reports", features::reports::routes())
        .nest("/settlements", features::settlements::routes())
        .nest(
            "/recon",
            features::recon::routes(config)
                .merge(features::exceptions::routes())
                .merge(features::transactions::routes()),
        )
        .fallback(|| async { AppError::NotFound("No such API endpoint.".into()) });
    // The sandbox PG and bank sources (spec 6.2) exist only when switched on.
    if config.sandbox {
        router.merge(features::connectors::sandbox_routes())
    } else {
        router
    }
}
