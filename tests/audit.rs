//! Issue 15, the audit log: the hash chain under concurrent writers; an edited, a deleted and a
//! re-hashed row (done as the table's owner, past the append-only trigger) found at the right
//! place by the API and the check; the role matrix of the page and its API twins; every filter
//! against SQL; personal data masked for the auditor; the page's plans at scale.

mod common;

use axum::http::StatusCode;
use common::{demo_app, demo_cookie};
use serde_json::{json, Value};
use settlepaisa_ops::audit::{self, AuditEntry};
use settlepaisa_ops::features::audit::model::{Filter, Outcome};
use settlepaisa_ops::features::audit::queries;
use sqlx::PgPool;

async fn write(pool: &PgPool, action: &str, target_id: &str, after: Value) {
    audit::record(
        pool,
        AuditEntry {
            actor_email: Some("writer@settlepaisa.test"),
            actor_roles: vec!["admin".into()],
            action,
            target_type: "test",
            target_id: Some(target_id.to_string()),
            success: true,
            ip: Some("10.1.2.3"),
            after: Some(after),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// The row ids in chain order.
async fn chain_ids(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM audit_log ORDER BY chain_seq").fetch_all(pool).await.unwrap()
}

/// SQL's own reading of the chain: positions 1..n, each row naming its predecessor's hash and
/// hashing to its own.
async fn sql_says_whole(pool: &PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT coalesce(bool_and(chain_seq = n AND prev_hash = coalesce(prev, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                                  AND row_hash = sha256(prev_hash || convert_to(audit_log_canonical(a), 'UTF8'))), TRUE)
         FROM (SELECT a, chain_seq, prev_hash, row_hash, row_number() OVER (ORDER BY chain_seq) AS n,
                      lag(row_hash) OVER (ORDER BY chain_seq) AS prev
               FROM audit_log a) a",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_chain_holds_under_concurrent_writers(pool: PgPool) {
    let pool = common::own_pool(&pool);
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
    // 40 writers at once, each 25 rows: single-row transactions, and every fifth writer three rows
    // per transaction, some of which roll back (their rows must leave no trace in the chain).
    let mut tasks = Vec::new();
    for w in 0..40 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut written = 0;
            for i in 0..25 {
                if w % 5 == 0 {
                    let mut tx = pool.begin().await.unwrap();
                    for k in 0..3 {
                        audit::record(
                            &mut *tx,
                            AuditEntry {
                                action: "test.multi",
                                target_type: "test",
                                target_id: Some(format!("{w}-{i}-{k}")),
                                success: true,
                                ..Default::default()
                            },
                        )
                        .await
                        .unwrap();
                    }
                    if i % 4 == 0 {
                        tx.rollback().await.unwrap();
                    } else {
                        tx.commit().await.unwrap();
                        written += 3;
                    }
                } else {
                    write(&pool, "test.single", &format!("{w}-{i}"), json!({ "writer": w, "i": i })).await;
                    written += 1;
                }
            }
            written
        }));
    }
    let mut written = 0i64;
    for t in tasks {
        written += t.await.unwrap();
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
    assert_eq!(rows, before + written);
    let report = queries::verify(&pool).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checked, rows);
    assert!(sql_says_whole(&pool).await);
    let (min, max): (i64, i64) =
        sqlx::query_as("SELECT min(chain_seq), max(chain_seq) FROM audit_log").fetch_one(&pool).await.unwrap();
    assert_eq!((min, max), (1, rows), "positions are gapless even though some writers rolled back");
    // The head hash the check reports is the last row's.
    let head: Vec<u8> = sqlx::query_scalar("SELECT row_hash FROM audit_log ORDER BY chain_seq DESC LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(report.head_hash.unwrap(), head.iter().map(|b| format!("{b:02x}")).collect::<String>());
    // A row written under REPEATABLE READ is refused in words (it could not see the chain's head).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await.unwrap();
    let refused =
        sqlx::query("INSERT INTO audit_log (action, target_type, outcome) VALUES ('test.rr', 'test', 'success')")
            .execute(&mut *tx)
            .await
            .unwrap_err();
    assert!(refused.to_string().contains("READ COMMITTED"), "{refused}");
}

/// Tampering done past the triggers, as the table's owner, is found at the right place: an edited
/// row at itself, a deleted row at the one after it, an edit whose row hash was recomputed at the
/// row after it. Undoing each makes the chain whole again.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn tampering_is_found_at_the_right_place(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "compliance@settlepaisa.test").await;
    for i in 0..10 {
        write(&pool, "test.tamper", &i.to_string(), json!({ "i": i })).await;
    }
    let ids = chain_ids(&pool).await;
    let n = ids.len();
    assert!(n >= 10);
    let verify = async || app.get("/api/audit/v1/verify", Some(&cookie)).await.json();
    let whole = verify().await;
    assert_eq!(whole["ok"], true, "{whole}");
    // Every row is checked, and the check itself writes none.
    assert_eq!(whole["checked"], n as i64);

    // As the owner, past the append-only trigger.
    let tamper = async |sql: &str| {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
        sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete").execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    };
    let row = |k: usize| ids[k];

    // 1. An edited row: broken at itself.
    let (edited, seq): (i64, i64) = (row(n - 5), (n - 4) as i64);
    let original: String = sqlx::query_scalar(&format!("SELECT after::text FROM audit_log WHERE id = {edited}"))
        .fetch_one(&pool)
        .await
        .unwrap();
    tamper(&format!("UPDATE audit_log SET after = '{{\"i\": 99}}' WHERE id = {edited}")).await;
    let broken = verify().await;
    assert_eq!((broken["ok"].clone(), broken["firstBrokenId"].clone()), (json!(false), json!(edited)), "{broken}");
    assert_eq!(broken["firstBrokenPosition"], seq);
    assert_eq!(broken["checked"], seq);
    // The same from the page's "Verify chain".
    let page = app.get("/audit/verify", Some(&cookie)).await;
    assert!(page.body.contains(&format!("broken at audit row #{edited}")), "{}", page.body);
    assert!(page.body.contains("data-ok=\"false\""));
    tamper(&format!("UPDATE audit_log SET after = '{original}'::jsonb WHERE id = {edited}")).await;
    assert_eq!(verify().await["ok"], true, "undoing the edit makes it whole");

    // 2. A deleted row: broken at the row after it.
    tamper("CREATE TABLE saved_row AS SELECT * FROM audit_log WHERE false").await;
    tamper(&format!(
        "INSERT INTO saved_row SELECT * FROM audit_log WHERE id = {0}; DELETE FROM audit_log WHERE id = {0}",
        row(3)
    ))
    .await;
    let broken = verify().await;
    assert_eq!(broken["firstBrokenId"], row(4), "{broken}");
    assert_eq!(broken["firstBrokenPosition"], 5);
    assert!(broken["reason"].as_str().unwrap().contains("missing"), "{broken}");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain").execute(&mut *tx).await.unwrap();
    sqlx::query("INSERT INTO audit_log SELECT * FROM saved_row").execute(&mut *tx).await.unwrap();
    sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_chain").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(verify().await["ok"], true, "putting the row back makes it whole");

    // 3. An edit with its own hash recomputed: the row is consistent, the next link is not.
    tamper(&format!(
        "UPDATE audit_log a SET details = 'rewritten' WHERE id = {0};
         UPDATE audit_log a SET row_hash = audit_log_digest(a) WHERE id = {0}",
        row(6)
    ))
    .await;
    let broken = verify().await;
    assert_eq!(broken["firstBrokenId"], row(7), "{broken}");
    assert!(broken["reason"].as_str().unwrap().contains("previous-row hash"), "{broken}");
    assert!(!sql_says_whole(&pool).await);

    // The command line's check agrees (the library call it makes).
    let report = queries::verify(&pool).await.unwrap();
    assert_eq!(report.first_broken_id, Some(row(7)));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_log_is_for_compliance_auditors_and_admins(pool: PgPool) {
    let app = demo_app(&pool).await;
    for (email, allowed) in [
        ("ops@settlepaisa.test", false),
        ("finance@settlepaisa.test", false),
        ("compliance@settlepaisa.test", true),
        ("auditor@settlepaisa.test", true),
        ("admin@settlepaisa.test", true),
    ] {
        let cookie = demo_cookie(&app, email).await;
        let want = if allowed { StatusCode::OK } else { StatusCode::FORBIDDEN };
        for path in [
            "/api/audit/v1/events?limit=5",
            "/api/audit/v1/verify",
            "/api/audit/v1/events.csv",
            "/audit",
            "/audit/verify",
        ] {
            let reply = app.get(path, Some(&cookie)).await;
            assert_eq!(reply.status, want, "{email} {path}: {}", &reply.body[..reply.body.len().min(300)]);
        }
        let page = app.get("/audit", Some(&cookie)).await;
        assert_eq!(page.body.contains("data-testid=\"audit-log\""), allowed, "{email}");
        if !allowed {
            assert!(page.body.contains("It is for compliance, auditors and admins."), "{email}");
        }
    }
    for path in ["/api/audit/v1/events", "/api/audit/v1/verify", "/api/audit/v1/events.csv"] {
        assert_eq!(app.get(path, None).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // The refusals above are themselves in the log, as failures of the ops and finance users.
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'request.refused' AND outcome = 'failure'
         AND actor_email IN ('ops@settlepaisa.test', 'finance@settlepaisa.test')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(refused >= 6, "{refused}");
}

/// Each filter of the API returns exactly the rows SQL says, newest first; the page and the CSV
/// show the same rows.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_filter_agrees_with_sql(pool: PgPool) {
    let app = demo_app(&pool).await;
    // Sign-in attempts, one of them failed, from two addresses.
    let _ = app.login("ops@settlepaisa.test", "wrong-password-1").await;
    let cookie = demo_cookie(&app, "compliance@settlepaisa.test").await;
    write(&pool, "test.filter", "T-1", json!({ "status": "OPEN" })).await;
    let today = settlepaisa_ops::ist::today(chrono::Utc::now());
    let cases: Vec<(String, String)> = vec![
        (String::new(), "TRUE".into()),
        ("actor=OPS@settlepaisa.test".into(), "actor_email = 'ops@settlepaisa.test'".into()),
        ("role=admin".into(), "actor_roles @> ARRAY['admin']".into()),
        ("action=auth.sign_in".into(), "action = 'auth.sign_in'".into()),
        ("targetType=test".into(), "target_type = 'test'".into()),
        ("targetType=test&targetId=T-1".into(), "target_type = 'test' AND target_id = 'T-1'".into()),
        ("outcome=failure".into(), "outcome = 'failure'".into()),
        ("outcome=success".into(), "outcome = 'success'".into()),
        ("ip=10.1.2.3".into(), "ip = '10.1.2.3'".into()),
        (
            format!("from={today}&to={today}"),
            format!(
                "occurred_at >= '{today} 00:00:00+05:30' AND occurred_at < '{} 00:00:00+05:30'",
                today + chrono::Duration::days(1)
            ),
        ),
        ("from=2000-01-01&to=2000-01-02".into(), "FALSE".into()),
    ];
    for (params, sql) in cases {
        let want: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM audit_log WHERE {sql} ORDER BY occurred_at DESC, chain_seq DESC LIMIT 500"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        let body = app.get(&format!("/api/audit/v1/events?limit=500&{params}"), Some(&cookie)).await.json();
        let got: Vec<i64> = body["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(got, want, "{params}");
        let count: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM audit_log WHERE {sql}")).fetch_one(&pool).await.unwrap();
        assert_eq!(body["total"], count, "{params}");
        assert_eq!(body["totalExact"], true);
    }
    // IST days: 18:29:59 UTC is 23:59:59 IST on the 10th, 18:30:00 UTC is midnight IST on the 11th.
    for (at, id) in [("2026-03-10T18:29:59Z", "edge-10"), ("2026-03-10T18:30:00Z", "edge-11")] {
        sqlx::query("INSERT INTO audit_log (occurred_at, action, target_type, target_id, outcome) VALUES ($1::timestamptz, 'test.edge', 'edge', $2, 'success')")
            .bind(at)
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
    }
    for (day, want) in [("2026-03-10", "edge-10"), ("2026-03-11", "edge-11")] {
        let body =
            app.get(&format!("/api/audit/v1/events?targetType=edge&from={day}&to={day}"), Some(&cookie)).await.json();
        let ids: Vec<&str> =
            body["events"].as_array().unwrap().iter().map(|e| e["targetId"].as_str().unwrap()).collect();
        assert_eq!(ids, [want], "{day}");
    }
    // The unfiltered total is the chain's length; the first event has every field.
    let all = app.get("/api/audit/v1/events?limit=1", Some(&cookie)).await.json();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
    assert_eq!(all["total"], count);
    let e = &all["events"][0];
    for key in ["id", "at", "actor", "role", "action", "targetType", "targetId", "outcome", "ip", "before", "after"] {
        assert!(e.get(key).is_some(), "{key} in {e}");
    }
    // Bad input is refused in words.
    for bad in ["role=root", "outcome=maybe", "ip=nowhere", "from=2026-12-02&to=2026-12-01", "limit=0"] {
        let reply = app.get(&format!("/api/audit/v1/events?{bad}"), Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {}", reply.body);
    }
    // The page and the CSV show the filter's rows.
    let failures: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE outcome = 'failure' ORDER BY occurred_at DESC, chain_seq DESC",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!failures.is_empty());
    let page = app.get("/audit?outcome=failure", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for id in &failures {
        assert!(page.body.contains(&format!("data-audit-id=\"{id}\"")), "{id}");
    }
    let csv = app.get("/api/audit/v1/events.csv?outcome=failure", Some(&cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let ids: Vec<i64> =
        csv::Reader::from_reader(csv.body.as_bytes()).records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
    assert_eq!(ids, failures);
    // A row's change reads as a diff on the page.
    let page = app.get("/audit?targetType=test&targetId=T-1", Some(&cookie)).await;
    assert!(page.body.contains("data-testid=\"diff\"") && page.body.contains("OPEN"), "{}", page.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn personal_data_is_masked_for_the_auditor(pool: PgPool) {
    let app = demo_app(&pool).await;
    write(&pool, "test.personal", "P-1", json!({ "accountNumber": "123456789012", "holder": "Asha Traders" })).await;
    let auditor = demo_cookie(&app, "auditor@settlepaisa.test").await;
    let compliance = demo_cookie(&app, "compliance@settlepaisa.test").await;
    let path = "/api/audit/v1/events?targetId=P-1";
    let seen = app.get(path, Some(&auditor)).await.json();
    assert_eq!(seen["masked"], true);
    assert_eq!(seen["events"][0]["after"]["accountNumber"], "XXXXXXXX9012");
    assert_eq!(seen["events"][0]["after"]["holder"], "Asha Traders");
    let csv = app.get("/api/audit/v1/events.csv?targetId=P-1", Some(&auditor)).await.body;
    assert!(csv.contains("XXXXXXXX9012") && !csv.contains("123456789012"), "{csv}");
    let page = app.get("/audit?targetId=P-1", Some(&auditor)).await.body;
    assert!(page.contains("data-testid=\"masked-note\"") && !page.contains("123456789012"));
    let full = app.get(path, Some(&compliance)).await.json();
    assert_eq!(full["masked"], false);
    assert_eq!(full["events"][0]["after"]["accountNumber"], "123456789012");
    // A number typed into free text reaches the auditor masked too.
    audit::record(
        &pool,
        AuditEntry {
            action: "test.note",
            target_type: "test",
            target_id: Some("P-2".into()),
            success: true,
            details: Some("customer called from 9876543210".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let seen = app.get("/api/audit/v1/events?targetId=P-2", Some(&auditor)).await.json();
    assert_eq!(seen["events"][0]["details"], "customer called from XXXXXX3210");
    let full = app.get("/api/audit/v1/events?targetId=P-2", Some(&compliance)).await.json();
    assert_eq!(full["events"][0]["details"], "customer called from 9876543210");
    let page = app.get("/audit?targetId=P-1", Some(&compliance)).await.body;
    assert!(!page.contains("data-testid=\"masked-note\""));
}

/// On a log of 60,000 rows each filter's first page is read through an index (no sequential scan of
/// the log), and the rows written in one statement chain like any others.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn each_filter_reads_an_index(pool: PgPool) {
    sqlx::query(
        "INSERT INTO audit_log (occurred_at, actor_email, actor_roles, action, target_type, target_id, outcome, ip)
         SELECT now() - (g || ' seconds')::interval, 'user' || (g % 200) || '@settlepaisa.test',
                ARRAY[(ARRAY['sp-ops','sp-finance','sp-compliance','admin'])[1 + g % 4]],
                'action.' || (g % 60), 'type' || (g % 20), (g % 5000)::text,
                CASE WHEN g % 50 = 0 THEN 'failure' ELSE 'success' END, ('10.0.' || (g % 250) || '.' || (g % 200))::inet
         FROM generate_series(1, 60000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE audit_log").execute(&pool).await.unwrap();
    let report = queries::verify(&pool).await.unwrap();
    assert!(report.ok && report.checked >= 60_000, "{report:?}");
    let d = chrono::NaiveDate::from_ymd_opt;
    for filter in [
        Filter::default(),
        Filter { actor: Some("user7@settlepaisa.test".into()), ..Default::default() },
        Filter { action: Some("action.7".into()), ..Default::default() },
        Filter { target_type: Some("type3".into()), target_id: Some("42".into()), ..Default::default() },
        Filter { outcome: Some(Outcome::Failure), ..Default::default() },
        Filter { ip: Some("10.0.7.7".into()), ..Default::default() },
        Filter { from: d(2026, 1, 1), to: d(2026, 1, 31), ..Default::default() },
    ] {
        let plan = queries::explain_list(&pool, &filter, 51).await.unwrap();
        assert!(plan.contains("Index") && !plan.contains("Seq Scan on audit_log"), "{filter:?}:\n{plan}");
    }
}

/// Every column of the audit log is covered by the row hash: a new column must join
/// `audit_log_canonical` (migration 20261206000001) and the check's own copy in
/// `features::audit::queries::verify`, or it could be changed unseen.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_hash_covers_every_column(pool: PgPool) {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = 'audit_log' ORDER BY ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        [
            "id",
            "occurred_at",
            "actor_id",
            "actor_email",
            "actor_roles",
            "action",
            "target_type",
            "target_id",
            "outcome",
            "ip",
            "before",
            "after",
            "details",
            "chain_seq",
            "prev_hash",
            "row_hash"
        ]
    );
    let canonical: String =
        sqlx::query_scalar("SELECT pg_get_functiondef('audit_log_canonical(audit_log)'::regprocedure)")
            .fetch_one(&pool)
            .await
            .unwrap();
    for column in &columns[..14] {
        assert!(canonical.contains(&format!("r.{column}")), "{column} is hashed");
    }
}
