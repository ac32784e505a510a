//! The desk's tuning (admin, `/settings`): SLA hours per exception type × severity (the hours a new
//! or re-graded exception gets until it breaches) and the recon tolerances per merchant / acquirer
//! (what the matcher accepts as the same amount, a fee, a rounding, the same date). Both tables are
//! read where they are used — the queue when it sets an exception's due time, the engine at the
//! start of every run — so a change is in force at once. The forms' checks live here.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Paise;

/// The severities, least severe first (the SLA form's columns).
pub const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
/// The longest SLA: 30 days.
pub const MAX_SLA_HOURS: i32 = 720;
/// The widest amount tolerance, fee band or variance: ₹1,000 (a wider one would close real
/// shortfalls as matches).
pub const MAX_TOLERANCE: Paise = Paise(1_000_00);
/// The widest rounding allowance: ₹1.
pub const MAX_ROUNDING: Paise = Paise(100);
/// The largest tolerance rate, in percent of the PG amount.
pub const MAX_RATE_PERCENT: Decimal = Decimal::from_parts(1, 0, 0, false, 0);
/// The widest date window, in days.
pub const MAX_WINDOW_DAYS: i16 = 10;

/// One exception type's SLA hours at each severity (LOW, MEDIUM, HIGH, CRITICAL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaRow {
    pub code: String,
    pub label: String,
    pub hours: [i32; 4],
}

/// The SLA form of one exception type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaForm {
    pub code: String,
    pub low: String,
    pub medium: String,
    pub high: String,
    pub critical: String,
}

impl SlaForm {
    /// Whole hours from 1 to [`MAX_SLA_HOURS`], never longer for a more severe exception.
    pub fn parse(&self) -> Result<(String, [i32; 4]), String> {
        let code = self.code.trim().to_string();
        if code.is_empty() {
            return Err("Choose an exception type.".into());
        }
        let mut hours = [0; 4];
        for (i, text) in [&self.low, &self.medium, &self.high, &self.critical].into_iter().enumerate() {
            hours[i] =
                text.trim().parse::<i32>().ok().filter(|h| (1..=MAX_SLA_HOURS).contains(h)).ok_or_else(|| {
                    format!("{} SLA hours are a whole number from 1 to {MAX_SLA_HOURS}.", SEVERITIES[i])
                })?;
        }
        for i in 1..4 {
            if hours[i] > hours[i - 1] {
                return Err(format!(
                    "A {} exception cannot have longer to be worked ({} h) than a {} one ({} h).",
                    SEVERITIES[i].to_lowercase(),
                    hours[i],
                    SEVERITIES[i - 1].to_lowercase(),
                    hours[i - 1]
                ));
            }
        }
        Ok((code, hours))
    }
}

/// The tolerances of one scope, as the engine reads them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tolerances {
    pub min_tolerance: Paise,
    /// A fraction of the PG amount (0.001 = 0.1 %).
    pub tolerance_rate: Decimal,
    pub rounding: Paise,
    pub fee_band_low: Paise,
    pub fee_band_high: Paise,
    pub fee_variance: Paise,
    pub date_window_days: i16,
}

/// One row of the tolerances table: the default (no merchant, no acquirer) or a scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToleranceRow {
    /// None: the default is not stored yet (the engine uses its built-in defaults, shown).
    pub id: Option<Uuid>,
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub values: Tolerances,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ToleranceRow {
    pub fn scope(&self) -> String {
        match (&self.merchant_id, &self.acquirer) {
            (None, None) => "Default (every merchant and acquirer)".into(),
            (Some(m), None) => format!("Merchant {m}"),
            (None, Some(a)) => format!("Acquirer {a}"),
            (Some(m), Some(a)) => format!("Merchant {m} at {a}"),
        }
    }
}

/// The tolerances form: a scope (merchant and acquirer, either or both empty: none is the default)
/// and its values in rupees, percent and days.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToleranceForm {
    pub merchant_id: Option<String>,
    pub acquirer: Option<String>,
    pub min_tolerance: String,
    pub tolerance_percent: String,
    pub rounding: String,
    pub fee_band_low: String,
    pub fee_band_high: String,
    pub fee_variance: String,
    pub date_window_days: String,
    /// "delete" removes a scope (the default cannot be removed).
    pub action: Option<String>,
}

/// What a tolerances form asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToleranceChange {
    Save { merchant_id: Option<String>, acquirer: Option<String>, values: Tolerances },
    Delete { merchant_id: Option<String>, acquirer: Option<String> },
}

fn scope_text(v: &Option<String>, what: &str) -> Result<Option<String>, String> {
    let Some(text) = v.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let text = text.to_ascii_uppercase();
    let ok = (1..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(Some(text))
    } else {
        Err(format!("The {what} is 1 to 32 letters, digits or underscores."))
    }
}

impl ToleranceForm {
    pub fn parse(&self) -> Result<ToleranceChange, String> {
        let merchant_id = scope_text(&self.merchant_id, "merchant ID")?;
        let acquirer = scope_text(&self.acquirer, "acquirer")?;
        if self.action.as_deref().map(str::trim) == Some("delete") {
            if merchant_id.is_none() && acquirer.is_none() {
                return Err("The default tolerances cannot be removed; change them instead.".into());
            }
            return Ok(ToleranceChange::Delete { merchant_id, acquirer });
        }
        let rupees = |text: &str, what: &str| -> Result<Paise, String> {
            let p = Paise::parse_rupees(text).map_err(|e| format!("{what}: {e}."))?;
            if p > MAX_TOLERANCE {
                return Err(format!("{what} is at most {}.", MAX_TOLERANCE.to_inr()));
            }
            Ok(p)
        };
        let percent: Decimal = self
            .tolerance_percent
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse()
            .map_err(|_| "The tolerance rate is a percentage such as 0.1.".to_string())?;
        let percent = percent.normalize();
        if percent.is_sign_negative() || percent > MAX_RATE_PERCENT || percent.scale() > 4 {
            return Err(format!("The tolerance rate is from 0 to {MAX_RATE_PERCENT} % with at most four decimals."));
        }
        let values = Tolerances {
            min_tolerance: rupees(&self.min_tolerance, "The minimum tolerance")?,
            tolerance_rate: (percent / Decimal::from(100)).normalize(),
            rounding: rupees(&self.rounding, "The rounding allowance")?,
            fee_band_low: rupees(&self.fee_band_low, "The fee band's low end")?,
            fee_band_high: rupees(&self.fee_band_high, "The fee band's high end")?,
            fee_variance: rupees(&self.fee_variance, "The fee variance")?,
            date_window_days: self
                .date_window_days
                .trim()
                .parse::<i16>()
                .ok()
                .filter(|d| (0..=MAX_WINDOW_DAYS).contains(d))
                .ok_or_else(|| format!("The date window is a whole number of days from 0 to {MAX_WINDOW_DAYS}."))?,
        };
        if values.fee_band_low > values.fee_band_high {
            return Err("The fee band's low end is above its high end.".into());
        }
        if values.rounding > MAX_ROUNDING || values.rounding > values.min_tolerance {
            return Err(format!(
                "The rounding allowance is at most {} and no more than the minimum tolerance.",
                MAX_ROUNDING.to_inr()
            ));
        }
        if values.fee_band_low > Paise(0) && values.rounding >= values.fee_band_low {
            return Err("The rounding allowance must stay below the fee band (a fee is not a rounding).".into());
        }
        Ok(ToleranceChange::Save { merchant_id, acquirer, values })
    }
}

/// What the tuning part of `/settings` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TuningView {
    pub sla: Vec<SlaRow>,
    /// The default first, then the scopes.
    pub tolerances: Vec<ToleranceRow>,
}

/// A rate as the form shows it, in percent (`0.1` for 0.001).
pub fn percent_text(rate: Decimal) -> String {
    (rate * Decimal::from(100)).normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sla(low: &str, medium: &str, high: &str, critical: &str) -> SlaForm {
        SlaForm {
            code: "FEE_MISMATCH".into(),
            low: low.into(),
            medium: medium.into(),
            high: high.into(),
            critical: critical.into(),
        }
    }

    #[test]
    fn sla_hours_are_whole_bounded_and_shorter_when_more_severe() {
        assert_eq!(sla("24", "12", "12", "6").parse(), Ok(("FEE_MISMATCH".into(), [24, 12, 12, 6])));
        assert!(sla("0", "12", "12", "6").parse().unwrap_err().contains("LOW"));
        assert!(sla("24", "12", "12", "721").parse().unwrap_err().contains("720"));
        assert!(sla("24", "1.5", "1", "1").parse().is_err());
        assert!(sla("12", "24", "12", "6").parse().unwrap_err().contains("medium exception cannot have longer"));
        assert!(SlaForm { code: " ".into(), ..sla("1", "1", "1", "1") }.parse().is_err());
    }

    fn tol() -> ToleranceForm {
        ToleranceForm {
            merchant_id: Some("m_1".into()),
            acquirer: None,
            min_tolerance: "1.00".into(),
            tolerance_percent: "0.1".into(),
            rounding: "0.01".into(),
            fee_band_low: "2".into(),
            fee_band_high: "5".into(),
            fee_variance: "1".into(),
            date_window_days: "2".into(),
            action: None,
        }
    }

    #[test]
    fn tolerances_are_read_in_rupees_percent_and_days() {
        let ToleranceChange::Save { merchant_id, acquirer, values } = tol().parse().unwrap() else { panic!() };
        assert_eq!((merchant_id.as_deref(), acquirer), (Some("M_1"), None));
        assert_eq!(values.min_tolerance, Paise(100));
        assert_eq!(values.tolerance_rate, Decimal::new(1, 3));
        assert_eq!((values.rounding, values.fee_band_low, values.fee_band_high), (Paise(1), Paise(200), Paise(500)));
        assert_eq!(values.date_window_days, 2);
        assert_eq!(percent_text(values.tolerance_rate), "0.1");
        let bad = |f: ToleranceForm, words: &str| assert!(f.parse().unwrap_err().contains(words), "{words}");
        bad(ToleranceForm { tolerance_percent: "1.5".into(), ..tol() }, "0 to 1");
        bad(ToleranceForm { tolerance_percent: "-1".into(), ..tol() }, "0 to 1");
        bad(ToleranceForm { rounding: "2".into(), ..tol() }, "rounding allowance is at most");
        bad(ToleranceForm { rounding: "0.50".into(), fee_band_low: "0.50".into(), ..tol() }, "below the fee band");
        assert!(ToleranceForm { tolerance_percent: "0.10000".into(), ..tol() }.parse().is_ok());
        bad(ToleranceForm { tolerance_percent: "abc".into(), ..tol() }, "percentage");
        bad(ToleranceForm { fee_band_low: "6".into(), ..tol() }, "low end is above");
        bad(ToleranceForm { min_tolerance: "20000".into(), ..tol() }, "at most");
        bad(ToleranceForm { min_tolerance: "-1".into(), ..tol() }, "negative");
        bad(ToleranceForm { date_window_days: "11".into(), ..tol() }, "0 to 10");
        bad(ToleranceForm { merchant_id: Some("x;y".into()), ..tol() }, "merchant ID");
        let delete = ToleranceForm { action: Some("delete".into()), ..tol() };
        assert_eq!(delete.parse(), Ok(ToleranceChange::Delete { merchant_id: Some("M_1".into()), acquirer: None }));
        bad(ToleranceForm { merchant_id: None, action: Some("delete".into()), ..tol() }, "cannot be removed");
    }
}
