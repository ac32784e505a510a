//! Issue 15, bank layouts on `/settings/layouts`: an admin writes a layout and the next upload reads
//! by it (detected, even with a title line above its header), an edit or a deactivation takes
//! effect at once, a save over someone else's newer change or one that changes nothing is refused,
//! a layout with problems is refused whole with every problem in words (nothing written), a layout
//! is tried on a sample and on every row of a stored upload (the tally equal to what the upload
//! stored, by SQL), every change has its audit row, and only an admin may do any of it.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{demo_app, demo_cookie, plain_form_post, post_multipart, server_fn_form, TestApp};
use serde_json::{json, Value};
use sqlx::PgPool;

/// A Kotak statement as the bank sends it: a title line, then `|`-separated columns. The worked
/// answer: line 3 a credit of ₹1,234.50, line 4 a debit of ₹250.00, line 5 failed (skipped), line 6
/// a date that is not one (refused), line 7 a credit of ₹5,000.00 (direction `C`).
const KOTAK: &str = "KOTAK MAHINDRA BANK - DAILY CREDITS\n\
Ref No|Txn Dt|Credit Amt|UTR|Dr/Cr|Status|Narration\n\
KTK001|30.11.2026|1,234.50|KKBKN001|CR|SUCCESS|NEFT credit\n\
KTK002|30.11.2026|250.00|KKBKN002|DR|SUCCESS|charges\n\
KTK003|30.11.2026|999.99|KKBKN003|CR|FAILED|returned\n\
KTK004|31.13.2026|10.00|KKBKN004|CR|SUCCESS|bad date\n\
KTK005|01.12.2026|5,000.00|KKBKN005|C|SUCCESS|RTGS\n";

const NAME: &str = "Kotak daily credits";

fn kotak_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("bankCode", "kotak"),
        ("layoutName", NAME),
        ("fileType", "csv"),
        ("delimiter", "|"),
        ("headerRow", "2"),
        ("dateFormat", "%d.%m.%Y"),
        ("referenceColumn", "Ref No"),
        ("grossAmountColumn", "Credit Amt"),
        ("txnDateColumn", "Txn Dt"),
        ("utrColumn", "UTR"),
        ("directionColumn", "Dr/Cr"),
        ("statusColumn", "Status"),
        ("remarksColumn", "Narration"),
        ("amountsIn", "rupees"),
        ("active", "on"),
    ]
}

/// Post the layout form as a browser without JavaScript does; the redirect's address.
async fn save(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> String {
    let reply = app
        .send(plain_form_post("/sfn/settings/save-layout", server_fn_form(fields), cookie, "/settings/layouts/new"))
        .await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.body);
    reply.location().unwrap_or_default().to_string()
}

/// Post the layout form as the editor's island does (the server function's own client): the
/// status and the body.
async fn save_as_island(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let req = Request::post("/sfn/settings/save-layout")
        .header(header::HOST, common::HOST)
        .header(header::ORIGIN, common::ORIGIN)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(server_fn_form(fields)))
        .unwrap();
    let reply = app.send(req).await;
    (reply.status, reply.body)
}

async fn upload(app: &TestApp, cookie: &str, text: &str, extra: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut fields = vec![("kind", "bank"), ("cycleDate", "2026-11-30")];
    fields.extend_from_slice(extra);
    let r = post_multipart(app, "/api/recon/v1/uploads", cookie, &fields, Some(("kotak.csv", text.as_bytes()))).await;
    (r.status, serde_json::from_str(&r.body).unwrap_or_else(|_| json!({ "raw": r.body })))
}

async fn trial(app: &TestApp, cookie: &str, layout: &Value, file: Option<&str>, upload: Option<&str>) -> common::Reply {
    let layout = layout.to_string();
    let mut fields = vec![("layout", layout.as_str())];
    if let Some(id) = upload {
        fields.push(("uploadId", id));
    }
    post_multipart(app, "/api/admin/v1/layouts/trial", cookie, &fields, file.map(|f| ("sample.csv", f.as_bytes())))
        .await
}

/// The layout form as JSON, as the island sends it to the trial.
fn layout_json(fields: &[(&str, &str)]) -> Value {
    Value::Object(fields.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
}

/// What the layouts table and its audit rows hold, to prove a refused call wrote nothing.
async fn snapshot(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws('|', (SELECT string_agg(concat_ws(',', id, layout_name, is_active, updated_at, date_format), ';' ORDER BY id)
                                FROM bank_column_mappings),
                               (SELECT count(*) FROM audit_log WHERE action LIKE 'settings.layout.%'))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The page a refused plain post goes back to, as the browser then shows it.
async fn shown(app: &TestApp, cookie: &str, location: &str) -> String {
    assert!(location.contains("__err="), "{location}");
    app.get(location.trim_start_matches(common::ORIGIN), Some(cookie)).await.body
}

fn id_in(location: &str) -> String {
    location.split("/settings/layouts/").nth(1).and_then(|r| r.split('?').next()).unwrap_or_default().to_string()
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_admin_writes_a_layout_and_the_next_upload_reads_it(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    // No layout fits the file yet: refused whole, in words.
    let (status, body) = upload(&app, &admin, KOTAK, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("not a known bank layout"), "{body}");

    let location = save(&app, &admin, &kotak_fields()).await;
    assert!(location.contains("notice=Layout%20Kotak%20daily%20credits%20saved"), "{location}");
    let id = id_in(&location);
    let (bank, active, by): (String, bool, String) = sqlx::query_as(
        "SELECT m.bank_code, m.is_active, u.email FROM bank_column_mappings m JOIN users u ON u.id = m.updated_by WHERE m.id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (bank.as_str(), active, by.as_str()),
        ("KOTAK", true, "admin@settlepaisa.test"),
        "the bank code in capitals"
    );
    let (after,): (Value,) = sqlx::query_as(
        "SELECT after FROM audit_log WHERE action = 'settings.layout.create' AND target_type = 'bank_column_mapping' AND target_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (after["layoutName"].as_str(), after["headerRow"].as_str(), after["active"].as_bool()),
        (Some(NAME), Some("2"), Some(true))
    );
    // The editor and the list show it.
    let page = app.get(&location, Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Kotak daily credits (KOTAK)") && page.body.contains("Layout Kotak daily credits saved.")
    );
    let list = app.get("/settings/layouts", Some(&admin)).await.body;
    assert!(list.contains(&format!("data-name=\"{NAME}\"")));

    // The next upload is read by it, detected although its header is on line 2.
    let (status, report) = upload(&app, &admin, KOTAK, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["format"], json!("Kotak daily credits (KOTAK)"));
    assert_eq!(
        (report["rowsAccepted"].as_i64(), report["rowsRejected"].as_i64(), report["rowsSkipped"].as_i64()),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(
        (report["errors"][0]["line"].as_i64(), report["errors"][0]["column"].as_str()),
        (Some(6), Some("Txn Dt"))
    );
    assert!(report["errors"][0]["message"].as_str().unwrap().contains("the layout's %d.%m.%Y"), "{report}");
    let file_id = report["fileId"].as_str().unwrap().to_string();
    let lines: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT bank_ref, amount_paise, direction, txn_date::text FROM bank_statement_lines WHERE source_file_id = $1::uuid ORDER BY bank_ref",
    )
    .bind(&file_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        lines,
        vec![
            ("KTK001".into(), 123450, "CREDIT".into(), "2026-11-30".into()),
            ("KTK002".into(), 25000, "DEBIT".into(), "2026-11-30".into()),
            ("KTK005".into(), 500000, "CREDIT".into(), "2026-12-01".into()),
        ]
    );

    // An edit over a version someone else has since changed is refused; nothing changes.
    let version: String = {
        let listed = app.get("/api/admin/v1/layouts", Some(&admin)).await.json();
        let me = listed["layouts"].as_array().unwrap().iter().find(|l| l["layout"]["id"] == json!(id)).unwrap().clone();
        me["layout"]["version"].as_str().unwrap().to_string()
    };
    let before = snapshot(&pool).await;
    let mut stale = kotak_fields();
    stale.extend([("id", id.as_str()), ("version", "2026-01-01T00:00:00+00:00")]);
    stale.retain(|(k, _)| *k != "active");
    let refused = save(&app, &admin, &stale).await;
    assert!(shown(&app, &admin, &refused).await.contains("since you opened it: reload it"), "{refused}");
    assert_eq!(snapshot(&pool).await, before);
    // An edit that does not say its version is refused too.
    let mut unversioned = kotak_fields();
    unversioned.push(("id", id.as_str()));
    let refused = save(&app, &admin, &unversioned).await;
    assert!(shown(&app, &admin, &refused).await.contains("which version of the layout"), "{refused}");
    // Saving what is stored writes nothing, and says so.
    let mut same = kotak_fields();
    same.extend([("id", id.as_str()), ("version", version.as_str())]);
    let kept = save(&app, &admin, &same).await;
    assert!(kept.contains("nothing%20changed"), "{kept}");
    assert_eq!(snapshot(&pool).await, before);

    // Made inactive with the current version: the next upload no longer finds it…
    let mut off = kotak_fields();
    off.extend([("id", id.as_str()), ("version", version.as_str())]);
    off.retain(|(k, _)| *k != "active");
    assert!(save(&app, &admin, &off).await.contains("notice="));
    let other = KOTAK.replace("KTK00", "KTK10");
    let (status, body) = upload(&app, &admin, &other, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (before_json, after_json): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'settings.layout.update' AND target_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((before_json["active"].as_bool(), after_json["active"].as_bool()), (Some(true), Some(false)));

    // The JSON API writes the same way: a tab-separated layout, its types as JSON has them.
    let body = json!({
        "bankCode": "YES", "layoutName": "Yes bank tab export", "fileType": "txt", "delimiter": "tab", "headerRow": 1,
        "dateFormat": "%Y-%m-%d", "referenceColumn": "Yes Ref", "grossAmountColumn": "Yes Amount",
        "txnDateColumn": "Yes Date", "amountsIn": "rupees", "active": true
    });
    let reply = common::json_request(&app, "POST", "/api/admin/v1/layouts", &admin, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let yes = reply.json()["id"].as_str().unwrap().to_string();
    let listed = app.get("/api/admin/v1/layouts", Some(&admin)).await.json();
    let row = listed["layouts"].as_array().unwrap().iter().find(|l| l["layout"]["id"] == json!(yes)).unwrap().clone();
    assert_eq!((row["layout"]["delimiter"].as_str(), row["layout"]["active"].as_str()), (Some("tab"), Some("on")));
    let (status, report) = upload(&app, &admin, "Yes Ref\tYes Amount\tYes Date\nY1\t10.50\t2026-11-30\n", &[]).await;
    assert_eq!((status, report["rowsAccepted"].as_i64()), (StatusCode::CREATED, Some(1)), "{report}");
    // Saved again as listed: nothing changes.
    let reply = common::json_request(&app, "POST", "/api/admin/v1/layouts", &admin, row["layout"].clone()).await;
    assert_eq!((reply.status, reply.json()["changed"].as_bool()), (StatusCode::OK, Some(false)), "{}", reply.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_layouts_direction_column_missing_from_a_file_refuses_the_file(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    save(&app, &admin, &kotak_fields()).await;
    // The same statement without its Dr/Cr column, the layout named: its debit would be taken as
    // a credit, so the file is refused whole and nothing is stored.
    let without: String = KOTAK
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split('|').collect();
            if cells.len() > 4 {
                cells.remove(4);
            }
            cells.join("|")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let lines_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bank_statement_lines").fetch_one(&pool).await.unwrap();
    let (status, body) = upload(&app, &admin, &without, &[("mapping", NAME)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("reads the direction from the column Dr/Cr, which the header lacks"),
        "{body}"
    );
    let lines_after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM bank_statement_lines").fetch_one(&pool).await.unwrap();
    assert_eq!(lines_after, lines_before);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_layout_with_problems_is_refused_whole_in_words(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let before = snapshot(&pool).await;
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut fields = kotak_fields();
        for (k, v) in changes {
            fields.retain(|(f, _)| f != k);
            fields.push((k, v));
        }
        fields
    };
    for (changes, says) in [
        (vec![("layoutName", "axis RECON export")], "already called"),
        (vec![("dateFormat", "%d.%m")], "a day, a month and a year"),
        (vec![("referenceColumn", "")], "reference column is required"),
        (vec![("utrColumn", "ref no")], "both the reference and the UTR column"),
        (vec![("headerRow", "0")], "between 1 and 50"),
        (vec![("netAmountColumn", "Net"), ("chargesColumns", "Fee")], "not both"),
        (vec![("remarksColumn", "Customer Email")], "personal data"),
        (vec![("grossAmountColumn", "Credit Amt Paise")], "says its amounts are in paise"),
        // Exactly the columns AXIS recon export needs: detection could not tell their files apart.
        (
            vec![
                ("referenceColumn", "TXN_REF"),
                ("grossAmountColumn", "AMOUNT_INR"),
                ("txnDateColumn", "TXN_DATE_TIME"),
                ("statusColumn", "TXN_STATUS"),
                ("utrColumn", ""),
                ("directionColumn", ""),
                ("remarksColumn", ""),
            ],
            "Files of AXIS recon export (AXIS)",
        ),
    ] {
        let fields = with(&changes);
        // Without JavaScript: back to the form with the problem in the address.
        let location = save(&app, &admin, &fields).await;
        assert!(shown(&app, &admin, &location).await.contains(says), "{changes:?}: {location}");
        // As the island saves: a 400 whose error says it.
        let (status, body) = save_as_island(&app, &admin, &fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{changes:?}: {body}");
        assert!(body.contains(says), "{says}: {body}");
        // The trial says it too (all but the checks against other layouts, which only a save makes).
        if !says.contains("already called") && !says.contains("Files of") {
            let r = trial(&app, &admin, &layout_json(&fields), Some(KOTAK), None).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert!(r.body.contains(says), "{says}: {}", r.body);
        }
    }
    assert_eq!(snapshot(&pool).await, before, "nothing written");
    // Every problem at once.
    let (status, body) = save_as_island(&app, &admin, &with(&[("bankCode", "kotak bank"), ("dateFormat", "%Q")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("capital letters") && body.contains("chrono does not know"), "{body}");
    // A good one through the island's path answers with the editor's address.
    let (status, body) = save_as_island(&app, &admin, &kotak_fields()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let location: String = serde_json::from_str(&body).unwrap();
    assert!(location.starts_with("/settings/layouts/") && location.contains("notice="), "{location}");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_layout_is_tried_on_a_sample_and_on_a_stored_upload(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let layout = layout_json(&kotak_fields());
    // A sample: its first rows as the unsaved layout reads them; nothing stored.
    let before = snapshot(&pool).await;
    let files_before: i64 = sqlx::query_scalar("SELECT count(*) FROM uploaded_files").fetch_one(&pool).await.unwrap();
    let r = trial(&app, &admin, &layout, Some(KOTAK), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    assert_eq!(t["preview"]["format"], json!("Kotak daily credits (KOTAK)"));
    let rows = t["preview"]["rows"].as_array().unwrap();
    assert_eq!(
        (rows[0]["line"].as_i64(), rows[0]["cells"][2].as_str(), rows[0]["cells"][3].as_str()),
        (Some(3), Some("₹1,234.50"), Some("CREDIT"))
    );
    assert_eq!(rows[1]["cells"][3], json!("DEBIT"));
    assert!(rows[2]["skipped"].as_str().unwrap().contains("FAILED"));
    assert!(rows[3]["error"].as_str().unwrap().starts_with("Txn Dt:"));
    assert!(t["tally"].is_null());
    // What an upload of it would be read as, once the layout is saved: by this layout.
    assert_eq!(t["detected"], json!({ "Ok": "Kotak daily credits (KOTAK)" }));
    assert_eq!(snapshot(&pool).await, before);
    let files_after: i64 = sqlx::query_scalar("SELECT count(*) FROM uploaded_files").fetch_one(&pool).await.unwrap();
    assert_eq!(files_after, files_before, "a trial stores no file");

    // Stored: uploaded under the saved layout, then every row tried with an edit of it.
    save(&app, &admin, &kotak_fields()).await;
    let (status, report) = upload(&app, &admin, KOTAK, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let file_id = report["fileId"].as_str().unwrap().to_string();
    let r = trial(&app, &admin, &layout, None, Some(&file_id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    // The tally equals what the upload stored, by SQL.
    let (accepted, rejected, credits, debits): (i32, i32, i64, i64) = sqlx::query_as(
        "SELECT f.rows_accepted, f.rows_rejected,
                (SELECT coalesce(sum(amount_paise), 0)::bigint FROM bank_statement_lines WHERE source_file_id = f.id AND direction = 'CREDIT'),
                (SELECT coalesce(sum(amount_paise), 0)::bigint FROM bank_statement_lines WHERE source_file_id = f.id AND direction = 'DEBIT')
         FROM uploaded_files f WHERE f.id = $1::uuid",
    )
    .bind(&file_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let tally = &t["tally"];
    assert_eq!(
        (
            tally["accepted"].as_i64(),
            tally["refused"].as_i64(),
            tally["creditsPaise"].as_i64(),
            tally["debitsPaise"].as_i64()
        ),
        (Some(i64::from(accepted)), Some(i64::from(rejected)), Some(credits), Some(debits))
    );
    assert_eq!((credits, debits), (623450, 25000), "the worked answer");
    assert_eq!((tally["rowsTotal"].as_i64(), tally["skipped"].as_i64()), (Some(5), Some(1)));
    assert_eq!(
        t["stored"],
        json!({ "format": "Kotak daily credits (KOTAK)", "accepted": 3, "skipped": 1, "refused": 1 })
    );
    // The same file under a wrong date format: every dated row refused, each named by its line.
    let mut wrong = kotak_fields();
    wrong.retain(|(k, _)| *k != "dateFormat");
    wrong.push(("dateFormat", "%m/%d/%Y"));
    let t = trial(&app, &admin, &layout_json(&wrong), None, Some(&file_id)).await.json();
    let lines: Vec<i64> =
        t["tally"]["firstRefused"].as_array().unwrap().iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!((t["tally"]["accepted"].as_i64(), lines), (Some(0), vec![3, 4, 6, 7]));
    // Without JavaScript: the saved layout tested by a plain GET.
    let id: String = sqlx::query_scalar("SELECT id::text FROM bank_column_mappings WHERE layout_name = $1")
        .bind(NAME)
        .fetch_one(&pool)
        .await
        .unwrap();
    let count_trials = async || -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'settings.layout.trial'")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let before_page = count_trials().await;
    let page = app.get(&format!("/settings/layouts/{id}?test={file_id}"), Some(&admin)).await;
    assert_eq!(count_trials().await - before_page, 1, "one page load reads the file once");
    assert_eq!(page.status, StatusCode::OK);
    let shown = page.body.split("id=\"stored-test-heading\"").nth(1).unwrap_or_default();
    assert!(
        shown.contains("Every row: 5 read, 3 accepted, 1 skipped, 1 refused"),
        "the tally on the page: {}",
        &shown[..shown.len().min(2000)]
    );
    // Each read of a kept file is audited.
    let trials: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'settings.layout.trial' AND target_type = 'uploaded_file' AND target_id = $1",
    )
    .bind(&file_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(trials, 3, "two API tests and the page's");
    // A PG upload, an unknown one or none is not a bank file to test on.
    let pg_file =
        "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n\
                   LT1,MERCH_001,100.00,INR,30/11/2026,10:00:00,UPI,LTUTR1,,success\n";
    let r = post_multipart(
        &app,
        "/api/recon/v1/uploads",
        &admin,
        &[("kind", "pg"), ("cycleDate", "2026-11-30")],
        Some(("pg.csv", pg_file.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let pg = r.json()["fileId"].as_str().unwrap().to_string();
    for id in [pg.as_str(), "00000000-0000-4000-8000-000000000000"] {
        let r = trial(&app, &admin, &layout, None, Some(id)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
    }
    let r = trial(&app, &admin, &layout, None, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn only_an_admin_sees_tries_or_writes_layouts(pool: PgPool) {
    let app = demo_app(&pool).await;
    let layout = layout_json(&kotak_fields());
    for email in
        ["ops@settlepaisa.test", "finance@settlepaisa.test", "compliance@settlepaisa.test", "auditor@settlepaisa.test"]
    {
        let cookie = demo_cookie(&app, email).await;
        let before = snapshot(&pool).await;
        assert_eq!(app.get("/api/admin/v1/layouts", Some(&cookie)).await.status, StatusCode::FORBIDDEN, "{email}");
        assert_eq!(trial(&app, &cookie, &layout, Some(KOTAK), None).await.status, StatusCode::FORBIDDEN, "{email}");
        let location = save(&app, &cookie, &kotak_fields()).await;
        assert!(location.contains("__err="), "{email}: {location}");
        assert_eq!(save_as_island(&app, &cookie, &kotak_fields()).await.0, StatusCode::FORBIDDEN, "{email}");
        for page in ["/settings/layouts", "/settings/layouts/new"] {
            let reply = app.get(page, Some(&cookie)).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email} {page}");
            assert!(!reply.body.contains("data-testid=\"layout-form\""), "{email} {page}");
        }
        assert_eq!(snapshot(&pool).await, before, "{email}: nothing written");
    }
    assert_eq!(app.get("/api/admin/v1/layouts", None).await.status, StatusCode::UNAUTHORIZED);
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let listed = app.get("/api/admin/v1/layouts", Some(&admin)).await.json();
    assert_eq!(
        listed["layouts"].as_array().unwrap().len(),
        settlepaisa_ops::features::recon::ingest::shipped_mappings().len()
    );
    assert_eq!(app.get("/settings/layouts/new", Some(&admin)).await.status, StatusCode::OK);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_layout_is_tried_on_a_workbook(pool: PgPool) {
    let app = demo_app(&pool).await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    // The Kotak statement as a workbook: the title in A1, the header on row 2.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in KOTAK.lines().enumerate() {
        for (c, cell) in line.split('|').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let layout = layout_json(&kotak_fields()).to_string();
    let r = post_multipart(
        &app,
        "/api/admin/v1/layouts/trial",
        &admin,
        &[("layout", layout.as_str())],
        Some(("kotak.xlsx", &bytes)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = r.json();
    let rows = t["preview"]["rows"].as_array().unwrap();
    assert_eq!((rows[0]["line"].as_i64(), rows[0]["cells"][2].as_str()), (Some(3), Some("₹1,234.50")), "{t}");
    assert!(rows[3]["error"].as_str().unwrap().starts_with("Txn Dt:"), "{t}");
}
