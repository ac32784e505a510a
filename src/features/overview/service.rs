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
    let now = state.clock.now();
    let window = query.window(crate::ist::today(now)).map_err(AppError::BadRequest)?;
    let finance = user.may(Access::FINANCE_TILES);
    // The settlement tiles' read runs beside the snapshot's.
    let settlement_totals = async {
        if finance {
            crate::features::settlements::queries::window_totals(&state.pool, window.from, window.to).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (mut snapshot, totals) = tokio::try_join!(queries::snapshot(&state.pool, window, now), settlement_totals)?;
    snapshot.settlements =
        totals.map(|t| SettlementTotals { batches: t.batches, paid_batches: t.paid.count, net_paid: t.paid.net });
    Ok(snapshot)
}
