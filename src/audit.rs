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

/// The OS account running this process, as the actor of a command-line change: the name it goes
/// by (`USER`, else `LOGNAME`, else `cli`) — which the caller can set to anything — with the real
/// uid the kernel reports, and under sudo the `SUDO_USER` who ran it.
pub fn os_user() -> String {
    let name = ["USER", "LOGNAME"].iter().filter_map(|name| std::env::var(name).ok()).find(|n| !n.trim().is_empty());
    let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| real_uid(&status));
    operator_label(name.as_deref(), uid, std::env::var("SUDO_USER").ok().as_deref())
}

/// The real uid in a `/proc/<pid>/status` text (its `Uid:` line: real, effective, saved, fs).
fn real_uid(status: &str) -> Option<u32> {
    status.lines().find_map(|line| line.strip_prefix("Uid:"))?.split_whitespace().next()?.parse().ok()
}

/// `alice (uid 1000)`, `root (uid 0, sudo by alice)`: what is not known is left out.
fn operator_label(name: Option<&str>, uid: Option<u32>, sudo_user: Option<&str>) -> String {
    fn known(text: Option<&str>) -> Option<&str> {
        text.map(str::trim).filter(|t| !t.is_empty())
    }
    let mut facts = Vec::new();
    if let Some(uid) = uid {
        facts.push(format!("uid {uid}"));
    }
    if let Some(sudo_user) = known(sudo_user) {
        facts.push(format!("sudo by {sudo_user}"));
    }
    let name = known(name).unwrap_or("cli");
    if facts.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", facts.join(", "))
    }
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

#[cfg(test)]
mod os_user_tests {
    use super::*;

    #[test]
    fn the_operator_label_carries_the_uid_and_the_sudo_user() {
        assert_eq!(operator_label(Some("alice"), Some(1000), None), "alice (uid 1000)");
        assert_eq!(operator_label(Some("root"), Some(0), Some("alice")), "root (uid 0, sudo by alice)");
        assert_eq!(operator_label(Some(" bob "), None, Some(" ")), "bob");
        assert_eq!(operator_label(None, Some(1000), None), "cli (uid 1000)");
        assert_eq!(operator_label(Some(""), None, None), "cli");
    }

    #[test]
    fn the_real_uid_is_the_first_of_the_uid_line() {
        let status = "Name:\tsettlepaisa\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(real_uid(status), Some(1000));
        assert_eq!(real_uid("Name:\tx\n"), None);
        assert_eq!(real_uid("Uid:\tnot-a-number\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_os_user_names_the_real_uid() {
        assert!(os_user().contains("(uid "), "{}", os_user());
    }
}
