//! The `/exceptions` page: KPI tiles, saved views, filters kept in the URL, the server-paginated
//! queue, bulk actions over a selection or everything matching, and the CSV export. Every control
//! is a link or a form, so the page works without JavaScript; with it, two islands make the bulk
//! form show only the fields the chosen action needs and one box select the whole page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{
    severity_class, ActionKind, ExceptionRow, ExceptionsQuery, ExceptionsView, SortKey, Status, PAGE_SIZE, RESOLUTIONS,
    SEVERITIES,
};
use super::rules;
use super::server::{get_exceptions, DeleteExceptionView, SaveExceptionView};
use crate::ist;
use crate::money::format_count;
use crate::ui::{pager, sort_header, ErrorNotice, FlashNotices, PageHeader, SortState};

fn query_from(map: &leptos_router::params::ParamsMap) -> ExceptionsQuery {
    ExceptionsQuery {
        status: map.get("status"),
        severity: map.get("severity"),
        reason: map.get("reason"),
        merchant: map.get("merchant"),
        acquirer: map.get("acquirer"),
        from: map.get("from"),
        to: map.get("to"),
        assignee: map.get("assignee"),
        breached: map.get("breached"),
        dmin: map.get("dmin"),
        dmax: map.get("dmax"),
        q: map.get("q"),
        sort: map.get("sort"),
        page: map.get("page"),
    }
}

#[component]
pub fn ExceptionsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let save = ServerAction::<SaveExceptionView>::new();
    let remove = ServerAction::<DeleteExceptionView>::new();
    let data = Resource::new(move || query.get(), get_exceptions);
    view! {
        <PageHeader title="Exceptions" subtitle="The reconciliation work queue, most urgent SLA first. Times in IST." />
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => view! { <QueueBody view=v query=q save=save remove=remove /> }.into_any(),
                    Err(e) => view! {
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/exceptions" class="text-brand-700 underline">"Back to the default queue"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tile(
    label: &'static str,
    value: i64,
    href: Option<String>,
    test_id: &'static str,
    #[prop(optional)] alert: bool,
) -> impl IntoView {
    let tone = if alert && value > 0 { "border-red-300 bg-red-50" } else { "border-slate-200 bg-white" };
    let body = view! {
        <h2 class="text-sm font-medium text-slate-600">{label}</h2>
        <p class=format!("mt-2 text-3xl font-semibold tabular-nums {}", if alert && value > 0 { "text-red-800" } else { "text-slate-900" }) data-kpi-value="">{format_count(value)}</p>
    };
    let class = format!("block rounded-lg border p-4 shadow-sm {tone}");
    match href {
        Some(h) => view! { <a href=h class=format!("{class} hover:ring-2 hover:ring-brand-500") data-testid=test_id>{body}</a> }.into_any(),
        None => view! { <section class=class data-testid=test_id>{body}</section> }.into_any(),
    }
}

#[component]
fn QueueBody(
    view: ExceptionsView,
    query: ExceptionsQuery,
    save: ServerAction<SaveExceptionView>,
    remove: ServerAction<DeleteExceptionView>,
) -> impl IntoView {
    let v = view;
    let k = v.kpis.clone();
    let link = |f: &dyn Fn(&mut ExceptionsQuery)| {
        let mut q = ExceptionsQuery::default();
        f(&mut q);
        q.href()
    };
    view! {
        <div class="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-6">
            <Tile label="Open" value=k.open href=Some(link(&|q| q.status = Some("open".into()))) test_id="kpi-open" />
            <Tile label="Investigating" value=k.investigating href=Some(link(&|q| q.status = Some("investigating".into()))) test_id="kpi-investigating" />
            <Tile label="Snoozed" value=k.snoozed href=Some(link(&|q| q.status = Some("snoozed".into()))) test_id="kpi-snoozed" />
            <Tile label="SLA breached" value=k.sla_breached href=Some(link(&|q| q.breached = Some("1".into()))) test_id="kpi-breached" alert=true />
            <Tile label="Resolved, last 7 days" value=k.resolved_7d href=None test_id="kpi-resolved-7d" />
            <Tile label="Inflow, last 24 h" value=k.inflow_24h href=None test_id="kpi-inflow-24h" />
        </div>
        <SavedViews view=v.clone() query=query.clone() save=save remove=remove />
        <FilterForm view=v.clone() query=query.clone() />
        <Facets view=v.clone() query=query.clone() />
        <Queue view=v query=query />
    }
}

#[component]
fn SavedViews(
    view: ExceptionsView,
    query: ExceptionsQuery,
    save: ServerAction<SaveExceptionView>,
    remove: ServerAction<DeleteExceptionView>,
) -> impl IntoView {
    let current = ExceptionsQuery { page: None, ..query.clone() };
    let filters = current.to_view().to_string();
    view! {
        <section class="mt-6 flex flex-wrap items-center gap-2 text-sm" aria-label="Saved views" data-testid="saved-views">
            <span class="font-medium text-slate-700">"Views:"</span>
            <a href="/exceptions" class="rounded-full border border-slate-300 bg-white px-3 py-1 hover:bg-slate-50"
                aria-current=(current == ExceptionsQuery::default()).then_some("page")>"All active"</a>
            {view.views.into_iter().map(|sv| {
                let active = ExceptionsQuery { page: None, ..sv.query.clone() } == current;
                let id = sv.id.to_string();
                view! {
                    <span class=format!("inline-flex items-center rounded-full border px-3 py-1 {}", if active { "border-brand-600 bg-brand-50 text-brand-800" } else { "border-slate-300 bg-white" })>
                        <a href=sv.query.href() aria-current=active.then_some("page") class="hover:underline">{sv.name.clone()}</a>
                        {(!sv.shared).then(|| view! { <span class="ml-1 text-xs text-slate-500">"(mine)"</span> })}
                        {sv.deletable.then(|| view! {
                            <ActionForm action=remove attr:class="ml-1 inline">
                                <input type="hidden" name="id" value=id.clone() />
                                <button type="submit" class="text-slate-500 hover:text-red-700" title=format!("Delete the view {}", sv.name) aria-label=format!("Delete the view {}", sv.name)>"×"</button>
                            </ActionForm>
                        })}
                    </span>
                }
            }).collect_view()}
            <ActionForm action=save attr:class="ml-auto flex flex-wrap items-center gap-2" attr:aria-label="Save this view">
                <input type="hidden" name="filters" value=filters />
                <input name="name" required maxlength="100" placeholder="Name this view" class="rounded border border-slate-300 px-2 py-1" />
                {view.can_work.then(|| view! {
                    <label class="flex items-center gap-1 text-slate-600"><input type="checkbox" name="shared" value="on" />"Shared"</label>
                })}
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1 hover:bg-slate-50">"Save view"</button>
            </ActionForm>
        </section>
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-2"><ErrorNotice message=e.to_string() /></div> })}
        {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-2"><ErrorNotice message=e.to_string() /></div> })}
    }
}

#[component]
fn FilterForm(view: ExceptionsView, query: ExceptionsQuery) -> impl IntoView {
    let q = query;
    let field = "rounded border border-slate-300 px-2 py-1";
    // A list value (from a saved view) that none of the single options matches is kept as its own
    // option, so applying the form does not drop it.
    let select = move |name: &'static str,
                       label: &'static str,
                       current: Option<String>,
                       any: &'static str,
                       options: Vec<(String, String)>| {
        let extra = current.clone().filter(|c| !options.iter().any(|(v, _)| v == c));
        view! {
            <label class="flex flex-col text-slate-600">{label}
                <select name=name class=field>
                    <option value="">{any}</option>
                    {extra.map(|c| view! { <option value=c.clone() selected=true>{c.replace(',', ", ")}</option> })}
                    {options.into_iter().map(|(value, text)| {
                        let sel = current.as_deref() == Some(value.as_str());
                        view! { <option value=value selected=sel>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
    };
    let statuses = {
        let mut o = vec![("all".to_string(), "All statuses".to_string())];
        o.extend(Status::ALL.iter().map(|s| (s.code().to_string(), s.label().to_string())));
        o
    };
    let mut assignees = vec![("me".to_string(), "Me".to_string()), ("none".to_string(), "Unassigned".to_string())];
    assignees.extend(view.assignees.iter().map(|p| (p.email.clone(), p.name.clone())));
    view! {
        <form method="get" action="/exceptions" class="mt-4 flex flex-wrap items-end gap-3 text-sm" aria-label="Filters">
            {q.sort.clone().map(|s| view! { <input type="hidden" name="sort" value=s /> })}
            {select("status", "Status", q.status.clone(), "Active (not closed)", statuses)}
            {select("severity", "Severity", q.severity.clone(), "Any severity", SEVERITIES.iter().map(|s| (s.to_string(), s.to_string())).collect())}
            {select("reason", "Reason", q.reason.clone(), "Any reason", view.reasons.clone())}
            {select("merchant", "Merchant", q.merchant.clone(), "All merchants", view.merchants.iter().map(|(id, name)| (id.clone(), format!("{name} ({id})"))).collect())}
            {select("acquirer", "Acquirer", q.acquirer.clone(), "All acquirers", view.acquirers.iter().map(|a| (a.clone(), a.clone())).collect())}
            {select("assignee", "Assignee", q.assignee.clone(), "Anyone", assignees)}
            <label class="flex flex-col text-slate-600">"Cycle from"<input type="date" name="from" value=q.from.clone() class=field /></label>
            <label class="flex flex-col text-slate-600">"Cycle to"<input type="date" name="to" value=q.to.clone() class=field /></label>
            <label class="flex flex-col text-slate-600">"Δ from (₹)"<input name="dmin" inputmode="decimal" value=q.dmin.clone() class=format!("{field} w-24") /></label>
            <label class="flex flex-col text-slate-600">"Δ to (₹)"<input name="dmax" inputmode="decimal" value=q.dmax.clone() class=format!("{field} w-24") /></label>
            <label class="flex items-center gap-1 self-center pt-4 text-slate-700">
                <input type="checkbox" name="breached" value="1" checked=q.breached.as_deref() == Some("1") />"SLA breached only"
            </label>
            <label class="flex flex-col text-slate-600">"Search"
                <input type="search" name="q" value=q.q.clone() maxlength=super::model::MAX_SEARCH_CHARS placeholder="Exception id, UTR or txn id" class=format!("{field} w-60") />
            </label>
            <button type="submit" class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">"Apply"</button>
            <a href="/exceptions" class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

/// The filter's counts by status and severity (what the bulk "all matching" would touch).
#[component]
fn Facets(view: ExceptionsView, query: ExceptionsQuery) -> impl IntoView {
    let c = view.counts;
    let with_status = |s: Status| {
        let mut q = query.clone();
        q.page = None;
        q.status = Some(s.code().to_string());
        q.href()
    };
    view! {
        <p class="mt-4 flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-600" data-testid="facets">
            <span><strong class="tabular-nums text-slate-900" data-testid="matching-total">{format_count(c.total)}</strong>" matching"</span>
            {c.by_status.iter().map(|(s, n)| view! {
                <a href=with_status(*s) class="hover:underline" data-status=s.code()>{s.label()} " " <span class="tabular-nums">{format_count(*n)}</span></a>
            }).collect_view()}
            <span class="text-slate-400">"|"</span>
            {c.by_severity.iter().map(|(s, n)| view! {
                <span data-severity=s.clone()>{s.clone()} " " <span class="tabular-nums">{format_count(*n)}</span></span>
            }).collect_view()}
        </p>
    }
}

#[component]
fn Queue(view: ExceptionsView, query: ExceptionsQuery) -> impl IntoView {
    let v = view;
    let now = v.now;
    let total = v.counts.total;
    let first = (v.page_number - 1) * PAGE_SIZE;
    let shown = v.rows.len() as i64;
    let sort_link = |key: SortKey| {
        let mut q = query.clone();
        q.page = None;
        q.sort = (key != SortKey::Due).then(|| key.param().to_string());
        q.href()
    };
    // Δ sorts largest first; age and SLA due oldest / soonest first.
    let header = |key: SortKey, label: &'static str, right: bool| {
        sort_header(label, sort_link(key), SortState::of(v.sort == key, key == SortKey::Delta), right)
    };
    let page_link = |n: i64| {
        let mut q = query.clone();
        q.page = (n > 1).then(|| n.to_string());
        q.href()
    };
    let export_href = ExceptionsQuery { page: None, ..query.clone() }.href_at("/api/recon/v1/exceptions/export.csv");
    let has_next = first + shown < total;
    let can_work = v.can_work;
    let rows = v.rows.clone();
    let table = view! {
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table id="exception-rows" class="w-full text-sm" data-testid="exceptions">
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        {can_work.then(|| view! { <th class="px-3 py-2"><SelectPage /></th> })}
                        <th class="px-3 py-2 font-medium">"Exception"</th>
                        <th class="px-3 py-2 font-medium">"Reason"</th>
                        <th class="px-3 py-2 font-medium">"Severity"</th>
                        {header(SortKey::Delta, "Δ", true)}
                        <th class="px-3 py-2 font-medium">"Merchant"</th>
                        <th class="px-3 py-2 font-medium">"Cycle"</th>
                        {header(SortKey::Age, "Age", false)}
                        {header(SortKey::Due, "SLA due", false)}
                        <th class="px-3 py-2 font-medium">"Assignee"</th>
                        <th class="px-3 py-2 font-medium">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| view! { <QueueLine row=r now=now can_work=can_work /> }).collect_view()}
                </tbody>
            </table>
        </div>
    };
    view! {
        <div class="mt-2 flex items-center justify-between text-sm text-slate-600">
            <p data-testid="list-summary">
                {if total == 0 { "No exceptions match these filters. Clear a filter, or pick another view.".to_string() }
                 else { format!("Showing {}–{} of {} exceptions", format_count(first + 1), format_count(first + shown), format_count(total)) }}
            </p>
            <a href=export_href download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
        </div>
        {if can_work {
            view! {
                <form method="post" action="/api/recon/v1/exceptions/bulk" aria-label="Bulk actions" data-testid="bulk-form">
                    <input type="hidden" name="back" value=query.href() />
                    {query.fields().into_iter().map(|(k, v)| {
                        let name = if k == "assignee" { "assignee_filter" } else { k };
                        view! { <input type="hidden" name=name value=v /> }
                    }).collect_view()}
                    <BulkControls assignees=v.assignees.clone() total=total />
                    {table}
                </form>
            }.into_any()
        } else {
            table.into_any()
        }}
        {pager(v.page_number, has_next, page_link)}
    }
}

/// The box in the table's header that ticks (or clears) every row of the page: the rows' boxes
/// are the server's HTML, so the island sets them through the DOM. Without JavaScript it does
/// nothing (rows are ticked one by one).
#[island]
fn SelectPage() -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let checked = event_target_checked(&ev);
            if let Ok(boxes) = document().query_selector_all("#exception-rows tbody input[name=ids]") {
                for i in 0..boxes.length() {
                    if let Some(input) = boxes.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                        input.set_checked(checked);
                    }
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    view! { <input type="checkbox" aria-label="Select every exception on this page" on:change=on_change /> }
}

/// The bulk action's fields. Without JavaScript all are shown; with it (an island), only the
/// chosen action's.
#[island]
fn BulkControls(assignees: Vec<super::model::Person>, total: i64) -> impl IntoView {
    let actions = [
        ActionKind::Assign,
        ActionKind::Investigate,
        ActionKind::Snooze,
        ActionKind::Escalate,
        ActionKind::Resolve,
        ActionKind::Tag,
        ActionKind::Severity,
    ];
    let chosen = RwSignal::new(ActionKind::Assign);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let shown = move |needs: ActionKind| {
        move || {
            if hydrated.get() && chosen.get() != needs {
                "hidden"
            } else {
                "flex flex-col text-slate-600"
            }
        }
    };
    let field = "rounded border border-slate-300 px-2 py-1";
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
    view! {
        <div class="mt-2 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm">
            <label class="flex flex-col text-slate-600">"Bulk action"
                <select name="action" class=field on:change=move |ev| {
                    if let Some(a) = ActionKind::parse(&event_target_value(&ev)) { chosen.set(a) }
                }>
                    {actions.into_iter().map(|a| view! { <option value=a.code()>{a.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class=shown(ActionKind::Assign)>"Assign to"
                <select name="assignee" class=field>
                    <option value="">"Nobody (unassign)"</option>
                    {assignees.into_iter().map(|p| view! { <option value=p.email>{p.name}</option> }).collect_view()}
                </select>
            </label>
            <label class=shown(ActionKind::Snooze)>"Snooze until (IST)"<input type="datetime-local" name="until" class=field /></label>
            <label class=shown(ActionKind::Resolve)>"Resolution"
                <select name="resolution" class=field>
                    {RESOLUTIONS.iter().map(|(c, l)| view! { <option value=*c>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label class=shown(ActionKind::Tag)>"Tags"<input name="tags" placeholder="bank-followup, high-value" class=field /></label>
            <label class=shown(ActionKind::Severity)>"New severity"
                <select name="severity_to" class=field>
                    {SEVERITIES.iter().map(|s| view! { <option value=*s>{*s}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Note"<input name="note" placeholder="Why (optional; needed for a write-off)" class=format!("{field} w-64") /></label>
            <button type="submit" name="scope" value="selected" class=button>"Apply to selected"</button>
            <button type="submit" name="scope" value="matching" class="rounded-md border border-brand-600 bg-white px-3 py-1.5 font-medium text-brand-700 hover:bg-brand-50"
                disabled=total == 0>
                {format!("Apply to all {} matching", format_count(total))}
            </button>
        </div>
    }
}

#[component]
fn QueueLine(row: ExceptionRow, now: chrono::DateTime<chrono::Utc>, can_work: bool) -> impl IntoView {
    let r = row;
    let id = r.id.clone();
    let due_label = rules::sla_label(r.status, r.sla_due_at, now);
    view! {
        <tr class="border-t border-slate-100 hover:bg-slate-50" data-exception-id=r.id.clone()>
            {can_work.then(|| view! {
                <td class="px-3 py-2"><input type="checkbox" name="ids" value=id.clone() aria-label=format!("Select {id}") /></td>
            })}
            <td class="whitespace-nowrap px-3 py-2 font-mono text-xs"><a href=format!("/exceptions/{}", r.id) class="text-brand-700 hover:underline">{r.id.clone()}</a></td>
            <td class="px-3 py-2">{r.reason_label.clone()}</td>
            <td class="px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", severity_class(&r.severity))>{r.severity.clone()}</span></td>
            <td class="whitespace-nowrap px-3 py-2 text-right tabular-nums">{r.delta.map(|d| d.to_inr()).unwrap_or_else(|| "—".into())}</td>
            <td class="px-3 py-2">{r.merchant_name.clone().or(r.merchant_id.clone()).unwrap_or_else(|| "—".into())}
                {r.merchant_unknown.then(|| view! { <a href="/settlements/merchants" class="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-900" data-testid="unknown-merchant" title="Not known yet: kept out of settlement until an admin creates or maps it">"unknown merchant"</a> })}
            </td>
            <td class="whitespace-nowrap px-3 py-2 tabular-nums">{ist::format_date(r.cycle_date)}</td>
            <td class="whitespace-nowrap px-3 py-2 tabular-nums">{rules::duration_label(now - r.created_at)}</td>
            <td class="whitespace-nowrap px-3 py-2">
                <span class="block tabular-nums">{ist::format_datetime(r.sla_due_at)}</span>
                <span class=if r.sla_breached { "block text-xs font-semibold text-red-700" } else { "block text-xs text-slate-600" } data-breached=r.sla_breached.then_some("true")>{due_label}</span>
            </td>
            <td class="px-3 py-2">{r.assignee.clone().unwrap_or_else(|| "Unassigned".into())}</td>
            <td class="px-3 py-2">
                <span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", r.status.badge_class()) data-status=r.status.code()>{r.status.label()}</span>
                {r.snoozed_until.map(|u| view! { <span class="block text-xs text-slate-500">{format!("until {}", ist::format_datetime(u))}</span> })}
            </td>
        </tr>
    }
}
