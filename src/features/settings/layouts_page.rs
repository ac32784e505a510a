//! `/settings/layouts` (admin): every stored bank layout; `/settings/layouts/{id}` (`new` for a new
//! one): its editor. The editor is a plain form posted to `save_layout` (it works without
//! JavaScript); with JavaScript, an island previews the layout as it is typed against a sample
//! file, tests it on a stored bank upload, and keeps the typed values when a save is refused.
//! Without JavaScript a stored layout is tested on an upload by a plain GET (`?test=`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::layouts::{LayoutEditView, LayoutForm, LayoutRow, LayoutTrial, UploadChoice, DELIMITERS};
use super::server::{get_layout, get_layouts, SaveLayout};
use crate::auth::Access;
use crate::ist;
use crate::money::{format_count, Paise};
use crate::ui::{ErrorNotice, FlashNotices, PageHeader, RoleGate};

use crate::ui::style::{BUTTON, CARD, FIELD, PLAIN_BUTTON};

#[component]
pub fn BankLayoutsPage() -> impl IntoView {
    view! {
        <RoleGate title="Bank layouts" access=Access::ADMIN who="platform admins">
            <LayoutList />
        </RoleGate>
    }
}

#[component]
fn LayoutList() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_layouts());
    view! {
        <p class="mb-2 text-sm"><a href="/settings" class="text-brand-700 hover:underline">"← Settings"</a></p>
        <PageHeader title="Bank layouts" subtitle="How each bank's statement is read: which column is the reference, the amounts, the dates. A bank upload is read by the layout whose columns its header has; an inactive layout is never tried." />
        <FlashNotices />
        <p class="mb-4"><a href="/settings/layouts/new" class=BUTTON data-testid="new-layout">"New layout"</a></p>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading layouts…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(rows) => view! {
                        <section class=CARD aria-labelledby="layouts-heading">
                            <h2 id="layouts-heading" class="text-base font-semibold text-slate-900">{format!("Stored layouts ({})", rows.len())}</h2>
                            <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label="Stored layouts">
                                <table class="w-full text-sm" data-testid="layouts">
                                    <caption class="sr-only">"Stored bank layouts"</caption>
                                    <thead class="bg-slate-50 text-left text-slate-600">
                                        <tr>
                                            <th scope="col" class="px-3 py-2 font-medium">"Layout"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Bank"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"File"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Reference · amount · date columns"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Date format"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Amounts in"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Last changed"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| view! { <LayoutListRow row=row /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn LayoutListRow(row: LayoutRow) -> impl IntoView {
    let f = row.form;
    let href = format!("/settings/layouts/{}", f.id);
    let file = format!("{} · {} · header row {}", f.file_type, f.delimiter_label(), f.header_row);
    let columns = format!("{} · {} · {}", f.reference_column, f.gross_amount_column, f.txn_date_column);
    let changed = match &row.updated_by {
        Some(who) => format!("{} by {who}", ist::format_datetime(row.updated_at)),
        None => format!("{} (as shipped)", ist::format_datetime(row.updated_at)),
    };
    let active = f.is_active();
    view! {
        <tr class="border-t border-slate-200" data-testid="layout-row" data-name=f.layout_name.clone()>
            <td class="px-3 py-2"><a href=href class="font-medium text-brand-700 hover:underline">{f.layout_name.clone()}</a></td>
            <td class="px-3 py-2">{f.bank_code.clone()}</td>
            <td class="px-3 py-2 text-slate-700">{file}</td>
            <td class="px-3 py-2 text-slate-700">{columns}</td>
            <td class="px-3 py-2 font-mono text-xs">{f.date_format.clone()}</td>
            <td class="px-3 py-2">{f.amounts_in.clone()}</td>
            <td class="px-3 py-2">{if active { "active" } else { "inactive" }}</td>
            <td class="px-3 py-2 text-slate-600">{changed}</td>
        </tr>
    }
}

#[component]
pub fn BankLayoutPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| (params.with(|p| p.get("id").unwrap_or_default()), query.with(|q| q.get("test"))));
    // Made here, outside the role gate, which renders its children again once it knows the user:
    // one fetch per page (a test of a stored upload reads the whole file).
    let data = Resource::new(move || key.get(), |(id, test)| get_layout(id, test));
    view! {
        <RoleGate title="Bank layout" access=Access::ADMIN who="platform admins">
            <LayoutEditorPage data=data />
        </RoleGate>
    }
}

#[component]
fn LayoutEditorPage(data: Resource<Result<LayoutEditView, crate::error::AppError>>) -> impl IntoView {
    // A save refused without JavaScript comes back in the address; the action reads it there.
    let save = ServerAction::<SaveLayout>::new();
    view! {
        <p class="mb-2 text-sm"><a href="/settings/layouts" class="text-brand-700 hover:underline">"← All bank layouts"</a></p>
        <Suspense fallback=|| view! { <PageHeader title="Bank layout" /><p class="text-slate-500">"Loading the layout…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let title = match &v.layout {
                            Some(l) => format!("{} ({})", l.form.layout_name, l.form.bank_code),
                            None => "New bank layout".to_string(),
                        };
                        let stored_id = v.layout.as_ref().map(|l| l.form.id.clone());
                        let changed = v.layout.as_ref().map(|l| match &l.updated_by {
                            Some(who) => format!("Last changed {} by {who}.", ist::format_datetime(l.updated_at)),
                            None => format!("As shipped, {}.", ist::format_datetime(l.updated_at)),
                        });
                        view! {
                            <header class="mb-4">
                                <h1 class="text-2xl font-semibold text-slate-900">{title}</h1>
                                {changed.map(|c| view! { <p class="mt-1 text-sm text-slate-600">{c}</p> })}
                            </header>
                            <FlashNotices />
                            {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
                            <LayoutEditor form=v.form uploads=v.uploads.clone() save_url=SaveLayout::PATH.to_string() />
                            {stored_id.map(|id| view! { <StoredTest id=id uploads=v.uploads test=v.test /> })}
                        }.into_any()
                    }
                    Err(e) => view! { <PageHeader title="Bank layout" /><ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Without JavaScript: test the saved layout on a stored upload by a plain GET, and its answer.
#[component]
fn StoredTest(id: String, uploads: Vec<UploadChoice>, test: Option<Result<LayoutTrial, String>>) -> impl IntoView {
    view! {
        <noscript>
            <section class=format!("mt-6 {CARD}") aria-label="Test the saved layout">
                <h2 class="text-base font-semibold text-slate-900">"Test the saved layout on a stored upload"</h2>
                <form method="get" action=format!("/settings/layouts/{id}") class="mt-2 flex flex-wrap items-end gap-2 text-sm">
                    <label class="flex flex-col text-slate-600">"Bank upload"
                        <select name="test" class=FIELD>
                            {uploads.into_iter().map(|u| view! { <option value=u.id>{u.label}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=PLAIN_BUTTON>"Test"</button>
                </form>
            </section>
        </noscript>
        {test.map(|t| view! {
            <section class=format!("mt-6 {CARD}") aria-labelledby="stored-test-heading">
                <h2 id="stored-test-heading" class="text-base font-semibold text-slate-900">"The saved layout, tested"</h2>
                {match t {
                    Ok(trial) => view! { <TrialView trial=trial /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e /> }.into_any(),
                }}
            </section>
        })}
    }
}

/// The fields of a layout's form, as [`LayoutForm`] names them: text inputs with their label,
/// hint and whether they are required.
const TEXT_FIELDS: [(&str, &str, &str, bool); 12] = [
    ("referenceColumn", "Reference column", "The bank's id of the line (with the bank, the line's key).", true),
    ("grossAmountColumn", "Gross amount column", "The amount matched against the gateway's.", true),
    ("txnDateColumn", "Transaction date column", "Read with the date format below.", true),
    ("netAmountColumn", "Net amount column", "Optional: what was credited after charges.", false),
    ("valueDateColumn", "Value date column", "Optional.", false),
    ("utrColumn", "UTR column", "Optional; the strongest match key.", false),
    ("rrnColumn", "RRN column", "Optional.", false),
    ("remarksColumn", "Remarks column", "Optional.", false),
    ("statusColumn", "Status column", "Optional: a line the bank reports as failed is skipped.", false),
    ("bankNameColumn", "Bank name column", "Optional: for an export that covers several banks.", false),
    (
        "chargesColumns",
        "Charges columns",
        "Optional, comma-separated: for a statement without a net column, net = gross less these.",
        false,
    ),
    (
        "directionColumn",
        "Direction column",
        "Optional: CR, CREDIT or C is a credit; DR, DEBIT or D a debit. Empty: every line is a credit.",
        false,
    ),
];

/// The layout the form holds now, as the server reads the same form posted.
#[cfg(feature = "hydrate")]
fn current_form(form: &web_sys::HtmlFormElement) -> Option<LayoutForm> {
    let data = web_sys::FormData::new_with_form(form).ok()?;
    // The form's fields are the struct's: every one the browser has, by its `form[…]` name.
    let serde_json::Value::Object(names) = serde_json::to_value(LayoutForm::default()).ok()? else { return None };
    let fields: serde_json::Map<String, serde_json::Value> = names
        .keys()
        .filter_map(|key| {
            Some((key.clone(), serde_json::Value::String(data.get(&format!("form[{key}]")).as_string()?)))
        })
        .collect();
    serde_json::from_value(serde_json::Value::Object(fields)).ok()
}

/// Ask the server how the layout reads a sample file or a stored upload.
#[cfg(feature = "hydrate")]
async fn request_trial(
    layout: &LayoutForm,
    sample: Option<web_sys::File>,
    upload: Option<String>,
) -> Result<LayoutTrial, String> {
    let failed = |_| "The layout could not be tried.".to_string();
    let data = web_sys::FormData::new().map_err(failed)?;
    let json = serde_json::to_string(layout).map_err(|_| "The layout could not be sent.".to_string())?;
    data.append_with_str("layout", &json).map_err(failed)?;
    if let Some(file) = sample {
        crate::ui::append_sample(&data, &file).map_err(failed)?;
    }
    if let Some(id) = upload {
        data.append_with_str("uploadId", &id).map_err(failed)?;
    }
    crate::ui::post_form_data("/api/admin/v1/layouts/trial", &data, "The layout could not be tried.").await
}

/// The editor: the layout's form (a plain post that works without JavaScript) and, with
/// JavaScript, its trial on a sample file as it is typed, and on a stored upload.
#[island]
fn LayoutEditor(form: LayoutForm, uploads: Vec<UploadChoice>, save_url: String) -> impl IntoView {
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let sample_ref = NodeRef::<leptos::html::Input>::new();
    let upload_choice = RwSignal::new(uploads.first().map(|u| u.id.clone()).unwrap_or_default());
    // The trial shown and what it was of: a sample file, or a stored upload.
    let trial = RwSignal::new(None::<Result<LayoutTrial, String>>);
    let on_stored = RwSignal::new(false);
    let loading = RwSignal::new(false);
    let save_error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    // The live parts show once the island runs; without JavaScript a note says what to do instead.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    // Each trial is numbered; an answer that arrives after a newer request was made is dropped.
    let asked = StoredValue::new(0u32);
    let try_now = move |stored: bool| {
        #[cfg(feature = "hydrate")]
        {
            let Some(layout) = form_ref.get_untracked().and_then(|f| current_form(&f)) else { return };
            let sample = sample_ref.get_untracked().and_then(|el| el.files()).and_then(|f| f.get(0));
            let (sample, upload) = if stored {
                (None, Some(upload_choice.get_untracked()).filter(|u| !u.is_empty()))
            } else {
                (sample, None)
            };
            if sample.is_none() && upload.is_none() {
                // Nothing to read: no result may stand for the form as it is now.
                asked.update_value(|n| *n += 1);
                trial.set(None);
                loading.set(false);
                return;
            }
            asked.update_value(|n| *n += 1);
            let this = asked.get_value();
            on_stored.set(stored);
            loading.set(true);
            leptos::task::spawn_local(async move {
                let answer = request_trial(&layout, sample, upload).await;
                if asked.get_value() == this {
                    trial.set(Some(answer));
                    loading.set(false);
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (stored, asked, upload_choice, form_ref, sample_ref, on_stored, loading);
    };
    // A change to any field tries the sample again, a moment after typing stops.
    let typed = StoredValue::new(0u32);
    let on_edit = move || {
        // A whole upload's test is of the layout as it was: an edit sets it aside (testing it
        // again is a click), and the sample is read again instead.
        save_error.set(None);
        if on_stored.get_untracked() {
            // A test still under way answers for the form as it was: dropped.
            asked.update_value(|n| *n += 1);
            on_stored.set(false);
            trial.set(None);
            loading.set(false);
        }
        typed.update_value(|n| *n += 1);
        let this = typed.get_value();
        set_timeout(
            move || {
                if typed.get_value() == this {
                    try_now(false)
                }
            },
            std::time::Duration::from_millis(400),
        );
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            let Some(layout) = form_ref.get_untracked().and_then(|f| current_form(&f)) else { return };
            ev.prevent_default();
            saving.set(true);
            save_error.set(None);
            leptos::task::spawn_local(async move {
                match super::server::save_layout(layout).await {
                    Ok(location) => {
                        let _ = window().location().set_href(&location);
                    }
                    Err(e) => {
                        save_error.set(Some(e.to_string()));
                        saving.set(false);
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, saving, save_error);
    };
    let is_new = form.id.is_empty();
    let values = serde_json::to_value(&form).unwrap_or_default();
    let value_of = move |key: &str| values[key].as_str().unwrap_or_default().to_string();
    let has_uploads = !uploads.is_empty();
    view! {
        <form node_ref=form_ref method="post" action=save_url class=format!("{CARD} text-sm") aria-label="Bank layout"
            on:input=move |_| on_edit() on:submit=on_submit data-testid="layout-form">
            <input type="hidden" name="form[id]" value=form.id.clone() />
            <input type="hidden" name="form[version]" value=form.version.clone() />
            <fieldset class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <legend class="mb-2 text-base font-semibold text-slate-900">"The file"</legend>
                <div class="flex flex-col text-slate-600">
                    <label for="layout-bankCode">"Bank code"</label>
                    <input id="layout-bankCode" name="form[bankCode]" required class=FIELD value=form.bank_code.clone() placeholder="KOTAK" autocomplete="off" aria-describedby="hint-bankCode" />
                    <span id="hint-bankCode" class="text-xs text-slate-500">"Capital letters: AXIS, HDFC; ANY for a multi-bank export."</span>
                </div>
                <div class="flex flex-col text-slate-600">
                    <label for="layout-layoutName">"Layout name"</label>
                    <input id="layout-layoutName" name="form[layoutName]" required class=FIELD value=form.layout_name.clone() autocomplete="off" aria-describedby="hint-layoutName" />
                    <span id="hint-layoutName" class="text-xs text-slate-500">"Unique; an upload may name its layout by it."</span>
                </div>
                <label class="flex flex-col text-slate-600">"File type"
                    <select name="form[fileType]" class=FIELD>
                        {["csv", "txt", "xlsx"].into_iter().map(|t| view! { <option value=t selected=form.file_type == t>{t}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-slate-600">"Delimiter"
                    <select name="form[delimiter]" class=FIELD>
                        {DELIMITERS.into_iter().map(|(_, v, l)| view! { <option value=v selected=form.delimiter == v>{l}</option> }).collect_view()}
                    </select>
                </label>
                <div class="flex flex-col text-slate-600">
                    <label for="layout-headerRow">"Header row"</label>
                    <input id="layout-headerRow" name="form[headerRow]" type="number" min="1" max="50" required class=FIELD value=form.header_row.clone() aria-describedby="hint-headerRow" />
                    <span id="hint-headerRow" class="text-xs text-slate-500">"The line the column names are on (1: the first). Detection finds a layout's header on its line."</span>
                </div>
                <div class="flex flex-col text-slate-600">
                    <label for="layout-dateFormat">"Date format"</label>
                    <input id="layout-dateFormat" name="form[dateFormat]" required class=format!("{FIELD} font-mono") value=form.date_format.clone() autocomplete="off" aria-describedby="hint-dateFormat" />
                    <span id="hint-dateFormat" class="text-xs text-slate-500">"strftime: %d-%m-%Y is 30-11-2026; %d-%b-%y %H:%M:%S is 30-Nov-26 09:05:07."</span>
                </div>
                <label class="flex flex-col text-slate-600">"Amounts in"
                    <select name="form[amountsIn]" class=FIELD>
                        <option value="rupees" selected=form.amounts_in != "paise">"rupees (1500.00 = ₹1,500.00)"</option>
                        <option value="paise" selected=form.amounts_in == "paise">"paise (150000 = ₹1,500.00)"</option>
                    </select>
                </label>
                <label class="flex items-center gap-2 self-center text-slate-600">
                    <input type="checkbox" name="form[active]" checked=form.is_active() />
                    "Active: tried on every bank upload"
                </label>
            </fieldset>
            <fieldset class="mt-4 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <legend class="mb-2 text-base font-semibold text-slate-900">"Columns, as the header names them (any spelling: TXN_ID reads Txn Id)"</legend>
                {TEXT_FIELDS.into_iter().map(|(key, label, hint, required)| {
                    let (id, hint_id) = (format!("layout-{key}"), format!("hint-{key}"));
                    view! {
                        <div class="flex flex-col text-slate-600">
                            <label for=id.clone()>{if required { format!("{label} (required)") } else { label.to_string() }}</label>
                            <input id=id name=format!("form[{key}]") required=required class=FIELD value=value_of(key) autocomplete="off" aria-describedby=hint_id.clone() />
                            <span id=hint_id class="text-xs text-slate-500">{hint}</span>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            {move || save_error.get().map(|e| view! { <div class="mt-3" data-testid="layout-save-error"><ErrorNotice message=e /></div> })}
            <div class="mt-4 flex items-center gap-3">
                <button type="submit" class=BUTTON disabled=move || saving.get()>{if is_new { "Create layout" } else { "Save layout" }}</button>
                <span class="text-xs text-slate-500">"Saved layouts are read by the next upload; every change is in the audit log."</span>
            </div>
        </form>
        <section class=format!("mt-6 {CARD} text-sm") aria-labelledby="try-heading">
            <h2 id="try-heading" class="text-base font-semibold text-slate-900">"Try the layout before saving it"</h2>
            <p class="mt-1 text-slate-600" hidden=move || live.get()>
                "The live preview needs JavaScript. Without it, save the layout, then test it on a stored upload below."
            </p>
            <div class="mt-2 flex flex-wrap items-end gap-4" hidden=move || !live.get()>
                <label class="flex flex-col text-slate-600">"Sample file (CSV, TXT or XLSX): its first rows, read as you type"
                    <input type="file" accept=".csv,.txt,.xlsx" node_ref=sample_ref class="text-xs" data-testid="layout-sample"
                        on:change=move |_| try_now(false) />
                </label>
                {has_uploads.then(|| view! {
                    <label class="flex flex-col text-slate-600">"Or every row of a stored bank upload"
                        <select class=FIELD data-testid="layout-upload" on:change=move |ev| {
                            upload_choice.set(event_target_value(&ev));
                            if on_stored.get_untracked() {
                                trial.set(None);
                            }
                        }>
                            {uploads.into_iter().map(|u| view! { <option value=u.id>{u.label}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class=PLAIN_BUTTON data-testid="layout-test-upload" on:click=move |_| try_now(true)>"Test on this upload"</button>
                })}
            </div>
            <div aria-live="polite" data-testid="layout-trial">
                {move || loading.get().then(|| view! { <p class="mt-2 text-slate-500">"Reading…"</p> })}
                {move || trial.get().map(|t| match t {
                    Ok(trial) => view! { <TrialView trial=trial /> }.into_any(),
                    Err(e) => view! { <div class="mt-2"><ErrorNotice message=e /></div> }.into_any(),
                })}
            </div>
        </section>
    }
}

/// How a layout read a file: the first rows, and for a whole stored upload every row's tally
/// beside what the upload recorded.
#[component]
fn TrialView(trial: LayoutTrial) -> impl IntoView {
    let p = trial.preview;
    let columns = p.columns.len().to_string();
    view! {
        <div class="mt-3 text-sm" data-testid="trial-result">
            <p class="text-slate-700">{format!("{} read as ", trial.file_name)}<span class="font-medium">{p.format.clone()}</span>
                {format!(" · amounts ({}) in {}{}", p.amount_column, p.amount_unit, if p.sampled { " · from the start of the file" } else { "" })}</p>
            {trial.detected.map(|d| match d {
                Ok(format) => view! { <p class="mt-1 text-slate-700" data-testid="trial-detected">{format!("Uploaded once this layout is saved, the file would be read as {format}.")}</p> }.into_any(),
                Err(e) => view! { <p class="mt-1 text-amber-900" data-testid="trial-detected">{format!("Uploaded once this layout is saved, the file would be refused: {e}")}</p> }.into_any(),
            })}
            {trial.tally.map(|t| {
                let read_as = trial.stored.map(|s| format!(
                    "When it was uploaded it was read as {}: {} rows accepted, {} skipped, {} refused.",
                    s.format, format_count(s.accepted), format_count(s.skipped), format_count(s.refused)
                ));
                view! {
                    <p class="mt-1 text-slate-800" data-testid="trial-tally">
                        {format!(
                            "Every row: {} read, {} accepted, {} skipped, {} refused · credits {} · debits {}.",
                            format_count(t.rows_total as i64), format_count(t.accepted as i64), format_count(t.skipped as i64),
                            format_count(t.refused as i64), Paise(t.credits_paise).to_inr(), Paise(t.debits_paise).to_inr()
                        )}
                    </p>
                    {read_as.map(|r| view! { <p class="mt-1 text-slate-600">{r}</p> })}
                    {(!t.first_refused.is_empty()).then(|| view! {
                        <h3 class="mt-2 font-medium text-slate-900">{format!("The first {} refused rows", t.first_refused.len())}</h3>
                        <ul class="mt-1 list-disc pl-5 text-red-800" data-testid="trial-refused">
                            {t.first_refused.into_iter().map(|r| view! {
                                <li>{format!("Line {}: {}", r.line, r.error.unwrap_or_default())}</li>
                            }).collect_view()}
                        </ul>
                    })}
                }
            })}
            {p.notes.into_iter().map(|n| view! { <p class="mt-1 text-slate-600">{n}</p> }).collect_view()}
            <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label="The first rows as the layout reads them">
                <table class="w-full whitespace-nowrap text-xs" data-testid="trial-rows">
                    <caption class="sr-only">"The first rows as the layout reads them"</caption>
                    <thead class="text-left text-slate-600"><tr>
                        <th scope="col" class="pr-2 font-medium">"Line"</th>
                        {p.columns.iter().map(|c| view! { <th scope="col" class="pr-2 font-medium">{c.clone()}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {p.rows.into_iter().map(|r| {
                            let cells = match (r.error, r.skipped) {
                                (Some(e), _) => view! { <td colspan=columns.clone() class="pr-2 text-red-700">{format!("Would be refused — {e}")}</td> }.into_any(),
                                (None, Some(s)) => view! { <td colspan=columns.clone() class="pr-2 text-slate-600">{format!("Would be skipped — {s}")}</td> }.into_any(),
                                (None, None) => r.cells.into_iter().map(|c| view! { <td class="pr-2">{c}</td> }).collect_view().into_any(),
                            };
                            view! { <tr class="border-t border-slate-200"><td class="pr-2 tabular-nums text-slate-500">{r.line}</td>{cells}</tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
}
