//! Credit reviews, payments, overrides, balances and the credit check of an order write (see
//! [`crate::credit`]). Every statement is shared by both databases.

use super::conn::{args, Arg, Conn};
use crate::credit::*;
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::credit::{balance, would_exceed, CreditClass, ValidCreditReview, ValidPayment};
use patron_core::{Currency, CustomerId, Order, OrderId, PaymentId, Scope, UserId};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading stored credit: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

fn class_of(s: &str) -> StoreResult<CreditClass> {
    CreditClass::parse(s).ok_or_else(|| bad_row("class", s))
}

fn term_of(n: i64) -> StoreResult<u32> {
    u32::try_from(n).map_err(|_| bad_row("term_days", n))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ReviewRow {
    id: i64,
    customer_id: i64,
    reviewed_on: NaiveDate,
    reviewer_id: Option<i64>,
    reviewer_name: Option<String>,
    class: String,
    limit_minor: i64,
    term_days: i64,
    currency: String,
    deposit_minor: Option<i64>,
    notes: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ReviewRow> for CreditReview {
    type Error = StoreError;
    fn try_from(r: ReviewRow) -> StoreResult<Self> {
        Ok(CreditReview {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            reviewed_on: r.reviewed_on,
            reviewer_id: r.reviewer_id.map(UserId),
            reviewer_name: r.reviewer_name,
            class: class_of(&r.class)?,
            limit_minor: r.limit_minor,
            term_days: term_of(r.term_days)?,
            currency: r.currency,
            deposit_minor: r.deposit_minor,
            notes: r.notes,
            created_at: r.created_at,
        })
    }
}

const REVIEW_COLS: &str = "r.id, r.customer_id, r.reviewed_on, r.reviewer_id, \
     u.name AS reviewer_name, r.class, r.limit_minor, r.term_days, r.currency, r.deposit_minor, \
     r.notes, r.created_at";

/// Records a review (validated by the caller).
pub(crate) async fn insert_review(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    customer: CustomerId,
    v: &ValidCreditReview,
    currency: &Currency,
) -> StoreResult<CreditReview> {
    let id = c
        .scalar_i64(
            "INSERT INTO credit_reviews (customer_id, reviewed_on, reviewer_id, class, \
             limit_minor, term_days, currency, deposit_minor, notes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            args![
                customer.0,
                v.reviewed_on,
                by.map(|u| u.0),
                v.class.as_str(),
                v.terms.limit_minor,
                i64::from(v.terms.term_days),
                currency.as_str(),
                v.deposit_minor,
                v.notes.clone(),
                super::now()
            ],
        )
        .await?;
    let row: Option<ReviewRow> = c
        .fetch_optional(
            &format!(
                "SELECT {REVIEW_COLS} FROM credit_reviews r LEFT JOIN users u ON u.id = r.reviewer_id \
                 WHERE r.id = $1"
            ),
            args![id],
        )
        .await?;
    row.ok_or_else(|| StoreError::not_found("credit review", id))?
        .try_into()
}

/// A customer's reviews, newest first.
pub(crate) async fn reviews(
    c: &mut Conn<'_>,
    customer: CustomerId,
) -> StoreResult<Vec<CreditReview>> {
    let rows: Vec<ReviewRow> = c
        .fetch_all(
            &format!(
                "SELECT {REVIEW_COLS} FROM credit_reviews r LEFT JOIN users u ON u.id = r.reviewer_id \
                 WHERE r.customer_id = $1 ORDER BY r.reviewed_on DESC, r.id DESC"
            ),
            args![customer.0],
        )
        .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The credit in force: the latest review (by day, then by when it was recorded) and the day of
/// the first one.
struct InForce {
    class: CreditClass,
    limit_minor: i64,
    term_days: u32,
    deposit_minor: Option<i64>,
    reviewed_on: NaiveDate,
    since: NaiveDate,
}

async fn in_force(c: &mut Conn<'_>, customer: CustomerId) -> StoreResult<Option<InForce>> {
    let latest: Option<(String, i64, i64, Option<i64>, NaiveDate)> = c
        .fetch_optional(
            "SELECT class, limit_minor, term_days, deposit_minor, reviewed_on FROM credit_reviews \
             WHERE customer_id = $1 ORDER BY reviewed_on DESC, id DESC LIMIT 1",
            args![customer.0],
        )
        .await?;
    let Some((class, limit_minor, term_days, deposit_minor, reviewed_on)) = latest else {
        return Ok(None);
    };
    let since: Option<(Option<NaiveDate>,)> = c
        .fetch_optional(
            "SELECT MIN(reviewed_on) FROM credit_reviews WHERE customer_id = $1",
            args![customer.0],
        )
        .await?;
    Ok(Some(InForce {
        class: class_of(&class)?,
        limit_minor,
        term_days: term_of(term_days)?,
        deposit_minor,
        reviewed_on,
        since: since.and_then(|s| s.0).unwrap_or(reviewed_on),
    }))
}

/// The customer's counted orders `(day, total)` by day and id, and payments `(day, amount)`.
type Flows = (Vec<(NaiveDate, i64)>, Vec<(NaiveDate, i64)>);

async fn flows(
    c: &mut Conn<'_>,
    customer: CustomerId,
    since: NaiveDate,
    currency: &Currency,
) -> StoreResult<Flows> {
    let orders: Vec<(NaiveDate, i64)> = c
        .fetch_all(
            "SELECT order_date, total_minor FROM orders WHERE customer_id = $1 \
             AND order_date >= $2 AND currency = $3 ORDER BY order_date, id",
            args![customer.0, since, currency.as_str()],
        )
        .await?;
    let payments: Vec<(NaiveDate, i64)> = c
        .fetch_all(
            "SELECT paid_on, amount_minor FROM payments WHERE customer_id = $1 \
             AND paid_on >= $2 AND currency = $3 ORDER BY paid_on, id",
            args![customer.0, since, currency.as_str()],
        )
        .await?;
    Ok((orders, payments))
}

/// The customer's credit and balance as of `as_of`; `None` before its first review.
pub(crate) async fn customer_credit(
    c: &mut Conn<'_>,
    customer: CustomerId,
    as_of: NaiveDate,
    currency: &Currency,
) -> StoreResult<Option<CustomerCredit>> {
    let Some(f) = in_force(c, customer).await? else {
        return Ok(None);
    };
    let (orders, payments) = flows(c, customer, f.since, currency).await?;
    let b = balance(&orders, &payments, f.term_days, as_of);
    Ok(Some(CustomerCredit {
        customer_id: customer,
        class: f.class,
        limit_minor: f.limit_minor,
        term_days: f.term_days,
        deposit_minor: f.deposit_minor,
        reviewed_on: f.reviewed_on,
        since: f.since,
        currency: currency.as_str().to_owned(),
        as_of,
        available_minor: b.available_minor(f.limit_minor),
        balance: b,
    }))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct PaymentRow {
    id: i64,
    customer_id: i64,
    paid_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    reference: Option<String>,
    notes: Option<String>,
    created_by: Option<i64>,
    created_by_name: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<PaymentRow> for Payment {
    fn from(r: PaymentRow) -> Self {
        Payment {
            id: PaymentId(r.id),
            customer_id: CustomerId(r.customer_id),
            paid_on: r.paid_on,
            amount_minor: r.amount_minor,
            currency: r.currency,
            reference: r.reference,
            notes: r.notes,
            created_by: r.created_by.map(UserId),
            created_by_name: r.created_by_name,
            created_at: r.created_at,
        }
    }
}

const PAYMENT_COLS: &str = "p.id, p.customer_id, p.paid_on, p.amount_minor, p.currency, \
     p.reference, p.notes, p.created_by, u.name AS created_by_name, p.created_at";

pub(crate) async fn insert_payment(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    customer: CustomerId,
    v: &ValidPayment,
    currency: &Currency,
) -> StoreResult<Payment> {
    let id = c
        .scalar_i64(
            "INSERT INTO payments (customer_id, paid_on, amount_minor, currency, reference, notes, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            args![
                customer.0,
                v.paid_on,
                v.amount_minor,
                currency.as_str(),
                v.reference.clone(),
                v.notes.clone(),
                by.map(|u| u.0),
                super::now()
            ],
        )
        .await?;
    get_payment(c, PaymentId(id)).await
}

pub(crate) async fn get_payment(c: &mut Conn<'_>, id: PaymentId) -> StoreResult<Payment> {
    let row: Option<PaymentRow> = c
        .fetch_optional(
            &format!(
                "SELECT {PAYMENT_COLS} FROM payments p LEFT JOIN users u ON u.id = p.created_by \
                 WHERE p.id = $1"
            ),
            args![id.0],
        )
        .await?;
    row.map(Payment::from)
        .ok_or_else(|| StoreError::not_found("payment", id))
}

/// A customer's payments, newest first (at most `limit`).
pub(crate) async fn payments(
    c: &mut Conn<'_>,
    customer: CustomerId,
    limit: u32,
) -> StoreResult<Vec<Payment>> {
    let rows: Vec<PaymentRow> = c
        .fetch_all(
            &format!(
                "SELECT {PAYMENT_COLS} FROM payments p LEFT JOIN users u ON u.id = p.created_by \
                 WHERE p.customer_id = $1 ORDER BY p.paid_on DESC, p.id DESC LIMIT $2"
            ),
            args![
                customer.0,
                i64::from(limit.clamp(1, crate::query::MAX_LIMIT))
            ],
        )
        .await?;
    Ok(rows.into_iter().map(Payment::from).collect())
}

pub(crate) async fn delete_payment(c: &mut Conn<'_>, id: PaymentId) -> StoreResult<()> {
    let n = c
        .execute("DELETE FROM payments WHERE id = $1", args![id.0])
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("payment", id));
    }
    Ok(())
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct OverrideRow {
    id: i64,
    customer_id: i64,
    order_id: Option<i64>,
    user_id: Option<i64>,
    user_name: Option<String>,
    reason: String,
    order_minor: i64,
    outstanding_minor: i64,
    limit_minor: i64,
    over_limit_minor: i64,
    currency: String,
    at: DateTime<Utc>,
}

/// A customer's overrides, newest first (at most `limit`).
pub(crate) async fn overrides(
    c: &mut Conn<'_>,
    customer: CustomerId,
    limit: u32,
) -> StoreResult<Vec<CreditOverride>> {
    let rows: Vec<OverrideRow> = c
        .fetch_all(
            "SELECT o.id, o.customer_id, o.order_id, o.user_id, u.name AS user_name, o.reason, \
             o.order_minor, o.outstanding_minor, o.limit_minor, o.over_limit_minor, o.currency, \
             o.at FROM credit_overrides o LEFT JOIN users u ON u.id = o.user_id \
             WHERE o.customer_id = $1 ORDER BY o.id DESC LIMIT $2",
            args![
                customer.0,
                i64::from(limit.clamp(1, crate::query::MAX_LIMIT))
            ],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CreditOverride {
            id: r.id,
            customer_id: CustomerId(r.customer_id),
            order_id: r.order_id.map(OrderId),
            user_id: r.user_id.map(UserId),
            user_name: r.user_name,
            reason: r.reason,
            order_minor: r.order_minor,
            outstanding_minor: r.outstanding_minor,
            limit_minor: r.limit_minor,
            over_limit_minor: r.over_limit_minor,
            currency: r.currency,
            at: r.at,
        })
        .collect())
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct AccountRow {
    id: i64,
    name: String,
    owner_id: Option<i64>,
    class: String,
    limit_minor: i64,
    term_days: i64,
    reviewed_on: NaiveDate,
}

/// The first review's day per customer (a derived table both dialects accept).
const FIRST_REVIEW: &str =
    "(SELECT customer_id, MIN(reviewed_on) AS since FROM credit_reviews GROUP BY customer_id)";

/// Every customer under credit management inside `scope`, worst first: most days overdue, then
/// most overdue, then most outstanding, then by id. Three queries whatever the number of
/// customers (reviews, orders, payments), the balances computed here.
pub(crate) async fn accounts(
    c: &mut Conn<'_>,
    scope: Scope,
    as_of: NaiveDate,
    currency: &Currency,
) -> StoreResult<Vec<CreditAccount>> {
    let mut wh: Vec<String> = vec!["r.k = 1".into()];
    let mut a: Vec<Arg> = Vec::new();
    super::customers::push_scope(scope, "c", &mut wh, &mut a);
    let rows: Vec<AccountRow> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.name, c.owner_id, r.class, r.limit_minor, r.term_days, r.reviewed_on \
                 FROM customers c JOIN (SELECT customer_id, class, limit_minor, term_days, \
                   reviewed_on, ROW_NUMBER() OVER (PARTITION BY customer_id \
                   ORDER BY reviewed_on DESC, id DESC) AS k FROM credit_reviews) r \
                 ON r.customer_id = c.id WHERE {} ORDER BY c.id",
                wh.join(" AND ")
            ),
            a.clone(),
        )
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // The same scope condition on the orders' and payments' customers; `$1` is the currency.
    let mut wh: Vec<String> = Vec::new();
    let mut a: Vec<Arg> = args![currency.as_str()];
    super::customers::push_scope(scope, "c", &mut wh, &mut a);
    let scoped = if wh.is_empty() {
        String::new()
    } else {
        format!(" AND {}", wh.join(" AND "))
    };
    let orders: Vec<(i64, NaiveDate, i64)> = c
        .fetch_all(
            &format!(
                "SELECT o.customer_id, o.order_date, o.total_minor FROM orders o \
                 JOIN {FIRST_REVIEW} f ON f.customer_id = o.customer_id \
                 JOIN customers c ON c.id = o.customer_id \
                 WHERE o.order_date >= f.since AND o.currency = $1{scoped} \
                 ORDER BY o.customer_id, o.order_date, o.id"
            ),
            a.clone(),
        )
        .await?;
    let payments: Vec<(i64, NaiveDate, i64)> = c
        .fetch_all(
            &format!(
                "SELECT p.customer_id, p.paid_on, p.amount_minor FROM payments p \
                 JOIN {FIRST_REVIEW} f ON f.customer_id = p.customer_id \
                 JOIN customers c ON c.id = p.customer_id \
                 WHERE p.paid_on >= f.since AND p.currency = $1{scoped} \
                 ORDER BY p.customer_id, p.paid_on, p.id"
            ),
            a,
        )
        .await?;
    // All three lists are sorted by customer id: walk them together.
    let (mut oi, mut pi) = (orders.iter().peekable(), payments.iter().peekable());
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        while oi.peek().is_some_and(|o| o.0 < r.id) {
            oi.next();
        }
        while pi.peek().is_some_and(|p| p.0 < r.id) {
            pi.next();
        }
        let mut os = Vec::new();
        while let Some(o) = oi.next_if(|o| o.0 == r.id) {
            os.push((o.1, o.2));
        }
        let mut ps = Vec::new();
        while let Some(p) = pi.next_if(|p| p.0 == r.id) {
            ps.push((p.1, p.2));
        }
        let term_days = term_of(r.term_days)?;
        let b = balance(&os, &ps, term_days, as_of);
        out.push(CreditAccount {
            customer_id: CustomerId(r.id),
            name: r.name,
            owner_id: r.owner_id.map(UserId),
            class: class_of(&r.class)?,
            limit_minor: r.limit_minor,
            term_days,
            reviewed_on: r.reviewed_on,
            currency: currency.as_str().to_owned(),
            outstanding_minor: b.outstanding_minor,
            overdue_minor: b.overdue_minor,
            days_overdue: b.days_overdue,
            oldest_overdue_due: b.oldest_overdue_due,
            available_minor: b.available_minor(r.limit_minor),
        });
    }
    out.sort_by(|x, y| {
        (
            y.days_overdue,
            y.overdue_minor,
            y.outstanding_minor,
            x.customer_id.0,
        )
            .cmp(&(
                x.days_overdue,
                x.overdue_minor,
                x.outstanding_minor,
                y.customer_id.0,
            ))
    });
    Ok(out)
}

/// How an order write treats the customer's credit limit.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Gate<'a> {
    /// Not checked: the command line's and the import's paths, and the plain order methods.
    Off,
    /// Checked; with a reason, an order over the limit is let through and the override recorded.
    On { override_reason: Option<&'a str> },
}

/// An override to record once the order has its id.
pub(crate) struct PendingOverride {
    customer: CustomerId,
    reason: String,
    order_minor: i64,
    outstanding_minor: i64,
    limit_minor: i64,
    over_limit_minor: i64,
}

/// Checks an order about to be written for `customer` (dated `day`, `total` in `currency`)
/// against the customer's credit; `before` is the order as stored, for an edit.
///
/// Inside the caller's write transaction: on PostgreSQL the customer's row is locked first, so
/// concurrent orders of one customer are checked one after the other (SQLite's write transaction
/// already serialises writers). An order is checked exactly when it counts towards the balance
/// (the default currency, dated on or after the first review) and adds to it: an edit that lowers
/// an order or leaves its total alone is never refused.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn gate(
    c: &mut Conn<'_>,
    gate: Gate<'_>,
    customer: CustomerId,
    day: NaiveDate,
    total: i64,
    order_currency: &Currency,
    before: Option<&Order>,
    currency: &Currency,
) -> StoreResult<Result<Option<PendingOverride>, CreditRefusal>> {
    let Gate::On { override_reason } = gate else {
        return Ok(Ok(None));
    };
    if !c.is_sqlite() {
        c.execute(
            "SELECT id FROM customers WHERE id = $1 FOR UPDATE",
            args![customer.0],
        )
        .await?;
    }
    let Some(f) = in_force(c, customer).await? else {
        return Ok(Ok(None));
    };
    let counts = |d: NaiveDate, cur: &Currency, t: i64| {
        if d >= f.since && cur == currency {
            t
        } else {
            0
        }
    };
    let new = counts(day, order_currency, total);
    let old = before
        .filter(|o| o.customer_id == customer)
        .map_or(0, |o| counts(o.order_date, &o.currency, o.total_minor));
    if new <= old {
        return Ok(Ok(None));
    }
    // What the customer owes without this order (net of payments in advance).
    let except = before.map_or(-1, |o| o.id.0);
    let ordered = c
        .scalar_i64(
            "SELECT CAST(COALESCE(SUM(total_minor), 0) AS BIGINT) FROM orders \
             WHERE customer_id = $1 AND order_date >= $2 AND currency = $3 AND id <> $4",
            args![customer.0, f.since, currency.as_str(), except],
        )
        .await?;
    let paid = c
        .scalar_i64(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM payments \
             WHERE customer_id = $1 AND paid_on >= $2 AND currency = $3",
            args![customer.0, f.since, currency.as_str()],
        )
        .await?;
    let outstanding = ordered.saturating_sub(paid);
    let Some(over) = would_exceed(f.limit_minor, outstanding, new) else {
        return Ok(Ok(None));
    };
    let after = outstanding.saturating_add(new);
    match override_reason {
        Some(reason) => {
            let reason = patron_core::credit::override_reason("credit_override.reason", reason)
                .map_err(|e| StoreError::Invalid(e.into()))?;
            Ok(Ok(Some(PendingOverride {
                customer,
                reason,
                order_minor: new,
                outstanding_minor: after,
                limit_minor: f.limit_minor,
                over_limit_minor: over,
            })))
        }
        None => {
            let name: Option<(String,)> = c
                .fetch_optional(
                    "SELECT name FROM customers WHERE id = $1",
                    args![customer.0],
                )
                .await?;
            Ok(Err(CreditRefusal {
                customer_id: customer,
                customer_name: name.map(|n| n.0).unwrap_or_default(),
                class: f.class,
                limit_minor: f.limit_minor,
                outstanding_minor: outstanding,
                order_minor: new,
                after_minor: after,
                over_limit_minor: over,
                currency: currency.clone(),
            }))
        }
    }
}

/// Records an override of the order `order` as `by`'s.
pub(crate) async fn record_override(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    order: OrderId,
    p: PendingOverride,
    currency: &Currency,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO credit_overrides (customer_id, order_id, user_id, reason, order_minor, \
         outstanding_minor, limit_minor, over_limit_minor, currency, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![
            p.customer.0,
            order.0,
            by.map(|u| u.0),
            p.reason,
            p.order_minor,
            p.outstanding_minor,
            p.limit_minor,
            p.over_limit_minor,
            currency.as_str(),
            super::now()
        ],
    )
    .await?;
    Ok(())
}

/// Moves the credit records of a merged customer to the kept one (reviews, payments, overrides
/// are history; the kept customer's credit is then the latest review of either).
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    for table in ["credit_reviews", "payments", "credit_overrides"] {
        c.execute(
            &format!("UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"),
            args![keep.0, other.0],
        )
        .await?;
    }
    Ok(())
}
