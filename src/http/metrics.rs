//! Prometheus metrics (spec 09): HTTP requests by route, method and status with a latency
//! histogram, and database pool use. Served only on the internal `METRICS_ADDR` listener, never on
//! the public port. Without `METRICS_ADDR` no recorder is installed and recording costs nothing.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

const DURATION: &str = "http_request_duration_seconds";

/// Install the process-wide recorder (once, at start-up).
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(DURATION.into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
        )
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())
}

/// The route template the request matched (`/disputes/{id}`, never the raw path with its ids),
/// filled in by [`note_route`] once routing has happened.
#[derive(Clone, Default)]
struct RouteSlot(Arc<OnceLock<String>>);

/// Outermost layer: times the whole request, including the guard's work.
pub async fn track(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = method_label(req.method());
    let res = next.run(req).await;
    let route = slot.0.get().cloned().unwrap_or_else(|| "unrouted".to_string());
    let labels = [("method", method.to_string()), ("route", route), ("status", res.status().as_u16().to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(start.elapsed().as_secs_f64());
    res
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
    if let (Some(slot), Some(path)) = (req.extensions().get::<RouteSlot>(), req.extensions().get::<MatchedPath>()) {
        let _ = slot.0.set(path.as_str().to_string());
    }
    next.run(req).await
}

/// The internal metrics listener's router: `GET /metrics` in Prometheus text format.
pub fn router(handle: PrometheusHandle, pool: PgPool) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (handle, pool) = (handle.clone(), pool.clone());
            async move {
                metrics::gauge!("db_pool_connections").set(pool.size() as f64);
                metrics::gauge!("db_pool_idle_connections").set(pool.num_idle() as f64);
                // The job queue by status (queue depth, failures waiting for an operator).
                match crate::features::jobs::queries::counts(&pool).await {
                    Ok(counts) => {
                        for (status, n) in counts {
                            metrics::gauge!("jobs", "status" => status).set(n as f64);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "job counts not read for the metrics"),
                }
                handle.render()
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
