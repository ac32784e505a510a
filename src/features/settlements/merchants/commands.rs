//! Saving a terms version: one transaction writes the configuration row, a commission row and a
//! fee-bearer row for every mode (all from the version's date; a second save of the same date
//! replaces that version), the new primary bank account when it changed, and the audit row with
//! the terms before and after (account numbers masked). Dates on or before a cycle that already has
//! a batch are refused: calculated batches never change.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{BankAccount, NewTerms, TermsJson};
use super::queries;
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::features::settlements::rules::CommissionTerm;
use crate::features::settlements::terms::terms_on;

pub const AUDIT_ACTION: &str = "settlement.terms.update";

/// The merchant's terms on `date` as JSON (the account masked).
pub async fn terms_json(conn: &mut PgConnection, merchant_id: &str, date: NaiveDate) -> Result<TermsJson, AppError> {
    let terms = terms_on(&mut *conn, date, &[merchant_id.to_string()])
        .await?
        .remove(merchant_id)
        .ok_or_else(|| AppError::NotFound(format!("No merchant {merchant_id}.")))?;
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
    // One save per merchant at a time, and against the batches as they stand.
    let found = sqlx::query_scalar!("SELECT id FROM merchants WHERE id = $1 FOR UPDATE", merchant_id)
        .fetch_optional(&mut *tx)
        .await?;
    if found.is_none() {
        return Err(AppError::NotFound(format!("No merchant {merchant_id}.")));
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
    let before = terms_json(&mut tx, merchant_id, eff).await?;

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
        let stored = queries::primary_account(&mut tx, merchant_id).await?;
        if stored.as_ref() != Some(account) {
            replace_primary_account(&mut tx, merchant_id, account).await?;
        }
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

/// The account becomes the merchant's primary one (a known account is made primary again, with
/// the holder and bank name as given); the old primary stays on file, not primary.
async fn replace_primary_account(conn: &mut PgConnection, merchant_id: &str, a: &BankAccount) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE merchant_bank_accounts SET is_primary = FALSE WHERE merchant_id = $1 AND is_primary",
        merchant_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name, is_primary)
         VALUES ($1, $2, $3, $4, $5, $6, TRUE)
         ON CONFLICT (merchant_id, account_number, ifsc) DO UPDATE SET
             is_primary = TRUE, holder_name = excluded.holder_name, bank_name = excluded.bank_name",
        Uuid::new_v4(),
        merchant_id,
        a.holder_name,
        a.account_number,
        a.ifsc,
        a.bank_name,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
