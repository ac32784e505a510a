//! A micro-cache of rendered pages: the busiest list pages, per user and URL, kept for at most
//! [`PAGE_MAX_AGE`] and flushed on every instance whenever any table changes (channel
//! [`PAGES`](crate::notified_cache::PAGES), migration `page_notifications`).
//!
//! A page's render runs its queries and lays out every row (a few milliseconds of CPU); an analyst
//! refreshing, a wall screen, or ten tabs of one queue ask for the same page again within the
//! second. Those requests share one render: concurrent misses wait for the one in progress
//! ([`NotifiedCache::load_shared`]), and later ones are answered from memory until the data changes
//! or the page is a second old. The age bound keeps what changes with time alone (SLA clocks,
//! "last 24 h" windows) as current as a render that took a second; every data change anywhere
//! flushes at once, so an action's redirect shows its result.
//!
//! What is never served from here: another user's page (the key is the user), a page with a
//! different query, anything but a whole `200 text/html` answer without cookies, and pages not
//! in [`CACHED_PAGES`] (detail pages, settings, profile — one-time token display —, the audit log,
//! reports, jobs). Each answer carries its own request's CSP nonce: the rendered page is kept cut
//! at its nonce and joined again with the new one, so no two answers share a nonce.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::notified_cache::{Loaded, NotifiedCache};
use crate::state::AppState;

/// The oldest a page may be when it is served again.
pub const PAGE_MAX_AGE: Duration = Duration::from_secs(1);

/// Pages kept at most (per instance); with [`MAX_PAGE_BYTES`] this bounds the cache's memory.
pub const MAX_PAGES: usize = 512;

/// Larger pages are rendered for each request, never kept.
pub const MAX_PAGE_BYTES: usize = 256 * 1024;

/// The pages cached: the lists and dashboards analysts keep open and refresh. Exact paths; any
/// query string (filters, sort, page) is part of the key.
pub const CACHED_PAGES: &[&str] =
    &["/overview", "/recon", "/exceptions", "/disputes", "/settlements", "/transactions", "/analytics"];

/// (user, path and query) → the rendered page. Only `Some` is ever stored; a render that may not
/// be kept answers `None` to those waiting on it, so each of them renders for itself.
pub type PageCache = NotifiedCache<(Uuid, String), Option<CachedPage>>;

/// A rendered page, cut at the CSP nonce of the request that rendered it.
#[derive(Clone)]
pub struct CachedPage {
    /// The app clock when it was rendered.
    rendered_at: DateTime<Utc>,
    headers: HeaderMap,
    /// The body's pieces between the occurrences of the nonce.
    pieces: Arc<[Bytes]>,
}

impl CachedPage {
    /// `body` as rendered for `nonce`; `None` if it must not be kept.
    fn cut(body: &Bytes, headers: &HeaderMap, nonce: &str, rendered_at: DateTime<Utc>) -> Option<CachedPage> {
        if body.len() > MAX_PAGE_BYTES || nonce.is_empty() {
            return None;
        }
        let mut pieces = Vec::new();
        let mut rest = 0;
        for at in memchr::memmem::find_iter(body, nonce.as_bytes()) {
            pieces.push(body.slice(rest..at));
            rest = at + nonce.len();
        }
        pieces.push(body.slice(rest..));
        Some(CachedPage { rendered_at, headers: headers.clone(), pieces: pieces.into() })
    }

    /// The page for a request whose nonce is `nonce`.
    fn answer(&self, nonce: &str) -> Response {
        let len = self.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (self.pieces.len() - 1);
        let mut body = Vec::with_capacity(len);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut res = Response::new(Body::from(body));
        *res.headers_mut() = self.headers.clone();
        res.headers_mut().insert(header::CONTENT_LENGTH, len.into());
        res
    }

    fn fresh_at(&self, now: DateTime<Utc>) -> bool {
        let age = now - self.rendered_at;
        age >= chrono::Duration::zero() && age.to_std().is_ok_and(|age| age < PAGE_MAX_AGE)
    }
}

/// Is this request one whose answer may come from the cache?
fn cacheable_request(req: &Request) -> bool {
    req.method() == Method::GET
        && CACHED_PAGES.contains(&req.uri().path())
        && !req.headers().contains_key(header::RANGE)
        && !req.headers().contains_key(header::AUTHORIZATION)
}

/// At most this many page renders run at once, and at most this many wait for one; beyond them a
/// page request is answered 503 at once (with `Retry-After`) instead of queueing behind renders it
/// would time out waiting for. A request that waits longer than the gate's wait is answered the
/// same. Cached pages never reach the gate.
pub struct RenderGate {
    permits: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
}

/// Counts itself out of the queue however its wait ends.
struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl RenderGate {
    pub fn new(renders: usize, max_waiting: usize, max_wait: Duration) -> RenderGate {
        RenderGate {
            permits: tokio::sync::Semaphore::new(renders.max(1)),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            max_waiting,
            max_wait,
        }
    }

    /// Sized by the database pool: a render runs a few queries at once, and renders beyond half
    /// the pool only wait for connections (while API calls and jobs need some too).
    pub fn for_pool(connections: u32) -> RenderGate {
        let renders = (connections as usize / 2).max(2);
        RenderGate::new(renders, 8 * renders, Duration::from_secs(1))
    }

    /// A render's permit, or `None`: shed.
    pub async fn enter(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.permits.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let _waiting = Waiting(&self.waiting);
        tokio::time::timeout(self.max_wait, self.permits.acquire()).await.ok()?.ok()
    }
}

/// The answer to a page request shed by the [`RenderGate`].
fn busy() -> Response {
    metrics::counter!("http_pages_shed_total").increment(1);
    let mut res = crate::http::error_page_with(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is busy right now. Try again in a moment.",
    );
    res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
    res
}

/// Is this a request for a page rendered by the app (not the API, a server function or health)?
fn is_page(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET && !path.starts_with("/api/") && !path.starts_with("/sfn/") && path != "/health"
}

/// Route layer of the app's routes: answers a cached page when it may, renders (once for everyone
/// asking at the same moment) when not.
///
/// Every other request of a method that may write (a form post, a server function, an API call)
/// flushes this instance's pages once it is answered: the page its redirect shows is rendered
/// anew, whether or not the notification of its change has arrived yet.
pub async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let res = next.run(req).await;
        state.pages.flush();
        return res;
    }
    if !is_page(&req) {
        return next.run(req).await;
    }
    let cached = (req.extensions().get::<CurrentUser>(), req.extensions().get::<leptos::nonce::Nonce>());
    let (true, Some(user), Some(nonce)) = (cacheable_request(&req), cached.0, cached.1) else {
        let Some(_render) = state.renders.enter().await else {
            return busy();
        };
        return next.run(req).await;
    };
    let nonce = nonce.to_string();
    let key = (user.id, req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default());
    let now = state.clock.now();
    // The render's own answer when it is not kept (not a whole 200 page, too large): for this
    // request only, never for the requests waiting on it (they render for themselves).
    let mut own = None;
    let mut rendered = false;
    let render = async {
        rendered = true;
        let Some(_render) = state.renders.enter().await else {
            own = Some(busy());
            return Ok(Loaded::Once(None));
        };
        let res = next.run(req).await;
        let keep = res.status() == StatusCode::OK
            && !res.headers().contains_key(header::SET_COOKIE)
            && res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("text/html"));
        if !keep {
            own = Some(res);
            return Ok(Loaded::Once(None));
        }
        let (parts, body) = res.into_parts();
        // Rendered whole before it is sent (`SsrMode::Async`): this holds nothing more than the
        // render already did.
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "a page's render failed while it was sent");
                own = Some(crate::http::error_page(crate::error::AppError::Internal));
                return Ok(Loaded::Once(None));
            }
        };
        match CachedPage::cut(&bytes, &parts.headers, &nonce, now) {
            Some(page) => Ok(Loaded::Keep(Some(page))),
            None => {
                own = Some(Response::from_parts(parts, Body::from(bytes)));
                Ok(Loaded::Once(None))
            }
        }
    };
    let fresh = |page: &Option<CachedPage>| page.as_ref().is_some_and(|page| page.fresh_at(now));
    let found = match state.pages.load_shared::<std::convert::Infallible, _>(key, fresh, render).await {
        Ok(found) => found,
        Err(never) => match never {},
    };
    if let Some(res) = own {
        return res;
    }
    match found.flatten() {
        Some(page) => {
            let answer = if rendered { "rendered" } else { "memory" };
            metrics::counter!("page_cache_answers_total", "answer" => answer).increment(1);
            page.answer(&nonce)
        }
        // Unreachable: an answer without a page is one this request's own render gave (`own`);
        // one shared by another render is not fresh, so this request renders for itself.
        None => crate::http::error_page(crate::error::AppError::Internal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &'static str) -> CachedPage {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/html; charset=utf-8".parse().unwrap());
        CachedPage::cut(&Bytes::from_static(body.as_bytes()), &headers, "N0nce_A-1", Utc::now()).unwrap()
    }

    async fn body_of(res: Response) -> String {
        String::from_utf8(axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn every_answer_carries_its_own_nonce() {
        let p = page(r#"<script nonce="N0nce_A-1">a</script><p>x</p><script nonce="N0nce_A-1">b</script>"#);
        let res = p.answer("other-NONCE");
        let length = res.headers()[header::CONTENT_LENGTH].to_str().unwrap().to_string();
        let body = body_of(res).await;
        assert_eq!(body, r#"<script nonce="other-NONCE">a</script><p>x</p><script nonce="other-NONCE">b</script>"#);
        assert_eq!(length, body.len().to_string());
        // A page without the nonce (no scripts) comes back as it was.
        assert_eq!(body_of(page("<p>plain</p>").answer("zzz")).await, "<p>plain</p>");
        // At the very start and end.
        assert_eq!(body_of(page("N0nce_A-1 mid N0nce_A-1").answer("n")).await, "n mid n");
    }

    #[test]
    fn a_page_is_fresh_for_under_a_second_of_the_app_clock() {
        let p = page("<p>x</p>");
        let at = p.rendered_at;
        assert!(p.fresh_at(at));
        assert!(p.fresh_at(at + chrono::Duration::milliseconds(999)));
        assert!(!p.fresh_at(at + chrono::Duration::seconds(1)));
        assert!(!p.fresh_at(at + chrono::Duration::hours(3)));
        // A clock set back does not make an old page young.
        assert!(!p.fresh_at(at - chrono::Duration::seconds(1)));
    }

    #[test]
    fn large_pages_and_empty_nonces_are_not_kept() {
        let big = Bytes::from(vec![b'a'; MAX_PAGE_BYTES + 1]);
        assert!(CachedPage::cut(&big, &HeaderMap::new(), "n", Utc::now()).is_none());
        assert!(CachedPage::cut(&Bytes::from_static(b"x"), &HeaderMap::new(), "", Utc::now()).is_none());
    }

    #[tokio::test]
    async fn the_gate_sheds_beyond_its_renders_and_queue() {
        let gate = RenderGate::new(1, 1, Duration::from_millis(200));
        let first = gate.enter().await.expect("a free render");
        // One may wait: it gets the render when the first is done.
        let waiter = async {
            let started = std::time::Instant::now();
            let permit = gate.enter().await;
            (permit.is_some(), started.elapsed())
        };
        let release = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The queue is full: the next is shed at once.
            let started = std::time::Instant::now();
            assert!(gate.enter().await.is_none(), "shed beyond the queue");
            assert!(started.elapsed() < Duration::from_millis(20), "shed without waiting");
            drop(first);
        };
        let ((waited, took), ()) = tokio::join!(waiter, release);
        assert!(waited, "the waiter got the render once it was free");
        assert!(took >= Duration::from_millis(50));
        assert_eq!(gate.waiting.load(std::sync::atomic::Ordering::SeqCst), 0, "the queue is empty again");
        // A wait longer than the gate's is shed too.
        let held = gate.enter().await.unwrap();
        let started = std::time::Instant::now();
        assert!(gate.enter().await.is_none(), "shed after waiting too long");
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(gate.enter().await.is_some());
    }

    #[test]
    fn only_plain_gets_of_the_listed_pages_are_cacheable() {
        let req = |method: Method, uri: &str| Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        assert!(cacheable_request(&req(Method::GET, "/exceptions?status=open&page=2")));
        assert!(cacheable_request(&req(Method::GET, "/disputes")));
        assert!(!cacheable_request(&req(Method::POST, "/exceptions")));
        assert!(!cacheable_request(&req(Method::HEAD, "/exceptions")));
        assert!(!cacheable_request(&req(Method::GET, "/exceptions/EXC-1")));
        assert!(!cacheable_request(&req(Method::GET, "/profile")));
        assert!(!cacheable_request(&req(Method::GET, "/api/exceptions/v1/exceptions")));
        let mut bearer = req(Method::GET, "/overview");
        bearer.headers_mut().insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(!cacheable_request(&bearer));
    }
}
