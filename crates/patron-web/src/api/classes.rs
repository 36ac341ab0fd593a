//! Classification over the API (METHOD §2): a customer's classes and their history, staff's
//! loyalty override, running a classification, the dashboard counts, the movement between two
//! days, and the rules.
//!
//! Per-customer calls follow record-level access (404 outside the caller's scope). Runs, counts
//! and movement cover the whole archive, so they are for business managers and above; the rules
//! re-grade every customer, so changing them is for the marketing director, the general manager
//! and administrators.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use patron_core::classify::{ClassRules, Dimension, Loyalty};
use patron_core::{CustomerId, Permissions};
use patron_store::classes::{
    load_rules, run_classification, save_rules, ClassChange, ClassSummary, ClassifyReport,
    CustomerClasses, Movement,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The customer's current classes: ABC with the numbers behind it, loyalty (derived and in
/// force), RFM scores and segment. 404 until the customer has been classified.
#[utoipa::path(
    get,
    operation_id = "get_customer_classes",
    path = "/api/v1/customers/{id}/classes",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The classes", body = CustomerClasses))
)]
pub async fn customer_classes(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CustomerClasses>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    match state.store.customer_classes(id).await? {
        Some(c) => Ok(Json(c)),
        None => Err(patron_store::StoreError::not_found("customer classes", id.0).into()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassHistory {
    pub items: Vec<ClassChange>,
}

/// Every change of the customer's classes, newest first.
#[utoipa::path(
    get,
    operation_id = "get_customer_class_history",
    path = "/api/v1/customers/{id}/class-history",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The changes", body = ClassHistory))
)]
pub async fn class_history(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ClassHistory>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    Ok(Json(ClassHistory {
        items: state.store.class_history(id).await?,
    }))
}

/// Staff's judgement of a customer's loyalty, replacing the class the behaviour rules derive.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyOverride {
    pub loyalty: Loyalty,
    /// Why (required, at most 1000 characters).
    pub reason: String,
}

/// Overrides the customer's loyalty class with a reason; recorded in the class history as the
/// caller's. 409 (code `not_classified`) when the customer has not been classified yet.
#[utoipa::path(
    put,
    operation_id = "set_loyalty_override",
    path = "/api/v1/customers/{id}/loyalty-override",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = LoyaltyOverride,
    responses((status = 200, description = "The classes with the override", body = CustomerClasses))
)]
pub async fn set_loyalty_override(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(body): ApiJson<LoyaltyOverride>,
) -> Result<Json<CustomerClasses>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    state
        .store
        .set_loyalty_override(Some(caller.id()), id, Some((body.loyalty, &body.reason)))
        .await?;
    classes_after_override(&state, id).await
}

/// Removes staff's override: the derived loyalty class is in force again.
#[utoipa::path(
    delete,
    operation_id = "delete_loyalty_override",
    path = "/api/v1/customers/{id}/loyalty-override",
    tag = "classes",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The classes without the override", body = CustomerClasses))
)]
pub async fn delete_loyalty_override(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CustomerClasses>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    state
        .store
        .set_loyalty_override(Some(caller.id()), id, None)
        .await?;
    classes_after_override(&state, id).await
}

async fn classes_after_override(
    state: &AppState,
    id: CustomerId,
) -> Result<Json<CustomerClasses>, ApiError> {
    match state.store.customer_classes(id).await? {
        Some(c) => Ok(Json(c)),
        // The override is kept and applies from the first classification on.
        None => Err(patron_store::StoreError::conflict(
            None,
            "the override is kept, but the customer has not been classified yet: run a \
             classification",
        )
        .into()),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    /// Classify as of this day (default today). A day before the latest run only fills the
    /// class history.
    pub as_of: Option<NaiveDate>,
}

/// Runs a classification of every customer now (as the monthly schedule does) and returns the
/// counts per class and the number of changes. Business managers and above.
#[utoipa::path(
    post,
    operation_id = "classify",
    path = "/api/v1/classify",
    tag = "classes",
    request_body(content = ClassifyRequest, description = "`{}` classifies as of today"),
    responses((status = 200, description = "The run's report", body = ClassifyReport))
)]
pub async fn classify(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ClassifyRequest>,
) -> Result<Json<ClassifyReport>, ApiError> {
    super::require_archive_rights(&caller)?;
    let as_of = body.as_of;
    if let Some(d) = as_of {
        super::check_date("as_of", Some(d))?;
    }
    Ok(Json(run_classification(state.store.as_ref(), as_of).await?))
}

/// The current classes counted: customers and revenue per ABC class, per loyalty class, per RFM
/// segment, and buyers per cell of the RFM grid. Business managers and above.
#[utoipa::path(
    get,
    operation_id = "class_summary",
    path = "/api/v1/classes/summary",
    tag = "classes",
    responses((status = 200, description = "The counts", body = ClassSummary))
)]
pub async fn summary(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ClassSummary>, ApiError> {
    super::require_archive_rights(&caller)?;
    Ok(Json(state.store.class_summary().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovementParams {
    /// abc (default), loyalty or rfm.
    pub dimension: Option<Dimension>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementReport {
    pub dimension: Dimension,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Customers per (class on `from`, class on `to`); `from` is null for customers not yet
    /// classified on the first day.
    pub movement: Vec<Movement>,
}

/// The class movement matrix between two days. Business managers and above.
#[utoipa::path(
    get,
    operation_id = "class_movement",
    path = "/api/v1/classes/movement",
    tag = "classes",
    params(MovementParams),
    responses((status = 200, description = "The movement", body = MovementReport))
)]
pub async fn movement(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<MovementParams>,
) -> Result<Json<MovementReport>, ApiError> {
    super::require_archive_rights(&caller)?;
    super::check_date("from", Some(p.from))?;
    super::check_date("to", Some(p.to))?;
    if p.from > p.to {
        return Err(patron_store::StoreError::invalid(
            "from",
            "out_of_range",
            "the first day is after the second",
        )
        .into());
    }
    let dimension = p.dimension.unwrap_or(Dimension::Abc);
    let movement = state.store.class_movement(dimension, p.from, p.to).await?;
    Ok(Json(MovementReport {
        dimension,
        from: p.from,
        to: p.to,
        movement,
    }))
}

/// The classification rules in force (the method's defaults until changed).
#[utoipa::path(
    get,
    operation_id = "get_class_rules",
    path = "/api/v1/classes/rules",
    tag = "classes",
    responses((status = 200, description = "The rules", body = ClassRules))
)]
pub async fn rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ClassRules>, ApiError> {
    super::require_archive_rights(&caller)?;
    Ok(Json(load_rules(state.store.as_ref()).await?))
}

/// Replaces the classification rules (validated; the next run uses them). Marketing director,
/// general manager and administrators.
#[utoipa::path(
    put,
    operation_id = "set_class_rules",
    path = "/api/v1/classes/rules",
    tag = "classes",
    request_body = ClassRules,
    responses((status = 200, description = "The rules as stored", body = ClassRules))
)]
pub async fn set_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(rules): ApiJson<ClassRules>,
) -> Result<(StatusCode, Json<ClassRules>), ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    save_rules(state.store.as_ref(), &rules).await?;
    Ok((StatusCode::OK, Json(rules)))
}
