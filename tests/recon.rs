//! Reconciliation against real Postgres: the layouts the product ships are stored in the database
//! exactly as the parser knows them.

use settlepaisa_ops::features::recon::ingest::{shipped_mappings, BankMapping};
use sqlx::PgPool;

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_shipped_bank_layouts_are_in_the_database(pool: PgPool) {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        String,
        String,
        i16,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    )> = sqlx::query_as(
        "SELECT bank_code, layout_name, file_type, delimiter, header_row, date_format, reference_column,
                gross_amount_column, net_amount_column, txn_date_column, value_date_column, utr_column, rrn_column,
                direction_column, remarks_column, amounts_in
         FROM bank_column_mappings ORDER BY bank_code, layout_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut stored: Vec<BankMapping> = rows
        .into_iter()
        .map(|r| BankMapping {
            bank_code: r.0,
            layout_name: r.1,
            file_type: r.2,
            delimiter: r.3.as_bytes()[0],
            header_row: r.4 as usize,
            date_format: r.5,
            reference_column: r.6,
            gross_amount_column: r.7,
            net_amount_column: r.8,
            txn_date_column: r.9,
            value_date_column: r.10,
            utr_column: r.11,
            rrn_column: r.12,
            direction_column: r.13,
            remarks_column: r.14,
            amounts_in_paise: r.15 == "paise",
        })
        .collect();
    let mut shipped = shipped_mappings();
    let key = |m: &BankMapping| (m.bank_code.clone(), m.layout_name.clone());
    stored.sort_by_key(key);
    shipped.sort_by_key(key);
    assert_eq!(stored, shipped);
    for bank in ["AXIS", "HDFC", "ICICI", "SBI", "BOB"] {
        assert!(shipped.iter().any(|m| m.bank_code == bank), "{bank} has a layout");
    }
}

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use settlepaisa_ops::{demo, ist};

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_checklist_recon_calls(pool: PgPool) {
    demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    let app = common::TestApp::new(pool.clone());
    let reply = app.login("auditor@settlepaisa.test", demo::DEMO_PASSWORD).await;
    let cookie = reply.session_cookie().unwrap();

    let types = app.get("/api/recon/exceptions/v1/types", Some(&cookie)).await.json();
    let list = types["types"].as_array().unwrap();
    assert_eq!(list.len(), 11, "the checklist's count");
    for t in list {
        for field in ["code", "label", "description", "severity", "slaHours", "resolution"] {
            assert!(!t[field].is_null(), "{field} in {t}");
        }
    }
    assert_eq!(list[0]["code"], "BANK_FILE_MISSING");
    assert_eq!(list[0]["slaHours"], 2);
    assert_eq!(types["extensions"][0]["code"], "FEES_VARIANCE");

    // The summary of the last 7 days agrees with SQL over the same cycle dates.
    let s = app.get("/api/recon/summary", Some(&cookie)).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    let s = s.json();
    let today = ist::today(Utc::now());
    let (n, open): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM transactions WHERE cycle_date BETWEEN $1 AND $2),
                (SELECT count(*) FROM exceptions WHERE cycle_date BETWEEN $1 AND $2 AND status NOT IN ('resolved', 'wont_fix'))",
    )
    .bind(today - Duration::days(6))
    .bind(today)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(n > 0);
    assert_eq!(s["transactions"]["count"], n);
    assert_eq!(s["exceptions"]["count"], open);
    assert!(s["matched"]["count"].as_i64().unwrap() > 0);
    assert_eq!(s["from"], (today - Duration::days(6)).to_string());
    assert!(s["lastRun"]["id"].is_string());
    assert_eq!(app.get("/api/recon/summary?from=2026-13-01", Some(&cookie)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/recon/summary", None).await.status, StatusCode::UNAUTHORIZED);
}

/// The demo data was generated *for* intended outcomes (spec 08); the real engine, run on each
/// demo cycle's rows, must classify every PG row as the demo's recon results say.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_engine_agrees_with_the_demo_outcomes(pool: PgPool) {
    use settlepaisa_ops::features::recon::engine::{reconcile, BankLine, PgRow, Settings};
    demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    let cycles: Vec<(chrono::NaiveDate,)> =
        sqlx::query_as("SELECT DISTINCT cycle_date FROM transactions ORDER BY 1").fetch_all(&pool).await.unwrap();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for (cycle,) in cycles {
        #[allow(clippy::type_complexity)]
        let txns: Vec<(i64, String, String, Option<String>, i64, Option<String>, Option<String>, chrono::DateTime<Utc>, Option<i64>, Option<i64>)> =
            sqlx::query_as(
                "SELECT id, txn_id, merchant_id, acquirer, amount_paise, utr, rrn, txn_at, bank_fee_paise, expected_settlement_paise
                 FROM transactions WHERE cycle_date = $1",
            )
            .bind(cycle)
            .fetch_all(&pool)
            .await
            .unwrap();
        let lines: Vec<(String, i64, Option<String>, chrono::NaiveDate, String)> = sqlx::query_as(
            "SELECT natural_key, amount_paise, utr, txn_date, direction FROM bank_statement_lines WHERE cycle_date = $1",
        )
        .bind(cycle)
        .fetch_all(&pool)
        .await
        .unwrap();
        let pg: Vec<PgRow> = txns
            .iter()
            .map(|t| PgRow {
                txn_id: t.1.clone(),
                merchant_id: t.2.clone(),
                acquirer: t.3.clone(),
                amount_paise: t.4,
                utr: t.5.clone(),
                rrn: t.6.clone(),
                date: ist::date_of(t.7),
                bank_fee_paise: t.8,
                expected_settlement_paise: t.9,
            })
            .collect();
        let bank: Vec<BankLine> = lines
            .iter()
            .map(|l| BankLine {
                key: l.0.clone(),
                amount_paise: l.1,
                utr: l.2.clone(),
                date: l.3,
                credit: l.4 == "CREDIT",
            })
            .collect();
        let outcome = reconcile(&pg, &bank, &Settings::default());
        for r in &outcome.pg {
            let (id, txn_id) = (txns[r.pg].0, &txns[r.pg].1);
            let expected: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT class, reason_code FROM recon_results WHERE side = 'pg' AND transaction_id = $1
                 ORDER BY run_id DESC LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&pool)
            .await
            .unwrap();
            let Some((class, reason)) = expected else { continue };
            compared += 1;
            let got = (r.class.code().to_string(), r.reason.map(|x| x.code().to_string()));
            if got != (class.clone(), reason.clone()) {
                disagreements.push(format!("{cycle} {txn_id}: demo {class}/{reason:?}, engine {}/{:?}", got.0, got.1));
            }
        }
    }
    assert!(compared > 600, "compared {compared} PG rows");
    assert!(disagreements.is_empty(), "{} of {compared} disagree:\n{}", disagreements.len(), disagreements.join("\n"));
}
