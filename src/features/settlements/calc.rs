//! Settlement maths of spec 4.2, pure: per transaction in paise, each step rounded half-up to the
//! paisa; a batch sums its items and adds released reserve, minus deductions. Every step is checked:
//! amounts past the `i64` range are a [`MoneyOverflow`], never a wrapped or saturated figure.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::money::{MoneyOverflow, Paise};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeeBearer {
    Merchant,
    Payer,
    Bank,
}

impl FeeBearer {
    pub fn code(self) -> &'static str {
        match self {
            FeeBearer::Merchant => "merchant",
            FeeBearer::Payer => "payer",
            FeeBearer::Bank => "bank",
        }
    }

    /// The bearer named by `code` (`merchant`, `payer`, `bank`; any case, spaces around).
    pub fn parse(code: &str) -> Option<FeeBearer> {
        match code.trim().to_ascii_lowercase().as_str() {
            "merchant" => Some(FeeBearer::Merchant),
            "payer" => Some(FeeBearer::Payer),
            "bank" => Some(FeeBearer::Bank),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commission {
    Percent(Decimal),
    FixedPaise(Paise),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    pub commission: Commission,
    pub gst_rate: Decimal,
    /// `None` when TDS is not enabled for the merchant.
    pub tds_rate: Option<Decimal>,
    /// `None` when the rolling reserve is off.
    pub reserve_rate: Option<Decimal>,
    pub fee_bearer: FeeBearer,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemBreakdown {
    pub amount: Paise,
    pub commission: Paise,
    pub gst: Paise,
    pub tds: Paise,
    pub reserve: Paise,
    pub net: Paise,
    /// Commission + GST recorded but not deducted (payer/bank-borne fees).
    pub fees_not_deducted: Paise,
}

/// `amount × rate`, rounded half-up (away from zero) to the paisa.
pub fn apply_rate(amount: Paise, rate: Decimal) -> Result<Paise, MoneyOverflow> {
    let product = Decimal::from(amount.0).checked_mul(rate).ok_or(MoneyOverflow)?;
    let rounded = product.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    rounded.to_i64().map(Paise).ok_or(MoneyOverflow)
}

pub fn settle_item(amount: Paise, terms: &Terms) -> Result<ItemBreakdown, MoneyOverflow> {
    let commission = match terms.commission {
        Commission::Percent(rate) => apply_rate(amount, rate)?,
        Commission::FixedPaise(fee) => fee,
    };
    let gst = apply_rate(commission, terms.gst_rate)?;
    let tds = terms.tds_rate.map_or(Ok(Paise::ZERO), |rate| apply_rate(amount, rate))?;
    let fees = commission.checked_add(gst)?;
    let (deducted_fees, fees_not_deducted) = match terms.fee_bearer {
        FeeBearer::Merchant => (fees, Paise::ZERO),
        FeeBearer::Payer | FeeBearer::Bank => (Paise::ZERO, fees),
    };
    let before_reserve = amount.checked_sub(deducted_fees)?.checked_sub(tds)?;
    let reserve = terms.reserve_rate.map_or(Ok(Paise::ZERO), |rate| apply_rate(before_reserve, rate))?;
    let net = before_reserve.checked_sub(reserve)?;
    Ok(ItemBreakdown { amount, commission, gst, tds, reserve, net, fees_not_deducted })
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTotals {
    pub txn_count: i64,
    pub gross: Paise,
    pub commission: Paise,
    pub gst: Paise,
    pub tds: Paise,
    pub reserve: Paise,
    pub deductions: Paise,
    pub reserve_released: Paise,
    pub fees_not_deducted: Paise,
    pub net: Paise,
}

impl BatchTotals {
    /// Sum items, add released reserve, subtract deductions (capped at 30 % of gross by the caller).
    /// An error when any total does not fit in paise.
    pub fn from_items(
        items: &[ItemBreakdown],
        deductions: Paise,
        reserve_released: Paise,
    ) -> Result<BatchTotals, MoneyOverflow> {
        let total = |field: fn(&ItemBreakdown) -> Paise| Paise::checked_sum(items.iter().map(field));
        let released_less_deductions = [reserve_released, Paise::ZERO.checked_sub(deductions)?];
        Ok(BatchTotals {
            txn_count: items.len() as i64,
            gross: total(|i| i.amount)?,
            commission: total(|i| i.commission)?,
            gst: total(|i| i.gst)?,
            tds: total(|i| i.tds)?,
            reserve: total(|i| i.reserve)?,
            deductions,
            reserve_released,
            fees_not_deducted: total(|i| i.fees_not_deducted)?,
            net: Paise::checked_sum(items.iter().map(|i| i.net).chain(released_less_deductions))?,
        })
    }

    /// gross = commission + gst + tds + reserve + deductions − released reserve + net, where
    /// commission and GST count only where the merchant bears them. Checked in `i128`, where these
    /// ten `i64` terms cannot overflow.
    pub fn balances(&self) -> bool {
        let w = |p: Paise| i128::from(p.0);
        w(self.gross)
            == w(self.commission) + w(self.gst) - w(self.fees_not_deducted)
                + w(self.tds)
                + w(self.reserve)
                + w(self.deductions)
                - w(self.reserve_released)
                + w(self.net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn terms(bearer: FeeBearer) -> Terms {
        Terms {
            commission: Commission::Percent(dec("0.02")),
            gst_rate: dec("0.18"),
            tds_rate: None,
            reserve_rate: None,
            fee_bearer: bearer,
        }
    }

    /// (commission, GST, TDS, reserve, net) in paise.
    fn parts(b: &ItemBreakdown) -> (i64, i64, i64, i64, i64) {
        (b.commission.0, b.gst.0, b.tds.0, b.reserve.0, b.net.0)
    }

    #[test]
    fn merchant_bears_commission_and_gst() {
        // ₹1,000.00: commission ₹20.00, GST ₹3.60, net ₹976.40.
        let b = settle_item(Paise(100_000), &terms(FeeBearer::Merchant)).unwrap();
        assert_eq!(parts(&b), (2_000, 360, 0, 0, 97_640));
    }

    #[test]
    fn payer_borne_fees_are_recorded_not_deducted() {
        let b = settle_item(Paise(100_000), &terms(FeeBearer::Payer)).unwrap();
        assert_eq!(
            (b.commission, b.gst, b.net, b.fees_not_deducted),
            (Paise(2_000), Paise(360), Paise(100_000), Paise(2_360))
        );
    }

    #[test]
    fn half_paisa_rounds_up() {
        // 2 % of 125 paise = 2.5 → 3; 18 % of 3 = 0.54 → 1.
        let b = settle_item(Paise(125), &terms(FeeBearer::Merchant)).unwrap();
        assert_eq!((b.commission, b.gst, b.net), (Paise(3), Paise(1), Paise(121)));
        assert_eq!(apply_rate(Paise(5), dec("0.1")), Ok(Paise(1))); // 0.5 → 1
        assert_eq!(apply_rate(Paise(4), dec("0.1")), Ok(Paise(0))); // 0.4 → 0
        assert_eq!(apply_rate(Paise(-5), dec("0.1")), Ok(Paise(-1))); // −0.5 → −1, away from zero
    }

    #[test]
    fn tds_reserve_and_fixed_fee() {
        let t = Terms {
            commission: Commission::FixedPaise(Paise(500)),
            gst_rate: dec("0.18"),
            tds_rate: Some(dec("0.001")),
            reserve_rate: Some(dec("0.05")),
            fee_bearer: FeeBearer::Merchant,
        };
        let b = settle_item(Paise(1_000_000), &t).unwrap();
        // commission 500, GST 90, TDS 1,000, before reserve 998,410, reserve 49,921 (49,920.5 ↑).
        assert_eq!(parts(&b), (500, 90, 1_000, 49_921, 948_489));
    }

    #[test]
    fn batch_identity_holds_to_the_paisa() {
        let merchant = terms(FeeBearer::Merchant);
        let payer = terms(FeeBearer::Payer);
        let mut items = Vec::new();
        for (i, amount) in [10_001_i64, 999, 123_456_789, 50, 7_777_777].into_iter().enumerate() {
            items.push(settle_item(Paise(amount), if i % 2 == 0 { &merchant } else { &payer }).unwrap());
        }
        let totals = BatchTotals::from_items(&items, Paise(1_234), Paise(5_678)).unwrap();
        assert!(totals.balances());
        assert_eq!(totals.txn_count, 5);
        let broken = BatchTotals { net: Paise(totals.net.0 + 1), ..totals };
        assert!(!broken.balances());
    }

    #[test]
    fn overflow_is_an_error_not_a_saturated_amount() {
        // Was `i64::MAX` (a rate product past the range saturated), then a wrapped net downstream.
        assert_eq!(apply_rate(Paise(i64::MAX), dec("2")), Err(MoneyOverflow));
        assert_eq!(apply_rate(Paise(i64::MAX), dec("1")), Ok(Paise(i64::MAX)));
        let fixed = Terms { commission: Commission::FixedPaise(Paise(i64::MAX)), ..terms(FeeBearer::Merchant) };
        assert_eq!(settle_item(Paise(100), &fixed), Err(MoneyOverflow), "commission + GST leave the range");
        let negative_fee = Terms { commission: Commission::FixedPaise(Paise(-1)), gst_rate: Decimal::ZERO, ..fixed };
        assert_eq!(settle_item(Paise(i64::MAX), &negative_fee), Err(MoneyOverflow), "amount − (−1) leaves the range");
        let big = settle_item(Paise(i64::MAX / 2), &terms(FeeBearer::Payer)).unwrap();
        assert_eq!(BatchTotals::from_items(&[big, big, big], Paise::ZERO, Paise::ZERO), Err(MoneyOverflow));
        assert_eq!(BatchTotals::from_items(&[big], Paise::ZERO, Paise(i64::MAX)), Err(MoneyOverflow));
    }

    /// `x × bp / 10 000` rounded half away from zero, in plain integers: the reference the
    /// `Decimal` maths must agree with.
    fn exact_rate(x: i128, basis_points: i64) -> i128 {
        let product = x * i128::from(basis_points);
        let (quotient, remainder) = (product / 10_000, product % 10_000);
        if 2 * remainder.abs() >= 10_000 {
            quotient + product.signum()
        } else {
            quotient
        }
    }

    fn fits(v: i128) -> Option<i128> {
        i64::try_from(v).is_ok().then_some(v)
    }

    #[derive(Clone, Copy, Debug)]
    struct Case {
        amount: i64,
        /// `Ok(basis points)` or `Err(fixed fee in paise)`.
        commission: Result<i64, i64>,
        gst_bp: i64,
        tds_bp: Option<i64>,
        reserve_bp: Option<i64>,
        merchant_bears: bool,
    }

    impl Case {
        fn terms(&self) -> Terms {
            let rate = |bp: i64| Decimal::new(bp, 4);
            Terms {
                commission: match self.commission {
                    Ok(bp) => Commission::Percent(rate(bp)),
                    Err(fee) => Commission::FixedPaise(Paise(fee)),
                },
                gst_rate: rate(self.gst_bp),
                tds_rate: self.tds_bp.map(rate),
                reserve_rate: self.reserve_bp.map(rate),
                fee_bearer: if self.merchant_bears { FeeBearer::Merchant } else { FeeBearer::Payer },
            }
        }

        /// Spec 4.2 step by step in `i128`; `None` as soon as a step's exact value leaves `i64`.
        fn exact(&self) -> Option<ItemBreakdown> {
            let amount = i128::from(self.amount);
            let commission = fits(match self.commission {
                Ok(bp) => exact_rate(amount, bp),
                Err(fee) => i128::from(fee),
            })?;
            let gst = fits(exact_rate(commission, self.gst_bp))?;
            let tds = fits(self.tds_bp.map_or(0, |bp| exact_rate(amount, bp)))?;
            let fees = fits(commission + gst)?;
            let deducted = if self.merchant_bears { fees } else { 0 };
            let before_reserve = fits(fits(amount - deducted)? - tds)?;
            let reserve = fits(self.reserve_bp.map_or(0, |bp| exact_rate(before_reserve, bp)))?;
            let net = fits(before_reserve - reserve)?;
            let p = |v: i128| Paise(v as i64);
            Some(ItemBreakdown {
                amount: p(amount),
                commission: p(commission),
                gst: p(gst),
                tds: p(tds),
                reserve: p(reserve),
                net: p(net),
                fees_not_deducted: p(if self.merchant_bears { 0 } else { fees }),
            })
        }
    }

    fn arb_amount() -> impl Strategy<Value = i64> {
        prop_oneof![
            4 => 0i64..10_000_000_00,
            1 => any::<i64>(),
            1 => (i64::MAX - 1_000_000)..=i64::MAX,
            1 => i64::MIN..(i64::MIN + 1_000_000),
        ]
    }

    fn arb_case() -> impl Strategy<Value = Case> {
        let bp = 0i64..=30_000; // up to 300 %, so large amounts overflow through the rates as well
        (
            arb_amount(),
            prop_oneof![bp.clone().prop_map(Ok), arb_amount().prop_map(Err)],
            bp.clone(),
            proptest::option::of(bp.clone()),
            proptest::option::of(bp),
            any::<bool>(),
        )
            .prop_map(|(amount, commission, gst_bp, tds_bp, reserve_bp, merchant_bears)| Case {
                amount,
                commission,
                gst_bp,
                tds_bp,
                reserve_bp,
                merchant_bears,
            })
    }

    proptest! {
        #[test]
        fn an_item_is_exact_or_an_error(case in arb_case()) {
            match (settle_item(Paise(case.amount), &case.terms()), case.exact()) {
                (Ok(item), Some(exact)) => prop_assert_eq!(item, exact),
                (Err(MoneyOverflow), None) => {}
                (got, expected) => prop_assert!(false, "got {:?}, exact {:?}", got, expected),
            }
        }

        #[test]
        fn every_batch_balances_or_is_an_error(
            cases in proptest::collection::vec(arb_case(), 0..12),
            deductions in prop_oneof![0i64..1_000_000_00, 0..=i64::MAX],
            released in prop_oneof![0i64..1_000_000_00, 0..=i64::MAX],
        ) {
            let items: Vec<ItemBreakdown> =
                cases.iter().filter_map(|c| settle_item(Paise(c.amount), &c.terms()).ok()).collect();
            let wide = |f: fn(&ItemBreakdown) -> Paise| items.iter().map(|i| i128::from(f(i).0)).sum::<i128>();
            let exact_net = wide(|i| i.net) + i128::from(released) - i128::from(deductions);
            let sums = [wide(|i| i.amount), wide(|i| i.commission), wide(|i| i.gst), wide(|i| i.tds),
                wide(|i| i.reserve), wide(|i| i.fees_not_deducted), exact_net];
            match BatchTotals::from_items(&items, Paise(deductions), Paise(released)) {
                Ok(totals) => {
                    prop_assert!(totals.balances(), "{:?}", totals);
                    let got = [totals.gross, totals.commission, totals.gst, totals.tds, totals.reserve,
                        totals.fees_not_deducted, totals.net].map(|p| i128::from(p.0));
                    prop_assert_eq!(got, sums);
                    prop_assert_eq!(totals.txn_count, items.len() as i64);
                }
                Err(MoneyOverflow) => prop_assert!(sums.iter().any(|&s| fits(s).is_none()), "refused a batch that fits"),
            }
        }
    }
}
