//! Ingestion of spec 02 §2.1, the pure part: bytes of a CSV (any delimiter, BOM, quoted fields with
//! commas and newlines) or XLSX file in; its format detected from the header (or named by the
//! user); typed PG records or bank lines out, with row-level errors that name the line (as an
//! editor or spreadsheet shows it: the header is line 1), the column and the reason.
//! Amounts become exact paise (never floats), dates are read in the formats of the spec.
//!
//! The parts: `layouts` (the known formats and bank layouts, which one a header row is, where its
//! columns are), `delimited` (CSV and other delimited text, numbered by editor line with `lines`),
//! `xlsx` (workbooks, streamed, guarded by `xlsx_limits`), `dates` (date and time formats),
//! `records` (a row into a record or a row-level error) and `clashes` (the row error of a bank
//! line whose key is on file with other details). This module holds the entry points.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

use crate::money::Paise;

mod clashes;
mod dates;
mod delimited;
mod layouts;
mod lines;
mod records;
mod xlsx;
mod xlsx_limits;

pub use clashes::{clash_error, Clash, Kept, LineDetails};
pub use layouts::{layout_problems, shipped_mappings, AmountUnit, BankMapping, Format, Kind, ReadOptions};
pub use records::{referenced_key, BankRecord, PgRecord, Record, RowError, Skipped};
pub use xlsx_limits::Limits as XlsxLimits;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Records {
    Pg(Vec<PgRecord>),
    Bank(Vec<BankRecord>),
}

/// A parsed file: its format, the good rows, the refused ones, and how many data rows it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    pub records: Records,
    pub errors: Vec<RowError>,
    pub skipped: Vec<Skipped>,
    pub rows_total: u64,
}

impl Parsed {
    pub fn rows_accepted(&self) -> usize {
        match &self.records {
            Records::Pg(r) => r.len(),
            Records::Bank(r) => r.len(),
        }
    }
}

/// What a streamed file turned out to be: its format and how many data rows it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streamed {
    pub format: Format,
    pub rows_total: u64,
    /// The header row as the file wrote it.
    pub header: Vec<String>,
    /// A delimited file's separator and header line (`None` for a workbook).
    pub delimited: Option<(u8, usize)>,
}

impl Streamed {
    /// The file's columns that hold customers' personal data (e-mail, phone): never copied into
    /// the ledger, and blanked in the copy of the file that is kept ([`redact_delimited`]).
    pub fn personal_columns(&self) -> Vec<String> {
        self.header.iter().filter(|h| personal(h)).cloned().collect()
    }
}

pub(super) fn personal(header: &str) -> bool {
    let n = layouts::norm(header);
    ["email", "mail", "phone", "mobile", "msisdn", "contactno"].iter().any(|p| n.contains(p))
}

/// A delimited file with its personal-data columns blanked on every line after the header (and the
/// rest as it was: lines before the header, other columns, the delimiter; quoting as CSV needs).
pub fn redact_delimited(bytes: &[u8], delimiter: u8, header_row: usize) -> Result<Vec<u8>, String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(bytes);
    let mut writer =
        csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(Vec::with_capacity(bytes.len()));
    let mut blank: Vec<usize> = Vec::new();
    let mut header_seen = false;
    for record in reader.records() {
        let record = record.map_err(|e| format!("The kept copy could not be redacted: {e}"))?;
        // The header is the first record on or after its line, as the reader takes it.
        let line = record.position().map_or(0, |p| p.line());
        let is_header = !header_seen && line >= header_row as u64;
        if is_header {
            header_seen = true;
            blank = record.iter().enumerate().filter(|(_, h)| personal(h)).map(|(j, _)| j).collect();
        }
        if header_seen && !is_header && !blank.is_empty() {
            let cells: Vec<&str> =
                record.iter().enumerate().map(|(j, c)| if blank.contains(&j) { "" } else { c }).collect();
            writer.write_record(&cells)
        } else {
            writer.write_record(&record)
        }
        .map_err(|e| format!("The kept copy could not be redacted: {e}"))?;
    }
    writer.into_inner().map_err(|e| format!("The kept copy could not be redacted: {e}"))
}

/// How much of a file is looked at before reading it row by row: the header row and the
/// delimiter are found in it.
const HEAD_BYTES: usize = 64 * 1024;

/// The message for a file none of whose rows could be used.
pub fn none_accepted(rows_total: u64, first: Option<&RowError>) -> String {
    let first = first.map(|e| format!(" The first problem, line {}: {}", e.line, e.message)).unwrap_or_default();
    format!("None of the file's {rows_total} rows could be accepted.{first}")
}

fn read_failed(e: std::io::Error) -> String {
    format!("The file could not be read: {e}")
}

/// Read a file of `kind` row by row, holding one row at a time (an XLSX workbook, a zip, is read
/// whole). `format` overrides detection; `mappings` are the bank layouts to try. Each data row,
/// good or refused, goes to `on_row` in file order; it may stop the reading early. `Err` is a
/// file-level refusal (nothing from the file may be used). `xlsx` caps what a workbook may
/// inflate to (uploads: [`XlsxLimits::for_upload`]).
pub fn parse_stream<R: Read>(
    reader: R,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    xlsx: &XlsxLimits,
    on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    // The first block whole, however the source delivers it (a request or an object store gives
    // a few KiB per read): the header row and the delimiter are found in it.
    let mut reader = reader;
    let mut first = Vec::with_capacity(HEAD_BYTES);
    Read::by_ref(&mut reader).take(HEAD_BYTES as u64).read_to_end(&mut first).map_err(read_failed)?;
    let mut reader = BufReader::with_capacity(HEAD_BYTES, std::io::Cursor::new(first).chain(reader));
    let head = reader.fill_buf().map_err(read_failed)?;
    if xlsx::is_xlsx(head) {
        // A workbook is a zip, read from memory (the upload limit bounds it); its cells stream.
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(read_failed)?;
        return xlsx::read(&bytes, kind, format, mappings, options, xlsx, on_row);
    }
    delimited::read(reader, kind, format, mappings, options, on_row)
}

fn finish(converter: records::Converter, rows_total: u64, delimited: Option<(u8, usize)>) -> Result<Streamed, String> {
    if rows_total == 0 {
        return Err("The file has a header but no data rows.".into());
    }
    let (format, header) = converter.into_parts();
    Ok(Streamed { format, rows_total, header, delimited })
}

/// Parse a whole file (a local one: the default XLSX caps): every good record and every refused
/// row. `Err` is a file-level refusal, including a file none of whose rows is good.
pub fn parse(file: impl Read, kind: Kind, format: Option<Format>, mappings: &[BankMapping]) -> Result<Parsed, String> {
    parse_with(file, kind, format, mappings, &ReadOptions::default())
}

/// [`parse`] with what an upload form adds (a merchant, an amount unit, the cycle date).
pub fn parse_with(
    file: impl Read,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
) -> Result<Parsed, String> {
    let (mut pg, mut bank, mut errors, mut skipped) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let streamed = parse_stream(file, kind, format, mappings, options, &XlsxLimits::DEFAULT, |row| {
        match row {
            Ok(Record::Pg(r)) => pg.push(r),
            Ok(Record::Bank(r)) => bank.push(r),
            Ok(Record::Skipped(s)) => skipped.push(s),
            Err(e) => errors.push(e),
        }
        ControlFlow::Continue(())
    })?;
    let records = match kind {
        Kind::Pg => Records::Pg(pg),
        Kind::Bank => Records::Bank(bank),
    };
    let parsed = Parsed { format: streamed.format, records, errors, skipped, rows_total: streamed.rows_total };
    if parsed.rows_accepted() == 0 {
        return Err(none_accepted(parsed.rows_total, parsed.errors.first()));
    }
    Ok(parsed)
}

/// The first rows of a file as they would be read: its format, the unit its amounts are read in,
/// what the upload form adds to it, and for each of the first
/// [`PREVIEW_ROWS`](super::model::PREVIEW_ROWS) data rows the values understood, why it would be
/// skipped or why it would be refused. `sampled`: `bytes` is only the start of the file (a CSV cut
/// anywhere; the part after its last line break is left out).
pub fn preview(
    bytes: &[u8],
    sampled: bool,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    xlsx: &XlsxLimits,
) -> Result<super::model::UploadPreview, String> {
    let bytes = match bytes.iter().rposition(|b| matches!(b, b'\r' | b'\n')) {
        Some(end) if sampled && !xlsx::is_xlsx(bytes) => &bytes[..=end],
        _ => bytes,
    };
    look(bytes, sampled, kind, format, mappings, options, xlsx, false).map(|(preview, _)| preview)
}

/// A whole file read as an upload would read it, nothing stored: the [`preview`] of its first
/// rows, and what every row came to (a bank layout tried on a stored upload).
pub fn trial<R: Read>(
    reader: R,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    xlsx: &XlsxLimits,
) -> Result<(super::model::UploadPreview, super::model::FileTally), String> {
    look(reader, false, kind, format, mappings, options, xlsx, true)
}

/// How many refused rows a [`trial`] lists (it counts them all).
const TRIAL_REFUSED_LISTED: usize = 20;

/// The file's first rows as understood and, when `whole`, the tally of every row.
#[allow(clippy::too_many_arguments)]
fn look<R: Read>(
    reader: R,
    sampled: bool,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    xlsx: &XlsxLimits,
    whole: bool,
) -> Result<(super::model::UploadPreview, super::model::FileTally), String> {
    use super::model::{FileTally, PreviewRow, UploadPreview, PREVIEW_ROWS};
    let money = |p: Paise| p.to_inr();
    let refused_row = |e: RowError| PreviewRow {
        line: e.line,
        cells: Vec::new(),
        error: Some(match e.column {
            Some(c) => format!("{c}: {}", e.message),
            None => e.message,
        }),
        skipped: None,
    };
    let mut rows = Vec::new();
    let mut tally = FileTally::default();
    let streamed = parse_stream(reader, kind, format, mappings, options, xlsx, |row| {
        match &row {
            Ok(Record::Pg(r)) => {
                tally.accepted += 1;
                tally.credits_paise = tally.credits_paise.saturating_add(r.amount.0);
            }
            Ok(Record::Bank(r)) => {
                tally.accepted += 1;
                let sum = if r.credit { &mut tally.credits_paise } else { &mut tally.debits_paise };
                *sum = sum.saturating_add(r.amount.0);
            }
            Ok(Record::Skipped(_)) => tally.skipped += 1,
            Err(e) => {
                tally.refused += 1;
                if whole && tally.first_refused.len() < TRIAL_REFUSED_LISTED {
                    tally.first_refused.push(refused_row(e.clone()));
                }
            }
        }
        if rows.len() < PREVIEW_ROWS {
            rows.push(match row {
                Ok(Record::Pg(r)) => PreviewRow {
                    line: r.line,
                    cells: vec![
                        r.txn_id,
                        r.merchant_id,
                        money(r.amount),
                        r.txn_at.format("%d %b %Y %H:%M").to_string(),
                        r.payment_method.to_string(),
                        r.utr.unwrap_or_default(),
                        r.rrn.unwrap_or_default(),
                        r.status,
                    ],
                    error: None,
                    skipped: None,
                },
                Ok(Record::Bank(r)) => PreviewRow {
                    line: r.line,
                    cells: vec![
                        r.bank_ref.unwrap_or_default(),
                        r.bank_name,
                        money(r.amount),
                        if r.credit { "CREDIT" } else { "DEBIT" }.to_string(),
                        r.txn_date.format("%d %b %Y").to_string(),
                        r.utr.unwrap_or_default(),
                        r.rrn.unwrap_or_default(),
                    ],
                    error: None,
                    skipped: None,
                },
                Ok(Record::Skipped(s)) => {
                    PreviewRow { line: s.line, cells: Vec::new(), error: None, skipped: Some(s.reason) }
                }
                Err(e) => refused_row(e),
            });
        }
        if !whole && rows.len() >= PREVIEW_ROWS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    tally.rows_total = streamed.rows_total;
    let columns: &[&str] = match kind {
        Kind::Pg => &["Transaction ID", "Merchant", "Amount", "Date and time (IST)", "Method", "UTR", "RRN", "Status"],
        Kind::Bank => &["Bank reference", "Bank", "Amount", "Cr/Dr", "Date", "UTR", "RRN"],
    };
    let format = &streamed.format;
    let (layout_unit, switchable) = format.amount_unit();
    // `parse_stream` accepted the options, so the unit is allowed.
    let unit = format.unit_with(options.unit).unwrap_or(layout_unit);
    let mut notes = Vec::new();
    match (&options.merchant, format.has_merchant_column()) {
        (Some(m), false) => {
            notes.push(format!("The file has no merchant column: every row is merchant {m}, as chosen on the form."))
        }
        (Some(_), true) if kind == Kind::Pg => {
            notes.push("The file names each row's merchant: the merchant chosen on the form is not used.".into())
        }
        _ => {}
    }
    if !format.has_date_column() {
        notes.push("The file has no date column: every row takes the upload's cycle date.".to_string());
    }
    let personal = streamed.personal_columns();
    if !personal.is_empty() {
        notes.push(format!(
            "{} hold customers' personal data: not copied into the ledger, never shown, and blanked in the \
             copy of the file that is kept.",
            personal.join(", ")
        ));
    }
    if kind == Kind::Pg && !format.has_method_column() {
        notes.push(
            "The file does not say how each payment was made: the method is recorded as UNKNOWN, and \
             settlement charges the default commission (2 %) on it."
                .into(),
        );
    }
    let preview = UploadPreview {
        format: format.name(),
        stored_layout: matches!(format, Format::Mapping(_)),
        format_has_no_dates: !format.has_date_column(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        sampled,
        amount_column: format.amount_column().to_string(),
        amount_unit: unit.code().to_string(),
        layout_unit: layout_unit.code().to_string(),
        unit_switchable: switchable,
        notes,
        unknown_merchants: Vec::new(),
    };
    Ok((preview, tally))
}

/// Files and accessors the tests of every part of ingestion share.
#[cfg(test)]
mod fixtures {
    use super::*;

    pub(super) fn pg(text: &str) -> Result<Parsed, String> {
        parse(text.as_bytes(), Kind::Pg, None, &shipped_mappings())
    }

    pub(super) fn bank(text: &str) -> Result<Parsed, String> {
        parse(text.as_bytes(), Kind::Bank, None, &shipped_mappings())
    }

    pub(super) fn pg_rows(p: &Parsed) -> &[PgRecord] {
        match &p.records {
            Records::Pg(r) => r,
            _ => panic!("PG records expected"),
        }
    }

    pub(super) fn bank_rows(p: &Parsed) -> &[BankRecord] {
        match &p.records {
            Records::Bank(r) => r,
            _ => panic!("bank records expected"),
        }
    }

    pub(super) const PG_SIMPLE: &str =
        "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n";
}

#[cfg(test)]
mod tests {
    use super::fixtures::{pg, PG_SIMPLE};
    use super::*;

    #[test]
    fn a_preview_shows_the_first_five_rows_as_understood() {
        let text = "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n\
                    P1,merch_001,\"1,500.00\",INR,2026-11-20,10:05:00,upi,U1,R1,SUCCESS\n\
                    P2,MERCH_001,abc,INR,2026-11-20,,UPI,U2,,SUCCESS\n\
                    P3,MERCH_001,1.00,INR,20/11/2026,,CARD,,,SUCCESS\n\
                    P4,MERCH_001,2.00,INR,2026-11-20,,UPI,U4,,SUCCESS\n\
                    P5,MERCH_001,3.00,INR,2026-11-20,,UPI,U5,,SUCCESS\n\
                    P6,MERCH_001,4.00,INR,2026-11-20,,UPI,U6,,SUCCESS\n";
        let p = preview(
            text.as_bytes(),
            false,
            Kind::Pg,
            None,
            &shipped_mappings(),
            &ReadOptions::default(),
            &XlsxLimits::DEFAULT,
        )
        .unwrap();
        assert_eq!(p.format, "PG simple");
        assert_eq!(p.rows.len(), 5);
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4, 5, 6]);
        assert_eq!(
            p.rows[0].cells,
            ["P1", "MERCH_001", "₹1,500.00", "20 Nov 2026 10:05", "UPI", "U1", "R1", "SUCCESS"].map(String::from)
        );
        assert!(p.rows[1].error.as_deref().unwrap().starts_with("Amount: "), "{:?}", p.rows[1]);
        assert_eq!(p.columns.len(), p.rows[0].cells.len());
        assert!(!p.sampled);

        // Only the start of a file: the row cut in half is left out, not reported as bad.
        let cut = &text.as_bytes()[..text.find("P3,MERCH_001,1.0").unwrap() + 16];
        let p = preview(cut, true, Kind::Pg, None, &shipped_mappings(), &ReadOptions::default(), &XlsxLimits::DEFAULT)
            .unwrap();
        assert_eq!(p.rows.len(), 2);
        assert!(p.sampled);

        // A named format is checked against the header.
        let bank = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                    B1,HDFC,10.00,2026-11-20,,U1,,CR\n";
        assert_eq!(
            preview(
                bank.as_bytes(),
                false,
                Kind::Bank,
                None,
                &shipped_mappings(),
                &ReadOptions::default(),
                &XlsxLimits::DEFAULT
            )
            .unwrap()
            .format,
            "Bank simple"
        );
        let refused = preview(
            bank.as_bytes(),
            false,
            Kind::Bank,
            Some(Format::BankV1),
            &shipped_mappings(),
            &ReadOptions::default(),
            &XlsxLimits::DEFAULT,
        )
        .unwrap_err();
        assert!(
            refused.contains("lacks the column(s) paid_amount, trans_complete_date that Bank V1 needs"),
            "{refused}"
        );
    }

    #[test]
    fn personal_columns_are_blanked_in_the_kept_copy() {
        let file = "\u{feff}transaction_id,merchant_id,amount,customer_email,customer_phone\nT1,M1,\"1,000\",a@example.com,9876543210\nT2,M1,5,,\n";
        let kept = String::from_utf8(redact_delimited(file.as_bytes(), b',', 1).unwrap()).unwrap();
        assert_eq!(
            kept,
            "transaction_id,merchant_id,amount,customer_email,customer_phone\nT1,M1,\"1,000\",,\nT2,M1,5,,\n"
        );
        let other = "a~b\n1~2\n";
        assert_eq!(redact_delimited(other.as_bytes(), b'~', 1).unwrap(), other.as_bytes());
    }

    #[test]
    fn whole_file_refusals() {
        assert!(pg("").unwrap_err().contains("empty"));
        assert!(pg(PG_SIMPLE).unwrap_err().contains("no data rows"));
        assert!(pg("a,b,c\n1,2,3\n").unwrap_err().contains("not a known PG layout"));
        assert!(parse(&[0xff_u8, 0xfe, b'a'][..], Kind::Pg, None, &[]).unwrap_err().contains("UTF-8"));
        let all_bad = format!("{PG_SIMPLE}T1,M1,-5,INR,2026-11-20,,UPI,U1,,\n");
        assert!(pg(&all_bad).unwrap_err().contains("None of the file's 1 rows"));
        let forced = parse(
            format!("{PG_SIMPLE}T1,M1,5,INR,2026-11-20,,UPI,U1,,\n").as_bytes(),
            Kind::Pg,
            Some(Format::PgV2),
            &[],
        );
        assert!(forced.unwrap_err().contains("lacks the column"));
    }
}
