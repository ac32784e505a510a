//! Settings (`/settings`, admin): the users — create (password policy of spec 09), roles, disable /
//! enable (their sessions and API tokens stop at once), unlock, reset a password — each change
//! audited; and `/profile`, where every signed-in user changes their own password (the current one
//! required, their other sessions ended); API tokens; SLA hours and recon tolerances; and the bank
//! layouts (`/settings/layouts`: list, create, edit with a live preview, test on a stored upload).
//! API twins: `/api/admin/v1/users`, `/api/admin/v1/layouts`.

pub mod layouts;
mod layouts_page;
pub mod model;
mod page;
mod server;
pub mod tuning;

pub use layouts_page::{BankLayoutPage, BankLayoutsPage};
pub use page::{ProfilePage, SettingsPage};
pub use server::{
    change_password, create_token, create_user, get_layout, get_layouts, get_tokens, get_tuning, get_users,
    manage_user, revoke_token, save_layout, save_sla, save_tolerances,
};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
mod commands;
#[cfg(feature = "ssr")]
mod layouts_store;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod tuning_store;
