//! The merchant terms in force on a date, read from the effective-dated tables: for each merchant
//! the configuration version with the latest `effective_from` on or before the date, and per
//! payment mode (× bank) the latest commission rate and fee bearer on or before it. Batch creation
//! reads them here, and so do the merchant pages: one reading of the terms for both.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgConnection;

use super::calc::FeeBearer;
use super::rules::{CommissionTerm, MerchantTerms, Rail};
use crate::error::AppError;
use crate::money::Paise;

/// The terms of each of `merchant_ids` in force on `date` (merchants that do not exist are left
/// out; a merchant with nothing configured gets spec 4.1's defaults).
pub async fn terms_on(
    conn: &mut PgConnection,
    date: NaiveDate,
    merchant_ids: &[String],
) -> Result<HashMap<String, MerchantTerms>, AppError> {
    let merchants =
        sqlx::query!(r#"SELECT id, pan IS NOT NULL AS "has_pan!" FROM merchants WHERE id = ANY($1)"#, merchant_ids,)
            .fetch_all(&mut *conn)
            .await?;
    let mut terms: HashMap<String, MerchantTerms> =
        merchants.into_iter().map(|m| (m.id.clone(), MerchantTerms::defaults(&m.id, m.has_pan))).collect();

    let configs = sqlx::query!(
        r#"SELECT DISTINCT ON (merchant_id)
                  merchant_id, effective_from AS "effective_from: NaiveDate", cycle_days, min_settlement_paise,
                  preferred_rail::text AS "preferred_rail!", gst_rate, tds_enabled, tds_rate, reserve_enabled,
                  reserve_rate, reserve_hold_days
           FROM merchant_settlement_config
           WHERE merchant_id = ANY($1) AND effective_from <= $2
           ORDER BY merchant_id, effective_from DESC"#,
        merchant_ids,
        date as NaiveDate,
    )
    .fetch_all(&mut *conn)
    .await?;
    for c in configs {
        let Some(t) = terms.get_mut(&c.merchant_id) else { continue };
        t.effective_from = Some(c.effective_from);
        t.cycle_days = u32::try_from(c.cycle_days).unwrap_or(0);
        t.min_settlement = Paise(c.min_settlement_paise);
        t.preferred_rail = Rail::parse(&c.preferred_rail).unwrap_or(Rail::Neft);
        t.gst_rate = c.gst_rate;
        t.tds_enabled = c.tds_enabled;
        t.tds_rate = c.tds_rate;
        t.reserve_enabled = c.reserve_enabled;
        t.reserve_rate = c.reserve_rate;
        t.reserve_hold_days = u32::try_from(c.reserve_hold_days).unwrap_or(0);
    }

    let rates = sqlx::query!(
        r#"SELECT DISTINCT ON (merchant_id, payment_method, coalesce(bank_code, ''))
                  merchant_id, payment_method::text AS "method!", bank_code, kind, rate, fixed_paise
           FROM merchant_commission_rates
           WHERE merchant_id = ANY($1) AND effective_from <= $2
           ORDER BY merchant_id, payment_method, coalesce(bank_code, ''), effective_from DESC"#,
        merchant_ids,
        date as NaiveDate,
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rates {
        let Some(t) = terms.get_mut(&r.merchant_id) else { continue };
        // The table's CHECK pairs PERCENT with a rate and FIXED with a fee.
        let term = match (r.kind.as_str(), r.rate, r.fixed_paise) {
            ("PERCENT", Some(rate), _) => CommissionTerm::Percent(rate),
            (_, _, Some(fee)) => CommissionTerm::FixedPaise(Paise(fee)),
            _ => CommissionTerm::Percent(Decimal::ZERO),
        };
        t.commission.push((r.method, r.bank_code, term));
    }

    let bearers = sqlx::query!(
        r#"SELECT DISTINCT ON (merchant_id, payment_method)
                  merchant_id, payment_method::text AS "method!", bearer
           FROM merchant_fee_bearers
           WHERE merchant_id = ANY($1) AND effective_from <= $2
           ORDER BY merchant_id, payment_method, effective_from DESC"#,
        merchant_ids,
        date as NaiveDate,
    )
    .fetch_all(&mut *conn)
    .await?;
    for b in bearers {
        let Some(t) = terms.get_mut(&b.merchant_id) else { continue };
        // The table's CHECK holds the bearer to the three codes.
        let bearer = FeeBearer::parse(&b.bearer).unwrap_or(FeeBearer::Merchant);
        if bearer != FeeBearer::Merchant {
            t.fee_bearers.push((b.method, bearer));
        }
    }
    Ok(terms)
}

/// The bank-holiday calendar between two dates (inclusive): date → name.
pub async fn holiday_calendar(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::BTreeMap<NaiveDate, String>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT holiday_date AS "d: NaiveDate", name FROM holidays WHERE holiday_date BETWEEN $1 AND $2"#,
        from as NaiveDate,
        to as NaiveDate,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.d, r.name)).collect())
}

/// The bank holidays between two dates (inclusive), for T+N.
pub async fn holidays_between(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::BTreeSet<NaiveDate>, AppError> {
    Ok(holiday_calendar(conn, from, to).await?.into_keys().collect())
}

/// The first day the holiday calendar no longer covers, from `today` on
/// ([`super::rules::holiday_calendar_end`]): the settlement desk's note and the metrics' gauge.
pub async fn holiday_calendar_end(conn: &mut PgConnection, today: NaiveDate) -> Result<NaiveDate, AppError> {
    use chrono::Datelike;
    let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let to = NaiveDate::from_ymd_opt(today.year() + 100, 12, 31).unwrap_or(today);
    let holidays = holidays_between(conn, from, to).await?;
    Ok(super::rules::holiday_calendar_end(today, &holidays))
}
