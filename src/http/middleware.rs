//! Cross-cutting HTTP rules of spec 09: CSRF origin checks on state changes, and security headers
//! (nosniff, referrer policy, framing, a strict default CSP, no caching of pages and data).

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::guard::has_bearer;
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Paths authenticated by their own signature rather than a cookie (HMAC webhooks).
const SIGNED_WEBHOOK_PREFIX: &str = crate::auth::guard::WEBHOOK_PREFIX;

/// Does the request come from our own pages? `Origin` must be our origin; without `Origin`,
/// `Sec-Fetch-Site: same-origin` is accepted. Anything else is refused.
pub fn same_origin(headers: &HeaderMap, config: &Config) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if let Some(public) = &config.public_origin {
            return origin == public;
        }
        let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
            return false;
        };
        return origin == format!("http://{host}") || origin == format!("https://{host}");
    }
    headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"same-origin")
}

/// State changes carried by the session cookie must come from our own origin. Bearer-token calls
/// carry no ambient credential and are not subject to CSRF.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe
        || has_bearer(req.headers())
        || req.uri().path().starts_with(SIGNED_WEBHOOK_PREFIX)
        || same_origin(req.headers(), &state.config)
    {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-origin state change refused");
    if req.uri().path().starts_with("/api/") {
        let mut res = AppError::Forbidden.into_response();
        *res.body_mut() = axum::body::Body::from(
            r#"{"error":"forbidden","message":"Cross-origin request refused: it did not come from this site."}"#,
        );
        return res;
    }
    (StatusCode::FORBIDDEN, "Cross-origin request refused: it did not come from this site.").into_response()
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Pages set their own CSP with the per-request script nonce (see app::shell).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    let dynamic = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if dynamic && !headers.contains_key(header::CACHE_CONTROL) {
        // Pages and data are per-user: never cached, so Back after sign-out asks the server again.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origin_must_match_host() {
        let config = Config::for_tests("postgres://unused");
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]), &config));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.test")]), &config));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]), &config));
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), &config));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), &config));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:3000")]), &config));
        // A mismatched Origin is refused even when Sec-Fetch-Site claims same-origin.
        assert!(!same_origin(
            &headers(&[("host", "a.test"), ("origin", "http://b.test"), ("sec-fetch-site", "same-origin")]),
            &config
        ));
    }

    #[test]
    fn configured_public_origin_wins() {
        let mut config = Config::for_tests("postgres://unused");
        config.public_origin = Some("https://ops.settlepaisa.test".into());
        assert!(same_origin(
            &headers(&[("host", "internal:3000"), ("origin", "https://ops.settlepaisa.test")]),
            &config
        ));
        assert!(!same_origin(&headers(&[("host", "internal:3000"), ("origin", "http://internal:3000")]), &config));
    }
}
