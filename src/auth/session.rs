//! Session rules of spec 09: a new id at sign-in, 15-minute idle timeout, 12-hour absolute lifetime,
//! deletion on sign-out. The session row lives in Postgres (tower-sessions); what the guard keeps in
//! it is [`SessionAuth`], judged by the pure [`evaluate`].

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SESSION_KEY: &str = "auth";
pub const COOKIE_NAME: &str = "sp_session";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    /// Unix seconds of sign-in (for the absolute lifetime).
    pub signed_in_at: i64,
    /// Unix seconds of the last request that refreshed the session (for the idle timeout).
    pub last_seen_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRules {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    /// Refresh `last_seen_at` (one write) at most this often, not on every request.
    pub touch_every_secs: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionVerdict {
    Valid { touch: bool },
    IdleExpired,
    LifetimeExpired,
}

pub fn evaluate(auth: &SessionAuth, now: i64, rules: &SessionRules) -> SessionVerdict {
    if now - auth.signed_in_at >= rules.absolute_secs {
        SessionVerdict::LifetimeExpired
    } else if now - auth.last_seen_at >= rules.idle_secs {
        SessionVerdict::IdleExpired
    } else {
        SessionVerdict::Valid { touch: now - auth.last_seen_at >= rules.touch_every_secs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: SessionRules = SessionRules { idle_secs: 15 * 60, absolute_secs: 12 * 3600, touch_every_secs: 60 };

    fn auth(signed_in_at: i64, last_seen_at: i64) -> SessionAuth {
        SessionAuth { user_id: Uuid::nil(), signed_in_at, last_seen_at }
    }

    #[test]
    fn fresh_session_is_valid_without_a_write() {
        assert_eq!(evaluate(&auth(1000, 1000), 1030, &RULES), SessionVerdict::Valid { touch: false });
    }

    #[test]
    fn touches_after_a_minute() {
        assert_eq!(evaluate(&auth(1000, 1000), 1060, &RULES), SessionVerdict::Valid { touch: true });
    }

    #[test]
    fn idle_timeout_at_exactly_fifteen_minutes() {
        assert_eq!(evaluate(&auth(0, 0), 15 * 60 - 1, &RULES), SessionVerdict::Valid { touch: true });
        assert_eq!(evaluate(&auth(0, 0), 15 * 60, &RULES), SessionVerdict::IdleExpired);
    }

    #[test]
    fn absolute_lifetime_wins_over_activity() {
        let now = 12 * 3600;
        assert_eq!(evaluate(&auth(0, now - 5), now, &RULES), SessionVerdict::LifetimeExpired);
        assert_eq!(evaluate(&auth(0, now - 5), now - 1, &RULES), SessionVerdict::Valid { touch: false });
    }
}
