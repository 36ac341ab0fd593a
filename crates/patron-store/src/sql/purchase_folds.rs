//! Every customer's orders folded ([`FoldRow`]), kept between runs (migration 0026) so that
//! classification and the customer-base models read one row per customer instead of every
//! order. On 10,000,000 orders each of `classify`, `model fit` and `model score` spent about 2 s
//! (SQLite) and 4 s (PostgreSQL) folding all the orders again although, between two runs, few
//! of them change.
//!
//! What keeps the stored folds true:
//! - **Orders written since** (by the API, an import, a merge, a customer's deletion): triggers
//!   on `orders` note the customer in `purchase_fold_dirty`; the next fold refolds exactly those
//!   customers and deletes exactly the notes it read. A large import (see `bulk_load`) drops
//!   what is kept instead, and the next fold reads every order.
//! - **Boundaries that moved** (the next day's run: the window's and the years' starts and the
//!   last day all move forward): each stored row knows the first order day after each boundary
//!   and its last day, so the customers with an order between an old and a new boundary are
//!   found without reading the orders, and refolded.
//! - A window moved backwards (a classification as of an earlier day), another currency, or
//!   more than a fifth of the customers affected: every order is folded again, as before; the
//!   result is kept unless it was for an earlier day.

use super::bulk::{write_rows, RowBuf, RowSource};
use super::conn::{Arg, Conn};
use super::order_scan::{self, day_key, Bounds, DayKey, Fold, FoldRow, Folded, Keys};
use crate::error::{map_rusqlite, StoreResult};
use chrono::NaiveDate;

/// What a caller needs folded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    /// Classification: the window's and the years' sums by these boundaries.
    Windows(Bounds),
    /// The models: purchases up to this day; the window sums are not read (the stored
    /// boundaries are kept).
    Until(NaiveDate),
}

/// The boundaries and currency of the stored folds (`purchase_fold_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    currency: String,
    until: DayKey,
    starts: [DayKey; 4],
}

impl State {
    /// Whether `r`, folded by `self`, may fold differently by `next` (whose starts are not
    /// earlier than `self`'s): an order between an old and a new boundary.
    fn affects(&self, next: &State, r: &FoldRow) -> bool {
        let moved = self
            .starts
            .iter()
            .zip(next.starts)
            .zip(r.next)
            .any(|((old, new), first_after)| new > *old && first_after <= new);
        moved
            || (next.until > self.until && r.next_until <= next.until)
            || (next.until < self.until && r.days > 0 && r.last > next.until)
    }

    fn keys(&self) -> Keys {
        Keys {
            until: self.until,
            starts: self.starts,
        }
    }
}

/// Before every day (0000-01-00).
const FIRST_DAY: DayKey = 0;

/// Customers affected by more than this share (1/N) of the stored rows: fold every order.
const REFOLD_ALL_SHARE: usize = 5;

/// Every customer with orders in `currency` up to the wanted last day, folded; sorted by
/// customer. Reads and updates what is kept (see the module's doc); call it before the
/// caller's transaction writes anything (the SQLite fold reads the latest commit on a second
/// connection).
pub(crate) async fn folded(
    c: &mut Conn<'_>,
    want: Want,
    currency: &str,
) -> StoreResult<Vec<Folded>> {
    let rows = fold_rows(c, want, currency).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(f) = r.folded()? {
            out.push(f);
        }
    }
    Ok(out)
}

async fn fold_rows(c: &mut Conn<'_>, want: Want, currency: &str) -> StoreResult<Vec<FoldRow>> {
    let t = std::time::Instant::now();
    if let Conn::Pg(_) = c {
        // Two runs at once would both rewrite the kept rows: the second waits for the first.
        c.execute("SELECT pg_advisory_xact_lock(72350026)", vec![])
            .await?;
    }
    let old = load_state(c).await?.filter(|s| s.currency == currency);
    let (until, starts) = match (&want, &old) {
        (Want::Windows(b), _) => (day_key(b.until), b.starts()),
        (Want::Until(u), Some(s)) => (day_key(*u), s.starts),
        // No window yet: starts before every order, so the first classification's window is
        // "later" and its fold is kept (an earlier window is taken for a look back).
        (Want::Until(u), None) => (day_key(*u), [FIRST_DAY; 4]),
    };
    let next = State {
        currency: currency.to_owned(),
        until,
        starts,
    };
    let Some(old) = old else {
        return fold_all(c, &next, true).await;
    };
    if next.starts.iter().zip(old.starts).any(|(n, o)| *n < o) {
        // A classification as of an earlier day: folded, not kept (the next current run
        // would have to fold everything again).
        return fold_all(c, &next, false).await;
    }
    let mut rows = load_rows(c).await?;
    let dirty = load_dirty(c).await?;
    let mut ids: Vec<i64> = rows
        .iter()
        .filter(|r| old.affects(&next, r))
        .map(|r| r.customer_id)
        .collect();
    ids.extend(dirty.iter().map(|(_, id)| *id));
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > rows.len() / REFOLD_ALL_SHARE + 1_000 {
        return fold_all(c, &next, true).await;
    }
    let refold_started = std::time::Instant::now();
    let refolded = refold(c, &ids, &next).await?;
    let refold_ms = refold_started.elapsed().as_millis() as u64;
    if !ids.is_empty() {
        // Both lists are sorted: the refolded customers replace their rows (or join, or leave).
        let old_rows = std::mem::take(&mut rows);
        rows.reserve_exact(old_rows.len() + refolded.len());
        let mut gone = ids.iter().peekable();
        let mut new = refolded.iter().peekable();
        for r in old_rows {
            while let Some(n) = new.next_if(|n| n.customer_id < r.customer_id) {
                rows.push(*n);
            }
            while gone.next_if(|id| **id < r.customer_id).is_some() {}
            if gone.next_if(|id| **id == r.customer_id).is_none() {
                rows.push(r);
            }
        }
        rows.extend(new.copied());
        for part in ids.chunks(500) {
            let sql = format!(
                "DELETE FROM purchase_folds WHERE customer_id IN ({})",
                super::placeholders(c, part.len())
            );
            c.execute(&sql, part.iter().map(|id| Arg::from(*id)).collect())
                .await?;
        }
        write_rows(
            c,
            "purchase_folds",
            &COLS,
            &mut Rows {
                rows: refolded.iter(),
            },
        )
        .await?;
    }
    forget_dirty(c, dirty.iter().map(|(seq, _)| *seq).collect()).await?;
    if next != old {
        save_state(c, &next).await?;
    }
    tracing::debug!(
        customers = rows.len(),
        refolded = ids.len(),
        dirty = dirty.len(),
        refold_ms,
        ms = t.elapsed().as_millis() as u64,
        "purchase folds: kept rows updated"
    );
    Ok(rows)
}

/// Folds every order by `next`; keeps the result when `keep`.
async fn fold_all(c: &mut Conn<'_>, next: &State, keep: bool) -> StoreResult<Vec<FoldRow>> {
    let t = std::time::Instant::now();
    // The notes are read before the orders: a note added after the read stays for later.
    let dirty = if keep {
        load_dirty(c).await?
    } else {
        Vec::new()
    };
    let rows = order_scan::fold_orders(c, next.keys(), &next.currency).await?;
    let fold_ms = t.elapsed().as_millis() as u64;
    if keep {
        // PostgreSQL: TRUNCATE, not a million row deletions (runs hold the advisory lock, so
        // nobody else is reading the table for a fold).
        let clear = if c.is_sqlite() {
            "DELETE FROM purchase_folds"
        } else {
            "TRUNCATE purchase_folds"
        };
        c.execute(clear, vec![]).await?;
        write_rows(c, "purchase_folds", &COLS, &mut Rows { rows: rows.iter() }).await?;
        forget_dirty(c, dirty.iter().map(|(seq, _)| *seq).collect()).await?;
        save_state(c, next).await?;
    }
    tracing::debug!(
        customers = rows.len(),
        kept = keep,
        fold_ms,
        ms = t.elapsed().as_millis() as u64,
        "purchase folds: every order folded"
    );
    Ok(rows)
}

/// Folds the orders of `ids` (sorted) by `next`; customers without orders in the currency are
/// left out.
async fn refold(c: &mut Conn<'_>, ids: &[i64], next: &State) -> StoreResult<Vec<FoldRow>> {
    if let Some(rows) = order_scan::fold_some_sqlite(c, ids, next.keys(), &next.currency).await? {
        return Ok(rows);
    }
    let mut fold = Fold::new(next.keys());
    for part in ids.chunks(500) {
        let cur = if c.is_sqlite() {
            "?".to_owned()
        } else {
            format!("${}", part.len() + 1)
        };
        let sql = format!(
            "SELECT customer_id, order_date, total_minor FROM orders \
             WHERE customer_id IN ({}) AND currency = {cur} ORDER BY customer_id, order_date",
            super::placeholders(c, part.len())
        );
        let mut args: Vec<Arg> = part.iter().map(|id| Arg::from(*id)).collect();
        args.push(next.currency.as_str().into());
        let orders: Vec<(i64, NaiveDate, i64)> = c.fetch_all(&sql, args).await?;
        for (id, day, amount) in orders {
            fold.push(id, day_key(day), amount)?;
        }
    }
    Ok(fold.finish())
}

async fn load_state(c: &mut Conn<'_>) -> StoreResult<Option<State>> {
    type Row = (String, i64, i64, i64, i64, i64);
    let row: Option<Row> = c
        .fetch_optional(
            "SELECT currency, until_day, window_start, y0_start, y1_start, y2_start \
             FROM purchase_fold_state WHERE id = 1",
            vec![],
        )
        .await?;
    let key = |v: i64| DayKey::try_from(v).unwrap_or(DayKey::MAX);
    Ok(row.map(|(currency, u, w, y0, y1, y2)| State {
        currency,
        until: key(u),
        starts: [key(w), key(y0), key(y1), key(y2)],
    }))
}

async fn save_state(c: &mut Conn<'_>, s: &State) -> StoreResult<()> {
    c.execute("DELETE FROM purchase_fold_state", vec![]).await?;
    let sql = if c.is_sqlite() {
        "INSERT INTO purchase_fold_state \
         (id, currency, until_day, window_start, y0_start, y1_start, y2_start) \
         VALUES (1, ?, ?, ?, ?, ?, ?)"
    } else {
        "INSERT INTO purchase_fold_state \
         (id, currency, until_day, window_start, y0_start, y1_start, y2_start) \
         VALUES (1, $1, $2, $3, $4, $5, $6)"
    };
    let mut args: Vec<Arg> = vec![s.currency.as_str().into(), i64::from(s.until).into()];
    args.extend(s.starts.iter().map(|k| Arg::from(i64::from(*k))));
    c.execute(sql, args).await?;
    Ok(())
}

/// Drops every kept fold: the next fold reads every order. For writers that bypass the
/// triggers (a large import).
pub(crate) async fn forget_all(c: &mut Conn<'_>) -> StoreResult<()> {
    c.execute("DELETE FROM purchase_fold_state", vec![]).await?;
    c.execute("DELETE FROM purchase_folds", vec![]).await?;
    c.execute("DELETE FROM purchase_fold_dirty", vec![]).await?;
    Ok(())
}

/// The notes of changed customers: `(seq, customer_id)`, by seq.
async fn load_dirty(c: &mut Conn<'_>) -> StoreResult<Vec<(i64, i64)>> {
    c.fetch_all(
        "SELECT seq, customer_id FROM purchase_fold_dirty ORDER BY seq",
        vec![],
    )
    .await
}

/// Deletes exactly the notes `seqs` (sorted), as runs of consecutive numbers: a note another
/// session added meanwhile with a number in a gap stays.
async fn forget_dirty(c: &mut Conn<'_>, seqs: Vec<i64>) -> StoreResult<()> {
    let sql = if c.is_sqlite() {
        "DELETE FROM purchase_fold_dirty WHERE seq BETWEEN ? AND ?"
    } else {
        "DELETE FROM purchase_fold_dirty WHERE seq BETWEEN $1 AND $2"
    };
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i;
        while j + 1 < seqs.len() && seqs[j + 1] == seqs[j] + 1 {
            j += 1;
        }
        c.execute(sql, vec![seqs[i].into(), seqs[j].into()]).await?;
        i = j + 1;
    }
    Ok(())
}

const COLS: [&str; 15] = [
    "customer_id",
    "days",
    "first_day",
    "last_day",
    "total_minor",
    "first_day_minor",
    "window_minor",
    "y0_minor",
    "y1_minor",
    "y2_minor",
    "next_window",
    "next_y0",
    "next_y1",
    "next_y2",
    "next_until",
];

struct Rows<'a> {
    rows: std::slice::Iter<'a, FoldRow>,
}

impl RowSource for Rows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let Some(r) = self.rows.next() else {
            return false;
        };
        for v in values(r) {
            w.int(v);
        }
        w.end_row();
        true
    }
}

fn values(r: &FoldRow) -> [i64; 15] {
    let k = i64::from;
    [
        r.customer_id,
        r.days,
        k(r.first),
        k(r.last),
        r.total,
        r.first_amount,
        r.window,
        r.yearly[0],
        r.yearly[1],
        r.yearly[2],
        k(r.next[0]),
        k(r.next[1]),
        k(r.next[2]),
        k(r.next[3]),
        k(r.next_until),
    ]
}

fn from_values(v: [i64; 15]) -> FoldRow {
    let k = |x: i64| DayKey::try_from(x).unwrap_or(DayKey::MAX);
    FoldRow {
        customer_id: v[0],
        days: v[1],
        first: k(v[2]),
        last: k(v[3]),
        total: v[4],
        first_amount: v[5],
        window: v[6],
        yearly: [v[7], v[8], v[9]],
        next: [k(v[10]), k(v[11]), k(v[12]), k(v[13])],
        next_until: k(v[14]),
    }
}

/// Every kept row, by customer, on SQLite: in two halves at once from `split_min` customers
/// (by id range) on.
fn load_rows_sqlite(db: &rusqlite::Connection, split_min: i64) -> StoreResult<Vec<FoldRow>> {
    let ctx = "reading the kept purchase folds";
    let range = order_scan::id_range(db, "purchase_folds", "customer_id")?;
    let sql = format!(
        "SELECT {} FROM purchase_folds WHERE customer_id BETWEEN ?1 AND ?2 ORDER BY customer_id",
        COLS.join(", ")
    );
    order_scan::in_two_halves(db, range, split_min, |db, from, to, about| {
        // Room for the ids' range, reserved once (untouched room costs no memory).
        let mut out = Vec::with_capacity(usize::try_from(about.clamp(0, 1 << 24)).unwrap_or(0));
        let mut st = db.prepare(&sql).map_err(|e| map_rusqlite(e, ctx))?;
        let mut rows = st.query((from, to)).map_err(|e| map_rusqlite(e, ctx))?;
        while let Some(r) = rows.next().map_err(|e| map_rusqlite(e, ctx))? {
            let mut v = [0i64; 15];
            for (i, x) in v.iter_mut().enumerate() {
                *x = r.get(i).map_err(|e| map_rusqlite(e, ctx))?;
            }
            out.push(from_values(v));
        }
        Ok(out)
    })
}

/// Every kept row, by customer: through rusqlite on SQLite, in two halves at once (a million
/// rows; see [`order_scan::in_two_halves`]), as `COPY` text on PostgreSQL.
async fn load_rows(c: &mut Conn<'_>) -> StoreResult<Vec<FoldRow>> {
    let ctx = "reading the kept purchase folds";
    let sql = format!(
        "SELECT {} FROM purchase_folds ORDER BY customer_id",
        COLS.join(", ")
    );
    match c {
        Conn::Sqlite(conn) => {
            super::bulk::on_sqlite_handle(conn, ctx, |db| {
                load_rows_sqlite(db, order_scan::SPLIT_MIN_CUSTOMERS)
            })
            .await
        }
        Conn::Inline(db) => load_rows_sqlite(db, order_scan::SPLIT_MIN_CUSTOMERS),
        Conn::Pg(pg) => {
            let mut out = Vec::new();
            order_scan::copy_out_lines(pg, &format!("COPY ({sql}) TO STDOUT"), ctx, |line| {
                let mut v = [0i64; 15];
                let mut parts = line.split(|&x| x == b'\t');
                for x in v.iter_mut() {
                    *x = parts
                        .next()
                        .and_then(|p| std::str::from_utf8(p).ok()?.parse().ok())
                        .ok_or_else(|| order_scan::bad_line(line))?;
                }
                if parts.next().is_some() {
                    return Err(order_scan::bad_line(line));
                }
                out.push(from_values(v));
                Ok(())
            })
            .await?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept rows read in two halves on two connections are the rows one pass reads: each
    /// once, in order, the halves' edges neither doubled nor lost.
    #[test]
    fn kept_rows_read_in_halves_as_in_one_pass() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("folds.db");
        let db = rusqlite::Connection::open(&path).expect("a database file");
        let cols: Vec<String> = COLS[1..]
            .iter()
            .map(|c| format!("{c} INTEGER NOT NULL"))
            .collect();
        db.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE purchase_folds (customer_id INTEGER PRIMARY KEY, {});",
            cols.join(", ")
        ))
        .expect("the table");
        let sql = format!(
            "INSERT INTO purchase_folds ({}) VALUES ({})",
            COLS.join(", "),
            vec!["?"; COLS.len()].join(", ")
        );
        let rows: Vec<FoldRow> = (1..=301i64)
            .map(|i| {
                // Ids spread so that a threshold of 1,000 splits them; the upper half longer.
                let mut v = [0i64; 15];
                for (k, x) in v.iter_mut().enumerate() {
                    *x = i * 100 + k as i64;
                }
                v[0] = if i > 150 { i * 11 } else { i * 3 };
                from_values(v)
            })
            .collect();
        for r in &rows {
            db.execute(&sql, rusqlite::params_from_iter(values(r)))
                .expect("a row");
        }
        let whole = load_rows_sqlite(&db, i64::MAX).expect("one pass");
        assert_eq!(whole, rows);
        assert_eq!(load_rows_sqlite(&db, 1_000).expect("two halves"), rows);
        // The second connection cannot open the file (moved away): both halves on this one.
        std::fs::rename(&path, dir.path().join("moved.db")).expect("moved");
        assert_eq!(load_rows_sqlite(&db, 1_000).expect("one connection"), rows);
    }
}
