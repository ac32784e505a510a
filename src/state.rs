//! What every handler shares: the pool, the configuration, the Leptos options, the clock, the
//! object store and the notification-flushed caches.

use std::sync::{Arc, Mutex};

use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::config::Config;
use crate::features::disputes::model::{Kpis, Scope};
use crate::notified_cache::{self, NotifiedCache};
use std::time::Duration;

/// The time source. Production reads the system clock; tests move a manual one.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An API token's digest → its user and the token's expiry (checked at each use).
pub type PrincipalCache = NotifiedCache<String, (crate::auth::CurrentUser, Option<DateTime<Utc>>)>;
pub type KpiCache = NotifiedCache<Scope, Kpis>;
/// (user, session id) → the session's user, while both are live.
pub type SessionOwnerCache = NotifiedCache<(uuid::Uuid, String), crate::auth::CurrentUser>;
/// (filter, the reader when the filter says "me") → the counts and the instant they may change
/// by time alone (the next SLA due or snooze end).
pub type ExceptionCountsCache = NotifiedCache<
    (crate::features::exceptions::model::Filter, Option<uuid::Uuid>),
    (crate::features::exceptions::model::Counts, Option<DateTime<Utc>>),
>;

/// What every handler shares, behind one `Arc`: axum clones the state for every middleware layer
/// and handler of every request, and cloning a dozen separate `Arc`s (each an atomic counter that
/// two cores fight over) was the largest cost of a cached API call (perf, issue 10). Fields are
/// read through `Deref`; the state never changes once serving starts. Tests that need another
/// cache or clock build a changed copy with [`AppState::with`].
#[derive(Clone)]
pub struct AppState(Arc<StateParts>);

impl AppState {
    pub fn new(parts: StateParts) -> AppState {
        AppState(Arc::new(parts))
    }

    /// A copy of this state with `change` applied (the original and its other handles keep theirs).
    pub fn with(&self, change: impl FnOnce(&mut StateParts)) -> AppState {
        let mut parts = (*self.0).clone();
        change(&mut parts);
        AppState::new(parts)
    }
}

impl std::ops::Deref for AppState {
    type Target = StateParts;
    fn deref(&self) -> &StateParts {
        &self.0
    }
}

/// The parts of [`AppState`]. The caches and stores inside are shared handles of their own, since
/// background tasks (the job worker, the cache listeners) hold them too.
#[derive(Clone)]
pub struct StateParts {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub leptos_options: Arc<LeptosOptions>,
    pub clock: Arc<dyn Clock>,
    /// Where uploaded files live (`OBJECT_STORE_URL`).
    pub objects: Arc<dyn object_store::ObjectStore>,
    /// Bearer token (SHA-256) → user, flushed by database notifications.
    pub principals: Arc<PrincipalCache>,
    /// The disputes KPIs per scope, flushed by database notifications.
    pub dispute_kpis: Arc<KpiCache>,
    /// The exception queue's counts per filter, flushed by database notifications.
    pub exception_counts: Arc<ExceptionCountsCache>,
    /// Session id → session record (the session store's cache), flushed with `principals`.
    pub sessions: Arc<crate::auth::session_store::SessionCache>,
    /// (user, session) → the session's user, flushed with `principals`.
    pub session_owners: Arc<SessionOwnerCache>,
    /// Rendered pages per user and URL (`http::page_cache`), flushed by any change to any table.
    pub pages: Arc<crate::http::page_cache::PageCache>,
    /// Page renders at once and waiting (`http::page_cache`); beyond them pages answer 503.
    pub renders: Arc<crate::http::page_cache::RenderGate>,
    /// The streaming CSV exports running on this instance (at most a quarter of the pool).
    pub exports: Arc<crate::http::csv::ExportGate>,
    /// E-mail out (scheduled reports), when `SMTP_HOST` is set.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
}

/// Pool connections the caches' listeners hold for good: one per channel (principals, chargebacks,
/// exceptions, pages); the session caches follow the principals' listener.
pub const CACHE_LISTENERS: u32 = 4;

/// How long an answer about who is calling may be kept even when no notification comes (a
/// listener whose connection died without a word is noticed only at its next read): a lost
/// notification is a few seconds of grace, never a minute.
pub const PRINCIPALS_MAX_AGE: Duration = Duration::from_secs(5);

impl AppState {
    /// The caches of a serving instance, each listening to its notification channel.
    pub fn start_caches(pool: &PgPool) -> (Arc<PrincipalCache>, Arc<KpiCache>) {
        (
            NotifiedCache::start(pool.clone(), notified_cache::PRINCIPALS, PRINCIPALS_MAX_AGE),
            NotifiedCache::start(pool.clone(), notified_cache::CHARGEBACKS, Duration::from_secs(60)),
        )
    }

    pub fn start_exception_counts(pool: &PgPool) -> Arc<ExceptionCountsCache> {
        NotifiedCache::start(pool.clone(), notified_cache::EXCEPTIONS, Duration::from_secs(60))
    }

    /// The session caches (records, owners): followers of the principals' cache, flushed by its
    /// notifications (the session tables' triggers send on that channel) and with it.
    pub fn start_session_caches(
        principals: &PrincipalCache,
    ) -> (Arc<crate::auth::session_store::SessionCache>, Arc<SessionOwnerCache>) {
        (principals.follower(PRINCIPALS_MAX_AGE), principals.follower(PRINCIPALS_MAX_AGE))
    }

    pub fn start_page_cache(pool: &PgPool) -> Arc<crate::http::page_cache::PageCache> {
        // A page's own age is judged by the app clock (`PAGE_MAX_AGE`, at each use); this bound
        // only lets the memory of dead entries go.
        use crate::http::page_cache::MAX_PAGES;
        NotifiedCache::start_holding(pool.clone(), notified_cache::PAGES, Duration::from_secs(60), MAX_PAGES)
    }

    /// Users, roles, tokens or sessions changed on this instance: every cache of who is calling
    /// forgets at once (the session caches follow `principals`; the other instances flush on the
    /// notification).
    pub fn principals_changed(&self) {
        self.principals.flush();
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}
