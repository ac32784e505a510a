//! `/connectors`: a card per connector (type, status, health with its reason, schedule and the next
//! five fire times in IST, settings, whether each secret is set — never its value, the newest runs
//! file by file), test / run now / backfill / pause / resume for `sp-ops`, and for an admin the
//! forms to create, edit and delete one, forget a pinned host key, and the link to the jobs
//! console. Every form is a plain post that works without JavaScript.

use leptos::prelude::*;

use super::model::{ConnectorCard, ConnectorType, ConnectorsView, FileOutcome, RunView, SecretState, DEFAULT_TIMEZONE};
use super::server::{get_connectors, ActOnConnector, DeleteConnector, PauseConnector, SaveConnector};
use crate::ist;
use crate::ui::style::{BUTTON, CARD, FIELD, NOTE, PLAIN_BUTTON};
use crate::ui::{ErrorNotice, FlashNotices, HealthBadge, PageHeader};

/// The page's actions, made once and shared by every card and form, so a refusal shows once, at
/// the top of the page.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveConnector>,
    pause: ServerAction<PauseConnector>,
    remove: ServerAction<DeleteConnector>,
    act: ServerAction<ActOnConnector>,
}

#[component]
pub fn ConnectorsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_connectors());
    view! {
        <PageHeader title="Connectors" subtitle="The sources that bring files in on a schedule: bank statements over SFTP and PG transactions over an API." />
        <FlashNotices />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the connectors…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Connectors view=v /> }.into_any(),
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Connectors(view: ConnectorsView) -> impl IntoView {
    let v = view;
    let layouts = v.layouts.clone();
    let actions = Actions {
        save: ServerAction::new(),
        pause: ServerAction::new(),
        remove: ServerAction::new(),
        act: ServerAction::new(),
    };
    let refusal = move || {
        actions
            .save
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| actions.pause.value().get().and_then(|r| r.err()))
            .or_else(|| actions.remove.value().get().and_then(|r| r.err()))
            .or_else(|| actions.act.value().get().and_then(|r| r.err()))
    };
    view! {
        {move || refusal().map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        {v.may_configure.then(|| view! {
            <p class="mb-4 text-sm"><a class="text-brand-700 underline" href="/connectors/jobs">"Jobs console: the background queue, with retry and cancel"</a></p>
        })}
        {(!v.sftp_enabled).then(|| view! {
            <div class=NOTE role="note" data-testid="sftp-off">
                "Bank SFTP ingestion is off on this server (FEATURE_BANK_SFTP_INGESTION): SFTP connectors can be set up, and their runs will be refused with that reason."
            </div>
        })}
        {(v.may_configure && !v.secrets_ready).then(|| view! {
            <div class=NOTE role="note" data-testid="no-secrets-key">
                "This server has no SECRETS_KEY, so no password or key can be saved: set SECRETS_KEY (32 bytes, base64) and restart."
            </div>
        })}
        {if v.cards.is_empty() {
            view! { <p class="text-sm text-slate-600">"No connectors yet."</p> }.into_any()
        } else {
            view! {
                <ul class="grid gap-4 lg:grid-cols-2" aria-label="Connectors">
                    {v.cards.into_iter().map(|c| {
                        let runs: Vec<RunView> = v.runs.iter().filter(|r| r.connector_id == c.id).cloned().collect();
                        view! {
                            <li class="lg:col-span-2"><Card card=c runs=runs may_configure=v.may_configure may_operate=v.may_operate layouts=layouts.clone() actions=actions /></li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {v.may_configure.then(|| view! {
            <section class=format!("mt-6 {CARD}") aria-labelledby="new-connector-heading">
                <h2 id="new-connector-heading" class="text-base font-semibold text-slate-900">"New connector"</h2>
                <ConnectorFormView card=None layouts=v.layouts.clone() save=actions.save />
            </section>
        })}
    }
}

fn secret_text(s: &SecretState) -> String {
    match (&s.set_at, &s.from_env) {
        (Some(at), _) => format!("•••• set on {}", ist::format_datetime(*at)),
        (None, Some(var)) => format!("from the environment ({var})"),
        (None, None) => "not set".into(),
    }
}

#[component]
fn Card(
    card: ConnectorCard,
    runs: Vec<RunView>,
    may_configure: bool,
    may_operate: bool,
    layouts: Vec<String>,
    actions: Actions,
) -> impl IntoView {
    let c = card;
    let (pause, remove, act) = (actions.pause, actions.remove, actions.act);
    let heading = format!("connector-{}", c.id);
    let heading_id = heading.clone();
    let paused = c.status == "PAUSED";
    let mut settings: Vec<(&'static str, String)> = match c.kind {
        ConnectorType::BankSftp => vec![
            ("Server", format!("{}:{}", c.config.host.clone().unwrap_or_default(), c.config.port.unwrap_or(22))),
            ("User", c.config.username.clone().unwrap_or_default()),
            ("Directory", c.config.directory.clone().unwrap_or_default()),
            ("File pattern", c.config.pattern.clone().unwrap_or_default()),
            (
                "Checksum file",
                if c.config.sidecar == Some(true) { "a .sha256 beside each file".into() } else { "none".into() },
            ),
            ("Bank layout", c.config.layout.clone().unwrap_or_else(|| "—".into())),
            (
                "Host key",
                c.host_key_fingerprint.clone().unwrap_or_else(|| "not pinned yet (the first test pins it)".into()),
            ),
        ],
        ConnectorType::PgApi => vec![
            ("Base URL", c.config.base_url.clone().unwrap_or_default()),
            ("Merchants", c.config.merchant_codes.clone().unwrap_or_default().join(", ")),
            ("Days back", c.config.days_back.unwrap_or(1).to_string()),
        ],
    };
    for s in &c.secrets {
        settings.push((s.name.label(), secret_text(s)));
    }
    settings.push((
        "Recon after a bank file",
        if c.auto_recon {
            "queued automatically once a bank file is in and the cycle's PG side is present".into()
        } else {
            "started by hand".into()
        },
    ));
    settings.push((
        "Last changed",
        format!(
            "{}{}",
            ist::format_datetime(c.updated_at),
            c.updated_by.as_ref().map(|u| format!(" by {u}")).unwrap_or_default()
        ),
    ));
    view! {
        <article class=CARD aria-labelledby=heading.clone() data-connector=c.name.clone()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 id=heading_id class="text-base font-semibold text-slate-900">{c.name.clone()}</h2>
                <HealthBadge health=c.health />
            </div>
            <p class="text-sm text-slate-600">{format!("{} · {}", c.kind.label(), c.status)}</p>
            <p class="mt-1 text-sm text-slate-700" data-testid="health-reason">{format!("Health: {}", c.health_reason)}
                {c.last_success_at.map(|t| format!(" · last success {}", ist::format_datetime(t)))}
            </p>
            <p class="mt-2 text-sm text-slate-700">"Schedule "<code class="font-mono">{c.schedule.clone()}</code>{format!(" ({})", c.timezone)}</p>
            {if c.next_runs.is_empty() {
                view! { <p class="text-sm text-slate-600" data-testid="next-runs">"Paused: no run fires until it is resumed."</p> }.into_any()
            } else {
                view! {
                    <div class="text-sm text-slate-700">
                        <span id=format!("next-{}", c.id)>"Next runs (IST):"</span>
                        <ol class="ml-5 list-decimal" aria-labelledby=format!("next-{}", c.id) data-testid="next-runs">
                            {c.next_runs.iter().map(|t| view! { <li>{ist::format_datetime(*t)}</li> }).collect_view()}
                        </ol>
                    </div>
                }.into_any()
            }}
            <dl class="mt-3 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-1 text-sm">
                {settings.into_iter().map(|(k, v)| view! {
                    <div class="contents"><dt class="text-slate-600">{k}</dt><dd class="break-all text-slate-900">{v}</dd></div>
                }).collect_view()}
            </dl>
            <div class="mt-3 flex flex-wrap gap-2">
                {may_operate.then(|| view! {
                    <ActionForm action=pause attr:aria-label=format!("{} {}", if paused { "Resume" } else { "Pause" }, c.name)>
                        <input type="hidden" name="id" value=c.id.to_string() />
                        <input type="hidden" name="pause" value=if paused { "false" } else { "true" } />
                        <button type="submit" class=PLAIN_BUTTON>{if paused { "Resume" } else { "Pause" }}</button>
                    </ActionForm>
                })}
                {(may_configure && c.host_key_fingerprint.is_some()).then(|| view! {
                    <ActionForm action=act attr:aria-label=format!("Forget the host key of {}", c.name)>
                        <input type="hidden" name="id" value=c.id.to_string() />
                        <input type="hidden" name="action" value="forgetHostKey" />
                        <button type="submit" class=PLAIN_BUTTON>"Forget host key"</button>
                    </ActionForm>
                })}
            </div>
            {may_operate.then(|| view! { <RunForms card=c.clone() act=act /> })}
            <RunHistory name=c.name.clone() runs=runs />
            {may_configure.then(|| {
                let card = c.clone();
                view! {
                    <details class="mt-3">
                        <summary class="cursor-pointer text-sm font-medium text-brand-700">{format!("Edit {}", c.name)}</summary>
                        <ConnectorFormView card=Some(card) layouts=layouts.clone() save=actions.save />
                    </details>
                    <details class="mt-2">
                        <summary class="cursor-pointer text-sm font-medium text-red-800">{format!("Delete {}", c.name)}</summary>
                        <p class="mt-2 text-sm text-slate-700">"Deleting removes the connector, its secrets and its run history; the files it brought stay with the uploads."</p>
                        <ActionForm action=remove attr:aria-label=format!("Delete {}", c.name)>
                            <input type="hidden" name="id" value=c.id.to_string() />
                            <button type="submit" class="mt-2 rounded-md border border-red-300 bg-white px-3 py-1 text-red-800 hover:bg-red-50">"Delete for good"</button>
                        </ActionForm>
                    </details>
                }
            })}
        </article>
    }
}

/// The create form (`card` None) or the edit form of one connector, prefilled; secrets are never
/// prefilled: a blank secret keeps the stored one.
#[component]
fn ConnectorFormView(
    card: Option<ConnectorCard>,
    layouts: Vec<String>,
    save: ServerAction<SaveConnector>,
) -> impl IntoView {
    let editing = card.is_some();
    let c = card;
    let field = |f: fn(&ConnectorCard) -> Option<String>| c.as_ref().and_then(f).unwrap_or_default();
    let (id, version, name) = (
        field(|c| Some(c.id.to_string())),
        field(|c| Some(c.updated_at.to_rfc3339())),
        field(|c| Some(c.name.clone())),
    );
    let schedule = c.as_ref().map(|c| c.schedule.clone()).unwrap_or_else(|| "30 6 * * *".into());
    let timezone = c.as_ref().map(|c| c.timezone.clone()).unwrap_or_else(|| DEFAULT_TIMEZONE.into());
    let (host, port, username, directory, pattern) = (
        field(|c| c.config.host.clone()),
        field(|c| c.config.port.map(|p| p.to_string())),
        field(|c| c.config.username.clone()),
        field(|c| c.config.directory.clone()),
        field(|c| c.config.pattern.clone()),
    );
    let (base_url, merchant_codes, days_back) = (
        field(|c| c.config.base_url.clone()),
        field(|c| c.config.merchant_codes.clone().map(|m| m.join(", "))),
        field(|c| c.config.days_back.map(|d| d.to_string())),
    );
    let chosen_layout = field(|c| c.config.layout.clone());
    let kind = c.as_ref().map(|c| c.kind);
    let is_sftp = kind != Some(ConnectorType::PgApi);
    let is_api = kind != Some(ConnectorType::BankSftp);
    let sidecar = c.as_ref().is_some_and(|c| c.config.sidecar == Some(true));
    let auto_recon = c.as_ref().is_none_or(|c| c.auto_recon);
    let secret_hint = if editing { " (blank keeps the one set)" } else { "" };
    let form_name = if editing { format!("Edit {name}") } else { "Create a connector".to_string() };
    view! {
        <ActionForm action=save attr:class="mt-3 flex flex-col gap-3 text-sm" attr:aria-label=form_name>
            <input type="hidden" name="form[id]" value=id />
            <input type="hidden" name="form[version]" value=version />
            <div class="flex flex-wrap gap-3">
                <label class="flex flex-col text-slate-600">"Name"
                    <input type="text" name="form[name]" required=true maxlength="100" value=name class=FIELD />
                </label>
                {if let Some(k) = kind {
                    view! {
                        <input type="hidden" name="form[kind]" value=k.code() />
                        <p class="flex flex-col text-slate-600">"Type"<span class="py-1 text-slate-900">{k.label()}</span></p>
                    }.into_any()
                } else {
                    view! {
                        <label class="flex flex-col text-slate-600">"Type"
                            <select name="form[kind]" class=FIELD>
                                {ConnectorType::ALL.into_iter().map(|t| view! { <option value=t.code()>{t.label()}</option> }).collect_view()}
                            </select>
                        </label>
                    }.into_any()
                }}
                <label class="flex flex-col text-slate-600">"Schedule (cron)"
                    <input type="text" name="form[schedule]" required=true size="14" maxlength="100" value=schedule class=format!("{FIELD} font-mono") />
                </label>
                <label class="flex flex-col text-slate-600">"Time zone"
                    <input type="text" name="form[timezone]" size="14" maxlength="64" value=timezone class=FIELD />
                </label>
                <label class="flex items-center gap-2 self-end text-slate-700">
                    <input type="checkbox" name="form[auto_recon]" checked=auto_recon />
                    "Queue the cycle's recon run after a bank file"
                </label>
            </div>
            <p class="text-xs text-slate-600">"Five cron fields in the connector's time zone: minute, hour, day of month, month, day of week — \"30 6 * * *\" is 06:30 every day."</p>
            {is_sftp.then(|| view! {
                <fieldset class="flex flex-wrap gap-3 rounded border border-slate-200 p-3">
                    <legend class="px-1 text-slate-700">"Bank SFTP"</legend>
                    <label class="flex flex-col text-slate-600">"Host"
                        <input type="text" name="form[host]" size="22" maxlength="253" value=host class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"Port"
                        <input type="number" name="form[port]" min="1" max="65535" value=port placeholder="22" class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"User"
                        <input type="text" name="form[username]" size="14" maxlength="64" autocomplete="off" value=username class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"Remote directory"
                        <input type="text" name="form[directory]" size="22" maxlength="255" value=directory class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"File pattern"
                        <input type="text" name="form[pattern]" size="30" maxlength="200" placeholder="AXIS_SETTLE_{YYYY-MM-DD}_*.csv" value=pattern class=format!("{FIELD} font-mono") />
                    </label>
                    <label class="flex items-center gap-2 self-end text-slate-700">
                        <input type="checkbox" name="form[sidecar]" checked=sidecar />
                        "A .sha256 file beside each file"
                    </label>
                    <label class="flex flex-col text-slate-600">"Bank layout"
                        <select name="form[layout]" class=FIELD>
                            <option value="">"Choose…"</option>
                            {layouts.iter().map(|l| view! { <option value=l.clone() selected=*l == chosen_layout>{l.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="flex flex-col text-slate-600">{format!("Password{secret_hint}")}
                        <input type="password" name="form[password]" size="16" autocomplete="new-password" class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">{format!("or private key{secret_hint}")}
                        <textarea name="form[private_key]" rows="2" cols="30" autocomplete="off" spellcheck="false" class=format!("{FIELD} font-mono text-xs")></textarea>
                    </label>
                </fieldset>
            })}
            {is_api.then(|| view! {
                <fieldset class="flex flex-wrap gap-3 rounded border border-slate-200 p-3">
                    <legend class="px-1 text-slate-700">"PG API"</legend>
                    <label class="flex flex-col text-slate-600">"Base URL"
                        <input type="url" name="form[base_url]" size="32" maxlength="500" value=base_url class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"Merchant codes (comma-separated)"
                        <input type="text" name="form[merchant_codes]" size="24" value=merchant_codes class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"Days back"
                        <input type="number" name="form[days_back]" min="0" max="31" value=days_back placeholder="1" class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">{format!("API key{secret_hint}")}
                        <input type="password" name="form[api_key]" size="20" autocomplete="new-password" class=FIELD />
                    </label>
                </fieldset>
            })}
            <div><button type="submit" class=BUTTON>{if editing { "Save connector" } else { "Create connector" }}</button></div>
        </ActionForm>
    }
}

/// Test, run now and backfill: plain forms (`sp-ops`, admin).
#[component]
fn RunForms(card: ConnectorCard, act: ServerAction<ActOnConnector>) -> impl IntoView {
    let c = card;
    let (id, id2) = (c.id.to_string(), c.id.to_string());
    let (date_id, date_for) = (format!("cycle-{}", c.id), format!("cycle-{}", c.id));
    let (from_id, from_for) = (format!("from-{}", c.id), format!("from-{}", c.id));
    let (to_id, to_for) = (format!("to-{}", c.id), format!("to-{}", c.id));
    view! {
        <div class="mt-3 flex flex-wrap items-end gap-4 border-t border-slate-100 pt-3 text-sm">
            <ActionForm action=act attr:aria-label=format!("Test or run {}", c.name) attr:class="flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id />
                <label for=date_for class="flex flex-col text-slate-600">"Cycle date (blank: the schedule's)"
                    <input id=date_id type="date" name="cycle_date" class=FIELD />
                </label>
                <button type="submit" name="action" value="test" class=PLAIN_BUTTON>"Test"</button>
                <button type="submit" name="action" value="run" class=BUTTON>"Run now"</button>
            </ActionForm>
            <ActionForm action=act attr:aria-label=format!("Backfill {}", c.name) attr:class="flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id2 />
                <input type="hidden" name="action" value="backfill" />
                <label for=from_for class="flex flex-col text-slate-600">"Backfill from"
                    <input id=from_id type="date" name="from" required class=FIELD />
                </label>
                <label for=to_for class="flex flex-col text-slate-600">"to"
                    <input id=to_id type="date" name="to" required class=FIELD />
                </label>
                <button type="submit" class=PLAIN_BUTTON>"Backfill"</button>
            </ActionForm>
        </div>
    }
}

/// A connector's newest runs: what each found, file by file, with the uploads they became.
#[component]
fn RunHistory(name: String, runs: Vec<RunView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="mt-3 text-sm text-slate-600" data-testid="run-history">"No runs yet."</p> }
            .into_any();
    }
    let status_class = |s: &str| match s {
        "SUCCEEDED" => "text-emerald-800",
        "FAILED" => "text-red-800",
        "CANCELLED" => "text-amber-800",
        _ => "text-slate-700",
    };
    view! {
        <div class="mt-3 overflow-x-auto">
            <table class="w-full text-sm" data-testid="run-history">
                <caption class="text-left font-medium text-slate-900">{format!("Recent runs of {name}")}</caption>
                <thead class="text-left text-slate-600"><tr>
                    <th scope="col" class="py-1 pr-2 font-medium">"Type"</th>
                    <th scope="col" class="py-1 pr-2 font-medium">"Cycle"</th>
                    <th scope="col" class="py-1 pr-2 font-medium">"Started (IST)"</th>
                    <th scope="col" class="py-1 pr-2 font-medium">"Finished (IST)"</th>
                    <th scope="col" class="py-1 pr-2 font-medium">"By"</th>
                    <th scope="col" class="py-1 pr-2 text-right font-medium">"Files seen / taken"</th>
                    <th scope="col" class="py-1 pr-2 text-right font-medium">"Rows"</th>
                    <th scope="col" class="py-1 pr-2 font-medium">"Outcome"</th>
                </tr></thead>
                <tbody>
                    {runs.into_iter().map(|r| view! {
                        <tr class="border-t border-slate-100 align-top" data-run=r.id.to_string()>
                            <td class="py-1 pr-2">{r.run_type.clone()}</td>
                            <td class="py-1 pr-2 whitespace-nowrap">{r.cycle_date.map(ist::format_date).unwrap_or_default()}</td>
                            <td class="py-1 pr-2 whitespace-nowrap">{if r.status == "QUEUED" { "queued".to_string() } else { ist::format_datetime(r.started_at) }}</td>
                            <td class="py-1 pr-2 whitespace-nowrap">{r.finished_at.map(ist::format_datetime).unwrap_or_else(|| "—".into())}</td>
                            <td class="py-1 pr-2">{r.started_by.clone().unwrap_or_else(|| "schedule".into())}</td>
                            <td class="py-1 pr-2 text-right tabular-nums">{format!("{} / {}", r.files_seen, r.files_ingested)}</td>
                            <td class="py-1 pr-2 text-right tabular-nums">{r.rows_ingested}</td>
                            <td class="py-1 pr-2">
                                <span class=status_class(&r.status)>{r.status.clone()}</span>
                                {r.error.clone().map(|e| view! { <span class="block text-red-800">{e}</span> })}
                                {(!r.files.is_empty()).then(|| view! {
                                    <ul class="mt-1 text-xs text-slate-700">
                                        {r.files.iter().map(|f| view! {
                                            <li>
                                                {match f.upload_id {
                                                    Some(u) => view! { <a class="font-mono text-brand-700 underline" href=format!("/recon?upload={u}#upload-{u}")>{f.name.clone()}</a> }.into_any(),
                                                    None => view! { <span class="font-mono">{f.name.clone()}</span> }.into_any(),
                                                }}
                                                {format!(": {}", f.outcome.label())}
                                                {(f.outcome == FileOutcome::Ingested).then(|| format!(", {} rows", f.rows))}
                                                {(f.row_errors > 0).then(|| f.upload_id.map(|u| view! {
                                                    {", "}<a class="text-red-700 underline" href=format!("/api/recon/v1/uploads/{u}/errors.csv") download="">{format!("{} row error{}", f.row_errors, if f.row_errors == 1 { "" } else { "s" })}</a>
                                                })).flatten()}
                                                {f.reason.clone().filter(|_| f.outcome != FileOutcome::Refused).map(|why| format!(" ({why})"))}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                })}
                                {r.note.clone().map(|n| view! { <span class="block text-xs text-slate-700">{n}</span> })}
                                {r.recon_run_id.map(|id| view! {
                                    <a class="block text-xs text-brand-700 underline" href=format!("/recon/runs/{id}")>"Recon run it queued"</a>
                                })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
