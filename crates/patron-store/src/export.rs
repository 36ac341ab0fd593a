//! Export of customers, contacts and orders to CSV or XLSX.
//!
//! The header row uses exactly the import field names, so an exported file re-imports cleanly
//! (and updates nothing) — export is also how a shop moves its archive to a spreadsheet, edits
//! it, and brings it back. The store is read page by page, never all at once.

use crate::import::mapping::{CONTACT_FIELDS, CUSTOMER_FIELDS, ORDER_FIELDS};
use crate::query::{CustomerQuery, KeyPersonQuery, OrderQuery};
use crate::store::Store;
use crate::StoreError;
use patron_core::money::format_minor;
use patron_core::{Customer, CustomerId, ProductId, Scope, UserId};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows fetched per store call.
const PAGE: u32 = 500;
/// Data rows an XLSX sheet can hold (1,048,576 rows minus the header).
const XLSX_MAX_ROWS: u64 = 1_048_575;
/// Column widths are fitted to the content up to this many rows.
const AUTOFIT_MAX_ROWS: u64 = 20_000;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Customers,
    Contacts,
    Orders,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The path's extension names no format we write, or the data does not fit it.
    #[error("{0}")]
    Format(String),
    #[error("cannot write {path}: {message}")]
    Xlsx { path: PathBuf, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes all records of `what` to `path` (`.csv` or `.xlsx`, by extension) and returns the
/// number of data rows written. Orders are written one row per order line.
pub async fn export(store: &dyn Store, what: ExportKind, path: &Path) -> Result<u64, ExportError> {
    export_as(store, what, path, Scope::All).await
}

/// [`export`] of only the records inside `scope` (a user's customers and their contacts and
/// orders): `patron export --as EMAIL` exports what that user may see, no more.
pub async fn export_as(
    store: &dyn Store,
    what: ExportKind,
    path: &Path,
    scope: Scope,
) -> Result<u64, ExportError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let mut sink = match ext.as_str() {
        "csv" => Sink::csv(path)?,
        "xlsx" => Sink::xlsx(path),
        other => {
            return Err(ExportError::Format(format!(
                "cannot export to '{}': the file name must end in .csv or .xlsx{}",
                path.display(),
                if other.is_empty() {
                    String::new()
                } else {
                    format!(" (not .{other})")
                }
            )))
        }
    };
    let header = match what {
        ExportKind::Customers => CUSTOMER_FIELDS,
        ExportKind::Contacts => CONTACT_FIELDS,
        ExportKind::Orders => ORDER_FIELDS,
    };
    let written = async {
        sink.header(header)?;
        match what {
            ExportKind::Customers => customers(store, scope, &mut sink).await,
            ExportKind::Contacts => contacts(store, scope, &mut sink).await,
            ExportKind::Orders => orders(store, scope, &mut sink).await,
        }
    }
    .await;
    match written {
        Ok(()) => sink.finish(),
        Err(e) => {
            sink.abort();
            Err(e)
        }
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

/// The header of a customers file: the import field names, so it re-imports cleanly.
pub const CUSTOMER_HEADER: &[&str] = CUSTOMER_FIELDS;

/// Owner id → e-mail: owners are written as their e-mail, which the importer resolves back to
/// the user.
pub async fn owner_emails(store: &dyn Store) -> Result<HashMap<UserId, String>, StoreError> {
    Ok(store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

/// One customer as the cells of a customers file, in [`CUSTOMER_HEADER`] order (shared by the
/// command-line export and the web download, so both files read the same).
pub fn customer_cells(c: &Customer, owners: &HashMap<UserId, String>) -> Vec<String> {
    vec![
        opt(&c.external_ref),
        c.kind.as_str().to_owned(),
        c.name.clone(),
        c.gender.map(|g| g.as_str().to_owned()).unwrap_or_default(),
        opt(&c.birth_date),
        opt(&c.phone),
        opt(&c.email),
        opt(&c.address),
        c.owner_id
            .and_then(|id| owners.get(&id).cloned())
            .unwrap_or_default(),
        c.stage.as_str().to_owned(),
        c.tags.join(", "),
        opt(&c.company),
        opt(&c.fax),
        opt(&c.level),
        opt(&c.source),
        opt(&c.notes),
        opt(&c.churn_reason),
    ]
}

async fn customers(store: &dyn Store, scope: Scope, sink: &mut Sink) -> Result<(), ExportError> {
    let owners = owner_emails(store).await?;
    let mut cursor = None;
    loop {
        let page = store
            .list_customers(&CustomerQuery {
                limit: Some(PAGE),
                cursor,
                scope,
                ..Default::default()
            })
            .await?;
        for c in &page.items {
            sink.row(customer_cells(c, &owners))?;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Customer id → the reference a file uses for it: the external ref, else `#<id>`.
struct CustomerRefs(HashMap<CustomerId, String>);

impl CustomerRefs {
    async fn get(&mut self, store: &dyn Store, id: CustomerId) -> Result<String, ExportError> {
        if let Some(r) = self.0.get(&id) {
            return Ok(r.clone());
        }
        let c = store.get_customer(id).await?;
        let r = c.external_ref.unwrap_or_else(|| format!("#{id}"));
        self.0.insert(id, r.clone());
        Ok(r)
    }

    /// Pages through all customers once: cheaper than one lookup per order when exporting
    /// orders, where nearly every customer appears.
    async fn preload(store: &dyn Store, scope: Scope) -> Result<Self, ExportError> {
        let mut map = HashMap::new();
        let mut cursor = None;
        loop {
            let page = store
                .list_customers(&CustomerQuery {
                    limit: Some(PAGE),
                    cursor,
                    scope,
                    ..Default::default()
                })
                .await?;
            for c in page.items {
                let r = c.external_ref.unwrap_or_else(|| format!("#{}", c.id));
                map.insert(c.id, r);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(Self(map)),
            }
        }
    }
}

async fn contacts(store: &dyn Store, scope: Scope, sink: &mut Sink) -> Result<(), ExportError> {
    // Contacts belong to few (organisation) customers: look each one up once, lazily.
    let mut refs = CustomerRefs(HashMap::new());
    let mut cursor = None;
    loop {
        let page = store
            .list_key_persons(&KeyPersonQuery {
                limit: Some(PAGE),
                cursor,
                scope,
                ..Default::default()
            })
            .await?;
        for k in &page.items {
            sink.row(vec![
                refs.get(store, k.customer_id).await?,
                k.name.clone(),
                opt(&k.title),
                opt(&k.phone),
                opt(&k.mobile),
                opt(&k.email),
                opt(&k.hobbies),
                opt(&k.birthday),
                opt(&k.wedding_anniversary),
                opt(&k.notes),
            ])?;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

async fn orders(store: &dyn Store, scope: Scope, sink: &mut Sink) -> Result<(), ExportError> {
    let mut refs = CustomerRefs::preload(store, scope).await?;
    let mut products: HashMap<ProductId, String> = HashMap::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_orders(&OrderQuery {
                limit: Some(PAGE),
                cursor,
                scope,
                ..Default::default()
            })
            .await?;
        for o in &page.items {
            let customer_ref = refs.get(store, o.customer_id).await?;
            for l in &o.lines {
                let product_ref = match l.product_id {
                    None => String::new(),
                    Some(pid) => match products.get(&pid) {
                        Some(r) => r.clone(),
                        None => {
                            let p = store.get_product(pid).await?;
                            let r = p.external_ref.unwrap_or_else(|| format!("#{pid}"));
                            products.insert(pid, r.clone());
                            r
                        }
                    },
                };
                sink.row(vec![
                    customer_ref.clone(),
                    opt(&o.order_ref),
                    o.order_date.to_string(),
                    product_ref,
                    opt(&l.product_line),
                    l.quantity.to_string(),
                    format_minor(l.unit_price_minor, &o.currency),
                    format_minor(l.amount_minor, &o.currency),
                    o.currency.as_str().to_owned(),
                    yes_no(o.asked_by_name),
                ])?;
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Where rows go.
enum Sink {
    /// Written to `<path>.partial` and renamed at the end, so a failed export leaves no
    /// half-written file under the real name.
    Csv {
        path: PathBuf,
        partial: PathBuf,
        writer: Box<csv::Writer<std::io::BufWriter<std::fs::File>>>,
        rows: u64,
    },
    /// rust_xlsxwriter assembles the workbook and writes it on save.
    Xlsx {
        path: PathBuf,
        workbook: Box<rust_xlsxwriter::Workbook>,
        rows: u64,
    },
}

impl Sink {
    fn csv(path: &Path) -> Result<Self, ExportError> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let io = |source| ExportError::Io {
            path: partial.clone(),
            source,
        };
        let mut file = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(io)?);
        // BOM: Excel reads BOM-less CSV in the ANSI code page and garbles Chinese and Korean.
        file.write_all(b"\xEF\xBB\xBF").map_err(io)?;
        Ok(Sink::Csv {
            path: path.to_path_buf(),
            partial: partial.clone(),
            writer: Box::new(csv::Writer::from_writer(file)),
            rows: 0,
        })
    }

    fn xlsx(path: &Path) -> Self {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook.add_worksheet();
        Sink::Xlsx {
            path: path.to_path_buf(),
            workbook: Box::new(workbook),
            rows: 0,
        }
    }

    fn header(&mut self, names: &[&str]) -> Result<(), ExportError> {
        match self {
            Sink::Csv {
                writer, partial, ..
            } => writer
                .write_record(names)
                .map_err(|e| csv_error(partial, e)),
            Sink::Xlsx { workbook, path, .. } => {
                let bold = rust_xlsxwriter::Format::new().set_bold();
                let ws = workbook
                    .worksheet_from_index(0)
                    .map_err(|e| xlsx_error(path, e))?;
                for (c, n) in names.iter().enumerate() {
                    ws.write_string_with_format(0, col(c), *n, &bold)
                        .map_err(|e| xlsx_error(path, e))?;
                }
                ws.set_freeze_panes(1, 0).map_err(|e| xlsx_error(path, e))?;
                Ok(())
            }
        }
    }

    fn row(&mut self, cells: Vec<String>) -> Result<(), ExportError> {
        match self {
            Sink::Csv {
                writer,
                partial,
                rows,
                ..
            } => {
                // Formula-looking cells are quoted (see crate::csv_cell); the import undoes it.
                crate::csv_cell::write_record(writer, &cells).map_err(|e| csv_error(partial, e))?;
                *rows += 1;
                Ok(())
            }
            Sink::Xlsx {
                workbook,
                path,
                rows,
            } => {
                if *rows >= XLSX_MAX_ROWS {
                    return Err(ExportError::Format(format!(
                        "more than {XLSX_MAX_ROWS} rows do not fit in an XLSX sheet; export to .csv instead"
                    )));
                }
                *rows += 1;
                let r = u32::try_from(*rows).unwrap_or(u32::MAX);
                let ws = workbook
                    .worksheet_from_index(0)
                    .map_err(|e| xlsx_error(path, e))?;
                for (c, v) in cells.iter().enumerate() {
                    // Text cells, always: a ref like "00004" or a phone must not become a number.
                    if !v.is_empty() {
                        ws.write_string(r, col(c), v)
                            .map_err(|e| xlsx_error(path, e))?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes the partial CSV after a failure (best effort: the error being reported matters more).
    fn abort(self) {
        if let Sink::Csv {
            partial, writer, ..
        } = self
        {
            drop(writer);
            let _ = std::fs::remove_file(partial);
        }
    }

    fn finish(self) -> Result<u64, ExportError> {
        match self {
            Sink::Csv {
                path,
                partial,
                writer,
                rows,
            } => {
                let io = |source| ExportError::Io {
                    path: partial.clone(),
                    source,
                };
                let file = (*writer).into_inner().map_err(|e| io(e.into_error()))?;
                let file = file.into_inner().map_err(|e| io(e.into_error()))?;
                file.sync_all().map_err(io)?;
                std::fs::rename(&partial, &path).map_err(|source| ExportError::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok(rows)
            }
            Sink::Xlsx {
                path,
                mut workbook,
                rows,
            } => {
                // Autofit measures every cell; on big sheets it costs more than it helps.
                if rows <= AUTOFIT_MAX_ROWS {
                    if let Ok(ws) = workbook.worksheet_from_index(0) {
                        ws.autofit();
                    }
                }
                workbook.save(&path).map_err(|e| xlsx_error(&path, e))?;
                Ok(rows)
            }
        }
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn csv_error(path: &Path, e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ExportError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ExportError::Format(format!("cannot write {}: {other:?}", path.display())),
    }
}

fn xlsx_error(path: &Path, e: rust_xlsxwriter::XlsxError) -> ExportError {
    match e {
        rust_xlsxwriter::XlsxError::IoError(source) => ExportError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ExportError::Xlsx {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    }
}
