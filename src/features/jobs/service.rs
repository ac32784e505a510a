//! The jobs console's use cases (admin): list, retry, cancel — each change in one transaction
//! with its audit row.

use serde_json::json;

use super::model::{status_filter, JobView, JobsView, CONSOLE_KINDS, LIMIT};
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

/// One job (admin).
pub async fn job(state: &AppState, caller: &CurrentUser, id: i64) -> Result<JobView, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    queries::job(&state.pool, id).await?.ok_or_else(|| AppError::NotFound(format!("There is no job {id}.")))
}

/// The job, when the console may act on its kind.
async fn actionable(state: &AppState, id: i64) -> Result<JobView, AppError> {
    let job =
        queries::job(&state.pool, id).await?.ok_or_else(|| AppError::NotFound(format!("There is no job {id}.")))?;
    if !CONSOLE_KINDS.contains(&job.kind.as_str()) {
        return Err(AppError::ForbiddenBecause(format!(
            "Job {id} is a {} job: start it again from its own page (the console retries and cancels connector and recon runs).",
            job.kind
        )));
    }
    Ok(job)
}

/// Queue a failed or cancelled job again.
pub async fn retry(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: i64) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let job = actionable(state, id).await?;
    let mut tx = state.pool.begin().await?;
    crate::jobs::retry(&mut tx, id).await?;
    record(&mut tx, &user, ip, id, "job.retry", json!({ "status": "queued", "kind": job.kind, "key": job.key }))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancel a queued job; its run says who cancelled it.
pub async fn cancel(state: &AppState, caller: &CurrentUser, ip: Option<&str>, id: i64) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let job = actionable(state, id).await?;
    let mut tx = state.pool.begin().await?;
    crate::jobs::cancel(&mut tx, id, &format!("Cancelled by {} on the jobs console.", user.email)).await?;
    record(&mut tx, &user, ip, id, "job.cancel", json!({ "status": "cancelled", "kind": job.kind, "key": job.key }))
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    ip: Option<&str>,
    id: i64,
    action: &'static str,
    after: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        AuditEntry { target_id: Some(id.to_string()), ip, after: Some(after), ..AuditEntry::by(user, action, "job") },
    )
    .await
}
