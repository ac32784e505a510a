//! Merchant terms (spec 4.1, issue 12): the list of every merchant's terms in force today with the
//! bank-holiday calendar, the page per merchant with its versions, the admin's edit form that saves
//! a new effective-dated version, and the JSON API twin (`api::routes`, merged under
//! `/api/settlements`). Terms are read by `settlements::terms::terms_on` only; the form and the
//! JSON body parse into one validated version in [`model`]; `commands` writes it with its audit row.

pub mod model;

mod page;
mod server;

#[cfg(feature = "ssr")]
pub use api::routes;
pub use page::{MerchantPage, MerchantsPage};
pub use server::{
    add_merchant_alias, create_merchant, get_merchant, get_merchants, map_unknown_merchant, remove_merchant_alias,
    save_merchant_terms,
};

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod codes;
#[cfg(feature = "ssr")]
pub mod commands;
#[cfg(feature = "ssr")]
pub mod queries;
#[cfg(feature = "ssr")]
pub mod service;
