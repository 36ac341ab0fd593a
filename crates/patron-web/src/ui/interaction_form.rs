//! Editing and deleting a logged contact (visit, call, card … — the service record of METHOD §1)
//! from the customer page's timeline: `GET/POST /interactions/{id}/edit` and
//! `GET/POST /interactions/{id}/delete`. Every field of the model is on the form: kind, when
//! (UTC, as the UI shows instants), the member of staff, the key person met, outcome and notes.

use super::forms::{
    add_error, blank, confirm_delete_page, customer_in_reach, datetime_value, field_errors,
    merge_domain, optional_date, optional_datetime, path_id, respond, ConfirmForm, DeleteTarget,
};
use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{
    CustomerId, Interaction, InteractionId, InteractionInput, InteractionKind, KeyPersonId, UserId,
};
use patron_store::{KeyPersonQuery, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What the form sends, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct InteractionForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    key_person_id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    /// A promised follow-up: its day and what was promised (on the agenda of the member of
    /// staff recorded, METHOD §3.3).
    #[serde(default)]
    follow_up_on: String,
    #[serde(default)]
    follow_up: String,
}

impl InteractionForm {
    fn from_record(i: &Interaction) -> Self {
        InteractionForm {
            csrf: String::new(),
            kind: i.kind.as_str().to_owned(),
            occurred_at: datetime_value(i.occurred_at),
            staff_id: i.staff_id.map(|u| u.0.to_string()).unwrap_or_default(),
            key_person_id: i.key_person_id.map(|k| k.0.to_string()).unwrap_or_default(),
            outcome: i.outcome.clone().unwrap_or_default(),
            notes: i.notes.clone().unwrap_or_default(),
            follow_up_on: i
                .follow_up_on
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            follow_up: i.follow_up.clone().unwrap_or_default(),
        }
    }
}

/// The contact the form describes. References are checked here so each bad one is named next to
/// its field: the member of staff must exist, and the key person must be one of this customer's.
async fn parse(
    state: &AppState,
    f: &InteractionForm,
    stored: &Interaction,
    errs: &mut Map<String, Value>,
) -> Result<InteractionInput, UiError> {
    let kind = match InteractionKind::parse("kind", f.kind.trim()) {
        Ok(k) => k,
        Err(_) => {
            add_error(errs, "kind", "invalid");
            stored.kind
        }
    };
    let occurred_at = optional_datetime(&f.occurred_at, "occurred_at", errs);
    if occurred_at.is_none() && !errs.contains_key("occurred_at") {
        add_error(errs, "occurred_at", "required");
    }
    let follow_up_on = optional_date(&f.follow_up_on, "follow_up_on", errs);
    let staff_id = match blank(&f.staff_id).map(|s| s.parse::<i64>()) {
        None => None,
        Some(Ok(n)) => match state.store.get_user(UserId(n)).await {
            Ok(u) => Some(u.id),
            Err(StoreError::NotFound { .. }) => {
                add_error(errs, "staff_id", "unknown_reference");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Some(Err(_)) => {
            add_error(errs, "staff_id", "invalid");
            None
        }
    };
    let key_person_id = match blank(&f.key_person_id).map(|s| s.parse::<i64>()) {
        None => None,
        Some(Ok(n)) => match state.store.get_key_person(KeyPersonId(n)).await {
            Ok(k) if k.customer_id == stored.customer_id => Some(k.id),
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                add_error(errs, "key_person_id", "unknown_reference");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Some(Err(_)) => {
            add_error(errs, "key_person_id", "invalid");
            None
        }
    };
    let input = InteractionInput {
        customer_id: stored.customer_id,
        kind,
        occurred_at: occurred_at.or(Some(stored.occurred_at)),
        staff_id,
        key_person_id,
        outcome: blank(&f.outcome),
        notes: blank(&f.notes),
        follow_up_on,
        follow_up: blank(&f.follow_up),
    };
    if !errs.is_empty() {
        merge_domain(
            errs,
            input.clone().validate(chrono::Utc::now()),
            str::to_owned,
        );
    }
    Ok(input)
}

/// An interaction whose customer the user may see (else "not found"), with the customer's name.
async fn load(state: &AppState, page: &Page, id: &str) -> Result<(Interaction, String), UiError> {
    let i = state
        .store
        .get_interaction(InteractionId(path_id(id)?))
        .await?;
    let name = customer_in_reach(state, page, i.customer_id).await?;
    Ok((i, name))
}

async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    i: &Interaction,
    customer: &str,
    f: &InteractionForm,
    errors: Map<String, Value>,
) -> Result<Response, UiError> {
    // Staff to choose from: active people, and whoever is recorded even if they left since.
    let staff: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active || Some(u.id) == i.staff_id)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    let key_persons = key_person_choices(state, page, i.customer_id).await?;
    Ok(page.render_status(
        status,
        "interaction_form.html",
        json!({
            "id": i.id.0,
            "customer": {"id": i.customer_id.0, "name": customer},
            "f": f,
            "kinds": InteractionKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "staff": staff,
            "key_persons": key_persons,
            "errors": errors,
        }),
    ))
}

/// The customer's key persons, for the "met" list.
pub(crate) async fn key_person_choices(
    state: &AppState,
    page: &Page,
    customer: CustomerId,
) -> Result<Vec<Value>, UiError> {
    let caller = page.user()?;
    Ok(state
        .store
        .list_key_persons(&KeyPersonQuery {
            customer_id: Some(customer),
            limit: Some(patron_store::MAX_LIMIT),
            scope: caller.scope,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .map(|k| json!({"id": k.id.0.to_string(), "name": k.name}))
        .collect())
}

/// `GET /interactions/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (i, name) = load(&state, &page, &id).await?;
        let f = InteractionForm::from_record(&i);
        render(&state, &page, StatusCode::OK, &i, &name, &f, Map::new()).await
    };
    respond(run.await, &page)
}

/// `POST /interactions/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<InteractionForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let (i, name) = load(&state, &page, &id).await?;
        let mut errs = Map::new();
        let input = parse(&state, &f, &i, &mut errs).await?;
        if errs.is_empty() {
            match state
                .store
                .update_interaction_by(Some(caller.id()), i.id, input)
                .await
            {
                Ok(_) => {
                    return Ok(super::see_other(&format!(
                        "/customers/{}#timeline",
                        i.customer_id
                    )))
                }
                Err(StoreError::Invalid(e)) => errs = field_errors(&e),
                Err(e) => return Err(e.into()),
            }
        }
        render(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &i,
            &name,
            &f,
            errs,
        )
        .await
    };
    respond(run.await, &page)
}

/// `GET /interactions/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (i, name) = load(&state, &page, &id).await?;
        let what = format!(
            "{} · {}",
            i18n::datetime(page.lang, i.occurred_at),
            page.t(&format!("interaction-{}", i.kind.as_str()))
        );
        Ok(confirm_delete_page(
            &page,
            DeleteTarget {
                heading: "delete-interaction",
                what,
                customer: i.customer_id,
                customer_name: name,
                action: format!("/interactions/{}/delete", i.id),
                back: format!("/customers/{}#timeline", i.customer_id),
            },
        ))
    };
    respond(run.await, &page)
}

/// `POST /interactions/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let (i, _) = load(&state, &page, &id).await?;
        state
            .store
            .delete_interaction_by(Some(caller.id()), i.id)
            .await?;
        Ok(super::see_other(&format!(
            "/customers/{}#timeline",
            i.customer_id
        )))
    };
    respond(run.await, &page)
}
