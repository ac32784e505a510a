//! The settlement desk on real Postgres (issue 12): batches per merchant per cycle with figures
//! worked by hand, idempotent creation (twice, and two at once), maker-checker, the approval and
//! RTGS thresholds, T+N over a holiday, the minimum carried forward, reserve held and released on
//! its date, deductions capped at 30 % and carried, payout files (exact bytes, asked twice), UTRs
//! used once, verification from DEBIT lines before and after marking paid, failed → re-queued →
//! paid, the role matrix and bad input.

// Amounts are written as rupees in Indian grouping then paise: `1_00_000_00` is ₹1,00,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use common::{TestApp, HOST, ORIGIN};
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::features::settlements::batching::{self, Payload};
use settlepaisa_ops::state::{Clock, ManualClock};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 10:00 IST on `day`.
fn ist_morning(day: &str) -> DateTime<Utc> {
    let day = d(day);
    Utc.from_utc_datetime(&day.and_hms_opt(4, 30, 0).unwrap())
}

const CYCLE: &str = "2026-12-22";

async fn app_at(pool: &PgPool, now: DateTime<Utc>) -> TestApp {
    let mut app = TestApp::new(pool.clone());
    let clock = Arc::new(ManualClock::new(now));
    app.state = app.state.with(|s| s.clock = clock.clone());
    app.clock = clock;
    for (email, role) in [
        ("finance@t.test", Role::Finance),
        ("finance2@t.test", Role::Finance),
        ("ops@t.test", Role::Ops),
        ("compliance@t.test", Role::Compliance),
        ("auditor@t.test", Role::Auditor),
        ("admin@t.test", Role::Admin),
    ] {
        app.create_user(email, &[role]).await;
    }
    app
}

/// A merchant with a UPI commission rate, a minimum settlement amount, a preferred rail, an
/// optional rolling reserve (rate, hold days) and a bank account.
async fn merchant(pool: &PgPool, id: &str, commission: &str, min_paise: i64, rail: &str, reserve: Option<(&str, i16)>) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name, pan) VALUES ($1, $1, 'Legal ' || $1, 'ABCDE1234F')")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
         VALUES ($1, $2, 'Holder ' || replace($2, '_', ' '), $3, 'HDFC0001234', 'HDFC Bank')",
    )
    .bind(Uuid::new_v4())
    .bind(id)
    .bind(format!("5010{:010}", id.bytes().map(u64::from).sum::<u64>()))
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO merchant_settlement_config (merchant_id, preferred_rail, min_settlement_paise, reserve_enabled,
                                                 reserve_rate, reserve_hold_days)
         VALUES ($1, $2, $3, $4, $5::numeric, $6)",
    )
    .bind(id)
    .bind(rail)
    .bind(min_paise)
    .bind(reserve.is_some())
    .bind(reserve.map_or("0", |r| r.0))
    .bind(reserve.map_or(0, |r| r.1))
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, kind, rate, effective_from)
         VALUES ($1, $2, 'UPI', 'PERCENT', $3::numeric, '2026-01-01')",
    )
    .bind(Uuid::new_v4())
    .bind(id)
    .bind(commission)
    .execute(pool)
    .await
    .unwrap();
}

/// A RECONCILED UPI payment of `paise` on `cycle` through HDFC (no rate is the bank's own, so the
/// mode's applies), its UTR and RRN made from its id.
async fn txn(pool: &PgPool, txn_id: &str, merchant: &str, paise: i64, cycle: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status, utr, rrn,
                                   acquirer)
         VALUES ($1, $2, $3, $4::date + time '10:00', $4::date, 'UPI', 'RECONCILED', 'UTR' || $1, 'RRN' || $1, 'HDFC')
         RETURNING id",
    )
    .bind(txn_id)
    .bind(merchant)
    .bind(paise)
    .bind(d(cycle))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The hand-made cycle: figures worked out below, in paise.
async fn fixture(pool: &PgPool) {
    // MBIG: 2 % + 18 % GST on ₹50,000 + ₹30,000 + ₹30,000 = ₹1,10,000: commission ₹2,200, GST ₹396,
    // net ₹1,07,404 — above ₹1,00,000, so it waits for a checker; below ₹2,00,000, its NEFT.
    merchant(pool, "MBIG", "0.02", 100_00, "NEFT", None).await;
    for (i, rupees) in [50_000, 30_000, 30_000].into_iter().enumerate() {
        txn(pool, &format!("BIG{i}"), "MBIG", rupees * 100, CYCLE).await;
    }
    // No commission: net = gross. ₹1,00,000.00 exactly is approved at once; a paisa more waits.
    merchant(pool, "MEXACT", "0", 100_00, "NEFT", None).await;
    txn(pool, "EXACT1", "MEXACT", 1_00_000_00, CYCLE).await;
    merchant(pool, "MOVER", "0", 100_00, "NEFT", None).await;
    txn(pool, "OVER1", "MOVER", 1_00_000_01, CYCLE).await;
    // ₹2,00,000.00 goes by RTGS though the merchant prefers IMPS.
    merchant(pool, "MRTGS", "0", 100_00, "IMPS", None).await;
    txn(pool, "RTGS1", "MRTGS", 2_00_000_00, CYCLE).await;
    // ₹50 − ₹1 − ₹0.18 = ₹48.82, below the ₹100 minimum: carried forward.
    merchant(pool, "MSMALL", "0.02", 100_00, "NEFT", None).await;
    txn(pool, "SMALL1", "MSMALL", 50_00, CYCLE).await;
    // Not reconciled, and another cycle: not eligible.
    txn(pool, "BIGX", "MBIG", 99_00, "2026-12-21").await;
    sqlx::query("UPDATE transactions SET status = 'EXCEPTION' WHERE txn_id = 'BIGX'").execute(pool).await.unwrap();
    txn(pool, "BIGPEND", "MBIG", 77_00, CYCLE).await;
    sqlx::query("UPDATE transactions SET status = 'PENDING' WHERE txn_id = 'BIGPEND'").execute(pool).await.unwrap();
}

async fn json_req(app: &TestApp, method: &str, path: &str, body: Option<Value>, cookie: &str) -> common::Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    app.send(req).await
}

async fn post(app: &TestApp, path: &str, body: Value, cookie: &str) -> common::Reply {
    json_req(app, "POST", path, Some(body), cookie).await
}

/// Ask for the cycle's batches through the API and run the job now; the job's report.
async fn create_batches(app: &TestApp, cookie: &str, cycle: &str) -> Value {
    let reply = post(app, "/api/settlements/v1/batches", json!({ "cycleDate": cycle }), cookie).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let job_id = reply.json()["jobId"].as_i64().expect("a job id");
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap(), "the job ran");
    let status = app.get(&format!("/api/settlements/v1/jobs/{job_id}"), Some(cookie)).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    status.json()
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct BatchFigures {
    status: String,
    rail: String,
    txn_count: i32,
    gross_paise: i64,
    commission_paise: i64,
    gst_paise: i64,
    reserve_paise: i64,
    deductions_paise: i64,
    reserve_released_paise: i64,
    net_paise: i64,
}

async fn figures(pool: &PgPool, merchant: &str, cycle: &str) -> BatchFigures {
    sqlx::query_as(
        "SELECT status, rail::text AS rail, txn_count, gross_paise, commission_paise, gst_paise, reserve_paise,
                deductions_paise, reserve_released_paise, net_paise
         FROM settlement_batches WHERE merchant_id = $1 AND cycle_date = $2",
    )
    .bind(merchant)
    .bind(d(cycle))
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("the batch of {merchant} on {cycle}: {e}"))
}

fn fig(status: &str, rail: &str, txns: i32, gross: i64, commission: i64, gst: i64, net: i64) -> BatchFigures {
    BatchFigures {
        status: status.into(),
        rail: rail.into(),
        txn_count: txns,
        gross_paise: gross,
        commission_paise: commission,
        gst_paise: gst,
        reserve_paise: 0,
        deductions_paise: 0,
        reserve_released_paise: 0,
        net_paise: net,
    }
}

async fn batch_id(pool: &PgPool, merchant: &str, cycle: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM settlement_batches WHERE merchant_id = $1 AND cycle_date = $2")
        .bind(merchant)
        .bind(d(cycle))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every batch's totals equal the sums of its items (the SQL ground truth of the figures): its net
/// is its items' net less deductions plus reserve released; a batch without items (other than a
/// rejected one, whose items went back) disagrees.
async fn items_agree_with_batches(pool: &PgPool) {
    let disagreeing: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM settlement_batches b
         LEFT JOIN (SELECT batch_id, count(*) AS n, sum(amount_paise) AS gross, sum(commission_paise) AS commission,
                           sum(gst_paise) AS gst, sum(tds_paise) AS tds, sum(reserve_paise) AS reserve, sum(net_paise) AS net
                    FROM settlement_items GROUP BY batch_id) i ON i.batch_id = b.id
         WHERE b.status <> 'REJECTED'
           AND (b.txn_count, b.gross_paise, b.commission_paise, b.gst_paise, b.tds_paise, b.reserve_paise, b.net_paise)
               IS DISTINCT FROM (i.n::int, i.gross, i.commission, i.gst, i.tds, i.reserve,
                                 i.net - b.deductions_paise + b.reserve_released_paise)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(disagreeing, 0, "batch totals are the sums of their items");
    // Each item carries its transaction's identity as the settlement report shows it (written from
    // the eligible read, not read again).
    let (items, drift): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE (i.txn_id, i.txn_at, i.payment_method, i.acquirer, i.utr, i.rrn)
                                                 IS DISTINCT FROM (t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn))
         FROM settlement_items i JOIN transactions t ON t.id = i.transaction_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(items > 0);
    assert_eq!(drift, 0, "items carry their transactions' identity");
    let blank: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM settlement_items WHERE acquirer IS NULL OR utr IS NULL OR rrn IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(blank, 0, "the fixture's transactions have all six, and so do their items");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn batches_carry_the_worked_figures_and_are_made_once(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    // Batch creation brings each item's identity itself: the trigger that fills one left out (for a
    // server of the previous release during a rolling deploy) is off here, so an item written
    // without it fails on NOT NULL.
    sqlx::query("ALTER TABLE settlement_items DISABLE TRIGGER settlement_items_identity_filled")
        .execute(&pool)
        .await
        .unwrap();

    let report = create_batches(&app, &finance, CYCLE).await;
    assert_eq!(report["status"], "completed", "{report}");
    assert_eq!(
        (report["created"].as_i64(), report["skipped"].as_i64(), report["carriedForward"].as_i64()),
        (Some(4), Some(0), Some(1))
    );

    assert_eq!(
        figures(&pool, "MBIG", CYCLE).await,
        fig("PENDING_APPROVAL", "NEFT", 3, 110_000_00, 2_200_00, 396_00, 107_404_00)
    );
    assert_eq!(figures(&pool, "MEXACT", CYCLE).await, fig("APPROVED", "NEFT", 1, 1_00_000_00, 0, 0, 1_00_000_00));
    assert_eq!(
        figures(&pool, "MOVER", CYCLE).await,
        fig("PENDING_APPROVAL", "NEFT", 1, 1_00_000_01, 0, 0, 1_00_000_01)
    );
    assert_eq!(
        figures(&pool, "MRTGS", CYCLE).await,
        fig("PENDING_APPROVAL", "RTGS", 1, 2_00_000_00, 0, 0, 2_00_000_00)
    );
    items_agree_with_batches(&pool).await;
    // The auto-approved batch has no checker; its timeline says why.
    let exact = batch_id(&pool, "MEXACT", CYCLE).await;
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM settlement_batch_events WHERE batch_id = $1 ORDER BY id")
            .bind(exact)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(events, ["CALCULATED", "AUTO_APPROVED"]);
    // T+1 from Tuesday 22 December is Wednesday 23.
    let due: NaiveDate = sqlx::query_scalar("SELECT payout_due_on FROM settlement_batches WHERE id = $1")
        .bind(exact)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(due, d("2026-12-23"));

    // Transaction states: batched ones are in their batch and stay RECONCILED (settled is where they
    // are); the carried one waits in the backlog; the pending and the exception as they were.
    let states: Vec<(String, String, Option<String>, bool, String)> = sqlx::query_as(
        "SELECT t.txn_id, t.status, b.batch_ref, EXISTS (SELECT 1 FROM settlement_backlog k WHERE k.transaction_id = t.id),
                l.status
         FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id
         LEFT JOIN settlement_batches b ON b.id = l.batch_id ORDER BY t.txn_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let state = |id: &str| states.iter().find(|(t, ..)| t == id).unwrap().clone();
    for settled in ["BIG0", "BIG1", "BIG2", "EXACT1", "OVER1", "RTGS1"] {
        let (_, status, batch, waiting, lifecycle) = state(settled);
        assert_eq!((status.as_str(), batch.is_some(), waiting), ("RECONCILED", true, false), "{settled}");
        assert_eq!(lifecycle, "SETTLED", "{settled}: read from its batch");
    }
    assert_eq!((state("SMALL1").1, state("SMALL1").4), ("RECONCILED".into(), "RECONCILED".into()));
    assert_eq!((state("SMALL1").2, state("SMALL1").3), (None, true), "carried forward: in no batch, in the backlog");
    assert_eq!((state("BIGPEND").1, state("BIGX").1), ("PENDING".into(), "EXCEPTION".into()));
    assert!(!state("BIGPEND").3 && !state("BIGX").3, "only reconciled ones wait in the backlog");
    let carried: (i32, i64, i64) = sqlx::query_as(
        "SELECT txn_count, gross_paise, net_paise FROM settlement_carry_forwards WHERE merchant_id = 'MSMALL'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(carried, (1, 50_00, 48_82));

    // A second run makes nothing new: the four batches are skipped, the small one stays carried.
    let again = create_batches(&app, &finance, CYCLE).await;
    assert_eq!((again["created"].as_i64(), again["skipped"].as_i64()), (Some(0), Some(4)), "{again}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM settlement_batches").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 4);

    // The API lists them with the maker's e-mail and the figures in paise.
    let list = app
        .get(&format!("/api/settlements/v1/batches?cycleDate={CYCLE}&status=PENDING_APPROVAL"), Some(&finance))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.json();
    assert_eq!(list["total"], 3);
    let big = list["batches"].as_array().unwrap().iter().find(|b| b["merchantId"] == "MBIG").unwrap();
    assert_eq!(
        (big["netPaise"].as_i64(), big["createdBy"].as_str(), big["approvedBy"].as_str()),
        (Some(107_404_00), Some("finance@t.test"), None)
    );
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn two_runs_at_once_make_each_batch_once(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let payload = |run_id| Payload { run_id, cycle_date: d(CYCLE), requested_by: None, ip: None };
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    for run in [a, b] {
        sqlx::query("INSERT INTO settlement_runs (id, cycle_date) VALUES ($1, $2)")
            .bind(run)
            .bind(d(CYCLE))
            .execute(&pool)
            .await
            .unwrap();
    }
    let now = app.clock.now();
    let (pa, pb) = (payload(a), payload(b));
    let (first, second) =
        tokio::join!(batching::create(&pool, &pa, now, None), batching::create(&pool, &pb, now, None));
    let (first, second) = (first.unwrap().unwrap(), second.unwrap().unwrap());
    assert_eq!(first.created + second.created, 4, "{first:?} {second:?}");
    assert_eq!(first.skipped + second.skipped, 4, "the later run finds the earlier's four");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM settlement_items").fetch_one(&pool).await.unwrap();
    assert_eq!(items, 6);
}

async fn act(app: &TestApp, cookie: &str, id: Uuid, body: Value) -> common::Reply {
    post(app, &format!("/api/settlements/v1/batches/{id}/actions"), body, cookie).await
}

async fn status_of(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM settlement_batches WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
}

/// A bank statement as the generic layout reads it, uploaded by `cookie` for `cycle`.
async fn upload_bank(app: &TestApp, cookie: &str, cycle: &str, csv: &str) -> common::Reply {
    let fields = [("kind", "bank"), ("cycleDate", cycle)];
    common::post_multipart(app, "/api/recon/v1/uploads", cookie, &fields, Some(("statement.csv", csv.as_bytes()))).await
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn maker_checker_payout_file_utr_and_verification(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let (finance, finance2, ops) = (
        app.session_for("finance@t.test").await,
        app.session_for("finance2@t.test").await,
        app.session_for("ops@t.test").await,
    );
    create_batches(&app, &finance, CYCLE).await;
    let (big, exact, over) = (
        batch_id(&pool, "MBIG", CYCLE).await,
        batch_id(&pool, "MEXACT", CYCLE).await,
        batch_id(&pool, "MOVER", CYCLE).await,
    );

    // Maker-checker: the maker is refused with the reason; the second finance user approves.
    let refused = act(&app, &finance, big, json!({ "action": "approve" })).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.json()["message"].as_str().unwrap().contains("Maker-checker"), "{}", refused.body);
    assert_eq!(status_of(&pool, big).await, "PENDING_APPROVAL");
    let approved = act(&app, &finance2, big, json!({ "action": "approve" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(
        (approved.json()["status"].as_str(), approved.json()["approvedBy"].as_str()),
        (Some("APPROVED"), Some("finance2@t.test"))
    );
    // Approving twice is a refused move, not a second approval.
    assert_eq!(act(&app, &finance2, big, json!({ "action": "approve" })).await.status, StatusCode::CONFLICT);

    // The payout file of 23 December takes the two approved batches (not the one awaiting approval).
    let file = post(&app, "/api/settlements/v1/payout-files", json!({ "payoutDate": "2026-12-23" }), &finance2).await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    let file = file.json();
    assert_eq!(file["totalPaise"].as_i64(), Some(107_404_00 + 1_00_000_00));
    let mut in_file: Vec<String> =
        file["batches"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()).collect();
    in_file.sort();
    let mut expected = vec![big.to_string(), exact.to_string()];
    expected.sort();
    assert_eq!(in_file, expected);
    let id = file["id"].as_str().unwrap();
    let csv = app.get(&format!("/api/settlements/v1/payout-files/{id}.csv"), Some(&finance)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let big_account = format!("5010{:010}", "MBIG".bytes().map(u64::from).sum::<u64>());
    let exact_account = format!("5010{:010}", "MEXACT".bytes().map(u64::from).sum::<u64>());
    assert_eq!(
        csv.body,
        format!(
            "beneficiary_name,account_number,ifsc,amount,rail,batch_ref\r\n\
             Holder MBIG,{big_account},HDFC0001234,107404.00,NEFT,STL-20261222-MBIG\r\n\
             Holder MEXACT,{exact_account},HDFC0001234,100000.00,NEFT,STL-20261222-MEXACT\r\n"
        ),
        "the golden payout file"
    );
    let sha = file["sha256"].as_str().unwrap();
    assert_eq!(sha, hex::encode(<sha2::Sha256 as sha2::Digest>::digest(csv.body.as_bytes())));
    assert_eq!(status_of(&pool, big).await, "SENT");
    // Asking again for the same batches answers the same file: no second payment.
    let again = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [big, exact] }), &finance2).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!((again.json()["id"].as_str(), again.json()["created"].as_bool()), (Some(id), Some(false)));
    let transfers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM settlement_transfers").fetch_one(&pool).await.unwrap();
    assert_eq!(transfers, 2);
    // A batch not approved is refused by name.
    let not_approved = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [over] }), &finance2).await;
    assert_eq!(not_approved.status, StatusCode::CONFLICT);
    assert!(not_approved.body.contains("STL-20261222-MOVER"), "{}", not_approved.body);
    // The auditor gets no payout file.
    let auditor = app.session_for("auditor@t.test").await;
    assert_eq!(
        app.get(&format!("/api/settlements/v1/payout-files/{id}.csv"), Some(&auditor)).await.status,
        StatusCode::FORBIDDEN
    );

    // The bank statement already has MBIG's payout debit (uploaded before it is marked paid).
    let statement = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                     PAYOUT1,HDFC,107404.00,2026-12-23,2026-12-23,hdfcr52026122300001,payout,DEBIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", statement).await.status, StatusCode::CREATED);
    let paid = act(&app, &finance, big, json!({ "action": "paid", "utr": " hdfcr52026122300001 " })).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    assert_eq!(paid.json()["payoutUtr"], "HDFCR52026122300001");
    let verification: String = sqlx::query_scalar("SELECT verification FROM settlement_transfers WHERE batch_id = $1")
        .bind(big)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(verification, "VERIFIED");
    let paid_txns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id
             WHERE t.merchant_id = 'MBIG' AND l.status = 'PAID'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(paid_txns, 3);
    // Each item reads PAID now, as the batch page and the merchant statement show it (SETTLED while
    // its batch waited: see the first test).
    let detail = app.get(&format!("/api/settlements/v1/batches/{big}"), Some(&finance)).await.json();
    let shown: Vec<&str> =
        detail["items"].as_array().unwrap().iter().map(|i| i["txnStatus"].as_str().unwrap()).collect();
    assert_eq!(shown, ["PAID", "PAID", "PAID"]);
    // One UTR, one payment.
    let reused = act(&app, &finance, exact, json!({ "action": "paid", "utr": "HDFCR52026122300001" })).await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert!(reused.body.contains("already recorded for batch STL-20261222-MBIG"), "{}", reused.body);
    assert_eq!(status_of(&pool, exact).await, "SENT");

    // MEXACT fails at the bank, is re-queued, goes out in a new file and is paid; its statement line
    // arrives after, with another amount.
    let failed = act(&app, &finance, exact, json!({ "action": "failed", "failureCode": "BANK_TIMEOUT" })).await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    assert_eq!(failed.json()["failureReason"], "Bank timeout");
    // Whoever marked it failed does not send it again: another finance user re-queues it.
    let own = act(&app, &finance, exact, json!({ "action": "requeue" })).await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);
    assert_eq!(act(&app, &finance2, exact, json!({ "action": "requeue" })).await.status, StatusCode::OK);
    let second = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [exact] }), &finance).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(
        act(&app, &finance, exact, json!({ "action": "paid", "utr": "ICICR52026122300002" })).await.status,
        StatusCode::OK
    );
    let late = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                PAYOUT2,HDFC,99999.00,2026-12-23,2026-12-23,ICICR52026122300002,payout,DEBIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", late).await.status, StatusCode::CREATED);
    let history: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT tr.status, tr.verification, l.amount_paise FROM settlement_transfers tr
         LEFT JOIN bank_statement_lines l ON l.id = tr.bank_line_id WHERE tr.batch_id = $1 ORDER BY tr.id",
    )
    .bind(exact)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        history,
        [("FAILED".into(), None, None), ("PAID".into(), Some("AMOUNT_MISMATCH".into()), Some(99_999_00))],
        "the failed attempt stays in the history; the second is paid with its mismatch shown"
    );
    let detail = app.get(&format!("/api/settlements/v1/batches/{exact}"), Some(&auditor)).await.json();
    let events: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        ["CALCULATED", "AUTO_APPROVED", "SENT", "FAILED", "REQUEUED", "SENT", "PAID", "AMOUNT_MISMATCH"]
    );
    assert!(!detail.to_string().contains(&exact_account), "the API never shows the full account number");
    // Every action is in the audit log with its before and after.
    let audited: Vec<(String, Option<Value>, Option<Value>)> = sqlx::query_as(
        "SELECT action, before, after FROM audit_log WHERE target_type = 'settlement_batch' AND target_id = $1 ORDER BY id",
    )
    .bind(exact.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = audited.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, ["settlement.batch.failed", "settlement.batch.requeue", "settlement.batch.paid"]);
    assert_eq!(audited[0].1.as_ref().unwrap()["status"], "SENT");
    assert_eq!(audited[0].2.as_ref().unwrap()["status"], "FAILED");
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn deductions_are_capped_and_carried_and_reserve_is_released_on_its_date(pool: PgPool) {
    // No commission, so the figures are the amounts: a 10 % reserve held 2 days.
    merchant(&pool, "MRES", "0", 100_00, "NEFT", Some(("0.10", 2))).await;
    // Owed: a refund of ₹5,000 (older) and one of ₹2,000.
    for (paise, at) in [(5_000_00_i64, "2026-12-01T10:00:00Z"), (2_000_00, "2026-12-02T10:00:00Z")] {
        sqlx::query("INSERT INTO merchant_refunds (id, merchant_id, txn_ref, amount_paise, refunded_at) VALUES ($1, 'MRES', 'R', $2, $3::timestamptz)")
            .bind(Uuid::new_v4())
            .bind(paise)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
    }
    txn(&pool, "RES1", "MRES", 10_000_00, "2026-12-21").await;
    txn(&pool, "RES2", "MRES", 10_000_00, "2026-12-22").await;
    txn(&pool, "RES3", "MRES", 10_000_00, "2026-12-23").await;
    let app = app_at(&pool, ist_morning("2026-12-22")).await;
    let finance = app.session_for("finance@t.test").await;

    // 21 Dec: gross ₹10,000, reserve ₹1,000 held until 23 Dec; the cap is ₹3,000: the ₹5,000 refund
    // is deducted in part. Net ₹10,000 − ₹1,000 − ₹3,000 = ₹6,000.
    create_batches(&app, &finance, "2026-12-21").await;
    let first = figures(&pool, "MRES", "2026-12-21").await;
    assert_eq!(
        (first.reserve_paise, first.deductions_paise, first.reserve_released_paise, first.net_paise),
        (1_000_00, 3_000_00, 0, 6_000_00)
    );
    // 22 Dec (clock: 22 Dec): the hold is not due. The rest of the first refund (₹2,000) and ₹1,000
    // of the second: ₹3,000 again. Net ₹6,000.
    create_batches(&app, &finance, "2026-12-22").await;
    let second = figures(&pool, "MRES", "2026-12-22").await;
    assert_eq!((second.deductions_paise, second.reserve_released_paise, second.net_paise), (3_000_00, 0, 6_000_00));
    // The first batch is paid (sent in a payout file, then its UTR): its reserve may go out.
    let first_id = batch_id(&pool, "MRES", "2026-12-21").await;
    let sent = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [first_id] }), &finance).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let paid = act(&app, &finance, first_id, json!({ "action": "paid", "utr": "HDFCR52026122200001" })).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    // 23 Dec: the clock reaches the first hold's date: it is released into this batch (once).
    app.clock.advance(chrono::Duration::days(1));
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, "2026-12-23").await;
    let third = figures(&pool, "MRES", "2026-12-23").await;
    // ₹10,000 − ₹1,000 held − ₹1,000 (the last of the refunds) + ₹1,000 released = ₹9,000.
    assert_eq!((third.deductions_paise, third.reserve_released_paise, third.net_paise), (1_000_00, 1_000_00, 9_000_00));
    let refunds: Vec<(i64, String)> =
        sqlx::query_as("SELECT applied_paise, status FROM merchant_refunds ORDER BY refunded_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(refunds, [(5_000_00, "APPLIED".into()), (2_000_00, "APPLIED".into())]);
    let deducted: i64 = sqlx::query_scalar("SELECT sum(amount_paise)::bigint FROM settlement_deductions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(deducted, 7_000_00, "every rupee owed deducted once, across three batches");
    let releases: i64 = sqlx::query_scalar("SELECT count(*) FROM reserve_ledger WHERE kind = 'RELEASE'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(releases, 1);

    // 24 Dec: the second batch's hold (₹1,000, until 24 Dec) is due, but that batch is not paid
    // (approved, never sent): its reserve waits. Net ₹10,000 − ₹1,000 held = ₹9,000.
    txn(&pool, "RES4", "MRES", 10_000_00, "2026-12-24").await;
    app.clock.advance(chrono::Duration::days(1));
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, "2026-12-24").await;
    let fourth = figures(&pool, "MRES", "2026-12-24").await;
    assert_eq!((fourth.reserve_released_paise, fourth.net_paise), (0, 9_000_00));
    // So the second batch can still be rejected: nothing of it was paid out elsewhere.
    let second_id = batch_id(&pool, "MRES", "2026-12-22").await;
    let rejected = act(&app, &finance, second_id, json!({ "action": "reject", "reason": "Refund disputed" })).await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    let releases: i64 = sqlx::query_scalar("SELECT count(*) FROM reserve_ledger WHERE kind = 'RELEASE'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(releases, 1, "only the paid batch's reserve was released");
    // Its page says what it had deducted, given back.
    let page = app.get(&format!("/settlements/{second_id}"), Some(&finance)).await;
    assert!(page.body.contains("the chargebacks and refunds it deducted (₹3,000.00) were given back"));

    // 26 Dec: the third batch (its hold due 25 Dec) is paid only now, after its hold's date; the
    // next batch releases that hold, and not the fourth's (due 26 Dec, its batch unpaid).
    app.clock.advance(chrono::Duration::days(2));
    let finance = app.session_for("finance@t.test").await;
    let third_id = batch_id(&pool, "MRES", "2026-12-23").await;
    let sent = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [third_id] }), &finance).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let paid = act(&app, &finance, third_id, json!({ "action": "paid", "utr": "HDFCR52026122600003" })).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    txn(&pool, "RES5", "MRES", 10_000_00, "2026-12-26").await;
    create_batches(&app, &finance, "2026-12-26").await;
    assert_eq!(figures(&pool, "MRES", "2026-12-26").await.reserve_released_paise, 1_000_00);
    let released: Vec<String> = sqlx::query_scalar(
        "SELECT b.batch_ref FROM reserve_ledger r JOIN reserve_ledger h ON h.id = r.released_entry_id
         JOIN settlement_batches b ON b.id = h.batch_id WHERE r.kind = 'RELEASE' ORDER BY b.cycle_date",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(released.len(), 2, "{released:?}");
    assert!(released[0].contains("20261221") && released[1].contains("20261223"), "{released:?}");
    items_agree_with_batches(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn below_the_minimum_joins_the_next_batch_and_t_plus_n_skips_holidays(pool: PgPool) {
    merchant(&pool, "MSMALL", "0.02", 100_00, "NEFT", None).await;
    txn(&pool, "S1", "MSMALL", 50_00, "2026-12-23").await;
    txn(&pool, "S2", "MSMALL", 100_00, "2026-12-24").await;
    let app = app_at(&pool, ist_morning("2026-12-26")).await;
    let finance = app.session_for("finance@t.test").await;
    let first = create_batches(&app, &finance, "2026-12-23").await;
    assert_eq!((first["created"].as_i64(), first["carriedForward"].as_i64()), (Some(0), Some(1)));
    create_batches(&app, &finance, "2026-12-24").await;
    // ₹150: commission ₹1 + ₹2 = ₹3, GST ₹0.18 + ₹0.36 = ₹0.54; net ₹146.46.
    assert_eq!(figures(&pool, "MSMALL", "2026-12-24").await, fig("APPROVED", "NEFT", 2, 150_00, 3_00, 54, 146_46));
    let taken: Option<Uuid> =
        sqlx::query_scalar("SELECT into_batch_id FROM settlement_carry_forwards WHERE cycle_date = '2026-12-23'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(taken, Some(batch_id(&pool, "MSMALL", "2026-12-24").await));
    // Thursday 24 December + 1 business day: Christmas (Friday) and the weekend skipped → Monday 28.
    let due: NaiveDate =
        sqlx::query_scalar("SELECT payout_due_on FROM settlement_batches").fetch_one(&pool).await.unwrap();
    assert_eq!(due, d("2026-12-28"));
    // Not paid before it is due, even when chosen by id.
    let batch = batch_id(&pool, "MSMALL", "2026-12-24").await;
    let early = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [batch] }), &finance).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("is due for payout on 28 Dec 2026"), "{}", early.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_mutating_call_checks_the_role(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, CYCLE).await;
    let big = batch_id(&pool, "MBIG", CYCLE).await;
    // A batch in each status the actions need, moved by finance users (the positive controls).
    let finance2 = app.session_for("finance2@t.test").await;
    let (held, sent, failed) = (
        batch_id(&pool, "MOVER", CYCLE).await,
        batch_id(&pool, "MEXACT", CYCLE).await,
        batch_id(&pool, "MRTGS", CYCLE).await,
    );
    assert_eq!(act(&app, &finance, held, json!({ "action": "hold", "reason": "KYC" })).await.status, StatusCode::OK);
    assert_eq!(act(&app, &finance2, failed, json!({ "action": "approve" })).await.status, StatusCode::OK);
    let file = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [sent, failed] }), &finance).await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    let file = file.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/api/settlements/v1/payout-files/{file}.csv"), Some(&finance)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &finance, failed, json!({ "action": "failed", "failureCode": "ACCOUNT_CLOSED" })).await.status,
        StatusCode::OK
    );
    let statuses = || async {
        sqlx::query_scalar::<_, String>("SELECT string_agg(status, ',' ORDER BY batch_ref) FROM settlement_batches")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before = statuses().await;
    for email in ["ops@t.test", "compliance@t.test", "auditor@t.test", "admin@t.test"] {
        let cookie = app.session_for(email).await;
        let calls = [
            post(&app, "/api/settlements/v1/batches", json!({ "cycleDate": CYCLE }), &cookie).await,
            act(&app, &cookie, big, json!({ "action": "approve" })).await,
            act(&app, &cookie, big, json!({ "action": "reject", "reason": "x" })).await,
            act(&app, &cookie, big, json!({ "action": "hold", "reason": "x" })).await,
            act(&app, &cookie, held, json!({ "action": "release" })).await,
            act(&app, &cookie, sent, json!({ "action": "paid", "utr": "HDFCR5202612230099" })).await,
            act(&app, &cookie, sent, json!({ "action": "failed", "failureCode": "BANK_TIMEOUT" })).await,
            act(&app, &cookie, failed, json!({ "action": "requeue" })).await,
            post(&app, "/api/settlements/v1/batches/approve", json!({ "ids": [big] }), &cookie).await,
            post(&app, "/api/settlements/v1/payout-files", json!({ "payoutDate": "2026-12-23" }), &cookie).await,
            app.get(&format!("/api/settlements/v1/payout-files/{file}.csv"), Some(&cookie)).await,
        ];
        for (i, reply) in calls.iter().enumerate() {
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email}, call {i}: {}", reply.body);
        }
        // The page's forms (server functions) refuse them too.
        let form = format!("cycle_date={CYCLE}");
        let reply = app.post_form("/sfn/settlements/create", &form, Some(&cookie), Some(ORIGIN)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email} create form: {}", reply.body);
        let form = common::server_fn_form(&[("id", &big.to_string()), ("action", "approve")]);
        let reply = app.post_form("/sfn/settlements/act", &form, Some(&cookie), Some(ORIGIN)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email} action form: {}", reply.body);
        // Everyone reads.
        assert_eq!(app.get("/api/settlements/v1/batches", Some(&cookie)).await.status, StatusCode::OK);
        assert_eq!(app.get(&format!("/api/settlements/v1/batches/{big}"), Some(&cookie)).await.status, StatusCode::OK);
    }
    let runs: i64 = sqlx::query_scalar("SELECT count(*) FROM settlement_runs").fetch_one(&pool).await.unwrap();
    assert_eq!(runs, 1, "no refused caller queued a run");
    assert_eq!(statuses().await, before, "no refused caller moved a batch");
    let files: i64 = sqlx::query_scalar("SELECT count(*) FROM payout_files").fetch_one(&pool).await.unwrap();
    assert_eq!(files, 1);
    // Without a session: 401.
    assert_eq!(app.get("/api/settlements/v1/batches", None).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bad_input_is_refused_and_changes_nothing(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, CYCLE).await;
    let big = batch_id(&pool, "MBIG", CYCLE).await;
    let settlement_rows = "SELECT count(*) FROM audit_log WHERE action LIKE 'settlement.%'";
    let before: i64 = sqlx::query_scalar(settlement_rows).fetch_one(&pool).await.unwrap();
    let unknown = Uuid::new_v4();
    let cases: Vec<(common::Reply, StatusCode)> = vec![
        (act(&app, &finance, unknown, json!({ "action": "approve" })).await, StatusCode::NOT_FOUND),
        (app.get(&format!("/api/settlements/v1/batches/{unknown}"), Some(&finance)).await, StatusCode::NOT_FOUND),
        (app.get("/api/settlements/v1/batches/not-a-uuid", Some(&finance)).await, StatusCode::NOT_FOUND),
        (
            json_req(&app, "POST", &format!("/api/settlements/v1/batches/{big}/actions"), None, &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (
            post(&app, &format!("/api/settlements/v1/batches/{big}/actions"), json!({ "action": 5 }), &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (act(&app, &finance, big, json!({ "action": "explode" })).await, StatusCode::BAD_REQUEST),
        (act(&app, &finance, big, json!({ "action": "reject" })).await, StatusCode::BAD_REQUEST),
        (act(&app, &finance, big, json!({ "action": "reject", "reason": "   " })).await, StatusCode::BAD_REQUEST),
        (act(&app, &finance, big, json!({ "action": "paid", "utr": "no utr" })).await, StatusCode::BAD_REQUEST),
        (
            act(&app, &finance, big, json!({ "action": "failed", "failureCode": "GREMLINS" })).await,
            StatusCode::BAD_REQUEST,
        ),
        (
            act(&app, &finance, big, json!({ "action": "failed", "failureCode": "OTHER" })).await,
            StatusCode::BAD_REQUEST,
        ),
        (
            post(&app, "/api/settlements/v1/batches", json!({ "cycleDate": "2026-12-24" }), &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (
            post(&app, "/api/settlements/v1/batches", json!({ "cycleDate": "22/12/2026" }), &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (post(&app, "/api/settlements/v1/batches", json!({ "cycle": CYCLE }), &finance).await, StatusCode::BAD_REQUEST),
        (post(&app, "/api/settlements/v1/payout-files", json!({}), &finance).await, StatusCode::BAD_REQUEST),
        (
            post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": ["x"] }), &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (
            post(&app, "/api/settlements/v1/payout-files", json!({ "payoutDate": "tomorrow" }), &finance).await,
            StatusCode::BAD_REQUEST,
        ),
        (app.get("/api/settlements/v1/batches?status=LOST", Some(&finance)).await, StatusCode::BAD_REQUEST),
        (app.get("/api/settlements/v1/batches?limit=-1", Some(&finance)).await, StatusCode::BAD_REQUEST),
        (app.get("/api/settlements/v1/jobs/123456", Some(&finance)).await, StatusCode::NOT_FOUND),
    ];
    for (i, (reply, expected)) in cases.iter().enumerate() {
        assert_eq!(reply.status, *expected, "case {i}: {}", reply.body);
        assert!(reply.json()["message"].as_str().is_some_and(|m| !m.is_empty()), "case {i} says why: {}", reply.body);
    }
    assert_eq!(status_of(&pool, big).await, "PENDING_APPROVAL");
    let after: i64 = sqlx::query_scalar(settlement_rows).fetch_one(&pool).await.unwrap();
    assert_eq!(after, before, "no refused call wrote a settlement audit row");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_forms_work_as_plain_posts(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    let finance2 = app.session_for("finance2@t.test").await;
    let reply = app
        .send(common::plain_form_post(
            "/sfn/settlements/create",
            format!("cycle_date={CYCLE}"),
            &finance,
            "/settlements",
        ))
        .await;
    assert!(reply.status.is_redirection(), "{}", reply.body);
    assert!(reply.location().unwrap().starts_with("/settlements?notice="), "{:?}", reply.location());
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let big = batch_id(&pool, "MBIG", CYCLE).await;
    let page = format!("/settlements/{big}");
    // The maker's approval comes back to the page as an error; the checker's goes through.
    let form = common::server_fn_form(&[("id", &big.to_string()), ("action", "approve")]);
    let refused = app.send(common::plain_form_post("/sfn/settlements/act", form.clone(), &finance, &page)).await;
    assert!(refused.status.is_redirection());
    assert!(refused.location().unwrap().contains("__err"), "{:?}", refused.location());
    let ok = app.send(common::plain_form_post("/sfn/settlements/act", form, &finance2, &page)).await;
    assert!(ok.status.is_redirection());
    assert!(ok.location().unwrap().starts_with(&format!("{page}?notice=")), "{:?}", ok.location());
    assert_eq!(status_of(&pool, big).await, "APPROVED");
    // Bulk approve from the list: one approved, the maker's own refused with the reason.
    let (over, rtgs) = (batch_id(&pool, "MOVER", CYCLE).await, batch_id(&pool, "MRTGS", CYCLE).await);
    let form = format!("ids={over}&ids={rtgs}&back=%2Fsettlements%3Fstatus%3DPENDING_APPROVAL");
    let reply =
        app.send(common::plain_form_post("/api/settlements/v1/batches/approve", form, &finance2, "/settlements")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert!(
        reply.location().unwrap().starts_with("/settlements?status=PENDING_APPROVAL&notice=2%20batches%20approved"),
        "{:?}",
        reply.location()
    );
    // The payout file form.
    let reply = app
        .send(common::plain_form_post(
            "/sfn/settlements/payout-file",
            "payout_date=2026-12-23".into(),
            &finance,
            "/settlements",
        ))
        .await;
    assert!(reply.status.is_redirection(), "{}", reply.body);
    assert!(reply.location().unwrap().contains("Payout%20file"), "{:?}", reply.location());
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM settlement_batches WHERE status = 'SENT'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sent, 4);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_list_query_uses_an_index_on_100000_batches(pool: PgPool) {
    use settlepaisa_ops::features::settlements::model::{BatchFilter, Sort};
    use settlepaisa_ops::features::settlements::queries;
    use settlepaisa_ops::features::settlements::rules::Status;
    sqlx::query(
        "INSERT INTO merchants (id, name, legal_name) SELECT 'MB' || lpad(g::text, 5, '0'), 'Bench ' || g, 'Bench ' || g
         FROM generate_series(1, 1000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
                 commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise,
                 net_paise, rail, created_at, paid_at, payout_utr)
         SELECT id, batch_ref, merchant_id, cycle_date, status, 1, 1000, 0, 0, 0, 0, 0, 0, 1000, 'NEFT', now(),
                CASE WHEN status = 'PAID' THEN now() END, CASE WHEN status = 'PAID' THEN 'U' || md5(id::text) END
         FROM (SELECT gen_random_uuid() AS id, 'STL-' || c || '-' || m.id AS batch_ref, m.id AS merchant_id,
                      date '2026-12-01' - c AS cycle_date,
                      (ARRAY['PAID','PAID','SENT','APPROVED','PENDING_APPROVAL'])[1 + (c + length(m.id)) % 5] AS status
               FROM merchants m CROSS JOIN generate_series(1, 100) c) b",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE settlement_batches").execute(&pool).await.unwrap();
    for filter in [
        BatchFilter::default(),
        BatchFilter { status: Some(Status::PendingApproval), ..Default::default() },
        BatchFilter { merchant_id: Some("MB00042".into()), ..Default::default() },
        BatchFilter { from: Some(d("2026-11-01")), to: Some(d("2026-11-10")), ..Default::default() },
    ] {
        let plan = queries::explain_list(&pool, &filter, Sort::default(), 25).await.unwrap();
        assert!(plan.contains("Index Scan") && !plan.contains("Seq Scan on settlement_batches"), "{filter:?}:\n{plan}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn rejecting_a_batch_gives_back_what_it_took(pool: PgPool) {
    // No commission; a 10 % reserve released the next day.
    merchant(&pool, "MREJ", "0", 100_00, "NEFT", Some(("0.10", 0))).await;
    for day in ["2026-12-21", "2026-12-22", "2026-12-23"] {
        txn(&pool, &format!("REJ{day}"), "MREJ", 10_000_00, day).await;
    }
    let app = app_at(&pool, ist_morning("2026-12-22")).await;
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, "2026-12-21").await;
    // 21 Dec's batch is paid, so its hold may be released.
    let first = batch_id(&pool, "MREJ", "2026-12-21").await;
    let sent = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [first] }), &finance).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let paid = act(&app, &finance, first, json!({ "action": "paid", "utr": "HDFCR52026122200002" })).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    // A ₹500 refund owed from now on.
    let refund = Uuid::new_v4();
    sqlx::query("INSERT INTO merchant_refunds (id, merchant_id, txn_ref, amount_paise, refunded_at) VALUES ($1, 'MREJ', 'R1', 50000, now())")
        .bind(refund)
        .execute(&pool)
        .await
        .unwrap();
    // 22 Dec: ₹10,000 − ₹1,000 held + ₹1,000 released (21 Dec's hold) − ₹500 = ₹9,500.
    create_batches(&app, &finance, "2026-12-22").await;
    let second = figures(&pool, "MREJ", "2026-12-22").await;
    assert_eq!(
        (second.reserve_released_paise, second.deductions_paise, second.net_paise),
        (1_000_00, 500_00, 9_500_00)
    );
    let rejected = batch_id(&pool, "MREJ", "2026-12-22").await;
    let reply = act(&app, &finance, rejected, json!({ "action": "reject", "reason": "Rate card disputed" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Everything it took is given back: its transaction, the refund, the released reserve.
    let (lifecycle, waiting): (String, bool) = sqlx::query_as(
        "SELECT l.status, EXISTS (SELECT 1 FROM settlement_backlog k WHERE k.transaction_id = t.id)
         FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id WHERE t.txn_id = 'REJ2026-12-22'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((lifecycle.as_str(), waiting), ("RECONCILED", true), "reconciled again, waiting in the backlog");
    let items: i64 = sqlx::query_scalar("SELECT count(*) FROM settlement_items WHERE batch_id = $1")
        .bind(rejected)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(items, 0);
    let refund_state: (i64, String) =
        sqlx::query_as("SELECT applied_paise, status FROM merchant_refunds WHERE id = $1")
            .bind(refund)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(refund_state, (0, "PENDING".into()));
    let ledger: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, amount_paise FROM reserve_ledger ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(ledger, [("HOLD".into(), 1_000_00)], "only 21 Dec's hold is left, due again");
    // The rejected batch keeps its figures as calculated, for the record, and its page and
    // statement say that nothing of it is paid and where its parts went.
    assert_eq!(figures(&pool, "MREJ", "2026-12-22").await.net_paise, 9_500_00);
    let page = app.get(&format!("/settlements/{rejected}"), Some(&finance)).await;
    assert_eq!(page.status, StatusCode::OK);
    for said in [
        "data-testid=\"rejected-note\"",
        "Net as calculated (not paid)",
        "Rejected: its transactions went back to the settlement backlog",
        "Rejected: the chargebacks and refunds it deducted (₹500.00) were given back",
        "Rejected: its reserve entries were removed",
    ] {
        assert!(page.body.contains(said), "{said}");
    }
    assert!(!page.body.contains("No chargebacks or refunds were deducted"));
    let statement = app.get(&format!("/api/settlements/v1/batches/{rejected}/statement.csv"), Some(&finance)).await;
    assert_eq!(statement.status, StatusCode::OK);
    assert!(statement.body.contains("NET AS CALCULATED (REJECTED: NOT PAYABLE)"), "{}", statement.body);
    assert!(!statement.body.contains("NET PAYABLE,"), "{}", statement.body);

    // 23 Dec takes both transactions, releases 21 Dec's hold and deducts the refund again:
    // ₹20,000 − ₹2,000 + ₹1,000 − ₹500 = ₹18,500.
    app.clock.advance(chrono::Duration::days(1));
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, "2026-12-23").await;
    let third = figures(&pool, "MREJ", "2026-12-23").await;
    assert_eq!(
        (third.txn_count, third.reserve_paise, third.reserve_released_paise, third.deductions_paise, third.net_paise),
        (2, 2_000_00, 1_000_00, 500_00, 18_500_00)
    );
    items_agree_with_batches(&pool).await;
    common::assert_rollups_exact(&pool).await;
}

/// A closed, lost chargeback of MBIG with a recovery action of `paise` to deduct.
async fn lost_chargeback(pool: &PgPool, paise: i64) -> Uuid {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name, original_gross_paise,
                                  chargeback_paise, reason_code, reason_description, category, stage, status, outcome,
                                  received_at, closed_at)
         VALUES ($1, 'CB-LOST-1', 'VISA', 'N-LOST-1', 'MBIG', 'MBIG', $2, $2, '10.4', 'Fraud', 'FRAUD', 'CLOSED', 'WRITEOFF', 'LOST',
                 now() - interval '20 days', now() - interval '5 days')",
    )
    .bind(id)
    .bind(paise)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO chargeback_recovery_actions (id, chargeback_id, merchant_id, amount_paise) VALUES ($1, $2, 'MBIG', $3)")
        .bind(Uuid::new_v4())
        .bind(id)
        .bind(paise)
        .execute(pool)
        .await
        .unwrap();
    id
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_lost_chargeback_is_deducted_and_its_dispute_links_the_batch(pool: PgPool) {
    fixture(&pool).await;
    let case = lost_chargeback(&pool, 20_000_00).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, CYCLE).await;
    // ₹1,07,404 − ₹20,000 (within 30 % of ₹1,10,000).
    let big = figures(&pool, "MBIG", CYCLE).await;
    assert_eq!((big.deductions_paise, big.net_paise), (20_000_00, 87_404_00));
    let batch = batch_id(&pool, "MBIG", CYCLE).await;
    let recovery: (i64, String) =
        sqlx::query_as("SELECT applied_paise, status FROM chargeback_recovery_actions").fetch_one(&pool).await.unwrap();
    assert_eq!(recovery, (20_000_00, "APPLIED".into()));
    // The dispute shows where it was deducted, with a link to the batch.
    let ops = app.session_for("ops@t.test").await;
    let detail = app.get(&format!("/api/disputes/v1/chargebacks/{case}"), Some(&ops)).await.json();
    let deductions = &detail["recovery"]["deductions"];
    assert_eq!(
        (deductions[0]["batchRef"].as_str(), deductions[0]["amountPaise"].as_i64()),
        (Some("STL-20261222-MBIG"), Some(20_000_00))
    );
    let page = app.get(&format!("/disputes/{case}"), Some(&ops)).await;
    assert!(page.body.contains(&format!("href=\"/settlements/{batch}\"")), "the case page links the batch");
    assert!(page.body.contains("deducted in batch"), "the case page says so");
    // The batch page lists the deduction with a link to its dispute.
    let batch_page = app.get(&format!("/settlements/{batch}"), Some(&ops)).await;
    assert_eq!(batch_page.status, StatusCode::OK);
    assert!(batch_page.body.contains(&format!("href=\"/disputes/{case}\"")), "the batch page links the dispute");

    // Rejected, the batch gives the deduction back: the merchant owes it again.
    let finance2 = app.session_for("finance2@t.test").await;
    assert_eq!(
        act(&app, &finance2, batch, json!({ "action": "reject", "reason": "Recalculate" })).await.status,
        StatusCode::OK
    );
    let recovery: (i64, String) =
        sqlx::query_as("SELECT applied_paise, status FROM chargeback_recovery_actions").fetch_one(&pool).await.unwrap();
    assert_eq!(recovery, (0, "PENDING".into()));
    let detail = app.get(&format!("/api/disputes/v1/chargebacks/{case}"), Some(&ops)).await.json();
    assert_eq!(detail["recovery"]["deductions"].as_array().map(Vec::len), Some(0));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn left_out_held_and_late_merchants_are_handled_one_by_one(pool: PgPool) {
    fixture(&pool).await;
    // A fixed ₹5 fee on a ₹2 payment would pay the merchant less than nothing: left out, with why.
    merchant(&pool, "MFEE", "0", 100_00, "NEFT", None).await;
    sqlx::query("UPDATE merchant_commission_rates SET kind = 'FIXED', rate = NULL, fixed_paise = 500 WHERE merchant_id = 'MFEE'")
        .execute(&pool)
        .await
        .unwrap();
    txn(&pool, "FEE1", "MFEE", 2_00, CYCLE).await;
    // No bank account: the batch is made, on hold.
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MNOACC', 'No account', 'No Account Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    txn(&pool, "NOACC1", "MNOACC", 5_000_00, CYCLE).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let finance = app.session_for("finance@t.test").await;
    let report = create_batches(&app, &finance, CYCLE).await;
    assert_eq!((report["status"].as_str(), report["created"].as_i64()), (Some("completed"), Some(5)), "{report}");
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{report}");
    assert!(problems[0].as_str().unwrap().starts_with("MFEE: the fees and TDS on transaction"), "{report}");
    let (fee_txn, fee_waiting): (String, bool) = sqlx::query_as(
        "SELECT l.status, EXISTS (SELECT 1 FROM settlement_backlog k WHERE k.transaction_id = t.id)
         FROM transactions t JOIN transaction_lifecycle l ON l.transaction_id = t.id WHERE t.txn_id = 'FEE1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((fee_txn.as_str(), fee_waiting), ("RECONCILED", true), "left for the next run once the terms are fixed");
    let held = batch_id(&pool, "MNOACC", CYCLE).await;
    let (status, held_from): (String, Option<String>) =
        sqlx::query_as("SELECT status, held_from FROM settlement_batches WHERE id = $1")
            .bind(held)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), held_from.as_deref()), ("ON_HOLD", Some("PENDING_APPROVAL")));
    let events: Vec<String> =
        sqlx::query_scalar("SELECT event FROM settlement_batch_events WHERE batch_id = $1 ORDER BY id")
            .bind(held)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(events, ["CALCULATED", "NO_BANK_ACCOUNT"], "held, so not approved: no approval step");
    let approved_at: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT approved_at FROM settlement_batches WHERE id = $1")
            .bind(held)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(approved_at, None);
    // The account added, the hold released: it pays into it, once another finance user approves.
    sqlx::query(
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
         VALUES ($1, 'MNOACC', 'No Account Ltd', '123456789012', 'SBIN0000001', 'SBI')",
    )
    .bind(Uuid::new_v4())
    .execute(&pool)
    .await
    .unwrap();
    let finance2 = app.session_for("finance2@t.test").await;
    assert_eq!(act(&app, &finance2, held, json!({ "action": "release" })).await.status, StatusCode::OK);
    let account: Option<Uuid> = sqlx::query_scalar("SELECT bank_account_id FROM settlement_batches WHERE id = $1")
        .bind(held)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(account.is_some());
    // A new account to pay into goes to a checker: not the maker, not who pointed it there.
    assert_eq!(status_of(&pool, held).await, "PENDING_APPROVAL");
    let refused = act(&app, &finance2, held, json!({ "action": "approve" })).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("you changed the account"), "{}", refused.body);
    app.create_user("finance3@t.test", &[Role::Finance]).await;
    let finance3 = app.session_for("finance3@t.test").await;
    assert_eq!(act(&app, &finance3, held, json!({ "action": "approve" })).await.status, StatusCode::OK);

    // A payment of 22 Dec matched late (after its batch was made) goes into MBIG's next batch, and
    // MFEE's payment left out on 22 Dec goes into its next one once its terms are fixed.
    // Matched late: it arrives pending and is reconciled the way an exception's resolution does it
    // (its cycle batched already, it joins the backlog).
    let late = txn(&pool, "BIGLATE", "MBIG", 1_000_00, CYCLE).await;
    sqlx::query("UPDATE transactions SET status = 'PENDING' WHERE id = $1").bind(late).execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    assert!(settlepaisa_ops::domain::txn_status::reconcile(&mut conn, late, ist_morning("2026-12-23")).await.unwrap());
    drop(conn);
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT t.txn_id FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        waiting,
        ["BIGLATE", "FEE1", "SMALL1"],
        "the late match, the payment left out for its terms, the one carried forward below the minimum"
    );
    txn(&pool, "BIG23", "MBIG", 2_000_00, "2026-12-23").await;
    sqlx::query("UPDATE merchant_commission_rates SET kind = 'PERCENT', rate = 0, fixed_paise = NULL WHERE merchant_id = 'MFEE'")
        .execute(&pool)
        .await
        .unwrap();
    txn(&pool, "FEE2", "MFEE", 500_00, "2026-12-23").await;
    app.clock.advance(chrono::Duration::days(1));
    let finance = app.session_for("finance@t.test").await;
    let report = create_batches(&app, &finance, "2026-12-23").await;
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(0), "{report}");
    let next = figures(&pool, "MBIG", "2026-12-23").await;
    assert_eq!((next.txn_count, next.gross_paise), (2, 3_000_00));
    let fee = figures(&pool, "MFEE", "2026-12-23").await;
    assert_eq!((fee.txn_count, fee.gross_paise), (2, 502_00));
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT t.txn_id FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(left, ["SMALL1"], "what the run took left the backlog; ₹50 alone is still below MSMALL's minimum");
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_first_payout_to_a_new_account_waits_for_a_checker(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    // An admin who is also in finance gives MEXACT a new account.
    app.create_user("boss@t.test", &[Role::Admin, Role::Finance]).await;
    let boss = app.session_for("boss@t.test").await;
    let body = json!({
        "effectiveFrom": "2026-12-23",
        "bankAccount": {"holderName": "Exact Ltd", "accountNumber": "998877665544", "ifsc": "SBIN0000002", "bankName": "SBI"}
    });
    let saved = json_req(&app, "PUT", "/api/settlements/v1/merchants/MEXACT/terms", Some(body), &boss).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, CYCLE).await;
    // ₹1,00,000 would be approved at once; into an account nobody has checked, it waits.
    let exact = batch_id(&pool, "MEXACT", CYCLE).await;
    assert_eq!(status_of(&pool, exact).await, "PENDING_APPROVAL");
    let steps: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT e.event, u.email FROM settlement_batch_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.batch_id = $1 ORDER BY e.id",
    )
    .bind(exact)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(steps, [("CALCULATED".into(), Some("finance@t.test".into())), ("ACCOUNT_UNCHECKED".into(), None)]);
    let note: String = sqlx::query_scalar(
        "SELECT note FROM settlement_batch_events WHERE batch_id = $1 AND event = 'ACCOUNT_UNCHECKED'",
    )
    .bind(exact)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(note.contains("made primary by boss@t.test") && note.contains("ending 5544"), "{note}");
    // Whoever made the account primary does not approve the payout into it (the step has no actor:
    // the account's record refuses them); another finance user does.
    let refused = act(&app, &boss, exact, json!({ "action": "approve" })).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("you made this account the merchant's primary one"), "{}", refused.body);
    let finance2 = app.session_for("finance2@t.test").await;
    assert_eq!(act(&app, &finance2, exact, json!({ "action": "approve" })).await.status, StatusCode::OK);
    // Checked once, the account takes the next small batch at once; merchants whose account the
    // product did not change were never held (MBIG waits for its amount only).
    txn(&pool, "EXACT2", "MEXACT", 500_00, "2026-12-23").await;
    app.clock.advance(chrono::Duration::days(1));
    let finance = app.session_for("finance@t.test").await;
    create_batches(&app, &finance, "2026-12-23").await;
    assert_eq!(status_of(&pool, batch_id(&pool, "MEXACT", "2026-12-23").await).await, "APPROVED");
    let big_steps: Vec<String> =
        sqlx::query_scalar("SELECT event FROM settlement_batch_events WHERE batch_id = $1 ORDER BY id")
            .bind(batch_id(&pool, "MBIG", CYCLE).await)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(big_steps, ["CALCULATED", "SUBMITTED"]);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_failed_transfer_is_never_sent_twice_by_mistake(pool: PgPool) {
    fixture(&pool).await;
    let app = app_at(&pool, ist_morning("2026-12-23")).await;
    let (finance, finance2, ops) = (
        app.session_for("finance@t.test").await,
        app.session_for("finance2@t.test").await,
        app.session_for("ops@t.test").await,
    );
    create_batches(&app, &finance, CYCLE).await;
    let exact = batch_id(&pool, "MEXACT", CYCLE).await;
    let file = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [exact] }), &finance).await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    let file_id = file.json()["id"].as_str().unwrap().to_string();
    let csv = format!("/api/settlements/v1/payout-files/{file_id}.csv");
    assert_eq!(app.get(&csv, Some(&finance)).await.status, StatusCode::OK);
    let failed = act(&app, &finance, exact, json!({ "action": "failed", "failureCode": "BANK_TIMEOUT" })).await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    // The bank has answered for a transfer in the file: it cannot be downloaded (and sent) again.
    let again = app.get(&csv, Some(&finance)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body.contains("STL-20261222-MEXACT") && again.body.contains("no longer downloadable"),
        "{}",
        again.body
    );
    let page = app.get("/settlements", Some(&finance)).await;
    assert!(page.body.contains("no longer downloadable"), "the files list says why");
    // The statement shows the bank debited the amount, naming the batch: no re-queue.
    let statement = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                     PAYOUT9,HDFC,100000.00,2026-12-23,2026-12-23,HDFCR52026122300009,NEFT STL-20261222-MEXACT,DEBIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", statement).await.status, StatusCode::CREATED);
    let requeue = act(&app, &finance2, exact, json!({ "action": "requeue" })).await;
    assert_eq!(requeue.status, StatusCode::CONFLICT, "{}", requeue.body);
    assert!(
        requeue.body.contains("may have gone through") && requeue.body.contains("HDFCR52026122300009"),
        "{}",
        requeue.body
    );
    assert_eq!(status_of(&pool, exact).await, "FAILED");
    // It was paid after all: marked paid with the bank's UTR by another finance user than the one
    // who marked it failed, and verified against that line.
    let own = act(&app, &finance, exact, json!({ "action": "paid", "utr": "HDFCR52026122300009" })).await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);
    assert!(own.body.contains("you marked this payout failed"), "{}", own.body);
    let paid = act(&app, &finance2, exact, json!({ "action": "paid", "utr": "HDFCR52026122300009" })).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.body);
    type Transfer = (String, Option<String>, Option<String>, Option<String>);
    let transfers: Vec<Transfer> = sqlx::query_as(
        "SELECT status, utr, verification, failure_code FROM settlement_transfers WHERE batch_id = $1 ORDER BY id",
    )
    .bind(exact)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        transfers,
        [("PAID".into(), Some("HDFCR52026122300009".into()), Some("VERIFIED".into()), Some("BANK_TIMEOUT".into()))],
        "one transfer, paid once; its failure stays on record"
    );
    let before: Value =
        sqlx::query_scalar("SELECT before FROM audit_log WHERE action = 'settlement.batch.paid' AND target_id = $1")
            .bind(exact.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((before["status"].as_str(), before["failureReason"].as_str()), (Some("FAILED"), Some("Bank timeout")));
    let reason: Option<String> = sqlx::query_scalar("SELECT failure_reason FROM settlement_batches WHERE id = $1")
        .bind(exact)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(reason, None);
    assert_eq!(app.get(&csv, Some(&finance)).await.status, StatusCode::CONFLICT, "still not downloadable");

    // MRTGS's transfer times out too. The statement has a DEBIT of its amount naming another batch
    // whose reference merely starts the same way, and one naming it that the bank returned (a
    // CREDIT naming it): neither stops the re-queue, and it goes out in a new file.
    let rtgs = batch_id(&pool, "MRTGS", CYCLE).await;
    assert_eq!(act(&app, &finance2, rtgs, json!({ "action": "approve" })).await.status, StatusCode::OK);
    let file = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [rtgs] }), &finance).await;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    let failed = act(&app, &finance, rtgs, json!({ "action": "failed", "failureCode": "BANK_TIMEOUT" })).await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    let statement = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                     PAYOUT10,HDFC,200000.00,2026-12-23,2026-12-23,HDFCR52026122300010,RTGS STL-20261222-MRTGSX,DEBIT\n\
                     PAYOUT11,HDFC,200000.00,2026-12-23,2026-12-23,HDFCR52026122300011,RTGS STL-20261222-MRTGS,DEBIT\n\
                     RETURN11,HDFC,200000.00,2026-12-23,2026-12-23,HDFCR52026122300012,RETURN STL-20261222-MRTGS,CREDIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", statement).await.status, StatusCode::CREATED);
    let requeue = act(&app, &finance2, rtgs, json!({ "action": "requeue" })).await;
    assert_eq!(requeue.status, StatusCode::OK, "{}", requeue.body);
    // Before its new file, another DEBIT naming it arrives: by name the file is refused, by date it
    // is left out (and named); once the bank returns that one too, it goes out.
    let statement = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                     PAYOUT13,HDFC,200000.00,2026-12-23,2026-12-23,HDFCR52026122300013,RTGS STL-20261222-MRTGS,DEBIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", statement).await.status, StatusCode::CREATED);
    let by_name = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [rtgs] }), &finance).await;
    assert_eq!(by_name.status, StatusCode::CONFLICT, "{}", by_name.body);
    assert!(by_name.body.contains("may have gone through"), "{}", by_name.body);
    let by_date = post(&app, "/api/settlements/v1/payout-files", json!({ "payoutDate": "2026-12-23" }), &finance).await;
    assert_eq!(by_date.status, StatusCode::CONFLICT, "{}", by_date.body);
    assert!(by_date.body.contains("STL-20261222-MRTGS"), "named as left out: {}", by_date.body);
    let statement = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                     RETURN13,HDFC,200000.00,2026-12-23,2026-12-23,HDFCR52026122300014,RETURN STL-20261222-MRTGS,CREDIT\n";
    assert_eq!(upload_bank(&app, &ops, "2026-12-23", statement).await.status, StatusCode::CREATED);
    let second = post(&app, "/api/settlements/v1/payout-files", json!({ "batchIds": [rtgs] }), &finance).await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!((second.json()["downloadable"].as_bool(), second.json()["batchCount"].as_i64()), (Some(true), Some(1)));
    common::assert_rollups_exact(&pool).await;
}
