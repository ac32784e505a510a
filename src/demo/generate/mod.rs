//! The demo data set of spec 08, generated purely from the anchor date: the same anchor gives the
//! same data, byte for byte (ids, salts and timestamps all come from a seeded ChaCha generator and
//! the anchor, never from the clock).
//!
//! Transactions and bank lines are built *for* an intended reconciliation outcome (every one of the
//! 11 exception types at least once, a match rate between 80 % and 95 %); the recon results,
//! exception records and transaction statuses are the outcomes the spec 2.2 rules give for them.
//!
//! One module per part of the history, called by [`generate`] in the order the generator's draws
//! are made (reordering the calls changes every figure after them): `parties` (users, merchants),
//! `disputes` (chargebacks), `payments` (transactions and their planned outcomes), `bank`
//! (statement lines, connector runs), `recon` (runs, results, exception records), `work_queue`
//! (the analysts' work on them) and `settlement` (batches and payouts).

mod bank;
mod disputes;
mod model;
mod parties;
mod payments;
mod recon;
mod settlement;
mod work_queue;

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

pub use model::{
    Approval, BankLine, Batch, Chargeback, ChargebackAudit, Comment, ConnectorRun, DemoData, DemoUser, Exception,
    ExceptionAction, Item, Merchant, Recovery, ReserveEntry, ResultRow, Run, Transfer, Txn,
};
use parties::Staff;
use payments::Payments;
use settlement::Settlements;

use crate::auth::Role;
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

/// The window of 30 cycle days before the anchor; the newest has no bank file yet.
struct Cycles {
    anchor: NaiveDate,
    first_day: NaiveDate,
    days: Vec<NaiveDate>,
    /// The newest cycle day, whose bank file has not arrived.
    missing_day: NaiveDate,
}

impl Cycles {
    fn before(anchor: NaiveDate) -> Cycles {
        let first_day = anchor - Duration::days(30);
        let days: Vec<NaiveDate> = (0..30).map(|i| first_day + Duration::days(i)).collect();
        Cycles { anchor, first_day, days, missing_day: anchor - Duration::days(1) }
    }

    /// The position of a cycle day in the window (and of its run).
    fn index(&self, day: NaiveDate) -> usize {
        (day - self.first_day).num_days() as usize
    }

    /// The days with a bank file.
    fn bank_days(&self) -> Vec<NaiveDate> {
        self.days.iter().copied().filter(|d| *d != self.missing_day).collect()
    }
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

/// The demo data set of an anchor date.
pub fn generate(anchor: NaiveDate) -> DemoData {
    let seed = 0x5E77_1E9A_u64 ^ (anchor.num_days_from_ce() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut g = Gen { rng: ChaCha8Rng::seed_from_u64(seed), used_refs: HashSet::new() };

    let users = parties::users(&mut g);
    let staff = Staff::of(&users);
    let merchants = parties::merchants(&mut g);
    let cycles = Cycles::before(anchor);
    let mut chargebacks = disputes::chargebacks(&mut g, anchor, &merchants, staff.ops);

    let per_day = payments::per_day(&mut g, &cycles);
    let linked = payments::chargeback_links(&mut g, &cycles, &chargebacks);
    let (mut planned, free) = payments::transactions(&mut g, &cycles, &merchants, &mut chargebacks, &per_day, &linked);
    payments::older_payment_refs(&mut g, &mut chargebacks);
    payments::special_outcomes(&mut g, anchor, &mut planned, free);

    let mut statement = bank::transaction_credits(&mut g, &mut planned);
    bank::bank_only_credits(&mut g, &cycles, &mut statement);

    let mut runs = recon::runs(&mut g, &cycles);
    let (results, mut exceptions) = recon::outcomes(&cycles, &mut runs, &mut planned, &statement);
    let (exception_actions, comments) = work_queue::work_queue(&mut g, anchor, staff.ops, &mut exceptions);
    let Payments { mut transactions, .. } = planned;
    work_queue::reconcile_resolved(&exceptions, &mut transactions);

    let Settlements { batches, items, reserve_entries, approvals, mut transfers } =
        settlement::settlements(&mut g, &cycles, &merchants, &staff, &transactions);
    let mut bank_lines = statement.lines;
    bank::payout_debits(&mut g, &merchants, &batches, &mut transfers, &mut bank_lines);
    bank::bank_charges(&mut g, &cycles, &mut bank_lines);

    let (chargeback_audit, recoveries) = disputes::chargeback_audit(&mut g, &chargebacks, staff.ops);
    let (connector_id, connector_runs) = bank::connector_runs(&mut g, &cycles, &bank_lines);

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

    /// Finance's journey needs reconciled, unbatched cycles on a fresh demo, one of them with a
    /// merchant's batch over ₹1,00,000 (after the most its deductions can take, 30 %), whatever the
    /// anchor; the batches of the earlier cycles still come in every status.
    #[test]
    fn recent_cycles_are_left_to_batch_and_every_batch_status_occurs() {
        use std::collections::HashMap;
        let today = ist::today(Utc::now());
        let anchors = (1..=12).map(|month| NaiveDate::from_ymd_opt(2026, month, 9 + month).unwrap()).chain([today]);
        for anchor in anchors {
            let d = generate(anchor);
            let statuses: HashSet<&str> = d.batches.iter().map(|b| b.status).collect();
            assert_eq!(statuses.len(), 8, "{anchor}: {statuses:?}");
            let mut best = 0i64;
            for ago in settlement::UNBATCHED_DAYS {
                let day = anchor - Duration::days(ago);
                assert!(d.batches.iter().all(|b| b.cycle_date != day), "{anchor}: cycle {day} is not batched");
                let mut nets: HashMap<&str, i64> = HashMap::new();
                for t in d.transactions.iter().filter(|t| t.cycle_date == day && t.status == "RECONCILED") {
                    let m = d.merchants.iter().find(|m| m.id == t.merchant_id).unwrap();
                    let item = crate::features::settlements::calc::settle_item(
                        crate::money::Paise(t.amount_paise),
                        &m.terms(t.payment_method),
                    )
                    .unwrap();
                    *nets.entry(m.id).or_default() += item.net.0;
                }
                assert!(!nets.is_empty(), "{anchor}: cycle {day} has reconciled transactions");
                best = best.max(nets.values().copied().max().unwrap_or(0));
            }
            assert!(best * 7 / 10 > 1_00_000_00, "{anchor}: the largest merchant net is only {best} paise");
        }
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
