//! One module per command; `run` dispatches.

pub(crate) mod after_sales;
mod agenda;
pub(crate) mod backup;
mod classify;
pub(crate) mod complaints;
mod credit;
mod customers;
mod dedupe;
mod demo;
mod import;
pub(crate) mod indicators;
pub(crate) mod key_accounts;
mod lists;
mod model;
pub mod plans;
pub(crate) mod promotions;
mod satisfaction;
mod serve;
pub(crate) mod surveys;
pub mod touch;
mod transfer;
mod users;

use crate::cli::{Cli, Command};
use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use patron_store::Store;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let addr = match &cli.command {
        Command::Serve(a) => a.addr.clone(),
        Command::Demo(a) => a.addr.clone(),
        _ => None,
    };
    let mut settings = Settings::load(cli.config.as_deref(), cli.db.clone(), addr)?;
    // The flag (or PATRON_SECURE_COOKIES) turns Secure cookies on over patron.toml.
    if matches!(&cli.command, Command::Serve(a) if a.secure_cookies)
        || matches!(&cli.command, Command::Demo(a) if a.secure_cookies)
    {
        settings.secure_cookies = true;
    }
    match cli.command {
        Command::Serve(a) => serve::run(&settings, a.metrics_addr.as_deref()).await,
        Command::Demo(a) => demo::run(&settings, a).await,
        Command::Import(a) => import::import(&settings, *a).await,
        Command::Export(a) => import::export(&settings, a).await,
        Command::Backup(a) => backup::backup(&settings, a).await,
        Command::Restore(a) => backup::restore(&settings, a).await,
        Command::Customers(c) => customers::run(&settings, *c).await,
        Command::Duplicates(a) => dedupe::duplicates(&settings, a).await,
        Command::Merge(a) => dedupe::merge(&settings, a).await,
        Command::CustomFields(c) => custom_fields(&settings, c).await,
        Command::User(c) => users::user(&settings, c).await,
        Command::Token(c) => users::token(&settings, c).await,
        Command::Model(c) => model::run(&settings, c).await,
        Command::Classify(a) => classify::classify(&settings, a).await,
        Command::Classes(c) => classify::classes(&settings, c).await,
        Command::Lists(a) => lists::run(&settings, a).await,
        Command::Credit(c) => credit::run(&settings, c).await,
        Command::Satisfaction(a) => satisfaction::run(&settings, a).await,
        Command::Agenda(a) => agenda::agenda(&settings, a).await,
        Command::Plans(c) => plans::run(&settings, c).await,
        Command::Route(a) => plans::route(&settings, a).await,
        Command::KeyAccounts(c) => key_accounts::run(&settings, c).await,
        Command::Contact(c) => agenda::contact(&settings, c).await,
        Command::Templates(c) => touch::templates(&settings, c).await,
        Command::Events(c) => touch::events(&settings, c).await,
        Command::Requests(c) => touch::requests(&settings, c).await,
        Command::Promotions(c) => promotions::run(&settings, c).await,
        Command::Deliveries(c) => after_sales::run(&settings, c).await,
        Command::Complaints(c) => complaints::run(&settings, c).await,
        Command::Indicators(a) => indicators::run(&settings, a).await,
        Command::Surveys(c) => surveys::run(&settings, c).await,
        Command::Config(f) => {
            let m = settings.masked();
            if f.json {
                output::json(&m)?;
            } else {
                println!("database_url     = {}", m.database_url);
                println!("addr             = {}", m.addr);
                println!("secure_cookies   = {}", m.secure_cookies);
                println!(
                    "default_currency = {}",
                    m.default_currency.as_deref().unwrap_or("(USD)")
                );
                println!(
                    "config_file      = {}",
                    m.config_file
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "(none)".into())
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Opens the configured database (creating and migrating it when needed).
pub async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = patron_store::connect(&settings.database_url)
        .await
        .with_context(|| {
            format!(
                "opening {}",
                crate::settings::mask_url(&settings.database_url)
            )
        })?;
    if let Some(cur) = &settings.default_currency {
        store
            .set_setting("default_currency", &cur.to_ascii_uppercase())
            .await
            .context("saving the default currency")?;
    }
    Ok(store)
}

/// Resolves a customer given as its external reference, `#ID`, or a bare id. A reference wins
/// over an id ("00004" is the CDNOW customer with that reference, not customer 4); `#4` is always
/// the id.
pub async fn resolve_customer(
    store: &dyn Store,
    key: &str,
) -> anyhow::Result<patron_core::CustomerId> {
    let key = key.trim();
    if let Some(id) = key.strip_prefix('#').and_then(|k| k.parse::<i64>().ok()) {
        store
            .get_customer(patron_core::CustomerId(id))
            .await
            .with_context(|| format!("customer #{id}"))?;
        return Ok(patron_core::CustomerId(id));
    }
    let page = store
        .list_customers(&patron_store::CustomerQuery {
            q: Some(key.to_owned()),
            limit: Some(500),
            ..Default::default()
        })
        .await?;
    if let Some(c) = page
        .items
        .into_iter()
        .find(|c| c.external_ref.as_deref() == Some(key))
    {
        return Ok(c.id);
    }
    if let Ok(id) = key.parse::<i64>() {
        if store
            .get_customer(patron_core::CustomerId(id))
            .await
            .is_ok()
        {
            return Ok(patron_core::CustomerId(id));
        }
    }
    anyhow::bail!("no customer has the reference or id '{key}'")
}

/// Resolves a user given as an id, e-mail or name.
pub async fn resolve_user(store: &dyn Store, key: &str) -> anyhow::Result<patron_core::UserId> {
    if let Ok(id) = key.trim().parse::<i64>() {
        if let Ok(u) = store.get_user(patron_core::UserId(id)).await {
            return Ok(u.id);
        }
    }
    store
        .find_user(key)
        .await?
        .map(|u| u.id)
        .with_context(|| format!("no user has the id, e-mail or name '{key}'"))
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

async fn custom_fields(
    settings: &Settings,
    c: crate::cli::CustomFieldsCommand,
) -> anyhow::Result<ExitCode> {
    use crate::cli::CustomFieldsCommand;
    let store = open(settings).await?;
    match c {
        CustomFieldsCommand::List(f) => {
            let defs = store.list_custom_fields().await?;
            if f.json {
                output::json(&serde_json::json!({ "items": defs }))?;
            } else {
                for d in &defs {
                    println!(
                        "{:<20} {:<8} {}  {}",
                        d.key,
                        d.field_type.as_str(),
                        d.label,
                        d.choices.join(" | ")
                    );
                }
            }
        }
        CustomFieldsCommand::Add(a) => {
            let field_type = patron_core::CustomFieldType::parse("type", &a.field_type)
                .map_err(|e| anyhow::anyhow!("--type: {}", e.message))?;
            let def = patron_core::CustomFieldDef {
                key: a.key,
                label: a.label,
                field_type,
                choices: a.choices,
            };
            let def = store.define_custom_field(def).await.map_err(|e| match e {
                patron_store::StoreError::Invalid(v) => {
                    anyhow::anyhow!("invalid custom field: {v}")
                }
                e => e.into(),
            })?;
            if a.json {
                output::json(&def)?;
            } else {
                eprintln!("custom field {} defined", def.key);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The scope of `--as EMAIL`: what that user may see by the web UI's rules; without it the
/// command line, as the database's operator, sees everything.
pub async fn scope_as(
    store: &dyn Store,
    email: Option<&str>,
) -> anyhow::Result<patron_core::Scope> {
    let Some(email) = email else {
        return Ok(patron_core::Scope::All);
    };
    let user = store
        .find_user(email)
        .await?
        .with_context(|| format!("--as: no user has the e-mail '{email}'"))?;
    if !user.active {
        anyhow::bail!(
            "--as: {} is deactivated and may see no customers",
            user.email
        );
    }
    Ok(patron_core::Scope::of(&user))
}

/// A store refusal as the command line says it: each invalid field named by the flag that set it
/// (`flag` maps a field to its flag; `_` reads as `-`), a conflict by its message.
pub(crate) fn explain_flags(
    e: patron_store::StoreError,
    flag: impl Fn(&str) -> &str,
) -> anyhow::Error {
    match e {
        patron_store::StoreError::Invalid(v) => {
            let parts: Vec<String> =
                v.0.iter()
                    .map(|f| format!("--{}: {}", flag(&f.field).replace('_', "-"), f.message))
                    .collect();
            anyhow::anyhow!("{}", parts.join("; "))
        }
        patron_store::StoreError::Conflict { message, .. } => anyhow::anyhow!("{message}"),
        other => other.into(),
    }
}
