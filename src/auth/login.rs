//! Sign-in and sign-out as plain HTML form posts (they work without JavaScript): argon2id with the
//! dummy-hash defence, lockout after repeated failures, a per-IP limit on failed attempts (each
//! check reserved before argon2 runs), a new session id at sign-in whose owner is recorded,
//! deletion of the server session at sign-out, and an audit row for every attempt past the limit.

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

/// The first path segments of the app's own pages (see `app.rs`): the only places sign-in sends
/// anyone back to.
const PAGE_PREFIXES: [&str; 10] = [
    "overview",
    "recon",
    "exceptions",
    "disputes",
    "settlements",
    "analytics",
    "connectors",
    "reports",
    "settings",
    "audit",
];

/// Only a path to one of our own pages is followed after sign-in (no open redirect). Browsers drop
/// tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` would become
/// `//evil.example`: any control, whitespace or backslash character refuses the whole value.
pub fn safe_next(next: Option<&str>) -> &str {
    let acceptable = |n: &str| {
        let Some(rest) = n.strip_prefix('/') else { return false };
        let first_segment = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') && PAGE_PREFIXES.contains(&first_segment)
    };
    match next {
        Some(n) if acceptable(n) => n,
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

/// The longest email address there is (RFC 5321); longer input is cut before it is stored.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Check credentials; on success the caller starts the session. Every outcome is recorded.
///
/// Each check of a password is reserved before argon2 runs (the per-IP count, then the address's
/// throttle), so parallel attempts cannot all see "not locked". Known and unknown addresses are
/// throttled by the same rules and get the same answers, at the same cost; so does a disabled
/// account, whatever the password. The work runs as a task of its own: a request dropped midway
/// (client gone, request timeout) cannot abandon an attempt between its reservation and its record.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password_text: String,
    ip: Option<&str>,
) -> Result<SignedIn, SignInError> {
    let email: String = email.trim().to_lowercase().chars().take(MAX_EMAIL_CHARS).collect();
    let check = tokio::spawn(check_credentials(state.clone(), email, password_text, ip.map(str::to_owned)));
    check.await.map_err(|e| {
        tracing::error!(error = %e, "a sign-in check did not finish");
        SignInError::App(AppError::Internal)
    })?
}

async fn check_credentials(
    state: AppState,
    email: String,
    password_text: String,
    ip: Option<String>,
) -> Result<SignedIn, SignInError> {
    let pool = &state.pool;
    let Some(attempt) =
        users::begin_login_attempt(pool, &email, ip.as_deref(), IP_ATTEMPTS_PER_WINDOW, IP_WINDOW_MINUTES).await?
    else {
        // Counted, not written or audited one by one: a flood cannot fill the tables.
        metrics::counter!("sign_in_rate_limited_total").increment(1);
        return Err(SignInError::Refused(LoginFailure::RateLimited));
    };
    let outcome = Outcome { state: &state, attempt, email: &email, ip: ip.as_deref() };

    let (account, locks, own_lock) =
        match users::reserve_password_check(pool, &email, MAX_FAILURES, LOCK_MINUTES).await? {
            users::Reservation::Refused { user_id } => {
                return outcome.refuse(user_id, "locked", LoginFailure::Locked).await
            }
            users::Reservation::Granted { account, locks, locked_until } => (account, locks, locked_until),
        };
    // The reservation counted this check as a failure already (and locked the address if it was
    // the last one allowed): a failure needs no further write, only its answer.
    let failure = if locks { LoginFailure::Locked } else { LoginFailure::Invalid };
    let Some(account) = account else {
        // Unknown email: the dummy hash keeps the cost of a real check.
        password::verify(password_text, None).await?;
        return outcome.refuse(None, "unknown_email", failure).await;
    };
    let verified = password::verify(password_text, Some(account.password_hash.clone())).await?;
    if !account.is_active {
        return outcome.refuse(Some(account.id), "disabled", failure).await;
    }
    if !verified {
        let reason = if locks { "wrong_password_locked" } else { "wrong_password" };
        return outcome.refuse(Some(account.id), reason, failure).await;
    }
    users::record_successful_login(pool, account.id, &email, own_lock, MAX_FAILURES).await?;
    let Some(user) = users::active_user(pool, account.id).await? else {
        return outcome.refuse(Some(account.id), "disabled", LoginFailure::Invalid).await;
    };
    outcome.record(Some(account.id), true, "signed_in").await;
    Ok(SignedIn { user, verified_hash: account.password_hash })
}

/// A user whose password was right, and the hash it was checked against (the session is
/// recorded only while the password is still that one, see [`users::own_session`]).
pub struct SignedIn {
    pub user: CurrentUser,
    pub verified_hash: String,
}

/// Writes an attempt's outcome: onto its `login_attempts` row, and as an audit row. A failure to
/// record is logged, and does not change the answer the user gets.
struct Outcome<'a> {
    state: &'a AppState,
    attempt: i64,
    email: &'a str,
    ip: Option<&'a str>,
}

impl Outcome<'_> {
    async fn refuse(
        &self,
        user_id: Option<uuid::Uuid>,
        reason: &str,
        failure: LoginFailure,
    ) -> Result<SignedIn, SignInError> {
        self.record(user_id, false, reason).await;
        Err(SignInError::Refused(failure))
    }

    async fn write_attempt(&self, user_id: Option<uuid::Uuid>, ok: bool, reason: &str) {
        if let Err(e) = users::finish_login_attempt(&self.state.pool, self.attempt, user_id, ok, reason).await {
            tracing::error!(error = %e, "could not record a sign-in attempt");
        }
    }

    async fn record(&self, user_id: Option<uuid::Uuid>, ok: bool, reason: &str) {
        self.write_attempt(user_id, ok, reason).await;
        let entry = AuditEntry {
            actor_id: user_id,
            actor_email: Some(self.email),
            action: "auth.sign_in",
            target_type: "user",
            target_id: user_id.map(|u| u.to_string()),
            success: ok,
            ip: self.ip,
            details: Some(reason.to_string()),
            ..Default::default()
        };
        if let Err(e) = audit::record(&self.state.pool, entry).await {
            tracing::error!(error = %e, "could not write the audit row of a sign-in attempt");
        }
    }
}

/// Throttle rows deleted per statement: the delete stays bounded, and is repeated while its batches
/// come back full.
const PRUNE_BATCH: i64 = 1000;

/// Every minute, delete the `login_throttle` rows that throttle nothing any more (see
/// [`users::prune_login_throttle`]); otherwise every address anyone ever tried would stay a row.
pub fn spawn_throttle_pruner(pool: sqlx::PgPool) {
    let every_minute = std::time::Duration::from_secs(60);
    crate::jobs::every(pool.clone(), every_minute, "pruning the sign-in throttle", move || {
        let pool = pool.clone();
        async move {
            // In batches, so that no one statement holds many rows.
            while users::prune_login_throttle(&pool, LOCK_MINUTES, PRUNE_BATCH).await? == PRUNE_BATCH.unsigned_abs() {}
            Ok(())
        }
    });
}

/// `POST /login` (form).
pub async fn post_login(State(state): State<AppState>, session: Session, req: Request) -> Response {
    let ip = crate::http::client_ip(&req, &state.config);
    let Form(form) = match Form::<LoginForm>::from_request(req, &state).await {
        Ok(f) => f,
        Err(_) => return Redirect::to("/login?error=invalid").into_response(),
    };
    let next = safe_next(form.next.as_deref()).to_string();
    let signed_in = match sign_in(&state, &form.email, form.password, ip.as_deref()).await {
        Ok(signed_in) => start_session(&state, &session, &signed_in.user, Some(&signed_in.verified_hash)).await,
        Err(e) => Err(e),
    };
    match signed_in {
        Ok(()) => Redirect::to(&next).into_response(),
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

/// A new session id (fixation defence), then the identity. Refused (as a disabled account is) when
/// the user was disabled, or their password reset or changed, since it was checked
/// (`verified_hash`): no owner is recorded, and the session is deleted.
pub async fn start_session(
    state: &AppState,
    session: &Session,
    user: &CurrentUser,
    verified_hash: Option<&str>,
) -> Result<(), SignInError> {
    session.cycle_id().await.map_err(session_error)?;
    let now = state.clock.now().timestamp();
    let auth = SessionAuth { user_id: user.id, signed_in_at: now, last_seen_at: now };
    session.insert(SESSION_KEY, &auth).await.map_err(session_error)?;
    // Saved now (not when the response goes out) so that its id exists to record the owner of.
    session.save().await.map_err(session_error)?;
    let id = session.id().ok_or_else(|| {
        tracing::error!("a saved session has no id");
        AppError::Internal
    })?;
    if users::own_session(&state.pool, user.id, &id.to_string(), verified_hash).await? {
        return Ok(());
    }
    session.flush().await.map_err(session_error)?;
    Err(SignInError::Refused(LoginFailure::Invalid))
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
    fn next_is_only_a_path_to_one_of_our_pages() {
        for allowed in ["/disputes?status=OPEN", "/overview?x=1", "/disputes/abc", "/recon/runs/7", "/audit#top"] {
            assert_eq!(safe_next(Some(allowed)), allowed);
        }
        for refused in [
            "/\t/evil.example",
            "/%09/evil",
            "/\u{9}/evil",
            "//evil",
            "//evil.example",
            "/\\evil",
            "/\\evil.example",
            "/login",
            "/login?next=/overview",
            "https://evil",
            "https://evil.example",
            "overview",
            "/",
            "/pkg/app.js",
            "/api/overview/overview",
            "/overviewx",
            "/disputes/a b",
            "/disputes\n/x",
            "/disputes/\u{7f}",
            "/disputes/\u{a0}x",
            "",
        ] {
            assert_eq!(safe_next(Some(refused)), "/overview", "{refused:?}");
        }
        assert_eq!(safe_next(None), "/overview");
    }
}
