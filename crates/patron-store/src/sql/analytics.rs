//! Aggregates for the customer-base models (see [`crate::analytics`]).

use super::bulk::{write_rows, RowBuf, RowSource, Stamp};
use super::conn::{args, Conn};
use super::table_rewrite::{Rewrite, REWRITE_MIN_ROWS};
use crate::analytics::{CustomerScore, PurchaseHistory};
use crate::error::{StoreError, StoreResult};
use chrono::NaiveDate;
use patron_core::{Currency, CustomerId};

/// Every customer with an order in `currency` on or before `until`, by customer id. Amounts in
/// other currencies are not added up with these (a model of spend needs one unit of money).
/// `with_refs`: each customer's external reference read too.
pub(crate) async fn purchase_histories(
    c: &mut Conn<'_>,
    until: NaiveDate,
    currency: &Currency,
    with_refs: bool,
) -> StoreResult<Vec<PurchaseHistory>> {
    let want = super::purchase_folds::Want::Until(until);
    let folded = super::purchase_folds::folded(c, want, currency.as_str()).await?;
    let ids = if with_refs {
        super::order_scan::customer_refs(c).await?
    } else {
        Vec::new()
    };
    let mut refs = ids.into_iter().peekable();
    Ok(folded
        .into_iter()
        .map(|f| {
            while refs.next_if(|(id, _)| *id < f.customer_id).is_some() {}
            let customer_ref = refs.next_if(|(id, _)| *id == f.customer_id).map(|(_, r)| r);
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

/// The settings key of [`ScoreRun`].
const SCORE_RUN_SETTING: &str = "model.score_run";

/// The latest scoring run: when it ran and a digest of what it stored. Every stored score is
/// that run's (a run replaces them all), so its time is every row's `scored_at`, including rows
/// a re-run found unchanged and did not write.
#[derive(serde::Serialize, serde::Deserialize)]
struct ScoreRun {
    scored_at: chrono::DateTime<chrono::Utc>,
    rows: u64,
    digest: i64,
}

/// A fixed-seed digest of every score's values but the time (customer, the four values' bits,
/// currency, horizon, day), in their order.
fn scores_digest(scores: &[CustomerScore]) -> i64 {
    use chrono::Datelike;
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5041_5452_4f4e_0026).build_hasher();
    for s in scores {
        s.customer_id.0.hash(&mut h);
        for v in [s.p_alive, s.expected_purchases, s.expected_spend, s.clv] {
            v.map(f64::to_bits).hash(&mut h);
        }
        s.currency.hash(&mut h);
        s.horizon_days.hash(&mut h);
        s.as_of.num_days_from_ce().hash(&mut h);
    }
    // The setting keeps a signed 64-bit integer, as JSON.
    h.finish() as i64
}

async fn score_run(c: &mut Conn<'_>) -> StoreResult<Option<ScoreRun>> {
    Ok(super::records::get_setting(c, SCORE_RUN_SETTING)
        .await?
        .and_then(|t| serde_json::from_str(&t).ok()))
}

/// Replaces every stored score with `scores` (one transaction: readers see the old scores or the
/// new ones, never a mix). A run that stores exactly what the last one stored (a re-run with
/// the same fit and no new orders) writes only its time: rewriting a million identical rows
/// was most of `model score` on SQLite (1.9 s of 3.6 s).
pub(crate) async fn replace_scores(c: &mut Conn<'_>, scores: &[CustomerScore]) -> StoreResult<()> {
    let digest = scores_digest(scores);
    let last = score_run(c).await?;
    let same = match &last {
        Some(l) if l.digest == digest && l.rows == scores.len() as u64 => {
            // Only this code writes the table; a customer's deletion removes its row, and
            // then the new run differs too. Counted all the same, so a row removed some other
            // way is noticed.
            let stored = c
                .scalar_i64("SELECT COUNT(*) FROM customer_scores", vec![])
                .await?;
            u64::try_from(stored).ok() == Some(l.rows)
        }
        _ => false,
    };
    let Some(first) = scores.first() else {
        c.execute("DELETE FROM customer_scores", vec![]).await?;
        return Ok(());
    };
    let run = ScoreRun {
        scored_at: first.scored_at,
        rows: scores.len() as u64,
        digest,
    };
    let run = serde_json::to_string(&run).map_err(|e| StoreError::other("the score run", e))?;
    super::records::set_setting(c, SCORE_RUN_SETTING, &run).await?;
    if same {
        return Ok(());
    }
    // A large run (every customer's scores change from one day to the next) empties the
    // table and rebuilds its index and foreign key once (see `table_rewrite`): on PostgreSQL
    // the per-row foreign-key check was 7.6 s of a 9.6 s run.
    let rewrite = if scores.len() >= REWRITE_MIN_ROWS {
        Some(Rewrite::empty(c, "customer_scores").await?)
    } else {
        c.execute("DELETE FROM customer_scores", vec![]).await?;
        None
    };
    let stamp = Stamp::new(c, first.scored_at);
    let mut rows = ScoreRows {
        scores: scores.iter(),
        scored_at: &stamp.0,
        as_of: (first.as_of, first.as_of.format("%Y-%m-%d").to_string()),
    };
    match rewrite {
        Some(rewrite) => {
            rewrite.write(c, &SCORE_COLS, &mut rows).await?;
            rewrite.finish(c).await
        }
        None => write_rows(c, "customer_scores", &SCORE_COLS, &mut rows).await,
    }
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

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
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
    let run = score_run(c).await?;
    Ok(r.map(|r| at_run(r.into(), &run)))
}

/// `s` with the time of the run that stored or confirmed it (see [`ScoreRun`]).
fn at_run(mut s: CustomerScore, run: &Option<ScoreRun>) -> CustomerScore {
    if let Some(run) = run {
        s.scored_at = run.scored_at;
    }
    s
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
    let run = score_run(c).await?;
    Ok(out.into_iter().map(|s| at_run(s, &run)).collect())
}
