//! Connectors (`/connectors`, spec 06): the sources that bring files in on a schedule — a bank's
//! statements over SFTP (`BANK_SFTP`), a PG's transactions over an HTTP API (`PG_API`). An admin
//! creates, edits and deletes them; their secrets are sealed at rest ([`crate::secrets`]) and never
//! shown again; `sp-ops` pauses and resumes them; every role reads their cards with health
//! (spec 5.1) and the schedule's next fire times in the connector's time zone.
//!
//! With `SANDBOX=true` the program also serves the sandbox PG and bank sources ([`sandbox`]).
//!
//! Runs ([`runs`]): `sp-ops` tests, runs now and backfills; the scheduler queues one run per fire
//! time across instances; every run is a job of the queue ([`crate::jobs`]) that fetches over SFTP
//! ([`sftp`]) or HTTP ([`pg_api`]) and stores through the upload path. Each card lists its newest
//! runs. The jobs console is its own slice (`crate::features::jobs`).

pub mod model;
mod page;
mod server;

pub use page::ConnectorsPage;
pub use server::{act_on_connector, delete_connector, get_connectors, pause_connector, save_connector};

#[cfg(feature = "ssr")]
mod api;
#[cfg(feature = "ssr")]
pub use api::{routes, sandbox_routes};
#[cfg(feature = "ssr")]
pub mod commands;
#[cfg(feature = "ssr")]
pub mod pg_api;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod rotation;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod runs;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sftp;
