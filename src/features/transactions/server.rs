//! The explorer's server functions: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{ExplorerQuery, ExplorerView, TxnDetail};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/transactions` shows for its URL.
#[server(prefix = "/sfn", endpoint = "transactions/list")]
pub async fn get_transactions(#[server(default)] query: ExplorerQuery) -> Result<ExplorerView, AppError> {
    serve(async move |c| super::service::explorer_view(&c.state, &c.user, &query).await).await
}

/// One transaction's life (`/transactions/:id`).
#[server(prefix = "/sfn", endpoint = "transactions/detail")]
pub async fn get_transaction(txn_id: String) -> Result<TxnDetail, AppError> {
    serve(async move |c| super::service::detail(&c.state, &c.user, &txn_id).await).await
}
