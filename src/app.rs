//! The application: the HTML shell (with the per-request CSP nonce), the routes of every page of
//! spec 01, and the signed-in layout with its navigation.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::auth::{get_current_user, Access, CurrentUser};
use crate::error::AppError;

use crate::auth::pages::LoginPage;
use crate::features::analytics::AnalyticsPage;
use crate::features::audit::{AuditPage, AuditVerifyPage};
use crate::features::connectors::ConnectorsPage;
use crate::features::disputes::{DisputePage, DisputesPage};
use crate::features::exceptions::{ExceptionPage, ExceptionsPage};
use crate::features::jobs::JobsPage;
use crate::features::overview::OverviewPage;
use crate::features::recon::{ReconPage, ReconRunPage};
use crate::features::reports::{ReportsPage, SchedulesPage};
use crate::features::settings::{BankLayoutPage, BankLayoutsPage, ProfilePage, SettingsPage};
use crate::features::settlements::{MerchantPage, MerchantsPage, SettlementPage, SettlementsPage};
use crate::features::transactions::{TransactionPage, TransactionsPage};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    use_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // With cargo-leptos `hash-files`, the CSS, JS and WASM names carry their content's
                // hash (read from `hash.txt` beside the server binary), so they may be cached for good.
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Pages may run only our own scripts: the hydration scripts carry the nonce that the
/// security-header middleware minted for this request and writes into the page's CSP.
#[cfg(feature = "ssr")]
fn use_request_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

/// Pages render completely on the server before they are sent (`SsrMode::Async`): every figure is
/// in the HTML, so pages work without JavaScript, and status codes (403, 404) can still be set.
/// The app runs in islands mode: pages, the router and the layout run on the server only, and the
/// browser's WASM holds just the interactive parts (`#[island]` components: the overview's presets,
/// the upload previews, the work queue's selection and bulk fields, the live run status), so it
/// stays small however many pages are added. Links and forms are plain HTML.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="SettlePaisa Ops" />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedInLayout ssr=SsrMode::Async>
                    <Route path=path!("overview") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("recon") view=ReconPage ssr=SsrMode::Async />
                    <Route path=path!("recon/runs/:id") view=ReconRunPage ssr=SsrMode::Async />
                    <Route path=path!("exceptions") view=ExceptionsPage ssr=SsrMode::Async />
                    <Route path=path!("exceptions/:id") view=ExceptionPage ssr=SsrMode::Async />
                    <Route path=path!("disputes") view=DisputesPage ssr=SsrMode::Async />
                    <Route path=path!("disputes/:id") view=DisputePage ssr=SsrMode::Async />
                    <Route path=path!("settlements") view=SettlementsPage ssr=SsrMode::Async />
                    <Route path=path!("settlements/merchants") view=MerchantsPage ssr=SsrMode::Async />
                    <Route path=path!("settlements/merchants/:id") view=MerchantPage ssr=SsrMode::Async />
                    <Route path=path!("settlements/:id") view=SettlementPage ssr=SsrMode::Async />
                    <Route path=path!("transactions") view=TransactionsPage ssr=SsrMode::Async />
                    <Route path=path!("transactions/:id") view=TransactionPage ssr=SsrMode::Async />
                    <Route path=path!("analytics") view=AnalyticsPage ssr=SsrMode::Async />
                    <Route path=path!("connectors") view=ConnectorsPage ssr=SsrMode::Async />
                    <Route path=path!("connectors/jobs") view=JobsPage ssr=SsrMode::Async />
                    <Route path=path!("reports") view=ReportsPage ssr=SsrMode::Async />
                    <Route path=path!("reports/schedules") view=SchedulesPage ssr=SsrMode::Async />
                    <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("settings/layouts") view=BankLayoutsPage ssr=SsrMode::Async />
                    <Route path=path!("settings/layouts/:id") view=BankLayoutPage ssr=SsrMode::Async />
                    <Route path=path!("profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("audit/verify") view=AuditVerifyPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

type UserResource = Resource<Result<Option<CurrentUser>, AppError>>;

/// The signed-in user, loaded once per page load by the layout.
pub fn use_current_user() -> UserResource {
    expect_context::<UserResource>()
}

/// Navigation entries: (label, path, who may see the link).
const NAV: [(&str, &str, Access); 11] = [
    ("Overview", "/overview", Access::SIGNED_IN),
    ("Recon", "/recon", Access::SIGNED_IN),
    ("Exceptions", "/exceptions", Access::SIGNED_IN),
    ("Transactions", "/transactions", Access::SIGNED_IN),
    ("Disputes", "/disputes", Access::SIGNED_IN),
    ("Settlements", "/settlements", Access::SIGNED_IN),
    ("Analytics", "/analytics", Access::SIGNED_IN),
    ("Connectors", "/connectors", Access::SIGNED_IN),
    ("Reports", "/reports", Access::SIGNED_IN),
    ("Settings", "/settings", Access::ADMIN),
    ("Audit", "/audit", Access::AUDIT_LOG),
];

#[component]
fn SignedInLayout() -> impl IntoView {
    let user: UserResource = Resource::new_blocking(|| (), |_| get_current_user());
    provide_context(user);
    let location = leptos_router::hooks::use_location();
    view! {
        <div class="min-h-screen">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
                    <a href="/overview" class="text-lg font-semibold text-brand-700">"SettlePaisa Ops"</a>
                    <nav aria-label="Main" class="flex flex-1 flex-wrap gap-1">
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                let roles = user.await.ok().flatten().map(|u| u.roles).unwrap_or_default();
                                NAV.into_iter()
                                    .filter(|(_, _, access)| access.allows(&roles))
                                    .map(|(label, href, _)| {
                                        let current = move || {
                                            let path = location.pathname.get();
                                            path == href || path.starts_with(&format!("{href}/"))
                                        };
                                        view! {
                                            <a
                                                href=href
                                                aria-current=move || current().then_some("page")
                                                class=move || {
                                                    if current() {
                                                        "rounded-md bg-brand-50 px-3 py-1.5 text-sm font-medium text-brand-700"
                                                    } else {
                                                        "rounded-md px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-100"
                                                    }
                                                }
                                            >
                                                {label}
                                            </a>
                                        }
                                    })
                                    .collect_view()
                            })}
                        </Suspense>
                    </nav>
                    <div class="flex items-center gap-3 text-sm">
                        <Suspense fallback=|| ()>
                            {move || Suspend::new(async move {
                                user.await.ok().flatten().map(|u| {
                                    view! {
                                        <a href="/profile" data-testid="signed-in-user" title="Your profile: change your password" class="hover:underline">
                                            <span class="font-medium">{u.full_name.clone()}</span>
                                            <span class="text-slate-600">{format!(" · {}", u.role_labels())}</span>
                                        </a>
                                    }
                                })
                            })}
                        </Suspense>
                        <form method="post" action="/logout">
                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50">
                                "Sign out"
                            </button>
                        </form>
                    </div>
                </div>
            </header>
            <main class="mx-auto max-w-7xl px-4 py-6">
                <Outlet />
            </main>
        </div>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="mx-auto max-w-3xl px-4 py-16">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <p class="mt-2 text-slate-600">"There is no page at this address. "<a class="text-brand-700 underline" href="/overview">"Go to the Overview"</a>"."</p>
        </main>
    }
}
