//! Money as integer paise, and the Indian-format rendering the UI uses (₹1,23,45,678.90; ₹1.23 Cr).
//! Parsing of rupee strings from files lives with ingestion; this module only holds and shows amounts.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of Indian rupees in paise (₹1 = 100 paise). Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Paise(pub i64);

impl Paise {
    pub const ZERO: Paise = Paise(0);

    pub fn from_rupees(rupees: i64) -> Paise {
        Paise(rupees * 100)
    }

    /// `₹1,23,45,678.90` — full amount with Indian digit grouping.
    pub fn to_inr(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}₹{}.{:02}", group_indian(abs / 100), abs % 100)
    }

    /// Compact form for tiles: `₹1.23 Cr`, `₹4.5 L`, `₹12.3 K`, or the full amount below ₹1,000.
    /// Truncates (never rounds up) so a tile never shows more money than there is.
    pub fn to_inr_compact(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        const CRORE: u64 = 100 * 1_00_00_000;
        const LAKH: u64 = 100 * 1_00_000;
        const THOUSAND: u64 = 100 * 1_000;
        let (unit, suffix) = if abs >= CRORE {
            (CRORE, "Cr")
        } else if abs >= LAKH {
            (LAKH, "L")
        } else if abs >= THOUSAND {
            (THOUSAND, "K")
        } else {
            return self.to_inr();
        };
        let hundredths = abs * 100 / unit;
        let whole = hundredths / 100;
        let frac = hundredths % 100;
        let frac = if frac == 0 {
            String::new()
        } else if frac.is_multiple_of(10) {
            format!(".{}", frac / 10)
        } else {
            format!(".{frac:02}")
        };
        format!("{sign}₹{}{frac} {suffix}", group_indian(whole))
    }
}

impl fmt::Display for Paise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_inr())
    }
}

impl std::ops::Add for Paise {
    type Output = Paise;
    fn add(self, rhs: Paise) -> Paise {
        Paise(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Paise {
    type Output = Paise;
    fn sub(self, rhs: Paise) -> Paise {
        Paise(self.0 - rhs.0)
    }
}

impl std::iter::Sum for Paise {
    fn sum<I: Iterator<Item = Paise>>(iter: I) -> Paise {
        Paise(iter.map(|p| p.0).sum())
    }
}

/// Indian digit grouping: the last three digits, then groups of two (12,34,56,789).
pub fn group_indian(n: u64) -> String {
    let digits = n.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut groups: Vec<&str> = Vec::new();
    let mut end = head.len();
    while end > 0 {
        let start = end.saturating_sub(2);
        groups.push(&head[start..end]);
        end = start;
    }
    groups.reverse();
    format!("{},{}", groups.join(","), last3)
}

/// A count with Indian grouping (1,23,456).
pub fn format_count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_indian(n.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indian_grouping() {
        assert_eq!(group_indian(0), "0");
        assert_eq!(group_indian(999), "999");
        assert_eq!(group_indian(1_000), "1,000");
        assert_eq!(group_indian(1_00_000), "1,00,000");
        assert_eq!(group_indian(1_23_45_678), "1,23,45,678");
        assert_eq!(group_indian(12_34_56_78_901), "12,34,56,78,901");
    }

    #[test]
    fn full_rupee_format() {
        assert_eq!(Paise(123_456_790).to_inr(), "₹12,34,567.90");
        assert_eq!(Paise(5).to_inr(), "₹0.05");
        assert_eq!(Paise(-150).to_inr(), "-₹1.50");
        assert_eq!(Paise(117_180_424).to_inr(), "₹11,71,804.24");
    }

    #[test]
    fn compact_format_truncates() {
        assert_eq!(Paise(123_456_789_0).to_inr_compact(), "₹1.23 Cr");
        assert_eq!(Paise(45_000_000).to_inr_compact(), "₹4.5 L");
        assert_eq!(Paise(100_000_00).to_inr_compact(), "₹1 L");
        assert_eq!(Paise(1_999_99).to_inr_compact(), "₹1.99 K");
        assert_eq!(Paise(99_999).to_inr_compact(), "₹999.99");
    }

    #[test]
    fn counts() {
        assert_eq!(format_count(747), "747");
        assert_eq!(format_count(201_100), "2,01,100");
    }
}
