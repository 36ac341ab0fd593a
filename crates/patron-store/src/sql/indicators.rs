//! The indicators' counts (see [`crate::indicators`]): SQL shared by SQLite and PostgreSQL, apart
//! from the month of a date or instant.
//!
//! The refresh reads customers in id ranges; for each range it reads the orders, contacts and
//! complaints grouped by customer and month (through the per-customer indexes), folds each
//! customer's months into the kept months and quarters, and adds the customer to the archive's,
//! its class's and its owner's counts. Memory stays bounded by one range, whatever the archive.

use super::conn::{args, Arg, Conn};
use super::records as r;
use super::SqlStore;
use crate::error::StoreResult;
use crate::indicators::{
    IndicatorRow, IndicatorTable, RefreshReport, MONTHS, QUARTERS, REFRESHED_KEY,
};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::indicators::{Counts, Period};
use std::collections::{BTreeMap, BTreeSet};

/// Customers read per range. The range bounds the recount's memory (its rows and activity are
/// all the recount holds besides the counts): at 1,000 customers about a MiB, so the server's
/// memory hardly moves when the recount runs every five minutes; the five queries per range
/// cost little next to the scan itself.
const RANGE: i64 = 1_000;

/// A customer's activity in one month.
#[derive(Default, Clone, Copy)]
struct Month {
    orders: i64,
    named: i64,
    contacts: i64,
    complaints: i64,
    /// Survey answers to "would you praise us", and the yes among them.
    praise_answers: i64,
    praised: i64,
}

/// One customer's activity in one month: the customer, the month, the activity. A range's
/// activity is a flat list sorted by customer and month (compact: no map per customer).
type Activity = (i64, Period, Month);

/// Adds grouped rows `(customer, month, a, b)` to `out`, `set` putting `a` and `b` in their place.
/// A month that does not parse (none should) is left out.
fn read_into(
    out: &mut Vec<Activity>,
    rows: Vec<(i64, String, i64, i64)>,
    set: impl Fn(&mut Month, i64, i64),
) {
    out.reserve(rows.len());
    for (cid, text, a, b) in rows {
        let Some(month) = Period::parse(&text) else {
            continue;
        };
        let mut m = Month::default();
        set(&mut m, a, b);
        out.push((cid, month, m));
    }
}

/// `YYYY-MM` of a column holding a date (`date`) or an instant (otherwise), in UTC.
fn month_expr(c: &Conn<'_>, col: &str, date: bool) -> String {
    match (c.is_sqlite(), date) {
        (true, _) => format!("substr({col}, 1, 7)"),
        (false, true) => format!("to_char({col}, 'YYYY-MM')"),
        (false, false) => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM')"),
    }
}

/// Rows of `(customer, month, a, b)` for customers in `[lo, hi)` since `from`.
async fn grouped(
    c: &mut Conn<'_>,
    sql: &str,
    lo: i64,
    hi: i64,
    from: Arg,
) -> StoreResult<Vec<(i64, String, i64, i64)>> {
    c.fetch_all(sql, vec![Arg::from(lo), Arg::from(hi), from])
        .await
}

pub(crate) async fn refresh(store: &SqlStore, today: NaiveDate) -> StoreResult<RefreshReport> {
    refresh_in_ranges(store, today, RANGE).await
}

/// [`refresh`] reading `range` customers at a time (the counts do not depend on it).
async fn refresh_in_ranges(
    store: &SqlStore,
    today: NaiveDate,
    range: i64,
) -> StoreResult<RefreshReport> {
    let months = Period::last_months(today, MONTHS);
    let quarters = Period::last_quarters(today, QUARTERS);
    let kept: BTreeSet<Period> = months.iter().chain(quarters.iter()).copied().collect();
    let from_day = months[0].start().min(quarters[0].start());
    let from_ts: DateTime<Utc> = from_day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let mut agg: BTreeMap<(Period, &'static str, String), Counts> = BTreeMap::new();
    let mut customers = 0i64;
    {
        let mut pc = store.acquire().await?;
        let mut c = pc.conn();
        let max_id = c
            .scalar_i64("SELECT COALESCE(MAX(id), 0) FROM customers", vec![])
            .await?;
        let orders_sql = format!(
            "SELECT customer_id, {m} AS m, COUNT(*), \
             CAST(SUM(CASE WHEN asked_by_name THEN 1 ELSE 0 END) AS BIGINT) FROM orders \
             WHERE customer_id >= $1 AND customer_id < $2 AND order_date >= $3 \
             GROUP BY customer_id, {m}",
            m = month_expr(&c, "order_date", true)
        );
        let contacts_sql = format!(
            "SELECT customer_id, {m} AS m, COUNT(*), CAST(0 AS BIGINT) FROM interactions \
             WHERE customer_id >= $1 AND customer_id < $2 AND occurred_at >= $3 \
             GROUP BY customer_id, {m}",
            m = month_expr(&c, "occurred_at", false)
        );
        let complaints_sql = format!(
            "SELECT customer_id, {m} AS m, COUNT(*), CAST(0 AS BIGINT) FROM complaints \
             WHERE customer_id >= $1 AND customer_id < $2 AND recorded_at >= $3 \
             GROUP BY customer_id, {m}",
            m = month_expr(&c, "recorded_at", false)
        );
        let surveys_sql = format!(
            "SELECT customer_id, {m} AS m, COUNT(would_praise), \
             CAST(SUM(CASE WHEN would_praise THEN 1 ELSE 0 END) AS BIGINT) \
             FROM survey_responses \
             WHERE customer_id >= $1 AND customer_id < $2 AND answered_at >= $3 \
             GROUP BY customer_id, {m}",
            m = month_expr(&c, "answered_at", false)
        );
        let mut lo = 1;
        while lo <= max_id {
            let hi = lo + range;
            let mut who: Vec<(i64, Option<i64>, Option<String>)> = c
                .fetch_all(
                    "SELECT c.id, c.owner_id, k.abc FROM customers c \
                     LEFT JOIN customer_classes k ON k.customer_id = c.id \
                     WHERE c.id >= $1 AND c.id < $2",
                    args![lo, hi],
                )
                .await?;
            customers += who.len() as i64;
            who.sort_unstable_by_key(|w| w.0);
            let mut activity: Vec<Activity> = Vec::new();
            let rows = grouped(&mut c, &orders_sql, lo, hi, from_day.into()).await?;
            read_into(&mut activity, rows, |m, n, named| {
                m.orders = n;
                m.named = named;
            });
            let rows = grouped(&mut c, &contacts_sql, lo, hi, from_ts.into()).await?;
            read_into(&mut activity, rows, |m, n, _| m.contacts = n);
            let rows = grouped(&mut c, &complaints_sql, lo, hi, from_ts.into()).await?;
            read_into(&mut activity, rows, |m, n, _| m.complaints = n);
            let rows = grouped(&mut c, &surveys_sql, lo, hi, from_ts.into()).await?;
            read_into(&mut activity, rows, |m, n, yes| {
                m.praise_answers = n;
                m.praised = yes;
            });
            activity.sort_unstable_by_key(|a| (a.0, a.1));
            for months in activity.chunk_by(|a, b| a.0 == b.0) {
                let cid = months[0].0;
                let Ok(at) = who.binary_search_by_key(&cid, |w| w.0) else {
                    continue;
                };
                let (_, owner, abc) = &who[at];
                let owner = owner.map_or_else(|| "-".to_owned(), |o| o.to_string());
                let class = abc.clone().unwrap_or_else(|| "-".to_owned());
                for (period, m) in periods_of(months, &kept) {
                    let counts = Counts {
                        served: i64::from(m.orders > 0 || m.contacts > 0 || m.complaints > 0),
                        buyers: i64::from(m.orders > 0),
                        repeat_buyers: i64::from(m.orders >= 2),
                        orders: m.orders,
                        named_orders: m.named,
                        complainers: i64::from(m.complaints > 0),
                        complaints: m.complaints,
                        // Reputation: a customer surveyed in the period praises us when one of
                        // their answers in it said so.
                        surveyed: i64::from(m.praise_answers > 0),
                        praising: i64::from(m.praised > 0),
                    };
                    for key in [
                        (period, "all", String::new()),
                        (period, "class", class.clone()),
                        (period, "owner", owner.clone()),
                    ] {
                        agg.entry(key).or_default().add(&counts);
                    }
                }
            }
            lo = hi;
        }
    }
    // Every kept period has its archive-wide row, so a month without activity reads as zero
    // counts (no data) rather than missing.
    for p in &kept {
        agg.entry((*p, "all", String::new())).or_default();
    }
    let now = super::now();
    let mut tx = store.begin().await?;
    let mut c = tx.conn();
    c.execute("DELETE FROM indicator_counts", vec![]).await?;
    for ((period, dim, seg), k) in &agg {
        c.execute(
            "INSERT INTO indicator_counts (period, dimension, segment, served, buyers, \
             repeat_buyers, orders, named_orders, complainers, complaints, surveyed, praising) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            args![
                period.to_string(),
                *dim,
                seg.as_str(),
                k.served,
                k.buyers,
                k.repeat_buyers,
                k.orders,
                k.named_orders,
                k.complainers,
                k.complaints,
                k.surveyed,
                k.praising
            ],
        )
        .await?;
    }
    r::set_setting(&mut c, REFRESHED_KEY, &now.to_rfc3339()).await?;
    tx.commit().await?;
    Ok(RefreshReport {
        refreshed_at: now,
        rows: agg.len(),
        customers,
    })
}

/// A customer's activity per kept period: each month as it is, and each quarter as the sum of
/// its months.
fn periods_of(months: &[Activity], kept: &BTreeSet<Period>) -> BTreeMap<Period, Month> {
    let mut out: BTreeMap<Period, Month> = BTreeMap::new();
    for &(_, month, m) in months {
        let quarter = Period::quarter_of(month.start());
        for p in [month, quarter] {
            if kept.contains(&p) {
                let e = out.entry(p).or_default();
                e.orders += m.orders;
                e.named += m.named;
                e.contacts += m.contacts;
                e.complaints += m.complaints;
                e.praise_answers += m.praise_answers;
                e.praised += m.praised;
            }
        }
    }
    out
}

pub(crate) async fn table(store: &SqlStore) -> StoreResult<IndicatorTable> {
    let mut pc = store.acquire().await?;
    let mut c = pc.conn();
    let refreshed_at = r::get_setting(&mut c, REFRESHED_KEY)
        .await?
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    )> = c
        .fetch_all(
            "SELECT period, dimension, segment, served, buyers, repeat_buyers, orders, \
             named_orders, complainers, complaints, surveyed, praising FROM indicator_counts \
             ORDER BY period, dimension, segment",
            vec![],
        )
        .await?;
    Ok(IndicatorTable {
        refreshed_at,
        rows: rows
            .into_iter()
            .map(
                |(period, dimension, segment, a, b, cc, d, e, f, g, h, i)| IndicatorRow {
                    period,
                    dimension,
                    segment,
                    counts: Counts {
                        served: a,
                        buyers: b,
                        repeat_buyers: cc,
                        orders: d,
                        named_orders: e,
                        complainers: f,
                        complaints: g,
                        surveyed: h,
                        praising: i,
                    },
                },
            )
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{generate, DemoOptions};
    use crate::testkit::TestDb;
    use crate::Store;

    /// The range only bounds the memory: counting a demo archive 7 customers at a time (so many
    /// ranges, each customer's months read whole within one) gives the rows one range of every
    /// customer gives, on both databases.
    #[tokio::test]
    async fn counts_do_not_depend_on_the_range() {
        for db in TestDb::each().await {
            let store = SqlStore::open(&db.url).await.expect("open");
            let today = NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
            generate(&store, &DemoOptions::new(today).with_customers(150), None)
                .await
                .expect("demo");
            let small = refresh_in_ranges(&store, today, 7)
                .await
                .expect("ranges of 7");
            let by_seven = store.indicator_table().await.expect("table").rows;
            let whole = refresh_in_ranges(&store, today, 1_000_000)
                .await
                .expect("one range");
            let at_once = store.indicator_table().await.expect("table").rows;
            assert_eq!(small.customers, 150);
            assert_eq!(whole.customers, 150);
            assert_eq!(by_seven, at_once);
            let all = |f: fn(&Counts) -> i64| -> i64 {
                at_once
                    .iter()
                    .filter(|r| r.dimension == "all" && !r.period.contains('Q'))
                    .map(|r| f(&r.counts))
                    .sum()
            };
            assert!(all(|c| c.orders) > 0, "{at_once:?}");
            assert!(all(|c| c.complaints) > 0, "{at_once:?}");
            assert!(all(|c| c.served) > all(|c| c.buyers), "{at_once:?}");
            drop(store);
            db.cleanup().await;
        }
    }
}
