//! Passwords: argon2id (crate defaults: m=19 MiB, t=2, p=1), verified on a blocking thread, with a
//! dummy hash for unknown emails so that response time does not reveal which accounts exist.
//! At most one argon2 run per core at a time: each takes 19 MiB, so a burst of sign-ins queues for
//! a permit instead of allocating gigabytes.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use tokio::sync::Semaphore;

use crate::error::AppError;

// The policy is pure and shared with the browser's forms (`auth::model`).
pub use super::model::{
    check_password_policy as check_policy, PASSWORD_MAX_LEN as MAX_LEN, PASSWORD_MIN_LEN as MIN_LEN,
};

/// Hash with a fresh random salt.
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hash_with_salt(password, &salt)
}

/// Hash with a given salt (the demo generator derives salts from its seed so demo data is
/// reproducible byte for byte).
pub fn hash_with_salt(password: &str, salt: &SaltString) -> Result<String, AppError> {
    Argon2::default().hash_password(password.as_bytes(), salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "argon2 hashing failed");
        AppError::Internal
    })
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("dummy-password-for-timing-1").expect("argon2 hashes a constant"))
}

/// Permits for concurrent argon2 runs: one per core (the work is CPU-bound; more only adds memory).
static ARGON2_PERMITS: LazyLock<Arc<Semaphore>> =
    LazyLock::new(|| Arc::new(Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))));

/// Passwords checked against a real account's hash since start (each is one guess an attacker got).
static GUESSES_VERIFIED: AtomicU64 = AtomicU64::new(0);

/// How many passwords have been checked against real accounts' hashes since the process started.
pub fn guesses_verified() -> u64 {
    GUESSES_VERIFIED.load(Ordering::Relaxed)
}

/// Run argon2 work on a blocking thread once a permit is free. The permit goes with the work: a
/// blocking task runs to its end even when the request awaiting it is dropped, and must hold its
/// permit until then. Checks ([`verify`]) and the server's new hashes ([`hash_bounded`]) share the
/// permits; the CLI hashes one password at a time with [`hash`].
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let permit = ARGON2_PERMITS.clone().acquire_owned().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        #[cfg(test)]
        let _in_flight = tests::InFlight::enter();
        work()
    })
    .await
    .map_err(|_| AppError::Internal)
}

/// Hash a new password on a blocking thread, within the permits (an admin's create or reset, a
/// user's own change).
pub async fn hash_bounded(password: String) -> Result<String, AppError> {
    bounded(move || hash(&password)).await?
}

/// Verify `password` against `stored` (or against a dummy hash when there is no account, always
/// answering false, so both paths cost the same).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    bounded(move || {
        let (hash_text, real) = match stored.as_deref() {
            Some(h) => (h, true),
            None => (dummy_hash(), false),
        };
        let parsed = PasswordHash::new(hash_text).map_err(|e| {
            tracing::error!(error = %e, "stored password hash is malformed");
            AppError::Internal
        })?;
        if real {
            GUESSES_VERIFIED.fetch_add(1, Ordering::Relaxed);
        }
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    static PEAK_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

    /// Counts argon2 runs in progress (and the most ever seen) while alive.
    pub(super) struct InFlight;

    impl InFlight {
        pub(super) fn enter() -> InFlight {
            let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
            PEAK_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
            InFlight
        }
    }

    impl Drop for InFlight {
        fn drop(&mut self) {
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_runs_at_most_one_argon2_per_core() {
        let stored = hash("SettlePaisa@2025").unwrap();
        let burst = (0..24).map(|i| {
            let stored = stored.clone();
            tokio::spawn(async move { verify(format!("Wrong-guess-{i}"), Some(stored)).await })
        });
        for outcome in futures::future::join_all(burst).await {
            assert!(!outcome.unwrap().unwrap());
        }
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        let peak = PEAK_IN_FLIGHT.load(Ordering::SeqCst);
        assert!(peak >= 1, "the hook saw the runs");
        assert!(peak <= permits, "{peak} argon2 runs at once with {permits} permits");
    }

    /// A sign-in dropped mid-check (client gone, request timeout) leaves its argon2 run going on its
    /// blocking thread; the run must keep its permit until it ends, or each dropped request lets one
    /// more run start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn dropped_verifications_keep_their_permits_until_argon2_ends() {
        let stored = hash("SettlePaisa@2025").unwrap();
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..4 * permits {
            let check = verify(format!("Wrong-guess-{i}"), Some(stored.clone()));
            // Long enough to take a free permit and start argon2, far shorter than one run.
            let _ = tokio::time::timeout(std::time::Duration::from_millis(2), check).await;
        }
        for _ in 0..600 {
            if IN_FLIGHT.load(Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let peak = PEAK_IN_FLIGHT.load(Ordering::SeqCst);
        assert!(peak >= 1, "the hook saw the runs");
        assert!(peak <= permits, "{peak} argon2 runs at once with {permits} permits");
    }

    #[test]
    fn policy() {
        assert!(check_policy("SettlePaisa@2025").is_ok());
        assert!(check_policy("short1").is_err());
        assert!(check_policy("onlylettersherexx").is_err());
        assert!(check_policy("123456789012345").is_err());
        assert!(check_policy(&"a1".repeat(65)).is_err());
    }

    #[test]
    fn hashes_are_argon2id_and_salted() {
        let a = hash("SettlePaisa@2025").unwrap();
        let b = hash("SettlePaisa@2025").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn verify_accepts_right_and_refuses_wrong_and_unknown() {
        let h = hash("SettlePaisa@2025").unwrap();
        assert!(verify("SettlePaisa@2025".into(), Some(h.clone())).await.unwrap());
        assert!(!verify("SettlePaisa@2026".into(), Some(h)).await.unwrap());
        // Even the dummy password itself never verifies for a missing account.
        assert!(!verify("dummy-password-for-timing-1".into(), None).await.unwrap());
    }
}
