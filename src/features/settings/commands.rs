//! Settings' writes, each in one transaction with its audit row written last (the audit chain's
//! lock, see `crate::audit`): create a user, act on one (disable, enable, unlock, reset the
//! password, set the roles), and change one's own password. Disabling a user or resetting their
//! password deletes their server sessions in the same transaction; their API tokens stop with
//! `is_active` (the principals cache is flushed by the `users` table's notification). New
//! passwords are hashed within the argon2 permits sign-in uses (`password::hash_bounded`).

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::model::{NewUser, UserAction, UserRow};
use super::queries;
use crate::audit::{self, AuditEntry};
use crate::auth::login::{LOCK_MINUTES, MAX_FAILURES};
use crate::auth::users::{self, clear_lockout, end_sessions, Reservation};
use crate::auth::{password, CurrentUser, Role};
use crate::error::AppError;

/// Changes to users' roles and activity take this advisory lock, so two admins demoting each other
/// at once cannot leave the platform without an active admin.
pub const USERS_LOCK: i64 = 0x5e7f_0016_05e2_0001;

fn user_json(u: &UserRow) -> serde_json::Value {
    json!({
        "email": u.email,
        "name": u.full_name,
        "roles": u.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
        "active": u.active,
        "lockedUntil": u.locked_until.map(|t| t.to_rfc3339()),
    })
}

/// Create a user; a taken e-mail is bad input for this form (400), as the API documents.
pub async fn create_user(pool: &PgPool, actor: &CurrentUser, ip: Option<&str>, new: NewUser) -> Result<Uuid, AppError> {
    let password_hash = password::hash_bounded(new.password.clone()).await?;
    let id = Uuid::new_v4();
    let mut tx = pool.begin().await?;
    users::create(&mut tx, id, &new.email, &new.name, &password_hash, &new.roles).await.map_err(|e| match e {
        AppError::Conflict(why) => AppError::BadRequest(why),
        other => other,
    })?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            after: Some(json!({
                "email": new.email,
                "name": new.name,
                "roles": new.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                "active": true,
            })),
            ..AuditEntry::by(actor, "user.create", "user")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Act on a user; a rule that refuses it (see [`UserAction::refusal`]) is a 409 with the reason.
pub async fn act(
    pool: &PgPool,
    actor: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    action: UserAction,
    now: DateTime<Utc>,
) -> Result<UserRow, AppError> {
    let new_hash = match &action {
        UserAction::Reset { password } => Some(password::hash_bounded(password.clone()).await?),
        _ => None,
    };
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", USERS_LOCK).execute(&mut *tx).await?;
    // The caller again, under the lock: an admin disabled or demoted by a change that committed
    // since their request was authorised changes nobody.
    let caller = queries::user(&mut tx, actor.id).await?;
    if !caller.is_some_and(|c| c.active && c.roles.contains(&Role::Admin)) {
        return Err(AppError::Forbidden);
    }
    let target = queries::user_for_update(&mut tx, id).await?.ok_or(AppError::NotFound("No such user.".into()))?;
    let admins = queries::active_admins(&mut tx).await?;
    if let Some(why) = action.refusal(actor.id, &target, admins, now) {
        return Err(AppError::Conflict(why));
    }
    let mut details = None;
    match &action {
        UserAction::Disable => {
            sqlx::query!("UPDATE users SET is_active = FALSE, updated_at = now() WHERE id = $1", id)
                .execute(&mut *tx)
                .await?;
            let ended = end_sessions(&mut tx, id, None).await?;
            details = Some(format!("{ended} session(s) ended; API tokens stopped"));
        }
        UserAction::Enable => {
            sqlx::query!("UPDATE users SET is_active = TRUE, updated_at = now() WHERE id = $1", id)
                .execute(&mut *tx)
                .await?;
        }
        UserAction::Unlock => clear_lockout(&mut tx, &target.email).await?,
        UserAction::Reset { .. } => {
            sqlx::query!(
                "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1",
                id,
                new_hash.as_deref().unwrap_or_default()
            )
            .execute(&mut *tx)
            .await?;
            clear_lockout(&mut tx, &target.email).await?;
            let ended = end_sessions(&mut tx, id, None).await?;
            details = Some(format!("password reset by an admin; {ended} session(s) ended"));
        }
        UserAction::Roles(roles) => {
            let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            sqlx::query!("DELETE FROM user_roles WHERE user_id = $1", id).execute(&mut *tx).await?;
            sqlx::query!(
                "INSERT INTO user_roles (user_id, role_code) SELECT $1, unnest($2::text[])",
                id,
                &codes[..] as &[&str]
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!("UPDATE users SET updated_at = now() WHERE id = $1", id).execute(&mut *tx).await?;
        }
    }
    let after = queries::user(&mut tx, id).await?.ok_or(AppError::Internal)?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(user_json(&target)),
            after: Some(user_json(&after)),
            details,
            ..AuditEntry::by(actor, &format!("user.{}", action.code()), "user")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Change one's own password: the current one must be right, checked under sign-in's lockout (a
/// wrong one counts towards it, so a borrowed session cannot guess at will); every other session
/// of theirs ends (`keep_session` is the one they are using). A wrong current password is audited
/// as a failure. The new hash is written only over the one checked (a reset by an admin meanwhile
/// wins, and this change is refused); it is returned, for the renewed session's owner.
pub async fn change_own_password(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> Result<String, AppError> {
    let reservation = users::reserve_password_check(pool, &user.email, MAX_FAILURES, LOCK_MINUTES).await?;
    let (account, own_lock) = match reservation {
        Reservation::Refused { .. } => {
            return Err(AppError::TooManyRequests(
                "Too many wrong passwords: your account is locked for 30 minutes, or until an admin unlocks it.".into(),
            ))
        }
        Reservation::Granted { account, locked_until, .. } => (account, locked_until),
    };
    let stored = account.filter(|a| a.id == user.id && a.is_active).map(|a| a.password_hash);
    let checked = stored.clone().unwrap_or_default();
    if !password::verify(current.to_string(), stored).await? {
        let mut entry = AuditEntry::by(user, "user.password.change", "user");
        entry.target_id = Some(user.id.to_string());
        entry.success = false;
        entry.ip = ip;
        entry.details = Some("the current password was wrong".into());
        audit::record(pool, entry).await?;
        return Err(AppError::BadRequest("Your current password is not right.".into()));
    }
    users::settle_password_check(pool, &user.email, own_lock, MAX_FAILURES).await?;
    let new_hash = password::hash_bounded(new.to_string()).await?;
    let mut tx = pool.begin().await?;
    let written = sqlx::query!(
        "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND password_hash = $3 AND is_active",
        user.id,
        new_hash,
        checked,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if written == 0 {
        return Err(AppError::Conflict(
            "Your password was changed or reset elsewhere meanwhile: sign in again with the new one.".into(),
        ));
    }
    let ended = end_sessions(&mut tx, user.id, keep_session).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(user.id.to_string()),
            ip,
            details: Some(format!("{ended} other session(s) ended")),
            ..AuditEntry::by(user, "user.password.change", "user")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new_hash)
}
