//! The settlement desk's business rules, pure (no I/O): a batch's lifecycle and who may move it,
//! auto-approval and rail thresholds, T+N in business days, the terms that apply to one
//! transaction, deductions capped at 30 % of gross with the rest carried, the minimum settlement
//! amount, and the bank's bulk-transfer file. Spec 04; the per-transaction maths is [`super::calc`].

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::calc::{settle_item, BatchTotals, Commission, FeeBearer, ItemBreakdown, Terms};
use crate::money::{MoneyOverflow, Paise};

/// Net above this (₹1,00,000.00) needs a checker's approval; at or below it is approved at once.
pub const APPROVAL_THRESHOLD: Paise = Paise(1_00_000_00);
/// Net at or above this (₹2,00,000.00) goes by RTGS whatever the merchant prefers.
pub const RTGS_THRESHOLD: Paise = Paise(2_00_000_00);
/// Deductions take at most this share of a batch's gross, in percent.
pub const DEDUCTION_CAP_PERCENT: i64 = 30;
/// TDS when the merchant has no PAN (s.206AA).
pub const TDS_RATE_WITHOUT_PAN: Decimal = Decimal::from_parts(5, 0, 0, false, 2);
/// Commission when the merchant has no rate for the mode.
pub const DEFAULT_COMMISSION: Decimal = Decimal::from_parts(2, 0, 0, false, 2);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    Calculated,
    PendingApproval,
    Approved,
    Sent,
    Paid,
    Rejected,
    OnHold,
    Failed,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Calculated,
        Status::PendingApproval,
        Status::Approved,
        Status::Sent,
        Status::Paid,
        Status::Rejected,
        Status::OnHold,
        Status::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Calculated => "CALCULATED",
            Status::PendingApproval => "PENDING_APPROVAL",
            Status::Approved => "APPROVED",
            Status::Sent => "SENT",
            Status::Paid => "PAID",
            Status::Rejected => "REJECTED",
            Status::OnHold => "ON_HOLD",
            Status::Failed => "FAILED",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Calculated => "Calculated",
            Status::PendingApproval => "Awaiting approval",
            Status::Approved => "Approved",
            Status::Sent => "Sent to bank",
            Status::Paid => "Paid",
            Status::Rejected => "Rejected",
            Status::OnHold => "On hold",
            Status::Failed => "Failed",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// What a finance user may do to a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    Approve,
    Reject,
    Hold,
    Release,
    Paid,
    Failed,
    Requeue,
}

impl Action {
    pub const ALL: [Action; 7] =
        [Action::Approve, Action::Reject, Action::Hold, Action::Release, Action::Paid, Action::Failed, Action::Requeue];

    pub fn code(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Hold => "hold",
            Action::Release => "release",
            Action::Paid => "paid",
            Action::Failed => "failed",
            Action::Requeue => "requeue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Approve => "Approve",
            Action::Reject => "Reject",
            Action::Hold => "Put on hold",
            Action::Release => "Release hold",
            Action::Paid => "Mark paid",
            Action::Failed => "Mark failed",
            Action::Requeue => "Re-queue for payout",
        }
    }

    pub fn parse(code: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The timeline event the action writes.
    pub fn event(self) -> &'static str {
        match self {
            Action::Approve => "APPROVED",
            Action::Reject => "REJECTED",
            Action::Hold => "ON_HOLD",
            Action::Release => "HOLD_RELEASED",
            Action::Paid => "PAID",
            Action::Failed => "FAILED",
            Action::Requeue => "REQUEUED",
        }
    }
}

/// Why a move is refused: a sentence for the 409.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where `action` takes a batch in `from` (`held_from` is the status a held batch came from), or
/// why it cannot. `actor_is_maker` says whether the acting user created the batch: that user may
/// never approve it (maker-checker).
pub fn transition(
    from: Status,
    held_from: Option<Status>,
    action: Action,
    actor_is_maker: bool,
) -> Result<Status, Refusal> {
    let refuse = || {
        Err(Refusal(format!(
            "A batch that is {} cannot be moved by \"{}\".",
            from.label().to_lowercase(),
            action.label().to_lowercase()
        )))
    };
    match (action, from) {
        // A batch left CALCULATED (made before auto-approval, or by the demo) is approved like one
        // awaiting approval.
        (Action::Approve, Status::PendingApproval | Status::Calculated) if actor_is_maker => {
            Err(Refusal("Maker-checker: you created this batch, so another finance user must approve it.".into()))
        }
        (Action::Approve, Status::PendingApproval | Status::Calculated) => Ok(Status::Approved),
        (Action::Reject, Status::Calculated | Status::PendingApproval | Status::Approved | Status::OnHold) => {
            Ok(Status::Rejected)
        }
        (Action::Hold, Status::PendingApproval | Status::Approved) => Ok(Status::OnHold),
        (Action::Release, Status::OnHold) => Ok(held_from.unwrap_or(Status::PendingApproval)),
        // A transfer marked failed (a timeout, say) that the bank did pay after all.
        (Action::Paid, Status::Sent | Status::Failed) => Ok(Status::Paid),
        (Action::Failed, Status::Sent) => Ok(Status::Failed),
        (Action::Requeue, Status::Failed) => Ok(Status::Approved),
        _ => refuse(),
    }
}

/// The actions worth offering on a batch in `status` (maker-checker is checked when taken).
pub fn available(status: Status) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| transition(status, Some(Status::Approved), *a, false).is_ok()).collect()
}

/// The status a freshly calculated batch takes: approved at once up to the threshold.
pub fn initial_status(net: Paise) -> Status {
    if net > APPROVAL_THRESHOLD {
        Status::PendingApproval
    } else {
        Status::Approved
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rail {
    Neft,
    Rtgs,
    Imps,
}

impl Rail {
    pub const ALL: [Rail; 3] = [Rail::Neft, Rail::Rtgs, Rail::Imps];

    pub fn code(self) -> &'static str {
        match self {
            Rail::Neft => "NEFT",
            Rail::Rtgs => "RTGS",
            Rail::Imps => "IMPS",
        }
    }

    pub fn parse(code: &str) -> Option<Rail> {
        Rail::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// RTGS from ₹2,00,000; below it the merchant's preference.
pub fn rail(net: Paise, preferred: Rail) -> Rail {
    if net >= RTGS_THRESHOLD {
        Rail::Rtgs
    } else {
        preferred
    }
}

/// A payout failure reason from the bank's return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureCode {
    AccountClosed,
    InvalidIfsc,
    NameMismatch,
    BankTimeout,
    Other,
}

impl FailureCode {
    pub const ALL: [FailureCode; 5] = [
        FailureCode::AccountClosed,
        FailureCode::InvalidIfsc,
        FailureCode::NameMismatch,
        FailureCode::BankTimeout,
        FailureCode::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FailureCode::AccountClosed => "ACCOUNT_CLOSED",
            FailureCode::InvalidIfsc => "INVALID_IFSC",
            FailureCode::NameMismatch => "NAME_MISMATCH",
            FailureCode::BankTimeout => "BANK_TIMEOUT",
            FailureCode::Other => "OTHER",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FailureCode::AccountClosed => "Beneficiary account closed",
            FailureCode::InvalidIfsc => "Invalid IFSC",
            FailureCode::NameMismatch => "Beneficiary name mismatch",
            FailureCode::BankTimeout => "Bank timeout",
            FailureCode::Other => "Other",
        }
    }

    pub fn parse(code: &str) -> Option<FailureCode> {
        FailureCode::ALL.into_iter().find(|f| f.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The failure reason stored on the batch: the label, and for "other" the analyst's text.
    pub fn reason(self, text: Option<&str>) -> Result<String, String> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        match (self, text) {
            (FailureCode::Other, None) => Err("Say what went wrong when the reason is \"Other\".".into()),
            (FailureCode::Other, Some(t)) => Ok(format!("Other: {t}")),
            (code, Some(t)) => Ok(format!("{}: {t}", code.label())),
            (code, None) => Ok(code.label().to_string()),
        }
    }
}

/// A bank UTR as analysts type it: trimmed and upper-cased; 6–22 letters and digits (NEFT 16,
/// RTGS 22, IMPS 12).
pub fn parse_utr(text: &str) -> Result<String, String> {
    let utr = text.trim().to_ascii_uppercase();
    if (6..=22).contains(&utr.len()) && utr.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(utr)
    } else {
        Err("The UTR must be 6 to 22 letters and digits, as the bank gives it.".into())
    }
}

/// `^[A-Z]{4}0[A-Z0-9]{6}$` (spec 4.1).
pub fn valid_ifsc(ifsc: &str) -> bool {
    let b = ifsc.as_bytes();
    b.len() == 11
        && b[..4].iter().all(u8::is_ascii_uppercase)
        && b[4] == b'0'
        && b[5..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// An account number shown to anyone but an admin editing it: all but the last four digits hidden.
pub fn mask_account(number: &str) -> String {
    let n = number.chars().count();
    let shown: String = number.chars().skip(n.saturating_sub(4)).collect();
    format!("{}{}", "X".repeat(n.saturating_sub(4).max(4)), shown)
}

/// Business days: not a Saturday or Sunday, not in `holidays`.
pub fn is_business_day(day: NaiveDate, holidays: &BTreeSet<NaiveDate>) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// T+N: the N-th business day after the cycle date (T+0 is the cycle date itself when it is a
/// business day, else the next one).
pub fn payout_due_on(cycle: NaiveDate, business_days: u32, holidays: &BTreeSet<NaiveDate>) -> NaiveDate {
    let mut day = cycle;
    while !is_business_day(day, holidays) {
        day += Duration::days(1);
    }
    for _ in 0..business_days {
        day += Duration::days(1);
        while !is_business_day(day, holidays) {
            day += Duration::days(1);
        }
    }
    day
}

/// Days before the bank-holiday calendar's end from which the settlement desk is told (on-call is
/// alerted later, by `SettlePaisaHolidayCalendarEnding`).
pub const HOLIDAY_CALENDAR_NOTICE_DAYS: i64 = 60;

/// A year counts as loaded once the calendar holds this many of its holidays: India's banks close
/// on 11–17 weekdays a year (2026: 17, 2027: 11), so a date or two typed in ahead of time, or a
/// year half loaded, does not pass for a calendar.
pub const HOLIDAYS_IN_A_LOADED_YEAR: usize = 8;

/// The first day the holiday calendar no longer covers: 1 January of the first year, from `today`'s
/// on, that is not loaded ([`HOLIDAYS_IN_A_LOADED_YEAR`]). It is `today`'s own 1 January when that
/// year is missing (or the calendar is empty).
pub fn holiday_calendar_end(today: NaiveDate, holidays: &BTreeSet<NaiveDate>) -> NaiveDate {
    let january_first = |year| NaiveDate::from_ymd_opt(year, 1, 1);
    let mut year = today.year();
    while let (Some(first), Some(next)) = (january_first(year), january_first(year + 1)) {
        if holidays.range(first..next).count() < HOLIDAYS_IN_A_LOADED_YEAR {
            return first;
        }
        year += 1;
    }
    today
}

/// The desk's note while the calendar ends within [`HOLIDAY_CALENDAR_NOTICE_DAYS`] of `today`, or
/// does not hold this year: past its end, T+N skips weekends only, so payouts would fall due on
/// bank holidays.
pub fn holiday_calendar_warning(today: NaiveDate, end: NaiveDate) -> Option<String> {
    const ASK: &str = "Ask the on-call engineer to load them (runbook holiday-calendar.md).";
    if end <= today {
        Some(format!(
            "The bank-holiday calendar does not hold {}'s holidays: T+N skips weekends only, so payouts may fall due on a bank holiday. {ASK}",
            today.year()
        ))
    } else if (end - today).num_days() <= HOLIDAY_CALENDAR_NOTICE_DAYS {
        Some(format!(
            "The bank-holiday calendar ends on {}: payouts due after it skip weekends only until {}'s holidays are loaded. {ASK}",
            crate::ist::format_date(end.pred_opt().unwrap_or(end)),
            end.year()
        ))
    } else {
        None
    }
}

/// One merchant's terms as stored for the cycle being settled: the version in force, the rate
/// card and the fee bearers (each the latest entry on or before the cycle date).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MerchantTerms {
    pub merchant_id: String,
    /// The date the configuration version took effect (`None`: nothing stored, the defaults).
    pub effective_from: Option<NaiveDate>,
    pub cycle_days: u32,
    pub min_settlement: Paise,
    pub preferred_rail: Rail,
    pub gst_rate: Decimal,
    pub tds_enabled: bool,
    pub tds_rate: Decimal,
    pub has_pan: bool,
    pub reserve_enabled: bool,
    pub reserve_rate: Decimal,
    pub reserve_hold_days: u32,
    /// (payment method, bank or `None` for any bank, commission).
    pub commission: Vec<(String, Option<String>, CommissionTerm)>,
    /// (payment method, bearer) where someone other than the merchant bears the fee.
    pub fee_bearers: Vec<(String, FeeBearer)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommissionTerm {
    Percent(Decimal),
    FixedPaise(Paise),
}

impl MerchantTerms {
    /// The terms of a merchant with nothing configured (spec 4.1's defaults).
    pub fn defaults(merchant_id: &str, has_pan: bool) -> MerchantTerms {
        MerchantTerms {
            merchant_id: merchant_id.to_string(),
            effective_from: None,
            cycle_days: 1,
            min_settlement: Paise(100_00),
            preferred_rail: Rail::Neft,
            gst_rate: Decimal::new(18, 2),
            tds_enabled: false,
            tds_rate: Decimal::new(1, 3),
            has_pan,
            reserve_enabled: false,
            reserve_rate: Decimal::ZERO,
            reserve_hold_days: 0,
            commission: Vec::new(),
            fee_bearers: Vec::new(),
        }
    }

    /// The commission for a payment by `method` through `bank`: a rate for that bank first, then
    /// the mode's rate for any bank, then the 2 % default. A rate card's bank codes are upper case
    /// (`HDFC`); uploads store a payment's bank so too, and migration 20261221000001 brought older
    /// payments to that form, but one written by an instance still on the older release during a
    /// deploy may have it as its PG file spelt it (`hdfc`, ` HDFC `): compared without regard to
    /// ASCII case or surrounding spaces.
    pub fn commission_for(&self, method: &str, bank: Option<&str>) -> Commission {
        let for_bank = |bank: &str| {
            let bank = bank.trim();
            self.commission
                .iter()
                .find(|(m, b, _)| m == method && b.as_deref().is_some_and(|b| b.eq_ignore_ascii_case(bank)))
                .map(|(_, _, c)| *c)
        };
        let any_bank = || self.commission.iter().find(|(m, b, _)| m == method && b.is_none()).map(|(_, _, c)| *c);
        match bank.and_then(for_bank).or_else(any_bank) {
            Some(CommissionTerm::Percent(rate)) => Commission::Percent(rate),
            Some(CommissionTerm::FixedPaise(fee)) => Commission::FixedPaise(fee),
            None => Commission::Percent(DEFAULT_COMMISSION),
        }
    }

    pub fn bearer_for(&self, method: &str) -> FeeBearer {
        self.fee_bearers.iter().find(|(m, _)| m == method).map_or(FeeBearer::Merchant, |(_, b)| *b)
    }

    /// The TDS rate applied, if TDS is on: 5 % without a PAN.
    pub fn tds(&self) -> Option<Decimal> {
        self.tds_enabled.then_some(if self.has_pan { self.tds_rate } else { TDS_RATE_WITHOUT_PAN })
    }

    /// The calculator's terms for one payment.
    pub fn for_payment(&self, method: &str, bank: Option<&str>) -> Terms {
        Terms {
            commission: self.commission_for(method, bank),
            gst_rate: self.gst_rate,
            tds_rate: self.tds(),
            reserve_rate: self.reserve_enabled.then_some(self.reserve_rate),
            fee_bearer: self.bearer_for(method),
        }
    }
}

/// One eligible transaction of a merchant's batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub transaction_id: i64,
    pub amount: Paise,
    pub method: String,
    pub bank: Option<String>,
}

/// Something the merchant owes back (a LOST chargeback's recovery or a refund), oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owed<K> {
    pub key: K,
    /// What is still to recover (amount − already applied).
    pub outstanding: Paise,
}

/// A hold of the rolling reserve that has come due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueRelease {
    pub hold_id: i64,
    pub amount: Paise,
}

/// What one merchant's cycle comes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan<K> {
    Batch(BatchPlan<K>),
    /// Net below the minimum: no batch; the transactions wait for the merchant's next batch.
    CarryForward {
        txn_count: i64,
        gross: Paise,
        net: Paise,
        minimum: Paise,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPlan<K> {
    pub items: Vec<(i64, ItemBreakdown, FeeBearer)>,
    pub totals: BatchTotals,
    /// (what is owed, the part applied in this batch).
    pub applied: Vec<(K, Paise)>,
    pub released: Vec<DueRelease>,
    pub status: Status,
    pub rail: Rail,
}

/// The most that deductions may take from a batch: 30 % of its gross (rounded down, so the cap is
/// never passed), and never more than the batch would pay (net stays ≥ 0).
pub fn deduction_cap(gross: Paise, payable: Paise) -> Paise {
    let cap = gross.0.max(0) / 100 * DEDUCTION_CAP_PERCENT + gross.0.max(0) % 100 * DEDUCTION_CAP_PERCENT / 100;
    Paise(cap.min(payable.0.max(0)))
}

/// Apply what is owed, oldest first, up to `cap`: each entry in full while the cap allows, the
/// last one in part; the rest is carried to the next batch (the entries keep their outstanding).
pub fn allocate<K: Clone>(owed: &[Owed<K>], cap: Paise) -> Vec<(K, Paise)> {
    let mut left = cap.0.max(0);
    let mut applied = Vec::new();
    for o in owed {
        if left == 0 {
            break;
        }
        let take = o.outstanding.0.max(0).min(left);
        if take > 0 {
            applied.push((o.key.clone(), Paise(take)));
            left -= take;
        }
    }
    applied
}

/// One merchant's cycle: each payment settled by its terms, due reserve released, what is owed
/// deducted up to the cap; below the minimum settlement amount nothing is applied or released and
/// the cycle is carried forward.
pub fn plan<K: Clone>(
    terms: &MerchantTerms,
    payments: &[Payment],
    owed: &[Owed<K>],
    due: &[DueRelease],
) -> Result<Plan<K>, PlanError> {
    let mut items = Vec::with_capacity(payments.len());
    for p in payments {
        let t = terms.for_payment(&p.method, p.bank.as_deref());
        let item = settle_item(p.amount, &t)?;
        // Fees and TDS above the amount (a fixed fee on a tiny payment) would pay the merchant less
        // than nothing: the merchant is left out of the run, with the reason, for the terms to be fixed.
        if item.net < Paise::ZERO || item.reserve < Paise::ZERO {
            return Err(PlanError::FeesAboveAmount { transaction_id: p.transaction_id, amount: p.amount });
        }
        items.push((p.transaction_id, item, t.fee_bearer));
    }
    let breakdowns: Vec<ItemBreakdown> = items.iter().map(|(_, b, _)| *b).collect();
    let released = Paise::checked_sum(due.iter().map(|d| d.amount))?;
    let before_deductions = BatchTotals::from_items(&breakdowns, Paise::ZERO, released)?;
    let cap = deduction_cap(before_deductions.gross, before_deductions.net);
    let applied = allocate(owed, cap);
    let deductions = Paise::checked_sum(applied.iter().map(|(_, p)| *p))?;
    let totals = BatchTotals::from_items(&breakdowns, deductions, released)?;
    // Nothing to pay, or less than the merchant's minimum: wait for the next batch (the net shown
    // is the one decided on, after deductions and released reserve).
    if totals.net < terms.min_settlement.max(Paise(1)) {
        return Ok(Plan::CarryForward {
            txn_count: totals.txn_count,
            gross: totals.gross,
            net: totals.net,
            minimum: terms.min_settlement,
        });
    }
    Ok(Plan::Batch(BatchPlan {
        items,
        totals,
        applied,
        released: due.to_vec(),
        status: initial_status(totals.net),
        rail: rail(totals.net, terms.preferred_rail),
    }))
}

/// Why a merchant's cycle could not be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    Overflow,
    /// Commission, GST and TDS above a payment's amount.
    FeesAboveAmount {
        transaction_id: i64,
        amount: Paise,
    },
}

impl From<MoneyOverflow> for PlanError {
    fn from(_: MoneyOverflow) -> Self {
        PlanError::Overflow
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Overflow => f.write_str(&MoneyOverflow.to_string()),
            PlanError::FeesAboveAmount { transaction_id, amount } => write!(
                f,
                "the fees and TDS on transaction {transaction_id} ({}) are more than its amount; fix the merchant's terms",
                amount.to_inr()
            ),
        }
    }
}

/// One line of the bank's bulk-transfer file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayoutLine {
    pub beneficiary_name: String,
    pub account_number: String,
    pub ifsc: String,
    pub amount: Paise,
    pub rail: Rail,
    pub batch_ref: String,
}

pub const PAYOUT_FILE_HEADER: &str = "beneficiary_name,account_number,ifsc,amount,rail,batch_ref";

/// The bank bulk-transfer CSV: a header, then one line per batch in batch-reference order, amounts
/// in rupees with two decimals, `\r\n` line ends (what bank portals expect). The same batches
/// always give the same bytes. Names are quoted when they hold a comma or quote; a name starting
/// with a formula character is prefixed with `'` so a spreadsheet shows it as text.
pub fn payout_csv(lines: &[PayoutLine]) -> String {
    let mut sorted: Vec<&PayoutLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.batch_ref.cmp(&b.batch_ref));
    let mut out = String::with_capacity(64 * (lines.len() + 1));
    out.push_str(PAYOUT_FILE_HEADER);
    out.push_str("\r\n");
    for l in sorted {
        let fields = [
            field(&l.beneficiary_name),
            field(&l.account_number),
            field(&l.ifsc),
            l.amount.to_rupees_plain(),
            l.rail.code().to_string(),
            field(&l.batch_ref),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_holiday_calendar_covers_the_years_it_holds_in_full_and_warns_before_it_ends() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // `n` dates of `year`, the first days of January (the rule counts dates per year).
        let year_of = |year: i32, n: u32| (1..=n).map(move |d| NaiveDate::from_ymd_opt(year, 1, d).unwrap());
        let end = |today, days: &mut dyn Iterator<Item = NaiveDate>| holiday_calendar_end(today, &days.collect());
        let today = day(2026, 12, 5);
        let full = || year_of(2026, 17).chain(year_of(2027, 11));
        assert_eq!(end(today, &mut full()), day(2028, 1, 1));
        assert_eq!(end(day(2027, 3, 1), &mut full()), day(2028, 1, 1), "from today's year on");
        // A year with fewer than eight holidays is not loaded, even with a later one after it.
        assert_eq!(end(today, &mut full().chain(year_of(2028, 7))), day(2028, 1, 1));
        assert_eq!(end(today, &mut full().chain(year_of(2028, 8))), day(2029, 1, 1));
        assert_eq!(end(today, &mut year_of(2026, 17).chain(year_of(2082, 12))), day(2027, 1, 1));
        assert_eq!(end(today, &mut std::iter::empty()), day(2026, 1, 1), "empty: this year is missing");

        let end = day(2028, 1, 1);
        assert_eq!(holiday_calendar_warning(today, end), None);
        assert_eq!(holiday_calendar_warning(day(2027, 11, 1), end), None, "61 days before the end");
        let soon = holiday_calendar_warning(day(2027, 11, 2), end).expect("60 days before the end");
        assert!(soon.starts_with("The bank-holiday calendar ends on 31 Dec 2027:"), "{soon}");
        assert!(soon.contains("until 2028's holidays are loaded") && soon.contains("holiday-calendar.md"), "{soon}");
        let missing = holiday_calendar_warning(day(2028, 1, 1), end).expect("the end reached");
        assert!(missing.starts_with("The bank-holiday calendar does not hold 2028's holidays"), "{missing}");
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_method_without_a_rate_takes_the_default_commission_and_the_merchant_bears_it() {
        // Payments whose file did not say the method (issue 11: method UNKNOWN) settle like any
        // method the merchant's terms give no rate for.
        let mut t = MerchantTerms::defaults("M", true);
        t.commission.push(("UPI".into(), None, CommissionTerm::Percent(dec("0.003"))));
        assert_eq!(t.commission_for("UNKNOWN", Some("HDFC")), Commission::Percent(DEFAULT_COMMISSION));
        assert_eq!(t.commission_for("UPI", None), Commission::Percent(dec("0.003")));
        assert_eq!(t.bearer_for("UNKNOWN"), FeeBearer::Merchant);
    }

    #[test]
    fn approval_and_rail_thresholds() {
        assert_eq!(initial_status(Paise(1_00_000_00)), Status::Approved, "₹1,00,000.00 exactly is approved at once");
        assert_eq!(initial_status(Paise(1_00_000_01)), Status::PendingApproval, "₹1,00,000.01 waits for a checker");
        assert_eq!(rail(Paise(1_99_999_99), Rail::Imps), Rail::Imps);
        assert_eq!(rail(Paise(2_00_000_00), Rail::Neft), Rail::Rtgs);
    }

    #[test]
    fn lifecycle_moves_and_maker_checker() {
        use Action as A;
        use Status as S;
        assert_eq!(transition(S::PendingApproval, None, A::Approve, false), Ok(S::Approved));
        let refused = transition(S::PendingApproval, None, A::Approve, true).unwrap_err();
        assert!(refused.0.contains("Maker-checker"), "{refused}");
        assert_eq!(transition(S::Approved, None, A::Hold, false), Ok(S::OnHold));
        assert_eq!(transition(S::OnHold, Some(S::Approved), A::Release, false), Ok(S::Approved));
        assert_eq!(transition(S::OnHold, Some(S::PendingApproval), A::Release, true), Ok(S::PendingApproval));
        assert_eq!(transition(S::Sent, None, A::Paid, false), Ok(S::Paid));
        assert_eq!(transition(S::Sent, None, A::Failed, false), Ok(S::Failed));
        assert_eq!(transition(S::Failed, None, A::Requeue, false), Ok(S::Approved));
        assert_eq!(transition(S::Failed, None, A::Paid, false), Ok(S::Paid), "paid after all");
        for (from, action) in [
            (S::Paid, A::Approve),
            (S::Approved, A::Approve),
            (S::Approved, A::Paid),
            (S::Rejected, A::Release),
            (S::Paid, A::Failed),
            (S::Calculated, A::Paid),
        ] {
            assert!(transition(from, None, action, false).is_err(), "{from:?} {action:?}");
        }
        assert_eq!(available(S::PendingApproval), vec![A::Approve, A::Reject, A::Hold]);
        assert_eq!(available(S::Sent), vec![A::Paid, A::Failed]);
        assert_eq!(available(S::Calculated), vec![A::Approve, A::Reject]);
        assert_eq!(available(S::Failed), vec![A::Paid, A::Requeue]);
        assert!(available(S::Paid).is_empty());
    }

    #[test]
    fn t_plus_n_counts_business_days() {
        let holidays: BTreeSet<NaiveDate> = [d("2026-12-25")].into();
        // Thu 24 Dec + 1 business day: Fri 25 is Christmas, then a weekend → Mon 28.
        assert_eq!(payout_due_on(d("2026-12-24"), 1, &holidays), d("2026-12-28"));
        // Fri 27 Nov + 1 → Mon 30 Nov; Sat 28 Nov + 0 → Mon 30 Nov.
        assert_eq!(payout_due_on(d("2026-11-27"), 1, &holidays), d("2026-11-30"));
        assert_eq!(payout_due_on(d("2026-11-28"), 0, &holidays), d("2026-11-30"));
        assert_eq!(payout_due_on(d("2026-11-30"), 2, &holidays), d("2026-12-02"));
    }

    #[test]
    fn ifsc_account_mask_and_utr() {
        assert!(valid_ifsc("HDFC0001234"));
        assert!(valid_ifsc("SBIN0ABC123"));
        for bad in ["HDFC1001234", "hdfc0001234", "HDFC000123", "HDF00001234", "HDFC0001234X"] {
            assert!(!valid_ifsc(bad), "{bad}");
        }
        assert_eq!(mask_account("50100234567890"), "XXXXXXXXXX7890");
        assert_eq!(mask_account("123"), "XXXX123");
        assert_eq!(parse_utr(" hdfcn52026120112 "), Ok("HDFCN52026120112".into()));
        assert!(parse_utr("UTR-1").is_err());
    }

    #[test]
    fn failure_reasons() {
        assert_eq!(FailureCode::AccountClosed.reason(None), Ok("Beneficiary account closed".into()));
        assert_eq!(
            FailureCode::BankTimeout.reason(Some(" retry tomorrow ")),
            Ok("Bank timeout: retry tomorrow".into())
        );
        assert!(FailureCode::Other.reason(Some("  ")).is_err());
        assert_eq!(FailureCode::Other.reason(Some("Frozen by court order")), Ok("Other: Frozen by court order".into()));
    }

    fn terms() -> MerchantTerms {
        MerchantTerms { min_settlement: Paise(100_00), ..MerchantTerms::defaults("MERCH_001", true) }
    }

    fn pay(id: i64, rupees: i64) -> Payment {
        Payment { transaction_id: id, amount: Paise(rupees * 100), method: "UPI".into(), bank: None }
    }

    #[test]
    fn commission_lookup_prefers_the_bank_then_the_mode_then_the_default() {
        let mut t = terms();
        t.commission = vec![
            ("CARD".into(), None, CommissionTerm::Percent(dec("0.018"))),
            ("CARD".into(), Some("HDFC".into()), CommissionTerm::Percent(dec("0.015"))),
            ("UPI".into(), None, CommissionTerm::FixedPaise(Paise(300))),
        ];
        assert_eq!(t.commission_for("CARD", Some("HDFC")), Commission::Percent(dec("0.015")));
        assert_eq!(t.commission_for("CARD", Some("ICICI")), Commission::Percent(dec("0.018")));
        // The file's spelling of the bank: its case and surrounding spaces do not matter, a
        // different name does.
        assert_eq!(t.commission_for("CARD", Some("hdfc")), Commission::Percent(dec("0.015")));
        assert_eq!(t.commission_for("CARD", Some(" Hdfc ")), Commission::Percent(dec("0.015")));
        assert_eq!(t.commission_for("CARD", Some("HDFC Bank")), Commission::Percent(dec("0.018")));
        assert_eq!(t.commission_for("UPI", Some("HDFC")), Commission::FixedPaise(Paise(300)));
        assert_eq!(t.commission_for("WALLET", None), Commission::Percent(dec("0.02")));
        t.tds_enabled = true;
        assert_eq!(t.tds(), Some(dec("0.001")));
        t.has_pan = false;
        assert_eq!(t.tds(), Some(dec("0.05")), "5 % without a PAN");
    }

    #[test]
    fn deductions_are_capped_at_30_percent_and_the_rest_carried() {
        // Gross ₹10,000: cap ₹3,000. Owed ₹2,000 then ₹2,500: the first in full, ₹1,000 of the second.
        let owed =
            vec![Owed { key: 'a', outstanding: Paise(2_000_00) }, Owed { key: 'b', outstanding: Paise(2_500_00) }];
        let Plan::Batch(b) = plan(&terms(), &[pay(1, 10_000)], &owed, &[]).unwrap() else { panic!("a batch") };
        assert_eq!(b.applied, vec![('a', Paise(2_000_00)), ('b', Paise(1_000_00))]);
        assert_eq!(b.totals.deductions, Paise(3_000_00));
        // ₹10,000 − 2 % (₹200) − 18 % GST (₹36) − ₹3,000 = ₹6,764.
        assert_eq!(b.totals.net, Paise(6_764_00));
        assert!(b.totals.balances());
        assert_eq!(deduction_cap(Paise(333), Paise(1_000)), Paise(99), "30 % of 333 is 99.9: rounded down");
        assert_eq!(deduction_cap(Paise(10_000), Paise(50)), Paise(50), "never past what the batch pays");
    }

    #[test]
    fn below_the_minimum_the_cycle_is_carried_forward() {
        let plan = plan(&terms(), &[pay(1, 50), pay(2, 40)], &[] as &[Owed<()>], &[]).unwrap();
        // ₹90 − ₹1.80 − ₹0.32 (GST on ₹1.80 is 32.4 paise) = ₹87.88 < ₹100.
        assert_eq!(
            plan,
            Plan::CarryForward { txn_count: 2, gross: Paise(90_00), net: Paise(87_88), minimum: Paise(100_00) }
        );
    }

    #[test]
    fn released_reserve_is_added_back() {
        let due = [DueRelease { hold_id: 7, amount: Paise(500_00) }];
        let Plan::Batch(b) = plan(&terms(), &[pay(1, 1_000)], &[] as &[Owed<()>], &due).unwrap() else { panic!() };
        assert_eq!(b.totals.reserve_released, Paise(500_00));
        assert_eq!(b.totals.net, Paise(976_40 + 500_00));
        assert_eq!(b.released, due.to_vec());
    }

    #[test]
    fn payout_file_bytes() {
        let lines = [
            PayoutLine {
                beneficiary_name: "Zomato Ltd".into(),
                account_number: "50100234567890".into(),
                ifsc: "HDFC0001234".into(),
                amount: Paise(2_50_000_05),
                rail: Rail::Rtgs,
                batch_ref: "STL-20261130-MERCH_005".into(),
            },
            PayoutLine {
                beneficiary_name: "=HYPERLINK(\"x\"), Ltd".into(),
                account_number: "000123456789".into(),
                ifsc: "SBIN0000001".into(),
                amount: Paise(99_00),
                rail: Rail::Neft,
                batch_ref: "STL-20261130-MERCH_001".into(),
            },
        ];
        assert_eq!(
            payout_csv(&lines),
            "beneficiary_name,account_number,ifsc,amount,rail,batch_ref\r\n\
             \"'=HYPERLINK(\"\"x\"\"), Ltd\",000123456789,SBIN0000001,99.00,NEFT,STL-20261130-MERCH_001\r\n\
             Zomato Ltd,50100234567890,HDFC0001234,250000.05,RTGS,STL-20261130-MERCH_005\r\n"
        );
    }

    fn arb_terms() -> impl Strategy<Value = MerchantTerms> {
        let bp = 0i64..=2_000;
        (
            prop_oneof![
                bp.clone().prop_map(|b| CommissionTerm::Percent(Decimal::new(b, 4))),
                (0i64..5_000).prop_map(|p| CommissionTerm::FixedPaise(Paise(p)))
            ],
            prop_oneof![Just(FeeBearer::Merchant), Just(FeeBearer::Payer), Just(FeeBearer::Bank)],
            proptest::option::of(0i64..=100),
            proptest::option::of(0i64..=2_000),
            0i64..50_000,
            any::<bool>(),
        )
            .prop_map(|(commission, bearer, tds_bp, reserve_bp, min, has_pan)| MerchantTerms {
                commission: vec![("UPI".into(), None, commission)],
                fee_bearers: vec![("UPI".into(), bearer)],
                tds_enabled: tds_bp.is_some(),
                tds_rate: Decimal::new(tds_bp.unwrap_or(10), 4),
                has_pan,
                reserve_enabled: reserve_bp.is_some(),
                reserve_rate: Decimal::new(reserve_bp.unwrap_or(0), 4),
                min_settlement: Paise(min),
                ..MerchantTerms::defaults("M", has_pan)
            })
    }

    proptest! {
        /// Over a run of cycles, every batch balances to the paisa, deductions never pass 30 % of
        /// gross, and what is owed is conserved: applied in batches + still outstanding = owed.
        #[test]
        fn batches_balance_and_carried_amounts_are_conserved(
            terms in arb_terms(),
            cycles in proptest::collection::vec(proptest::collection::vec(1i64..5_000_000, 0..8), 1..6),
            owed in proptest::collection::vec(1i64..2_000_000, 0..5),
            releases in proptest::collection::vec(1i64..100_000, 0..3),
        ) {
            let mut outstanding: Vec<Owed<usize>> =
                owed.iter().enumerate().map(|(k, a)| Owed { key: k, outstanding: Paise(*a) }).collect();
            let mut due: Vec<DueRelease> =
                releases.iter().enumerate().map(|(i, a)| DueRelease { hold_id: i as i64, amount: Paise(*a) }).collect();
            let mut waiting: Vec<Payment> = Vec::new();
            let mut applied_total = 0i64;
            let mut settled_txns = 0i64;
            let mut dropped_txns = 0i64;
            let mut released_total = 0i64;
            let all_txns: usize = cycles.iter().map(Vec::len).sum();
            let mut next_id = 0;
            for cycle in cycles {
                for amount in cycle {
                    next_id += 1;
                    waiting.push(Payment { transaction_id: next_id, amount: Paise(amount), method: "UPI".into(), bank: None });
                }
                if waiting.is_empty() {
                    continue;
                }
                match plan(&terms, &waiting, &outstanding, &due) {
                    Ok(Plan::Batch(b)) => {
                        prop_assert!(b.totals.balances(), "{:?}", b.totals);
                        prop_assert!(b.totals.net.0 >= terms.min_settlement.0.max(1));
                        prop_assert!(b.totals.deductions.0 * 100 <= b.totals.gross.0 * DEDUCTION_CAP_PERCENT);
                        prop_assert_eq!(b.totals.reserve_released.0, due.iter().map(|r| r.amount.0).sum::<i64>(), "every due hold released, once");
                        for (k, p) in &b.applied {
                            let o = outstanding.iter_mut().find(|o| o.key == *k).unwrap();
                            prop_assert!(p.0 > 0 && p.0 <= o.outstanding.0);
                            o.outstanding.0 -= p.0;
                            applied_total += p.0;
                        }
                        outstanding.retain(|o| o.outstanding.0 > 0);
                        released_total += b.totals.reserve_released.0;
                        due.clear();
                        settled_txns += b.totals.txn_count;
                        waiting.clear();
                    }
                    Ok(Plan::CarryForward { txn_count, net, minimum, .. }) => {
                        prop_assert_eq!(txn_count, waiting.len() as i64);
                        prop_assert!(net < minimum.max(Paise(1)), "carried only below the minimum: {:?} vs {:?}", net, minimum);
                    }
                    Err(PlanError::FeesAboveAmount { transaction_id, amount }) => {
                        // Only a fixed fee can pass an amount (percent rates here stay below 100 %).
                        let fee = match terms.commission_for("UPI", None) { Commission::FixedPaise(f) => f.0, _ => 0 };
                        prop_assert!(fee > 0 && amount.0 <= fee * 2, "{} of {:?} refused with a fee of {}", transaction_id, amount, fee);
                        dropped_txns += waiting.len() as i64;
                        waiting.clear();
                    }
                    Err(PlanError::Overflow) => prop_assert!(false, "no overflow at these amounts"),
                }
            }
            let still: i64 = outstanding.iter().map(|o| o.outstanding.0).sum();
            prop_assert_eq!(applied_total + still, owed.iter().sum::<i64>());
            prop_assert_eq!(settled_txns + dropped_txns + waiting.len() as i64, all_txns as i64);
            let still_due: i64 = due.iter().map(|r| r.amount.0).sum();
            prop_assert_eq!(released_total + still_due, releases.iter().sum::<i64>(), "reserve released is conserved");
        }
    }
}
