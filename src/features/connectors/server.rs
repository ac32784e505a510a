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
