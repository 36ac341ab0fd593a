//! One import, end to end: read → map → parse → apply (one transaction) → write rejects.
//! The types are the CLI's contract.

use super::parse::ParseOptions;
use super::read::ReadOptions;
use super::records::*;
use super::{mapping, parse, read, rejects};
use crate::store::Store;
use patron_core::Currency;
use std::path::{Path, PathBuf};

/// Column separator of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    Comma,
    Semicolon,
    Tab,
    /// Runs of spaces and tabs, leading and trailing ones ignored (the CDNOW log's layout).
    Whitespace,
    Other(u8),
}

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    /// UTF-8 with or without BOM, UTF-16 with BOM, else detected among GB18030, Big5, EUC-KR.
    #[default]
    Auto,
    Utf8,
    Gb18030,
    Big5,
    EucKr,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub entity: Entity,
    /// `false` with `--no-header`: then `columns` must be given.
    pub header: bool,
    /// `--columns a,b,c`: the field of each column in order; `-` skips a column.
    pub columns: Option<Vec<String>>,
    /// `--map column=field` pairs (header name → field or `-`).
    pub maps: Vec<(String, String)>,
    /// `None`: detect among comma, semicolon and tab from the first lines.
    pub delimiter: Option<Delimiter>,
    pub encoding: EncodingChoice,
    /// chrono format for date columns; `None`: the unambiguous ISO/CJK forms.
    pub date_format: Option<String>,
    /// Currency for money columns when the file has no currency column.
    pub default_currency: Currency,
    pub strict: bool,
    pub dry_run: bool,
    /// Where rejected rows go; default `<FILE>.rejects.csv` beside the input.
    pub rejects_path: Option<PathBuf>,
    /// XLSX sheet name; default the first sheet.
    pub sheet: Option<String>,
}

/// The summary `patron import … --json` prints (the first five fields are the contract).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub rejects_file: Option<PathBuf>,
    /// Data rows read from the file.
    pub rows: u64,
    pub dry_run: bool,
    /// `--strict` and some row was bad: nothing was imported.
    pub refused: bool,
    /// The first rejects, for display (all of them are in `rejects_file`).
    pub rejects: Vec<RowReject>,
}

/// Errors that stop an import before any row is applied: the file cannot be read, is empty, is
/// not in the stated encoding, or its columns cannot be mapped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    File(String),
    #[error("{0}")]
    Columns(String),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
}

/// Runs one import: read → map → parse → apply (the store's one transaction) → write rejects.
///
/// A bad row never aborts the import; it is reported in the rejects file (`<FILE>.rejects.csv`
/// unless `opts.rejects_path`) and in [`ImportReport::rejects`]. With `--strict` any bad row
/// refuses the whole import: nothing is applied and the report says `refused`. Errors are kept
/// for what stops the import as a whole: an unreadable or empty file, unmappable columns, a
/// failing database.
pub async fn run_import(
    store: &dyn Store,
    path: &Path,
    opts: &ImportOptions,
    progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
) -> Result<ImportReport, ImportError> {
    let read_opts = ReadOptions::from(opts);
    let rejects_out = opts
        .rejects_path
        .clone()
        .unwrap_or_else(|| rejects::default_path(path));
    if same_file(&rejects_out, path) {
        return Err(ImportError::File(format!(
            "the rejects file {} would overwrite the input; choose another rejects path",
            rejects_out.display()
        )));
    }
    // Phase timings go to the debug log (RUST_LOG=patron_store=debug): where an import spends
    // its time is the first question when one is slow.
    let started = std::time::Instant::now();
    let table = read::read_path(path, &read_opts)?;
    tracing::debug!(
        rows = table.rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "import: file read"
    );
    let mapping = mapping::map_columns(
        opts.entity,
        table.header.as_deref(),
        opts.columns.as_deref(),
        &opts.maps,
    )?;
    let mut report = ImportReport {
        rows: table.rows.len() as u64,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let parse_opts = ParseOptions {
        date_format: opts.date_format.clone(),
        default_currency: opts.default_currency.clone(),
    };
    let (batch, mut rejected) = parse::parse_table(table, &mapping, &parse_opts);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "import: rows parsed"
    );

    if opts.strict && !rejected.is_empty() {
        // Nothing reaches the database: a strict import is all or nothing.
        drop(batch);
        report.refused = true;
    } else if !batch.is_empty() {
        let outcome = store
            .apply_import(
                batch,
                ApplyOptions {
                    dry_run: opts.dry_run,
                    strict: opts.strict,
                    progress,
                },
            )
            .await?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "import: applied");
        if opts.strict && !outcome.rejected.is_empty() {
            // The store rolled back; its counts describe what would have happened.
            report.refused = true;
        } else {
            report.created = outcome.created;
            report.updated = outcome.updated;
            report.unchanged = outcome.unchanged;
        }
        rejected.extend(outcome.rejected);
    }

    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected.len() as u64;
    if !rejected.is_empty() {
        // The parsed table was consumed to keep memory down; read the file again for the
        // original cells of the rejected rows (only imports with rejects pay for this).
        let table = read::read_path(path, &read_opts)?;
        report.rejects_file = Some(rejects::write_rejects(&rejects_out, &table, &rejected)?);
    }
    rejected.truncate(100);
    report.rejects = rejected;
    Ok(report)
}

/// True when both paths name the same existing file (or are spelled the same).
fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}
