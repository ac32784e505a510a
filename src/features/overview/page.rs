//! The Overview page: date presets (links, so they work without JavaScript; with it, an island
//! refetches the figures in place), KPI tiles and the settlement pipeline.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{Bucket, OverviewQuery, OverviewSnapshot, RangePreset};
use super::server::get_overview;
use crate::ist;
use crate::money::format_count;
use crate::ratio::percent_text;
use crate::ui::{ErrorNotice, KpiTile, PageHeader};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map().with_untracked(|q| OverviewQuery {
        range: q.get("range"),
        from: q.get("from"),
        to: q.get("to"),
    });
    let snapshot = Resource::new(
        {
            let query = query.clone();
            move || query.clone()
        },
        get_overview,
    );
    view! {
        <PageHeader title="Overview" subtitle="Reconciliation, exceptions, disputes and settlement at a glance (transaction dates, IST)." />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading figures…"</p> }>
            {move || {
                let query = query.clone();
                Suspend::new(async move {
                    match snapshot.await {
                        Ok(s) => view! { <OverviewDashboard query=query snapshot=s /> }.into_any(),
                        // A window the server refused: the controls to pick another, and why.
                        Err(e) => view! {
                            <RangeControls query=Signal::stored(query) on_preset=None />
                            <ErrorNotice message=e.to_string() />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The figures with their presets, alive in the browser: a preset click fetches that window's
/// figures through the same server function and shows them in place (the address follows, and
/// going back reloads the page for the address it returns to). Without JavaScript the presets are
/// plain links to the same address.
#[island]
fn OverviewDashboard(query: OverviewQuery, snapshot: OverviewSnapshot) -> impl IntoView {
    let query = RwSignal::new(query);
    let snapshot = RwSignal::new(snapshot);
    let failed = RwSignal::new(None::<String>);
    // Each fetch is numbered; an answer that arrives after a newer click is dropped.
    let asked = StoredValue::new(0u32);
    let on_preset = Callback::new(move |preset: RangePreset| {
        let wanted = OverviewQuery { range: Some(preset.param().to_string()), from: None, to: None };
        query.set(wanted.clone());
        show_address(&preset.href());
        asked.update_value(|n| *n += 1);
        let this = asked.get_value();
        leptos::task::spawn_local(async move {
            let answer = get_overview(wanted).await;
            if asked.get_value() == this {
                match answer {
                    Ok(s) => {
                        snapshot.set(s);
                        failed.set(None);
                    }
                    Err(e) => failed.set(Some(e.to_string())),
                }
            }
        });
    });
    #[cfg(feature = "hydrate")]
    let _back = window_event_listener(leptos::ev::popstate, |_| {
        let _ = window().location().reload();
    });
    view! {
        <RangeControls query=query.into() on_preset=Some(on_preset) />
        {move || failed.get().map(|e| view! { <ErrorNotice message=e /> })}
        {move || view! { <SnapshotView snapshot=snapshot.get() /> }}
    }
}

/// Puts `href` in the address bar without loading it (the figures were fetched in place).
fn show_address(href: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(history) = window().history() {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// The presets (links; `on_preset` takes a click over in the browser) and the custom range form
/// (a plain GET).
#[component]
fn RangeControls(query: Signal<OverviewQuery>, on_preset: Option<Callback<RangePreset>>) -> impl IntoView {
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
        <div class="mb-6 flex flex-wrap items-end gap-4">
            <nav aria-label="Date range" class="flex flex-wrap gap-2">
                {RangePreset::LINKS
                    .into_iter()
                    .map(|preset| {
                        let is_active = move || active_preset() == preset.param();
                        view! {
                            <a
                                href=preset.href()
                                aria-current=move || is_active().then_some("page")
                                on:click=move |ev| {
                                    if let Some(take_over) = on_preset {
                                        ev.prevent_default();
                                        take_over.run(preset);
                                    }
                                }
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
            {s.settlements.map(|t| view! {
                <KpiTile
                    label="Settlement batches"
                    value=format_count(t.batches)
                    detail=format!("{} paid, of this window's cycles", format_count(t.paid_batches))
                    test_id="kpi-settlement-batches"
                />
                <KpiTile
                    label="Net paid to merchants"
                    value=t.net_paid.to_inr_compact()
                    detail=t.net_paid.to_inr()
                    test_id="kpi-net-paid"
                />
            })}
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
    // A 1000-unit bar whose segments are the buckets' shares, rounded so that they add up to
    // exactly 1000 (the buckets add up to the total): no gap, no overflow, and the legend's share
    // column shows the same figures, adding up to 100.0 %.
    let shares = crate::ratio::shares_permille(&segments.map(|(_, bucket, _, _)| bucket.count), total);
    let mut x = 0i64;
    let rects = segments
        .iter()
        .zip(&shares)
        .map(|((label, bucket, class, _), share)| {
            let width = share.unwrap_or(0);
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
                        .zip(shares)
                        .map(|((label, bucket, _, swatch), share)| {
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1">
                                        <span class=format!("mr-2 inline-block h-3 w-3 rounded-sm align-middle {swatch}") aria-hidden="true"></span>
                                        {*label}
                                    </td>
                                    <td class="py-1 text-right tabular-nums">{format_count(bucket.count)}</td>
                                    <td class="py-1 text-right tabular-nums">{percent_text(share)}</td>
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
