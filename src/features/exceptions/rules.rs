//! Pure exception rules: severity raised by amount (spec 2.3).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// ₹1,00,000 and above is CRITICAL; ₹10,000 and above is at least HIGH; never lowered.
pub fn raise_by_amount(default: Severity, amount_paise: i64) -> Severity {
    let floor = if amount_paise >= 100_000_00 {
        Severity::Critical
    } else if amount_paise >= 10_000_00 {
        Severity::High
    } else {
        Severity::Low
    };
    default.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(raise_by_amount(Severity::Medium, 999_999), Severity::Medium);
        assert_eq!(raise_by_amount(Severity::Medium, 1_000_000), Severity::High);
        assert_eq!(raise_by_amount(Severity::Medium, 9_999_999), Severity::High);
        assert_eq!(raise_by_amount(Severity::Medium, 10_000_000), Severity::Critical);
        assert_eq!(raise_by_amount(Severity::Critical, 1), Severity::Critical);
        assert_eq!(raise_by_amount(Severity::High, 500), Severity::High);
    }
}
