//! The reconciliation of the window as the engine does it: a run per cycle day, and the spec 2.2
//! outcome of each transaction's plan and of each duplicate or PG-less bank credit (result rows,
//! exception records, run counts, transaction statuses).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::bank::Statement;
use super::payments::{Payments, Plan};
use super::{at, BankLine, Cycles, Exception, Gen, ResultRow, Run, Txn};
use crate::features::exceptions::rules::{raise_by_amount, Severity};
use crate::features::recon::model::RunCounts;

/// One run per cycle day, its counts left for [`outcomes`] to fill.
pub(super) fn runs(g: &mut Gen, cycles: &Cycles) -> Vec<Run> {
    cycles
        .days
        .iter()
        .map(|&day| {
            // End-of-day run, so nothing is dated after the anchor day's start.
            let queued_at = at(day, 23, 0);
            Run {
                id: g.uuid(),
                cycle_date: day,
                counts: RunCounts::default(),
                queued_at,
                finished_at: queued_at + Duration::seconds(g.rng.gen_range(3..40)),
            }
        })
        .collect()
}

/// The result rows and exception records (in id order) of every run, with its counts; each
/// transaction's status becomes RECONCILED or EXCEPTION.
pub(super) fn outcomes(
    cycles: &Cycles,
    runs: &mut [Run],
    payments: &mut Payments,
    statement: &Statement,
) -> (Vec<ResultRow>, Vec<Exception>) {
    let mut results = Vec::new();
    let mut raised = Raised::default();
    pg_outcomes(cycles, runs, payments, statement, &mut results, &mut raised);
    bank_outcomes(cycles, runs, statement, &mut results, &mut raised);
    for line in statement.lines.iter().filter(|l| l.direction == "CREDIT") {
        runs[cycles.index(line.cycle_date)].counts.bank_rows += 1;
    }
    let mut exceptions = raised.exceptions;
    exceptions.sort_by(|a, b| a.id.cmp(&b.id));
    (results, exceptions)
}

/// Exception records as runs raise them, numbered per cycle day.
#[derive(Default)]
struct Raised {
    exceptions: Vec<Exception>,
    last_number: BTreeMap<NaiveDate, u32>,
}

impl Raised {
    /// Raise an open record on a run, its severity raised by amount.
    fn raise(
        &mut self,
        run: &Run,
        reason: &'static str,
        default: Severity,
        txn: Option<&Txn>,
        line: Option<&BankLine>,
    ) {
        let seq = self.last_number.entry(run.cycle_date).or_insert(0);
        *seq += 1;
        let pg = txn.map(|t| t.amount_paise);
        let bank = line.map(|l| l.amount_paise);
        let amount = pg.or(bank).unwrap_or(0);
        self.exceptions.push(Exception {
            id: format!("EXC-{}-{:06}", run.cycle_date.format("%Y%m%d"), seq),
            run_id: run.id,
            reason_code: reason,
            severity: raise_by_amount(default, crate::money::Paise(amount)),
            status: "open",
            assignee: None,
            tags: Vec::new(),
            snoozed_until: None,
            pg_amount_paise: pg,
            bank_amount_paise: bank,
            delta_paise: pg.zip(bank).map(|(p, b)| p - b),
            merchant_id: txn.map(|t| t.merchant_id),
            acquirer: txn.map(|t| t.acquirer).or(line.map(|l| l.bank_name)).unwrap_or("AXIS"),
            cycle_date: run.cycle_date,
            utr: txn.and_then(|t| t.utr.clone()).or(line.and_then(|l| l.utr.clone())),
            transaction_id: txn.map(|t| t.id),
            bank_line_id: line.map(|l| l.id),
            resolution: None,
            created_at: run.finished_at,
            updated_at: run.finished_at,
            resolved_at: None,
        });
    }
}

/// A PG result row per transaction by its plan (a paired bank line rides on it: migration
/// 20261216000001), with a record for each reason.
fn pg_outcomes(
    cycles: &Cycles,
    runs: &mut [Run],
    payments: &mut Payments,
    statement: &Statement,
    results: &mut Vec<ResultRow>,
    raised: &mut Raised,
) {
    let Payments { transactions, plans } = payments;
    for (t, txn) in transactions.iter_mut().enumerate() {
        let run = &mut runs[cycles.index(txn.cycle_date)];
        run.counts.pg_rows += 1;
        let line = statement.line_for_txn[t].map(|l| &statement.lines[l]);
        let (class, reason, severity) = match plans[t] {
            Plan::Matched | Plan::Tolerance => ("MATCHED", None, Severity::Low),
            Plan::Rounding => ("EXCEPTION", Some("ROUNDING_ERROR"), Severity::Medium),
            Plan::FeeMismatch => ("EXCEPTION", Some("FEE_MISMATCH"), Severity::Medium),
            Plan::AmountMismatch => ("EXCEPTION", Some("AMOUNT_MISMATCH"), Severity::High),
            Plan::DateOutOfWindow => ("EXCEPTION", Some("DATE_OUT_OF_WINDOW"), Severity::High),
            Plan::UtrMismatch => ("EXCEPTION", Some("UTR_MISMATCH"), Severity::High),
            Plan::FeesVariance => ("EXCEPTION", Some("FEES_VARIANCE"), Severity::High),
            Plan::UtrMissing => ("EXCEPTION", Some("UTR_MISSING_OR_INVALID"), Severity::Critical),
            Plan::DuplicatePg => ("EXCEPTION", Some("DUPLICATE_PG_ENTRY"), Severity::Critical),
            Plan::BankFileMissing => ("EXCEPTION", Some("BANK_FILE_MISSING"), Severity::Critical),
            Plan::DuplicateBank | Plan::MissingInBank => {
                ("UNMATCHED_PG", Some("PG_TXN_MISSING_IN_BANK"), Severity::High)
            }
        };
        match class {
            "MATCHED" => run.counts.matched += 1,
            "EXCEPTION" => run.counts.exceptions += 1,
            _ => run.counts.unmatched_pg += 1,
        }
        let delta = line.map(|l| txn.amount_paise - l.amount_paise);
        let score = match plans[t] {
            Plan::Matched => Some(100),
            Plan::Tolerance => Some(90),
            _ => None,
        };
        results.push(ResultRow {
            run_id: run.id,
            side: "pg",
            transaction_id: Some(txn.id),
            bank_line_id: line.map(|l| l.id),
            class,
            reason_code: reason,
            pg_amount_paise: Some(txn.amount_paise),
            bank_amount_paise: line.map(|l| l.amount_paise),
            delta_paise: delta,
            match_score: score,
        });
        txn.status = if class == "MATCHED" { "RECONCILED" } else { "EXCEPTION" };
        if let Some(reason) = reason {
            raised.raise(run, reason, severity, Some(txn), line);
        }
    }
}

/// A bank result row and a record for each duplicate credit and each credit without a PG row.
fn bank_outcomes(
    cycles: &Cycles,
    runs: &mut [Run],
    statement: &Statement,
    results: &mut Vec<ResultRow>,
    raised: &mut Raised,
) {
    for (lines, class, reason) in [
        (&statement.duplicate_lines, "EXCEPTION", "DUPLICATE_BANK_ENTRY"),
        (&statement.bank_only, "UNMATCHED_BANK", "BANK_TXN_MISSING_IN_PG"),
    ] {
        for &l in lines.iter() {
            let line = &statement.lines[l];
            let run = &mut runs[cycles.index(line.cycle_date)];
            if class == "UNMATCHED_BANK" {
                run.counts.unmatched_bank += 1;
            }
            results.push(ResultRow {
                run_id: run.id,
                side: "bank",
                transaction_id: None,
                bank_line_id: Some(line.id),
                class,
                reason_code: Some(reason),
                pg_amount_paise: None,
                bank_amount_paise: Some(line.amount_paise),
                delta_paise: None,
                match_score: None,
            });
            let default = if reason == "DUPLICATE_BANK_ENTRY" { Severity::Critical } else { Severity::High };
            raised.raise(run, reason, default, None, Some(line));
        }
    }
}
