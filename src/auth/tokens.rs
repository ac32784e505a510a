//! API tokens for scripts and load tests: `spo_` + 32 random bytes (base64url). Shown once; only the
//! SHA-256 is stored (the secret has 256 bits of entropy, so a fast hash is the right tool).

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::error::AppError;

pub const PREFIX: &str = "spo_";

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Create a token for a user; returns the secret (to be shown once). `operator` (the OS account
/// running the CLI) is the audit row's actor; a refusal is audited as a failure.
pub async fn create(pool: &PgPool, email: &str, name: &str, operator: &str) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let user_id: Option<Uuid> =
        sqlx::query_scalar!("SELECT id FROM users WHERE email = lower($1) AND is_active", email)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(user_id) = user_id else {
        audit_change(&mut tx, operator, "token.create", email, name, None, false).await?;
        tx.commit().await?;
        return Err(AppError::NotFound(format!("No active user with email {email}.")));
    };
    let token = generate();
    let inserted = sqlx::query!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) DO NOTHING",
        Uuid::new_v4(),
        user_id,
        name,
        digest(&token),
        &token[..PREFIX.len() + 6],
    )
    .execute(&mut *tx)
    .await?;
    let created = inserted.rows_affected() > 0;
    audit_change(&mut tx, operator, "token.create", email, name, Some(user_id), created).await?;
    tx.commit().await?;
    if !created {
        return Err(AppError::Conflict(format!(
            "{email} already has a token named \"{name}\"; revoke it or choose another name."
        )));
    }
    Ok(token)
}

/// Revoke a user's token by name. Returns whether a live token was revoked; audited like [`create`].
pub async fn revoke(pool: &PgPool, email: &str, name: &str, operator: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let user_id: Option<Uuid> = sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = now(), name = name || ' (revoked ' || id || ')'
         WHERE name = $2 AND revoked_at IS NULL
           AND user_id = (SELECT id FROM users WHERE email = lower($1))
         RETURNING user_id",
        email,
        name,
    )
    .fetch_optional(&mut *tx)
    .await?;
    audit_change(&mut tx, operator, "token.revoke", email, name, user_id, user_id.is_some()).await?;
    tx.commit().await?;
    Ok(user_id.is_some())
}

/// The audit row of a CLI token change (the token's name, never its secret).
async fn audit_change(
    db: &mut PgConnection,
    operator: &str,
    action: &str,
    email: &str,
    name: &str,
    user_id: Option<Uuid>,
    success: bool,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by_operator(operator, action, "user");
    entry.target_id = user_id.map(|id| id.to_string());
    entry.success = success;
    entry.after = Some(serde_json::json!({ "email": email.to_lowercase(), "token": name }));
    audit::record(db, entry).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_to_hex() {
        let a = generate();
        let b = generate();
        assert!(a.starts_with(PREFIX));
        assert_eq!(a.len(), PREFIX.len() + 43);
        assert_ne!(a, b);
        let d = digest(&a);
        assert_eq!(d.len(), 64);
        assert!(d.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(d, digest(&b));
    }
}
