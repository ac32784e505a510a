//! Ingestion of spec 02 §2.1, the pure part: bytes of a CSV (any delimiter, BOM, quoted fields with
//! commas and newlines) or XLSX file in; its format detected from the header (or named by the
//! user); typed PG records or bank lines out, with row-level errors that name the line (as an
//! editor or spreadsheet shows it: the header is line 1), the column and the reason.
//! Amounts become exact paise (never floats), dates are read in the formats of the spec.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::ops::ControlFlow;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::money::Paise;

mod lines;
mod xlsx_limits;

pub const MAX_FIELD_CHARS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Pg,
    Bank,
}

/// A stored per-bank layout (the `bank_column_mappings` table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankMapping {
    pub bank_code: String,
    pub layout_name: String,
    pub file_type: String,
    pub delimiter: u8,
    pub header_row: usize,
    pub date_format: String,
    pub reference_column: String,
    pub gross_amount_column: String,
    pub net_amount_column: Option<String>,
    pub txn_date_column: String,
    pub value_date_column: Option<String>,
    pub utr_column: Option<String>,
    pub rrn_column: Option<String>,
    pub direction_column: Option<String>,
    pub remarks_column: Option<String>,
    pub amounts_in_paise: bool,
}

/// The layouts shipped with the product; the migration `bank_layouts` stores the same rows (a
/// test keeps them equal), where an admin can add more.
pub fn shipped_mappings() -> Vec<BankMapping> {
    let m = |bank: &str, name: &str, file_type: &str, delimiter: u8, date_format: &str, cols: [&str; 9]| BankMapping {
        bank_code: bank.into(),
        layout_name: name.into(),
        file_type: file_type.into(),
        delimiter,
        header_row: 1,
        date_format: date_format.into(),
        reference_column: cols[0].into(),
        gross_amount_column: cols[1].into(),
        net_amount_column: Some(cols[2]).filter(|c| !c.is_empty()).map(Into::into),
        txn_date_column: cols[3].into(),
        value_date_column: Some(cols[4]).filter(|c| !c.is_empty()).map(Into::into),
        utr_column: Some(cols[5]).filter(|c| !c.is_empty()).map(Into::into),
        rrn_column: Some(cols[6]).filter(|c| !c.is_empty()).map(Into::into),
        direction_column: Some(cols[7]).filter(|c| !c.is_empty()).map(Into::into),
        remarks_column: Some(cols[8]).filter(|c| !c.is_empty()).map(Into::into),
        amounts_in_paise: false,
    };
    vec![
        m(
            "AXIS",
            "AXIS SFTP settlement",
            "csv",
            b',',
            "%d-%m-%Y",
            ["TXNID", "CREDIT_AMT", "NET_CR_AMT", "POST_DATE", "VALUE_DATE", "UTR", "RRN", "", "REMARKS"],
        ),
        m(
            "AXIS",
            "AXIS MIS (tilde .txt)",
            "txt",
            b'~',
            "%d-%m-%Y",
            ["Tran Id", "Amount", "", "Tran Date", "Value Date", "UTR No", "", "Cr/Dr", "Particulars"],
        ),
        m(
            "HDFC",
            "HDFC account statement",
            "csv",
            b',',
            "%d/%m/%Y",
            ["Chq/Ref Number", "Deposit Amount", "", "Date", "Value Dt", "UTR", "", "", "Narration"],
        ),
        m(
            "ICICI",
            "ICICI CMS statement",
            "csv",
            b',',
            "%d-%m-%Y",
            ["Tran. Id", "Amount (INR)", "", "Txn Posted Date", "Value Date", "UTR Number", "", "Cr/Dr", "Description"],
        ),
        m(
            "SBI",
            "SBI e-statement",
            "csv",
            b',',
            "%d %b %Y",
            ["Ref No./Cheque No.", "Credit", "", "Txn Date", "Value Date", "UTR", "", "", "Description"],
        ),
        m(
            "BOB",
            "BOB settlement report",
            "csv",
            b',',
            "%d/%m/%Y",
            [
                "Transaction Ref",
                "Gross Amount",
                "Net Amount",
                "Transaction Date",
                "Settlement Date",
                "UTR",
                "RRN",
                "",
                "Remarks",
            ],
        ),
    ]
}

/// A built-in format, or a bank's stored layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    PgSimple,
    PgV1,
    PgV2,
    BankSimple,
    BankV1,
    Mapping(Box<BankMapping>),
}

impl Format {
    pub fn name(&self) -> String {
        match self {
            Format::PgSimple => "PG simple".into(),
            Format::PgV1 => "PG V1".into(),
            Format::PgV2 => "PG V2".into(),
            Format::BankSimple => "Bank simple".into(),
            Format::BankV1 => "Bank V1".into(),
            Format::Mapping(m) => format!("{} ({})", m.layout_name, m.bank_code),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Format::PgSimple | Format::PgV1 | Format::PgV2 => Kind::Pg,
            _ => Kind::Bank,
        }
    }

    /// The columns a header must have for this format, as the format names them.
    fn required(&self) -> Vec<String> {
        let fixed: &[&str] = match self {
            Format::PgSimple => &["Transaction ID", "Merchant ID", "Amount", "Transaction Date", "Payment Method"],
            Format::PgV1 => &["transaction_id", "client_code", "paid_amount", "payment_mode", "trans_complete_date"],
            Format::PgV2 => &["pg_txn_id", "merchant_id", "amount_paise", "payment_method", "created_at"],
            Format::BankSimple => &["Bank Reference", "Amount", "Transaction Date", "Debit/Credit"],
            Format::BankV1 => &["utr", "paid_amount", "trans_complete_date", "bank_name"],
            Format::Mapping(m) => {
                return [&m.reference_column, &m.gross_amount_column, &m.txn_date_column].into_iter().cloned().collect()
            }
        };
        fixed.iter().map(|s| s.to_string()).collect()
    }
}

/// A header name reduced to lower-case letters and digits (`Transaction ID` → `transactionid`).
pub fn norm(header: &str) -> String {
    header.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The format of a header row for a kind of file: `Err` lists what was expected.
pub fn detect(kind: Kind, header: &[String], mappings: &[BankMapping]) -> Result<Format, String> {
    let names: Vec<String> = header.iter().map(|h| norm(h)).collect();
    let mut candidates: Vec<Format> = match kind {
        Kind::Pg => vec![Format::PgV2, Format::PgV1, Format::PgSimple],
        Kind::Bank => vec![Format::BankSimple, Format::BankV1],
    };
    if kind == Kind::Bank {
        candidates.extend(mappings.iter().cloned().map(|m| Format::Mapping(Box::new(m))));
    }
    // The most specific layout wins: the one that needs the most columns and finds them all.
    candidates
        .into_iter()
        .filter(|f| f.required().iter().all(|c| names.contains(&norm(c))))
        .max_by_key(|f| f.required().len())
        .ok_or_else(|| {
            format!(
                "The header row is not a known {} layout. Expected one of: {}.",
                if kind == Kind::Pg { "PG" } else { "bank" },
                match kind {
                    Kind::Pg => "PG simple (Transaction ID, Merchant ID, Amount, …), PG V1 (transaction_id, client_code, paid_amount, …), PG V2 (pg_txn_id, amount_paise, …)".to_string(),
                    Kind::Bank => {
                        let mut s = "Bank simple (Bank Reference, Amount, Transaction Date, Debit/Credit, …), Bank V1 (utr, paid_amount, trans_complete_date, bank_name, …)".to_string();
                        for m in mappings {
                            s.push_str(&format!(", {} ({}, {}, {})", m.layout_name, m.reference_column, m.gross_amount_column, m.txn_date_column));
                        }
                        s
                    }
                }
            )
        })
}

/// A refused row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgRecord {
    pub line: u64,
    pub txn_id: String,
    pub merchant_id: String,
    pub amount: Paise,
    pub gross: Option<Paise>,
    pub currency: String,
    pub txn_at: NaiveDateTime,
    pub payment_method: &'static str,
    pub bank: Option<String>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub status: String,
    pub bank_fee: Option<Paise>,
    pub expected_settlement: Option<Paise>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankRecord {
    pub line: u64,
    pub natural_key: String,
    pub bank_ref: Option<String>,
    pub bank_name: String,
    pub amount: Paise,
    pub net: Option<Paise>,
    pub credit: bool,
    pub txn_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    pub utr: Option<String>,
    pub rrn: Option<String>,
    pub remarks: Option<String>,
}

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

/// One good row of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Pg(PgRecord),
    Bank(BankRecord),
}

/// What a streamed file turned out to be: its format and how many data rows it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streamed {
    pub format: Format,
    pub rows_total: u64,
}

/// How much of a file is looked at before reading it row by row: the header row and the
/// delimiter are found in it.
const HEAD_BYTES: usize = 64 * 1024;

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The message for a file none of whose rows could be used.
pub fn none_accepted(rows_total: u64, first: Option<&RowError>) -> String {
    let first = first.map(|e| format!(" The first problem, line {}: {}", e.line, e.message)).unwrap_or_default();
    format!("None of the file's {rows_total} rows could be accepted.{first}")
}

fn read_failed(e: std::io::Error) -> String {
    format!("The file could not be read: {e}")
}

/// The cells of one row, from a CSV record or a worksheet row, trimmed.
enum Cells<'a> {
    Csv(&'a csv::StringRecord),
    Strings(&'a [String]),
}

impl Cells<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Cells::Csv(r) => r.get(i),
            Cells::Strings(s) => s.get(i).map(String::as_str),
        }
        .map(str::trim)
    }

    fn is_blank(&self) -> bool {
        match self {
            Cells::Csv(r) => r.iter().all(|c| c.trim().is_empty()),
            Cells::Strings(s) => s.iter().all(|c| c.trim().is_empty()),
        }
    }
}

/// The rows of one worksheet, read cell by cell from the workbook (never the whole sheet at once),
/// numbered as the spreadsheet numbers them; rows without a value are skipped.
struct SheetRows<F> {
    /// The next cell with a value: its (row, column) from 0 and its text.
    cells: F,
    pending: Option<((u32, u32), String)>,
    /// The sheet's end was reached (the reader must not be asked again).
    done: bool,
}

type NextCell = Result<Option<((u32, u32), String)>, String>;

/// The cells of a worksheet as [`SheetRows`] reads them.
fn sheet_rows<'a, 'b: 'a>(
    book: &'a mut calamine::Xlsx<Cursor<&'b [u8]>>,
    sheet: &str,
) -> Result<SheetRows<impl FnMut() -> NextCell + use<'a, 'b>>, String> {
    let mut reader = book.worksheet_cells_reader(sheet).map_err(|e| format!("The workbook cannot be read: {e}"))?;
    let cells = move || {
        let cell = reader.next_cell().map_err(|e| format!("The workbook cannot be read: {e}"))?;
        Ok(cell.map(|c| (c.get_position(), cell_text(c.get_value()))))
    };
    Ok(SheetRows { cells, pending: None, done: false })
}

fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Float(f) => format!("{f}"),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => {
            dt.as_datetime().map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
        }
        DataRef::Error(e) => format!("#ERROR {e:?}"),
    }
}

impl<F: FnMut() -> NextCell> SheetRows<F> {
    fn next_cell(&mut self) -> NextCell {
        if let Some(cell) = self.pending.take() {
            return Ok(Some(cell));
        }
        if self.done {
            return Ok(None);
        }
        let cell = (self.cells)()?;
        self.done = cell.is_none();
        Ok(cell)
    }

    /// The next row with a value: its number (1-based) and its cells by column.
    fn next_row(&mut self) -> Result<Option<(u64, Vec<String>)>, String> {
        loop {
            let Some(((row, col), value)) = self.next_cell()? else { return Ok(None) };
            let mut cells = Vec::new();
            let mut put = |col: u32, value: String| {
                let col = col as usize;
                if cells.len() <= col {
                    cells.resize(col + 1, String::new());
                }
                cells[col] = value;
            };
            put(col, value);
            while let Some(((r, c), v)) = self.next_cell()? {
                if r != row {
                    self.pending = Some(((r, c), v));
                    break;
                }
                put(c, v);
            }
            if cells.iter().any(|c| !c.is_empty()) {
                return Ok(Some((u64::from(row) + 1, cells)));
            }
        }
    }
}

fn open_xlsx(bytes: &[u8]) -> Result<calamine::Xlsx<Cursor<&[u8]>>, String> {
    use calamine::Reader;
    calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("The file looks like XLSX but cannot be opened: {e}"))
}

/// How far down a worksheet its header row is looked for (statements often open with a title).
const XLSX_HEADER_SEARCH_ROWS: usize = 20;

/// The one worksheet of a workbook with a known layout's header among its first rows, and that
/// header's row number (several such sheets are refused: one sheet per file).
fn recognised_sheet(
    book: &mut calamine::Xlsx<Cursor<&[u8]>>,
    kind: Kind,
    mappings: &[BankMapping],
) -> Result<(String, u64), String> {
    use calamine::Reader;
    let names = book.sheet_names().to_vec();
    let mut found = Vec::new();
    for name in &names {
        let Ok(mut rows) = sheet_rows(book, name) else { continue };
        for _ in 0..XLSX_HEADER_SEARCH_ROWS {
            let Some((line, header)) = rows.next_row()? else { break };
            if detect(kind, &header, mappings).is_ok() {
                found.push((name.clone(), line));
                break;
            }
        }
    }
    match found.len() {
        0 => Err(format!("No sheet of this workbook ({}) has a recognised header row.", names.join(", "))),
        1 => Ok(found.remove(0)),
        _ => Err(format!(
            "Several sheets have a recognised header ({}); upload one sheet per file.",
            found.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The format of a file from its header: the one the user named (checked against the header),
/// else the detected one.
fn resolve(kind: Kind, format: Option<Format>, header: &[String], mappings: &[BankMapping]) -> Result<Format, String> {
    match format {
        Some(f) => {
            if f.kind() != kind {
                return Err(format!("{} is not a {} format.", f.name(), if kind == Kind::Pg { "PG" } else { "bank" }));
            }
            let missing: Vec<String> =
                f.required().into_iter().filter(|c| !header.iter().any(|h| norm(h) == norm(c))).collect();
            if !missing.is_empty() {
                return Err(format!("The header lacks the column(s) {} that {} needs.", missing.join(", "), f.name()));
            }
            Ok(f)
        }
        None => detect(kind, header, mappings),
    }
}

/// Turns the rows of one file (its header known) into records.
struct Converter {
    kind: Kind,
    format: Format,
    header: Vec<String>,
    columns: Vec<String>,
    /// Where each column name asked for was found: worked out once per file, not per row.
    found: std::cell::RefCell<Vec<(Box<str>, Option<usize>)>>,
}

impl Converter {
    fn new(kind: Kind, format: Format, header: Vec<String>) -> Self {
        let columns = header.iter().map(|h| norm(h)).collect();
        Converter { kind, format, header, columns, found: Default::default() }
    }

    /// The position of a column in the header, by its name in any spelling (`Transaction ID`,
    /// `transaction_id`).
    fn position(&self, column: &str) -> Option<usize> {
        if let Some((_, i)) = self.found.borrow().iter().find(|(name, _)| &**name == column) {
            return *i;
        }
        let i = self.columns.iter().position(|c| same_column(c, column));
        self.found.borrow_mut().push((column.into(), i));
        i
    }

    fn convert(&self, line: u64, cells: Cells<'_>) -> Result<Record, RowError> {
        let row = Row { line, cells, converter: self };
        match self.kind {
            Kind::Pg => pg_record(&row, &self.format).map(Record::Pg),
            Kind::Bank => bank_record(&row, &self.format).map(Record::Bank),
        }
    }
}

/// Read a file of `kind` row by row, holding one row at a time (an XLSX workbook, a zip, is read
/// whole). `format` overrides detection; `mappings` are the bank layouts to try. Each data row,
/// good or refused, goes to `on_row` in file order; it may stop the reading early. `Err` is a
/// file-level refusal (nothing from the file may be used).
pub fn parse_stream<R: Read>(
    reader: R,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    mut on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    let mut reader = BufReader::with_capacity(HEAD_BYTES, reader);
    let head = reader.fill_buf().map_err(read_failed)?;
    let mut rows_total = 0u64;
    if is_xlsx(head) {
        // A workbook is a zip, read from memory (the upload limit bounds it); its cells stream.
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(read_failed)?;
        xlsx_limits::check(&bytes, &xlsx_limits::Limits::DEFAULT)?;
        let mut book = open_xlsx(&bytes)?;
        let (sheet, header_line) = recognised_sheet(&mut book, kind, mappings)?;
        let mut rows = sheet_rows(&mut book, &sheet)?;
        let header = loop {
            match rows.next_row()? {
                Some((line, header)) if line == header_line => break header,
                Some(_) => continue,
                None => return Err("The file has no header row.".into()),
            }
        };
        let format = resolve(kind, format, &header, mappings)?;
        let converter = Converter::new(kind, format, header);
        while let Some((line, cells)) = rows.next_row()? {
            rows_total += 1;
            if on_row(converter.convert(line, Cells::Strings(&cells))).is_break() {
                break;
            }
        }
        return finish(converter.format, rows_total);
    }

    // CSV: the first bytes say whether it is text, where the header is and what separates cells.
    let (delimiter, header_row) = match &format {
        Some(Format::Mapping(m)) => (Some(m.delimiter), m.header_row.max(1)),
        _ => (None, 1),
    };
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
    let header_text = text.lines().nth(header_row - 1).unwrap_or("");
    let delimiter = delimiter.unwrap_or_else(|| {
        [b',', b';', b'\t', b'|', b'~']
            .into_iter()
            .max_by_key(|d| header_text.bytes().filter(|b| b == d).count())
            .unwrap_or(b',')
    });
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
    let mut index = 0usize;
    loop {
        let more = csv.read_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| csv.get_mut().line_at(p.byte())).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::Utf8 { .. } => format!("Line {line} is not UTF-8 text; save the file as UTF-8 CSV."),
                _ => format!("Line {line} cannot be read as CSV: {e}"),
            }
        })?;
        if !more {
            break;
        }
        index += 1;
        let line = record.position().map(|p| csv.get_mut().line_at(p.byte())).unwrap_or(index as u64);
        match &converter {
            None => {
                if index < header_row {
                    continue;
                }
                let header: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
                let resolved = resolve(kind, format.take(), &header, mappings)?;
                converter = Some(Converter::new(kind, resolved, header));
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
    finish(converter.format, rows_total)
}

fn finish(format: Format, rows_total: u64) -> Result<Streamed, String> {
    if rows_total == 0 {
        return Err("The file has a header but no data rows.".into());
    }
    Ok(Streamed { format, rows_total })
}

/// Parse a whole file: every good record and every refused row. `Err` is a file-level
/// refusal, including a file none of whose rows is good.
pub fn parse(file: impl Read, kind: Kind, format: Option<Format>, mappings: &[BankMapping]) -> Result<Parsed, String> {
    let (mut pg, mut bank, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    let streamed = parse_stream(file, kind, format, mappings, |row| {
        match row {
            Ok(Record::Pg(r)) => pg.push(r),
            Ok(Record::Bank(r)) => bank.push(r),
            Err(e) => errors.push(e),
        }
        ControlFlow::Continue(())
    })?;
    let records = match kind {
        Kind::Pg => Records::Pg(pg),
        Kind::Bank => Records::Bank(bank),
    };
    let parsed = Parsed { format: streamed.format, records, errors, rows_total: streamed.rows_total };
    if parsed.rows_accepted() == 0 {
        return Err(none_accepted(parsed.rows_total, parsed.errors.first()));
    }
    Ok(parsed)
}

/// The first rows of a file as they would be read: its format, and for each of the first
/// [`PREVIEW_ROWS`](super::model::PREVIEW_ROWS) data rows the values understood or the reason it
/// would be refused. `sampled`: `bytes` is only the start of the file (a CSV cut anywhere; the
/// part after its last line break is left out).
pub fn preview(
    bytes: &[u8],
    sampled: bool,
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
) -> Result<super::model::UploadPreview, String> {
    use super::model::{PreviewRow, UploadPreview, PREVIEW_ROWS};
    let bytes = match bytes.iter().rposition(|b| *b == b'\n') {
        Some(end) if sampled && !is_xlsx(bytes) => &bytes[..=end],
        _ => bytes,
    };
    let money = |p: Paise| p.to_inr();
    let mut rows = Vec::new();
    let streamed = parse_stream(bytes, kind, format, mappings, |row| {
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
            },
            Err(e) => PreviewRow {
                line: e.line,
                cells: Vec::new(),
                error: Some(match e.column {
                    Some(c) => format!("{c}: {}", e.message),
                    None => e.message,
                }),
            },
        });
        if rows.len() >= PREVIEW_ROWS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let columns: &[&str] = match kind {
        Kind::Pg => &["Transaction ID", "Merchant", "Amount", "Date and time (IST)", "Method", "UTR", "RRN", "Status"],
        Kind::Bank => &["Bank reference", "Bank", "Amount", "Cr/Dr", "Date", "UTR", "RRN"],
    };
    Ok(UploadPreview {
        format: streamed.format.name(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        sampled,
    })
}

struct Row<'a> {
    line: u64,
    cells: Cells<'a>,
    converter: &'a Converter,
}

/// `a` (already normalised) equals `b` once normalised, without allocating.
fn same_column(a: &str, b: &str) -> bool {
    a.chars().eq(b.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase))
}

type RowResult<T> = Result<T, RowError>;

impl Row<'_> {
    fn err(&self, column: &str, message: impl Into<String>) -> RowError {
        let shown = self
            .converter
            .position(column)
            .map(|i| self.converter.header[i].clone())
            .unwrap_or_else(|| column.to_string());
        RowError { line: self.line, column: Some(shown), message: message.into() }
    }

    /// The trimmed text of a column, `None` when absent or empty.
    fn get(&self, column: &str) -> RowResult<Option<&str>> {
        let Some(i) = self.converter.position(column) else { return Ok(None) };
        let value = self.cells.get(i).unwrap_or("");
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(self.err(column, format!("is longer than {MAX_FIELD_CHARS} characters")));
        }
        Ok(Some(value).filter(|v| !v.is_empty()))
    }

    fn required(&self, column: &str) -> RowResult<&str> {
        self.get(column)?.ok_or_else(|| self.err(column, "is empty"))
    }

    /// An identifier: no spreadsheet formula, no control characters.
    fn ident(&self, column: &str) -> RowResult<Option<String>> {
        match self.get(column)? {
            None => Ok(None),
            Some(v) if v.starts_with(['=', '+', '-', '@']) => {
                Err(self.err(column, format!("{v:?} looks like a spreadsheet formula")))
            }
            Some(v) if v.chars().any(char::is_control) => Err(self.err(column, "contains control characters")),
            Some(v) => Ok(Some(v.to_string())),
        }
    }

    fn required_ident(&self, column: &str) -> RowResult<String> {
        self.ident(column)?.ok_or_else(|| self.err(column, "is empty"))
    }

    fn rupees(&self, column: &str) -> RowResult<Option<Paise>> {
        self.get(column)?.map(|v| Paise::parse_rupees(v).map_err(|m| self.err(column, m))).transpose()
    }

    fn paise(&self, column: &str) -> RowResult<Option<Paise>> {
        self.get(column)?
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|p| *p >= 0)
                    .map(Paise)
                    .ok_or_else(|| self.err(column, format!("{v:?} is not a whole, non-negative number of paise")))
            })
            .transpose()
    }

    fn positive(&self, column: &str, amount: Option<Paise>) -> RowResult<Paise> {
        match amount {
            None => Err(self.err(column, "is empty")),
            Some(p) if p.0 <= 0 => Err(self.err(column, "must be more than zero")),
            Some(p) => Ok(p),
        }
    }

    fn datetime(&self, column: &str, format: Option<&str>) -> RowResult<Option<NaiveDateTime>> {
        self.get(column)?.map(|v| parse_datetime(v, format).map_err(|m| self.err(column, m))).transpose()
    }
}

/// `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY`, `YYYY/MM/DD`, optionally with a time; or the given
/// strftime format first.
pub fn parse_datetime(text: &str, preferred: Option<&str>) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    if let Some(f) = preferred {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt);
        }
    }
    if let Some(dt) = iso_datetime(t) {
        return Ok(dt);
    }
    const DATES: [&str; 6] = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y"];
    for date in DATES {
        if let Ok(d) = NaiveDate::parse_from_str(t, date) {
            return Ok(d.and_time(NaiveTime::MIN));
        }
        for time in [" %H:%M:%S", "T%H:%M:%S", " %H:%M", "T%H:%M:%S%.f", " %H:%M:%S%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, &format!("{date}{time}")) {
                return Ok(dt);
            }
        }
    }
    Err(format!("{t:?} is not a date (YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY or YYYY/MM/DD, optionally with a time)"))
}

/// The common case without trying formats: `YYYY-MM-DD`, optionally with ` HH:MM` or
/// ` HH:MM:SS` (or `T` between). `None` for anything else, which the general path then reads.
fn iso_datetime(t: &str) -> Option<NaiveDateTime> {
    let b = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = match b.len() {
        10 => NaiveTime::MIN,
        16 | 19 if matches!(b[10], b' ' | b'T') && b[13] == b':' => {
            let seconds = if b.len() == 19 {
                if b[16] != b':' {
                    return None;
                }
                num(17..19)?
            } else {
                0
            };
            NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, seconds)?
        }
        _ => return None,
    };
    Some(date.and_time(time))
}

/// The payment methods of spec 2.1, with the spellings files use.
pub fn payment_method(text: &str) -> Option<&'static str> {
    Some(match norm(text).as_str() {
        "upi" | "upicollect" | "upiintent" => "UPI",
        "card" | "cards" | "creditcard" | "debitcard" | "cc" | "dc" => "CARD",
        "netbanking" | "nb" | "internetbanking" => "NETBANKING",
        "wallet" | "wallets" => "WALLET",
        "neft" => "NEFT",
        "rtgs" => "RTGS",
        "imps" => "IMPS",
        _ => return None,
    })
}

fn pg_record(row: &Row, format: &Format) -> RowResult<PgRecord> {
    let (txn_id_col, merchant_col, method_col) = match format {
        Format::PgSimple => ("Transaction ID", "Merchant ID", "Payment Method"),
        Format::PgV1 => ("transaction_id", "client_code", "payment_mode"),
        _ => ("pg_txn_id", "merchant_id", "payment_method"),
    };
    let txn_id = row.required_ident(txn_id_col)?;
    let merchant_id = row.required_ident(merchant_col)?.to_ascii_uppercase();
    let method_text = row.required(method_col)?;
    let payment_method = payment_method(method_text).ok_or_else(|| {
        row.err(method_col, format!("{method_text:?} is not UPI, CARD, NETBANKING, WALLET, NEFT, RTGS or IMPS"))
    })?;
    let (amount, gross, bank_fee, expected, txn_at, currency, status, bank) = match format {
        Format::PgSimple => {
            let amount = row.positive("Amount", row.rupees("Amount")?)?;
            let date = row.required("Transaction Date")?;
            // The date and the time are read together; a refusal names the one that is wrong.
            let day = parse_datetime(date, None).map_err(|m| row.err("Transaction Date", m))?;
            let when = match row.get("Transaction Time")? {
                Some(time) => {
                    parse_datetime(&format!("{date} {time}"), None).map_err(|m| row.err("Transaction Time", m))?
                }
                None => day,
            };
            let currency = row.get("Currency")?.unwrap_or("INR").to_ascii_uppercase();
            (
                amount,
                None,
                None,
                None,
                when,
                currency,
                row.get("Status")?.unwrap_or("SUCCESS").to_ascii_uppercase(),
                None,
            )
        }
        Format::PgV1 => {
            let paid = row.positive("paid_amount", row.rupees("paid_amount")?)?;
            let gross = row.rupees("payee_amount")?;
            let when =
                row.datetime("trans_complete_date", None)?.ok_or_else(|| row.err("trans_complete_date", "is empty"))?;
            (
                paid,
                gross,
                row.rupees("bank_exclude_amount")?,
                row.rupees("settlement_amount")?,
                when,
                "INR".to_string(),
                row.get("transaction_status")?.unwrap_or("SUCCESS").to_ascii_uppercase(),
                row.ident("bank_name")?,
            )
        }
        _ => {
            let amount = row.positive("amount_paise", row.paise("amount_paise")?)?;
            let when = row.datetime("created_at", None)?.ok_or_else(|| row.err("created_at", "is empty"))?;
            (
                amount,
                None,
                row.paise("fee_paise")?,
                row.paise("net_paise")?,
                when,
                "INR".to_string(),
                row.get("status")?.unwrap_or("SUCCESS").to_ascii_uppercase(),
                row.ident("bank")?,
            )
        }
    };
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(row.err("Currency", format!("{currency:?} is not a currency code")));
    }
    Ok(PgRecord {
        line: row.line,
        txn_id,
        merchant_id,
        amount,
        gross,
        currency,
        txn_at,
        payment_method,
        bank,
        utr: row.ident(match format {
            Format::PgSimple => "UTR",
            _ => "utr",
        })?,
        rrn: row.ident("rrn")?,
        status,
        bank_fee,
        expected_settlement: expected,
    })
}

fn bank_record(row: &Row, format: &Format) -> RowResult<BankRecord> {
    let (reference, bank_name, amount, net, credit, txn_date, value_date, utr, rrn, remarks) = match format {
        Format::BankSimple => {
            let direction = row.required("Debit/Credit")?;
            let credit = match norm(direction).as_str() {
                "cr" | "credit" | "c" => true,
                "dr" | "debit" | "d" => false,
                _ => return Err(row.err("Debit/Credit", format!("{direction:?} is neither CREDIT nor DEBIT"))),
            };
            (
                row.ident("Bank Reference")?,
                row.ident("Bank Name")?.unwrap_or_else(|| "UNKNOWN".into()),
                row.positive("Amount", row.rupees("Amount")?)?,
                None,
                credit,
                row.datetime("Transaction Date", None)?.ok_or_else(|| row.err("Transaction Date", "is empty"))?,
                row.datetime("Value Date", None)?,
                row.ident("UTR")?,
                None,
                row.get("Remarks")?.map(str::to_string),
            )
        }
        Format::BankV1 => (
            None,
            row.ident("bank_name")?.unwrap_or_else(|| "UNKNOWN".into()),
            row.positive("paid_amount", row.rupees("paid_amount")?)?,
            None,
            true,
            row.datetime("trans_complete_date", None)?.ok_or_else(|| row.err("trans_complete_date", "is empty"))?,
            None,
            row.ident("utr")?,
            row.ident("rrn")?,
            None,
        ),
        Format::Mapping(m) => {
            let money = |col: &str| if m.amounts_in_paise { row.paise(col) } else { row.rupees(col) };
            let credit = match m.direction_column.as_deref() {
                None => true,
                Some(col) => match row.get(col)?.map(norm).as_deref() {
                    None | Some("cr" | "credit" | "c") => true,
                    Some("dr" | "debit" | "d") => false,
                    Some(other) => return Err(row.err(col, format!("{other:?} is neither CR nor DR"))),
                },
            };
            let date = |col: &str| row.datetime(col, Some(&m.date_format));
            (
                row.ident(&m.reference_column)?,
                m.bank_code.clone(),
                row.positive(&m.gross_amount_column, money(&m.gross_amount_column)?)?,
                m.net_amount_column.as_deref().map(money).transpose()?.flatten(),
                credit,
                date(&m.txn_date_column)?.ok_or_else(|| row.err(&m.txn_date_column, "is empty"))?,
                m.value_date_column.as_deref().map(date).transpose()?.flatten(),
                m.utr_column.as_deref().map(|c| row.ident(c)).transpose()?.flatten(),
                m.rrn_column.as_deref().map(|c| row.ident(c)).transpose()?.flatten(),
                m.remarks_column.as_deref().map(|c| row.get(c).map(|v| v.map(str::to_string))).transpose()?.flatten(),
            )
        }
        _ => return Err(RowError { line: row.line, column: None, message: "not a bank format".into() }),
    };
    let txn_date = txn_date.date();
    let natural_key = match &reference {
        Some(r) => format!("{bank_name}:{r}"),
        None => {
            let basis = format!(
                "{bank_name}|{}|{}|{txn_date}|{}",
                utr.as_deref().unwrap_or(""),
                amount.0,
                if credit { "CREDIT" } else { "DEBIT" }
            );
            format!("{bank_name}:h:{}", &hex::encode(Sha256::digest(basis.as_bytes()))[..32])
        }
    };
    Ok(BankRecord {
        line: row.line,
        natural_key,
        bank_ref: reference,
        bank_name,
        amount,
        net,
        credit,
        txn_date,
        value_date: value_date.map(|d| d.date()),
        utr,
        rrn,
        remarks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(text: &str) -> Result<Parsed, String> {
        parse(text.as_bytes(), Kind::Pg, None, &shipped_mappings())
    }

    fn bank(text: &str) -> Result<Parsed, String> {
        parse(text.as_bytes(), Kind::Bank, None, &shipped_mappings())
    }

    fn pg_rows(p: &Parsed) -> &[PgRecord] {
        match &p.records {
            Records::Pg(r) => r,
            _ => panic!("PG records expected"),
        }
    }

    fn bank_rows(p: &Parsed) -> &[BankRecord] {
        match &p.records {
            Records::Bank(r) => r,
            _ => panic!("bank records expected"),
        }
    }

    const PG_SIMPLE: &str =
        "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n";

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
    fn pg_v1_and_v2_are_detected() {
        let v1 = "transaction_id,client_code,payee_amount,paid_amount,payment_mode,trans_complete_date,bank_name,utr,rrn,approval_code,transaction_status,bank_exclude_amount,settlement_amount\n\
                  SP1,M2,1000.00,1000.00,UPI,2026-11-20 10:00:00,HDFC,U1,R1,A1,SUCCESS,20.00,980.00\n";
        let p = pg(v1).unwrap();
        assert_eq!(p.format, Format::PgV1);
        let r = &pg_rows(&p)[0];
        assert_eq!(
            (r.amount, r.bank_fee, r.expected_settlement),
            (Paise(100000), Some(Paise(2000)), Some(Paise(98000)))
        );
        let v2 = "pg_txn_id,merchant_id,utr,amount_paise,fee_paise,tax_paise,net_paise,status,payment_method,bank,created_at,settled_at\n\
                  P1,M3,U9,150000,3000,540,146460,SUCCESS,CARD,ICICI,2026-11-20T09:30:00,\n";
        let p = pg(v2).unwrap();
        assert_eq!(p.format, Format::PgV2);
        assert_eq!(pg_rows(&p)[0].amount, Paise(150000));
    }

    #[test]
    fn bank_layouts_including_the_axis_tilde_file() {
        let simple = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\nREF1,HDFC,500.00,2026-11-20,2026-11-21,U1,ok,CR\nREF2,HDFC,10,2026-11-20,,U2,fee,DEBIT\n";
        let p = bank(simple).unwrap();
        assert_eq!(p.format, Format::BankSimple);
        let rows = bank_rows(&p);
        assert_eq!((rows[0].amount, rows[0].credit, rows[1].credit), (Paise(50000), true, false));
        assert_eq!(rows[0].natural_key, "HDFC:REF1");
        let axis = "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\nA1~1,000.00~20-11-2026~20-11-2026~axisutr1~CR~NEFT credit\n";
        let p = bank(axis).unwrap();
        assert_eq!(p.format.name(), "AXIS MIS (tilde .txt) (AXIS)");
        assert_eq!(bank_rows(&p)[0].amount, Paise(100000));
        let sftp = "TXNID,CREDIT_AMT,NET_CR_AMT,VALUE_DATE,UTR,RRN,AUTH,POST_DATE,BANK,STATUS,REMARKS\nX1,250.00,245.00,21-11-2026,U5,R5,A,20-11-2026,AXIS,OK,\n";
        let p = bank(sftp).unwrap();
        assert_eq!(p.format.name(), "AXIS SFTP settlement (AXIS)");
        let r = &bank_rows(&p)[0];
        assert_eq!(
            (r.amount, r.net, r.txn_date.to_string()),
            (Paise(25000), Some(Paise(24500)), "2026-11-20".to_string())
        );
    }

    #[test]
    fn a_line_without_a_reference_gets_a_stable_hash_key() {
        let v1 = "utr,rrn,paid_amount,trans_complete_date,bank_name,transaction_status,approval_code\nU1,R1,10.00,2026-11-20,SBI,SUCCESS,A\n";
        let a = bank(v1).unwrap();
        let b = bank(v1).unwrap();
        assert_eq!(bank_rows(&a)[0].natural_key, bank_rows(&b)[0].natural_key);
        assert!(bank_rows(&a)[0].natural_key.starts_with("SBI:h:"));
    }

    #[test]
    fn bad_rows_name_line_column_and_reason() {
        let text = format!(
            "{PG_SIMPLE}T1,M1,-5,INR,2026-11-20,,UPI,U1,,\nT2,M1,10,INR,2026-02-30,,UPI,U2,,\nT3,M1,10,INR,2026-11-20,,CHEQUE,U3,,\n=HYPERLINK(1),M1,10,INR,2026-11-20,,UPI,U4,,\nT5,M1,abc,INR,2026-11-20,,UPI,U5,,\nT6,M1,10,INR,2026-11-20,,UPI,U6,,\n"
        );
        let p = pg(&text).unwrap();
        assert_eq!(pg_rows(&p).len(), 1);
        let e: Vec<(u64, Option<&str>)> = p.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(
            e,
            vec![
                (2, Some("Amount")),
                (3, Some("Transaction Date")),
                (4, Some("Payment Method")),
                (5, Some("Transaction ID")),
                (6, Some("Amount"))
            ]
        );
        assert!(p.errors[0].message.contains("negative"));
        assert!(p.errors[3].message.contains("formula"));
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
        let rows: Vec<String> = (2..=8)
            .map(|n| if n % 2 == 0 && n > 2 { bad } else { good }.replace("{n}", &n.to_string()))
            .collect();
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
    }

    #[test]
    fn the_tilde_layout_numbers_crlf_lines_as_an_editor() {
        let axis = "Tran Id~Amount~Tran Date~Value Date~UTR No~Cr/Dr~Particulars\r\nA1~1,000.00~20-11-2026~20-11-2026~u1~CR~ok\r\nA2~abc~20-11-2026~20-11-2026~u2~CR~bad\r\n";
        let p = bank(axis).unwrap();
        assert_eq!(p.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn a_bad_date_is_blamed_on_the_date_column_and_a_bad_time_on_the_time_column() {
        let text = format!(
            "{PG_SIMPLE}T1,M1,10,INR,2026-02-30,10:00:00,UPI,U1,,\nT2,M1,10,INR,2026-11-20,25:61:00,UPI,U2,,\nT3,M1,10,INR,2026-11-20,10:00:00,UPI,U3,,\n"
        );
        let p = pg(&text).unwrap();
        let e: Vec<(u64, Option<&str>)> = p.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(e, vec![(2, Some("Transaction Date")), (3, Some("Transaction Time"))]);
    }

    #[test]
    fn a_preview_shows_the_first_five_rows_as_understood() {
        let text = "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n\
                    P1,merch_001,\"1,500.00\",INR,2026-11-20,10:05:00,upi,U1,R1,SUCCESS\n\
                    P2,MERCH_001,abc,INR,2026-11-20,,UPI,U2,,SUCCESS\n\
                    P3,MERCH_001,1.00,INR,20/11/2026,,CARD,,,SUCCESS\n\
                    P4,MERCH_001,2.00,INR,2026-11-20,,UPI,U4,,SUCCESS\n\
                    P5,MERCH_001,3.00,INR,2026-11-20,,UPI,U5,,SUCCESS\n\
                    P6,MERCH_001,4.00,INR,2026-11-20,,UPI,U6,,SUCCESS\n";
        let p = preview(text.as_bytes(), false, Kind::Pg, None, &shipped_mappings()).unwrap();
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
        let p = preview(cut, true, Kind::Pg, None, &shipped_mappings()).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert!(p.sampled);

        // A named format is checked against the header.
        let bank = "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n\
                    B1,HDFC,10.00,2026-11-20,,U1,,CR\n";
        assert_eq!(
            preview(bank.as_bytes(), false, Kind::Bank, None, &shipped_mappings()).unwrap().format,
            "Bank simple"
        );
        let refused =
            preview(bank.as_bytes(), false, Kind::Bank, Some(Format::BankV1), &shipped_mappings()).unwrap_err();
        assert!(
            refused.contains("lacks the column(s) paid_amount, trans_complete_date that Bank V1 needs"),
            "{refused}"
        );
    }

    #[test]
    fn the_iso_fast_path_reads_as_the_formats_do() {
        for t in ["2026-11-20", "2026-11-20 10:05", "2026-11-20 10:05:09", "2026-11-20T23:59:59", "2024-02-29 00:00"] {
            let fast = iso_datetime(t).unwrap();
            let general = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                .or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)));
            assert_eq!(Some(fast), general, "{t}");
        }
        for t in [
            "2026-02-30",
            "2026-13-01",
            "2026-11-20 24:00",
            "2026-11-20 10:60",
            "2026-1-20",
            "20-11-2026",
            "2026-11-20 10:05:09.5",
        ] {
            assert_eq!(iso_datetime(t), None, "{t}");
        }
        assert!(parse_datetime("2026-02-30", None).is_err());
        assert_eq!(parse_datetime("2026-11-20 10:05:09.5", None).unwrap().and_utc().timestamp_subsec_millis(), 500);
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

    #[test]
    fn dates_in_every_format_of_the_spec() {
        for (text, expected) in [
            ("2026-11-20", "2026-11-20 00:00:00"),
            ("20-11-2026", "2026-11-20 00:00:00"),
            ("20/11/2026", "2026-11-20 00:00:00"),
            ("2026/11/20", "2026-11-20 00:00:00"),
            ("2026-11-20 14:05", "2026-11-20 14:05:00"),
            ("20/11/2026 14:05:09", "2026-11-20 14:05:09"),
            ("2026-11-20T14:05:09", "2026-11-20 14:05:09"),
        ] {
            assert_eq!(parse_datetime(text, None).unwrap().to_string(), expected, "{text}");
        }
        assert!(parse_datetime("31-02-2026", None).is_err());
        assert!(parse_datetime("tomorrow", None).is_err());
    }
}

#[cfg(test)]
mod xlsx_tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
        let mut book = Workbook::new();
        for (name, rows) in sheets {
            let sheet = book.add_worksheet();
            sheet.set_name(*name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    // Numbers are written as numbers, as spreadsheets hold them.
                    match cell.parse::<f64>() {
                        Ok(n) if !cell.contains('-') => sheet.write_number(r as u32, c as u16, n).unwrap(),
                        _ => sheet.write_string(r as u32, c as u16, *cell).unwrap(),
                    };
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    const HEADER: [&str; 10] = [
        "Transaction ID",
        "Merchant ID",
        "Amount",
        "Currency",
        "Transaction Date",
        "Transaction Time",
        "Payment Method",
        "UTR",
        "RRN",
        "Status",
    ];

    /// Rows are numbered as the spreadsheet numbers them, wherever the table starts; empty rows
    /// and empty leading columns are skipped.
    #[test]
    fn xlsx_rows_keep_their_spreadsheet_numbers() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "Statement of transactions").unwrap();
        // Header on row 3, a blank row 4, data on rows 5 and 7 (row 6 empty), starting in column B.
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(2, c as u16 + 1, *h).unwrap();
        }
        let good = ["X1", "M1", "10", "INR", "2026-11-20", "10:00:00", "UPI", "U1", "", "SUCCESS"];
        let bad = ["X2", "M1", "ten", "INR", "2026-11-20", "10:00:00", "UPI", "U2", "", "SUCCESS"];
        for (r, row) in [(4u32, good), (6, bad)] {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r, c as u16 + 1, *v).unwrap();
            }
        }
        let bytes = book.save_to_buffer().unwrap();
        // The title row is not the header: the table is found below it.
        let p = parse(bytes.as_slice(), Kind::Pg, None, &[]).unwrap();
        assert_eq!(p.rows_total, 2);
        assert_eq!(p.rows_accepted(), 1);
        assert_eq!(p.errors.len(), 1);
        assert_eq!((p.errors[0].line, p.errors[0].column.as_deref()), (7, Some("Amount")));
        let Records::Pg(rows) = &p.records else { panic!("PG rows") };
        assert_eq!((rows[0].line, rows[0].amount), (5, Paise(1000)));
    }

    #[test]
    fn an_xlsx_pg_file_reads_like_its_csv() {
        let bytes = workbook(&[(
            "Transactions",
            vec![
                HEADER.to_vec(),
                vec!["X1", "M1", "1234.5", "INR", "2026-11-20", "10:00:00", "UPI", "U1", "R1", "SUCCESS"],
                vec!["X2", "M1", "0.1", "INR", "2026-11-20", "10:00:00", "CARD", "U2", "", "SUCCESS"],
                vec!["X3", "M1", "-4", "INR", "2026-11-20", "10:00:00", "CARD", "U3", "", "SUCCESS"],
            ],
        )]);
        let p = parse(bytes.as_slice(), Kind::Pg, None, &[]).unwrap();
        assert_eq!(p.format, Format::PgSimple);
        let Records::Pg(rows) = &p.records else { panic!("PG rows") };
        assert_eq!(
            rows.iter().map(|r| r.amount.0).collect::<Vec<_>>(),
            vec![123450, 10],
            "exact paise from spreadsheet numbers"
        );
        assert_eq!(rows[0].line, 2);
        assert_eq!((p.errors[0].line, p.errors[0].column.as_deref()), (4, Some("Amount")));
    }

    #[test]
    fn the_recognised_sheet_is_found_and_two_are_refused() {
        let data = vec![HEADER.to_vec(), vec!["X1", "M1", "10", "INR", "2026-11-20", "", "UPI", "U1", "", "SUCCESS"]];
        let one = workbook(&[("Notes", vec![vec!["read me"]]), ("Data", data.clone())]);
        assert_eq!(parse(one.as_slice(), Kind::Pg, None, &[]).unwrap().rows_accepted(), 1);
        let two = workbook(&[("Monday", data.clone()), ("Tuesday", data)]);
        assert!(parse(two.as_slice(), Kind::Pg, None, &[]).unwrap_err().contains("Several sheets"));
        let none = workbook(&[("Notes", vec![vec!["read me"]])]);
        assert!(parse(none.as_slice(), Kind::Pg, None, &[]).unwrap_err().contains("No sheet"));
    }
}
