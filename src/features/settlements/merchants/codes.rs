//! Merchant codes (issue 11): codes a file brought before the product knew them, and aliases.
//! An upload creates a merchant row flagged unknown for a new code (`recon::store`), so its rows
//! are reconciled; settlement leaves them out (`settlement_eligible`) until an admin either
//! completes the merchant (names, PAN: the flag clears) or maps the code to an existing merchant
//! (its ledger rows move to it — a placeholder with configuration of its own is refused —, the code
//! becomes its alias, later files with the code go to it). Either
//! way the merchant's reconciled transactions of cycles batched meanwhile join the settlement
//! backlog. Every change is audited, in its transaction, and takes the settlement lock shared (a
//! batch run never sees a merchant half cleared; see `domain::SETTLEMENT_LOCK`) and the merchant-code
//! lock (`domain::MERCHANT_CODES_LOCK`: a code is never both a merchant and an alias).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use super::model::UnknownMerchantRow;
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::domain::{invalid_merchant_code, valid_merchant_code, valid_pan, MERCHANT_CODES_LOCK, SETTLEMENT_LOCK};
use crate::error::AppError;

/// The merchant codes still unknown, oldest first, with their transactions.
pub async fn unknown(conn: &mut PgConnection) -> Result<Vec<UnknownMerchantRow>, AppError> {
    Ok(sqlx::query_as!(
        UnknownMerchantRow,
        r#"SELECT m.id AS code, m.unknown_since AS "since!: DateTime<Utc>", m.first_seen_file::text AS first_seen_file,
                  (SELECT count(*) FROM transactions t WHERE t.merchant_id = m.id) AS "transactions!",
                  (SELECT coalesce(sum(t.amount_paise), 0)::bigint FROM transactions t WHERE t.merchant_id = m.id) AS "amount_paise!"
           FROM merchants m WHERE m.unknown_since IS NOT NULL ORDER BY m.unknown_since, m.id"#
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The aliases of a merchant, in order.
pub async fn aliases(conn: &mut PgConnection, merchant_id: &str) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar!("SELECT alias FROM merchant_aliases WHERE merchant_id = $1 ORDER BY alias", merchant_id)
        .fetch_all(&mut *conn)
        .await?)
}

fn code_of(text: &str, what: &str) -> Result<String, AppError> {
    let code = text.trim().to_ascii_uppercase();
    if valid_merchant_code(&code) {
        Ok(code)
    } else {
        Err(AppError::BadRequest(format!("{what}: {}.", invalid_merchant_code(&code))))
    }
}

/// The locks every change here takes first, in this order: the merchant-code lock, then the
/// settlement lock shared. No holder of the settlement lock ever waits for the code lock (batch
/// creation and recon take the settlement lock alone; an upload takes the code lock alone), and
/// waiting for the code lock (behind a long upload) holds nothing a batch run needs.
async fn lock(tx: &mut PgConnection) -> Result<(), AppError> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", MERCHANT_CODES_LOCK).execute(&mut *tx).await?;
    sqlx::query!("SELECT pg_advisory_xact_lock_shared($1)", SETTLEMENT_LOCK).execute(&mut *tx).await?;
    Ok(())
}

/// The change's audit row, then the commit: every change here ends so.
async fn audited_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    admin: &CurrentUser,
    ip: Option<&str>,
    action: &'static str,
    target: &str,
    change: (Option<serde_json::Value>, Option<serde_json::Value>),
) -> Result<(), AppError> {
    let (before, after) = change;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(target.to_string()),
            ip,
            before,
            after,
            ..AuditEntry::by(admin, action, "merchant")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn unknown_code(code: &str) -> AppError {
    AppError::NotFound(format!("{code} is not a merchant code waiting to be created or mapped."))
}

/// Map the unknown `code` to the existing merchant `target`: its rows move to the merchant and the
/// code becomes the merchant's alias. Answers how many transactions moved.
pub async fn map_unknown(
    pool: &PgPool,
    admin: &CurrentUser,
    ip: Option<&str>,
    code: &str,
    target: &str,
) -> Result<i64, AppError> {
    let code = code_of(code, "The code")?;
    let target = code_of(target, "The merchant")?;
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    // Checked here for a clear answer; the SQL function checks again (and refuses a placeholder
    // with configuration of its own).
    let state = sqlx::query!(
        r#"SELECT (SELECT unknown_since IS NOT NULL FROM merchants WHERE id = $1) AS "code_unknown?",
                  (SELECT unknown_since IS NULL FROM merchants WHERE id = $2) AS "target_known?""#,
        code,
        target,
    )
    .fetch_one(&mut *tx)
    .await?;
    if state.code_unknown != Some(true) {
        return Err(unknown_code(&code));
    }
    if state.target_known != Some(true) || code == target {
        return Err(AppError::BadRequest(format!("{target} is not a merchant to map {code} to.")));
    }
    let configured = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM merchant_bank_accounts WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM merchant_settlement_config WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM merchant_commission_rates WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM merchant_fee_bearers WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM recon_settings WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM settlement_batches WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM reserve_ledger WHERE merchant_id = $1)
               OR EXISTS (SELECT 1 FROM settlement_carry_forwards WHERE merchant_id = $1) AS "configured!""#,
        code
    )
    .fetch_one(&mut *tx)
    .await?;
    if configured {
        return Err(AppError::Conflict(format!(
            "{code} has terms, an account, tolerances or settlements of its own: it cannot be merged into {target}."
        )));
    }
    let moved = sqlx::query_scalar!(r#"SELECT merchant_map_unknown($1, $2, $3) AS "moved!""#, code, target, admin.id)
        .fetch_one(&mut *tx)
        .await?;
    audited_commit(
        tx,
        admin,
        ip,
        "merchant.code.map",
        &code,
        (None, Some(serde_json::json!({ "mappedTo": target, "transactionsMoved": moved }))),
    )
    .await?;
    Ok(moved)
}

/// Complete the unknown merchant `code` with its names (and PAN): the flag clears and its
/// transactions may be settled once it has terms and an account.
pub async fn create(
    pool: &PgPool,
    admin: &CurrentUser,
    ip: Option<&str>,
    code: &str,
    name: &str,
    legal_name: &str,
    pan: Option<&str>,
) -> Result<(), AppError> {
    let code = code_of(code, "The code")?;
    let (name, legal_name) = (name.trim(), legal_name.trim());
    if name.is_empty() || legal_name.is_empty() || name.chars().count() > 200 || legal_name.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "Give the merchant's name and legal name (up to 200 characters each).".into(),
        ));
    }
    let pan = pan.map(|p| p.trim().to_ascii_uppercase()).filter(|p| !p.is_empty());
    if let Some(p) = pan.as_deref().filter(|p| !valid_pan(p)) {
        return Err(AppError::BadRequest(format!("{p:?} is not a PAN (five letters, four digits, a letter).")));
    }
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let done = sqlx::query!(
        "UPDATE merchants SET name = $2, legal_name = $3, pan = $4, unknown_since = NULL
         WHERE id = $1 AND unknown_since IS NOT NULL",
        code,
        name,
        legal_name,
        pan,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 0 {
        return Err(unknown_code(&code));
    }
    sqlx::query_scalar!("SELECT merchant_backlog_catch_up($1)", code).fetch_one(&mut *tx).await?;
    audited_commit(
        tx,
        admin,
        ip,
        "merchant.code.create",
        &code,
        (None, Some(serde_json::json!({ "name": name, "legalName": legal_name, "hasPan": pan.is_some() }))),
    )
    .await?;
    Ok(())
}

/// Add `alias` as another code of the existing merchant `merchant_id` (a code no merchant has).
pub async fn add_alias(
    pool: &PgPool,
    admin: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &str,
    alias: &str,
) -> Result<(), AppError> {
    let alias = code_of(alias, "The alias")?;
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let merchant =
        sqlx::query_scalar!("SELECT id FROM merchants WHERE id = $1 AND unknown_since IS NULL FOR SHARE", merchant_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("No merchant {merchant_id}.")))?;
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM merchants WHERE id = $1) OR EXISTS (SELECT 1 FROM merchant_aliases WHERE alias = $1) AS "taken!""#,
        alias
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Err(AppError::Conflict(format!(
            "{alias} is already a merchant or an alias; an unknown code is mapped from the list of codes not known yet."
        )));
    }
    sqlx::query!(
        "INSERT INTO merchant_aliases (alias, merchant_id, created_by) VALUES ($1, $2, $3)",
        alias,
        merchant,
        admin.id
    )
    .execute(&mut *tx)
    .await?;
    audited_commit(
        tx,
        admin,
        ip,
        "merchant.alias.add",
        &merchant,
        (None, Some(serde_json::json!({ "aliasAdded": alias }))),
    )
    .await?;
    Ok(())
}

/// Remove an alias of `merchant_id`: later files with that code bring it as unknown again.
pub async fn remove_alias(
    pool: &PgPool,
    admin: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &str,
    alias: &str,
) -> Result<(), AppError> {
    let alias = alias.trim().to_ascii_uppercase();
    let mut tx = pool.begin().await?;
    lock(&mut tx).await?;
    let gone = sqlx::query!("DELETE FROM merchant_aliases WHERE alias = $1 AND merchant_id = $2", alias, merchant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(AppError::NotFound(format!("{alias} is not an alias of {merchant_id}.")));
    }
    audited_commit(
        tx,
        admin,
        ip,
        "merchant.alias.remove",
        merchant_id,
        (Some(serde_json::json!({ "alias": alias })), None),
    )
    .await?;
    Ok(())
}
