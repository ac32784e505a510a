//! Delimited text (CSV, and the `;`, tab, `|` and `~` files banks send), read record by record:
//! UTF-8 with or without a BOM, the delimiter guessed from the header row unless the layout names
//! it, quoted fields with delimiters and line breaks. Each record is numbered by the line it starts
//! on in an editor (`lines`), whatever the line endings.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;

use super::layouts::{detect, norm, resolve, BankMapping, Format, Kind, ReadOptions};
use super::records::{Cells, Converter, Record, RowError};
use super::{finish, lines, Streamed, HEAD_BYTES};
use crate::features::recon::model::DELIMITERS;

/// Read a CSV file row by row, as [`super::parse_stream`] does. `reader` holds the file's first
/// block already (its buffer is filled): the header row and the delimiter are found in it.
pub(super) fn read<R: Read>(
    mut reader: BufReader<R>,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    mut on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    // The first bytes say whether it is text, where the header is and what separates cells.
    let head = reader.buffer();
    let complete = head.len() < HEAD_BYTES;
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A character cut by the end of the first block is not an error.
        Err(e) if e.error_len().is_none() && !complete => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""),
        Err(e) => {
            return Err(format!(
                "The file is not UTF-8 text (first bad byte at offset {}); save it as UTF-8 CSV.",
                e.valid_up_to()
            ))
        }
    };
    let bom = text.starts_with('\u{feff}');
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if complete && text.trim().is_empty() {
        return Err("The file is empty.".into());
    }
    // `lines` splits at `\n` only: a CR-only file is one "line" to it.
    let line = |n: usize| text.lines().nth(n - 1).and_then(|l| l.split('\r').next()).unwrap_or("");
    // A bank statement whose first line is no known header may have its header further down, as
    // a stored layout says (a title line above the columns).
    let format = match format {
        None if kind == Kind::Bank
            && detect(kind, &header_cells(line(1), guess_delimiter(line(1))), mappings).is_err() =>
        {
            deeper_header(text, mappings)
        }
        format => format,
    };
    let (delimiter, header_row) = match &format {
        Some(Format::Mapping(m)) => (Some(m.delimiter), m.header_row.max(1)),
        _ => (None, 1),
    };
    let delimiter = delimiter.unwrap_or_else(|| guess_delimiter(line(header_row)));
    if bom {
        reader.consume(3);
    }
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(lines::LineTracker::new(reader));
    let mut record = csv::StringRecord::new();
    let mut converter: Option<Converter> = None;
    let mut format = format;
    let mut rows_total = 0u64;
    loop {
        let start = csv.position().byte();
        csv.get_mut().start_record_at(start);
        let more = csv.read_record(&mut record).map_err(|e| {
            let line = e.position().map(|_| csv.get_ref().record_line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::Utf8 { .. } => format!("Line {line} is not UTF-8 text; save the file as UTF-8 CSV."),
                _ => format!("Line {line} cannot be read as CSV: {e}"),
            }
        })?;
        if !more {
            break;
        }
        let line = csv.get_ref().record_line();
        match &converter {
            None => {
                // The header is the first record on or after its line (a blank line is no record).
                if line < header_row as u64 {
                    continue;
                }
                let header: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
                let resolved = resolve(kind, format.take(), &header, mappings)?;
                converter = Some(Converter::new(kind, resolved, header, options)?);
            }
            Some(c) => {
                let cells = Cells::Csv(&record);
                if cells.is_blank() {
                    continue;
                }
                rows_total += 1;
                if on_row(c.convert(line, cells)).is_break() {
                    break;
                }
            }
        }
    }
    let converter = converter.ok_or("The file has no header row.")?;
    finish(converter, rows_total, Some((delimiter, header_row)))
}

/// The separator a header line uses: the one of [`DELIMITERS`] it has most of.
fn guess_delimiter(header: &str) -> u8 {
    DELIMITERS.iter().map(|(d, _, _)| *d).max_by_key(|d| header.bytes().filter(|b| b == d).count()).unwrap_or(b',')
}

/// A header line's cells, read as the CSV reader reads them (quotes and all), trimmed.
fn header_cells(line: &str, delimiter: u8) -> Vec<String> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|c| c.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The stored bank layout whose header is below the first line (a statement with a title above
/// its columns) and whose columns that line has, when exactly one has and no line above it is a
/// header of any format.
fn deeper_header(text: &str, mappings: &[BankMapping]) -> Option<Format> {
    let line = |n: usize| text.lines().nth(n - 1).map(|l| l.trim_end_matches('\r'));
    let deepest = mappings.iter().map(|m| m.header_row).filter(|r| *r > 1).max()?;
    // Whether each line above the deepest header row is some format's header: worked out once.
    let is_header: Vec<bool> = (1..deepest)
        .map(|n| line(n).is_some_and(|l| detect(Kind::Bank, &header_cells(l, guess_delimiter(l)), mappings).is_ok()))
        .collect();
    let fits: Vec<&BankMapping> = mappings
        .iter()
        .filter(|m| m.header_row > 1)
        .filter(|m| {
            let Some(header) = line(m.header_row) else { return false };
            let format = Format::Mapping(Box::new((*m).clone()));
            let names: Vec<String> = header_cells(header, m.delimiter).iter().map(|c| norm(c)).collect();
            format.required().iter().all(|c| names.contains(&norm(c))) && !is_header[..m.header_row - 1].contains(&true)
        })
        .collect();
    match fits.as_slice() {
        [one] => Some(Format::Mapping(Box::new((*one).clone()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{bank, pg, pg_rows, PG_SIMPLE};
    use super::super::Format;
    use crate::money::Paise;

    #[test]
    fn pg_simple_with_rupees_bom_and_quoted_commas() {
        let text = format!(
            "\u{feff}{PG_SIMPLE}T1,merch_001,\"₹1,23,456.50\",INR,20/11/2026,14:05:00,Net Banking,utr1,R1,success\n"
        );
        let p = pg(&text).unwrap();
        assert_eq!(p.format, Format::PgSimple);
        let r = &pg_rows(&p)[0];
        assert_eq!(
            (r.line, r.amount, r.merchant_id.as_str(), r.payment_method),
            (2, Paise(12345650), "MERCH_001", "NETBANKING")
        );
        assert_eq!(r.txn_at.to_string(), "2026-11-20 14:05:00");
    }

    #[test]
    fn a_stored_layout_with_a_title_above_its_header_is_detected() {
        use super::super::{parse, shipped_mappings, BankMapping, Kind, Records};
        let kotak = BankMapping {
            bank_code: "KOTAK".into(),
            layout_name: "Kotak daily credits".into(),
            delimiter: b'|',
            header_row: 2,
            date_format: "%d.%m.%Y".into(),
            reference_column: "Ref No".into(),
            gross_amount_column: "Credit Amt".into(),
            txn_date_column: "Txn Dt".into(),
            status_column: Some("Status".into()),
            net_amount_column: None,
            value_date_column: None,
            utr_column: None,
            rrn_column: None,
            remarks_column: None,
            ..shipped_mappings()[0].clone()
        };
        let text =
            "KOTAK MAHINDRA BANK - DAILY CREDITS\nRef No|Txn Dt|Credit Amt|Status\nK1|30.11.2026|1,234.50|SUCCESS\n";
        let mut layouts = shipped_mappings();
        layouts.push(kotak);
        let p = parse(text.as_bytes(), Kind::Bank, None, &layouts).unwrap();
        assert_eq!(p.format.name(), "Kotak daily credits (KOTAK)");
        let Records::Bank(rows) = &p.records else { panic!("bank rows") };
        assert_eq!(
            (rows[0].line, rows[0].amount, rows[0].txn_date.to_string()),
            (3, Paise(123450), "2026-11-30".into())
        );
        // A file whose first line is a header is read by it, the deeper layout never tried.
        let axis =
            "TXN_REF,UTR_NO,TXN_TYPE,AMOUNT_INR,NET_AMOUNT_INR,TXN_STATUS,TXN_DATE_TIME,SETTLEMENT_DATE,REMARKS\n\
                    Ref No|Txn Dt|Credit Amt|Status,U1,NEFT,10.00,9.90,SUCCESS,14-Jan-24 10:15:23,14-Jan-24,ok\n";
        assert_eq!(
            parse(axis.as_bytes(), Kind::Bank, None, &layouts).unwrap().format.name(),
            "AXIS recon export (AXIS)"
        );
        // A blank line between the title and the header is a line: the header row counts lines.
        let spaced = text.replacen('\n', "\n\n", 1);
        let with_blank = BankMapping { header_row: 3, ..layouts.last().unwrap().clone() };
        let mut spaced_layouts = shipped_mappings();
        spaced_layouts.push(with_blank);
        let p = parse(spaced.as_bytes(), Kind::Bank, None, &spaced_layouts).unwrap();
        let Records::Bank(rows) = &p.records else { panic!("bank rows") };
        assert_eq!((rows.len(), rows[0].line, rows[0].amount), (1, 4, Paise(123450)));
        // Without that layout the title line is read as the header, and refused in words.
        assert!(parse(text.as_bytes(), Kind::Bank, None, &shipped_mappings())
            .unwrap_err()
            .contains("not a known bank layout"));
    }

    /// The editor line numbers of a file's refused rows.
    fn error_lines(text: &str) -> Vec<u64> {
        pg(text).unwrap().errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn row_errors_name_the_editor_line_whatever_the_line_endings() {
        let good = "T{n},M1,10,INR,2026-11-20,,UPI,U{n},,";
        let bad = "T{n},M1,-5,INR,2026-11-20,,UPI,U{n},,";
        // Lines 2–8: data; 4, 6 and 8 are refused (the header is line 1).
        let rows: Vec<String> =
            (2..=8).map(|n| if n % 2 == 0 && n > 2 { bad } else { good }.replace("{n}", &n.to_string())).collect();
        let lf = format!("{PG_SIMPLE}{}\n", rows.join("\n"));
        assert_eq!(error_lines(&lf), vec![4, 6, 8]);
        assert_eq!(error_lines(&lf.replace('\n', "\r\n")), vec![4, 6, 8], "CRLF");
        // A blank line counts as a line in an editor too.
        let blank = lf.replacen("\nT3,", "\n\nT3,", 1);
        assert_eq!(error_lines(&blank), vec![5, 7, 9]);
        assert_eq!(error_lines(&blank.replace('\n', "\r\n")), vec![5, 7, 9], "CRLF with a blank line");
        // A quoted field with a line break: the record is numbered by the line it starts on, and
        // the lines after it move down by one.
        let multi = lf.replace("UPI,U3,,", "UPI,U3,,\"suc\ncess\"").replace("UPI,U4,,", "UPI,U4,,\"a\nb\"");
        assert_eq!(error_lines(&multi), vec![5, 8, 10]);
        assert_eq!(error_lines(&multi.replace('\n', "\r\n")), vec![5, 8, 10], "CRLF with multi-line fields");
        // Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR.
        assert_eq!(error_lines(&lf.replace('\n', "\r")), vec![4, 6, 8], "CR");
        assert_eq!(error_lines(&blank.replace('\n', "\r")), vec![5, 7, 9], "CR with a blank line");
        assert_eq!(error_lines(&multi.replace('\n', "\r")), vec![5, 8, 10], "CR with multi-line fields");
    }

    #[test]
    fn the_tilde_layout_numbers_crlf_lines_as_an_editor() {
        let axis = "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\r\nA1~1,000.00~20-11-2026~20-11-2026~u1~CR~ok\r\nA2~abc~20-11-2026~20-11-2026~u2~CR~bad\r\n";
        let p = bank(axis).unwrap();
        assert_eq!(p.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3]);
    }
}
