//! Sign-in, lockout, sessions (fixation, idle and absolute expiry, sign-out), the guard (pages,
//! API, server functions, tokens, roles) and CSRF — through the real router on real Postgres.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::Duration;
use common::{eventually, TestApp, ORIGIN, PASSWORD};
use settlepaisa_ops::auth::{tokens, users, Role};
use settlepaisa_ops::state::Clock;
use sqlx::PgPool;

const OPS: &str = "ops@example.test";

async fn app_with_ops(pool: PgPool) -> TestApp {
    let app = TestApp::new(pool);
    app.create_user(OPS, &[Role::Ops]).await;
    app
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Minutes left of the lock on the sign-in address `email`.
async fn lock_minutes_left(pool: &PgPool, email: &str) -> f64 {
    sqlx::query_scalar(
        "SELECT extract(epoch FROM locked_until - now())::float8 / 60 FROM login_throttle WHERE email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Let `minutes` pass for every sign-in throttle (their failures and locks age; nothing else does).
async fn age_throttles(pool: &PgPool, minutes: i32) {
    sqlx::query(
        "UPDATE login_throttle SET last_failed_at = last_failed_at - make_interval(mins => $1),
                                   locked_until = locked_until - make_interval(mins => $1)",
    )
    .bind(minutes)
    .execute(pool)
    .await
    .unwrap();
}

/// Where a sign-in reply sends the browser, with the email in it replaced by `EMAIL` (so that the
/// answers for two addresses compare).
fn answer(reply: &common::Reply, email: &str) -> String {
    reply.location().unwrap_or_default().replace(&common::urlencode(email), "EMAIL")
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn pages_redirect_to_login_and_api_answers_401_json(pool: PgPool) {
    let app = TestApp::new(pool);
    let page = app.get("/disputes?status=OPEN", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/login?next=/disputes%3Fstatus%3DOPEN"));
    assert_eq!(app.get("/", None).await.location(), Some("/login"));
    assert_eq!(app.get("/overview", None).await.location(), Some("/login"));

    let api = app.get("/api/overview/overview", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.json()["error"], "unauthorized");
    let unknown = app.get("/api/nothing/here", None).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "even unknown API paths need a caller first");

    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    for needle in ["<h1", "Sign in", "for=\"email\"", ">Email<", ">Password<", "method=\"post\"", "action=\"/login\""] {
        assert!(login.body.contains(needle), "login page contains {needle}");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sign_in_success_failure_and_audit(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;

    let wrong = app.login(OPS, "Wrong-Password-1").await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    assert!(wrong.location().unwrap().starts_with("/login?error=invalid"));
    assert!(wrong.session_cookie().is_none(), "a failed sign-in starts no session");

    let unknown = app.login("nobody@example.test", PASSWORD).await;
    assert!(unknown.location().unwrap().starts_with("/login?error=invalid"), "same answer for unknown emails");

    let ok = app.login("  OPS@Example.test ", PASSWORD).await;
    assert_eq!(ok.location(), Some("/overview"));
    let cookie = ok.session_cookie().expect("session cookie");
    let set_cookie = ok.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");

    let page = app.get("/overview", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Overview"));

    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'auth.sign_in' AND outcome = 'failure'").await,
        2
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'auth.sign_in' AND outcome = 'success'").await,
        1
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM login_attempts").await, 3);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM login_attempts WHERE reason = 'unknown_email' AND user_id IS NULL").await,
        1
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn ten_failures_lock_the_account_for_thirty_minutes(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    for attempt in 1..=9 {
        let r = app.login(OPS, "Wrong-Password-1").await;
        assert!(r.location().unwrap().starts_with("/login?error=invalid"), "attempt {attempt}");
    }
    let tenth = app.login(OPS, "Wrong-Password-1").await;
    assert!(tenth.location().unwrap().starts_with("/login?error=locked"), "the 10th failure locks");
    let right = app.login(OPS, PASSWORD).await;
    assert!(right.location().unwrap().starts_with("/login?error=locked"), "locked even with the right password");
    assert!(right.session_cookie().is_none());

    let minutes = lock_minutes_left(&pool, OPS).await;
    assert!((29.0..=30.0).contains(&minutes), "locked for 30 minutes, got {minutes}");

    let page = app.get("/login?error=locked", None).await;
    assert!(page.body.contains("This account is locked"));

    // An admin unlocks; the right password works again.
    assert!(users::unlock(&pool, OPS, "test-admin").await.unwrap());
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn new_session_id_at_sign_in_and_sign_out_deletes_the_session(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let first = app.session_for(OPS).await;

    // Signing in again while holding a session gives a new id; the old one is dead.
    let form = format!("email={}&password={}", common::urlencode(OPS), PASSWORD);
    let again = app.post_form("/login", &form, Some(&first), Some(ORIGIN)).await;
    let second = again.session_cookie().expect("new cookie");
    assert_ne!(first, second);
    assert_eq!(app.get("/overview", Some(&first)).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/overview", Some(&second)).await.status, StatusCode::OK);

    let sessions_before = count(&pool, "SELECT count(*) FROM tower_sessions.session").await;
    let out = app.post_form("/logout", "", Some(&second), Some(ORIGIN)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), Some("/login?signed_out=1"));
    assert_eq!(count(&pool, "SELECT count(*) FROM tower_sessions.session").await, sessions_before - 1);
    let reuse = app.get("/overview", Some(&second)).await;
    assert_eq!(reuse.status, StatusCode::SEE_OTHER, "the old cookie no longer works");
    assert_eq!(app.get("/api/overview/overview", Some(&second)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'auth.sign_out'").await, 1);
    assert!(out.headers.get(header::CACHE_CONTROL).is_none() || reuse.headers.contains_key(header::LOCATION));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn idle_timeout_after_fifteen_minutes(pool: PgPool) {
    let app = app_with_ops(pool).await;
    let cookie = app.session_for(OPS).await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::OK, "activity within 15 minutes");
    app.clock.advance(Duration::minutes(14));
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::OK, "the last request refreshed it");
    app.clock.advance(Duration::minutes(15));
    let expired = app.get("/overview", Some(&cookie)).await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);
    assert_eq!(expired.location(), Some("/login"));
    app.clock.advance(Duration::minutes(-30));
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::SEE_OTHER, "the session was deleted");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn absolute_lifetime_of_twelve_hours_despite_activity(pool: PgPool) {
    let app = app_with_ops(pool).await;
    let cookie = app.session_for(OPS).await;
    let mut elapsed = Duration::zero();
    while elapsed + Duration::minutes(10) < Duration::hours(12) {
        app.clock.advance(Duration::minutes(10));
        elapsed += Duration::minutes(10);
        assert_eq!(app.get("/api/overview/overview", Some(&cookie)).await.status, StatusCode::OK, "at {elapsed}");
    }
    app.clock.advance(Duration::minutes(10));
    assert_eq!(app.get("/api/overview/overview", Some(&cookie)).await.status, StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn csrf_origin_checks_on_state_changes(pool: PgPool) {
    let app = app_with_ops(pool).await;
    let form = format!("email={}&password={}", common::urlencode(OPS), PASSWORD);
    let cross = app.post_form("/login", &form, None, Some("http://evil.test")).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let no_origin = app.post_form("/login", &form, None, None).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN);

    let cookie = app.session_for(OPS).await;
    let cross_logout = app.post_form("/logout", "", Some(&cookie), Some("http://evil.test")).await;
    assert_eq!(cross_logout.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::OK, "still signed in");

    let sec_fetch = Request::post("/logout")
        .header(header::HOST, common::HOST)
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(sec_fetch).await.status, StatusCode::SEE_OTHER, "Sec-Fetch-Site: same-origin is accepted");

    let server_fn = Request::post("/sfn/overview/snapshot")
        .header(header::HOST, common::HOST)
        .header(header::ORIGIN, "http://evil.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(server_fn).await.status,
        StatusCode::FORBIDDEN,
        "server functions are state-changing calls too"
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn server_functions_refuse_anonymous_callers(pool: PgPool) {
    let app = app_with_ops(pool).await;
    let call = |cookie: Option<String>| {
        let mut req = Request::post("/sfn/overview/snapshot")
            .header(header::HOST, common::HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::from("query[range]=7d")).unwrap()
    };
    let anonymous = app.send(call(None)).await;
    assert_ne!(anonymous.status, StatusCode::OK);
    assert!(anonymous.body.contains("Unauthorized"), "{}", anonymous.body);
    let cookie = app.session_for(OPS).await;
    let signed_in = app.send(call(Some(cookie))).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.body.contains("\"transactions\":0"), "{}", signed_in.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn api_tokens_authenticate_and_can_be_revoked(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let token = tokens::create(&pool, OPS, "load-test", "test-admin").await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_one(&pool).await.unwrap();
    assert_eq!(stored, tokens::digest(&token), "only the hash is stored");
    assert!(!stored.contains(&token[4..]));
    assert!(tokens::create(&pool, OPS, "load-test", "test-admin").await.is_err(), "names are unique per user");

    let bearer = |t: &str| {
        Request::get("/api/overview/overview?range=7d")
            .header(header::HOST, common::HOST)
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    let ok = app.send(bearer(&token)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["window"]["preset"], "7d");
    assert_eq!(app.send(bearer("spo_not-a-real-token")).await.status, StatusCode::UNAUTHORIZED);

    assert!(tokens::revoke(&pool, OPS, "load-test", "test-admin").await.unwrap());
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::UNAUTHORIZED);
}

/// An app whose principal cache is live (flushed by notifications), once its listener is up.
async fn app_with_token_cache(pool: &PgPool) -> (TestApp, std::sync::Arc<settlepaisa_ops::state::PrincipalCache>) {
    let mut app = app_with_ops(pool.clone()).await;
    let (cache, kpis) = settlepaisa_ops::state::AppState::start_caches(pool);
    kpis.stop().await;
    app.state = app.state.with(|s| s.principals = cache.clone());
    assert!(eventually(async || cache.is_listening()).await, "the listener connects");
    (app, cache)
}

/// The KPI call with `token` as its bearer.
fn bearer(token: &str) -> Request<Body> {
    Request::get("/api/disputes/v1/chargebacks/kpis")
        .header(header::HOST, common::HOST)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn cached_tokens_stop_working_when_revoked_or_their_user_is_disabled(pool: PgPool) {
    let (app, cache) = app_with_token_cache(&pool).await;
    let token = tokens::create(&pool, OPS, "cached", "test-admin").await.unwrap();
    // The token's own creation is notified too; once that has arrived, its user stays cached.
    let cached = eventually(async || app.send(bearer(&token)).await.status == StatusCode::OK && cache.len() == 1);
    assert!(cached.await, "the token's user is cached");
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::OK);

    // Revocation (by another connection, as the CLI does) flushes the cache through the notification.
    assert!(tokens::revoke(&pool, OPS, "cached", "test-admin").await.unwrap());
    assert!(eventually(async || cache.is_empty()).await, "the revocation flushed the cache");
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::UNAUTHORIZED);

    // So does disabling the user.
    let second = tokens::create(&pool, OPS, "cached-2", "test-admin").await.unwrap();
    assert!(eventually(async || app.send(bearer(&second)).await.status == StatusCode::OK && cache.len() == 1).await);
    assert!(users::set_active(&pool, OPS, false, "test-admin").await.unwrap());
    assert!(eventually(async || cache.is_empty()).await, "disabling the user flushed the cache");
    assert_eq!(app.send(bearer(&second)).await.status, StatusCode::UNAUTHORIZED);
    cache.stop().await;
}

/// A cached token's expiry is checked at each use: once the clock passes it, the cached answer is
/// refused (no notification comes when a token merely expires).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_cached_token_stops_working_at_its_expiry(pool: PgPool) {
    let (app, cache) = app_with_token_cache(&pool).await;
    let token = tokens::create(&pool, OPS, "expiring", "test-admin").await.unwrap();
    let expires_at = app.clock.now() + Duration::minutes(30);
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE name = 'expiring'")
        .bind(expires_at)
        .execute(&pool)
        .await
        .unwrap();
    let cached = eventually(async || app.send(bearer(&token)).await.status == StatusCode::OK && cache.len() == 1);
    assert!(cached.await, "the token's user is cached");
    app.clock.advance(Duration::minutes(29));
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::OK, "a minute before its expiry");
    app.clock.advance(Duration::minutes(1));
    assert_eq!(cache.len(), 1, "still cached: nothing was notified");
    assert_eq!(app.send(bearer(&token)).await.status, StatusCode::UNAUTHORIZED, "at its expiry");
    cache.stop().await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn disabling_a_user_ends_their_sessions(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let cookie = app.session_for(OPS).await;
    assert!(users::set_active(&pool, OPS, false, "test-admin").await.unwrap());
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::SEE_OTHER);
    assert!(app.login(OPS, PASSWORD).await.location().unwrap().starts_with("/login?error=invalid"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn role_gated_pages_and_navigation(pool: PgPool) {
    let app = TestApp::new(pool);
    for (email, role) in [
        ("ops@t.test", Role::Ops),
        ("auditor@t.test", Role::Auditor),
        ("admin@t.test", Role::Admin),
        ("compliance@t.test", Role::Compliance),
    ] {
        app.create_user(email, &[role]).await;
    }
    let expect = [
        ("ops@t.test", "/settings", StatusCode::FORBIDDEN),
        ("ops@t.test", "/audit", StatusCode::FORBIDDEN),
        ("auditor@t.test", "/settings", StatusCode::FORBIDDEN),
        ("auditor@t.test", "/audit", StatusCode::OK),
        ("compliance@t.test", "/audit", StatusCode::OK),
        ("admin@t.test", "/settings", StatusCode::OK),
        ("admin@t.test", "/audit", StatusCode::OK),
    ];
    for (email, path, status) in expect {
        let cookie = app.session_for(email).await;
        let page = app.get(path, Some(&cookie)).await;
        assert_eq!(page.status, status, "{email} {path}");
        if status == StatusCode::FORBIDDEN {
            assert!(page.body.contains("You do not have access"), "{email} {path}");
        }
    }
    let ops = app.session_for("ops@t.test").await;
    let nav = app.get("/overview", Some(&ops)).await.body;
    assert!(
        nav.contains("href=\"/disputes\"") && !nav.contains("href=\"/settings\"") && !nav.contains("href=\"/audit\"")
    );
    let admin = app.session_for("admin@t.test").await;
    let nav = app.get("/overview", Some(&admin)).await.body;
    assert!(nav.contains("href=\"/settings\"") && nav.contains("href=\"/audit\""));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn pages_carry_security_headers_and_a_nonce_csp(pool: PgPool) {
    let app = app_with_ops(pool).await;
    let cookie = app.session_for(OPS).await;
    let page = app.get("/overview", Some(&cookie)).await;
    let h = |name: &str| page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
    assert_eq!(h("cache-control"), "no-store");
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'nonce-"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    // Every HTML answer — a 404 page, an unknown address, the sign-in page — carries its own nonce,
    // the same in its header and its scripts.
    let mut seen = vec![nonce.to_string()];
    for (path, signed_in) in
        [("/recon/runs/00000000-0000-0000-0000-000000000000", true), ("/no-such-page", true), ("/login", false)]
    {
        let page = app.get(path, signed_in.then_some(&cookie)).await;
        let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let nonce =
            csp.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).unwrap_or_else(|| panic!("{path}: {csp}"));
        assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "{path}: the scripts carry the header's nonce");
        assert!(!seen.contains(&nonce.to_string()), "{path}: a fresh nonce per answer");
        seen.push(nonce.to_string());
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sign_in_is_rate_limited_per_ip(pool: PgPool) {
    let mut config = settlepaisa_ops::config::Config::for_tests("postgres://unused");
    config.trust_forwarded_for = true;
    let app = TestApp::with_config(pool.clone(), config);
    app.create_user(OPS, &[Role::Ops]).await;
    let attempt = |ip: &'static str, password: &'static str| {
        let form = format!("email={}&password={password}", common::urlencode(OPS));
        Request::post("/login")
            .header(header::HOST, common::HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", ip)
            .extension(common::LOCAL_PROXY)
            .body(Body::from(form))
            .unwrap()
    };
    // Attempts for other accounts from one address (so the account lockout does not interfere).
    let limit = settlepaisa_ops::auth::login::IP_ATTEMPTS_PER_WINDOW;
    sqlx::query(
        "INSERT INTO login_attempts (email, ip, succeeded, reason)
         SELECT 'someone' || n || '@example.test', '203.0.113.7', false, 'wrong_password' FROM generate_series(1, $1) n",
    )
    .bind(limit)
    .execute(&pool)
    .await
    .unwrap();
    let limited = app.send(attempt("203.0.113.7", PASSWORD)).await;
    assert!(limited.location().unwrap().starts_with("/login?error=rate"), "{:?}", limited.location());
    assert!(limited.session_cookie().is_none());
    let other = app.send(attempt("198.51.100.9", PASSWORD)).await;
    assert_eq!(other.location(), Some("/overview"), "other addresses are not affected");
    let page = app.get("/login?error=rate", None).await;
    assert!(page.body.contains("Too many sign-in attempts"));
}

/// A sign-in form post from `ip` (behind the trusted proxy).
fn login_from(ip: &str, email: &str, password: &str) -> Request<Body> {
    let form = format!("email={}&password={}", common::urlencode(email), common::urlencode(password));
    Request::post("/login")
        .header(header::HOST, common::HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", ip)
        .extension(common::LOCAL_PROXY)
        .body(Body::from(form))
        .unwrap()
}

fn app_behind_proxy(pool: PgPool) -> TestApp {
    let mut config = settlepaisa_ops::config::Config::for_tests("postgres://unused");
    config.trust_forwarded_for = true;
    TestApp::with_config(pool, config)
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_ip_limit_counts_failures_only(pool: PgPool) {
    let app = app_behind_proxy(pool.clone());
    app.create_user(OPS, &[Role::Ops]).await;
    const OFFICE: &str = "203.0.113.40";
    // A team behind one office address signs in all morning.
    for n in 1..=70 {
        let reply = app.send(login_from(OFFICE, OPS, PASSWORD)).await;
        assert_eq!(reply.location(), Some("/overview"), "sign-in {n} from the office");
    }
    // Failures (for other, unknown accounts, so no account lockout interferes) do count.
    let limit = settlepaisa_ops::auth::login::IP_ATTEMPTS_PER_WINDOW;
    for n in 1..=limit {
        let reply = app.send(login_from(OFFICE, &format!("typo{n}@example.test"), PASSWORD)).await;
        assert!(reply.location().unwrap().starts_with("/login?error=invalid"), "failure {n}");
    }
    let blocked = app.send(login_from(OFFICE, OPS, PASSWORD)).await;
    assert!(blocked.location().unwrap().starts_with("/login?error=rate"), "{:?}", blocked.location());
    assert!(blocked.session_cookie().is_none());
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn parallel_attempts_cannot_slip_past_the_ip_limit(pool: PgPool) {
    let app = app_behind_proxy(pool.clone());
    const IP: &str = "203.0.113.41";
    let limit = settlepaisa_ops::auth::login::IP_ATTEMPTS_PER_WINDOW;
    sqlx::query(
        "INSERT INTO login_attempts (email, ip, succeeded, reason)
         SELECT 'earlier' || n || '@example.test', $1::inet, false, 'unknown_email' FROM generate_series(1, $2) n",
    )
    .bind(IP)
    .bind(limit - 1)
    .execute(&pool)
    .await
    .unwrap();
    let burst = futures::future::join_all(
        (0..10).map(|n| app.send(login_from(IP, &format!("burst{n}@example.test"), "Wrong-Password-1"))),
    )
    .await;
    let passed = burst.iter().filter(|r| !r.location().unwrap().starts_with("/login?error=rate")).count();
    assert!(passed <= 1, "{passed} attempts of the burst got past a limit with one attempt left");
    let checked =
        count(&pool, "SELECT count(*) FROM login_attempts WHERE email LIKE 'burst%' AND reason <> 'rate_limited'")
            .await;
    assert!(checked <= 1, "{checked} attempts of the burst reached the password check");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sign_in_emails_are_capped_and_rate_limited_attempts_write_nothing(pool: PgPool) {
    let app = app_behind_proxy(pool.clone());
    let long = format!("{}@example.test", "x".repeat(5000));
    let reply = app.send(login_from("203.0.113.42", &long, PASSWORD)).await;
    assert!(reply.location().unwrap().starts_with("/login?error=invalid"));
    let longest = count(&pool, "SELECT max(length(email))::int8 FROM login_attempts").await;
    assert_eq!(longest, settlepaisa_ops::auth::login::MAX_EMAIL_CHARS as i64);
    let audited =
        count(&pool, "SELECT max(length(actor_email))::int8 FROM audit_log WHERE action = 'auth.sign_in'").await;
    assert_eq!(audited, settlepaisa_ops::auth::login::MAX_EMAIL_CHARS as i64);

    // Past the limit, an attempt writes no row at all (a flood cannot grow the table or the count's
    // scan) and no audit row.
    const IP: &str = "203.0.113.43";
    let limit = settlepaisa_ops::auth::login::IP_ATTEMPTS_PER_WINDOW;
    sqlx::query(
        "INSERT INTO login_attempts (email, ip, succeeded, reason)
         SELECT 'earlier' || n || '@example.test', $1::inet, false, 'unknown_email' FROM generate_series(1, $2) n",
    )
    .bind(IP)
    .bind(limit)
    .execute(&pool)
    .await
    .unwrap();
    let audit_before = count(&pool, "SELECT count(*) FROM audit_log").await;
    for _ in 0..3 {
        let limited = app.send(login_from(IP, &long, PASSWORD)).await;
        assert!(limited.location().unwrap().starts_with("/login?error=rate"));
    }
    let from_ip = count(&pool, "SELECT count(*) FROM login_attempts WHERE ip = '203.0.113.43'").await;
    assert_eq!(from_ip, limit, "only the earlier attempts are there");
    assert_eq!(count(&pool, "SELECT count(*) FROM login_attempts WHERE reason = 'pending'").await, 0);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log").await, audit_before, "no audit row per limited attempt");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_lockout_answer_does_not_reveal_whether_the_account_exists(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    const NOBODY: &str = "nobody@example.test";
    const DISABLED: &str = "disabled@example.test";
    app.create_user(DISABLED, &[Role::Ops]).await;
    assert!(users::set_active(&pool, DISABLED, false, "test-admin").await.unwrap());
    let answers = async |email: &str, password: &str| {
        let mut codes = Vec::new();
        for _ in 0..12 {
            codes.push(answer(&app.login(email, password).await, email));
        }
        codes
    };
    let known = answers(OPS, "Wrong-Password-1").await;
    let unknown = answers(NOBODY, "Wrong-Password-1").await;
    assert_eq!(known, unknown, "the same answers, attempt by attempt");
    // A disabled account, even with its right password, answers as a wrong password would.
    assert_eq!(answers(DISABLED, PASSWORD).await, known);
    assert!(known[8].starts_with("/login?error=invalid"));
    assert!(known[9].starts_with("/login?error=locked") && known[11].starts_with("/login?error=locked"));
    // Past the lockout neither is checked (no argon2 for a known account, no dummy hash either).
    for email in [OPS, NOBODY, DISABLED] {
        let locked =
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM login_attempts WHERE email = $1 AND reason = 'locked'")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(locked, 2, "{email}: the 11th and 12th attempts took the locked path");
    }
    let page = app.get("/login?error=locked", None).await;
    assert!(page.body.contains("This account is locked"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn disabling_deletes_sessions_and_enabling_revives_none(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let cookie = app.session_for(OPS).await;
    let other = app.session_for(OPS).await;
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::OK);
    assert_eq!(count(&pool, "SELECT count(*) FROM tower_sessions.session").await, 2);

    assert!(users::set_active(&pool, OPS, false, "test-admin").await.unwrap());
    assert_eq!(count(&pool, "SELECT count(*) FROM tower_sessions.session").await, 0, "deleted at once");
    let refused = app.get("/overview", Some(&cookie)).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location(), Some("/login"));

    assert!(users::set_active(&pool, OPS, true, "test-admin").await.unwrap());
    for old in [&cookie, &other] {
        assert_eq!(app.get("/overview", Some(old)).await.status, StatusCode::SEE_OTHER, "not revived");
        assert_eq!(app.get("/api/overview/overview", Some(old)).await.status, StatusCode::UNAUTHORIZED);
    }
    let fresh = app.session_for(OPS).await;
    assert_eq!(app.get("/overview", Some(&fresh)).await.status, StatusCode::OK, "a new sign-in works");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn cli_user_and_token_changes_are_audited_with_the_os_user(pool: PgPool) {
    app_with_ops(pool.clone()).await;
    let row = async |action: &str| -> (String, String, Option<String>) {
        sqlx::query_as(
            "SELECT actor_email, outcome, target_id FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(action)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let ops_id: String =
        sqlx::query_scalar("SELECT id::text FROM users WHERE email = $1").bind(OPS).fetch_one(&pool).await.unwrap();

    assert!(users::set_active(&pool, OPS, false, "alice").await.unwrap());
    assert_eq!(row("user.disable").await, ("alice".into(), "success".into(), Some(ops_id.clone())));
    assert!(users::set_active(&pool, OPS, true, "alice").await.unwrap());
    assert_eq!(row("user.enable").await.1, "success");
    assert!(users::unlock(&pool, OPS, "bob").await.unwrap());
    assert_eq!(row("user.unlock").await, ("bob".into(), "success".into(), Some(ops_id.clone())));
    assert!(!users::unlock(&pool, "ghost@example.test", "bob").await.unwrap());
    assert_eq!(row("user.unlock").await, ("bob".into(), "failure".into(), None), "a refused change is a failure");

    let token = tokens::create(&pool, OPS, "ci", "carol").await.unwrap();
    assert_eq!(row("token.create").await, ("carol".into(), "success".into(), Some(ops_id.clone())));
    assert!(tokens::create(&pool, OPS, "ci", "carol").await.is_err());
    assert_eq!(row("token.create").await.1, "failure", "the refused duplicate is audited");
    assert!(tokens::revoke(&pool, OPS, "ci", "dave").await.unwrap());
    assert_eq!(row("token.revoke").await, ("dave".into(), "success".into(), Some(ops_id)));
    let leaked =
        count(&pool, &format!("SELECT count(*) FROM audit_log WHERE after::text LIKE '%{}%'", &token[4..])).await;
    assert_eq!(leaked, 0, "the secret is never audited");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn refused_requests_are_audited_as_failures(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let cookie = app.session_for(OPS).await;
    assert_eq!(app.get("/settings", Some(&cookie)).await.status, StatusCode::FORBIDDEN);
    let (actor, outcome, target, details): (String, String, String, String) = sqlx::query_as(
        "SELECT actor_email, outcome, target_id, details FROM audit_log WHERE action = 'request.refused'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((actor.as_str(), outcome.as_str(), target.as_str()), (OPS, "failure", "GET /settings"));
    assert!(details.starts_with("403"), "{details}");
    assert_eq!(app.get("/overview", Some(&cookie)).await.status, StatusCode::OK);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log WHERE action = 'request.refused'").await,
        1,
        "only refusals"
    );
    // A JSON API refusal by role, and a command's 409.
    app.create_user("auditor@example.test", &[Role::Auditor]).await;
    let auditor = app.session_for("auditor@example.test").await;
    let (content_type, body) = common::multipart(&[("network", "VISA")], Some(("a.csv", b"x")));
    let import = Request::post("/api/disputes/v1/chargebacks/import")
        .header(header::HOST, common::HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &auditor)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.send(import).await.status, StatusCode::FORBIDDEN);
    // A closed case cannot be reassigned: 409 from the command.
    let case = uuid::Uuid::new_v4();
    sqlx::query(
        "WITH m AS (INSERT INTO merchants (id, name, legal_name) VALUES ('M_T', 'M', 'M Ltd'))
         INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name,
             original_gross_paise, chargeback_paise, reason_code, reason_description, category, stage, status,
             outcome, received_at, closed_at)
         VALUES ($1, 'C-1', 'VISA', 'C-1', 'M_T', 'M', 100, 100, '10.4', 'x', 'FRAUD', 'CLOSED', 'RECOVERED', 'WON',
                 now() - interval '9 days', now() - interval '1 day')",
    )
    .bind(case)
    .execute(&pool)
    .await
    .unwrap();
    let reassign = Request::post(format!("/api/disputes/v1/chargebacks/{case}/actions"))
        .header(header::HOST, common::HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"action": "assign", "assignee": null, "team": "OPS"}"#))
        .unwrap();
    let conflict = app.send(reassign).await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
    let refusals: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor_email, target_id, details FROM audit_log WHERE action = 'request.refused' AND outcome = 'failure'
         ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let refusals: Vec<(&str, &str, &str)> =
        refusals.iter().map(|(a, t, d)| (a.as_str(), t.as_str(), &d[..3])).collect();
    assert_eq!(
        refusals,
        [
            (OPS, "GET /settings", "403"),
            ("auditor@example.test", "POST /api/disputes/v1/chargebacks/import", "403"),
            (OPS, format!("POST /api/disputes/v1/chargebacks/{case}/actions").as_str(), "409"),
        ]
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn failures_expire_alike_for_known_unknown_and_disabled_accounts(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    const NOBODY: &str = "nobody@example.test";
    const DISABLED: &str = "disabled@example.test";
    app.create_user(DISABLED, &[Role::Ops]).await;
    assert!(users::set_active(&pool, DISABLED, false, "test-admin").await.unwrap());
    // Nine failures, 31 minutes pass, one more failure.
    let answers = async |email: &str, password: &str| {
        let mut codes = Vec::new();
        for _ in 0..9 {
            codes.push(answer(&app.login(email, password).await, email));
        }
        age_throttles(&pool, settlepaisa_ops::auth::login::LOCK_MINUTES + 1).await;
        codes.push(answer(&app.login(email, password).await, email));
        codes
    };
    let known = answers(OPS, "Wrong-Password-1").await;
    assert_eq!(answers(NOBODY, "Wrong-Password-1").await, known, "an unknown address answers alike");
    assert_eq!(answers(DISABLED, PASSWORD).await, known, "a disabled account answers alike");
    assert!(known.iter().all(|code| code.starts_with("/login?error=invalid")), "the old failures expired: {known:?}");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn reservations_that_never_settle_end_in_an_ordinary_lock(pool: PgPool) {
    use settlepaisa_ops::auth::login::{LOCK_MINUTES, MAX_FAILURES};
    use settlepaisa_ops::auth::users::Reservation;
    let app = app_with_ops(pool.clone()).await;
    // Checks reserved and never settled, as when each request is dropped before its outcome.
    for n in 1..=MAX_FAILURES {
        let reserved = users::reserve_password_check(&pool, OPS, MAX_FAILURES, LOCK_MINUTES).await.unwrap();
        let last = n == MAX_FAILURES;
        assert!(
            matches!(reserved, Reservation::Granted { account: Some(_), locks, .. } if locks == last),
            "reservation {n}: {reserved:?}"
        );
    }
    let refused = users::reserve_password_check(&pool, OPS, MAX_FAILURES, LOCK_MINUTES).await.unwrap();
    assert!(matches!(refused, Reservation::Refused { user_id: Some(_) }), "{refused:?}");
    let minutes = lock_minutes_left(&pool, OPS).await;
    assert!((29.0..=30.0).contains(&minutes), "an ordinary lock of 30 minutes, got {minutes}");
    assert!(app.login(OPS, PASSWORD).await.location().unwrap().starts_with("/login?error=locked"));

    age_throttles(&pool, LOCK_MINUTES + 1).await;
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"), "the lock ended by itself");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_disabled_then_enabled_account_is_not_stuck(pool: PgPool) {
    use settlepaisa_ops::auth::login::{LOCK_MINUTES, MAX_FAILURES};
    let app = app_with_ops(pool.clone()).await;
    assert!(users::set_active(&pool, OPS, false, "test-admin").await.unwrap());
    for n in 1..=MAX_FAILURES {
        let reply = app.login(OPS, PASSWORD).await;
        assert!(reply.location().unwrap().starts_with("/login?error="), "attempt {n} while disabled");
    }
    assert!(users::set_active(&pool, OPS, true, "test-admin").await.unwrap());
    // The attempts while disabled count as failures: an ordinary lock, not one for ever.
    assert!(app.login(OPS, PASSWORD).await.location().unwrap().starts_with("/login?error=locked"));
    age_throttles(&pool, LOCK_MINUTES + 1).await;
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_sign_in_dropped_midway_still_records_its_outcome(pool: PgPool) {
    let app = app_with_ops(pool.clone()).await;
    let pending = async {
        while count(&pool, "SELECT count(*) FROM login_attempts WHERE reason = 'pending'").await == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };
    // The request goes away (client gone, request timeout) while its password is being checked.
    tokio::select! {
        reply = app.login(OPS, "Wrong-Password-1") => panic!("the check outran the poll: {:?}", reply.location()),
        () = pending => {}
    }
    let settled = async || {
        count(&pool, "SELECT count(*) FROM login_attempts WHERE reason = 'wrong_password' AND NOT succeeded").await == 1
    };
    assert!(eventually(settled).await, "the dropped attempt was still checked and recorded");
    assert_eq!(count(&pool, "SELECT count(*) FROM login_attempts WHERE reason = 'pending'").await, 0);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_session_of_a_user_disabled_during_sign_in_gets_no_owner(pool: PgPool) {
    app_with_ops(pool.clone()).await;
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(OPS).fetch_one(&pool).await.unwrap();
    let save_session = async |session_id: &str| {
        sqlx::query(
            "INSERT INTO tower_sessions.session (id, data, expiry_date) VALUES ($1, '\\x00', now() + interval '1 hour')",
        )
        .bind(session_id)
        .execute(&pool)
        .await
        .unwrap();
    };
    let owners = async || count(&pool, "SELECT count(*) FROM tower_sessions.session_owner").await;

    // Disabled between the password check and the owner's record: no owner, nothing to revive.
    assert!(users::set_active(&pool, OPS, false, "test-admin").await.unwrap());
    save_session("checked-then-disabled").await;
    assert!(!users::own_session(&pool, id, "checked-then-disabled", None).await.unwrap());
    assert!(users::set_active(&pool, OPS, true, "test-admin").await.unwrap());
    assert_eq!(owners().await, 0, "re-enabling revives no session");

    // A disable in progress: recording the owner waits for it, then records none.
    save_session("during-disable").await;
    let mut disabling = pool.begin().await.unwrap();
    sqlx::query("UPDATE users SET is_active = false WHERE id = $1").bind(id).execute(&mut *disabling).await.unwrap();
    let owning = tokio::spawn({
        let pool = pool.clone();
        async move { users::own_session(&pool, id, "during-disable", None).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!owning.is_finished(), "the owner's record waits for the disable to commit");
    disabling.commit().await.unwrap();
    assert!(!owning.await.unwrap().unwrap());
    assert_eq!(owners().await, 0);

    // An active user's session is owned.
    assert!(users::set_active(&pool, OPS, true, "test-admin").await.unwrap());
    save_session("active").await;
    assert!(users::own_session(&pool, id, "active", None).await.unwrap());
    assert_eq!(owners().await, 1);

    // A password reset (or changed) between the check and the owner's record: the sign-in checked
    // the old hash, so its session gets no owner; one that checked the current hash does.
    let checked: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
    sqlx::query("UPDATE users SET password_hash = 'replaced' WHERE id = $1").bind(id).execute(&pool).await.unwrap();
    save_session("checked-then-reset").await;
    assert!(!users::own_session(&pool, id, "checked-then-reset", Some(&checked)).await.unwrap());
    save_session("checked-after-reset").await;
    assert!(users::own_session(&pool, id, "checked-after-reset", Some("replaced")).await.unwrap());
    assert_eq!(owners().await, 2);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn case_workers_are_the_active_holders_of_the_ops_work_roles(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user("admin@example.test", &[Role::Admin]).await;
    app.create_user(OPS, &[Role::Ops, Role::Finance]).await;
    app.create_user("gone@example.test", &[Role::Ops]).await;
    app.create_user("finance@example.test", &[Role::Finance]).await;
    app.create_user("compliance@example.test", &[Role::Compliance, Role::Auditor]).await;
    assert!(users::set_active(&pool, "gone@example.test", false, "test-admin").await.unwrap());

    let emails = |workers: Vec<users::CaseWorker>| workers.into_iter().map(|w| w.email).collect::<Vec<_>>();
    let all = emails(users::case_workers(&pool, None).await.unwrap());
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.contains(&"admin@example.test".to_string()) && all.contains(&OPS.to_string()), "{all:?}");
    let by_email = users::case_workers(&pool, Some("OPS@Example.test")).await.unwrap();
    assert_eq!(emails(by_email), [OPS]);
    let ops_id = users::case_workers(&pool, Some(OPS)).await.unwrap()[0].id;
    assert_eq!(emails(users::case_workers(&pool, Some(&ops_id.to_string())).await.unwrap()), [OPS]);
    for outsider in ["finance@example.test", "compliance@example.test", "gone@example.test", "nobody@example.test"] {
        assert!(users::case_workers(&pool, Some(outsider)).await.unwrap().is_empty(), "{outsider}");
    }
}

/// The id of the account `email`.
async fn user_id(pool: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1").bind(email).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_success_keeps_the_lock_and_the_failures_others_counted(pool: PgPool) {
    use settlepaisa_ops::auth::login::{LOCK_MINUTES, MAX_FAILURES};
    use settlepaisa_ops::auth::users::Reservation;
    let app = app_with_ops(pool.clone()).await;
    let owner = user_id(&pool, OPS).await;
    let reserve = async || users::reserve_password_check(&pool, OPS, MAX_FAILURES, LOCK_MINUTES).await.unwrap();

    // The owner's check is reservation 3; guesses hold 1, 2 and 4..10, and the 10th locked.
    for _ in 1..=3 {
        assert!(matches!(reserve().await, Reservation::Granted { locks: false, .. }));
    }
    for n in 4..=MAX_FAILURES {
        assert!(matches!(reserve().await, Reservation::Granted { locks, .. } if locks == (n == MAX_FAILURES)));
    }
    users::record_successful_login(&pool, owner, OPS, None, MAX_FAILURES).await.unwrap();
    assert!(
        matches!(reserve().await, Reservation::Refused { .. }),
        "the owner's success does not lift the guessers' lock"
    );
    let minutes = lock_minutes_left(&pool, OPS).await;
    assert!((29.0..=30.0).contains(&minutes), "the lock stays, got {minutes}");

    // Unlocked: the owner's success (reservation 5) takes back its own count only, not the four
    // guesses before it nor the four after it — two more checks and the address locks.
    age_throttles(&pool, LOCK_MINUTES + 1).await;
    for _ in 1..=9 {
        assert!(matches!(reserve().await, Reservation::Granted { locks: false, .. }));
    }
    users::record_successful_login(&pool, owner, OPS, None, MAX_FAILURES).await.unwrap();
    assert!(matches!(reserve().await, Reservation::Granted { locks: false, .. }), "the 9th counted check");
    assert!(matches!(reserve().await, Reservation::Granted { locks: true, .. }), "the 10th locks");
    assert!(app.login(OPS, PASSWORD).await.location().unwrap().starts_with("/login?error=locked"));

    // A success with nothing else counted leaves no row behind.
    assert!(users::unlock(&pool, OPS, "test-admin").await.unwrap());
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"));
    assert_eq!(count(&pool, "SELECT count(*) FROM login_throttle").await, 0);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn ipv6_addresses_of_one_64_share_the_ip_limit(pool: PgPool) {
    let app = app_behind_proxy(pool.clone());
    app.create_user(OPS, &[Role::Ops]).await;
    let limit = settlepaisa_ops::auth::login::IP_ATTEMPTS_PER_WINDOW;
    // Failures from one address each of a /64 (as a host rotating its addresses would).
    for n in 1..=limit {
        let reply =
            app.send(login_from(&format!("2001:db8:1:2::{n:x}"), &format!("typo{n}@example.test"), PASSWORD)).await;
        assert!(reply.location().unwrap().starts_with("/login?error=invalid"), "failure {n}");
    }
    let same_64 = app.send(login_from("2001:db8:1:2:ffff::1", OPS, PASSWORD)).await;
    assert!(same_64.location().unwrap().starts_with("/login?error=rate"), "{:?}", same_64.location());
    let next_64 = app.send(login_from("2001:db8:1:3::1", OPS, PASSWORD)).await;
    assert_eq!(next_64.location(), Some("/overview"), "the neighbouring /64 is not affected");
    // The attempts keep their own addresses.
    assert_eq!(count(&pool, "SELECT count(DISTINCT ip) FROM login_attempts WHERE email LIKE 'typo%'").await, limit);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn throttle_rows_that_throttle_nothing_are_pruned(pool: PgPool) {
    use settlepaisa_ops::auth::login::LOCK_MINUTES;
    sqlx::query(
        "INSERT INTO login_throttle (email, failures, last_failed_at, locked_until) VALUES
             ('old-failures@example.test', 3, now() - interval '31 minutes', NULL),
             ('lock-over@example.test', 0, now() - interval '61 minutes', now() - interval '31 minutes'),
             ('recent-failures@example.test', 3, now() - interval '5 minutes', NULL),
             ('locked@example.test', 0, now() - interval '31 minutes', now() + interval '1 minute'),
             ('lock-just-over@example.test', 0, now() - interval '29 minutes', now() - interval '1 minute')",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(users::prune_login_throttle(&pool, LOCK_MINUTES, 1).await.unwrap(), 1, "one batch at a time");
    assert_eq!(users::prune_login_throttle(&pool, LOCK_MINUTES, 100).await.unwrap(), 1);
    assert_eq!(users::prune_login_throttle(&pool, LOCK_MINUTES, 100).await.unwrap(), 0);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT email FROM login_throttle ORDER BY email").fetch_all(&pool).await.unwrap();
    assert_eq!(left, ["lock-just-over@example.test", "locked@example.test", "recent-failures@example.test"]);
}

/// The check that locks the address (the 10th) but holds the right password signs the owner in
/// and lifts the lock it set: the owner is not locked out by their own success. The count stays at
/// the nine failures before it, so the next wrong guess locks again.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_success_on_the_locking_check_lifts_its_own_lock(pool: PgPool) {
    use settlepaisa_ops::auth::login::MAX_FAILURES;
    let app = app_with_ops(pool.clone()).await;
    for attempt in 1..MAX_FAILURES {
        let r = app.login(OPS, "Wrong-Password-1").await;
        assert!(r.location().unwrap().starts_with("/login?error=invalid"), "attempt {attempt}");
    }
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"), "the 10th check, right password");
    let locked: i64 = count(&pool, "SELECT count(*) FROM login_throttle WHERE locked_until > now()").await;
    assert_eq!(locked, 0, "its own lock is lifted");
    assert_eq!(app.login(OPS, PASSWORD).await.location(), Some("/overview"), "and the owner signs in again");
    let wrong = app.login(OPS, "Wrong-Password-1").await;
    assert!(wrong.location().unwrap().starts_with("/login?error=locked"), "the next wrong guess locks");
}
