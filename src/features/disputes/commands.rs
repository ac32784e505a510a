//! Every change to a case, each in one transaction that also appends the case's audit row
//! (`chargeback_audit`: actor, role, IP, before/after) and the unified audit log.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::model::{UiStatus, TEAMS};
use super::rules::{self, Refusal};
use crate::audit::{self, AuditEntry};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::ist;
use crate::money::Paise;

/// Who makes a change: a signed-in user, or the system acting for an intake channel.
#[derive(Clone, Debug)]
pub enum Actor {
    User { user: CurrentUser, ip: Option<String> },
    System { channel: String },
}

impl Actor {
    fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { user, .. } => Some(user.id),
            Actor::System { .. } => None,
        }
    }

    fn role(&self) -> String {
        match self {
            Actor::User { user, .. } => user.roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(","),
            Actor::System { channel } => channel.clone(),
        }
    }

    fn ip(&self) -> Option<&str> {
        match self {
            Actor::User { ip, .. } => ip.as_deref(),
            Actor::System { .. } => None,
        }
    }

    fn roles(&self) -> &[Role] {
        match self {
            Actor::User { user, .. } => &user.roles,
            Actor::System { .. } => &[],
        }
    }
}

/// Append the case's audit row and the unified audit row.
async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    case_id: Uuid,
    action: &str,
    before: Option<Value>,
    after: Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO chargeback_audit (chargeback_id, action, actor_id, actor_role, ip, before, after)
         VALUES ($1, $2, $3, $4, $5::text::inet, $6, $7)",
        case_id,
        action,
        actor.id(),
        actor.role(),
        actor.ip(),
        before.as_ref(),
        &after
    )
    .execute(&mut *conn)
    .await?;
    let entry = match actor {
        Actor::User { user, ip } => AuditEntry { ip: ip.as_deref(), ..AuditEntry::by(user, action, "chargeback") },
        Actor::System { channel } => AuditEntry {
            action,
            target_type: "chargeback",
            success: true,
            details: Some(channel.clone()),
            ..Default::default()
        },
    };
    audit::record(&mut *conn, AuditEntry { target_id: Some(case_id.to_string()), before, after: Some(after), ..entry })
        .await
}

pub async fn ensure_case(pool: &PgPool, case_id: Uuid) -> Result<(), AppError> {
    let found = sqlx::query_scalar!("SELECT id FROM chargebacks WHERE id = $1", case_id).fetch_optional(pool).await?;
    found.map(|_| ()).ok_or_else(|| AppError::NotFound("No chargeback case with that id.".into()))
}

struct Locked {
    stage: String,
    status: String,
    outcome: String,
    chargeback_paise: Paise,
    merchant_id: String,
    evidence_due_at: Option<DateTime<Utc>>,
    assigned_to: Option<Uuid>,
    assigned_team: Option<String>,
}

impl Locked {
    fn ui(&self) -> Result<UiStatus, AppError> {
        rules::ui_status(&self.stage, &self.status, &self.outcome).ok_or(AppError::Internal)
    }
}

async fn lock(conn: &mut PgConnection, case_id: Uuid) -> Result<Locked, AppError> {
    sqlx::query_as!(
        Locked,
        r#"SELECT stage, status, outcome, chargeback_paise AS "chargeback_paise: Paise", merchant_id,
                  evidence_due_at AS "evidence_due_at: DateTime<Utc>", assigned_to, assigned_team
         FROM chargebacks WHERE id = $1 FOR UPDATE"#,
        case_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::NotFound("No chargeback case with that id.".into()))
}

fn state_json(ui: UiStatus, stage: &str, status: &str, outcome: &str) -> Value {
    json!({ "uiStatus": ui.label(), "stage": stage, "status": status, "outcome": outcome })
}

/// Move a case along the lifecycle, checked by [`rules::check_transition`] (users) or
/// [`rules::network_resolution`] (a network's webhook decision).
pub async fn change_status(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
    to: UiStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    change_status_in(&mut tx, actor, case_id, to, note, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`change_status`] inside the caller's transaction. A user's request is checked here; the system
/// actor applies a network decision its caller has checked with [`rules::network_resolution`].
pub async fn change_status_in(
    tx: &mut PgConnection,
    actor: &Actor,
    case_id: Uuid,
    to: UiStatus,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let case = lock(&mut *tx, case_id).await?;
    let from = case.ui()?;
    let evidence = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM chargeback_documents WHERE chargeback_id = $1 AND kind = $2"#,
        case_id,
        rules::EVIDENCE_KIND
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Actor::User { .. } = actor {
        rules::check_transition(from, to, actor.roles(), evidence).map_err(|refusal| match refusal {
            Refusal::Lifecycle(message) => AppError::Conflict(message),
            Refusal::Role(_) => AppError::Forbidden,
        })?;
    }
    let target = rules::target_state(to);
    let closing = rules::closing_amounts(to, case.chargeback_paise);
    sqlx::query!(
        "UPDATE chargebacks SET stage = $2, status = $3, outcome = $4,
                closed_at = CASE WHEN $3 <> 'OPEN' THEN $5::timestamptz END,
                responded_at = CASE WHEN $2 = 'REPRESENTMENT' THEN coalesce(responded_at, $5) ELSE responded_at END,
                recovered_paise = coalesce($6, recovered_paise),
                written_off_paise = coalesce($7, written_off_paise),
                updated_at = $5
         WHERE id = $1",
        case_id,
        target.stage,
        target.status,
        target.outcome,
        now as DateTime<Utc>,
        closing.map(|c| c.recovered.0),
        closing.map(|c| c.written_off.0)
    )
    .execute(&mut *tx)
    .await?;
    let mut after = state_json(to, target.stage, target.status, target.outcome);
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        after["note"] = json!(note);
    }
    let recovery = closing.and_then(|c| c.recovery_action);
    if let Some(amount) = recovery {
        sqlx::query!(
            "INSERT INTO chargeback_recovery_actions (id, chargeback_id, merchant_id, amount_paise, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chargeback_id) DO NOTHING",
            Uuid::new_v4(),
            case_id,
            &case.merchant_id,
            amount.0,
            now as DateTime<Utc>
        )
        .execute(&mut *tx)
        .await?;
    }
    // The audit rows last (the audit chain's lock, see `crate::audit`).
    record(
        &mut *tx,
        actor,
        case_id,
        "status_changed",
        Some(state_json(from, &case.stage, &case.status, &case.outcome)),
        after,
    )
    .await?;
    if let Some(amount) = recovery {
        record(
            &mut *tx,
            actor,
            case_id,
            "recovery_created",
            None,
            json!({ "kind": "SETTLEMENT_DEDUCTION", "merchantId": case.merchant_id, "amountPaise": amount.0 }),
        )
        .await?;
    }
    Ok(())
}

/// Assign a case to a user who works disputes (or nobody) and a team.
pub async fn assign(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
    assignee: Option<Uuid>,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(team) = team {
        if !TEAMS.contains(&team) {
            return Err(AppError::BadRequest(format!("Team must be one of {}.", TEAMS.join(", "))));
        }
    }
    let mut tx = pool.begin().await?;
    let case = lock(&mut tx, case_id).await?;
    if !case.ui()?.is_open() {
        return Err(AppError::Conflict("A closed case cannot be reassigned.".into()));
    }
    // Read on the transaction: the assignee is judged on the same snapshot the update commits on,
    // and the command never needs a second pool connection while it holds the case lock.
    let new_email = assignable_email(&mut tx, assignee).await?;
    if assignee.is_some() && new_email.is_none() {
        return Err(AppError::BadRequest("Cases can be assigned only to active operations users.".into()));
    }
    let old_email = assignable_email(&mut tx, case.assigned_to).await?;
    sqlx::query!(
        "UPDATE chargebacks SET assigned_to = $2, assigned_team = $3, updated_at = $4 WHERE id = $1",
        case_id,
        assignee,
        team,
        now as DateTime<Utc>
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        actor,
        case_id,
        "assigned",
        Some(json!({ "assignedTo": old_email, "team": case.assigned_team })),
        json!({ "assignedTo": new_email, "team": team }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The email of a user who may hold cases (active, works disputes); `None` for nobody or anyone else.
async fn assignable_email(db: &mut PgConnection, id: Option<Uuid>) -> Result<Option<String>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let worker = crate::auth::users::case_workers(db, Some(&id.to_string())).await?.into_iter().next();
    Ok(worker.map(|w| w.email))
}

/// Add a note (kept on the case and in the timeline).
pub async fn add_note(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::BadRequest("Write the note first.".into()));
    }
    if note.chars().count() > 4000 {
        return Err(AppError::BadRequest("A note may be at most 4,000 characters.".into()));
    }
    let mut tx = pool.begin().await?;
    lock(&mut tx, case_id).await?;
    sqlx::query!(
        "UPDATE chargebacks SET notes = CASE WHEN notes IS NULL OR notes = '' THEN $2 ELSE notes || E'\\n' || $2 END,
                updated_at = $3 WHERE id = $1",
        case_id,
        note,
        now as DateTime<Utc>
    )
    .execute(&mut *tx)
    .await?;
    record(&mut tx, actor, case_id, "note_added", None, json!({ "note": note })).await?;
    tx.commit().await?;
    Ok(())
}

/// The evidence deadline of a date: 23:59 IST that day (as the acquirers' notices put it).
pub fn deadline_on(date: NaiveDate) -> DateTime<Utc> {
    ist::at(date, NaiveTime::from_hms_opt(23, 59, 0).unwrap_or(NaiveTime::MIN))
}

/// Move the evidence deadline of an open case, with the reason.
pub async fn change_deadline(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
    date: NaiveDate,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest("Say why the deadline changes.".into()));
    }
    let mut tx = pool.begin().await?;
    let case = lock(&mut tx, case_id).await?;
    if !case.ui()?.is_open() {
        return Err(AppError::Conflict("A closed case has no deadline to change.".into()));
    }
    let due = deadline_on(date);
    sqlx::query!(
        "UPDATE chargebacks SET evidence_due_at = $2, updated_at = $3 WHERE id = $1",
        case_id,
        due as DateTime<Utc>,
        now as DateTime<Utc>
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        actor,
        case_id,
        "deadline_changed",
        Some(json!({ "evidenceDueAt": case.evidence_due_at.map(|d| d.to_rfc3339()) })),
        json!({ "evidenceDueAt": due.to_rfc3339(), "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub struct NewDocument<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
}

pub async fn record_document(
    pool: &PgPool,
    actor: &Actor,
    doc: NewDocument<'_>,
) -> Result<super::model::Document, AppError> {
    let uploader = actor.id().ok_or(AppError::Forbidden)?;
    let mut tx = pool.begin().await?;
    lock(&mut tx, doc.case_id).await?;
    sqlx::query!(
        "INSERT INTO chargeback_documents (id, chargeback_id, kind, file_name, content_type, size_bytes, sha256,
                                           storage_key, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        doc.id,
        doc.case_id,
        doc.kind,
        doc.file_name,
        doc.content_type,
        doc.size_bytes,
        doc.sha256,
        doc.storage_key,
        uploader
    )
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        actor,
        doc.case_id,
        "document_added",
        None,
        json!({ "documentId": doc.id, "kind": doc.kind, "fileName": doc.file_name, "sizeBytes": doc.size_bytes,
                "sha256": doc.sha256 }),
    )
    .await?;
    tx.commit().await?;
    super::queries::documents(pool, doc.case_id).await?.into_iter().find(|d| d.id == doc.id).ok_or(AppError::Internal)
}

/// A case arriving from a file, a webhook or the manual form, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCase {
    pub acquirer: String,
    pub network_case_id: String,
    pub merchant_id: String,
    pub merchant_name: Option<String>,
    pub txn_ref: Option<String>,
    pub rrn: Option<String>,
    pub utr: Option<String>,
    pub amount: Paise,
    pub fees: Paise,
    pub reason_code: String,
    pub reason_description: String,
    pub received_at: DateTime<Utc>,
    pub evidence_due_at: Option<DateTime<Utc>>,
}

/// Insert a case unless (acquirer, network case id) exists: `Ok(Some(id))` when created,
/// `Ok(None)` for a duplicate, `Err(BadRequest)` when it cannot be accepted (unknown merchant,
/// amount above the linked transaction). Runs inside the caller's transaction.
pub async fn create_case(
    conn: &mut PgConnection,
    actor: &Actor,
    case: &NewCase,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, AppError> {
    match insert_case(conn, case, now).await? {
        Some(created) => Ok(Some(record_created(conn, actor, created).await?)),
        None => Ok(None),
    }
}

/// A case just inserted, for its audit rows.
pub struct CreatedCase {
    id: Uuid,
    after: Value,
}

/// The audit rows of a created case. An import of many cases writes them all after its last
/// insert: the audit chain's lock is held from the first audit row to the commit (see
/// `crate::audit`), never while the import waits on other rows.
pub async fn record_created(conn: &mut PgConnection, actor: &Actor, created: CreatedCase) -> Result<Uuid, AppError> {
    record(conn, actor, created.id, "created", None, created.after).await?;
    Ok(created.id)
}

/// [`create_case`] without its audit rows (see [`record_created`]).
pub async fn insert_case(
    conn: &mut PgConnection,
    case: &NewCase,
    now: DateTime<Utc>,
) -> Result<Option<CreatedCase>, AppError> {
    let merchant = sqlx::query_scalar!("SELECT name FROM merchants WHERE id = $1", &case.merchant_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(merchant_name) = merchant else {
        return Err(AppError::BadRequest(format!("Merchant {} is not known.", case.merchant_id)));
    };
    // Correlate with one of the case's merchant's transactions: by transaction id, then UTR, then
    // RRN (another merchant's payment with the same reference is not this case's).
    let txn = sqlx::query!(
        r#"SELECT id, amount_paise AS "amount_paise: Paise", txn_id FROM transactions
         WHERE (($1::text IS NOT NULL AND txn_id = $1)
            OR ($2::text IS NOT NULL AND utr = $2)
            OR ($3::text IS NOT NULL AND rrn = $3))
           AND merchant_id = $4
         ORDER BY (txn_id = $1) DESC NULLS LAST, (utr = $2) DESC NULLS LAST, id LIMIT 1"#,
        case.txn_ref.as_deref(),
        case.utr.as_deref(),
        case.rrn.as_deref(),
        &case.merchant_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let original_gross = txn.as_ref().map(|t| t.amount_paise).unwrap_or(case.amount);
    if case.amount > original_gross {
        return Err(AppError::BadRequest(format!(
            "The chargeback of {} is more than the linked transaction's {original_gross}.",
            case.amount
        )));
    }
    let (category, description) = rules::classify_reason(&case.reason_code, &case.reason_description);
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('chargebacks.case_ref'))").fetch_one(&mut *conn).await?;
    let year = ist::date_of(now).format("%Y").to_string();
    let prefix = format!("CB-{year}-");
    let last = sqlx::query_scalar!(
        r#"SELECT max(substr(case_ref, length($1) + 1)::bigint) AS "last?" FROM chargebacks
         WHERE case_ref LIKE $1 || '%' AND substr(case_ref, length($1) + 1) ~ '^[0-9]+$'"#,
        &prefix
    )
    .fetch_one(&mut *conn)
    .await?;
    let case_ref = format!("{prefix}{:04}", last.unwrap_or(0) + 1);
    let id = Uuid::new_v4();
    let inserted = sqlx::query_scalar!(
        "INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name, transaction_id,
                                  txn_ref, rrn, utr, original_gross_paise, chargeback_paise, fees_paise, reason_code,
                                  reason_description, category, stage, status, outcome, received_at, evidence_due_at,
                                  created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text, 'NEW', 'OPEN', 'PENDING',
                 $17, $18, $19, $19)
         ON CONFLICT (acquirer, network_case_id) DO NOTHING RETURNING id",
        id,
        &case_ref,
        &case.acquirer,
        &case.network_case_id,
        &case.merchant_id,
        case.merchant_name.clone().unwrap_or(merchant_name),
        txn.as_ref().map(|t| t.id),
        case.txn_ref.clone().or(txn.as_ref().map(|t| t.txn_id.clone())),
        case.rrn.as_deref(),
        case.utr.as_deref(),
        original_gross.0,
        case.amount.0,
        case.fees.0,
        case.reason_code.trim(),
        &description,
        category,
        case.received_at as DateTime<Utc>,
        case.evidence_due_at as Option<DateTime<Utc>>,
        now as DateTime<Utc>
    )
    .fetch_optional(&mut *conn)
    .await?;
    if inserted.is_none() {
        return Ok(None);
    }
    let after = json!({ "caseRef": case_ref, "stage": "NEW", "status": "OPEN", "outcome": "PENDING",
                        "acquirer": case.acquirer, "networkCaseId": case.network_case_id, "amountPaise": case.amount.0,
                        "linkedTransaction": txn.map(|t| t.txn_id) });
    Ok(Some(CreatedCase { id, after }))
}
