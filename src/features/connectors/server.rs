//! The connectors page's server functions: the caller and the state from the request, then the
//! service. Each form posts plainly (no JavaScript needed) and comes back with a notice or the
//! problem in words.

use leptos::prelude::*;

use super::model::{ConnectorForm, ConnectorsView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

#[cfg(feature = "ssr")]
fn back(notice: &str) {
    leptos_axum::redirect(&format!("/connectors?notice={}", crate::auth::guard::urlencode(notice)));
}

/// Everything `/connectors` shows.
#[server(prefix = "/sfn", endpoint = "connectors/view")]
pub async fn get_connectors() -> Result<ConnectorsView, AppError> {
    serve(async move |c| super::service::view(&c.state, &c.user).await).await
}

/// Create a connector (`form.id` empty) or save an edit of one (admin).
#[server(prefix = "/sfn", endpoint = "connectors/save")]
pub async fn save_connector(form: ConnectorForm) -> Result<(), AppError> {
    serve(async move |c| {
        let input = form.input().map_err(AppError::BadRequest)?;
        let name = input.name.trim().to_string();
        if form.id.trim().is_empty() {
            super::service::create(&c.state, &c.user, c.ip.as_deref(), &input).await?;
            back(&format!("Connector \"{name}\" created."));
        } else {
            super::service::update(&c.state, &c.user, c.ip.as_deref(), super::service::parse_id(&form.id)?, &input)
                .await?;
            back(&format!("Connector \"{name}\" saved."));
        }
        Ok(())
    })
    .await
}

/// Pause (`pause` = "true") or resume a connector (`sp-ops`, admin).
#[server(prefix = "/sfn", endpoint = "connectors/pause")]
pub async fn pause_connector(id: String, pause: String) -> Result<(), AppError> {
    serve(async move |c| {
        let pause = pause == "true";
        let name =
            super::service::set_paused(&c.state, &c.user, c.ip.as_deref(), super::service::parse_id(&id)?, pause)
                .await?;
        back(&if pause {
            format!("Connector \"{name}\" paused: its schedule does not fire until it is resumed.")
        } else {
            format!("Connector \"{name}\" resumed.")
        });
        Ok(())
    })
    .await
}

/// Delete a connector with its run history (admin).
#[server(prefix = "/sfn", endpoint = "connectors/delete")]
pub async fn delete_connector(id: String) -> Result<(), AppError> {
    serve(async move |c| {
        let name = super::service::delete(&c.state, &c.user, c.ip.as_deref(), super::service::parse_id(&id)?).await?;
        back(&format!("Connector \"{name}\" deleted."));
        Ok(())
    })
    .await
}

/// Test, run now, backfill or forget the host key (`action` = `test` | `run` | `backfill` |
/// `forgetHostKey`), with the dates the form gives (empty: the schedule's cycle).
#[server(prefix = "/sfn", endpoint = "connectors/act")]
pub async fn act_on_connector(
    id: String,
    action: String,
    #[server(default)] cycle_date: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
) -> Result<(), AppError> {
    serve(async move |c| {
        use super::service;
        let date = |text: &str, name: &str| {
            let text = text.trim();
            (!text.is_empty()).then(|| crate::ist::parse_date(text, name)).transpose()
        };
        let id = service::parse_id(&id)?;
        let name = service::card(&c.state, &c.user, id).await?.name;
        let notice = match action.as_str() {
            "test" => {
                let tested = service::test(&c.state, &c.user, id, date(&cycle_date, "cycle date")?).await?;
                let files: Vec<String> =
                    tested.outcome.files.iter().map(|f| format!("{} ({})", f.name, f.outcome.label())).collect();
                match tested.outcome.error_text() {
                    Some(error) => {
                        let error = format!("Test of \"{name}\" failed: {}", super::runs::clip(&error));
                        leptos_axum::redirect(&format!("/connectors?error={}", crate::auth::guard::urlencode(&error)));
                        return Ok(());
                    }
                    None => format!(
                        "Test of \"{name}\" passed: {}.",
                        if files.is_empty() { "nothing to take".into() } else { files.join(", ") }
                    ),
                }
            }
            "run" => {
                service::run_now(&c.state, &c.user, c.ip.as_deref(), id, date(&cycle_date, "cycle date")?).await?;
                format!("Run of \"{name}\" queued: its outcome shows in the run history below.")
            }
            "backfill" => {
                let ids =
                    service::backfill(&c.state, &c.user, c.ip.as_deref(), id, date(&from, "from")?, date(&to, "to")?)
                        .await?;
                format!("Backfill of \"{name}\" queued: {} runs, one per date, in order.", ids.len())
            }
            "forgetHostKey" => {
                service::forget_host_key(&c.state, &c.user, c.ip.as_deref(), id).await?;
                format!("The pinned host key of \"{name}\" is forgotten: the next test pins the key the server offers.")
            }
            other => return Err(AppError::BadRequest(format!("{other:?} is not an action."))),
        };
        back(&notice);
        Ok(())
    })
    .await
}
