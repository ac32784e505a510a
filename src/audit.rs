//! The unified audit log: one append-only row per mutating action (from the app or the CLI) and
//! per sign-in attempt (who, roles, what, target, before/after, when, IP, success or failure), and
//! one per refused request (403/409) of a signed-in caller. Sign-in attempts refused by the per-IP
//! limit write no row at all, only the metric `sign_in_rate_limited_total`, so a flood cannot fill
//! the log. The table refuses
//! UPDATE and DELETE by trigger.
//!
//! The database chains the rows (migration `20261206000001_audit_chain.sql`): each insert takes the
//! advisory lock [`AUDIT_CHAIN_LOCK`] until its transaction ends, reads the chain's last row and
//! gives the new one the next position, that row's hash and its own SHA-256. A transaction that
//! writes audit rows therefore writes them **last**, after every other row it locks: holding the
//! chain's lock while waiting for another row's lock would queue every other audited write behind
//! it (and can deadlock with a writer that holds that row and waits for the chain). The check of
//! the chain is `features::audit::queries::verify`.
//!
//! Refused requests are throttled per user, so one caller cannot grow the append-only log at
//! will: a refusal row names the matched route template and at most [`REFUSAL_PATH_CHARS`]
//! characters of the path; each user gets at most [`REFUSALS_PER_MINUTE`] rows in a minute
//! (counted from their first refusal), then one `request.refused.throttled` row saying so, and
//! further refusals in that minute are not written, only counted in the metric
//! `audit_refusals_unrecorded_total`. The throttle is kept in this process's memory: each
//! instance of the server throttles on its own.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
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

/// The advisory lock the audit chain's trigger takes (its key is written in the migration; a test
/// keeps the two equal). No other lock may use this key.
pub const AUDIT_CHAIN_LOCK: i64 = 0x5e7f_0015_a0d1_c001;

/// Most refusal rows per user in a minute (then one throttle row, then only a metric).
pub const REFUSALS_PER_MINUTE: u32 = 10;
/// Most characters of the refused request's path kept in its row.
pub const REFUSAL_PATH_CHARS: usize = 256;

/// What to write for a user's refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    /// A refusal row.
    Row,
    /// The user has reached the limit: one row saying that the rest of the minute is not written.
    Throttled,
    /// Counted only.
    Skip,
}

/// Per-user minutes of refusals: the first refusal opens a user's minute.
#[derive(Default)]
struct RefusalThrottle(HashMap<Uuid, (DateTime<Utc>, u32)>);

impl RefusalThrottle {
    fn admit(&mut self, user: Uuid, now: DateTime<Utc>) -> Admit {
        let minute = chrono::Duration::minutes(1);
        // Forget closed minutes now and then, so the map holds only users refused lately.
        if self.0.len() > 1000 {
            self.0.retain(|_, (opened, _)| now - *opened < minute);
        }
        let (opened, count) = self.0.entry(user).or_insert((now, 0));
        if now - *opened >= minute {
            (*opened, *count) = (now, 0);
        }
        *count = count.saturating_add(1);
        match *count {
            n if n <= REFUSALS_PER_MINUTE => Admit::Row,
            n if n == REFUSALS_PER_MINUTE + 1 => Admit::Throttled,
            _ => Admit::Skip,
        }
    }
}

static REFUSALS: LazyLock<Mutex<RefusalThrottle>> = LazyLock::new(Mutex::default);

/// The header in which a server function marks the status of a refusal it answers with a redirect
/// (a plain form post, see `http::server_fn`); [`record_refusals`] reads it and takes it off.
pub const REFUSED_STATUS_HEADER: &str = "x-settlepaisa-refused";

/// Middleware: a signed-in caller's refused request — 403 (their role does not allow it) or 409 (a
/// command's rule refused it) — is an audit row with outcome `failure`, whichever page, server
/// function or API handler refused it.
/// Throttled per user, see the module's doc.
pub async fn record_refusals(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<CurrentUser>().cloned();
    let path: String = req.uri().path().chars().take(REFUSAL_PATH_CHARS).collect();
    let target = format!("{} {path}", req.method());
    let route = req.extensions().get::<MatchedPath>().map_or("(no route)", MatchedPath::as_str).to_string();
    let ip = crate::http::client_ip(&req, &state.config);
    let mut res = next.run(req).await;
    // A server function that refused a plain form post answers with a redirect back to the form;
    // it marks its refusal's status in this header, which goes no further.
    let marked = res
        .headers_mut()
        .remove(REFUSED_STATUS_HEADER)
        .and_then(|v| v.to_str().ok()?.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok());
    let status = marked.unwrap_or(res.status());
    let (Some(user), StatusCode::FORBIDDEN | StatusCode::CONFLICT) = (&caller, status) else {
        return res;
    };
    let admit = REFUSALS.lock().unwrap_or_else(|p| p.into_inner()).admit(user.id, state.clock.now());
    let mut entry = match admit {
        Admit::Row => AuditEntry::by(user, "request.refused", "route"),
        Admit::Throttled => AuditEntry::by(user, "request.refused.throttled", "route"),
        Admit::Skip => {
            metrics::counter!("audit_refusals_unrecorded_total").increment(1);
            return res;
        }
    };
    entry.target_id = Some(target);
    entry.success = false;
    entry.ip = ip.as_deref();
    entry.details = Some(match admit {
        Admit::Throttled => format!(
            "{status}; route {route}; over {REFUSALS_PER_MINUTE} refusals in a minute: the rest of this minute's \
             are counted in audit_refusals_unrecorded_total, not written"
        ),
        _ => format!("{status}; route {route}"),
    });
    if let Err(e) = record(&state.pool, entry).await {
        tracing::error!(error = %e, "could not write the audit row of a refused request");
    }
    res
}

pub async fn record<'c, E: PgExecutor<'c>>(db: E, entry: AuditEntry<'_>) -> Result<(), AppError> {
    // The address is sent as text and cast by Postgres (`$8::text::inet`), as it always was.
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_email, actor_roles, action, target_type, target_id,
                                outcome, ip, before, after, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::inet, $9, $10, $11)",
        entry.actor_id,
        entry.actor_email,
        &entry.actor_roles,
        entry.action,
        entry.target_type,
        entry.target_id,
        if entry.success { "success" } else { "failure" },
        entry.ip,
        entry.before,
        entry.after,
        entry.details,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod chain_lock_tests {
    #[test]
    fn the_migration_takes_the_chain_lock_named_here() {
        let migration = include_str!("../migrations/20261206000001_audit_chain.sql");
        assert!(migration.contains(&format!("pg_advisory_xact_lock({})", super::AUDIT_CHAIN_LOCK)));
    }
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

#[cfg(test)]
mod refusal_throttle_tests {
    use super::*;

    #[test]
    fn a_user_gets_ten_rows_a_minute_then_one_saying_so() {
        let mut throttle = RefusalThrottle::default();
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let start = Utc::now();
        let admitted: Vec<Admit> =
            (0..50).map(|s| throttle.admit(alice, start + chrono::Duration::seconds(s))).collect();
        assert_eq!(admitted.iter().filter(|a| **a == Admit::Row).count(), 10);
        assert_eq!(admitted[10], Admit::Throttled);
        assert!(admitted[11..].iter().all(|a| *a == Admit::Skip));
        assert_eq!(throttle.admit(bob, start + chrono::Duration::seconds(50)), Admit::Row, "per user");
        // The minute is alice's first refusal's: a minute later she is written again.
        assert_eq!(throttle.admit(alice, start + chrono::Duration::seconds(60)), Admit::Row);
    }
}
