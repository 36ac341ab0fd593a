//! `/api/v1/orders`: purchases, each of one customer, with lines.

use super::{check_currency, check_date, check_date_param, check_limit, created, listed};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use patron_core::{CustomerId, Order, OrderId, OrderInput, Page};
use patron_store::{OrderQuery, Store};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of the order list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Only the orders of this customer.
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    /// First order date included (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Last order date included (YYYY-MM-DD).
    pub to: Option<NaiveDate>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

fn location(id: OrderId) -> String {
    format!("/api/v1/orders/{id}")
}

/// Checks what the domain validation leaves open: the currency code, the date's range, and that
/// the customer exists (a 422 naming `customer_id`).
async fn checked(
    caller: &Caller,
    store: &dyn Store,
    mut input: OrderInput,
) -> Result<OrderInput, ApiError> {
    input.currency = check_currency("currency", &input.currency)?;
    check_date("order_date", Some(input.order_date))?;
    super::check_customer_ref(caller, store, input.customer_id).await?;
    Ok(input)
}

/// An order whose customer the caller may see.
async fn load(state: &AppState, caller: &Caller, id: OrderId) -> Result<Order, ApiError> {
    let o = state.store.get_order(id).await?;
    let cid = o.customer_id;
    super::scoped(caller, state.store.as_ref(), o, cid, "order", id.0).await
}

/// List orders, newest or by date range, optionally of one customer.
#[utoipa::path(
    get,
    operation_id = "list_orders",
    path = "/api/v1/orders",
    tag = "orders",
    params(OrderListParams),
    responses((status = 200, description = "A page of orders", body = Page<Order>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<OrderListParams>,
) -> Result<Json<Page<Order>>, ApiError> {
    let q = OrderQuery {
        customer_id: p.customer_id,
        from: check_date_param("from", p.from)?,
        to: check_date_param("to", p.to)?,
        cursor: p.cursor,
        limit: check_limit(p.limit)?,
        scope: caller.scope,
    };
    Ok(Json(listed(state.store.list_orders(&q).await)?))
}

/// Record an order. For a customer under credit management, an order that would take it over
/// its credit limit is refused (422, field `credit`) unless a business manager or above adds
/// `"credit_override": {"reason": "…"}` to the body (then the override is recorded; anyone else
/// sending it gets a 403 naming `credit_override`).
#[utoipa::path(
    post,
    operation_id = "create_order",
    path = "/api/v1/orders",
    tag = "orders",
    request_body = super::openapi::OrderCreate,
    responses(
        (
            status = 201,
            description = "The created order",
            body = Order,
            headers(("Location" = String, description = "URL of the new order"))
        ),
        (status = 403, description = "`credit_override` sent by a role that may not override",
         body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, ApiError> {
    let (input, ov) = super::credit::order_body(body)?;
    let input = checked(&caller, state.store.as_ref(), input).await?;
    let o = super::credit::save_order(&state, &caller, None, input, ov).await?;
    Ok(created(location(o.id), o))
}

/// One order with its lines.
#[utoipa::path(
    get,
    operation_id = "get_order",
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    responses((status = 200, description = "The order", body = Order))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Order>, ApiError> {
    Ok(Json(load(&state, &caller, OrderId(id)).await?))
}

/// Change an order (JSON merge patch, RFC 7396; `lines` is replaced as a whole). A change that
/// adds to what a customer under credit management owes is checked against its limit like a new
/// order, and may carry the same `credit_override`.
#[utoipa::path(
    patch,
    operation_id = "patch_order",
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    request_body(
        content = super::openapi::OrderPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses(
        (status = 200, description = "The updated order", body = Order),
        (status = 403, description = "`credit_override` sent by a role that may not override",
         body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    mut patch: MergePatch,
) -> Result<Json<Order>, ApiError> {
    let id = OrderId(id);
    let ov = super::credit::take_override(&mut patch.0)?;
    let current = OrderInput::from(load(&state, &caller, id).await?);
    let input = checked(&caller, state.store.as_ref(), patch.apply(&current)?).await?;
    Ok(Json(
        super::credit::save_order(&state, &caller, Some(id), input, ov).await?,
    ))
}

/// Delete an order.
#[utoipa::path(
    delete,
    operation_id = "delete_order",
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let id = OrderId(id);
    load(&state, &caller, id).await?;
    state.store.delete_order_by(Some(caller.id()), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
