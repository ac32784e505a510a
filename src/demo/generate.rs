//! The demo data set of spec 08, generated purely from the anchor date: the same anchor gives the
//! same data, byte for byte (ids, salts and timestamps all come from a seeded ChaCha generator and
//! the anchor, never from the clock).
//!
//! Transactions and bank lines are built *for* an intended reconciliation outcome (every one of the
//! 11 exception types at least once, a match rate between 80 % and 95 %); the recon results,
//! exception records and transaction statuses are the outcomes the spec 2.2 rules give for them.

use std::collections::{BTreeMap, HashSet};

use argon2::password_hash::SaltString;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::Role;
use crate::features::exceptions::rules::{raise_by_amount, Severity};
use crate::features::recon::model::RunCounts;
use crate::features::settlements::calc::{settle_item, BatchTotals, Commission, FeeBearer, ItemBreakdown, Terms};
use crate::ist;

pub const DEMO_PASSWORD: &str = "SettlePaisa@2025";
pub const TRANSACTIONS: usize = 747;
pub const BANK_LINES: usize = 2011;
pub const CHARGEBACK_FEE_PAISE: i64 = 5_000;

/// (email, name, role) of the demo users.
pub const DEMO_USERS: [(&str, &str, Role); 6] = [
    ("ops@settlepaisa.test", "Priya Sharma", Role::Ops),
    ("finance@settlepaisa.test", "Rahul Mehta", Role::Finance),
    ("finance2@settlepaisa.test", "Anita Desai", Role::Finance),
    ("compliance@settlepaisa.test", "Vikram Iyer", Role::Compliance),
    ("auditor@settlepaisa.test", "Meera Nair", Role::Auditor),
    ("admin@settlepaisa.test", "Arjun Rao", Role::Admin),
];

const BANKS: [(&str, &str); 5] =
    [("AXIS", "UTIB"), ("HDFC", "HDFC"), ("ICICI", "ICIC"), ("SBI", "SBIN"), ("BOB", "BARB")];
/// Payment methods with their weights in the generated traffic.
pub const METHODS: [(&str, u32); 7] =
    [("UPI", 45), ("CARD", 25), ("NETBANKING", 12), ("WALLET", 8), ("NEFT", 4), ("RTGS", 2), ("IMPS", 4)];

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    Matched,
    Tolerance,
    Rounding,
    FeeMismatch,
    AmountMismatch,
    DateOutOfWindow,
    UtrMismatch,
    FeesVariance,
    UtrMissing,
    DuplicatePg,
    DuplicateBank,
    MissingInBank,
    BankFileMissing,
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

/// Deterministic helpers around one seeded generator.
struct Gen {
    rng: ChaCha8Rng,
    used_refs: HashSet<String>,
}

impl Gen {
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    fn chance(&mut self, p_percent: u32) -> bool {
        self.rng.gen_range(0..100) < p_percent
    }

    /// A fresh reference `prefix` + `digits` random digits, never repeated within the data set.
    fn unique(&mut self, prefix: &str, digits: u32) -> String {
        loop {
            let n: u64 = self.rng.gen_range(0..10u64.pow(digits));
            let s = format!("{prefix}{n:0width$}", width = digits as usize);
            if self.used_refs.insert(s.clone()) {
                return s;
            }
        }
    }

    fn time_on(&mut self, date: NaiveDate, from_hour: u32, to_hour: u32) -> DateTime<Utc> {
        let secs = self.rng.gen_range(from_hour * 3600..to_hour * 3600);
        ist::at(date, NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or(NaiveTime::MIN))
    }

    /// `n` amounts in `[lo, hi]` summing exactly to `target`.
    fn amounts_with_sum(&mut self, n: usize, target: i64, lo: i64, hi: i64) -> Vec<i64> {
        assert!(n as i64 * lo <= target && target <= n as i64 * hi, "the target sum is reachable");
        let mean = target / n as i64;
        let spread_hi = (2 * mean - lo).min(hi);
        let mut v: Vec<i64> = (0..n).map(|_| self.rng.gen_range(lo..=spread_hi.max(lo))).collect();
        let mut diff = target - v.iter().sum::<i64>();
        let mut i = 0;
        while diff != 0 {
            let room = if diff > 0 { hi - v[i] } else { v[i] - lo };
            let step = room.min(diff.abs()).min(mean / 2 + 1);
            v[i] += step * diff.signum();
            diff -= step * diff.signum();
            i = (i + 1) % n;
        }
        v
    }
}

fn at(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    ist::at(date, NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

fn merchants(g: &mut Gen) -> Vec<Merchant> {
    let mut m = |id, name, legal_name, pan, bank: usize, rail, default_rate: &str| Merchant {
        id,
        name,
        legal_name,
        pan,
        bank_account_id: g.uuid(),
        account_number: g.unique("", 14),
        ifsc: g.unique(&format!("{}0", BANKS[bank].1), 6),
        bank_name: BANKS[bank].0,
        preferred_rail: rail,
        commission: Vec::new(),
        default_rate: dec(default_rate),
        payer_bears: Vec::new(),
        tds_rate: None,
        reserve: None,
    };
    let mut flipkart = m("MERCH_001", "Flipkart", "Flipkart Internet Pvt Ltd", "AABCF8078M", 1, "NEFT", "0.018");
    let mut amazon = m("MERCH_002", "Amazon India", "Amazon Seller Services Pvt Ltd", "AAICA3918J", 2, "RTGS", "0.015");
    let myntra = m("MERCH_003", "Myntra", "Myntra Designs Pvt Ltd", "AAECM1234K", 0, "NEFT", "0.02");
    let mut swiggy = m("MERCH_004", "Swiggy", "Bundl Technologies Pvt Ltd", "AAFCB7707D", 3, "IMPS", "0.019");
    let mut zomato = m("MERCH_005", "Zomato", "Zomato Ltd", "AADCZ2987L", 1, "NEFT", "0.021");
    let mut bigbasket =
        m("MERCH_006", "BigBasket", "Supermarket Grocery Supplies Pvt Ltd", "AAQCS4259Q", 4, "NEFT", "0.0175");
    flipkart.commission.push(("WALLET", Commission::Percent(dec("0.022"))));
    amazon.commission.push(("CARD", Commission::Percent(dec("0.022"))));
    swiggy.payer_bears.push("UPI");
    zomato.tds_rate = Some(dec("0.001"));
    bigbasket.commission.push(("UPI", Commission::FixedPaise(500)));
    bigbasket.reserve = Some((dec("0.05"), 7));
    vec![flipkart, amazon, myntra, swiggy, zomato, bigbasket]
}

fn users(g: &mut Gen) -> Vec<DemoUser> {
    DEMO_USERS
        .iter()
        .map(|&(email, full_name, role)| {
            let salt_bytes: [u8; 16] = g.rng.gen();
            let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes encode as a salt");
            let password_hash =
                crate::auth::password::hash_with_salt(DEMO_PASSWORD, &salt).expect("argon2 hashes the demo password");
            DemoUser { id: g.uuid(), email, full_name, role, password_hash }
        })
        .collect()
}

struct CbPlan {
    stage: &'static str,
    status: &'static str,
    outcome: &'static str,
}

fn chargebacks(g: &mut Gen, anchor: NaiveDate, merchants: &[Merchant], ops: Uuid) -> Vec<Chargeback> {
    let open = |stage| CbPlan { stage, status: "OPEN", outcome: "PENDING" };
    let mut plans: Vec<CbPlan> = Vec::new();
    plans.extend((0..8).map(|_| open("NEW")));
    plans.extend((0..12).map(|_| open("UNDER_REVIEW")));
    plans.extend((0..3).map(|_| open("REPRESENTMENT")));
    plans.extend((0..5).map(|_| open("PRE_ARBIT")));
    plans.extend((0..15).map(|_| CbPlan { stage: "CLOSED", status: "RECOVERED", outcome: "WON" }));
    plans.extend((0..7).map(|_| CbPlan { stage: "CLOSED", status: "WRITEOFF", outcome: "LOST" }));
    plans.extend((0..2).map(|_| CbPlan { stage: "CLOSED", status: "WRITEOFF", outcome: "PARTIAL" }));

    // Amounts: ₹100 – ₹50,000, with the sums of spec 08.
    let (lo, hi) = (10_000, 5_000_000);
    let mut amounts = g.amounts_with_sum(28, 78_327_854, lo, hi);
    amounts.extend(g.amounts_with_sum(15, 38_637_570, lo, hi));
    amounts.extend(g.amounts_with_sum(9, 25_514_269, lo, hi));

    // Evidence due, in days from the anchor, for the 28 open cases: overdue, today, tomorrow, 2–3 days, later.
    let mut due_offsets: Vec<i64> =
        vec![-6, -4, -3, -2, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 6];
    due_offsets.shuffle(&mut g.rng);

    const NETWORKS: [(&str, &str); 5] =
        [("VISA", "VCR"), ("MASTERCARD", "MCC"), ("RUPAY", "RPY"), ("PAYTM", "PTM"), ("PHONEPE", "PPE")];
    const VISA_CODES: [&str; 4] = ["10.4", "13.1", "13.3", "11.1"];

    let mut cases: Vec<Chargeback> = plans
        .iter()
        .enumerate()
        .map(|(i, plan)| {
            let (acquirer, prefix) = g.pick(&NETWORKS);
            let merchant = &merchants[i % 3];
            let reason_code = if acquirer == "MASTERCARD" { "4853" } else { g.pick(&VISA_CODES) };
            let due_days = g.rng.gen_range(7..=9);
            let (received_day, evidence_due_day, closed_day) = if plan.status == "OPEN" {
                let due = anchor + Duration::days(due_offsets[i]);
                (due - Duration::days(due_days), due, None)
            } else {
                let age = g.rng.gen_range(12..=45);
                let received = anchor - Duration::days(age);
                let closed = received + Duration::days(g.rng.gen_range(5..=(age - 1).min(25)));
                (received, received + Duration::days(due_days), Some(closed))
            };
            let received_at = g.time_on(received_day, 9, 18);
            let evidence_due_at = at(evidence_due_day, 23, 59);
            let responded = matches!(plan.stage, "REPRESENTMENT" | "PRE_ARBIT")
                || plan.outcome == "WON"
                || plan.outcome == "PARTIAL"
                || (plan.outcome == "LOST" && g.chance(40));
            let latest = at(anchor, 0, 0) - Duration::minutes(1);
            let responded_at = responded.then(|| (received_at + Duration::days(g.rng.gen_range(2..=5))).min(latest));
            let amount = amounts[i];
            Chargeback {
                id: g.uuid(),
                case_ref: String::new(),
                acquirer,
                network_case_id: g.unique(prefix, 10),
                merchant_id: merchant.id,
                merchant_name: merchant.name,
                transaction_id: None,
                txn_ref: String::new(),
                rrn: g.unique("", 12),
                utr: String::new(),
                chargeback_paise: amount,
                recovered_paise: if plan.status == "RECOVERED" { amount } else { 0 },
                written_off_paise: if plan.status == "WRITEOFF" { amount } else { 0 },
                reason_code,
                stage: plan.stage,
                status: plan.status,
                outcome: plan.outcome,
                assigned_to: (plan.stage != "NEW").then_some(ops),
                received_at,
                evidence_due_at,
                deadline_at: evidence_due_at + Duration::days(10),
                responded_at,
                closed_at: closed_day.map(|d| g.time_on(d, 10, 19)),
            }
        })
        .collect();
    cases.sort_by_key(|c| c.received_at);
    for (i, case) in cases.iter_mut().enumerate() {
        case.case_ref = format!("CB-{}-{:04}", anchor.year(), i + 1);
    }
    cases
}

fn method_for_network(network: &str) -> &'static str {
    match network {
        "PAYTM" => "WALLET",
        "PHONEPE" => "UPI",
        _ => "CARD",
    }
}

/// A weighted random payment method.
fn random_method(g: &mut Gen) -> &'static str {
    let total: u32 = METHODS.iter().map(|(_, w)| w).sum();
    let mut roll = g.rng.gen_range(0..total);
    for (method, weight) in METHODS {
        if roll < weight {
            return method;
        }
        roll -= weight;
    }
    "UPI"
}

fn random_amount(g: &mut Gen, method: &str) -> i64 {
    let rupees = match (method, g.rng.gen_range(0..100)) {
        ("RTGS", _) => g.rng.gen_range(200_000..=900_000),
        (_, 0..=59) => g.rng.gen_range(50..=5_000),
        (_, 60..=89) => g.rng.gen_range(5_000..=50_000),
        (_, 90..=97) => g.rng.gen_range(50_000..=1_00_000),
        _ => g.rng.gen_range(1_00_000..=4_00_000),
    };
    let paise = if g.chance(30) { g.rng.gen_range(1..100) } else { 0 };
    rupees * 100 + paise
}

fn utr_for(g: &mut Gen, acquirer: &str) -> String {
    let prefix = BANKS.iter().find(|(b, _)| *b == acquirer).map(|(_, p)| *p).unwrap_or("UTIB");
    g.unique(&format!("{prefix}N"), 11)
}

/// A bank statement line to append.
struct LineSpec {
    bank: &'static str,
    amount: i64,
    direction: &'static str,
    date: NaiveDate,
    cycle: NaiveDate,
    utr: Option<String>,
    remarks: String,
}

/// Append a line (ids are 1-based positions) and return its index.
fn push_line(lines: &mut Vec<BankLine>, g: &mut Gen, spec: LineSpec) -> usize {
    lines.push(BankLine {
        id: lines.len() as i64 + 1,
        bank_ref: g.unique(&format!("{}{}", spec.bank, spec.cycle.format("%y%m%d")), 7),
        bank_name: spec.bank,
        amount_paise: spec.amount,
        direction: spec.direction,
        txn_date: spec.date,
        value_date: spec.date + Duration::days(i64::from(g.chance(30))),
        utr: spec.utr,
        remarks: spec.remarks,
        cycle_date: spec.cycle,
    });
    lines.len() - 1
}

pub fn generate(anchor: NaiveDate) -> DemoData {
    let seed = 0x5E77_1E9A_u64 ^ (anchor.num_days_from_ce() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed), used_refs: HashSet::new() };

    let users = users(&mut g);
    let user = |email: &str| users.iter().find(|u| u.email == email).map(|u| u.id).unwrap_or_default();
    let (ops, finance, finance2) =
        (user("ops@settlepaisa.test"), user("finance@settlepaisa.test"), user("finance2@settlepaisa.test"));
    let merchants = merchants(&mut g);
    let merchant = |id: &str| merchants.iter().find(|m| m.id == id).expect("demo merchant");

    // The 30 cycle days before the anchor; the newest has no bank file yet.
    let first_day = anchor - Duration::days(30);
    let days: Vec<NaiveDate> = (0..30).map(|i| first_day + Duration::days(i)).collect();
    let missing_day = anchor - Duration::days(1);

    let mut chargebacks = chargebacks(&mut g, anchor, &merchants, ops);

    // Transactions per day: 20–29, adjusted to 747 in all.
    let mut per_day: Vec<usize> = days.iter().map(|_| g.rng.gen_range(20..30)).collect();
    while per_day.iter().sum::<usize>() != TRANSACTIONS {
        let i = g.rng.gen_range(0..per_day.len());
        if per_day.iter().sum::<usize>() > TRANSACTIONS {
            per_day[i] -= 1;
        } else {
            per_day[i] += 1;
        }
    }

    // Chargebacks whose payment falls in the window are linked to a transaction of that day.
    let mut linked: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (i, cb) in chargebacks.iter().enumerate() {
        let txn_day = ist::date_of(cb.received_at) - Duration::days(g.rng.gen_range(2..=6));
        if txn_day >= first_day && txn_day < missing_day {
            linked.entry(txn_day).or_default().push(i);
        }
    }

    let mut transactions: Vec<Txn> = Vec::with_capacity(TRANSACTIONS);
    let mut plans: Vec<Plan> = Vec::with_capacity(TRANSACTIONS);
    let mut free: Vec<usize> = Vec::new(); // transactions that may take a special outcome
    for (d, &day) in days.iter().enumerate() {
        let links = linked.get(&day).cloned().unwrap_or_default();
        for k in 0..per_day[d] {
            let id = transactions.len() as i64 + 1;
            let (merchant_id, method, amount, cb) = match links.get(k) {
                Some(&ci) => {
                    let cb = &chargebacks[ci];
                    (cb.merchant_id, method_for_network(cb.acquirer), cb.chargeback_paise, Some(ci))
                }
                // One large RTGS payment two days back, so a fresh batch always needs approval.
                None if day == anchor - Duration::days(2) && k == links.len() => {
                    ("MERCH_002", "RTGS", g.rng.gen_range(1_50_000_00..=4_00_000_00), None)
                }
                None => {
                    let m = merchants[g.rng.gen_range(0..merchants.len())].id;
                    let method = random_method(&mut g);
                    (m, method, random_amount(&mut g, method), None)
                }
            };
            let acquirer = g.pick(&BANKS).0;
            let txn = Txn {
                id,
                txn_id: format!("TXN{}{:05}", day.format("%Y%m%d"), k + 1),
                merchant_id,
                amount_paise: amount,
                txn_at: g.time_on(day, 8, 22),
                cycle_date: day,
                payment_method: method,
                acquirer,
                utr: Some(utr_for(&mut g, acquirer)),
                rrn: Some(g.unique("", 12)),
                bank_fee_paise: None,
                expected_settlement_paise: None,
                status: "PENDING",
            };
            if let Some(ci) = cb {
                let cbm = &mut chargebacks[ci];
                cbm.transaction_id = Some(id);
                cbm.txn_ref = txn.txn_id.clone();
                cbm.utr = txn.utr.clone().unwrap_or_default();
                if let Some(rrn) = &txn.rrn {
                    cbm.rrn = rrn.clone();
                }
            }
            plans.push(if day == missing_day { Plan::BankFileMissing } else { Plan::Matched });
            let kept_matched = cb.is_some() || (day == anchor - Duration::days(2) && k == links.len());
            if day != missing_day && !kept_matched {
                free.push(transactions.len());
            }
            transactions.push(txn);
        }
    }
    // Chargebacks without a transaction in the window refer to older payments.
    for cb in chargebacks.iter_mut().filter(|c| c.transaction_id.is_none()) {
        let day = ist::date_of(cb.received_at) - Duration::days(4);
        cb.txn_ref = format!("TXN{}{:05}", day.format("%Y%m%d"), g.rng.gen_range(50_000..99_999));
        cb.utr = utr_for(&mut g, "AXIS");
    }

    // Special outcomes on randomly chosen free transactions.
    free.shuffle(&mut g.rng);
    let mut take = |n: usize, plan: Plan, only: &dyn Fn(&Txn) -> bool| {
        let mut chosen = Vec::new();
        let mut i = 0;
        while chosen.len() < n && i < free.len() {
            if only(&transactions[free[i]]) {
                chosen.push(free.remove(i));
            } else {
                i += 1;
            }
        }
        for &t in &chosen {
            plans[t] = plan;
        }
        chosen
    };
    let any = |_: &Txn| true;
    let old_enough = |t: &Txn| t.cycle_date <= anchor - Duration::days(6);
    take(10, Plan::Tolerance, &any);
    take(5, Plan::Rounding, &any);
    take(6, Plan::FeeMismatch, &any);
    take(8, Plan::AmountMismatch, &any);
    take(5, Plan::DateOutOfWindow, &old_enough);
    take(4, Plan::UtrMismatch, &any);
    take(3, Plan::FeesVariance, &any);
    let utr_missing = take(4, Plan::UtrMissing, &any);
    // Duplicate UTRs come in pairs within one cycle: the engine reconciles a cycle at a time.
    let mut dup_pg = Vec::new();
    for first in take(2, Plan::DuplicatePg, &any) {
        let cycle = transactions[first].cycle_date;
        dup_pg.push(first);
        dup_pg.extend(take(1, Plan::DuplicatePg, &|t: &Txn| t.cycle_date == cycle));
    }
    take(2, Plan::DuplicateBank, &any);
    take(30, Plan::MissingInBank, &any);
    for (k, &t) in utr_missing.iter().enumerate() {
        transactions[t].utr =
            [None, Some("N/A".to_string()), Some("NULL".to_string()), Some("  ".to_string())][k % 4].clone();
    }
    for pair in dup_pg.chunks(2) {
        if let [a, b] = pair {
            transactions[*b].utr = transactions[*a].utr.clone();
        }
    }

    // Bank credit lines for each transaction's outcome, then bank-only credits.
    let mut bank_lines: Vec<BankLine> = Vec::new();
    let mut line_for_txn: Vec<Option<usize>> = vec![None; transactions.len()];
    let mut dup_lines: Vec<usize> = Vec::new();
    for (t, txn) in transactions.iter_mut().enumerate() {
        let plan = plans[t];
        let day = txn.cycle_date;
        let (amount, date, utr) = match plan {
            Plan::Matched => (txn.amount_paise, day, txn.utr.clone()),
            Plan::Tolerance => (txn.amount_paise - g.rng.gen_range(2..100), day, txn.utr.clone()),
            Plan::Rounding => (txn.amount_paise - 1, day, txn.utr.clone()),
            Plan::FeeMismatch => (txn.amount_paise - g.rng.gen_range(200..=500), day, txn.utr.clone()),
            Plan::AmountMismatch => (txn.amount_paise - (txn.amount_paise / 10).max(1_000), day, txn.utr.clone()),
            Plan::DateOutOfWindow => (txn.amount_paise, day + Duration::days(g.rng.gen_range(3..=5)), txn.utr.clone()),
            Plan::UtrMismatch => {
                // The gateway recorded a wrong UTR; the bank's UTR is the PG row's RRN.
                let bank_utr = txn.rrn.clone();
                txn.utr = Some(utr_for(&mut g, txn.acquirer));
                (txn.amount_paise, day, bank_utr)
            }
            Plan::FeesVariance => {
                let fee = (txn.amount_paise / 200).max(100);
                txn.bank_fee_paise = Some(fee);
                txn.expected_settlement_paise = Some(txn.amount_paise - fee - 300);
                (txn.amount_paise, day, txn.utr.clone())
            }
            Plan::DuplicateBank => {
                for _ in 0..2 {
                    let remarks = format!("NEFT CR {}", txn.utr.clone().unwrap_or_default());
                    let l = push_line(
                        &mut bank_lines,
                        &mut g,
                        LineSpec {
                            bank: txn.acquirer,
                            amount: txn.amount_paise,
                            direction: "CREDIT",
                            date: day,
                            cycle: day,
                            utr: txn.utr.clone(),
                            remarks,
                        },
                    );
                    dup_lines.push(l);
                }
                continue;
            }
            Plan::UtrMissing | Plan::DuplicatePg | Plan::MissingInBank | Plan::BankFileMissing => continue,
        };
        let remarks = format!("{} CR {}", txn.payment_method, utr.clone().unwrap_or_default());
        line_for_txn[t] = Some(push_line(
            &mut bank_lines,
            &mut g,
            LineSpec { bank: txn.acquirer, amount, direction: "CREDIT", date, cycle: day, utr, remarks },
        ));
    }
    let bank_days: Vec<NaiveDate> = days.iter().copied().filter(|d| *d != missing_day).collect();
    let mut bank_only: Vec<usize> = Vec::new();
    for _ in 0..25 {
        let day = g.pick(&bank_days);
        let bank = g.pick(&BANKS).0;
        let amount = random_amount(&mut g, "UPI");
        let utr = utr_for(&mut g, bank);
        let remarks = format!("IMPS CR {utr} UNKNOWN REMITTER");
        bank_only.push(push_line(
            &mut bank_lines,
            &mut g,
            LineSpec { bank, amount, direction: "CREDIT", date: day, cycle: day, utr: Some(utr), remarks },
        ));
    }

    // Outcomes: recon results, exception records and runs, one run per cycle day.
    let runs: Vec<Run> = days
        .iter()
        .map(|&day| {
            // End-of-day run, so nothing is dated after the anchor day's start.
            let queued_at = at(day, 23, 0);
            Run {
                id: g.uuid(),
                cycle_date: day,
                counts: RunCounts::default(),
                queued_at,
                finished_at: queued_at + Duration::seconds(g.rng.gen_range(3..40)),
            }
        })
        .collect();
    let mut runs = runs;
    let run_index = |day: NaiveDate| (day - first_day).num_days() as usize;
    let mut results: Vec<ResultRow> = Vec::new();
    let mut exceptions: Vec<Exception> = Vec::new();
    let mut exception_seq: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    let mut new_exception =
        |run: &Run, reason: &'static str, default: Severity, txn: Option<&Txn>, line: Option<&BankLine>| {
            let seq = exception_seq.entry(run.cycle_date).or_insert(0);
            *seq += 1;
            let pg = txn.map(|t| t.amount_paise);
            let bank = line.map(|l| l.amount_paise);
            let amount = pg.or(bank).unwrap_or(0);
            Exception {
                id: format!("EXC-{}-{:06}", run.cycle_date.format("%Y%m%d"), seq),
                run_id: run.id,
                reason_code: reason,
                severity: raise_by_amount(default, amount),
                status: "open",
                assignee: None,
                tags: Vec::new(),
                snoozed_until: None,
                pg_amount_paise: pg,
                bank_amount_paise: bank,
                delta_paise: pg.zip(bank).map(|(p, b)| p - b),
                merchant_id: txn.map(|t| t.merchant_id),
                acquirer: txn.map(|t| t.acquirer).or(line.map(|l| l.bank_name)).unwrap_or("AXIS"),
                cycle_date: run.cycle_date,
                utr: txn.and_then(|t| t.utr.clone()).or(line.and_then(|l| l.utr.clone())),
                transaction_id: txn.map(|t| t.id),
                bank_line_id: line.map(|l| l.id),
                resolution: None,
                created_at: run.finished_at,
                updated_at: run.finished_at,
                resolved_at: None,
            }
        };
    for (t, txn) in transactions.iter_mut().enumerate() {
        let run = &mut runs[run_index(txn.cycle_date)];
        run.counts.pg_rows += 1;
        let line = line_for_txn[t].map(|l| &bank_lines[l]);
        let (class, reason, severity) = match plans[t] {
            Plan::Matched | Plan::Tolerance => ("MATCHED", None, Severity::Low),
            Plan::Rounding => ("EXCEPTION", Some("ROUNDING_ERROR"), Severity::Medium),
            Plan::FeeMismatch => ("EXCEPTION", Some("FEE_MISMATCH"), Severity::Medium),
            Plan::AmountMismatch => ("EXCEPTION", Some("AMOUNT_MISMATCH"), Severity::High),
            Plan::DateOutOfWindow => ("EXCEPTION", Some("DATE_OUT_OF_WINDOW"), Severity::High),
            Plan::UtrMismatch => ("EXCEPTION", Some("UTR_MISMATCH"), Severity::High),
            Plan::FeesVariance => ("EXCEPTION", Some("FEES_VARIANCE"), Severity::High),
            Plan::UtrMissing => ("EXCEPTION", Some("UTR_MISSING_OR_INVALID"), Severity::Critical),
            Plan::DuplicatePg => ("EXCEPTION", Some("DUPLICATE_PG_ENTRY"), Severity::Critical),
            Plan::BankFileMissing => ("EXCEPTION", Some("BANK_FILE_MISSING"), Severity::Critical),
            Plan::DuplicateBank | Plan::MissingInBank => {
                ("UNMATCHED_PG", Some("PG_TXN_MISSING_IN_BANK"), Severity::High)
            }
        };
        match class {
            "MATCHED" => run.counts.matched += 1,
            "EXCEPTION" => run.counts.exceptions += 1,
            _ => run.counts.unmatched_pg += 1,
        }
        let delta = line.map(|l| txn.amount_paise - l.amount_paise);
        let score = match plans[t] {
            Plan::Matched => Some(100),
            Plan::Tolerance => Some(90),
            _ => None,
        };
        results.push(ResultRow {
            run_id: run.id,
            side: "pg",
            transaction_id: Some(txn.id),
            bank_line_id: line.map(|l| l.id),
            class,
            reason_code: reason,
            pg_amount_paise: Some(txn.amount_paise),
            bank_amount_paise: line.map(|l| l.amount_paise),
            delta_paise: delta,
            match_score: score,
        });
        if let Some(l) = line {
            results.push(ResultRow {
                run_id: run.id,
                side: "bank",
                transaction_id: Some(txn.id),
                bank_line_id: Some(l.id),
                class,
                reason_code: reason,
                pg_amount_paise: Some(txn.amount_paise),
                bank_amount_paise: Some(l.amount_paise),
                delta_paise: delta,
                match_score: score,
            });
        }
        txn.status = if class == "MATCHED" { "RECONCILED" } else { "EXCEPTION" };
        if let Some(reason) = reason {
            let run = runs[run_index(txn.cycle_date)].clone();
            exceptions.push(new_exception(&run, reason, severity, Some(txn), line));
        }
    }
    for (lines, class, reason) in
        [(&dup_lines, "EXCEPTION", "DUPLICATE_BANK_ENTRY"), (&bank_only, "UNMATCHED_BANK", "BANK_TXN_MISSING_IN_PG")]
    {
        for &l in lines.iter() {
            let line = &bank_lines[l];
            let run = &mut runs[run_index(line.cycle_date)];
            if class == "UNMATCHED_BANK" {
                run.counts.unmatched_bank += 1;
            }
            results.push(ResultRow {
                run_id: run.id,
                side: "bank",
                transaction_id: None,
                bank_line_id: Some(line.id),
                class,
                reason_code: Some(reason),
                pg_amount_paise: None,
                bank_amount_paise: Some(line.amount_paise),
                delta_paise: None,
                match_score: None,
            });
            let default = if reason == "DUPLICATE_BANK_ENTRY" { Severity::Critical } else { Severity::High };
            let run = run.clone();
            exceptions.push(new_exception(&run, reason, default, None, Some(line)));
        }
    }
    for line in bank_lines.iter().filter(|l| l.direction == "CREDIT") {
        runs[run_index(line.cycle_date)].counts.bank_rows += 1;
    }
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));

    // Work-queue states: older exceptions mostly worked, newer ones mostly open.
    let mut exception_actions = Vec::new();
    let mut comments = Vec::new();
    const NOTES: [&str; 4] = [
        "Asked the bank's settlement desk to confirm the credit.",
        "Gateway confirms the amount; booking the difference as an adjustment.",
        "Matched manually against the statement of the following day.",
        "Merchant informed; awaiting their reconciliation sheet.",
    ];
    // Nothing that has happened is dated after the start of the anchor day.
    let latest = at(anchor, 0, 0) - Duration::minutes(1);
    // Statuses cycle through fixed patterns, so every status occurs whatever the anchor date.
    const OLD: [&str; 10] = [
        "resolved",
        "resolved",
        "wont_fix",
        "resolved",
        "investigating",
        "resolved",
        "open",
        "resolved",
        "resolved",
        "resolved",
    ];
    const RECENT: [&str; 10] = [
        "resolved",
        "investigating",
        "open",
        "snoozed",
        "investigating",
        "escalated",
        "open",
        "resolved",
        "wont_fix",
        "open",
    ];
    let (mut old_i, mut recent_i) = (0, 0);
    for e in exceptions.iter_mut() {
        let age = (anchor - e.cycle_date).num_days();
        e.status = if e.reason_code == "BANK_FILE_MISSING" {
            "open"
        } else if age >= 12 {
            old_i += 1;
            OLD[(old_i - 1) % OLD.len()]
        } else {
            recent_i += 1;
            RECENT[(recent_i - 1) % RECENT.len()]
        };
        let worked = e.status != "open" || g.chance(30);
        if !worked {
            continue;
        }
        e.assignee = Some(ops);
        let mut t = (e.created_at + Duration::minutes(g.rng.gen_range(30..180))).min(latest);
        let assigned = json!({ "assignee": "ops@settlepaisa.test" });
        exception_actions.push(ExceptionAction {
            exception_id: e.id.clone(),
            action: "assign",
            actor_id: ops,
            acted_at: t,
            before: json!({ "assignee": null }),
            after: assigned,
            note: None,
        });
        if e.status == "open" {
            continue;
        }
        t = (t + Duration::minutes(g.rng.gen_range(10..120))).min(latest);
        let (action, after, note) = match e.status {
            "investigating" => ("investigate", json!({ "status": "investigating" }), None),
            "snoozed" => {
                let until = at(anchor + Duration::days(g.rng.gen_range(1..=3)), 10, 0);
                e.snoozed_until = Some(until);
                (
                    "snooze",
                    json!({ "status": "snoozed", "until": until.to_rfc3339() }),
                    Some("Waiting for the next bank statement."),
                )
            }
            "escalated" => ("escalate", json!({ "status": "escalated" }), Some("Needs the bank relationship manager.")),
            status => {
                let resolution = if status == "wont_fix" {
                    "WONT_FIX"
                } else {
                    match e.reason_code {
                        "ROUNDING_ERROR" | "FEE_MISMATCH" | "AMOUNT_MISMATCH" | "FEES_VARIANCE" => {
                            "ACCOUNTING_ADJUSTMENT"
                        }
                        "DATE_OUT_OF_WINDOW" | "UTR_MISMATCH" | "UTR_MISSING_OR_INVALID" => "MANUAL_MATCH",
                        "DUPLICATE_PG_ENTRY" | "DUPLICATE_BANK_ENTRY" => "DUPLICATE",
                        "PG_TXN_MISSING_IN_BANK" => "WRITE_OFF",
                        _ => "FALSE_POSITIVE",
                    }
                };
                e.resolution = Some(resolution);
                e.resolved_at = Some(t);
                ("resolve", json!({ "status": status, "resolution": resolution }), Some(g.pick(&NOTES)))
            }
        };
        exception_actions.push(ExceptionAction {
            exception_id: e.id.clone(),
            action,
            actor_id: ops,
            acted_at: t,
            before: json!({ "status": "open" }),
            after,
            note: note.map(str::to_string),
        });
        e.updated_at = t;
        if g.chance(35) {
            // A comment is kept as its text and, like every action, in the exception's action log.
            let body = g.pick(&NOTES);
            comments.push(Comment { exception_id: e.id.clone(), author_id: ops, body, created_at: t });
            exception_actions.push(ExceptionAction {
                exception_id: e.id.clone(),
                action: "comment",
                actor_id: ops,
                acted_at: t,
                before: Value::Null,
                after: Value::Null,
                note: Some(body.to_string()),
            });
        }
        if e.pg_amount_paise.unwrap_or(0) >= 100_000_00 {
            e.tags.push("high-value".into());
        }
        if matches!(e.status, "snoozed" | "escalated") {
            e.tags.push("bank-followup".into());
        }
    }
    // Resolved as matched or adjusted → the transaction is reconciled (eligible for settlement).
    for e in &exceptions {
        if let (Some(tid), Some("MANUAL_MATCH" | "ACCOUNTING_ADJUSTMENT")) = (e.transaction_id, e.resolution) {
            transactions[(tid - 1) as usize].status = "RECONCILED";
        }
    }

    // Settlement batches: one per merchant per cycle day up to two days ago, status by age.
    let mut batches: Vec<Batch> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    let mut reserve_entries: Vec<ReserveEntry> = Vec::new();
    let mut approvals: Vec<Approval> = Vec::new();
    let mut transfers: Vec<Transfer> = Vec::new();
    let mut pending_holds: Vec<(i64, NaiveDate, i64)> = Vec::new(); // (entry id, release_on, amount)
    const FAILURES: [&str; 3] =
        ["Beneficiary account closed", "Invalid IFSC for the beneficiary bank", "NEFT return: account does not exist"];
    for &day in days.iter().filter(|d| **d <= anchor - Duration::days(2)) {
        let age = (anchor - day).num_days();
        for m in &merchants {
            let members: Vec<usize> = transactions
                .iter()
                .enumerate()
                .filter(|(_, t)| t.cycle_date == day && t.merchant_id == m.id && t.status == "RECONCILED")
                .map(|(i, _)| i)
                .collect();
            if members.is_empty() {
                continue;
            }
            let batch_id = g.uuid();
            let breakdowns: Vec<(usize, ItemBreakdown, FeeBearer)> = members
                .iter()
                .map(|&i| {
                    let terms = m.terms(transactions[i].payment_method);
                    (i, settle_item(transactions[i].amount_paise, &terms), terms.fee_bearer)
                })
                .collect();
            let created_at = at(day + Duration::days(1), 11, 0);
            let mut released = 0;
            if m.reserve.is_some() {
                let (due, keep): (Vec<_>, Vec<_>) = pending_holds.iter().partition(|(_, on, _)| *on <= day);
                for (hold_id, _, amount) in due {
                    released += amount;
                    reserve_entries.push(ReserveEntry {
                        id: reserve_entries.len() as i64 + 1,
                        merchant_id: m.id,
                        batch_id,
                        kind: "RELEASE",
                        amount_paise: amount,
                        release_on: None,
                        released_entry_id: Some(hold_id),
                        created_at,
                    });
                }
                pending_holds = keep;
            }
            let only: Vec<ItemBreakdown> = breakdowns.iter().map(|(_, b, _)| *b).collect();
            let totals = BatchTotals::from_items(&only, 0, released);
            if let Some((_, hold_days)) = m.reserve {
                if totals.reserve > 0 {
                    let id = reserve_entries.len() as i64 + 1;
                    let release_on = day + Duration::days(hold_days);
                    reserve_entries.push(ReserveEntry {
                        id,
                        merchant_id: m.id,
                        batch_id,
                        kind: "HOLD",
                        amount_paise: totals.reserve,
                        release_on: Some(release_on),
                        released_entry_id: None,
                        created_at,
                    });
                    pending_holds.push((id, release_on, totals.reserve));
                }
            }
            let needs_approval = totals.net > 100_000_00;
            let status: &'static str = match age {
                8.. => {
                    if batches.len() % 11 == 5 {
                        "FAILED"
                    } else {
                        "PAID"
                    }
                }
                5..=7 => "SENT",
                3..=4 => match batches.iter().filter(|b| (anchor - b.cycle_date).num_days() <= 4).count() {
                    0 => "ON_HOLD",
                    1 => "REJECTED",
                    2 | 3 if needs_approval => "PENDING_APPROVAL",
                    _ => "APPROVED",
                },
                _ => {
                    if needs_approval {
                        "PENDING_APPROVAL"
                    } else {
                        "CALCULATED"
                    }
                }
            };
            let rail = if totals.net >= 200_000_00 { "RTGS" } else { m.preferred_rail };
            let approved = matches!(status, "APPROVED" | "SENT" | "PAID" | "FAILED");
            let approved_at = approved.then(|| created_at + Duration::hours(if needs_approval { 3 } else { 0 }));
            let approved_by = (approved && needs_approval).then_some(finance2);
            if approved && needs_approval {
                approvals.push(Approval {
                    batch_id,
                    decided_by: finance2,
                    decision: "APPROVED",
                    note: None,
                    decided_at: approved_at.unwrap_or(created_at),
                });
            }
            if matches!(status, "REJECTED" | "ON_HOLD") {
                approvals.push(Approval {
                    batch_id,
                    decided_by: finance2,
                    decision: status,
                    note: Some(if status == "REJECTED" {
                        "Commission rate disputed by the merchant; recalculate after the rate card update."
                    } else {
                        "Merchant KYC re-verification pending."
                    }),
                    decided_at: created_at + Duration::hours(2),
                });
            }
            let sent_at = matches!(status, "SENT" | "PAID" | "FAILED").then(|| at(day + Duration::days(2), 10, 0));
            let paid_at = (status == "PAID").then(|| at(day + Duration::days(2), 14, 0));
            let payout_utr = (status == "PAID").then(|| utr_for(&mut g, m.bank_name));
            let failure_reason = (status == "FAILED").then(|| g.pick(&FAILURES));
            if let Some(sent) = sent_at {
                transfers.push(Transfer {
                    batch_id,
                    rail,
                    amount_paise: totals.net,
                    status: match status {
                        "PAID" => "PAID",
                        "FAILED" => "FAILED",
                        _ => "SENT",
                    },
                    utr: payout_utr.clone(),
                    bank_line_id: None,
                    verification: if status == "PAID" { "VERIFIED" } else { "UNVERIFIED" },
                    failure_reason,
                    initiated_at: sent,
                    completed_at: paid_at.or((status == "FAILED").then(|| sent + Duration::hours(6))),
                });
            }
            for (i, breakdown, bearer) in breakdowns {
                transactions[i].status = if status == "PAID" { "PAID" } else { "SETTLED" };
                items.push(Item { batch_id, transaction_id: transactions[i].id, breakdown, fee_bearer: bearer });
            }
            batches.push(Batch {
                id: batch_id,
                batch_ref: format!("STL-{}-{}", day.format("%Y%m%d"), m.id),
                merchant_id: m.id,
                cycle_date: day,
                status,
                totals,
                rail,
                bank_account_id: m.bank_account_id,
                created_by: finance,
                created_at,
                approved_by,
                approved_at,
                sent_at,
                paid_at,
                payout_utr,
                failure_reason,
            });
        }
    }

    // DEBIT lines: a payout per paid batch (verifying it), then bank charges up to 2,011 lines.
    for b in batches.iter().filter(|b| b.status == "PAID") {
        let paid_day = ist::date_of(b.paid_at.unwrap_or(b.created_at));
        let bank = merchant(b.merchant_id).bank_name;
        let remarks = format!("{} DR {} {}", b.rail, b.batch_ref, merchant(b.merchant_id).name.to_uppercase());
        let l = push_line(
            &mut bank_lines,
            &mut g,
            LineSpec {
                bank,
                amount: b.totals.net,
                direction: "DEBIT",
                date: paid_day,
                cycle: paid_day,
                utr: b.payout_utr.clone(),
                remarks,
            },
        );
        if let Some(t) = transfers.iter_mut().find(|t| t.batch_id == b.id) {
            t.bank_line_id = Some(bank_lines[l].id);
        }
    }
    const CHARGES: [&str; 5] =
        ["NEFT CHARGES", "GST ON CHARGES", "IMPS CHARGES", "SMS ALERT CHARGES", "ACCOUNT MAINTENANCE FEE"];
    while bank_lines.len() < BANK_LINES {
        let day = g.pick(&bank_days);
        let bank = g.pick(&BANKS).0;
        let amount = g.rng.gen_range(1_180..=59_000);
        let remarks = g.pick(&CHARGES).to_string();
        push_line(
            &mut bank_lines,
            &mut g,
            LineSpec { bank, amount, direction: "DEBIT", date: day, cycle: day, utr: None, remarks },
        );
    }
    assert_eq!(bank_lines.len(), BANK_LINES, "credits and payouts fit within the 2,011 bank lines");

    // Chargeback audit trail and recovery actions for lost cases.
    let mut chargeback_audit = Vec::new();
    let mut recoveries = Vec::new();
    for cb in &chargebacks {
        chargeback_audit.push(ChargebackAudit {
            chargeback_id: cb.id,
            action: "created",
            actor_id: None,
            actor_role: "system",
            before: None,
            after: json!({ "stage": "NEW", "status": "OPEN", "outcome": "PENDING", "source": "acquirer file" }),
            occurred_at: cb.received_at,
        });
        if let Some(assignee) = cb.assigned_to {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "assigned",
                actor_id: Some(assignee),
                actor_role: "sp-ops",
                before: Some(json!({ "assignedTo": null })),
                after: json!({ "assignedTo": "ops@settlepaisa.test" }),
                occurred_at: cb.received_at + Duration::hours(2),
            });
        }
        if let Some(responded) = cb.responded_at {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "stage_changed",
                actor_id: Some(ops),
                actor_role: "sp-ops",
                before: Some(json!({ "stage": "UNDER_REVIEW" })),
                after: json!({ "stage": "REPRESENTMENT" }),
                occurred_at: responded,
            });
        }
        if let Some(closed) = cb.closed_at {
            chargeback_audit.push(ChargebackAudit {
                chargeback_id: cb.id,
                action: "closed",
                actor_id: Some(ops),
                actor_role: "sp-ops",
                before: Some(json!({
                    "stage": if cb.responded_at.is_some() { "REPRESENTMENT" } else { "UNDER_REVIEW" },
                    "status": "OPEN",
                    "outcome": "PENDING"
                })),
                after: json!({ "stage": cb.stage, "status": cb.status, "outcome": cb.outcome }),
                occurred_at: closed,
            });
            if cb.status == "WRITEOFF" {
                recoveries.push(Recovery {
                    id: g.uuid(),
                    chargeback_id: cb.id,
                    merchant_id: cb.merchant_id,
                    amount_paise: cb.chargeback_paise,
                    created_at: closed,
                });
            }
        }
    }

    // The AXIS SFTP connector's daily runs; the newest cycle's file has not arrived.
    let connector_id = g.uuid();
    let connector_runs = days
        .iter()
        .map(|&day| {
            let started_at = at(day, 22, 30);
            let rows = bank_lines.iter().filter(|l| l.cycle_date == day).count() as i32;
            let missing = day == missing_day;
            ConnectorRun {
                id: g.uuid(),
                cycle_date: day,
                status: if missing { "FAILED" } else { "SUCCEEDED" },
                files_seen: i32::from(!missing),
                files_ingested: i32::from(!missing),
                rows_ingested: if missing { 0 } else { rows },
                error: missing.then(|| {
                    format!("No file matching AXIS_SETTLE_{}_*.csv in /outgoing/settlement", day.format("%Y-%m-%d"))
                }),
                started_at,
                finished_at: started_at + Duration::seconds(g.rng.gen_range(4..30)),
            }
        })
        .collect();

    DemoData {
        anchor,
        users,
        merchants,
        transactions,
        bank_lines,
        runs,
        results,
        exceptions,
        exception_actions,
        comments,
        batches,
        items,
        reserve_entries,
        approvals,
        transfers,
        chargebacks,
        chargeback_audit,
        recoveries,
        connector_id,
        connector_runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn same_anchor_same_data() {
        assert_eq!(generate(anchor()), generate(anchor()));
        assert_ne!(generate(anchor()).transactions, generate(anchor() + Duration::days(1)).transactions);
    }

    #[test]
    fn fixed_counts() {
        let d = generate(anchor());
        assert_eq!(d.transactions.len(), TRANSACTIONS);
        assert_eq!(d.bank_lines.len(), BANK_LINES);
        assert_eq!(d.chargebacks.len(), 52);
    }

    #[test]
    fn every_exception_type_occurs_and_match_rate_is_in_range() {
        let d = generate(anchor());
        let reasons: HashSet<&str> = d.exceptions.iter().map(|e| e.reason_code).collect();
        for code in [
            "BANK_FILE_MISSING",
            "UTR_MISSING_OR_INVALID",
            "DUPLICATE_PG_ENTRY",
            "DUPLICATE_BANK_ENTRY",
            "DATE_OUT_OF_WINDOW",
            "UTR_MISMATCH",
            "AMOUNT_MISMATCH",
            "FEE_MISMATCH",
            "ROUNDING_ERROR",
            "PG_TXN_MISSING_IN_BANK",
            "BANK_TXN_MISSING_IN_PG",
            "FEES_VARIANCE",
        ] {
            assert!(reasons.contains(code), "{code} occurs");
        }
        let matched = d.results.iter().filter(|r| r.side == "pg" && r.class == "MATCHED").count();
        let rate_permille = matched * 1000 / TRANSACTIONS;
        assert!((800..=950).contains(&rate_permille), "match rate {rate_permille}‰");
    }

    #[test]
    fn run_counts_conserve() {
        let d = generate(anchor());
        for r in &d.runs {
            let c = &r.counts;
            assert_eq!(c.matched + c.exceptions + c.unmatched_pg, c.pg_rows, "{}", r.cycle_date);
        }
        assert_eq!(d.runs.iter().map(|r| r.counts.pg_rows as usize).sum::<usize>(), TRANSACTIONS);
    }

    #[test]
    fn every_batch_balances_and_every_status_occurs() {
        let d = generate(anchor());
        assert!(d.batches.iter().all(|b| b.totals.balances()));
        let statuses: HashSet<&str> = d.batches.iter().map(|b| b.status).collect();
        for s in ["CALCULATED", "PENDING_APPROVAL", "APPROVED", "SENT", "PAID", "REJECTED", "ON_HOLD", "FAILED"] {
            assert!(statuses.contains(s), "batch status {s} occurs");
        }
        assert!(d.reserve_entries.iter().any(|e| e.kind == "RELEASE"));
    }

    #[test]
    fn nothing_that_happened_is_dated_after_the_anchor_day_starts() {
        let d = generate(anchor());
        let start = ist::start_of_day(anchor());
        let mut past: Vec<(&str, DateTime<Utc>)> = Vec::new();
        past.extend(d.transactions.iter().map(|t| ("txn", t.txn_at)));
        past.extend(d.runs.iter().map(|r| ("run", r.finished_at)));
        past.extend(
            d.exceptions
                .iter()
                .flat_map(|e| [Some(e.created_at), Some(e.updated_at), e.resolved_at])
                .flatten()
                .map(|t| ("exception", t)),
        );
        past.extend(d.exception_actions.iter().map(|a| ("action", a.acted_at)));
        past.extend(
            d.batches
                .iter()
                .flat_map(|b| [Some(b.created_at), b.approved_at, b.sent_at, b.paid_at])
                .flatten()
                .map(|t| ("batch", t)),
        );
        past.extend(
            d.chargebacks
                .iter()
                .flat_map(|c| [Some(c.received_at), c.responded_at, c.closed_at])
                .flatten()
                .map(|t| ("chargeback", t)),
        );
        past.extend(d.chargeback_audit.iter().map(|a| ("chargeback audit", a.occurred_at)));
        past.extend(d.connector_runs.iter().map(|r| ("connector run", r.finished_at)));
        for (what, at) in past {
            assert!(at < start, "{what} at {at} is after the anchor day starts");
        }
    }

    #[test]
    fn amounts_with_sum_is_exact_and_bounded() {
        let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(7), used_refs: HashSet::new() };
        let v = g.amounts_with_sum(28, 78_327_854, 10_000, 5_000_000);
        assert_eq!(v.iter().sum::<i64>(), 78_327_854);
        assert!(v.iter().all(|a| (10_000..=5_000_000).contains(a)));
    }
}
