//! Connectors (issue 14, first part): configuration through the API and the page's forms, secrets
//! sealed at rest and never shown, the role matrix, and refusals in words. The runs are in
//! `connector_runs.rs`.

mod common;

use axum::http::StatusCode;
use common::{demo_app, demo_cookie, json_request, plain_form_post, server_fn_form, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

const PASSWORD: &str = "axis-Recon-pa55word";
const API_KEY: &str = "pg-sandbox-key-0042";

fn sftp_body(name: &str) -> Value {
    json!({
        "name": name,
        "type": "BANK_SFTP",
        "schedule": "30 6 * * *",
        "config": {
            "host": "127.0.0.1", "port": 2222, "username": "axis_recon", "directory": "/outgoing",
            "pattern": "AXIS_SETTLE_{YYYY-MM-DD}_*.csv", "sidecar": true, "layout": "axis sftp settlement"
        },
        "secrets": { "password": PASSWORD }
    })
}

fn api_body(name: &str) -> Value {
    json!({
        "name": name,
        "type": "PG_API",
        "schedule": "0 * * * *",
        "timezone": "Asia/Kolkata",
        "autoRecon": false,
        "config": { "baseUrl": "http://127.0.0.1:3000/api/pg", "merchantCodes": ["MER001"], "daysBack": 2 },
        "secrets": { "apiKey": API_KEY }
    })
}

/// Every byte the database holds for connectors, as text, to look for a secret in.
async fn stored_bytes(pool: &PgPool) -> String {
    sqlx::query_scalar::<_, String>(
        "SELECT coalesce(string_agg(t, ' '), '') FROM (
             SELECT row_to_json(c)::text AS t FROM connectors c
             UNION ALL SELECT encode(nonce, 'escape') || encode(ciphertext, 'escape') || row_to_json(s)::text FROM connector_secrets s
             UNION ALL SELECT row_to_json(a)::text FROM audit_log a) x",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_admin_creates_connectors_whose_secrets_are_sealed_and_never_shown(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;

    let created = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, sftp_body("AXIS drop")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let c = created.json();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["type"], "BANK_SFTP");
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["config"]["host"], "127.0.0.1");
    assert_eq!(c["config"]["port"], 2222);
    assert_eq!(c["config"]["layout"], "AXIS SFTP settlement", "the layout by its stored name");
    assert_eq!(c["timezone"], "Asia/Kolkata");
    assert_eq!(c["autoRecon"], true);
    assert_eq!(c["health"], "FAILING", "no run yet");
    assert_eq!(c["nextRuns"].as_array().unwrap().len(), 5);
    let secrets = c["secrets"].as_array().unwrap();
    assert_eq!(secrets[0]["name"], "password");
    assert!(secrets[0]["setAt"].is_string());
    assert!(secrets[1]["setAt"].is_null(), "no private key");

    let api = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, api_body("PG sandbox")).await;
    assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
    assert_eq!(api.json()["config"]["merchantCodes"], json!(["MER001"]));
    assert_eq!(api.json()["autoRecon"], false);

    // The database holds the ciphertext only, bound to its connector: it opens with the server's
    // key for that place and nowhere else.
    let all = stored_bytes(&pool).await;
    assert!(!all.contains(PASSWORD) && !all.contains(API_KEY), "no secret in the clear");
    let (nonce, ciphertext): (Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT nonce, ciphertext FROM connector_secrets WHERE connector_id = $1::uuid AND name = 'password'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(nonce.len(), 12);
    assert_eq!(ciphertext.len(), PASSWORD.len() + 16);
    let sealed = settlepaisa_ops::secrets::Sealed { nonce, ciphertext };
    let key = app.state.config.secrets_key.as_ref().unwrap();
    assert_eq!(key.open(&format!("connector:{id}:password"), &sealed).unwrap().expose(), PASSWORD);
    assert!(key.open(&format!("connector:{id}:privateKey"), &sealed).is_err());

    // Neither the API nor the page ever carries a secret, for any role.
    for email in ["admin@settlepaisa.test", "ops@settlepaisa.test", "auditor@settlepaisa.test"] {
        let cookie = demo_cookie(&app, email).await;
        for path in
            ["/api/ingest/v1/connectors".to_string(), format!("/api/ingest/v1/connectors/{id}"), "/connectors".into()]
        {
            let reply = app.get(&path, Some(&cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "{email} {path}");
            assert!(!reply.body.contains(PASSWORD) && !reply.body.contains(API_KEY), "{email} {path}");
        }
    }
    let page = app.get("/connectors", Some(&admin)).await.body;
    assert!(
        page.contains("AXIS drop") && page.contains("PG sandbox") && page.contains("AXIS SFTP"),
        "the demo's and the new ones"
    );
    assert!(page.contains("•••• set on"), "a set secret says so");
    assert!(
        page.contains("from the environment (AXIS_SFTP_PASSWORD)"),
        "the demo's connector reads its password from the environment"
    );
    assert!(page.contains("Recent runs of AXIS SFTP"), "the demo connector's run history");
    assert!(page.contains("No runs yet."), "a new connector has none");

    // The audit rows name the secret set, never its value.
    let details: Vec<String> =
        sqlx::query_scalar("SELECT coalesce(details, '') FROM audit_log WHERE action = 'connector.create' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(details, ["secret set: password", "secret set: apiKey"]);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_edit_keeps_secrets_left_blank_and_replaces_those_given(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let c = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, sftp_body("AXIS drop")).await.json();
    let id = c["id"].as_str().unwrap().to_string();
    let set_at = |v: &Value, i: usize| v["secrets"][i]["setAt"].clone();

    // No secret given: the password stays, the other settings change (a minute later).
    app.clock.advance(chrono::Duration::minutes(1));
    let mut edit = sftp_body("AXIS drop 2");
    edit["secrets"] = json!({});
    edit["config"]["directory"] = json!("/outgoing/v2");
    edit["version"] = c["updatedAt"].clone();
    let saved = json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, edit.clone()).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let s = saved.json();
    assert_eq!(s["name"], "AXIS drop 2");
    assert_eq!(s["config"]["directory"], "/outgoing/v2");
    assert_eq!(set_at(&s, 0), set_at(&c, 0), "the password is kept");
    let before: Value =
        sqlx::query_scalar("SELECT before FROM audit_log WHERE action = 'connector.update' ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(before["config"]["directory"], "/outgoing", "the audit row keeps the settings before");
    assert!(before.get("hostKeyFingerprint").is_some(), "and the pinned host key it had");
    assert!(!before.to_string().contains(PASSWORD));

    // A new server without the password again is refused: a stored secret never goes elsewhere.
    let mut elsewhere = sftp_body("AXIS drop 2");
    elsewhere["secrets"] = json!({});
    elsewhere["config"]["host"] = json!("sftp.attacker.example");
    elsewhere["version"] = s["updatedAt"].clone();
    let moved = json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, elsewhere.clone()).await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST, "{}", moved.body);
    assert!(moved.body.contains("give the password or private key again"), "{}", moved.body);
    let unversioned =
        json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, sftp_body("AXIS drop 2")).await;
    assert_eq!(unversioned.status, StatusCode::BAD_REQUEST, "an API edit names its version");

    // The same version again is stale now: refused, nothing written.
    let stale = json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, edit).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body.contains("since you opened it"));

    // A private key replaces the password.
    app.clock.advance(chrono::Duration::minutes(5));
    let mut key = sftp_body("AXIS drop 2");
    key["secrets"] =
        json!({ "privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n" });
    key["version"] = s["updatedAt"].clone();
    let replaced = json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, key).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    let r = replaced.json();
    assert!(set_at(&r, 0).is_null(), "the password is gone");
    assert!(set_at(&r, 1).is_string(), "the key is set");
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM connector_secrets WHERE connector_id = $1::uuid")
        .bind(&id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(names, ["privateKey"]);

    // The type stays.
    let mut other = api_body("AXIS drop 2");
    other["version"] = Value::Null;
    let refused = json_request(&app, "PUT", &format!("/api/ingest/v1/connectors/{id}"), &admin, other).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("keeps its type"), "{}", refused.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bad_input_is_refused_with_every_reason_and_nothing_written(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let count =
        || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM connectors").fetch_one(&pool).await.unwrap() };
    let before = count().await;
    let cases = [
        (json!({ "schedule": "every day" }), "is not a schedule", StatusCode::BAD_REQUEST),
        (json!({ "config": { "host": "bad host;" } }), "is not a host", StatusCode::BAD_REQUEST),
        (json!({ "config": { "host": "169.254.169.254" } }), "link-local", StatusCode::BAD_REQUEST),
        (json!({ "config": { "pattern": "AXIS_*.csv" } }), "date token", StatusCode::BAD_REQUEST),
        (json!({ "config": { "layout": "no such layout" } }), "no active bank layout", StatusCode::BAD_REQUEST),
        (json!({ "secrets": {} }), "password or a private key", StatusCode::BAD_REQUEST),
        (json!({ "secrets": { "password": "" } }), "password is empty", StatusCode::BAD_REQUEST),
        (json!({ "config": { "port": 70000 } }), "not valid JSON for this call", StatusCode::BAD_REQUEST),
        (json!({ "name": "AXIS SFTP" }), "exists already", StatusCode::CONFLICT),
    ];
    for (patch, needle, status) in cases {
        let mut body = sftp_body("Fresh");
        for (k, v) in patch.as_object().unwrap() {
            if let (Some(target), Some(fields)) = (body[k].as_object_mut(), v.as_object()) {
                if fields.is_empty() {
                    target.clear();
                }
                for (fk, fv) in fields {
                    target.insert(fk.clone(), fv.clone());
                }
            } else {
                body[k] = v.clone();
            }
        }
        let reply = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, body).await;
        assert_eq!(reply.status, status, "{needle}: {}", reply.body);
        assert!(reply.body.contains(needle), "{needle:?} in {}", reply.body);
    }
    let mut url = api_body("Fresh");
    url["config"]["baseUrl"] = json!("https://user:pw@pg.example");
    let reply = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, url).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("not in the URL"), "{}", reply.body);
    assert_eq!(count().await, before, "nothing written");
    assert!(!stored_bytes(&pool).await.contains(PASSWORD), "a refused secret is not kept anywhere");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_role_matrix_admin_configures_ops_operates_others_read(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let id = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, sftp_body("AXIS drop")).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/ingest/v1/connectors/{id}");
    let actions = format!("{path}/actions");
    let audit_rows = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log WHERE target_type = 'connector'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    for email in
        ["ops@settlepaisa.test", "finance@settlepaisa.test", "compliance@settlepaisa.test", "auditor@settlepaisa.test"]
    {
        let cookie = demo_cookie(&app, email).await;
        let before = audit_rows().await;
        assert_eq!(app.get("/api/ingest/v1/connectors", Some(&cookie)).await.status, StatusCode::OK, "{email} reads");
        assert_eq!(
            json_request(&app, "POST", "/api/ingest/v1/connectors", &cookie, sftp_body("X")).await.status,
            StatusCode::FORBIDDEN,
            "{email} create"
        );
        assert_eq!(
            json_request(&app, "PUT", &path, &cookie, sftp_body("X")).await.status,
            StatusCode::FORBIDDEN,
            "{email} edit"
        );
        assert_eq!(
            json_request(&app, "DELETE", &path, &cookie, json!({})).await.status,
            StatusCode::FORBIDDEN,
            "{email} delete"
        );
        let page = app.get("/connectors", Some(&cookie)).await.body;
        assert!(!page.contains("New connector") && !page.contains("Edit AXIS drop"), "{email} sees no admin form");
        let ops = email.starts_with("ops@");
        let pause = json_request(&app, "POST", &actions, &cookie, json!({ "action": "pause" })).await;
        let test = json_request(&app, "POST", &actions, &cookie, json!({ "action": "test" })).await;
        if ops {
            assert_eq!(pause.status, StatusCode::OK, "{}", pause.body);
            assert_eq!(pause.json()["status"], "PAUSED");
            assert_eq!(pause.json()["nextRuns"], json!([]), "a paused connector fires no run");
            assert_eq!(pause.json()["health"], "FAILING");
            let again = json_request(&app, "POST", &actions, &cookie, json!({ "action": "pause" })).await;
            assert_eq!(again.status, StatusCode::CONFLICT);
            let resumed = json_request(&app, "POST", &actions, &cookie, json!({ "action": "resume" })).await;
            assert_eq!(resumed.json()["status"], "ACTIVE");
            // Nothing listens on the connector's port: the test answers, and says why it failed.
            assert_eq!(test.status, StatusCode::OK, "{}", test.body);
            assert_eq!(test.json()["ok"], false);
            assert!(
                test.json()["error"].as_str().unwrap().contains("could not connect to 127.0.0.1:2222"),
                "{}",
                test.body
            );
            assert!(page.contains(">Pause<"), "ops sees pause");
            assert_eq!(audit_rows().await, before + 2, "pause and resume audited");
        } else {
            assert_eq!(pause.status, StatusCode::FORBIDDEN, "{email} pause");
            assert_eq!(test.status, StatusCode::FORBIDDEN, "{email} test");
            assert!(!page.contains(">Pause<"), "{email} sees no pause");
            assert_eq!(audit_rows().await, before, "{email}: nothing written");
        }
    }
    let unknown = json_request(&app, "POST", &actions, &admin, json!({ "action": "explode" })).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/api/ingest/v1/connectors", None).await.status, StatusCode::UNAUTHORIZED);
    let deleted = json_request(&app, "DELETE", &path, &admin, json!({})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, Some(&admin)).await.status, StatusCode::NOT_FOUND);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM connector_secrets WHERE connector_id = $1::uuid")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "its secrets go with it");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_pages_forms_work_without_javascript(pool: PgPool) {
    let app: TestApp = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let fields = [
        ("name", "HDFC night drop"),
        ("kind", "BANK_SFTP"),
        ("schedule", "15 2 * * *"),
        ("timezone", "Asia/Kolkata"),
        ("auto_recon", "on"),
        ("host", "sftp.hdfc.example"),
        ("port", ""),
        ("username", "hdfc_recon"),
        ("directory", "/out"),
        ("pattern", "HDFC_{YYYYMMDD}.csv"),
        ("layout", "HDFC account statement"),
        ("password", PASSWORD),
    ];
    let reply = app.send(plain_form_post("/sfn/connectors/save", server_fn_form(&fields), &admin, "/connectors")).await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.body);
    let to = reply.location().unwrap_or_default().to_string();
    assert!(to.starts_with("/connectors?notice="), "{to}");
    let page = app.get(&to, Some(&admin)).await.body;
    assert!(
        page.contains("Connector &quot;HDFC night drop&quot; created.")
            || page.contains("Connector \"HDFC night drop\" created."),
        "notice shown"
    );
    assert!(page.contains("HDFC_{YYYYMMDD}.csv") && page.contains("sftp.hdfc.example:22"));
    assert!(!page.contains(PASSWORD));
    // A bad schedule comes back in words.
    let bad = [("name", "Bad"), ("kind", "BANK_SFTP"), ("schedule", "whenever")];
    let reply = app.send(plain_form_post("/sfn/connectors/save", server_fn_form(&bad), &admin, "/connectors")).await;
    let to = reply.location().unwrap_or_default().to_string();
    let page = app.get(&to, Some(&admin)).await.body;
    assert!(page.contains("is not a schedule"), "{to}");
    // ops may not use the form: refused in words, nothing written.
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let mut theirs = fields.to_vec();
    theirs[0] = ("name", "Ops own drop");
    let reply = app.send(plain_form_post("/sfn/connectors/save", server_fn_form(&theirs), &ops, "/connectors")).await;
    let to = reply.location().unwrap_or_default().to_string();
    assert!(to.contains("/connectors?") && to.contains("__err=") && !to.contains("notice="), "{to}");
    let page = app.get(&to, Some(&ops)).await.body;
    assert!(page.contains("role=\"alert\""), "the refusal is shown: {to}");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM connectors WHERE name = 'Ops own drop'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // ops pauses with the card's button, without JavaScript.
    let id: String = sqlx::query_scalar("SELECT id::text FROM connectors WHERE name = 'HDFC night drop'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let reply =
        app.send(plain_form_post("/sfn/connectors/pause", format!("id={id}&pause=true"), &ops, "/connectors")).await;
    let to = reply.location().unwrap_or_default().to_string();
    assert!(to.starts_with("/connectors?notice="), "{to}");
    let status: String = sqlx::query_scalar("SELECT status FROM connectors WHERE name = 'HDFC night drop'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "PAUSED");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_sandbox_sources_answer_the_same_each_time_and_only_when_on(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let pg = "/api/pg/v1/transactions?cycleDate=2026-11-30&merchant=MERCH_001";
    let first = app.get(pg, Some(&ops)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body, app.get(pg, Some(&ops)).await.body, "deterministic");
    let page = first.json();
    let total = page["total"].as_u64().unwrap();
    assert!((40..=80).contains(&total));
    assert_eq!(page["transactions"].as_array().unwrap().len() as u64, total, "one page of 100 holds them");
    assert_eq!(page["totalPages"], 1);
    let t = &page["transactions"][0];
    assert_eq!(t["merchantId"], "MERCH_001");
    assert!(t["txnId"].as_str().unwrap().starts_with("SBX-20261130-MERCH_001-"));
    let beyond = app.get(&format!("{pg}&page=2"), Some(&ops)).await.json();
    assert_eq!(beyond["transactions"], json!([]));

    let bank = app.get("/api/bank/v1/statements?cycleDate=2026-11-30", Some(&ops)).await;
    assert_eq!(bank.status, StatusCode::OK);
    let lines = bank.json()["lines"].as_array().unwrap().clone();
    // Each credited UTR is a successful payment of the PG side with the same amount, but the
    // sandbox's worked differences (a payment in 29 missing, one in 31 ₹1.00 more).
    let pg_txns = page["transactions"].as_array().unwrap();
    let credited: Vec<&Value> = lines.iter().filter(|l| l["remarks"] == "NEFT CR MERCH_001").collect();
    let successes = pg_txns.iter().filter(|t| t["status"] == "SUCCESS").count();
    assert!(credited.len() < successes && credited.len() > successes * 9 / 10, "{} of {successes}", credited.len());
    for line in credited {
        let t = pg_txns.iter().find(|t| t["utr"] == line["utr"]).expect("a PG payment");
        let delta = line["amountPaise"].as_i64().unwrap() - t["amountPaise"].as_i64().unwrap();
        assert!(delta == 0 || delta == 100, "{delta}");
    }

    for (path, needle) in [
        ("/api/pg/v1/transactions?merchant=MERCH_001", "cycleDate"),
        ("/api/pg/v1/transactions?cycleDate=2026-11-30&merchant=../x", "merchant code"),
        ("/api/pg/v1/transactions?cycleDate=2026-11-30&merchant=M&page=0", "page"),
        ("/api/bank/v1/statements?cycleDate=30-11-2026", "cycleDate"),
    ] {
        let reply = app.get(path, Some(&ops)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(reply.body.contains(needle), "{path}: {}", reply.body);
    }
    assert_eq!(app.get(pg, None).await.status, StatusCode::UNAUTHORIZED, "signed-in callers only");
    assert_eq!(app.get("/api/pg/health", None).await.status, StatusCode::OK, "health beside the sandbox");

    let mut config = settlepaisa_ops::config::Config::for_tests("postgres://unused");
    config.sandbox = false;
    let off = TestApp::with_config(pool.clone(), config);
    let cookie = demo_cookie(&off, "ops@settlepaisa.test").await;
    assert_eq!(off.get(pg, Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        off.get("/api/bank/v1/statements?cycleDate=2026-11-30", Some(&cookie)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(off.get("/api/pg/health", None).await.status, StatusCode::OK);
}

/// A `SECRETS_KEY` rotation: with the new key and the previous one, every stored secret is sealed
/// again under the new key (same value, same `set_at`), audited; a second reseal changes nothing;
/// a secret under neither key is listed and left as it was.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_key_rotation_seals_every_secret_again_under_the_new_key(pool: PgPool) {
    use settlepaisa_ops::features::connectors::rotation::{reseal_secrets, Resealed};
    use settlepaisa_ops::secrets::{Sealed, SecretsKey};
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let created = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, sftp_body("AXIS drop")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let sftp = created.json()["id"].as_str().unwrap().to_string();
    let created = json_request(&app, "POST", "/api/ingest/v1/connectors", &admin, api_body("PG sandbox")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let api = created.json()["id"].as_str().unwrap().to_string();
    let stored = async |id: &str, name: &str| -> (Sealed, String) {
        let (nonce, ciphertext, set_at): (Vec<u8>, Vec<u8>, String) = sqlx::query_as(
            "SELECT nonce, ciphertext, set_at::text FROM connector_secrets WHERE connector_id = $1::uuid AND name = $2",
        )
        .bind(id)
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
        (Sealed { nonce, ciphertext }, set_at)
    };
    let (before, set_at) = stored(&sftp, "password").await;

    let old = app.state.config.secrets_key.clone().unwrap();
    let new = SecretsKey::parse(&SecretsKey::generate()).unwrap();
    let rotating = new.clone().with_previous(old.clone());
    assert!(new.open(&format!("connector:{sftp}:password"), &before).is_err(), "not yet under the new key");

    let done = reseal_secrets(&pool, &rotating, "ops-engineer").await.unwrap();
    assert_eq!(done, Resealed { resealed: 2, current: 0, unopened: vec![] });
    let (after, set_at_after) = stored(&sftp, "password").await;
    assert_ne!(after, before, "sealed anew");
    assert_eq!(set_at_after, set_at, "the same secret: its date unchanged");
    assert_eq!(new.open(&format!("connector:{sftp}:password"), &after).unwrap().expose(), PASSWORD);
    assert_eq!(
        new.open(&format!("connector:{api}:apiKey"), &stored(&api, "apiKey").await.0).unwrap().expose(),
        API_KEY
    );
    assert!(old.open(&format!("connector:{sftp}:password"), &after).is_err(), "the old key no longer opens it");
    let audited: (String, bool, Value) = sqlx::query_as(
        "SELECT actor_email, outcome = 'success', after FROM audit_log WHERE action = 'connector.secrets.reseal'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, ("ops-engineer".into(), true, json!({ "resealed": 2, "current": 0, "unopened": [] })));
    assert!(!stored_bytes(&pool).await.contains(PASSWORD), "no secret in the clear");

    // Again: nothing to do. The previous key gone: the same.
    assert_eq!(
        reseal_secrets(&pool, &rotating, "ops-engineer").await.unwrap(),
        Resealed { current: 2, ..Default::default() }
    );
    assert_eq!(stored(&sftp, "password").await.0, after, "left as it was");
    assert_eq!(reseal_secrets(&pool, &new, "ops-engineer").await.unwrap().current, 2);

    // A secret sealed under a third key opens under neither: listed, left, the audit row says so.
    let stray = SecretsKey::parse(&SecretsKey::generate()).unwrap().seal(&format!("connector:{api}:apiKey"), "x");
    sqlx::query(
        "UPDATE connector_secrets SET nonce = $2, ciphertext = $3 WHERE connector_id = $1::uuid AND name = 'apiKey'",
    )
    .bind(&api)
    .bind(&stray.nonce)
    .bind(&stray.ciphertext)
    .execute(&pool)
    .await
    .unwrap();
    let done = reseal_secrets(&pool, &rotating, "ops-engineer").await.unwrap();
    assert_eq!(done, Resealed { resealed: 0, current: 1, unopened: vec![format!("{api}: apiKey")] });
    assert_eq!(stored(&api, "apiKey").await.0, stray, "left as it was");
    let failed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'connector.secrets.reseal' AND outcome = 'failure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(failed, 1);
}
