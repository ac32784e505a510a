//! The exception pages' server functions: authorise, then call the same queries and commands as
//! the JSON API.

use leptos::prelude::*;

use super::model::{ExceptionActionForm, ExceptionView, ExceptionsQuery, ExceptionsView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use crate::features::server_ctx as ctx;

/// Everything the `/exceptions` page shows for its URL.
#[server(prefix = "/sfn", endpoint = "exceptions/view")]
pub async fn get_exceptions(#[server(default)] query: ExceptionsQuery) -> Result<ExceptionsView, AppError> {
    use super::api::{READ, WORK};
    use super::model::PAGE_SIZE;
    use super::queries;
    use crate::auth::{guard, Role};

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let (filter, sort, page_number) = query.parse().map_err(AppError::BadRequest)?;
        let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
        let now = state.clock.now();
        let pool = &state.pool;
        let me = Some(user.id);
        // The three queue queries in parallel; the small lookups one after another on a fourth.
        let lookups = async {
            Ok::<_, AppError>((
                queries::saved_views(pool, user.id, user.roles.contains(&Role::Admin)).await?,
                queries::reasons(pool).await?,
                queries::merchants(pool).await?,
                queries::acquirers(pool).await?,
                queries::assignees(pool).await?,
            ))
        };
        let (kpis, rows, counts, (views, reasons, merchants, acquirers, assignees)) = tokio::try_join!(
            queries::kpis(pool, now),
            queries::list(pool, &filter, sort, me, PAGE_SIZE, offset, now),
            super::api::counts_cached(&state, &filter, user.id, now),
            lookups,
        )?;
        Ok(ExceptionsView {
            kpis,
            rows,
            counts,
            page_number,
            sort,
            views,
            reasons,
            merchants,
            acquirers,
            assignees,
            can_work: user.may(WORK),
            now,
        })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// One exception with what this user may do with it now.
#[server(prefix = "/sfn", endpoint = "exceptions/one")]
pub async fn get_exception(id: String) -> Result<ExceptionView, AppError> {
    use super::api::{allowed_for, READ};
    use super::{queries, rules};
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let now = state.clock.now();
        let detail = queries::detail(&state.pool, &id, now).await?;
        let allowed = allowed_for(&user, &detail);
        let assignees = if allowed.is_empty() { Vec::new() } else { queries::assignees(&state.pool).await? };
        Ok(ExceptionView {
            next_steps: rules::next_steps(&detail.row.reason_code).into_iter().map(str::to_string).collect(),
            detail,
            allowed,
            assignees,
            me: Some(user.email.clone()),
            now,
        })
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// An action from the detail page.
#[server(prefix = "/sfn", endpoint = "exceptions/act")]
pub async fn exception_act(form: ExceptionActionForm) -> Result<(), AppError> {
    use super::api::{apply_action, READ};
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let ip = ctx::client_ip(&state);
        apply_action(&state, &user, ip, &form.id, &form.request).await
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// Save the page's current filter (`filters`: the saved-view JSON) under a name.
#[server(prefix = "/sfn", endpoint = "exceptions/save-view")]
pub async fn save_exception_view(name: String, shared: Option<String>, filters: String) -> Result<String, AppError> {
    use super::api::{save_view, READ};
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let ip = ctx::client_ip(&state);
        let filters: serde_json::Value = serde_json::from_str(&filters)
            .map_err(|_| AppError::BadRequest("The view's filters are not valid.".into()))?;
        let shared = shared.is_some_and(|s| s == "on" || s == "true");
        let id = save_view(&state, &user, ip, &name, shared, &filters).await?;
        Ok(id.to_string())
    }
    .await
    .map_err(AppError::in_server_fn)
}

/// Delete one of the user's views (admins: also shared ones).
#[server(prefix = "/sfn", endpoint = "exceptions/delete-view")]
pub async fn delete_exception_view(id: String) -> Result<(), AppError> {
    use super::api::READ;
    use super::commands::{delete_view, Actor};
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let ip = ctx::client_ip(&state);
        let id = uuid::Uuid::parse_str(&id).map_err(|_| AppError::NotFound("No such saved view.".into()))?;
        delete_view(&state.pool, &Actor { user, ip }, id).await
    }
    .await
    .map_err(AppError::in_server_fn)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    //! The detail page's field names against the decoder the server runs on every post
    //! (JavaScript or not): the bodies below are what a browser sends for each form.

    use super::*;
    use crate::features::exceptions::model::ActionRequest;
    use crate::features::server_ctx::decode_form_post;

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
