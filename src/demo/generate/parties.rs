//! The demo's users (one per role, all with the demo password) and its six merchants with their
//! bank accounts and commercial terms.

use argon2::password_hash::SaltString;
use rand::Rng;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{DemoUser, Gen, Merchant, BANKS, DEMO_PASSWORD, DEMO_USERS};
use crate::features::settlements::calc::Commission;
use crate::money::Paise;

/// The users who act in the generated history.
pub(super) struct Staff {
    /// Works the exception queue and the chargebacks.
    pub ops: Uuid,
    /// Creates the settlement batches.
    pub finance: Uuid,
    /// Approves, rejects and holds them (maker-checker).
    pub finance2: Uuid,
}

impl Staff {
    pub fn of(users: &[DemoUser]) -> Staff {
        let user = |email: &str| users.iter().find(|u| u.email == email).map(|u| u.id).unwrap_or_default();
        Staff {
            ops: user("ops@settlepaisa.test"),
            finance: user("finance@settlepaisa.test"),
            finance2: user("finance2@settlepaisa.test"),
        }
    }
}

/// The demo users of [`DEMO_USERS`], their password hashes salted from the generator.
pub(super) fn users(g: &mut Gen) -> Vec<DemoUser> {
    DEMO_USERS
        .iter()
        .map(|&(email, full_name, role)| {
            let salt_bytes: [u8; 16] = g.rng.gen();
            let salt = SaltString::encode_b64(&salt_bytes).expect("16 bytes encode as a salt");
            let password_hash =
                crate::auth::password::hash_with_salt(DEMO_PASSWORD, &salt).expect("argon2 hashes the demo password");
            DemoUser { id: g.uuid(), email, full_name, role, password_hash }
        })
        .collect()
}

/// The six merchants, with per-method commission overrides, a payer-borne method, TDS and a reserve.
pub(super) fn merchants(g: &mut Gen) -> Vec<Merchant> {
    let mut m = |id, name, legal_name, pan, bank: usize, rail, default_rate: &str| Merchant {
        id,
        name,
        legal_name,
        pan,
        bank_account_id: g.uuid(),
        account_number: g.unique("", 14),
        ifsc: g.unique(&format!("{}0", BANKS[bank].1), 6),
        bank_name: BANKS[bank].0,
        preferred_rail: rail,
        commission: Vec::new(),
        default_rate: dec(default_rate),
        payer_bears: Vec::new(),
        tds_rate: None,
        reserve: None,
    };
    let mut flipkart = m("MERCH_001", "Flipkart", "Flipkart Internet Pvt Ltd", "AABCF8078M", 1, "NEFT", "0.018");
    let mut amazon = m("MERCH_002", "Amazon India", "Amazon Seller Services Pvt Ltd", "AAICA3918J", 2, "RTGS", "0.015");
    let myntra = m("MERCH_003", "Myntra", "Myntra Designs Pvt Ltd", "AAECM1234K", 0, "NEFT", "0.02");
    let mut swiggy = m("MERCH_004", "Swiggy", "Bundl Technologies Pvt Ltd", "AAFCB7707D", 3, "IMPS", "0.019");
    let mut zomato = m("MERCH_005", "Zomato", "Zomato Ltd", "AADCZ2987L", 1, "NEFT", "0.021");
    let mut bigbasket =
        m("MERCH_006", "BigBasket", "Supermarket Grocery Supplies Pvt Ltd", "AAQCS4259Q", 4, "NEFT", "0.0175");
    flipkart.commission.push(("WALLET", Commission::Percent(dec("0.022"))));
    amazon.commission.push(("CARD", Commission::Percent(dec("0.022"))));
    swiggy.payer_bears.push("UPI");
    zomato.tds_rate = Some(dec("0.001"));
    bigbasket.commission.push(("UPI", Commission::FixedPaise(Paise(500))));
    bigbasket.reserve = Some((dec("0.05"), 7));
    vec![flipkart, amazon, myntra, swiggy, zomato, bigbasket]
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}
