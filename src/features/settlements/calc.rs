//! Settlement maths of spec 4.2, pure: per transaction in paise, each step rounded half-up to the
//! paisa; a batch sums its items and adds released reserve, minus deductions.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commission {
    Percent(Decimal),
    FixedPaise(i64),
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
    pub amount: i64,
    pub commission: i64,
    pub gst: i64,
    pub tds: i64,
    pub reserve: i64,
    pub net: i64,
    /// Commission + GST recorded but not deducted (payer/bank-borne fees).
    pub fees_not_deducted: i64,
}

/// `paise × rate`, rounded half-up (away from zero) to the paisa.
pub fn apply_rate(paise: i64, rate: Decimal) -> i64 {
    let product = (Decimal::from(paise) * rate).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(product.mantissa()).unwrap_or(i64::MAX)
}

pub fn settle_item(amount: i64, terms: &Terms) -> ItemBreakdown {
    let commission = match terms.commission {
        Commission::Percent(rate) => apply_rate(amount, rate),
        Commission::FixedPaise(fee) => fee,
    };
    let gst = apply_rate(commission, terms.gst_rate);
    let tds = terms.tds_rate.map_or(0, |rate| apply_rate(amount, rate));
    let (deducted_fees, fees_not_deducted) = match terms.fee_bearer {
        FeeBearer::Merchant => (commission + gst, 0),
        FeeBearer::Payer | FeeBearer::Bank => (0, commission + gst),
    };
    let before_reserve = amount - deducted_fees - tds;
    let reserve = terms.reserve_rate.map_or(0, |rate| apply_rate(before_reserve, rate));
    ItemBreakdown { amount, commission, gst, tds, reserve, net: before_reserve - reserve, fees_not_deducted }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTotals {
    pub txn_count: i64,
    pub gross: i64,
    pub commission: i64,
    pub gst: i64,
    pub tds: i64,
    pub reserve: i64,
    pub deductions: i64,
    pub reserve_released: i64,
    pub fees_not_deducted: i64,
    pub net: i64,
}

impl BatchTotals {
    /// Sum items, add released reserve, subtract deductions (capped at 30 % of gross by the caller).
    pub fn from_items(items: &[ItemBreakdown], deductions: i64, reserve_released: i64) -> BatchTotals {
        let mut t = BatchTotals { deductions, reserve_released, ..Default::default() };
        for i in items {
            t.txn_count += 1;
            t.gross += i.amount;
            t.commission += i.commission;
            t.gst += i.gst;
            t.tds += i.tds;
            t.reserve += i.reserve;
            t.fees_not_deducted += i.fees_not_deducted;
            t.net += i.net;
        }
        t.net += reserve_released - deductions;
        t
    }

    /// gross = commission + gst + tds + reserve + deductions − released reserve + net, where
    /// commission and GST count only where the merchant bears them.
    pub fn balances(&self) -> bool {
        self.gross
            == self.commission + self.gst - self.fees_not_deducted + self.tds + self.reserve + self.deductions
                - self.reserve_released
                + self.net
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn merchant_bears_commission_and_gst() {
        // ₹1,000.00: commission ₹20.00, GST ₹3.60, net ₹976.40.
        let b = settle_item(100_000, &terms(FeeBearer::Merchant));
        assert_eq!((b.commission, b.gst, b.tds, b.reserve, b.net), (2_000, 360, 0, 0, 97_640));
    }

    #[test]
    fn payer_borne_fees_are_recorded_not_deducted() {
        let b = settle_item(100_000, &terms(FeeBearer::Payer));
        assert_eq!((b.commission, b.gst, b.net, b.fees_not_deducted), (2_000, 360, 100_000, 2_360));
    }

    #[test]
    fn half_paisa_rounds_up() {
        // 2 % of 125 paise = 2.5 → 3; 18 % of 3 = 0.54 → 1.
        let b = settle_item(125, &terms(FeeBearer::Merchant));
        assert_eq!((b.commission, b.gst, b.net), (3, 1, 121));
        assert_eq!(apply_rate(5, dec("0.1")), 1); // 0.5 → 1
        assert_eq!(apply_rate(4, dec("0.1")), 0); // 0.4 → 0
    }

    #[test]
    fn tds_reserve_and_fixed_fee() {
        let t = Terms {
            commission: Commission::FixedPaise(500),
            gst_rate: dec("0.18"),
            tds_rate: Some(dec("0.001")),
            reserve_rate: Some(dec("0.05")),
            fee_bearer: FeeBearer::Merchant,
        };
        let b = settle_item(1_000_000, &t);
        // commission 500, GST 90, TDS 1,000, before reserve 998,410, reserve 49,921 (49,920.5 ↑).
        assert_eq!((b.commission, b.gst, b.tds, b.reserve, b.net), (500, 90, 1_000, 49_921, 948_489));
    }

    #[test]
    fn batch_identity_holds_to_the_paisa() {
        let merchant = terms(FeeBearer::Merchant);
        let payer = terms(FeeBearer::Payer);
        let mut items = Vec::new();
        for (i, amount) in [10_001_i64, 999, 123_456_789, 50, 7_777_777].into_iter().enumerate() {
            items.push(settle_item(amount, if i % 2 == 0 { &merchant } else { &payer }));
        }
        let totals = BatchTotals::from_items(&items, 1_234, 5_678);
        assert!(totals.balances());
        assert_eq!(totals.txn_count, 5);
        let broken = BatchTotals { net: totals.net + 1, ..totals };
        assert!(!broken.balances());
    }
}
