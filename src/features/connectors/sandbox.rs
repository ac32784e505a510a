//! The sandbox sources of spec 6.2, their data: the old system's mock PG and bank services, kept
//! as endpoints of this program when `SANDBOX=true` (on in `make run`'s demo set-up; 404
//! otherwise; the handlers are in `api.rs`), so a PG_API connector pointed at the program itself
//! can be shown end to end.
//!
//! - `GET /api/pg/v1/transactions?cycleDate=&merchant=&page=` → `{"cycleDate", "merchant", "page",
//!   "pageSize", "totalPages", "total", "transactions": [{"txnId", "merchantId", "amountPaise",
//!   "txnAt", "paymentMethod", "acquirer", "utr", "rrn", "status"}]}`, a page of [`PAGE_SIZE`];
//! - `GET /api/bank/v1/statements?cycleDate=` → `{"cycleDate", "bankName", "lines": [{"reference",
//!   "txnDate", "valueDate", "amountPaise", "utr", "direction", "remarks"}]}`.
//!
//! Like every `/api` call they need a signed-in caller (a session, or an API token as the
//! connector's key). The data is a pure function of the cycle date and merchant ([`transactions`],
//! [`statement`]): the same question always gets the same answer. The bank's statement credits
//! each successful PG payment of the [`MERCHANTS`] with its UTR and amount, except for a few worked
//! differences a recon run should find: every 29th payment (n % 29 = 7) never reaches the bank, and
//! every 31st (n % 31 = 5) arrives ₹1.00 more than the PG says.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Transactions per page of the PG endpoint.
pub const PAGE_SIZE: usize = 100;
/// The merchants the sandbox bank's statement settles (the demo's).
pub const MERCHANTS: [&str; 6] = ["MERCH_001", "MERCH_002", "MERCH_003", "MERCH_004", "MERCH_005", "MERCH_006"];
/// The bank whose statement the sandbox serves.
pub const BANK: &str = "AXIS";
const METHODS: [&str; 4] = ["UPI", "CARD", "NETBANKING", "WALLET"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxTxn {
    pub txn_id: String,
    pub merchant_id: String,
    pub amount_paise: i64,
    pub txn_at: DateTime<Utc>,
    pub payment_method: &'static str,
    pub acquirer: &'static str,
    pub utr: String,
    pub rrn: String,
    /// `SUCCESS` or `FAILED`.
    pub status: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxLine {
    pub reference: String,
    pub txn_date: NaiveDate,
    pub value_date: NaiveDate,
    pub amount_paise: i64,
    pub utr: String,
    /// `CR`: every line is a credit.
    pub direction: &'static str,
    pub remarks: String,
}

/// The merchant code as it may appear in ids: letters, digits, `_` and `-`, at most 32.
pub fn check_merchant(code: &str) -> Result<&str, AppError> {
    let code = code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(AppError::BadRequest("Give merchant= as a merchant code (letters, digits, _ and -).".into()));
    }
    Ok(code)
}

/// A merchant's PG transactions of one cycle date: 40 to 80, captured during the IST day.
pub fn transactions(cycle: NaiveDate, merchant: &str) -> Vec<SandboxTxn> {
    let seed: [u8; 32] = Sha256::digest(format!("settlepaisa sandbox pg {cycle} {merchant}")).into();
    let mut rng = rand_chacha::ChaCha8Rng::from_seed(seed);
    let day = cycle.format("%Y%m%d").to_string();
    let start = crate::ist::start_of_day(cycle);
    let count = rng.gen_range(40..=80);
    (1..=count)
        .map(|n: u32| {
            let amount_paise = rng.gen_range(10_000..=5_000_000_i64);
            let at = start + Duration::seconds(rng.gen_range(0..86_400));
            let method = METHODS[rng.gen_range(0..METHODS.len())];
            let failed = rng.gen_range(0..100) < 5;
            SandboxTxn {
                txn_id: format!("SBX-{day}-{merchant}-{n:04}"),
                merchant_id: merchant.to_string(),
                amount_paise,
                txn_at: at,
                payment_method: method,
                acquirer: BANK,
                utr: format!(
                    "SBXU{day}{}{n:04}",
                    merchant.chars().filter(char::is_ascii_alphanumeric).collect::<String>()
                ),
                rrn: format!("{:012}", rng.gen_range(0..1_000_000_000_000_u64)),
                status: if failed { "FAILED" } else { "SUCCESS" },
            }
        })
        .collect()
}

/// The sandbox bank's statement of one cycle date: a credit per successful payment of the
/// [`MERCHANTS`], with the worked differences of the module's doc, in the order of the payments.
pub fn statement(cycle: NaiveDate) -> Vec<SandboxLine> {
    let mut lines = Vec::new();
    for merchant in MERCHANTS {
        for (i, t) in transactions(cycle, merchant).into_iter().enumerate() {
            let n = i + 1;
            if t.status != "SUCCESS" || n % 29 == 7 {
                continue;
            }
            let amount_paise = if n % 31 == 5 { t.amount_paise + 100 } else { t.amount_paise };
            lines.push(SandboxLine {
                reference: format!("SBXBANK-{}", t.txn_id.trim_start_matches("SBX-")),
                txn_date: cycle,
                value_date: cycle + Duration::days(1),
                amount_paise,
                utr: t.utr,
                direction: "CR",
                remarks: format!("NEFT CR {merchant}"),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn the_same_question_gets_the_same_answer() {
        let a = transactions(date(), "MERCH_001");
        assert_eq!(a, transactions(date(), "MERCH_001"));
        assert!((40..=80).contains(&a.len()));
        assert_ne!(a, transactions(date(), "MERCH_002"), "each merchant its own");
        assert_ne!(a, transactions(date().succ_opt().unwrap(), "MERCH_001"), "each date its own");
        let (start, end) = crate::ist::day_range(date(), date());
        for t in &a {
            assert!(t.txn_at >= start && t.txn_at < end, "captured on the cycle's IST day");
            assert!((10_000..=5_000_000).contains(&t.amount_paise));
            assert!(t.txn_id.starts_with("SBX-20261130-MERCH_001-"));
        }
        let ids: std::collections::BTreeSet<_> = a.iter().map(|t| &t.utr).collect();
        assert_eq!(ids.len(), a.len(), "UTRs are unique");
    }

    #[test]
    fn the_bank_credits_each_successful_payment_but_the_worked_differences() {
        let lines = statement(date());
        let mut expected = 0;
        let mut mismatched = 0;
        for merchant in MERCHANTS {
            for (i, t) in transactions(date(), merchant).iter().enumerate() {
                let n = i + 1;
                let line = lines.iter().find(|l| l.utr == t.utr);
                match (t.status, n % 29 == 7) {
                    ("SUCCESS", false) => {
                        let line = line.expect("credited");
                        expected += 1;
                        if n % 31 == 5 {
                            assert_eq!(line.amount_paise, t.amount_paise + 100);
                            mismatched += 1;
                        } else {
                            assert_eq!(line.amount_paise, t.amount_paise);
                        }
                    }
                    _ => assert!(line.is_none(), "{} not credited", t.txn_id),
                }
            }
        }
        assert_eq!(lines.len(), expected);
        assert!(mismatched > 0 && expected > 200, "the worked differences occur: {mismatched} of {expected}");
        assert_eq!(statement(date()), lines, "deterministic");
    }

    #[test]
    fn merchant_codes_are_plain() {
        assert!(check_merchant("MERCH_001").is_ok());
        assert!(check_merchant("../x").is_err());
        assert!(check_merchant("").is_err());
    }
}
