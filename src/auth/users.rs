//! User queries: one function per fact the sign-in flow and the guard need.

use std::net::{IpAddr, Ipv6Addr};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{Access, CurrentUser, Role};
use crate::audit::{self, AuditEntry};
use crate::error::AppError;

/// What sign-in needs to know about an account whose attempt was reserved.
#[derive(Debug)]
pub struct LoginAccount {
    pub id: Uuid,
    pub password_hash: String,
    pub is_active: bool,
}

/// The answer to [`reserve_password_check`].
#[derive(Debug)]
pub enum Reservation {
    /// The e-mail address is locked: no check now. `user_id`: its account, if it has one.
    Refused { user_id: Option<Uuid> },
    /// One check reserved and already counted as a failure. `account`: `None` for an unknown
    /// address (checked against the dummy hash all the same). `locks`: this was the last check
    /// the limit allows, and the address is locked from now on unless the check succeeds;
    /// `locked_until`: then the end of that lock (this check's own, which a success lifts).
    Granted { account: Option<LoginAccount>, locks: bool, locked_until: Option<DateTime<Utc>> },
}

struct ReservationRow {
    locks: Option<bool>,
    locked_until: Option<DateTime<Utc>>,
    id: Option<Uuid>,
    password_hash: Option<String>,
    is_active: Option<bool>,
}

/// Reserve one password check on the e-mail address before argon2 runs — known account or not,
/// by the same rules in `login_throttle` — in one atomic upsert that counts the check as a failure
/// up front (a success takes back its own: [`record_successful_login`]). Failures older than
/// `lock_minutes` no longer count; the check that reaches `max_failures` also locks the address
/// for `lock_minutes` and resets the count. The reservation so completes itself: an attempt that never settles (request dropped,
/// database error) leaves at worst that ordinary lock. Concurrent attempts queue on the row lock
/// and each sees the others' reservations, so a burst gets at most `max_failures` checks.
pub async fn reserve_password_check(
    pool: &PgPool,
    email: &str,
    max_failures: i32,
    lock_minutes: i32,
) -> Result<Reservation, AppError> {
    let row = sqlx::query_as!(
        ReservationRow,
        r#"WITH reserved AS (
             INSERT INTO login_throttle AS t (email, failures, last_failed_at, locked_until)
             SELECT $1, CASE WHEN n >= $2 THEN 0 ELSE n END, now(),
                    CASE WHEN n >= $2 THEN now() + make_interval(mins => $3) END
             FROM (VALUES (1)) AS first (n)
             ON CONFLICT (email) DO UPDATE SET (failures, last_failed_at, locked_until) = (
                 SELECT CASE WHEN n >= $2 THEN 0 ELSE n END, now(),
                        CASE WHEN n >= $2 THEN now() + make_interval(mins => $3) END
                 FROM (SELECT CASE WHEN t.last_failed_at > now() - make_interval(mins => $3) THEN t.failures ELSE 0 END
                              + 1) AS next (n))
             WHERE t.locked_until IS NULL OR t.locked_until <= now()
             RETURNING t.locked_until IS NOT NULL AS locks, t.locked_until
         )
         SELECT (SELECT locks FROM reserved) AS "locks?",
                (SELECT locked_until FROM reserved) AS "locked_until?: DateTime<Utc>", u.id AS "id?", u.password_hash AS "password_hash?",
                u.is_active AS "is_active?"
         FROM (VALUES (1)) AS one LEFT JOIN users u ON u.email = $1"#,
        email,
        max_failures,
        lock_minutes,
    )
    .fetch_one(pool)
    .await?;
    let account = match (row.id, row.password_hash, row.is_active) {
        (Some(id), Some(password_hash), Some(is_active)) => Some(LoginAccount { id, password_hash, is_active }),
        _ => None,
    };
    Ok(match row.locks {
        Some(locks) => Reservation::Granted { account, locks, locked_until: row.locked_until },
        None => Reservation::Refused { user_id: account.map(|a| a.id) },
    })
}

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
    let row = sqlx::query_as!(
        PrincipalRow,
        r#"SELECT u.id, u.email, u.full_name,
                coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS "roles!"
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.id = $1 AND u.is_active
           AND ($2::text IS NULL
                OR EXISTS (SELECT 1 FROM tower_sessions.session_owner o WHERE o.session_id = $2 AND o.user_id = u.id))
         GROUP BY u.id"#,
        id,
        session_id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// A user who may work cases, as [`case_workers`] lists them.
#[derive(Debug)]
pub struct CaseWorker {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
}

/// The users who may work cases (exceptions and disputes): active, holding a role of
/// [`Access::OPS_WORK`] — bound from that set, so no query retypes it — by name. All of them (the
/// assign controls), or the one `who` names by e-mail address (any case) or id (checking an
/// assignee).
pub async fn case_workers<'c>(db: impl PgExecutor<'c>, who: Option<&str>) -> Result<Vec<CaseWorker>, AppError> {
    Ok(sqlx::query_as!(
        CaseWorker,
        "SELECT u.id, u.email, u.full_name FROM users u
         WHERE u.is_active
           AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role_code = ANY($1::text[]))
           AND ($2::text IS NULL OR lower(u.email) = lower($2) OR u.id::text = $2)
         ORDER BY u.full_name, u.email",
        &Access::OPS_WORK.role_codes()[..] as &[&str],
        who,
    )
    .fetch_all(db)
    .await?)
}

/// Record whose a freshly saved session is, so that disabling the user can end it — only while the
/// user is active. The user's row is read `FOR SHARE`, so a disable racing this sign-in either
/// commits first (no owner is recorded: the session is useless, and re-enabling revives nothing)
/// or waits for the owner row and then deletes its session (see [`set_active`]). With
/// `verified_hash` (the password hash a sign-in checked), only while the password is still that
/// one: a reset or a change committed since the check (which ended the user's sessions) leaves
/// this one unrecorded as well. Returns whether the owner was recorded.
pub async fn own_session(
    pool: &PgPool,
    user_id: Uuid,
    session_id: &str,
    verified_hash: Option<&str>,
) -> Result<bool, AppError> {
    let owned = sqlx::query!(
        "INSERT INTO tower_sessions.session_owner (session_id, user_id)
         SELECT $1, id FROM users
         WHERE id = $2 AND is_active AND ($3::text IS NULL OR password_hash = $3) FOR SHARE",
        session_id,
        user_id,
        verified_hash,
    )
    .execute(pool)
    .await?;
    Ok(owned.rows_affected() == 1)
}

/// The user of a live API token, and when the token expires (`None`: never), so that a cache
/// keeping the answer checks the expiry at each use.
pub struct TokenUser {
    pub user: CurrentUser,
    pub expires_at: Option<DateTime<Utc>>,
}

/// An active user by the SHA-256 of a live API token (not revoked, not expired); marks the token
/// used (at most once a minute).
pub async fn active_user_by_token(pool: &PgPool, token_hash: &str) -> Result<Option<TokenUser>, AppError> {
    let row = sqlx::query!(
        r#"WITH token AS (
             UPDATE api_tokens SET last_used_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
               AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
             RETURNING user_id, expires_at
         ), live AS (
             SELECT user_id, expires_at FROM token
             UNION
             SELECT user_id, expires_at FROM api_tokens
             WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         )
         SELECT u.id, u.email, u.full_name,
                coalesce(array_agg(r.role_code) FILTER (WHERE r.role_code IS NOT NULL), '{}') AS "roles!",
                max(live.expires_at) AS "expires_at?: DateTime<Utc>"
         FROM users u JOIN live ON live.user_id = u.id
         LEFT JOIN user_roles r ON r.user_id = u.id
         WHERE u.is_active
         GROUP BY u.id"#,
        token_hash,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| TokenUser {
        user: PrincipalRow { id: r.id, email: r.email, full_name: r.full_name, roles: r.roles }.into(),
        expires_at: r.expires_at,
    }))
}

/// Settle a reserved check that succeeded: this check's own reservation is taken back, and only
/// while the address is not locked — or, when this check was the one that locked it
/// (`own_lock`: the lock's end as the reservation set it), that lock is lifted and the count
/// left at the other attempts' `max_failures − 1`, so the rightful user is not locked out by
/// their own success and the next wrong guess locks again.
///
/// A success must not clear what other attempts counted: while the owner signs in, someone else may
/// be guessing at the same address, and wiping the count (or a lock their guesses set meanwhile)
/// would hand them a fresh allowance of checks, again and again. Taking back one failure keeps the
/// rule "at most `max_failures` passwords verified per lock cycle" whatever succeeds in between.
/// Under a lock set by another check the count was already reset by that check (this check was
/// counted in the cycle before), so there is nothing of ours to take back. A count back at zero is
/// deleted.
pub async fn record_successful_login(
    pool: &PgPool,
    id: Uuid,
    email: &str,
    own_lock: Option<DateTime<Utc>>,
    max_failures: i32,
) -> Result<(), AppError> {
    sqlx::query!("UPDATE users SET last_login_at = now(), updated_at = now() WHERE id = $1", id).execute(pool).await?;
    settle_password_check(pool, email, own_lock, max_failures).await
}

/// Take back a granted reservation ([`reserve_password_check`]) whose password was right: the
/// failure it counted up front, and the lock it set when it was the last allowed (`own_lock`).
pub async fn settle_password_check(
    pool: &PgPool,
    email: &str,
    own_lock: Option<DateTime<Utc>>,
    max_failures: i32,
) -> Result<(), AppError> {
    sqlx::query!(
        "WITH settled AS (
             UPDATE login_throttle SET failures = failures - 1
             WHERE email = $1 AND failures > 0 AND (locked_until IS NULL OR locked_until <= now())
         )
         UPDATE login_throttle SET locked_until = NULL, failures = greatest($3 - 1, 0)
         WHERE email = $1 AND locked_until = $2",
        email,
        own_lock as Option<DateTime<Utc>>,
        max_failures,
    )
    .execute(pool)
    .await?;
    // A statement of its own (one statement cannot change a row twice); a reservation landing in
    // between raised the count, and the row stays.
    sqlx::query!(
        "DELETE FROM login_throttle
         WHERE email = $1 AND failures = 0 AND (locked_until IS NULL OR locked_until <= now())",
        email,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Delete up to `batch` throttle rows that no longer throttle anything: unlocked (or the lock over)
/// and with their last failure older than the `window_minutes` the failures count for — such a row
/// answers as no row would. Returns how many went. Rows still being reserved are skipped (locked),
/// not waited for.
pub async fn prune_login_throttle(pool: &PgPool, window_minutes: i32, batch: i64) -> Result<u64, AppError> {
    let pruned = sqlx::query!(
        "DELETE FROM login_throttle WHERE email IN (
             SELECT email FROM login_throttle
             WHERE (locked_until IS NULL OR locked_until <= now())
               AND last_failed_at <= now() - make_interval(mins => $1)
             LIMIT $2
             FOR UPDATE SKIP LOCKED
         )",
        window_minutes,
        batch,
    )
    .execute(pool)
    .await?;
    Ok(pruned.rows_affected())
}

/// The block of addresses that shares one per-IP sign-in allowance: the address itself for IPv4,
/// its /64 for IPv6 — one subscriber or host gets a whole /64, so counting single IPv6 addresses
/// would give it endless allowances. An IPv4 peer on a dual-stack socket (`::ffff:a.b.c.d`) counts
/// as its IPv4 address.
pub fn ip_limit_block(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("{v4}/32"),
        IpAddr::V6(v6) => format!("{}/64", Ipv6Addr::from(u128::from(v6) & !(u128::from(u64::MAX)))),
    }
}

/// Admit a sign-in attempt under the per-IP limit of `limit` failed (or still undecided) attempts
/// per `minutes` — its row id, written undecided — or refuse it (`None`). Successes do not count.
/// The limit is per [`ip_limit_block`]; the row keeps the address itself (canonical form).
/// An address already at the limit is refused without writing anything, so a flood costs one
/// capped count per request. Under the limit the attempt is inserted and then counted again:
/// concurrent attempts from one address each see the others' rows, so a burst cannot slip past;
/// one that finds itself over the limit is marked `rate_limited`.
pub async fn begin_login_attempt(
    pool: &PgPool,
    email: &str,
    ip: Option<&str>,
    limit: i64,
    minutes: i32,
) -> Result<Option<i64>, AppError> {
    // `client_ip` only yields addresses; anything else is stored and limited as no address.
    let address = ip.and_then(|ip| ip.parse::<IpAddr>().ok()).map(|ip| ip.to_canonical());
    let block = address.map(ip_limit_block);
    if let Some(block) = &block {
        if failures_from_ip(pool, block, limit, minutes).await? >= limit {
            return Ok(None);
        }
    }
    // The address goes in as text (`$2::text::inet`): the crate has no Rust type for `inet`.
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO login_attempts (email, ip, succeeded, reason) VALUES ($1, $2::text::inet, false, 'pending')
         RETURNING id",
        email,
        address.map(|a| a.to_string()),
    )
    .fetch_one(pool)
    .await?;
    if let Some(block) = &block {
        if failures_from_ip(pool, block, limit, minutes).await? > limit {
            finish_login_attempt(pool, id, None, false, "rate_limited").await?;
            return Ok(None);
        }
    }
    Ok(Some(id))
}

/// The failed or undecided attempts from the addresses of `block` (see [`ip_limit_block`]) in the
/// last `minutes`, counted up to `limit + 1` only (past that the exact number does not matter, and
/// a flood would make it a long scan). `<<=` is "within the block", and Postgres turns it into a
/// range scan of the `(ip, attempted_at)` index.
async fn failures_from_ip(pool: &PgPool, block: &str, limit: i64, minutes: i32) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
             SELECT 1 FROM login_attempts
             WHERE ip <<= $1::text::inet AND NOT succeeded AND attempted_at > now() - make_interval(mins => $2)
             LIMIT $3
         ) AS capped"#,
        block,
        minutes,
        limit + 1,
    )
    .fetch_one(pool)
    .await?)
}

/// Write the outcome onto the attempt's row.
pub async fn finish_login_attempt(
    pool: &PgPool,
    attempt_id: i64,
    user_id: Option<Uuid>,
    succeeded: bool,
    reason: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE login_attempts SET user_id = $2, succeeded = $3, reason = $4 WHERE id = $1",
        attempt_id,
        user_id,
        succeeded,
        reason,
    )
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
    let inserted = sqlx::query!(
        "INSERT INTO users (id, email, full_name, password_hash) VALUES ($1, lower($2), $3, $4)
         ON CONFLICT (email) DO NOTHING",
        id,
        email,
        full_name,
        password_hash,
    )
    .execute(&mut *db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("A user with email {email} already exists.")));
    }
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    sqlx::query!(
        "INSERT INTO user_roles (user_id, role_code) SELECT $1, unnest($2::text[])",
        id,
        &codes[..] as &[&str]
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Clear the lockout of the address `email` and the failures counted towards one.
pub async fn clear_lockout(db: &mut PgConnection, email: &str) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM login_throttle WHERE email = lower($1)", email).execute(db).await?;
    Ok(())
}

/// Delete the server sessions of `user`, except `keep` (the caller's own) when given; how many.
/// Run after the statement that changed the user's row, in its transaction: a sign-in recording
/// its session's owner meanwhile (see [`own_session`]) has committed by then, and this
/// statement's snapshot sees its row.
pub async fn end_sessions(db: &mut PgConnection, user: Uuid, keep: Option<&str>) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "DELETE FROM tower_sessions.session s USING tower_sessions.session_owner o
         WHERE o.session_id = s.id AND o.user_id = $1 AND s.id IS DISTINCT FROM $2",
        user,
        keep,
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Clear a lockout (and the failures counted) of the address `email`; `operator` (the OS account
/// running the CLI) is the audit row's actor. Returns whether a user has that address (a missing
/// one is audited as a failure).
pub async fn unlock(pool: &PgPool, email: &str, operator: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    clear_lockout(&mut tx, email).await?;
    let id: Option<Uuid> =
        sqlx::query_scalar!("SELECT id FROM users WHERE email = lower($1)", email).fetch_optional(&mut *tx).await?;
    audit_change(&mut tx, operator, "user.unlock", email, id).await?;
    tx.commit().await?;
    Ok(id.is_some())
}

/// Disable an account: it can no longer sign in, its API tokens stop working, and its server
/// sessions are deleted in the same transaction (re-enabling it revives none of them). Audited like
/// [`unlock`].
pub async fn set_active(pool: &PgPool, email: &str, active: bool, operator: &str) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let id: Option<Uuid> = sqlx::query_scalar!(
        "UPDATE users SET is_active = $2, updated_at = now() WHERE email = lower($1) RETURNING id",
        email,
        active,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let (Some(id), false) = (id, active) {
        end_sessions(&mut tx, id, None).await?;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn block(ip: &str) -> String {
        ip_limit_block(ip.parse().unwrap())
    }

    #[test]
    fn ipv6_addresses_share_their_64_and_ipv4_addresses_stand_alone() {
        assert_eq!(block("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
        assert_eq!(block("2001:db8:1:2::1"), block("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_ne!(block("2001:db8:1:2::1"), block("2001:db8:1:3::1"));
        assert_eq!(block("203.0.113.7"), "203.0.113.7/32");
        assert_ne!(block("203.0.113.7"), block("203.0.113.8"));
        assert_eq!(block("::ffff:203.0.113.7"), "203.0.113.7/32", "an IPv4 peer on a dual-stack socket");
        assert_eq!(block("::1"), "::/64");
    }
}
