//! The transaction explorer's types: the URL query and its typed filter (pure parsing), a list row,
//! a page of rows with its count, and one transaction's whole life.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Lifecycle, PipelineBucket, METHODS};
use crate::money::Paise;

/// The page's URL, as the browser has it (rupees for amounts); the API's names differ only where
/// noted in `api.rs` (`merchantId`, `minPaise`, `maxPaise`, `limit`, `offset`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplorerQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub merchant: Option<String>,
    pub acquirer: Option<String>,
    pub method: Option<String>,
    pub status: Option<String>,
    pub bucket: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
}

/// The typed filter every list, count and export runs on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub merchant_id: Option<String>,
    /// Upper case; compared with the stored acquirer in upper case (stored as the file gave it).
    pub acquirer: Option<String>,
    pub method: Option<String>,
    pub status: Option<Lifecycle>,
    pub bucket: Option<PipelineBucket>,
    pub min: Option<Paise>,
    pub max: Option<Paise>,
    /// A transaction id, UTR or RRN, exactly (case as stored or upper case).
    pub q: Option<String>,
}

impl Filter {
    /// Whether the daily rollup can count this filter exactly (no merchant, amount or search).
    pub fn countable_by_rollup(&self) -> bool {
        self.merchant_id.is_none() && self.min.is_none() && self.max.is_none() && self.q.is_none()
    }

    /// Whether a page may start at `offset`: anywhere when the rollup says which days hold it
    /// (its keys only, newest or oldest first); within the first [`COUNT_CAP`] matches otherwise,
    /// so that no request walks millions of rows to skip them.
    pub fn page_allowed(&self, sort: Sort, offset: i64) -> Result<(), String> {
        if (self.countable_by_rollup() && sort.key == SortKey::Cycle) || offset < COUNT_CAP {
            Ok(())
        } else {
            Err(format!(
                "Pages go up to the first {} matches of this filter and order: narrow it (cycle dates, a status) to see further.",
                crate::money::format_count(COUNT_CAP)
            ))
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    /// Cycle date, then the newest record.
    #[default]
    Cycle,
    Amount,
}

impl SortKey {
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Cycle => "cycle",
            SortKey::Amount => "amount",
        }
    }
    pub fn parse(s: &str) -> Option<SortKey> {
        [SortKey::Cycle, SortKey::Amount].into_iter().find(|k| k.param() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort { key: SortKey::Cycle, desc: true }
    }
}

pub const PAGE_SIZE: i64 = 50;
pub use crate::paging::{MatchCount, COUNT_CAP};
const MAX_TEXT: usize = 64;

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Parsed pieces shared by the page's and the API's parameters.
pub struct RawFilter<'a> {
    pub from: &'a Option<String>,
    pub to: &'a Option<String>,
    pub merchant: &'a Option<String>,
    pub acquirer: &'a Option<String>,
    pub method: &'a Option<String>,
    pub status: &'a Option<String>,
    pub bucket: &'a Option<String>,
    pub q: &'a Option<String>,
}

impl RawFilter<'_> {
    /// The typed filter (amounts are given apart: rupees on the page, paise in the API). Unknown
    /// values are refused with a sentence, not ignored.
    pub fn parse(&self, min: Option<Paise>, max: Option<Paise>) -> Result<Filter, String> {
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, String> {
            text(v).map(|d| crate::ist::parse_date(&d, what).map_err(|e| e.to_string())).transpose()
        };
        let from = date(self.from, "Cycle from")?;
        let to = date(self.to, "Cycle to")?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err("The cycle From date is after the To date.".into());
            }
        }
        let short = |v: &Option<String>, what: &str| -> Result<Option<String>, String> {
            match text(v) {
                Some(s) if s.len() > MAX_TEXT => Err(format!("{what} is too long.")),
                other => Ok(other),
            }
        };
        let merchant_id = short(self.merchant, "The merchant")?;
        let acquirer = short(self.acquirer, "The acquirer")?.map(|a| a.to_ascii_uppercase());
        let method = match text(self.method) {
            None => None,
            Some(m) => {
                let up = m.to_ascii_uppercase();
                Some(METHODS.contains(&up.as_str()).then_some(up).ok_or(format!("Unknown payment method {m:?}."))?)
            }
        };
        let status =
            text(self.status).map(|s| Lifecycle::parse(&s).ok_or(format!("Unknown status {s:?}."))).transpose()?;
        let bucket = text(self.bucket)
            .map(|b| PipelineBucket::parse(&b).ok_or(format!("Unknown pipeline bucket {b:?}.")))
            .transpose()?;
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                return Err("The minimum amount is more than the maximum.".into());
            }
        }
        let q = short(self.q, "The search")?;
        Ok(Filter { from, to, merchant_id, acquirer, method, status, bucket, min, max, q })
    }
}

impl ExplorerQuery {
    /// The typed filter, sort and 1-based page of a URL.
    pub fn parse(&self) -> Result<(Filter, Sort, i64), String> {
        let rupees = |v: &Option<String>, what: &str| -> Result<Option<Paise>, String> {
            text(v).map(|r| Paise::parse_rupees(&r).map_err(|m| format!("{what}: {m}."))).transpose()
        };
        let raw = RawFilter {
            from: &self.from,
            to: &self.to,
            merchant: &self.merchant,
            acquirer: &self.acquirer,
            method: &self.method,
            status: &self.status,
            bucket: &self.bucket,
            q: &self.q,
        };
        let filter = raw.parse(rupees(&self.min, "Amount from")?, rupees(&self.max, "Amount to")?)?;
        let sort = parse_sort(&self.sort, &self.dir)?;
        let page = text(&self.page).map(|p| crate::paging::parse_page(&p)).transpose()?.unwrap_or(1);
        Ok((filter, sort, page))
    }
}

/// `sort=cycle|amount`, `dir=asc|desc` (newest / largest first unless asked).
pub fn parse_sort(sort: &Option<String>, dir: &Option<String>) -> Result<Sort, String> {
    let key = match text(sort) {
        None => SortKey::Cycle,
        Some(s) => SortKey::parse(&s).ok_or(format!("Unknown sort {s:?}."))?,
    };
    let desc = match text(dir).as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(d) => return Err(format!("Unknown sort direction {d:?}.")),
    };
    Ok(Sort { key, desc })
}

/// One row of the list (and of the CSV export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnRow {
    pub id: i64,
    pub txn_id: String,
    pub merchant_id: String,
    pub merchant_name: String,
    pub amount: Paise,
    pub currency: String,
    pub cycle_date: NaiveDate,
    pub txn_at: DateTime<Utc>,
    pub payment_method: String,
    pub acquirer: Option<String>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub status: Lifecycle,
    pub batch_ref: Option<String>,
    /// The status of the batch it is in (a SETTLED transaction's batch may be on hold or failed).
    pub batch_status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnPage {
    pub rows: Vec<TxnRow>,
    pub total: MatchCount,
    pub has_next: bool,
}

/// What `/transactions` shows for its URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplorerView {
    pub filter: Filter,
    pub sort: Sort,
    pub page_number: i64,
    pub page: TxnPage,
    pub acquirers: Vec<String>,
}

/// The bank line a transaction was matched to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLineView {
    pub id: i64,
    pub bank_name: String,
    pub bank_ref: Option<String>,
    pub amount: Paise,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub utr: Option<String>,
}

/// One recon result for the transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultView {
    pub run_id: Uuid,
    pub run_cycle: NaiveDate,
    pub run_at: Option<DateTime<Utc>>,
    pub class: String,
    pub reason_code: Option<String>,
    pub delta: Option<Paise>,
    pub bank_line_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRef {
    pub id: String,
    pub reason_code: String,
    pub severity: String,
    pub status: String,
    pub delta: Option<Paise>,
}

/// The settlement item and its batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRef {
    pub batch_id: Uuid,
    pub batch_ref: String,
    pub batch_status: String,
    pub batch_cycle: NaiveDate,
    pub commission: Paise,
    pub gst: Paise,
    pub tds: Paise,
    pub reserve: Paise,
    pub net: Paise,
    pub payout_utr: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargebackRef {
    pub id: Uuid,
    pub case_ref: String,
    pub status: String,
    pub stage: String,
    pub amount: Paise,
    pub received_at: DateTime<Utc>,
}

/// One transaction's whole life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnDetail {
    pub row: TxnRow,
    pub gross: Option<Paise>,
    pub gateway_status: String,
    pub bank_fee: Option<Paise>,
    pub expected_settlement: Option<Paise>,
    pub source_file: Option<String>,
    pub created_at: DateTime<Utc>,
    pub bank_line: Option<BankLineView>,
    pub results: Vec<ResultView>,
    pub exception: Option<ExceptionRef>,
    pub settlement: Option<SettlementRef>,
    pub chargebacks: Vec<ChargebackRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_is_parsed_or_refused_in_words() {
        let q = ExplorerQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-07".into()),
            method: Some("upi".into()),
            status: Some("paid".into()),
            bucket: Some("credited".into()),
            min: Some("1,000.50".into()),
            q: Some(" UTR123 ".into()),
            sort: Some("amount".into()),
            dir: Some("asc".into()),
            page: Some("3".into()),
            ..Default::default()
        };
        let (f, sort, page) = q.parse().unwrap();
        assert_eq!(f.method.as_deref(), Some("UPI"));
        assert_eq!(f.status, Some(Lifecycle::Paid));
        assert_eq!(f.bucket, Some(PipelineBucket::Credited));
        assert_eq!(f.min, Some(Paise(100_050)));
        assert_eq!(f.q.as_deref(), Some("UTR123"));
        assert_eq!((sort, page), (Sort { key: SortKey::Amount, desc: false }, 3));
        assert!(!f.countable_by_rollup());
        for bad in [
            ExplorerQuery { from: Some("2026-11-08".into()), to: Some("2026-11-01".into()), ..Default::default() },
            ExplorerQuery { method: Some("CHEQUE".into()), ..Default::default() },
            ExplorerQuery { status: Some("LOST".into()), ..Default::default() },
            ExplorerQuery { bucket: Some("sent".into()), ..Default::default() },
            ExplorerQuery { min: Some("10".into()), max: Some("5".into()), ..Default::default() },
            ExplorerQuery { min: Some("ten".into()), ..Default::default() },
            ExplorerQuery { sort: Some("merchant".into()), ..Default::default() },
            ExplorerQuery { page: Some("0".into()), ..Default::default() },
            ExplorerQuery { q: Some("x".repeat(65)), ..Default::default() },
        ] {
            assert!(bad.parse().is_err(), "{bad:?}");
        }
        assert!(ExplorerQuery::default().parse().unwrap().0.countable_by_rollup());
    }
}
