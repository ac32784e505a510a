//! `GET /api/admin/v1/users`, `POST /api/admin/v1/users` `{"email", "name", "roles", "password"}` →
//! `201 {"id"}`, and `POST /api/admin/v1/users/{id}/actions` `{"action": "disable"|"enable"|"unlock"|
//! "reset"|"roles", "roles", "password"}` → `200` with the user: the users page's API twins (admin
//! only; 403 otherwise, nothing written).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{NewUserForm, UserRow};
use super::service;
use crate::auth::guard::Authorized;
use crate::error::AppError;
use crate::http::responses::JsonBody;
use crate::http::ClientIp;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/users", get(list).post(create)).route("/v1/users/{id}/actions", post(act))
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
