//! The jobs console's server functions: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::JobsView;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/connectors/jobs` shows for its status filter.
#[server(prefix = "/sfn", endpoint = "jobs/list")]
pub async fn get_jobs(#[server(default)] status: Option<String>) -> Result<JobsView, AppError> {
    serve(async move |c| super::service::view(&c.state, &c.user, status.as_deref()).await).await
}

/// Retry (`action` = `retry`) a failed or cancelled job, or cancel (`cancel`) a queued one (admin).
#[server(prefix = "/sfn", endpoint = "jobs/act")]
pub async fn act_on_job(id: String, action: String) -> Result<(), AppError> {
    serve(async move |c| {
        let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound("There is no such job.".into()))?;
        let notice = match action.as_str() {
            "retry" => {
                super::service::retry(&c.state, &c.user, c.ip.as_deref(), id).await?;
                format!("Job {id} queued again.")
            }
            "cancel" => {
                super::service::cancel(&c.state, &c.user, c.ip.as_deref(), id).await?;
                format!("Job {id} cancelled: it will not run.")
            }
            other => return Err(AppError::BadRequest(format!("{other:?} is not an action: use retry or cancel."))),
        };
        leptos_axum::redirect(&format!("/connectors/jobs?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(())
    })
    .await
}
