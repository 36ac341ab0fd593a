//! The inline read connection of a SQLite store: rusqlite on the calling thread.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every statement is a message
//! to that thread, and every row a message back, each a thread wake-up. The customer overview
//! is ten statements (the caller's token, the scope check, the card, its tags, custom values and
//! background, the key persons, the interactions, the order summary), so on a large archive it
//! spent most of its time handing work between threads, not in SQLite (7,500 overviews/s against
//! 93,000 for a constant answer through the same server). For reads of a few rows found by key,
//! an inline connection runs the same statements (the same SQL, the same row types through
//! `#[derive(InlineRow)]`) directly where the request is, with SQLite's statements prepared
//! once per connection and reads through the memory-mapped file: microseconds, no hand-off.
//!
//! Only short reads use it: they run on the async runtime's thread and must not hold it. Writes
//! and long reads stay on sqlx's pool. Values are decoded as sqlx decodes SQLite's values
//! ([`InlineValue`]), so a row reads the same on either connection.

use super::conn::Arg;
use crate::error::{map_rusqlite, StoreResult};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use rusqlite::types::{FromSqlError, ValueRef};
use std::sync::Mutex;

/// A value readable from an inline row, decoded as sqlx-sqlite decodes it (SQLite's own
/// conversions for numbers and text; the date-time formats sqlx accepts).
pub(crate) trait InlineValue: Sized {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError>;
}

/// The text SQLite would give for a value (`sqlite3_value_text`).
fn text_of(v: ValueRef<'_>) -> Result<String, FromSqlError> {
    Ok(match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            String::from_utf8(t.to_vec()).map_err(|e| FromSqlError::Other(Box::new(e)))?
        }
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Null => return Err(FromSqlError::InvalidType),
    })
}

/// A text read as a number, as near to SQLite's reading as the row types need (0 when it is
/// none).
fn number_of(t: &[u8]) -> f64 {
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

impl InlineValue for i64 {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match v {
            ValueRef::Integer(i) => Ok(i),
            #[allow(clippy::cast_possible_truncation)]
            ValueRef::Real(r) => Ok(r as i64),
            ValueRef::Text(t) => {
                let s = std::str::from_utf8(t).unwrap_or("").trim();
                #[allow(clippy::cast_possible_truncation)]
                Ok(s.parse::<i64>().unwrap_or_else(|_| number_of(t) as i64))
            }
            ValueRef::Null | ValueRef::Blob(_) => Err(FromSqlError::InvalidType),
        }
    }
}

impl InlineValue for i32 {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        let i = i64::from_value(v)?;
        i32::try_from(i).map_err(|_| FromSqlError::OutOfRange(i))
    }
}

impl InlineValue for f64 {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match v {
            #[allow(clippy::cast_precision_loss)]
            ValueRef::Integer(i) => Ok(i as f64),
            ValueRef::Real(r) => Ok(r),
            ValueRef::Text(t) => Ok(number_of(t)),
            ValueRef::Null | ValueRef::Blob(_) => Err(FromSqlError::InvalidType),
        }
    }
}

impl InlineValue for bool {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        Ok(i64::from_value(v)? != 0)
    }
}

impl InlineValue for String {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        text_of(v)
    }
}

impl InlineValue for NaiveDate {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        if let ValueRef::Text(t) = v {
            if let Some(d) = iso_date(t) {
                return Ok(d);
            }
        }
        NaiveDate::parse_from_str(&text_of(v)?, "%F").map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A date stored as `YYYY-MM-DD`, as every date is written, read without a format string (a
/// `%F` parse interprets its format on every call, and an overview reads a dozen dates); `None`
/// for anything else, which the general parse then reads or refuses.
fn iso_date(t: &[u8]) -> Option<NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *t else {
        return None;
    };
    let digit = |b: u8| b.is_ascii_digit().then(|| u32::from(b - b'0'));
    let year = [y0, y1, y2, y3]
        .into_iter()
        .try_fold(0u32, |n, b| Some(n * 10 + digit(b)?))?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The text forms of a date-time that sqlx-sqlite reads, after RFC 3339.
const DATE_TIME_FORMATS: [&str; 12] = [
    "%F %T%.f",
    "%F %R",
    "%F %RZ",
    "%F %R%:z",
    "%F %T%.fZ",
    "%F %T%.f%:z",
    "%FT%R",
    "%FT%RZ",
    "%FT%R%:z",
    "%FT%T%.f",
    "%FT%T%.fZ",
    "%FT%T%.f%:z",
];

fn date_time_from_text(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    DATE_TIME_FORMATS.iter().find_map(|f| {
        DateTime::parse_from_str(s, f).ok().or_else(|| {
            NaiveDateTime::parse_from_str(s, f)
                .ok()
                .map(|dt| Utc.fix().from_utc_datetime(&dt))
        })
    })
}

impl InlineValue for DateTime<Utc> {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        let dt = match v {
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(date_time_from_text),
            ValueRef::Integer(i) => Utc.fix().timestamp_opt(i, 0).single(),
            ValueRef::Real(days) => {
                // A Julian day number, as sqlx reads a REAL.
                let secs = (days - 2_440_587.5) * 86_400.0;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                secs.is_finite()
                    .then(|| {
                        Utc.fix()
                            .timestamp_opt(secs.trunc() as i64, (secs.fract() * 1e9).abs() as u32)
                            .single()
                    })
                    .flatten()
            }
            ValueRef::Null | ValueRef::Blob(_) => None,
        };
        dt.map(|d| d.with_timezone(&Utc))
            .ok_or(FromSqlError::InvalidType)
    }
}

impl<T: InlineValue> InlineValue for Option<T> {
    fn from_value(v: ValueRef<'_>) -> Result<Self, FromSqlError> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// The column `name` of `row` (the derive's reader), looked for first at `hint` (the field's
/// position in its row type) and then by name. Why: a search by name compares with every column
/// before it, for every field of every row (3% of the server's time under the overview's load),
/// and the queries select the columns in the order of the fields. Taking the hint assumes no
/// column before it has the same name (a query's column names are distinct); debug builds, so
/// the whole test suite, check it.
pub(crate) fn column<T: InlineValue>(
    row: &rusqlite::Row<'_>,
    name: &str,
    hint: usize,
) -> rusqlite::Result<T> {
    let st = row.as_ref();
    let named = |i: usize| {
        st.column_name(i)
            .is_ok_and(|n| n.eq_ignore_ascii_case(name))
    };
    if hint < st.column_count() && named(hint) {
        debug_assert!(
            !(0..hint).any(named),
            "column {name} appears twice in {:?}",
            st.column_names()
        );
        return at(row, hint);
    }
    let i = st.column_index(name)?;
    at(row, i)
}

/// The column at `i` of `row` (tuples read by position).
pub(crate) fn at<T: InlineValue>(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<T> {
    let v = row.get_ref(i)?;
    let ty = v.data_type();
    T::from_value(v).map_err(|e| match e {
        FromSqlError::InvalidType => rusqlite::Error::InvalidColumnType(
            i,
            row.as_ref().column_name(i).unwrap_or("?").to_owned(),
            ty,
        ),
        FromSqlError::OutOfRange(n) => rusqlite::Error::IntegralValueOutOfRange(i, n),
        e => rusqlite::Error::FromSqlConversionFailure(i, ty, Box::new(e)),
    })
}

/// Binds `args` to a statement written with `$N` placeholders, as sqlx-sqlite binds them: the
/// parameter named `$N` (or `?N`) takes the N-th value, wherever it stands and however often;
/// dates and date-times as the text sqlx writes.
pub(crate) fn bind(st: &mut rusqlite::Statement<'_>, args: &[Arg]) -> rusqlite::Result<()> {
    for i in 1..=st.parameter_count() {
        let n = st
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$').or_else(|| name.strip_prefix('?')))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(i);
        let Some(arg) = args.get(n.wrapping_sub(1)) else {
            return Err(rusqlite::Error::InvalidParameterCount(n, args.len()));
        };
        match arg {
            Arg::I64(v) => st.raw_bind_parameter(i, v)?,
            Arg::Text(v) => st.raw_bind_parameter(i, v)?,
            Arg::Bool(v) => st.raw_bind_parameter(i, v)?,
            Arg::Date(v) => st.raw_bind_parameter(i, v.map(|d| d.format("%F").to_string()))?,
            Arg::Ts(v) => st.raw_bind_parameter(
                i,
                v.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)),
            )?,
        }
    }
    Ok(())
}

/// Runs `sql` with `args` on `db` and reads every row with `read`.
pub(crate) fn fetch<T>(
    db: &rusqlite::Connection,
    sql: &str,
    args: &[Arg],
    mut read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut st = db.prepare_cached(sql)?;
    bind(&mut st, args)?;
    let mut rows = st.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(r)?);
    }
    Ok(out)
}

/// Runs `sql` with `args` on `db` and reads its first row with `read`, if there is one.
pub(crate) fn fetch_first<T>(
    db: &rusqlite::Connection,
    sql: &str,
    args: &[Arg],
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut st = db.prepare_cached(sql)?;
    bind(&mut st, args)?;
    let mut rows = st.raw_query();
    rows.next()?.map(read).transpose()
}

/// Runs a statement that returns no rows; the number of rows it changed.
pub(crate) fn execute(db: &rusqlite::Connection, sql: &str, args: &[Arg]) -> rusqlite::Result<u64> {
    let mut st = db.prepare_cached(sql)?;
    bind(&mut st, args)?;
    let n = st.raw_execute()?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}

/// A store's idle inline connections to its database file. A read takes one (opening one when
/// none is idle: at most as many are open as reads ran at once, one per runtime thread as reads
/// never wait while holding one) and gives it back when done.
#[derive(Debug)]
pub(crate) struct InlinePool {
    path: String,
    idle: Mutex<Vec<rusqlite::Connection>>,
    /// Reads on the blocking threads at once (see `SqlStore::off_thread_read`). Without a
    /// bound, 64 concurrent searches took 64 blocking threads and opened a connection each
    /// beyond the idle ones kept, on two cores.
    pub(crate) off_thread: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Reads on the blocking threads at once: as many as the pool's sqlx connections.
const OFF_THREAD_READS: usize = 8;

/// More idle connections than this are closed when given back (each keeps its own page cache
/// and prepared statements): the reads on the blocking threads and one per runtime thread.
const MAX_IDLE: usize = 16;

impl InlinePool {
    /// A pool for the database file at `path`; `None` for an in-memory database, which no
    /// second connection can open.
    pub(crate) fn new(path: &str) -> Option<InlinePool> {
        let in_memory = path.is_empty() || path == ":memory:" || path.contains("mode=memory");
        (!in_memory).then(|| InlinePool {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            off_thread: std::sync::Arc::new(tokio::sync::Semaphore::new(OFF_THREAD_READS)),
        })
    }

    /// Closes the idle connections (a large import leaves WAL only when it is the file's sole
    /// connection).
    pub(crate) fn close_idle(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    /// An inline connection: an idle one, or a new one, in a read transaction that ends when
    /// it is given back.
    ///
    /// Why a transaction: outside one, SQLite takes and releases its shared lock for every
    /// statement (a mutex and `fcntl` calls each way), and perf put 18% of the server's samples
    /// under the customer overview's load there, its nine statements each locking on their own.
    /// `BEGIN` takes no lock; the first statement takes it and it is kept until the end, so the
    /// read's statements also see one snapshot of the file.
    pub(crate) fn get(&self) -> StoreResult<InlineConn<'_>> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let db = match idle {
            Some(db) => db,
            // A reader in WAL mode waits only while another connection recovers the log;
            // this one must not hold the runtime's thread long.
            None => open_reader(&self.path, std::time::Duration::from_millis(200))?,
        };
        execute(&db, "BEGIN", &[]).map_err(|e| map_rusqlite(e, "beginning an inline read"))?;
        Ok(InlineConn {
            db: Some(db),
            pool: self,
        })
    }
}

/// A read-only connection to the database file at `path`, tuned as the pool's connections for
/// reading (the memory map, the page cache), waiting up to `busy` for a lock: the inline
/// readers, and the second reader of a scan in two halves (`order_scan::in_two_halves`).
pub(crate) fn open_reader(
    path: &str,
    busy: std::time::Duration,
) -> StoreResult<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let ctx = "opening a reader of the database";
    let db = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| map_rusqlite(e, ctx))?;
    db.busy_timeout(busy).map_err(|e| map_rusqlite(e, ctx))?;
    db.pragma_update(None, "mmap_size", super::sqlite_mmap_bytes()?)
        .map_err(|e| map_rusqlite(e, ctx))?;
    db.pragma_update(None, "cache_size", -8192)
        .map_err(|e| map_rusqlite(e, ctx))?;
    db.set_prepared_statement_cache_capacity(64);
    Ok(db)
}

/// An inline connection taken from its [`InlinePool`], given back when dropped.
#[derive(Debug)]
pub(crate) struct InlineConn<'p> {
    db: Option<rusqlite::Connection>,
    pool: &'p InlinePool,
}

impl InlineConn<'_> {
    pub(crate) fn conn(&mut self) -> super::conn::Conn<'_> {
        match self.db.as_mut() {
            Some(db) => super::conn::Conn::Inline(db),
            // Only `drop` takes the connection out.
            None => unreachable!("an inline connection is present until dropped"),
        }
    }
}

impl Drop for InlineConn<'_> {
    /// Ends the read transaction and keeps the connection for the next read. A connection
    /// whose transaction does not end is closed instead: kept, it would pin an old snapshot
    /// (later reads would not see new writes, and the log could not be checkpointed past it).
    fn drop(&mut self) {
        let Some(db) = self.db.take() else { return };
        if !db.is_autocommit() && execute(&db, "ROLLBACK", &[]).is_err() {
            return;
        }
        if let Ok(mut idle) = self.pool.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(db);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_as_sqlx_decodes_them() {
        assert_eq!(i64::from_value(ValueRef::Real(2.9)).ok(), Some(2));
        assert_eq!(i64::from_value(ValueRef::Text(b"42")).ok(), Some(42));
        assert_eq!(i64::from_value(ValueRef::Text(b"12.5")).ok(), Some(12));
        assert_eq!(f64::from_value(ValueRef::Integer(3)).ok(), Some(3.0));
        assert_eq!(bool::from_value(ValueRef::Integer(2)).ok(), Some(true));
        assert!(i64::from_value(ValueRef::Null).is_err());
        assert_eq!(Option::<i64>::from_value(ValueRef::Null).ok(), Some(None));
        assert_eq!(
            String::from_value(ValueRef::Integer(7)).ok().as_deref(),
            Some("7")
        );
        let d = NaiveDate::from_value(ValueRef::Text(b"2026-12-06")).ok();
        assert_eq!(d, NaiveDate::from_ymd_opt(2026, 12, 6));
        // The fast reading agrees with the general one; what it does not read, the general one
        // decides.
        for t in ["0001-01-01", "2024-02-29", "9999-12-31"] {
            let want = NaiveDate::parse_from_str(t, "%F").ok();
            assert_eq!(iso_date(t.as_bytes()), want, "{t}");
        }
        for t in [
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "2026/01/01",
            "2026-01-0a",
        ] {
            assert_eq!(iso_date(t.as_bytes()), None, "{t}");
            assert_eq!(
                NaiveDate::from_value(ValueRef::Text(t.as_bytes())).ok(),
                NaiveDate::parse_from_str(t, "%F").ok(),
                "{t}"
            );
        }
        let want = Utc.with_ymd_and_hms(2026, 12, 6, 3, 4, 5).single();
        for t in [
            "2026-12-06T03:04:05Z",
            "2026-12-06T03:04:05+00:00",
            "2026-12-06 03:04:05",
            "2026-12-06 04:04:05+01:00",
        ] {
            assert_eq!(
                DateTime::<Utc>::from_value(ValueRef::Text(t.as_bytes())).ok(),
                want,
                "{t}"
            );
        }
        assert_eq!(
            DateTime::<Utc>::from_value(ValueRef::Integer(0)).ok(),
            Utc.timestamp_opt(0, 0).single()
        );
    }

    #[test]
    fn placeholders_bind_by_number_as_in_sqlx() {
        let db = rusqlite::Connection::open_in_memory().expect("memory database");
        let rows = fetch(
            &db,
            "SELECT $2 || '-' || $1 || '-' || $2",
            &[Arg::from("a"), Arg::from("b")],
            |r| at::<String>(r, 0),
        )
        .expect("query");
        assert_eq!(rows, vec!["b-a-b".to_owned()]);
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).expect("date");
        let t = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("time");
        let rows = fetch(
            &db,
            "SELECT $1, $2, $3",
            &[Arg::from(d), Arg::from(t), Arg::from(true)],
            |r| Ok((at::<String>(r, 0)?, at::<String>(r, 1)?, at::<i64>(r, 2)?)),
        )
        .expect("query");
        assert_eq!(
            rows,
            vec![("2026-01-02".into(), "2026-01-02T03:04:05+00:00".into(), 1)]
        );
        assert!(fetch(&db, "SELECT $2", &[Arg::from(1)], |r| at::<i64>(r, 0)).is_err());
    }

    #[test]
    fn in_memory_databases_have_no_inline_pool() {
        assert!(InlinePool::new(":memory:").is_none());
        assert!(InlinePool::new("file:x?mode=memory&cache=shared").is_none());
        assert!(InlinePool::new("/tmp/x.db").is_some());
    }
}

#[cfg(test)]
mod store_tests {
    //! The reads that run inline give what the pooled sqlx connection gives, on a demo archive.
    use super::super::{accounts, customers, SqlStore};
    use crate::demo::{generate, DemoOptions};
    use crate::Store;
    use patron_core::{CustomerId, Scope};

    #[tokio::test]
    async fn inline_reads_equal_pooled_reads() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("patron.db").display());
        let store = SqlStore::open(&url).await.expect("open");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
        let report = generate(&store, &DemoOptions::new(today).with_customers(120), None)
            .await
            .expect("demo");
        let token = store
            .create_api_token(report.users[0].id, "t")
            .await
            .expect("token");
        let mut inline = store.quick_read().await.expect("inline");
        assert!(matches!(inline, super::super::conn::QuickRead::Inline(_)));
        let mut pooled = store.acquire().await.expect("pooled");

        let a = accounts::token_user(&mut inline.conn(), &token.secret).await;
        let b = accounts::token_user(&mut pooled.conn(), &token.secret).await;
        let (a, b) = (a.expect("inline token"), b.expect("pooled token"));
        assert!(a.as_ref().is_some_and(|(u, _)| u.is_some()));
        assert_eq!(format!("{a:?}"), format!("{b:?}"));

        let mut compared = 0;
        for id in 1..=125 {
            let id = CustomerId(id);
            let a = customers::overview(&mut inline.conn(), id).await;
            let b = customers::overview(&mut pooled.conn(), id).await;
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(json(&a), json(&b), "customer {id:?}");
                    compared += 1;
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("customer {id:?}: inline {a:?}, pooled {b:?}"),
            }
            for u in &report.users {
                let s = Scope::of(u);
                let a = customers::in_scope(&mut inline.conn(), id, s).await;
                let b = customers::in_scope(&mut pooled.conn(), id, s).await;
                assert_eq!(a.expect("inline scope"), b.expect("pooled scope"));
            }
        }
        assert_eq!(compared, 120);

        // Lists and searches, page by page, in each user's scope.
        let first = store.list_customers(&crate::CustomerQuery::default()).await;
        let name = first.expect("list").items[3].name.clone();
        let needle: String = name.chars().take(2).collect();
        for u in &report.users {
            for (q, desc) in [(None, false), (Some(needle.clone()), false), (None, true)] {
                let mut query = crate::CustomerQuery {
                    q,
                    desc,
                    limit: Some(7),
                    scope: Scope::of(u),
                    ..Default::default()
                };
                for _ in 0..3 {
                    let a = customers::list(&mut inline.conn(), &query)
                        .await
                        .expect("inline");
                    let b = customers::list(&mut pooled.conn(), &query)
                        .await
                        .expect("pooled");
                    assert_eq!(json(&a.items), json(&b.items));
                    assert_eq!(a.next_cursor, b.next_cursor);
                    let Some(c) = a.next_cursor else { break };
                    query.cursor = Some(c);
                }
            }
        }
        // Through the store: on the blocking threads.
        let q = crate::CustomerQuery {
            q: Some(needle),
            ..Default::default()
        };
        let a = store.list_customers(&q).await.expect("store list");
        let b = customers::list(&mut pooled.conn(), &q)
            .await
            .expect("pooled");
        assert!(!a.items.is_empty());
        assert_eq!(json(&a.items), json(&b.items));
        // The inline connection only reads.
        let w = inline
            .conn()
            .execute(
                "DELETE FROM customers WHERE id = $1",
                crate::sql::conn::args![1],
            )
            .await;
        assert!(w.is_err());
        drop(inline);
        drop(pooled);

        // A read is one snapshot, and only while it lasts: a write made during a read is not
        // seen by it, and is seen by the next read on the same (given back) connection.
        let mut reading = store.quick_read().await.expect("inline");
        let before = customers::must_load(&mut reading.conn(), CustomerId(2))
            .await
            .expect("customer 2");
        let mut writer = store.acquire().await.expect("pooled");
        writer
            .conn()
            .execute(
                "UPDATE customers SET name = name || ' (renamed)' WHERE id = $1",
                crate::sql::conn::args![2],
            )
            .await
            .expect("rename");
        drop(writer);
        let during = customers::must_load(&mut reading.conn(), CustomerId(2))
            .await
            .expect("customer 2");
        assert_eq!(during.name, before.name);
        drop(reading);
        let mut next = store.quick_read().await.expect("inline");
        let after = customers::must_load(&mut next.conn(), CustomerId(2))
            .await
            .expect("customer 2");
        assert_eq!(after.name, format!("{} (renamed)", before.name));
    }

    /// A value compared as its JSON.
    fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).expect("serialisable")
    }
}
