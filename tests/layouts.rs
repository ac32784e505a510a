//! Issue 11: every file the system being replaced used is read out of the box, through the real
//! upload API on real Postgres — each layout in its exact header (preview and upload read every row,
//! amounts exact to the paisa), the pairs the old system reconciled are MATCHED by a real run,
//! merchants the product does not know are accepted, flagged, kept out of settlement and cleared by
//! an admin (alias or creation), and an amount unit may be chosen per upload and kept on a layout.

mod common;

use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};
use settlepaisa_ops::{demo, ist};
use sqlx::PgPool;

use common::{json_request, post_multipart, TestApp};

// ---- the old system's files, in their exact headers ----

/// 1. V2 without method or bank (paise; RFC 3339 instants; `failed` is not a payment).
const PG_V2_CAPTURED: &str = "pg_txn_id,merchant_id,order_id,amount_paise,fee_paise,tax_paise,status,captured_at,utr\n\
PGC1,MERCH_001,ORD1,12500000,125000,22500,captured,2024-01-14T04:45:00Z,ICICINEFT001\n\
PGC2,MERCH_001,ORD2,8950050,89500,16110,captured,2024-01-14T05:22:00Z,ICICINEFT002\n\
PGC3,MERCH_002,ORD3,4525000,45250,8145,captured,2024-01-14T06:00:00Z,ICICINEFT003\n\
PGC4,MERCH_002,ORD4,6789025,67890,12220,failed,2024-01-14T06:30:00Z,ICICINEFT004\n";

/// ICICI NEFT, layout 6 (rupees; `14-Jan-24 10:22:05`): 001 and 002 agree, 003's amount differs
/// by ₹5, 005 is FAILED (skipped).
const BANK_ICICI_NEFT: &str = "TXN_ID,UTR,AMOUNT_INR,FEE_INR,GST_INR,STATUS,TXN_DATE\n\
TXN001,ICICINEFT001,125000.00,1250.00,225.00,SUCCESS,14-Jan-24 10:22:05\n\
TXN002,ICICINEFT002,89500.50,895.00,161.10,SUCCESS,14-Jan-24 10:35:12\n\
TXN003,ICICINEFT003,45255.00,452.50,81.45,SUCCESS,14-Jan-24 10:48:33\n\
TXN005,ICICINEFT005,67890.25,678.90,122.20,FAILED,14-Jan-24 11:15:22\n";

/// 2. Order export (rupees, no merchant column).
const PG_ORDERS: &str =
    "order_id,txn_id,gross_amount,net_amount,txn_date,utr,rrn,approval_code,payment_date_time,bank_name\n\
ORD2024011401,OTXN01,125000.00,123525.00,2024-01-15 10:15:23,AXISN01,RRN01,APR01,2024-01-15 18:00:00,AXIS\n\
ORD2024011402,OTXN02,\"89,500.50\",88444.40,2024-01-15 10:22:45,AXISN02,RRN02,APR02,2024-01-15 18:00:00,AXIS\n\
ORD2024011403,OTXN03,67800.00,66999.96,2024-01-15 10:35:12,AXISN03,RRN03,APR03,2024-01-15 18:00:00,AXIS\n";

/// The AXIS SFTP settlement layout the product already read.
fn axis_sftp(lines: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut s = "TXNID,CREDIT_AMT,NET_CR_AMT,VALUE_DATE,UTR,RRN,AUTH,POST_DATE,BANK,STATUS,REMARKS\n".to_string();
    for (id, amount, net, utr, date) in lines {
        s.push_str(&format!("{id},{amount},{net},{date},{utr},,A,{date},AXIS,OK,\n"));
    }
    s
}

/// PG V2 as the spec lists it (paise; RFC 3339 instants).
const PG_V2: &str = "pg_txn_id,merchant_id,utr,amount_paise,fee_paise,tax_paise,net_paise,status,payment_method,bank,created_at,settled_at\n\
PG20240116001,MERCH_001,AXISN024011610001,12500000,125000,22500,12352500,captured,NEFT,Axis Bank,2024-01-16T04:45:00Z,2024-01-16T12:30:00Z\n\
PG20240116002,MERCH_001,AXISN024011610002,8950050,89500,16110,8844440,captured,NEFT,Axis Bank,2024-01-16T05:22:00Z,2024-01-16T12:30:00Z\n\
PG20240116003,MERCH_002,AXISR024011610003,15650000,156500,28170,15465330,captured,RTGS,Axis Bank,2024-01-16T05:45:00Z,2024-01-16T12:30:00Z\n\
PG20240116005,MERCH_003,AXISN024011610005,9875000,98750,17775,9758475,failed,NEFT,Axis Bank,2024-01-16T06:00:00Z,\n";

/// AXIS recon export, layout 5 (rupees; `14-Jan-24`): 001 and 002 agree, 003's UTR is another,
/// the FAILED line is skipped.
const BANK_AXIS_RECON: &str = "TXN_REF,UTR_NO,TXN_TYPE,AMOUNT_INR,CHARGES_INR,GST_INR,NET_AMOUNT_INR,TXN_STATUS,TXN_DATE_TIME,SETTLEMENT_DATE,MERCHANT_REF,REMARKS\n\
AXISBNK001,AXISN024011610001,NEFT,125000.00,1250.00,225.00,123525.00,SUCCESS,16-Jan-24 10:15:23,16-Jan-24,MERCH001,Settled\n\
AXISBNK002,AXISN024011610002,NEFT,89500.50,895.00,161.10,88444.40,SUCCESS,16-Jan-24 10:22:45,16-Jan-24,MERCH001,Settled\n\
AXISBNK003,AXISR024011610099,RTGS,156500.00,1565.00,281.70,154653.30,SUCCESS,16-Jan-24 10:45:30,16-Jan-24,MERCH001,Settled\n\
AXISBNK005,AXISN024011610005,NEFT,98750.00,987.50,177.75,97584.75,FAILED,16-Jan-24 11:00:15,16-Jan-24,MERCH003,Failed - Insufficient funds\n";

/// 3. Transaction export (paise; a date and an instant).
const PG_EXPORT: &str = "transaction_id,merchant_id,amount_paise,currency,transaction_date,transaction_timestamp,payment_method,utr,rrn,status,bank_name\n\
TXN20251001001,MERCH_001,150000,INR,2025-10-01,2025-10-01T05:00:00Z,UPI,UTR20251001001,RRN20251001001,SUCCESS,AXIS\n\
TXN20251001002,MERCH_001,250000,INR,2025-10-01,2025-10-01T05:30:00Z,UPI,UTR20251001002,RRN20251001002,SUCCESS,HDFC\n\
TXN20251001004,MERCH_002,500000,INR,2025-10-01,2025-10-01T06:30:00Z,NETBANKING,UTR20251001004,,SUCCESS,AXIS\n";

/// 9. Statement export (paise, a direction): 001 and 002 agree; 004 differs by ₹10.
const BANK_STATEMENT_PAISE: &str =
    "bank_ref,bank_name,amount_paise,transaction_date,value_date,utr,remarks,debit_credit\n\
BANK20251001001,AXIS,150000,2025-10-01,2025-10-01,UTR20251001001,Payment received from customer,CREDIT\n\
BANK20251001002,HDFC,250000,2025-10-01,2025-10-01,UTR20251001002,UPI payment,CREDIT\n\
BANK20251001004,AXIS,501000,2025-10-01,2025-10-01,UTR20251001004,NETBANKING transfer,CREDIT\n\
BANK20251001009,AXIS,2500,2025-10-01,2025-10-01,,Charges,DEBIT\n";

/// 4. Payments (no date; whole-number rupees by definition; FAILED skipped; personal data).
const PG_PAYMENTS: &str = "transaction_id,merchant_id,amount,utr,payment_mode,status,customer_email,customer_phone\n\
TXN001,MERCH_001,1000,UTR12345001,UPI,SUCCESS,test1@example.com,9876543210\n\
TXN002,MERCH_001,2500,UTR12345002,UPI,SUCCESS,test2@example.com,9876543211\n\
TXN003,MERCH_002,750,UTR12345003,NEFT,SUCCESS,test3@example.com,9876543212\n\
TXN004,MERCH_001,1200,UTR12345004,UPI,FAILED,test4@example.com,9876543213\n\
TXN005,MERCH_003,3000,UTR12345005,RTGS,SUCCESS,test5@example.com,9876543214\n";

/// 8. Credits export (whole-number rupees by definition; the bank per line).
const BANK_CREDITS: &str = "utr,bank_name,amount,credited_at,cycle_date,bank_reference\n\
UTR12345001,AXIS BANK,1000,2024-01-17 10:30:00,2024-01-17,AXISREF001\n\
UTR12345002,AXIS BANK,2500,2024-01-17 11:15:00,2024-01-17,AXISREF002\n\
UTR12345003,ICICI BANK,750,2024-01-17 12:45:00,2024-01-17,ICICIREF003\n\
UTR12345005,HDFC BANK,3000,2024-01-17 14:20:00,2024-01-17,HDFCREF005\n";

/// 7. The minimal SFTP drop (whole numbers: paise by definition).
const BANK_SFTP_DROP: &str = "TRANSACTION_ID,UTR,AMOUNT,DATE\n\
TXN20250914001,UTR20250914001,150000,2025-09-14\n\
TXN20250914002,UTR20250914002,250000,2025-09-14\n";

// ---- helpers ----

async fn app(pool: &PgPool) -> (TestApp, String, String) {
    demo::seed(pool, ist::today(Utc::now())).await.unwrap();
    let app = TestApp::new(pool.clone());
    let ops = app.login("ops@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let admin = app.login("admin@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    (app, ops, admin)
}

async fn upload(
    app: &TestApp,
    cookie: &str,
    kind: &str,
    cycle: &str,
    extra: &[(&str, &str)],
    text: &str,
) -> (StatusCode, Value) {
    let mut fields = vec![("kind", kind), ("cycleDate", cycle)];
    fields.extend_from_slice(extra);
    let r = post_multipart(app, "/api/recon/v1/uploads", cookie, &fields, Some(("file.csv", text.as_bytes()))).await;
    let body = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, if body.is_null() { json!({ "raw": r.body }) } else { body })
}

async fn preview(app: &TestApp, cookie: &str, kind: &str, extra: &[(&str, &str)], text: &str) -> (StatusCode, Value) {
    let mut fields = vec![("kind", kind)];
    fields.extend_from_slice(extra);
    let r = post_multipart(app, "/api/recon/v1/uploads/preview", cookie, &fields, Some(("file.csv", text.as_bytes())))
        .await;
    (r.status, serde_json::from_str(&r.body).unwrap_or_else(|_| json!({ "raw": r.body })))
}

/// The stored amount (paise) of a transaction, and its merchant, method and IST date.
async fn txn(pool: &PgPool, txn_id: &str) -> (i64, String, String, NaiveDate) {
    sqlx::query_as(
        "SELECT amount_paise, merchant_id, payment_method::text, (txn_at AT TIME ZONE 'Asia/Kolkata')::date
         FROM transactions WHERE txn_id = $1",
    )
    .bind(txn_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn line_amount(pool: &PgPool, utr: &str) -> i64 {
    sqlx::query_scalar("SELECT amount_paise FROM bank_statement_lines WHERE utr = $1")
        .bind(utr)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Run recon for `cycle` through the API and the job queue; the txn ids it MATCHED, sorted.
async fn run_and_matched(app: &TestApp, ops: &str, cycle: &str) -> Vec<String> {
    let started = json_request(app, "POST", "/api/recon/v1/runs", ops, json!({ "cycleDate": cycle })).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.json()["id"].as_str().unwrap().to_string();
    while settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap() {}
    let run = app.get(&format!("/api/recon/v1/runs/{id}"), Some(ops)).await.json();
    assert_eq!(run["status"], "completed", "{run}");
    sqlx::query_scalar(
        "SELECT t.txn_id FROM recon_results r JOIN transactions t ON t.id = r.transaction_id
         WHERE r.run_id = $1::uuid AND r.side = 'pg' AND r.class = 'MATCHED' ORDER BY 1",
    )
    .bind(&id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

// ---- tests ----

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn each_layout_is_read_whole_and_exact_to_the_paisa(pool: PgPool) {
    let (app, ops, _) = app(&pool).await;
    // (kind, text, extra fields, format name, unit, rows accepted, rows skipped)
    #[allow(clippy::type_complexity)]
    let cases: [(&str, &str, &[(&str, &str)], &str, &str, i64, i64); 9] = [
        ("pg", PG_V2_CAPTURED, &[], "PG V2 captured export", "paise", 3, 1),
        ("pg", PG_ORDERS, &[("merchantId", "merch_001")], "PG order export", "rupees", 3, 0),
        ("pg", PG_EXPORT, &[], "PG transaction export", "paise", 3, 0),
        ("pg", PG_PAYMENTS, &[], "PG payments (no date)", "rupees", 4, 1),
        ("bank", BANK_AXIS_RECON, &[], "AXIS recon export (AXIS)", "rupees", 3, 1),
        ("bank", BANK_ICICI_NEFT, &[], "ICICI NEFT report (ICICI)", "rupees", 3, 1),
        ("bank", BANK_SFTP_DROP, &[], "AXIS SFTP drop (AXIS)", "paise", 2, 0),
        ("bank", BANK_CREDITS, &[], "Bank credits export (ANY)", "rupees", 4, 0),
        ("bank", BANK_STATEMENT_PAISE, &[], "Bank statement export (paise) (ANY)", "paise", 4, 0),
    ];
    for (kind, text, extra, format, unit, accepted, skipped) in cases {
        let (status, p) = preview(&app, &ops, kind, extra, text).await;
        assert_eq!(status, StatusCode::OK, "{format}: {p}");
        assert_eq!(p["format"], format);
        assert_eq!(p["amountUnit"], unit, "{format}");
        let rows = p["rows"].as_array().unwrap();
        assert_eq!(rows.len() as i64, accepted + skipped, "{format}: the preview shows every row of these files");
        assert!(rows.iter().all(|r| r["error"].is_null()), "{format}: no row refused: {p}");
        assert_eq!(rows.iter().filter(|r| !r["skipped"].is_null()).count() as i64, skipped, "{format}");

        let (status, r) = upload(&app, &ops, kind, "2024-01-14", extra, text).await;
        assert_eq!(status, StatusCode::CREATED, "{format}: {r}");
        assert_eq!((r["format"].as_str(), r["amountUnit"].as_str()), (Some(format), Some(unit)));
        assert_eq!(
            (r["rowsAccepted"].as_i64(), r["rowsRejected"].as_i64(), r["rowsSkipped"].as_i64()),
            (Some(accepted), Some(0), Some(skipped)),
            "{format}: {r}"
        );
    }

    let (_, p) = preview(&app, &ops, "pg", &[], PG_PAYMENTS).await;
    assert_eq!(p["rows"][0]["cells"][3], "the cycle date", "no date column and no cycle date chosen yet");
    assert!(p["notes"].to_string().contains("customer_email, customer_phone hold customers' personal data"), "{p}");
    let (_, p) = preview(&app, &ops, "pg", &[], PG_V2_CAPTURED).await;
    assert!(
        p["notes"].to_string().contains("recorded as UNKNOWN, and settlement charges the default commission"),
        "{p}"
    );
    let (status, r) =
        upload(&app, &ops, "pg", "2024-01-14", &[("merchantId", "TYPO_CODE")], &PG_ORDERS.replace("OTXN", "XTXN"))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a merchant on the form must be one the product knows: {r}");
    let (status, r) = upload(&app, &ops, "pg", "2024-01-14", &[], &PG_ORDERS.replace("OTXN", "XTXN")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{r}");
    assert!(r.to_string().contains("has no merchant column"), "{r}");

    // Amounts exact to the paisa, dates as IST business dates, what each layout lacks filled in.
    assert_eq!(
        txn(&pool, "PGC2").await,
        (8950050, "MERCH_001".into(), "UNKNOWN".into(), NaiveDate::from_ymd_opt(2024, 1, 14).unwrap())
    );
    assert_eq!(txn(&pool, "OTXN02").await.0, 8950050, "\"89,500.50\" rupees");
    assert_eq!(txn(&pool, "OTXN02").await.1, "MERCH_001", "the form's merchant");
    let expected: Option<i64> =
        sqlx::query_scalar("SELECT expected_settlement_paise FROM transactions WHERE txn_id = 'OTXN01'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(expected, Some(12352500), "net_amount is the expected settlement");
    assert_eq!(txn(&pool, "TXN20251001004").await.0, 500000);
    assert_eq!(
        txn(&pool, "TXN002").await,
        (250000, "MERCH_001".into(), "UPI".into(), NaiveDate::from_ymd_opt(2024, 1, 14).unwrap()),
        "the cycle date for a file without dates"
    );
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE txn_id IN ('PGC4', 'TXN004')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "failed payments are not transactions");
    assert_eq!(line_amount(&pool, "ICICINEFT002").await, 8950050);
    assert_eq!(line_amount(&pool, "AXISN024011610002").await, 8950050);
    assert_eq!(line_amount(&pool, "UTR20250914001").await, 150000, "the SFTP drop's 150000 is ₹1,500.00");
    assert_eq!(line_amount(&pool, "UTR12345003").await, 75000, "the credits export's 750 is ₹750.00");
    assert_eq!(line_amount(&pool, "UTR20251001004").await, 501000);
    let (bank, debit): (String, String) =
        sqlx::query_as("SELECT bank_name, direction FROM bank_statement_lines WHERE bank_ref = 'BANK20251001009'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((bank.as_str(), debit.as_str()), ("AXIS", "DEBIT"));
    let skipped_icici: i64 = sqlx::query_scalar("SELECT count(*) FROM bank_statement_lines WHERE utr = 'ICICINEFT005'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(skipped_icici, 0, "a line the bank reports FAILED moved no money");
    // Personal data is never stored: no column of the ledger holds the e-mail.
    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t WHERE t::text ILIKE '%example.com%' OR t::text LIKE '%9876543210%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
    // …nor in the copy of the file that is kept: those columns are blanked there.
    let key: String =
        sqlx::query_scalar("SELECT storage_key FROM uploaded_files WHERE detected_format = 'PG payments (no date)'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let kept = app.state.objects.get(&key.as_str().into()).await.unwrap().bytes().await.unwrap();
    let kept = String::from_utf8(kept.to_vec()).unwrap();
    assert!(
        kept.starts_with("transaction_id,merchant_id,amount,utr,payment_mode,status,customer_email,customer_phone\n"),
        "{kept}"
    );
    assert!(kept.contains("TXN001,MERCH_001,1000,UTR12345001,UPI,SUCCESS,,\n"), "{kept}");
    assert!(!kept.contains("example.com") && !kept.contains("98765"), "{kept}");
    // The upload records what it skipped, by reason.
    let skipped: Value =
        sqlx::query_scalar("SELECT skipped FROM uploaded_files WHERE detected_format = 'PG payments (no date)'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(skipped, json!([{ "reason": "status FAILED: not a payment", "rows": 1 }]));
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_old_systems_pairs_reconcile(pool: PgPool) {
    let (app, ops, _) = app(&pool).await;
    let up = |kind: &'static str, cycle: &'static str, extra: Vec<(&'static str, &'static str)>, text: String| {
        let (app, ops) = (&app, ops.clone());
        async move {
            let (status, r) = upload(app, &ops, kind, cycle, &extra, &text).await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
        }
    };
    // 1 ↔ 6: paise against rupees; the ₹5 difference and the FAILED line do not match.
    up("pg", "2024-01-14", vec![], PG_V2_CAPTURED.into()).await;
    up("bank", "2024-01-14", vec![], BANK_ICICI_NEFT.into()).await;
    assert_eq!(run_and_matched(&app, &ops, "2024-01-14").await, ["PGC1", "PGC2"]);

    // 2 ↔ the AXIS SFTP layout already supported.
    up("pg", "2024-01-15", vec![("merchantId", "MERCH_002")], PG_ORDERS.into()).await;
    let sftp = axis_sftp(&[
        ("X1", "125000.00", "123525.00", "AXISN01", "15-01-2024"),
        ("X2", "89500.50", "88444.40", "AXISN02", "15-01-2024"),
        ("X3", "67000.00", "66210.00", "AXISN03", "15-01-2024"),
    ]);
    up("bank", "2024-01-15", vec![], sftp).await;
    assert_eq!(run_and_matched(&app, &ops, "2024-01-15").await, ["OTXN01", "OTXN02"]);

    // V2 ↔ 5.
    up("pg", "2024-01-16", vec![], PG_V2.into()).await;
    up("bank", "2024-01-16", vec![], BANK_AXIS_RECON.into()).await;
    assert_eq!(run_and_matched(&app, &ops, "2024-01-16").await, ["PG20240116001", "PG20240116002"]);

    // V2 ↔ the AXIS SFTP layout (the same PG rows on another cycle, under other ids).
    let v2_again = PG_V2
        .replace("PG20240116", "PG20240118")
        .replace("2024-01-16T", "2024-01-18T")
        .replace("AXISN0240116", "AXISN0240118")
        .replace("AXISR0240116", "AXISR0240118");
    up("pg", "2024-01-18", vec![], v2_again).await;
    let sftp = axis_sftp(&[
        ("Y1", "125000.00", "123525.00", "AXISN024011810001", "18-01-2024"),
        ("Y3", "156500.00", "154653.30", "AXISR024011810003", "18-01-2024"),
    ]);
    up("bank", "2024-01-18", vec![], sftp).await;
    assert_eq!(run_and_matched(&app, &ops, "2024-01-18").await, ["PG20240118001", "PG20240118003"]);

    // 3 ↔ 9: the ₹10 difference does not match; the DEBIT line takes no part.
    up("pg", "2025-10-01", vec![], PG_EXPORT.into()).await;
    up("bank", "2025-10-01", vec![], BANK_STATEMENT_PAISE.into()).await;
    assert_eq!(run_and_matched(&app, &ops, "2025-10-01").await, ["TXN20251001001", "TXN20251001002"]);

    // 4 ↔ 8: whole-number rupees on both sides; the FAILED payment is not there to match.
    up("pg", "2024-01-17", vec![], PG_PAYMENTS.into()).await;
    up("bank", "2024-01-17", vec![], BANK_CREDITS.into()).await;
    assert_eq!(run_and_matched(&app, &ops, "2024-01-17").await, ["TXN001", "TXN002", "TXN003", "TXN005"]);
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn unknown_merchants_are_accepted_flagged_kept_out_of_settlement_and_cleared(pool: PgPool) {
    let (app, ops, admin) = app(&pool).await;
    let file = PG_V2_CAPTURED.replace("MERCH_002", "MERCH001").replace(",MERCH_001,", ",UNIV99,");
    let bad = format!("{file}PGC9,bad-code!,ORD9,100,,,captured,2024-01-14T06:00:00Z,ICICINEFT009\n");

    // The preview tells the story the upload will: accepted, flagged, the bad code refused.
    let (status, p) = preview(&app, &ops, "pg", &[], &bad).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["unknownMerchants"], json!(["UNIV99", "MERCH001"]));
    assert_eq!(p["rows"][0]["cells"][1], "UNIV99 (not known yet)");
    assert!(p["rows"][4]["error"].as_str().unwrap().contains("cannot be a merchant code"), "{p}");

    let (status, r) = upload(&app, &ops, "pg", "2024-01-14", &[], &bad).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["rowsAccepted"].as_i64(), r["rowsRejected"].as_i64()), (Some(3), Some(1)));
    assert_eq!(r["unknownMerchants"], json!([{ "code": "MERCH001", "rows": 1 }, { "code": "UNIV99", "rows": 2 }]));
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("\"BAD-CODE!\" cannot be a merchant code"), "{r}");
    let flagged: Vec<String> =
        sqlx::query_scalar("SELECT id FROM merchants WHERE unknown_since IS NOT NULL ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(flagged, ["MERCH001", "UNIV99"]);
    let listed = app.get("/api/settlements/v1/merchant-codes/unknown", Some(&ops)).await.json();
    assert_eq!(listed["codes"][1]["code"], "UNIV99");
    assert_eq!(listed["codes"][1]["transactions"], 2);
    assert_eq!(listed["codes"][1]["amountPaise"], 12500000 + 8950050);
    let page = app.get("/settlements/merchants", Some(&ops)).await;
    assert!(page.body.contains("Merchant codes not known yet") && page.body.contains("UNIV99"));
    assert!(!page.body.contains("Create merchant"), "only an admin resolves");

    // Reconciled, with their exceptions flagged in the queue, and out of settlement.
    up_bank(&app, &ops).await;
    run_and_matched(&app, &ops, "2024-01-14").await;
    let reconciled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM transactions WHERE merchant_id = 'UNIV99' AND status = 'RECONCILED'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(reconciled, 2);
    let eligible = |m: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM settlement_eligible('2024-01-14') WHERE merchant_id = $1",
            )
            .bind(m)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(eligible("UNIV99").await, 0, "an unknown merchant's money is not settled");
    let queue = app.get("/api/recon/v1/exceptions?merchantId=MERCH001&status=all", Some(&ops)).await.json();
    let items = queue["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "PGC3's ₹5 difference is an exception: {queue}");
    assert!(items.iter().all(|e| e["merchantUnknown"] == true), "{queue}");
    let known = app.get("/api/recon/v1/exceptions?merchantId=MERCH_001&status=all&limit=5", Some(&ops)).await.json();
    assert!(known["items"].as_array().unwrap().iter().all(|e| e["merchantUnknown"] == false), "{known}");

    // The cycle is batched while UNIV99 is unknown: its money is in no batch.
    let finance = app.login("finance@settlepaisa.test", demo::DEMO_PASSWORD).await.session_cookie().unwrap();
    let started =
        json_request(&app, "POST", "/api/settlements/v1/batches", &finance, json!({ "cycleDate": "2024-01-14" })).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    while settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap() {}
    let batched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM settlement_items si JOIN transactions t ON t.id = si.transaction_id WHERE t.merchant_id = 'UNIV99'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(batched, 0);

    // Only an admin clears the flag.
    let map = |cookie: String, code: &'static str, to: &'static str| {
        let app = &app;
        async move {
            json_request(
                app,
                "POST",
                &format!("/api/settlements/v1/merchant-codes/{code}/map"),
                &cookie,
                json!({ "merchantId": to }),
            )
            .await
        }
    };
    assert_eq!(map(ops.clone(), "UNIV99", "MERCH_001").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        map(admin.clone(), "MERCH_002", "MERCH_001").await.status,
        StatusCode::NOT_FOUND,
        "a real merchant is never merged away"
    );
    assert_eq!(
        map(admin.clone(), "UNIV99", "MERCH001").await.status,
        StatusCode::BAD_REQUEST,
        "not onto another unknown code"
    );

    // Mapped: every row moves, the code becomes an alias, settlement takes them.
    let mapped = map(admin.clone(), "UNIV99", "MERCH_001").await;
    assert_eq!(mapped.status, StatusCode::OK, "{}", mapped.body);
    assert_eq!(mapped.json()["transactionsMoved"], 2);
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM transactions WHERE merchant_id = 'UNIV99') + (SELECT count(*) FROM exceptions WHERE merchant_id = 'UNIV99')
              + (SELECT count(*) FROM merchants WHERE id = 'UNIV99')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert_eq!(txn(&pool, "PGC1").await.1, "MERCH_001");
    // Its cycle was batched meanwhile: the money waits in the backlog for MERCH_001's next batch.
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT t.txn_id FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id
         WHERE k.merchant_id = 'MERCH_001' AND t.cycle_date = '2024-01-14' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(waiting, ["PGC1", "PGC2"]);
    let next: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM settlement_eligible('2024-01-15') WHERE merchant_id = 'MERCH_001' AND cycle_date = '2024-01-14'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(next, 2, "the next cycle's batch takes them");
    let alias: String = sqlx::query_scalar("SELECT merchant_id FROM merchant_aliases WHERE alias = 'UNIV99'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(alias, "MERCH_001");
    let detail = app.get("/settlements/merchants/MERCH_001", Some(&admin)).await;
    assert!(detail.body.contains("UNIV99"), "the alias on the merchant's page");

    // A later file with the code goes straight to the merchant.
    let later = "pg_txn_id,merchant_id,order_id,amount_paise,fee_paise,tax_paise,status,captured_at,utr\nPGL1,univ99,ORDL,10000,,,captured,2024-01-14T06:00:00Z,LATER1\n";
    let (status, r) = upload(&app, &ops, "pg", "2024-01-14", &[], later).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["unknownMerchants"], json!([]));
    assert_eq!(txn(&pool, "PGL1").await.1, "MERCH_001");
    let (_, p) = preview(&app, &ops, "pg", &[], later).await;
    assert_eq!(p["rows"][0]["cells"][1], "MERCH_001 (as UNIV99)");

    // Created: the flag clears and the merchant keeps its code.
    let create = |cookie: String, body: Value| {
        let app = &app;
        async move { json_request(app, "POST", "/api/settlements/v1/merchant-codes/MERCH001/create", &cookie, body).await }
    };
    assert_eq!(create(ops.clone(), json!({ "name": "M", "legalName": "M Ltd" })).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        create(admin.clone(), json!({ "name": "M", "legalName": "M Ltd", "pan": "NOTAPAN" })).await.status,
        StatusCode::BAD_REQUEST
    );
    let created = create(admin.clone(), json!({ "name": "Merchant One", "legalName": "Merchant One Pvt Ltd" })).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let (name, unknown): (String, bool) =
        sqlx::query_as("SELECT name, unknown_since IS NOT NULL FROM merchants WHERE id = 'MERCH001'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), unknown), ("Merchant One", false));
    let queue = app.get("/api/recon/v1/exceptions?merchantId=MERCH001&status=all", Some(&ops)).await.json();
    assert!(queue["items"].as_array().unwrap().iter().all(|e| e["merchantUnknown"] == false), "{queue}");
    assert_eq!(
        create(admin.clone(), json!({ "name": "M", "legalName": "M Ltd" })).await.status,
        StatusCode::NOT_FOUND,
        "once"
    );

    // Aliases by hand: a code no merchant has; removed, the code is unknown again.
    let add = |cookie: String, alias: &'static str| {
        let app = &app;
        async move {
            json_request(
                app,
                "POST",
                "/api/settlements/v1/merchants/MERCH_002/aliases",
                &cookie,
                json!({ "alias": alias }),
            )
            .await
        }
    };
    assert_eq!(add(ops.clone(), "MERCHANT_002").await.status, StatusCode::FORBIDDEN);
    assert_eq!(add(admin.clone(), "MERCH_001").await.status, StatusCode::CONFLICT, "a merchant's own code");
    assert_eq!(add(admin.clone(), "UNIV99").await.status, StatusCode::CONFLICT, "another merchant's alias");
    assert_eq!(add(admin.clone(), "x").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(add(admin.clone(), "merchant_002").await.status, StatusCode::CREATED);
    let r = json_request(
        &app,
        "DELETE",
        "/api/settlements/v1/merchants/MERCH_002/aliases/MERCHANT_002",
        &admin,
        Value::Null,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'merchant.%' AND outcome = 'success' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ["merchant.code.map", "merchant.code.create", "merchant.alias.add", "merchant.alias.remove"]);
    common::assert_rollups_exact(&pool).await;
}

async fn up_bank(app: &TestApp, ops: &str) {
    let (status, r) = upload(app, ops, "bank", "2024-01-14", &[], BANK_ICICI_NEFT).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_amount_unit_is_chosen_per_upload_and_kept_on_a_layout_by_an_admin(pool: PgPool) {
    let (app, ops, admin) = app(&pool).await;
    // The SFTP drop's whole numbers are paise by its definition; read as rupees for one upload.
    let (_, p) = preview(&app, &ops, "bank", &[("amountUnit", "rupees")], BANK_SFTP_DROP).await;
    assert_eq!(
        (p["amountUnit"].as_str(), p["layoutUnit"].as_str(), p["unitSwitchable"].as_bool()),
        (Some("rupees"), Some("paise"), Some(true))
    );
    assert_eq!(p["rows"][0]["cells"][2], "₹1,50,000.00");
    let (status, r) = upload(&app, &ops, "bank", "2025-09-14", &[("amountUnit", "rupees")], BANK_SFTP_DROP).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["amountUnit"], "rupees");
    assert_eq!(line_amount(&pool, "UTR20250914001").await, 15000000);

    // A layout whose column names its unit cannot be switched.
    let (status, r) = upload(&app, &ops, "bank", "2025-10-01", &[("amountUnit", "rupees")], BANK_STATEMENT_PAISE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(r.to_string().contains("amount_paise is in paise"), "{r}");
    let (status, _) =
        upload(&app, &ops, "bank", "2025-10-01", &[("amountUnit", "dollars")], BANK_STATEMENT_PAISE).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Keeping the unit on the stored layout is an admin's decision, audited.
    // The next day's drop: new lines (the same references again with another date would be refused
    // as lines on file with other details).
    let other = BANK_SFTP_DROP.replace("2025-09-14", "2025-09-15").replace("20250914", "20250915");
    let (status, _) =
        upload(&app, &ops, "bank", "2025-09-15", &[("amountUnit", "rupees"), ("saveUnit", "true")], &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stored: String =
        sqlx::query_scalar("SELECT amounts_in FROM bank_column_mappings WHERE layout_name = 'AXIS SFTP drop'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, "paise", "a refused upload changes nothing");
    let (status, r) =
        upload(&app, &admin, "bank", "2025-09-15", &[("amountUnit", "rupees"), ("saveUnit", "true")], &other).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let stored: String =
        sqlx::query_scalar("SELECT amounts_in FROM bank_column_mappings WHERE layout_name = 'AXIS SFTP drop'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, "rupees");
    let audit: Value = sqlx::query_scalar("SELECT after FROM audit_log WHERE action = 'recon.layout.unit'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, json!({ "amountsIn": "rupees" }));
    let (status, r) =
        upload(&app, &admin, "pg", "2024-01-17", &[("amountUnit", "paise"), ("saveUnit", "true")], PG_PAYMENTS).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a built-in layout keeps no unit: {r}");
    // From now on the layout says rupees.
    let (_, p) = preview(&app, &ops, "bank", &[], BANK_SFTP_DROP).await;
    assert_eq!(p["amountUnit"], "rupees");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_merchant_code_change_checks_the_role(pool: PgPool) {
    let (app, ops, admin) = app(&pool).await;
    let file = PG_PAYMENTS.replace("MERCH_003", "NEWCODE1");
    let (status, _) = upload(&app, &ops, "pg", "2024-01-17", &[], &file).await;
    assert_eq!(status, StatusCode::CREATED);
    let calls: [(&str, &str, Value); 4] = [
        ("POST", "/api/settlements/v1/merchant-codes/NEWCODE1/map", json!({ "merchantId": "MERCH_001" })),
        ("POST", "/api/settlements/v1/merchant-codes/NEWCODE1/create", json!({ "name": "N", "legalName": "N Ltd" })),
        ("POST", "/api/settlements/v1/merchants/MERCH_001/aliases", json!({ "alias": "OTHERCODE" })),
        ("DELETE", "/api/settlements/v1/merchants/MERCH_001/aliases/OTHERCODE", Value::Null),
    ];
    for email in
        ["ops@settlepaisa.test", "finance@settlepaisa.test", "compliance@settlepaisa.test", "auditor@settlepaisa.test"]
    {
        let cookie = app.login(email, demo::DEMO_PASSWORD).await.session_cookie().unwrap();
        assert_eq!(
            app.get("/api/settlements/v1/merchant-codes/unknown", Some(&cookie)).await.status,
            StatusCode::OK,
            "{email} reads"
        );
        for (method, path, body) in &calls {
            let r = json_request(&app, method, path, &cookie, body.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{email} {method} {path}");
        }
        let (status, _) = upload(
            &app,
            &cookie,
            "bank",
            "2025-09-20",
            &[("amountUnit", "rupees"), ("saveUnit", "true")],
            BANK_SFTP_DROP,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email} keeps no unit on a layout");
    }
    assert_eq!(app.get("/api/settlements/v1/merchant-codes/unknown", None).await.status, StatusCode::UNAUTHORIZED);
    // Nothing changed; the admin may.
    let unknown: i64 = sqlx::query_scalar("SELECT count(*) FROM merchants WHERE unknown_since IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unknown, 1);
    let r = json_request(&app, "POST", calls[1].1, &admin, calls[1].2.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The page's forms are server functions behind the same rule.
    for (path, form) in [
        ("/sfn/settlement-merchants/map-code", "code=NEWCODE1&merchant_id=MERCH_001"),
        ("/sfn/settlement-merchants/create-code", "code=NEWCODE1&name=N&legal_name=N+Ltd&pan="),
        ("/sfn/settlement-merchants/add-alias", "merchant_id=MERCH_001&alias=OTHERCODE"),
        ("/sfn/settlement-merchants/remove-alias", "merchant_id=MERCH_001&alias=OTHERCODE"),
    ] {
        let r = app.post_form(path, form, Some(&ops), Some(common::ORIGIN)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // An admin's form post works (the same server function).
    let r = app
        .post_form(
            "/sfn/settlement-merchants/add-alias",
            "merchant_id=MERCH_001&alias=OTHERCODE",
            Some(&admin),
            Some(common::ORIGIN),
        )
        .await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{} {}", r.status, r.body);
    let r = json_request(&app, "DELETE", calls[3].1, &admin, Value::Null).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let alias: i64 = sqlx::query_scalar("SELECT count(*) FROM merchant_aliases").fetch_one(&pool).await.unwrap();
    assert_eq!(alias, 0);
}
