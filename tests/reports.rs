//! Issue 15, reports: each of the five reports on the demo data against SQL ground truth and the
//! figures of the pages that show the same thing (the settlement list and batch items, the recon
//! run's tabs and totals); the XLSX read back with calamine (typed cells, values to the paisa,
//! dates as dates, the ₹ format, a frozen header); formula text that stays text; account numbers
//! in full for finance only and bank remarks masked for the auditor, in the page and both files;
//! the role matrix and bad input.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};

use axum::http::{header, StatusCode};
use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::{csv_rows, demo_app, demo_cookie, TestApp};
use rust_decimal::Decimal;
use settlepaisa_ops::features::recon::runs;
use settlepaisa_ops::features::reports::model::Report;
use settlepaisa_ops::features::settlements::model::{BatchFilter, Sort};
use settlepaisa_ops::features::settlements::queries as settlements;
use settlepaisa_ops::features::settlements::rules::Status;
use sqlx::PgPool;
use uuid::Uuid;

/// A window that holds all the demo data (anchored today).
fn window() -> (NaiveDate, NaiveDate) {
    let today = settlepaisa_ops::ist::today(Utc::now());
    (today - Duration::days(90), today)
}

fn url(report: &str, ext: &str, extra: &str) -> String {
    let (from, to) = window();
    format!("/api/reports/v1/{report}.{ext}?from={from}&to={to}{extra}")
}

/// Rupees text (`-1234.50`) as paise; empty as 0.
fn paise(text: &str) -> i64 {
    if text.is_empty() {
        return 0;
    }
    let d: Decimal = text.parse().unwrap_or_else(|_| panic!("not rupees: {text}"));
    (d * Decimal::from(100)).try_into().unwrap()
}

async fn get_csv(app: &TestApp, cookie: &str, report: &str, extra: &str) -> Vec<HashMap<String, String>> {
    let reply = app.get(&url(report, "csv", extra), Some(cookie)).await;
    assert_eq!(reply.headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8", "{report}: {}", reply.body);
    csv_rows(&reply).1
}

async fn all_batches(pool: &PgPool) -> Vec<settlepaisa_ops::features::settlements::model::BatchRow> {
    let (from, to) = window();
    let filter = BatchFilter { from: Some(from), to: Some(to), ..BatchFilter::default() };
    let page = settlements::list(pool, &filter, Sort::default(), 10_000, 0).await.unwrap();
    assert_eq!(page.rows.len() as i64, page.total);
    page.rows
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn settlement_reports_equal_the_settlement_pages(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    let batches = all_batches(&pool).await;
    assert!(batches.len() > 100, "the demo has batches");
    let rejected: Vec<_> = batches.iter().filter(|b| b.status == Status::Rejected).collect();
    assert!(!rejected.is_empty(), "the demo has a rejected batch to leave out");

    // Settlement summary: one row per batch of the list page but the rejected ones (their
    // transactions settle in a later batch), every figure equal.
    let summary = get_csv(&app, &cookie, "settlement-summary", "").await;
    assert_eq!(summary.len(), batches.len() - rejected.len());
    let by_ref: HashMap<&str, &HashMap<String, String>> = summary.iter().map(|r| (r["Batch"].as_str(), r)).collect();
    for b in batches.iter().filter(|b| b.status != Status::Rejected) {
        let r = by_ref[b.batch_ref.as_str()];
        assert_eq!(r["Merchant ID"], b.merchant_id);
        assert_eq!(r["Cycle date"], b.cycle_date.to_string());
        assert_eq!(r["Status"], b.status.code());
        assert_eq!(r["Transactions"], b.txn_count.to_string());
        for (column, value) in [
            ("Gross", b.gross),
            ("Commission", b.commission),
            ("GST", b.gst),
            ("TDS", b.tds),
            ("Reserve held", b.reserve),
            ("Reserve released", b.reserve_released),
            ("Deductions", b.deductions),
            ("Fees not deducted", b.fees_not_deducted),
            ("Net", b.net),
        ] {
            assert_eq!(paise(&r[column]), value.0, "{} {column}", b.batch_ref);
        }
        assert_eq!(r["Payout UTR"], b.payout_utr.clone().unwrap_or_default());
    }
    // The account is the batch's own, unmasked for finance.
    let accounts: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT b.batch_ref, a.account_number FROM settlement_batches b
         LEFT JOIN merchant_bank_accounts a ON a.id = b.bank_account_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(accounts.iter().any(|(_, a)| a.is_some()));
    for (batch_ref, account) in accounts {
        if let Some(row) = by_ref.get(batch_ref.as_str()) {
            assert_eq!(row["Account number"], account.unwrap_or_default());
        }
    }
    // The summary's totals agree with the tax report's for the same window.
    let summary_gst: i64 = summary.iter().map(|r| paise(&r["GST"])).sum();

    // Settlement transactions: each batch's rows are its items on the batch page.
    let items = get_csv(&app, &cookie, "settlement-transactions", "").await;
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM settlement_items").fetch_one(&pool).await.unwrap();
    assert_eq!(items.len() as i64, count);
    let mut per_batch: HashMap<&str, Vec<&HashMap<String, String>>> = HashMap::new();
    for r in &items {
        per_batch.entry(r["Batch"].as_str()).or_default().push(r);
    }
    for b in &batches {
        let page = settlements::items(&pool, b.id, 100_000, 0).await.unwrap();
        let rows = per_batch.remove(b.batch_ref.as_str()).unwrap_or_default();
        assert_eq!(rows.len() as i64, page.total, "{}", b.batch_ref);
        let by_txn: HashMap<&str, &&HashMap<String, String>> = rows.iter().map(|r| (r["Txn ID"].as_str(), r)).collect();
        for i in &page.rows {
            let r = by_txn[i.txn_id.as_str()];
            for (column, value) in [
                ("Amount", i.amount),
                ("Commission", i.commission),
                ("GST", i.gst),
                ("TDS", i.tds),
                ("Reserve", i.reserve),
                ("Net", i.net),
            ] {
                assert_eq!(paise(&r[column]), value.0, "{} {column}", i.txn_id);
            }
            assert_eq!(r["Fee bearer"], i.fee_bearer);
            assert_eq!(r["Payment method"], i.payment_method);
        }
    }
    assert!(per_batch.is_empty(), "rows of no listed batch: {:?}", per_batch.keys());

    // Narrowed to an acquirer: exactly that acquirer's items.
    let hdfc = get_csv(&app, &cookie, "settlement-transactions", "&acquirer=hdfc").await;
    let (count,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM settlement_items i JOIN transactions t ON t.id = i.transaction_id WHERE t.acquirer = 'HDFC'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(count > 0);
    assert_eq!(hdfc.len() as i64, count);
    assert!(hdfc.iter().all(|r| r["Acquirer"] == "HDFC"));

    // Tax: per merchant per month, the batches of the list page but rejected ones, summed.
    let tax = get_csv(&app, &cookie, "tax", "").await;
    let mut expected: BTreeMap<(NaiveDate, String), [i64; 5]> = BTreeMap::new();
    for b in batches.iter().filter(|b| b.status != Status::Rejected) {
        let month = b.cycle_date.with_day(1).unwrap();
        let e = expected.entry((month, b.merchant_id.clone())).or_default();
        e[0] += 1;
        e[1] += b.gross.0;
        e[2] += b.commission.0;
        e[3] += b.gst.0;
        e[4] += b.tds.0;
    }
    assert_eq!(tax.len(), expected.len());
    assert_eq!(tax.iter().map(|r| paise(&r["GST on commission"])).sum::<i64>(), summary_gst);
    for r in &tax {
        let key = (r["Month"].parse().unwrap(), r["Merchant ID"].clone());
        let e = expected[&key];
        let got = [
            r["Batches"].parse().unwrap(),
            paise(&r["Gross"]),
            paise(&r["Commission"]),
            paise(&r["GST on commission"]),
            paise(&r["TDS deducted"]),
        ];
        assert_eq!(got, e, "{key:?}");
        assert!(!r["PAN"].is_empty(), "the demo merchants have a PAN");
    }

    // One merchant: only its rows, and the same rows as in the whole report.
    let merchant = &batches[0].merchant_id;
    let one = get_csv(&app, &cookie, "settlement-summary", &format!("&merchantId={merchant}")).await;
    assert_eq!(
        one.len(),
        batches.iter().filter(|b| &b.merchant_id == merchant && b.status != Status::Rejected).count()
    );
    assert!(one.iter().all(|r| &r["Merchant ID"] == merchant));
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn recon_reports_equal_the_run_pages(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "ops@settlepaisa.test").await;
    let current: Vec<(Uuid, NaiveDate)> = sqlx::query_as(
        "SELECT id, cycle_date FROM recon_runs WHERE status = 'completed' AND superseded_by IS NULL ORDER BY cycle_date",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(current.len() > 10, "the demo has runs");

    // Recon outcome: per run, the counts of the run page's tabs and the amounts of its tiles.
    let outcome = get_csv(&app, &cookie, "recon-outcome", "").await;
    let runs_in_report: std::collections::BTreeSet<&str> = outcome.iter().map(|r| r["Run"].as_str()).collect();
    assert_eq!(runs_in_report.len(), current.len());
    for (id, cycle) in &current {
        let rows: Vec<_> = outcome.iter().filter(|r| r["Run"] == id.to_string()).collect();
        assert!(rows.iter().all(|r| r["Cycle date"] == cycle.to_string()));
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        let mut pg: BTreeMap<String, i64> = BTreeMap::new();
        let mut bank: BTreeMap<String, i64> = BTreeMap::new();
        for r in &rows {
            *counts.entry(r["Class"].clone()).or_default() += r["Results"].parse::<i64>().unwrap();
            *pg.entry(r["Class"].clone()).or_default() += paise(&r["PG amount"]);
            *bank.entry(r["Class"].clone()).or_default() += paise(&r["Bank amount"]);
        }
        let tabs: BTreeMap<String, i64> = runs::class_counts(&pool, *id).await.unwrap().into_iter().collect();
        assert_eq!(counts, tabs, "run {id}");
        let run = runs::run(&pool, *id).await.unwrap();
        let get = |m: &BTreeMap<String, i64>, k: &str| m.get(k).copied().unwrap_or(0);
        assert_eq!(get(&pg, "MATCHED"), run.amounts.matched_paise.0);
        assert_eq!(get(&pg, "EXCEPTION"), run.amounts.exceptions_paise.0);
        assert_eq!(get(&pg, "UNMATCHED_PG"), run.amounts.unmatched_pg_paise.0);
        assert_eq!(get(&bank, "UNMATCHED_BANK"), run.amounts.unmatched_bank_paise.0);
        assert_eq!(get(&counts, "UNMATCHED_BANK"), i64::from(run.counts.unmatched_bank));
        assert_eq!(get(&counts, "UNMATCHED_PG"), i64::from(run.counts.unmatched_pg));
    }

    // Bank MIS: every line of the window once, with its state in its cycle's current run.
    let mis = get_csv(&app, &cookie, "bank-mis", "").await;
    let (lines,): (i64,) = sqlx::query_as("SELECT count(*) FROM bank_statement_lines").fetch_one(&pool).await.unwrap();
    assert_eq!(mis.len() as i64, lines);
    let truth: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT coalesce(r.class, 'NOT_RECONCILED'), count(*), sum(l.amount_paise)::bigint
         FROM bank_statement_lines l
         LEFT JOIN (SELECT rr.bank_line_id, rr.class FROM recon_results rr JOIN recon_runs run ON run.id = rr.run_id
                    WHERE rr.bank_line_id IS NOT NULL AND (rr.side = 'pg' OR rr.transaction_id IS NULL)
                      AND run.status = 'completed' AND run.superseded_by IS NULL) r
                ON r.bank_line_id = l.id
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut got: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &mis {
        let e = got.entry(r["Match state"].clone()).or_default();
        e.0 += 1;
        e.1 += paise(&r["Amount"]);
    }
    let truth: BTreeMap<String, (i64, i64)> = truth.into_iter().map(|(c, n, a)| (c, (n, a))).collect();
    assert_eq!(got, truth);
    assert!(got.contains_key("MATCHED") && got.contains_key("UNMATCHED_BANK"));
    // A matched line names the transaction it matched.
    let matched = mis.iter().find(|r| r["Match state"] == "MATCHED").unwrap();
    assert!(!matched["Matched txn ID"].is_empty());
    // The unmatched bank lines of a run: the run page's count and amount.
    let (id, cycle) = current.iter().find(|(_, c)| mis.iter().any(|r| r["Cycle date"] == c.to_string())).unwrap();
    let run = runs::run(&pool, *id).await.unwrap();
    let unmatched: Vec<_> =
        mis.iter().filter(|r| r["Cycle date"] == cycle.to_string() && r["Match state"] == "UNMATCHED_BANK").collect();
    assert_eq!(unmatched.len() as i64, i64::from(run.counts.unmatched_bank));
    assert_eq!(unmatched.iter().map(|r| paise(&r["Amount"])).sum::<i64>(), run.amounts.unmatched_bank_paise.0);

    // By acquirer: that bank's lines only.
    let axis = get_csv(&app, &cookie, "bank-mis", "&acquirer=AXIS").await;
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM bank_statement_lines WHERE bank_name = 'AXIS'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(axis.len() as i64, n);
}

/// The XLSX of `report` read back: the worksheet's cells, and the raw XML of the sheet and styles.
async fn xlsx(
    app: &TestApp,
    cookie: &str,
    report: Report,
) -> (calamine::Range<Data>, calamine::Range<String>, String, String) {
    let reply = app.get(&url(report.slug(), "xlsx", ""), Some(cookie)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get(header::CONTENT_TYPE).unwrap(), settlepaisa_ops::http::xlsx::CONTENT_TYPE);
    assert_eq!(reply.headers.get(header::CONTENT_LENGTH).unwrap().to_str().unwrap(), reply.bytes.len().to_string());
    let disposition = reply.headers.get(header::CONTENT_DISPOSITION).unwrap().to_str().unwrap();
    assert!(disposition.contains(&format!("{}_", report.slug())) && disposition.contains(".xlsx"), "{disposition}");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(reply.bytes.clone())).unwrap();
    let cells = book.worksheet_range(report.title()).unwrap();
    let formulas = book.worksheet_formula(report.title()).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(reply.bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    (cells, formulas, read("xl/worksheets/sheet1.xml"), read("xl/styles.xml"))
}

/// A worksheet cell holds the same value as the CSV's text for it, typed as its column says
/// (`what` names the report and row in a failure).
fn cell_agrees(cell: &Data, text: &str, column: &settlepaisa_ops::sheet::Column, what: &str) {
    use settlepaisa_ops::sheet::Kind;
    match (column.kind, cell) {
        (_, Data::Empty) => assert!(text.is_empty(), "{what} {}: empty cell, CSV {text}", column.header),
        (Kind::Money, Data::Float(v)) => {
            assert_eq!((v * 100.0).round() as i64, paise(text), "{what} {}", column.header)
        }
        (Kind::Count, Data::Float(v)) => {
            assert_eq!(*v as i64, text.parse::<i64>().unwrap(), "{what} {}", column.header)
        }
        (Kind::Date, Data::DateTime(d)) => {
            assert_eq!(d.as_datetime().unwrap().date().to_string(), text, "{what} {}", column.header)
        }
        (Kind::Time, Data::DateTime(d)) => {
            assert_eq!(
                d.as_datetime().unwrap().format("%Y-%m-%d %H:%M:%S").to_string(),
                text,
                "{what} {}",
                column.header
            )
        }
        (Kind::Text, Data::String(s)) => assert_eq!(s, text, "{what} {}", column.header),
        (kind, other) => panic!("{what} {}: a {kind:?} column holds {other:?}", column.header),
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_xlsx_is_a_typed_spreadsheet_equal_to_the_csv(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    for report in Report::ALL {
        let (cells, _, sheet, styles) = xlsx(&app, &cookie, report).await;
        let csv_reply = app.get(&url(report.slug(), "csv", ""), Some(&cookie)).await;
        let (header, rows) = csv_rows(&csv_reply);
        assert!(!rows.is_empty(), "{report:?} has rows on the demo data");
        // The header, then one row per CSV row.
        let header_row: Vec<String> = (0..header.len()).map(|c| cells.get((0, c)).unwrap().to_string()).collect();
        assert_eq!(header_row, header);
        assert_eq!(cells.height(), rows.len() + 1, "{report:?}");
        for (i, row) in rows.iter().enumerate() {
            for (c, column) in report.columns().iter().enumerate() {
                let cell = cells.get((i + 1, c)).unwrap_or(&Data::Empty);
                cell_agrees(cell, &row[column.header], column, &format!("{report:?} row {i}"));
            }
        }
        // A frozen header row, set column widths, an autofilter, and the ₹ and date formats.
        assert!(
            sheet.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "{sheet:.600}"
        );
        assert!(sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""));
        assert!(sheet.contains("<autoFilter "));
        if report.columns().iter().any(|c| c.kind == settlepaisa_ops::sheet::Kind::Money) {
            assert!(styles.contains(r#"formatCode="₹#,##0.00;-₹#,##0.00""#), "{styles}");
        }
        if report.columns().iter().any(|c| c.kind == settlepaisa_ops::sheet::Kind::Date) {
            assert!(styles.contains(r#"formatCode="dd-mmm-yyyy""#), "{styles}");
        }
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn text_that_looks_like_a_formula_stays_text(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    let evil = r#"=HYPERLINK("http://evil.test","click")"#;
    sqlx::query("UPDATE merchants SET legal_name = $1 WHERE id = (SELECT merchant_id FROM settlement_batches LIMIT 1)")
        .bind(evil)
        .execute(&pool)
        .await
        .unwrap();
    let tax = get_csv(&app, &cookie, "tax", "").await;
    assert!(tax.iter().any(|r| r["Legal name"] == format!("'{evil}")), "the CSV cell is prefixed");
    assert!(!tax.iter().any(|r| r["Legal name"] == evil));
    let (cells, formulas, _, _) = xlsx(&app, &cookie, Report::Tax).await;
    assert!(cells.used_cells().any(|(_, _, c)| *c == Data::String(evil.to_string())), "the XLSX cell is the text");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell is a formula");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn account_numbers_are_shown_to_finance_only_and_remarks_masked_for_the_auditor(pool: PgPool) {
    let app = demo_app(&pool).await;
    let remark = "NEFT FROM 50100234567890 CUST 9876543210";
    sqlx::query("UPDATE bank_statement_lines SET remarks = $1 WHERE id = (SELECT min(id) FROM bank_statement_lines)")
        .bind(remark)
        .execute(&pool)
        .await
        .unwrap();
    let accounts: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT a.account_number FROM settlement_batches b JOIN merchant_bank_accounts a ON a.id = b.bank_account_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(!accounts.is_empty());

    let finance = demo_cookie(&app, "finance@settlepaisa.test").await;
    let ops = demo_cookie(&app, "ops@settlepaisa.test").await;
    let compliance = demo_cookie(&app, "compliance@settlepaisa.test").await;
    let admin = demo_cookie(&app, "admin@settlepaisa.test").await;
    let auditor = demo_cookie(&app, "auditor@settlepaisa.test").await;
    // Payout account numbers: in full to finance only, who pays them (every batch page masks them
    // for everyone). Bank remarks: masked for the auditor only.
    for (who, cookie, masked, remarks_masked) in [
        ("finance", &finance, false, false),
        ("ops", &ops, true, false),
        ("compliance", &compliance, true, false),
        ("admin", &admin, true, false),
        ("auditor", &auditor, true, true),
    ] {
        let csv = app.get(&url("settlement-summary", "csv", ""), Some(cookie)).await;
        let (_, xlsx_cells, _, _) = {
            let (c, f, s, st) = xlsx(&app, cookie, Report::SettlementSummary).await;
            (f, c, s, st)
        };
        let page = app
            .get(&format!("/reports?report=settlement-summary&from={}&to={}", window().0, window().1), Some(cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let xlsx_text: String = xlsx_cells.used_cells().map(|(_, _, c)| c.to_string() + "\n").collect();
        for a in &accounts {
            assert_eq!(csv.body.contains(a.as_str()), !masked, "CSV, {who}");
            assert_eq!(xlsx_text.contains(a.as_str()), !masked, "XLSX, {who}");
            assert_eq!(page.body.contains(a.as_str()), !masked, "page, {who}");
            if masked {
                let shown = format!("{}{}", "X".repeat(a.len() - 4), &a[a.len() - 4..]);
                assert!(csv.body.contains(&shown), "{shown}");
            }
        }
        assert_eq!(page.body.contains("data-testid=\"masked-note\""), masked, "{who}");
        let mis = app.get(&url("bank-mis", "csv", ""), Some(cookie)).await;
        assert_eq!(mis.body.contains(remark), !remarks_masked, "{who}");
        let mis_page =
            app.get(&format!("/reports?report=bank-mis&from={}&to={}", window().0, window().1), Some(cookie)).await;
        assert_eq!(mis_page.body.contains("data-testid=\"masked-note\""), remarks_masked, "{who}");
        if remarks_masked {
            assert!(mis.body.contains("NEFT FROM XXXXXXXXXX7890 CUST XXXXXX3210"), "remarks masked for the auditor");
        }
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_role_reads_reports_and_bad_input_is_refused_in_words(pool: PgPool) {
    let app = demo_app(&pool).await;
    for (email, _, _) in settlepaisa_ops::demo::DEMO_USERS {
        let cookie = demo_cookie(&app, email).await;
        for report in Report::ALL {
            let reply = app.get(&url(report.slug(), "csv", ""), Some(&cookie)).await;
            assert_eq!(reply.status, StatusCode::OK, "{email} {report:?}");
            let page = app.get(&format!("/reports?report={}", report.slug()), Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{email} {report:?}");
            assert!(page.body.contains("data-testid=\"report-table\""), "{email} {report:?}");
        }
    }
    // Nobody signed in: 401 from the API, the sign-in page for the page.
    for ext in ["csv", "xlsx"] {
        assert_eq!(app.get(&url("tax", ext, ""), None).await.status, StatusCode::UNAUTHORIZED);
    }
    let page = app.get("/reports", None).await;
    assert!(page.status.is_redirection(), "{}", page.status);

    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    assert_eq!(app.get("/api/reports/v1/payouts.csv", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/reports/v1/tax.pdf", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    for (path, words) in [
        ("/api/reports/v1/tax.csv?from=2026-11-30&to=2026-11-01", "after the To date"),
        ("/api/reports/v1/tax.xlsx?from=2024-01-01&to=2026-11-01", "at most 366 days"),
        ("/api/reports/v1/bank-mis.csv?merchantId=M_1", "no merchant"),
        ("/api/reports/v1/tax.csv?acquirer=HDFC", "acquirer"),
        ("/api/reports/v1/settlement-summary.csv?from=yesterday", "From"),
        ("/api/reports/v1/settlement-summary.xlsx?merchantId=x%27%3B", "merchant ID"),
    ] {
        let reply = app.get(path, Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(reply.body.contains(words), "{path}: {}", reply.body);
    }
    // The page says the same and keeps its tabs.
    let page = app.get("/reports?report=bank-mis&merchantId=M_1", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("no merchant"), "{}", page.body);
    let page = app.get("/reports?report=nope", Some(&cookie)).await;
    assert!(page.body.contains("There is no report called"), "{}", page.body);
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_page_shows_the_totals_of_the_whole_file(pool: PgPool) {
    let app = demo_app(&pool).await;
    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    let (from, to) = window();
    for report in Report::ALL {
        let rows = get_csv(&app, &cookie, report.slug(), "").await;
        let page = app.get(&format!("/reports?report={}&from={from}&to={to}", report.slug()), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("data-total=\"{}\"", rows.len())), "{report:?}");
        for c in report.columns().iter().filter(|c| c.kind == settlepaisa_ops::sheet::Kind::Money) {
            let sum: i64 = rows.iter().map(|r| paise(&r[c.header])).sum();
            // The footer cell's text: `<td data-column="…" class="…">₹…<!></td>`.
            let at = page.body.find(&format!("data-column=\"{}\"", c.sql)).unwrap();
            let rest = &page.body[at..];
            let text = &rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()];
            assert_eq!(text, settlepaisa_ops::money::Paise(sum).to_inr(), "{report:?} total of {}", c.header);
        }
        // The preview is the file's first rows.
        let shown = page.body.matches("<tr class=\"border-t border-slate-100\">").count();
        assert_eq!(shown, rows.len().min(50), "{report:?}");
    }
}

/// A report longer than a worksheet holds goes on to the next worksheet (its own header), so a big
/// report, or a scheduled one, is a file up to four worksheets: here five rows a sheet, against the
/// CSV. Past the most worksheets a file fills, it is refused in words.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn an_xlsx_past_a_worksheets_rows_goes_on_to_the_next_sheet(pool: PgPool) {
    use settlepaisa_ops::features::reports::model::Filter;
    use settlepaisa_ops::features::reports::queries;
    use settlepaisa_ops::http::xlsx::{build_file, FileKind, SheetLimits};
    let _app = demo_app(&pool).await;
    let (from, to) = window();
    let filter = Filter { from, to, merchant_id: None, acquirer: None };
    let report = Report::SettlementSummary;
    let produce = |filter: Filter| {
        move |out, tx| queries::write_masked(out, tx, report, filter, settlepaisa_ops::sheet::Masking::NONE)
    };
    let csv = build_file(
        &pool,
        FileKind::Csv,
        SheetLimits::DEFAULT,
        report.title(),
        report.columns(),
        produce(filter.clone()),
    )
    .await
    .unwrap();
    let csv = std::io::read_to_string(csv.file).unwrap();
    let records: Vec<::csv::StringRecord> =
        ::csv::Reader::from_reader(csv.as_bytes()).records().map(Result::unwrap).collect();
    let listed = all_batches(&pool).await.iter().filter(|b| b.status != Status::Rejected).count();
    assert_eq!(records.len(), listed);
    assert!(listed > 10, "the demo data has {listed} batches: too few to fill three sheets");

    let sheets = listed.div_ceil(5) as u32;
    let build = |max_sheets, filter| {
        let limits = SheetLimits { rows_per_sheet: 5, sheets: max_sheets };
        build_file(&pool, FileKind::Xlsx, limits, report.title(), report.columns(), produce(filter))
    };
    let refused = build(sheets - 1, filter.clone()).await.err().unwrap();
    assert!(refused.to_string().contains(&format!("more than {} rows", (sheets - 1) * 5)), "{refused}");
    let mut written = build(sheets, filter).await.unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut written.file, &mut bytes).unwrap();
    // Each worksheet has its frozen header row and its own filter.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
    for n in 1..=listed.div_ceil(5) {
        let mut sheet = String::new();
        zip.by_name(&format!("xl/worksheets/sheet{n}.xml")).unwrap().read_to_string(&mut sheet).unwrap();
        assert!(sheet.contains(r#"state="frozen""#) && sheet.contains("<autoFilter "), "sheet {n}: {sheet:.600}");
    }
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let expected: Vec<String> = (1..=listed.div_ceil(5))
        .map(|n| if n == 1 { report.title().to_string() } else { format!("{} ({n})", report.title()) })
        .collect();
    assert_eq!(names, expected);
    let headers: Vec<&str> = report.columns().iter().map(|c| c.header).collect();
    let mut rows = Vec::new();
    for name in &names {
        let cells = book.worksheet_range(name).unwrap();
        let header: Vec<String> = (0..headers.len()).map(|c| cells.get((0, c)).unwrap().to_string()).collect();
        assert_eq!(header, headers, "{name}");
        assert!((2..=6).contains(&cells.height()), "{name}: {} rows", cells.height());
        rows.extend(
            (1..cells.height()).map(|r| (0..headers.len()).map(|c| cells.get((r, c)).cloned()).collect::<Vec<_>>()),
        );
    }
    // Every CSV row once, in order, its texts and amounts the same.
    assert_eq!(rows.len(), listed);
    for (i, (row, record)) in rows.iter().zip(&records).enumerate() {
        for (c, column) in report.columns().iter().enumerate() {
            cell_agrees(row[c].as_ref().unwrap_or(&Data::Empty), &record[c], column, &format!("row {i}"));
        }
    }
}

/// Files are read as binary `COPY` (settlement transactions batch by batch, from the items' copies
/// of their transactions' identity): for every report, and with each filter, the downloaded CSV
/// and a scheduled report's stored CSV are, byte for byte, the file written from the report's one
/// query read as a cursor (the page's query) — texts that need quotes, a formula, a plain negative
/// number, an empty text and none. A transaction's changed UTR reaches its item's copy.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_file_read_as_binary_copy_is_the_cursors_byte_for_byte(pool: PgPool) {
    use futures_util::TryStreamExt;
    use settlepaisa_ops::features::reports::model::Filter;
    use settlepaisa_ops::features::reports::queries;
    use settlepaisa_ops::http::csv::neutralise_formula;
    use settlepaisa_ops::http::xlsx::{build_file, FileKind, SheetLimits};
    use settlepaisa_ops::sheet::Cell;
    let app = demo_app(&pool).await;
    let texts =
        ["He said \"hi\", then\nleft", "=1+2", "-5", "-5.50", "-a", "@sum", "\tTab", "\rCR", "+91 98", "", "x'y"];
    for (i, text) in texts.iter().enumerate() {
        sqlx::query(
            "UPDATE merchants SET legal_name = $1, gstin = CASE WHEN $2 % 2 = 0 THEN NULL ELSE '' END
             WHERE id = (SELECT id FROM merchants ORDER BY id OFFSET $2 LIMIT 1)",
        )
        .bind(text)
        .bind(i as i64)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE bank_statement_lines SET remarks = $1 WHERE id = (SELECT id FROM bank_statement_lines ORDER BY id OFFSET $2 LIMIT 1)",
        )
        .bind(text)
        .bind(i as i64)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("UPDATE transactions SET utr = $1 WHERE id = (SELECT transaction_id FROM settlement_items ORDER BY transaction_id OFFSET $2 LIMIT 1)")
            .bind(text)
            .bind(i as i64)
            .execute(&pool)
            .await
            .unwrap();
    }
    // The items' copies of their transactions' identity are the transactions' (the UTRs above
    // included).
    let drift: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM settlement_items i JOIN transactions t ON t.id = i.transaction_id
         WHERE (i.txn_id, i.txn_at, i.payment_method, i.acquirer, i.utr, i.rrn)
               IS DISTINCT FROM (t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(drift, 0);
    let cookie = demo_cookie(&app, "finance@settlepaisa.test").await;
    let (from, to) = window();
    let merchant: String =
        sqlx::query_scalar("SELECT merchant_id FROM settlement_batches ORDER BY cycle_date DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let acquirer: String =
        sqlx::query_scalar("SELECT min(bank_name) FROM bank_statement_lines").fetch_one(&pool).await.unwrap();
    for report in Report::ALL {
        let mut filters = vec![(String::new(), Filter { from, to, merchant_id: None, acquirer: None })];
        if report.by_merchant() {
            filters.push((
                format!("&merchantId={merchant}"),
                Filter { from, to, merchant_id: Some(merchant.clone()), acquirer: None },
            ));
        }
        if report.by_acquirer() {
            filters.push((
                format!("&acquirer={acquirer}"),
                Filter { from, to, merchant_id: None, acquirer: Some(acquirer.clone()) },
            ));
        }
        for (query, filter) in filters {
            let downloaded = app.get(&url(report.slug(), "csv", &query), Some(&cookie)).await;
            assert_eq!(downloaded.status, StatusCode::OK, "{report:?}{query}: {}", downloaded.body);
            let for_file = filter.clone();
            let written = build_file(
                &pool,
                FileKind::Csv,
                SheetLimits::DEFAULT,
                report.title(),
                report.columns(),
                move |out, tx| queries::write_masked(out, tx, report, for_file, settlepaisa_ops::sheet::Masking::NONE),
            )
            .await
            .unwrap();
            let stored = std::io::read_to_string(written.file).unwrap();
            let mut cursor = csv::Writer::from_writer(Vec::new());
            cursor.write_record(report.columns().iter().map(|c| c.header)).unwrap();
            let mut one_query = queries::query(report, &filter, None);
            let rows: Vec<Vec<Cell>> = queries::rows(&pool, report, &mut one_query).try_collect().await.unwrap();
            assert!(!rows.is_empty(), "{report:?}{query}: the demo data has rows");
            for row in rows {
                cursor.write_record(row.into_iter().map(|c| neutralise_formula(&c.into_csv_text()))).unwrap();
            }
            let cursor = String::from_utf8(cursor.into_inner().unwrap()).unwrap();
            assert_eq!(downloaded.body, cursor, "{report:?}{query}");
            assert_eq!(stored, cursor, "{report:?}{query}");
        }
    }
    // Every odd text reached a file.
    let mut all = String::new();
    for report in ["bank-mis", "tax", "settlement-transactions"] {
        all += &app.get(&url(report, "csv", ""), Some(&cookie)).await.body;
    }
    for needle in
        ["\"He said \"\"hi\"\", then\nleft\"", "'=1+2", ",-5,", ",-5.50,", "'-a", "'@sum", "\"'\rCR\"", "'+91 98"]
    {
        assert!(all.contains(needle), "{needle:?} in the files");
    }
}

/// A settlement-transactions file reads each batch's items from the primary key's index, in its
/// order, never through a sort: over 120,000 items in batches with random ids — the shape where the
/// planner, left to itself, prices the index as random reads and sorts instead (it did on the
/// million-row bench, BENCHMARKS.md "Reports"; this test fails with sorting left on) — the plan
/// of the export's first batch, in a transaction prepared as the export prepares its own, is an
/// index scan.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_batchs_items_are_read_in_index_order_without_a_sort(pool: PgPool) {
    use settlepaisa_ops::features::reports::model::Filter;
    use settlepaisa_ops::features::reports::queries;
    let _app = demo_app(&pool).await;
    let day = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr, rrn, status)
         SELECT 'IX-' || lpad(g::text, 7, '0'), m.id, 10000 + g, $1::date + time '10:00', $1::date + g % 4,
                'UPI', 'HDFC', 'UTRIX' || g, lpad(g::text, 12, '0'), 'RECONCILED'
         FROM generate_series(1, 120000) g, (SELECT id FROM merchants ORDER BY id LIMIT 1) m",
    )
    .bind(day)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, commission_paise,
                gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail)
         SELECT gen_random_uuid(), 'IX-' || cycle_date, merchant_id, cycle_date, 'CALCULATED', count(*), sum(amount_paise),
                0, 0, 0, 0, 0, 0, sum(amount_paise), 'NEFT'
         FROM transactions WHERE txn_id LIKE 'IX-%' GROUP BY merchant_id, cycle_date",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
         SELECT b.id, t.id, t.amount_paise, 0, 0, 0, 0, t.amount_paise, 'merchant', t.txn_id, t.txn_at, t.payment_method,
                t.acquirer, t.utr, t.rrn
         FROM transactions t JOIN settlement_batches b ON b.merchant_id = t.merchant_id AND b.cycle_date = t.cycle_date
         WHERE t.txn_id LIKE 'IX-%' ORDER BY b.cycle_date, t.id",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE settlement_items").execute(&pool).await.unwrap();
    sqlx::query("ANALYZE settlement_batches").execute(&pool).await.unwrap();
    let filter = Filter { from: day, to: day + Duration::days(3), merchant_id: None, acquirer: None };
    let plan = queries::explain_first_batch_copy(&pool, &filter).await.unwrap().expect("the window has batches");
    assert!(plan.contains("Index Scan using settlement_items_pkey"), "{plan}");
    assert!(!plan.contains("Sort"), "{plan}");
}

/// The Bank MIS reads the results of its window's runs only, never every run stored: over 40 days
/// of 500 lines, each with its run's result, one day's file finds that run's 500 results through an
/// index. Before, the join read (and hashed) all 20,000: a cost that grows with every day of
/// history (5.7 s against 2.7 s for one day once 5 cycles of a million lines are stored,
/// BENCHMARKS.md). The plan is the file's own select (`copy_select`).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_bank_mis_reads_only_its_windows_runs(pool: PgPool) {
    use settlepaisa_ops::features::reports::model::Filter;
    use settlepaisa_ops::features::reports::queries;
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    sqlx::raw_sql(
        "INSERT INTO bank_statement_lines (natural_key, bank_ref, bank_name, amount_paise, direction, txn_date, cycle_date)
         SELECT 'HDFC:MIS-' || c || '-' || g, 'MIS-' || c || '-' || g, 'HDFC', 1000 + g, 'CREDIT',
                date '2026-01-01' + c, date '2026-01-01' + c
         FROM generate_series(1, 40) c, generate_series(1, 500) g;
         INSERT INTO recon_runs (id, cycle_date, source, status, finished_at)
         SELECT md5('mis run ' || c)::uuid, date '2026-01-01' + c, 'manual', 'completed', now()
         FROM generate_series(1, 40) c;
         INSERT INTO recon_results (run_id, side, bank_line_id, class, reason_code, bank_amount_paise)
         SELECT md5('mis run ' || (l.cycle_date - date '2026-01-01'))::uuid, 'bank', l.id, 'UNMATCHED_BANK',
                'BANK_TXN_MISSING_IN_PG', l.amount_paise
         FROM bank_statement_lines l WHERE l.natural_key LIKE 'HDFC:MIS-%';
         ANALYZE bank_statement_lines; ANALYZE recon_runs; ANALYZE recon_results;",
    )
    .execute(&pool)
    .await
    .unwrap();
    let day = first + Duration::days(20);
    let filter = Filter { from: day, to: day, merchant_id: None, acquirer: None };
    let (select, settings) = queries::copy_select(Report::BankMis, &filter);
    assert!(settings.is_empty(), "no text filter: nothing to set");
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {select}")).fetch_all(&pool).await.unwrap();
    let plan = plan.join("\n");
    assert!(!plan.contains("Seq Scan on recon_results"), "{plan}");
    assert!(plan.contains("recon_results_bank_line_once"), "the run's results by their index: {plan}");
    // And the file holds the day's 500 lines, each with its run's state.
    let rows: Vec<(NaiveDate, String)> =
        sqlx::query_as(&format!("SELECT cycle_date, match_state FROM ({select}) x")).fetch_all(&pool).await.unwrap();
    assert_eq!(rows.len(), 500);
    assert!(rows.iter().all(|(d, state)| *d == day && state == "UNMATCHED_BANK"), "{rows:?}");
}

/// A file's text columns go from a `COPY`'s bytes straight into the CSV, so each column a report
/// calls text must be SQL text (a `uuid` or a number left without `::text` would put binary bytes
/// in the file); the others are the types their decoders read. Checked on the select of every
/// report as the files run it, whatever the demo data holds.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn every_report_column_is_the_sql_type_its_file_decodes(pool: PgPool) {
    use settlepaisa_ops::features::reports::model::Filter;
    use settlepaisa_ops::features::reports::queries;
    use settlepaisa_ops::sheet::Kind;
    use sqlx::{Column, Executor, TypeInfo};
    let (from, to) = window();
    let filter = Filter { from, to, merchant_id: Some("M".into()), acquirer: Some("A".into()) };
    let mut statements: Vec<(Report, String)> =
        Report::ALL.into_iter().map(|r| (r, queries::copy_select(r, &filter).0)).collect();
    statements.push((Report::SettlementTransactions, queries::batch_copy_select(&filter, Uuid::nil()).0));
    for (report, select) in statements {
        let described = pool.describe(&select).await.unwrap();
        let columns = report.columns();
        assert_eq!(described.columns().len(), columns.len(), "{report:?}");
        for (c, d) in columns.iter().zip(described.columns()) {
            let expected = match c.kind {
                Kind::Text => "TEXT",
                Kind::Money | Kind::Count => "INT8",
                Kind::Date => "DATE",
                Kind::Time => "TIMESTAMPTZ",
            };
            assert_eq!(d.type_info().name(), expected, "{report:?} {}", c.header);
        }
    }
}
