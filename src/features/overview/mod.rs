//! Overview: the figures of the last N days in one snapshot (transactions, reconciled, open
//! exceptions, open chargebacks, the settlement pipeline), served to the page through a server
//! function and to scripts as `GET /api/overview/overview` — both from one query.

pub mod model;
mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use page::OverviewPage;
pub use server::get_overview;

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
