//! The Overview page: date presets (links, so they work without JavaScript and refetch in place
//! with it), KPI tiles and the settlement pipeline.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{Bucket, OverviewQuery, OverviewSnapshot, RangePreset};
use super::server::get_overview;
use crate::ist;
use crate::money::format_count;
use crate::ratio::{percent_text, permille_half_up};
use crate::ui::{ErrorNotice, KpiTile, PageHeader};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        query_map.with(|q| OverviewQuery { range: q.get("range"), from: q.get("from"), to: q.get("to") })
    });
    let snapshot = Resource::new(move || query.get(), get_overview);

    let active_preset = move || {
        query.with(|q| {
            if q.from.is_some() || q.to.is_some() {
                RangePreset::Custom.param().to_string()
            } else {
                q.range.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| RangePreset::DEFAULT.param().to_string())
            }
        })
    };

    view! {
        <PageHeader title="Overview" subtitle="Reconciliation, exceptions, disputes and settlement at a glance (transaction dates, IST)." />
        <div class="mb-6 flex flex-wrap items-end gap-4">
            <nav aria-label="Date range" class="flex flex-wrap gap-2">
                {RangePreset::LINKS
                    .into_iter()
                    .map(|preset| {
                        let is_active = move || active_preset() == preset.param();
                        view! {
                            <a
                                href=format!("/overview?range={}", preset.param())
                                aria-current=move || is_active().then_some("page")
                                class=move || {
                                    if is_active() {
                                        "rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white"
                                    } else {
                                        "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50"
                                    }
                                }
                            >
                                {preset.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <form method="get" action="/overview" class="flex items-end gap-2 text-sm">
                <label class="flex flex-col text-slate-600">
                    "From" <input type="date" name="from" value=move || query.with(|q| q.from.clone()) class="rounded border border-slate-300 px-2 py-1" />
                </label>
                <label class="flex flex-col text-slate-600">
                    "To" <input type="date" name="to" value=move || query.with(|q| q.to.clone()) class="rounded border border-slate-300 px-2 py-1" />
                </label>
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50">
                    "Apply"
                </button>
            </form>
        </div>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading figures…"</p> }>
            {move || Suspend::new(async move {
                match snapshot.await {
                    Ok(s) => view! { <SnapshotView snapshot=s /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SnapshotView(snapshot: OverviewSnapshot) -> impl IntoView {
    let s = snapshot;
    let window_text = format!(
        "{} – {} · updated {}",
        ist::format_date(s.window.from),
        ist::format_date(s.window.to),
        ist::format_datetime(s.generated_at)
    );
    view! {
        <p class="mb-4 text-sm text-slate-600" data-testid="overview-window">{window_text}</p>
        <div class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
            <KpiTile
                label="Transactions"
                value=format_count(s.transactions)
                detail=s.total.to_inr()
                test_id="kpi-transactions"
            />
            <KpiTile
                label="Reconciled"
                value=format_count(s.reconciled)
                detail=format!("{} match rate · {}", s.match_rate(), s.reconciled_amount.to_inr())
                test_id="kpi-reconciled"
            />
            <KpiTile
                label="Open exceptions"
                value=format_count(s.open_exceptions)
                detail="Not yet resolved, in this window".to_string()
                test_id="kpi-open-exceptions"
            />
            <KpiTile
                label="Open chargebacks"
                value=format_count(s.open_chargebacks)
                detail="Received in this window, still open".to_string()
                test_id="kpi-open-chargebacks"
            />
        </div>
        <PipelineView snapshot=s />
    }
}

/// The settlement pipeline: five exclusive buckets of the window's transactions.
#[component]
fn PipelineView(snapshot: OverviewSnapshot) -> impl IntoView {
    let p = snapshot.pipeline;
    let total = p.captured.count;
    // (label, bucket, bar colour, legend swatch colour)
    let segments: [(&'static str, Bucket, &'static str, &'static str); 4] = [
        ("In settlement", p.in_settlement, "fill-sky-500", "bg-sky-500"),
        ("Sent to bank", p.sent_to_bank, "fill-indigo-500", "bg-indigo-500"),
        ("Credited", p.credited, "fill-emerald-500", "bg-emerald-500"),
        ("Unsettled", p.unsettled, "fill-slate-300", "bg-slate-300"),
    ];
    // A 1000-unit bar: each segment ends at the per mille of the transactions up to and including
    // it, so rounding never leaves a gap or pushes the bar past 1000 (the buckets add up to total).
    let mut x = 0i64;
    let mut counted = 0i64;
    let rects = segments
        .iter()
        .map(|(label, bucket, class, _)| {
            counted += bucket.count;
            let width = permille_half_up(counted, total).unwrap_or(0) - x;
            let rect = view! {
                <rect x=x.to_string() y="0" width=width.to_string() height="24" class=*class>
                    <title>{format!("{label}: {} of {}", format_count(bucket.count), format_count(total))}</title>
                </rect>
            };
            x += width;
            rect
        })
        .collect_view();
    view! {
        <section class="mt-8 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="pipeline">
            <h2 class="text-base font-semibold text-slate-900">"Settlement pipeline"</h2>
            <p class="text-sm text-slate-600">
                {format!("{} captured transactions ({})", format_count(total), p.captured.amount.to_inr())}
            </p>
            <svg viewBox="0 0 1000 24" preserveAspectRatio="none" class="mt-3 h-6 w-full rounded" role="img" aria-label="Settlement pipeline">
                {rects}
            </svg>
            <table class="mt-3 w-full text-sm">
                <thead class="text-left text-slate-600">
                    <tr><th class="py-1 font-medium">"Stage"</th><th class="py-1 text-right font-medium">"Transactions"</th><th class="py-1 text-right font-medium">"Share"</th><th class="py-1 text-right font-medium">"Amount"</th></tr>
                </thead>
                <tbody>
                    {segments
                        .iter()
                        .map(|(label, bucket, _, swatch)| {
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1">
                                        <span class=format!("mr-2 inline-block h-3 w-3 rounded-sm align-middle {swatch}") aria-hidden="true"></span>
                                        {*label}
                                    </td>
                                    <td class="py-1 text-right tabular-nums">{format_count(bucket.count)}</td>
                                    <td class="py-1 text-right tabular-nums">{percent_text(permille_half_up(bucket.count, total))}</td>
                                    <td class="py-1 text-right tabular-nums">{bucket.amount.to_inr()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
