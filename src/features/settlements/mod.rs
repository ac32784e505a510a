//! Settlements: the finance desk of spec 04. Merchant terms (effective-dated, [`merchants`]), batch
//! creation per cycle through the job queue, the maker-checker lifecycle, payout files, marking
//! paid or failed and verifying payouts against the bank's DEBIT lines; the list and batch pages
//! and the JSON API twin. The maths is pure in [`calc`], the rules in [`rules`].

pub mod calc;
pub mod merchants;
pub mod model;
pub mod rules;

mod detail;
mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use detail::SettlementPage;
pub use merchants::{MerchantPage, MerchantsPage};
pub use page::SettlementsPage;

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub mod batching;
#[cfg(feature = "ssr")]
pub mod commands;
#[cfg(feature = "ssr")]
pub mod payouts;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
#[cfg(feature = "ssr")]
pub mod terms;
