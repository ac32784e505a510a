//! The Overview snapshot in one round trip.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::model::{
    Bucket, ConnectorFacts, DisputeSummary, ExceptionSummary, OverviewSnapshot, Pipeline, ReasonCount, Window,
};
use crate::error::AppError;
use crate::features::exceptions::model::Status;
use crate::features::recon::queries::{window_totals, CountAmount};
use crate::money::Paise;

/// Every figure uses the transaction (cycle) date window, except open chargebacks, which are the
/// open cases received in the same IST days. The figures are the window totals that
/// `GET /api/recon/summary` reports as well, from the same query.
pub async fn snapshot(pool: &PgPool, window: Window, now: DateTime<Utc>) -> Result<OverviewSnapshot, AppError> {
    // The widgets' reads are independent: on their own connections at once, the page waits for
    // the slowest, not for their sum.
    let (t, exceptions, connectors, disputes) = tokio::try_join!(
        window_totals(pool, window.from, window.to),
        exception_summary(pool, window),
        connector_facts(pool),
        dispute_summary(pool, window, now),
    )?;
    let bucket = |c: CountAmount| Bucket { count: c.count, amount: c.amount_paise };
    let captured = bucket(t.transactions);
    let in_settlement = bucket(t.in_settlement);
    let sent_to_bank = bucket(t.sent_to_bank);
    let credited = bucket(t.credited);
    let unsettled = Bucket {
        count: captured.count - in_settlement.count - sent_to_bank.count - credited.count,
        amount: captured.amount.checked_sub(Paise::checked_sum([
            in_settlement.amount,
            sent_to_bank.amount,
            credited.amount,
        ])?)?,
    };
    let connectors = connectors.into_iter().map(|c| c.health(now)).collect();
    Ok(OverviewSnapshot {
        window,
        transactions: t.transactions.count,
        total: t.transactions.amount_paise,
        reconciled: t.reconciled.count,
        reconciled_amount: t.reconciled.amount_paise,
        open_exceptions: t.open_exceptions.count,
        open_chargebacks: t.open_chargebacks,
        pipeline: Pipeline { captured, in_settlement, sent_to_bank, credited, unsettled },
        exceptions,
        connectors,
        disputes,
        settlements: None,
        generated_at: now,
    })
}

/// How many top reasons Overview lists.
pub const TOP_REASONS: i64 = 5;

/// The window's open exceptions by severity (all four, CRITICAL first, zeros included) and the
/// reasons with the most open exceptions (count, then amount), from the `exception_daily` rollup —
/// the same rows the open-exceptions tile sums.
pub async fn exception_summary(pool: &PgPool, window: Window) -> Result<ExceptionSummary, AppError> {
    let active = Status::codes(&Status::ACTIVE);
    let by_severity = sqlx::query!(
        r#"SELECT s.severity AS "severity!", coalesce(sum(d.exc_count), 0)::bigint AS "count!",
                  coalesce(sum(d.amount_paise), 0)::bigint AS "amount!: Paise"
           FROM unnest(ARRAY['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) WITH ORDINALITY AS s (severity, ord)
           LEFT JOIN exception_daily d ON d.severity = s.severity AND d.cycle_date BETWEEN $1 AND $2 AND d.status = ANY($3)
           GROUP BY s.severity, s.ord ORDER BY s.ord"#,
        window.from as NaiveDate,
        window.to as NaiveDate,
        &active[..] as &[&str],
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.severity, r.count, r.amount))
    .collect();
    let top_reasons = sqlx::query_as!(
        ReasonCount,
        r#"SELECT d.reason_code AS "code!", t.label, sum(d.exc_count)::bigint AS "count!",
                  sum(d.amount_paise)::bigint AS "amount!: Paise"
           FROM exception_daily d JOIN exception_types t ON t.code = d.reason_code
           WHERE d.cycle_date BETWEEN $1 AND $2 AND d.status = ANY($3)
           GROUP BY d.reason_code, t.label
           HAVING sum(d.exc_count) > 0
           ORDER BY 3 DESC, 4 DESC, d.reason_code
           LIMIT $4"#,
        window.from as NaiveDate,
        window.to as NaiveDate,
        &active[..] as &[&str],
        TOP_REASONS,
    )
    .fetch_all(pool)
    .await?;
    Ok(ExceptionSummary { by_severity, top_reasons })
}

/// What the health rule reads of every connector, by name.
pub async fn connector_facts(pool: &PgPool) -> Result<Vec<ConnectorFacts>, AppError> {
    Ok(sqlx::query_as!(
        ConnectorFacts,
        r#"SELECT c.name, c.status = 'PAUSED' AS "paused!",
                  ok.at AS "last_success_at: DateTime<Utc>",
                  last.finished_at AS "last_run_at: DateTime<Utc>",
                  coalesce(last.status = 'FAILED', false) AS "last_run_failed!",
                  (SELECT count(*) FROM connector_runs f
                    WHERE f.connector_id = c.id AND f.status = 'FAILED' AND f.run_type <> 'TEST'
                      AND (ok.at IS NULL OR f.finished_at > ok.at)) AS "failures_since_success!"
           FROM connectors c
           LEFT JOIN LATERAL (SELECT max(r.finished_at) AS at FROM connector_runs r
                              WHERE r.connector_id = c.id AND r.status = 'SUCCEEDED' AND r.run_type <> 'TEST') ok ON TRUE
           LEFT JOIN LATERAL (SELECT r.status, r.finished_at FROM connector_runs r
                              WHERE r.connector_id = c.id AND r.finished_at IS NOT NULL AND r.run_type <> 'TEST'
                                AND r.status <> 'CANCELLED'
                              ORDER BY r.finished_at DESC LIMIT 1) last ON TRUE
           ORDER BY c.name"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Chargebacks received in the window's IST days: open, waiting for the merchant's evidence
/// (under review), and open with evidence due in the next 48 hours.
pub async fn dispute_summary(pool: &PgPool, window: Window, now: DateTime<Utc>) -> Result<DisputeSummary, AppError> {
    let (start, end) = crate::ist::day_range(window.from, window.to);
    Ok(sqlx::query_as!(
        DisputeSummary,
        r#"SELECT count(*) AS "open!",
                  count(*) FILTER (WHERE stage = 'UNDER_REVIEW') AS "evidence_required!",
                  count(*) FILTER (WHERE evidence_due_at >= $3 AND evidence_due_at < $3 + interval '48 hours') AS "due_within_48h!"
           FROM chargebacks WHERE status = 'OPEN' AND received_at >= $1 AND received_at < $2"#,
        start as DateTime<Utc>,
        end as DateTime<Utc>,
        now as DateTime<Utc>,
    )
    .fetch_one(pool)
    .await?)
}
