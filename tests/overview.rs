//! Overview on the demo data: the server-rendered page holds the figures themselves (no loading
//! placeholder), and the JSON twin agrees with SQL over the same window.

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::TestApp;
use settlepaisa_ops::{demo, ist};
use sqlx::PgPool;

async fn demo_app(pool: PgPool) -> (TestApp, String) {
    demo::seed(&pool, ist::today(Utc::now())).await.unwrap();
    let app = TestApp::new(pool);
    let reply = app.login("ops@settlepaisa.test", demo::DEMO_PASSWORD).await;
    assert_eq!(reply.location(), Some("/overview"));
    (app, reply.session_cookie().unwrap())
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_page_is_rendered_with_its_figures(pool: PgPool) {
    let (app, cookie) = demo_app(pool.clone()).await;
    // The default window: the 7 IST days ending today (spec 5.1).
    let today = ist::today(Utc::now());
    let in_window: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions WHERE cycle_date BETWEEN $1 AND $2")
        .bind(today - Duration::days(6))
        .bind(today)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(in_window > 100, "the demo has transactions in the last 7 days");
    let page = app.get("/overview", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Loading figures"), "the figures are in the HTML, not streamed in later");
    let tile = page.body.split("data-testid=\"kpi-match-rate\"").nth(1).expect("match rate tile");
    let tile = tile.split("</section>").next().unwrap();
    assert!(
        tile.contains(&format!(" of {} transactions matched", settlepaisa_ops::money::format_count(in_window))),
        "the tile shows the window's {in_window} transactions: {tile}"
    );
    assert!(page.body.contains("Settlement pipeline"));
    assert!(page.body.contains("Priya Sharma"), "the signed-in user is shown");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_api_agrees_with_sql_for_every_preset(pool: PgPool) {
    let (app, cookie) = demo_app(pool.clone()).await;
    let today = ist::today(Utc::now());
    for (range, days) in [("today", 1), ("7d", 7), ("14d", 14), ("30d", 30)] {
        let r = app.get(&format!("/api/overview/overview?range={range}"), Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::OK);
        let body = r.json();
        let from = today - Duration::days(days - 1);
        let (count, reconciled, amount): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE status = 'RECONCILED'),
                    coalesce(sum(amount_paise), 0)::bigint
             FROM transactions WHERE cycle_date BETWEEN $1 AND $2",
        )
        .bind(from)
        .bind(today)
        .fetch_one(&pool)
        .await
        .unwrap();
        let open_exceptions: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM exceptions WHERE cycle_date BETWEEN $1 AND $2 AND status NOT IN ('resolved', 'wont_fix')",
        )
        .bind(from)
        .bind(today)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(body["window"]["from"], from.to_string(), "{range}");
        assert_eq!(body["kpis"]["transactions"], count, "{range}");
        assert_eq!(body["kpis"]["reconciled"], reconciled, "{range}");
        assert_eq!(body["kpis"]["totalPaise"], amount, "{range}");
        assert_eq!(body["kpis"]["openExceptions"], open_exceptions, "{range}");
        let p = &body["pipeline"];
        let sum =
            ["inSettlement", "sentToBank", "credited", "unsettled"].iter().map(|k| p[k].as_i64().unwrap()).sum::<i64>();
        assert_eq!(sum, p["captured"].as_i64().unwrap(), "{range}: the pipeline adds up to captured");
        let amounts = &p["amounts"];
        let amount_sum = ["inSettlement", "sentToBank", "credited", "unsettled"]
            .iter()
            .map(|k| amounts[k]["amountPaise"].as_i64().unwrap())
            .sum::<i64>();
        assert_eq!(amount_sum, amount, "{range}: pipeline amounts add up to the total");
    }
    let default = app.get("/api/overview/overview", Some(&cookie)).await.json();
    assert_eq!(default["window"]["preset"], "7d", "the default window (spec 5.1)");
    assert_eq!(default["window"]["from"], (today - Duration::days(6)).to_string());
    let last30 = app.get("/api/overview/overview?range=30d", Some(&cookie)).await.json();
    let all =
        app.get(&format!("/api/overview/overview?from={}&to={today}", today - Duration::days(40)), Some(&cookie)).await;
    assert_eq!(all.json()["kpis"]["transactions"], 747, "a window covering the whole demo set holds all 747");
    assert!(last30["pipeline"]["credited"].as_i64().unwrap() > 0);
    assert!(last30["kpis"]["openChargebacks"].as_i64().unwrap() > 0);
}

/// Overview and the checklist's `GET /api/recon/summary` read one query of window totals: over the
/// same cycle dates they report the same transactions, matched and open exceptions, to the paisa.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn overview_and_the_recon_summary_agree(pool: PgPool) {
    let (app, cookie) = demo_app(pool).await;
    let today = ist::today(Utc::now());
    for days in [1, 7, 30, 41] {
        let window = format!("from={}&to={today}", today - Duration::days(days - 1));
        let overview = app.get(&format!("/api/overview/overview?{window}"), Some(&cookie)).await;
        let summary = app.get(&format!("/api/recon/summary?{window}"), Some(&cookie)).await;
        assert_eq!((overview.status, summary.status), (StatusCode::OK, StatusCode::OK), "{days} days");
        let (k, s) = (&overview.json()["kpis"], summary.json());
        assert_eq!(k["transactions"], s["transactions"]["count"], "{days} days");
        assert_eq!(k["totalPaise"], s["transactions"]["amountPaise"], "{days} days");
        assert_eq!(k["reconciled"], s["matched"]["count"], "{days} days");
        assert_eq!(k["reconciledPaise"], s["matched"]["amountPaise"], "{days} days");
        assert_eq!(k["openExceptions"], s["exceptions"]["count"], "{days} days");
        if days >= 7 {
            assert!(k["transactions"].as_i64().unwrap() > 0 && k["openExceptions"].as_i64().unwrap() > 0);
        }
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn bad_windows_get_a_clear_message(pool: PgPool) {
    let (app, cookie) = demo_app(pool).await;
    let r = app.get("/api/overview/overview?from=2026-11-20&to=2026-11-01", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["message"], "The start date is after the end date.");
    let r = app.get("/api/overview/overview?range=90d", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let page = app.get("/overview?from=2026-11-20&to=2026-11-01", Some(&cookie)).await;
    assert!(page.body.contains("The start date is after the end date."), "the page says so too");
}

/// The pipeline's share column adds up to 100.0 % for every preset (each share rounded alone could
/// show 100.1 %), and its segments fill the 1000-unit bar exactly.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_pipeline_shares_add_up_to_a_hundred_percent(pool: PgPool) {
    let (app, cookie) = demo_app(pool).await;
    let mut windows_with_shares = 0;
    for range in ["today", "7d", "14d", "30d"] {
        let page = app.get(&format!("/overview?range={range}"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        let pipeline = page.body.split("data-testid=\"pipeline\"").nth(1).expect("the pipeline section");
        // The figures are an island's: its text carries hydration markers (`<!>`).
        let pipeline = pipeline.split("</section>").next().unwrap().replace("<!>", "");
        let tenths: Vec<i64> = pipeline
            .split(" %</td>")
            .filter_map(|before| before.rsplit('>').next())
            // "33.4" → 334 tenths
            .filter_map(|text| {
                let (units, tenth) = text.trim().split_once('.')?;
                Some(units.parse::<i64>().ok()? * 10 + tenth.parse::<i64>().ok()?)
            })
            .collect();
        if tenths.is_empty() {
            assert!(pipeline.contains("—"), "{range}: an empty window shows no shares");
            continue;
        }
        assert_eq!(tenths.len(), 4, "{range}: four stages");
        windows_with_shares += 1;
        assert_eq!(tenths.iter().sum::<i64>(), 1000, "{range}: the shares {tenths:?} add up to 100.0 %");
        let widths: i64 =
            pipeline.split(" width=\"").skip(1).map(|w| w.split('"').next().unwrap().parse::<i64>().unwrap()).sum();
        assert_eq!(widths, 1000, "{range}: the segments fill the bar");
    }
    assert!(windows_with_shares >= 3, "the demo data fills the 7-, 14- and 30-day windows");
}
