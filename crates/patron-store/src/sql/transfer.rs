//! A whole installation as one file (`patron export --all ARCHIVE`, `patron import --all
//! ARCHIVE`): the path a shop takes from SQLite on one laptop to PostgreSQL when it outgrows it
//! (or back).
//!
//! The archive is gzip-compressed JSON Lines, written and read as a stream so a
//! 10,000,000-order archive never sits in memory:
//!
//! ```text
//! {"format":"patron-archive","version":1,"schema_version":23,"source":"sqlite",…}
//! {"table":"users","columns":["id",…],"types":["INTEGER",…]}
//! [1,"ana@example.com",…]                       one JSON array per row
//! {"end":"users","rows":12}
//! …every table…
//! {"done":true,"tables":63,"rows":1234567}
//! ```
//!
//! Tables are copied generically, column by column, from the database's own catalogue, so a
//! table or column added by a later migration travels without a change here (the round-trip test
//! compares every table). Values are written as the source holds them — SQLite's dynamic values
//! as they are, PostgreSQL's typed ones as JSON numbers, booleans and RFC 3339 strings — with each
//! column's source type in the table's header line; the importer converts them to the target's
//! column types (PostgreSQL) or to the form Patron itself writes (SQLite: instants as sqlx
//! encodes them, booleans 0/1). Tables derived from others (the search indexes) are not copied:
//! the target's triggers rebuild them as the customers go in.
//!
//! The export reads one snapshot (a read transaction); the import is one transaction into an
//! empty database, so a failed or truncated archive leaves the target as it was.

use super::{Pool, SqlStore};
use crate::error::{map_sqlx, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Column, Row, TypeInfo, ValueRef};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What the first line of an archive says it is.
pub const FORMAT: &str = "patron-archive";
/// The archive layout's version (not the schema's): bumped only if the line format changes.
pub const FORMAT_VERSION: u32 = 1;

/// Rows per multi-row `INSERT`, capped so the statement's parameters stay within SQLite's
/// 32,766 and PostgreSQL's 65,535.
const MAX_ROWS_PER_INSERT: usize = 500;
const MAX_PARAMS: usize = 30_000;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    schema_version: i64,
    source: String,
    exported_at: String,
    tables: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableStart {
    table: String,
    columns: Vec<String>,
    types: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableEnd {
    end: String,
    rows: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Done {
    done: bool,
    tables: usize,
    rows: u64,
}

/// What an export wrote or an import loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transferred {
    pub path: PathBuf,
    /// The database the archive came from: `sqlite` or `postgres`.
    pub source: String,
    pub schema_version: i64,
    /// Rows per table, in the archive's order.
    pub tables: Vec<TableRows>,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRows {
    pub table: String,
    pub rows: u64,
}

/// Tables that are not copied: sqlx's and SQLite's own, the search indexes, which triggers
/// on `customers` rebuild in the target, and the kept purchase folds, which the target's first
/// classification or model run folds again.
fn derived(table: &str) -> bool {
    table.starts_with("_sqlx")
        || table.starts_with("sqlite_")
        || table.starts_with("customers_fts")
        || table == "customer_bigrams"
        || table.starts_with("purchase_fold")
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn archive_error(path: &Path, line: u64, message: impl Into<String>) -> StoreError {
    StoreError::invalid(
        "archive",
        "invalid_archive",
        format!("{} line {line}: {}", path.display(), message.into()),
    )
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::other(format!("{what} {}", path.display()), e)
}

/// One table as the catalogue describes it.
#[derive(Debug, Clone)]
struct TableInfo {
    columns: Vec<String>,
    /// Declared (SQLite) or `udt_name` (PostgreSQL) type per column, upper case.
    types: Vec<String>,
    primary_key: Vec<String>,
    /// Tables this one references (itself excluded).
    references: BTreeSet<String>,
    /// Columns that reference this same table (`users.manager_id`).
    self_references: Vec<String>,
    /// PostgreSQL identity columns, whose sequences must move past the copied ids.
    identity: Vec<String>,
}

/// The schema as the database's catalogue describes it.
#[derive(Debug, Default)]
struct Catalogue {
    tables: BTreeMap<String, TableInfo>,
}

impl Catalogue {
    /// The copied tables, each after every table it references, so a database that checks
    /// foreign keys row by row (PostgreSQL) accepts them in this order.
    fn ordered(&self) -> StoreResult<Vec<String>> {
        let mut done: Vec<String> = Vec::new();
        let mut placed: BTreeSet<&str> = BTreeSet::new();
        while done.len() < self.tables.len() {
            let before = done.len();
            for (name, t) in &self.tables {
                if placed.contains(name.as_str()) {
                    continue;
                }
                if t.references
                    .iter()
                    .all(|r| placed.contains(r.as_str()) || !self.tables.contains_key(r))
                {
                    placed.insert(name);
                    done.push(name.clone());
                }
            }
            if done.len() == before {
                let left: Vec<&str> = self
                    .tables
                    .keys()
                    .filter(|n| !placed.contains(n.as_str()))
                    .map(String::as_str)
                    .collect();
                return Err(StoreError::invalid(
                    "database",
                    "reference_cycle",
                    format!("these tables reference each other in a cycle: {left:?}"),
                ));
            }
        }
        Ok(done)
    }
}

async fn sqlite_catalogue(c: &mut sqlx::SqliteConnection) -> StoreResult<Catalogue> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *c)
            .await
            .map_err(|e| map_sqlx(e, "listing the tables"))?;
    let mut cat = Catalogue::default();
    for name in names.into_iter().filter(|n| !derived(n)) {
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut *c)
                .await
                .map_err(|e| map_sqlx(e, "reading a table's columns"))?;
        let fks: Vec<(String, String)> =
            sqlx::query_as("SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?)")
                .bind(&name)
                .fetch_all(&mut *c)
                .await
                .map_err(|e| map_sqlx(e, "reading a table's foreign keys"))?;
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.2 > 0)
            .map(|c| (c.2, c.0.clone()))
            .collect();
        pk.sort();
        let info = TableInfo {
            columns: cols.iter().map(|c| c.0.clone()).collect(),
            types: cols.iter().map(|c| c.1.clone()).collect(),
            primary_key: pk.into_iter().map(|p| p.1).collect(),
            references: fks
                .iter()
                .filter(|f| f.0 != name)
                .map(|f| f.0.clone())
                .collect(),
            self_references: fks
                .iter()
                .filter(|f| f.0 == name)
                .map(|f| f.1.clone())
                .collect(),
            identity: Vec::new(),
        };
        cat.tables.insert(name, info);
    }
    Ok(cat)
}

async fn pg_catalogue(c: &mut sqlx::PgConnection) -> StoreResult<Catalogue> {
    let cols: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, upper(udt_name::text), is_identity = 'YES' \
         FROM information_schema.columns c \
         WHERE table_schema = current_schema() \
           AND EXISTS (SELECT 1 FROM information_schema.tables t \
                       WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name \
                         AND t.table_type = 'BASE TABLE') \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(|e| map_sqlx(e, "reading the columns"))?;
    let keys: Vec<(String, String, String, bool)> = sqlx::query_as(
        "SELECT cl.relname::text, a.attname::text, \
                COALESCE(rf.relname::text, ''), con.contype = 'p' \
         FROM pg_constraint con \
         JOIN pg_class cl ON cl.oid = con.conrelid \
         JOIN pg_namespace ns ON ns.oid = cl.relnamespace AND ns.nspname = current_schema() \
         LEFT JOIN pg_class rf ON rf.oid = con.confrelid \
         CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, n) \
         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
         WHERE con.contype IN ('p', 'f') \
         ORDER BY cl.relname, con.contype, k.n",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(|e| map_sqlx(e, "reading the keys"))?;
    let mut cat = Catalogue::default();
    for (table, column, ty, identity) in cols {
        if derived(&table) {
            continue;
        }
        let t = cat.tables.entry(table).or_insert_with(|| TableInfo {
            columns: Vec::new(),
            types: Vec::new(),
            primary_key: Vec::new(),
            references: BTreeSet::new(),
            self_references: Vec::new(),
            identity: Vec::new(),
        });
        if identity {
            t.identity.push(column.clone());
        }
        t.columns.push(column);
        t.types.push(ty);
    }
    for (table, column, referenced, primary) in keys {
        let Some(t) = cat.tables.get_mut(&table) else {
            continue;
        };
        if primary {
            t.primary_key.push(column);
        } else if referenced == table {
            t.self_references.push(column);
        } else {
            t.references.insert(referenced);
        }
    }
    Ok(cat)
}

fn select_all(table: &str, info: &TableInfo) -> String {
    let cols = info
        .columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let order = if info.primary_key.is_empty() {
        (1..=info.columns.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        info.primary_key
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("SELECT {cols} FROM {} ORDER BY {order}", quote(table))
}

fn bytes_value(b: &[u8]) -> Value {
    use base64::Engine;
    serde_json::json!({ "b64": base64::engine::general_purpose::STANDARD.encode(b) })
}

fn float_value(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(f.to_string()))
}

fn sqlite_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Vec<Value>> {
    let mut out = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        let raw = row
            .try_get_raw(i)
            .map_err(|e| map_sqlx(e, "reading a value"))?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let kind = raw.type_info().name().to_owned();
        let get = |e| map_sqlx(e, "reading a value");
        out.push(match kind.as_str() {
            "INTEGER" => Value::from(row.try_get_unchecked::<i64, _>(i).map_err(get)?),
            "REAL" => float_value(row.try_get_unchecked::<f64, _>(i).map_err(get)?),
            "BLOB" => bytes_value(&row.try_get_unchecked::<Vec<u8>, _>(i).map_err(get)?),
            _ => Value::String(row.try_get_unchecked::<String, _>(i).map_err(get)?),
        });
    }
    Ok(out)
}

fn pg_row(row: &sqlx::postgres::PgRow) -> StoreResult<Vec<Value>> {
    let mut out = Vec::with_capacity(row.len());
    for (i, col) in row.columns().iter().enumerate() {
        let get = |e| map_sqlx(e, "reading a value");
        let v = match col.type_info().name() {
            "INT8" => row
                .try_get::<Option<i64>, _>(i)
                .map_err(get)?
                .map(Value::from),
            "INT4" => row
                .try_get::<Option<i32>, _>(i)
                .map_err(get)?
                .map(Value::from),
            "INT2" => row
                .try_get::<Option<i16>, _>(i)
                .map_err(get)?
                .map(Value::from),
            "BOOL" => row
                .try_get::<Option<bool>, _>(i)
                .map_err(get)?
                .map(Value::from),
            "FLOAT8" => row
                .try_get::<Option<f64>, _>(i)
                .map_err(get)?
                .map(float_value),
            "FLOAT4" => row
                .try_get::<Option<f32>, _>(i)
                .map_err(get)?
                .map(|f| float_value(f64::from(f))),
            "TIMESTAMPTZ" => row
                .try_get::<Option<DateTime<Utc>>, _>(i)
                .map_err(get)?
                .map(|t| Value::String(t.to_rfc3339_opts(SecondsFormat::Micros, true))),
            "DATE" => row
                .try_get::<Option<NaiveDate>, _>(i)
                .map_err(get)?
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string())),
            "BYTEA" => row
                .try_get::<Option<Vec<u8>>, _>(i)
                .map_err(get)?
                .map(|b| bytes_value(&b)),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => row
                .try_get::<Option<String>, _>(i)
                .map_err(get)?
                .map(Value::String),
            other => {
                return Err(StoreError::invalid(
                    "database",
                    "unsupported_type",
                    format!(
                        "column {} has type {other}, which the archive cannot hold",
                        col.name()
                    ),
                ))
            }
        };
        out.push(v.unwrap_or(Value::Null));
    }
    Ok(out)
}

struct ArchiveWriter<W: Write> {
    out: W,
    path: PathBuf,
}

impl<W: Write> ArchiveWriter<W> {
    fn line<T: Serialize>(&mut self, v: &T) -> StoreResult<()> {
        serde_json::to_writer(&mut self.out, v)
            .map_err(|e| StoreError::other(format!("writing {}", self.path.display()), e))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| io_error("writing", &self.path, e))
    }
}

const SCHEMA_VERSION: &str =
    "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM _sqlx_migrations WHERE success";

impl SqlStore {
    /// Writes the whole database to a new archive at `path` (never overwritten; removed again if
    /// the export fails).
    pub async fn export_all(&self, path: &Path) -> StoreResult<Transferred> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| io_error("creating", path, e))?;
        let gz = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
        let mut w = ArchiveWriter {
            out: gz,
            path: path.to_owned(),
        };
        let result = self.export_into(&mut w).await;
        let result = match result {
            Ok(t) => w
                .out
                .finish()
                .and_then(|mut b| b.flush())
                .map(|()| t)
                .map_err(|e| io_error("finishing", path, e)),
            Err(e) => Err(e),
        };
        if result.is_err() {
            let _ = std::fs::remove_file(path);
        }
        result
    }

    async fn export_into<W: Write>(&self, w: &mut ArchiveWriter<W>) -> StoreResult<Transferred> {
        let mut summary = Transferred {
            path: w.path.clone(),
            source: String::new(),
            schema_version: 0,
            tables: Vec::new(),
            rows: 0,
        };
        // The same steps on either database; only the connection's type and the way a row's
        // values are read differ.
        macro_rules! export_from {
            ($p:expr, $begin:expr, $source:expr, $catalogue:ident, $target:ident, $row:ident) => {{
                let mut c = $p.acquire().await.map_err(|e| map_sqlx(e, "connecting"))?;
                // Closed afterwards, never back to the pool: a failure leaves its transaction.
                c.close_on_drop();
                // One read transaction: a consistent snapshot while the server writes.
                sqlx::query($begin)
                    .execute(&mut *c)
                    .await
                    .map_err(|e| map_sqlx(e, "beginning the export"))?;
                let cat = $catalogue(&mut c).await?;
                let order = cat.ordered()?;
                summary.source = $source.into();
                summary.schema_version = Target::$target(&mut c).count(SCHEMA_VERSION).await?;
                header(w, &summary, &order)?;
                for table in &order {
                    let info = &cat.tables[table];
                    start(w, table, info)?;
                    let sql = select_all(table, info);
                    let mut rows = sqlx::query(&sql).fetch(&mut *c);
                    let mut n = 0u64;
                    while let Some(row) = rows
                        .try_next()
                        .await
                        .map_err(|e| map_sqlx(e, "reading a table"))?
                    {
                        w.line(&$row(&row)?)?;
                        n += 1;
                    }
                    drop(rows);
                    end(w, table, n, &mut summary)?;
                }
                sqlx::query("COMMIT")
                    .execute(&mut *c)
                    .await
                    .map_err(|e| map_sqlx(e, "ending the export"))?;
            }};
        }
        match &self.pool {
            Pool::Sqlite(p) => {
                export_from!(p, "BEGIN", "sqlite", sqlite_catalogue, Sqlite, sqlite_row)
            }
            Pool::Pg(p) => export_from!(
                p,
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                "postgres",
                pg_catalogue,
                Pg,
                pg_row
            ),
        }
        w.line(&Done {
            done: true,
            tables: summary.tables.len(),
            rows: summary.rows,
        })?;
        Ok(summary)
    }
}

fn header<W: Write>(
    w: &mut ArchiveWriter<W>,
    s: &Transferred,
    order: &[String],
) -> StoreResult<()> {
    w.line(&Header {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        schema_version: s.schema_version,
        source: s.source.clone(),
        exported_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        tables: order.to_vec(),
    })
}

fn start<W: Write>(w: &mut ArchiveWriter<W>, table: &str, info: &TableInfo) -> StoreResult<()> {
    w.line(&TableStart {
        table: table.to_owned(),
        columns: info.columns.clone(),
        types: info.types.clone(),
    })
}

fn end<W: Write>(
    w: &mut ArchiveWriter<W>,
    table: &str,
    n: u64,
    s: &mut Transferred,
) -> StoreResult<()> {
    w.line(&TableEnd {
        end: table.to_owned(),
        rows: n,
    })?;
    s.tables.push(TableRows {
        table: table.to_owned(),
        rows: n,
    });
    s.rows += n;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Import

/// What a column's values are converted to before they are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Text,
    Bool,
    Instant,
    Date,
    Bytes,
    /// SQLite to SQLite: the value as it was.
    AsIs,
}

/// A value ready to bind, typed so that PostgreSQL accepts even a NULL in its column.
#[derive(Debug, Clone)]
enum Bound {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Instant(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Bytes(Option<Vec<u8>>),
}

/// The kind of a PostgreSQL column, from its `udt_name`.
fn pg_kind(ty: &str) -> Option<Kind> {
    Some(match ty {
        "INT8" | "INT4" | "INT2" => Kind::Int,
        "FLOAT8" | "FLOAT4" => Kind::Float,
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Kind::Text,
        "BOOL" => Kind::Bool,
        "TIMESTAMPTZ" => Kind::Instant,
        "DATE" => Kind::Date,
        "BYTEA" => Kind::Bytes,
        _ => return None,
    })
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
}

/// Converts one archive value to `kind`; the error says what was expected and found.
fn convert(v: &Value, kind: Kind) -> Result<Bound, String> {
    let found = || format!("found {v}");
    Ok(match kind {
        Kind::Int => Bound::Int(match v {
            Value::Null => None,
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Number(n) => Some(
                n.as_i64()
                    .ok_or_else(|| format!("expected an integer, {}", found()))?,
            ),
            Value::String(s) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| format!("expected an integer, {}", found()))?,
            ),
            _ => return Err(format!("expected an integer, {}", found())),
        }),
        Kind::Float => Bound::Float(match v {
            Value::Null => None,
            Value::Number(n) => n.as_f64(),
            Value::String(s) => Some(
                s.trim()
                    .parse()
                    .map_err(|_| format!("expected a number, {}", found()))?,
            ),
            _ => return Err(format!("expected a number, {}", found())),
        }),
        Kind::Text => Bound::Text(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => return Err(format!("expected text, {}", found())),
        }),
        Kind::Bool => Bound::Bool(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            _ => return Err(format!("expected a boolean, {}", found())),
        }),
        Kind::Instant => Bound::Instant(match v {
            Value::Null => None,
            Value::String(s) => Some(
                parse_instant(s)
                    .ok_or_else(|| format!("expected an instant (RFC 3339), {}", found()))?,
            ),
            _ => return Err(format!("expected an instant, {}", found())),
        }),
        Kind::Date => Bound::Date(match v {
            Value::Null => None,
            Value::String(s) => Some(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| format!("expected a date (YYYY-MM-DD), {}", found()))?,
            ),
            _ => return Err(format!("expected a date, {}", found())),
        }),
        Kind::Bytes => Bound::Bytes(match v {
            Value::Null => None,
            Value::Object(o) => {
                use base64::Engine;
                let s = o
                    .get("b64")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("expected bytes, {}", found()))?;
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .map_err(|_| format!("expected base64 bytes, {}", found()))?,
                )
            }
            _ => return Err(format!("expected bytes, {}", found())),
        }),
        Kind::AsIs => match v {
            Value::Null => Bound::Text(None),
            Value::Bool(b) => Bound::Int(Some(i64::from(*b))),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Bound::Int(Some(i)),
                None => Bound::Float(n.as_f64()),
            },
            Value::String(s) => Bound::Text(Some(s.clone())),
            Value::Object(_) => convert(v, Kind::Bytes)?,
            Value::Array(_) => return Err(format!("expected a value, {}", found())),
        },
    })
}

/// How one archived table goes into the target.
struct Plan {
    table: String,
    /// Per archive column: its position in the insert, or `None` when the target lacks it
    /// (refused unless the value is NULL).
    columns: Vec<String>,
    kinds: Vec<Kind>,
    /// Archive column indexes inserted as NULL first and set afterwards (PostgreSQL checks a
    /// reference to the same table row by row; a manager may have a higher id).
    deferred: Vec<usize>,
    /// The archive index of the single-column primary key, for the deferred updates.
    key: Option<usize>,
    rows_per_insert: usize,
}

fn plan_table(
    start: &TableStart,
    target: &Catalogue,
    source_is_pg: bool,
    target_is_pg: bool,
) -> Result<Plan, String> {
    let info = target
        .tables
        .get(&start.table)
        .ok_or_else(|| format!("table {} does not exist in this database", start.table))?;
    if start.columns.len() != start.types.len() {
        return Err(format!(
            "table {}: columns and types differ in number",
            start.table
        ));
    }
    let mut kinds = Vec::new();
    for (i, col) in start.columns.iter().enumerate() {
        let Some(pos) = info.columns.iter().position(|c| c == col) else {
            return Err(format!(
                "table {} has no column {col} in this database (is the archive from a newer \
                 Patron?)",
                start.table
            ));
        };
        let kind = if target_is_pg {
            pg_kind(&info.types[pos]).ok_or_else(|| {
                format!(
                    "column {}.{col} has type {}, which the archive cannot fill",
                    start.table, info.types[pos]
                )
            })?
        } else if source_is_pg {
            // Into SQLite as Patron writes it: instants and booleans bound as their types.
            match pg_kind(&start.types[i]) {
                Some(Kind::Instant) => Kind::Instant,
                Some(Kind::Bool) => Kind::Bool,
                Some(Kind::Bytes) => Kind::Bytes,
                _ => Kind::AsIs,
            }
        } else {
            Kind::AsIs
        };
        kinds.push(kind);
    }
    let deferred: Vec<usize> = if target_is_pg {
        info.self_references
            .iter()
            .filter_map(|c| start.columns.iter().position(|a| a == c))
            .collect()
    } else {
        Vec::new()
    };
    let key = match info.primary_key.as_slice() {
        [k] => start.columns.iter().position(|a| a == k),
        _ => None,
    };
    if !deferred.is_empty() && key.is_none() {
        return Err(format!(
            "table {} references itself but has no single-column primary key",
            start.table
        ));
    }
    let rows_per_insert = (MAX_PARAMS / start.columns.len().max(1)).clamp(1, MAX_ROWS_PER_INSERT);
    Ok(Plan {
        table: start.table.clone(),
        columns: start.columns.clone(),
        kinds,
        deferred,
        key,
        rows_per_insert,
    })
}

fn insert_sql(plan: &Plan, rows: usize, pg: bool) -> String {
    let cols = plan
        .columns
        .iter()
        .map(|c| quote(c))
        .collect::<Vec<_>>()
        .join(", ");
    let width = plan.columns.len();
    let mut sql = format!("INSERT INTO {} ({cols}) VALUES ", quote(&plan.table));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            if pg {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

macro_rules! bind_all {
    ($q:expr, $values:expr) => {{
        let mut q = $q;
        for b in $values {
            q = match b {
                Bound::Int(v) => q.bind(v),
                Bound::Float(v) => q.bind(v),
                Bound::Text(v) => q.bind(v),
                Bound::Bool(v) => q.bind(v),
                Bound::Instant(v) => q.bind(v),
                Bound::Date(v) => q.bind(v),
                Bound::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// The target's connection, in the import's transaction.
enum Target<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Pg(&'a mut sqlx::PgConnection),
}

impl Target<'_> {
    async fn exec(&mut self, sql: &str, values: Vec<Bound>) -> StoreResult<()> {
        match self {
            Target::Sqlite(c) => bind_all!(sqlx::query(sql), values)
                .execute(&mut **c)
                .await
                .map(|_| ()),
            Target::Pg(c) => bind_all!(sqlx::query(sql), values)
                .execute(&mut **c)
                .await
                .map(|_| ()),
        }
        .map_err(|e| map_sqlx(e, "importing the archive"))
    }

    async fn count(&mut self, sql: &str) -> StoreResult<i64> {
        match self {
            Target::Sqlite(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **c).await,
            Target::Pg(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut **c).await,
        }
        .map_err(|e| map_sqlx(e, sql))
    }

    fn is_pg(&self) -> bool {
        matches!(self, Target::Pg(_))
    }
}

/// Reads archive lines, counting them for error messages.
struct ArchiveReader<R: BufRead> {
    input: R,
    path: PathBuf,
    line: u64,
    buf: String,
}

impl<R: BufRead> ArchiveReader<R> {
    fn next_line(&mut self) -> StoreResult<Option<&str>> {
        self.buf.clear();
        let n = self.input.read_line(&mut self.buf).map_err(|e| {
            archive_error(&self.path, self.line + 1, format!("cannot be read: {e}"))
        })?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some(self.buf.trim_end_matches(['\n', '\r'])))
    }

    fn expect<T: serde::de::DeserializeOwned>(&mut self, what: &str) -> StoreResult<T> {
        let line = self.line + 1;
        let path = self.path.clone();
        let text = self
            .next_line()?
            .ok_or_else(|| archive_error(&path, line, format!("ends early: expected {what}")))?;
        serde_json::from_str(text)
            .map_err(|e| archive_error(&path, line, format!("expected {what}: {e}")))
    }

    fn err(&self, message: impl Into<String>) -> StoreError {
        archive_error(&self.path, self.line, message)
    }
}

impl SqlStore {
    /// Loads an archive made by [`SqlStore::export_all`] into this database, which must hold no
    /// users, customers or audit records yet: one transaction, so a bad archive changes nothing.
    pub async fn import_all(&self, path: &Path) -> StoreResult<Transferred> {
        let file = std::fs::File::open(path).map_err(|e| io_error("opening", path, e))?;
        let mut r = ArchiveReader {
            input: BufReader::with_capacity(
                1 << 20,
                flate2::read::GzDecoder::new(BufReader::new(file)),
            ),
            path: path.to_owned(),
            line: 0,
            buf: String::new(),
        };
        let header: Header = r.expect("the archive header")?;
        if header.format != FORMAT || header.version != FORMAT_VERSION {
            return Err(r.err(format!(
                "is not a Patron archive of version {FORMAT_VERSION} (format {:?}, version {})",
                header.format, header.version
            )));
        }
        match &self.pool {
            Pool::Sqlite(p) => {
                let mut c = p.acquire().await.map_err(|e| map_sqlx(e, "connecting"))?;
                // Closed afterwards, never back to the pool: a failure leaves its transaction.
                c.close_on_drop();
                let cat = sqlite_catalogue(&mut c).await?;
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut *c)
                    .await
                    .map_err(|e| map_sqlx(e, "beginning the import"))?;
                // Checked at commit: the archive's order satisfies them anyway, but a user who
                // manages someone with a lower id must not depend on it.
                sqlx::query("PRAGMA defer_foreign_keys = ON")
                    .execute(&mut *c)
                    .await
                    .map_err(|e| map_sqlx(e, "deferring foreign keys"))?;
                let version = Target::Sqlite(&mut c).count(SCHEMA_VERSION).await?;
                let out = load(&mut r, &header, &cat, version, Target::Sqlite(&mut c)).await;
                finish(out, &mut Target::Sqlite(&mut c)).await
            }
            Pool::Pg(p) => {
                let mut c = p.acquire().await.map_err(|e| map_sqlx(e, "connecting"))?;
                // Closed afterwards, never back to the pool: a failure leaves its transaction.
                c.close_on_drop();
                let cat = pg_catalogue(&mut c).await?;
                sqlx::query("BEGIN")
                    .execute(&mut *c)
                    .await
                    .map_err(|e| map_sqlx(e, "beginning the import"))?;
                let version = Target::Pg(&mut c).count(SCHEMA_VERSION).await?;
                let out = load(&mut r, &header, &cat, version, Target::Pg(&mut c)).await;
                finish(out, &mut Target::Pg(&mut c)).await
            }
        }
    }
}

/// Commits a successful load (then refreshes the planner's statistics) or rolls a failed one
/// back.
async fn finish(out: StoreResult<Transferred>, t: &mut Target<'_>) -> StoreResult<Transferred> {
    match out {
        Ok(s) => {
            t.exec("COMMIT", Vec::new()).await?;
            t.exec("ANALYZE", Vec::new()).await?;
            Ok(s)
        }
        Err(e) => {
            let _ = t.exec("ROLLBACK", Vec::new()).await;
            Err(e)
        }
    }
}

async fn load<R: BufRead>(
    r: &mut ArchiveReader<R>,
    header: &Header,
    cat: &Catalogue,
    target_version: i64,
    mut t: Target<'_>,
) -> StoreResult<Transferred> {
    if header.schema_version > target_version {
        return Err(r.err(format!(
            "was written by a newer Patron (schema {}; this database has schema {target_version}): \
             upgrade Patron first",
            header.schema_version
        )));
    }
    let held = t
        .count(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM customers) \
                    + (SELECT COUNT(*) FROM audit_log)",
        )
        .await?;
    if held > 0 {
        return Err(StoreError::invalid(
            "database",
            "not_empty",
            "this database already holds users, customers or audit records; import --all fills \
             a new, empty database (point --db at one)",
        ));
    }
    let source_is_pg = header.source == "postgres";
    let target_is_pg = t.is_pg();
    // Rows the migrations seeded (e.g. the churn reasons) give way to the archive's.
    for table in header.tables.iter().rev() {
        if cat.tables.contains_key(table) {
            t.exec(&format!("DELETE FROM {}", quote(table)), Vec::new())
                .await?;
        }
    }
    let mut summary = Transferred {
        path: r.path.clone(),
        source: header.source.clone(),
        schema_version: header.schema_version,
        tables: Vec::new(),
        rows: 0,
    };
    let mut loaded: BTreeSet<String> = BTreeSet::new();
    for expected in &header.tables {
        let start: TableStart = r.expect("a table's header")?;
        if &start.table != expected {
            return Err(r.err(format!(
                "holds table {} where the header announced {expected}",
                start.table
            )));
        }
        if let Some(info) = cat.tables.get(&start.table) {
            if let Some(missing) = info
                .references
                .iter()
                .find(|t| header.tables.contains(t) && !loaded.contains(*t))
            {
                return Err(r.err(format!(
                    "table {} comes before {missing}, which it references",
                    start.table
                )));
            }
        }
        let plan = plan_table(&start, cat, source_is_pg, target_is_pg).map_err(|m| r.err(m))?;
        let n = load_rows(r, &plan, &mut t).await?;
        loaded.insert(start.table.clone());
        summary.tables.push(TableRows {
            table: start.table,
            rows: n,
        });
        summary.rows += n;
        if target_is_pg {
            if let Some(info) = cat.tables.get(&plan.table) {
                for col in &info.identity {
                    t.exec(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{}', '{}'), \
                             COALESCE(MAX({}), 0) + 1, false) FROM {}",
                            plan.table.replace('\'', "''"),
                            col.replace('\'', "''"),
                            quote(col),
                            quote(&plan.table)
                        ),
                        Vec::new(),
                    )
                    .await?;
                }
            }
        }
    }
    let done: Done = r.expect("the archive's end")?;
    if !done.done || done.rows != summary.rows || done.tables != summary.tables.len() {
        return Err(r.err(format!(
            "ends with {} tables and {} rows, but {} tables and {} rows were read",
            done.tables,
            done.rows,
            summary.tables.len(),
            summary.rows
        )));
    }
    Ok(summary)
}

/// Inserts one table's rows, batch by batch, up to its end line; returns how many.
async fn load_rows<R: BufRead>(
    r: &mut ArchiveReader<R>,
    plan: &Plan,
    t: &mut Target<'_>,
) -> StoreResult<u64> {
    let pg = t.is_pg();
    let full_sql = insert_sql(plan, plan.rows_per_insert, pg);
    let width = plan.columns.len();
    let mut batch: Vec<Bound> = Vec::with_capacity(width * plan.rows_per_insert);
    let mut in_batch = 0usize;
    let mut n = 0u64;
    let mut later: Vec<(Bound, Vec<(usize, Bound)>)> = Vec::new();
    loop {
        let line_no = r.line + 1;
        let path = r.path.clone();
        let Some(text) = r.next_line()? else {
            return Err(archive_error(
                &path,
                line_no,
                format!("ends inside table {}", plan.table),
            ));
        };
        if text.starts_with('{') {
            let end: TableEnd = serde_json::from_str(text).map_err(|e| {
                archive_error(
                    &path,
                    line_no,
                    format!("expected a row or the end of table {}: {e}", plan.table),
                )
            })?;
            if end.end != plan.table || end.rows != n {
                return Err(archive_error(
                    &path,
                    line_no,
                    format!(
                        "table {} ends after {n} rows, but its end line says {} of {}",
                        plan.table, end.rows, end.end
                    ),
                ));
            }
            break;
        }
        let row: Vec<Value> = serde_json::from_str(text).map_err(|e| {
            archive_error(
                &path,
                line_no,
                format!("expected a row of table {}: {e}", plan.table),
            )
        })?;
        if row.len() != width {
            return Err(archive_error(
                &path,
                line_no,
                format!(
                    "a row of table {} has {} values for {width} columns",
                    plan.table,
                    row.len()
                ),
            ));
        }
        let mut deferred = Vec::new();
        for (i, v) in row.iter().enumerate() {
            let mut b = convert(v, plan.kinds[i]).map_err(|m| {
                archive_error(
                    &path,
                    line_no,
                    format!("{}.{}: {m}", plan.table, plan.columns[i]),
                )
            })?;
            if plan.deferred.contains(&i) && !v.is_null() {
                deferred.push((i, b));
                b = Bound::Int(None);
            }
            batch.push(b);
        }
        if !deferred.is_empty() {
            if let Some(k) = plan.key {
                let key = convert(&row[k], plan.kinds[k])
                    .map_err(|m| archive_error(&path, line_no, m))?;
                later.push((key, deferred));
            }
        }
        in_batch += 1;
        n += 1;
        if in_batch == plan.rows_per_insert {
            t.exec(&full_sql, std::mem::take(&mut batch)).await?;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        t.exec(&insert_sql(plan, in_batch, pg), batch).await?;
    }
    if let Some(k) = plan.key {
        for (key, sets) in later {
            for (i, value) in sets {
                let sql = format!(
                    "UPDATE {} SET {} = $1 WHERE {} = $2",
                    quote(&plan.table),
                    quote(&plan.columns[i]),
                    quote(&plan.columns[k])
                );
                t.exec(&sql, vec![value, key.clone()]).await?;
            }
        }
    }
    Ok(n)
}

/// Opens the database at `url` and writes it whole to a new archive at `path`.
pub async fn export_all(url: &str, path: &Path) -> StoreResult<Transferred> {
    SqlStore::open(url).await?.export_all(path).await
}

/// Opens (creating and migrating) the database at `url` and loads the archive at `path` into it.
pub async fn import_all(url: &str, path: &Path) -> StoreResult<Transferred> {
    SqlStore::open(url).await?.import_all(path).await
}

/// One value as both databases mean it, for comparing two installations: instants as UTC
/// microseconds, booleans as 0/1, everything else as the archive writes it. `ty` is the
/// PostgreSQL type (from a PostgreSQL archive's header) of the column.
pub fn comparable(v: &Value, pg_type: &str) -> Value {
    match (pg_kind(pg_type), v) {
        (Some(Kind::Instant), Value::String(s)) => parse_instant(s)
            .map(|t| Value::from(t.timestamp_micros()))
            .unwrap_or_else(|| v.clone()),
        (Some(Kind::Bool), Value::Bool(b)) => Value::from(i64::from(*b)),
        _ => v.clone(),
    }
}

/// Every table of an archive, for tests and checks: the header line's source and, per table, its
/// column types and rows.
pub fn read_archive(path: &Path) -> StoreResult<ArchiveContents> {
    let file = std::fs::File::open(path).map_err(|e| io_error("opening", path, e))?;
    let mut r = ArchiveReader {
        input: BufReader::new(flate2::read::GzDecoder::new(BufReader::new(file))),
        path: path.to_owned(),
        line: 0,
        buf: String::new(),
    };
    let header: Header = r.expect("the archive header")?;
    let mut tables = BTreeMap::new();
    for _ in &header.tables {
        let start: TableStart = r.expect("a table's header")?;
        let mut rows = Vec::new();
        loop {
            let line = r.line + 1;
            let text = r
                .next_line()?
                .ok_or_else(|| archive_error(path, line, "ends inside a table"))?
                .to_owned();
            if text.starts_with('{') {
                break;
            }
            rows.push(
                serde_json::from_str::<Vec<Value>>(&text)
                    .map_err(|e| archive_error(path, line, e.to_string()))?,
            );
        }
        tables.insert(
            start.table,
            ArchiveTable {
                columns: start.columns,
                types: start.types,
                rows,
            },
        );
    }
    Ok(ArchiveContents {
        source: header.source,
        schema_version: header.schema_version,
        tables,
    })
}

/// An archive read whole (see [`read_archive`]).
#[derive(Debug, Clone)]
pub struct ArchiveContents {
    pub source: String,
    pub schema_version: i64,
    pub tables: BTreeMap<String, ArchiveTable>,
}

#[derive(Debug, Clone)]
pub struct ArchiveTable {
    pub columns: Vec<String>,
    pub types: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}
