//! Complaints over the API (METHOD §4): record, list (the board's order: waiting for a first
//! reply, most overdue first), and walk a complaint through its steps, status, compensation and
//! promise. Complaints of customers outside the caller's scope are not found. The complaint
//! settings (reply hours, compensation limits) are read by everyone and changed by those who set
//! archive-wide rules.

use super::{check_limit, created};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use patron_core::complaint::{Cause, ComplaintSettings, Status};
use patron_core::{CustomerId, InteractionKind, Permissions, UserId};
use patron_store::complaints::{
    CompensationInput, Complaint, ComplaintChange, ComplaintCounts, ComplaintDetail,
    ComplaintInput, ComplaintQuery, PromiseInput, StatusInput, StepInput,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintListParams {
    pub status: Option<Status>,
    pub cause: Option<Cause>,
    /// Only those this user handles.
    #[param(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    /// Only those still waiting for a first reply past its due instant.
    pub overdue: Option<bool>,
    /// Only those not closed.
    pub open: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The list's envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintList {
    pub items: Vec<Complaint>,
    pub counts: ComplaintCounts,
}

/// Complaints the caller may see: waiting for a first reply first (most overdue on top), then
/// open before closed, newest first; with the counts the board's tabs show.
#[utoipa::path(
    get,
    operation_id = "list_complaints",
    path = "/api/v1/complaints",
    tag = "complaints",
    params(ComplaintListParams),
    responses((status = 200, description = "The complaints", body = ComplaintList))
)]
pub async fn list_complaints(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ComplaintListParams>,
) -> Result<Json<ComplaintList>, ApiError> {
    let now = state.config.clock.now();
    let q = ComplaintQuery {
        scope: caller.scope,
        status: p.status,
        cause: p.cause,
        owner_id: p.owner_id,
        customer_id: p.customer_id,
        overdue: p.overdue.unwrap_or(false),
        open: p.open.unwrap_or(false),
        limit: check_limit(p.limit)?,
        as_of: Some(now),
    };
    let items = state.store.list_complaints(&q).await?;
    let counts = state.store.count_complaints(caller.scope, now).await?;
    Ok(Json(ComplaintList { items, counts }))
}

/// Record a complaint: its handler (default the customer's relationship manager, else its
/// owner) gets a `complaint_reply` item on their agenda, due when the reply hours run out.
#[utoipa::path(
    post,
    operation_id = "create_complaint",
    path = "/api/v1/complaints",
    tag = "complaints",
    request_body = ComplaintInput,
    responses((status = 201, description = "The complaint", body = ComplaintDetail,
        headers(("Location" = String, description = "URL of the new complaint"))))
)]
pub async fn create_complaint(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ComplaintInput>,
) -> Result<Response, ApiError> {
    let now = state.config.clock.now();
    let c = state
        .store
        .create_complaint(Some(caller.id()), caller.scope, input, now)
        .await?;
    Ok(created(format!("/api/v1/complaints/{}", c.complaint.id), c))
}

/// One complaint with its six steps, compensation and history.
#[utoipa::path(
    get,
    operation_id = "get_complaint",
    path = "/api/v1/complaints/{id}",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn get_complaint(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state.store.get_complaint(caller.scope, id, now).await?,
    ))
}

/// Change the root cause, the handler or the details (a closed complaint: 409).
#[utoipa::path(
    patch,
    operation_id = "change_complaint",
    path = "/api/v1/complaints/{id}",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = ComplaintChange,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn change_complaint(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ComplaintChange>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .change_complaint(Some(caller.id()), caller.scope, id, input, now)
            .await?,
    ))
}

/// Move the status forward: open → acknowledged → investigating → resolved → followed_up →
/// closed. Backwards, out of closed, or without the steps the status needs is a 409 naming why.
#[utoipa::path(
    post,
    operation_id = "move_complaint",
    path = "/api/v1/complaints/{id}/status",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = StatusInput,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn move_complaint(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<StatusInput>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .move_complaint(Some(caller.id()), caller.scope, id, input, now)
            .await?,
    ))
}

/// Tick one of the six steps as the caller's (with a note).
#[utoipa::path(
    post,
    operation_id = "complaint_step",
    path = "/api/v1/complaints/{id}/steps",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = StepInput,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn complaint_step(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<StepInput>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .complaint_step(Some(caller.id()), caller.scope, id, input, now)
            .await?,
    ))
}

/// Record compensation approved by the caller; above the caller's limit it is a 422 on
/// `amount` (code `above_limit`) naming the limit.
#[utoipa::path(
    post,
    operation_id = "compensate_complaint",
    path = "/api/v1/complaints/{id}/compensations",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = CompensationInput,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn compensate_complaint(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CompensationInput>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .compensate_complaint(Some(caller.id()), caller.scope, id, input, now)
            .await?,
    ))
}

/// Record the promise made to the customer, or whether it was kept.
#[utoipa::path(
    put,
    operation_id = "complaint_promise",
    path = "/api/v1/complaints/{id}/promise",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = PromiseInput,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn complaint_promise(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PromiseInput>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .complaint_promise(Some(caller.id()), caller.scope, id, input, now)
            .await?,
    ))
}

/// A reply to the customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintReplyInput {
    pub text: String,
    /// How it was given (default `call`).
    #[serde(default)]
    pub kind: Option<InteractionKind>,
}

/// Reply to the customer: logged as an interaction and recorded as the first reply (which ends
/// the agenda items and the overdue flag).
#[utoipa::path(
    post,
    operation_id = "reply_complaint",
    path = "/api/v1/complaints/{id}/reply",
    tag = "complaints",
    params(("id" = i64, Path, description = "Complaint id")),
    request_body = ComplaintReplyInput,
    responses((status = 200, description = "The complaint", body = ComplaintDetail))
)]
pub async fn reply_complaint(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ComplaintReplyInput>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let now = state.config.clock.now();
    Ok(Json(
        state
            .store
            .reply_complaint(caller.id(), caller.scope, id, &input.text, input.kind, now)
            .await?,
    ))
}

/// The complaint settings: reply hours and compensation limits per staff level.
#[utoipa::path(
    get,
    operation_id = "get_complaint_settings",
    path = "/api/v1/complaints/settings",
    tag = "complaints",
    responses((status = 200, description = "The settings", body = ComplaintSettings))
)]
pub async fn get_settings(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ComplaintSettings>, ApiError> {
    Ok(Json(
        patron_store::complaints::load_settings(state.store.as_ref()).await?,
    ))
}

/// Replace the complaint settings (the marketing director, general manager, administrators).
#[utoipa::path(
    put,
    operation_id = "put_complaint_settings",
    path = "/api/v1/complaints/settings",
    tag = "complaints",
    request_body = ComplaintSettings,
    responses((status = 200, description = "The settings", body = ComplaintSettings))
)]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ComplaintSettings>,
) -> Result<Json<ComplaintSettings>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    patron_store::complaints::save_settings(state.store.as_ref(), &input).await?;
    Ok(Json(input))
}
