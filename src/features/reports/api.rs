//! `GET /api/reports/v1/{report}.csv` and `GET /api/reports/v1/{report}.xlsx`
//! (`?from=&to=&merchantId=&acquirer=`, IST cycle dates, the last 30 days when none): a report as a
//! streamed file, for every signed-in role (personal data masked for the roles that do not need it). One route per
//! report and format, so an unknown report is a plain 404.
//!
//! Scheduled reports: `GET /api/reports/v1/schedules` (`{"schedules", "runs"}`),
//! `POST /api/reports/v1/schedules` `{"name", "report", "format", "windowDays", "merchantId",
//! "acquirer", "cron", "recipients": [...]}` → `201 {"id", "nextRunAt"}` (every role but the
//! auditor), `PUT /api/reports/v1/schedules/{id}` with the same body → `200 {"id", "nextRunAt"}`
//! (its creator or an admin; the report stays), `DELETE /api/reports/v1/schedules/{id}` → `204`
//! (its creator or an admin), and
//! `GET /api/reports/v1/runs/{id}/file`, a run's stored file.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::model::{Format, Report, ReportsQuery, ScheduleForm};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::ClientIp;
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
        .route("/v1/schedules", get(list_schedules).post(create_schedule))
        .route("/v1/schedules/{id}", put(update_schedule).delete(delete_schedule))
        .route("/v1/runs/{id}/file", get(run_file))
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

async fn list_schedules(State(state): State<AppState>, Authorized(user): Authorized) -> Result<Json<Value>, AppError> {
    let view = service::schedules_view(&state, &user).await?;
    Ok(Json(json!({ "schedules": view.schedules, "runs": view.runs, "mailOn": view.mail_on })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleBody {
    name: String,
    report: String,
    #[serde(default)]
    format: Option<String>,
    window_days: i64,
    #[serde(default)]
    merchant_id: Option<String>,
    #[serde(default)]
    acquirer: Option<String>,
    cron: String,
    recipients: Vec<String>,
}

impl ScheduleBody {
    /// The body as the page's form would post it (recipients one text), each recipient one address.
    fn form(self) -> Result<ScheduleForm, AppError> {
        if self.recipients.iter().any(|r| r.contains([',', ';', '\n', '\r'])) {
            return Err(AppError::BadRequest("Give each recipient as one address.".into()));
        }
        Ok(ScheduleForm {
            name: self.name,
            report: self.report,
            format: self.format.unwrap_or_else(|| "xlsx".into()),
            window_days: self.window_days.to_string(),
            merchant_id: self.merchant_id,
            acquirer: self.acquirer,
            cron: self.cron,
            recipients: self.recipients.join(","),
        })
    }
}

async fn create_schedule(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Json(body): Json<ScheduleBody>,
) -> Result<Response, AppError> {
    let form = body.form()?;
    let (id, next) = service::create_schedule(&state, &user, ip.as_deref(), &form).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "nextRunAt": next.to_rfc3339() }))).into_response())
}

async fn update_schedule(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(body): Json<ScheduleBody>,
) -> Result<Json<Value>, AppError> {
    let id = super::schedules::schedule_id(&id)?;
    let next = service::update_schedule(&state, &user, ip.as_deref(), id, &body.form()?).await?;
    Ok(Json(json!({ "id": id, "nextRunAt": next.to_rfc3339() })))
}

async fn delete_schedule(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = super::schedules::schedule_id(&id)?;
    service::delete_schedule(&state, &user, ip.as_deref(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn run_file(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No finished report run with that id.".into()))?;
    service::run_file(&state, &user, id).await
}
