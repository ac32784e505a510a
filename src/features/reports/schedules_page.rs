//! `/reports/schedules`: the scheduled reports (what, for which window, when in IST, to whom, the
//! next run), a form to create one (or, at `?edit=<id>`, to change one), and the latest runs with
//! each file's SHA-256 and its download. Every form is a plain post that works without JavaScript
//! and comes back with a notice or the error in words.

use leptos::prelude::*;

use super::model::{Format, Report, RunRow, ScheduleRow, MAX_WINDOW_DAYS};
use super::server::{get_schedules, CreateSchedule, DeleteSchedule, UpdateSchedule};
use crate::ist;
use crate::ui::{format_size, ErrorNotice, FlashNotices, PageHeader};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
const PLAIN_BUTTON: &str = "rounded-md border border-slate-300 bg-white px-3 py-1 text-slate-800 hover:bg-slate-50";
const TH: &str = "px-3 py-2 font-medium";
const TD: &str = "px-3 py-2 align-top";

#[component]
pub fn SchedulesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_schedules());
    // `?run=<id>` (the link in a report's e-mail) marks that run.
    let focus = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("run"));
    // `?edit=<id>`: that schedule's form in place of the new one's (when the caller may change it).
    let editing = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("edit"))
        .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok());
    let remove = ServerAction::<DeleteSchedule>::new();
    view! {
        <PageHeader title="Scheduled reports" subtitle="Reports that run on a schedule (cron, in IST): each run stores its file here with its SHA-256 and e-mails the recipients a link." />
        <p class="mb-4 text-sm"><a href="/reports" class="text-brand-700 underline">"Back to the reports"</a></p>
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the schedules…"</p> }>
            {move || {
                let focus = focus.clone();
                Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        {(!v.mail_on).then(|| view! {
                            <div class=crate::ui::style::NOTE role="note" data-testid="mail-off">
                                "E-mail is off on this server (SMTP_HOST is not set): runs store their files here and mail nobody."
                            </div>
                        })}
                        {match v.schedules.iter().find(|s| s.may_change && editing == Some(s.id)) {
                            Some(s) => view! { <EditForm merchants=v.merchants.clone() schedule=s.clone() /> }.into_any(),
                            None => v.may_schedule.then(|| view! { <CreateForm merchants=v.merchants.clone() /> }).into_any(),
                        }}
                        {move || remove.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-4"><ErrorNotice message=e.to_string() /></div> })}
                        <Schedules rows=v.schedules.clone() remove=remove />
                        <Runs rows=v.runs.clone() focus=focus.clone() />
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}}
        </Suspense>
    }
}

#[component]
fn CreateForm(merchants: Vec<(String, String)>) -> impl IntoView {
    let create = ServerAction::<CreateSchedule>::new();
    view! {
        <section class=CARD aria-labelledby="create-schedule-heading">
            <h2 id="create-schedule-heading" class="text-base font-semibold text-slate-900">"Schedule a report"</h2>
            <p class="mt-1 text-sm text-slate-600">{HOW}</p>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            <ActionForm action=create attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Schedule a report">
                <ScheduleFields merchants=merchants current=None>
                    <label class="flex flex-col text-slate-600">"Report"
                        <select name="form[report]" class=FIELD>
                            {Report::ALL.into_iter().map(|r| view! { <option value=r.slug()>{r.title()}</option> }).collect_view()}
                        </select>
                    </label>
                </ScheduleFields>
                <button type="submit" class=BUTTON>"Create schedule"</button>
            </ActionForm>
        </section>
    }
}

const HOW: &str = "Each run covers the chosen number of cycle dates up to the day before it runs. The schedule is five cron fields in IST: minute, hour, day of month, month, day of week — \"0 9 * * 1\" is 09:00 every Monday, \"30 7 1 * *\" 07:30 on the first of each month.";

/// `?edit=<id>`: the schedule's fields to change, all but its report.
#[component]
fn EditForm(merchants: Vec<(String, String)>, schedule: ScheduleRow) -> impl IntoView {
    let update = ServerAction::<UpdateSchedule>::new();
    let title = format!("Change the schedule {}", schedule.name);
    view! {
        <section class=CARD aria-labelledby="edit-schedule-heading" data-testid="edit-schedule">
            <h2 id="edit-schedule-heading" class="text-base font-semibold text-slate-900">{title.clone()}</h2>
            <p class="mt-1 text-sm text-slate-600">
                {format!("Report: {}. A schedule keeps its report; for another, schedule a new one. ", schedule.report.title())}
                "A run queued already takes the new format, merchant, acquirer and recipients, and keeps its cycle dates. A new cron moves the next run, an hour after the latest run at least; a run due already is still made."
            </p>
            <p class="mt-1 text-sm text-slate-600">{HOW}</p>
            {move || update.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            <ActionForm action=update attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label=title>
                <ScheduleFields merchants=merchants current=Some(schedule.clone())>
                    <input type="hidden" name="id" value=schedule.id.to_string() />
                    <input type="hidden" name="form[report]" value=schedule.report.slug() />
                </ScheduleFields>
                <button type="submit" class=BUTTON>"Save changes"</button>
                <a href="/reports/schedules" class=PLAIN_BUTTON>"Cancel"</a>
            </ActionForm>
        </section>
    }
}

/// The fields of a schedule, empty or holding `current`; `children` (the report, or what names the
/// schedule changed) go after its name.
#[component]
fn ScheduleFields(merchants: Vec<(String, String)>, current: Option<ScheduleRow>, children: Children) -> impl IntoView {
    let c = current.as_ref();
    let format = c.map_or(Format::Xlsx, |s| s.format);
    let merchant = c.and_then(|s| s.merchant_id.clone());
    view! {
        <label class="flex flex-col text-slate-600">"Name"
            <input type="text" name="form[name]" required=true maxlength="100" class=FIELD value=c.map(|s| s.name.clone()) />
        </label>
        {children()}
        <label class="flex flex-col text-slate-600">"Format"
            <select name="form[format]" class=FIELD>
                <option value="xlsx" selected=format == Format::Xlsx>"XLSX"</option>
                <option value="csv" selected=format == Format::Csv>"CSV"</option>
            </select>
        </label>
        <label class="flex flex-col text-slate-600">"Cycle dates (days)"
            <input type="number" name="form[windowDays]" value=c.map_or(7, |s| s.window_days).to_string() min="1" max=MAX_WINDOW_DAYS.to_string() required=true class=FIELD />
        </label>
        <label class="flex flex-col text-slate-600">"Merchant"
            <select name="form[merchantId]" class=FIELD>
                <option value="">"All merchants"</option>
                {merchants.into_iter().map(|(id, name)| {
                    let selected = merchant.as_deref() == Some(id.as_str());
                    view! { <option value=id.clone() selected=selected>{format!("{name} ({id})")}</option> }
                }).collect_view()}
            </select>
        </label>
        <label class="flex flex-col text-slate-600">"Acquirer (optional)"
            <input type="text" name="form[acquirer]" size="8" maxlength="32" class=FIELD value=c.and_then(|s| s.acquirer.clone()) />
        </label>
        <label class="flex flex-col text-slate-600">"When (cron, IST)"
            <input type="text" name="form[cron]" value=c.map_or_else(|| "0 9 * * 1".to_string(), |s| s.cron.clone()) required=true size="14" maxlength="100" class=format!("{FIELD} font-mono") />
        </label>
        <label class="flex flex-col text-slate-600">"Recipients (comma-separated)"
            <input type="text" name="form[recipients]" required=true size="36" class=FIELD value=c.map(|s| s.recipients.join(", ")) />
        </label>
    }
}

fn scope_text(r: &ScheduleRow) -> String {
    let mut parts = vec![format!("last {} cycle date{}", r.window_days, if r.window_days == 1 { "" } else { "s" })];
    if let Some(m) = &r.merchant_id {
        parts.push(format!("merchant {m}"));
    }
    if let Some(a) = &r.acquirer {
        parts.push(format!("acquirer {a}"));
    }
    parts.join(", ")
}

fn format_label(f: Format) -> &'static str {
    match f {
        Format::Csv => "CSV",
        Format::Xlsx => "XLSX",
    }
}

#[component]
fn Schedules(rows: Vec<ScheduleRow>, remove: ServerAction<DeleteSchedule>) -> impl IntoView {
    view! {
        <section class=format!("mt-6 {CARD}") aria-labelledby="schedules-heading">
            <h2 id="schedules-heading" class="text-base font-semibold text-slate-900">{format!("Schedules ({})", rows.len())}</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No reports are scheduled. Schedule one above; its runs appear below."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label="Schedules">
                        <table class="w-full text-sm" data-testid="schedules">
                            <caption class="sr-only">"Scheduled reports"</caption>
                            <thead class="bg-slate-50 text-left text-slate-600">
                                <tr>
                                    <th scope="col" class=TH>"Name"</th>
                                    <th scope="col" class=TH>"Report"</th>
                                    <th scope="col" class=TH>"Covers"</th>
                                    <th scope="col" class=TH>"When (IST)"</th>
                                    <th scope="col" class=TH>"Recipients"</th>
                                    <th scope="col" class=TH>"Next run (IST)"</th>
                                    <th scope="col" class=TH>"Created by"</th>
                                    <th scope="col" class=TH>"Actions"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|s| {
                                    let scope = scope_text(&s);
                                    let delete = format!("Delete the schedule {}", s.name);
                                    let delete_button = delete.clone();
                                    view! {
                                        <tr class="border-t border-slate-100" data-schedule=s.name.clone()>
                                            <td class=TD>{s.name.clone()}</td>
                                            <td class=TD>{format!("{} ({})", s.report.title(), format_label(s.format))}</td>
                                            <td class=TD>{scope}</td>
                                            <td class=format!("{TD} font-mono text-xs")>{s.cron.clone()}</td>
                                            <td class=format!("{TD} break-all")>{s.recipients.join(", ")}</td>
                                            <td class=format!("{TD} whitespace-nowrap") data-testid="next-run">{ist::format_datetime(s.next_run_at)}</td>
                                            <td class=TD>{s.created_by.clone()}</td>
                                            <td class=TD>
                                                {s.may_change.then(|| view! {
                                                    <div class="flex gap-2">
                                                        <a href=format!("/reports/schedules?edit={}", s.id) class=PLAIN_BUTTON aria-label=format!("Change the schedule {}", s.name)>"Change"</a>
                                                        <ActionForm action=remove attr:aria-label=delete>
                                                            <input type="hidden" name="id" value=s.id.to_string() />
                                                            <button type="submit" class=PLAIN_BUTTON aria-label=delete_button.clone()>"Delete"</button>
                                                        </ActionForm>
                                                    </div>
                                                })}
                                            </td>
                                        </tr>
                                    }
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
fn Runs(rows: Vec<RunRow>, focus: Option<String>) -> impl IntoView {
    view! {
        <section class=format!("mt-6 {CARD}") aria-labelledby="runs-heading">
            <h2 id="runs-heading" class="text-base font-semibold text-slate-900">"Latest runs"</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No runs yet: a schedule's first run appears here when its time comes."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label="Latest runs">
                        <table class="w-full text-sm" data-testid="runs">
                            <caption class="sr-only">"Latest runs of the scheduled reports"</caption>
                            <thead class="bg-slate-50 text-left text-slate-600">
                                <tr>
                                    <th scope="col" class=TH>"Schedule"</th>
                                    <th scope="col" class=TH>"Due (IST)"</th>
                                    <th scope="col" class=TH>"Cycle dates"</th>
                                    <th scope="col" class=TH>"Status"</th>
                                    <th scope="col" class=TH>"File"</th>
                                    <th scope="col" class=TH>"SHA-256"</th>
                                    <th scope="col" class=TH>"E-mail"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let marked = focus.as_deref() == Some(r.id.to_string().as_str());
                                    view! { <RunLine run=r marked=marked /> }
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
fn RunLine(run: RunRow, marked: bool) -> impl IntoView {
    let r = run;
    let file = match (&r.file_name, r.size_bytes) {
        (Some(name), Some(size)) => view! {
            <a href=format!("/api/reports/v1/runs/{}/file", r.id) download="" class="text-brand-700 underline">{name.clone()}</a>
            <span class="block text-xs text-slate-600">{format_size(size.max(0) as u64)}</span>
            {r.unmasked_personal_data.then(|| view! { <span class="block text-xs text-slate-600">"holds personal data: roles that see it masked download the report instead"</span> })}
        }
        .into_any(),
        _ => view! { <span class="text-slate-500">"—"</span> }.into_any(),
    };
    let mail = match (&r.emailed_at, &r.email_note) {
        (Some(at), _) => format!("Sent {}", ist::format_datetime(*at)),
        (None, Some(note)) => note.clone(),
        (None, None) => "Not sent yet".to_string(),
    };
    view! {
        <tr class=if marked { "border-t border-slate-100 bg-amber-50" } else { "border-t border-slate-100" } id=format!("run-{}", r.id) data-run=r.id.to_string() aria-current=marked.then_some("true")>
            <td class=TD>{r.schedule_name.clone()}<span class="block text-xs text-slate-600">{r.report.title()}</span></td>
            <td class=format!("{TD} whitespace-nowrap")>{ist::format_datetime(r.due_at)}</td>
            <td class=format!("{TD} whitespace-nowrap")>{format!("{} – {}", ist::format_date(r.window_from), ist::format_date(r.window_to))}</td>
            <td class=TD data-testid="run-status">{r.status.clone()}
                {r.error.clone().map(|e| view! { <span class="block text-xs text-red-800">{e}</span> })}
            </td>
            <td class=TD>{file}</td>
            <td class=format!("{TD} font-mono text-xs break-all") data-testid="run-sha256">{r.sha256.clone().unwrap_or_default()}</td>
            <td class=TD data-testid="run-mail">{mail}</td>
        </tr>
    }
}
