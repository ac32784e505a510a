//! The reports' use cases, shared by the page's server function and the JSON API: authorise
//! (every signed-in role reads reports), parse the URL's filter, then the report's one query —
//! its first rows and totals for the page, all of it for a file. The auditor gets personal data
//! (account numbers, long digit runs in bank remarks) masked, on the page and in both files alike.

use axum::response::Response;

use super::model::{Format, Report, ReportsQuery, ReportsView, PREVIEW_ROWS};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::CsvExport;
use crate::http::xlsx::XlsxExport;
use crate::sheet::{mask_row, Cell};
use crate::state::AppState;

/// Whether `caller` sees personal data masked.
fn masks_for(caller: &CurrentUser) -> bool {
    !caller.may(Access::PERSONAL_DATA)
}

/// Everything `/reports` shows for its URL.
pub async fn view(state: &AppState, caller: &CurrentUser, query: &ReportsQuery) -> Result<ReportsView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let report = query.report().map_err(AppError::BadRequest)?;
    let filter = query.filter(report, crate::ist::today(state.clock.now())).map_err(AppError::BadRequest)?;
    let (rows, (total_rows, totals), merchants, acquirers) = tokio::try_join!(
        queries::preview(&state.pool, report, &filter, PREVIEW_ROWS),
        queries::totals(&state.pool, report, &filter),
        crate::features::settlements::queries::merchants(&state.pool),
        queries::acquirers(&state.pool),
    )?;
    let mask = masks_for(&user);
    let rows = rows.into_iter().map(|r| mask_row(report.columns(), r, mask)).collect();
    Ok(ReportsView { report, filter, merchants, acquirers, rows, total_rows, totals, masked: mask })
}

/// A whole report as a file, streamed: CSV as its rows arrive, XLSX once written (see
/// [`crate::http::xlsx`]).
pub async fn export(
    state: &AppState,
    caller: &CurrentUser,
    report: Report,
    format: Format,
    query: &ReportsQuery,
) -> Result<Response, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let filter = query.filter(report, crate::ist::today(state.clock.now())).map_err(AppError::BadRequest)?;
    let mask = masks_for(&user);
    let name = filter.file_name(report, format);
    let columns = report.columns();
    match format {
        Format::Csv => {
            let header: Vec<&'static str> = columns.iter().map(|c| c.header).collect();
            CsvExport::new(state, user.id, name, header, move |out, mut tx| async move {
                let mut query = queries::query(report, &filter, None);
                out.write_all(queries::rows(&mut *tx, report, &mut query), move |row| {
                    mask_row(columns, row, mask).iter().map(Cell::csv_text).collect()
                })
                .await
            })
            .respond()
            .await
        }
        Format::Xlsx => {
            XlsxExport::new(state, user.id, name, report.title(), columns, move |out, mut tx| async move {
                let mut query = queries::query(report, &filter, None);
                out.write_all(queries::rows(&mut *tx, report, &mut query), move |row| mask_row(columns, row, mask))
                    .await
            })
            .respond()
            .await
        }
    }
}
