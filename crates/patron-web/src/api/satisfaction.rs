//! Satisfaction ratings over the API (METHOD §2.3): a customer's latest product and service
//! scores with its loyalty-matrix quadrant, and recording a new rating. Record-level access
//! (404 outside the caller's scope).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, PathId};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use patron_core::classify::Aspect;
use patron_core::CustomerId;
use patron_store::satisfaction::CustomerSatisfaction;
use serde::Deserialize;
use utoipa::ToSchema;

/// A customer's latest rating of each aspect and its quadrant (`unknown` until both are rated).
#[utoipa::path(
    get,
    operation_id = "get_customer_satisfaction",
    path = "/api/v1/customers/{id}/satisfaction",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The latest ratings and the quadrant", body = CustomerSatisfaction))
)]
pub async fn customer_satisfaction(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CustomerSatisfaction>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    Ok(Json(state.store.customer_satisfaction(id).await?))
}

/// One satisfaction rating.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    pub aspect: Aspect,
    /// 1 (very dissatisfied) to 5 (very satisfied); 3 and above count as satisfied.
    #[schema(minimum = 1, maximum = 5)]
    pub score: i64,
    /// At most 1000 characters.
    #[serde(default)]
    pub note: Option<String>,
    /// The day of the rating (default today; not after today).
    #[serde(default)]
    pub rated_on: Option<NaiveDate>,
}

/// Records a rating of the customer's product or service satisfaction as the caller's; answers
/// with the customer's latest ratings and quadrant.
#[utoipa::path(
    post,
    operation_id = "create_satisfaction_rating",
    path = "/api/v1/customers/{id}/satisfaction",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = RatingInput,
    responses(
        (status = 201, description = "The latest ratings and the quadrant", body = CustomerSatisfaction,
         headers(("Location" = String, description = "URL of the customer's satisfaction")))
    )
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<RatingInput>,
) -> Result<Response, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    super::check_date("rated_on", input.rated_on)?;
    let score = u8::try_from(input.score)
        .map_err(|_| ApiError::invalid("score", "out_of_range", "a score runs from 1 to 5"))?;
    state
        .store
        .record_satisfaction(
            Some(caller.id()),
            id,
            input.aspect,
            score,
            input.note,
            input.rated_on,
        )
        .await?;
    let now = state.store.customer_satisfaction(id).await?;
    Ok(super::created(
        format!("/api/v1/customers/{id}/satisfaction"),
        now,
    ))
}
