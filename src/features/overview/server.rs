//! The Overview server function: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{OverviewQuery, OverviewSnapshot};
use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "overview/snapshot")]
pub async fn get_overview(#[server(default)] query: OverviewQuery) -> Result<OverviewSnapshot, AppError> {
    // A bad window is the page's 400 (as on the other pages), not a 200 with a notice.
    crate::http::server_fn::serve(async |c| super::service::snapshot(&c.state, &c.user, &query).await).await
}
