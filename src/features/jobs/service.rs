//! The jobs console's use cases (admin): list, retry, cancel — each change with its audit row.

use serde_json::json;

use super::model::{status_filter, JobsView, LIMIT};
use super::queries;
use crate::audit::{self, AuditEntry};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

pub async fn view(state: &AppState, caller: &CurrentUser, status: Option<&str>) -> Result<JobsView, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    let status = status_filter(status).map_err(AppError::BadRequest)?;
    let (jobs, counts) =
        tokio::try_join!(queries::jobs(&state.pool, status.as_deref(), LIMIT), queries::counts(&state.pool))?;
    Ok(JobsView { jobs, counts, status })
}

/// Queue a failed or cancelled job again.
pub async fn retry(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: i64) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    crate::jobs::retry(&state.pool, id).await?;
    record(state, &user, ip, id, "job.retry", json!({ "status": "queued" })).await
}

/// Cancel a queued job; its run says who cancelled it.
pub async fn cancel(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: i64) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    crate::jobs::cancel(&state.pool, id, &format!("Cancelled by {} on the jobs console.", user.email)).await?;
    record(state, &user, ip, id, "job.cancel", json!({ "status": "cancelled" })).await
}

async fn record(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<&str>,
    id: i64,
    action: &'static str,
    after: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        &state.pool,
        AuditEntry { target_id: Some(id.to_string()), ip, after: Some(after), ..AuditEntry::by(user, action, "job") },
    )
    .await
}
