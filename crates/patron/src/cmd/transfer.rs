//! `patron export --all ARCHIVE` and `patron import --all ARCHIVE`: a whole installation moved
//! between databases (see [`patron_store::transfer`]).

use crate::output;
use crate::settings::Settings;
use anyhow::Context;
use patron_store::transfer::Transferred;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn report(verb: &str, t: &Transferred, started: Instant, json: bool) -> anyhow::Result<ExitCode> {
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(t)?;
        v["seconds"] = serde_json::json!(seconds);
        output::json(&v)?;
    } else {
        let count = |name: &str| {
            t.tables
                .iter()
                .find(|r| r.table == name)
                .map_or(0, |r| r.rows)
        };
        println!(
            "{verb} {} ({} rows in {} tables, schema {}, from {}) in {seconds:.1} s: {} users, \
             {} customers, {} orders, {} interactions, {} complaints, {} audit records",
            t.path.display(),
            t.rows,
            t.tables.len(),
            t.schema_version,
            t.source,
            count("users"),
            count("customers"),
            count("orders"),
            count("interactions"),
            count("complaints"),
            count("audit_log"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export_all(
    settings: &Settings,
    archive: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let t = patron_store::transfer::export_all(&settings.database_url, archive)
        .await
        .with_context(|| format!("exporting the installation to {}", archive.display()))?;
    report("exported to", &t, started, json)
}

pub async fn import_all(
    settings: &Settings,
    archive: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let t = patron_store::transfer::import_all(&settings.database_url, archive)
        .await
        .with_context(|| format!("importing the installation from {}", archive.display()))?;
    report("imported", &t, started, json)
}
