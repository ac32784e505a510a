//! Prometheus metrics: requests are counted by route template (not raw path) and status, and the
//! pool, the queue, connector health and SLA breaches are reported. One test per binary: the
//! recorder is process-wide (the request log has its own binary, tests/request_log.rs).

mod common;

use common::TestApp;
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::state::Clock;
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
    // A holiday calendar of this year and the next, eight days each (a year counts once it holds
    // eight), whatever today is.
    let this_year = chrono::Datelike::year(&settlepaisa_ops::ist::today(app.clock.now()));
    sqlx::query("DELETE FROM holidays").execute(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO holidays (holiday_date, name) SELECT make_date(y, 2, d), 'Test holiday'
         FROM generate_series($1, $1 + 1) y, generate_series(1, 8) d",
    )
    .bind(this_year)
    .execute(&pool)
    .await
    .unwrap();
    // The metrics port reads through a pool of its own here, closed below to play the database
    // going away.
    let own_pool = PgPool::connect_with((*pool.connect_options()).clone()).await.unwrap();
    let metrics_app = settlepaisa_ops::http::metrics::router(handle, app.state.with(|s| s.pool = own_pool.clone()));
    let scrape = async || {
        let res = metrics_app
            .clone()
            .oneshot(axum::http::Request::get("/metrics").body(axum::body::Body::empty()).unwrap())
            .await
            .unwrap();
        String::from_utf8(http_body_util::BodyExt::collect(res.into_body()).await.unwrap().to_bytes().to_vec()).unwrap()
    };
    let body = scrape().await;
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
    // The facts were read at this scrape, and when.
    assert_eq!(line("db_facts_fresh").as_deref(), Some("db_facts_fresh 1"), "{body}");
    let read_at = line("db_facts_read_timestamp_seconds ").unwrap();
    let seconds: f64 = read_at["db_facts_read_timestamp_seconds ".len()..].parse().unwrap();
    assert_eq!(seconds, app.clock.now().timestamp() as f64, "the app's clock (a manual one here): {body}");
    // The holiday calendar covers this year and the next: it ends on 1 January two years on (at
    // 00:00 UTC); emptied, it ends on this year's 1 January, which the alert takes for ended.
    let calendar_end = |body: &str| -> i64 {
        let line = body.lines().find(|l| l.starts_with("holiday_calendar_end_timestamp_seconds ")).expect(body);
        line["holiday_calendar_end_timestamp_seconds ".len()..].parse::<f64>().unwrap() as i64
    };
    let january_first = |year| chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    assert_eq!(calendar_end(&body), january_first(this_year + 2).and_utc().timestamp(), "{body}");
    sqlx::query("DELETE FROM holidays").execute(&pool).await.unwrap();
    assert_eq!(calendar_end(&scrape().await), january_first(this_year).and_utc().timestamp());

    // With the database gone, the scrape still answers: down, the facts not fresh (their last
    // values served, the connector's series included) and the read time left as it was.
    own_pool.close().await;
    let body = scrape().await;
    let line = |name: &str| body.lines().find(|l| l.starts_with(name)).map(str::to_string);
    assert_eq!(line("db_up").as_deref(), Some("db_up 0"), "{body}");
    assert_eq!(line("db_facts_fresh").as_deref(), Some("db_facts_fresh 0"), "{body}");
    assert_eq!(line("connector_health{").as_deref(), Some(r#"connector_health{connector="AXIS SFTP"} 2"#), "{body}");
    assert_eq!(line("db_facts_read_timestamp_seconds "), Some(read_at), "{body}");
}
