//! The merchant terms' shapes: what the list and the merchant page show, the admin's edit form and
//! the JSON API's body as they arrive, and [`NewTerms`], one validated terms version that both of
//! them parse into (pure, so the rules of what is accepted are unit-tested here). Rates are
//! fractions (`0.018`) everywhere except the form, where people type percent (`1.8`). Account
//! numbers leave this module masked, except in the admin's prefilled [`TermsForm`].

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::features::settlements::calc::FeeBearer;
use crate::features::settlements::rules::{mask_account, valid_ifsc, CommissionTerm, MerchantTerms, Rail};
use crate::money::Paise;

/// The payment modes a merchant's rate card covers, in the order the pages show them.
pub const METHODS: [&str; 7] = ["UPI", "CARD", "NETBANKING", "WALLET", "NEFT", "RTGS", "IMPS"];
pub const MAX_CYCLE_DAYS: i64 = 30;
pub const MAX_HOLD_DAYS: i64 = 365;
/// Decimals the tables keep: config rates `NUMERIC(7, 4)`, commission rates `NUMERIC(9, 6)`.
const CONFIG_RATE_DECIMALS: u32 = 4;
const COMMISSION_RATE_DECIMALS: u32 = 6;
/// The largest fixed commission per transaction: ₹1,000.
pub const MAX_FIXED_COMMISSION: Paise = Paise(1_000_00);

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

/// A bank account. Outside the admin's edit form the number is always [`BankAccount::masked`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAccount {
    pub holder_name: String,
    pub account_number: String,
    pub ifsc: String,
    pub bank_name: String,
}

impl BankAccount {
    pub fn masked(&self) -> BankAccount {
        BankAccount { account_number: mask_account(&self.account_number), ..self.clone() }
    }

    /// Checked as the table's CHECKs and the bank's file need it; the IFSC is taken upper-cased.
    pub fn parse(
        holder_name: &str,
        account_number: &str,
        ifsc: &str,
        bank_name: &str,
    ) -> Result<BankAccount, AppError> {
        let holder_name = holder_name.trim();
        if !valid_holder_name(holder_name) {
            return Err(bad("Account holder must be 2 to 100 characters: letters, digits, spaces and . & ' ( ) / -, starting with a letter or digit.".into()));
        }
        let account_number: String = account_number.trim().chars().filter(|c| *c != ' ').collect();
        if !(9..=18).contains(&account_number.len()) || !account_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("Account number must be 9 to 18 digits.".into()));
        }
        let ifsc = ifsc.trim().to_ascii_uppercase();
        if !valid_ifsc(&ifsc) {
            return Err(bad(format!(
                "IFSC {ifsc:?} is not valid: four letters, a zero, then six letters or digits (e.g. HDFC0001234)."
            )));
        }
        let bank_name = bank_name.trim();
        if bank_name.is_empty() || bank_name.chars().count() > 100 {
            return Err(bad("Bank name must be 1 to 100 characters.".into()));
        }
        Ok(BankAccount { holder_name: holder_name.to_string(), account_number, ifsc, bank_name: bank_name.to_string() })
    }
}

/// `^[A-Za-z0-9][A-Za-z0-9 .&'()/-]{1,99}$` (the table's CHECK).
pub fn valid_holder_name(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=100).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[1..].iter().all(|c| c.is_ascii_alphanumeric() || b" .&'()/-".contains(c))
}

/// One terms version, validated: what a save writes (config + a rate and a bearer per mode, and
/// the bank account when it changes).
#[derive(Clone, Debug, PartialEq)]
pub struct NewTerms {
    pub effective_from: NaiveDate,
    pub cycle_days: i16,
    pub min_settlement: Paise,
    pub preferred_rail: Rail,
    pub gst_rate: Decimal,
    pub tds_enabled: bool,
    pub tds_rate: Decimal,
    pub reserve_enabled: bool,
    pub reserve_rate: Decimal,
    pub reserve_hold_days: i16,
    /// (mode, bank or `None` for any bank, commission): every mode for any bank, and bank rows.
    pub commission: Vec<(String, Option<String>, CommissionTerm)>,
    /// Every mode with its bearer.
    pub fee_bearers: Vec<(String, FeeBearer)>,
    pub bank_account: Option<BankAccount>,
}

impl NewTerms {
    /// The version as it is written over `in_force` (the terms in force on its date, read in the
    /// saving transaction): every bank-specific rate in force that the version does not restate
    /// gets a row of the mode's new any-bank rate from the version's date, so the bank override
    /// ends there (`terms_on` takes the latest row per mode × bank, and a version without it would
    /// leave the old bank row winning). Then refused (400) when, for some rate, commission × (1 +
    /// GST) + TDS (as applied: 5 % without a PAN) + reserve reaches 100 % of a payment.
    pub fn over(&self, in_force: &MerchantTerms) -> Result<NewTerms, AppError> {
        let mut new = self.clone();
        for (m, bank, _) in in_force.commission.iter().filter(|(_, b, _)| b.is_some()) {
            if new.commission.iter().any(|(cm, cb, _)| cm == m && cb == bank) {
                continue;
            }
            let any_bank = match new.commission.iter().find(|(cm, cb, _)| cm == m && cb.is_none()) {
                Some((_, _, t)) => *t,
                None => match in_force.commission_for(m, None) {
                    crate::features::settlements::calc::Commission::Percent(r) => CommissionTerm::Percent(r),
                    crate::features::settlements::calc::Commission::FixedPaise(p) => CommissionTerm::FixedPaise(p),
                },
            };
            new.commission.push((m.clone(), bank.clone(), any_bank));
        }
        new.check_net(in_force.has_pan)?;
        Ok(new)
    }

    /// Every rate leaves the merchant something: commission × (1 + GST) + TDS + reserve < 100 %
    /// (a fixed fee counts 0 % here; it is capped at [`MAX_FIXED_COMMISSION`] when parsed).
    pub fn check_net(&self, has_pan: bool) -> Result<(), AppError> {
        let tds = if !self.tds_enabled {
            Decimal::ZERO
        } else if has_pan {
            self.tds_rate
        } else {
            crate::features::settlements::rules::TDS_RATE_WITHOUT_PAN
        };
        let reserve = if self.reserve_enabled { self.reserve_rate } else { Decimal::ZERO };
        for (m, bank, term) in &self.commission {
            let commission = match term {
                CommissionTerm::Percent(r) => *r,
                CommissionTerm::FixedPaise(_) => Decimal::ZERO,
            };
            let total = commission * (Decimal::ONE + self.gst_rate) + tds + reserve;
            if total >= Decimal::ONE {
                let what = match bank {
                    Some(b) => format!("{m} commission for bank {b}"),
                    None => format!("{m} commission"),
                };
                let p = |r: Decimal| format!("{} %", percent_text(r));
                return Err(bad(format!(
                    "{what} {} plus GST {} on it, TDS {} and reserve {} take {} of each payment, leaving the \
                     merchant nothing: lower the {what}, TDS or reserve.",
                    p(commission),
                    p(self.gst_rate),
                    p(tds),
                    p(reserve),
                    p(total.round_dp(4)),
                )));
            }
        }
        Ok(())
    }
}

fn days(value: i64, field: &str, max: i64) -> Result<i16, AppError> {
    if (0..=max).contains(&value) {
        Ok(value as i16)
    } else {
        Err(bad(format!("{field} must be a whole number of days from 0 to {max}.")))
    }
}

fn days_text(text: &str, field: &str, max: i64) -> Result<i16, AppError> {
    let value = text
        .trim()
        .parse::<i64>()
        .map_err(|_| bad(format!("{field} must be a whole number of days from 0 to {max}.")))?;
    days(value, field, max)
}

/// A rate as a fraction (`0.018`), from 0 up to (not including) 1, with at most `decimals` places.
fn fraction(text: &str, field: &str, decimals: u32) -> Result<Decimal, AppError> {
    let rate = Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .map_err(|_| bad(format!("{field} must be a number (got {:?}).", text.trim())))?;
    check_fraction(rate, field, decimals)
}

fn check_fraction(rate: Decimal, field: &str, decimals: u32) -> Result<Decimal, AppError> {
    if rate.is_sign_negative() && !rate.is_zero() {
        return Err(bad(format!("{field} must not be negative.")));
    }
    if rate >= Decimal::ONE {
        return Err(bad(format!("{field} must be below 100 %.")));
    }
    let rate = rate.normalize();
    if rate.scale() > decimals {
        return Err(bad(format!("{field} has more than {decimals} decimals as a fraction; round it.")));
    }
    Ok(rate)
}

/// A rate typed in percent (`1.8` or `1.8 %`), as a fraction.
fn percent(text: &str, field: &str, decimals: u32) -> Result<Decimal, AppError> {
    let t = text.trim().trim_end_matches('%').trim();
    let value = Decimal::from_str(t)
        .map_err(|_| bad(format!("{field} must be a number of percent (got {:?}).", text.trim())))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(bad(format!("{field} must not be negative.")));
    }
    if value >= Decimal::ONE_HUNDRED {
        return Err(bad(format!("{field} must be below 100 %.")));
    }
    check_fraction(value / Decimal::ONE_HUNDRED, field, decimals)
}

fn rupees(text: &str, field: &str) -> Result<Paise, AppError> {
    Paise::parse_rupees(text).map_err(|e| bad(format!("{field}: {e}.")))
}

fn rail(code: &str) -> Result<Rail, AppError> {
    Rail::parse(code).ok_or_else(|| bad(format!("Preferred rail must be NEFT, RTGS or IMPS (got {:?}).", code.trim())))
}

fn method(code: &str) -> Result<String, AppError> {
    let m = code.trim().to_ascii_uppercase();
    if METHODS.contains(&m.as_str()) {
        Ok(m)
    } else {
        Err(bad(format!("Unknown payment mode {:?}: use one of {}.", code.trim(), METHODS.join(", "))))
    }
}

fn bearer(code: &str, field: &str) -> Result<FeeBearer, AppError> {
    FeeBearer::parse(code)
        .ok_or_else(|| bad(format!("{field} must be merchant, payer or bank (got {:?}).", code.trim())))
}

/// A rate in percent for the form's fields (`0.018` → `1.8`).
pub fn percent_text(rate: Decimal) -> String {
    (rate * Decimal::ONE_HUNDRED).normalize().to_string()
}

/// A rate for the JSON API: the fraction with at least four decimals (`0.0180`).
pub fn rate_text(rate: Decimal) -> String {
    let mut r = rate.normalize();
    if r.scale() < 4 {
        r.rescale(4);
    }
    r.to_string()
}

/// The admin's edit form as posted (`form[field]`, per mode `form[modes][UPI][kind]`): text as
/// typed, read by [`TermsForm::parse`]. A field left out reads as empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TermsForm {
    pub merchant_id: String,
    pub effective_from: String,
    pub cycle_days: String,
    /// Rupees.
    pub min_settlement: String,
    pub preferred_rail: String,
    /// Percent.
    pub gst_rate: String,
    /// A checkbox: present (any value) when ticked.
    pub tds_enabled: String,
    pub tds_rate: String,
    pub reserve_enabled: String,
    pub reserve_rate: String,
    pub reserve_hold_days: String,
    pub modes: BTreeMap<String, ModeForm>,
    pub holder_name: String,
    pub account_number: String,
    pub ifsc: String,
    pub bank_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModeForm {
    /// `percent` or `fixed`.
    pub kind: String,
    /// Percent, or rupees per transaction.
    pub value: String,
    pub bearer: String,
}

impl TermsForm {
    /// The form as the page fills it for an admin: the terms in force, the full account number.
    pub fn prefill(
        id: &str,
        terms: &MerchantTerms,
        account: Option<&BankAccount>,
        effective_from: NaiveDate,
    ) -> TermsForm {
        let modes = METHODS
            .iter()
            .map(|m| {
                let (kind, value) = match terms.commission.iter().find(|(cm, b, _)| cm == m && b.is_none()) {
                    Some((_, _, CommissionTerm::FixedPaise(p))) => ("fixed", p.to_rupees_plain()),
                    Some((_, _, CommissionTerm::Percent(r))) => ("percent", percent_text(*r)),
                    None => ("percent", percent_text(crate::features::settlements::rules::DEFAULT_COMMISSION)),
                };
                let form = ModeForm { kind: kind.into(), value, bearer: terms.bearer_for(m).code().into() };
                (m.to_string(), form)
            })
            .collect();
        let on = |b: bool| if b { "on".to_string() } else { String::new() };
        TermsForm {
            merchant_id: id.to_string(),
            effective_from: effective_from.to_string(),
            cycle_days: terms.cycle_days.to_string(),
            min_settlement: terms.min_settlement.to_rupees_plain(),
            preferred_rail: terms.preferred_rail.code().into(),
            gst_rate: percent_text(terms.gst_rate),
            tds_enabled: on(terms.tds_enabled),
            tds_rate: percent_text(terms.tds_rate),
            reserve_enabled: on(terms.reserve_enabled),
            reserve_rate: percent_text(terms.reserve_rate),
            reserve_hold_days: terms.reserve_hold_days.to_string(),
            modes,
            holder_name: account.map(|a| a.holder_name.clone()).unwrap_or_default(),
            account_number: account.map(|a| a.account_number.clone()).unwrap_or_default(),
            ifsc: account.map(|a| a.ifsc.clone()).unwrap_or_default(),
            bank_name: account.map(|a| a.bank_name.clone()).unwrap_or_default(),
        }
    }

    /// The version the form describes; `today` (IST) when the date is left empty. The bank account
    /// is `None` when its four fields are all empty.
    pub fn parse(&self, today: NaiveDate) -> Result<NewTerms, AppError> {
        let effective_from = match self.effective_from.trim() {
            "" => today,
            d => crate::ist::parse_date(d, "Effective from")?,
        };
        for key in self.modes.keys() {
            method(key)?;
        }
        let mut commission = Vec::new();
        let mut fee_bearers = Vec::new();
        for m in METHODS {
            let f = self.modes.get(m).ok_or_else(|| bad(format!("The {m} commission and fee bearer are missing.")))?;
            let term = match f.kind.trim().to_ascii_lowercase().as_str() {
                "percent" => {
                    CommissionTerm::Percent(percent(&f.value, &format!("{m} commission %"), COMMISSION_RATE_DECIMALS)?)
                }
                "fixed" => {
                    let field = format!("{m} fixed commission (₹)");
                    let fee = rupees(&f.value, &field)?;
                    if fee > MAX_FIXED_COMMISSION {
                        return Err(bad(format!(
                            "{field} must be at most {} per transaction.",
                            MAX_FIXED_COMMISSION.to_inr()
                        )));
                    }
                    CommissionTerm::FixedPaise(fee)
                }
                other => return Err(bad(format!("{m} commission kind must be percent or fixed (got {other:?})."))),
            };
            commission.push((m.to_string(), None, term));
            fee_bearers.push((m.to_string(), bearer(&f.bearer, &format!("{m} fee bearer"))?));
        }
        let account_fields = [&self.holder_name, &self.account_number, &self.ifsc, &self.bank_name];
        let bank_account = if account_fields.iter().all(|f| f.trim().is_empty()) {
            None
        } else {
            Some(BankAccount::parse(&self.holder_name, &self.account_number, &self.ifsc, &self.bank_name)?)
        };
        let checked = |f: &str| !f.trim().is_empty();
        Ok(NewTerms {
            effective_from,
            cycle_days: days_text(&self.cycle_days, "T+N (settlement cycle)", MAX_CYCLE_DAYS)?,
            min_settlement: rupees(&self.min_settlement, "Minimum settlement (₹)")?,
            preferred_rail: rail(&self.preferred_rail)?,
            gst_rate: percent(&self.gst_rate, "GST %", CONFIG_RATE_DECIMALS)?,
            tds_enabled: checked(&self.tds_enabled),
            tds_rate: percent(&self.tds_rate, "TDS %", CONFIG_RATE_DECIMALS)?,
            reserve_enabled: checked(&self.reserve_enabled),
            reserve_rate: percent(&self.reserve_rate, "Reserve %", CONFIG_RATE_DECIMALS)?,
            reserve_hold_days: days_text(&self.reserve_hold_days, "Reserve hold days", MAX_HOLD_DAYS)?,
            commission,
            fee_bearers,
            bank_account,
        })
    }
}

/// A rate in the JSON body: a string (`"0.018"`) or a number (`0.018`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RateValue {
    Text(String),
    Number(serde_json::Number),
}

impl RateValue {
    fn fraction(&self, field: &str, decimals: u32) -> Result<Decimal, AppError> {
        match self {
            RateValue::Text(t) => fraction(t, field, decimals),
            RateValue::Number(n) => fraction(&n.to_string(), field, decimals),
        }
    }
}

/// `PUT /v1/merchants/{id}/terms`'s body. A field left out keeps its value in the terms in force
/// on `effectiveFrom`; a mode left out of `commission` / `feeBearers` likewise, and so does a
/// bank-specific rate in force (restating it with the mode's rate for any bank removes it).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermsInput {
    pub effective_from: Option<String>,
    pub cycle_days: Option<i64>,
    pub min_settlement_paise: Option<i64>,
    pub preferred_rail: Option<String>,
    pub gst_rate: Option<RateValue>,
    pub tds_enabled: Option<bool>,
    pub tds_rate: Option<RateValue>,
    pub reserve_enabled: Option<bool>,
    pub reserve_rate: Option<RateValue>,
    pub reserve_hold_days: Option<i64>,
    pub commission: Option<Vec<CommissionInput>>,
    pub fee_bearers: Option<Vec<BearerInput>>,
    pub bank_account: Option<BankAccountInput>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommissionInput {
    pub method: String,
    pub bank: Option<String>,
    pub kind: String,
    pub rate: Option<RateValue>,
    pub fixed_paise: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BearerInput {
    pub method: String,
    pub bearer: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BankAccountInput {
    pub holder_name: String,
    pub account_number: String,
    pub ifsc: String,
    pub bank_name: String,
}

impl TermsInput {
    /// The effective date asked for; `today` (IST) when absent.
    pub fn effective_from(&self, today: NaiveDate) -> Result<NaiveDate, AppError> {
        match self.effective_from.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(today),
            Some(d) => crate::ist::parse_date(d, "effectiveFrom"),
        }
    }

    /// The version the body describes, over `current` (the terms in force on its date).
    pub fn parse(&self, today: NaiveDate, current: &MerchantTerms) -> Result<NewTerms, AppError> {
        let effective_from = self.effective_from(today)?;
        let rate = |v: &Option<RateValue>, field: &str, now: Decimal| {
            v.as_ref().map_or(Ok(now), |v| v.fraction(field, CONFIG_RATE_DECIMALS))
        };
        let min_settlement = match self.min_settlement_paise {
            None => current.min_settlement,
            Some(p) if p >= 0 => Paise(p),
            Some(_) => return Err(bad("minSettlementPaise must not be negative.".into())),
        };
        // Every mode for any bank from the terms in force, then the body's entries over them.
        let mut commission: Vec<(String, Option<String>, CommissionTerm)> = METHODS
            .iter()
            .map(|m| {
                let term = match current.commission_for(m, None) {
                    crate::features::settlements::calc::Commission::Percent(r) => CommissionTerm::Percent(r),
                    crate::features::settlements::calc::Commission::FixedPaise(p) => CommissionTerm::FixedPaise(p),
                };
                (m.to_string(), None, term)
            })
            .collect();
        // The bank-specific rates in force are kept unless the body restates them.
        commission.extend(current.commission.iter().filter(|(_, b, _)| b.is_some()).cloned());
        for c in self.commission.iter().flatten() {
            let m = method(&c.method)?;
            let bank = c.bank.as_deref().map(str::trim).filter(|b| !b.is_empty()).map(str::to_ascii_uppercase);
            if bank.as_ref().is_some_and(|b| b.len() > 32 || !b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
            {
                return Err(bad(format!("commission bank for {m} must be a bank code of letters and digits.")));
            }
            let term = match c.kind.trim().to_ascii_uppercase().as_str() {
                "PERCENT" => {
                    if c.fixed_paise.is_some() {
                        return Err(bad(format!("commission for {m}: a PERCENT rate takes rate, not fixedPaise.")));
                    }
                    let r = c.rate.as_ref().ok_or_else(|| bad(format!("commission for {m}: rate is missing.")))?;
                    CommissionTerm::Percent(r.fraction(&format!("commission rate for {m}"), COMMISSION_RATE_DECIMALS)?)
                }
                "FIXED" => {
                    if c.rate.is_some() {
                        return Err(bad(format!("commission for {m}: a FIXED fee takes fixedPaise, not rate.")));
                    }
                    match c.fixed_paise {
                        Some(p) if p > MAX_FIXED_COMMISSION.0 => {
                            return Err(bad(format!(
                                "commission fixedPaise for {m} must be at most {} ({} per transaction).",
                                MAX_FIXED_COMMISSION.0,
                                MAX_FIXED_COMMISSION.to_inr()
                            )))
                        }
                        Some(p) if p >= 0 => CommissionTerm::FixedPaise(Paise(p)),
                        Some(_) => return Err(bad(format!("commission fixedPaise for {m} must not be negative."))),
                        None => return Err(bad(format!("commission for {m}: fixedPaise is missing."))),
                    }
                }
                other => return Err(bad(format!("commission kind for {m} must be PERCENT or FIXED (got {other:?})."))),
            };
            commission.retain(|(cm, cb, _)| !(cm == &m && cb == &bank));
            commission.push((m, bank, term));
        }
        let mut fee_bearers: Vec<(String, FeeBearer)> =
            METHODS.iter().map(|m| (m.to_string(), current.bearer_for(m))).collect();
        for b in self.fee_bearers.iter().flatten() {
            let m = method(&b.method)?;
            let who = bearer(&b.bearer, &format!("feeBearers bearer for {m}"))?;
            if let Some(slot) = fee_bearers.iter_mut().find(|(fm, _)| fm == &m) {
                slot.1 = who;
            }
        }
        let bank_account = self
            .bank_account
            .as_ref()
            .map(|a| BankAccount::parse(&a.holder_name, &a.account_number, &a.ifsc, &a.bank_name))
            .transpose()?;
        Ok(NewTerms {
            effective_from,
            cycle_days: match self.cycle_days {
                None => current.cycle_days as i16,
                Some(d) => days(d, "cycleDays", MAX_CYCLE_DAYS)?,
            },
            min_settlement,
            preferred_rail: self.preferred_rail.as_deref().map_or(Ok(current.preferred_rail), rail)?,
            gst_rate: rate(&self.gst_rate, "gstRate", current.gst_rate)?,
            tds_enabled: self.tds_enabled.unwrap_or(current.tds_enabled),
            tds_rate: rate(&self.tds_rate, "tdsRate", current.tds_rate)?,
            reserve_enabled: self.reserve_enabled.unwrap_or(current.reserve_enabled),
            reserve_rate: rate(&self.reserve_rate, "reserveRate", current.reserve_rate)?,
            reserve_hold_days: match self.reserve_hold_days {
                None => current.reserve_hold_days as i16,
                Some(d) => days(d, "reserveHoldDays", MAX_HOLD_DAYS)?,
            },
            commission,
            fee_bearers,
            bank_account,
        })
    }
}

/// One commission line as the pages and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommissionLine {
    pub method: String,
    pub bank: Option<String>,
    /// `PERCENT` or `FIXED`.
    pub kind: String,
    /// The fraction (`"0.0180"`) for PERCENT.
    pub rate: Option<String>,
    pub fixed_paise: Option<i64>,
    /// Nothing configured for the mode: the 2 % default.
    pub is_default: bool,
}

impl CommissionLine {
    /// `1.8 %` or `₹2.50 per transaction`.
    pub fn text(&self) -> String {
        match (&self.rate, self.fixed_paise) {
            (_, Some(p)) => format!("{} per transaction", Paise(p).to_inr()),
            (Some(r), _) => format!("{} %", Decimal::from_str(r).map(percent_text).unwrap_or_else(|_| r.clone())),
            _ => "—".into(),
        }
    }
}

/// Every mode's any-bank line (the default where nothing is configured), then the bank rows.
pub fn commission_lines(terms: &MerchantTerms) -> Vec<CommissionLine> {
    let line = |m: &str, bank: Option<String>, term: Option<CommissionTerm>| {
        let is_default = term.is_none();
        let term = term.unwrap_or(CommissionTerm::Percent(crate::features::settlements::rules::DEFAULT_COMMISSION));
        let (kind, rate, fixed) = match term {
            CommissionTerm::Percent(r) => ("PERCENT", Some(rate_text(r)), None),
            CommissionTerm::FixedPaise(p) => ("FIXED", None, Some(p.0)),
        };
        CommissionLine { method: m.to_string(), bank, kind: kind.into(), rate, fixed_paise: fixed, is_default }
    };
    let mut lines: Vec<CommissionLine> = METHODS
        .iter()
        .map(|m| line(m, None, terms.commission.iter().find(|(cm, b, _)| cm == m && b.is_none()).map(|(_, _, t)| *t)))
        .collect();
    let mut banks: Vec<_> = terms.commission.iter().filter(|(_, b, _)| b.is_some()).collect();
    banks.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    lines.extend(banks.into_iter().map(|(m, b, t)| line(m, b.clone(), Some(*t))));
    lines
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BearerLine {
    pub method: String,
    pub bearer: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankAccountJson {
    pub holder_name: String,
    pub account_number_masked: String,
    pub ifsc: String,
    pub bank_name: String,
}

/// A merchant's terms as JSON: the API's answer and the audit row's before/after (the account
/// number masked in both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermsJson {
    pub merchant_id: String,
    /// The date the terms are read for.
    pub as_of: NaiveDate,
    /// The configuration version in force then (`None`: nothing stored, the defaults).
    pub effective_from: Option<NaiveDate>,
    pub cycle_days: u32,
    pub min_settlement_paise: i64,
    pub preferred_rail: String,
    pub gst_rate: String,
    pub has_pan: bool,
    pub tds_enabled: bool,
    pub tds_rate: String,
    /// The rate TDS is deducted at, when on: 5 % without a PAN.
    pub tds_applied_rate: Option<String>,
    pub reserve_enabled: bool,
    pub reserve_rate: String,
    pub reserve_hold_days: u32,
    pub commission: Vec<CommissionLine>,
    pub fee_bearers: Vec<BearerLine>,
    pub bank_account: Option<BankAccountJson>,
}

impl TermsJson {
    /// `account` is masked here whatever it holds.
    pub fn new(terms: &MerchantTerms, as_of: NaiveDate, account: Option<&BankAccount>) -> TermsJson {
        TermsJson {
            merchant_id: terms.merchant_id.clone(),
            as_of,
            effective_from: terms.effective_from,
            cycle_days: terms.cycle_days,
            min_settlement_paise: terms.min_settlement.0,
            preferred_rail: terms.preferred_rail.code().into(),
            gst_rate: rate_text(terms.gst_rate),
            has_pan: terms.has_pan,
            tds_enabled: terms.tds_enabled,
            tds_rate: rate_text(terms.tds_rate),
            tds_applied_rate: terms.tds().map(rate_text),
            reserve_enabled: terms.reserve_enabled,
            reserve_rate: rate_text(terms.reserve_rate),
            reserve_hold_days: terms.reserve_hold_days,
            commission: commission_lines(terms),
            fee_bearers: METHODS
                .iter()
                .map(|m| BearerLine { method: m.to_string(), bearer: terms.bearer_for(m).code().into() })
                .collect(),
            bank_account: account.map(|a| BankAccountJson {
                holder_name: a.holder_name.clone(),
                account_number_masked: mask_account(&a.account_number),
                ifsc: a.ifsc.clone(),
                bank_name: a.bank_name.clone(),
            }),
        }
    }
}

/// One row of the merchants list (the terms in force today).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MerchantRow {
    pub id: String,
    pub name: String,
    pub legal_name: String,
    pub terms: MerchantTerms,
    /// Masked.
    pub account: Option<BankAccount>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// The `/settlements/merchants` page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MerchantsView {
    pub today: NaiveDate,
    pub merchants: Vec<MerchantRow>,
    pub holidays: Vec<Holiday>,
    /// The note while the holiday calendar ends soon or lacks this year
    /// (`rules::holiday_calendar_warning`).
    pub holiday_note: Option<String>,
    /// Merchant codes files brought before the product knew them (issue 11).
    pub unknown: Vec<UnknownMerchantRow>,
    /// The caller may create or map them (admin).
    pub can_admin: bool,
}

/// A merchant code a file brought that the product did not know: its rows are reconciled but kept
/// out of settlement until an admin creates the merchant or maps the code to an existing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnknownMerchantRow {
    pub code: String,
    pub since: chrono::DateTime<chrono::Utc>,
    pub first_seen_file: Option<String>,
    pub transactions: i64,
    pub amount_paise: i64,
}

/// A terms version's place relative to today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersionStatus {
    Scheduled,
    InForce,
    Superseded,
}

impl VersionStatus {
    pub fn code(self) -> &'static str {
        match self {
            VersionStatus::Scheduled => "scheduled",
            VersionStatus::InForce => "in force",
            VersionStatus::Superseded => "superseded",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionRow {
    pub effective_from: NaiveDate,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
    pub status: VersionStatus,
}

/// The status of each version (newest first): after today scheduled, the latest on or before
/// today in force, the older ones superseded.
pub fn version_statuses(dates_desc: &[NaiveDate], today: NaiveDate) -> Vec<VersionStatus> {
    let mut seen_in_force = false;
    dates_desc
        .iter()
        .map(|d| {
            if *d > today {
                VersionStatus::Scheduled
            } else if !seen_in_force {
                seen_in_force = true;
                VersionStatus::InForce
            } else {
                VersionStatus::Superseded
            }
        })
        .collect()
}

/// The `/settlements/merchants/:id` page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MerchantView {
    pub id: String,
    pub name: String,
    pub legal_name: String,
    pub today: NaiveDate,
    pub terms: MerchantTerms,
    pub commission: Vec<CommissionLine>,
    /// Masked.
    pub account: Option<BankAccount>,
    pub versions: Vec<VersionRow>,
    /// The edit form, prefilled: for an admin only (it carries the full account number).
    pub edit: Option<TermsForm>,
    /// Other codes files use for this merchant (`MERCH001` for `MERCH_001`).
    pub aliases: Vec<String>,
    /// The caller may change the merchant (admin).
    pub can_admin: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn form() -> TermsForm {
        let mut f = TermsForm::prefill("MERCH_001", &MerchantTerms::defaults("MERCH_001", true), None, d("2026-12-10"));
        f.holder_name = "Acme Retail Pvt. Ltd.".into();
        f.account_number = "50100234567890".into();
        f.ifsc = "hdfc0001234".into();
        f.bank_name = "HDFC Bank".into();
        f
    }

    fn err(r: Result<NewTerms, AppError>) -> String {
        match r {
            Err(AppError::BadRequest(m)) => m,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn the_prefilled_default_form_parses_back_to_the_defaults() {
        let t = form().parse(d("2026-12-01")).unwrap();
        assert_eq!(t.effective_from, d("2026-12-10"));
        assert_eq!((t.cycle_days, t.min_settlement, t.preferred_rail), (1, Paise(100_00), Rail::Neft));
        assert_eq!((t.gst_rate, t.tds_rate), (Decimal::new(18, 2), Decimal::new(1, 3)));
        assert!(!t.tds_enabled && !t.reserve_enabled);
        assert_eq!(t.commission.len(), 7);
        assert!(t.commission.iter().all(|(_, b, c)| b.is_none() && *c == CommissionTerm::Percent(Decimal::new(2, 2))));
        assert!(t.fee_bearers.iter().all(|(_, b)| *b == FeeBearer::Merchant));
        assert_eq!(t.bank_account.unwrap().ifsc, "HDFC0001234", "IFSC is upper-cased");
    }

    #[test]
    fn the_form_reads_percent_rupees_fixed_fees_and_checkboxes() {
        let mut f = form();
        f.effective_from = String::new();
        f.min_settlement = "₹1,500.50".into();
        f.gst_rate = "18 %".into();
        f.tds_enabled = "on".into();
        f.tds_rate = "0.1".into();
        f.reserve_enabled = "on".into();
        f.reserve_rate = "5".into();
        f.reserve_hold_days = "90".into();
        f.modes.insert("UPI".into(), ModeForm { kind: "percent".into(), value: "1.8".into(), bearer: "payer".into() });
        f.modes.insert("NEFT".into(), ModeForm { kind: "fixed".into(), value: "2.50".into(), bearer: "bank".into() });
        let t = f.parse(d("2026-12-01")).unwrap();
        assert_eq!(t.effective_from, d("2026-12-01"), "empty date: today");
        assert_eq!(t.min_settlement, Paise(1_500_50));
        assert!(t.tds_enabled && t.reserve_enabled);
        assert_eq!((t.tds_rate, t.reserve_rate, t.reserve_hold_days), (Decimal::new(1, 3), Decimal::new(5, 2), 90));
        assert!(t.commission.contains(&("UPI".into(), None, CommissionTerm::Percent(Decimal::new(18, 3)))));
        assert!(t.commission.contains(&("NEFT".into(), None, CommissionTerm::FixedPaise(Paise(250)))));
        assert!(t.fee_bearers.contains(&("UPI".into(), FeeBearer::Payer)));
        assert!(t.fee_bearers.contains(&("NEFT".into(), FeeBearer::Bank)));
    }

    #[test]
    fn bad_form_input_is_a_sentence_naming_the_field() {
        let today = d("2026-12-01");
        let with = |change: &dyn Fn(&mut TermsForm)| {
            let mut f = form();
            change(&mut f);
            err(f.parse(today))
        };
        assert!(with(&|f| f.min_settlement = "-5".into()).contains("Minimum settlement"));
        assert!(with(&|f| f.gst_rate = "abc".into()).contains("GST %"));
        assert!(with(&|f| f.tds_rate = "100".into()).contains("below 100 %"));
        assert!(with(&|f| f.reserve_rate = "-1".into()).contains("Reserve %"));
        assert!(with(&|f| f.cycle_days = "31".into()).contains("T+N"));
        assert!(with(&|f| f.reserve_hold_days = "366".into()).contains("hold days"));
        assert!(with(&|f| f.preferred_rail = "SWIFT".into()).contains("rail"));
        assert!(with(&|f| f.ifsc = "HDFC1234567".into()).contains("IFSC"));
        assert!(with(&|f| f.account_number = "12345".into()).contains("9 to 18 digits"));
        assert!(with(&|f| f.holder_name = "=cmd|x".into()).contains("holder"));
        assert!(with(&|f| f.effective_from = "12/10/2026".into()).contains("Effective from"));
        assert!(with(&|f| f.modes.get_mut("CARD").unwrap().value = "x".into()).contains("CARD commission"));
        assert!(with(&|f| f.modes.get_mut("CARD").unwrap().kind = "tiered".into()).contains("percent or fixed"));
        assert!(with(&|f| f.modes.get_mut("UPI").unwrap().bearer = "psp".into()).contains("UPI fee bearer"));
        assert!(with(&|f| {
            f.modes.remove("WALLET");
        })
        .contains("WALLET"));
        assert!(with(&|f| {
            f.modes.insert("CHEQUE".into(), ModeForm::default());
        })
        .contains("Unknown payment mode"));
        assert!(with(&|f| f.gst_rate = "18.123".into()).contains("decimals"));
        // All four account fields empty: the account is left as it is.
        let mut f = form();
        (f.holder_name, f.account_number, f.ifsc, f.bank_name) = Default::default();
        assert_eq!(f.parse(today).unwrap().bank_account, None);
    }

    fn json(body: &str) -> TermsInput {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn the_json_body_takes_rates_as_strings_or_numbers_and_keeps_what_it_leaves_out() {
        let mut current = MerchantTerms::defaults("M", true);
        current.commission.push(("CARD".into(), None, CommissionTerm::Percent(Decimal::new(2, 2))));
        current.fee_bearers.push(("WALLET".into(), FeeBearer::Payer));
        let t = json(
            r#"{"effectiveFrom":"2026-12-10","cycleDays":2,"minSettlementPaise":50000,"preferredRail":"imps",
                "gstRate":"0.18","tdsEnabled":true,"tdsRate":0.001,"reserveRate":"0.05",
                "commission":[{"method":"UPI","kind":"PERCENT","rate":0.018},
                              {"method":"CARD","bank":"hdfc","kind":"FIXED","fixedPaise":300}],
                "feeBearers":[{"method":"UPI","bearer":"payer"}],
                "bankAccount":{"holderName":"Acme","accountNumber":"123456789","ifsc":"SBIN0000001","bankName":"SBI"}}"#,
        )
        .parse(d("2026-12-01"), &current)
        .unwrap();
        assert_eq!((t.effective_from, t.cycle_days, t.min_settlement), (d("2026-12-10"), 2, Paise(50_000)));
        assert_eq!(t.preferred_rail, Rail::Imps);
        assert_eq!(
            (t.gst_rate, t.tds_rate, t.reserve_rate),
            (Decimal::new(18, 2), Decimal::new(1, 3), Decimal::new(5, 2))
        );
        assert!(t.tds_enabled && !t.reserve_enabled, "reserveEnabled left out: as it was");
        assert!(t.commission.contains(&("UPI".into(), None, CommissionTerm::Percent(Decimal::new(18, 3)))));
        assert!(t.commission.contains(&("CARD".into(), Some("HDFC".into()), CommissionTerm::FixedPaise(Paise(300)))));
        assert!(t.commission.contains(&("CARD".into(), None, CommissionTerm::Percent(Decimal::new(2, 2)))));
        assert!(
            t.commission.contains(&("IMPS".into(), None, CommissionTerm::Percent(Decimal::new(2, 2)))),
            "the default"
        );
        assert_eq!(t.commission.len(), 8);
        assert!(t.fee_bearers.contains(&("UPI".into(), FeeBearer::Payer)));
        assert!(t.fee_bearers.contains(&("WALLET".into(), FeeBearer::Payer)), "kept from the terms in force");
        assert_eq!(t.fee_bearers.len(), 7);
        assert!(t.bank_account.is_some());
    }

    #[test]
    fn bad_json_values_are_refused() {
        let current = MerchantTerms::defaults("M", true);
        let today = d("2026-12-01");
        let e = |body: &str| err(json(body).parse(today, &current));
        assert!(e(r#"{"minSettlementPaise":-1}"#).contains("minSettlementPaise"));
        assert!(e(r#"{"gstRate":"abc"}"#).contains("gstRate must be a number"));
        assert!(e(r#"{"tdsRate":1}"#).contains("below 100 %"));
        assert!(e(r#"{"reserveRate":-0.1}"#).contains("negative"));
        assert!(e(r#"{"cycleDays":31}"#).contains("cycleDays"));
        assert!(e(r#"{"reserveHoldDays":-1}"#).contains("reserveHoldDays"));
        assert!(e(r#"{"preferredRail":"SWIFT"}"#).contains("rail"));
        assert!(e(r#"{"commission":[{"method":"CHEQUE","kind":"PERCENT","rate":"0.01"}]}"#)
            .contains("Unknown payment mode"));
        assert!(e(r#"{"commission":[{"method":"UPI","kind":"PERCENT"}]}"#).contains("rate is missing"));
        assert!(e(r#"{"commission":[{"method":"UPI","kind":"FIXED","fixedPaise":-3}]}"#).contains("negative"));
        assert!(e(r#"{"commission":[{"method":"UPI","kind":"TIERED","rate":"0.01"}]}"#).contains("PERCENT or FIXED"));
        assert!(e(r#"{"feeBearers":[{"method":"UPI","bearer":"psp"}]}"#).contains("merchant, payer or bank"));
        assert!(e(
            r#"{"bankAccount":{"holderName":"Acme","accountNumber":"123456789","ifsc":"HDFC1234567","bankName":"x"}}"#
        )
        .contains("IFSC"));
        assert!(e(r#"{"effectiveFrom":"tomorrow"}"#).contains("effectiveFrom"));
        assert!(serde_json::from_str::<TermsInput>(r#"{"cycleDays":"two"}"#).is_err());
        assert!(serde_json::from_str::<TermsInput>(r#"{"surprise":1}"#).is_err());
    }

    #[test]
    fn the_terms_json_masks_the_account_and_writes_rates_as_decimal_strings() {
        let mut terms = MerchantTerms::defaults("M", false);
        terms.tds_enabled = true;
        terms.commission.push(("UPI".into(), None, CommissionTerm::Percent(Decimal::new(18, 3))));
        let account = BankAccount {
            holder_name: "Acme".into(),
            account_number: "50100234567890".into(),
            ifsc: "HDFC0001234".into(),
            bank_name: "HDFC Bank".into(),
        };
        let j = TermsJson::new(&terms, d("2026-12-01"), Some(&account));
        let text = serde_json::to_string(&j).unwrap();
        assert!(!text.contains("50100234567890"), "{text}");
        assert!(text.contains("XXXXXXXXXX7890"), "{text}");
        assert_eq!(j.commission[0].rate.as_deref(), Some("0.0180"));
        assert_eq!(
            j.commission[1],
            CommissionLine {
                method: "CARD".into(),
                bank: None,
                kind: "PERCENT".into(),
                rate: Some("0.0200".into()),
                fixed_paise: None,
                is_default: true
            }
        );
        assert_eq!(j.tds_applied_rate.as_deref(), Some("0.0500"), "no PAN: 5 %");
        assert_eq!(j.gst_rate, "0.1800");
        assert_eq!(j.commission[0].text(), "1.8 %");
    }

    #[test]
    fn versions_after_today_are_scheduled_and_the_latest_before_is_in_force() {
        let dates = [d("2027-01-01"), d("2026-12-01"), d("2026-11-01"), d("2000-01-01")];
        assert_eq!(
            version_statuses(&dates, d("2026-12-01")),
            vec![
                VersionStatus::Scheduled,
                VersionStatus::InForce,
                VersionStatus::Superseded,
                VersionStatus::Superseded
            ]
        );
    }

    #[test]
    fn fixed_commissions_above_a_thousand_rupees_are_refused() {
        let today = d("2026-12-01");
        let mut f = form();
        f.modes
            .insert("NEFT".into(), ModeForm { kind: "fixed".into(), value: "1000.01".into(), bearer: "bank".into() });
        let e = err(f.parse(today));
        assert!(e.contains("NEFT fixed commission (₹)") && e.contains("₹1,000.00"), "{e}");
        f.modes.get_mut("NEFT").unwrap().value = "1000".into();
        assert!(f.parse(today).is_ok(), "₹1,000 itself is allowed");
        let current = MerchantTerms::defaults("M", true);
        let e =
            err(json(r#"{"commission":[{"method":"UPI","kind":"FIXED","fixedPaise":100001}]}"#).parse(today, &current));
        assert!(e.contains("fixedPaise for UPI") && e.contains("100000"), "{e}");
    }

    #[test]
    fn rates_that_leave_the_merchant_nothing_are_refused() {
        let today = d("2026-12-01");
        let in_force = |has_pan| MerchantTerms::defaults("M", has_pan);
        let mut f = form();
        // 50 % × 1.18 = 59 %, + reserve 41 % = 100 %.
        f.modes.get_mut("CARD").unwrap().value = "50".into();
        f.reserve_enabled = "on".into();
        f.reserve_rate = "41".into();
        let e = err(f.parse(today).unwrap().over(&in_force(true)));
        assert!(e.contains("CARD commission") && e.contains("100 %"), "{e}");
        f.reserve_rate = "40.8".into();
        assert!(f.parse(today).unwrap().over(&in_force(true)).is_ok(), "99.8 % leaves something");
        // TDS on without a PAN counts 5 %, whatever the TDS rate typed.
        f.tds_enabled = "on".into();
        assert!(f.parse(today).unwrap().over(&in_force(true)).is_ok(), "with a PAN: 0.1 %");
        let e = err(f.parse(today).unwrap().over(&in_force(false)));
        assert!(e.contains("TDS 5 %"), "{e}");
        // Unticked reserve does not count; fixed fees count 0 %.
        f.reserve_enabled = String::new();
        f.modes.insert("CARD".into(), ModeForm { kind: "fixed".into(), value: "5".into(), bearer: "merchant".into() });
        assert!(f.parse(today).unwrap().over(&in_force(false)).is_ok());
        // A bank-specific rate is checked too, by its name.
        let mut current = in_force(true);
        current.commission.push(("UPI".into(), Some("HDFC".into()), CommissionTerm::Percent(Decimal::new(2, 2))));
        let e = err(json(r#"{"reserveEnabled":true,"reserveRate":"0.5","commission":[{"method":"UPI","bank":"HDFC","kind":"PERCENT","rate":"0.45"}]}"#)
            .parse(today, &current)
            .unwrap()
            .over(&current));
        assert!(e.contains("UPI commission for bank HDFC"), "{e}");
    }

    #[test]
    fn a_version_ends_the_bank_rates_in_force_it_does_not_restate() {
        let today = d("2026-12-01");
        let mut current = MerchantTerms::defaults("M", true);
        current.commission.push(("UPI".into(), None, CommissionTerm::Percent(Decimal::new(2, 2))));
        current.commission.push(("UPI".into(), Some("HDFC".into()), CommissionTerm::Percent(Decimal::new(1, 2))));
        current.commission.push(("CARD".into(), Some("SBIN".into()), CommissionTerm::FixedPaise(Paise(500))));
        // The form: every mode for any bank; the bank rows end at the mode's new rate.
        let mut f = form();
        f.modes.get_mut("UPI").unwrap().value = "1.5".into();
        f.modes.insert("CARD".into(), ModeForm { kind: "fixed".into(), value: "3".into(), bearer: "merchant".into() });
        let t = f.parse(today).unwrap().over(&current).unwrap();
        assert!(t.commission.contains(&(
            "UPI".into(),
            Some("HDFC".into()),
            CommissionTerm::Percent(Decimal::new(15, 3))
        )));
        assert!(t.commission.contains(&("CARD".into(), Some("SBIN".into()), CommissionTerm::FixedPaise(Paise(300)))));
        assert_eq!(t.commission.len(), 9);
        // The API keeps a bank rate it leaves out, and one it restates wins.
        let t = json(r#"{"commission":[{"method":"CARD","bank":"SBIN","kind":"PERCENT","rate":"0.01"}]}"#)
            .parse(today, &current)
            .unwrap()
            .over(&current)
            .unwrap();
        assert!(t.commission.contains(&(
            "UPI".into(),
            Some("HDFC".into()),
            CommissionTerm::Percent(Decimal::new(1, 2))
        )));
        assert!(t.commission.contains(&(
            "CARD".into(),
            Some("SBIN".into()),
            CommissionTerm::Percent(Decimal::new(1, 2))
        )));
        assert_eq!(t.commission.len(), 9);
    }

    #[test]
    fn holder_names_follow_the_tables_check() {
        assert!(valid_holder_name("Acme Retail Pvt. Ltd. (Mumbai) & Co/1-2 O'Neil"));
        assert!(!valid_holder_name("A"));
        assert!(!valid_holder_name(" Acme"));
        assert!(!valid_holder_name("=HYPERLINK(1)"));
        assert!(!valid_holder_name(&"A".repeat(101)));
    }
}
