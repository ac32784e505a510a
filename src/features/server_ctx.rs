//! What the server functions of every slice need from the request: the shared state, the
//! signed-in caller (whose roles each use case then checks) and the caller's address (for the
//! audit rows).

use leptos::prelude::use_context;

use crate::auth::{guard, Access, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

/// The signed-in caller, as the `Authorized` extractor gives it to the JSON handlers; the
/// feature's service checks the role its use case needs.
pub fn caller() -> Result<CurrentUser, AppError> {
    guard::require(Access::SIGNED_IN)
}

pub fn client_ip(state: &AppState) -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|parts| crate::http::client_ip_of(&parts.headers, &parts.extensions, &state.config))
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
