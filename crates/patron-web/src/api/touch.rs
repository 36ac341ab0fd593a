//! Keeping in touch over the API (METHOD §3.3): message templates (managers write them, everyone
//! renders and uses them), customer meetings and seminars with invitations, replies and
//! attendance, and the opinions and requests customers voice with their replies (due within 24
//! hours, flagged when overdue). Records of customers outside the caller's scope are not found.

use super::{check_customer_ref, check_limit, created, must_exist};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use patron_core::classify::AbcClass;
use patron_core::{CustomerId, KeyPersonId, Permissions, UserId};
use patron_store::touch::{
    CustomerRequest, Event, EventInput, Invitation, InvitationChange, InvitationReply,
    InviteReport, MessageTemplate, Rendered, ReplyInput, RequestInput, RequestQuery, TemplateInput,
    TemplateKind,
};
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// Templates are shared texts: business managers and above write them, everyone uses them.
fn require_template_rights(caller: &Caller) -> Result<(), ApiError> {
    if caller.user.can_change_archive() {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateListParams {
    pub kind: Option<TemplateKind>,
    /// Only the templates offered for use (default false: retired ones too).
    pub active: Option<bool>,
}

/// Message templates, by kind, language and name.
#[utoipa::path(
    get,
    operation_id = "list_templates",
    path = "/api/v1/templates",
    tag = "touch",
    params(TemplateListParams),
    responses((status = 200, description = "The templates", body = Vec<MessageTemplate>))
)]
pub async fn list_templates(
    State(state): State<AppState>,
    _caller: Caller,
    ApiQuery(p): ApiQuery<TemplateListParams>,
) -> Result<Json<Vec<MessageTemplate>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_templates(p.kind, p.active.unwrap_or(false))
            .await?,
    ))
}

/// Create a template (business managers and above). Placeholders: `{customer}`,
/// `{key_person}`, `{date}`, `{staff}`, `{company}`; `{{` and `}}` are literal braces; an
/// unknown placeholder is a 422 naming it.
#[utoipa::path(
    post,
    operation_id = "create_template",
    path = "/api/v1/templates",
    tag = "touch",
    request_body = TemplateInput,
    responses((status = 201, description = "The template", body = MessageTemplate,
        headers(("Location" = String, description = "URL of the new template"))))
)]
pub async fn create_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Response, ApiError> {
    require_template_rights(&caller)?;
    let t = state
        .store
        .create_template(Some(caller.id()), input)
        .await?;
    Ok(created(format!("/api/v1/templates/{}", t.id), t))
}

/// One template.
#[utoipa::path(
    get,
    operation_id = "get_template",
    path = "/api/v1/templates/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 200, description = "The template", body = MessageTemplate))
)]
pub async fn get_template(
    State(state): State<AppState>,
    _caller: Caller,
    PathId(id): PathId,
) -> Result<Json<MessageTemplate>, ApiError> {
    Ok(Json(state.store.get_template(id).await?))
}

/// Replace a template (business managers and above).
#[utoipa::path(
    put,
    operation_id = "replace_template",
    path = "/api/v1/templates/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Template id")),
    request_body = TemplateInput,
    responses((status = 200, description = "The template as stored", body = MessageTemplate))
)]
pub async fn replace_template(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<MessageTemplate>, ApiError> {
    require_template_rights(&caller)?;
    Ok(Json(state.store.update_template(id, input).await?))
}

/// Delete a template (business managers and above); what was sent with it stays logged.
#[utoipa::path(
    delete,
    operation_id = "delete_template",
    path = "/api/v1/templates/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Template id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_template(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    require_template_rights(&caller)?;
    state.store.delete_template(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// For whom a template is filled in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderInput {
    #[schema(value_type = i64)]
    pub customer_id: CustomerId,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    /// Also log it as an interaction of the template's kind (letter, card, gift,
    /// questionnaire) with the text as notes, as the caller's.
    #[serde(default)]
    pub log: bool,
}

/// A rendered template, and the interaction logged when asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderOutput {
    pub rendered: Rendered,
    pub interaction_id: Option<i64>,
}

/// Fill a template in for a customer (and key person) as the caller writes it today; with
/// `log`, record it in the customer's service record.
#[utoipa::path(
    post,
    operation_id = "render_template",
    path = "/api/v1/templates/{id}/render",
    tag = "touch",
    params(("id" = i64, Path, description = "Template id")),
    request_body = RenderInput,
    responses((status = 200, description = "The text", body = RenderOutput))
)]
pub async fn render_template(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<RenderInput>,
) -> Result<Json<RenderOutput>, ApiError> {
    let store = state.store.as_ref();
    store.get_template(id).await?;
    check_customer_ref(&caller, store, input.customer_id).await?;
    if input.log {
        let used = store
            .use_template(caller.id(), id, input.customer_id, input.key_person_id)
            .await?;
        return Ok(Json(RenderOutput {
            rendered: used.rendered,
            interaction_id: Some(used.interaction_id),
        }));
    }
    let rendered = store
        .render_template(
            id,
            input.customer_id,
            input.key_person_id,
            Some(caller.id()),
        )
        .await?;
    Ok(Json(RenderOutput {
        rendered,
        interaction_id: None,
    }))
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListParams {
    /// Past events too (default: those not yet over, soonest first).
    pub past: Option<bool>,
}

/// Events, with their invitations counted among the customers the caller may see.
#[utoipa::path(
    get,
    operation_id = "list_events",
    path = "/api/v1/events",
    tag = "touch",
    params(EventListParams),
    responses((status = 200, description = "The events", body = Vec<Event>))
)]
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<EventListParams>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let from = (!p.past.unwrap_or(false)).then(Utc::now);
    Ok(Json(state.store.list_events(caller.scope, from).await?))
}

/// Create a customer meeting, seminar or other event (anyone; the creator and business
/// managers and above may change it).
#[utoipa::path(
    post,
    operation_id = "create_event",
    path = "/api/v1/events",
    tag = "touch",
    request_body = EventInput,
    responses((status = 201, description = "The event", body = Event,
        headers(("Location" = String, description = "URL of the new event"))))
)]
pub async fn create_event(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<Response, ApiError> {
    let e = state.store.create_event(Some(caller.id()), input).await?;
    Ok(created(format!("/api/v1/events/{}", e.id), e))
}

/// One event.
#[utoipa::path(
    get,
    operation_id = "get_event",
    path = "/api/v1/events/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Event))
)]
pub async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Event>, ApiError> {
    Ok(Json(state.store.get_event(id, caller.scope).await?))
}

/// Whether the caller may change or delete an event: who created it, or a business manager or
/// above.
pub(crate) fn may_change_event(caller: &Caller, e: &Event) -> bool {
    e.created_by == Some(caller.id()) || caller.user.can_change_archive()
}

/// Replace an event.
#[utoipa::path(
    put,
    operation_id = "replace_event",
    path = "/api/v1/events/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventInput,
    responses((status = 200, description = "The event as stored", body = Event))
)]
pub async fn replace_event(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<Json<Event>, ApiError> {
    let e = state.store.get_event(id, caller.scope).await?;
    if !may_change_event(&caller, &e) {
        return Err(ApiError::Forbidden);
    }
    state.store.update_event(id, input).await?;
    Ok(Json(state.store.get_event(id, caller.scope).await?))
}

/// Delete an event and its invitations (the meetings logged for attendance stay).
#[utoipa::path(
    delete,
    operation_id = "delete_event",
    path = "/api/v1/events/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete_event(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let e = state.store.get_event(id, caller.scope).await?;
    if !may_change_event(&caller, &e) {
        return Err(ApiError::Forbidden);
    }
    state.store.delete_event(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An event's invitations of the customers the caller may see.
#[utoipa::path(
    get,
    operation_id = "list_invitations",
    path = "/api/v1/events/{id}/invitations",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "The invitations", body = Vec<Invitation>))
)]
pub async fn list_invitations(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    Ok(Json(state.store.list_invitations(id, caller.scope).await?))
}

/// Whom to invite: listed customers (or one key person of a single customer), and/or every
/// customer of an ABC class the caller may see.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteInput {
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// A key person of the one customer in `customer_ids`.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    /// Every customer of this class in the caller's scope (e.g. `A`).
    #[serde(default)]
    pub abc_class: Option<AbcClass>,
}

/// Invite customers to an event; those already invited are counted, not invited twice.
#[utoipa::path(
    post,
    operation_id = "invite_to_event",
    path = "/api/v1/events/{id}/invitations",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    request_body = InviteInput,
    responses((status = 200, description = "How many were invited", body = InviteReport))
)]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<InviteInput>,
) -> Result<Json<InviteReport>, ApiError> {
    let store = state.store.as_ref();
    store.get_event(id, caller.scope).await?;
    if input.customer_ids.is_empty() && input.abc_class.is_none() {
        return Err(ApiError::invalid(
            "customer_ids",
            "required",
            "name the customers to invite, or an abc_class",
        ));
    }
    if input.key_person_id.is_some() && input.customer_ids.len() != 1 {
        return Err(ApiError::invalid(
            "key_person_id",
            "ambiguous",
            "a key person is invited with exactly one customer",
        ));
    }
    let mut targets = Vec::with_capacity(input.customer_ids.len());
    for (n, cid) in input.customer_ids.iter().enumerate() {
        let cid = CustomerId(*cid);
        if !store.customer_in_scope(cid, caller.scope).await? {
            return Err(ApiError::invalid(
                &format!("customer_ids[{n}]"),
                "unknown_reference",
                "there is no customer with this id",
            ));
        }
        targets.push((cid, input.key_person_id));
    }
    let mut report = store
        .invite_to_event(Some(caller.id()), id, &targets)
        .await?;
    if let Some(class) = input.abc_class {
        let more = store
            .invite_class_to_event(Some(caller.id()), id, caller.scope, class)
            .await?;
        report.invited += more.invited;
        report.already += more.already;
    }
    Ok(Json(report))
}

/// Which invitation to change (by id, or by its customer and key person), and how.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationPatch {
    #[serde(default)]
    pub invitation_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub key_person_id: Option<KeyPersonId>,
    #[serde(default)]
    pub reply: Option<InvitationReply>,
    /// `true` logs one meeting with the customer; `false` takes it back.
    #[serde(default)]
    pub attended: Option<bool>,
}

/// Record a customer's reply and/or attendance.
#[utoipa::path(
    patch,
    operation_id = "change_invitation",
    path = "/api/v1/events/{id}/invitations",
    tag = "touch",
    params(("id" = i64, Path, description = "Event id")),
    request_body = InvitationPatch,
    responses((status = 200, description = "The invitation", body = Invitation))
)]
pub async fn change_invitation(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(p): ApiJson<InvitationPatch>,
) -> Result<Json<Invitation>, ApiError> {
    let store = state.store.as_ref();
    if p.reply.is_none() && p.attended.is_none() {
        return Err(ApiError::invalid(
            "reply",
            "required",
            "give a reply, attended, or both",
        ));
    }
    let visible = store.list_invitations(id, caller.scope).await?;
    let found = match (p.invitation_id, p.customer_id) {
        (Some(iid), _) => visible.iter().find(|i| i.id == iid),
        (None, Some(cid)) => visible
            .iter()
            .find(|i| i.customer_id == cid && i.key_person_id == p.key_person_id),
        (None, None) => {
            return Err(ApiError::invalid(
                "invitation_id",
                "required",
                "name the invitation, or its customer_id",
            ))
        }
    };
    let field = if p.invitation_id.is_some() {
        "invitation_id"
    } else {
        "customer_id"
    };
    let Some(inv) = found else {
        return Err(ApiError::invalid(
            field,
            "unknown_reference",
            "this event has no such invitation",
        ));
    };
    Ok(Json(
        store
            .change_invitation(
                Some(caller.id()),
                inv.id,
                InvitationChange {
                    reply: p.reply,
                    attended: p.attended,
                },
            )
            .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Customer requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestListParams {
    /// Only those still waiting for a reply.
    pub open: Option<bool>,
    /// Only unreplied ones voiced more than 24 hours ago.
    pub overdue: Option<bool>,
    #[param(value_type = Option<i64>)]
    pub customer_id: Option<CustomerId>,
    /// Only those this user must reply to.
    #[param(value_type = Option<i64>)]
    pub assigned_to: Option<UserId>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Opinions and requests customers voiced (those the caller may see), unreplied first, each
/// flagged `overdue` once 24 hours have passed without a reply.
#[utoipa::path(
    get,
    operation_id = "list_requests",
    path = "/api/v1/requests",
    tag = "touch",
    params(RequestListParams),
    responses((status = 200, description = "The requests", body = Vec<CustomerRequest>))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<RequestListParams>,
) -> Result<Json<Vec<CustomerRequest>>, ApiError> {
    let q = RequestQuery {
        scope: caller.scope,
        customer_id: p.customer_id,
        assigned_to: p.assigned_to,
        open: p.open.unwrap_or(false),
        overdue: p.overdue.unwrap_or(false),
        as_of: None,
        limit: check_limit(p.limit)?,
    };
    Ok(Json(state.store.list_requests(&q).await?))
}

/// Record an opinion or request a customer voiced: the person who must reply (default the
/// customer's relationship manager, else its owner) gets a `reply_due` item on their agenda.
#[utoipa::path(
    post,
    operation_id = "create_request",
    path = "/api/v1/requests",
    tag = "touch",
    request_body = RequestInput,
    responses((status = 201, description = "The request", body = CustomerRequest,
        headers(("Location" = String, description = "URL of the new request"))))
)]
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RequestInput>,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    check_customer_ref(&caller, store, input.customer_id).await?;
    super::check_date(
        "voiced_at",
        input.voiced_at.map(|t: DateTime<Utc>| t.date_naive()),
    )?;
    if let Some(u) = input.assigned_to {
        must_exist(store.get_user(u).await, "assigned_to", "user")?;
    }
    let r = store.create_request(Some(caller.id()), input).await?;
    Ok(created(format!("/api/v1/requests/{}", r.id), r))
}

async fn load_request(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<CustomerRequest, ApiError> {
    let r = state.store.get_request(id).await?;
    if !state
        .store
        .customer_in_scope(r.customer_id, caller.scope)
        .await?
    {
        return Err(StoreError::not_found("customer request", id).into());
    }
    Ok(r)
}

/// One request.
#[utoipa::path(
    get,
    operation_id = "get_request",
    path = "/api/v1/requests/{id}",
    tag = "touch",
    params(("id" = i64, Path, description = "Request id")),
    responses((status = 200, description = "The request", body = CustomerRequest))
)]
pub async fn get_request(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<CustomerRequest>, ApiError> {
    Ok(Json(load_request(&state, &caller, id).await?))
}

/// Reply to a request: logged as an interaction (a call unless `kind` says otherwise) as the
/// caller's; it ends the request's agenda item. A second reply is a 409.
#[utoipa::path(
    post,
    operation_id = "reply_to_request",
    path = "/api/v1/requests/{id}/reply",
    tag = "touch",
    params(("id" = i64, Path, description = "Request id")),
    request_body = ReplyInput,
    responses((status = 200, description = "The request with its reply", body = CustomerRequest))
)]
pub async fn reply_request(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ReplyInput>,
) -> Result<Json<CustomerRequest>, ApiError> {
    load_request(&state, &caller, id).await?;
    Ok(Json(
        state.store.reply_request(caller.id(), id, input).await?,
    ))
}
