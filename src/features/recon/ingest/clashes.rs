//! A bank line whose natural key (spec 02 §2.1: the bank reference, else a hash of bank, UTR,
//! amount, date and direction) is already on file with other details. A statement never changes a
//! line it gave before, so such a line is not stored; it must not vanish either: it becomes a row
//! error that names the line it clashes with, what differs, and which one was kept. An identical
//! line sent again (overlapping statements) is not a clash: it is already there.

use chrono::NaiveDate;

use super::RowError;
use crate::money::Paise;

/// The details of a line that a clash compares (not the remarks, which are prose, nor the cycle
/// date, which says which upload brought the line, not what the bank said).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDetails {
    pub amount: Paise,
    pub net: Option<Paise>,
    pub credit: bool,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
}

/// Where the line that stayed on file came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// An earlier line of the same file (the first of its key to be stored).
    ThisFile { line: u64 },
    /// An earlier upload: its file's name (none for lines loaded without a file) and cycle.
    Earlier { file_name: Option<String>, cycle_date: NaiveDate },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub line: u64,
    pub bank_name: String,
    pub bank_ref: Option<String>,
    pub here: LineDetails,
    pub kept_details: LineDetails,
    pub kept: Kept,
}

fn show_opt(value: &Option<impl std::fmt::Display>) -> String {
    value.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "none".into())
}

fn direction(credit: bool) -> &'static str {
    if credit {
        "CREDIT"
    } else {
        "DEBIT"
    }
}

/// What differs, `field kept, field here` for each differing field, in the file's order of
/// importance (money first).
pub fn differences(kept: &LineDetails, here: &LineDetails) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{what} {a} there, {b} here"));
        }
    };
    differ("amount", kept.amount.to_inr(), here.amount.to_inr());
    differ("net amount", show_opt(&kept.net.map(Paise::to_inr)), show_opt(&here.net.map(Paise::to_inr)));
    differ("direction", direction(kept.credit).into(), direction(here.credit).into());
    differ("date", crate::ist::format_date(kept.txn_date), crate::ist::format_date(here.txn_date));
    differ(
        "value date",
        show_opt(&kept.value_date.map(crate::ist::format_date)),
        show_opt(&here.value_date.map(crate::ist::format_date)),
    );
    differ("UTR", show_opt(&kept.utr), show_opt(&here.utr));
    differ("RRN", show_opt(&kept.rrn), show_opt(&here.rrn));
    out
}

/// The row error for a clash: the line, and a sentence saying what it clashes with, what differs
/// and what happened to it.
pub fn clash_error(clash: &Clash) -> RowError {
    let Clash { line, bank_name, bank_ref, here, kept_details, kept } = clash;
    let subject = match bank_ref {
        Some(r) => format!("Bank reference {r} ({bank_name})"),
        None => format!(
            "The {bank_name} {} line of {} on {} with UTR {}",
            direction(here.credit),
            here.amount.to_inr(),
            crate::ist::format_date(here.txn_date),
            show_opt(&here.utr)
        ),
    };
    let differs = differences(kept_details, here).join("; ");
    let message = match kept {
        Kept::ThisFile { line: first } => format!(
            "{subject} is also on line {first} of this file, with other details ({differs}). \
             Line {first} was stored and this line was not: a bank line is stored once. Ask the bank which is right."
        ),
        Kept::Earlier { file_name, cycle_date } => {
            let from = file_name.as_deref().map(|f| format!(" from {f}")).unwrap_or_default();
            format!(
                "{subject} is already on file{from} (cycle {}) with other details ({differs}). \
                 This line was not stored: a statement never changes a line it gave before. Ask the bank which is right.",
                crate::ist::format_date(*cycle_date)
            )
        }
    };
    RowError { line: *line, column: bank_ref.as_ref().map(|_| "bank reference".to_string()), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(amount: i64) -> LineDetails {
        LineDetails {
            amount: Paise(amount),
            net: None,
            credit: true,
            txn_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            value_date: None,
            utr: Some("UTR1".into()),
            rrn: None,
        }
    }

    #[test]
    fn a_clash_with_an_earlier_file_names_it_and_what_differs() {
        let mut here = details(120_000);
        here.txn_date = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        here.rrn = Some("RRN9".into());
        let clash = Clash {
            line: 2,
            bank_name: "HDFC".into(),
            bank_ref: Some("REF-A".into()),
            here,
            kept_details: details(100_000),
            kept: Kept::Earlier {
                file_name: Some("first.csv".into()),
                cycle_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            },
        };
        let e = clash_error(&clash);
        assert_eq!((e.line, e.column.as_deref()), (2, Some("bank reference")));
        assert_eq!(
            e.message,
            "Bank reference REF-A (HDFC) is already on file from first.csv (cycle 20 Nov 2026) with other details \
             (amount ₹1,000.00 there, ₹1,200.00 here; date 20 Nov 2026 there, 21 Nov 2026 here; RRN none there, RRN9 here). \
             This line was not stored: a statement never changes a line it gave before. Ask the bank which is right."
        );
    }

    #[test]
    fn a_clash_within_the_file_names_the_line_kept() {
        let mut here = details(100_000);
        // A line without a reference is keyed by its bank, UTR, amount, date and direction: only the
        // other details can differ.
        here.net = Some(Paise(99_000));
        here.value_date = Some(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        let clash = Clash {
            line: 7,
            bank_name: "SBI".into(),
            bank_ref: None,
            here,
            kept_details: details(100_000),
            kept: Kept::ThisFile { line: 3 },
        };
        let e = clash_error(&clash);
        assert_eq!((e.line, e.column), (7, None));
        assert_eq!(
            e.message,
            "The SBI CREDIT line of ₹1,000.00 on 20 Nov 2026 with UTR UTR1 is also on line 3 of this file, with other \
             details (net amount none there, ₹990.00 here; value date none there, 21 Nov 2026 here). Line 3 was stored \
             and this line was not: a bank line is stored once. Ask the bank which is right."
        );
    }

    #[test]
    fn a_missing_file_name_is_left_out_and_equal_details_do_not_differ() {
        assert!(differences(&details(5), &details(5)).is_empty());
        let clash = Clash {
            line: 4,
            bank_name: "AXIS".into(),
            bank_ref: Some("AX-1".into()),
            here: details(6),
            kept_details: details(5),
            kept: Kept::Earlier { file_name: None, cycle_date: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap() },
        };
        assert!(
            clash_error(&clash).message.starts_with(
                "Bank reference AX-1 (AXIS) is already on file (cycle 10 Feb 2026) with other details (amount ₹0.05 there, ₹0.06 here)."
            ),
            "{}",
            clash_error(&clash).message
        );
    }
}
