//! Passwords: argon2id (crate defaults: m=19 MiB, t=2, p=1), verified on a blocking thread, with a
//! dummy hash for unknown emails so that response time does not reveal which accounts exist.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

use crate::error::AppError;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

/// The password policy of spec 09: 12–128 characters with at least one letter and one digit.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("The password must have at least {MIN_LEN} characters."));
    }
    if len > MAX_LEN {
        return Err(format!("The password must have at most {MAX_LEN} characters."));
    }
    if !password.chars().any(|c| c.is_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err("The password must contain letters and digits.".into());
    }
    Ok(())
}

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

/// Verify `password` against `stored` (or against a dummy hash when there is no account, always
/// answering false, so both paths cost the same).
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let (hash_text, real) = match stored.as_deref() {
            Some(h) => (h, true),
            None => (dummy_hash(), false),
        };
        let parsed = PasswordHash::new(hash_text).map_err(|e| {
            tracing::error!(error = %e, "stored password hash is malformed");
            AppError::Internal
        })?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|_| AppError::Internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

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
