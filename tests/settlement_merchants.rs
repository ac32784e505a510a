//! Merchant terms (issue 12) against real Postgres through the real router: the list and detail
//! figures against the database, a PUT making an effective-dated version that `terms_on` reads
//! before and after its date, the role matrix for the API and the form's server function, bad
//! input changing nothing, 404s, the 409 before a batched cycle, masked account numbers everywhere
//! but the admin's form, and the audit row; bank account rows a batch refers to never changing,
//! bank-specific rates ended by a new version, rates that would leave nothing refused, and a save
//! waiting for batch creation's lock.

// Amounts are written as rupees in Indian grouping then paise: `250_00` is ₹250.00.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use common::{plain_form_post, Reply, TestApp, HOST, ORIGIN};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::features::settlements::rules::CommissionTerm;
use settlepaisa_ops::features::settlements::terms::terms_on;
use settlepaisa_ops::ist;
use settlepaisa_ops::money::Paise;
use settlepaisa_ops::state::Clock;
use sqlx::PgPool;

const M: &str = "TEST_M1";
const ACCOUNT: &str = "50100234567890";
const MASKED: &str = "XXXXXXXXXX7890";
const NEW_ACCOUNT: &str = "000987654321";

fn role_email(role: Role) -> String {
    format!("{}@merchants.test", role.code())
}

async fn fixture(pool: &PgPool) -> TestApp {
    let app = TestApp::new(pool.clone());
    for role in Role::ALL {
        app.create_user(&role_email(role), &[role]).await;
    }
    sqlx::query("INSERT INTO merchants (id, name, legal_name, pan) VALUES ($1, 'Acme', 'Acme Retail Pvt Ltd', 'ABCDE1234F'), ('TEST_M2', 'Beta', 'Beta LLP', NULL)")
        .bind(M)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
         VALUES (gen_random_uuid(), $1, 'Acme Retail Pvt Ltd', $2, 'HDFC0001234', 'HDFC Bank')",
    )
    .bind(M)
    .bind(ACCOUNT)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO merchant_settlement_config (merchant_id, cycle_days, min_settlement_paise, preferred_rail, tds_enabled,
             tds_rate, reserve_enabled, reserve_rate, reserve_hold_days)
         VALUES ($1, 2, 50000, 'IMPS', TRUE, 0.001, TRUE, 0.05, 90)",
    )
    .bind(M)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, kind, rate, effective_from)
         VALUES (gen_random_uuid(), $1, 'UPI', 'PERCENT', 0.018, '2000-01-01')",
    )
    .bind(M)
    .execute(pool)
    .await
    .unwrap();
    app
}

fn today(app: &TestApp) -> NaiveDate {
    ist::today(app.clock.now())
}

async fn cookie(app: &TestApp, role: Role) -> String {
    app.session_for(&role_email(role)).await
}

async fn put_json(app: &TestApp, path: &str, body: &str, cookie: &str) -> Reply {
    let req = Request::put(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

/// Everything a save may touch, to show that a refused one touched nothing.
async fn snapshot(pool: &PgPool) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM merchant_settlement_config),
                (SELECT count(*) FROM merchant_commission_rates),
                (SELECT count(*) FROM merchant_fee_bearers),
                (SELECT count(*) FROM merchant_bank_accounts),
                (SELECT count(*) FROM audit_log WHERE action = 'settlement.terms.update')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

fn terms_body(eff: NaiveDate) -> Value {
    json!({
        "effectiveFrom": eff.to_string(),
        "cycleDays": 3,
        "minSettlementPaise": 20000,
        "preferredRail": "NEFT",
        "gstRate": "0.18",
        "tdsEnabled": false,
        "tdsRate": 0.001,
        "reserveEnabled": false,
        "reserveRate": "0",
        "reserveHoldDays": 0,
        "commission": [{"method": "UPI", "kind": "PERCENT", "rate": "0.015"}, {"method": "CARD", "kind": "FIXED", "fixedPaise": 250}],
        "feeBearers": [{"method": "WALLET", "bearer": "payer"}]
    })
}

fn form_fields(eff: NaiveDate, account: &str) -> String {
    let mut fields: Vec<(String, String)> = vec![
        ("merchant_id".into(), M.into()),
        ("effective_from".into(), eff.to_string()),
        ("cycle_days".into(), "1".into()),
        ("min_settlement".into(), "250.00".into()),
        ("preferred_rail".into(), "RTGS".into()),
        ("gst_rate".into(), "18".into()),
        ("tds_rate".into(), "0.1".into()),
        ("reserve_rate".into(), "0".into()),
        ("reserve_hold_days".into(), "0".into()),
        ("holder_name".into(), "Acme Retail Pvt Ltd".into()),
        ("account_number".into(), account.into()),
        ("ifsc".into(), "SBIN0000001".into()),
        ("bank_name".into(), "State Bank of India".into()),
    ];
    for m in ["UPI", "CARD", "NETBANKING", "WALLET", "NEFT", "RTGS", "IMPS"] {
        fields.push((format!("modes%5D%5B{m}%5D%5Bkind"), "percent".into()));
        fields.push((format!("modes%5D%5B{m}%5D%5Bvalue"), "1.5".into()));
        fields.push((format!("modes%5D%5B{m}%5D%5Bbearer"), "merchant".into()));
    }
    fields.iter().map(|(k, v)| format!("form%5B{k}%5D={}", common::urlencode(v))).collect::<Vec<_>>().join("&")
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn list_and_detail_show_the_database_figures_with_masked_accounts(pool: PgPool) {
    let app = fixture(&pool).await;
    let ops = cookie(&app, Role::Ops).await;
    let list = app.get("/api/settlements/v1/merchants", Some(&ops)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let merchants = list.json()["merchants"].as_array().unwrap().clone();
    let m = merchants.iter().find(|m| m["id"] == M).unwrap();
    assert_eq!(m["name"], "Acme");
    assert_eq!(m["legalName"], "Acme Retail Pvt Ltd");
    assert_eq!(m["cycleDays"], 2);
    assert_eq!(m["minSettlementPaise"], 50000);
    assert_eq!(m["preferredRail"], "IMPS");
    assert_eq!(m["accountNumberMasked"], MASKED);
    let beta = merchants.iter().find(|m| m["id"] == "TEST_M2").unwrap();
    assert_eq!((&beta["cycleDays"], &beta["minSettlementPaise"]), (&json!(1), &json!(10000)), "defaults");
    assert_eq!(beta["accountNumberMasked"], Value::Null);
    assert!(!list.body.contains(ACCOUNT));

    let detail = app.get(&format!("/api/settlements/v1/merchants/{M}"), Some(&ops)).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let d = detail.json();
    assert_eq!(d["gstRate"], "0.1800");
    assert_eq!(d["tdsEnabled"], true);
    assert_eq!(d["tdsAppliedRate"], "0.0010");
    assert_eq!((&d["reserveRate"], &d["reserveHoldDays"]), (&json!("0.0500"), &json!(90)));
    let upi = d["commission"].as_array().unwrap().iter().find(|c| c["method"] == "UPI").unwrap().clone();
    assert_eq!((&upi["rate"], &upi["isDefault"]), (&json!("0.0180"), &json!(false)));
    let card = d["commission"].as_array().unwrap().iter().find(|c| c["method"] == "CARD").unwrap().clone();
    assert_eq!((&card["rate"], &card["isDefault"]), (&json!("0.0200"), &json!(true)));
    assert_eq!(d["bankAccount"]["accountNumberMasked"], MASKED);
    assert!(!detail.body.contains(ACCOUNT));
    // No PAN and TDS on: 5 %.
    sqlx::query("INSERT INTO merchant_settlement_config (merchant_id, tds_enabled) VALUES ('TEST_M2', TRUE)")
        .execute(&pool)
        .await
        .unwrap();
    let beta = app.get("/api/settlements/v1/merchants/TEST_M2", Some(&ops)).await.json();
    assert_eq!(beta["tdsAppliedRate"], "0.0500");

    // With this year's and next year's holidays loaded (ten each at least), the calendar reaches
    // past the note's 60 days whatever today is, so no note.
    let next_year = ist::today(app.clock.now()).year() + 1;
    sqlx::query(
        "INSERT INTO holidays (holiday_date, name) SELECT make_date(y, 3, d), 'Test holiday ' || d
         FROM generate_series($1 - 1, $1) y, generate_series(1, 10) d ON CONFLICT DO NOTHING",
    )
    .bind(next_year)
    .execute(&pool)
    .await
    .unwrap();
    // The pages, for every role but the admin, never show the number whole.
    for role in [Role::Ops, Role::Finance, Role::Compliance, Role::Auditor] {
        let c = cookie(&app, role).await;
        let list = app.get("/settlements/merchants", Some(&c)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Acme Retail Pvt Ltd") && list.body.contains(MASKED), "{}", list.body);
        assert!(list.body.contains("Republic Day") && list.body.contains("business days"));
        assert!(!list.body.contains("holiday-calendar-ending"), "the calendar is loaded: {}", list.body);
        assert!(!list.body.contains(ACCOUNT));
        let page = app.get(&format!("/settlements/merchants/{M}"), Some(&c)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(MASKED) && page.body.contains("carries forward"), "{}", page.body);
        assert!(!page.body.contains(ACCOUNT), "{role:?} sees the account number");
        assert!(!page.body.contains("edit-terms"), "{role:?} gets no edit form");
    }
    // An emptied calendar does not hold this year (whatever today is): the desk is told why T+N may
    // land on a holiday and who loads the calendar. (The 60-day note before the end is the rule's
    // unit test, on fixed dates.)
    sqlx::query("DELETE FROM holidays").execute(&pool).await.unwrap();
    let list = app.get("/settlements/merchants", Some(&ops)).await;
    assert!(list.body.contains("holiday-calendar-ending"), "{}", list.body);
    let missing = format!("The bank-holiday calendar does not hold {}", next_year - 1);
    assert!(list.body.contains(&missing) && list.body.contains("T+N skips weekends only"), "{}", list.body);
    assert!(list.body.contains("runbook holiday-calendar.md"), "{}", list.body);
    let page = app.get("/settlements/merchants/TEST_M2", Some(&ops)).await;
    assert!(page.body.contains("no PAN on file"), "{}", page.body);
    // The admin's edit form carries the full number.
    let admin = cookie(&app, Role::Admin).await;
    let page = app.get(&format!("/settlements/merchants/{M}"), Some(&admin)).await;
    assert!(page.body.contains("edit-terms") && page.body.contains(ACCOUNT));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_put_makes_a_version_read_from_its_date(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let eff = today(&app) + Duration::days(5);
    let mut body = terms_body(eff);
    body["bankAccount"] = json!({"holderName": "Acme Retail Pvt Ltd", "accountNumber": NEW_ACCOUNT, "ifsc": "SBIN0000001", "bankName": "SBI"});
    let r = put_json(&app, &format!("/api/settlements/v1/merchants/{M}/terms"), &body.to_string(), &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!((&j["cycleDays"], &j["effectiveFrom"]), (&json!(3), &json!(eff.to_string())));
    assert_eq!(j["bankAccount"]["accountNumberMasked"], "XXXXXXXX4321");
    assert!(!r.body.contains(NEW_ACCOUNT) && !r.body.contains(ACCOUNT));
    assert!(j["versions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["effectiveFrom"] == eff.to_string() && v["status"] == "scheduled"));

    let mut conn = pool.acquire().await.unwrap();
    let ids = [M.to_string()];
    let before = terms_on(&mut conn, eff - Duration::days(1), &ids).await.unwrap().remove(M).unwrap();
    assert_eq!((before.cycle_days, before.min_settlement, before.preferred_rail.code()), (2, Paise(50_000), "IMPS"));
    assert!(before.commission.contains(&("UPI".into(), None, CommissionTerm::Percent(Decimal::new(18, 3)))));
    let after = terms_on(&mut conn, eff, &ids).await.unwrap().remove(M).unwrap();
    assert_eq!((after.cycle_days, after.min_settlement, after.preferred_rail.code()), (3, Paise(20_000), "NEFT"));
    assert!(after.commission.contains(&("UPI".into(), None, CommissionTerm::Percent(Decimal::new(15, 3)))));
    assert!(after.commission.contains(&("CARD".into(), None, CommissionTerm::FixedPaise(Paise(250)))));
    assert_eq!(after.bearer_for("WALLET").code(), "payer");
    assert!(!after.tds_enabled && !after.reserve_enabled);
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM merchant_commission_rates WHERE merchant_id = $1 AND effective_from = $2",
    )
    .bind(M)
    .bind(eff)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 7, "a rate for every mode");
    // The new account is the primary one, the old one kept.
    let primary: Vec<(String, bool)> = sqlx::query_as(
        "SELECT account_number, is_primary FROM merchant_bank_accounts WHERE merchant_id = $1 ORDER BY is_primary",
    )
    .bind(M)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(primary, vec![(ACCOUNT.to_string(), false), (NEW_ACCOUNT.to_string(), true)]);

    // The audit row: before/after with masked numbers only.
    let (actor, target_type, target, before_json, after_json): (Option<String>, String, Option<String>, Value, Value) =
        sqlx::query_as(
            "SELECT actor_email, target_type, target_id, before, after FROM audit_log WHERE action = 'settlement.terms.update'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        (actor.as_deref(), target_type.as_str(), target.as_deref()),
        (Some("admin@merchants.test"), "merchant", Some(M))
    );
    assert_eq!(before_json["cycleDays"], 2);
    assert_eq!(after_json["cycleDays"], 3);
    assert_eq!(before_json["bankAccount"]["accountNumberMasked"], MASKED);
    assert_eq!(after_json["bankAccount"]["accountNumberMasked"], "XXXXXXXX4321");
    let audit_text = format!("{before_json}{after_json}");
    assert!(!audit_text.contains(ACCOUNT) && !audit_text.contains(NEW_ACCOUNT));

    // Saving the same date again replaces that version.
    let mut again = terms_body(eff);
    again["cycleDays"] = json!(4);
    let r = put_json(&app, &format!("/api/settlements/v1/merchants/{M}/terms"), &again.to_string(), &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM merchant_settlement_config WHERE merchant_id = $1")
        .bind(M)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 2);
    let after = terms_on(&mut conn, eff, &ids).await.unwrap().remove(M).unwrap();
    assert_eq!(after.cycle_days, 4);
    let page = app.get(&format!("/settlements/merchants/{M}"), Some(&admin)).await;
    assert!(page.body.contains("scheduled"), "{}", page.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn only_an_admin_changes_terms_by_api_or_form(pool: PgPool) {
    let app = fixture(&pool).await;
    let eff = today(&app) + Duration::days(2);
    let page = format!("/settlements/merchants/{M}");
    for role in Role::ALL {
        let c = cookie(&app, role).await;
        let before = snapshot(&pool).await;
        let r =
            put_json(&app, &format!("/api/settlements/v1/merchants/{M}/terms"), &terms_body(eff).to_string(), &c).await;
        if role == Role::Admin {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_ne!(snapshot(&pool).await, before);
        } else {
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}: {}", r.body);
            assert_eq!(snapshot(&pool).await, before, "{role:?} changed nothing");
        }
        let before = snapshot(&pool).await;
        let r = app
            .send(plain_form_post("/sfn/settlement-merchants/terms", form_fields(eff, NEW_ACCOUNT), &c, &page))
            .await;
        assert!(r.status.is_redirection(), "{role:?}: {} {}", r.status, r.body);
        if role == Role::Admin {
            assert_eq!(r.location(), Some(format!("/settlements/merchants/{M}?notice=Terms%20saved.").as_str()));
            assert_ne!(snapshot(&pool).await, before);
        } else {
            assert!(!r.location().unwrap_or_default().contains("notice"), "{role:?}: {:?}", r.location());
            assert_eq!(snapshot(&pool).await, before, "{role:?} changed nothing by the form");
        }
    }
    let mut conn = pool.acquire().await.unwrap();
    let after = terms_on(&mut conn, eff, &[M.to_string()]).await.unwrap().remove(M).unwrap();
    assert_eq!((after.preferred_rail.code(), after.min_settlement), ("RTGS", Paise(250_00)), "the admin's form saved");
    // A form error comes back to the page.
    let admin = cookie(&app, Role::Admin).await;
    let before = snapshot(&pool).await;
    let bad = form_fields(eff, NEW_ACCOUNT).replace("SBIN0000001", "SBIN1000001");
    let r = app.send(plain_form_post("/sfn/settlement-merchants/terms", bad, &admin, &page)).await;
    assert!(r.status.is_redirection());
    let back = r.location().unwrap_or_default().to_string();
    // Back to the page with the error (server_fn carries it encoded in `__err`), which the page shows.
    assert!(back.starts_with(&format!("{ORIGIN}{page}")) && back.contains("__err="), "{back}");
    assert_eq!(snapshot(&pool).await, before);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bad_input_is_a_400_and_changes_nothing(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let eff = today(&app) + Duration::days(1);
    let path = format!("/api/settlements/v1/merchants/{M}/terms");
    let before = snapshot(&pool).await;
    let mut bodies: Vec<String> = Vec::new();
    let mut b = terms_body(eff);
    b["minSettlementPaise"] = json!(-100);
    bodies.push(b.to_string());
    let mut b = terms_body(eff);
    b["gstRate"] = json!("eighteen");
    bodies.push(b.to_string());
    let mut b = terms_body(eff);
    b["tdsRate"] = json!(1.5);
    bodies.push(b.to_string());
    let mut b = terms_body(eff);
    b["bankAccount"] =
        json!({"holderName": "Acme", "accountNumber": "123456789", "ifsc": "HDFC1234567", "bankName": "HDFC"});
    bodies.push(b.to_string());
    let mut b = terms_body(eff);
    b["bankAccount"] =
        json!({"holderName": "Acme", "accountNumber": "12345", "ifsc": "HDFC0001234", "bankName": "HDFC"});
    bodies.push(b.to_string());
    let mut b = terms_body(eff);
    b["cycleDays"] = json!(45);
    bodies.push(b.to_string());
    // A fixed commission above ₹1,000 per transaction.
    let mut b = terms_body(eff);
    b["commission"] = json!([{"method": "CARD", "kind": "FIXED", "fixedPaise": 100001}]);
    bodies.push(b.to_string());
    // UPI 10 % × 1.18 + reserve 90 % ≥ 100 %.
    let mut b = terms_body(eff);
    b["reserveEnabled"] = json!(true);
    b["reserveRate"] = json!("0.9");
    b["commission"] = json!([{"method": "UPI", "kind": "PERCENT", "rate": "0.1"}]);
    bodies.push(b.to_string());
    bodies.push("{\"cycleDays\": 2,".into());
    bodies.push("not json".into());
    for body in bodies {
        let r = put_json(&app, &path, &body, &admin).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(r.json()["error"], "bad_request");
        assert_eq!(snapshot(&pool).await, before, "{body} changed nothing");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn unknown_merchants_are_404(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let r = app.get("/api/settlements/v1/merchants/NOPE_999", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r =
        put_json(&app, "/api/settlements/v1/merchants/NOPE_999/terms", &terms_body(today(&app)).to_string(), &admin)
            .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = app.get("/settlements/merchants/NOPE_999", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("No merchant NOPE_999"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn terms_cannot_be_dated_on_or_before_a_batched_cycle(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let cycle = today(&app) + Duration::days(3);
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
             commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail)
         VALUES (gen_random_uuid(), 'STL-TEST-1', $1, $2, 'APPROVED', 1, 10000, 200, 36, 0, 0, 0, 0, 9764, 'NEFT')",
    )
    .bind(M)
    .bind(cycle)
    .execute(&pool)
    .await
    .unwrap();
    let path = format!("/api/settlements/v1/merchants/{M}/terms");
    let before = snapshot(&pool).await;
    for eff in [cycle - Duration::days(1), cycle] {
        let r = put_json(&app, &path, &terms_body(eff).to_string(), &admin).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{eff}: {}", r.body);
        assert!(r.json()["message"].as_str().unwrap().contains("already has a batch"));
        assert_eq!(snapshot(&pool).await, before);
    }
    let r = put_json(&app, &path, &terms_body(cycle + Duration::days(1)).to_string(), &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn batch_on(pool: &PgPool, cycle: NaiveDate, account: uuid::Uuid) {
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
             commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail,
             bank_account_id)
         VALUES (gen_random_uuid(), 'STL-TEST-2', $1, $2, 'APPROVED', 1, 10000, 200, 36, 0, 0, 0, 0, 9764, 'NEFT', $3)",
    )
    .bind(M)
    .bind(cycle)
    .bind(account)
    .execute(pool)
    .await
    .unwrap();
}

/// (id, holder, number, bank name, primary) of every account of the merchant, by number.
async fn accounts(pool: &PgPool) -> Vec<(uuid::Uuid, String, String, String, bool)> {
    sqlx::query_as(
        "SELECT id, holder_name, account_number, bank_name, is_primary FROM merchant_bank_accounts
         WHERE merchant_id = $1 ORDER BY account_number",
    )
    .bind(M)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_account_a_batch_refers_to_never_changes(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let path = format!("/api/settlements/v1/merchants/{M}/terms");
    let old = accounts(&pool).await[0].0;
    batch_on(&pool, today(&app) - Duration::days(1), old).await;
    let eff = today(&app) + Duration::days(1);
    let put = |account: Value| {
        let mut body = terms_body(eff);
        body["bankAccount"] = account;
        let app = &app;
        let path = path.clone();
        let admin = admin.clone();
        async move { put_json(app, &path, &body.to_string(), &admin).await }
    };
    let batch_holder = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT a.holder_name FROM settlement_batches b JOIN merchant_bank_accounts a ON a.id = b.bank_account_id
             WHERE b.batch_ref = 'STL-TEST-2'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };

    // The same number and IFSC under another name: the batch's row cannot change, so 409.
    let before = snapshot(&pool).await;
    let r = put(json!({"holderName": "Acme Renamed Ltd", "accountNumber": ACCOUNT, "ifsc": "HDFC0001234", "bankName": "HDFC Bank"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.json()["message"].as_str().unwrap().contains("already on file under another name"), "{}", r.body);
    assert_eq!(snapshot(&pool).await, before);
    assert_eq!(batch_holder().await, "Acme Retail Pvt Ltd");

    // Another account: a new row, made primary; the batch still reads the old one as it was.
    let r = put(json!({"holderName": "Acme Retail LLP", "accountNumber": NEW_ACCOUNT, "ifsc": "SBIN0000001", "bankName": "SBI"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = accounts(&pool).await;
    assert_eq!(rows.len(), 2);
    let new_id = rows[0].0;
    assert_ne!(new_id, old);
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str(), rows[0].4), ("Acme Retail LLP", NEW_ACCOUNT, true));
    assert_eq!(
        (rows[1].0, rows[1].1.as_str(), rows[1].2.as_str(), rows[1].4),
        (old, "Acme Retail Pvt Ltd", ACCOUNT, false)
    );
    assert_eq!(batch_holder().await, "Acme Retail Pvt Ltd", "the batch keeps the holder it was made for");

    // The identical account again changes nothing.
    let r = put(json!({"holderName": "Acme Retail LLP", "accountNumber": NEW_ACCOUNT, "ifsc": "SBIN0000001", "bankName": "SBI"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(accounts(&pool).await, rows);

    // A row no batch refers to may be corrected in place.
    let r = put(json!({"holderName": "Acme Retail Private Ltd", "accountNumber": NEW_ACCOUNT, "ifsc": "SBIN0000001", "bankName": "SBI"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = accounts(&pool).await;
    assert_eq!((rows.len(), rows[0].0, rows[0].1.as_str(), rows[0].4), (2, new_id, "Acme Retail Private Ltd", true));

    // The old account as it is on file: made primary again, no new row, nothing renamed.
    let r = put(json!({"holderName": "Acme Retail Pvt Ltd", "accountNumber": ACCOUNT, "ifsc": "HDFC0001234", "bankName": "HDFC Bank"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = accounts(&pool).await;
    assert_eq!((rows[1].0, rows[1].1.as_str(), rows[1].4, rows[0].4), (old, "Acme Retail Pvt Ltd", true, false));
    assert_eq!(rows.len(), 2);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_form_version_ends_the_bank_specific_rates(pool: PgPool) {
    let app = fixture(&pool).await;
    sqlx::query(
        "INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, bank_code, kind, rate, effective_from)
         VALUES (gen_random_uuid(), $1, 'UPI', 'HDFC', 'PERCENT', 0.01, '2000-01-01')",
    )
    .bind(M)
    .execute(&pool)
    .await
    .unwrap();
    let admin = cookie(&app, Role::Admin).await;
    let eff = today(&app) + Duration::days(2);
    let page = format!("/settlements/merchants/{M}");
    let r = app
        .send(plain_form_post("/sfn/settlement-merchants/terms", form_fields(eff, NEW_ACCOUNT), &admin, &page))
        .await;
    assert_eq!(r.location(), Some(format!("{page}?notice=Terms%20saved.").as_str()), "{} {}", r.status, r.body);
    let mut conn = pool.acquire().await.unwrap();
    let ids = [M.to_string()];
    let hdfc = ("UPI".to_string(), Some("HDFC".to_string()));
    let rate = |t: &settlepaisa_ops::features::settlements::rules::MerchantTerms| {
        t.commission.iter().find(|(m, b, _)| (m, b) == (&hdfc.0, &hdfc.1)).map(|(_, _, c)| *c)
    };
    let before = terms_on(&mut conn, eff - Duration::days(1), &ids).await.unwrap().remove(M).unwrap();
    assert_eq!(rate(&before), Some(CommissionTerm::Percent(Decimal::new(1, 2))));
    let after = terms_on(&mut conn, eff, &ids).await.unwrap().remove(M).unwrap();
    assert_eq!(rate(&after), Some(CommissionTerm::Percent(Decimal::new(15, 3))), "UPI's new any-bank rate");

    // The versions table names who saved the version (the configuration row's updated_by).
    let body = app.get(&page, Some(&admin)).await.body;
    let versions = &body[body.find("data-testid=\"versions\"").unwrap()..];
    let versions = &versions[..versions.find("</section>").unwrap()];
    assert!(versions.contains("Test User") && versions.contains("scheduled"), "{versions}");
    let by: Option<String> = sqlx::query_scalar(
        "SELECT u.email FROM merchant_settlement_config c JOIN users u ON u.id = c.updated_by
         WHERE c.merchant_id = $1 AND c.effective_from = $2",
    )
    .bind(M)
    .bind(eff)
    .fetch_optional(&pool)
    .await
    .unwrap();
    assert_eq!(by.as_deref(), Some("admin@merchants.test"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_save_waits_for_batch_creations_lock(pool: PgPool) {
    let app = fixture(&pool).await;
    let admin = cookie(&app, Role::Admin).await;
    let path = format!("/api/settlements/v1/merchants/{M}/terms");
    let eff = today(&app) + Duration::days(1);
    let mut batch_run = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(settlepaisa_ops::domain::SETTLEMENT_LOCK)
        .execute(&mut *batch_run)
        .await
        .unwrap();
    let body = terms_body(eff).to_string();
    let mut save = Box::pin(put_json(&app, &path, &body, &admin));
    let waited = tokio::time::timeout(std::time::Duration::from_millis(700), &mut save).await;
    assert!(waited.is_err(), "the save went ahead while a batch run held the lock");
    batch_run.commit().await.unwrap();
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), save).await.expect("the save finished");
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
