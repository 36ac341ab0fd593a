//! Visit plans and the day's route over the API (METHOD §3.1): customers' coordinates, year,
//! quarter and month plans built from the policy and edited, planned against done, and a
//! user's visits of a day in a short order.
//!
//! Whose plans a caller may see and change follows the agenda's rule: their own; a business
//! manager also their team's; the marketing director, the general manager and administrators
//! anyone's. Another's plan outside that reads as "not found". Coordinates follow the
//! customer's record-level access.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::contact::{EntryEdit, PlanPeriod, Point};
use patron_core::{CustomerId, Scope, User, UserId};
use patron_store::plans::{self, DayRoute, PlanProgress, PlanSummary, VisitPlan};
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whether `caller` may see and plan for `other` (see the module's rule).
pub(crate) async fn may_plan_for(
    state: &AppState,
    caller: &Caller,
    other: UserId,
) -> Result<bool, ApiError> {
    if other == caller.id() {
        return Ok(true);
    }
    Ok(match caller.scope {
        Scope::All => true,
        Scope::Own(_) => false,
        Scope::Team(me) => state.store.team_of(me).await?.iter().any(|u| u.id == other),
    })
}

/// The users whose plans `caller` may see (`None`: everyone's).
pub(crate) async fn plannable_users(
    state: &AppState,
    caller: &Caller,
) -> Result<Option<Vec<User>>, ApiError> {
    Ok(match caller.scope {
        Scope::All => None,
        Scope::Own(_) => Some(vec![caller.user.clone()]),
        Scope::Team(me) => {
            let mut v = vec![caller.user.clone()];
            v.extend(state.store.team_of(me).await?);
            Some(v)
        }
    })
}

/// The user a request names (`None`: the caller), when the caller may plan for them.
pub(crate) async fn planned_user(
    state: &AppState,
    caller: &Caller,
    id: Option<i64>,
) -> Result<User, ApiError> {
    match id {
        None => Ok(caller.user.clone()),
        Some(id) => {
            let id = UserId(id);
            if !may_plan_for(state, caller, id).await? {
                return Err(StoreError::not_found("user", id.0).into());
            }
            Ok(state.store.get_user(id).await?)
        }
    }
}

/// A plan the caller may see.
async fn visible_plan(state: &AppState, caller: &Caller, id: i64) -> Result<VisitPlan, ApiError> {
    let p = state.store.get_visit_plan(id).await?;
    if !may_plan_for(state, caller, p.summary.user_id).await? {
        return Err(StoreError::not_found("visit plan", id).into());
    }
    Ok(p)
}

/// A customer's coordinates (`located: false` and nulls when none are set).
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub customer_id: CustomerId,
    pub located: bool,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub updated_at: Option<DateTime<Utc>>,
}

fn location_view(id: CustomerId, l: Option<plans::CustomerLocation>) -> LocationView {
    LocationView {
        customer_id: id,
        located: l.is_some(),
        latitude: l.as_ref().map(|l| l.latitude),
        longitude: l.as_ref().map(|l| l.longitude),
        updated_at: l.map(|l| l.updated_at),
    }
}

/// A customer's coordinates.
#[utoipa::path(
    get,
    operation_id = "get_customer_location",
    path = "/api/v1/customers/{id}/location",
    tag = "plans",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The coordinates, if set", body = LocationView))
)]
pub async fn get_location(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<LocationView>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let l = state.store.customer_location(id).await?;
    Ok(Json(location_view(id, l)))
}

/// Coordinates in degrees (WGS 84).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// −90 to 90 (north positive).
    pub latitude: f64,
    /// −180 to 180 (east positive).
    pub longitude: f64,
}

/// Sets a customer's coordinates (recorded in the customer's history as the caller's change).
#[utoipa::path(
    put,
    operation_id = "set_customer_location",
    path = "/api/v1/customers/{id}/location",
    tag = "plans",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = LocationInput,
    responses((status = 200, description = "The coordinates as stored", body = LocationView))
)]
pub async fn set_location(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<LocationInput>,
) -> Result<Json<LocationView>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let p = plans::check_point(input.latitude, input.longitude)?;
    let l = state
        .store
        .set_customer_location(Some(caller.id()), id, Some(p))
        .await?;
    Ok(Json(location_view(id, l)))
}

/// Removes a customer's coordinates.
#[utoipa::path(
    delete,
    operation_id = "delete_customer_location",
    path = "/api/v1/customers/{id}/location",
    tag = "plans",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "No coordinates any more", body = LocationView))
)]
pub async fn delete_location(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<LocationView>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let l = state
        .store
        .set_customer_location(Some(caller.id()), id, None)
        .await?;
    Ok(Json(location_view(id, l)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlansParams {
    /// Only this user's plans (default: every plan the caller may see).
    pub user_id: Option<i64>,
    /// `year`, `quarter` or `month`.
    pub period: Option<PlanPeriod>,
    /// Only plans of the period starting on this day.
    pub starts_on: Option<NaiveDate>,
}

/// Plans without their entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanList {
    pub plans: Vec<PlanSummary>,
}

/// The plans the caller may see, newest period first (at most 500).
#[utoipa::path(
    get,
    operation_id = "list_visit_plans",
    path = "/api/v1/plans",
    tag = "plans",
    params(PlansParams),
    responses((status = 200, description = "The plans", body = PlanList))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PlansParams>,
) -> Result<Json<PlanList>, ApiError> {
    let starts_on = super::check_date_param("starts_on", p.starts_on)?;
    let users: Option<Vec<UserId>> = match p.user_id {
        Some(id) => Some(vec![planned_user(&state, &caller, Some(id)).await?.id]),
        None => plannable_users(&state, &caller)
            .await?
            .map(|v| v.iter().map(|u| u.id).collect()),
    };
    let plans = state
        .store
        .list_visit_plans(users.as_deref(), p.period, starts_on)
        .await?;
    Ok(Json(PlanList { plans }))
}

/// What to build.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildInput {
    /// Whose plan (default: the caller's).
    #[serde(default)]
    pub user_id: Option<i64>,
    pub period: PlanPeriod,
    /// The period's first day (1 January for a year; 1 January, April, July or October for a
    /// quarter; the 1st for a month).
    pub starts_on: NaiveDate,
    /// Rebuild an existing plan from the policy (its hand edits are lost); without it an
    /// existing plan is a 409.
    #[serde(default)]
    pub replace: bool,
}

/// Builds a plan from the visit and call policy for the customers now in the user's charge:
/// per customer, the visits and calls the policy asks for in the period (rare visits spread
/// over the periods by a steady pulse; month plans also get suggested visit days).
#[utoipa::path(
    post,
    operation_id = "build_visit_plan",
    path = "/api/v1/plans",
    tag = "plans",
    request_body = BuildInput,
    responses(
        (status = 201, description = "The plan", body = VisitPlan,
         headers(("Location" = String, description = "URL of the plan")))
    )
)]
pub async fn build(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<BuildInput>,
) -> Result<Response, ApiError> {
    super::check_date("starts_on", Some(input.starts_on))?;
    let user = match planned_user(&state, &caller, input.user_id).await {
        Err(ApiError::Store(StoreError::NotFound { .. })) => {
            return Err(ApiError::invalid(
                "user_id",
                "unknown_reference",
                "there is no user with this id whose plans you may make",
            ))
        }
        other => other?,
    };
    let p = plans::build(
        state.store.as_ref(),
        &user,
        input.period,
        input.starts_on,
        input.replace,
    )
    .await?;
    Ok(super::created(format!("/api/v1/plans/{}", p.summary.id), p))
}

/// A plan with its entries.
#[utoipa::path(
    get,
    operation_id = "get_visit_plan",
    path = "/api/v1/plans/{id}",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = VisitPlan))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<VisitPlan>, ApiError> {
    Ok(Json(visible_plan(&state, &caller, id).await?))
}

/// Changes to a plan's entries.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    /// Per customer: the new numbers (0 visits and 0 calls removes the customer), and the
    /// visit days when given. Customers not listed keep their entries; a customer not yet in
    /// the plan is added (it must be in the plan owner's charge).
    pub entries: Vec<EntryEdit>,
}

/// Edits a plan's entries.
#[utoipa::path(
    put,
    operation_id = "edit_visit_plan",
    path = "/api/v1/plans/{id}",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = EditInput,
    responses((status = 200, description = "The plan as edited", body = VisitPlan))
)]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<EditInput>,
) -> Result<Json<VisitPlan>, ApiError> {
    visible_plan(&state, &caller, id).await?;
    for (i, e) in input.entries.iter().enumerate() {
        for d in e.days.iter().flatten() {
            super::check_date(&format!("entries[{i}].days"), Some(*d))?;
        }
    }
    Ok(Json(
        plans::edit(state.store.as_ref(), id, &input.entries).await?,
    ))
}

/// Planned against done: per customer, the visits and calls planned and those the plan's user
/// logged in the period, with the share kept.
#[utoipa::path(
    get,
    operation_id = "get_visit_plan_progress",
    path = "/api/v1/plans/{id}/progress",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "Planned against done", body = PlanProgress))
)]
pub async fn progress(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<PlanProgress>, ApiError> {
    visible_plan(&state, &caller, id).await?;
    Ok(Json(plans::progress(state.store.as_ref(), id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RouteParams {
    /// The day (default: today in the shop's time zone).
    pub date: Option<NaiveDate>,
    /// Whose route (default: the caller's; others' as for plans).
    pub user_id: Option<i64>,
    /// Start here instead of the user's start location (with `start_lon`).
    pub start_lat: Option<f64>,
    pub start_lon: Option<f64>,
}

/// A user's visits of a day — due or overdue on the agenda, and planned for the day — in a
/// short order: nearest neighbour from the start, improved by 2-opt, with each leg's and the
/// running distance in km. Customers without coordinates are listed in `not_located`.
#[utoipa::path(
    get,
    operation_id = "get_day_route",
    path = "/api/v1/route",
    tag = "plans",
    params(RouteParams),
    responses((status = 200, description = "The route", body = DayRoute))
)]
pub async fn route(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<RouteParams>,
) -> Result<Json<DayRoute>, ApiError> {
    let date = super::check_date_param("date", p.date)?;
    let start = match (p.start_lat, p.start_lon) {
        (None, None) => None,
        (Some(lat), Some(lon)) => Some(Point::new(lat, lon).map_err(|e| {
            let field = if e.field == "latitude" {
                "start_lat"
            } else {
                "start_lon"
            };
            ApiError::param(field, &e.code, e.message)
        })?),
        (Some(_), None) => {
            return Err(ApiError::param(
                "start_lon",
                "required",
                "give start_lat and start_lon together",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::param(
                "start_lat",
                "required",
                "give start_lat and start_lon together",
            ))
        }
    };
    let user = planned_user(&state, &caller, p.user_id).await?;
    Ok(Json(
        plans::day_route(state.store.as_ref(), &user, date, start).await?,
    ))
}

/// The caller's route start location.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteStart {
    /// `null` (with `longitude`) clears it: routes then start at their first stop.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// Sets (or with nulls clears) where the caller's routes start (an office, a home).
#[utoipa::path(
    put,
    operation_id = "set_route_start",
    path = "/api/v1/route/start",
    tag = "plans",
    request_body = RouteStart,
    responses((status = 200, description = "The start as stored", body = RouteStart))
)]
pub async fn set_start(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RouteStart>,
) -> Result<Json<RouteStart>, ApiError> {
    let at = match (input.latitude, input.longitude) {
        (None, None) => None,
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (Some(_), None) => {
            return Err(ApiError::invalid(
                "longitude",
                "required",
                "give latitude and longitude together",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::invalid(
                "latitude",
                "required",
                "give latitude and longitude together",
            ))
        }
    };
    let p = plans::set_route_start(state.store.as_ref(), caller.id(), at).await?;
    Ok(Json(RouteStart {
        latitude: p.map(|p| p.latitude),
        longitude: p.map(|p| p.longitude),
    }))
}
