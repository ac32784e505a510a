//! The records of the demo data set, one type per table it fills (spec 08), and [`DemoData`] that
//! holds them all; the loader writes them as they are.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Role;
use crate::features::exceptions::rules::Severity;
use crate::features::recon::model::RunCounts;
use crate::features::settlements::calc::{BatchTotals, Commission, FeeBearer, ItemBreakdown, Terms};

#[derive(Clone, Debug, PartialEq)]
pub struct DemoUser {
    pub id: Uuid,
    pub email: &'static str,
    pub full_name: &'static str,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Merchant {
    pub id: &'static str,
    pub name: &'static str,
    pub legal_name: &'static str,
    pub pan: &'static str,
    pub bank_account_id: Uuid,
    pub account_number: String,
    pub ifsc: String,
    pub bank_name: &'static str,
    pub preferred_rail: &'static str,
    /// Per payment method overrides: (method, rate or fixed paise).
    pub commission: Vec<(&'static str, Commission)>,
    pub default_rate: Decimal,
    pub payer_bears: Vec<&'static str>,
    pub tds_rate: Option<Decimal>,
    pub reserve: Option<(Decimal, i64)>,
}

impl Merchant {
    pub fn terms(&self, method: &str) -> Terms {
        let commission = self
            .commission
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, c)| *c)
            .unwrap_or(Commission::Percent(self.default_rate));
        Terms {
            commission,
            gst_rate: Decimal::new(18, 2),
            tds_rate: self.tds_rate,
            reserve_rate: self.reserve.map(|(rate, _)| rate),
            fee_bearer: if self.payer_bears.contains(&method) { FeeBearer::Payer } else { FeeBearer::Merchant },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Txn {
    pub id: i64,
    pub txn_id: String,
    pub merchant_id: &'static str,
    pub amount_paise: i64,
    pub txn_at: DateTime<Utc>,
    pub cycle_date: NaiveDate,
    pub payment_method: &'static str,
    pub acquirer: &'static str,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub bank_fee_paise: Option<i64>,
    pub expected_settlement_paise: Option<i64>,
    pub status: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BankLine {
    pub id: i64,
    pub bank_ref: String,
    pub bank_name: &'static str,
    pub amount_paise: i64,
    pub direction: &'static str,
    pub txn_date: NaiveDate,
    pub value_date: NaiveDate,
    pub utr: Option<String>,
    pub remarks: String,
    pub cycle_date: NaiveDate,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub id: Uuid,
    pub cycle_date: NaiveDate,
    pub counts: RunCounts,
    pub queued_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResultRow {
    pub run_id: Uuid,
    pub side: &'static str,
    pub transaction_id: Option<i64>,
    pub bank_line_id: Option<i64>,
    pub class: &'static str,
    pub reason_code: Option<&'static str>,
    pub pg_amount_paise: Option<i64>,
    pub bank_amount_paise: Option<i64>,
    pub delta_paise: Option<i64>,
    pub match_score: Option<i16>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exception {
    pub id: String,
    pub run_id: Uuid,
    pub reason_code: &'static str,
    pub severity: Severity,
    pub status: &'static str,
    pub assignee: Option<Uuid>,
    pub tags: Vec<String>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub pg_amount_paise: Option<i64>,
    pub bank_amount_paise: Option<i64>,
    pub delta_paise: Option<i64>,
    pub merchant_id: Option<&'static str>,
    pub acquirer: &'static str,
    pub cycle_date: NaiveDate,
    pub utr: Option<String>,
    pub transaction_id: Option<i64>,
    pub bank_line_id: Option<i64>,
    pub resolution: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExceptionAction {
    pub exception_id: String,
    pub action: &'static str,
    pub actor_id: Uuid,
    pub acted_at: DateTime<Utc>,
    pub before: Value,
    pub after: Value,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub exception_id: String,
    pub author_id: Uuid,
    pub body: &'static str,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub id: Uuid,
    pub batch_ref: String,
    pub merchant_id: &'static str,
    pub cycle_date: NaiveDate,
    pub status: &'static str,
    pub totals: BatchTotals,
    pub rail: &'static str,
    pub bank_account_id: Uuid,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payout_utr: Option<String>,
    pub failure_reason: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub batch_id: Uuid,
    pub transaction_id: i64,
    pub breakdown: ItemBreakdown,
    pub fee_bearer: FeeBearer,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReserveEntry {
    pub id: i64,
    pub merchant_id: &'static str,
    pub batch_id: Uuid,
    pub kind: &'static str,
    pub amount_paise: i64,
    pub release_on: Option<NaiveDate>,
    pub released_entry_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    pub batch_id: Uuid,
    pub decided_by: Uuid,
    pub decision: &'static str,
    pub note: Option<&'static str>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    pub batch_id: Uuid,
    pub rail: &'static str,
    pub amount_paise: i64,
    pub status: &'static str,
    pub utr: Option<String>,
    pub bank_line_id: Option<i64>,
    pub verification: &'static str,
    pub failure_reason: Option<&'static str>,
    pub initiated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Chargeback {
    pub id: Uuid,
    pub case_ref: String,
    pub acquirer: &'static str,
    pub network_case_id: String,
    pub merchant_id: &'static str,
    pub merchant_name: &'static str,
    pub transaction_id: Option<i64>,
    pub txn_ref: String,
    pub rrn: String,
    pub utr: String,
    pub chargeback_paise: i64,
    pub recovered_paise: i64,
    pub written_off_paise: i64,
    pub reason_code: &'static str,
    pub stage: &'static str,
    pub status: &'static str,
    pub outcome: &'static str,
    pub assigned_to: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    pub evidence_due_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChargebackAudit {
    pub chargeback_id: Uuid,
    pub action: &'static str,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'static str,
    pub before: Option<Value>,
    pub after: Value,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recovery {
    pub id: Uuid,
    pub chargeback_id: Uuid,
    pub merchant_id: &'static str,
    pub amount_paise: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConnectorRun {
    pub id: Uuid,
    pub cycle_date: NaiveDate,
    pub status: &'static str,
    pub files_seen: i32,
    pub files_ingested: i32,
    pub rows_ingested: i32,
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DemoData {
    pub anchor: NaiveDate,
    pub users: Vec<DemoUser>,
    pub merchants: Vec<Merchant>,
    pub transactions: Vec<Txn>,
    pub bank_lines: Vec<BankLine>,
    pub runs: Vec<Run>,
    pub results: Vec<ResultRow>,
    pub exceptions: Vec<Exception>,
    pub exception_actions: Vec<ExceptionAction>,
    pub comments: Vec<Comment>,
    pub batches: Vec<Batch>,
    pub items: Vec<Item>,
    pub reserve_entries: Vec<ReserveEntry>,
    pub approvals: Vec<Approval>,
    pub transfers: Vec<Transfer>,
    pub chargebacks: Vec<Chargeback>,
    pub chargeback_audit: Vec<ChargebackAudit>,
    pub recoveries: Vec<Recovery>,
    pub connector_id: Uuid,
    pub connector_runs: Vec<ConnectorRun>,
}
