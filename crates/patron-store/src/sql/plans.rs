//! Visit plans, customers' coordinates and the facts of the day's route (see
//! [`crate::plans`]). Every statement is shared by both databases.
//!
//! Coordinates are bound as text and cast in SQL (`CAST($n AS DOUBLE PRECISION)`, which both
//! dialects read): the shared argument type has no floating-point variant, and Rust prints an
//! `f64` as the shortest decimal that reads back to the same number, so nothing is lost.

use super::conn::{args, Arg, Conn};
use super::customers::push_scope;
use crate::error::{StoreError, StoreResult};
use crate::plans::{CustomerLocation, PlanSummary, VisitPlan};
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::classify::AbcClass;
use patron_core::contact::plan::{Done, EntryEdit, EntrySource, PlanCustomer, PlanEntry};
use patron_core::contact::route::{Place, Point};
use patron_core::contact::{ContactPolicy, ContactSettings, PlanPeriod};
use patron_core::{CustomerId, Scope, User, UserId};
use serde::Serialize;
use std::collections::HashMap;

/// Rows per multi-row INSERT (a few thousand parameters: well inside both databases' limits).
const BATCH: usize = 200;

fn bad_row(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::other(
        format!("reading a stored visit plan: {what}"),
        std::io::Error::other(e.to_string()),
    )
}

/// A float as SQL text for `CAST(… AS DOUBLE PRECISION)`.
fn float(v: f64) -> Arg {
    Arg::from(format!("{v}"))
}

const LOCATION_COLS: &str = "customer_id, latitude, longitude, updated_at";

type LocationRow = (i64, f64, f64, DateTime<Utc>);

fn location(r: LocationRow) -> CustomerLocation {
    CustomerLocation {
        customer_id: CustomerId(r.0),
        latitude: r.1,
        longitude: r.2,
        updated_at: r.3,
    }
}

pub(crate) async fn get_location(
    c: &mut Conn<'_>,
    customer: CustomerId,
) -> StoreResult<Option<CustomerLocation>> {
    let row: Option<LocationRow> = c
        .fetch_optional(
            &format!("SELECT {LOCATION_COLS} FROM customer_locations WHERE customer_id = $1"),
            args![customer.0],
        )
        .await?;
    Ok(row.map(location))
}

/// What the audit log records of a location change.
#[derive(Serialize)]
struct Audited {
    latitude: f64,
    longitude: f64,
}

/// Sets (or with `None` removes) a customer's coordinates, audited as a change of the customer.
pub(crate) async fn set_location(
    c: &mut Conn<'_>,
    by: Option<UserId>,
    customer: CustomerId,
    at: Option<Point>,
) -> StoreResult<Option<CustomerLocation>> {
    let before = get_location(c, customer).await?;
    match at {
        Some(p) => {
            c.execute(
                "INSERT INTO customer_locations (customer_id, latitude, longitude, updated_at) \
                 VALUES ($1, CAST($2 AS DOUBLE PRECISION), CAST($3 AS DOUBLE PRECISION), $4) \
                 ON CONFLICT (customer_id) DO UPDATE SET latitude = excluded.latitude, \
                 longitude = excluded.longitude, updated_at = excluded.updated_at",
                vec![
                    Arg::from(customer.0),
                    float(p.latitude),
                    float(p.longitude),
                    Arg::from(super::now()),
                ],
            )
            .await?;
        }
        None => {
            c.execute(
                "DELETE FROM customer_locations WHERE customer_id = $1",
                args![customer.0],
            )
            .await?;
        }
    }
    let after = get_location(c, customer).await?;
    let audited = |l: &Option<CustomerLocation>| {
        l.as_ref().map(|l| Audited {
            latitude: l.latitude,
            longitude: l.longitude,
        })
    };
    super::audit::record(
        c,
        by,
        crate::accounts::AuditEntity::Customer,
        customer.0,
        customer,
        "update",
        audited(&before).as_ref(),
        audited(&after).as_ref(),
    )
    .await?;
    Ok(after)
}

/// Sets many customers' coordinates at once (the demo generator's path; not audited).
pub(crate) async fn set_locations(
    c: &mut Conn<'_>,
    rows: &[(CustomerId, Point)],
) -> StoreResult<u64> {
    let now = super::now();
    let mut n = 0;
    for chunk in rows.chunks(BATCH) {
        let mut a: Vec<Arg> = Vec::with_capacity(chunk.len() * 4);
        let mut values = Vec::with_capacity(chunk.len());
        for (id, p) in chunk {
            let k = a.len();
            values.push(format!(
                "(${}, CAST(${} AS DOUBLE PRECISION), CAST(${} AS DOUBLE PRECISION), ${})",
                k + 1,
                k + 2,
                k + 3,
                k + 4
            ));
            a.push(id.0.into());
            a.push(float(p.latitude));
            a.push(float(p.longitude));
            a.push(now.into());
        }
        n += c
            .execute(
                &format!(
                    "INSERT INTO customer_locations (customer_id, latitude, longitude, updated_at) \
                     VALUES {} ON CONFLICT (customer_id) DO UPDATE SET \
                     latitude = excluded.latitude, longitude = excluded.longitude, \
                     updated_at = excluded.updated_at",
                    values.join(", ")
                ),
                a,
            )
            .await?;
    }
    Ok(n)
}

/// The customers in `user`'s charge (their scope, not lost) of the classes `user`'s row of the
/// policy schedules anything for, by id.
pub(crate) async fn plan_customers(
    c: &mut Conn<'_>,
    user: &User,
    policy: &ContactPolicy,
) -> StoreResult<Vec<PlanCustomer>> {
    let Some(row) = policy.level(user.staff_level) else {
        return Ok(Vec::new());
    };
    let classes: Vec<AbcClass> = AbcClass::ALL
        .into_iter()
        .filter(|k| {
            let cad = row.for_class(*k);
            cad.visit.is_scheduled() || cad.call.is_scheduled()
        })
        .collect();
    if classes.is_empty() {
        return Ok(Vec::new());
    }
    let mut wh = vec!["c.stage <> 'lost'".to_owned()];
    let mut a: Vec<Arg> = Vec::new();
    push_scope(Scope::of(user), "c", &mut wh, &mut a);
    if classes.len() < AbcClass::ALL.len() {
        let mut cond: Vec<String> = classes
            .iter()
            .map(|k| format!("cc.abc = '{}'", k.as_str()))
            .collect();
        if classes.contains(&AbcClass::C) {
            cond.push("cc.abc IS NULL".into());
        }
        wh.push(format!("({})", cond.join(" OR ")));
    }
    let rows: Vec<(i64, String, Option<String>)> = c
        .fetch_all(
            &format!(
                "SELECT c.id, c.name, cc.abc FROM customers c \
                 LEFT JOIN customer_classes cc ON cc.customer_id = c.id \
                 WHERE {} ORDER BY c.id",
                wh.join(" AND ")
            ),
            a,
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, abc)| PlanCustomer {
            id: CustomerId(id),
            name,
            class: abc.as_deref().and_then(AbcClass::parse),
        })
        .collect())
}

type SummaryRow = (
    i64,
    i64,
    String,
    String,
    NaiveDate,
    DateTime<Utc>,
    DateTime<Utc>,
    i64,
    i64,
    i64,
);

const SUMMARY_SQL: &str = "SELECT p.id, p.user_id, u.name, p.period, p.starts_on, p.created_at, \
     p.updated_at, \
     (SELECT COUNT(*) FROM visit_plan_entries e WHERE e.plan_id = p.id), \
     (SELECT CAST(COALESCE(SUM(e.visits), 0) AS BIGINT) FROM visit_plan_entries e WHERE e.plan_id = p.id), \
     (SELECT CAST(COALESCE(SUM(e.calls), 0) AS BIGINT) FROM visit_plan_entries e WHERE e.plan_id = p.id) \
     FROM visit_plans p JOIN users u ON u.id = p.user_id";

fn summary(r: SummaryRow) -> StoreResult<PlanSummary> {
    let period = PlanPeriod::parse(&r.3).ok_or_else(|| bad_row("period", &r.3))?;
    Ok(PlanSummary {
        id: r.0,
        user_id: UserId(r.1),
        user_name: r.2,
        period,
        starts_on: r.4,
        ends_on: crate::plans::last_day(period, r.4),
        created_at: r.5,
        updated_at: r.6,
        customers: r.7,
        visits: r.8,
        calls: r.9,
    })
}

pub(crate) async fn get_summary(c: &mut Conn<'_>, id: i64) -> StoreResult<PlanSummary> {
    let row: Option<SummaryRow> = c
        .fetch_optional(&format!("{SUMMARY_SQL} WHERE p.id = $1"), args![id])
        .await?;
    summary(row.ok_or_else(|| StoreError::not_found("visit plan", id))?)
}

pub(crate) async fn find(
    c: &mut Conn<'_>,
    user: UserId,
    period: PlanPeriod,
    starts_on: NaiveDate,
) -> StoreResult<Option<PlanSummary>> {
    let row: Option<SummaryRow> = c
        .fetch_optional(
            &format!("{SUMMARY_SQL} WHERE p.user_id = $1 AND p.period = $2 AND p.starts_on = $3"),
            args![user.0, period.as_str(), starts_on],
        )
        .await?;
    row.map(summary).transpose()
}

/// Plans, newest period first; `users` limits them to those users' (`None`: everyone's).
pub(crate) async fn list(
    c: &mut Conn<'_>,
    users: Option<&[UserId]>,
    period: Option<PlanPeriod>,
    starts_on: Option<NaiveDate>,
) -> StoreResult<Vec<PlanSummary>> {
    let mut wh: Vec<String> = Vec::new();
    let mut a: Vec<Arg> = Vec::new();
    if let Some(us) = users {
        if us.is_empty() {
            return Ok(Vec::new());
        }
        let mut ps = Vec::with_capacity(us.len());
        for u in us {
            a.push(u.0.into());
            ps.push(format!("${}", a.len()));
        }
        wh.push(format!("p.user_id IN ({})", ps.join(", ")));
    }
    if let Some(p) = period {
        a.push(p.as_str().into());
        wh.push(format!("p.period = ${}", a.len()));
    }
    if let Some(d) = starts_on {
        a.push(d.into());
        wh.push(format!("p.starts_on = ${}", a.len()));
    }
    let filter = if wh.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wh.join(" AND "))
    };
    let rows: Vec<SummaryRow> = c
        .fetch_all(
            &format!(
                "{SUMMARY_SQL}{filter} ORDER BY p.starts_on DESC, p.period, u.name, p.id LIMIT 500"
            ),
            a,
        )
        .await?;
    rows.into_iter().map(summary).collect()
}

/// A plan's entries (by class, unclassified last, then name) with their days.
pub(crate) async fn entries(c: &mut Conn<'_>, plan: i64) -> StoreResult<Vec<PlanEntry>> {
    let rows: Vec<(i64, String, Option<String>, i64, i64, String)> = c
        .fetch_all(
            "SELECT e.customer_id, c.name, e.class, e.visits, e.calls, e.source \
             FROM visit_plan_entries e JOIN customers c ON c.id = e.customer_id \
             WHERE e.plan_id = $1 \
             ORDER BY CASE WHEN e.class IS NULL THEN 'Z' ELSE e.class END, c.name, e.customer_id",
            args![plan],
        )
        .await?;
    let days: Vec<(i64, NaiveDate)> = c
        .fetch_all(
            "SELECT customer_id, day FROM visit_plan_days WHERE plan_id = $1 ORDER BY day",
            args![plan],
        )
        .await?;
    let mut by_customer: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (cid, d) in days {
        by_customer.entry(cid).or_default().push(d);
    }
    let count = |n: i64, what: &str| u32::try_from(n).map_err(|_| bad_row(what, n));
    rows.into_iter()
        .map(|(cid, name, class, visits, calls, source)| {
            Ok(PlanEntry {
                customer_id: CustomerId(cid),
                customer_name: name,
                class,
                visits: count(visits, "visits")?,
                calls: count(calls, "calls")?,
                days: by_customer.remove(&cid).unwrap_or_default(),
                source: EntrySource::parse(&source).ok_or_else(|| bad_row("source", &source))?,
            })
        })
        .collect()
}

pub(crate) async fn get(c: &mut Conn<'_>, id: i64) -> StoreResult<VisitPlan> {
    let summary = get_summary(c, id).await?;
    let entries = entries(c, id).await?;
    Ok(VisitPlan { summary, entries })
}

async fn insert_entries(c: &mut Conn<'_>, plan: i64, entries: &[PlanEntry]) -> StoreResult<()> {
    for chunk in entries.chunks(BATCH) {
        let mut a: Vec<Arg> = Vec::with_capacity(chunk.len() * 6);
        let mut values = Vec::with_capacity(chunk.len());
        for e in chunk {
            let k = a.len();
            values.push(format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                k + 1,
                k + 2,
                k + 3,
                k + 4,
                k + 5,
                k + 6
            ));
            a.push(plan.into());
            a.push(e.customer_id.0.into());
            a.push(e.class.clone().into());
            a.push(i64::from(e.visits).into());
            a.push(i64::from(e.calls).into());
            a.push(e.source.as_str().into());
        }
        c.execute(
            &format!(
                "INSERT INTO visit_plan_entries (plan_id, customer_id, class, visits, calls, source) \
                 VALUES {}",
                values.join(", ")
            ),
            a,
        )
        .await?;
    }
    let days: Vec<(i64, NaiveDate)> = entries
        .iter()
        .flat_map(|e| e.days.iter().map(move |d| (e.customer_id.0, *d)))
        .collect();
    insert_days(c, plan, &days).await
}

async fn insert_days(c: &mut Conn<'_>, plan: i64, days: &[(i64, NaiveDate)]) -> StoreResult<()> {
    for chunk in days.chunks(BATCH) {
        let mut a: Vec<Arg> = Vec::with_capacity(chunk.len() * 3);
        let mut values = Vec::with_capacity(chunk.len());
        for (cid, d) in chunk {
            let k = a.len();
            values.push(format!("(${}, ${}, ${})", k + 1, k + 2, k + 3));
            a.push(plan.into());
            a.push((*cid).into());
            a.push((*d).into());
        }
        c.execute(
            &format!(
                "INSERT INTO visit_plan_days (plan_id, customer_id, day) VALUES {} \
                 ON CONFLICT DO NOTHING",
                values.join(", ")
            ),
            a,
        )
        .await?;
    }
    Ok(())
}

/// Stores a built plan; an existing plan of the same user and period is a conflict unless
/// `replace` (then its entries are replaced and it keeps its id).
pub(crate) async fn save(
    c: &mut Conn<'_>,
    user: UserId,
    period: PlanPeriod,
    starts_on: NaiveDate,
    entries: &[PlanEntry],
    replace: bool,
) -> StoreResult<VisitPlan> {
    let now = super::now();
    let id = match find(c, user, period, starts_on).await? {
        Some(existing) if !replace => {
            return Err(StoreError::conflict(
                Some("starts_on"),
                format!(
                    "this user already has a {} plan starting {starts_on} (plan {}): edit it, or \
                     rebuild it from the policy with replace",
                    period.as_str(),
                    existing.id
                ),
            ));
        }
        Some(existing) => {
            c.execute(
                "DELETE FROM visit_plan_days WHERE plan_id = $1",
                args![existing.id],
            )
            .await?;
            c.execute(
                "DELETE FROM visit_plan_entries WHERE plan_id = $1",
                args![existing.id],
            )
            .await?;
            c.execute(
                "UPDATE visit_plans SET updated_at = $1 WHERE id = $2",
                args![now, existing.id],
            )
            .await?;
            existing.id
        }
        None => {
            c.scalar_i64(
                "INSERT INTO visit_plans (user_id, period, starts_on, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
                args![user.0, period.as_str(), starts_on, now],
            )
            .await?
        }
    };
    insert_entries(c, id, entries).await?;
    get(c, id).await
}

/// Applies validated edits (see [`crate::plans::edit`]).
pub(crate) async fn edit(c: &mut Conn<'_>, id: i64, edits: &[EntryEdit]) -> StoreResult<VisitPlan> {
    let summary = get_summary(c, id).await?;
    let owner = super::records::get_user(c, summary.user_id)
        .await?
        .ok_or_else(|| StoreError::not_found("user", summary.user_id.0))?;
    let scope = Scope::of(&owner);
    let current = entries(c, id).await?;
    for (i, e) in edits.iter().enumerate() {
        let old = current.iter().find(|x| x.customer_id == e.customer_id);
        if e.visits == 0 && e.calls == 0 {
            c.execute(
                "DELETE FROM visit_plan_days WHERE plan_id = $1 AND customer_id = $2",
                args![id, e.customer_id.0],
            )
            .await?;
            c.execute(
                "DELETE FROM visit_plan_entries WHERE plan_id = $1 AND customer_id = $2",
                args![id, e.customer_id.0],
            )
            .await?;
            continue;
        }
        let days: Vec<NaiveDate> = match (&e.days, old) {
            (Some(d), _) => {
                let mut d = d.clone();
                d.sort_unstable();
                d.dedup();
                d
            }
            (None, Some(o)) => o.days.iter().take(e.visits as usize).copied().collect(),
            (None, None) => Vec::new(),
        };
        match old {
            Some(o) => {
                let changed = o.visits != e.visits || o.calls != e.calls || o.days != days;
                let source = match o.source {
                    EntrySource::Policy if changed => EntrySource::Edited,
                    s => s,
                };
                c.execute(
                    "UPDATE visit_plan_entries SET visits = $1, calls = $2, source = $3 \
                     WHERE plan_id = $4 AND customer_id = $5",
                    args![
                        i64::from(e.visits),
                        i64::from(e.calls),
                        source.as_str(),
                        id,
                        e.customer_id.0
                    ],
                )
                .await?;
                c.execute(
                    "DELETE FROM visit_plan_days WHERE plan_id = $1 AND customer_id = $2",
                    args![id, e.customer_id.0],
                )
                .await?;
            }
            None => {
                if !super::customers::in_scope(c, e.customer_id, scope).await? {
                    return Err(StoreError::invalid(
                        &format!("entries[{i}].customer_id"),
                        "unknown_reference",
                        "there is no customer with this id in the plan owner's charge",
                    ));
                }
                let class: Option<(String,)> = c
                    .fetch_optional(
                        "SELECT abc FROM customer_classes WHERE customer_id = $1",
                        args![e.customer_id.0],
                    )
                    .await?;
                c.execute(
                    "INSERT INTO visit_plan_entries (plan_id, customer_id, class, visits, calls, \
                     source) VALUES ($1, $2, $3, $4, $5, $6)",
                    args![
                        id,
                        e.customer_id.0,
                        class.map(|k| k.0),
                        i64::from(e.visits),
                        i64::from(e.calls),
                        EntrySource::Added.as_str()
                    ],
                )
                .await?;
            }
        }
        let rows: Vec<(i64, NaiveDate)> = days.iter().map(|d| (e.customer_id.0, *d)).collect();
        insert_days(c, id, &rows).await?;
    }
    c.execute(
        "UPDATE visit_plans SET updated_at = $1 WHERE id = $2",
        args![super::now(), id],
    )
    .await?;
    get(c, id).await
}

/// `user`'s visits and calls per customer from day `from` up to (not including) day `to`, days
/// counted in the shop's time zone.
pub(crate) async fn done(
    c: &mut Conn<'_>,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
    settings: &ContactSettings,
) -> StoreResult<Vec<Done>> {
    let rows: Vec<(i64, String, i64)> = c
        .fetch_all(
            "SELECT customer_id, kind, COUNT(*) FROM interactions WHERE staff_id = $1 \
             AND kind IN ('visit','call') AND occurred_at >= $2 AND occurred_at < $3 \
             GROUP BY customer_id, kind",
            args![
                user.0,
                super::contact::day_start(settings, from),
                super::contact::day_start(settings, to)
            ],
        )
        .await?;
    let mut by: HashMap<i64, Done> = HashMap::new();
    for (cid, kind, n) in rows {
        let d = by.entry(cid).or_insert(Done {
            customer_id: CustomerId(cid),
            visits: 0,
            calls: 0,
        });
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if kind == "visit" {
            d.visits += n;
        } else {
            d.calls += n;
        }
    }
    let mut out: Vec<Done> = by.into_values().collect();
    out.sort_by_key(|d| d.customer_id.0);
    Ok(out)
}

/// The customers `user`'s plans have a visit planned for on `day`.
pub(crate) async fn planned_on(
    c: &mut Conn<'_>,
    user: UserId,
    day: NaiveDate,
) -> StoreResult<Vec<CustomerId>> {
    let rows: Vec<(i64,)> = c
        .fetch_all(
            "SELECT DISTINCT d.customer_id FROM visit_plan_days d \
             JOIN visit_plans p ON p.id = d.plan_id \
             JOIN customers c ON c.id = d.customer_id \
             WHERE p.user_id = $1 AND d.day = $2 AND c.stage <> 'lost' ORDER BY d.customer_id",
            args![user.0, day],
        )
        .await?;
    Ok(rows.into_iter().map(|r| CustomerId(r.0)).collect())
}

/// Names and coordinates (when known) of these customers, in the order given.
pub(crate) async fn places(c: &mut Conn<'_>, ids: &[CustomerId]) -> StoreResult<Vec<Place>> {
    let mut found: HashMap<i64, Place> = HashMap::new();
    for chunk in ids.chunks(BATCH * 2) {
        let mut a: Vec<Arg> = Vec::with_capacity(chunk.len());
        let mut ps = Vec::with_capacity(chunk.len());
        for id in chunk {
            a.push(id.0.into());
            ps.push(format!("${}", a.len()));
        }
        let rows: Vec<(i64, String, Option<f64>, Option<f64>)> = c
            .fetch_all(
                &format!(
                    "SELECT c.id, c.name, l.latitude, l.longitude FROM customers c \
                     LEFT JOIN customer_locations l ON l.customer_id = c.id \
                     WHERE c.id IN ({})",
                    ps.join(", ")
                ),
                a,
            )
            .await?;
        for (id, name, lat, lon) in rows {
            let location = match (lat, lon) {
                (Some(latitude), Some(longitude)) => Some(Point {
                    latitude,
                    longitude,
                }),
                _ => None,
            };
            found.insert(
                id,
                Place {
                    customer_id: CustomerId(id),
                    name,
                    location,
                },
            );
        }
    }
    Ok(ids.iter().filter_map(|id| found.remove(&id.0)).collect())
}
