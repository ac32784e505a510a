//! The Recon server functions: the caller and the state from the request, then the same use
//! cases as the JSON API (`service`).

use leptos::prelude::*;

use super::model::{RunPage, Workspace};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::features::server_ctx as ctx;

/// Recent runs and uploads.
#[server(prefix = "/sfn", endpoint = "recon/workspace")]
pub async fn get_recon_workspace() -> Result<Workspace, AppError> {
    async move { super::service::workspace(&ctx::state()?, &ctx::caller()?).await }
        .await
        .map_err(AppError::in_server_fn)
}

/// One run with a page of its results.
#[server(prefix = "/sfn", endpoint = "recon/run")]
pub async fn get_recon_run(id: String, class: Option<String>, page: i64) -> Result<RunPage, AppError> {
    async move {
        let user = ctx::caller()?;
        super::service::run_page(&ctx::state()?, &user, &id, class.as_deref(), page).await
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// Start a run of a cycle date; answers the run's id.
#[server(prefix = "/sfn", endpoint = "recon/start")]
pub async fn start_recon_run(cycle_date: String) -> Result<String, AppError> {
    async move {
        let user = ctx::caller()?;
        Ok(super::service::start_run(&ctx::state()?, &user, &cycle_date).await?.to_string())
    }
    .await
    .map_err(AppError::in_server_fn)
}
