//! The server-session store: PostgreSQL (tower-sessions' `PostgresStore`) behind a cache flushed by
//! the [`PRINCIPALS`](crate::notified_cache::PRINCIPALS) notifications, which the session tables'
//! triggers send on every write (migration `page_notifications`). A page request then costs no
//! session read while nothing about who is signed in changed: at thousands of page requests a
//! second the store's `SELECT` was one of the two queries every request paid.
//!
//! Every write (sign-in, the once-a-minute touch, sign-out) goes to PostgreSQL first and then
//! flushes this instance's cache, so the next request reads it back; the other instances flush on
//! the notification. A cached record is served only before its own expiry, so an expired session
//! stops working on time even when no one deleted it yet.

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

use crate::notified_cache::{Loaded, NotifiedCache};

/// Session id → its record.
pub type SessionCache = NotifiedCache<Id, Record>;

#[derive(Clone)]
pub struct CachedSessionStore {
    store: PostgresStore,
    cache: Arc<SessionCache>,
}

impl std::fmt::Debug for CachedSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedSessionStore").field("cached", &self.cache.len()).finish()
    }
}

impl CachedSessionStore {
    pub fn new(store: PostgresStore, cache: Arc<SessionCache>) -> Self {
        CachedSessionStore { store, cache }
    }
}

fn live(record: &Record) -> bool {
    record.expiry_date > OffsetDateTime::now_utc()
}

#[async_trait]
impl SessionStore for CachedSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let created = self.store.create(record).await;
        self.cache.flush();
        created
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let saved = self.store.save(record).await;
        self.cache.flush();
        saved
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let read = async {
            Ok::<_, session_store::Error>(match self.store.load(id).await? {
                Some(record) => Loaded::Keep(record),
                None => Loaded::Missing,
            })
        };
        Ok(self.cache.load_shared(*id, live, read).await?.filter(live))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let deleted = self.store.delete(id).await;
        self.cache.flush();
        deleted
    }
}
