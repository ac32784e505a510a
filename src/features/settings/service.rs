//! Settings' use cases, shared by the pages' server functions and the JSON API: authorise (users
//! are the admin's; one's own password is everyone's), validate, then the command, then flush this
//! instance's principals cache (the others flush on the `users` table's notification).

use uuid::Uuid;

use super::model::{NewUserForm, PasswordChangeForm, UserAction, UserRow, UsersView};
use super::{commands, queries};
use crate::auth::guard::authorize;
use crate::auth::{Access, CurrentUser};
use crate::error::AppError;
use crate::state::AppState;

/// Every user, for `/settings`.
pub async fn users_view(state: &AppState, caller: &CurrentUser) -> Result<UsersView, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    Ok(UsersView { users: queries::users(&state.pool).await?, now: state.clock.now(), me: admin.id })
}

/// Every user, for the API.
pub async fn users(state: &AppState, caller: &CurrentUser) -> Result<Vec<UserRow>, AppError> {
    authorize(Some(caller), Access::ADMIN)?;
    queries::users(&state.pool).await
}

/// Create a user (400 with the reason for a weak password, a bad e-mail or one already taken).
pub async fn create_user(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &NewUserForm,
) -> Result<Uuid, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    let id = commands::create_user(&state.pool, &admin, ip, new).await?;
    state.principals.flush();
    Ok(id)
}

/// Act on a user: `action` with its fields (`roles` for "roles", `password` for "reset").
pub async fn act(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    id: &str,
    action: &str,
    roles: &[String],
    password: Option<&str>,
) -> Result<UserRow, AppError> {
    let admin = authorize(Some(caller), Access::ADMIN)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("No such user.".into()))?;
    let action = UserAction::parse(action, roles, password).map_err(AppError::BadRequest)?;
    let row = commands::act(&state.pool, &admin, ip, id, action, state.clock.now()).await?;
    state.principals.flush();
    Ok(row)
}

/// The caller's session under a new id, its owner recorded again (as at sign-in) only while the
/// password is still `password_hash` (the one just set): after a password change, a copy of the
/// old cookie opens nothing, and a reset that landed meanwhile leaves no session.
pub async fn renew_session(
    state: &AppState,
    caller: &CurrentUser,
    session: &tower_sessions::Session,
    password_hash: &str,
) -> Result<(), AppError> {
    let failed = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "could not renew a session after a password change");
        AppError::Internal
    };
    session.cycle_id().await.map_err(failed)?;
    session.save().await.map_err(failed)?;
    let id = session.id().ok_or(AppError::Internal)?;
    if !crate::auth::users::own_session(&state.pool, caller.id, &id.to_string(), Some(password_hash)).await? {
        return Err(AppError::Unauthorized);
    }
    Ok(())
}

/// Change one's own password (any signed-in user); their other sessions end. The new hash, for
/// [`renew_session`].
pub async fn change_own_password(
    state: &AppState,
    caller: &CurrentUser,
    ip: Option<&str>,
    form: &PasswordChangeForm,
    keep_session: Option<&str>,
) -> Result<String, AppError> {
    let user = authorize(Some(caller), Access::SIGNED_IN)?;
    let new = form.parse().map_err(AppError::BadRequest)?;
    let hash = commands::change_own_password(&state.pool, &user, ip, &form.current, &new, keep_session).await?;
    state.principals.flush();
    Ok(hash)
}
