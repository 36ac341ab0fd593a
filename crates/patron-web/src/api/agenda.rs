//! The contact plan over the API (METHOD §3): each user's agenda and what they do about its
//! items, the visit and call policy, the contact settings, and the compliance report.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use patron_core::contact::{ContactPolicy, ContactSettings};
use patron_core::{Permissions, Scope, UserId};
use patron_store::contact::{
    self, Agenda, AgendaActed, AgendaAction, ComplianceRow, Reassignment, ReassignmentFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// The day (default: today in the shop's time zone).
    pub date: Option<NaiveDate>,
    /// Whose agenda (default: the caller's). A business manager may open their team's, the
    /// marketing director, the general manager and administrators anyone's.
    pub user_id: Option<i64>,
}

/// Whether `caller` may see `other`'s agenda.
async fn may_see(state: &AppState, caller: &Caller, other: UserId) -> Result<bool, ApiError> {
    if other == caller.id() {
        return Ok(true);
    }
    Ok(match caller.scope {
        Scope::All => true,
        Scope::Own(_) => false,
        Scope::Team(me) => state.store.team_of(me).await?.iter().any(|u| u.id == other),
    })
}

/// A user's agenda: overdue items, today's, this week's and later ones (pre-season calls whose
/// window opened), each with its reason.
#[utoipa::path(
    get,
    operation_id = "get_agenda",
    path = "/api/v1/agenda",
    tag = "agenda",
    params(AgendaParams),
    responses((status = 200, description = "The agenda", body = Agenda))
)]
pub async fn agenda(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AgendaParams>,
) -> Result<Json<Agenda>, ApiError> {
    let date = super::check_date_param("date", p.date)?;
    let user = match p.user_id {
        None => caller.user.clone(),
        Some(id) => {
            let id = UserId(id);
            if !may_see(&state, &caller, id).await? {
                return Err(patron_store::StoreError::not_found("user", id.0).into());
            }
            state.store.get_user(id).await?
        }
    };
    Ok(Json(
        contact::agenda(state.store.as_ref(), &user, date).await?,
    ))
}

/// An action on one of the caller's agenda items.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgendaActionInput {
    /// The item's `key` as the agenda gave it.
    pub key: String,
    #[serde(flatten)]
    pub action: AgendaAction,
}

/// Does (logging the interaction in the same step), snoozes to a day, or dismisses with a
/// reason one of the caller's agenda items.
#[utoipa::path(
    post,
    operation_id = "act_on_agenda_item",
    path = "/api/v1/agenda/actions",
    tag = "agenda",
    request_body = AgendaActionInput,
    responses((status = 200, description = "What was done", body = AgendaActed))
)]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AgendaActionInput>,
) -> Result<Json<AgendaActed>, ApiError> {
    if let AgendaAction::Snooze { until } = &input.action {
        super::check_date("until", Some(*until))?;
    }
    Ok(Json(
        contact::act(state.store.as_ref(), &caller.user, &input.key, input.action).await?,
    ))
}

/// The visit and call policy (METHOD §3.1): the class × staff-level matrix.
#[utoipa::path(
    get,
    operation_id = "get_contact_policy",
    path = "/api/v1/contact/policy",
    tag = "agenda",
    responses((status = 200, description = "The policy", body = ContactPolicy))
)]
pub async fn policy(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ContactPolicy>, ApiError> {
    Ok(Json(contact::load_policy(state.store.as_ref()).await?))
}

/// Replaces the policy (validated; an error names the cell, e.g. `business_manager.b.visit`).
/// Marketing director, general manager and administrators.
#[utoipa::path(
    put,
    operation_id = "set_contact_policy",
    path = "/api/v1/contact/policy",
    tag = "agenda",
    request_body = ContactPolicy,
    responses((status = 200, description = "The policy as stored", body = ContactPolicy))
)]
pub async fn set_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(policy): ApiJson<ContactPolicy>,
) -> Result<Json<ContactPolicy>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    contact::save_policy(state.store.as_ref(), &policy).await?;
    Ok(Json(policy))
}

/// The contact settings: time zone, the thank-you-card rule, seasons and launches.
#[utoipa::path(
    get,
    operation_id = "get_contact_settings",
    path = "/api/v1/contact/settings",
    tag = "agenda",
    responses((status = 200, description = "The settings", body = ContactSettings))
)]
pub async fn settings(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ContactSettings>, ApiError> {
    Ok(Json(contact::load_settings(state.store.as_ref()).await?))
}

/// Replaces the contact settings (validated). Marketing director, general manager and
/// administrators.
#[utoipa::path(
    put,
    operation_id = "set_contact_settings",
    path = "/api/v1/contact/settings",
    tag = "agenda",
    request_body = ContactSettings,
    responses((status = 200, description = "The settings as stored", body = ContactSettings))
)]
pub async fn set_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(settings): ApiJson<ContactSettings>,
) -> Result<Json<ContactSettings>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    for (i, s) in settings.seasons.iter().enumerate() {
        super::check_date(&format!("seasons[{i}].starts"), Some(s.starts))?;
    }
    contact::save_settings(state.store.as_ref(), &settings).await?;
    Ok(Json(contact::load_settings(state.store.as_ref()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceParams {
    /// A day in the last month of the report (default today).
    pub until: Option<NaiveDate>,
    /// How many months (1–36, default 3).
    pub months: Option<u32>,
}

/// The compliance report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplianceReport {
    pub rows: Vec<ComplianceRow>,
}

/// Visits and calls due by policy against done, per person, class and month. A sales
/// representative sees their own rows, a business manager their team's.
#[utoipa::path(
    get,
    operation_id = "get_contact_compliance",
    path = "/api/v1/contact/compliance",
    tag = "agenda",
    params(ComplianceParams),
    responses((status = 200, description = "The report", body = ComplianceReport))
)]
pub async fn compliance(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ComplianceParams>,
) -> Result<Json<ComplianceReport>, ApiError> {
    let until = super::check_date_param("until", p.until)?;
    let months = p.months.unwrap_or(3);
    if !(1..=36).contains(&months) {
        return Err(ApiError::param("months", "out_of_range", "1 to 36 months"));
    }
    let mut rows = contact::compliance(state.store.as_ref(), until, months).await?;
    match caller.scope {
        Scope::All => {}
        Scope::Own(me) => rows.retain(|r| r.user_id == me),
        Scope::Team(me) => {
            let team: Vec<UserId> = state
                .store
                .team_of(me)
                .await?
                .iter()
                .map(|u| u.id)
                .collect();
            rows.retain(|r| r.user_id == me || team.contains(&r.user_id));
        }
    }
    Ok(Json(ComplianceReport { rows }))
}

/// The caller's iCalendar feed: whether one is live.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeed {
    pub active: bool,
    /// The feed's path (append it to the server's address); only in the answer that created
    /// it — the secret is not kept.
    pub path: Option<String>,
}

/// Whether the caller has a live iCalendar feed.
#[utoipa::path(
    get,
    operation_id = "get_calendar_feed",
    path = "/api/v1/agenda/calendar-feed",
    tag = "agenda",
    responses((status = 200, description = "The feed's state", body = CalendarFeed))
)]
pub async fn feed(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CalendarFeed>, ApiError> {
    Ok(Json(CalendarFeed {
        active: state.store.has_calendar_feed(caller.id()).await?,
        path: None,
    }))
}

/// Creates the caller's iCalendar feed (a secret URL calendar programs subscribe to, with due
/// visits and calls, birthdays, anniversaries, cards and follow-ups); an earlier feed stops
/// working.
#[utoipa::path(
    post,
    operation_id = "create_calendar_feed",
    path = "/api/v1/agenda/calendar-feed",
    tag = "agenda",
    responses((status = 200, description = "The new feed, with its path", body = CalendarFeed))
)]
pub async fn create_feed(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CalendarFeed>, ApiError> {
    let secret = state.store.create_calendar_feed(caller.id()).await?;
    Ok(Json(CalendarFeed {
        active: true,
        path: Some(format!("/calendar/{secret}.ics")),
    }))
}

/// Revokes the caller's iCalendar feed.
#[utoipa::path(
    delete,
    operation_id = "revoke_calendar_feed",
    path = "/api/v1/agenda/calendar-feed",
    tag = "agenda",
    responses((status = 200, description = "The feed's state", body = CalendarFeed))
)]
pub async fn revoke_feed(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CalendarFeed>, ApiError> {
    state.store.revoke_calendar_feeds(caller.id()).await?;
    Ok(Json(CalendarFeed {
        active: false,
        path: None,
    }))
}

/// `GET /calendar/{secret}.ics`: the feed itself, for calendar programs (no sign-in: the secret
/// is the credential). An unknown or revoked secret is a plain 404 that says nothing more.
pub async fn calendar_file(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let Some(secret) = file.strip_suffix(".ics") else {
        return not_found();
    };
    let user = match state.store.user_for_calendar_feed(secret).await {
        Ok(Some(u)) => u,
        Ok(None) => return not_found(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match contact::calendar(state.store.as_ref(), &user).await {
        Ok(ics) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            ics,
        )
            .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The reassignment report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReassignmentReport {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub rows: Vec<Reassignment>,
}

/// Reassignments of owners and relationship managers of customers in the caller's charge
/// (METHOD §3.2), newest first, at most 1,000.
#[utoipa::path(
    get,
    operation_id = "get_contact_reassignments",
    path = "/api/v1/contact/reassignments",
    tag = "agenda",
    params(ReassignmentFilter),
    responses(
        (status = 200, description = "The report", body = ReassignmentReport),
        (status = 400, description = "A parameter is invalid; the message names it")
    )
)]
pub async fn reassignments(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ReassignmentFilter>,
) -> Result<Json<ReassignmentReport>, ApiError> {
    super::check_date_param("from", p.from)?;
    super::check_date_param("to", p.to)?;
    let rows = contact::reassignments(state.store.as_ref(), caller.scope, &p).await?;
    Ok(Json(ReassignmentReport {
        from: p.from,
        to: p.to,
        rows,
    }))
}

/// The digest settings as shown: the password is never sent back, only whether one is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct DigestView {
    #[serde(flatten)]
    pub settings: patron_core::contact::DigestSettings,
    pub password_set: bool,
}

fn digest_view(mut d: patron_core::contact::DigestSettings) -> DigestView {
    let password_set = d.password.take().is_some();
    DigestView {
        settings: d,
        password_set,
    }
}

/// The daily e-mail digest's settings (off by default). Marketing director, general manager
/// and administrators.
#[utoipa::path(
    get,
    operation_id = "get_contact_digest",
    path = "/api/v1/contact/digest",
    tag = "agenda",
    responses(
        (status = 200, description = "The settings, without the password", body = DigestView),
        (status = 403, description = "Not the caller's to see")
    )
)]
pub async fn digest(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<DigestView>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    Ok(Json(digest_view(
        contact::load_digest(state.store.as_ref()).await?,
    )))
}

/// Replaces the digest settings (validated; an enabled digest needs a mail server and a
/// sender). Leave `password` out to keep the stored one; `""` removes it.
#[utoipa::path(
    put,
    operation_id = "set_contact_digest",
    path = "/api/v1/contact/digest",
    tag = "agenda",
    request_body = patron_core::contact::DigestSettings,
    responses(
        (status = 200, description = "The settings as stored", body = DigestView),
        (status = 422, description = "A field is invalid; the answer names it")
    )
)]
pub async fn set_digest(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(d): ApiJson<patron_core::contact::DigestSettings>,
) -> Result<Json<DigestView>, ApiError> {
    if !caller.user.can_set_class_rules() {
        return Err(ApiError::Forbidden);
    }
    let saved = contact::save_digest(state.store.as_ref(), &d).await?;
    Ok(Json(digest_view(saved)))
}

/// Sends the caller's own digest now (to check the mail settings), whatever the schedule and
/// even while the daily digest is off. Answers 502 with the mail server's words when it fails.
#[utoipa::path(
    post,
    operation_id = "send_contact_digest",
    path = "/api/v1/contact/digest/send",
    tag = "agenda",
    responses(
        (status = 200, description = "The mail as sent", body = crate::digest::Composed),
        (status = 422, description = "No mail server is set"),
        (status = 502, description = "The mail server refused or could not be reached")
    )
)]
pub async fn send_digest(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<crate::digest::Composed>, ApiError> {
    let settings = contact::load_digest(state.store.as_ref()).await?;
    if settings.smtp_host.trim().is_empty() || settings.from.trim().is_empty() {
        return Err(ApiError::invalid(
            "smtp_host",
            "required",
            "set the mail server and the sender in the digest settings first",
        ));
    }
    crate::digest::send_now(state.store.as_ref(), &settings, &caller.user, None)
        .await
        .map(Json)
        .map_err(ApiError::Upstream)
}
