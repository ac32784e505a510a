//! "Create batches for cycle D" (spec 4.2, 4.3), run by a job on the Postgres queue. What is
//! eligible is the database function `settlement_eligible(D)` (the migration says it in full): the
//! cycle's RECONCILED rupee transactions in no batch, and the backlog of earlier batched cycles
//! (carried forward, left out, matched late, given back by a rejection); what a run does not take
//! joins the backlog, and what it takes leaves it. One batch per merchant per cycle, each
//! transaction settled by the terms in force on the cycle date; due reserve released into it, what
//! the merchant owes (LOST chargebacks' recoveries, refunds) deducted up to 30 % of gross. A merchant
//! whose terms would pay less than nothing is left out with the reason; one without a bank account
//! gets its batch on hold. The whole cycle is written in one transaction under one advisory lock,
//! so a second run, or two instances at once, create nothing new, and a run that fails leaves
//! nothing half-written; the job's worker must still hold the job when it commits. Progress
//! (merchants done) is written beside it, outside the transaction, for the page to show.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::RunStarted;
use super::rules::{self, DueRelease, MerchantTerms, Owed, Payment, Plan, Status};
use super::terms;
use crate::audit::{self, AuditEntry};
use crate::auth::CurrentUser;
use crate::domain::SETTLEMENT_LOCK;
use crate::error::AppError;
use crate::ist;
use crate::jobs::{self, Job};
use crate::money::Paise;

pub const JOB_KIND: &str = "settlement.create_batches";

/// Merchants whose transactions are read and written per round trip.
const MERCHANTS_PER_CHUNK: usize = 500;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    pub run_id: Uuid,
    pub cycle_date: NaiveDate,
    pub requested_by: Option<Uuid>,
    pub ip: Option<String>,
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub created: i64,
    /// Merchants of the cycle that already had their batch (nothing new made for them).
    pub skipped: i64,
    pub carried_forward: i64,
    /// Merchants left out, with why ("MERCH_001: …").
    pub problems: Vec<String>,
}

/// Queue a run for `cycle` (one live job per cycle: a second request while one is queued or
/// running answers that one).
pub async fn start(
    pool: &PgPool,
    user: &CurrentUser,
    ip: Option<String>,
    cycle: NaiveDate,
) -> Result<RunStarted, AppError> {
    let mut tx = pool.begin().await?;
    let run_id = Uuid::new_v4();
    let payload = Payload { run_id, cycle_date: cycle, requested_by: Some(user.id), ip: ip.clone() };
    let payload = serde_json::to_value(&payload).map_err(|_| AppError::Internal)?;
    let job_id = jobs::enqueue(&mut *tx, JOB_KIND, &payload, Some(&format!("settle:{cycle}"))).await?;
    let Some(job_id) = job_id else {
        tx.rollback().await?;
        let live = sqlx::query!(
            "SELECT r.id, r.job_id FROM settlement_runs r JOIN jobs j ON j.id = r.job_id
             WHERE r.cycle_date = $1 AND j.status IN ('queued', 'running')
             ORDER BY r.queued_at DESC LIMIT 1",
            cycle as NaiveDate,
        )
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::Conflict("A batch run for that cycle has just finished; refresh the page.".into()))?;
        return Ok(RunStarted { run_id: live.id, job_id: live.job_id, already_running: true });
    };
    sqlx::query!(
        "INSERT INTO settlement_runs (id, job_id, cycle_date, requested_by) VALUES ($1, $2, $3, $4)",
        run_id,
        job_id,
        cycle as NaiveDate,
        user.id,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        AuditEntry {
            target_id: Some(run_id.to_string()),
            ip: ip.as_deref(),
            after: Some(json!({ "cycleDate": cycle, "jobId": job_id })),
            ..AuditEntry::by(user, "settlement.batches.request", "settlement_run")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(RunStarted { run_id, job_id: Some(job_id), already_running: false })
}

/// The job: create the cycle's batches, then record the outcome on the run.
pub async fn execute_job(state: &crate::state::AppState, job: &Job) -> Result<(), String> {
    let payload: Payload = serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad payload: {e}"))?;
    // A job retried after its batches were committed (its worker lost before it could say so) finds
    // the run completed and leaves it so: a cycle once batched stays batched.
    let mark_running = sqlx::query!(
        "UPDATE settlement_runs SET status = 'running', started_at = coalesce(started_at, now()), error = NULL
         WHERE id = $1 AND status <> 'completed'",
        payload.run_id,
    )
    .execute(&state.pool)
    .await;
    match mark_running {
        Err(e) => return Err(format!("could not mark the run running: {e}")),
        Ok(r) if r.rows_affected() == 0 => return Ok(()),
        Ok(_) => {}
    }
    match create(&state.pool, &payload, state.clock.now(), Some(job)).await {
        // The run was recorded completed in the batches' own transaction (see `create`).
        Ok(Some(_)) => Ok(()),
        Ok(None) => {
            Err("another worker took the job over before the batches were committed; nothing was written".into())
        }
        Err(AppError::Unavailable) if job.attempts < job.max_attempts => {
            Err("the database was unavailable; the batch run will be retried".into())
        }
        Err(e) => {
            let message = e.to_string();
            let _ = sqlx::query!(
                "UPDATE settlement_runs SET status = 'failed', error = $2, finished_at = now()
                 WHERE id = $1 AND status <> 'completed'
                   AND EXISTS (SELECT 1 FROM jobs WHERE id = $3 AND locked_by = $4 AND status = 'running')",
                payload.run_id,
                message,
                job.id,
                job.locked_by,
            )
            .execute(&state.pool)
            .await;
            tracing::warn!(run_id = %payload.run_id, error = %message, "settlement batch run failed");
            Ok(())
        }
    }
}

/// The queue failed the job for good (its worker stopped answering on the last attempt).
pub async fn abandoned(db: &mut PgConnection, payload: &serde_json::Value, reason: &str) -> Result<(), AppError> {
    let Ok(payload) = serde_json::from_value::<Payload>(payload.clone()) else { return Ok(()) };
    sqlx::query!(
        "UPDATE settlement_runs SET status = 'failed', finished_at = now(), error = $2
         WHERE id = $1 AND status IN ('queued', 'running')",
        payload.run_id,
        reason,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The run's job is queued again (the jobs console's retry): the run is open again.
pub async fn reopen(db: &mut PgConnection, payload: &serde_json::Value) -> Result<(), AppError> {
    let Ok(payload) = serde_json::from_value::<Payload>(payload.clone()) else { return Ok(()) };
    sqlx::query!(
        "UPDATE settlement_runs SET status = 'queued', finished_at = NULL, error = NULL WHERE id = $1 AND status = 'failed'",
        payload.run_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// What a merchant owes back, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum OwedKey {
    Recovery(Uuid),
    Refund(Uuid),
}

/// Create the batches of `p.cycle_date`. `Ok(None)`: the job was taken over by another worker
/// before the commit, and nothing was written.
pub async fn create(
    pool: &PgPool,
    p: &Payload,
    now: DateTime<Utc>,
    job: Option<&Job>,
) -> Result<Option<Outcome>, AppError> {
    let cycle = p.cycle_date;
    let today = ist::today(now);
    let mut tx = pool.begin().await?;
    // Exclusive: see `SETTLEMENT_LOCK` for who else takes it.
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", SETTLEMENT_LOCK).execute(&mut *tx).await?;

    // Merchants with something to settle (and whether any of it is the cycle's own), and those
    // whose batch for the cycle already exists.
    let candidates = sqlx::query!(
        r#"SELECT merchant_id AS "merchant_id!", bool_or(cycle_date = $1) AS "own_cycle!"
           FROM settlement_eligible($1) GROUP BY merchant_id ORDER BY merchant_id"#,
        cycle as NaiveDate,
    )
    .fetch_all(&mut *tx)
    .await?;
    let batched: Vec<String> =
        sqlx::query_scalar!("SELECT merchant_id FROM settlement_batches WHERE cycle_date = $1", cycle as NaiveDate,)
            .fetch_all(&mut *tx)
            .await?;
    let mut outcome = Outcome { skipped: batched.len() as i64, ..Outcome::default() };
    let own_cycle: HashMap<String, bool> = candidates
        .into_iter()
        .filter(|c| !batched.contains(&c.merchant_id))
        .map(|c| (c.merchant_id, c.own_cycle))
        .collect();
    let mut merchants: Vec<String> = own_cycle.keys().cloned().collect();
    merchants.sort();
    sqlx::query!("UPDATE settlement_runs SET merchants_total = $2 WHERE id = $1", p.run_id, merchants.len() as i32)
        .execute(pool)
        .await?;

    let terms = terms::terms_on(&mut tx, cycle, &merchants).await?;
    let holidays = terms::holidays_between(&mut tx, cycle, cycle + Duration::days(120)).await?;
    let mut owed = owed(&mut tx, &merchants).await?;
    let mut due = due_releases(&mut tx, &merchants, today).await?;
    // Each merchant's primary account, and who made it primary while no checker has approved a
    // batch into it since (`settlement_account_unchecked_by`).
    let accounts: HashMap<String, Account> = sqlx::query!(
        r#"SELECT a.merchant_id, a.id, a.ifsc, right(a.account_number, 4) AS "last4!", u.email AS "unchecked_by?"
           FROM merchant_bank_accounts a LEFT JOIN users u ON u.id = settlement_account_unchecked_by(a.id)
           WHERE a.is_primary AND a.merchant_id = ANY($1)"#,
        &merchants,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.merchant_id, Account { id: r.id, ifsc: r.ifsc, last4: r.last4, unchecked_by: r.unchecked_by }))
    .collect();

    let mut done = 0usize;
    for chunk in merchants.chunks(MERCHANTS_PER_CHUNK) {
        let Eligible { payments, identities } = eligible_payments(&mut tx, cycle, chunk).await?;
        let mut w = Writes::default();
        for merchant in chunk {
            let pays = payments.get(merchant).map(Vec::as_slice).unwrap_or_default();
            if pays.is_empty() {
                continue;
            }
            let Some(t) = terms.get(merchant) else {
                outcome.problems.push(format!("{merchant}: no settlement terms on file"));
                w.wait(pays);
                continue;
            };
            let merchant_owed = owed.remove(merchant).unwrap_or_default();
            let merchant_due = due.remove(merchant).unwrap_or_default();
            match rules::plan(t, pays, &merchant_owed, &merchant_due) {
                Err(problem) => {
                    outcome.problems.push(format!("{merchant}: {problem}"));
                    w.wait(pays);
                }
                // Only a cycle of the merchant's own is recorded as carried: one made of earlier
                // carried cycles alone is still waiting under their rows.
                Ok(Plan::CarryForward { txn_count, gross, net, minimum }) => {
                    w.wait(pays);
                    if own_cycle.get(merchant).copied().unwrap_or(false) {
                        outcome.carried_forward += 1;
                        w.carry.push((merchant.clone(), txn_count as i32, gross.0, net.0, minimum.0));
                    }
                }
                Ok(Plan::Batch(b)) => {
                    outcome.created += 1;
                    let account = accounts.get(merchant);
                    w.add_batch(Uuid::new_v4(), merchant, cycle, t, &b, account, &holidays, &identities, now)?;
                }
            }
        }
        w.write(&mut tx, cycle, p, now).await?;
        done += chunk.len();
        sqlx::query!("UPDATE settlement_runs SET merchants_done = $2 WHERE id = $1", p.run_id, done as i32)
            .execute(pool)
            .await?;
    }

    // What this run took leaves the backlog (what it left joined it, in `Writes::write`).
    sqlx::query!(
        "DELETE FROM settlement_backlog k USING settlement_items si WHERE si.transaction_id = k.transaction_id"
    )
    .execute(&mut *tx)
    .await?;

    let requester = match p.requested_by {
        Some(id) => {
            sqlx::query!("SELECT email FROM users WHERE id = $1", id).fetch_optional(&mut *tx).await?.map(|r| r.email)
        }
        None => None,
    };
    // Completed in the same transaction as the batches: a cycle is batched (for late matches, see
    // `settlement_cycle_batched`) exactly when its batches are there.
    sqlx::query!(
        "UPDATE settlement_runs SET status = 'completed', finished_at = now(), created = $2, skipped = $3,
                carried_forward = $4, problems = $5, merchants_done = merchants_total
         WHERE id = $1",
        p.run_id,
        outcome.created as i32,
        outcome.skipped as i32,
        outcome.carried_forward as i32,
        &outcome.problems,
    )
    .execute(&mut *tx)
    .await?;
    if let Some(job) = job {
        if !jobs::still_held(&mut tx, job).await? {
            tx.rollback().await?;
            return Ok(None);
        }
    }
    // The audit row last, just before the commit (the audit chain's lock, see `crate::audit`).
    audit::record(
        &mut *tx,
        AuditEntry {
            actor_id: p.requested_by,
            actor_email: requester.as_deref(),
            action: "settlement.batches.create",
            target_type: "settlement_run",
            target_id: Some(p.run_id.to_string()),
            success: true,
            ip: p.ip.as_deref(),
            after: Some(json!({
                "cycleDate": cycle,
                "created": outcome.created,
                "skipped": outcome.skipped,
                "carriedForward": outcome.carried_forward,
                "leftOut": outcome.problems,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(outcome))
}

/// A transaction as the settlement report shows it, copied onto its item (migration
/// 20261211000001). Read with the payment it belongs to: an eligible transaction is RECONCILED, and
/// only a PENDING one's identity is ever changed (the upload's upsert), so what was read is what
/// the transaction holds when its item is written, without reading it a second time.
struct Identity {
    txn_id: String,
    txn_at: DateTime<Utc>,
    method: String,
    acquirer: Option<String>,
    utr: Option<String>,
    rrn: Option<String>,
}

/// The eligible transactions of a chunk of merchants: per merchant in id order, and each one's
/// identity by transaction id.
struct Eligible {
    payments: HashMap<String, Vec<Payment>>,
    identities: HashMap<i64, Identity>,
}

/// The eligible transactions of `merchants` for the cycle.
async fn eligible_payments(
    tx: &mut PgConnection,
    cycle: NaiveDate,
    merchants: &[String],
) -> Result<Eligible, AppError> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", merchant_id AS "merchant_id!", amount_paise AS "amount_paise!",
                  payment_method::text AS "method!", acquirer, txn_id AS "txn_id!", txn_at AS "txn_at!: DateTime<Utc>", utr, rrn
           FROM settlement_eligible($1) WHERE merchant_id = ANY($2)
           ORDER BY merchant_id, id"#,
        cycle as NaiveDate,
        merchants,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut payments: HashMap<String, Vec<Payment>> = HashMap::new();
    let mut identities = HashMap::with_capacity(rows.len());
    for r in rows {
        identities.insert(
            r.id,
            Identity {
                txn_id: r.txn_id,
                txn_at: r.txn_at,
                method: r.method.clone(),
                acquirer: r.acquirer.clone(),
                utr: r.utr,
                rrn: r.rrn,
            },
        );
        payments.entry(r.merchant_id).or_default().push(Payment {
            transaction_id: r.id,
            amount: Paise(r.amount_paise),
            method: r.method,
            bank: r.acquirer,
        });
    }
    Ok(Eligible { payments, identities })
}

/// What each merchant owes back and has not yet had deducted: LOST chargebacks' recovery actions
/// and refunds, oldest first.
async fn owed(tx: &mut PgConnection, merchants: &[String]) -> Result<HashMap<String, Vec<Owed<OwedKey>>>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT kind AS "kind!", id AS "id!", merchant_id AS "merchant_id!", outstanding AS "outstanding!"
           FROM (
               SELECT 'recovery' AS kind, ra.id, ra.merchant_id, ra.amount_paise - ra.applied_paise AS outstanding, ra.created_at AS since
               FROM chargeback_recovery_actions ra
               WHERE ra.merchant_id = ANY($1) AND ra.status IN ('PENDING', 'PARTIALLY_APPLIED')
               UNION ALL
               SELECT 'refund', r.id, r.merchant_id, r.amount_paise - r.applied_paise, r.refunded_at
               FROM merchant_refunds r
               WHERE r.merchant_id = ANY($1) AND r.status <> 'APPLIED'
           ) o
           WHERE outstanding > 0
           ORDER BY since, id"#,
        merchants,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_merchant: HashMap<String, Vec<Owed<OwedKey>>> = HashMap::new();
    for r in rows {
        let key = if r.kind == "refund" { OwedKey::Refund(r.id) } else { OwedKey::Recovery(r.id) };
        by_merchant.entry(r.merchant_id).or_default().push(Owed { key, outstanding: Paise(r.outstanding) });
    }
    Ok(by_merchant)
}

/// Reserve holds due by `today` that no batch has released yet, of batches already paid. A reserve
/// covers the risk of a payout made: a hold whose batch is not paid yet (awaiting approval, sent,
/// failed) waits, and is released into the merchant's first batch after its batch is paid. So a
/// batch that may still be rejected never has its reserve paid out elsewhere (rejecting it would
/// have to take that money back).
async fn due_releases(
    tx: &mut PgConnection,
    merchants: &[String],
    today: NaiveDate,
) -> Result<HashMap<String, Vec<DueRelease>>, AppError> {
    let rows = sqlx::query!(
        "SELECT h.id, h.merchant_id, h.amount_paise
         FROM reserve_ledger h
         WHERE h.kind = 'HOLD' AND h.merchant_id = ANY($1) AND h.release_on <= $2
           AND EXISTS (SELECT 1 FROM settlement_batches b WHERE b.id = h.batch_id AND b.status = 'PAID')
           AND NOT EXISTS (SELECT 1 FROM reserve_ledger r WHERE r.kind = 'RELEASE' AND r.released_entry_id = h.id)
         ORDER BY h.release_on, h.id",
        merchants,
        today as NaiveDate,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_merchant: HashMap<String, Vec<DueRelease>> = HashMap::new();
    for r in rows {
        by_merchant.entry(r.merchant_id).or_default().push(DueRelease { hold_id: r.id, amount: Paise(r.amount_paise) });
    }
    Ok(by_merchant)
}

/// The account a merchant's batch pays into.
struct Account {
    id: Uuid,
    ifsc: String,
    last4: String,
    /// Who made it the merchant's primary account (their email), while no checker has approved a
    /// batch into it since: its batches then wait for approval whatever their amount, and not by
    /// that person (`commands::act`). Accounts on file before the product recorded who set them
    /// count as checked.
    unchecked_by: Option<String>,
}

/// The rows one chunk of merchants writes, as columns for `UNNEST` inserts.
#[derive(Default)]
struct Writes {
    // settlement_batches
    b_id: Vec<Uuid>,
    b_ref: Vec<String>,
    b_merchant: Vec<String>,
    b_status: Vec<String>,
    b_held_from: Vec<Option<String>>,
    b_txns: Vec<i32>,
    b_money: [Vec<i64>; 9],
    b_rail: Vec<String>,
    b_account: Vec<Option<Uuid>>,
    b_approved_at: Vec<Option<DateTime<Utc>>>,
    b_due: Vec<NaiveDate>,
    b_terms: Vec<serde_json::Value>,
    // settlement_items
    i_batch: Vec<Uuid>,
    i_txn: Vec<i64>,
    i_money: [Vec<i64>; 6],
    i_bearer: Vec<String>,
    // and each one's transaction as the report shows it (`Identity`)
    i_txn_id: Vec<String>,
    i_txn_at: Vec<DateTime<Utc>>,
    i_method: Vec<String>,
    i_acquirer: Vec<Option<String>>,
    i_utr: Vec<Option<String>>,
    i_rrn: Vec<Option<String>>,
    // deductions: (batch, kind, recovery id, refund id, amount)
    d_batch: Vec<Uuid>,
    d_kind: Vec<String>,
    d_recovery: Vec<Option<Uuid>>,
    d_refund: Vec<Option<Uuid>>,
    d_amount: Vec<i64>,
    // reserve holds (merchant, batch, amount, release on) and releases (merchant, batch, amount, hold)
    h_merchant: Vec<String>,
    h_batch: Vec<Uuid>,
    h_amount: Vec<i64>,
    h_on: Vec<NaiveDate>,
    r_merchant: Vec<String>,
    r_batch: Vec<Uuid>,
    r_amount: Vec<i64>,
    r_hold: Vec<i64>,
    // timeline (batch, event, note)
    e_batch: Vec<Uuid>,
    e_event: Vec<String>,
    // whether the step is the run's own (by whoever asked for it), not an observation with no actor
    e_by_requester: Vec<bool>,
    e_note: Vec<Option<String>>,
    // carried forward: (merchant, txns, gross, net, minimum)
    carry: Vec<(String, i32, i64, i64, i64)>,
    // each new batch's merchant, for the carried-forward cycles it takes in: (merchant, batch)
    batch_of_merchant: Vec<(String, Uuid)>,
    // eligible transactions no batch took (carried forward, left out): into the backlog
    waiting: Vec<i64>,
}

impl Writes {
    /// `pays` stay unsettled: they wait in the backlog for the merchant's next batch.
    fn wait(&mut self, pays: &[Payment]) {
        self.waiting.extend(pays.iter().map(|p| p.transaction_id));
    }

    #[allow(clippy::too_many_arguments)]
    fn add_batch(
        &mut self,
        id: Uuid,
        merchant: &str,
        cycle: NaiveDate,
        terms: &MerchantTerms,
        b: &rules::BatchPlan<OwedKey>,
        account: Option<&Account>,
        holidays: &std::collections::BTreeSet<NaiveDate>,
        identities: &HashMap<i64, Identity>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let t = &b.totals;
        self.b_id.push(id);
        self.b_ref.push(batch_ref(cycle, merchant));
        self.b_merchant.push(merchant.to_string());
        // A first payout to an account nobody has checked goes to a checker, whatever its amount.
        let unchecked = account.filter(|a| a.unchecked_by.is_some());
        let decided = if unchecked.is_some() { Status::PendingApproval } else { b.status };
        // Without a bank account there is nowhere to pay: the batch waits on hold for one (and
        // releasing it, which puts the account on it, sends it to a checker).
        let status = if account.is_some() { decided } else { Status::OnHold };
        self.b_status.push(status.code().to_string());
        self.b_held_from.push(account.is_none().then(|| Status::PendingApproval.code().to_string()));
        self.b_txns.push(t.txn_count as i32);
        for (column, value) in self.b_money.iter_mut().zip([
            t.gross,
            t.commission,
            t.gst,
            t.tds,
            t.reserve,
            t.deductions,
            t.reserve_released,
            t.fees_not_deducted,
            t.net,
        ]) {
            column.push(value.0);
        }
        self.b_rail.push(b.rail.code().to_string());
        self.b_account.push(account.map(|a| a.id));
        self.b_approved_at.push((status == Status::Approved).then_some(now));
        self.b_due.push(rules::payout_due_on(cycle, terms.cycle_days, holidays));
        self.b_terms.push(serde_json::to_value(terms).unwrap_or(serde_json::Value::Null));
        for (txn, item, bearer) in &b.items {
            self.i_batch.push(id);
            self.i_txn.push(*txn);
            for (column, value) in
                self.i_money.iter_mut().zip([item.amount, item.commission, item.gst, item.tds, item.reserve, item.net])
            {
                column.push(value.0);
            }
            self.i_bearer.push(bearer.code().to_string());
            // The plan's items are the payments read with these identities: one missing is a bug.
            let Some(who) = identities.get(txn) else {
                tracing::error!(transaction_id = txn, "a settlement item without its transaction's identity");
                return Err(AppError::Internal);
            };
            self.i_txn_id.push(who.txn_id.clone());
            self.i_txn_at.push(who.txn_at);
            self.i_method.push(who.method.clone());
            self.i_acquirer.push(who.acquirer.clone());
            self.i_utr.push(who.utr.clone());
            self.i_rrn.push(who.rrn.clone());
        }
        for (key, amount) in &b.applied {
            self.d_batch.push(id);
            self.d_amount.push(amount.0);
            match key {
                OwedKey::Recovery(r) => {
                    self.d_kind.push("CHARGEBACK".into());
                    self.d_recovery.push(Some(*r));
                    self.d_refund.push(None);
                }
                OwedKey::Refund(r) => {
                    self.d_kind.push("REFUND".into());
                    self.d_recovery.push(None);
                    self.d_refund.push(Some(*r));
                }
            }
        }
        if t.reserve > Paise::ZERO {
            self.h_merchant.push(merchant.to_string());
            self.h_batch.push(id);
            self.h_amount.push(t.reserve.0);
            self.h_on.push(cycle + Duration::days(i64::from(terms.reserve_hold_days)));
        }
        for r in &b.released {
            self.r_merchant.push(merchant.to_string());
            self.r_batch.push(id);
            self.r_amount.push(r.amount.0);
            self.r_hold.push(r.hold_id);
        }
        self.e_batch.push(id);
        self.e_event.push("CALCULATED".into());
        self.e_by_requester.push(true);
        self.e_note.push(Some(format!("{} transactions of cycle {}", t.txn_count, ist::format_date(cycle))));
        let mut event = |event: &str, by_requester: bool, note: String| {
            self.e_batch.push(id);
            self.e_event.push(event.into());
            self.e_by_requester.push(by_requester);
            self.e_note.push(Some(note));
        };
        match (account, unchecked) {
            (None, _) => event(
                "NO_BANK_ACCOUNT",
                true,
                "The merchant has no bank account on file: held until one is added (then release the hold).".into(),
            ),
            (Some(_), Some(a)) => event(
                "ACCOUNT_UNCHECKED",
                false,
                format!(
                    "Pays into the account {} ending {}, made primary by {} and not yet approved by a checker: \
                     another finance user approves it, whatever the amount.",
                    a.ifsc,
                    a.last4,
                    a.unchecked_by.as_deref().unwrap_or_default()
                ),
            ),
            (Some(_), None) if status == Status::Approved => {
                event("AUTO_APPROVED", true, "Net at or below ₹1,00,000: approved without a checker.".into())
            }
            (Some(_), None) => {
                event("SUBMITTED", true, "Net above ₹1,00,000: waits for another finance user's approval.".into())
            }
        }
        self.batch_of_merchant.push((merchant.to_string(), id));
        Ok(())
    }

    async fn write(
        self,
        tx: &mut PgConnection,
        cycle: NaiveDate,
        p: &Payload,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let (run_id, requested_by) = (p.run_id, p.requested_by);
        if !self.b_id.is_empty() {
            let m = &self.b_money;
            sqlx::query!(
                "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
                        commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise,
                        fees_not_deducted_paise, net_paise, rail, bank_account_id, created_by, created_at, approved_at,
                        payout_due_on, terms, run_id, held_from)
                 SELECT b.id, b.batch_ref, b.merchant_id, $4, b.status, b.txn_count, b.gross, b.commission, b.gst, b.tds,
                        b.reserve, b.deductions, b.released, b.fees_not_deducted, b.net, b.rail, b.account, $17, $18,
                        b.approved_at, b.due, b.terms, $22, b.held_from
                 FROM UNNEST($1::uuid[], $2::text[], $3::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[],
                             $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
                             $15::bigint[], $16::text[], $19::uuid[], $20::timestamptz[], $21::date[], $23::jsonb[],
                             $24::text[])
                      AS b(id, batch_ref, merchant_id, status, txn_count, gross, commission, gst, tds, reserve, deductions,
                           released, fees_not_deducted, net, rail, account, approved_at, due, terms, held_from)",
                &self.b_id,
                &self.b_ref,
                &self.b_merchant,
                cycle as NaiveDate,
                &self.b_status,
                &self.b_txns,
                &m[0],
                &m[1],
                &m[2],
                &m[3],
                &m[4],
                &m[5],
                &m[6],
                &m[7],
                &m[8],
                &self.b_rail,
                requested_by,
                now as DateTime<Utc>,
                &self.b_account as &[Option<Uuid>],
                &self.b_approved_at as &[Option<DateTime<Utc>>],
                &self.b_due as &[NaiveDate],
                run_id,
                &self.b_terms,
                &self.b_held_from as &[Option<String>],
            )
            .execute(&mut *tx)
            .await?;
            let im = &self.i_money;
            sqlx::query!(
                "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise,
                        tds_paise, reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
                 SELECT i.batch_id, i.transaction_id, i.amount, i.commission, i.gst, i.tds, i.reserve, i.net,
                        i.fee_bearer, i.txn_id, i.txn_at, i.method::payment_method, i.acquirer, i.utr, i.rrn
                 FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                             $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::timestamptz[], $12::text[],
                             $13::text[], $14::text[], $15::text[])
                      AS i(batch_id, transaction_id, amount, commission, gst, tds, reserve, net, fee_bearer, txn_id,
                           txn_at, method, acquirer, utr, rrn)",
                &self.i_batch,
                &self.i_txn,
                &im[0],
                &im[1],
                &im[2],
                &im[3],
                &im[4],
                &im[5],
                &self.i_bearer,
                &self.i_txn_id,
                &self.i_txn_at as &[DateTime<Utc>],
                &self.i_method,
                &self.i_acquirer as &[Option<String>],
                &self.i_utr as &[Option<String>],
                &self.i_rrn as &[Option<String>],
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "INSERT INTO settlement_batch_events (batch_id, event, actor_id, note, at)
                 SELECT e.batch_id, e.event, CASE WHEN e.by_requester THEN $5::uuid END, e.note, $6
                 FROM UNNEST($1::uuid[], $2::text[], $3::bool[], $4::text[]) AS e(batch_id, event, by_requester, note)",
                &self.e_batch,
                &self.e_event,
                &self.e_by_requester,
                &self.e_note as &[Option<String>],
                requested_by,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.waiting.is_empty() {
            sqlx::query!(
                "INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
                 SELECT t.id, t.merchant_id, t.cycle_date FROM transactions t WHERE t.id = ANY($1)
                 ON CONFLICT (transaction_id) DO NOTHING",
                &self.waiting,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.d_batch.is_empty() {
            sqlx::query!(
                "INSERT INTO settlement_deductions (batch_id, kind, recovery_action_id, refund_id, amount_paise, created_at)
                 SELECT d.batch_id, d.kind, d.recovery, d.refund, d.amount, $6
                 FROM UNNEST($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::bigint[]) AS d(batch_id, kind, recovery, refund, amount)",
                &self.d_batch,
                &self.d_kind,
                &self.d_recovery as &[Option<Uuid>],
                &self.d_refund as &[Option<Uuid>],
                &self.d_amount,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE chargeback_recovery_actions ra
                 SET applied_paise = ra.applied_paise + d.amount,
                     status = CASE WHEN ra.applied_paise + d.amount = ra.amount_paise THEN 'APPLIED' ELSE 'PARTIALLY_APPLIED' END
                 FROM (SELECT recovery, sum(amount)::bigint AS amount
                       FROM UNNEST($1::uuid[], $2::bigint[]) AS x(recovery, amount)
                       WHERE recovery IS NOT NULL GROUP BY recovery) d
                 WHERE ra.id = d.recovery",
                &self.d_recovery as &[Option<Uuid>],
                &self.d_amount,
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE merchant_refunds r
                 SET applied_paise = r.applied_paise + d.amount,
                     status = CASE WHEN r.applied_paise + d.amount = r.amount_paise THEN 'APPLIED' ELSE 'PARTIALLY_APPLIED' END
                 FROM (SELECT refund, sum(amount)::bigint AS amount
                       FROM UNNEST($1::uuid[], $2::bigint[]) AS x(refund, amount)
                       WHERE refund IS NOT NULL GROUP BY refund) d
                 WHERE r.id = d.refund",
                &self.d_refund as &[Option<Uuid>],
                &self.d_amount,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.h_batch.is_empty() {
            sqlx::query!(
                "INSERT INTO reserve_ledger (merchant_id, batch_id, kind, amount_paise, release_on, created_at)
                 SELECT h.merchant_id, h.batch_id, 'HOLD', h.amount, h.release_on, $5
                 FROM UNNEST($1::text[], $2::uuid[], $3::bigint[], $4::date[]) AS h(merchant_id, batch_id, amount, release_on)",
                &self.h_merchant,
                &self.h_batch,
                &self.h_amount,
                &self.h_on as &[NaiveDate],
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.r_batch.is_empty() {
            sqlx::query!(
                "INSERT INTO reserve_ledger (merchant_id, batch_id, kind, amount_paise, released_entry_id, created_at)
                 SELECT r.merchant_id, r.batch_id, 'RELEASE', r.amount, r.hold, $5
                 FROM UNNEST($1::text[], $2::uuid[], $3::bigint[], $4::bigint[]) AS r(merchant_id, batch_id, amount, hold)",
                &self.r_merchant,
                &self.r_batch,
                &self.r_amount,
                &self.r_hold,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.batch_of_merchant.is_empty() {
            let (merchants, batches): (Vec<String>, Vec<Uuid>) = self.batch_of_merchant.into_iter().unzip();
            sqlx::query!(
                "UPDATE settlement_carry_forwards cf SET into_batch_id = x.batch_id
                 FROM UNNEST($1::text[], $2::uuid[]) AS x(merchant_id, batch_id)
                 WHERE cf.merchant_id = x.merchant_id AND cf.into_batch_id IS NULL AND cf.cycle_date <= $3",
                &merchants,
                &batches,
                cycle as NaiveDate,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !self.carry.is_empty() {
            let mut merchants = Vec::new();
            let mut txns = Vec::new();
            let mut gross = Vec::new();
            let mut net = Vec::new();
            let mut minimum = Vec::new();
            for (m, n, g, nt, min) in self.carry {
                merchants.push(m);
                txns.push(n);
                gross.push(g);
                net.push(nt);
                minimum.push(min);
            }
            sqlx::query!(
                "INSERT INTO settlement_carry_forwards (merchant_id, cycle_date, txn_count, gross_paise, net_paise, min_paise, run_id, created_at)
                 SELECT c.merchant_id, $6, c.txns, c.gross, c.net, c.minimum, $7, $8
                 FROM UNNEST($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[]) AS c(merchant_id, txns, gross, net, minimum)
                 ON CONFLICT (merchant_id, cycle_date) DO UPDATE
                 SET txn_count = EXCLUDED.txn_count, gross_paise = EXCLUDED.gross_paise, net_paise = EXCLUDED.net_paise,
                     min_paise = EXCLUDED.min_paise, run_id = EXCLUDED.run_id, into_batch_id = NULL",
                &merchants,
                &txns,
                &gross,
                &net,
                &minimum,
                cycle as NaiveDate,
                run_id,
                now as DateTime<Utc>,
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// `STL-<cycle yyyymmdd>-<merchant>`: one batch per merchant per cycle, so the reference is unique.
pub fn batch_ref(cycle: NaiveDate, merchant: &str) -> String {
    format!("STL-{}-{merchant}", cycle.format("%Y%m%d"))
}
