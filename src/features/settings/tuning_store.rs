//! Reads and writes of the desk's tuning: the SLA hours (`sla_settings`) and the recon tolerances
//! (`recon_settings`), each change one transaction with its audit row last.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::tuning::{SlaRow, ToleranceRow, Tolerances, SEVERITIES};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::money::Paise;

/// Every exception type's SLA hours, in the queue's order.
pub async fn sla_rows(pool: &PgPool) -> Result<Vec<SlaRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT t.code, t.label,
                  array_agg(s.sla_hours ORDER BY array_position(ARRAY['LOW','MEDIUM','HIGH','CRITICAL'], s.severity::text)) AS "hours!"
           FROM exception_types t JOIN sla_settings s ON s.reason_code = t.code
           GROUP BY t.code, t.label, t.sort_order ORDER BY t.sort_order, t.code"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some(SlaRow { code: r.code, label: r.label, hours: r.hours.try_into().ok()? }))
        .collect())
}

/// Set one exception type's SLA hours at every severity; 404 for an unknown type.
pub async fn save_sla(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    code: &str,
    hours: [i32; 4],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let before = sqlx::query!(
        r#"SELECT severity::text AS "severity!", sla_hours FROM sla_settings WHERE reason_code = $1 FOR UPDATE"#,
        code
    )
    .fetch_all(&mut *tx)
    .await?;
    if before.is_empty() {
        return Err(AppError::NotFound(format!("There is no exception type {code}.")));
    }
    let before: serde_json::Map<String, serde_json::Value> =
        before.into_iter().map(|r| (r.severity, json!(r.sla_hours))).collect();
    for (severity, h) in SEVERITIES.iter().zip(hours) {
        sqlx::query!(
            "INSERT INTO sla_settings (reason_code, severity, sla_hours, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (reason_code, severity) DO UPDATE SET sla_hours = $3, updated_by = $4, updated_at = $5",
            code,
            severity as &str,
            h,
            user.id,
            now as DateTime<Utc>,
        )
        .execute(&mut *tx)
        .await?;
    }
    let after: serde_json::Map<String, serde_json::Value> =
        SEVERITIES.iter().zip(hours).map(|(s, h)| (s.to_string(), json!(h))).collect();
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(code.to_string()),
            ip,
            before: Some(before.into()),
            after: Some(after.into()),
            ..AuditEntry::by(user, "settings.sla.update", "sla_settings")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A scope's stored tolerances as the table holds them (both reads below select these columns).
struct StoredTolerances {
    min_tolerance_paise: i64,
    tolerance_rate: rust_decimal::Decimal,
    rounding_paise: i64,
    fee_band_low_paise: i64,
    fee_band_high_paise: i64,
    fee_variance_paise: i64,
    date_window_days: i16,
}

impl From<StoredTolerances> for Tolerances {
    fn from(r: StoredTolerances) -> Self {
        Tolerances {
            min_tolerance: Paise(r.min_tolerance_paise),
            tolerance_rate: r.tolerance_rate,
            rounding: Paise(r.rounding_paise),
            fee_band_low: Paise(r.fee_band_low_paise),
            fee_band_high: Paise(r.fee_band_high_paise),
            fee_variance: Paise(r.fee_variance_paise),
            date_window_days: r.date_window_days,
        }
    }
}

/// The tolerances: the default first (the engine's built-in values when none is stored), then
/// each scope by merchant and acquirer.
pub async fn tolerance_rows(pool: &PgPool) -> Result<Vec<ToleranceRow>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT id, merchant_id, acquirer, min_tolerance_paise, tolerance_rate, rounding_paise, fee_band_low_paise,
                  fee_band_high_paise, fee_variance_paise, date_window_days, updated_at AS "updated_at: DateTime<Utc>"
           FROM recon_settings ORDER BY merchant_id NULLS FIRST, acquirer NULLS FIRST"#
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<ToleranceRow> = rows
        .into_iter()
        .map(|r| ToleranceRow {
            id: Some(r.id),
            merchant_id: r.merchant_id,
            acquirer: r.acquirer,
            values: StoredTolerances {
                min_tolerance_paise: r.min_tolerance_paise,
                tolerance_rate: r.tolerance_rate,
                rounding_paise: r.rounding_paise,
                fee_band_low_paise: r.fee_band_low_paise,
                fee_band_high_paise: r.fee_band_high_paise,
                fee_variance_paise: r.fee_variance_paise,
                date_window_days: r.date_window_days,
            }
            .into(),
            updated_at: Some(r.updated_at),
        })
        .collect();
    if !out.iter().any(|r| r.merchant_id.is_none() && r.acquirer.is_none()) {
        let d = crate::features::recon::engine::Tolerances::default();
        out.insert(
            0,
            ToleranceRow {
                id: None,
                merchant_id: None,
                acquirer: None,
                values: Tolerances {
                    min_tolerance: d.min_tolerance,
                    tolerance_rate: d.tolerance_rate,
                    rounding: d.rounding,
                    fee_band_low: d.fee_band_low,
                    fee_band_high: d.fee_band_high,
                    fee_variance: d.fee_variance,
                    date_window_days: d.date_window_days as i16,
                },
                updated_at: None,
            },
        );
    }
    Ok(out)
}

fn values_json(v: &Tolerances) -> serde_json::Value {
    json!({
        "minTolerancePaise": v.min_tolerance.0, "toleranceRate": v.tolerance_rate.to_string(),
        "roundingPaise": v.rounding.0, "feeBandLowPaise": v.fee_band_low.0, "feeBandHighPaise": v.fee_band_high.0,
        "feeVariancePaise": v.fee_variance.0, "dateWindowDays": v.date_window_days,
    })
}

/// The stored row of a scope, locked, as audit JSON.
async fn scope_row(
    tx: &mut sqlx::PgConnection,
    merchant_id: &Option<String>,
    acquirer: &Option<String>,
) -> Result<Option<serde_json::Value>, AppError> {
    let row = sqlx::query_as!(
        StoredTolerances,
        "SELECT min_tolerance_paise, tolerance_rate, rounding_paise, fee_band_low_paise, fee_band_high_paise,
                fee_variance_paise, date_window_days
         FROM recon_settings WHERE merchant_id IS NOT DISTINCT FROM $1 AND acquirer IS NOT DISTINCT FROM $2 FOR UPDATE",
        merchant_id.as_deref(),
        acquirer.as_deref(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|r| values_json(&r.into())))
}

fn scope_id(merchant_id: &Option<String>, acquirer: &Option<String>) -> String {
    format!("{}/{}", merchant_id.as_deref().unwrap_or("*"), acquirer.as_deref().unwrap_or("*"))
}

/// Set a scope's tolerances (made when new); a merchant must exist.
pub async fn save_tolerances(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &Option<String>,
    acquirer: &Option<String>,
    v: &Tolerances,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if let Some(m) = merchant_id {
        let known = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM merchants WHERE id = $1) AS "known!""#, m)
            .fetch_one(&mut *tx)
            .await?;
        if !known {
            return Err(AppError::BadRequest(format!("There is no merchant {m}.")));
        }
    }
    let before = scope_row(&mut tx, merchant_id, acquirer).await?;
    sqlx::query!(
        "INSERT INTO recon_settings (id, merchant_id, acquirer, min_tolerance_paise, tolerance_rate, rounding_paise,
                                     fee_band_low_paise, fee_band_high_paise, fee_variance_paise, date_window_days, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT ((coalesce(merchant_id, '')), (coalesce(acquirer, ''))) DO UPDATE SET
             min_tolerance_paise = $4, tolerance_rate = $5, rounding_paise = $6, fee_band_low_paise = $7,
             fee_band_high_paise = $8, fee_variance_paise = $9, date_window_days = $10, updated_at = $11",
        Uuid::new_v4(),
        merchant_id.as_deref(),
        acquirer.as_deref(),
        v.min_tolerance.0,
        v.tolerance_rate,
        v.rounding.0,
        v.fee_band_low.0,
        v.fee_band_high.0,
        v.fee_variance.0,
        v.date_window_days,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(scope_id(merchant_id, acquirer)),
            ip,
            before,
            after: Some(values_json(v)),
            ..AuditEntry::by(user, "settings.tolerances.update", "recon_settings")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Remove a scope's own tolerances (the next wider scope applies again); 404 when it has none.
pub async fn delete_tolerances(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &Option<String>,
    acquirer: &Option<String>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let before = scope_row(&mut tx, merchant_id, acquirer).await?;
    if before.is_none() {
        return Err(AppError::NotFound("That scope has no tolerances of its own.".into()));
    }
    sqlx::query!(
        "DELETE FROM recon_settings WHERE merchant_id IS NOT DISTINCT FROM $1 AND acquirer IS NOT DISTINCT FROM $2",
        merchant_id.as_deref(),
        acquirer.as_deref(),
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(scope_id(merchant_id, acquirer)),
            ip,
            before,
            ..AuditEntry::by(user, "settings.tolerances.delete", "recon_settings")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
