//! The Overview use case, shared by the page's server function and the JSON API: authorise, then
//! the snapshot of the window the query asks for.

use super::model::{OverviewQuery, OverviewSnapshot};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

/// The snapshot for what a URL asks (`?range=` or `?from=&to=`); every role reads it.
pub async fn snapshot(
    state: &AppState,
    caller: &CurrentUser,
    query: &OverviewQuery,
) -> Result<OverviewSnapshot, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::snapshot_for(&state.pool, query, state.clock.now()).await
}
