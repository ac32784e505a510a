//! The Overview use case, shared by the page's server function and the JSON API: authorise, then
//! the snapshot of the window the query asks for, with the settlement tiles for finance users.

use super::model::{OverviewQuery, OverviewSnapshot, SettlementTotals};
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
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let mut snapshot = queries::snapshot_for(&state.pool, query, state.clock.now()).await?;
    if user.may(Access::FINANCE_TILES) {
        let (from, to) = (snapshot.window.from, snapshot.window.to);
        let t = crate::features::settlements::queries::window_totals(&state.pool, from, to).await?;
        snapshot.settlements =
            Some(SettlementTotals { batches: t.batches, paid_batches: t.paid.count, net_paid: t.paid.net });
    }
    Ok(snapshot)
}
