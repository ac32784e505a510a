//! Feature slices: each owns its model, queries, server functions, API twin and views.

pub mod analytics;
pub mod audit;
pub mod connectors;
pub mod disputes;
pub mod exceptions;
pub mod jobs;
pub mod overview;
pub mod recon;
pub mod reports;
pub mod settings;
pub mod settlements;
pub mod transactions;
