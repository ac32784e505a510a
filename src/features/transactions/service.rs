//! The explorer's use cases, shared by the pages' server functions and the JSON API: authorise (every
//! signed-in role reads transactions), parse, then the queries.

use super::model::{ExplorerQuery, ExplorerView, Filter, Sort, TxnDetail, TxnPage, TxnRow, PAGE_SIZE};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{dated_file_name, ist_minute_cell, CsvExport, EXPORT_CAP};
use crate::state::AppState;

/// Everything `/transactions` shows for its URL.
pub async fn explorer_view(
    state: &AppState,
    caller: &CurrentUser,
    query: &ExplorerQuery,
) -> Result<ExplorerView, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, page_number) = query.parse().map_err(AppError::BadRequest)?;
    let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
    filter.page_allowed(sort, offset).map_err(AppError::BadRequest)?;
    let (page, acquirers) = tokio::try_join!(
        queries::list(&state.pool, &filter, sort, PAGE_SIZE, offset),
        queries::acquirers(&state.pool)
    )?;
    Ok(ExplorerView { filter, sort, page_number, page, acquirers })
}

/// A page of the API's list.
pub async fn list(
    state: &AppState,
    caller: &CurrentUser,
    filter: &Filter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<TxnPage, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    filter.page_allowed(sort, offset).map_err(AppError::BadRequest)?;
    queries::list(&state.pool, filter, sort, limit, offset).await
}

/// One transaction's life.
pub async fn detail(state: &AppState, caller: &CurrentUser, txn_id: &str) -> Result<TxnDetail, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let txn_id = txn_id.trim();
    if txn_id.is_empty() || txn_id.len() > 128 {
        return Err(AppError::NotFound("No such transaction.".into()));
    }
    queries::detail(&state.pool, txn_id).await
}

pub const EXPORT_HEADER: &[&str] = &[
    "txn_id",
    "merchant_id",
    "merchant_name",
    "cycle_date",
    "txn_at_ist",
    "amount",
    "currency",
    "payment_method",
    "acquirer",
    "utr",
    "rrn",
    "status",
    "batch_ref",
    "batch_status",
];

/// The list's rows for the URL's filter and sort as CSV (every row, to the export cap), streamed.
pub fn export_csv(state: &AppState, caller: &CurrentUser, query: &ExplorerQuery) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, _) = query.parse().map_err(AppError::BadRequest)?;
    let name = dated_file_name("transactions", state.clock.now());
    Ok(CsvExport::new(state, user.id, name, EXPORT_HEADER, move |out, mut tx| async move {
        let mut query = queries::export_query(&filter, sort, EXPORT_CAP);
        out.write_all(queries::rows(&mut *tx, &mut query), export_cells).await
    }))
}

fn export_cells(r: TxnRow) -> Vec<String> {
    vec![
        r.txn_id,
        r.merchant_id,
        r.merchant_name,
        r.cycle_date.to_string(),
        ist_minute_cell(r.txn_at),
        r.amount.to_rupees_plain(),
        r.currency,
        r.payment_method,
        r.acquirer.unwrap_or_default(),
        r.utr.unwrap_or_default(),
        r.rrn.unwrap_or_default(),
        r.status.code().to_string(),
        r.batch_ref.unwrap_or_default(),
        r.batch_status.unwrap_or_default(),
    ]
}
