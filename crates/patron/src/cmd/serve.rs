//! `patron serve`.

use crate::settings::Settings;
use anyhow::Context;
use std::process::ExitCode;

pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = super::open(settings).await?;
    serve_store(settings, store).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn serve_store(
    settings: &Settings,
    store: std::sync::Arc<dyn patron_store::Store>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    eprintln!(
        "Patron is serving {} on http://{addr}/ (API: http://{addr}/api/v1/openapi.json)",
        crate::settings::mask_url(&settings.database_url)
    );
    patron_web::launch(
        listener,
        patron_web::AppState::with_config(
            store,
            patron_web::WebConfig {
                secure_cookies: settings.secure_cookies,
                ..Default::default()
            },
        ),
        super::shutdown_signal(),
    )
    .await
    .context("serving HTTP")
}
