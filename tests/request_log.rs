//! The request log (spec 09, issue 16): one JSON line per request with method, route template,
//! status, latency, request id (sent back as `x-request-id`) and user id — and no password, path
//! ids or query. One test in this binary: it installs the process-wide log subscriber.

mod common;

use common::TestApp;
use settlepaisa_ops::auth::Role;
use sqlx::PgPool;

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
