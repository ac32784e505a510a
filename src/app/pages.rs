//! Every page is a lazy route, so the browser downloads the code of the page it shows, not of all
//! pages: built with `cargo leptos build --split`, each page's view — and whatever only it uses
//! (its tables, forms, the decoding of its data) — goes into its own WASM chunk, fetched when the
//! page is first shown (on a first load, before hydration). The main WASM keeps the framework,
//! the router and the signed-in layout, so it stays the same size however many pages are added.
//!
//! Pages load their own data as before (their resources live in their views), so a route's
//! `data()` carries nothing. A new page gets one line in `lazy_pages!` and `Lazy::<…>::new()` in
//! its `<Route>`.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::auth::pages::LoginPage;
use crate::features::disputes::{DisputePage, DisputesPage};
use crate::features::exceptions::{ExceptionPage, ExceptionsPage};
use crate::features::overview::OverviewPage;
use crate::features::placeholders::*;
use crate::features::recon::{ReconPage, ReconRunPage};

/// `Route => Page`: a lazy route named `Route` whose view is the component `Page`.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    LoginRoute => LoginPage,
    OverviewRoute => OverviewPage,
    ReconRoute => ReconPage,
    ReconRunRoute => ReconRunPage,
    ExceptionsRoute => ExceptionsPage,
    ExceptionRoute => ExceptionPage,
    DisputesRoute => DisputesPage,
    DisputeRoute => DisputePage,
    SettlementsRoute => SettlementsPage,
    SettlementRoute => SettlementPage,
    AnalyticsRoute => AnalyticsPage,
    ConnectorsRoute => ConnectorsPage,
    ReportsRoute => ReportsPage,
    SettingsRoute => SettingsPage,
    AuditRoute => AuditPage,
}
