//! Issue 13: the daily rollups stay equal to the ledger whatever changes it; Overview's widgets, the
//! transaction explorer and Analytics each against a SQL ground truth (on the demo data) and against
//! a hand-made fixture with worked answers; role rules; the explorer's plans at scale.

// Amounts are written as rupees_paise (`100_00` is ₹100.00), as in the other suites.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{demo_app, demo_cookie, TestApp};
use serde_json::Value;
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::domain::{Lifecycle, PipelineBucket};
use settlepaisa_ops::features::transactions::model::{Filter, Sort, SortKey};
use settlepaisa_ops::features::transactions::queries as explorer;
use settlepaisa_ops::ist;
use settlepaisa_ops::state::ManualClock;
use sqlx::PgPool;
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn differences(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT concat_ws(' | ', rollup, cycle_date, key, rollup_value, ledger_value) FROM rollup_differences()",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A small deterministic generator (the test's seed is printed on failure).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Random writes of every kind the product makes to the summarised tables — single and bulk status
/// changes, amount and time corrections, new transactions, batches created with items, batches
/// moving through every status (paid times changing), items given back or moved, exceptions raised,
/// worked and reopened, and transactions rolled back — after each of which both rollups equal the
/// ledger (`rollup_differences()` is empty).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn rollups_equal_the_ledger_after_random_operations(pool: PgPool) {
    settlepaisa_ops::demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    assert!(differences(&pool).await.is_empty(), "the demo data's rollups are exact");
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM txn_daily").fetch_one(&pool).await.unwrap();
    assert!(before > 20, "the demo fills the rollup");
    for seed in [7u64, 1913, 424242] {
        let mut rng = Lcg(seed);
        for step in 0..120 {
            let op = rng.below(11);
            let mut tx = pool.begin().await.unwrap();
            let txn_ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM transactions ORDER BY random() LIMIT 5")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let pick = txn_ids[rng.below(txn_ids.len() as u64) as usize];
            match op {
                0 => {
                    let status = rng.pick(&["PENDING", "RECONCILED", "EXCEPTION"]);
                    sqlx::query("UPDATE transactions SET status = $2, updated_at = now() WHERE id = $1")
                        .bind(pick)
                        .bind(status)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                1 => {
                    // A bulk move, as a recon run's apply does (with rows that do not change).
                    sqlx::query(
                        "UPDATE transactions SET status = CASE WHEN id % 3 = 0 THEN 'EXCEPTION' ELSE status END, updated_at = now()
                         WHERE cycle_date = (SELECT cycle_date FROM transactions WHERE id = $1)",
                    )
                    .bind(pick)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                2 => {
                    // (Not the cycle: a transaction never changes cycle, which a trigger holds to.)
                    sqlx::query(
                        "UPDATE transactions SET amount_paise = amount_paise + $2, txn_at = txn_at - make_interval(mins => $3::int),
                                acquirer = CASE WHEN $3::int % 2 = 0 THEN NULL ELSE 'KOTAK' END
                         WHERE id = ANY($1)",
                    )
                    .bind(&txn_ids)
                    .bind(rng.below(500) as i64 + 1)
                    .bind(rng.below(300) as i32)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                3 => {
                    sqlx::query(
                        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, status)
                         SELECT 'RND-' || $1 || '-' || g, (SELECT id FROM merchants ORDER BY id LIMIT 1), 1000 + g * 37,
                                now() - make_interval(days => g), (now() - make_interval(days => g))::date,
                                (ARRAY['UPI', 'CARD', 'WALLET'])[1 + g % 3], (ARRAY['HDFC', NULL, 'AXIS'])[1 + g % 3],
                                (ARRAY['PENDING', 'RECONCILED'])[1 + g % 2]
                         FROM generate_series(1, $2) g",
                    )
                    .bind(format!("{seed}-{step}"))
                    .bind(rng.below(6) as i32 + 1)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                4 => {
                    // A new batch with items: some reconciled transactions in no batch.
                    let status = rng.pick(&["CALCULATED", "PENDING_APPROVAL", "APPROVED", "SENT", "PAID", "ON_HOLD"]);
                    let id = Uuid::new_v4();
                    sqlx::query(
                        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
                                commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise,
                                net_paise, rail, paid_at, payout_utr, held_from)
                         VALUES ($1, 'RND-' || $1, (SELECT id FROM merchants ORDER BY id LIMIT 1), current_date + 400 + $3::int, $2,
                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 'NEFT',
                                 CASE WHEN $2 = 'PAID' THEN now() END, CASE WHEN $2 = 'PAID' THEN 'UTRRND' || $3::int END,
                                 CASE WHEN $2 = 'ON_HOLD' THEN 'PENDING_APPROVAL' END)",
                    )
                    .bind(id)
                    .bind(status)
                    .bind(rng.below(1_000_000) as i32)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                    sqlx::query(
                        "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                                reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
                         SELECT $1, t.id, t.amount_paise, 0, 0, 0, 0, t.amount_paise, 'merchant', t.txn_id, t.txn_at,
                                t.payment_method, t.acquirer, t.utr, t.rrn
                         FROM transactions t WHERE t.status = 'RECONCILED'
                           AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
                         ORDER BY random() LIMIT $2",
                    )
                    .bind(id)
                    .bind(rng.below(8) as i64 + 1)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                5 => {
                    // A batch moves on: through the statuses, paid at a new time, or failed.
                    let status =
                        rng.pick(&["PENDING_APPROVAL", "APPROVED", "SENT", "PAID", "FAILED", "ON_HOLD", "REJECTED"]);
                    sqlx::query(
                        "UPDATE settlement_batches SET status = $1,
                                paid_at = CASE WHEN $1 = 'PAID' THEN now() - make_interval(hours => $2::int) ELSE paid_at END,
                                payout_utr = CASE WHEN $1 = 'PAID' THEN coalesce(payout_utr, 'UTRMV' || $2::int) ELSE payout_utr END,
                                failure_reason = CASE WHEN $1 = 'FAILED' THEN 'Bank timeout' ELSE failure_reason END,
                                held_from = CASE WHEN $1 = 'ON_HOLD' THEN 'APPROVED' END
                         WHERE id = (SELECT batch_id FROM settlement_items ORDER BY random() LIMIT 1)",
                    )
                    .bind(status)
                    .bind(rng.below(90) as i32)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                6 => {
                    // Items given back (as a reject does), or moved into another batch.
                    if rng.below(2) == 0 {
                        sqlx::query(
                            "DELETE FROM settlement_items WHERE batch_id = (SELECT batch_id FROM settlement_items ORDER BY random() LIMIT 1)",
                        )
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    } else {
                        sqlx::query(
                            "UPDATE settlement_items SET batch_id = (SELECT id FROM settlement_batches ORDER BY random() LIMIT 1)
                             WHERE transaction_id IN (SELECT transaction_id FROM settlement_items ORDER BY random() LIMIT 3)",
                        )
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    }
                }
                7 => {
                    let status = rng.pick(&["open", "investigating", "escalated", "resolved", "wont_fix"]);
                    sqlx::query(
                        "UPDATE exceptions SET status = $1, severity = $2,
                                resolved_at = CASE WHEN $1 IN ('resolved', 'wont_fix') THEN now() END,
                                snoozed_until = NULL, pg_amount_paise = coalesce(pg_amount_paise, 0) + 1
                         WHERE id IN (SELECT id FROM exceptions ORDER BY random() LIMIT 4)",
                    )
                    .bind(status)
                    .bind(rng.pick(&["LOW", "MEDIUM", "HIGH", "CRITICAL"]))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                8 => {
                    sqlx::query(
                        "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, cycle_date, transaction_id)
                         SELECT 'EXC-20990101-' || lpad(nextval('exception_number_seq')::text, 6, '0'), 'AMOUNT_MISMATCH', 'HIGH',
                                now(), t.amount_paise, t.cycle_date, t.id
                         FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.transaction_id = t.id)
                         ORDER BY random() LIMIT 3",
                    )
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                9 => {
                    sqlx::query(
                        "DELETE FROM exceptions WHERE id IN (SELECT e.id FROM exceptions e
                         WHERE NOT EXISTS (SELECT 1 FROM exception_actions a WHERE a.exception_id = e.id)
                           AND NOT EXISTS (SELECT 1 FROM exception_comments c WHERE c.exception_id = e.id)
                         ORDER BY random() LIMIT 1)",
                    )
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
                _ => {
                    // Work that is rolled back leaves the rollups as they were.
                    sqlx::query("UPDATE transactions SET status = 'EXCEPTION', amount_paise = amount_paise * 2")
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    sqlx::query("DELETE FROM settlement_items").execute(&mut *tx).await.unwrap();
                    tx.rollback().await.unwrap();
                    continue;
                }
            }
            tx.commit().await.unwrap();
            if step % 7 == 3 {
                // The server's compaction folds the deltas into the base: the answer stays the same.
                let folded: i64 = sqlx::query_scalar("SELECT rollup_compact()").fetch_one(&pool).await.unwrap();
                assert!(folded >= 0);
            }
            if step % 10 == 9 {
                let diff = differences(&pool).await;
                assert!(diff.is_empty(), "seed {seed}, step {step} (op {op}): {diff:#?}");
            }
        }
        let diff = differences(&pool).await;
        assert!(diff.is_empty(), "seed {seed}: {diff:#?}");
    }
    // After a compaction no delta is left, and the rollups still equal the ledger.
    sqlx::query("SELECT rollup_compact()").execute(&pool).await.unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM txn_daily_delta) + (SELECT count(*) FROM exception_daily_delta)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert!(differences(&pool).await.is_empty());
}

/// Seconds to payment summed over the rollup's keys of paid batches.
async fn rollup_paid_seconds(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(paid_seconds), 0)::bigint FROM txn_daily WHERE batch_status = 'PAID'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A transaction in a paid batch whose status, time, amount, acquirer and method change one at a
/// time leaves its old key with its count, amount and seconds to payment and joins the new key with
/// them (the update trigger's sums, migration `txn_rollup_update_aggregates_once`): the random
/// operations above reach this only by chance.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_paid_transaction_changing_key_moves_its_seconds_to_payment(pool: PgPool) {
    settlepaisa_ops::demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    assert!(differences(&pool).await.is_empty(), "the demo data's rollups are exact");
    let (id, status): (i64, String) = sqlx::query_as(
        "SELECT t.id, t.status FROM transactions t
         JOIN settlement_items si ON si.transaction_id = t.id
         JOIN settlement_batches b ON b.id = si.batch_id
         WHERE b.status = 'PAID' AND t.acquirer IS NOT NULL
         ORDER BY t.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("the demo has paid batches");
    let before = rollup_paid_seconds(&pool).await;
    let other = if status == "EXCEPTION" { "RECONCILED" } else { "EXCEPTION" };
    let changes: [(&str, Option<&str>); 6] = [
        ("UPDATE transactions SET status = $2 WHERE id = $1", Some(other)),
        ("UPDATE transactions SET txn_at = txn_at - interval '1 hour' WHERE id = $1", None),
        ("UPDATE transactions SET amount_paise = amount_paise + 100 WHERE id = $1", None),
        ("UPDATE transactions SET acquirer = NULL WHERE id = $1", None),
        (
            "UPDATE transactions SET payment_method = CASE WHEN payment_method = 'UPI' THEN 'CARD' ELSE 'UPI' END
             WHERE id = $1",
            None,
        ),
        ("UPDATE transactions SET status = $2 WHERE id = $1", Some(status.as_str())),
    ];
    for (sql, value) in changes {
        let mut query = sqlx::query(sql).bind(id);
        if let Some(value) = value {
            query = query.bind(value);
        }
        query.execute(&pool).await.unwrap();
        let diff = differences(&pool).await;
        assert!(diff.is_empty(), "after {sql} ({value:?}): {diff:#?}");
    }
    // Still counted in its paid batch, an hour further from its payment: 3,600 seconds more, once.
    assert_eq!(rollup_paid_seconds(&pool).await, before + 3600);
}

/// The real product's writers (a recon run over uploaded files, exception work, a batch run,
/// approvals, payment, failure and rejection) keep the rollups exact: the other suites' scenarios
/// end with the same check (`common::assert_rollups_exact`); here, the demo load itself, which
/// writes through every table.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_demo_load_leaves_exact_rollups(pool: PgPool) {
    settlepaisa_ops::demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    common::assert_rollups_exact(&pool).await;
    let (rollup, raw): (i64, i64) =
        sqlx::query_as("SELECT (SELECT sum(txn_count)::bigint FROM txn_daily), (SELECT count(*) FROM transactions)")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rollup, raw);
}

/// Every Overview widget of the demo data against SQL over the same window, for two windows.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn overview_widgets_equal_sql_ground_truth(pool: PgPool) {
    let app = demo_app(&pool).await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let today = ist::today(Utc::now());
    for days in [7, 30] {
        let from = today - Duration::days(days - 1);
        let body = app.get(&format!("/api/overview/overview?from={from}&to={today}"), Some(&finance)).await.json();
        // Open exceptions by severity and the top reasons.
        let by_sev: Vec<(String, i64)> = sqlx::query_as(
            "SELECT severity::text, count(*) FROM exceptions
             WHERE cycle_date BETWEEN $1 AND $2 AND status IN ('open', 'investigating', 'snoozed', 'escalated') GROUP BY 1",
        )
        .bind(from)
        .bind(today)
        .fetch_all(&pool)
        .await
        .unwrap();
        for sev in ["CRITICAL", "HIGH", "MEDIUM", "LOW"] {
            let want = by_sev.iter().find(|(s, _)| s == sev).map_or(0, |(_, n)| *n);
            assert_eq!(body["exceptions"]["bySeverity"][sev], want, "{days} d {sev}");
        }
        let total: i64 = by_sev.iter().map(|(_, n)| n).sum();
        assert_eq!(body["kpis"]["openExceptions"], total, "{days} d: the tile is the sum of the severities");
        let reasons: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT reason_code, count(*), sum(coalesce(pg_amount_paise, bank_amount_paise, 0))::bigint FROM exceptions
             WHERE cycle_date BETWEEN $1 AND $2 AND status IN ('open', 'investigating', 'snoozed', 'escalated')
             GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT 5",
        )
        .bind(from)
        .bind(today)
        .fetch_all(&pool)
        .await
        .unwrap();
        let top = body["exceptions"]["topReasons"].as_array().unwrap();
        assert!(!reasons.is_empty(), "the demo has open exceptions");
        assert_eq!(top.len(), reasons.len(), "{days} d");
        for (got, (code, n, paise)) in top.iter().zip(&reasons) {
            assert_eq!((got["code"].as_str().unwrap(), got["count"].as_i64().unwrap()), (code.as_str(), *n));
            assert_eq!(got["amountPaise"], *paise);
        }
        // Disputes received in the window.
        let (start, end) = ist::day_range(from, today);
        let (open, evidence): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE stage = 'UNDER_REVIEW') FROM chargebacks
             WHERE status = 'OPEN' AND received_at >= $1 AND received_at < $2",
        )
        .bind(start)
        .bind(end)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (body["disputes"]["open"].as_i64(), body["disputes"]["evidenceRequired"].as_i64()),
            (Some(open), Some(evidence))
        );
        assert_eq!(body["disputes"]["open"], body["kpis"]["openChargebacks"], "the summary and the tile agree");
        // Connectors: every one, with a health of spec 5.1.
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM connectors ORDER BY name").fetch_all(&pool).await.unwrap();
        let got: Vec<&str> =
            body["connectors"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(got, names.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(body["connectors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| ["OK", "LAGGING", "FAILING"].contains(&c["health"].as_str().unwrap())));
        // The pipeline: each bucket is exactly the explorer's count for the same window and bucket,
        // and the four settlement buckets add up to captured.
        let p = &body["pipeline"];
        for b in PipelineBucket::ALL {
            let list = app
                .get(
                    &format!("/api/recon/v1/transactions?from={from}&to={today}&bucket={}&limit=1", b.param()),
                    Some(&finance),
                )
                .await
                .json();
            assert_eq!(
                (list["total"].clone(), list["totalExact"].clone()),
                (p[b.param()].clone(), Value::Bool(true)),
                "{days} d {b:?}"
            );
            let sql: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM transactions t LEFT JOIN settlement_items si ON si.transaction_id = t.id
                 LEFT JOIN settlement_batches b ON b.id = si.batch_id
                 WHERE t.cycle_date BETWEEN $1 AND $2 AND coalesce(b.status, '') = ANY($3)",
            )
            .bind(from)
            .bind(today)
            .bind(b.batch_statuses())
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(p[b.param()], sql, "{days} d {b:?} against SQL");
        }
        assert!(body["settlements"]["netPaidPaise"].as_i64().is_some(), "finance sees the settlement tiles");
        // Analytics for the same window: settled is Overview's credited, and settled + not yet paid
        // is captured, to the paisa.
        let a = app.get(&format!("/api/analytics/v1/summary?from={from}&to={today}"), Some(&finance)).await.json();
        assert_eq!(a["kpis"]["settledCount"], p["credited"], "{days} d");
        assert_eq!(a["kpis"]["settledPaise"], p["amounts"]["credited"]["amountPaise"], "{days} d");
        assert_eq!(a["funnel"]["captured"], p["captured"], "{days} d");
        assert_eq!(a["funnel"]["reconciled"], body["kpis"]["reconciled"], "{days} d");
        let captured_paise =
            a["kpis"]["settledPaise"].as_i64().unwrap() + a["kpis"]["unsettledPaise"].as_i64().unwrap();
        assert_eq!(captured_paise, body["kpis"]["totalPaise"].as_i64().unwrap(), "{days} d");
    }
}

/// Finance tiles only for finance and admin; every role reads the pages and the APIs; nobody
/// signed out does.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn role_rules(pool: PgPool) {
    let app = demo_app(&pool).await;
    for (email, finance_tiles) in [
        ("ops@settlepaisa.test", false),
        ("finance@settlepaisa.test", true),
        ("compliance@settlepaisa.test", false),
        ("auditor@settlepaisa.test", false),
        ("admin@settlepaisa.test", true),
    ] {
        let cookie = demo_cookie(&app, email).await;
        let body = app.get("/api/overview/overview?range=30d", Some(&cookie)).await.json();
        assert_eq!(body.get("settlements").is_some(), finance_tiles, "{email}");
        let page = app.get("/overview", Some(&cookie)).await;
        assert_eq!(page.body.contains("data-testid=\"kpi-net-paid\""), finance_tiles, "{email}");
        for path in
            ["/analytics", "/transactions", "/api/analytics/v1/summary?range=7d", "/api/recon/v1/transactions?limit=5"]
        {
            assert_eq!(app.get(path, Some(&cookie)).await.status, StatusCode::OK, "{email} {path}");
        }
    }
    for path in ["/api/analytics/v1/summary", "/api/recon/v1/transactions", "/api/analytics/v1/charts/gmv.csv"] {
        assert_eq!(app.get(path, None).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(app.get("/transactions", None).await.status, StatusCode::SEE_OTHER);
}

/// The explorer's API against SQL on the demo data: each single filter's total and rows, the
/// detail's links, the CSV's rows, and bad input refused in words.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_explorer_agrees_with_sql(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "ops@settlepaisa.test").await;
    let today = ist::today(Utc::now());
    let (merchant, utr, txn_id): (String, String, String) =
        sqlx::query_as("SELECT merchant_id, utr, txn_id FROM transactions WHERE utr IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let week = format!("from={}&to={today}", today - Duration::days(6));
    let cases: Vec<(String, String)> = vec![
        (String::new(), "TRUE".into()),
        (week.clone(), format!("t.cycle_date BETWEEN '{}' AND '{today}'", today - Duration::days(6))),
        (format!("merchantId={merchant}"), format!("t.merchant_id = '{merchant}'")),
        ("acquirer=HDFC".into(), "t.acquirer = 'HDFC'".into()),
        ("method=CARD".into(), "t.payment_method = 'CARD'".into()),
        ("status=PAID".into(), "l.status = 'PAID'".into()),
        ("status=SETTLED".into(), "l.status = 'SETTLED'".into()),
        ("status=EXCEPTION".into(), "l.status = 'EXCEPTION'".into()),
        ("status=RECONCILED".into(), "l.status = 'RECONCILED'".into()),
        ("minPaise=100000&maxPaise=500000".into(), "t.amount_paise BETWEEN 100000 AND 500000".into()),
        (format!("q={}", utr.to_lowercase()), format!("t.utr = '{utr}'")),
        (format!("q={txn_id}"), format!("t.txn_id = '{txn_id}'")),
    ];
    for (params, sql) in cases {
        let want: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT t.txn_id FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id
             WHERE {sql} ORDER BY t.cycle_date DESC, t.id DESC"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        let body = app.get(&format!("/api/recon/v1/transactions?{params}&limit=500"), Some(&cookie)).await.json();
        assert_eq!(body["total"], want.len() as i64, "{params}");
        let got: Vec<&str> =
            body["transactions"].as_array().unwrap().iter().map(|t| t["txnId"].as_str().unwrap()).collect();
        assert_eq!(got, want.iter().take(500).map(String::as_str).collect::<Vec<_>>(), "{params}");
        assert!(!want.is_empty(), "{params}: the demo has such transactions");
    }
    // Paging through a filter seven rows at a time (each page read from the days the rollup says
    // hold it) gives exactly the SQL order, newest first and oldest first.
    for (dir, order) in [("desc", "DESC"), ("asc", "ASC")] {
        let want: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT t.txn_id FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id
             WHERE l.status = 'PAID' ORDER BY t.cycle_date {order}, t.id {order}"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut got = Vec::new();
        let mut offset = 0;
        loop {
            let body = app
                .get(
                    &format!("/api/recon/v1/transactions?status=PAID&dir={dir}&limit=7&offset={offset}"),
                    Some(&cookie),
                )
                .await
                .json();
            let rows = body["transactions"].as_array().unwrap();
            got.extend(rows.iter().map(|t| t["txnId"].as_str().unwrap().to_string()));
            offset += 7;
            if !body["hasMore"].as_bool().unwrap() {
                break;
            }
        }
        assert_eq!(got, want, "{dir}");
    }
    // Amount order, ascending.
    let body = app.get("/api/recon/v1/transactions?sort=amount&dir=asc&limit=20", Some(&cookie)).await.json();
    let amounts: Vec<i64> =
        body["transactions"].as_array().unwrap().iter().map(|t| t["amountPaise"].as_i64().unwrap()).collect();
    assert!(amounts.windows(2).all(|w| w[0] <= w[1]), "{amounts:?}");
    // A paid transaction's life links to its batch; an exception's to the exception; a
    // chargeback's to the case.
    let (paid, batch): (String, Uuid) = sqlx::query_as(
        "SELECT t.txn_id, b.id FROM transactions t JOIN settlement_items si ON si.transaction_id = t.id
         JOIN settlement_batches b ON b.id = si.batch_id WHERE b.status = 'PAID' AND b.bank_account_id IS NOT NULL
         ORDER BY t.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let life = app.get(&format!("/api/recon/v1/transactions/{paid}"), Some(&cookie)).await.json();
    assert_eq!(
        (life["status"].as_str(), life["settlement"]["batchId"].as_str()),
        (Some("PAID"), Some(batch.to_string().as_str()))
    );
    assert!(!life["results"].as_array().unwrap().is_empty(), "a paid transaction was matched by a run");
    // Every PG-side result of it, whichever run wrote it (the page reads them through its cycle's runs).
    let runs: Vec<String> = sqlx::query_scalar(
        "SELECT r.run_id::text FROM recon_results r JOIN recon_runs rr ON rr.id = r.run_id
         WHERE r.side = 'pg' AND r.transaction_id = (SELECT id FROM transactions WHERE txn_id = $1)
         ORDER BY rr.queued_at DESC, r.id DESC",
    )
    .bind(&paid)
    .fetch_all(&pool)
    .await
    .unwrap();
    let shown: Vec<&str> = life["results"].as_array().unwrap().iter().map(|r| r["runId"].as_str().unwrap()).collect();
    assert_eq!(shown, runs, "its results, newest run first");
    assert!(life["bankLine"]["amountPaise"].as_i64().is_some(), "and has its bank line");
    let page = app.get(&format!("/transactions/{paid}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("href=\"/settlements/{batch}\"")));
    // The payout account's number is on no explorer page or answer (the ledger keeps no customer
    // e-mail or phone at all).
    let account: String = sqlx::query_scalar(
        "SELECT a.account_number FROM settlement_batches b JOIN merchant_bank_accounts a ON a.id = b.bank_account_id WHERE b.id = $1",
    )
    .bind(batch)
    .fetch_one(&pool)
    .await
    .unwrap();
    let raw = app.get(&format!("/api/recon/v1/transactions/{paid}"), Some(&cookie)).await;
    assert!(!page.body.contains(&account) && !raw.body.contains(&account), "no account number shown");
    let (exc_txn, exc): (String, String) = sqlx::query_as(
        "SELECT t.txn_id, e.id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id ORDER BY e.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let page = app.get(&format!("/transactions/{exc_txn}"), Some(&cookie)).await;
    assert!(page.body.contains(&format!("href=\"/exceptions/{exc}\"")), "links to its exception");
    let (cb_txn, cb): (String, Uuid) = sqlx::query_as(
        "SELECT t.txn_id, c.id FROM chargebacks c JOIN transactions t ON t.id = c.transaction_id ORDER BY c.received_at LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let page = app.get(&format!("/transactions/{cb_txn}"), Some(&cookie)).await;
    assert!(page.body.contains(&format!("href=\"/disputes/{cb}\"")), "links to its chargeback");
    assert_eq!(app.get("/api/recon/v1/transactions/NO-SUCH-TXN", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    // The CSV holds the same rows as the list.
    let csv = app.get(&format!("/api/recon/v1/transactions.csv?{week}&status=PAID"), Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let list = app.get(&format!("/api/recon/v1/transactions?{week}&status=PAID&limit=500"), Some(&cookie)).await.json();
    assert_eq!(csv.body.lines().count() as i64 - 1, list["total"].as_i64().unwrap());
    // Bad input: a sentence and a 400, on the API and the page.
    for bad in
        ["status=LOST", "bucket=sent", "from=2026-11-10&to=2026-11-01", "minPaise=-5", "method=CHEQUE", "limit=0"]
    {
        let r = app.get(&format!("/api/recon/v1/transactions?{bad}"), Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let page = app.get("/transactions?status=LOST", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Unknown status"));
}

// ---- Analytics on a hand-made fixture ----

/// 10:00 IST on a date.
fn ist_at(day: &str, hour: u32) -> DateTime<Utc> {
    ist::at(d(day), chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap())
}

async fn fixture_txn(pool: &PgPool, id: &str, day: &str, paise: i64, mode: &str, acquirer: &str, status: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, status)
         VALUES ($1, 'MFIX', $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id)
    .bind(paise)
    .bind(ist_at(day, 10))
    .bind(d(day))
    .bind(mode)
    .bind(acquirer)
    .bind(status)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn fixture_batch(pool: &PgPool, day: &str, status: &str, paid_at: Option<DateTime<Utc>>, txns: &[i64]) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, commission_paise,
                gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail, paid_at, payout_utr,
                failure_reason)
         VALUES ($1, 'FIX-' || $2::text, 'MFIX', $2::text::date, $3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'NEFT', $4,
                 CASE WHEN $3::text = 'PAID' THEN 'UTRFIX' || replace($2::text, '-', '') END,
                 CASE WHEN $3::text = 'FAILED' THEN 'Bank timeout' END)",
    )
    .bind(id)
    .bind(day)
    .bind(status)
    .bind(paid_at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
         SELECT $1, t.id, t.amount_paise, 0, 0, 0, 0, t.amount_paise, 'merchant', t.txn_id, t.txn_at, t.payment_method,
                t.acquirer, t.utr, t.rrn
         FROM transactions t WHERE t.id = ANY($2)",
    )
    .bind(id)
    .bind(txns)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// The worked example: windows of 3 days (1–3 Dec) against (28–30 Nov), at 12:00 IST on 3 Dec.
///
/// | txn | day    | ₹   | mode | bank  | status     | batch                    |
/// | A1  | 1 Dec  | 100 | UPI  | HDFC  | RECONCILED | PAID 2 Dec 10:00 (24 h)  |
/// | A2  | 1 Dec  | 300 | CARD | AXIS  | RECONCILED | PAID 2 Dec 10:00 (24 h)  |
/// | A3  | 2 Dec  | 200 | UPI  | HDFC  | RECONCILED | APPROVED                 |
/// | A4  | 2 Dec  | 400 | UPI  | AXIS  | EXCEPTION  | —                        |
/// | A5  | 3 Dec  | 500 | CARD | HDFC  | PENDING    | —                        |
/// | P1  | 29 Nov | 100 | UPI  | HDFC  | RECONCILED | PAID 1 Dec 10:00 (48 h)  |
/// | P2  | 30 Nov | 100 | UPI  | HDFC  | RECONCILED | FAILED (transfer failed) |
///
/// This window: captured 5 / ₹1,500; settled (paid) 2 / ₹400; unsettled 3 / ₹1,100; rate
/// 40.00 %; average 24.00 h. Previous: captured 2 / ₹200, settled 1 / ₹100, rate 50.00 %,
/// 48.00 h. Funnel 5 → 3 → 3 → 2. Modes: UPI 3 (60.00 %) ₹700 (46.67 %), CARD 2 (40.00 %) ₹800
/// (53.33 %). Match rate: 1 Dec 100.00, 2 Dec 50.00, 3 Dec 0.00. Ageing (exceptions raised 1 h,
/// exactly 24 h, 71 h and exactly 7 days before now): < 24 h 1, 1–3 d 2, 3–7 d 0, > 7 d 1 (a
/// boundary belongs to the older bucket); an hour later 1 / 1 / 1 / 1. Payout failures (of this
/// window's batches only): BANK_TIMEOUT 2, ACCOUNT_CLOSED 1 → 66.67 %, 100.00 %.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn analytics_worked_example(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MFIX', 'Fixture', 'Fixture Pvt Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    let a1 = fixture_txn(&pool, "A1", "2026-12-01", 100_00, "UPI", "HDFC", "RECONCILED").await;
    let a2 = fixture_txn(&pool, "A2", "2026-12-01", 300_00, "CARD", "AXIS", "RECONCILED").await;
    let a3 = fixture_txn(&pool, "A3", "2026-12-02", 200_00, "UPI", "HDFC", "RECONCILED").await;
    let a4 = fixture_txn(&pool, "A4", "2026-12-02", 400_00, "UPI", "AXIS", "EXCEPTION").await;
    fixture_txn(&pool, "A5", "2026-12-03", 500_00, "CARD", "HDFC", "PENDING").await;
    let p1 = fixture_txn(&pool, "P1", "2026-11-29", 100_00, "UPI", "HDFC", "RECONCILED").await;
    let p2 = fixture_txn(&pool, "P2", "2026-11-30", 100_00, "UPI", "HDFC", "RECONCILED").await;
    let paid = fixture_batch(&pool, "2026-12-01", "PAID", Some(ist_at("2026-12-02", 10)), &[a1, a2]).await;
    let approved = fixture_batch(&pool, "2026-12-02", "APPROVED", None, &[a3]).await;
    fixture_batch(&pool, "2026-11-29", "PAID", Some(ist_at("2026-12-01", 10)), &[p1]).await;
    let failed = fixture_batch(&pool, "2026-11-30", "FAILED", None, &[p2]).await;
    for (batch, code) in
        [(paid, "BANK_TIMEOUT"), (paid, "ACCOUNT_CLOSED"), (approved, "BANK_TIMEOUT"), (failed, "INVALID_IFSC")]
    {
        sqlx::query(
            "INSERT INTO settlement_transfers (batch_id, rail, amount_paise, status, failure_reason, failure_code)
             VALUES ($1, 'NEFT', 100, 'FAILED', 'returned', $2)",
        )
        .bind(batch)
        .bind(code)
        .execute(&pool)
        .await
        .unwrap();
    }
    let now = ist_at("2026-12-03", 12);
    // A4's exception, raised an hour ago; three bank-side ones (a line each, HDFC's).
    sqlx::query(
        "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, cycle_date, transaction_id, created_at)
         VALUES ('EXC-20261202-000001', 'AMOUNT_MISMATCH', 'HIGH', $1, 100, '2026-12-02', $2, $1 - interval '1 hour')",
    )
    .bind(now)
    .bind(a4)
    .execute(&pool)
    .await
    .unwrap();
    for n in 2..=4 {
        let line: i64 = sqlx::query_scalar(
            "INSERT INTO bank_statement_lines (natural_key, bank_name, amount_paise, direction, txn_date, cycle_date)
             VALUES ($1, 'HDFC Bank', 100, 'CREDIT', '2026-12-02', '2026-12-02') RETURNING id",
        )
        .bind(format!("fixture-{n}"))
        .fetch_one(&pool)
        .await
        .unwrap();
        let hours = [0, 0, 24, 71, 168][n];
        sqlx::query(
            "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, bank_amount_paise, cycle_date, bank_line_id, acquirer, created_at)
             VALUES ($1, 'BANK_TXN_MISSING_IN_PG', 'HIGH', $2, 100, '2026-12-02', $3, 'HDFC', $2 - make_interval(hours => $4))",
        )
        .bind(format!("EXC-20261202-00000{n}"))
        .bind(now)
        .bind(line)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
    }
    common::assert_rollups_exact(&pool).await;
    let mut app = TestApp::new(pool.clone());
    let clock = Arc::new(ManualClock::new(now));
    app.state = app.state.with(|s| s.clock = clock.clone());
    app.clock = clock.clone();
    app.create_user("analyst@t.test", &[Role::Ops]).await;
    let cookie = app.session_for("analyst@t.test").await;
    let s = app.get("/api/analytics/v1/summary?from=2026-12-01&to=2026-12-03", Some(&cookie)).await.json();
    assert_eq!(s["window"]["from"], "2026-12-01");
    assert_eq!(
        (s["previousWindow"]["from"].as_str(), s["previousWindow"]["to"].as_str()),
        (Some("2026-11-28"), Some("2026-11-30"))
    );
    let k = &s["kpis"];
    assert_eq!((k["settledCount"].as_i64(), k["settledPaise"].as_i64()), (Some(2), Some(400_00)));
    assert_eq!((k["unsettledCount"].as_i64(), k["unsettledPaise"].as_i64()), (Some(3), Some(1_100_00)));
    assert_eq!((k["settlementRate"].as_str(), k["avgSettlementHours"].as_str()), (Some("40.00"), Some("24.00")));
    let pk = &s["previousKpis"];
    assert_eq!((pk["settledCount"].as_i64(), pk["unsettledCount"].as_i64()), (Some(1), Some(1)));
    assert_eq!((pk["settlementRate"].as_str(), pk["avgSettlementHours"].as_str()), (Some("50.00"), Some("48.00")));
    assert_eq!(s["funnel"], serde_json::json!({"captured": 5, "reconciled": 3, "batched": 3, "paid": 2}));
    let modes = s["modes"].as_array().unwrap();
    assert_eq!(
        (modes[0]["mode"].as_str(), modes[0]["count"].as_i64(), modes[0]["amountPaise"].as_i64()),
        (Some("UPI"), Some(3), Some(700_00))
    );
    assert_eq!((modes[0]["countShare"].as_str(), modes[0]["amountShare"].as_str()), (Some("60.00"), Some("46.67")));
    assert_eq!((modes[1]["mode"].as_str(), modes[1]["amountShare"].as_str()), (Some("CARD"), Some("53.33")));
    let rates: Vec<&str> = s["matchRate"].as_array().unwrap().iter().map(|m| m["rate"].as_str().unwrap()).collect();
    assert_eq!(rates, ["100.00", "50.00", "0.00"]);
    assert_eq!(s["ageing"], serde_json::json!({"lt24h": 1, "d1to3": 2, "d3to7": 0, "gt7d": 1}));
    let failures = s["payoutFailures"].as_array().unwrap();
    let pareto: Vec<(&str, i64, &str, &str)> = failures
        .iter()
        .map(|f| {
            (
                f["reason"].as_str().unwrap(),
                f["count"].as_i64().unwrap(),
                f["owner"].as_str().unwrap(),
                f["cumulativePct"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(pareto, [("BANK_TIMEOUT", 2, "bank", "66.67"), ("ACCOUNT_CLOSED", 1, "beneficiary", "100.00")]);
    let gmv = s["gmv"].as_array().unwrap();
    assert_eq!(gmv.len(), 3);
    // 3 Dec's 7-day window (27 Nov – 3 Dec) captured ₹1,500 + ₹200 = ₹1,700 → 24,286 paise a day
    // (170,000 ÷ 7 = 24,285.7, half up); settled ₹500 → 7,143.
    assert_eq!(
        (gmv[2]["capturedAvg7Paise"].as_i64(), gmv[2]["settledAvg7Paise"].as_i64()),
        (Some(24_286), Some(7_143))
    );
    assert_eq!(
        (gmv[0]["capturedPaise"].as_i64(), gmv[0]["settledPaise"].as_i64(), gmv[0]["count"].as_i64()),
        (Some(400_00), Some(400_00), Some(2))
    );
    // Filters: HDFC only → A1, A3, A5 (₹800), one settled.
    let h =
        app.get("/api/analytics/v1/summary?from=2026-12-01&to=2026-12-03&acquirer=hdfc", Some(&cookie)).await.json();
    assert_eq!((h["kpis"]["settledCount"].as_i64(), h["kpis"]["unsettledPaise"].as_i64()), (Some(1), Some(700_00)));
    assert_eq!(
        h["ageing"],
        serde_json::json!({"lt24h": 0, "d1to3": 2, "d3to7": 0, "gt7d": 1}),
        "the bank-side ones are HDFC's"
    );
    let card = app.get("/api/analytics/v1/summary?from=2026-12-01&to=2026-12-03&mode=CARD", Some(&cookie)).await.json();
    assert_eq!(card["funnel"], serde_json::json!({"captured": 2, "reconciled": 1, "batched": 1, "paid": 1}));
    assert_eq!(card["ageing"], serde_json::json!({"lt24h": 0, "d1to3": 0, "d3to7": 0, "gt7d": 0}), "A4 is UPI");
    // An hour later the 71-hour exception is 72 hours old: it moves to 3–7 days.
    clock.advance(Duration::hours(1));
    let cookie = app.session_for("analyst@t.test").await;
    let later = app.get("/api/analytics/v1/summary?from=2026-12-01&to=2026-12-03", Some(&cookie)).await.json();
    assert_eq!(later["ageing"], serde_json::json!({"lt24h": 1, "d1to3": 1, "d3to7": 1, "gt7d": 1}));
    // The page draws every chart on the server, each with a title and a description, and each
    // chart's CSV holds the rows of its table.
    let page = app.get("/analytics?from=2026-12-01&to=2026-12-03", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for chart in ["gmv", "modes", "funnel", "payout-failures", "match-rate", "ageing"] {
        assert!(page.body.contains(&format!("aria-labelledby=\"{chart}-t {chart}-d\"")), "{chart} is drawn");
        let csv = app
            .get(&format!("/api/analytics/v1/charts/{chart}.csv?from=2026-12-01&to=2026-12-03"), Some(&cookie))
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{chart}");
        let table = page
            .body
            .split(&format!("data-testid=\"{chart}-table\""))
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap();
        let rows = table.matches("<tr").count() - 1;
        assert_eq!(csv.body.lines().count() - 1, rows, "{chart}: the CSV has the table's rows");
    }
    assert!(page.body.contains("40.00 %"), "the settlement rate tile");
    assert!(page.body.contains("-10.00 pp vs previous window"), "its delta in points");
}

/// The explorer's first page uses an index for every single filter on 200,000 transactions, and
/// the count of a rollup-shaped filter never reads `transactions`.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn explorer_plans_at_scale(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) SELECT 'MX' || g, 'M' || g, 'M' || g FROM generate_series(1, 200) g")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr, status)
         SELECT 'X' || g, 'MX' || (1 + g % 200), 100 + (g * 7919) % 1000000, '2026-09-01'::timestamptz + g * interval '30 seconds',
                '2026-09-01'::date + g / 2500, (ARRAY['UPI','CARD','NETBANKING','WALLET'])[1 + g % 4],
                (ARRAY['HDFC','ICICI','AXIS','SBI','KOTAK'])[1 + g % 5], 'UTRX' || g,
                CASE WHEN g % 20 = 0 THEN 'EXCEPTION' WHEN g % 33 = 0 THEN 'PENDING' ELSE 'RECONCILED' END
         FROM generate_series(1, 200000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let filters = [
        Filter::default(),
        Filter { from: Some(d("2026-10-01")), to: Some(d("2026-10-07")), ..Default::default() },
        Filter { merchant_id: Some("MX42".into()), ..Default::default() },
        Filter { acquirer: Some("AXIS".into()), ..Default::default() },
        Filter { method: Some("CARD".into()), ..Default::default() },
        Filter { status: Some(Lifecycle::Exception), ..Default::default() },
        Filter { bucket: Some(PipelineBucket::Unsettled), ..Default::default() },
        Filter { q: Some("UTRX777".into()), ..Default::default() },
        Filter {
            min: Some(settlepaisa_ops::money::Paise(500_000)),
            max: Some(settlepaisa_ops::money::Paise(501_000)),
            ..Default::default()
        },
    ];
    for f in &filters {
        for sort in [Sort::default(), Sort { key: SortKey::Amount, desc: true }] {
            let plan = explorer::explain_list(&pool, f, sort, 51).await.unwrap();
            assert!(!plan.contains("Seq Scan on transactions"), "{f:?} {sort:?}:\n{plan}");
        }
    }
    let count =
        explorer::count(&pool, &Filter { status: Some(Lifecycle::Reconciled), ..Default::default() }).await.unwrap();
    let sql: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE status = 'RECONCILED'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((count.count, count.exact), (sql, true), "the rollup counts exactly");
    let capped = explorer::count(&pool, &Filter { min: Some(settlepaisa_ops::money::Paise(0)), ..Default::default() })
        .await
        .unwrap();
    assert_eq!((capped.count, capped.exact), (10_000, false), "past the cap: \"more than 10,000\"");
}
