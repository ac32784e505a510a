//! The `/disputes/:id` page: summary, linked transaction, evidence (upload, list, download), the
//! actions this user may take now, recovery / settlement impact, and the timeline.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::model::{CaseView, UiStatus, DOCUMENT_KINDS, TEAMS};
use super::rules;
use super::server::{get_dispute_case, DisputeAct};
use crate::ist;
use crate::ui::{ErrorNotice, FlashNotices, PageHeader};

#[component]
pub fn DisputePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let act = ServerAction::<DisputeAct>::new();
    // Pages render on the server only (islands): an action is a form post whose answer reloads
    // this page, and the action reads its error back from that address.
    let case = Resource::new(move || id.get(), get_dispute_case);

    view! {
        <Suspense fallback=|| view! { <PageHeader title="Dispute detail" /><p class="text-slate-500">"Loading the case…"</p> }>
            {move || Suspend::new(async move {
                match case.await {
                    Ok(v) => view! { <CaseBody view=v act=act /> }.into_any(),
                    Err(e) => {
                        // The server function has set the response status (404 for an unknown id).
                        view! {
                            <PageHeader title="Dispute detail" />
                            <ErrorNotice message=e.to_string() />
                            <p class="mt-4"><a href="/disputes" class="text-brand-700 underline">"Back to all disputes"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn CaseBody(view: CaseView, act: ServerAction<DisputeAct>) -> impl IntoView {
    let v = view;
    let d = v.detail.clone();
    let c = d.case.clone();
    let id = c.id.to_string();
    let status = c.ui_status;
    let open = status.is_some_and(UiStatus::is_open);
    let due_text = c.evidence_due_at.map(|due| {
        let label = if open { format!(" · {}", rules::due_label(due, v.now)) } else { String::new() };
        format!("{}{label}", ist::format_datetime(due))
    });
    let row = crate::ui::def_row;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    view! {
        <p class="mb-2 text-sm"><a href="/disputes" class="text-brand-700 hover:underline">"← All disputes"</a></p>
        <header class="mb-4 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold text-slate-900">{format!("Dispute {}", c.case_ref)}</h1>
            {status.map(|s| view! { <span class=format!("rounded px-2 py-0.5 text-sm font-medium {}", s.badge_class()) data-testid="case-status">{s.label()}</span> })}
        </header>
        <FlashNotices />
        {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <div class="grid gap-6 lg:grid-cols-3">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2" data-testid="case-summary">
                <h2 class="text-base font-semibold text-slate-900">"Summary"</h2>
                // Two definition lists side by side (a <dl> may hold only dt/dd groups, not columns).
                <div class="mt-2 grid gap-x-8 text-sm md:grid-cols-2">
                    <dl>
                        {row("Network", c.acquirer.clone())}
                        {row("Network case id", c.network_case_id.clone())}
                        {row("Merchant", format!("{} ({})", c.merchant_name, c.merchant_id))}
                        {row("Reason", format!("{} — {}", c.reason_code, c.reason_description))}
                        {row("Category", c.category.clone())}
                        {row("Received", ist::format_datetime(c.received_at))}
                        {row("Evidence due", due_text.clone().unwrap_or_else(|| "—".into()))}
                        {row("Deadline", d.deadline_at.map(ist::format_datetime).unwrap_or_else(|| "—".into()))}
                    </dl>
                    <dl>
                        {row("Chargeback", c.chargeback.to_inr())}
                        {row("Fees", c.fees.to_inr())}
                        {row("Original payment", d.original_gross.to_inr())}
                        {row("Recovered", d.recovered.to_inr())}
                        {row("Written off", d.written_off.to_inr())}
                        {row("Owner", c.owner.clone().unwrap_or_else(|| "Unassigned".into()))}
                        {row("Team", opt(&d.assigned_team))}
                        {row("Responded", d.responded_at.map(ist::format_datetime).unwrap_or_else(|| "—".into()))}
                        {row("Closed", d.closed_at.map(ist::format_datetime).unwrap_or_else(|| "—".into()))}
                    </dl>
                </div>
                {d.notes.clone().map(|n| view! { <p class="mt-3 whitespace-pre-line rounded bg-slate-50 p-2 text-sm text-slate-700">{n}</p> })}
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="linked-transaction">
                <h2 class="text-base font-semibold text-slate-900">"Linked transaction"</h2>
                {match d.transaction.clone() {
                    Some(t) => view! {
                        <dl class="mt-2 text-sm">
                            {row("Txn ID", t.txn_id)}
                            {row("Amount", t.amount.to_inr())}
                            {row("Payment method", t.payment_method)}
                            {row("RRN", opt(&t.rrn))}
                            {row("UTR", opt(&t.utr))}
                            {row("Paid at", ist::format_datetime(t.txn_at))}
                            {row("Status", t.status)}
                        </dl>
                    }.into_any(),
                    None => view! {
                        <p class="mt-2 text-sm text-slate-600">
                            {format!("No transaction matches txn id {}, UTR {} or RRN {} yet.", opt(&c.txn_ref), opt(&c.utr), opt(&c.rrn))}
                        </p>
                    }.into_any(),
                }}
            </section>
        </div>
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:col-span-2" data-testid="evidence">
                <h2 class="text-base font-semibold text-slate-900">"Evidence"</h2>
                {if d.documents.is_empty() {
                    view! { <p class="mt-2 text-sm text-slate-600">"No documents yet. Representment needs at least one."</p> }.into_any()
                } else {
                    view! {
                        <table class="mt-2 w-full text-sm">
                            <thead class="text-left text-slate-600"><tr>
                                <th class="py-1 font-medium">"File"</th><th class="py-1 font-medium">"Kind"</th>
                                <th class="py-1 text-right font-medium">"Size"</th><th class="py-1 font-medium">"SHA-256"</th>
                                <th class="py-1 font-medium">"Uploaded"</th>
                            </tr></thead>
                            <tbody>
                                {d.documents.iter().map(|doc| view! {
                                    <tr class="border-t border-slate-100">
                                        <td class="py-1"><a href=format!("/api/disputes/v1/chargebacks/{}/documents/{}", c.id, doc.id) download="" class="text-brand-700 hover:underline">{doc.file_name.clone()}</a></td>
                                        <td class="py-1">{doc.kind.clone()}</td>
                                        <td class="py-1 text-right tabular-nums">{crate::ui::format_size(doc.size_bytes.max(0) as u64)}</td>
                                        <td class="py-1 font-mono text-xs" title=doc.sha256.clone()>{doc.sha256[..12].to_string()}"…"</td>
                                        <td class="py-1">{format!("{}, {}", doc.uploaded_by, ist::format_datetime(doc.uploaded_at))}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
                {v.can_work.then(|| view! {
                    <form method="post" enctype="multipart/form-data" action=format!("/api/disputes/v1/chargebacks/{id}/documents") class="mt-4 flex flex-wrap items-end gap-3 text-sm">
                        <label class="flex flex-col text-slate-600">"Kind"
                            <select name="kind" class="rounded border border-slate-300 px-2 py-1">
                                {DOCUMENT_KINDS.iter().map(|k| view! { <option value=*k selected=*k == super::rules::EVIDENCE_KIND>{*k}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="flex flex-col text-slate-600">"Evidence file (PDF, PNG, JPEG, DOCX; up to 10 MB)"
                            <input type="file" name="file" required accept=".pdf,.png,.jpg,.jpeg,.docx" />
                        </label>
                        <button type="submit" class="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">"Upload"</button>
                    </form>
                })}
            </section>
            <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="impact">
                <h2 class="text-base font-semibold text-slate-900">"Recovery and settlement impact"</h2>
                {match (d.recovery.clone(), status) {
                    (Some(r), _) => view! {
                        <p class="mt-2 text-sm">{format!("{} to deduct from {}'s next settlements ({}; {} applied).", r.amount.to_inr(), c.merchant_name, r.status.to_lowercase().replace('_', " "), r.applied.to_inr())}</p>
                        <ul class="mt-1 space-y-1 text-sm" data-testid="recovery-deductions">
                            {r.deductions.iter().map(|x| view! {
                                <li>
                                    {format!("{} deducted in batch ", x.amount.to_inr())}
                                    <a class="text-brand-700 underline" href=format!("/settlements/{}", x.batch_id)>{x.batch_ref.clone()}</a>
                                    {format!(" on {}", ist::format_date(ist::date_of(x.at)))}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    (None, Some(UiStatus::Won)) => view! { <p class="mt-2 text-sm">{format!("Won: {} recovered; nothing is deducted from the merchant.", d.recovered.to_inr())}</p> }.into_any(),
                    (None, Some(UiStatus::Cancelled)) => view! { <p class="mt-2 text-sm">"Withdrawn by the network: no money moves."</p> }.into_any(),
                    _ => view! { <p class="mt-2 text-sm text-slate-600">{format!("Open: if lost, {} is deducted from the merchant's next settlement.", c.chargeback.to_inr())}</p> }.into_any(),
                }}
            </section>
        </div>
        <Actions view=v.clone() act=act />
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="timeline">
            <h2 class="text-base font-semibold text-slate-900">"Timeline"</h2>
            <ol class="mt-2 space-y-2 text-sm">
                {d.timeline.iter().map(|t| view! {
                    <li class="border-l-2 border-brand-500 pl-3" data-action=t.action.clone()>
                        <p><span class="font-medium">{t.action.replace('_', " ")}</span> " · " {t.actor.clone()}
                            {t.role.clone().map(|r| format!(" ({r})"))} " · " <span class="tabular-nums text-slate-600">{ist::format_datetime(t.at)}</span></p>
                        {
                            let before = crate::ui::change_text(&t.before);
                            let after = crate::ui::change_text(&t.after);
                            view! {
                                <p class="text-slate-600">
                                    {(!before.is_empty()).then(|| format!("{before} → "))}{after}
                                </p>
                            }
                        }
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn Actions(view: CaseView, act: ServerAction<DisputeAct>) -> impl IntoView {
    let v = view;
    let id = v.detail.case.id.to_string();
    let open = v.detail.case.ui_status.is_some_and(UiStatus::is_open);
    if v.next_statuses.is_empty() && !v.can_work && !v.can_note {
        return view! { <p class="mt-6 text-sm text-slate-600">"Your role reads this case; it cannot change it."</p> }
            .into_any();
    }
    let field = "rounded border border-slate-300 px-2 py-1";
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700 disabled:opacity-50";
    let (id_status, id_assign, id_note, id_deadline) = (id.clone(), id.clone(), id.clone(), id);
    view! {
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="actions">
            <h2 class="text-base font-semibold text-slate-900">"Actions"</h2>
            <div class="mt-3 grid gap-6 text-sm lg:grid-cols-2">
                {(!v.next_statuses.is_empty()).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-col gap-2" attr:aria-label="Change status">
                        <input type="hidden" name="form[id]" value=id_status.clone() />
                        <input type="hidden" name="form[action]" value="status" />
                        <label class="flex flex-col text-slate-600">"Note (optional)"<input name="form[note]" class=field /></label>
                        <div class="flex flex-wrap gap-2">
                            {v.next_statuses.iter().map(|s| view! {
                                <button type="submit" name="form[to]" value=s.param() class=button>{format!("Move to {}", s.label())}</button>
                            }).collect_view()}
                        </div>
                    </ActionForm>
                })}
                {(v.can_work && open).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Assign">
                        <input type="hidden" name="form[id]" value=id_assign.clone() />
                        <input type="hidden" name="form[action]" value="assign" />
                        <label class="flex flex-col text-slate-600">"Assignee"
                            <select name="form[assignee]" class=field>
                                <option value="">"Unassigned"</option>
                                {v.assignees.iter().map(|(uid, name)| view! {
                                    <option value=uid.to_string() selected=v.detail.assigned_to == Some(*uid)>{name.clone()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label class="flex flex-col text-slate-600">"Team"
                            <select name="form[team]" class=field>
                                <option value="">"—"</option>
                                {TEAMS.iter().map(|t| view! { <option value=*t selected=v.detail.assigned_team.as_deref() == Some(*t)>{t.replace('_', " ")}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class=button>"Assign"</button>
                    </ActionForm>
                })}
                {v.can_note.then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Add note">
                        <input type="hidden" name="form[id]" value=id_note.clone() />
                        <input type="hidden" name="form[action]" value="note" />
                        <label class="flex flex-1 flex-col text-slate-600">"Note"<input name="form[note]" required class=field /></label>
                        <button type="submit" class=button>"Add note"</button>
                    </ActionForm>
                })}
                {(v.can_work && open).then(|| view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label="Change deadline">
                        <input type="hidden" name="form[id]" value=id_deadline.clone() />
                        <input type="hidden" name="form[action]" value="deadline" />
                        <label class="flex flex-col text-slate-600">"New evidence due date"<input type="date" name="form[evidenceDue]" required class=field /></label>
                        <label class="flex flex-1 flex-col text-slate-600">"Reason"<input name="form[note]" required class=field /></label>
                        <button type="submit" class=button>"Change deadline"</button>
                    </ActionForm>
                })}
            </div>
        </section>
    }
    .into_any()
}
