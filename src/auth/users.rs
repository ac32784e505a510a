//! User queries: one function per fact the sign-in flow and the guard need.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::{CurrentUser, Role};
use crate::error::AppError;

/// What sign-in needs to know about an account.
#[derive(Debug, FromRow)]
pub struct LoginAccount {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub is_active: bool,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn find_login_account(pool: &PgPool, email: &str) -> Result<Option<LoginAccount>, AppError> {
    Ok(sqlx::query_as::<_, LoginAccount>(
        "SELECT id, email, password_hash, is_active, locked_until FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await?)
}

#[derive(FromRow)]
struct PrincipalRow {
    id: Uuid,
    email: String,
    full_name: String,
    roles: Vec<String>,
}

impl From<PrincipalRow> for CurrentUser {
    fn from(row: PrincipalRow) -> Self {
        let mut roles: Vec<Role> = row.roles.iter().filter_map(|r| Role::parse(r)).collect();
        roles.sort();
        CurrentUser { id: row.id, email: row.email, full_name: row.full_name, roles }
    }
}

/// An active user with their roles, by id (session) — `None` if disabled or gone.
pub async fn active_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query_as::<_, PrincipalRow>(
        "SELECT u.id, u.email, u.full_name,
                coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS roles
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.id = $1 AND u.is_active
         GROUP BY u.id",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// An active user by the SHA-256 of a live API token; marks the token used (at most once a minute).
pub async fn active_user_by_token(pool: &PgPool, token_hash: &str) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query_as::<_, PrincipalRow>(
        "WITH token AS (
             UPDATE api_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
             RETURNING user_id
         ), live AS (
             SELECT user_id FROM token
             UNION
             SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL
         )
         SELECT u.id, u.email, u.full_name,
                coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS roles
         FROM users u JOIN live ON live.user_id = u.id
         LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.is_active
         GROUP BY u.id",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// Count a failed password; at `max_failures` the account locks for `lock_minutes`.
/// Returns the lock's end when this failure locked the account.
pub async fn record_failed_password(
    pool: &PgPool,
    id: Uuid,
    max_failures: i32,
    lock_minutes: i32,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let locked: Option<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE users SET
             locked_until = CASE WHEN failed_login_count + 1 >= $2
                                 THEN now() + make_interval(mins => $3) ELSE locked_until END,
             failed_login_count = CASE WHEN failed_login_count + 1 >= $2 THEN 0 ELSE failed_login_count + 1 END,
             updated_at = now()
         WHERE id = $1
         RETURNING CASE WHEN locked_until > now() THEN locked_until END",
    )
    .bind(id)
    .bind(max_failures)
    .bind(lock_minutes)
    .fetch_one(pool)
    .await?;
    Ok(locked)
}

pub async fn record_successful_login(pool: &PgPool, id: Uuid) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE users SET failed_login_count = 0, locked_until = NULL, last_login_at = now(), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Sign-in attempts from one IP address in the last `minutes` (the per-IP rate limit).
pub async fn recent_attempts_from_ip(pool: &PgPool, ip: Option<&str>, minutes: i32) -> Result<i64, AppError> {
    let Some(ip) = ip else { return Ok(0) };
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts
         WHERE ip = $1::inet AND attempted_at > now() - make_interval(mins => $2)",
    )
    .bind(ip)
    .bind(minutes)
    .fetch_one(pool)
    .await?)
}

pub async fn record_login_attempt(
    pool: &PgPool,
    email: &str,
    user_id: Option<Uuid>,
    ip: Option<&str>,
    succeeded: bool,
    reason: &str,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO login_attempts (email, user_id, ip, succeeded, reason) VALUES ($1, $2, $3::inet, $4, $5)")
        .bind(email)
        .bind(user_id)
        .bind(ip)
        .bind(succeeded)
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// Create a user with roles (the password already hashed).
pub async fn create(
    db: &mut PgConnection,
    id: Uuid,
    email: &str,
    full_name: &str,
    password_hash: &str,
    roles: &[Role],
) -> Result<(), AppError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, full_name, password_hash) VALUES ($1, lower($2), $3, $4)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(id)
    .bind(email)
    .bind(full_name)
    .bind(password_hash)
    .execute(&mut *db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("A user with email {email} already exists.")));
    }
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    sqlx::query("INSERT INTO user_roles (user_id, role_code) SELECT $1, unnest($2::text[])")
        .bind(id)
        .bind(&codes)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn unlock(pool: &PgPool, email: &str) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE users SET locked_until = NULL, failed_login_count = 0, updated_at = now() WHERE email = lower($1)",
    )
    .bind(email)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Disable an account: it can no longer sign in, its API tokens stop working and every request of
/// its live sessions is refused (the guard reloads the user on each request).
pub async fn set_active(pool: &PgPool, email: &str, active: bool) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE users SET is_active = $2, updated_at = now() WHERE email = lower($1)")
        .bind(email)
        .bind(active)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}
