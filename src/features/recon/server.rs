//! The Recon server functions: the caller and the state from the request, then the same use
//! cases as the JSON API (`service`).

use leptos::prelude::*;

use super::model::{RunPage, RunView, Workspace};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Recent runs and uploads.
#[server(prefix = "/sfn", endpoint = "recon/workspace")]
pub async fn get_recon_workspace(#[server(default)] upload: Option<String>) -> Result<Workspace, AppError> {
    serve(async move |c| super::service::workspace(&c.state, &c.user, upload.as_deref()).await).await
}

/// One run with a page of its results.
#[server(prefix = "/sfn", endpoint = "recon/run")]
pub async fn get_recon_run(id: String, class: Option<String>, page: i64) -> Result<RunPage, AppError> {
    serve(async move |c| super::service::run_page(&c.state, &c.user, &id, class.as_deref(), page).await).await
}

/// One run's status, stage and counts (what a run page's status line asks for while it goes on).
#[server(prefix = "/sfn", endpoint = "recon/run-status")]
pub async fn get_recon_run_status(id: String) -> Result<RunView, AppError> {
    serve(async move |c| super::service::run(&c.state, &c.user, &id).await).await
}

/// Start a run of a cycle date; answers the run's id.
#[server(prefix = "/sfn", endpoint = "recon/start")]
pub async fn start_recon_run(cycle_date: String) -> Result<String, AppError> {
    serve(async move |c| {
        let id = super::service::start_run(&c.state, &c.user, &cycle_date).await?;
        // The form's post goes on to the new run's page.
        leptos_axum::redirect(&format!("/recon/runs/{id}"));
        Ok(id.to_string())
    })
    .await
}
