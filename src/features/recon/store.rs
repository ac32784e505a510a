//! Uploads into the database: a parsed file's rows become transactions or bank statement lines,
//! in one transaction. Idempotent twice over: the same file (by SHA-256) changes nothing and says
//! so; a row whose natural key is known is updated (PG rows still pending) or left alone (bank
//! lines, which a statement never changes), never duplicated. Rows are streamed with `COPY` into a
//! staging table and moved with one `INSERT … ON CONFLICT`, never one round trip per row. The
//! original bytes are kept in the object store under a generated name.

use std::collections::HashSet;

use chrono::NaiveDate;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::ingest::{self, BankMapping, Format, Kind, Parsed, Records, RowError};
use crate::error::AppError;
use crate::ist;

const CHUNK: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadReport {
    pub file_id: Uuid,
    pub format: Option<String>,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    pub duplicate: bool,
    pub errors: Vec<RowError>,
}

/// The active per-bank layouts an admin maintains.
pub async fn mappings(pool: &PgPool) -> Result<Vec<BankMapping>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
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
        amounts_in: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT bank_code, layout_name, file_type, delimiter, header_row, date_format, reference_column,
                gross_amount_column, net_amount_column, txn_date_column, value_date_column, utr_column, rrn_column,
                direction_column, remarks_column, amounts_in
         FROM bank_column_mappings WHERE is_active ORDER BY bank_code, layout_name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| BankMapping {
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
            amounts_in_paise: r.amounts_in == "paise",
        })
        .collect())
}

/// A format a user names instead of detection: `pg_simple`, `pg_v1`, `pg_v2`, `bank_simple`,
/// `bank_v1`, or a stored layout's name.
pub fn named_format(name: &str, mappings: &[BankMapping]) -> Result<Format, AppError> {
    Ok(match name.trim() {
        "pg_simple" => Format::PgSimple,
        "pg_v1" => Format::PgV1,
        "pg_v2" => Format::PgV2,
        "bank_simple" => Format::BankSimple,
        "bank_v1" => Format::BankV1,
        other => Format::Mapping(Box::new(
            mappings
                .iter()
                .find(|m| m.layout_name.eq_ignore_ascii_case(other))
                .cloned()
                .ok_or_else(|| AppError::BadRequest(format!("No format or bank layout is called {other:?}.")))?,
        )),
    })
}

pub struct Upload<'a> {
    pub kind: Kind,
    pub cycle_date: NaiveDate,
    pub file_name: &'a str,
    pub bytes: bytes::Bytes,
    pub format: Option<&'a str>,
    pub uploaded_by: Option<Uuid>,
}

/// Store one file: parse, check merchants, write rows and row errors, keep the bytes.
pub async fn store(pool: &PgPool, objects: &dyn ObjectStore, upload: Upload<'_>) -> Result<UploadReport, AppError> {
    let sha256 = hex::encode(Sha256::digest(&upload.bytes));
    let kind_code = match upload.kind {
        Kind::Pg => "pg",
        Kind::Bank => "bank",
    };
    let known: Option<(Uuid, Option<String>, i32, i32)> = sqlx::query_as(
        "SELECT id, detected_format, rows_accepted, rows_rejected FROM uploaded_files WHERE kind = $1 AND sha256 = $2",
    )
    .bind(kind_code)
    .bind(&sha256)
    .fetch_optional(pool)
    .await?;
    if let Some((file_id, format, accepted, rejected)) = known {
        return Ok(UploadReport {
            file_id,
            format,
            rows_accepted: accepted.into(),
            rows_rejected: rejected.into(),
            duplicate: true,
            errors: Vec::new(),
        });
    }

    let layouts = mappings(pool).await?;
    let format = upload.format.filter(|f| !f.trim().is_empty()).map(|f| named_format(f, &layouts)).transpose()?;
    let bytes = upload.bytes.clone();
    let kind = upload.kind;
    let parsed: Parsed = tokio::task::spawn_blocking(move || ingest::parse(&bytes, kind, format, &layouts))
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(AppError::BadRequest)?;

    let known_merchants: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT id FROM merchants").fetch_all(pool).await?.into_iter().collect();
    let mut errors = parsed.errors.clone();
    let file_id = Uuid::new_v4();
    let storage_key = ObjectPath::from(format!("uploads/{kind_code}/{file_id}"));

    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO uploaded_files (id, kind, cycle_date, original_name, sha256, size_bytes, storage_key, detected_format,
                                     rows_total, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (kind, sha256) DO NOTHING",
    )
    .bind(file_id)
    .bind(kind_code)
    .bind(upload.cycle_date)
    .bind(crate::features::disputes::evidence::clean_file_name(upload.file_name))
    .bind(&sha256)
    .bind(upload.bytes.len() as i64)
    .bind(storage_key.as_ref())
    .bind(parsed.format.name())
    .bind(i32::try_from(parsed.rows_total).unwrap_or(i32::MAX))
    .bind(upload.uploaded_by)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        // The same file arrived a moment ago by another request: report it as the duplicate it is.
        drop(tx);
        return Box::pin(store(pool, objects, upload)).await;
    }

    // Rows go through a staging table filled by COPY, then one INSERT … ON CONFLICT per file.
    let accepted = match &parsed.records {
        Records::Pg(rows) => {
            let (good, unknown): (Vec<_>, Vec<_>) = rows.iter().partition(|r| known_merchants.contains(&r.merchant_id));
            errors.extend(unknown.iter().map(|r| RowError {
                line: r.line,
                column: Some("merchant".into()),
                message: format!("merchant {} is not known", r.merchant_id),
            }));
            sqlx::query("CREATE TEMP TABLE staging_transactions (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DROP")
                .execute(&mut *tx)
                .await?;
            crate::db::copy_in(
                &mut tx,
                "COPY staging_transactions (txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date,
                                            payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise,
                                            expected_settlement_paise, source_file_id) FROM STDIN (FORMAT csv)",
                0..good.len(),
                |w, i| {
                    let r = good[i];
                    w.text(Some(&r.txn_id))
                        .text(Some(&r.merchant_id))
                        .num(Some(r.amount.0))
                        .num(r.gross.map(|p| p.0))
                        .text(Some(&r.currency))
                        .show(Some(ist::at(r.txn_at.date(), r.txn_at.time()).to_rfc3339()))
                        .show(Some(upload.cycle_date))
                        .text(Some(r.payment_method))
                        .text(r.bank.as_deref())
                        .text(r.utr.as_deref())
                        .text(r.rrn.as_deref())
                        .text(Some(&r.status))
                        .num(r.bank_fee.map(|p| p.0))
                        .num(r.expected_settlement.map(|p| p.0))
                        .show(Some(file_id))
                        .end();
                },
            )
            .await?;
            // The last row of a file wins for a repeated transaction id; a known transaction is
            // corrected while it is still pending, reconciled ones stay as they are.
            sqlx::query(
                "INSERT INTO transactions (txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date,
                                           payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise,
                                           expected_settlement_paise, source_file_id)
                 SELECT DISTINCT ON (txn_id) txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date,
                        payment_method, acquirer, utr, rrn, gateway_status, bank_fee_paise, expected_settlement_paise,
                        source_file_id
                 FROM staging_transactions ORDER BY txn_id, ctid DESC
                 ON CONFLICT (txn_id) DO UPDATE SET amount_paise = EXCLUDED.amount_paise, gross_paise = EXCLUDED.gross_paise,
                    utr = EXCLUDED.utr, rrn = EXCLUDED.rrn, bank_fee_paise = EXCLUDED.bank_fee_paise,
                    expected_settlement_paise = EXCLUDED.expected_settlement_paise, updated_at = now()
                 WHERE transactions.status = 'PENDING'",
            )
            .execute(&mut *tx)
            .await?;
            good.len()
        }
        Records::Bank(rows) => {
            sqlx::query(
                "CREATE TEMP TABLE staging_bank_lines (LIKE bank_statement_lines INCLUDING DEFAULTS) ON COMMIT DROP",
            )
            .execute(&mut *tx)
            .await?;
            crate::db::copy_in(
                &mut tx,
                "COPY staging_bank_lines (natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date,
                                          value_date, utr, rrn, remarks, cycle_date, source_file_id) FROM STDIN (FORMAT csv)",
                0..rows.len(),
                |w, i| {
                    let r = &rows[i];
                    w.text(Some(&r.natural_key))
                        .text(r.bank_ref.as_deref())
                        .text(Some(&r.bank_name))
                        .num(Some(r.amount.0))
                        .num(r.net.map(|p| p.0))
                        .text(Some(if r.credit { "CREDIT" } else { "DEBIT" }))
                        .show(Some(r.txn_date))
                        .show(r.value_date)
                        .text(r.utr.as_deref())
                        .text(r.rrn.as_deref())
                        .text(r.remarks.as_deref())
                        .show(Some(upload.cycle_date))
                        .show(Some(file_id))
                        .end();
                },
            )
            .await?;
            sqlx::query(
                "INSERT INTO bank_statement_lines (natural_key, bank_ref, bank_name, amount_paise, net_paise, direction,
                                                   txn_date, value_date, utr, rrn, remarks, cycle_date, source_file_id)
                 SELECT natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date, value_date, utr, rrn,
                        remarks, cycle_date, source_file_id
                 FROM staging_bank_lines
                 ON CONFLICT (natural_key) DO NOTHING",
            )
            .execute(&mut *tx)
            .await?;
            rows.len()
        }
    };
    if accepted == 0 {
        return Err(AppError::BadRequest(format!(
            "None of the file's {} rows could be accepted. The first problem, line {}: {}",
            parsed.rows_total,
            errors.first().map(|e| e.line).unwrap_or(0),
            errors.first().map(|e| e.message.as_str()).unwrap_or("")
        )));
    }
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
    sqlx::query("UPDATE uploaded_files SET rows_accepted = $2, rows_rejected = $3 WHERE id = $1")
        .bind(file_id)
        .bind(accepted as i32)
        .bind(errors.len() as i32)
        .execute(&mut *tx)
        .await?;
    objects.put(&storage_key, PutPayload::from_bytes(upload.bytes)).await.map_err(|e| {
        tracing::error!(error = %e, "upload store write failed");
        AppError::Internal
    })?;
    if let Err(e) = tx.commit().await {
        let _ = objects.delete(&storage_key).await;
        return Err(e.into());
    }
    Ok(UploadReport {
        file_id,
        format: Some(parsed.format.name()),
        rows_accepted: accepted as i64,
        rows_rejected: errors.len() as i64,
        duplicate: false,
        errors,
    })
}

/// The latest uploads, newest first.
pub async fn recent_uploads(pool: &PgPool, limit: i64) -> Result<Vec<super::model::UploadRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, cycle_date, original_name, detected_format, size_bytes, rows_accepted, rows_rejected, uploaded_at
         FROM uploaded_files WHERE kind IN ('pg', 'bank') ORDER BY uploaded_at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// The refused rows of an upload, in line order.
pub async fn row_errors(pool: &PgPool, file_id: Uuid) -> Result<Vec<RowError>, AppError> {
    let rows: Vec<(i32, Option<String>, String)> = sqlx::query_as(
        "SELECT line_number, column_name, message FROM upload_row_errors WHERE file_id = $1 ORDER BY line_number, message",
    )
    .bind(file_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(line, column, message)| RowError { line: line as u64, column, message }).collect())
}
