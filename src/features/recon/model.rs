//! Types shared by the Recon pages (server and browser), the JSON API and the queries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Paise;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    pub pg_rows: i32,
    pub bank_rows: i32,
    pub matched: i32,
    pub exceptions: i32,
    pub unmatched_pg: i32,
    pub unmatched_bank: i32,
}

/// Amounts per class (paise): the PG amount of PG rows, the bank amount of bank-only lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunAmounts {
    pub matched_paise: Paise,
    pub exceptions_paise: Paise,
    pub unmatched_pg_paise: Paise,
    pub unmatched_bank_paise: Paise,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub id: Uuid,
    pub cycle_date: NaiveDate,
    pub status: String,
    pub stage: Option<String>,
    pub progress_pct: i16,
    pub counts: RunCounts,
    pub amounts: RunAmounts,
    pub by_reason: std::collections::BTreeMap<String, i64>,
    pub error: Option<String>,
    pub superseded_by: Option<Uuid>,
    pub queued_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl RunView {
    pub fn is_active(&self) -> bool {
        self.status == "queued" || self.status == "running"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultRow {
    pub side: String,
    pub class: String,
    pub reason_code: Option<String>,
    pub txn_id: Option<String>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub pg_amount_paise: Option<Paise>,
    pub bank_amount_paise: Option<Paise>,
    pub delta_paise: Option<Paise>,
    pub pg_date: Option<NaiveDate>,
    pub bank_date: Option<NaiveDate>,
    pub bank_ref: Option<String>,
    /// The exception record of the row (open or worked), when it has one.
    pub exception_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRow {
    pub id: Uuid,
    pub kind: String,
    pub cycle_date: Option<NaiveDate>,
    pub original_name: String,
    pub detected_format: Option<String>,
    pub size_bytes: i64,
    pub rows_accepted: i32,
    pub rows_rejected: i32,
    /// Rows well formed but not money to reconcile (failed payments), and why.
    pub rows_skipped: i32,
    pub skipped_reasons: String,
    /// Merchant codes the file brought that were not known.
    pub unknown_merchants: String,
    pub uploaded_at: DateTime<Utc>,
}

/// The Recon workspace: recent runs and uploads, and whether this user may upload and run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub runs: Vec<RunView>,
    pub uploads: Vec<UploadRow>,
    pub can_work: bool,
    /// The caller may keep an upload's amount unit on a stored bank layout (admin).
    pub can_admin: bool,
    /// The stored bank layouts a user may name instead of detection.
    pub bank_layouts: Vec<String>,
}

/// The formats a user may name for a kind of file (`pg` or `bank`): value and label.
pub fn format_choices(kind: &str, bank_layouts: &[String]) -> Vec<(String, String)> {
    let mut choices = vec![(String::new(), "Detect from the header".to_string())];
    if kind == "pg" {
        choices.extend(
            [
                ("pg_simple", "PG simple"),
                ("pg_v1", "PG V1 (legacy)"),
                ("pg_v2", "PG V2"),
                ("pg_v2_captured", "PG V2 captured export"),
                ("pg_orders", "PG order export (no merchant column)"),
                ("pg_export", "PG transaction export"),
                ("pg_payments", "PG payments (no date column)"),
            ]
            .map(|(v, l)| (v.into(), l.into())),
        );
    } else {
        choices.extend([("bank_simple", "Bank simple"), ("bank_v1", "Bank V1")].map(|(v, l)| (v.into(), l.into())));
        choices.extend(bank_layouts.iter().map(|l| (l.clone(), l.clone())));
    }
    choices
}

/// What a file would be read as, before it is uploaded: its format and its first rows as the
/// product understands them (or why a row would be refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadPreview {
    pub format: String,
    /// The format is a stored bank layout (an admin may keep a unit chosen for it).
    pub stored_layout: bool,
    /// The file has no date column: its rows take the upload's cycle date.
    pub format_has_no_dates: bool,
    pub columns: Vec<String>,
    pub rows: Vec<PreviewRow>,
    /// Only the start of the file was read.
    pub sampled: bool,
    /// The column the amount to match is read from, and the unit it is read in (`rupees` |
    /// `paise`): the layout's (`layout_unit`) unless the user chose the other where
    /// `unit_switchable`.
    pub amount_column: String,
    pub amount_unit: String,
    pub layout_unit: String,
    pub unit_switchable: bool,
    /// How the file is read beyond its columns (a merchant or a date from the form, personal data
    /// left out, a method the file does not give).
    pub notes: Vec<String>,
    /// Merchant codes, among the rows shown, that the product does not know yet: their rows are
    /// accepted, flagged, and kept out of settlement until an admin creates or maps the merchant.
    pub unknown_merchants: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    pub line: u64,
    pub cells: Vec<String>,
    pub error: Option<String>,
    /// Why a well-formed row would be skipped (not money to reconcile), not refused.
    pub skipped: Option<String>,
}

pub const PREVIEW_ROWS: usize = 5;

/// The separators a delimited file may use (detection tries them in this order) and a stored
/// layout may name: the byte, the value a form sends for it, and its label.
pub const DELIMITERS: [(u8, &str, &str); 5] = [
    (b',', ",", "comma (,)"),
    (b';', ";", "semicolon (;)"),
    (b'\t', "tab", "tab"),
    (b'|', "|", "pipe (|)"),
    (b'~', "~", "tilde (~)"),
];

/// What every row of a whole file came to when read (a layout tried on a stored upload): how many
/// were accepted, skipped (not money to reconcile) and refused, the sums of the accepted lines,
/// and the first refused rows with their line and reason.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileTally {
    pub rows_total: u64,
    pub accepted: u64,
    pub skipped: u64,
    pub refused: u64,
    /// Accepted credit lines (every accepted PG row), in paise.
    pub credits_paise: i64,
    /// Accepted debit lines, in paise.
    pub debits_paise: i64,
    pub first_refused: Vec<PreviewRow>,
}

pub const CLASSES: [(&str, &str); 4] = [
    ("MATCHED", "Matched"),
    ("EXCEPTION", "Exceptions"),
    ("UNMATCHED_PG", "Unmatched PG"),
    ("UNMATCHED_BANK", "Unmatched bank"),
];

pub const RESULTS_PAGE: i64 = 50;

/// One page of a run's results for the run page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPage {
    pub run: RunView,
    pub class: Option<String>,
    pub rows: Vec<ResultRow>,
    pub total: i64,
    pub page: i64,
    pub class_counts: Vec<(String, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's `…Paise` fields stay plain JSON numbers of paise now that they are [`Paise`].
    #[test]
    fn amounts_serialise_as_numbers_of_paise() {
        let amounts =
            RunAmounts { matched_paise: Paise(-150), unmatched_bank_paise: Paise(i64::MAX), ..Default::default() };
        assert_eq!(
            serde_json::to_string(&amounts).unwrap(),
            r#"{"matchedPaise":-150,"exceptionsPaise":0,"unmatchedPgPaise":0,"unmatchedBankPaise":9223372036854775807}"#
        );
        let row = ResultRow {
            side: "pg".into(),
            class: "EXCEPTION".into(),
            reason_code: None,
            txn_id: None,
            utr: None,
            rrn: None,
            pg_amount_paise: Some(Paise(10_000)),
            bank_amount_paise: None,
            delta_paise: Some(Paise(0)),
            pg_date: None,
            bank_date: None,
            bank_ref: None,
            exception_id: None,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert!(json.contains(r#""pgAmountPaise":10000,"bankAmountPaise":null,"deltaPaise":0,"#), "{json}");
    }
}
