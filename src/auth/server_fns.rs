//! The server function the shell uses to show who is signed in.

use super::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// The signed-in user, or `None` on the sign-in page.
#[server(prefix = "/sfn", endpoint = "auth/current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(super::guard::principal_from_context())
}
