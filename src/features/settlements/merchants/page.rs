//! `/settlements/merchants` (every merchant's terms in force today, the bank-holiday calendar) and
//! `/settlements/merchants/:id` (the terms in force, the versions, and for an admin the edit form,
//! a plain form post that works without JavaScript).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::model::{MerchantRow, MerchantView, MerchantsView, TermsForm, UnknownMerchantRow, VersionStatus, METHODS};
use super::server::{
    get_merchant, get_merchants, AddMerchantAlias, CreateMerchant, MapUnknownMerchant, RemoveMerchantAlias,
    SaveMerchantTerms,
};
use crate::features::settlements::rules::{Rail, TDS_RATE_WITHOUT_PAN};
use crate::ist;
use crate::money::Paise;
use crate::ui::{ErrorNotice, FlashNotices, PageHeader};

use super::model::percent_text;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
const FIELD: &str = "rounded border border-slate-300 px-2 py-1";

fn pct(rate: rust_decimal::Decimal) -> String {
    format!("{} %", percent_text(rate))
}

fn tds_text(t: &crate::features::settlements::rules::MerchantTerms) -> String {
    match t.tds() {
        None => "Off".into(),
        Some(_) if !t.has_pan => format!("{} — no PAN on file", pct(TDS_RATE_WITHOUT_PAN)),
        Some(rate) => pct(rate),
    }
}

fn reserve_text(t: &crate::features::settlements::rules::MerchantTerms) -> String {
    if t.reserve_enabled {
        format!("{} held {} days", pct(t.reserve_rate), t.reserve_hold_days)
    } else {
        "Off".into()
    }
}

#[component]
pub fn MerchantsPage() -> impl IntoView {
    let view = Resource::new(|| (), |_| get_merchants());
    view! {
        <PageHeader title="Merchant terms" subtitle="The settlement terms in force today for every merchant." />
        <p class="mb-4 text-sm"><a href="/settlements" class="text-brand-700 hover:underline">"← Settlements"</a></p>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading merchants…"</p> }>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(v) => view! { <MerchantsBody view=v /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MerchantsBody(view: MerchantsView) -> impl IntoView {
    let today = view.today;
    let (upcoming, past): (Vec<_>, Vec<_>) = view.holidays.into_iter().partition(|h| h.date >= today);
    let known: Vec<(String, String)> = view.merchants.iter().map(|m| (m.id.clone(), m.name.clone())).collect();
    let (unknown, can_admin) = (view.unknown, view.can_admin);
    view! {
        <FlashNotices />
        {(!unknown.is_empty()).then(|| view! { <UnknownCodes rows=unknown known=known can_admin=can_admin /> })}
        <section class=CARD data-testid="merchants">
            <table class="w-full text-sm">
                <thead class="text-left text-slate-600"><tr>
                    <th class="py-1 font-medium">"Merchant"</th>
                    <th class="py-1 font-medium">"Legal name"</th>
                    <th class="py-1 font-medium">"PAN"</th>
                    <th class="py-1 text-right font-medium">"T+N"</th>
                    <th class="py-1 text-right font-medium">"Minimum"</th>
                    <th class="py-1 font-medium">"Rail"</th>
                    <th class="py-1 font-medium">"TDS"</th>
                    <th class="py-1 font-medium">"Reserve"</th>
                    <th class="py-1 font-medium">"Bank account"</th>
                </tr></thead>
                <tbody>
                    {view.merchants.into_iter().map(|m| view! { <MerchantLine m=m /> }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class=format!("mt-6 {CARD}") data-testid="holidays">
            <h2 class="text-base font-semibold text-slate-900">"Bank holidays"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "T+N counts business days: payouts are due N business days after the cycle date, skipping Saturdays, Sundays and the bank holidays below."
            </p>
            {view.holiday_note.map(|w| view! {
                <p class=format!("mt-3 {}", crate::ui::style::NOTE) role="note" data-testid="holiday-calendar-ending">{w}</p>
            })}
            <h3 class="mt-3 text-sm font-medium text-slate-700">"Upcoming"</h3>
            {if upcoming.is_empty() {
                view! { <p class="text-sm text-slate-600">"No upcoming holidays on file."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-1 grid gap-x-6 text-sm sm:grid-cols-2 lg:grid-cols-3">
                        {upcoming.into_iter().map(|h| view! {
                            <li class="border-t border-slate-100 py-1"><span class="tabular-nums">{ist::format_date(h.date)}</span>" · "{h.name}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!past.is_empty()).then(|| view! {
                <details class="mt-3 text-sm">
                    <summary class="cursor-pointer text-slate-700">{format!("Earlier ({})", past.len())}</summary>
                    <ul class="mt-1 grid gap-x-6 sm:grid-cols-2 lg:grid-cols-3">
                        {past.into_iter().rev().map(|h| view! {
                            <li class="border-t border-slate-100 py-1 text-slate-600"><span class="tabular-nums">{ist::format_date(h.date)}</span>" · "{h.name}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </section>
    }
}

#[component]
fn MerchantLine(m: MerchantRow) -> impl IntoView {
    let t = m.terms.clone();
    // Merchant ids are `[A-Z0-9_]` (the table's CHECK): safe in a path as they are.
    let href = format!("/settlements/merchants/{}", m.id);
    view! {
        <tr class="border-t border-slate-100" data-merchant=m.id.clone()>
            <td class="py-1"><a href=href class="text-brand-700 hover:underline">{m.name.clone()}</a>
                <span class="block text-xs text-slate-500">{m.id.clone()}</span></td>
            <td class="py-1">{m.legal_name.clone()}</td>
            <td class="py-1">{if t.has_pan { "Yes" } else { "No" }}</td>
            <td class="py-1 text-right tabular-nums">{format!("T+{}", t.cycle_days)}</td>
            <td class="py-1 text-right tabular-nums">{t.min_settlement.to_inr()}</td>
            <td class="py-1">{t.preferred_rail.code()}</td>
            <td class="py-1">{tds_text(&t)}</td>
            <td class="py-1">{reserve_text(&t)}</td>
            <td class="py-1 font-mono text-xs">{m.account.map(|a| format!("{} · {}", a.account_number, a.ifsc)).unwrap_or_else(|| "None on file".into())}</td>
        </tr>
    }
}

/// Merchant codes files brought before the product knew them: their rows are reconciled but not
/// settled until an admin maps each code to a merchant or creates the merchant.
#[component]
fn UnknownCodes(rows: Vec<UnknownMerchantRow>, known: Vec<(String, String)>, can_admin: bool) -> impl IntoView {
    let map = ServerAction::<MapUnknownMerchant>::new();
    let create = ServerAction::<CreateMerchant>::new();
    let button = "rounded-md bg-brand-600 px-2 py-1 font-medium text-white hover:bg-brand-700";
    view! {
        <section class=format!("mb-6 {CARD} border-amber-300") data-testid="unknown-merchants">
            <h2 class="text-base font-semibold text-slate-900">"Merchant codes not known yet"</h2>
            <p class="mt-1 text-sm text-slate-700">
                "Files named these merchants before the product knew them. Their transactions are reconciled but kept out of settlement until the code is mapped to a merchant (it becomes that merchant's alias, and later files use it) or the merchant is created."
            </p>
            {move || map.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            <table class="mt-2 w-full text-sm">
                <thead class="text-left text-slate-600"><tr>
                    <th class="py-1 font-medium">"Code"</th>
                    <th class="py-1 font-medium">"First seen"</th>
                    <th class="py-1 text-right font-medium">"Transactions"</th>
                    <th class="py-1 text-right font-medium">"Amount"</th>
                    {can_admin.then(|| view! { <th class="py-1 font-medium">"Resolve (admin)"</th> })}
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let known = known.clone();
                        let code = r.code.clone();
                        let (map_label, create_label) = (format!("Map {code}"), format!("Create {code}"));
                        let (map_code, create_code) = (code.clone(), code);
                        view! {
                            <tr class="border-t border-slate-100 align-top" data-code=r.code.clone()>
                                <td class="py-1 font-mono">{r.code.clone()}</td>
                                <td class="py-1 tabular-nums">{ist::format_datetime(r.since)}</td>
                                <td class="py-1 text-right tabular-nums">{r.transactions}</td>
                                <td class="py-1 text-right tabular-nums">{Paise(r.amount_paise).to_inr()}</td>
                                {can_admin.then(|| view! {
                                    <td class="py-1">
                                        <ActionForm action=map attr:class="flex flex-wrap items-end gap-2" attr:aria-label=map_label>
                                            <input type="hidden" name="code" value=map_code.clone() />
                                            <label class="flex flex-col text-xs text-slate-600">"Map to merchant (cannot be undone)"
                                                <select name="merchant_id" class=FIELD required>
                                                    <option value="">"Choose a merchant…"</option>
                                                    {known.into_iter().map(|(id, name)| view! { <option value=id.clone()>{format!("{id} — {name}")}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            <button type="submit" class=button>"Map"<span class="sr-only">{format!(" {map_code}")}</span></button>
                                        </ActionForm>
                                        <ActionForm action=create attr:class="mt-2 flex flex-wrap items-end gap-2" attr:aria-label=create_label>
                                            <input type="hidden" name="code" value=create_code.clone() />
                                            <label class="flex flex-col text-xs text-slate-600">"Name"<input name="name" required class=FIELD /></label>
                                            <label class="flex flex-col text-xs text-slate-600">"Legal name"<input name="legal_name" required class=FIELD /></label>
                                            <label class="flex flex-col text-xs text-slate-600">"PAN (optional)"<input name="pan" class=FIELD /></label>
                                            <button type="submit" class=button>"Create merchant"<span class="sr-only">{format!(" {create_code}")}</span></button>
                                        </ActionForm>
                                    </td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The other codes files use for a merchant; an admin adds and removes them.
#[component]
fn Aliases(merchant_id: String, aliases: Vec<String>, can_admin: bool) -> impl IntoView {
    let add = ServerAction::<AddMerchantAlias>::new();
    let remove = ServerAction::<RemoveMerchantAlias>::new();
    let button = "rounded-md bg-brand-600 px-2 py-1 font-medium text-white hover:bg-brand-700";
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="aliases">
            <h2 class="text-base font-semibold text-slate-900">"Merchant code aliases"</h2>
            <p class="mt-1 text-sm text-slate-600">"Other codes files use for this merchant: their rows are this merchant's."</p>
            {move || add.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {if aliases.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No aliases."</p> }.into_any()
            } else {
                let id = merchant_id.clone();
                view! {
                    <ul class="mt-2 flex flex-col gap-1 text-sm">
                        {aliases.into_iter().map(|a| {
                            let id = id.clone();
                            let label = format!("Remove alias {a}");
                            view! {
                                <li class="flex items-center gap-2">
                                    <span class="font-mono">{a.clone()}</span>
                                    {can_admin.then(|| view! {
                                        <ActionForm action=remove attr:aria-label=label>
                                            <input type="hidden" name="merchant_id" value=id.clone() />
                                            <input type="hidden" name="alias" value=a.clone() />
                                            <button type="submit" class="text-red-700 underline">"Remove"<span class="sr-only">{format!(" alias {a}")}</span></button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {can_admin.then(|| view! {
                <ActionForm action=add attr:class="mt-3 flex items-end gap-2 text-sm" attr:aria-label="Add an alias">
                    <input type="hidden" name="merchant_id" value=merchant_id.clone() />
                    <label class="flex flex-col text-slate-600">"New alias"<input name="alias" required class=FIELD placeholder="MERCH001" /></label>
                    <button type="submit" class=button>"Add alias"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
pub fn MerchantPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let save = ServerAction::<SaveMerchantTerms>::new();
    // Pages render on the server only (islands): the save is a form post whose answer reloads
    // this page, and the action reads its error back from that address.
    let merchant = Resource::new(move || id.get(), get_merchant);
    view! {
        <Suspense fallback=|| view! { <PageHeader title="Merchant terms" /><p class="text-slate-500">"Loading the merchant…"</p> }>
            {move || Suspend::new(async move {
                match merchant.await {
                    Ok(v) => view! { <MerchantBody view=v save=save /> }.into_any(),
                    Err(e) => view! {
                        // The server function has set the response status (404 for an unknown merchant).
                        <PageHeader title="Merchant terms" />
                        <ErrorNotice message=e.to_string() />
                        <p class="mt-4"><a href="/settlements/merchants" class="text-brand-700 underline">"Back to all merchants"</a></p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MerchantBody(view: MerchantView, save: ServerAction<SaveMerchantTerms>) -> impl IntoView {
    let v = view;
    let t = v.terms.clone();
    let row = crate::ui::def_row;
    let in_force = match t.effective_from {
        Some(d) => format!("In force since {}", ist::format_date(d)),
        None => "Nothing configured: the defaults apply".into(),
    };
    view! {
        <p class="mb-2 text-sm"><a href="/settlements/merchants" class="text-brand-700 hover:underline">"← All merchants"</a></p>
        <header class="mb-4">
            <h1 class="text-2xl font-semibold text-slate-900">{format!("{} ({})", v.name, v.id)}</h1>
            <p class="mt-1 text-sm text-slate-600">{format!("{} · terms as of {} (IST) · {in_force}", v.legal_name, ist::format_date(v.today))}</p>
        </header>
        <FlashNotices />
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <div class="grid gap-6 lg:grid-cols-2">
            <section class=CARD data-testid="terms">
                <h2 class="text-base font-semibold text-slate-900">"Terms in force"</h2>
                <dl class="mt-2 text-sm">
                    {row("Settlement cycle", format!("T+{} business days", t.cycle_days))}
                    {row("Minimum settlement", format!("{} (below it the amount carries forward to the next batch)", t.min_settlement.to_inr()))}
                    {row("Preferred rail", format!("{} (RTGS from ₹2,00,000)", t.preferred_rail.code()))}
                    {row("GST on commission", pct(t.gst_rate))}
                    {row("TDS", tds_text(&t))}
                    {row("PAN on file", if t.has_pan { "Yes".into() } else { "No".into() })}
                    {row("Rolling reserve", reserve_text(&t))}
                </dl>
            </section>
            <section class=CARD data-testid="bank-account">
                <h2 class="text-base font-semibold text-slate-900">"Bank account"</h2>
                {match v.account.clone() {
                    Some(a) => view! {
                        <dl class="mt-2 text-sm">
                            {row("Holder", a.holder_name)}
                            {row("Account number", a.account_number)}
                            {row("IFSC", a.ifsc)}
                            {row("Bank", a.bank_name)}
                        </dl>
                    }.into_any(),
                    None => view! { <p class="mt-2 text-sm text-slate-600">"No bank account on file: batches cannot be paid out."</p> }.into_any(),
                }}
            </section>
        </div>
        <section class=format!("mt-6 {CARD}") data-testid="commission">
            <h2 class="text-base font-semibold text-slate-900">"Commission and fee bearer per payment mode"</h2>
            <table class="mt-2 w-full text-sm">
                <thead class="text-left text-slate-600"><tr>
                    <th class="py-1 font-medium">"Mode"</th><th class="py-1 font-medium">"Bank"</th>
                    <th class="py-1 font-medium">"Commission"</th><th class="py-1 font-medium">"Fee borne by"</th>
                </tr></thead>
                <tbody>
                    {v.commission.iter().map(|c| view! {
                        <tr class="border-t border-slate-100" data-method=c.method.clone()>
                            <td class="py-1">{c.method.clone()}</td>
                            <td class="py-1">{c.bank.clone().unwrap_or_else(|| "Any".into())}</td>
                            <td class="py-1">{c.text()}{c.is_default.then_some(" (default)")}</td>
                            <td class="py-1">{t.bearer_for(&c.method).code()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class=format!("mt-6 {CARD}") data-testid="versions">
            <h2 class="text-base font-semibold text-slate-900">"Versions"</h2>
            {if v.versions.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No versions saved: the defaults apply."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-sm">
                        <thead class="text-left text-slate-600"><tr>
                            <th class="py-1 font-medium">"Effective from"</th><th class="py-1 font-medium">"Status"</th>
                            <th class="py-1 font-medium">"Changed by"</th><th class="py-1 font-medium">"Changed at"</th>
                        </tr></thead>
                        <tbody>
                            {v.versions.iter().map(|r| view! {
                                <tr class="border-t border-slate-100" data-status=r.status.code()>
                                    <td class="py-1 tabular-nums">{ist::format_date(r.effective_from)}</td>
                                    <td class="py-1">{match r.status {
                                        VersionStatus::Scheduled => view! { <span class="rounded bg-amber-100 px-2 py-0.5 text-amber-900">"scheduled"</span> }.into_any(),
                                        other => view! { <span>{other.code()}</span> }.into_any(),
                                    }}</td>
                                    <td class="py-1">{r.changed_by.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td class="py-1 tabular-nums">{r.changed_at.map(ist::format_datetime).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <Aliases merchant_id=v.id.clone() aliases=v.aliases.clone() can_admin=v.can_admin />
        {v.edit.clone().map(|form| view! { <EditForm form=form save=save /> })}
    }
}

/// The admin's edit form (the one place the full account number is shown).
#[component]
fn EditForm(form: TermsForm, save: ServerAction<SaveMerchantTerms>) -> impl IntoView {
    let f = form;
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
    let label = "flex flex-col text-slate-600";
    view! {
        <section class=format!("mt-6 {CARD}") data-testid="edit-terms">
            <h2 class="text-base font-semibold text-slate-900">"Change terms (admin)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Saving makes a new version from the date below; batches already calculated keep their terms, so the date must be after the merchant's last batched cycle. Saving again with the same date replaces that version."
            </p>
            <ActionForm action=save attr:class="mt-3 flex flex-col gap-4 text-sm" attr:aria-label="Change terms">
                <input type="hidden" name="form[merchant_id]" value=f.merchant_id.clone() />
                <div class="grid gap-3 sm:grid-cols-3 lg:grid-cols-4">
                    <label class=label>"Effective from"<input type="date" name="form[effective_from]" value=f.effective_from.clone() required class=FIELD /></label>
                    <label class=label>"T+N (business days, 0–30)"<input type="number" min="0" max="30" name="form[cycle_days]" value=f.cycle_days.clone() required class=FIELD /></label>
                    <label class=label>"Minimum settlement (₹)"<input name="form[min_settlement]" inputmode="decimal" value=f.min_settlement.clone() required class=FIELD /></label>
                    <label class=label>"Preferred rail"
                        <select name="form[preferred_rail]" class=FIELD>
                            {Rail::ALL.iter().map(|r| view! { <option value=r.code() selected=f.preferred_rail == r.code()>{r.code()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class=label>"GST on commission (%)"<input name="form[gst_rate]" inputmode="decimal" value=f.gst_rate.clone() required class=FIELD /></label>
                    <label class="flex items-center gap-2 text-slate-600"><input type="checkbox" name="form[tds_enabled]" value="on" checked=!f.tds_enabled.is_empty() />"TDS on"</label>
                    <label class=label>"TDS (%)"<input name="form[tds_rate]" inputmode="decimal" value=f.tds_rate.clone() required class=FIELD /></label>
                    <span></span>
                    <label class="flex items-center gap-2 text-slate-600"><input type="checkbox" name="form[reserve_enabled]" value="on" checked=!f.reserve_enabled.is_empty() />"Rolling reserve on"</label>
                    <label class=label>"Reserve (%)"<input name="form[reserve_rate]" inputmode="decimal" value=f.reserve_rate.clone() required class=FIELD /></label>
                    <label class=label>"Hold days (0–365)"<input type="number" min="0" max="365" name="form[reserve_hold_days]" value=f.reserve_hold_days.clone() required class=FIELD /></label>
                </div>
                <table class="w-full">
                    <thead class="text-left text-slate-600"><tr>
                        <th class="py-1 font-medium">"Mode"</th><th class="py-1 font-medium">"Commission kind"</th>
                        <th class="py-1 font-medium">"Value (% or ₹ per transaction)"</th><th class="py-1 font-medium">"Fee borne by"</th>
                    </tr></thead>
                    <tbody>
                        {METHODS.iter().map(|m| {
                            let mode = f.modes.get(*m).cloned().unwrap_or_default();
                            let name = |field: &str| format!("form[modes][{m}][{field}]");
                            view! {
                                <tr class="border-t border-slate-100">
                                    <td class="py-1">{*m}</td>
                                    <td class="py-1">
                                        <select name=name("kind") class=FIELD aria-label=format!("{m} commission kind")>
                                            <option value="percent" selected=mode.kind == "percent">"Percent"</option>
                                            <option value="fixed" selected=mode.kind == "fixed">"Fixed ₹"</option>
                                        </select>
                                    </td>
                                    <td class="py-1"><input name=name("value") value=mode.value.clone() inputmode="decimal" required class=FIELD aria-label=format!("{m} commission") /></td>
                                    <td class="py-1">
                                        <select name=name("bearer") class=FIELD aria-label=format!("{m} fee bearer")>
                                            {["merchant", "payer", "bank"].into_iter().map(|b| view! { <option value=b selected=mode.bearer == b>{b}</option> }).collect_view()}
                                        </select>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                    <label class=label>"Account holder"<input name="form[holder_name]" value=f.holder_name.clone() class=FIELD /></label>
                    <label class=label>"Account number"<input name="form[account_number]" value=f.account_number.clone() inputmode="numeric" autocomplete="off" class=FIELD /></label>
                    <label class=label>"IFSC"<input name="form[ifsc]" value=f.ifsc.clone() class=FIELD /></label>
                    <label class=label>"Bank name"<input name="form[bank_name]" value=f.bank_name.clone() class=FIELD /></label>
                </div>
                <div><button type="submit" class=button>"Save terms"</button></div>
            </ActionForm>
        </section>
    }
}
