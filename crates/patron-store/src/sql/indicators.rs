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
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Customers read per range.
const RANGE: i64 = 20_000;

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
            let hi = lo + RANGE;
            let who: Vec<(i64, Option<i64>, Option<String>)> = c
                .fetch_all(
                    "SELECT c.id, c.owner_id, k.abc FROM customers c \
                     LEFT JOIN customer_classes k ON k.customer_id = c.id \
                     WHERE c.id >= $1 AND c.id < $2",
                    args![lo, hi],
                )
                .await?;
            customers += who.len() as i64;
            let mut activity: HashMap<i64, BTreeMap<String, Month>> = HashMap::new();
            for (cid, m, n, named) in grouped(&mut c, &orders_sql, lo, hi, from_day.into()).await? {
                let e = activity.entry(cid).or_default().entry(m).or_default();
                e.orders += n;
                e.named += named;
            }
            for (cid, m, n, _) in grouped(&mut c, &contacts_sql, lo, hi, from_ts.into()).await? {
                activity
                    .entry(cid)
                    .or_default()
                    .entry(m)
                    .or_default()
                    .contacts += n;
            }
            for (cid, m, n, _) in grouped(&mut c, &complaints_sql, lo, hi, from_ts.into()).await? {
                activity
                    .entry(cid)
                    .or_default()
                    .entry(m)
                    .or_default()
                    .complaints += n;
            }
            for (cid, m, n, yes) in grouped(&mut c, &surveys_sql, lo, hi, from_ts.into()).await? {
                let e = activity.entry(cid).or_default().entry(m).or_default();
                e.praise_answers += n;
                e.praised += yes;
            }
            for (cid, owner, abc) in who {
                let Some(months) = activity.get(&cid) else {
                    continue;
                };
                let owner = owner.map_or_else(|| "-".to_owned(), |o| o.to_string());
                let class = abc.unwrap_or_else(|| "-".to_owned());
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
fn periods_of(
    months: &BTreeMap<String, Month>,
    kept: &BTreeSet<Period>,
) -> BTreeMap<Period, Month> {
    let mut out: BTreeMap<Period, Month> = BTreeMap::new();
    for (text, m) in months {
        let Some(month) = Period::parse(text) else {
            continue;
        };
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
