//! Every change to a batch after it is made, each in one transaction with the batch locked, its
//! timeline event and its audit row (actor, roles, before/after, IP): approve (maker-checker; not by
//! whoever re-pointed the batch at an account, nor by whoever made its account primary while no
//! checker has approved a payout into it), reject (which undoes what the batch did: its
//! transactions leave it for the settlement backlog and the merchant's next batch, its deductions
//! back to what the merchant owes, its reserve entries are removed), hold and release, mark paid
//! with the bank UTR (never used twice) — also a FAILED batch the bank paid after all — or failed
//! with a reason, re-queue a failed batch for a new transfer (to the merchant's current account;
//! refused while a bank DEBIT line suggests the failed transfer went through). A failed batch's
//! next step is another finance user's than the one who marked it failed. And verification: a bank
//! statement DEBIT line carrying a paid transfer's UTR verifies it (or shows the amount mismatch),
//! when the batch is marked paid and when a later bank upload brings the line.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::rules::{self, Action, FailureCode, Status};
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::domain::SETTLEMENT_LOCK;
use crate::error::AppError;
use crate::money::Paise;

/// An action with its inputs as they arrived (the service has checked the role).
#[derive(Clone, Debug, Default)]
pub struct ActionInput {
    pub reason: Option<String>,
    pub utr: Option<String>,
    pub failure_code: Option<String>,
}

/// The validated inputs of one action.
enum Step {
    Approve,
    Reject(String),
    Hold(String),
    Release,
    Paid(String),
    Failed(FailureCode, String),
    Requeue(Option<String>),
}

fn step(action: Action, input: &ActionInput) -> Result<Step, AppError> {
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_string);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1_000) {
        return Err(AppError::BadRequest("The reason may be at most 1,000 characters.".into()));
    }
    Ok(match action {
        Action::Approve => Step::Approve,
        Action::Reject => {
            Step::Reject(reason.ok_or_else(|| AppError::BadRequest("Say why the batch is rejected.".into()))?)
        }
        Action::Hold => Step::Hold(reason.ok_or_else(|| AppError::BadRequest("Say why the batch is held.".into()))?),
        Action::Release => Step::Release,
        Action::Paid => {
            let utr = input.utr.as_deref().unwrap_or("");
            Step::Paid(rules::parse_utr(utr).map_err(AppError::BadRequest)?)
        }
        Action::Failed => {
            let code = input.failure_code.as_deref().unwrap_or("");
            let code = FailureCode::parse(code).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "Choose a failure reason: {}.",
                    FailureCode::ALL.map(|f| f.label()).join(", ")
                ))
            })?;
            let text = code.reason(reason.as_deref()).map_err(AppError::BadRequest)?;
            Step::Failed(code, text)
        }
        Action::Requeue => Step::Requeue(reason),
    })
}

struct Locked {
    batch_ref: String,
    status: Status,
    held_from: Option<Status>,
    created_by: Option<Uuid>,
    net: Paise,
    rail: String,
}

async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<Locked, AppError> {
    let row = sqlx::query!(
        r#"SELECT batch_ref, status, held_from, created_by, net_paise AS "net!: Paise", rail::text AS "rail!"
           FROM settlement_batches WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound("No settlement batch with that id.".into()))?;
    Ok(Locked {
        batch_ref: row.batch_ref,
        status: Status::parse(&row.status).ok_or(AppError::Internal)?,
        held_from: row.held_from.as_deref().and_then(Status::parse),
        created_by: row.created_by,
        net: row.net,
        rail: row.rail,
    })
}

/// Take `action` on batch `id` for `user`. Refused moves (maker-checker, a UTR used before, a
/// status the action does not apply to) are 409s with the reason; nothing changes then.
pub async fn act(
    pool: &sqlx::PgPool,
    user: &CurrentUser,
    ip: Option<&str>,
    id: Uuid,
    action: Action,
    input: &ActionInput,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let step = step(action, input)?;
    let mut tx = pool.begin().await?;
    match action {
        // Undoing a batch touches the reserve ledger, the backlog and carried-forward cycles, which
        // a batch run reads and writes: never at the same time as one.
        Action::Reject => {
            sqlx::query!("SELECT pg_advisory_xact_lock($1)", SETTLEMENT_LOCK).execute(&mut *tx).await?;
        }
        // These re-point the batch at the merchant's account: never while a terms save changes it.
        Action::Release | Action::Requeue => {
            sqlx::query!("SELECT pg_advisory_xact_lock_shared($1)", SETTLEMENT_LOCK).execute(&mut *tx).await?;
        }
        _ => {}
    }
    let batch = lock(&mut tx, id).await?;
    let is_maker = batch.created_by == Some(user.id);
    let to = rules::transition(batch.status, batch.held_from, action, is_maker)
        .map_err(|r| AppError::Conflict(format!("{}: {r}", batch.batch_ref)))?;
    if action == Action::Approve {
        if last_actor(&mut tx, id, "ACCOUNT_CHANGED").await? == Some(user.id) {
            return Err(AppError::Conflict(format!(
                "{}: you changed the account this batch pays into, so another finance user must approve it.",
                batch.batch_ref
            )));
        }
        if unchecked_account_set_by(&mut tx, id).await? == Some(user.id) {
            return Err(AppError::Conflict(format!(
                "{}: you made this account the merchant's primary one and no checker has approved a payout into it \
                 yet, so another finance user must approve it.",
                batch.batch_ref
            )));
        }
    }
    let mut before = json!({ "status": batch.status.code() });
    let mut after = json!({ "status": to.code() });
    let note: Option<String> = match &step {
        Step::Approve => {
            sqlx::query!(
                "UPDATE settlement_batches SET status = $2, approved_by = $3, approved_at = $4 WHERE id = $1",
                id,
                to.code(),
                user.id,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
            decision(&mut tx, id, user.id, "APPROVED", None, now).await?;
            None
        }
        Step::Reject(reason) => {
            let undone = undo_batch(&mut tx, id, &batch.batch_ref).await?;
            sqlx::query!("UPDATE settlement_batches SET status = 'REJECTED', held_from = NULL WHERE id = $1", id)
                .execute(&mut *tx)
                .await?;
            decision(&mut tx, id, user.id, "REJECTED", Some(reason), now).await?;
            after["reason"] = json!(reason);
            after["transactionsReleased"] = json!(undone.transactions);
            after["deductionsReversedPaise"] = json!(undone.deductions);
            Some(format!(
                "{reason} — {} transactions released for the merchant's next batch; {} of deductions owed again.",
                undone.transactions,
                undone.deductions.to_inr()
            ))
        }
        Step::Hold(reason) => {
            sqlx::query!(
                "UPDATE settlement_batches SET status = 'ON_HOLD', held_from = $2 WHERE id = $1",
                id,
                batch.status.code(),
            )
            .execute(&mut *tx)
            .await?;
            decision(&mut tx, id, user.id, "ON_HOLD", Some(reason), now).await?;
            after["reason"] = json!(reason);
            Some(reason.clone())
        }
        Step::Release => {
            // A batch held for want of a bank account takes the merchant's account now on file, and
            // then goes to a checker (see `repoint`).
            let to = repoint(&mut tx, id, user.id, to, now).await?;
            sqlx::query!("UPDATE settlement_batches SET status = $2, held_from = NULL WHERE id = $1", id, to.code())
                .execute(&mut *tx)
                .await?;
            after["status"] = json!(to.code());
            None
        }
        Step::Paid(utr) => {
            if batch.status == Status::Failed {
                // Paid after all (a timeout the bank did pay): four eyes, as for a re-queue.
                before["failureReason"] =
                    json!(second_look(&mut tx, id, user, &batch.batch_ref, "mark it paid").await?);
            }
            if let Some(used) = sqlx::query_scalar!(
                "SELECT b.batch_ref FROM settlement_transfers tr JOIN settlement_batches b ON b.id = tr.batch_id
                 WHERE tr.utr = $1",
                utr,
            )
            .fetch_optional(&mut *tx)
            .await?
            {
                return Err(AppError::Conflict(format!(
                    "UTR {utr} is already recorded for batch {used}; a UTR is used once."
                )));
            }
            // The batch's last transfer: the one sent, or the one marked failed that the bank paid
            // after all (its failure stays on it, for the record).
            let transfer = sqlx::query_scalar!(
                "UPDATE settlement_transfers SET status = 'PAID', utr = $2, completed_at = $3, verification = 'UNVERIFIED'
                 WHERE id = (SELECT id FROM settlement_transfers WHERE batch_id = $1 ORDER BY id DESC LIMIT 1)
                   AND status IN ('SENT', 'FAILED')
                 RETURNING id",
                id,
                utr,
                now as DateTime<Utc>,
            )
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| unique_utr(e, utr))?
            .ok_or_else(|| AppError::Conflict(format!("{}: the batch has no transfer sent to the bank.", batch.batch_ref)))?;
            let paid = sqlx::query_scalar!(
                "UPDATE settlement_batches SET status = 'PAID', paid_at = $2, payout_utr = $3, failure_reason = NULL
                 WHERE id = $1 RETURNING txn_count",
                id,
                now as DateTime<Utc>,
                utr,
            )
            .fetch_one(&mut *tx)
            .await?;
            after["utr"] = json!(utr);
            after["transactionsPaid"] = json!(paid);
            verify(&mut tx, Verify::Transfer(transfer), now).await?;
            Some(format!("UTR {utr}"))
        }
        Step::Failed(code, reason) => {
            sqlx::query!(
                "UPDATE settlement_transfers SET status = 'FAILED', failure_code = $2, failure_reason = $3, completed_at = $4
                 WHERE batch_id = $1 AND status = 'SENT'",
                id,
                code.code(),
                reason,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE settlement_batches SET status = 'FAILED', failure_reason = $2 WHERE id = $1",
                id,
                reason
            )
            .execute(&mut *tx)
            .await?;
            after["failureReason"] = json!(reason);
            Some(reason.clone())
        }
        Step::Requeue(reason) => {
            // Four eyes on a second payment: whoever marked the transfer failed does not send it again.
            before["failureReason"] = json!(second_look(&mut tx, id, user, &batch.batch_ref, "re-queue it").await?);
            if let Some(debit) = debited_after_failure(&mut tx, id, &batch.batch_ref).await? {
                return Err(AppError::Conflict(debit.refusal(&batch.batch_ref)));
            }
            // The next transfer goes to the merchant's account on file now (it may have been
            // corrected after the failure); a different account goes to a checker first.
            let to = repoint(&mut tx, id, user.id, to, now).await?;
            sqlx::query!(
                "UPDATE settlement_batches SET status = $2, failure_reason = NULL, sent_at = NULL, payout_utr = NULL
                 WHERE id = $1",
                id,
                to.code(),
            )
            .execute(&mut *tx)
            .await?;
            after["status"] = json!(to.code());
            Some(reason.clone().unwrap_or_else(|| "Queued for a new transfer in the next payout file.".into()))
        }
    };
    event(&mut tx, id, action.event(), Some(user.id), note.as_deref(), now).await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(id.to_string()),
            ip,
            before: Some(before),
            after: Some(after),
            details: Some(format!("{} ({} net, {})", batch.batch_ref, batch.net.to_inr(), batch.rail)),
            ..AuditEntry::by(user, audit_action(action), "settlement_batch")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn audit_action(action: Action) -> &'static str {
    match action {
        Action::Approve => "settlement.batch.approve",
        Action::Reject => "settlement.batch.reject",
        Action::Hold => "settlement.batch.hold",
        Action::Release => "settlement.batch.release",
        Action::Paid => "settlement.batch.paid",
        Action::Failed => "settlement.batch.failed",
        Action::Requeue => "settlement.batch.requeue",
    }
}

/// Two requests racing to record one UTR: the unique index refuses the second.
fn unique_utr(e: sqlx::Error, utr: &str) -> AppError {
    match &e {
        sqlx::Error::Database(d) if d.constraint() == Some("settlement_transfers_utr_key") => {
            AppError::Conflict(format!("UTR {utr} is already recorded for another batch; a UTR is used once."))
        }
        _ => AppError::from(e),
    }
}

async fn decision(
    tx: &mut PgConnection,
    batch: Uuid,
    user: Uuid,
    decision: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO settlement_approvals (batch_id, decided_by, decision, note, decided_at) VALUES ($1, $2, $3, $4, $5)",
        batch,
        user,
        decision,
        note,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Append one event to a batch's timeline.
pub async fn event(
    tx: &mut PgConnection,
    batch: Uuid,
    event: &str,
    actor: Option<Uuid>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO settlement_batch_events (batch_id, event, actor_id, note, at) VALUES ($1, $2, $3, $4, $5)",
        batch,
        event,
        actor,
        note,
        now as DateTime<Utc>,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Which paid transfers to look for in the bank lines.
pub enum Verify {
    /// One transfer just marked paid.
    Transfer(i64),
    /// The DEBIT lines of one uploaded bank file.
    File(Uuid),
}

/// Verify paid, not yet verified transfers against bank DEBIT lines with their UTR: VERIFIED when
/// the amounts agree, AMOUNT_MISMATCH (both amounts in the timeline) when not. Returns how many
/// transfers were matched to a line.
pub async fn verify(tx: &mut PgConnection, which: Verify, now: DateTime<Utc>) -> Result<u64, AppError> {
    let (transfer, file) = match which {
        Verify::Transfer(id) => (Some(id), None),
        Verify::File(id) => (None, Some(id)),
    };
    let verified = sqlx::query!(
        r#"WITH found AS (
               SELECT DISTINCT ON (tr.id) tr.id, tr.batch_id, tr.amount_paise, l.id AS line_id, l.amount_paise AS line_paise
               FROM settlement_transfers tr
               JOIN bank_statement_lines l
                 ON upper(l.utr) = tr.utr AND l.direction = 'DEBIT'
                AND l.txn_date >= (tr.initiated_at AT TIME ZONE 'Asia/Kolkata')::date
               WHERE tr.status = 'PAID' AND tr.bank_line_id IS NULL
                 AND ($1::bigint IS NULL OR tr.id = $1)
                 AND ($2::uuid IS NULL OR l.source_file_id = $2)
               ORDER BY tr.id, (l.amount_paise = tr.amount_paise) DESC, l.id
           )
           UPDATE settlement_transfers tr
           SET bank_line_id = f.line_id, verified_at = $3,
               verification = CASE WHEN f.line_paise = f.amount_paise THEN 'VERIFIED' ELSE 'AMOUNT_MISMATCH' END
           FROM found f WHERE tr.id = f.id
           RETURNING tr.batch_id, tr.verification AS "verification!", f.amount_paise AS "sent!: Paise",
                     f.line_paise AS "debited!: Paise""#,
        transfer,
        file,
        now as DateTime<Utc>,
    )
    .fetch_all(&mut *tx)
    .await?;
    for v in &verified {
        let note = if v.verification == "VERIFIED" {
            format!("Bank DEBIT line of {} found with the payout UTR.", v.debited.to_inr())
        } else {
            format!("Bank DEBIT line of {} does not match the transfer of {}.", v.debited.to_inr(), v.sent.to_inr())
        };
        event(tx, v.batch_id, &v.verification, None, Some(&note), now).await?;
    }
    Ok(verified.len() as u64)
}

/// Point the batch at the merchant's primary account when it differs from the one it pays into
/// (or it had none): the change is recorded, and the batch then needs approval by another finance
/// user than `actor` (`to` becomes PENDING_APPROVAL). Without an account on file nothing changes.
async fn repoint(
    tx: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    to: Status,
    now: DateTime<Utc>,
) -> Result<Status, AppError> {
    // Under the settlement lock (shared, taken by `act`): a terms save, which changes accounts under
    // it exclusively, is never half-way through.
    let changed = sqlx::query!(
        r#"UPDATE settlement_batches b SET bank_account_id = a.id
           FROM merchant_bank_accounts a
           WHERE b.id = $1 AND a.merchant_id = b.merchant_id AND a.is_primary
             AND b.bank_account_id IS DISTINCT FROM a.id
           RETURNING a.ifsc, right(a.account_number, 4) AS "last4!""#,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(account) = changed else { return Ok(to) };
    let note = format!(
        "Pays into the merchant's account on file now ({} ending {}); another finance user approves it.",
        account.ifsc, account.last4
    );
    event(tx, id, "ACCOUNT_CHANGED", Some(actor), Some(&note), now).await?;
    Ok(Status::PendingApproval)
}

/// A failed batch's next step (marked paid after all, or re-queued) is taken by another finance user
/// than the one who marked it failed (`what`: the step, for the refusal); the failure reason, for
/// the audit row's "before".
async fn second_look(
    tx: &mut PgConnection,
    id: Uuid,
    user: &CurrentUser,
    batch_ref: &str,
    what: &str,
) -> Result<Option<String>, AppError> {
    if last_actor(tx, id, "FAILED").await? == Some(user.id) {
        return Err(AppError::Conflict(format!(
            "{batch_ref}: you marked this payout failed, so another finance user must {what}."
        )));
    }
    Ok(sqlx::query_scalar!("SELECT failure_reason FROM settlement_batches WHERE id = $1", id)
        .fetch_one(&mut *tx)
        .await?)
}

/// Who took the last `event` step of a batch's timeline, if anyone did.
async fn last_actor(tx: &mut PgConnection, id: Uuid, event: &str) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT actor_id FROM settlement_batch_events WHERE batch_id = $1 AND event = $2
         ORDER BY at DESC, id DESC LIMIT 1",
        id,
        event,
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten())
}

/// Who made the batch's account the merchant's primary one, while no checker has approved a batch
/// into it since (`settlement_account_unchecked_by`, as batch creation reads it).
async fn unchecked_account_set_by(tx: &mut PgConnection, id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT settlement_account_unchecked_by(bank_account_id) FROM settlement_batches WHERE id = $1",
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten())
}

/// A bank DEBIT line that may be a failed transfer paid after all.
pub struct DebitAfterFailure {
    date: chrono::NaiveDate,
    reference: Option<String>,
    amount: Paise,
}

impl DebitAfterFailure {
    /// Why the batch is not sent again.
    pub fn refusal(&self, batch_ref: &str) -> String {
        format!(
            "{batch_ref}: the bank statement has a DEBIT of {} on {} naming this batch{}: its failed transfer may \
             have gone through. If it did, mark the batch paid with the bank's UTR instead of sending it again.",
            self.amount.to_inr(),
            crate::ist::format_date(self.date),
            self.reference.as_ref().map(|r| format!(" (reference {r})")).unwrap_or_default()
        )
    }
}

/// Whether the bank may have paid one of batch `id`'s transfers although it was marked failed (a
/// timeout, or a failure marked by mistake): a statement DEBIT line of its amount, dated from that
/// transfer on, naming the batch (its reference as a word of the remarks, or as the bank
/// reference), not matched to a transfer, unless as many CREDIT lines naming it returned the money.
/// Checked before the batch is re-queued and again before it goes into a payout file; it sees only
/// the statements uploaded so far, so it catches a payment the bank has reported, not one it has not.
pub async fn debited_after_failure(
    tx: &mut PgConnection,
    id: Uuid,
    batch_ref: &str,
) -> Result<Option<DebitAfterFailure>, AppError> {
    let line = sqlx::query!(
        r#"WITH tr AS (
               SELECT amount_paise, initiated_at FROM settlement_transfers WHERE batch_id = $1 AND status = 'FAILED'
           ),
           named AS (
               SELECT DISTINCT l.id, l.direction, l.txn_date, coalesce(l.utr, l.bank_ref) AS reference, l.amount_paise
               FROM tr JOIN bank_statement_lines l
                 ON l.amount_paise = tr.amount_paise AND l.txn_date >= (tr.initiated_at AT TIME ZONE 'Asia/Kolkata')::date
                AND (upper($2) = ANY (regexp_split_to_array(upper(coalesce(l.remarks, '')), '[^A-Z0-9_-]+'))
                     OR upper(l.bank_ref) = upper($2))
               WHERE NOT EXISTS (SELECT 1 FROM settlement_transfers o WHERE o.bank_line_id = l.id)
           )
           SELECT txn_date AS "date!: chrono::NaiveDate", reference, amount_paise AS "amount!: Paise" FROM named
           WHERE direction = 'DEBIT'
             AND (SELECT count(*) FROM named WHERE direction = 'DEBIT') > (SELECT count(*) FROM named WHERE direction = 'CREDIT')
           ORDER BY txn_date, id LIMIT 1"#,
        id,
        batch_ref,
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(line.map(|l| DebitAfterFailure { date: l.date, reference: l.reference, amount: l.amount }))
}

/// What rejecting a batch gave back.
struct Undone {
    transactions: u64,
    deductions: Paise,
}

/// Undo what making batch `id` did, in the rejecting transaction: its transactions out of it (its
/// items removed) and into the settlement backlog, so the merchant's next batch takes them; each deduction
/// given back to its recovery action or refund (status recomputed) and removed; its reserve
/// released into it returned to the holds (the RELEASE entries removed) and its own holds removed —
/// refused when one of its holds was already released into another batch (holds are released
/// only once their batch is paid, which no rejection follows; the check stays for holds released
/// before that rule); carried-forward cycles
/// it took reopened. The batch row keeps its figures as calculated, for the record.
async fn undo_batch(tx: &mut PgConnection, id: Uuid, batch_ref: &str) -> Result<Undone, AppError> {
    if let Some(other) = sqlx::query_scalar!(
        "SELECT b.batch_ref FROM reserve_ledger h
         JOIN reserve_ledger r ON r.released_entry_id = h.id AND r.kind = 'RELEASE'
         JOIN settlement_batches b ON b.id = r.batch_id
         WHERE h.batch_id = $1 AND h.kind = 'HOLD' AND r.batch_id <> $1 LIMIT 1",
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    {
        return Err(AppError::Conflict(format!(
            "{batch_ref}: its reserve was already released into batch {other}; it cannot be rejected now."
        )));
    }
    // Its transactions wait in the backlog for the merchant's next batch (the batch run takes them).
    sqlx::query!(
        "INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
         SELECT t.id, t.merchant_id, t.cycle_date FROM settlement_items si JOIN transactions t ON t.id = si.transaction_id
         WHERE si.batch_id = $1
         ON CONFLICT (transaction_id) DO NOTHING",
        id,
    )
    .execute(&mut *tx)
    .await?;
    let transactions =
        sqlx::query!("DELETE FROM settlement_items WHERE batch_id = $1", id).execute(&mut *tx).await?.rows_affected();
    let deductions = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(amount_paise), 0)::bigint AS "total!: Paise" FROM settlement_deductions WHERE batch_id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE chargeback_recovery_actions ra
         SET applied_paise = ra.applied_paise - d.amount,
             status = CASE WHEN ra.status = 'CANCELLED' THEN ra.status
                           WHEN ra.applied_paise - d.amount = 0 THEN 'PENDING' ELSE 'PARTIALLY_APPLIED' END
         FROM (SELECT recovery_action_id, sum(amount_paise)::bigint AS amount FROM settlement_deductions
               WHERE batch_id = $1 AND recovery_action_id IS NOT NULL GROUP BY recovery_action_id) d
         WHERE ra.id = d.recovery_action_id",
        id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE merchant_refunds r
         SET applied_paise = r.applied_paise - d.amount,
             status = CASE WHEN r.applied_paise - d.amount = 0 THEN 'PENDING' ELSE 'PARTIALLY_APPLIED' END
         FROM (SELECT refund_id, sum(amount_paise)::bigint AS amount FROM settlement_deductions
               WHERE batch_id = $1 AND refund_id IS NOT NULL GROUP BY refund_id) d
         WHERE r.id = d.refund_id",
        id,
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM settlement_deductions WHERE batch_id = $1", id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM reserve_ledger WHERE batch_id = $1 AND kind = 'RELEASE'", id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM reserve_ledger WHERE batch_id = $1 AND kind = 'HOLD'", id).execute(&mut *tx).await?;
    sqlx::query!("UPDATE settlement_carry_forwards SET into_batch_id = NULL WHERE into_batch_id = $1", id)
        .execute(&mut *tx)
        .await?;
    Ok(Undone { transactions, deductions })
}
