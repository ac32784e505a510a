//! The Recon server functions: authorise, then call the same queries as the JSON API.

use leptos::prelude::*;

use super::model::{RunPage, Workspace};
use crate::error::AppError;

/// Recent runs and uploads.
#[server(prefix = "/sfn", endpoint = "recon/workspace")]
pub async fn get_recon_workspace() -> Result<Workspace, AppError> {
    use crate::auth::{guard, Access};
    async move {
        let user = guard::require(Access::AnySignedIn)?;
        let state = use_context::<crate::state::AppState>().ok_or(AppError::Internal)?;
        Ok(Workspace {
            runs: super::runs::recent_runs(&state.pool, 20).await?,
            uploads: super::store::recent_uploads(&state.pool, 20).await?,
            can_work: user.may(Access::OPS_WORK),
            bank_layouts: super::store::mappings(&state.pool).await?.into_iter().map(|m| m.layout_name).collect(),
        })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// One run with a page of its results.
#[server(prefix = "/sfn", endpoint = "recon/run")]
pub async fn get_recon_run(id: String, class: Option<String>, page: i64) -> Result<RunPage, AppError> {
    use super::model::RESULTS_PAGE;
    use crate::auth::{guard, Access};
    async move {
        guard::require(Access::AnySignedIn)?;
        let state = use_context::<crate::state::AppState>().ok_or(AppError::Internal)?;
        let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No recon run with that id.".into()))?;
        let class = super::runs::valid_class(class.as_deref())?;
        let offset = crate::paging::offset(page, RESULTS_PAGE).map_err(AppError::BadRequest)?;
        let run = super::runs::run(&state.pool, id).await?;
        let (rows, total) = super::runs::results(&state.pool, id, class, RESULTS_PAGE, offset).await?;
        let class_counts = super::runs::class_counts(&state.pool, id).await?;
        Ok(RunPage { run, class: class.map(str::to_string), rows, total, page, class_counts })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// Start a run of a cycle date; answers the run's id.
#[server(prefix = "/sfn", endpoint = "recon/start")]
pub async fn start_recon_run(cycle_date: String) -> Result<String, AppError> {
    use crate::auth::{guard, Access};
    async move {
        let user = guard::require(Access::OPS_WORK)?;
        let state = use_context::<crate::state::AppState>().ok_or(AppError::Internal)?;
        let cycle = chrono::NaiveDate::parse_from_str(cycle_date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::BadRequest("Choose the cycle date to reconcile.".into()))?;
        Ok(super::runs::queue(&state.pool, cycle, Some(user.id), "manual").await?.to_string())
    }
    .await
    .map_err(AppError::in_server_fn)
}
