//! The five reports (what each holds, its columns) and the filter every one runs on: a window of
//! cycle dates (IST, both ends inclusive), a merchant and an acquirer where the report has them.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::sheet::{Cell, Column, Personal};

/// The longest window a report covers: a year and a day (a financial year's tax report fits).
pub const MAX_WINDOW_DAYS: i64 = 366;
/// The window when the URL gives none: the 30 days to today.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;
/// Rows the page shows of a report (the file has them all).
pub const PREVIEW_ROWS: i64 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Report {
    SettlementSummary,
    SettlementTransactions,
    BankMis,
    ReconOutcome,
    Tax,
}

use crate::sheet::Column as C;

const SUMMARY: &[Column] = &[
    C::text("Batch", "batch_ref", 22),
    C::text("Merchant ID", "merchant_id", 14),
    C::text("Merchant", "merchant_name", 24),
    C::date("Cycle date", "cycle_date"),
    C::text("Status", "status", 16),
    C::count("Transactions", "txn_count"),
    C::money("Gross", "gross_paise"),
    C::money("Commission", "commission_paise"),
    C::money("GST", "gst_paise"),
    C::money("TDS", "tds_paise"),
    C::money("Reserve held", "reserve_paise"),
    C::money("Reserve released", "reserve_released_paise"),
    C::money("Deductions", "deductions_paise"),
    C::money("Fees not deducted", "fees_not_deducted_paise"),
    C::money("Net", "net_paise"),
    C::text("Rail", "rail", 6),
    C::text("Account number", "account_number", 20).personal(Personal::Account),
    C::text("IFSC", "ifsc", 13),
    C::text("Payout UTR", "payout_utr", 22),
    C::time("Paid at (IST)", "paid_at"),
];

const TRANSACTIONS: &[Column] = &[
    C::text("Batch", "batch_ref", 22),
    C::date("Cycle date", "cycle_date"),
    C::text("Batch status", "batch_status", 16),
    C::text("Merchant ID", "merchant_id", 14),
    C::text("Txn ID", "txn_id", 22),
    C::time("Txn time (IST)", "txn_at"),
    C::text("Payment method", "payment_method", 12),
    C::text("Acquirer", "acquirer", 10),
    C::text("UTR", "utr", 22),
    C::text("RRN", "rrn", 14),
    C::money("Amount", "amount_paise"),
    C::money("Commission", "commission_paise"),
    C::money("GST", "gst_paise"),
    C::money("TDS", "tds_paise"),
    C::money("Reserve", "reserve_paise"),
    C::money("Net", "net_paise"),
    C::text("Fee bearer", "fee_bearer", 10),
];

const BANK_MIS: &[Column] = &[
    C::text("Bank", "bank_name", 10),
    C::date("Cycle date", "cycle_date"),
    C::date("Txn date", "txn_date"),
    C::date("Value date", "value_date"),
    C::text("Direction", "direction", 9),
    C::text("Bank ref", "bank_ref", 22),
    C::text("UTR", "utr", 22),
    C::text("RRN", "rrn", 14),
    C::money("Amount", "amount_paise"),
    C::money("Net", "net_paise"),
    C::text("Match state", "match_state", 16),
    C::text("Reason", "reason_code", 24),
    C::text("Matched txn ID", "matched_txn_id", 22),
    C::text("Remarks", "remarks", 30).personal(Personal::FreeText),
];

const RECON_OUTCOME: &[Column] = &[
    C::date("Cycle date", "cycle_date"),
    C::text("Run", "run_id", 38),
    C::text("Class", "class", 16),
    C::text("Reason", "reason", 26),
    C::count("Results", "results"),
    C::money("Amount", "amount_paise"),
    C::money("PG amount", "pg_amount_paise"),
    C::money("Bank amount", "bank_amount_paise"),
    C::money("Difference", "delta_paise"),
];

const TAX: &[Column] = &[
    C::date("Month", "month"),
    C::text("Merchant ID", "merchant_id", 14),
    C::text("Legal name", "legal_name", 28),
    C::text("GSTIN", "gstin", 17),
    C::text("PAN", "pan", 12),
    C::count("Batches", "batches"),
    C::money("Gross", "gross_paise"),
    C::money("Commission", "commission_paise"),
    C::money("GST on commission", "gst_paise"),
    C::money("TDS deducted", "tds_paise"),
];

impl Report {
    pub const ALL: [Report; 5] =
        [Report::SettlementSummary, Report::SettlementTransactions, Report::BankMis, Report::ReconOutcome, Report::Tax];

    /// Its name in URLs and file names.
    pub fn slug(self) -> &'static str {
        match self {
            Report::SettlementSummary => "settlement-summary",
            Report::SettlementTransactions => "settlement-transactions",
            Report::BankMis => "bank-mis",
            Report::ReconOutcome => "recon-outcome",
            Report::Tax => "tax",
        }
    }

    pub fn parse(slug: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.slug() == slug.trim())
    }

    pub fn title(self) -> &'static str {
        match self {
            Report::SettlementSummary => "Settlement summary",
            Report::SettlementTransactions => "Settlement transactions",
            Report::BankMis => "Bank MIS",
            Report::ReconOutcome => "Recon outcome",
            Report::Tax => "Tax report",
        }
    }

    /// What a row is, and which date the window is over.
    pub fn about(self) -> &'static str {
        match self {
            Report::SettlementSummary => {
                "One row per merchant per cycle (a settlement batch; rejected ones are left out, their transactions settle in a later batch): gross → commission → GST → TDS → reserve → deductions → net, status, payout account and UTR. Window: the batch's cycle date."
            }
            Report::SettlementTransactions => {
                "One row per transaction settled in a batch, with its share of commission, GST, TDS and reserve. Window: the batch's cycle date."
            }
            Report::BankMis => {
                "Every bank statement line with its match state in the cycle's current recon run (not reconciled when the cycle has no completed run). Window: the line's cycle date."
            }
            Report::ReconOutcome => {
                "Per cycle, the current recon run's results by class and reason: how many and how much, as on the run's page. Window: the run's cycle date."
            }
            Report::Tax => {
                "Per merchant per month: GST charged on commission and TDS deducted, from the settlement batches (rejected batches left out), with GSTIN and PAN where known. Window: the batch's cycle date."
            }
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Report::SettlementSummary => SUMMARY,
            Report::SettlementTransactions => TRANSACTIONS,
            Report::BankMis => BANK_MIS,
            Report::ReconOutcome => RECON_OUTCOME,
            Report::Tax => TAX,
        }
    }

    /// Whether the report can be narrowed to one merchant (a bank line has no merchant).
    pub fn by_merchant(self) -> bool {
        !matches!(self, Report::BankMis)
    }

    /// Whether the report can be narrowed to one acquirer (a batch, and a month's taxes, span
    /// acquirers).
    pub fn by_acquirer(self) -> bool {
        matches!(self, Report::SettlementTransactions | Report::BankMis | Report::ReconOutcome)
    }
}

/// A report's file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// The URL's parameters, as typed (`/reports?report=&from=&to=&merchantId=&acquirer=`; the API
/// takes the same but `report`, which is in its path).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReportsQuery {
    pub report: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
}

/// The filter a report runs on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ReportsQuery {
    /// The report the URL names; the settlement summary when it names none.
    pub fn report(&self) -> Result<Report, String> {
        match text(&self.report) {
            None => Ok(Report::SettlementSummary),
            Some(slug) => Report::parse(&slug).ok_or_else(|| {
                format!(
                    "There is no report called \"{slug}\". The reports are {}.",
                    Report::ALL.map(Report::slug).join(", ")
                )
            }),
        }
    }

    /// The filter for `report`, `today` being the IST date now: the window defaults to the
    /// [`DEFAULT_WINDOW_DAYS`] to today and may not exceed [`MAX_WINDOW_DAYS`]; a merchant or an
    /// acquirer the report cannot be narrowed by is refused in words.
    pub fn filter(&self, report: Report, today: NaiveDate) -> Result<Filter, String> {
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| crate::ist::parse_date(&d, what).map_err(|e| e.to_string())).transpose()
        };
        let to = date(&self.to, "To")?.unwrap_or(today);
        let from = date(&self.from, "From")?.unwrap_or(to - Duration::days(DEFAULT_WINDOW_DAYS - 1));
        if from > to {
            return Err("The From date is after the To date.".into());
        }
        if (to - from).num_days() + 1 > MAX_WINDOW_DAYS {
            return Err(format!("A report covers at most {MAX_WINDOW_DAYS} days. Narrow the dates."));
        }
        let (merchant_id, acquirer) = scope(report, &self.merchant_id, &self.acquirer)?;
        Ok(Filter { from, to, merchant_id, acquirer })
    }
}

/// A report's merchant and acquirer from their texts: upper case, well formed, and only those the
/// report can be narrowed by (refused in words otherwise).
pub fn scope(
    report: Report,
    merchant_id: &Option<String>,
    acquirer: &Option<String>,
) -> Result<(Option<String>, Option<String>), String> {
    let merchant_id = text(merchant_id).map(|m| m.to_ascii_uppercase());
    if let Some(m) = &merchant_id {
        let valid = (3..=32).contains(&m.len()) && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err("A merchant ID is 3 to 32 letters, digits or underscores.".into());
        }
        if !report.by_merchant() {
            return Err(format!(
                "The {} cannot be narrowed to a merchant: bank statement lines carry no merchant. Clear the merchant.",
                report.title()
            ));
        }
    }
    let acquirer = text(acquirer).map(|a| a.to_ascii_uppercase());
    if let Some(a) = &acquirer {
        if a.len() > 32 || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ') {
            return Err("An acquirer is a bank code such as HDFC or AXIS.".into());
        }
        if !report.by_acquirer() {
            return Err(format!(
                "The {} cannot be narrowed to an acquirer: its rows span acquirers. Clear the acquirer.",
                report.title()
            ));
        }
    }
    Ok((merchant_id, acquirer))
}

impl Filter {
    /// `settlement-summary_2026-11-01_2026-11-30[_MERCHANT][_ACQUIRER].csv`.
    pub fn file_name(&self, report: Report, format: Format) -> String {
        let mut name = format!("{}_{}_{}", report.slug(), self.from, self.to);
        for part in [&self.merchant_id, &self.acquirer].into_iter().flatten() {
            name.push('_');
            name.extend(part.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }));
        }
        format!("{name}.{}", format.extension())
    }
}

/// What `/reports` shows: the report and filter chosen, the first rows and the totals over all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportsView {
    pub report: Report,
    pub filter: Filter,
    /// Merchant IDs and names for the merchant list.
    pub merchants: Vec<(String, String)>,
    /// Acquirer codes for the acquirer list.
    pub acquirers: Vec<String>,
    /// The first [`PREVIEW_ROWS`] rows.
    pub rows: Vec<Vec<Cell>>,
    /// All the rows the file holds.
    pub total_rows: i64,
    /// Per column: its sum over every row, for the amount and count columns.
    pub totals: Vec<Option<Cell>>,
    /// Some of the report's personal data (payout account numbers for every role but finance; for
    /// the auditor also bank remarks' digit runs, numbers written in groups and e-mail addresses)
    /// is masked for the caller's role.
    pub masked: bool,
}

/// The most addresses one schedule mails.
pub const MAX_RECIPIENTS: usize = 20;

/// A schedule as the page's form posts it (every field text) and the JSON API takes it
/// (`recipients` a list there, one text of addresses separated by commas or lines here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleForm {
    pub name: String,
    pub report: String,
    pub format: String,
    pub window_days: String,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub cron: String,
    pub recipients: String,
}

/// A schedule to create, every field checked but the cron (read on the server, where the cron
/// parser lives).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSchedule {
    pub name: String,
    pub report: Report,
    pub format: Format,
    pub window_days: i16,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub cron: String,
    pub recipients: Vec<String>,
}

impl ScheduleForm {
    pub fn parse(&self) -> Result<NewSchedule, String> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err("Give the schedule a name of up to 100 characters on one line.".into());
        }
        let report = Report::parse(&self.report).ok_or("Choose one of the five reports.")?;
        let format = Format::parse(&self.format).ok_or("The format is CSV or XLSX.")?;
        let window_days = self
            .window_days
            .trim()
            .parse::<i16>()
            .ok()
            .filter(|d| (1..=MAX_WINDOW_DAYS as i16).contains(d))
            .ok_or_else(|| format!("The window is a whole number of days from 1 to {MAX_WINDOW_DAYS}."))?;
        let (merchant_id, acquirer) = scope(report, &self.merchant_id, &self.acquirer)?;
        let cron = self.cron.split_whitespace().collect::<Vec<_>>().join(" ");
        if cron.split(' ').count() != 5 || cron.len() > 100 {
            return Err("The schedule is five cron fields in IST: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1\" for 09:00 every Monday.".into());
        }
        // At most hourly: one minute of the hour, not a list, range or step.
        if cron.split(' ').next().and_then(|m| m.parse::<u8>().ok()).is_none_or(|m| m >= 60) {
            return Err("A report runs at most once an hour: give the minute as one number from 0 to 59 (\"0 9 * * 1\", not \"*/5 * * * *\").".into());
        }
        let recipients = recipients(&self.recipients)?;
        Ok(NewSchedule { name, report, format, window_days, merchant_id, acquirer, cron, recipients })
    }
}

/// E-mail addresses separated by commas, semicolons or lines: each plausible, none twice, at
/// least one and at most [`MAX_RECIPIENTS`].
pub fn recipients(text: &str) -> Result<Vec<String>, String> {
    let mut list: Vec<String> = Vec::new();
    for address in text.split([',', ';', '\n', '\r']).map(str::trim).filter(|a| !a.is_empty()) {
        let address = address.to_ascii_lowercase();
        let plausible = address.len() <= 254
            && address.split('@').count() == 2
            && address.split('@').all(|part| !part.is_empty())
            && address
                .rsplit('@')
                .next()
                .is_some_and(|domain| domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
            && !address.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\\",:".contains(c));
        if !plausible {
            return Err(format!("\"{address}\" is not an e-mail address."));
        }
        if !list.contains(&address) {
            list.push(address);
        }
    }
    match list.len() {
        0 => Err("Name at least one recipient.".into()),
        n if n > MAX_RECIPIENTS => Err(format!("A schedule mails at most {MAX_RECIPIENTS} addresses.")),
        _ => Ok(list),
    }
}

/// A schedule as the schedules page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub report: Report,
    pub format: Format,
    pub window_days: i16,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub cron: String,
    pub recipients: Vec<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub next_run_at: chrono::DateTime<chrono::Utc>,
    /// The caller may change or delete it (its creator while they may schedule, or an admin).
    pub may_change: bool,
}

/// One run of a schedule and its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub id: uuid::Uuid,
    pub schedule_id: uuid::Uuid,
    pub schedule_name: String,
    pub report: Report,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub window_from: NaiveDate,
    pub window_to: NaiveDate,
    pub status: String,
    pub file_name: Option<String>,
    pub sha256: Option<String>,
    pub size_bytes: Option<i64>,
    pub emailed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub email_note: Option<String>,
    pub error: Option<String>,
    /// The file shows personal data that some roles see masked (they are refused it).
    pub unmasked_personal_data: bool,
}

/// What `/reports/schedules` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulesView {
    pub schedules: Vec<ScheduleRow>,
    pub runs: Vec<RunRow>,
    /// The caller may create schedules (every role but the read-only auditor).
    pub may_schedule: bool,
    /// E-mail is configured (`SMTP_HOST`); without it runs store their files and mail nobody.
    pub mail_on: bool,
    pub merchants: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn q(from: &str, to: &str, merchant: &str, acquirer: &str) -> ReportsQuery {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ReportsQuery { report: None, from: o(from), to: o(to), merchant_id: o(merchant), acquirer: o(acquirer) }
    }

    #[test]
    fn every_report_has_a_slug_and_its_columns_are_named_once() {
        for r in Report::ALL {
            assert_eq!(Report::parse(r.slug()), Some(r));
            let mut names: Vec<_> = r.columns().iter().map(|c| c.sql).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), r.columns().len(), "{r:?}");
        }
        assert_eq!(Report::parse("nope"), None);
        // Which reports carry personal data, each kind masked for some role.
        let hides = |r: Report| crate::sheet::Masking::ALL.hides_any_of(r.columns());
        assert!(hides(Report::SettlementSummary) && hides(Report::BankMis) && !hides(Report::Tax));
    }

    #[test]
    fn the_window_defaults_to_thirty_days_and_is_bounded() {
        let today = d("2026-12-02");
        let f = q("", "", "", "").filter(Report::Tax, today).unwrap();
        assert_eq!((f.from, f.to), (d("2026-11-03"), today));
        let f = q("2026-11-01", "2026-11-30", "m_1", "").filter(Report::SettlementSummary, today).unwrap();
        assert_eq!((f.from, f.to, f.merchant_id.as_deref()), (d("2026-11-01"), d("2026-11-30"), Some("M_1")));
        assert!(q("2026-11-30", "2026-11-01", "", "").filter(Report::Tax, today).unwrap_err().contains("after"));
        assert!(q("2025-01-01", "2026-11-01", "", "").filter(Report::Tax, today).unwrap_err().contains("366"));
        assert!(q("2025-11-01", "2026-11-01", "", "").filter(Report::Tax, today).is_ok());
        assert!(q("x", "", "", "").filter(Report::Tax, today).is_err());
    }

    #[test]
    fn filters_a_report_does_not_have_are_refused_in_words() {
        let today = d("2026-12-02");
        assert!(q("", "", "M1X", "").filter(Report::BankMis, today).unwrap_err().contains("no merchant"));
        assert!(q("", "", "", "hdfc").filter(Report::Tax, today).unwrap_err().contains("acquirer"));
        assert!(q("", "", "", "hdfc").filter(Report::SettlementSummary, today).is_err());
        assert_eq!(q("", "", "", "hdfc").filter(Report::BankMis, today).unwrap().acquirer.as_deref(), Some("HDFC"));
        assert!(q("", "", "x'; drop", "").filter(Report::Tax, today).is_err());
        assert!(q("", "", "", "a;b").filter(Report::BankMis, today).is_err());
    }

    #[test]
    fn file_names_carry_the_filter() {
        let f = Filter { from: d("2026-11-01"), to: d("2026-11-30"), merchant_id: Some("M_1".into()), acquirer: None };
        assert_eq!(f.file_name(Report::Tax, Format::Xlsx), "tax_2026-11-01_2026-11-30_M_1.xlsx");
        let f = Filter { acquirer: Some("ICICI BANK".into()), merchant_id: None, ..f };
        assert_eq!(f.file_name(Report::BankMis, Format::Csv), "bank-mis_2026-11-01_2026-11-30_ICICI-BANK.csv");
    }

    fn form() -> ScheduleForm {
        ScheduleForm {
            name: " Weekly summary ".into(),
            report: "settlement-summary".into(),
            format: "XLSX".into(),
            window_days: "7".into(),
            merchant_id: Some("m_1".into()),
            acquirer: None,
            cron: " 0  9 * * 1 ".into(),
            recipients: "Finance@Example.com, cfo@example.com\nfinance@example.com".into(),
        }
    }

    #[test]
    fn a_schedule_form_is_read_and_checked() {
        let s = form().parse().unwrap();
        assert_eq!(s.name, "Weekly summary");
        assert_eq!((s.report, s.format, s.window_days), (Report::SettlementSummary, Format::Xlsx, 7));
        assert_eq!(s.merchant_id.as_deref(), Some("M_1"));
        assert_eq!(s.cron, "0 9 * * 1");
        assert_eq!(s.recipients, ["finance@example.com", "cfo@example.com"]);
        let bad = |f: ScheduleForm, words: &str| assert!(f.parse().unwrap_err().contains(words), "{words}");
        bad(ScheduleForm { name: " ".into(), ..form() }, "name");
        bad(ScheduleForm { report: "payouts".into(), ..form() }, "five reports");
        bad(ScheduleForm { format: "pdf".into(), ..form() }, "CSV or XLSX");
        bad(ScheduleForm { window_days: "0".into(), ..form() }, "1 to 366");
        bad(ScheduleForm { window_days: "367".into(), ..form() }, "1 to 366");
        bad(ScheduleForm { cron: "0 9 * *".into(), ..form() }, "five cron fields");
        bad(ScheduleForm { cron: "*/5 * * * *".into(), ..form() }, "once an hour");
        bad(ScheduleForm { cron: "0,30 9 * * *".into(), ..form() }, "once an hour");
        bad(ScheduleForm { cron: "60 9 * * *".into(), ..form() }, "once an hour");
        bad(ScheduleForm { name: "Weekly\nDownload it: https://evil.test".into(), ..form() }, "one line");
        bad(ScheduleForm { report: "bank-mis".into(), ..form() }, "no merchant");
        bad(ScheduleForm { recipients: "".into(), ..form() }, "at least one");
        bad(ScheduleForm { recipients: "not-an-address".into(), ..form() }, "not an e-mail");
        bad(ScheduleForm { recipients: "a@b.com, Eve <eve@x.com>".into(), ..form() }, "not an e-mail");
        bad(ScheduleForm { recipients: "a@localhost".into(), ..form() }, "not an e-mail");
        let many = (0..21).map(|i| format!("u{i}@example.com")).collect::<Vec<_>>().join(",");
        bad(ScheduleForm { recipients: many, ..form() }, "at most 20");
    }

    #[test]
    fn an_unknown_report_is_named_in_the_error() {
        let q = ReportsQuery { report: Some("payouts".into()), ..ReportsQuery::default() };
        assert!(q.report().unwrap_err().contains("\"payouts\""));
        assert_eq!(ReportsQuery::default().report(), Ok(Report::SettlementSummary));
    }
}
