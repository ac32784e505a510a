//! The exception pages' server functions: the caller and the state from the request, then the
//! same use cases as the JSON API (`service`).

use leptos::prelude::*;

use super::model::{ExceptionActionForm, ExceptionView, ExceptionsQuery, ExceptionsView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::http::server_fn::serve;

/// Everything the `/exceptions` page shows for its URL.
#[server(prefix = "/sfn", endpoint = "exceptions/view")]
pub async fn get_exceptions(#[server(default)] query: ExceptionsQuery) -> Result<ExceptionsView, AppError> {
    serve(async move |c| super::service::queue_view(&c.state, &c.user, &query).await).await
}

/// One exception with what this user may do with it now.
#[server(prefix = "/sfn", endpoint = "exceptions/one")]
pub async fn get_exception(id: String) -> Result<ExceptionView, AppError> {
    serve(async move |c| super::service::exception_view(&c.state, &c.user, &id).await).await
}

/// An action from the detail page.
#[server(prefix = "/sfn", endpoint = "exceptions/act")]
pub async fn exception_act(form: ExceptionActionForm) -> Result<(), AppError> {
    serve(async move |c| super::service::apply_action(&c.state, &c.user, c.ip, &form.id, &form.request).await).await
}

/// Save the page's current filter (`filters`: the saved-view JSON) under a name.
#[server(prefix = "/sfn", endpoint = "exceptions/save-view")]
pub async fn save_exception_view(name: String, shared: Option<String>, filters: String) -> Result<String, AppError> {
    serve(async move |c| {
        let filters: serde_json::Value = serde_json::from_str(&filters)
            .map_err(|_| AppError::BadRequest("The view's filters are not valid.".into()))?;
        // The form's checkbox: present ("on") when ticked.
        let shared = shared.is_some_and(|s| s == "on" || s == "true");
        let id = super::service::save_view(&c.state, &c.user, c.ip, &name, shared, &filters).await?;
        Ok(id.to_string())
    })
    .await
}

/// Delete one of the user's views (admins: also shared ones).
#[server(prefix = "/sfn", endpoint = "exceptions/delete-view")]
pub async fn delete_exception_view(id: String) -> Result<(), AppError> {
    serve(async move |c| super::service::delete_view(&c.state, &c.user, c.ip, &id).await).await
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    //! The detail page's field names against the decoder the server runs on every post
    //! (JavaScript or not): the bodies below are what a browser sends for each form.

    use super::*;
    use crate::features::exceptions::model::ActionRequest;
    use crate::http::server_fn::decode_form_post;

    fn action_form(request: ActionRequest) -> ExceptionActionForm {
        ExceptionActionForm { id: "EXC-1".into(), request }
    }

    #[tokio::test]
    async fn the_detail_forms_decode_into_one_action_request() {
        let decode = |body: &'static str| async move {
            let ExceptionAct { form } = decode_form_post(body).await.unwrap();
            form
        };
        // "Snooze": a datetime-local value and the note box.
        assert_eq!(
            decode(
                "form%5Bid%5D=EXC-1&form%5Baction%5D=snooze&form%5Buntil%5D=2026-12-01T09%3A30&form%5Bnote%5D=Waiting"
            )
            .await,
            action_form(ActionRequest {
                action: "snooze".into(),
                until: Some("2026-12-01T09:30".into()),
                note: Some("Waiting".into()),
                ..Default::default()
            })
        );
        // "Add tags": one comma-separated box.
        assert_eq!(
            decode("form%5Bid%5D=EXC-1&form%5Baction%5D=tag&form%5Btags%5D=bank-followup%2C+high-value").await,
            action_form(ActionRequest {
                action: "tag".into(),
                tags: Some("bank-followup, high-value".into()),
                ..Default::default()
            })
        );
        // "Remove tag …": each tag has its own form with one hidden `form[tags]`.
        assert_eq!(
            decode("form%5Bid%5D=EXC-1&form%5Baction%5D=untag&form%5Btags%5D=rm-check").await,
            action_form(ActionRequest { action: "untag".into(), tags: Some("rm-check".into()), ..Default::default() })
        );
        // "Assign to me": the hidden fields alone.
        assert_eq!(
            decode("form%5Bid%5D=EXC-1&form%5Baction%5D=take").await,
            action_form(ActionRequest { action: "take".into(), ..Default::default() })
        );
        // The loose names of before are no longer this function's arguments.
        assert!(decode_form_post::<ExceptionAct>("id=EXC-1&action=take").await.is_err());
    }
}
