//! `GET/POST /customers/new` and `GET/POST /customers/{id}/edit`: the customer's information
//! card as a plain form — including its owner and relationship manager (METHOD §1, §2.1) — with
//! each validation message next to its field, in the user's language. Changes go through the
//! store's `*_by` methods, so the audit log records who changed what.

use super::forms::field_errors;
use super::{Page, UiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{CustomerId, CustomerInput, CustomerKind, LifecycleStage, Scope, UserId};
use patron_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// What the form sends (every field as text; parsed here).
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct CustomerForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    relationship_manager_id: String,
}

impl CustomerForm {
    fn from_input(c: &CustomerInput) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        CustomerForm {
            csrf: String::new(),
            kind: c.kind.as_str().into(),
            name: c.name.clone(),
            company: s(&c.company),
            phone: s(&c.phone),
            email: s(&c.email),
            address: s(&c.address),
            birth_date: c.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            stage: c.stage.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            level: s(&c.level),
            source: s(&c.source),
            tags: c.tags.join(", "),
            notes: s(&c.notes),
            owner_id: c.owner_id.map(|u| u.0.to_string()).unwrap_or_default(),
            relationship_manager_id: c
                .relationship_manager_id
                .map(|u| u.0.to_string())
                .unwrap_or_default(),
        }
    }

    /// Applies the form to `base` (the stored card, or an empty one), collecting the errors the
    /// form itself can see; the domain's validation follows in the store.
    fn apply(&self, mut base: CustomerInput, errs: &mut Map<String, Value>) -> CustomerInput {
        let blank = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        match CustomerKind::parse("kind", &self.kind) {
            Ok(k) => base.kind = k,
            Err(_) => {
                errs.insert("kind".into(), "invalid".into());
            }
        }
        base.name = self.name.trim().to_owned();
        base.company = blank(&self.company);
        base.phone = blank(&self.phone);
        base.email = blank(&self.email);
        base.address = blank(&self.address);
        base.birth_date = match blank(&self.birth_date) {
            None => None,
            Some(d) => match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                Ok(d) if crate::api::date_in_range(d) => Some(d),
                _ => {
                    errs.insert("birth_date".into(), "invalid".into());
                    None
                }
            },
        };
        base.stage = match blank(&self.stage) {
            None => None,
            Some(s) => match LifecycleStage::parse("stage", &s) {
                Ok(s) => Some(s),
                Err(_) => {
                    errs.insert("stage".into(), "invalid".into());
                    None
                }
            },
        };
        base.level = blank(&self.level);
        base.source = blank(&self.source);
        base.notes = blank(&self.notes);
        base.tags = self
            .tags
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let user = |s: &str, field: &str, errs: &mut Map<String, Value>| match blank(s) {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => Some(UserId(n)),
                Err(_) => {
                    errs.insert(field.into(), "invalid".into());
                    None
                }
            },
        };
        base.owner_id = user(&self.owner_id, "owner_id", errs);
        base.relationship_manager_id = user(
            &self.relationship_manager_id,
            "relationship_manager_id",
            errs,
        );
        base
    }
}

fn parse_id(s: &str) -> Result<CustomerId, UiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(CustomerId)
        .ok_or(UiError::NotFound)
}

async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    id: Option<CustomerId>,
    form: &CustomerForm,
    errors: Map<String, Value>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    // The people this user may give a customer to: themselves, their team, or anyone.
    let team: Vec<UserId> = match caller.scope {
        Scope::Team(me) => state
            .store
            .team_of(me)
            .await?
            .iter()
            .map(|u| u.id)
            .collect(),
        _ => Vec::new(),
    };
    let users: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .filter(|u| match caller.scope {
            Scope::All => true,
            Scope::Own(me) => u.id == me,
            Scope::Team(me) => u.id == me || team.contains(&u.id),
        })
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    Ok(page.render_status(
        status,
        "customer_form.html",
        json!({
            "id": id.map(|i| i.0),
            "f": form,
            "errors": errors,
            "users": users,
            "kinds": CustomerKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "stages": LifecycleStage::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /customers/new`.
pub async fn new_form(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        let caller = page.user()?;
        let form = CustomerForm {
            kind: "person".into(),
            stage: "customer".into(),
            owner_id: match caller.scope {
                Scope::All => String::new(),
                _ => caller.id().0.to_string(),
            },
            ..Default::default()
        };
        render(&state, &page, StatusCode::OK, None, &form, Map::new()).await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// `GET /customers/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let id = parse_id(&id)?;
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let c = CustomerInput::from(state.store.get_customer(id).await?);
        let form = CustomerForm::from_input(&c);
        render(&state, &page, StatusCode::OK, Some(id), &form, Map::new()).await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// Checks that the chosen owner and relationship manager exist and that the caller may hand the
/// customer to them (the API's rule, [`Caller::may_hold`]).
async fn check_holders(
    state: &AppState,
    caller: &Caller,
    input: &CustomerInput,
    errs: &mut Map<String, Value>,
) -> Result<(), UiError> {
    for (field, id) in [
        ("owner_id", input.owner_id),
        ("relationship_manager_id", input.relationship_manager_id),
    ] {
        if let Some(u) = id {
            match state.store.get_user(u).await {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    errs.insert(field.into(), "invalid".into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    if errs.contains_key("owner_id") || errs.contains_key("relationship_manager_id") {
        return Ok(());
    }
    if !caller
        .may_hold(
            state.store.as_ref(),
            input.owner_id,
            input.relationship_manager_id,
        )
        .await?
    {
        errs.insert("owner_id".into(), "outside_scope".into());
    }
    Ok(())
}

/// `POST /customers/new`.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CustomerForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let mut errs = Map::new();
        let mut input = f.apply(CustomerInput::default(), &mut errs);
        if input.owner_id.is_none() && caller.scope != Scope::All {
            input.owner_id = Some(caller.id());
        }
        check_holders(&state, caller, &input, &mut errs).await?;
        if !errs.is_empty() {
            return render(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &f,
                errs,
            )
            .await;
        }
        match state
            .store
            .create_customer_by(Some(caller.id()), input)
            .await
        {
            Ok(c) => Ok(super::see_other(&format!("/customers/{}", c.id))),
            Err(StoreError::Invalid(e)) => {
                render(
                    &state,
                    &page,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    &f,
                    field_errors(&e),
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// `POST /customers/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CustomerForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = parse_id(&id)?;
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let current = CustomerInput::from(state.store.get_customer(id).await?);
        let mut errs = Map::new();
        let input = f.apply(current, &mut errs);
        check_holders(&state, caller, &input, &mut errs).await?;
        if !errs.is_empty() {
            return render(
                &state,
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(id),
                &f,
                errs,
            )
            .await;
        }
        match state
            .store
            .update_customer_by(Some(caller.id()), id, input)
            .await
        {
            Ok(c) => Ok(super::see_other(&format!("/customers/{}", c.id))),
            Err(StoreError::Invalid(e)) => {
                render(
                    &state,
                    &page,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(id),
                    &f,
                    field_errors(&e),
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}
