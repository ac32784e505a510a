//! `/transactions/:id`: the life of one transaction on one page — the PG row, the bank line it was
//! matched (or paired) to, every recon result, its exception, its settlement item and batch, and any
//! chargeback, each linked to its own page.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::model::TxnDetail;
use super::server::get_transaction;
use crate::domain::Lifecycle;
use crate::ist;
use crate::money::Paise;
use crate::ui::{def_row, ErrorNotice, PageHeader};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
const LINK: &str = "text-brand-700 underline hover:text-brand-900";

fn money(p: Option<Paise>) -> String {
    p.map_or_else(|| "—".into(), Paise::to_inr)
}

fn or_dash(s: Option<String>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}

#[component]
pub fn TransactionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let data = Resource::new(move || id.get(), get_transaction);
    view! {
        <p class="mb-2 text-sm"><a href="/transactions" class=LINK>"← All transactions"</a></p>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the transaction…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Life detail=d /> }.into_any(),
                    Err(e) => view! { <PageHeader title="Transaction" /> <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Life(detail: TxnDetail) -> impl IntoView {
    let d = detail;
    let r = d.row.clone();
    let status: Lifecycle = r.status;
    view! {
        <header class="mb-6">
            <h1 class="text-2xl font-semibold text-slate-900">"Transaction " <span class="font-mono">{r.txn_id.clone()}</span></h1>
            <p class="mt-1 text-sm text-slate-600">
                <span class=format!("mr-2 rounded px-2 py-0.5 text-xs font-semibold {}", status.badge()) data-testid="txn-status">{status.label()}</span>
                {format!("{} · cycle {} · {}", r.amount.to_inr(), ist::format_date(r.cycle_date), ist::format_datetime(r.txn_at))}
            </p>
        </header>
        <div class="grid grid-cols-1 gap-4 lg:grid-cols-2">
            <section class=CARD data-testid="pg-row">
                <h2 class="text-base font-semibold text-slate-900">"PG transaction"</h2>
                <dl class="mt-2 text-sm">
                    {def_row("Merchant", format!("{} ({})", r.merchant_name, r.merchant_id))}
                    {def_row("Amount", r.amount.to_inr())}
                    {def_row("Gross", money(d.gross))}
                    {def_row("Currency", r.currency.clone())}
                    {def_row("Method", r.payment_method.clone())}
                    {def_row("Acquirer", or_dash(r.acquirer.clone()))}
                    {def_row("UTR", or_dash(r.utr.clone()))}
                    {def_row("RRN", or_dash(r.rrn.clone()))}
                    {def_row("Gateway status", d.gateway_status.clone())}
                    {def_row("Bank fee", money(d.bank_fee))}
                    {def_row("Expected settlement", money(d.expected_settlement))}
                    {def_row("Transaction time (IST)", ist::format_datetime(r.txn_at))}
                    {def_row("Loaded from", or_dash(d.source_file.clone()))}
                    {def_row("Recorded", ist::format_datetime(d.created_at))}
                </dl>
                <p class="mt-2 text-sm"><a class=LINK href=format!("/settlements/merchants/{}", r.merchant_id)>"Merchant's settlement terms"</a></p>
            </section>
            <section class=CARD data-testid="bank-line">
                <h2 class="text-base font-semibold text-slate-900">"Bank line"</h2>
                {match d.bank_line.clone() {
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No bank statement line has been matched or paired with this transaction."</p> }.into_any(),
                    Some(l) => view! {
                        <dl class="mt-2 text-sm">
                            {def_row("Bank", l.bank_name.clone())}
                            {def_row("Bank reference", or_dash(l.bank_ref.clone()))}
                            {def_row("Amount", l.amount.to_inr())}
                            {def_row("Transaction date", ist::format_date(l.txn_date))}
                            {def_row("Value date", l.value_date.map_or_else(|| "—".into(), ist::format_date))}
                            {def_row("UTR", or_dash(l.utr.clone()))}
                        </dl>
                    }.into_any(),
                }}
            </section>
            <section class=CARD data-testid="exception">
                <h2 class="text-base font-semibold text-slate-900">"Exception"</h2>
                {match d.exception.clone() {
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No exception was raised for this transaction."</p> }.into_any(),
                    Some(e) => view! {
                        <dl class="mt-2 text-sm">
                            {def_row("Reason", e.reason_code.clone())}
                            {def_row("Severity", e.severity.clone())}
                            {def_row("Status", e.status.clone())}
                            {def_row("Δ", money(e.delta))}
                        </dl>
                        <p class="mt-2 text-sm"><a class=LINK href=format!("/exceptions/{}", e.id) data-testid="exception-link">{format!("Open exception {}", e.id)}</a></p>
                    }.into_any(),
                }}
            </section>
            <section class=CARD data-testid="settlement">
                <h2 class="text-base font-semibold text-slate-900">"Settlement"</h2>
                {match d.settlement.clone() {
                    None => view! { <p class="mt-2 text-sm text-slate-600">"Not in a settlement batch."</p> }.into_any(),
                    Some(s) => view! {
                        <dl class="mt-2 text-sm">
                            {def_row("Batch", s.batch_ref.clone())}
                            {def_row("Batch status", s.batch_status.clone())}
                            {def_row("Batch cycle", ist::format_date(s.batch_cycle))}
                            {def_row("Commission", s.commission.to_inr())}
                            {def_row("GST", s.gst.to_inr())}
                            {def_row("TDS", s.tds.to_inr())}
                            {def_row("Reserve", s.reserve.to_inr())}
                            {def_row("Net to merchant", s.net.to_inr())}
                            {def_row("Payout UTR", or_dash(s.payout_utr.clone()))}
                            {def_row("Paid (IST)", s.paid_at.map_or_else(|| "—".into(), ist::format_datetime))}
                        </dl>
                        <p class="mt-2 text-sm"><a class=LINK href=format!("/settlements/{}", s.batch_id) data-testid="batch-link">{format!("Open batch {}", s.batch_ref)}</a></p>
                    }.into_any(),
                }}
            </section>
        </div>
        <section class=format!("{CARD} mt-4") data-testid="results">
            <h2 class="text-base font-semibold text-slate-900">"Recon results"</h2>
            {if d.results.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No recon run has looked at this transaction yet."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-sm">
                        <caption class="sr-only">"Recon results, newest run first"</caption>
                        <thead class="text-left text-slate-600">
                            <tr>
                                <th scope="col" class="py-1 font-medium">"Run"</th>
                                <th scope="col" class="py-1 font-medium">"Finished (IST)"</th>
                                <th scope="col" class="py-1 font-medium">"Class"</th>
                                <th scope="col" class="py-1 font-medium">"Reason"</th>
                                <th scope="col" class="py-1 text-right font-medium">"Δ"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {d.results.iter().map(|x| view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1"><a class=LINK href=format!("/recon/runs/{}", x.run_id)>{format!("Cycle {}", ist::format_date(x.run_cycle))}</a></td>
                                    <td class="py-1">{x.run_at.map_or_else(|| "—".into(), ist::format_datetime)}</td>
                                    <td class="py-1">{x.class.clone()}</td>
                                    <td class="py-1">{or_dash(x.reason_code.clone())}</td>
                                    <td class="py-1 text-right tabular-nums">{money(x.delta)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class=format!("{CARD} mt-4") data-testid="chargebacks">
            <h2 class="text-base font-semibold text-slate-900">"Chargebacks"</h2>
            {if d.chargebacks.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No chargeback has been received for this transaction."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-1 text-sm">
                        {d.chargebacks.iter().map(|c| view! {
                            <li>
                                <a class=LINK href=format!("/disputes/{}", c.id) data-testid="chargeback-link">{c.case_ref.clone()}</a>
                                {format!(" · {} · {} · {} · received {}", c.amount.to_inr(), c.stage, c.status, ist::format_datetime(c.received_at))}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
