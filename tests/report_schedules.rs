//! Issue 15, scheduled reports: a schedule made through the API runs when its IST time comes on a
//! manual clock (and once, however many ticks see it), through the job queue; its file is stored
//! with its SHA-256 and equals what the download serves; a real SMTP server (Python's aiosmtpd,
//! started here) receives the e-mail with the link. E-mail off and a relay that is down; the role
//! matrix and bad input; a schedule changed, but for its report.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use common::{demo_app, demo_cookie, json_request, plain_form_post, server_fn_form, TestApp};
use serde_json::{json, Value};
use settlepaisa_ops::config::{Config, SmtpConfig, SmtpTls};
use settlepaisa_ops::features::reports::schedules;
use settlepaisa_ops::http::xlsx::SheetLimits;
use settlepaisa_ops::mail::Mailer;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

/// Python's aiosmtpd on a free local port, storing what it receives in a Maildir; stopped on drop.
struct SmtpSink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port)
    }

    fn start_on(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (make test installs python3-aiosmtpd)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpSink { child, port, dir };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start on port {port} (is python3-aiosmtpd installed?)");
    }

    fn mailer(&self) -> Arc<Mailer> {
        Arc::new(mailer_on(self.port))
    }

    /// Every message received so far, its quoted-printable body decoded.
    fn messages(&self) -> Vec<String> {
        let new: PathBuf = self.dir.path().join("box").join("new");
        let Ok(entries) = std::fs::read_dir(new) else { return Vec::new() };
        entries.map(|e| quoted_printable(&std::fs::read_to_string(e.unwrap().path()).unwrap())).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Quoted-printable text decoded (RFC 2045: `=` at a line's end joins it to the next; `=XX` a byte).
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn mailer_on(port: u16) -> Mailer {
    Mailer::new(&SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "SettlePaisa Ops <reports@settlepaisa.test>".into(),
    })
    .unwrap()
}

fn with_mailer(app: &mut TestApp, mailer: Option<Arc<Mailer>>) {
    app.state = app.state.with(|s| s.mailer = mailer);
}

async fn create(app: &TestApp, cookie: &str, body: Value) -> common::Reply {
    json_request(app, "POST", "/api/reports/v1/schedules", cookie, body).await
}

fn schedule(name: &str) -> Value {
    json!({
        "name": name,
        "report": "settlement-summary",
        "format": "xlsx",
        "windowDays": 45,
        "cron": "0 9 * * *",
        "recipients": ["finance.lead@example.com", "cfo@example.com"],
    })
}

/// [`schedule`] with the fields of `change` in place of its own.
fn schedule_with(name: &str, change: &Value) -> Value {
    let mut body = schedule(name);
    for (k, v) in change.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

async fn next_run(pool: &PgPool, id: Uuid) -> DateTime<Utc> {
    sqlx::query_scalar("SELECT next_run_at FROM report_schedules WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
}

/// Move the manual clock to `at`.
fn set_clock(app: &TestApp, at: DateTime<Utc>) {
    let now = settlepaisa_ops::state::Clock::now(app.clock.as_ref());
    app.clock.advance(at - now);
}

#[derive(sqlx::FromRow, Debug)]
struct Run {
    id: Uuid,
    status: String,
    window_from: NaiveDate,
    window_to: NaiveDate,
    storage_key: Option<String>,
    sha256: Option<String>,
    size_bytes: Option<i64>,
    emailed_at: Option<DateTime<Utc>>,
    email_note: Option<String>,
    finished_at: Option<DateTime<Utc>>,
    error: Option<String>,
}

async fn runs_of(pool: &PgPool, schedule: Uuid) -> Vec<Run> {
    sqlx::query_as(
        "SELECT id, status, window_from, window_to, storage_key, sha256, size_bytes, emailed_at, email_note, finished_at, error
         FROM report_runs WHERE schedule_id = $1 ORDER BY due_at",
    )
    .bind(schedule)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_schedule_runs_at_its_ist_time_stores_its_file_and_mails_the_link(pool: PgPool) {
    let sink = SmtpSink::start();
    let mut app = demo_app(&pool).await;
    with_mailer(&mut app, Some(sink.mailer()));
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;

    let reply = create(&app, &finance, schedule("Daily summary")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id: Uuid = reply.json()["id"].as_str().unwrap().parse().unwrap();
    let first = next_run(&pool, id).await;
    assert_eq!(reply.json()["nextRunAt"], first.to_rfc3339());
    // 09:00 IST is 03:30 UTC.
    assert_eq!(first.format("%H:%M").to_string(), "03:30");
    assert!(first > settlepaisa_ops::state::Clock::now(app.clock.as_ref()));

    // A second before its time nothing is queued; at its time one run is, however many ticks
    // (two instances at once) see it.
    set_clock(&app, first - chrono::Duration::seconds(1));
    assert_eq!(schedules::enqueue_due(&pool, first - chrono::Duration::seconds(1)).await.unwrap(), 0);
    set_clock(&app, first);
    let (a, b) = tokio::join!(schedules::enqueue_due(&pool, first), schedules::enqueue_due(&pool, first));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(schedules::enqueue_due(&pool, first).await.unwrap(), 0);
    assert_eq!(next_run(&pool, id).await, first + chrono::Duration::days(1));

    // The queued job runs: the file is stored, hashed and announced.
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "test-worker").await.unwrap());
    let runs = runs_of(&pool, id).await;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.status, "completed", "{run:?}");
    let due_day = settlepaisa_ops::ist::date_of(first);
    assert_eq!(run.window_to, due_day - chrono::Duration::days(1));
    assert_eq!(run.window_from, due_day - chrono::Duration::days(45));

    let key = run.storage_key.clone().unwrap();
    assert!(key.starts_with(&format!("reports/{id}/{}/settlement-summary_", run.id)), "{key}");
    let stored =
        app.state.objects.get(&object_store::path::Path::from(key.as_str())).await.unwrap().bytes().await.unwrap();
    assert_eq!(stored.len() as i64, run.size_bytes.unwrap());
    assert_eq!(hex::encode(Sha256::digest(&stored)), *run.sha256.as_ref().unwrap());

    // The download serves those bytes; the file holds the window's batches. (The clock moved on:
    // sign in again.)
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let download = app.get(&format!("/api/reports/v1/runs/{}/file", run.id), Some(&finance)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, stored.to_vec());
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(download.bytes)).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("Settlement summary").unwrap();
    let (batches,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM settlement_batches WHERE cycle_date BETWEEN $1 AND $2 AND status <> 'REJECTED'",
    )
    .bind(run.window_from)
    .bind(run.window_to)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(batches > 0);
    assert_eq!(sheet.height() as i64, batches + 1);

    // The e-mail reached the SMTP server: one message to each recipient, with the link to the run
    // on the schedules page and the file's hash.
    let mail = sink.messages();
    assert_eq!(mail.len(), 2, "{mail:?}");
    for to in ["finance.lead@example.com", "cfo@example.com"] {
        let m =
            mail.iter().find(|m| m.contains(&format!("X-RcptTo: {to}"))).unwrap_or_else(|| panic!("no mail to {to}"));
        assert!(m.contains("Subject: SettlePaisa report: Daily summary"), "{m}");
        assert!(m.contains(&format!("/reports/schedules?run={}", run.id)), "{m}");
        assert!(m.contains(run.sha256.as_ref().unwrap()), "{m}");
    }
    assert!(run.emailed_at.is_some());

    // The page the mail links to lists the run, marked, with its hash.
    let page = app.get(&format!("/reports/schedules?run={}", run.id), Some(&finance)).await;
    assert!(page.body.contains(run.sha256.as_ref().unwrap()));
    assert!(page.body.contains("Daily summary"));
    assert!(page.body.contains(&format!("id=\"run-{}\"", run.id)) && page.body.contains("aria-current=\"true\""));

    // The file holds account numbers in full (its creator is finance): every role that sees them
    // masked is refused it in words (and may read the report masked instead); finance may have it.
    for who in ["auditor", "ops", "admin"] {
        let cookie = demo_cookie(&app, &format!("{who}@settlepaisa.test")).await;
        let refused = app.get(&format!("/api/reports/v1/runs/{}/file", run.id), Some(&cookie)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who}");
        assert!(refused.body.contains("personal data"), "{}", refused.body);
    }
    assert_eq!(app.get(&format!("/api/reports/v1/runs/{}/file", run.id), Some(&finance)).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/reports/v1/runs/{}/file", Uuid::new_v4()), Some(&finance)).await.status,
        StatusCode::NOT_FOUND
    );

    // Created and audited.
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_log WHERE action = 'report.schedule.create' AND target_id = $1 AND actor_email = 'finance@settlepaisa.test'",
    )
    .bind(id.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn without_smtp_the_file_is_kept_and_a_relay_that_is_down_is_retried(pool: PgPool) {
    let mut app = demo_app(&pool).await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let mut body = schedule("Tax monthly");
    body["report"] = json!("tax");
    body["format"] = json!("csv");
    let id: Uuid = create(&app, &finance, body).await.json()["id"].as_str().unwrap().parse().unwrap();
    let due = next_run(&pool, id).await;
    set_clock(&app, due);

    // E-mail off: the run completes with its file and says why nobody was mailed.
    assert_eq!(schedules::enqueue_due(&pool, due).await.unwrap(), 1);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let run = runs_of(&pool, id).await.remove(0);
    assert_eq!(run.status, "completed");
    assert!(run.email_note.as_deref().unwrap().contains("SMTP_HOST"), "{run:?}");
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let csv = app.get(&format!("/api/reports/v1/runs/{}/file", run.id), Some(&finance)).await;
    assert!(csv.body.starts_with("Month,Merchant ID,Legal name,GSTIN,PAN,Batches"), "{}", csv.body);
    let page = app.get("/reports/schedules", Some(&finance)).await;
    assert!(page.body.contains("data-testid=\"mail-off\""));

    // A relay that is down: the job fails (to be retried), the file is stored once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    with_mailer(&mut app, Some(Arc::new(mailer_on(port))));
    let next = due + chrono::Duration::days(1);
    set_clock(&app, next);
    assert_eq!(schedules::enqueue_due(&pool, next).await.unwrap(), 1);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let run = runs_of(&pool, id).await.remove(1);
    assert_eq!(run.status, "completed");
    assert!(run.emailed_at.is_none());
    let stored_at = run.finished_at;
    assert!(run.email_note.as_deref().unwrap().starts_with("E-mail failed"), "{run:?}");
    let (status, error): (String, Option<String>) = sqlx::query_as(
        "SELECT j.status, j.last_error FROM jobs j JOIN report_runs r ON r.job_id = j.id WHERE r.id = $1",
    )
    .bind(run.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "queued", "retried after its back-off");
    assert!(error.unwrap().contains("e-mail"));

    // Meanwhile the schedule is changed to XLSX: what is stored already stays CSV.
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let mut as_xlsx = schedule("Tax monthly");
    as_xlsx["report"] = json!("tax");
    let path = format!("/api/reports/v1/schedules/{id}");
    assert_eq!(json_request(&app, "PUT", &path, &finance, as_xlsx).await.status, StatusCode::OK);

    // The relay comes up; the retry (an hour on) mails the stored file without writing it again.
    let sink = SmtpSink::start_on(port);
    with_mailer(&mut app, Some(sink.mailer()));
    app.clock.advance(chrono::Duration::hours(1));
    sqlx::query("UPDATE jobs SET run_at = now() WHERE status = 'queued'").execute(&pool).await.unwrap();
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let again = runs_of(&pool, id).await.remove(1);
    assert!(again.emailed_at.is_some());
    assert_eq!((again.storage_key, again.sha256), (run.storage_key, run.sha256));
    assert_eq!(again.finished_at, stored_at, "the file was not written again");
    assert_eq!(again.error, None, "the failed attempt's reason is cleared once mailed");
    let mail = sink.messages();
    assert_eq!(mail.len(), 2);
    let (file_name,): (String,) =
        sqlx::query_as("SELECT file_name FROM report_runs WHERE id = $1").bind(run.id).fetch_one(&pool).await.unwrap();
    assert!(file_name.ends_with(".csv"), "{file_name}");
    assert!(mail.iter().all(|m| m.contains(&format!("File: {file_name}"))), "the mail names the stored file: {mail:?}");
}

/// A scheduled XLSX longer than its file holds fails its run and its job at once, with the
/// sentence: no retry would make it shorter, and each would build the whole file again before
/// being refused. A download of the same report is refused with the same sentence; the same
/// schedule as CSV is stored.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_scheduled_xlsx_too_long_for_its_file_fails_at_once_in_words(pool: PgPool) {
    let mut app = demo_app(&pool).await;
    // Two rows on one worksheet: the demo's settlement summary has more.
    let limits = SheetLimits { rows_per_sheet: 2, sheets: 1 };
    app.state = app.state.with(|s| s.config = Arc::new(Config { xlsx_limits: limits, ..(*s.config).clone() }));
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let id: Uuid = create(&app, &finance, schedule("Too long")).await.json()["id"].as_str().unwrap().parse().unwrap();
    let due = next_run(&pool, id).await;
    set_clock(&app, due);
    assert_eq!(schedules::enqueue_due(&pool, due).await.unwrap(), 1);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());

    let run = runs_of(&pool, id).await.remove(0);
    let sentence = "This report has more than 2 rows, more than an XLSX file of this product holds. Narrow the dates or the filters, or use CSV.";
    assert_eq!((run.status.as_str(), run.error.as_deref()), ("failed", Some(sentence)), "{run:?}");
    assert_eq!((run.storage_key, run.sha256, run.emailed_at), (None, None, None));
    assert!(run.finished_at.is_some());
    let (status, attempts, max_attempts, error): (String, i32, i32, Option<String>) = sqlx::query_as(
        "SELECT j.status, j.attempts, j.max_attempts, j.last_error FROM jobs j JOIN report_runs r ON r.job_id = j.id WHERE r.id = $1",
    )
    .bind(run.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(max_attempts > 1, "the job had attempts left");
    assert_eq!((status.as_str(), attempts, error.as_deref()), ("failed", 1, Some(sentence)), "not queued again");
    use object_store::ObjectStore;
    let stored: Vec<_> = futures_util::TryStreamExt::try_collect(
        app.state.objects.list(Some(&object_store::path::Path::from(format!("reports/{id}")))),
    )
    .await
    .unwrap();
    assert!(stored.is_empty(), "{stored:?}");
    // (The clock moved on: sign in again.)
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let page = app.get("/reports/schedules", Some(&finance)).await;
    assert!(page.body.contains("Narrow the dates or the filters, or use CSV."), "the schedules page shows why");

    // A download of the report as XLSX meets the same limit.
    let (from, to) = (run.window_from, run.window_to);
    let download =
        app.get(&format!("/api/reports/v1/settlement-summary.xlsx?from={from}&to={to}"), Some(&finance)).await;
    assert_eq!(download.status, StatusCode::BAD_REQUEST);
    assert!(download.body.contains("more than 2 rows"), "{}", download.body);

    // As CSV the same report has no such limit: changed so (the runbook's way), the next run
    // stores its file.
    let path = format!("/api/reports/v1/schedules/{id}");
    let mut as_csv = schedule("Too long");
    as_csv["format"] = json!("csv");
    let reply = json_request(&app, "PUT", &path, &finance, as_csv).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let next = due + chrono::Duration::days(1);
    set_clock(&app, next);
    assert_eq!(schedules::enqueue_due(&pool, next).await.unwrap(), 1);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let run = runs_of(&pool, id).await.remove(1);
    assert_eq!(run.status, "completed", "{run:?}");
    assert!(run.storage_key.is_some());

    // A worker whose job another worker has taken over (its heartbeat went stale) fails it without
    // a word on the run: the run is the new holder's to settle.
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    assert_eq!(json_request(&app, "PUT", &path, &finance, schedule("Too long")).await.status, StatusCode::OK);
    let third = next + chrono::Duration::days(1);
    set_clock(&app, third);
    assert_eq!(schedules::enqueue_due(&pool, third).await.unwrap(), 1);
    let stale = settlepaisa_ops::jobs::claim(&pool, "old").await.unwrap().unwrap();
    sqlx::query("UPDATE jobs SET locked_by = 'new' WHERE id = $1").bind(stale.id).execute(&pool).await.unwrap();
    let failure = schedules::execute_job(&app.state, &stale).await.unwrap_err();
    assert_eq!((failure.reason.as_str(), failure.retry), (sentence, false));
    let run = runs_of(&pool, id).await.remove(2);
    assert_eq!((run.status.as_str(), run.error, run.finished_at), ("queued", None, None), "left to the new holder");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn who_may_schedule_and_bad_schedules_are_refused_in_words(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let auditor = demo_cookie(&app, "auditor@settlepaisa.test").await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;

    // The auditor reads, never schedules; nobody signed in gets 401.
    assert_eq!(create(&app, &auditor, schedule("x")).await.status, StatusCode::FORBIDDEN);
    let anonymous = app
        .send(
            axum::http::Request::post("/api/reports/v1/schedules")
                .header("host", common::HOST)
                .header("origin", common::ORIGIN)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(schedule("x").to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/reports/v1/schedules", Some(&auditor)).await.status, StatusCode::OK);
    let page = app.get("/reports/schedules", Some(&auditor)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Create schedule"), "no form for the auditor");

    for (change, words) in [
        (json!({"cron": "0 25 * * *"}), "not a schedule"),
        (json!({"cron": "0 9 * *"}), "five cron fields"),
        (json!({"cron": "*/5 * * * *"}), "once an hour"),
        (json!({"name": "Two\nlines"}), "one line"),
        (json!({"recipients": ["not an address"]}), "not an e-mail"),
        (json!({"recipients": ["a@example.com, b@example.com"]}), "one address"),
        (json!({"recipients": []}), "at least one"),
        (json!({"windowDays": 0}), "1 to 366"),
        (json!({"report": "bank-mis", "merchantId": "M_1"}), "no merchant"),
        (json!({"merchantId": "NO_SUCH_M"}), "no merchant NO_SUCH_M"),
        (json!({"format": "pdf"}), "CSV or XLSX"),
    ] {
        let reply = create(&app, &ops, schedule_with("Bad", &change)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{change}: {}", reply.body);
        assert!(reply.body.contains(words), "{change}: {}", reply.body);
    }
    let (none,): (i64,) = sqlx::query_as("SELECT count(*) FROM report_schedules").fetch_one(&pool).await.unwrap();
    assert_eq!(none, 0, "nothing refused was written");

    // Ops makes one; the same name again is a conflict; finance may not delete it, admin may.
    let reply = create(&app, &ops, schedule("Ops weekly")).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    assert_eq!(create(&app, &ops, schedule("Ops weekly")).await.status, StatusCode::CONFLICT);
    let path = format!("/api/reports/v1/schedules/{id}");
    assert_eq!(json_request(&app, "DELETE", &path, &finance, json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(json_request(&app, "DELETE", &path, &admin, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(json_request(&app, "DELETE", &path, &admin, json!({})).await.status, StatusCode::NOT_FOUND);
    let listed = app.get("/api/reports/v1/schedules", Some(&ops)).await.json();
    assert_eq!(listed["schedules"].as_array().unwrap().len(), 0, "deleted schedules are not listed");
    // A deleted schedule's name is free again.
    assert_eq!(create(&app, &ops, schedule("Ops weekly")).await.status, StatusCode::CREATED);

    // The page's form, posted without JavaScript, creates one and comes back with a notice.
    let form = server_fn_form(&[
        ("name", "From the form"),
        ("report", "recon-outcome"),
        ("format", "csv"),
        ("windowDays", "7"),
        ("merchantId", ""),
        ("acquirer", "hdfc"),
        ("cron", "30 7 1 * *"),
        ("recipients", "ops.lead@example.com"),
    ]);
    let reply = app.send(plain_form_post("/sfn/reports/create-schedule", form, &ops, "/reports/schedules")).await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.body);
    assert!(reply.location().unwrap().contains("notice="), "{:?}", reply.location());
    let (acquirer, cron): (Option<String>, String) =
        sqlx::query_as("SELECT acquirer, cron FROM report_schedules WHERE name = 'From the form'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((acquirer.as_deref(), cron.as_str()), (Some("HDFC"), "30 7 1 * *"));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_missed_schedule_runs_once_and_a_deleted_one_not_at_all(pool: PgPool) {
    let app = demo_app(&pool).await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let daily: Uuid = create(&app, &finance, schedule("Daily")).await.json()["id"].as_str().unwrap().parse().unwrap();
    let first = next_run(&pool, daily).await;

    // Every instance was down for three days: one run, for the latest time it was due, and the
    // schedule goes on from then.
    let later = first + chrono::Duration::days(3) + chrono::Duration::hours(2);
    assert_eq!(schedules::enqueue_due(&pool, later).await.unwrap(), 1);
    let (due,): (DateTime<Utc>,) = sqlx::query_as("SELECT due_at FROM report_runs WHERE schedule_id = $1")
        .bind(daily)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(due, first + chrono::Duration::days(3));
    assert_eq!(next_run(&pool, daily).await, first + chrono::Duration::days(4));

    // A run queued before its schedule was deleted does nothing, and says so.
    let path = format!("/api/reports/v1/schedules/{daily}");
    assert_eq!(json_request(&app, "DELETE", &path, &finance, json!({})).await.status, StatusCode::NO_CONTENT);
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let run = runs_of(&pool, daily).await.remove(0);
    assert_eq!(run.status, "failed");
    assert!(run.storage_key.is_none());
    assert!(run.error.as_deref().unwrap().contains("deleted"), "{run:?}");
    assert_eq!(
        schedules::enqueue_due(&pool, later + chrono::Duration::days(2)).await.unwrap(),
        0,
        "deleted: no more runs"
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_schedule_is_changed_by_its_creator_or_an_admin_and_keeps_its_report(pool: PgPool) {
    let app = demo_app(&pool).await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let auditor = demo_cookie(&app, "auditor@settlepaisa.test").await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let id: Uuid = create(&app, &ops, schedule("Ops daily")).await.json()["id"].as_str().unwrap().parse().unwrap();
    let mut other = schedule("Ops other");
    other["cron"] = json!("0 9 1 1 *"); // not due in this test
    assert_eq!(create(&app, &ops, other).await.status, StatusCode::CREATED);
    let path = format!("/api/reports/v1/schedules/{id}");
    let changed = |change: Value| schedule_with("Ops daily", &change);
    let stored = || async {
        sqlx::query_as::<_, (String, String, String, Vec<String>, DateTime<Utc>)>(
            "SELECT name, format, cron, recipients, next_run_at FROM report_schedules WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let as_made = stored().await;

    // Not its creator nor an admin: 403; the auditor never schedules.
    for cookie in [&finance, &auditor] {
        let reply = json_request(&app, "PUT", &path, cookie, changed(json!({"format": "csv"}))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    }
    // Refused in words, nothing changed: another report, a bad cron, an unknown merchant, no
    // recipient, the name of the creator's other schedule.
    for (change, status, words) in [
        (json!({"report": "tax"}), StatusCode::BAD_REQUEST, "keeps its report"),
        (json!({"cron": "0 25 * * *"}), StatusCode::BAD_REQUEST, "not a schedule"),
        (json!({"merchantId": "NO_SUCH_M"}), StatusCode::BAD_REQUEST, "no merchant NO_SUCH_M"),
        (json!({"recipients": []}), StatusCode::BAD_REQUEST, "at least one"),
        (json!({"name": "Ops other"}), StatusCode::CONFLICT, "a schedule called \\\"Ops other\\\" of the same creator"),
    ] {
        let reply = json_request(&app, "PUT", &path, &ops, changed(change.clone())).await;
        assert_eq!(reply.status, status, "{change}: {}", reply.body);
        assert!(reply.body.contains(words), "{change}: {}", reply.body);
    }
    assert_eq!(stored().await, as_made, "nothing refused was written");

    // An admin moves it to 07:30: the next run is the new cron's next time.
    let now = settlepaisa_ops::state::Clock::now(app.clock.as_ref());
    let due = schedules::next_after("30 7 * * *", now).unwrap();
    assert_ne!(due, as_made.4);
    let reply = json_request(&app, "PUT", &path, &admin, changed(json!({"cron": "30 7 * * *"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["nextRunAt"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), due);
    assert_eq!(next_run(&pool, id).await, due);

    // Its time has come and no tick has queued it yet: the creator moves it to 07:45, and this
    // run is still made; the tick that queues it goes on by the new cron, an hour after it at least.
    set_clock(&app, due + chrono::Duration::minutes(1));
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let reply = json_request(&app, "PUT", &path, &ops, changed(json!({"cron": "45 7 * * *"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(next_run(&pool, id).await, due, "the run due is kept");
    let ticked = due + chrono::Duration::minutes(1);
    assert_eq!(schedules::enqueue_due(&pool, ticked).await.unwrap(), 1);
    let (run_id, run_due): (Uuid, DateTime<Utc>) =
        sqlx::query_as("SELECT id, due_at FROM report_runs WHERE schedule_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(run_due, due);
    let tomorrow = due + chrono::Duration::days(1);
    assert_eq!(next_run(&pool, id).await, tomorrow + chrono::Duration::minutes(15), "not 07:45 today");

    // Through the page's form, posted without JavaScript: CSV, at 07:50 — tomorrow, not 20
    // minutes after the run just queued. That run is then written as CSV.
    let form = server_fn_form(&[
        ("name", "Ops daily"),
        ("report", "settlement-summary"),
        ("format", "csv"),
        ("windowDays", "45"),
        ("merchantId", ""),
        ("acquirer", ""),
        ("cron", "50 7 * * *"),
        ("recipients", "ops.lead@example.com"),
    ]);
    let reply = app
        .send(plain_form_post("/sfn/reports/update-schedule", format!("id={id}&{form}"), &ops, "/reports/schedules"))
        .await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.body);
    assert!(reply.location().unwrap().contains("saved"), "{:?}", reply.location());
    let (_, format, cron, recipients, next) = stored().await;
    assert_eq!(
        (format.as_str(), cron.as_str(), recipients, next),
        ("csv", "50 7 * * *", vec!["ops.lead@example.com".to_string()], tomorrow + chrono::Duration::minutes(20))
    );
    let page = app.get(&format!("/reports/schedules?edit={id}"), Some(&ops)).await;
    assert!(page.body.contains("<option value=\"csv\" selected"), "the form holds the format it has");
    assert!(settlepaisa_ops::jobs::run_next(&app.state, "w").await.unwrap());
    let run = runs_of(&pool, id).await.remove(0);
    assert_eq!((run.id, run.status.as_str()), (run_id, "completed"), "{run:?}");
    assert!(run.storage_key.as_deref().unwrap().ends_with(".csv"), "{run:?}");

    // Back to XLSX: the CSV run's file is still served as CSV.
    let reply = json_request(&app, "PUT", &path, &ops, changed(json!({"cron": "50 7 * * *"}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let file = app.get(&format!("/api/reports/v1/runs/{run_id}/file"), Some(&ops)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["content-type"], "text/csv; charset=utf-8");

    // Each change is audited with the schedule before and after.
    let audited: Vec<(Value, Value)> = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'report.schedule.update' AND target_id = $1 ORDER BY chain_seq",
    )
    .bind(id.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 4, "{audited:?}");
    assert_eq!((&audited[0].0["cron"], &audited[0].1["cron"]), (&json!("0 9 * * *"), &json!("30 7 * * *")));
    assert_eq!((&audited[2].0["format"], &audited[2].1["format"]), (&json!("xlsx"), &json!("csv")));
    assert_eq!(audited[2].1["nextRunAt"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), next);

    // The page: its creator gets the form holding the schedule at ?edit=, someone else the new
    // schedule's form.
    let edit_page = format!("/reports/schedules?edit={id}");
    let page = app.get(&edit_page, Some(&ops)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-testid=\"edit-schedule\""), "{}", page.body);
    assert!(page.body.contains("value=\"50 7 * * *\""));
    // A refusal through the form comes back to the same form, in words.
    let clash = server_fn_form(&[
        ("name", "Ops other"),
        ("report", "settlement-summary"),
        ("format", "xlsx"),
        ("windowDays", "45"),
        ("merchantId", ""),
        ("acquirer", ""),
        ("cron", "50 7 * * *"),
        ("recipients", "ops.lead@example.com"),
    ]);
    let reply =
        app.send(plain_form_post("/sfn/reports/update-schedule", format!("id={id}&{clash}"), &ops, &edit_page)).await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.body);
    let back = reply.location().unwrap().trim_start_matches(common::ORIGIN).to_string();
    assert!(back.starts_with(&edit_page), "{back}");
    let page = app.get(&back, Some(&ops)).await;
    assert!(page.body.contains("data-testid=\"edit-schedule\""), "{}", page.body);
    assert!(page.body.contains("of the same creator already"), "{}", page.body);
    assert_eq!(stored().await.0, "Ops daily");
    let page = app.get(&format!("/reports/schedules?edit={id}"), Some(&finance)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("data-testid=\"edit-schedule\""));
    assert!(page.body.contains("Create schedule"));

    // A deleted schedule is not there to change.
    assert_eq!(json_request(&app, "DELETE", &path, &ops, json!({})).await.status, StatusCode::NO_CONTENT);
    let reply = json_request(&app, "PUT", &path, &ops, changed(json!({}))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}
