//! Reconciliation. So far: ingestion of PG and bank files (pure parsing, every format of spec 2.1)
//! and the matching engine of spec 2.2 (pure, deterministic, benchmarked), with a command-line
//! runner, and the checklist's two recon calls (exception types, summary). Storing uploads,
//! background runs, the Recon pages and the rest of their API are still to come.

pub mod api;
pub mod engine;
pub mod ingest;
pub mod offline;
pub mod queries;
pub mod store;
