//! `/api/v1/interactions`: the service record — visits, calls, cards, gifts …

use super::{check_date, check_limit, created, listed, must_exist};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use patron_core::{
    CustomerId, Interaction, InteractionId, InteractionInput, InteractionKind, Page, UserId,
};
use patron_store::{InteractionQuery, Store};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of the interaction list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InteractionListParams {
    /// Only the interactions with this customer.
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    pub kind: Option<InteractionKind>,
    /// Only the interactions by this member of staff.
    #[param(value_type = Option<i64>)]
    pub staff_id: Option<UserId>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// An interaction whose customer the caller may see.
async fn load(
    state: &AppState,
    caller: &Caller,
    id: InteractionId,
) -> Result<Interaction, ApiError> {
    let i = state.store.get_interaction(id).await?;
    let cid = i.customer_id;
    super::scoped(caller, state.store.as_ref(), i, cid, "interaction", id.0).await
}

fn location(id: InteractionId) -> String {
    format!("/api/v1/interactions/{id}")
}

/// Checks the references of an interaction, so each unknown one is a 422 naming its field, that
/// the key person met belongs to the customer the interaction is with, and the date's range.
async fn check_refs(
    caller: &Caller,
    store: &dyn Store,
    input: &InteractionInput,
) -> Result<(), ApiError> {
    check_date("occurred_at", input.occurred_at.map(|t| t.date_naive()))?;
    super::check_customer_ref(caller, store, input.customer_id).await?;
    if let Some(staff) = input.staff_id {
        must_exist(store.get_user(staff).await, "staff_id", "user")?;
    }
    if let Some(kp) = input.key_person_id {
        let k = must_exist(
            store.get_key_person(kp).await,
            "key_person_id",
            "key person",
        )?;
        if k.customer_id != input.customer_id {
            return Err(ApiError::invalid(
                "key_person_id",
                "wrong_customer",
                "this key person belongs to another customer",
            ));
        }
    }
    Ok(())
}

/// List interactions, newest first.
#[utoipa::path(
    get,
    operation_id = "list_interactions",
    path = "/api/v1/interactions",
    tag = "interactions",
    params(InteractionListParams),
    responses((status = 200, description = "A page of interactions", body = Page<Interaction>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<InteractionListParams>,
) -> Result<Json<Page<Interaction>>, ApiError> {
    let q = InteractionQuery {
        customer_id: p.customer_id,
        kind: p.kind,
        staff_id: p.staff_id,
        cursor: p.cursor,
        limit: check_limit(p.limit)?,
        scope: caller.scope,
    };
    Ok(Json(listed(state.store.list_interactions(&q).await)?))
}

/// Record an interaction.
#[utoipa::path(
    post,
    operation_id = "create_interaction",
    path = "/api/v1/interactions",
    tag = "interactions",
    request_body = InteractionInput,
    responses((
        status = 201,
        description = "The created interaction",
        body = Interaction,
        headers(("Location" = String, description = "URL of the new interaction"))
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<InteractionInput>,
) -> Result<Response, ApiError> {
    // Who logged it, unless the body names someone else (a manager logging a rep's visit).
    input.staff_id = input.staff_id.or(Some(caller.id()));
    check_refs(&caller, state.store.as_ref(), &input).await?;
    let i = state
        .store
        .create_interaction_by(Some(caller.id()), input)
        .await?;
    Ok(created(location(i.id), i))
}

/// One interaction.
#[utoipa::path(
    get,
    operation_id = "get_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = i64, Path, description = "Interaction id")),
    responses((status = 200, description = "The interaction", body = Interaction))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Interaction>, ApiError> {
    Ok(Json(load(&state, &caller, InteractionId(id)).await?))
}

/// Change an interaction (JSON merge patch, RFC 7396).
#[utoipa::path(
    patch,
    operation_id = "patch_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = i64, Path, description = "Interaction id")),
    request_body(
        content = super::openapi::InteractionPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses((status = 200, description = "The updated interaction", body = Interaction))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    patch: MergePatch,
) -> Result<Json<Interaction>, ApiError> {
    let id = InteractionId(id);
    let current = InteractionInput::from(load(&state, &caller, id).await?);
    let input = patch.apply(&current)?;
    check_refs(&caller, state.store.as_ref(), &input).await?;
    Ok(Json(
        state
            .store
            .update_interaction_by(Some(caller.id()), id, input)
            .await?,
    ))
}

/// Delete an interaction.
#[utoipa::path(
    delete,
    operation_id = "delete_interaction",
    path = "/api/v1/interactions/{id}",
    tag = "interactions",
    params(("id" = i64, Path, description = "Interaction id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let id = InteractionId(id);
    load(&state, &caller, id).await?;
    state
        .store
        .delete_interaction_by(Some(caller.id()), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
