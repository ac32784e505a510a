//! `GET /api/analytics/v1/summary?range=|from=&to=&acquirer=&mode=` (spec 5.2's figures in the API's
//! JSON conventions: counts as integers, amounts in integer paise, rates as strings with two
//! decimals) and `GET /api/analytics/v1/charts/{chart}.csv` (one chart's numbers).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::model::{AnalyticsQuery, Kpis};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::features::overview::model::Window;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/summary", get(summary)).route("/v1/charts/{file}", get(chart_csv))
}

fn window(w: Window) -> Value {
    json!({"from": w.from, "to": w.to, "preset": w.preset.param(), "days": w.days()})
}

fn kpis(k: &Kpis) -> Value {
    json!({
        "capturedCount": k.captured,
        "capturedPaise": k.captured_paise.0,
        "settledCount": k.settled,
        "settledPaise": k.settled_paise.0,
        "unsettledCount": k.unsettled,
        "unsettledPaise": k.unsettled_paise.0,
        "settlementRate": k.settlement_rate,
        "avgSettlementHours": k.avg_settlement_hours,
    })
}

async fn summary(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Json<Value>, AppError> {
    let s = service::summary(&state, &user, &query).await?;
    Ok(Json(json!({
        "window": window(s.window),
        "previousWindow": window(s.previous),
        "filters": {"acquirer": s.scope.acquirer, "mode": s.scope.mode},
        "kpis": kpis(&s.kpis),
        "previousKpis": kpis(&s.previous_kpis),
        "modes": s.modes.iter().map(|m| json!({
            "mode": m.mode, "count": m.count, "amountPaise": m.amount.0,
            "countShare": m.count_share, "amountShare": m.amount_share,
        })).collect::<Vec<_>>(),
        "gmv": s.gmv.iter().map(|g| json!({
            "date": g.date, "capturedPaise": g.captured.0, "settledPaise": g.settled.0, "count": g.count,
            "capturedAvg7Paise": g.captured_avg7.0, "settledAvg7Paise": g.settled_avg7.0,
        })).collect::<Vec<_>>(),
        "funnel": {"captured": s.funnel.captured, "reconciled": s.funnel.reconciled,
                   "batched": s.funnel.batched, "paid": s.funnel.paid},
        "payoutFailures": s.failures.iter().map(|b| json!({
            "reason": b.reason, "label": b.label, "owner": b.owner.code(), "count": b.count,
            "cumulativePct": b.cumulative_pct,
        })).collect::<Vec<_>>(),
        "matchRate": s.match_rate.iter().map(|m| json!({
            "date": m.date, "rate": m.rate, "transactions": m.captured, "reconciled": m.reconciled,
        })).collect::<Vec<_>>(),
        "ageing": {"lt24h": s.ageing.lt24h, "d1to3": s.ageing.d1to3, "d3to7": s.ageing.d3to7, "gt7d": s.ageing.gt7d},
        "generatedAt": s.generated_at.to_rfc3339(),
    })))
}

async fn chart_csv(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(file): Path<String>,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Response, AppError> {
    let chart = file.strip_suffix(".csv").ok_or_else(|| AppError::NotFound(format!("No chart file {file:?}.")))?;
    let (name, body) = service::chart_csv(&state, &user, chart, &query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, crate::files::attachment_disposition(&name)),
        ],
        body,
    )
        .into_response())
}
