//! What every server-paginated list repeats: a sortable column header (a plain link, so sorting works
//! without JavaScript, with `aria-sort` on the active column) and the Previous / Next pager.

use leptos::prelude::*;

/// How a column is sorted now: not at all, or ascending / descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortState {
    None,
    Ascending,
    Descending,
}

impl SortState {
    pub fn of(active: bool, descending: bool) -> SortState {
        match (active, descending) {
            (false, _) => SortState::None,
            (true, false) => SortState::Ascending,
            (true, true) => SortState::Descending,
        }
    }

    fn aria(self) -> Option<&'static str> {
        match self {
            SortState::None => None,
            SortState::Ascending => Some("ascending"),
            SortState::Descending => Some("descending"),
        }
    }

    fn mark(self) -> &'static str {
        match self {
            SortState::None => "",
            SortState::Ascending => " ↑",
            SortState::Descending => " ↓",
        }
    }
}

/// A `<th>` whose label links to the list sorted by that column; `right` aligns a figure column.
pub fn sort_header(label: &'static str, href: String, state: SortState, right: bool) -> impl IntoView {
    view! {
        <th class=if right { "px-3 py-2 text-right font-medium" } else { "px-3 py-2 font-medium" } aria-sort=state.aria()>
            <a href=href class="hover:underline">{label}{state.mark()}</a>
        </th>
    }
}

/// Previous / Next links around page `page` (1-based); `href` gives the URL of a page number.
///
/// The links are built here, so the view owns only their text: it returns `AnyView` because an
/// `impl IntoView` would capture the type of `href` (a closure borrowing the caller's query), which
/// the browser (`hydrate`) build rejects as not `'static`.
pub fn pager(page: i64, has_next: bool, href: impl Fn(i64) -> String) -> AnyView {
    let link = |n: i64, rel: &'static str, label: &'static str| {
        view! { <a href=href(n) rel=rel class="rounded border border-slate-300 bg-white px-3 py-1">{label}</a> }
    };
    view! {
        <nav aria-label="Pages" class="mt-3 flex gap-2 text-sm">
            {(page > 1).then(|| link(page - 1, "prev", "Previous"))}
            {has_next.then(|| link(page + 1, "next", "Next"))}
        </nav>
    }
    .into_any()
}
