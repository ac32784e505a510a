//! `/analytics`: the window (Overview's presets, or a custom range) and the acquirer and mode
//! filters as a plain GET form, the KPIs with their change against the previous window of the same
//! length, and the six charts.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::charts::{AgeingChart, FailuresChart, FunnelChart, GmvChart, MatchRateChart, ModesChart};
use super::model::{delta_hundredths, delta_pct, AnalyticsQuery, AnalyticsSummary};
use super::server::get_analytics;
use crate::domain::METHODS;
use crate::features::overview::model::RangePreset;
use crate::ist;
use crate::money::format_count;
use crate::ui::{ErrorNotice, PageHeader};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";

fn query_from(map: &leptos_router::params::ParamsMap) -> AnalyticsQuery {
    AnalyticsQuery {
        range: map.get("range"),
        from: map.get("from"),
        to: map.get("to"),
        acquirer: map.get("acquirer"),
        mode: map.get("mode"),
    }
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let data = Resource::new(move || query.get(), get_analytics);
    view! {
        <PageHeader title="Analytics" subtitle="Settlement KPIs, trends, funnel and failures for a window of transaction (cycle) dates, IST. Amounts in ₹." />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading analytics…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(s) => view! { <Filters query=q.clone() summary=Some(s.clone()) /> <Body summary=s query=q /> }.into_any(),
                    Err(e) => view! { <Filters query=q summary=None /> <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Filters(query: AnalyticsQuery, summary: Option<AnalyticsSummary>) -> impl IntoView {
    let q = query;
    let custom = q.from.as_deref().is_some_and(|f| !f.is_empty()) || q.to.as_deref().is_some_and(|t| !t.is_empty());
    let active = if custom {
        RangePreset::Custom.param().to_string()
    } else {
        q.range.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| RangePreset::DEFAULT.param().to_string())
    };
    let keep = AnalyticsQuery { range: None, from: None, to: None, ..q.clone() };
    let acquirers = summary.as_ref().map(|s| s.acquirers.clone()).unwrap_or_default();
    let is = |current: &Option<String>, value: &str| current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(value));
    view! {
        <div class="mb-6 flex flex-wrap items-end gap-4">
            <nav aria-label="Date range" class="flex flex-wrap gap-2">
                {RangePreset::LINKS.into_iter().map(|preset| {
                    let q = AnalyticsQuery { range: Some(preset.param().to_string()), ..keep.clone() };
                    let current = active == preset.param();
                    view! {
                        <a href=format!("/analytics?{}", q.params()) aria-current=current.then_some("page")
                            class=if current { "rounded-md bg-brand-600 px-3 py-1.5 text-sm font-medium text-white" }
                                  else { "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50" }>
                            {preset.label()}
                        </a>
                    }
                }).collect_view()}
            </nav>
            <form method="get" action="/analytics" class="flex flex-wrap items-end gap-2 text-sm" aria-label="Filters">
                {(!custom).then(|| q.range.clone().map(|r| view! { <input type="hidden" name="range" value=r /> }))}
                <label class="flex flex-col text-slate-600">"From" <input type="date" name="from" value=q.from.clone() class=FIELD /></label>
                <label class="flex flex-col text-slate-600">"To" <input type="date" name="to" value=q.to.clone() class=FIELD /></label>
                <label class="flex flex-col text-slate-600">"Acquirer"
                    <select name="acquirer" class=FIELD>
                        <option value="">"All"</option>
                        {acquirers.into_iter().map(|a| view! { <option value=a.clone() selected=is(&q.acquirer, &a)>{a.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-slate-600">"Payment mode"
                    <select name="mode" class=FIELD>
                        <option value="">"All"</option>
                        {METHODS.into_iter().map(|m| view! { <option value=m selected=is(&q.mode, m)>{m}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class=BUTTON>"Apply"</button>
                <a href="/analytics" class="px-2 py-1.5 text-slate-600 underline">"Clear"</a>
            </form>
        </div>
    }
}

/// A KPI tile with its change against the previous window.
#[component]
fn Kpi(
    label: &'static str,
    value: String,
    detail: String,
    delta: Option<String>,
    unit: &'static str,
    test_id: &'static str,
) -> impl IntoView {
    let delta_text = match delta {
        None => "no previous figure to compare".to_string(),
        Some(d) => format!("{d}{unit} vs previous window"),
    };
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid=test_id>
            <h2 class="text-sm font-medium text-slate-600">{label}</h2>
            <p class="mt-2 text-3xl font-semibold tabular-nums text-slate-900" data-kpi-value="">{value}</p>
            <p class="mt-1 text-sm text-slate-600">{detail}</p>
            <p class="mt-1 text-sm text-slate-700" data-delta="">{delta_text}</p>
        </section>
    }
}

#[component]
fn Body(summary: AnalyticsSummary, query: AnalyticsQuery) -> impl IntoView {
    let s = summary;
    let (k, p) = (s.kpis.clone(), s.previous_kpis.clone());
    let params = query.params();
    let window_text = format!(
        "{} – {} ({} days) against {} – {} · figures as of {}",
        ist::format_date(s.window.from),
        ist::format_date(s.window.to),
        s.window.days(),
        ist::format_date(s.previous.from),
        ist::format_date(s.previous.to),
        ist::format_datetime(s.generated_at)
    );
    view! {
        <p class="mb-4 text-sm text-slate-600" data-testid="analytics-window">{window_text}</p>
        <div class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
            <Kpi label="Settled transactions" value=format_count(k.settled)
                detail=format!("{} · in a paid batch · amount {}", k.settled_paise.to_inr(),
                               delta_pct(k.settled_paise.0, p.settled_paise.0).map_or_else(|| "—".into(), |d| format!("{d} %")))
                delta=delta_pct(k.settled, p.settled) unit=" %" test_id="kpi-settled" />
            <Kpi label="Not yet paid" value=format_count(k.unsettled)
                detail=format!("{} of {} captured · amount {}", k.unsettled_paise.to_inr(), format_count(k.captured),
                               delta_pct(k.unsettled_paise.0, p.unsettled_paise.0).map_or_else(|| "—".into(), |d| format!("{d} %")))
                delta=delta_pct(k.unsettled, p.unsettled) unit=" %" test_id="kpi-unsettled" />
            <Kpi label="Settlement rate" value=k.settlement_rate.clone().map_or_else(|| "—".into(), |r| format!("{r} %"))
                detail="Settled ÷ captured transactions".to_string()
                delta=delta_hundredths(k.rate_hundredths, p.rate_hundredths) unit=" pp" test_id="kpi-settlement-rate" />
            <Kpi label="Average settlement time" value=k.avg_settlement_hours.clone().map_or_else(|| "—".into(), |h| format!("{h} h"))
                detail="Transaction time → batch paid".to_string()
                delta=delta_hundredths(k.avg_hours_hundredths, p.avg_hours_hundredths) unit=" h" test_id="kpi-settlement-time" />
        </div>
        <div class="mt-6 grid grid-cols-1 gap-4 xl:grid-cols-2">
            <div class="xl:col-span-2"><GmvChart summary=s.clone() params=params.clone() /></div>
            <ModesChart summary=s.clone() params=params.clone() />
            <FunnelChart summary=s.clone() params=params.clone() />
            <FailuresChart summary=s.clone() params=params.clone() />
            <MatchRateChart summary=s.clone() params=params.clone() />
            <AgeingChart summary=s params=params />
        </div>
    }
}
