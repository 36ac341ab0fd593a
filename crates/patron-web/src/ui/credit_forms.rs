//! The credit system in the UI (METHOD §2.6): the "Credit" section of the customer page (class,
//! limit, payment term, outstanding and overdue balance, payments, reviews, overrides), its two
//! forms — a credit review (business managers and above) and a payment (anyone who may edit the
//! customer) — deleting a payment, and the credit check of the order forms with the override a
//! manager may give.
//!
//! `POST /customers/{id}/credit-reviews`, `POST /customers/{id}/payments`,
//! `GET/POST /payments/{id}/delete`. A refused form shows the customer page again with the
//! messages next to the fields, like the page's other forms.

use super::customer::{render_refused, Refused};
use super::forms::{add_error, blank, field_errors_as, optional_date, path_id, respond};
use super::{i18n, Page, UiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use i18n::Lang;
use patron_core::credit::{CreditClass, CreditReviewInput, PaymentInput};
use patron_core::{
    parse_amount, Currency, CustomerId, OrderId, OrderInput, PaymentId, Permissions, UserId,
};
use patron_store::credit::CreditRefusal;
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Payments, reviews and overrides the section lists (the API has them all).
const SHOWN: u32 = 10;

fn money(lang: Lang, minor: i64, currency: &Currency) -> String {
    i18n::money_parts(lang, minor, currency)
}

/// The section's data for the customer page. A refused credit form (`credit-review`,
/// `payment`) is taken out of `refused` and shown in its form; any other is left for the page.
pub(crate) async fn section(
    state: &AppState,
    page: &Page,
    id: CustomerId,
    refused: &mut Option<Refused>,
) -> Result<Value, UiError> {
    let lang = page.lang;
    let caller = page.user()?;
    let mine = refused.take_if(|r| r.form == "credit-review" || r.form == "payment");
    let (mut review_form, mut payment_form) = (
        json!({"v": ReviewForm::default(), "errors": {}}),
        json!({"v": PaymentForm::default(), "errors": {}}),
    );
    if let Some(r) = mine {
        let slot = if r.form == "payment" {
            &mut payment_form
        } else {
            &mut review_form
        };
        *slot = json!({"v": r.values, "errors": r.errors});
    }
    let policy = patron_store::credit::load_policy(state.store.as_ref()).await?;
    let default_currency = patron_store::classes::default_currency(state.store.as_ref()).await?;
    let defaults: Vec<Value> = CreditClass::ALL
        .iter()
        .map(|c| {
            let t = policy.terms(*c);
            json!({"class": c.as_str(), "limit": money(lang, t.limit_minor, &default_currency),
                   "term_days": t.term_days})
        })
        .collect();
    let mut out = json!({
        "managed": false,
        "can_review": caller.user.can_manage_credit(),
        "classes": CreditClass::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "defaults": defaults,
        "review_form": review_form,
        "payment_form": payment_form,
    });
    let Some(k) = state.store.customer_credit(id).await? else {
        return Ok(out);
    };
    let cur = Currency::parse("currency", &k.currency).unwrap_or(default_currency);
    let reviews = state.store.credit_reviews(id).await?;
    let latest = reviews.first();
    let b = &k.balance;
    let payments = state.store.list_payments(id, SHOWN + 1).await?;
    let overrides = state.store.credit_overrides(id, SHOWN).await?;
    let more_payments = payments.len() > SHOWN as usize;
    let who =
        |id: Option<UserId>, name: &Option<String>| -> Option<String> { id.and(name.clone()) };
    if let Value::Object(m) = &mut out {
        m.extend(
            json!({
                "managed": true,
                "class": k.class.as_str(),
                "limit": money(lang, k.limit_minor, &cur),
                "term_days": k.term_days,
                "deposit": k.deposit_minor.map(|d| money(lang, d, &cur)),
                "reviewed_on": i18n::date(lang, k.reviewed_on),
                "reviewer": latest.and_then(|r| who(r.reviewer_id, &r.reviewer_name)),
                "since": i18n::date(lang, k.since),
                "outstanding": money(lang, b.outstanding_minor, &cur),
                "overdue": money(lang, b.overdue_minor, &cur),
                "has_overdue": b.overdue_minor > 0,
                "days_overdue": b.days_overdue,
                "oldest_due": b.oldest_overdue_due.map(|d| i18n::date(lang, d)),
                "available": money(lang, k.available_minor.max(0), &cur),
                "over_limit": (k.available_minor < 0).then(|| money(lang, -k.available_minor, &cur)),
                "in_advance": (b.unapplied_minor > 0).then(|| money(lang, b.unapplied_minor, &cur)),
                "payments": payments.iter().take(SHOWN as usize).map(|p| json!({
                    "id": p.id.0,
                    "date": i18n::date(lang, p.paid_on),
                    "amount": money(lang, p.amount_minor,
                        &Currency::parse("currency", &p.currency).unwrap_or(cur.clone())),
                    "reference": p.reference,
                    "by": who(p.created_by, &p.created_by_name),
                })).collect::<Vec<_>>(),
                "payments_more": more_payments,
                "reviews": reviews.iter().take(SHOWN as usize).map(|r| json!({
                    "date": i18n::date(lang, r.reviewed_on),
                    "class": r.class.as_str(),
                    "limit": money(lang, r.limit_minor, &cur),
                    "term_days": r.term_days,
                    "deposit": r.deposit_minor.map(|d| money(lang, d, &cur)),
                    "by": who(r.reviewer_id, &r.reviewer_name),
                    "notes": r.notes,
                })).collect::<Vec<_>>(),
                "overrides": overrides.iter().map(|o| json!({
                    "when": i18n::datetime(lang, o.at),
                    "who": who(o.user_id, &o.user_name),
                    "reason": o.reason,
                    "over": money(lang, o.over_limit_minor, &cur),
                    "order": money(lang, o.order_minor, &cur),
                    "order_id": o.order_id.map(|i| i.0),
                })).collect::<Vec<_>>(),
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
    }
    Ok(out)
}

/// Checks that the customer of the URL is in the user's reach.
async fn customer_of(state: &AppState, caller: &Caller, id: &str) -> Result<CustomerId, UiError> {
    let id = CustomerId(path_id(id)?);
    if !state.store.customer_in_scope(id, caller.scope).await? {
        return Err(UiError::NotFound);
    }
    Ok(id)
}

/// The credit review form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReviewForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    class: String,
    /// Empty: the class's default.
    #[serde(default)]
    limit: String,
    #[serde(default)]
    term_days: String,
    #[serde(default)]
    deposit: String,
    #[serde(default)]
    reviewed_on: String,
    #[serde(default)]
    notes: String,
}

/// An amount typed in the default currency, `None` when empty; a bad one is an error on `field`.
fn optional_amount(
    s: &str,
    field: &str,
    currency: &Currency,
    errs: &mut Map<String, Value>,
) -> Option<i64> {
    let s = blank(s)?;
    match parse_amount(field, &s, currency) {
        Ok(v) => Some(v),
        Err(e) => {
            add_error(errs, field, &e.code);
            None
        }
    }
}

/// The review and payment forms' names for the domain's fields.
fn form_field(field: &str) -> String {
    match field {
        "limit_minor" => "limit".into(),
        "deposit_minor" => "deposit".into(),
        "amount_minor" => "amount".into(),
        other => other.into(),
    }
}

/// `POST /customers/{id}/credit-reviews`: records a credit review as the signed-in user's
/// (business managers and above).
pub async fn review(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ReviewForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = customer_of(&state, caller, &id).await?;
        if !caller.user.can_manage_credit() {
            return Err(UiError::Forbidden);
        }
        let currency = patron_store::classes::default_currency(state.store.as_ref()).await?;
        let mut errs = Map::new();
        let limit_minor = optional_amount(&f.limit, "limit", &currency, &mut errs);
        let deposit_minor = optional_amount(&f.deposit, "deposit", &currency, &mut errs);
        let term_days = match blank(&f.term_days).map(|t| t.parse::<u32>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                add_error(&mut errs, "term_days", "invalid");
                None
            }
        };
        let reviewed_on = optional_date(&f.reviewed_on, "reviewed_on", &mut errs);
        let input = CreditReviewInput {
            class: f.class.clone(),
            limit_minor,
            term_days,
            reviewed_on,
            deposit_minor,
            notes: blank(&f.notes),
        };
        if errs.is_empty() {
            match state
                .store
                .record_credit_review(Some(caller.id()), id, input)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{id}#credit"))),
                Err(StoreError::Invalid(e)) => errs = field_errors_as(&e, form_field),
                Err(e) => return Err(e.into()),
            }
        }
        render_refused(
            &state,
            &page,
            id,
            Refused {
                form: "credit-review",
                values: json!(f),
                errors: errs,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// The payment form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PaymentForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    amount: String,
    /// Empty: today.
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notes: String,
}

/// `POST /customers/{id}/payments`: records a payment as the signed-in user's.
pub async fn payment(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PaymentForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = customer_of(&state, caller, &id).await?;
        let currency = patron_store::classes::default_currency(state.store.as_ref()).await?;
        let mut errs = Map::new();
        let amount = optional_amount(&f.amount, "amount", &currency, &mut errs);
        if blank(&f.amount).is_none() {
            add_error(&mut errs, "amount", "required");
        }
        let paid_on = optional_date(&f.paid_on, "paid_on", &mut errs);
        if errs.is_empty() {
            let input = PaymentInput {
                amount_minor: amount.unwrap_or(0),
                paid_on,
                reference: blank(&f.reference),
                notes: blank(&f.notes),
            };
            match state
                .store
                .record_payment(Some(caller.id()), id, input)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{id}#credit"))),
                Err(StoreError::Invalid(e)) => errs = field_errors_as(&e, form_field),
                Err(e) => return Err(e.into()),
            }
        }
        render_refused(
            &state,
            &page,
            id,
            Refused {
                form: "payment",
                values: json!(f),
                errors: errs,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// A payment whose customer the user may see, with the customer's name.
async fn load_payment(
    state: &AppState,
    page: &Page,
    id: &str,
) -> Result<(patron_store::credit::Payment, String), UiError> {
    let p = state.store.get_payment(PaymentId(path_id(id)?)).await?;
    let name = super::forms::customer_in_reach(state, page, p.customer_id).await?;
    Ok((p, name))
}

/// `GET /payments/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let (p, name) = load_payment(&state, &page, &id).await?;
        let cur = Currency::parse("currency", &p.currency).unwrap_or_default();
        let what = format!(
            "{} · {}{}",
            i18n::date(page.lang, p.paid_on),
            money(page.lang, p.amount_minor, &cur),
            p.reference
                .as_deref()
                .map(|r| format!(" · {r}"))
                .unwrap_or_default()
        );
        Ok(page.render(
            "confirm_delete.html",
            json!({
                "heading": "delete-payment",
                "text": "delete-payment-text",
                "what": what,
                "customer": {"id": p.customer_id.0, "name": name},
                "action": format!("/payments/{}/delete", p.id),
                "back": format!("/customers/{}#credit", p.customer_id),
            }),
        ))
    };
    respond(run.await, &page)
}

/// `POST /payments/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<super::forms::ConfirmForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        let (p, _) = load_payment(&state, &page, &id).await?;
        state.store.delete_payment(p.id).await?;
        Ok(super::see_other(&format!(
            "/customers/{}#credit",
            p.customer_id
        )))
    };
    respond(run.await, &page)
}

/// The override part of an order form, as typed: the checkbox and the reason.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct OverrideFields {
    /// Present ("on") when the checkbox is ticked.
    #[serde(default)]
    pub credit_override: String,
    #[serde(default)]
    pub credit_reason: String,
}

/// What became of an order form's order.
pub(crate) enum OrderSave {
    Saved,
    /// Refused: the messages by form field, and the refusal over the credit limit, in the page's
    /// language, when that was the reason.
    Rejected {
        errors: Map<String, Value>,
        refusal: Option<String>,
    },
    /// Anything else the store said (a conflict, a failure); the form decides.
    Failed(StoreError),
}

/// The refusal as the page says it.
pub(crate) fn refusal_text(lang: Lang, r: &CreditRefusal) -> String {
    let m = |v: i64| money(lang, v, &r.currency);
    let class = i18n::tr(lang, &format!("credit-class-{}", r.class.as_str()), &[]);
    i18n::tr(
        lang,
        "credit-refused",
        &[
            ("order", m(r.order_minor).into()),
            ("customer", r.customer_name.clone().into()),
            ("after", m(r.after_minor).into()),
            ("limit", m(r.limit_minor).into()),
            ("class", class.into()),
        ],
    )
}

/// Saves an order from a form (new when `id` is `None`) with the customer's credit limit
/// enforced. A ticked override needs a reason and a business manager or above; `rename` maps
/// the domain's field names to the form's.
pub(crate) async fn save_order(
    state: &AppState,
    page: &Page,
    caller: &Caller,
    id: Option<OrderId>,
    input: OrderInput,
    ov: &OverrideFields,
    rename: impl Fn(&str) -> String,
) -> Result<OrderSave, UiError> {
    let mut errors = Map::new();
    let reason = if ov.credit_override.is_empty() {
        None
    } else if !caller.user.can_manage_credit() {
        errors.insert("credit_reason".into(), "credit-forbidden".into());
        None
    } else {
        if ov.credit_reason.trim().is_empty() {
            add_error(&mut errors, "credit_reason", "required");
        }
        Some(ov.credit_reason.as_str())
    };
    if !errors.is_empty() {
        return Ok(OrderSave::Rejected {
            errors,
            refusal: None,
        });
    }
    let by = Some(caller.id());
    let r = match id {
        None => state.store.create_order_checked(by, input, reason).await,
        Some(id) => {
            state
                .store
                .update_order_checked(by, id, input, reason)
                .await
        }
    };
    Ok(match r {
        Ok(Ok(_)) => OrderSave::Saved,
        Ok(Err(refusal)) => {
            errors.insert("credit".into(), "credit_limit".into());
            OrderSave::Rejected {
                errors,
                refusal: Some(refusal_text(page.lang, &refusal)),
            }
        }
        Err(StoreError::Invalid(e)) => OrderSave::Rejected {
            errors: field_errors_as(&e, |f| match f {
                "credit_override.reason" => "credit_reason".into(),
                other => rename(other),
            }),
            refusal: None,
        },
        Err(e) => OrderSave::Failed(e),
    })
}

/// The override fields' context for the order form include (`cf`): what was typed, their
/// messages, and the refusal.
pub(crate) fn order_fields_view(
    ov: &OverrideFields,
    errors: &Map<String, Value>,
    refusal: Option<&str>,
) -> Value {
    json!({
        "v": {"credit_override": !ov.credit_override.is_empty(), "credit_reason": ov.credit_reason,
              "credit_refusal": refusal},
        "errors": errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_fields_map_to_the_forms() {
        assert_eq!(form_field("limit_minor"), "limit");
        assert_eq!(form_field("amount_minor"), "amount");
        assert_eq!(form_field("reviewed_on"), "reviewed_on");
    }

    #[test]
    fn the_refusal_reads_in_every_language() {
        let r = CreditRefusal {
            customer_id: CustomerId(1),
            customer_name: "王记商行".into(),
            class: CreditClass::Aa,
            limit_minor: 5_000_000,
            outstanding_minor: 4_600_000,
            order_minor: 1_200_000,
            after_minor: 5_800_000,
            over_limit_minor: 800_000,
            currency: Currency::parse("c", "CNY").expect("cny"),
        };
        let zh = refusal_text(Lang::ZhCn, &r);
        assert!(
            zh.contains("¥12,000.00") && zh.contains("¥58,000.00"),
            "{zh}"
        );
        assert!(zh.contains("王记商行") && zh.contains("¥50,000.00"), "{zh}");
        let en = refusal_text(Lang::En, &r);
        assert_eq!(
            en,
            "This order of CNY 12,000.00 would take 王记商行 to CNY 58,000.00 outstanding, \
             over its credit limit of CNY 50,000.00 (AA)."
        );
        for l in [Lang::ZhTw, Lang::Ko] {
            let t = refusal_text(l, &r);
            assert!(
                t.contains("王记商行") && !t.contains("credit-refused"),
                "{t}"
            );
        }
    }
}
