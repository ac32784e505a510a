//! The unified audit log: one append-only row per mutating action (from the app or the CLI) and
//! per sign-in attempt (who, roles, what, target, before/after, when, IP, success or failure), and
//! one per refused request (403/409) of a signed-in caller. Sign-in attempts refused by the per-IP
//! limit are only counted (in `login_attempts`), so a flood cannot fill the log. The table refuses
//! UPDATE and DELETE by trigger.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Default)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<&'a str>,
    pub actor_roles: Vec<String>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub success: bool,
    pub ip: Option<&'a str>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub details: Option<String>,
}

impl<'a> AuditEntry<'a> {
    pub fn by(user: &'a CurrentUser, action: &'a str, target_type: &'a str) -> Self {
        AuditEntry {
            actor_id: Some(user.id),
            actor_email: Some(&user.email),
            actor_roles: user.roles.iter().map(|r| r.code().to_string()).collect(),
            action,
            target_type,
            success: true,
            ..Default::default()
        }
    }
}

impl<'a> AuditEntry<'a> {
    /// A change made from the command line: the actor is the OS account that ran it (see
    /// [`os_user`]), as the command line has no signed-in user.
    pub fn by_operator(operator: &'a str, action: &'a str, target_type: &'a str) -> Self {
        AuditEntry {
            actor_email: Some(operator),
            action,
            target_type,
            success: true,
            details: Some("command line".into()),
            ..Default::default()
        }
    }
}

/// The OS account running this process (`USER`, else `LOGNAME`), or `cli` when neither is set.
pub fn os_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
        .unwrap_or_else(|| "cli".into())
}

/// Middleware: a signed-in caller's refused request — 403 (their role does not allow it) or 409 (a
/// command's rule refused it) — is an audit row with outcome `failure`, whichever page, server
/// function or API handler refused it.
pub async fn record_refusals(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<CurrentUser>().cloned();
    let target = format!("{} {}", req.method(), req.uri().path());
    let ip = crate::http::client_ip(&req, &state.config);
    let res = next.run(req).await;
    let status = res.status();
    if let (Some(user), StatusCode::FORBIDDEN | StatusCode::CONFLICT) = (&caller, status) {
        let mut entry = AuditEntry::by(user, "request.refused", "route");
        entry.target_id = Some(target);
        entry.success = false;
        entry.ip = ip.as_deref();
        entry.details = Some(status.to_string());
        if let Err(e) = record(&state.pool, entry).await {
            tracing::error!(error = %e, "could not write the audit row of a refused request");
        }
    }
    res
}

pub async fn record<'c, E: PgExecutor<'c>>(db: E, entry: AuditEntry<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor_email, actor_roles, action, target_type, target_id,
                                outcome, ip, before, after, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::inet, $9, $10, $11)",
    )
    .bind(entry.actor_id)
    .bind(entry.actor_email)
    .bind(&entry.actor_roles)
    .bind(entry.action)
    .bind(entry.target_type)
    .bind(entry.target_id)
    .bind(if entry.success { "success" } else { "failure" })
    .bind(entry.ip)
    .bind(entry.before)
    .bind(entry.after)
    .bind(entry.details)
    .execute(db)
    .await?;
    Ok(())
}
