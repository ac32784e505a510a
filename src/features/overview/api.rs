//! `GET /api/overview/overview?range=7d` or `?from=…&to=…`: the same snapshot as the page, in the
//! API's JSON conventions (camelCase, `…Paise` integers).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::model::{Bucket, OverviewQuery};
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/overview", get(overview))
}

fn bucket(b: Bucket) -> Value {
    json!({ "count": b.count, "amountPaise": b.amount.0 })
}

async fn overview(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(query): Query<OverviewQuery>,
) -> Result<Json<Value>, AppError> {
    let s = super::service::snapshot(&state, &user, &query).await?;
    let variance = s.variance()?;
    Ok(Json(json!({
        "window": { "from": s.window.from, "to": s.window.to, "preset": s.window.preset.param() },
        "kpis": {
            "transactions": s.transactions,
            "totalPaise": s.total.0,
            "reconciled": s.reconciled,
            "reconciledPaise": s.reconciled_amount.0,
            "varianceCount": variance.count,
            "variancePaise": variance.amount.0,
            "openExceptions": s.open_exceptions,
            "openChargebacks": s.open_chargebacks,
        },
        "pipeline": {
            "captured": s.pipeline.captured.count,
            "inSettlement": s.pipeline.in_settlement.count,
            "sentToBank": s.pipeline.sent_to_bank.count,
            "credited": s.pipeline.credited.count,
            "unsettled": s.pipeline.unsettled.count,
            "amounts": {
                "captured": bucket(s.pipeline.captured),
                "inSettlement": bucket(s.pipeline.in_settlement),
                "sentToBank": bucket(s.pipeline.sent_to_bank),
                "credited": bucket(s.pipeline.credited),
                "unsettled": bucket(s.pipeline.unsettled),
            },
        },
        "generatedAt": s.generated_at.to_rfc3339(),
    })))
}
