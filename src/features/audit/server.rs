//! The audit page's server functions: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{AuditQuery, AuditView, ChainReport};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/audit` shows for its URL.
#[server(prefix = "/sfn", endpoint = "audit/list")]
pub async fn get_audit(#[server(default)] query: AuditQuery) -> Result<AuditView, AppError> {
    serve(async move |c| super::service::audit_view(&c.state, &c.user, &query).await).await
}

/// The hash chain checked from its first row to its last (`/audit/verify`).
#[server(prefix = "/sfn", endpoint = "audit/verify")]
pub async fn verify_chain() -> Result<ChainReport, AppError> {
    serve(async move |c| super::service::verify(&c.state, &c.user).await).await
}
