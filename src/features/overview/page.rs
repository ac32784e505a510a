//! The Overview page: date presets (links, so they work without JavaScript; with it, an island
//! refetches the figures in place, and live mode refreshes them every 30 s), the KPI tiles, the
//! settlement pipeline (each segment a link to the explorer), open exceptions, connector health
//! and the disputes summary.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{Bucket, OverviewQuery, OverviewSnapshot, RangePreset, Window};
use super::server::get_overview;
use crate::domain::PipelineBucket;
use crate::ist;
use crate::money::{format_count, Paise};
use crate::ratio::percent_text;
use crate::ui::{ErrorNotice, HealthBadge, KpiTile, PageHeader};

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
    // Fetch a window's figures in place (a preset click, a live-mode refresh).
    let refetch = Callback::new(move |wanted: OverviewQuery| {
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
    let on_preset = Callback::new(move |preset: RangePreset| {
        let wanted = OverviewQuery { range: Some(preset.param().to_string()), from: None, to: None };
        query.set(wanted.clone());
        show_address(&preset.href());
        refetch.run(wanted);
    });
    #[cfg(feature = "hydrate")]
    let _back = window_event_listener(leptos::ev::popstate, |_| {
        let _ = window().location().reload();
    });
    // Live mode (spec 5.1): with JavaScript only, so the switch appears once the page is alive.
    let alive = RwSignal::new(false);
    let live = RwSignal::new(false);
    let seconds_ago = RwSignal::new(0u32);
    Effect::new(move |_| alive.set(true));
    #[cfg(feature = "hydrate")]
    {
        use std::time::Duration;
        // Seconds since live mode last asked for figures.
        let since_asked = StoredValue::new(0u32);
        // Every second: age the figures; every 30 s of live mode: fetch them again in place.
        let _ = set_interval_with_handle(
            move || {
                seconds_ago.update(|s| *s += 1);
                since_asked.update_value(|s| *s += 1);
                // One refresh at a time, the next 30 s after the last was asked (answered or not).
                if live.get_untracked() && since_asked.get_value() >= LIVE_REFRESH_SECONDS {
                    since_asked.set_value(0);
                    refetch.run(query.get_untracked());
                }
            },
            Duration::from_secs(1),
        );
    }
    // New figures (a preset's or a refresh's answer) are 0 s old.
    Effect::new(move |_| {
        snapshot.track();
        seconds_ago.set(0);
    });
    view! {
        <RangeControls query=query.into() on_preset=Some(on_preset) />
        <Show when=move || alive.get()>
            <div class="mb-4 flex items-center gap-3 text-sm text-slate-700" data-testid="live-mode">
                <label class="inline-flex items-center gap-2">
                    <input
                        type="checkbox"
                        prop:checked=move || live.get()
                        on:change=move |ev| live.set(event_target_checked(&ev))
                        class="h-4 w-4 rounded border-slate-400"
                    />
                    {format!("Live mode (refresh every {LIVE_REFRESH_SECONDS} s)")}
                </label>
                <span aria-live="polite" data-testid="updated-ago">
                    {move || if live.get() { format!("updated {} s ago", seconds_ago.get()) } else { String::new() }}
                </span>
            </div>
        </Show>
        {move || failed.get().map(|e| view! { <ErrorNotice message=e /> })}
        {move || view! { <SnapshotView snapshot=snapshot.get() /> }}
    }
}

/// Live mode's refresh period.
const LIVE_REFRESH_SECONDS: u32 = 30;

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
        "{} – {} · figures as of {}",
        ist::format_date(s.window.from),
        ist::format_date(s.window.to),
        ist::format_datetime(s.generated_at)
    );
    let variance = s.variance().unwrap_or_default();
    let open_exception_paise =
        Paise::checked_sum(s.exceptions.by_severity.iter().map(|(_, _, a)| *a)).unwrap_or_default();
    view! {
        <p class="mb-4 text-sm text-slate-600" data-testid="overview-window">{window_text}</p>
        <div class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-5">
            <KpiTile
                label="Match rate"
                value=s.match_rate()
                detail=format!("{} of {} transactions matched", format_count(s.reconciled), format_count(s.transactions))
                test_id="kpi-match-rate"
            />
            <KpiTile
                label="Total amount"
                value=s.total.to_inr_compact()
                detail=format!("{} · {} transactions", s.total.to_inr(), format_count(s.transactions))
                test_id="kpi-transactions"
            />
            <KpiTile
                label="Reconciled amount"
                value=s.reconciled_amount.to_inr_compact()
                detail=format!("{} · {} reconciled", s.reconciled_amount.to_inr(), format_count(s.reconciled))
                test_id="kpi-reconciled"
            />
            <KpiTile
                label="Variance"
                value=variance.amount.to_inr_compact()
                detail=format!("{} unreconciled · {}", format_count(variance.count), variance.amount.to_inr())
                test_id="kpi-variance"
            />
            <KpiTile
                label="Open exceptions"
                value=format_count(s.open_exceptions)
                detail=format!("{} · of this window's cycles", open_exception_paise.to_inr())
                test_id="kpi-open-exceptions"
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
        <PipelineView snapshot=s.clone() />
        <div class="mt-8 grid grid-cols-1 gap-4 lg:grid-cols-3">
            <ExceptionsPanel snapshot=s.clone() />
            <ConnectorsPanel snapshot=s.clone() />
            <DisputesPanel snapshot=s />
        </div>
    }
}

const PANEL: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
const LINK: &str = "text-brand-700 underline hover:text-brand-900";

/// Open exceptions by severity and the top reasons, each a link into the work queue filtered to it.
#[component]
fn ExceptionsPanel(snapshot: OverviewSnapshot) -> impl IntoView {
    let w = snapshot.window;
    let queue = move |extra: String| format!("/exceptions?from={}&to={}&{extra}", w.from, w.to);
    view! {
        <section class=PANEL data-testid="exceptions-panel">
            <h2 class="text-base font-semibold text-slate-900">"Open exceptions"</h2>
            <table class="mt-2 w-full text-sm">
                <caption class="sr-only">"Open exceptions by severity"</caption>
                <thead class="text-left text-slate-600">
                    <tr><th class="py-1 font-medium">"Severity"</th><th class="py-1 text-right font-medium">"Open"</th><th class="py-1 text-right font-medium">"Amount"</th></tr>
                </thead>
                <tbody>
                    {snapshot.exceptions.by_severity.iter().map(|(sev, n, amount)| view! {
                        <tr class="border-t border-slate-100" data-severity=sev.clone()>
                            <td class="py-1"><a class=LINK href=queue(format!("severity={sev}"))>{sev.clone()}</a></td>
                            <td class="py-1 text-right tabular-nums">{format_count(*n)}</td>
                            <td class="py-1 text-right tabular-nums">{amount.to_inr()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3 class="mt-4 text-sm font-semibold text-slate-800">"Top reasons"</h3>
            {if snapshot.exceptions.top_reasons.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-600">"No open exceptions in this window."</p> }.into_any()
            } else {
                view! {
                    <ol class="mt-1 space-y-1 text-sm" data-testid="top-reasons">
                        {snapshot.exceptions.top_reasons.iter().map(|r| view! {
                            <li class="flex justify-between gap-2" data-reason=r.code.clone()>
                                <a class=LINK href=queue(format!("reason={}", r.code))>{r.label.clone()}</a>
                                <span class="tabular-nums text-slate-700">{format!("{} · {}", format_count(r.count), r.amount.to_inr())}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// Each connector's health (spec 5.1) with the reason and its last run.
#[component]
fn ConnectorsPanel(snapshot: OverviewSnapshot) -> impl IntoView {
    view! {
        <section class=PANEL data-testid="connectors-panel">
            <h2 class="text-base font-semibold text-slate-900">"Connector health"</h2>
            {if snapshot.connectors.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No connectors are set up yet: files arrive by upload."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-2 text-sm">
                        {snapshot.connectors.iter().map(|c| {
                            let last = c.facts.last_run_at.map_or_else(|| "never run".to_string(), |t| format!("last run {}", ist::format_datetime(t)));
                            view! {
                                <li class="flex flex-wrap items-center justify-between gap-2" data-connector=c.facts.name.clone()>
                                    <span class="font-medium text-slate-900">{c.facts.name.clone()}</span>
                                    <HealthBadge health=c.health />
                                    <span class="w-full text-slate-600">{format!("{} · {last}", c.reason)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Chargebacks received in the window, with links into the disputes desk.
#[component]
fn DisputesPanel(snapshot: OverviewSnapshot) -> impl IntoView {
    let w = snapshot.window;
    let d = snapshot.disputes;
    let desk = move |extra: &str| format!("/disputes?from={}&to={}{extra}", w.from, w.to);
    view! {
        <section class=PANEL data-testid="disputes-panel">
            <h2 class="text-base font-semibold text-slate-900">"Disputes"</h2>
            <p class="text-sm text-slate-600">"Chargebacks received in this window"</p>
            <dl class="mt-2 space-y-1 text-sm">
                <div class="flex justify-between"><dt><a class=LINK href=desk("&status=OPEN")>"Open"</a></dt><dd class="tabular-nums" data-testid="disputes-open">{format_count(d.open)}</dd></div>
                <div class="flex justify-between"><dt><a class=LINK href=desk("&status=evidence_required")>"Evidence required"</a></dt><dd class="tabular-nums" data-testid="disputes-evidence">{format_count(d.evidence_required)}</dd></div>
                <div class="flex justify-between"><dt><a class=LINK href=desk("&status=OPEN&sort=due&dir=asc")>"Evidence due within 48 h"</a></dt><dd class="tabular-nums" data-testid="disputes-due">{format_count(d.due_within_48h)}</dd></div>
            </dl>
        </section>
    }
}

/// The settlement pipeline: five exclusive buckets of the window's transactions, each a link to the
/// transaction explorer filtered to exactly that bucket.
#[component]
fn PipelineView(snapshot: OverviewSnapshot) -> impl IntoView {
    let p = snapshot.pipeline;
    let window: Window = snapshot.window;
    let total = p.captured.count;
    // (bucket, counts, bar colour, legend swatch colour)
    let segments: [(PipelineBucket, Bucket, &'static str, &'static str); 4] = [
        (PipelineBucket::InSettlement, p.in_settlement, "fill-sky-500", "bg-sky-500"),
        (PipelineBucket::SentToBank, p.sent_to_bank, "fill-indigo-500", "bg-indigo-500"),
        (PipelineBucket::Credited, p.credited, "fill-emerald-500", "bg-emerald-500"),
        (PipelineBucket::Unsettled, p.unsettled, "fill-slate-300", "bg-slate-300"),
    ];
    // A 1000-unit bar whose segments are the buckets' shares, rounded so that they add up to
    // exactly 1000 (the buckets add up to the total): no gap, no overflow, and the legend's share
    // column shows the same figures, adding up to 100.0 %.
    let shares = crate::ratio::shares_permille(&segments.map(|(_, bucket, _, _)| bucket.count), total);
    // Each segment: its link, label, start, width and colour. The four links are written inside the
    // `<svg>` of one `view!` below, so that they are SVG links (an `<a>` made on its own would be an
    // HTML element, which a browser does not draw inside an SVG when the island re-renders).
    let mut x = 0i64;
    let seg: Vec<(String, String, i64, i64, &'static str, String)> = segments
        .iter()
        .zip(&shares)
        .map(|((b, bucket, class, _), share)| {
            let width = share.unwrap_or(0);
            let label = format!("{}: {} of {}", b.label(), format_count(bucket.count), format_count(total));
            let s = (b.explorer_href(window.from, window.to), label.clone(), x, width, *class, label);
            x += width;
            s
        })
        .collect();
    let [s0, s1, s2, s3] = [seg[0].clone(), seg[1].clone(), seg[2].clone(), seg[3].clone()];
    let rects = view! {
        <svg viewBox="0 0 1000 24" preserveAspectRatio="none" class="mt-3 h-6 w-full rounded" role="group" aria-label="Settlement pipeline">
            <a href=s0.0 aria-label=s0.1><rect x=s0.2 y="0" width=s0.3 height="24" class=s0.4><title>{s0.5}</title></rect></a>
            <a href=s1.0 aria-label=s1.1><rect x=s1.2 y="0" width=s1.3 height="24" class=s1.4><title>{s1.5}</title></rect></a>
            <a href=s2.0 aria-label=s2.1><rect x=s2.2 y="0" width=s2.3 height="24" class=s2.4><title>{s2.5}</title></rect></a>
            <a href=s3.0 aria-label=s3.1><rect x=s3.2 y="0" width=s3.3 height="24" class=s3.4><title>{s3.5}</title></rect></a>
        </svg>
    };
    view! {
        <section class="mt-8 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="pipeline">
            <h2 class="text-base font-semibold text-slate-900">"Settlement pipeline"</h2>
            <p class="text-sm text-slate-600">
                <a class=LINK href=PipelineBucket::Captured.explorer_href(window.from, window.to) data-bucket="captured">
                    {format!("{} captured transactions", format_count(total))}
                </a>
                {format!(" ({})", p.captured.amount.to_inr())}
            </p>
            {rects}
            <table class="mt-3 w-full text-sm">
                <caption class="sr-only">"Settlement pipeline by stage"</caption>
                <thead class="text-left text-slate-600">
                    <tr><th class="py-1 font-medium">"Stage"</th><th class="py-1 text-right font-medium">"Transactions"</th><th class="py-1 text-right font-medium">"Share"</th><th class="py-1 text-right font-medium">"Amount"</th></tr>
                </thead>
                <tbody>
                    {segments
                        .iter()
                        .zip(shares)
                        .map(|((b, bucket, _, swatch), share)| {
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1">
                                        <span class=format!("mr-2 inline-block h-3 w-3 rounded-sm align-middle {swatch}") aria-hidden="true"></span>
                                        <a class=LINK href=b.explorer_href(window.from, window.to) data-bucket=b.param()>{b.label()}</a>
                                    </td>
                                    <td class="py-1 text-right tabular-nums" data-count=b.param()>{format_count(bucket.count)}</td>
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
