//! `/transactions`: the filter form (a plain GET: the state lives in the URL, the page works without
//! JavaScript), the count of what matches, the server-paged table sorted by cycle or amount, and the
//! CSV export of the same filter.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{ExplorerQuery, ExplorerView, SortKey, PAGE_SIZE};
use super::server::get_transactions;
use crate::domain::{Lifecycle, PipelineBucket, METHODS};
use crate::ist;
use crate::money::format_count;
use crate::ui::{pager, query_href, sort_header, ErrorNotice, PageHeader, SortState};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";

fn query_from(map: &leptos_router::params::ParamsMap) -> ExplorerQuery {
    ExplorerQuery {
        from: map.get("from"),
        to: map.get("to"),
        merchant: map.get("merchant"),
        acquirer: map.get("acquirer"),
        method: map.get("method"),
        status: map.get("status"),
        bucket: map.get("bucket"),
        min: map.get("min"),
        max: map.get("max"),
        q: map.get("q"),
        sort: map.get("sort"),
        dir: map.get("dir"),
        page: map.get("page"),
    }
}

/// `path?…` with this query's non-empty parameters.
fn href_at(q: &ExplorerQuery, path: &str) -> String {
    query_href(
        path,
        &[
            ("from", &q.from),
            ("to", &q.to),
            ("merchant", &q.merchant),
            ("acquirer", &q.acquirer),
            ("method", &q.method),
            ("status", &q.status),
            ("bucket", &q.bucket),
            ("min", &q.min),
            ("max", &q.max),
            ("q", &q.q),
            ("sort", &q.sort),
            ("dir", &q.dir),
            ("page", &q.page),
        ],
    )
}

/// A transaction's page (its id percent-encoded as one path segment).
pub fn detail_href(txn_id: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    format!("/transactions/{}", utf8_percent_encode(txn_id, SEGMENT))
}

#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let data = Resource::new(move || query.get(), get_transactions);
    view! {
        <PageHeader title="Transactions" subtitle="Every PG transaction, filtered by cycle date (IST), merchant, bank, method, status or pipeline stage. Amounts in ₹." />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading transactions…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => view! { <FilterForm query=q.clone() acquirers=v.acquirers.clone() /> <TxnTable view=v query=q /> }.into_any(),
                    Err(e) => view! {
                        <FilterForm query=q acquirers=Vec::new() />
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/transactions" class="text-brand-700 underline">"Clear the filters"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FilterForm(query: ExplorerQuery, acquirers: Vec<String>) -> impl IntoView {
    let q = query;
    let is = |current: &Option<String>, value: &str| current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(value));
    view! {
        <form method="get" action="/transactions" class="flex flex-wrap items-end gap-3 text-sm" aria-label="Filters">
            {q.sort.clone().map(|s| view! { <input type="hidden" name="sort" value=s /> })}
            {q.dir.clone().map(|d| view! { <input type="hidden" name="dir" value=d /> })}
            <label class="flex flex-col text-slate-600">"Cycle from"
                <input type="date" name="from" value=q.from.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Cycle to"
                <input type="date" name="to" value=q.to.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Merchant id"
                <input type="text" name="merchant" value=q.merchant.clone() size="12" class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Acquirer / bank"
                <select name="acquirer" class=FIELD>
                    <option value="">"All"</option>
                    {acquirers.into_iter().map(|a| view! { <option value=a.clone() selected=is(&q.acquirer, &a)>{a.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Method"
                <select name="method" class=FIELD>
                    <option value="">"All"</option>
                    {METHODS.into_iter().map(|m| view! { <option value=m selected=is(&q.method, m)>{m}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Status"
                <select name="status" class=FIELD>
                    <option value="">"All"</option>
                    {Lifecycle::ALL.into_iter().map(|s| view! { <option value=s.code() selected=is(&q.status, s.code())>{s.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Pipeline stage"
                <select name="bucket" class=FIELD>
                    <option value="">"All"</option>
                    {PipelineBucket::ALL.into_iter().map(|b| view! { <option value=b.param() selected=is(&q.bucket, b.param())>{b.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Amount from (₹)"
                <input type="text" inputmode="decimal" name="min" value=q.min.clone() size="8" class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"to (₹)"
                <input type="text" inputmode="decimal" name="max" value=q.max.clone() size="8" class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Txn id, UTR or RRN"
                <input type="search" name="q" value=q.q.clone() size="16" class=FIELD />
            </label>
            <button type="submit" class=BUTTON>"Apply"</button>
            <a href="/transactions" class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

#[component]
fn TxnTable(view: ExplorerView, query: ExplorerQuery) -> impl IntoView {
    let v = view;
    let first = (v.page_number - 1) * PAGE_SIZE;
    let shown = v.page.rows.len() as i64;
    let sort = v.sort;
    let sort_link = |key: SortKey| {
        let mut q = query.clone();
        q.page = None;
        let descending = !(sort.key == key && sort.desc);
        q.sort = Some(key.param().to_string());
        q.dir = Some(if descending { "desc" } else { "asc" }.to_string());
        href_at(&q, "/transactions")
    };
    let header = |key: SortKey, label: &'static str, right: bool| {
        sort_header(label, sort_link(key), SortState::of(sort.key == key, sort.desc), right)
    };
    let page_link = |n: i64| {
        let mut q = query.clone();
        q.page = (n > 1).then(|| n.to_string());
        href_at(&q, "/transactions")
    };
    let export_href = href_at(&ExplorerQuery { page: None, ..query.clone() }, "/api/recon/v1/transactions.csv");
    let summary = if v.page.total.exact && v.page.total.count == 0 {
        "No transactions match these filters. Clear a filter or widen the cycle dates.".to_string()
    } else if shown == 0 {
        format!("This page is past the last match ({} transactions match).", v.page.total.text())
    } else {
        format!(
            "Showing {}–{} of {} transactions",
            format_count(first + 1),
            format_count(first + shown),
            v.page.total.text()
        )
    };
    view! {
        <div class="mt-4 flex items-center justify-between text-sm text-slate-600">
            <p data-testid="list-summary" data-total=v.page.total.count data-exact=v.page.total.exact.to_string()>{summary}</p>
            <a href=export_href download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
        </div>
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="w-full text-sm" data-testid="transactions">
                <caption class="sr-only">"Transactions"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2 font-medium">"Transaction"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Merchant"</th>
                        {header(SortKey::Cycle, "Cycle date", false)}
                        {header(SortKey::Amount, "Amount", true)}
                        <th scope="col" class="px-3 py-2 font-medium">"Method"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Acquirer"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"UTR"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Batch"</th>
                    </tr>
                </thead>
                <tbody>
                    {v.page.rows.into_iter().map(|r| view! {
                        <tr class="border-t border-slate-100" data-txn=r.txn_id.clone()>
                            <td class="px-3 py-2"><a href=detail_href(&r.txn_id) class="font-mono text-brand-700 underline">{r.txn_id.clone()}</a></td>
                            <td class="px-3 py-2">{format!("{} ({})", r.merchant_name, r.merchant_id)}</td>
                            <td class="px-3 py-2 whitespace-nowrap" title=ist::format_datetime(r.txn_at)>{ist::format_date(r.cycle_date)}</td>
                            <td class="px-3 py-2 text-right tabular-nums whitespace-nowrap">{r.amount.to_inr()}</td>
                            <td class="px-3 py-2">{r.payment_method.clone()}</td>
                            <td class="px-3 py-2">{r.acquirer.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="px-3 py-2 font-mono">{r.utr.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-semibold {}", r.status.badge())>{r.status.label()}</span></td>
                            <td class="px-3 py-2">
                                <span class="font-mono">{r.batch_ref.clone().unwrap_or_else(|| "—".into())}</span>
                                {r.batch_status.clone().map(|s| view! { <span class="ml-1 text-xs text-slate-600">{format!("({s})")}</span> })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {pager(v.page_number, v.page.has_next, page_link)}
    }
}
