//! User queries: one function per fact the sign-in flow and the guard need.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::{CurrentUser, Role};
use crate::audit::{self, AuditEntry};
use crate::error::AppError;

/// What sign-in needs to know about an account whose attempt was reserved.
#[derive(Debug, FromRow)]
pub struct LoginAccount {
    pub id: Uuid,
    pub password_hash: String,
    pub is_active: bool,
}

/// Reserve one password check on the account before argon2 runs: one atomic update counts the
/// attempt as a failure up front (a success resets it), and refuses once `max_failures` are
/// counted or the account is locked. Concurrent attempts queue on the row lock and each sees the
/// others' reservations, so a burst gets at most `max_failures` checks. `None`: no such account,
/// or no check left.
pub async fn reserve_password_check(
    pool: &PgPool,
    email: &str,
    max_failures: i32,
) -> Result<Option<LoginAccount>, AppError> {
    Ok(sqlx::query_as::<_, LoginAccount>(
        "UPDATE users SET failed_login_count = failed_login_count + 1, updated_at = now()
         WHERE email = $1 AND failed_login_count < $2 AND (locked_until IS NULL OR locked_until <= now())
         RETURNING id, password_hash, is_active",
    )
    .bind(email)
    .bind(max_failures)
    .fetch_optional(pool)
    .await?)
}

/// Why no check could be reserved: the account (if it exists), and for an unknown email the
/// failures recorded against it within `minutes` (locked and rate-limited answers excluded, as
/// they were never checked), so unknown emails lock like accounts do.
pub async fn unreserved_facts(pool: &PgPool, email: &str, minutes: i32) -> Result<(Option<Uuid>, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT id FROM users WHERE email = $1),
                (SELECT count(*) FROM login_attempts
                 WHERE email = $1 AND user_id IS NULL AND NOT succeeded AND reason NOT IN ('locked', 'rate_limited')
                   AND attempted_at > now() - make_interval(mins => $2))",
    )
    .bind(email)
    .bind(minutes)
    .fetch_one(pool)
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

/// An active user with their roles, by id — `None` if disabled or gone.
pub async fn active_user(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>, AppError> {
    principal(pool, id, None).await
}

/// The active user of a server session — `None` if disabled or gone, or if the session is not one
/// their sign-in recorded (disabling them deleted it).
pub async fn session_owner(pool: &PgPool, id: Uuid, session_id: &str) -> Result<Option<CurrentUser>, AppError> {
    principal(pool, id, Some(session_id)).await
}

async fn principal(pool: &PgPool, id: Uuid, session_id: Option<&str>) -> Result<Option<CurrentUser>, AppError> {
    let row = sqlx::query_as::<_, PrincipalRow>(
        "SELECT u.id, u.email, u.full_name,
                coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS roles
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.id = $1 AND u.is_active
           AND ($2::text IS NULL
                OR EXISTS (SELECT 1 FROM tower_sessions.session_owner o WHERE o.session_id = $2 AND o.user_id = u.id))
         GROUP BY u.id",
    )
    .bind(id)
    .bind(session_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// Record whose a freshly saved session is, so that disabling the user can end it.
pub async fn own_session(pool: &PgPool, user_id: Uuid, session_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO tower_sessions.session_owner (session_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(session_id)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(())
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

/// Settle a reserved check that failed (the reservation already counted it): once `max_failures`
/// are counted the account locks for `lock_minutes`. Returns the lock's end when the account is
/// locked.
pub async fn record_failed_password(
    pool: &PgPool,
    id: Uuid,
    max_failures: i32,
    lock_minutes: i32,
) -> Result<Option<DateTime<Utc>>, AppError> {
    let locked: Option<DateTime<Utc>> = sqlx::query_scalar(
        "UPDATE users SET
             locked_until = CASE WHEN failed_login_count >= $2
                                 THEN now() + make_interval(mins => $3) ELSE locked_until END,
             failed_login_count = CASE WHEN failed_login_count >= $2 THEN 0 ELSE failed_login_count END,
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

/// A sign-in attempt as first written: its row, and the failed (or still undecided) attempts from
/// its IP address in the window, itself included.
pub struct Attempt {
    pub id: i64,
    pub failures_from_ip: i64,
}

/// Insert the attempt (undecided), then count: concurrent attempts from one address each see the
/// others' rows, so a burst cannot slip past the per-IP limit. Successes do not count.
pub async fn begin_login_attempt(
    pool: &PgPool,
    email: &str,
    ip: Option<&str>,
    minutes: i32,
) -> Result<Attempt, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO login_attempts (email, ip, succeeded, reason) VALUES ($1, $2::inet, false, 'pending') RETURNING id",
    )
    .bind(email)
    .bind(ip)
    .fetch_one(pool)
    .await?;
    let Some(ip) = ip else { return Ok(Attempt { id, failures_from_ip: 0 }) };
    let failures_from_ip = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts
         WHERE ip = $1::inet AND NOT succeeded AND attempted_at > now() - make_interval(mins => $2)",
    )
    .bind(ip)
    .bind(minutes)
    .fetch_one(pool)
    .await?;
    Ok(Attempt { id, failures_from_ip })
}

/// Write the outcome onto the attempt's row.
pub async fn finish_login_attempt(
    pool: &PgPool,
    attempt_id: i64,
    user_id: Option<Uuid>,
    succeeded: bool,
    reason: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE login_attempts SET user_id = $2, succeeded = $3, reason = $4 WHERE id = $1")
        .bind(attempt_id)
        .bind(user_id)
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

/// Clear a lockout; `operator` (the OS account running the CLI) is the audit row's actor. Returns
/// whether the user exists (a missing one is audited as a failure).
pub async fn unlock(pool: &PgPool, email: &str, operator: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "UPDATE users SET locked_until = NULL, failed_login_count = 0, updated_at = now() WHERE email = lower($1)
         RETURNING id",
    )
    .bind(email)
    .fetch_optional(&mut *tx)
    .await?;
    audit_change(&mut tx, operator, "user.unlock", email, id).await?;
    tx.commit().await?;
    Ok(id.is_some())
}

/// Disable an account: it can no longer sign in, its API tokens stop working, and its server
/// sessions are deleted in the same statement (re-enabling it revives none of them). Audited like
/// [`unlock`].
pub async fn set_active(pool: &PgPool, email: &str, active: bool, operator: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar(
        "WITH changed AS (
             UPDATE users SET is_active = $2, updated_at = now() WHERE email = lower($1) RETURNING id
         ), ended AS (
             DELETE FROM tower_sessions.session s
             USING tower_sessions.session_owner o, changed c
             WHERE NOT $2 AND o.session_id = s.id AND o.user_id = c.id
         )
         SELECT id FROM changed",
    )
    .bind(email)
    .bind(active)
    .fetch_optional(&mut *tx)
    .await?;
    let action = if active { "user.enable" } else { "user.disable" };
    audit_change(&mut tx, operator, action, email, id).await?;
    tx.commit().await?;
    Ok(id.is_some())
}

/// The audit row of a CLI change to the user `email` (`id` when it exists; else a failure).
async fn audit_change(
    db: &mut PgConnection,
    operator: &str,
    action: &str,
    email: &str,
    id: Option<Uuid>,
) -> Result<(), AppError> {
    let mut entry = AuditEntry::by_operator(operator, action, "user");
    entry.target_id = id.map(|id| id.to_string());
    entry.success = id.is_some();
    entry.after = Some(serde_json::json!({ "email": email.to_lowercase() }));
    audit::record(db, entry).await
}
