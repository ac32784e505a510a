//! The `/settlements/:id` batch page: the header, the waterfall from gross to net, the terms the
//! batch was calculated with, the bank account (masked), the actions this user may take now (each
//! a plain POST form to the `settlement_act` server function), the paged items, deductions with
//! links to their disputes, transfers with UTR verification, reserve entries and the timeline.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use rust_decimal::Decimal;

use super::calc::FeeBearer;
use super::model::{BatchDetail, BatchView, ITEMS_PAGE_SIZE};
use super::page::status_badge;
use super::rules::{Action, CommissionTerm, MerchantTerms, Status};
use super::server::{get_settlement_batch, SettlementAct};
use crate::ist;
use crate::money::{format_count, Paise};
use crate::ui::{def_row, pager, ErrorNotice, FlashNotices, PageHeader};

const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
const TH: &str = "py-1 pr-3 font-medium";
const TH_RIGHT: &str = "py-1 pr-3 text-right font-medium";

#[component]
pub fn SettlementPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| (params.with(|p| p.get("id").unwrap_or_default()), query.with(|q| q.get("page"))));
    let act = ServerAction::<SettlementAct>::new();
    // Pages render on the server only (islands): an action is a form post whose answer reloads
    // this page, and the action reads its error back from that address.
    let batch = Resource::new(move || key.get(), |(id, page)| get_settlement_batch(id, page));
    view! {
        <Suspense fallback=|| view! { <PageHeader title="Settlement batch" /><p class="text-slate-500">"Loading the batch…"</p> }>
            {move || Suspend::new(async move {
                match batch.await {
                    Ok(v) => view! { <BatchBody view=v act=act /> }.into_any(),
                    // The server function has set the response status (404 for an unknown id).
                    Err(e) => view! {
                        <PageHeader title="Settlement batch" />
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/settlements" class="text-brand-700 underline">"Back to all batches"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn percent(rate: Decimal) -> String {
    format!("{} %", super::merchants::model::percent_text(rate))
}

fn bearer_label(b: FeeBearer) -> &'static str {
    match b {
        FeeBearer::Merchant => "Merchant",
        FeeBearer::Payer => "Payer",
        FeeBearer::Bank => "Bank",
    }
}

#[component]
fn BatchBody(view: BatchView, act: ServerAction<SettlementAct>) -> impl IntoView {
    let v = view;
    let d = v.detail.clone();
    let b = d.batch.clone();
    let dash = || "—".to_string();
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(ist::format_datetime).unwrap_or_else(dash);
    let by_at = |who: &Option<String>, when: Option<chrono::DateTime<chrono::Utc>>| match (who, when) {
        (Some(w), Some(t)) => format!("{w}, {}", ist::format_datetime(t)),
        (Some(w), None) => w.clone(),
        (None, Some(t)) => ist::format_datetime(t),
        (None, None) => "—".into(),
    };
    view! {
        <p class="mb-2 text-sm"><a href="/settlements" class="text-brand-700 hover:underline">"← All batches"</a></p>
        <header class="mb-4 flex flex-wrap items-center gap-3">
            <h1 class="text-2xl font-semibold text-slate-900">{format!("Batch {}", b.batch_ref)}</h1>
            <span class=format!("rounded px-2 py-0.5 text-sm font-medium {}", status_badge(b.status)) data-testid="batch-status" data-status=b.status.code()>{b.status.label()}</span>
            <a href=format!("/api/settlements/v1/batches/{}/statement.csv", b.id) download=""
                class="ml-auto rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm text-slate-800 hover:bg-slate-50">"Settlement statement (CSV)"</a>
        </header>
        <FlashNotices />
        {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <div class="grid gap-6 lg:grid-cols-3">
            <section class=format!("{CARD} lg:col-span-2") data-testid="batch-summary">
                <h2 class="text-base font-semibold text-slate-900">"Summary"</h2>
                // Two definition lists side by side (a <dl> may hold only dt/dd groups, not columns).
                <div class="mt-2 grid gap-x-8 text-sm md:grid-cols-2">
                    <dl>
                        {def_row("Merchant", format!("{} ({})", b.merchant_name, b.merchant_id))}
                        {def_row("Cycle date", ist::format_date(b.cycle_date))}
                        {def_row("Payout due", b.payout_due_on.map(ist::format_date).unwrap_or_else(dash))}
                        {def_row("Rail", b.rail.code().to_string())}
                        {def_row("Transactions", format_count(b.txn_count))}
                        {def_row("Net", b.net.to_inr())}
                    </dl>
                    <dl>
                        {def_row("Created", by_at(&b.created_by, Some(b.created_at)))}
                        {def_row("Approved", match (&b.approved_by, b.approved_at) {
                            (None, Some(t)) => format!("Automatically (net up to ₹1,00,000), {}", ist::format_datetime(t)),
                            (who, when) => by_at(who, when),
                        })}
                        {def_row("Sent to bank", at(b.sent_at))}
                        {def_row("Paid", at(b.paid_at))}
                        {def_row("Payout UTR", b.payout_utr.clone().unwrap_or_else(dash))}
                        {def_row("Failure reason", b.failure_reason.clone().unwrap_or_else(dash))}
                    </dl>
                </div>
            </section>
            <Waterfall detail=d.clone() />
        </div>
        <Actions view=v.clone() act=act />
        <div class="mt-6 grid gap-6 lg:grid-cols-3">
            <section class=format!("{CARD} lg:col-span-2") data-testid="terms">
                <h2 class="text-base font-semibold text-slate-900">"Terms used"</h2>
                {match d.terms.clone() {
                    Some(t) => view! { <TermsUsed terms=t /> }.into_any(),
                    None => view! { <p class="mt-2 text-sm text-slate-600">"Terms were not recorded for this batch."</p> }.into_any(),
                }}
                <p class="mt-2 text-sm"><a href=format!("/settlements/merchants/{}", b.merchant_id) class="text-brand-700 hover:underline">{format!("{}'s current terms", b.merchant_name)}</a></p>
            </section>
            <section class=CARD data-testid="bank-account">
                <h2 class="text-base font-semibold text-slate-900">"Bank account"</h2>
                {match d.bank_account.clone() {
                    Some(a) => view! {
                        <dl class="mt-2 text-sm">
                            {def_row("Holder", a.holder_name)}
                            {def_row("Account", a.account_number_masked)}
                            {def_row("IFSC", a.ifsc)}
                            {def_row("Bank", a.bank_name)}
                        </dl>
                    }.into_any(),
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No bank account on file for this merchant."</p> }.into_any(),
                }}
            </section>
        </div>
        <Items detail=d.clone() page=v.items_page />
        <Deductions detail=d.clone() />
        <Transfers detail=d.clone() />
        <Reserve detail=d.clone() />
        <section class=format!("mt-6 {CARD}") data-testid="timeline">
            <h2 class="text-base font-semibold text-slate-900">"Timeline"</h2>
            {d.timeline.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-600">"No events yet."</p> })}
            <ol class="mt-2 space-y-2 text-sm">
                {d.timeline.iter().map(|e| view! {
                    <li class="border-l-2 border-brand-500 pl-3" data-event=e.event.clone()>
                        <p><span class="font-medium">{e.event.replace('_', " ")}</span>
                            " · " {e.actor.clone().unwrap_or_else(|| "System".into())}
                            " · " <span class="tabular-nums text-slate-600">{ist::format_datetime(e.at)}</span></p>
                        {e.note.clone().map(|n| view! { <p class="whitespace-pre-line text-slate-600">{n}</p> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <p class="mt-6 text-sm"><a href="/settlements" class="text-brand-700 hover:underline">"← All batches"</a></p>
    }
}

/// Gross to net, exactly the batch row's figures: each line with its sign, so the column adds up.
#[component]
fn Waterfall(detail: BatchDetail) -> impl IntoView {
    let b = detail.batch;
    let rejected = b.status == Status::Rejected;
    let not_deducted = b.fees_not_deducted;
    let mut lines: Vec<(&'static str, &'static str, Paise)> =
        vec![("Gross", "", b.gross), ("Commission", "−", b.commission), ("GST on commission", "−", b.gst)];
    if not_deducted > Paise::ZERO {
        lines.push(("Commission and GST borne by the payer or bank", "+", not_deducted));
    }
    lines.extend([
        ("TDS", "−", b.tds),
        ("Reserve held", "−", b.reserve),
        ("Deductions (chargebacks, refunds)", "−", b.deductions),
        ("Released reserve", "+", b.reserve_released),
    ]);
    view! {
        <section class=CARD data-testid="waterfall">
            <h2 class="text-base font-semibold text-slate-900">"Gross to net"</h2>
            {rejected.then(|| view! {
                <p class="mt-1 text-sm text-slate-700" data-testid="rejected-note">
                    "Rejected: nothing of this batch is paid. These are its figures as calculated, kept for the record; its transactions went back to the settlement backlog, and its deductions and reserve were given back."
                </p>
            })}
            <table class="mt-2 w-full text-sm">
                <thead class="sr-only"><tr><th scope="col">"Component"</th><th scope="col">"Amount"</th></tr></thead>
                <tbody>
                    {lines.into_iter().map(|(label, sign, amount)| view! {
                        <tr class="border-t border-slate-100">
                            <th scope="row" class="py-1.5 text-left font-normal text-slate-600">{label}</th>
                            <td class="whitespace-nowrap py-1.5 text-right tabular-nums">{if sign.is_empty() { amount.to_inr() } else { format!("{sign} {}", amount.to_inr()) }}</td>
                        </tr>
                    }).collect_view()}
                    <tr class="border-t-2 border-slate-300" data-testid="waterfall-net">
                        <th scope="row" class="py-1.5 text-left font-semibold text-slate-900">{if rejected { "Net as calculated (not paid)" } else { "Net to merchant" }}</th>
                        <td class="whitespace-nowrap py-1.5 text-right font-semibold tabular-nums">{format!("= {}", b.net.to_inr())}</td>
                    </tr>
                </tbody>
            </table>
            {(not_deducted > Paise::ZERO).then(|| view! {
                <p class="mt-2 text-xs text-slate-600" data-testid="fees-not-deducted">
                    {format!("Commission and GST of {} are borne by the payer or bank: recorded, not deducted from the merchant.", not_deducted.to_inr())}
                </p>
            })}
        </section>
    }
}

#[component]
fn TermsUsed(terms: MerchantTerms) -> impl IntoView {
    let t = terms;
    let tds = match t.tds() {
        Some(rate) if !t.has_pan => format!("{} of gross (no PAN)", percent(rate)),
        Some(rate) => format!("{} of gross", percent(rate)),
        None => "Off".to_string(),
    };
    let reserve = if t.reserve_enabled {
        format!("{} held for {} days", percent(t.reserve_rate), t.reserve_hold_days)
    } else {
        "Off".to_string()
    };
    let commission = |c: CommissionTerm| match c {
        CommissionTerm::Percent(rate) => percent(rate),
        CommissionTerm::FixedPaise(fee) => format!("{} per transaction", fee.to_inr()),
    };
    let bearers = if t.fee_bearers.is_empty() {
        "Merchant, every mode".to_string()
    } else {
        let mut parts: Vec<String> = t.fee_bearers.iter().map(|(m, b)| format!("{m}: {}", bearer_label(*b))).collect();
        parts.push("other modes: Merchant".into());
        parts.join(", ")
    };
    view! {
        <div class="mt-2 grid gap-x-8 text-sm md:grid-cols-2">
            <dl>
                {def_row("In force from", t.effective_from.map(ist::format_date).unwrap_or_else(|| "Defaults (nothing configured)".into()))}
                {def_row("GST on commission", percent(t.gst_rate))}
                {def_row("TDS", tds)}
                {def_row("Rolling reserve", reserve)}
            </dl>
            <dl>
                {def_row("Cycle", format!("T+{} business days", t.cycle_days))}
                {def_row("Minimum settlement", t.min_settlement.to_inr())}
                {def_row("Preferred rail", t.preferred_rail.code().to_string())}
                {def_row("Fee bearer", bearers)}
            </dl>
        </div>
        <table class="mt-3 w-full text-sm">
            <caption class="text-left font-medium text-slate-700">"Commission per payment mode"</caption>
            <thead class="text-left text-slate-600"><tr>
                <th scope="col" class=TH>"Mode"</th><th scope="col" class=TH>"Bank"</th><th scope="col" class=TH>"Commission"</th>
            </tr></thead>
            <tbody>
                {t.commission.iter().map(|(mode, bank, c)| view! {
                    <tr class="border-t border-slate-100">
                        <td class="py-1 pr-3">{mode.clone()}</td>
                        <td class="py-1 pr-3">{bank.clone().unwrap_or_else(|| "Any bank".into())}</td>
                        <td class="py-1 pr-3 tabular-nums">{commission(*c)}</td>
                    </tr>
                }).collect_view()}
                <tr class="border-t border-slate-100">
                    <td class="py-1 pr-3">"Any other mode"</td>
                    <td class="py-1 pr-3">"Any bank"</td>
                    <td class="py-1 pr-3 tabular-nums">{percent(super::rules::DEFAULT_COMMISSION)}</td>
                </tr>
            </tbody>
        </table>
    }
}

/// The actions `view.actions` offers, each its own form posting to `settlement_act`.
#[component]
fn Actions(view: BatchView, act: ServerAction<SettlementAct>) -> impl IntoView {
    let v = view;
    if v.actions.is_empty() {
        return view! { <p class="mt-6 text-sm text-slate-600" data-testid="no-actions">"No action is open to you on this batch now."</p> }
            .into_any();
    }
    let id = v.detail.batch.id.to_string();
    let ref_ = v.detail.batch.batch_ref.clone();
    let failure_codes = v.failure_codes.clone();
    let is_maker = v.is_maker;
    let forms = v
        .actions
        .iter()
        .map(|a| {
            let a = *a;
            let hidden = view! {
                <input type="hidden" name="form[id]" value=id.clone() />
                <input type="hidden" name="form[action]" value=a.code() />
            };
            let label = format!("{} {ref_}", a.label());
            match a {
                Action::Approve if is_maker => view! {
                    <p class="text-slate-700" data-testid="maker-note">"You created this batch; another finance user must approve it."</p>
                }
                .into_any(),
                Action::Approve | Action::Release => view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=label.clone()>
                        {hidden}
                        <button type="submit" class=BUTTON data-action=a.code()>{a.label()}</button>
                    </ActionForm>
                }
                .into_any(),
                Action::Reject | Action::Hold => {
                    let prompt = if a == Action::Reject { "Why reject it" } else { "Why hold it" };
                    view! {
                        <ActionForm action=act attr:class="flex flex-col gap-2" attr:aria-label=label.clone()>
                            {hidden}
                            <label class="flex flex-col text-slate-600">{prompt}
                                <textarea name="form[reason]" required rows="2" maxlength="1000" class=FIELD></textarea>
                            </label>
                            <div><button type="submit" class=BUTTON data-action=a.code()>{a.label()}</button></div>
                        </ActionForm>
                    }
                    .into_any()
                }
                Action::Paid => view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=label.clone()>
                        {hidden}
                        <label class="flex flex-col text-slate-600">"Bank UTR"
                            <input name="form[utr]" required minlength="6" maxlength="22" pattern="[A-Za-z0-9]{6,22}" autocomplete="off"
                                title="6 to 22 letters and digits, as the bank gives it" class=format!("{FIELD} font-mono") />
                        </label>
                        <button type="submit" class=BUTTON data-action=a.code()>{a.label()}</button>
                    </ActionForm>
                }
                .into_any(),
                Action::Failed => {
                    let options = failure_codes
                        .iter()
                        .map(|(code, text)| view! { <option value=code.code()>{text.clone()}</option> })
                        .collect_view();
                    view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=label.clone()>
                        {hidden}
                        <label class="flex flex-col text-slate-600">"Failure reason"
                            <select name="form[failure_code]" required class=FIELD>
                                {options}
                            </select>
                        </label>
                        <label class="flex flex-1 flex-col text-slate-600">"Details (needed for \"Other\")"
                            <input name="form[reason]" maxlength="1000" class=FIELD />
                        </label>
                        <button type="submit" class=BUTTON data-action=a.code()>{a.label()}</button>
                    </ActionForm>
                    }
                    .into_any()
                }
                Action::Requeue => view! {
                    <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=label.clone()>
                        {hidden}
                        <label class="flex flex-1 flex-col text-slate-600">"Note (optional)"
                            <input name="form[reason]" maxlength="1000" class=FIELD />
                        </label>
                        <button type="submit" class=BUTTON data-action=a.code()>{a.label()}</button>
                    </ActionForm>
                }
                .into_any(),
            }
        })
        .collect_view();
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="actions">
            <h2 class="text-base font-semibold text-slate-900">"Actions"</h2>
            <div class="mt-3 grid gap-6 text-sm lg:grid-cols-2">{forms}</div>
        </section>
    }
    .into_any()
}

#[component]
fn Items(detail: BatchDetail, page: i64) -> impl IntoView {
    let d = detail;
    let id = d.batch.id;
    let total = d.items.total;
    let first = (page - 1) * ITEMS_PAGE_SIZE;
    let shown = d.items.rows.len() as i64;
    let href = move |n: i64| if n > 1 { format!("/settlements/{id}?page={n}") } else { format!("/settlements/{id}") };
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="items">
            <h2 class="text-base font-semibold text-slate-900">"Transactions"</h2>
            <p class="mt-1 text-sm text-slate-600" data-testid="items-summary">
                {if total == 0 && d.batch.status == Status::Rejected {
                    "Rejected: its transactions went back to the settlement backlog, for the merchant's next batch.".to_string()
                 } else if total == 0 { "No transactions on this page.".to_string() }
                 else if shown == 0 { format!("No transactions on this page; the batch has {}.", format_count(total)) }
                 else { format!("Showing {}–{} of {} transactions", format_count(first + 1), format_count(first + shown), format_count(total)) }}
            </p>
            <div class="overflow-x-auto">
                <table class="mt-2 w-full text-sm">
                    <thead class="text-left text-slate-600"><tr>
                        <th scope="col" class=TH>"Txn ID"</th>
                        <th scope="col" class=TH>"Method"</th>
                        <th scope="col" class=TH_RIGHT>"Amount"</th>
                        <th scope="col" class=TH_RIGHT>"Commission"</th>
                        <th scope="col" class=TH_RIGHT>"GST"</th>
                        <th scope="col" class=TH_RIGHT>"TDS"</th>
                        <th scope="col" class=TH_RIGHT>"Reserve"</th>
                        <th scope="col" class=TH_RIGHT>"Net"</th>
                        <th scope="col" class=TH>"Fee bearer"</th>
                        <th scope="col" class=TH>"Txn status"</th>
                    </tr></thead>
                    <tbody>
                        {d.items.rows.iter().map(|i| view! {
                            <tr class="border-t border-slate-100">
                                <td class="py-1 pr-3 font-mono text-xs">{i.txn_id.clone()}</td>
                                <td class="py-1 pr-3">{i.payment_method.clone()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{i.amount.to_inr()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{i.commission.to_inr()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{i.gst.to_inr()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{i.tds.to_inr()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{i.reserve.to_inr()}</td>
                                <td class="whitespace-nowrap py-1 pr-3 text-right font-medium tabular-nums">{i.net.to_inr()}</td>
                                <td class="py-1 pr-3">{i.fee_bearer.clone()}</td>
                                <td class="py-1 pr-3">{i.txn_status.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {pager(page, first + shown < total, href)}
        </section>
    }
}

/// What the Deductions section says when it lists none: a rejected batch gave back what it had
/// deducted (its stored figure), or had deducted nothing.
fn no_deductions_listed(rejected: bool, deducted: Paise) -> String {
    match (rejected, deducted > Paise::ZERO) {
        (true, true) => format!(
            "Rejected: the chargebacks and refunds it deducted ({}) were given back, to be deducted from the merchant's next batch.",
            deducted.to_inr()
        ),
        (true, false) => "Rejected: it had deducted no chargebacks or refunds.".to_string(),
        (false, _) => "No chargebacks or refunds were deducted from this batch.".to_string(),
    }
}

#[component]
fn Deductions(detail: BatchDetail) -> impl IntoView {
    let rows = detail.deductions;
    let rejected = detail.batch.status == Status::Rejected;
    let deducted = detail.batch.deductions;
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="deductions">
            <h2 class="text-base font-semibold text-slate-900">"Deductions"</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">{no_deductions_listed(rejected, deducted)}</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-sm">
                        <thead class="text-left text-slate-600"><tr>
                            <th scope="col" class=TH>"Kind"</th><th scope="col" class=TH>"For"</th>
                            <th scope="col" class=TH_RIGHT>"Amount"</th><th scope="col" class=TH>"Recorded"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr class="border-t border-slate-100" data-kind=r.kind.clone()>
                                    <td class="py-1 pr-3">{if r.kind == "CHARGEBACK" { "Chargeback".to_string() } else if r.kind == "REFUND" { "Refund".to_string() } else { r.kind.clone() }}</td>
                                    <td class="py-1 pr-3">
                                        {match (r.chargeback_id, r.case_ref.clone(), r.refund_txn_ref.clone()) {
                                            (Some(cb), case_ref, _) => view! {
                                                <a href=format!("/disputes/{cb}") class="text-brand-700 hover:underline">{format!("Dispute {}", case_ref.unwrap_or_else(|| cb.to_string()))}</a>
                                            }.into_any(),
                                            (None, _, Some(txn)) => view! { <span>"Refund of txn " <span class="font-mono text-xs">{txn}</span></span> }.into_any(),
                                            _ => view! { <span>"—"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{r.amount.to_inr()}</td>
                                    <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_datetime(r.created_at)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Transfers(detail: BatchDetail) -> impl IntoView {
    let rows = detail.transfers;
    let verification = |v: Option<String>, amount: Paise, bank: Option<Paise>| {
        match v.as_deref() {
        Some("VERIFIED") => view! {
            <span class="rounded bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800">"Verified"</span>
            {bank.map(|b| view! { <span class="block text-xs text-slate-600">{format!("bank debit {}", b.to_inr())}</span> })}
        }
        .into_any(),
        Some("AMOUNT_MISMATCH") => view! {
            <span class="rounded bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800">"Amount mismatch"</span>
            <span class="block text-xs text-red-800">
                {format!("transfer {} · bank debit {}", amount.to_inr(), bank.map(Paise::to_inr).unwrap_or_else(|| "—".into()))}
            </span>
        }
        .into_any(),
        _ => view! { <span class="rounded bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-700">"Not verified yet"</span> }.into_any(),
    }
    };
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="transfers">
            <h2 class="text-base font-semibold text-slate-900">"Transfers"</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No transfer yet: one is made when the batch goes into a payout file."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="mt-2 w-full text-sm">
                            <thead class="text-left text-slate-600"><tr>
                                <th scope="col" class=TH>"Rail"</th><th scope="col" class=TH_RIGHT>"Amount"</th>
                                <th scope="col" class=TH>"Status"</th><th scope="col" class=TH>"UTR"</th>
                                <th scope="col" class=TH>"Verification"</th><th scope="col" class=TH>"Failure reason"</th>
                                <th scope="col" class=TH>"Initiated"</th><th scope="col" class=TH>"Completed"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|t| view! {
                                    <tr class="border-t border-slate-100" data-transfer-status=t.status.clone()>
                                        <td class="py-1 pr-3">{t.rail.code()}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{t.amount.to_inr()}</td>
                                        <td class="py-1 pr-3">{t.status.clone()}</td>
                                        <td class="py-1 pr-3 font-mono text-xs">{t.utr.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class="py-1 pr-3" data-verification=t.verification.clone()>{verification(t.verification.clone(), t.amount, t.bank_amount)}</td>
                                        <td class="py-1 pr-3">{t.failure_reason.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{ist::format_datetime(t.initiated_at)}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{t.completed_at.map(ist::format_datetime).unwrap_or_else(|| "—".into())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Reserve(detail: BatchDetail) -> impl IntoView {
    let rows = detail.reserve;
    let rejected = detail.batch.status == Status::Rejected;
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="reserve">
            <h2 class="text-base font-semibold text-slate-900">"Rolling reserve"</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">{if rejected {
                    "Rejected: its reserve entries were removed (a hold released into it is due again)."
                } else {
                    "No reserve was held or released in this batch."
                }}</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-sm">
                        <thead class="text-left text-slate-600"><tr>
                            <th scope="col" class=TH>"Entry"</th><th scope="col" class=TH_RIGHT>"Amount"</th>
                            <th scope="col" class=TH>"Release date"</th><th scope="col" class=TH>"Released"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let hold = r.kind == "HOLD";
                                view! {
                                    <tr class="border-t border-slate-100" data-kind=r.kind.clone()>
                                        <td class="py-1 pr-3">{if hold { "Held".to_string() } else if r.kind == "RELEASE" { "Released into this batch".to_string() } else { r.kind.clone() }}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 text-right tabular-nums">{r.amount.to_inr()}</td>
                                        <td class="whitespace-nowrap py-1 pr-3 tabular-nums">{r.release_on.map(ist::format_date).unwrap_or_else(|| "—".into())}</td>
                                        <td class="py-1 pr-3">
                                            {match (hold, r.released_in.clone()) {
                                                (true, Some(batch_ref)) => format!("Released in {batch_ref}"),
                                                (true, None) => "Not yet".to_string(),
                                                (false, _) => "—".to_string(),
                                            }}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_batch_speaks_of_deductions_only_when_it_made_some() {
        assert_eq!(
            no_deductions_listed(true, Paise(3_000_00)),
            "Rejected: the chargebacks and refunds it deducted (₹3,000.00) were given back, to be deducted from the merchant's next batch."
        );
        assert_eq!(no_deductions_listed(true, Paise::ZERO), "Rejected: it had deducted no chargebacks or refunds.");
        assert_eq!(
            no_deductions_listed(false, Paise::ZERO),
            "No chargebacks or refunds were deducted from this batch."
        );
    }
}
