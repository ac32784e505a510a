//! Payout files: the bank bulk-transfer CSV for approved batches (all due on or before a payout
//! date, or a chosen few), stored in the object store with its SHA-256 and recorded once (who,
//! when, the batches in it). Each batch in it gets its transfer (SENT) and becomes SENT. Asking
//! again for batches that are already in a file answers that file, never a second payment.

use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::commands::event;
use super::model::PayoutFileRow;
use super::rules::{self, PayoutLine, Rail, Status};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::money::Paise;

/// Serialises payout-file generation across instances.
const LOCK_KEY: i64 = 0x5e7f_0012_ba7c_4002;

/// Which batches a payout file takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every APPROVED batch due on or before the date.
    DueBy(NaiveDate),
    Batches(Vec<Uuid>),
}

/// A payout file asked for: made now (`created`) or the one the same batches are already in, and
/// the approved batches due that were left out for want of a bank account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    pub file: PayoutFileRow,
    pub created: bool,
    pub left_out: Vec<String>,
}

/// Generate (or find) the payout file for `selection`.
pub async fn generate(
    pool: &PgPool,
    store: &dyn ObjectStore,
    user: &CurrentUser,
    ip: Option<&str>,
    selection: &Selection,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Generated, AppError> {
    if let Selection::DueBy(date) = selection {
        if *date > today {
            return Err(AppError::BadRequest(
                "The payout date is in the future: batches are paid on or after their due date, not before.".into(),
            ));
        }
    }
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOCK_KEY).execute(&mut *tx).await?;
    let (due_by, ids): (Option<NaiveDate>, Option<&[Uuid]>) = match selection {
        Selection::DueBy(date) => (Some(*date), None),
        Selection::Batches(ids) if ids.is_empty() => {
            return Err(AppError::BadRequest("Choose at least one batch.".into()))
        }
        Selection::Batches(ids) => (None, Some(ids.as_slice())),
    };
    let rows = sqlx::query_as!(
        Candidate,
        r#"SELECT b.id, b.batch_ref, b.status, b.net_paise AS "net!: Paise", b.rail::text AS "rail!",
                  coalesce(b.payout_due_on, b.cycle_date) AS "due!: NaiveDate",
                  a.holder_name AS "holder?", a.account_number AS "account?", a.ifsc AS "ifsc?"
           FROM settlement_batches b LEFT JOIN merchant_bank_accounts a ON a.id = b.bank_account_id
           WHERE CASE WHEN $2::uuid[] IS NULL
                      THEN b.status = 'APPROVED' AND coalesce(b.payout_due_on, b.cycle_date) <= $1
                      ELSE b.id = ANY($2) END
           ORDER BY b.batch_ref FOR UPDATE OF b"#,
        due_by as Option<NaiveDate>,
        ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    if let Some(ids) = ids {
        if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| r.id == **id)) {
            return Err(AppError::NotFound(format!("No settlement batch {missing}.")));
        }
        // The same batches asked for again: the file they are already in.
        if rows.iter().all(|r| r.status == Status::Sent.code() || r.status == Status::Paid.code()) {
            if let Some(file) = existing_file_of(&mut tx, ids).await? {
                return Ok(Generated { file, created: false, left_out: Vec::new() });
            }
        }
        if let Some(not_approved) = rows.iter().find(|r| r.status != Status::Approved.code()) {
            return Err(AppError::Conflict(format!(
                "Batch {} is {}, not approved: only approved batches go into a payout file.",
                not_approved.batch_ref,
                Status::parse(&not_approved.status).map_or("in another status", |s| s.label()).to_lowercase()
            )));
        }
        if let Some(early) = rows.iter().find(|r| r.due > today) {
            return Err(AppError::Conflict(format!(
                "Batch {} is due for payout on {}: it is not paid before then.",
                early.batch_ref,
                crate::ist::format_date(early.due)
            )));
        }
        if let Some(no_account) = rows.iter().find(|r| r.account.is_none()) {
            return Err(AppError::Conflict(format!(
                "Batch {} has no bank account to pay into; add the merchant's account first.",
                no_account.batch_ref
            )));
        }
    }
    // A re-queued batch whose failed transfer the bank may have paid after all is not paid again:
    // the re-queue's check (`debited_after_failure`) runs again, since a DEBIT line may have arrived
    // after it. Refused when asked for by name, else left out and named.
    let requeued: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT DISTINCT batch_id FROM settlement_transfers WHERE batch_id = ANY($1) AND status = 'FAILED'",
        &rows.iter().map(|r| r.id).collect::<Vec<_>>(),
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut debited: Vec<Uuid> = Vec::new();
    for r in rows.iter().filter(|r| requeued.contains(&r.id)) {
        if let Some(debit) = super::commands::debited_after_failure(&mut tx, r.id, &r.batch_ref).await? {
            if ids.is_some() {
                return Err(AppError::Conflict(debit.refusal(&r.batch_ref)));
            }
            debited.push(r.id);
        }
    }
    let payout_date = due_by.unwrap_or(today);
    // By date, a batch without an account is left out (and named), not a reason to pay nobody.
    let (rows, left_out): (Vec<Candidate>, Vec<Candidate>) =
        rows.into_iter().partition(|r| r.account.is_some() && !debited.contains(&r.id));
    let left_out: Vec<String> = left_out.into_iter().map(|r| r.batch_ref).collect();
    if rows.is_empty() {
        let why = if left_out.is_empty() {
            String::new()
        } else {
            format!(
                " ({} approved without a bank account, or paid after all by the look of the bank statement: {})",
                left_out.len(),
                left_out.join(", ")
            )
        };
        return Err(AppError::Conflict(format!(
            "No approved batches are due by {}; nothing to pay{why}.",
            crate::ist::format_date(payout_date)
        )));
    }
    let lines: Vec<PayoutLine> = rows
        .iter()
        .map(|r| PayoutLine {
            beneficiary_name: r.holder.clone().unwrap_or_default(),
            account_number: r.account.clone().unwrap_or_default(),
            ifsc: r.ifsc.clone().unwrap_or_default(),
            amount: r.net,
            rail: Rail::parse(&r.rail).unwrap_or(Rail::Neft),
            batch_ref: r.batch_ref.clone(),
        })
        .collect();
    let csv = rules::payout_csv(&lines);
    let sha256 = hex::encode(Sha256::digest(csv.as_bytes()));
    let total = Paise::checked_sum(rows.iter().map(|r| r.net)).map_err(|e| AppError::Conflict(e.to_string()))?;
    let id = Uuid::new_v4();
    let file_name = format!("payout-{}-{}.csv", payout_date.format("%Y%m%d"), &id.simple().to_string()[..8]);
    let key = ObjectPath::from(format!("payouts/{}/{id}.csv", payout_date.format("%Y-%m-%d")));
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    store.put(&key, PutPayload::from_bytes(Bytes::from(csv))).await.map_err(|e| {
        tracing::error!(error = %e, "payout file store write failed");
        AppError::Internal
    })?;
    let recorded = async {
        sqlx::query!(
            "INSERT INTO payout_files (id, payout_date, file_name, storage_key, sha256, batch_count, total_paise,
                                       generated_by, generated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            id,
            payout_date as NaiveDate,
            file_name,
            key.as_ref(),
            sha256,
            ids.len() as i32,
            total.0,
            user.id,
            now as DateTime<Utc>,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO settlement_transfers (batch_id, rail, amount_paise, status, initiated_at, payout_file_id)
             SELECT b.id, b.rail, b.net_paise, 'SENT', $2, $3 FROM settlement_batches b WHERE b.id = ANY($1)",
            &ids,
            now as DateTime<Utc>,
            id,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE settlement_batches SET status = 'SENT', sent_at = $2 WHERE id = ANY($1)",
            &ids,
            now as DateTime<Utc>
        )
        .execute(&mut *tx)
        .await?;
        for batch in &ids {
            event(&mut tx, *batch, "SENT", Some(user.id), Some(&format!("In payout file {file_name}")), now).await?;
        }
        audit::record(
            &mut *tx,
            AuditEntry {
                target_id: Some(id.to_string()),
                ip,
                after: Some(json!({
                    "payoutDate": payout_date,
                    "batches": rows.iter().map(|r| &r.batch_ref).collect::<Vec<_>>(),
                    "totalPaise": total,
                    "sha256": sha256,
                })),
                ..AuditEntry::by(user, "settlement.payout_file.generate", "payout_file")
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = recorded {
        // Keep the store free of files no record points at.
        let _ = store.delete(&key).await;
        return Err(e);
    }
    let file = PayoutFileRow {
        id,
        payout_date,
        file_name,
        sha256,
        batch_count: ids.len() as i32,
        total,
        generated_by: Some(user.email.clone()),
        generated_at: now,
        batch_ids: ids,
        answered_batches: Vec::new(),
    };
    Ok(Generated { file, created: true, left_out })
}

struct Candidate {
    id: Uuid,
    batch_ref: String,
    status: String,
    net: Paise,
    rail: String,
    due: NaiveDate,
    holder: Option<String>,
    account: Option<String>,
    ifsc: Option<String>,
}

/// The file whose batches are exactly `ids`, if there is one.
async fn existing_file_of(tx: &mut sqlx::PgConnection, ids: &[Uuid]) -> Result<Option<PayoutFileRow>, AppError> {
    let file = sqlx::query_scalar!(
        r#"SELECT tr.payout_file_id AS "id!" FROM settlement_transfers tr
           WHERE tr.batch_id = ANY($1) AND tr.payout_file_id IS NOT NULL AND tr.status <> 'FAILED'
           GROUP BY tr.payout_file_id
           HAVING count(DISTINCT tr.batch_id) = cardinality($1)
              AND (SELECT count(*) FROM settlement_transfers x WHERE x.payout_file_id = tr.payout_file_id) = cardinality($1)"#,
        ids,
    )
    .fetch_optional(&mut *tx)
    .await?;
    match file {
        Some(id) => file_row(tx, id).await.map(Some),
        None => Ok(None),
    }
}

/// One payout file's record with its batches.
pub async fn file_row(db: &mut sqlx::PgConnection, id: Uuid) -> Result<PayoutFileRow, AppError> {
    super::queries::payout_files_where(db, Some(id), 1)
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound("No payout file with that id.".into()))
}

/// The bytes of a payout file, as generated, while the bank has answered for none of its transfers;
/// then refused (409): sending it again would repeat its payments (a failed one may already be in
/// a new file). Its record (SHA-256, batches, who, when) stays on the page.
pub async fn download(pool: &PgPool, store: &dyn ObjectStore, id: Uuid) -> Result<(String, Bytes), AppError> {
    let mut conn = pool.acquire().await?;
    let file = file_row(&mut conn, id).await?;
    drop(conn);
    if !file.answered_batches.is_empty() {
        return Err(AppError::Conflict(format!(
            "{}: the bank has answered for {} (paid or failed), so this file is no longer downloadable: sending it \
             again would repeat its payments. Its record stays on the page.",
            file.file_name,
            file.answered_batches.join(", ")
        )));
    }
    let storage_key =
        sqlx::query_scalar!("SELECT storage_key FROM payout_files WHERE id = $1", id).fetch_one(pool).await?;
    let bytes = store
        .get(&ObjectPath::from(storage_key))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "payout file store read failed");
            AppError::NotFound("The payout file is missing from storage.".into())
        })?
        .bytes()
        .await
        .map_err(|_| AppError::Internal)?;
    Ok((file.file_name, bytes))
}
