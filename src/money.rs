//! Money as integer paise, and the Indian-format rendering the UI uses (₹1,23,45,678.90; ₹1.23 Cr).
//! Rupee strings from files (`₹1,23,456.5`) parse to exact paise with [`Paise::parse_rupees`].
//! Arithmetic on amounts is checked ([`Paise::checked_add`], [`Paise::checked_sum`], …): an amount
//! past the `i64` range is a [`MoneyOverflow`] error, never a wrapped or saturated figure.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of Indian rupees in paise (₹1 = 100 paise). Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct Paise(pub i64);

/// An amount outside what `i64` paise can hold (about ±₹9.2 × 10¹⁶). Money arithmetic answers this
/// instead of a wrapped or saturated figure, which would be a wrong amount that looks right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("The amount is too large to compute: amounts must stay within ₹92,23,37,20,36,85,47,758.07.")]
pub struct MoneyOverflow;

impl Paise {
    pub const ZERO: Paise = Paise(0);

    pub fn from_rupees(rupees: i64) -> Result<Paise, MoneyOverflow> {
        Paise(rupees).checked_mul_i64(100)
    }

    pub fn checked_add(self, rhs: Paise) -> Result<Paise, MoneyOverflow> {
        self.0.checked_add(rhs.0).map(Paise).ok_or(MoneyOverflow)
    }

    pub fn checked_sub(self, rhs: Paise) -> Result<Paise, MoneyOverflow> {
        self.0.checked_sub(rhs.0).map(Paise).ok_or(MoneyOverflow)
    }

    pub fn checked_mul_i64(self, factor: i64) -> Result<Paise, MoneyOverflow> {
        self.0.checked_mul(factor).map(Paise).ok_or(MoneyOverflow)
    }

    /// The size of a difference (`|a − b|`, e.g. the Δ between a PG and a bank amount): only
    /// `i64::MIN` paise has no positive twin.
    pub fn checked_abs(self) -> Result<Paise, MoneyOverflow> {
        self.0.checked_abs().map(Paise).ok_or(MoneyOverflow)
    }

    /// The exact total of `amounts`, an error only when the total itself does not fit: the running
    /// sum is kept in `i128`, so the order of positive and negative amounts does not matter.
    pub fn checked_sum<I: IntoIterator<Item = Paise>>(amounts: I) -> Result<Paise, MoneyOverflow> {
        let total =
            amounts.into_iter().try_fold(0i128, |sum, p| sum.checked_add(i128::from(p.0))).ok_or(MoneyOverflow)?;
        i64::try_from(total).map(Paise).map_err(|_| MoneyOverflow)
    }

    /// Exact paise from a rupee amount as people and files write it: optional `₹`/`Rs.`/`INR`,
    /// grouping commas (Indian or western), at most two decimals. Negative, empty or non-numeric
    /// amounts are refused with a sentence saying why.
    pub fn parse_rupees(text: &str) -> Result<Paise, String> {
        let trimmed = text.trim();
        let mut s = trimmed;
        for prefix in ["₹", "INR", "Rs.", "Rs"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                break;
            }
        }
        if s.is_empty() {
            return Err("the amount is empty".into());
        }
        if s.starts_with('-') || s.starts_with('(') {
            return Err(format!("{trimmed:?} is negative; amounts must be positive"));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        let digits: String = s.chars().filter(|c| *c != ',').collect();
        let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return Err(format!("{trimmed:?} is not a rupee amount"));
        }
        if frac.len() > 2 {
            return Err(format!("{trimmed:?} has more than two decimals (paise)"));
        }
        let rupees: i64 = whole.parse().map_err(|_| format!("{trimmed:?} is too large"))?;
        let paise: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        rupees.checked_mul(100).and_then(|r| r.checked_add(paise)).map(Paise).ok_or(format!("{trimmed:?} is too large"))
    }

    /// `₹1,23,45,678.90` — full amount with Indian digit grouping.
    pub fn to_inr(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}₹{}.{:02}", group_indian(abs / 100), abs % 100)
    }

    /// The one plain rupee text for CSV and JSON: `-1.50`, `0.05`, `1234567.90` (no symbol, no
    /// grouping, the sign in front even below one rupee). [`Paise::parse_rupees`] reads back the
    /// non-negative ones only: it refuses negative amounts, which no input file may carry.
    pub fn to_rupees_plain(self) -> String {
        let mut out = Vec::new();
        self.push_rupees_plain(&mut out);
        // Digits, a sign and a point: always UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`Paise::to_rupees_plain`]'s bytes appended to `out`, without a format string (a report
    /// file writes millions).
    pub fn push_rupees_plain(self, out: &mut Vec<u8>) {
        if self.0 < 0 {
            out.push(b'-');
        }
        let abs = self.0.unsigned_abs();
        push_digits(out, abs / 100, 1);
        out.push(b'.');
        push_digits(out, abs % 100, 2);
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

impl From<i64> for Paise {
    fn from(paise: i64) -> Paise {
        Paise(paise)
    }
}

impl fmt::Display for Paise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_inr())
    }
}

/// `n` in decimal, zero-padded to at least `width` digits, appended to `out`.
pub fn push_digits(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    start = start.min(digits.len().saturating_sub(width));
    out.extend_from_slice(&digits[start..]);
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
    use proptest::prelude::*;

    #[test]
    fn rupee_strings_parse_to_exact_paise() {
        assert_eq!(Paise::parse_rupees("₹1,23,456.50"), Ok(Paise(12345650)));
        assert_eq!(Paise::parse_rupees(" 1500 "), Ok(Paise(150000)));
        assert_eq!(Paise::parse_rupees("Rs. 99.9"), Ok(Paise(9990)));
        assert_eq!(Paise::parse_rupees("INR 1,000.05"), Ok(Paise(100005)));
        assert_eq!(Paise::parse_rupees("0.01"), Ok(Paise(1)));
        assert!(Paise::parse_rupees("-5").unwrap_err().contains("negative"));
        assert!(Paise::parse_rupees("1.234").unwrap_err().contains("two decimals"));
        assert!(Paise::parse_rupees("abc").is_err());
        assert!(Paise::parse_rupees("").is_err());
        assert!(Paise::parse_rupees("₹").is_err());
        assert!(Paise::parse_rupees("1e5").is_err());
        assert!(Paise::parse_rupees("99999999999999999999").is_err());
    }

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
    fn plain_rupee_text_keeps_the_sign() {
        assert_eq!(Paise(-150).to_rupees_plain(), "-1.50");
        assert_eq!(Paise(-50).to_rupees_plain(), "-0.50");
        assert!(Paise::parse_rupees(&Paise(-150).to_rupees_plain()).is_err(), "the parser reads no negative back");
        assert_eq!(Paise(5).to_rupees_plain(), "0.05");
        assert_eq!(Paise(0).to_rupees_plain(), "0.00");
        assert_eq!(Paise(123_456_790).to_rupees_plain(), "1234567.90");
        assert_eq!(Paise(i64::MIN).to_rupees_plain(), "-92233720368547758.08");
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

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        assert_eq!(Paise(1).checked_add(Paise(2)), Ok(Paise(3)));
        assert_eq!(Paise(i64::MAX).checked_add(Paise(1)), Err(MoneyOverflow));
        assert_eq!(Paise(i64::MIN).checked_sub(Paise(1)), Err(MoneyOverflow));
        assert_eq!(Paise(i64::MAX / 2 + 1).checked_mul_i64(2), Err(MoneyOverflow));
        assert_eq!(Paise(-150).checked_abs(), Ok(Paise(150)));
        assert_eq!(Paise(i64::MIN).checked_abs(), Err(MoneyOverflow));
        assert_eq!(Paise::from_rupees(5), Ok(Paise(500)));
        assert_eq!(Paise::from_rupees(i64::MAX / 100 + 1), Err(MoneyOverflow));
        // The running total may leave the range on the way, as long as the total comes back into it.
        assert_eq!(Paise::checked_sum([Paise(i64::MAX), Paise(1), Paise(-2)]), Ok(Paise(i64::MAX - 1)));
        assert_eq!(Paise::checked_sum([Paise(i64::MAX), Paise(1)]), Err(MoneyOverflow));
        assert_eq!(Paise::checked_sum([]), Ok(Paise::ZERO));
        assert!(MoneyOverflow.to_string().contains(&Paise(i64::MAX).to_inr()), "the limit quoted is the real one");
    }

    /// The exact result of an operation, as `checked_*` must report it.
    fn exact(value: i128) -> Result<Paise, MoneyOverflow> {
        i64::try_from(value).map(Paise).map_err(|_| MoneyOverflow)
    }

    fn amount() -> impl Strategy<Value = i64> {
        prop_oneof![any::<i64>(), -1_000_000_00i64..1_000_000_00, Just(i64::MAX), Just(i64::MIN)]
    }

    proptest! {
        #[test]
        fn plain_text_reads_back(p in 0..=i64::MAX) {
            prop_assert_eq!(Paise::parse_rupees(&Paise(p).to_rupees_plain()), Ok(Paise(p)));
        }

        #[test]
        fn indian_text_reads_back(p in 0..=i64::MAX) {
            prop_assert_eq!(Paise::parse_rupees(&Paise(p).to_inr()), Ok(Paise(p)));
        }

        #[test]
        fn negative_plain_text_is_the_positive_with_a_minus(p in 1..=i64::MAX) {
            prop_assert_eq!(Paise(-p).to_rupees_plain(), format!("-{}", Paise(p).to_rupees_plain()));
        }

        #[test]
        fn checked_ops_agree_with_exact_arithmetic(a in amount(), b in amount()) {
            let (wide_a, wide_b) = (i128::from(a), i128::from(b));
            prop_assert_eq!(Paise(a).checked_add(Paise(b)), exact(wide_a + wide_b));
            prop_assert_eq!(Paise(a).checked_sub(Paise(b)), exact(wide_a - wide_b));
            prop_assert_eq!(Paise(a).checked_mul_i64(b), exact(wide_a * wide_b));
            prop_assert_eq!(Paise(a).checked_abs(), exact(wide_a.abs()));
        }

        #[test]
        fn checked_sum_agrees_with_exact_arithmetic(amounts in proptest::collection::vec(amount(), 0..8)) {
            let wide: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
            prop_assert_eq!(Paise::checked_sum(amounts.iter().copied().map(Paise)), exact(wide));
        }
    }
}
