//! XLSX downloads: a real spreadsheet (typed cells, ₹ number format, dates as dates, a bold frozen
//! header, column widths) written by `rust_xlsxwriter` in its constant-memory mode, so a report of
//! a million rows never sits in memory.
//!
//! How a file is made: the export's query runs as a cursor in a read-only transaction of its own
//! (as a CSV export's does, [`super::csv`]); each row goes through a bounded channel to a blocking
//! thread that writes it into the worksheet, which keeps only the current row and spills the rest
//! to a temporary file. When the last row is in, the workbook is zipped into an unnamed temporary
//! file (gone when closed) and that file is streamed to the client with its length. Unlike a CSV,
//! an XLSX cannot be sent before it is complete (its zip directory comes last), so the status is
//! known before the first byte: a query that fails answers its error instead of a file. A report
//! longer than a worksheet's [`MAX_ROWS`] goes on to a second worksheet (`Title (2)`, its own header
//! and filter), and so on up to [`MAX_SHEETS`], a bound on the temporary files (a million rows are
//! some 500 MB of sheet XML); one longer still is refused in words (400 for a download; a scheduled
//! run fails at once with the sentence), pointing to the CSV, which has no limit. Both limits are
//! [`SheetLimits`], read from `Config::xlsx_limits`.
//!
//! The same writer makes the files of scheduled reports ([`build_file`]), as XLSX or as CSV (a CSV
//! to store is written here, row by row, rather than streamed as [`super::csv`] does for a
//! download), which are stored rather than sent.
//!
//! Downloads pass the same [`ExportGate`](super::csv::ExportGate) as CSV downloads (two per user, a
//! quarter of the pool in all). A client that leaves while the file is built drops the request:
//! the query is cancelled ([`super::csv::CancelOnDrop`]) and the writer thread stops at its next
//! row.

use std::borrow::Cow;
use std::fs::File;
use std::future::Future;
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, TryStreamExt};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::csv::{CancelOnDrop, ExportGate};
use crate::db::ExportTx;
use crate::error::AppError;
use crate::sheet::{Cell, Column};

/// The data rows one worksheet holds under its header (Excel's limit is 1,048,576 rows in all).
pub const MAX_ROWS: u32 = 1_048_575;
/// The most worksheets one file fills with a report's rows.
pub const MAX_SHEETS: u32 = 4;
/// Rows queued between the query and the writer thread.
const ROWS_AHEAD: usize = 512;
/// The ₹ amount format: Indian rupees with two decimals; negatives with a minus.
pub const RUPEE_FORMAT: &str = "₹#,##0.00;-₹#,##0.00";
pub const DATE_FORMAT: &str = "dd-mmm-yyyy";
pub const TIME_FORMAT: &str = "dd-mmm-yyyy hh:mm:ss";
/// The deflate level of the workbook's zip: the fastest. Deflating the sheet's XML is much of the
/// work of a big file (a million 17-column rows are some 500 MB of it); a somewhat larger file is
/// the price.
const ZIP_LEVEL: u8 = 1;
pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What the query side tells the writer thread.
enum Message {
    Row(Vec<Cell>),
    /// Every row was sent: the workbook may be finished (a channel that closes without this was
    /// cut short, and no file is made).
    End,
}

/// Where a file's rows go: handed to the producer of [`build_file`].
pub struct XlsxRows {
    sender: mpsc::Sender<Message>,
    written: u64,
    /// The most data rows the file may hold (an XLSX's worksheets' rows; none for a CSV).
    limit: Option<u64>,
}

impl XlsxRows {
    /// Write every row of `rows` (a query's cursor) as it arrives, each as `cells(row)`; refused
    /// in words past the file's row limit.
    pub async fn write_all<T, E>(
        mut self,
        rows: impl Stream<Item = Result<T, E>>,
        cells: impl Fn(T) -> Vec<Cell>,
    ) -> Result<(), AppError>
    where
        AppError: From<E>,
    {
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await? {
            self.write_row(cells(row)).await?;
        }
        self.end().await
    }

    /// Write one row; refused in words past the file's row limit. [`XlsxRows::end`] finishes the
    /// file.
    pub async fn write_row(&mut self, cells: Vec<Cell>) -> Result<(), AppError> {
        if let Some(limit) = self.limit.filter(|limit| self.written == *limit) {
            return Err(AppError::BadRequest(format!(
                "This report has more than {} rows, more than an XLSX file of this product holds. Narrow the dates or the filters, or use CSV.",
                crate::money::format_count(i64::try_from(limit).unwrap_or(i64::MAX))
            )));
        }
        self.written += 1;
        self.send(Message::Row(cells)).await
    }

    /// Every row was written: the file may be finished.
    pub async fn end(self) -> Result<(), AppError> {
        self.send(Message::End).await
    }

    async fn send(&self, message: Message) -> Result<(), AppError> {
        // The writer thread ends early only when it failed; its own error is the one reported.
        self.sender.send(message).await.map_err(|_| AppError::Transport("The spreadsheet writer stopped.".into()))
    }
}

type Produced = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send>>;

/// An XLSX download as a feature's use case answers it, authorised and its query validated; the
/// handler turns it into the response ([`XlsxExport::respond`]).
pub struct XlsxExport {
    pool: PgPool,
    gate: Arc<ExportGate>,
    limits: SheetLimits,
    user: Uuid,
    name: String,
    sheet: Cow<'static, str>,
    columns: Cow<'static, [Column]>,
    produce: Box<dyn FnOnce(XlsxRows, ExportTx) -> Produced + Send>,
}

impl XlsxExport {
    pub fn new<F, Fut>(
        state: &crate::state::AppState,
        user: Uuid,
        name: String,
        sheet: impl Into<Cow<'static, str>>,
        columns: impl Into<Cow<'static, [Column]>>,
        produce: F,
    ) -> Self
    where
        F: FnOnce(XlsxRows, ExportTx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        XlsxExport {
            pool: state.pool.clone(),
            gate: state.exports.clone(),
            limits: state.config.xlsx_limits,
            user,
            name,
            sheet: sheet.into(),
            columns: columns.into(),
            produce: Box::new(move |rows, tx| Box::pin(produce(rows, tx))),
        }
    }

    /// The finished file, sent with its length; the export's error (400 past the row limit,
    /// 500…) when the file could not be made. A client that reads nothing for
    /// [`super::csv::SEND_TIMEOUT`] loses the download (the temporary file is closed, and so gone).
    pub async fn respond(self) -> Result<Response, AppError> {
        let permit = self.gate.admit(self.user)?;
        let written =
            build_file(&self.pool, FileKind::Xlsx, self.limits, self.sheet, self.columns, self.produce).await?;
        Ok((
            [
                (header::CONTENT_TYPE, CONTENT_TYPE.to_string()),
                (header::CONTENT_LENGTH, written.length.to_string()),
                (header::CONTENT_DISPOSITION, crate::files::attachment_disposition(&self.name)),
            ],
            file_body(written.file, permit, super::csv::SEND_TIMEOUT),
        )
            .into_response())
    }
}

/// The longest an XLSX download may take to be read whole (a client dripping a byte now and then
/// must not hold its temporary file, and its export place, for days).
const DOWNLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// A finished file as a response body, read in its own task and handed over 64 KiB at a time; the
/// export's place at the gate is held until the body ends. A chunk the client does not take within
/// `send_timeout`, or a download still unread at [`DOWNLOAD_DEADLINE`], ends the body before its
/// `Content-Length`, which the client sees as a failed download.
fn file_body(file: File, permit: super::csv::ExportPermit, send_timeout: std::time::Duration) -> Body {
    let (sender, receiver) = mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(2);
    let deadline = tokio::time::Instant::now() + DOWNLOAD_DEADLINE;
    tokio::spawn(async move {
        let _permit = permit;
        let mut chunks = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 64 * 1024);
        while let Some(chunk) = futures_util::StreamExt::next(&mut chunks).await {
            if tokio::time::Instant::now() > deadline {
                tracing::warn!("XLSX download given up: not read within its deadline");
                return;
            }
            let failed = chunk.is_err();
            match tokio::time::timeout(send_timeout, sender.send(chunk)).await {
                Ok(Ok(())) if !failed => {}
                Ok(_) => return,
                Err(_) => {
                    tracing::warn!("XLSX download given up: the client stopped reading");
                    return;
                }
            }
        }
    });
    Body::from_stream(tokio_stream_from(receiver))
}

fn tokio_stream_from<T: Send + 'static>(mut receiver: mpsc::Receiver<T>) -> impl Stream<Item = T> + Send {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}

/// How many rows an XLSX file holds: the data rows of a worksheet under its header, and the most
/// worksheets (`Config::xlsx_limits`: [`SheetLimits::DEFAULT`] but in tests, which make it small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SheetLimits {
    pub rows_per_sheet: u32,
    pub sheets: u32,
}

impl SheetLimits {
    /// A worksheet's every row ([`MAX_ROWS`]), on up to [`MAX_SHEETS`] worksheets.
    pub const DEFAULT: SheetLimits = SheetLimits { rows_per_sheet: MAX_ROWS, sheets: MAX_SHEETS };

    /// Within what a worksheet holds (1 to [`MAX_ROWS`] rows), on at least one worksheet. (More
    /// worksheets than [`MAX_SHEETS`] only in tests, whose worksheets hold a few rows.)
    fn bounded(self) -> SheetLimits {
        SheetLimits { rows_per_sheet: self.rows_per_sheet.clamp(1, MAX_ROWS), sheets: self.sheets.max(1) }
    }

    /// The most data rows a file holds.
    fn rows(self) -> u64 {
        u64::from(self.rows_per_sheet) * u64::from(self.sheets)
    }
}

/// A whole file of the query's rows as `kind`, written to a temporary file (a download sends it, a
/// scheduled report stores it). The query runs as a cursor in a read-only transaction of its own;
/// an XLSX puts `limits.rows_per_sheet` data rows on a worksheet and the rest on the next ones, at
/// most `limits.sheets`, and is refused in words beyond them (a download answers 400, a scheduled
/// run fails with the sentence); a CSV takes any number.
pub async fn build_file<F, Fut>(
    pool: &PgPool,
    kind: FileKind,
    limits: SheetLimits,
    sheet: impl Into<Cow<'static, str>>,
    columns: impl Into<Cow<'static, [Column]>>,
    produce: F,
) -> Result<Written, AppError>
where
    F: FnOnce(XlsxRows, ExportTx) -> Fut,
    Fut: Future<Output = Result<(), AppError>>,
{
    let limits = limits.bounded();
    let rows_per_sheet = limits.rows_per_sheet;
    let limit = (kind == FileKind::Xlsx).then_some(limits.rows());
    let (sender, receiver) = mpsc::channel(ROWS_AHEAD);
    let (sheet, columns) = (sheet.into().into_owned(), columns.into().into_owned());
    let name = sheet.clone();
    let writer = tokio::task::spawn_blocking(move || match kind {
        FileKind::Xlsx => write_workbook(&sheet, &columns, rows_per_sheet, receiver),
        FileKind::Csv => write_csv(&columns, receiver),
    });
    let produced = async move {
        let mut tx = crate::db::begin_export(pool).await?;
        let cancel = CancelOnDrop::arm(pool, &mut tx).await?;
        let outcome = produce(XlsxRows { sender, written: 0, limit }, tx).await;
        // Every row was read: nothing to cancel. Stopped early (past the row limit, the writer
        // gone), the cursor's statement may still run, so the guard cancels it.
        if outcome.is_ok() {
            cancel.disarm();
        }
        outcome
    }
    .await;
    let written = writer.await.map_err(|error| {
        tracing::error!(%error, report = name, "report file writer thread failed");
        AppError::Internal
    })?;
    match (produced, written) {
        (Ok(()), Ok(written)) => Ok(written),
        // The query side's own error (the writer only saw its channel close).
        (Err(error), Ok(_) | Err(WriteError::CutShort)) => Err(error),
        (_, Err(error)) => {
            tracing::error!(%error, report = name, "report file could not be written");
            Err(AppError::Internal)
        }
    }
}

/// Why the writer thread made no file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the rows stopped before their end")]
    CutShort,
    #[error(transparent)]
    Xlsx(#[from] XlsxError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A finished file: an unnamed temporary file (gone when closed), rewound, and its length.
pub struct Written {
    pub file: File,
    pub length: u64,
}

/// What a stored file is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

/// The blocking side of a CSV: the header, then each row as it arrives, each cell's
/// [`Cell::csv_text`] through [`super::csv::neutralise_formula`].
fn write_csv(columns: &[Column], mut rows: mpsc::Receiver<Message>) -> Result<Written, WriteError> {
    let mut out = ::csv::Writer::from_writer(std::io::BufWriter::new(tempfile::tempfile()?));
    out.write_record(columns.iter().map(|c| c.header)).map_err(std::io::Error::other)?;
    loop {
        match rows.blocking_recv() {
            Some(Message::Row(cells)) => {
                out.write_record(cells.iter().map(|c| super::csv::neutralise_formula(&c.csv_text())))
                    .map_err(std::io::Error::other)?;
            }
            Some(Message::End) => break,
            None => return Err(WriteError::CutShort),
        }
    }
    let mut file = out.into_inner().map_err(|e| e.into_error())?.into_inner().map_err(|e| e.into_error())?;
    let length = file.seek(SeekFrom::End(0))?;
    file.rewind()?;
    Ok(Written { file, length })
}

/// The blocking side of an XLSX: on each worksheet a header row and up to `rows_per_sheet` rows as
/// they arrive (a row past that starts the next worksheet), then the zipped workbook.
fn write_workbook(
    sheet: &str,
    columns: &[Column],
    rows_per_sheet: u32,
    mut rows: mpsc::Receiver<Message>,
) -> Result<Written, WriteError> {
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#E2E8F0").set_align(FormatAlign::Top).set_text_wrap();
    let rupees = Format::new().set_num_format(RUPEE_FORMAT);
    let date = Format::new().set_num_format(DATE_FORMAT);
    let time = Format::new().set_num_format(TIME_FORMAT);
    let count = Format::new().set_num_format("#,##0");
    let last_column = columns.len().saturating_sub(1) as u16;
    let mut sheets: u32 = 1;
    let mut ws = start_worksheet(&mut workbook, &sheet_name(sheet, sheets), columns, &header)?;
    let mut on_sheet: u32 = 0;
    loop {
        let cells = match rows.blocking_recv() {
            Some(Message::Row(cells)) => cells,
            Some(Message::End) => break,
            None => return Err(WriteError::CutShort),
        };
        if on_sheet == rows_per_sheet {
            ws.autofilter(0, 0, on_sheet, last_column)?;
            sheets += 1;
            ws = start_worksheet(&mut workbook, &sheet_name(sheet, sheets), columns, &header)?;
            on_sheet = 0;
        }
        on_sheet += 1;
        let row_num = on_sheet;
        for (col, cell) in cells.into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    // Always a string cell: a text that starts with `=` is shown, never run.
                    ws.write_string(row_num, col, s)?;
                }
                Cell::Money(p) => {
                    ws.write_number_with_format(row_num, col, rupees_number(p.0), &rupees)?;
                }
                Cell::Count(n) => {
                    ws.write_number_with_format(row_num, col, n as f64, &count)?;
                }
                Cell::Date(d) => {
                    ws.write_datetime_with_format(row_num, col, d, &date)?;
                }
                Cell::Time(t) => {
                    let ist = t.with_timezone(&crate::ist::offset()).naive_local();
                    ws.write_datetime_with_format(row_num, col, ist, &time)?;
                }
            }
        }
    }
    if on_sheet > 0 {
        ws.autofilter(0, 0, on_sheet, last_column)?;
    }
    let mut file = tempfile::tempfile()?;
    workbook.set_zip_compression_level(ZIP_LEVEL);
    workbook.save_to_writer(&mut file)?;
    let length = file.seek(SeekFrom::End(0))?;
    file.rewind()?;
    Ok(Written { file, length })
}

/// A new worksheet (its rows kept on disk, not in memory) named `name`, with the columns' widths
/// and the bold header row frozen above the data.
fn start_worksheet<'a>(
    workbook: &'a mut Workbook,
    name: &str,
    columns: &[Column],
    header: &Format,
) -> Result<&'a mut rust_xlsxwriter::Worksheet, XlsxError> {
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name(name)?;
    for (col, c) in columns.iter().enumerate() {
        let col = col as u16;
        ws.set_column_width(col, f64::from(c.width))?;
        ws.write_string_with_format(0, col, c.header, header)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(ws)
}

/// Paise as the rupee number a spreadsheet stores. A cell's number is an IEEE double by the file
/// format; the quotient of an exact integer (|paise| < 2⁵³) by 100 rounds to the double nearest
/// the rupee amount, the same one a spreadsheet stores for the typed text `1234.56`, so a reader
/// that multiplies by 100 and rounds gets the paise back exactly.
pub fn rupees_number(paise: i64) -> f64 {
    paise as f64 / 100.0
}

/// The name of the `n`th worksheet of a report titled `title` (`Title`, `Title (2)`, …), one Excel
/// accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str, n: u32) -> String {
    let suffix = if n > 1 { format!(" ({n})") } else { String::new() };
    let clean: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31 - suffix.chars().count()).collect();
    let clean = if clean.trim().is_empty() { "Report".to_string() } else { clean };
    format!("{clean}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupee_numbers_give_the_paise_back() {
        for paise in [0, 1, 5, 10, 99, 101, 123_456_78, -150, 9_99_99_99_99_999, 1_00_000_00_01] {
            assert_eq!((rupees_number(paise) * 100.0).round() as i64, paise, "{paise}");
            // The double a spreadsheet gets from the plain decimal text.
            let text = crate::money::Paise(paise).to_rupees_plain();
            assert_eq!(rupees_number(paise), text.parse::<f64>().unwrap(), "{text}");
        }
    }

    #[test]
    fn sheet_names_are_valid() {
        assert_eq!(sheet_name("Settlement summary", 1), "Settlement summary");
        assert_eq!(sheet_name("Settlement summary", 2), "Settlement summary (2)");
        assert_eq!(sheet_name("a/b:c", 1), "abc");
        assert_eq!(sheet_name("??", 1), "Report");
        assert_eq!(sheet_name("??", 3), "Report (3)");
        assert_eq!(sheet_name(&"x".repeat(40), 1).len(), 31);
        assert_eq!(sheet_name(&"x".repeat(40), 12), format!("{} (12)", "x".repeat(26)));
    }
}
