//! Saving a terms version: one transaction writes the configuration row, a commission row and a
//! fee-bearer row for every mode (all from the version's date; a second save of the same date
//! replaces that version), a row ending every bank-specific rate in force that the version does not
//! restate, the new primary bank account when it changed, and the audit row with the terms before
//! and after (account numbers masked). Dates on or before a cycle that already has a batch are
//! refused: calculated batches never change. The save holds batch creation's advisory lock, so a
//! terms change and a batch run never interleave.
//!
//! A bank account row is never changed once a batch refers to it (`settlement_batches.
//! bank_account_id`: the payout file reads holder, number and IFSC through it): a different
//! account is a new row made primary, the old one kept as it was.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{BankAccount, NewTerms, TermsJson};
use super::queries;
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::domain::SETTLEMENT_LOCK;
use crate::error::AppError;
use crate::features::settlements::rules::CommissionTerm;
use crate::features::settlements::terms::terms_on;

pub const AUDIT_ACTION: &str = "settlement.terms.update";

fn not_found(merchant_id: &str) -> AppError {
    AppError::NotFound(format!("No merchant {merchant_id}."))
}

/// The merchant's terms on `date` as JSON (the account masked).
pub async fn terms_json(conn: &mut PgConnection, merchant_id: &str, date: NaiveDate) -> Result<TermsJson, AppError> {
    let terms = terms_on(&mut *conn, date, &[merchant_id.to_string()])
        .await?
        .remove(merchant_id)
        .ok_or_else(|| not_found(merchant_id))?;
    let account = queries::primary_account(&mut *conn, merchant_id).await?;
    Ok(TermsJson::new(&terms, date, account.as_ref()))
}

pub async fn save_terms(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &str,
    new: &NewTerms,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    // Batch creation runs in one transaction under this lock: taken first (as there), so no batch
    // is written between the check against the batched cycles below and the commit, and none reads
    // half a version.
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", SETTLEMENT_LOCK).execute(&mut *tx).await?;
    // The merchant must exist (saves are already one at a time under the lock above). NO KEY
    // UPDATE, not UPDATE: rows that refer to the merchant (a recon run's exceptions, say) take KEY
    // SHARE on it, and such a run may be waiting for the settlement lock this transaction holds.
    // A code still unknown has no terms: it is mapped to a merchant or created first (`codes`).
    let found = sqlx::query_scalar!(
        "SELECT id FROM merchants WHERE id = $1 AND unknown_since IS NULL FOR NO KEY UPDATE",
        merchant_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if found.is_none() {
        return Err(not_found(merchant_id));
    }
    if let Some(last) = queries::last_batched_cycle(&mut tx, merchant_id).await? {
        if new.effective_from <= last {
            return Err(AppError::Conflict(format!(
                "Terms cannot take effect on {}: {merchant_id} already has a batch for the cycle of {}, and calculated \
                 batches never change. Choose a date after {}.",
                crate::ist::format_date(new.effective_from),
                crate::ist::format_date(last),
                crate::ist::format_date(last),
            )));
        }
    }
    let eff = new.effective_from;
    let in_force = terms_on(&mut tx, eff, &[merchant_id.to_string()])
        .await?
        .remove(merchant_id)
        .ok_or_else(|| not_found(merchant_id))?;
    let new = &new.over(&in_force)?;
    let before = TermsJson::new(&in_force, eff, queries::primary_account(&mut tx, merchant_id).await?.as_ref());

    sqlx::query!(
        "INSERT INTO merchant_settlement_config
             (merchant_id, effective_from, cycle_days, min_settlement_paise, preferred_rail, gst_rate, tds_enabled,
              tds_rate, reserve_enabled, reserve_rate, reserve_hold_days, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5::text, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (merchant_id, effective_from) DO UPDATE SET
             cycle_days = excluded.cycle_days, min_settlement_paise = excluded.min_settlement_paise,
             preferred_rail = excluded.preferred_rail, gst_rate = excluded.gst_rate,
             tds_enabled = excluded.tds_enabled, tds_rate = excluded.tds_rate,
             reserve_enabled = excluded.reserve_enabled, reserve_rate = excluded.reserve_rate,
             reserve_hold_days = excluded.reserve_hold_days, updated_by = excluded.updated_by,
             updated_at = excluded.updated_at",
        merchant_id,
        eff as NaiveDate,
        new.cycle_days,
        new.min_settlement.0,
        new.preferred_rail.code(),
        new.gst_rate,
        new.tds_enabled,
        new.tds_rate,
        new.reserve_enabled,
        new.reserve_rate,
        new.reserve_hold_days,
        user.id,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;

    // The version's rate card and bearers replace whatever that date had.
    sqlx::query!(
        "DELETE FROM merchant_commission_rates WHERE merchant_id = $1 AND effective_from = $2",
        merchant_id,
        eff as NaiveDate
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = new.commission.iter().map(|_| Uuid::new_v4()).collect();
    let methods: Vec<String> = new.commission.iter().map(|(m, _, _)| m.clone()).collect();
    let banks: Vec<Option<String>> = new.commission.iter().map(|(_, b, _)| b.clone()).collect();
    let kinds: Vec<String> = new
        .commission
        .iter()
        .map(|(_, _, c)| match c {
            CommissionTerm::Percent(_) => "PERCENT".to_string(),
            CommissionTerm::FixedPaise(_) => "FIXED".to_string(),
        })
        .collect();
    let rates: Vec<Option<Decimal>> = new
        .commission
        .iter()
        .map(|(_, _, c)| match c {
            CommissionTerm::Percent(r) => Some(*r),
            CommissionTerm::FixedPaise(_) => None,
        })
        .collect();
    let fixed: Vec<Option<i64>> = new
        .commission
        .iter()
        .map(|(_, _, c)| match c {
            CommissionTerm::Percent(_) => None,
            CommissionTerm::FixedPaise(p) => Some(p.0),
        })
        .collect();
    sqlx::query!(
        "INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, bank_code, kind, rate, fixed_paise, effective_from)
         SELECT r.id, $2, r.method, r.bank, r.kind, r.rate, r.fixed, $3
         FROM UNNEST($1::uuid[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::int8[])
              AS r (id, method, bank, kind, rate, fixed)",
        &ids,
        merchant_id,
        eff as NaiveDate,
        &methods,
        &banks as &[Option<String>],
        &kinds,
        &rates as &[Option<Decimal>],
        &fixed as &[Option<i64>],
    )
    .execute(&mut *tx)
    .await?;

    sqlx::query!(
        "DELETE FROM merchant_fee_bearers WHERE merchant_id = $1 AND effective_from = $2",
        merchant_id,
        eff as NaiveDate
    )
    .execute(&mut *tx)
    .await?;
    let bearer_methods: Vec<String> = new.fee_bearers.iter().map(|(m, _)| m.clone()).collect();
    let bearers: Vec<String> = new.fee_bearers.iter().map(|(_, b)| b.code().to_string()).collect();
    sqlx::query!(
        "INSERT INTO merchant_fee_bearers (merchant_id, payment_method, bearer, effective_from)
         SELECT $1, r.method, r.bearer, $2 FROM UNNEST($3::text[], $4::text[]) AS r (method, bearer)",
        merchant_id,
        eff as NaiveDate,
        &bearer_methods,
        &bearers,
    )
    .execute(&mut *tx)
    .await?;

    if let Some(account) = &new.bank_account {
        make_primary(&mut tx, user, merchant_id, account, now).await?;
    }

    let after = terms_json(&mut tx, merchant_id, eff).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(merchant_id.to_string()),
            ip,
            before: Some(serde_json::to_value(&before).map_err(|_| AppError::Internal)?),
            after: Some(serde_json::to_value(&after).map_err(|_| AppError::Internal)?),
            details: Some(format!("terms version from {eff}")),
            ..AuditEntry::by(user, AUDIT_ACTION, "merchant")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The account becomes the merchant's primary one; the old primary stays on file, not primary.
/// The same account again changes nothing. An account not on file is a new row. One on file
/// (same number and IFSC) with the same holder and bank name is made primary again; with another
/// name it is corrected only while no batch refers to it, else refused (409): the table keeps one
/// row per number and IFSC, and a row a batch refers to never changes.
async fn make_primary(
    conn: &mut PgConnection,
    user: &CurrentUser,
    merchant_id: &str,
    a: &BankAccount,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if queries::primary_account(&mut *conn, merchant_id).await?.as_ref() == Some(a) {
        return Ok(());
    }
    let on_file = sqlx::query!(
        r#"SELECT a.id, a.holder_name, a.bank_name,
                  EXISTS (SELECT 1 FROM settlement_batches b WHERE b.bank_account_id = a.id) AS "in_batches!"
           FROM merchant_bank_accounts a
           WHERE a.merchant_id = $1 AND a.account_number = $2 AND a.ifsc = $3
           FOR UPDATE OF a"#,
        merchant_id,
        a.account_number,
        a.ifsc,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (id, rename) = match on_file {
        None => (None, false),
        Some(r) if r.holder_name == a.holder_name && r.bank_name == a.bank_name => (Some(r.id), false),
        Some(r) if !r.in_batches => (Some(r.id), true),
        Some(r) => {
            return Err(AppError::Conflict(format!(
                "That account is already on file under another name; settlement batches refer to it as held \
                 by \"{}\" at \"{}\", so that record cannot change. Enter the holder and bank name as on file, \
                 or a different account.",
                r.holder_name, r.bank_name
            )))
        }
    };
    sqlx::query!(
        "UPDATE merchant_bank_accounts SET is_primary = FALSE WHERE merchant_id = $1 AND is_primary",
        merchant_id
    )
    .execute(&mut *conn)
    .await?;
    match id {
        Some(id) if rename => {
            // No batch refers to this row (checked above, under batch creation's lock).
            sqlx::query!(
                "UPDATE merchant_bank_accounts SET is_primary = TRUE, holder_name = $2, bank_name = $3,
                        made_primary_by = $4, made_primary_at = $5
                 WHERE id = $1",
                id,
                a.holder_name,
                a.bank_name,
                user.id,
                now as DateTime<Utc>,
            )
            .execute(&mut *conn)
            .await?;
        }
        Some(id) => {
            sqlx::query!(
                "UPDATE merchant_bank_accounts SET is_primary = TRUE, made_primary_by = $2, made_primary_at = $3
                 WHERE id = $1",
                id,
                user.id,
                now as DateTime<Utc>,
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name, is_primary,
                                                     made_primary_by, made_primary_at)
                 VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)",
                Uuid::new_v4(),
                merchant_id,
                a.holder_name,
                a.account_number,
                a.ifsc,
                a.bank_name,
                user.id,
                now as DateTime<Utc>,
            )
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
