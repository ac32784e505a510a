//! The `/settlements` desk: tiles over the filter, the filter form, the server-paged sortable batch
//! table with bulk approval, the create-batches form and its runs (live while one runs), payout
//! files (generate, list, download), the cycles carried forward, and the CSV export. Every control
//! is a link or a form, so the page works without JavaScript and its state lives in the URL; with
//! it, one island follows a running batch run and one box ticks the whole page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{
    BatchRow, CarryForwardRow, PayoutFileRow, RunRow, SettlementsQuery, SettlementsView, SortKey, PAGE_SIZE,
};
use super::rules::{Rail, Status};
use super::server::{get_settlement_run, get_settlements, CreateSettlementBatches, GeneratePayoutFile};
use crate::ist;
use crate::money::format_count;
use crate::ui::{pager, query_href, sort_header, ErrorNotice, FlashNotices, KpiTile, PageHeader, SortState};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
const CARD: &str = "mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm";

fn query_from(map: &leptos_router::params::ParamsMap) -> SettlementsQuery {
    SettlementsQuery {
        from: map.get("from"),
        to: map.get("to"),
        merchant: map.get("merchant"),
        status: map.get("status"),
        rail: map.get("rail"),
        sort: map.get("sort"),
        dir: map.get("dir"),
        page: map.get("page"),
    }
}

/// `path?from=…&…` with this query's non-empty parameters (the page's own URL, the export's).
fn href_at(q: &SettlementsQuery, path: &str) -> String {
    query_href(
        path,
        &[
            ("from", &q.from),
            ("to", &q.to),
            ("merchant", &q.merchant),
            ("status", &q.status),
            ("rail", &q.rail),
            ("sort", &q.sort),
            ("dir", &q.dir),
            ("page", &q.page),
        ],
    )
}

/// Badge colours for a batch status (the same pairs as the disputes chips, AA on white).
pub(super) fn status_badge(status: Status) -> &'static str {
    match status {
        Status::Calculated => "bg-slate-200 text-slate-700",
        Status::PendingApproval => "bg-amber-100 text-amber-900",
        Status::Approved => "bg-sky-100 text-sky-800",
        Status::Sent => "bg-indigo-100 text-indigo-800",
        Status::Paid => "bg-emerald-100 text-emerald-800",
        Status::Rejected => "bg-red-100 text-red-800",
        Status::OnHold => "bg-violet-100 text-violet-800",
        Status::Failed => "bg-red-100 text-red-800",
    }
}

fn run_badge(status: &str) -> &'static str {
    match status {
        "completed" => "bg-emerald-100 text-emerald-800",
        "failed" => "bg-red-100 text-red-800",
        "running" => "bg-sky-100 text-sky-800",
        _ => "bg-slate-200 text-slate-700",
    }
}

fn run_is_live(status: &str) -> bool {
    matches!(status, "queued" | "running")
}

#[component]
pub fn SettlementsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let data = Resource::new(move || query.get(), get_settlements);
    view! {
        <PageHeader title="Settlements" subtitle="Merchant payouts by cycle: create, approve (maker-checker), pay. Amounts in ₹, times in IST." />
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading batches…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => view! { <DeskBody view=v query=q /> }.into_any(),
                    Err(e) => view! {
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/settlements" class="text-brand-700 underline">"Back to all batches"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DeskBody(view: SettlementsView, query: SettlementsQuery) -> impl IntoView {
    let v = view;
    let t = v.tiles;
    let tile_detail = |c: super::model::CountNet| format!("Net {}", c.net.to_inr_compact());
    view! {
        <p class="-mt-4 mb-4 text-sm">
            <a href="/settlements/merchants" class="text-brand-700 underline">"Merchant terms"</a>
            <span class="text-slate-500">" · commission, GST, TDS, reserve, T+N and bank accounts per merchant"</span>
        </p>
        <div class="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-5">
            <KpiTile label="Awaiting approval" value=format_count(t.awaiting_approval.count) detail=tile_detail(t.awaiting_approval) test_id="kpi-awaiting-approval" />
            <KpiTile label="Approved, awaiting payout" value=format_count(t.approved_awaiting_payout.count) detail=tile_detail(t.approved_awaiting_payout) test_id="kpi-approved" />
            <KpiTile label="Sent to bank" value=format_count(t.sent.count) detail=tile_detail(t.sent) test_id="kpi-sent" />
            <KpiTile label="Paid" value=format_count(t.paid.count) detail=tile_detail(t.paid) test_id="kpi-paid" />
            <KpiTile label="Failed" value=format_count(t.failed.count) detail=tile_detail(t.failed) test_id="kpi-failed" />
        </div>
        <FilterForm query=query.clone() merchants=v.merchants.clone() />
        <BatchTable view=v.clone() query=query.clone() />
        {v.can_work.then(|| view! { <CreateForm today=v.today /> })}
        <Runs runs=v.runs.clone() />
        <PayoutFiles files=v.payout_files.clone() today=v.today can_work=v.can_work can_download=v.can_download_payouts />
        <Carried rows=v.carried.clone() />
    }
}

#[component]
fn FilterForm(query: SettlementsQuery, merchants: Vec<(String, String)>) -> impl IntoView {
    let q = query;
    let is = |current: &Option<String>, value: &str| current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(value));
    view! {
        <form method="get" action="/settlements" class="mt-6 flex flex-wrap items-end gap-3 text-sm" aria-label="Filters">
            {q.sort.clone().map(|s| view! { <input type="hidden" name="sort" value=s /> })}
            {q.dir.clone().map(|d| view! { <input type="hidden" name="dir" value=d /> })}
            <label class="flex flex-col text-slate-600">"Cycle from"
                <input type="date" name="from" value=q.from.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Cycle to"
                <input type="date" name="to" value=q.to.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Merchant"
                <select name="merchant" class=FIELD>
                    <option value="">"All merchants"</option>
                    {merchants.into_iter().map(|(id, name)| {
                        let sel = q.merchant.as_deref() == Some(id.as_str());
                        view! { <option value=id.clone() selected=sel>{format!("{name} ({id})")}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Status"
                <select name="status" class=FIELD>
                    <option value="">"All statuses"</option>
                    {Status::ALL.into_iter().map(|s| view! { <option value=s.code() selected=is(&q.status, s.code())>{s.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Rail"
                <select name="rail" class=FIELD>
                    <option value="">"All rails"</option>
                    {Rail::ALL.into_iter().map(|r| view! { <option value=r.code() selected=is(&q.rail, r.code())>{r.code()}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class=BUTTON>"Apply"</button>
            <a href="/settlements" class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

#[component]
fn BatchTable(view: SettlementsView, query: SettlementsQuery) -> impl IntoView {
    let v = view;
    let total = v.page.total;
    let first = (v.page_number - 1) * PAGE_SIZE;
    let shown = v.page.rows.len() as i64;
    let has_next = first + shown < total;
    let can_work = v.can_work;
    let sort = v.sort;
    let sort_link = |key: SortKey| {
        let mut q = query.clone();
        q.page = None;
        let descending = !(sort.key == key && sort.desc);
        q.sort = Some(key.code().to_string());
        q.dir = Some(if descending { "desc" } else { "asc" }.to_string());
        href_at(&q, "/settlements")
    };
    let header = |key: SortKey, label: &'static str, right: bool| {
        sort_header(label, sort_link(key), SortState::of(sort.key == key, sort.desc), right)
    };
    let page_link = |n: i64| {
        let mut q = query.clone();
        q.page = (n > 1).then(|| n.to_string());
        href_at(&q, "/settlements")
    };
    let export_href = href_at(&SettlementsQuery { page: None, ..query.clone() }, "/api/settlements/v1/batches.csv");
    let back = href_at(&query, "/settlements");
    let rows = v.page.rows.clone();
    let table = view! {
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table id="settlement-batches" class="w-full text-sm" data-testid="batches">
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        {can_work.then(|| view! { <th scope="col" class="px-3 py-2"><SelectBatchPage /></th> })}
                        {header(SortKey::BatchRef, "Batch", false)}
                        {header(SortKey::Merchant, "Merchant", false)}
                        {header(SortKey::CycleDate, "Cycle date", false)}
                        {header(SortKey::TxnCount, "Txns", true)}
                        {header(SortKey::Gross, "Gross", true)}
                        {header(SortKey::Deductions, "Deductions", true)}
                        {header(SortKey::Net, "Net", true)}
                        {header(SortKey::Status, "Status", false)}
                        {header(SortKey::Rail, "Rail", false)}
                        {header(SortKey::Created, "Created by", false)}
                        <th scope="col" class="px-3 py-2 font-medium">"Approved by"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| view! { <BatchLine row=r can_work=can_work /> }).collect_view()}
                </tbody>
            </table>
        </div>
    };
    view! {
        <div class="mt-4 flex items-center justify-between text-sm text-slate-600">
            <p data-testid="list-summary">
                {if total == 0 { "No batches match these filters. Clear a filter, or create batches for a cycle below.".to_string() }
                 else { format!("Showing {}–{} of {} batches", format_count(first + 1), format_count(first + shown), format_count(total)) }}
            </p>
            <a href=export_href download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
        </div>
        {if can_work {
            view! {
                <form method="post" action="/api/settlements/v1/batches/approve" aria-label="Bulk approve" data-testid="bulk-form">
                    <input type="hidden" name="back" value=back />
                    <div class="mt-2 flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm">
                        <button type="submit" class=BUTTON disabled=total == 0>"Approve selected"</button>
                        <span class="text-slate-600">"Tick batches awaiting approval. A batch you created is left for another finance user (maker-checker); the answer says which were not approved and why."</span>
                    </div>
                    {table}
                </form>
            }.into_any()
        } else {
            table.into_any()
        }}
        {pager(v.page_number, has_next, page_link)}
    }
}

/// The box in the table's header that ticks (or clears) every batch of the page: the rows' boxes
/// are the server's HTML, so the island sets them through the DOM. Without JavaScript it does
/// nothing (rows are ticked one by one).
#[island]
fn SelectBatchPage() -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let checked = event_target_checked(&ev);
            if let Ok(boxes) = document().query_selector_all("#settlement-batches tbody input[name=ids]") {
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
    view! { <input type="checkbox" aria-label="Select every batch on this page" on:change=on_change /> }
}

#[component]
fn BatchLine(row: BatchRow, can_work: bool) -> impl IntoView {
    let r = row;
    let id = r.id.to_string();
    let dash = || "—".to_string();
    view! {
        <tr class="border-t border-slate-100 hover:bg-slate-50" data-batch-ref=r.batch_ref.clone() data-status=r.status.code()>
            {can_work.then(|| view! {
                <td class="px-3 py-2"><input type="checkbox" name="ids" value=id.clone() aria-label=format!("Select {}", r.batch_ref) /></td>
            })}
            <td class="whitespace-nowrap px-3 py-2 font-mono text-xs"><a href=format!("/settlements/{id}") class="text-brand-700 hover:underline">{r.batch_ref.clone()}</a></td>
            <td class="px-3 py-2">{r.merchant_name.clone()}<span class="block text-xs text-slate-600">{r.merchant_id.clone()}</span></td>
            <td class="whitespace-nowrap px-3 py-2 tabular-nums">{ist::format_date(r.cycle_date)}</td>
            <td class="px-3 py-2 text-right tabular-nums">{format_count(r.txn_count)}</td>
            <td class="whitespace-nowrap px-3 py-2 text-right tabular-nums">{r.gross.to_inr()}</td>
            <td class="whitespace-nowrap px-3 py-2 text-right tabular-nums">{r.deductions.to_inr()}</td>
            <td class="whitespace-nowrap px-3 py-2 text-right font-medium tabular-nums">{r.net.to_inr()}</td>
            <td class="whitespace-nowrap px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", status_badge(r.status))>{r.status.label()}</span></td>
            <td class="px-3 py-2">{r.rail.code()}</td>
            <td class="px-3 py-2">
                <span class="block">{r.created_by.clone().unwrap_or_else(|| "System".into())}</span>
                <span class="block text-xs tabular-nums text-slate-600">{ist::format_datetime(r.created_at)}</span>
            </td>
            <td class="px-3 py-2">
                <span class="block">{match (&r.approved_by, r.approved_at) {
                    (Some(by), _) => by.clone(),
                    (None, Some(_)) => "Automatically".to_string(),
                    (None, None) => dash(),
                }}</span>
                {r.approved_at.map(|a| view! { <span class="block text-xs tabular-nums text-slate-600">{ist::format_datetime(a)}</span> })}
            </td>
        </tr>
    }
}

/// "Create batches for cycle D": a form posting to the server function, which queues the run and
/// comes back here with a notice (or the error, which the action shows).
#[component]
fn CreateForm(today: chrono::NaiveDate) -> impl IntoView {
    let create = ServerAction::<CreateSettlementBatches>::new();
    let yesterday = today.pred_opt().unwrap_or(today).to_string();
    view! {
        <section class=CARD data-testid="create-batches">
            <h2 class="text-base font-semibold text-slate-900">"Create batches"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "One batch per merchant for the cycle's reconciled transactions not yet in a batch. Running it again for the same cycle creates nothing new."
            </p>
            <ActionForm action=create attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Create batches">
                <label class="flex flex-col text-slate-600">"Cycle date"
                    <input type="date" name="cycle_date" required value=yesterday max=today.to_string() class=FIELD />
                </label>
                <button type="submit" class=BUTTON>"Create batches"</button>
            </ActionForm>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3"><ErrorNotice message=e.to_string() /></div> })}
        </section>
    }
}

#[component]
fn Runs(runs: Vec<RunRow>) -> impl IntoView {
    view! {
        <section class=CARD data-testid="runs">
            <h2 class="text-base font-semibold text-slate-900">"Batch runs"</h2>
            {if runs.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No batch runs yet."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="mt-2 w-full text-sm">
                            <thead class="text-left text-slate-600"><tr>
                                <th scope="col" class="py-1 pr-3 font-medium">"Cycle"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"Status"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Merchants"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Created"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Skipped"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Carried forward"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"Requested by"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"Queued"</th>
                                <th scope="col" class="py-1 font-medium">"Problems"</th>
                            </tr></thead>
                            <tbody>
                                {runs.into_iter().map(|r| {
                                    let live = run_is_live(&r.status) && r.job_id.is_some();
                                    view! {
                                        <tr class="border-t border-slate-100" data-run-status=r.status.clone()>
                                            <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_date(r.cycle_date)}</td>
                                            <td class="py-1 pr-3">
                                                {if live {
                                                    view! { <SettlementRunProgress run=r.clone() /> }.into_any()
                                                } else {
                                                    view! { <span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", run_badge(&r.status))>{r.status.clone()}</span> }.into_any()
                                                }}
                                            </td>
                                            <td class="py-1 pr-3 text-right tabular-nums">{format!("{} / {}", format_count(r.merchants_done.into()), format_count(r.merchants_total.into()))}</td>
                                            <td class="py-1 pr-3 text-right tabular-nums">{format_count(r.created.into())}</td>
                                            <td class="py-1 pr-3 text-right tabular-nums">{format_count(r.skipped.into())}</td>
                                            <td class="py-1 pr-3 text-right tabular-nums">{format_count(r.carried_forward.into())}</td>
                                            <td class="py-1 pr-3">{r.requested_by.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_datetime(r.queued_at)}</td>
                                            <td class="py-1 text-red-800">
                                                {r.error.clone().unwrap_or_default()}
                                                {(!r.problems.is_empty()).then(|| view! {
                                                    <ul class="list-disc pl-4" data-testid="run-problems">
                                                        {r.problems.iter().map(|p| view! { <li>{format!("Left out — {p}")}</li> }).collect_view()}
                                                    </ul>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// A queued or running batch run's status, alive in the browser: asked for again every two
/// seconds (merchants done follow), and once the run has ended the page loads again to show the
/// batches it made. Without JavaScript it is the status as the page was loaded, with a note to
/// reload.
#[island]
fn SettlementRunProgress(run: RunRow) -> impl IntoView {
    let run = RwSignal::new(run);
    // Bumped when an ask failed, so that the next one is scheduled all the same.
    let retry = RwSignal::new(0u32);
    Effect::new(move |_| {
        retry.track();
        let (live, job) = run.with(|r| (run_is_live(&r.status), r.job_id));
        if let (true, Some(job)) = (live, job) {
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match get_settlement_run(job).await {
                            Ok(now) if run_is_live(&now.status) => run.set(now),
                            Ok(_) => {
                                let _ = window().location().reload();
                            }
                            Err(_) => retry.update(|n| *n += 1),
                        }
                    })
                },
                std::time::Duration::from_secs(2),
            );
        }
    });
    view! {
        <span data-testid="run-progress">
            {move || run.with(|r| {
                let total = r.merchants_total.max(0);
                let done = r.merchants_done.clamp(0, total.max(0));
                view! {
                    <span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", run_badge(&r.status))>{r.status.clone()}</span>
                    {(total > 0).then(|| view! {
                        <progress max=total.to_string() value=done.to_string() class="ml-2 h-2 w-20 align-middle"
                            aria-label=format!("Batch run for {} progress", ist::format_date(r.cycle_date))></progress>
                    })}
                    <noscript><span class="block text-xs text-slate-600">"Still running: refresh the page to follow it."</span></noscript>
                }
            })}
        </span>
    }
}

#[component]
fn PayoutFiles(
    files: Vec<PayoutFileRow>,
    today: chrono::NaiveDate,
    can_work: bool,
    can_download: bool,
) -> impl IntoView {
    view! {
        <section class=CARD data-testid="payout-files">
            <h2 class="text-base font-semibold text-slate-900">"Payout files"</h2>
            {can_work.then(|| view! { <PayoutForm today=today /> })}
            {if files.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No payout files yet."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="mt-3 w-full text-sm">
                            <thead class="text-left text-slate-600"><tr>
                                <th scope="col" class="py-1 pr-3 font-medium">"Payout date"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"File"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Batches"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Total"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"SHA-256"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"Generated by"</th>
                                <th scope="col" class="py-1 font-medium">"Generated"</th>
                            </tr></thead>
                            <tbody>
                                {files.into_iter().map(|f| {
                                    let short: String = f.sha256.chars().take(12).collect();
                                    view! {
                                        <tr class="border-t border-slate-100" data-payout-file=f.file_name.clone()>
                                            <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_date(f.payout_date)}</td>
                                            <td class="py-1 pr-3">
                                                {if !f.answered_batches.is_empty() {
                                                    view! {
                                                        <span class="font-mono text-xs">{f.file_name.clone()}</span>
                                                        <span class="block text-xs text-slate-600">{format!("Answered by the bank ({}): no longer downloadable, so it is never sent twice.", f.answered_batches.join(", "))}</span>
                                                    }.into_any()
                                                } else if can_download {
                                                    view! { <a href=format!("/api/settlements/v1/payout-files/{}.csv", f.id) download="" class="font-mono text-xs text-brand-700 hover:underline" title="Download the bank file">{f.file_name.clone()}</a> }.into_any()
                                                } else {
                                                    view! { <span class="font-mono text-xs">{f.file_name.clone()}</span> }.into_any()
                                                }}
                                            </td>
                                            <td class="py-1 pr-3 text-right tabular-nums">{format_count(f.batch_count.into())}</td>
                                            <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{f.total.to_inr()}</td>
                                            <td class="py-1 pr-3 font-mono text-xs" title=f.sha256.clone()>{short}"…"</td>
                                            <td class="py-1 pr-3">{f.generated_by.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="whitespace-nowrap py-1 tabular-nums">{ist::format_datetime(f.generated_at)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {(!can_download).then(|| view! { <p class="mt-2 text-xs text-slate-600">"Your role cannot download payout files (they carry full account numbers)."</p> })}
        </section>
    }
}

#[component]
fn PayoutForm(today: chrono::NaiveDate) -> impl IntoView {
    let generate = ServerAction::<GeneratePayoutFile>::new();
    view! {
        <p class="mt-1 text-sm text-slate-600">
            "Takes every approved batch due for payout on or before the date into one bank bulk-transfer file; those batches become sent. Generating again for the same batches gives the same file, never a second payment."
        </p>
        <ActionForm action=generate attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Generate payout file">
            <label class="flex flex-col text-slate-600">"Payout date"
                <input type="date" name="payout_date" required value=today.to_string() class=FIELD />
            </label>
            <button type="submit" class=BUTTON>"Generate payout file"</button>
        </ActionForm>
        {move || generate.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3"><ErrorNotice message=e.to_string() /></div> })}
    }
}

#[component]
fn Carried(rows: Vec<CarryForwardRow>) -> impl IntoView {
    view! {
        <section class=CARD data-testid="carried-forward">
            <h2 class="text-base font-semibold text-slate-900">"Carried forward"</h2>
            <p class="mt-1 text-sm text-slate-600">"Cycles whose net is below the merchant's minimum settlement amount; each joins the merchant's next batch."</p>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"Nothing is carried forward."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="mt-2 w-full text-sm">
                            <thead class="text-left text-slate-600"><tr>
                                <th scope="col" class="py-1 pr-3 font-medium">"Merchant"</th>
                                <th scope="col" class="py-1 pr-3 font-medium">"Cycle"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Txns"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Gross"</th>
                                <th scope="col" class="py-1 pr-3 text-right font-medium">"Net"</th>
                                <th scope="col" class="py-1 text-right font-medium">"Minimum"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|c| view! {
                                    <tr class="border-t border-slate-100">
                                        <td class="py-1 pr-3">{format!("{} ({})", c.merchant_name, c.merchant_id)}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_date(c.cycle_date)}</td>
                                        <td class="py-1 pr-3 text-right tabular-nums">{format_count(c.txn_count.into())}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{c.gross.to_inr()}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{c.net.to_inr()}</td>
                                        <td class="whitespace-nowrap py-1 text-right tabular-nums">{c.minimum.to_inr()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
