//! `/health` and the seven service health checks, with the database up and with it down.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use settlepaisa_ops::config::Config;
use sqlx::PgPool;

/// A syntactically valid session id (base64 of 16 bytes), so the store is consulted.
const WELL_FORMED_SESSION: &str = "sp_session=AAAAAAAAAAAAAAAAAAAAAA";

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn healthy_with_the_database_up(pool: PgPool) {
    let app = TestApp::new(pool);
    let r = app.get("/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["service"], "settlepaisa-ops");
    assert_eq!(body["database"], "up");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
    for service in ["pg", "bank", "recon", "disputes", "overview", "analytics", "ingest"] {
        let r = app.get(&format!("/api/{service}/health"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{service}");
        assert_eq!(r.json()["service"], format!("{service}-api"));
        assert_eq!(r.json()["status"], "healthy");
    }
    let unknown = app.get("/api/payroll/health", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["error"], "not_found");
}

/// The app pointed at a database that is not running: health says so with 503, pages say so in words.
#[tokio::test]
async fn unhealthy_when_the_database_is_down() {
    // Port 1 on loopback: nothing listens there.
    let config = Config::for_tests("postgres://settlepaisa:x@127.0.0.1:1/settlepaisa");
    let pool = settlepaisa_ops::db::pool(&config).unwrap();
    let app = TestApp::with_config(pool, config);
    let r = app.get("/health", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["status"], "unhealthy");
    assert_eq!(r.json()["database"], "down");
    let r = app.get("/api/disputes/health", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["service"], "disputes-api");

    let page = app.get("/overview", Some(WELL_FORMED_SESSION)).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("The database is not reachable"), "{}", page.body);
    let sign_in = app.login("ops@example.test", "Correct-Horse-42").await;
    assert_eq!(sign_in.status, StatusCode::SERVICE_UNAVAILABLE, "not 'wrong password' when we cannot check");
    assert!(sign_in.body.contains("The database is not reachable"));
    let api = app.get("/api/overview/overview", Some(WELL_FORMED_SESSION)).await;
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.json()["error"], "unavailable");
}
