//! `GET /api/reports/v1/{report}.csv` and `GET /api/reports/v1/{report}.xlsx`
//! (`?from=&to=&merchantId=&acquirer=`, IST cycle dates, the last 30 days when none): a report as a
//! streamed file, for every signed-in role (personal data masked for the auditor). One route per
//! report and format, so an unknown report is a plain 404.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::model::{Format, Report, ReportsQuery};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for report in Report::ALL {
        for format in [Format::Csv, Format::Xlsx] {
            router = router.route(
                &format!("/v1/{}.{}", report.slug(), format.extension()),
                get(move |state: State<AppState>, user: Authorized, query: Query<ReportsQuery>| {
                    download(state, user, query, report, format)
                }),
            );
        }
    }
    router
}

async fn download(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Query(query): Query<ReportsQuery>,
    report: Report,
    format: Format,
) -> Result<Response, AppError> {
    service::export(&state, &user, report, format, &query).await
}
