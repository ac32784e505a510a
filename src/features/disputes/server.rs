//! The Disputes server functions: authorise, then call the same queries and commands as the JSON
//! API.

use leptos::prelude::*;

use super::model::{CaseView, DisputesQuery, DisputesView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::features::server_ctx as ctx;

/// Everything the `/disputes` page shows for its URL.
#[server(prefix = "/sfn", endpoint = "disputes/view")]
pub async fn get_disputes(#[server(default)] query: DisputesQuery) -> Result<DisputesView, AppError> {
    use super::api::{READ, WORK};
    use super::model::PAGE_SIZE;
    use super::queries;
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let (filter, sort, page_number, window) = query.parse().map_err(AppError::BadRequest)?;
        let now = state.clock.now();
        let pool = &state.pool;
        let (kpis, outcomes, sla, tabs, page, merchants) = tokio::try_join!(
            super::api::kpis_cached(&state, &filter.scope),
            queries::outcome_summary(pool, &filter.scope, window, now),
            queries::sla_strip(pool, &filter.scope, now),
            queries::tab_counts(pool, &filter, now),
            queries::list(pool, &filter, sort, PAGE_SIZE, (page_number - 1) * PAGE_SIZE, now),
            queries::merchants(pool),
        )?;
        Ok(DisputesView {
            kpis,
            outcomes,
            sla,
            all_count: tabs.iter().map(|(_, n)| n).sum(),
            tab_counts: tabs,
            page,
            page_number,
            sort,
            now,
            merchants,
            can_work: user.may(WORK),
        })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// One case with what this user may do with it.
#[server(prefix = "/sfn", endpoint = "disputes/case")]
pub async fn get_dispute_case(id: String) -> Result<CaseView, AppError> {
    use super::api::{DECIDE, READ, WORK};
    use super::{queries, rules};
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let id =
            uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No chargeback case with that id.".into()))?;
        let detail = queries::detail(&state.pool, id).await?;
        let next_statuses = detail
            .case
            .ui_status
            .map(|from| rules::choices(from, &user.roles, detail.documents.len() as i64))
            .unwrap_or_default();
        let can_work = user.may(WORK);
        let assignees = if can_work { queries::assignees(&state.pool).await? } else { Vec::new() };
        Ok(CaseView { detail, next_statuses, can_work, can_note: user.may(DECIDE), assignees, now: state.clock.now() })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// A case action from the detail page (status, assign, note, deadline).
#[server(prefix = "/sfn", endpoint = "disputes/act")]
pub async fn dispute_act(
    id: String,
    action: String,
    to: Option<String>,
    note: Option<String>,
    assignee: Option<String>,
    team: Option<String>,
    evidence_due: Option<String>,
) -> Result<(), AppError> {
    use super::api::{apply_action, READ};
    use super::model::CaseAction;
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let id =
            uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No chargeback case with that id.".into()))?;
        let ip = ctx::client_ip(&state);
        apply_action(&state, &user, ip, id, &CaseAction { action, to, note, assignee, team, evidence_due }).await
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// The manual create form; answers the new case's id.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/sfn", endpoint = "disputes/create")]
pub async fn create_dispute(
    network: String,
    network_case_id: String,
    merchant_id: String,
    amount: String,
    reason_code: String,
    reason: String,
    received: String,
    due: String,
    txn_ref: String,
    rrn: String,
    utr: String,
) -> Result<String, AppError> {
    use super::api::{create_manual, WORK};
    use super::model::CreateForm;
    use crate::auth::guard;

    async move {
        let user = guard::require(WORK)?;
        let state = ctx::state()?;
        let ip = ctx::client_ip(&state);
        let form = CreateForm {
            network,
            network_case_id,
            merchant_id,
            amount,
            reason_code,
            reason,
            received,
            due,
            txn_ref,
            rrn,
            utr,
        };
        let id = create_manual(&state, &user, ip, &form).await?;
        Ok(id.to_string())
    }
    .await
    .map_err(AppError::in_server_fn)
}
