//! `/connectors`: a card per connector (type, status, health with its reason, schedule and the next
//! five fire times in IST, settings, whether each secret is set — never its value), pause and
//! resume for `sp-ops`, and for an admin the forms to create, edit and delete one. Every form is a
//! plain post that works without JavaScript.

use leptos::prelude::*;

use super::model::{ConnectorCard, ConnectorType, ConnectorsView, SecretState, DEFAULT_TIMEZONE};
use super::server::{get_connectors, DeleteConnector, PauseConnector, SaveConnector};
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
    let actions = Actions { save: ServerAction::new(), pause: ServerAction::new(), remove: ServerAction::new() };
    let refusal = move || {
        actions
            .save
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| actions.pause.value().get().and_then(|r| r.err()))
            .or_else(|| actions.remove.value().get().and_then(|r| r.err()))
    };
    view! {
        {move || refusal().map(|e| view! { <div class="mb-4"><ErrorNotice message=e.to_string() /></div> })}
        <div class=NOTE role="note" data-testid="runs-not-built">
            "Connector runs are not built yet: test, run now, backfill, the scheduled runs and the run history arrive with the next part of this feature. Health below is read from the runs recorded so far."
        </div>
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
                    {v.cards.into_iter().map(|c| view! {
                        <li><Card card=c may_configure=v.may_configure may_operate=v.may_operate layouts=layouts.clone() actions=actions /></li>
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
    may_configure: bool,
    may_operate: bool,
    layouts: Vec<String>,
    actions: Actions,
) -> impl IntoView {
    let c = card;
    let (pause, remove) = (actions.pause, actions.remove);
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
                c.host_key_fingerprint
                    .clone()
                    .unwrap_or_else(|| "not pinned yet (the first test will pin it, once runs land)".into()),
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
        if c.auto_recon { "to be queued automatically (once runs land)".into() } else { "by hand".into() },
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
            </div>
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
