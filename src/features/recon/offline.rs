//! Ingestion and matching of two files without a server or database: what
//! `settlepaisa-ops recon --pg FILE --bank FILE` runs, for scripts and for checking a file before
//! uploading it.

use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;

use super::engine::{self, BankLine, PgRow, Settings};
use super::ingest::{self, Kind, Parsed, Records, RowError};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSummary {
    pub format: String,
    pub rows_total: u64,
    pub rows_accepted: usize,
    pub rows_rejected: usize,
    /// Well-formed rows that are not money to reconcile (a failed payment or credit).
    pub rows_skipped: usize,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub cycle_date: Option<NaiveDate>,
    pub pg_file: FileSummary,
    pub bank_file: FileSummary,
    pub pg_rows: usize,
    pub bank_rows: usize,
    pub debit_lines_ignored: usize,
    pub matched: usize,
    pub exceptions: usize,
    pub unmatched_pg: usize,
    pub unmatched_bank: usize,
    pub by_reason: std::collections::BTreeMap<&'static str, usize>,
}

/// A parsed file's summary, and its records, moved (not copied) into the engine's rows.
fn split(p: Parsed) -> (FileSummary, Records) {
    let summary = FileSummary {
        format: p.format.name(),
        rows_total: p.rows_total,
        rows_accepted: p.rows_accepted(),
        rows_rejected: p.errors.len(),
        rows_skipped: p.skipped.len(),
        errors: p.errors,
    };
    (summary, p.records)
}

/// The engine's view of parsed PG records.
pub fn pg_rows(records: Records) -> Vec<PgRow> {
    match records {
        Records::Pg(rows) => rows
            .into_iter()
            .map(|r| PgRow {
                date: r.txn_at.date(),
                txn_id: r.txn_id,
                merchant_id: r.merchant_id,
                acquirer: r.bank,
                amount: r.amount,
                utr: r.utr,
                rrn: r.rrn,
                bank_fee: r.bank_fee,
                expected_settlement: r.expected_settlement,
            })
            .collect(),
        Records::Bank(_) => Vec::new(),
    }
}

/// The engine's view of parsed bank lines.
pub fn bank_lines(records: Records) -> Vec<BankLine> {
    match records {
        Records::Bank(rows) => rows
            .into_iter()
            .map(|r| BankLine {
                key: r.natural_key,
                amount: r.amount,
                net: r.net,
                utr: r.utr,
                date: r.txn_date,
                credit: r.credit,
            })
            .collect(),
        Records::Pg(_) => Vec::new(),
    }
}

/// Read both files row by row (holding the records, not the files) and reconcile them. `merchant`
/// and `cycle_date` are what an upload form adds (a file without a merchant column, or without
/// dates, needs them).
pub fn run(
    pg_file: impl Read,
    bank_file: impl Read,
    cycle_date: Option<NaiveDate>,
    merchant: Option<String>,
) -> Result<Report, String> {
    let mappings = ingest::shipped_mappings();
    let options =
        ingest::ReadOptions { merchant: merchant.map(|m| m.trim().to_ascii_uppercase()), unit: None, cycle_date };
    let (pg_file, pg) =
        split(ingest::parse_with(pg_file, Kind::Pg, None, &mappings, &options).map_err(|e| format!("PG file: {e}"))?);
    let (bank_file, bank) = split(
        ingest::parse_with(bank_file, Kind::Bank, None, &mappings, &options).map_err(|e| format!("bank file: {e}"))?,
    );
    let outcome =
        engine::reconcile(&pg_rows(pg), &bank_lines(bank), &Settings::default()).map_err(|e| e.to_string())?;
    let c = outcome.counts();
    Ok(Report {
        cycle_date,
        pg_file,
        bank_file,
        pg_rows: c.pg_rows,
        bank_rows: c.bank_rows,
        debit_lines_ignored: outcome.debit_lines_ignored,
        matched: c.pg_matched,
        exceptions: c.pg_exceptions,
        unmatched_pg: c.unmatched_pg,
        unmatched_bank: c.unmatched_bank,
        by_reason: c.by_reason,
    })
}

impl Report {
    /// The human-readable form the command prints without `--json`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some(d) = self.cycle_date {
            s.push_str(&format!("cycle date {d}\n"));
        }
        for (label, f) in [("PG file", &self.pg_file), ("bank file", &self.bank_file)] {
            s.push_str(&format!(
                "{label}: {} — {} rows, {} accepted, {} rejected, {} skipped\n",
                f.format, f.rows_total, f.rows_accepted, f.rows_rejected, f.rows_skipped
            ));
            for e in f.errors.iter().take(20) {
                s.push_str(&format!(
                    "  line {}{}: {}\n",
                    e.line,
                    e.column.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
                    e.message
                ));
            }
        }
        s.push_str(&format!(
            "PG rows {}, bank credit lines {} ({} debit lines ignored)\nmatched {}, exceptions {}, unmatched PG {}, unmatched bank {}\n",
            self.pg_rows, self.bank_rows, self.debit_lines_ignored, self.matched, self.exceptions, self.unmatched_pg, self.unmatched_bank
        ));
        for (reason, n) in &self.by_reason {
            s.push_str(&format!("  {reason}: {n}\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_small_files_reconcile_end_to_end() {
        let pg = "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n\
                  T1,M1,100.00,INR,2026-11-20,10:00:00,UPI,U1,R1,SUCCESS\n\
                  T2,M1,200.00,INR,2026-11-20,10:00:00,UPI,U2,R2,SUCCESS\n\
                  T3,M1,300.00,INR,2026-11-20,10:00:00,UPI,,R3,SUCCESS\n\
                  T4,M1,400.00,INR,2026-11-20,10:00:00,UPI,U4,R4,SUCCESS\n\
                  T5,M1,-1,INR,2026-11-20,10:00:00,UPI,U5,R5,SUCCESS\n";
        let bank = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                    B1,HDFC,100.00,2026-11-20,,u1,,CR\n\
                    B2,HDFC,199.99,2026-11-21,,U2,,CR\n\
                    B9,HDFC,50.00,2026-11-21,,U9,,CR\n\
                    B8,HDFC,5.00,2026-11-21,,,charges,DR\n";
        let r = run(pg.as_bytes(), bank.as_bytes(), NaiveDate::from_ymd_opt(2026, 11, 20), None).unwrap();
        assert_eq!((r.pg_file.rows_accepted, r.pg_file.rows_rejected), (4, 1));
        assert_eq!((r.pg_rows, r.bank_rows, r.debit_lines_ignored), (4, 3, 1));
        assert_eq!((r.matched, r.unmatched_pg, r.unmatched_bank), (1, 1, 1));
        assert_eq!(r.by_reason.get("ROUNDING_ERROR"), Some(&1));
        assert_eq!(r.by_reason.get("UTR_MISSING_OR_INVALID"), Some(&1));
        assert_eq!(r.by_reason.get("PG_TXN_MISSING_IN_BANK"), Some(&1));
        assert_eq!(r.by_reason.get("BANK_TXN_MISSING_IN_PG"), Some(&1));
        // Classes conserve the PG rows (spec 2.2); the by-reason counts count exception records.
        assert_eq!(r.exceptions, 2);
        assert_eq!(r.matched + r.exceptions + r.unmatched_pg, r.pg_rows);
        assert_eq!(r.by_reason.values().sum::<usize>(), 4);
        assert!(r.text().contains("line 6 (Amount)"));
    }
}
