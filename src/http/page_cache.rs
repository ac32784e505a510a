//! A micro-cache of rendered pages: the busiest list pages, per user and URL, kept for at most
//! [`PAGE_MAX_AGE`] by the app clock and flushed on every instance whenever a table changes
//! (channel [`PAGES`](crate::notified_cache::PAGES), migration `page_notifications`); and the
//! render gate that sheds page requests beyond what the instance can render.
//!
//! A page's render runs its queries and lays out every row (a few milliseconds of CPU); an analyst
//! refreshing, a wall screen, or ten tabs of one queue ask for the same page again within the
//! second. Those requests share one render: concurrent misses wait for the one in progress
//! ([`NotifiedCache::load_shared`]), and later ones are answered from memory until the data changes
//! or the page is a second old. The age bound keeps what changes with time alone (SLA clocks,
//! "last 24 h" windows) as current as a render that took a second.
//!
//! Your own writes: a signed-in session's request of a method that may write (a form post, a
//! server function, an API call) that succeeds gets a short-lived cookie ([`FRESH_COOKIE`],
//! [`FRESH_SECS`]); while the browser sends it, that user's pages are rendered anew, never taken
//! from memory — on whichever instance the redirect lands, whether or not that instance has heard
//! the change's notification yet. Server functions that only read are posts too (an island's
//! polling): they set it as well, which costs that user's cache two seconds, nobody else's.
//!
//! What is never served from here: another user's page (the key is the user), a page with a
//! different query, anything but a whole `200 text/html` answer without cookies and without an
//! error notice, and pages not in [`CACHED_PAGES`] (detail pages, settings, profile — one-time
//! token display —, the audit log, reports, jobs). Each answer carries its own request's CSP
//! nonce: the rendered page is kept cut at its nonce and joined again with the new one, so no two
//! answers share a nonce.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::guard::has_bearer;
use crate::auth::CurrentUser;
use crate::notified_cache::{Loaded, NotifiedCache};
use crate::state::AppState;

/// The oldest a page may be when it is served again.
pub const PAGE_MAX_AGE: Duration = Duration::from_secs(1);

/// Pages kept at most (per instance); with [`MAX_PAGE_BYTES`] this bounds the cache's memory
/// (128 MiB at worst). Beyond it the cache starts again empty (every page is re-rendered once).
pub const MAX_PAGES: usize = 512;

/// Larger pages are rendered for each request, never kept.
pub const MAX_PAGE_BYTES: usize = 256 * 1024;

/// The pages cached: the lists and dashboards analysts keep open and refresh. Exact paths; any
/// query string (filters, sort, page) is part of the key.
pub const CACHED_PAGES: &[&str] =
    &["/overview", "/recon", "/exceptions", "/disputes", "/settlements", "/transactions", "/analytics"];

/// The cookie a signed-in write leaves: while it is sent, that browser's pages are rendered anew.
pub const FRESH_COOKIE: &str = "sp_fresh";

/// How long [`FRESH_COOKIE`] lasts: longer than a redirect and the notification of the write.
pub const FRESH_SECS: u32 = 2;

/// (user, path and query) → the rendered page. Only `Some` is ever stored; a render that may not
/// be kept answers `None` to those waiting on it, so each of them renders for itself.
pub type PageCache = NotifiedCache<(Uuid, String), Option<CachedPage>>;

/// A rendered page, cut at the CSP nonce of the request that rendered it.
#[derive(Clone)]
pub struct CachedPage {
    /// The app clock when its render began (after the gate).
    rendered_at: DateTime<Utc>,
    headers: HeaderMap,
    /// The body's pieces between the occurrences of the nonce.
    pieces: Arc<[Bytes]>,
}

impl CachedPage {
    /// `body` as rendered for `nonce`; `None` if it must not be kept: too large, or showing an
    /// error notice (say, a read that timed out), which is for this request only.
    fn cut(body: &Bytes, headers: &HeaderMap, nonce: &str, rendered_at: DateTime<Utc>) -> Option<CachedPage> {
        if body.len() > MAX_PAGE_BYTES || nonce.is_empty() || memchr::memmem::find(body, br#"role="alert""#).is_some() {
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

    /// The page for a request whose nonce is `nonce`: the kept pieces (shared, not copied) with
    /// the nonce between them.
    fn answer(&self, nonce: &str) -> Response {
        let nonce = Bytes::copy_from_slice(nonce.as_bytes());
        let len = self.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (self.pieces.len() - 1);
        let pieces = self.pieces.clone();
        let chunks = (0..pieces.len() * 2 - 1).map(move |i| {
            let chunk = if i % 2 == 0 { pieces[i / 2].clone() } else { nonce.clone() };
            Ok::<_, std::convert::Infallible>(chunk)
        });
        let mut res = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
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
        && !has_bearer(req.headers())
}

/// Does the request carry [`FRESH_COOKIE`] (its user wrote a moment ago)?
fn just_wrote(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim().split_once('=').is_some_and(|(name, _)| name == FRESH_COOKIE))
}

fn fresh_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{FRESH_COOKIE}=1; Max-Age={FRESH_SECS}; Path=/; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&cookie).expect("a cookie of ASCII")
}

/// Places (renders running and waiting) one user may hold once the gate is full: half of all
/// (at least two), so one client's stream of new URLs leaves the other half to everyone else, while
/// one user's burst (twelve filters at once, several tabs) still waits its turn instead of being shed.
fn places_per_user(renders: usize, max_waiting: usize) -> usize {
    ((renders + max_waiting) / 2).max(2)
}

/// At most this many page renders run at once, and at most this many wait for one; beyond them a
/// page request is answered 503 at once (with `Retry-After`) instead of queueing behind renders it
/// would time out waiting for. A request that waits longer than the gate's wait is answered the
/// same, and so is a request that would wait while its user holds their share ([`places_per_user`]). Pages answered from
/// memory never reach the gate; nor do the API, server functions, `/health` and `/login`.
pub struct RenderGate {
    permits: tokio::sync::Semaphore,
    renders: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    max_wait: Duration,
    per_user: super::per_user::PerUser,
}

/// Counts itself out of the queue however its wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A render admitted by the [`RenderGate`], held until the render is done.
pub struct RenderPermit<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    _user: Option<super::per_user::Held>,
}

impl RenderGate {
    pub fn new(renders: usize, max_waiting: usize, max_wait: Duration) -> RenderGate {
        let renders = renders.max(1);
        RenderGate {
            permits: tokio::sync::Semaphore::new(renders),
            renders,
            waiting: AtomicUsize::new(0),
            max_waiting,
            max_wait,
            per_user: Default::default(),
        }
    }

    /// Sized by the database pool: half of the connections the caches' listeners leave
    /// ([`CACHE_LISTENERS`](crate::state::CACHE_LISTENERS)), since a render runs a few queries at
    /// once and API calls, exports and jobs need connections too; eight times that may wait 1 s.
    pub fn for_pool(pool: &PgPool) -> RenderGate {
        let free = pool.options().get_max_connections().saturating_sub(crate::state::CACHE_LISTENERS);
        let renders = (free as usize / 2).max(2);
        RenderGate::new(renders, 8 * renders, Duration::from_secs(1))
    }

    /// A render's permit for `user` (a signed-in caller), or `None`: shed.
    pub async fn enter(&self, user: Option<Uuid>) -> Option<RenderPermit<'_>> {
        // Counted from here to the render's end, however it ends.
        let slot = user.map(|user| self.per_user.take(user));
        if let Ok(permit) = self.permits.try_acquire() {
            return Some(RenderPermit { _permit: permit, _user: slot });
        }
        // It must wait: a user who already has their share running or waiting is not queued, so
        // the queue stays for the others.
        if user.is_some_and(|user| self.per_user.held(user) > places_per_user(self.renders, self.max_waiting)) {
            return None;
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let _waiting = Waiting(&self.waiting);
        let permit = tokio::time::timeout(self.max_wait, self.permits.acquire()).await.ok()?.ok()?;
        Some(RenderPermit { _permit: permit, _user: slot })
    }
}

/// The answer to a page request shed by the [`RenderGate`].
fn busy() -> Response {
    metrics::counter!("http_pages_shed_total").increment(1);
    let mut res = crate::http::error_page_with(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server is busy right now. Try again in a moment.",
    );
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    res
}

/// Is this a request for a page rendered by the app (not the API, a server function, health or
/// the sign-in page, which reads nothing)? HEAD is rendered as GET is.
fn is_page(req: &Request) -> bool {
    let path = req.uri().path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with(crate::http::SERVER_FN_PREFIX)
        && path != "/health"
        && path != "/login"
}

/// Route layer of the app's routes: answers a cached page when it may, renders (once for everyone
/// asking at the same moment, through the [`RenderGate`]) when not, and gives a signed-in
/// session's successful write its [`FRESH_COOKIE`].
pub async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let by_session = req.extensions().get::<CurrentUser>().is_some() && !has_bearer(req.headers());
        let mut res = next.run(req).await;
        // A refused plain form post is a redirect too, marked by its server function.
        let refused = res.headers().contains_key(crate::audit::REFUSED_STATUS_HEADER);
        if by_session && !refused && (res.status().is_success() || res.status().is_redirection()) {
            res.headers_mut().append(header::SET_COOKIE, fresh_cookie(state.config.cookie_secure()));
        }
        return res;
    }
    if !is_page(&req) {
        return next.run(req).await;
    }
    let user = req.extensions().get::<CurrentUser>().map(|u| u.id);
    let nonce = req.extensions().get::<leptos::nonce::Nonce>().map(|n| n.to_string());
    let (true, Some(user), Some(nonce)) = (cacheable_request(&req), user, nonce) else {
        let Some(_render) = state.renders.enter(user).await else {
            return busy();
        };
        return next.run(req).await;
    };
    let key = (user, req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default());
    // Its user just wrote: only a render begun now will do, neither a kept page nor one in progress.
    let wrote = just_wrote(req.headers());
    // The render's own answer when it is not kept (not a whole 200 page, too large, shed): for
    // this request only, never for the requests waiting on it (they render for themselves).
    let mut own = None;
    let mut rendered = false;
    let render = async {
        rendered = true;
        let Some(_render) = state.renders.enter(Some(user)).await else {
            own = Some(busy());
            return Ok(Loaded::Once(None));
        };
        let rendered_at = state.clock.now();
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
        match CachedPage::cut(&bytes, &parts.headers, &nonce, rendered_at) {
            Some(page) => Ok(Loaded::Keep(Some(page))),
            None => {
                own = Some(Response::from_parts(parts, Body::from(bytes)));
                Ok(Loaded::Once(None))
            }
        }
    };
    // Judged when the page is at hand (a kept page now, or a shared render when it is done): a
    // render that began while this request waited for it is fresh for it.
    let fresh =
        |page: &Option<CachedPage>| !wrote && page.as_ref().is_some_and(|page| page.fresh_at(state.clock.now()));
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
        None => {
            debug_assert!(false, "a page request left without an answer");
            tracing::error!("a page request left without an answer");
            crate::http::error_page(crate::error::AppError::Internal)
        }
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

    /// `enter` answered without waiting out the gate's wait (10 s here): well within half a second.
    async fn at_once<'a>(gate: &'a RenderGate, user: Option<Uuid>) -> Option<RenderPermit<'a>> {
        tokio::time::timeout(Duration::from_millis(500), gate.enter(user)).await.expect("answered at once")
    }

    #[tokio::test]
    async fn the_gate_sheds_beyond_its_renders_its_queue_and_a_users_share() {
        let gate = RenderGate::new(1, 1, Duration::from_secs(10));
        let first = gate.enter(None).await.expect("a free render");
        // One may wait: it gets the render when the first is done.
        let waiter = async { gate.enter(None).await.is_some() };
        let release = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            // The queue is full: the next is shed at once.
            assert!(at_once(&gate, None).await.is_none(), "shed beyond the queue");
            drop(first);
        };
        let (waited, ()) = tokio::join!(waiter, release);
        assert!(waited, "the waiter got the render once it was free");
        assert_eq!(gate.waiting.load(Ordering::SeqCst), 0, "the queue is empty again");
        // A wait longer than the gate's is shed too.
        let gate = RenderGate::new(1, 1, Duration::from_millis(200));
        let held = gate.enter(None).await.unwrap();
        let started = std::time::Instant::now();
        assert!(gate.enter(None).await.is_none(), "shed after waiting too long");
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(gate.enter(None).await.is_some());

        // A user's share: 2 renders and 2 waiting, so 2 places per user once the gate is full.
        // While renders are free a user takes them; then a third of theirs is shed at once, while
        // another user's request waits its turn in the queue and gets the next render given back.
        let gate = RenderGate::new(2, 2, Duration::from_secs(10));
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut held = Vec::new();
        for _ in 0..2 {
            held.push(at_once(&gate, Some(a)).await.expect("free renders are taken"));
        }
        assert!(at_once(&gate, Some(a)).await.is_none(), "beyond the user's share, not queued");
        let other = async { gate.enter(Some(b)).await.is_some() };
        let free_one = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            held.pop();
        };
        let (rendered, ()) = tokio::join!(other, free_one);
        assert!(rendered, "the other user got the render given back");
        drop(held);
        // Below the share, a user's burst waits instead of being shed.
        let gate = RenderGate::new(2, 8, Duration::from_secs(10));
        let first = gate.enter(Some(a)).await.unwrap();
        let second = gate.enter(Some(a)).await.unwrap();
        let third = async { gate.enter(Some(a)).await.is_some() };
        let release = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(first);
        };
        let (waited, ()) = tokio::join!(third, release);
        assert!(waited, "the user's third page waited for a render");
        drop(second);
        assert!(gate.per_user.is_empty(), "no user left counted");
    }

    #[test]
    fn pages_and_the_fresh_cookie() {
        let req = |method: Method, uri: &str| Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        assert!(is_page(&req(Method::GET, "/exceptions/EXC-1")));
        assert!(is_page(&req(Method::HEAD, "/transactions?q=x")), "HEAD renders as GET does");
        assert!(!is_page(&req(Method::GET, "/login")));
        assert!(!is_page(&req(Method::GET, "/health")));
        assert!(!is_page(&req(Method::GET, "/api/disputes/v1/chargebacks/kpis")));
        assert!(!is_page(&req(Method::POST, "/sfn/exceptions/act")));
        let cookies = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_static(v));
            h
        };
        assert!(just_wrote(&cookies("sp_session=abc; sp_fresh=1")));
        assert!(just_wrote(&cookies("sp_fresh=1")));
        assert!(!just_wrote(&cookies("sp_session=abc")));
        assert!(!just_wrote(&cookies("sp_session=sp_fresh")));
        assert!(!just_wrote(&cookies("x_sp_fresh=1")));
        let set = fresh_cookie(true);
        assert_eq!(set, "sp_fresh=1; Max-Age=2; Path=/; HttpOnly; SameSite=Strict; Secure");
    }

    #[test]
    fn a_page_with_an_error_notice_is_not_kept() {
        let body = Bytes::from_static(br#"<div role="alert">The database did not answer.</div>"#);
        assert!(CachedPage::cut(&body, &HeaderMap::new(), "n", Utc::now()).is_none());
    }

    #[test]
    fn only_plain_gets_of_the_listed_pages_are_cacheable() {
        let req = |method: Method, uri: &str| Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        assert!(cacheable_request(&req(Method::GET, "/exceptions?status=open&page=2")));
        assert!(cacheable_request(&req(Method::GET, "/disputes")));
        assert!(!cacheable_request(&req(Method::POST, "/exceptions")));
        assert!(!cacheable_request(&req(Method::HEAD, "/exceptions")), "HEAD is rendered, not kept");
        assert!(!cacheable_request(&req(Method::GET, "/exceptions/EXC-1")));
        assert!(!cacheable_request(&req(Method::GET, "/profile")));
        assert!(!cacheable_request(&req(Method::GET, "/api/exceptions/v1/exceptions")));
        let mut bearer = req(Method::GET, "/overview");
        bearer.headers_mut().insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(!cacheable_request(&bearer));
    }
}
