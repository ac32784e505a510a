//! Typed table cells, shared by a report's page preview, its CSV and its XLSX: one value per cell
//! (an amount stays integer paise, a date a date, a time a UTC instant) and one text per place it
//! is shown, so the page, the CSV and the spreadsheet cannot disagree on a figure.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{push_digits, Paise};

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Text,
    /// Integer paise: a ₹ number cell in a spreadsheet, rupees with two decimals in a CSV.
    Money,
    /// A whole number (a count).
    Count,
    /// A calendar date (already an IST date).
    Date,
    /// An instant, shown in IST.
    Time,
}

/// Which personal data a column may carry (spec 09: masked unless the role needs it; who sees
/// which is [`Masking::for_roles`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personal {
    /// A bank account number: all but its last four digits hidden.
    Account,
    /// Free text (a bank's narration) that may carry an account number, a phone, an e-mail address
    /// or a UPI id: masked as [`crate::features::audit::model::mask_free_text`] says.
    FreeText,
}

/// A column: its header, what it holds, its width in characters and its output name in the
/// report's SQL (the name a total is summed over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub header: &'static str,
    pub kind: Kind,
    pub width: u8,
    pub sql: &'static str,
    /// Summed in the totals row (amounts and counts).
    pub total: bool,
    pub personal: Option<Personal>,
}

impl Column {
    pub const fn text(header: &'static str, sql: &'static str, width: u8) -> Column {
        Column { header, kind: Kind::Text, width, sql, total: false, personal: None }
    }
    pub const fn money(header: &'static str, sql: &'static str) -> Column {
        Column { header, kind: Kind::Money, width: 16, sql, total: true, personal: None }
    }
    pub const fn count(header: &'static str, sql: &'static str) -> Column {
        Column { header, kind: Kind::Count, width: 10, sql, total: true, personal: None }
    }
    pub const fn date(header: &'static str, sql: &'static str) -> Column {
        Column { header, kind: Kind::Date, width: 12, sql, total: false, personal: None }
    }
    pub const fn time(header: &'static str, sql: &'static str) -> Column {
        Column { header, kind: Kind::Time, width: 18, sql, total: false, personal: None }
    }
    pub const fn personal(self, personal: Personal) -> Column {
        Column { personal: Some(personal), ..self }
    }
}

/// One cell's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cell {
    Empty,
    Text(String),
    Money(Paise),
    Count(i64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl Cell {
    /// The cell in a CSV: rupees `-1234.50`, dates `2026-11-20`, times the IST second
    /// `2026-11-20 14:05:09`, empty for no value. (Formula characters are neutralised by the CSV
    /// writer, [`crate::http::csv`].)
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            other => {
                let mut out = Vec::new();
                other.push_csv_text(&mut out);
                // Digits, signs and separators only: always UTF-8.
                String::from_utf8(out).unwrap_or_default()
            }
        }
    }

    /// [`Cell::csv_text`]'s bytes appended to `out`: the one formatting of a CSV cell, written
    /// without a format string or an allocation of its own, since a report file formats millions of
    /// them (BENCHMARKS.md, "Reports").
    pub fn push_csv_text(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Empty => {}
            Cell::Text(s) => out.extend_from_slice(s.as_bytes()),
            Cell::Money(p) => p.push_rupees_plain(out),
            Cell::Count(n) => {
                if *n < 0 {
                    out.push(b'-');
                }
                push_digits(out, n.unsigned_abs(), 1);
            }
            Cell::Date(d) => push_date(out, *d),
            Cell::Time(t) => {
                let ist = t.with_timezone(&crate::ist::offset());
                let local =
                    match t.naive_utc().checked_add_signed(TimeDelta::seconds(ist.offset().local_minus_utc().into())) {
                        // (A leap second, which PostgreSQL never sends, would be :60 in chrono's text.)
                        Some(local) if local.nanosecond() < 1_000_000_000 => local,
                        // At the very end of chrono's range: chrono's own text.
                        _ => return out.extend_from_slice(ist.format("%Y-%m-%d %H:%M:%S").to_string().as_bytes()),
                    };
                push_date(out, local.date());
                out.push(b' ');
                push_digits(out, local.hour().into(), 2);
                out.push(b':');
                push_digits(out, local.minute().into(), 2);
                out.push(b':');
                push_digits(out, local.second().into(), 2);
            }
        }
    }

    /// [`Cell::csv_text`], taking the cell (its text is moved, not copied).
    pub fn into_csv_text(self) -> String {
        match self {
            Cell::Text(s) => s,
            other => other.csv_text(),
        }
    }

    /// The cell on a page: `₹1,23,456.50`, `20 Nov 2026`, IST times, counts in Indian grouping.
    pub fn page_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Money(p) => p.to_inr(),
            Cell::Count(n) => crate::money::format_count(*n),
            Cell::Date(d) => crate::ist::format_date(*d),
            Cell::Time(t) => crate::ist::format_datetime(*t),
        }
    }

    /// The cell with the personal data of `personal` hidden (on the server: files and the report
    /// page's rows are masked there).
    #[cfg(feature = "ssr")]
    pub fn masked(self, personal: Personal) -> Cell {
        match self {
            Cell::Text(s) => Cell::Text(mask_text(personal, &s)),
            other => other,
        }
    }
}

/// `text` with the personal data of `personal` hidden.
#[cfg(feature = "ssr")]
fn mask_text(personal: Personal, text: &str) -> String {
    match personal {
        Personal::Account => crate::features::settlements::rules::mask_account(text),
        Personal::FreeText => crate::features::audit::model::mask_free_text(text),
    }
}

/// `YYYY-MM-DD`, as chrono's `%Y-%m-%d` writes it (which signs a year outside 0–9999).
fn push_date(out: &mut Vec<u8>, d: NaiveDate) {
    match u64::try_from(d.year()) {
        Ok(year) if year <= 9999 => {
            push_digits(out, year, 4);
            out.push(b'-');
            push_digits(out, d.month().into(), 2);
            out.push(b'-');
            push_digits(out, d.day().into(), 2);
        }
        _ => out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes()),
    }
}

/// Which kinds of personal data a reader sees masked: merchants' payout account numbers, and
/// the numbers, e-mail addresses and UPI ids in free text such as bank remarks. No default: each
/// reader's is decided from their roles ([`Masking::for_roles`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Masking {
    pub accounts: bool,
    pub free_text: bool,
}

impl Masking {
    /// Nothing masked.
    pub const NONE: Masking = Masking { accounts: false, free_text: false };
    /// Everything masked.
    pub const ALL: Masking = Masking { accounts: true, free_text: true };

    /// The personal data a holder of `roles` sees masked, wherever it is shown (reports, their
    /// files, the exception detail): payout account numbers unless finance
    /// ([`crate::auth::Access::FULL_ACCOUNT_NUMBERS`]), free text unless
    /// [`crate::auth::Access::PERSONAL_DATA`] (all but the auditor). A scheduled run's file is
    /// masked for its creator's roles when it is written.
    pub fn for_roles(roles: &[crate::auth::Role]) -> Masking {
        use crate::auth::Access;
        Masking {
            accounts: !Access::FULL_ACCOUNT_NUMBERS.allows(roles),
            free_text: !Access::PERSONAL_DATA.allows(roles),
        }
    }

    /// `text` as this reader sees it: masked if personal data of this kind is masked for them.
    #[cfg(feature = "ssr")]
    pub fn shown(self, personal: Personal, text: &str) -> String {
        if self.masks(personal) {
            mask_text(personal, text)
        } else {
            text.to_string()
        }
    }

    /// Whether personal data of this kind is masked.
    pub fn masks(self, personal: Personal) -> bool {
        match personal {
            Personal::Account => self.accounts,
            Personal::FreeText => self.free_text,
        }
    }

    /// Whether any of `columns` is masked.
    pub fn hides_any_of(self, columns: &[Column]) -> bool {
        columns.iter().any(|c| c.personal.is_some_and(|p| self.masks(p)))
    }

    /// Whether a file of `columns` masked like this shows something that `reader` sees masked.
    pub fn shows_more_than(self, reader: Masking, columns: &[Column]) -> bool {
        columns.iter().any(|c| c.personal.is_some_and(|p| !self.masks(p) && reader.masks(p)))
    }
}

/// A row's cells with each personal column that `masking` hides masked.
#[cfg(feature = "ssr")]
pub fn mask_row(columns: &[Column], row: Vec<Cell>, masking: Masking) -> Vec<Cell> {
    if !masking.hides_any_of(columns) {
        return row;
    }
    row.into_iter()
        .zip(columns)
        .map(|(cell, column)| match column.personal {
            Some(p) if masking.masks(p) => cell.masked(p),
            _ => cell,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_per_place() {
        let t = DateTime::parse_from_rfc3339("2026-11-20T08:35:09Z").unwrap().with_timezone(&Utc);
        assert_eq!(Cell::Time(t).csv_text(), "2026-11-20 14:05:09");
        assert_eq!(Cell::Money(Paise(-123450)).csv_text(), "-1234.50");
        assert_eq!(Cell::Money(Paise(1_23_456_50)).page_text(), "₹1,23,456.50");
        assert_eq!(Cell::Date("2026-11-02".parse().unwrap()).csv_text(), "2026-11-02");
        assert_eq!(Cell::Count(1234567).page_text(), "12,34,567");
        assert_eq!(Cell::Empty.csv_text(), "");
    }

    /// The hand-written formatting writes what chrono's format strings and `format!` write, over
    /// amounts of every length and sign, dates across years 1–9999 (years outside that are chrono's
    /// own text) and IST times across a day's boundary and at the end of chrono's range.
    #[test]
    fn csv_texts_are_the_format_strings() {
        let plain = |p: i64| {
            let abs = p.unsigned_abs();
            format!("{}{}.{:02}", if p < 0 { "-" } else { "" }, abs / 100, abs % 100)
        };
        for p in [0, 1, -1, 9, 10, -99, 100, 101, 123456, -1_00_00_000_00, i64::MAX, i64::MIN] {
            assert_eq!(Cell::Money(Paise(p)).csv_text(), plain(p), "{p}");
            assert_eq!(Cell::Count(p).csv_text(), p.to_string(), "{p}");
        }
        let mut n: i64 = 7;
        for _ in 0..2000 {
            n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let p = n >> (n as u64 % 60);
            assert_eq!(Cell::Money(Paise(p)).csv_text(), plain(p), "{p}");
        }
        let dates = [(1, 1, 1), (999, 12, 31), (2026, 2, 28), (2024, 2, 29), (9999, 12, 31), (10000, 1, 1), (-5, 3, 4)];
        for (y, m, d) in dates {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(Cell::Date(date).csv_text(), date.format("%Y-%m-%d").to_string());
        }
        let start = DateTime::parse_from_rfc3339("2026-03-31T18:29:58Z").unwrap().with_timezone(&Utc);
        for secs in (0..200_000).step_by(997).chain([0, 1, 2, 3]) {
            let t = start + chrono::Duration::seconds(secs) + chrono::Duration::milliseconds(secs % 1000);
            let chrono_text = t.with_timezone(&crate::ist::offset()).format("%Y-%m-%d %H:%M:%S").to_string();
            assert_eq!(Cell::Time(t).csv_text(), chrono_text);
        }
        // Past the end of chrono's range once moved to IST: chrono's own text, no panic.
        let last = DateTime::<Utc>::MAX_UTC;
        assert_eq!(
            Cell::Time(last).csv_text(),
            last.with_timezone(&crate::ist::offset()).format("%Y-%m-%d %H:%M:%S").to_string()
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn personal_data_is_masked() {
        let narration = Cell::Text("NEFT 50100234567890 Rs 1500".into());
        assert_eq!(narration.clone().masked(Personal::FreeText), Cell::Text("NEFT XXXXXXXXXX7890 Rs 1500".into()));
        let cols = [
            Column::text("A", "a", 10).personal(Personal::Account),
            Column::money("M", "m"),
            Column::text("R", "r", 10).personal(Personal::FreeText),
        ];
        let row = vec![Cell::Text("50100234567890".into()), Cell::Money(Paise(5)), narration.clone()];
        assert_eq!(mask_row(&cols, row.clone(), Masking::NONE), row);
        let accounts_only = Masking { accounts: true, free_text: false };
        assert_eq!(
            mask_row(&cols, row.clone(), accounts_only),
            vec![Cell::Text("XXXXXXXXXX7890".into()), Cell::Money(Paise(5)), narration.clone()]
        );
        assert_eq!(
            mask_row(&cols, row, Masking::ALL),
            vec![
                Cell::Text("XXXXXXXXXX7890".into()),
                Cell::Money(Paise(5)),
                Cell::Text("NEFT XXXXXXXXXX7890 Rs 1500".into())
            ]
        );
        // A file masked for accounts only shows remarks: refused to a reader who sees them masked,
        // not to one who sees them; a fully masked file shows nothing more than anyone sees.
        assert!(accounts_only.shows_more_than(Masking::ALL, &cols));
        assert!(!accounts_only.shows_more_than(accounts_only, &cols));
        assert!(Masking::NONE.shows_more_than(accounts_only, &cols));
        assert!(!Masking::ALL.shows_more_than(Masking::ALL, &cols));
        // Without the remarks column, an accounts-only file shows the auditor nothing more.
        assert!(!accounts_only.shows_more_than(Masking::ALL, &cols[..2]));
        assert_eq!(Cell::Money(Paise(5)).masked(Personal::Account), Cell::Money(Paise(5)));
    }
}
