//! The `/disputes` page: KPI tiles, outcomes, the SLA strip, status tabs, filters, the paginated
//! sortable table, CSV export and import, and the manual create form. Every control is a link or a
//! form, so the page works without JavaScript and its state lives in the URL.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{CaseRow, DisputesQuery, DisputesView, SortKey, UiStatus, NETWORKS, PAGE_SIZE};
use super::rules;
use super::server::{get_disputes, CreateDispute};
use crate::ist;
use crate::money::format_count;
use crate::ui::{pager, sort_header, ErrorNotice, FlashNotices, KpiTile, PageHeader, SortState};

fn query_from(map: &leptos_router::params::ParamsMap) -> DisputesQuery {
    DisputesQuery {
        status: map.get("status"),
        from: map.get("from"),
        to: map.get("to"),
        merchant: map.get("merchant"),
        network: map.get("network"),
        q: map.get("q"),
        sla: map.get("sla"),
        sort: map.get("sort"),
        dir: map.get("dir"),
        page: map.get("page"),
        window: map.get("window"),
    }
}

#[component]
pub fn DisputesPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let view_data = Resource::new(move || query.get(), get_disputes);

    view! {
        <PageHeader title="Disputes" subtitle="Chargebacks: deadlines first. Times in IST." />
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading cases…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match view_data.await {
                    Ok(v) => view! { <DisputesBody view=v query=q /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DisputesBody(view: DisputesView, query: DisputesQuery) -> impl IntoView {
    let v = view;
    let k = v.kpis;
    let o = v.outcomes;
    let with = |f: &dyn Fn(&mut DisputesQuery)| {
        let mut q = query.clone();
        q.page = None;
        f(&mut q);
        q.href()
    };
    let window_link = |w: &'static str| with(&|q| q.window = Some(w.to_string()));
    let outcome_window = o.window_days;
    view! {
        <FilterForm query=query.clone() merchants=v.merchants.clone() />
        <div class="grid grid-cols-2 gap-4 lg:grid-cols-3">
            <KpiTile label="Open cases" value=format_count(k.open_count) detail="Active: status open".to_string() test_id="kpi-open" />
            <KpiTile label="Evidence required" value=format_count(k.evidence_required_count) detail="Under review, evidence due".to_string() test_id="kpi-evidence-required" />
            <KpiTile label="Disputed" value=k.disputed.to_inr() detail="Chargebacks + fees, not written off".to_string() test_id="kpi-disputed" />
            <KpiTile label="Recovered" value=k.recovered.to_inr() test_id="kpi-recovered" />
            <KpiTile label="Written off" value=k.written_off.to_inr() test_id="kpi-written-off" />
            <KpiTile label="Net impact" value=k.net().map_or_else(|e| e.to_string(), |n| n.to_inr()) detail="Recovered − written off".to_string() test_id="kpi-net" />
        </div>
        <section class="mt-4 flex flex-wrap items-center gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm" data-testid="outcomes">
            <h2 class="font-semibold text-slate-900">{format!("Outcomes, last {outcome_window} days")}</h2>
            <span>"Won " <strong class="tabular-nums" data-testid="outcome-won">{o.won}</strong></span>
            <span>"Lost " <strong class="tabular-nums" data-testid="outcome-lost">{o.lost}</strong></span>
            <span>"Win rate " <strong class="tabular-nums" data-testid="outcome-win-rate">{o.win_rate_text()}</strong></span>
            <span>"Average resolution " <strong class="tabular-nums">{o.avg_resolution_text()}</strong></span>
            <nav aria-label="Outcome window" class="ml-auto flex gap-2">
                {[("7d", 7), ("30d", 30)].into_iter().map(|(w, days)| view! {
                    <a href=window_link(w) aria-current=(days == outcome_window).then_some("page")
                        class=if days == outcome_window { "rounded bg-brand-600 px-2 py-1 text-white" } else { "rounded border border-slate-300 px-2 py-1" }>
                        {format!("{days} days")}
                    </a>
                }).collect_view()}
            </nav>
        </section>
        <nav aria-label="Evidence deadlines" class="mt-4 grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="sla-strip">
            {v.sla.iter().map(|cell| {
                let active = query.sla.as_deref() == Some(cell.bucket.param());
                let href = with(&|q| q.sla = if active { None } else { Some(cell.bucket.param().to_string()) });
                let tone = match cell.bucket {
                    super::model::SlaBucket::Overdue => "border-red-300 bg-red-50 text-red-900",
                    super::model::SlaBucket::Today => "border-amber-300 bg-amber-50 text-amber-900",
                    _ => "border-slate-200 bg-white text-slate-900",
                };
                view! {
                    <a href=href aria-current=active.then_some("true") data-testid=format!("sla-{}", cell.bucket.param())
                        class=format!("rounded-lg border p-3 shadow-sm hover:ring-2 hover:ring-brand-500 {tone} {}", if active { "ring-2 ring-brand-600" } else { "" })>
                        <span class="block text-sm font-medium">{cell.bucket.label()}</span>
                        <span class="block text-2xl font-semibold tabular-nums" data-sla-count="">{format_count(cell.count)}</span>
                        <span class="block text-sm tabular-nums">{cell.amount.to_inr()}</span>
                    </a>
                }
            }).collect_view()}
        </nav>
        <nav aria-label="Status" class="mt-6 flex flex-wrap gap-1 border-b border-slate-200" data-testid="status-tabs">
            {
                let current = query.status.clone().filter(|s| !s.is_empty() && s != "all");
                let tab = move |param: Option<&'static str>, label: &'static str, count: i64| {
                    let active = current.as_deref() == param;
                    let href = with(&|q| q.status = param.map(str::to_string));
                    view! {
                        <a href=href aria-current=active.then_some("page")
                            class=if active { "-mb-px rounded-t border border-b-white border-slate-200 bg-white px-3 py-2 text-sm font-medium text-brand-700" } else { "px-3 py-2 text-sm text-slate-600 hover:text-slate-900" }>
                            {label} " " <span class="tabular-nums text-slate-500">{format!("({})", format_count(count))}</span>
                        </a>
                    }
                };
                let mut tabs = vec![tab(None, "All", v.all_count)];
                tabs.extend(v.tab_counts.iter().map(|(ui, n)| tab(Some(ui.param()), ui.label(), *n)));
                tabs.collect_view()
            }
        </nav>
        <CaseTable view=v.clone() query=query.clone() />
        {v.can_work.then(|| view! { <IntakeForms merchants=v.merchants.clone() /> })}
    }
}

#[component]
fn FilterForm(query: DisputesQuery, merchants: Vec<(String, String)>) -> impl IntoView {
    let q = query;
    let selected = |current: &Option<String>, value: &str| current.as_deref() == Some(value);
    view! {
        <form method="get" action="/disputes" class="mb-6 flex flex-wrap items-end gap-3 text-sm" aria-label="Filters">
            {q.status.clone().map(|s| view! { <input type="hidden" name="status" value=s /> })}
            {q.sla.clone().map(|s| view! { <input type="hidden" name="sla" value=s /> })}
            <label class="flex flex-col text-slate-600">"Received from"
                <input type="date" name="from" value=q.from.clone() class="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label class="flex flex-col text-slate-600">"Received to"
                <input type="date" name="to" value=q.to.clone() class="rounded border border-slate-300 px-2 py-1" />
            </label>
            <label class="flex flex-col text-slate-600">"Merchant"
                <select name="merchant" class="rounded border border-slate-300 px-2 py-1">
                    <option value="">"All merchants"</option>
                    {merchants.into_iter().map(|(id, name)| {
                        let sel = selected(&q.merchant, &id);
                        view! { <option value=id.clone() selected=sel>{format!("{name} ({id})")}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Network"
                <select name="network" class="rounded border border-slate-300 px-2 py-1">
                    <option value="">"All networks"</option>
                    {NETWORKS.iter().map(|n| {
                        let sel = q.network.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(n));
                        view! { <option value=*n selected=sel>{*n}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Search"
                <input type="search" name="q" value=q.q.clone() placeholder="Case ref, txn id, RRN, UTR, network case id" class="w-72 rounded border border-slate-300 px-2 py-1" />
            </label>
            <button type="submit" class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">"Apply"</button>
            <a href="/disputes" class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

#[component]
fn CaseTable(view: DisputesView, query: DisputesQuery) -> impl IntoView {
    let v = view;
    let now = v.now;
    let total = v.page.total;
    let first = (v.page_number - 1) * PAGE_SIZE;
    let shown = v.page.rows.len() as i64;
    let sort_link = |key: SortKey| {
        let mut q = query.clone();
        q.page = None;
        let descending = !(v.sort.key == key && v.sort.descending);
        q.sort = Some(key.param().to_string());
        q.dir = Some(if descending { "desc" } else { "asc" }.to_string());
        q.href()
    };
    let header = |key: SortKey, label: &'static str, right: bool| {
        sort_header(label, sort_link(key), SortState::of(v.sort.key == key, v.sort.descending), right)
    };
    let page_link = |n: i64| {
        let mut q = query.clone();
        q.page = (n > 1).then(|| n.to_string());
        q.href()
    };
    let export_href = {
        let mut q = query.clone();
        q.page = None;
        q.href_at("/api/disputes/v1/chargebacks/export.csv")
    };
    let has_next = first + shown < total;
    view! {
        <div class="mt-4 flex items-center justify-between text-sm text-slate-600">
            <p data-testid="list-summary">
                {if total == 0 { "No cases match these filters. Clear a filter or pick another tab.".to_string() }
                 else { format!("Showing {}–{} of {} cases", format_count(first + 1), format_count(first + shown), format_count(total)) }}
            </p>
            <a href=export_href download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
        </div>
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="w-full text-sm" data-testid="cases">
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        {header(SortKey::CaseRef, "Case ref", false)}
                        {header(SortKey::Merchant, "Merchant", false)}
                        <th class="px-3 py-2 font-medium">"Txn ID"</th>
                        <th class="px-3 py-2 font-medium">"Reason"</th>
                        {header(SortKey::Amount, "Amount", true)}
                        <th class="px-3 py-2 font-medium">"Status"</th>
                        {header(SortKey::EvidenceDue, "Evidence due", false)}
                        <th class="px-3 py-2 font-medium">"Owner"</th>
                        {header(SortKey::Received, "Received", false)}
                    </tr>
                </thead>
                <tbody>
                    {v.page.rows.into_iter().map(|r| view! { <CaseLine row=r now=now /> }).collect_view()}
                </tbody>
            </table>
        </div>
        {pager(v.page_number, has_next, page_link)}
    }
}

#[component]
fn CaseLine(row: CaseRow, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let r = row;
    let status = r.ui_status;
    let due = r.evidence_due_at.map(|d| {
        let open = status.is_some_and(UiStatus::is_open);
        let label = if open { rules::due_label(d, now) } else { String::new() };
        let overdue = open && d < now;
        (ist::format_datetime(d), label, overdue)
    });
    view! {
        <tr class="border-t border-slate-100 hover:bg-slate-50" data-case-ref=r.case_ref.clone()>
            <td class="px-3 py-2 font-medium"><a href=format!("/disputes/{}", r.id) class="text-brand-700 hover:underline">{r.case_ref.clone()}</a></td>
            <td class="px-3 py-2">{r.merchant_name.clone()}</td>
            <td class="px-3 py-2 font-mono text-xs">{r.txn_ref.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="px-3 py-2"><span class="font-mono text-xs">{r.reason_code.clone()}</span> " " {r.reason_description.clone()}</td>
            <td class="px-3 py-2 text-right tabular-nums">{r.chargeback.to_inr()}</td>
            <td class="px-3 py-2">
                {match status {
                    Some(s) => view! { <span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", s.badge_class())>{s.label()}</span> }.into_any(),
                    None => view! { <span>{format!("{}/{}/{}", r.stage, r.status, r.outcome)}</span> }.into_any(),
                }}
            </td>
            <td class="px-3 py-2">
                {match due {
                    Some((when, label, overdue)) => view! {
                        <span class="block tabular-nums">{when}</span>
                        <span class=if overdue { "block text-xs font-semibold text-red-700" } else { "block text-xs text-slate-600" }>{label}</span>
                    }.into_any(),
                    None => view! { <span class="text-slate-400">"—"</span> }.into_any(),
                }}
            </td>
            <td class="px-3 py-2">{r.owner.clone().unwrap_or_else(|| "Unassigned".into())}</td>
            <td class="px-3 py-2 tabular-nums">{ist::format_datetime(r.received_at)}</td>
        </tr>
    }
}

/// CSV import (a plain multipart form) and the manual create form (a server function whose answer
/// opens the new case).
#[component]
fn IntakeForms(merchants: Vec<(String, String)>) -> impl IntoView {
    // The form posts to the server function, which answers with the new case's page (or back here
    // with the error, which the action shows).
    let create = ServerAction::<CreateDispute>::new();
    let field = "rounded border border-slate-300 px-2 py-1";
    view! {
        <div class="mt-8 grid gap-6 lg:grid-cols-2">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="text-base font-semibold text-slate-900">"Import an acquirer file"</h2>
                <p class="mt-1 text-sm text-slate-600">
                    "CSV with columns case ref / network case id, merchant id, merchant name, txn ref, RRN, UTR, amount (₹), reason code, reason, chargeback date, due date. Cases already on file are counted as duplicates, never doubled."
                </p>
                <form method="post" enctype="multipart/form-data" action="/api/disputes/v1/chargebacks/import" class="mt-3 flex flex-wrap items-end gap-3 text-sm">
                    <label class="flex flex-col text-slate-600">"Network"
                        <select name="network" class=field>
                            {NETWORKS.iter().map(|n| view! { <option value=*n>{*n}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex flex-col text-slate-600">"File"
                        <input type="file" name="file" accept=".csv,text/csv" required class="text-sm" />
                    </label>
                    <button type="submit" class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">"Import"</button>
                </form>
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
                <h2 class="text-base font-semibold text-slate-900">"New case"</h2>
                <ActionForm action=create attr:class="mt-3 grid grid-cols-2 gap-3 text-sm">
                    <label class="flex flex-col text-slate-600">"Network"
                        <select name="form[network]" class=field required>
                            {NETWORKS.iter().map(|n| view! { <option value=*n>{*n}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex flex-col text-slate-600">"Network case id"<input name="form[network_case_id]" required class=field /></label>
                    <label class="flex flex-col text-slate-600">"Merchant"
                        <select name="form[merchant_id]" class=field required>
                            {merchants.into_iter().map(|(id, name)| view! { <option value=id.clone()>{format!("{name} ({id})")}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex flex-col text-slate-600">"Amount (₹)"<input name="form[amount]" required inputmode="decimal" class=field /></label>
                    <label class="flex flex-col text-slate-600">"Reason code"<input name="form[reason_code]" required class=field /></label>
                    <label class="flex flex-col text-slate-600">"Reason"<input name="form[reason]" class=field /></label>
                    <label class="flex flex-col text-slate-600">"Received"<input type="date" name="form[received]" required class=field /></label>
                    <label class="flex flex-col text-slate-600">"Evidence due"<input type="date" name="form[due]" class=field /></label>
                    <label class="flex flex-col text-slate-600">"Txn ID"<input name="form[txn_ref]" class=field /></label>
                    <label class="flex flex-col text-slate-600">"RRN"<input name="form[rrn]" class=field /></label>
                    <label class="flex flex-col text-slate-600">"UTR"<input name="form[utr]" class=field /></label>
                    <div class="flex items-end">
                        <button type="submit" class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">"Create case"</button>
                    </div>
                </ActionForm>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3"><ErrorNotice message=e.to_string() /></div> })}
            </section>
        </div>
    }
}
