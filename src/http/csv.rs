//! CSV downloads: the one response shape every export uses (UTF-8, an attachment name), the cell
//! texts they share (plain rupees, IST minutes) and the neutralising of cells a spreadsheet would
//! run as a formula. One copy here, so features never borrow these from each other's `api.rs`.
//!
//! An export can hold a million rows, so it is never built in memory: [`csv_stream`] runs the
//! export's query in a task of its own — as a cursor, or a `COPY … TO STDOUT (FORMAT binary)`
//! ([`crate::binary_copy`]), whose rows are written here — and sends the text
//! to the response body in chunks of about [`CHUNK_BYTES`], through a channel of [`CHUNKS_AHEAD`]
//! chunks. A client that reads slowly fills the channel, which pauses the query (a cursor is not
//! read on; a `COPY` waits on its socket), so an export holds a few hundred KB whatever its size.
//!
//! A streaming export holds a pool connection for as long as its client takes to read it, so
//! exports are bounded three ways: an [`ExportGate`] admits at most [`EXPORTS_PER_USER`] at once per
//! user and a quarter of the pool in all (the rest stays free for pages), answering 429 before the
//! query starts; a client that reads nothing for [`SEND_TIMEOUT`] loses its download (the body ends
//! with an error and the export's connection is closed, [`crate::db::ExportTx`]); and the query runs
//! in a read-only transaction of its own ([`crate::db::begin_export`]) whose statement timeout is
//! lifted, since a streamed statement lasts as long as the download and a steady one must not be
//! cut at 30 s. An export dropped before its end (the client left, or stopped reading) also
//! cancels its statement in PostgreSQL ([`CancelOnDrop`]): closing the connection alone would
//! leave the server running it — a sort of millions of rows before the first one — until it next
//! checked on its client, outside the gate's count.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use sqlx::PgPool;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;
use uuid::Uuid;

use crate::error::AppError;
use crate::money::Paise;

/// Rows are sent to the client once this much CSV text has been written: large enough that the
/// cost per chunk is nothing, small enough that memory stays flat.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks written ahead of the client before the cursor waits for it.
pub const CHUNKS_AHEAD: usize = 2;
/// How long a chunk waits for the client to take it before the export is given up.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Exports one user may stream at once.
pub const EXPORTS_PER_USER: usize = 2;

/// Admission of streaming exports: at most [`EXPORTS_PER_USER`] per user and a quarter of the pool
/// (at least one) on the instance, so downloads can never take the connections pages need.
pub struct ExportGate {
    everyone: Arc<Semaphore>,
    per_user: super::per_user::PerUser,
}

impl ExportGate {
    /// A gate for a pool of `max_connections`.
    pub fn new(max_connections: u32) -> Self {
        let exports = (max_connections as usize / 4).max(1);
        ExportGate { everyone: Arc::new(Semaphore::new(exports)), per_user: Default::default() }
    }

    /// A gate sized for `pool`.
    pub fn for_pool(pool: &PgPool) -> Self {
        Self::new(pool.options().get_max_connections())
    }

    /// A place for one more export of `user`, held until the export's task ends; a clear 429 when
    /// the user, or the instance, already streams as many as allowed.
    pub fn admit(&self, user: Uuid) -> Result<ExportPermit, AppError> {
        let Some(place) = self.per_user.take_below(user, EXPORTS_PER_USER) else {
            return Err(AppError::TooManyRequests(format!(
                "You already have {EXPORTS_PER_USER} downloads running. Wait for one to finish, then try again."
            )));
        };
        let everyone = self.everyone.clone().try_acquire_owned().map_err(|_| {
            AppError::TooManyRequests("The server is busy with other downloads. Try again in a minute.".into())
        })?;
        Ok(ExportPermit { _everyone: everyone, _place: place })
    }
}

/// One admitted export (see [`ExportGate::admit`]); its places are given back when it is dropped.
pub struct ExportPermit {
    _everyone: OwnedSemaphorePermit,
    _place: super::per_user::Held,
}

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
    send_timeout: Duration,
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
            self.write_row(&cells(row)).await?;
        }
        self.end().await
    }

    /// Write one row, each cell through [`neutralise_formula`]; a chunk is sent whenever
    /// [`CHUNK_BYTES`] are written. [`CsvRows::end`] sends the rest.
    pub async fn write_row(&mut self, cells: &[String]) -> Result<(), AppError> {
        self.out.write_record(cells.iter().map(|c| neutralised(c.as_bytes()))).map_err(csv_error)?;
        // The writer moves its own 8 KB buffer into the Vec as it fills: the Vec's length is
        // the text written, give or take that buffer.
        if self.out.get_ref().len() >= CHUNK_BYTES {
            self.send_written().await?;
        }
        Ok(())
    }

    /// Write one cell (UTF-8 text) of a row written cell by cell, through [`neutralise_formula`];
    /// [`CsvRows::end_row`] ends the row. (For an export that formats cells into a buffer it
    /// reuses, or writes them from a `COPY`'s bytes, rather than a `Vec<String>` a row.)
    pub fn write_cell(&mut self, text: &[u8]) -> Result<(), AppError> {
        self.out.write_field(neutralised(text)).map_err(csv_error)
    }

    /// End the row [`CsvRows::write_cell`] wrote; a chunk is sent whenever [`CHUNK_BYTES`] are
    /// written.
    pub async fn end_row(&mut self) -> Result<(), AppError> {
        self.out.write_record(None::<&[u8]>).map_err(csv_error)?;
        if self.out.get_ref().len() >= CHUNK_BYTES {
            self.send_written().await?;
        }
        Ok(())
    }

    /// Every row was written: send what is left.
    pub async fn end(mut self) -> Result<(), AppError> {
        self.send_written().await
    }

    /// The text the CSV writer holds, its buffer flushed; the writer starts a new chunk.
    fn take_written(&mut self) -> Result<Vec<u8>, AppError> {
        std::mem::replace(&mut self.out, chunk_writer()).into_inner().map_err(|_| AppError::Internal)
    }

    async fn send_written(&mut self) -> Result<(), AppError> {
        let chunk = self.take_written()?;
        self.send_chunk(chunk).await
    }

    /// Send a chunk of CSV text, if it holds any.
    async fn send_chunk(&self, chunk: Vec<u8>) -> Result<(), AppError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.send(Piece::Data(chunk.into())).await
    }

    async fn send(&self, piece: Piece) -> Result<(), AppError> {
        match tokio::time::timeout(self.send_timeout, self.sender.send(piece)).await {
            Ok(Ok(())) => Ok(()),
            // The receiver is gone only when the client went away; the task then just stops.
            Ok(Err(_)) => Err(AppError::Transport("The download was closed.".into())),
            // A client that stopped reading would otherwise hold the connection for ever.
            Err(_) => Err(AppError::Transport("The client stopped reading the download.".into())),
        }
    }
}

/// A writer for one chunk: room for [`CHUNK_BYTES`] and the writer's own buffer moved into it.
fn chunk_writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES + 8 * 1024))
}

/// A CSV attachment named `name`: `header`, then the rows `produce` writes into its [`CsvRows`]
/// (typically `rows.write_all(query's cursor, cells)`), streamed as they come. `permit` is held
/// until the export's task ends; a chunk the client does not take within `send_timeout` ends the
/// export.
///
/// The status is decided when the first chunk is ready (or the export ends before one is): a
/// query that cannot start or fails within its first [`CHUNK_BYTES`] answers its error status
/// (500, 503…) as any request would. After that the `200` has gone out, so a failure ends the
/// body with an error: the server aborts the chunked response and the client sees a failed
/// download, never a file silently cut short. The failure is logged with the file name.
pub async fn csv_stream<F, Fut>(
    name: &str,
    header: &[&str],
    permit: ExportPermit,
    send_timeout: Duration,
    produce: F,
) -> Result<Response, AppError>
where
    F: FnOnce(CsvRows) -> Fut,
    Fut: Future<Output = Result<(), AppError>> + Send + 'static,
{
    let mut out = chunk_writer();
    out.write_record(header).map_err(|_| AppError::Internal)?;
    let (sender, mut receiver) = mpsc::channel(CHUNKS_AHEAD);
    let watch = sender.clone();
    let export = produce(CsvRows { out, sender, send_timeout });
    let file = name.to_string();
    tokio::spawn(
        async move {
            let outcome = tokio::select! {
                outcome = export => outcome,
                // The client left: drop the cursor now rather than at its next chunk.
                () = watch.closed() => return,
            };
            // The export's connection is released (the producer is done): make room for the
            // next one before the body ends, so a client's next export never finds it taken.
            drop(permit);
            let last = match outcome {
                Ok(()) => Piece::End,
                Err(_) if watch.is_closed() => return,
                Err(error @ AppError::Transport(_)) => {
                    tracing::warn!(%error, file, "CSV export given up");
                    Piece::Failed(error)
                }
                Err(error) => {
                    tracing::error!(%error, file, "CSV export failed");
                    Piece::Failed(error)
                }
            };
            // Nobody is left to tell if this fails; a client that stopped reading is not waited for.
            let _ = tokio::time::timeout(send_timeout, watch.send(last)).await;
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

use crate::db::ExportTx;

/// An export as a feature's use case answers it, authorised and its query validated: who asked,
/// the file's name, its header and the producer that writes its rows from the export's
/// transaction. The handler only turns it into the streamed response ([`CsvExport::respond`]).
pub struct CsvExport {
    pool: PgPool,
    gate: Arc<ExportGate>,
    user: Uuid,
    name: String,
    header: std::borrow::Cow<'static, [&'static str]>,
    produce: Box<dyn FnOnce(CsvRows, ExportTx) -> Produced + Send>,
}

impl CsvExport {
    pub fn new<F, Fut>(
        state: &crate::state::AppState,
        user: Uuid,
        name: String,
        header: impl Into<std::borrow::Cow<'static, [&'static str]>>,
        produce: F,
    ) -> Self
    where
        F: FnOnce(CsvRows, ExportTx) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), AppError>> + Send + 'static,
    {
        CsvExport {
            pool: state.pool.clone(),
            gate: state.exports.clone(),
            user,
            name,
            header: header.into(),
            produce: Box::new(move |rows, tx| Box::pin(produce(rows, tx))),
        }
    }

    /// The streamed CSV response (see [`csv_stream`]), once the [`ExportGate`] admits it.
    pub async fn respond(self) -> Result<Response, AppError> {
        let permit = self.gate.admit(self.user)?;
        let (pool, produce) = (self.pool, self.produce);
        csv_stream(&self.name, &self.header, permit, SEND_TIMEOUT, move |rows| async move {
            let mut tx = crate::db::begin_export(&pool).await?;
            let cancel = CancelOnDrop::arm(&pool, &mut tx).await?;
            let outcome = produce(rows, tx).await;
            // Done, or the query itself failed: its statement has ended, nothing to cancel. A
            // client that stopped reading (a transport error) leaves the guard armed, so the
            // statement still running is cancelled.
            if !matches!(outcome, Err(AppError::Transport(_))) {
                cancel.disarm();
            }
            outcome
        })
        .await
    }
}

/// Cancels an export's statement in PostgreSQL if the export is dropped before its query ends.
/// The export's transaction names its connection with a tag of its own (`set_config(…, true)` is
/// `SET LOCAL`), and the cancel reaches the backend only while it still carries that tag: once the
/// export's connection is closed (an export dropped is never returned to the pool,
/// [`crate::db::ExportTx`]) its backend is gone, and a new backend that happens to reuse the pid
/// carries no such tag, so the cancel matches nothing.
pub(crate) struct CancelOnDrop {
    armed: Option<(PgPool, i32, String)>,
}

impl CancelOnDrop {
    pub(crate) async fn arm(pool: &PgPool, tx: &mut ExportTx) -> Result<CancelOnDrop, AppError> {
        let tag = format!("settlepaisa export {}", Uuid::new_v4());
        let backend = sqlx::query!(
            r#"SELECT pg_backend_pid() AS "pid!", set_config('application_name', $1, true) AS "tag!""#,
            tag
        )
        .fetch_one(&mut **tx)
        .await?;
        Ok(CancelOnDrop { armed: Some((pool.clone(), backend.pid, backend.tag)) })
    }

    /// The query ended: nothing to cancel.
    pub(crate) fn disarm(mut self) {
        self.armed = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some((pool, pid, tag)) = self.armed.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        runtime.spawn(async move {
            let cancelled = sqlx::query_scalar!(
                r#"SELECT pg_cancel_backend(pid) AS "cancelled!" FROM pg_stat_activity WHERE pid = $1 AND application_name = $2"#,
                pid,
                tag
            )
            .fetch_optional(&pool)
            .await;
            match cancelled {
                Ok(Some(true)) => tracing::info!(pid, "an abandoned CSV export's query was cancelled"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, pid, "an abandoned CSV export's query could not be cancelled"),
            }
        });
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
    if needs_quote_prefix(cell.as_bytes()) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// [`neutralise_formula`] on a cell's bytes, without a copy of the cells that need no prefix (almost
/// all of them): the bytes the CSV writer takes.
fn neutralised(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if needs_quote_prefix(cell) {
        let mut quoted = Vec::with_capacity(cell.len() + 1);
        quoted.push(b'\'');
        quoted.extend_from_slice(cell);
        std::borrow::Cow::Owned(quoted)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A cell a spreadsheet would evaluate: it starts with `=`, `+`, `-`, `@`, tab or CR and is not a
/// plain number (`-?digits(.digits)?`, which a spreadsheet reads as a number, never a formula).
fn needs_quote_prefix(cell: &[u8]) -> bool {
    matches!(cell.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) && !is_plain_number(cell)
}

/// `-?digits(.digits)?`, nothing else.
fn is_plain_number(cell: &[u8]) -> bool {
    let unsigned = cell.strip_prefix(b"-").unwrap_or(cell);
    let (whole, fraction) = match unsigned.iter().position(|&b| b == b'.') {
        Some(point) => (&unsigned[..point], &unsigned[point + 1..]),
        None => (unsigned, &b"0"[..]),
    };
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    digits(whole) && digits(fraction)
}

/// A CSV writer's error (writing into memory: none is expected), logged.
fn csv_error(error: ::csv::Error) -> AppError {
    tracing::error!(%error, "CSV export: a row could not be written");
    AppError::Internal
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

    /// A place for one export, from a gate of its own.
    fn permit() -> ExportPermit {
        ExportGate::new(20).admit(Uuid::new_v4()).expect("an empty gate admits")
    }

    /// The body's data frames, and the error that ended it if one did.
    async fn frames(response: Response) -> (Vec<Bytes>, Option<String>) {
        frames_of(response.into_body()).await
    }

    async fn frames_of(mut body: Body) -> (Vec<Bytes>, Option<String>) {
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
        let response =
            csv_stream("x.csv", &["n", "text"], permit(), SEND_TIMEOUT, |out| out.write_all(rows, row)).await.unwrap();
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
        let answer = csv_stream("x.csv", &["n", "text"], permit(), SEND_TIMEOUT, |out| out.write_all(rows, row)).await;
        assert_eq!(answer.err(), Some(AppError::Unavailable));
    }

    #[tokio::test]
    async fn a_failure_after_the_first_chunk_aborts_the_body() {
        let rows = stream::iter((0..3_000).map(Ok).chain([Err(AppError::Internal)]));
        let response =
            csv_stream("x.csv", &["n", "text"], permit(), SEND_TIMEOUT, |out| out.write_all(rows, row)).await.unwrap();
        let (frames, error) = frames(response).await;
        assert!(!frames.is_empty());
        assert_eq!(error, Some(AppError::Internal.to_string()), "the download fails, never looks complete");
    }

    #[tokio::test]
    async fn a_panicking_export_never_looks_complete() {
        let rows = stream::iter((0..3_000).map(|n| if n < 2_000 { Ok::<_, AppError>(n) } else { panic!("bug") }));
        let response =
            csv_stream("x.csv", &["n", "text"], permit(), SEND_TIMEOUT, |out| out.write_all(rows, row)).await.unwrap();
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
        let response =
            csv_stream("x.csv", &["n", "text"], permit(), SEND_TIMEOUT, |out| out.write_all(rows, row)).await.unwrap();
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
    fn a_third_export_of_one_user_is_refused_until_one_ends() {
        let gate = ExportGate::new(20);
        let (analyst, other) = (Uuid::new_v4(), Uuid::new_v4());
        let first = gate.admit(analyst).unwrap();
        let _second = gate.admit(analyst).unwrap();
        let third = gate.admit(analyst).err().expect("a third export at once is refused");
        assert_eq!(third.status_code(), 429);
        assert!(third.to_string().contains("2 downloads running"), "{third}");
        assert!(gate.admit(other).is_ok(), "another user is not held up");
        drop(first);
        assert!(gate.admit(analyst).is_ok(), "an export that ended gives its place back");
    }

    #[test]
    fn exports_take_at_most_a_quarter_of_the_pool() {
        let gate = ExportGate::new(8);
        let _held: Vec<_> = (0..2).map(|_| gate.admit(Uuid::new_v4()).unwrap()).collect();
        let refused = gate.admit(Uuid::new_v4()).err().expect("a third export on a pool of 8 is refused");
        assert_eq!(refused.status_code(), 429);
        assert!(refused.to_string().contains("busy with other downloads"), "{refused}");
        let tiny = ExportGate::new(2);
        let _only = tiny.admit(Uuid::new_v4()).expect("a small pool still allows one export");
        assert!(tiny.admit(Uuid::new_v4()).is_err());
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_loses_its_export_and_its_place() {
        let gate = ExportGate::new(20);
        let analyst = Uuid::new_v4();
        let _other = gate.admit(analyst).unwrap();
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = pulled.clone();
        let rows = stream::iter(0..).map(move |n| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, AppError>(n)
        });
        let send_timeout = std::time::Duration::from_millis(100);
        let stalled = gate.admit(analyst).unwrap();
        let response =
            csv_stream("x.csv", &["n", "text"], stalled, send_timeout, |out| out.write_all(rows, row)).await.unwrap();
        let mut body = response.into_body();
        body.frame().await.expect("a first chunk").expect("data");
        assert!(gate.admit(analyst).is_err(), "two exports of the user are running");
        // The client holds the body but reads nothing more.
        tokio::time::sleep(send_timeout * 4).await;
        let stopped = pulled.load(Ordering::SeqCst);
        tokio::time::sleep(send_timeout * 2).await;
        assert_eq!(pulled.load(Ordering::SeqCst), stopped, "the cursor was given up");
        assert!(gate.admit(analyst).is_ok(), "the stalled export's place was given back");
        let (_, error) = frames_of(body).await;
        assert!(error.is_some(), "the download fails, never looks complete");
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
