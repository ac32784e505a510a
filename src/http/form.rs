//! What every feature's JSON handlers need to also answer the pages' plain HTML forms: whether the
//! caller is a browser form, the redirect back to the page with a notice, and the caller's address
//! for the audit rows. One copy here, so features never borrow these from each other's `api.rs`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::state::AppState;

/// A browser form (answered with a redirect and a notice) rather than a script (answered with JSON).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Back to a page (which may carry its own query) with a notice (success) or an error, for
/// browser forms.
pub fn back_to(path: &str, key: &str, message: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("{path}{sep}{key}={}", crate::auth::guard::urlencode(message));
    Redirect::to(&url).into_response()
}

/// The caller's address, for the audit rows (see [`crate::http::client_ip_of`] for which one).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(crate::http::client_ip_of(&parts.headers, &parts.extensions, &state.config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_html_accept_header_is_a_browser_form() {
        let with = |accept: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, accept.parse().unwrap());
            wants_html(&h)
        };
        assert!(with("text/html,application/xhtml+xml"));
        assert!(!with("application/json"));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn back_to_keeps_the_page_query() {
        let location = |r: Response| r.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert_eq!(location(back_to("/recon", "notice", "Done.")), "/recon?notice=Done.");
        assert_eq!(location(back_to("/exceptions?status=open", "error", "a b")), "/exceptions?status=open&error=a%20b");
    }
}
