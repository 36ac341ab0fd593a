//! Every customer's purchases folded in one pass over the orders, for classification (the ABC
//! window, the growth rule, RFM) and the customer-base models (purchase days, first day's
//! amount).
//!
//! On SQLite the orders are read in (customer, day) order from the covering index
//! `orders_customer_date` (customer, day, currency, amount: migration 0024) through rusqlite on
//! sqlx's own handle, and folded here. The grouped SQL this replaces (`GROUP BY customer_id`
//! with `COUNT(DISTINCT order_date)`, a window function for the first day's amount) took 12 s
//! (classification) and about 18 s (the models) over 10,000,000 orders: a sort or a table
//! lookup per order, and a row decoded through sqlx per customer. PostgreSQL aggregates on the
//! server, in parallel, and sends one row per customer; it keeps the SQL.

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

fn key_date(k: DayKey) -> Option<NaiveDate> {
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
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub until: NaiveDate,
    /// The ABC window's start.
    pub window_start: NaiveDate,
    /// The growth rule's three years: `[as_of − 1y, as_of − 2y, as_of − 3y]`.
    pub year_starts: [NaiveDate; 3],
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

/// The running fold: rows arrive sorted by customer, then day.
struct Fold {
    window_start: DayKey,
    years: [DayKey; 3],
    cur: Option<Acc>,
    out: Vec<Folded>,
}

#[derive(Clone, Copy)]
struct Acc {
    customer_id: i64,
    first: DayKey,
    last: DayKey,
    days: i64,
    total: i64,
    first_amount: i64,
    window: i64,
    yearly: [i64; 3],
}

impl Fold {
    fn new(b: &Bounds) -> Fold {
        Fold {
            window_start: day_key(b.window_start),
            years: b.year_starts.map(day_key),
            cur: None,
            out: Vec::new(),
        }
    }

    fn push(&mut self, customer_id: i64, day: DayKey, amount: i64) -> StoreResult<()> {
        let acc = match &mut self.cur {
            Some(a) if a.customer_id == customer_id => {
                if day < a.last {
                    return Err(unsorted());
                }
                if day != a.last {
                    a.days += 1;
                    a.last = day;
                }
                if day == a.first {
                    a.first_amount += amount;
                }
                a
            }
            cur => {
                if let Some(done) = cur.take() {
                    if customer_id < done.customer_id {
                        return Err(unsorted());
                    }
                    self.out.push(done.finish()?);
                }
                cur.insert(Acc {
                    customer_id,
                    first: day,
                    last: day,
                    days: 1,
                    total: 0,
                    first_amount: amount,
                    window: 0,
                    yearly: [0; 3],
                })
            }
        };
        acc.total += amount;
        if day > self.window_start {
            acc.window += amount;
        }
        let [y0, y1, y2] = self.years;
        if day > y0 {
            acc.yearly[0] += amount;
        } else if day > y1 {
            acc.yearly[1] += amount;
        } else if day > y2 {
            acc.yearly[2] += amount;
        }
        Ok(())
    }

    fn finish(mut self) -> StoreResult<Vec<Folded>> {
        if let Some(done) = self.cur.take() {
            self.out.push(done.finish()?);
        }
        Ok(self.out)
    }
}

impl Acc {
    fn finish(self) -> StoreResult<Folded> {
        let date = |k| key_date(k).ok_or_else(|| bad_date(&format!("{k}")));
        Ok(Folded {
            customer_id: self.customer_id,
            first_day: date(self.first)?,
            last_day: date(self.last)?,
            days: self.days,
            total_minor: self.total,
            first_day_minor: self.first_amount,
            window_minor: self.window,
            yearly_minor: self.yearly,
        })
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

/// Folds, on SQLite, every customer's orders in `currency` up to `b.until`; sorted by customer.
/// `None` on PostgreSQL (the callers aggregate in SQL there).
pub(crate) async fn fold_sqlite(
    c: &mut Conn<'_>,
    b: &Bounds,
    currency: &str,
) -> StoreResult<Option<Vec<Folded>>> {
    let Conn::Sqlite(conn) = c else {
        return Ok(None);
    };
    let ctx = "reading the orders by customer";
    let until = b.until.format("%Y-%m-%d").to_string();
    let mut fold = Fold::new(b);
    on_sqlite_handle(conn, ctx, |db| {
        // The covering index gives the order without a sort and without reading the table.
        let mut st = db
            .prepare(
                "SELECT customer_id, order_date, total_minor FROM orders \
                 WHERE currency = ?1 AND order_date <= ?2 ORDER BY customer_id, order_date",
            )
            .map_err(|e| map_rusqlite(e, ctx))?;
        let mut rows = st
            .query((currency, until.as_str()))
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
        Ok(())
    })
    .await?;
    fold.finish().map(Some)
}

/// Every customer id on SQLite, ascending, with the external reference when `with_refs`.
pub(crate) async fn customer_ids_sqlite(
    c: &mut Conn<'_>,
    with_refs: bool,
) -> StoreResult<Option<Vec<(i64, Option<String>)>>> {
    let Conn::Sqlite(conn) = c else {
        return Ok(None);
    };
    let ctx = "reading the customer ids";
    on_sqlite_handle(conn, ctx, |db| {
        let sql = if with_refs {
            "SELECT id, external_ref FROM customers ORDER BY id"
        } else {
            "SELECT id, NULL FROM customers ORDER BY id"
        };
        let mut st = db.prepare(sql).map_err(|e| map_rusqlite(e, ctx))?;
        let rows = st
            .query_map((), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(|e| map_rusqlite(e, ctx))?;
        rows.map(|r| r.map_err(|e| map_rusqlite(e, ctx)))
            .collect::<StoreResult<Vec<_>>>()
    })
    .await
    .map(Some)
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
        let mut f = Fold::new(&mid_2026());
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
        let out = f.finish().expect("valid days");
        assert_eq!(out.len(), 2);
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

    #[test]
    fn refuses_rows_out_of_order() {
        let mut f = Fold::new(&mid_2026());
        f.push(2, day_key(d(2026, 1, 2)), 1).expect("the first row");
        assert!(f.push(2, day_key(d(2026, 1, 1)), 1).is_err());
        let mut f = Fold::new(&mid_2026());
        f.push(2, day_key(d(2026, 1, 2)), 1).expect("the first row");
        assert!(f.push(1, day_key(d(2026, 1, 3)), 1).is_err());
    }
}
