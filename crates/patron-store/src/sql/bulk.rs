//! Bulk paths: prepared multi-row statements on SQLite (inside the caller's transaction), COPY on PostgreSQL. Ids are reserved up front so children (order lines,
//! tags) can be written in the same pass without a round trip per parent.

use super::conn::{Arg, Conn};
use super::raw_insert::RawInsert;
use super::rows::BACKGROUND_COLS;
use super::SqlStore;
use crate::bulk::{BulkChunk, BulkIds};
use crate::error::{map_rusqlite, map_sqlx, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use patron_core::*;
use std::fmt::Write as _;

/// Reserves `n` fresh ids of `table`. SQLite: continues after MAX(id) — safe because writers hold
/// the database lock (`BEGIN IMMEDIATE`) for the whole transaction. PostgreSQL: draws from the
/// identity sequence, so concurrent inserts elsewhere never collide.
pub(crate) async fn reserve_ids(c: &mut Conn<'_>, table: &str, n: usize) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if c.is_sqlite() {
        let max = c
            .scalar_i64(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"), vec![])
            .await?;
        Ok((max + 1..=max + n as i64).collect())
    } else {
        // A large import holds its tables (see `bulk_load`), so nobody else draws from the
        // sequence meanwhile and one `setval` claims the whole range; otherwise one `nextval`
        // per id (2.4 µs each: a tenth of a 1,000,000-order import).
        let (locked,): (Option<String>,) = c
            .fetch_optional("SELECT current_setting('patron.ids_locked', true)", vec![])
            .await?
            .unwrap_or((None,));
        if locked.as_deref() == Some("on") {
            let last = c
                .scalar_i64(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                         nextval(pg_get_serial_sequence('{table}', 'id')) + $1 - 1)"
                    ),
                    vec![Arg::from(n as i64)],
                )
                .await?;
            return Ok((last - n as i64 + 1..=last).collect());
        }
        let rows: Vec<(i64,)> = c
            .fetch_all(
                &format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"),
                vec![Arg::from(n as i64)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}

/// Prepares a transaction for bulk writes. SQLite: foreign keys are checked at commit rather
/// than per statement (together with `INSERT OR ROLLBACK`, no statement journal is needed);
/// the pragma ends with the transaction.
pub(crate) async fn bulk_mode(c: &mut Conn<'_>) -> StoreResult<()> {
    if c.is_sqlite() {
        c.execute("PRAGMA defer_foreign_keys = ON", vec![]).await?;
    }
    Ok(())
}

/// Inserts rows of `cols` into `table`.
pub(crate) async fn insert_rows(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    rows: Vec<Vec<Arg>>,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    write_rows(c, table, cols, &mut ArgRows(rows.into_iter())).await
}

/// Rows of generic argument values.
struct ArgRows(std::vec::IntoIter<Vec<Arg>>);

impl RowSource for ArgRows {
    fn next_row(&mut self, b: &mut RowBuf) -> bool {
        let Some(row) = self.0.next() else {
            return false;
        };
        for v in row {
            b.arg(v);
        }
        b.end_row();
        true
    }
}

/// One value in COPY's text format: `\N` for NULL, backslash escapes for the separators.
fn copy_text(buf: &mut String, v: &Arg) {
    match v {
        Arg::I64(Some(i)) => {
            let _ = write!(buf, "{i}");
        }
        Arg::Bool(Some(b)) => buf.push(if *b { 't' } else { 'f' }),
        Arg::Date(Some(d)) => {
            let _ = write!(buf, "{d}");
        }
        Arg::Ts(Some(t)) => buf.push_str(&t.to_rfc3339()),
        Arg::Text(Some(s)) => copy_escape(buf, s),
        _ => buf.push_str("\\N"),
    }
}

/// A new order row for the bulk path, borrowed from wherever the caller keeps it (a validated
/// order, or an import's parsed row — without building an order per row).
pub(crate) struct NewOrder<'a> {
    pub customer_id: i64,
    pub order_ref: Option<&'a str>,
    pub order_date: chrono::NaiveDate,
    pub currency: &'a str,
    pub total_minor: i64,
    pub asked_by_name: bool,
    pub notes: Option<&'a str>,
    pub lines: &'a [OrderLine],
    pub import_key: Option<&'a str>,
    pub import_hash: Option<&'a str>,
}

impl<'a> NewOrder<'a> {
    pub(crate) fn of(order: &'a ValidOrder, customer_id: i64) -> Self {
        NewOrder {
            customer_id,
            order_ref: order.order_ref.as_deref(),
            order_date: order.order_date,
            currency: order.currency.as_str(),
            total_minor: order.total_minor,
            asked_by_name: order.asked_by_name,
            notes: order.notes.as_deref(),
            lines: &order.lines,
            import_key: None,
            import_hash: None,
        }
    }
}

pub(crate) const ORDER_INSERT_COLS: [&str; 11] = [
    "id",
    "customer_id",
    "order_ref",
    "import_key",
    "import_hash",
    "order_date",
    "currency",
    "total_minor",
    "asked_by_name",
    "notes",
    "created_at",
];
pub(crate) const LINE_INSERT_COLS: [&str; 8] = [
    "order_id",
    "line_no",
    "customer_id",
    "product_id",
    "product_line",
    "quantity",
    "unit_price_minor",
    "amount_minor",
];

/// Inserts orders with their lines; returns their ids in input order.
///
/// The hot path of a large import: values go straight from the orders into the statement's
/// arguments (or the COPY buffer) through a [`RowWriter`], with no per-value enum or per-row
/// vector in between, and the timestamp and dates are formatted once per distinct value.
pub(crate) async fn insert_orders(
    c: &mut Conn<'_>,
    orders: &[NewOrder<'_>],
    at: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    insert_orders_stamped(c, orders, Some(at)).await
}

/// [`insert_orders`], where `at: None` leaves `created_at` to the column's default (a large
/// import on PostgreSQL sets it to the import's time for its transaction: parsing the same
/// timestamp a million times was a fifth of the COPY).
pub(crate) async fn insert_orders_stamped(
    c: &mut Conn<'_>,
    orders: &[NewOrder<'_>],
    at: Option<DateTime<Utc>>,
) -> StoreResult<Vec<i64>> {
    let started = std::time::Instant::now();
    let ids = reserve_ids(c, "orders", orders.len()).await?;
    let stamp = at.map(|at| Stamp::new(c, at));
    let mut src = OrderRows {
        orders,
        ids: &ids,
        next: 0,
        dates: DateText::default(),
        at: stamp.as_ref().map(|s| s.0.as_str()),
    };
    let cols = if stamp.is_some() {
        &ORDER_INSERT_COLS[..]
    } else {
        &ORDER_INSERT_COLS[..ORDER_INSERT_COLS.len() - 1]
    };
    write_rows(c, "orders", cols, &mut src).await?;
    let orders_done = started.elapsed();
    let mut src = LineRows {
        orders,
        ids: &ids,
        order: 0,
        line: 0,
    };
    write_rows(c, "order_lines", &LINE_INSERT_COLS, &mut src).await?;
    tracing::trace!(
        orders = ids.len(),
        orders_ms = orders_done.as_millis() as u64,
        lines_ms = (started.elapsed() - orders_done).as_millis() as u64,
        "bulk: orders written"
    );
    Ok(ids)
}

/// The `orders` rows of new orders.
struct OrderRows<'a> {
    orders: &'a [NewOrder<'a>],
    ids: &'a [i64],
    next: usize,
    dates: DateText,
    /// `created_at`, or `None` when the column is left out (its default applies).
    at: Option<&'a str>,
}

impl RowSource for OrderRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let (Some(o), Some(id)) = (self.orders.get(self.next), self.ids.get(self.next)) else {
            return false;
        };
        self.next += 1;
        w.int(*id);
        w.int(o.customer_id);
        w.opt_text(o.order_ref);
        w.opt_text(o.import_key);
        w.opt_text(o.import_hash);
        w.text(self.dates.get(o.order_date));
        w.text(o.currency);
        w.int(o.total_minor);
        w.bool(o.asked_by_name);
        w.opt_text(o.notes);
        if let Some(at) = self.at {
            w.text(at);
        }
        w.end_row();
        true
    }
}

/// The `order_lines` rows of new orders, numbered from 1 within each order.
struct LineRows<'a> {
    orders: &'a [NewOrder<'a>],
    ids: &'a [i64],
    order: usize,
    line: usize,
}

impl RowSource for LineRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        loop {
            let (Some(o), Some(id)) = (self.orders.get(self.order), self.ids.get(self.order))
            else {
                return false;
            };
            let Some(l) = o.lines.get(self.line) else {
                self.order += 1;
                self.line = 0;
                continue;
            };
            self.line += 1;
            w.int(*id);
            w.int(self.line as i64);
            w.int(o.customer_id);
            w.opt_int(l.product_id.map(|p| p.0));
            w.opt_text(l.product_line.as_deref());
            w.int(l.quantity);
            w.int(l.unit_price_minor);
            w.int(l.amount_minor);
            w.end_row();
            return true;
        }
    }
}

/// A timestamp as the backend's text form, formatted once for a whole bulk write (the same
/// text sqlx writes for a `DateTime<Utc>`, so reads decode it alike).
pub(crate) struct Stamp(pub(crate) String);

impl Stamp {
    pub(crate) fn new(c: &Conn<'_>, at: DateTime<Utc>) -> Self {
        let s = if c.is_sqlite() {
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
        } else {
            at.to_rfc3339()
        };
        Stamp(s)
    }
}

/// `YYYY-MM-DD` of each distinct date, formatted once: an import has a few thousand distinct
/// dates over a million rows.
#[derive(Default)]
struct DateText(std::collections::HashMap<chrono::NaiveDate, String>);

impl DateText {
    fn get(&mut self, d: chrono::NaiveDate) -> &str {
        self.0
            .entry(d)
            .or_insert_with(|| d.format("%Y-%m-%d").to_string())
    }
}

/// Values of rows being built: a SQLite statement's rows to bind, or COPY text for PostgreSQL.
/// Pushed column by column, then [`RowBuf::end_row`].
pub(crate) enum RowBuf {
    /// The values of the rows of the next statement; texts live in `text` (one buffer, re-used
    /// for every statement).
    Sqlite {
        vals: Vec<Lite>,
        text: String,
        rows: usize,
    },
    Pg {
        buf: String,
        first: bool,
        rows: usize,
    },
}

/// One value of a SQLite row: texts are ranges of [`RowBuf::Sqlite`]'s text buffer, so a row
/// costs no allocation.
#[derive(Clone, Copy)]
pub(crate) enum Lite {
    Int(i64),
    Real(f64),
    Null,
    Text(usize, usize),
}

impl RowBuf {
    fn for_conn(c: &Conn<'_>) -> RowBuf {
        match c {
            Conn::Sqlite(_) | Conn::Inline(_) => RowBuf::Sqlite {
                vals: Vec::with_capacity(32),
                text: String::with_capacity(1024),
                rows: 0,
            },
            Conn::Pg(_) => RowBuf::Pg {
                buf: String::with_capacity(COPY_CHUNK_BYTES + 4096),
                first: true,
                rows: 0,
            },
        }
    }

    /// The COPY buffer, after the column separator this value needs.
    fn pg_cell(buf: &mut String, first: &mut bool) {
        if !*first {
            buf.push('\t');
        }
        *first = false;
    }

    /// A SQLite text value, written by `f` into the row's text buffer. Dates and timestamps
    /// use the text forms sqlx writes, so reads decode bulk-written rows alike.
    fn lite_text(vals: &mut Vec<Lite>, text: &mut String, f: impl FnOnce(&mut String)) {
        let start = text.len();
        f(text);
        vals.push(Lite::Text(start, text.len()));
    }

    /// A value of the generic argument type (the non-hot bulk paths).
    pub(crate) fn arg(&mut self, v: Arg) {
        match self {
            RowBuf::Sqlite { vals, text, .. } => match v {
                Arg::I64(Some(x)) => vals.push(Lite::Int(x)),
                Arg::Bool(Some(b)) => vals.push(Lite::Int(i64::from(b))),
                Arg::Text(Some(x)) => Self::lite_text(vals, text, |t| t.push_str(&x)),
                Arg::Date(Some(d)) => Self::lite_text(vals, text, |t| {
                    let _ = write!(t, "{}", d.format("%Y-%m-%d"));
                }),
                Arg::Ts(Some(ts)) => Self::lite_text(vals, text, |t| {
                    t.push_str(&ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
                }),
                _ => vals.push(Lite::Null),
            },
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                copy_text(buf, &v);
            }
        }
    }

    pub(crate) fn int(&mut self, v: i64) {
        match self {
            RowBuf::Sqlite { vals, .. } => vals.push(Lite::Int(v)),
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                let _ = write!(buf, "{v}");
            }
        }
    }

    /// A floating-point value; one that is not finite is written as NULL (never NaN).
    pub(crate) fn real(&mut self, v: f64) {
        if !v.is_finite() {
            return self.null();
        }
        match self {
            RowBuf::Sqlite { vals, .. } => vals.push(Lite::Real(v)),
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                let _ = write!(buf, "{v:?}");
            }
        }
    }

    pub(crate) fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    pub(crate) fn bool(&mut self, v: bool) {
        match self {
            RowBuf::Sqlite { vals, .. } => vals.push(Lite::Int(i64::from(v))),
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                buf.push(if v { 't' } else { 'f' });
            }
        }
    }

    pub(crate) fn text(&mut self, v: &str) {
        match self {
            RowBuf::Sqlite { vals, text, .. } => Self::lite_text(vals, text, |t| t.push_str(v)),
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                copy_escape(buf, v);
            }
        }
    }

    pub(crate) fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub(crate) fn null(&mut self) {
        match self {
            RowBuf::Sqlite { vals, .. } => vals.push(Lite::Null),
            RowBuf::Pg { buf, first, .. } => {
                Self::pg_cell(buf, first);
                buf.push_str("\\N");
            }
        }
    }

    pub(crate) fn end_row(&mut self) {
        match self {
            RowBuf::Sqlite { rows, .. } => *rows += 1,
            RowBuf::Pg { buf, first, rows } => {
                buf.push('\n');
                *first = true;
                *rows += 1;
            }
        }
    }
}

/// Flush COPY data to the server in pieces of about this size.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Where [`write_rows`] takes its rows from: each call pushes one row's values (and ends the
/// row) or answers `false` when there are no more. A trait rather than an iterator plus a
/// closure, whose borrowed arguments the compiler cannot prove `Send` across the awaits.
pub(crate) trait RowSource: Send {
    fn next_row(&mut self, b: &mut RowBuf) -> bool;
}

/// Writes the rows of `src` into `table`: prepared multi-row `INSERT OR ROLLBACK` statements on
/// SQLite, COPY on PostgreSQL.
///
/// On SQLite the rows are bound (texts without a copy, [`super::raw_insert`]) and stepped on
/// sqlx's own connection handle (locked for the duration, so it stays inside the caller's
/// transaction). sqlx's per-statement path — an argument enum and an owned string per value, a
/// hand-off to its worker thread — cost more than SQLite's own work of inserting the rows (a
/// 1,000,000-row import: 5.5 s on the worker, of which `sqlite3_step` was 3.6 s). OR ROLLBACK: a failing row aborts the whole
/// (all-or-nothing) transaction, so SQLite need not keep a statement journal.
pub(crate) async fn write_rows<S: RowSource>(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    src: &mut S,
) -> StoreResult<()> {
    load_rows(c, table, cols, src, false).await
}

/// [`write_rows`] into a table created earlier in the open transaction (PostgreSQL requires
/// that, or a truncation, for `COPY … FREEZE`): the rows are copied already frozen, so the first
/// vacuum after a rewrite of a million rows need not visit them all to freeze them.
pub(crate) async fn write_rows_frozen<S: RowSource>(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    src: &mut S,
) -> StoreResult<()> {
    load_rows(c, table, cols, src, true).await
}

async fn load_rows<S: RowSource>(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    src: &mut S,
    frozen: bool,
) -> StoreResult<()> {
    let empty = RowBuf::for_conn(c);
    match c {
        Conn::Sqlite(conn) => {
            on_sqlite_handle(conn, "bulk INSERT", |db| {
                sqlite_write(db, table, cols, src, empty)
            })
            .await
        }
        Conn::Inline(_) => Err(super::conn::read_only("a bulk INSERT")),
        Conn::Pg(pg) => {
            let freeze = if frozen { " WITH (FREEZE)" } else { "" };
            let stmt = format!("COPY {table} ({}) FROM STDIN{freeze}", cols.join(","));
            let mut copy = pg
                .copy_in_raw(&stmt)
                .await
                .map_err(|e| map_sqlx(e, &stmt))?;
            let mut b = empty;
            while src.next_row(&mut b) {
                if let RowBuf::Pg { buf, .. } = &mut b {
                    if buf.len() >= COPY_CHUNK_BYTES {
                        copy.send(buf.as_bytes())
                            .await
                            .map_err(|e| map_sqlx(e, &stmt))?;
                        buf.clear();
                    }
                }
            }
            if let RowBuf::Pg { buf, .. } = &b {
                if !buf.is_empty() {
                    copy.send(buf.as_bytes())
                        .await
                        .map_err(|e| map_sqlx(e, &stmt))?;
                }
            }
            copy.finish().await.map_err(|e| map_sqlx(e, &stmt))?;
            Ok(())
        }
    }
}

/// SQLite allows 32,766 bound parameters per statement; stay well below.
const SQLITE_MAX_PARAMS: usize = 30_000;
/// Rows per statement on SQLite. Several, not one: SQLite opens a statement savepoint around
/// every statement that fires the FTS5 trigger on customers, and FTS5 flushes its pending index
/// data at each one — one row per statement made importing 100,000 customers ten times slower.
const SQLITE_ROWS_PER_STATEMENT: usize = 500;

/// `INSERT OR ROLLBACK INTO table (cols) VALUES (?,…),(?,…)…` for `rows` rows.
fn values_sql(table: &str, cols: &[&str], rows: usize) -> String {
    let row_sql = format!("({})", vec!["?"; cols.len()].join(","));
    let mut sql = String::with_capacity(64 + rows * (row_sql.len() + 1));
    let _ = write!(
        sql,
        "INSERT OR ROLLBACK INTO {table} ({}) VALUES ",
        cols.join(",")
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(&row_sql);
    }
    sql
}

/// Runs blocking SQLite work from async code: on a multi-threaded runtime (the server, the
/// CLI) other tasks move off this thread meanwhile; on a current-thread runtime (tests) there
/// is nothing to move.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs `f` with rusqlite on sqlx's own SQLite connection handle, locked for the call, so the
/// work stays inside the caller's transaction. For the bulk paths, where sqlx's per-statement
/// and per-row overhead (an argument enum and an owned string per value, a hand-off to its
/// worker thread, a decoded row per result) costs more than SQLite's own work. One of the
/// crate's two uses of `unsafe` (the other: [`super::raw_insert`], binding without copies):
/// handing sqlx's handle to rusqlite, the maintained binding for stepping statements directly.
#[allow(unsafe_code)]
pub(crate) async fn on_sqlite_handle<R>(
    conn: &mut sqlx::SqliteConnection,
    ctx: &str,
    f: impl FnOnce(&rusqlite::Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    let mut handle = conn.lock_handle().await.map_err(|e| map_sqlx(e, ctx))?;
    let raw = handle.as_raw_handle();
    blocking(|| {
        // SAFETY: `raw` is sqlx's open connection, locked for this caller by `lock_handle`
        // (`handle` lives until this function returns, longer than this call). A rusqlite
        // connection made from a handle never closes it; statements prepared on it are
        // finalized before `f` returns, as they borrow `db`.
        let db = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }
            .map_err(|e| map_rusqlite(e, ctx))?;
        f(&db)
    })
}

/// The SQLite half of [`write_rows`], on the locked handle.
fn sqlite_write<S: RowSource>(
    db: &rusqlite::Connection,
    table: &str,
    cols: &[&str],
    src: &mut S,
    mut b: RowBuf,
) -> StoreResult<()> {
    let per = (SQLITE_MAX_PARAMS / cols.len().max(1)).clamp(1, SQLITE_ROWS_PER_STATEMENT);
    let mut stmt = RawInsert::prepare(db, &values_sql(table, cols, per))?;
    loop {
        let more = src.next_row(&mut b);
        let RowBuf::Sqlite { vals, text, rows } = &mut b else {
            break;
        };
        if *rows == per {
            stmt.run(vals, text)?;
        } else if !more && *rows > 0 {
            RawInsert::prepare(db, &values_sql(table, cols, *rows))?.run(vals, text)?;
        }
        if *rows == per || !more {
            vals.clear();
            text.clear();
            *rows = 0;
        }
        if !more {
            break;
        }
    }
    Ok(())
}

/// Text in COPY's text format: backslash escapes for the separators.
fn copy_escape(buf: &mut String, s: &str) {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        buf.push_str(s);
        return;
    }
    for ch in s.chars() {
        match ch {
            '\\' => buf.push_str("\\\\"),
            '\t' => buf.push_str("\\t"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            c => buf.push(c),
        }
    }
}

pub(crate) const CUSTOMER_INSERT_COLS: [&str; 22] = [
    "id",
    "external_ref",
    "kind",
    "name",
    "gender",
    "birth_date",
    "company",
    "address",
    "phone",
    "phone_key",
    "fax",
    "email",
    "email_key",
    "level",
    "source",
    "stage",
    "churn_reason",
    "owner_id",
    "notes",
    "search_text",
    "created_at",
    "updated_at",
];

/// The `customers` rows of validated customers, written straight from them (an import creates
/// a hundred thousand at a time: no argument vector or copied string per value).
struct CustomerRows<'a> {
    cs: &'a [ValidCustomer],
    ids: &'a [i64],
    next: usize,
    at: &'a str,
}

impl RowSource for CustomerRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let (Some(v), Some(id)) = (self.cs.get(self.next), self.ids.get(self.next)) else {
            return false;
        };
        self.next += 1;
        let i = &v.input;
        w.int(*id);
        w.opt_text(i.external_ref.as_deref());
        w.text(i.kind.as_str());
        w.text(&i.name);
        w.opt_text(i.gender.map(|g| g.as_str()));
        w.arg(Arg::Date(i.birth_date));
        w.opt_text(i.company.as_deref());
        w.opt_text(i.address.as_deref());
        w.opt_text(i.phone.as_deref());
        w.opt_text(v.phone_key.as_deref());
        w.opt_text(i.fax.as_deref());
        w.opt_text(i.email.as_deref());
        w.opt_text(v.email_key.as_deref());
        w.opt_text(i.level.as_deref());
        w.opt_text(i.source.as_deref());
        w.text(v.stage.as_str());
        w.opt_text(i.churn_reason.as_deref());
        w.opt_int(i.owner_id.map(|o| o.0));
        w.opt_text(i.notes.as_deref());
        w.text(&v.search_text);
        w.text(self.at);
        w.text(self.at);
        w.end_row();
        true
    }
}

/// Inserts validated customers (with tags, custom values and background); returns their ids.
pub(crate) async fn insert_customers(
    c: &mut Conn<'_>,
    cs: &[ValidCustomer],
    at: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    let ids = reserve_ids(c, "customers", cs.len()).await?;
    let (mut tags, mut custom, mut bg) = (Vec::new(), Vec::new(), Vec::new());
    for (v, id) in cs.iter().zip(&ids) {
        let i = &v.input;
        for t in &i.tags {
            tags.push(vec![Arg::I64(Some(*id)), Arg::Text(Some(t.clone()))]);
        }
        for (k, val) in &i.custom {
            custom.push(vec![
                Arg::I64(Some(*id)),
                Arg::Text(Some(k.clone())),
                Arg::Text(Some(val.clone())),
            ]);
        }
        if let Some(b) = &i.background {
            let mut r = vec![Arg::I64(Some(*id))];
            r.extend(b.values().into_iter().map(|v| Arg::Text(v.clone())));
            bg.push(r);
        }
    }
    let stamp = Stamp::new(c, at);
    let mut src = CustomerRows {
        cs,
        ids: &ids,
        next: 0,
        at: &stamp.0,
    };
    write_rows(c, "customers", &CUSTOMER_INSERT_COLS, &mut src).await?;
    insert_rows(c, "customer_tags", &["customer_id", "tag"], tags).await?;
    insert_rows(
        c,
        "customer_custom_values",
        &["customer_id", "field_key", "value"],
        custom,
    )
    .await?;
    let bg_cols: Vec<&str> = std::iter::once("customer_id")
        .chain(BACKGROUND_COLS.split(',').map(str::trim))
        .collect();
    insert_rows(c, "customer_background", &bg_cols, bg).await?;
    Ok(ids)
}

/// The demo generator's path: one transaction per chunk.
pub(crate) async fn insert_chunk(store: &SqlStore, chunk: BulkChunk) -> StoreResult<BulkIds> {
    let at = super::now();
    let mut tx = store.begin().await?;
    bulk_mode(&mut tx.conn()).await?;
    let ids = insert_customers(&mut tx.conn(), &chunk.customers, at).await?;
    let id_of = |i: usize| {
        ids.get(i).copied().ok_or_else(|| {
            StoreError::invalid(
                "customer",
                "bad_index",
                format!("bulk record refers to customer #{i} not in the chunk"),
            )
        })
    };
    let kp_ids = reserve_ids(&mut tx.conn(), "key_persons", chunk.key_persons.len()).await?;
    let mut kps = Vec::with_capacity(chunk.key_persons.len());
    for ((ci, k), id) in chunk.key_persons.iter().zip(&kp_ids) {
        kps.push(vec![
            Arg::I64(Some(*id)),
            Arg::I64(Some(id_of(*ci)?)),
            Arg::Text(Some(k.name.clone())),
            Arg::Text(k.title.clone()),
            Arg::Text(k.phone.clone()),
            Arg::Text(k.mobile.clone()),
            Arg::Text(k.email.clone()),
            Arg::Text(k.hobbies.clone()),
            Arg::Date(k.birthday),
            Arg::Date(k.wedding_anniversary),
            Arg::Text(k.notes.clone()),
            Arg::Ts(Some(at)),
            Arg::Ts(Some(at)),
        ]);
    }
    insert_rows(
        &mut tx.conn(),
        "key_persons",
        &[
            "id",
            "customer_id",
            "name",
            "title",
            "phone",
            "mobile",
            "email",
            "hobbies",
            "birthday",
            "wedding_anniversary",
            "notes",
            "created_at",
            "updated_at",
        ],
        kps,
    )
    .await?;
    let mut orders = Vec::with_capacity(chunk.orders.len());
    for o in &chunk.orders {
        orders.push(NewOrder::of(&o.order, id_of(o.customer)?));
    }
    let order_ids = insert_orders(&mut tx.conn(), &orders, at).await?;
    let mut its = Vec::with_capacity(chunk.interactions.len());
    for (ci, i) in &chunk.interactions {
        its.push(vec![
            Arg::I64(Some(id_of(*ci)?)),
            Arg::from(i.kind.as_str()),
            Arg::Ts(Some(i.occurred_at.unwrap_or(at))),
            Arg::I64(i.staff_id.map(|s| s.0)),
            Arg::I64(None),
            Arg::Text(i.outcome.clone()),
            Arg::Text(i.notes.clone()),
            Arg::Date(i.follow_up_on),
            Arg::Text(i.follow_up.clone()),
            Arg::Ts(Some(at)),
        ]);
    }
    insert_rows(
        &mut tx.conn(),
        "interactions",
        &[
            "customer_id",
            "kind",
            "occurred_at",
            "staff_id",
            "key_person_id",
            "outcome",
            "notes",
            "follow_up_on",
            "follow_up",
            "created_at",
        ],
        its,
    )
    .await?;
    insert_complaints(&mut tx.conn(), &chunk.complaints, &ids, &kp_ids, &order_ids).await?;
    tx.commit().await?;
    Ok(BulkIds {
        customers: ids.into_iter().map(CustomerId).collect(),
    })
}

/// The id at `i` of ids a chunk's records were given; a record pointing outside the chunk is
/// the generator's mistake, refused before anything is written.
fn chunk_id(ids: &[i64], i: usize, what: &str) -> StoreResult<i64> {
    ids.get(i).copied().ok_or_else(|| {
        StoreError::invalid(
            what,
            "bad_index",
            format!("bulk record refers to {what} #{i} not in the chunk"),
        )
    })
}

/// Writes a chunk's complaints with their steps, compensation and history. Complaint ids are
/// reserved first so the children are written in the same pass; events are written in the
/// order given, so their ids keep each complaint's history in time order.
async fn insert_complaints(
    c: &mut Conn<'_>,
    complaints: &[crate::bulk::BulkComplaint],
    customer_ids: &[i64],
    key_person_ids: &[i64],
    order_ids: &[i64],
) -> StoreResult<()> {
    use patron_core::promotion::Word;
    if complaints.is_empty() {
        return Ok(());
    }
    let ids = reserve_ids(c, "complaints", complaints.len()).await?;
    let user = |u: Option<UserId>| Arg::I64(u.map(|u| u.0));
    let (mut rows, mut steps, mut comps, mut events) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (x, id) in complaints.iter().zip(&ids) {
        let key_person = x
            .key_person
            .map(|k| chunk_id(key_person_ids, k, "key person"))
            .transpose()?;
        let order = x
            .order
            .map(|o| chunk_id(order_ids, o, "order"))
            .transpose()?;
        rows.push(vec![
            Arg::I64(Some(*id)),
            Arg::I64(Some(chunk_id(customer_ids, x.customer, "customer")?)),
            Arg::I64(key_person),
            Arg::I64(order),
            Arg::from(x.channel.as_str()),
            Arg::from(x.cause.as_str()),
            Arg::Text(Some(x.summary.clone())),
            Arg::Text(x.details.clone()),
            Arg::from(x.status.as_str()),
            user(x.owner_id),
            user(x.recorded_by),
            Arg::Ts(Some(x.recorded_at)),
            Arg::Ts(Some(x.reply_due_at)),
            Arg::Ts(x.first_reply_at),
            user(x.first_reply_by),
            Arg::Text(x.promise.clone()),
            Arg::Date(x.promise_due),
            Arg::Text(x.promise_outcome.map(|o| o.as_str().to_owned())),
            Arg::Ts(x.closed_at),
            Arg::Ts(Some(x.updated_at)),
        ]);
        for st in &x.steps {
            steps.push(vec![
                Arg::I64(Some(*id)),
                Arg::from(st.step.as_str()),
                user(st.done_by),
                Arg::Ts(Some(st.done_at)),
                Arg::Text(st.note.clone()),
            ]);
        }
        for p in &x.compensations {
            comps.push(vec![
                Arg::I64(Some(*id)),
                Arg::from(p.kind.as_str()),
                Arg::I64(Some(p.amount_minor)),
                Arg::Text(Some(p.currency.clone())),
                user(p.approved_by),
                Arg::Ts(Some(p.approved_at)),
                Arg::Text(p.note.clone()),
            ]);
        }
        for e in &x.events {
            events.push(vec![
                Arg::I64(Some(*id)),
                Arg::Ts(Some(e.at)),
                user(e.user_id),
                Arg::Text(Some(e.action.clone())),
                Arg::Text(e.detail.clone()),
            ]);
        }
    }
    insert_rows(
        c,
        "complaints",
        &[
            "id",
            "customer_id",
            "key_person_id",
            "order_id",
            "channel",
            "cause",
            "summary",
            "details",
            "status",
            "owner_id",
            "recorded_by",
            "recorded_at",
            "reply_due_at",
            "first_reply_at",
            "first_reply_by",
            "promise",
            "promise_due",
            "promise_outcome",
            "closed_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    insert_rows(
        c,
        "complaint_steps",
        &["complaint_id", "step", "done_by", "done_at", "note"],
        steps,
    )
    .await?;
    insert_rows(
        c,
        "complaint_compensations",
        &[
            "complaint_id",
            "kind",
            "amount_minor",
            "currency",
            "approved_by",
            "approved_at",
            "note",
        ],
        comps,
    )
    .await?;
    insert_rows(
        c,
        "complaint_events",
        &["complaint_id", "at", "user_id", "action", "detail"],
        events,
    )
    .await
}
