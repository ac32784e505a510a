//! Analytics (spec 5.2): settlement KPIs against the previous window, the payment-mode split, GMV
//! per day with 7-day averages, the settlement funnel, payout failures as a Pareto, the match rate
//! per day and the open exceptions' ageing — charts drawn as SVG on the server, each with its
//! numbers as a table and a CSV. `/analytics`, `GET /api/analytics/v1/summary` and
//! `GET /api/analytics/v1/charts/{chart}.csv` read one use case (`service::summary`), whose
//! transaction figures come from the daily rollup.

mod charts;
pub mod model;
mod page;
mod server;

pub use page::AnalyticsPage;
pub use server::get_analytics;

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
