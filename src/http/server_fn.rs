//! What every server function needs from its request: the shared state, the signed-in caller
//! (whose roles the feature's service then checks) and the caller's address (for the audit rows),
//! and one way to answer — [`serve`] runs the use case and gives its error the response status
//! of its own (403, 404, 409…), so no server function can forget to.

use std::future::Future;

use leptos::prelude::use_context;

use crate::auth::{guard, Access, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

/// The request a server function serves.
pub struct Call {
    pub state: AppState,
    /// Signed in, as the `Authorized` extractor gives it to the JSON handlers; the feature's
    /// service checks the role its use case needs.
    pub user: CurrentUser,
    /// The client's address, as the audit rows record it.
    pub ip: Option<String>,
}

impl Call {
    fn current() -> Result<Call, AppError> {
        let user = guard::require(Access::SIGNED_IN)?;
        let state = use_context::<AppState>().ok_or(AppError::Internal)?;
        let ip = use_context::<http::request::Parts>()
            .and_then(|parts| crate::http::client_ip_of(&parts.headers, &parts.extensions, &state.config));
        Ok(Call { state, user, ip })
    }
}

/// A server function's body: `use_case` runs with the [`Call`] of this request, and any error —
/// from reading the call or from the use case — answers with its own status.
pub async fn serve<T>(use_case: impl AsyncFnOnce(Call) -> Result<T, AppError>) -> Result<T, AppError> {
    answer(async { use_case(Call::current()?).await }).await
}

async fn answer<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    body.await.map_err(|error| if plain_form_post() { refused_form_post(error) } else { error.in_server_fn() })
}

/// A page's form posted without client code (pages have none outside their islands): leptos_axum
/// answers it with a redirect back to the form's page (its `Referer`), carrying the error in the
/// address, where the form's action shows it.
fn plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.uri.path().starts_with(&format!("{}/", crate::http::SERVER_FN_PREFIX))
            && crate::http::form::wants_html(&parts.headers)
            && parts.headers.contains_key(http::header::REFERER)
    })
}

/// The error of a plain form post keeps the redirect (a status set here would replace it and leave
/// the browser on the raw error), and its own status is handed to the refusal audit
/// ([`crate::audit::record_refusals`]) in a header that layer takes off the response.
fn refused_form_post(error: AppError) -> AppError {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            http::HeaderName::from_static(crate::audit::REFUSED_STATUS_HEADER),
            http::HeaderValue::from(error.status_code()),
        );
    }
    error
}

/// A server function's arguments decoded from a url-encoded body exactly as the server decodes a
/// form post, so tests can hold the field names the pages' forms use against the function.
#[cfg(test)]
pub async fn decode_form_post<Args>(body: &str) -> Result<Args, AppError>
where
    Args: leptos::server_fn::codec::FromReq<
        leptos::server_fn::codec::PostUrl,
        axum::http::Request<axum::body::Body>,
        AppError,
    >,
{
    let request = axum::http::Request::post("/sfn")
        .header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body.to_string()))
        .map_err(|_| AppError::Internal)?;
    Args::from_req(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{provide_context, Owner};
    use leptos_axum::ResponseOptions;

    /// The status `body`'s answer set on the response, and the answer.
    fn answered<T>(body: impl Future<Output = Result<T, AppError>>) -> (Option<u16>, Result<T, AppError>) {
        let owner = Owner::new();
        let response = ResponseOptions::default();
        owner.with(|| {
            provide_context(response.clone());
            let result = futures::executor::block_on(answer(body));
            (response.0.read().expect("the response lock").status.map(|s| s.as_u16()), result)
        })
    }

    #[test]
    fn an_error_answers_with_its_own_status_and_a_success_leaves_the_status_alone() {
        let (status, result) = answered(async { Err::<(), _>(AppError::Conflict("taken".into())) });
        assert_eq!((status, result), (Some(409), Err(AppError::Conflict("taken".into()))));
        let (status, result) = answered(async { Ok(7) });
        assert_eq!((status, result), (None, Ok(7)));
    }

    #[test]
    fn a_call_without_a_signed_in_user_is_a_401() {
        let (status, result) = answered(serve(async |_call| Ok(())));
        assert_eq!((status, result), (Some(401), Err(AppError::Unauthorized)));
    }
}
