//! The recon JSON API so far (spec 07, under `/api/recon`): the exception catalogue and the
//! summary the staging checklist calls.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};

use super::queries;
use crate::auth::guard::Authorized;
use crate::auth::Access;
use crate::error::AppError;
use crate::ist;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/exceptions/v1/types", get(exception_types)).route("/summary", get(summary))
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
    let date = |v: &Option<String>, name: &str| {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| AppError::BadRequest(format!("{name} must be a date (YYYY-MM-DD).")))
            })
            .transpose()
    };
    let today = ist::today(state.clock.now());
    let to = date(&w.to, "to")?.unwrap_or(today);
    let from = date(&w.from, "from")?.unwrap_or(to - Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest("from is after to.".into()));
    }
    Ok(Json(queries::summary(&state.pool, from, to).await?))
}
