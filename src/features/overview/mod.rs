//! Overview (spec 5.1): one snapshot of a window of cycle dates — the KPI tiles, the settlement
//! pipeline, open exceptions by severity and reason, connector health and the disputes summary —
//! served to the page through a server function and to scripts as `GET /api/overview/overview`,
//! both from `queries::snapshot` (the transaction and exception figures from the daily rollups).

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
