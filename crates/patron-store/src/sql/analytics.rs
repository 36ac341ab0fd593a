//! Aggregates for the customer-base models (see [`crate::analytics`]).

use super::conn::{args, Conn};
use crate::analytics::PurchaseHistory;
use crate::error::StoreResult;
use chrono::NaiveDate;
use patron_core::{Currency, CustomerId};

#[derive(sqlx::FromRow)]
struct Row {
    customer_id: i64,
    customer_ref: Option<String>,
    first_day: NaiveDate,
    last_day: NaiveDate,
    days: i64,
    total_minor: i64,
    first_day_minor: i64,
}

/// Every customer with an order in `currency` on or before `until`, by customer id. Amounts in
/// other currencies are not added up with these (a model of spend needs one unit of money).
pub(crate) async fn purchase_histories(
    c: &mut Conn<'_>,
    until: NaiveDate,
    currency: &Currency,
) -> StoreResult<Vec<PurchaseHistory>> {
    // CAST: PostgreSQL's SUM over BIGINT is NUMERIC.
    let rows: Vec<Row> = c
        .fetch_all(
            "WITH d AS ( \
               SELECT customer_id, order_date AS day, SUM(total_minor) AS amount FROM orders \
               WHERE order_date <= $1 AND currency = $2 GROUP BY customer_id, order_date \
             ), n AS ( \
               SELECT customer_id, day, amount, \
                      ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY day) AS k FROM d \
             ) \
             SELECT n.customer_id, c.external_ref AS customer_ref, MIN(n.day) AS first_day, \
                    MAX(n.day) AS last_day, COUNT(*) AS days, \
                    CAST(SUM(n.amount) AS BIGINT) AS total_minor, \
                    CAST(SUM(CASE WHEN n.k = 1 THEN n.amount ELSE 0 END) AS BIGINT) \
                      AS first_day_minor \
             FROM n JOIN customers c ON c.id = n.customer_id \
             GROUP BY n.customer_id, c.external_ref ORDER BY n.customer_id",
            args![until, currency.as_str()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| PurchaseHistory {
            customer_id: CustomerId(r.customer_id),
            customer_ref: r.customer_ref,
            first_day: r.first_day,
            last_day: r.last_day,
            days: r.days,
            total_minor: r.total_minor,
            first_day_minor: r.first_day_minor,
        })
        .collect())
}
