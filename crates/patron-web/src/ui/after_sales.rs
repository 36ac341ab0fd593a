//! Deliveries and installations in the UI (METHOD §6):
//!
//! * `GET /deliveries` — the jobs in the user's scope: open ones (overdue first), late, done or
//!   cancelled, of one kind, only the user's own, between two days;
//! * `GET/POST /deliveries/new?customer=ID[&order=ID]` — a job for a customer, from the customer
//!   page or from one of its orders; `GET/POST /deliveries/{id}/edit`;
//! * `GET /deliveries/{id}` — one job with its history of promises and the method's steps as
//!   buttons: "customer notified", "done", "late" (the reason and the newly agreed day and
//!   window), "cancel", and after it is done the satisfaction call (logged as a call);
//! * the "Deliveries and installations" part of the customer page ([`section`]).
//!
//! A refused form comes back with the message next to each field, in the reader's language.

use super::forms::{add_error, blank, code_key, optional_date, path_id, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{Days, NaiveDate};
use patron_core::{CustomerId, OrderId, UserId, ValidationErrors};
use patron_store::after_sales::{
    self, ServiceJob, ServiceJobAction, ServiceJobInput, ServiceJobQuery, ServiceKind,
    ServiceStatus,
};
use patron_store::{OrderQuery, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Error codes of this feature with a message of their own (`after-sales-error-<code>`); the
/// others use the shared `error-<code>` messages.
const OWN_CODES: &[&str] = &[
    "invalid_time",
    "window_order",
    "before_order",
    "before_today",
    "other_customer",
    "cannot_see_customer",
    "inactive_user",
    "unknown_user",
    "invalid_window",
];

/// The message key for an error code.
fn err_key(code: &str) -> String {
    if OWN_CODES.contains(&code) {
        format!("after-sales-error-{code}")
    } else {
        format!("error-{}", code_key(code))
    }
}

/// `field → message key` for the store's verdict (the first message per field).
fn errors_of(e: &ValidationErrors) -> Map<String, Value> {
    let mut m = Map::new();
    for f in &e.0 {
        m.entry(f.field.clone())
            .or_insert_with(|| Value::String(err_key(&f.code)));
    }
    m
}

/// Turns the bare codes the shared form helpers write (`invalid`, `required`) into message keys,
/// leaving the keys already there.
fn as_keys(errs: &mut Map<String, Value>) {
    for v in errs.values_mut() {
        if let Value::String(s) = v {
            if !s.starts_with("error-") && !s.starts_with("after-sales-") {
                *s = format!("error-{s}");
            }
        }
    }
}

/// A job as the pages show it, in the reader's language.
fn job_view(lang: Lang, j: &ServiceJob, today: NaiveDate) -> Value {
    let dt = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| i18n::datetime(lang, t));
    let changes: Vec<Value> = j
        .changes
        .iter()
        .map(|c| {
            let promise = |d: NaiveDate, w: &Option<String>| match w {
                Some(w) => format!("{} {w}", i18n::date(lang, d)),
                None => i18n::date(lang, d),
            };
            json!({
                "change": c.change,
                "old": promise(c.old_promised_on, &c.old_window),
                "new": promise(c.new_promised_on, &c.new_window),
                "reason": c.reason,
                "who": c.changed_by_name,
                "when": i18n::datetime(lang, c.changed_at),
                "was_notified": c.old_notified_at.is_some(),
            })
        })
        .collect();
    json!({
        "id": j.id,
        "kind": j.kind.as_str(),
        "status": j.status.as_str(),
        "open": j.status.is_open(),
        "overdue": j.overdue(today),
        "customer_id": j.customer_id.0,
        "customer_name": j.customer_name,
        "order_id": j.order_id,
        "order_date": j.order_date.map(|d| i18n::date(lang, d)),
        "order_ref": j.order_ref,
        "promised": i18n::date(lang, j.promised_on),
        "promised_value": j.promised_on.to_string(),
        "window": j.window(),
        "address": j.address,
        "notes": j.notes,
        "assigned_name": j.assigned_name,
        "notified": dt(j.notified_at),
        "done_on": j.done_on.map(|d| i18n::date(lang, d)),
        "late_reason": j.late_reason,
        "times_late": j.times_late,
        "cancel_reason": j.cancel_reason,
        "call_due": j.after_sales_call_due.map(|d| i18n::date(lang, d)),
        "call_at": dt(j.after_sales_call_at),
        "call_interaction_id": j.after_sales_interaction_id,
        "changes": changes,
    })
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

/// The list's filters, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListParams {
    /// `open` (default), `late`, `done`, `cancelled` or `all`.
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    /// `1`: only the jobs assigned to the signed-in user.
    #[serde(default)]
    mine: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The statuses the list offers.
const STATUS_FILTERS: &[&str] = &["open", "late", "done", "cancelled", "all"];

/// `GET /deliveries`.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ListParams>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let today = after_sales::shop_today(state.store.as_ref()).await?;
        let mut errs = Map::new();
        let status = if STATUS_FILTERS.contains(&p.status.trim()) {
            p.status.trim().to_owned()
        } else {
            "open".to_owned()
        };
        let statuses = if status == "all" {
            Vec::new()
        } else {
            ServiceStatus::filter(&status).unwrap_or_default()
        };
        let from = optional_date(&p.from, "from", &mut errs);
        let to = optional_date(&p.to, "to", &mut errs);
        let q = ServiceJobQuery {
            scope: caller.scope,
            statuses,
            kind: ServiceKind::parse(&p.kind),
            assigned_to: (p.mine == "1").then(|| caller.id()),
            from,
            to,
            // Open jobs: the nearest promise first; closed ones: the latest first.
            newest_first: !matches!(status.as_str(), "open" | "late"),
            ..Default::default()
        };
        let jobs = state.store.list_service_jobs(&q).await?;
        let rows: Vec<Value> = jobs.iter().map(|j| job_view(page.lang, j, today)).collect();
        Ok(page.render(
            "after_sales_list.html",
            json!({
                "jobs": rows,
                "filters": {
                    "status": status, "kind": p.kind.trim(), "mine": p.mine == "1",
                    "from": p.from.trim(), "to": p.to.trim(),
                },
                "statuses": STATUS_FILTERS,
                "kinds": ServiceKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                "errors": errs,
                "limit": after_sales::MAX_LIST,
            }),
        ))
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------------

/// The job form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct JobForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    promised_on: String,
    #[serde(default)]
    window_from: String,
    #[serde(default)]
    window_to: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    notes: String,
    /// Empty: the default (the customer's owner).
    #[serde(default)]
    assigned_to: String,
}

impl JobForm {
    fn from_job(j: &ServiceJob) -> Self {
        JobForm {
            csrf: String::new(),
            order_id: j.order_id.map(|o| o.to_string()).unwrap_or_default(),
            kind: j.kind.as_str().into(),
            promised_on: j.promised_on.to_string(),
            window_from: j.window_from.clone().unwrap_or_default(),
            window_to: j.window_to.clone().unwrap_or_default(),
            address: j.address.clone().unwrap_or_default(),
            notes: j.notes.clone().unwrap_or_default(),
            assigned_to: j.assigned_to.map(|u| u.0.to_string()).unwrap_or_default(),
        }
    }

    /// The input the form describes, or the fields it cannot read.
    fn parse(
        &self,
        customer: CustomerId,
        errs: &mut Map<String, Value>,
    ) -> Option<ServiceJobInput> {
        let kind = ServiceKind::parse(&self.kind);
        if kind.is_none() {
            add_error(errs, "kind", "invalid");
        }
        let promised_on = optional_date(&self.promised_on, "promised_on", errs);
        if self.promised_on.trim().is_empty() {
            add_error(errs, "promised_on", "required");
        }
        let number = |s: &str, field: &str, errs: &mut Map<String, Value>| -> Option<i64> {
            let s = blank(s)?;
            match s.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    add_error(errs, field, "invalid");
                    None
                }
            }
        };
        let order_id = number(&self.order_id, "order_id", errs);
        let assigned_to = number(&self.assigned_to, "assigned_to", errs).map(UserId);
        as_keys(errs);
        Some(ServiceJobInput {
            customer_id: customer,
            order_id,
            kind: kind?,
            promised_on: promised_on?,
            window_from: blank(&self.window_from),
            window_to: blank(&self.window_to),
            address: blank(&self.address),
            notes: blank(&self.notes),
            assigned_to,
        })
        .filter(|_| errs.is_empty())
    }
}

/// Where a new job comes from.
#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    order: String,
}

/// The form page (a new job when `job` is `None`).
async fn render_form(
    state: &AppState,
    page: &Page,
    customer: CustomerId,
    job: Option<&ServiceJob>,
    form: &JobForm,
    errors: Map<String, Value>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    if !state
        .store
        .customer_in_scope(customer, caller.scope)
        .await?
    {
        return Err(UiError::NotFound);
    }
    let c = state.store.get_customer(customer).await?;
    let lang = page.lang;
    let orders = state
        .store
        .list_orders(&OrderQuery {
            customer_id: Some(customer),
            limit: Some(50),
            scope: caller.scope,
            ..Default::default()
        })
        .await?;
    let orders: Vec<Value> = orders
        .items
        .iter()
        .map(|o| {
            json!({"id": o.id.0.to_string(),
                   "label": format!("#{} · {} · {}", o.id.0, i18n::date(lang, o.order_date),
                                    i18n::money_parts(lang, o.total_minor, &o.currency))})
        })
        .collect();
    let users: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page.render_status(
        status,
        "after_sales_form.html",
        json!({
            "customer": {"id": c.id.0, "name": c.name},
            "id": job.map(|j| j.id),
            "f": form,
            "errors": errors,
            "orders": orders,
            "users": users,
            "kinds": ServiceKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        }),
    ))
}

fn customer_param(s: &str) -> Result<CustomerId, UiError> {
    path_id(s.trim()).map(CustomerId)
}

/// `GET /deliveries/new?customer=ID[&order=ID]`: tomorrow (or the order's day, if later), at
/// the customer's address, for the customer's owner.
pub async fn new_form(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<NewParams>,
) -> Response {
    let run = async {
        let customer = customer_param(&p.customer)?;
        let caller = page.user()?;
        if !state
            .store
            .customer_in_scope(customer, caller.scope)
            .await?
        {
            return Err(UiError::NotFound);
        }
        let c = state.store.get_customer(customer).await?;
        let today = after_sales::shop_today(state.store.as_ref()).await?;
        let mut day = today + Days::new(1);
        let mut order_id = String::new();
        if let Ok(o) = p.order.trim().parse::<i64>() {
            match state.store.get_order(OrderId(o)).await {
                Ok(order) if order.customer_id == customer => {
                    order_id = o.to_string();
                    day = day.max(order.order_date);
                }
                Ok(_) | Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let form = JobForm {
            order_id,
            kind: ServiceKind::Delivery.as_str().into(),
            promised_on: day.to_string(),
            address: c.address.clone().unwrap_or_default(),
            ..Default::default()
        };
        render_form(&state, &page, customer, None, &form, Map::new()).await
    };
    respond(run.await, &page)
}

/// `POST /deliveries/new?customer=ID`.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<NewParams>,
    Form(f): Form<JobForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let customer = customer_param(&p.customer)?;
        if !state
            .store
            .customer_in_scope(customer, caller.scope)
            .await?
        {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        if let Some(input) = f.parse(customer, &mut errs) {
            match state
                .store
                .create_service_job(Some(caller.id()), caller.scope, input)
                .await
            {
                Ok(j) => return Ok(super::see_other(&format!("/deliveries/{}", j.id))),
                Err(StoreError::Invalid(e)) => errs = errors_of(&e),
                Err(e) => return Err(e.into()),
            }
        }
        render_form(&state, &page, customer, None, &f, errs).await
    };
    respond(run.await, &page)
}

/// `GET /deliveries/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let j = state
            .store
            .get_service_job(caller.scope, path_id(&id)?)
            .await?;
        render_form(
            &state,
            &page,
            j.customer_id,
            Some(&j),
            &JobForm::from_job(&j),
            Map::new(),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /deliveries/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<JobForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let j = state
            .store
            .get_service_job(caller.scope, path_id(&id)?)
            .await?;
        let mut errs = Map::new();
        if let Some(input) = f.parse(j.customer_id, &mut errs) {
            match state
                .store
                .update_service_job(Some(caller.id()), caller.scope, j.id, input)
                .await
            {
                Ok(j) => return Ok(super::see_other(&format!("/deliveries/{}", j.id))),
                Err(StoreError::Invalid(e)) => errs = errors_of(&e),
                // A closed job's promise cannot move.
                Err(StoreError::Conflict { .. }) => {
                    errs.insert(
                        "promised_on".into(),
                        Value::String("after-sales-error-closed".into()),
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        render_form(&state, &page, j.customer_id, Some(&j), &f, errs).await
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// One job and its steps
// ---------------------------------------------------------------------------------------------

/// A refused step: which form, what was typed, the messages.
struct Refused {
    form: &'static str,
    values: Value,
    errors: Map<String, Value>,
}

async fn render_job(
    state: &AppState,
    page: &Page,
    id: i64,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let j = state.store.get_service_job(caller.scope, id).await?;
    let today = after_sales::shop_today(state.store.as_ref()).await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // The late form proposes the day after the missed promise (today at the earliest).
    let late_default = (j.promised_on + Days::new(1)).max(today);
    let form = match refused {
        Some(r) => json!({"name": r.form, "v": r.values, "errors": r.errors}),
        None => json!({"name": "", "v": {}, "errors": {}}),
    };
    Ok(page.render_status(
        status,
        "after_sales_job.html",
        json!({
            "job": job_view(page.lang, &j, today),
            "form": form,
            "late_default": late_default.to_string(),
            "today_value": today.to_string(),
            "call_days": after_sales::AFTER_SALES_CALL_FROM_DAYS,
        }),
    ))
}

/// `GET /deliveries/{id}`.
pub async fn show(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async { render_job(&state, &page, path_id(&id)?, None).await };
    respond(run.await, &page)
}

/// What a step's form sends.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct StepForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    promised_on: String,
    #[serde(default)]
    window_from: String,
    #[serde(default)]
    window_to: String,
    #[serde(default)]
    done_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
}

/// Runs a step and goes back to the job, or shows the job again with the step's messages.
async fn step(
    state: &AppState,
    page: &Page,
    id: &str,
    form: &'static str,
    f: &StepForm,
    build: impl FnOnce(&StepForm, &mut Map<String, Value>) -> Option<ServiceJobAction>,
) -> Result<Response, UiError> {
    let caller = page.check_csrf(&f.csrf)?;
    let id = path_id(id)?;
    let mut errs = Map::new();
    if let Some(action) = build(f, &mut errs) {
        match after_sales::act(
            state.store.as_ref(),
            Some(caller.id()),
            caller.scope,
            id,
            action,
        )
        .await
        {
            Ok(_) => return Ok(super::see_other(&format!("/deliveries/{id}"))),
            Err(StoreError::Invalid(e)) => errs = errors_of(&e),
            // The job moved on meanwhile (done in another tab): say so on the job's page.
            Err(StoreError::Conflict { .. }) => {
                errs.insert(
                    "status".into(),
                    Value::String("after-sales-error-closed".into()),
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    as_keys(&mut errs);
    render_job(
        state,
        page,
        id,
        Some(Refused {
            form,
            values: json!(f),
            errors: errs,
        }),
    )
    .await
}

/// `POST /deliveries/{id}/notified`: the customer was told before the job.
pub async fn notified(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let r = step(&state, &page, &id, "notified", &f, |_, _| {
        Some(ServiceJobAction::Notified)
    })
    .await;
    respond(r, &page)
}

/// `POST /deliveries/{id}/done`: done today, or on the day given.
pub async fn done(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let r = step(&state, &page, &id, "done", &f, |f, errs| {
        let done_on = optional_date(&f.done_on, "done_on", errs);
        errs.is_empty()
            .then_some(ServiceJobAction::Done { done_on })
    })
    .await;
    respond(r, &page)
}

/// `POST /deliveries/{id}/late`: the reason and the newly agreed day and window.
pub async fn late(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let r = step(&state, &page, &id, "late", &f, |f, errs| {
        if f.reason.trim().is_empty() {
            add_error(errs, "reason", "required");
        }
        let day = optional_date(&f.promised_on, "promised_on", errs);
        if f.promised_on.trim().is_empty() {
            add_error(errs, "promised_on", "required");
        }
        let day = day?;
        errs.is_empty().then(|| ServiceJobAction::Late {
            reason: f.reason.clone(),
            promised_on: day,
            window_from: blank(&f.window_from),
            window_to: blank(&f.window_to),
        })
    })
    .await;
    respond(r, &page)
}

/// `POST /deliveries/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let r = step(&state, &page, &id, "cancel", &f, |f, _| {
        Some(ServiceJobAction::Cancel {
            reason: blank(&f.reason),
        })
    })
    .await;
    respond(r, &page)
}

/// `POST /deliveries/{id}/after-sales-call`: the satisfaction call, logged as the user's call.
pub async fn after_sales_call(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<StepForm>,
) -> Response {
    let r = step(&state, &page, &id, "call", &f, |f, _| {
        Some(ServiceJobAction::AfterSalesCall {
            outcome: blank(&f.outcome),
            notes: blank(&f.notes),
        })
    })
    .await;
    respond(r, &page)
}

// ---------------------------------------------------------------------------------------------
// The customer page's part
// ---------------------------------------------------------------------------------------------

/// How many jobs the customer page lists (the rest are on `/deliveries`).
const SECTION_JOBS: u32 = 10;

/// The customer page's "Deliveries and installations": the latest jobs and a link to add one.
pub(crate) async fn section(
    state: &AppState,
    page: &Page,
    id: CustomerId,
) -> Result<Value, UiError> {
    let caller = page.user()?;
    let today = after_sales::shop_today(state.store.as_ref()).await?;
    let jobs = state
        .store
        .list_service_jobs(&ServiceJobQuery {
            scope: caller.scope,
            customer_id: Some(id),
            newest_first: true,
            limit: Some(SECTION_JOBS),
            ..Default::default()
        })
        .await?;
    Ok(json!({
        "jobs": jobs.iter().map(|j| job_view(page.lang, j, today)).collect::<Vec<_>>(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_codes_have_their_own_messages() {
        assert_eq!(err_key("window_order"), "after-sales-error-window_order");
        assert_eq!(err_key("required"), "error-required");
        assert_eq!(err_key("no_such_code"), "error-invalid");
        for lang in Lang::ALL {
            let ids = i18n::message_ids(lang);
            for code in OWN_CODES.iter().chain(["closed"].iter()) {
                let key = format!("after-sales-error-{code}");
                assert!(ids.contains(&key), "{lang:?} lacks {key}");
            }
        }
    }
}
