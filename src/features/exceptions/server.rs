//! The exception pages' server functions: authorise, then call the same queries and commands as
//! the JSON API.

use leptos::prelude::*;

use super::model::{ExceptionView, ExceptionsQuery, ExceptionsView};
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
            queries::list(pool, &filter, sort, me, PAGE_SIZE, (page_number - 1) * PAGE_SIZE, now),
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
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/sfn", endpoint = "exceptions/act")]
pub async fn exception_act(
    id: String,
    action: String,
    assignee: Option<String>,
    until: Option<String>,
    resolution: Option<String>,
    note: Option<String>,
    tags: Option<String>,
    severity: Option<String>,
) -> Result<(), AppError> {
    use super::api::{apply_action, READ};
    use super::model::ActionRequest;
    use crate::auth::guard;

    async move {
        let user = guard::require(READ)?;
        let state = ctx::state()?;
        let ip = ctx::client_ip(&state);
        let request = ActionRequest { action, assignee, until, resolution, note, tags, severity };
        apply_action(&state, &user, ip, &id, &request).await
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
