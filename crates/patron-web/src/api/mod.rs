//! The JSON API, one file per resource. Handlers parse, call the store, and answer; rules live
//! in patron-core and data access in patron-store.

pub mod after_sales;
pub mod agenda;
pub mod churn;
pub mod classes;
pub mod complaints;
pub mod credit;
pub mod customers;
pub mod indicators;
pub mod interactions;
pub mod key_accounts;
pub mod key_persons;
pub mod lists;
pub mod meta;
pub mod openapi;
pub mod orders;
pub mod plans;
pub mod products;
pub mod promotions;
pub mod satisfaction;
pub mod surveys;
pub mod touch;

use crate::error::ApiError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use patron_core::Currency;
use patron_store::{StoreError, StoreResult, MAX_LIMIT};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sort direction of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// Checks a page size against the store's maximum, so an oversized request is a 400 naming
/// `limit` rather than a silently shorter page.
pub(crate) fn check_limit(limit: Option<u32>) -> Result<Option<u32>, ApiError> {
    match limit {
        Some(0) => Err(ApiError::param(
            "limit",
            "out_of_range",
            "must be at least 1",
        )),
        Some(n) if n > MAX_LIMIT => Err(ApiError::param(
            "limit",
            "out_of_range",
            format!("must be at most {MAX_LIMIT}"),
        )),
        other => Ok(other),
    }
}

/// Reads a list result. The store validates list inputs (the cursor, the search text); those are
/// query parameters, so a rejection is a 400 naming the parameter like any other bad parameter,
/// not a 422 about a record.
pub(crate) fn listed<T>(r: StoreResult<T>) -> Result<T, ApiError> {
    r.map_err(|e| match e {
        StoreError::Invalid(errs) => match errs.first() {
            Some(f) => ApiError::param(&f.field, &f.code, f.message.clone()),
            None => ApiError::Store(StoreError::Invalid(errs)),
        },
        other => ApiError::Store(other),
    })
}

/// Whether a date has the four-digit year RFC 3339 (and the OpenAPI `date` format) allows.
///
/// chrono accepts years from -262144 to 262143, PostgreSQL dates stop at 4713 BC, and neither
/// the domain validators nor the store check the range: without this a far-past date would be a
/// database error (500) on one backend and be stored on the other.
pub(crate) fn date_in_range(d: NaiveDate) -> bool {
    (1..=9999).contains(&d.year())
}

/// [`date_in_range`] for a body field: a 422 naming it.
pub(crate) fn check_date(field: &str, d: Option<NaiveDate>) -> Result<(), ApiError> {
    match d {
        Some(d) if !date_in_range(d) => Err(ApiError::invalid(
            field,
            "out_of_range",
            "the year must be between 1 and 9999",
        )),
        _ => Ok(()),
    }
}

/// [`date_in_range`] for a query parameter: a 400 naming it.
pub(crate) fn check_date_param(
    param: &str,
    d: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, ApiError> {
    match d {
        Some(d) if !date_in_range(d) => Err(ApiError::param(
            param,
            "out_of_range",
            "the year must be between 1 and 9999",
        )),
        other => Ok(other),
    }
}

/// Turns "the referenced record does not exist" into a 422 naming the field that refers to it.
///
/// Without this, a body with an unknown `customer_id` would come back as 404 — which reads as
/// "this URL does not exist" — or as a foreign-key conflict without a field.
pub(crate) fn must_exist<T>(r: StoreResult<T>, field: &str, what: &str) -> Result<T, ApiError> {
    match r {
        Err(StoreError::NotFound { .. }) => Err(ApiError::invalid(
            field,
            "unknown_reference",
            format!("there is no {what} with this id"),
        )),
        other => other.map_err(ApiError::from),
    }
}

/// Currency codes arrive as free strings (the type's deserialiser does not check them); parse
/// them at the boundary so a bad code is a 422, not a stored oddity.
pub(crate) fn check_currency(
    field: &str,
    c: &Option<Currency>,
) -> Result<Option<Currency>, ApiError> {
    match c {
        None => Ok(None),
        Some(c) => Currency::parse(field, c.as_str())
            .map(Some)
            .map_err(|e| ApiError::Invalid(e.into())),
    }
}

/// Passes a record on when its customer is inside the caller's scope; otherwise the record is
/// "not found", exactly as if it did not exist.
pub(crate) async fn scoped<T>(
    caller: &crate::auth::Caller,
    store: &dyn patron_store::Store,
    record: T,
    customer: patron_core::CustomerId,
    entity: &'static str,
    id: i64,
) -> Result<T, ApiError> {
    if store.customer_in_scope(customer, caller.scope).await? {
        Ok(record)
    } else {
        Err(StoreError::not_found(entity, id).into())
    }
}

/// A customer id in a request body that the caller may not see reads as unknown (422 naming the
/// field), the same as an id that does not exist.
pub(crate) async fn check_customer_ref(
    caller: &crate::auth::Caller,
    store: &dyn patron_store::Store,
    customer: patron_core::CustomerId,
) -> Result<(), ApiError> {
    if store.customer_in_scope(customer, caller.scope).await? {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "customer_id",
            "unknown_reference",
            "there is no customer with this id",
        ))
    }
}

/// Products, custom fields, imports and merges change the whole archive: business managers and
/// above only (METHOD §0 — sales representatives keep their own customers' archives).
pub(crate) fn require_archive_rights(caller: &crate::auth::Caller) -> Result<(), ApiError> {
    use patron_core::Permissions;
    if caller.user.can_change_archive() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A 201 with the new record and its URL in `Location`.
pub(crate) fn created<T: Serialize>(location: String, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
