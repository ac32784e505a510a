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
        .nest("/recon", crate::features::recon::api::routes(config).merge(crate::features::exceptions::api::routes()))
        .fallback(|| async { AppError::NotFound("No such API endpoint.".into()) })
}

/// An optional `YYYY-MM-DD` query parameter; a bad one is a 400 naming the parameter.
pub fn date_param(value: &Option<String>, name: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    value
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|d| crate::ist::parse_date(d, name))
        .transpose()
}

/// `limit` (default `default`, 1..=`max`) and `offset` (≥ 0) query parameters.
pub fn page_params(
    limit: &Option<String>,
    offset: &Option<String>,
    default: i64,
    max: i64,
) -> Result<(i64, i64), AppError> {
    let number = |v: &Option<String>, fallback: i64| v.as_deref().map_or(Ok(fallback), |s| s.trim().parse::<i64>());
    let (Ok(limit), Ok(offset)) = (number(limit, default), number(offset, 0)) else {
        return Err(AppError::BadRequest("limit and offset must be whole numbers.".into()));
    };
    if !(1..=max).contains(&limit) || !(0..=crate::paging::MAX_OFFSET).contains(&offset) {
        return Err(AppError::BadRequest(format!("limit must be 1–{max} and offset 0–{}.", crate::paging::MAX_OFFSET)));
    }
    Ok((limit, offset))
}
