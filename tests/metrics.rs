//! Prometheus metrics: requests are counted by route template (not raw path) and status, and the
//! pool, the queue, connector health and SLA breaches are reported. One metrics test per binary:
//! the recorder is process-wide. And the request log: one JSON line per request, with the route
//! template, the request id sent back, the user — and no password, path ids or query.

mod common;

use common::TestApp;
use settlepaisa_ops::auth::Role;
use sqlx::PgPool;
use tower::ServiceExt;

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn requests_are_counted_by_route_and_status(pool: PgPool) {
    let handle = settlepaisa_ops::http::metrics::install_recorder().unwrap();
    let app = TestApp::new(pool.clone());
    app.create_user("ops@example.test", &[Role::Ops]).await;
    assert_eq!(app.get("/health", None).await.status, 200);
    assert_eq!(app.get("/api/overview/overview", None).await.status, 401);
    let cookie = app.session_for("ops@example.test").await;
    assert_eq!(app.get("/api/overview/overview", Some(&cookie)).await.status, 200);
    // Invented methods share one label, so they cannot mint a time series each.
    for invented in ["FOO", "BAR-1"] {
        let req = axum::http::Request::builder().method(invented).uri("/health").header("host", common::HOST);
        app.send(req.body(axum::body::Body::empty()).unwrap()).await;
    }

    settlepaisa_ops::jobs::enqueue(&pool, "noop", &serde_json::json!({}), None).await.unwrap();
    // A connector that never succeeded is FAILING (2), as on the Overview.
    sqlx::query(
        "INSERT INTO connectors (id, name, connector_type, status, schedule_cron)
         VALUES (gen_random_uuid(), 'AXIS SFTP', 'BANK_SFTP', 'ACTIVE', '0 2 * * *')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let metrics_app = settlepaisa_ops::http::metrics::router(handle, app.state.clone());
    let res = metrics_app
        .oneshot(axum::http::Request::get("/metrics").body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let body = String::from_utf8(http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec())
        .unwrap();
    let has = |needle: &str| body.lines().any(|l| l.starts_with("http_requests_total") && l.contains(needle));
    assert!(has(r#"route="/health",status="200""#), "{body}");
    assert!(has(r#"route="/api/overview/overview",status="200""#), "{body}");
    assert!(has(r#"route="unrouted",status="401""#), "refused before routing: {body}");
    assert!(has(r#"route="/login",status="303""#), "{body}");
    assert!(has(r#"method="other""#), "{body}");
    assert!(!body.contains(r#"method="FOO""#), "{body}");
    assert!(body.contains("http_request_duration_seconds_bucket"), "{body}");
    assert!(body.contains("db_pool_connections"), "{body}");
    // The job queue by status, read at the scrape: one queued job, none failed.
    assert!(body.lines().any(|l| l.starts_with("jobs{status=\"queued\"} 1")), "{body}");
    assert!(body.lines().any(|l| l.starts_with("jobs{status=\"failed\"} 0")), "{body}");
    let line = |name: &str| body.lines().find(|l| l.starts_with(name)).map(str::to_string);
    assert_eq!(line("db_up").as_deref(), Some("db_up 1"), "{body}");
    assert_eq!(line("connector_health{").as_deref(), Some(r#"connector_health{connector="AXIS SFTP"} 2"#), "{body}");
    assert!(line("connector_last_success_timestamp_seconds").is_none(), "no success, no timestamp: {body}");
    assert_eq!(line("connector_paused{").as_deref(), Some(r#"connector_paused{connector="AXIS SFTP"} 0"#), "{body}");
    assert_eq!(line("exceptions_sla_breached").as_deref(), Some("exceptions_sla_breached 0"), "{body}");
    // Counters the alert rules read exist from the start, at 0.
    assert!(body.lines().any(|l| l == r#"jobs_failed_total{kind="recon_run"} 0"#), "{body}");
    assert!(body.lines().any(|l| l == "recon_rows_matched_total 0"), "{body}");
}

/// The log lines written while `work` runs, as JSON (the `LOG_FORMAT=json` layout).
async fn logged<F: std::future::Future<Output = ()>>(work: F) -> Vec<serde_json::Value> {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber =
        tracing_subscriber::fmt().json().with_env_filter("info").with_writer(move || writer.clone()).finish();
    {
        let _guard = tracing::subscriber::set_default(subscriber);
        work.await;
    }
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn one_log_line_per_request_with_route_template_request_id_and_user(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("ops@example.test", &[Role::Ops]).await;
    let user_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ops@example.test'").fetch_one(&pool).await.unwrap();
    let utr = "UTR998877665544";
    let mut replies = Vec::new();
    let lines = logged(async {
        let cookie = app.session_for("ops@example.test").await;
        replies.push(app.get(&format!("/transactions/987654321?search={utr}"), Some(&cookie)).await);
        // A proxy's plausible id is kept; anything else is replaced, never logged as given.
        for given in ["edge-7f3a.1", "two words", &"x".repeat(65)] {
            let req = axum::http::Request::get("/health").header("host", common::HOST).header("x-request-id", given);
            replies.push(app.send(req.body(axum::body::Body::empty()).unwrap()).await);
        }
        // A wrong password is not logged either.
        replies.push(app.login("ops@example.test", "Wrong-Password-4711").await);
    })
    .await;
    let requests: Vec<&serde_json::Value> = lines.iter().filter(|l| l["target"] == "http").collect();
    assert_eq!(requests.len(), 6, "one line per request (sign-in, page, 3 × health, sign-in): {lines:#?}");
    let field = |l: &serde_json::Value, f: &str| l["fields"][f].clone();
    let page = requests[1];
    assert_eq!(field(page, "method"), "GET");
    assert_eq!(field(page, "route"), "/transactions/{id}", "the template, not the path");
    assert_eq!(field(page, "status"), replies[0].status.as_u16());
    assert!(field(page, "latency_ms").as_f64().is_some_and(|ms| ms >= 0.0), "{page}");
    assert_eq!(field(page, "user_id"), user_id.to_string());
    let sent_id = replies[0].headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(sent_id).is_ok(), "a new id is a UUID: {sent_id}");
    assert_eq!(field(page, "request_id"), sent_id, "the id logged is the id sent back");
    assert_eq!(page["span"]["request_id"], sent_id, "and every line of the request carries it");
    // The sign-in posts: no user yet.
    assert!(field(requests[0], "user_id").is_null(), "{}", requests[0]);
    assert_eq!(field(requests[0], "route"), "/login");
    // Request ids: the proxy's kept, the others replaced by new UUIDs.
    assert_eq!(replies[1].headers["x-request-id"], "edge-7f3a.1");
    assert_eq!(field(requests[2], "request_id"), "edge-7f3a.1");
    for (reply, line) in [(&replies[2], requests[3]), (&replies[3], requests[4])] {
        let id = reply.headers["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "replaced: {id}");
        assert_eq!(field(line, "request_id"), id);
    }
    let all = serde_json::to_string(&lines).unwrap();
    for secret in [utr, "987654321", "Wrong-Password-4711", common::PASSWORD, "two words"] {
        assert!(!all.contains(secret), "{secret:?} is in the log: {all}");
    }
}
