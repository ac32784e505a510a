//! The authorisation guard. One middleware resolves who is calling (API token or session cookie) and
//! puts the [`CurrentUser`] into the request; every server function calls [`require`] and every API
//! handler takes [`Authorized`] first. Both end in [`authorize`], the one rule: signed in, and a
//! role that the action's [`Access`] allows.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use tower_sessions::Session;

use super::session::{evaluate, SessionAuth, SessionVerdict, SESSION_KEY};
use super::{tokens, users, Access, CurrentUser};
use crate::error::AppError;
use crate::notified_cache::Loaded;
use crate::state::AppState;

/// The one rule every server function and API handler applies.
pub fn authorize(user: Option<&CurrentUser>, access: Access) -> Result<CurrentUser, AppError> {
    let user = user.ok_or(AppError::Unauthorized)?;
    if user.may(access) {
        Ok(user.clone())
    } else {
        Err(AppError::Forbidden)
    }
}

/// For server functions: the caller, checked against `access`.
pub fn require(access: Access) -> Result<CurrentUser, AppError> {
    let user = principal_from_context();
    authorize(user.as_ref(), access).map_err(AppError::in_server_fn)
}

/// The user the middleware resolved for this request, from the Leptos request context.
pub fn principal_from_context() -> Option<CurrentUser> {
    leptos::prelude::use_context::<Parts>().and_then(|parts| parts.extensions.get::<CurrentUser>().cloned())
}

/// Axum extractor for API handlers: resolves to the caller or answers 401 JSON.
/// The handler then checks its own [`Access`] with [`Authorized::require`].
pub struct Authorized(pub CurrentUser);

impl Authorized {
    pub fn require(self, access: Access) -> Result<CurrentUser, AppError> {
        authorize(Some(&self.0), access)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<CurrentUser>().cloned().map(Authorized).ok_or(AppError::Unauthorized)
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn has_bearer(headers: &HeaderMap) -> bool {
    bearer_token(headers).is_some()
}

/// The user of a bearer token: from the principal cache when it may answer, else the database.
async fn token_user(state: &AppState, token_hash: &str) -> Result<Option<CurrentUser>, AppError> {
    // Only live tokens are kept: a token created a moment ago is looked up, never "remembered
    // missing". Each answer carries the token's expiry, checked against the clock at every use
    // (cached or just read), so none is served past it however long the entry was kept or the
    // read took. Requests that miss at once (a burst of new connections) share one lookup.
    let live =
        |(_, expires_at): &(CurrentUser, Option<DateTime<Utc>>)| expires_at.is_none_or(|at| state.clock.now() < at);
    let load = async {
        let found = users::active_user_by_token(&state.pool, token_hash).await?;
        Ok::<_, AppError>(match found {
            Some(found) => Loaded::Keep((found.user, found.expires_at)),
            None => Loaded::Missing,
        })
    };
    let found = state.principals.load_shared(token_hash.to_string(), live, load).await?;
    Ok(found.filter(live).map(|(user, _)| user))
}

/// The user a session belongs to while both are live: from the principal cache when it may answer
/// (flushed by every change to users, roles and sessions), else the database.
async fn session_owner(
    state: &AppState,
    user_id: uuid::Uuid,
    session_id: String,
) -> Result<Option<CurrentUser>, AppError> {
    let load = async {
        Ok::<_, AppError>(match users::session_owner(&state.pool, user_id, &session_id).await? {
            Some(user) => Loaded::Keep(user),
            None => Loaded::Missing,
        })
    };
    state.session_owners.load_shared((user_id, session_id.clone()), |_| true, load).await
}

/// Resolve the session's user, enforcing idle and absolute expiry; expired sessions are deleted.
pub async fn session_user(state: &AppState, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let auth: Option<SessionAuth> = session.get(SESSION_KEY).await.map_err(session_error)?;
    let Some(mut auth) = auth else {
        return Ok(None);
    };
    let now = state.clock.now().timestamp();
    match evaluate(&auth, now, &state.config.session_rules()) {
        SessionVerdict::IdleExpired | SessionVerdict::LifetimeExpired => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
        SessionVerdict::Valid { touch } => {
            let owner = match session.id() {
                Some(id) => session_owner(state, auth.user_id, id.to_string()).await?,
                None => None,
            };
            let Some(user) = owner else {
                session.flush().await.map_err(session_error)?;
                return Ok(None);
            };
            if touch {
                auth.last_seen_at = now;
                session.insert(SESSION_KEY, &auth).await.map_err(session_error)?;
            }
            Ok(Some(user))
        }
    }
}

pub fn session_error(err: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %err, "session store error");
    AppError::Unavailable
}

/// Network webhooks authenticate by their body's HMAC signature, not by a user (spec 03 §3.5).
pub const WEBHOOK_PREFIX: &str = "/api/disputes/v1/webhooks/";

/// Paths that need no identity at all (and must not touch the database to be served).
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path == "/favicon.svg"
        || path == "/favicon.ico"
        || path == "/health"
        || (path.starts_with("/api/") && path.ends_with("/health"))
}

/// Middleware: resolve the caller, then gate. Pages without a user go to `/login`; `/api/...`
/// without a user gets 401 JSON; server functions (`/sfn/...`) check their own access.
pub async fn authenticate(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if is_public_asset(&path) || path.starts_with(WEBHOOK_PREFIX) {
        return next.run(req).await;
    }
    let resolved = match bearer_token(req.headers()) {
        Some(token) => token_user(&state, &tokens::digest(token)).await,
        None => session_user(&state, &session).await,
    };
    let user = match resolved {
        Ok(user) => user,
        Err(err) if path.starts_with("/api/") || path.starts_with("/sfn/") => return err.into_response(),
        Err(err) => return crate::http::error_page(err),
    };
    let signed_in = user.is_some();
    if let Some(user) = user {
        crate::http::metrics::note_user(req.extensions(), user.id);
        req.extensions_mut().insert(user);
    }
    if path.starts_with("/api/") {
        if !signed_in {
            return AppError::Unauthorized.into_response();
        }
    } else if path.starts_with("/sfn/") || path == "/logout" {
        // checked by the handler itself
    } else if path == "/login" {
        if signed_in && req.method() == axum::http::Method::GET {
            return Redirect::to("/overview").into_response();
        }
    } else if !signed_in {
        let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = if next_path == "/" || next_path == "/overview" {
            "/login".to_string()
        } else {
            format!("/login?next={}", urlencode(next_path))
        };
        return Redirect::to(&target).into_response();
    }
    next.run(req).await
}

/// Percent-encode a query value, keeping `/` readable (`/disputes%3Fstatus%3DOPEN`).
pub fn urlencode(s: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use uuid::Uuid;

    fn user(roles: &[Role]) -> CurrentUser {
        CurrentUser { id: Uuid::nil(), email: "a@b.test".into(), full_name: "A".into(), roles: roles.to_vec() }
    }

    #[test]
    fn authorize_needs_a_user_and_a_role() {
        assert_eq!(authorize(None, Access::SIGNED_IN), Err(AppError::Unauthorized));
        assert_eq!(authorize(Some(&user(&[Role::Ops])), Access::ADMIN), Err(AppError::Forbidden));
        assert!(authorize(Some(&user(&[Role::Ops, Role::Admin])), Access::ADMIN).is_ok());
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer spo_abc".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("spo_abc"));
        h.insert(header::AUTHORIZATION, "Basic Zm9v".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
    }

    #[test]
    fn next_parameter_is_encoded() {
        assert_eq!(urlencode("/disputes?status=OPEN&q=a b"), "/disputes%3Fstatus%3DOPEN%26q%3Da%20b");
    }
}
