//! Design-system components shared by every page.

use leptos::prelude::*;

use crate::auth::Access;

mod list;
pub use list::{pager, sort_header, SortState};

/// A file size for people: bytes, KB or MB (one decimal).
pub fn format_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// Every character but RFC 3986's unreserved ones (letters, digits, `-._~`) is percent-encoded in
/// a query value: `2026-11-01` stays readable in the address bar.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `path?k=v&…` with the non-empty parameters in the given order, values percent-encoded: the URL of
/// a page's filter state (and of its CSV export).
pub fn query_href(path: &str, pairs: &[(&str, &Option<String>)]) -> String {
    use percent_encoding::utf8_percent_encode;
    let query: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        })
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// One `label … value` line of a detail page's definition list.
pub fn def_row(label: &'static str, value: String) -> impl IntoView {
    view! {
        <div class="flex justify-between gap-4 border-t border-slate-100 py-1.5">
            <dt class="text-slate-600">{label}</dt><dd class="text-right">{value}</dd>
        </div>
    }
}

/// A timeline entry's before / after JSON object as `key: value, …` (lists joined, null as —).
pub fn change_text(json: &Option<String>) -> String {
    json.as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(s).ok())
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::Null => "—".to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Array(items) => {
                            items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join(", ")
                        }
                        other => other.to_string(),
                    };
                    format!("{k}: {value}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The page title (`<h1>`) with an optional one-line description.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] subtitle: Option<&'static str>) -> impl IntoView {
    view! {
        <header class="mb-6">
            <h1 class="text-2xl font-semibold text-slate-900">{title}</h1>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600">{s}</p> })}
        </header>
    }
}

/// A KPI tile: label, main figure, and an optional detail line.
#[component]
pub fn KpiTile(
    label: &'static str,
    value: String,
    #[prop(optional)] detail: Option<String>,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid=test_id>
            <h2 class="text-sm font-medium text-slate-600">{label}</h2>
            <p class="mt-2 text-3xl font-semibold tabular-nums text-slate-900" data-kpi-value="">{value}</p>
            {detail.map(|d| view! { <p class="mt-1 text-sm text-slate-600">{d}</p> })}
        </section>
    }
}

/// An error from a server call, in words an analyst understands.
#[component]
pub fn ErrorNotice(message: String) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" role="alert">
            {message}
        </div>
    }
}

/// How much of a CSV the browser sends for a preview (an XLSX workbook is sent whole).
#[cfg(feature = "hydrate")]
const SAMPLE_BYTES: f64 = 64.0 * 1024.0;

/// Add `file` to `data` as the field `file` for a preview: whole if it is a workbook or small, else
/// its first 64 KiB with `sampled=true`.
#[cfg(feature = "hydrate")]
pub fn append_sample(data: &web_sys::FormData, file: &web_sys::File) -> Result<(), wasm_bindgen::JsValue> {
    let name = file.name();
    if name.to_ascii_lowercase().ends_with(".xlsx") || file.size() <= SAMPLE_BYTES {
        data.append_with_blob_and_filename("file", file, &name)
    } else {
        let head = file.slice_with_f64_and_f64(0.0, SAMPLE_BYTES)?;
        data.append_with_blob_and_filename("file", &head, &name)?;
        data.append_with_str("sampled", "true")
    }
}

/// POST `data` (multipart) to a JSON API route from the browser: its answer, or the API's error
/// message (`{"message"}`) or the status in words; `failed`: what to say when no answer came.
#[cfg(feature = "hydrate")]
pub async fn post_form_data<T: serde::de::DeserializeOwned>(
    url: &str,
    data: &web_sys::FormData,
    failed: &str,
) -> Result<T, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let fail = |_| failed.to_string();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(data);
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(fail)?.dyn_into().map_err(fail)?;
    let text = JsFuture::from(response.text().map_err(fail)?).await.map_err(fail)?.as_string().unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| "The answer could not be read.".to_string())
    } else {
        Err(serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("The server answered {}.", response.status())))
    }
}

/// The classes the pages' plain parts share: a card, a form field, the main and the plain button.
pub mod style {
    pub const CARD: &str = "rounded-lg border border-slate-200 bg-white p-4 shadow-sm";
    pub const FIELD: &str = "rounded border border-slate-300 px-2 py-1";
    pub const BUTTON: &str = "rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700";
    pub const PLAIN_BUTTON: &str =
        "rounded-md border border-slate-300 bg-white px-3 py-1 text-slate-800 hover:bg-slate-50";
    /// A note above a page's content: something the reader should know (a part that is off).
    pub const NOTE: &str = "mb-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900";
}

/// A connector's health (spec 5.1) as a coloured badge: OK, LAGGING, FAILING.
#[component]
pub fn HealthBadge(health: crate::features::overview::model::Health) -> impl IntoView {
    use crate::features::overview::model::Health;
    let chip = match health {
        Health::Ok => "bg-emerald-100 text-emerald-900",
        Health::Lagging => "bg-amber-100 text-amber-900",
        Health::Failing => "bg-red-100 text-red-900",
    };
    view! { <span class=format!("rounded px-2 py-0.5 text-xs font-semibold {chip}") data-testid="health">{health.code()}</span> }
}

/// Success and error notices carried back in the URL by form posts.
#[component]
pub fn FlashNotices() -> impl IntoView {
    let query_map = leptos_router::hooks::use_query_map();
    view! {
        {move || query_map.with(|q| q.get("notice")).map(|n| view! {
            <div class="mb-4 rounded-lg border border-emerald-300 bg-emerald-50 p-3 text-emerald-900" role="status" data-testid="notice">{n}</div>
        })}
        {move || query_map.with(|q| q.get("error")).map(|e| view! { <ErrorNotice message=e /> })}
    }
}

/// Renders its children only for users whose roles `access` allows; others get a 403 and a
/// sentence saying who may see the page. (Server functions behind the page check again.)
#[component]
pub fn RoleGate(title: &'static str, access: Access, who: &'static str, children: ChildrenFn) -> impl IntoView {
    let user = crate::app::use_current_user();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let allowed = matches!(user.await, Ok(Some(u)) if u.may(access));
                    if allowed {
                        children().into_any()
                    } else {
                        #[cfg(feature = "ssr")]
                        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                            res.set_status(axum::http::StatusCode::FORBIDDEN);
                        }
                        view! {
                            <PageHeader title=title />
                            <div class="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900" role="alert">
                                {format!("You do not have access to this page. It is for {who}.")}
                            </div>
                        }
                            .into_any()
                    }
                })
            }}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn file_sizes_read_as_people_say_them() {
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(1023), "1023 bytes");
        assert_eq!(format_size(1024), "1.0 KB");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(1024 * 1024 - 1), "1024.0 KB");
        assert_eq!(format_size(1024 * 1024), "1.0 MB");
        assert_eq!(format_size(24_567_459), "23.4 MB");
    }
}
