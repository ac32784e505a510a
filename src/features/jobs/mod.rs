//! The jobs console (`/connectors/jobs`, admin; issue 14): the background job queue of spec 6.3 as
//! an operator sees it — every job's kind, status, attempts, when it runs, its last error — with
//! retry for a failed or cancelled job and cancel for a queued one, each audited. The counts by
//! status are also Prometheus gauges (`jobs{status}`, set at each scrape). The queue itself is
//! [`crate::jobs`]. API twin: `GET /api/ingest/v1/jobs?status=`, `POST /api/ingest/v1/jobs/{id}/actions`.

pub mod model;
mod page;
mod server;

pub use page::JobsPage;
pub use server::{act_on_job, get_jobs};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
