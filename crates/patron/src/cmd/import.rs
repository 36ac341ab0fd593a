//! `patron import` and `patron export`.

use crate::cli::{EncodingArg, ExportArgs, ExportWhat, ImportArgs, ImportWhat};
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use patron_core::Currency;
use patron_store::export::{export_as, ExportKind};
use patron_store::import::{run_import, Delimiter, EncodingChoice, Entity, ImportOptions};
use std::process::ExitCode;
use std::sync::Arc;

fn delimiter(s: &str) -> anyhow::Result<Delimiter> {
    Ok(match s {
        "," | "comma" => Delimiter::Comma,
        ";" | "semicolon" => Delimiter::Semicolon,
        "tab" | "\\t" | "\t" => Delimiter::Tab,
        "whitespace" | "space" | "ws" => Delimiter::Whitespace,
        other if other.len() == 1 && other.is_ascii() => Delimiter::Other(other.as_bytes()[0]),
        other => bail!(
            "--delimiter: '{other}' is not one of , ; tab whitespace or a single ASCII character"
        ),
    })
}

pub async fn import(settings: &Settings, a: ImportArgs) -> anyhow::Result<ExitCode> {
    if let Some(archive) = &a.all {
        return super::transfer::import_all(settings, archive, a.json).await;
    }
    // clap requires both unless --all is given.
    let (Some(what), Some(file)) = (a.what, a.file.clone()) else {
        bail!("name what the file holds and the file, or give --all ARCHIVE");
    };
    let mut maps = Vec::new();
    for m in &a.maps {
        let (col, field) = m
            .rsplit_once('=')
            .with_context(|| format!("--map '{m}': expected COLUMN=FIELD"))?;
        maps.push((col.trim().to_owned(), field.trim().to_owned()));
    }
    let store = super::open(settings).await?;
    let default_currency = match a
        .currency
        .as_deref()
        .or(settings.default_currency.as_deref())
    {
        Some(c) => Currency::parse("currency", c)
            .map_err(|e| anyhow::anyhow!("--currency: {}", e.message))?,
        None => match store.get_setting("default_currency").await? {
            Some(c) => Currency::parse("currency", &c).unwrap_or_default(),
            None => Currency::default(),
        },
    };
    let opts = ImportOptions {
        entity: match what {
            ImportWhat::Customers => Entity::Customers,
            ImportWhat::Contacts => Entity::Contacts,
            ImportWhat::Products => Entity::Products,
            ImportWhat::Orders => Entity::Orders,
        },
        header: !a.no_header,
        columns: a.columns.clone(),
        maps,
        delimiter: a.delimiter.as_deref().map(delimiter).transpose()?,
        encoding: match a.encoding {
            EncodingArg::Auto => EncodingChoice::Auto,
            EncodingArg::Utf8 => EncodingChoice::Utf8,
            EncodingArg::Gb18030 => EncodingChoice::Gb18030,
            EncodingArg::Big5 => EncodingChoice::Big5,
            EncodingArg::EucKr => EncodingChoice::EucKr,
        },
        date_format: a.date_format.clone(),
        default_currency,
        strict: a.strict,
        dry_run: a.dry_run,
        rejects_path: a.rejects.clone(),
        sheet: a.sheet.clone(),
        online: a.online,
        by: match &a.as_user {
            None => None,
            Some(email) => Some(
                store
                    .find_user(email)
                    .await?
                    .with_context(|| format!("--as: no user has the e-mail '{email}'"))?
                    .id,
            ),
        },
        file_name: None,
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {pos} records written")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let b2 = bar.clone();
    let progress: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |n| b2.set_position(n));
    let started = std::time::Instant::now();
    let report = run_import(store.as_ref(), &file, &opts, Some(progress)).await;
    bar.finish_and_clear();
    let report = report.with_context(|| format!("importing {}", file.display()))?;
    let secs = started.elapsed().as_secs_f64();
    if a.json {
        output::json(&report)?;
    } else {
        let verb = if report.dry_run { "would be" } else { "" };
        eprintln!(
            "{} rows read in {secs:.2} s: {} created, {} updated, {} unchanged, {} rejected {verb}",
            report.rows, report.created, report.updated, report.unchanged, report.rejected
        );
        for r in report.rejects.iter().take(10) {
            eprintln!("  line {}: {}", r.line, r.reason);
        }
        if report.rejected > 10 {
            eprintln!("  … and {} more", report.rejected - 10);
        }
        if let Some(p) = &report.rejects_file {
            eprintln!("Rejected rows with reasons: {}", p.display());
        }
        if report.refused {
            eprintln!("--strict: the file has bad rows, so nothing was imported.");
        }
        if report.dry_run {
            eprintln!("--dry-run: nothing was changed.");
        }
        if report.bulk {
            eprintln!(
                "A large import: indexes (and on PostgreSQL foreign keys) were built once at the end."
            );
        }
    }
    Ok(if report.refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn export(settings: &Settings, a: ExportArgs) -> anyhow::Result<ExitCode> {
    if let Some(archive) = &a.all {
        return super::transfer::export_all(settings, archive, a.json).await;
    }
    let (Some(what), Some(file)) = (a.what, a.file.clone()) else {
        bail!("name what to export and the file, or give --all ARCHIVE");
    };
    let store = super::open(settings).await?;
    let kind = match what {
        ExportWhat::Customers => ExportKind::Customers,
        ExportWhat::Contacts => ExportKind::Contacts,
        ExportWhat::Orders => ExportKind::Orders,
    };
    let scope = super::scope_as(store.as_ref(), a.as_user.as_deref()).await?;
    let rows = export_as(store.as_ref(), kind, &file, scope)
        .await
        .with_context(|| format!("exporting to {}", file.display()))?;
    if a.json {
        output::json(&serde_json::json!({ "rows": rows, "file": file }))?;
    } else {
        eprintln!("{rows} rows written to {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
