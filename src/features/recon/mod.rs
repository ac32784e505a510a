//! Reconciliation. So far: ingestion of PG and bank files (pure parsing, every format of spec 2.1)
//! and the matching engine of spec 2.2 (pure, deterministic, benchmarked), with a command-line
//! runner; uploads into the database; runs through the job queue (stages, one-transaction persist,
//! exception records, re-runs that keep worked exceptions); the JSON API of all that and the
//! checklist's two recon calls. The Recon pages are still to come.

pub mod api;
pub mod engine;
pub mod ingest;
pub mod offline;
pub mod queries;
pub mod runs;
pub mod store;
