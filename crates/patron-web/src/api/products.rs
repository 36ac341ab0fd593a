//! `/api/v1/products`: what the shop sells, grouped in product lines.

use super::{check_currency, check_limit, created, listed};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, MergePatch, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use patron_core::{Page, Product, ProductId, ProductInput};
use patron_store::ProductQuery;
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of the product list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductListParams {
    /// Substring search over name and reference.
    pub q: Option<String>,
    pub product_line: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

fn location(id: ProductId) -> String {
    format!("/api/v1/products/{id}")
}

fn checked(mut input: ProductInput) -> Result<ProductInput, ApiError> {
    input.currency = check_currency("currency", &input.currency)?;
    Ok(input)
}

/// List products.
#[utoipa::path(
    get,
    operation_id = "list_products",
    path = "/api/v1/products",
    tag = "products",
    params(ProductListParams),
    responses((status = 200, description = "A page of products", body = Page<Product>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ProductListParams>,
) -> Result<Json<Page<Product>>, ApiError> {
    let q = ProductQuery {
        q: p.q,
        product_line: p.product_line,
        cursor: p.cursor,
        limit: check_limit(p.limit)?,
    };
    Ok(Json(listed(state.store.list_products(&q).await)?))
}

/// Create a product.
#[utoipa::path(
    post,
    operation_id = "create_product",
    path = "/api/v1/products",
    tag = "products",
    request_body = ProductInput,
    responses((
        status = 201,
        description = "The created product",
        body = Product,
        headers(("Location" = String, description = "URL of the new product"))
    ))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ProductInput>,
) -> Result<Response, ApiError> {
    super::require_archive_rights(&caller)?;
    let p = state.store.create_product(checked(input)?).await?;
    Ok(created(location(p.id), p))
}

/// One product.
#[utoipa::path(
    get,
    operation_id = "get_product",
    path = "/api/v1/products/{id}",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = Product))
)]
pub async fn get(
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Json<Product>, ApiError> {
    Ok(Json(state.store.get_product(ProductId(id)).await?))
}

/// Change some fields of a product (JSON merge patch, RFC 7396).
#[utoipa::path(
    patch,
    operation_id = "patch_product",
    path = "/api/v1/products/{id}",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    request_body(
        content = super::openapi::ProductPatch,
        content_type = "application/merge-patch+json",
        description = "The members to change (JSON merge patch); null clears"
    ),
    responses((status = 200, description = "The updated product", body = Product))
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    patch: MergePatch,
) -> Result<Json<Product>, ApiError> {
    super::require_archive_rights(&caller)?;
    let id = ProductId(id);
    let current = ProductInput::from(state.store.get_product(id).await?);
    let input = checked(patch.apply(&current)?)?;
    Ok(Json(state.store.update_product(id, input).await?))
}

/// Delete a product.
#[utoipa::path(
    delete,
    operation_id = "delete_product",
    path = "/api/v1/products/{id}",
    tag = "products",
    params(("id" = i64, Path, description = "Product id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    super::require_archive_rights(&caller)?;
    state.store.delete_product(ProductId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
