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
    // Issue 11's columns (a tuple of more than 16 does not decode).
    #[allow(clippy::type_complexity)]
    let extra: std::collections::HashMap<(String, String), (Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as::<_, (String, String, Option<String>, Option<String>, Option<String>)>(
            "SELECT bank_code, layout_name, status_column, bank_name_column, charges_columns FROM bank_column_mappings",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(b, l, s, n, c)| ((b, l), (s, n, c)))
        .collect();
    let mut stored: Vec<BankMapping> = rows
        .into_iter()
        .map(|r| BankMapping {
            status_column: extra[&(r.0.clone(), r.1.clone())].0.clone(),
            bank_name_column: extra[&(r.0.clone(), r.1.clone())].1.clone(),
            charges_columns: extra[&(r.0.clone(), r.1.clone())].2.clone(),
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
use chrono::{Duration, NaiveDate, Utc};
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
    use settlepaisa_ops::money::Paise;
    demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    let cycles: Vec<(chrono::NaiveDate,)> =
        sqlx::query_as("SELECT DISTINCT cycle_date FROM transactions ORDER BY 1").fetch_all(&pool).await.unwrap();
    let mut disagreements = Vec::new();
    let mut compared = 0;
    let mut runs_compared = 0;
    for (cycle,) in cycles {
        #[allow(clippy::type_complexity)]
        let txns: Vec<(i64, String, String, Option<String>, Paise, Option<String>, Option<String>, chrono::DateTime<Utc>, Option<Paise>, Option<Paise>)> =
            sqlx::query_as(
                "SELECT id, txn_id, merchant_id, acquirer, amount_paise, utr, rrn, txn_at, bank_fee_paise, expected_settlement_paise
                 FROM transactions WHERE cycle_date = $1",
            )
            .bind(cycle)
            .fetch_all(&pool)
            .await
            .unwrap();
        #[allow(clippy::type_complexity)]
        let lines: Vec<(String, Paise, Option<String>, chrono::NaiveDate, String, Option<Paise>)> = sqlx::query_as(
            "SELECT natural_key, amount_paise, utr, txn_date, direction, net_paise FROM bank_statement_lines WHERE cycle_date = $1",
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
                amount: t.4,
                utr: t.5.clone(),
                rrn: t.6.clone(),
                date: ist::date_of(t.7),
                bank_fee: t.8,
                expected_settlement: t.9,
            })
            .collect();
        let bank: Vec<BankLine> = lines
            .iter()
            .map(|l| BankLine {
                key: l.0.clone(),
                amount: l.1,
                net: l.5,
                utr: l.2.clone(),
                date: l.3,
                credit: l.4 == "CREDIT",
            })
            .collect();
        let outcome = reconcile(&pg, &bank, &Settings::default()).unwrap();
        // The demo's run of the cycle shows the counts the engine gives.
        let c = outcome.counts();
        let stored: Option<(i32, i32, i32, i32, i32, i32)> = sqlx::query_as(
            "SELECT pg_rows, bank_rows, matched, exceptions, unmatched_pg, unmatched_bank FROM recon_runs
             WHERE cycle_date = $1 AND superseded_by IS NULL",
        )
        .bind(cycle)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(stored) = stored {
            let engine = (c.pg_rows, c.bank_rows, c.pg_matched, c.pg_exceptions, c.unmatched_pg, c.unmatched_bank);
            let stored = (
                stored.0 as usize,
                stored.1 as usize,
                stored.2 as usize,
                stored.3 as usize,
                stored.4 as usize,
                stored.5 as usize,
            );
            if stored != engine {
                disagreements.push(format!("{cycle} run counts: demo {stored:?}, engine {engine:?}"));
            }
            runs_compared += 1;
        }
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
    assert!(runs_compared >= 25, "compared {runs_compared} runs");
    assert!(disagreements.is_empty(), "{} of {compared} disagree:\n{}", disagreements.len(), disagreements.join("\n"));
}

const PG_HEADER: &str =
    "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n";
const BANK_HEADER: &str = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n";

async fn post_upload(
    app: &common::TestApp,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> common::Reply {
    post_multipart(app, "/api/recon/v1/uploads", cookie, fields, file).await
}

async fn post_multipart(
    app: &common::TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> common::Reply {
    common::post_multipart(app, path, cookie, fields, file).await
}

/// An upload's answer's counts: rows accepted, rejected and skipped.
fn row_counts(report: &serde_json::Value) -> (Option<i64>, Option<i64>, Option<i64>) {
    (report["rowsAccepted"].as_i64(), report["rowsRejected"].as_i64(), report["rowsSkipped"].as_i64())
}

async fn table_counts(pool: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM uploaded_files), (SELECT count(*) FROM transactions),
                (SELECT count(*) FROM bank_statement_lines), (SELECT count(*) FROM upload_row_errors)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn ops_app(pool: &PgPool) -> (common::TestApp, String) {
    demo::seed(pool, ist::today(Utc::now())).await.unwrap();
    let app = common::TestApp::new(pool.clone());
    let cookie = app.login("ops@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    (app, cookie)
}

/// The uploads kept in the object store.
async fn kept_uploads(app: &common::TestApp) -> Vec<String> {
    use futures::TryStreamExt;
    let prefix = object_store::path::Path::from("uploads");
    let mut keys: Vec<String> =
        app.state.objects.list(Some(&prefix)).map_ok(|m| m.location.to_string()).try_collect().await.unwrap();
    keys.sort();
    keys
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_large_file_streams_in_and_fields_may_come_in_any_order(pool: PgPool) {
    use sha2::Digest;
    let (app, ops) = ops_app(&pool).await;
    let before = table_counts(&pool).await;
    // 40,000 rows (about 3 MB: several chunks of the request and of COPY), one bad row among them.
    let mut pg = String::from(PG_HEADER);
    for i in 0..40_000 {
        let amount = if i == 20_000 { "abc".to_string() } else { format!("{}.{:02}", 100 + i % 900, i % 100) };
        pg.push_str(&format!(
            "ST-{i:06},MERCH_00{},{amount},INR,2026-11-20,10:00:00,UPI,STUTR{i:06},,SUCCESS\n",
            1 + i % 3
        ));
    }
    let fields = [("kind", "pg"), ("cycleDate", "2026-11-20")];
    let reply = post_upload(&app, &ops, &fields, Some(("big.csv", pg.as_bytes()))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let r = reply.json();
    assert_eq!((r["rowsAccepted"].as_i64(), r["rowsRejected"].as_i64()), (Some(39_999), Some(1)));
    assert_eq!(r["errors"][0]["line"], 20_002, "the header is line 1");
    let after = table_counts(&pool).await;
    assert_eq!(after.1 - before.1, 39_999);
    let total: i64 = sqlx::query_scalar("SELECT sum(amount_paise)::bigint FROM transactions WHERE txn_id LIKE 'ST-%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let expected: i64 = (0..40_000i64).filter(|i| *i != 20_000).map(|i| (100 + i % 900) * 100 + i % 100).sum();
    assert_eq!(total, expected, "every paisa of every row");
    // The bytes kept are the bytes sent, and the recorded size and hash are theirs.
    let (key, size, sha): (String, i64, String) =
        sqlx::query_as("SELECT storage_key, size_bytes, sha256 FROM uploaded_files WHERE id = $1::uuid")
            .bind(r["fileId"].as_str().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    let kept = app.state.objects.get(&key.as_str().into()).await.unwrap().bytes().await.unwrap();
    assert_eq!(kept.as_ref(), pg.as_bytes());
    assert_eq!(size as usize, pg.len());
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(pg.as_bytes())));
    assert_eq!(kept_uploads(&app).await.len(), 1);

    // The file before the other fields (read whole first): the same outcome.
    let small = format!("{PG_HEADER}FF-1,MERCH_001,10.00,INR,2026-11-20,10:00:00,UPI,FFUTR1,,SUCCESS\n");
    let boundary = "----file-first";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"first.csv\"\r\n\r\n{small}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npg\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"cycleDate\"\r\n\r\n2026-11-20\r\n--{boundary}--\r\n"
    );
    let req = axum::http::Request::post("/api/recon/v1/uploads")
        .header(axum::http::header::HOST, common::HOST)
        .header(axum::http::header::ORIGIN, common::ORIGIN)
        .header(axum::http::header::COOKIE, &ops)
        .header(axum::http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["rowsAccepted"], 1);
    assert_eq!(kept_uploads(&app).await.len(), 2);

    // Refused files and duplicates keep nothing, in the database or the object store.
    let counts = table_counts(&pool).await;
    let bad = format!("{PG_HEADER}BAD-1,MERCH_001,-5,INR,2026-11-20,10:00:00,UPI,X,,SUCCESS\n");
    let refused = post_upload(&app, &ops, &fields, Some(("bad.csv", bad.as_bytes()))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let again = post_upload(&app, &ops, &fields, Some(("again.csv", pg.as_bytes()))).await;
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(table_counts(&pool).await, counts);
    assert_eq!(kept_uploads(&app).await.len(), 2);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_preview_reads_the_start_of_a_file_and_stores_nothing(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let before = table_counts(&pool).await;
    let path = "/api/recon/v1/uploads/preview";
    // The start of a bigger file, cut in the middle of a row, as the page sends it.
    let mut pg = String::from(PG_HEADER);
    for i in 1..=8 {
        pg.push_str(&format!("PV-{i},MERCH_002,{i}0.50,INR,2026-11-20,09:00:00,NB,PVUTR{i},,SUCCESS\n"));
    }
    let cut = &pg.as_bytes()[..pg.len() - 20];
    let reply = post_multipart(&app, path, &ops, &[("kind", "pg"), ("sampled", "true")], Some(("pg.csv", cut))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let p = reply.json();
    assert_eq!(p["format"], "PG simple");
    assert_eq!(p["sampled"], true);
    assert_eq!(p["rows"].as_array().unwrap().len(), 5);
    assert_eq!(p["rows"][0]["line"], 2);
    assert_eq!(p["rows"][0]["cells"][2], "₹10.50");
    assert_eq!(p["rows"][4]["cells"][4], "NETBANKING");

    // A layout named in the form: an AXIS file read with the AXIS layout; a wrong choice refused
    // with the columns it lacks.
    let axis =
        "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\nAX-9~1,500.00~20-11-2026~20-11-2026~U9~CR~x\n";
    let named = [("kind", "bank"), ("mapping", "AXIS MIS (tilde .txt)")];
    let reply = post_multipart(&app, path, &ops, &named, Some(("axis.txt", axis.as_bytes()))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["format"], "AXIS MIS (tilde .txt) (AXIS)");
    assert_eq!(reply.json()["rows"][0]["cells"][2], "₹1,500.00");
    let wrong = post_multipart(
        &app,
        path,
        &ops,
        &[("kind", "bank"), ("mapping", "bank_v1")],
        Some(("axis.txt", axis.as_bytes())),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.json()["message"].as_str().unwrap().contains("lacks the column(s)"), "{}", wrong.body);

    assert_eq!(table_counts(&pool).await, before, "a preview stores nothing");
    assert!(kept_uploads(&app).await.is_empty());

    // Only those who may upload may preview.
    let finance = app.login("finance@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let reply = post_multipart(&app, path, &finance, &[("kind", "pg")], Some(("pg.csv", cut))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn uploads_are_idempotent_and_report_bad_rows(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let before = table_counts(&pool).await;
    let pg = format!(
        "{PG_HEADER}UP-T1,MERCH_001,\"1,500.00\",INR,2026-11-20,10:00:00,UPI,UPUTR1,,SUCCESS\n\
         UP-T2,MERCH_002,250.50,INR,20/11/2026,11:00,CARD,UPUTR2,,SUCCESS\n\
         UP-T3,MERCH_003,99,INR,2026-11-20,,UPI,UPUTR3,,SUCCESS\n\
         UP-T4,MERCH_003,-1,INR,2026-11-20,,UPI,UPUTR4,,SUCCESS\n\
         UP-T5,NO BODY,10,INR,2026-11-20,,UPI,UPUTR5,,SUCCESS\n"
    );
    let fields = [("kind", "pg"), ("cycleDate", "2026-11-20")];
    let first = post_upload(&app, &ops, &fields, Some(("pg.csv", pg.as_bytes()))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let r = first.json();
    assert_eq!(
        (r["rowsAccepted"].as_i64(), r["rowsRejected"].as_i64(), r["duplicate"].as_bool()),
        (Some(3), Some(2), Some(false))
    );
    assert_eq!(r["format"], "PG simple");
    assert_eq!(r["errors"][0]["line"], 5);
    assert_eq!(r["errors"][0]["column"], "Amount");
    assert_eq!(r["errors"][1]["line"], 6);
    // A code that cannot be a merchant's is refused (one that could is accepted and flagged unknown:
    // tests/layouts.rs).
    assert!(r["errors"][1]["message"].as_str().unwrap().contains("\"NO BODY\" cannot be a merchant code"), "{r}");
    let after = table_counts(&pool).await;
    assert_eq!((after.0 - before.0, after.1 - before.1, after.3 - before.3), (1, 3, 2));
    let amount: i64 = sqlx::query_scalar("SELECT amount_paise FROM transactions WHERE txn_id = 'UP-T1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(amount, 150000);

    // The same file again: nothing changes, and the answer says so.
    let again = post_upload(&app, &ops, &fields, Some(("renamed.csv", pg.as_bytes()))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(again.json()["fileId"], r["fileId"]);
    assert_eq!(table_counts(&pool).await, after);

    // A different file repeating known rows upserts them, never duplicates them.
    let overlap = format!("{PG_HEADER}UP-T1,MERCH_001,1600.00,INR,2026-11-20,10:00:00,UPI,UPUTR1,,SUCCESS\n");
    assert_eq!(
        post_upload(&app, &ops, &fields, Some(("fix.csv", overlap.as_bytes()))).await.status,
        StatusCode::CREATED
    );
    assert_eq!(table_counts(&pool).await.1, after.1, "no new transaction row");
    let amount: i64 = sqlx::query_scalar("SELECT amount_paise FROM transactions WHERE txn_id = 'UP-T1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(amount, 160000, "a pending transaction is corrected");

    // Bank lines, the AXIS tilde layout, a debit among them.
    let axis = "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\nAX-1~1,500.00~20-11-2026~20-11-2026~UPUTR1~CR~credit\nAX-2~10.00~20-11-2026~~~DR~charges\n";
    let bank =
        post_upload(&app, &ops, &[("kind", "bank"), ("cycleDate", "2026-11-20")], Some(("axis.txt", axis.as_bytes())))
            .await;
    assert_eq!(bank.status, StatusCode::CREATED, "{}", bank.body);
    assert_eq!(bank.json()["rowsAccepted"], 2);
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT natural_key FROM bank_statement_lines WHERE bank_ref LIKE 'AX-%' ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(keys, vec!["AXIS:AX-1", "AXIS:AX-2"]);

    // Roles without recon rights are refused.
    let auditor = app.login("auditor@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    assert_eq!(
        post_upload(&app, &auditor, &fields, Some(("x.csv", pg.as_bytes()))).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The latest audit row of an action: actor e-mail, target id, outcome and what it recorded.
async fn last_audit(pool: &PgPool, action: &str) -> (Option<String>, Option<String>, String, serde_json::Value) {
    sqlx::query_as(
        "SELECT actor_email, target_id, outcome, after FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn uploads_and_run_starts_are_audited(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let pg = format!(
        "{PG_HEADER}AU-T1,MERCH_001,100.00,INR,2026-11-20,10:00,UPI,AUUTR1,,SUCCESS\n\
         AU-T2,NO BODY,10,INR,2026-11-20,,UPI,AUUTR2,,SUCCESS\n"
    );
    let fields = [("kind", "pg"), ("cycleDate", "2026-11-20")];
    let first = post_upload(&app, &ops, &fields, Some(("audited.csv", pg.as_bytes()))).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let file_id = first.json()["fileId"].as_str().unwrap().to_string();
    let (actor, target, outcome, after) = last_audit(&pool, "recon.upload").await;
    assert_eq!(
        (actor.as_deref(), target.as_deref(), outcome.as_str()),
        (Some("ops@settlepaisa.test"), Some(file_id.as_str()), "success")
    );
    assert_eq!(
        after,
        serde_json::json!({ "kind": "pg", "cycleDate": "2026-11-20", "fileName": "audited.csv",
                            "rowsAccepted": 1, "rowsRejected": 1, "rowsSkipped": 0, "unknownMerchants": [],
                            "amountUnit": "rupees", "duplicate": false })
    );

    // The same file again stores nothing, and its row says it was a duplicate.
    let again = post_upload(&app, &ops, &fields, Some(("again.csv", pg.as_bytes()))).await;
    assert_eq!(again.json()["duplicate"], true);
    let uploads: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'recon.upload'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(uploads, 2);
    let (_, target, _, after) = last_audit(&pool, "recon.upload").await;
    assert_eq!(target.as_deref(), Some(file_id.as_str()));
    assert_eq!((after["fileName"].as_str(), after["duplicate"].as_bool()), (Some("again.csv"), Some(true)));

    let started = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": "2026-11-20" })).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let run_id = started.json()["id"].as_str().unwrap().to_string();
    let (actor, target, outcome, after) = last_audit(&pool, "recon.run.start").await;
    assert_eq!(
        (actor.as_deref(), target.as_deref(), outcome.as_str()),
        (Some("ops@settlepaisa.test"), Some(run_id.as_str()), "success")
    );
    assert_eq!(after, serde_json::json!({ "cycleDate": "2026-11-20", "source": "manual" }));
}

/// At least thirty malformed files: each refused with a clear message, and nothing written.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_corpus_of_malformed_files_is_refused_whole(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let pg_row = |amount: &str, date: &str, method: &str, id: &str| {
        format!("{id},MERCH_001,{amount},INR,{date},,{method},U1,,SUCCESS\n")
    };
    let good = pg_row("10", "2026-11-20", "UPI", "C1");
    let long_id = "X".repeat(300);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(PG_HEADER.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    // (what, kind, bytes, forced format, what the message must say)
    type Case<'a> = (&'a str, &'a str, Vec<u8>, Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        ("empty", "pg", b"".to_vec(), None, "empty"),
        ("blank lines", "pg", b"\n\n  \n".to_vec(), None, "empty"),
        ("header only", "pg", PG_HEADER.as_bytes().to_vec(), None, "no data rows"),
        ("header and blank lines", "pg", format!("{PG_HEADER}\n,,,\n\n").into_bytes(), None, "no data rows"),
        ("latin-1 rupee sign", "pg", [PG_HEADER.as_bytes(), b"C1,MERCH_001,\xa3100,INR,2026-11-20,,UPI,U1,,S\n"].concat(), None, "not UTF-8"),
        ("UTF-16", "pg", utf16, None, "not UTF-8"),
        ("an image", "pg", png.to_vec(), None, "not UTF-8"),
        ("unknown header", "pg", b"foo,bar\n1,2\n".to_vec(), None, "not a known PG layout"),
        ("missing amount column", "pg", b"Transaction ID,Merchant ID,Currency,Transaction Date,Payment Method\nC1,MERCH_001,INR,2026-11-20,UPI\n".to_vec(), None, "not a known PG layout"),
        ("a bank file as PG", "pg", format!("{BANK_HEADER}R1,HDFC,10,2026-11-20,,U1,,CR\n").into_bytes(), None, "not a known PG layout"),
        ("wrong delimiter in the rows", "pg", format!("{PG_HEADER}C1;MERCH_001;10;INR;2026-11-20;;UPI;U1;;S\n").into_bytes(), None, "None of the file's 1 rows"),
        ("negative amounts", "pg", format!("{PG_HEADER}{}", pg_row("-10", "2026-11-20", "UPI", "C1")).into_bytes(), None, "negative"),
        ("zero amount", "pg", format!("{PG_HEADER}{}", pg_row("0", "2026-11-20", "UPI", "C1")).into_bytes(), None, "more than zero"),
        ("non-numeric amount", "pg", format!("{PG_HEADER}{}", pg_row("ten", "2026-11-20", "UPI", "C1")).into_bytes(), None, "not a rupee amount"),
        ("three decimals", "pg", format!("{PG_HEADER}{}", pg_row("1.005", "2026-11-20", "UPI", "C1")).into_bytes(), None, "two decimals"),
        ("amount in exponent form", "pg", format!("{PG_HEADER}{}", pg_row("1e3", "2026-11-20", "UPI", "C1")).into_bytes(), None, "not a rupee amount"),
        ("impossible date", "pg", format!("{PG_HEADER}{}", pg_row("10", "2026-02-30", "UPI", "C1")).into_bytes(), None, "not a date"),
        ("month 13", "pg", format!("{PG_HEADER}{}", pg_row("10", "2026-13-01", "UPI", "C1")).into_bytes(), None, "not a date"),
        ("words for a date", "pg", format!("{PG_HEADER}{}", pg_row("10", "yesterday", "UPI", "C1")).into_bytes(), None, "not a date"),
        ("unknown payment method", "pg", format!("{PG_HEADER}{}", pg_row("10", "2026-11-20", "CHEQUE", "C1")).into_bytes(), None, "is not UPI"),
        ("formula injection", "pg", format!("{PG_HEADER}{}", pg_row("10", "2026-11-20", "UPI", "=cmd|' /C calc'!A0")).into_bytes(), None, "spreadsheet formula"),
        ("huge field", "pg", format!("{PG_HEADER}{}", pg_row("10", "2026-11-20", "UPI", &long_id)).into_bytes(), None, "longer than 256"),
        ("not a merchant code", "pg", format!("{PG_HEADER}C1,NO BODY,10,INR,2026-11-20,,UPI,U1,,S\n").into_bytes(), None, "cannot be a merchant code"),
        ("bad currency", "pg", format!("{PG_HEADER}C1,MERCH_001,10,RUPEES,2026-11-20,,UPI,U1,,S\n").into_bytes(), None, "not a currency code"),
        ("fractional paise in V2", "pg", b"pg_txn_id,merchant_id,utr,amount_paise,fee_paise,tax_paise,net_paise,status,payment_method,bank,created_at,settled_at\nV1,MERCH_001,U1,100.5,,,,S,UPI,HDFC,2026-11-20,\n".to_vec(), None, "whole, non-negative number of paise"),
        ("forced format lacks columns", "pg", format!("{PG_HEADER}{good}").into_bytes(), Some("pg_v2"), "lacks the column"),
        ("forced format unknown", "pg", format!("{PG_HEADER}{good}").into_bytes(), Some("no such layout"), "No format or bank layout"),
        ("forced bank format for PG", "pg", format!("{PG_HEADER}{good}").into_bytes(), Some("bank_simple"), "is not a PG format"),
        ("a zip that is not a workbook", "pg", b"PK\x03\x04garbage-not-a-zip".to_vec(), None, "cannot be opened"),
        ("bank: empty", "bank", b"".to_vec(), None, "empty"),
        ("bank: unknown header", "bank", b"ref,amt\n1,2\n".to_vec(), None, "not a known bank layout"),
        ("bank: neither credit nor debit", "bank", format!("{BANK_HEADER}R1,HDFC,10,2026-11-20,,U1,,SIDEWAYS\n").into_bytes(), None, "neither CREDIT nor DEBIT"),
        ("bank: zero amount", "bank", format!("{BANK_HEADER}R1,HDFC,0.00,2026-11-20,,U1,,CR\n").into_bytes(), None, "more than zero"),
        ("bank: bad date", "bank", format!("{BANK_HEADER}R1,HDFC,10,20.11.2026,,U1,,CR\n").into_bytes(), None, "not a date"),
    ];
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let before = table_counts(&pool).await;
    for (name, kind, bytes, mapping, expected) in &cases {
        let mut fields = vec![("kind", *kind), ("cycleDate", "2026-11-20")];
        if let Some(m) = mapping {
            fields.push(("mapping", m));
        }
        let reply = post_upload(&app, &ops, &fields, Some(("file.csv", bytes))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}: {}", reply.body);
        let message = reply.json()["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(expected), "{name}: {message:?} should say {expected:?}");
        assert_eq!(table_counts(&pool).await, before, "{name}: nothing written");
    }
    // The form itself: no kind, no or a bad cycle date, no file.
    let file = Some(("f.csv", good.as_bytes()));
    for (fields, expected) in [
        (vec![("cycleDate", "2026-11-20")], "kind must be pg or bank"),
        (vec![("kind", "pg")], "cycleDate must be a date"),
        (vec![("kind", "pg"), ("cycleDate", "2026-13-01")], "cycleDate must be a date"),
    ] {
        let reply = post_upload(&app, &ops, &fields, file).await;
        assert!(reply.json()["message"].as_str().unwrap().contains(expected), "{}", reply.body);
    }
    let no_file = post_upload(&app, &ops, &[("kind", "pg"), ("cycleDate", "2026-11-20")], None).await;
    assert!(no_file.json()["message"].as_str().unwrap().contains("Attach the file"));

    // Over the size limit (a small limit for the test): refused with the limit in the message.
    let mut config = settlepaisa_ops::config::Config::for_tests("postgres://unused");
    config.upload_max_bytes = 1024 * 1024;
    let small = common::TestApp::with_config(pool.clone(), config);
    let big = format!("{PG_HEADER}{}", good.repeat(40_000));
    let reply =
        post_upload(&small, &ops, &[("kind", "pg"), ("cycleDate", "2026-11-20")], Some(("big.csv", big.as_bytes())))
            .await;
    assert!(matches!(reply.status, StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE), "{}", reply.status);
    assert!(reply.body.contains("1 MB"), "{}", reply.body);
    assert_eq!(table_counts(&pool).await, before);

    // Over the row limit (10 rows for the test): refused whole, nothing written.
    let mut config = settlepaisa_ops::config::Config::for_tests("postgres://unused");
    config.upload_max_rows = 10;
    let few = common::TestApp::with_config(pool.clone(), config);
    let rows = |n: usize| (0..n).map(|i| pg_row("10", "2026-11-20", "UPI", &format!("ROWS-{i}"))).collect::<String>();
    let eleven = format!("{PG_HEADER}{}", rows(11));
    let ten = format!("{PG_HEADER}{}", rows(10));
    let fields = [("kind", "pg"), ("cycleDate", "2026-11-20")];
    let reply = post_upload(&few, &ops, &fields, Some(("eleven.csv", eleven.as_bytes()))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("more than 10 data rows"), "{}", reply.body);
    assert_eq!(table_counts(&pool).await, before);
    let reply = post_upload(&few, &ops, &fields, Some(("ten.csv", ten.as_bytes()))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["rowsAccepted"], 10);
}

async fn json_post(app: &common::TestApp, cookie: &str, path: &str, body: serde_json::Value) -> common::Reply {
    common::json_request(app, "POST", path, cookie, body).await
}

const CYCLE: &str = "2026-01-15";

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_run_matches_persists_and_a_rerun_keeps_worked_exceptions(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let cycle = [("cycleDate", CYCLE)];
    let pg = format!(
        "{PG_HEADER}R-T1,MERCH_001,100.00,INR,2026-01-15,10:00,UPI,RUTR1,,SUCCESS\n\
         R-T2,MERCH_001,200.00,INR,2026-01-15,10:00,UPI,RUTR2,,SUCCESS\n\
         R-T3,MERCH_002,300.00,INR,2026-01-15,10:00,UPI,RUTR3,,SUCCESS\n\
         R-T4,MERCH_002,400.00,INR,2026-01-15,10:00,UPI,,,SUCCESS\n"
    );
    let bank = format!(
        "{BANK_HEADER}RB1,HDFC,100.00,2026-01-15,,rutr1,,CR\nRB2,HDFC,199.99,2026-01-16,,RUTR2,,CR\nRB9,HDFC,50.00,2026-01-16,,RUTR9,,CR\n"
    );
    let up = |kind: &'static str, name: &'static str, body: String| {
        let app = &app;
        let ops = ops.clone();
        async move { post_upload(app, &ops, &[("kind", kind), cycle[0]], Some((name, body.as_bytes()))).await }
    };
    assert_eq!(up("pg", "pg.csv", pg).await.status, StatusCode::CREATED);
    assert_eq!(up("bank", "bank.csv", bank).await.status, StatusCode::CREATED);

    let started = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": CYCLE })).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.json()["id"].as_str().unwrap().to_string();
    let again = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": CYCLE })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one live run per cycle");
    let queued = app.get(&format!("/api/recon/v1/runs/{id}"), Some(&ops)).await.json();
    assert_eq!(queued["status"], "queued");

    // The background worker takes it.
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let run = app.get(&format!("/api/recon/v1/runs/{id}"), Some(&ops)).await.json();
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["progressPct"], 100);
    assert_eq!(run["counts"]["pgRows"], 4);
    assert_eq!(run["counts"]["bankRows"], 3);
    assert_eq!(run["counts"]["matched"], 1);
    assert_eq!(run["counts"]["unmatchedPg"], 1);
    assert_eq!(run["counts"]["unmatchedBank"], 1);
    assert_eq!(
        run["byReason"],
        serde_json::json!({"BANK_TXN_MISSING_IN_PG": 1, "PG_TXN_MISSING_IN_BANK": 1, "ROUNDING_ERROR": 1, "UTR_MISSING_OR_INVALID": 1})
    );
    // Amounts are stored on the run as it is persisted: R-T1 matched (₹100), R-T2 and R-T4 in
    // exceptions (₹200 + ₹400), R-T3 unmatched (₹300), the bank-only line ₹50.
    assert_eq!(
        run["amounts"],
        serde_json::json!({"matchedPaise": 10000, "exceptionsPaise": 60000, "unmatchedPgPaise": 30000, "unmatchedBankPaise": 5000})
    );
    let listed = settlepaisa_ops::features::recon::runs::recent_runs(&pool, 20).await.unwrap();
    let listed = listed.iter().find(|r| r.id.to_string() == id).expect("the run is listed");
    assert_eq!(serde_json::to_value(listed).unwrap(), run, "the runs list shows the run as its page does");
    // Classes conserve the PG rows (spec 2.2): 1 matched + 2 exceptions + 1 unmatched = 4; the
    // four exception records (by reason) also count the unmatched PG row and the bank-only line.
    assert_eq!(run["counts"]["exceptions"], 2);

    let all = app.get(&format!("/api/recon/v1/runs/{id}/results"), Some(&ops)).await.json();
    assert_eq!(all["total"], 5, "4 PG rows and the one bank-only line");
    let exceptions = app.get(&format!("/api/recon/v1/runs/{id}/results?class=EXCEPTION"), Some(&ops)).await.json();
    assert_eq!(exceptions["total"], 2);
    let rounding =
        exceptions["items"].as_array().unwrap().iter().find(|i| i["reasonCode"] == "ROUNDING_ERROR").unwrap();
    assert_eq!(
        (rounding["pgAmountPaise"].as_i64(), rounding["bankAmountPaise"].as_i64(), rounding["deltaPaise"].as_i64()),
        (Some(20000), Some(19999), Some(1))
    );
    assert_eq!(rounding["txnId"], "R-T2");
    assert_eq!(rounding["bankDate"], "2026-01-16");
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT txn_id, status FROM transactions WHERE txn_id LIKE 'R-T%' ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        statuses.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        vec!["RECONCILED", "EXCEPTION", "EXCEPTION", "EXCEPTION"]
    );
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM exceptions WHERE cycle_date = $1")
        .bind(chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(records, 4, "one record per exception or unmatched row");

    // An analyst works the PG-only exception of R-T3.
    let exc: String = sqlx::query_scalar(
        "SELECT e.id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE t.txn_id = 'R-T3'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let work = |id: String, body: serde_json::Value| {
        let (app, ops) = (&app, ops.clone());
        async move {
            let r = json_post(app, &ops, &format!("/api/recon/v1/exceptions/{id}/actions"), body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    };
    work(exc.clone(), serde_json::json!({ "action": "take" })).await;
    work(exc.clone(), serde_json::json!({ "action": "investigate", "note": "asked the bank" })).await;
    // …and the rounding exception of R-T2, which the re-run will not clear.
    let rounding_exc: String = sqlx::query_scalar(
        "SELECT e.id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE t.txn_id = 'R-T2'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    work(rounding_exc.clone(), serde_json::json!({ "action": "take" })).await;
    work(rounding_exc.clone(), serde_json::json!({ "action": "escalate", "note": "needs finance" })).await;
    work(rounding_exc.clone(), serde_json::json!({ "action": "comment", "note": "one paisa short" })).await;

    // Finance batches the cycle: R-T1 is the only reconciled payment.
    let finance = app.login("finance@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let batching =
        json_post(&app, &finance, "/api/settlements/v1/batches", serde_json::json!({ "cycleDate": CYCLE })).await;
    assert_eq!(batching.status, StatusCode::ACCEPTED, "{}", batching.body);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let job = batching.json()["jobId"].as_i64().unwrap();
    let report = app.get(&format!("/api/settlements/v1/jobs/{job}"), Some(&finance)).await.json();
    // ₹100 is below MERCH_001's minimum: carried forward, it waits in the settlement backlog.
    assert_eq!(
        (report["status"].as_str(), report["carriedForward"].as_i64()),
        (Some("completed"), Some(1)),
        "{report}"
    );

    // The late bank file brings R-T3's credit; the re-run supersedes, auto-resolves, keeps history.
    let late = format!("{BANK_HEADER}RB3,HDFC,300.00,2026-01-16,,RUTR3,,CR\n");
    assert_eq!(up("bank", "late.csv", late).await.status, StatusCode::CREATED);
    let rerun = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": CYCLE })).await.json();
    let rerun_id = rerun["id"].as_str().unwrap().to_string();
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let second = app.get(&format!("/api/recon/v1/runs/{rerun_id}"), Some(&ops)).await.json();
    assert_eq!(second["counts"]["matched"], 2);
    let first = app.get(&format!("/api/recon/v1/runs/{id}"), Some(&ops)).await.json();
    assert_eq!(first["supersededBy"], rerun_id.as_str());
    let (status, resolution): (String, Option<String>) =
        sqlx::query_as("SELECT status, resolution FROM exceptions WHERE id = $1")
            .bind(&exc)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), resolution.as_deref()), ("resolved", Some("AUTO_MATCHED")));
    let history: Vec<String> =
        sqlx::query_scalar("SELECT action FROM exception_actions WHERE exception_id = $1 ORDER BY id")
            .bind(&exc)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(history, vec!["take", "investigate", "auto_resolve"], "the analyst's actions are kept");
    // The exception the re-run still finds keeps its status, assignee and whole history.
    let d = app.get(&format!("/api/recon/v1/exceptions/{rounding_exc}"), Some(&ops)).await.json();
    assert_eq!((d["status"].as_str(), d["assignee"].as_str()), (Some("escalated"), Some("ops@settlepaisa.test")));
    assert_eq!(d["runId"], rerun_id.as_str(), "it now points at the run that found it last");
    let actions: Vec<&str> = d["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["take", "escalate", "comment"]);
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM exceptions WHERE cycle_date = '2026-01-15'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(records, 4, "re-runs update records, never duplicate them");
    let txn: String =
        sqlx::query_scalar("SELECT status FROM transactions WHERE txn_id = 'R-T3'").fetch_one(&pool).await.unwrap();
    assert_eq!(txn, "RECONCILED");
    // R-T3's page lists both runs' results for it, newest run first: unmatched, then matched.
    let life = app.get("/api/recon/v1/transactions/R-T3", Some(&ops)).await.json();
    let results: Vec<(&str, &str)> = life["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["runId"].as_str().unwrap(), r["class"].as_str().unwrap()))
        .collect();
    assert_eq!(results, [(rerun_id.as_str(), "MATCHED"), (id.as_str(), "UNMATCHED_PG")], "{life}");
    // Matched after its cycle was batched, R-T3 joins R-T1 in the settlement backlog: both go into
    // their merchant's next batch.
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT t.txn_id FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id
         WHERE t.txn_id LIKE 'R-T%' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(waiting, ["R-T1", "R-T3"]);

    // A cycle without PG rows fails with the reason; the auditor cannot start runs.
    let empty =
        json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": "2020-01-01" })).await.json();
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let failed = app.get(&format!("/api/recon/v1/runs/{}", empty["id"].as_str().unwrap()), Some(&ops)).await.json();
    assert_eq!(failed["status"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("No PG transactions"));
    let auditor = app.login("auditor@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    assert_eq!(
        json_post(&app, &auditor, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": CYCLE })).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap(), "the queue is empty");
    common::assert_rollups_exact(&pool).await;
}

/// A run of a cycle already batched puts its reconciled rupee transactions in no batch into the
/// settlement backlog, asking `settlement_cycle_batched` once per merchant and cycle among them,
/// not once per transaction (a call per row took 18 s of a re-run of a batched million-row cycle,
/// under the settlement lock). Checked on the statement's own plan: the node that asks is fed the
/// two merchants of the cycle, whatever the number of rows.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_rerun_of_a_batched_cycle_asks_once_per_merchant_whether_it_was_batched(pool: PgPool) {
    use settlepaisa_ops::domain::txn_status::BACKLOG_OF_RUN;
    let (app, ops) = ops_app(&pool).await;
    let cycle = "2026-01-20";
    let (mut pg, mut bank) = (PG_HEADER.to_string(), BANK_HEADER.to_string());
    for i in 0..40 {
        let merchant = if i % 2 == 0 { "MERCH_001" } else { "MERCH_002" };
        pg.push_str(&format!("BK-T{i},{merchant},{}.00,INR,{cycle},10:00,UPI,BKUTR{i},,SUCCESS\n", 100 + i));
        bank.push_str(&format!("BK-B{i},HDFC,{}.00,{cycle},,BKUTR{i},,CR\n", 100 + i));
    }
    for (kind, file, body) in [("pg", "pg.csv", &pg), ("bank", "bank.csv", &bank)] {
        let r = post_upload(&app, &ops, &[("kind", kind), ("cycleDate", cycle)], Some((file, body.as_bytes()))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let run = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": cycle })).await.json();
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let run_id: uuid::Uuid = run["id"].as_str().unwrap().parse().unwrap();
    let matched: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE txn_id LIKE 'BK-T%' AND status = 'RECONCILED'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(matched, 40);
    let backlog = |merchant: &'static str| {
        format!(
            "SELECT count(*) FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id
             WHERE t.txn_id LIKE 'BK-T%' AND t.merchant_id LIKE '{merchant}'"
        )
    };

    // Batched for one merchant only (a batch of MERCH_001's for the cycle, no completed run): its
    // 20 transactions join the backlog, MERCH_002's do not.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
                commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise,
                net_paise, rail)
         VALUES (gen_random_uuid(), 'BK-BATCH-1', 'MERCH_001', $1::date, 'CALCULATED', 0, 0, 0, 0, 0, 0, 0, 0, 0, 'NEFT')",
    )
    .bind(cycle)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(BACKLOG_OF_RUN).bind(run_id).execute(&mut *tx).await.unwrap();
    let one: i64 = sqlx::query_scalar(&backlog("MERCH_001")).fetch_one(&mut *tx).await.unwrap();
    let other: i64 = sqlx::query_scalar(&backlog("MERCH_002")).fetch_one(&mut *tx).await.unwrap();
    assert_eq!((one, other), (20, 0));
    tx.rollback().await.unwrap();

    // The cycle was batched meanwhile (its settlement run completed); its transactions are in no batch.
    sqlx::query("INSERT INTO settlement_runs (id, cycle_date, status) VALUES ($1, $2::date, 'completed')")
        .bind(uuid::Uuid::new_v4())
        .bind(cycle)
        .execute(&pool)
        .await
        .unwrap();

    let mut tx = pool.begin().await.unwrap();
    let (plan,): (serde_json::Value,) = sqlx::query_as(&format!("EXPLAIN (ANALYZE, FORMAT JSON) {BACKLOG_OF_RUN}"))
        .bind(run_id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    fn asking(node: &serde_json::Value, found: &mut Vec<(i64, i64, i64)>) {
        if node["Filter"].as_str().is_some_and(|f| f.contains("settlement_cycle_batched")) {
            let rows = node["Actual Rows"].as_i64().unwrap();
            let removed = node["Rows Removed by Filter"].as_i64().unwrap_or(0);
            found.push((rows, removed, node["Actual Loops"].as_i64().unwrap()));
        }
        for child in node["Plans"].as_array().into_iter().flatten() {
            asking(child, found);
        }
    }
    let mut found = Vec::new();
    asking(&plan[0]["Plan"], &mut found);
    assert_eq!(found, [(2, 0, 1)], "asked for the two merchants once each: {plan:#}");

    // Run for real, it fills the backlog with the run's 40.
    sqlx::query(BACKLOG_OF_RUN).bind(run_id).execute(&pool).await.unwrap();
    let waiting: i64 = sqlx::query_scalar(&backlog("%")).fetch_one(&pool).await.unwrap();
    assert_eq!(waiting, 40);
}

/// An exception's number is never cut short: past 999,999 it grows a digit (the id's CHECK allows
/// six or more) instead of repeating an earlier id, which would refuse every later run.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn exception_numbers_keep_every_digit_past_a_million(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let cycle = [("kind", "pg"), ("cycleDate", CYCLE)];
    // Three PG rows no bank line matches and one bank line no PG row matches: four records.
    let pg = format!(
        "{PG_HEADER}N-T1,MERCH_001,100.00,INR,2026-01-15,10:00,UPI,NUTR1,,SUCCESS\n\
         N-T2,MERCH_001,200.00,INR,2026-01-15,10:00,UPI,NUTR2,,SUCCESS\n\
         N-T3,MERCH_002,300.00,INR,2026-01-15,10:00,UPI,NUTR3,,SUCCESS\n"
    );
    let bank = format!("{BANK_HEADER}NB9,HDFC,50.00,2026-01-15,,NUTR9,,CR\n");
    let up = post_upload(&app, &ops, &cycle, Some(("pg.csv", pg.as_bytes()))).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    let up = post_upload(&app, &ops, &[("kind", "bank"), cycle[1]], Some(("bank.csv", bank.as_bytes()))).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    sqlx::query("SELECT setval('exception_number_seq', 999998)").execute(&pool).await.unwrap();

    let started = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": CYCLE })).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.json()["id"].as_str().unwrap().to_string();
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let run = app.get(&format!("/api/recon/v1/runs/{id}"), Some(&ops)).await.json();
    assert_eq!(run["status"], "completed", "{run}");

    let mut ids: Vec<String> = sqlx::query_scalar("SELECT id FROM exceptions WHERE cycle_date = $1")
        .bind(chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap())
        .fetch_all(&pool)
        .await
        .unwrap();
    ids.sort_by_key(|id| (id.len(), id.clone()));
    assert_eq!(
        ids,
        ["EXC-20260115-999999", "EXC-20260115-1000000", "EXC-20260115-1000001", "EXC-20260115-1000002"],
        "one number each, in full"
    );
    let last: i64 = sqlx::query_scalar("SELECT last_value FROM exception_number_seq").fetch_one(&pool).await.unwrap();
    assert_eq!(last, 1_000_002, "each record took one number");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_job_is_claimed_by_one_worker_only(pool: PgPool) {
    use settlepaisa_ops::jobs;
    let id = jobs::enqueue(&pool, "noop", &serde_json::json!({}), Some("only-one")).await.unwrap();
    assert!(id.is_some());
    assert!(
        jobs::enqueue(&pool, "noop", &serde_json::json!({}), Some("only-one")).await.unwrap().is_none(),
        "unique key"
    );
    let (a, b) = tokio::join!(jobs::claim(&pool, "a"), jobs::claim(&pool, "b"));
    let claimed = [a.unwrap(), b.unwrap()];
    assert_eq!(claimed.iter().filter(|c| c.is_some()).count(), 1, "exactly one worker got the job");
    // A failure is retried later; the last allowed attempt fails it for good.
    let job = claimed.into_iter().flatten().next().unwrap();
    assert_eq!(jobs::fail(&pool, &job, "boom").await.unwrap(), jobs::Settled::Retrying);
    let (status, error): (String, Option<String>) = sqlx::query_as("SELECT status, last_error FROM jobs WHERE id = $1")
        .bind(job.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((status.as_str(), error.as_deref()), ("queued", Some("boom")));
    assert!(jobs::claim(&pool, "a").await.unwrap().is_none(), "not before its back-off");
    sqlx::query("UPDATE jobs SET run_at = now() WHERE id = $1").bind(job.id).execute(&pool).await.unwrap();
    let again = jobs::claim(&pool, "a").await.unwrap().expect("ready after its back-off");
    let last = jobs::Job { attempts: again.max_attempts, ..again };
    assert_eq!(jobs::fail(&pool, &last, "boom again").await.unwrap(), jobs::Settled::Failed);
}

/// The run results and upload errors CSVs hold exactly the rows of their query, in its order.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_results_and_upload_errors_csvs_hold_every_row(pool: PgPool) {
    demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    let app = common::TestApp::new(pool.clone());
    let cookie = app.login("auditor@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();

    let (run, exceptions): (uuid::Uuid, i64) = sqlx::query_as(
        "SELECT run_id, count(*) FROM recon_results WHERE class = 'EXCEPTION' AND (side = 'pg' OR transaction_id IS NULL)
         GROUP BY run_id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let csv = app.get(&format!("/api/recon/v1/runs/{run}/results.csv?class=EXCEPTION"), Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_eq!(
        csv.headers[axum::http::header::CONTENT_DISPOSITION].to_str().unwrap(),
        format!("attachment; filename=\"recon-run-{run}.csv\"")
    );
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("txn_id,bank_ref,utr,rrn,pg_amount_inr,bank_amount_inr,delta_inr,pg_date,bank_date,class,reason")
    );
    let classes: Vec<&str> = lines.map(|l| l.split(',').nth(9).unwrap()).collect();
    assert_eq!(classes.len() as i64, exceptions);
    assert!(classes.iter().all(|c| *c == "EXCEPTION"));
    let bad = app.get(&format!("/api/recon/v1/runs/{run}/results.csv?class=NOPE"), Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let file = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO uploaded_files (id, kind, original_name, sha256, size_bytes, storage_key)
         VALUES ($1, 'pg', 'bad.csv', repeat('a', 64), 10, 'k')",
    )
    .bind(file)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO upload_row_errors (file_id, line_number, column_name, message)
         VALUES ($1, 9, NULL, 'Too few columns'), ($1, 3, 'Amount', '=1+1 is not an amount')",
    )
    .bind(file)
    .execute(&pool)
    .await
    .unwrap();
    let csv = app.get(&format!("/api/recon/v1/uploads/{file}/errors.csv"), Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body, "line,column,message\n3,Amount,'=1+1 is not an amount\n9,,Too few columns\n");
}

/// The "Run reconciliation" form is a plain post to the server function (the page has no client
/// code for it): the answer goes on to the new run's page, and a refused start goes back to the
/// workspace with the reason in the address, where the form shows it.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_run_form_goes_on_to_the_new_run(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let form = "cycle_date=2026-01-20";
    let r = app.send(common::plain_form_post("/sfn/recon/start", form.into(), &ops, "/recon")).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM recon_runs WHERE cycle_date = '2026-01-20'").fetch_one(&pool).await.unwrap();
    assert_eq!(r.location(), Some(format!("/recon/runs/{id}").as_str()));
    // The same cycle again while the first run is queued: refused, back to the form with the reason.
    let again = app.send(common::plain_form_post("/sfn/recon/start", form.into(), &ops, "/recon")).await;
    assert!(again.status.is_redirection(), "{} {}", again.status, again.body);
    let back = again.location().unwrap();
    assert!(back.starts_with(&format!("{}/recon?", common::ORIGIN)) && back.contains("__err="), "{back}");
    let page = app.get(back.trim_start_matches(common::ORIGIN), Some(&ops)).await;
    assert!(page.body.contains("already queued or running"), "the form shows why");
}

/// Row errors are kept until the upload is stored, so their memory is bounded whatever the file:
/// each is cut to a few hundred characters (a quoted value can be long), and a file with more than
/// `MAX_ROW_ERRORS` refused rows is refused whole, with nothing stored.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn row_errors_are_bounded_in_length_and_number(pool: PgPool) {
    use settlepaisa_ops::features::recon::store::MAX_ROW_ERRORS;
    let (app, ops) = ops_app(&pool).await;
    let fields = [("kind", "pg"), ("cycleDate", "2026-11-20")];
    let good = "RB-1,MERCH_001,100.00,INR,2026-11-20,10:00:00,UPI,RBUTR1,,SUCCESS\n";
    // A header cell padded with punctuation still names its column (headers are matched on their
    // letters and digits); the errors that name it keep only the start of it.
    let header = PG_HEADER.replace("Amount", &format!("Amount{}", ".".repeat(2_000)));
    let file = format!("{header}{good}RB-2,MERCH_001,abc,INR,2026-11-20,10:00:00,UPI,RBUTR2,,SUCCESS\n");
    let reply = post_upload(&app, &ops, &fields, Some(("long.csv", file.as_bytes()))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let column = reply.json()["errors"][0]["column"].as_str().unwrap().to_string();
    assert!(column.starts_with("Amount...") && column.ends_with('…'), "{column}");
    assert_eq!(column.chars().count(), 301, "cut to 300 characters and an ellipsis");

    let before = table_counts(&pool).await;
    let mut many = format!("{PG_HEADER}{}", good.replace("RB-1", "RB-3").replace("RBUTR1", "RBUTR3"));
    for i in 0..=MAX_ROW_ERRORS {
        many.push_str(&format!("RBX-{i},MERCH_001,abc,INR,2026-11-20,10:00:00,UPI,RBX{i},,SUCCESS\n"));
    }
    let refused = post_upload(&app, &ops, &fields, Some(("many.csv", many.as_bytes()))).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains(&format!("More than {MAX_ROW_ERRORS} rows")), "{}", refused.body);
    assert_eq!(table_counts(&pool).await, before, "nothing stored");
}

/// A run's status step rewrites every transaction of its cycle; it stays cheap at a million rows
/// only while each of those updates is HOT (no index entry written: no index holds `status`, and
/// the table's fill factor leaves room on each page; migration `hot_status_updates`).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_runs_status_updates_write_no_index_entries(pool: PgPool) {
    // Enough rows to fill a dozen pages: on pages filled to the brim their new versions would not fit.
    const ROWS: i64 = 600;
    let (app, ops) = ops_app(&pool).await;
    let mut pg = PG_HEADER.to_string();
    // Rows of different shapes, as in a real file: ids of different lengths, UTR or RRN missing.
    for i in 0..ROWS {
        let utr = if i % 7 == 0 { String::new() } else { format!("HOTUTR{i:0w$}", w = 6 + (i % 9) as usize) };
        let rrn = if i % 5 == 0 { String::new() } else { format!("HOTRRN{i:08}") };
        pg.push_str(&format!(
            "HOT-T{i:0w$},MERCH_00{},{}.{:02},INR,{CYCLE},10:{:02},UPI,{utr},{rrn},SUCCESS\n",
            1 + i % 3,
            100 + i,
            i % 100,
            i % 60,
            w = 5 + (i % 11) as usize,
        ));
    }
    let up = post_upload(&app, &ops, &[("kind", "pg"), ("cycleDate", CYCLE)], Some(("pg.csv", pg.as_bytes()))).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    let cycle: chrono::NaiveDate = CYCLE.parse().unwrap();
    // A run's PG results: a third of them exceptions, the rest matched.
    let run: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO recon_runs (id, cycle_date, source, status) VALUES (gen_random_uuid(), $1, 'manual', 'running')
         RETURNING id",
    )
    .bind(cycle)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO recon_results (run_id, side, transaction_id, class, pg_amount_paise, match_score)
         SELECT $1, 'pg', id, CASE WHEN substr(txn_id, 6)::int % 3 = 0 THEN 'EXCEPTION' ELSE 'MATCHED' END, amount_paise, 100
         FROM transactions WHERE txn_id LIKE 'HOT-T%'",
    )
    .bind(run)
    .execute(&pool)
    .await
    .unwrap();

    let mut tx = pool.begin().await.unwrap();
    settlepaisa_ops::domain::txn_status::apply_run(&mut tx, run, cycle, Utc::now()).await.unwrap();
    let (updated, hot): (i64, i64) = sqlx::query_as(
        "SELECT pg_stat_get_xact_tuples_updated('transactions'::regclass),
                pg_stat_get_xact_tuples_hot_updated('transactions'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(updated, ROWS, "the run moved every pending transaction of its results");
    assert_eq!(hot, ROWS, "every status update was heap-only (no index entry written)");
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM transactions WHERE txn_id LIKE 'HOT-T%' GROUP BY 1 ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec![("EXCEPTION".to_string(), ROWS / 3), ("RECONCILED".to_string(), ROWS - ROWS / 3)]);
}

/// The Bank MIS of one cycle as (bank ref, match state, reason, matched transaction), by bank ref.
async fn bank_mis(app: &common::TestApp, cookie: &str, day: &str) -> Vec<(String, String, String, String)> {
    let reply = app.get(&format!("/api/reports/v1/bank-mis.csv?from={day}&to={day}"), Some(cookie)).await;
    let mut rows: Vec<(String, String, String, String)> = common::csv_rows(&reply)
        .1
        .into_iter()
        .map(|r| (r["Bank ref"].clone(), r["Match state"].clone(), r["Reason"].clone(), r["Matched txn ID"].clone()))
        .collect();
    rows.sort();
    rows
}

/// A run stores one result per PG row, its paired bank line riding on it, and one per bank line
/// that no PG row pairs (migration 20261216000001): every bank line is in exactly one of the run's
/// rows, with its amount, the pair's Δ and score; the Bank MIS reads each line's state from that
/// row (for runs stored the earlier way too, with a bank-side copy of each pair, as the rollback
/// runbook writes them), and a bank-only exception resolves when a late PG row pairs it.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_pair_is_stored_once_and_every_bank_line_reads_its_state(pool: PgPool) {
    const DAY: &str = "2026-01-20";
    let (app, ops) = ops_app(&pool).await;
    let finance = app.login("finance@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let upload = |kind: &'static str, name: &'static str, body: String| {
        let (app, ops) = (&app, ops.clone());
        async move {
            let r = post_upload(app, &ops, &[("kind", kind), ("cycleDate", DAY)], Some((name, body.as_bytes()))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
    };
    let run_cycle = || async {
        let started = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": DAY })).await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
        assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
        let id = started.json()["id"].as_str().unwrap().to_string();
        let done = app.get(&format!("/api/recon/v1/runs/{id}"), Some(&ops)).await.json();
        assert_eq!(done["status"], "completed", "{done}");
        uuid::Uuid::parse_str(&id).unwrap()
    };
    let results_page = |id: uuid::Uuid| {
        let (app, ops) = (&app, ops.clone());
        async move { app.get(&format!("/api/recon/v1/runs/{id}/results?limit=100"), Some(&ops)).await.json() }
    };
    // P-1 matches PB1; P-2 is a paisa off PB2; P-4 is within tolerance of PB4 (₹0.50 of ₹1,000);
    // P-3's only partners, PB5 and PB6, share a UTR (so neither pairs); PB7 has no PG row yet.
    upload(
        "pg",
        "pg.csv",
        format!(
            "{PG_HEADER}P-1,MERCH_001,200.00,INR,{DAY},10:00,UPI,PUTR1,,SUCCESS\n\
             P-2,MERCH_001,300.00,INR,{DAY},10:00,UPI,PUTR2,,SUCCESS\n\
             P-3,MERCH_002,150.00,INR,{DAY},10:00,UPI,PUTR3,,SUCCESS\n\
             P-4,MERCH_001,1000.00,INR,{DAY},10:00,UPI,PUTR4,,SUCCESS\n"
        ),
    )
    .await;
    upload(
        "bank",
        "bank.csv",
        format!(
            "{BANK_HEADER}PB1,HDFC,200.00,{DAY},,PUTR1,,CR\nPB2,HDFC,299.99,{DAY},,PUTR2,,CR\n\
             PB4,HDFC,999.50,{DAY},,PUTR4,,CR\nPB5,HDFC,150.00,{DAY},,PUTR3,,CR\nPB6,HDFC,151.00,{DAY},,PUTR3,,CR\n\
             PB7,HDFC,80.00,{DAY},,PUTR7,,CR\n"
        ),
    )
    .await;
    let first = run_cycle().await;
    let shape: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT side, count(*), count(transaction_id), count(bank_line_id) FROM recon_results WHERE run_id = $1
         GROUP BY side ORDER BY side",
    )
    .bind(first)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        shape,
        [("bank".into(), 3, 0, 3), ("pg".into(), 4, 4, 3)],
        "four PG rows (three with their bank line) and the three unpaired lines: no bank-side copy of a pair"
    );
    // Each line once, with what spec 2.2 keeps per bank line: its amount, the Δ and score of its
    // pair (the tolerance match scores below 100), none without one.
    type Held = (String, i64, Option<i64>, Option<i64>, Option<i16>);
    let held: Vec<Held> = sqlx::query_as(
        "SELECT l.bank_ref, count(r.id), max(r.bank_amount_paise), max(r.delta_paise), max(r.match_score)
         FROM bank_statement_lines l
         LEFT JOIN recon_results r ON r.run_id = $1 AND r.bank_line_id = l.id
         WHERE l.cycle_date = $2::date GROUP BY l.bank_ref ORDER BY 1",
    )
    .bind(first)
    .bind(DAY)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        held,
        [
            ("PB1".into(), 1, Some(20000), Some(0), Some(100)),
            ("PB2".into(), 1, Some(29999), Some(1), Some(0)),
            ("PB4".into(), 1, Some(99950), Some(50), Some(99)),
            ("PB5".into(), 1, Some(15000), None, Some(0)),
            ("PB6".into(), 1, Some(15100), None, Some(0)),
            ("PB7".into(), 1, Some(8000), None, Some(0)),
        ]
    );
    assert_eq!(results_page(first).await["total"], 7, "the results page lists each stored row once");
    // The run page's Exceptions tile counts PG rows (P-2); its Exceptions tab lists the class,
    // which also holds the duplicate lines PB5 and PB6, and the tile says so.
    let page = app.get(&format!("/recon/runs/{first}"), Some(&ops)).await;
    assert_eq!(page.status, StatusCode::OK);
    let tile =
        page.body.split("data-testid=\"run-exceptions\"").nth(1).expect("the tile").split("</section>").next().unwrap();
    assert_eq!(common::tile(&page.body, "run-exceptions"), "1");
    assert!(tile.contains("Exceptions (PG rows)"), "{tile}");
    assert!(tile.contains("the Exceptions tab also lists 2 duplicate bank lines"), "{tile}");
    let nav = page.body.split("aria-label=\"Result class\"").nth(1).expect("the tabs").split("</nav>").next().unwrap();
    let tab = nav.split("</a>").find(|a| a.contains("Exceptions")).expect("the Exceptions tab");
    assert!(tab.contains("(3)"), "{tab}");
    let row = |r: &str, state: &str, reason: &str, txn: &str| (r.into(), state.into(), reason.into(), txn.into());
    assert_eq!(
        bank_mis(&app, &finance, DAY).await,
        [
            row("PB1", "MATCHED", "", "P-1"),
            row("PB2", "EXCEPTION", "ROUNDING_ERROR", "P-2"),
            row("PB4", "MATCHED", "", "P-4"),
            row("PB5", "EXCEPTION", "DUPLICATE_BANK_ENTRY", ""),
            row("PB6", "EXCEPTION", "DUPLICATE_BANK_ENTRY", ""),
            row("PB7", "UNMATCHED_BANK", "BANK_TXN_MISSING_IN_PG", ""),
        ]
    );

    // P-7 arrives late and pairs PB7: the re-run resolves PB7's bank-only exception through the
    // PG row that now holds the line.
    upload("pg", "late.csv", format!("{PG_HEADER}P-7,MERCH_002,80.00,INR,{DAY},11:00,UPI,PUTR7,,SUCCESS\n")).await;
    let second = run_cycle().await;
    let pb7: (String, Option<String>) = sqlx::query_as(
        "SELECT e.status, e.resolution FROM exceptions e JOIN bank_statement_lines l ON l.id = e.bank_line_id
         WHERE l.bank_ref = 'PB7' AND e.transaction_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(pb7, ("resolved".into(), Some("AUTO_MATCHED".into())));
    let mis = bank_mis(&app, &finance, DAY).await;
    assert_eq!(
        mis,
        [
            row("PB1", "MATCHED", "", "P-1"),
            row("PB2", "EXCEPTION", "ROUNDING_ERROR", "P-2"),
            row("PB4", "MATCHED", "", "P-4"),
            row("PB5", "EXCEPTION", "DUPLICATE_BANK_ENTRY", ""),
            row("PB6", "EXCEPTION", "DUPLICATE_BANK_ENTRY", ""),
            row("PB7", "MATCHED", "", "P-7"),
        ]
    );
    let page = results_page(second).await;
    assert_eq!(page["total"], 7, "five PG rows and the two duplicate lines");

    // A second speaking row for a bank line is refused.
    let twice = sqlx::query(
        "INSERT INTO recon_results (run_id, side, bank_line_id, class, reason_code, bank_amount_paise, match_score)
         SELECT run_id, 'bank', bank_line_id, 'UNMATCHED_BANK', 'BANK_TXN_MISSING_IN_PG', bank_amount_paise, 0
         FROM recon_results WHERE run_id = $1 AND side = 'pg' AND bank_line_id IS NOT NULL LIMIT 1",
    )
    .bind(second)
    .execute(&pool)
    .await
    .unwrap_err();
    let twice = twice.as_database_error().expect("a database error");
    assert_eq!((twice.code().as_deref(), twice.constraint()), (Some("23505"), Some("recon_results_bank_line_once")));
    // Runs stored before migration 20261216000001 hold a bank-side copy of each pair, and the
    // rollback runbook writes them for runs made since, for an older release's Bank MIS: with the
    // copies its statement writes (three pairs of the first run, four of the second; none the
    // second time), the results page and the Bank MIS read the same.
    let runbook = include_str!("../docs/runbooks/rollback.md");
    let start = runbook.find("<<'SQL'\n").expect("rollback.md writes the copies with a heredoc") + "<<'SQL'\n".len();
    let copies = &runbook[start..start + runbook[start..].find("\n   SQL\n").expect("the heredoc ends")];
    let copied = sqlx::raw_sql(copies).execute(&pool).await.unwrap().rows_affected();
    assert_eq!(copied, 7, "{copies}");
    assert_eq!(sqlx::raw_sql(copies).execute(&pool).await.unwrap().rows_affected(), 0, "safe to run twice");
    assert_eq!(bank_mis(&app, &finance, DAY).await, mis);
    assert_eq!(results_page(second).await, page);
    common::assert_rollups_exact(&pool).await;
}

/// A bank line with a record of its own (no PG row for it yet) that a late PG row pairs with a
/// discrepancy: the PG row's record carries the line, and the line's own record resolves as
/// DUPLICATE with a note naming it, so the queue holds one open record for the line, not two.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_line_paired_late_with_a_discrepancy_keeps_one_open_record(pool: PgPool) {
    const DAY: &str = "2026-01-22";
    let (app, ops) = ops_app(&pool).await;
    let upload = |kind: &'static str, body: String| {
        let (app, ops) = (&app, ops.clone());
        async move {
            let r =
                post_upload(app, &ops, &[("kind", kind), ("cycleDate", DAY)], Some(("f.csv", body.as_bytes()))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
    };
    let run = || async {
        let started = json_post(&app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": DAY })).await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
        assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    };
    type Record = (String, Option<i64>, String, Option<String>, String);
    let records = || async {
        sqlx::query_as::<_, Record>(
            "SELECT e.id, e.transaction_id, e.status::text, e.resolution, e.reason_code FROM exceptions e
             JOIN bank_statement_lines l ON l.id = e.bank_line_id WHERE l.bank_ref = 'LATE-B1' ORDER BY e.created_at, e.id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    upload("pg", format!("{PG_HEADER}LATE-T0,MERCH_001,10.00,INR,{DAY},10:00,UPI,LATEUTR0,,SUCCESS\n")).await;
    upload("bank", format!("{BANK_HEADER}LATE-B1,HDFC,90.00,{DAY},,LATEUTR1,,CR\n")).await;
    run().await;
    let first = records().await;
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].1, first[0].2.as_str(), first[0].4.as_str()), (None, "open", "BANK_TXN_MISSING_IN_PG"));
    let own = first[0].0.clone();

    // The gateway's row arrives late, ₹5 off the line's amount.
    upload("pg", format!("{PG_HEADER}LATE-T1,MERCH_001,95.00,INR,{DAY},10:00,UPI,LATEUTR1,,SUCCESS\n")).await;
    run().await;
    let second = records().await;
    assert_eq!(second.len(), 2, "{second:?}");
    let (carrier, line_own) = if second[0].0 == own { (&second[1], &second[0]) } else { (&second[0], &second[1]) };
    assert!(carrier.1.is_some());
    assert_eq!((carrier.2.as_str(), carrier.4.as_str()), ("open", "FEE_MISMATCH"));
    assert_eq!((line_own.2.as_str(), line_own.3.as_deref()), ("resolved", Some("DUPLICATE")));
    let note: String =
        sqlx::query_scalar("SELECT note FROM exception_actions WHERE exception_id = $1 AND action = 'auto_resolve'")
            .bind(&own)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(note.contains(&carrier.0), "{note}");
    // The queue's open records for the cycle: the gateway's row (LATE-T0 has no line) and LATE-T1's.
    let open: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exceptions WHERE cycle_date = $1::date AND status = 'open'")
            .bind(DAY)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(open, 2);

    // The gateway sends LATE-T1 again with another UTR (it is in exception, so it takes it): the
    // next run finds the line unpaired, and the line's own record opens again.
    upload("pg", format!("{PG_HEADER}LATE-T1,MERCH_001,95.00,INR,{DAY},10:00,UPI,LATEUTR9,,SUCCESS\n")).await;
    run().await;
    let third = records().await;
    let line_own = third.iter().find(|r| r.0 == own).unwrap();
    assert_eq!(
        (line_own.2.as_str(), line_own.3.as_deref(), line_own.4.as_str()),
        ("open", None, "BANK_TXN_MISSING_IN_PG")
    );
    let (action, note): (String, String) =
        sqlx::query_as("SELECT action, note FROM exception_actions WHERE exception_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(&own)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(action, "reopen");
    assert!(note.contains("unpaired again"), "{note}");

    // A PG row whose record an analyst has closed does not carry a line: LATE-T2, written off,
    // later pairs LATE-B2 with a discrepancy, and the line's own record stays open.
    upload("pg", format!("{PG_HEADER}LATE-T2,MERCH_001,50.00,INR,{DAY},10:00,UPI,LATEUTR2,,SUCCESS\n")).await;
    upload("bank", format!("{BANK_HEADER}LATE-B2,HDFC,48.00,{DAY},,LATEUTR3,,CR\n")).await;
    run().await;
    let t2_record: String = sqlx::query_scalar(
        "SELECT e.id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE t.txn_id = 'LATE-T2'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let written_off = json_post(
        &app,
        &ops,
        &format!("/api/recon/v1/exceptions/{t2_record}/actions"),
        serde_json::json!({ "action": "resolve", "resolution": "WRITE_OFF", "note": "small" }),
    )
    .await;
    assert_eq!(written_off.status, StatusCode::OK, "{}", written_off.body);
    upload("pg", format!("{PG_HEADER}LATE-T2,MERCH_001,50.00,INR,{DAY},10:00,UPI,LATEUTR3,,SUCCESS\n")).await;
    run().await;
    let b2: (String, Option<String>) = sqlx::query_as(
        "SELECT e.status::text, e.resolution FROM exceptions e JOIN bank_statement_lines l ON l.id = e.bank_line_id
         WHERE l.bank_ref = 'LATE-B2' AND e.transaction_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(b2, ("open".into(), None));

    // An analyst resolves LATE-B2's record as DUPLICATE; LATE-T2 then takes another UTR and the
    // line is unpaired again: a record an analyst resolved is theirs, and stays resolved.
    let b2_record: String = sqlx::query_scalar(
        "SELECT e.id FROM exceptions e JOIN bank_statement_lines l ON l.id = e.bank_line_id
         WHERE l.bank_ref = 'LATE-B2' AND e.transaction_id IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let resolved = json_post(
        &app,
        &ops,
        &format!("/api/recon/v1/exceptions/{b2_record}/actions"),
        serde_json::json!({ "action": "resolve", "resolution": "DUPLICATE", "note": "same credit as LATE-T2's" }),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
    upload("pg", format!("{PG_HEADER}LATE-T2,MERCH_001,50.00,INR,{DAY},10:00,UPI,LATEUTR4,,SUCCESS\n")).await;
    run().await;
    let b2: (String, Option<String>) = sqlx::query_as("SELECT status::text, resolution FROM exceptions WHERE id = $1")
        .bind(&b2_record)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(b2, ("resolved".into(), Some("DUPLICATE".into())));
    common::assert_rollups_exact(&pool).await;
}

/// An HDFC credit `reference` stored as lines loaded without an upload are (no source file), its
/// date and cycle `day`.
async fn line_without_an_upload(conn: impl sqlx::PgExecutor<'_>, reference: &str, paise: i64, utr: &str, day: &str) {
    sqlx::query(
        "INSERT INTO bank_statement_lines (natural_key, bank_ref, bank_name, amount_paise, direction, txn_date, utr, cycle_date)
         VALUES ('HDFC:' || $1, $1, 'HDFC', $2, 'CREDIT', $4::date, $3, $4::date)",
    )
    .bind(reference)
    .bind(paise)
    .bind(utr)
    .bind(day)
    .execute(conn)
    .await
    .unwrap();
}

/// A bank reference names one line (spec 02 §2.1), and a statement never changes a line it gave
/// before. A line whose key is on file with other details is refused with a row error that names
/// the line kept and what differs, never counted as accepted and dropped; the same line again
/// (overlapping statements, or twice in a file) is skipped and counted, never stored twice.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_bank_line_on_file_with_other_details_is_refused_not_dropped(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let day = |d: &'static str| [("kind", "bank"), ("cycleDate", d)];
    let first = format!(
        "{BANK_HEADER}CL-A,HDFC,1000.00,2026-11-20,2026-11-20,CLUTR1,first,CREDIT\n\
         CL-B,HDFC,500.00,2026-11-20,,CLUTR2,,CREDIT\n\
         CL-G,HDFC,20.00,2026-11-20,,CLUTR8,,CREDIT\n"
    );
    let r = post_upload(&app, &ops, &day("2026-11-20"), Some(("first.csv", first.as_bytes()))).await;
    assert_eq!((r.status, r.json()["rowsAccepted"].as_i64()), (StatusCode::CREATED, Some(3)), "{}", r.body);
    let before = table_counts(&pool).await;

    // Line 2: CL-A with another amount. Line 3: CL-B as it was (other remarks). Lines 4 and 5: CL-C
    // twice with two UTRs. Line 6: CL-D, new, and line 7 the same again. Line 8: CL-G with a value
    // date where the one on file has none. Lines 9 and 10: a line without a reference (keyed by its
    // bank, UTR, amount, date and direction), twice.
    let second = format!(
        "{BANK_HEADER}CL-A,HDFC,1200.00,2026-11-20,2026-11-20,CLUTR1,again,CREDIT\n\
         CL-B,HDFC,500.00,2026-11-20,,CLUTR2,resent,CREDIT\n\
         CL-C,HDFC,300.00,2026-11-21,,CLUTR3,,CREDIT\n\
         CL-C,HDFC,300.00,2026-11-21,,CLUTR4,,CREDIT\n\
         CL-D,HDFC,40.00,2026-11-21,,CLUTR5,,CREDIT\n\
         CL-D,HDFC,40.00,2026-11-21,,CLUTR5,,CREDIT\n\
         CL-G,HDFC,20.00,2026-11-20,2026-11-21,CLUTR8,,CREDIT\n\
         ,HDFC,77.00,2026-11-21,,CLUTR9,,CREDIT\n\
         ,HDFC,77.00,2026-11-21,,CLUTR9,,CREDIT\n"
    );
    let r = post_upload(&app, &ops, &day("2026-11-21"), Some(("second.csv", second.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    assert_eq!(row_counts(&report), (Some(3), Some(3), Some(3)), "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!([
            {"reason": "repeats an earlier line of the file", "rows": 2},
            {"reason": "already on file from another upload", "rows": 1},
        ])
    );
    let errors = report["errors"].as_array().unwrap();
    let lines: Vec<i64> = errors.iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [2, 5, 8], "{report}");
    assert_eq!(errors[0]["column"], "bank reference");
    let message = |i: usize| errors[i]["message"].as_str().unwrap().to_string();
    assert_eq!(
        message(0),
        "Bank reference \"CL-A\" (\"HDFC\") is already on file from \"first.csv\" (cycle 20 Nov 2026) with other \
         details: that line stays and is the one reconciled, this line was not stored. Ask the bank which is right. \
         Differs: amount ₹1,000.00 there, ₹1,200.00 here"
    );
    assert_eq!(
        message(1),
        "Bank reference \"CL-C\" (\"HDFC\") is also on line 4 of this file with other details: line 4 was stored, this \
         line was not. Ask the bank which is right. Differs: UTR \"CLUTR3\" there, \"CLUTR4\" here"
    );
    assert!(message(2).ends_with("Differs: value date none there, 21 Nov 2026 here"), "{}", message(2));
    let after = table_counts(&pool).await;
    assert_eq!(
        (after.0 - before.0, after.2 - before.2, after.3 - before.3),
        (1, 3, 3),
        "a file; CL-C, CL-D and the line without a reference; three errors"
    );
    // Reference, amount, UTR, cycle and value date.
    type Line = (Option<String>, i64, String, NaiveDate, Option<NaiveDate>);
    let kept: Vec<Line> = sqlx::query_as(
        "SELECT bank_ref, amount_paise, utr, cycle_date, value_date FROM bank_statement_lines
         WHERE bank_ref LIKE 'CL-%' OR utr = 'CLUTR9' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let nov = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    assert_eq!(
        kept,
        [
            (Some("CL-A".into()), 100_000, "CLUTR1".into(), nov(20), Some(nov(20))),
            (Some("CL-B".into()), 50_000, "CLUTR2".into(), nov(20), None),
            (Some("CL-C".into()), 30_000, "CLUTR3".into(), nov(21), None),
            (Some("CL-D".into()), 4_000, "CLUTR5".into(), nov(21), None),
            (Some("CL-G".into()), 2_000, "CLUTR8".into(), nov(20), None),
            (None, 7_700, "CLUTR9".into(), nov(21), None),
        ]
    );
    let file_id = report["fileId"].as_str().unwrap();
    let recorded: (i32, i32, i32, Vec<i32>) = sqlx::query_as(
        "SELECT f.rows_accepted, f.rows_rejected, f.rows_skipped,
                array(SELECT line_number FROM upload_row_errors e WHERE e.file_id = f.id ORDER BY 1)
         FROM uploaded_files f WHERE f.id = $1::uuid",
    )
    .bind(file_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(recorded, (3, 3, 3, vec![2, 5, 8]));
    let csv = app.get(&format!("/api/recon/v1/uploads/{file_id}/errors.csv"), Some(&ops)).await;
    assert!(csv.body.contains("is also on line 4 of this file"), "{}", csv.body);

    // Every line a clash: refused whole, as any file with no good row, and nothing is written.
    let third = format!(
        "{BANK_HEADER}CL-A,HDFC,1000.00,2026-11-19,2026-11-20,CLUTR1,,CREDIT\nCL-D,HDFC,40.00,2026-11-21,,CLUTR5,,DEBIT\n"
    );
    let r = post_upload(&app, &ops, &day("2026-11-21"), Some(("third.csv", third.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        r.body.contains(
            "None of the file's 2 rows could be accepted. The first problem, line 2: Bank reference \\\"CL-A\\\" (\\\"HDFC\\\") is already on file"
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains("date 20 Nov 2026 there, 19 Nov 2026 here"), "{}", r.body);
    assert_eq!(table_counts(&pool).await, after);

    // Every line on file already (a statement sent again under another name): taken, nothing new,
    // so a connector that fetched it does not fetch it again and again.
    let again = format!(
        "{BANK_HEADER}CL-B,HDFC,500.00,2026-11-20,,CLUTR2,,CREDIT\nCL-D,HDFC,40.00,2026-11-21,,CLUTR5,x,CREDIT\n"
    );
    let r = post_upload(&app, &ops, &day("2026-11-21"), Some(("again.csv", again.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    assert_eq!(row_counts(&report), (Some(0), Some(0), Some(2)), "{report}");
    let counts = table_counts(&pool).await;
    assert_eq!((counts.0 - after.0, counts.2 - after.2, counts.3 - after.3), (1, 0, 0));

    // Mixed: CL-B as on file; CL-H as a line loaded without an upload; CL-J new, then with another
    // UTR, then as first given; CL-A as on file, then with another amount.
    line_without_an_upload(&pool, "CL-H", 9000, "CLUTR10", "2026-11-20").await;
    let mixed = format!(
        "{BANK_HEADER}CL-B,HDFC,500.00,2026-11-20,,CLUTR2,,CREDIT\n\
         CL-H,HDFC,90.00,2026-11-20,,CLUTR10,,CREDIT\n\
         CL-J,HDFC,10.00,2026-11-21,,CLUTR11,,CREDIT\n\
         CL-J,HDFC,10.00,2026-11-21,,CLUTR12,,CREDIT\n\
         CL-J,HDFC,10.00,2026-11-21,,CLUTR11,,CREDIT\n\
         CL-A,HDFC,1000.00,2026-11-20,2026-11-20,CLUTR1,,CREDIT\n\
         CL-A,HDFC,1000.01,2026-11-20,2026-11-20,CLUTR1,,CREDIT\n"
    );
    let r = post_upload(&app, &ops, &day("2026-11-21"), Some(("mixed.csv", mixed.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    let counts =
        [&report["rowsAccepted"], &report["rowsRejected"], &report["rowsSkipped"]].map(|v| v.as_i64().unwrap());
    assert_eq!(counts, [1, 2, 4], "{report}");
    assert_eq!(counts.iter().sum::<i64>(), 7, "every data row counted once");
    let lines: Vec<i64> = report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [5, 8]);
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("is also on line 4 of this file"), "{report}");
    assert!(report["errors"][1]["message"].as_str().unwrap().contains("from \"first.csv\""), "{report}");
    let recorded: serde_json::Value =
        sqlx::query_scalar("SELECT to_jsonb(skipped) FROM uploaded_files WHERE id = $1::uuid")
            .bind(report["fileId"].as_str().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        recorded,
        serde_json::json!([
            {"reason": "repeats an earlier line of the file", "rows": 1},
            {"reason": "already on file from another upload", "rows": 3},
        ])
    );
    let utr: String = sqlx::query_scalar("SELECT utr FROM bank_statement_lines WHERE bank_ref = 'CL-J'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(utr, "CLUTR11");

    // Another upload stores CL-E while this one runs: this one waits for it, then finds the clash.
    let mut other = pool.begin().await.unwrap();
    line_without_an_upload(&mut *other, "CL-E", 70000, "CLUTR6", "2026-11-22").await;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *other).await.unwrap();
    let fifth = format!(
        "{BANK_HEADER}CL-E,HDFC,700.01,2026-11-22,,CLUTR6,,CREDIT\nCL-F,HDFC,60.00,2026-11-22,,CLUTR7,,CREDIT\n"
    );
    let fields = day("2026-11-22");
    let (r, ()) = tokio::join!(post_upload(&app, &ops, &fields, Some(("fifth.csv", fifth.as_bytes()))), async {
        assert!(common::until_blocked_by(&pool, pid).await, "the upload never waited for the other line");
        other.commit().await.unwrap();
    });
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    assert_eq!((report["rowsAccepted"].as_i64(), report["rowsRejected"].as_i64()), (Some(1), Some(1)), "{report}");
    assert!(
        report["errors"][0]["message"].as_str().unwrap().starts_with(
            "Bank reference \"CL-E\" (\"HDFC\") is already on file (loaded without an upload, cycle 22 Nov 2026) with other details"
        ),
        "{report}"
    );
    assert!(report["errors"][0]["message"].as_str().unwrap().ends_with("Differs: amount ₹700.00 there, ₹700.01 here"));
    let amount: i64 = sqlx::query_scalar("SELECT amount_paise FROM bank_statement_lines WHERE bank_ref = 'CL-E'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(amount, 70_000);
}

/// The demo's bank lines are keyed as an upload keys them (bank and reference), so a statement that
/// repeats one meets it like any other line on file: the same line is skipped, the same reference
/// with another amount is refused in words, and nothing is stored twice.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_demo_bank_line_is_met_by_an_upload_that_repeats_it(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let (bank_ref, bank, amount, txn_date, value_date, utr, direction): (
        String,
        String,
        i64,
        NaiveDate,
        Option<NaiveDate>,
        Option<String>,
        String,
    ) = sqlx::query_as(
        "SELECT bank_ref, bank_name, amount_paise, txn_date, value_date, utr, direction FROM bank_statement_lines
         WHERE source_file_id IS NULL AND bank_ref IS NOT NULL AND net_paise IS NULL AND rrn IS NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let rupees = |paise: i64| format!("{}.{:02}", paise / 100, paise % 100);
    let value_date = value_date.map(|d| d.to_string()).unwrap_or_default();
    let utr = utr.unwrap_or_default();
    let csv = format!(
        "{BANK_HEADER}{bank_ref},{bank},{},{txn_date},{value_date},{utr},again,{direction}\n\
         {bank_ref},{bank},{},{txn_date},{value_date},{utr},changed,{direction}\n",
        rupees(amount),
        rupees(amount + 100),
    );
    let before = table_counts(&pool).await;
    let r =
        post_upload(&app, &ops, &[("kind", "bank"), ("cycleDate", "2026-11-21")], Some(("resent.csv", csv.as_bytes())))
            .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let report = r.json();
    assert_eq!(row_counts(&report), (Some(0), Some(1), Some(1)), "{report}");
    assert_eq!(report["skipped"], serde_json::json!([{"reason": "already on file from another upload", "rows": 1}]));
    let error = &report["errors"][0];
    assert_eq!(error["line"], 3);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "Bank reference \"{bank_ref}\" (\"{bank}\") is already on file (loaded without an upload, cycle"
        )),
        "{message}"
    );
    let (stored,): (i64,) = sqlx::query_as("SELECT count(*) FROM bank_statement_lines WHERE bank_ref = $1")
        .bind(&bank_ref)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let after = table_counts(&pool).await;
    assert_eq!((after.1, after.2), (before.1, before.2), "no transaction or bank line written");
}

/// A re-run that finds another reason for an exception gives the record that reason's severity and
/// SLA hours, due from when the record was raised (spec 02: created + SLA hours): a payment first
/// raised as BANK_FILE_MISSING (critical, 2 hours) that the late statement shows one paisa short
/// is a medium rounding error due 12 hours after it was raised, not a critical one breached since.
/// A re-run that finds the same reason keeps what the record has (an analyst may have changed its
/// severity).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_rerun_that_changes_a_reason_gives_its_severity_and_sla(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let day = "2026-01-20";
    // The PG file writes the UTR in lower case; the statement in upper case.
    let pg = format!("{PG_HEADER}SEV-T1,MERCH_001,500.00,INR,{day},10:00,UPI,sevutr1,,SUCCESS\n");
    let upload = post_upload(&app, &ops, &[("kind", "pg"), ("cycleDate", day)], Some(("pg.csv", pg.as_bytes()))).await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    let run = |ops: String| {
        let app = &app;
        async move {
            let r = json_post(app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": day })).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
            assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
        }
    };
    let record = || async {
        sqlx::query_as::<_, (String, String, String, chrono::DateTime<Utc>)>(
            "SELECT e.id, e.reason_code, e.severity::text, e.sla_due_at FROM exceptions e
             JOIN transactions t ON t.id = e.transaction_id WHERE t.txn_id = 'SEV-T1'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    run(ops.clone()).await;
    let first_at = app.state.clock.now();
    let (id, reason, severity, due) = record().await;
    assert_eq!((reason.as_str(), severity.as_str()), ("BANK_FILE_MISSING", "CRITICAL"));
    // PostgreSQL keeps microseconds (rounded): equal to within one.
    let same = |stored: chrono::DateTime<Utc>, expected: chrono::DateTime<Utc>| {
        (stored - expected).num_microseconds().is_some_and(|d| d.abs() <= 1)
    };
    assert!(same(due, first_at + chrono::Duration::hours(2)), "{due}");

    // Three hours later the statement comes, one paisa short.
    app.clock.advance(chrono::Duration::hours(3));
    let ops = app.login("ops@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let bank = format!("{BANK_HEADER}SEVB1,HDFC,499.99,{day},,SEVUTR1,,CR\n");
    let upload =
        post_upload(&app, &ops, &[("kind", "bank"), ("cycleDate", day)], Some(("bank.csv", bank.as_bytes()))).await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    run(ops.clone()).await;
    let hours: i32 = sqlx::query_scalar(
        "SELECT sla_hours FROM sla_settings WHERE reason_code = 'ROUNDING_ERROR' AND severity = 'MEDIUM'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let after = record().await;
    assert_eq!(after.0, id, "the same record");
    assert_eq!((after.1.as_str(), after.2.as_str()), ("ROUNDING_ERROR", "MEDIUM"));
    let created: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT created_at FROM exceptions WHERE id = $1").bind(&id).fetch_one(&pool).await.unwrap();
    assert!(same(after.3, created + chrono::Duration::hours(hours.into())), "{} {created}", after.3);
    // The record holds the UTR as it was matched, so the queue's search finds it however typed.
    for q in ["sevutr1", "SEVUTR1"] {
        let found = app.get(&format!("/api/recon/v1/exceptions?q={q}"), Some(&ops)).await.json();
        let ids: Vec<&str> = found["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [id.as_str()], "{q}: {found}");
    }

    // An analyst raises it to HIGH; a re-run finding the same rounding error keeps that.
    let raised = json_post(
        &app,
        &ops,
        &format!("/api/recon/v1/exceptions/{id}/actions"),
        serde_json::json!({ "action": "severity", "severity": "HIGH", "note": "recurring" }),
    )
    .await;
    assert_eq!(raised.status, StatusCode::OK, "{}", raised.body);
    let kept = record().await;
    run(ops.clone()).await;
    assert_eq!(record().await, kept);
    common::assert_rollups_exact(&pool).await;
}

/// A PG file sent again with a correction (the UTR the gateway left out at first) corrects a
/// transaction in exception, and the re-run matches it; its amount and a reconciled transaction
/// stay as they were.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_corrected_pg_file_corrects_a_transaction_in_exception(pool: PgPool) {
    let (app, ops) = ops_app(&pool).await;
    let day = "2026-01-21";
    let pg = |t1_utr: &str, t2_amount: &str| {
        format!(
            "{PG_HEADER}COR-T1,MERCH_001,500.00,INR,{day},10:00,UPI,{t1_utr},,SUCCESS\n\
             COR-T2,MERCH_001,{t2_amount},INR,{day},10:00,UPI,CORUTR2,,SUCCESS\n"
        )
    };
    let bank = format!("{BANK_HEADER}CORB1,HDFC,500.00,{day},,CORUTR1,,CR\nCORB2,HDFC,700.00,{day},,CORUTR2,,CR\n");
    let upload = |kind: &'static str, body: String| {
        let (app, ops) = (&app, ops.clone());
        async move {
            let r =
                post_upload(app, &ops, &[("kind", kind), ("cycleDate", day)], Some(("f.csv", body.as_bytes()))).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()
        }
    };
    let run = || {
        let (app, ops) = (&app, ops.clone());
        async move {
            let r = json_post(app, &ops, "/api/recon/v1/runs", serde_json::json!({ "cycleDate": day })).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
            assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
        }
    };
    let state = || async {
        sqlx::query_as::<_, (String, Option<String>, i64, String)>(
            "SELECT txn_id, utr, amount_paise, status FROM transactions WHERE txn_id LIKE 'COR-%' ORDER BY txn_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    // COR-T1 without its UTR: an exception; COR-T2 matches.
    upload("pg", pg("", "700.00")).await;
    upload("bank", bank).await;
    run().await;
    assert_eq!(
        state().await,
        [
            ("COR-T1".into(), None, 50000, "EXCEPTION".into()),
            ("COR-T2".into(), Some("CORUTR2".into()), 70000, "RECONCILED".into())
        ]
    );
    // The gateway sends the file again, COR-T1 with its UTR (and, by mistake, COR-T2 with
    // another amount): COR-T1 takes its UTR, the reconciled COR-T2 stays as it was.
    let resent = upload("pg", pg("CORUTR1", "701.00")).await;
    assert_eq!(row_counts(&resent), (Some(1), Some(0), Some(1)), "{resent}");
    assert_eq!(resent["skipped"], serde_json::json!([{"reason": "already reconciled (kept as it is)", "rows": 1}]));
    assert_eq!(
        state().await,
        [
            ("COR-T1".into(), Some("CORUTR1".into()), 50000, "EXCEPTION".into()),
            ("COR-T2".into(), Some("CORUTR2".into()), 70000, "RECONCILED".into())
        ]
    );
    // Sent once more with COR-T1 at another amount: a transaction in exception takes a UTR, never
    // an amount (an analyst may resolve its exception on the amount shown).
    let other_amount = format!("{PG_HEADER}COR-T1,MERCH_001,5000.00,INR,{day},10:00,UPI,CORUTR1,,SUCCESS\n");
    upload("pg", other_amount).await;
    assert_eq!(state().await[0], ("COR-T1".into(), Some("CORUTR1".into()), 50000, "EXCEPTION".into()));
    // And once more without the UTR (twice in the file, the last row taken): a blank never erases
    // the UTR it was given.
    let blank = format!(
        "{PG_HEADER}COR-T1,MERCH_001,500.00,INR,{day},10:00,UPI,OTHERUTR,,SUCCESS\n\
         COR-T1,MERCH_001,500.00,INR,{day},10:00,UPI,,,SUCCESS\n"
    );
    let report = upload("pg", blank).await;
    assert_eq!(row_counts(&report), (Some(1), Some(0), Some(1)), "{report}");
    assert_eq!(
        report["skipped"],
        serde_json::json!([{"reason": "replaced by a later row of the file with its transaction id", "rows": 1}])
    );
    assert_eq!(state().await[0], ("COR-T1".into(), Some("CORUTR1".into()), 50000, "EXCEPTION".into()));
    run().await;
    let statuses: Vec<String> = state().await.into_iter().map(|s| s.3).collect();
    assert_eq!(statuses, ["RECONCILED", "RECONCILED"]);
    let (status, resolution): (String, Option<String>) = sqlx::query_as(
        "SELECT e.status::text, e.resolution FROM exceptions e JOIN transactions t ON t.id = e.transaction_id
         WHERE t.txn_id = 'COR-T1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), resolution.as_deref()), ("resolved", Some("AUTO_MATCHED")));
    common::assert_rollups_exact(&pool).await;
}
