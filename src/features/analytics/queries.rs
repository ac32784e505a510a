//! Analytics reads: the per-day facts and the mode split from the daily rollup (`txn_daily`), the
//! payout failures of the window's batches, and the open exceptions' ages — one function per fact.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::model::{Ageing, DayFacts, Scope, BATCHED};
use crate::error::AppError;
use crate::money::Paise;

/// One row per cycle date in `from..=to` that has transactions under the scope.
pub async fn day_facts(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> Result<Vec<DayFacts>, AppError> {
    Ok(sqlx::query_as!(
        DayFacts,
        r#"SELECT cycle_date AS "date!: NaiveDate",
                  sum(txn_count)::bigint AS "captured!",
                  sum(amount_paise)::bigint AS "captured_paise!: Paise",
                  coalesce(sum(txn_count) FILTER (WHERE status = 'RECONCILED' OR batch_status = ANY($5)), 0)::bigint AS "reconciled!",
                  coalesce(sum(txn_count) FILTER (WHERE batch_status = ANY($5)), 0)::bigint AS "batched!",
                  coalesce(sum(txn_count) FILTER (WHERE batch_status = 'PAID'), 0)::bigint AS "paid!",
                  coalesce(sum(amount_paise) FILTER (WHERE batch_status = 'PAID'), 0)::bigint AS "paid_paise!: Paise",
                  coalesce(sum(paid_seconds), 0)::bigint AS "paid_seconds!"
           FROM txn_daily
           WHERE cycle_date BETWEEN $1 AND $2
             AND ($3::text IS NULL OR upper(acquirer) = $3) AND ($4::text IS NULL OR payment_method = $4)
           GROUP BY cycle_date
           HAVING sum(txn_count) <> 0
           ORDER BY cycle_date"#,
        from as NaiveDate,
        to as NaiveDate,
        scope.acquirer.as_deref(),
        scope.mode.as_deref(),
        &BATCHED[..] as &[&str],
    )
    .fetch_all(pool)
    .await?)
}

/// Count and amount per payment method in `from..=to` under the scope.
pub async fn mode_split(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
) -> Result<Vec<(String, i64, Paise)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT payment_method AS "mode!", sum(txn_count)::bigint AS "count!", sum(amount_paise)::bigint AS "amount!"
           FROM txn_daily
           WHERE cycle_date BETWEEN $1 AND $2
             AND ($3::text IS NULL OR upper(acquirer) = $3) AND ($4::text IS NULL OR payment_method = $4)
           GROUP BY payment_method HAVING sum(txn_count) <> 0"#,
        from as NaiveDate,
        to as NaiveDate,
        scope.acquirer.as_deref(),
        scope.mode.as_deref(),
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.mode, r.count, Paise(r.amount)))
    .collect())
}

/// Failed payout transfers of the batches of `from..=to`, per failure code (none recorded: OTHER). A transfer pays a merchant's whole batch, so the acquirer and mode
/// filters do not apply to it.
pub async fn payout_failures(pool: &PgPool, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, i64)>, AppError> {
    Ok(sqlx::query!(
        r#"SELECT coalesce(t.failure_code, 'OTHER') AS "code!", count(*) AS "count!"
           FROM settlement_transfers t JOIN settlement_batches b ON b.id = t.batch_id
           WHERE t.status = 'FAILED' AND b.cycle_date BETWEEN $1 AND $2
           GROUP BY 1"#,
        from as NaiveDate,
        to as NaiveDate,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.code, r.count))
    .collect())
}

/// The open exceptions of `from..=to` (under the scope: the exception's acquirer; the mode of its
/// transaction, kept on the exception, so bank-only exceptions drop out under a mode filter) by age
/// at `now` (an index-only scan of `exceptions_open_age_idx`).
pub async fn ageing(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Ageing, AppError> {
    let cut = Ageing::cutoffs(now);
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE e.created_at > $5) AS "lt24h!",
                  count(*) FILTER (WHERE e.created_at <= $5 AND e.created_at > $6) AS "d1to3!",
                  count(*) FILTER (WHERE e.created_at <= $6 AND e.created_at > $7) AS "d3to7!",
                  count(*) FILTER (WHERE e.created_at <= $7) AS "gt7d!"
           FROM exceptions e
           WHERE e.cycle_date BETWEEN $1 AND $2
             -- Status::ACTIVE, written out so that the partial index exceptions_open_age_idx applies.
             AND e.status IN ('open', 'investigating', 'snoozed', 'escalated')
             AND ($3::text IS NULL OR upper(e.acquirer) = $3)
             AND ($4::text IS NULL OR e.payment_method = $4)"#,
        from as NaiveDate,
        to as NaiveDate,
        scope.acquirer.as_deref(),
        scope.mode.as_deref(),
        cut[0] as DateTime<Utc>,
        cut[1] as DateTime<Utc>,
        cut[2] as DateTime<Utc>,
    )
    .fetch_one(pool)
    .await?;
    Ok(Ageing { lt24h: r.lt24h, d1to3: r.d1to3, d3to7: r.d3to7, gt7d: r.gt7d })
}
