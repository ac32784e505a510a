//! The Overview server function: authorise, resolve the window, query.

use leptos::prelude::*;

use super::model::{OverviewQuery, OverviewSnapshot};
use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "overview/snapshot")]
pub async fn get_overview(#[server(default)] query: OverviewQuery) -> Result<OverviewSnapshot, AppError> {
    use crate::auth::{guard, Access};
    use crate::state::AppState;

    guard::require(Access::AnySignedIn)?;
    let state = use_context::<AppState>().ok_or(AppError::Internal)?;
    super::queries::snapshot_for(&state.pool, &query, state.clock.now()).await
}
