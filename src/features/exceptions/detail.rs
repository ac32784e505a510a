//! The `/exceptions/:id` page: the PG row and the bank line side by side with the variance, the SLA
//! clock, suggested next steps, tags, the actions this user may take now, and the timeline.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::model::{resolution_label, severity_class, ActionKind, ExceptionView, RESOLUTIONS, SEVERITIES};
use super::rules;
use super::server::{get_exception, ExceptionAct};
use crate::ist;
use crate::ui::{ErrorNotice, FlashNotices, PageHeader};

#[component]
pub fn ExceptionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let act = ServerAction::<ExceptionAct>::new();
    // Pages render on the server only (islands): an action is a form post whose answer reloads
    // this page, and the action reads its error back from that address.
    let data = Resource::new(move || id.get(), get_exception);
    view! {
        <Suspense fallback=|| view! { <PageHeader title="Exception" /><p class="text-slate-500">"Loading the exception…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <ExceptionBody view=v act=act /> }.into_any(),
                    Err(e) => view! {
                        <PageHeader title="Exception" />
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/exceptions" class="text-brand-700 underline">"Back to the work queue"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ExceptionBody(view: ExceptionView, act: ServerAction<ExceptionAct>) -> impl IntoView {
    let v = view;
    let d = v.detail.clone();
    let r = d.row.clone();
    let row = crate::ui::def_row;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let sla_text = rules::sla_label(r.status, r.sla_due_at, v.now);
    view! {
        <p class="mb-2 text-sm"><a href="/exceptions" class="text-brand-700 hover:underline">"← Work queue"</a></p>
        <header class="mb-4 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold text-slate-900">{format!("Exception {}", r.id)}</h1>
            <span class=format!("rounded px-2 py-0.5 text-sm font-medium {}", r.status.badge_class()) data-testid="exception-status">{r.status.label()}</span>
            <span class=format!("rounded px-2 py-0.5 text-sm font-medium {}", severity_class(&r.severity)) data-testid="exception-severity">{r.severity.clone()}</span>
            {r.sla_breached.then(|| view! { <span class="rounded bg-red-600 px-2 py-0.5 text-sm font-medium text-white">"SLA breached"</span> })}
        </header>
        <FlashNotices />
        {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <section class="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="reason">
            <h2 class="text-base font-semibold text-slate-900">{r.reason_label.clone()} " " <span class="font-mono text-xs text-slate-500">{r.reason_code.clone()}</span></h2>
            <p class="mt-1 text-sm text-slate-700">{d.reason_description.clone()}</p>
        </section>
        <div class="grid gap-6 lg:grid-cols-3">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="pg-side">
                <h2 class="text-base font-semibold text-slate-900">"PG transaction"</h2>
                {match d.pg.clone() {
                    Some(p) => view! {
                        <dl class="mt-2 text-sm">
                            {row("Txn ID", p.txn_id)}
                            {row("Merchant", p.merchant)}
                            {row("Amount", p.amount.to_inr())}
                            {row("Method", p.payment_method)}
                            {row("UTR", opt(&p.utr))}
                            {row("RRN", opt(&p.rrn))}
                            {row("Paid at", ist::format_datetime(p.txn_at))}
                            {row("Cycle", ist::format_date(p.cycle_date))}
                            {row("Transaction status", p.status)}
                        </dl>
                    }.into_any(),
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No PG transaction: the bank line has no match in the gateway's records."</p> }.into_any(),
                }}
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="variance">
                <h2 class="text-base font-semibold text-slate-900">"Variance"</h2>
                <dl class="mt-2 text-sm">
                    {row("PG amount", r.pg_amount.map(|p| p.to_inr()).unwrap_or_else(|| "—".into()))}
                    {row("Bank amount", r.bank_amount.map(|p| p.to_inr()).unwrap_or_else(|| "—".into()))}
                    <div class="flex justify-between gap-4 border-t border-slate-100 py-1.5 font-semibold">
                        <dt>"Δ"</dt><dd class="tabular-nums" data-testid="delta">{r.delta.map(|p| p.to_inr()).unwrap_or_else(|| "—".into())}</dd>
                    </div>
                    {row("UTR", opt(&r.utr))}
                    {row("Cycle date", ist::format_date(r.cycle_date))}
                    {row("Acquirer", opt(&r.acquirer))}
                </dl>
                <div class=format!("mt-4 rounded-md p-3 text-sm {}", if r.sla_breached { "bg-red-50 text-red-900" } else { "bg-slate-50 text-slate-800" }) data-testid="sla-clock">
                    <p class="font-semibold">{sla_text}</p>
                    <p>{format!("Due {} · {} h for {} at {}", ist::format_datetime(r.sla_due_at), d.sla_hours, r.reason_code, r.severity)}</p>
                    <p>{format!("Raised {}", ist::format_datetime(r.created_at))}</p>
                </div>
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="bank-side">
                <h2 class="text-base font-semibold text-slate-900">"Bank line"</h2>
                {match d.bank.clone() {
                    Some(b) => view! {
                        <dl class="mt-2 text-sm">
                            {row("Bank", b.bank_name)}
                            {row("Reference", opt(&b.bank_ref))}
                            {row("Amount", b.amount.to_inr())}
                            {row("Direction", b.direction)}
                            {row("UTR", opt(&b.utr))}
                            {row("Transaction date", ist::format_date(b.txn_date))}
                            {row("Value date", b.value_date.map(ist::format_date).unwrap_or_else(|| "—".into()))}
                            {row("Remarks", opt(&b.remarks))}
                        </dl>
                    }.into_any(),
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No bank line: no credit on the statement matches this transaction."</p> }.into_any(),
                }}
            </section>
        </div>
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="work">
                <h2 class="text-base font-semibold text-slate-900">"Work"</h2>
                <dl class="mt-2 text-sm">
                    {row("Assignee", r.assignee.clone().unwrap_or_else(|| "Unassigned".into()))}
                    {row("Merchant", format!("{}{}", r.merchant_name.clone().or(r.merchant_id.clone()).unwrap_or_else(|| "—".into()),
                        if r.merchant_unknown { " — not known yet: kept out of settlement until an admin creates or maps it (Settlements → Merchants)" } else { "" }))}
                    {row("Snoozed until", r.snoozed_until.map(ist::format_datetime).unwrap_or_else(|| "—".into()))}
                    {row("Resolution", r.resolution.as_deref().map(|c| resolution_label(c).to_string()).unwrap_or_else(|| "—".into()))}
                    {row("Resolved", r.resolved_at.map(ist::format_datetime).unwrap_or_else(|| "—".into()))}
                </dl>
                <p class="mt-3 text-sm text-slate-600">"Tags: "
                    {if r.tags.is_empty() { view! { <span>"none"</span> }.into_any() } else {
                        r.tags.iter().map(|t| view! { <span class="mr-1 rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-800" data-tag=t.clone()>{t.clone()}</span> }).collect_view().into_any()
                    }}
                </p>
                {d.run_id.map(|run| view! { <p class="mt-3 text-sm"><a href=format!("/recon/runs/{run}") class="text-brand-700 hover:underline">"The recon run that raised it"</a></p> })}
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2" data-testid="next-steps">
                <h2 class="text-base font-semibold text-slate-900">"Suggested next steps"</h2>
                <ol class="mt-2 list-decimal space-y-1 pl-5 text-sm text-slate-800">
                    {v.next_steps.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}
                </ol>
                <p class="mt-2 text-sm text-slate-600">{format!("Catalogue hint: {}", d.resolution_hint)}</p>
            </section>
        </div>
        <Actions view=v.clone() act=act />
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="timeline">
            <h2 class="text-base font-semibold text-slate-900">"Timeline"</h2>
            {d.actions.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-600">"No actions yet."</p> })}
            <ol class="mt-2 space-y-2 text-sm">
                {d.actions.iter().rev().map(|a| {
                    let before = crate::ui::change_text(&a.before);
                    let after = crate::ui::change_text(&a.after);
                    view! {
                        <li class="border-l-2 border-brand-500 pl-3" data-action=a.action.clone()>
                            <p><span class="font-medium">{a.action.replace('_', " ")}</span> " · " {a.actor.clone().unwrap_or_else(|| "System".into())}
                                " · " <span class="tabular-nums text-slate-600">{ist::format_datetime(a.at)}</span></p>
                            {(!after.is_empty() || !before.is_empty()).then(|| view! {
                                <p class="text-slate-600">{(!before.is_empty()).then(|| format!("{before} → "))}{after}</p>
                            })}
                            {a.note.clone().map(|n| view! { <p class="whitespace-pre-line text-slate-800">{n}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn Actions(view: ExceptionView, act: ServerAction<ExceptionAct>) -> impl IntoView {
    let v = view;
    if v.allowed.is_empty() {
        return view! { <p class="mt-6 text-sm text-slate-600" data-testid="read-only">"Your role reads exceptions; it cannot change them."</p> }.into_any();
    }
    let id = StoredValue::new(v.detail.row.id.clone());
    let allows = |a: ActionKind| v.allowed.contains(&a);
    let field = "rounded border border-slate-300 px-2 py-1";
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700 disabled:opacity-50";
    let plain = "rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50";
    let hidden = move |action: ActionKind| {
        view! { <input type="hidden" name="form[id]" value=id.get_value() /><input type="hidden" name="form[action]" value=action.code() /> }
    };
    let mine = v.me.is_some() && v.detail.row.assignee == v.me;
    let current_severity = v.detail.row.severity.clone();
    let status_buttons: Vec<ActionKind> = [ActionKind::Investigate, ActionKind::Escalate, ActionKind::Reopen]
        .into_iter()
        .filter(|a| allows(*a))
        .collect();
    view! {
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="actions">
            <h2 class="text-base font-semibold text-slate-900">"Actions"</h2>
            <div class="mt-3 grid gap-6 text-sm lg:grid-cols-2">
                {allows(ActionKind::Assign).then(|| view! {
                    <div class="flex flex-wrap items-end gap-2">
                        <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Assign">
                            {hidden(ActionKind::Assign)}
                            <label class="flex flex-col text-slate-600">"Assignee"
                                <select name="form[assignee]" class=field>
                                    <option value="">"Unassigned"</option>
                                    {v.assignees.iter().map(|p| view! {
                                        <option value=p.email.clone() selected=v.detail.row.assignee.as_deref() == Some(p.email.as_str())>{p.name.clone()}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <button type="submit" class=plain>"Assign"</button>
                        </ActionForm>
                        {(!mine && allows(ActionKind::Take)).then(|| view! {
                            <ActionForm action=act attr:aria-label="Assign to me">
                                {hidden(ActionKind::Take)}
                                <button type="submit" class=button>"Assign to me"</button>
                            </ActionForm>
                        })}
                    </div>
                })}
                {(!status_buttons.is_empty()).then(|| view! {
                    <div class="flex flex-wrap items-end gap-2">
                        {status_buttons.into_iter().map(|a| view! {
                            <ActionForm action=act attr:aria-label=a.label()>
                                {hidden(a)}
                                <button type="submit" class=plain>{a.label()}</button>
                            </ActionForm>
                        }).collect_view()}
                    </div>
                })}
                {allows(ActionKind::Resolve).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Resolve">
                        {hidden(ActionKind::Resolve)}
                        <label class="flex flex-col text-slate-600">"Resolution code"
                            <select name="form[resolution]" class=field required>
                                <option value="">"Choose…"</option>
                                {RESOLUTIONS.iter().map(|(c, l)| view! { <option value=*c>{*l}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="flex flex-1 flex-col text-slate-600">"Note"<input name="form[note]" class=field placeholder="What was done (needed for a write-off)" /></label>
                        <button type="submit" class=button>"Resolve"</button>
                    </ActionForm>
                })}
                {allows(ActionKind::Snooze).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Snooze">
                        {hidden(ActionKind::Snooze)}
                        <label class="flex flex-col text-slate-600">"Snooze until (IST)"<input type="datetime-local" name="form[until]" required class=field /></label>
                        <label class="flex flex-1 flex-col text-slate-600">"Note"<input name="form[note]" class=field placeholder="Waiting for…" /></label>
                        <button type="submit" class=plain>"Snooze"</button>
                    </ActionForm>
                })}
                {allows(ActionKind::Severity).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Change severity">
                        {hidden(ActionKind::Severity)}
                        <label class="flex flex-col text-slate-600">"Severity"
                            <select name="form[severity]" class=field>
                                {SEVERITIES.iter().map(|s| view! { <option value=*s selected=*s == current_severity>{*s}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class=plain>"Change severity"</button>
                    </ActionForm>
                })}
                {allows(ActionKind::Tag).then(|| view! {
                    <div class="flex flex-wrap items-end gap-2">
                        <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Add tags">
                            {hidden(ActionKind::Tag)}
                            <label class="flex flex-col text-slate-600">"Tags"<input name="form[tags]" required class=field placeholder="bank-followup, high-value" /></label>
                            <button type="submit" class=plain>"Add tags"</button>
                        </ActionForm>
                        {v.detail.row.tags.clone().into_iter().map(|t| {
                            let label = format!("Remove tag {t}");
                            view! {
                            <ActionForm action=act attr:aria-label=label>
                                {hidden(ActionKind::Untag)}
                                <input type="hidden" name="form[tags]" value=t.clone() />
                                <button type="submit" class="rounded bg-slate-100 px-2 py-1 text-xs text-slate-800 hover:bg-red-50" title="Remove this tag">{format!("{t} ×")}</button>
                            </ActionForm>
                        }}).collect_view()}
                    </div>
                })}
                {allows(ActionKind::Comment).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-col gap-2 lg:col-span-2" attr:aria-label="Comment">
                        {hidden(ActionKind::Comment)}
                        <label class="flex flex-col text-slate-600">"Comment"<textarea name="form[note]" required rows="2" class=field></textarea></label>
                        <div><button type="submit" class=plain>"Add comment"</button></div>
                    </ActionForm>
                })}
            </div>
        </section>
    }
    .into_any()
}
