//! Small in-process caches that stay honest across instances: each one listens to a Postgres
//! notification channel that triggers fire whenever the data behind it changes (migration
//! `change_notifications`), and every notification flushes it. While its listener is down a cache
//! answers nothing (every read goes to the database), and no entry outlives its maximum age.
//! A value read from the database is stored only if no notification arrived during the read
//! (the generation check), so a cache never keeps a result older than the last change it heard of.
//! Concurrent misses of one key share one database read ([`NotifiedCache::load_shared`]): ten
//! thousand connections arriving at once, or the moment after a flush, cost one query, not one
//! each. If that one read fails or its request goes away, everyone waiting on it reads for
//! themselves at once (a failure costs one query per waiter, never a queue of them).
//!
//! Who is calling, on [`PRINCIPALS`] (users, roles, API tokens and server sessions; a revoked token,
//! a disabled account or a signed-out session stops working on every instance when the
//! notification arrives): API token → user, session id → session record, and (user, session) → the
//! session's user. The disputes KPIs per scope ([`CHARGEBACKS`]), the exception queue's counts per
//! filter ([`EXCEPTIONS`]; those also expire at the next SLA or snooze boundary, since time alone
//! changes them), and the rendered pages ([`PAGES`], `http::page_cache`). Writers on this instance
//! also flush the caches of the data they changed directly after they commit, so a user always
//! reads their own change (the rendered pages: a cookie under which that user's pages are rendered
//! anew, see `http::page_cache`).

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
/// Any change to any table of the application's schema (the rendered-page cache).
pub const PAGES: &str = "settlepaisa_pages";

const MAX_ENTRIES: usize = 10_000;

/// What a load found, and whether the cache may keep it.
pub enum Loaded<V> {
    /// Stored for later readers (until the next change or the maximum age).
    Keep(V),
    /// Given to this read and those waiting on it, not stored (say, an answer that may change
    /// sooner than the maximum age without a notification).
    Once(V),
    /// Nothing found; never stored, so a row created a moment later is read.
    Missing,
}

/// One database read in progress for a key and generation: callers who miss meanwhile wait for
/// its answer (`Some`) instead of reading too. The reader sends it; if the reader fails or goes
/// away, the channel closes unanswered and each waiter reads for itself, all at once.
type Flight<V> = Arc<tokio::sync::watch::Sender<Option<Option<V>>>>;

/// Forgets a flight when its reader is done with it, however that ends (answer, error, or the
/// reader's request dropped), so a read answers only those who missed while it ran.
struct Landing<'a, K: Hash + Eq, V> {
    flights: &'a Mutex<HashMap<(K, u64), Flight<V>>>,
    key: (K, u64),
    flight: Flight<V>,
}

impl<K: Hash + Eq, V> Drop for Landing<'_, K, V> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(&self.key).is_some_and(|f| Arc::ptr_eq(f, &self.flight)) {
            flights.remove(&self.key);
        }
    }
}

struct Entry<V> {
    generation: u64,
    stored_at: Instant,
    value: V,
}

/// What a cache that hears a channel tells the caches that follow it (see
/// [`NotifiedCache::follower`]).
trait Flush: Send + Sync {
    fn flush(&self);
}

pub struct NotifiedCache<K, V> {
    max_age: Duration,
    max_entries: usize,
    generation: AtomicU64,
    /// Shared with the followers: they answer while this cache's listener is up.
    listening: Arc<AtomicBool>,
    /// Caches flushed with this one, on the same channel, without a listener of their own.
    followers: Mutex<Vec<Arc<dyn Flush>>>,
    /// Whether this cache runs a listener (a follower's `stop` must not stop its leader's).
    leads: bool,
    entries: Mutex<HashMap<K, Entry<V>>>,
    flights: Mutex<HashMap<(K, u64), Flight<V>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl<K: Hash + Eq + Clone + Send + 'static, V: Clone + Send + Sync + 'static> NotifiedCache<K, V> {
    fn new(max_age: Duration) -> Self {
        NotifiedCache {
            max_age,
            max_entries: MAX_ENTRIES,
            generation: AtomicU64::new(0),
            listening: Arc::new(AtomicBool::new(false)),
            followers: Mutex::new(Vec::new()),
            leads: false,
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
        Self::start_holding(pool, channel, max_age, MAX_ENTRIES)
    }

    /// [`start`](Self::start), keeping at most `max_entries` (large values: rendered pages).
    pub fn start_holding(pool: PgPool, channel: &'static str, max_age: Duration, max_entries: usize) -> Arc<Self> {
        let cache = Arc::new(NotifiedCache { max_entries, leads: true, ..Self::new(max_age) });
        let task_cache = cache.clone();
        let task = tokio::spawn(async move { task_cache.listen(pool, channel).await });
        *cache.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        cache
    }

    /// A cache of other keys and values flushed with this one (by this one's notifications and
    /// [`flush`](Self::flush)) and answering while this one listens: several caches of one channel
    /// share one listener, and so one of the pool's connections.
    pub fn follower<K2, V2>(&self, max_age: Duration) -> Arc<NotifiedCache<K2, V2>>
    where
        K2: Hash + Eq + Clone + Send + Sync + 'static,
        V2: Clone + Send + Sync + 'static,
    {
        let follower = Arc::new(NotifiedCache { listening: self.listening.clone(), ..NotifiedCache::new(max_age) });
        self.followers.lock().unwrap_or_else(|p| p.into_inner()).push(follower.clone());
        follower
    }

    /// Stop listening and give the listener's connection back to the pool (shutdown, tests).
    /// The cache (and its followers) answers nothing afterwards. A follower's `stop` only flushes it.
    pub async fn stop(&self) {
        if !self.leads {
            self.flush();
            return;
        }
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

    /// Forget everything (and so do the followers): the data changed.
    pub fn flush(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
        // A read begun before the change answers only those already waiting on it.
        self.flights.lock().unwrap_or_else(|p| p.into_inner()).clear();
        for follower in self.followers.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            follower.flush();
        }
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Read before the database lookup and pass to [`put`](Self::put).
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn get(&self, key: &K) -> Option<V> {
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

    fn put(&self, key: K, generation: u64, value: V) {
        if !self.is_listening() || generation != self.generation() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(key, Entry { generation, stored_at: Instant::now(), value });
    }

    /// The cached value, or `load`'s (stored when no change was notified meanwhile); concurrent
    /// misses share one read ([`load_shared`](Self::load_shared)).
    pub async fn get_or_load<E, F>(&self, key: K, load: F) -> Result<V, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        let shared = self.load_shared(key, |_| true, async { Ok(Loaded::Keep(load.await?)) }).await?;
        // Every read of a cache used this way keeps what it finds (none of them answers
        // `Missing`), so a read, shared or this caller's own, always has a value.
        match shared {
            Some(value) => Ok(value),
            None => unreachable!("a cache read through get_or_load answered Missing"),
        }
    }

    /// The cached value if `fresh` accepts it; otherwise one read for all who miss at once.
    ///
    /// While the listener is up, the first caller to miss a key runs `load`; callers who miss the
    /// same key under the same generation while it runs wait and take its answer (if `fresh`
    /// accepts it). A caller who arrives after a flush starts a read of its own: a change it may
    /// have made is never answered by a read begun before it. If the read fails, or its caller goes
    /// away (its request dropped), the waiters each run their own `load`, at once; the error goes
    /// only to the caller whose read failed. While the listener is down nothing is shared (every
    /// caller reads), as nothing is cached.
    pub async fn load_shared<E, F>(&self, key: K, fresh: impl Fn(&V) -> bool, load: F) -> Result<Option<V>, E>
    where
        F: std::future::Future<Output = Result<Loaded<V>, E>>,
    {
        if let Some(v) = self.get(&key).filter(|v| fresh(v)) {
            return Ok(Some(v));
        }
        let generation = self.generation();
        if !self.is_listening() {
            return self.read(key, generation, load).await;
        }
        let flight_key = (key.clone(), generation);
        let joined = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights.get(&flight_key) {
                Some(flight) => Some(Err(flight.subscribe())),
                // As many reads in progress as the cache has room for (say, a flood of unknown
                // tokens): this one is not shared, and the others keep theirs.
                None if flights.len() >= self.max_entries => None,
                None => {
                    let flight: Flight<V> = Arc::new(tokio::sync::watch::channel(None).0);
                    flights.insert(flight_key.clone(), flight.clone());
                    Some(Ok(flight))
                }
            }
        };
        let Some(joined) = joined else {
            return self.read(key, generation, load).await;
        };
        match joined {
            // This caller reads for everyone who misses meanwhile.
            Ok(flight) => {
                let _landing = Landing { flights: &self.flights, key: flight_key, flight: flight.clone() };
                let answer = self.read(key, generation, load).await?;
                flight.send_replace(Some(answer.clone()));
                Ok(answer)
            }
            // Another caller is reading: its answer, unless it fails, goes away or is not fresh.
            Err(mut waiting) => {
                let shared = match waiting.wait_for(Option::is_some).await {
                    Ok(answer) => answer.clone(),
                    Err(_) => None,
                };
                match shared {
                    Some(answer) if answer.as_ref().is_none_or(&fresh) => Ok(answer),
                    _ => self.read(key, generation, load).await,
                }
            }
        }
    }

    /// One read: its answer, kept when the load says so and no change was notified meanwhile.
    async fn read<E, F>(&self, key: K, generation: u64, load: F) -> Result<Option<V>, E>
    where
        F: std::future::Future<Output = Result<Loaded<V>, E>>,
    {
        Ok(match load.await? {
            Loaded::Keep(v) => {
                self.put(key, generation, v.clone());
                Some(v)
            }
            Loaded::Once(v) => Some(v),
            Loaded::Missing => None,
        })
    }

    /// Reads in progress.
    #[cfg(test)]
    fn flights_in_progress(&self) -> usize {
        self.flights.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Hash + Eq + Clone + Send + 'static, V: Clone + Send + Sync + 'static> Flush for NotifiedCache<K, V>
where
    NotifiedCache<K, V>: Send + Sync,
{
    fn flush(&self) {
        NotifiedCache::flush(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_answer_while_their_leader_listens_and_flush_with_it() {
        let leader: NotifiedCache<&str, i32> = NotifiedCache::new(Duration::from_secs(60));
        let follower = leader.follower::<u8, String>(Duration::from_secs(60));
        follower.put(1, follower.generation(), "a".into());
        assert!(follower.get(&1).is_none(), "the leader does not listen: neither does the follower");
        leader.listening.store(true, Ordering::SeqCst);
        follower.put(1, follower.generation(), "a".into());
        leader.put("t", leader.generation(), 1);
        assert_eq!(follower.get(&1).as_deref(), Some("a"));
        // The leader's flush (its notification) flushes the follower; the follower's own does not
        // flush the leader.
        follower.flush();
        assert_eq!(leader.get(&"t"), Some(1));
        follower.put(1, follower.generation(), "a".into());
        leader.flush();
        assert!(follower.get(&1).is_none());
        // A follower's stop leaves its leader listening.
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(follower.stop());
        assert!(leader.is_listening());
        leader.listening.store(false, Ordering::SeqCst);
        assert!(!follower.is_listening(), "the leader's listener gone: the follower answers nothing");
    }

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

    type Cache = Arc<NotifiedCache<&'static str, i32>>;

    fn listening() -> Cache {
        let cache = Arc::new(NotifiedCache::new(Duration::from_secs(60)));
        cache.listening.store(true, Ordering::SeqCst);
        cache
    }

    /// Loads that count their runs and finish (with `found`, or an error) once the gate opens.
    #[derive(Clone)]
    struct Loads {
        runs: Arc<std::sync::atomic::AtomicUsize>,
        gate: Arc<tokio::sync::Semaphore>,
    }

    impl Default for Loads {
        fn default() -> Self {
            Loads { runs: Arc::default(), gate: Arc::new(tokio::sync::Semaphore::new(0)) }
        }
    }

    impl Loads {
        fn runs(&self) -> usize {
            self.runs.load(Ordering::SeqCst)
        }

        fn open(&self) {
            self.gate.add_permits(1_000);
        }

        /// A caller of `load_shared` in a task of its own.
        fn spawn(&self, cache: &Cache, key: &'static str, found: Result<Loaded<i32>, String>) -> JoinHandle {
            let (cache, loads) = (cache.clone(), self.clone());
            tokio::spawn(async move {
                let load = async {
                    loads.runs.fetch_add(1, Ordering::SeqCst);
                    // Each finished load uses up its permit: the gate stays as shut as it was.
                    loads.gate.acquire().await.map_err(|e| e.to_string())?.forget();
                    found
                };
                cache.load_shared(key, |v| *v > 0, load).await
            })
        }
    }

    type JoinHandle = tokio::task::JoinHandle<Result<Option<i32>, String>>;

    /// Wait (at most 5 s) until `done` holds.
    async fn until(what: &str, done: impl Fn() -> bool) {
        let waited = tokio::time::timeout(Duration::from_secs(5), async {
            while !done() {
                tokio::task::yield_now().await;
            }
        });
        assert!(waited.await.is_ok(), "waited 5 s for: {what}");
    }

    /// How many callers wait on the read of `key` in progress.
    fn waiting_on(cache: &Cache, key: &'static str) -> usize {
        let flights = cache.flights.lock().unwrap();
        flights.iter().filter(|((k, _), _)| *k == key).map(|(_, f)| f.receiver_count()).sum()
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_read() {
        let (cache, loads) = (listening(), Loads::default());
        // `Once`: not stored, so only sharing the read (not the cache) can answer the others.
        let callers: Vec<_> = (0..50).map(|_| loads.spawn(&cache, "k", Ok(Loaded::Once(7)))).collect();
        until("49 callers waiting on the first one's read", || waiting_on(&cache, "k") == 49).await;
        loads.open();
        for c in callers {
            assert_eq!(c.await.unwrap(), Ok(Some(7)));
        }
        assert_eq!(loads.runs(), 1, "fifty callers missed at once: one read");
        assert_eq!(cache.flights_in_progress(), 0, "the finished read is forgotten");
        assert!(cache.get(&"k").is_none(), "`Once` is not kept");
    }

    #[tokio::test]
    async fn a_caller_after_a_flush_reads_again() {
        let (cache, loads) = (listening(), Loads::default());
        let first = loads.spawn(&cache, "k", Ok(Loaded::Keep(1)));
        until("the first read started", || loads.runs() == 1).await;
        // The data changes while the first read is out; a caller after the change neither waits
        // for nor takes the first read's answer.
        cache.flush();
        let second = loads.spawn(&cache, "k", Ok(Loaded::Keep(2)));
        until("a second read started", || loads.runs() == 2).await;
        loads.open();
        assert_eq!(first.await.unwrap(), Ok(Some(1)));
        assert_eq!(second.await.unwrap(), Ok(Some(2)));
        assert_eq!(cache.get(&"k"), Some(2), "only the read begun after the change is kept");
    }

    #[tokio::test]
    async fn a_finished_read_answers_no_later_caller() {
        let (cache, loads) = (listening(), Loads::default());
        loads.open();
        assert_eq!(loads.spawn(&cache, "gone", Ok(Loaded::Missing)).await.unwrap(), Ok(None));
        assert_eq!(loads.spawn(&cache, "gone", Ok(Loaded::Keep(3))).await.unwrap(), Ok(Some(3)));
        assert_eq!(loads.spawn(&cache, "soon", Ok(Loaded::Once(4))).await.unwrap(), Ok(Some(4)));
        assert_eq!(loads.spawn(&cache, "soon", Ok(Loaded::Once(5))).await.unwrap(), Ok(Some(5)));
        assert_eq!(loads.runs(), 4);
        assert_eq!(cache.flights_in_progress(), 0);
    }

    #[tokio::test]
    async fn a_stale_entry_or_answer_is_read_again() {
        let (cache, loads) = (listening(), Loads::default());
        loads.open();
        cache.put("k", cache.generation(), 0); // `fresh` (v > 0) refuses it
        assert_eq!(loads.spawn(&cache, "k", Ok(Loaded::Keep(5))).await.unwrap(), Ok(Some(5)));
        assert_eq!(loads.spawn(&cache, "k", Ok(Loaded::Keep(6))).await.unwrap(), Ok(Some(5)), "cached");
        assert_eq!(loads.runs(), 1);

        // A shared answer `fresh` refuses: the waiter reads for itself.
        let (cache, loads) = (listening(), Loads::default());
        let first = loads.spawn(&cache, "s", Ok(Loaded::Once(0)));
        until("the first read started", || loads.runs() == 1).await;
        let waiter = loads.spawn(&cache, "s", Ok(Loaded::Once(8)));
        until("a caller waiting", || waiting_on(&cache, "s") == 1).await;
        loads.open();
        assert_eq!(first.await.unwrap(), Ok(Some(0)));
        assert_eq!(waiter.await.unwrap(), Ok(Some(8)));
        assert_eq!(loads.runs(), 2);
    }

    #[tokio::test]
    async fn after_a_failed_read_the_waiters_read_at_once() {
        let (cache, loads) = (listening(), Loads::default());
        let failing = loads.spawn(&cache, "k", Err("database down".into()));
        until("the first read started", || loads.runs() == 1).await;
        let waiters: Vec<_> = (0..3).map(|_| loads.spawn(&cache, "k", Ok(Loaded::Keep(9)))).collect();
        until("3 callers waiting", || waiting_on(&cache, "k") == 3).await;
        // Only the failing read may finish: one permit, used up by it.
        loads.gate.add_permits(1);
        assert_eq!(failing.await.unwrap(), Err("database down".into()), "the error goes to its own caller");
        // The three waiters each start a read while the gate is still shut: side by side, not one
        // after another (a queue of reads behind a failing database would add up their time-outs).
        until("the three waiters reading together", || loads.runs() == 4).await;
        loads.open();
        for w in waiters {
            assert_eq!(w.await.unwrap(), Ok(Some(9)));
        }
        assert_eq!(cache.flights_in_progress(), 0);
    }

    #[tokio::test]
    async fn a_dropped_read_hands_over_and_is_forgotten() {
        let (cache, loads) = (listening(), Loads::default());
        let first = loads.spawn(&cache, "k", Ok(Loaded::Keep(1)));
        until("the first read started", || loads.runs() == 1).await;
        let waiter = loads.spawn(&cache, "k", Ok(Loaded::Keep(2)));
        until("a caller waiting", || waiting_on(&cache, "k") == 1).await;
        first.abort(); // the reading request went away
        assert!(first.await.unwrap_err().is_cancelled());
        until("the waiter reading for itself", || loads.runs() == 2).await;
        loads.open();
        assert_eq!(waiter.await.unwrap(), Ok(Some(2)));

        // A dropped read with no one waiting leaves nothing behind.
        let (cache, loads) = (listening(), Loads::default());
        let alone = loads.spawn(&cache, "k", Ok(Loaded::Keep(1)));
        until("the read started", || loads.runs() == 1).await;
        alone.abort();
        assert!(alone.await.unwrap_err().is_cancelled());
        assert_eq!(cache.flights_in_progress(), 0);
    }

    #[tokio::test]
    async fn nothing_is_shared_while_not_listening() {
        let cache: Cache = Arc::new(NotifiedCache::new(Duration::from_secs(60)));
        let loads = Loads::default();
        let callers: Vec<_> = (0..3).map(|_| loads.spawn(&cache, "k", Ok(Loaded::Keep(1)))).collect();
        until("three reads", || loads.runs() == 3).await;
        loads.open();
        for c in callers {
            assert_eq!(c.await.unwrap(), Ok(Some(1)));
        }
        assert_eq!(cache.flights_in_progress(), 0);
    }
}
