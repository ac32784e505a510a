//! Ratios shown to people (match rate, win rate, share of a pipeline, average days), computed once
//! and rounded to the nearest in integers, halves away from zero (half up for the non-negative
//! ratios shown), never floats: [`permille_half_up`] gives tenths of a percent,
//! [`div_half_up`] any other scaled ratio, and [`tenths_text`] / [`percent_text`] write them
//! (`66.7`, `66.7 %`).

/// `numerator ÷ denominator` rounded to the nearest integer, halves away from zero (2.5 → 3,
/// −2.5 → −3), for any signs. `None` when the denominator is 0 or the result does not fit in `i64`.
/// Callers scale the numerator first (× 1000 for per mille); `i128` leaves room for that.
pub fn div_half_up(numerator: i128, denominator: i128) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let quotient = numerator.checked_div(denominator)?;
    let remainder = numerator % denominator;
    // |remainder| ≥ |denominator| / 2, without the halving losing the odd half.
    let rounded = if remainder.unsigned_abs() * 2 >= denominator.unsigned_abs() {
        let away = if (numerator < 0) == (denominator < 0) { 1 } else { -1 };
        quotient.checked_add(away)?
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}

/// `part ÷ whole` in tenths of a percent (per mille), rounded half up: 2 of 3 → 667. `None` when
/// `whole` is 0 ("nothing to rate").
pub fn permille_half_up(part: i64, whole: i64) -> Option<i64> {
    div_half_up(i128::from(part) * 1000, i128::from(whole))
}

/// The shares of `parts` in `whole`, per mille, rounded so that they add up to exactly 1000 when the
/// parts add up to the whole (a bar's segments and the share column of its legend then agree and
/// sum to 100.0 %, where rounding each share alone can give 100.1 %): share *i* is the rounded
/// running total up to *i* minus the rounded running total before it, so each share is its exact
/// value rounded up or down. `None` for each part when `whole` is 0.
pub fn shares_permille(parts: &[i64], whole: i64) -> Vec<Option<i64>> {
    let mut running = 0i128;
    let mut before = 0i64;
    parts
        .iter()
        .map(|&part| {
            running += i128::from(part);
            let upto = div_half_up(running * 1000, i128::from(whole))?;
            let share = upto - before;
            before = upto;
            Some(share)
        })
        .collect()
}

/// Tenths as a decimal with one digit: 667 → `66.7`, 5 → `0.5`, −5 → `-0.5`.
pub fn tenths_text(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

/// A per-mille ratio for display: `66.7 %`, or `—` when there is nothing to rate.
pub fn percent_text(permille: Option<i64>) -> String {
    permille.map_or_else(|| "—".into(), |p| format!("{} %", tenths_text(p)))
}

/// `part ÷ whole` as a percentage with two decimals, rounded half up: 2 of 3 → `"66.67"`; `None`
/// when `whole` is 0. The APIs' rate strings.
pub fn rate_2dp(part: i64, whole: i64) -> Option<String> {
    let basis_points = div_half_up(i128::from(part) * 10_000, i128::from(whole))?;
    Some(hundredths_text(basis_points))
}

/// Hundredths as a decimal with two digits: 6667 → `66.67`, −5 → `-0.05`.
pub fn hundredths_text(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_rates() {
        assert_eq!(rate_2dp(2, 3).as_deref(), Some("66.67"));
        assert_eq!(rate_2dp(1, 8).as_deref(), Some("12.50"));
        assert_eq!(rate_2dp(1, 80_000).as_deref(), Some("0.00"));
        assert_eq!(rate_2dp(3, 3).as_deref(), Some("100.00"));
        assert_eq!(rate_2dp(1, 0), None);
        assert_eq!(hundredths_text(-5), "-0.05");
    }
    use proptest::prelude::*;

    #[test]
    fn shares_add_up_to_a_hundred_percent() {
        // Each alone: 33.3 + 33.3 + 33.3 = 99.9; 1/6 + 1/6 + 2/3 alone: 16.7 + 16.7 + 66.7 = 100.1.
        assert_eq!(shares_permille(&[1, 1, 1], 3), vec![Some(333), Some(334), Some(333)]);
        assert_eq!(shares_permille(&[1, 1, 4], 6), vec![Some(167), Some(166), Some(667)]);
        assert_eq!(shares_permille(&[0, 5], 5), vec![Some(0), Some(1000)]);
        assert_eq!(shares_permille(&[0, 0], 0), vec![None, None]);
    }

    proptest! {
        /// Parts that make up the whole always share exactly 1000 ‰, each within one tenth of its own value.
        #[test]
        fn shares_sum_to_one_thousand(parts in proptest::collection::vec(0i64..1_000_000, 1..8)) {
            let whole: i64 = parts.iter().sum();
            prop_assume!(whole > 0);
            let shares = shares_permille(&parts, whole);
            prop_assert_eq!(shares.iter().map(|s| s.unwrap()).sum::<i64>(), 1000);
            for (part, share) in parts.iter().zip(&shares) {
                let alone = permille_half_up(*part, whole).unwrap();
                prop_assert!((share.unwrap() - alone).abs() <= 1);
            }
        }
    }

    #[test]
    fn percentages_round_half_up_without_floats() {
        let percent = |part, whole| percent_text(permille_half_up(part, whole));
        assert_eq!(percent(651, 747), "87.1 %");
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(2, 3), "66.7 %");
        assert_eq!(percent(1, 8), "12.5 %");
        assert_eq!(percent(1, 2000), "0.1 %", "half a tenth rounds up");
        assert_eq!(percent(0, 0), "—");
        assert_eq!(percent(5, 5), "100.0 %");
    }

    #[test]
    fn halves_round_away_from_zero_for_every_sign() {
        assert_eq!(div_half_up(5, 2), Some(3));
        assert_eq!(div_half_up(-5, 2), Some(-3));
        assert_eq!(div_half_up(5, -2), Some(-3));
        assert_eq!(div_half_up(-5, -2), Some(3));
        assert_eq!(div_half_up(7, 3), Some(2));
        assert_eq!(div_half_up(-7, 3), Some(-2));
        assert_eq!(div_half_up(1, 0), None);
        assert_eq!(div_half_up(i128::from(i64::MAX) * 2, 1), None);
        assert_eq!(permille_half_up(i64::MAX, 1), None, "a ratio past i64 is refused, not wrapped");
        // An average of 1.5 days in tenths: 3 cases, 4.5 days in all.
        assert_eq!(div_half_up(3 * 86_400 * 3 / 2 * 10, 3 * 86_400), Some(15));
    }

    #[test]
    fn tenths_are_written_with_their_sign() {
        assert_eq!(tenths_text(667), "66.7");
        assert_eq!(tenths_text(0), "0.0");
        assert_eq!(tenths_text(-5), "-0.5");
        assert_eq!(tenths_text(i64::MIN), "-922337203685477580.8");
        assert_eq!(percent_text(Some(1000)), "100.0 %");
        assert_eq!(percent_text(None), "—");
    }

    proptest! {
        /// Against the definition: the nearest integer n to p/q is the one with |p − n·q| ≤ |q|/2,
        /// and on a tie (exactly |q|/2) the one farther from zero.
        #[test]
        fn matches_exact_rational_rounding(
            numerator in any::<i64>(),
            scale in prop_oneof![Just(1i128), Just(10), Just(1000)],
            denominator in prop_oneof![any::<i64>(), -100i64..100],
        ) {
            let (p, q) = (i128::from(numerator) * scale, i128::from(denominator));
            match div_half_up(p, q) {
                None => prop_assert!(q == 0 || (p / q).abs() >= i128::from(i64::MAX), "{}/{} fits", p, q),
                Some(n) => {
                    let error = 2 * (p - i128::from(n) * q).abs();
                    prop_assert!(error <= q.abs(), "{} is not the nearest to {}/{}", n, p, q);
                    if error == q.abs() {
                        prop_assert!(i128::from(n).abs() * q.abs() > p.abs(), "{}/{} is a half: away from zero", p, q);
                    }
                }
            }
        }

        #[test]
        fn permille_of_counts_matches_exact_rounding(part in 0i64..1_000_000, extra in 0i64..1_000_000) {
            let whole = part + extra;
            prop_assume!(whole > 0);
            let exact = (i128::from(part) * 2000 + i128::from(whole)) / (2 * i128::from(whole));
            prop_assert_eq!(permille_half_up(part, whole).map(i128::from), Some(exact));
        }
    }
}
