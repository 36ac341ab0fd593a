//! Key-account development plans in the UI (METHOD §3.4):
//!
//! * `GET /key-accounts`: the A-class customers in the user's scope with their plan's status
//!   (no plan, next review, overdue), plans first;
//! * `GET /key-accounts/{customer}`: a customer's plan — the three goal horizons, the three
//!   project lists (ours strong: win them; competitors': work harder; ours weak: don't give up),
//!   the actions with owner, due and review days — with its forms: `POST /key-accounts/{customer}`
//!   (create or change the plan), `…/reviewed`, `…/projects`, `…/actions`;
//! * `GET/POST /key-account-projects/{id}/edit|delete` and `/key-account-actions/{id}/edit|delete`.
//!
//! A refused form comes back with the messages next to its fields. Everything goes through the
//! same store methods as the JSON API; a customer outside the user's scope is "not found".

use super::forms::{blank, code_key, confirm_delete_page, customer_in_reach, path_id, respond};
use super::forms::{ConfirmForm, DeleteTarget};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::NaiveDate;
use patron_core::{Currency, CustomerId, UserId, ValidationErrors};
use patron_store::key_accounts::{
    AccountPlan, ActionInput, ActionStatus, PlanAction, PlanInput, PlanProject, ProjectInput,
    ProjectKind, ReviewStatus,
};
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Error codes of this feature with their own message (`key-accounts-error-CODE`); every other
/// code reads as the shared `error-CODE` message.
const OWN_CODES: &[&str] = &[
    "goals_required",
    "inactive_user",
    "in_past",
    "not_closed",
    "not_after_review",
];

/// The message key of an error code.
fn error_key(code: &str) -> String {
    if OWN_CODES.contains(&code) {
        format!("key-accounts-error-{}", code.replace('_', "-"))
    } else {
        format!("error-{}", code_key(code))
    }
}

/// Records an error for `field` unless it has one (the first one is shown).
fn add(errs: &mut Map<String, Value>, field: &str, code: &str) {
    errs.entry(field.to_owned())
        .or_insert_with(|| Value::String(error_key(code)));
}

fn errors_of(e: &ValidationErrors, errs: &mut Map<String, Value>) {
    for f in &e.0 {
        add(errs, &f.field, &f.code);
    }
}

/// An optional `YYYY-MM-DD` day; a bad one is an error next to `field`.
fn day(s: &str, field: &str, errs: &mut Map<String, Value>) -> Option<NaiveDate> {
    let s = blank(s)?;
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) if crate::api::date_in_range(d) => Some(d),
        Ok(_) => {
            add(errs, field, "out_of_range");
            None
        }
        Err(_) => {
            add(errs, field, "invalid");
            None
        }
    }
}

/// An optional user id from a select (blank: the default).
fn user_choice(s: &str, field: &str, errs: &mut Map<String, Value>) -> Option<UserId> {
    let s = blank(s)?;
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Some(UserId(n)),
        _ => {
            add(errs, field, "unknown_reference");
            None
        }
    }
}

/// The plan form, every field as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct PlanForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    short_term_goals: String,
    #[serde(default)]
    medium_term_goals: String,
    #[serde(default)]
    long_term_goals: String,
    #[serde(default)]
    review_every_months: String,
    #[serde(default)]
    next_review_on: String,
}

impl PlanForm {
    fn from_plan(p: &AccountPlan) -> PlanForm {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        PlanForm {
            csrf: String::new(),
            owner_id: p.owner_id.0.to_string(),
            short_term_goals: s(&p.short_term_goals),
            medium_term_goals: s(&p.medium_term_goals),
            long_term_goals: s(&p.long_term_goals),
            review_every_months: p.review_every_months.to_string(),
            next_review_on: p.next_review_on.to_string(),
        }
    }

    fn fresh() -> PlanForm {
        PlanForm {
            review_every_months: patron_store::key_accounts::DEFAULT_REVIEW_MONTHS.to_string(),
            ..Default::default()
        }
    }

    fn parse(&self, errs: &mut Map<String, Value>) -> PlanInput {
        let every = match blank(&self.review_every_months) {
            None => None,
            Some(t) => match t.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    add(errs, "review_every_months", "out_of_range");
                    None
                }
            },
        };
        PlanInput {
            owner_id: user_choice(&self.owner_id, "owner_id", errs),
            short_term_goals: blank(&self.short_term_goals),
            medium_term_goals: blank(&self.medium_term_goals),
            long_term_goals: blank(&self.long_term_goals),
            review_every_months: every,
            next_review_on: day(&self.next_review_on, "next_review_on", errs),
        }
    }
}

/// The project form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ProjectForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    competitor: String,
    /// The estimated value as typed ("12000", "12,000.50").
    #[serde(default)]
    value: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    notes: String,
}

impl ProjectForm {
    fn from_project(p: &PlanProject) -> ProjectForm {
        let value = match (p.value_minor, p.currency.as_deref()) {
            (Some(v), Some(c)) => Currency::parse("currency", c)
                .map(|cur| patron_core::money::format_minor(v, &cur))
                .unwrap_or_else(|_| v.to_string()),
            (Some(v), None) => v.to_string(),
            _ => String::new(),
        };
        ProjectForm {
            csrf: String::new(),
            kind: p.kind.as_str().to_owned(),
            name: p.name.clone(),
            competitor: p.competitor.clone().unwrap_or_default(),
            value,
            currency: p.currency.clone().unwrap_or_default(),
            notes: p.notes.clone().unwrap_or_default(),
        }
    }

    fn parse(&self, shop: &Currency, errs: &mut Map<String, Value>) -> Option<ProjectInput> {
        let kind = ProjectKind::parse(self.kind.trim());
        if kind.is_none() {
            add(errs, "kind", "required");
        }
        let currency = match blank(&self.currency) {
            None => Some(shop.clone()),
            Some(c) => match Currency::parse("currency", &c) {
                Ok(c) => Some(c),
                Err(_) => {
                    add(errs, "currency", "invalid_currency");
                    None
                }
            },
        };
        let value_minor = match (blank(&self.value), &currency) {
            (None, _) => None,
            (Some(v), Some(cur)) => match patron_core::parse_amount("value", &v, cur) {
                Ok(n) => Some(n),
                Err(e) => {
                    add(errs, "value", &e.code);
                    None
                }
            },
            (Some(_), None) => None,
        };
        let input = ProjectInput {
            kind: kind.unwrap_or(ProjectKind::OursStrong),
            name: self.name.clone(),
            competitor: blank(&self.competitor),
            notes: blank(&self.notes),
            value_minor,
            currency: value_minor.and(currency.map(|c| c.as_str().to_owned())),
        };
        if let Err(e) = input.validate() {
            // The store names the value `value_minor`; the form calls it `value`.
            for f in &e.0 {
                let field = if f.field == "value_minor" {
                    "value"
                } else {
                    &f.field
                };
                add(errs, field, &f.code);
            }
        }
        kind.map(|_| input)
    }
}

/// The action form.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ActionForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    review_on: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    done_on: String,
    #[serde(default)]
    notes: String,
}

impl ActionForm {
    fn from_action(a: &PlanAction) -> ActionForm {
        let d = |o: Option<NaiveDate>| o.map(|d| d.to_string()).unwrap_or_default();
        ActionForm {
            csrf: String::new(),
            what: a.what.clone(),
            owner_id: a.owner_id.0.to_string(),
            due_on: d(a.due_on),
            review_on: d(a.review_on),
            status: a.status.as_str().to_owned(),
            done_on: d(a.done_on),
            notes: a.notes.clone().unwrap_or_default(),
        }
    }

    fn fresh() -> ActionForm {
        ActionForm {
            status: "open".into(),
            ..Default::default()
        }
    }

    fn parse(&self, errs: &mut Map<String, Value>) -> ActionInput {
        let status = match blank(&self.status) {
            None => ActionStatus::Open,
            Some(s) => ActionStatus::parse(&s).unwrap_or_else(|| {
                add(errs, "status", "invalid");
                ActionStatus::Open
            }),
        };
        ActionInput {
            what: self.what.clone(),
            owner_id: user_choice(&self.owner_id, "owner_id", errs),
            due_on: day(&self.due_on, "due_on", errs),
            review_on: day(&self.review_on, "review_on", errs),
            status,
            done_on: day(&self.done_on, "done_on", errs),
            notes: blank(&self.notes),
        }
    }
}

/// The "mark reviewed" form: the next review, blank for one cycle later.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReviewedForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    next_review_on: String,
}

/// A refused form of the plan page, shown again with its messages.
struct Refused {
    form: &'static str,
    values: Value,
    errors: Map<String, Value>,
}

fn status_label(lang: Lang, s: ReviewStatus) -> String {
    i18n::tr(lang, &format!("key-accounts-status-{}", s.as_str()), &[])
}

fn money(lang: Lang, minor: Option<i64>, currency: Option<&str>) -> Option<String> {
    let (m, c) = (minor?, currency?);
    let cur = Currency::parse("currency", c).ok()?;
    Some(i18n::money_parts(lang, m, &cur))
}

/// The active users the owner selects offer (the store refuses those not in charge).
async fn owner_choices(state: &AppState) -> Result<Vec<Value>, UiError> {
    Ok(state
        .store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect())
}

/// `GET /key-accounts`.
pub async fn list(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        let caller = page.user()?;
        let lang = page.lang;
        let l = state.store.key_accounts(caller.scope, None).await?;
        let plans: Vec<Value> = l
            .plans
            .iter()
            .map(|p| {
                json!({
                    "customer_id": p.customer_id.0, "customer_name": p.customer_name,
                    "abc": p.abc, "owner_name": p.owner_name,
                    "next_review": i18n::date(lang, p.next_review_on),
                    "status": p.status.as_str(), "status_label": status_label(lang, p.status),
                    "last_reviewed": p.last_reviewed_on.map(|d| i18n::date(lang, d)),
                    "open_actions": p.open_actions,
                })
            })
            .collect();
        let without: Vec<Value> = l
            .without_plan
            .iter()
            .map(|w| {
                json!({
                    "customer_id": w.customer_id.0, "customer_name": w.customer_name,
                    "revenue": money(lang, Some(w.revenue_minor), Some(&w.currency)),
                    "keeper": w.relationship_manager_name.clone().or(w.owner_name.clone()),
                })
            })
            .collect();
        Ok(page.render(
            "key_accounts.html",
            json!({
                "plans": plans,
                "without": without,
                "without_total": l.without_plan_total,
                "without_more": l.without_plan_total - l.without_plan.len() as i64,
                "as_of": i18n::date(lang, l.as_of),
            }),
        ))
    };
    respond(run.await, &page)
}

/// The plan page of a customer, with `refused` shown in its form.
async fn plan_page(
    state: &AppState,
    page: &Page,
    cid: CustomerId,
    status: StatusCode,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let lang = page.lang;
    let name = customer_in_reach(state, page, cid).await?;
    let plan = state.store.account_plan_of(cid).await?;
    let abc = match &plan {
        Some(p) => p.abc.clone(),
        None => state
            .store
            .customer_classes(cid)
            .await?
            .map(|c| c.abc.as_str().to_owned()),
    };
    let today = patron_store::contact::today(
        &patron_store::contact::load_settings(state.store.as_ref()).await?,
    );
    let mut forms = json!({
        "plan": {"v": plan.as_ref().map(PlanForm::from_plan).unwrap_or_else(PlanForm::fresh), "errors": {}},
        "project": {"v": ProjectForm { kind: "ours_strong".into(), ..Default::default() }, "errors": {}},
        "action": {"v": ActionForm::fresh(), "errors": {}},
        "reviewed": {"v": ReviewedForm::default(), "errors": {}},
    });
    let mut open = "";
    if let Some(r) = refused {
        open = r.form;
        forms[r.form] = json!({"v": r.values, "errors": r.errors});
    }
    let plan_view = plan.as_ref().map(|p| {
        let status = ReviewStatus::on(p.next_review_on, today);
        let mut projects = Map::new();
        for k in ProjectKind::ALL {
            let rows: Vec<Value> = p
                .projects
                .iter()
                .filter(|j| j.kind == k)
                .map(|j| {
                    json!({
                        "id": j.id, "name": j.name, "competitor": j.competitor, "notes": j.notes,
                        "value": money(lang, j.value_minor, j.currency.as_deref()),
                    })
                })
                .collect();
            projects.insert(k.as_str().to_owned(), Value::Array(rows));
        }
        let actions: Vec<Value> = p
            .actions
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "what": a.what, "owner_name": a.owner_name,
                    "due": a.due_on.map(|d| i18n::date(lang, d)),
                    "review": a.review_on.map(|d| i18n::date(lang, d)),
                    "review_overdue": a.status == ActionStatus::Open
                        && a.review_on.is_some_and(|d| d < today),
                    "reviewed": a.reviewed_on.map(|d| i18n::date(lang, d)),
                    "status": a.status.as_str(),
                    "done": a.done_on.map(|d| i18n::date(lang, d)),
                    "notes": a.notes,
                })
            })
            .collect();
        json!({
            "id": p.id,
            "owner_name": p.owner_name,
            "every": p.review_every_months,
            "next_review": i18n::date(lang, p.next_review_on),
            "status": status.as_str(),
            "status_label": status_label(lang, status),
            "last_reviewed": p.last_reviewed_on.map(|d| i18n::date(lang, d)),
            "short": p.short_term_goals, "medium": p.medium_term_goals, "long": p.long_term_goals,
            "projects": projects,
            "actions": actions,
        })
    });
    Ok(page.render_status(
        status,
        "key_account.html",
        json!({
            "customer": {"id": cid.0, "name": name, "abc": abc},
            "plan": plan_view,
            "forms": forms,
            "open": open,
            "users": owner_choices(state).await?,
            "kinds": ProjectKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "statuses": ActionStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "today": today.to_string(),
        }),
    ))
}

fn customer_of_path(id: &str) -> Result<CustomerId, UiError> {
    Ok(CustomerId(path_id(id)?))
}

/// `GET /key-accounts/{customer}`.
pub async fn show(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async {
        let cid = customer_of_path(&id)?;
        plan_page(&state, &page, cid, StatusCode::OK, None).await
    };
    respond(run.await, &page)
}

fn back(cid: CustomerId, anchor: &str) -> Response {
    super::see_other(&format!("/key-accounts/{cid}#{anchor}"))
}

/// A store refusal for a form: its messages, or the error to raise.
fn refusal(e: StoreError, errs: &mut Map<String, Value>) -> Result<(), UiError> {
    match e {
        StoreError::Invalid(v) => {
            errors_of(&v, errs);
            Ok(())
        }
        other => Err(other.into()),
    }
}

/// `POST /key-accounts/{customer}`: creates the plan, or changes it.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PlanForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let cid = customer_of_path(&id)?;
        customer_in_reach(&state, &page, cid).await?;
        let mut errs = Map::new();
        let input = f.parse(&mut errs);
        if errs.is_empty() {
            let r = match state.store.account_plan_of(cid).await? {
                Some(p) => state
                    .store
                    .update_account_plan(Some(caller.id()), p.id, input)
                    .await
                    .map(|_| ()),
                None => match state
                    .store
                    .create_account_plan(Some(caller.id()), cid, input)
                    .await
                {
                    // Created meanwhile (another tab): the page shows that plan.
                    Err(StoreError::Conflict { .. }) => Ok(()),
                    other => other.map(|_| ()),
                },
            };
            match r {
                Ok(()) => return Ok(back(cid, "goals")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        plan_page(
            &state,
            &page,
            cid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Refused {
                form: "plan",
                values,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

/// The plan of a customer the user may see, else "not found".
async fn plan_in_reach(
    state: &AppState,
    page: &Page,
    cid: CustomerId,
) -> Result<AccountPlan, UiError> {
    customer_in_reach(state, page, cid).await?;
    state
        .store
        .account_plan_of(cid)
        .await?
        .ok_or(UiError::NotFound)
}

/// `POST /key-accounts/{customer}/reviewed`.
pub async fn reviewed(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ReviewedForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let cid = customer_of_path(&id)?;
        let plan = plan_in_reach(&state, &page, cid).await?;
        let mut errs = Map::new();
        let next = day(&f.next_review_on, "next_review_on", &mut errs);
        if errs.is_empty() {
            match state
                .store
                .account_plan_reviewed(Some(caller.id()), plan.id, None, next)
                .await
            {
                Ok(_) => return Ok(back(cid, "review")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        plan_page(
            &state,
            &page,
            cid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Refused {
                form: "reviewed",
                values,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /key-accounts/{customer}/projects`.
pub async fn add_project(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ProjectForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let cid = customer_of_path(&id)?;
        let plan = plan_in_reach(&state, &page, cid).await?;
        let shop = super::products::default_currency(&state).await?;
        let mut errs = Map::new();
        let input = f.parse(&shop, &mut errs);
        if let (true, Some(input)) = (errs.is_empty(), input) {
            match state
                .store
                .add_plan_project(Some(caller.id()), plan.id, input)
                .await
            {
                Ok(_) => return Ok(back(cid, "projects")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        plan_page(
            &state,
            &page,
            cid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Refused {
                form: "project",
                values,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /key-accounts/{customer}/actions`.
pub async fn add_action(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let cid = customer_of_path(&id)?;
        let plan = plan_in_reach(&state, &page, cid).await?;
        let mut errs = Map::new();
        let input = f.parse(&mut errs);
        if errs.is_empty() {
            match state
                .store
                .add_plan_action(Some(caller.id()), plan.id, input)
                .await
            {
                Ok(_) => return Ok(back(cid, "actions")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        plan_page(
            &state,
            &page,
            cid,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(Refused {
                form: "action",
                values,
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

/// A project or action of a plan whose customer the user may see: the plan's customer and name.
async fn owning_customer(
    state: &AppState,
    page: &Page,
    plan: i64,
) -> Result<(CustomerId, String), UiError> {
    let p = state.store.account_plan(plan).await?;
    let name = customer_in_reach(state, page, p.customer_id).await?;
    Ok((p.customer_id, name))
}

/// Renders the edit page of a project or an action.
#[allow(clippy::too_many_arguments)]
async fn item_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    what: &str,
    id: i64,
    customer: (CustomerId, &str),
    values: Value,
    errors: Map<String, Value>,
) -> Result<Response, UiError> {
    Ok(page.render_status(
        status,
        "key_account_item.html",
        json!({
            "what": what,
            "id": id,
            "customer": {"id": customer.0 .0, "name": customer.1},
            "f": values,
            "errors": errors,
            "users": owner_choices(state).await?,
            "kinds": ProjectKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "statuses": ActionStatus::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /key-account-projects/{id}/edit`.
pub async fn edit_project_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let p = state.store.plan_project(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, p.plan_id).await?;
        let values = serde_json::to_value(ProjectForm::from_project(&p)).unwrap_or_default();
        item_page(
            &state,
            &page,
            StatusCode::OK,
            "project",
            p.id,
            (cid, &name),
            values,
            Map::new(),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /key-account-projects/{id}/edit`.
pub async fn update_project(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ProjectForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let p = state.store.plan_project(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, p.plan_id).await?;
        let shop = super::products::default_currency(&state).await?;
        let mut errs = Map::new();
        let input = f.parse(&shop, &mut errs);
        if let (true, Some(input)) = (errs.is_empty(), input) {
            match state
                .store
                .update_plan_project(Some(caller.id()), p.id, input)
                .await
            {
                Ok(_) => return Ok(back(cid, "projects")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        item_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "project",
            p.id,
            (cid, &name),
            values,
            errs,
        )
        .await
    };
    respond(run.await, &page)
}

/// `GET /key-account-projects/{id}/delete`.
pub async fn confirm_delete_project(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let p = state.store.plan_project(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, p.plan_id).await?;
        Ok(confirm_delete_page(
            &page,
            DeleteTarget {
                heading: "key-accounts-delete-project",
                what: p.name,
                customer: cid,
                customer_name: name,
                action: format!("/key-account-projects/{}/delete", p.id),
                back: format!("/key-accounts/{cid}#projects"),
            },
        ))
    };
    respond(run.await, &page)
}

/// `POST /key-account-projects/{id}/delete`.
pub async fn delete_project(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let p = state.store.plan_project(path_id(&id)?).await?;
        let (cid, _) = owning_customer(&state, &page, p.plan_id).await?;
        state
            .store
            .delete_plan_project(Some(caller.id()), p.id)
            .await?;
        Ok(back(cid, "projects"))
    };
    respond(run.await, &page)
}

/// `GET /key-account-actions/{id}/edit`.
pub async fn edit_action_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let a = state.store.plan_action(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, a.plan_id).await?;
        let values = serde_json::to_value(ActionForm::from_action(&a)).unwrap_or_default();
        item_page(
            &state,
            &page,
            StatusCode::OK,
            "action",
            a.id,
            (cid, &name),
            values,
            Map::new(),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /key-account-actions/{id}/edit`.
pub async fn update_action(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ActionForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let a = state.store.plan_action(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, a.plan_id).await?;
        let mut errs = Map::new();
        let input = f.parse(&mut errs);
        if errs.is_empty() {
            match state
                .store
                .update_plan_action(Some(caller.id()), a.id, input)
                .await
            {
                Ok(_) => return Ok(back(cid, "actions")),
                Err(e) => refusal(e, &mut errs)?,
            }
        }
        let values = serde_json::to_value(&f).unwrap_or_default();
        item_page(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "action",
            a.id,
            (cid, &name),
            values,
            errs,
        )
        .await
    };
    respond(run.await, &page)
}

/// `GET /key-account-actions/{id}/delete`.
pub async fn confirm_delete_action(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let a = state.store.plan_action(path_id(&id)?).await?;
        let (cid, name) = owning_customer(&state, &page, a.plan_id).await?;
        Ok(confirm_delete_page(
            &page,
            DeleteTarget {
                heading: "key-accounts-delete-action",
                what: a.what,
                customer: cid,
                customer_name: name,
                action: format!("/key-account-actions/{}/delete", a.id),
                back: format!("/key-accounts/{cid}#actions"),
            },
        ))
    };
    respond(run.await, &page)
}

/// `POST /key-account-actions/{id}/delete`.
pub async fn delete_action(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let a = state.store.plan_action(path_id(&id)?).await?;
        let (cid, _) = owning_customer(&state, &page, a.plan_id).await?;
        state
            .store
            .delete_plan_action(Some(caller.id()), a.id)
            .await?;
        Ok(back(cid, "actions"))
    };
    respond(run.await, &page)
}

/// The customer page's link to the plan: shown for A-class customers and for any customer with
/// a plan, with the plan's review status.
pub(crate) async fn customer_link(
    state: &AppState,
    lang: Lang,
    id: CustomerId,
    abc: Option<&str>,
) -> Result<Value, UiError> {
    let plan = state.store.account_plan_of(id).await?;
    if plan.is_none() && abc != Some("A") {
        return Ok(Value::Null);
    }
    let today = patron_store::contact::today(
        &patron_store::contact::load_settings(state.store.as_ref()).await?,
    );
    Ok(match plan {
        Some(p) => {
            let s = ReviewStatus::on(p.next_review_on, today);
            json!({"has_plan": true, "status": s.as_str(), "status_label": status_label(lang, s),
                   "next_review": i18n::date(lang, p.next_review_on)})
        }
        None => json!({"has_plan": false}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_codes_have_their_messages_and_others_the_shared_ones() {
        assert_eq!(error_key("in_past"), "key-accounts-error-in-past");
        assert_eq!(error_key("required"), "error-required");
        assert_eq!(error_key("whatever"), "error-invalid");
        for c in OWN_CODES {
            let key = error_key(c);
            assert_ne!(i18n::tr(Lang::En, &key, &[]), key, "{key} has no message");
        }
    }

    #[test]
    fn forms_read_what_was_typed() {
        let mut errs = Map::new();
        let f = ProjectForm {
            kind: "competitor".into(),
            name: "Tender".into(),
            value: "12,000.50".into(),
            ..Default::default()
        };
        let usd = Currency::parse("currency", "USD").expect("usd");
        let p = f.parse(&usd, &mut errs).expect("input");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(p.value_minor, Some(1_200_050));
        assert_eq!(p.currency.as_deref(), Some("USD"));
        let f = ActionForm {
            what: "x".into(),
            review_on: "2026-02-30".into(),
            ..ActionForm::fresh()
        };
        f.parse(&mut errs);
        assert_eq!(errs["review_on"], "error-invalid");
    }
}
