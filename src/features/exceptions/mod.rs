//! Exceptions: the reconciliation work queue. KPI tiles, filters, saved views, the paginated queue
//! with bulk actions and CSV export; the detail page with both sides, the SLA clock, actions and
//! timeline; the JSON API twin. Pure rules in [`rules`]; one query function per fact in `queries`;
//! every change through `commands`, which writes the action log and the audit log.

pub mod model;
pub mod rules;

mod detail;
mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use detail::ExceptionPage;
pub use page::ExceptionsPage;
pub use server::{delete_exception_view, exception_act, get_exception, get_exceptions, save_exception_view};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub mod commands;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
