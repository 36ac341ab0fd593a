//! `/api/v1/customers`: the customer archive (list and search, card, overview).

use super::{check_date, check_limit, created, listed, must_exist, SortOrder};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use patron_core::classify::{AbcClass, Loyalty, RfmSegment};
use patron_core::{
    Customer, CustomerId, CustomerInput, CustomerKind, CustomerOverview, LifecycleStage, Page,
    Scope, UserId,
};
use patron_store::{CustomerQuery, CustomerSort, Store};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of the customer list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListParams {
    /// Substring search over name, company, e-mail, phone digits and reference (CJK-aware).
    pub q: Option<String>,
    pub stage: Option<LifecycleStage>,
    /// Only customers kept by this user.
    #[param(value_type = Option<i64>)]
    pub owner: Option<UserId>,
    /// Only customers with this tag.
    pub tag: Option<String>,
    pub kind: Option<CustomerKind>,
    /// Only customers of this current ABC class (see `patron classify`).
    pub abc: Option<AbcClass>,
    /// Only customers in this RFM segment.
    pub segment: Option<RfmSegment>,
    /// Only customers with this loyalty class in force.
    pub loyalty: Option<Loyalty>,
    /// Only customers in this quadrant of the loyalty matrix (latest product and service
    /// satisfaction; `unknown` when either is missing).
    pub quadrant: Option<patron_core::classify::Quadrant>,
    /// Only scored customers whose P(alive) is at most this fraction (0–1).
    #[param(minimum = 0.0, maximum = 1.0)]
    pub p_alive_max: Option<f64>,
    /// Only scored customers whose lifetime value is at least this (major units).
    pub clv_min: Option<f64>,
    pub sort: Option<CustomerSort>,
    pub order: Option<SortOrder>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl CustomerListParams {
    fn into_query(self, scope: Scope) -> Result<CustomerQuery, ApiError> {
        Ok(CustomerQuery {
            q: self.q,
            stage: self.stage,
            owner_id: self.owner,
            tag: self.tag,
            kind: self.kind,
            abc: self.abc,
            segment: self.segment,
            loyalty: self.loyalty,
            quadrant: self.quadrant,
            p_alive_max: match self.p_alive_max {
                Some(p) if !(p.is_finite() && (0.0..=1.0).contains(&p)) => {
                    return Err(ApiError::param(
                        "p_alive_max",
                        "out_of_range",
                        "a probability between 0 and 1",
                    ))
                }
                other => other,
            },
            clv_min: match self.clv_min {
                Some(v) if !v.is_finite() => {
                    return Err(ApiError::param("clv_min", "invalid", "a number"))
                }
                other => other,
            },
            sort: self.sort.unwrap_or_default(),
            desc: self.order == Some(SortOrder::Desc),
            cursor: self.cursor,
            limit: check_limit(self.limit)?,
            scope,
        })
    }
}

pub(crate) fn location(id: CustomerId) -> String {
    format!("/api/v1/customers/{id}")
}

/// Checks what the domain validation leaves open: the birth date's range, and that the owner
/// exists (a 422 naming `owner_id` rather than a foreign-key conflict).
async fn check_input(
    caller: &Caller,
    store: &dyn Store,
    input: &CustomerInput,
    owner_changed: bool,
) -> Result<(), ApiError> {
    check_date("birth_date", input.birth_date)?;
    if let Some(owner) = input.owner_id.filter(|_| owner_changed) {
        must_exist(store.get_user(owner).await, "owner_id", "user")?;
    }
    if let Some(rm) = input.relationship_manager_id {
        must_exist(store.get_user(rm).await, "relationship_manager_id", "user")?;
    }
    if !caller
        .may_hold(store, input.owner_id, input.relationship_manager_id)
        .await?
    {
        return Err(ApiError::invalid(
            "owner_id",
            "outside_scope",
            "you may only give customers to yourself or, as a manager, to your team",
        ));
    }
    Ok(())
}

/// A sales representative's new customer is theirs unless they name someone.
fn default_owner(caller: &Caller, input: &mut CustomerInput) {
    if input.owner_id.is_none() && caller.scope != Scope::All {
        input.owner_id = Some(caller.id());
    }
}

/// List and search customers, a page at a time.
#[utoipa::path(
    get,
    operation_id = "list_customers",
    path = "/api/v1/customers",
    tag = "customers",
    params(CustomerListParams),
    responses((status = 200, description = "A page of customers", body = Page<Customer>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<CustomerListParams>,
) -> Result<Json<Page<Customer>>, ApiError> {
    let q = params.into_query(caller.scope)?;
    Ok(Json(listed(state.store.list_customers(&q).await)?))
}

/// Create a customer.
#[utoipa::path(
    post,
    operation_id = "create_customer",
    path = "/api/v1/customers",
    tag = "customers",
    request_body = CustomerInput,
    responses((
        status = 201,
        description = "The created customer",
        body = Customer,
        headers(("Location" = String, description = "URL of the new customer"))
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mut input): ApiJson<CustomerInput>,
) -> Result<Response, ApiError> {
    default_owner(&caller, &mut input);
    check_input(&caller, state.store.as_ref(), &input, true).await?;
    let c = state
        .store
        .create_customer_by(Some(caller.id()), input)
        .await?;
    Ok(created(location(c.id), c))
}

/// One customer's card, with background.
#[utoipa::path(
    get,
    operation_id = "get_customer",
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The customer", body = Customer))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Customer>, ApiError> {
    caller
        .require_customer(state.store.as_ref(), CustomerId(id))
        .await?;
    Ok(Json(state.store.get_customer(CustomerId(id)).await?))
}

/// Change some fields of a customer (JSON merge patch, RFC 7396: `null` clears a field).
#[utoipa::path(
    patch,
    operation_id = "patch_customer",
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    request_body(
        content = super::openapi::CustomerPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses((status = 200, description = "The updated customer", body = Customer))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    patch: MergePatch,
) -> Result<Json<Customer>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let current = CustomerInput::from(state.store.get_customer(id).await?);
    let input = patch.apply(&current)?;
    check_input(
        &caller,
        state.store.as_ref(),
        &input,
        input.owner_id != current.owner_id,
    )
    .await?;
    Ok(Json(
        state
            .store
            .update_customer_by(Some(caller.id()), id, input)
            .await?,
    ))
}

/// Delete a customer and everything that belongs to it.
#[utoipa::path(
    delete,
    operation_id = "delete_customer",
    path = "/api/v1/customers/{id}",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    state
        .store
        .delete_customer_by(Some(caller.id()), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything to look at before a contact: card, key persons, last 10 interactions, order
/// summary and archive warnings.
#[utoipa::path(
    get,
    operation_id = "get_customer_overview",
    path = "/api/v1/customers/{id}/overview",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The overview", body = CustomerOverview))
)]
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CustomerOverview>, ApiError> {
    // A caller who sees every customer needs no scope check: the overview answers 404 itself
    // for a customer that does not exist (one lookup fewer on the most requested read).
    if caller.scope != Scope::All {
        caller
            .require_customer(state.store.as_ref(), CustomerId(id))
            .await?;
    }
    Ok(Json(state.store.customer_overview(CustomerId(id)).await?))
}

/// The customer's latest model scores (`patron model score`): P(alive), expected purchases and
/// spend over the horizon, lifetime value. 404 until the customer has been scored; a value the
/// model had no answer for is `null`.
#[utoipa::path(
    get,
    operation_id = "get_customer_score",
    path = "/api/v1/customers/{id}/score",
    tag = "customers",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The scores", body = patron_store::analytics::CustomerScore))
)]
pub async fn score(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<patron_store::analytics::CustomerScore>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    match state.store.customer_score(id).await? {
        Some(s) => Ok(Json(s)),
        None => Err(patron_store::StoreError::not_found("customer score", id.0).into()),
    }
}
