//! The Analytics server function: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{AnalyticsQuery, AnalyticsSummary};
use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "analytics/summary")]
pub async fn get_analytics(#[server(default)] query: AnalyticsQuery) -> Result<AnalyticsSummary, AppError> {
    crate::http::server_fn::serve(async move |c| super::service::summary(&c.state, &c.user, &query).await).await
}
