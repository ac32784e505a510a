//! Reconciliation. So far: ingestion of PG and bank files (pure parsing, every format of spec 2.1)
//! and the matching engine of spec 2.2 (pure, deterministic, benchmarked), with a command-line
//! runner. Storing uploads, background runs, the Recon pages and their API are still to come.

pub mod engine;
pub mod ingest;
pub mod offline;
