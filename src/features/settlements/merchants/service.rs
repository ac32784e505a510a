//! The merchant terms use cases, shared by the pages' server functions and the JSON API: every
//! signed-in role reads the terms (account numbers masked); only an admin changes them, and only
//! an admin's edit form carries the full account number.

use chrono::NaiveDate;

use super::commands::{self, terms_json};
use super::model::{
    commission_lines, version_statuses, MerchantRow, MerchantView, MerchantsView, NewTerms, TermsForm, TermsInput,
    TermsJson, VersionRow,
};
use super::queries;
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::features::settlements::rules::{self, MerchantTerms};
use crate::features::settlements::terms::{holiday_calendar_end, terms_on};
use crate::state::AppState;

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("No merchant {id}."))
}

fn today(state: &AppState) -> NaiveDate {
    crate::ist::today(state.clock.now())
}

/// Every merchant with the terms in force today (accounts masked), and the holiday calendar.
pub async fn list(state: &AppState, caller: &CurrentUser) -> Result<MerchantsView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let today = today(state);
    let mut conn = state.pool.acquire().await?;
    let heads = queries::merchants(&mut conn).await?;
    let ids: Vec<String> = heads.iter().map(|h| h.id.clone()).collect();
    let mut terms = terms_on(&mut conn, today, &ids).await?;
    let mut accounts = queries::primary_accounts(&mut conn, &ids).await?;
    let holidays = queries::holidays(&mut conn).await?;
    let unknown = super::codes::unknown(&mut conn).await?;
    let merchants = heads
        .into_iter()
        .map(|h| MerchantRow {
            terms: terms.remove(&h.id).unwrap_or_else(|| MerchantTerms::defaults(&h.id, false)),
            account: accounts.remove(&h.id).map(|a| a.masked()),
            id: h.id,
            name: h.name,
            legal_name: h.legal_name,
        })
        .collect();
    let end = holiday_calendar_end(&mut conn, today).await?;
    let holiday_note = rules::holiday_calendar_warning(today, end);
    Ok(MerchantsView { today, merchants, holidays, holiday_note, unknown, can_admin: user.may(Access::ADMIN) })
}

async fn versions(conn: &mut sqlx::PgConnection, id: &str, today: NaiveDate) -> Result<Vec<VersionRow>, AppError> {
    let records = queries::versions(conn, id).await?;
    let statuses = version_statuses(&records.iter().map(|r| r.effective_from).collect::<Vec<_>>(), today);
    Ok(records
        .into_iter()
        .zip(statuses)
        .map(|(r, status)| VersionRow {
            effective_from: r.effective_from,
            changed_by: r.changed_by,
            changed_at: r.changed_at,
            status,
        })
        .collect())
}

/// One merchant's page: the terms in force today, the versions, and for an admin the edit form.
pub async fn merchant(state: &AppState, caller: &CurrentUser, id: &str) -> Result<MerchantView, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let today = today(state);
    let mut conn = state.pool.acquire().await?;
    let head = queries::merchant(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let terms = terms_on(&mut conn, today, std::slice::from_ref(&head.id))
        .await?
        .remove(&head.id)
        .ok_or_else(|| not_found(id))?;
    let account = queries::primary_account(&mut conn, &head.id).await?;
    let versions = versions(&mut conn, &head.id, today).await?;
    let aliases = super::codes::aliases(&mut conn, &head.id).await?;
    let edit = user.may(Access::ADMIN).then(|| TermsForm::prefill(&head.id, &terms, account.as_ref(), today));
    Ok(MerchantView {
        commission: commission_lines(&terms),
        account: account.map(|a| a.masked()),
        id: head.id,
        name: head.name,
        legal_name: head.legal_name,
        today,
        terms,
        versions,
        edit,
        aliases,
        can_admin: user.may(Access::ADMIN),
    })
}

/// The API's detail: the terms in force on `on` (today when `None`), the merchant's names and versions.
pub async fn detail(
    state: &AppState,
    caller: &CurrentUser,
    id: &str,
    on: Option<NaiveDate>,
) -> Result<(TermsJson, String, String, Vec<VersionRow>), AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let today = today(state);
    let mut conn = state.pool.acquire().await?;
    let head = queries::merchant(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    let terms = terms_json(&mut conn, &head.id, on.unwrap_or(today)).await?;
    let versions = versions(&mut conn, &head.id, today).await?;
    Ok((terms, head.name, head.legal_name, versions))
}

async fn save(
    state: &AppState,
    user: &CurrentUser,
    ip: Option<&str>,
    id: &str,
    new: &NewTerms,
) -> Result<(), AppError> {
    commands::save_terms(&state.pool, user, ip, id, new, state.clock.now()).await
}

/// The admin's edit form: validated whole before anything is written.
pub async fn save_form(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    form: &TermsForm,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let id = form.merchant_id.trim();
    let mut conn = state.pool.acquire().await?;
    queries::merchant(&mut conn, id).await?.ok_or_else(|| not_found(id))?;
    drop(conn);
    let new = form.parse(today(state))?;
    save(state, &user, ip.as_deref(), id, &new).await
}

/// `PUT /v1/merchants/{id}/terms`: the body's fields over the terms in force on its date.
/// Answers the date the new version takes effect.
pub async fn save_api(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<String>,
    id: &str,
    body: &[u8],
) -> Result<NaiveDate, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    let input: TermsInput = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("The body is not valid terms JSON: {e}.")))?;
    let today = today(state);
    let eff = input.effective_from(today)?;
    let mut conn = state.pool.acquire().await?;
    let current = terms_on(&mut conn, eff, &[id.to_string()]).await?.remove(id).ok_or_else(|| not_found(id))?;
    drop(conn);
    let new = input.parse(today, &current)?;
    save(state, &user, ip.as_deref(), id, &new).await?;
    Ok(eff)
}

/// The merchant codes still unknown.
pub async fn unknown(
    state: &AppState,
    caller: &CurrentUser,
) -> Result<Vec<super::model::UnknownMerchantRow>, AppError> {
    authorize(Some(caller), Access::SIGNED_IN)?;
    let mut conn = state.pool.acquire().await?;
    super::codes::unknown(&mut conn).await
}

/// Admin: map an unknown code to an existing merchant; answers the transactions moved.
pub async fn map_unknown(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    code: &str,
    target: &str,
) -> Result<i64, AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    super::codes::map_unknown(&state.pool, &user, ip, code, target).await
}

/// Admin: complete an unknown merchant with its names (and PAN).
pub async fn create(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    code: &str,
    name: &str,
    legal_name: &str,
    pan: Option<&str>,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    super::codes::create(&state.pool, &user, ip, code, name, legal_name, pan).await
}

/// Admin: add an alias to a merchant.
pub async fn add_alias(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &str,
    alias: &str,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    super::codes::add_alias(&state.pool, &user, ip, merchant_id, alias).await
}

/// Admin: remove an alias of a merchant.
pub async fn remove_alias(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    merchant_id: &str,
    alias: &str,
) -> Result<(), AppError> {
    let user = authorize(Some(caller), Access::ADMIN)?;
    super::codes::remove_alias(&state.pool, &user, ip, merchant_id, alias).await
}
