//! Prometheus metrics: requests are counted by route template (not raw path) and status, and the
//! pool is reported. One test per binary: the recorder is process-wide.

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
    let metrics_app = settlepaisa_ops::http::metrics::router(handle, pool);
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
}
