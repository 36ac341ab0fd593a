//! Complaints in the UI (METHOD §4):
//!
//! * `/complaints` — the board: waiting for a first reply first (the most overdue on top), tabs
//!   by status with counts, filters by cause and handler, the overdue ones flagged;
//! * `/complaints/new?customer=ID` — record one (from a visit, call, letter, the hotline…);
//! * `/complaints/{id}` — the complaint: the reply to the customer, the six steps as a
//!   checklist (who did each and when), the status moved forward, compensation within the
//!   approver's authority, the promise made and whether it was kept, and who did what when;
//! * `/complaints/settings` — the reply hours and each level's compensation limit.
//!
//! Forms work without JavaScript; a refused form is shown again with the messages next to the
//! fields. Complaints of customers outside the user's scope read as "not found". "Now" is the
//! server's [`crate::Clock`], which tests move forward to watch the 24 hours run out.

use super::forms::{add_error, add_error_key as add, blank, path_id, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use fluent_bundle::FluentValue;
use patron_core::complaint::{
    Cause, Channel, CompensationKind, CompensationLimit, ComplaintSettings, Limit, MoveError,
    PromiseOutcome, Status, Step,
};
use patron_core::promotion::Word;
use patron_core::{
    CustomerId, InteractionKind, KeyPersonId, Permissions, StaffLevel, UserId, ValidationErrors,
};
use patron_store::complaints::{
    CompensationInput, Complaint, ComplaintChange, ComplaintDetail, ComplaintInput, ComplaintQuery,
    PromiseInput, StatusInput, StepInput,
};
use patron_store::{OrderQuery, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Error codes of the store's complaint validation that have their own message.
const OWN_CODES: &[&str] = &["above_limit"];

/// Field errors as message keys (`error-…`, or `complaint-error-…` for the codes above).
fn form_errors(e: &ValidationErrors) -> Map<String, Value> {
    let mut errs = Map::new();
    for f in &e.0 {
        let key = if OWN_CODES.contains(&f.code.as_str()) {
            format!("complaint-error-{}", f.code.replace('_', "-"))
        } else {
            format!("error-{}", super::forms::code_key(&f.code))
        };
        errs.entry(f.field.clone()).or_insert(Value::String(key));
    }
    errs
}

fn words<W: Word>() -> Vec<&'static str> {
    W::ALL.iter().map(|w| w.as_str()).collect()
}

fn tr(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let args: Vec<(&str, FluentValue<'_>)> = args
        .iter()
        .map(|(k, v)| (*k, FluentValue::from(v.clone())))
        .collect();
    i18n::tr(lang, key, &args)
}

fn complaint_view(lang: Lang, c: &Complaint) -> Value {
    json!({
        "id": c.id,
        "customer_id": c.customer_id.0,
        "customer": c.customer_name,
        "key_person": c.key_person_name,
        "order_id": c.order_id,
        "channel": c.channel.as_str(),
        "cause": c.cause.as_str(),
        "summary": c.summary,
        "details": c.details,
        "status": c.status.as_str(),
        "owner": c.owner_name,
        "owner_id": c.owner_id.map(|u| u.0.to_string()),
        "recorded_by": c.recorded_by_name,
        "recorded": i18n::datetime(lang, c.recorded_at),
        "due": i18n::datetime(lang, c.reply_due_at),
        "first_reply": c.first_reply_at.map(|t| i18n::datetime(lang, t)),
        "overdue": c.overdue,
        "replied_late": c.replied_late,
        "escalated_to": c.escalated_to_name,
        "promise": c.promise,
        "promise_due": c.promise_due.map(|d| i18n::date(lang, d)),
        "promise_due_value": c.promise_due.map(|d| d.to_string()),
        "promise_outcome": c.promise_outcome.map(|o| o.as_str()),
        "closed": c.closed_at.map(|t| i18n::datetime(lang, t)),
        "steps_done": c.steps_done,
    })
}

// ---------------------------------------------------------------------------------------------
// The board
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct BoardParams {
    /// A status, or empty: every complaint not closed.
    #[serde(default)]
    status: String,
    #[serde(default)]
    cause: String,
    /// `me`, a user id, or empty: everyone's.
    #[serde(default)]
    owner: String,
    /// `1`: only the overdue ones.
    #[serde(default)]
    overdue: String,
}

/// `GET /complaints`: the board.
pub async fn board(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<BoardParams>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let now = state.config.clock.now();
        let status = Status::parse(&p.status);
        let cause = Cause::parse(&p.cause);
        let owner = match p.owner.trim() {
            "me" => Some(caller.id()),
            s => s.parse::<i64>().ok().map(UserId),
        };
        let overdue = p.overdue == "1";
        let list = state
            .store
            .list_complaints(&ComplaintQuery {
                scope: caller.scope,
                status,
                cause,
                owner_id: owner,
                overdue,
                open: status.is_none() && !overdue,
                limit: Some(patron_store::MAX_LIMIT),
                as_of: Some(now),
                ..Default::default()
            })
            .await?;
        let counts = state.store.count_complaints(caller.scope, now).await?;
        let open: i64 = counts
            .by_status
            .iter()
            .filter(|(s, _)| !s.is_closed())
            .map(|(_, n)| n)
            .sum();
        let staff: Vec<Value> = state
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
            .collect();
        Ok(page.render(
            "complaints.html",
            json!({
                "complaints": list.iter().map(|c| complaint_view(page.lang, c)).collect::<Vec<_>>(),
                "tabs": counts.by_status.iter().map(|(s, n)| json!({"status": s.as_str(), "count": n})).collect::<Vec<_>>(),
                "causes": counts.by_cause.iter().map(|(s, n)| json!({"cause": s.as_str(), "count": n})).collect::<Vec<_>>(),
                "open_count": open,
                "overdue_count": counts.overdue,
                "status": status.map(|s| s.as_str()),
                "cause": cause.map(|s| s.as_str()),
                "owner": p.owner.trim(),
                "overdue": overdue,
                "staff": staff,
                "can_set": caller.user.can_set_class_rules(),
            }),
        ))
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// Recording a complaint
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct NewParams {
    #[serde(default)]
    customer: String,
}

/// The complaint form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ComplaintForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    key_person_id: String,
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    owner_id: String,
}

async fn new_page(
    state: &AppState,
    page: &Page,
    customer: CustomerId,
    f: &ComplaintForm,
    errs: Map<String, Value>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let name = super::forms::customer_in_reach(state, page, customer).await?;
    let staff: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    let orders: Vec<Value> = state
        .store
        .list_orders(&OrderQuery {
            customer_id: Some(customer),
            limit: Some(20),
            scope: caller.scope,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .map(|o| {
            json!({"id": o.id.0.to_string(), "label": format!("#{} · {} · {}", o.id.0,
                i18n::date(page.lang, o.order_date),
                i18n::money_parts(page.lang, o.total_minor, &o.currency))})
        })
        .collect();
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page.render_status(
        status,
        "complaint_form.html",
        json!({
            "customer": {"id": customer.0, "name": name},
            "channels": words::<Channel>(),
            "causes": words::<Cause>(),
            "key_persons": super::interaction_form::key_person_choices(state, page, customer).await?,
            "orders": orders,
            "staff": staff,
            "f": f,
            "errors": errs,
        }),
    ))
}

/// `GET /complaints/new?customer=ID`.
pub async fn new_complaint(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<NewParams>,
) -> Response {
    let run = async {
        let customer = CustomerId(path_id(&p.customer)?);
        let f = ComplaintForm {
            customer_id: customer.0.to_string(),
            channel: "call".into(),
            cause: "other".into(),
            ..Default::default()
        };
        new_page(&state, &page, customer, &f, Map::new()).await
    };
    respond(run.await, &page)
}

/// A number typed into a select or field; blank is none, anything unreadable an error.
fn number(s: &str, field: &str, errs: &mut Map<String, Value>) -> Option<i64> {
    match blank(s).map(|v| v.parse::<i64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            add(errs, field, "invalid");
            None
        }
    }
}

/// `POST /complaints/new`: records it as taken down by the signed-in user; its 24 hours start.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<ComplaintForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let customer = CustomerId(path_id(&f.customer_id)?);
        let mut errs = Map::new();
        let channel = Channel::parse(&f.channel);
        if channel.is_none() {
            add(&mut errs, "channel", "invalid");
        }
        let cause = Cause::parse(&f.cause);
        if cause.is_none() {
            add(&mut errs, "cause", "invalid");
        }
        let key_person_id = number(&f.key_person_id, "key_person_id", &mut errs).map(KeyPersonId);
        let order_id = number(&f.order_id, "order_id", &mut errs);
        let owner_id = number(&f.owner_id, "owner_id", &mut errs).map(UserId);
        if let (Some(channel), true) = (channel, errs.is_empty()) {
            let input = ComplaintInput {
                customer_id: customer,
                key_person_id,
                order_id,
                channel,
                cause,
                summary: f.summary.clone(),
                details: blank(&f.details),
                owner_id,
            };
            match state
                .store
                .create_complaint(
                    Some(caller.id()),
                    caller.scope,
                    input,
                    state.config.clock.now(),
                )
                .await
            {
                Ok(c) => return Ok(super::see_other(&format!("/complaints/{}", c.complaint.id))),
                Err(StoreError::Invalid(e)) => {
                    for (k, v) in form_errors(&e) {
                        errs.entry(k).or_insert(v);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        new_page(&state, &page, customer, &f, errs).await
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// One complaint
// ---------------------------------------------------------------------------------------------

/// A refused form on the complaint's page: which one, what was typed, the messages.
struct Refused {
    form: String,
    v: Value,
    errors: Map<String, Value>,
}

/// The message of a refused status change, in `lang`.
fn move_error_text(lang: Lang, e: &MoveError) -> String {
    match e {
        MoveError::Closed => tr(lang, "complaint-error-closed", &[]),
        MoveError::Backwards { from, to } => tr(
            lang,
            "complaint-error-backwards",
            &[
                (
                    "from",
                    tr(lang, &format!("complaint-status-{}", from.as_str()), &[]),
                ),
                (
                    "to",
                    tr(lang, &format!("complaint-status-{}", to.as_str()), &[]),
                ),
            ],
        ),
        MoveError::StepsMissing { to, missing } => tr(
            lang,
            "complaint-error-steps-missing",
            &[
                (
                    "to",
                    tr(lang, &format!("complaint-status-{}", to.as_str()), &[]),
                ),
                (
                    "steps",
                    missing
                        .iter()
                        .map(|s| tr(lang, &format!("complaint-step-{}", s.as_str()), &[]))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ],
        ),
    }
}

/// Error keys turned into the messages shown (a key starting with `!` is a message already).
fn messages(lang: Lang, errs: Map<String, Value>) -> Map<String, Value> {
    errs.into_iter()
        .map(|(k, v)| {
            let text = match v.as_str() {
                Some(m) if m.starts_with('!') => m[1..].to_owned(),
                Some(key) => tr(lang, key, &[]),
                None => String::new(),
            };
            (k, Value::String(text))
        })
        .collect()
}

async fn load(state: &AppState, page: &Page, id: i64) -> Result<ComplaintDetail, UiError> {
    let caller = page.user()?;
    Ok(state
        .store
        .get_complaint(caller.scope, id, state.config.clock.now())
        .await?)
}

async fn detail_page(
    state: &AppState,
    page: &Page,
    d: &ComplaintDetail,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let c = &d.complaint;
    let settings = patron_store::complaints::load_settings(state.store.as_ref()).await?;
    let currency = super::products::default_currency(state).await?;
    let limit = match settings.limit_for(caller.user.staff_level) {
        Limit::Any => tr(lang, "complaint-limit-any", &[]),
        Limit::UpTo(m) => i18n::money_parts(lang, m, &currency),
    };
    let done: Vec<Step> = d.steps.iter().filter(|s| s.done).map(|s| s.step).collect();
    let next: Vec<Value> = Status::ALL
        .iter()
        .filter(|s| **s > c.status)
        .map(|s| {
            json!({
                "status": s.as_str(),
                "ready": c.status.check_move(*s, &done).is_ok(),
            })
        })
        .collect();
    let staff: Vec<Value> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page.render_status(
        status,
        "complaint.html",
        json!({
            "c": complaint_view(lang, c),
            "is_closed": c.status.is_closed(),
            "steps": d.steps.iter().map(|s| json!({
                "step": s.step.as_str(),
                "done": s.done,
                "by": s.done_by_name,
                "at": s.done_at.map(|t| i18n::datetime(lang, t)),
                "note": s.note,
            })).collect::<Vec<_>>(),
            "compensations": d.compensations.iter().map(|p| json!({
                "kind": p.kind.as_str(),
                "amount": patron_core::Currency::parse("currency", &p.currency)
                    .map(|cur| i18n::money_parts(lang, p.amount_minor, &cur))
                    .unwrap_or_else(|_| format!("{} {}", p.amount_minor, p.currency)),
                "by": p.approved_by_name,
                "at": i18n::datetime(lang, p.approved_at),
                "note": p.note,
            })).collect::<Vec<_>>(),
            "events": d.events.iter().map(|e| json!({
                "at": i18n::datetime(lang, e.at),
                "who": e.user_name,
                "action": e.action,
                "detail": e.detail,
            })).collect::<Vec<_>>(),
            "next": next,
            "causes": words::<Cause>(),
            "compensation_kinds": words::<CompensationKind>(),
            "reply_kinds": ["call", "visit", "letter", "email", "meeting", "other"],
            "outcomes": words::<PromiseOutcome>(),
            "staff": staff,
            "limit": limit,
            "currency": currency.as_str(),
            "refused": refused.map(|r| json!({"form": r.form, "v": r.v, "errors": messages(lang, r.errors)})),
        }),
    ))
}

/// `GET /complaints/{id}`.
pub async fn show(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async {
        let d = load(&state, &page, path_id(&id)?).await?;
        detail_page(&state, &page, &d, None).await
    };
    respond(run.await, &page)
}

/// Every form on the complaint's page, as typed (each sends its own fields).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ActionForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    promise: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    details: String,
}

/// What a form on the complaint's page asks for.
enum Action {
    Status,
    Step,
    Compensation,
    Promise,
    Reply,
    Change,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Status => "status",
            Action::Step => "step",
            Action::Compensation => "compensation",
            Action::Promise => "promise",
            Action::Reply => "reply",
            Action::Change => "change",
        }
    }
}

/// Runs one form of the complaint's page: on success back to the page, else the page again
/// with the form's messages.
async fn act(state: &AppState, page: &Page, id: &str, action: Action, f: ActionForm) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = path_id(id)?;
        let d = load(state, page, id).await?;
        let now = state.config.clock.now();
        let store = state.store.as_ref();
        let by = Some(caller.id());
        let mut errs = Map::new();
        let mut form = action.name().to_owned();
        let result = match action {
            Action::Status => match Status::parse(&f.status) {
                None => {
                    add(&mut errs, "status", "invalid");
                    None
                }
                Some(to) => {
                    let done: Vec<Step> =
                        d.steps.iter().filter(|s| s.done).map(|s| s.step).collect();
                    match d.complaint.status.check_move(to, &done) {
                        Err(e) => {
                            errs.insert(
                                "status".into(),
                                Value::String(format!("!{}", move_error_text(page.lang, &e))),
                            );
                            None
                        }
                        Ok(()) => Some(
                            store
                                .move_complaint(
                                    by,
                                    caller.scope,
                                    id,
                                    StatusInput {
                                        status: to,
                                        note: blank(&f.note),
                                    },
                                    now,
                                )
                                .await,
                        ),
                    }
                }
            },
            Action::Step => match Step::parse(&f.step) {
                None => {
                    add(&mut errs, "step", "invalid");
                    None
                }
                Some(step) => {
                    form = format!("step-{}", step.as_str());
                    Some(
                        store
                            .complaint_step(
                                by,
                                caller.scope,
                                id,
                                StepInput {
                                    step,
                                    note: blank(&f.note),
                                },
                                now,
                            )
                            .await,
                    )
                }
            },
            Action::Compensation => match CompensationKind::parse(&f.kind) {
                None => {
                    add(&mut errs, "kind", "invalid");
                    None
                }
                Some(kind) => Some(
                    store
                        .compensate_complaint(
                            by,
                            caller.scope,
                            id,
                            CompensationInput {
                                kind,
                                amount: f.amount.trim().to_owned(),
                                currency: blank(&f.currency),
                                note: blank(&f.note),
                            },
                            now,
                        )
                        .await,
                ),
            },
            Action::Promise => {
                let mut sub = Map::new();
                let due = super::forms::optional_date(&f.due, "due", &mut sub);
                if let Some(Value::String(c)) = sub.remove("due") {
                    errs.insert("due".into(), Value::String(format!("error-{c}")));
                }
                let outcome = match blank(&f.outcome) {
                    None => None,
                    Some(o) => match PromiseOutcome::parse(&o) {
                        Some(o) => Some(o),
                        None => {
                            add(&mut errs, "outcome", "invalid");
                            None
                        }
                    },
                };
                if errs.is_empty() {
                    Some(
                        store
                            .complaint_promise(
                                by,
                                caller.scope,
                                id,
                                PromiseInput {
                                    promise: f.promise.clone(),
                                    due,
                                    outcome,
                                },
                                now,
                            )
                            .await,
                    )
                } else {
                    None
                }
            }
            Action::Reply => {
                let kind = match blank(&f.kind) {
                    None => None,
                    Some(k) => match InteractionKind::parse("kind", &k) {
                        Ok(k) => Some(k),
                        Err(_) => {
                            add(&mut errs, "kind", "invalid");
                            None
                        }
                    },
                };
                if errs.is_empty() {
                    Some(
                        store
                            .reply_complaint(caller.id(), caller.scope, id, &f.text, kind, now)
                            .await,
                    )
                } else {
                    None
                }
            }
            Action::Change => {
                let cause = match blank(&f.cause) {
                    None => None,
                    Some(c) => match Cause::parse(&c) {
                        Some(c) => Some(c),
                        None => {
                            add(&mut errs, "cause", "invalid");
                            None
                        }
                    },
                };
                let owner_id = number(&f.owner_id, "owner_id", &mut errs).map(UserId);
                if errs.is_empty() {
                    Some(
                        store
                            .change_complaint(
                                by,
                                caller.scope,
                                id,
                                ComplaintChange {
                                    cause,
                                    owner_id,
                                    details: Some(f.details.clone()),
                                },
                                now,
                            )
                            .await,
                    )
                } else {
                    None
                }
            }
        };
        match result {
            Some(Ok(_)) => return Ok(super::see_other(&format!("/complaints/{id}#{form}"))),
            Some(Err(StoreError::Invalid(e))) => {
                for (k, v) in form_errors(&e) {
                    errs.entry(k).or_insert(v);
                }
            }
            Some(Err(StoreError::Conflict { field, .. })) => {
                errs.insert(
                    field.unwrap_or_else(|| "form".into()),
                    Value::String("complaint-error-closed".into()),
                );
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
        let d = load(state, page, id).await?;
        let v = serde_json::to_value(&f).unwrap_or(Value::Null);
        detail_page(
            state,
            page,
            &d,
            Some(Refused {
                form,
                v,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, page)
}

/// `POST /complaints/{id}/{form}`: one of the complaint page's forms — `status`, `steps`,
/// `compensations`, `promise`, `reply` or `change` (any other is "not found").
pub async fn action(
    State(state): State<AppState>,
    page: Page,
    Path((id, form)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Response {
    let action = match form.as_str() {
        "status" => Action::Status,
        "steps" => Action::Step,
        "compensations" => Action::Compensation,
        "promise" => Action::Promise,
        "reply" => Action::Reply,
        "change" => Action::Change,
        _ => return UiError::NotFound.render(&page),
    };
    act(&state, &page, &id, action, f).await
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/// The levels whose limits the settings form shows, in order.
const LEVELS: [StaffLevel; 5] = [
    StaffLevel::SalesRepresentative,
    StaffLevel::BusinessManager,
    StaffLevel::MarketingDirector,
    StaffLevel::GeneralManager,
    StaffLevel::Administrator,
];

async fn settings_page(
    state: &AppState,
    page: &Page,
    values: Map<String, Value>,
    errs: Map<String, Value>,
    saved: bool,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let currency = super::products::default_currency(state).await?;
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page.render_status(
        status,
        "complaint_settings.html",
        json!({
            "levels": LEVELS.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            "v": values,
            "errors": errs,
            "currency": currency.as_str(),
            "can_set": caller.user.can_set_class_rules(),
            "saved": saved,
        }),
    ))
}

fn settings_values(s: &ComplaintSettings, currency: &patron_core::Currency) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert(
        "reply_hours".into(),
        Value::String(s.reply_hours.to_string()),
    );
    for l in LEVELS {
        let text = match s.limit_for(l) {
            Limit::Any => String::new(),
            Limit::UpTo(m) => patron_core::money::format_minor(m, currency),
        };
        v.insert(format!("limit_{}", l.as_str()), Value::String(text));
    }
    v
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsParams {
    #[serde(default)]
    saved: String,
}

/// `GET /complaints/settings`.
pub async fn settings(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<SettingsParams>,
) -> Response {
    let run = async {
        let s = patron_store::complaints::load_settings(state.store.as_ref()).await?;
        let currency = super::products::default_currency(&state).await?;
        settings_page(
            &state,
            &page,
            settings_values(&s, &currency),
            Map::new(),
            p.saved == "1",
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /complaints/settings`: reply hours and limits (a blank limit: any amount).
pub async fn save_settings(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let csrf = form
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let caller = page.check_csrf(csrf)?;
        if !caller.user.can_set_class_rules() {
            return Err(UiError::Forbidden);
        }
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let currency = super::products::default_currency(&state).await?;
        let mut errs = Map::new();
        let mut values = Map::new();
        let hours_text = get("reply_hours");
        values.insert("reply_hours".into(), Value::String(hours_text.clone()));
        let reply_hours = super::forms::form_whole::<u32>(&hours_text, "reply_hours", &mut errs);
        let mut limits = Vec::new();
        for l in LEVELS {
            let key = format!("limit_{}", l.as_str());
            let text = get(&key);
            values.insert(key.clone(), Value::String(text.clone()));
            let max_minor = if text.is_empty() {
                None
            } else {
                match patron_core::parse_amount(&key, &text, &currency) {
                    Ok(m) => Some(m),
                    Err(_) => {
                        add_error(&mut errs, &key, "invalid_amount");
                        None
                    }
                }
            };
            limits.push(CompensationLimit {
                level: l,
                max_minor,
            });
        }
        if let (Some(reply_hours), true) = (reply_hours, errs.is_empty()) {
            let s = ComplaintSettings {
                reply_hours,
                compensation_limits: limits,
            };
            match patron_store::complaints::save_settings(state.store.as_ref(), &s).await {
                Ok(()) => return Ok(super::see_other("/complaints/settings?saved=1")),
                Err(StoreError::Invalid(e)) => {
                    for f in &e.0 {
                        let field = if f.field.starts_with("compensation_limits") {
                            "form".to_owned()
                        } else {
                            f.field.clone()
                        };
                        add_error(&mut errs, &field, &f.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        // The settings template prefixes codes with `error-`.
        settings_page(&state, &page, values, errs, false).await
    };
    respond(run.await, &page)
}
