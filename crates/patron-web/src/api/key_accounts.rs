//! Key-account development plans over the API (METHOD §3.4): the key accounts in the caller's
//! scope (plans and A-class customers without one), a plan with its goals, projects and actions,
//! and recording a review. Record-level access: a plan (and its projects and actions) of a
//! customer outside the caller's scope is "not found".

use super::{check_customer_ref, check_date, created};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use patron_core::{CustomerId, UserId};
use patron_store::key_accounts::{
    AccountPlan, ActionInput, KeyAccountList, PlanAction, PlanInput, PlanProject, ProjectInput,
};
use patron_store::StoreError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyAccountParams {
    /// Only this customer's plan (or its place among the key accounts without one).
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
}

/// The two ids of a plan's project or action (`/api/v1/account-plans/{id}/projects/{item_id}`);
/// a malformed one is a 400 naming it.
pub struct PlanItemPath {
    pub plan: i64,
    pub item: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for PlanItemPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((plan, item)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::param("id", "invalid_id", "must be an integer"))?;
        let plan = plan
            .parse()
            .map_err(|_| ApiError::param("id", "invalid_id", "must be an integer"))?;
        let item = item
            .parse()
            .map_err(|_| ApiError::param("item_id", "invalid_id", "must be an integer"))?;
        Ok(PlanItemPath { plan, item })
    }
}

/// The plan if its customer is inside the caller's scope.
async fn load(state: &AppState, caller: &Caller, id: i64) -> Result<AccountPlan, ApiError> {
    let p = state.store.account_plan(id).await?;
    let cid = p.customer_id;
    super::scoped(caller, state.store.as_ref(), p, cid, "key-account plan", id).await
}

fn location(id: i64) -> String {
    format!("/api/v1/account-plans/{id}")
}

fn check_plan_dates(p: &PlanInput) -> Result<(), ApiError> {
    check_date("next_review_on", p.next_review_on)
}

fn check_action_dates(a: &ActionInput) -> Result<(), ApiError> {
    check_date("due_on", a.due_on)?;
    check_date("review_on", a.review_on)?;
    check_date("done_on", a.done_on)
}

/// The key accounts in the caller's scope: every development plan (overdue reviews first, then
/// by next review) and the A-class customers without a plan, biggest first.
#[utoipa::path(
    get,
    operation_id = "list_account_plans",
    path = "/api/v1/account-plans",
    tag = "key-accounts",
    params(KeyAccountParams),
    responses((status = 200, description = "Plans and key accounts without one", body = KeyAccountList))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<KeyAccountParams>,
) -> Result<Json<KeyAccountList>, ApiError> {
    Ok(Json(
        state
            .store
            .key_accounts(caller.scope, p.customer_id)
            .await?,
    ))
}

/// A new plan: the customer and the plan's goals, owner and review cycle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanCreate {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    /// Default: the customer's relationship manager, else its owner. An active user in charge
    /// of the customer.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    #[serde(default)]
    pub short_term_goals: Option<String>,
    #[serde(default)]
    pub medium_term_goals: Option<String>,
    #[serde(default)]
    pub long_term_goals: Option<String>,
    /// 1–24 (default 3).
    #[serde(default)]
    pub review_every_months: Option<u32>,
    /// Default: one cycle from today; not before today.
    #[serde(default)]
    pub next_review_on: Option<NaiveDate>,
}

/// Creates a customer's development plan (one per customer: a second is a 409 on
/// `customer_id`). At least one goal is required.
#[utoipa::path(
    post,
    operation_id = "create_account_plan",
    path = "/api/v1/account-plans",
    tag = "key-accounts",
    request_body = PlanCreate,
    responses(
        (status = 201, description = "The plan", body = AccountPlan,
         headers(("Location" = String, description = "URL of the plan")))
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PlanCreate>,
) -> Result<Response, ApiError> {
    check_customer_ref(&caller, state.store.as_ref(), b.customer_id).await?;
    let input = PlanInput {
        owner_id: b.owner_id,
        short_term_goals: b.short_term_goals,
        medium_term_goals: b.medium_term_goals,
        long_term_goals: b.long_term_goals,
        review_every_months: b.review_every_months,
        next_review_on: b.next_review_on,
    };
    check_plan_dates(&input)?;
    let plan = super::must_exist(
        state
            .store
            .create_account_plan(Some(caller.id()), b.customer_id, input)
            .await,
        "customer_id",
        "customer",
    )?;
    Ok(created(location(plan.id), plan))
}

/// One plan with its projects (ours strong, competitors', ours weak) and actions.
#[utoipa::path(
    get,
    operation_id = "get_account_plan",
    path = "/api/v1/account-plans/{id}",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = AccountPlan))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<AccountPlan>, ApiError> {
    Ok(Json(load(&state, &caller, id).await?))
}

/// Replaces the plan's goals; an absent `owner_id`, `review_every_months` or `next_review_on`
/// keeps the current one (an overdue date kept as it is stays valid; a changed one may not be before
/// today).
#[utoipa::path(
    put,
    operation_id = "update_account_plan",
    path = "/api/v1/account-plans/{id}",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = PlanInput,
    responses((status = 200, description = "The plan", body = AccountPlan))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<Json<AccountPlan>, ApiError> {
    load(&state, &caller, id).await?;
    check_plan_dates(&input)?;
    Ok(Json(
        state
            .store
            .update_account_plan(Some(caller.id()), id, input)
            .await?,
    ))
}

/// Deletes the plan with its projects and actions.
#[utoipa::path(
    delete,
    operation_id = "delete_account_plan",
    path = "/api/v1/account-plans/{id}",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    load(&state, &caller, id).await?;
    state.store.delete_account_plan(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A review of the plan.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewedInput {
    /// The day it was held (default today; not after today).
    #[serde(default)]
    pub reviewed_on: Option<NaiveDate>,
    /// The next review (default: one cycle after this one).
    #[serde(default)]
    pub next_review_on: Option<NaiveDate>,
}

/// Records that the plan was reviewed (send `{}` for "today, next one a cycle later"); the
/// review's agenda item goes, the next review's comes in time.
#[utoipa::path(
    post,
    operation_id = "review_account_plan",
    path = "/api/v1/account-plans/{id}/reviewed",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = ReviewedInput,
    responses((status = 200, description = "The plan", body = AccountPlan))
)]
pub async fn reviewed(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(b): ApiJson<ReviewedInput>,
) -> Result<Json<AccountPlan>, ApiError> {
    load(&state, &caller, id).await?;
    check_date("reviewed_on", b.reviewed_on)?;
    check_date("next_review_on", b.next_review_on)?;
    Ok(Json(
        state
            .store
            .account_plan_reviewed(Some(caller.id()), id, b.reviewed_on, b.next_review_on)
            .await?,
    ))
}

/// A project of the plan in the path, else "not found".
async fn project_of(
    state: &AppState,
    caller: &Caller,
    p: &PlanItemPath,
) -> Result<PlanProject, ApiError> {
    load(state, caller, p.plan).await?;
    match state.store.plan_project(p.item).await {
        Ok(j) if j.plan_id == p.plan => Ok(j),
        Ok(_) => Err(StoreError::not_found("plan project", p.item).into()),
        Err(e) => Err(e.into()),
    }
}

/// An action of the plan in the path, else "not found".
async fn action_of(
    state: &AppState,
    caller: &Caller,
    p: &PlanItemPath,
) -> Result<PlanAction, ApiError> {
    load(state, caller, p.plan).await?;
    match state.store.plan_action(p.item).await {
        Ok(a) if a.plan_id == p.plan => Ok(a),
        Ok(_) => Err(StoreError::not_found("plan action", p.item).into()),
        Err(e) => Err(e.into()),
    }
}

/// Adds a project: ours strong (win it), a competitor's (work harder) or ours weak (don't give
/// up).
#[utoipa::path(
    post,
    operation_id = "create_plan_project",
    path = "/api/v1/account-plans/{id}/projects",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = ProjectInput,
    responses(
        (status = 201, description = "The project", body = PlanProject,
         headers(("Location" = String, description = "URL of the plan")))
    )
)]
pub async fn add_project(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<Response, ApiError> {
    load(&state, &caller, id).await?;
    let p = state
        .store
        .add_plan_project(Some(caller.id()), id, input)
        .await?;
    Ok(created(location(id), p))
}

/// Replaces a project.
#[utoipa::path(
    put,
    operation_id = "update_plan_project",
    path = "/api/v1/account-plans/{id}/projects/{item_id}",
    tag = "key-accounts",
    params(
        ("id" = i64, Path, description = "Plan id"),
        ("item_id" = i64, Path, description = "Project id")
    ),
    request_body = ProjectInput,
    responses((status = 200, description = "The project", body = PlanProject))
)]
pub async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    path: PlanItemPath,
    ApiJson(input): ApiJson<ProjectInput>,
) -> Result<Json<PlanProject>, ApiError> {
    project_of(&state, &caller, &path).await?;
    Ok(Json(
        state
            .store
            .update_plan_project(Some(caller.id()), path.item, input)
            .await?,
    ))
}

/// Deletes a project.
#[utoipa::path(
    delete,
    operation_id = "delete_plan_project",
    path = "/api/v1/account-plans/{id}/projects/{item_id}",
    tag = "key-accounts",
    params(
        ("id" = i64, Path, description = "Plan id"),
        ("item_id" = i64, Path, description = "Project id")
    ),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    path: PlanItemPath,
) -> Result<StatusCode, ApiError> {
    project_of(&state, &caller, &path).await?;
    state
        .store
        .delete_plan_project(Some(caller.id()), path.item)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds an action (owner default: the plan's owner). While it is open, its review date puts it
/// on the owner's agenda.
#[utoipa::path(
    post,
    operation_id = "create_plan_action",
    path = "/api/v1/account-plans/{id}/actions",
    tag = "key-accounts",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = ActionInput,
    responses(
        (status = 201, description = "The action", body = PlanAction,
         headers(("Location" = String, description = "URL of the plan")))
    )
)]
pub async fn add_action(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ActionInput>,
) -> Result<Response, ApiError> {
    load(&state, &caller, id).await?;
    check_action_dates(&input)?;
    let a = state
        .store
        .add_plan_action(Some(caller.id()), id, input)
        .await?;
    Ok(created(location(id), a))
}

/// Replaces an action (an absent owner keeps the current one).
#[utoipa::path(
    put,
    operation_id = "update_plan_action",
    path = "/api/v1/account-plans/{id}/actions/{item_id}",
    tag = "key-accounts",
    params(
        ("id" = i64, Path, description = "Plan id"),
        ("item_id" = i64, Path, description = "Action id")
    ),
    request_body = ActionInput,
    responses((status = 200, description = "The action", body = PlanAction))
)]
pub async fn update_action(
    State(state): State<AppState>,
    caller: Caller,
    path: PlanItemPath,
    ApiJson(input): ApiJson<ActionInput>,
) -> Result<Json<PlanAction>, ApiError> {
    action_of(&state, &caller, &path).await?;
    check_action_dates(&input)?;
    Ok(Json(
        state
            .store
            .update_plan_action(Some(caller.id()), path.item, input)
            .await?,
    ))
}

/// Deletes an action.
#[utoipa::path(
    delete,
    operation_id = "delete_plan_action",
    path = "/api/v1/account-plans/{id}/actions/{item_id}",
    tag = "key-accounts",
    params(
        ("id" = i64, Path, description = "Plan id"),
        ("item_id" = i64, Path, description = "Action id")
    ),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_action(
    State(state): State<AppState>,
    caller: Caller,
    path: PlanItemPath,
) -> Result<StatusCode, ApiError> {
    action_of(&state, &caller, &path).await?;
    state
        .store
        .delete_plan_action(Some(caller.id()), path.item)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
