//! Uploads into the database: a parsed file's rows become transactions or bank statement lines,
//! in one transaction. Idempotent twice over: the same file (by SHA-256) changes nothing and says
//! so; a row whose natural key is known is updated (PG rows still pending; in exception, their UTR
//! and RRN only) or left alone (bank lines, which a statement never changes), never duplicated. A
//! bank line whose key is on file with other details is refused with a row error naming the line
//! kept (`ingest::clash_error`); one with
//! the same details is skipped and counted: none is dropped in silence. Rows are streamed with
//! `COPY` into a staging table and moved with one `INSERT … ON CONFLICT`, never one round trip per
//! row. The file is kept in the object store under a generated name, as received except for
//! customers' personal-data columns, which are blanked (a workbook holding them is replaced by a
//! note: [`redact_kept`]). A merchant code the product does not know becomes a merchant flagged unknown,
//! under the merchant-code lock (`domain::MERCHANT_CODES_LOCK`), so its rows are accepted.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{Stream, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, QueryBuilder};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::ingest::{self, AmountUnit, BankMapping, Format, Kind, ReadOptions, Record, RowError};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::domain::{invalid_merchant_code, valid_merchant_code};
use crate::error::AppError;
use crate::ist;
use crate::money::Paise;

const CHUNK: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub file_id: Uuid,
    pub format: Option<String>,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    /// Rows well formed but not money to reconcile (a failed payment), by reason.
    pub rows_skipped: i64,
    pub skipped: Vec<SkipCount>,
    /// Merchant codes the product did not know: their rows were accepted, flagged, and are kept
    /// out of settlement until an admin creates or maps the merchant.
    pub unknown_merchants: Vec<UnknownMerchant>,
    /// The unit the amounts were read in (`rupees` | `paise`).
    pub amount_unit: Option<String>,
    pub duplicate: bool,
    pub errors: Vec<RowError>,
    /// The file's SHA-256 (hex), by which it is known.
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkipCount {
    pub reason: String,
    pub rows: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnknownMerchant {
    pub code: String,
    pub rows: i64,
}

/// What a merchant code in a file is: a merchant (by its own code or an alias), one flagged
/// unknown (a code seen before, or a new one a file may bring), or not a code at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerchantCode {
    Known(String),
    Unknown(String),
    Invalid,
}

/// Every merchant code and alias, for resolving a file's codes without a query per row.
#[derive(Clone, Debug, Default)]
pub struct MerchantDirectory {
    /// code → (merchant id, still unknown)
    codes: HashMap<String, (String, bool)>,
}

impl MerchantDirectory {
    pub async fn load(db: impl sqlx::PgExecutor<'_> + Copy) -> Result<Self, AppError> {
        let mut codes = HashMap::new();
        for m in
            sqlx::query!(r#"SELECT id, unknown_since IS NOT NULL AS "unknown!" FROM merchants"#).fetch_all(db).await?
        {
            codes.insert(m.id.clone(), (m.id, m.unknown));
        }
        for a in sqlx::query!("SELECT alias, merchant_id FROM merchant_aliases").fetch_all(db).await? {
            codes.insert(a.alias, (a.merchant_id, false));
        }
        Ok(MerchantDirectory { codes })
    }

    /// The merchant an upload form names (for a file without a merchant column): one the product
    /// knows, by its code or an alias — a typo must not send a file's money to a new code.
    pub fn form_merchant(&self, text: &str) -> Result<String, AppError> {
        let code = text.trim().to_ascii_uppercase();
        match self.resolve(&code) {
            MerchantCode::Known(id) => Ok(id),
            MerchantCode::Unknown(_) => Err(AppError::BadRequest(format!(
                "merchantId: {code} is not a merchant the product knows; choose a known merchant (a code files \
                 brought is created or mapped first, under Settlements → Merchants)."
            ))),
            MerchantCode::Invalid => {
                Err(AppError::BadRequest(format!("merchantId: {}.", invalid_merchant_code(&code))))
            }
        }
    }

    /// `code` as a file wrote it (upper-cased by the reader).
    pub fn resolve(&self, code: &str) -> MerchantCode {
        match self.codes.get(code) {
            Some((id, false)) => MerchantCode::Known(id.clone()),
            Some((id, true)) => MerchantCode::Unknown(id.clone()),
            None if valid_merchant_code(code) => MerchantCode::Unknown(code.to_string()),
            None => MerchantCode::Invalid,
        }
    }
}

/// The active stored bank layouts, for detection and for a user to name.
pub async fn mappings(pool: &PgPool) -> Result<Vec<BankMapping>, AppError> {
    Ok(stored_layouts(pool, true).await?.into_iter().map(|l| l.mapping).collect())
}

/// A stored bank layout with what the admin's list shows beside it.
#[derive(Clone, Debug)]
pub struct StoredLayout {
    pub id: Uuid,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
    /// Who changed it last (e-mail); `None` as shipped.
    pub updated_by: Option<String>,
    pub mapping: BankMapping,
}

/// The stored bank layouts (`only_active`: the ones detection tries), by bank and name.
pub async fn stored_layouts(db: impl sqlx::PgExecutor<'_>, only_active: bool) -> Result<Vec<StoredLayout>, AppError> {
    struct Row {
        id: Uuid,
        is_active: bool,
        updated_at: DateTime<Utc>,
        updated_by: Option<String>,
        bank_code: String,
        layout_name: String,
        file_type: String,
        delimiter: String,
        header_row: i16,
        date_format: String,
        reference_column: String,
        gross_amount_column: String,
        net_amount_column: Option<String>,
        txn_date_column: String,
        value_date_column: Option<String>,
        utr_column: Option<String>,
        rrn_column: Option<String>,
        direction_column: Option<String>,
        remarks_column: Option<String>,
        status_column: Option<String>,
        bank_name_column: Option<String>,
        charges_columns: Option<String>,
        amounts_in: String,
    }
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT m.id, m.is_active, m.updated_at AS "updated_at: DateTime<Utc>", u.email AS "updated_by?",
                m.bank_code, m.layout_name, m.file_type, m.delimiter, m.header_row, m.date_format, m.reference_column,
                m.gross_amount_column, m.net_amount_column, m.txn_date_column, m.value_date_column, m.utr_column,
                m.rrn_column, m.direction_column, m.remarks_column, m.status_column, m.bank_name_column,
                m.charges_columns, m.amounts_in
         FROM bank_column_mappings m LEFT JOIN users u ON u.id = m.updated_by
         WHERE m.is_active OR NOT $1 ORDER BY m.bank_code, m.layout_name"#,
        only_active,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredLayout {
            id: r.id,
            active: r.is_active,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            mapping: BankMapping {
                bank_code: r.bank_code,
                layout_name: r.layout_name,
                file_type: r.file_type,
                delimiter: r.delimiter.as_bytes().first().copied().unwrap_or(b','),
                header_row: r.header_row.max(1) as usize,
                date_format: r.date_format,
                reference_column: r.reference_column,
                gross_amount_column: r.gross_amount_column,
                net_amount_column: r.net_amount_column,
                txn_date_column: r.txn_date_column,
                value_date_column: r.value_date_column,
                utr_column: r.utr_column,
                rrn_column: r.rrn_column,
                direction_column: r.direction_column,
                remarks_column: r.remarks_column,
                status_column: r.status_column,
                bank_name_column: r.bank_name_column,
                charges_columns: r.charges_columns,
                amounts_in_paise: r.amounts_in == "paise",
            },
        })
        .collect())
}

/// A format a user names instead of detection: a built-in one by its code (`pg_simple`, `pg_v1`,
/// `pg_v2`, `pg_v2_captured`, `pg_orders`, `pg_export`, `pg_payments`, `bank_simple`, `bank_v1`),
/// or a stored layout's name.
pub fn named_format(name: &str, mappings: &[BankMapping]) -> Result<Format, AppError> {
    if let Some(format) = Format::built_in(name.trim()) {
        return Ok(format);
    }
    let name = name.trim();
    let layout = mappings
        .iter()
        .find(|m| m.layout_name.eq_ignore_ascii_case(name))
        .ok_or_else(|| AppError::BadRequest(format!("No format or bank layout is called {name:?}.")))?;
    Ok(Format::Mapping(Box::new(layout.clone())))
}

pub struct Upload<'a> {
    pub kind: Kind,
    pub cycle_date: NaiveDate,
    pub file_name: &'a str,
    pub format: Option<&'a str>,
    /// The merchant of every row, for a layout without a merchant column.
    pub merchant: Option<&'a str>,
    /// The unit of an amount column whose name does not say it, instead of the layout's.
    pub unit: Option<AmountUnit>,
    /// Keep `unit` on the stored bank layout the file is read by, in the upload's transaction (the
    /// caller has checked that the uploader is an admin).
    pub save_unit: bool,
    /// The signed-in user who sent the file; `None` for a connector or the system.
    pub uploaded_by: Option<&'a CurrentUser>,
    /// Most data rows the file may have.
    pub max_rows: u64,
    /// What a workbook may inflate to ([`ingest::XlsxLimits::for_upload`] of the upload limit).
    pub xlsx: ingest::XlsxLimits,
    /// The instant by the application's clock (payout verifications found in a statement carry it).
    pub now: chrono::DateTime<chrono::Utc>,
    /// Where the file came from: `upload` (a person) or `connector`.
    pub source: &'a str,
    /// The SHA-256 (hex) the file must have (a connector's checksum sidecar): a file that differs
    /// is refused whole and nothing of it is kept.
    pub expected_sha256: Option<&'a str>,
}

/// The bytes of an upload as they arrive: a request body read chunk by chunk, or a whole file.
pub trait Body {
    /// The next chunk, `None` at the end.
    fn next_chunk(&mut self) -> impl std::future::Future<Output = Result<Option<Bytes>, AppError>> + Send;
}

/// A file already in memory.
pub struct Whole(pub Option<Bytes>);

impl Body for Whole {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        Ok(self.0.take())
    }
}

/// The blocking parser's view of the chunks the request delivers, hashing what it reads.
struct ChunkReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
    sha256: Sha256,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => {
                    self.sha256.update(&chunk);
                    self.current = chunk;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// What the rows of a file are written with.
struct FileToRows {
    kind: Kind,
    cycle_date: NaiveDate,
    file_id: Uuid,
    merchants: MerchantDirectory,
    options: ReadOptions,
    max_rows: u64,
    xlsx: ingest::XlsxLimits,
}

/// What the parser thread found.
struct ParseOutcome {
    streamed: Result<ingest::Streamed, String>,
    accepted: usize,
    errors: Vec<RowError>,
    /// reason → rows
    skipped: BTreeMap<String, i64>,
    /// merchant code not known → rows
    unknown: BTreeMap<String, i64>,
    sha256: String,
}

const COPY_PG: &str = "COPY staging_transactions (txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at,
    cycle_date, payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise, expected_settlement_paise,
    source_file_id) FROM STDIN (FORMAT csv)";
const COPY_BANK: &str = "COPY staging_bank_lines (natural_key, bank_ref, bank_name, amount_paise, net_paise, direction,
    txn_date, value_date, utr, rrn, remarks, cycle_date, source_file_id, line) FROM STDIN (FORMAT csv)";

/// The most refused rows one upload may have. Their errors are kept until the upload is stored
/// (each cut to [`ERROR_TEXT_CHARS`]), so this bounds that memory whatever the file: a file with
/// more refused rows is refused whole (it is the wrong file or the wrong layout, not a few bad rows).
pub const MAX_ROW_ERRORS: usize = 100_000;
/// The longest column name or message a row error keeps (a header cell or a quoted value may be
/// long; a sentence about a row is not).
const ERROR_TEXT_CHARS: usize = 300;

fn too_many_refused() -> String {
    format!(
        "More than {MAX_ROW_ERRORS} rows of the file are refused: check that it is the right file and format \
         (and, for a bank statement, that its lines are not on file already with other details)."
    )
}

/// Why a file with no row to store is refused whole: every row skipped (with the reasons), or the
/// first problem.
fn nothing_accepted(rows_total: u64, errors: &[RowError], skipped: &[SkipCount]) -> String {
    if errors.is_empty() && !skipped.is_empty() {
        let reasons: Vec<String> = skipped.iter().map(|s| format!("{} ({} rows)", s.reason, s.rows)).collect();
        return format!("Every row of the file is skipped, so there is nothing to reconcile: {}.", reasons.join("; "));
    }
    ingest::none_accepted(rows_total, errors.first())
}

/// The skip reasons of a bank line whose details are on file already.
const ALREADY_ON_FILE: &str = "already on file from another upload";
const REPEATED_IN_FILE: &str = "repeats an earlier line of the file";
/// The skip reasons of a PG row the upsert does not write: an earlier row of the file with a
/// transaction id a later row repeats (the later row is taken), and a transaction already
/// reconciled (it may be settled: a file never changes it).
const REPEATED_TXN_IN_FILE: &str = "replaced by a later row of the file with its transaction id";
const RECONCILED_ALREADY: &str = "already reconciled (kept as it is)";

/// Add the rows skipped for each reason (none for a reason with no rows) to a file's skips.
fn count_skipped(skipped: &mut Vec<SkipCount>, rows_skipped: &mut i64, counts: [(&str, i64); 2]) {
    for (reason, rows) in counts {
        if rows > 0 {
            skipped.push(SkipCount { reason: reason.to_string(), rows });
            *rows_skipped += rows;
        }
    }
}

fn cut(text: String) -> String {
    match text.char_indices().nth(ERROR_TEXT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// Read the file on a blocking thread: each good row is written as `COPY` text and handed on a
/// megabyte at a time, refused rows (and rows of unknown merchants) are kept as row errors (at most
/// [`MAX_ROW_ERRORS`], each cut short).
fn parse_rows(
    reader: &mut ChunkReader,
    file: &FileToRows,
    format: Option<Format>,
    layouts: &[BankMapping],
    out: &mpsc::Sender<Vec<u8>>,
) -> ParseOutcome {
    let FileToRows { kind, cycle_date, file_id, merchants, options, max_rows, xlsx } = file;
    let (kind, cycle_date, file_id, max_rows) = (*kind, *cycle_date, *file_id, *max_rows);
    let mut rows = crate::db::CopyRows::new();
    let mut errors = Vec::new();
    let mut skipped = BTreeMap::<String, i64>::new();
    let mut unknown = BTreeMap::<String, i64>::new();
    let mut accepted = 0usize;
    let mut seen = 0u64;
    let mut too_many = false;
    let mut too_many_errors = false;
    let streamed = ingest::parse_stream(&mut *reader, kind, format, layouts, options, xlsx, |row| {
        seen += 1;
        if seen > max_rows {
            too_many = true;
            return ControlFlow::Break(());
        }
        if errors.len() == MAX_ROW_ERRORS {
            too_many_errors = true;
            return ControlFlow::Break(());
        }
        let mut refuse =
            |e: RowError| errors.push(RowError { line: e.line, column: e.column.map(cut), message: cut(e.message) });
        match row {
            Ok(Record::Skipped(s)) => *skipped.entry(s.reason).or_default() += 1,
            Ok(Record::Pg(r)) => {
                let merchant = match merchants.resolve(&r.merchant_id) {
                    MerchantCode::Known(id) => id,
                    MerchantCode::Unknown(id) => {
                        *unknown.entry(id.clone()).or_default() += 1;
                        id
                    }
                    MerchantCode::Invalid => {
                        refuse(RowError {
                            line: r.line,
                            column: Some("merchant".into()),
                            message: invalid_merchant_code(&r.merchant_id),
                        });
                        return ControlFlow::Continue(());
                    }
                };
                accepted += 1;
                rows.text(Some(&r.txn_id))
                    .text(Some(&merchant))
                    .paise(Some(r.amount))
                    .paise(r.gross)
                    .text(Some(&r.currency))
                    .show(Some(ist::at(r.txn_at.date(), r.txn_at.time()).to_rfc3339()))
                    .show(Some(cycle_date))
                    .text(Some(r.payment_method))
                    .text(r.bank.as_deref())
                    .text(r.utr.as_deref())
                    .text(r.rrn.as_deref())
                    .text(Some(&r.status))
                    .paise(r.bank_fee)
                    .paise(r.expected_settlement)
                    .show(Some(file_id))
                    .end();
            }
            Ok(Record::Bank(r)) => {
                accepted += 1;
                rows.text(Some(&r.natural_key))
                    .text(r.bank_ref.as_deref())
                    .text(Some(&r.bank_name))
                    .paise(Some(r.amount))
                    .paise(r.net)
                    .text(Some(if r.credit { "CREDIT" } else { "DEBIT" }))
                    .show(Some(r.txn_date))
                    .show(r.value_date)
                    .text(r.utr.as_deref())
                    .text(r.rrn.as_deref())
                    .text(r.remarks.as_deref())
                    .show(Some(cycle_date))
                    .show(Some(file_id))
                    .show(Some(r.line))
                    .end();
            }
            Err(e) => refuse(e),
        }
        if rows.len() >= 1 << 20 && out.blocking_send(rows.take()).is_err() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    if !rows.is_empty() && !too_many && !too_many_errors {
        let _ = out.blocking_send(rows.take());
    }
    let streamed = match streamed {
        Ok(_) if too_many => Err(format!(
            "The file has more than {max_rows} data rows, the most one upload may have (UPLOAD_MAX_ROWS); split it."
        )),
        Ok(_) if too_many_errors => Err(too_many_refused()),
        other => other,
    };
    // The hash covers the whole file even when reading stopped early.
    let _ = std::io::copy(reader, &mut std::io::sink());
    let sha256 = hex::encode(std::mem::take(&mut reader.sha256).finalize());
    ParseOutcome { streamed, accepted, errors, skipped, unknown, sha256 }
}

/// Every staged bank line whose key is on file after this upload's insert (all of them), beside the
/// line on file: `same` when their details agree (the list and order of `ingest::LineDetails`),
/// `this_file` when the line on file is this upload's, `first_same` the first line of this file
/// with the details on file. `$1` is the upload's file id. The counts do not depend on which line of
/// a key the insert stored; of two lines with other details, it stored the first in the staging
/// table's order, which is file order (one `COPY` into a temporary table, read back by one scan).
const STAGED_BESIDE_STORED: &str = "
    SELECT j.*, min(j.line) FILTER (WHERE j.same) OVER (PARTITION BY j.natural_key) AS first_same
    FROM (
        SELECT s.line, s.natural_key, s.bank_name, s.bank_ref, s.amount_paise, s.net_paise, s.direction, s.txn_date,
               s.value_date, s.utr, s.rrn,
               b.bank_name AS kept_bank_name, b.bank_ref AS kept_bank_ref, b.amount_paise AS kept_amount_paise,
               b.net_paise AS kept_net_paise, b.direction AS kept_direction, b.txn_date AS kept_txn_date,
               b.value_date AS kept_value_date, b.utr AS kept_utr, b.rrn AS kept_rrn, b.cycle_date AS kept_cycle_date,
               b.source_file_id AS kept_file_id, coalesce(b.source_file_id = $1, false) AS this_file,
               (s.bank_name, s.bank_ref, s.amount_paise, s.net_paise, s.direction, s.txn_date, s.value_date, s.utr, s.rrn)
                   IS NOT DISTINCT FROM
               (b.bank_name, b.bank_ref, b.amount_paise, b.net_paise, b.direction, b.txn_date, b.value_date, b.utr, b.rrn)
                   AS same
        FROM staging_bank_lines s JOIN bank_statement_lines b ON b.natural_key = s.natural_key
    ) j";

/// A staged bank line whose key is on file with other details, beside the line on file.
#[derive(sqlx::FromRow)]
struct ClashRow {
    line: i64,
    bank_name: String,
    bank_ref: Option<String>,
    amount_paise: i64,
    net_paise: Option<i64>,
    direction: String,
    txn_date: NaiveDate,
    value_date: Option<NaiveDate>,
    utr: Option<String>,
    rrn: Option<String>,
    kept_bank_name: String,
    kept_bank_ref: Option<String>,
    kept_amount_paise: i64,
    kept_net_paise: Option<i64>,
    kept_direction: String,
    kept_txn_date: NaiveDate,
    kept_value_date: Option<NaiveDate>,
    kept_utr: Option<String>,
    kept_rrn: Option<String>,
    kept_cycle_date: NaiveDate,
    kept_file_name: Option<String>,
    this_file: bool,
    first_same: Option<i64>,
}

impl ClashRow {
    fn into_clash(self) -> ingest::Clash {
        let credit = |direction: &str| direction == "CREDIT";
        ingest::Clash {
            line: self.line as u64,
            here: ingest::LineDetails {
                bank_name: self.bank_name,
                bank_ref: self.bank_ref,
                amount: Paise(self.amount_paise),
                net: self.net_paise.map(Paise),
                credit: credit(&self.direction),
                txn_date: self.txn_date,
                value_date: self.value_date,
                utr: self.utr,
                rrn: self.rrn,
            },
            kept_details: ingest::LineDetails {
                bank_name: self.kept_bank_name,
                bank_ref: self.kept_bank_ref,
                amount: Paise(self.kept_amount_paise),
                net: self.kept_net_paise.map(Paise),
                credit: credit(&self.kept_direction),
                txn_date: self.kept_txn_date,
                value_date: self.kept_value_date,
                utr: self.kept_utr,
                rrn: self.kept_rrn,
            },
            kept: match (self.this_file, self.first_same) {
                (true, Some(line)) => ingest::Kept::ThisFile { line: line as u64 },
                _ => ingest::Kept::OnFile { file_name: self.kept_file_name, cycle_date: self.kept_cycle_date },
            },
        }
    }
}

/// What became of the staged bank lines this upload did not store.
struct BankLineOutcomes {
    /// Lines whose key is on file with other details, as row errors (each cut short), in file
    /// order: at most `room + 1`.
    clashes: Vec<RowError>,
    /// Lines with the details of an earlier line of the file.
    repeats: i64,
    /// Lines with the details of a line another upload stored.
    already_on_file: i64,
}

/// Sort out the staged bank lines of upload `file_id` that its insert did not store (called only
/// when there are some). The clashes are read as a stream, so at most `room + 1` row errors are
/// ever held (more than `room` refuses the upload). Both queries see the same lines: a key is on
/// file for every staged line once the insert is done, and a stored line is never changed or
/// deleted. Runtime queries: the staging table is this transaction's temporary table.
async fn bank_line_outcomes(
    tx: &mut sqlx::PgConnection,
    file_id: Uuid,
    room: usize,
) -> Result<BankLineOutcomes, AppError> {
    let (clashes, repeats, already_on_file): (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*) FILTER (WHERE NOT same), count(*) FILTER (WHERE same AND this_file AND line > first_same),
                count(*) FILTER (WHERE same AND NOT this_file)
         FROM ({STAGED_BESIDE_STORED}) c"
    ))
    .bind(file_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut errors = Vec::new();
    if clashes > 0 {
        let query = format!(
            "SELECT c.*, f.original_name AS kept_file_name
             FROM ({STAGED_BESIDE_STORED}) c LEFT JOIN uploaded_files f ON f.id = c.kept_file_id
             WHERE NOT c.same ORDER BY c.line LIMIT $2"
        );
        let mut rows = sqlx::query_as::<_, ClashRow>(&query).bind(file_id).bind(room as i64 + 1).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let e = ingest::clash_error(&row.into_clash());
            errors.push(RowError { line: e.line, column: e.column.map(cut), message: cut(e.message) });
        }
    }
    Ok(BankLineOutcomes { clashes: errors, repeats, already_on_file })
}

/// The report for a file stored before (by SHA-256).
async fn known_file(pool: &PgPool, kind_code: &str, sha256: &str) -> Result<Option<UploadReport>, AppError> {
    let known = sqlx::query!(
        r#"SELECT id, detected_format, rows_accepted, rows_rejected, rows_skipped, skipped AS "skipped: sqlx::types::Json<Vec<SkipCount>>",
                  unknown_merchants AS "unknown_merchants: sqlx::types::Json<Vec<UnknownMerchant>>"
           FROM uploaded_files WHERE kind = $1 AND sha256 = $2"#,
        kind_code,
        sha256,
    )
    .fetch_optional(pool)
    .await?;
    Ok(known.map(|known| UploadReport {
        file_id: known.id,
        format: known.detected_format,
        rows_accepted: known.rows_accepted.into(),
        rows_rejected: known.rows_rejected.into(),
        rows_skipped: known.rows_skipped.into(),
        skipped: known.skipped.0,
        unknown_merchants: known.unknown_merchants.0,
        amount_unit: None,
        duplicate: true,
        errors: Vec::new(),
        sha256: sha256.to_string(),
    }))
}

/// Store one file as it arrives: parse it row by row on a blocking thread while its rows stream
/// into a staging table with `COPY` and its bytes into the object store; then, in the same
/// transaction, record the file, upsert the rows by natural key and keep the row errors. Memory
/// stays at a few megabytes whatever the file's size (an XLSX workbook is read whole). A file
/// seen before (same SHA-256) changes nothing and is reported as the duplicate it is.
pub async fn store(
    pool: &PgPool,
    objects: Arc<dyn ObjectStore>,
    upload: Upload<'_>,
    mut body: impl Body,
) -> Result<UploadReport, AppError> {
    let kind_code = match upload.kind {
        Kind::Pg => "pg",
        Kind::Bank => "bank",
    };
    let layouts = mappings(pool).await?;
    let format = upload.format.filter(|f| !f.trim().is_empty()).map(|f| named_format(f, &layouts)).transpose()?;
    let merchants = MerchantDirectory::load(pool).await?;
    // The form's merchant (a file without a merchant column): one the product knows.
    let merchant = upload.merchant.map(|m| merchants.form_merchant(m)).transpose()?;
    let options = ReadOptions { merchant, unit: upload.unit, cycle_date: Some(upload.cycle_date) };
    let file_id = Uuid::new_v4();
    let storage_key = ObjectPath::from(format!("uploads/{kind_code}/{file_id}"));

    let mut tx = pool.begin().await?;
    let copy_statement = match upload.kind {
        Kind::Pg => {
            sqlx::query!(
                "CREATE TEMP TABLE staging_transactions (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            .execute(&mut *tx)
            .await?;
            COPY_PG
        }
        Kind::Bank => {
            sqlx::query!(
                "CREATE TEMP TABLE staging_bank_lines (LIKE bank_statement_lines INCLUDING DEFAULTS, line BIGINT NOT NULL)
                 ON COMMIT DROP"
            )
            .execute(&mut *tx)
            .await?;
            COPY_BANK
        }
    };
    // The COPY lasts as long as the client takes to send the file; the upsert of a million rows
    // takes seconds more: both outlast the per-statement limit meant for page queries.
    crate::db::lift_statement_timeout(&mut tx).await?;

    // Three things at once: the request's chunks go to the object store and to the parser; the
    // parser's COPY text goes to Postgres.
    let (chunk_tx, chunk_rx) = mpsc::channel::<Bytes>(16);
    let (copy_tx, mut copy_rx) = mpsc::channel::<Vec<u8>>(4);
    let file = FileToRows {
        kind: upload.kind,
        cycle_date: upload.cycle_date,
        file_id,
        merchants,
        options,
        max_rows: upload.max_rows,
        xlsx: upload.xlsx,
    };
    let parser = tokio::task::spawn_blocking(move || {
        let mut reader = ChunkReader { chunks: chunk_rx, current: Bytes::new(), sha256: Sha256::new() };
        parse_rows(&mut reader, &file, format, &layouts, &copy_tx)
    });
    let mut kept = BufWriter::new(objects.clone(), storage_key.clone());
    let mut size = 0usize;
    let pump = async {
        while let Some(chunk) = body.next_chunk().await? {
            size += chunk.len();
            kept.put(chunk.clone()).await.map_err(store_failed)?;
            if chunk_tx.send(chunk).await.is_err() {
                break;
            }
        }
        drop(chunk_tx);
        Ok::<_, AppError>(())
    };
    let mut copy = tx.copy_in_raw(copy_statement).await?;
    let feed = async {
        while let Some(data) = copy_rx.recv().await {
            if let Err(e) = copy.send(data).await {
                // The database is gone: close the channel so the parser's next send fails and it
                // stops sending (it reads the rest of the body for its checksum, so the pump ends
                // too); else all three wait on each other for ever.
                copy_rx.close();
                return Err(e);
            }
        }
        Ok::<_, sqlx::Error>(())
    };
    let started = std::time::Instant::now();
    let (pumped, fed) = tokio::join!(pump, feed);
    let parsed = parser.await.map_err(|_| AppError::Internal)?;
    let abort = |mut kept: BufWriter| async move {
        let _ = kept.abort().await;
    };
    if let Err(e) = pumped.and_then(|()| fed.map_err(AppError::from)) {
        let _ = copy.abort("the upload could not be read").await;
        abort(kept).await;
        return Err(e);
    }
    if let Some(expected) = upload.expected_sha256.filter(|e| !e.eq_ignore_ascii_case(&parsed.sha256)) {
        let _ = copy.abort("the file's checksum does not match").await;
        abort(kept).await;
        return Err(AppError::BadRequest(format!(
            "{} does not match its checksum: the sidecar says {}, the file's SHA-256 is {}. Refused whole; nothing was written.",
            upload.file_name,
            expected.to_ascii_lowercase(),
            parsed.sha256
        )));
    }
    copy.finish().await?;
    let parsed_at = std::time::Instant::now();
    if let Some(report) = known_file(pool, kind_code, &parsed.sha256).await? {
        drop(tx);
        abort(kept).await;
        audit_upload(pool, &upload, &report).await?;
        return Ok(report);
    }
    let streamed = match parsed.streamed {
        Ok(s) => s,
        Err(message) => {
            abort(kept).await;
            return Err(AppError::BadRequest(message));
        }
    };
    let mut errors = parsed.errors;
    let mut skipped: Vec<SkipCount> =
        parsed.skipped.into_iter().map(|(reason, rows)| SkipCount { reason, rows }).collect();
    let mut rows_skipped: i64 = skipped.iter().map(|s| s.rows).sum();
    let unknown: Vec<UnknownMerchant> =
        parsed.unknown.into_iter().map(|(code, rows)| UnknownMerchant { code, rows }).collect();
    if parsed.accepted == 0 {
        abort(kept).await;
        return Err(AppError::BadRequest(nothing_accepted(streamed.rows_total, &errors, &skipped)));
    }
    if upload.save_unit && !matches!(streamed.format, Format::Mapping(_)) {
        abort(kept).await;
        return Err(AppError::BadRequest(format!(
            "{} is built in: only a stored bank layout keeps a unit (saveUnit).",
            streamed.format.name()
        )));
    }
    let amount_unit = streamed.format.unit_with(upload.unit).map(AmountUnit::code).unwrap_or("rupees");

    let inserted = sqlx::query!(
        "INSERT INTO uploaded_files (id, kind, cycle_date, original_name, sha256, size_bytes, storage_key, detected_format,
                                     rows_total, rows_accepted, rows_rejected, uploaded_by, rows_skipped, skipped,
                                     unknown_merchants, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (kind, sha256) DO NOTHING",
        file_id,
        kind_code,
        upload.cycle_date as NaiveDate,
        crate::files::clean_file_name(upload.file_name, "upload"),
        parsed.sha256,
        i64::try_from(size).unwrap_or(i64::MAX),
        storage_key.as_ref(),
        streamed.format.name(),
        i32::try_from(streamed.rows_total).unwrap_or(i32::MAX),
        i32::try_from(parsed.accepted).unwrap_or(i32::MAX),
        i32::try_from(errors.len()).unwrap_or(i32::MAX),
        upload.uploaded_by.map(|user| user.id),
        i32::try_from(rows_skipped).unwrap_or(i32::MAX),
        sqlx::types::Json(&skipped) as _,
        sqlx::types::Json(&unknown) as _,
        upload.source,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        // The same file was stored a moment ago by another request: report it as the duplicate.
        drop(tx);
        abort(kept).await;
        let report = known_file(pool, kind_code, &parsed.sha256).await?.ok_or(AppError::Internal)?;
        audit_upload(pool, &upload, &report).await?;
        return Ok(report);
    }
    // Codes the product does not know yet become merchants flagged unknown, so their rows are
    // accepted (a code seen before keeps its flag and its first file).
    if !unknown.is_empty() {
        let codes: Vec<&str> = unknown.iter().map(|u| u.code.as_str()).collect();
        // Under the merchant-code lock: a code an admin made an alias while the file was read is
        // refused, not made a merchant too (`domain::MERCHANT_CODES_LOCK`).
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", crate::domain::MERCHANT_CODES_LOCK).execute(&mut *tx).await?;
        let aliased =
            sqlx::query_scalar!("SELECT alias FROM merchant_aliases WHERE alias = ANY($1)", &codes as &[&str])
                .fetch_all(&mut *tx)
                .await?;
        if !aliased.is_empty() {
            abort(kept).await;
            return Err(AppError::Conflict(format!(
                "{} became an alias of a merchant while the file was read: upload it again.",
                aliased.join(", ")
            )));
        }
        sqlx::query!(
            "INSERT INTO merchants (id, name, legal_name, unknown_since, first_seen_file)
             SELECT code, code, code, $2, $3 FROM UNNEST($1::text[]) AS code
             ON CONFLICT (id) DO NOTHING",
            &codes as &[&str],
            upload.now as DateTime<Utc>,
            file_id,
        )
        .execute(&mut *tx)
        .await?;
    }
    let saved_unit = match (upload.save_unit, upload.unit, &streamed.format, upload.uploaded_by) {
        (true, Some(unit), Format::Mapping(m), Some(admin)) => {
            Some((admin, save_layout_unit(&mut tx, m, unit, admin.id).await?))
        }
        _ => None,
    };
    // The upsert sorts the file's rows by natural key: in memory, not in temporary files.
    sqlx::query!("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    // Runtime queries: the staging tables are this transaction's temporary tables, which the
    // compile-time check of the query macros cannot see.
    let stored = match upload.kind {
        // The last row of a file wins for a repeated transaction id. A known transaction is
        // corrected while it is pending; one in exception takes only its UTR and RRN (the gateway
        // sends the file again with the UTR it left out: the next run matches it), and only those
        // the file gives (a blank one never erases a reference the run matched on), never another
        // amount, which an analyst's resolution of its exception did not see; reconciled ones stay
        // as they are (they may be settled), counted as skipped below.
        Kind::Pg => sqlx::query(
            "INSERT INTO transactions (txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date,
                                       payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise,
                                       expected_settlement_paise, source_file_id)
             SELECT DISTINCT ON (txn_id) txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date,
                    payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise, expected_settlement_paise,
                    source_file_id
             FROM staging_transactions ORDER BY txn_id, ctid DESC
             ON CONFLICT (txn_id) DO UPDATE SET
                amount_paise = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.amount_paise ELSE transactions.amount_paise END,
                gross_paise = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.gross_paise ELSE transactions.gross_paise END,
                bank_fee_paise = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.bank_fee_paise
                                      ELSE transactions.bank_fee_paise END,
                expected_settlement_paise = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.expected_settlement_paise
                                                 ELSE transactions.expected_settlement_paise END,
                utr = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.utr
                           ELSE coalesce(EXCLUDED.utr, transactions.utr) END,
                rrn = CASE WHEN transactions.status = 'PENDING' THEN EXCLUDED.rrn
                           ELSE coalesce(EXCLUDED.rrn, transactions.rrn) END,
                updated_at = now()
             WHERE transactions.status IN ('PENDING', 'EXCEPTION')",
        ),
        // A statement never changes a line it gave before (a key taken already is sorted out below).
        Kind::Bank => sqlx::query(
            "INSERT INTO bank_statement_lines (natural_key, bank_ref, bank_name, amount_paise, net_paise, direction,
                                               txn_date, value_date, utr, rrn, remarks, cycle_date, source_file_id)
             SELECT natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date, value_date, utr, rrn,
                    remarks, cycle_date, source_file_id
             FROM staging_bank_lines
             ON CONFLICT (natural_key) DO NOTHING",
        ),
    }
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let mut accepted = parsed.accepted as i64;
    let mut recounted = false;
    // Fewer PG rows written than accepted: a transaction id repeated in the file (its last row
    // taken), or a transaction already reconciled, which stays as it is. Counted as skipped, so
    // the upload's report says what it changed.
    if upload.kind == Kind::Pg && stored < parsed.accepted as u64 {
        let distinct: i64 =
            sqlx::query_scalar("SELECT count(DISTINCT txn_id) FROM staging_transactions").fetch_one(&mut *tx).await?;
        let repeats = accepted - distinct;
        let kept_as_they_are = distinct - stored as i64;
        accepted -= repeats + kept_as_they_are;
        count_skipped(
            &mut skipped,
            &mut rows_skipped,
            [(REPEATED_TXN_IN_FILE, repeats), (RECONCILED_ALREADY, kept_as_they_are)],
        );
        recounted = true;
    }
    // Fewer lines stored than accepted: some keys were on file already, or twice in the file. Only
    // now, after the insert, are they sorted out, so a line another upload stored meanwhile (the
    // insert waited for it) is found too: the same line again is skipped and counted, one with
    // other details is refused with a row error. None is dropped in silence.
    if upload.kind == Kind::Bank && stored < parsed.accepted as u64 {
        let outcomes = bank_line_outcomes(&mut tx, file_id, MAX_ROW_ERRORS - errors.len()).await?;
        let (clashes, repeats, known) = (outcomes.clashes.len() as i64, outcomes.repeats, outcomes.already_on_file);
        accepted -= clashes + repeats + known;
        errors.extend(outcomes.clashes);
        count_skipped(&mut skipped, &mut rows_skipped, [(REPEATED_IN_FILE, repeats), (ALREADY_ON_FILE, known)]);
        if errors.len() > MAX_ROW_ERRORS {
            abort(kept).await;
            return Err(AppError::BadRequest(too_many_refused()));
        }
        // Refused whole only when every line is refused: a statement sent again (every line on
        // file already) is taken, with nothing new, so a connector does not fetch it for ever.
        if accepted == 0 && repeats + known == 0 {
            abort(kept).await;
            errors.sort_by_key(|e| e.line);
            return Err(AppError::BadRequest(nothing_accepted(streamed.rows_total, &errors, &skipped)));
        }
        recounted = true;
    }
    // The file's counts as they turned out, where the insert found rows it did not write.
    if recounted {
        sqlx::query!(
            "UPDATE uploaded_files SET rows_accepted = $2, rows_rejected = $3, rows_skipped = $4, skipped = $5 WHERE id = $1",
            file_id,
            i32::try_from(accepted).unwrap_or(i32::MAX),
            i32::try_from(errors.len()).unwrap_or(i32::MAX),
            i32::try_from(rows_skipped).unwrap_or(i32::MAX),
            sqlx::types::Json(&skipped) as _,
        )
        .execute(&mut *tx)
        .await?;
    }
    // A bank statement may carry the DEBIT lines of payouts already marked paid: verify them.
    if upload.kind == Kind::Bank {
        let file = crate::features::settlements::commands::Verify::File(file_id);
        crate::features::settlements::commands::verify(&mut tx, file, upload.now).await?;
    }
    let upserted = std::time::Instant::now();
    errors.sort_by_key(|e| e.line);
    for chunk in errors.chunks(CHUNK) {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("INSERT INTO upload_row_errors (file_id, line_number, column_name, message) ");
        qb.push_values(chunk, |mut b, e| {
            b.push_bind(file_id)
                .push_bind(i32::try_from(e.line).unwrap_or(i32::MAX))
                .push_bind(&e.column)
                .push_bind(&e.message);
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *tx).await?;
    }
    let report = UploadReport {
        file_id,
        format: Some(streamed.format.name()),
        rows_accepted: accepted,
        rows_rejected: errors.len() as i64,
        rows_skipped,
        skipped,
        unknown_merchants: unknown,
        amount_unit: Some(amount_unit.to_string()),
        duplicate: false,
        errors,
        sha256: parsed.sha256.clone(),
    };
    kept.shutdown().await.map_err(|e| stored_failed_as(&e))?;
    // Customers' e-mail and phone never stay in the kept copy either (it is kept for the record).
    if !streamed.personal_columns().is_empty() {
        if let Err(e) = redact_kept(objects.as_ref(), &storage_key, &streamed).await {
            let _ = objects.delete(&storage_key).await;
            return Err(e);
        }
    }
    // The audit rows last, just before the commit: the audit chain's lock is held from the first
    // one to the commit (see `crate::audit`), so never across the upsert or the object store.
    if let Some((admin, change)) = saved_unit {
        if let Err(e) = audit::record(&mut *tx, change.entry(admin)).await {
            let _ = objects.delete(&storage_key).await;
            return Err(e);
        }
    }
    if let Err(e) = audit_upload(&mut *tx, &upload, &report).await {
        let _ = objects.delete(&storage_key).await;
        return Err(e);
    }
    if let Err(e) = tx.commit().await {
        let _ = objects.delete(&storage_key).await;
        return Err(e.into());
    }
    tracing::info!(
        file = %file_id,
        rows = streamed.rows_total,
        read_and_copy_ms = (parsed_at - started).as_millis() as u64,
        upsert_ms = (upserted - parsed_at).as_millis() as u64,
        finish_ms = upserted.elapsed().as_millis() as u64,
        "recon upload stored"
    );
    Ok(report)
}

/// Replace the kept copy of a file that holds personal-data columns: a delimited file with those
/// columns blanked; a workbook (not rewritten here) with a note of what it was. Its SHA-256 (of the
/// bytes as received) stays the upload's identity.
async fn redact_kept(objects: &dyn ObjectStore, key: &ObjectPath, streamed: &ingest::Streamed) -> Result<(), AppError> {
    let redacted = match streamed.delimited {
        Some((delimiter, header_row)) => {
            let raw = objects.get(key).await.map_err(store_failed)?.bytes().await.map_err(store_failed)?;
            tokio::task::spawn_blocking(move || ingest::redact_delimited(&raw, delimiter, header_row))
                .await
                .map_err(|_| AppError::Internal)?
                .map_err(|e| {
                    tracing::error!(error = %e, "upload redaction failed");
                    AppError::Internal
                })?
        }
        None => format!(
            "This workbook held customers' personal data ({}); it is not kept. Its rows are in the ledger.\n",
            streamed.personal_columns().join(", ")
        )
        .into_bytes(),
    };
    objects.put(key, Bytes::from(redacted).into()).await.map_err(store_failed)?;
    Ok(())
}

/// The audit row of an upload: written with the stored file (in its transaction), or on its own
/// for a duplicate, which stores nothing but was still sent by someone.
async fn audit_upload<'c>(
    db: impl sqlx::PgExecutor<'c>,
    upload: &Upload<'_>,
    report: &UploadReport,
) -> Result<(), AppError> {
    let action = "recon.upload";
    let entry = match upload.uploaded_by {
        Some(user) => AuditEntry::by(user, action, "uploaded_file"),
        None => AuditEntry { action, target_type: "uploaded_file", success: true, ..Default::default() },
    };
    let after = serde_json::json!({
        "kind": upload.kind,
        "cycleDate": upload.cycle_date,
        "fileName": crate::files::clean_file_name(upload.file_name, "upload"),
        "rowsAccepted": report.rows_accepted,
        "rowsRejected": report.rows_rejected,
        "rowsSkipped": report.rows_skipped,
        "unknownMerchants": report.unknown_merchants,
        "amountUnit": report.amount_unit,
        "duplicate": report.duplicate,
    });
    audit::record(
        db,
        AuditEntry {
            target_id: Some(report.file_id.to_string()),
            after: Some(after),
            details: report.duplicate.then(|| "duplicate of a stored file".to_string()),
            ..entry
        },
    )
    .await
}

/// A stored layout's amount unit changed by an upload, for its audit row (written last).
struct UnitChange {
    target: String,
    before: String,
    after: &'static str,
}

impl UnitChange {
    fn entry(self, admin: &CurrentUser) -> AuditEntry<'_> {
        AuditEntry {
            target_id: Some(self.target),
            before: Some(serde_json::json!({ "amountsIn": self.before })),
            after: Some(serde_json::json!({ "amountsIn": self.after })),
            ..AuditEntry::by(admin, "recon.layout.unit", "bank_column_mapping")
        }
    }
}

/// Keep `unit` as the amount unit of the stored bank layout `layout` (an admin's choice on an
/// upload, whose reading has already allowed it), in the upload's transaction; the change for its
/// audit row, which the upload writes just before it commits.
async fn save_layout_unit(
    tx: &mut sqlx::PgConnection,
    layout: &BankMapping,
    unit: AmountUnit,
    admin: Uuid,
) -> Result<UnitChange, AppError> {
    let changed = sqlx::query!(
        "UPDATE bank_column_mappings n SET amounts_in = $3, updated_at = now(), updated_by = $4
         FROM bank_column_mappings o
         WHERE o.id = n.id AND n.bank_code = $1 AND n.layout_name = $2 AND n.is_active
         RETURNING n.id, o.amounts_in",
        layout.bank_code,
        layout.layout_name,
        unit.code(),
        admin,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("No active bank layout is called {:?}.", layout.layout_name)))?;
    // Audited under the layout's id, as the layout editor's changes are.
    Ok(UnitChange { target: changed.id.to_string(), before: changed.amounts_in, after: unit.code() })
}

/// A stored upload of `kind` to read again: where its kept copy is, its name, and what it was read
/// as then (format, rows accepted, skipped and refused); 404 for none of that kind.
pub async fn stored_upload(pool: &PgPool, kind: &str, id: Uuid) -> Result<StoredUpload, AppError> {
    let r = sqlx::query!(
        "SELECT storage_key, original_name, detected_format, rows_accepted, rows_rejected, rows_skipped
         FROM uploaded_files WHERE id = $1 AND kind = $2",
        id,
        kind,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("There is no such {kind} upload.")))?;
    Ok(StoredUpload {
        storage_key: r.storage_key,
        original_name: r.original_name,
        format: r.detected_format.unwrap_or_else(|| "an unknown format".into()),
        accepted: i64::from(r.rows_accepted),
        skipped: i64::from(r.rows_skipped),
        refused: i64::from(r.rows_rejected),
    })
}

/// A stored upload, as [`stored_upload`] finds it.
pub struct StoredUpload {
    pub storage_key: String,
    pub original_name: String,
    pub format: String,
    pub accepted: i64,
    /// Skipped rows: failed payments, and bank lines on file already (which a trial of the file
    /// alone counts as accepted).
    pub skipped: i64,
    pub refused: i64,
}

/// The kept copy of an upload as a blocking reader, read from the object store as it is consumed
/// (never whole in memory): for a parser on a blocking thread.
pub async fn open_kept(objects: &dyn ObjectStore, storage_key: &str) -> Result<impl std::io::Read + Send, AppError> {
    let stream = objects.get(&ObjectPath::from(storage_key)).await.map_err(|e| {
        tracing::error!(error = %e, "a kept upload could not be read");
        match e {
            object_store::Error::NotFound { .. } => AppError::NotFound("The kept copy of that upload is gone.".into()),
            _ => AppError::Internal,
        }
    })?;
    let chunks = stream.into_stream().map_err(std::io::Error::other);
    Ok(tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(chunks)))
}

fn store_failed(e: object_store::Error) -> AppError {
    stored_failed_as(&e)
}

/// A failed write to the file store as the caller hears it: a full disk (ENOSPC) or quota
/// (EDQUOT), wherever in the error's chain, said in words (the operator can act on it); anything
/// else an internal error, logged.
fn stored_failed_as(e: &(dyn std::error::Error + 'static)) -> AppError {
    tracing::error!(error = %e, "upload store write failed");
    let mut full = false;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        let io_full = err.downcast_ref::<std::io::Error>().is_some_and(|io| {
            io.kind() == std::io::ErrorKind::StorageFull || matches!(io.raw_os_error(), Some(28) | Some(122))
        });
        let text = err.to_string();
        full |= io_full || text.contains("No space left on device") || text.contains("Disk quota exceeded");
        cause = err.source();
    }
    if full {
        AppError::StorageFull(
            "The file store is full, so the upload was not kept: nothing was recorded. Tell the platform team; upload again once there is space."
                .into(),
        )
    } else {
        AppError::Internal
    }
}

/// The latest uploads of the `kinds` (`pg`, `bank`), newest first; with `only`, that one upload.
pub async fn recent_uploads(
    pool: &PgPool,
    kinds: &[&str],
    limit: i64,
    only: Option<Uuid>,
) -> Result<Vec<super::model::UploadRow>, AppError> {
    Ok(sqlx::query_as!(
        super::model::UploadRow,
        r#"SELECT id, kind, cycle_date AS "cycle_date: NaiveDate", original_name, detected_format, size_bytes,
                rows_accepted, rows_rejected, rows_skipped,
                coalesce((SELECT string_agg(s->>'reason', '; ') FROM jsonb_array_elements(skipped) s), '') AS "skipped_reasons!",
                coalesce((SELECT string_agg(u->>'code', ', ') FROM jsonb_array_elements(unknown_merchants) u), '') AS "unknown_merchants!",
                uploaded_at AS "uploaded_at: DateTime<Utc>"
         FROM uploaded_files WHERE kind = ANY($1) AND ($3::uuid IS NULL OR id = $3)
         ORDER BY uploaded_at DESC, id LIMIT $2"#,
        &kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        limit,
        only,
    )
    .fetch_all(pool)
    .await?)
}

/// The refused rows of an upload, in line order, as the database sends them (a cursor).
pub fn row_errors<'a>(
    db: impl sqlx::PgExecutor<'a> + 'a,
    file_id: Uuid,
) -> impl Stream<Item = Result<RowError, AppError>> + Send + 'a {
    sqlx::query!(
        "SELECT line_number, column_name, message FROM upload_row_errors WHERE file_id = $1 ORDER BY line_number, message",
        file_id,
    )
    .fetch(db)
    .map_ok(|r| RowError { line: r.line_number as u64, column: r.column_name, message: r.message })
    .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_store_is_said_in_words() {
        let full = std::io::Error::from_raw_os_error(28);
        let said = stored_failed_as(&full);
        assert_eq!(said.status_code(), 507);
        assert!(said.to_string().contains("The file store is full"), "{said}");
        // Wrapped, as object_store and the multipart writer wrap it.
        let wrapped =
            std::io::Error::other(object_store::Error::Generic { store: "LocalFileSystem", source: Box::new(full) });
        assert_eq!(stored_failed_as(&wrapped).status_code(), 507);
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(stored_failed_as(&other).status_code(), 500);
    }

    #[test]
    fn merchant_codes_resolve_through_aliases_and_flags() {
        let mut d = MerchantDirectory::default();
        d.codes.insert("MERCH_001".into(), ("MERCH_001".into(), false));
        d.codes.insert("MERCH001".into(), ("MERCH_001".into(), false));
        d.codes.insert("UNIV99".into(), ("UNIV99".into(), true));
        assert_eq!(d.resolve("MERCH_001"), MerchantCode::Known("MERCH_001".into()));
        assert_eq!(d.resolve("MERCH001"), MerchantCode::Known("MERCH_001".into()), "an alias");
        assert_eq!(d.resolve("UNIV99"), MerchantCode::Unknown("UNIV99".into()), "seen before, still unknown");
        assert_eq!(d.resolve("NEW_CODE"), MerchantCode::Unknown("NEW_CODE".into()));
        assert_eq!(d.resolve("NO BODY"), MerchantCode::Invalid);
        assert_eq!(d.resolve("AB"), MerchantCode::Invalid);
        assert_eq!(d.form_merchant(" merch001 ").unwrap(), "MERCH_001");
        assert!(d.form_merchant("UNIV99").is_err(), "a form names a merchant the product knows");
        assert!(d.form_merchant("NEW_CODE").is_err());
    }
}
