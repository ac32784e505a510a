//! The bank statement of the window (2,011 lines): a credit for each transaction as its planned
//! outcome needs it, credits no transaction explains, a payout debit per paid settlement batch and
//! bank charges; and the runs of the SFTP connector that fetched each day's file.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use uuid::Uuid;

use super::payments::{Payments, Plan};
use super::{
    at, random_amount, utr_for, BankLine, Batch, ConnectorRun, Cycles, Gen, Merchant, Transfer, BANKS, BANK_LINES,
};
use crate::ist;

/// A bank statement line to append.
struct LineSpec {
    bank: &'static str,
    amount: i64,
    direction: &'static str,
    date: NaiveDate,
    cycle: NaiveDate,
    utr: Option<String>,
    remarks: String,
}

/// Append a line (ids are 1-based positions) and return its index.
fn push_line(lines: &mut Vec<BankLine>, g: &mut Gen, spec: LineSpec) -> usize {
    lines.push(BankLine {
        id: lines.len() as i64 + 1,
        bank_ref: g.unique(&format!("{}{}", spec.bank, spec.cycle.format("%y%m%d")), 7),
        bank_name: spec.bank,
        amount_paise: spec.amount,
        direction: spec.direction,
        txn_date: spec.date,
        value_date: spec.date + Duration::days(i64::from(g.chance(30))),
        utr: spec.utr,
        remarks: spec.remarks,
        cycle_date: spec.cycle,
    });
    lines.len() - 1
}

/// The bank statement as built so far, with the lines reconciliation looks at.
pub(super) struct Statement {
    pub lines: Vec<BankLine>,
    /// Each transaction's credit line (by position), where its plan gives it one.
    pub line_for_txn: Vec<Option<usize>>,
    /// Both lines of each credit the bank reported twice.
    pub duplicate_lines: Vec<usize>,
    /// Credits no transaction explains.
    pub bank_only: Vec<usize>,
}

/// Credit lines for each transaction's outcome (a UTR mismatch gives the gateway row a wrong UTR,
/// a fees variance gives it fee fields that do not add up).
pub(super) fn transaction_credits(g: &mut Gen, payments: &mut Payments) -> Statement {
    let Payments { transactions, plans } = payments;
    let mut bank_lines: Vec<BankLine> = Vec::new();
    let mut line_for_txn: Vec<Option<usize>> = vec![None; transactions.len()];
    let mut dup_lines: Vec<usize> = Vec::new();
    for (t, txn) in transactions.iter_mut().enumerate() {
        let plan = plans[t];
        let day = txn.cycle_date;
        let (amount, date, utr) = match plan {
            Plan::Matched => (txn.amount_paise, day, txn.utr.clone()),
            Plan::Tolerance => (txn.amount_paise - g.rng.gen_range(2..100), day, txn.utr.clone()),
            Plan::Rounding => (txn.amount_paise - 1, day, txn.utr.clone()),
            Plan::FeeMismatch => (txn.amount_paise - g.rng.gen_range(200..=500), day, txn.utr.clone()),
            Plan::AmountMismatch => (txn.amount_paise - (txn.amount_paise / 10).max(1_000), day, txn.utr.clone()),
            Plan::DateOutOfWindow => (txn.amount_paise, day + Duration::days(g.rng.gen_range(3..=5)), txn.utr.clone()),
            Plan::UtrMismatch => {
                // The gateway recorded a wrong UTR; the bank's UTR is the PG row's RRN.
                let bank_utr = txn.rrn.clone();
                txn.utr = Some(utr_for(g, txn.acquirer));
                (txn.amount_paise, day, bank_utr)
            }
            Plan::FeesVariance => {
                let fee = (txn.amount_paise / 200).max(100);
                txn.bank_fee_paise = Some(fee);
                txn.expected_settlement_paise = Some(txn.amount_paise - fee - 300);
                (txn.amount_paise, day, txn.utr.clone())
            }
            Plan::DuplicateBank => {
                for _ in 0..2 {
                    let remarks = format!("NEFT CR {}", txn.utr.clone().unwrap_or_default());
                    let l = push_line(
                        &mut bank_lines,
                        g,
                        LineSpec {
                            bank: txn.acquirer,
                            amount: txn.amount_paise,
                            direction: "CREDIT",
                            date: day,
                            cycle: day,
                            utr: txn.utr.clone(),
                            remarks,
                        },
                    );
                    dup_lines.push(l);
                }
                continue;
            }
            Plan::UtrMissing | Plan::DuplicatePg | Plan::MissingInBank | Plan::BankFileMissing => continue,
        };
        let remarks = format!("{} CR {}", txn.payment_method, utr.clone().unwrap_or_default());
        line_for_txn[t] = Some(push_line(
            &mut bank_lines,
            g,
            LineSpec { bank: txn.acquirer, amount, direction: "CREDIT", date, cycle: day, utr, remarks },
        ));
    }
    Statement { lines: bank_lines, line_for_txn, duplicate_lines: dup_lines, bank_only: Vec::new() }
}

/// 25 credits no transaction explains, on the days with a bank file.
pub(super) fn bank_only_credits(g: &mut Gen, cycles: &Cycles, statement: &mut Statement) {
    let bank_days = cycles.bank_days();
    for _ in 0..25 {
        let day = g.pick(&bank_days);
        let bank = g.pick(&BANKS).0;
        let amount = random_amount(g, "UPI");
        let utr = utr_for(g, bank);
        let remarks = format!("IMPS CR {utr} UNKNOWN REMITTER");
        statement.bank_only.push(push_line(
            &mut statement.lines,
            g,
            LineSpec { bank, amount, direction: "CREDIT", date: day, cycle: day, utr: Some(utr), remarks },
        ));
    }
}

/// A payout debit for each paid batch, which verifies its transfer.
pub(super) fn payout_debits(
    g: &mut Gen,
    merchants: &[Merchant],
    batches: &[Batch],
    transfers: &mut [Transfer],
    bank_lines: &mut Vec<BankLine>,
) {
    let merchant = |id: &str| merchants.iter().find(|m| m.id == id).expect("demo merchant");
    for b in batches.iter().filter(|b| b.status == "PAID") {
        let paid_day = ist::date_of(b.paid_at.unwrap_or(b.created_at));
        let bank = merchant(b.merchant_id).bank_name;
        let remarks = format!("{} DR {} {}", b.rail, b.batch_ref, merchant(b.merchant_id).name.to_uppercase());
        let l = push_line(
            bank_lines,
            g,
            LineSpec {
                bank,
                amount: b.totals.net.0,
                direction: "DEBIT",
                date: paid_day,
                cycle: paid_day,
                utr: b.payout_utr.clone(),
                remarks,
            },
        );
        if let Some(t) = transfers.iter_mut().find(|t| t.batch_id == b.id) {
            t.bank_line_id = Some(bank_lines[l].id);
        }
    }
}

/// Bank charges on the days with a bank file, up to the statement's 2,011 lines.
pub(super) fn bank_charges(g: &mut Gen, cycles: &Cycles, bank_lines: &mut Vec<BankLine>) {
    const CHARGES: [&str; 5] =
        ["NEFT CHARGES", "GST ON CHARGES", "IMPS CHARGES", "SMS ALERT CHARGES", "ACCOUNT MAINTENANCE FEE"];
    let bank_days = cycles.bank_days();
    while bank_lines.len() < BANK_LINES {
        let day = g.pick(&bank_days);
        let bank = g.pick(&BANKS).0;
        let amount = g.rng.gen_range(1_180..=59_000);
        let remarks = g.pick(&CHARGES).to_string();
        push_line(
            bank_lines,
            g,
            LineSpec { bank, amount, direction: "DEBIT", date: day, cycle: day, utr: None, remarks },
        );
    }
    assert_eq!(bank_lines.len(), BANK_LINES, "credits and payouts fit within the 2,011 bank lines");
}

/// The AXIS SFTP connector (its id) and its daily runs; the newest cycle's file has not arrived.
pub(super) fn connector_runs(g: &mut Gen, cycles: &Cycles, bank_lines: &[BankLine]) -> (Uuid, Vec<ConnectorRun>) {
    let connector_id = g.uuid();
    let connector_runs = cycles
        .days
        .iter()
        .map(|&day| {
            let started_at = at(day, 22, 30);
            let rows = bank_lines.iter().filter(|l| l.cycle_date == day).count() as i32;
            let missing = day == cycles.missing_day;
            ConnectorRun {
                id: g.uuid(),
                cycle_date: day,
                status: if missing { "FAILED" } else { "SUCCEEDED" },
                files_seen: i32::from(!missing),
                files_ingested: i32::from(!missing),
                rows_ingested: if missing { 0 } else { rows },
                error: missing.then(|| {
                    format!("No file matching AXIS_SETTLE_{}_*.csv in /outgoing/settlement", day.format("%Y-%m-%d"))
                }),
                started_at,
                finished_at: started_at + Duration::seconds(g.rng.gen_range(4..30)),
            }
        })
        .collect();
    (connector_id, connector_runs)
}
