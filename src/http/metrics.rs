//! Prometheus metrics and the request log (spec 09).
//!
//! Metrics: HTTP requests by route, method and status with a latency histogram, database pool
//! use, and the facts read at each scrape (database up, the job queue, connectors, SLA breaches,
//! the bank-holiday calendar's end).
//! Served only on the internal `METRICS_ADDR` listener, never on the public port. Without
//! `METRICS_ADDR` no recorder is installed and recording costs nothing.
//!
//! The request log: one line per request (target `http`) with method, route **template** (never
//! the raw path or query, which can hold UTRs and account numbers), status, latency, request id
//! and user id. Everything logged while the request runs carries its request id.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::http::{HeaderName, HeaderValue};
use tracing::Instrument;
use uuid::Uuid;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::features::overview::model::{ConnectorFacts, Health};
use crate::state::AppState;

const DURATION: &str = "http_request_duration_seconds";

/// Install the process-wide recorder (once, at start-up).
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(DURATION.into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
        )
        .map_err(|e| e.to_string())?
        .set_buckets_for_metric(
            Matcher::Full("job_duration_seconds".into()),
            &[0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 7200.0],
        )
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())?;
    // Counters exist from the start at 0, so `increase()` sees their first step and the alert
    // rules and dashboard (deploy/) find every series they name.
    for kind in crate::jobs::KINDS {
        metrics::counter!("jobs_failed_total", "kind" => kind).absolute(0);
    }
    metrics::counter!("recon_rows_matched_total").absolute(0);
    metrics::counter!("http_pages_shed_total").absolute(0);
    for answer in ["memory", "rendered"] {
        metrics::counter!("page_cache_answers_total", "answer" => answer).absolute(0);
    }
    Ok(handle)
}

/// What the inner layers learn about a request for its log line and metrics: the route template
/// it matched (`/disputes/{id}`, never the raw path with its ids), filled in by [`note_route`]
/// once routing has happened, and the signed-in user, filled in by the guard ([`note_user`]).
#[derive(Clone, Default)]
struct RequestNote(Arc<Noted>);

#[derive(Default)]
struct Noted {
    route: OnceLock<String>,
    user: OnceLock<Uuid>,
}

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id: the caller's (a proxy's, say) when it is a plausible id — at most 64 of
/// `A-Z a-z 0-9 - _ .` —, else a new UUID, so a client cannot write what it likes into the logs.
fn request_id_of(req: &Request) -> HeaderValue {
    let given = req.headers().get(&REQUEST_ID).filter(|v| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= 64 && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
    });
    match given {
        Some(v) => v.clone(),
        None => HeaderValue::from_str(&Uuid::new_v4().to_string()).expect("a UUID is a header value"),
    }
}

/// Outermost layer: gives the request its id (sent back as `x-request-id`), times the whole
/// request including the guard's work, counts it, and writes its one log line.
pub async fn track(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let note = RequestNote::default();
    req.extensions_mut().insert(note.clone());
    let request_id = request_id_of(&req);
    req.headers_mut().insert(REQUEST_ID, request_id.clone());
    let method = method_label(req.method());
    let id = request_id.to_str().unwrap_or_default().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let mut res = next.run(req).instrument(span.clone()).await;
    res.headers_mut().insert(REQUEST_ID, request_id);
    let elapsed = start.elapsed();
    let route = note.0.route.get().map(String::as_str).unwrap_or("unrouted");
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            target: "http",
            method,
            route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            request_id = %id,
            user_id = note.0.user.get().map(tracing::field::display),
            "request"
        )
    });
    let labels = [("method", method.to_string()), ("route", route.to_string()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(elapsed.as_secs_f64());
    res
}

/// The guard's note of who the caller is, for the request's log line.
pub fn note_user(extensions: &axum::http::Extensions, user: Uuid) {
    if let Some(note) = extensions.get::<RequestNote>() {
        let _ = note.0.user.set(user);
    }
}

/// The `method` label: the standard methods by name, anything else (`FOO`, `PROPFIND`…) as
/// `other`, so a client cannot mint a new time series per request by inventing methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Route layer: records the matched route template for [`track`].
pub async fn note_route(req: Request, next: Next) -> Response {
    if let (Some(note), Some(path)) = (req.extensions().get::<RequestNote>(), req.extensions().get::<MatchedPath>()) {
        let _ = note.0.route.set(path.as_str().to_string());
    }
    next.run(req).await
}

/// The internal metrics listener's router: `GET /metrics` in Prometheus text format.
pub fn router(handle: PrometheusHandle, state: AppState) -> Router {
    // The connector series of the last successful read (this router's own): served while the
    // database is down or slow, so a FAILING connector's alert neither resolves nor restarts.
    let last_connectors = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    Router::new().route(
        "/metrics",
        get(move || {
            let (handle, state, last_connectors) = (handle.clone(), state.clone(), last_connectors.clone());
            async move {
                // A slow database must not make the scrape itself time out (Prometheus would take
                // the instance for down): past the budget, the facts keep their last values and
                // `db_facts_fresh` says 0, so a rule can tell old figures from current ones.
                let fresh = match tokio::time::timeout(SCRAPE_BUDGET, scrape_facts(&state)).await {
                    Ok(facts) => {
                        if let Some(connectors) = facts.connectors {
                            *last_connectors.lock().unwrap_or_else(|e| e.into_inner()) = connectors;
                        }
                        facts.complete
                    }
                    Err(_) => {
                        tracing::warn!("the scrape's database facts took too long; last values served");
                        false
                    }
                };
                metrics::gauge!("db_facts_fresh").set(if fresh { 1.0 } else { 0.0 });
                if fresh {
                    metrics::gauge!("db_facts_read_timestamp_seconds").set(state.clock.now().timestamp() as f64);
                }
                let mut body = handle.render();
                body.push_str(&last_connectors.lock().unwrap_or_else(|e| e.into_inner()));
                body
            }
        }),
    )
}

/// How long a scrape waits for its database facts (Prometheus's scrape time-out is 10 s).
const SCRAPE_BUDGET: std::time::Duration = std::time::Duration::from_secs(4);

/// What one scrape read from the database.
struct Facts {
    /// The per-connector series, when they could be read.
    connectors: Option<String>,
    /// Whether every fact was read (the database up, no read failed).
    complete: bool,
}

/// The facts read from the database at each scrape, so every instance reports the same shared
/// state (the queue, connectors, SLA breaches, the holiday calendar's end) and a restart loses
/// nothing. With the database down, `db_up` is 0 and the rest keep their last values.
///
/// The per-connector series come back as Prometheus text when they could be read, made fresh each
/// time (not kept in the recorder), so a connector deleted or renamed leaves no series behind that
/// would page for ever.
async fn scrape_facts(state: &AppState) -> Facts {
    let pool = &state.pool;
    metrics::gauge!("db_pool_connections").set(pool.size() as f64);
    metrics::gauge!("db_pool_idle_connections").set(pool.num_idle() as f64);
    let up = crate::db::is_up(pool).await;
    metrics::gauge!("db_up").set(if up { 1.0 } else { 0.0 });
    if !up {
        return Facts { connectors: None, complete: false };
    }
    let mut complete = true;
    // The job queue by status (queue depth, failures waiting for an operator).
    if let Some(counts) = fact(&mut complete, "job counts", crate::features::jobs::queries::counts(pool).await) {
        for (status, n) in counts {
            metrics::gauge!("jobs", "status" => status).set(n as f64);
        }
    }
    let now = state.clock.now();
    // Connector health as the Overview shows it (0 OK, 1 LAGGING, 2 FAILING) and its last success.
    let connectors =
        fact(&mut complete, "connector health", crate::features::overview::queries::connector_facts(pool).await)
            .map(|facts| connector_series(facts, now));
    // Open exceptions past their SLA: the queue's "SLA breached" tile.
    if let Some(kpis) =
        fact(&mut complete, "exception counts", crate::features::exceptions::queries::kpis(pool, now).await)
    {
        metrics::gauge!("exceptions_sla_breached").set(kpis.sla_breached as f64);
    }
    // The first day the bank-holiday calendar no longer covers, at 00:00 UTC so that the alert
    // prints that date: past it, T+N skips weekends only, so payouts would fall due on holidays.
    let today = crate::ist::today(now);
    if let Some(end) = fact(&mut complete, "the holiday calendar's end", read_holiday_calendar_end(pool, today).await) {
        let seconds = end.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
        metrics::gauge!("holiday_calendar_end_timestamp_seconds").set(seconds as f64);
    }
    Facts { connectors, complete }
}

/// One fact of the scrape: its value, or `None` with the facts marked incomplete (the gauge keeps
/// its last value) and the failure logged as "<what> not read for the metrics".
fn fact<T>(complete: &mut bool, what: &str, read: Result<T, crate::error::AppError>) -> Option<T> {
    match read {
        Ok(value) => Some(value),
        Err(e) => {
            *complete = false;
            tracing::warn!(error = %e, "{what} not read for the metrics");
            None
        }
    }
}

/// The holiday calendar's end, read as the settlement desk's page reads it.
async fn read_holiday_calendar_end(
    pool: &sqlx::PgPool,
    today: chrono::NaiveDate,
) -> Result<chrono::NaiveDate, crate::error::AppError> {
    let mut conn = pool.acquire().await?;
    crate::features::settlements::terms::holiday_calendar_end(&mut conn, today).await
}

/// The per-connector gauges in Prometheus text format: health (0 OK, 1 LAGGING, 2 FAILING),
/// paused (1/0), and the last success as a Unix time (only once there was one).
fn connector_series(facts: Vec<ConnectorFacts>, now: chrono::DateTime<chrono::Utc>) -> String {
    use std::fmt::Write;
    let (mut health, mut paused, mut success) = (String::new(), String::new(), String::new());
    for facts in facts {
        let name = label_value(&facts.name);
        let _ = writeln!(paused, "connector_paused{{connector=\"{name}\"}} {}", u8::from(facts.paused));
        if let Some(at) = facts.last_success_at {
            let _ = writeln!(
                success,
                "connector_last_success_timestamp_seconds{{connector=\"{name}\"}} {}",
                at.timestamp()
            );
        }
        let code = match facts.health(now).health {
            Health::Ok => 0,
            Health::Lagging => 1,
            Health::Failing => 2,
        };
        let _ = writeln!(health, "connector_health{{connector=\"{name}\"}} {code}");
    }
    let mut out = String::new();
    for (metric, lines) in [
        ("connector_health", health),
        ("connector_paused", paused),
        ("connector_last_success_timestamp_seconds", success),
    ] {
        if !lines.is_empty() {
            let _ = write!(out, "# TYPE {metric} gauge\n{lines}");
        }
    }
    out
}

/// A label value as the Prometheus text format escapes it (backslash, double quote, newline).
fn label_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_series_are_escaped_and_fresh() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let facts = |name: &str, paused: bool, ok: bool| ConnectorFacts {
            name: name.into(),
            paused,
            last_success_at: ok.then_some(at),
            last_run_at: ok.then_some(at),
            last_run_failed: false,
            failures_since_success: 0,
        };
        let text = connector_series(
            vec![facts("AXIS \"main\"\\1", false, true), facts("HDFC\nSFTP", true, false)],
            at + chrono::Duration::minutes(5),
        );
        assert_eq!(
            text,
            "# TYPE connector_health gauge\n\
             connector_health{connector=\"AXIS \\\"main\\\"\\\\1\"} 0\n\
             connector_health{connector=\"HDFC\\nSFTP\"} 2\n\
             # TYPE connector_paused gauge\n\
             connector_paused{connector=\"AXIS \\\"main\\\"\\\\1\"} 0\n\
             connector_paused{connector=\"HDFC\\nSFTP\"} 1\n\
             # TYPE connector_last_success_timestamp_seconds gauge\n\
             connector_last_success_timestamp_seconds{connector=\"AXIS \\\"main\\\"\\\\1\"} 1796292000\n"
        );
        assert_eq!(connector_series(vec![], at), "", "no connectors, no series");
    }

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for invented in ["FOO", "PROPFIND", "X-RANDOM-1234"] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{invented}");
        }
    }
}
