//! SettlePaisa Ops: the operations portal of a payment aggregator — reconciliation, exceptions,
//! settlements and disputes — as one Leptos app on Postgres: pages rendered on the server, the
//! interactive parts hydrated in the browser as islands.
//!
//! Modules shared by server and browser come first; server-only modules are gated once, here.
#![recursion_limit = "512"]
// Amounts in paise are written with Indian digit grouping (1_00_000 = one lakh), as analysts read them.
#![allow(clippy::inconsistent_digit_grouping)]

pub mod app;
pub mod auth;
pub mod domain;
pub mod error;
pub mod features;
pub mod ist;
pub mod money;
pub mod paging;
pub mod ratio;
pub mod sheet;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod binary_copy;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod notified_cache;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Islands: the page is the server's HTML; only the `#[island]` components in it come alive.
    leptos::mount::hydrate_islands();
    // Leptos's island script hydrates the page's islands right after this returns, in one chain of
    // microtasks; a timer's callback runs after that chain. Then a marker for browser tests (and
    // curious humans): the page's islands are interactive now.
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
