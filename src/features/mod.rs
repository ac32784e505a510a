//! Feature slices: each owns its model, queries, server functions, API twin and views.

pub mod analytics;
pub mod disputes;
pub mod exceptions;
pub mod overview;
pub mod placeholders;
pub mod recon;
pub mod settlements;
pub mod transactions;
