//! The audit log (`/audit`, compliance, auditors and admins): every mutating action and every
//! sign-in attempt, newest first, server-paged and filtered from the URL (actor, role, action,
//! target, outcome, IST dates, IP), each row's before/after as a readable diff, the CSV export of a
//! filter, and the check of the log's SHA-256 hash chain (`/audit/verify`,
//! `GET /api/audit/v1/verify`, `settlepaisa-ops audit verify`). The rows are written by
//! [`crate::audit`]; the chain by the database (migration `20261206000001_audit_chain.sql`).

pub mod model;
mod page;
mod server;

pub use page::{AuditPage, AuditVerifyPage};
pub use server::{get_audit, verify_chain};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod service;
