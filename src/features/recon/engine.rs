//! The matching engine of spec 02 §2.2: PG rows and bank lines in, one classified result per row
//! and per credit line out (in input order). Pure (no I/O), deterministic whatever the input order
//! (the only contested choice, two PG rows claiming one bank line through the RRN fallback, is
//! decided by transaction id), and single-threaded fast enough for a million rows a side (see
//! `benches/engine.rs`).
//!
//! Order of evaluation, exactly as the spec lists it: (1) no bank lines → BANK_FILE_MISSING;
//! (2) PG row without a usable UTR; (3) UTR repeated among PG rows; (4) UTR repeated among bank
//! credit lines; (5) pair by UTR (date window, fee arithmetic, amount Δ), then by the PG row's RRN
//! against a bank UTR; (6) what is left is missing on the other side.
//!
//! Amounts are [`Paise`] and every Δ is checked: a difference past the `i64` range fails the whole
//! reconciliation with [`MoneyOverflow`] rather than classifying a row on a wrapped figure.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::domain::normalise_ref;
use crate::money::{MoneyOverflow, Paise};

/// A PG transaction as the engine sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgRow {
    pub txn_id: String,
    pub merchant_id: String,
    pub acquirer: Option<String>,
    pub amount: Paise,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub date: NaiveDate,
    pub bank_fee: Option<Paise>,
    pub expected_settlement: Option<Paise>,
}

/// A bank statement line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankLine {
    /// The natural key: the bank's reference, else a hash of its fields (ingestion decides).
    pub key: String,
    pub amount: Paise,
    /// What the bank reports it credited net of its charges, for a statement that gives gross and
    /// net apart (any layout with a net column or charges columns: the AXIS exports, BOB, ICICI
    /// NEFT): then gross is matched with gross, and net with net where the PG row gives one.
    pub net: Option<Paise>,
    pub utr: Option<String>,
    pub date: NaiveDate,
    pub credit: bool,
}

/// Tolerances of one merchant / acquirer (the `recon_settings` table; defaults of spec 2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tolerances {
    pub min_tolerance: Paise,
    /// 0.001 = 0.1 % of the PG amount.
    pub tolerance_rate: Decimal,
    pub rounding: Paise,
    pub fee_band_low: Paise,
    pub fee_band_high: Paise,
    pub fee_variance: Paise,
    pub date_window_days: i64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            min_tolerance: Paise(100),
            tolerance_rate: Decimal::new(1, 3),
            rounding: Paise(1),
            fee_band_low: Paise(200),
            fee_band_high: Paise(500),
            fee_variance: Paise(100),
            date_window_days: 2,
        }
    }
}

/// Tolerances per scope: the most specific of (merchant, acquirer), (merchant, any),
/// (any, acquirer), else the default.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub default: Tolerances,
    pub scoped: Vec<(Option<String>, Option<String>, Tolerances)>,
}

impl Settings {
    /// The tolerances for `row`. Settings store acquirers upper case (`HDFC`); uploads store a row's
    /// acquirer so too, and migration 20261221000001 brought older rows to that form, but a row
    /// written by an instance still on the older release during a deploy may have it as its PG
    /// file spelt it (`Hdfc`, ` HDFC `): compared without regard to ASCII case or surrounding spaces.
    pub fn for_row(&self, row: &PgRow) -> &Tolerances {
        let acquirer = row.acquirer.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let same_acquirer = |scoped: &Option<String>, a: Option<&str>| match (scoped.as_deref(), a) {
            (None, None) => true,
            (Some(s), Some(a)) => s.eq_ignore_ascii_case(a),
            _ => false,
        };
        let find = |m: Option<&str>, a: Option<&str>| {
            self.scoped.iter().find(|(sm, sa, _)| sm.as_deref() == m && same_acquirer(sa, a)).map(|s| &s.2)
        };
        find(Some(&row.merchant_id), acquirer)
            .filter(|_| acquirer.is_some())
            .or_else(|| find(Some(&row.merchant_id), None))
            .or_else(|| acquirer.and_then(|a| find(None, Some(a))))
            .unwrap_or(&self.default)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Matched,
    Exception,
    UnmatchedPg,
    UnmatchedBank,
}

impl Class {
    pub fn code(self) -> &'static str {
        match self {
            Class::Matched => "MATCHED",
            Class::Exception => "EXCEPTION",
            Class::UnmatchedPg => "UNMATCHED_PG",
            Class::UnmatchedBank => "UNMATCHED_BANK",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    BankFileMissing,
    UtrMissingOrInvalid,
    DuplicatePgEntry,
    DuplicateBankEntry,
    DateOutOfWindow,
    UtrMismatch,
    AmountMismatch,
    FeeMismatch,
    RoundingError,
    PgTxnMissingInBank,
    BankTxnMissingInPg,
    FeesVariance,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::BankFileMissing,
        Reason::UtrMissingOrInvalid,
        Reason::DuplicatePgEntry,
        Reason::DuplicateBankEntry,
        Reason::DateOutOfWindow,
        Reason::UtrMismatch,
        Reason::AmountMismatch,
        Reason::FeeMismatch,
        Reason::RoundingError,
        Reason::PgTxnMissingInBank,
        Reason::BankTxnMissingInPg,
        Reason::FeesVariance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::BankFileMissing => "BANK_FILE_MISSING",
            Reason::UtrMissingOrInvalid => "UTR_MISSING_OR_INVALID",
            Reason::DuplicatePgEntry => "DUPLICATE_PG_ENTRY",
            Reason::DuplicateBankEntry => "DUPLICATE_BANK_ENTRY",
            Reason::DateOutOfWindow => "DATE_OUT_OF_WINDOW",
            Reason::UtrMismatch => "UTR_MISMATCH",
            Reason::AmountMismatch => "AMOUNT_MISMATCH",
            Reason::FeeMismatch => "FEE_MISMATCH",
            Reason::RoundingError => "ROUNDING_ERROR",
            Reason::PgTxnMissingInBank => "PG_TXN_MISSING_IN_BANK",
            Reason::BankTxnMissingInPg => "BANK_TXN_MISSING_IN_PG",
            Reason::FeesVariance => "FEES_VARIANCE",
        }
    }
}

/// The result of one PG row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgResult {
    /// Index of the row in the input slice.
    pub pg: usize,
    pub class: Class,
    /// `None` for an exact or within-tolerance match.
    pub reason: Option<Reason>,
    /// Index of the paired bank line, if any.
    pub bank: Option<usize>,
    /// With a paired line: |expected settlement − bank| when the row carries fee information,
    /// else |PG − bank|.
    pub delta: Option<Paise>,
    /// 100 for an exact match, lower for tolerance matches, 0 when not matched.
    pub score: u8,
}

/// The result of one bank credit line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankResult {
    pub bank: usize,
    pub class: Class,
    pub reason: Option<Reason>,
    /// The PG row it pairs with; the pair's Δ and score are that row's ([`PgResult`]).
    pub pg: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// One per PG row, in input order.
    pub pg: Vec<PgResult>,
    /// One per bank credit line, in input order; DEBIT lines are left out.
    pub bank: Vec<BankResult>,
    pub debit_lines_ignored: usize,
}

/// Counts of an outcome; they conserve (see [`Counts::conserves`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pg_rows: usize,
    pub bank_rows: usize,
    pub pg_matched: usize,
    pub pg_exceptions: usize,
    pub unmatched_pg: usize,
    pub bank_matched: usize,
    pub bank_exceptions: usize,
    pub unmatched_bank: usize,
    /// Exception records by reason: one per PG row in an exception or unmatched class, and one per
    /// bank line that is a duplicate or missing in PG.
    pub by_reason: std::collections::BTreeMap<&'static str, usize>,
}

impl Counts {
    pub fn conserves(&self) -> bool {
        self.pg_matched + self.pg_exceptions + self.unmatched_pg == self.pg_rows
            && self.bank_matched + self.bank_exceptions + self.unmatched_bank == self.bank_rows
    }

    /// Exception records raised (the run's "exceptions").
    pub fn exception_records(&self) -> usize {
        self.by_reason.values().sum()
    }
}

impl Outcome {
    pub fn counts(&self) -> Counts {
        let mut c = Counts { pg_rows: self.pg.len(), bank_rows: self.bank.len(), ..Default::default() };
        for r in &self.pg {
            match r.class {
                Class::Matched => c.pg_matched += 1,
                Class::Exception => c.pg_exceptions += 1,
                _ => c.unmatched_pg += 1,
            }
            if let Some(reason) = r.reason {
                *c.by_reason.entry(reason.code()).or_default() += 1;
            }
        }
        for r in &self.bank {
            match r.class {
                Class::Matched => c.bank_matched += 1,
                Class::Exception => c.bank_exceptions += 1,
                _ => c.unmatched_bank += 1,
            }
            if let Some(reason @ (Reason::DuplicateBankEntry | Reason::BankTxnMissingInPg)) = r.reason {
                *c.by_reason.entry(reason.code()).or_default() += 1;
            }
        }
        c
    }
}

/// `|a − b|`: the Δ between two amounts, whichever is larger.
fn gap(a: Paise, b: Paise) -> Result<Paise, MoneyOverflow> {
    a.checked_sub(b)?.checked_abs()
}

/// A pair's class, reason, Δ and score.
pub type PairClass = (Class, Option<Reason>, Paise, u8);

/// How a found pair classifies (step 5), before the RRN fallback.
pub fn classify_pair(pg: &PgRow, bank: &BankLine, t: &Tolerances) -> Result<PairClass, MoneyOverflow> {
    if (pg.date - bank.date).num_days().abs() > t.date_window_days {
        return Ok((Class::Exception, Some(Reason::DateOutOfWindow), gap(pg.amount, bank.amount)?, 0));
    }
    // With fee information the bank should credit the expected settlement (net of the fee).
    let expected = match (pg.expected_settlement, pg.bank_fee) {
        (Some(net), _) => Some(net),
        (None, Some(fee)) => Some(pg.amount.checked_sub(fee)?),
        (None, None) => None,
    };
    // A statement that gives gross and net apart: gross against the PG amount, and the nets must
    // agree within the fee variance when both sides give one.
    if let Some(bank_net) = bank.net {
        if let Some(expected) = expected {
            let delta = gap(expected, bank_net)?;
            if delta > t.fee_variance {
                return Ok((Class::Exception, Some(Reason::FeesVariance), delta, 0));
            }
        }
        return classify_delta(gap(pg.amount, bank.amount)?, pg.amount, t);
    }
    if let Some(expected) = expected {
        let delta = gap(expected, bank.amount)?;
        if delta > t.fee_variance {
            return Ok((Class::Exception, Some(Reason::FeesVariance), delta, 0));
        }
        return classify_delta(delta, expected, t);
    }
    classify_delta(gap(pg.amount, bank.amount)?, pg.amount, t)
}

/// The amount rules: exact, rounding, the fee band, tolerance, else a mismatch.
pub fn classify_delta(delta: Paise, pg_amount: Paise, t: &Tolerances) -> Result<PairClass, MoneyOverflow> {
    if delta == Paise::ZERO {
        return Ok((Class::Matched, None, Paise::ZERO, 100));
    }
    if delta <= t.rounding {
        return Ok((Class::Exception, Some(Reason::RoundingError), delta, 0));
    }
    if (t.fee_band_low..=t.fee_band_high).contains(&delta) {
        return Ok((Class::Exception, Some(Reason::FeeMismatch), delta, 0));
    }
    let tolerance = Decimal::from(pg_amount.0).checked_mul(t.tolerance_rate).ok_or(MoneyOverflow)?.floor();
    if Decimal::from(delta.0) <= tolerance.max(Decimal::from(t.min_tolerance.0)) {
        // Lower confidence the further from exact: 99 down to 90. In i128 because a wide configured
        // tolerance can let through a Δ whose tenfold leaves i64 (the ratio itself is at most 9).
        let tenths = (i128::from(delta.0) * 10 / i128::from(pg_amount.0.max(1))).min(9);
        let score = 99u8.saturating_sub(u8::try_from(tenths).unwrap_or(9));
        return Ok((Class::Matched, None, delta, score));
    }
    Ok((Class::Exception, Some(Reason::AmountMismatch), delta, 0))
}

/// Reconcile one cycle; an error only when a pair's Δ leaves the range of `i64` paise.
pub fn reconcile(pg_rows: &[PgRow], bank_lines: &[BankLine], settings: &Settings) -> Result<Outcome, MoneyOverflow> {
    let pg_order = 0..pg_rows.len();
    let bank_order: Vec<usize> = (0..bank_lines.len()).filter(|i| bank_lines[*i].credit).collect();
    let debit_lines_ignored = bank_lines.len() - bank_order.len();

    let unpaired = |pg: usize, class, reason| PgResult { pg, class, reason, bank: None, delta: None, score: 0 };

    // 1. No bank lines at all.
    if bank_lines.is_empty() {
        return Ok(Outcome {
            pg: pg_order.into_iter().map(|i| unpaired(i, Class::Exception, Some(Reason::BankFileMissing))).collect(),
            bank: Vec::new(),
            debit_lines_ignored,
        });
    }

    // Bank credit lines grouped by UTR into slots: how many lines share it, and the (first) line.
    // Each line remembers its slot, so the final pass needs no second hash lookup.
    const NONE: u32 = u32::MAX;
    let mut bank_slots: FxHashMap<Cow<'_, str>, u32> = FxHashMap::default();
    bank_slots.reserve(bank_order.len());
    let mut slot_lines: Vec<(u32, usize)> = Vec::with_capacity(bank_order.len());
    let mut bank_slot: Vec<u32> = vec![NONE; bank_lines.len()];
    for &i in &bank_order {
        if let Some(utr) = normalise_ref(bank_lines[i].utr.as_deref()) {
            let next = slot_lines.len() as u32;
            let slot = *bank_slots.entry(utr).or_insert(next);
            if slot == next {
                slot_lines.push((1, i));
            } else {
                slot_lines[slot as usize].0 += 1;
            }
            bank_slot[i] = slot;
        }
    }
    let lookup_bank = |utr: &str| bank_slots.get(utr).map(|&s| slot_lines[s as usize]);
    let pg_utrs: Vec<Option<Cow<'_, str>>> = pg_rows.iter().map(|r| normalise_ref(r.utr.as_deref())).collect();
    let mut pg_utr_count: FxHashMap<&str, u32> = FxHashMap::default();
    pg_utr_count.reserve(pg_rows.len());
    for utr in pg_utrs.iter().flatten() {
        *pg_utr_count.entry(utr.as_ref()).or_default() += 1;
    }

    let mut pg_result: Vec<Option<PgResult>> = vec![None; pg_rows.len()];
    let mut bank_pair: Vec<Option<usize>> = vec![None; bank_lines.len()];
    let mut rrn_candidates: Vec<usize> = Vec::new();
    for i in pg_order.clone() {
        let row = &pg_rows[i];
        let Some(utr) = pg_utrs[i].as_deref() else {
            pg_result[i] = Some(unpaired(i, Class::Exception, Some(Reason::UtrMissingOrInvalid)));
            continue;
        };
        if pg_utr_count.get(utr).copied().unwrap_or(0) > 1 {
            pg_result[i] = Some(unpaired(i, Class::Exception, Some(Reason::DuplicatePgEntry)));
            continue;
        }
        match lookup_bank(utr) {
            Some((1, b)) => {
                let (class, reason, delta, score) = classify_pair(row, &bank_lines[b], settings.for_row(row))?;
                bank_pair[b] = Some(i);
                pg_result[i] = Some(PgResult { pg: i, class, reason, bank: Some(b), delta: Some(delta), score });
            }
            // Only duplicate bank lines share this UTR: they left the pool (step 4).
            _ => rrn_candidates.push(i),
        }
    }
    // The RRN fallback, in transaction-id order: the first claimant of a bank line wins.
    rrn_candidates.sort_unstable_by(|a, b| pg_rows[*a].txn_id.cmp(&pg_rows[*b].txn_id).then(a.cmp(b)));
    for i in rrn_candidates {
        let row = &pg_rows[i];
        let partner = normalise_ref(row.rrn.as_deref())
            .and_then(|rrn| lookup_bank(rrn.as_ref()))
            .filter(|&(n, b)| n == 1 && bank_pair[b].is_none());
        pg_result[i] = Some(match partner {
            Some((_, b)) => {
                bank_pair[b] = Some(i);
                PgResult {
                    pg: i,
                    class: Class::Exception,
                    reason: Some(Reason::UtrMismatch),
                    bank: Some(b),
                    delta: Some(gap(row.amount, bank_lines[b].amount)?),
                    score: 0,
                }
            }
            None => unpaired(i, Class::UnmatchedPg, Some(Reason::PgTxnMissingInBank)),
        });
    }

    let bank = bank_order
        .iter()
        .map(|&b| {
            let duplicate = bank_slot[b] != NONE && slot_lines[bank_slot[b] as usize].0 > 1;
            match (duplicate, bank_pair[b]) {
                (true, _) => {
                    BankResult { bank: b, class: Class::Exception, reason: Some(Reason::DuplicateBankEntry), pg: None }
                }
                (false, Some(p)) => {
                    let r = pg_result[p].as_ref();
                    BankResult {
                        bank: b,
                        class: r.map(|r| r.class).unwrap_or(Class::Exception),
                        reason: r.and_then(|r| r.reason),
                        pg: Some(p),
                    }
                }
                (false, None) => BankResult {
                    bank: b,
                    class: Class::UnmatchedBank,
                    reason: Some(Reason::BankTxnMissingInPg),
                    pg: None,
                },
            }
        })
        .collect();
    let pg = pg_order.into_iter().filter_map(|i| pg_result[i].take()).collect();
    Ok(Outcome { pg, bank, debit_lines_ignored })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn pg(id: &str, amount: i64, utr: Option<&str>) -> PgRow {
        PgRow {
            txn_id: id.into(),
            merchant_id: "M1".into(),
            acquirer: None,
            amount: Paise(amount),
            utr: utr.map(Into::into),
            rrn: None,
            date: day(20),
            bank_fee: None,
            expected_settlement: None,
        }
    }

    #[test]
    fn a_statement_giving_gross_and_net_matches_gross_with_gross_and_net_with_net() {
        let t = Tolerances::default();
        let mut row = pg("T1", 12_500_000, Some("U1"));
        row.expected_settlement = Some(Paise(12_352_500));
        let mut line = bank("B1", 12_500_000, Some("U1"));
        // A statement of the credit alone: it should be the net.
        assert_eq!(classify_pair(&row, &line, &t).unwrap().1, Some(Reason::FeesVariance));
        line.amount = Paise(12_352_500);
        assert_eq!(classify_pair(&row, &line, &t).unwrap(), (Class::Matched, None, Paise::ZERO, 100));
        // Gross and net apart: each against its own.
        line.amount = Paise(12_500_000);
        line.net = Some(Paise(12_352_500));
        assert_eq!(classify_pair(&row, &line, &t).unwrap(), (Class::Matched, None, Paise::ZERO, 100));
        line.net = Some(Paise(12_352_500 - 101));
        assert_eq!(
            classify_pair(&row, &line, &t).unwrap(),
            (Class::Exception, Some(Reason::FeesVariance), Paise(101), 0)
        );
        line.net = Some(Paise(12_352_500));
        line.amount = Paise(12_500_300);
        assert_eq!(classify_pair(&row, &line, &t).unwrap().1, Some(Reason::FeeMismatch), "the gross rules apply");
        // A PG row without fee information: the gross alone decides.
        row.expected_settlement = None;
        line.amount = Paise(12_500_000);
        line.net = Some(Paise(1));
        assert_eq!(classify_pair(&row, &line, &t).unwrap().0, Class::Matched);
    }

    fn bank(key: &str, amount: i64, utr: Option<&str>) -> BankLine {
        BankLine {
            key: key.into(),
            amount: Paise(amount),
            net: None,
            utr: utr.map(Into::into),
            date: day(20),
            credit: true,
        }
    }

    fn one(pg_row: PgRow, line: BankLine) -> PgResult {
        reconcile(&[pg_row], &[line], &Settings::default()).unwrap().pg.remove(0)
    }

    fn reason_of(pg_amount: i64, bank_amount: i64) -> Option<Reason> {
        one(pg("T1", pg_amount, Some("U1")), bank("B1", bank_amount, Some("U1"))).reason
    }

    #[test]
    fn amount_rules_at_their_edges() {
        assert_eq!(one(pg("T1", 10_000, Some("U1")), bank("B1", 10_000, Some("U1"))).score, 100);
        assert_eq!(reason_of(10_000, 10_000), None);
        assert_eq!(reason_of(10_000, 9_999), Some(Reason::RoundingError), "Δ = 1 paisa");
        assert_eq!(reason_of(10_000, 9_800), Some(Reason::FeeMismatch), "Δ = 200");
        assert_eq!(reason_of(10_000, 9_500), Some(Reason::FeeMismatch), "Δ = 500");
        assert_eq!(reason_of(10_000, 9_499), Some(Reason::AmountMismatch), "Δ = 501 on ₹100");
        assert_eq!(reason_of(10_000, 9_900), None, "Δ = 100 is within the ₹1 minimum tolerance");
        assert_eq!(reason_of(10_000, 9_899), Some(Reason::AmountMismatch), "Δ = 101 on ₹100");
        // On ₹10,00,000 the 0.1 % tolerance is ₹1,000: Δ 501 matches, Δ 1,00,000 matches, one more does not.
        let big = 100_000_000;
        assert_eq!(reason_of(big, big - 501), None);
        assert_eq!(reason_of(big, big - 100_000), None);
        assert_eq!(reason_of(big, big - 100_001), Some(Reason::AmountMismatch));
        // The fee band is checked before the tolerance, even where the tolerance is wider.
        assert_eq!(reason_of(big, big - 300), Some(Reason::FeeMismatch));
        let tolerant = one(pg("T1", big, Some("U1")), bank("B1", big - 501, Some("U1")));
        assert_eq!((tolerant.class, tolerant.delta), (Class::Matched, Some(Paise(501))));
        assert!(tolerant.score < 100);
    }

    #[test]
    fn the_date_window_is_two_days() {
        let mut two = bank("B1", 10_000, Some("U1"));
        two.date = day(22);
        assert_eq!(one(pg("T1", 10_000, Some("U1")), two.clone()).reason, None);
        let mut three = two;
        three.date = day(23);
        assert_eq!(one(pg("T1", 10_000, Some("U1")), three).reason, Some(Reason::DateOutOfWindow));
    }

    #[test]
    fn utrs_are_normalised_and_placeholders_are_missing() {
        assert_eq!(one(pg("T1", 10_000, Some("  utr 1 ".trim())), bank("B1", 10_000, Some("UTR 1"))).reason, None);
        assert_eq!(one(pg("T1", 10_000, Some(" abc9 ")), bank("B1", 10_000, Some("ABC9"))).class, Class::Matched);
        for missing in [None, Some(""), Some("NULL"), Some("null"), Some("N/A"), Some("undefined")] {
            let r = one(pg("T1", 10_000, missing), bank("B1", 10_000, Some("U1")));
            assert_eq!(r.reason, Some(Reason::UtrMissingOrInvalid), "{missing:?}");
        }
    }

    #[test]
    fn duplicates_leave_the_pool() {
        let out = reconcile(
            &[pg("T1", 100, Some("D")), pg("T2", 100, Some("D")), pg("T3", 100, Some("X"))],
            &[bank("B1", 100, Some("D")), bank("B2", 100, Some("X")), bank("B3", 100, Some("X"))],
            &Settings::default(),
        )
        .unwrap();
        let reasons: Vec<_> = out.pg.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            vec![Some(Reason::DuplicatePgEntry), Some(Reason::DuplicatePgEntry), Some(Reason::PgTxnMissingInBank)]
        );
        // B1 is left unpaired (its PG partners are duplicates); B2 and B3 are duplicates; T3 pairs with neither.
        let bank_reasons: Vec<_> = out.bank.iter().map(|r| (r.bank, r.reason)).collect();
        assert_eq!(
            bank_reasons,
            vec![
                (0, Some(Reason::BankTxnMissingInPg)),
                (1, Some(Reason::DuplicateBankEntry)),
                (2, Some(Reason::DuplicateBankEntry))
            ]
        );
        let c = out.counts();
        assert!(c.conserves());
        assert_eq!(c.by_reason.get("DUPLICATE_BANK_ENTRY"), Some(&2));
        assert_eq!(c.exception_records(), 6);
    }

    #[test]
    fn rrn_fallback_pairs_both_and_the_first_claimant_wins() {
        let mut a = pg("T1", 5_000, Some("NOPE1"));
        a.rrn = Some("R1".into());
        let mut b = pg("T2", 5_000, Some("NOPE2"));
        b.rrn = Some("r1".into());
        let out = reconcile(&[b, a], &[bank("B1", 5_000, Some("R1"))], &Settings::default()).unwrap();
        // Output is in input order: T2 first, then T1.
        assert_eq!(out.pg[1].reason, Some(Reason::UtrMismatch));
        assert_eq!(out.pg[1].bank, Some(0));
        assert_eq!(out.pg[0].reason, Some(Reason::PgTxnMissingInBank));
        assert_eq!(out.bank[0].reason, Some(Reason::UtrMismatch));
        assert_eq!(out.bank[0].pg, Some(1), "T1 (input index 1) claimed it first by transaction id");
    }

    #[test]
    fn debit_lines_are_ignored_and_no_bank_file_means_missing() {
        let mut debit = bank("B1", 10_000, Some("U1"));
        debit.credit = false;
        let out = reconcile(&[pg("T1", 10_000, Some("U1"))], &[debit], &Settings::default()).unwrap();
        assert_eq!(out.pg[0].reason, Some(Reason::PgTxnMissingInBank));
        assert!(out.bank.is_empty());
        assert_eq!(out.debit_lines_ignored, 1);
        let none = reconcile(&[pg("T1", 10_000, Some("U1")), pg("T2", 1, None)], &[], &Settings::default()).unwrap();
        assert!(none.pg.iter().all(|r| r.reason == Some(Reason::BankFileMissing)));
    }

    #[test]
    fn fee_arithmetic() {
        let mut row = pg("T1", 100_000, Some("U1"));
        row.bank_fee = Some(Paise(2_000));
        assert_eq!(one(row.clone(), bank("B1", 98_000, Some("U1"))).reason, None, "credited gross − fee");
        assert_eq!(one(row.clone(), bank("B1", 97_950, Some("U1"))).class, Class::Matched, "within ₹1");
        assert_eq!(one(row.clone(), bank("B1", 97_899, Some("U1"))).reason, Some(Reason::FeesVariance));
        row.expected_settlement = Some(Paise(97_000));
        assert_eq!(one(row, bank("B1", 97_000, Some("U1"))).reason, None, "the expected settlement wins");
    }

    #[test]
    fn settings_are_read_per_merchant_and_acquirer() {
        let strict = Tolerances { min_tolerance: Paise::ZERO, tolerance_rate: Decimal::ZERO, ..Default::default() };
        let wide = Tolerances { date_window_days: 5, ..Default::default() };
        let settings = Settings {
            default: Tolerances::default(),
            scoped: vec![(Some("M1".into()), None, strict), (None, Some("HDFC".into()), wide)],
        };
        let out = reconcile(&[pg("T1", 10_000, Some("U1"))], &[bank("B1", 9_950, Some("U1"))], &settings).unwrap();
        assert_eq!(out.pg[0].reason, Some(Reason::AmountMismatch), "M1 has no tolerance");
        let mut other = pg("T2", 10_000, Some("U2"));
        other.merchant_id = "M2".into();
        other.acquirer = Some("HDFC".into());
        let mut late = bank("B2", 10_000, Some("U2"));
        late.date = day(24);
        assert_eq!(
            reconcile(&[other.clone()], &[late.clone()], &settings).unwrap().pg[0].reason,
            None,
            "HDFC allows 5 days"
        );
        // The file's spelling of the acquirer: case and surrounding spaces do not matter.
        other.acquirer = Some(" Hdfc ".into());
        assert_eq!(reconcile(&[other.clone()], &[late.clone()], &settings).unwrap().pg[0].reason, None, "as HDFC");
        other.acquirer = Some("ICICI".into());
        assert_eq!(
            reconcile(&[other], &[late], &settings).unwrap().pg[0].reason,
            Some(Reason::DateOutOfWindow),
            "another acquirer keeps the default 2 days"
        );
    }

    #[test]
    fn a_delta_past_the_paise_range_is_an_error_not_a_wrapped_amount() {
        // Each Δ below is |a − b| with a and b on opposite sides of zero: it needs more than 64 bits.
        let overflow = |pg_row: PgRow, line: BankLine| reconcile(&[pg_row], &[line], &Settings::default());
        assert_eq!(overflow(pg("T1", i64::MAX, Some("U1")), bank("B1", -1, Some("U1"))), Err(MoneyOverflow));
        let mut late = bank("B1", -1, Some("U1"));
        late.date = day(28);
        assert_eq!(overflow(pg("T1", i64::MAX, Some("U1")), late), Err(MoneyOverflow), "the date-window Δ");
        let mut refund = pg("T1", i64::MAX, Some("U1"));
        refund.bank_fee = Some(Paise(-1));
        assert_eq!(overflow(refund, bank("B1", 1, Some("U1"))), Err(MoneyOverflow), "gross − fee");
        let mut by_rrn = pg("T1", i64::MIN, Some("NOPE"));
        by_rrn.rrn = Some("R1".into());
        assert_eq!(overflow(by_rrn, bank("B1", 1, Some("R1"))), Err(MoneyOverflow), "the RRN fallback's Δ");
        let huge_rate = Tolerances { tolerance_rate: Decimal::MAX, ..Default::default() };
        assert_eq!(classify_delta(Paise(10_000), Paise(i64::MAX), &huge_rate), Err(MoneyOverflow), "amount × rate");
    }

    #[test]
    fn a_wide_tolerance_scores_a_huge_delta_without_overflow() {
        // Δ × 10 leaves i64 here; the score is still the bottom of the tolerance band.
        let wide = Tolerances { min_tolerance: Paise(i64::MAX), ..Default::default() };
        assert_eq!(
            classify_delta(Paise(i64::MAX / 2), Paise(1_000), &wide),
            Ok((Class::Matched, None, Paise(i64::MAX / 2), 90))
        );
    }

    fn arb_case() -> impl Strategy<Value = (Vec<PgRow>, Vec<BankLine>)> {
        let utr = prop_oneof![Just(None), (0u8..12).prop_map(|n| Some(format!("u{n}"))), Just(Some("N/A".to_string()))];
        let pg_rows = prop::collection::vec((utr.clone(), prop::option::of(0u8..12), 1i64..2_000, 0u32..5), 0..30)
            .prop_map(|v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (utr, rrn, amount, d))| PgRow {
                        txn_id: format!("T{i:03}"),
                        merchant_id: "M".into(),
                        acquirer: None,
                        amount: Paise(amount),
                        utr,
                        rrn: rrn.map(|r| format!("U{r}")),
                        date: day(10 + d),
                        bank_fee: None,
                        expected_settlement: None,
                    })
                    .collect::<Vec<_>>()
            });
        let bank_lines = prop::collection::vec(
            (utr, 1i64..2_000, prop::option::of(0i64..2_000), 0u32..5, prop::bool::weighted(0.9)),
            0..30,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (utr, amount, net, d, credit))| BankLine {
                    key: format!("B{i:03}"),
                    amount: Paise(amount),
                    net: net.map(Paise),
                    utr,
                    date: day(10 + d),
                    credit,
                })
                .collect::<Vec<_>>()
        });
        (pg_rows, bank_lines)
    }

    /// The outcome in terms of the rows' own keys (independent of input positions).
    fn by_keys(out: &Outcome, pg_rows: &[PgRow], bank_lines: &[BankLine]) -> Vec<String> {
        let mut v: Vec<String> = out
            .pg
            .iter()
            .map(|r| {
                format!(
                    "{} {:?} {:?} {:?} {:?}",
                    pg_rows[r.pg].txn_id,
                    r.class,
                    r.reason,
                    r.bank.map(|b| &bank_lines[b].key),
                    r.delta
                )
            })
            .collect();
        v.extend(out.bank.iter().map(|r| {
            format!("{} {:?} {:?} {:?}", bank_lines[r.bank].key, r.class, r.reason, r.pg.map(|p| &pg_rows[p].txn_id))
        }));
        v.sort();
        v
    }

    proptest! {
        #[test]
        fn counts_conserve_and_every_line_pairs_once((pg_rows, bank_lines) in arb_case()) {
            let out = reconcile(&pg_rows, &bank_lines, &Settings::default()).unwrap();
            let c = out.counts();
            prop_assert!(c.conserves());
            prop_assert_eq!(c.pg_rows, pg_rows.len());
            prop_assert_eq!(c.bank_rows + out.debit_lines_ignored, bank_lines.len());
            let mut paired: Vec<usize> = out.pg.iter().filter_map(|r| r.bank).collect();
            let n = paired.len();
            paired.sort_unstable();
            paired.dedup();
            prop_assert_eq!(paired.len(), n, "a bank line pairs with at most one PG row");
            for r in &out.bank {
                if let Some(p) = r.pg {
                    prop_assert_eq!(out.pg.iter().find(|x| x.pg == p).and_then(|x| x.bank), Some(r.bank));
                }
            }
            // The other way, with the same class and reason: a run stores a pair once, as its PG
            // row's result (runs::write_results), so the line's class and reason must be the PG
            // row's (its Δ and score are the PG row's by construction: a bank result has none).
            for r in &out.pg {
                if let Some(b) = r.bank {
                    let line = out.bank.iter().find(|x| x.bank == b);
                    prop_assert_eq!(line.map(|x| (x.pg, x.class, x.reason)), Some((Some(r.pg), r.class, r.reason)));
                }
            }
        }

        #[test]
        fn the_input_order_does_not_matter((pg_rows, bank_lines) in arb_case(), seed in any::<u64>()) {
            use rand::seq::SliceRandom;
            use rand::SeedableRng;
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut pg2 = pg_rows.clone();
            let mut bank2 = bank_lines.clone();
            pg2.shuffle(&mut rng);
            bank2.shuffle(&mut rng);
            let a = reconcile(&pg_rows, &bank_lines, &Settings::default()).unwrap();
            let b = reconcile(&pg2, &bank2, &Settings::default()).unwrap();
            prop_assert_eq!(by_keys(&a, &pg_rows, &bank_lines), by_keys(&b, &pg2, &bank2));
        }
    }
}
