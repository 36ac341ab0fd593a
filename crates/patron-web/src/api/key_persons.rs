//! Key persons (关键人员): the contacts of an organisation, created under their customer
//! (`/api/v1/customers/{id}/key-persons`) and addressed on their own (`/api/v1/key-persons/{id}`).

use super::{check_date, check_limit, created, listed};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use patron_core::{CustomerId, KeyPerson, KeyPersonId, KeyPersonInput, Page};
use patron_store::KeyPersonQuery;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of the key-person list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KeyPersonListParams {
    /// Only the key persons of this customer.
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Paging parameters of a customer's key persons (the customer is in the path).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Date ranges the domain validation does not check (see [`check_date`]).
fn check_dates(input: &KeyPersonInput) -> Result<(), ApiError> {
    check_date("birthday", input.birthday)?;
    check_date("wedding_anniversary", input.wedding_anniversary)
}

/// A key person whose customer the caller may see.
async fn load(state: &AppState, caller: &Caller, id: KeyPersonId) -> Result<KeyPerson, ApiError> {
    let k = state.store.get_key_person(id).await?;
    let cid = k.customer_id;
    super::scoped(caller, state.store.as_ref(), k, cid, "key person", id.0).await
}

fn location(id: KeyPersonId) -> String {
    format!("/api/v1/key-persons/{id}")
}

/// List key persons, optionally of one customer.
#[utoipa::path(
    get,
    operation_id = "list_key_persons",
    path = "/api/v1/key-persons",
    tag = "key-persons",
    params(KeyPersonListParams),
    responses((status = 200, description = "A page of key persons", body = Page<KeyPerson>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<KeyPersonListParams>,
) -> Result<Json<Page<KeyPerson>>, ApiError> {
    let q = KeyPersonQuery {
        customer_id: p.customer_id,
        cursor: p.cursor,
        limit: check_limit(p.limit)?,
        scope: caller.scope,
    };
    Ok(Json(listed(state.store.list_key_persons(&q).await)?))
}

/// The key persons of one customer.
#[utoipa::path(
    get,
    operation_id = "list_customer_key_persons",
    path = "/api/v1/customers/{id}/key-persons",
    tag = "key-persons",
    params(("id" = i64, Path, description = "Customer id"), PageParams),
    responses((status = 200, description = "A page of key persons", body = Page<KeyPerson>))
)]
pub async fn list_for_customer(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<Page<KeyPerson>>, ApiError> {
    let customer = CustomerId(id);
    let limit = check_limit(p.limit)?;
    // An empty list would hide a wrong customer id; say 404 instead.
    caller
        .require_customer(state.store.as_ref(), customer)
        .await?;
    let q = KeyPersonQuery {
        customer_id: Some(customer),
        cursor: p.cursor,
        limit,
        scope: caller.scope,
    };
    Ok(Json(listed(state.store.list_key_persons(&q).await)?))
}

/// Add a key person to a customer.
#[utoipa::path(
    post,
    operation_id = "create_key_person",
    path = "/api/v1/customers/{id}/key-persons",
    tag = "key-persons",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = KeyPersonInput,
    responses((
        status = 201,
        description = "The created key person",
        body = KeyPerson,
        headers(("Location" = String, description = "URL of the new key person"))
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<KeyPersonInput>,
) -> Result<Response, ApiError> {
    let customer = CustomerId(id);
    check_dates(&input)?;
    caller
        .require_customer(state.store.as_ref(), customer)
        .await?;
    let k = state
        .store
        .create_key_person_by(Some(caller.id()), customer, input)
        .await?;
    Ok(created(location(k.id), k))
}

/// One key person.
#[utoipa::path(
    get,
    operation_id = "get_key_person",
    path = "/api/v1/key-persons/{id}",
    tag = "key-persons",
    params(("id" = i64, Path, description = "Key person id")),
    responses((status = 200, description = "The key person", body = KeyPerson))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<KeyPerson>, ApiError> {
    Ok(Json(load(&state, &caller, KeyPersonId(id)).await?))
}

/// Change some fields of a key person (JSON merge patch, RFC 7396).
#[utoipa::path(
    patch,
    operation_id = "patch_key_person",
    path = "/api/v1/key-persons/{id}",
    tag = "key-persons",
    params(("id" = i64, Path, description = "Key person id")),
    request_body(
        content = super::openapi::KeyPersonPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses((status = 200, description = "The updated key person", body = KeyPerson))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    patch: MergePatch,
) -> Result<Json<KeyPerson>, ApiError> {
    let id = KeyPersonId(id);
    let current = KeyPersonInput::from(load(&state, &caller, id).await?);
    let input = patch.apply(&current)?;
    check_dates(&input)?;
    Ok(Json(
        state
            .store
            .update_key_person_by(Some(caller.id()), id, input)
            .await?,
    ))
}

/// Delete a key person.
#[utoipa::path(
    delete,
    operation_id = "delete_key_person",
    path = "/api/v1/key-persons/{id}",
    tag = "key-persons",
    params(("id" = i64, Path, description = "Key person id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let id = KeyPersonId(id);
    load(&state, &caller, id).await?;
    state
        .store
        .delete_key_person_by(Some(caller.id()), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
