//! The axum application: Leptos pages and server functions, the sign-in form handlers, the JSON API
//! and health, wrapped in the session, guard, CSRF and security-header layers.

pub mod cidr;
pub mod csv;
pub mod form;
pub mod metrics;
mod middleware;
pub mod page_cache;
pub mod per_user;
pub mod responses;
pub mod server_fn;
pub mod xlsx;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::serve::{ListenerExt, TapIo};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

pub use middleware::{catch_panics, same_origin, security_headers, time_limit};

use crate::app::{shell, App};
use crate::auth::session_store::CachedSessionStore;
use crate::auth::{guard, login, session::COOKIE_NAME};
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Prefix of the Leptos server functions (kept apart from the public `/api` JSON namespace).
pub const SERVER_FN_PREFIX: &str = "/sfn";

/// The app's routes, generated once per process. Generating them runs the app with resource
/// loading suppressed process-wide (a global flag in leptos_server), and a page render whose
/// resource is first polled in that window waits forever (leptos-rs/leptos#4773): a server builds
/// one router, but the tests build one per request, two tests at a time.
fn routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = routes();
    let idle = time::Duration::seconds(state.config.session_idle.as_secs() as i64);
    let store = CachedSessionStore::new(PostgresStore::new(state.pool.clone()), state.sessions.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.cookie_secure())
        .with_expiry(Expiry::OnInactivity(idle));

    let context_state = state.clone();
    let server_fn_state = state.clone();
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route("/login", post(login::post_login))
        .route("/logout", post(login::post_logout))
        .route(
            &format!("{SERVER_FN_PREFIX}/{{*fn_name}}"),
            post(move |req: Request<Body>| {
                let state = server_fn_state.clone();
                async move { handle_server_fns_with_context(move || provide_context(state.clone()), req).await }
            })
            .layer(from_fn(middleware::limit_server_fn_body)),
        )
        .nest("/api", crate::api::routes(&state.config))
        .route("/health", get(crate::api::health::overall))
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = (*state.leptos_options).clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn_with_state(state.clone(), page_cache::serve))
        .route_layer(from_fn(metrics::note_route))
        .route_layer(from_fn_with_state(state.clone(), crate::audit::record_refusals))
        .fallback(static_file)
        .layer(from_fn_with_state(state.clone(), guard::authenticate))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), middleware::csrf));
    catch_panics(time_limit(app, state.config.request_timeout, state.config.upload_idle_timeout))
        .layer(from_fn(security_headers))
        .layer(from_fn(metrics::track))
        .with_state(state)
}

/// A file of the site root (`/pkg/…`, the favicon) with its cache rule, or else the app's 404 page.
async fn static_file(uri: Uri, state: State<AppState>, req: Request) -> Response {
    let cache_control = middleware::static_cache_control(uri.path());
    let mut res = leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, state, req).await;
    let html = res.headers().get(header::CONTENT_TYPE).is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"));
    if res.status() == StatusCode::OK && !html {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    }
    res
}

/// A listener whose accepted connections have [`TCP_NODELAY`](TcpStream::set_nodelay).
pub type NoDelayListener = TapIo<TcpListener, fn(&mut TcpStream)>;

/// Listen on `addr` with `TCP_NODELAY` on every connection: hyper writes a response's headers and
/// body separately, and with Nagle's algorithm the second write waits for the client's delayed
/// ACK (about 40 ms per static file over keep-alive).
///
/// The accept queue is as long as the kernel allows (`net.core.somaxconn`): thousands of clients
/// connecting at once otherwise overflow tokio's default of 1024, and the dropped SYNs come back
/// only after the client's 1 s, 3 s… retransmission timers — a connection starved for seconds.
pub async fn bind(addr: impl ToSocketAddrs) -> std::io::Result<NoDelayListener> {
    fn no_delay(stream: &mut TcpStream) {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
        }
    }
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let listen = || {
            let socket =
                if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(ACCEPT_BACKLOG)
        };
        // As std does: the next address when one cannot be listened on (IPv6 off, say).
        match listen() {
            Ok(listener) => return Ok(listener.tap_io(no_delay as fn(&mut TcpStream))),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to listen on")))
}

/// The accept queue asked for; Linux caps it at `net.core.somaxconn` (4096 by default).
const ACCEPT_BACKLOG: u32 = 65_535;

/// The client's address: the socket peer, or the last `X-Forwarded-For` entry when that peer is a
/// trusted proxy.
pub fn client_ip(req: &Request, config: &Config) -> Option<String> {
    client_ip_of(req.headers(), req.extensions(), config)
}

/// [`client_ip`] from request parts (server functions and extractors see parts, not the request).
///
/// `X-Forwarded-For` is believed only with `TRUST_FORWARDED_FOR` and only from a peer in
/// `TRUSTED_PROXIES`: anyone else reaching the port directly could name any address. The trusted
/// proxy appends the address it saw to whatever the client sent, so only the right-most entry is
/// the proxy's word; the entries before it are the client's own claims (a sign-in burst could
/// rotate them to dodge the per-IP limit). Several `X-Forwarded-For` headers are one list.
pub fn client_ip_of(headers: &http::HeaderMap, extensions: &http::Extensions, config: &Config) -> Option<String> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip());
    let from_proxy = peer.is_some_and(|peer| config.trusted_proxies.iter().any(|proxy| proxy.contains(peer)));
    if config.trust_forwarded_for && from_proxy {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|list| list.rsplit(',').next())
            .map(str::trim)
            .filter(|s| s.parse::<std::net::IpAddr>().is_ok());
        if let Some(last) = last {
            return Some(last.to_string());
        }
    }
    peer.map(|ip| ip.to_string())
}

/// The caller's address as a JSON handler's extractor, for the audit rows (see [`client_ip_of`]
/// for which one).
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip_of(&parts.headers, &parts.extensions, &state.config)))
    }
}

/// A minimal HTML error page for failures outside the Leptos app (e.g. the database is down while
/// resolving the session).
pub fn error_page(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    error_page_with(status, &err.to_string())
}

/// [`error_page`] with a status and sentence of its own (a sentence of ours, not user input).
pub fn error_page_with(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SettlePaisa Ops</title></head>\
         <body><main><h1>SettlePaisa Ops</h1><p>{message}</p><p><a href=\"/overview\">Try again</a></p></main></body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&'static str]) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", http::HeaderValue::from_static(v));
        }
        headers
    }

    fn peer() -> http::Extensions {
        let mut extensions = http::Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 40000))));
        extensions
    }

    /// Behind a proxy at 10.0.0.1 (the peer of [`peer`]).
    fn behind_proxy(proxies: &str) -> Config {
        let mut config = Config::for_tests("postgres://unused");
        config.trust_forwarded_for = true;
        config.trusted_proxies = cidr::Cidr::parse_list(proxies).unwrap();
        config
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let spoofed = forwarded(&["203.0.113.7"]);
        // The default set is this host only: a peer at 10.0.0.1 is not the proxy.
        let mut defaults = Config::for_tests("postgres://unused");
        defaults.trust_forwarded_for = true;
        assert_eq!(client_ip_of(&spoofed, &peer(), &defaults).as_deref(), Some("10.0.0.1"));
        assert_eq!(client_ip_of(&spoofed, &peer(), &behind_proxy("10.0.0.0/24")).as_deref(), Some("203.0.113.7"));
        assert_eq!(client_ip_of(&spoofed, &peer(), &behind_proxy("10.0.1.0/24, ::1")).as_deref(), Some("10.0.0.1"));
        // Without a known peer (no socket) nothing is believed.
        let none = http::Extensions::new();
        assert_eq!(client_ip_of(&spoofed, &none, &behind_proxy("0.0.0.0/0")), None);
    }

    #[test]
    fn the_proxy_appended_address_is_the_client() {
        let config = behind_proxy("10.0.0.1");
        // The client claims 1.2.3.4; the proxy appended the address it really saw.
        let spoofed = forwarded(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(client_ip_of(&spoofed, &peer(), &config).as_deref(), Some("203.0.113.7"));
        // A second header line is later in the list than the first.
        let two_lines = forwarded(&["1.2.3.4", "198.51.100.9"]);
        assert_eq!(client_ip_of(&two_lines, &peer(), &config).as_deref(), Some("198.51.100.9"));
        // Garbage in the proxy's slot falls back to the socket peer, never to a client claim.
        let garbage = forwarded(&["1.2.3.4, not-an-ip"]);
        assert_eq!(client_ip_of(&garbage, &peer(), &config).as_deref(), Some("10.0.0.1"));
    }

    #[tokio::test]
    async fn accepted_connections_have_no_delay() {
        use axum::serve::Listener;
        let mut listener = bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(TcpStream::connect(addr));
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap(), "the server side of the connection has TCP_NODELAY");
        drop(client.await);
    }

    #[test]
    fn forwarded_for_is_ignored_without_a_trusted_proxy() {
        let config = Config::for_tests("postgres://unused");
        assert_eq!(client_ip_of(&forwarded(&["203.0.113.7"]), &peer(), &config).as_deref(), Some("10.0.0.1"));
    }
}
