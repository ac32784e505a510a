//! The Analytics use case, shared by the page's server function, the JSON API and the chart CSVs:
//! authorise (every signed-in role reads it), parse the window and filters, read the facts, compute.

use chrono::Duration;

use super::model::{self, AnalyticsQuery, AnalyticsSummary, Chart};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::ist;
use crate::state::AppState;

pub async fn summary(
    state: &AppState,
    caller: &CurrentUser,
    query: &AnalyticsQuery,
) -> Result<AnalyticsSummary, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    let (window, scope) = query.parse(ist::today(now)).map_err(AppError::BadRequest)?;
    let previous = window.previous();
    // The days of both windows, and the six before this one for the first 7-day averages.
    let from = previous.from.min(window.from - Duration::days(6));
    let pool = &state.pool;
    let (days, modes, failures, ageing, acquirers) = tokio::try_join!(
        queries::day_facts(pool, from, window.to, &scope),
        queries::mode_split(pool, window.from, window.to, &scope),
        queries::payout_failures(pool, window.from, window.to),
        queries::ageing(pool, window.from, window.to, &scope, now),
        crate::features::transactions::queries::acquirers(pool),
    )?;
    Ok(AnalyticsSummary {
        window,
        previous,
        kpis: model::kpis(&days, window)?,
        previous_kpis: model::kpis(&days, previous)?,
        modes: model::modes(modes),
        gmv: model::gmv(&days, window),
        funnel: model::funnel(&days, window),
        failures: model::pareto(failures),
        match_rate: model::match_rate(&days, window),
        ageing,
        acquirers,
        scope,
        generated_at: now,
    })
}

/// One chart's numbers as CSV rows (the same rows as the page's table for it).
pub async fn chart_csv(
    state: &AppState,
    caller: &CurrentUser,
    chart: &str,
    query: &AnalyticsQuery,
) -> Result<(String, String), AppError> {
    let chart = Chart::parse(chart).ok_or_else(|| AppError::NotFound(format!("No chart {chart:?}.")))?;
    let s = summary(state, caller, query).await?;
    let table = s.chart_table(chart);
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing into memory fails only on a bug.
    let io = |_: csv::Error| AppError::Internal;
    out.write_record(&table.header).map_err(io)?;
    for row in &table.rows {
        out.write_record(row.iter().map(|c| crate::http::csv::neutralise_formula(c))).map_err(io)?;
    }
    let bytes = out.into_inner().map_err(|_| AppError::Internal)?;
    let name = format!("{}-{}-to-{}.csv", chart.param(), s.window.from, s.window.to);
    Ok((name, String::from_utf8(bytes).map_err(|_| AppError::Internal)?))
}
