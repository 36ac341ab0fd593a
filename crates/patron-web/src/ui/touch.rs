//! Keeping in touch in the UI (METHOD §3.3):
//!
//! * `/templates` — message templates for letters, cards, gifts and questionnaires (business
//!   managers and above write them; everyone uses them), and `/templates/use?customer=ID` —
//!   pick a template (and key person) for a customer, preview the text, log it as an
//!   interaction of the template's kind;
//! * `/events` and `/events/{id}` — customer meetings and seminars: invitations (one customer,
//!   or every A-class customer in the user's scope), replies and attendance (attending logs a
//!   meeting with the customer);
//! * `/requests` — "replies due": what customers voiced, unreplied first, those past 24 hours
//!   flagged, each with its reply form; `/customers/{id}/requests/new` records one.
//!
//! Forms work without JavaScript; a refused form is shown again with the messages next to the
//! fields. Records of customers outside the user's scope read as "not found".

use super::forms::{
    add_error_key as add, blank, customer_in_reach, datetime_value, optional_datetime, path_id,
    respond, ConfirmForm,
};
use super::i18n::{self, Lang};
use super::interaction_form::key_person_choices;
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::Utc;
use patron_core::classify::AbcClass;
use patron_core::{
    CustomerId, InteractionKind, KeyPersonId, Permissions, UserId, ValidationErrors,
};
use patron_store::touch::{
    CustomerRequest, Event, EventInput, EventKind, Invitation, InvitationChange, InvitationReply,
    MessageTemplate, ReplyInput, RequestInput, RequestKind, RequestQuery, TemplateInput,
    TemplateKind, PLACEHOLDERS, TEMPLATE_LANGUAGES,
};
use patron_store::{CustomerQuery, CustomerSort, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Error codes of this part that have their own message (`touch-error-CODE`).
const OWN_CODES: &[&str] = &[
    "unknown_placeholder",
    "unclosed_placeholder",
    "unopened_placeholder",
    "invalid_language",
    "before_start",
];

/// `field → message key` for a form, and the placeholder an `unknown_placeholder` names.
fn form_errors(e: &ValidationErrors, errs: &mut Map<String, Value>) -> Option<String> {
    let mut placeholder = None;
    for f in &e.0 {
        let key = if OWN_CODES.contains(&f.code.as_str()) {
            if f.code == "unknown_placeholder" {
                // The message begins with the placeholder as written: "{custmer} is not …".
                placeholder = f.message.split(' ').next().map(str::to_owned);
            }
            format!("touch-error-{}", f.code.replace('_', "-"))
        } else if f.field == "assigned_to" && f.code == "outside_scope" {
            "touch-error-assignee-outside-scope".to_owned()
        } else {
            format!("error-{}", super::forms::code_key(&f.code))
        };
        errs.entry(f.field.clone()).or_insert(Value::String(key));
    }
    placeholder
}

fn status_of(errs: &Map<String, Value>) -> StatusCode {
    if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/// The template form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TemplateForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

impl TemplateForm {
    fn of(t: &MessageTemplate) -> Self {
        TemplateForm {
            csrf: String::new(),
            kind: t.kind.as_str().into(),
            name: t.name.clone(),
            language: t.language.clone(),
            subject: t.subject.clone().unwrap_or_default(),
            body: t.body.clone(),
            active: t.active.then(|| "1".into()),
        }
    }

    fn fresh(lang: Lang) -> Self {
        TemplateForm {
            kind: "card".into(),
            language: lang.tag().into(),
            active: Some("1".into()),
            ..Default::default()
        }
    }

    fn input(&self, errs: &mut Map<String, Value>) -> Option<TemplateInput> {
        let kind = match TemplateKind::parse("kind", &self.kind) {
            Ok(k) => Some(k),
            Err(_) => {
                add(errs, "kind", "invalid");
                None
            }
        };
        Some(TemplateInput {
            kind: kind?,
            name: self.name.clone(),
            language: self.language.clone(),
            subject: blank(&self.subject),
            body: self.body.clone(),
            active: self.active.is_some(),
        })
    }
}

fn template_view(lang: Lang, t: &MessageTemplate) -> Value {
    json!({
        "id": t.id,
        "kind": t.kind.as_str(),
        "name": t.name,
        "language": t.language,
        "subject": t.subject,
        "body": t.body,
        "excerpt": excerpt(&t.body, 160),
        "active": t.active,
        "updated": i18n::date(lang, t.updated_at.date_naive()),
    })
}

/// The first `n` characters of a text, "…" when cut.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

fn template_choices() -> Value {
    json!({
        "kinds": TemplateKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "languages": TEMPLATE_LANGUAGES,
        "placeholders": PLACEHOLDERS.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(" "),
    })
}

async fn templates_page(
    state: &AppState,
    page: &Page,
    form: &TemplateForm,
    errs: Map<String, Value>,
    placeholder: Option<String>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let all = state.store.list_templates(None, false).await?;
    let can_edit = caller.user.can_change_archive();
    Ok(page.render_status(
        status_of(&errs),
        "touch_templates.html",
        json!({
            "templates": all.iter().filter(|t| can_edit || t.active)
                .map(|t| template_view(page.lang, t)).collect::<Vec<_>>(),
            "can_edit": can_edit,
            "f": form,
            "errors": errs,
            "placeholder": placeholder,
            "choices": template_choices(),
        }),
    ))
}

/// `GET /templates`.
pub async fn templates(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        templates_page(
            &state,
            &page,
            &TemplateForm::fresh(page.lang),
            Map::new(),
            None,
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /templates`: a new template (business managers and above).
pub async fn create_template(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<TemplateForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !caller.user.can_change_archive() {
            return Err(UiError::Forbidden);
        }
        let mut errs = Map::new();
        let mut placeholder = None;
        if let Some(input) = f.input(&mut errs) {
            match state.store.create_template(Some(caller.id()), input).await {
                Ok(_) => return Ok(super::see_other("/templates")),
                Err(StoreError::Invalid(e)) => placeholder = form_errors(&e, &mut errs),
                Err(e) => return Err(e.into()),
            }
        }
        templates_page(&state, &page, &f, errs, placeholder).await
    };
    respond(run.await, &page)
}

async fn template_form_page(
    page: &Page,
    id: i64,
    form: &TemplateForm,
    errs: Map<String, Value>,
    placeholder: Option<String>,
) -> Response {
    page.render_status(
        status_of(&errs),
        "touch_template_form.html",
        json!({
            "id": id,
            "f": form,
            "errors": errs,
            "placeholder": placeholder,
            "choices": template_choices(),
        }),
    )
}

/// `GET /templates/{id}/edit`.
pub async fn edit_template(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        if !caller.user.can_change_archive() {
            return Err(UiError::Forbidden);
        }
        let t = state.store.get_template(path_id(&id)?).await?;
        Ok(template_form_page(&page, t.id, &TemplateForm::of(&t), Map::new(), None).await)
    };
    respond(run.await, &page)
}

/// `POST /templates/{id}/edit`.
pub async fn update_template(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<TemplateForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !caller.user.can_change_archive() {
            return Err(UiError::Forbidden);
        }
        let id = state.store.get_template(path_id(&id)?).await?.id;
        let mut errs = Map::new();
        let mut placeholder = None;
        if let Some(input) = f.input(&mut errs) {
            match state.store.update_template(id, input).await {
                Ok(_) => return Ok(super::see_other("/templates")),
                Err(StoreError::Invalid(e)) => placeholder = form_errors(&e, &mut errs),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(template_form_page(&page, id, &f, errs, placeholder).await)
    };
    respond(run.await, &page)
}

/// `POST /templates/{id}/delete`.
pub async fn delete_template(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !caller.user.can_change_archive() {
            return Err(UiError::Forbidden);
        }
        state.store.delete_template(path_id(&id)?).await?;
        Ok(super::see_other("/templates"))
    };
    respond(run.await, &page)
}

/// What the "use a template" page is asked for (its GET shows a preview).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct UseForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    key_person: String,
}

/// The customer, template and key person a use form names; errors next to the fields.
async fn use_choice(
    state: &AppState,
    page: &Page,
    f: &UseForm,
    errs: &mut Map<String, Value>,
) -> Result<(CustomerId, String, Option<i64>, Option<KeyPersonId>), UiError> {
    let customer = CustomerId(path_id(f.customer.trim())?);
    let name = customer_in_reach(state, page, customer).await?;
    let template = match blank(&f.template).map(|t| t.parse::<i64>()) {
        None => None,
        Some(Ok(n)) => match state.store.get_template(n).await {
            Ok(t) if t.active => Some(t.id),
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                add(errs, "template", "unknown_reference");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Some(Err(_)) => {
            add(errs, "template", "invalid");
            None
        }
    };
    let key_person = match blank(&f.key_person).map(|k| k.parse::<i64>()) {
        None => None,
        Some(Ok(n)) => match state.store.get_key_person(KeyPersonId(n)).await {
            Ok(k) if k.customer_id == customer => Some(k.id),
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                add(errs, "key_person", "unknown_reference");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Some(Err(_)) => {
            add(errs, "key_person", "invalid");
            None
        }
    };
    Ok((customer, name, template, key_person))
}

async fn use_page(
    state: &AppState,
    page: &Page,
    f: &UseForm,
    mut errs: Map<String, Value>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let (customer, name, template, key_person) = use_choice(state, page, f, &mut errs).await?;
    let preview = match template {
        Some(t) if errs.is_empty() => Some(
            state
                .store
                .render_template(t, customer, key_person, Some(caller.id()))
                .await?,
        ),
        _ => None,
    };
    let templates = state.store.list_templates(None, true).await?;
    Ok(page.render_status(
        status_of(&errs),
        "touch_use.html",
        json!({
            "customer": {"id": customer.0, "name": name},
            "templates": templates.iter().map(|t| template_view(page.lang, t)).collect::<Vec<_>>(),
            "key_persons": key_person_choices(state, page, customer).await?,
            "f": f,
            "preview": preview,
            "errors": errs,
        }),
    ))
}

/// `GET /templates/use?customer=ID[&template=ID&key_person=ID]`: the choice and its preview.
pub async fn use_form(
    State(state): State<AppState>,
    page: Page,
    Query(f): Query<UseForm>,
) -> Response {
    let run = async { use_page(&state, &page, &f, Map::new()).await };
    respond(run.await, &page)
}

/// `POST /templates/use`: logs the rendered template as an interaction of its kind.
pub async fn use_submit(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<UseForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let mut errs = Map::new();
        let (customer, _, template, key_person) = use_choice(&state, &page, &f, &mut errs).await?;
        match template {
            Some(t) if errs.is_empty() => {
                match state
                    .store
                    .use_template(caller.id(), t, customer, key_person)
                    .await
                {
                    Ok(_) => {
                        return Ok(super::see_other(&format!("/customers/{customer}#timeline")))
                    }
                    Err(StoreError::Invalid(e)) => {
                        form_errors(&e, &mut errs);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            None if errs.is_empty() => add(&mut errs, "template", "required"),
            _ => {}
        }
        use_page(&state, &page, &f, errs).await
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// The event form, as typed (times in UTC, as the UI shows every instant).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct EventForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    description: String,
}

impl EventForm {
    fn of(e: &Event) -> Self {
        EventForm {
            csrf: String::new(),
            kind: e.kind.as_str().into(),
            title: e.title.clone(),
            starts_at: datetime_value(e.starts_at),
            ends_at: e.ends_at.map(datetime_value).unwrap_or_default(),
            place: e.place.clone().unwrap_or_default(),
            description: e.description.clone().unwrap_or_default(),
        }
    }

    fn input(&self, errs: &mut Map<String, Value>) -> Option<EventInput> {
        let kind = EventKind::parse(&self.kind);
        if kind.is_none() {
            add(errs, "kind", "invalid");
        }
        let mut sub = Map::new();
        let starts_at = optional_datetime(&self.starts_at, "starts_at", &mut sub);
        if starts_at.is_none() && !sub.contains_key("starts_at") {
            add(&mut sub, "starts_at", "required");
        }
        let ends_at = optional_datetime(&self.ends_at, "ends_at", &mut sub);
        for (k, v) in sub {
            let v = match v {
                Value::String(c) if !c.starts_with("error-") => Value::String(format!("error-{c}")),
                other => other,
            };
            errs.entry(k).or_insert(v);
        }
        Some(EventInput {
            kind: kind?,
            title: self.title.clone(),
            starts_at: starts_at?,
            ends_at,
            place: blank(&self.place),
            description: blank(&self.description),
        })
    }
}

fn event_view(lang: Lang, e: &Event) -> Value {
    json!({
        "id": e.id,
        "kind": e.kind.as_str(),
        "title": e.title,
        "starts": i18n::datetime(lang, e.starts_at),
        "ends": e.ends_at.map(|t| i18n::datetime(lang, t)),
        "place": e.place,
        "description": e.description,
        "by": e.created_by_name,
        "invited": e.invited,
        "accepted": e.accepted,
        "declined": e.declined,
        "attended": e.attended,
        "past": e.ends_at.unwrap_or(e.starts_at) < Utc::now(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct EventsParams {
    #[serde(default)]
    past: String,
}

async fn events_page(
    state: &AppState,
    page: &Page,
    past: bool,
    form: &EventForm,
    errs: Map<String, Value>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let from = (!past).then(Utc::now);
    let events = state.store.list_events(caller.scope, from).await?;
    Ok(page.render_status(
        status_of(&errs),
        "touch_events.html",
        json!({
            "events": events.iter().map(|e| event_view(page.lang, e)).collect::<Vec<_>>(),
            "past": past,
            "kinds": EventKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "f": form,
            "errors": errs,
        }),
    ))
}

/// `GET /events[?past=1]`.
pub async fn events(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<EventsParams>,
) -> Response {
    let run = async {
        let fresh = EventForm {
            kind: "seminar".into(),
            ..Default::default()
        };
        events_page(&state, &page, !p.past.is_empty(), &fresh, Map::new()).await
    };
    respond(run.await, &page)
}

/// `POST /events`: a new event, as the signed-in user's.
pub async fn create_event(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<EventForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let mut errs = Map::new();
        if let Some(input) = f.input(&mut errs) {
            if errs.is_empty() {
                match state.store.create_event(Some(caller.id()), input).await {
                    Ok(e) => return Ok(super::see_other(&format!("/events/{}", e.id))),
                    Err(StoreError::Invalid(e)) => {
                        form_errors(&e, &mut errs);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        events_page(&state, &page, false, &f, errs).await
    };
    respond(run.await, &page)
}

fn invitation_view(lang: Lang, i: &Invitation) -> Value {
    json!({
        "id": i.id,
        "customer_id": i.customer_id.0,
        "customer": i.customer_name,
        "key_person": i.key_person_name,
        "reply": i.reply.as_str(),
        "replied": i.replied_at.map(|t| i18n::datetime(lang, t)),
        "attended": i.attended,
        "interaction_id": i.interaction_id,
    })
}

/// Forms of the event page that can be refused, with what was typed.
#[derive(Default)]
struct EventRefused {
    edit: Option<(EventForm, Map<String, Value>)>,
    invite: Option<(InviteForm, Map<String, Value>)>,
}

async fn event_page(
    state: &AppState,
    page: &Page,
    id: i64,
    refused: EventRefused,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let e = state.store.get_event(id, caller.scope).await?;
    let invitations = state.store.list_invitations(id, caller.scope).await?;
    let invited: std::collections::HashSet<i64> =
        invitations.iter().map(|i| i.customer_id.0).collect();
    // Customers to pick from: those in the user's scope not yet invited, by name.
    let customers: Vec<Value> = state
        .store
        .list_customers(&CustomerQuery {
            sort: CustomerSort::Name,
            limit: Some(patron_store::MAX_LIMIT),
            scope: caller.scope,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .filter(|c| !invited.contains(&c.id.0))
        .map(|c| json!({"id": c.id.0.to_string(), "name": c.name}))
        .collect();
    let mut status = StatusCode::OK;
    let (edit, edit_errors) = match refused.edit {
        Some((f, errs)) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            (f, errs)
        }
        None => (EventForm::of(&e), Map::new()),
    };
    let (invite, invite_errors) = match refused.invite {
        Some((f, errs)) => {
            status = StatusCode::UNPROCESSABLE_ENTITY;
            (f, errs)
        }
        None => (InviteForm::default(), Map::new()),
    };
    Ok(page.render_status(
        status,
        "touch_event.html",
        json!({
            "e": event_view(page.lang, &e),
            "may_change": crate::api::touch::may_change_event(caller, &e),
            "invitations": invitations.iter().map(|i| invitation_view(page.lang, i)).collect::<Vec<_>>(),
            "customers": customers,
            "replies": InvitationReply::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "kinds": EventKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "f": edit,
            "errors": edit_errors,
            "invite": {"v": invite, "errors": invite_errors},
        }),
    ))
}

/// `GET /events/{id}`: the event, its invitations with replies and attendance.
pub async fn event(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async { event_page(&state, &page, path_id(&id)?, EventRefused::default()).await };
    respond(run.await, &page)
}

/// `POST /events/{id}/edit` (its creator, business managers and above).
pub async fn update_event(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<EventForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let e = state.store.get_event(path_id(&id)?, caller.scope).await?;
        if !crate::api::touch::may_change_event(caller, &e) {
            return Err(UiError::Forbidden);
        }
        let mut errs = Map::new();
        if let Some(input) = f.input(&mut errs) {
            if errs.is_empty() {
                match state.store.update_event(e.id, input).await {
                    Ok(_) => return Ok(super::see_other(&format!("/events/{}", e.id))),
                    Err(StoreError::Invalid(v)) => {
                        form_errors(&v, &mut errs);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        event_page(
            &state,
            &page,
            e.id,
            EventRefused {
                edit: Some((f, errs)),
                ..Default::default()
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /events/{id}/delete`.
pub async fn delete_event(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let e = state.store.get_event(path_id(&id)?, caller.scope).await?;
        if !crate::api::touch::may_change_event(caller, &e) {
            return Err(UiError::Forbidden);
        }
        state.store.delete_event(e.id).await?;
        Ok(super::see_other("/events"))
    };
    respond(run.await, &page)
}

/// The invite form: one customer, or (the bulk button) every A-class customer in scope.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct InviteForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    customer_id: String,
    /// `A` (the bulk button): every customer of that class the user may see.
    #[serde(default)]
    class: String,
}

/// `POST /events/{id}/invite`.
pub async fn invite(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<InviteForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let e = state.store.get_event(path_id(&id)?, caller.scope).await?;
        let mut errs = Map::new();
        if let Some(class) = blank(&f.class) {
            match AbcClass::parse(&class) {
                Some(c) => {
                    state
                        .store
                        .invite_class_to_event(Some(caller.id()), e.id, caller.scope, c)
                        .await?;
                    return Ok(super::see_other(&format!("/events/{}#invitations", e.id)));
                }
                None => add(&mut errs, "class", "invalid"),
            }
        } else {
            match blank(&f.customer_id).map(|s| s.parse::<i64>()) {
                None => add(&mut errs, "customer_id", "required"),
                Some(Ok(n))
                    if state
                        .store
                        .customer_in_scope(CustomerId(n), caller.scope)
                        .await? =>
                {
                    state
                        .store
                        .invite_to_event(Some(caller.id()), e.id, &[(CustomerId(n), None)])
                        .await?;
                    return Ok(super::see_other(&format!("/events/{}#invitations", e.id)));
                }
                Some(Ok(_)) => add(&mut errs, "customer_id", "unknown_reference"),
                Some(Err(_)) => add(&mut errs, "customer_id", "invalid"),
            }
        }
        event_page(
            &state,
            &page,
            e.id,
            EventRefused {
                invite: Some((f, errs)),
                ..Default::default()
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// One invitation's reply and attendance, as chosen in its row.
#[derive(Debug, Default, Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reply: String,
    /// `yes`, `no`, or empty (not taken yet / unchanged).
    #[serde(default)]
    attended: String,
}

/// `POST /events/{id}/invitations/{invitation}`.
pub async fn change_invitation(
    State(state): State<AppState>,
    page: Page,
    Path((id, inv)): Path<(String, String)>,
    Form(f): Form<InvitationForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let event = path_id(&id)?;
        let inv = state.store.get_invitation(path_id(&inv)?).await?;
        if inv.event_id != event
            || !state
                .store
                .customer_in_scope(inv.customer_id, caller.scope)
                .await?
        {
            return Err(UiError::NotFound);
        }
        let change = InvitationChange {
            reply: InvitationReply::parse(&f.reply),
            attended: match f.attended.trim() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        };
        state
            .store
            .change_invitation(Some(caller.id()), inv.id, change)
            .await?;
        Ok(super::see_other(&format!("/events/{event}#inv-{}", inv.id)))
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// Customer requests
// ---------------------------------------------------------------------------------------------

fn request_view(lang: Lang, r: &CustomerRequest) -> Value {
    json!({
        "id": r.id,
        "customer_id": r.customer_id.0,
        "customer": r.customer_name,
        "key_person": r.key_person_name,
        "kind": r.kind.as_str(),
        "text": r.text,
        "voiced": i18n::datetime(lang, r.voiced_at),
        "due": i18n::datetime(lang, r.reply_due_at),
        "overdue": r.overdue,
        "assigned": r.assigned_to_name,
        "received": r.received_by_name,
        "replied": r.replied_at.map(|t| i18n::datetime(lang, t)),
        "replied_late": r.replied_late,
        "reply": r.reply,
        "replied_by": r.replied_by_name,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestsParams {
    /// `mine`: only those the user must reply to; `all`: every one in scope (default).
    #[serde(default)]
    show: String,
}

/// How a reply can be given, the usual first.
const REPLY_KINDS: [InteractionKind; 6] = [
    InteractionKind::Call,
    InteractionKind::Visit,
    InteractionKind::Letter,
    InteractionKind::Card,
    InteractionKind::Meeting,
    InteractionKind::Other,
];

/// A refused reply form: which request, what was typed, the messages.
struct ReplyRefused {
    id: i64,
    form: ReplyForm,
    errors: Map<String, Value>,
}

async fn requests_page(
    state: &AppState,
    page: &Page,
    mine: bool,
    refused: Option<ReplyRefused>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let list = state
        .store
        .list_requests(&RequestQuery {
            scope: caller.scope,
            assigned_to: mine.then(|| caller.id()),
            limit: Some(patron_store::MAX_LIMIT),
            ..Default::default()
        })
        .await?;
    let overdue = list.iter().filter(|r| r.overdue).count();
    let open = list.iter().filter(|r| r.replied_at.is_none()).count();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page.render_status(
        status,
        "touch_requests.html",
        json!({
            "requests": list.iter().map(|r| request_view(page.lang, r)).collect::<Vec<_>>(),
            "mine": mine,
            "open": open,
            "overdue": overdue,
            "reply_kinds": REPLY_KINDS.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "refused": refused.map(|r| json!({"id": r.id, "v": r.form, "errors": r.errors})),
        }),
    ))
}

/// `GET /requests[?show=mine]`: replies due.
pub async fn requests(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<RequestsParams>,
) -> Response {
    let run = async { requests_page(&state, &page, p.show == "mine", None).await };
    respond(run.await, &page)
}

/// The reply form of one request.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReplyForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    kind: String,
}

/// `POST /requests/{id}/reply`: records the reply (logged as an interaction), which ends the
/// agenda item.
pub async fn reply(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let r = state.store.get_request(path_id(&id)?).await?;
        if !state
            .store
            .customer_in_scope(r.customer_id, caller.scope)
            .await?
        {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        let kind = match blank(&f.kind) {
            None => None,
            Some(k) => match InteractionKind::parse("kind", &k) {
                Ok(k) => Some(k),
                Err(_) => {
                    add(&mut errs, "kind", "invalid");
                    None
                }
            },
        };
        if errs.is_empty() {
            let input = ReplyInput {
                text: f.text.clone(),
                kind,
            };
            match state.store.reply_request(caller.id(), r.id, input).await {
                Ok(_) => return Ok(super::see_other(&format!("/requests#request-{}", r.id))),
                Err(StoreError::Invalid(e)) => {
                    form_errors(&e, &mut errs);
                }
                Err(StoreError::Conflict { .. }) => {
                    errs.insert(
                        "text".into(),
                        Value::String("touch-error-already-replied".into()),
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        requests_page(
            &state,
            &page,
            false,
            Some(ReplyRefused {
                id: r.id,
                form: f,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

/// "The customer voiced an opinion or request", as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct RequestForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    voiced_at: String,
    #[serde(default)]
    key_person_id: String,
    #[serde(default)]
    assigned_to: String,
}

async fn request_form_page(
    state: &AppState,
    page: &Page,
    customer: CustomerId,
    name: &str,
    f: &RequestForm,
    errs: Map<String, Value>,
) -> Result<Response, UiError> {
    let staff: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    Ok(page.render_status(
        status_of(&errs),
        "touch_request_form.html",
        json!({
            "customer": {"id": customer.0, "name": name},
            "kinds": RequestKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "key_persons": key_person_choices(state, page, customer).await?,
            "staff": staff,
            "f": f,
            "errors": errs,
        }),
    ))
}

/// `GET /customers/{id}/requests/new`.
pub async fn new_request(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let customer = CustomerId(path_id(&id)?);
        let name = customer_in_reach(&state, &page, customer).await?;
        let f = RequestForm {
            kind: "opinion".into(),
            voiced_at: datetime_value(Utc::now()),
            ..Default::default()
        };
        request_form_page(&state, &page, customer, &name, &f, Map::new()).await
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/requests/new`: records it as taken down by the signed-in user.
pub async fn create_request(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<RequestForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let customer = CustomerId(path_id(&id)?);
        let name = customer_in_reach(&state, &page, customer).await?;
        let mut errs = Map::new();
        let kind = RequestKind::parse(&f.kind);
        if kind.is_none() {
            add(&mut errs, "kind", "invalid");
        }
        let mut sub = Map::new();
        let voiced_at = optional_datetime(&f.voiced_at, "voiced_at", &mut sub);
        if let Some(Value::String(c)) = sub.remove("voiced_at") {
            errs.insert("voiced_at".into(), Value::String(format!("error-{c}")));
        }
        let number = |s: &str, field: &str, errs: &mut Map<String, Value>| match blank(s)
            .map(|v| v.parse::<i64>())
        {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                add(errs, field, "invalid");
                None
            }
        };
        let key_person_id = number(&f.key_person_id, "key_person_id", &mut errs).map(KeyPersonId);
        let assigned_to = number(&f.assigned_to, "assigned_to", &mut errs).map(UserId);
        if errs.is_empty() {
            let input = RequestInput {
                customer_id: customer,
                key_person_id,
                voiced_at,
                kind,
                text: f.text.clone(),
                assigned_to,
            };
            match state.store.create_request(Some(caller.id()), input).await {
                Ok(r) => return Ok(super::see_other(&format!("/requests#request-{}", r.id))),
                Err(StoreError::Invalid(e)) => {
                    form_errors(&e, &mut errs);
                }
                Err(e) => return Err(e.into()),
            }
        }
        request_form_page(&state, &page, customer, &name, &f, errs).await
    };
    respond(run.await, &page)
}
