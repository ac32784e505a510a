//! The merchant terms JSON API, mounted under `/api/settlements`: the list, one merchant's terms in
//! force with its versions, and the admin's `PUT` of a new terms version. Amounts are integer
//! paise, rates decimal strings (`"0.0180"`), account numbers masked. Every handler checks the
//! caller's role in the same use case as the pages (`service`).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{MerchantRow, TermsJson, VersionRow};
use super::service;
use crate::auth::guard::Authorized;
use crate::auth::Access;
use crate::error::AppError;
use crate::features::settlements::rules::mask_account;
use crate::http::ClientIp;
use crate::ist::date_param;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/merchants", get(list))
        .route("/v1/merchants/{id}", get(detail))
        .route("/v1/merchants/{id}/terms", put(update))
        .route("/v1/merchant-codes/unknown", get(unknown))
        .route("/v1/merchant-codes/{code}/map", post(map_unknown))
        .route("/v1/merchant-codes/{code}/create", post(create))
        .route("/v1/merchants/{id}/aliases", post(add_alias))
        .route("/v1/merchants/{id}/aliases/{alias}", delete(remove_alias))
}

#[derive(Serialize)]
struct UnknownResponse {
    codes: Vec<super::model::UnknownMerchantRow>,
}

/// `GET /v1/merchant-codes/unknown`: codes files brought that are not merchants yet.
async fn unknown(State(state): State<AppState>, caller: Authorized) -> Result<Json<UnknownResponse>, AppError> {
    let user = caller.require(Access::SIGNED_IN)?;
    Ok(Json(UnknownResponse { codes: service::unknown(&state, &user).await? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MapBody {
    merchant_id: String,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("The body is not the JSON expected: {e}.")))
}

/// `POST /v1/merchant-codes/{code}/map` `{"merchantId"}` (admin): the code's rows go to the
/// merchant and the code becomes its alias.
async fn map_unknown(
    State(state): State<AppState>,
    caller: Authorized,
    ip: ClientIp,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = caller.require(Access::ADMIN)?;
    let b: MapBody = json_body(&body)?;
    let moved = service::map_unknown(&state, &user, ip.0.as_deref(), &code, &b.merchant_id).await?;
    Ok(Json(
        serde_json::json!({ "code": code.trim().to_ascii_uppercase(), "merchantId": b.merchant_id.trim().to_ascii_uppercase(), "transactionsMoved": moved }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: String,
    legal_name: String,
    pan: Option<String>,
}

/// `POST /v1/merchant-codes/{code}/create` `{"name", "legalName", "pan"?}` (admin): the code is a
/// merchant of its own.
async fn create(
    State(state): State<AppState>,
    caller: Authorized,
    ip: ClientIp,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let user = caller.require(Access::ADMIN)?;
    let b: CreateBody = json_body(&body)?;
    service::create(&state, &user, ip.0.as_deref(), &code, &b.name, &b.legal_name, b.pan.as_deref()).await?;
    Ok(Json(serde_json::json!({ "merchantId": code.trim().to_ascii_uppercase() })))
}

#[derive(Deserialize)]
struct AliasBody {
    alias: String,
}

/// `POST /v1/merchants/{id}/aliases` `{"alias"}` (admin).
async fn add_alias(
    State(state): State<AppState>,
    caller: Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<axum::http::StatusCode, AppError> {
    let user = caller.require(Access::ADMIN)?;
    let b: AliasBody = json_body(&body)?;
    service::add_alias(&state, &user, ip.0.as_deref(), &id, &b.alias).await?;
    Ok(axum::http::StatusCode::CREATED)
}

/// `DELETE /v1/merchants/{id}/aliases/{alias}` (admin).
async fn remove_alias(
    State(state): State<AppState>,
    caller: Authorized,
    ip: ClientIp,
    Path((id, alias)): Path<(String, String)>,
) -> Result<axum::http::StatusCode, AppError> {
    let user = caller.require(Access::ADMIN)?;
    service::remove_alias(&state, &user, ip.0.as_deref(), &id, &alias).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// One merchant of `GET /v1/merchants`: the terms in force today.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MerchantSummary {
    id: String,
    name: String,
    legal_name: String,
    has_pan: bool,
    effective_from: Option<NaiveDate>,
    cycle_days: u32,
    min_settlement_paise: i64,
    preferred_rail: &'static str,
    tds_enabled: bool,
    tds_rate: String,
    tds_applied_rate: Option<String>,
    reserve_enabled: bool,
    reserve_rate: String,
    reserve_hold_days: u32,
    account_number_masked: Option<String>,
}

impl From<MerchantRow> for MerchantSummary {
    fn from(m: MerchantRow) -> Self {
        let t = &m.terms;
        MerchantSummary {
            has_pan: t.has_pan,
            effective_from: t.effective_from,
            cycle_days: t.cycle_days,
            min_settlement_paise: t.min_settlement.0,
            preferred_rail: t.preferred_rail.code(),
            tds_enabled: t.tds_enabled,
            tds_rate: super::model::rate_text(t.tds_rate),
            tds_applied_rate: t.tds().map(super::model::rate_text),
            reserve_enabled: t.reserve_enabled,
            reserve_rate: super::model::rate_text(t.reserve_rate),
            reserve_hold_days: t.reserve_hold_days,
            // Masked by the service already; masked again so no path here can print it whole.
            account_number_masked: m.account.as_ref().map(|a| mask_account(&a.account_number)),
            id: m.id,
            name: m.name,
            legal_name: m.legal_name,
        }
    }
}

#[derive(Serialize)]
struct MerchantsResponse {
    merchants: Vec<MerchantSummary>,
}

/// `GET /v1/merchants`.
async fn list(State(state): State<AppState>, caller: Authorized) -> Result<Json<MerchantsResponse>, AppError> {
    let user = caller.require(Access::SIGNED_IN)?;
    let view = service::list(&state, &user).await?;
    Ok(Json(MerchantsResponse { merchants: view.merchants.into_iter().map(MerchantSummary::from).collect() }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionJson {
    effective_from: NaiveDate,
    changed_by: Option<String>,
    changed_at: Option<chrono::DateTime<chrono::Utc>>,
    status: &'static str,
}

impl From<VersionRow> for VersionJson {
    fn from(v: VersionRow) -> Self {
        VersionJson {
            effective_from: v.effective_from,
            changed_by: v.changed_by,
            changed_at: v.changed_at,
            status: v.status.code(),
        }
    }
}

/// `GET /v1/merchants/{id}` and the `PUT`'s answer: the terms, the names, the versions.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MerchantTermsResponse {
    #[serde(flatten)]
    terms: TermsJson,
    name: String,
    legal_name: String,
    versions: Vec<VersionJson>,
}

#[derive(Debug, Default, Deserialize)]
struct DetailParams {
    /// The date to read the terms for (`YYYY-MM-DD`); today (IST) when absent.
    on: Option<String>,
}

async fn terms_response(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    id: &str,
    on: Option<NaiveDate>,
) -> Result<Json<MerchantTermsResponse>, AppError> {
    let (terms, name, legal_name, versions) = service::detail(state, user, id, on).await?;
    Ok(Json(MerchantTermsResponse {
        terms,
        name,
        legal_name,
        versions: versions.into_iter().map(VersionJson::from).collect(),
    }))
}

/// `GET /v1/merchants/{id}?on=YYYY-MM-DD`.
async fn detail(
    State(state): State<AppState>,
    caller: Authorized,
    Path(id): Path<String>,
    Query(params): Query<DetailParams>,
) -> Result<Json<MerchantTermsResponse>, AppError> {
    let user = caller.require(Access::SIGNED_IN)?;
    let on = date_param(&params.on, "on")?;
    terms_response(&state, &user, &id, on).await
}

/// `PUT /v1/merchants/{id}/terms` (admin): a new terms version; answers the terms from its date.
async fn update(
    State(state): State<AppState>,
    caller: Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<MerchantTermsResponse>, AppError> {
    let user = caller.require(Access::ADMIN)?;
    let eff = service::save_api(&state, &user, ip.0, &id, &body).await?;
    terms_response(&state, &user, &id, Some(eff)).await
}
