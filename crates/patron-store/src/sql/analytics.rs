//! Aggregates for the customer-base models (see [`crate::analytics`]).

use super::bulk::{write_rows, RowBuf, RowSource, Stamp};
use super::conn::{args, Conn};
use crate::analytics::{CustomerScore, PurchaseHistory};
use crate::error::StoreResult;
use chrono::NaiveDate;
use patron_core::{Currency, CustomerId};

/// Every customer with an order in `currency` on or before `until`, by customer id. Amounts in
/// other currencies are not added up with these (a model of spend needs one unit of money).
pub(crate) async fn purchase_histories(
    c: &mut Conn<'_>,
    until: NaiveDate,
    currency: &Currency,
) -> StoreResult<Vec<PurchaseHistory>> {
    let bounds = super::order_scan::Bounds {
        until,
        window_start: until,
        year_starts: [until; 3],
    };
    let folded = super::order_scan::fold_orders(c, &bounds, currency.as_str()).await?;
    let ids = super::order_scan::customer_ids(c, true).await?;
    let mut refs = ids.into_iter().peekable();
    Ok(folded
        .into_iter()
        .map(|f| {
            while refs.next_if(|(id, _)| *id < f.customer_id).is_some() {}
            let customer_ref = refs
                .next_if(|(id, _)| *id == f.customer_id)
                .and_then(|(_, r)| r);
            PurchaseHistory {
                customer_id: CustomerId(f.customer_id),
                customer_ref,
                first_day: f.first_day,
                last_day: f.last_day,
                days: f.days,
                total_minor: f.total_minor,
                first_day_minor: f.first_day_minor,
            }
        })
        .collect())
}

/// Replaces every stored score with `scores` (one transaction: readers see the old scores or the
/// new ones, never a mix).
pub(crate) async fn replace_scores(c: &mut Conn<'_>, scores: &[CustomerScore]) -> StoreResult<()> {
    c.execute("DELETE FROM customer_scores", vec![]).await?;
    let Some(first) = scores.first() else {
        return Ok(());
    };
    let stamp = Stamp::new(c, first.scored_at);
    let mut rows = ScoreRows {
        scores: scores.iter(),
        scored_at: &stamp.0,
        as_of: (first.as_of, first.as_of.format("%Y-%m-%d").to_string()),
    };
    write_rows(c, "customer_scores", &SCORE_COLS, &mut rows).await
}

const SCORE_COLS: [&str; 9] = [
    "customer_id",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "currency",
    "horizon_days",
    "as_of",
    "scored_at",
];

struct ScoreRows<'a> {
    scores: std::slice::Iter<'a, CustomerScore>,
    scored_at: &'a str,
    /// The last row's day and its text (all rows of a run share it: formatted once, not per
    /// row).
    as_of: (NaiveDate, String),
}

impl RowSource for ScoreRows<'_> {
    fn next_row(&mut self, w: &mut RowBuf) -> bool {
        let Some(s) = self.scores.next() else {
            return false;
        };
        w.int(s.customer_id.0);
        for v in [s.p_alive, s.expected_purchases, s.expected_spend, s.clv] {
            match v {
                Some(v) => w.real(v),
                None => w.null(),
            }
        }
        w.text(&s.currency);
        w.int(s.horizon_days);
        if self.as_of.0 != s.as_of {
            self.as_of = (s.as_of, s.as_of.format("%Y-%m-%d").to_string());
        }
        // The text both backends read a date from (`YYYY-MM-DD`).
        w.text(&self.as_of.1);
        w.text(self.scored_at);
        w.end_row();
        true
    }
}

#[derive(sqlx::FromRow)]
struct ScoreRow {
    customer_id: i64,
    p_alive: Option<f64>,
    expected_purchases: Option<f64>,
    expected_spend: Option<f64>,
    clv: Option<f64>,
    currency: String,
    horizon_days: i64,
    as_of: NaiveDate,
    scored_at: chrono::DateTime<chrono::Utc>,
}

const SCORE_SELECT: &str = "SELECT customer_id, p_alive, expected_purchases, expected_spend, \
     clv, currency, horizon_days, as_of, scored_at FROM customer_scores";

impl From<ScoreRow> for CustomerScore {
    fn from(r: ScoreRow) -> Self {
        CustomerScore {
            customer_id: CustomerId(r.customer_id),
            p_alive: r.p_alive,
            expected_purchases: r.expected_purchases,
            expected_spend: r.expected_spend,
            clv: r.clv,
            currency: r.currency,
            horizon_days: r.horizon_days,
            as_of: r.as_of,
            scored_at: r.scored_at,
        }
    }
}

/// The stored score of one customer, if it was scored.
pub(crate) async fn score_of(
    c: &mut Conn<'_>,
    id: CustomerId,
) -> StoreResult<Option<CustomerScore>> {
    let r: Option<ScoreRow> = c
        .fetch_optional(
            &format!("{SCORE_SELECT} WHERE customer_id = $1"),
            args![id.0],
        )
        .await?;
    Ok(r.map(CustomerScore::from))
}

/// The stored scores of these customers (a list page's), in no particular order.
pub(crate) async fn scores_of(
    c: &mut Conn<'_>,
    ids: &[CustomerId],
) -> StoreResult<Vec<CustomerScore>> {
    let mut out = Vec::with_capacity(ids.len());
    for part in ids.chunks(500) {
        let sql = format!(
            "{SCORE_SELECT} WHERE customer_id IN ({})",
            super::placeholders(c, part.len())
        );
        let rows: Vec<ScoreRow> = c
            .fetch_all(
                &sql,
                part.iter().map(|i| super::conn::Arg::from(i.0)).collect(),
            )
            .await?;
        out.extend(rows.into_iter().map(CustomerScore::from));
    }
    Ok(out)
}
