//! `patron lists NAME`: the method's value lists (METHOD §2.4; see `patron_store::lists`).

use crate::cli::ListsArgs;
use crate::output;
use crate::settings::Settings;
use anyhow::{bail, Context};
use patron_store::lists::ListName;
use std::process::ExitCode;

pub async fn run(settings: &Settings, a: ListsArgs) -> anyhow::Result<ExitCode> {
    let Some(name) = ListName::parse(&a.name) else {
        let all: Vec<&str> = ListName::ALL.iter().map(|n| n.as_str()).collect();
        bail!(
            "'{}' is not a list; the lists are {}",
            a.name,
            all.join(", ")
        );
    };
    let store = super::open(settings).await?;
    let scope = super::scope_as(store.as_ref(), a.as_user.as_deref()).await?;
    let list = store.value_list(name, scope).await?;
    if let Some(path) = &a.output {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let bytes = match ext.as_str() {
            "csv" => list.to_csv()?,
            "xlsx" => list.to_xlsx()?,
            _ => bail!("--output: '{}' must end in .csv or .xlsx", path.display()),
        };
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{} rows written to {}", list.rows.len(), path.display());
    }
    if a.json {
        output::json(&list)?;
    } else if a.output.is_none() {
        let (header, rows) = list.table();
        let widths: Vec<usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                rows.iter()
                    .map(|r| output::width(&r[i]))
                    .chain([h.len()])
                    .max()
                    .unwrap_or(0)
                    .min(40)
            })
            .collect();
        println!(
            "{} as of {} ({})",
            list.name.as_str(),
            list.as_of,
            list.currency
        );
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| output::cell(c, *w))
                .collect::<Vec<_>>()
                .join("  ")
        };
        println!("{}", line(&header));
        for r in &rows {
            println!("{}", line(r));
        }
        if let Some(note) = &list.note {
            println!("({note})");
        }
        println!("{} customers", rows.len());
    }
    Ok(ExitCode::SUCCESS)
}
