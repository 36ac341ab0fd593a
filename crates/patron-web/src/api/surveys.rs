//! Surveys and public links over the API (METHOD §5): questionnaires (defined by business
//! managers and above, read by everyone), answers taken on a call, a questionnaire's summary and
//! answers, and the public links a customer answers through without signing in.
//! Record-level access: a customer outside the caller's scope is a 404.

use super::{check_limit, created};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use patron_core::survey::SurveyDef;
use patron_core::{CustomerId, Permissions};
use patron_store::surveys::{
    LinkInput, PublicLink, Response as SurveyResponse, ResponseInput, Survey, SurveySummary,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// 403 unless the caller may define questionnaires (business managers and above).
fn require_designer(caller: &Caller) -> Result<(), ApiError> {
    if caller.user.can_change_archive() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// A questionnaire as sent to `POST /api/v1/surveys` and `PUT /api/v1/surveys/{id}`: its
/// texts in English (required) and optionally `zh-CN`, `zh-TW` and `ko`. Unknown fields are
/// refused (422 naming the field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    pub title: patron_core::survey::Texts,
    #[serde(default)]
    pub intro: patron_core::survey::Texts,
    pub aspects: Vec<patron_core::survey::AspectDef>,
    /// Whether new answers and links may be made for it (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<SurveyInput> for SurveyDef {
    fn from(i: SurveyInput) -> SurveyDef {
        SurveyDef {
            title: i.title,
            intro: i.intro,
            aspects: i.aspects,
            active: i.active.unwrap_or(true),
        }
    }
}

/// Every questionnaire, active ones first.
#[utoipa::path(
    get,
    operation_id = "list_surveys",
    path = "/api/v1/surveys",
    tag = "surveys",
    responses((status = 200, description = "The questionnaires", body = [Survey]))
)]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Survey>>, ApiError> {
    Ok(Json(state.store.list_surveys().await?))
}

/// Define a questionnaire: title, introduction and aspects, each in English and optionally in
/// Simplified and Traditional Chinese and Korean (business managers and above).
#[utoipa::path(
    post,
    operation_id = "create_survey",
    path = "/api/v1/surveys",
    tag = "surveys",
    request_body = SurveyInput,
    responses((status = 201, description = "The questionnaire", body = Survey))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(def): ApiJson<SurveyInput>,
) -> Result<Response, ApiError> {
    require_designer(&caller)?;
    let def = SurveyDef::from(def);
    let s = state.store.create_survey(Some(caller.id()), &def).await?;
    Ok(created(format!("/api/v1/surveys/{}", s.id), s))
}

/// A questionnaire with the summary of its answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyView {
    #[serde(flatten)]
    pub survey: Survey,
    pub summary: SurveySummary,
}

/// One questionnaire and its answers summed per aspect (mean expectation and perception,
/// dissatisfied / basically / very satisfied counts), praise and by-name answers.
#[utoipa::path(
    get,
    operation_id = "get_survey",
    path = "/api/v1/surveys/{id}",
    tag = "surveys",
    params(("id" = i64, Path, description = "Survey id")),
    responses((status = 200, description = "The questionnaire", body = SurveyView))
)]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    PathId(id): PathId,
) -> Result<Json<SurveyView>, ApiError> {
    let survey = state.store.get_survey(id).await?;
    let summary = state.store.survey_summary(id).await?;
    Ok(Json(SurveyView { survey, summary }))
}

/// Replace a questionnaire's texts and aspects, or deactivate it (`active: false`); answers
/// already given stay (business managers and above).
#[utoipa::path(
    put,
    operation_id = "update_survey",
    path = "/api/v1/surveys/{id}",
    tag = "surveys",
    params(("id" = i64, Path, description = "Survey id")),
    request_body = SurveyInput,
    responses((status = 200, description = "The questionnaire", body = Survey))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(def): ApiJson<SurveyInput>,
) -> Result<Json<Survey>, ApiError> {
    require_designer(&caller)?;
    let def = SurveyDef::from(def);
    Ok(Json(state.store.update_survey(id, &def).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LimitParams {
    /// At most this many, newest first (default 50, at most 500).
    pub limit: Option<u32>,
}

/// A questionnaire's latest answers from customers the caller may see.
#[utoipa::path(
    get,
    operation_id = "list_survey_responses",
    path = "/api/v1/surveys/{id}/responses",
    tag = "surveys",
    params(("id" = i64, Path, description = "Survey id"), LimitParams),
    responses((status = 200, description = "The answers", body = [SurveyResponse]))
)]
pub async fn responses(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<SurveyResponse>>, ApiError> {
    state.store.get_survey(id).await?;
    let limit = check_limit(p.limit)?.unwrap_or(50);
    Ok(Json(
        state
            .store
            .survey_responses(id, caller.scope, limit)
            .await?,
    ))
}

/// The customer's latest answers to any questionnaire.
#[utoipa::path(
    get,
    operation_id = "list_customer_survey_responses",
    path = "/api/v1/customers/{id}/survey-responses",
    tag = "surveys",
    params(("id" = i64, Path, description = "Customer id"), LimitParams),
    responses((status = 200, description = "The answers", body = [SurveyResponse]))
)]
pub async fn customer_responses(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<LimitParams>,
) -> Result<Json<Vec<SurveyResponse>>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let limit = check_limit(p.limit)?.unwrap_or(50);
    Ok(Json(
        state.store.customer_survey_responses(id, limit).await?,
    ))
}

/// Record the answers the customer gave on a call, as the caller's. The product and service
/// answers become the customer's latest satisfaction ratings (score 3 + perceived − expected),
/// so the loyalty-matrix quadrant follows.
#[utoipa::path(
    post,
    operation_id = "create_survey_response",
    path = "/api/v1/customers/{id}/survey-responses",
    tag = "surveys",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = ResponseInput,
    responses((status = 201, description = "The answer", body = SurveyResponse))
)]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ResponseInput>,
) -> Result<Response, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let now = state.config.clock.now();
    let r = state
        .store
        .record_survey_response(Some(caller.id()), id, &input, now)
        .await?;
    Ok(created(
        format!("/api/v1/customers/{id}/survey-responses"),
        r,
    ))
}

/// The customer's public links (never their secrets).
#[utoipa::path(
    get,
    operation_id = "list_public_links",
    path = "/api/v1/customers/{id}/public-links",
    tag = "surveys",
    params(("id" = i64, Path, description = "Customer id")),
    responses((status = 200, description = "The links, newest first", body = [PublicLink]))
)]
pub async fn links(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Vec<PublicLink>>, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    Ok(Json(state.store.public_links(id).await?))
}

/// A link just made: `url` is what to send the customer; it is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewLinkView {
    pub url: String,
    /// The path part of `url` (`/p/…`).
    pub path: String,
    pub link: PublicLink,
}

/// The address the server was reached at, for the absolute link (`https` when cookies are
/// marked secure, i.e. Patron is served over https).
pub fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// Make a public link for the customer — a survey (`purpose: survey`, `survey_id`) or a
/// complaint/opinion form (`purpose: complaint`) — in the customer's language, valid for `days`
/// (default 14, at most 90) and for one answer. Only the link's hash is kept.
#[utoipa::path(
    post,
    operation_id = "create_public_link",
    path = "/api/v1/customers/{id}/public-links",
    tag = "surveys",
    params(("id" = i64, Path, description = "Customer id")),
    request_body = LinkInput,
    responses((status = 201, description = "The link", body = NewLinkView))
)]
pub async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    PathId(id): PathId,
    ApiJson(input): ApiJson<LinkInput>,
) -> Result<Response, ApiError> {
    let id = CustomerId(id);
    caller.require_customer(state.store.as_ref(), id).await?;
    let now = state.config.clock.now();
    let made = state
        .store
        .create_public_link(Some(caller.id()), id, &input, now)
        .await?;
    let path = format!("/p/{}", made.secret);
    let view = NewLinkView {
        url: format!("{}{path}", origin(&state, &headers)),
        path,
        link: made.link,
    };
    Ok(created(
        format!("/api/v1/customers/{id}/public-links"),
        view,
    ))
}

/// The `{id}` and `{link_id}` of a link's path; anything but integers is a 400 naming the
/// segment.
#[derive(Debug, Clone, Copy)]
pub struct LinkPath {
    pub customer: CustomerId,
    pub link: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for LinkPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let bad = |p: &str| ApiError::param(p, "invalid_id", "must be an integer");
        let Path((customer, link)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad("id"))?;
        let customer = customer.parse::<i64>().map_err(|_| bad("id"))?;
        let link = link.parse::<i64>().map_err(|_| bad("link_id"))?;
        Ok(LinkPath {
            customer: CustomerId(customer),
            link,
        })
    }
}

/// Revoke a link: opening it then shows only that it is no longer valid.
#[utoipa::path(
    delete,
    operation_id = "revoke_public_link",
    path = "/api/v1/customers/{id}/public-links/{link_id}",
    tag = "surveys",
    params(
        ("id" = i64, Path, description = "Customer id"),
        ("link_id" = i64, Path, description = "Link id")
    ),
    responses((status = 204, description = "Revoked"))
)]
pub async fn revoke_link(
    State(state): State<AppState>,
    caller: Caller,
    p: LinkPath,
) -> Result<Response, ApiError> {
    caller
        .require_customer(state.store.as_ref(), p.customer)
        .await?;
    let now = state.config.clock.now();
    state
        .store
        .revoke_public_link(p.customer, p.link, now)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
