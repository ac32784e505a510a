//! API tokens for scripts and load tests: `spo_` + 32 random bytes (base64url). Shown once; only the
//! SHA-256 is stored (the secret has 256 bits of entropy, so a fast hash is the right tool).

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use chrono::{DateTime, Utc};

use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
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
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, name) WHERE revoked_at IS NULL DO NOTHING",
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
        "UPDATE api_tokens SET revoked_at = now()
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

/// One token as the pages list it (never its secret).
pub struct TokenRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub owner: String,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A user's own new token, lasting `days` from `now` (at most `max_live` live ones at once, counted
/// under a lock on the user's row); its id, secret (to show once) and expiry. Audited.
pub async fn create_own(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    name: &str,
    days: i64,
    max_live: i64,
    now: DateTime<Utc>,
) -> Result<(Uuid, String, DateTime<Utc>), AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE", user.id).fetch_optional(&mut *tx).await?;
    let live = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM api_tokens
           WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"#,
        user.id,
        now as DateTime<Utc>,
    )
    .fetch_one(&mut *tx)
    .await?;
    if live >= max_live {
        return Err(AppError::Conflict(format!(
            "You already have {max_live} live tokens. Revoke one you no longer use first."
        )));
    }
    let id = Uuid::new_v4();
    let token = generate();
    let expires = now + chrono::Duration::days(days);
    let inserted = sqlx::query!(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, name) WHERE revoked_at IS NULL DO NOTHING",
        id,
        user.id,
        name,
        digest(&token),
        &token[..PREFIX.len() + 6],
        now as DateTime<Utc>,
        expires as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(format!(
            "You already have a token named \"{name}\" (live or expired). Choose another name, or revoke that one first."
        )));
    }
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            after: Some(
                serde_json::json!({ "name": name, "prefix": &token[..PREFIX.len() + 6], "expiresAt": expires }),
            ),
            ..AuditEntry::by(user, "token.create", "api_token")
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, token, expires))
}

/// Tokens newest first: one user's (`owner`), or everyone's.
pub async fn list(pool: &PgPool, owner: Option<Uuid>, limit: i64) -> Result<Vec<TokenRecord>, AppError> {
    Ok(sqlx::query_as!(
        TokenRecord,
        r#"SELECT t.id, t.user_id, u.email AS owner, t.name, t.token_prefix AS prefix,
                  t.created_at AS "created_at: DateTime<Utc>", t.expires_at AS "expires_at: DateTime<Utc>",
                  t.last_used_at AS "last_used_at: DateTime<Utc>", t.revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE ($1::uuid IS NULL OR t.user_id = $1)
           ORDER BY t.created_at DESC, t.id LIMIT $2"#,
        owner,
        limit,
    )
    .fetch_all(pool)
    .await?)
}

/// Revoke a token by id: its owner, or an admin (`may_revoke_any`); 403 for anyone else, 404 for
/// no such live token. Audited. Its name is free for a new token (names are unique among the
/// tokens not revoked).
pub async fn revoke_by_id(
    pool: &PgPool,
    caller: &CurrentUser,
    may_revoke_any: bool,
    ip: Option<&str>,
    id: Uuid,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let token = sqlx::query!(
        "SELECT t.user_id, t.name, u.email FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.id = $1 AND t.revoked_at IS NULL FOR UPDATE OF t",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("No such token, or it is revoked already.".into()))?;
    if token.user_id != caller.id && !may_revoke_any {
        return Err(AppError::Forbidden);
    }
    sqlx::query!("UPDATE api_tokens SET revoked_at = now() WHERE id = $1", id).execute(&mut *tx).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(serde_json::json!({ "name": token.name, "owner": token.email })),
            ..AuditEntry::by(caller, "token.revoke", "api_token")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
