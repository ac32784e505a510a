//! The sign-in page: a plain form posted to `/login`, so it works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The message for an `?error=` code (unknown codes show nothing: the query is user-controlled).
pub fn message_for(code: &str) -> Option<&'static str> {
    match code {
        "invalid" => Some("The email or password is wrong."),
        "locked" => Some(
            "This account is locked after too many failed sign-ins. Try again in 30 minutes, or ask an admin to unlock it.",
        ),
        "rate" => Some("Too many sign-in attempts from your network. Wait a few minutes and try again."),
        "expired" => Some("Your session has ended. Please sign in again."),
        _ => None,
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || query.with(|q| q.get("error")).and_then(|c| message_for(&c));
    let signed_out = move || query.with(|q| q.get("signed_out")).is_some();
    let email = move || query.with(|q| q.get("email")).unwrap_or_default();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    view! {
        <main class="flex min-h-screen items-center justify-center px-4">
            <div class="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
                <h1 class="text-2xl font-semibold text-slate-900">"Sign in"</h1>
                <p class="mt-1 text-sm text-slate-600">"SettlePaisa Ops — reconciliation, settlements and disputes."</p>
                {move || signed_out().then(|| view! {
                    <p class="mt-4 rounded-md bg-emerald-50 p-3 text-sm text-emerald-900" role="status">"You have signed out."</p>
                })}
                {move || error().map(|m| view! {
                    <p class="mt-4 rounded-md bg-red-50 p-3 text-sm text-red-900" role="alert" data-testid="login-error">{m}</p>
                })}
                <form method="post" action="/login" class="mt-6 space-y-4">
                    <input type="hidden" name="next" value=next />
                    <div>
                        <label for="email" class="block text-sm font-medium text-slate-700">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required
                            value=email
                            class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
                    </div>
                    <div>
                        <label for="password" class="block text-sm font-medium text-slate-700">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required
                            maxlength="128"
                            class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2" />
                    </div>
                    <button type="submit" class="w-full rounded-md bg-brand-600 px-4 py-2 font-medium text-white hover:bg-brand-700">
                        "Sign in"
                    </button>
                </form>
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::message_for;

    #[test]
    fn messages() {
        assert!(message_for("locked").unwrap().contains("locked"));
        assert_eq!(message_for("invalid"), Some("The email or password is wrong."));
        assert_eq!(message_for("<script>"), None);
    }
}
