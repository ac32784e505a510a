//! The Overview snapshot in one round trip.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::model::{Bucket, OverviewQuery, OverviewSnapshot, Pipeline, Window};
use crate::error::AppError;
use crate::ist;
use crate::money::Paise;

#[derive(FromRow)]
struct Row {
    transactions: i64,
    total_paise: i64,
    reconciled: i64,
    reconciled_paise: i64,
    in_settlement: i64,
    in_settlement_paise: i64,
    sent_to_bank: i64,
    sent_to_bank_paise: i64,
    credited: i64,
    credited_paise: i64,
    open_exceptions: i64,
    open_chargebacks: i64,
}

/// The snapshot for what a URL asks (`?range=` or `?from=&to=`), resolved against today in IST.
/// The page's server function and the JSON API both come through here.
pub async fn snapshot_for(
    pool: &PgPool,
    query: &OverviewQuery,
    now: DateTime<Utc>,
) -> Result<OverviewSnapshot, AppError> {
    let window = query.window(ist::today(now)).map_err(AppError::BadRequest)?;
    snapshot(pool, window, now).await
}

/// Every figure uses the transaction (cycle) date window, except open chargebacks, which are the
/// open cases received in the same IST days.
pub async fn snapshot(pool: &PgPool, window: Window, now: DateTime<Utc>) -> Result<OverviewSnapshot, AppError> {
    let (start, end) = ist::day_range(window.from, window.to);
    let row = sqlx::query_as::<_, Row>(
        "WITH txn AS (
             SELECT t.amount_paise, t.status, b.status AS batch_status
             FROM transactions t
             LEFT JOIN settlement_items si ON si.transaction_id = t.id
             LEFT JOIN settlement_batches b ON b.id = si.batch_id
             WHERE t.cycle_date BETWEEN $1 AND $2
         )
         SELECT count(*) AS transactions,
                coalesce(sum(amount_paise), 0)::bigint AS total_paise,
                count(*) FILTER (WHERE status IN ('RECONCILED', 'SETTLED', 'PAID')) AS reconciled,
                coalesce(sum(amount_paise) FILTER (WHERE status IN ('RECONCILED', 'SETTLED', 'PAID')), 0)::bigint
                    AS reconciled_paise,
                count(*) FILTER (WHERE batch_status IN ('CALCULATED', 'PENDING_APPROVAL', 'APPROVED')) AS in_settlement,
                coalesce(sum(amount_paise) FILTER (WHERE batch_status IN ('CALCULATED', 'PENDING_APPROVAL', 'APPROVED')), 0)::bigint
                    AS in_settlement_paise,
                count(*) FILTER (WHERE batch_status = 'SENT') AS sent_to_bank,
                coalesce(sum(amount_paise) FILTER (WHERE batch_status = 'SENT'), 0)::bigint AS sent_to_bank_paise,
                count(*) FILTER (WHERE batch_status = 'PAID') AS credited,
                coalesce(sum(amount_paise) FILTER (WHERE batch_status = 'PAID'), 0)::bigint AS credited_paise,
                (SELECT count(*) FROM exceptions e
                  WHERE e.cycle_date BETWEEN $1 AND $2 AND e.status NOT IN ('resolved', 'wont_fix')) AS open_exceptions,
                (SELECT count(*) FROM chargebacks c
                  WHERE c.status = 'OPEN' AND c.received_at >= $3 AND c.received_at < $4) AS open_chargebacks
         FROM txn",
    )
    .bind(window.from)
    .bind(window.to)
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await?;

    let bucket = |count, paise| Bucket { count, amount: Paise(paise) };
    let captured = bucket(row.transactions, row.total_paise);
    let in_settlement = bucket(row.in_settlement, row.in_settlement_paise);
    let sent_to_bank = bucket(row.sent_to_bank, row.sent_to_bank_paise);
    let credited = bucket(row.credited, row.credited_paise);
    let unsettled = bucket(
        captured.count - in_settlement.count - sent_to_bank.count - credited.count,
        captured.amount.0 - in_settlement.amount.0 - sent_to_bank.amount.0 - credited.amount.0,
    );
    Ok(OverviewSnapshot {
        window,
        transactions: row.transactions,
        total: Paise(row.total_paise),
        reconciled: row.reconciled,
        reconciled_amount: Paise(row.reconciled_paise),
        open_exceptions: row.open_exceptions,
        open_chargebacks: row.open_chargebacks,
        pipeline: Pipeline { captured, in_settlement, sent_to_bank, credited, unsettled },
        generated_at: now,
    })
}
