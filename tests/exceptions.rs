//! The exception work queue against real Postgres through the real router: every action and
//! transition, the role matrix, bulk actions over a selection and over "all matching", saved views,
//! SLA breach and snooze wake-up on a controllable clock, and the list's index use.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{json, Value};
use settlepaisa_ops::features::exceptions::model::{ExceptionsQuery, SortKey};
use settlepaisa_ops::features::exceptions::{commands, queries};
use settlepaisa_ops::ist;
use settlepaisa_ops::state::Clock;
use sqlx::PgPool;

use common::{demo_app, demo_cookie as cookie, plain_form_post, server_fn_form, Reply, TestApp, HOST, ORIGIN};

async fn send(app: &TestApp, method: &str, path: &str, body: Option<Value>, cookie: &str) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    app.send(req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap()).await
}

async fn act(app: &TestApp, cookie: &str, id: &str, body: Value) -> Reply {
    send(app, "POST", &format!("/api/recon/v1/exceptions/{id}/actions"), Some(body), cookie).await
}

async fn one<T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin>(
    pool: &PgPool,
    sql: &str,
    id: &str,
) -> T {
    sqlx::query_scalar(sql).bind(id).fetch_one(pool).await.unwrap()
}

/// An open, unassigned exception on a PG row whose transaction is in EXCEPTION, below CRITICAL (the
/// tests raise one to CRITICAL; the demo data depends on the anchor date, so some open ones are
/// already assigned, and some already CRITICAL).
async fn open_pg_exception(pool: &PgPool, skip: i64) -> String {
    sqlx::query_scalar(
        "SELECT e.id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id
         WHERE e.status = 'open' AND e.assignee_id IS NULL AND t.status = 'EXCEPTION' AND e.severity <> 'CRITICAL'
         ORDER BY e.id OFFSET $1 LIMIT 1",
    )
    .bind(skip)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn reopening_never_unsettles_and_keeps_the_settlement_backlog_true(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let state = |id: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (String, String, bool)>(
                "SELECT t.status, l.status, EXISTS (SELECT 1 FROM settlement_backlog k WHERE k.transaction_id = t.id)
                 FROM exceptions e JOIN transactions t ON t.id = e.transaction_id
                 JOIN transaction_lifecycle l ON l.transaction_id = t.id WHERE e.id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let ok = |r: &Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (first, second) = (open_pg_exception(&pool, 0).await, open_pg_exception(&pool, 1).await);
    // Both transactions' cycles have been batched (a completed run each).
    sqlx::query(
        "INSERT INTO settlement_runs (id, cycle_date, status)
         SELECT DISTINCT gen_random_uuid(), t.cycle_date, 'completed' FROM exceptions e
         JOIN transactions t ON t.id = e.transaction_id WHERE e.id = ANY($1)",
    )
    .bind(vec![first.clone(), second.clone()])
    .execute(&pool)
    .await
    .unwrap();

    // Matched late, each joins the backlog; reopened before any batch took it, it leaves it again.
    let matched = json!({ "action": "resolve", "resolution": "MANUAL_MATCH" });
    ok(&act(&app, &ops, &first, matched.clone()).await);
    assert_eq!(state(first.clone()).await, ("RECONCILED".into(), "RECONCILED".into(), true));
    ok(&act(&app, &ops, &first, json!({ "action": "reopen" })).await);
    assert_eq!(state(first.clone()).await, ("EXCEPTION".into(), "EXCEPTION".into(), false));

    // Matched, then paid in a batch (as a run takes it: an item, out of the backlog): reopening the
    // exception does not make a paid transaction an exception again.
    ok(&act(&app, &ops, &second, matched).await);
    sqlx::query(
        "WITH t AS (SELECT t.* FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE e.id = $1)
         INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                                       reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
         SELECT (SELECT id FROM settlement_batches WHERE status = 'PAID' ORDER BY id LIMIT 1), t.id, t.amount_paise,
                0, 0, 0, 0, t.amount_paise, 'merchant', t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn
         FROM t",
    )
    .bind(&second)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM settlement_backlog k USING settlement_items si WHERE si.transaction_id = k.transaction_id",
    )
    .execute(&pool)
    .await
    .unwrap();
    ok(&act(&app, &ops, &second, json!({ "action": "reopen" })).await);
    assert_eq!(state(second.clone()).await, ("RECONCILED".into(), "PAID".into(), false));
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_action_and_transition_with_its_log(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let id = open_pg_exception(&pool, 0).await;
    let txn_status = "SELECT t.status FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE e.id = $1";
    let ok = |r: &Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // take → assigned to me
    let r = act(&app, &ops, &id, json!({ "action": "take" })).await;
    ok(&r);
    assert_eq!(r.json()["assignee"], "ops@settlepaisa.test");
    let again = act(&app, &ops, &id, json!({ "action": "take" })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "taking what is already mine changes nothing");
    // assign to a user who cannot work exceptions → 400; to admin → ok; unassign; take back
    let r = act(&app, &ops, &id, json!({ "action": "assign", "assignee": "auditor@settlepaisa.test" })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    ok(&act(&app, &ops, &id, json!({ "action": "assign", "assignee": "admin@settlepaisa.test" })).await);
    ok(&act(&app, &ops, &id, json!({ "action": "assign", "assignee": "" })).await);
    ok(&act(&app, &ops, &id, json!({ "action": "take" })).await);
    // investigate; again → 409
    let r = act(&app, &ops, &id, json!({ "action": "investigate" })).await;
    ok(&r);
    assert_eq!(r.json()["status"], "investigating");
    assert_eq!(act(&app, &ops, &id, json!({ "action": "investigate" })).await.status, StatusCode::CONFLICT);
    // comment (needs text), tags, untag
    assert_eq!(act(&app, &ops, &id, json!({ "action": "comment", "note": " " })).await.status, StatusCode::BAD_REQUEST);
    ok(&act(&app, &ops, &id, json!({ "action": "comment", "note": "Asked HDFC for the credit advice." })).await);
    let r = act(&app, &ops, &id, json!({ "action": "tag", "tags": ["Bank Followup", "high-value"] })).await;
    ok(&r);
    assert_eq!(r.json()["tags"], json!(["bank-followup", "high-value"]));
    assert_eq!(
        act(&app, &ops, &id, json!({ "action": "tag", "tags": "high-value" })).await.status,
        StatusCode::CONFLICT
    );
    let r = act(&app, &ops, &id, json!({ "action": "untag", "tags": "high-value" })).await;
    assert_eq!(r.json()["tags"], json!(["bank-followup"]));
    // severity: the SLA due is re-read from the settings for the new severity
    let r = act(&app, &ops, &id, json!({ "action": "severity", "severity": "CRITICAL" })).await;
    ok(&r);
    let v = r.json();
    let hours: i32 = sqlx::query_scalar(
        "SELECT s.sla_hours FROM exceptions e JOIN sla_settings s ON s.reason_code = e.reason_code AND s.severity = 'CRITICAL' WHERE e.id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let created = DateTime::parse_from_rfc3339(v["createdAt"].as_str().unwrap()).unwrap();
    let due = DateTime::parse_from_rfc3339(v["slaDueAt"].as_str().unwrap()).unwrap();
    assert_eq!((v["severity"].as_str(), due - created), (Some("CRITICAL"), Duration::hours(hours.into())));
    assert_eq!(v["slaHours"], hours);
    // snooze: past → 400; future → snoozed; escalate; reopen from escalated
    let past = (app.clock.now() - Duration::hours(1)).to_rfc3339();
    assert_eq!(
        act(&app, &ops, &id, json!({ "action": "snooze", "until": past })).await.status,
        StatusCode::BAD_REQUEST
    );
    let until = (app.clock.now() + Duration::hours(5)).to_rfc3339();
    let r = act(&app, &ops, &id, json!({ "action": "snooze", "until": until, "note": "Next statement" })).await;
    assert_eq!(r.json()["status"], "snoozed");
    assert_eq!(act(&app, &ops, &id, json!({ "action": "escalate" })).await.json()["status"], "escalated");
    assert_eq!(act(&app, &ops, &id, json!({ "action": "escalate" })).await.status, StatusCode::CONFLICT);
    assert_eq!(act(&app, &ops, &id, json!({ "action": "reopen" })).await.json()["status"], "open");
    // resolve needs a valid code; a write-off needs a note
    assert_eq!(act(&app, &ops, &id, json!({ "action": "resolve" })).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        act(&app, &ops, &id, json!({ "action": "resolve", "resolution": "MAGIC" })).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        act(&app, &ops, &id, json!({ "action": "resolve", "resolution": "WRITE_OFF" })).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(one::<String>(&pool, txn_status, &id).await, "EXCEPTION");
    let r = act(
        &app,
        &ops,
        &id,
        json!({ "action": "resolve", "resolution": "MANUAL_MATCH", "note": "Credit found on the 3rd." }),
    )
    .await;
    ok(&r);
    let v = r.json();
    assert_eq!((v["status"].as_str(), v["resolution"].as_str()), (Some("resolved"), Some("MANUAL_MATCH")));
    assert_eq!(one::<String>(&pool, txn_status, &id).await, "RECONCILED", "a manual match reconciles the transaction");
    assert_eq!(v["pg"]["status"], "RECONCILED");
    // closed: no investigating, no assigning, no second resolve; reopen undoes the reconciliation
    for body in [
        json!({ "action": "investigate" }),
        json!({ "action": "take" }),
        json!({ "action": "resolve", "resolution": "DUPLICATE" }),
        json!({ "action": "severity", "severity": "LOW" }),
    ] {
        let r = act(&app, &ops, &id, body.clone()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{body} on a resolved exception");
        assert!(r.json()["message"].as_str().unwrap().contains("resolved"), "{}", r.body);
    }
    let r = act(&app, &ops, &id, json!({ "action": "reopen", "note": "Credit was for another txn." })).await;
    assert_eq!((r.json()["status"].as_str(), r.json()["resolution"].as_str()), (Some("open"), None));
    assert_eq!(one::<String>(&pool, txn_status, &id).await, "EXCEPTION");
    // the other reconciling codes reconcile; the rest do not
    ok(&act(&app, &ops, &id, json!({ "action": "resolve", "resolution": "ACCOUNTING_ADJUSTMENT" })).await);
    assert_eq!(one::<String>(&pool, txn_status, &id).await, "RECONCILED");
    ok(&act(&app, &ops, &id, json!({ "action": "reopen" })).await);
    ok(&act(&app, &ops, &id, json!({ "action": "resolve", "resolution": "WONT_FIX" })).await);
    assert_eq!(one::<String>(&pool, "SELECT status FROM exceptions WHERE id = $1", &id).await, "wont_fix");
    assert_eq!(one::<String>(&pool, txn_status, &id).await, "EXCEPTION");

    // The log: every action, oldest first, with the actor's email, before/after and notes.
    let d = app.get(&format!("/api/recon/v1/exceptions/{id}"), Some(&ops)).await.json();
    let actions: Vec<&str> = d["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "take",
            "assign",
            "assign",
            "take",
            "investigate",
            "comment",
            "tag",
            "untag",
            "severity",
            "snooze",
            "escalate",
            "reopen",
            "resolve",
            "reopen",
            "resolve",
            "reopen",
            "resolve"
        ]
    );
    let log = d["actions"].as_array().unwrap();
    assert!(log.iter().all(|a| a["actor"] == "ops@settlepaisa.test" && a["at"].is_string()));
    assert_eq!(log[1]["before"], json!({ "assignee": "ops@settlepaisa.test" }));
    assert_eq!(log[1]["after"], json!({ "assignee": "admin@settlepaisa.test" }));
    assert_eq!(log[5]["note"], "Asked HDFC for the credit advice.");
    assert_eq!(
        log[12]["after"],
        json!({ "status": "resolved", "resolution": "MANUAL_MATCH", "transaction": "RECONCILED" })
    );
    assert_eq!(log[13]["after"], json!({ "status": "open", "transaction": "EXCEPTION" }));
    // …and the unified audit log has one row per action, with the same before/after.
    let audit: Vec<(String, Option<Value>)> = sqlx::query_as(
        "SELECT action, after FROM audit_log WHERE target_type = 'exception' AND target_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), actions.len());
    assert_eq!(audit[12], ("exception.resolve".into(), Some(log[12]["after"].clone())));
    let comments: i64 = one(&pool, "SELECT count(*) FROM exception_comments WHERE exception_id = $1", &id).await;
    assert_eq!(comments, 1);

    // Unknown ids and actions.
    assert_eq!(act(&app, &ops, "EXC-20990101-000001", json!({ "action": "take" })).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/recon/v1/exceptions/EXC-nope", Some(&ops)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(act(&app, &ops, &id, json!({ "action": "delete" })).await.status, StatusCode::BAD_REQUEST);
    common::assert_rollups_exact(&pool).await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_detail_forms_work_as_plain_posts_without_javascript(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let id = open_pg_exception(&pool, 0).await;
    let page = format!("/exceptions/{id}");
    let back = format!("{ORIGIN}{page}");
    // What a datetime-local field sends: minutes, in IST.
    let until =
        (app.clock.now() + Duration::hours(5)).with_timezone(&ist::offset()).format("%Y-%m-%dT%H:%M").to_string();
    // Each of the detail page's forms, field for field; "Remove tag" has one hidden tag of its own.
    let forms: [&[(&str, &str)]; 6] = [
        &[("id", &id), ("action", "take")],
        &[("id", &id), ("action", "tag"), ("tags", "bank-followup, high-value")],
        &[("id", &id), ("action", "untag"), ("tags", "high-value")],
        &[("id", &id), ("action", "severity"), ("severity", "CRITICAL")],
        &[("id", &id), ("action", "comment"), ("note", "Asked HDFC for the credit advice.")],
        &[("id", &id), ("action", "snooze"), ("until", &until), ("note", "Next statement")],
    ];
    for fields in forms {
        let r = app.send(plain_form_post("/sfn/exceptions/act", server_fn_form(fields), &ops, &page)).await;
        assert!(r.status.is_redirection(), "{fields:?}: {} {}", r.status, r.body);
        // server_fn leaves an empty query where an error's details would go.
        assert_eq!(
            r.location().map(|l| l.trim_end_matches('?')),
            Some(back.as_str()),
            "back to the exception with no error: {fields:?}"
        );
    }
    let v = app.get(&format!("/api/recon/v1/exceptions/{id}"), Some(&ops)).await.json();
    assert_eq!(v["assignee"], "ops@settlepaisa.test");
    assert_eq!(v["tags"], json!(["bank-followup"]));
    assert_eq!((&v["severity"], &v["status"]), (&json!("CRITICAL"), &json!("snoozed")));
    let notes: Vec<&str> = v["actions"].as_array().unwrap().iter().filter_map(|a| a["note"].as_str()).collect();
    assert!(notes.contains(&"Asked HDFC for the credit advice."), "{notes:?}");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_role_matrix_every_role_every_action(pool: PgPool) {
    let app = demo_app(&pool).await;
    let future = (app.clock.now() + Duration::hours(3)).to_rfc3339();
    // Each action with the fields it needs, applied to an exception in a status that allows it.
    let actions = [
        ("take", json!({ "action": "take" }), "open"),
        ("assign", json!({ "action": "assign", "assignee": "ops@settlepaisa.test" }), "open"),
        ("investigate", json!({ "action": "investigate" }), "open"),
        ("snooze", json!({ "action": "snooze", "until": future }), "open"),
        ("escalate", json!({ "action": "escalate" }), "open"),
        ("resolve", json!({ "action": "resolve", "resolution": "FALSE_POSITIVE" }), "open"),
        ("reopen", json!({ "action": "reopen" }), "resolved"),
        ("comment", json!({ "action": "comment", "note": "checked" }), "open"),
        ("tag", json!({ "action": "tag", "tags": ["rm-check"] }), "open"),
        ("untag", json!({ "action": "untag", "tags": ["rm-check"] }), "open"),
        ("severity", json!({ "action": "severity", "severity": "LOW" }), "open"),
    ];
    let roles = [
        ("ops@settlepaisa.test", true),
        ("admin@settlepaisa.test", true),
        ("finance@settlepaisa.test", false),
        ("finance2@settlepaisa.test", false),
        ("compliance@settlepaisa.test", false),
        ("auditor@settlepaisa.test", false),
    ];
    let mut used = 0;
    for (email, works) in roles {
        let c = cookie(&app, email).await;
        // Everyone reads the queue and a record.
        let list = app.get("/api/recon/v1/exceptions?status=all&limit=1", Some(&c)).await;
        assert_eq!(list.status, StatusCode::OK, "{email} reads the queue");
        let first = list.json()["items"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(app.get(&format!("/api/recon/v1/exceptions/{first}"), Some(&c)).await.status, StatusCode::OK);
        for (name, body, status) in &actions {
            // A fresh exception for every change (read-only roles change nothing, so reuse one),
            // put in the state the action needs.
            let id: String = sqlx::query_scalar("SELECT id FROM exceptions ORDER BY id OFFSET $1 LIMIT 1")
                .bind(used)
                .fetch_one(&pool)
                .await
                .unwrap();
            if works {
                used += 1;
            }
            sqlx::query(
                "UPDATE exceptions SET status = $2, assignee_id = NULL, severity = 'HIGH', snoozed_until = NULL,
                        tags = CASE WHEN $3 THEN '{rm-check}'::text[] ELSE '{}'::text[] END,
                        resolution = CASE WHEN $2 = 'resolved' THEN 'FALSE_POSITIVE' END,
                        resolved_at = CASE WHEN $2 = 'resolved' THEN now() END
                 WHERE id = $1",
            )
            .bind(&id)
            .bind(status)
            .bind(*name == "untag")
            .execute(&pool)
            .await
            .unwrap();
            let logged = |pool: PgPool, id: String| async move {
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM exception_actions WHERE exception_id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            };
            let before = logged(pool.clone(), id.clone()).await;
            let r = act(&app, &c, &id, body.clone()).await;
            let after = logged(pool.clone(), id.clone()).await;
            if works {
                assert_eq!(r.status, StatusCode::OK, "{email} may {name}: {}", r.body);
                assert_eq!(after, before + 1, "{email} {name} is logged");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{email} may not {name}: {}", r.body);
                assert_eq!(after, before, "a refused {name} writes nothing");
            }
        }
        // Bulk too.
        let bulk =
            send(&app, "POST", "/api/recon/v1/exceptions/bulk", Some(json!({ "ids": [first], "action": "take" })), &c)
                .await;
        if works {
            assert_ne!(bulk.status, StatusCode::FORBIDDEN, "{email} may bulk");
        } else {
            assert_eq!(bulk.status, StatusCode::FORBIDDEN, "{email} may not bulk");
        }
    }
    // Without a session: 401.
    let anon = app.get("/api/recon/v1/exceptions", None).await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_list_filters_counts_pages_and_exports_agree(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let get = |q: &'static str| {
        let app = &app;
        let ops = ops.clone();
        async move {
            let r = app.get(&format!("/api/recon/v1/exceptions?{q}"), Some(&ops)).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            r.json()
        }
    };
    let db = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    // Default: the active set; counts add up to the total.
    let all_active = get("limit=500").await;
    let active = db("SELECT count(*) FROM exceptions WHERE status NOT IN ('resolved', 'wont_fix')").await;
    assert_eq!(all_active["total"], active);
    assert_eq!(all_active["items"].as_array().unwrap().len() as i64, active);
    let sum = |v: &Value| v.as_object().unwrap().values().map(|n| n.as_i64().unwrap()).sum::<i64>();
    for key in ["byStatus", "bySeverity", "byReason"] {
        assert_eq!(sum(&all_active["counts"][key]), active, "{key} adds up");
    }
    // Sorted by SLA due, soonest first.
    let dues: Vec<&str> =
        all_active["items"].as_array().unwrap().iter().map(|i| i["slaDueAt"].as_str().unwrap()).collect();
    let parsed: Vec<DateTime<Utc>> = dues.iter().map(|d| d.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]));
    let everything = get("status=all&limit=1").await;
    assert_eq!(everything["total"], db("SELECT count(*) FROM exceptions").await);
    assert_eq!(
        get("status=resolved,wont_fix&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions WHERE status IN ('resolved', 'wont_fix')").await
    );
    assert_eq!(
        get("status=all&severity=CRITICAL,HIGH&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions WHERE severity IN ('CRITICAL', 'HIGH')").await
    );
    assert_eq!(
        get("status=all&reason=AMOUNT_MISMATCH&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions WHERE reason_code = 'AMOUNT_MISMATCH'").await
    );
    assert_eq!(
        get("status=all&deltaMinPaise=200&deltaMaxPaise=500&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions WHERE delta_paise BETWEEN 200 AND 500").await
    );
    assert_eq!(
        get("assignee=me&status=all&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions e JOIN users u ON u.id = e.assignee_id WHERE u.email = 'ops@settlepaisa.test'")
            .await
    );
    assert_eq!(
        get("assignee=none&limit=1").await["total"],
        db("SELECT count(*) FROM exceptions WHERE assignee_id IS NULL AND status NOT IN ('resolved', 'wont_fix')")
            .await
    );
    let (merchant, cycle): (String, chrono::NaiveDate) = sqlx::query_as(
        "SELECT merchant_id, cycle_date FROM exceptions WHERE merchant_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let r = app
        .get(
            &format!("/api/recon/v1/exceptions?status=all&merchantId={merchant}&cycleDate={cycle}&limit=500"),
            Some(&ops),
        )
        .await
        .json();
    let expected: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exceptions WHERE merchant_id = $1 AND cycle_date = $2")
            .bind(&merchant)
            .bind(cycle)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(r["total"], expected);
    assert!(r["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["merchantId"] == merchant.as_str() && i["cycleDate"] == cycle.to_string()));
    // Search by exception id, UTR and txn id.
    let (id, utr, txn): (String, String, String) = sqlx::query_as(
        "SELECT e.id, e.utr, t.txn_id FROM exceptions e JOIN transactions t ON t.id = e.transaction_id
         WHERE e.utr IS NOT NULL ORDER BY e.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for q in [id.to_lowercase(), utr.clone(), txn.clone()] {
        let r = app
            .get(&format!("/api/recon/v1/exceptions?status=all&q={}", common::urlencode(&q)), Some(&ops))
            .await
            .json();
        assert!(r["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()), "search {q}");
    }
    // Pages never overlap and cover the whole.
    let p1 = get("status=all&limit=10&offset=0").await;
    let p2 = get("status=all&limit=10&offset=10").await;
    let ids = |v: &Value| {
        v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert!(ids(&p1).iter().all(|i| !ids(&p2).contains(i)));
    // Bad parameters are 400 with the reason.
    for q in ["status=closed", "severity=URGENT", "slaBreached=maybe", "deltaMinPaise=-1", "limit=0", "from=2026-13-01"]
    {
        let r = app.get(&format!("/api/recon/v1/exceptions?{q}"), Some(&ops)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
    }
    // The CSV export of a filter holds exactly its rows.
    let csv = app.get("/api/recon/v1/exceptions/export.csv?status=all&severity=CRITICAL", Some(&ops)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let lines = csv.body.lines().count() as i64;
    assert_eq!(lines - 1, db("SELECT count(*) FROM exceptions WHERE severity = 'CRITICAL'").await);
    assert!(csv.body.starts_with("exception_id,reason_code,severity,status,"));
    // The page renders the same total.
    let page = app.get("/exceptions?status=all&severity=CRITICAL", Some(&ops)).await;
    assert_eq!(page.status, StatusCode::OK);
    let total = db("SELECT count(*) FROM exceptions WHERE severity = 'CRITICAL'").await;
    assert!(
        page.body.contains(&format!("of {total} exceptions"))
            || total <= 25 && page.body.contains(&format!("–{total} of {total}")),
        "{}",
        total
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bulk_actions_over_a_selection_and_all_matching(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let bulk = |body: Value| {
        let app = &app;
        let ops = ops.clone();
        async move { send(app, "POST", "/api/recon/v1/exceptions/bulk", Some(body), &ops).await }
    };
    // All matching: every unassigned active exception → admin. Count what matched and changed.
    let unassigned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM exceptions WHERE assignee_id IS NULL AND status NOT IN ('resolved', 'wont_fix')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(unassigned > 3);
    let r = bulk(json!({ "filter": { "assignee": "none" }, "action": "assign", "assignee": "admin@settlepaisa.test" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!((v["matched"].as_i64(), v["changed"].as_i64()), (Some(unassigned), Some(unassigned)));
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM exceptions WHERE assignee_id IS NULL AND status NOT IN ('resolved', 'wont_fix')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0);
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM exception_actions a JOIN users u ON u.id = a.actor_id
         WHERE a.action = 'assign' AND u.email = 'ops@settlepaisa.test' AND a.after->>'assignee' = 'admin@settlepaisa.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, unassigned, "one action row per changed exception");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'exception.bulk_assign'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);

    // A selection with a closed one: the closed one is skipped with its reason, the rest resolve.
    let open: Vec<String> = sqlx::query_scalar("SELECT id FROM exceptions WHERE status = 'open' ORDER BY id LIMIT 3")
        .fetch_all(&pool)
        .await
        .unwrap();
    let closed: String = sqlx::query_scalar("SELECT id FROM exceptions WHERE status = 'resolved' ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut ids = open.clone();
    ids.push(closed.clone());
    let r = bulk(json!({ "ids": ids, "action": "resolve", "resolution": "FALSE_POSITIVE", "note": "Bank confirmed" }))
        .await;
    let v = r.json();
    assert_eq!((v["matched"].as_i64(), v["changed"].as_i64()), (Some(4), Some(3)), "{v}");
    assert_eq!(v["skipped"][0]["id"], closed.as_str());
    assert!(v["skipped"][0]["reason"].as_str().unwrap().contains("already resolved"));
    let resolved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exceptions WHERE id = ANY($1) AND resolution = 'FALSE_POSITIVE'")
            .bind(&open)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(resolved, 3);

    // Bad requests change nothing: a snooze in the past, an unknown action, both ids and filter.
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM exception_actions").fetch_one(&pool).await.unwrap();
    let past = (app.clock.now() - Duration::hours(1)).to_rfc3339();
    for body in [
        json!({ "filter": {}, "action": "snooze", "until": past }),
        json!({ "ids": ["X"], "action": "explode" }),
        json!({ "ids": ["X"], "filter": {}, "action": "take" }),
        json!({ "ids": [], "action": "take" }),
    ] {
        assert_eq!(bulk(body.clone()).await.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM exception_actions").fetch_one(&pool).await.unwrap();
    assert_eq!(after, before);

    // The page's form: all matching a severity, escalated, and back to the page with the count.
    let high_open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM exceptions WHERE severity = 'HIGH' AND status IN ('open', 'investigating', 'snoozed')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let form = "back=%2Fexceptions%3Fseverity%3DHIGH&severity=HIGH&action=escalate&scope=matching&assignee=&note=";
    let r = app.send(plain_form_post("/api/recon/v1/exceptions/bulk", form.into(), &ops, "/exceptions")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location().unwrap().to_string();
    assert!(location.starts_with("/exceptions?severity=HIGH&notice="), "{location}");
    let decoded = percent_encoding::percent_decode_str(&location).decode_utf8().unwrap().replace('+', " ");
    assert!(decoded.contains(&format!("Escalate: {high_open} of ")), "{decoded}");
    // The selection form without a CSRF origin is refused.
    let r = app
        .post_form(
            "/api/recon/v1/exceptions/bulk",
            "ids=X&action=take&scope=selected",
            Some(&ops),
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    common::assert_rollups_exact(&pool).await;
}

/// A `back` with a newline would be an invalid `Location` (a plain-text 500 before): it is ignored
/// and the form goes back to the filter's own page.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_bulk_forms_unsafe_back_path_falls_back_to_the_page(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    for (back, expected) in
        [("%2Fexceptions%0A", "/exceptions?severity=HIGH&"), ("%2F%2Fevil.example", "/exceptions?severity=HIGH&")]
    {
        let form = format!("back={back}&severity=HIGH&action=take&scope=selected&ids=NO-SUCH");
        let r = app.send(plain_form_post("/api/recon/v1/exceptions/bulk", form, &ops, "/exceptions")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{back}: {}", r.body);
        let location = r.location().unwrap().to_string();
        assert!(location.starts_with(expected), "{back}: {location}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn saved_views_personal_and_shared(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let finance = cookie(&app, "finance@settlepaisa.test").await;
    let admin = cookie(&app, "admin@settlepaisa.test").await;
    let names = |v: Value| {
        v["views"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let seeded = ["My open exceptions", "SLA breached", "Critical & high", "Amount mismatches"];
    assert_eq!(names(app.get("/api/recon/v1/exceptions/views", Some(&finance)).await.json()), seeded);

    // The seeded views' links filter the queue as their names say.
    let views = app.get("/api/recon/v1/exceptions/views", Some(&ops)).await.json();
    let href = |name: &str| {
        views["views"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap()["href"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(href("My open exceptions"), "/exceptions?status=open%2Cinvestigating&assignee=me");
    assert_eq!(href("SLA breached"), "/exceptions?breached=1");
    let mine =
        app.get("/api/recon/v1/exceptions?status=open,investigating&assignee=me&limit=500", Some(&ops)).await.json();
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["assignee"] == "ops@settlepaisa.test" && (i["status"] == "open" || i["status"] == "investigating")));
    assert!(mine["total"].as_i64().unwrap() > 0, "the demo assigns open work to ops");

    // Personal: only its owner sees it. Shared: everyone. Finance may not share.
    let create = |c: &str, body: Value| {
        let app = &app;
        let c = c.to_string();
        async move { send(app, "POST", "/api/recon/v1/exceptions/views", Some(body), &c).await }
    };
    let personal =
        create(&ops, json!({ "name": "HDFC big deltas", "filters": { "acquirer": "HDFC", "deltaMin": "500" } })).await;
    assert_eq!(personal.status, StatusCode::CREATED, "{}", personal.body);
    let personal_id = personal.json()["id"].as_str().unwrap().to_string();
    let shared =
        create(&ops, json!({ "name": "Escalated", "shared": true, "filters": { "status": ["escalated"] } })).await;
    assert_eq!(shared.status, StatusCode::CREATED);
    let shared_id = shared.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        create(&finance, json!({ "name": "X", "shared": true, "filters": {} })).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        create(&finance, json!({ "name": "Mine", "filters": { "severity": ["LOW"] } })).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        create(&ops, json!({ "name": "HDFC big deltas", "filters": {} })).await.status,
        StatusCode::CONFLICT,
        "names are unique per owner"
    );
    assert_eq!(
        create(&ops, json!({ "name": "Bad", "filters": { "status": ["closed"] } })).await.status,
        StatusCode::BAD_REQUEST,
        "a view must be a filter the page can show"
    );
    let ops_views = names(app.get("/api/recon/v1/exceptions/views", Some(&ops)).await.json());
    assert!(ops_views.contains(&"HDFC big deltas".to_string()) && ops_views.contains(&"Escalated".to_string()));
    assert!(!ops_views.contains(&"Mine".to_string()));
    let finance_views = names(app.get("/api/recon/v1/exceptions/views", Some(&finance)).await.json());
    assert!(
        finance_views.contains(&"Escalated".to_string()) && !finance_views.contains(&"HDFC big deltas".to_string())
    );
    // Its link is the page's URL.
    let v = app.get("/api/recon/v1/exceptions/views", Some(&ops)).await.json();
    let hdfc = v["views"].as_array().unwrap().iter().find(|x| x["name"] == "HDFC big deltas").unwrap().clone();
    assert_eq!(hdfc["href"], "/exceptions?acquirer=HDFC&dmin=500");

    // Deleting: not someone else's; the owner may; an admin may delete a shared one.
    let del = |c: &str, id: &str| {
        let app = &app;
        let (c, id) = (c.to_string(), id.to_string());
        async move { send(app, "DELETE", &format!("/api/recon/v1/exceptions/views/{id}"), None, &c).await }
    };
    assert_eq!(del(&finance, &personal_id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(del(&admin, &personal_id).await.status, StatusCode::FORBIDDEN, "personal views are their owner's");
    assert_eq!(del(&ops, &personal_id).await.status, StatusCode::NO_CONTENT);
    assert_eq!(del(&admin, &shared_id).await.status, StatusCode::NO_CONTENT);
    assert_eq!(del(&ops, &shared_id).await.status, StatusCode::NOT_FOUND);
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE target_type = 'saved_view'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 5, "three creations and two deletions");
}

/// A hand-made exception (no demo) on a fresh PG row, created at `created`.
async fn fixture(pool: &PgPool, created: DateTime<Utc>, hours: i64) -> String {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('M_SLA', 'SLA Test', 'SLA Test Pvt Ltd')")
        .execute(pool)
        .await
        .unwrap();
    let tid: i64 = sqlx::query_scalar(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
         VALUES ('SLA-T1', 'M_SLA', 150000, $1, $2, 'UPI', 'EXCEPTION') RETURNING id",
    )
    .bind(created)
    .bind(ist::date_of(created))
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, merchant_id, cycle_date,
                                 transaction_id, created_at, updated_at)
         VALUES ('EXC-20261127-000001', 'PG_TXN_MISSING_IN_BANK', 'HIGH', $1, 150000, 'M_SLA', $2, $3, $4, $4)",
    )
    .bind(created + Duration::hours(hours))
    .bind(ist::date_of(created))
    .bind(tid)
    .bind(created)
    .execute(pool)
    .await
    .unwrap();
    "EXC-20261127-000001".into()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sla_breach_and_snooze_wake_up_on_a_controlled_clock(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let mut ops = app.session_for("ops@example.test").await;
    let t0 = app.clock.now();
    let id = fixture(&pool, t0, 8).await;
    // Sessions expire when the clock jumps hours: sign in again after each jump.
    let record = |ops: String| {
        let (app, id) = (&app, id.clone());
        async move { app.get(&format!("/api/recon/v1/exceptions/{id}"), Some(&ops)).await.json() }
    };
    let breached_total = |ops: String| {
        let app = &app;
        async move {
            app.get("/api/recon/v1/exceptions?slaBreached=true", Some(&ops)).await.json()["total"].as_i64().unwrap()
        }
    };
    assert_eq!(record(ops.clone()).await["slaBreached"], false);
    assert_eq!(breached_total(ops.clone()).await, 0);

    // Snoozed for 2 h: the queue says snoozed until then.
    let until = t0 + Duration::hours(2);
    let r = act(&app, &ops, &id, json!({ "action": "snooze", "until": until.to_rfc3339() })).await;
    assert_eq!(r.json()["status"], "snoozed");
    let kpis = || async {
        let s = queries::kpis(&pool, app.clock.now()).await.unwrap();
        (s.open, s.snoozed, s.sla_breached)
    };
    assert_eq!(kpis().await, (0, 1, 0));

    // 3 h later, before the job runs: it reads as open everywhere, though the row still says snoozed.
    app.clock.advance(Duration::hours(3));
    ops = app.session_for("ops@example.test").await;
    let v = record(ops.clone()).await;
    assert_eq!((v["status"].as_str(), v["snoozedUntil"].as_str()), (Some("open"), None));
    let open_list = app.get("/api/recon/v1/exceptions?status=open", Some(&ops)).await.json();
    assert_eq!(open_list["total"], 1);
    assert_eq!(open_list["counts"]["byStatus"], json!({ "open": 1 }));
    assert_eq!(app.get("/api/recon/v1/exceptions?status=snoozed", Some(&ops)).await.json()["total"], 0);
    assert_eq!(kpis().await, (1, 0, 0));
    let stored: String = one(&pool, "SELECT status FROM exceptions WHERE id = $1", &id).await;
    assert_eq!(stored, "snoozed");
    // The scheduled job then makes the row say so, with a `wake` entry dated at the snooze's end.
    let woke = commands::wake_snoozed(&pool, app.clock.now()).await.unwrap();
    assert_eq!(woke, 1);
    let stored: String = one(&pool, "SELECT status FROM exceptions WHERE id = $1", &id).await;
    assert_eq!(stored, "open");
    let log = record(ops.clone()).await["actions"].as_array().unwrap().clone();
    let wake = log.last().unwrap();
    assert_eq!((wake["action"].as_str(), wake["actor"].as_str()), (Some("wake"), None));
    assert_eq!(wake["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), until.trunc_subsecs(6));
    assert_eq!(commands::wake_snoozed(&pool, app.clock.now()).await.unwrap(), 0, "waking twice changes nothing");

    // 8 h after creation the SLA is breached — computed at read time, no write needed.
    app.clock.advance(Duration::hours(5) + Duration::minutes(1));
    ops = app.session_for("ops@example.test").await;
    assert_eq!(record(ops.clone()).await["slaBreached"], true);
    assert_eq!(breached_total(ops.clone()).await, 1);
    assert_eq!(kpis().await, (1, 0, 1));
    let page = app.get("/exceptions?breached=1", Some(&ops)).await;
    assert!(page.body.contains("Breached 1 min ago"), "the page shows the breach");
    // Resolved: no longer breached, and the transaction is unchanged for a write-off.
    let r =
        act(&app, &ops, &id, json!({ "action": "resolve", "resolution": "WRITE_OFF", "note": "Approved by finance" }))
            .await;
    assert_eq!(r.json()["slaBreached"], false);
    assert_eq!(breached_total(ops.clone()).await, 0);
    let txn: String = one(
        &pool,
        "SELECT t.status FROM exceptions e JOIN transactions t ON t.id = e.transaction_id WHERE e.id = $1",
        &id,
    )
    .await;
    assert_eq!(txn, "EXCEPTION");
    let s = queries::kpis(&pool, app.clock.now()).await.unwrap();
    assert_eq!((s.resolved_7d, s.inflow_24h), (1, 1));
    app.clock.advance(Duration::days(8));
    let s = queries::kpis(&pool, app.clock.now()).await.unwrap();
    assert_eq!((s.resolved_7d, s.inflow_24h), (0, 0), "the windows move with the clock");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_queue_uses_its_indexes_on_100000_records(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('M_BULK', 'Bulk', 'Bulk')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
         SELECT 'B-' || g, 'M_BULK', 1000 + g, now(), current_date, 'UPI', 'EXCEPTION' FROM generate_series(1, 100000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    // 15 % active, the rest closed history: the queue's real shape.
    sqlx::query(
        "INSERT INTO exceptions (id, reason_code, severity, status, sla_due_at, pg_amount_paise, delta_paise, merchant_id,
                                 cycle_date, transaction_id, resolution, resolved_at, created_at)
         SELECT 'EXC-20261127-' || lpad(t.id::text, 6, '0'),
                (ARRAY['AMOUNT_MISMATCH','PG_TXN_MISSING_IN_BANK','FEE_MISMATCH'])[1 + t.id % 3],
                (ARRAY['LOW','MEDIUM','HIGH','CRITICAL'])[1 + t.id % 4],
                CASE WHEN t.id % 100 < 15 THEN (ARRAY['open','investigating','escalated'])[1 + t.id % 3] ELSE 'resolved' END,
                now() + ((t.id % 200) - 100) * interval '1 hour', t.amount_paise, t.id % 1000, 'M_BULK', current_date, t.id,
                CASE WHEN t.id % 100 < 15 THEN NULL ELSE 'MANUAL_MATCH' END,
                CASE WHEN t.id % 100 < 15 THEN NULL ELSE now() END, now()
         FROM transactions t",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE exceptions").execute(&pool).await.unwrap();
    let now = Utc::now();
    for (name, query) in [
        ("default", ExceptionsQuery::default()),
        ("breached", ExceptionsQuery { breached: Some("1".into()), ..Default::default() }),
        (
            "open critical",
            ExceptionsQuery { status: Some("open".into()), severity: Some("CRITICAL".into()), ..Default::default() },
        ),
    ] {
        let (filter, sort, _) = query.parse().unwrap();
        assert_eq!(sort, SortKey::Due);
        let plan = queries::explain(&pool, &filter, sort, now).await.unwrap();
        let counts = plan.split("--- counts").nth(1).unwrap();
        assert!(plan.contains("exceptions_active_due_idx"), "{name}: the page walks the active index:\n{plan}");
        assert!(!counts.contains("Seq Scan on exceptions"), "{name}: the counts do not scan the history:\n{plan}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn cached_counts_follow_every_change_and_the_clock(pool: PgPool) {
    let mut app = TestApp::new(pool.clone());
    let cache = settlepaisa_ops::state::AppState::start_exception_counts(&pool);
    app.state = app.state.with(|s| s.exception_counts = cache.clone());
    assert!(common::eventually(async || cache.is_listening()).await, "the listener connects");
    app.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let t0 = app.clock.now();
    let id = fixture(&pool, t0, 8).await;
    let counts = |ops: String, q: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/recon/v1/exceptions?{q}"), Some(&ops)).await.json()["counts"].clone() }
    };
    let mut ops = app.session_for("ops@example.test").await;
    assert_eq!(counts(ops.clone(), "").await["byStatus"], json!({ "open": 1 }));
    assert_eq!(counts(ops.clone(), "slaBreached=true").await["byStatus"], json!({}));
    assert_eq!(cache.len(), 2, "both filters are cached");

    // A change here is seen at once (the writer flushes this instance's cache).
    let until = t0 + Duration::hours(2);
    act(&app, &ops, &id, json!({ "action": "snooze", "until": until.to_rfc3339() })).await;
    assert_eq!(counts(ops.clone(), "").await["byStatus"], json!({ "snoozed": 1 }));

    // A change made elsewhere arrives by notification.
    sqlx::query("UPDATE exceptions SET severity = 'LOW' WHERE id = $1").bind(&id).execute(&pool).await.unwrap();
    assert!(
        common::eventually(async || counts(ops.clone(), "").await["bySeverity"] == json!({ "LOW": 1 })).await,
        "the notification flushed the cache"
    );

    // Time alone: past the snooze end the cached counts are not used; the row counts as open.
    app.clock.advance(Duration::hours(2));
    ops = app.session_for("ops@example.test").await;
    assert_eq!(counts(ops.clone(), "").await["byStatus"], json!({ "open": 1 }));
    // …and past the SLA due, "SLA breached" counts it, with no write in between.
    assert_eq!(counts(ops.clone(), "slaBreached=true").await["byStatus"], json!({}));
    app.clock.advance(Duration::hours(6) + Duration::seconds(1));
    ops = app.session_for("ops@example.test").await;
    assert_eq!(counts(ops.clone(), "slaBreached=true").await["byStatus"], json!({ "open": 1 }));
    cache.stop().await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_csv_export_writes_negative_amounts_as_signed_numbers(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let ops = app.session_for("ops@example.test").await;
    let now = app.clock.now();
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('M_NEG', 'Neg Test', 'Neg Test Pvt Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    // The bank credited ₹1.50 and ₹0.50 more than the PG amount: Δ = PG − bank is negative.
    for (n, pg, bank) in [(1, 10_000_i64, 10_150_i64), (2, 20_000, 20_050)] {
        let tid: i64 = sqlx::query_scalar(
            "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
             VALUES ($1, 'M_NEG', $2, $3, $4, 'UPI', 'EXCEPTION') RETURNING id",
        )
        .bind(format!("NEG-T{n}"))
        .bind(pg)
        .bind(now)
        .bind(ist::date_of(now))
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, bank_amount_paise,
                                     delta_paise, merchant_id, cycle_date, transaction_id)
             VALUES ($1, 'AMOUNT_MISMATCH', 'LOW', $2, $3, $4, $5, 'M_NEG', $6, $7)",
        )
        .bind(format!("EXC-20261127-00000{n}"))
        .bind(now + Duration::hours(24))
        .bind(pg)
        .bind(bank)
        .bind(pg - bank)
        .bind(ist::date_of(now))
        .bind(tid)
        .execute(&pool)
        .await
        .unwrap();
    }
    let csv = app.get("/api/recon/v1/exceptions/export.csv?status=all&sort=delta", Some(&ops)).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let row = |id: &str| csv.body.lines().find(|l| l.starts_with(id)).unwrap_or_default().to_string();
    // pg_amount_inr, bank_amount_inr, delta_inr: signed, no quote, never `-1.-50` or a lost sign.
    assert!(row("EXC-20261127-000001").contains(",100.00,101.50,-1.50,"), "{}", csv.body);
    assert!(row("EXC-20261127-000002").contains(",200.00,200.50,-0.50,"), "{}", csv.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_csv_export_streams_every_row_once_in_order_over_several_chunks(pool: PgPool) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let app = TestApp::new(pool.clone());
    app.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let ops = app.session_for("ops@example.test").await;
    // 2,500 records, oldest first by number: far more text than one chunk (64 KB).
    for sql in [
        "INSERT INTO merchants (id, name, legal_name) VALUES ('M_STREAM', 'Stream', 'Stream')",
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
         SELECT 'S-' || g, 'M_STREAM', 100000 + g, now(), current_date, 'UPI', 'EXCEPTION'
         FROM generate_series(1, 2500) g",
        "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, delta_paise, merchant_id,
                                 cycle_date, transaction_id, created_at)
         SELECT 'EXC-20261127-' || lpad(substr(t.txn_id, 3), 6, '0'), 'AMOUNT_MISMATCH', 'LOW',
                now() + interval '1 day', t.amount_paise, 100000 - t.amount_paise, 'M_STREAM', current_date, t.id,
                now() - (102501 - t.amount_paise) * interval '1 minute'
         FROM transactions t WHERE t.merchant_id = 'M_STREAM'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }

    let req = Request::get("/api/recon/v1/exceptions/export.csv?status=all&sort=age")
        .header(header::HOST, HOST)
        .header(header::COOKIE, &ops)
        .body(Body::empty())
        .unwrap();
    let res = settlepaisa_ops::http::router(app.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let mut body = res.into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        frames.push(frame.expect("the export ends cleanly").into_data().expect("a data frame"));
    }
    assert!(frames.len() > 1, "the body arrives in chunks, not as one buffer: {} frame(s)", frames.len());
    let text = String::from_utf8(frames.concat()).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("exception_id,reason_code,severity,status,"));
    let ids: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    let expected: Vec<String> = (1..=2500).map(|n| format!("EXC-20261127-{n:06}")).collect();
    assert_eq!(ids, expected, "every row once, in the list's order");
    // Negative amounts are still plain signed numbers, whatever chunk they fall in.
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("EXC-20261127-002500,AMOUNT_MISMATCH,LOW,open,1025.00,,-25.00,M_STREAM,"), "{last}");
}

/// A plain form post that a server function refuses goes back to the form's page with the reason
/// (not a raw 403 page), and the refusal is audited as any other.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_refused_form_post_goes_back_to_its_page_and_is_audited(pool: PgPool) {
    let app = demo_app(&pool).await;
    let auditor = cookie(&app, "auditor@settlepaisa.test").await;
    let id: String =
        sqlx::query_scalar("SELECT id FROM exceptions ORDER BY id LIMIT 1").fetch_one(&pool).await.unwrap();
    let page = format!("/exceptions/{id}");
    let form = server_fn_form(&[("id", &id), ("action", "take")]);
    let r = app.send(plain_form_post("/sfn/exceptions/act", form, &auditor, &page)).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let back = r.location().unwrap();
    assert!(back.starts_with(&format!("{ORIGIN}{page}?")) && back.contains("__err="), "{back}");
    assert!(r.headers.get(settlepaisa_ops::audit::REFUSED_STATUS_HEADER).is_none(), "the mark goes no further");
    let refused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log
         WHERE action = 'request.refused' AND actor_email = 'auditor@settlepaisa.test' AND details LIKE '403%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refused, 1, "the refusal is audited");
}

/// Bank remarks, and the notes analysts write, may name a customer's account or e-mail: the detail
/// (API and page) shows them to the roles that may see personal data and masks them for the
/// auditor, as the Bank MIS and the audit log do.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bank_remarks_on_the_detail_are_masked_for_the_auditor(pool: PgPool) {
    let app = demo_app(&pool).await;
    let id: String = sqlx::query_scalar("SELECT id FROM exceptions WHERE bank_line_id IS NOT NULL ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let remarks = "NEFT from A/C 123456789012 ravi.k@example.com";
    sqlx::query(
        "UPDATE bank_statement_lines SET remarks = $2 WHERE id = (SELECT bank_line_id FROM exceptions WHERE id = $1)",
    )
    .bind(&id)
    .bind(remarks)
    .execute(&pool)
    .await
    .unwrap();
    // An analyst pastes the remark into a comment: the note is masked the same way.
    let ops = cookie(&app, "ops@settlepaisa.test").await;
    let commented = act(&app, &ops, &id, json!({ "action": "comment", "note": "Customer: ravi.k@example.com" })).await;
    assert_eq!(commented.status, StatusCode::OK, "{}", commented.body);
    // A note the product wrote (a run's, no actor) names records and runs by their numbers: shown
    // as written to everyone.
    let system_note = format!("Matched by recon run 5f1c2a9e-0000-4000-8000-000000000001 of cycle 2026-11-06: {id}");
    sqlx::query(
        "INSERT INTO exception_actions (exception_id, action, acted_at, note) VALUES ($1, 'auto_resolve', now(), $2)",
    )
    .bind(&id)
    .bind(&system_note)
    .execute(&pool)
    .await
    .unwrap();
    for (email, masked) in [("ops@settlepaisa.test", false), ("auditor@settlepaisa.test", true)] {
        let c = cookie(&app, email).await;
        let api = app.get(&format!("/api/recon/v1/exceptions/{id}"), Some(&c)).await;
        assert_eq!(api.status, StatusCode::OK, "{}", api.body);
        let page = app.get(&format!("/exceptions/{id}"), Some(&c)).await;
        assert_eq!(page.status, StatusCode::OK);
        for body in [&api.body, &page.body] {
            assert_eq!(body.contains("123456789012"), !masked, "{email}");
            assert_eq!(body.contains("ravi.k@example.com"), !masked, "{email}");
            assert!(body.contains("NEFT from"), "{email}: the rest of the remark is shown");
            assert!(body.contains("Customer: "), "{email}: the rest of the note is shown");
            assert!(body.contains(&system_note), "{email}: the run's note as written");
        }
    }
}
