//! The Recon pages: `/recon` (upload a PG file and a bank file for a cycle date, start a run, the
//! runs with live status, recent uploads) and `/recon/runs/:id` (counts with amounts, tabs per
//! class, the results table, CSV export). Uploads are plain multipart forms (they work without
//! JavaScript; with it, an island previews the chosen file); the run list and a run's status line
//! (islands) follow a queued or running run, and a run's page loads again when its run has ended.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::model::{RunPage, RunView, UploadPreview, Workspace, CLASSES, RESULTS_PAGE};
use super::server::{get_recon_run, get_recon_run_status, get_recon_workspace, StartReconRun};
use crate::ist;
use crate::money::{format_count, Paise};
use crate::ui::{format_size, pager, ErrorNotice, FlashNotices, KpiTile, PageHeader};

fn inr(p: Option<Paise>) -> String {
    p.map(Paise::to_inr).unwrap_or_else(|| "—".into())
}

fn status_badge(status: &str) -> &'static str {
    match status {
        "completed" => "bg-emerald-100 text-emerald-800",
        "failed" => "bg-red-100 text-red-800",
        "running" => "bg-sky-100 text-sky-800",
        _ => "bg-slate-200 text-slate-700",
    }
}

#[component]
pub fn ReconPage() -> impl IntoView {
    // `?upload=` (a connector run's link): that upload is listed even when it is not recent.
    let query = use_query_map();
    let upload = Memo::new(move |_| query.with(|q| q.get("upload")));
    let workspace = Resource::new(move || upload.get(), get_recon_workspace);
    view! {
        <PageHeader title="Recon workspace" subtitle="Upload the gateway's transactions and the bank statement for a cycle date, then reconcile." />
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match workspace.await {
                    Ok(w) => view! { <WorkspaceBody workspace=w /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkspaceBody(workspace: Workspace) -> impl IntoView {
    let w = workspace;
    view! {
        {w.can_work.then(|| view! { <UploadAndRun layouts=w.bank_layouts.clone() can_admin=w.can_admin /> })}
        <RunsTable runs=w.runs />
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="uploads">
            <h2 class="text-base font-semibold text-slate-900">"Recent uploads"</h2>
            {w.uploads.is_empty().then(|| view! { <p class="mt-2 text-sm text-slate-600">"No files uploaded yet. Upload the PG file and the bank file of a cycle above."</p> })}
            <table class="mt-2 w-full text-sm">
                <thead class="text-left text-slate-600"><tr>
                    <th class="py-1 font-medium">"File"</th><th class="py-1 font-medium">"Kind"</th><th class="py-1 font-medium">"Cycle date"</th>
                    <th class="py-1 font-medium">"Format"</th><th class="py-1 text-right font-medium">"Size"</th>
                    <th class="py-1 text-right font-medium">"Accepted"</th><th class="py-1 text-right font-medium">"Rejected"</th>
                    <th class="py-1 text-right font-medium">"Skipped"</th><th class="py-1 font-medium">"Unknown merchants at upload"</th>
                </tr></thead>
                <tbody>
                    {w.uploads.into_iter().map(|u| view! {
                        <tr class="border-t border-slate-100" id=format!("upload-{}", u.id)>
                            <td class="py-1">{u.original_name.clone()}</td>
                            <td class="py-1">{u.kind.to_uppercase()}</td>
                            <td class="py-1">{u.cycle_date.map(ist::format_date).unwrap_or_default()}</td>
                            <td class="py-1">{u.detected_format.clone().unwrap_or_default()}</td>
                            <td class="py-1 text-right tabular-nums">{format_size(u.size_bytes.max(0) as u64)}</td>
                            <td class="py-1 text-right tabular-nums">{format_count(u.rows_accepted.into())}</td>
                            <td class="py-1 text-right tabular-nums">
                                {if u.rows_rejected > 0 {
                                    view! { <a href=format!("/api/recon/v1/uploads/{}/errors.csv", u.id) download="" class="text-red-700 underline">{format_count(u.rows_rejected.into())}</a> }.into_any()
                                } else {
                                    view! { <span>"0"</span> }.into_any()
                                }}
                            </td>
                            <td class="py-1 text-right tabular-nums">{format_count(u.rows_skipped.into())}
                                {(!u.skipped_reasons.is_empty()).then(|| view! { <span class="block text-xs text-slate-500">{u.skipped_reasons.clone()}</span> })}
                            </td>
                            <td class="py-1">{if u.unknown_merchants.is_empty() {
                                view! { <span class="text-slate-500">"—"</span> }.into_any()
                            } else {
                                view! { <a href="/settlements/merchants" class="text-amber-900 underline">{u.unknown_merchants.clone()}</a> }.into_any()
                            }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The runs, alive in the browser: while one is queued or running, the list is fetched again
/// every two seconds and shown in place (the upload forms above keep what was typed). Without
/// JavaScript it is the list as it was when the page was loaded.
#[island]
fn RunsTable(runs: Vec<RunView>) -> impl IntoView {
    let runs = RwSignal::new(runs);
    // Bumped when an ask failed, so that the next one is scheduled all the same.
    let retry = RwSignal::new(0u32);
    Effect::new(move |_| {
        retry.track();
        if runs.with(|r| r.iter().any(RunView::is_active)) {
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match get_recon_workspace(None).await {
                            Ok(w) => runs.set(w.runs),
                            Err(_) => retry.update(|n| *n += 1),
                        }
                    })
                },
                std::time::Duration::from_secs(2),
            );
        }
    });
    view! {
        <section class="mt-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="runs">
            <h2 class="text-base font-semibold text-slate-900">"Runs"</h2>
            {move || if runs.with(Vec::is_empty) {
                view! { <p class="mt-2 text-sm text-slate-600">"No runs yet. Upload both files for a cycle date and start one."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-2 w-full text-sm">
                        <thead class="text-left text-slate-600"><tr>
                            <th class="py-1 font-medium">"Cycle date"</th><th class="py-1 font-medium">"Status"</th>
                            <th class="py-1 font-medium">"Progress"</th><th class="py-1 text-right font-medium">"PG rows"</th>
                            <th class="py-1 text-right font-medium">"Matched"</th><th class="py-1 text-right font-medium">"Exceptions (PG rows)"</th>
                            <th class="py-1 pl-6 font-medium">"Queued"</th>
                        </tr></thead>
                        <tbody>
                            {runs.get().into_iter().map(|r| view! {
                                <tr class="border-t border-slate-100" data-run-status=r.status.clone()>
                                    <td class="py-1"><a href=format!("/recon/runs/{}", r.id) class="text-brand-700 hover:underline">{ist::format_date(r.cycle_date)}</a></td>
                                    <td class="py-1"><span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", status_badge(&r.status))>{r.status.clone()}</span>
                                        {r.superseded_by.map(|_| view! { <span class="ml-1 text-xs text-slate-500">"(superseded)"</span> })}</td>
                                    <td class="py-1">
                                        <progress max="100" value=r.progress_pct.to_string() class="h-2 w-24 align-middle" aria-label=format!("Run of {} progress", ist::format_date(r.cycle_date))></progress>
                                        <span class="ml-2 text-xs text-slate-600">{r.stage.clone().unwrap_or_default()}</span>
                                    </td>
                                    <td class="py-1 text-right tabular-nums">{format_count(r.counts.pg_rows.into())}</td>
                                    <td class="py-1 text-right tabular-nums">{format_count(r.counts.matched.into())}</td>
                                    <td class="py-1 text-right tabular-nums">{format_count(r.counts.exceptions.into())}</td>
                                    <td class="py-1 pl-6 tabular-nums">{ist::format_datetime(r.queued_at)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// Ask the server how it would read `file` (its first rows), without uploading it.
#[cfg(feature = "hydrate")]
async fn request_preview(kind: &str, fields: &[(&str, String)], file: &web_sys::File) -> Result<UploadPreview, String> {
    let failed = |_| "The preview could not be made; the file can still be uploaded.".to_string();
    let form = web_sys::FormData::new().map_err(failed)?;
    form.append_with_str("kind", kind).map_err(failed)?;
    for (name, value) in fields {
        form.append_with_str(name, value).map_err(failed)?;
    }
    crate::ui::append_sample(&form, file).map_err(failed)?;
    crate::ui::post_form_data(
        "/api/recon/v1/uploads/preview",
        &form,
        "The preview could not be made; the file can still be uploaded.",
    )
    .await
}

/// One upload form: a drop zone (or file picker), the format (detected or chosen), and before
/// anything is uploaded the file's size, the format it would be read as and its first five rows.
/// Without JavaScript it is a plain multipart form; with it, an island. `choices`: the formats a
/// user may name (value, label).
#[island]
fn UploadForm(
    kind: String,
    title: String,
    hint: String,
    choices: Vec<(String, String)>,
    can_admin: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let mapping = RwSignal::new(String::new());
    let merchant = RwSignal::new(String::new());
    let unit = RwSignal::new(String::new());
    let cycle = RwSignal::new(String::new());
    let dragging = RwSignal::new(false);
    let chosen = RwSignal::new(None::<(String, u64)>);
    let preview = RwSignal::new(None::<Result<UploadPreview, String>>);
    let loading = RwSignal::new(false);
    // Each preview request is numbered; an answer that arrives after a newer request was made
    // (another file, another format) is dropped.
    let asked = StoredValue::new(0u32);
    let preview_kind = StoredValue::new(kind.clone());
    let refresh = move || {
        #[cfg(feature = "hydrate")]
        {
            asked.update_value(|n| *n += 1);
            let this = asked.get_value();
            let Some(file) = input.get_untracked().and_then(|el| el.files()).and_then(|f| f.get(0)) else {
                chosen.set(None);
                preview.set(None);
                loading.set(false);
                return;
            };
            chosen.set(Some((file.name(), file.size() as u64)));
            preview.set(None);
            loading.set(true);
            let fields = [
                ("mapping", mapping.get_untracked()),
                ("merchantId", merchant.get_untracked()),
                ("amountUnit", unit.get_untracked()),
                ("cycleDate", cycle.get_untracked()),
            ];
            let kind = preview_kind.get_value();
            leptos::task::spawn_local(async move {
                let answer = request_preview(&kind, &fields, &file).await;
                if asked.get_value() == this {
                    preview.set(Some(answer));
                    loading.set(false);
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (asked, preview_kind, merchant, unit, cycle);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let (Some(files), Some(el)) = (ev.data_transfer().and_then(|d| d.files()), input.get_untracked()) {
            if files.length() > 0 {
                el.set_files(Some(&files));
                refresh();
            }
        }
    };
    let field = "rounded border border-slate-300 px-2 py-1";
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
    let zone = move || {
        format!(
            "flex flex-col items-center gap-1 rounded-md border-2 border-dashed p-3 text-center text-slate-600 {}",
            if dragging.get() { "border-brand-500 bg-brand-50" } else { "border-slate-300" }
        )
    };
    let (format_label, file_label) = (format!("{title} format"), format!("{title} to upload"));
    let (drop_id, submit) = (format!("drop-{kind}"), format!("Upload {}", kind.to_uppercase()));
    let heading = title.clone();
    let is_pg = kind == "pg";
    let merchant_hint = format!("merchant-hint-{kind}");
    view! {
        <form method="post" enctype="multipart/form-data" action="/api/recon/v1/uploads"
            class="flex flex-col gap-2 rounded-lg border border-slate-200 p-3 text-sm" aria-label=title>
            <h3 class="font-medium text-slate-900">{heading}</h3>
            <p class="text-xs text-slate-600">{hint}</p>
            <input type="hidden" name="kind" value=kind />
            <label class="flex flex-col text-slate-600">"Cycle date"<input type="date" name="cycleDate" required class=field
                on:change=move |ev| { cycle.set(event_target_value(&ev)); refresh() } /></label>
            // The format comes before the file: a browser sends fields in this order, and the
            // server reads the file as it arrives.
            <label class="flex flex-col text-slate-600">"Format"
                <select name="mapping" class=field aria-label=format_label
                    on:change=move |ev| { mapping.set(event_target_value(&ev)); refresh() }>
                    {choices.into_iter().map(|(value, label)| view! {
                        <option value=value>{label}</option>
                    }).collect_view()}
                </select>
            </label>
            // Both before the file, like the format.
            {is_pg.then(|| view! {
                <label class="flex flex-col text-slate-600">"Merchant"
                    <input name="merchantId" class=field placeholder="MERCH_001" autocomplete="off" aria-describedby=merchant_hint.clone()
                        on:change=move |ev| { merchant.set(event_target_value(&ev)); refresh() } />
                </label>
                <span id=merchant_hint.clone() class="-mt-1 text-xs text-slate-500">"Only for a file without a merchant column: a merchant the product knows."</span>
            })}
            <label class="flex flex-col text-slate-600">"Amounts"
                <select name="amountUnit" class=field
                    on:change=move |ev| { unit.set(event_target_value(&ev)); refresh() }>
                    <option value="">"As the layout defines them"</option>
                    <option value="rupees">"In rupees (1500 = ₹1,500.00)"</option>
                    <option value="paise">"In paise (1500 = ₹15.00)"</option>
                </select>
            </label>
            {can_admin.then(|| view! {
                <label class="flex items-center gap-2 text-slate-600">
                    <input type="checkbox" name="saveUnit" value="true" />
                    "Keep the unit chosen above on the stored bank layout the file is read by (admin; not for built-in formats)"
                </label>
            })}
            <div class=zone data-testid=drop_id
                on:dragenter=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true) }
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true) }
                on:dragleave=move |_| dragging.set(false)
                on:drop=on_drop>
                <span>"Drop the file here, or choose it (CSV, TXT or XLSX, up to 25 MB)"</span>
                <input type="file" name="file" required accept=".csv,.txt,.xlsx" node_ref=input
                    aria-label=file_label on:change=move |_| refresh() class="max-w-full text-xs" />
            </div>
            <PreviewPanel chosen=chosen preview=preview loading=loading />
            <button type="submit" class=button>{submit}</button>
        </form>
    }
}

#[component]
fn PreviewPanel(
    chosen: RwSignal<Option<(String, u64)>>,
    preview: RwSignal<Option<Result<UploadPreview, String>>>,
    loading: RwSignal<bool>,
) -> impl IntoView {
    move || {
        chosen.get().map(|(name, size)| {
            view! {
                <div class="rounded-md bg-slate-50 p-2 text-xs" data-testid="upload-preview" aria-live="polite">
                    <p class="text-slate-700"><span class="font-medium">{name}</span>" · "<span data-testid="preview-size">{format_size(size)}</span>
                        {move || loading.get().then(|| view! { <span class="ml-2 text-slate-500">"reading…"</span> })}
                    </p>
                    {move || match preview.get() {
                        None => ().into_any(),
                        Some(Err(message)) => view! { <p class="mt-1 text-red-700" role="alert">{message}</p> }.into_any(),
                        Some(Ok(p)) => view! {
                            <p class="mt-1 text-slate-700">"Read as "<span class="font-medium" data-testid="preview-format">{p.format.clone()}</span>
                                {format!(" · the first {} row{}{}", p.rows.len(), if p.rows.len() == 1 { "" } else { "s" }, if p.sampled { " (from the start of the file)" } else { "" })}</p>
                            <p class="mt-1 text-slate-700" data-testid="preview-unit">
                                {format!("Amounts ({}) read as {}", p.amount_column, p.amount_unit)}
                                {if !p.unit_switchable {
                                    " — the column's name says so.".to_string()
                                } else if p.amount_unit == p.layout_unit {
                                    format!(" — the layout's unit; choose the other above if the file counts differently{}.",
                                        if p.stored_layout { " (an admin may keep it on this stored layout)" } else { "" })
                                } else {
                                    format!(" — chosen for this upload (the layout says {}).", p.layout_unit)
                                }}
                            </p>
                            {p.notes.iter().map(|n| view! { <p class="mt-1 text-slate-700" data-testid="preview-note">{n.clone()}</p> }).collect_view()}
                            {(!p.unknown_merchants.is_empty()).then(|| view! {
                                <p class="mt-1 text-amber-900" data-testid="preview-unknown-merchants">
                                    {format!("Merchants not known yet, among the rows shown: {}. Their rows will be accepted and reconciled, and kept out of settlement until an admin creates each merchant or maps its code (Settlements → Merchants); the upload lists every such code in the file.", p.unknown_merchants.join(", "))}
                                </p>
                            })}
                            <div class="mt-1 overflow-x-auto">
                                <table class="w-full whitespace-nowrap" data-testid="preview-rows">
                                    <thead class="text-left text-slate-500"><tr>
                                        <th class="pr-2 font-medium">"Line"</th>
                                        {p.columns.iter().map(|c| view! { <th class="pr-2 font-medium">{c.clone()}</th> }).collect_view()}
                                    </tr></thead>
                                    <tbody>
                                        {p.rows.iter().map(|r| {
                                            let cells = match (&r.error, &r.skipped) {
                                                (Some(e), _) => view! { <td colspan=p.columns.len().to_string() class="pr-2 text-red-700">{format!("Would be refused — {e}")}</td> }.into_any(),
                                                (None, Some(s)) => view! { <td colspan=p.columns.len().to_string() class="pr-2 text-slate-600">{format!("Would be skipped — {s}")}</td> }.into_any(),
                                                (None, None) => r.cells.iter().map(|c| view! { <td class="pr-2">{c.clone()}</td> }).collect_view().into_any(),
                                            };
                                            view! { <tr class="border-t border-slate-200"><td class="pr-2 tabular-nums text-slate-500">{r.line}</td>{cells}</tr> }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }}
                </div>
            }
        })
    }
}

#[component]
fn UploadAndRun(layouts: Vec<String>, can_admin: bool) -> impl IntoView {
    // The form posts to the server function, which answers with the new run's page (or back here
    // with the error, which the action shows).
    let start = ServerAction::<StartReconRun>::new();
    let field = "rounded border border-slate-300 px-2 py-1";
    let button = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
    view! {
        <section class="grid gap-4 rounded-lg border border-slate-200 bg-white p-4 shadow-sm lg:grid-cols-3" data-testid="upload-and-run">
            <UploadForm kind="pg".to_string() title="PG file".to_string()
                hint="Gateway transactions: PG simple, V1, V2 and the old system's exports, detected from the header.".to_string()
                can_admin=false
                choices=super::model::format_choices("pg", &[]) />
            <UploadForm kind="bank".to_string() title="Bank file".to_string()
                hint="Bank statement: simple, V1, or a stored bank layout (AXIS, HDFC, ICICI, SBI, BOB).".to_string()
                choices=super::model::format_choices("bank", &layouts) can_admin=can_admin />
            <ActionForm action=start attr:class="flex flex-col gap-2 rounded-lg border border-slate-300 p-3 text-sm" attr:aria-label="Run reconciliation">
                <h3 class="font-medium text-slate-900">"Reconcile"</h3>
                <p class="text-xs text-slate-600">"Matches the cycle's PG rows against its bank credits; re-running supersedes the last run."</p>
                <label class="flex flex-col text-slate-600">"Cycle date"<input type="date" name="cycle_date" required class=field /></label>
                <button type="submit" class=button>"Run reconciliation"</button>
                {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ReconRunPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let (id, class, page_number) = (
        params.with_untracked(|p| p.get("id").unwrap_or_default()),
        query.with_untracked(|q| q.get("class")),
        query.with_untracked(|q| q.get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1)),
    );
    let page = Resource::new(
        move || (id.clone(), class.clone(), page_number),
        |(id, class, page)| get_recon_run(id, class, page),
    );
    view! {
        <Suspense fallback=|| view! { <PageHeader title="Recon run" /><p class="text-slate-500">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <RunBody page=p /> }.into_any(),
                    Err(e) => view! { <PageHeader title="Recon run" /><ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A run's status line, alive in the browser: while the run is queued or running it is asked for
/// again every two seconds (stage and progress follow), and once the run has ended the page loads
/// again to show its results. Without JavaScript it is the status as the page was loaded, with a
/// note to reload.
#[island]
fn RunStatus(run: RunView) -> impl IntoView {
    let run = RwSignal::new(run);
    // Bumped when an ask failed, so that the next one is scheduled all the same.
    let retry = RwSignal::new(0u32);
    Effect::new(move |_| {
        retry.track();
        let (active, id) = run.with(|r| (r.is_active(), r.id));
        if active {
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        match get_recon_run_status(id.to_string()).await {
                            Ok(now) if now.is_active() => run.set(now),
                            // The end shows with the results it brought, in the page as the
                            // server renders it now.
                            Ok(_) => {
                                let _ = window().location().reload();
                            }
                            Err(_) => retry.update(|n| *n += 1),
                        }
                    })
                },
                std::time::Duration::from_secs(2),
            );
        }
    });
    view! {
        <p class="mb-4 text-sm text-slate-700" data-testid="run-status">
            {move || run.with(|r| view! {
                {format!("Cycle {} · ", ist::format_date(r.cycle_date))}
                <span class=format!("rounded px-2 py-0.5 text-xs font-medium {}", status_badge(&r.status))>{r.status.clone()}</span>
                {r.stage.clone().map(|s| format!(" · stage {s} ({} %)", r.progress_pct))}
                {r.finished_at.map(|t| format!(" · finished {}", ist::format_datetime(t)))}
                {r.is_active().then(|| view! { <noscript>" · still running: reload the page to follow it"</noscript> })}
            })}
        </p>
    }
}

#[component]
fn RunBody(page: RunPage) -> impl IntoView {
    let p = page;
    let r = p.run.clone();
    let id = r.id;
    let href = move |class: Option<&str>, n: i64| {
        let mut q = Vec::new();
        if let Some(c) = class {
            q.push(format!("class={c}"));
        }
        if n > 1 {
            q.push(format!("page={n}"));
        }
        if q.is_empty() {
            format!("/recon/runs/{id}")
        } else {
            format!("/recon/runs/{id}?{}", q.join("&"))
        }
    };
    let current = p.class.clone();
    let first = (p.page - 1) * RESULTS_PAGE;
    let shown = p.rows.len() as i64;
    let export = format!(
        "/api/recon/v1/runs/{id}/results.csv{}",
        current.as_ref().map(|c| format!("?class={c}")).unwrap_or_default()
    );
    // The tile counts PG rows (matched + exceptions + unmatched PG = PG rows); the Exceptions tab
    // lists result rows of the class, which also holds the bank lines that are duplicates.
    let duplicate_bank_lines =
        p.class_counts.iter().find(|c| c.0 == "EXCEPTION").map_or(0, |c| c.1) - i64::from(r.counts.exceptions);
    let exceptions_detail = if duplicate_bank_lines > 0 {
        format!(
            "{} · the Exceptions tab also lists {} duplicate bank {}",
            r.amounts.exceptions_paise.to_inr(),
            format_count(duplicate_bank_lines),
            if duplicate_bank_lines == 1 { "line" } else { "lines" }
        )
    } else {
        r.amounts.exceptions_paise.to_inr()
    };
    view! {
        <p class="mb-2 text-sm"><a href="/recon" class="text-brand-700 hover:underline">"← Recon workspace"</a></p>
        <PageHeader title="Recon run" />
        <RunStatus run=r.clone() />
        {r.error.clone().map(|e| view! { <ErrorNotice message=format!("The run failed: {e}") /> })}
        <div class="grid grid-cols-2 gap-4 xl:grid-cols-4">
            <KpiTile label="Matched" value=format_count(r.counts.matched.into()) detail=r.amounts.matched_paise.to_inr() test_id="run-matched" />
            <KpiTile label="Exceptions (PG rows)" value=format_count(r.counts.exceptions.into()) detail=exceptions_detail test_id="run-exceptions" />
            <KpiTile label="Unmatched PG" value=format_count(r.counts.unmatched_pg.into()) detail=r.amounts.unmatched_pg_paise.to_inr() test_id="run-unmatched-pg" />
            <KpiTile label="Unmatched bank" value=format_count(r.counts.unmatched_bank.into()) detail=r.amounts.unmatched_bank_paise.to_inr() test_id="run-unmatched-bank" />
        </div>
        {(!r.by_reason.is_empty()).then(|| view! {
            <p class="mt-3 text-sm text-slate-700" data-testid="by-reason">
                "Exception records by reason: "
                {r.by_reason.iter().map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(" · ")}
            </p>
        })}
        <nav aria-label="Result class" class="mt-6 flex flex-wrap gap-1 border-b border-slate-200">
            {
                let tab = |class: Option<&'static str>, label: &'static str, count: i64| {
                    let active = current.as_deref() == class;
                    view! {
                        <a href=href(class, 1) aria-current=active.then_some("page")
                            class=if active { "-mb-px rounded-t border border-b-white border-slate-200 bg-white px-3 py-2 text-sm font-medium text-brand-700" } else { "px-3 py-2 text-sm text-slate-600 hover:text-slate-900" }>
                            {label} " " <span class="text-slate-500">{format!("({})", format_count(count))}</span>
                        </a>
                    }
                };
                let all: i64 = p.class_counts.iter().map(|c| c.1).sum();
                let mut tabs = vec![tab(None, "All", all)];
                for (code, label) in CLASSES {
                    let n = p.class_counts.iter().find(|c| c.0 == code).map(|c| c.1).unwrap_or(0);
                    tabs.push(tab(Some(code), label, n));
                }
                tabs.collect_view()
            }
        </nav>
        <div class="mt-3 flex items-center justify-between text-sm text-slate-600">
            <p data-testid="results-summary">{if p.total == 0 { "No rows in this class.".to_string() } else { format!("Showing {}–{} of {}", format_count(first + 1), format_count(first + shown), format_count(p.total)) }}</p>
            <a href=export download="" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-800 hover:bg-slate-50">"Export CSV"</a>
        </div>
        <div class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table class="w-full text-sm" data-testid="results">
                <thead class="bg-slate-50 text-left text-slate-600"><tr>
                    <th class="px-3 py-2 font-medium">"Txn ID"</th><th class="px-3 py-2 font-medium">"UTR / RRN"</th>
                    <th class="px-3 py-2 text-right font-medium">"PG amount"</th><th class="px-3 py-2 text-right font-medium">"Bank amount"</th>
                    <th class="px-3 py-2 text-right font-medium">"Δ"</th><th class="px-3 py-2 font-medium">"PG date"</th>
                    <th class="px-3 py-2 font-medium">"Bank date"</th><th class="px-3 py-2 font-medium">"Status"</th><th class="px-3 py-2 font-medium">"Reason"</th>
                </tr></thead>
                <tbody>
                    {p.rows.into_iter().map(|row| view! {
                        <tr class="border-t border-slate-100" data-class=row.class.clone()>
                            <td class="px-3 py-2 font-mono text-xs">{row.txn_id.clone().or(row.bank_ref.clone()).unwrap_or_else(|| "—".into())}</td>
                            <td class="px-3 py-2 font-mono text-xs">{[row.utr.clone(), row.rrn.clone()].into_iter().flatten().collect::<Vec<_>>().join(" / ")}</td>
                            <td class="px-3 py-2 text-right tabular-nums">{inr(row.pg_amount_paise)}</td>
                            <td class="px-3 py-2 text-right tabular-nums">{inr(row.bank_amount_paise)}</td>
                            <td class="px-3 py-2 text-right tabular-nums">{inr(row.delta_paise)}</td>
                            <td class="px-3 py-2">{row.pg_date.map(ist::format_date).unwrap_or_default()}</td>
                            <td class="px-3 py-2">{row.bank_date.map(ist::format_date).unwrap_or_default()}</td>
                            <td class="px-3 py-2">{row.class.clone()}</td>
                            <td class="px-3 py-2">
                                {match (row.reason_code.clone(), row.exception_id.clone()) {
                                    (Some(reason), Some(exc)) => view! {
                                        <a href=format!("/exceptions/{exc}") class="text-brand-700 hover:underline" title=format!("Open exception {exc}")>{reason}</a>
                                    }.into_any(),
                                    (reason, _) => view! { <span>{reason.unwrap_or_default()}</span> }.into_any(),
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {pager(p.page, first + shown < p.total, |n| href(current.as_deref(), n))}
    }
}
