//! Types the settlement pages and the JSON API share: the list's URL query and typed filter, rows,
//! tiles, the batch page with its items, deductions, transfers and timeline, and the forms.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules::{Action, FailureCode, MerchantTerms, Rail, Status};
use crate::money::Paise;

pub const PAGE_SIZE: i64 = 25;
pub const ITEMS_PAGE_SIZE: i64 = 50;

/// The `/settlements` URL query exactly as the browser has it; [`SettlementsQuery::parse`] turns
/// it into the typed filter (unknown values are refused with a sentence, not ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub merchant: Option<String>,
    pub status: Option<String>,
    pub rail: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

/// Which batches a list, its count, the tiles and the CSV export take.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub merchant_id: Option<String>,
    pub status: Option<Status>,
    pub rail: Option<Rail>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    CycleDate,
    BatchRef,
    Merchant,
    TxnCount,
    Gross,
    Deductions,
    Net,
    Status,
    Rail,
    Created,
}

impl SortKey {
    pub const ALL: [SortKey; 10] = [
        SortKey::CycleDate,
        SortKey::BatchRef,
        SortKey::Merchant,
        SortKey::TxnCount,
        SortKey::Gross,
        SortKey::Deductions,
        SortKey::Net,
        SortKey::Status,
        SortKey::Rail,
        SortKey::Created,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SortKey::CycleDate => "cycle",
            SortKey::BatchRef => "ref",
            SortKey::Merchant => "merchant",
            SortKey::TxnCount => "txns",
            SortKey::Gross => "gross",
            SortKey::Deductions => "deductions",
            SortKey::Net => "net",
            SortKey::Status => "status",
            SortKey::Rail => "rail",
            SortKey::Created => "created",
        }
    }

    pub fn parse(code: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::CycleDate, desc: true }
    }
}

impl SettlementsQuery {
    /// The typed filter, sort and 1-based page of this URL.
    pub fn parse(&self) -> Result<(BatchFilter, Sort, i64), String> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v)
                .map(|s| {
                    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                        .map_err(|_| format!("{what} must be a date (YYYY-MM-DD)."))
                })
                .transpose()
        };
        let filter = BatchFilter {
            from: date(&self.from, "From")?,
            to: date(&self.to, "To")?,
            merchant_id: text(&self.merchant),
            status: text(&self.status)
                .map(|s| Status::parse(&s).ok_or_else(|| format!("Unknown batch status {s:?}.")))
                .transpose()?,
            rail: text(&self.rail)
                .map(|s| Rail::parse(&s).ok_or_else(|| format!("Unknown rail {s:?}.")))
                .transpose()?,
        };
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from > to {
                return Err("From must be on or before To.".into());
            }
        }
        let key = text(&self.sort)
            .map(|s| SortKey::parse(&s).ok_or_else(|| format!("Unknown sort {s:?}.")))
            .transpose()?
            .unwrap_or_default();
        let desc = match text(&self.dir).as_deref() {
            None => true,
            Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(format!("Unknown sort direction {other:?}.")),
        };
        let page = text(&self.page).as_deref().map(crate::paging::parse_page).transpose()?.unwrap_or(1);
        Ok((filter, Sort { key, desc }, page))
    }
}

/// One batch as the list, the CSV export and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRow {
    pub id: Uuid,
    pub batch_ref: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub cycle_date: NaiveDate,
    pub status: Status,
    pub txn_count: i64,
    pub gross: Paise,
    pub commission: Paise,
    pub gst: Paise,
    pub tds: Paise,
    pub reserve: Paise,
    pub deductions: Paise,
    pub reserve_released: Paise,
    pub fees_not_deducted: Paise,
    pub net: Paise,
    pub rail: Rail,
    pub payout_due_on: Option<NaiveDate>,
    pub created_by: Option<String>,
    pub approved_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payout_utr: Option<String>,
    pub failure_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPage {
    pub rows: Vec<BatchRow>,
    /// All batches matching the filter, not the page size.
    pub total: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountNet {
    pub count: i64,
    pub net: Paise,
}

/// The page's tiles over the filter (paid: batches paid within the cycle window).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tiles {
    pub awaiting_approval: CountNet,
    pub approved_awaiting_payout: CountNet,
    pub sent: CountNet,
    pub paid: CountNet,
    pub failed: CountNet,
}

/// One "create batches for cycle D" request and how far it has come.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: Uuid,
    pub job_id: Option<i64>,
    pub cycle_date: NaiveDate,
    pub status: String,
    pub requested_by: Option<String>,
    pub merchants_total: i32,
    pub merchants_done: i32,
    pub created: i32,
    pub skipped: i32,
    pub carried_forward: i32,
    /// Merchants left out, with why.
    pub problems: Vec<String>,
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A generated bank bulk-transfer file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayoutFileRow {
    pub id: Uuid,
    pub payout_date: NaiveDate,
    pub file_name: String,
    pub sha256: String,
    pub batch_count: i32,
    pub total: Paise,
    pub generated_by: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub batch_ids: Vec<Uuid>,
    /// The batches whose transfer in this file the bank has answered for (paid or failed): the
    /// file is downloadable only while there are none, so it is never sent to the bank twice.
    pub answered_batches: Vec<String>,
}

/// A merchant's cycle carried forward (net below its minimum): shown until a batch takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarryForwardRow {
    pub merchant_id: String,
    pub merchant_name: String,
    pub cycle_date: NaiveDate,
    pub txn_count: i32,
    pub gross: Paise,
    pub net: Paise,
    pub minimum: Paise,
}

/// Everything `/settlements` shows for its URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementsView {
    pub filter: BatchFilter,
    pub tiles: Tiles,
    pub page: BatchPage,
    pub page_number: i64,
    pub sort: Sort,
    pub merchants: Vec<(String, String)>,
    pub runs: Vec<RunRow>,
    pub payout_files: Vec<PayoutFileRow>,
    pub carried: Vec<CarryForwardRow>,
    /// Today in IST (the create form's and the payout form's default dates).
    pub today: NaiveDate,
    /// Creating, approving and paying (sp-finance).
    pub can_work: bool,
    /// Downloading payout files ([`crate::auth::Access::PAYOUT_FILES`]: finance only).
    pub can_download_payouts: bool,
}

/// The bank account a batch pays into, its number masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccountView {
    pub holder_name: String,
    pub account_number_masked: String,
    pub ifsc: String,
    pub bank_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRow {
    pub transaction_id: i64,
    pub txn_id: String,
    pub payment_method: String,
    pub txn_status: String,
    pub amount: Paise,
    pub commission: Paise,
    pub gst: Paise,
    pub tds: Paise,
    pub reserve: Paise,
    pub net: Paise,
    pub fee_bearer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemPage {
    pub rows: Vec<ItemRow>,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeductionRow {
    pub id: i64,
    /// CHARGEBACK or REFUND.
    pub kind: String,
    pub amount: Paise,
    pub chargeback_id: Option<Uuid>,
    pub case_ref: Option<String>,
    pub refund_txn_ref: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRow {
    pub id: i64,
    pub rail: Rail,
    pub amount: Paise,
    pub status: String,
    pub utr: Option<String>,
    /// UNVERIFIED, VERIFIED or AMOUNT_MISMATCH.
    pub verification: Option<String>,
    /// The amount on the bank's DEBIT line that carried the UTR.
    pub bank_amount: Option<Paise>,
    pub failure_reason: Option<String>,
    pub payout_file_id: Option<Uuid>,
    pub initiated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub event: String,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveRow {
    pub id: i64,
    /// HOLD or RELEASE.
    pub kind: String,
    pub amount: Paise,
    pub release_on: Option<NaiveDate>,
    /// For a hold: the batch its release went into.
    pub released_in: Option<String>,
}

/// One batch with everything its page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchDetail {
    pub batch: BatchRow,
    pub bank_account: Option<BankAccountView>,
    /// The terms the batch was calculated with (`None` for batches made before terms were kept).
    pub terms: Option<MerchantTerms>,
    pub items: ItemPage,
    pub deductions: Vec<DeductionRow>,
    pub transfers: Vec<TransferRow>,
    pub timeline: Vec<EventRow>,
    pub reserve: Vec<ReserveRow>,
}

/// The batch page: the detail and what this user may do now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchView {
    pub detail: BatchDetail,
    pub items_page: i64,
    pub actions: Vec<Action>,
    /// This user created the batch (so cannot approve it).
    pub is_maker: bool,
    pub failure_codes: Vec<(FailureCode, String)>,
}

/// An action from the batch page or the API.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionForm {
    pub id: String,
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub utr: Option<String>,
    #[serde(default)]
    pub failure_code: Option<String>,
}

/// What a bulk approval did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    pub approved: i64,
    /// (batch reference — or the id as given when there is no such batch —, why it was not approved).
    pub refused: Vec<(String, String)>,
}

/// The answer to "create batches for cycle D".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStarted {
    pub run_id: Uuid,
    pub job_id: Option<i64>,
    /// A run for the same cycle was already queued or running: this is that one.
    pub already_running: bool,
}
