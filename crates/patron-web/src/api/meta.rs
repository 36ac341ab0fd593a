//! Read-only lists that forms and clients need (staff, churn reasons, custom fields), and the
//! health check.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use patron_core::{ChurnReason, CustomFieldDef, User};

/// The members of staff (owners of customers, authors of interactions).
#[utoipa::path(
    get,
    operation_id = "list_users",
    path = "/api/v1/users",
    tag = "meta",
    responses((status = 200, description = "All users", body = Vec<User>))
)]
pub async fn users(State(state): State<AppState>) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(state.store.list_users().await?))
}

/// The churn reasons a lost customer can be given.
#[utoipa::path(
    get,
    operation_id = "list_churn_reasons",
    path = "/api/v1/churn-reasons",
    tag = "meta",
    responses((status = 200, description = "All churn reasons", body = Vec<ChurnReason>))
)]
pub async fn churn_reasons(
    State(state): State<AppState>,
) -> Result<Json<Vec<ChurnReason>>, ApiError> {
    Ok(Json(state.store.list_churn_reasons().await?))
}

/// The custom fields defined on customers.
#[utoipa::path(
    get,
    operation_id = "list_custom_fields",
    path = "/api/v1/custom-fields",
    tag = "meta",
    responses((status = 200, description = "All custom field definitions", body = Vec<CustomFieldDef>))
)]
pub async fn custom_fields(
    State(state): State<AppState>,
) -> Result<Json<Vec<CustomFieldDef>>, ApiError> {
    Ok(Json(state.store.list_custom_fields().await?))
}

/// Defines a custom field on customers, or redefines the field with the same key (its label,
/// type and choices). Values already stored are kept; they are checked against the new type the
/// next time the customer is saved.
#[utoipa::path(
    post,
    operation_id = "define_custom_field",
    path = "/api/v1/custom-fields",
    tag = "meta",
    request_body = CustomFieldDef,
    responses((status = 200, description = "The field as defined", body = CustomFieldDef))
)]
pub async fn define_custom_field(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(def): ApiJson<CustomFieldDef>,
) -> Result<Json<CustomFieldDef>, ApiError> {
    super::require_archive_rights(&caller)?;
    Ok(Json(state.store.define_custom_field(def).await?))
}

/// Liveness for load balancers: answers without touching the database, so a slow database does
/// not get every server taken out of rotation at once.
#[utoipa::path(
    get,
    operation_id = "healthz",
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "The server is up", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness for load balancers and orchestrators: 200 once the database answers, 503 while it
/// does not (the process is alive but cannot serve; `/healthz` stays 200).
#[utoipa::path(
    get,
    operation_id = "readyz",
    path = "/readyz",
    tag = "meta",
    responses(
        (status = 200, description = "The database answers", body = String, content_type = "text/plain"),
        (status = 503, description = "The database does not answer", body = String, content_type = "text/plain")
    )
)]
pub async fn readyz(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> (axum::http::StatusCode, &'static str) {
    match tokio::time::timeout(std::time::Duration::from_secs(5), state.store.ping()).await {
        Ok(Ok(())) => (axum::http::StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: the database does not answer");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
        }
        Err(_) => {
            tracing::warn!("readiness check: the database did not answer within 5 s");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
        }
    }
}
