//! Cross-cutting HTTP rules of spec 09: CSRF origin checks on state changes, security headers
//! (nosniff, referrer policy, framing, the page CSP with a per-request script nonce and a strict
//! default CSP for everything else, no caching of pages, data and
//! downloads, long caching of content-hashed assets), and the limits every request lives within:
//! the server functions' body size, a time limit, and a 500 page instead of a dropped connection
//! when a handler panics.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::guard::has_bearer;
use crate::config::Config;
use crate::error::{AppError, ErrorBody};
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
    // The request's own log line names its route template; the raw path (ids) is not logged.
    tracing::warn!("cross-origin state change refused");
    if req.uri().path().starts_with("/api/") {
        let mut res = AppError::Forbidden.into_response();
        *res.body_mut() = axum::body::Body::from(
            r#"{"error":"forbidden","message":"Cross-origin request refused: it did not come from this site."}"#,
        );
        return res;
    }
    (StatusCode::FORBIDDEN, "Cross-origin request refused: it did not come from this site.").into_response()
}

/// The policy of an HTML page: our own scripts (the hydration scripts carry this request's nonce)
/// and WASM. `security_headers` mints the nonce (Leptos's own `Nonce::new`) and puts it in the
/// request's extensions; the page shell hands it to Leptos (`app::shell`). The header is written
/// here, on every HTML answer, rather than by the page through Leptos's response options (a page
/// answered without it once in an end-to-end run, and its scripts were blocked).
fn page_policy(nonce: &leptos::nonce::Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = leptos::nonce::Nonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/html"));
    let policy = if html {
        HeaderValue::from_str(&page_policy(&nonce)).ok()
    } else {
        Some(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"))
    };
    if let Some(policy) = policy {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let dynamic = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        ct.starts_with("text/html") || ct.starts_with("application/json") || ct.starts_with("text/csv")
    });
    let download = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|d| d.starts_with("attachment"));
    if (dynamic || download) && !headers.contains_key(header::CACHE_CONTROL) {
        // Pages, data, exports and evidence files are per-user: never cached (not on a shared
        // machine's disk either), so Back after sign-out asks the server again.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Is this a request of the JSON API (whose errors are JSON, never HTML)?
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Largest body a server function may send: they take forms and small JSON, and read the whole
/// body before they run, that is before they can check who is calling.
const SERVER_FN_BODY_LIMIT: usize = 1024 * 1024;

/// Route layer of the server functions: bodies over [`SERVER_FN_BODY_LIMIT`] get 413, read no
/// further than the limit (a declared length is refused before anything is read).
pub async fn limit_server_fn_body(req: Request, next: Next) -> Response {
    let too_large = || (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large (at most 1 MB).").into_response();
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > SERVER_FN_BODY_LIMIT as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, SERVER_FN_BODY_LIMIT).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        // Past the limit without a declared length, or the client stopped sending: no usable body.
        Err(_) => too_large(),
    }
}

/// Marks the answer that [`CatchPanicLayer`] made of a panic, for [`answer_panic`] to dress.
#[derive(Clone, Copy)]
struct Panicked;

fn panic_answer(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %message, "a request handler panicked");
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(Panicked);
    res
}

/// The panic's 500 in the caller's language: `{"error","message"}` for the API, the HTML error
/// page for a browser. (The panic handler itself does not see the request, so it only marks.)
async fn answer_panic(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let res = next.run(req).await;
    if res.extensions().get::<Panicked>().is_none() {
        return res;
    }
    if api {
        AppError::Internal.into_response()
    } else {
        super::error_page(AppError::Internal)
    }
}

/// A panic anywhere in `app` (handlers, the guard, sessions) answers 500 instead of dropping the
/// connection without a word.
pub fn catch_panics<S: Clone + Send + Sync + 'static>(app: Router<S>) -> Router<S> {
    app.layer(CatchPanicLayer::custom(panic_answer as fn(Box<dyn Any + Send + 'static>) -> Response))
        .layer(from_fn(answer_panic))
}

/// Routes that may rightly take longer than the time limit, by method and route template (the
/// server's choice, never the client's: a `Content-Type` proves nothing): file uploads, which
/// arrive at the client's pace and are parsed as they come. CSV exports (`GET` of a route ending
/// in `.csv`: every row of a filter) are long too. Their database work stays bounded by the
/// statement timeout (which an upload lifts to 15 minutes for its bulk write, see
/// `db::lift_statement_timeout`), and an upload's body by the idle limit between its chunks.
const UPLOAD_ROUTES: [&str; 5] = [
    "/api/recon/v1/uploads",
    "/api/recon/v1/uploads/preview",
    "/api/admin/v1/layouts/trial",
    "/api/disputes/v1/chargebacks/import",
    "/api/disputes/v1/chargebacks/{id}/documents",
];

/// What kind of time a request gets, by the route it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pace {
    /// The time limit.
    Limited,
    /// An upload: no overall limit, but its body may not stall.
    Upload,
    /// A CSV or XLSX export: no limit (a download lasts as long as its client takes to read it).
    Export,
}

fn pace_of(req: &Request) -> Pace {
    let Some(route) = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str) else {
        return Pace::Limited;
    };
    match *req.method() {
        Method::POST if UPLOAD_ROUTES.contains(&route) => Pace::Upload,
        Method::GET if route.ends_with(".csv") || route.ends_with(".xlsx") => Pace::Export,
        _ => Pace::Limited,
    }
}

/// An upload's body, cut off when no chunk arrives for `idle`: a client dripping a byte now and
/// then must not hold the upload's transaction (and its lifted statement timeout) for minutes.
/// `stalled` tells the middleware to answer 408 whatever the handler made of the broken body.
fn idle_limited(body: Body, idle: Duration, stalled: Arc<AtomicBool>) -> Body {
    let chunks = body.into_data_stream();
    Body::from_stream(futures_util::stream::unfold(Some(chunks), move |chunks| {
        let stalled = stalled.clone();
        async move {
            let mut chunks = chunks?;
            match tokio::time::timeout(idle, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(chunks))),
                Ok(None) => None,
                Err(_) => {
                    stalled.store(true, Ordering::Relaxed);
                    Some((Err(axum::Error::new("the upload stalled")), None))
                }
            }
        }
    }))
}

/// A request stopped by a limit: JSON for the API, the HTML error page for a browser.
fn stopped(api: bool, status: StatusCode, message: &str) -> Response {
    if api {
        (status, axum::Json(ErrorBody { error: "timeout", message })).into_response()
    } else {
        super::error_page_with(status, message)
    }
}

/// Every request outside [`UPLOAD_ROUTES`] and the CSV exports gets `limit`
/// (`REQUEST_TIMEOUT_SECS`; zero means none) to answer, then 503: a stuck request must not hold
/// its connection and database work forever. An upload's body gets 408 when no chunk arrives for
/// `upload_idle` (`UPLOAD_IDLE_TIMEOUT_SECS`; zero means no idle limit).
pub fn time_limit<S: Clone + Send + Sync + 'static>(
    app: Router<S>,
    limit: Duration,
    upload_idle: Duration,
) -> Router<S> {
    app.layer(from_fn(move |req: Request, next: Next| async move {
        let api = is_api(req.uri().path());
        match pace_of(&req) {
            Pace::Export => next.run(req).await,
            Pace::Upload if upload_idle.is_zero() => next.run(req).await,
            Pace::Upload => {
                let stalled = Arc::new(AtomicBool::new(false));
                let (parts, body) = req.into_parts();
                let body = idle_limited(body, upload_idle, stalled.clone());
                let res = next.run(Request::from_parts(parts, body)).await;
                if !stalled.load(Ordering::Relaxed) {
                    return res;
                }
                tracing::warn!(seconds = upload_idle.as_secs(), "upload stopped: its body stalled");
                let message =
                    "The upload stopped arriving and was cut off. Check the connection and upload the file again.";
                stopped(api, StatusCode::REQUEST_TIMEOUT, message)
            }
            Pace::Limited if limit.is_zero() => next.run(req).await,
            Pace::Limited => match tokio::time::timeout(limit, next.run(req)).await {
                Ok(res) => res,
                Err(_) => {
                    tracing::warn!(seconds = limit.as_secs(), "request stopped at the time limit");
                    let message =
                        "This took too long and was stopped. Try a narrower filter, or try again in a minute.";
                    stopped(api, StatusCode::SERVICE_UNAVAILABLE, message)
                }
            },
        }
    }))
}

/// Does the file name carry its content's hash (cargo-leptos `hash-files`:
/// `settlepaisa-ops.<22 base64url characters>.css`)? Then its bytes never change under that name.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1]
            .iter()
            .any(|p| p.len() == 22 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// `Cache-Control` of a static file: hashed names are immutable (a new build has new names);
/// other files under `/pkg/` are revalidated (their name stays across builds); public files such
/// as the favicon may be reused for an hour.
pub fn static_cache_control(path: &str) -> &'static str {
    if is_content_hashed(path) {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/pkg/") {
        "no-cache"
    } else {
        "public, max-age=3600"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_are_immutable() {
        let immutable = "public, max-age=31536000, immutable";
        assert_eq!(static_cache_control("/pkg/settlepaisa-ops.Xq3Lw-8bZ_0pQm1NcR4uTg.css"), immutable);
        assert_eq!(static_cache_control("/pkg/settlepaisa-ops.Xq3Lw-8bZ_0pQm1NcR4uTg.wasm"), immutable);
        assert_eq!(static_cache_control("/pkg/settlepaisa-ops.css"), "no-cache");
        assert_eq!(static_cache_control("/pkg/snippets/x-1234/inline0.js"), "no-cache");
        assert_eq!(static_cache_control("/favicon.svg"), "public, max-age=3600");
    }

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
