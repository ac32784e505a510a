//! Reconciliation. So far: the matching engine of spec 02 §2.2 (pure, deterministic, benchmarked).
//! Ingestion, runs, the Recon pages and their API are still to come (issue 4).

pub mod engine;
