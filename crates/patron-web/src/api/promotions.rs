//! `/api/v1/promotions` (METHOD §7): promotions run with customers (typically dealers) — their
//! cost lines and expectation, their participants and attitude, and the evaluation of expected
//! against actual effect from the participants' orders.
//!
//! Access: everyone sees the promotions their customers take part in (and those they created),
//! with only the participants inside their scope; business managers and above create, change and
//! delete promotions and their participant lists ([`may_manage`], 403 for others); a
//! representative records the attitude of their own customers. A promotion or participant
//! outside the caller's sight is 404.

use super::{check_currency, check_date, check_date_param, created};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{NaiveDate, Utc};
use patron_core::promotion::{
    Baseline, Evaluation, ParticipantChange, ParticipantInput, PromotionInput, PromotionStatus,
};
use patron_core::CustomerId;
use patron_store::promotions::{may_manage, Participant, Promotion, PromotionDetail};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// 403 unless the caller may manage promotions.
fn require_manager(caller: &Caller) -> Result<(), ApiError> {
    if may_manage(&caller.user) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The `{id}` and `{customer_id}` of a participant's path; anything but integers is a 400
/// naming the segment.
#[derive(Debug, Clone, Copy)]
pub struct ParticipantPath {
    pub id: i64,
    pub customer: CustomerId,
}

impl<S: Send + Sync> FromRequestParts<S> for ParticipantPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let bad = |p: &str| ApiError::param(p, "invalid_id", "must be an integer");
        let Path((id, customer)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad("id"))?;
        let id = id.parse::<i64>().map_err(|_| bad("id"))?;
        let customer = customer.parse::<i64>().map_err(|_| bad("customer_id"))?;
        Ok(ParticipantPath {
            id,
            customer: CustomerId(customer),
        })
    }
}

/// Checks the body's dates and currency at the boundary (the rest is the domain's validation).
fn checked(mut input: PromotionInput) -> Result<PromotionInput, ApiError> {
    check_date("starts_on", Some(input.starts_on))?;
    check_date("ends_on", Some(input.ends_on))?;
    input.currency = check_currency("currency", &input.currency)?;
    Ok(input)
}

/// Query parameters of the promotion list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PromotionListParams {
    /// Only promotions of this status.
    pub status: Option<PromotionStatus>,
}

/// The promotions the caller can see.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionList {
    pub items: Vec<Promotion>,
}

/// The promotions the caller sees (those their customers take part in, those they created;
/// everything for directors and above), latest start first, each with its expectation.
#[utoipa::path(
    get,
    operation_id = "list_promotions",
    path = "/api/v1/promotions",
    tag = "promotions",
    params(PromotionListParams),
    responses((status = 200, description = "The promotions", body = PromotionList))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PromotionListParams>,
) -> Result<Json<PromotionList>, ApiError> {
    let items = state.store.list_promotions(caller.scope, p.status).await?;
    Ok(Json(PromotionList { items }))
}

/// Creates a promotion (business managers and above). Currency and gross margin default from
/// the settings; `running` or `done` need a participant, so a new promotion starts `planned`.
#[utoipa::path(
    post,
    operation_id = "create_promotion",
    path = "/api/v1/promotions",
    tag = "promotions",
    request_body = PromotionInput,
    responses(
        (status = 201, description = "The promotion", body = PromotionDetail,
         headers(("Location" = String, description = "URL of the promotion"))),
        (status = 403, description = "Only business managers and above create promotions")
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<PromotionInput>,
) -> Result<Response, ApiError> {
    require_manager(&caller)?;
    let d = state
        .store
        .create_promotion(Some(caller.id()), checked(input)?)
        .await?;
    Ok(created(format!("/api/v1/promotions/{}", d.promotion.id), d))
}

/// One promotion: terms, cost lines, expectation and the participants the caller sees.
#[utoipa::path(
    get,
    operation_id = "get_promotion",
    path = "/api/v1/promotions/{id}",
    tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id")),
    responses((status = 200, description = "The promotion", body = PromotionDetail))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<PromotionDetail>, ApiError> {
    Ok(Json(state.store.get_promotion(id, caller.scope).await?))
}

/// Replaces a promotion's terms and cost lines (business managers and above). Starting it
/// (`running`) or closing it (`done`) needs a participant who did not refuse.
#[utoipa::path(
    put,
    operation_id = "update_promotion",
    path = "/api/v1/promotions/{id}",
    tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id")),
    request_body = PromotionInput,
    responses(
        (status = 200, description = "The promotion", body = PromotionDetail),
        (status = 403, description = "Only business managers and above change promotions")
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PromotionInput>,
) -> Result<Json<PromotionDetail>, ApiError> {
    require_manager(&caller)?;
    Ok(Json(
        state
            .store
            .update_promotion(id, caller.scope, checked(input)?)
            .await?,
    ))
}

/// Deletes a promotion with its cost lines and participants (business managers and above).
#[utoipa::path(
    delete,
    operation_id = "delete_promotion",
    path = "/api/v1/promotions/{id}",
    tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Only business managers and above delete promotions")
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    require_manager(&caller)?;
    state.store.delete_promotion(id, caller.scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a customer to the promotion (business managers and above; the customer must be inside
/// the caller's scope, else 422 naming `customer_id`; a customer already taking part is 409).
#[utoipa::path(
    post,
    operation_id = "add_promotion_participant",
    path = "/api/v1/promotions/{id}/participants",
    tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id")),
    request_body = ParticipantInput,
    responses(
        (status = 201, description = "The participant", body = Participant,
         headers(("Location" = String, description = "URL of the participant"))),
        (status = 403, description = "Only business managers and above add participants")
    )
)]
pub async fn add_participant(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ParticipantInput>,
) -> Result<Response, ApiError> {
    require_manager(&caller)?;
    let p = state
        .store
        .add_promotion_participant(Some(caller.id()), id, caller.scope, input)
        .await?;
    Ok(created(
        format!("/api/v1/promotions/{id}/participants/{}", p.customer_id),
        p,
    ))
}

/// Records a participant's attitude to the promotion and their notes (anyone who sees the
/// customer: the representative who talked to the dealer).
#[utoipa::path(
    patch,
    operation_id = "change_promotion_participant",
    path = "/api/v1/promotions/{id}/participants/{customer_id}",
    tag = "promotions",
    params(
        ("id" = i64, Path, description = "Promotion id"),
        ("customer_id" = i64, Path, description = "The participating customer's id")
    ),
    request_body = ParticipantChange,
    responses((status = 200, description = "The participant", body = Participant))
)]
pub async fn change_participant(
    State(state): State<AppState>,
    caller: Caller,
    path: ParticipantPath,
    ApiJson(change): ApiJson<ParticipantChange>,
) -> Result<Json<Participant>, ApiError> {
    Ok(Json(
        state
            .store
            .change_promotion_participant(path.id, path.customer, caller.scope, change)
            .await?,
    ))
}

/// Removes a customer from the promotion (business managers and above).
#[utoipa::path(
    delete,
    operation_id = "remove_promotion_participant",
    path = "/api/v1/promotions/{id}/participants/{customer_id}",
    tag = "promotions",
    params(
        ("id" = i64, Path, description = "Promotion id"),
        ("customer_id" = i64, Path, description = "The participating customer's id")
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Only business managers and above remove participants")
    )
)]
pub async fn remove_participant(
    State(state): State<AppState>,
    caller: Caller,
    path: ParticipantPath,
) -> Result<StatusCode, ApiError> {
    require_manager(&caller)?;
    state
        .store
        .remove_promotion_participant(path.id, path.customer, caller.scope)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query parameters of the evaluation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EvaluationParams {
    /// What the promotion's days are compared with (default: the promotion's own choice).
    pub baseline: Option<Baseline>,
    /// The day of the evaluation (default today, UTC); while the promotion runs, its days so
    /// far are compared with as many baseline days.
    pub as_of: Option<NaiveDate>,
}

/// Expected against actual: the expectation from the terms, and the participants' orders in
/// the promotion's currency during its days against the baseline — per participant and in
/// total (participants who refused are shown, not counted).
#[utoipa::path(
    get,
    operation_id = "evaluate_promotion",
    path = "/api/v1/promotions/{id}/evaluation",
    tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id"), EvaluationParams),
    responses((status = 200, description = "Expected against actual", body = Evaluation))
)]
pub async fn evaluation(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<EvaluationParams>,
) -> Result<Json<Evaluation>, ApiError> {
    let as_of = check_date_param("as_of", p.as_of)?.unwrap_or_else(|| Utc::now().date_naive());
    Ok(Json(
        state
            .store
            .evaluate_promotion(id, caller.scope, p.baseline, as_of)
            .await?,
    ))
}
