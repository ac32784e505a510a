//! Reports (`/reports`, every signed-in role): the settlement summary, settlement transactions,
//! bank MIS, recon outcome and tax report for a window of cycle dates and a merchant or acquirer,
//! previewed on the page with their totals and downloaded whole as CSV or XLSX
//! (`GET /api/reports/v1/{report}.{csv|xlsx}`), both streamed. Each report is one query
//! ([`queries`]) whose columns are typed cells ([`crate::sheet`]), so the page, the CSV and the
//! spreadsheet show the same figures. Account numbers are masked for every role but finance, bank remarks' personal data for the auditor.
//!
//! Scheduled reports (`/reports/schedules`, [`schedules`]): a report, a window, a cron in IST and
//! recipients; each run goes through the job queue, stores its file in the object store with its
//! SHA-256 and e-mails a link to it.

pub mod model;
mod page;
mod schedules_page;
mod server;

pub use page::ReportsPage;
pub use schedules_page::SchedulesPage;
pub use server::{create_schedule, delete_schedule, get_report, get_schedules};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod schedules;
#[cfg(feature = "ssr")]
pub mod service;
