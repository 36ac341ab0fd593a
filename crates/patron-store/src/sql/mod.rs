//! The SQL implementation of [`Store`] for SQLite and PostgreSQL.

use crate::error::*;
use crate::store::Store;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

mod accounts;
mod after_sales;
mod analytics;
mod audit;
pub(crate) mod bulk;
pub(crate) mod bulk_load;
mod churn;
mod classes;
mod complaints;
pub(crate) mod conn;
mod contact;
mod credit;
pub(crate) mod cursor;
mod customers;
mod dedupe;
mod import_apply;
mod import_orders;
mod indicators;
pub(crate) mod inline;
mod key_accounts;
mod lists;
mod order_scan;
mod plans;
mod promotions;
mod purchase_folds;
mod raw_insert;
mod records;
mod requests;
mod rows;
mod satisfaction;
mod store_impl;
mod surveys;
mod table_rewrite;
mod touch;
pub mod transfer;

use conn::{PoolConn, Tx};

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// How much of a SQLite database file each connection maps into memory:
/// `PATRON_SQLITE_MMAP_MB` (0 switches the map off), else [`DEFAULT_SQLITE_MMAP_MB`].
fn sqlite_mmap_bytes() -> StoreResult<u64> {
    mmap_bytes(std::env::var("PATRON_SQLITE_MMAP_MB").ok().as_deref())
}

fn mmap_bytes(setting: Option<&str>) -> StoreResult<u64> {
    let mb = match setting {
        Some(v) => v.trim().parse::<u64>().map_err(|_| {
            StoreError::other(
                "reading PATRON_SQLITE_MMAP_MB",
                std::io::Error::other(format!("'{v}' is not a whole number of MiB")),
            )
        })?,
        None => DEFAULT_SQLITE_MMAP_MB,
    };
    Ok(mb.saturating_mul(1024 * 1024))
}

/// The whole file: SQLite maps no more than the file's length, and its compile-time ceiling is
/// raised to this (`.cargo/config.toml`; SQLite's own default ceiling is 2 GiB, and a larger
/// database then read its tail through the small page cache).
pub const DEFAULT_SQLITE_MMAP_MB: u64 = 256 * 1024;

/// The store over either database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: Pool,
    /// SQLite admits one writer at a time. Writers of this process queue here, in order, for
    /// the lock instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms:
    /// under concurrent writes that made the slowest 1% wait 250–550 ms behind a 5 ms median.
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// A SQLite file's inline read connections (see [`inline`]); `None` on PostgreSQL and for
    /// an in-memory database.
    inline: Option<Arc<inline::InlinePool>>,
}

/// How long a writer waits in [`SqlStore::write_gate`] before it goes to SQLite's own busy
/// handler (whose timeout then applies as before): a long import holds the lock for minutes.
const WRITE_GATE_WAIT: Duration = Duration::from_secs(10);

/// PostgreSQL's planner settings for [`SqlStore::index_read`], local to its transaction.
/// - `random_page_cost` 1.1, as PostgreSQL's documentation suggests for solid-state disks or
///   data in memory, instead of the default 4 (a spinning disk). With 4, the representative's
///   held customers at 1,000,000 customers (1,812 found through the owner index) were joined to
///   their classes by reading all 1,000,000 class rows (134-164 ms) instead of 1,812 key
///   lookups (10 ms).
/// - `plan_cache_mode` `force_custom_plan`: each statement planned for its arguments. After five
///   runs PostgreSQL may keep a generic plan made without them, and for statements filtered by
///   one user's id that plan expects the user to hold a seventh of the archive (980 ms in psql,
///   against 15 ms planned for the user).
/// - `jit` off: a read of a few thousand rows never repays compiling (726 ms of those 980).
const PG_INDEX_READ: &str = "SET LOCAL random_page_cost = 1.1; \
    SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off";

/// Opens (creating if needed) the database at `url` — `sqlite://FILE` (or a bare path) or
/// `postgres://…` — and brings its schema up to date.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::open(url).await?))
}

impl SqlStore {
    pub async fn open(url: &str) -> StoreResult<SqlStore> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::other("parsing the PostgreSQL URL", e))?
                .application_name("patron");
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::other("connecting to PostgreSQL", e))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(|e| StoreError::other("migrating the PostgreSQL schema", e))?;
            SqlStore {
                pool: Pool::Pg(pool),
                write_gate: Arc::default(),
                inline: None,
            }
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            let mmap = sqlite_mmap_bytes()?;
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit the API acknowledged survives a power cut, not only a crash.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 8 MiB of page cache per connection (SQLite's default is 2 MiB): reads come
                // through the memory map below and need no copy in the cache, so a larger cache
                // only held the pages of the last big scan, per connection, in the heap — at
                // 1,000,000 customers that was most of the server's anonymous memory.
                .pragma("cache_size", "-8192")
                // Reads through a memory map share the operating system's cache among the
                // pool's connections (each has its own page cache, cold on a connection the
                // last request did not use) and skip a system call per page: the agenda's and
                // customer pages' scattered row reads of a large archive. The whole file: a
                // cap below its size (SQLite's own default is 2 GiB) sent the tail of a
                // 4.7 GB archive through the 8 MiB caches above, one `pread` per page.
                .pragma("mmap_size", mmap.to_string());
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::other(format!("opening SQLite database {path}"), e))?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .map_err(|e| StoreError::other("migrating the SQLite schema", e))?;
            SqlStore {
                pool: Pool::Sqlite(pool),
                write_gate: Arc::default(),
                inline: inline::InlinePool::new(path).map(Arc::new),
            }
        };
        Ok(store)
    }

    pub fn pool_status(&self) -> PoolStatus {
        let (size, idle, max) = match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
            Pool::Pg(p) => (p.size(), p.num_idle(), p.options().get_max_connections()),
        };
        PoolStatus {
            open: size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Pg(_) => Backend::Postgres,
        }
    }

    /// A connection for reads.
    pub(crate) async fn acquire(&self) -> StoreResult<PoolConn> {
        match &self.pool {
            Pool::Sqlite(p) => p.acquire().await.map(PoolConn::Sqlite),
            Pool::Pg(p) => p.acquire().await.map(PoolConn::Pg),
        }
        .map_err(|e| map_sqlx(e, "acquiring a connection"))
    }

    /// A connection for a short read of a few rows found by key, as every request makes (the
    /// caller's token, a scope check, the customer overview): on a SQLite file the inline
    /// connection (see [`inline`]), which runs the statements on this thread instead of handing
    /// each to sqlx's worker thread; else, or when no inline connection opens, a pooled one.
    pub(crate) async fn quick_read(&self) -> StoreResult<conn::QuickRead<'_>> {
        if let Some(pool) = &self.inline {
            match pool.get() {
                Ok(c) => return Ok(conn::QuickRead::Inline(c)),
                Err(e) => tracing::debug!(error = %e, "no inline reader; reading on the pool"),
            }
        }
        Ok(conn::QuickRead::Pool(self.acquire().await?))
    }

    /// Runs `read` on an inline connection on the runtime's blocking threads, for a read that
    /// may take longer than a few lookups (a page of search results): the whole read is one
    /// hand-off to another thread, instead of one per statement and per row on sqlx's worker
    /// thread, and it never holds the runtime's own thread. `None` when the store has no inline
    /// connections (PostgreSQL, an in-memory database) or none opens: the caller reads on the
    /// pool.
    pub(crate) async fn off_thread_read<T, F>(&self, read: F) -> Option<StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut inline::InlineConn<'_>) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.inline.clone()?;
        let permit = match pool.off_thread.clone().acquire_owned().await {
            Ok(p) => p,
            Err(e) => return Some(Err(StoreError::other("waiting for a blocking reader", e))),
        };
        let done = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match pool.get() {
                Ok(mut c) => Some(read(&mut c)),
                Err(e) => {
                    tracing::debug!(error = %e, "no inline reader; reading on the pool");
                    None
                }
            }
        })
        .await;
        match done {
            Ok(read) => read,
            Err(e) => Some(Err(StoreError::other("reading on a blocking thread", e))),
        }
    }

    /// A connection for reads that go through indexes to a few thousand rows (the agenda's).
    /// On PostgreSQL it is a transaction whose planner settings say so (see
    /// [`PG_INDEX_READ`]); on SQLite, whose planner has no such costs, a pooled connection.
    /// Like [`SqlStore::begin`], the `BEGIN` runs in a task of its own, so a request dropped
    /// mid-await cannot leave a pooled connection inside a transaction.
    pub(crate) async fn index_read(&self) -> StoreResult<conn::IndexRead> {
        match &self.pool {
            Pool::Sqlite(p) => p
                .acquire()
                .await
                .map(conn::IndexRead::Sqlite)
                .map_err(|e| map_sqlx(e, "acquiring a connection")),
            Pool::Pg(p) => {
                let p = p.clone();
                tokio::spawn(async move {
                    let mut tx = p.begin().await?;
                    sqlx::Executor::execute(&mut *tx, PG_INDEX_READ).await?;
                    Ok::<_, sqlx::Error>(conn::IndexRead::Pg(tx))
                })
                .await
                .map_err(|e| StoreError::other("beginning an index read", e))?
                .map_err(|e| map_sqlx(e, "beginning an index read"))
            }
        }
    }

    /// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front,
    /// so a transaction that reads before writing waits for other writers instead of failing with
    /// a busy-snapshot error halfway.
    ///
    /// The `BEGIN` runs in a task of its own: a request whose client goes away is dropped
    /// mid-await, and a `BEGIN` dropped after the database ran it but before sqlx handed out the
    /// transaction left the pooled connection inside a transaction nobody would end — holding
    /// SQLite's write lock, failing every later `BEGIN` on it ("non-zero transaction depth").
    /// The task always receives the transaction; if nobody awaits it any more, dropping it rolls
    /// back.
    pub(crate) async fn begin(&self) -> StoreResult<Tx> {
        let pool = self.pool.clone();
        let gate = match pool {
            // Past the wait (a writer that holds the lock for long), SQLite's busy handler
            // decides as it did before there was a gate.
            Pool::Sqlite(_) => {
                tokio::time::timeout(WRITE_GATE_WAIT, self.write_gate.clone().lock_owned())
                    .await
                    .ok()
            }
            Pool::Pg(_) => None,
        };
        tokio::spawn(async move {
            match pool {
                Pool::Sqlite(p) => p
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map(|t| Tx::Sqlite(t, gate)),
                Pool::Pg(p) => p.begin().await.map(Tx::Pg),
            }
        })
        .await
        .map_err(|e| StoreError::other("beginning a transaction", e))?
        .map_err(|e| map_sqlx(e, "beginning a transaction"))
    }
}

/// The current instant at the precision both databases keep (microseconds), so what a write
/// returns equals what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Clamps a requested page size.
pub(crate) fn page_limit(limit: Option<u32>) -> i64 {
    i64::from(
        limit
            .unwrap_or(crate::query::DEFAULT_LIMIT)
            .clamp(1, crate::query::MAX_LIMIT),
    )
}

/// Placeholders for a statement whose only parameters are `n` values (an `IN (…)` list, a row).
/// SQLite gets anonymous `?`: for numbered ones sqlx asks SQLite each parameter's name, which
/// SQLite finds by walking a list — quadratic in the statement's parameter count.
pub(crate) fn placeholders(c: &conn::Conn<'_>, n: usize) -> String {
    if c.is_sqlite() {
        vec!["?"; n].join(",")
    } else {
        (1..=n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A connection pool's state (see [`crate::Store::pool_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The SQLite file a `sqlite://` URL (or bare path) names; `None` for PostgreSQL URLs.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let p = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    Some(std::path::PathBuf::from(p.split('?').next().unwrap_or(p)))
}

/// Removes every table of the database at `url` so a fresh schema can be created (used by
/// `patron demo`, which refuses to call it on a database that holds real data).
pub async fn wipe_database(url: &str) -> StoreResult<()> {
    match sqlite_path(url) {
        Some(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(StoreError::other(format!("removing {}", path.display()), e))
                    }
                }
            }
            Ok(())
        }
        None => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| StoreError::other("connecting to PostgreSQL", e))?;
            for stmt in [
                "DROP SCHEMA IF EXISTS public CASCADE",
                "CREATE SCHEMA public",
            ] {
                sqlx::query(stmt)
                    .execute(&mut c)
                    .await
                    .map_err(|e| map_sqlx(e, stmt))?;
            }
            let _ = c.close().await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_map_setting_is_mib_and_refuses_anything_else() {
        assert_eq!(
            mmap_bytes(None).ok(),
            Some(DEFAULT_SQLITE_MMAP_MB * 1024 * 1024)
        );
        assert_eq!(mmap_bytes(Some("0")).ok(), Some(0));
        assert_eq!(mmap_bytes(Some(" 256 ")).ok(), Some(256 * 1024 * 1024));
        for bad in ["", "-1", "2GB", "1.5"] {
            let e = mmap_bytes(Some(bad)).expect_err(bad).to_string();
            assert!(e.contains("PATRON_SQLITE_MMAP_MB"), "{e}");
        }
    }
}
