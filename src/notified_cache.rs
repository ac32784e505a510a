//! Small in-process caches that stay honest across instances: each one listens to a Postgres
//! notification channel that triggers fire whenever the data behind it changes (migration
//! `change_notifications`), and every notification flushes it. While its listener is down a cache
//! answers nothing (every read goes to the database), and no entry outlives its maximum age.
//! A value read from the database is stored only if no notification arrived during the read
//! (the generation check), so a cache never keeps a result older than the last change it heard of.
//!
//! Three caches use it: API token → user ([`PRINCIPALS`]; a revoked token or disabled account stops
//! working on every instance when the notification arrives), the disputes KPIs per scope
//! ([`CHARGEBACKS`]) and the exception queue's counts per filter ([`EXCEPTIONS`]; those also expire
//! at the next SLA or snooze boundary, since time alone changes them). Writers on this instance also flush directly after they commit, so a user
//! always reads their own change.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::PgPool;

pub const PRINCIPALS: &str = "settlepaisa_principals";
pub const CHARGEBACKS: &str = "settlepaisa_chargebacks";
pub const EXCEPTIONS: &str = "settlepaisa_exceptions";

const MAX_ENTRIES: usize = 10_000;

struct Entry<V> {
    generation: u64,
    stored_at: Instant,
    value: V,
}

pub struct NotifiedCache<K, V> {
    max_age: Duration,
    generation: AtomicU64,
    listening: AtomicBool,
    entries: Mutex<HashMap<K, Entry<V>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl<K: Hash + Eq + Clone + Send + 'static, V: Clone + Send + 'static> NotifiedCache<K, V> {
    fn new(max_age: Duration) -> Self {
        NotifiedCache {
            max_age,
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            entries: Mutex::new(HashMap::new()),
            stop: tokio::sync::watch::channel(false).0,
            task: Mutex::new(None),
        }
    }

    /// A cache that never answers (tests, tools that run no listener).
    pub fn disabled() -> Arc<Self> {
        Arc::new(Self::new(Duration::ZERO))
    }

    /// A cache flushed by every notification on `channel`, listening in a background task.
    pub fn start(pool: PgPool, channel: &'static str, max_age: Duration) -> Arc<Self> {
        let cache = Arc::new(Self::new(max_age));
        let task_cache = cache.clone();
        let task = tokio::spawn(async move { task_cache.listen(pool, channel).await });
        *cache.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        cache
    }

    /// Stop listening and give the listener's connection back to the pool (shutdown, tests).
    /// The cache answers nothing afterwards.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.listening.store(false, Ordering::SeqCst);
        self.flush();
    }

    async fn listen(self: Arc<Self>, pool: PgPool, channel: &'static str) {
        // The listener holds one of the pool's connections; it gives it back when the pool closes
        // or the cache is stopped.
        let mut stop = self.stop.subscribe();
        let closed = pool.close_event();
        tokio::pin!(closed);
        let stopping = |stop: &tokio::sync::watch::Receiver<bool>| *stop.borrow() || pool.is_closed();
        while !stopping(&stop) {
            let connected = tokio::select! {
                _ = &mut closed => return,
                _ = stop.changed() => return,
                listener = PgListener::connect_with(&pool) => listener,
            };
            if let Ok(mut listener) = connected {
                if listener.listen(channel).await.is_ok() {
                    // Anything cached before this point may have missed a change.
                    self.flush();
                    self.listening.store(true, Ordering::SeqCst);
                    loop {
                        tokio::select! {
                            _ = &mut closed => break,
                            _ = stop.changed() => break,
                            message = listener.try_recv() => match message {
                                Ok(Some(_)) => self.flush(),
                                Ok(None) | Err(_) => break,
                            },
                        }
                    }
                    self.listening.store(false, Ordering::SeqCst);
                    self.flush();
                    if stopping(&stop) {
                        return;
                    }
                    tracing::warn!(channel, "cache listener lost; the cache is bypassed until it reconnects");
                }
            }
            tokio::select! {
                _ = &mut closed => return,
                _ = stop.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Forget everything: the data changed.
    pub fn flush(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Read before the database lookup and pass to [`put`](Self::put).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How long an entry may answer after it was stored.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if !self.is_listening() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.stored_at.elapsed() < self.max_age)
            .map(|e| e.value.clone())
    }

    pub fn put(&self, key: K, generation: u64, value: V) {
        if !self.is_listening() || generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Entry { generation, stored_at: Instant::now(), value });
    }

    /// The cached value, or `load`'s (stored when no change was notified meanwhile).
    pub async fn get_or_load<E, F>(&self, key: K, load: F) -> Result<V, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let generation = self.generation();
        let value = load.await?;
        self.put(key, generation, value.clone());
        Ok(value)
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_only_while_listening_and_only_for_the_current_generation() {
        let cache: NotifiedCache<&str, i32> = NotifiedCache::new(Duration::from_secs(60));
        let g = cache.generation();
        cache.put("t", g, 1);
        assert!(cache.get(&"t").is_none(), "not listening: nothing is stored or served");
        cache.listening.store(true, Ordering::SeqCst);
        cache.put("t", g, 1);
        assert_eq!(cache.get(&"t"), Some(1));
        // A change during a lookup: the result read under the old generation is not stored.
        let before = cache.generation();
        cache.flush();
        cache.put("u", before, 2);
        assert!(cache.get(&"u").is_none());
        assert!(cache.get(&"t").is_none(), "a flush forgets everything");
        cache.listening.store(false, Ordering::SeqCst);
        cache.put("v", cache.generation(), 3);
        assert!(cache.get(&"v").is_none());
    }

    #[test]
    fn entries_expire() {
        let cache: NotifiedCache<&str, i32> = NotifiedCache::new(Duration::ZERO);
        cache.listening.store(true, Ordering::SeqCst);
        cache.put("t", cache.generation(), 1);
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&"t").is_none(), "older than the maximum age");
    }
}
