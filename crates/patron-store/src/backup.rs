//! Backup and restore of a SQLite database while Patron serves it (`patron backup FILE`,
//! `patron restore FILE`): a shop's only copy of its archive must be copyable without stopping
//! the shop.
//!
//! - **Backup** is `VACUUM INTO`: one read transaction copies a consistent snapshot of the live
//!   database (WAL readers never block the server's writers, nor are blocked by them), compacted,
//!   into a new file. SQLite's online-backup API would restart its copy every time the server
//!   writes, so under steady traffic it might never finish.
//! - **Restore** checks the file first (integrity check, a Patron schema no newer than this
//!   program's), then copies it into the database through SQLite's online-backup API: the
//!   destination is locked while it is replaced, so a running server's connections see either
//!   the old database or the restored one, never a mix, and need no restart.
//!
//! PostgreSQL has its own tools (`pg_dump`, `pg_basebackup`); these refuse a PostgreSQL URL.

use crate::error::{map_rusqlite, StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a backup or restore copied, as checked afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copied {
    pub path: PathBuf,
    pub bytes: u64,
    /// The latest schema migration in the copy.
    pub schema_version: i64,
    pub customers: i64,
    pub orders: i64,
    pub interactions: i64,
}

fn busy(c: &Connection) -> StoreResult<()> {
    c.busy_timeout(Duration::from_secs(30))
        .map_err(|e| map_rusqlite(e, "setting the busy timeout"))
}

fn the_file(url: &str) -> StoreResult<PathBuf> {
    crate::sqlite_path(url).ok_or_else(|| {
        StoreError::invalid(
            "database",
            "not_sqlite",
            "backup and restore copy SQLite files; back PostgreSQL up with pg_dump or \
             pg_basebackup",
        )
    })
}

/// The newest migration this program knows (a copy from a newer Patron is refused).
fn known_version() -> i64 {
    sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0)
}

/// Opens `path` read-only and checks it: SQLite's integrity check passes and it holds a Patron
/// schema. Returns what it holds.
pub fn check(path: &Path) -> StoreResult<Copied> {
    let what = path.display().to_string();
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| map_rusqlite(e, &format!("opening {what}")))?;
    busy(&c)?;
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| map_rusqlite(e, &format!("checking {what}")))?;
    if ok != "ok" {
        return Err(StoreError::invalid(
            "file",
            "corrupt",
            format!("{what} fails SQLite's integrity check: {ok}"),
        ));
    }
    let version: i64 = c
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
            [],
            |r| r.get(0),
        )
        .map_err(|_| {
            StoreError::invalid(
                "file",
                "not_patron",
                format!("{what} is not a Patron database"),
            )
        })?;
    let count = |table: &str| -> StoreResult<i64> {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| map_rusqlite(e, &format!("counting {table} in {what}")))
    };
    Ok(Copied {
        path: path.to_owned(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        schema_version: version,
        customers: count("customers")?,
        orders: count("orders")?,
        interactions: count("interactions")?,
    })
}

/// Copies the live database at `url` into the new file `to` (which must not exist) and checks
/// the copy.
pub fn backup(url: &str, to: &Path) -> StoreResult<Copied> {
    let db = the_file(url)?;
    if !db.exists() {
        return Err(StoreError::not_found("database file", db.display()));
    }
    if to.exists() {
        return Err(StoreError::conflict(
            Some("file"),
            format!("{} exists; a backup never overwrites a file", to.display()),
        ));
    }
    let target = to.to_str().ok_or_else(|| {
        StoreError::invalid("file", "invalid", "the backup's path must be valid UTF-8")
    })?;
    let c = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| map_rusqlite(e, &format!("opening {}", db.display())))?;
    busy(&c)?;
    c.execute("VACUUM INTO ?1", [target])
        .map_err(|e| map_rusqlite(e, &format!("copying into {target}")))?;
    drop(c);
    check(to)
}

/// Replaces the database at `url` (created if missing) with the backup `from`, after checking
/// the backup; then checks the result.
pub fn restore(url: &str, from: &Path) -> StoreResult<Copied> {
    let db = the_file(url)?;
    let source = check(from)?;
    if source.schema_version > known_version() {
        return Err(StoreError::invalid(
            "file",
            "newer_schema",
            format!(
                "{} was made by a newer Patron (schema {}; this one knows up to {})",
                from.display(),
                source.schema_version,
                known_version()
            ),
        ));
    }
    let mut c =
        Connection::open(&db).map_err(|e| map_rusqlite(e, &format!("opening {}", db.display())))?;
    busy(&c)?;
    c.restore(
        rusqlite::DatabaseName::Main,
        from,
        None::<fn(rusqlite::backup::Progress)>,
    )
    .map_err(|e| map_rusqlite(e, &format!("restoring {}", from.display())))?;
    drop(c);
    let mut out = check(&db)?;
    out.path = db;
    Ok(out)
}
