//! SettlePaisa Ops: the operations portal of a payment aggregator — reconciliation, exceptions,
//! settlements and disputes — as one Leptos app (server-rendered, hydrated) on Postgres.
//!
//! Modules shared by server and browser come first; server-only modules are gated once, here.
#![recursion_limit = "512"]

pub mod app;
pub mod auth;
pub mod error;
pub mod features;
pub mod ist;
pub mod money;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
