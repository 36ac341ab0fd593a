//! Choosing a product in a form: a text field with a list of suggestions (`<datalist>`), not a
//! `<select>` of the whole catalogue. A shop with 20,000 products cannot be one drop-down, and a
//! `<select>` capped at its first few hundred hides the rest.
//!
//! The field holds a product's *token*, `REF · Name` (`#ID · Name` for a product without a
//! reference), which is what picking a suggestion puts there. It also accepts what a person
//! types: the reference alone, `#ID`, a bare id, or the exact name (when no other product has
//! it). Without JavaScript the browser filters the first [`CHOICES`] products itself; with it,
//! `GET /products/suggest?q=` searches the whole catalogue as the user types.

use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use patron_core::{Product, ProductId};
use patron_store::{ProductQuery, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};

/// Products in the page's own list (the browser filters it without JavaScript).
pub const CHOICES: u32 = 500;
/// Suggestions per keystroke.
const SUGGESTIONS: u32 = 20;
/// Products fetched to look for an exact reference or name.
const MATCH_LIMIT: u32 = 100;
/// Between a token's key and the product's name.
const SEPARATOR: &str = " · ";

/// What the field shows for `p`.
pub fn token(p: &Product) -> String {
    let key = match &p.external_ref {
        Some(r) => r.clone(),
        None => format!("#{}", p.id.0),
    };
    format!("{key}{SEPARATOR}{}", p.name)
}

/// One suggestion: the token, and the product line as its label.
fn choice(p: &Product) -> Value {
    json!({"value": token(p), "label": p.product_line.clone().unwrap_or_default()})
}

/// The product the field's text names, or the error code to show next to it
/// (`unknown_reference`, `ambiguous`).
pub async fn resolve(
    state: &AppState,
    text: &str,
) -> Result<Result<Product, &'static str>, UiError> {
    let text = text.trim();
    let key = text.split(SEPARATOR).next().unwrap_or(text).trim();
    let by_id = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
    if let Some(id) = key.strip_prefix('#').and_then(by_id) {
        return by_id_or_unknown(state, id).await;
    }
    let found = state
        .store
        .list_products(&ProductQuery {
            q: Some(key.to_owned()),
            limit: Some(MATCH_LIMIT),
            ..Default::default()
        })
        .await?
        .items;
    if let Some(p) = found
        .iter()
        .find(|p| p.external_ref.as_deref() == Some(key))
    {
        return Ok(Ok(p.clone()));
    }
    if let Some(id) = by_id(key) {
        return by_id_or_unknown(state, id).await;
    }
    let name = |p: &&Product| p.name.trim().to_lowercase() == key.to_lowercase();
    let named: Vec<&Product> = found.iter().filter(name).collect();
    Ok(match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err("unknown_reference"),
        _ => Err("ambiguous"),
    })
}

async fn by_id_or_unknown(
    state: &AppState,
    id: i64,
) -> Result<Result<Product, &'static str>, UiError> {
    match state.store.get_product(ProductId(id)).await {
        Ok(p) => Ok(Ok(p)),
        Err(StoreError::NotFound { .. }) => Ok(Err("unknown_reference")),
        Err(e) => Err(e.into()),
    }
}

/// The page's own list: the first active products of the catalogue.
pub async fn choices(state: &AppState) -> Result<Vec<Value>, UiError> {
    Ok(state
        .store
        .list_products(&ProductQuery {
            limit: Some(CHOICES),
            ..Default::default()
        })
        .await?
        .items
        .iter()
        .filter(|p| p.active)
        .map(choice)
        .collect())
}

/// The text a row shows for what it holds: a stored product id becomes its token; what a person
/// typed stays as typed (so a refused value can be corrected, not retyped).
pub async fn shown(state: &AppState, held: &str) -> Result<String, UiError> {
    let Ok(id) = held.trim().parse::<i64>() else {
        return Ok(held.to_owned());
    };
    match state.store.get_product(ProductId(id)).await {
        Ok(p) => Ok(token(&p)),
        Err(StoreError::NotFound { .. }) => Ok(held.to_owned()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuggestParams {
    q: String,
}

/// `GET /products/suggest?q=`: active products whose reference, name or line contains `q`, as
/// `[{"value": token, "label": product line}]` (everyone signed in may see the catalogue).
pub async fn suggest(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<SuggestParams>,
) -> Response {
    let run = async {
        page.user()?;
        let q: String = p.q.chars().take(200).collect();
        let key = q.split(SEPARATOR).next().unwrap_or(&q).trim().to_owned();
        let found = state
            .store
            .list_products(&ProductQuery {
                q: Some(key).filter(|k| !k.is_empty()),
                limit: Some(SUGGESTIONS * 2),
                ..Default::default()
            })
            .await?
            .items;
        let items: Vec<Value> = found
            .iter()
            .filter(|p| p.active)
            .take(SUGGESTIONS as usize)
            .map(choice)
            .collect();
        Ok::<_, UiError>(Json(items).into_response())
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::Currency;

    fn product(id: i64, reference: Option<&str>, name: &str) -> Product {
        Product {
            id: ProductId(id),
            external_ref: reference.map(str::to_owned),
            name: name.into(),
            product_line: None,
            unit_price_minor: None,
            currency: Currency::default(),
            active: true,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn tokens_lead_with_the_reference_else_the_id() {
        assert_eq!(
            token(&product(7, Some("P-7"), "乌龙茶 500g")),
            "P-7 · 乌龙茶 500g"
        );
        assert_eq!(token(&product(7, None, "Tea")), "#7 · Tea");
    }
}
