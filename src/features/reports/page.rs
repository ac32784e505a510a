//! `/reports`: one tab per report, the filter form of the chosen one (a plain GET: the state lives
//! in the URL and the page works without JavaScript), its first rows with the totals over all of
//! them, and the CSV and XLSX downloads of exactly that filter.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{Filter, Format, Report, ReportsQuery, ReportsView, PREVIEW_ROWS};
use super::server::get_report;
use crate::money::format_count;
use crate::sheet::Kind;
use crate::ui::{query_href, ErrorNotice, PageHeader};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
const LINK_BUTTON: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50";

fn query_from(map: &leptos_router::params::ParamsMap) -> ReportsQuery {
    ReportsQuery {
        report: map.get("report"),
        from: map.get("from"),
        to: map.get("to"),
        merchant_id: map.get("merchantId"),
        acquirer: map.get("acquirer"),
    }
}

/// The filter's parameters (those `report` takes) on `path`, `report=` first when asked.
fn href(path: &str, report: Option<Report>, f: &Filter) -> String {
    let some = |s: String| Some(s);
    let merchant = if report.is_none_or(Report::by_merchant) { f.merchant_id.clone() } else { None };
    let acquirer = if report.is_none_or(Report::by_acquirer) { f.acquirer.clone() } else { None };
    query_href(
        path,
        &[
            ("report", &report.map(|r| r.slug().to_string())),
            ("from", &some(f.from.to_string())),
            ("to", &some(f.to.to_string())),
            ("merchantId", &merchant),
            ("acquirer", &acquirer),
        ],
    )
}

fn download_href(report: Report, format: Format, f: &Filter) -> String {
    href(&format!("/api/reports/v1/{}.{}", report.slug(), format.extension()), None, f)
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let data = Resource::new(move || query.get(), get_report);
    view! {
        <PageHeader title="Reports" subtitle="Settlement, bank and tax reports for finance and audit: preview a report here, then download all of it as CSV or XLSX. Dates are cycle dates (IST)." />
        <p class="mb-4 text-sm"><a href="/reports/schedules" class="text-brand-700 underline">"Scheduled reports"</a>" — run a report on a schedule and e-mail it."</p>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the report…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => view! {
                        <Tabs current=v.report filter=v.filter.clone() />
                        <FilterForm view=v.clone() />
                        <ReportTable view=v />
                    }.into_any(),
                    Err(e) => view! {
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href=q.report.as_deref().and_then(Report::parse).map_or("/reports".to_string(), |r| format!("/reports?report={}", r.slug())) class="text-brand-700 underline">"Clear the filters"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tabs(current: Report, filter: Filter) -> impl IntoView {
    view! {
        <nav aria-label="Reports" class="mb-4 flex flex-wrap gap-1 border-b border-slate-200 text-sm">
            {Report::ALL.into_iter().map(|r| {
                let chosen = r == current;
                let class = if chosen {
                    "-mb-px rounded-t-md border border-b-white border-slate-200 bg-white px-3 py-2 font-medium text-brand-800"
                } else {
                    "px-3 py-2 text-slate-700 hover:text-brand-700 underline-offset-2 hover:underline"
                };
                view! {
                    <a href=href("/reports", Some(r), &filter) class=class aria-current=chosen.then_some("page")>{r.title()}</a>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn FilterForm(view: ReportsView) -> impl IntoView {
    let v = view;
    let r = v.report;
    let f = v.filter.clone();
    let merchant = f.merchant_id.clone().unwrap_or_default();
    let acquirer = f.acquirer.clone().unwrap_or_default();
    view! {
        <p class="mb-3 max-w-3xl text-sm text-slate-700" data-testid="report-about">{r.about()}</p>
        <form method="get" action="/reports" class="flex flex-wrap items-end gap-3 text-sm" aria-label="Report filters">
            <input type="hidden" name="report" value=r.slug() />
            <label class="flex flex-col text-slate-600">"From (cycle date)"
                <input type="date" name="from" value=f.from.to_string() class=FIELD required />
            </label>
            <label class="flex flex-col text-slate-600">"To (cycle date)"
                <input type="date" name="to" value=f.to.to_string() class=FIELD required />
            </label>
            {r.by_merchant().then(|| view! {
                <label class="flex flex-col text-slate-600">"Merchant"
                    <select name="merchantId" class=FIELD>
                        <option value="">"All merchants"</option>
                        {v.merchants.iter().map(|(id, name)| view! {
                            <option value=id.clone() selected=*id == merchant>{format!("{name} ({id})")}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            {r.by_acquirer().then(|| view! {
                <label class="flex flex-col text-slate-600">"Acquirer"
                    <select name="acquirer" class=FIELD>
                        <option value="">"All acquirers"</option>
                        {v.acquirers.iter().map(|a| view! {
                            <option value=a.clone() selected=*a == acquirer>{a.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            })}
            <button type="submit" class=BUTTON>"Apply"</button>
            <a href=format!("/reports?report={}", r.slug()) class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

fn is_number(kind: Kind) -> bool {
    matches!(kind, Kind::Money | Kind::Count)
}

#[component]
fn ReportTable(view: ReportsView) -> impl IntoView {
    let v = view;
    let r = v.report;
    let columns = r.columns();
    let shown = v.rows.len() as i64;
    let window =
        format!("cycle dates {} to {}", crate::ist::format_date(v.filter.from), crate::ist::format_date(v.filter.to));
    let summary = if v.total_rows == 0 {
        format!("No rows for {window}. Widen the dates or clear a filter.")
    } else if v.total_rows > shown {
        format!(
            "Showing the first {} of {} rows ({window}); the downloads hold them all.",
            format_count(shown),
            format_count(v.total_rows)
        )
    } else {
        format!("{} rows ({window}).", format_count(v.total_rows))
    };
    let cell_class = |kind: Kind| {
        if is_number(kind) {
            "px-3 py-1.5 text-right tabular-nums whitespace-nowrap"
        } else {
            "px-3 py-1.5 whitespace-nowrap"
        }
    };
    view! {
        <div class="mt-4 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
            <p data-testid="report-summary" data-total=v.total_rows>{summary}</p>
            <div class="flex gap-2">
                <a href=download_href(r, Format::Csv, &v.filter) download="" class=LINK_BUTTON>"Download CSV"</a>
                <a href=download_href(r, Format::Xlsx, &v.filter) download="" class=LINK_BUTTON>"Download XLSX"</a>
            </div>
        </div>
        {v.masked.then(|| view! {
            <p class="mt-2 text-sm text-slate-600" data-testid="masked-note">"Personal data in this report (account numbers, or long numbers in bank remarks) is masked for your role, here and in the downloads."</p>
        })}
        // Wide reports scroll sideways: the region takes keyboard focus so it scrolls without a mouse.
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm" tabindex="0" role="region" aria-label=format!("{} preview", r.title())>
            <table class="w-full text-sm" data-testid="report-table" data-report=r.slug()>
                <caption class="sr-only">{format!("{}: the first {PREVIEW_ROWS} rows and the totals of all", r.title())}</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        {columns.iter().map(|c| view! {
                            <th scope="col" class=format!("px-3 py-2 font-medium whitespace-nowrap {}", if is_number(c.kind) { "text-right" } else { "" })>{c.header}</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {v.rows.into_iter().map(|row| view! {
                        <tr class="border-t border-slate-100">
                            {row.into_iter().zip(columns).map(|(cell, c)| view! {
                                <td class=cell_class(c.kind)>{cell.page_text()}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
                {(v.total_rows > 0).then(|| view! {
                    <tfoot class="border-t-2 border-slate-300 bg-slate-50 font-semibold" data-testid="report-totals">
                        <tr>
                            {v.totals.into_iter().zip(columns).enumerate().map(|(i, (total, c))| {
                                let text = match (i, total) {
                                    (_, Some(t)) => t.page_text(),
                                    (0, None) => format!("Totals, all {} rows", format_count(v.total_rows)),
                                    _ => String::new(),
                                };
                                view! { <td class=cell_class(c.kind) data-column=c.sql>{text}</td> }
                            }).collect_view()}
                        </tr>
                    </tfoot>
                })}
            </table>
        </div>
    }
}
