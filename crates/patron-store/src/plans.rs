//! Visit plans and the day's route (METHOD §3.1): each person's year, quarter and month plans
//! built from the visit and call policy ([`patron_core::contact::plan`]) and edited by hand,
//! planned against done, customers' coordinates, and the day's visits in a short order
//! ([`patron_core::contact::route`]).
//!
//! This module puts the rules and the store's facts together so the CLI, the JSON API and the
//! web pages build, show and route the same way; access rules (who may see whose plan) are the
//! callers'.

use crate::contact::{load_policy, load_settings, today};
use crate::{Store, StoreError, StoreResult};
use chrono::{DateTime, Days, NaiveDate, Utc};
use patron_core::contact::plan::{self, EntryEdit, PlanEntry, PlanPeriod};
use patron_core::contact::route::{self, Place, Point, Route};
use patron_core::contact::{ItemKind, ProgressRow, ProgressTotals};
use patron_core::{CustomerId, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A customer's coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerLocation {
    pub customer_id: CustomerId,
    pub latitude: f64,
    pub longitude: f64,
    pub updated_at: DateTime<Utc>,
}

impl CustomerLocation {
    pub fn point(&self) -> Point {
        Point {
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

/// A plan without its entries (lists), with its size.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
// Named apart from the key-account plans' `PlanSummary` in the API document.
#[schema(as = VisitPlanSummary)]
pub struct PlanSummary {
    pub id: i64,
    pub user_id: UserId,
    pub user_name: String,
    pub period: PlanPeriod,
    /// The period's first day.
    pub starts_on: NaiveDate,
    /// The period's last day.
    pub ends_on: NaiveDate,
    /// Customers with an entry.
    pub customers: i64,
    pub visits: i64,
    pub calls: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A plan with its entries (by class, then customer name).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VisitPlan {
    #[serde(flatten)]
    pub summary: PlanSummary,
    pub entries: Vec<PlanEntry>,
}

/// A plan against what was done in its period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanProgress {
    pub plan: PlanSummary,
    /// Whether the period is over, running or still ahead (`past`, `current`, `future`).
    pub state: String,
    pub rows: Vec<ProgressRow>,
    pub totals: ProgressTotals,
}

/// Where a route starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartFrom {
    /// The user's stored start location.
    Setting,
    /// A location given with the request.
    Given,
    /// No start location: the route starts at its first stop.
    FirstStop,
}

/// One user's visits on one day in a short order.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DayRoute {
    pub user_id: UserId,
    pub user_name: String,
    pub date: NaiveDate,
    pub start_from: StartFrom,
    #[serde(flatten)]
    pub route: Route,
}

/// The settings key of a user's route start location.
fn start_key(user: UserId) -> String {
    format!("plans.route_start.{}", user.0)
}

/// A user's stored route start location.
pub async fn route_start(store: &dyn Store, user: UserId) -> StoreResult<Option<Point>> {
    match store.get_setting(&start_key(user)).await? {
        None => Ok(None),
        Some(t) if t.trim().is_empty() => Ok(None),
        Some(t) => serde_json::from_str::<Point>(&t)
            .map(Some)
            .map_err(|e| StoreError::other("the stored route start is not a point", e)),
    }
}

/// Stores (or with `None` clears) a user's route start location, checked like a customer's.
pub async fn set_route_start(
    store: &dyn Store,
    user: UserId,
    at: Option<(f64, f64)>,
) -> StoreResult<Option<Point>> {
    let p = at
        .map(|(lat, lon)| Point::new(lat, lon))
        .transpose()
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let text = match &p {
        Some(p) => serde_json::to_string(p).map_err(|e| StoreError::other("a point to JSON", e))?,
        None => String::new(),
    };
    store.set_setting(&start_key(user), &text).await?;
    Ok(p)
}

/// Validates a latitude and longitude; the error names the field.
pub fn check_point(latitude: f64, longitude: f64) -> StoreResult<Point> {
    Point::new(latitude, longitude).map_err(|e| StoreError::Invalid(e.into()))
}

/// Builds `user`'s plan for the period starting on `starts_on` from the visit and call policy
/// and the customers now in their charge (with their current classes). An existing plan for the
/// same period is a conflict unless `replace`, which rebuilds it (hand edits are lost).
pub async fn build(
    store: &dyn Store,
    user: &User,
    period: PlanPeriod,
    starts_on: NaiveDate,
    replace: bool,
) -> StoreResult<VisitPlan> {
    period
        .check_start(starts_on)
        .map_err(|e| StoreError::Invalid(e.into()))?;
    let policy = load_policy(store).await?;
    let customers = store.plan_customers(user, &policy).await?;
    let entries = plan::build(&policy, user.staff_level, period, starts_on, &customers);
    store
        .save_visit_plan(user.id, period, starts_on, &entries, replace)
        .await
}

/// Edits a plan's entries (see [`EntryEdit`]); customers added must be in the plan owner's
/// charge.
pub async fn edit(store: &dyn Store, plan_id: i64, edits: &[EntryEdit]) -> StoreResult<VisitPlan> {
    let current = store.get_visit_plan(plan_id).await?;
    let s = &current.summary;
    let mut seen = std::collections::HashSet::new();
    for (i, e) in edits.iter().enumerate() {
        plan::validate_edit(e, i, s.period, s.starts_on)
            .map_err(|e| StoreError::Invalid(e.into()))?;
        if !seen.insert(e.customer_id) {
            return Err(StoreError::invalid(
                &format!("entries[{i}].customer_id"),
                "duplicate",
                "each customer at most once per edit",
            ));
        }
    }
    store.edit_visit_plan(plan_id, edits).await
}

/// A plan against the visits and calls its user logged in its period (days in the shop's time
/// zone).
pub async fn progress(store: &dyn Store, plan_id: i64) -> StoreResult<PlanProgress> {
    let p = store.get_visit_plan(plan_id).await?;
    let settings = load_settings(store).await?;
    let s = &p.summary;
    let end = s.period.end(s.starts_on);
    let done = store
        .contacts_done(s.user_id, s.starts_on, end, &settings)
        .await?;
    let (rows, totals) = plan::progress(&p.entries, &done);
    let now = today(&settings);
    let state = if now >= end {
        "past"
    } else if now >= s.starts_on {
        "current"
    } else {
        "future"
    };
    Ok(PlanProgress {
        plan: p.summary,
        state: state.to_owned(),
        rows,
        totals,
    })
}

/// `user`'s route on `date` (default today in the shop's time zone): the visits the agenda has
/// due that day or overdue, then the visits planned for that day, in a short order from `start`
/// (else the user's stored start, else the first located customer).
pub async fn day_route(
    store: &dyn Store,
    user: &User,
    date: Option<NaiveDate>,
    start: Option<Point>,
) -> StoreResult<DayRoute> {
    let settings = load_settings(store).await?;
    let date = date.unwrap_or_else(|| today(&settings));
    let agenda = crate::contact::agenda(store, user, Some(date)).await?;
    let mut ids: Vec<CustomerId> = Vec::new();
    // Overdue first, then today's: the most urgent are routed first when a day is too full.
    for section in ["overdue", "today"] {
        for item in &agenda.items {
            if item.kind == ItemKind::Visit
                && item.section == section
                && !ids.contains(&item.customer_id)
            {
                ids.push(item.customer_id);
            }
        }
    }
    for id in store.planned_visits_on(user.id, date).await? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let places: Vec<Place> = store.route_places(&ids).await?;
    let (start, start_from) = match start {
        Some(p) => (Some(p), StartFrom::Given),
        None => match route_start(store, user.id).await? {
            Some(p) => (Some(p), StartFrom::Setting),
            None => (None, StartFrom::FirstStop),
        },
    };
    Ok(DayRoute {
        user_id: user.id,
        user_name: user.name.clone(),
        date,
        start_from,
        route: route::plan(start, &places),
    })
}

/// The first day of the period of `period` that contains today (shop's time zone).
pub async fn current_start(store: &dyn Store, period: PlanPeriod) -> StoreResult<NaiveDate> {
    let settings = load_settings(store).await?;
    Ok(period.start_of(today(&settings)))
}

/// The last day of a period starting on `start`.
pub fn last_day(period: PlanPeriod, start: NaiveDate) -> NaiveDate {
    period
        .end(start)
        .checked_sub_days(Days::new(1))
        .unwrap_or(start)
}
