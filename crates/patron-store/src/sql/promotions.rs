//! Promotions (see [`crate::promotions`]): the terms, cost lines and participants, and the
//! evaluation's count of the participants' orders. Every statement is shared by both databases.

use super::conn::{args, Arg, Conn};
use super::customers::{in_scope, push_scope};
use super::records as r;
use super::SqlStore;
use crate::error::{StoreError, StoreResult};
use crate::promotions::*;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::promotion::{
    self as core, Attitude, Baseline, CostKind, Evaluation, ParticipantChange, ParticipantInput,
    ParticipantSales, PromotionInput, PromotionStatus, ValidPromotion, Word,
};
use patron_core::{Currency, CustomerId, FieldError, Scope, UserId};

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored promotion: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

/// A field-level rejection as the store's error.
fn invalid(e: FieldError) -> StoreError {
    StoreError::Invalid(e.into())
}

fn word<T: Word>(what: &str, s: &str) -> StoreResult<T> {
    T::parse(s).ok_or_else(|| bad_row(what, s))
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct PromotionRow {
    id: i64,
    name: String,
    description: Option<String>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    currency: String,
    budget_minor: i64,
    expected_extra_sales_minor: i64,
    gross_margin_bp: i64,
    status: String,
    baseline: String,
    created_by: Option<i64>,
    created_by_name: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLS: &str = "p.id, p.name, p.description, p.starts_on, p.ends_on, p.currency, \
     p.budget_minor, p.expected_extra_sales_minor, p.gross_margin_bp, p.status, p.baseline, \
     p.created_by, u.name AS created_by_name, p.created_at, p.updated_at";

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct CostRow {
    promotion_id: i64,
    line_no: i64,
    kind: String,
    description: Option<String>,
    amount_minor: i64,
}

#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct ParticipantRow {
    promotion_id: i64,
    customer_id: i64,
    customer_name: String,
    attitude: String,
    notes: Option<String>,
    added_by: Option<i64>,
    added_by_name: Option<String>,
    added_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const PART_COLS: &str = "pp.promotion_id, pp.customer_id, c.name AS customer_name, pp.attitude, \
     pp.notes, pp.added_by, u.name AS added_by_name, pp.added_at, pp.updated_at";

impl TryFrom<ParticipantRow> for Participant {
    type Error = StoreError;
    fn try_from(r: ParticipantRow) -> StoreResult<Self> {
        Ok(Participant {
            promotion_id: r.promotion_id,
            customer_id: CustomerId(r.customer_id),
            customer_name: r.customer_name,
            attitude: word("attitude", &r.attitude)?,
            notes: r.notes,
            added_by: r.added_by.map(UserId),
            added_by_name: r.added_by_name,
            added_at: r.added_at,
            updated_at: r.updated_at,
        })
    }
}

/// Builds a promotion from its row, its cost lines and its participant counts.
fn assemble(
    row: PromotionRow,
    costs: Vec<PromotionCost>,
    participants: i64,
    taking_part: i64,
) -> StoreResult<Promotion> {
    let bp = u32::try_from(row.gross_margin_bp)
        .ok()
        .filter(|v| *v <= core::FULL_RATE_BP)
        .ok_or_else(|| bad_row("gross_margin_bp", row.gross_margin_bp))?;
    let lines: Vec<(CostKind, i64)> = costs.iter().map(|c| (c.kind, c.amount_minor)).collect();
    let expectation =
        core::expectation(&lines, row.budget_minor, row.expected_extra_sales_minor, bp);
    Ok(Promotion {
        id: row.id,
        name: row.name,
        description: row.description,
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        currency: Currency::parse("currency", &row.currency).map_err(|e| bad_row("currency", e))?,
        budget_minor: row.budget_minor,
        expected_extra_sales_minor: row.expected_extra_sales_minor,
        gross_margin_bp: bp,
        status: word("status", &row.status)?,
        baseline: word("baseline", &row.baseline)?,
        costs,
        participants,
        taking_part,
        created_by: row.created_by.map(UserId),
        created_by_name: row.created_by_name,
        created_at: row.created_at,
        updated_at: row.updated_at,
        expectation,
    })
}

/// The condition (on promotions aliased `p`) that the promotion is visible in `scope`: everything
/// for [`Scope::All`]; else created by the scope's user or with a participant inside the scope.
fn visible(scope: Scope, a: &mut Vec<Arg>) -> Option<String> {
    let me = match scope {
        Scope::All => return None,
        Scope::Own(me) | Scope::Team(me) => me,
    };
    let mut wh = vec!["vp.promotion_id = p.id".to_owned()];
    push_scope(scope, "vc", &mut wh, a);
    a.push(me.0.into());
    let n = a.len();
    Some(format!(
        "(p.created_by = ${n} OR EXISTS (SELECT 1 FROM promotion_participants vp \
         JOIN customers vc ON vc.id = vp.customer_id WHERE {}))",
        wh.join(" AND ")
    ))
}

/// Fails with "not found" unless promotion `id` exists and is visible in `scope`.
async fn require_visible(c: &mut Conn<'_>, id: i64, scope: Scope) -> StoreResult<()> {
    let mut a: Vec<Arg> = args![id];
    let mut wh = vec!["p.id = $1".to_owned()];
    wh.extend(visible(scope, &mut a));
    let n = c
        .scalar_i64(
            &format!(
                "SELECT COUNT(*) FROM promotions p WHERE {}",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    if n == 0 {
        return Err(StoreError::not_found("promotion", id));
    }
    Ok(())
}

/// The cost lines of these promotions, in line order.
async fn costs_of(c: &mut Conn<'_>, ids: &[i64]) -> StoreResult<Vec<(i64, PromotionCost)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT promotion_id, line_no, kind, description, amount_minor FROM promotion_costs \
         WHERE promotion_id IN ({}) ORDER BY promotion_id, line_no",
        super::placeholders(c, ids.len())
    );
    let rows: Vec<CostRow> = c
        .fetch_all(&sql, ids.iter().map(|i| Arg::from(*i)).collect())
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.promotion_id,
                PromotionCost {
                    line_no: r.line_no,
                    kind: word("cost kind", &r.kind)?,
                    description: r.description,
                    amount_minor: r.amount_minor,
                },
            ))
        })
        .collect()
}

/// Per promotion, its participants inside `scope` and how many of them did not refuse.
async fn counts(c: &mut Conn<'_>, scope: Scope) -> StoreResult<Vec<(i64, i64, i64)>> {
    let mut a: Vec<Arg> = Vec::new();
    let mut wh = Vec::new();
    push_scope(scope, "c", &mut wh, &mut a);
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let rows: Vec<(i64, i64, i64)> = c
        .fetch_all(
            &format!(
                "SELECT pp.promotion_id, COUNT(*), \
             COALESCE(SUM(CASE WHEN pp.attitude <> 'refused' THEN 1 ELSE 0 END), 0) \
             FROM promotion_participants pp JOIN customers c ON c.id = pp.customer_id{filter} \
             GROUP BY pp.promotion_id"
            ),
            a,
        )
        .await?;
    Ok(rows)
}

/// The promotions visible in `scope` (optionally of one status), latest start first.
pub(crate) async fn list(
    s: &SqlStore,
    scope: Scope,
    status: Option<PromotionStatus>,
) -> StoreResult<Vec<Promotion>> {
    let mut pc = s.acquire().await?;
    let mut c = pc.conn();
    let mut a: Vec<Arg> = Vec::new();
    let mut wh: Vec<String> = Vec::new();
    if let Some(st) = status {
        a.push(st.as_str().into());
        wh.push(format!("p.status = ${}", a.len()));
    }
    wh.extend(visible(scope, &mut a));
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let rows: Vec<PromotionRow> = c
        .fetch_all(
            &format!(
                "SELECT {COLS} FROM promotions p LEFT JOIN users u ON u.id = p.created_by{filter} \
                 ORDER BY p.starts_on DESC, p.id DESC"
            ),
            a,
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut costs = costs_of(&mut c, &ids).await?;
    let counts = counts(&mut c, scope).await?;
    rows.into_iter()
        .map(|row| {
            let mine: Vec<PromotionCost> = costs
                .iter()
                .filter(|(p, _)| *p == row.id)
                .map(|(_, k)| k.clone())
                .collect();
            costs.retain(|(p, _)| *p != row.id);
            let (n, taking) = counts
                .iter()
                .find(|(p, _, _)| *p == row.id)
                .map_or((0, 0), |(_, n, t)| (*n, *t));
            assemble(row, mine, n, taking)
        })
        .collect()
}

/// One promotion with the participants visible in `scope`.
async fn detail(c: &mut Conn<'_>, id: i64, scope: Scope) -> StoreResult<PromotionDetail> {
    require_visible(c, id, scope).await?;
    let row: PromotionRow = c
        .fetch_optional(
            &format!(
                "SELECT {COLS} FROM promotions p LEFT JOIN users u ON u.id = p.created_by \
                 WHERE p.id = $1"
            ),
            args![id],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("promotion", id))?;
    let costs = costs_of(c, &[id])
        .await?
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    let mut a: Vec<Arg> = args![id];
    let mut wh = vec!["pp.promotion_id = $1".to_owned()];
    push_scope(scope, "c", &mut wh, &mut a);
    let rows: Vec<ParticipantRow> = c
        .fetch_all(
            &format!(
                "SELECT {PART_COLS} FROM promotion_participants pp \
                 JOIN customers c ON c.id = pp.customer_id \
                 LEFT JOIN users u ON u.id = pp.added_by WHERE {} ORDER BY c.name, pp.customer_id",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    let participants: Vec<Participant> = rows
        .into_iter()
        .map(TryInto::try_into)
        .collect::<StoreResult<_>>()?;
    let total = c
        .scalar_i64(
            "SELECT COUNT(*) FROM promotion_participants WHERE promotion_id = $1",
            args![id],
        )
        .await?;
    let shown = participants.len() as i64;
    let taking = participants
        .iter()
        .filter(|p| p.attitude.takes_part())
        .count() as i64;
    Ok(PromotionDetail {
        promotion: assemble(row, costs, shown, taking)?,
        participants,
        hidden_participants: total - shown,
    })
}

pub(crate) async fn get(s: &SqlStore, id: i64, scope: Scope) -> StoreResult<PromotionDetail> {
    let mut pc = s.acquire().await?;
    detail(&mut pc.conn(), id, scope).await
}

/// The shop's default currency and the default gross margin, read inside `c`.
async fn defaults(c: &mut Conn<'_>) -> StoreResult<(Currency, u32)> {
    let cur = r::get_setting(c, super::store_impl::DEFAULT_CURRENCY_KEY)
        .await?
        .and_then(|v| Currency::parse("currency", &v).ok())
        .unwrap_or_default();
    let bp = r::get_setting(c, MARGIN_KEY)
        .await?
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| *v <= core::FULL_RATE_BP)
        .unwrap_or(core::DEFAULT_MARGIN_BP);
    Ok((cur, bp))
}

/// How many participants of promotion `id` did not refuse (all of them, whatever the scope: the
/// rule is about the promotion, not about what one reader sees).
async fn taking_part(c: &mut Conn<'_>, id: i64) -> StoreResult<usize> {
    let n = c
        .scalar_i64(
            "SELECT COUNT(*) FROM promotion_participants WHERE promotion_id = $1 \
             AND attitude <> 'refused'",
            args![id],
        )
        .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

async fn write_costs(c: &mut Conn<'_>, id: i64, v: &ValidPromotion) -> StoreResult<()> {
    c.execute(
        "DELETE FROM promotion_costs WHERE promotion_id = $1",
        args![id],
    )
    .await?;
    for (i, k) in v.costs.iter().enumerate() {
        c.execute(
            "INSERT INTO promotion_costs (promotion_id, line_no, kind, description, amount_minor) \
             VALUES ($1, $2, $3, $4, $5)",
            args![
                id,
                i as i64 + 1,
                k.kind.as_str(),
                k.description.clone(),
                k.amount_minor
            ],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn create(
    s: &SqlStore,
    by: Option<UserId>,
    input: PromotionInput,
) -> StoreResult<PromotionDetail> {
    let mut tx = s.begin().await?;
    let (cur, bp) = defaults(&mut tx.conn()).await?;
    let v = input.validate(&cur, bp)?;
    core::check_status(v.status, 0).map_err(invalid)?;
    let now = super::now();
    let id = tx
        .conn()
        .scalar_i64(
            "INSERT INTO promotions (name, description, starts_on, ends_on, currency, budget_minor, \
             expected_extra_sales_minor, gross_margin_bp, status, baseline, created_by, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            args![
                v.name.clone(),
                v.description.clone(),
                v.starts_on,
                v.ends_on,
                v.currency.as_str(),
                v.budget_minor,
                v.expected_extra_sales_minor,
                i64::from(v.gross_margin_bp),
                v.status.as_str(),
                v.baseline.as_str(),
                by.map(|u| u.0),
                now
            ],
        )
        .await?;
    write_costs(&mut tx.conn(), id, &v).await?;
    let d = detail(&mut tx.conn(), id, Scope::All).await?;
    tx.commit().await?;
    Ok(d)
}

pub(crate) async fn update(
    s: &SqlStore,
    id: i64,
    scope: Scope,
    input: PromotionInput,
) -> StoreResult<PromotionDetail> {
    let mut tx = s.begin().await?;
    require_visible(&mut tx.conn(), id, scope).await?;
    let (cur, bp) = defaults(&mut tx.conn()).await?;
    let v = input.validate(&cur, bp)?;
    core::check_status(v.status, taking_part(&mut tx.conn(), id).await?).map_err(invalid)?;
    tx.conn()
        .execute(
            "UPDATE promotions SET name = $2, description = $3, starts_on = $4, ends_on = $5, \
             currency = $6, budget_minor = $7, expected_extra_sales_minor = $8, \
             gross_margin_bp = $9, status = $10, baseline = $11, updated_at = $12 WHERE id = $1",
            args![
                id,
                v.name.clone(),
                v.description.clone(),
                v.starts_on,
                v.ends_on,
                v.currency.as_str(),
                v.budget_minor,
                v.expected_extra_sales_minor,
                i64::from(v.gross_margin_bp),
                v.status.as_str(),
                v.baseline.as_str(),
                super::now()
            ],
        )
        .await?;
    write_costs(&mut tx.conn(), id, &v).await?;
    let d = detail(&mut tx.conn(), id, scope).await?;
    tx.commit().await?;
    Ok(d)
}

pub(crate) async fn delete(s: &SqlStore, id: i64, scope: Scope) -> StoreResult<()> {
    let mut tx = s.begin().await?;
    require_visible(&mut tx.conn(), id, scope).await?;
    tx.conn()
        .execute("DELETE FROM promotions WHERE id = $1", args![id])
        .await?;
    tx.commit().await
}

async fn participant(
    c: &mut Conn<'_>,
    id: i64,
    customer: CustomerId,
) -> StoreResult<Option<Participant>> {
    let row: Option<ParticipantRow> = c
        .fetch_optional(
            &format!(
                "SELECT {PART_COLS} FROM promotion_participants pp \
                 JOIN customers c ON c.id = pp.customer_id \
                 LEFT JOIN users u ON u.id = pp.added_by \
                 WHERE pp.promotion_id = $1 AND pp.customer_id = $2"
            ),
            args![id, customer.0],
        )
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// Adds a customer inside `scope` to a promotion visible in it. An unknown or unseen customer is
/// invalid (`customer_id`); a customer already taking part is a conflict on `customer_id`.
pub(crate) async fn add_participant(
    s: &SqlStore,
    by: Option<UserId>,
    id: i64,
    scope: Scope,
    input: ParticipantInput,
) -> StoreResult<Participant> {
    let notes = core::participant_notes(input.notes.as_deref()).map_err(invalid)?;
    let mut tx = s.begin().await?;
    require_visible(&mut tx.conn(), id, scope).await?;
    if !in_scope(&mut tx.conn(), input.customer_id, scope).await? {
        return Err(invalid(FieldError::new(
            "customer_id",
            "unknown_reference",
            "there is no customer with this id",
        )));
    }
    if participant(&mut tx.conn(), id, input.customer_id)
        .await?
        .is_some()
    {
        return Err(StoreError::conflict(
            Some("customer_id"),
            "this customer already takes part in the promotion",
        ));
    }
    let now = super::now();
    tx.conn()
        .execute(
            "INSERT INTO promotion_participants (promotion_id, customer_id, attitude, notes, \
             added_by, added_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            args![
                id,
                input.customer_id.0,
                input.attitude.unwrap_or(Attitude::Neutral).as_str(),
                notes,
                by.map(|u| u.0),
                now
            ],
        )
        .await?;
    let p = participant(&mut tx.conn(), id, input.customer_id)
        .await?
        .ok_or_else(|| StoreError::not_found("participant", input.customer_id))?;
    tx.commit().await?;
    Ok(p)
}

/// Fails with "not found" unless `customer` takes part in promotion `id` and lies in `scope`.
async fn require_participant(
    c: &mut Conn<'_>,
    id: i64,
    customer: CustomerId,
    scope: Scope,
) -> StoreResult<()> {
    require_visible(c, id, scope).await?;
    if !in_scope(c, customer, scope).await? || participant(c, id, customer).await?.is_none() {
        return Err(StoreError::not_found("participant", customer));
    }
    Ok(())
}

pub(crate) async fn change_participant(
    s: &SqlStore,
    id: i64,
    customer: CustomerId,
    scope: Scope,
    change: ParticipantChange,
) -> StoreResult<Participant> {
    let notes = match change.notes.as_deref() {
        None => None,
        Some(n) => Some(core::participant_notes(Some(n)).map_err(invalid)?),
    };
    let mut tx = s.begin().await?;
    require_participant(&mut tx.conn(), id, customer, scope).await?;
    let now = super::now();
    if let Some(a) = change.attitude {
        tx.conn()
            .execute(
                "UPDATE promotion_participants SET attitude = $3, updated_at = $4 \
                 WHERE promotion_id = $1 AND customer_id = $2",
                args![id, customer.0, a.as_str(), now],
            )
            .await?;
    }
    if let Some(n) = notes {
        tx.conn()
            .execute(
                "UPDATE promotion_participants SET notes = $3, updated_at = $4 \
                 WHERE promotion_id = $1 AND customer_id = $2",
                args![id, customer.0, n, now],
            )
            .await?;
    }
    let p = participant(&mut tx.conn(), id, customer)
        .await?
        .ok_or_else(|| StoreError::not_found("participant", customer))?;
    tx.commit().await?;
    Ok(p)
}

pub(crate) async fn remove_participant(
    s: &SqlStore,
    id: i64,
    customer: CustomerId,
    scope: Scope,
) -> StoreResult<()> {
    let mut tx = s.begin().await?;
    require_participant(&mut tx.conn(), id, customer, scope).await?;
    tx.conn()
        .execute(
            "DELETE FROM promotion_participants WHERE promotion_id = $1 AND customer_id = $2",
            args![id, customer.0],
        )
        .await?;
    tx.commit().await
}

/// A participant's orders in the two windows.
#[derive(sqlx::FromRow, patron_store_derive::InlineRow)]
struct SalesRow {
    customer_id: i64,
    customer_name: String,
    attitude: String,
    period_minor: i64,
    period_orders: i64,
    baseline_minor: i64,
    baseline_orders: i64,
    other_currency_orders: i64,
}

/// Expected against actual for the participants visible in `scope`, as of `as_of`, against
/// `baseline` (default: the promotion's own). Orders count by their day and only in the
/// promotion's currency; orders of either window in other currencies are counted apart.
pub(crate) async fn evaluate(
    s: &SqlStore,
    id: i64,
    scope: Scope,
    baseline: Option<Baseline>,
    as_of: NaiveDate,
) -> StoreResult<Evaluation> {
    let mut pc = s.acquire().await?;
    let mut c = pc.conn();
    let d = detail(&mut c, id, scope).await?;
    let p = d.promotion;
    let baseline = baseline.unwrap_or(p.baseline);
    let windows = core::windows(p.starts_on, p.ends_on, baseline, as_of);
    let sales: Vec<ParticipantSales> = match windows {
        None => d
            .participants
            .iter()
            .map(|x| ParticipantSales {
                customer_id: x.customer_id,
                customer_name: x.customer_name.clone(),
                attitude: x.attitude,
                period_minor: 0,
                period_orders: 0,
                baseline_minor: 0,
                baseline_orders: 0,
                other_currency_orders: 0,
            })
            .collect(),
        Some((w, b)) => {
            let mut a: Vec<Arg> = args![id, w.from, w.to, b.from, b.to, p.currency.as_str()];
            let mut wh = vec!["pp.promotion_id = $1".to_owned()];
            push_scope(scope, "c", &mut wh, &mut a);
            let in_w = "o.order_date >= $2 AND o.order_date <= $3";
            let in_b = "o.order_date >= $4 AND o.order_date <= $5";
            let rows: Vec<SalesRow> = c
                .fetch_all(
                    &format!(
                        "SELECT pp.customer_id, c.name AS customer_name, pp.attitude, \
                         CAST(COALESCE(SUM(CASE WHEN {in_w} AND o.currency = $6 THEN o.total_minor ELSE 0 END), 0) AS BIGINT) AS period_minor, \
                         COUNT(CASE WHEN {in_w} AND o.currency = $6 THEN 1 END) AS period_orders, \
                         CAST(COALESCE(SUM(CASE WHEN {in_b} AND o.currency = $6 THEN o.total_minor ELSE 0 END), 0) AS BIGINT) AS baseline_minor, \
                         COUNT(CASE WHEN {in_b} AND o.currency = $6 THEN 1 END) AS baseline_orders, \
                         COUNT(CASE WHEN o.currency <> $6 THEN 1 END) AS other_currency_orders \
                         FROM promotion_participants pp \
                         JOIN customers c ON c.id = pp.customer_id \
                         LEFT JOIN orders o ON o.customer_id = pp.customer_id \
                           AND (({in_w}) OR ({in_b})) \
                         WHERE {} \
                         GROUP BY pp.customer_id, c.name, pp.attitude \
                         ORDER BY c.name, pp.customer_id",
                        wh.join(" AND ")
                    ),
                    a,
                )
                .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(ParticipantSales {
                        customer_id: CustomerId(r.customer_id),
                        customer_name: r.customer_name,
                        attitude: word("attitude", &r.attitude)?,
                        period_minor: r.period_minor,
                        period_orders: r.period_orders,
                        baseline_minor: r.baseline_minor,
                        baseline_orders: r.baseline_orders,
                        other_currency_orders: r.other_currency_orders,
                    })
                })
                .collect::<StoreResult<_>>()?
        }
    };
    Ok(core::evaluate(
        p.expectation,
        p.currency,
        baseline,
        as_of,
        p.ends_on,
        windows,
        &sales,
    ))
}

/// Moves a merged customer's participation to the kept one. Where both took part in the same
/// promotion the kept customer's row stays (its attitude is the one staff recorded for the
/// surviving record) and the other's goes with the merged customer.
pub(crate) async fn merge(
    c: &mut Conn<'_>,
    keep: CustomerId,
    other: CustomerId,
) -> StoreResult<()> {
    c.execute(
        "UPDATE promotion_participants SET customer_id = $1 WHERE customer_id = $2 \
         AND promotion_id NOT IN \
         (SELECT promotion_id FROM promotion_participants WHERE customer_id = $1)",
        args![keep.0, other.0],
    )
    .await?;
    c.execute(
        "DELETE FROM promotion_participants WHERE customer_id = $1",
        args![other.0],
    )
    .await?;
    Ok(())
}
