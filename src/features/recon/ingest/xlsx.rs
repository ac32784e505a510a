//! Workbooks (XLSX), read cell by cell: the workbook is checked against the limits of
//! `xlsx_limits` before calamine opens it, the one sheet with a known header among its first rows
//! is chosen, and its rows are numbered as the spreadsheet numbers them (rows without a value are
//! skipped).

use std::io::Cursor;
use std::ops::ControlFlow;

use super::layouts::{detect, resolve, BankMapping, Format, Kind};
use super::records::{Cells, Converter, Record, RowError};
use super::{finish, xlsx_limits, Streamed};

pub(super) fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
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
            place(&mut cells, (row, col), value)?;
            while let Some(((r, c), v)) = self.next_cell()? {
                if r != row {
                    self.pending = Some(((r, c), v));
                    break;
                }
                place(&mut cells, (r, c), v)?;
            }
            if cells.iter().any(|c| !c.is_empty()) {
                return Ok(Some((u64::from(row) + 1, cells)));
            }
        }
    }
}

/// Put a cell's value in its row at its column, refusing a cell past Excel's sheet before the row
/// is sized to it. `xlsx_limits` refuses references past the sheet, but calamine also numbers
/// cells without a reference one after the other, which only the cells it reads tell for sure.
fn place(cells: &mut Vec<String>, (row, col): (u32, u32), value: String) -> Result<(), String> {
    use xlsx_limits::{MAX_COLUMNS, MAX_ROWS};
    if u64::from(col) >= MAX_COLUMNS {
        return Err(format!(
            "The workbook is refused: row {} has a cell past column XFD ({MAX_COLUMNS}).",
            u64::from(row) + 1
        ));
    }
    if u64::from(row) >= MAX_ROWS {
        return Err(format!("The workbook is refused: it has a cell past row {MAX_ROWS}."));
    }
    let col = col as usize;
    if cells.len() <= col {
        cells.resize(col + 1, String::new());
    }
    cells[col] = value;
    Ok(())
}

fn open_xlsx(bytes: &[u8]) -> Result<calamine::Xlsx<Cursor<&[u8]>>, String> {
    use calamine::Reader;
    calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("The file looks like XLSX but cannot be opened: {e}"))
}

/// How far down a worksheet its header row is looked for (statements often open with a title).
const XLSX_HEADER_SEARCH_ROWS: usize = 20;
/// The most sheets a workbook may have: each is looked for among all the zip's entries, and a
/// workbook part of a few megabytes can name a hundred thousand.
const MAX_SHEETS: usize = 1_000;

/// The one worksheet of a workbook with a known layout's header among its first rows, and that
/// header's row number (several such sheets are refused: one sheet per file).
fn recognised_sheet(
    book: &mut calamine::Xlsx<Cursor<&[u8]>>,
    kind: Kind,
    mappings: &[BankMapping],
) -> Result<(String, u64), String> {
    use calamine::Reader;
    let names = book.sheet_names().to_vec();
    if names.len() > MAX_SHEETS {
        return Err(format!("The workbook is refused: it has more than {MAX_SHEETS} sheets."));
    }
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

/// The memory that workbooks being read hold together (calamine keeps a workbook's shared strings
/// and styles in memory while it is open). Its capacity is what one workbook within the limits may
/// hold at most ([`xlsx_limits::Limits::most_held_bytes`]), so uploads and previews in parallel
/// never hold more than the largest one alone; small workbooks are read side by side, and only a
/// workbook that does not fit beside the others waits. (It runs on blocking threads: std's lock
/// and condition variable are the right ones.)
struct MemoryBudget {
    in_use: std::sync::Mutex<u64>,
    freed: std::sync::Condvar,
}

static WORKBOOK_MEMORY: MemoryBudget = MemoryBudget::new();

impl MemoryBudget {
    const fn new() -> Self {
        MemoryBudget { in_use: std::sync::Mutex::new(0), freed: std::sync::Condvar::new() }
    }

    /// Waits until `bytes` fit beside what the others hold within `capacity` (one alone always
    /// fits), and holds them until the reservation is dropped. The lock guards a counter only, so
    /// a panic while it was held leaves nothing to distrust.
    fn reserve(&self, bytes: u64, capacity: u64) -> Reservation<'_> {
        let bytes = bytes.min(capacity);
        let mut in_use = self.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while *in_use + bytes > capacity {
            in_use = self.freed.wait(in_use).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *in_use += bytes;
        Reservation { budget: self, bytes }
    }
}

struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut in_use = self.budget.in_use.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_use -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Read a workbook's recognised sheet row by row, as [`super::parse_stream`] does.
pub(super) fn read(
    bytes: &[u8],
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    limits: &xlsx_limits::Limits,
    on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    // The caps of `xlsx_limits` bound one workbook's memory; the budget bounds all of them together.
    let held = xlsx_limits::check(bytes, limits)?;
    let _memory = WORKBOOK_MEMORY.reserve(held, limits.most_held_bytes());
    // calamine trusts some of a workbook's numbers (a cell pointing past the shared strings makes it
    // index out of bounds and panic): a workbook that makes the reader panic is a malformed file,
    // refused with a sentence like any other, not a server error.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_checked(bytes, kind, format, mappings, on_row)))
        .unwrap_or_else(|_| {
            tracing::warn!("an uploaded workbook made the XLSX reader panic; refused as malformed");
            Err(MALFORMED.into())
        })
}

const MALFORMED: &str = "The workbook is malformed (a cell refers to something the file does not contain). \
Open it in a spreadsheet program, save it again as XLSX and upload that file.";

/// [`read`] once the workbook passed the limits.
fn read_checked(
    bytes: &[u8],
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    mut on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    let mut book = open_xlsx(bytes)?;
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
    let mut rows_total = 0u64;
    while let Some((line, cells)) = rows.next_row()? {
        rows_total += 1;
        if on_row(converter.convert(line, Cells::Strings(&cells))).is_break() {
            break;
        }
    }
    finish(converter.format, rows_total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::recon::ingest::{parse, Records};
    use crate::money::Paise;
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

    /// Small workbooks are read side by side; one that does not fit beside the others waits until
    /// they are done (while a large upload's rows go to the database, a small preview still runs).
    #[test]
    fn workbooks_share_a_memory_budget() {
        use std::sync::mpsc;
        use std::time::Duration;
        let budget = MemoryBudget::new();
        // Two small ones at once (a lock for one workbook at a time would block here for ever).
        let small = budget.reserve(20, 100);
        let other_small = budget.reserve(20, 100);
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let budget = &budget;
            scope.spawn(move || {
                let _large = budget.reserve(70, 100);
                done.send(()).unwrap();
            });
            assert!(finished.recv_timeout(Duration::from_millis(200)).is_err(), "70 does not fit beside 40: it waits");
            drop(small);
            finished.recv_timeout(Duration::from_secs(5)).expect("70 fits beside 20 once one small one is done");
        });
        drop(other_small);
        assert_eq!(*budget.in_use.lock().unwrap(), 0, "every reservation is given back");
        // Larger than the whole budget: it runs alone instead of never.
        drop(budget.reserve(1_000, 100));
    }

    /// A text cell pointing past the shared strings (none here) makes calamine index out of
    /// bounds: the upload is refused as malformed, the server does not answer 500.
    #[test]
    fn a_cell_pointing_past_the_shared_strings_is_refused_as_malformed() {
        let rows = r#"<row r="1"><c r="A1" t="s"><v>7</v></c></row>"#;
        let bytes = super::super::xlsx_limits::tests::book("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", rows);
        let error = parse(bytes.as_slice(), Kind::Pg, None, &crate::features::recon::ingest::shipped_mappings())
            .expect_err("the workbook is refused");
        assert!(error.contains("malformed"), "{error}");
    }

    /// The PG simple header as cells: the same fixture the CSV tests read.
    fn header() -> Vec<&'static str> {
        super::super::fixtures::PG_SIMPLE.trim_end().split(',').collect()
    }

    /// Rows are numbered as the spreadsheet numbers them, wherever the table starts; empty rows
    /// and empty leading columns are skipped.
    #[test]
    fn xlsx_rows_keep_their_spreadsheet_numbers() {
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "Statement of transactions").unwrap();
        // Header on row 3, a blank row 4, data on rows 5 and 7 (row 6 empty), starting in column B.
        for (c, h) in header().iter().enumerate() {
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
                header(),
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
        let data = vec![header(), vec!["X1", "M1", "10", "INR", "2026-11-20", "", "UPI", "U1", "", "SUCCESS"]];
        let one = workbook(&[("Notes", vec![vec!["read me"]]), ("Data", data.clone())]);
        assert_eq!(parse(one.as_slice(), Kind::Pg, None, &[]).unwrap().rows_accepted(), 1);
        let two = workbook(&[("Monday", data.clone()), ("Tuesday", data)]);
        assert!(parse(two.as_slice(), Kind::Pg, None, &[]).unwrap_err().contains("Several sheets"));
        let none = workbook(&[("Notes", vec![vec!["read me"]])]);
        assert!(parse(none.as_slice(), Kind::Pg, None, &[]).unwrap_err().contains("No sheet"));
    }

    /// calamine numbers the cells of a row one after the other when they have no reference: a
    /// cell after XFD1 is in column 16,385, and a row after row 1,048,576 is past the sheet. Both
    /// are refused before a row's cells are laid out (a row sized to column 321 million takes
    /// 7.7 GB).
    #[test]
    fn a_cell_numbered_past_the_sheet_is_refused() {
        use crate::features::recon::ingest::xlsx_limits::tests::book;
        let sheet = "worksheets/sheet1.xml";
        let column =
            book(sheet, "xl/worksheets/sheet1.xml", r#"<row r="1"><c r="XFD1"><v>1</v></c><c><v>2</v></c></row>"#);
        let message = parse(column.as_slice(), Kind::Pg, None, &[]).unwrap_err();
        assert!(message.contains("past column XFD"), "{message}");
        let row = book(
            sheet,
            "xl/worksheets/sheet1.xml",
            r#"<row r="1048576"><c r="A1048576"><v>1</v></c></row><row><c><v>2</v></c></row>"#,
        );
        let message = parse(row.as_slice(), Kind::Pg, None, &[]).unwrap_err();
        assert!(message.contains("past row 1048576"), "{message}");
    }

    /// Each sheet is looked for among all the zip's entries: a workbook naming thousands is refused.
    #[test]
    fn a_workbook_of_thousands_of_sheets_is_refused() {
        use crate::features::recon::ingest::xlsx_limits::tests::zip_of;
        let book = |sheets: usize| {
            let names: String =
                (0..sheets).map(|n| format!(r#"<sheet name="S{n}" sheetId="{n}" r:id="rId1"/>"#)).collect();
            let workbook = format!(
                r#"<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{names}</sheets></workbook>"#
            );
            let rels = r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#;
            zip_of(&[("xl/workbook.xml", workbook.as_bytes()), ("xl/_rels/workbook.xml.rels", rels.as_bytes())])
        };
        let message = parse(book(MAX_SHEETS + 1).as_slice(), Kind::Pg, None, &[]).unwrap_err();
        assert!(message.contains("more than 1000 sheets"), "{message}");
        let message = parse(book(MAX_SHEETS).as_slice(), Kind::Pg, None, &[]).unwrap_err();
        assert!(message.contains("No sheet of this workbook"), "{message}");
    }
}
