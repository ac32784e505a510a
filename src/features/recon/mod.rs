//! Reconciliation. So far: ingestion of PG and bank files (pure parsing, every format of spec 2.1)
//! and the matching engine of spec 2.2 (pure, deterministic, benchmarked), with a command-line
//! runner; uploads into the database; runs through the job queue (stages, one-transaction persist,
//! exception records, re-runs that keep worked exceptions); the JSON API of all that and the
//! checklist's two recon calls; the Recon workspace and run pages.

pub mod model;
mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use page::{ReconPage, ReconRunPage};
pub use server::{get_recon_run, get_recon_workspace, start_recon_run};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod offline;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod runs;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod store;
