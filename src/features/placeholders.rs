//! Pages whose features have not landed yet: each has its route and `<h1>`, and says so plainly.

use leptos::prelude::*;

use crate::auth::Access;
use crate::ui::{NotBuilt, PageHeader};

#[component]
pub fn ConnectorsPage() -> impl IntoView {
    view! { <NotBuilt title="Connectors" what="Connector cards, runs and schedules arrive with the connectors feature." /> }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! { <NotBuilt title="Reports" what="Settlement, bank MIS, recon and tax reports arrive with the reports feature." /> }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <RoleGate title="Settings" access=Access::ADMIN who="platform admins">
            <NotBuilt title="Settings" what="Users and roles, bank column mappings, SLA hours and recon tolerances arrive with the settings feature." />
        </RoleGate>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <RoleGate title="Audit log" access=Access::AUDIT_LOG who="compliance, auditors and admins">
            <NotBuilt title="Audit log" what="The filterable audit log arrives with the audit feature; every sign-in and change is already being recorded." />
        </RoleGate>
    }
}

/// Renders its children only for users whose roles `access` allows; others get a 403 and a
/// sentence saying who may see the page. (Server functions behind the page check again.)
#[component]
fn RoleGate(title: &'static str, access: Access, who: &'static str, children: ChildrenFn) -> impl IntoView {
    let user = crate::app::use_current_user();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let allowed = matches!(user.await, Ok(Some(u)) if u.may(access));
                    if allowed {
                        children().into_any()
                    } else {
                        #[cfg(feature = "ssr")]
                        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                            res.set_status(axum::http::StatusCode::FORBIDDEN);
                        }
                        view! {
                            <PageHeader title=title />
                            <div class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" role="alert">
                                {format!("You do not have access to this page. It is for {who}.")}
                            </div>
                        }
                            .into_any()
                    }
                })
            }}
        </Suspense>
    }
}
