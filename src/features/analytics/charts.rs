//! The Analytics charts, drawn as SVG on the server: readable without JavaScript (each has a
//! `<title>` and a `<desc>` for screen readers, and its numbers as a table and a CSV beside it),
//! crisp at any zoom, with tooltips once the page is alive ([`TooltipHost`]).
//!
//! Hand-drawn rather than through a plotting crate: every mark needs its own `data-tip` text and
//! Tailwind colour class, the axes need ₹ in Indian grouping and IST dates, and the shapes are bars
//! and polylines on linear scales — a few helpers below ([`nice_ceiling`], [`Scale`]) are the whole
//! of the maths. `plotters`' SVG backend writes opaque paths with inline styles, which the page's
//! CSP (`style-src 'self'`) would block, and gives no hook for per-mark attributes.

use leptos::prelude::*;

use super::model::{Ageing, AnalyticsSummary, Chart, ChartTable, FailureBar, Funnel, GmvDay, MatchRateDay, ModeShare};
use crate::money::{format_count, Paise};

const W: i64 = 720;
const H: i64 = 280;
const LEFT: i64 = 80;
const RIGHT: i64 = 56;
const TOP: i64 = 16;
const BOTTOM: i64 = 48;
const PLOT_W: i64 = W - LEFT - RIGHT;
const PLOT_H: i64 = H - TOP - BOTTOM;

/// The smallest "nice" number (1, 2, 2.5 or 5 × 10ⁿ) at or above `max`, and its step for `ticks`
/// intervals; (1, 1) for nothing to show.
pub fn nice_ceiling(max: i64, ticks: i64) -> (i64, i64) {
    if max <= 0 {
        return (ticks, 1);
    }
    let raw = (max + ticks - 1) / ticks;
    let mut magnitude = 1i64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    for m in [1, 2, 5, 10] {
        // 2.5 × 10ⁿ as well, for amounts such as ₹25 K steps.
        for step in [m * magnitude, if m == 2 { magnitude * 5 / 2 } else { 0 }] {
            if step >= raw && step > 0 {
                return (step * ticks, step);
            }
        }
    }
    (magnitude * 10 * ticks, magnitude * 10)
}

/// A linear map from `0..=max` to the plot's height (SVG y grows downwards).
#[derive(Clone, Copy)]
struct Scale {
    max: i64,
}

impl Scale {
    fn y(self, v: i64) -> i64 {
        TOP + PLOT_H - (i128::from(v) * i128::from(PLOT_H) / i128::from(self.max.max(1))) as i64
    }
}

/// `1 Dec` for an IST date.
fn short_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %b").to_string()
}

fn rupees_axis(paise: i64) -> String {
    Paise(paise).to_inr_compact()
}

/// Horizontal grid lines and left-axis labels for `0..=max` in `ticks` steps.
fn left_axis(scale: Scale, step: i64, label: impl Fn(i64) -> String) -> impl IntoView {
    let n = scale.max / step.max(1);
    (0..=n)
        .map(|i| {
            let v = i * step;
            let y = scale.y(v);
            view! {
                <line x1=LEFT x2=LEFT + PLOT_W y1=y y2=y class="stroke-slate-200" />
                <text x=LEFT - 8 y=y + 4 text-anchor="end" class="fill-slate-600 text-[12px]">{label(v)}</text>
            }
        })
        .collect_view()
}

/// Labels on the right axis (a second measure) for `0..=max`.
fn right_axis(scale: Scale, step: i64, label: impl Fn(i64) -> String) -> impl IntoView {
    let n = scale.max / step.max(1);
    (0..=n)
        .map(|i| {
            let v = i * step;
            view! { <text x=LEFT + PLOT_W + 8 y=scale.y(v) + 4 class="fill-slate-600 text-[12px]">{label(v)}</text> }
        })
        .collect_view()
}

/// Date labels under `n` bands, at most eight of them.
fn date_axis(dates: &[chrono::NaiveDate]) -> impl IntoView {
    let n = dates.len() as i64;
    let every = ((n + 7) / 8).max(1);
    dates
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as i64) % every == 0)
        .map(|(i, d)| {
            let x = LEFT + (2 * i as i64 + 1) * PLOT_W / (2 * n.max(1));
            view! { <text x=x y=TOP + PLOT_H + 18 text-anchor="middle" class="fill-slate-600 text-[12px]">{short_date(*d)}</text> }
        })
        .collect_view()
}

fn points(values: &[i64], scale: Scale) -> String {
    let n = values.len() as i64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{},{}", LEFT + (2 * i as i64 + 1) * PLOT_W / (2 * n.max(1)), scale.y(*v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The frame every chart shares: heading, the SVG (with its title and description), a legend, the
/// numbers as a table (a disclosure that works without JavaScript) and the CSV download.
#[component]
fn ChartFrame(
    chart: Chart,
    summary: AnalyticsSummary,
    params: String,
    description: String,
    #[prop(optional)] legend: Vec<(&'static str, &'static str)>,
    #[prop(optional)] note: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let id = chart.param();
    let ChartTable { header, rows } = summary.chart_table(chart);
    let csv = format!(
        "/api/analytics/v1/charts/{id}.csv{}",
        if params.is_empty() { String::new() } else { format!("?{params}") }
    );
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-chart=id>
            <h2 class="text-base font-semibold text-slate-900" id=format!("{id}-h")>{chart.title()}</h2>
            {note.map(|n| view! { <p class="text-sm text-slate-600">{n}</p> })}
            <TooltipHost>
                // On a narrow screen the chart keeps its size and scrolls sideways; the region takes
                // the keyboard focus so that it can be scrolled without a mouse.
                <div class="overflow-x-auto" tabindex="0" role="region" aria-label=format!("{} (scrolls sideways on a narrow screen)", chart.title())>
                    <svg viewBox=format!("0 0 {W} {H}") class="h-auto w-full min-w-[640px]" role="img"
                        aria-labelledby=format!("{id}-t {id}-d")>
                        <title id=format!("{id}-t")>{chart.title()}</title>
                        <desc id=format!("{id}-d")>{description}</desc>
                        {children()}
                    </svg>
                </div>
            </TooltipHost>
            {(!legend.is_empty()).then(|| view! {
                <ul class="mt-2 flex flex-wrap gap-4 text-sm text-slate-700">
                    {legend.into_iter().map(|(label, swatch)| view! {
                        <li><span class=format!("mr-1 inline-block h-3 w-3 rounded-sm align-middle {swatch}") aria-hidden="true"></span>{label}</li>
                    }).collect_view()}
                </ul>
            })}
            <div class="mt-2 flex flex-wrap items-start justify-between gap-2 text-sm">
                <details class="w-full" data-testid=format!("{id}-numbers")>
                    <summary class="cursor-pointer text-brand-700 underline">"Show the numbers"</summary>
                    <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label=format!("{} — numbers", chart.title())>
                        <table class="w-full text-sm" data-testid=format!("{id}-table")>
                            <caption class="sr-only">{format!("{} — numbers", chart.title())}</caption>
                            <thead class="text-left text-slate-600">
                                <tr>{header.into_iter().map(|h| view! { <th scope="col" class="py-1 pr-3 font-medium">{h}</th> }).collect_view()}</tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr class="border-t border-slate-100">{r.into_iter().map(|c| view! { <td class="py-1 pr-3 tabular-nums">{c}</td> }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </details>
                <a href=csv download="" class="text-brand-700 underline" data-testid=format!("{id}-csv")>"Download CSV"</a>
            </div>
        </section>
    }
}

/// Shows a mark's `data-tip` next to the pointer once the page is alive; without JavaScript the
/// chart is the same, and its numbers are in the table beside it.
#[island]
fn TooltipHost(children: Children) -> impl IntoView {
    let tip = RwSignal::new(None::<(String, i32, i32)>);
    let host = NodeRef::<leptos::html::Div>::new();
    let on_move = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let mark = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("[data-tip]").ok().flatten());
            match (mark, host.get_untracked()) {
                (Some(mark), Some(h)) => {
                    let rect = h.get_bounding_client_rect();
                    let text = mark.get_attribute("data-tip").unwrap_or_default();
                    tip.set(Some((text, ev.client_x() - rect.left() as i32, ev.client_y() - rect.top() as i32)));
                }
                _ => tip.set(None),
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, host);
    };
    view! {
        <div class="relative mt-2" node_ref=host on:mousemove=on_move on:mouseleave=move |_| tip.set(None)>
            {children()}
            {move || tip.get().map(|(text, x, y)| view! {
                <div role="tooltip" data-testid="chart-tooltip"
                    class="pointer-events-none absolute z-10 max-w-xs rounded bg-slate-900 px-2 py-1 text-xs text-white shadow"
                    style:left=format!("{}px", x + 12) style:top=format!("{}px", y + 12)>
                    {text}
                </div>
            })}
        </div>
    }
}

/// GMV per day: captured and settled bars, their 7-day averages as lines, and the day's
/// transaction count on the right axis.
#[component]
pub fn GmvChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let days: Vec<GmvDay> = summary.gmv.clone();
    let n = days.len() as i64;
    let max = days.iter().map(|d| d.captured.0.max(d.settled.0).max(d.captured_avg7.0)).max().unwrap_or(0);
    let (top, step) = nice_ceiling(max, 4);
    let scale = Scale { max: top };
    let max_count = days.iter().map(|d| d.count).max().unwrap_or(0);
    let (count_top, count_step) = nice_ceiling(max_count, 4);
    let count_scale = Scale { max: count_top };
    let band = PLOT_W / n.max(1);
    let bar = (band * 2 / 5).max(1);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = LEFT + i as i64 * PLOT_W / n.max(1) + (band - 2 * bar) / 2;
            let tip = format!(
                "{}: captured {} ({} txns), settled {}; 7-day averages {} / {}",
                crate::ist::format_date(d.date),
                d.captured.to_inr(),
                format_count(d.count),
                d.settled.to_inr(),
                d.captured_avg7.to_inr(),
                d.settled_avg7.to_inr()
            );
            view! {
                <g data-tip=tip>
                    <rect x=x y=scale.y(d.captured.0) width=bar height=TOP + PLOT_H - scale.y(d.captured.0) class="fill-sky-500" />
                    <rect x=x + bar y=scale.y(d.settled.0) width=bar height=TOP + PLOT_H - scale.y(d.settled.0) class="fill-emerald-500" />
                </g>
            }
        })
        .collect_view();
    let cap_avg = points(&days.iter().map(|d| d.captured_avg7.0).collect::<Vec<_>>(), scale);
    let set_avg = points(&days.iter().map(|d| d.settled_avg7.0).collect::<Vec<_>>(), scale);
    let counts = points(&days.iter().map(|d| d.count).collect::<Vec<_>>(), count_scale);
    let dates: Vec<_> = days.iter().map(|d| d.date).collect();
    let total_captured = Paise(days.iter().map(|d| d.captured.0).sum());
    let total_settled = Paise(days.iter().map(|d| d.settled.0).sum());
    let description = format!(
        "{} days from {} to {}: {} captured and {} settled in all. Bars per day, lines for the 7-day averages, and the number of transactions on the right axis.",
        n,
        dates.first().map(|d| crate::ist::format_date(*d)).unwrap_or_default(),
        dates.last().map(|d| crate::ist::format_date(*d)).unwrap_or_default(),
        total_captured.to_inr(),
        total_settled.to_inr()
    );
    view! {
        <ChartFrame chart=Chart::Gmv summary=summary params=params description=description
            legend=vec![("Captured", "bg-sky-500"), ("Settled (in a paid batch)", "bg-emerald-500"),
                        ("Captured, 7-day average", "bg-sky-900"), ("Settled, 7-day average", "bg-emerald-900"),
                        ("Transactions (right axis)", "bg-amber-600")]>
            {left_axis(scale, step, rupees_axis)}
            {right_axis(count_scale, count_step, format_count)}
            {bars}
            <polyline points=cap_avg fill="none" class="stroke-sky-900" stroke-width="2" />
            <polyline points=set_avg fill="none" class="stroke-emerald-900" stroke-width="2" />
            <polyline points=counts fill="none" class="stroke-amber-600" stroke-width="1.5" stroke-dasharray="4 3" />
            {date_axis(&dates)}
        </ChartFrame>
    }
}

/// One bar of a share chart: its share in hundredths of a percent, colour class, and label.
type ShareBar = (i64, &'static str, String);

/// Horizontal bars of shares (0–100 %, two decimals as text), with their labels.
fn share_bars(rows: Vec<(String, Vec<ShareBar>)>) -> impl IntoView {
    let per_row = rows.first().map_or(1, |r| r.1.len() as i64).max(1);
    let row_h = (PLOT_H + BOTTOM - 8) / (rows.len() as i64).max(1);
    let bar_h = ((row_h - 10) / per_row).clamp(4, 22);
    rows.into_iter()
        .enumerate()
        .map(|(i, (label, bars))| {
            let y0 = TOP + i as i64 * row_h;
            view! {
                <text x=LEFT - 8 y=y0 + bar_h + 2 text-anchor="end" class="fill-slate-800 text-[12px]">{label}</text>
                {bars.into_iter().enumerate().map(|(j, (hundredths, class, tip))| {
                    // 100 % is three fifths of the plot, so the label after the longest bar fits.
                    let width = (i128::from(hundredths.clamp(0, 10_000)) * i128::from(PLOT_W * 3 / 5) / 10_000) as i64;
                    let y = y0 + j as i64 * bar_h;
                    let label = tip.clone();
                    view! {
                        <g data-tip=label>
                            <rect x=LEFT y=y width=width.max(1) height=bar_h - 2 class=class />
                            <text x=LEFT + width.max(1) + 6 y=y + bar_h - 5 class="fill-slate-700 text-[11px]">{tip}</text>
                        </g>
                    }
                }).collect_view()}
            }
        })
        .collect_view()
}

/// A label split at the space nearest its middle, for two lines under a bar.
fn two_lines(label: &str) -> (String, String) {
    let middle = label.len() / 2;
    let split = label.match_indices(' ').map(|(i, _)| i).min_by_key(|i| i.abs_diff(middle));
    match split {
        Some(i) if label.len() > 14 => (label[..i].to_string(), label[i + 1..].to_string()),
        _ => (label.to_string(), String::new()),
    }
}

fn hundredths_of(text: &Option<String>) -> i64 {
    text.as_deref()
        .and_then(|t| {
            let (whole, frac) = t.split_once('.').unwrap_or((t, "0"));
            Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
        })
        .unwrap_or(0)
}

/// The payment-mode split: each mode's share of the window's count and of its amount.
#[component]
pub fn ModesChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let modes: Vec<ModeShare> = summary.modes.clone();
    let description = if modes.is_empty() {
        "No transactions in this window.".to_string()
    } else {
        modes
            .iter()
            .map(|m| {
                format!(
                    "{}: {} % of transactions, {} % of the amount",
                    m.mode,
                    m.count_share.clone().unwrap_or_default(),
                    m.amount_share.clone().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rows = modes
        .iter()
        .map(|m| {
            (
                m.mode.clone(),
                vec![
                    (
                        hundredths_of(&m.count_share),
                        "fill-sky-500",
                        format!(
                            "{} % of transactions ({})",
                            m.count_share.clone().unwrap_or_default(),
                            format_count(m.count)
                        ),
                    ),
                    (
                        hundredths_of(&m.amount_share),
                        "fill-indigo-500",
                        format!(
                            "{} % of the amount ({})",
                            m.amount_share.clone().unwrap_or_default(),
                            m.amount.to_inr()
                        ),
                    ),
                ],
            )
        })
        .collect();
    view! {
        <ChartFrame chart=Chart::Modes summary=summary params=params description=description
            legend=vec![("Share of transactions", "bg-sky-500"), ("Share of the amount", "bg-indigo-500")]>
            {share_bars(rows)}
        </ChartFrame>
    }
}

/// The funnel captured → reconciled → in a batch → paid, each as a share of captured.
#[component]
pub fn FunnelChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let f: Funnel = summary.funnel;
    let stage = |label: &str, n: i64| {
        let pct = crate::ratio::rate_2dp(n, f.captured);
        (
            label.to_string(),
            vec![(
                hundredths_of(&pct),
                "fill-brand-600",
                format!("{} ({} %)", format_count(n), pct.unwrap_or_else(|| "—".into())),
            )],
        )
    };
    let rows = vec![
        stage("Captured", f.captured),
        stage("Reconciled", f.reconciled),
        stage("In a batch", f.batched),
        stage("Paid", f.paid),
    ];
    let description = format!(
        "Of {} captured transactions, {} reconciled, {} in a settlement batch and {} paid; each stage is part of the one before.",
        format_count(f.captured),
        format_count(f.reconciled),
        format_count(f.batched),
        format_count(f.paid)
    );
    view! {
        <ChartFrame chart=Chart::Funnel summary=summary params=params description=description>
            {share_bars(rows)}
        </ChartFrame>
    }
}

/// Payout failures by reason, largest first, with the cumulative share as a line (right axis).
#[component]
pub fn FailuresChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let bars: Vec<FailureBar> = summary.failures.clone();
    let n = bars.len() as i64;
    let (top, step) = nice_ceiling(bars.iter().map(|b| b.count).max().unwrap_or(0), 4);
    let scale = Scale { max: top };
    let pct_scale = Scale { max: 10_000 };
    let band = PLOT_W / n.max(1);
    let marks = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = LEFT + i as i64 * band + band / 5;
            let tip = format!("{} ({}): {} failed transfers, {} % cumulative", b.label, b.owner.code(), format_count(b.count), b.cumulative_pct);
            let (line1, line2) = two_lines(&b.label);
            view! {
                <g data-tip=tip>
                    <rect x=x y=scale.y(b.count) width=band * 3 / 5 height=TOP + PLOT_H - scale.y(b.count) class="fill-red-500" />
                    <text x=x + band * 3 / 10 y=TOP + PLOT_H + 14 text-anchor="middle" class="fill-slate-700 text-[11px]">{line1}</text>
                    <text x=x + band * 3 / 10 y=TOP + PLOT_H + 27 text-anchor="middle" class="fill-slate-700 text-[11px]">{line2}</text>
                    <text x=x + band * 3 / 10 y=TOP + PLOT_H + 41 text-anchor="middle" class="fill-slate-600 text-[11px]">{b.owner.code()}</text>
                </g>
            }
        })
        .collect_view();
    let line =
        points(&bars.iter().map(|b| hundredths_of(&Some(b.cumulative_pct.clone()))).collect::<Vec<_>>(), pct_scale);
    let description = if bars.is_empty() {
        "No payout transfer failed for this window's batches.".to_string()
    } else {
        bars.iter()
            .map(|b| format!("{}: {} ({} % cumulative, owner {})", b.label, b.count, b.cumulative_pct, b.owner.code()))
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! {
        <ChartFrame chart=Chart::Failures summary=summary params=params description=description
            note="Failed payout transfers of this window's batches (a transfer pays a merchant's batch, so the acquirer and mode filters do not apply)."
            legend=vec![("Failed transfers", "bg-red-500"), ("Cumulative % (right axis)", "bg-slate-800")]>
            {left_axis(scale, step, format_count)}
            {right_axis(pct_scale, 2_500, |v| format!("{} %", v / 100))}
            {marks}
            <polyline points=line fill="none" class="stroke-slate-800" stroke-width="2" />
        </ChartFrame>
    }
}

/// The recon match rate of each day (0–100 %).
#[component]
pub fn MatchRateChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let days: Vec<MatchRateDay> = summary.match_rate.clone();
    let scale = Scale { max: 10_000 };
    let n = days.len() as i64;
    // The line joins consecutive days that had transactions; a day without any breaks it.
    let mut runs: Vec<Vec<(usize, i64)>> = Vec::new();
    for (i, d) in days.iter().enumerate() {
        match (&d.rate, runs.last_mut()) {
            (None, _) => runs.push(Vec::new()),
            (Some(_), Some(run)) => run.push((i, hundredths_of(&d.rate))),
            (Some(_), None) => runs.push(vec![(i, hundredths_of(&d.rate))]),
        }
    }
    let lines = runs
        .into_iter()
        .filter(|r| r.len() > 1)
        .map(|run| {
            let pts = run
                .iter()
                .map(|(i, v)| format!("{},{}", LEFT + (2 * *i as i64 + 1) * PLOT_W / (2 * n.max(1)), scale.y(*v)))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline points=pts fill="none" class="stroke-brand-600" stroke-width="2" /> }
        })
        .collect_view();
    let dots = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.rate.is_some())
        .map(|(i, d)| {
            let x = LEFT + (2 * i as i64 + 1) * PLOT_W / (2 * n.max(1));
            let tip = format!(
                "{}: {} % ({} of {})",
                crate::ist::format_date(d.date),
                d.rate.clone().unwrap_or_default(),
                format_count(d.reconciled),
                format_count(d.captured)
            );
            view! { <circle cx=x cy=scale.y(hundredths_of(&d.rate)) r="4" class="fill-brand-600" data-tip=tip /> }
        })
        .collect_view();
    let dates: Vec<_> = days.iter().map(|d| d.date).collect();
    let description = days
        .iter()
        .filter_map(|d| d.rate.as_ref().map(|r| format!("{}: {r} %", short_date(d.date))))
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <ChartFrame chart=Chart::MatchRate summary=summary params=params
            description=if description.is_empty() { "No transactions in this window.".to_string() } else { description }>
            {left_axis(scale, 2_500, |v| format!("{} %", v / 100))}
            {lines}
            {dots}
            {date_axis(&dates)}
        </ChartFrame>
    }
}

/// Open exceptions of the window by age.
#[component]
pub fn AgeingChart(summary: AnalyticsSummary, params: String) -> impl IntoView {
    let a: Ageing = summary.ageing;
    let values = a.as_array();
    let (top, step) = nice_ceiling(values.iter().copied().max().unwrap_or(0), 4);
    let scale = Scale { max: top };
    let band = PLOT_W / 4;
    let classes = ["fill-emerald-500", "fill-amber-500", "fill-orange-600", "fill-red-600"];
    let marks = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = LEFT + i as i64 * band + band / 4;
            let tip = format!("{}: {} open", Ageing::LABELS[i], format_count(*v));
            view! {
                <g data-tip=tip>
                    <rect x=x y=scale.y(*v) width=band / 2 height=TOP + PLOT_H - scale.y(*v) class=classes[i] />
                    <text x=x + band / 4 y=TOP + PLOT_H + 18 text-anchor="middle" class="fill-slate-700 text-[12px]">{Ageing::LABELS[i]}</text>
                </g>
            }
        })
        .collect_view();
    let description =
        Ageing::LABELS.iter().zip(values).map(|(l, v)| format!("{l}: {v}")).collect::<Vec<_>>().join("; ");
    view! {
        <ChartFrame chart=Chart::Ageing summary=summary params=params description=format!("Open exceptions by age since raised — {description}")>
            {left_axis(scale, step, format_count)}
            {marks}
        </ChartFrame>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings_cover_the_maximum_in_round_steps() {
        assert_eq!(nice_ceiling(0, 4), (4, 1));
        assert_eq!(nice_ceiling(7, 4), (8, 2));
        assert_eq!(nice_ceiling(97, 4), (100, 25));
        assert_eq!(nice_ceiling(1_234_567, 4), (2_000_000, 500_000));
        for max in [1, 3, 9, 10, 11, 99, 101, 12_345, 987_654_321] {
            let (top, step) = nice_ceiling(max, 4);
            assert!(top >= max && top == step * 4, "{max}: {top} {step}");
        }
    }

    #[test]
    fn long_labels_take_two_lines() {
        assert_eq!(two_lines("Beneficiary account closed"), ("Beneficiary".into(), "account closed".into()));
        assert_eq!(two_lines("Bank timeout"), ("Bank timeout".into(), String::new()));
    }

    #[test]
    fn hundredths_are_read_back_from_rate_text() {
        assert_eq!(hundredths_of(&Some("87.40".into())), 8740);
        assert_eq!(hundredths_of(&Some("100.00".into())), 10_000);
        assert_eq!(hundredths_of(&None), 0);
    }
}
