//! What every feature's JSON handlers need to also answer the pages' plain HTML forms: whether the
//! caller is a browser form, the redirect back to the page with a notice, and the answers to bad
//! uploads. One copy here, so features never borrow these from each other's `api.rs`.

use axum::extract::multipart::MultipartError;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;

/// A browser form (answered with a redirect and a notice) rather than a script (answered with JSON).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Whether the request body is of this media type (`application/json`, `multipart/form-data`),
/// by its `Content-Type` (parameters such as `charset` or `boundary` aside).
pub fn content_type_is(headers: &HeaderMap, media_type: &str) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with(media_type))
}

/// An upload over the limit of `limit` bytes, as the user reads it.
pub fn upload_too_big(limit: usize) -> AppError {
    AppError::BadRequest(format!("The file is larger than the {} MB upload limit.", limit / (1024 * 1024)))
}

/// A multipart body that could not be read: over the size limit ([`upload_too_big`]), or malformed.
pub fn multipart_error(e: MultipartError, limit: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        upload_too_big(limit)
    } else {
        AppError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}

/// Whether the `back` path a form gave is one of our own pages under `page` (e.g. `/exceptions`),
/// by the rules sign-in's `next` follows ([`crate::auth::login::safe_next`]): a path elsewhere, or
/// one with a control or whitespace character (an invalid `Location`), is not.
pub fn is_back_path(back: &str, page: &str) -> bool {
    let under_page = back.strip_prefix(page).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']));
    under_page && crate::auth::login::safe_next(Some(back)) == back
}

/// Back to a page (which may carry its own query) with a notice (success) or an error, for
/// browser forms.
pub fn back_to(path: &str, key: &str, message: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("{path}{sep}{key}={}", crate::auth::guard::urlencode(message));
    Redirect::to(&url).into_response()
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
    fn only_a_clean_path_under_the_page_is_a_back_path() {
        assert!(is_back_path("/exceptions?status=open", "/exceptions"));
        assert!(is_back_path("/exceptions", "/exceptions"));
        assert!(!is_back_path("/exceptions\n", "/exceptions"));
        assert!(!is_back_path("/exceptions?q=a b", "/exceptions"));
        assert!(!is_back_path("/exceptionsx", "/exceptions"));
        assert!(!is_back_path("//evil.example/exceptions", "/exceptions"));
        assert!(!is_back_path("/disputes", "/exceptions"));
    }

    #[test]
    fn the_request_media_type_ignores_parameters() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(content_type_is(&h, "application/json"));
        assert!(!content_type_is(&h, "multipart/form-data"));
        assert!(!content_type_is(&HeaderMap::new(), "application/json"));
    }

    #[test]
    fn back_to_keeps_the_page_query() {
        let location = |r: Response| r.headers()[header::LOCATION].to_str().unwrap().to_string();
        assert_eq!(location(back_to("/recon", "notice", "Done.")), "/recon?notice=Done.");
        assert_eq!(location(back_to("/exceptions?status=open", "error", "a b")), "/exceptions?status=open&error=a%20b");
    }
}
