//! One import, end to end: read → map → parse → apply (one transaction) → write rejects.
//! The types are the CLI's contract.

use super::parse::ParseOptions;
use super::read::ReadOptions;
use super::records::*;
use super::{mapping, parse, read, rejects};
use crate::store::Store;
use patron_core::{Currency, UserId};
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
    /// Never lock tables against other sessions: a large orders import on PostgreSQL otherwise
    /// drops and rebuilds the order tables' indexes and foreign keys, holding them meanwhile.
    pub online: bool,
    /// Who runs the import: recorded with it and in the customers' history (`None`: the
    /// command line without `--as`).
    pub by: Option<UserId>,
    /// The name recorded for the file; default the input path's file name (an upload passes
    /// the name it had on the user's machine).
    pub file_name: Option<String>,
}

impl ImportOptions {
    /// An import of `entity` as `patron import ENTITY FILE` runs it with no options: a header
    /// row, the delimiter and encoding detected, good rows kept and bad ones rejected.
    pub fn new(entity: Entity) -> Self {
        ImportOptions {
            entity,
            header: true,
            columns: None,
            maps: Vec::new(),
            delimiter: None,
            encoding: EncodingChoice::Auto,
            date_format: None,
            default_currency: Currency::default(),
            strict: false,
            dry_run: false,
            rejects_path: None,
            sheet: None,
            online: false,
            by: None,
            file_name: None,
        }
    }
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
    /// A large orders import that rebuilt indexes (and on PostgreSQL foreign keys) once at the
    /// end rather than row by row.
    pub bulk: bool,
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
    let parse_opts = ParseOptions {
        date_format: opts.date_format.clone(),
        default_currency: opts.default_currency.clone(),
    };
    let apply_opts = ApplyOptions {
        dry_run: opts.dry_run,
        strict: opts.strict,
        progress,
        expected_rows: read::estimate_rows(path),
        online: opts.online,
        by: opts.by,
        file_name: opts
            .file_name
            .clone()
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned())),
        parse_rejected: 0,
    };
    let mut report = ImportReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let mut rejected = if opts.entity == Entity::Orders {
        // Streamed: a blocking thread reads and parses chunk k+1 while the store writes chunk k.
        let streamed = stream_orders(store, path, opts, parse_opts, apply_opts).await?;
        tracing::debug!(ms = started.elapsed().as_millis() as u64, "import: applied");
        report.rows = streamed.rows;
        let outcome = streamed.outcome;
        report.bulk = outcome.bulk;
        let mut rejected = streamed.parse_rejects;
        if opts.strict && (!rejected.is_empty() || !outcome.rejected.is_empty()) {
            // The store rolled back; nothing was imported.
            report.refused = true;
        } else {
            report.created = outcome.created;
            report.updated = outcome.updated;
            report.unchanged = outcome.unchanged;
        }
        rejected.extend(outcome.rejected);
        rejected
    } else {
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
        report.rows = table.rows.len() as u64;
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
            let apply_opts = ApplyOptions {
                parse_rejected: rejected.len() as u64,
                ..apply_opts
            };
            let outcome = store.apply_import(batch, apply_opts).await?;
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
        rejected
    };

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

/// Rows per chunk of a streamed orders import: large enough that each chunk's lookups and
/// statements are amortised, small enough that parsing and writing overlap well and memory stays
/// bounded.
const ORDER_CHUNK_ROWS: usize = 25_000;

/// What a streamed orders import came to.
struct Streamed {
    rows: u64,
    parse_rejects: Vec<RowReject>,
    outcome: ImportOutcome,
}

/// Reads and parses the file on a blocking thread, chunk by chunk, while the store applies the
/// chunks already parsed (one transaction). A file that cannot be read or mapped fails before
/// the store is asked to do anything; a read error midway makes the store roll back (the last
/// chunk never arrives).
async fn stream_orders(
    store: &dyn Store,
    path: &Path,
    opts: &ImportOptions,
    parse_opts: ParseOptions,
    apply_opts: ApplyOptions,
) -> Result<Streamed, ImportError> {
    let (tx, rx) = tokio::sync::mpsc::channel::<OrderChunk>(2);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let read_opts = ReadOptions::from(opts);
    let (path_owned, entity) = (path.to_path_buf(), opts.entity);
    let (columns, maps) = (opts.columns.clone(), opts.maps.clone());
    let producer = tokio::task::spawn_blocking(move || {
        let mut mapping = None;
        let mut ready = Some(ready_tx);
        let mut rejects = Vec::new();
        let mut rows = 0u64;
        let mut keyer = super::keys::OrderKeyer::default();
        read::stream_path(&path_owned, &read_opts, ORDER_CHUNK_ROWS, |ev| match ev {
            read::StreamEvent::Header(header) => {
                mapping = Some(mapping::map_columns(
                    entity,
                    header,
                    columns.as_deref(),
                    &maps,
                )?);
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
                Ok(true)
            }
            read::StreamEvent::Rows(part) => {
                let Some(m) = &mapping else {
                    return Ok(false);
                };
                rows += part.len() as u64;
                let slice = read::Table {
                    header: None,
                    rows: part,
                };
                let (batch, bad) = parse::parse_table(slice, m, &parse_opts);
                let records = match batch {
                    ImportBatch::Orders(r) => r,
                    // The mapping is for orders, so the parser returns orders.
                    _ => Vec::new(),
                };
                let n = bad.len();
                rejects.extend(bad);
                // A closed channel: the store stopped with an error it reports itself.
                Ok(tx
                    .blocking_send(OrderChunk::keyed(records, n, &mut keyer))
                    .is_ok())
            }
        })?;
        // The end of the file: the store may commit.
        let _ = tx.blocking_send(OrderChunk {
            last: true,
            ..Default::default()
        });
        Ok::<_, ImportError>((rows, rejects))
    });
    let join = |r: Result<Result<(u64, Vec<RowReject>), ImportError>, tokio::task::JoinError>| {
        r.map_err(|e| ImportError::File(format!("the import's reader stopped: {e}")))?
    };
    if ready_rx.await.is_err() {
        // The reader ended before the header was mapped: its error says why.
        let (rows, parse_rejects) = join(producer.await)?;
        return Ok(Streamed {
            rows,
            parse_rejects,
            outcome: ImportOutcome::default(),
        });
    }
    let outcome = store.apply_order_stream(rx, apply_opts).await;
    let (rows, parse_rejects) = join(producer.await)?;
    Ok(Streamed {
        rows,
        parse_rejects,
        outcome: outcome?,
    })
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
