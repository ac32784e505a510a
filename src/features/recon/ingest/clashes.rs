//! A bank line whose natural key (spec 02 §2.1: the bank reference, else a hash of bank, UTR,
//! amount, date and direction) is already on file with other details. A statement never changes a
//! line it gave before, so such a line is not stored; it must not vanish either: it becomes a row
//! error that names the line kept, what differs, and what to do. (A line with the same details,
//! sent again or repeated in the file, is counted as skipped: `store::bank_line_outcomes`.)

use chrono::NaiveDate;

use super::RowError;
use crate::money::Paise;

/// The details of a line that a clash compares: the same list, in the same order, as the row
/// comparison of `store::STAGED_BESIDE_STORED`. Not the remarks, which are prose, nor the cycle
/// date, which says which upload brought the line, not what the bank said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDetails {
    pub bank_name: String,
    pub bank_ref: Option<String>,
    pub amount: Paise,
    pub net: Option<Paise>,
    pub credit: bool,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
}

/// Where the line that stays on file came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// A line of the same file, the first with the details on file.
    ThisFile { line: u64 },
    /// Another upload (an earlier one, or one that committed while this one ran): its file's name,
    /// none for lines loaded without an upload; and its cycle.
    OnFile { file_name: Option<String>, cycle_date: NaiveDate },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clash {
    pub line: u64,
    pub here: LineDetails,
    pub kept_details: LineDetails,
    pub kept: Kept,
}

/// The most characters of a reference, UTR, RRN, bank or file name a message shows (each may be
/// 256 characters long; the sentence is cut at 300 where it is stored).
const SHOWN_CHARS: usize = 40;

/// A text value as a message shows it: quoted (so a value cannot pass for the sentence around it,
/// and a UTR spelt `none` is not a missing one), cut to [`SHOWN_CHARS`].
fn quoted(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("\"{}…\"", &text[..end]),
        None => format!("\"{text}\""),
    }
}

fn text_or_none(value: &Option<String>) -> String {
    value.as_deref().map(quoted).unwrap_or_else(|| "none".into())
}

fn date_or_none(value: Option<NaiveDate>) -> String {
    value.map(crate::ist::format_date).unwrap_or_else(|| "none".into())
}

fn direction(credit: bool) -> &'static str {
    if credit {
        "CREDIT"
    } else {
        "DEBIT"
    }
}

/// What differs, `field kept there, field here` for each field whose values differ (compared as
/// they are, shown as a message shows them), money first.
pub fn differences(kept: &LineDetails, here: &LineDetails) -> Vec<String> {
    fn differ<T: PartialEq>(out: &mut Vec<String>, what: &str, a: &T, b: &T, show: impl Fn(&T) -> String) {
        if a != b {
            out.push(format!("{what} {} there, {} here", show(a), show(b)));
        }
    }
    let money = |p: &Option<Paise>| p.map_or("none".into(), Paise::to_inr);
    let mut out = Vec::new();
    differ(&mut out, "amount", &kept.amount, &here.amount, |p| p.to_inr());
    differ(&mut out, "net amount", &kept.net, &here.net, money);
    differ(&mut out, "direction", &kept.credit, &here.credit, |c| direction(*c).into());
    differ(&mut out, "date", &kept.txn_date, &here.txn_date, |d| crate::ist::format_date(*d));
    differ(&mut out, "value date", &kept.value_date, &here.value_date, |d| date_or_none(*d));
    differ(&mut out, "UTR", &kept.utr, &here.utr, text_or_none);
    differ(&mut out, "RRN", &kept.rrn, &here.rrn, text_or_none);
    differ(&mut out, "bank", &kept.bank_name, &here.bank_name, |b| quoted(b));
    differ(&mut out, "reference", &kept.bank_ref, &here.bank_ref, text_or_none);
    out
}

/// The row error for a clash: the line, and a sentence saying what it clashes with and what
/// happened to it first, then what differs (the part a cut may shorten).
pub fn clash_error(clash: &Clash) -> RowError {
    let Clash { line, here, kept_details, kept } = clash;
    let subject = match &here.bank_ref {
        Some(r) => format!("Bank reference {} ({})", quoted(r), quoted(&here.bank_name)),
        None => format!(
            "The {} {} line of {} on {} with {}",
            quoted(&here.bank_name),
            direction(here.credit),
            here.amount.to_inr(),
            crate::ist::format_date(here.txn_date),
            here.utr.as_deref().map_or("no UTR".to_string(), |u| format!("UTR {}", quoted(u)))
        ),
    };
    let differs = differences(kept_details, here).join("; ");
    let message = match kept {
        Kept::ThisFile { line: first } => format!(
            "{subject} is also on line {first} of this file with other details: line {first} was stored, this line was not. \
             Ask the bank which is right. Differs: {differs}"
        ),
        Kept::OnFile { file_name, cycle_date } => {
            let cycle = crate::ist::format_date(*cycle_date);
            let from = match file_name {
                Some(f) => format!("from {} (cycle {cycle})", quoted(f)),
                None => format!("(loaded without an upload, cycle {cycle})"),
            };
            format!(
                "{subject} is already on file {from} with other details: that line stays and is the one reconciled, \
                 this line was not stored. Ask the bank which is right. Differs: {differs}"
            )
        }
    };
    RowError { line: *line, column: here.bank_ref.as_ref().map(|_| "bank reference".to_string()), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(amount: i64) -> LineDetails {
        LineDetails {
            bank_name: "HDFC".into(),
            bank_ref: Some("REF-A".into()),
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
            here,
            kept_details: details(100_000),
            kept: Kept::OnFile {
                file_name: Some("first.csv".into()),
                cycle_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            },
        };
        let e = clash_error(&clash);
        assert_eq!((e.line, e.column.as_deref()), (2, Some("bank reference")));
        assert_eq!(
            e.message,
            "Bank reference \"REF-A\" (\"HDFC\") is already on file from \"first.csv\" (cycle 20 Nov 2026) with other \
             details: that line stays and is the one reconciled, this line was not stored. Ask the bank which is right. \
             Differs: amount ₹1,000.00 there, ₹1,200.00 here; date 20 Nov 2026 there, 21 Nov 2026 here; RRN none there, \"RRN9\" here"
        );
    }

    #[test]
    fn a_clash_within_the_file_names_the_line_kept() {
        // A line without a reference is keyed by its bank, UTR, amount, date and direction: only the
        // other details can differ.
        let mut kept = details(100_000);
        kept.bank_ref = None;
        kept.utr = None;
        let mut here = kept.clone();
        here.net = Some(Paise(99_000));
        here.value_date = Some(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        let clash = Clash { line: 7, here, kept_details: kept, kept: Kept::ThisFile { line: 3 } };
        let e = clash_error(&clash);
        assert_eq!((e.line, e.column), (7, None));
        assert_eq!(
            e.message,
            "The \"HDFC\" CREDIT line of ₹1,000.00 on 20 Nov 2026 with no UTR is also on line 3 of this file with other \
             details: line 3 was stored, this line was not. Ask the bank which is right. Differs: net amount none there, \
             ₹990.00 here; value date none there, 21 Nov 2026 here"
        );
    }

    #[test]
    fn values_are_quoted_and_cut_and_a_line_loaded_without_an_upload_says_so() {
        assert!(differences(&details(5), &details(5)).is_empty());
        // Values that differ past the characters shown still differ.
        let (mut a, mut b) = (details(5), details(5));
        a.rrn = Some(format!("{}A", "9".repeat(50)));
        b.rrn = Some(format!("{}B", "9".repeat(50)));
        assert_eq!(differences(&a, &b), [format!("RRN \"{0}…\" there, \"{0}…\" here", "9".repeat(40))]);
        let mut here = details(5);
        here.utr = Some("none".into());
        let mut kept = details(5);
        kept.utr = None;
        kept.bank_ref = Some("R".repeat(256));
        here.bank_ref = Some("R".repeat(256));
        let clash = Clash {
            line: 4,
            here,
            kept_details: kept,
            kept: Kept::OnFile { file_name: None, cycle_date: NaiveDate::from_ymd_opt(2026, 2, 10).unwrap() },
        };
        let message = clash_error(&clash).message;
        assert_eq!(
            message,
            format!(
                "Bank reference \"{}…\" (\"HDFC\") is already on file (loaded without an upload, cycle 10 Feb 2026) \
                 with other details: that line stays and is the one reconciled, this line was not stored. Ask the bank \
                 which is right. Differs: UTR none there, \"none\" here",
                "R".repeat(40)
            )
        );
    }
}
