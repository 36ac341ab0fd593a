//! Editing and deleting an order from the customer page's timeline: `GET/POST
//! /orders/{id}/edit` and `GET/POST /orders/{id}/delete` (a confirmation page, then the delete).
//!
//! The form shows the order's date, currency, number, the "asked for our brand by name" flag
//! (指名购买, the name-recognition indicator of METHOD §5), notes, and one row per line —
//! product, product line, quantity, unit price — plus empty rows to add lines; a row left empty
//! is no line, so emptying a row removes it. Amounts are computed, never typed: quantity × unit
//! price, except that a line whose quantity and unit price were not touched keeps its stored
//! amount (an imported line of 3 for 100.00 has a unit price of 33.33, and re-saving the order
//! must not turn it into 99.99). Rows are posted as `quantity_0`, `unit_price_0`, …, so the form
//! works without JavaScript.

use super::forms::{
    add_error, blank, confirm_delete_page, customer_in_reach, optional_date, path_id, respond,
    ConfirmForm, DeleteTarget,
};
use super::{i18n, product_picker, Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::money::format_minor;
use patron_core::{parse_amount, Currency, Order, OrderId, OrderInput, OrderLineInput};
use patron_store::StoreError;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Rows beyond this index are ignored (a form with more is not one a person typed).
const MAX_ROWS: usize = 200;
/// Empty rows offered for new lines.
const SPARE_ROWS: usize = 2;

/// One row of the lines table, as typed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LineRow {
    product_id: String,
    product_line: String,
    quantity: String,
    unit_price: String,
}

impl LineRow {
    fn is_empty(&self) -> bool {
        [
            &self.product_id,
            &self.product_line,
            &self.quantity,
            &self.unit_price,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// The whole form, as typed.
#[derive(Debug, Default, Serialize)]
pub struct OrderFields {
    order_date: String,
    currency: String,
    order_ref: String,
    asked_by_name: bool,
    notes: String,
    lines: Vec<LineRow>,
    /// The credit override a business manager may tick, with its reason (see
    /// [`super::credit_forms`]), and the refusal over the credit limit to show.
    credit: super::credit_forms::OverrideFields,
    credit_refusal: Option<String>,
}

impl OrderFields {
    fn from_order(o: &Order) -> Self {
        let mut lines: Vec<LineRow> = o
            .lines
            .iter()
            .map(|l| LineRow {
                product_id: l.product_id.map(|p| p.0.to_string()).unwrap_or_default(),
                product_line: l.product_line.clone().unwrap_or_default(),
                quantity: l.quantity.to_string(),
                unit_price: format_minor(l.unit_price_minor, &o.currency),
            })
            .collect();
        lines.extend(std::iter::repeat_n(LineRow::default(), SPARE_ROWS));
        OrderFields {
            order_date: o.order_date.to_string(),
            currency: o.currency.as_str().to_owned(),
            order_ref: o.order_ref.clone().unwrap_or_default(),
            asked_by_name: o.asked_by_name,
            notes: o.notes.clone().unwrap_or_default(),
            lines,
            ..Default::default()
        }
    }

    /// Reads the posted pairs (`name` or `name_ROW`); returns the CSRF token too.
    fn from_pairs(pairs: Vec<(String, String)>) -> (String, Self) {
        let mut csrf = String::new();
        let mut f = OrderFields::default();
        let mut rows: BTreeMap<usize, LineRow> = BTreeMap::new();
        for (k, v) in pairs {
            let row = k
                .rsplit_once('_')
                .and_then(|(name, i)| Some((name, i.parse::<usize>().ok()?)))
                .filter(|(_, i)| *i < MAX_ROWS);
            if let Some((name, i)) = row {
                let r = rows.entry(i).or_default();
                match name {
                    "product_id" => r.product_id = v,
                    "product_line" => r.product_line = v,
                    "quantity" => r.quantity = v,
                    "unit_price" => r.unit_price = v,
                    _ => {}
                }
                continue;
            }
            match k.as_str() {
                "csrf" => csrf = v,
                "order_date" => f.order_date = v,
                "currency" => f.currency = v,
                "order_ref" => f.order_ref = v,
                "asked_by_name" => f.asked_by_name = true,
                "notes" => f.notes = v,
                "credit_override" => f.credit.credit_override = v,
                "credit_reason" => f.credit.credit_reason = v,
                _ => {}
            }
        }
        let n = rows.keys().next_back().map_or(0, |i| i + 1);
        f.lines = (0..n)
            .map(|i| rows.remove(&i).unwrap_or_default())
            .collect();
        (csrf, f)
    }
}

/// The order the form describes, which form row each of its lines came from (to put the
/// store's `lines[2].quantity` next to the right row), and each row's computed amount.
struct Parsed {
    input: OrderInput,
    row_of: Vec<usize>,
    amounts: Vec<Option<i64>>,
}

async fn parse(
    state: &AppState,
    f: &OrderFields,
    stored: &Order,
    errs: &mut Map<String, Value>,
) -> Result<Parsed, UiError> {
    let order_date = optional_date(&f.order_date, "order_date", errs);
    if order_date.is_none() {
        add_error(errs, "order_date", "required");
    }
    let currency = match blank(&f.currency) {
        None => stored.currency.clone(),
        Some(c) => match Currency::parse("currency", &c) {
            Ok(c) => c,
            Err(e) => {
                add_error(errs, "currency", &e.code);
                stored.currency.clone()
            }
        },
    };
    let mut lines = Vec::new();
    let mut row_of = Vec::new();
    let mut amounts = vec![None; f.lines.len()];
    for (i, row) in f.lines.iter().enumerate() {
        if row.is_empty() {
            continue;
        }
        let product = match blank(&row.product_id) {
            None => None,
            Some(text) => match product_picker::resolve(state, &text).await? {
                Ok(p) => Some(p),
                Err(code) => {
                    add_error(errs, &format!("product_id_{i}"), code);
                    None
                }
            },
        };
        let quantity = match row.quantity.trim().parse::<i64>() {
            Ok(q) => Some(q),
            Err(_) => {
                let code = if row.quantity.trim().is_empty() {
                    "required"
                } else {
                    "invalid"
                };
                add_error(errs, &format!("quantity_{i}"), code);
                None
            }
        };
        let unit = match blank(&row.unit_price) {
            // No price typed: the product's list price, when it is in the order's currency.
            None => match product
                .as_ref()
                .filter(|p| p.currency == currency)
                .and_then(|p| p.unit_price_minor)
            {
                Some(u) => Some(u),
                None => {
                    add_error(errs, &format!("unit_price_{i}"), "required");
                    None
                }
            },
            Some(s) => match parse_amount("unit_price", &s, &currency) {
                Ok(u) => Some(u),
                Err(e) => {
                    add_error(errs, &format!("unit_price_{i}"), &e.code);
                    None
                }
            },
        };
        let (Some(quantity), Some(unit)) = (quantity, unit) else {
            continue;
        };
        // An untouched line keeps its amount; anything else is quantity × unit price.
        let amount = stored
            .lines
            .get(i)
            .filter(|l| l.quantity == quantity && l.unit_price_minor == unit)
            .map(|l| l.amount_minor)
            .or_else(|| unit.checked_mul(quantity));
        amounts[i] = amount;
        lines.push(OrderLineInput {
            product_id: product.map(|p| p.id),
            product_line: blank(&row.product_line),
            quantity,
            unit_price_minor: Some(unit),
            amount_minor: amount,
        });
        row_of.push(i);
    }
    Ok(Parsed {
        input: OrderInput {
            customer_id: stored.customer_id,
            order_ref: blank(&f.order_ref),
            order_date: order_date.unwrap_or(stored.order_date),
            currency: Some(currency),
            asked_by_name: f.asked_by_name,
            notes: blank(&f.notes),
            lines,
        },
        row_of,
        amounts,
    })
}

/// The form's name for a field the domain names (`lines[2].unit_price_minor` → the row the
/// line came from, `unit_price_ROW`; the amount is computed from the unit price, so its errors
/// show there too).
fn form_field(field: &str, row_of: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("lines[") {
        if let Some((n, name)) = rest.split_once("].") {
            if let Some(row) = n.parse::<usize>().ok().and_then(|n| row_of.get(n)) {
                let name = match name {
                    "unit_price_minor" | "amount_minor" => "unit_price",
                    other => other,
                };
                return format!("{name}_{row}");
            }
        }
    }
    match field {
        "ref" => "order_ref".into(),
        other => other.into(),
    }
}

/// An order whose customer the user may see (else "not found"), with the customer's name.
async fn load(state: &AppState, page: &Page, id: &str) -> Result<(Order, String), UiError> {
    let o = state.store.get_order(OrderId(path_id(id)?)).await?;
    let name = customer_in_reach(state, page, o.customer_id).await?;
    Ok((o, name))
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    order: &Order,
    customer: &str,
    f: &OrderFields,
    amounts: &[Option<i64>],
    errors: Map<String, Value>,
) -> Result<Response, UiError> {
    let lang = page.lang;
    let currency = Currency::parse("currency", &f.currency).unwrap_or(order.currency.clone());
    let mut rows: Vec<Value> = Vec::with_capacity(f.lines.len());
    for (i, r) in f.lines.iter().enumerate() {
        rows.push(json!({
            "i": i, "product": product_picker::shown(state, &r.product_id).await?,
            "product_line": r.product_line,
            "quantity": r.quantity, "unit_price": r.unit_price,
            "amount": amounts.get(i).copied().flatten()
                .map(|a| i18n::money_parts(lang, a, &currency)),
        }));
    }
    let total: Option<i64> = amounts
        .iter()
        .flatten()
        .try_fold(0i64, |acc, a| acc.checked_add(*a));
    Ok(page.render_status(
        status,
        "order_form.html",
        json!({
            "id": order.id.0,
            "customer": {"id": order.customer_id.0, "name": customer},
            "f": f,
            "rows": rows,
            "total": total.map(|t| i18n::money_parts(lang, t, &currency)),
            "products": product_picker::choices(state).await?,
            "cf": super::credit_forms::order_fields_view(&f.credit, &errors, f.credit_refusal.as_deref()),
            "errors": errors,
        }),
    ))
}

/// `GET /orders/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (o, name) = load(&state, &page, &id).await?;
        let f = OrderFields::from_order(&o);
        let amounts: Vec<Option<i64>> = o.lines.iter().map(|l| Some(l.amount_minor)).collect();
        render(
            &state,
            &page,
            StatusCode::OK,
            &o,
            &name,
            &f,
            &amounts,
            Map::new(),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /orders/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let (csrf, mut f) = OrderFields::from_pairs(pairs);
        let caller = page.check_csrf(&csrf)?;
        let (o, name) = load(&state, &page, &id).await?;
        let mut errs = Map::new();
        let parsed = parse(&state, &f, &o, &mut errs).await?;
        if errs.is_empty() && parsed.input.lines.is_empty() {
            add_error(&mut errs, "lines", "required");
        }
        if errs.is_empty() {
            use super::credit_forms::{save_order, OrderSave};
            let rename = |field: &str| form_field(field, &parsed.row_of);
            let credit = f.credit.clone();
            match save_order(
                &state,
                &page,
                caller,
                Some(o.id),
                parsed.input,
                &credit,
                rename,
            )
            .await?
            {
                OrderSave::Saved => {
                    return Ok(super::see_other(&format!(
                        "/customers/{}#timeline",
                        o.customer_id
                    )))
                }
                OrderSave::Rejected { errors, refusal } => {
                    errs = errors;
                    f.credit_refusal = refusal;
                }
                OrderSave::Failed(StoreError::Conflict {
                    field: Some(field), ..
                }) if field == "ref" => add_error(&mut errs, "order_ref", "taken"),
                OrderSave::Failed(e) => return Err(e.into()),
            }
        }
        // Room to add a line after a rejected form too.
        if f.lines.last().is_none_or(|r| !r.is_empty()) {
            f.lines.push(LineRow::default());
        }
        render(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &o,
            &name,
            &f,
            &parsed.amounts,
            errs,
        )
        .await
    };
    respond(run.await, &page)
}

/// `GET /orders/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (o, name) = load(&state, &page, &id).await?;
        let what = format!(
            "{} · {}",
            i18n::date(page.lang, o.order_date),
            i18n::money_parts(page.lang, o.total_minor, &o.currency)
        );
        Ok(confirm_delete_page(
            &page,
            DeleteTarget {
                heading: "delete-order",
                what,
                customer: o.customer_id,
                customer_name: name,
                action: format!("/orders/{}/delete", o.id),
                back: format!("/customers/{}#timeline", o.customer_id),
            },
        ))
    };
    respond(run.await, &page)
}

/// `POST /orders/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let (o, _) = load(&state, &page, &id).await?;
        state.store.delete_order_by(Some(caller.id()), o.id).await?;
        Ok(super::see_other(&format!(
            "/customers/{}#timeline",
            o.customer_id
        )))
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_by_index_and_gaps_kept() {
        let pairs = vec![
            ("csrf".into(), "t".into()),
            ("order_date".into(), "2025-01-02".into()),
            ("quantity_0".into(), "2".into()),
            ("product_id_2".into(), "7".into()),
            ("asked_by_name".into(), "on".into()),
            ("quantity_99999".into(), "1".into()),
        ];
        let (csrf, f) = OrderFields::from_pairs(pairs);
        assert_eq!(csrf, "t");
        assert_eq!(f.order_date, "2025-01-02");
        assert!(f.asked_by_name);
        assert_eq!(f.lines.len(), 3);
        assert_eq!(f.lines[0].quantity, "2");
        assert!(f.lines[1].is_empty());
        assert_eq!(f.lines[2].product_id, "7");
    }

    #[test]
    fn store_errors_land_on_the_row_they_came_from() {
        let row_of = [0, 2];
        assert_eq!(form_field("lines[1].quantity", &row_of), "quantity_2");
        assert_eq!(form_field("lines[1].amount_minor", &row_of), "unit_price_2");
        assert_eq!(form_field("ref", &row_of), "order_ref");
        assert_eq!(
            form_field("lines[5].quantity", &row_of),
            "lines[5].quantity"
        );
    }
}
