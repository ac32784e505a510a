//! The reports pages' server functions: the caller and the state from the request, then the service.

use leptos::prelude::*;

use super::model::{ReportsQuery, ReportsView, ScheduleForm, SchedulesView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/reports` shows for its URL.
#[server(prefix = "/sfn", endpoint = "reports/view")]
pub async fn get_report(#[server(default)] query: ReportsQuery) -> Result<ReportsView, AppError> {
    serve(async move |c| super::service::view(&c.state, &c.user, &query).await).await
}

/// Everything `/reports/schedules` shows.
#[server(prefix = "/sfn", endpoint = "reports/schedules")]
pub async fn get_schedules() -> Result<SchedulesView, AppError> {
    serve(async move |c| super::service::schedules_view(&c.state, &c.user).await).await
}

/// Create a schedule; back to the schedules page with a notice.
#[server(prefix = "/sfn", endpoint = "reports/create-schedule")]
pub async fn create_schedule(form: ScheduleForm) -> Result<(), AppError> {
    serve(async move |c| {
        let (_, next) = super::service::create_schedule(&c.state, &c.user, c.ip.as_deref(), &form).await?;
        let notice = format!(
            "Schedule \"{}\" created; its first run is {}.",
            form.name.trim(),
            crate::ist::format_datetime(next)
        );
        leptos_axum::redirect(&format!("/reports/schedules?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(())
    })
    .await
}

/// Change a schedule (its creator or an admin); back to the schedules page with a notice.
#[server(prefix = "/sfn", endpoint = "reports/update-schedule")]
pub async fn update_schedule(id: String, form: ScheduleForm) -> Result<(), AppError> {
    serve(async move |c| {
        let id = super::schedules::schedule_id(&id)?;
        let next = super::service::update_schedule(&c.state, &c.user, c.ip.as_deref(), id, &form).await?;
        let notice =
            format!("Schedule \"{}\" saved; its next run is {}.", form.name.trim(), crate::ist::format_datetime(next));
        leptos_axum::redirect(&format!("/reports/schedules?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(())
    })
    .await
}

/// Delete a schedule (its creator or an admin); back to the schedules page with a notice.
#[server(prefix = "/sfn", endpoint = "reports/delete-schedule")]
pub async fn delete_schedule(id: String) -> Result<(), AppError> {
    serve(async move |c| {
        let id = super::schedules::schedule_id(&id)?;
        super::service::delete_schedule(&c.state, &c.user, c.ip.as_deref(), id).await?;
        leptos_axum::redirect("/reports/schedules?notice=Schedule%20deleted.");
        Ok(())
    })
    .await
}
