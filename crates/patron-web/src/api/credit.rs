//! The credit system over the API (METHOD §2.6): a customer's credit and balance, credit reviews
//! (business managers and above), payments, the list of customers under credit management, and
//! the credit check of orders taken through `/api/v1/orders`.
//!
//! Per-customer calls follow record-level access (404 outside the caller's scope). Amounts are
//! minor units of the default currency.
//!
//! An order that would take a customer under credit management over its limit is refused with
//! a 422 naming the field `credit` and saying by how much. A business manager or above may let it
//! through by sending `"credit_override": {"reason": "…"}` in the order's body (POST or PATCH);
//! the override is recorded with the order, the caller and the reason. Anyone else sending it
//! gets a 403 naming `credit_override`.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{parse_json, ApiJson, ApiQuery, PathId};
use crate::ui::i18n::{money_parts, Lang};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::NaiveDate;
use patron_core::credit::{CreditReviewInput, PaymentInput};
use patron_core::{CustomerId, Order, OrderId, OrderInput, PaymentId, Permissions};
use patron_store::credit::{
    CreditAccount, CreditOverride, CreditRefusal, CreditReview, CustomerCredit, Payment,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// A customer's credit: the credit in force with its balance, every review, and the orders let
/// through over the limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditView {
    pub customer_id: CustomerId,
    /// `null` until the customer's first credit review: it is not under credit management and
    /// its orders are not checked.
    pub credit: Option<CustomerCredit>,
    /// Newest first.
    pub reviews: Vec<CreditReview>,
    /// The latest 50, newest first.
    pub overrides: Vec<CreditOverride>,
}

/// The customer's credit class, limit, payment term and balance (outstanding, overdue with the
/// days overdue, available credit) as of today, with its reviews and overrides.
#[utoipa::path(
    get,
    operation_id = "get_customer_credit",
    path = "/api/v1/customers/{id}/credit",
    tag = "credit",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The customer's credit", body = CreditView))
)]
pub async fn customer_credit(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CreditView>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    Ok(Json(CreditView {
        customer_id: id,
        credit: state.store.customer_credit(id).await?,
        reviews: state.store.credit_reviews(id).await?,
        overrides: state.store.credit_overrides(id, 50).await?,
    }))
}

/// Records a credit review (business managers and above): the class, and the limit and payment
/// term when they differ from the class's default. It is the customer's credit from then on;
/// the first review puts the customer under credit management.
#[utoipa::path(
    post,
    operation_id = "create_credit_review",
    path = "/api/v1/customers/{id}/credit-reviews",
    tag = "credit",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = CreditReviewInput,
    responses(
        (status = 201, description = "The recorded review", body = CreditReview,
         headers(("Location" = String, description = "URL of the customer's credit"))),
        (status = 403, description = "Only business managers and above grant credit",
         body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
pub async fn create_review(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CreditReviewInput>,
) -> Result<Response, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    if !caller.user.can_manage_credit() {
        return Err(ApiError::Forbidden);
    }
    super::check_date("reviewed_on", input.reviewed_on)?;
    let r = state
        .store
        .record_credit_review(Some(caller.id()), id, input)
        .await?;
    Ok(super::created(format!("/api/v1/customers/{id}/credit"), r))
}

/// Query parameters of a customer's payments.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PaymentListParams {
    /// At most this many, newest first (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub items: Vec<Payment>,
}

/// The customer's payments, newest first.
#[utoipa::path(
    get,
    operation_id = "list_customer_payments",
    path = "/api/v1/customers/{id}/payments",
    tag = "credit",
    params(("id" = i64, Path, description = "Customer id"), PaymentListParams),
    responses((status = 200, description = "The payments", body = PaymentList))
)]
pub async fn list_payments(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<PaymentListParams>,
) -> Result<Json<PaymentList>, ApiError> {
    let id = CustomerId(id);
    let limit = super::check_limit(p.limit)?.unwrap_or(100);
    caller.require_customer(state.store.as_ref(), id).await?;
    Ok(Json(PaymentList {
        items: state.store.list_payments(id, limit).await?,
    }))
}

/// Records a payment received from the customer (in the default currency); anyone who may edit
/// the customer. Payments settle the oldest orders first.
#[utoipa::path(
    post,
    operation_id = "create_payment",
    path = "/api/v1/customers/{id}/payments",
    tag = "credit",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = PaymentInput,
    responses((status = 201, description = "The recorded payment", body = Payment,
        headers(("Location" = String, description = "URL of the payment"))))
)]
pub async fn create_payment(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<Response, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    super::check_date("paid_on", input.paid_on)?;
    let p = state
        .store
        .record_payment(Some(caller.id()), id, input)
        .await?;
    Ok(super::created(format!("/api/v1/payments/{}", p.id), p))
}

/// A payment whose customer the caller may see.
async fn load_payment(
    state: &AppState,
    caller: &Caller,
    id: PaymentId,
) -> Result<Payment, ApiError> {
    let p = state.store.get_payment(id).await?;
    let cid = p.customer_id;
    super::scoped(caller, state.store.as_ref(), p, cid, "payment", id.0).await
}

/// One payment.
#[utoipa::path(
    get,
    operation_id = "get_payment",
    path = "/api/v1/payments/{id}",
    tag = "credit",
    params(("id" = i64, Path, description = "Payment id")),
    responses((status = 200, description = "The payment", body = Payment))
)]
pub async fn get_payment(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Payment>, ApiError> {
    Ok(Json(load_payment(&state, &caller, PaymentId(id)).await?))
}

/// Deletes a payment recorded by mistake (the balance owes it again).
#[utoipa::path(
    delete,
    operation_id = "delete_payment",
    path = "/api/v1/payments/{id}",
    tag = "credit",
    params(("id" = i64, Path, description = "Payment id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_payment(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let id = PaymentId(id);
    load_payment(&state, &caller, id).await?;
    state.store.delete_payment(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditAccounts {
    pub as_of: NaiveDate,
    /// Worst first: most days overdue, then most overdue, then most outstanding.
    pub items: Vec<CreditAccount>,
}

/// Every customer under credit management that the caller may see, with class, limit,
/// outstanding and overdue balance (the credit exposure report).
#[utoipa::path(
    get,
    operation_id = "list_credit_accounts",
    path = "/api/v1/credit/accounts",
    tag = "credit",
    responses((status = 200, description = "The customers under credit management", body = CreditAccounts))
)]
pub async fn accounts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CreditAccounts>, ApiError> {
    let as_of = chrono::Utc::now().date_naive();
    Ok(Json(CreditAccounts {
        as_of,
        items: state
            .store
            .credit_accounts_as_of(caller.scope, as_of)
            .await?,
    }))
}

/// A manager's permission to let one order through over the customer's credit limit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditOverrideBody {
    /// Why (required, at most 1000 characters); recorded with the order and the caller.
    pub reason: String,
}

/// Takes the `credit_override` member out of an order body (so the rest reads as the order) and
/// checks its shape; `null` is no override.
pub(crate) fn take_override(
    body: &mut Map<String, Value>,
) -> Result<Option<CreditOverrideBody>, ApiError> {
    let v = match body.remove("credit_override") {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let bad = |field: &str, code: &'static str, message: &str| ApiError::Body {
        field: Some(field.to_owned()),
        code,
        message: message.to_owned(),
    };
    let Value::Object(mut m) = v else {
        return Err(bad(
            "credit_override",
            "invalid_type",
            "must be an object: {\"reason\": \"…\"}",
        ));
    };
    let reason = match m.remove("reason") {
        Some(Value::String(s)) => s,
        Some(_) => {
            return Err(bad(
                "credit_override.reason",
                "invalid_type",
                "must be a string",
            ))
        }
        None => {
            return Err(bad(
                "credit_override.reason",
                "missing_field",
                "missing field `reason`",
            ))
        }
    };
    if let Some(k) = m.keys().next() {
        return Err(bad(
            &format!("credit_override.{k}"),
            "unknown_field",
            "unknown field; expected `reason`",
        ));
    }
    Ok(Some(CreditOverrideBody { reason }))
}

/// Reads an order body (an object) as the order and its optional override; shape errors name
/// the field, as the plain order extractor does.
pub(crate) fn order_body(
    mut body: Map<String, Value>,
) -> Result<(OrderInput, Option<CreditOverrideBody>), ApiError> {
    let ov = take_override(&mut body)?;
    let bytes = serde_json::to_vec(&Value::Object(body))
        .map_err(|e| ApiError::Internal(format!("re-serialising an order body: {e}")))?;
    Ok((parse_json(&bytes)?, ov))
}

/// The refusal as the API says it: 422 naming `credit`, amounts in English money format.
pub(crate) fn refusal_error(r: &CreditRefusal) -> ApiError {
    let money = |m: i64| money_parts(Lang::En, m, &r.currency);
    ApiError::invalid("credit", "credit_limit_exceeded", r.describe(money))
}

/// Saves an order (new when `id` is `None`) with the customer's credit limit enforced; the
/// override, when given, must come from a business manager or above.
pub(crate) async fn save_order(
    state: &AppState,
    caller: &Caller,
    id: Option<OrderId>,
    input: OrderInput,
    ov: Option<CreditOverrideBody>,
) -> Result<Order, ApiError> {
    if ov.is_some() && !caller.user.can_manage_credit() {
        return Err(ApiError::ForbiddenField {
            field: "credit_override".into(),
            message: "only business managers and above may let an order through over a credit \
                      limit"
                .into(),
        });
    }
    let reason = ov.as_ref().map(|o| o.reason.as_str());
    let by = Some(caller.id());
    let r = match id {
        None => state.store.create_order_checked(by, input, reason).await?,
        Some(id) => {
            state
                .store
                .update_order_checked(by, id, input, reason)
                .await?
        }
    };
    r.map_err(|refusal| refusal_error(&refusal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_is_taken_out_and_checked() {
        let Value::Object(mut m) =
            serde_json::json!({"customer_id": 1, "credit_override": {"reason": "ok"}})
        else {
            panic!("object")
        };
        let ov = take_override(&mut m).expect("ok").expect("some");
        assert_eq!(ov.reason, "ok");
        assert!(!m.contains_key("credit_override"));
        for (v, field) in [
            (serde_json::json!("yes"), "credit_override"),
            (serde_json::json!({}), "credit_override.reason"),
            (serde_json::json!({"reason": 5}), "credit_override.reason"),
            (
                serde_json::json!({"reason": "x", "by": 1}),
                "credit_override.by",
            ),
        ] {
            let mut m = Map::new();
            m.insert("credit_override".into(), v);
            let p = take_override(&mut m).expect_err("bad").problem();
            assert_eq!((p.status, p.field.as_deref()), (422, Some(field)));
        }
        let mut m = Map::new();
        m.insert("credit_override".into(), Value::Null);
        assert!(take_override(&mut m).expect("null").is_none());
    }
}
