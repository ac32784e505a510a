//! The Overview server function: authorise, resolve the window, query.

use leptos::prelude::*;

use super::model::{OverviewQuery, OverviewSnapshot};
use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "overview/snapshot")]
pub async fn get_overview(query: OverviewQuery) -> Result<OverviewSnapshot, AppError> {
    use crate::auth::{guard, Access};
    use crate::state::AppState;

    guard::require(Access::AnySignedIn)?;
    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    let now = state.clock.now();
    let window = query.window(crate::ist::today(now)).map_err(AppError::BadRequest)?;
    super::queries::snapshot(&state.pool, window, now).await
}
