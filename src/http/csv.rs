//! CSV downloads: the one response shape every export uses (UTF-8, an attachment name), the cell
//! texts they share (plain rupees, IST minutes) and the neutralising of cells a spreadsheet would
//! run as a formula. One copy here, so features never borrow these from each other's `api.rs`.
//!
//! An export can hold a million rows, so it is never built in memory: [`csv_stream`] runs the
//! export's query as a cursor in a task of its own and sends the rows to the response body in
//! chunks of about [`CHUNK_BYTES`], through a channel of [`CHUNKS_AHEAD`] chunks. A client that
//! reads slowly fills the channel, which pauses the cursor, so an export holds a few hundred KB
//! whatever its size.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::error::AppError;
use crate::money::Paise;

/// Rows are sent to the client once this much CSV text has been written: large enough that the
/// cost per chunk is nothing, small enough that memory stays flat.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks written ahead of the client before the cursor waits for it.
pub const CHUNKS_AHEAD: usize = 2;

/// What an export's task tells the response body.
enum Piece {
    Data(Bytes),
    /// Every row was sent: the body may end (a body that ends without this was cut short).
    End,
    Failed(AppError),
}

/// Where an export's rows go: handed to the producer of [`csv_stream`].
pub struct CsvRows {
    out: ::csv::Writer<Vec<u8>>,
    sender: mpsc::Sender<Piece>,
}

impl CsvRows {
    /// Write every row of `rows` (a query's cursor) as it arrives, each cell of `cells(row)`
    /// through [`neutralise_formula`], sending a chunk whenever [`CHUNK_BYTES`] are written.
    pub async fn write_all<T, E>(
        mut self,
        rows: impl Stream<Item = Result<T, E>>,
        cells: impl Fn(T) -> Vec<String>,
    ) -> Result<(), AppError>
    where
        AppError: From<E>,
    {
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await? {
            self.out.write_record(cells(row).iter().map(|c| neutralise_formula(c))).map_err(|_| AppError::Internal)?;
            // The writer moves its own 8 KB buffer into the Vec as it fills: the Vec's length is
            // the text written, give or take that buffer.
            if self.out.get_ref().len() >= CHUNK_BYTES {
                self.send_written().await?;
            }
        }
        self.send_written().await?;
        self.send(Piece::End).await
    }

    async fn send_written(&mut self) -> Result<(), AppError> {
        let chunk = std::mem::replace(&mut self.out, chunk_writer()).into_inner().map_err(|_| AppError::Internal)?;
        if chunk.is_empty() {
            return Ok(());
        }
        self.send(Piece::Data(chunk.into())).await
    }

    async fn send(&self, piece: Piece) -> Result<(), AppError> {
        // The receiver is gone only when the client went away; the task then just stops.
        self.sender.send(piece).await.map_err(|_| AppError::Transport("The download was closed.".into()))
    }
}

/// A writer for one chunk: room for [`CHUNK_BYTES`] and the writer's own buffer moved into it.
fn chunk_writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + 8 * 1024))
}

/// A CSV attachment named `name`: `header`, then the rows `produce` writes into its [`CsvRows`]
/// (typically `rows.write_all(query's cursor, cells)`), streamed as they come.
///
/// The status is decided when the first chunk is ready (or the export ends before one is): a
/// query that cannot start or fails within its first [`CHUNK_BYTES`] answers its error status
/// (500, 503…) as any request would. After that the `200` has gone out, so a failure ends the
/// body with an error: the server aborts the chunked response and the client sees a failed
/// download, never a file silently cut short. The failure is logged with the file name.
pub async fn csv_stream<F, Fut>(name: &str, header: &[&str], produce: F) -> Result<Response, AppError>
where
    F: FnOnce(CsvRows) -> Fut,
    Fut: Future<Output = Result<(), AppError>> + Send + 'static,
{
    let mut out = chunk_writer();
    out.write_record(header).map_err(|_| AppError::Internal)?;
    let (sender, mut receiver) = mpsc::channel(CHUNKS_AHEAD);
    let watch = sender.clone();
    let export = produce(CsvRows { out, sender });
    let file = name.to_string();
    tokio::spawn(
        async move {
            let outcome = tokio::select! {
                outcome = export => outcome,
                // The client left: drop the cursor now rather than at its next chunk.
                () = watch.closed() => return,
            };
            if let Err(error) = outcome {
                if !watch.is_closed() {
                    tracing::error!(%error, file, "CSV export failed");
                    // Nobody is left to tell if this fails.
                    let _ = watch.send(Piece::Failed(error)).await;
                }
            }
        }
        .in_current_span(),
    );
    // The task is gone without saying it finished or failed: it panicked.
    let cut_short = {
        let file = name.to_string();
        move || {
            tracing::error!(file, "CSV export stopped before its end");
            AppError::Internal
        }
    };
    let first = match receiver.recv().await {
        Some(Piece::Data(chunk)) => chunk,
        Some(Piece::Failed(error)) => return Err(error),
        Some(Piece::End) | None => return Err(cut_short()),
    };
    let rest = stream::unfold(Some(receiver), move |receiver| {
        let cut_short = cut_short.clone();
        async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Some(Piece::Data(chunk)) => Some((Ok(chunk), Some(receiver))),
                Some(Piece::End) => None,
                Some(Piece::Failed(error)) => Some((Err(error), None)),
                None => Some((Err(cut_short()), None)),
            }
        }
    });
    let body = Body::from_stream(stream::once(async { Ok::<_, AppError>(first) }).chain(rest));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, crate::files::attachment_disposition(name)),
        ],
        body,
    )
        .into_response())
}

/// The most rows a list's export holds (a run's results have their own, larger cap).
pub const EXPORT_CAP: i64 = 100_000;

/// A list export's file name: `{prefix}-{yyyymmdd}.csv`, the IST date of `now`.
pub fn dated_file_name(prefix: &str, now: DateTime<Utc>) -> String {
    format!("{prefix}-{}.csv", crate::ist::today(now).format("%Y%m%d"))
}

/// What an export's producer returns to [`csv_stream`].
type Produced = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send>>;

/// An export as a feature's use case answers it, authorised and its query validated: the file's
/// name, its header and the producer that writes its rows. The handler only turns it into the
/// streamed response ([`CsvExport::respond`]).
pub struct CsvExport {
    name: String,
    header: &'static [&'static str],
    produce: Box<dyn FnOnce(CsvRows) -> Produced + Send>,
}

impl CsvExport {
    pub fn new<F, Fut>(name: String, header: &'static [&'static str], produce: F) -> Self
    where
        F: FnOnce(CsvRows) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        CsvExport { name, header, produce: Box::new(move |rows| Box::pin(produce(rows))) }
    }

    /// The streamed CSV response (see [`csv_stream`]).
    pub async fn respond(self) -> Result<Response, AppError> {
        csv_stream(&self.name, self.header, self.produce).await
    }
}

/// An amount cell: [`Paise::to_rupees_plain`] (`-1.50`), empty when there is no amount.
pub fn rupees_cell(amount: Option<Paise>) -> String {
    amount.map(Paise::to_rupees_plain).unwrap_or_default()
}

/// A time cell: the IST minute (`2026-11-20 14:05`), as analysts read the pages.
pub fn ist_minute_cell(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::ist::offset()).format("%Y-%m-%d %H:%M").to_string()
}

/// Prefix a cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR) with `'`. A plain
/// number (`-1.50`, digits with an optional fraction) is left alone: a spreadsheet reads it as a
/// number, never a formula, and a quote would turn a negative amount into text that no longer sums.
pub fn neutralise_formula(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// `-?digits(.digits)?`, nothing else.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix('-').unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use http_body_util::BodyExt;

    use super::*;

    /// A row of about 100 bytes, numbered.
    fn row(n: usize) -> Vec<String> {
        vec![n.to_string(), "x".repeat(96)]
    }

    /// The body's data frames, and the error that ended it if one did.
    async fn frames(response: Response) -> (Vec<Bytes>, Option<String>) {
        let mut body = response.into_body();
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => frames.push(frame.into_data().expect("data")),
                Err(error) => return (frames, Some(error.to_string())),
            }
        }
        (frames, None)
    }

    #[tokio::test]
    async fn rows_arrive_in_chunks_in_order() {
        let rows = stream::iter((0..5_000).map(Ok::<_, AppError>));
        let response = csv_stream("x.csv", &["n", "text"], |out| out.write_all(rows, row)).await.unwrap();
        assert_eq!(response.headers()[header::CONTENT_DISPOSITION], "attachment; filename=\"x.csv\"");
        let (frames, error) = frames(response).await;
        assert_eq!(error, None);
        assert!(frames.len() >= 5, "{} frames", frames.len());
        assert!(frames.iter().all(|f| f.len() <= CHUNK_BYTES + 8 * 1024), "chunks stay near their size");
        let text = String::from_utf8(frames.concat()).unwrap();
        let numbers: Vec<usize> = text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
        assert_eq!(numbers, (0..5_000).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_failure_before_the_first_chunk_answers_its_error_status() {
        let rows = stream::iter([Ok(1), Err(AppError::Unavailable)]);
        let answer = csv_stream("x.csv", &["n", "text"], |out| out.write_all(rows, row)).await;
        assert_eq!(answer.err(), Some(AppError::Unavailable));
    }

    #[tokio::test]
    async fn a_failure_after_the_first_chunk_aborts_the_body() {
        let rows = stream::iter((0..3_000).map(Ok).chain([Err(AppError::Internal)]));
        let response = csv_stream("x.csv", &["n", "text"], |out| out.write_all(rows, row)).await.unwrap();
        let (frames, error) = frames(response).await;
        assert!(!frames.is_empty());
        assert_eq!(error, Some(AppError::Internal.to_string()), "the download fails, never looks complete");
    }

    #[tokio::test]
    async fn a_panicking_export_never_looks_complete() {
        let rows = stream::iter((0..3_000).map(|n| if n < 2_000 { Ok::<_, AppError>(n) } else { panic!("bug") }));
        let response = csv_stream("x.csv", &["n", "text"], |out| out.write_all(rows, row)).await.unwrap();
        assert!(frames(response).await.1.is_some());
    }

    #[tokio::test]
    async fn a_slow_client_pauses_the_cursor_and_a_gone_one_stops_it() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = pulled.clone();
        // An endless cursor: only backpressure keeps this export's memory bounded.
        let rows = stream::iter(0..).map(move |n| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, AppError>(n)
        });
        let response = csv_stream("x.csv", &["n", "text"], |out| out.write_all(rows, row)).await.unwrap();
        let mut body = response.into_body();
        body.frame().await.expect("a first chunk").expect("data");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let rows_per_chunk = CHUNK_BYTES / 100 + 1;
        let ahead = pulled.load(Ordering::SeqCst);
        assert!(ahead <= (CHUNKS_AHEAD + 3) * rows_per_chunk, "{ahead} rows read ahead of the client");
        drop(body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let stopped = pulled.load(Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(pulled.load(Ordering::SeqCst), stopped, "the cursor stops when the client leaves");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise_formula("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(neutralise_formula("+1"), "'+1");
        assert_eq!(neutralise_formula("-1e5"), "'-1e5");
        assert_eq!(neutralise_formula("-1."), "'-1.");
        assert_eq!(neutralise_formula("-"), "'-");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("CB-2026-0001"), "CB-2026-0001");
    }

    #[test]
    fn negative_amounts_stay_numbers() {
        assert_eq!(neutralise_formula("-5"), "-5");
        assert_eq!(neutralise_formula(&rupees_cell(Some(Paise(-150)))), "-1.50");
        assert_eq!(neutralise_formula(&rupees_cell(Some(Paise(-50)))), "-0.50");
        assert_eq!(rupees_cell(None), "");
    }
}
