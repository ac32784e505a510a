//! Who is signed in and what they may do. The model (roles, the signed-in user, access policies)
//! is shared with the browser; passwords, sessions, tokens, the guard and the sign-in handlers are
//! server-only.

mod model;
pub mod pages;
mod server_fns;

pub use model::{check_password_policy, Access, CurrentUser, Role, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN};
pub use server_fns::get_current_user;

#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod login;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod tokens;
#[cfg(feature = "ssr")]
pub mod users;
