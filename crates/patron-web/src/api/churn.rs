//! Churn over the API (METHOD §2.5): lost customers by reason next to the method's reference
//! shares, and the reason list (those who set rules add or reword reasons).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use patron_core::Permissions;
use patron_store::churn::{ChurnReasonInput, ChurnReport};

/// Lost customers the caller may see, by churn reason, with the method's reference shares.
#[utoipa::path(
    get,
    operation_id = "churn_report",
    path = "/api/v1/churn",
    tag = "churn",
    responses((status = 200, description = "The distribution", body = ChurnReport))
)]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ChurnReport>, ApiError> {
    Ok(Json(state.store.churn_report(caller.scope).await?))
}

/// Add the churn reason `code`, or reword it (the marketing director, general manager and
/// administrators).
#[utoipa::path(
    put,
    operation_id = "save_churn_reason",
    path = "/api/v1/churn/reasons/{code}",
    tag = "churn",
    params(("code" = String, Path, description = "Reason code: lowercase letters, digits, _")),
    request_body = ChurnReasonInput,
    responses((status = 200, description = "The distribution with the reason", body = ChurnReport))
)]
pub async fn save_reason(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<ChurnReasonInput>,
) -> Result<Json<ChurnReport>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    state.store.save_churn_reason(&code, input).await?;
    Ok(Json(state.store.churn_report(caller.scope).await?))
}
