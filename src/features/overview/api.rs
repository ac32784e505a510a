//! `GET /api/overview/overview?range=7d` or `?from=…&to=…`: the same snapshot as the page, in the
//! API's JSON conventions (camelCase, `…Paise` integers).

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;

use super::model::{Bucket, OverviewQuery};
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/overview", get(overview))
}

/// The body of `GET /overview`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewResponse {
    generated_at: String,
    kpis: OverviewKpis,
    pipeline: OverviewPipeline,
    window: OverviewWindow,
    /// Finance users and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    settlements: Option<OverviewSettlements>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewSettlements {
    batches: i64,
    paid_batches: i64,
    net_paid_paise: i64,
}

#[derive(Serialize)]
struct OverviewWindow {
    from: NaiveDate,
    preset: &'static str,
    to: NaiveDate,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewKpis {
    open_chargebacks: i64,
    open_exceptions: i64,
    reconciled: i64,
    reconciled_paise: i64,
    total_paise: i64,
    transactions: i64,
    variance_count: i64,
    variance_paise: i64,
}

/// The pipeline's counts per stage, and each stage's count and amount under `amounts`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewPipeline {
    amounts: PipelineAmounts,
    captured: i64,
    credited: i64,
    in_settlement: i64,
    sent_to_bank: i64,
    unsettled: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PipelineAmounts {
    captured: BucketAmount,
    credited: BucketAmount,
    in_settlement: BucketAmount,
    sent_to_bank: BucketAmount,
    unsettled: BucketAmount,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BucketAmount {
    amount_paise: i64,
    count: i64,
}

impl From<Bucket> for BucketAmount {
    fn from(b: Bucket) -> Self {
        BucketAmount { amount_paise: b.amount.0, count: b.count }
    }
}

async fn overview(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(query): Query<OverviewQuery>,
) -> Result<Json<OverviewResponse>, AppError> {
    let s = super::service::snapshot(&state, &user, &query).await?;
    let variance = s.variance()?;
    let p = &s.pipeline;
    Ok(Json(OverviewResponse {
        generated_at: s.generated_at.to_rfc3339(),
        kpis: OverviewKpis {
            open_chargebacks: s.open_chargebacks,
            open_exceptions: s.open_exceptions,
            reconciled: s.reconciled,
            reconciled_paise: s.reconciled_amount.0,
            total_paise: s.total.0,
            transactions: s.transactions,
            variance_count: variance.count,
            variance_paise: variance.amount.0,
        },
        pipeline: OverviewPipeline {
            amounts: PipelineAmounts {
                captured: p.captured.into(),
                credited: p.credited.into(),
                in_settlement: p.in_settlement.into(),
                sent_to_bank: p.sent_to_bank.into(),
                unsettled: p.unsettled.into(),
            },
            captured: p.captured.count,
            credited: p.credited.count,
            in_settlement: p.in_settlement.count,
            sent_to_bank: p.sent_to_bank.count,
            unsettled: p.unsettled.count,
        },
        window: OverviewWindow { from: s.window.from, preset: s.window.preset.param(), to: s.window.to },
        settlements: s.settlements.map(|t| OverviewSettlements {
            batches: t.batches,
            paid_batches: t.paid_batches,
            net_paid_paise: t.net_paid.0,
        }),
    }))
}
