//! Satisfaction ratings and the loyalty matrix (see [`crate::satisfaction`]). Every statement is
//! shared by both databases.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use crate::error::{StoreError, StoreResult};
use crate::satisfaction::*;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::matrix::{quadrant, MAX_SCORE, MIN_SCORE, SATISFIED_FROM};
use patron_core::classify::{Aspect, Quadrant};
use patron_core::survey::Level;
use patron_core::{CustomerId, Scope, UserId};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored satisfaction rating: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

fn score_of(n: i64) -> StoreResult<u8> {
    u8::try_from(n)
        .ok()
        .filter(|s| (MIN_SCORE..=MAX_SCORE).contains(s))
        .ok_or_else(|| bad_row("score", n))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct RatingRow {
    id: i64,
    customer_id: i64,
    aspect: String,
    score: i64,
    note: Option<String>,
    response_id: Option<i64>,
    user_id: Option<i64>,
    user_name: Option<String>,
    rated_on: NaiveDate,
    created_at: DateTime<Utc>,
}

impl TryFrom<RatingRow> for Rating {
    type Error = StoreError;
    fn try_from(r: RatingRow) -> StoreResult<Self> {
        let score = score_of(r.score)?;
        Ok(Rating {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            aspect: Aspect::parse(&r.aspect).ok_or_else(|| bad_row("aspect", &r.aspect))?,
            score,
            level: Level::of_score(score),
            note: r.note,
            response_id: r.response_id,
            user_id: r.user_id.map(UserId),
            user_name: r.user_name,
            rated_on: r.rated_on,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "r.id, r.customer_id, r.aspect, r.score, r.note, r.response_id, r.user_id, \
     u.name AS user_name, r.rated_on, r.created_at";

/// The longest note a rating may carry, in characters.
pub(crate) const MAX_NOTE: usize = 1000;

/// Checks a rating's score, note and day; the errors name the field.
pub(crate) fn validate(
    score: u8,
    note: Option<&str>,
    rated_on: Option<NaiveDate>,
    today: NaiveDate,
) -> StoreResult<NaiveDate> {
    if !(MIN_SCORE..=MAX_SCORE).contains(&score) {
        return Err(StoreError::invalid(
            "score",
            "out_of_range",
            format!("a score runs from {MIN_SCORE} to {MAX_SCORE}"),
        ));
    }
    if note.is_some_and(|n| n.trim().chars().count() > MAX_NOTE) {
        return Err(StoreError::invalid(
            "note",
            "too_long",
            format!("at most {MAX_NOTE} characters"),
        ));
    }
    let day = rated_on.unwrap_or(today);
    if day > today {
        return Err(StoreError::invalid(
            "rated_on",
            "in_future",
            "a rating cannot be dated after today",
        ));
    }
    Ok(day)
}

/// Where a rating comes from: who recorded it and, for a survey answer, which.
#[derive(Clone, Copy)]
pub(crate) struct Source {
    pub by: Option<UserId>,
    pub response: Option<i64>,
}

/// Records a rating (validated by the caller).
pub(crate) async fn insert(
    c: &mut Conn<'_>,
    source: Source,
    customer: CustomerId,
    aspect: Aspect,
    score: u8,
    note: Option<String>,
    rated_on: NaiveDate,
) -> StoreResult<Rating> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let id = c
        .scalar_i64(
            "INSERT INTO satisfaction_ratings (customer_id, aspect, score, note, user_id, \
             rated_on, created_at, response_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
            args![
                customer.0,
                aspect.as_str(),
                i64::from(score),
                note,
                source.by.map(|u| u.0),
                rated_on,
                super::now(),
                source.response
            ],
        )
        .await?;
    let row: Option<RatingRow> = c
        .fetch_optional(
            &format!(
                "SELECT {COLS} FROM satisfaction_ratings r LEFT JOIN users u ON u.id = r.user_id \
                 WHERE r.id = $1"
            ),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("satisfaction rating", id))?
        .try_into()
}

async fn latest(
    c: &mut Conn<'_>,
    customer: CustomerId,
    aspect: Aspect,
) -> StoreResult<Option<Rating>> {
    let row: Option<RatingRow> = c
        .fetch_optional(
            &format!(
                "SELECT {COLS} FROM satisfaction_ratings r LEFT JOIN users u ON u.id = r.user_id \
                 WHERE r.customer_id = $1 AND r.aspect = $2 \
                 ORDER BY r.rated_on DESC, r.id DESC LIMIT 1"
            ),
            args![customer.0, aspect.as_str()],
        )
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// A customer's latest rating of each aspect and its quadrant.
pub(crate) async fn of_customer(
    c: &mut Conn<'_>,
    customer: CustomerId,
) -> StoreResult<CustomerSatisfaction> {
    let product = latest(c, customer, Aspect::Product).await?;
    let service = latest(c, customer, Aspect::Service).await?;
    Ok(CustomerSatisfaction {
        customer_id: customer,
        quadrant: quadrant(
            product.as_ref().map(|r| r.score),
            service.as_ref().map(|r| r.score),
        ),
        product,
        service,
    })
}

/// The latest score of one aspect of the customer `alias` (the rule of [`latest`]).
fn latest_score(aspect: Aspect, alias: &str) -> String {
    format!(
        "(SELECT r.score FROM satisfaction_ratings r WHERE r.customer_id = {alias}.id \
         AND r.aspect = '{}' ORDER BY r.rated_on DESC, r.id DESC LIMIT 1)",
        aspect.as_str()
    )
}

/// A condition true for the customers (`alias`) in `q`, by the rule of
/// [`patron_core::classify::matrix::quadrant`].
pub(crate) fn quadrant_condition(q: Quadrant, alias: &str) -> String {
    let p = latest_score(Aspect::Product, alias);
    let s = latest_score(Aspect::Service, alias);
    let ok = SATISFIED_FROM;
    match q {
        Quadrant::Loyal => format!("({p} >= {ok} AND {s} >= {ok})"),
        Quadrant::EasilyTaken => format!("({p} >= {ok} AND {s} < {ok})"),
        Quadrant::StillHopeful => format!("({p} < {ok} AND {s} >= {ok})"),
        Quadrant::Destructive => format!("({p} < {ok} AND {s} < {ok})"),
        Quadrant::Unknown => format!("({p} IS NULL OR {s} IS NULL)"),
    }
}

/// Every customer in `scope` counted by quadrant (each quadrant listed, in matrix order).
pub(crate) async fn matrix(c: &mut Conn<'_>, scope: Scope) -> StoreResult<Vec<(Quadrant, i64)>> {
    let mut wh = Vec::new();
    let mut a: Vec<Arg> = Vec::new();
    push_scope(scope, "c", &mut wh, &mut a);
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let rows: Vec<(Option<i64>, Option<i64>, i64)> = c
        .fetch_all(
            &format!(
                "SELECT x.p, x.s, COUNT(*) FROM (SELECT {} AS p, {} AS s FROM customers c{filter}) x \
                 GROUP BY x.p, x.s",
                latest_score(Aspect::Product, "c"),
                latest_score(Aspect::Service, "c"),
            ),
            a,
        )
        .await?;
    let mut counts: Vec<(Quadrant, i64)> = Quadrant::ALL.iter().map(|q| (*q, 0)).collect();
    for (p, s, n) in rows {
        let p = p.map(score_of).transpose()?;
        let s = s.map(score_of).transpose()?;
        let q = quadrant(p, s);
        if let Some(cell) = counts.iter_mut().find(|(k, _)| *k == q) {
            cell.1 += n;
        }
    }
    Ok(counts)
}

/// Moves the ratings of a merged customer to the kept one.
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    c.execute(
        "UPDATE satisfaction_ratings SET customer_id = $1 WHERE customer_id = $2",
        args![keep.0, other.0],
    )
    .await?;
    Ok(())
}
