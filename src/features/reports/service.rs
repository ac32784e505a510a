//! The reports' use cases, shared by the page's server function and the JSON API: authorise
//! (every signed-in role reads reports), parse the URL's filter, then the report's one query —
//! its first rows and totals for the page, all of it for a file. Personal data is masked on the
//! page and in both files alike: merchants' payout account numbers for every role but finance, and
//! for the auditor also bank remarks' long digit runs, numbers written in groups, e-mail addresses
//! and UPI ids.

use axum::response::Response;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{Format, Report, ReportsQuery, ReportsView, ScheduleForm, SchedulesView, PREVIEW_ROWS};
use super::{queries, schedules};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::CsvExport;
use crate::http::xlsx::XlsxExport;
use crate::sheet::{mask_row, Masking};
use crate::state::AppState;

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
    let masking = Masking::for_roles(&user.roles);
    let rows = rows.into_iter().map(|r| mask_row(report.columns(), r, masking)).collect();
    let masked = masking.hides_any_of(report.columns());
    Ok(ReportsView { report, filter, merchants, acquirers, rows, total_rows, totals, masked })
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
    let masking = Masking::for_roles(&user.roles);
    let name = filter.file_name(report, format);
    let columns = report.columns();
    match format {
        Format::Csv => {
            let header: Vec<&'static str> = columns.iter().map(|c| c.header).collect();
            CsvExport::new(state, user.id, name, header, move |out, tx| {
                queries::write_masked_csv(out, tx, report, filter, masking)
            })
            .respond()
            .await
        }
        Format::Xlsx => {
            XlsxExport::new(state, user.id, name, report.title(), columns, move |out, tx| {
                queries::write_masked(out, tx, report, filter, masking)
            })
            .respond()
            .await
        }
    }
}

/// Everything `/reports/schedules` shows.
pub async fn schedules_view(state: &AppState, caller: &CurrentUser) -> Result<SchedulesView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (schedules, runs, merchants) = tokio::try_join!(
        schedules::schedules(&state.pool, &user),
        schedules::runs(&state.pool, schedules::RECENT_RUNS),
        crate::features::settlements::queries::merchants(&state.pool),
    )?;
    Ok(SchedulesView {
        schedules,
        runs,
        may_schedule: user.may(Access::REPORT_SCHEDULES),
        mail_on: state.mailer.is_some(),
        merchants,
    })
}

/// Create a schedule (every role but the auditor); its id and first run time.
pub async fn create_schedule(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &ScheduleForm,
) -> Result<(Uuid, DateTime<Utc>), AppError> {
    let user = authorize(Some(caller), Access::REPORT_SCHEDULES)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    schedules::create(&state.pool, &user, ip, &new, state.clock.now()).await
}

/// Change a schedule (its creator or an admin; 403 for anyone else); its next run.
pub async fn update_schedule(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    form: &ScheduleForm,
) -> Result<DateTime<Utc>, AppError> {
    let user = authorize(Some(caller), Access::REPORT_SCHEDULES)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    schedules::update(&state.pool, &user, ip, id, &new, state.clock.now()).await
}

/// Delete a schedule: its creator or an admin (403 for anyone else).
pub async fn delete_schedule(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::REPORT_SCHEDULES)?;
    schedules::delete(&state.pool, &user, ip, id, state.clock.now()).await
}

/// A finished run's stored file, streamed from the object store. A file showing personal data
/// that the caller sees masked (made for a role that sees it) is refused.
pub async fn run_file(state: &AppState, caller: &CurrentUser, run_id: Uuid) -> Result<Response, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let file = schedules::stored_file(&state.pool, run_id).await?;
    if file.masking.shows_more_than(Masking::for_roles(&user.roles), file.report.columns()) {
        return Err(AppError::ForbiddenBecause(
            "This file holds personal data (account numbers or bank remarks) that your role sees masked. Download the report from the Reports page instead: your copy is masked.".into(),
        ));
    }
    let object = state.objects.get(&object_store::path::Path::from(file.storage_key.as_str())).await.map_err(|e| {
        tracing::error!(error = %e, run = %run_id, "stored report file not read");
        match e {
            object_store::Error::NotFound { .. } => {
                AppError::NotFound("The run's file is missing from storage.".into())
            }
            _ => AppError::Transport("The file store cannot be reached right now. Try again in a minute.".into()),
        }
    })?;
    let length = object.meta.size;
    let body = axum::body::Body::from_stream(object.into_stream());
    let content_type = match file.format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Xlsx => crate::http::xlsx::CONTENT_TYPE,
    };
    Ok(axum::response::IntoResponse::into_response((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (axum::http::header::CONTENT_LENGTH, length.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, crate::files::attachment_disposition(&file.file_name)),
        ],
        body,
    )))
}
