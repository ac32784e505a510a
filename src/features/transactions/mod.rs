//! The transaction explorer: every transaction of the ledger, filtered by cycle window, merchant,
//! acquirer, method, status, pipeline bucket, amount and id / UTR / RRN (`/transactions`, its CSV and
//! `GET /api/recon/v1/transactions`), and the whole life of one (`/transactions/:id`,
//! `GET /api/recon/v1/transactions/{id}`): its bank line, recon results, exception, settlement and
//! chargebacks, each linked to its own page.

mod detail;
pub mod model;
mod page;
mod server;

pub use detail::TransactionPage;
pub use page::TransactionsPage;
pub use server::{get_transaction, get_transactions};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::routes;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
mod service;
