//! One connection type over both backends.
//!
//! Each store operation is written once against [`Conn`] — the same SQL text (`$1`
//! placeholders, `RETURNING`, `ON CONFLICT` work in both dialects), the same Rust around it — and
//! composes inside a transaction. Where the dialects differ (search, bulk loading) the code
//! matches on the variant explicitly. This keeps the two backends from drifting apart, which a
//! pair of hand-maintained implementations would invite.

use crate::error::{map_rusqlite, map_sqlx, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqliteRow};
use sqlx::{Arguments, FromRow, Postgres, Sqlite, Transaction};

/// A bound parameter value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    I64(Option<i64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Ts(Option<DateTime<Utc>>),
    Bool(Option<bool>),
}

macro_rules! arg_from {
    ($t:ty, $v:ident, $e:expr) => {
        impl From<$t> for Arg {
            fn from($v: $t) -> Self {
                $e
            }
        }
    };
}
arg_from!(i64, v, Arg::I64(Some(v)));
arg_from!(Option<i64>, v, Arg::I64(v));
arg_from!(bool, v, Arg::Bool(Some(v)));
arg_from!(Option<bool>, v, Arg::Bool(v));
arg_from!(String, v, Arg::Text(Some(v)));
arg_from!(Option<String>, v, Arg::Text(v));
arg_from!(&str, v, Arg::Text(Some(v.to_owned())));
arg_from!(&String, v, Arg::Text(Some(v.clone())));
arg_from!(Option<&str>, v, Arg::Text(v.map(str::to_owned)));
arg_from!(&Option<String>, v, Arg::Text(v.clone()));
arg_from!(NaiveDate, v, Arg::Date(Some(v)));
arg_from!(Option<NaiveDate>, v, Arg::Date(v));
arg_from!(DateTime<Utc>, v, Arg::Ts(Some(v)));
arg_from!(Option<DateTime<Utc>>, v, Arg::Ts(v));

/// Builds an argument list: `args![a, b, c]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$($crate::sql::conn::Arg::from($e)),*] };
}
pub(crate) use args;

/// Binds the values in order into either backend's argument buffer.
fn build_args<'q, DB: sqlx::Database>(args: Vec<Arg>) -> StoreResult<DB::Arguments<'q>>
where
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<DateTime<Utc>>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut a = DB::Arguments::<'q>::default();
    a.reserve(args.len(), 0);
    for v in args {
        let r = match v {
            Arg::I64(v) => a.add(v),
            Arg::Text(v) => a.add(v),
            Arg::Date(v) => a.add(v),
            Arg::Ts(v) => a.add(v),
            Arg::Bool(v) => a.add(v),
        };
        r.map_err(|e| crate::StoreError::Other {
            context: "binding a parameter".into(),
            source: e,
        })?;
    }
    Ok(a)
}

fn sqlite_args(args: Vec<Arg>) -> StoreResult<SqliteArguments<'static>> {
    build_args::<Sqlite>(args)
}

fn pg_args(args: Vec<Arg>) -> StoreResult<PgArguments> {
    build_args::<Postgres>(args)
}

/// A row type readable on the inline SQLite connection (see [`super::inline`]):
/// `#[derive(patron_store_derive::InlineRow)]` beside `#[derive(sqlx::FromRow)]`; tuples of
/// values read by position.
pub(crate) trait InlineRow: Sized {
    /// How many columns the type reads: where the next type's columns begin in a [`Both`] row.
    const COLUMNS: usize;
    /// Reads the type from the columns that begin at `first`.
    fn from_inline_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self>;
    fn from_inline(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Self::from_inline_at(row, 0)
    }
}

macro_rules! inline_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: super::inline::InlineValue),+> InlineRow for ($($t,)+) {
            const COLUMNS: usize = [$($i),+].len();
            fn from_inline_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
                Ok(($(super::inline::at::<$t>(row, first + $i)?,)+))
            }
        }
    };
}
inline_tuple!(A 0);
inline_tuple!(A 0, B 1);
inline_tuple!(A 0, B 1, C 2);
inline_tuple!(A 0, B 1, C 2, D 3);
inline_tuple!(A 0, B 1, C 2, D 3, E 4);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
inline_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

/// Two row types read from one row, `A`'s columns first and then `B`'s (with distinct names): a
/// join read in one statement instead of two.
pub(crate) struct Both<A, B>(pub A, pub B);

impl<'r, R: sqlx::Row, A: FromRow<'r, R>, B: FromRow<'r, R>> FromRow<'r, R> for Both<A, B> {
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Both(A::from_row(row)?, B::from_row(row)?))
    }
}

impl<A: InlineRow, B: InlineRow> InlineRow for Both<A, B> {
    const COLUMNS: usize = A::COLUMNS + B::COLUMNS;
    fn from_inline_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(Both(
            A::from_inline_at(row, first)?,
            B::from_inline_at(row, first + A::COLUMNS)?,
        ))
    }
}

/// A row type readable on every connection: both backends through sqlx
/// (`#[derive(sqlx::FromRow)]` gives both) and the inline SQLite connection.
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + InlineRow + Send + Unpin
{
}
impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + InlineRow + Send + Unpin
{
}

/// A borrowed connection of either backend.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
    /// A read-only SQLite connection on the calling thread (see [`super::inline`]): the SQLite
    /// dialect, without sqlx's worker thread. Only for short reads.
    Inline(&'a mut rusqlite::Connection),
}

impl Conn<'_> {
    /// Whether the statements are SQLite's (the sqlx connection or the inline one).
    pub(crate) fn is_sqlite(&self) -> bool {
        matches!(self, Conn::Sqlite(_) | Conn::Inline(_))
    }

    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<u64> {
        let r = match self {
            Conn::Sqlite(c) => sqlx::query_with(sql, sqlite_args(args)?)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected()),
            Conn::Pg(c) => sqlx::query_with(sql, pg_args(args)?)
                .execute(&mut **c)
                .await
                .map(|r| r.rows_affected()),
            Conn::Inline(db) => {
                return super::inline::execute(db, sql, &args)
                    .map_err(|e| map_rusqlite(e, sql_head(sql)))
            }
        };
        r.map_err(|e| map_sqlx(e, sql_head(sql)))
    }

    pub(crate) async fn fetch_all<T: Row>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> StoreResult<Vec<T>> {
        let r = match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with::<Sqlite, T, _>(sql, sqlite_args(args)?)
                    .fetch_all(&mut **c)
                    .await
            }
            Conn::Pg(c) => {
                sqlx::query_as_with::<Postgres, T, _>(sql, pg_args(args)?)
                    .fetch_all(&mut **c)
                    .await
            }
            Conn::Inline(db) => {
                return super::inline::fetch(db, sql, &args, T::from_inline)
                    .map_err(|e| map_rusqlite(e, sql_head(sql)))
            }
        };
        r.map_err(|e| map_sqlx(e, sql_head(sql)))
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> StoreResult<Option<T>> {
        let r = match self {
            Conn::Sqlite(c) => {
                sqlx::query_as_with::<Sqlite, T, _>(sql, sqlite_args(args)?)
                    .fetch_optional(&mut **c)
                    .await
            }
            Conn::Pg(c) => {
                sqlx::query_as_with::<Postgres, T, _>(sql, pg_args(args)?)
                    .fetch_optional(&mut **c)
                    .await
            }
            Conn::Inline(db) => {
                return super::inline::fetch_first(db, sql, &args, T::from_inline)
                    .map_err(|e| map_rusqlite(e, sql_head(sql)))
            }
        };
        r.map_err(|e| map_sqlx(e, sql_head(sql)))
    }

    /// The single value of a one-row, one-column query (`COUNT(*)`, `RETURNING id`).
    pub(crate) async fn scalar_i64(&mut self, sql: &str, args: Vec<Arg>) -> StoreResult<i64> {
        let row: Option<(i64,)> = self.fetch_optional(sql, args).await?;
        row.map(|r| r.0).ok_or_else(|| crate::StoreError::Other {
            context: format!("{} returned no row", sql_head(sql)),
            source: "empty result".into(),
        })
    }
}

/// The error of a write asked of the inline connection, which only reads.
pub(crate) fn read_only(what: &str) -> crate::StoreError {
    crate::StoreError::Other {
        context: format!("{what} on the inline connection"),
        source: "the inline connection only reads".into(),
    }
}

/// The start of a statement, for error context without dumping whole queries into logs.
fn sql_head(sql: &str) -> &str {
    let t = sql.trim_start();
    let end = t.char_indices().nth(60).map(|(i, _)| i).unwrap_or(t.len());
    &t[..end]
}

/// A transaction of either backend. Dropped without [`Tx::commit`], it rolls back.
pub(crate) enum Tx {
    /// With its place in the store's write gate (released when the transaction ends).
    Sqlite(
        Transaction<'static, Sqlite>,
        Option<tokio::sync::OwnedMutexGuard<()>>,
    ),
    Pg(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(t, _) => Conn::Sqlite(t),
            Tx::Pg(t) => Conn::Pg(t),
        }
    }

    pub(crate) async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t, _gate) => t.commit().await,
            Tx::Pg(t) => t.commit().await,
        }
        .map_err(|e| map_sqlx(e, "commit"))
    }

    pub(crate) async fn rollback(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t, _gate) => t.rollback().await,
            Tx::Pg(t) => t.rollback().await,
        }
        .map_err(|e| map_sqlx(e, "rollback"))
    }
}

/// A pooled connection of either backend (for reads that need several statements).
pub(crate) enum PoolConn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Pg(sqlx::pool::PoolConnection<Postgres>),
}

impl PoolConn {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            PoolConn::Sqlite(c) => Conn::Sqlite(c),
            PoolConn::Pg(c) => Conn::Pg(c),
        }
    }
}

/// A connection for a short read (see [`super::SqlStore::quick_read`]).
pub(crate) enum QuickRead<'p> {
    Inline(super::inline::InlineConn<'p>),
    Pool(PoolConn),
}

impl QuickRead<'_> {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            QuickRead::Inline(c) => c.conn(),
            QuickRead::Pool(c) => c.conn(),
        }
    }
}

/// A connection for reads through indexes (see [`super::SqlStore::index_read`]): on PostgreSQL
/// a transaction carrying planner settings, ended by [`IndexRead::finish`] (dropped, it rolls
/// back).
pub(crate) enum IndexRead {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl IndexRead {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            IndexRead::Sqlite(c) => Conn::Sqlite(c),
            IndexRead::Pg(t) => Conn::Pg(t),
        }
    }

    /// Ends the read, keeping what it wrote (a cache the read filled in).
    pub(crate) async fn finish(self) -> StoreResult<()> {
        match self {
            IndexRead::Sqlite(_) => Ok(()),
            IndexRead::Pg(t) => t.commit().await.map_err(|e| map_sqlx(e, "commit")),
        }
    }
}
