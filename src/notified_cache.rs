//! Small in-process caches that stay honest across instances: each one listens to a Postgres
//! notification channel that triggers fire whenever the data behind it changes (migration
//! `change_notifications`), and every notification flushes it. While its listener is down a cache
//! answers nothing (every read goes to the database), and no entry outlives its maximum age.
//! A value read from the database is stored only if no notification arrived during the read
//! (the generation check), so a cache never keeps a result older than the last change it heard of.
//! Concurrent misses of one key share one database read ([`NotifiedCache::load_shared`]): ten
//! thousand connections arriving at once, or the moment after a flush, cost one query, not one
//! each, so a burst never queues thousands of identical reads in front of the pool.
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

/// What a load found, and whether the cache may keep it.
pub enum Loaded<V> {
    /// Stored for later readers (until the next change or the maximum age).
    Keep(V),
    /// Given to this read and those waiting on it, not stored (say, a token that expires sooner
    /// than the maximum age).
    Once(V),
    /// Nothing found; never stored, so a row created a moment later is read.
    Missing,
}

/// One database read in progress for a key and generation; callers who miss meanwhile wait for
/// its answer instead of reading too.
type Flight<V> = Arc<tokio::sync::OnceCell<Option<V>>>;

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
    flights: Mutex<HashMap<(K, u64), Flight<V>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl<K: Hash + Eq + Clone + Send + 'static, V: Clone + Send + Sync + 'static> NotifiedCache<K, V> {
    fn new(max_age: Duration) -> Self {
        NotifiedCache {
            max_age,
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
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
        // A read begun before the change answers only those already waiting on it.
        self.flights.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
        let answer = self.load_shared(key, |_| true, async { load.await.map(Loaded::Keep) }).await?;
        Ok(answer.expect("a load that keeps what it finds always answers"))
    }

    /// The cached value if `fresh` accepts it; otherwise one read for all who miss at once.
    ///
    /// The first caller to miss a key runs `load`; callers who miss the same key under the same
    /// generation while it runs wait and take its answer, and a caller who arrives after a flush
    /// starts a read of its own (a change they may have made is never answered by a read begun
    /// before it). If the reading caller goes away (its request dropped), a waiting one runs its
    /// own `load` instead; if the read fails, its caller gets the error and each waiter reads for
    /// itself. While the listener is down nothing is shared: every caller reads.
    pub async fn load_shared<E, F>(&self, key: K, fresh: impl Fn(&V) -> bool, load: F) -> Result<Option<V>, E>
    where
        F: std::future::Future<Output = Result<Loaded<V>, E>>,
    {
        if let Some(v) = self.get(&key).filter(|v| fresh(v)) {
            return Ok(Some(v));
        }
        let generation = self.generation();
        let run = |key: K| async move {
            Ok(match load.await? {
                Loaded::Keep(v) => {
                    self.put(key, generation, v.clone());
                    Some(v)
                }
                Loaded::Once(v) => Some(v),
                Loaded::Missing => None,
            })
        };
        if !self.is_listening() {
            return run(key).await;
        }
        let flight_key = (key.clone(), generation);
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights.get(&flight_key) {
                // A finished flight is not joined: its answer may be older than this caller.
                Some(f) if !f.initialized() => f.clone(),
                _ => {
                    if flights.len() >= MAX_ENTRIES {
                        flights.clear();
                    }
                    let f = Flight::default();
                    flights.insert(flight_key.clone(), f.clone());
                    f
                }
            }
        };
        let answer = flight.get_or_try_init(|| run(key)).await.cloned();
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(&flight_key).is_some_and(|f| Arc::ptr_eq(f, &flight) && f.initialized()) {
            flights.remove(&flight_key);
        }
        answer
    }

    /// Reads in progress (tests).
    pub fn flights_in_progress(&self) -> usize {
        self.flights.lock().unwrap_or_else(|p| p.into_inner()).len()
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

    fn listening<V: Clone + Send + Sync + 'static>() -> Arc<NotifiedCache<&'static str, V>> {
        let cache = Arc::new(NotifiedCache::new(Duration::from_secs(60)));
        cache.listening.store(true, Ordering::SeqCst);
        cache
    }

    /// A load that counts its runs and finishes when `gate` is opened.
    async fn gated(
        runs: &std::sync::atomic::AtomicUsize,
        gate: &tokio::sync::Semaphore,
        found: Loaded<i32>,
    ) -> Result<Loaded<i32>, String> {
        runs.fetch_add(1, Ordering::SeqCst);
        let _open = gate.acquire().await.map_err(|e| e.to_string())?;
        Ok(found)
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_read() {
        let cache = listening::<i32>();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
                tokio::spawn(
                    async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(7))).await },
                )
            })
            .collect();
        while cache.flights_in_progress() == 0 || runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(1000);
        for c in callers {
            assert_eq!(c.await.unwrap(), Ok(Some(7)));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "fifty callers missed at once: one read");
        assert_eq!(cache.flights_in_progress(), 0, "the finished read is forgotten");
        assert_eq!(cache.get(&"k"), Some(7), "kept");
    }

    #[tokio::test]
    async fn a_caller_after_a_flush_reads_again() {
        let cache = listening::<i32>();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let first = {
            let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(1))).await })
        };
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // The data changes while the first read is out; a caller after the change does not wait
        // for (or take) the first read's answer.
        cache.flush();
        let second = {
            let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(2))).await })
        };
        while runs.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(10);
        assert_eq!(first.await.unwrap(), Ok(Some(1)));
        assert_eq!(second.await.unwrap(), Ok(Some(2)));
        assert_eq!(cache.get(&"k"), Some(2), "only the read begun after the change is kept");
    }

    #[tokio::test]
    async fn missing_and_once_are_shared_but_not_kept() {
        let cache = listening::<i32>();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let gate = tokio::sync::Semaphore::new(100);
        assert_eq!(cache.load_shared("gone", |_| true, gated(&runs, &gate, Loaded::Missing)).await, Ok(None));
        assert_eq!(cache.load_shared("gone", |_| true, gated(&runs, &gate, Loaded::Keep(3))).await, Ok(Some(3)));
        assert_eq!(cache.load_shared("soon", |_| true, gated(&runs, &gate, Loaded::Once(4))).await, Ok(Some(4)));
        assert!(cache.get(&"soon").is_none());
        assert_eq!(runs.load(Ordering::SeqCst), 3, "a finished read answers no later caller");
        assert_eq!(cache.flights_in_progress(), 0);
    }

    #[tokio::test]
    async fn a_stale_entry_is_read_again() {
        let cache = listening::<i32>();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let gate = tokio::sync::Semaphore::new(100);
        cache.put("k", cache.generation(), 1);
        assert_eq!(cache.load_shared("k", |v| *v > 1, gated(&runs, &gate, Loaded::Keep(5))).await, Ok(Some(5)));
        assert_eq!(cache.load_shared("k", |v| *v > 1, gated(&runs, &gate, Loaded::Keep(6))).await, Ok(Some(5)));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_dropped_or_failed_read_hands_over_to_a_waiter() {
        let cache = listening::<i32>();
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let first = {
            let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(1))).await })
        };
        while runs.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let waiter = {
            let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
            tokio::spawn(async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(2))).await })
        };
        tokio::task::yield_now().await;
        first.abort(); // the reading request went away
        assert!(first.await.unwrap_err().is_cancelled());
        while runs.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(10);
        assert_eq!(waiter.await.unwrap(), Ok(Some(2)), "the waiter read for itself");

        // A failed read: its caller gets the error, the next caller reads again.
        let failing = async { Err::<Loaded<i32>, String>("database down".into()) };
        cache.flush();
        assert_eq!(cache.load_shared("e", |_| true, failing).await, Err("database down".into()));
        assert_eq!(cache.load_shared("e", |_| true, async { Ok::<_, String>(Loaded::Keep(9)) }).await, Ok(Some(9)));
    }

    #[tokio::test]
    async fn nothing_is_shared_while_not_listening() {
        let cache: Arc<NotifiedCache<&str, i32>> = Arc::new(NotifiedCache::new(Duration::from_secs(60)));
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let callers: Vec<_> = (0..3)
            .map(|_| {
                let (cache, runs, gate) = (cache.clone(), runs.clone(), gate.clone());
                tokio::spawn(
                    async move { cache.load_shared("k", |_| true, gated(&runs, &gate, Loaded::Keep(1))).await },
                )
            })
            .collect();
        while runs.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(10);
        for c in callers {
            assert_eq!(c.await.unwrap(), Ok(Some(1)));
        }
        assert_eq!(cache.flights_in_progress(), 0);
    }
}
