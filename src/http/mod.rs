//! The axum application: Leptos pages and server functions, the sign-in form handlers, the JSON API
//! and health, wrapped in the session, guard, CSRF and security-header layers.

pub mod metrics;
mod middleware;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::net::SocketAddr;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

pub use middleware::{same_origin, security_headers};

use crate::app::{shell, App};
use crate::auth::{guard, login, session::COOKIE_NAME};
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Prefix of the Leptos server functions (kept apart from the public `/api` JSON namespace).
pub const SERVER_FN_PREFIX: &str = "/sfn";

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let idle = time::Duration::seconds(state.config.session_idle.as_secs() as i64);
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.cookie_secure())
        .with_expiry(Expiry::OnInactivity(idle));

    let context_state = state.clone();
    let server_fn_state = state.clone();
    Router::new()
        .route("/", get(|| async { Redirect::to("/overview") }))
        .route("/login", post(login::post_login))
        .route("/logout", post(login::post_logout))
        .route(
            &format!("{SERVER_FN_PREFIX}/{{*fn_name}}"),
            post(move |req: Request<Body>| {
                let state = server_fn_state.clone();
                async move { handle_server_fns_with_context(move || provide_context(state.clone()), req).await }
            }),
        )
        .nest("/api", crate::api::routes(&state.config))
        .route("/health", get(crate::api::health::overall))
        .leptos_routes_with_context(&state, routes, move || provide_context(context_state.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn(metrics::note_route))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(state.clone(), guard::authenticate))
        .layer(sessions)
        .layer(from_fn_with_state(state.clone(), middleware::csrf))
        .layer(from_fn(security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<Body>| {
                    let request_id =
                        req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(from_fn(metrics::track))
        .with_state(state)
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` entry behind a trusted proxy.
pub fn client_ip(req: &Request, config: &Config) -> Option<String> {
    client_ip_of(req.headers(), req.extensions(), config)
}

/// [`client_ip`] from request parts (server functions and extractors see parts, not the request).
pub fn client_ip_of(headers: &http::HeaderMap, extensions: &http::Extensions, config: &Config) -> Option<String> {
    if config.trust_forwarded_for {
        if let Some(forwarded) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            if let Some(first) =
                forwarded.split(',').next().map(str::trim).filter(|s| s.parse::<std::net::IpAddr>().is_ok())
            {
                return Some(first.to_string());
            }
        }
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())
}

/// A minimal HTML error page for failures outside the Leptos app (e.g. the database is down while
/// resolving the session).
pub fn error_page(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SettlePaisa Ops</title></head>\
         <body><main><h1>SettlePaisa Ops</h1><p>{}</p><p><a href=\"/overview\">Try again</a></p></main></body></html>",
        err
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}
