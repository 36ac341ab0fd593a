//! Key persons (关键人员, METHOD §1) from the customer page: `GET/POST
//! /customers/{id}/key-persons/new`, `GET/POST /key-persons/{id}/edit`, and
//! `GET/POST /key-persons/{id}/delete` (a confirmation page, then the delete). Every field of the
//! model is on the form; changes go through the store's audited `*_by` methods so the customer
//! page's history shows who changed what.

use super::forms::{
    blank, confirm_delete_page, customer_in_reach, field_errors, merge_domain, optional_date,
    path_id, respond, ConfirmForm, DeleteTarget,
};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{CustomerId, KeyPerson, KeyPersonId, KeyPersonInput};
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What the form sends, every field as typed (so a rejected form comes back as it was).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct KeyPersonForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    hobbies: String,
    #[serde(default)]
    birthday: String,
    #[serde(default)]
    wedding_anniversary: String,
    #[serde(default)]
    notes: String,
}

impl KeyPersonForm {
    fn from_record(k: &KeyPerson) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        let d = |o: Option<chrono::NaiveDate>| o.map(|d| d.to_string()).unwrap_or_default();
        KeyPersonForm {
            csrf: String::new(),
            name: k.name.clone(),
            title: s(&k.title),
            phone: s(&k.phone),
            mobile: s(&k.mobile),
            email: s(&k.email),
            hobbies: s(&k.hobbies),
            birthday: d(k.birthday),
            wedding_anniversary: d(k.wedding_anniversary),
            notes: s(&k.notes),
        }
    }

    /// The input the form describes; a date that is not one is found here, the rest by the
    /// domain's validation (run here too when the form already failed, to show every message).
    fn parse(&self, errs: &mut Map<String, Value>) -> KeyPersonInput {
        let input = KeyPersonInput {
            name: self.name.trim().to_owned(),
            title: blank(&self.title),
            phone: blank(&self.phone),
            mobile: blank(&self.mobile),
            email: blank(&self.email),
            hobbies: blank(&self.hobbies),
            birthday: optional_date(&self.birthday, "birthday", errs),
            wedding_anniversary: optional_date(
                &self.wedding_anniversary,
                "wedding_anniversary",
                errs,
            ),
            notes: blank(&self.notes),
        };
        if !errs.is_empty() {
            let today = chrono::Utc::now().date_naive();
            merge_domain(errs, input.clone().validate(today), str::to_owned);
        }
        input
    }
}

/// A key person whose customer the user may see (else "not found"), with the customer's name.
async fn load(state: &AppState, page: &Page, id: &str) -> Result<(KeyPerson, String), UiError> {
    let kp = state
        .store
        .get_key_person(KeyPersonId(path_id(id)?))
        .await?;
    let name = customer_in_reach(state, page, kp.customer_id).await?;
    Ok((kp, name))
}

fn render(
    page: &Page,
    status: StatusCode,
    customer: (CustomerId, &str),
    id: Option<KeyPersonId>,
    form: &KeyPersonForm,
    errors: Map<String, Value>,
) -> Response {
    page.render_status(
        status,
        "key_person_form.html",
        json!({
            "id": id.map(|i| i.0),
            "customer": {"id": customer.0 .0, "name": customer.1},
            "f": form,
            "errors": errors,
        }),
    )
}

/// `GET /customers/{id}/key-persons/new`.
pub async fn new_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let cid = CustomerId(path_id(&id)?);
        let name = customer_in_reach(&state, &page, cid).await?;
        let form = KeyPersonForm::default();
        Ok(render(
            &page,
            StatusCode::OK,
            (cid, &name),
            None,
            &form,
            Map::new(),
        ))
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/key-persons/new`.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<KeyPersonForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let cid = CustomerId(path_id(&id)?);
        let name = customer_in_reach(&state, &page, cid).await?;
        let mut errs = Map::new();
        let input = f.parse(&mut errs);
        if errs.is_empty() {
            match state
                .store
                .create_key_person_by(Some(caller.id()), cid, input)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{cid}#kp"))),
                Err(StoreError::Invalid(e)) => errs = field_errors(&e),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(render(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            (cid, &name),
            None,
            &f,
            errs,
        ))
    };
    respond(run.await, &page)
}

/// `GET /key-persons/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (kp, name) = load(&state, &page, &id).await?;
        Ok(render(
            &page,
            StatusCode::OK,
            (kp.customer_id, &name),
            Some(kp.id),
            &KeyPersonForm::from_record(&kp),
            Map::new(),
        ))
    };
    respond(run.await, &page)
}

/// `POST /key-persons/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<KeyPersonForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let (kp, name) = load(&state, &page, &id).await?;
        let mut errs = Map::new();
        let input = f.parse(&mut errs);
        if errs.is_empty() {
            match state
                .store
                .update_key_person_by(Some(caller.id()), kp.id, input)
                .await
            {
                Ok(_) => {
                    return Ok(super::see_other(&format!(
                        "/customers/{}#kp",
                        kp.customer_id
                    )))
                }
                Err(StoreError::Invalid(e)) => errs = field_errors(&e),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(render(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            (kp.customer_id, &name),
            Some(kp.id),
            &f,
            errs,
        ))
    };
    respond(run.await, &page)
}

/// The confirmation form's only field.
/// `GET /key-persons/{id}/delete`: asks before deleting (a plain form, no script needed).
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (kp, name) = load(&state, &page, &id).await?;
        Ok(confirm_delete_page(
            &page,
            DeleteTarget {
                heading: "delete-key-person",
                what: kp.name,
                customer: kp.customer_id,
                customer_name: name,
                action: format!("/key-persons/{}/delete", kp.id),
                back: format!("/customers/{}#kp", kp.customer_id),
            },
        ))
    };
    respond(run.await, &page)
}

/// `POST /key-persons/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let (kp, _) = load(&state, &page, &id).await?;
        state
            .store
            .delete_key_person_by(Some(caller.id()), kp.id)
            .await?;
        Ok(super::see_other(&format!(
            "/customers/{}#kp",
            kp.customer_id
        )))
    };
    respond(run.await, &page)
}
