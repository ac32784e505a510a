//! `/audit`: the filter form (a plain GET: the state lives in the URL, the page works without
//! JavaScript), the count of what matches, the server-paged log with each row's changes as a
//! before/after table, the CSV export of the same filter, and `/audit/verify`, which walks the
//! hash chain and says whether it is whole or where it breaks.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::model::{diff, AuditQuery, AuditRow, AuditView, ChainReport, Outcome, COUNT_CAP, PAGE_SIZE};
use super::server::{get_audit, verify_chain};
use crate::auth::{Access, Role};
use crate::ist;
use crate::money::format_count;
use crate::ui::{pager, query_href, ErrorNotice, PageHeader, RoleGate};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
const WHO: &str = "compliance, auditors and admins";

fn query_from(map: &leptos_router::params::ParamsMap) -> AuditQuery {
    AuditQuery {
        actor: map.get("actor"),
        role: map.get("role"),
        action: map.get("action"),
        target_type: map.get("targetType"),
        target_id: map.get("targetId"),
        outcome: map.get("outcome"),
        from: map.get("from"),
        to: map.get("to"),
        ip: map.get("ip"),
        page: map.get("page"),
    }
}

/// `path?…` with this query's non-empty parameters.
fn href_at(q: &AuditQuery, path: &str) -> String {
    query_href(
        path,
        &[
            ("actor", &q.actor),
            ("role", &q.role),
            ("action", &q.action),
            ("targetType", &q.target_type),
            ("targetId", &q.target_id),
            ("outcome", &q.outcome),
            ("from", &q.from),
            ("to", &q.to),
            ("ip", &q.ip),
            ("page", &q.page),
        ],
    )
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <RoleGate title="Audit log" access=Access::AUDIT_LOG who=WHO>
            <AuditLog />
        </RoleGate>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(query_from));
    let data = Resource::new(move || query.get(), get_audit);
    view! {
        <PageHeader title="Audit log" subtitle="Every change and every sign-in attempt, newest first. Times in IST." />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => view! {
                        <FilterForm query=q.clone() actions=v.actions.clone() target_types=v.target_types.clone() />
                        <LogTable view=v query=q />
                    }.into_any(),
                    Err(e) => view! {
                        <FilterForm query=q actions=Vec::new() target_types=Vec::new() />
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/audit" class="text-brand-700 underline">"Clear the filters"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FilterForm(query: AuditQuery, mut actions: Vec<String>, mut target_types: Vec<String>) -> impl IntoView {
    let q = query;
    // A value in the address that the log's lists lack (a typo, an action not written yet) stays
    // chosen, so Apply does not drop it silently.
    for (list, current) in [(&mut actions, &q.action), (&mut target_types, &q.target_type)] {
        if let Some(c) = current.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            if !list.iter().any(|a| a == c) {
                list.insert(0, c.to_string());
            }
        }
    }
    let is = |current: &Option<String>, value: &str| current.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(value));
    view! {
        <form method="get" action="/audit" class="flex flex-wrap items-end gap-3 text-sm" aria-label="Filters">
            <label class="flex flex-col text-slate-600">"Actor (e-mail)"
                <input type="text" name="actor" value=q.actor.clone() size="22" class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Role"
                <select name="role" class=FIELD>
                    <option value="">"All"</option>
                    {Role::ALL.into_iter().map(|r| view! { <option value=r.code() selected=is(&q.role, r.code())>{r.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Action"
                <select name="action" class=FIELD>
                    <option value="">"All"</option>
                    {actions.into_iter().map(|a| view! { <option value=a.clone() selected=is(&q.action, &a)>{a.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Target type"
                <select name="targetType" class=FIELD>
                    <option value="">"All"</option>
                    {target_types.into_iter().map(|t| view! { <option value=t.clone() selected=is(&q.target_type, &t)>{t.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"Target id"
                <input type="text" name="targetId" value=q.target_id.clone() size="14" class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"Outcome"
                <select name="outcome" class=FIELD>
                    <option value="">"All"</option>
                    {Outcome::ALL.into_iter().map(|o| view! { <option value=o.code() selected=is(&q.outcome, o.code())>{o.code()}</option> }).collect_view()}
                </select>
            </label>
            <label class="flex flex-col text-slate-600">"From (IST)"
                <input type="date" name="from" value=q.from.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"To (IST)"
                <input type="date" name="to" value=q.to.clone() class=FIELD />
            </label>
            <label class="flex flex-col text-slate-600">"IP address"
                <input type="text" name="ip" value=q.ip.clone() size="14" class=FIELD />
            </label>
            <button type="submit" class=BUTTON>"Apply"</button>
            <a href="/audit" class="px-2 py-1.5 text-slate-600 underline">"Clear filters"</a>
        </form>
    }
}

#[component]
fn LogTable(view: AuditView, query: AuditQuery) -> impl IntoView {
    let v = view;
    let first = (v.page_number - 1) * PAGE_SIZE;
    let shown = v.page.rows.len() as i64;
    // The next page would start past the rows a view pages through (`Filter::page_allowed`).
    let beyond = v.page.has_next && first + PAGE_SIZE >= COUNT_CAP;
    let page_link = |n: i64| {
        let mut q = query.clone();
        q.page = (n > 1).then(|| n.to_string());
        href_at(&q, "/audit")
    };
    let export_href = href_at(&AuditQuery { page: None, ..query.clone() }, "/api/audit/v1/events.csv");
    let summary = if v.page.total.exact && v.page.total.count == 0 {
        "No audit events match these filters. Clear a filter or widen the dates.".to_string()
    } else if shown == 0 {
        format!("This page is past the last match ({} events match).", v.page.total.text())
    } else {
        format!("Showing {}–{} of {} events", format_count(first + 1), format_count(first + shown), v.page.total.text())
    };
    view! {
        <div class="mt-4 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
            <p data-testid="list-summary" data-total=v.page.total.count data-exact=v.page.total.exact.to_string()>{summary}</p>
            <div class="flex gap-2">
                <form method="get" action="/audit/verify">
                    <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Verify chain"</button>
                </form>
                <a href=export_href download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
            </div>
        </div>
        {v.masked.then(|| view! {
            <p class="mt-2 text-sm text-slate-600" data-testid="masked-note">"Personal data (account numbers, customer e-mail and phone) is masked for your role, here and in the export."</p>
        })}
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="w-full text-sm" data-testid="audit-log">
                <caption class="sr-only">"Audit events"</caption>
                <thead class="bg-slate-50 text-left text-slate-600">
                    <tr>
                        <th scope="col" class="px-3 py-2 font-medium">"When (IST)"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Actor"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Action"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Target"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Outcome"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"IP"</th>
                        <th scope="col" class="px-3 py-2 font-medium">"Changes"</th>
                    </tr>
                </thead>
                <tbody>
                    {v.page.rows.into_iter().map(|r| view! { <LogRow row=r /> }).collect_view()}
                </tbody>
            </table>
        </div>
        {beyond.then(|| view! {
            <p class="mt-2 text-sm text-slate-600">{format!("Pages go up to the first {} events: narrow the dates or add a filter to see older ones.", format_count(COUNT_CAP))}</p>
        })}
        {pager(v.page_number, v.page.has_next && !beyond, page_link)}
    }
}

#[component]
fn LogRow(row: AuditRow) -> impl IntoView {
    let r = row;
    let changes = diff(r.before.as_ref(), r.after.as_ref());
    let outcome =
        if r.success { ("success", "bg-emerald-100 text-emerald-900") } else { ("failure", "bg-red-100 text-red-900") };
    let roles = r.roles.join(", ");
    let target = match &r.target_id {
        Some(id) => format!("{} {id}", r.target_type),
        None => r.target_type.clone(),
    };
    let summary = match changes.len() {
        0 => "Details".to_string(),
        1 => "1 field".to_string(),
        n => format!("{n} fields"),
    };
    let has_more = !changes.is_empty() || r.details.is_some();
    view! {
        <tr class="border-t border-slate-100 align-top" data-audit-id=r.id data-action=r.action.clone()>
            <td class="px-3 py-2 whitespace-nowrap" title=r.at.to_rfc3339()>{ist::format_datetime(r.at)}</td>
            <td class="px-3 py-2">
                <span class="block">{r.actor.clone().unwrap_or_else(|| "system".into())}</span>
                {(!roles.is_empty()).then(|| view! { <span class="block text-xs text-slate-600">{roles.clone()}</span> })}
            </td>
            <td class="px-3 py-2 font-mono text-xs">{r.action.clone()}</td>
            <td class="px-3 py-2 break-all">{target}</td>
            <td class="px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-semibold {}", outcome.1)>{outcome.0}</span></td>
            <td class="px-3 py-2 font-mono text-xs">{r.ip.clone().unwrap_or_else(|| "—".into())}</td>
            <td class="px-3 py-2">
                {has_more.then(|| view! {
                    <details>
                        <summary class="cursor-pointer text-brand-700 underline">{summary}</summary>
                        {r.details.clone().map(|d| view! { <p class="mt-1 max-w-md text-xs text-slate-700">{d}</p> })}
                        {(!changes.is_empty()).then(|| view! {
                            <table class="mt-1 text-xs" data-testid="diff">
                                <caption class="sr-only">{format!("Changes of event {}", r.id)}</caption>
                                <thead><tr>
                                    <th scope="col" class="pr-3 text-left font-medium text-slate-600">"Field"</th>
                                    <th scope="col" class="pr-3 text-left font-medium text-slate-600">"Before"</th>
                                    <th scope="col" class="text-left font-medium text-slate-600">"After"</th>
                                </tr></thead>
                                <tbody>
                                    {changes.iter().map(|c| view! {
                                        <tr>
                                            <th scope="row" class="pr-3 text-left font-mono font-normal">{c.field.clone()}</th>
                                            <td class="pr-3 text-red-800 break-all">{c.before.clone().unwrap_or_else(|| "(none)".into())}</td>
                                            <td class="text-emerald-800 break-all">{c.after.clone().unwrap_or_else(|| "(none)".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                    </details>
                })}
            </td>
        </tr>
    }
}

#[component]
pub fn AuditVerifyPage() -> impl IntoView {
    view! {
        <RoleGate title="Verify the audit chain" access=Access::AUDIT_LOG who=WHO>
            <VerifyResult />
        </RoleGate>
    }
}

#[component]
fn VerifyResult() -> impl IntoView {
    let report = Resource::new(|| (), |_| verify_chain());
    view! {
        <PageHeader title="Verify the audit chain" subtitle="Each audit row carries a SHA-256 hash over its content and the previous row's hash. This walks the whole chain and reports the first link that does not hold." />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Checking every row of the chain…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <ChainResult report=r /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
        <p class="mt-4 text-sm"><a href="/audit" class="text-brand-700 underline">"Back to the audit log"</a></p>
    }
}

#[component]
fn ChainResult(report: ChainReport) -> impl IntoView {
    let r = report;
    if r.ok {
        let text = format!("The chain is whole: {} rows checked, every link holds.", format_count(r.checked));
        view! {
            <div class="rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-emerald-900" role="status" data-testid="chain-result" data-ok="true">
                <p class="font-medium">{text}</p>
                {r.head_hash.map(|h| view! { <p class="mt-1 break-all font-mono text-xs">{format!("Hash of the last row: {h}")}</p> })}
            </div>
        }
        .into_any()
    } else {
        let text = format!(
            "The chain is broken at audit row #{} (position {}): {}.",
            r.first_broken_id.unwrap_or_default(),
            r.first_broken_seq.unwrap_or_default(),
            r.reason.unwrap_or_default()
        );
        view! {
            <div class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" role="alert" data-testid="chain-result" data-ok="false">
                <p class="font-medium">{text}</p>
                <p class="mt-1 text-sm">{format!("{} rows were checked, up to and including that one. Rows before it are intact.", format_count(r.checked))}</p>
            </div>
        }
        .into_any()
    }
}
