//! The gateway's transactions of the window (747 of them, 20–29 a day), the chargebacks whose
//! payment falls in the window linked to one of them, and the reconciliation outcome each
//! transaction is built for: matched for most, every exception type on randomly chosen ones.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;

use super::disputes::method_for_network;
use super::{random_amount, random_method, utr_for, Chargeback, Cycles, Gen, Merchant, Txn, BANKS, TRANSACTIONS};
use crate::ist;

/// The outcome a transaction is built for; its bank lines and recon results follow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    Matched,
    Tolerance,
    Rounding,
    FeeMismatch,
    AmountMismatch,
    DateOutOfWindow,
    UtrMismatch,
    FeesVariance,
    UtrMissing,
    DuplicatePg,
    DuplicateBank,
    MissingInBank,
    BankFileMissing,
}

/// The window's transactions and, by position, the outcome planned for each.
pub(super) struct Payments {
    pub transactions: Vec<Txn>,
    pub plans: Vec<Plan>,
}

/// How many transactions each cycle day has: 20–29, adjusted to 747 in all.
pub(super) fn per_day(g: &mut Gen, cycles: &Cycles) -> Vec<usize> {
    let mut per_day: Vec<usize> = cycles.days.iter().map(|_| g.rng.gen_range(20..30)).collect();
    while per_day.iter().sum::<usize>() != TRANSACTIONS {
        let i = g.rng.gen_range(0..per_day.len());
        if per_day.iter().sum::<usize>() > TRANSACTIONS {
            per_day[i] -= 1;
        } else {
            per_day[i] += 1;
        }
    }
    per_day
}

/// The chargebacks (by index) whose payment falls in the window, by the day of their transaction.
pub(super) fn chargeback_links(
    g: &mut Gen,
    cycles: &Cycles,
    chargebacks: &[Chargeback],
) -> BTreeMap<NaiveDate, Vec<usize>> {
    let mut linked: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (i, cb) in chargebacks.iter().enumerate() {
        let txn_day = ist::date_of(cb.received_at) - Duration::days(g.rng.gen_range(2..=6));
        if txn_day >= cycles.first_day && txn_day < cycles.missing_day {
            linked.entry(txn_day).or_default().push(i);
        }
    }
    linked
}

/// The transactions of each day, a linked chargeback taking its transaction's reference, UTR and
/// RRN; with them, the positions of those free to take a special outcome.
pub(super) fn transactions(
    g: &mut Gen,
    cycles: &Cycles,
    merchants: &[Merchant],
    chargebacks: &mut [Chargeback],
    per_day: &[usize],
    linked: &BTreeMap<NaiveDate, Vec<usize>>,
) -> (Payments, Vec<usize>) {
    let mut transactions: Vec<Txn> = Vec::with_capacity(TRANSACTIONS);
    let mut plans: Vec<Plan> = Vec::with_capacity(TRANSACTIONS);
    let mut free: Vec<usize> = Vec::new(); // transactions that may take a special outcome
    for (d, &day) in cycles.days.iter().enumerate() {
        let links = linked.get(&day).cloned().unwrap_or_default();
        for k in 0..per_day[d] {
            let id = transactions.len() as i64 + 1;
            let (merchant_id, method, amount, cb) = match links.get(k) {
                Some(&ci) => {
                    let cb = &chargebacks[ci];
                    (cb.merchant_id, method_for_network(cb.acquirer), cb.chargeback_paise, Some(ci))
                }
                // One large RTGS payment two days back, so a fresh batch always needs approval.
                None if day == cycles.anchor - Duration::days(2) && k == links.len() => {
                    ("MERCH_002", "RTGS", g.rng.gen_range(1_50_000_00..=4_00_000_00), None)
                }
                None => {
                    let m = merchants[g.rng.gen_range(0..merchants.len())].id;
                    let method = random_method(g);
                    (m, method, random_amount(g, method), None)
                }
            };
            let acquirer = g.pick(&BANKS).0;
            let txn = Txn {
                id,
                txn_id: format!("TXN{}{:05}", day.format("%Y%m%d"), k + 1),
                merchant_id,
                amount_paise: amount,
                txn_at: g.time_on(day, 8, 22),
                cycle_date: day,
                payment_method: method,
                acquirer,
                utr: Some(utr_for(g, acquirer)),
                rrn: Some(g.unique("", 12)),
                bank_fee_paise: None,
                expected_settlement_paise: None,
                status: "PENDING",
            };
            if let Some(ci) = cb {
                let cbm = &mut chargebacks[ci];
                cbm.transaction_id = Some(id);
                cbm.txn_ref = txn.txn_id.clone();
                cbm.utr = txn.utr.clone().unwrap_or_default();
                if let Some(rrn) = &txn.rrn {
                    cbm.rrn = rrn.clone();
                }
            }
            plans.push(if day == cycles.missing_day { Plan::BankFileMissing } else { Plan::Matched });
            let kept_matched = cb.is_some() || (day == cycles.anchor - Duration::days(2) && k == links.len());
            if day != cycles.missing_day && !kept_matched {
                free.push(transactions.len());
            }
            transactions.push(txn);
        }
    }
    (Payments { transactions, plans }, free)
}

/// Chargebacks without a transaction in the window refer to older payments.
pub(super) fn older_payment_refs(g: &mut Gen, chargebacks: &mut [Chargeback]) {
    for cb in chargebacks.iter_mut().filter(|c| c.transaction_id.is_none()) {
        let day = ist::date_of(cb.received_at) - Duration::days(4);
        cb.txn_ref = format!("TXN{}{:05}", day.format("%Y%m%d"), g.rng.gen_range(50_000..99_999));
        cb.utr = utr_for(g, "AXIS");
    }
}

/// Special outcomes on randomly chosen free transactions: every exception type, duplicate UTRs in
/// pairs within a cycle, and missing or placeholder UTRs.
pub(super) fn special_outcomes(g: &mut Gen, anchor: NaiveDate, payments: &mut Payments, mut free: Vec<usize>) {
    let Payments { transactions, plans } = payments;
    free.shuffle(&mut g.rng);
    let mut take = |n: usize, plan: Plan, only: &dyn Fn(&Txn) -> bool| {
        let mut chosen = Vec::new();
        let mut i = 0;
        while chosen.len() < n && i < free.len() {
            if only(&transactions[free[i]]) {
                chosen.push(free.remove(i));
            } else {
                i += 1;
            }
        }
        for &t in &chosen {
            plans[t] = plan;
        }
        chosen
    };
    let any = |_: &Txn| true;
    let old_enough = |t: &Txn| t.cycle_date <= anchor - Duration::days(6);
    take(10, Plan::Tolerance, &any);
    take(5, Plan::Rounding, &any);
    take(6, Plan::FeeMismatch, &any);
    take(8, Plan::AmountMismatch, &any);
    take(5, Plan::DateOutOfWindow, &old_enough);
    take(4, Plan::UtrMismatch, &any);
    take(3, Plan::FeesVariance, &any);
    let utr_missing = take(4, Plan::UtrMissing, &any);
    // Duplicate UTRs come in pairs within one cycle: the engine reconciles a cycle at a time.
    let mut dup_pg = Vec::new();
    for first in take(2, Plan::DuplicatePg, &any) {
        let cycle = transactions[first].cycle_date;
        dup_pg.push(first);
        dup_pg.extend(take(1, Plan::DuplicatePg, &|t: &Txn| t.cycle_date == cycle));
    }
    take(2, Plan::DuplicateBank, &any);
    take(30, Plan::MissingInBank, &any);
    for (k, &t) in utr_missing.iter().enumerate() {
        transactions[t].utr =
            [None, Some("N/A".to_string()), Some("NULL".to_string()), Some("  ".to_string())][k % 4].clone();
    }
    for pair in dup_pg.chunks(2) {
        if let [a, b] = pair {
            transactions[*b].utr = transactions[*a].utr.clone();
        }
    }
}
