//! `GET /customers/{id}`: the page staff look at before every contact (METHOD §1) — profile,
//! key persons with birthdays and anniversaries, warnings, order summary, the timeline of
//! contacts and orders, the change history — with forms to log a contact and add an order.

use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{
    parse_amount, CustomerId, InteractionInput, InteractionKind, OrderInput, OrderLineInput, UserId,
};
use patron_store::{InteractionQuery, OrderQuery};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Contact kinds offered first in the form (the three the method logs most).
const KINDS: &[InteractionKind] = &[
    InteractionKind::Visit,
    InteractionKind::Call,
    InteractionKind::Consultation,
    InteractionKind::Letter,
    InteractionKind::Card,
    InteractionKind::Gift,
    InteractionKind::Meeting,
    InteractionKind::Delivery,
    InteractionKind::Installation,
    InteractionKind::Other,
];

pub async fn show(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async {
        let id = parse_id(&id)?;
        render(&state, &page, id, StatusCode::OK, Map::new(), None).await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// Ids in URLs are numbers; anything else is simply "not found".
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
    id: CustomerId,
    status: StatusCode,
    errors: Map<String, Value>,
    notice: Option<String>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    // Out of scope reads exactly like missing.
    if !state.store.customer_in_scope(id, caller.scope).await? {
        return Err(UiError::NotFound);
    }
    let lang = page.lang;
    let ov = state.store.customer_overview(id).await?;
    let users = state.store.list_users().await?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let c = &ov.customer;
    let kps: Vec<_> = ov
        .key_persons
        .iter()
        .map(|k| {
            json!({
                "name": k.name, "title": k.title, "phone": k.phone.as_ref().or(k.mobile.as_ref()),
                "hobbies": k.hobbies,
                "birthday": k.birthday.map(|d| i18n::month_day(lang, d)),
                "anniversary": k.wedding_anniversary.map(|d| i18n::month_day(lang, d)),
            })
        })
        .collect();
    // The timeline: the latest contacts and orders, newest first.
    let its = state
        .store
        .list_interactions(&InteractionQuery {
            customer_id: Some(id),
            limit: Some(30),
            scope: caller.scope,
            ..Default::default()
        })
        .await?;
    let orders = state
        .store
        .list_orders(&OrderQuery {
            customer_id: Some(id),
            limit: Some(30),
            scope: caller.scope,
            ..Default::default()
        })
        .await?;
    let mut timeline: Vec<(chrono::DateTime<chrono::Utc>, Value)> = Vec::new();
    for i in &its.items {
        let text = [i.outcome.as_deref(), i.notes.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — ");
        let who = i.staff_id.and_then(|s| names.get(&s)).cloned();
        timeline.push((
            i.occurred_at,
            json!({"when": i18n::datetime(lang, i.occurred_at), "kind": i.kind.as_str(),
                   "text": match who { Some(w) => format!("{w}: {text}"), None => text }}),
        ));
    }
    for o in &orders.items {
        let at = o
            .order_date
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .unwrap_or_default();
        let lines = o
            .lines
            .iter()
            .filter_map(|l| l.product_line.clone())
            .collect::<Vec<_>>()
            .join(", ");
        timeline.push((
            at,
            json!({"when": i18n::date(lang, o.order_date), "order": true,
                   "amount": i18n::money_parts(lang, o.total_minor, &o.currency), "text": lines}),
        ));
    }
    timeline.sort_by_key(|t| std::cmp::Reverse(t.0));
    let history: Vec<_> = state
        .store
        .customer_history(id, 50)
        .await?
        .into_iter()
        .map(|h| {
            let fields: Vec<_> = h
                .changes
                .iter()
                .filter(|_| h.action == "update" || h.action == "merge")
                .take(8)
                .map(|(k, v)| {
                    let show = |x: &Value| match x {
                        Value::Null => "—".to_owned(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    json!({"name": k, "before": show(&v["before"]), "after": show(&v["after"])})
                })
                .collect();
            json!({"action": h.action, "entity": h.entity.as_str(), "who": h.user_name,
                   "when": i18n::datetime(lang, h.at), "fields": fields})
        })
        .collect();
    let money_list = |v: &[patron_core::Money]| -> Vec<String> {
        v.iter().map(|m| i18n::money(lang, m)).collect()
    };
    let mut ctx = json!({
        "c": {
            "id": c.id.0, "name": c.name, "kind": c.kind.as_str(), "stage": c.stage.as_str(),
            "company": c.company, "phone": c.phone, "email": c.email, "address": c.address,
            "level": c.level, "source": c.source, "tags": c.tags, "notes": c.notes,
        },
        "owner_name": c.owner_id.and_then(|o| names.get(&o)),
        "rm_name": c.relationship_manager_id.and_then(|o| names.get(&o)),
        "key_persons": kps,
        "warnings": ov.warnings.iter().map(|w| json!({"code": w.code})).collect::<Vec<_>>(),
        "orders": {
            "count": ov.orders.count,
            "last": ov.orders.last_order_date.map(|d| i18n::date(lang, d)),
            "revenue_12m": money_list(&ov.orders.revenue_12m),
            "revenue_total": money_list(&ov.orders.revenue_total),
        },
        "timeline": timeline.into_iter().map(|t| t.1).collect::<Vec<_>>(),
        "history": history,
        "kinds": KINDS.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "today": chrono::Utc::now().date_naive().to_string(),
        "errors": errors,
    });
    if let (Some(n), Some(o)) = (notice, ctx.as_object_mut()) {
        o.insert("notice".into(), Value::String(n));
    }
    Ok(page.render_status(status, "customer.html", ctx))
}

#[derive(Debug, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    csrf: String,
    kind: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
}

/// Maps validation errors to `field → message-key suffix` for the form.
pub(crate) fn field_errors(e: &patron_core::ValidationErrors) -> Map<String, Value> {
    let mut m = Map::new();
    for f in &e.0 {
        let key = match f.code.as_str() {
            "required" | "too_long" | "out_of_range" | "invalid_email" | "invalid_phone"
            | "outside_scope" => f.code.as_str(),
            _ => "invalid",
        };
        m.entry(f.field.clone())
            .or_insert_with(|| Value::String(key.to_owned()));
    }
    m
}

pub async fn log_interaction(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<LogForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = parse_id(&id)?;
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let kind = InteractionKind::parse("kind", &f.kind).map_err(|_| UiError::NotFound)?;
        let blank = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let input = InteractionInput {
            customer_id: id,
            kind,
            occurred_at: None,
            staff_id: Some(caller.id()),
            key_person_id: None,
            outcome: blank(&f.outcome),
            notes: blank(&f.notes),
        };
        match state
            .store
            .create_interaction_by(Some(caller.id()), input)
            .await
        {
            Ok(_) => Ok(super::see_other(&format!("/customers/{id}#timeline"))),
            Err(patron_store::StoreError::Invalid(e)) => {
                let errs = field_errors(&e);
                render(
                    &state,
                    &page,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errs,
                    None,
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

#[derive(Debug, Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    order_date: String,
    #[serde(default)]
    product_line: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    amount: String,
}

pub async fn add_order(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<OrderForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = parse_id(&id)?;
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        let date = chrono::NaiveDate::parse_from_str(f.order_date.trim(), "%Y-%m-%d").ok();
        if date.is_none() {
            errs.insert("order_date".into(), "required".into());
        }
        let qty = f.quantity.trim().parse::<i64>().ok().filter(|q| *q > 0);
        if qty.is_none() {
            errs.insert("quantity".into(), "invalid".into());
        }
        let currency = patron_core::Currency::parse(
            "currency",
            &state
                .store
                .get_setting("default_currency")
                .await?
                .unwrap_or_else(|| "USD".into()),
        )
        .unwrap_or_default();
        let amount = parse_amount("amount", f.amount.trim(), &currency).ok();
        if amount.is_none() {
            errs.insert("amount".into(), "invalid".into());
        }
        let (Some(date), Some(qty), Some(amount)) = (date, qty, amount) else {
            return render(
                &state,
                &page,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                errs,
                None,
            )
            .await;
        };
        let input = OrderInput {
            customer_id: id,
            order_date: date,
            lines: vec![OrderLineInput {
                quantity: qty,
                amount_minor: Some(amount),
                product_line: Some(f.product_line.trim().to_owned()).filter(|s| !s.is_empty()),
                ..Default::default()
            }],
            ..Default::default()
        };
        match state.store.create_order_by(Some(caller.id()), input).await {
            Ok(_) => Ok(super::see_other(&format!("/customers/{id}#timeline"))),
            Err(patron_store::StoreError::Invalid(e)) => {
                let errs = field_errors(&e);
                render(
                    &state,
                    &page,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    errs,
                    None,
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
