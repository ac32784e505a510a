//! The reports page's server function: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{ReportsQuery, ReportsView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/reports` shows for its URL.
#[server(prefix = "/sfn", endpoint = "reports/view")]
pub async fn get_report(#[server(default)] query: ReportsQuery) -> Result<ReportsView, AppError> {
    serve(async move |c| super::service::view(&c.state, &c.user, &query).await).await
}
