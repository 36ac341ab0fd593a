//! Every customer's purchases folded in one pass over the orders, for classification (the ABC
//! window, the growth rule, RFM) and the customer-base models (purchase days, first day's
//! amount).
//!
//! On SQLite the orders are read in (customer, day) order from the covering index
//! `orders_customer_date` (customer, day, currency, amount: migration 0024) through rusqlite on
//! sqlx's own handle, and folded here. The grouped SQL this replaces (`GROUP BY customer_id`
//! with `COUNT(DISTINCT order_date)`, a window function for the first day's amount) took 12 s
//! (classification) and about 18 s (the models) over 10,000,000 orders: a sort or a table
//! lookup per order, and a row decoded through sqlx per customer. A large database file is
//! folded in two halves at once (see [`Scan::fold_all`]).
//!
//! On PostgreSQL the same fold reads the orders as `COPY` text from an index-only scan of the
//! same index (see [`fold_pg`]): its grouped SQL, with a window function numbering the days,
//! was the slowest part of the model commands there.

use super::bulk::on_sqlite_handle;
use super::conn::Conn;
use crate::error::{map_rusqlite, StoreError, StoreResult};
use chrono::{Datelike, NaiveDate};

/// A day as an integer that orders like the date: `year << 9 | month << 5 | day`. Comparing
/// these avoids building a date per order (10,000,000 of them in the benchmark's archive).
pub(crate) type DayKey = i32;

pub(crate) fn day_key(d: NaiveDate) -> DayKey {
    (d.year() << 9) | ((d.month() as i32) << 5) | d.day() as i32
}

pub(crate) fn key_date(k: DayKey) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(k >> 9, ((k >> 5) & 15) as u32, (k & 31) as u32)
}

/// The key of a stored `YYYY-MM-DD` date (how sqlx and the bulk paths write dates on SQLite).
fn parse_key(s: &[u8]) -> Option<DayKey> {
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        s.get(r)?.iter().try_fold(0i32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0'))
        })
    };
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y << 9) | (m << 5) | d)
}

/// The day boundaries of a fold, each an exclusive lower bound (a period is `(start, end]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub until: NaiveDate,
    /// The ABC window's start.
    pub window_start: NaiveDate,
    /// The growth rule's three years: `[as_of − 1y, as_of − 2y, as_of − 3y]`.
    pub year_starts: [NaiveDate; 3],
}

impl Bounds {
    /// The window's and the years' starts, in the order of [`FoldRow::next`].
    pub(crate) fn starts(&self) -> [DayKey; 4] {
        [
            day_key(self.window_start),
            day_key(self.year_starts[0]),
            day_key(self.year_starts[1]),
            day_key(self.year_starts[2]),
        ]
    }
}

/// A fold's boundaries as day keys: the last day and [`Bounds::starts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keys {
    pub until: DayKey,
    pub starts: [DayKey; 4],
}

impl From<&Bounds> for Keys {
    fn from(b: &Bounds) -> Keys {
        Keys {
            until: day_key(b.until),
            starts: b.starts(),
        }
    }
}

/// One customer's orders (in one currency, up to the fold's last day) folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Folded {
    pub customer_id: i64,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Distinct purchase days.
    pub days: i64,
    pub total_minor: i64,
    /// The amount of the first purchase day (Gamma-Gamma leaves that day out).
    pub first_day_minor: i64,
    pub window_minor: i64,
    pub yearly_minor: [i64; 3],
}

/// "No such day" in [`FoldRow::next`] and [`FoldRow::next_until`].
pub(crate) const NO_DAY: DayKey = DayKey::MAX;

/// One customer's orders in one currency folded, as kept between runs (see
/// [`super::purchase_folds`]): what [`Folded`] holds, as day keys, and for each boundary the
/// first order day after it, so a later fold whose boundaries moved can tell whether this
/// customer is affected without reading the orders. `days == 0`: every order of the customer is
/// after the fold's last day (kept for `next_until` only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FoldRow {
    pub customer_id: i64,
    pub days: i64,
    pub first: DayKey,
    pub last: DayKey,
    pub total: i64,
    pub first_amount: i64,
    pub window: i64,
    pub yearly: [i64; 3],
    /// The first order day after the window's start and after each year's start
    /// ([`Bounds::starts`]); [`NO_DAY`] when there is none.
    pub next: [DayKey; 4],
    /// The first order day after the fold's last day; [`NO_DAY`] when there is none.
    pub next_until: DayKey,
}

impl FoldRow {
    /// The customer's purchases up to the fold's last day; `None` when there are none.
    pub(crate) fn folded(&self) -> StoreResult<Option<Folded>> {
        if self.days == 0 {
            return Ok(None);
        }
        let date = |k| key_date(k).ok_or_else(|| bad_date(&format!("{k}")));
        Ok(Some(Folded {
            customer_id: self.customer_id,
            first_day: date(self.first)?,
            last_day: date(self.last)?,
            days: self.days,
            total_minor: self.total,
            first_day_minor: self.first_amount,
            window_minor: self.window,
            yearly_minor: self.yearly,
        }))
    }
}

/// The running fold: rows arrive sorted by customer, then day. Orders after the last day are
/// read too, for [`FoldRow::next_until`] only.
pub(crate) struct Fold {
    until: DayKey,
    starts: [DayKey; 4],
    cur: Option<FoldRow>,
    pub(crate) out: Vec<FoldRow>,
}

impl Fold {
    pub(crate) fn new(k: Keys) -> Fold {
        Fold {
            until: k.until,
            starts: k.starts,
            cur: None,
            out: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, customer_id: i64, day: DayKey, amount: i64) -> StoreResult<()> {
        let acc = match &mut self.cur {
            Some(a) if a.customer_id == customer_id => {
                if day < a.last || (a.next_until != NO_DAY && day < a.next_until) {
                    return Err(unsorted());
                }
                a
            }
            cur => {
                if let Some(done) = cur.take() {
                    if customer_id < done.customer_id {
                        return Err(unsorted());
                    }
                    self.out.push(done);
                }
                cur.insert(FoldRow {
                    customer_id,
                    days: 0,
                    first: 0,
                    last: 0,
                    total: 0,
                    first_amount: 0,
                    window: 0,
                    yearly: [0; 3],
                    next: [NO_DAY; 4],
                    next_until: NO_DAY,
                })
            }
        };
        for (next, start) in acc.next.iter_mut().zip(self.starts) {
            if *next == NO_DAY && day > start {
                *next = day;
            }
        }
        if day > self.until {
            if acc.next_until == NO_DAY {
                acc.next_until = day;
            }
            return Ok(());
        }
        if acc.days == 0 {
            acc.days = 1;
            acc.first = day;
            acc.last = day;
        } else if day != acc.last {
            acc.days += 1;
            acc.last = day;
        }
        if day == acc.first {
            acc.first_amount += amount;
        }
        acc.total += amount;
        let [ws, y0, y1, y2] = self.starts;
        if day > ws {
            acc.window += amount;
        }
        if day > y0 {
            acc.yearly[0] += amount;
        } else if day > y1 {
            acc.yearly[1] += amount;
        } else if day > y2 {
            acc.yearly[2] += amount;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Vec<FoldRow> {
        if let Some(done) = self.cur.take() {
            self.out.push(done);
        }
        self.out
    }
}

fn unsorted() -> StoreError {
    StoreError::other(
        "folding orders",
        std::io::Error::other("the orders did not arrive in customer and day order"),
    )
}

fn bad_date(v: &str) -> StoreError {
    StoreError::other(
        "folding orders",
        std::io::Error::other(format!("an order's date '{v}' is not YYYY-MM-DD")),
    )
}

/// Folds, on SQLite, every customer's orders in `currency` by `b`; sorted by customer.
/// `None` on PostgreSQL (see [`fold_pg`]).
pub(crate) async fn fold_sqlite(
    c: &mut Conn<'_>,
    b: Keys,
    currency: &str,
) -> StoreResult<Option<Vec<FoldRow>>> {
    let Conn::Sqlite(conn) = c else {
        return Ok(None);
    };
    let ctx = "reading the orders by customer";
    let q = Scan { currency, keys: b };
    on_sqlite_handle(conn, ctx, |db| q.fold_all(db, SPLIT_MIN_CUSTOMERS))
        .await
        .map(Some)
}

impl Scan<'_> {
    /// Folds every customer's orders on `db`, in two halves at once from `split_min`
    /// customers (by id range) on.
    fn fold_all(&self, db: &rusqlite::Connection, split_min: i64) -> StoreResult<Vec<FoldRow>> {
        let ids = id_range(db, "customers", "id")?;
        in_two_halves(db, ids, split_min, |db, from, to, about| {
            self.fold(db, from, to, about)
        })
    }
}

/// The lowest and highest `column` of `table` (an integer key); `None` when it has no rows.
pub(crate) fn id_range(
    db: &rusqlite::Connection,
    table: &str,
    column: &str,
) -> StoreResult<Option<(i64, i64)>> {
    let ctx = "reading the range of the ids";
    let (lo, hi): (Option<i64>, Option<i64>) = db
        .query_row(
            &format!("SELECT MIN({column}), MAX({column}) FROM {table}"),
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| map_rusqlite(e, ctx))?;
    Ok(lo.zip(hi))
}

/// Reads the rows of ids `lo..=hi` (`range`; `None`: no rows known) with `read(db, from, to,
/// about)`, which reads the ids in `from..=to` (about `about` of them) in id order. A database
/// file (not in memory) and at least `split_min` ids on more than one core: the upper half is
/// read at the same time on a second, read-only connection of its own, and the halves join in
/// order. The second connection reads the latest commit; callers read before their transaction
/// writes anything (SQLite's write transactions take the lock up front, so no other writer
/// commits meanwhile), and both halves read the same data.
pub(crate) fn in_two_halves<T: Send>(
    db: &rusqlite::Connection,
    range: Option<(i64, i64)>,
    split_min: i64,
    read: impl Fn(&rusqlite::Connection, i64, i64, i64) -> StoreResult<Vec<T>> + Sync,
) -> StoreResult<Vec<T>> {
    let path = db.path().filter(|p| !p.is_empty()).map(str::to_owned);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match (range, path) {
        (Some((lo, hi)), Some(path)) if cores > 1 && hi.saturating_sub(lo) >= split_min => {
            let mid = lo + (hi - lo) / 2 + 1;
            let read = &read;
            std::thread::scope(|s| {
                // `None`: no second connection could be opened; the upper half is then read
                // after the lower one, on this connection.
                let upper = s.spawn(move || {
                    let other = open_reader(&path).ok()?;
                    Some(read(&other, mid, i64::MAX, hi - mid + 1))
                });
                let lower = read(db, i64::MIN, mid - 1, mid - lo);
                let upper = match upper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))
                {
                    Some(upper) => upper,
                    None => read(db, mid, i64::MAX, hi - mid + 1),
                };
                let (mut lower, upper) = (lower?, upper?);
                lower.reserve_exact(upper.len());
                lower.extend(upper);
                Ok(lower)
            })
        }
        (Some((lo, hi)), _) => read(db, i64::MIN, i64::MAX, hi.saturating_sub(lo) + 1),
        (None, _) => read(db, i64::MIN, i64::MAX, 0),
    }
}

/// Folds, on SQLite, the orders of the customers `ids` (ascending) in `currency` by `k`: one
/// lookup of the covering index per customer (through sqlx, a statement with a list of 500 ids
/// per call took 1.6 s for 17,000 customers). `None` on PostgreSQL.
pub(crate) async fn fold_some_sqlite(
    c: &mut Conn<'_>,
    ids: &[i64],
    k: Keys,
    currency: &str,
) -> StoreResult<Option<Vec<FoldRow>>> {
    let Conn::Sqlite(conn) = c else {
        return Ok(None);
    };
    let ctx = "reading some customers' orders";
    on_sqlite_handle(conn, ctx, |db| {
        fold_ids(db, ids, k, currency, REFOLD_SPLIT_MIN)
    })
    .await
    .map(Some)
}

/// Customers from which [`fold_some_sqlite`] folds on two connections at once (a day's moved
/// boundaries refold about 18,000 of the 1,000,000-customer demo's).
const REFOLD_SPLIT_MIN: usize = 2_000;

/// Folds the orders of `ids` (ascending) in `currency` by `k` on `db`; from `split_min` ids
/// on, in two halves at once (see [`in_two_halves`]).
fn fold_ids(
    db: &rusqlite::Connection,
    ids: &[i64],
    k: Keys,
    currency: &str,
    split_min: usize,
) -> StoreResult<Vec<FoldRow>> {
    let ctx = "reading some customers' orders";
    let range = ids.first().copied().zip(ids.last().copied());
    // The halves are by id range, whatever its width: what counts is how many ids there are.
    let split = if ids.len() >= split_min { 0 } else { i64::MAX };
    in_two_halves(db, range, split, |db, from, to, _| {
        let part = &ids[ids.partition_point(|id| *id < from)..ids.partition_point(|id| *id <= to)];
        let mut fold = Fold::new(k);
        let mut st = db
            .prepare(
                "SELECT order_date, total_minor FROM orders \
                 WHERE customer_id = ?1 AND currency = ?2 ORDER BY order_date",
            )
            .map_err(|e| map_rusqlite(e, ctx))?;
        for id in part {
            let mut rows = st.query((id, currency)).map_err(|e| map_rusqlite(e, ctx))?;
            while let Some(r) = rows.next().map_err(|e| map_rusqlite(e, ctx))? {
                let day = match r.get_ref(0).map_err(|e| map_rusqlite(e, ctx))? {
                    rusqlite::types::ValueRef::Text(t) => {
                        parse_key(t).ok_or_else(|| bad_date(&String::from_utf8_lossy(t)))?
                    }
                    other => return Err(bad_date(&format!("{other:?}"))),
                };
                let amount: i64 = r.get(1).map_err(|e| map_rusqlite(e, ctx))?;
                fold.push(*id, day, amount)?;
            }
        }
        Ok(fold.finish())
    })
}

/// Folds every customer's orders in `currency` by `b`, sorted by customer, on either backend.
pub(crate) async fn fold_orders(
    c: &mut Conn<'_>,
    b: Keys,
    currency: &str,
) -> StoreResult<Vec<FoldRow>> {
    match fold_sqlite(c, b, currency).await? {
        Some(folded) => Ok(folded),
        None => Ok(fold_pg(c, b, currency).await?.unwrap_or_default()),
    }
}

/// Folds, on PostgreSQL, every customer's orders in `currency` up to `b.until`; sorted by
/// customer. The orders come as `COPY … TO STDOUT` text from an index-only scan of the covering
/// index in (customer, day) order: one stream, no per-row protocol message and no decoded row
/// per order (the grouped SQL this replaces took 10.8-11.1 s of each model command on
/// 10,000,000 orders). `None` on SQLite (see [`fold_sqlite`]).
pub(crate) async fn fold_pg(
    c: &mut Conn<'_>,
    b: Keys,
    currency: &str,
) -> StoreResult<Option<Vec<FoldRow>>> {
    let Conn::Pg(pg) = c else {
        return Ok(None);
    };
    let ctx = "reading the orders by customer";
    // COPY takes no parameters: the value is written into the statement, so it is checked
    // first (a currency code is letters). Orders after the last day are read too (see
    // `FoldRow::next_until`; the archive has few, if any).
    if currency.is_empty() || !currency.bytes().all(|x| x.is_ascii_alphanumeric()) {
        return Err(StoreError::invalid(
            "currency",
            "invalid",
            format!("'{currency}' is not a currency code"),
        ));
    }
    let sql = format!(
        "COPY (SELECT customer_id, order_date, total_minor FROM orders \
         WHERE currency = '{currency}' ORDER BY customer_id, order_date) TO STDOUT"
    );
    let mut fold = Fold::new(b);
    copy_out_lines(pg, &sql, ctx, |line| fold_copy_line(&mut fold, line)).await?;
    Ok(Some(fold.finish()))
}

/// Streams the text of `COPY … TO STDOUT` and hands `each` every line, without its newline.
/// A line may end in the next chunk: the unfinished tail waits for it.
pub(crate) async fn copy_out_lines(
    pg: &mut sqlx::PgConnection,
    sql: &str,
    ctx: &str,
    mut each: impl FnMut(&[u8]) -> StoreResult<()>,
) -> StoreResult<()> {
    use futures::TryStreamExt;
    let mut stream = pg
        .copy_out_raw(sql)
        .await
        .map_err(|e| crate::error::map_sqlx(e, ctx))?;
    let mut rest: Vec<u8> = Vec::new();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| crate::error::map_sqlx(e, ctx))?
    {
        if rest.is_empty() {
            let used = each_line(&chunk, &mut each)?;
            rest.extend_from_slice(&chunk[used..]);
        } else {
            rest.extend_from_slice(&chunk);
            let used = each_line(&rest, &mut each)?;
            rest.drain(..used);
        }
    }
    if !rest.is_empty() {
        return Err(bad_line(&rest));
    }
    Ok(())
}

/// Hands `each` the complete lines at the start of `data`; returns how many bytes they took
/// (the rest is an unfinished line).
fn each_line(data: &[u8], each: &mut impl FnMut(&[u8]) -> StoreResult<()>) -> StoreResult<usize> {
    let mut used = 0;
    while let Some(n) = data[used..].iter().position(|&x| x == b'\n') {
        each(&data[used..used + n])?;
        used += n + 1;
    }
    Ok(used)
}

/// Folds one `id<TAB>day<TAB>amount` line.
fn fold_copy_line(fold: &mut Fold, line: &[u8]) -> StoreResult<()> {
    let mut parts = line.split(|&x| x == b'\t');
    let int = |v: Option<&[u8]>| -> Option<i64> { std::str::from_utf8(v?).ok()?.parse().ok() };
    let id = int(parts.next());
    let day = parts.next().and_then(parse_key);
    let amount = int(parts.next());
    match (id, day, amount, parts.next()) {
        (Some(id), Some(day), Some(amount), None) => fold.push(id, day, amount),
        _ => Err(bad_line(line)),
    }
}

pub(crate) fn bad_line(line: &[u8]) -> StoreError {
    StoreError::other(
        "folding orders",
        std::io::Error::other(format!(
            "an order line '{}' is not customer, day and amount",
            String::from_utf8_lossy(line)
        )),
    )
}

/// Customers (by id range) from which [`fold_sqlite`] folds, and the kept folds are read, on
/// two connections at once (see [`in_two_halves`]).
pub(crate) const SPLIT_MIN_CUSTOMERS: i64 = 100_000;

/// A second connection to the database file at `path` for reading only, tuned as the pool's
/// (see `SqlStore::open`), with the pool's busy timeout.
fn open_reader(path: &str) -> StoreResult<rusqlite::Connection> {
    super::inline::open_reader(path, std::time::Duration::from_secs(10))
}

/// One scan of the orders for [`fold_sqlite`].
struct Scan<'a> {
    currency: &'a str,
    keys: Keys,
}

impl Scan<'_> {
    /// Folds the orders of the customers with ids in `from..=to`, of whom there are about
    /// `customers` (the result's room, reserved once: grown by doubling, a million results
    /// were copied about twenty times into fresh memory).
    fn fold(
        &self,
        db: &rusqlite::Connection,
        from: i64,
        to: i64,
        customers: i64,
    ) -> StoreResult<Vec<FoldRow>> {
        let ctx = "reading the orders by customer";
        let mut fold = Fold::new(self.keys);
        fold.out
            .reserve(usize::try_from(customers.clamp(0, 1 << 24)).unwrap_or(0));
        // The covering index gives the order without a sort and without reading the table.
        let mut st = db
            .prepare(
                "SELECT customer_id, order_date, total_minor FROM orders \
                 WHERE customer_id BETWEEN ?2 AND ?3 \
                   AND currency = ?1 ORDER BY customer_id, order_date",
            )
            .map_err(|e| map_rusqlite(e, ctx))?;
        let mut rows = st
            .query((self.currency, from, to))
            .map_err(|e| map_rusqlite(e, ctx))?;
        while let Some(r) = rows.next().map_err(|e| map_rusqlite(e, ctx))? {
            let id: i64 = r.get(0).map_err(|e| map_rusqlite(e, ctx))?;
            let day = r.get_ref(1).map_err(|e| map_rusqlite(e, ctx))?;
            let day = match day {
                rusqlite::types::ValueRef::Text(t) => {
                    parse_key(t).ok_or_else(|| bad_date(&String::from_utf8_lossy(t)))?
                }
                other => return Err(bad_date(&format!("{other:?}"))),
            };
            let amount: i64 = r.get(2).map_err(|e| map_rusqlite(e, ctx))?;
            fold.push(id, day, amount)?;
        }
        Ok(fold.finish())
    }
}

/// Every customer id, ascending. Through rusqlite on SQLite and as `COPY` text on PostgreSQL:
/// a million rows. SQLite is asked for the ids in no order and they are sorted here: SQLite then
/// reads them from its smallest index that holds them (every index holds the row id), 22 MB on
/// the 1,000,000-customer demo, not from the 320 MB table that `ORDER BY id` walks (0.09 s
/// against 0.27-0.37 s in the `sqlite3` shell).
pub(crate) async fn customer_ids(c: &mut Conn<'_>) -> StoreResult<Vec<i64>> {
    let ctx = "reading the customer ids";
    if let Conn::Sqlite(conn) = c {
        let mut ids = on_sqlite_handle(conn, ctx, |db| {
            let mut st = db
                .prepare("SELECT id FROM customers")
                .map_err(|e| map_rusqlite(e, ctx))?;
            let rows = st
                .query_map((), |r| r.get::<_, i64>(0))
                .map_err(|e| map_rusqlite(e, ctx))?;
            rows.map(|r| r.map_err(|e| map_rusqlite(e, ctx)))
                .collect::<StoreResult<Vec<i64>>>()
        })
        .await?;
        ids.sort_unstable();
        return Ok(ids);
    }
    let rows = id_text_rows(c, "SELECT id, NULL FROM customers ORDER BY id", ctx).await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// Every customer that has an external reference, with it, by ascending id. Read from the
/// references' unique index (which holds the id) and sorted here: on a million customers the
/// index is a quarter of the table's scan (63 ms against 257 ms in the `sqlite3` shell).
pub(crate) async fn customer_refs(c: &mut Conn<'_>) -> StoreResult<Vec<(i64, String)>> {
    let rows = id_text_rows(
        c,
        "SELECT id, external_ref FROM customers WHERE external_ref IS NOT NULL",
        "reading the customer references",
    )
    .await?;
    let mut out: Vec<(i64, String)> = rows
        .into_iter()
        .filter_map(|(id, r)| Some((id, r?)))
        .collect();
    out.sort_unstable_by_key(|(id, _)| *id);
    Ok(out)
}

fn id_text_rows_sqlite(
    db: &rusqlite::Connection,
    sql: &str,
    ctx: &str,
) -> StoreResult<Vec<(i64, Option<String>)>> {
    let mut st = db.prepare(sql).map_err(|e| map_rusqlite(e, ctx))?;
    let rows = st
        .query_map((), |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(|e| map_rusqlite(e, ctx))?;
    rows.map(|r| r.map_err(|e| map_rusqlite(e, ctx)))
        .collect::<StoreResult<Vec<_>>>()
}

/// The rows of `sql` (an id and a text or NULL).
async fn id_text_rows(
    c: &mut Conn<'_>,
    sql: &str,
    ctx: &'static str,
) -> StoreResult<Vec<(i64, Option<String>)>> {
    match c {
        Conn::Sqlite(conn) => {
            on_sqlite_handle(conn, ctx, |db| id_text_rows_sqlite(db, sql, ctx)).await
        }
        Conn::Inline(db) => id_text_rows_sqlite(db, sql, ctx),
        Conn::Pg(pg) => {
            let mut out = Vec::new();
            copy_out_lines(pg, &format!("COPY ({sql}) TO STDOUT"), ctx, |line| {
                let t = line
                    .iter()
                    .position(|&x| x == b'\t')
                    .ok_or_else(|| bad_line(line))?;
                let id = std::str::from_utf8(&line[..t])
                    .ok()
                    .and_then(|v| v.parse::<i64>().ok())
                    .ok_or_else(|| bad_line(line))?;
                out.push((id, copy_text(&line[t + 1..])));
                Ok(())
            })
            .await?;
            Ok(out)
        }
    }
}

/// A value of `COPY … TO STDOUT` text: `\N` is NULL; backslash sequences stand for a
/// backslash and control characters (COPY writes no octal or hex sequences).
fn copy_text(v: &[u8]) -> Option<String> {
    if v == b"\\N" {
        return None;
    }
    let mut out = Vec::with_capacity(v.len());
    let mut bytes = v.iter();
    while let Some(&x) = bytes.next() {
        if x != b'\\' {
            out.push(x);
            continue;
        }
        out.push(match bytes.next() {
            Some(b'b') => 0x08,
            Some(b'f') => 0x0c,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'v') => 0x0b,
            Some(&other) => other,
            None => b'\\',
        });
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
    }

    #[test]
    fn day_keys_order_like_dates_and_parse_back() {
        let days = [
            d(1997, 1, 1),
            d(1997, 1, 31),
            d(1997, 2, 1),
            d(2026, 12, 31),
        ];
        for w in days.windows(2) {
            assert!(day_key(w[0]) < day_key(w[1]));
        }
        for x in days {
            assert_eq!(
                parse_key(x.format("%Y-%m-%d").to_string().as_bytes()),
                Some(day_key(x))
            );
            assert_eq!(key_date(day_key(x)), Some(x));
        }
        for bad in [
            "1997-13-01",
            "1997-1-01",
            "19970101",
            "1997-01-0x",
            "",
            "1997-01-001",
        ] {
            assert_eq!(parse_key(bad.as_bytes()), None, "{bad}");
        }
    }

    /// A classification as of 2026-06-30 with a 12-month window.
    fn mid_2026() -> Bounds {
        Bounds {
            until: d(2026, 6, 30),
            window_start: d(2025, 6, 30),
            year_starts: [d(2025, 6, 30), d(2024, 6, 30), d(2023, 6, 30)],
        }
    }

    #[test]
    fn folds_days_windows_and_years_per_customer() {
        let mut f = Fold::new((&mid_2026()).into());
        let rows = [
            // customer 1: two orders on the first day, a refund on a later day, one in the window
            (1, d(2023, 7, 1), 100),
            (1, d(2023, 7, 1), 50),
            (1, d(2024, 6, 30), -20),
            (1, d(2026, 1, 5), 300),
            // customer 7: one day only
            (7, d(2025, 6, 30), 40),
        ];
        for (id, day, amount) in rows {
            f.push(id, day_key(day), amount).expect("rows in order");
        }
        let kept = f.finish();
        assert_eq!(kept.len(), 2);
        assert_eq!(
            kept[0].next,
            [
                day_key(d(2026, 1, 5)),
                day_key(d(2026, 1, 5)),
                // 2024-06-30 is the start itself, not after it
                day_key(d(2026, 1, 5)),
                day_key(d(2023, 7, 1))
            ],
            "the first order day after each start"
        );
        assert_eq!(kept[0].next_until, NO_DAY);
        let out: Vec<Folded> = kept
            .iter()
            .map(|r| r.folded().expect("valid days").expect("orders"))
            .collect();
        assert_eq!(
            out[0],
            Folded {
                customer_id: 1,
                first_day: d(2023, 7, 1),
                last_day: d(2026, 1, 5),
                days: 3,
                total_minor: 430,
                first_day_minor: 150,
                window_minor: 300,
                yearly_minor: [300, 0, 130],
            }
        );
        assert_eq!(out[1].days, 1);
        assert_eq!(out[1].first_day_minor, 40);
        assert_eq!(
            out[1].window_minor, 0,
            "the window's start day is outside it"
        );
        assert_eq!(out[1].yearly_minor, [0, 40, 0]);
    }

    /// Orders after the last day are not counted, only the first of their days noted; a
    /// customer with only such orders has no purchases but is kept for that day.
    #[test]
    fn orders_after_the_last_day_are_only_noted() {
        let mut f = Fold::new((&mid_2026()).into());
        let rows = [
            (1, d(2026, 6, 30), 10),
            (1, d(2026, 7, 2), 20),
            (1, d(2026, 7, 9), 30),
            (2, d(2026, 8, 1), 5),
        ];
        for (id, day, amount) in rows {
            f.push(id, day_key(day), amount).expect("rows in order");
        }
        let kept = f.finish();
        assert_eq!((kept[0].days, kept[0].total), (1, 10));
        assert_eq!(kept[0].next_until, day_key(d(2026, 7, 2)));
        assert_eq!(kept[1].days, 0);
        assert_eq!(kept[1].next_until, day_key(d(2026, 8, 1)));
        assert_eq!(kept[1].folded().expect("no dates to read"), None);
        let mut f = Fold::new((&mid_2026()).into());
        f.push(3, day_key(d(2026, 7, 9)), 1)
            .expect("after the last day");
        assert!(
            f.push(3, day_key(d(2026, 7, 2)), 1).is_err(),
            "out of order after the last day"
        );
    }

    #[test]
    fn refuses_rows_out_of_order() {
        let mut f = Fold::new((&mid_2026()).into());
        f.push(2, day_key(d(2026, 1, 2)), 1).expect("the first row");
        assert!(f.push(2, day_key(d(2026, 1, 1)), 1).is_err());
        let mut f = Fold::new((&mid_2026()).into());
        f.push(2, day_key(d(2026, 1, 2)), 1).expect("the first row");
        assert!(f.push(1, day_key(d(2026, 1, 3)), 1).is_err());
    }

    /// Two halves folded at once on two connections give what one pass gives: every customer
    /// once, in order, the orders of the halves' edge customers not split or lost.
    #[test]
    fn a_split_scan_folds_like_one_pass() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("orders.db");
        let db = rusqlite::Connection::open(&path).expect("a database file");
        db.execute_batch(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE customers (id INTEGER PRIMARY KEY); \
             CREATE TABLE orders (customer_id INTEGER, order_date TEXT, currency TEXT, \
               total_minor INTEGER); \
             CREATE INDEX orders_customer_date \
               ON orders(customer_id, order_date, currency, total_minor);",
        )
        .expect("the tables");
        for i in 1..=300i64 {
            // Ids spread so that a split threshold of 1,000 customers splits them.
            let id = i * 7;
            db.execute("INSERT INTO customers (id) VALUES (?1)", [id])
                .expect("a customer");
            for k in 0..(i % 5) {
                let day = d(2025, 1 + (k as u32 % 12), 1 + (i as u32 % 28));
                for currency in ["USD", "EUR"] {
                    db.execute(
                        "INSERT INTO orders VALUES (?1, ?2, ?3, ?4)",
                        (
                            id,
                            day.format("%Y-%m-%d").to_string(),
                            currency,
                            100 * i + k,
                        ),
                    )
                    .expect("an order");
                }
            }
        }
        let b = mid_2026();
        let q = Scan {
            currency: "USD",
            keys: (&b).into(),
        };
        let whole = q.fold_all(&db, i64::MAX).expect("one pass");
        let split = q.fold_all(&db, 1_000).expect("two halves");
        assert_eq!(whole.len(), 240, "the customers with orders");
        assert_eq!(split, whole);
        // Some customers refolded (every third, some without orders): the same rows, in one
        // pass or in two halves.
        let some: Vec<i64> = (1..=300i64).filter(|i| i % 3 == 0).map(|i| i * 7).collect();
        let expected: Vec<FoldRow> = whole
            .iter()
            .filter(|r| some.contains(&r.customer_id))
            .copied()
            .collect();
        assert_eq!(expected.len(), 80);
        let k = (&b).into();
        assert_eq!(
            fold_ids(&db, &some, k, "USD", usize::MAX).expect("one pass"),
            expected
        );
        assert_eq!(
            fold_ids(&db, &some, k, "USD", 10).expect("two halves"),
            expected
        );
        assert_eq!(fold_ids(&db, &[], k, "USD", 0).expect("none"), vec![]);
        // A database the second connection cannot open (its file moved away after the first
        // opened it) is folded in two halves on the first.
        let moved = dir.path().join("moved.db");
        std::fs::rename(&path, &moved).expect("moved");
        let alone = q.fold_all(&db, 1_000).expect("two halves, one connection");
        assert_eq!(alone, whole);
        assert!(split
            .windows(2)
            .all(|w| w[0].customer_id < w[1].customer_id));
    }

    #[test]
    fn copy_text_values_are_unescaped() {
        assert_eq!(copy_text(b"\\N"), None);
        assert_eq!(copy_text(b"").as_deref(), Some(""));
        assert_eq!(
            copy_text(b"a\\tb\\\\c\\nd \xe5\xbc\xa0").as_deref(),
            Some("a\tb\\c\nd \u{5f20}")
        );
        assert_eq!(copy_text(b"\\\\N").as_deref(), Some("\\N"));
    }

    #[test]
    fn copy_lines_fold_and_leave_the_unfinished_tail() {
        let mut f = Fold::new((&mid_2026()).into());
        let data = b"1\t2026-01-05\t100\n1\t2026-01-05\t-20\n2\t2025-03-0";
        let used = each_line(data, &mut |l| fold_copy_line(&mut f, l)).expect("two lines");
        assert_eq!(&data[used..], b"2\t2025-03-0");
        assert!(each_line(b"2\tnot a day\t5\n", &mut |l| fold_copy_line(&mut f, l)).is_err());
        let out = f.finish();
        assert_eq!((out[0].days, out[0].total), (1, 80));
    }
}
