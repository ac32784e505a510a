//! The audit log's use cases, shared by the page's server functions, the JSON API and the command
//! line: authorise (compliance, auditors and admins read the log), parse, then the queries. The
//! auditor's view has personal data in before/after masked (spec 01), in the page, the API and the
//! export alike.

use super::model::{
    mask_free_text, mask_personal, AuditPage, AuditQuery, AuditRow, AuditView, ChainReport, Filter, PAGE_SIZE,
};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::http::csv::{dated_file_name, CsvExport, EXPORT_CAP};
use crate::state::AppState;

/// Whether `caller` sees personal data masked (the free text of [`crate::sheet::Masking::for_roles`]).
fn masks_for(caller: &CurrentUser) -> bool {
    crate::sheet::Masking::for_roles(&caller.roles).free_text
}

fn masked(mut row: AuditRow) -> AuditRow {
    row.before = row.before.as_ref().map(mask_personal);
    row.after = row.after.as_ref().map(mask_personal);
    row.details = row.details.as_deref().map(mask_free_text);
    row
}

/// Everything `/audit` shows for its URL.
pub async fn audit_view(state: &AppState, caller: &CurrentUser, query: &AuditQuery) -> Result<AuditView, AppError> {
    let user = authorize(Some(caller), Access::AUDIT_LOG)?;
    let (filter, page_number) = query.parse().map_err(AppError::BadRequest)?;
    let offset = crate::paging::offset(page_number, PAGE_SIZE).map_err(AppError::BadRequest)?;
    filter.page_allowed(offset).map_err(AppError::BadRequest)?;
    let (mut page, actions, target_types) = tokio::try_join!(
        queries::list(&state.pool, &filter, PAGE_SIZE, offset),
        queries::actions(&state.pool),
        queries::target_types(&state.pool)
    )?;
    let mask = masks_for(&user);
    if mask {
        page.rows = page.rows.into_iter().map(masked).collect();
    }
    Ok(AuditView { filter, page_number, page, actions, target_types, masked: mask })
}

/// A page of the API's list.
/// A page of the API's list, and whether personal data in it was masked for the caller.
pub async fn list(
    state: &AppState,
    caller: &CurrentUser,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(AuditPage, bool), AppError> {
    let user = authorize(Some(caller), Access::AUDIT_LOG)?;
    filter.page_allowed(offset).map_err(AppError::BadRequest)?;
    let mut page = queries::list(&state.pool, filter, limit, offset).await?;
    let mask = masks_for(&user);
    if mask {
        page.rows = page.rows.into_iter().map(masked).collect();
    }
    Ok((page, mask))
}

/// One check of the chain at a time in this instance: each reads the whole log.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// How long a check waits for the one running before it to finish.
pub const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Walk the hash chain: the page's "Verify chain", the API's `verify`. Requests take turns (one
/// full read of the log at a time); one that has waited [`VERIFY_WAIT`] for its turn is told to try
/// again later (429) rather than queue on.
pub async fn verify(state: &AppState, caller: &CurrentUser) -> Result<ChainReport, AppError> {
    authorize(Some(caller), Access::AUDIT_LOG)?;
    let busy = || {
        AppError::TooManyRequests(
            "A check of the audit chain is already running: try again when it has finished.".into(),
        )
    };
    let _permit =
        tokio::time::timeout(VERIFY_WAIT, VERIFYING.acquire()).await.map_err(|_| busy())?.map_err(|_| busy())?;
    queries::verify(&state.pool).await
}

pub const EXPORT_HEADER: &[&str] = &[
    "id",
    "chain_position",
    "at_utc",
    "at_ist",
    "actor",
    "roles",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "ip",
    "before",
    "after",
    "details",
    "row_hash",
];

/// The log's rows for the URL's filter as CSV (newest first, to the export cap), streamed.
pub fn export_csv(state: &AppState, caller: &CurrentUser, query: &AuditQuery) -> Result<CsvExport, AppError> {
    let user = authorize(Some(caller), Access::AUDIT_LOG)?;
    let (filter, _) = query.parse().map_err(AppError::BadRequest)?;
    let mask = masks_for(&user);
    let name = dated_file_name("audit-log", state.clock.now());
    Ok(CsvExport::new(state, user.id, name, EXPORT_HEADER, move |out, mut tx| async move {
        let mut query = queries::export_query(&filter, EXPORT_CAP);
        out.write_all(queries::rows(&mut *tx, &mut query), move |r| export_cells(if mask { masked(r) } else { r }))
            .await
    }))
}

fn export_cells(r: AuditRow) -> Vec<String> {
    let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
    vec![
        r.id.to_string(),
        r.chain_seq.to_string(),
        r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        crate::ist::format_datetime(r.at),
        r.actor.unwrap_or_default(),
        r.roles.join(" "),
        r.action,
        r.target_type,
        r.target_id.unwrap_or_default(),
        if r.success { "success" } else { "failure" }.to_string(),
        r.ip.unwrap_or_default(),
        json(r.before),
        json(r.after),
        r.details.unwrap_or_default(),
        r.row_hash,
    ]
}
