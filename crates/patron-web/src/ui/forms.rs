//! What the record forms (customers, key persons, products, orders, contacts) share: reading
//! typed text, turning validation errors into `field → message` pairs shown next to each field,
//! and the access checks every form repeats (a record of a customer outside the user's scope
//! reads as "not found", exactly as the JSON API answers).

use super::{Page, UiError};
use crate::AppState;
use axum::response::Response;
use chrono::{NaiveDate, NaiveDateTime};
use patron_core::{CustomerId, ValidationErrors};
use serde_json::{Map, Value};

/// Error codes that have their own message (`error-CODE` in the message files); every other
/// code is shown as the generic "not valid".
const CODES: &[&str] = &[
    "required",
    "too_long",
    "out_of_range",
    "invalid_email",
    "invalid_phone",
    "outside_scope",
    "in_future",
    "not_positive",
    "negative",
    "too_large",
    "invalid_currency",
    "invalid_amount",
    "unknown_reference",
    "ambiguous",
    "taken",
    // The contact plan (agenda actions, the policy matrix, its settings, promised follow-ups).
    "not_in_future",
    "too_far",
    "zero_frequency",
    "contradictory_frequency",
    "frequency_too_high",
    "invalid_time_zone",
    "before_interaction",
    // Surveys (questionnaires and answers).
    "duplicate",
    "too_many",
    "inactive",
    "unknown",
];

/// The message key suffix of an error code.
pub(crate) fn code_key(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|c| **c == code)
        .copied()
        .unwrap_or("invalid")
}

/// A decimal number typed into a settings form ("12.5", "12,5", "12.5 %"); a blank or unreadable
/// one is an error next to `field`.
pub(crate) fn form_number(s: &str, field: &str, errs: &mut Map<String, Value>) -> Option<f64> {
    let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        add_error(errs, field, "required");
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            add_error(errs, field, "invalid");
            None
        }
    }
}

/// A whole number typed into a settings form; a blank or unreadable one is an error next to
/// `field`.
pub(crate) fn form_whole<T: std::str::FromStr>(
    s: &str,
    field: &str,
    errs: &mut Map<String, Value>,
) -> Option<T> {
    let t = s.trim();
    if t.is_empty() {
        add_error(errs, field, "required");
        return None;
    }
    match t.parse::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            add_error(errs, field, "invalid");
            None
        }
    }
}

/// Records an error for `field` unless it already has one (the first error is the one shown).
pub(crate) fn add_error(errs: &mut Map<String, Value>, field: &str, code: &str) {
    errs.entry(field.to_owned())
        .or_insert_with(|| Value::String(code_key(code).to_owned()));
}

/// Records the whole message key (`error-…`) for `field` unless it already has an error, for
/// forms whose templates take keys rather than suffixes.
pub(crate) fn add_error_key(errs: &mut Map<String, Value>, field: &str, code: &str) {
    errs.entry(field.to_owned())
        .or_insert_with(|| Value::String(format!("error-{}", code_key(code))));
}

/// Maps validation errors to `field → message-key suffix` for the form.
pub(crate) fn field_errors(e: &ValidationErrors) -> Map<String, Value> {
    field_errors_as(e, |f| f.to_owned())
}

/// [`field_errors`] with the domain's field names renamed to the form's (`lines[0].quantity` is
/// `quantity_0` in the order form, `unit_price_minor` is `unit_price` in the product form).
pub(crate) fn field_errors_as(
    e: &ValidationErrors,
    rename: impl Fn(&str) -> String,
) -> Map<String, Value> {
    let mut m = Map::new();
    for f in &e.0 {
        add_error(&mut m, &rename(&f.field), &f.code);
    }
    m
}

/// Adds the domain's own verdict to errors the form already found, so a form with a bad date
/// and an empty name shows both messages at once instead of one per round trip.
pub(crate) fn merge_domain<T>(
    errs: &mut Map<String, Value>,
    verdict: Result<T, ValidationErrors>,
    rename: impl Fn(&str) -> String,
) {
    if let Err(e) = verdict {
        for f in &e.0 {
            add_error(errs, &rename(&f.field), &f.code);
        }
    }
}

/// Trimmed text, `None` when empty.
pub(crate) fn blank(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// An optional `YYYY-MM-DD` date (what `<input type="date">` sends); a bad one is an error next
/// to `field`. The year range is the API's, so both backends store the same dates.
pub(crate) fn optional_date(
    s: &str,
    field: &str,
    errs: &mut Map<String, Value>,
) -> Option<NaiveDate> {
    let s = blank(s)?;
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) if crate::api::date_in_range(d) => Some(d),
        Ok(_) => {
            add_error(errs, field, "out_of_range");
            None
        }
        Err(_) => {
            add_error(errs, field, "invalid");
            None
        }
    }
}

/// An optional date and time as `<input type="datetime-local">` sends it (`YYYY-MM-DDTHH:MM`,
/// seconds optional), read as UTC — the UI shows every instant in UTC and says so.
pub(crate) fn optional_datetime(
    s: &str,
    field: &str,
    errs: &mut Map<String, Value>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = blank(s)?;
    let parsed = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok());
    match parsed {
        Some(t) if crate::api::date_in_range(t.date()) => Some(t.and_utc()),
        Some(_) => {
            add_error(errs, field, "out_of_range");
            None
        }
        None => {
            add_error(errs, field, "invalid");
            None
        }
    }
}

/// The value of an `<input type="datetime-local">` for an instant (UTC, minutes).
pub(crate) fn datetime_value(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// A record id from the URL: a positive number, anything else is "not found".
pub(crate) fn path_id(s: &str) -> Result<i64, UiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(UiError::NotFound)
}

/// Fails with "not found" unless the customer exists and is inside the user's scope; returns
/// the customer's name for the page heading.
pub(crate) async fn customer_in_reach(
    state: &AppState,
    page: &Page,
    id: CustomerId,
) -> Result<String, UiError> {
    let caller = page.user()?;
    if !state.store.customer_in_scope(id, caller.scope).await? {
        return Err(UiError::NotFound);
    }
    Ok(state.store.get_customer(id).await?.name)
}

/// Turns a handler's result into the response, rendering a failure in the page's language.
pub(crate) fn respond(r: Result<Response, UiError>, page: &Page) -> Response {
    match r {
        Ok(r) => r,
        Err(e) => e.render(page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::FieldError;

    #[test]
    fn unknown_codes_read_as_invalid_and_names_are_renamed() {
        let e = ValidationErrors(vec![
            FieldError::new("lines[0].quantity", "not_positive", "x"),
            FieldError::new("lines[0].quantity", "too_large", "x"),
            FieldError::new("name", "whatever", "x"),
        ]);
        let m = field_errors_as(&e, |f| {
            f.replace("lines[0].", "").replace("quantity", "qty")
        });
        assert_eq!(m["qty"], "not_positive");
        assert_eq!(m["name"], "invalid");
    }

    #[test]
    fn dates_and_times_parse_or_say_why_not() {
        let mut errs = Map::new();
        assert!(optional_date("", "d", &mut errs).is_none());
        assert!(optional_date("2024-02-29", "d", &mut errs).is_some());
        assert!(errs.is_empty());
        assert!(optional_date("2023-02-29", "d", &mut errs).is_none());
        assert_eq!(errs["d"], "invalid");
        let t = optional_datetime("2025-03-05T14:30", "t", &mut errs).expect("t");
        assert_eq!(datetime_value(t), "2025-03-05T14:30");
        assert!(optional_datetime("yesterday", "t2", &mut errs).is_none());
        assert_eq!(errs["t2"], "invalid");
    }
}

/// The form of a "really delete?" page: only its CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    pub csrf: String,
}

/// What a "really delete?" page is about: a record of one customer.
pub(crate) struct DeleteTarget {
    /// Message key of the heading (`delete-order`, …).
    pub heading: &'static str,
    /// The record as the user knows it (a name, a date and amount).
    pub what: String,
    pub customer: CustomerId,
    pub customer_name: String,
    /// Where the confirming form posts.
    pub action: String,
    /// Where "cancel" leads (the customer page, at the record's section).
    pub back: String,
}

/// Renders the "really delete?" page: a plain form, no script needed.
pub(crate) fn confirm_delete_page(page: &Page, t: DeleteTarget) -> Response {
    page.render(
        "confirm_delete.html",
        serde_json::json!({
            "heading": t.heading,
            "what": t.what,
            "customer": {"id": t.customer.0, "name": t.customer_name},
            "action": t.action,
            "back": t.back,
        }),
    )
}
