//! Test harness: the real router on a real (per-test) Postgres database, driven in-process with
//! `tower::ServiceExt::oneshot`, with a manual clock for session expiry.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use sqlx::PgPool;
use tower::ServiceExt;

use settlepaisa_ops::auth::{password, users, Role};
use settlepaisa_ops::config::Config;
use settlepaisa_ops::notified_cache::NotifiedCache;
use settlepaisa_ops::state::{AppState, ManualClock, StateParts};

pub const HOST: &str = "127.0.0.1:3000";
pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "Correct-Horse-42";

/// The socket peer of a request that came through the reverse proxy on this host (in the default
/// `TRUSTED_PROXIES`): its `X-Forwarded-For` is believed when `TRUST_FORWARDED_FOR` is on.
pub const LOCAL_PROXY: axum::extract::ConnectInfo<std::net::SocketAddr> = axum::extract::ConnectInfo(
    std::net::SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 40000)),
);

pub struct TestApp {
    pub pool: PgPool,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
}

impl TestApp {
    /// The app on the test's database (`pool`: the one `#[sqlx::test]` gives).
    pub fn new(pool: PgPool) -> TestApp {
        Self::with_config(own_pool(&pool), Config::for_tests("postgres://unused"))
    }

    pub fn with_config(pool: PgPool, config: Config) -> TestApp {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let leptos_options = Arc::new(
            leptos::config::LeptosOptions::builder().output_name("settlepaisa-ops").site_root("target/site").build(),
        );
        let objects = Arc::new(object_store::memory::InMemory::new());
        let state = AppState::new(StateParts {
            pool: pool.clone(),
            config: Arc::new(config),
            leptos_options,
            clock: clock.clone(),
            objects,
            principals: NotifiedCache::disabled(),
            dispute_kpis: NotifiedCache::disabled(),
            exception_counts: NotifiedCache::disabled(),
            sessions: NotifiedCache::disabled(),
            session_owners: NotifiedCache::disabled(),
            pages: NotifiedCache::disabled(),
            renders: Arc::new(settlepaisa_ops::http::page_cache::RenderGate::for_pool(&pool)),
            exports: Arc::new(settlepaisa_ops::http::csv::ExportGate::for_pool(&pool)),
            mailer: None,
        });
        TestApp { pool, clock, state }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = settlepaisa_ops::http::router(self.state.clone()).oneshot(req).await.expect("router answers");
        Reply::read(res).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let mut req = Request::get(path).header(header::HOST, HOST);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// A same-origin form post, as the browser sends it.
    pub async fn post_form(&self, path: &str, form: &str, cookie: Option<&str>, origin: Option<&str>) -> Reply {
        let mut req = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(form.to_string())).unwrap()).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let form = format!("email={}&password={}", urlencode(email), urlencode(password));
        self.post_form("/login", &form, None, Some(ORIGIN)).await
    }

    /// Sign in and return the `name=value` of the session cookie.
    pub async fn session_for(&self, email: &str) -> String {
        self.session_for_password(email, PASSWORD).await
    }

    /// Sign in with `password` and return the `name=value` of the session cookie.
    pub async fn session_for_password(&self, email: &str, password: &str) -> String {
        let reply = self.login(email, password).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "sign-in redirects");
        assert_eq!(reply.location(), Some("/overview"), "sign-in succeeds for {email}");
        reply.session_cookie().expect("sign-in sets the session cookie")
    }

    pub async fn create_user(&self, email: &str, roles: &[Role]) {
        let hash = password::hash(PASSWORD).unwrap();
        let mut conn = self.pool.acquire().await.unwrap();
        users::create(&mut conn, uuid::Uuid::new_v4(), email, "Test User", &hash, roles).await.unwrap();
    }
}

/// A pool of the app's own on the test's database, as a server has: `#[sqlx::test]`'s pool allows
/// 5 connections borrowed from one parent pool that every test of the binary shares, and a page
/// render's parallel queries under a full suite then waited out the 30 s acquire timeout now and
/// then (a 503 from a page test, never when run alone).
pub fn own_pool(test_pool: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .idle_timeout(std::time::Duration::from_secs(1))
        .connect_lazy_with((*test_pool.connect_options()).clone())
}

/// A pool of one connection on the test's database: every query of it runs in the same session
/// (whose prepared statements a test can read), or waits for the one connection.
pub async fn one_connection_pool(test_pool: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*test_pool.connect_options()).clone())
        .await
        .unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (a spreadsheet, a PDF).
    pub bytes: Vec<u8>,
}

impl Reply {
    async fn read(res: Response<Body>) -> Reply {
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes: bytes.to_vec() }
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("sp_session="))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("JSON body ({e}): {}", self.body))
    }
}

/// The demo data anchored today, and an app on it.
pub async fn demo_app(pool: &PgPool) -> TestApp {
    settlepaisa_ops::demo::seed(pool, settlepaisa_ops::ist::today(Utc::now())).await.unwrap();
    TestApp::new(pool.clone())
}

/// Sign a demo user in with the demo password; the session cookie.
pub async fn demo_cookie(app: &TestApp, email: &str) -> String {
    let reply = app.login(email, settlepaisa_ops::demo::DEMO_PASSWORD).await;
    assert_eq!(reply.location(), Some("/overview"), "{email} signs in");
    reply.session_cookie().unwrap()
}

pub fn urlencode(s: &str) -> String {
    settlepaisa_ops::auth::guard::urlencode(s)
}

/// The url-encoded body a browser sends for a server function whose one argument is `form`: each
/// field as `form[name]=value`, brackets percent-encoded as browsers send them.
pub fn server_fn_form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(name, value)| format!("form%5B{name}%5D={}", urlencode(value))).collect::<Vec<_>>().join("&")
}

/// A form post as a browser without JavaScript makes it: `Accept: text/html` and the page it was
/// on, where the server function sends it back.
pub fn plain_form_post(path: &str, form: String, cookie: &str, page: &str) -> Request<Body> {
    Request::post(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, format!("{ORIGIN}{page}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap()
}

pub fn fixed_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 6, 0, 0).unwrap()
}

/// Poll until `check` holds (notifications arrive asynchronously), for at most five seconds.
pub async fn eventually(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// A `multipart/form-data` body with text fields and an optional `file` field: (content type, bytes).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----settlepaisa-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A same-origin multipart POST as the signed-in `cookie`.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Reply {
    let (content_type, body) = multipart(fields, file);
    let req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// A same-origin JSON request (`method`: POST, PUT, DELETE…) as the signed-in `cookie`.
pub async fn json_request(app: &TestApp, method: &str, path: &str, cookie: &str, body: serde_json::Value) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    app.send(req).await
}

/// The daily rollups (`txn_daily`, `exception_daily`) equal the ledger they summarise: the end of
/// every scenario that writes through the product's own paths checks it.
pub async fn assert_rollups_exact(pool: &PgPool) {
    let diff: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' | ', rollup, cycle_date, key, rollup_value, ledger_value) FROM rollup_differences()",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(diff.is_empty(), "the rollups differ from the ledger: {diff:#?}");
}

/// A CSV body as its header and rows, each row a map from header to cell.
pub fn csv_rows(reply: &Reply) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let mut reader = csv::Reader::from_reader(reply.body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows =
        reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect();
    (header, rows)
}

/// Whether some session waits for a lock that backend `pid` holds (a spawned statement has reached
/// that lock, not merely not started yet), polled for at most 30 s: a bound far above the
/// milliseconds it takes, for a 2-core machine running many suites at once.
pub async fn until_blocked_by(pool: &PgPool, pid: i32) -> bool {
    for _ in 0..600 {
        let waits: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))")
                .bind(pid)
                .fetch_one(pool)
                .await
                .unwrap();
        if waits {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// The figure of a page's KPI tile `test_id` (its `data-kpi-value` element's text).
pub fn tile(body: &str, test_id: &str) -> String {
    let at = body.find(&format!("data-testid=\"{test_id}\"")).unwrap_or_else(|| panic!("no {test_id} tile"));
    let rest = &body[at..];
    let value = &rest[rest.find("data-kpi-value").expect("the tile's value")..];
    let value = &value[value.find('>').unwrap() + 1..];
    value[..value.find('<').unwrap()].to_string()
}
