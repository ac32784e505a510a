//! The disputes use cases, shared by the pages' server functions and the JSON API: each
//! authorises the caller (every role reads the desk; operations works cases; compliance takes
//! liability decisions), reads its input into the domain's types, runs the query or the command
//! (which writes the audit rows), and flushes this instance's KPI cache after a change. Uploads
//! and imports are authorised by a [`CaseWorker`] taken before the adapter reads the request
//! body, so a refused caller's file is never read. Network webhooks authenticate by signature.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::commands::{self, Actor, NewCase};
use super::intake::{self, ImportReport, WebhookOutcome};
use super::model::{
    CaseAction, CaseDetail, CasePage, CaseRow, CaseView, CreateForm, DisputesQuery, DisputesView, Document, Kpis,
    ListFilter, OutcomeSummary, Scope, SlaCell, Sort, UiStatus, PAGE_SIZE,
};
use super::{evidence, queries, rules};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{dated_file_name, ist_minute_cell, CsvExport, EXPORT_CAP};
use crate::state::AppState;

pub fn case_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound("No chargeback case with that id.".into()))
}

/// The KPIs of a scope through the notification-flushed cache (see `notified_cache`): the page,
/// the API and the outcome summary all read them here.
async fn kpis_cached(state: &AppState, scope: &Scope) -> Result<Kpis, AppError> {
    state.dispute_kpis.get_or_load(scope.clone(), queries::kpis(&state.pool, scope)).await
}

/// Everything the `/disputes` page shows for its URL.
pub async fn desk_view(
    state: &AppState,
    caller: &CurrentUser,
    query: &DisputesQuery,
) -> Result<DisputesView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let (filter, sort, page_number, window) = query.parse().map_err(AppError::BadRequest)?;
    let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
    let now = state.clock.now();
    let pool = &state.pool;
    let (kpis, outcomes, sla, tabs, page, merchants) = tokio::try_join!(
        kpis_cached(state, &filter.scope),
        queries::outcome_summary(pool, &filter.scope, window, now),
        queries::sla_strip(pool, &filter.scope, now),
        queries::tab_counts(pool, &filter, now),
        queries::list(pool, &filter, sort, PAGE_SIZE, offset, now),
        queries::merchants(pool),
    )?;
    Ok(DisputesView {
        kpis,
        outcomes,
        sla,
        all_count: tabs.iter().map(|(_, n)| n).sum(),
        tab_counts: tabs,
        page,
        page_number,
        sort,
        now,
        merchants,
        can_work: user.may(Access::OPS_WORK),
    })
}

/// One case with what the caller may do with it.
pub async fn case_view(state: &AppState, caller: &CurrentUser, id: &str) -> Result<CaseView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let detail = queries::detail(&state.pool, case_id(id)?).await?;
    let next_statuses = detail
        .case
        .ui_status
        .map(|from| {
            rules::choices(
                from,
                &user.roles,
                detail.documents.iter().filter(|d| d.kind == rules::EVIDENCE_KIND).count() as i64,
            )
        })
        .unwrap_or_default();
    let can_work = user.may(Access::OPS_WORK);
    let assignees = if can_work { queries::assignees(&state.pool).await? } else { Vec::new() };
    Ok(CaseView {
        detail,
        next_statuses,
        can_work,
        can_note: user.may(Access::DISPUTE_DECISIONS),
        assignees,
        now: state.clock.now(),
    })
}

/// The KPIs of a scope.
pub async fn kpis(state: &AppState, caller: &CurrentUser, scope: &Scope) -> Result<Kpis, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    kpis_cached(state, scope).await
}

/// One window of the cases matching a filter and the count of all of them, with the instant it
/// was read at (the SLA bucket of each row is relative to it).
pub async fn list(
    state: &AppState,
    caller: &CurrentUser,
    filter: &ListFilter,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<(CasePage, DateTime<Utc>), AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    Ok((queries::list(&state.pool, filter, sort, limit, offset, now).await?, now))
}

/// Won, lost, the resolution times and the money recovered and written off over the cases closed
/// in the last `days` days.
pub async fn outcome_summary(
    state: &AppState,
    caller: &CurrentUser,
    scope: &Scope,
    days: i64,
) -> Result<OutcomeSummary, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::outcome_summary(&state.pool, scope, days, state.clock.now()).await
}

/// Open cases per deadline bucket.
pub async fn sla_strip(state: &AppState, caller: &CurrentUser, scope: &Scope) -> Result<Vec<SlaCell>, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::sla_strip(&state.pool, scope, state.clock.now()).await
}

/// One case with its documents, timeline and recovery.
pub async fn detail(state: &AppState, caller: &CurrentUser, id: &str) -> Result<CaseDetail, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    queries::detail(&state.pool, case_id(id)?).await
}

/// One action on a case (`status`, `assign`, `note`, `deadline`); each checks the access it needs.
pub async fn apply_action(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    id: &str,
    a: &CaseAction,
) -> Result<(), AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let id = case_id(id)?;
    let result = apply_action_uncached(state, caller, ip, id, a).await;
    // This instance's own readers see the change at once; others when the notification arrives.
    state.dispute_kpis.flush();
    result
}

async fn apply_action_uncached(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<String>,
    id: Uuid,
    a: &CaseAction,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let note = a.note.as_deref().filter(|n| !n.trim().is_empty());
    let who = |access| authorize(Some(user), access).map(|u| Actor::User { user: u, ip: ip.clone() });
    match a.action.as_str() {
        "status" => {
            let actor = who(Access::DISPUTE_DECISIONS)?;
            let to = a.to.as_deref().and_then(UiStatus::parse).ok_or_else(|| {
                AppError::BadRequest("to must be one of open, evidence_required, representment_submitted, pending_bank, won, lost, cancelled.".into())
            })?;
            commands::change_status(&state.pool, &actor, id, to, note, now).await
        }
        "assign" => {
            let actor = who(Access::OPS_WORK)?;
            let assignee = match a.assignee.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => {
                    Some(Uuid::parse_str(s).map_err(|_| AppError::BadRequest("assignee must be a user id.".into()))?)
                }
            };
            let team = a.team.as_deref().map(str::trim).filter(|s| !s.is_empty());
            commands::assign(&state.pool, &actor, id, assignee, team, now).await
        }
        "note" => {
            let actor = who(Access::DISPUTE_DECISIONS)?;
            commands::add_note(&state.pool, &actor, id, a.note.as_deref().unwrap_or(""), now).await
        }
        "deadline" => {
            let actor = who(Access::OPS_WORK)?;
            let date = crate::ist::parse_date(a.evidence_due.as_deref().unwrap_or_default(), "evidenceDue")?;
            commands::change_deadline(&state.pool, &actor, id, date, a.note.as_deref().unwrap_or(""), now).await
        }
        other => Err(AppError::BadRequest(format!("Unknown action {other:?}; use status, assign, note or deadline."))),
    }
}

/// A caller who may work cases (operations), checked before an upload's body is read.
pub struct CaseWorker(Actor);

pub fn case_worker(caller: &CurrentUser, ip: Option<String>) -> Result<CaseWorker, AppError> {
    Ok(CaseWorker(Actor::User { user: authorize(Some(caller), Access::OPS_WORK)?, ip }))
}

/// Attach an evidence document (`kind`: EVIDENCE by default) to a case.
pub async fn upload_document(
    state: &AppState,
    worker: &CaseWorker,
    id: Uuid,
    kind: Option<&str>,
    file: Option<(String, Bytes)>,
) -> Result<Document, AppError> {
    let (file_name, bytes) = file.ok_or_else(|| AppError::BadRequest("Choose a file to upload.".into()))?;
    let kind = kind.unwrap_or(rules::EVIDENCE_KIND);
    evidence::upload(&state.pool, state.objects.as_ref(), &worker.0, id, kind, &file_name, bytes).await
}

/// A case's document: its file name, content type and bytes.
pub async fn download_document(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    document_id: &str,
) -> Result<(String, String, Bytes), AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let document_id = Uuid::parse_str(document_id).map_err(|_| AppError::NotFound("No such document.".into()))?;
    evidence::download(&state.pool, state.objects.as_ref(), case_id(id)?, document_id).await
}

/// Import a network's CSV file of cases (`network`: when the file does not say).
pub async fn import(
    state: &AppState,
    worker: &CaseWorker,
    bytes: &[u8],
    network: Option<&str>,
) -> Result<ImportReport, AppError> {
    let report = intake::import_file(&state.pool, &worker.0, bytes, network, state.clock.now()).await;
    state.dispute_kpis.flush();
    report
}

/// A network's webhook event (spec 03 §3.5): no user; the body's HMAC-SHA256 with the network's
/// secret is the authentication, [`AppError::Unauthorized`] when it is missing or wrong.
pub async fn webhook(
    state: &AppState,
    network: &str,
    signature: Option<&str>,
    body: &[u8],
) -> Result<WebhookOutcome, AppError> {
    let network = network.to_ascii_uppercase();
    let Some(secret) = state.config.dispute_webhook_secrets.get(&network) else {
        return Err(AppError::NotFound(format!("No webhook is configured for network {network}.")));
    };
    if !intake::verify_signature(secret, body, signature) {
        return Err(AppError::Unauthorized);
    }
    let result = intake::handle_webhook(&state.pool, &network, body, state.clock.now()).await;
    state.dispute_kpis.flush();
    result
}

/// The manual form read into a new case, or the first thing wrong with it in words.
fn new_case_from_form(f: &CreateForm) -> Result<NewCase, AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let network = f.network.trim().to_ascii_uppercase();
    if !crate::config::DISPUTE_NETWORKS.contains(&network.as_str()) {
        return Err(bad("Choose the network.".into()));
    }
    let network_case_id = opt(&f.network_case_id).ok_or_else(|| bad("Enter the network's case id.".into()))?;
    let merchant_id = opt(&f.merchant_id).ok_or_else(|| bad("Choose the merchant.".into()))?.to_ascii_uppercase();
    let amount = crate::money::Paise::parse_rupees(&f.amount).map_err(|m| bad(format!("Amount: {m}.")))?;
    if amount.0 <= 0 {
        return Err(bad("Amount must be more than zero.".into()));
    }
    let reason_code = opt(&f.reason_code).ok_or_else(|| bad("Enter the reason code.".into()))?;
    let received = intake::parse_date(&f.received).map_err(|m| bad(format!("Received: {m}.")))?;
    let due =
        opt(&f.due).map(|d| intake::parse_date(&d)).transpose().map_err(|m| bad(format!("Evidence due: {m}.")))?;
    if due.is_some_and(|d| d < received) {
        return Err(bad("The evidence due date is before the received date.".into()));
    }
    Ok(NewCase {
        acquirer: network,
        network_case_id,
        merchant_id,
        merchant_name: None,
        txn_ref: opt(&f.txn_ref),
        rrn: opt(&f.rrn).and_then(|r| crate::domain::stored_ref(&r)),
        utr: opt(&f.utr).and_then(|u| crate::domain::stored_ref(&u)),
        amount,
        fees: crate::money::Paise::ZERO,
        reason_code,
        reason_description: f.reason.trim().to_string(),
        received_at: crate::ist::start_of_day(received),
        evidence_due_at: due.map(commands::deadline_on),
    })
}

/// Create one case from the manual form; a duplicate (network + case id) is refused.
pub async fn create_manual(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    form: &CreateForm,
) -> Result<Uuid, AppError> {
    let actor = Actor::User { user: authorize(Some(caller), Access::OPS_WORK)?, ip };
    let case = new_case_from_form(form)?;
    let mut tx = state.pool.begin().await?;
    let id = commands::create_case(&mut tx, &actor, &case, state.clock.now()).await?.ok_or_else(|| {
        AppError::Conflict(format!("A {} case {} already exists.", case.acquirer, case.network_case_id))
    })?;
    tx.commit().await?;
    state.dispute_kpis.flush();
    Ok(id)
}

/// The columns of the chargebacks export, in order.
const EXPORT_HEADER: &[&str] = &[
    "case_ref",
    "network_case_id",
    "network",
    "merchant_id",
    "merchant_name",
    "txn_ref",
    "rrn",
    "utr",
    "reason_code",
    "reason",
    "category",
    "amount_inr",
    "fees_inr",
    "status",
    "stage",
    "outcome",
    "received_at_ist",
    "evidence_due_at_ist",
    "owner",
];

/// Every case matching the desk's filter (the `/disputes` URL's parameters, up to [`EXPORT_CAP`]),
/// as CSV streamed from the list's own query. Cells that a spreadsheet would run as a formula are
/// quoted with `'` (by the CSV writer).
pub fn export_csv(state: &AppState, caller: &CurrentUser, query: &DisputesQuery) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let now = state.clock.now();
    let (filter, sort, _, _) = query.parse().map_err(AppError::BadRequest)?;
    let name = dated_file_name("chargebacks", now);
    Ok(CsvExport::new(state, user.id, name, EXPORT_HEADER, move |out, mut tx| async move {
        let mut query = queries::export_query(&filter, sort, EXPORT_CAP, now);
        out.write_all(queries::rows(&mut *tx, &mut query), export_cells).await
    }))
}

fn export_cells(r: CaseRow) -> Vec<String> {
    vec![
        r.case_ref,
        r.network_case_id,
        r.acquirer,
        r.merchant_id,
        r.merchant_name,
        r.txn_ref.unwrap_or_default(),
        r.rrn.unwrap_or_default(),
        r.utr.unwrap_or_default(),
        r.reason_code,
        r.reason_description,
        r.category,
        r.chargeback.to_rupees_plain(),
        r.fees.to_rupees_plain(),
        r.ui_status.map(|s| s.label().to_string()).unwrap_or_default(),
        r.stage,
        r.outcome,
        ist_minute_cell(r.received_at),
        r.evidence_due_at.map(ist_minute_cell).unwrap_or_default(),
        r.owner.unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_form_is_validated() {
        let good = CreateForm {
            network: "visa".into(),
            network_case_id: "VCR9".into(),
            merchant_id: "merch_001".into(),
            amount: "1,500.25".into(),
            reason_code: "13.1".into(),
            received: "2026-11-20".into(),
            due: "2026-11-28".into(),
            ..Default::default()
        };
        let case = new_case_from_form(&good).unwrap();
        assert_eq!((case.acquirer.as_str(), case.merchant_id.as_str(), case.amount.0), ("VISA", "MERCH_001", 150025));
        let bad = |f: CreateForm| new_case_from_form(&f).unwrap_err().to_string();
        assert!(bad(CreateForm { network: "AMEX".into(), ..good.clone() }).contains("network"));
        assert!(bad(CreateForm { amount: "0".into(), ..good.clone() }).contains("more than zero"));
        assert!(bad(CreateForm { due: "2026-11-01".into(), ..good.clone() }).contains("before"));
        assert!(bad(CreateForm { network_case_id: " ".into(), ..good }).contains("case id"));
    }
}
