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
    exceptions: OverviewExceptions,
    connectors: Vec<OverviewConnector>,
    disputes: OverviewDisputes,
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
#[serde(rename_all = "camelCase")]
struct OverviewExceptions {
    /// Open exceptions per severity (every severity, zeros included).
    by_severity: std::collections::BTreeMap<String, i64>,
    top_reasons: Vec<OverviewReason>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewReason {
    code: String,
    count: i64,
    amount_paise: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewConnector {
    name: String,
    health: &'static str,
    reason: String,
    last_success_at: Option<String>,
    last_run_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OverviewDisputes {
    open: i64,
    evidence_required: i64,
    due_within48h: i64,
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
    /// Reconciled ÷ transactions, two decimals ("87.40"); null without transactions.
    match_rate: Option<String>,
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
            match_rate: crate::ratio::rate_2dp(s.reconciled, s.transactions),
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
        exceptions: OverviewExceptions {
            by_severity: s.exceptions.by_severity.iter().map(|(sev, n, _)| (sev.clone(), *n)).collect(),
            top_reasons: s
                .exceptions
                .top_reasons
                .iter()
                .map(|r| OverviewReason { code: r.code.clone(), count: r.count, amount_paise: r.amount.0 })
                .collect(),
        },
        connectors: s
            .connectors
            .iter()
            .map(|c| OverviewConnector {
                name: c.facts.name.clone(),
                health: c.health.code(),
                reason: c.reason.clone(),
                last_success_at: c.facts.last_success_at.map(|t| t.to_rfc3339()),
                last_run_at: c.facts.last_run_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
        disputes: OverviewDisputes {
            open: s.disputes.open,
            evidence_required: s.disputes.evidence_required,
            due_within48h: s.disputes.due_within_48h,
        },
        settlements: s.settlements.map(|t| OverviewSettlements {
            batches: t.batches,
            paid_batches: t.paid_batches,
            net_paid_paise: t.net_paid.0,
        }),
    }))
}
