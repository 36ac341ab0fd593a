//! The one place where failures become HTTP responses.
//!
//! Every handler and extractor returns [`ApiError`]; its single [`IntoResponse`] impl chooses the
//! status, writes an RFC 9457 `application/problem+json` body with a stable `code` and, where
//! there is one, the offending `field`, and logs the cause. Keeping the mapping here means a new
//! store error or a new extractor cannot invent its own error format, and internal error text
//! (SQL, file paths) can only reach the log, never the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use patron_core::{FieldError, ValidationErrors};
use patron_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document, as every error response carries it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` member carries the machine-readable kind, so clients
    /// need not dereference a URI.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP status phrase (as RFC 9457 asks for `about:blank`).
    pub title: String,
    pub status: u16,
    /// A human sentence about this occurrence.
    pub detail: String,
    /// A stable machine-readable code (`not_found`, `invalid_email`, `malformed_json`, …).
    pub code: String,
    /// The request field or parameter at fault (`email`, `lines[0].quantity`, `limit`, `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field error when the record was validated (the first one is also in `field`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Validation done by the web layer itself (references, currency codes).
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// The body is not JSON at all.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// The body is JSON but does not fit the expected shape (wrong type, missing or unknown field).
    #[error("body does not fit at {field:?}: {message}")]
    Body {
        field: Option<String>,
        code: &'static str,
        message: String,
    },
    /// A path or query parameter could not be parsed.
    #[error("bad parameter {param}: {message}")]
    Param {
        param: String,
        code: String,
        message: String,
    },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body could not be read (the client went away, broken chunking).
    #[error("could not read the request body")]
    BodyUnreadable,
    /// No valid session or API token (`WWW-Authenticate: Bearer` is set on the answer).
    #[error("authentication required")]
    Unauthorized,
    /// Signed in, but this role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Signed in, but this role may not do what one member of the request asks (an order's
    /// `credit_override`): the answer names it, so a client knows what to leave out.
    #[error("forbidden: {field}")]
    ForbiddenField { field: String, message: String },
    /// A state-changing request with a session cookie but without its CSRF token.
    #[error("CSRF token missing or wrong")]
    CsrfRejected,
    #[error("no such route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A server Patron talks to (the mail server) refused or could not be reached; the text
    /// says which and why, for the user to fix the settings.
    #[error("upstream: {0}")]
    Upstream(String),
    /// A bug or an impossible state in the web layer; the text is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn param(param: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Param {
            param: param.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldError::new(field, code, message).into())
    }

    /// The status and problem body; separate from `into_response` so it can be unit-tested and
    /// so logging happens exactly once.
    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Store(e) => store_problem(e),
            ApiError::Invalid(errs) => validation_problem(errs),
            ApiError::MalformedJson {
                line,
                column,
                message,
            } => problem(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON at line {line}, column {column}: {message}"),
                None,
            ),
            ApiError::Body {
                field,
                code,
                message,
            } => problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                match field {
                    Some(f) => format!("{f}: {message}"),
                    None => message.clone(),
                },
                field.clone(),
            ),
            ApiError::Param {
                param,
                code,
                message,
            } => problem(
                StatusCode::BAD_REQUEST,
                code,
                format!("parameter {param}: {message}"),
                Some(param.clone()),
            ),
            ApiError::UnsupportedMediaType => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json (PATCH also accepts application/merge-patch+json)"
                    .into(),
                None,
            ),
            ApiError::PayloadTooLarge => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} bytes", crate::BODY_LIMIT),
                None,
            ),
            ApiError::BodyUnreadable => problem(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                "the request body could not be read".into(),
                None,
            ),
            ApiError::Unauthorized => problem(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in, or send a personal API token as 'Authorization: Bearer TOKEN'".into(),
                None,
            ),
            ApiError::Forbidden => problem(
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role does not allow this".into(),
                None,
            ),
            ApiError::ForbiddenField { field, message } => problem(
                StatusCode::FORBIDDEN,
                "forbidden",
                message.clone(),
                Some(field.clone()),
            ),
            ApiError::CsrfRejected => problem(
                StatusCode::FORBIDDEN,
                "csrf_rejected",
                "a request authenticated by a session cookie must carry the session's \
                 X-CSRF-Token header"
                    .into(),
                None,
            ),
            ApiError::RouteNotFound => problem(
                StatusCode::NOT_FOUND,
                "route_not_found",
                "there is no such resource; the API is described at /api/v1/openapi.json".into(),
                None,
            ),
            ApiError::MethodNotAllowed => problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this resource does not support the method; see the Allow header".into(),
                None,
            ),
            ApiError::Upstream(detail) => problem(
                StatusCode::BAD_GATEWAY,
                "upstream_failed",
                detail.clone(),
                None,
            ),
            ApiError::Internal(_) => internal_problem(),
        }
    }

    /// Logs at a level that matches who is at fault: the server's own failures as errors,
    /// client mistakes at debug so a fuzzer cannot flood the log.
    fn log(&self, status: StatusCode) {
        match self {
            ApiError::Store(StoreError::Other { .. }) | ApiError::Internal(_) => {
                tracing::error!(error = %error_chain(self), "request failed");
            }
            _ if status.is_server_error() => {
                tracing::error!(error = %error_chain(self), "request failed");
            }
            _ => tracing::debug!(error = %self, status = status.as_u16(), "request rejected"),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Invalid(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.problem();
        let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.log(status);
        let unauthorized = matches!(self, ApiError::Unauthorized);
        let mut res = problem_response(status, &body);
        if unauthorized {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"patron\""),
            );
        }
        res
    }
}

/// Serialises a problem with the right status and content type.
fn problem_response(status: StatusCode, body: &Problem) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            bytes,
        )
            .into_response(),
        // A struct of strings cannot fail to serialise; answer anyway rather than panic.
        Err(_) => status.into_response(),
    }
}

/// The whole `source()` chain in one line, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        // Wrappers often repeat their source in their own message; say it once.
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cur = c.source();
    }
    s
}

fn problem(status: StatusCode, code: &str, detail: String, field: Option<String>) -> Problem {
    Problem {
        problem_type: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail,
        code: code.into(),
        field,
        errors: None,
    }
}

fn internal_problem() -> Problem {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "the server failed to handle the request; the cause has been logged".into(),
        None,
    )
}

fn validation_problem(errs: &ValidationErrors) -> Problem {
    let Some(first) = errs.first() else {
        // An empty error list is a bug in whoever built it, but still the client's request.
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "the request is invalid".into(),
            None,
        );
    };
    let more = errs.0.len() - 1;
    let detail = if more == 0 {
        format!("{}: {}", first.field, first.message)
    } else {
        format!("{}: {} (and {more} more)", first.field, first.message)
    };
    let mut p = problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        &first.code,
        detail,
        Some(first.field.clone()),
    );
    p.errors = Some(errs.0.clone());
    p
}

fn store_problem(e: &StoreError) -> Problem {
    match e {
        StoreError::NotFound { entity, id } => problem(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{entity} {id} does not exist"),
            None,
        ),
        // The store writes conflict messages for people ("another record already has this
        // email"); they name no table or constraint.
        StoreError::Conflict { field, message } => problem(
            StatusCode::CONFLICT,
            "conflict",
            message.clone(),
            field.clone(),
        ),
        StoreError::Invalid(errs) => validation_problem(errs),
        StoreError::Other { .. } => internal_problem(),
    }
}

/// The answer to a panic caught by the catch-panic layer: logged, and a generic 500 problem.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "non-string panic payload".to_owned()
    };
    ApiError::Internal(format!("handler panicked: {what}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_errors_do_not_leak() {
        let e = ApiError::Store(StoreError::other(
            "select customers",
            std::io::Error::other("password=hunter2 at /var/db"),
        ));
        let p = e.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("hunter2"));
        assert!(!p.detail.contains("select"));
        assert_eq!(p.code, "internal_error");
    }

    #[test]
    fn validation_names_first_field_and_lists_all() {
        let mut errs = ValidationErrors::default();
        errs.push(FieldError::new("email", "invalid_email", "bad"));
        errs.push(FieldError::new("phone", "invalid_phone", "bad"));
        let p = ApiError::Store(StoreError::Invalid(errs)).problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.field.as_deref(), Some("email"));
        assert_eq!(p.code, "invalid_email");
        assert_eq!(p.errors.map(|e| e.len()), Some(2));
    }

    #[test]
    fn store_mapping() {
        assert_eq!(
            ApiError::Store(StoreError::not_found("customer", 7))
                .problem()
                .status,
            404
        );
        let c = ApiError::Store(StoreError::conflict(Some("email"), "taken")).problem();
        assert_eq!((c.status, c.field.as_deref()), (409, Some("email")));
    }

    #[test]
    fn a_panic_is_a_generic_500_problem() {
        let res = panic_response(Box::new("index out of bounds: secret detail"));
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(PROBLEM_JSON)
        );
    }

    #[test]
    fn chain_says_each_cause_once() {
        let e = ApiError::Store(StoreError::other(
            "loading",
            std::io::Error::other("disk gone"),
        ));
        assert_eq!(error_chain(&e), "storage error: loading: disk gone");
    }

    #[test]
    fn shape_omits_absent_members() {
        let v = serde_json::to_value(ApiError::RouteNotFound.problem()).expect("json");
        assert_eq!(v["type"], "about:blank");
        assert_eq!(v["status"], 404);
        assert!(v.get("field").is_none());
        assert!(v.get("errors").is_none());
    }
}
