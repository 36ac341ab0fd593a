//! After-sales service over the API (METHOD §6): deliveries and installations promised to
//! customers (usually for an order), "customer notified", done, late with the reason and the
//! newly agreed time (the old promise kept in `changes`), cancelled, and the satisfaction call
//! after the job. Open jobs and the calls are on the assigned person's agenda
//! (`/api/v1/agenda`, kinds `delivery`, `installation`, `after_sales_call`).
//!
//! Record-level access: a job whose customer lies outside the caller's scope is not found (404),
//! and a `customer_id` outside it in a body is unknown (422), as for every customer record.

use super::{check_date, check_date_param, created};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use patron_core::{CustomerId, UserId};
use patron_store::after_sales::{
    self, ServiceJob, ServiceJobAction, ServiceJobInput, ServiceJobQuery, ServiceKind,
    ServiceStatus, MAX_LIST,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query parameters of the job list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceJobParams {
    /// Only this customer's jobs.
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    /// Only the jobs of this order.
    pub order_id: Option<i64>,
    /// `planned`, `late`, `done`, `cancelled`, or `open` (planned and late).
    pub status: Option<String>,
    pub kind: Option<ServiceKind>,
    /// Only the jobs assigned to this user.
    #[param(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
    /// Promised on or after this day.
    pub from: Option<NaiveDate>,
    /// Promised on or before this day.
    pub to: Option<NaiveDate>,
    /// Latest promise first (default: earliest first).
    pub newest_first: Option<bool>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Jobs, in promised order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceJobList {
    pub items: Vec<ServiceJob>,
}

fn location(id: i64) -> String {
    format!("/api/v1/service-jobs/{id}")
}

/// Lists deliveries and installations of customers in the caller's scope.
#[utoipa::path(
    get,
    operation_id = "list_service_jobs",
    path = "/api/v1/service-jobs",
    tag = "after-sales",
    params(ServiceJobParams),
    responses((status = 200, description = "The jobs", body = ServiceJobList))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ServiceJobParams>,
) -> Result<Json<ServiceJobList>, ApiError> {
    let statuses = match p.status.as_deref() {
        None => Vec::new(),
        Some(s) => ServiceStatus::filter(s).ok_or_else(|| {
            ApiError::param(
                "status",
                "invalid",
                "one of planned, late, done, cancelled, open",
            )
        })?,
    };
    let limit = match p.limit {
        Some(n) if n == 0 || n > MAX_LIST => {
            return Err(ApiError::param(
                "limit",
                "out_of_range",
                format!("from 1 to {MAX_LIST}"),
            ))
        }
        other => other,
    };
    let q = ServiceJobQuery {
        scope: caller.scope,
        customer_id: p.customer_id,
        order_id: p.order_id,
        statuses,
        kind: p.kind,
        assigned_to: p.assigned_to,
        from: check_date_param("from", p.from)?,
        to: check_date_param("to", p.to)?,
        newest_first: p.newest_first.unwrap_or(false),
        limit,
    };
    Ok(Json(ServiceJobList {
        items: state.store.list_service_jobs(&q).await?,
    }))
}

/// Records a delivery or installation as the caller's (status `planned`). The person assigned
/// defaults to the customer's owner; whoever it is must be able to see the customer.
#[utoipa::path(
    post,
    operation_id = "create_service_job",
    path = "/api/v1/service-jobs",
    tag = "after-sales",
    request_body = ServiceJobInput,
    responses((
        status = 201,
        description = "The recorded job",
        body = ServiceJob,
        headers(("Location" = String, description = "URL of the new job"))
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ServiceJobInput>,
) -> Result<Response, ApiError> {
    check_date("promised_on", Some(input.promised_on))?;
    super::check_customer_ref(&caller, state.store.as_ref(), input.customer_id).await?;
    let j = state
        .store
        .create_service_job(Some(caller.id()), caller.scope, input)
        .await?;
    Ok(created(location(j.id), j))
}

/// One job with its history of promises.
#[utoipa::path(
    get,
    operation_id = "get_service_job",
    path = "/api/v1/service-jobs/{id}",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ServiceJob>, ApiError> {
    Ok(Json(state.store.get_service_job(caller.scope, id).await?))
}

/// Changes some fields of a job (JSON merge patch, RFC 7396). A new day or window is kept in the
/// history (`moved`) and must be told to the customer again; a missed promise is reported with
/// `/late` instead, which needs the reason.
#[utoipa::path(
    patch,
    operation_id = "patch_service_job",
    path = "/api/v1/service-jobs/{id}",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    request_body(
        content = super::openapi::ServiceJobPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses((status = 200, description = "The updated job", body = ServiceJob))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    patch: MergePatch,
) -> Result<Json<ServiceJob>, ApiError> {
    let cur = state.store.get_service_job(caller.scope, id).await?;
    let input = patch.apply(&ServiceJobInput::from(&cur))?;
    check_date("promised_on", Some(input.promised_on))?;
    Ok(Json(
        state
            .store
            .update_service_job(Some(caller.id()), caller.scope, id, input)
            .await?,
    ))
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: ServiceJobAction,
) -> Result<Json<ServiceJob>, ApiError> {
    Ok(Json(
        after_sales::act(
            state.store.as_ref(),
            Some(caller.id()),
            caller.scope,
            id,
            action,
        )
        .await?,
    ))
}

/// Records that the customer was told before the job (METHOD §6: tell the customer before
/// delivering). An open job only.
#[utoipa::path(
    post,
    operation_id = "notify_service_job",
    path = "/api/v1/service-jobs/{id}/notified",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn notified(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ServiceJob>, ApiError> {
    act(&state, &caller, id, ServiceJobAction::Notified).await
}

/// The day a job was done.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneInput {
    /// Default today (in the shop's time zone); not after today.
    #[serde(default)]
    pub done_on: Option<NaiveDate>,
}

/// Marks an open job done; its after-sales call comes due on the assigned person's agenda.
#[utoipa::path(
    post,
    operation_id = "complete_service_job",
    path = "/api/v1/service-jobs/{id}/done",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    request_body = DoneInput,
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn done(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DoneInput>,
) -> Result<Json<ServiceJob>, ApiError> {
    check_date("done_on", input.done_on)?;
    let action = ServiceJobAction::Done {
        done_on: input.done_on,
    };
    act(&state, &caller, id, action).await
}

/// A missed promise: why, and the newly agreed time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LateInput {
    /// Why the promise was not kept (what the customer was told); required.
    pub reason: String,
    /// The newly agreed day: today or later.
    pub promised_on: NaiveDate,
    /// The newly agreed window, `HH:MM` (with `window_to`, or neither).
    #[serde(default)]
    pub window_from: Option<String>,
    #[serde(default)]
    pub window_to: Option<String>,
}

/// Marks an open job late with the reason and the newly agreed day and window: the new time
/// becomes the promise, the old one is kept in `changes` with the reason and who changed it.
#[utoipa::path(
    post,
    operation_id = "delay_service_job",
    path = "/api/v1/service-jobs/{id}/late",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    request_body = LateInput,
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn late(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<LateInput>,
) -> Result<Json<ServiceJob>, ApiError> {
    check_date("promised_on", Some(input.promised_on))?;
    let action = ServiceJobAction::Late {
        reason: input.reason,
        promised_on: input.promised_on,
        window_from: input.window_from,
        window_to: input.window_to,
    };
    act(&state, &caller, id, action).await
}

/// Why a job is called off (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Cancels an open job (it leaves the agenda).
#[utoipa::path(
    post,
    operation_id = "cancel_service_job",
    path = "/api/v1/service-jobs/{id}/cancel",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    request_body = CancelInput,
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<Json<ServiceJob>, ApiError> {
    act(
        &state,
        &caller,
        id,
        ServiceJobAction::Cancel {
            reason: input.reason,
        },
    )
    .await
}

/// How the satisfaction call went.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterSalesCallInput {
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Records the satisfaction call after a done job: logged as the caller's call on the
/// customer's timeline and linked to the job (it leaves the agenda).
#[utoipa::path(
    post,
    operation_id = "record_after_sales_call",
    path = "/api/v1/service-jobs/{id}/after-sales-call",
    tag = "after-sales",
    params(("id" = i64, Path, description = "Service job id")),
    request_body = AfterSalesCallInput,
    responses((status = 200, description = "The job", body = ServiceJob))
)]
pub async fn after_sales_call(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<AfterSalesCallInput>,
) -> Result<Json<ServiceJob>, ApiError> {
    let action = ServiceJobAction::AfterSalesCall {
        outcome: input.outcome,
        notes: input.notes,
    };
    act(&state, &caller, id, action).await
}
