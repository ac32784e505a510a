//! Sign-in and sign-out as plain HTML form posts (they work without JavaScript): argon2id with the
//! dummy-hash defence, lockout after repeated failures, a per-IP rate limit, a new session id at
//! sign-in, deletion of the server session at sign-out, and an audit row for every attempt.

use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tower_sessions::Session;

use super::guard::{session_error, urlencode};
use super::session::{SessionAuth, SESSION_KEY};
use super::{password, users, CurrentUser};
use crate::audit::{self, AuditEntry};
use crate::error::AppError;
use crate::state::AppState;

pub const MAX_FAILURES: i32 = 10;
pub const LOCK_MINUTES: i32 = 30;
/// Sign-in attempts allowed from one IP address per window.
pub const IP_ATTEMPTS_PER_WINDOW: i64 = 60;
pub const IP_WINDOW_MINUTES: i32 = 10;

#[derive(Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// Why a sign-in was refused; the page shows [`LoginFailure::message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    Invalid,
    Locked,
    RateLimited,
}

impl LoginFailure {
    pub fn code(self) -> &'static str {
        match self {
            LoginFailure::Invalid => "invalid",
            LoginFailure::Locked => "locked",
            LoginFailure::RateLimited => "rate",
        }
    }
}

/// Only same-site paths are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.starts_with("/login") => n,
        _ => "/overview",
    }
}

/// A refused sign-in (shown on the sign-in page), or a failure of ours (database down…).
#[derive(Debug)]
pub enum SignInError {
    Refused(LoginFailure),
    App(AppError),
}

impl From<AppError> for SignInError {
    fn from(e: AppError) -> Self {
        SignInError::App(e)
    }
}

/// Check credentials; on success the caller starts the session. Every outcome is recorded.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password_text: String,
    ip: Option<&str>,
) -> Result<CurrentUser, SignInError> {
    let email = email.trim().to_lowercase();
    let pool = &state.pool;
    let refuse = |f: LoginFailure| Err(SignInError::Refused(f));

    if users::recent_attempts_from_ip(pool, ip, IP_WINDOW_MINUTES).await? >= IP_ATTEMPTS_PER_WINDOW {
        record(state, &email, None, ip, false, "rate_limited").await;
        return refuse(LoginFailure::RateLimited);
    }

    let account = users::find_login_account(pool, &email).await?;
    // Always run argon2: against the account's hash, or the dummy hash when there is none.
    let verified = password::verify(password_text, account.as_ref().map(|a| a.password_hash.clone())).await?;
    let Some(account) = account else {
        record(state, &email, None, ip, false, "unknown_email").await;
        return refuse(LoginFailure::Invalid);
    };
    let now = state.clock.now();
    if account.locked_until.is_some_and(|until| until > now) {
        record(state, &email, Some(account.id), ip, false, "locked").await;
        return refuse(LoginFailure::Locked);
    }
    if !account.is_active {
        record(state, &email, Some(account.id), ip, false, "disabled").await;
        return refuse(LoginFailure::Invalid);
    }
    if !verified {
        let locked = users::record_failed_password(pool, account.id, MAX_FAILURES, LOCK_MINUTES).await?;
        let reason = if locked.is_some() { "wrong_password_locked" } else { "wrong_password" };
        record(state, &email, Some(account.id), ip, false, reason).await;
        return refuse(if locked.is_some() { LoginFailure::Locked } else { LoginFailure::Invalid });
    }
    users::record_successful_login(pool, account.id).await?;
    let Some(user) = users::active_user(pool, account.id).await? else {
        return refuse(LoginFailure::Invalid);
    };
    record(state, &email, Some(account.id), ip, true, "signed_in").await;
    Ok(user)
}

/// One row in `login_attempts` and one in the audit log. A failure to record is logged, and does
/// not change the answer the user gets.
async fn record(state: &AppState, email: &str, user_id: Option<uuid::Uuid>, ip: Option<&str>, ok: bool, reason: &str) {
    if let Err(e) = users::record_login_attempt(&state.pool, email, user_id, ip, ok, reason).await {
        tracing::error!(error = %e, "could not record a sign-in attempt");
    }
    let entry = AuditEntry {
        actor_id: user_id,
        actor_email: Some(email),
        action: "auth.sign_in",
        target_type: "user",
        target_id: user_id.map(|u| u.to_string()),
        success: ok,
        ip,
        details: Some(reason.to_string()),
        ..Default::default()
    };
    if let Err(e) = audit::record(&state.pool, entry).await {
        tracing::error!(error = %e, "could not write the audit row of a sign-in attempt");
    }
}

/// `POST /login` (form).
pub async fn post_login(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let ip = crate::http::client_ip(&req, &state.config);
    let Form(form) = match Form::<LoginForm>::from_request(req, &state).await {
        Ok(f) => f,
        Err(_) => return Redirect::to("/login?error=invalid").into_response(),
    };
    let next = safe_next(form.next.as_deref()).to_string();
    match sign_in(&state, &form.email, form.password, ip.as_deref()).await {
        Ok(user) => match start_session(&state, &session, &user).await {
            Ok(()) => Redirect::to(&next).into_response(),
            Err(e) => crate::http::error_page(e),
        },
        Err(SignInError::App(e)) => crate::http::error_page(e),
        Err(SignInError::Refused(failure)) => {
            let mut target = format!("/login?error={}&email={}", failure.code(), urlencode(form.email.trim()));
            if next != "/overview" {
                target.push_str(&format!("&next={}", urlencode(&next)));
            }
            Redirect::to(&target).into_response()
        }
    }
}

/// A new session id (fixation defence), then the identity.
pub async fn start_session(state: &AppState, session: &Session, user: &CurrentUser) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    let now = state.clock.now().timestamp();
    let auth = SessionAuth { user_id: user.id, signed_in_at: now, last_seen_at: now };
    session.insert(SESSION_KEY, &auth).await.map_err(session_error)?;
    Ok(())
}

/// `POST /logout`: delete the server session, record it, back to the sign-in page.
pub async fn post_logout(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let ip = crate::http::client_ip(&req, &state.config);
    if let Some(user) = req.extensions().get::<CurrentUser>() {
        let mut entry = AuditEntry::by(user, "auth.sign_out", "user");
        entry.target_id = Some(user.id.to_string());
        entry.ip = ip.as_deref();
        if let Err(e) = audit::record(&state.pool, entry).await {
            tracing::error!(error = %e, "could not write the audit row of a sign-out");
        }
    }
    if let Err(e) = session.flush().await {
        return crate::http::error_page(session_error(e));
    }
    Redirect::to("/login?signed_out=1").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_a_local_path() {
        assert_eq!(safe_next(Some("/disputes?status=OPEN")), "/disputes?status=OPEN");
        assert_eq!(safe_next(Some("//evil.example")), "/overview");
        assert_eq!(safe_next(Some("https://evil.example")), "/overview");
        assert_eq!(safe_next(Some("/\\evil.example")), "/overview");
        assert_eq!(safe_next(Some("/login")), "/overview");
        assert_eq!(safe_next(None), "/overview");
    }
}
