//! `/settings` (admin): the users, a form to create one, and each user's actions (disable or
//! enable, unlock, reset the password, set the roles) behind a "Manage" disclosure; `/profile`:
//! the signed-in user's own password change. Every form is a plain post that works without
//! JavaScript and comes back with a notice or the error in words.

use leptos::prelude::*;

use super::model::{TokenRow, TokenState, TokensView, UserForm, UserRow, TOKEN_DAYS};
use super::server::{
    get_tokens, get_tuning, get_users, ChangePassword, CreateToken, CreateUser, ManageUser, RevokeToken, SaveSla,
    SaveTolerances,
};
use super::tuning::{percent_text, SlaRow, ToleranceRow, MAX_SLA_HOURS, SEVERITIES};
use crate::auth::{Access, Role, PASSWORD_MAX_LEN, PASSWORD_MIN_LEN};
use crate::ist;
use crate::ui::{ErrorNotice, FlashNotices, PageHeader, RoleGate};

use crate::ui::style::{BUTTON, CARD, FIELD, PLAIN_BUTTON};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <RoleGate title="Settings" access=Access::ADMIN who="platform admins">
            <Users />
        </RoleGate>
    }
}

#[component]
fn Users() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_users());
    // One action for every row's forms: a refused one (its error comes back in the address) shows
    // once, above the table, not inside each row's closed "Manage".
    let act = ServerAction::<ManageUser>::new();
    view! {
        <PageHeader title="Settings" subtitle="Users and their roles. Every change here is written to the audit log." />
        <FlashNotices />
        <p class="mb-4 text-sm"><a href="/settings/layouts" class="font-medium text-brand-700 hover:underline" data-testid="bank-layouts-link">"Bank layouts →"</a>
            <span class="text-slate-600">" how each bank's statement is read: list, create and edit them, and try one on a file before saving it."</span></p>
        <CreateUserForm />
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => {
                        let me = v.me;
                        let now = v.now;
                        view! {
                            <section class=format!("mt-6 {CARD}") aria-labelledby="users-heading">
                                <h2 id="users-heading" class="text-base font-semibold text-slate-900">{format!("Users ({})", v.users.len())}</h2>
                                {move || act.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-2" data-testid="user-action-error"><ErrorNotice message=e.to_string() /></div> })}
                                <div class="mt-2 overflow-x-auto">
                                    <table class="w-full text-sm" data-testid="users">
                                        <caption class="sr-only">"Users"</caption>
                                        <thead class="bg-slate-50 text-left text-slate-600">
                                            <tr>
                                                <th scope="col" class="px-3 py-2 font-medium">"User"</th>
                                                <th scope="col" class="px-3 py-2 font-medium">"Roles"</th>
                                                <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                                                <th scope="col" class="px-3 py-2 font-medium">"Last sign-in"</th>
                                                <th scope="col" class="px-3 py-2 text-right font-medium">"API tokens"</th>
                                                <th scope="col" class="px-3 py-2 font-medium">"Actions"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {v.users.into_iter().map(|u| {
                                                let is_me = u.id == me;
                                                view! { <UserRowView user=u now=now is_me=is_me act=act /> }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
        <Tokens everyone=true />
        <Tuning />
    }
}

/// Role tick boxes named as [`UserForm`] reads them, ticked for `checked`.
fn role_boxes(checked: Vec<Role>, id_prefix: String) -> AnyView {
    view! {
        <fieldset class="flex flex-wrap gap-3">
            <legend class="text-slate-600">"Roles"</legend>
            {Role::ALL.into_iter().map(|r| {
                let id = format!("{id_prefix}-{}", r.code());
                view! {
                    <span class="flex items-center gap-1">
                        <input type="checkbox" id=id.clone() name=format!("form[{}]", UserForm::role_field(r)) checked=checked.contains(&r) />
                        <label for=id>{r.label()}</label>
                    </span>
                }
            }).collect_view()}
        </fieldset>
    }
    .into_any()
}

/// The hidden fields naming the user and the action of one of their forms.
fn hidden(id: &str, action: &'static str) -> AnyView {
    view! {
        <input type="hidden" name="form[id]" value=id.to_string() />
        <input type="hidden" name="form[action]" value=action />
    }
    .into_any()
}

#[component]
fn CreateUserForm() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    view! {
        <section class=CARD aria-labelledby="create-user-heading">
            <h2 id="create-user-heading" class="text-base font-semibold text-slate-900">"Create a user"</h2>
            <p class="mt-1 text-sm text-slate-600">{format!("The password needs {PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters with letters and digits; give it to the user by a separate channel and ask them to change it on their profile page.")}</p>
            {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            <ActionForm action=create attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Create a user">
                <label class="flex flex-col text-slate-600">"E-mail"
                    <input type="email" name="form[email]" required=true autocomplete="off" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Name"
                    <input type="text" name="form[name]" required=true maxlength="100" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Initial password"
                    <input type="password" name="form[password]" required=true minlength=PASSWORD_MIN_LEN.to_string() maxlength=PASSWORD_MAX_LEN.to_string() autocomplete="new-password" class=FIELD />
                </label>
                {role_boxes(Vec::new(), "new".into())}
                <button type="submit" class=BUTTON>"Create user"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn UserRowView(
    user: UserRow,
    now: chrono::DateTime<chrono::Utc>,
    is_me: bool,
    act: ServerAction<ManageUser>,
) -> impl IntoView {
    let u = user;
    let locked = u.is_locked(now);
    let status = match (u.active, locked) {
        (false, _) => ("Disabled".to_string(), "bg-slate-200 text-slate-800"),
        (true, true) => (
            format!("Locked until {}", u.locked_until.map(ist::format_datetime).unwrap_or_default()),
            "bg-amber-100 text-amber-900",
        ),
        (true, false) => ("Active".to_string(), "bg-emerald-100 text-emerald-900"),
    };
    let roles = u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ");
    // Each form's fields, made here: a form's children are a closure of their own.
    let id = u.id.to_string();
    let (h_toggle, h_unlock, h_reset, h_roles) = (
        hidden(&id, if u.active { "disable" } else { "enable" }),
        hidden(&id, "unlock"),
        hidden(&id, "reset"),
        hidden(&id, "roles"),
    );
    let boxes = role_boxes(u.roles.clone(), format!("roles-{id}"));
    let email = u.email.clone();
    view! {
        <tr class="border-t border-slate-100 align-top" data-user=u.email.clone()>
            <td class="px-3 py-2">
                <span class="block font-medium">{u.full_name.clone()}{is_me.then_some(" (you)")}</span>
                <span class="block text-slate-600">{u.email.clone()}</span>
            </td>
            <td class="px-3 py-2" data-testid="roles">{roles}</td>
            <td class="px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-semibold {}", status.1) data-testid="status">{status.0}</span></td>
            <td class="px-3 py-2 whitespace-nowrap">{u.last_login_at.map(ist::format_datetime).unwrap_or_else(|| "never".into())}</td>
            <td class="px-3 py-2 text-right tabular-nums">{u.live_tokens}</td>
            <td class="px-3 py-2">
                <details>
                    <summary class="cursor-pointer text-brand-700 underline">"Manage"<span class="sr-only">{format!(" {email}")}</span></summary>
                    <div class="mt-2 flex flex-col gap-3">
                        {if u.active {
                            view! {
                                <ActionForm action=act attr:aria-label=format!("Disable {}", u.email)>
                                    {h_toggle}
                                    <button type="submit" class=PLAIN_BUTTON disabled=is_me>"Disable"</button>
                                    <span class="ml-2 text-xs text-slate-600">"Ends their sessions and API tokens at once."</span>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! {
                                <ActionForm action=act attr:aria-label=format!("Enable {}", u.email)>
                                    {h_toggle}
                                    <button type="submit" class=PLAIN_BUTTON>"Enable"</button>
                                </ActionForm>
                            }.into_any()
                        }}
                        {locked.then(|| view! {
                            <ActionForm action=act attr:aria-label=format!("Unlock {}", u.email)>
                                {h_unlock}
                                <button type="submit" class=PLAIN_BUTTON>"Unlock"</button>
                            </ActionForm>
                        })}
                        <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=format!("Reset the password of {}", u.email)>
                            {h_reset}
                            <label class="flex flex-col text-slate-600">"New password"
                                <input type="password" name="form[password]" required=true minlength=PASSWORD_MIN_LEN.to_string() maxlength=PASSWORD_MAX_LEN.to_string() autocomplete="new-password" class=FIELD />
                            </label>
                            <button type="submit" class=PLAIN_BUTTON>"Reset password"</button>
                        </ActionForm>
                        <ActionForm action=act attr:class="flex flex-wrap items-end gap-2" attr:aria-label=format!("Roles of {}", u.email)>
                            {h_roles}
                            {boxes}
                            <button type="submit" class=PLAIN_BUTTON>"Save roles"</button>
                        </ActionForm>
                    </div>
                </details>
            </td>
        </tr>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let user = Resource::new(|| (), |_| crate::auth::get_current_user());
    view! {
        <PageHeader title="Your profile" />
        <FlashNotices />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                user.await.ok().flatten().map(|u| view! {
                    <section class=CARD aria-labelledby="me-heading">
                        <h2 id="me-heading" class="text-base font-semibold text-slate-900">{u.full_name.clone()}</h2>
                        <p class="mt-1 text-sm text-slate-600">{format!("{} · {}", u.email, u.role_labels())}</p>
                    </section>
                })
            })}
        </Suspense>
        <Tokens everyone=false />
        <section class=format!("mt-6 {CARD}") aria-labelledby="password-heading">
            <h2 id="password-heading" class="text-base font-semibold text-slate-900">"Change your password"</h2>
            <p class="mt-1 text-sm text-slate-600">{format!("{PASSWORD_MIN_LEN} to {PASSWORD_MAX_LEN} characters with letters and digits. Your other sessions are signed out; this one stays.")}</p>
            {move || change.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            <ActionForm action=change attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Change your password">
                <label class="flex flex-col text-slate-600">"Current password"
                    <input type="password" name="form[current]" required=true autocomplete="current-password" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"New password"
                    <input type="password" name="form[new]" required=true minlength=PASSWORD_MIN_LEN.to_string() maxlength=PASSWORD_MAX_LEN.to_string() autocomplete="new-password" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"New password again"
                    <input type="password" name="form[confirm]" required=true minlength=PASSWORD_MIN_LEN.to_string() maxlength=PASSWORD_MAX_LEN.to_string() autocomplete="new-password" class=FIELD />
                </label>
                <button type="submit" class=BUTTON>"Change password"</button>
            </ActionForm>
        </section>
    }
}

/// API tokens: on the profile, the caller's own with a form to make one (its secret shown once,
/// here); on the settings page (`everyone`, admins), every user's. Each live one can be revoked.
#[component]
fn Tokens(everyone: bool) -> impl IntoView {
    let data = Resource::new(move || everyone, get_tokens);
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let (heading, intro) = if everyone {
        ("API tokens of every user", "Revoking a token stops it at once. Users make their own on their profile page.")
    } else {
        ("Your API tokens", "For scripts and tools: send one as \"Authorization: Bearer <token>\". It acts with your roles; its secret is shown once, when you make it.")
    };
    view! {
        <section class=format!("mt-6 {CARD}") aria-labelledby=if everyone { "all-tokens-heading" } else { "tokens-heading" }>
            <h2 id=if everyone { "all-tokens-heading" } else { "tokens-heading" } class="text-base font-semibold text-slate-900">{heading}</h2>
            <p class="mt-1 text-sm text-slate-600">{intro}</p>
            {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
            {(!everyone).then(|| view! {
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
                <ActionForm action=create attr:class="mt-3 flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Make an API token">
                    <label class="flex flex-col text-slate-600">"Token name"
                        <input type="text" name="form[name]" required=true maxlength="100" placeholder="e.g. nightly export script" class=FIELD />
                    </label>
                    <label class="flex flex-col text-slate-600">"Expires after"
                        <select name="form[days]" class=FIELD>
                            {TOKEN_DAYS.into_iter().map(|d| view! { <option value=d.to_string() selected=d == 90>{format!("{d} days")}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class=BUTTON>"Make token"</button>
                </ActionForm>
            })}
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <TokenList view=v everyone=everyone revoke=revoke /> }.into_any(),
                        Err(e) => view! { <ErrorNotice message=e.to_string() /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TokenList(view: TokensView, everyone: bool, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let v = view;
    let now = v.now;
    let back = if everyone { "/settings" } else { "/profile" };
    view! {
        {v.new_token.map(|t| view! {
            <div id="new-token" class="mt-3 rounded-lg border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900" role="status" data-testid="new-token">
                <p class="font-medium">{format!("Token \"{}\" made; it expires {}. Copy it now: it is not shown again.", t.name, ist::format_datetime(t.expires_at))}</p>
                <label class="mt-2 flex flex-col">"Secret"
                    <input type="text" readonly=true value=t.secret class="mt-1 w-full rounded border border-emerald-400 bg-white px-2 py-1 font-mono text-xs text-slate-900" data-testid="new-token-secret" />
                </label>
            </div>
        })}
        {if v.tokens.is_empty() {
            view! { <p class="mt-3 text-sm text-slate-600">{if everyone { "No user has an API token." } else { "You have no API tokens. Make one above when a script needs to call the API as you." }}</p> }.into_any()
        } else {
            view! {
                <div class="mt-3 overflow-x-auto">
                    <table class="w-full text-sm" data-testid=if everyone { "all-tokens" } else { "tokens" }>
                        <caption class="sr-only">{if everyone { "API tokens of every user" } else { "Your API tokens" }}</caption>
                        <thead class="bg-slate-50 text-left text-slate-600">
                            <tr>
                                {everyone.then(|| view! { <th scope="col" class="px-3 py-2 font-medium">"User"</th> })}
                                <th scope="col" class="px-3 py-2 font-medium">"Name"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Starts with"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Made"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Expires"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Last used"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Status"</th>
                                <th scope="col" class="px-3 py-2 font-medium">"Actions"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {v.tokens.into_iter().map(|t| view! { <TokenLine token=t now=now everyone=everyone back=back revoke=revoke /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn TokenLine(
    token: TokenRow,
    now: chrono::DateTime<chrono::Utc>,
    everyone: bool,
    back: &'static str,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    let t = token;
    let state = t.state(now);
    let (label, class) = match state {
        TokenState::Live => ("Live", "bg-emerald-100 text-emerald-900"),
        TokenState::Expired => ("Expired", "bg-slate-200 text-slate-800"),
        TokenState::Revoked => ("Revoked", "bg-red-100 text-red-900"),
    };
    let name = t.name.clone();
    let id = t.id.to_string();
    view! {
        <tr class="border-t border-slate-100" data-token=name.clone()>
            {everyone.then(|| view! { <td class="px-3 py-2">{t.owner.clone()}</td> })}
            <td class="px-3 py-2">{name.clone()}</td>
            <td class="px-3 py-2 font-mono text-xs">{t.prefix.clone()}"…"</td>
            <td class="px-3 py-2 whitespace-nowrap">{ist::format_datetime(t.created_at)}</td>
            <td class="px-3 py-2 whitespace-nowrap">{t.expires_at.map(ist::format_datetime).unwrap_or_else(|| "never (made on the command line)".into())}</td>
            <td class="px-3 py-2 whitespace-nowrap">{t.last_used_at.map(ist::format_datetime).unwrap_or_else(|| "never".into())}</td>
            <td class="px-3 py-2"><span class=format!("rounded px-2 py-0.5 text-xs font-semibold {class}") data-testid="token-status">{label}</span></td>
            <td class="px-3 py-2">
                {(state != TokenState::Revoked).then(|| view! {
                    <ActionForm action=revoke attr:aria-label=format!("Revoke the token {name}")>
                        <input type="hidden" name="id" value=id.clone() />
                        <input type="hidden" name="back" value=back />
                        <button type="submit" class=PLAIN_BUTTON>"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// SLA hours per exception type × severity, and the recon tolerances per scope (admin).
#[component]
fn Tuning() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_tuning());
    let sla = ServerAction::<SaveSla>::new();
    let tolerances = ServerAction::<SaveTolerances>::new();
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading SLA hours and tolerances…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <section id="sla" class=format!("mt-6 {CARD}") aria-labelledby="sla-heading">
                            <h2 id="sla-heading" class="text-base font-semibold text-slate-900">"SLA hours"</h2>
                            <p class="mt-1 text-sm text-slate-600">{format!("Hours an exception has until it breaches, by type and severity (1 to {MAX_SLA_HOURS}; a more severe one never has longer). New and re-graded exceptions get them at once; open ones keep their due time.")}</p>
                            {move || sla.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
                            <div class="mt-2 overflow-x-auto">
                                <table class="w-full text-sm" data-testid="sla">
                                    <caption class="sr-only">"SLA hours per exception type and severity"</caption>
                                    <thead class="bg-slate-50 text-left text-slate-600">
                                        <tr>
                                            <th scope="col" class="px-3 py-2 font-medium">"Exception type"</th>
                                            <th scope="col" class="px-3 py-2 font-medium">"Hours: low · medium · high · critical"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {v.sla.into_iter().map(|r| view! { <SlaLine row=r action=sla /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </section>
                        <section id="tolerances" class=format!("mt-6 {CARD}") aria-labelledby="tolerances-heading">
                            <h2 id="tolerances-heading" class="text-base font-semibold text-slate-900">"Recon tolerances"</h2>
                            <p class="mt-1 text-sm text-slate-600">"What the matcher accepts: an amount difference up to the larger of the minimum and the rate of the PG amount, a rounding allowance, the band of a bank fee and its variance, and the days a bank date may lie from the PG date. The most specific scope applies (merchant at acquirer, then merchant, then acquirer, then the default). The next run uses a change."</p>
                            {move || tolerances.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNotice message=e.to_string() /> })}
                            <div class="mt-2 flex flex-col gap-3" data-testid="tolerances">
                                {v.tolerances.into_iter().map(|r| view! { <ToleranceLine row=Some(r) action=tolerances /> }).collect_view()}
                                <ToleranceLine row=None action=tolerances />
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
fn SlaLine(row: SlaRow, action: ServerAction<SaveSla>) -> impl IntoView {
    let r = row;
    let code = r.code.clone();
    view! {
        <tr class="border-t border-slate-100" data-sla=r.code.clone()>
            <th scope="row" class="px-3 py-2 text-left font-normal">{r.label.clone()}<span class="block font-mono text-xs text-slate-600">{r.code.clone()}</span></th>
            <td class="px-3 py-2">
                <ActionForm action=action attr:class="flex flex-wrap items-end gap-2" attr:aria-label=format!("SLA hours of {}", r.label)>
                    <input type="hidden" name="form[code]" value=code.clone() />
                    {SEVERITIES.into_iter().zip(r.hours).map(|(severity, hours)| {
                        let field = severity.to_lowercase();
                        view! {
                            <label class="flex flex-col text-xs text-slate-600">{severity.to_lowercase()}
                                <input type="number" name=format!("form[{field}]") value=hours.to_string() min="1" max=MAX_SLA_HOURS.to_string() required=true class=format!("{FIELD} w-20") />
                            </label>
                        }
                    }).collect_view()}
                    <button type="submit" class=PLAIN_BUTTON>"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// One scope's tolerances as a form (`None`: the form for a new scope).
#[component]
fn ToleranceLine(row: Option<ToleranceRow>, action: ServerAction<SaveTolerances>) -> impl IntoView {
    let new = row.is_none();
    let scope = row.as_ref().map_or("A new scope".to_string(), ToleranceRow::scope);
    let is_default = row.as_ref().is_some_and(|r| r.merchant_id.is_none() && r.acquirer.is_none());
    let stored = row.as_ref().is_some_and(|r| r.id.is_some());
    let v = row.as_ref().map(|r| r.values.clone());
    let text = |f: &dyn Fn(&super::tuning::Tolerances) -> String| v.as_ref().map(f).unwrap_or_default();
    let rupees = |p: crate::money::Paise| p.to_rupees_plain();
    let (min, pct, rounding, low, high, variance, days) = (
        text(&|t| rupees(t.min_tolerance)),
        text(&|t| percent_text(t.tolerance_rate)),
        text(&|t| rupees(t.rounding)),
        text(&|t| rupees(t.fee_band_low)),
        text(&|t| rupees(t.fee_band_high)),
        text(&|t| rupees(t.fee_variance)),
        text(&|t| t.date_window_days.to_string()),
    );
    let (merchant, acquirer) = row.as_ref().map_or((String::new(), String::new()), |r| {
        (r.merchant_id.clone().unwrap_or_default(), r.acquirer.clone().unwrap_or_default())
    });
    let label = scope.clone();
    view! {
        <div class="rounded border border-slate-200 p-3" data-scope=scope.clone()>
            <p class="text-sm font-medium text-slate-900">{scope.clone()}
                {(is_default && !stored).then(|| view! { <span class="ml-2 text-xs font-normal text-slate-600">"(the built-in defaults; saving stores them)"</span> })}
            </p>
            <ActionForm action=action attr:class="mt-2 flex flex-wrap items-end gap-2 text-sm" attr:aria-label=format!("Tolerances: {label}")>
                {if new {
                    view! {
                        <label class="flex flex-col text-slate-600">"Merchant ID"
                            <input type="text" name="form[merchant_id]" size="12" maxlength="32" class=FIELD />
                        </label>
                        <label class="flex flex-col text-slate-600">"Acquirer"
                            <input type="text" name="form[acquirer]" size="8" maxlength="32" class=FIELD />
                        </label>
                    }.into_any()
                } else {
                    view! {
                        <input type="hidden" name="form[merchant_id]" value=merchant.clone() />
                        <input type="hidden" name="form[acquirer]" value=acquirer.clone() />
                    }.into_any()
                }}
                <label class="flex flex-col text-slate-600">"Minimum (₹)"
                    <input type="text" inputmode="decimal" name="form[min_tolerance]" value=min required=true size="7" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Rate (%)"
                    <input type="text" inputmode="decimal" name="form[tolerance_percent]" value=pct required=true size="6" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Rounding (₹)"
                    <input type="text" inputmode="decimal" name="form[rounding]" value=rounding required=true size="6" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Fee band from (₹)"
                    <input type="text" inputmode="decimal" name="form[fee_band_low]" value=low required=true size="6" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Fee band to (₹)"
                    <input type="text" inputmode="decimal" name="form[fee_band_high]" value=high required=true size="6" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Fee variance (₹)"
                    <input type="text" inputmode="decimal" name="form[fee_variance]" value=variance required=true size="6" class=FIELD />
                </label>
                <label class="flex flex-col text-slate-600">"Date window (days)"
                    <input type="number" name="form[date_window_days]" value=days min="0" max="10" required=true class=format!("{FIELD} w-20") />
                </label>
                <button type="submit" name="form[action]" value="save" class=PLAIN_BUTTON>{if new { "Add scope" } else { "Save" }}</button>
                {(!new && !is_default).then(|| view! {
                    <button type="submit" name="form[action]" value="delete" formnovalidate=true class=PLAIN_BUTTON>"Remove"</button>
                })}
            </ActionForm>
        </div>
    }
}
