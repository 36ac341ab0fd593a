//! The product catalogue: `GET /products` (search, filter by product line, keyset pages),
//! `GET/POST /products/new` and `GET/POST /products/{id}/edit`.
//!
//! Everyone signed in may look at the catalogue (a representative needs it to take an order);
//! changing it is an archive-wide change, so only roles with
//! [`Permissions::can_change_archive`] may — business managers and above (METHOD §0), the same
//! rule as `POST/PATCH /api/v1/products`. The server refuses the others with 403; hiding the
//! buttons is only a courtesy. There is no delete: order lines point at products, so a product
//! that is no longer sold is marked inactive instead, and past orders keep their product.

use super::forms::{add_error, blank, field_errors_as, merge_domain, path_id, respond};
use super::{i18n, urlencode, Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::money::format_minor;
use patron_core::{parse_amount, Currency, Permissions, ProductId, ProductInput};
use patron_store::{ProductQuery, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The shop's default currency (setting `default_currency`, USD when unset).
pub(crate) async fn default_currency(state: &AppState) -> Result<Currency, UiError> {
    let code = state
        .store
        .get_setting("default_currency")
        .await?
        .unwrap_or_else(|| "USD".into());
    Ok(Currency::parse("currency", &code).unwrap_or_default())
}

/// Whether the signed-in user may change the catalogue.
fn may_edit(page: &Page) -> Result<bool, UiError> {
    Ok(page.user()?.user.can_change_archive())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    cursor: String,
}

/// `GET /products`.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ListParams>,
) -> Response {
    let run = async {
        let can_edit = may_edit(&page)?;
        let q: String = p.q.chars().take(200).collect();
        let line: String = p.line.chars().take(200).collect();
        let mut query = ProductQuery {
            q: blank(&q),
            product_line: blank(&line),
            cursor: blank(&p.cursor),
            limit: Some(50),
        };
        let found = match state.store.list_products(&query).await {
            Ok(found) => found,
            // A tampered cursor: start again from the first page rather than fail.
            Err(StoreError::Invalid(_)) if query.cursor.is_some() => {
                query.cursor = None;
                state.store.list_products(&query).await?
            }
            Err(e) => return Err(e.into()),
        };
        let lang = page.lang;
        let items: Vec<Value> = found
            .items
            .iter()
            .map(|p| {
                json!({
                    "id": p.id.0, "name": p.name, "ref": p.external_ref,
                    "line": p.product_line,
                    "line_link": p.product_line.as_deref().map(|l| format!("/products?line={}", urlencode(l))),
                    "price": p.unit_price_minor.map(|m| i18n::money_parts(lang, m, &p.currency)),
                    "active": p.active,
                })
            })
            .collect();
        let link = |cursor: Option<&str>| {
            let mut s = format!("/products?q={}&line={}", urlencode(&q), urlencode(&line));
            if let Some(c) = cursor {
                s.push_str("&cursor=");
                s.push_str(&urlencode(c));
            }
            s
        };
        Ok(page.render(
            "products.html",
            json!({
                "q": q, "line": line, "items": items, "can_edit": can_edit,
                "cursor": query.cursor.is_some(),
                "first_link": link(None),
                "next_link": found.next_cursor.as_deref().map(|c| link(Some(c))),
            }),
        ))
    };
    respond(run.await, &page)
}

/// What the form sends, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ProductForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "ref")]
    external_ref: String,
    #[serde(default)]
    product_line: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    currency: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

impl ProductForm {
    fn from_input(p: &ProductInput, currency: &Currency) -> Self {
        let cur = p.currency.clone().unwrap_or_else(|| currency.clone());
        ProductForm {
            csrf: String::new(),
            name: p.name.clone(),
            external_ref: p.external_ref.clone().unwrap_or_default(),
            product_line: p.product_line.clone().unwrap_or_default(),
            unit_price: p
                .unit_price_minor
                .map(|m| format_minor(m, &cur))
                .unwrap_or_default(),
            currency: cur.as_str().to_owned(),
            active: p.active.unwrap_or(true).then(|| "on".to_owned()),
        }
    }

    /// The input the form describes. The price is read in the chosen currency's minor units
    /// (so "12.5" is 1250 cents but "12.5" won is refused).
    fn parse(&self, default: &Currency, errs: &mut Map<String, Value>) -> ProductInput {
        let currency = match blank(&self.currency) {
            None => default.clone(),
            Some(c) => match Currency::parse("currency", &c) {
                Ok(c) => c,
                Err(e) => {
                    add_error(errs, "currency", &e.code);
                    default.clone()
                }
            },
        };
        let unit_price_minor = match blank(&self.unit_price) {
            None => None,
            Some(s) => match parse_amount("unit_price", &s, &currency) {
                Ok(v) => Some(v),
                Err(e) => {
                    add_error(errs, "unit_price", &e.code);
                    None
                }
            },
        };
        let input = ProductInput {
            external_ref: blank(&self.external_ref),
            name: self.name.trim().to_owned(),
            product_line: blank(&self.product_line),
            unit_price_minor,
            currency: Some(currency),
            active: Some(self.active.is_some()),
        };
        if !errs.is_empty() {
            merge_domain(errs, input.clone().validate(), form_field);
        }
        input
    }
}

/// The product form's names for the domain's fields.
fn form_field(f: &str) -> String {
    match f {
        "unit_price_minor" => "unit_price".into(),
        other => other.into(),
    }
}

fn render(
    page: &Page,
    status: StatusCode,
    id: Option<ProductId>,
    form: &ProductForm,
    errors: Map<String, Value>,
) -> Response {
    page.render_status(
        status,
        "product_form.html",
        json!({"id": id.map(|i| i.0), "f": form, "errors": errors}),
    )
}

/// Saves the form (create when `id` is `None`), or shows it again with the errors.
async fn save(
    state: &AppState,
    page: &Page,
    id: Option<ProductId>,
    f: &ProductForm,
) -> Result<Response, UiError> {
    let mut errs = Map::new();
    let input = f.parse(&default_currency(state).await?, &mut errs);
    if errs.is_empty() {
        let saved = match id {
            None => state.store.create_product(input).await,
            Some(id) => state.store.update_product(id, input).await,
        };
        match saved {
            Ok(p) => return Ok(super::see_other(&format!("/products?line={}", line_of(&p)))),
            Err(StoreError::Invalid(e)) => errs = field_errors_as(&e, form_field),
            // Another product already has this reference.
            Err(StoreError::Conflict {
                field: Some(field), ..
            }) if field == "ref" => add_error(&mut errs, "ref", "taken"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(page, StatusCode::UNPROCESSABLE_ENTITY, id, f, errs))
}

fn line_of(p: &patron_core::Product) -> String {
    urlencode(p.product_line.as_deref().unwrap_or(""))
}

/// `GET /products/new`.
pub async fn new_form(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        if !may_edit(&page)? {
            return Err(UiError::Forbidden);
        }
        let cur = default_currency(&state).await?;
        let form = ProductForm::from_input(&ProductInput::default(), &cur);
        Ok(render(&page, StatusCode::OK, None, &form, Map::new()))
    };
    respond(run.await, &page)
}

/// `POST /products/new`.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<ProductForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        if !may_edit(&page)? {
            return Err(UiError::Forbidden);
        }
        save(&state, &page, None, &f).await
    };
    respond(run.await, &page)
}

/// `GET /products/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        if !may_edit(&page)? {
            return Err(UiError::Forbidden);
        }
        let id = ProductId(path_id(&id)?);
        let p = ProductInput::from(state.store.get_product(id).await?);
        let form = ProductForm::from_input(&p, &default_currency(&state).await?);
        Ok(render(&page, StatusCode::OK, Some(id), &form, Map::new()))
    };
    respond(run.await, &page)
}

/// `POST /products/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ProductForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        if !may_edit(&page)? {
            return Err(UiError::Forbidden);
        }
        let id = ProductId(path_id(&id)?);
        // Editing a product that does not exist is "not found", not a new product.
        state.store.get_product(id).await?;
        save(&state, &page, Some(id), &f).await
    };
    respond(run.await, &page)
}
