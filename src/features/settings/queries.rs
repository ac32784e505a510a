//! Settings' reads, one function per fact: the users with their roles, lockout and live tokens;
//! one user (locked for a change); how many active admins there are.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::UserRow;
use crate::auth::Role;
use crate::error::AppError;

struct Record {
    id: Uuid,
    email: String,
    full_name: String,
    roles: Vec<String>,
    is_active: bool,
    locked_until: Option<DateTime<Utc>>,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    live_tokens: i64,
}

impl From<Record> for UserRow {
    fn from(r: Record) -> Self {
        let mut roles: Vec<Role> = r.roles.iter().filter_map(|c| Role::parse(c)).collect();
        roles.sort();
        UserRow {
            id: r.id,
            email: r.email,
            full_name: r.full_name,
            roles,
            active: r.is_active,
            locked_until: r.locked_until,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
            live_tokens: r.live_tokens,
        }
    }
}

/// Every user, by e-mail.
pub async fn users(pool: &PgPool) -> Result<Vec<UserRow>, AppError> {
    let mut conn = pool.acquire().await?;
    read(&mut conn, None).await
}

/// One user, its row locked until the caller's transaction ends (`FOR NO KEY UPDATE`: an audit
/// row naming the user as its actor still takes its key-share lock, so the lock never waits on
/// the audit chain's writers, nor they on it).
pub async fn user_for_update(db: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, AppError> {
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE", id).fetch_optional(&mut *db).await?;
    user(db, id).await
}

/// One user.
pub async fn user(db: &mut PgConnection, id: Uuid) -> Result<Option<UserRow>, AppError> {
    Ok(read(db, Some(id)).await?.pop())
}

/// Users with their roles, lockout and live tokens: every one (by e-mail), or the one `id`.
async fn read(db: &mut PgConnection, id: Option<Uuid>) -> Result<Vec<UserRow>, AppError> {
    let rows = sqlx::query_as!(
        Record,
        r#"SELECT u.id, u.email, u.full_name, u.is_active,
                  u.last_login_at AS "last_login_at: DateTime<Utc>", u.created_at AS "created_at: DateTime<Utc>",
                  coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS "roles!",
                  (SELECT t.locked_until FROM login_throttle t WHERE t.email = u.email) AS "locked_until: DateTime<Utc>",
                  (SELECT count(*) FROM api_tokens k WHERE k.user_id = u.id AND k.revoked_at IS NULL
                     AND (k.expires_at IS NULL OR k.expires_at > now())) AS "live_tokens!"
           FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
           WHERE $1::uuid IS NULL OR u.id = $1
           GROUP BY u.id ORDER BY u.email"#,
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(UserRow::from).collect())
}

/// Active users holding the admin role.
pub async fn active_admins(db: &mut PgConnection) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users u JOIN user_roles r ON r.user_id = u.id
           WHERE u.is_active AND r.role_code = 'admin'"#
    )
    .fetch_one(db)
    .await?)
}
