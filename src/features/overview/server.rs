//! The Overview server function: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{OverviewQuery, OverviewSnapshot};
use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "overview/snapshot")]
pub async fn get_overview(#[server(default)] query: OverviewQuery) -> Result<OverviewSnapshot, AppError> {
    use crate::features::server_ctx as ctx;

    let user = ctx::caller()?;
    super::service::snapshot(&ctx::state()?, &user, &query).await
}
