//! Disputes: the chargeback desk. KPIs and the SLA strip, the list with tabs and filters, the case
//! page with evidence, actions and timeline; CSV import, webhooks and the manual form as intake;
//! the JSON API twin. Pure rules in [`rules`]; one query function per fact in `queries`; every
//! change through `commands`, which writes the audit rows.

pub mod model;
pub mod rules;

mod detail;
mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use detail::DisputePage;
pub use page::DisputesPage;
pub use server::{create_dispute, dispute_act, get_dispute_case, get_disputes};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub mod commands;
#[cfg(feature = "ssr")]
pub mod evidence;
#[cfg(feature = "ssr")]
pub mod intake;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
