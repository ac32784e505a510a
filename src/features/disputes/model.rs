//! Types shared by the Disputes pages (server and browser), the JSON API and the queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::{MoneyOverflow, Paise};

/// The one status the UI shows, derived from the stored stage / status / outcome (spec 03 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UiStatus {
    Open,
    EvidenceRequired,
    RepresentmentSubmitted,
    PendingBank,
    Won,
    Lost,
    Cancelled,
}

impl UiStatus {
    pub const ALL: [UiStatus; 7] = [
        UiStatus::Open,
        UiStatus::EvidenceRequired,
        UiStatus::RepresentmentSubmitted,
        UiStatus::PendingBank,
        UiStatus::Won,
        UiStatus::Lost,
        UiStatus::Cancelled,
    ];

    /// The URL / API value (`evidence_required`).
    pub fn param(self) -> &'static str {
        match self {
            UiStatus::Open => "open",
            UiStatus::EvidenceRequired => "evidence_required",
            UiStatus::RepresentmentSubmitted => "representment_submitted",
            UiStatus::PendingBank => "pending_bank",
            UiStatus::Won => "won",
            UiStatus::Lost => "lost",
            UiStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(param: &str) -> Option<UiStatus> {
        UiStatus::ALL.into_iter().find(|s| s.param() == param)
    }

    pub fn label(self) -> &'static str {
        match self {
            UiStatus::Open => "Open",
            UiStatus::EvidenceRequired => "Evidence required",
            UiStatus::RepresentmentSubmitted => "Representment submitted",
            UiStatus::PendingBank => "Pending bank",
            UiStatus::Won => "Won",
            UiStatus::Lost => "Lost",
            UiStatus::Cancelled => "Cancelled",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, UiStatus::Won | UiStatus::Lost | UiStatus::Cancelled)
    }

    /// Badge colours for the status chip.
    pub fn badge_class(self) -> &'static str {
        match self {
            UiStatus::Open => "bg-sky-100 text-sky-800",
            UiStatus::EvidenceRequired => "bg-amber-100 text-amber-900",
            UiStatus::RepresentmentSubmitted => "bg-indigo-100 text-indigo-800",
            UiStatus::PendingBank => "bg-violet-100 text-violet-800",
            UiStatus::Won => "bg-emerald-100 text-emerald-800",
            UiStatus::Lost => "bg-red-100 text-red-800",
            UiStatus::Cancelled => "bg-slate-200 text-slate-700",
        }
    }
}

/// Where an open case's evidence deadline falls, in IST days (spec 03 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SlaBucket {
    Overdue,
    Today,
    Tomorrow,
    TwoToThreeDays,
}

impl SlaBucket {
    pub const ALL: [SlaBucket; 4] =
        [SlaBucket::Overdue, SlaBucket::Today, SlaBucket::Tomorrow, SlaBucket::TwoToThreeDays];

    pub fn param(self) -> &'static str {
        match self {
            SlaBucket::Overdue => "overdue",
            SlaBucket::Today => "today",
            SlaBucket::Tomorrow => "tomorrow",
            SlaBucket::TwoToThreeDays => "2-3d",
        }
    }

    pub fn parse(param: &str) -> Option<SlaBucket> {
        SlaBucket::ALL.into_iter().find(|b| b.param() == param)
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaBucket::Overdue => "Overdue",
            SlaBucket::Today => "Due today",
            SlaBucket::Tomorrow => "Due tomorrow",
            SlaBucket::TwoToThreeDays => "Due in 2–3 days",
        }
    }

    /// The API's field name (`dueToday`).
    pub fn api_key(self) -> &'static str {
        match self {
            SlaBucket::Overdue => "overdue",
            SlaBucket::Today => "dueToday",
            SlaBucket::Tomorrow => "dueTomorrow",
            SlaBucket::TwoToThreeDays => "dueIn2To3Days",
        }
    }
}

/// The five checklist KPIs plus the counts the tiles show (spec 03 §3.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    pub open_count: i64,
    pub evidence_required_count: i64,
    pub disputed: Paise,
    pub recovered: Paise,
    pub written_off: Paise,
}

/// Net impact = recovered − written off (spec 03 §3.2), of the KPIs and of an outcome window alike.
pub fn net_impact(recovered: Paise, written_off: Paise) -> Result<Paise, MoneyOverflow> {
    recovered.checked_sub(written_off)
}

impl Kpis {
    /// Net impact over the cases in scope.
    pub fn net(&self) -> Result<Paise, MoneyOverflow> {
        net_impact(self.recovered, self.written_off)
    }
}

/// Won / lost counts, win rate and average resolution time over cases closed in the last 7 or 30 days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeSummary {
    pub window_days: i64,
    pub won: i64,
    pub lost: i64,
    /// Win rate in tenths of a percent (won ÷ (won + lost)), `None` when nothing was decided.
    pub win_rate_permille: Option<i64>,
    /// Average (closed − received) in tenths of a day over the decided cases.
    pub avg_resolution_tenth_days: Option<i64>,
    /// Recovered and written off over the cases closed in the window (the KPIs' are all time).
    pub recovered: Paise,
    pub written_off: Paise,
}

impl OutcomeSummary {
    /// Net impact over the cases closed in the window.
    pub fn net(&self) -> Result<Paise, MoneyOverflow> {
        net_impact(self.recovered, self.written_off)
    }

    pub fn win_rate_text(&self) -> String {
        crate::ratio::percent_text(self.win_rate_permille)
    }

    pub fn avg_resolution_text(&self) -> String {
        self.avg_resolution_tenth_days.map_or_else(|| "—".into(), |t| format!("{} days", crate::ratio::tenths_text(t)))
    }
}

/// One SLA bucket: how many open cases and how much money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCell {
    pub bucket: SlaBucket,
    pub count: i64,
    pub amount: Paise,
}

/// The filter of the list, the KPIs and the export, parsed from a URL or the API's parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// Received between these IST dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListFilter {
    pub scope: Scope,
    pub ui_status: Option<UiStatus>,
    /// The stored status (`OPEN`, `RECOVERED`, `WRITEOFF`), as the old API filtered.
    pub raw_status: Option<String>,
    pub sla: Option<SlaBucket>,
    pub q: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Received,
    Amount,
    EvidenceDue,
    CaseRef,
    Merchant,
}

impl SortKey {
    pub const ALL: [SortKey; 5] =
        [SortKey::Received, SortKey::Amount, SortKey::EvidenceDue, SortKey::CaseRef, SortKey::Merchant];

    pub fn param(self) -> &'static str {
        match self {
            SortKey::Received => "received",
            SortKey::Amount => "amount",
            SortKey::EvidenceDue => "due",
            SortKey::CaseRef => "case",
            SortKey::Merchant => "merchant",
        }
    }

    pub fn parse(param: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.param() == param)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::Received, descending: true }
    }
}

/// The page's URL query, exactly as the browser has it; [`DisputesQuery::parse`] turns it into
/// the typed filter (unknown values are refused with a message, not ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputesQuery {
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub merchant: Option<String>,
    pub network: Option<String>,
    pub q: Option<String>,
    pub sla: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
    pub window: Option<String>,
}

pub const PAGE_SIZE: i64 = 25;

/// One row of the list (and of the CSV export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseRow {
    pub id: Uuid,
    pub case_ref: String,
    pub network_case_id: String,
    pub acquirer: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub txn_ref: Option<String>,
    pub rrn: Option<String>,
    pub utr: Option<String>,
    pub reason_code: String,
    pub reason_description: String,
    pub category: String,
    pub chargeback: Paise,
    pub fees: Paise,
    pub stage: String,
    pub status: String,
    pub outcome: String,
    pub ui_status: Option<UiStatus>,
    pub received_at: DateTime<Utc>,
    pub evidence_due_at: Option<DateTime<Utc>>,
    pub owner: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    /// All rows matching the filter, not the page size.
    pub total: i64,
}

/// Everything the `/disputes` page shows, in one server call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputesView {
    pub kpis: Kpis,
    pub outcomes: OutcomeSummary,
    pub sla: Vec<SlaCell>,
    /// Case counts per UI status in the scope (the tabs), plus `All`.
    pub tab_counts: Vec<(UiStatus, i64)>,
    pub all_count: i64,
    pub page: CasePage,
    pub page_number: i64,
    pub sort: Sort,
    pub now: DateTime<Utc>,
    pub merchants: Vec<(String, String)>,
    pub can_work: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedTransaction {
    pub txn_id: String,
    pub amount: Paise,
    pub payment_method: String,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub txn_at: DateTime<Utc>,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: Uuid,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    pub amount: Paise,
    pub applied: Paise,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// Where it was deducted: the settlement batches that took part of it.
    pub deductions: Vec<RecoveryDeduction>,
}

/// A part of a recovery deducted in a settlement batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryDeduction {
    pub batch_id: Uuid,
    pub batch_ref: String,
    pub amount: Paise,
    pub at: DateTime<Utc>,
}

/// The detail page's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub case: CaseRow,
    pub original_gross: Paise,
    pub recovered: Paise,
    pub pending_recovery: Paise,
    pub written_off: Paise,
    pub assigned_to: Option<Uuid>,
    pub assigned_team: Option<String>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub transaction: Option<LinkedTransaction>,
    pub documents: Vec<Document>,
    pub timeline: Vec<TimelineEntry>,
    pub recovery: Option<Recovery>,
}

/// The detail page: the record plus what this user may do with it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    pub detail: CaseDetail,
    pub next_statuses: Vec<UiStatus>,
    pub can_work: bool,
    pub can_note: bool,
    pub assignees: Vec<(Uuid, String)>,
    pub now: DateTime<Utc>,
}

/// A case action, as the JSON API and the detail page's forms send it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseAction {
    pub action: String,
    pub to: Option<String>,
    pub note: Option<String>,
    pub assignee: Option<String>,
    pub team: Option<String>,
    pub evidence_due: Option<String>,
}

/// The detail page's action forms: the case's id beside the action's fields, all on one level.
/// The server function's argument is called `form`, so the inputs are named `form[id]`,
/// `form[action]`, `form[to]`, `form[evidenceDue]`, … (each at most once per form: the decoder
/// refuses a repeated key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseActionForm {
    pub id: String,
    #[serde(flatten)]
    pub request: CaseAction,
}

/// The form fields of the manual create form (`form[network]`, `form[amount]`, …), validated on
/// the server into a new case. A field left out reads as empty, which validation treats exactly
/// like a blank input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    pub network: String,
    pub network_case_id: String,
    pub merchant_id: String,
    pub amount: String,
    pub reason_code: String,
    pub reason: String,
    pub received: String,
    pub due: String,
    pub txn_ref: String,
    pub rrn: String,
    pub utr: String,
}

/// The networks (acquirers) a case can come from (spec 03 §3.1).
pub const NETWORKS: [&str; 8] = ["VISA", "MASTERCARD", "RUPAY", "PAYTM", "PHONEPE", "UPI", "BANK", "OTHER"];
pub const TEAMS: [&str; 4] = ["OPS", "FINANCE", "COMPLIANCE", "MERCHANT_OPS"];
pub const DOCUMENT_KINDS: [&str; 5] = ["NOTICE", "EVIDENCE", "DECISION", "CORRESPONDENCE", "OTHER"];

impl DisputesQuery {
    /// The typed filter, sort, 1-based page and outcome window (7 or 30 days) of a URL.
    pub fn parse(&self) -> Result<(ListFilter, Sort, i64, i64), String> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| crate::ist::parse_date(&d, what).map_err(|e| e.to_string())).transpose()
        };
        let from = date(&self.from, "From")?;
        let to = date(&self.to, "To")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err("The From date is after the To date.".into());
            }
        }
        // The stored statuses (`OPEN`, …) of the old system's links still work beside the UI's.
        let (ui_status, raw_status) = match text(&self.status) {
            None => (None, None),
            Some(s) if s == "all" => (None, None),
            Some(s) if super::rules::STORED_STATUSES.contains(&s.as_str()) => (None, Some(s)),
            Some(s) => (Some(UiStatus::parse(&s).ok_or(format!("Unknown status {s:?}."))?), None),
        };
        let sla =
            text(&self.sla).map(|s| SlaBucket::parse(&s).ok_or(format!("Unknown SLA bucket {s:?}."))).transpose()?;
        let key = text(&self.sort).map(|s| SortKey::parse(&s).ok_or(format!("Unknown sort {s:?}."))).transpose()?;
        let sort = match key {
            None => Sort::default(),
            Some(key) => Sort { key, descending: text(&self.dir).as_deref() != Some("asc") },
        };
        let page = text(&self.page).map(|p| crate::paging::parse_page(&p)).transpose()?;
        let window = super::rules::window_days(text(&self.window).as_deref())?;
        let filter = ListFilter {
            scope: Scope {
                from,
                to,
                merchant_id: text(&self.merchant),
                acquirer: text(&self.network).map(|n| n.to_ascii_uppercase()),
            },
            ui_status,
            raw_status,
            sla,
            q: text(&self.q),
        };
        Ok((filter, sort, page.unwrap_or(1), window))
    }

    /// `/disputes?…` with the non-empty parameters, in a stable order.
    pub fn href(&self) -> String {
        self.href_at("/disputes")
    }

    /// The same query on another path (the CSV export).
    pub fn href_at(&self, path: &str) -> String {
        crate::ui::query_href(
            path,
            &[
                ("status", &self.status),
                ("from", &self.from),
                ("to", &self.to),
                ("merchant", &self.merchant),
                ("network", &self.network),
                ("q", &self.q),
                ("sla", &self.sla),
                ("sort", &self.sort),
                ("dir", &self.dir),
                ("page", &self.page),
                ("window", &self.window),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_queries_parse_and_round_trip() {
        let q = DisputesQuery {
            status: Some("evidence_required".into()),
            from: Some("2026-11-01".into()),
            network: Some("visa".into()),
            q: Some("CB 2026".into()),
            sla: Some("2-3d".into()),
            sort: Some("amount".into()),
            dir: Some("asc".into()),
            page: Some("2".into()),
            ..Default::default()
        };
        let (filter, sort, page, window) = q.parse().unwrap();
        assert_eq!(filter.ui_status, Some(UiStatus::EvidenceRequired));
        assert_eq!(filter.scope.acquirer.as_deref(), Some("VISA"));
        assert_eq!(filter.sla, Some(SlaBucket::TwoToThreeDays));
        assert_eq!(sort, Sort { key: SortKey::Amount, descending: false });
        assert_eq!((page, window), (2, 30));
        assert_eq!(
            q.href(),
            "/disputes?status=evidence_required&from=2026-11-01&network=visa&q=CB%202026&sla=2-3d&sort=amount&dir=asc&page=2"
        );
        assert_eq!(DisputesQuery::default().href(), "/disputes");
    }

    #[test]
    fn bad_url_values_are_refused_with_a_sentence() {
        let bad = |q: DisputesQuery| q.parse().unwrap_err();
        assert!(bad(DisputesQuery { status: Some("closed".into()), ..Default::default() }).contains("Unknown status"));
        assert!(bad(DisputesQuery { from: Some("2026-13-01".into()), ..Default::default() }).contains("date"));
        assert!(bad(DisputesQuery {
            from: Some("2026-11-02".into()),
            to: Some("2026-11-01".into()),
            ..Default::default()
        })
        .contains("after"));
        assert!(bad(DisputesQuery { page: Some("0".into()), ..Default::default() }).contains("positive"));
        assert!(bad(DisputesQuery { window: Some("90d".into()), ..Default::default() }).contains("7d or 30d"));
        assert!(DisputesQuery { status: Some("all".into()), ..Default::default() }
            .parse()
            .unwrap()
            .0
            .ui_status
            .is_none());
    }
}
