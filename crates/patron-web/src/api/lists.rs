//! `/api/v1/lists/{name}`: the method's value lists (METHOD §2.4; see `patron_store::lists`),
//! restricted to the customers the caller may see.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use patron_store::lists::{ListName, ValueList};

/// One value list: its columns (key and kind: money in minor units of `currency`, percent as a
/// fraction, class codes) and one row per customer with the values behind the listing; `note`
/// says why a list is empty when it waits for something (a classification, model scores).
#[utoipa::path(
    get,
    operation_id = "get_value_list",
    path = "/api/v1/lists/{name}",
    tag = "classes",
    params(("name" = ListName, Path, description = "gold, drag, targets, complaining, slipping, narrow or credit")),
    responses((status = 200, description = "The list", body = ValueList))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<ValueList>, ApiError> {
    let Some(name) = ListName::parse(&name) else {
        return Err(patron_store::StoreError::not_found("list", name).into());
    };
    Ok(Json(state.store.value_list(name, caller.scope).await?))
}
