//! `GET /customers/{id}`: the page staff look at before every contact (METHOD §1) — profile,
//! key persons with birthdays and anniversaries, warnings, order summary, the timeline of
//! contacts and orders, the change history, the customer's classes with their explanation and
//! history (METHOD §2) — with forms to log a contact, add an order and override loyalty.

use super::forms::{
    add_error, blank, field_errors_as, merge_domain, optional_date, optional_datetime, respond,
};
use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::{
    parse_amount, CustomerId, InteractionInput, InteractionKind, KeyPersonId, OrderInput,
    OrderLineInput, UserId,
};
use patron_store::{InteractionQuery, OrderQuery};
use serde::{Deserialize, Serialize};
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
    InteractionKind::Questionnaire,
    InteractionKind::Meeting,
    InteractionKind::Delivery,
    InteractionKind::Installation,
    InteractionKind::Other,
];

pub async fn show(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async {
        let id = parse_id(&id)?;
        render(&state, &page, id, StatusCode::OK, None).await
    };
    respond(run.await, &page)
}

/// A form of this page that was refused: which one, what was typed (shown again) and the
/// message for each field.
pub(crate) struct Refused {
    pub(crate) form: &'static str,
    pub(crate) values: Value,
    pub(crate) errors: Map<String, Value>,
}

/// The page again with a refused form (422): its values and messages next to the fields.
pub(crate) async fn render_refused(
    state: &AppState,
    page: &Page,
    id: CustomerId,
    refused: Refused,
) -> Result<Response, UiError> {
    render(
        state,
        page,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(refused),
    )
    .await
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
    mut refused: Option<Refused>,
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
                "id": k.id.0, "name": k.name, "title": k.title, "phone": k.phone,
                "mobile": k.mobile, "email": k.email,
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
                   "text": match who { Some(w) => format!("{w}: {text}"), None => text },
                   "path": "interactions", "rid": i.id.0}),
        ));
    }
    for o in &orders.items {
        let at = o
            .order_date
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc())
            .unwrap_or_default();
        // Each line as "product line × quantity", so the timeline says what was bought.
        let lines = o
            .lines
            .iter()
            .map(|l| match &l.product_line {
                Some(pl) => format!("{pl} × {}", l.quantity),
                None => format!("× {}", l.quantity),
            })
            .collect::<Vec<_>>()
            .join(", ");
        timeline.push((
            at,
            json!({"when": i18n::date(lang, o.order_date), "order": true,
                   "amount": i18n::money_parts(lang, o.total_minor, &o.currency), "text": lines,
                   "by_name": o.asked_by_name,
                   "path": "orders", "rid": o.id.0}),
        ));
    }
    // Complaints, so the customer's page shows what went wrong next to what was bought.
    let complaints = state
        .store
        .list_complaints(&patron_store::complaints::ComplaintQuery {
            scope: caller.scope,
            customer_id: Some(id),
            limit: Some(30),
            as_of: Some(state.config.clock.now()),
            ..Default::default()
        })
        .await?;
    for x in &complaints {
        timeline.push((
            x.recorded_at,
            json!({"when": i18n::datetime(lang, x.recorded_at), "complaint": true,
                   "text": x.summary, "cause": patron_core::promotion::Word::as_str(x.cause),
                   "status": patron_core::promotion::Word::as_str(x.status),
                   "overdue": x.overdue, "rid": x.id}),
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
                    // The member's name in the reader's language; a member without a
                    // label (added to a record later) shows as it is.
                    let key = format!("history-field-{k}");
                    let label = i18n::tr(lang, &key, &[]);
                    let name = if label == key { k.clone() } else { label };
                    json!({"name": name, "before": show(&v["before"]), "after": show(&v["after"])})
                })
                .collect();
            let count = |k: &str| h.changes.get(k).and_then(Value::as_i64).unwrap_or(0);
            json!({"action": h.action, "entity": h.entity.as_str(), "who": h.user_name,
                   "when": i18n::datetime(lang, h.at), "fields": fields,
                   "import_id": h.import_id, "import_file": h.import_file,
                   "orders_created": count("orders_created"),
                   "orders_updated": count("orders_updated"),
                   "customer_created": h.changes.get("customer_created") == Some(&Value::Bool(true))})
        })
        .collect();
    let money_list = |v: &[patron_core::Money]| -> Vec<String> {
        v.iter().map(|m| i18n::money(lang, m)).collect()
    };
    // The credit section (METHOD §2.6) takes a refused credit form for itself.
    let credit = super::credit_forms::section(state, page, id, &mut refused).await?;
    // The satisfaction part (METHOD §2.3) takes a refused satisfaction form for itself.
    let satisfaction = super::satisfaction_form::section(state, page, id, &mut refused).await?;
    let surveys = super::surveys::section(state, page, id).await?;
    let (mut log, mut add, mut loyalty) = (
        json!({"v": LogForm::default(), "errors": {}}),
        json!({"v": OrderForm::fresh(), "errors": {}}),
        json!({"v": LoyaltyForm::default(), "errors": {}}),
    );
    if let Some(r) = refused {
        let slot = match r.form {
            "log" => &mut log,
            "loyalty" => &mut loyalty,
            _ => &mut add,
        };
        *slot = json!({"v": r.values, "errors": r.errors});
    }
    // The classes of the latest run with the numbers behind them, and their history.
    let classes = match state.store.customer_classes(id).await? {
        Some(cc) => {
            let history = state.store.class_history(id).await?;
            Some(super::class_view::customer_view(
                lang, &cc, &history, &names,
            ))
        }
        None => None,
    };
    // The key persons the log form offers as "met" (the overview already holds them).
    let key_person_choices: Vec<Value> = ov
        .key_persons
        .iter()
        .map(|k| json!({"id": k.id.0.to_string(), "name": k.name}))
        .collect();
    // The latest model scores (`patron model score`), in the reader's formats; none until scored.
    let score = state
        .store
        .customer_score(id)
        .await?
        .map(|s| super::scores::view(lang, &s));
    // The key-account plan (METHOD §3.4): a link for A-class customers and those with a plan.
    let key_account = super::key_accounts::customer_link(
        state,
        lang,
        id,
        classes.as_ref().and_then(|c| c["abc"].as_str()),
    )
    .await?;
    // Deliveries and installations (METHOD §6).
    let after_sales = super::after_sales::section(state, page, id).await?;
    let ctx = json!({
        "after_sales": after_sales,
        "key_account": key_account,
        "credit": credit,
        "satisfaction": satisfaction,
        "surveys": surveys,
        "score": score,
        "classes": classes,
        "loyalty_form": loyalty,
        "loyalty_choices": super::class_view::loyalty_choices(lang),
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
        "key_person_choices": key_person_choices,
        "log": log,
        "add": add,
    });
    Ok(page.render_status(status, "customer.html", ctx))
}

/// The "log a contact" form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct LogForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    /// Empty: now.
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    key_person_id: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    /// A promised follow-up: its day (`YYYY-MM-DD`) and what was promised; it goes on the
    /// agenda of whoever logs the contact (METHOD §3.3: nothing promised is forgotten).
    #[serde(default)]
    follow_up_on: String,
    #[serde(default)]
    follow_up: String,
}

/// `POST /customers/{id}/interactions`: logs a contact as done by the signed-in user.
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
        let mut errs = Map::new();
        let kind = InteractionKind::parse("kind", f.kind.trim()).ok();
        if kind.is_none() {
            add_error(&mut errs, "kind", "invalid");
        }
        let occurred_at = optional_datetime(&f.occurred_at, "occurred_at", &mut errs);
        let follow_up_on = optional_date(&f.follow_up_on, "follow_up_on", &mut errs);
        let key_person_id = match blank(&f.key_person_id).map(|s| s.parse::<i64>()) {
            None => None,
            Some(Ok(n)) => match state.store.get_key_person(KeyPersonId(n)).await {
                Ok(k) if k.customer_id == id => Some(k.id),
                Ok(_) | Err(patron_store::StoreError::NotFound { .. }) => {
                    add_error(&mut errs, "key_person_id", "unknown_reference");
                    None
                }
                Err(e) => return Err(e.into()),
            },
            Some(Err(_)) => {
                add_error(&mut errs, "key_person_id", "invalid");
                None
            }
        };
        let input = InteractionInput {
            customer_id: id,
            // Only used when the kind was valid: otherwise nothing is saved.
            kind: kind.unwrap_or(InteractionKind::Other),
            occurred_at,
            staff_id: Some(caller.id()),
            key_person_id,
            outcome: blank(&f.outcome),
            notes: blank(&f.notes),
            follow_up_on,
            follow_up: blank(&f.follow_up),
        };
        if errs.is_empty() {
            match state
                .store
                .create_interaction_by(Some(caller.id()), input)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{id}#timeline"))),
                Err(patron_store::StoreError::Invalid(e)) => {
                    errs = field_errors_as(&e, str::to_owned)
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            // Every message at once: the domain's verdict on the rest of the form too.
            merge_domain(&mut errs, input.validate(chrono::Utc::now()), str::to_owned);
        }
        let refused = Refused {
            form: "log",
            values: json!(f),
            errors: errs,
        };
        render(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(refused),
        )
        .await
    };
    respond(run.await, &page)
}

/// The loyalty override form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct LoyaltyForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    loyalty: String,
    #[serde(default)]
    reason: String,
    /// Set by the "remove the override" button.
    #[serde(default, skip_serializing)]
    remove: String,
}

/// `POST /customers/{id}/loyalty`: staff override the loyalty class with a reason (METHOD §2.2),
/// or remove their override; anyone who may edit the customer. Recorded as the signed-in user's.
pub async fn set_loyalty(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<LoyaltyForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = parse_id(&id)?;
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        let value = if f.remove.is_empty() {
            let loyalty = patron_core::classify::Loyalty::parse(&f.loyalty);
            if loyalty.is_none() {
                add_error(&mut errs, "loyalty", "invalid");
            }
            if f.reason.trim().is_empty() {
                add_error(&mut errs, "reason", "required");
            }
            loyalty.map(|l| (l, f.reason.trim()))
        } else {
            None
        };
        if errs.is_empty() {
            match state
                .store
                .set_loyalty_override(Some(caller.id()), id, value)
                .await
            {
                Ok(()) => return Ok(super::see_other(&format!("/customers/{id}#classes"))),
                Err(patron_store::StoreError::Invalid(e)) => {
                    errs = field_errors_as(&e, str::to_owned)
                }
                Err(e) => return Err(e.into()),
            }
        }
        let refused = Refused {
            form: "loyalty",
            values: json!(f),
            errors: errs,
        };
        render(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(refused),
        )
        .await
    };
    respond(run.await, &page)
}

/// The "add an order" form (one line), as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct OrderForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    order_date: String,
    #[serde(default)]
    product_line: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    amount: String,
    /// The credit override a business manager may tick, and its reason.
    #[serde(default)]
    credit_override: String,
    #[serde(default)]
    credit_reason: String,
}

impl OrderForm {
    /// An empty form: today, one piece.
    fn fresh() -> Self {
        OrderForm {
            order_date: chrono::Utc::now().date_naive().to_string(),
            quantity: "1".into(),
            ..Default::default()
        }
    }
}

/// The add-order form's name for a field of the domain's order (it has one line, and its
/// amount stands for the line's amount or price).
fn order_form_field(field: &str) -> String {
    match field.strip_prefix("lines[0].") {
        Some("quantity") => "quantity".into(),
        Some("product_line") => "product_line".into(),
        Some(_) => "amount".into(),
        None if field == "lines" => "amount".into(),
        None => field.into(),
    }
}

/// `POST /customers/{id}/orders`: records a one-line order.
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
        let date = super::forms::optional_date(&f.order_date, "order_date", &mut errs);
        if date.is_none() {
            add_error(&mut errs, "order_date", "required");
        }
        let qty = match f.quantity.trim().parse::<i64>() {
            Ok(q) => Some(q),
            Err(_) if f.quantity.trim().is_empty() => {
                add_error(&mut errs, "quantity", "required");
                None
            }
            Err(_) => {
                add_error(&mut errs, "quantity", "invalid");
                None
            }
        };
        let currency = super::products::default_currency(&state).await?;
        let amount = match blank(&f.amount) {
            None => {
                add_error(&mut errs, "amount", "required");
                None
            }
            Some(a) => match parse_amount("amount", &a, &currency) {
                Ok(a) => Some(a),
                Err(e) => {
                    add_error(&mut errs, "amount", &e.code);
                    None
                }
            },
        };
        let mut refused_credit: Option<String> = None;
        if let (Some(date), Some(qty), Some(amount), true) = (date, qty, amount, errs.is_empty()) {
            let input = OrderInput {
                customer_id: id,
                order_date: date,
                lines: vec![OrderLineInput {
                    quantity: qty,
                    amount_minor: Some(amount),
                    product_line: blank(&f.product_line),
                    ..Default::default()
                }],
                ..Default::default()
            };
            let ov = super::credit_forms::OverrideFields {
                credit_override: f.credit_override.clone(),
                credit_reason: f.credit_reason.clone(),
            };
            use super::credit_forms::{save_order, OrderSave};
            match save_order(&state, &page, caller, None, input, &ov, order_form_field).await? {
                OrderSave::Saved => {
                    return Ok(super::see_other(&format!("/customers/{id}#timeline")))
                }
                OrderSave::Rejected { errors, refusal } => {
                    errs = errors;
                    refused_credit = refusal;
                }
                OrderSave::Failed(e) => return Err(e.into()),
            }
        }
        let mut values = json!(f);
        values["credit_refusal"] = json!(refused_credit);
        let refused = Refused {
            form: "add",
            values,
            errors: errs,
        };
        render(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(refused),
        )
        .await
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_errors_go_next_to_the_add_form_fields() {
        assert_eq!(order_form_field("lines[0].quantity"), "quantity");
        assert_eq!(order_form_field("lines[0].amount_minor"), "amount");
        assert_eq!(order_form_field("lines[0].unit_price_minor"), "amount");
        assert_eq!(order_form_field("order_date"), "order_date");
    }
}
