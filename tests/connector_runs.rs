//! Connector runs (issue 14, second part) against real sources: OpenSSH's sshd for BANK_SFTP
//! (`common/sshd.rs`), the program's own sandbox PG API served over real HTTP, and small HTTP
//! servers that fail, stall or send nonsense. Runs are queued through the API and executed by the
//! job queue's worker code, as in production.

mod common;
#[path = "common/sshd.rs"]
mod sshd;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{json_request, TestApp};
use serde_json::{json, Value};
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::config::Config;
use settlepaisa_ops::features::connectors::sandbox;
use sqlx::PgPool;

const ADMIN: &str = "admin@connectors.test";
const OPS: &str = "ops@connectors.test";

fn cycle() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

struct Ctx {
    app: TestApp,
    admin: String,
    ops: String,
}

async fn ctx(pool: &PgPool, sftp_on: bool) -> Ctx {
    let mut config = Config::for_tests("postgres://unused");
    config.feature_bank_sftp_ingestion = sftp_on;
    let app = TestApp::with_config(common::own_pool(pool), config);
    app.create_user(ADMIN, &[Role::Admin]).await;
    app.create_user(OPS, &[Role::Ops]).await;
    let admin = app.session_for(ADMIN).await;
    let ops = app.session_for(OPS).await;
    Ctx { app, admin, ops }
}

/// The app's router on a real port (for the sandbox PG API): its base URL.
async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = settlepaisa_ops::http::router(app.state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    format!("http://{addr}")
}

/// Run every ready job, as a worker does; the number run.
async fn work(app: &TestApp, worker: &str) -> usize {
    let mut n = 0;
    while settlepaisa_ops::jobs::run_next(&app.state, worker).await.unwrap() {
        n += 1;
    }
    n
}

async fn create(c: &Ctx, body: Value) -> String {
    let created = json_request(&c.app, "POST", "/api/ingest/v1/connectors", &c.admin, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.json()["id"].as_str().unwrap().to_string()
}

async fn act(c: &Ctx, id: &str, body: Value) -> common::Reply {
    json_request(&c.app, "POST", &format!("/api/ingest/v1/connectors/{id}/actions"), &c.ops, body).await
}

async fn run_ids(c: &Ctx, id: &str, body: Value) -> Vec<String> {
    let reply = act(c, id, body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    reply.json()["runIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

async fn run(c: &Ctx, run: &str) -> Value {
    let reply = c.app.get(&format!("/api/ingest/v1/runs/{run}"), Some(&c.ops)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap()
}

fn pg_body(name: &str, base: &str, key: &str, merchants: &[&str]) -> Value {
    json!({
        "name": name, "type": "PG_API", "schedule": "0 7 * * *", "autoRecon": false,
        "config": { "baseUrl": base, "merchantCodes": merchants, "daysBack": 1 },
        "secrets": { "apiKey": key }
    })
}

/// The sandbox's successful payments of the cycle for these merchants: the worked answer.
fn sandbox_payments(merchants: &[&str]) -> i64 {
    merchants
        .iter()
        .map(|m| sandbox::transactions(cycle(), m).iter().filter(|t| t.status == "SUCCESS").count() as i64)
        .sum()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_pg_api_connector_pulls_the_sandbox_over_http_once(pool: PgPool) {
    let c = ctx(&pool, false).await;
    let base = serve(&c.app).await;
    let key = settlepaisa_ops::auth::tokens::create(&pool, OPS, "pg-sandbox", "test").await.unwrap();
    let merchants = ["MERCH_001", "MERCH_002"];
    let id = create(&c, pg_body("PG sandbox", &format!("{base}/api/pg/v1"), &key, &merchants)).await;

    // The test reads the pages and takes nothing.
    let tested = act(&c, &id, json!({ "action": "test", "cycleDate": "2026-11-30" })).await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    let expected_all: i64 = merchants.iter().map(|m| sandbox::transactions(cycle(), m).len() as i64).sum();
    assert_eq!(tested.json()["ok"], true, "{}", tested.body);
    assert_eq!(tested.json()["files"][0]["rows"], expected_all, "every transaction of every page read");
    assert_eq!(count(&pool, "SELECT count(*) FROM transactions").await, 0, "a test writes nothing");

    c.app.clock.advance(chrono::Duration::minutes(1));
    let ids = run_ids(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    assert_eq!(ids.len(), 1);
    // A second run of the same date while the first is queued: 409.
    let twice = act(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(run(&c, &ids[0]).await["status"], "QUEUED");
    assert_eq!(work(&c.app, "w1").await, 1);

    let r = run(&c, &ids[0]).await;
    let payments = sandbox_payments(&merchants);
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["type"], "MANUAL");
    assert_eq!(r["rowsIngested"], payments, "the successful payments (failed ones are skipped)");
    assert_eq!(r["filesIngested"], 1);
    let upload = r["files"][0]["uploadId"].as_str().unwrap().to_string();
    // The run history's link to the upload finds it on /recon.
    let page = c.app.get("/connectors", Some(&c.ops)).await.body;
    assert!(page.contains(&format!("/recon?upload={upload}#upload-{upload}")), "the history links the upload");
    let recon = c.app.get(&format!("/recon?upload={upload}"), Some(&c.ops)).await.body;
    assert!(recon.contains(&format!("id=\"upload-{upload}\"")), "/recon lists it");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM transactions WHERE cycle_date = '2026-11-30' AND txn_id LIKE 'SBX-%'").await,
        payments
    );
    assert_eq!(
        count(&pool, &format!("SELECT count(*) FROM uploaded_files WHERE id = '{upload}' AND source = 'connector'"))
            .await,
        1,
        "the pages became one upload, marked as the connector's"
    );

    // The same day again, a minute later: the same content, seen before; nothing new.
    c.app.clock.advance(chrono::Duration::minutes(1));
    let again = run_ids(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    work(&c.app, "w1").await;
    let r2 = run(&c, &again[0]).await;
    assert_eq!(r2["status"], "SUCCEEDED", "{r2}");
    assert_eq!(r2["files"][0]["outcome"], "SEEN");
    assert_eq!(r2["filesIngested"], 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM uploaded_files").await, 1);

    // The history lists both, newest first.
    let history = c.app.get(&format!("/api/ingest/v1/connectors/{id}/runs"), Some(&c.ops)).await.json();
    let listed: Vec<&str> = history["runs"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(&listed[..3], &[again[0].as_str(), ids[0].as_str(), tested.json()["runId"].as_str().unwrap()]);
    // The card's health reads the runs.
    let card = c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.ops)).await.json();
    assert_eq!(card["health"], "OK", "{card}");
    // A reader sees the runs, and may not start one.
    c.app.create_user("auditor@connectors.test", &[Role::Auditor]).await;
    let viewer = c.app.session_for("auditor@connectors.test").await;
    let path = format!("/api/ingest/v1/connectors/{id}/actions");
    for action in ["run", "test", "backfill"] {
        let refused = json_request(&c.app, "POST", &path, &viewer, json!({ "action": action })).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "viewer {action}");
    }
    assert_eq!(c.app.get(&format!("/api/ingest/v1/runs/{}", ids[0]), Some(&viewer)).await.status, StatusCode::OK);
}

/// A PG API that fails: 500 twice then the page (`flaky`), never answers (`slow`), or sends a page
/// that is not one (`bad`); it counts the requests it got.
async fn faulty_api() -> (String, Arc<AtomicUsize>) {
    use axum::extract::{Path, Query};
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let flaky_hits = hits.clone();
    let router = axum::Router::new().route(
        "/{mode}/transactions",
        get(move |Path(mode): Path<String>, Query(q): Query<std::collections::HashMap<String, String>>| {
            let hits = flaky_hits.clone();
            async move {
                let n = hits.fetch_add(1, Ordering::SeqCst);
                let page = json!({ "page": 1, "totalPages": 1, "transactions": [{
                    "txnId": "FLAKY-1", "merchantId": q.get("merchant").cloned().unwrap_or_default(), "amountPaise": 150000,
                    "txnAt": "2026-11-30T05:00:00Z", "paymentMethod": "UPI", "utr": "FLAKYUTR1", "status": "SUCCESS" }] });
                match mode.as_str() {
                    "flaky" if n < 2 => (StatusCode::INTERNAL_SERVER_ERROR, "try later".to_string()),
                    "down3" if n < 3 => (StatusCode::SERVICE_UNAVAILABLE, "down".to_string()),
                    "down3" => (StatusCode::OK, page.to_string()),
                    "other" => {
                        let mut other = page.clone();
                        other["transactions"][0]["merchantId"] = json!("SOMEONE_ELSE");
                        (StatusCode::OK, other.to_string())
                    }
                    "flaky" => (StatusCode::OK, page.to_string()),
                    "slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                        (StatusCode::OK, page.to_string())
                    }
                    _ => (StatusCode::OK, r#"{"page":1,"totalPages":1,"transactions":[{"txnId":7}]}"#.to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), hits)
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_pg_api_run_retries_a_failing_server_gives_up_on_a_silent_one_and_refuses_nonsense(pool: PgPool) {
    let c = ctx(&pool, false).await;
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_009', 'M9', 'M9')")
        .execute(&pool)
        .await
        .unwrap();
    let (base, hits) = faulty_api().await;

    // 500, 500, then the page: taken, after two retries.
    let flaky = create(&c, pg_body("Flaky PG", &format!("{base}/flaky"), "k", &["MERCH_009"])).await;
    let ids = run_ids(&c, &flaky, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    work(&c.app, "w1").await;
    let r = run(&c, &ids[0]).await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["rowsIngested"], 1);
    assert_eq!(hits.load(Ordering::SeqCst), 3, "two failures and the answer");
    assert_eq!(count(&pool, "SELECT count(*) FROM transactions WHERE txn_id = 'FLAKY-1'").await, 1);

    // Never answers: each try ends at the time limit (2 s in the tests), three tries, then FAILED.
    let slow = create(&c, pg_body("Slow PG", &format!("{base}/slow"), "k", &["MERCH_009"])).await;
    let ids = run_ids(&c, &slow, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    let started = std::time::Instant::now();
    work(&c.app, "w1").await;
    let r = run(&c, &ids[0]).await;
    assert_eq!(r["status"], "FAILED", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(error.contains("did not answer page 1 of MERCH_009 for 2026-11-30 within 2 seconds (3 tries)"), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "gave up in time");

    // A page that is not one: FAILED in words, nothing written.
    let uploads = count(&pool, "SELECT count(*) FROM uploaded_files").await;
    let bad = create(&c, pg_body("Bad PG", &format!("{base}/bad"), "k", &["MERCH_009"])).await;
    let ids = run_ids(&c, &bad, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    work(&c.app, "w1").await;
    let r = run(&c, &ids[0]).await;
    assert_eq!(r["status"], "FAILED", "{r}");
    assert!(
        r["error"].as_str().unwrap().contains("page 1 of MERCH_009 for 2026-11-30 is not a transaction page"),
        "{r}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM uploaded_files").await, uploads, "nothing written");
    assert_eq!(count(&pool, "SELECT count(*) FROM transactions").await, 1, "only the flaky server's one");
    // A page holding another merchant's transaction: refused, nothing written.
    let other = create(&c, pg_body("Other PG", &format!("{base}/other"), "k", &["MERCH_009"])).await;
    let ids = run_ids(&c, &other, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    work(&c.app, "w1").await;
    let r = run(&c, &ids[0]).await;
    assert!(r["error"].as_str().unwrap().contains("holds transaction FLAKY-1 of merchant SOMEONE_ELSE"), "{r}");
    assert_eq!(count(&pool, "SELECT count(*) FROM uploaded_files").await, uploads, "nothing written");
    // The failed job shows on the queue with the run's reason.
    let last_error: String = sqlx::query_scalar(
        "SELECT last_error FROM jobs WHERE kind = 'connector_run' AND status = 'failed' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(last_error.contains("holds transaction FLAKY-1 of merchant SOMEONE_ELSE"), "{last_error}");
}

/// A bank statement in the AXIS SFTP settlement layout (migrated with the schema): `n` credits.
fn statement(day: &str, n: usize, salt: &str) -> Vec<u8> {
    let mut text = String::from("TXNID,CREDIT_AMT,NET_CR_AMT,POST_DATE,VALUE_DATE,UTR,RRN,REMARKS\n");
    for i in 1..=n {
        text.push_str(&format!(
            "AX{salt}{i:06},{}.50,{}.00,{day},{day},UTR{salt}{i:06},RRN{i:06},NEFT CR\n",
            100 + i,
            99 + i
        ));
    }
    text.into_bytes()
}

fn sftp_body(name: &str, server: &sshd::Sshd, secrets: Value, sidecar: bool) -> Value {
    json!({
        "name": name, "type": "BANK_SFTP", "schedule": "30 6 * * *", "autoRecon": true,
        "config": {
            "host": "127.0.0.1", "port": server.port, "username": sshd::USER, "directory": "/outgoing",
            "pattern": "AXIS_SETTLE_{YYYY-MM-DD}_*.csv", "sidecar": sidecar, "layout": "AXIS SFTP settlement"
        },
        "secrets": secrets
    })
}

/// A test of the connector, which pins the server's host key (a run refuses until one is pinned).
async fn pin(c: &Ctx, id: &str) {
    let tested = act(c, id, json!({ "action": "test" })).await.json();
    assert!(tested["hostKeyFingerprint"].as_str().is_some_and(|f| f.starts_with("SHA256:")), "{tested}");
}

async fn run_once(c: &Ctx, id: &str, day: &str) -> Value {
    let ids = run_ids(c, id, json!({ "action": "run", "cycleDate": day })).await;
    work(&c.app, "w1").await;
    run(c, &ids[0]).await
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_bank_sftp_connector_takes_new_files_once_against_a_real_sshd(pool: PgPool) {
    let c = ctx(&pool, true).await;
    let mut server = sshd::Sshd::start();
    let id = create(&c, sftp_body("AXIS over SFTP", &server, json!({ "password": sshd::password() }), true)).await;

    // A run before any test refuses: only a test pins the server's key.
    server.put_with_sidecar("AXIS_SETTLE_2026-11-26_01.csv", &statement("26-11-2026", 1, "Z"));
    let r = run_once(&c, &id, "2026-11-26").await;
    assert_eq!(r["status"], "FAILED");
    assert!(r["error"].as_str().unwrap().contains("test it first"), "{r}");
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines").await, 0);
    c.app.clock.advance(chrono::Duration::minutes(1));

    // The first test pins the host key (audited) and shows what a run would take.
    server.put_with_sidecar("AXIS_SETTLE_2026-11-30_01.csv", &statement("30-11-2026", 5, "A"));
    server.put("unrelated.csv", b"x");
    let tested = act(&c, &id, json!({ "action": "test", "cycleDate": "2026-11-30" })).await.json();
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(
        tested["files"],
        json!([{ "name": "AXIS_SETTLE_2026-11-30_01.csv", "outcome": "NEW",
        "sha256": tested["files"][0]["sha256"], "rows": 0, "rowErrors": 0, "reason": tested["files"][0]["reason"] }])
    );
    let pinned = tested["hostKeyFingerprint"].as_str().unwrap().to_string();
    assert!(pinned.starts_with("SHA256:"), "{pinned}");
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'connector.host_key.pin'").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines").await, 0, "a test takes nothing");

    // A run takes the new file; the next skips it.
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(
        (r["filesSeen"].as_i64(), r["filesIngested"].as_i64(), r["rowsIngested"].as_i64()),
        (Some(1), Some(1), Some(5))
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines WHERE cycle_date = '2026-11-30'").await, 5);
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["files"][0]["outcome"], "SEEN", "{r}");
    assert_eq!(r["filesIngested"], 0);

    // The same name with new content: taken (its new lines only; a statement's lines never change).
    server.put_with_sidecar("AXIS_SETTLE_2026-11-30_01.csv", &statement("30-11-2026", 7, "A"));
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["files"][0]["outcome"], "INGESTED", "{r}");
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines WHERE cycle_date = '2026-11-30'").await, 7);

    // A sidecar that does not match: refused whole, named, nothing written.
    let lines = count(&pool, "SELECT count(*) FROM bank_statement_lines").await;
    let uploads = count(&pool, "SELECT count(*) FROM uploaded_files").await;
    server.put("AXIS_SETTLE_2026-11-29_01.csv", &statement("29-11-2026", 4, "B"));
    server.put(
        "AXIS_SETTLE_2026-11-29_01.csv.sha256",
        format!("{}  AXIS_SETTLE_2026-11-29_01.csv\n", "0".repeat(64)).as_bytes(),
    );
    let r = run_once(&c, &id, "2026-11-29").await;
    assert_eq!(r["status"], "FAILED", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(error.contains("AXIS_SETTLE_2026-11-29_01.csv does not match its checksum"), "{error}");
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines").await, lines, "nothing written");
    assert_eq!(count(&pool, "SELECT count(*) FROM uploaded_files").await, uploads, "no upload recorded");

    // No file for the date: FAILED, saying which pattern and where.
    let r = run_once(&c, &id, "2026-11-28").await;
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "no file matching AXIS_SETTLE_2026-11-28_*.csv in /outgoing for 2026-11-28");

    // The bank's server comes back with another host key: refused, said so, nothing taken.
    server.restart_with_new_host_key();
    server.put_with_sidecar("AXIS_SETTLE_2026-11-27_01.csv", &statement("27-11-2026", 2, "C"));
    let r = run_once(&c, &id, "2026-11-27").await;
    assert_eq!(r["status"], "FAILED");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("host key changed") && error.contains(&pinned) && error.contains("Refused to connect"),
        "{error}"
    );
    let test = act(&c, &id, json!({ "action": "test", "cycleDate": "2026-11-27" })).await.json();
    assert_eq!(test["ok"], false, "a test is refused too");
    assert_eq!(test["hostKeyFingerprint"], pinned.as_str(), "the pin stays");
    // The admin who confirmed the new key with the bank forgets the pin; the next test pins it.
    let forget = json_request(
        &c.app,
        "POST",
        &format!("/api/ingest/v1/connectors/{id}/actions"),
        &c.admin,
        json!({ "action": "forgetHostKey" }),
    )
    .await;
    assert_eq!(forget.status, StatusCode::OK, "{}", forget.body);
    let test = act(&c, &id, json!({ "action": "test", "cycleDate": "2026-11-27" })).await.json();
    assert_eq!(test["ok"], true, "{test}");
    assert_ne!(test["hostKeyFingerprint"], pinned.as_str());
    assert_eq!(run_once(&c, &id, "2026-11-27").await["status"], "SUCCEEDED");

    // The bank changes the password before the connector is told: FAILED with the reason.
    let card = c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.admin)).await.json();
    let mut body = sftp_body("AXIS over SFTP", &server, json!({ "password": "not-the-password" }), true);
    body["version"] = card["updatedAt"].clone();
    let edited = json_request(&c.app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &c.admin, body).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let r = run_once(&c, &id, "2026-11-27").await;
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], format!("authentication failed for user {}", sshd::USER));

    // A private key signs in as well.
    let keyed = create(&c, sftp_body("AXIS by key", &server, json!({ "privateKey": server.client_key }), false)).await;
    pin(&c, &keyed).await;
    let r = run_once(&c, &keyed, "2026-11-27").await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["files"][0]["outcome"], "SEEN", "the same file another connector took: stored once");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn with_the_feature_off_an_sftp_run_refuses_and_says_why(pool: PgPool) {
    let c = ctx(&pool, false).await;
    let server = sshd::Sshd::start();
    server.put_with_sidecar("AXIS_SETTLE_2026-11-30_01.csv", &statement("30-11-2026", 3, "F"));
    let id = create(&c, sftp_body("AXIS off", &server, json!({ "password": sshd::password() }), true)).await;
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "FAILED");
    assert!(r["error"].as_str().unwrap().contains("FEATURE_BANK_SFTP_INGESTION"), "{r}");
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines").await, 0);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_bank_file_with_the_pg_side_in_queues_the_cycles_recon_run(pool: PgPool) {
    let c = ctx(&pool, true).await;
    let server = sshd::Sshd::start();
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_001', 'M1', 'M1')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, currency, txn_at, cycle_date, payment_method, utr)
         VALUES ('T-1', 'MERCH_001', 10150, 'INR', '2026-11-30T05:00:00Z', '2026-11-30', 'UPI', 'UTRR000001')",
    )
    .execute(&pool)
    .await
    .unwrap();
    server.put_with_sidecar("AXIS_SETTLE_2026-11-30_01.csv", &statement("30-11-2026", 1, "R"));
    let id = create(&c, sftp_body("AXIS recon", &server, json!({ "password": sshd::password() }), true)).await;
    pin(&c, &id).await;
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    let recon = r["reconRunId"].as_str().expect("a recon run was queued").to_string();
    // `work` ran it too: the queue took the recon job after the connector's.
    let status: String = sqlx::query_scalar("SELECT status FROM recon_runs WHERE id = $1::uuid")
        .bind(&recon)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "completed");
    // No PG side for the 29th: a bank file alone queues nothing.
    server.put_with_sidecar("AXIS_SETTLE_2026-11-29_01.csv", &statement("29-11-2026", 1, "S"));
    let r = run_once(&c, &id, "2026-11-29").await;
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["reconRunId"], Value::Null);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_backfill_runs_its_dates_in_order_and_a_schedule_fires_once_across_instances(pool: PgPool) {
    let c = ctx(&pool, true).await;
    let server = sshd::Sshd::start();
    for (day, file) in [("28-11-2026", "28"), ("29-11-2026", "29"), ("30-11-2026", "30")] {
        server.put_with_sidecar(&format!("AXIS_SETTLE_2026-11-{file}_01.csv"), &statement(day, 2, file));
    }
    let id = create(&c, sftp_body("AXIS backfill", &server, json!({ "password": sshd::password() }), true)).await;
    pin(&c, &id).await;
    let ids = run_ids(&c, &id, json!({ "action": "backfill", "from": "2026-11-28", "to": "2026-11-30" })).await;
    assert_eq!(ids.len(), 3);
    work(&c.app, "w1").await;
    for (i, run_id) in ids.iter().enumerate() {
        let r = run(&c, run_id).await;
        assert_eq!(r["status"], "SUCCEEDED", "{r}");
        assert_eq!(r["type"], "BACKFILL");
        assert_eq!(r["cycleDate"], format!("2026-11-{}", 28 + i));
    }
    // Taken in date order: each file is remembered (by the database's clock) as its run stores it.
    let order: Vec<String> =
        sqlx::query_scalar("SELECT file_name FROM connector_files ORDER BY seen_at").fetch_all(&pool).await.unwrap();
    assert_eq!(
        order,
        ["AXIS_SETTLE_2026-11-28_01.csv", "AXIS_SETTLE_2026-11-29_01.csv", "AXIS_SETTLE_2026-11-30_01.csv"]
    );
    let history = c.app.get(&format!("/api/ingest/v1/connectors/{id}/runs"), Some(&c.ops)).await.json();
    let dates: Vec<&str> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "BACKFILL")
        .map(|r| r["cycleDate"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-11-30", "2026-11-29", "2026-11-28"], "newest first, then by date");
    let far = act(&c, &id, json!({ "action": "backfill", "from": "2020-01-01", "to": "2020-01-05" })).await;
    assert_eq!(far.status, StatusCode::BAD_REQUEST, "{}", far.body);
    let bad = act(&c, &id, json!({ "action": "backfill", "from": "2026-11-30", "to": "2026-11-28" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The schedule (06:30 IST), read from the app's clock. Two instances tick at the same moments.
    use settlepaisa_ops::features::connectors::runs;
    let tz = chrono_tz::Asia::Kolkata;
    let tick = |at: chrono::DateTime<Utc>| {
        let pool = pool.clone();
        async move { runs::enqueue_due(&pool, at).await.unwrap() }
    };
    let next_run_at = || async {
        sqlx::query_scalar::<_, Option<chrono::DateTime<Utc>>>("SELECT next_run_at FROM connectors WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let start = c.app.state.clock.now();
    let first = runs::next_fire("30 6 * * *", tz, start).unwrap();
    assert_eq!(next_run_at().await, Some(first), "set when the connector was made");
    let card = c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.ops)).await.json();
    assert_eq!(card["nextRuns"][0], json!(first), "the card shows the time the scheduler fires at");
    assert_eq!(tick(first - chrono::Duration::hours(1)).await, 0, "not yet");
    let fire = first + chrono::Duration::seconds(5);
    let (a, b) = tokio::join!(tick(fire), tick(fire));
    assert_eq!(a + b, 1, "one run for the fire time, whichever instance queued it");
    assert_eq!(tick(fire).await, 0, "not again");
    let cycle = first.with_timezone(&tz).date_naive() - chrono::Duration::days(1);
    let scheduled: Vec<(String, NaiveDate)> =
        sqlx::query_as("SELECT status, cycle_date FROM connector_runs WHERE run_type = 'SCHEDULED'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(scheduled, vec![("QUEUED".to_string(), cycle)], "for the day before the fire date");
    // The bank's file is late: the first try fails, and the run waits QUEUED for the next one,
    // saying why; it is still the live run of its date, and not a failure of the connector.
    assert_eq!(work(&c.app, "instance-1").await, 1);
    let waiting = c.app.get(&format!("/api/ingest/v1/connectors/{id}/runs"), Some(&c.ops)).await.json();
    let waiting = waiting["runs"].as_array().unwrap().iter().find(|r| r["type"] == "SCHEDULED").unwrap().clone();
    assert_eq!(waiting["status"], "QUEUED", "{waiting}");
    let note = waiting["note"].as_str().unwrap();
    assert!(note.starts_with(&format!("Try 1 of 6 failed: no file matching AXIS_SETTLE_{cycle}_*.csv")), "{note}");
    let beside = act(&c, &id, json!({ "action": "run", "cycleDate": cycle.to_string() })).await;
    assert_eq!(beside.status, StatusCode::CONFLICT, "{}", beside.body);
    let card = c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.ops)).await.json();
    assert_eq!(card["health"], "OK", "{card}");
    let day = cycle.format("%d-%m-%Y").to_string();
    server.put_with_sidecar(&format!("AXIS_SETTLE_{cycle}_01.csv"), &statement(&day, 2, "SCH"));
    // The queue's back-off has passed.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'connector_run' AND status = 'queued'")
        .execute(&pool)
        .await
        .unwrap();
    // Two workers: the run is done once.
    let (w1, w2) = tokio::join!(work(&c.app, "instance-1"), work(&c.app, "instance-2"));
    assert_eq!(w1 + w2, 1);
    let done: String = sqlx::query_scalar("SELECT status FROM connector_runs WHERE run_type = 'SCHEDULED'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(done, "SUCCEEDED");

    // Paused: the next fire time passes and nothing is queued; resumed two days later, the time
    // missed does not fire, the next one does.
    let paused = act(&c, &id, json!({ "action": "pause" })).await;
    assert_eq!(paused.status, StatusCode::OK);
    let missed = first + chrono::Duration::days(1) + chrono::Duration::seconds(5);
    assert_eq!(tick(missed).await, 0, "a paused connector never fires");
    c.app.clock.advance(chrono::Duration::days(2));
    // Two days on, the sessions have expired: sign in again.
    let (ops, admin) = (c.app.session_for(OPS).await, c.app.session_for(ADMIN).await);
    let c = Ctx { app: c.app, ops, admin };
    let resumed = act(&c, &id, json!({ "action": "resume" })).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.body);
    let after_resume = runs::next_fire("30 6 * * *", tz, c.app.state.clock.now()).unwrap();
    assert_eq!(next_run_at().await, Some(after_resume));
    assert_eq!(tick(missed).await, 0, "resuming does not fire what was missed");
    assert_eq!(tick(after_resume + chrono::Duration::seconds(5)).await, 1, "the next time does");

    // An edit of the schedule (here: 08:00 in UTC) sets the next time afresh.
    let mut body = sftp_body("AXIS backfill", &server, json!({ "password": sshd::password() }), true);
    body["schedule"] = json!("0 8 * * *");
    body["timezone"] = json!("UTC");
    body["version"] =
        c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.ops)).await.json()["updatedAt"].clone();
    let edited = json_request(&c.app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &c.admin, body).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let expected = runs::next_fire("0 8 * * *", chrono_tz::UTC, c.app.state.clock.now()).unwrap();
    assert_eq!(next_run_at().await, Some(expected));
    assert_eq!(edited.json()["nextRuns"][0], json!(expected));
}

use chrono::Utc;

/// A TCP relay between the connector and sshd that can cut every connection once `cut_after`
/// bytes have come from the server (0: never), as a network that drops mid-download.
async fn relay(target: u16, cut_after: Arc<AtomicUsize>) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let server = tokio::net::TcpStream::connect(("127.0.0.1", target)).await.unwrap();
            let limit = cut_after.load(Ordering::SeqCst);
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut sent = 0usize;
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if limit > 0 && sent + n > limit {
                        break;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                // Both ways closed at once: the connection is gone.
                up.abort();
                let _ = cw.shutdown().await;
            });
        }
    });
    port
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_connection_dropped_mid_download_fails_cleanly_and_the_next_run_takes_the_file(pool: PgPool) {
    let c = ctx(&pool, true).await;
    let server = sshd::Sshd::start();
    // A 200,000-line statement (about 13 MB), streamed: never held whole.
    let big = statement("30-11-2026", 200_000, "D");
    assert!(big.len() > 10_000_000);
    server.put_with_sidecar("AXIS_SETTLE_2026-11-30_01.csv", &big);
    // Streamed: read through the connector's own download, no chunk is larger than 256 KiB, and a
    // limit stops the file as it passes it.
    {
        use settlepaisa_ops::features::connectors::sftp;
        use settlepaisa_ops::features::recon::store::Body;
        let password = settlepaisa_ops::secrets::Plain::new(sshd::password().to_string());
        let target = sftp::Target {
            host: "127.0.0.1",
            addr: ([127, 0, 0, 1], server.port).into(),
            username: sshd::USER,
            password: Some(&password),
            private_key: None,
            pinned: None,
        };
        let session = sftp::connect(&target).await.unwrap();
        let path = "/outgoing/AXIS_SETTLE_2026-11-30_01.csv";
        let mut download = session.open(path, sftp::Limits { any: u64::MAX, workbook: 1 }).await.unwrap();
        let (mut total, mut largest) = (0, 0);
        while let Some(chunk) = download.next_chunk().await.unwrap() {
            total += chunk.len();
            largest = largest.max(chunk.len());
        }
        assert_eq!(total, big.len());
        assert!(largest <= 256 * 1024, "{largest}");
        let mut capped = session.open(path, sftp::Limits { any: 1_000_000, workbook: 1 }).await.unwrap();
        let refused = loop {
            match capped.next_chunk().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("read past the limit"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(
            refused.starts_with(&format!("{path} is larger than")) && refused.contains("refused whole"),
            "{refused}"
        );
        session.close().await;
    }
    let cut = Arc::new(AtomicUsize::new(3_000_000));
    let port = relay(server.port, cut.clone()).await;
    let mut body = sftp_body("AXIS flaky network", &server, json!({ "password": sshd::password() }), true);
    body["config"]["port"] = json!(port);
    let id = create(&c, body).await;
    pin(&c, &id).await;

    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "FAILED", "{r}");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.starts_with("the connection broke while downloading /outgoing/AXIS_SETTLE_2026-11-30_01.csv (after "),
        "the run names the file and what happened: {error}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM bank_statement_lines").await, 0, "nothing of it written");
    assert_eq!(count(&pool, "SELECT count(*) FROM uploaded_files").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM connector_files").await, 0, "not remembered as seen");

    cut.store(0, Ordering::SeqCst);
    c.app.clock.advance(chrono::Duration::minutes(1));
    let r = run_once(&c, &id, "2026-11-30").await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["rowsIngested"], 200_000);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM bank_statement_lines WHERE cycle_date = '2026-11-30'").await,
        200_000
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_jobs_console_retries_a_failed_run_and_cancels_a_queued_one(pool: PgPool) {
    let c = ctx(&pool, false).await;
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_009', 'M9', 'M9')")
        .execute(&pool)
        .await
        .unwrap();
    let (base, hits) = faulty_api().await;
    // Down for three requests: the run's three tries fail, and so does its job.
    let id = create(&c, pg_body("Down PG", &format!("{base}/down3"), "k", &["MERCH_009"])).await;
    let ids = run_ids(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-30" })).await;
    work(&c.app, "w1").await;
    assert_eq!(run(&c, &ids[0]).await["status"], "FAILED");
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    let listed = c.app.get("/api/ingest/v1/jobs?status=failed", Some(&c.admin)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let failed = listed.json();
    assert_eq!(failed["counts"]["failed"], 1, "{failed}");
    let job = &failed["jobs"][0];
    assert_eq!(
        (job["kind"].as_str(), job["attempts"].as_i64(), job["maxAttempts"].as_i64()),
        (Some("connector_run"), Some(1), Some(1))
    );
    assert!(job["lastError"].as_str().unwrap().contains("503"), "{job}");
    let job_id = job["id"].as_i64().unwrap();
    let actions = format!("/api/ingest/v1/jobs/{job_id}/actions");

    // Other roles neither see nor touch the queue.
    for who in [&c.ops] {
        assert_eq!(c.app.get("/api/ingest/v1/jobs", Some(who)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            json_request(&c.app, "POST", &actions, who, json!({ "action": "retry" })).await.status,
            StatusCode::FORBIDDEN
        );
        let page = c.app.get("/connectors/jobs", Some(who)).await.body;
        assert!(!page.contains("connector_run") && page.contains("platform admins"), "ops sees no jobs");
    }
    assert_eq!(c.app.get("/api/ingest/v1/jobs?status=lost", Some(&c.admin)).await.status, StatusCode::BAD_REQUEST);
    let cancel_failed = json_request(&c.app, "POST", &actions, &c.admin, json!({ "action": "cancel" })).await;
    assert_eq!(cancel_failed.status, StatusCode::CONFLICT, "only a queued job is cancelled");
    // Finance's settlement batching is not the console's to run again.
    let batching: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (kind, status, attempts, last_error) VALUES ('settlement_batching', 'failed', 1, 'x') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let refused = json_request(
        &c.app,
        "POST",
        &format!("/api/ingest/v1/jobs/{batching}/actions"),
        &c.admin,
        json!({ "action": "retry" }),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("start it again from its own page"), "{}", refused.body);

    // Retry: one more attempt; the run opens again, the server is up, the run succeeds.
    let retried = json_request(&c.app, "POST", &actions, &c.admin, json!({ "action": "retry" })).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!(retried.json()["status"], "queued");
    assert_eq!(run(&c, &ids[0]).await["status"], "QUEUED");
    work(&c.app, "w1").await;
    let r = run(&c, &ids[0]).await;
    assert_eq!(r["status"], "SUCCEEDED", "{r}");
    assert_eq!(r["rowsIngested"], 1);
    let again = json_request(&c.app, "POST", &actions, &c.admin, json!({ "action": "retry" })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a succeeded job is not retried");

    // Cancel a queued run: it never runs, and its run says who cancelled it.
    c.app.clock.advance(chrono::Duration::minutes(1));
    let queued = run_ids(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-29" })).await;
    let job_id: i64 = sqlx::query_scalar("SELECT job_id FROM connector_runs WHERE id = $1::uuid")
        .bind(&queued[0])
        .fetch_one(&pool)
        .await
        .unwrap();
    let cancelled = json_request(
        &c.app,
        "POST",
        &format!("/api/ingest/v1/jobs/{job_id}/actions"),
        &c.admin,
        json!({ "action": "cancel" }),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(work(&c.app, "w1").await, 0, "nothing left to run");
    let r = run(&c, &queued[0]).await;
    assert_eq!(r["status"], "CANCELLED");
    assert_eq!(r["error"], format!("Cancelled by {ADMIN} on the jobs console."));
    let card = c.app.get(&format!("/api/ingest/v1/connectors/{id}"), Some(&c.ops)).await.json();
    assert_eq!(card["health"], "OK", "a cancelled run is not the connector failing: {card}");
    // The date is free again: a new run of it is taken.
    let fresh = act(&c, &id, json!({ "action": "run", "cycleDate": "2026-11-29" })).await;
    assert_eq!(fresh.status, StatusCode::ACCEPTED, "{}", fresh.body);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action IN ('job.retry', 'job.cancel')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 2);

    // The page lists the jobs with their buttons, and works without JavaScript.
    let page = c.app.get("/connectors/jobs", Some(&c.admin)).await.body;
    assert!(page.contains("connector_run") && page.contains(">Cancel<"), "{page}");
    let fresh_job: i64 =
        sqlx::query_scalar("SELECT job_id FROM connector_runs WHERE status = 'QUEUED'").fetch_one(&pool).await.unwrap();
    let form = format!("id={fresh_job}&action=cancel");
    let reply = c.app.send(common::plain_form_post("/sfn/jobs/act", form, &c.admin, "/connectors/jobs")).await;
    assert!(reply.status.is_redirection(), "{} {}", reply.status, reply.body);
    let status: String =
        sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1").bind(fresh_job).fetch_one(&pool).await.unwrap();
    assert_eq!(status, "cancelled");
    assert!(reply.location().unwrap().starts_with("/connectors/jobs?notice=Job"), "{:?}", reply.location());
}
