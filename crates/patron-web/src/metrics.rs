//! Prometheus metrics (served by [`router`] on a separate listen address, `patron serve
//! --metrics-addr`, so they are never exposed with the application): request counts and
//! latencies by route, the database pool, and the background jobs' runs.
//!
//! Recorded through the `metrics` facade; one process-wide Prometheus recorder renders them.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Request latency buckets, in seconds: the targets are milliseconds, the tail seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's recorder, installed on first use. `None` when another recorder was installed
/// first (then nothing is recorded here).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// Installs the recorder (call once at start so the first requests are counted).
pub fn install() {
    let _ = handle();
}

/// Middleware (on matched routes): counts each request by method, route template and status,
/// and records its latency.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("patron_http_requests_total", &labels).increment(1);
    metrics::histogram!("patron_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    res
}

/// A background job's run: its outcome and how long it took.
pub fn job_ran(job: &'static str, ok: bool, started: Instant) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!("patron_background_runs_total", "job" => job, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("patron_background_run_duration_seconds", "job" => job)
        .record(started.elapsed().as_secs_f64());
}

async fn render(State(state): State<AppState>) -> Response {
    let pool = state.store.pool_status();
    metrics::gauge!("patron_db_pool_connections", "state" => "open").set(f64::from(pool.open));
    metrics::gauge!("patron_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
    metrics::gauge!("patron_db_pool_max_connections").set(f64::from(pool.max));
    match handle() {
        Some(h) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            h.render(),
        )
            .into_response(),
        None => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response(),
    }
}

/// The metrics listener's routes: `GET /metrics`.
pub fn router(state: AppState) -> Router {
    install();
    Router::new()
        .route("/metrics", get(render))
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
