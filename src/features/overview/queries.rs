//! The Overview snapshot in one round trip.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::model::{Bucket, OverviewQuery, OverviewSnapshot, Pipeline, Window};
use crate::error::AppError;
use crate::features::recon::queries::{window_totals, CountAmount};
use crate::ist;
use crate::money::Paise;

/// The snapshot for what a URL asks (`?range=` or `?from=&to=`), resolved against today in IST.
/// The page's server function and the JSON API both come through here.
pub async fn snapshot_for(
    pool: &PgPool,
    query: &OverviewQuery,
    now: DateTime<Utc>,
) -> Result<OverviewSnapshot, AppError> {
    let window = query.window(ist::today(now)).map_err(AppError::BadRequest)?;
    snapshot(pool, window, now).await
}

/// Every figure uses the transaction (cycle) date window, except open chargebacks, which are the
/// open cases received in the same IST days. The figures are the window totals that
/// `GET /api/recon/summary` reports as well, from the same query.
pub async fn snapshot(pool: &PgPool, window: Window, now: DateTime<Utc>) -> Result<OverviewSnapshot, AppError> {
    let t = window_totals(pool, window.from, window.to).await?;
    let bucket = |c: CountAmount| Bucket { count: c.count, amount: c.amount_paise };
    let captured = bucket(t.transactions);
    let in_settlement = bucket(t.in_settlement);
    let sent_to_bank = bucket(t.sent_to_bank);
    let credited = bucket(t.credited);
    let unsettled = Bucket {
        count: captured.count - in_settlement.count - sent_to_bank.count - credited.count,
        amount: captured.amount.checked_sub(Paise::checked_sum([
            in_settlement.amount,
            sent_to_bank.amount,
            credited.amount,
        ])?)?,
    };
    Ok(OverviewSnapshot {
        window,
        transactions: t.transactions.count,
        total: t.transactions.amount_paise,
        reconciled: t.reconciled.count,
        reconciled_amount: t.reconciled.amount_paise,
        open_exceptions: t.open_exceptions.count,
        open_chargebacks: t.open_chargebacks,
        pipeline: Pipeline { captured, in_settlement, sent_to_bank, credited, unsettled },
        settlements: None,
        generated_at: now,
    })
}
