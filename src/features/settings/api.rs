//! `GET /api/admin/v1/users`, `POST /api/admin/v1/users` `{"email", "name", "roles", "password"}` →
//! `201 {"id"}`, and `POST /api/admin/v1/users/{id}/actions` `{"action": "disable"|"enable"|"unlock"|
//! "reset"|"roles", "roles", "password"}` → `200` with the user: the users page's API twins (admin
//! only; 403 otherwise, nothing written). The bank layouts: `GET /api/admin/v1/layouts` (every stored
//! layout, as the editor's form has it), `POST /api/admin/v1/layouts` (that form as JSON: a new
//! layout without `id`, an edit with `id` and `version` → `{"id", "changed"}`, 201 for a new one)
//! and `POST /api/admin/v1/layouts/trial` (multipart: `layout`,
//! the form as JSON; then `file` a sample, with `sampled=true` when it is only the file's start, or
//! `uploadId` a stored bank upload) → how the layout reads that file, nothing stored.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::layouts::{LayoutForm, LayoutRow, LayoutTrial};
use super::model::{NewUserForm, UserRow};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::responses::JsonBody;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes(config: &crate::config::Config) -> Router<AppState> {
    Router::new()
        .route("/v1/users", get(list).post(create))
        .route("/v1/users/{id}/actions", post(act))
        .route("/v1/layouts", get(layouts).post(save_layout))
        .route("/v1/layouts/trial", post(trial).layer(DefaultBodyLimit::max(config.upload_max_bytes + 64 * 1024)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserResponse {
    id: String,
    email: String,
    name: String,
    roles: Vec<&'static str>,
    active: bool,
    locked_until: Option<String>,
    last_login_at: Option<String>,
    created_at: String,
    live_tokens: i64,
}

impl From<UserRow> for UserResponse {
    fn from(u: UserRow) -> Self {
        UserResponse {
            id: u.id.to_string(),
            email: u.email,
            name: u.full_name,
            roles: u.roles.iter().map(|r| r.code()).collect(),
            active: u.active,
            locked_until: u.locked_until.map(|t| t.to_rfc3339()),
            last_login_at: u.last_login_at.map(|t| t.to_rfc3339()),
            created_at: u.created_at.to_rfc3339(),
            live_tokens: u.live_tokens,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    Authorized(user): Authorized,
) -> Result<Json<serde_json::Value>, AppError> {
    let users: Vec<UserResponse> = service::users(&state, &user).await?.into_iter().map(UserResponse::from).collect();
    Ok(Json(json!({ "users": users })))
}

async fn create(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    JsonBody(form): JsonBody<NewUserForm>,
) -> Result<Response, AppError> {
    let id = service::create_user(&state, &user, ip.0.as_deref(), &form).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize)]
struct ActionBody {
    action: String,
    #[serde(default)]
    roles: Vec<String>,
    password: Option<String>,
}

async fn act(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ActionBody>,
) -> Result<Json<UserResponse>, AppError> {
    let row =
        service::act(&state, &user, ip.0.as_deref(), &id, &body.action, &body.roles, body.password.as_deref()).await?;
    Ok(Json(UserResponse::from(row)))
}

async fn layouts(
    State(state): State<AppState>,
    Authorized(user): Authorized,
) -> Result<Json<serde_json::Value>, AppError> {
    let layouts = service::layouts(&state, &user).await?;
    let rows: Vec<serde_json::Value> = layouts
        .into_iter()
        .map(|LayoutRow { form, updated_at, updated_by }| {
            json!({ "layout": form, "updatedAt": updated_at.to_rfc3339(), "updatedBy": updated_by })
        })
        .collect();
    Ok(Json(json!({ "layouts": rows })))
}

async fn save_layout(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    JsonBody(form): JsonBody<LayoutForm>,
) -> Result<Response, AppError> {
    let saved = service::save_layout(&state, &user, ip.0.as_deref(), &form).await?;
    let status = if form.id.trim().is_empty() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!({ "id": saved.id, "changed": saved.changed }))).into_response())
}

/// How long the `layout` field of a trial may be: a form's worth of text.
const LAYOUT_FIELD_MAX: usize = 16 * 1024;

async fn trial(
    State(state): State<AppState>,
    Authorized(user): Authorized,
    ip: ClientIp,
    mut multipart: Multipart,
) -> Result<Json<LayoutTrial>, AppError> {
    use crate::http::form::multipart_error;
    // The caller before the body: nobody else's file is read.
    let user = crate::auth::guard::authorize(Some(&user), crate::auth::Access::ADMIN)?;
    let limit = state.config.upload_max_bytes;
    let (mut layout, mut file, mut upload, mut sampled) = (None, None, None, false);
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        match field.name().unwrap_or_default() {
            "layout" => {
                let text = field.text().await.map_err(|e| multipart_error(e, limit))?;
                if text.len() > LAYOUT_FIELD_MAX {
                    return Err(AppError::BadRequest("The layout field is longer than any layout.".into()));
                }
                let form: LayoutForm = serde_json::from_str(&text)
                    .map_err(|e| AppError::BadRequest(format!("The layout could not be read: {e}.")))?;
                layout = Some(form);
            }
            "file" => {
                let name = field.file_name().unwrap_or("sample").to_string();
                file = Some((name, field.bytes().await.map_err(|e| multipart_error(e, limit))?));
            }
            "uploadId" => upload = Some(field.text().await.map_err(|e| multipart_error(e, limit))?),
            "sampled" => sampled = field.text().await.map_err(|e| multipart_error(e, limit))?.trim() == "true",
            _ => {}
        }
    }
    let layout = layout.ok_or_else(|| AppError::BadRequest("Send the layout to try (the field layout).".into()))?;
    let file = match (file, upload.filter(|u| !u.trim().is_empty())) {
        (Some((name, bytes)), None) => service::TrialFile::Sample { name, bytes, sampled },
        (None, Some(id)) => service::TrialFile::Stored(id),
        _ => return Err(AppError::BadRequest("Send either a sample file or the id of a stored bank upload.".into())),
    };
    Ok(Json(service::try_layout(&state, &user, ip.0.as_deref(), &layout, file).await?))
}
