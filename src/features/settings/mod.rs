//! Settings (`/settings`, admin): the users — create (password policy of spec 09), roles, disable /
//! enable (their sessions and API tokens stop at once), unlock, reset a password — each change
//! audited; and `/profile`, where every signed-in user changes their own password (the current one
//! required, their other sessions ended). API twin: `/api/admin/v1/users`.

pub mod model;
mod page;
mod server;
pub mod tuning;

pub use page::{ProfilePage, SettingsPage};
pub use server::{
    change_password, create_token, create_user, get_tokens, get_tuning, get_users, manage_user, revoke_token, save_sla,
    save_tolerances,
};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
mod commands;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod tuning_store;
