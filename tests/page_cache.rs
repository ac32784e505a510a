//! The rendered-page cache and the session caches against real PostgreSQL through the real router:
//! a page is answered from memory until a change (any table, by notification) or until it is a
//! second old by the app clock, and its user's own write makes their next pages render anew (the
//! `sp_fresh` cookie); every answer carries its own CSP nonce, each user has their own pages; a
//! session signed out or a user disabled elsewhere stops working on an instance that cached them,
//! and a lost notification costs at most the caches' maximum age; and every table notifies.

mod common;

use axum::http::{header, StatusCode};
use chrono::Duration;
use settlepaisa_ops::auth::Role;
use settlepaisa_ops::http::page_cache::PageCache;
use settlepaisa_ops::state::AppState;
use sqlx::PgPool;

use common::{eventually, tile, TestApp, ORIGIN};

const OPS: &str = "ops@example.test";
const OPS2: &str = "ops2@example.test";

async fn fixture(pool: &PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('M_PC', 'Page Cache', 'Page Cache Pvt Ltd')")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
         VALUES ('PC-T1', 'M_PC', 150000, now(), current_date, 'UPI', 'EXCEPTION')",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO exceptions (id, reason_code, severity, sla_due_at, pg_amount_paise, merchant_id, cycle_date,
                                 transaction_id, created_at, updated_at)
         SELECT 'EXC-20261127-000001', 'PG_TXN_MISSING_IN_BANK', 'HIGH', now() + interval '8 hours', 150000, 'M_PC',
                current_date, id, now(), now() FROM transactions WHERE txn_id = 'PC-T1'",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// The nonce of the page's first script, and the one its CSP names.
fn nonces(reply: &common::Reply) -> (String, String) {
    let body = &reply.body;
    let at = body.find("nonce=\"").expect("a script with a nonce") + 7;
    let in_body = body[at..at + body[at..].find('"').unwrap()].to_string();
    let csp = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let at = csp.find("'nonce-").unwrap() + 7;
    (in_body, csp[at..at + csp[at..].find('\'').unwrap()].to_string())
}

/// Wait until the notifications of the writes so far have reached `pages`: they arrive in commit
/// order, so once a marker sent now has flushed a page kept now, every earlier one has arrived.
async fn settled(app: &TestApp, pages: &PageCache, cookie: &str) {
    assert!(
        eventually(async || {
            app.get("/overview", Some(cookie)).await;
            !pages.is_empty()
        })
        .await
    );
    sqlx::query("SELECT pg_notify('settlepaisa_pages', 'marker')").execute(&app.pool).await.unwrap();
    assert!(eventually(async || pages.is_empty()).await, "the marker arrived");
}

/// Turn every table's page notification off or on (a write to one table can write others by trigger).
async fn page_triggers(pool: &PgPool, on: bool) {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    sqlx::query(&format!(
        "DO $$ DECLARE t regclass; BEGIN
           FOR t IN SELECT tgrelid::regclass FROM pg_trigger WHERE tgname = 'page_change' LOOP
             EXECUTE format('ALTER TABLE %s {verb} TRIGGER page_change', t);
           END LOOP;
         END $$"
    ))
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn pages_come_from_memory_until_a_change_or_a_second(pool: PgPool) {
    let mut app = TestApp::new(pool.clone());
    let pages = AppState::start_page_cache(&pool);
    app.state = app.state.with(|s| s.pages = pages.clone());
    assert!(eventually(async || pages.is_listening()).await, "the listener connects");
    app.create_user(OPS, &[Role::Ops]).await;
    app.create_user(OPS2, &[Role::Ops]).await;
    fixture(&pool).await;
    let ops = app.session_for(OPS).await;
    let ops2 = app.session_for(OPS2).await;
    settled(&app, &pages, &ops).await;

    let first = app.get("/exceptions", Some(&ops)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(tile(&first.body, "kpi-open"), "1");
    assert_eq!(pages.len(), 1, "the page is kept");

    // A change no notification tells of (the trigger off): the kept page is served.
    page_triggers(&pool, false).await;
    sqlx::query("UPDATE exceptions SET status = 'investigating'").execute(&pool).await.unwrap();
    let second = app.get("/exceptions", Some(&ops)).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(tile(&second.body, "kpi-open"), "1", "served from memory");
    // Each answer has its own nonce, the one its CSP allows, and nothing of the first one's.
    let (a, a_csp) = nonces(&first);
    let (b, b_csp) = nonces(&second);
    assert_eq!(a, a_csp);
    assert_eq!(b, b_csp);
    assert_ne!(a, b, "a fresh nonce for every answer");
    assert!(!second.body.contains(&a), "no trace of the first answer's nonce");
    assert_eq!(first.body.matches(&a).count(), second.body.matches(&b).count());
    assert_eq!(first.body.replace(&a, &b), second.body, "otherwise the same page");
    assert_eq!(second.headers[header::CONTENT_LENGTH].to_str().unwrap(), second.body.len().to_string());

    // Another query string and another user: pages of their own.
    let other_query = app.get("/exceptions?status=investigating", Some(&ops)).await;
    assert_eq!(other_query.status, StatusCode::OK);
    let theirs = app.get("/exceptions", Some(&ops2)).await;
    assert_eq!(tile(&theirs.body, "kpi-investigating"), "1", "rendered for its user, not the other's page");
    assert_eq!(pages.len(), 3);

    // A second of the app clock later the page is rendered again.
    app.clock.advance(Duration::seconds(1));
    let later = app.get("/exceptions", Some(&ops)).await;
    assert_eq!(tile(&later.body, "kpi-open"), "0", "rendered again after a second");
    assert_eq!(tile(&later.body, "kpi-investigating"), "1");

    // A change that notifies: every instance's pages go, without the clock moving.
    page_triggers(&pool, true).await;
    assert_eq!(tile(&app.get("/exceptions", Some(&ops)).await.body, "kpi-investigating"), "1");
    sqlx::query("UPDATE exceptions SET status = 'open'").execute(&pool).await.unwrap();
    assert!(
        eventually(async || tile(&app.get("/exceptions", Some(&ops)).await.body, "kpi-open") == "1").await,
        "the notification flushed the page"
    );

    // A successful write by a signed-in session leaves a short-lived cookie; while the browser
    // sends it, that user's pages are rendered anew (on any instance, notification or not).
    page_triggers(&pool, false).await;
    sqlx::query("UPDATE exceptions SET status = 'investigating'").execute(&pool).await.unwrap();
    assert_eq!(tile(&app.get("/exceptions", Some(&ops)).await.body, "kpi-open"), "1", "kept");
    let saved = app.post_form("/sfn/exceptions/save-view", "name=Mine&filters=%7B%7D", Some(&ops), Some(ORIGIN)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let fresh = saved
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sp_fresh="))
        .expect("the write's answer sets sp_fresh")
        .to_string();
    assert!(fresh.contains("Max-Age=2") && fresh.contains("HttpOnly"), "{fresh}");
    let with_fresh = format!("{ops}; sp_fresh=1");
    assert_eq!(tile(&app.get("/exceptions", Some(&with_fresh)).await.body, "kpi-open"), "0", "rendered anew");
    // A failed write, or one by a token, leaves no cookie.
    let sets_fresh = |reply: &common::Reply| {
        reply.headers.get_all(header::SET_COOKIE).iter().any(|c| c.to_str().unwrap().starts_with("sp_fresh="))
    };
    let failed = app.post_form("/sfn/exceptions/delete-view", "id=not-a-view", Some(&ops), Some(ORIGIN)).await;
    assert!(failed.status.is_client_error(), "{}", failed.status);
    assert!(!sets_fresh(&failed));
    // The same refused as a plain form post: a redirect back to the page, still no cookie.
    let plain = common::plain_form_post("/sfn/exceptions/delete-view", "id=not-a-view".into(), &ops, "/exceptions");
    let refused = app.send(plain).await;
    assert!(refused.status.is_redirection(), "{}", refused.status);
    assert!(!sets_fresh(&refused), "a refused form post is no write");
    // A write by a token: no browser to render anew for.
    let token = settlepaisa_ops::auth::tokens::create(&pool, OPS, "t", "test").await.unwrap();
    let by_token = app
        .send(
            axum::http::Request::post("/sfn/exceptions/save-view")
                .header(header::HOST, common::HOST)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("name=Token&filters=%7B%7D"))
                .unwrap(),
        )
        .await;
    assert_eq!(by_token.status, StatusCode::OK, "{}", by_token.body);
    assert!(!sets_fresh(&by_token));

    // Pages with an error notice are not kept (an `?error=` notice, as a failed form post shows).
    let before = pages.len();
    let notice = app.get("/exceptions?error=Something%20failed", Some(&ops)).await;
    assert_eq!(notice.status, StatusCode::OK);
    assert!(notice.body.contains("Something failed"));
    assert_eq!(pages.len(), before, "not kept");
    page_triggers(&pool, true).await;
    pages.stop().await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sessions_ended_elsewhere_stop_working_where_they_were_cached(pool: PgPool) {
    // Instance A writes; instance B caches sessions (records and owners) and only hears notifications.
    let a = TestApp::new(pool.clone());
    let mut b = TestApp::new(pool.clone());
    let (principals, kpis) = AppState::start_caches(&pool);
    kpis.stop().await;
    let (sessions, owners) = AppState::start_session_caches(&principals);
    b.state = b.state.with(|s| {
        s.principals = principals.clone();
        s.sessions = sessions.clone();
        s.session_owners = owners.clone();
    });
    assert!(eventually(async || sessions.is_listening() && owners.is_listening()).await);
    a.create_user(OPS, &[Role::Ops]).await;

    let signed_in = async |cookie: &str| b.get("/overview", Some(cookie)).await.status == StatusCode::OK;
    let cookie = a.session_for(OPS).await;
    assert!(eventually(async || signed_in(&cookie).await && sessions.len() == 1 && owners.len() == 1).await);
    // Served from B's caches: a change no notification tells of (the triggers off) is not seen…
    let cached_by = std::time::Instant::now() + settlepaisa_ops::state::PRINCIPALS_MAX_AGE;
    session_triggers(&pool, false).await;
    sqlx::query("DELETE FROM tower_sessions.session").execute(&pool).await.unwrap();
    assert!(signed_in(&cookie).await, "served from B's caches");
    // …for at most the caches' maximum age (a lost notification is seconds of grace, not more).
    while signed_in(&cookie).await {
        let late = std::time::Instant::now().saturating_duration_since(cached_by);
        assert!(late < std::time::Duration::from_secs(5), "still signed in {late:?} past the maximum age");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    session_triggers(&pool, true).await;
    let cookie = a.session_for(OPS).await;
    assert!(eventually(async || signed_in(&cookie).await && sessions.len() == 1 && owners.len() == 1).await);

    // Signed out through A: B's cached session stops working when the notification arrives.
    let out = a.post_form("/logout", "", Some(&cookie), Some(ORIGIN)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(eventually(async || !signed_in(&cookie).await).await, "signed out on B too");
    assert_eq!(b.get("/overview", Some(&cookie)).await.location(), Some("/login"));

    // A user disabled by another connection (as the CLI does): B stops accepting their session.
    let cookie = a.session_for(OPS).await;
    assert!(eventually(async || signed_in(&cookie).await && sessions.len() == 1).await);
    sqlx::query("UPDATE users SET is_active = false WHERE email = $1").bind(OPS).execute(&pool).await.unwrap();
    assert!(eventually(async || !signed_in(&cookie).await).await, "the disabled user's session is refused on B");
    principals.stop().await;
    assert!(!sessions.is_listening() && !owners.is_listening(), "the followers stop with their leader");
}

async fn session_triggers(pool: &PgPool, on: bool) {
    let verb = if on { "ENABLE" } else { "DISABLE" };
    for (table, trigger) in
        [("session", "session_principal_change"), ("session_owner", "session_owner_principal_change")]
    {
        sqlx::query(&format!("ALTER TABLE tower_sessions.{table} {verb} TRIGGER {trigger}"))
            .execute(pool)
            .await
            .unwrap();
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_table_tells_the_caches_of_its_changes(pool: PgPool) {
    // Every table of the application's schema flushes the rendered pages, on every kind of write.
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname || ' lacks ' || want.tgname
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN (VALUES ('page_change'), ('page_truncate_change')) AS want (tgname)
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = want.tgname
                           AND t.tgenabled = 'O'
                           AND encode(t.tgargs, 'escape') = 'settlepaisa_pages\\000'
                           -- AFTER (not BEFORE), and every kind of write: INSERT, UPDATE, DELETE or TRUNCATE
                           AND (t.tgtype & 2) = 0
                           AND (t.tgtype & 28 = 28 OR t.tgtype & 32 = 32))
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(missing.is_empty(), "tables without the page notification: {missing:?}");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(tables > 40, "the check saw the schema ({tables} tables)");
    // The tables background loops write with mostly empty statements notify per row: all exist.
    let per_row: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE t.tgname = 'page_change' AND (t.tgtype & 1) = 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        per_row,
        [
            "connector_runs",
            "exception_daily_base",
            "exception_daily_delta",
            "jobs",
            "login_throttle",
            "txn_daily_base",
            "txn_daily_delta"
        ]
    );
    // The session tables tell the principals' channel.
    let session_triggers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'tower_sessions' AND t.tgname LIKE 'session%principal_change'
           AND encode(t.tgargs, 'escape') = 'settlepaisa_principals\\000'
           -- per row for writes (the sweep's empty deletes send nothing), per statement for TRUNCATE
           AND ((t.tgtype & 1) = 1 AND (t.tgtype & 28) = 28 OR (t.tgtype & 1) = 0 AND (t.tgtype & 32) = 32)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(session_triggers, 4);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn pages_beyond_the_render_gate_are_answered_busy_at_once(pool: PgPool) {
    use settlepaisa_ops::http::page_cache::RenderGate;
    let mut app = TestApp::new(pool.clone());
    let gate = std::sync::Arc::new(RenderGate::new(1, 0, std::time::Duration::from_millis(100)));
    app.state = app.state.with(|s| s.renders = gate.clone());
    app.create_user(OPS, &[Role::Ops]).await;
    let ops = app.session_for(OPS).await;
    assert_eq!(app.get("/overview", Some(&ops)).await.status, StatusCode::OK);

    // Every render taken, none may wait: pages (cached kind or not) answer 503 with a sentence.
    let held = gate.enter(None).await.unwrap();
    for page in ["/overview", "/exceptions/EXC-1", "/profile"] {
        let busy = app.get(page, Some(&ops)).await;
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
        assert_eq!(busy.headers[header::RETRY_AFTER], "1");
        assert!(busy.body.contains("The server is busy right now"), "{page}: {}", busy.body);
    }
    // The API, server functions and health are not pages: not gated.
    assert_eq!(app.get("/api/disputes/v1/chargebacks/kpis", Some(&ops)).await.status, StatusCode::OK);
    drop(held);
    assert_eq!(app.get("/overview", Some(&ops)).await.status, StatusCode::OK);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn only_whole_html_pages_without_cookies_are_kept(pool: PgPool) {
    use axum::extract::Query;
    use axum::response::{Html, IntoResponse, Response};
    use tower::ServiceExt;
    // The cache's layer around a stand-in for the page, for the answers the real pages do not
    // give on demand; the caller as the guard and security layers would have set them.
    let mut app = TestApp::new(pool.clone());
    let pages = AppState::start_page_cache(&pool);
    app.state = app.state.with(|s| s.pages = pages.clone());
    assert!(eventually(async || pages.is_listening()).await);
    async fn page(Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
        let html = Html("<html><script nonce=\"NONCE\"></script>page</html>");
        match q.get("kind").map(String::as_str) {
            Some("forbidden") => (StatusCode::FORBIDDEN, html).into_response(),
            Some("cookie") => ([(header::SET_COOKIE, "x=1")], html).into_response(),
            Some("json") => axum::Json(serde_json::json!({ "page": 1 })).into_response(),
            _ => html.into_response(),
        }
    }
    let router = behind_the_cache(axum::Router::new().route("/exceptions", axum::routing::get(page)), &app.state);
    let get = |uri: &'static str| {
        let router = router.clone();
        async move {
            let req = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
            router.oneshot(req).await.unwrap().status()
        }
    };
    for kind in ["forbidden", "cookie", "json"] {
        let uri: &'static str = Box::leak(format!("/exceptions?kind={kind}").into_boxed_str());
        assert_ne!(get(uri).await, StatusCode::INTERNAL_SERVER_ERROR, "{kind}: answered as rendered");
        assert_eq!(pages.len(), 0, "{kind}: not kept");
    }
    assert_eq!(get("/exceptions?kind=page").await, StatusCode::OK);
    assert_eq!(pages.len(), 1, "a whole page is kept: the harness can tell");
    pages.stop().await;
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_request_waiting_on_a_render_takes_its_page(pool: PgPool) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;
    // Two requests for one page while the only render is taken: the first waits at the gate with
    // the render, the second waits on the first. The clock moves before the render begins: the
    // page, rendered after the second request arrived, is still its answer (one render, not two).
    let mut app = TestApp::new(pool.clone());
    let pages = AppState::start_page_cache(&pool);
    let gate = std::sync::Arc::new(settlepaisa_ops::http::page_cache::RenderGate::new(
        1,
        8,
        std::time::Duration::from_secs(10),
    ));
    app.state = app.state.with(|s| {
        s.pages = pages.clone();
        s.renders = gate.clone();
    });
    assert!(eventually(async || pages.is_listening()).await);
    let renders = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = renders.clone();
    let page = axum::routing::get(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            axum::response::Html("<html><script nonce=\"N\"></script>page</html>")
        }
    });
    let router = behind_the_cache(axum::Router::new().route("/exceptions", page), &app.state);
    let send = |router: axum::Router| async move {
        let req = axum::http::Request::get("/exceptions").body(axum::body::Body::empty()).unwrap();
        router.oneshot(req).await.unwrap().status()
    };
    let held = gate.enter(None).await.unwrap();
    let first = tokio::spawn(send(router.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let second = tokio::spawn(send(router.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    app.clock.advance(Duration::milliseconds(500));
    drop(held);
    assert_eq!(first.await.unwrap(), StatusCode::OK);
    assert_eq!(second.await.unwrap(), StatusCode::OK);
    assert_eq!(renders.load(Ordering::SeqCst), 1, "the second request took the first one's render");
    pages.stop().await;
}

/// `page` behind the cache's layer, called as the guard and the security headers leave a request:
/// by a signed-in user, with a nonce of its own.
fn behind_the_cache(page: axum::Router<AppState>, state: &AppState) -> axum::Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    page.route_layer(from_fn_with_state(state.clone(), settlepaisa_ops::http::page_cache::serve))
        .layer(from_fn(|mut req: axum::extract::Request, next: axum::middleware::Next| async move {
            let user = settlepaisa_ops::auth::CurrentUser {
                id: uuid::Uuid::from_u128(7),
                email: "a@b.test".into(),
                full_name: "A".into(),
                roles: vec![Role::Ops],
            };
            req.extensions_mut().insert(user);
            req.extensions_mut().insert(leptos::nonce::Nonce::new());
            next.run(req).await
        }))
        .with_state(state.clone())
}
