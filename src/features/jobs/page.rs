//! `/connectors/jobs` (admin): the job queue — counts by status, a plain GET status filter, the
//! newest jobs with their attempts, run time (IST), last error and unique key, and per job the
//! retry (failed, cancelled) or cancel (queued) button, each a plain form post.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{JobView, JobsView, CONSOLE_KINDS, LIMIT, STATUSES};
use super::server::{get_jobs, ActOnJob};
use crate::auth::Access;
use crate::ist;
use crate::ui::style::{BUTTON, FIELD, PLAIN_BUTTON};
use crate::ui::{ErrorNotice, FlashNotices, PageHeader, RoleGate};

#[component]
pub fn JobsPage() -> impl IntoView {
    view! {
        <RoleGate title="Jobs" access=Access::ADMIN who="platform admins">
            <Jobs />
        </RoleGate>
    }
}

#[component]
fn Jobs() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.with(|q| q.get("status")).filter(|s| !s.is_empty()));
    let data = Resource::new(move || status.get(), get_jobs);
    view! {
        <PageHeader title="Jobs" subtitle="The background job queue: recon runs, connector runs, settlement batching and scheduled reports. Times in IST." />
        <p class="mb-4 text-sm"><a class="text-brand-700 underline" href="/connectors">"Back to the connectors"</a></p>
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the jobs…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <JobsTable view=v /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn JobsTable(view: JobsView) -> impl IntoView {
    let v = view;
    let act = ServerAction::<ActOnJob>::new();
    let refusal = move || act.value().get().and_then(|r| r.err());
    let chosen = v.status.clone().unwrap_or_default();
    view! {
        {move || refusal().map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <ul class="mb-4 flex flex-wrap gap-3 text-sm" aria-label="Jobs by status" data-testid="job-counts">
            {v.counts.iter().map(|(s, n)| view! {
                <li class="rounded border border-slate-200 bg-white px-3 py-1">
                    <a class="text-brand-700 underline" href=format!("/connectors/jobs?status={s}")>{s.clone()}</a>
                    {format!(": {n}")}
                </li>
            }).collect_view()}
        </ul>
        <form method="get" action="/connectors/jobs" class="mb-4 flex items-end gap-2 text-sm" aria-label="Filter jobs">
            <label for="job-status" class="flex flex-col text-slate-600">"Status"
                <select id="job-status" name="status" class=FIELD>
                    <option value="" selected=chosen.is_empty()>"any"</option>
                    {STATUSES.iter().map(|s| view! { <option value=*s selected=chosen == *s>{*s}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class=BUTTON>"Show"</button>
        </form>
        {if v.jobs.is_empty() {
            view! { <p class="text-sm text-slate-600">"No jobs."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto">
                    <table class="w-full text-sm" data-testid="jobs">
                        <caption class="text-left text-slate-600">{format!("The newest {LIMIT} jobs at most, newest first")}</caption>
                        <thead class="text-left text-slate-600"><tr>
                            <th scope="col" class="py-1 pr-2 font-medium">"Job"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Kind"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Status"</th>
                            <th scope="col" class="py-1 pr-2 text-right font-medium">"Attempts"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Run at"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Finished"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Last error"</th>
                            <th scope="col" class="py-1 pr-2 font-medium">"Action"</th>
                        </tr></thead>
                        <tbody>
                            {v.jobs.into_iter().map(|j| view! { <JobRow job=j act=act /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn JobRow(job: JobView, act: ServerAction<ActOnJob>) -> impl IntoView {
    let j = job;
    let action = match j.status.as_str() {
        _ if !CONSOLE_KINDS.contains(&j.kind.as_str()) => None,
        "failed" | "cancelled" => Some(("retry", "Retry")),
        "queued" => Some(("cancel", "Cancel")),
        _ => None,
    };
    view! {
        <tr class="border-t border-slate-100 align-top" data-job=j.id.to_string()>
            <td class="py-1 pr-2 tabular-nums">{j.id}
                {j.key.clone().map(|k| view! { <span class="block text-xs text-slate-500 break-all">{k}</span> })}
            </td>
            <td class="py-1 pr-2">{j.kind.clone()}</td>
            <td class="py-1 pr-2">{j.status.clone()}</td>
            <td class="py-1 pr-2 text-right tabular-nums">{format!("{} of {}", j.attempts, j.max_attempts)}</td>
            <td class="py-1 pr-2 whitespace-nowrap">{ist::format_datetime(j.run_at)}</td>
            <td class="py-1 pr-2 whitespace-nowrap">{j.finished_at.map(ist::format_datetime).unwrap_or_else(|| "—".into())}</td>
            <td class="py-1 pr-2 text-red-800">{j.last_error.clone().unwrap_or_default()}</td>
            <td class="py-1 pr-2">
                {action.map(|(code, label)| view! {
                    <ActionForm action=act attr:aria-label=format!("{label} job {}", j.id)>
                        <input type="hidden" name="id" value=j.id.to_string() />
                        <input type="hidden" name="action" value=code />
                        <button type="submit" class=PLAIN_BUTTON>{label}</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
