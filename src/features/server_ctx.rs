//! What the server functions of every slice need from the request: the shared state and the
//! caller's address (for the audit rows).

use leptos::prelude::use_context;

use crate::error::AppError;
use crate::state::AppState;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

pub fn client_ip(state: &AppState) -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|parts| crate::http::client_ip_of(&parts.headers, &parts.extensions, &state.config))
}
