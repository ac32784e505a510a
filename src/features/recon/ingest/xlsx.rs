//! Workbooks (XLSX), read cell by cell: the workbook is checked against the limits of
//! `xlsx_limits` before calamine opens it, the one sheet with a known header among its first rows
//! is chosen, and its rows are numbered as the spreadsheet numbers them (rows without a value are
//! skipped).

use std::io::Cursor;
use std::ops::ControlFlow;

use super::layouts::{detect, resolve, BankMapping, Format, Kind, ReadOptions};
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
        guarded(|| {
            let cell = reader.next_cell().map_err(|e| format!("The workbook cannot be read: {e}"))?;
            cell.map(|c| Ok((c.get_position(), cell_text(c.get_value())?))).transpose()
        })
    };
    Ok(SheetRows { cells, pending: None, done: false })
}

/// The most text one cell may hold: Excel's 32,767 characters, at up to four bytes each. A
/// shared string is one copy in memory, but each cell that refers to it becomes a copy of its own,
/// so a long one repeated across a row would multiply it: a longer cell refuses the file before
/// it is copied.
const MAX_CELL_BYTES: usize = 32_767 * 4;
/// The most text one row may hold (its cells are kept until the row is complete): real rows are a
/// few hundred bytes; this bounds a row of 16,384 long cells to a few MB.
const MAX_ROW_BYTES: usize = 4 * 1024 * 1024;

fn cell_text(value: &calamine::DataRef<'_>) -> Result<String, String> {
    use calamine::DataRef;
    let text = |s: &str| {
        if s.len() > MAX_CELL_BYTES {
            Err("The workbook is refused: a cell holds more than 32,767 characters (Excel's limit).".to_string())
        } else {
            Ok(s.trim().to_string())
        }
    };
    Ok(match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text(s)?,
        DataRef::SharedString(s) => text(s)?,
        DataRef::Float(f) => format!("{f}"),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => {
            dt.as_datetime().map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
        }
        DataRef::Error(e) => format!("#ERROR {e:?}"),
    })
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
            let mut bytes = value.len();
            place(&mut cells, (row, col), value)?;
            while let Some(((r, c), v)) = self.next_cell()? {
                if r != row {
                    self.pending = Some(((r, c), v));
                    break;
                }
                bytes += v.len();
                if bytes > MAX_ROW_BYTES {
                    return Err(format!(
                        "The workbook is refused: row {} holds more than {} MB of text.",
                        u64::from(row) + 1,
                        MAX_ROW_BYTES / (1024 * 1024)
                    ));
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
/// and styles in memory while it is open, and a row is kept until it is complete). Its capacity is
/// what one workbook within the limits may hold at most ([`xlsx_limits::Limits::most_held_bytes`]
/// and one row), so uploads and previews in parallel never hold more than the largest one alone;
/// small workbooks are read side by side. Workbooks are let in in the order they asked (a steady
/// stream of small previews cannot starve a large upload), and one that waits longer than
/// [`BUDGET_PATIENCE`] is refused with a sentence instead of holding its request open. (It runs on
/// blocking threads: std's lock and condition variable are the right ones.)
struct MemoryBudget {
    state: std::sync::Mutex<BudgetState>,
    freed: std::sync::Condvar,
}

struct BudgetState {
    in_use: u64,
    /// The next ticket to hand out, and the ticket whose turn it is.
    next_ticket: u64,
    serving: u64,
    /// Tickets whose holders gave up waiting: skipped when their turn comes.
    abandoned: std::collections::BTreeSet<u64>,
}

impl BudgetState {
    fn next_turn(&mut self) {
        self.serving += 1;
        while self.abandoned.remove(&self.serving) {
            self.serving += 1;
        }
    }
}

static WORKBOOK_MEMORY: MemoryBudget = MemoryBudget::new();

/// How long a workbook waits for its share of [`WORKBOOK_MEMORY`] before it is refused.
const BUDGET_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

impl MemoryBudget {
    const fn new() -> Self {
        MemoryBudget {
            state: std::sync::Mutex::new(BudgetState {
                in_use: 0,
                next_ticket: 0,
                serving: 0,
                abandoned: std::collections::BTreeSet::new(),
            }),
            freed: std::sync::Condvar::new(),
        }
    }

    /// Waits for this workbook's turn and until `bytes` fit beside what the others hold within
    /// `capacity` (one alone always fits), and holds them until the reservation is dropped; after
    /// `patience`, gives up with the reason. The lock guards counters only, so a panic while it
    /// was held leaves nothing to distrust.
    fn reserve(&self, bytes: u64, capacity: u64, patience: std::time::Duration) -> Result<Reservation<'_>, String> {
        let bytes = bytes.min(capacity);
        let deadline = std::time::Instant::now() + patience;
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        while state.serving != ticket || state.in_use + bytes > capacity {
            let now = std::time::Instant::now();
            if now >= deadline {
                if state.serving == ticket {
                    state.next_turn();
                } else {
                    state.abandoned.insert(ticket);
                }
                self.freed.notify_all();
                return Err("The server is busy reading other large workbooks; try again in a minute.".into());
            }
            state = self.freed.wait_timeout(state, deadline - now).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
        state.in_use += bytes;
        state.next_turn();
        // The next in line may fit beside this one.
        self.freed.notify_all();
        Ok(Reservation { budget: self, bytes })
    }
}

struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut state = self.budget.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.in_use -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Runs a call into calamine, which trusts some of a workbook's numbers (a cell pointing past the
/// shared strings makes it index out of bounds and panic): a workbook that makes the reader panic
/// is a malformed file, refused with a sentence like any other, not a server error. Only calamine's
/// calls are guarded, so a bug of ours still shows as one.
fn guarded<T>(call: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|_| {
        tracing::warn!("an uploaded workbook made the XLSX reader panic; refused as malformed");
        Err(MALFORMED.into())
    })
}

/// Read a workbook's recognised sheet row by row, as [`super::parse_stream`] does.
pub(super) fn read(
    bytes: &[u8],
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    limits: &xlsx_limits::Limits,
    on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    // The caps of `xlsx_limits` bound one workbook's memory; the budget bounds all of them together.
    let held = xlsx_limits::check(bytes, limits)?;
    // Beside what calamine holds, the row being assembled (at most `MAX_ROW_BYTES` of text).
    let row = MAX_ROW_BYTES as u64;
    let _memory = WORKBOOK_MEMORY.reserve(held + row, limits.most_held_bytes() + row, BUDGET_PATIENCE)?;
    read_checked(bytes, kind, format, mappings, options, on_row)
}

const MALFORMED: &str = "The workbook is malformed (a cell refers to something the file does not contain). \
Open it in a spreadsheet program, save it again as XLSX and upload that file.";

/// [`read`] once the workbook passed the limits.
fn read_checked(
    bytes: &[u8],
    kind: Kind,
    format: Option<Format>,
    mappings: &[BankMapping],
    options: &ReadOptions,
    mut on_row: impl FnMut(Result<Record, RowError>) -> ControlFlow<()>,
) -> Result<Streamed, String> {
    let mut book = guarded(|| open_xlsx(bytes))?;
    let (sheet, header_line) = recognised_sheet(&mut book, kind, mappings)?;
    let mut rows = guarded(|| sheet_rows(&mut book, &sheet))?;
    let header = loop {
        match rows.next_row()? {
            Some((line, header)) if line == header_line => break header,
            Some(_) => continue,
            None => return Err("The file has no header row.".into()),
        }
    };
    let format = resolve(kind, format, &header, mappings)?;
    let converter = Converter::new(kind, format, header, options)?;
    let mut rows_total = 0u64;
    while let Some((line, cells)) = rows.next_row()? {
        rows_total += 1;
        if on_row(converter.convert(line, Cells::Strings(&cells))).is_break() {
            break;
        }
    }
    finish(converter, rows_total, None)
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
        let wait = Duration::from_secs(30);
        // Two small ones at once (a lock for one workbook at a time would block here for ever).
        let small = budget.reserve(20, 100, wait).unwrap();
        let other_small = budget.reserve(20, 100, wait).unwrap();
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let budget = &budget;
            scope.spawn(move || {
                let _large = budget.reserve(70, 100, wait).unwrap();
                done.send(()).unwrap();
            });
            assert!(finished.recv_timeout(Duration::from_millis(200)).is_err(), "70 does not fit beside 40: it waits");
            drop(small);
            finished.recv_timeout(Duration::from_secs(5)).expect("70 fits beside 20 once one small one is done");
        });
        drop(other_small);
        assert_eq!(budget.state.lock().unwrap().in_use, 0, "every reservation is given back");
        // Larger than the whole budget: it runs alone instead of never.
        drop(budget.reserve(1_000, 100, wait).unwrap());
    }

    /// First come, first served: a small workbook that would fit does not overtake a large one
    /// waiting before it; one that waits too long is refused and its turn passes on.
    #[test]
    fn the_budget_serves_in_order_and_gives_up_in_time() {
        use std::sync::mpsc;
        use std::time::Duration;
        let budget = MemoryBudget::new();
        let wait = Duration::from_secs(30);
        let first = budget.reserve(60, 100, wait).unwrap();
        let refused = budget.reserve(70, 100, Duration::from_millis(50));
        assert!(refused.is_err_and(|e| e.contains("busy")), "no room within its patience");
        std::thread::scope(|scope| {
            let budget = &budget;
            let (large_in, large_done) = mpsc::channel();
            let (small_in, small_done) = mpsc::channel();
            let (release_large, large_released) = mpsc::channel::<()>();
            scope.spawn(move || {
                let _large = budget.reserve(70, 100, wait).unwrap();
                large_in.send(()).unwrap();
                large_released.recv().unwrap();
            });
            std::thread::sleep(Duration::from_millis(100));
            scope.spawn(move || {
                let _small = budget.reserve(10, 100, wait).unwrap();
                small_in.send(()).unwrap();
            });
            assert!(
                small_done.recv_timeout(Duration::from_millis(200)).is_err(),
                "10 would fit beside 60, but waits its turn"
            );
            drop(first);
            large_done.recv_timeout(Duration::from_secs(5)).expect("the large one goes first");
            small_done.recv_timeout(Duration::from_secs(5)).expect("then the small one, beside it");
            release_large.send(()).unwrap();
        });
        assert_eq!(budget.state.lock().unwrap().in_use, 0);
    }

    /// A shared string longer than a cell may hold refuses the workbook before it is copied into
    /// each cell that refers to it; so does a row of more text than a row may hold.
    #[test]
    fn a_cell_or_a_row_of_too_much_text_is_refused() {
        use super::super::xlsx_limits::tests::zip_of;
        let long = "a".repeat(MAX_CELL_BYTES + 1);
        let strings = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{long}</t></si></sst>"#
        );
        let rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c></row>"#;
        let book = super::super::xlsx_limits::tests::book("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", rows);
        let mut entries = unzip(&book);
        entries.push(("xl/sharedStrings.xml".to_string(), strings.into_bytes()));
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        let error =
            parse(zip_of(&refs).as_slice(), Kind::Pg, None, &crate::features::recon::ingest::shipped_mappings())
                .expect_err("refused");
        assert!(error.contains("32,767 characters"), "{error}");

        // 40 cells of 120 KB: each within a cell's limit, the row past 4 MB.
        let cell = "b".repeat(120 * 1024);
        let cells: String = (0..40)
            .map(|c| format!(r#"<c r="{}1" t="inlineStr"><is><t>{cell}</t></is></c>"#, column_name(c)))
            .collect();
        let wide = format!(r#"<row r="1">{cells}</row>"#);
        let book = super::super::xlsx_limits::tests::book("worksheets/sheet1.xml", "xl/worksheets/sheet1.xml", &wide);
        let error = parse(book.as_slice(), Kind::Pg, None, &crate::features::recon::ingest::shipped_mappings())
            .expect_err("refused");
        assert!(error.contains("row 1 holds more than 4 MB"), "{error}");
    }

    fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                let mut out = Vec::new();
                entry.read_to_end(&mut out).unwrap();
                (entry.name().to_string(), out)
            })
            .collect()
    }

    /// A, B, …, Z, AA, AB, … for 0, 1, …
    fn column_name(mut index: usize) -> String {
        let mut name = Vec::new();
        loop {
            name.insert(0, b'A' + (index % 26) as u8);
            if index < 26 {
                break;
            }
            index = index / 26 - 1;
        }
        String::from_utf8(name).unwrap()
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
