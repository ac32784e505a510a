//! Disputes against real Postgres through the real router: the checklist's KPIs on the demo data,
//! the same KPIs on a hand-made fixture with answers worked out here, the lifecycle, evidence,
//! import idempotency, signed webhooks, the role matrix of every mutating call, and the list
//! query's index use on 100,000 cases.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use common::{
    demo_app, demo_cookie as cookie, eventually, multipart, plain_form_post, server_fn_form, Reply, TestApp, HOST,
    ORIGIN,
};
use serde_json::{json, Value};
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::features::disputes::intake::sign;
use settlepaisa_ops::features::disputes::model::{ListFilter, Sort, UiStatus};
use settlepaisa_ops::features::disputes::{queries, rules};
use settlepaisa_ops::ist;
use settlepaisa_ops::money::Paise;
use sqlx::PgPool;
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1];
const WEBHOOK_SECRET: &str = "test-visa-webhook-secret";

async fn post_json(app: &TestApp, path: &str, body: Value, cookie: &str) -> Reply {
    common::json_request(app, "POST", path, cookie, body).await
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
    cookie: &str,
) -> Reply {
    common::post_multipart(app, path, cookie, fields, file).await
}

async fn case_id(pool: &PgPool, stage: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM chargebacks WHERE stage = $1 ORDER BY case_ref LIMIT 1")
        .bind(stage)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn kpis_on_the_demo_data_are_the_checklists(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let kpis = app.get("/api/disputes/v1/chargebacks/kpis", Some(&ops)).await;
    assert_eq!(kpis.status, StatusCode::OK);
    assert_eq!(
        kpis.json(),
        json!({
            "openCount": 28,
            "evidenceRequiredCount": 12,
            "disputedPaise": "117180424",
            "recoveredPaise": "38637570",
            "writtenOffPaise": "25514269"
        })
    );
    let list = app.get("/api/disputes/v1/chargebacks?limit=5", Some(&ops)).await.json();
    assert_eq!(list["chargebacks"].as_array().unwrap().len(), 5);
    assert_eq!(list["total"], 52, "total counts every matching row, not the page");
    let open = app.get("/api/disputes/v1/chargebacks?status=OPEN&limit=500", Some(&ops)).await.json();
    assert_eq!((open["total"].as_i64(), open["chargebacks"].as_array().unwrap().len()), (Some(28), 28));

    // The SQL aggregate and the pure definition agree on the same rows.
    let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT stage, status, chargeback_paise, fees_paise, recovered_paise, written_off_paise FROM chargebacks",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let folded = rules::kpis(rows.iter().map(|r| rules::KpiCase {
        stage: &r.0,
        status: &r.1,
        chargeback: Paise(r.2),
        fees: Paise(r.3),
        recovered: Paise(r.4),
        written_off: Paise(r.5),
    }));
    assert_eq!(folded, Ok(queries::kpis(&pool, &Default::default()).await.unwrap()));

    // The SLA buckets of the demo's open cases: every bucket is populated (spec 08), and the
    // bucket sums equal counting the due times here.
    let sla = app.get("/api/disputes/v1/chargebacks/sla-buckets", Some(&ops)).await.json();
    let dues: Vec<(DateTime<Utc>, i64)> =
        sqlx::query_as("SELECT evidence_due_at, chargeback_paise FROM chargebacks WHERE status = 'OPEN'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let now = app.clock_now();
    for bucket in settlepaisa_ops::features::disputes::model::SlaBucket::ALL {
        let expected: Vec<&(DateTime<Utc>, i64)> =
            dues.iter().filter(|(d, _)| rules::sla_bucket(*d, now) == Some(bucket)).collect();
        assert!(!expected.is_empty(), "{bucket:?} has cases in the demo data");
        assert_eq!(sla[bucket.api_key()]["count"], expected.len() as i64, "{bucket:?}");
        assert_eq!(sla[bucket.api_key()]["amountPaise"], expected.iter().map(|e| e.1).sum::<i64>(), "{bucket:?}");
        let listed = app
            .get(&format!("/api/disputes/v1/chargebacks?slaBucket={}&limit=500", bucket.param()), Some(&ops))
            .await
            .json();
        assert_eq!(listed["total"], expected.len() as i64, "the list filter agrees with the strip for {bucket:?}");
    }

    // The page, rendered on the server, shows the same figures and the 52 cases.
    let page = app.get("/disputes", Some(&ops)).await;
    assert_eq!(page.status, StatusCode::OK);
    let tile = |id: &str| {
        page.body
            .split(&format!("data-testid=\"{id}\""))
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(tile("kpi-open").contains(">28<"));
    assert!(tile("kpi-evidence-required").contains(">12<"));
    assert!(tile("kpi-disputed").contains("₹11,71,804.24"));
    assert!(tile("kpi-recovered").contains("₹3,86,375.70"));
    assert!(tile("kpi-written-off").contains("₹2,55,142.69"));
    assert!(page.body.contains("Showing 1–25 of 52 cases"));
}

impl TestApp {
    fn clock_now(&self) -> DateTime<Utc> {
        use settlepaisa_ops::state::Clock;
        self.clock.now()
    }
}

/// A merchant and five cases whose KPIs are worked out by hand below.
async fn fixture(pool: &PgPool, now: DateTime<Utc>) {
    for (id, name) in [("M_ALPHA", "Alpha Stores"), ("M_BETA", "Beta Mart")] {
        sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ($1, $2, $2)")
            .bind(id)
            .bind(name)
            .execute(pool)
            .await
            .unwrap();
    }
    let day = |n: i64| now - Duration::days(n);
    // (ref, network, merchant, stage, status, outcome, chargeback, fees, recovered, written off, received, due, closed)
    #[allow(clippy::type_complexity)]
    let cases: [(
        &str,
        &str,
        &str,
        &str,
        &str,
        &str,
        i64,
        i64,
        i64,
        i64,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    ); 5] = [
        (
            "F-1",
            "VISA",
            "M_ALPHA",
            "NEW",
            "OPEN",
            "PENDING",
            10_000,
            500,
            0,
            0,
            day(3),
            Some(now - Duration::hours(1)),
            None,
        ),
        (
            "F-2",
            "MASTERCARD",
            "M_BETA",
            "UNDER_REVIEW",
            "OPEN",
            "PENDING",
            20_000,
            500,
            0,
            0,
            day(2),
            Some(now + Duration::days(2)),
            None,
        ),
        ("F-3", "VISA", "M_ALPHA", "CLOSED", "RECOVERED", "WON", 30_000, 0, 30_000, 0, day(20), None, Some(day(2))),
        (
            "F-4",
            "MASTERCARD",
            "M_BETA",
            "CLOSED",
            "WRITEOFF",
            "LOST",
            40_000,
            1_000,
            0,
            40_000,
            day(10),
            None,
            Some(day(4)),
        ),
        ("F-5", "VISA", "M_BETA", "CLOSED", "WRITEOFF", "PENDING", 5_000, 0, 0, 0, day(9), None, Some(day(1))),
    ];
    for (r, network, merchant, stage, status, outcome, cb, fees, rec, wo, received, due, closed) in cases {
        sqlx::query(
            "INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name,
                original_gross_paise, chargeback_paise, fees_paise, recovered_paise, written_off_paise, reason_code,
                reason_description, category, stage, status, outcome, received_at, evidence_due_at, closed_at)
             VALUES ($1, $2, $3, $2, $4, $4, $5, $5, $6, $7, $8, '10.4', 'x', 'FRAUD', $9, $10, $11, $12, $13, $14)",
        )
        .bind(Uuid::new_v4())
        .bind(r)
        .bind(network)
        .bind(merchant)
        .bind(cb)
        .bind(fees)
        .bind(rec)
        .bind(wo)
        .bind(stage)
        .bind(status)
        .bind(outcome)
        .bind(received)
        .bind(due)
        .bind(closed)
        .execute(pool)
        .await
        .unwrap();
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn kpis_on_a_hand_made_fixture(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("reader@settlepaisa.test", &[Role::Auditor]).await;
    let reader = app.session_for("reader@settlepaisa.test").await;
    let now = app.clock_now();
    fixture(&pool, now).await;
    let kpis = |q: &'static str| {
        let app = &app;
        let reader = reader.clone();
        async move { app.get(&format!("/api/disputes/v1/chargebacks/kpis{q}"), Some(&reader)).await.json() }
    };
    // All: open F-1, F-2; evidence F-2; disputed (10,000+500)+(20,000+500)+(30,000+0) = 61,000
    // (F-4 and F-5 are written off); recovered 30,000; written off 40,000.
    assert_eq!(
        kpis("").await,
        json!({"openCount": 2, "evidenceRequiredCount": 1, "disputedPaise": "61000", "recoveredPaise": "30000", "writtenOffPaise": "40000"})
    );
    // VISA only: F-1, F-3, F-5 → open 1, disputed 10,500 + 30,000.
    assert_eq!(
        kpis("?acquirer=visa").await,
        json!({"openCount": 1, "evidenceRequiredCount": 0, "disputedPaise": "40500", "recoveredPaise": "30000", "writtenOffPaise": "0"})
    );
    // Beta Mart: F-2, F-4, F-5.
    assert_eq!(
        kpis("?merchantId=M_BETA").await,
        json!({"openCount": 1, "evidenceRequiredCount": 1, "disputedPaise": "20500", "recoveredPaise": "0", "writtenOffPaise": "40000"})
    );
    // Received in the last 5 IST days: F-1, F-2.
    let from = ist::today(now) - Duration::days(5);
    let recent = app
        .get(&format!("/api/disputes/v1/chargebacks/kpis?from={from}&to={}", ist::today(now)), Some(&reader))
        .await
        .json();
    assert_eq!(recent["openCount"], 2);
    assert_eq!(recent["disputedPaise"], "31000");
    // Outcomes: last 7 days closed F-3 (won), F-4 (lost), F-5 (cancelled, not decided) → 50.0 %;
    // resolution (20−2) and (10−4) days → average 12.0 days.
    let outcomes = app.get("/api/disputes/v1/chargebacks/outcome-summary?window=7d", Some(&reader)).await.json();
    assert_eq!((outcomes["won"].as_i64(), outcomes["lost"].as_i64()), (Some(1), Some(1)));
    assert_eq!(outcomes["winRatePercent"], "50.0");
    assert_eq!(outcomes["avgResolutionDays"], "12.0");
    assert_eq!(outcomes["netImpactPaise"], -10_000);
    // Its money is the window's too: F-3 closed 10 days ago leaves the 7-day window with its
    // ₹300 recovered, and stays in the 30-day one.
    sqlx::query("UPDATE chargebacks SET closed_at = $1 WHERE case_ref = 'F-3'")
        .bind(now - Duration::days(10))
        .execute(&pool)
        .await
        .unwrap();
    for (window, won, recovered, written_off) in [("7d", 0, 0, 40_000), ("30d", 1, 30_000, 40_000)] {
        let o = app
            .get(&format!("/api/disputes/v1/chargebacks/outcome-summary?window={window}"), Some(&reader))
            .await
            .json();
        assert_eq!(
            (
                o["won"].as_i64(),
                o["recoveredPaise"].as_i64(),
                o["writtenOffPaise"].as_i64(),
                o["netImpactPaise"].as_i64()
            ),
            (Some(won), Some(recovered), Some(written_off), Some(recovered - written_off)),
            "{window}: {o}"
        );
    }
    // SLA: F-1 overdue by an hour; F-2 due in two days (2–3 days bucket, whatever the hour).
    let sla = app.get("/api/disputes/v1/chargebacks/sla-buckets", Some(&reader)).await.json();
    assert_eq!(sla["overdue"]["count"], 1);
    assert_eq!(sla["overdue"]["amountPaise"], 10_000);
    assert_eq!(sla["dueIn2To3Days"]["count"], 1);
    assert_eq!(sla["dueToday"]["count"], 0);
    // UI status filters and search.
    let lost = app.get("/api/disputes/v1/chargebacks?uiStatus=lost", Some(&reader)).await.json();
    assert_eq!(lost["total"], 1);
    assert_eq!(lost["chargebacks"][0]["caseRef"], "F-4");
    let cancelled = app.get("/api/disputes/v1/chargebacks?uiStatus=cancelled", Some(&reader)).await.json();
    assert_eq!(cancelled["chargebacks"][0]["caseRef"], "F-5");
    let found = app.get("/api/disputes/v1/chargebacks?q=f-3", Some(&reader)).await.json();
    assert_eq!(found["total"], 1);
    // Bad parameters get a JSON 400 with a sentence.
    let bad = app.get("/api/disputes/v1/chargebacks?limit=0", Some(&reader)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["error"], "bad_request");
    assert_eq!(
        app.get("/api/disputes/v1/chargebacks?slaBucket=soon", Some(&reader)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/disputes/v1/chargebacks/kpis?from=yesterday", Some(&reader)).await.status,
        StatusCode::BAD_REQUEST
    );
    // Anonymous callers get 401 JSON.
    let anonymous = app.get("/api/disputes/v1/chargebacks/kpis", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.json()["error"], "unauthorized");
}

async fn act(app: &TestApp, cookie: &str, id: Uuid, body: Value) -> Reply {
    post_json(app, &format!("/api/disputes/v1/chargebacks/{id}/actions"), body, cookie).await
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_lifecycle_with_evidence_recovery_and_audit(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let compliance = cookie(&app, "compliance@settlepaisa.test").await;
    let id = case_id(&pool, "NEW").await;

    // Skipping steps is refused with the reason (409); nothing changes.
    let skip = act(&app, &ops, id, json!({"action": "status", "to": "won"})).await;
    assert_eq!(skip.status, StatusCode::CONFLICT);
    assert!(skip.json()["message"].as_str().unwrap().contains("cannot move from “Open” to “Won”"));
    // Accepting liability is compliance's call: ops gets 403.
    assert_eq!(act(&app, &ops, id, json!({"action": "status", "to": "lost"})).await.status, StatusCode::FORBIDDEN);

    assert_eq!(
        act(&app, &ops, id, json!({"action": "status", "to": "evidence_required"})).await.status,
        StatusCode::OK
    );
    let no_evidence = act(&app, &ops, id, json!({"action": "status", "to": "representment_submitted"})).await;
    assert_eq!(no_evidence.status, StatusCode::CONFLICT);
    assert!(no_evidence.json()["message"].as_str().unwrap().contains("evidence document"));
    // The acquirer's own notice is not evidence: still refused.
    let notice = post_multipart(
        &app,
        &format!("/api/disputes/v1/chargebacks/{id}/documents"),
        &[("kind", "NOTICE")],
        Some(("notice.pdf", PDF)),
        &ops,
    )
    .await;
    assert_eq!(notice.status, StatusCode::CREATED, "{}", notice.body);
    let page = app.get(&format!("/disputes/{id}"), Some(&ops)).await.body;
    assert!(!page.contains("value=\"representment_submitted\""), "not offered on a notice alone");
    let notice_only = act(&app, &ops, id, json!({"action": "status", "to": "representment_submitted"})).await;
    assert_eq!(notice_only.status, StatusCode::CONFLICT, "{}", notice_only.body);

    // Upload a PDF; it comes back byte for byte, as an attachment, with its SHA-256 recorded.
    let upload = post_multipart(
        &app,
        &format!("/api/disputes/v1/chargebacks/{id}/documents"),
        &[("kind", "EVIDENCE")],
        Some(("delivery-proof.pdf", PDF)),
        &ops,
    )
    .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    let doc = upload.json();
    use sha2::Digest;
    assert_eq!(doc["sha256"], hex::encode(sha2::Sha256::digest(PDF)));
    let download = app
        .get(&format!("/api/disputes/v1/chargebacks/{id}/documents/{}", doc["id"].as_str().unwrap()), Some(&compliance))
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body.as_bytes(), PDF);
    let disposition = download.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(disposition.starts_with("attachment;") && disposition.contains("delivery-proof.pdf"), "{disposition}");
    assert_eq!(download.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    assert_eq!(
        app.get(&format!("/api/disputes/v1/chargebacks/{id}/documents/{}", doc["id"].as_str().unwrap()), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    for to in ["representment_submitted", "pending_bank"] {
        let r = act(&app, &ops, id, json!({"action": "status", "to": to, "note": format!("to {to}")})).await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.body);
        assert_eq!(r.json()["uiStatus"], to);
    }
    let lost = act(&app, &ops, id, json!({"action": "status", "to": "lost"})).await.json();
    let amount = lost["chargebackPaise"].as_i64().unwrap();
    assert_eq!(
        (lost["stage"].as_str(), lost["status"].as_str(), lost["outcome"].as_str()),
        (Some("CLOSED"), Some("WRITEOFF"), Some("LOST"))
    );
    assert_eq!(lost["writtenOffPaise"], amount);
    assert_eq!(lost["recovery"]["amountPaise"], amount, "a lost case creates the settlement deduction");
    assert_eq!(lost["recovery"]["status"], "PENDING");
    assert!(lost["closedAt"].is_string());
    // A closed case is final.
    assert_eq!(act(&app, &ops, id, json!({"action": "status", "to": "won"})).await.status, StatusCode::CONFLICT);

    // The timeline holds every change, newest first, with actor, role and before/after.
    let actions: Vec<&str> =
        lost["timeline"].as_array().unwrap().iter().map(|t| t["action"].as_str().unwrap()).collect();
    assert_eq!(
        &actions[..7],
        [
            "recovery_created",
            "status_changed",
            "status_changed",
            "status_changed",
            "document_added",
            "document_added",
            "status_changed"
        ]
    );
    let last_change = &lost["timeline"][1];
    assert_eq!(last_change["actor"], "Priya Sharma");
    assert_eq!(last_change["role"], "sp-ops");
    assert_eq!(last_change["before"]["uiStatus"], "Pending bank");
    assert_eq!(last_change["after"]["uiStatus"], "Lost");
    let unified: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE target_type = 'chargeback' AND target_id = $1")
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(unified, 7, "each change is in the unified audit log too (two documents)");

    // Compliance accepts liability on another open case.
    let other = case_id(&pool, "UNDER_REVIEW").await;
    assert_eq!(act(&app, &compliance, other, json!({"action": "status", "to": "lost"})).await.status, StatusCode::OK);

    // Assign, note and deadline on a third case.
    let third = case_id(&pool, "NEW").await;
    let ops_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ops@settlepaisa.test'").fetch_one(&pool).await.unwrap();
    let assigned = act(&app, &ops, third, json!({"action": "assign", "assignee": ops_id, "team": "OPS"})).await;
    assert_eq!(assigned.status, StatusCode::OK);
    assert_eq!(assigned.json()["owner"], "Priya Sharma");
    let finance_id: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'finance@settlepaisa.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        act(&app, &ops, third, json!({"action": "assign", "assignee": finance_id})).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        act(&app, &ops, third, json!({"action": "note", "note": "Called the merchant"})).await.json()["notes"],
        "Called the merchant"
    );
    let due = ist::today(Utc::now()) + Duration::days(5);
    let moved = act(
        &app,
        &ops,
        third,
        json!({"action": "deadline", "evidenceDue": due.to_string(), "note": "Acquirer extension"}),
    )
    .await
    .json();
    assert_eq!(ist::date_of(moved["evidenceDueAt"].as_str().unwrap().parse().unwrap()), due);
    assert_eq!(
        act(&app, &ops, third, json!({"action": "deadline", "evidenceDue": due.to_string()})).await.status,
        StatusCode::BAD_REQUEST
    );
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn evidence_is_checked_by_content_and_size(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let id = case_id(&pool, "UNDER_REVIEW").await;
    let path = format!("/api/disputes/v1/chargebacks/{id}/documents");
    let disguised = post_multipart(&app, &path, &[("kind", "EVIDENCE")], Some(("invoice.pdf", PNG)), &ops).await;
    assert_eq!(disguised.status, StatusCode::BAD_REQUEST);
    assert!(disguised.json()["message"].as_str().unwrap().contains("content is image/png"));
    let script = post_multipart(&app, &path, &[], Some(("run.pdf", b"<script>alert(1)</script>")), &ops).await;
    assert_eq!(script.status, StatusCode::BAD_REQUEST);
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let too_big = post_multipart(&app, &path, &[], Some(("big.pdf", &big)), &ops).await;
    assert!(matches!(too_big.status, StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE), "{}", too_big.status);
    assert!(too_big.body.contains("10 MB"), "{}", too_big.body);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM chargeback_documents").fetch_one(&pool).await.unwrap();
    assert_eq!(count, 0, "nothing refused was recorded");
    // A PNG named .png is fine; a browser form gets a 303 back to the case with a notice.
    let (content_type, body) = multipart(&[("kind", "CORRESPONDENCE")], Some(("letter.png", PNG)));
    let req = Request::post(&path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &ops)
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let form = app.send(req).await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert!(form.location().unwrap().starts_with(&format!("/disputes/{id}?notice=Uploaded")));
}

const IMPORT: &str =
    "Case Ref,Merchant ID,Merchant Name,Txn Ref,RRN,UTR,Amount,Reason Code,Reason,Chargeback Date,Due Date
IMP-1,MERCH_001,Flipkart,,,UTRIMPORT0001,\"1,250.50\",13.1,,2026-11-20,2026-11-28
IMP-2,MERCH_002,Amazon India,,,,999,4853,,2026-11-21,
IMP-3,NO_SUCH,Nobody,,,,10,10.4,,2026-11-21,
IMP-4,MERCH_003,Myntra,,,,abc,10.4,,2026-11-21,
";

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn import_is_idempotent_and_reports_rows(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    // A transaction the first row correlates with by UTR.
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, utr)
         VALUES ('TXN-IMPORT-1', 'MERCH_001', 500000, now(), current_date, 'CARD', 'UTRIMPORT0001')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let import = |cookie: String, file: &'static str| {
        let app = &app;
        async move {
            let req = Request::post("/api/disputes/v1/chargebacks/import?network=VISA")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(file))
                .unwrap();
            app.send(req).await
        }
    };
    let first = import(ops.clone(), IMPORT).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let report = first.json();
    assert_eq!(
        (report["inserted"].as_i64(), report["duplicates"].as_i64(), report["rejected"].as_i64()),
        (Some(2), Some(0), Some(2))
    );
    assert_eq!(report["errors"][0]["line"], 4);
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("NO_SUCH is not known"));
    assert_eq!(report["errors"][1]["line"], 5);
    assert_eq!(report["errors"][1]["column"], "amount");
    let second = import(ops.clone(), IMPORT).await.json();
    assert_eq!(
        (second["inserted"].as_i64(), second["duplicates"].as_i64()),
        (Some(0), Some(2)),
        "a re-import changes nothing"
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM chargebacks").fetch_one(&pool).await.unwrap();
    assert_eq!(total, 54);
    let (txn_ref, gross, amount): (Option<String>, i64, i64) = sqlx::query_as(
        "SELECT txn_ref, original_gross_paise, chargeback_paise FROM chargebacks WHERE network_case_id = 'IMP-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((txn_ref.as_deref(), gross, amount), (Some("TXN-IMPORT-1"), 500000, 125050), "correlated by UTR");
    // Another merchant's case naming the same UTR is not linked to MERCH_001's payment (nor
    // refused as more than it). A case naming an RRN in lower case is linked to the payment whose
    // RRN was stored in upper case (as uploads store it).
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, rrn)
         VALUES ('TXN-IMPORT-2', 'MERCH_002', 900000, now(), current_date, 'CARD', 'AB12CD34EF56')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let other = "Case Ref,Merchant ID,UTR,RRN,Amount,Reason Code,Chargeback Date\n\
                 IMP-5,MERCH_002,UTRIMPORT0001,,7000,13.1,2026-11-22\n\
                 IMP-6,MERCH_002,,ab12 cd34ef56,100,13.1,2026-11-22\n";
    let reply = import(ops.clone(), other).await;
    assert_eq!(reply.json()["inserted"].as_i64(), Some(2), "{}", reply.body);
    let (txn_ref, gross): (Option<String>, i64) =
        sqlx::query_as("SELECT txn_ref, original_gross_paise FROM chargebacks WHERE network_case_id = 'IMP-5'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((txn_ref, gross), (None, 700000));
    let (txn_ref, rrn): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT txn_ref, rrn FROM chargebacks WHERE network_case_id = 'IMP-6'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((txn_ref.as_deref(), rrn.as_deref()), (Some("TXN-IMPORT-2"), Some("AB12CD34EF56")));
    // Searched as written on paper, with its space, the RRN finds the case; `n/a` finds nothing.
    let found = app.get("/api/disputes/v1/chargebacks?q=ab12%20cd34", Some(&ops)).await.json();
    assert_eq!(
        (found["total"].as_i64(), &found["chargebacks"][0]["networkCaseId"]),
        (Some(1), &serde_json::json!("IMP-6"))
    );
    let none = app.get("/api/disputes/v1/chargebacks?q=n%2Fa", Some(&ops)).await.json();
    assert_eq!(none["total"].as_i64(), Some(0), "{none}");
    // A file without the required columns is refused whole.
    let refused = import(ops.clone(), "Amount\n10\n").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["message"].as_str().unwrap().contains("lacks the column"));
}

async fn webhook(app: &TestApp, network: &str, body: &str, signature: Option<String>) -> Reply {
    let mut req = Request::post(format!("/api/disputes/v1/webhooks/{network}"))
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = signature {
        req = req.header("x-webhook-signature", s);
    }
    app.send(req.body(Body::from(body.to_string())).unwrap()).await
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn webhooks_need_the_signature_and_replays_change_nothing(pool: PgPool) {
    let app = demo_app(&pool).await;
    let received = (Utc::now() - Duration::days(1)).to_rfc3339();
    let created = json!({
        "eventId": "evt-1", "type": "chargeback.created",
        "case": {"networkCaseId": "VCR-HOOK-1", "merchantId": "MERCH_002", "amountPaise": 45_600, "reasonCode": "13.1",
                 "receivedAt": received, "rrn": "999988887777"}
    })
    .to_string();
    let count =
        || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM chargebacks").fetch_one(&pool).await.unwrap() };
    assert_eq!(webhook(&app, "visa", &created, None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        webhook(&app, "visa", &created, Some(sign("wrong-secret", created.as_bytes()))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let tampered = created.replace("45600", "99999");
    assert_eq!(
        webhook(&app, "visa", &tampered, Some(sign(WEBHOOK_SECRET, created.as_bytes()))).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        webhook(&app, "rupay", &created, Some(sign(WEBHOOK_SECRET, created.as_bytes()))).await.status,
        StatusCode::NOT_FOUND,
        "no secret configured for RuPay"
    );
    assert_eq!(count().await, 52);

    let ok = webhook(&app, "visa", &created, Some(sign(WEBHOOK_SECRET, created.as_bytes()))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["status"], "applied");
    assert_eq!(count().await, 53);
    let replay = webhook(&app, "visa", &created, Some(sign(WEBHOOK_SECRET, created.as_bytes()))).await.json();
    assert_eq!(replay["status"], "duplicate");
    assert_eq!(count().await, 53, "a replay changes nothing");

    // The network withdraws it: the case is cancelled, by the system, with an audit row.
    let resolved = json!({"eventId": "evt-2", "type": "chargeback.resolved", "networkCaseId": "VCR-HOOK-1", "decision": "WITHDRAWN"}).to_string();
    let r = webhook(&app, "VISA", &resolved, Some(sign(WEBHOOK_SECRET, resolved.as_bytes()))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (stage, status, outcome, role): (String, String, String, String) = sqlx::query_as(
        "SELECT c.stage, c.status, c.outcome, a.actor_role FROM chargebacks c
         JOIN chargeback_audit a ON a.chargeback_id = c.id AND a.action = 'status_changed'
         WHERE c.network_case_id = 'VCR-HOOK-1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rules::ui_status(&stage, &status, &outcome), Some(UiStatus::Cancelled));
    assert_eq!(role, "webhook:VISA");
    // The same decision again under a new event id (the case already shows it): 200, recorded,
    // nothing changed. A contrary one is still refused.
    let again = json!({"eventId": "evt-3", "type": "chargeback.resolved", "networkCaseId": "VCR-HOOK-1", "decision": "withdrawn"}).to_string();
    let r = webhook(&app, "VISA", &again, Some(sign(WEBHOOK_SECRET, again.as_bytes()))).await;
    assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("applied")), "{}", r.body);
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chargeback_audit a JOIN chargebacks c ON c.id = a.chargeback_id
         WHERE c.network_case_id = 'VCR-HOOK-1' AND a.action = 'status_changed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(changes, 1);
    let won =
        json!({"eventId": "evt-4", "type": "chargeback.resolved", "networkCaseId": "VCR-HOOK-1", "decision": "WON"})
            .to_string();
    assert_eq!(
        webhook(&app, "VISA", &won, Some(sign(WEBHOOK_SECRET, won.as_bytes()))).await.status,
        StatusCode::CONFLICT
    );
    // Bad JSON with a good signature: 400, not recorded.
    let junk = "{\"eventId\": 1}";
    assert_eq!(
        webhook(&app, "VISA", junk, Some(sign(WEBHOOK_SECRET, junk.as_bytes()))).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn roles_without_rights_get_403_from_every_mutating_call(pool: PgPool) {
    let app = demo_app(&pool).await;
    let id = case_id(&pool, "UNDER_REVIEW").await;
    for email in ["finance@settlepaisa.test", "auditor@settlepaisa.test", "compliance@settlepaisa.test"] {
        let c = cookie(&app, email).await;
        let work_only = email != "compliance@settlepaisa.test";
        for body in [
            json!({"action": "status", "to": "cancelled"}),
            json!({"action": "assign", "assignee": null, "team": "OPS"}),
            json!({"action": "note", "note": "hello"}),
            json!({"action": "deadline", "evidenceDue": "2030-01-01", "note": "x"}),
        ] {
            let r = act(&app, &c, id, body.clone()).await;
            let compliance_may_note = !work_only && body["action"] == "note";
            if compliance_may_note {
                assert_eq!(r.status, StatusCode::OK, "compliance adds notes");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{email} {body}");
            }
        }
        let upload = post_multipart(
            &app,
            &format!("/api/disputes/v1/chargebacks/{id}/documents"),
            &[],
            Some(("a.pdf", PDF)),
            &c,
        )
        .await;
        assert_eq!(upload.status, StatusCode::FORBIDDEN, "{email} upload");
        let import = post_multipart(
            &app,
            "/api/disputes/v1/chargebacks/import",
            &[("network", "VISA")],
            Some(("a.csv", IMPORT.as_bytes())),
            &c,
        )
        .await;
        assert_eq!(import.status, StatusCode::FORBIDDEN, "{email} import");
        let create = app.post_form("/sfn/disputes/create", &new_case_form("X1"), Some(&c), Some(ORIGIN)).await;
        assert_eq!(create.status, StatusCode::FORBIDDEN, "{email} create: {}", create.body);
        let status_form =
            server_fn_form(&[("id", &id.to_string()), ("action", "status"), ("note", ""), ("to", "cancelled")]);
        let act_fn = app.post_form("/sfn/disputes/act", &status_form, Some(&c), Some(ORIGIN)).await;
        assert_eq!(act_fn.status, StatusCode::FORBIDDEN, "{email} server fn status change");
    }
    let untouched: (String, i64) =
        sqlx::query_as("SELECT stage, (SELECT count(*) FROM chargeback_documents) FROM chargebacks WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(untouched, ("UNDER_REVIEW".to_string(), 0));
    // Ops may create through the same server function; the duplicate is refused.
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let form = new_case_form("MANUAL-1");
    let created = app.post_form("/sfn/disputes/create", &form, Some(&ops), Some(ORIGIN)).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let again = app.post_form("/sfn/disputes/create", &form, Some(&ops), Some(ORIGIN)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

/// The "New case" form's body as the page sends it, for a case with this network case id.
fn new_case_form(network_case_id: &str) -> String {
    server_fn_form(&[
        ("network", "VISA"),
        ("network_case_id", network_case_id),
        ("merchant_id", "MERCH_001"),
        ("amount", "1,000"),
        ("reason_code", "13.1"),
        ("reason", ""),
        ("received", "2026-11-20"),
        ("due", "2026-11-27"),
        ("txn_ref", ""),
        ("rrn", ""),
        ("utr", ""),
    ])
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_case_forms_work_as_plain_posts_without_javascript(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let id = case_id(&pool, "NEW").await;
    let page = format!("/disputes/{id}");
    let back = format!("{ORIGIN}{page}");
    let ops_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ops@settlepaisa.test'").fetch_one(&pool).await.unwrap();
    let due = ist::today(Utc::now()) + Duration::days(5);
    let (id, ops_id, due_text) = (id.to_string(), ops_id.to_string(), due.to_string());
    // Each of the detail page's forms, field for field; "Change status" with its clicked button.
    let forms: [&[(&str, &str)]; 4] = [
        &[("id", &id), ("action", "status"), ("note", "Asked for proof"), ("to", "evidence_required")],
        &[("id", &id), ("action", "assign"), ("assignee", &ops_id), ("team", "OPS")],
        &[("id", &id), ("action", "note"), ("note", "Called the merchant")],
        &[("id", &id), ("action", "deadline"), ("evidenceDue", &due_text), ("note", "Acquirer extension")],
    ];
    for fields in forms {
        let r = app.send(plain_form_post("/sfn/disputes/act", server_fn_form(fields), &ops, &page)).await;
        assert!(r.status.is_redirection(), "{fields:?}: {} {}", r.status, r.body);
        // server_fn leaves an empty query where an error's details would go.
        assert_eq!(
            r.location().map(|l| l.trim_end_matches('?')),
            Some(back.as_str()),
            "back to the case with no error: {fields:?}"
        );
    }
    let case = app.get(&format!("/api/disputes/v1/chargebacks/{id}"), Some(&ops)).await.json();
    assert_eq!(case["uiStatus"], "evidence_required");
    assert_eq!((&case["owner"], &case["assignedTeam"]), (&json!("Priya Sharma"), &json!("OPS")));
    assert_eq!(case["notes"], "Called the merchant");
    assert_eq!(ist::date_of(case["evidenceDueAt"].as_str().unwrap().parse().unwrap()), due);

    // The "New case" form, posted the same way, creates the case.
    let r = app.send(plain_form_post("/sfn/disputes/create", new_case_form("MANUAL-PLAIN"), &ops, "/disputes")).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let created: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM chargebacks WHERE network_case_id = 'MANUAL-PLAIN' AND acquirer = 'VISA'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(created.len(), 1);
    // On to the new case's page, which says it was created.
    assert_eq!(r.location(), Some(format!("/disputes/{}?notice=Case%20created.", created[0]).as_str()));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_list_query_uses_an_index_on_100000_cases(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('M_BULK', 'Bulk', 'Bulk')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name,
            original_gross_paise, chargeback_paise, reason_code, reason_description, category, stage, status, outcome,
            received_at, evidence_due_at, closed_at)
         SELECT gen_random_uuid(), 'BULK-' || g, (ARRAY['VISA','MASTERCARD','RUPAY'])[1 + g % 3], 'N' || g, 'M_BULK', 'Bulk',
                10000, 5000, '10.4', 'x', 'FRAUD',
                CASE WHEN g % 10 < 3 THEN (ARRAY['NEW','UNDER_REVIEW','REPRESENTMENT'])[1 + g % 3] ELSE 'CLOSED' END,
                CASE WHEN g % 10 < 3 THEN 'OPEN' WHEN g % 2 = 0 THEN 'RECOVERED' ELSE 'WRITEOFF' END,
                CASE WHEN g % 10 < 3 THEN 'PENDING' WHEN g % 2 = 0 THEN 'WON' ELSE 'LOST' END,
                now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval + interval '8 days',
                CASE WHEN g % 10 < 3 THEN NULL ELSE now() END
         FROM generate_series(1, 100000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE chargebacks").execute(&pool).await.unwrap();
    let now = Utc::now();
    for filter in [
        ListFilter::default(),
        ListFilter { raw_status: Some("OPEN".into()), ..Default::default() },
        ListFilter { ui_status: Some(UiStatus::EvidenceRequired), ..Default::default() },
        ListFilter {
            scope: settlepaisa_ops::features::disputes::model::Scope {
                acquirer: Some("VISA".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    ] {
        let plan = queries::explain_list(&pool, &filter, Sort::default(), 50, now).await.unwrap();
        assert!(plan.contains("Index Scan") && !plan.contains("Seq Scan on chargebacks"), "{filter:?}:\n{plan}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn cached_kpis_follow_every_change(pool: PgPool) {
    let mut app = demo_app(&pool).await;
    let (principals, kpis) = settlepaisa_ops::state::AppState::start_caches(&pool);
    principals.stop().await;
    app.state = app.state.with(|s| {
        s.principals = principals;
        s.dispute_kpis = kpis.clone();
    });
    assert!(eventually(async || kpis.is_listening()).await, "the listener connects");
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let open_count = async |app: &TestApp| {
        app.get("/api/disputes/v1/chargebacks/kpis", Some(&ops)).await.json()["openCount"].clone()
    };
    assert!(eventually(async || open_count(&app).await == 28 && kpis.len() == 1).await, "the KPIs are cached");

    // A change made here is seen at once (the writer flushes this instance's cache).
    let id = case_id(&pool, "NEW").await;
    assert_eq!(act(&app, &ops, id, json!({"action": "status", "to": "cancelled"})).await.status, StatusCode::OK);
    assert_eq!(open_count(&app).await, 27);

    // A change made elsewhere (another instance, psql) arrives by notification.
    assert!(eventually(async || open_count(&app).await == 27 && kpis.len() == 1).await);
    sqlx::query(
        "UPDATE chargebacks SET stage = 'CLOSED', status = 'WRITEOFF', outcome = 'PENDING', closed_at = now()
         WHERE id = (SELECT id FROM chargebacks WHERE stage = 'NEW' ORDER BY case_ref LIMIT 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert!(eventually(async || open_count(&app).await == 26).await, "the notification flushed the cache");
    // The page reads the same cached figures.
    let page = app.get("/disputes", Some(&ops)).await;
    assert!(page.body.split("data-testid=\"kpi-open\"").nth(1).unwrap().contains(">26<"));
    kpis.stop().await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn assign_reads_inside_its_transaction(pool: PgPool) {
    use settlepaisa_ops::features::disputes::commands::{assign, Actor};
    let now = Utc::now();
    fixture(&pool, now).await;
    let app = TestApp::new(pool.clone());
    app.create_user("assignee@example.test", &[Role::Ops]).await;
    let assignee: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'assignee@example.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let case: Uuid =
        sqlx::query_scalar("SELECT id FROM chargebacks WHERE case_ref = 'F-1'").fetch_one(&pool).await.unwrap();
    // One connection: a read on a second pool connection while the transaction holds the only one
    // would wait for it until the acquire timeout.
    let single = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let actor = Actor::System { channel: "test".into() };
    assign(&single, &actor, case, Some(assignee), Some("OPS"), now).await.expect("assigned on one connection");
    let assigned: Option<Uuid> = sqlx::query_scalar("SELECT assigned_to FROM chargebacks WHERE id = $1")
        .bind(case)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(assigned, Some(assignee));
}
