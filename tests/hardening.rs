//! The edges a security review probed (issue 10): server-function body size, page numbers at the
//! end of i64, panics, the time limit, the pool's timeouts, caching of downloads and of assets.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use common::{demo_app, demo_cookie, multipart, TestApp, HOST, ORIGIN};
use futures::StreamExt;
use http_body_util::BodyExt;
use settlepaisa_ops::config::Config;
use sqlx::PgPool;
use tower::ServiceExt;

const HUGE: &str = "9223372036854775807";

fn same_origin_post(path: &str, content_type: &str, body: Vec<u8>, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::from(body)).unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn server_function_bodies_over_a_megabyte_are_refused(pool: PgPool) {
    let app = TestApp::new(pool);
    let five_mb = vec![b'a'; 5 * 1024 * 1024];
    let mut declared = same_origin_post("/sfn/anything", "application/x-www-form-urlencoded", five_mb.clone(), None);
    declared.headers_mut().insert(header::CONTENT_LENGTH, five_mb.len().into());
    assert_eq!(app.send(declared).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a declared length (a chunked body) the limit holds as the body is read.
    let streamed = same_origin_post("/sfn/anything", "application/x-www-form-urlencoded", five_mb, None);
    assert_eq!(app.send(streamed).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn page_numbers_past_the_range_are_a_400(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    for page in ["/disputes", "/exceptions"] {
        let r = app.get(&format!("{page}?page={HUGE}"), Some(&ops)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{page}");
        assert!(r.body.contains("Page must be a positive number"), "{page}: {}", r.body);
        assert_eq!(app.get(&format!("{page}?page=2"), Some(&ops)).await.status, StatusCode::OK, "{page}");
    }
    for list in ["/api/disputes/v1/chargebacks", "/api/recon/v1/exceptions"] {
        for query in [format!("offset={HUGE}"), format!("limit={HUGE}"), "offset=10000001".to_string()] {
            let r = app.get(&format!("{list}?{query}"), Some(&ops)).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{list}?{query}");
            assert_eq!(r.json()["error"], "bad_request", "{list}?{query}");
        }
        assert_eq!(app.get(&format!("{list}?offset=10000000"), Some(&ops)).await.status, StatusCode::OK, "{list}");
    }
    // A server function takes the page from the client as a number: the same range holds there.
    let run = uuid::Uuid::new_v4();
    let form = format!("id={run}&page={HUGE}").into_bytes();
    let r = app.send(same_origin_post("/sfn/recon/run", "application/x-www-form-urlencoded", form, Some(&ops))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

/// Dates at the ends of chrono's calendar (`%Y` takes signed years of any width) are a 400 with
/// a sentence, never a panic in the day arithmetic behind the filter.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn dates_outside_the_business_calendar_are_a_400(pool: PgPool) {
    let app = TestApp::new(pool);
    app.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let ops = app.session_for("ops@example.test").await;
    let extremes = ["to=%2B262143-12-31", "from=-262144-01-01", "from=-262144-01-01&to=%2B262143-12-31"];
    for path in ["/api/recon/summary", "/api/disputes/v1/chargebacks", "/overview", "/exceptions"] {
        for query in extremes {
            // The overview's custom window needs both ends.
            let query = if path == "/overview" && !query.contains('&') {
                format!("{query}&{}", if query.starts_with("to") { "from=2026-11-01" } else { "to=2026-11-01" })
            } else {
                query.to_string()
            };
            let r = app.get(&format!("{path}?{query}"), Some(&ops)).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}?{query}: {}", r.body);
            assert!(r.body.contains("must be a date"), "{path}?{query}: {}", r.body);
        }
    }
}

/// A caller refused over and over cannot grow the append-only audit log at will: ten rows a minute
/// and one saying the rest are only counted; a refusal's row keeps the route and at most 256
/// characters of the path.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn refusals_are_audited_within_bounds(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("auditor@example.test", &[settlepaisa_ops::auth::Role::Auditor]).await;
    let auditor = app.session_for("auditor@example.test").await;
    let long_id = "x".repeat(4000);
    let path = format!("/api/recon/v1/exceptions/{long_id}/actions");
    let refused = app.send(same_origin_post(&path, "application/json", b"{}".to_vec(), Some(&auditor))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let (target, details): (String, String) =
        sqlx::query_as("SELECT target_id, details FROM audit_log WHERE action = 'request.refused'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(target, format!("POST {}", &path[..256]), "the path is cut at 256 characters");
    assert!(details.contains("/api/recon/v1/exceptions/{id}/actions"), "the route template: {details}");

    for _ in 1..50 {
        assert_eq!(app.get("/settings", Some(&auditor)).await.status, StatusCode::FORBIDDEN);
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'request.refused%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 11, "50 refusals in a minute: 10 rows and the one saying the rest are counted");
    let throttled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'request.refused.throttled'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(throttled, 1);
    // The next minute is written again.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(app.get("/settings", Some(&auditor)).await.status, StatusCode::FORBIDDEN);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'request.refused'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 11);
}

async fn answer(app: Router, req: Request<Body>) -> (StatusCode, String, String) {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let content_type = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, content_type.unwrap_or_default(), String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_callers_format() {
    async fn boom() -> &'static str {
        panic!("a bug in a handler")
    }
    let app =
        settlepaisa_ops::http::catch_panics(Router::new().route("/api/boom", get(boom)).route("/boom", get(boom)));

    let (status, content_type, body) =
        answer(app.clone(), Request::get("/api/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"], "internal");
    assert!(!json["message"].as_str().unwrap().contains("bug"), "the panic's text stays in the log");

    let (status, content_type, body) = answer(app, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("Something went wrong on our side"), "{body}");
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(400)).await;
    "done"
}

/// The routes of the app's shape (`/api` nested, with a fallback) under a 100 ms time limit and a
/// 100 ms idle limit on upload bodies.
fn limited(api: Router) -> Router {
    let routes = Router::new().nest("/api", api.fallback(|| async { StatusCode::NOT_FOUND })).route(
        "/sfn/{*fn_name}",
        axum::routing::post(|body: Body| async move {
            let _ = body.collect().await;
            slow().await
        }),
    );
    settlepaisa_ops::http::time_limit(
        routes.route("/slow", get(slow).post(slow)),
        Duration::from_millis(100),
        Duration::from_millis(100),
    )
}

#[tokio::test]
async fn slow_requests_stop_at_the_time_limit_but_uploads_do_not() {
    let app = limited(Router::new().route("/slow", get(slow)));
    let (status, _, body) = answer(app.clone(), Request::get("/api/slow").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"], "timeout");
    let (status, content_type, _) = answer(app.clone(), Request::get("/slow").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(content_type.starts_with("text/html"), "{content_type}");

    let upload_routes = Router::new()
        .route("/recon/v1/uploads", axum::routing::post(slow))
        .route("/disputes/v1/chargebacks/{id}/documents", axum::routing::post(slow))
        .route("/slow/export.csv", get(slow));
    let app = limited(upload_routes);
    let (content_type, body) = multipart(&[], Some(("big.csv", b"a,b\n1,2\n")));
    for path in ["/api/recon/v1/uploads", "/api/disputes/v1/chargebacks/CB-1/documents"] {
        let upload =
            Request::post(path).header(header::CONTENT_TYPE, &content_type).body(Body::from(body.clone())).unwrap();
        let (status, _, body) = answer(app.clone(), upload).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "done"), "{path}: an upload arrives at the client's pace");
    }
    let export = Request::get("/api/slow/export.csv").body(Body::empty()).unwrap();
    assert_eq!(answer(app, export).await.0, StatusCode::OK, "a CSV export may take its time");
}

/// The exemption is the server's choice by route: a client that labels any request as a file
/// upload does not escape the limit.
#[tokio::test]
async fn a_file_content_type_does_not_lift_the_time_limit() {
    let app = limited(Router::new());
    let (content_type, body) = multipart(&[], Some(("big.csv", b"a,b\n1,2\n")));
    for (path, content_type, body) in [
        ("/sfn/x", content_type.as_str(), body.clone()),
        ("/sfn/x", "text/csv", b"a,b\n".to_vec()),
        ("/slow", content_type.as_str(), body),
    ] {
        let req = Request::post(path).header(header::CONTENT_TYPE, content_type).body(Body::from(body)).unwrap();
        assert_eq!(answer(app.clone(), req).await.0, StatusCode::SERVICE_UNAVAILABLE, "{path} as {content_type}");
    }
}

/// An upload whose client stops sending is cut off (408), not left holding its transaction.
#[tokio::test]
async fn a_stalled_upload_body_is_cut_off() {
    let app = limited(Router::new().route(
        "/recon/v1/uploads",
        axum::routing::post(|body: Body| async move {
            match body.collect().await {
                Ok(_) => StatusCode::CREATED,
                Err(_) => StatusCode::BAD_REQUEST,
            }
        }),
    ));
    let first = futures::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"--boundary\r\n")) });
    let drip = first.chain(futures::stream::pending());
    let req = Request::post("/api/recon/v1/uploads")
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=boundary")
        .body(Body::from_stream(drip))
        .unwrap();
    let (status, _, body) =
        tokio::time::timeout(Duration::from_secs(5), answer(app, req)).await.expect("the stalled upload is cut off");
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert!(body.contains("upload"), "{body}");
}

/// On the real router: a server function sent as `multipart/form-data` is time-limited, a recon
/// upload (the same content type, the same slow client) is not.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_real_routes_choose_the_time_limit(pool: PgPool) {
    let mut config = Config::for_tests("postgres://unused");
    config.request_timeout = Duration::from_millis(200);
    // Signing in (argon2, unoptimised in tests) takes longer than the short limit.
    let unlimited = TestApp::new(pool.clone());
    unlimited.create_user("ops@example.test", &[settlepaisa_ops::auth::Role::Ops]).await;
    let cookie = unlimited.session_for("ops@example.test").await;
    let app = TestApp::with_config(pool, config);
    let slow_post = |path: &str| {
        let (content_type, body) = multipart(&[("kind", "pg"), ("cycleDate", "2026-11-26")], Some(("pg.csv", b"x\n")));
        let late = futures::stream::once(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            Ok::<_, std::io::Error>(bytes::Bytes::from(body))
        });
        Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from_stream(late))
            .unwrap()
    };
    let sfn = app.send(slow_post("/sfn/anything")).await;
    assert_eq!(sfn.status, StatusCode::SERVICE_UNAVAILABLE, "{}", sfn.body);
    let upload = app.send(slow_post("/api/recon/v1/uploads")).await;
    assert_ne!(upload.status, StatusCode::SERVICE_UNAVAILABLE, "{}", upload.body);
    assert_ne!(upload.status, StatusCode::UNAUTHORIZED, "{}", upload.body);
}

#[tokio::test]
async fn pool_connections_carry_the_configured_timeouts() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (make db-start prints it)");
    let mut config = Config::for_tests(&url);
    config.db_statement_timeout = Duration::from_secs(7);
    config.db_idle_in_transaction_timeout = Duration::from_secs(11);
    let pool = settlepaisa_ops::db::pool(&config).unwrap();
    let show = |setting: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, String>(setting).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(show("SHOW statement_timeout").await, "7s");
    assert_eq!(show("SHOW idle_in_transaction_session_timeout").await, "11s");
    // A statement past the limit is stopped by the server.
    let mut short = config.clone();
    short.db_statement_timeout = Duration::from_millis(200);
    let short_pool = settlepaisa_ops::db::pool(&short).unwrap();
    let err = sqlx::query("SELECT pg_sleep(1)").execute(&short_pool).await.unwrap_err();
    assert!(err.to_string().contains("statement timeout"), "{err}");
    // Bulk writes lift the limit for their own transaction only.
    let mut tx = short_pool.begin().await.unwrap();
    settlepaisa_ops::db::lift_statement_timeout(&mut tx).await.unwrap();
    sqlx::query("SELECT pg_sleep(0.3)").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        sqlx::query_scalar::<_, String>("SHOW statement_timeout").fetch_one(&short_pool).await.unwrap(),
        "200ms"
    );
}

/// A streamed export's statement lasts as long as its download: with the pool's statement timeout
/// far shorter than that, a client reading steadily still gets every row, from a read-only
/// transaction.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_export_outlasts_the_statement_timeout_while_its_client_reads(
    _: sqlx::postgres::PgPoolOptions,
    connect: sqlx::postgres::PgConnectOptions,
) {
    const TIMEOUT: Duration = Duration::from_millis(300);
    const ERRORS: i64 = 200_000;
    let seed = sqlx::PgPool::connect_with(connect.clone()).await.unwrap();
    let short = connect.options([("statement_timeout", format!("{}ms", TIMEOUT.as_millis()))]);
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(8).connect_with(short).await.unwrap();

    let mut tx = settlepaisa_ops::db::begin_export(&pool).await.unwrap();
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(read_only, "on");
    sqlx::query("SELECT pg_sleep(0.5)").execute(&mut *tx).await.expect("the export's statement is not cut");
    // Read to its end: the connection goes back to the pool, its `SET LOCAL` undone.
    tx.finish().await.unwrap();
    let err = sqlx::query("SELECT pg_sleep(0.5)").execute(&pool).await.unwrap_err();
    assert!(err.to_string().contains("statement timeout"), "other statements keep the limit: {err}");

    // An upload with enough refused rows (about 20 MB of CSV) that the cursor waits on the client.
    let file = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO uploaded_files (id, kind, original_name, sha256, size_bytes, storage_key)
         VALUES ($1, 'pg', 'bad.csv', repeat('a', 64), 10, 'k')",
    )
    .bind(file)
    .execute(&seed)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO upload_row_errors (file_id, line_number, column_name, message)
         SELECT $1, g, 'Amount', repeat('x', 90) || g FROM generate_series(1, $2::int) g",
    )
    .bind(file)
    .bind(ERRORS)
    .execute(&seed)
    .await
    .unwrap();
    // The user is made on the seeding pool: its writes (user, roles, audit row) are not what is
    // measured, and on a busy machine they may take longer than the short statement timeout.
    let hash = settlepaisa_ops::auth::password::hash(common::PASSWORD).unwrap();
    let mut conn = seed.acquire().await.unwrap();
    let (analyst, ops) = ("analyst@settlepaisa.test", [settlepaisa_ops::auth::Role::Ops]);
    settlepaisa_ops::auth::users::create(&mut conn, uuid::Uuid::new_v4(), analyst, "Analyst", &hash, &ops)
        .await
        .unwrap();
    drop(conn);
    let app = TestApp::new(pool.clone());
    let cookie = app.session_for(analyst).await;

    let started = std::time::Instant::now();
    let request = Request::get(format!("/api/recon/v1/uploads/{file}/errors.csv"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let response = settlepaisa_ops::http::router(app.state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let (mut lines, mut bytes) = (0usize, 0usize);
    while let Some(frame) = body.frame().await {
        let data = frame.expect("the download is never cut").into_data().unwrap();
        lines += data.iter().filter(|b| **b == b'\n').count();
        bytes += data.len();
        // A steady client, slower than the database.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    assert_eq!(lines as i64, ERRORS + 1, "every row and the header ({bytes} bytes)");
    assert!(started.elapsed() > TIMEOUT * 3, "the download outlasted the statement timeout: {:?}", started.elapsed());
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn exports_and_evidence_downloads_are_never_cached(pool: PgPool) {
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
    let app = demo_app(&pool).await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    for export in ["/api/recon/v1/exceptions/export.csv", "/api/disputes/v1/chargebacks/export.csv"] {
        let r = app.get(export, Some(&ops)).await;
        assert_eq!(r.status, StatusCode::OK, "{export}");
        assert_eq!(r.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"), "{export}");
    }
    let case: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM chargebacks ORDER BY case_ref LIMIT 1").fetch_one(&pool).await.unwrap();
    let (content_type, body) = multipart(&[("kind", "EVIDENCE")], Some(("proof.pdf", PDF)));
    let upload = app
        .send(same_origin_post(
            &format!("/api/disputes/v1/chargebacks/{case}/documents"),
            &content_type,
            body,
            Some(&ops),
        ))
        .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.body);
    let document = upload.json()["id"].as_str().unwrap().to_string();
    let download = app.get(&format!("/api/disputes/v1/chargebacks/{case}/documents/{document}"), Some(&ops)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn hashed_assets_are_cached_for_a_year_others_briefly(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("settlepaisa-site-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let hashed = "settlepaisa-ops.Xq3Lw-8bZ_0pQm1NcR4uTg.css";
    for (name, text) in [(format!("pkg/{hashed}"), "body{}"), ("pkg/settlepaisa-ops.css".into(), "body{}")] {
        std::fs::write(site.join(name), text).unwrap();
    }
    std::fs::write(site.join("favicon.svg"), "<svg/>").unwrap();
    let mut app = TestApp::new(pool);
    app.state = app.state.with(|s| {
        s.leptos_options = std::sync::Arc::new(
            leptos::config::LeptosOptions::builder()
                .output_name("settlepaisa-ops")
                .site_root(site.to_string_lossy().into_owned())
                .build(),
        )
    });

    let cache_control =
        |r: &common::Reply| r.headers.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_string());
    let r = app.get(&format!("/pkg/{hashed}"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "body{}");
    assert_eq!(cache_control(&r).as_deref(), Some("public, max-age=31536000, immutable"));
    let r = app.get("/pkg/settlepaisa-ops.css", None).await;
    assert_eq!(cache_control(&r).as_deref(), Some("no-cache"), "an unhashed name is revalidated");
    let r = app.get("/favicon.svg", None).await;
    assert_eq!(cache_control(&r).as_deref(), Some("public, max-age=3600"));
    let missing = app.get("/pkg/settlepaisa-ops.AAAAAAAAAAAAAAAAAAAAAA.css", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(cache_control(&missing).as_deref(), Some("no-store"), "a 404 page is not cached");
    let _ = std::fs::remove_dir_all(&site);
}

/// How many statements of this database with exactly the text `query` are running now.
async fn active(pool: &PgPool, query: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active' AND datname = current_database()",
    )
    .bind(query)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// An export whose client leaves before the first row (a slow sort, here a sleep) stops its
/// statement in PostgreSQL at once: the export is dropped, and its query is cancelled rather than
/// left running for the export's hour-long statement timeout, holding a connection outside the
/// export gate's count.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_abandoned_export_cancels_its_query(pool: PgPool) {
    use settlepaisa_ops::http::csv::CsvExport;
    const MARK: &str = "SELECT pg_sleep(60) /* abandoned export */";
    let running = || active(&pool, MARK);
    let app = TestApp::new(pool.clone());
    let export =
        CsvExport::new(&app.state, uuid::Uuid::new_v4(), "slow.csv".into(), &["n"], |_rows, mut tx| async move {
            sqlx::query(MARK).execute(&mut *tx).await?;
            Ok(())
        });
    let client = tokio::spawn(export.respond());
    let started = std::time::Instant::now();
    while running().await == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the export's query starts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The client leaves before the first chunk.
    client.abort();
    let left = std::time::Instant::now();
    while running().await > 0 {
        assert!(left.elapsed() < Duration::from_secs(5), "the abandoned export's query is cancelled within 5 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The same for an XLSX: a download whose client leaves while the file is being built, and a file
/// refused past its rows while the query still has rows to make (a scheduled report's too), both
/// stop the statement within seconds instead of leaving it to run. Two things stop it, and this
/// checks the outcome of both together: the cancel guard, and the export connection's 1 s
/// `client_connection_check_interval` once the dropped export has closed it (with the guard
/// switched off, the statement still stops: checked by mutation).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_abandoned_or_refused_xlsx_cancels_its_query(pool: PgPool) {
    use settlepaisa_ops::http::xlsx::{build_file, FileKind, SheetLimits, XlsxExport};
    use settlepaisa_ops::sheet::{Cell, Column};
    const COLUMNS: [Column; 1] = [Column::count("n", "n")];
    let running = |mark: &'static str| active(&pool, mark);
    let until_gone = |mark: &'static str, why: &'static str| async move {
        assert!(common::eventually(async || running(mark).await == 0).await, "{why}: its query stops within 5 s");
    };
    let app = TestApp::new(pool.clone());

    // A download the client leaves before the file is made.
    const SLOW: &str = "SELECT pg_sleep(60) /* abandoned xlsx */";
    let export = XlsxExport::new(
        &app.state,
        uuid::Uuid::new_v4(),
        "slow.xlsx".into(),
        "Slow",
        &COLUMNS[..],
        |_rows, mut tx| async move {
            sqlx::query(SLOW).execute(&mut *tx).await?;
            Ok(())
        },
    );
    let client = tokio::spawn(export.respond());
    let started = std::time::Instant::now();
    while running(SLOW).await == 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "the export's query starts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.abort();
    until_gone(SLOW, "an abandoned XLSX download").await;

    // A file of two rows that the query's third row overflows, while the query goes on to a last
    // row that takes a minute to make. (PostgreSQL sends rows once its 8 kB buffer fills: the
    // 10,000 before that row get the first three to the writer.)
    const LONG: &str = "SELECT g::bigint AS n FROM generate_series(1, 10001) g
                        WHERE g <= 10000 OR pg_sleep(60)::text IS NOT NULL /* refused xlsx */";
    let limits = SheetLimits { rows_per_sheet: 2, sheets: 1 };
    let started = std::time::Instant::now();
    let refused = build_file(&pool, FileKind::Xlsx, limits, "Long", &COLUMNS[..], |out, mut tx| async move {
        out.write_all(sqlx::query_scalar::<_, i64>(LONG).fetch(&mut *tx), |n| vec![Cell::Count(n)]).await
    })
    .await
    .err()
    .expect("refused past its rows");
    assert!(refused.to_string().contains("more than 2 rows"), "{refused}");
    assert!(started.elapsed() < Duration::from_secs(30), "refused at the third row, not after the last");
    until_gone(LONG, "a refused XLSX").await;
}

/// An export dropped in the middle of a `COPY … TO STDOUT` stream (a CSV download whose client
/// left) never hands its connection back out of step: with one connection in the pool, the next
/// queries get their own answers, and the abandoned statement's backend is gone within seconds. (A
/// pooled transaction would be returned with the copy's closing ReadyForQuery uncounted by sqlx
/// 0.8, and the rollback's read as the next query's answer; the export's connection is closed
/// instead, `db::ExportTx`.) An export read to its end gives its connection back to the pool.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_copy_cut_short_leaves_the_pool_in_step(pool: PgPool) {
    const COPY: &str = "COPY (SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g) TO STDOUT (FORMAT csv)";
    let one = common::one_connection_pool(&pool).await;
    for round in 0..3_i32 {
        let mut tx = settlepaisa_ops::db::begin_export(&one).await.unwrap();
        let mut copy = tx.copy_out_raw(COPY).await.unwrap();
        let first = copy.next().await.expect("a first row").unwrap();
        assert!(first.starts_with(b"1,x"), "{first:?}");
        drop(copy);
        drop(tx);
        for i in 0..3_i32 {
            let answer: i32 =
                sqlx::query_scalar("SELECT $1::int4 * 10").bind(round * 100 + i).fetch_one(&one).await.unwrap();
            assert_eq!(answer, (round * 100 + i) * 10, "round {round}, query {i}");
        }
    }
    let started = std::time::Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE query = $1")
            .bind(COPY)
            .fetch_one(&pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the abandoned copies' backends end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Read to its end and finished: the same connection serves the next query.
    let mut tx = settlepaisa_ops::db::begin_export(&one).await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *tx).await.unwrap();
    let mut copy =
        tx.copy_out_raw("COPY (SELECT g FROM generate_series(1, 1000) g) TO STDOUT (FORMAT csv)").await.unwrap();
    let mut bytes = 0;
    while let Some(chunk) = copy.next().await {
        bytes += chunk.unwrap().len();
    }
    drop(copy);
    assert_eq!(bytes, (1..=1000).map(|n: i32| n.to_string().len() + 1).sum::<usize>());
    tx.finish().await.unwrap();
    let (again, read_only): (i32, String) =
        sqlx::query_as("SELECT pg_backend_pid(), current_setting('transaction_read_only')")
            .fetch_one(&one)
            .await
            .unwrap();
    assert_eq!(again, pid, "the finished export's connection went back to the pool");
    assert_eq!(read_only, "off", "its read-only transaction is over");
}

/// The five lists with filters and their counts — settlement batches, disputes, the audit log,
/// the exception queue, the transaction explorer — are sent unprepared
/// ([`settlepaisa_ops::db::PlannedWithValues`]), so PostgreSQL plans each with the filter's
/// values at every run: the plan the `EXPLAIN` tests check. A statement prepared on a pooled
/// connection may switch to a generic plan after its fifth run (the explorer's took 2–3 s where
/// the plan for the values took 0.44 s, BENCHMARKS.md). Six pages of each on a pool of one
/// connection, then that session's prepared statements are read: none of the lists' is among
/// them. (Checked by mutation: with the explorer's queries prepared, its list statement is.)
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_list_is_planned_with_its_values(pool: PgPool) {
    use settlepaisa_ops::features::{audit, disputes, exceptions, settlements, transactions};
    let _app = demo_app(&pool).await;
    let one = common::one_connection_pool(&pool).await;
    let now = chrono::Utc::now();
    for _ in 0..6 {
        let batches = settlements::queries::list(
            &one,
            &settlements::model::BatchFilter::default(),
            settlements::model::Sort::default(),
            25,
            0,
        )
        .await
        .unwrap();
        assert!(!batches.rows.is_empty() && batches.total > 0);
        let cases = disputes::queries::list(
            &one,
            &disputes::model::ListFilter::default(),
            disputes::model::Sort::default(),
            50,
            0,
            now,
        )
        .await
        .unwrap();
        assert!(!cases.rows.is_empty() && cases.total > 0);
        let since = audit::model::Filter {
            from: Some(settlepaisa_ops::ist::today(now) - chrono::Duration::days(400)),
            ..Default::default()
        };
        let log = audit::queries::list(&one, &since, 50, 0).await.unwrap();
        assert!(!log.rows.is_empty() && log.total.count > 0);
        let queue = exceptions::model::Filter::default();
        let rows = exceptions::queries::list(&one, &queue, Default::default(), None, 50, 0, now).await.unwrap();
        assert!(!rows.is_empty());
        assert!(exceptions::queries::counts(&one, &queue, None, now).await.unwrap().total > 0);
        let amounts =
            transactions::model::Filter { min: Some(settlepaisa_ops::money::Paise(100_000)), ..Default::default() };
        let page = transactions::queries::list(&one, &amounts, Default::default(), 50, 0).await.unwrap();
        assert!(!page.rows.is_empty() && page.total.count > 0);
    }
    let prepared: Vec<String> = sqlx::query_scalar(
        "SELECT statement FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'",
    )
    .fetch_all(&one)
    .await
    .unwrap();
    for list in [
        "FROM settlement_batches b",
        "FROM chargebacks c",
        "FROM audit_log a",
        "FROM exceptions e",
        "FROM transactions t JOIN merchants m",
    ] {
        let kept: Vec<&String> = prepared.iter().filter(|s| s.contains(list)).collect();
        assert!(kept.is_empty(), "{list}: prepared {kept:#?}");
    }
}
