//! `patron backup FILE` and `patron restore FILE`: a consistent copy of the SQLite database while
//! Patron serves it, and putting one back (see [`patron_store::backup`]).

use crate::output;
use crate::settings::Settings;
use clap::Args;
use patron_store::backup::Copied;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (never overwritten).
    pub file: PathBuf,
    /// Print JSON: {"path","bytes","schema_version","customers","orders","interactions"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file made by `patron backup`.
    pub file: PathBuf,
    /// Replace a database that holds customers (without it such a restore is refused).
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

fn report(verb: &str, c: &Copied, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        output::json(c)?;
    } else {
        println!(
            "{verb} {} ({} bytes, schema {}): {} customers, {} orders, {} interactions; \
             integrity check ok",
            c.path.display(),
            c.bytes,
            c.schema_version,
            c.customers,
            c.orders,
            c.interactions
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(settings: &Settings, a: BackupArgs) -> anyhow::Result<ExitCode> {
    let url = settings.database_url.clone();
    let to = a.file.clone();
    let copied =
        tokio::task::spawn_blocking(move || patron_store::backup::backup(&url, &to)).await??;
    report("backed up to", &copied, a.json)
}

pub async fn restore(settings: &Settings, a: RestoreArgs) -> anyhow::Result<ExitCode> {
    let url = settings.database_url.clone();
    if let Some(path) = patron_store::sqlite_path(&url).filter(|p| p.exists()) {
        if !a.yes {
            if let Ok(now) = patron_store::backup::check(&path) {
                if now.customers > 0 {
                    anyhow::bail!(
                        "{} holds {} customers; add --yes to replace it with {}",
                        path.display(),
                        now.customers,
                        a.file.display()
                    );
                }
            }
        }
    }
    let from = a.file.clone();
    let copied =
        tokio::task::spawn_blocking(move || patron_store::backup::restore(&url, &from)).await??;
    // Bring a backup made by an older Patron up to this one's schema.
    patron_store::connect(&settings.database_url).await?;
    report("restored", &copied, a.json)
}
