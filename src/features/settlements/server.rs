//! The Settlements server functions: the caller and the state from the request, then the same use
//! cases as the JSON API (`service`). The forms post to them without JavaScript; each answers with
//! a redirect to the page that shows the result.

use leptos::prelude::*;

use super::model::{ActionForm, BatchView, RunRow, SettlementsQuery, SettlementsView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything `/settlements` shows for its URL.
#[server(prefix = "/sfn", endpoint = "settlements/view")]
pub async fn get_settlements(#[server(default)] query: SettlementsQuery) -> Result<SettlementsView, AppError> {
    serve(async move |c| super::service::desk_view(&c.state, &c.user, &query).await).await
}

/// One batch with what this user may do with it; `page` is the items' page.
#[server(prefix = "/sfn", endpoint = "settlements/batch")]
pub async fn get_settlement_batch(id: String, page: Option<String>) -> Result<BatchView, AppError> {
    serve(async move |c| {
        let page = page.as_deref().filter(|p| !p.trim().is_empty()).map(crate::paging::parse_page).transpose();
        let page = page.map_err(AppError::BadRequest)?.unwrap_or(1);
        super::service::batch_view(&c.state, &c.user, &id, page).await
    })
    .await
}

/// "Create batches for cycle D": queues the run and goes back to the desk, which shows its progress.
#[server(prefix = "/sfn", endpoint = "settlements/create")]
pub async fn create_settlement_batches(cycle_date: String) -> Result<String, AppError> {
    serve(async move |c| {
        let started = super::service::start_run(&c.state, &c.user, c.ip, &cycle_date).await?;
        let notice = if started.already_running {
            format!("A batch run for {cycle_date} is already under way; its progress is below.")
        } else {
            format!("Batch run for cycle {cycle_date} queued; its progress is below.")
        };
        leptos_axum::redirect(&format!("/settlements?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(started.run_id.to_string())
    })
    .await
}

/// The progress of one batch run (the page's status line polls it while the run is live).
#[server(prefix = "/sfn", endpoint = "settlements/run")]
pub async fn get_settlement_run(job_id: i64) -> Result<RunRow, AppError> {
    serve(async move |c| super::service::run_status(&c.state, &c.user, job_id).await).await
}

/// An action from the batch page; back to the batch with a notice.
#[server(prefix = "/sfn", endpoint = "settlements/act")]
pub async fn settlement_act(form: ActionForm) -> Result<(), AppError> {
    serve(async move |c| {
        let input = super::commands::ActionInput {
            reason: form.reason.clone(),
            utr: form.utr.clone(),
            failure_code: form.failure_code.clone(),
        };
        let batch = super::service::act(&c.state, &c.user, c.ip.as_deref(), &form.id, &form.action, &input).await?;
        let notice = format!("{} is now {}.", batch.batch_ref, batch.status.label().to_lowercase());
        leptos_axum::redirect(&format!("/settlements/{}?notice={}", batch.id, crate::auth::guard::urlencode(&notice)));
        Ok(())
    })
    .await
}

/// The payout file for every approved batch due by `payout_date`; back to the desk, whose payout
/// files list has it to download.
#[server(prefix = "/sfn", endpoint = "settlements/payout-file")]
pub async fn generate_payout_file(payout_date: String) -> Result<String, AppError> {
    serve(async move |c| {
        let selection = super::service::selection(Some(&payout_date), None)?;
        let made = super::service::payout_file(&c.state, &c.user, c.ip.as_deref(), &selection).await?;
        let file = &made.file;
        let mut notice = if made.created {
            format!("Payout file {} made: {} batches, {}.", file.file_name, file.batch_count, file.total.to_inr())
        } else {
            format!("Those batches are already in payout file {}; nothing new was paid.", file.file_name)
        };
        if !made.left_out.is_empty() {
            notice.push_str(&format!(
                " Left out: {} — no bank account (add it, then release the hold or make the file again), or a DEBIT \
                 line on the bank statement names the batch since its transfer failed (check with the bank).",
                made.left_out.join(", ")
            ));
        }
        leptos_axum::redirect(&format!("/settlements?notice={}", crate::auth::guard::urlencode(&notice)));
        Ok(file.id.to_string())
    })
    .await
}
