//! `patron serve`.

use crate::settings::Settings;
use anyhow::Context;
use std::process::ExitCode;

pub async fn run(settings: &Settings, metrics_addr: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    serve_store(settings, store, metrics_addr).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn serve_store(
    settings: &Settings,
    store: std::sync::Arc<dyn patron_store::Store>,
    metrics_addr: Option<&str>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    eprintln!(
        "Patron is serving {} on http://{addr}/ (API: http://{addr}/api/v1/openapi.json)",
        crate::settings::mask_url(&settings.database_url)
    );
    let state = patron_web::AppState::with_config(
        store.clone(),
        patron_web::WebConfig {
            secure_cookies: settings.secure_cookies,
            ..Default::default()
        },
    );
    if let Some(m) = metrics_addr {
        let l = tokio::net::TcpListener::bind(m)
            .await
            .with_context(|| format!("cannot listen on {m} for metrics"))?;
        eprintln!("Prometheus metrics on http://{}/metrics", l.local_addr()?);
        let metrics_state = state.clone();
        tokio::spawn(async move {
            if let Err(e) =
                patron_web::metrics::serve(l, metrics_state, super::shutdown_signal()).await
            {
                tracing::warn!(error = %e, "the metrics listener stopped");
            }
        });
    }
    tokio::spawn(classify_on_schedule(store.clone()));
    // The daily agenda digest (off until an administrator switches it on).
    tokio::spawn(patron_web::digest::schedule(store.clone()));
    tokio::spawn(warm_agendas(store.clone()));
    tokio::spawn(count_indicators(store.clone()));
    patron_web::launch(listener, state, super::shutdown_signal())
        .await
        .context("serving HTTP")
}

/// Reclassifies on the schedule the settings name (monthly by default): checks once at start
/// and then every hour whether a run is due. A failed run is logged and tried again at the next
/// check; the server keeps serving either way.
async fn classify_on_schedule(store: std::sync::Arc<dyn patron_store::Store>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let today = chrono::Utc::now().date_naive();
        let started = std::time::Instant::now();
        let ran = patron_store::classes::run_if_due(store.as_ref(), today).await;
        patron_web::metrics::job_ran("classify", ran.is_ok(), started);
        match ran {
            Ok(Some(r)) => tracing::info!(
                as_of = %r.as_of,
                customers = r.customers,
                changes = r.changes,
                "scheduled classification done"
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "scheduled classification failed"),
        }
    }
}

/// Keeps today's agendas quick: at start and then every ten minutes, computes what the first
/// agenda of a new day would otherwise compute while its user waits (cached; a no-op until the
/// day changes). A failure is logged and tried again at the next tick.
async fn warm_agendas(store: std::sync::Arc<dyn patron_store::Store>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        let ran = patron_store::contact::warm(store.as_ref()).await;
        patron_web::metrics::job_ran("warm_agendas", ran.is_ok(), started);
        if let Err(e) = ran {
            tracing::warn!(error = %e, "preparing today's agendas failed");
        }
    }
}

/// Keeps the five indicators' counts current: at start and then every five minutes, one scan
/// of orders, contacts and complaints replaces them (the indicators page reads only the counts).
/// A failure is logged and tried again at the next tick.
async fn count_indicators(store: std::sync::Arc<dyn patron_store::Store>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        let ran = store
            .refresh_indicators(chrono::Utc::now().date_naive())
            .await;
        patron_web::metrics::job_ran("count_indicators", ran.is_ok(), started);
        match ran {
            Ok(r) => tracing::info!(
                rows = r.rows,
                customers = r.customers,
                ms = started.elapsed().as_millis() as u64,
                "indicators counted"
            ),
            Err(e) => tracing::warn!(error = %e, "counting the indicators failed"),
        }
    }
}
