//! Pages whose features have not landed yet: each has its route and `<h1>`, and says so plainly.

use leptos::prelude::*;

use crate::ui::NotBuilt;

#[component]
pub fn ConnectorsPage() -> impl IntoView {
    view! { <NotBuilt title="Connectors" what="Connector cards, runs and schedules arrive with the connectors feature." /> }
}
