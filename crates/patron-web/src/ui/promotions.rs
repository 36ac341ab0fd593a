//! Promotions in the UI (METHOD §7): the list (`GET /promotions`), the form with its cost lines
//! and the expectation worked out from them (`/promotions/new`, `/promotions/{id}/edit`; the
//! "calculate" button shows the expectation without saving), the promotion's page with its
//! participants and their attitude (`/promotions/{id}`), and the evaluation of expected against
//! actual effect (`/promotions/{id}/evaluation`).
//!
//! The same rules as the JSON API: everyone sees the promotions their customers take part in,
//! with only their own customers among the participants; business managers and above
//! ([`may_manage`]) create, change and delete promotions and their participant lists; anyone who
//! sees a participant records its attitude. Amounts are typed and shown in the promotion's
//! currency with the locale's money format.

use super::forms::{blank, code_key, form_number, optional_date, path_id, respond};
use super::i18n::{self, Lang};
use super::{urlencode, Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{NaiveDate, Utc};
use fluent_bundle::FluentValue;
use patron_core::money::format_minor;
use patron_core::promotion::{
    self as core, Attitude, Baseline, CostInput, CostKind, Evaluation, Expectation,
    ParticipantChange, ParticipantInput, PromotionInput, PromotionStatus, Word,
};
use patron_core::{parse_amount, Currency, CustomerId, ValidationErrors};
use patron_store::promotions::{may_manage, PromotionDetail, MARGIN_KEY};
use patron_store::{CustomerQuery, StoreError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Error codes of this feature with their own message (`promotions-error-CODE`); the others are
/// the shared `error-CODE` ones.
const OWN_CODES: &[&str] = &[
    "before_start",
    "no_participants",
    "too_many",
    "already_taking_part",
];

/// Records the message key of `code` for `field` (the first error of a field is the one shown).
fn add_error(errs: &mut Map<String, Value>, field: &str, code: &str) {
    let key = if OWN_CODES.contains(&code) {
        format!("promotions-error-{code}")
    } else {
        format!("error-{}", code_key(code))
    };
    errs.entry(field.to_owned()).or_insert(Value::String(key));
}

/// The form's name of a domain field.
fn form_field(f: &str) -> String {
    match f {
        "budget_minor" => "budget".into(),
        "expected_extra_sales_minor" => "expected_extra_sales".into(),
        "gross_margin_bp" => "margin".into(),
        other => {
            // costs[3].amount_minor → cost_amount_3, costs[3].description → cost_desc_3
            if let Some(rest) = other.strip_prefix("costs[") {
                if let Some((i, what)) = rest.split_once("].") {
                    let w = if what == "amount_minor" {
                        "amount"
                    } else {
                        "desc"
                    };
                    return format!("cost_{w}_{i}");
                }
            }
            other.into()
        }
    }
}

fn domain_errors(errs: &mut Map<String, Value>, e: &ValidationErrors) {
    for f in &e.0 {
        add_error(errs, &form_field(&f.field), &f.code);
    }
}

/// A rate in basis points as a percentage ("30%", "27.5%").
fn percent_bp(bp: u32) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:02}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

/// A ratio as a percentage with one decimal ("9.5%"); a dash when there is none.
fn percent_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "–".into(),
    }
}

fn money(lang: Lang, minor: i64, cur: &Currency) -> String {
    i18n::money_parts(lang, minor, cur)
}

/// Labels of a vocabulary's words in the reader's language, for selects.
fn options<T: Word>(lang: Lang, prefix: &str) -> Vec<Value> {
    T::ALL
        .iter()
        .map(|v| {
            json!({
                "value": v.as_str(),
                "label": i18n::tr(lang, &format!("{prefix}-{}", v.as_str()), &[]),
            })
        })
        .collect()
}

fn label<T: Word>(lang: Lang, prefix: &str, v: T) -> String {
    i18n::tr(lang, &format!("{prefix}-{}", v.as_str()), &[])
}

/// The expectation as the page shows it.
fn expectation_view(lang: Lang, e: &Expectation, cur: &Currency) -> Value {
    json!({
        "cost": money(lang, e.cost_minor, cur),
        "by_kind": e.cost_by_kind.iter().map(|s| json!({
            "kind": label(lang, "promotions-cost", s.kind),
            "amount": money(lang, s.amount_minor, cur),
        })).collect::<Vec<_>>(),
        "material_discounts": money(lang, e.material_discounts_minor, cur),
        "budget": money(lang, e.budget_minor, cur),
        "budget_left": money(lang, e.budget_left_minor, cur),
        "over_budget": e.over_budget,
        "extra_sales": money(lang, e.expected_extra_sales_minor, cur),
        "margin": percent_bp(e.gross_margin_bp),
        "gross_profit": money(lang, e.expected_gross_profit_minor, cur),
        "net_effect": money(lang, e.expected_net_effect_minor, cur),
        "net_negative": e.expected_net_effect_minor < 0,
        "break_even": e.break_even_extra_sales_minor.map(|m| money(lang, m, cur)),
        "return": percent_ratio(e.expected_return),
    })
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: String,
}

/// `GET /promotions`.
pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ListParams>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let lang = page.lang;
        let status = PromotionStatus::parse(&p.status);
        let items = state.store.list_promotions(caller.scope, status).await?;
        let rows: Vec<Value> = items
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "name": p.name,
                    "status": p.status.as_str(),
                    "status_label": label(lang, "promotions-status", p.status),
                    "period": format!("{} – {}", i18n::date(lang, p.starts_on), i18n::date(lang, p.ends_on)),
                    "participants": p.participants,
                    "cost": money(lang, p.expectation.cost_minor, &p.currency),
                    "extra_sales": money(lang, p.expected_extra_sales_minor, &p.currency),
                    "net_effect": money(lang, p.expectation.expected_net_effect_minor, &p.currency),
                    "net_negative": p.expectation.expected_net_effect_minor < 0,
                })
            })
            .collect();
        Ok(page.render(
            "promotions.html",
            json!({
                "items": rows,
                "status": status.map(|s| s.as_str()),
                "statuses": options::<PromotionStatus>(lang, "promotions-status"),
                "can_manage": may_manage(&caller.user),
            }),
        ))
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------------

/// Cost rows the form offers beyond those filled in.
const SPARE_ROWS: usize = 3;

/// The form as typed (every value kept as text so a refused form shows what was typed).
#[derive(Debug, Default, Clone)]
struct PromotionForm {
    csrf: String,
    action: String,
    name: String,
    description: String,
    starts_on: String,
    ends_on: String,
    currency: String,
    budget: String,
    expected_extra_sales: String,
    margin: String,
    status: String,
    baseline: String,
    /// (kind, description, amount) per row.
    costs: Vec<(String, String, String)>,
}

impl PromotionForm {
    /// Reads the posted pairs; cost rows are `cost_kind_N`, `cost_desc_N`, `cost_amount_N`.
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = PromotionForm::default();
        let mut rows: std::collections::BTreeMap<usize, (String, String, String)> =
            Default::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "name" => f.name = v,
                "description" => f.description = v,
                "starts_on" => f.starts_on = v,
                "ends_on" => f.ends_on = v,
                "currency" => f.currency = v,
                "budget" => f.budget = v,
                "expected_extra_sales" => f.expected_extra_sales = v,
                "margin" => f.margin = v,
                "status" => f.status = v,
                "baseline" => f.baseline = v,
                other => {
                    let row = |p: &str| {
                        other
                            .strip_prefix(p)
                            .and_then(|n| n.parse::<usize>().ok())
                            .filter(|n| *n < core::MAX_COST_LINES + SPARE_ROWS)
                    };
                    if let Some(i) = row("cost_kind_") {
                        rows.entry(i).or_default().0 = v;
                    } else if let Some(i) = row("cost_desc_") {
                        rows.entry(i).or_default().1 = v;
                    } else if let Some(i) = row("cost_amount_") {
                        rows.entry(i).or_default().2 = v;
                    }
                }
            }
        }
        f.costs = rows.into_values().collect();
        f
    }

    fn from_detail(d: &PromotionDetail) -> Self {
        let p = &d.promotion;
        PromotionForm {
            name: p.name.clone(),
            description: p.description.clone().unwrap_or_default(),
            starts_on: p.starts_on.to_string(),
            ends_on: p.ends_on.to_string(),
            currency: p.currency.as_str().to_owned(),
            budget: format_minor(p.budget_minor, &p.currency),
            expected_extra_sales: format_minor(p.expected_extra_sales_minor, &p.currency),
            margin: percent_bp(p.gross_margin_bp)
                .trim_end_matches('%')
                .to_owned(),
            status: p.status.as_str().to_owned(),
            baseline: p.baseline.as_str().to_owned(),
            costs: p
                .costs
                .iter()
                .map(|c| {
                    (
                        c.kind.as_str().to_owned(),
                        c.description.clone().unwrap_or_default(),
                        format_minor(c.amount_minor, &p.currency),
                    )
                })
                .collect(),
            ..Default::default()
        }
    }

    /// The input the form describes, or the errors next to its fields (the domain's checks
    /// included, so every problem shows at once).
    fn parse(
        &self,
        default_currency: &Currency,
        default_margin: u32,
    ) -> Result<PromotionInput, Map<String, Value>> {
        let mut errs = Map::new();
        let currency = match blank(&self.currency) {
            None => default_currency.clone(),
            Some(c) => Currency::parse("currency", &c).unwrap_or_else(|e| {
                add_error(&mut errs, "currency", &e.code);
                default_currency.clone()
            }),
        };
        let amount = |s: &str, field: &str, errs: &mut Map<String, Value>| -> i64 {
            match blank(s) {
                None => 0,
                Some(s) => parse_amount(field, &s, &currency).unwrap_or_else(|e| {
                    add_error(errs, field, &e.code);
                    0
                }),
            }
        };
        let budget_minor = amount(&self.budget, "budget", &mut errs);
        let expected_extra_sales_minor = amount(
            &self.expected_extra_sales,
            "expected_extra_sales",
            &mut errs,
        );
        let mut costs = Vec::new();
        for (i, (kind, desc, amt)) in self.costs.iter().enumerate() {
            if blank(amt).is_none() && blank(desc).is_none() {
                continue; // an empty row
            }
            let field = format!("cost_amount_{i}");
            if blank(amt).is_none() {
                add_error(&mut errs, &field, "required");
            }
            let amount_minor = amount(amt, &field, &mut errs);
            let kind = CostKind::parse(kind).unwrap_or(CostKind::Other);
            costs.push((
                i,
                CostInput {
                    kind,
                    description: blank(desc),
                    amount_minor,
                },
            ));
        }
        let gross_margin_bp = match blank(&self.margin) {
            None => Some(i64::from(default_margin)),
            Some(m) => form_number(&m, "margin", &mut errs).map(|v| (v * 100.0).round() as i64),
        };
        let date = |s: &str, field: &str, errs: &mut Map<String, Value>| {
            if blank(s).is_none() {
                add_error(errs, field, "required");
            }
            optional_date(s, field, errs)
        };
        let starts_on = date(&self.starts_on, "starts_on", &mut errs);
        let ends_on = date(&self.ends_on, "ends_on", &mut errs);
        let status = PromotionStatus::parse(&self.status);
        let baseline = Baseline::parse(&self.baseline);
        // Without both dates the domain cannot check the rest: use placeholders so it still
        // reports the other fields' problems.
        let placeholder = NaiveDate::default();
        let input = PromotionInput {
            name: self.name.trim().to_owned(),
            description: blank(&self.description),
            starts_on: starts_on.unwrap_or(placeholder),
            ends_on: ends_on.or(starts_on).unwrap_or(placeholder),
            currency: Some(currency.clone()),
            budget_minor,
            expected_extra_sales_minor,
            gross_margin_bp,
            status,
            baseline,
            costs: costs.iter().map(|(_, c)| c.clone()).collect(),
        };
        if let Err(e) = input.validate(default_currency, default_margin) {
            // The domain numbers cost lines as sent; the form by its rows.
            for f in &e.0 {
                let field = match f.field.strip_prefix("costs[") {
                    Some(rest) => match rest.split_once(']') {
                        Some((n, tail)) => {
                            let row = n
                                .parse::<usize>()
                                .ok()
                                .and_then(|n| costs.get(n))
                                .map_or(0, |(i, _)| *i);
                            form_field(&format!("costs[{row}]{tail}"))
                        }
                        None => form_field(&f.field),
                    },
                    None => form_field(&f.field),
                };
                add_error(&mut errs, &field, &f.code);
            }
        }
        if errs.is_empty() {
            Ok(input)
        } else {
            Err(errs)
        }
    }

    fn view(&self) -> Value {
        let rows = self.costs.len().min(core::MAX_COST_LINES);
        let spare = (rows + SPARE_ROWS).min(core::MAX_COST_LINES);
        let costs: Vec<Value> = (0..spare)
            .map(|i| {
                let (k, d, a) = self.costs.get(i).cloned().unwrap_or_default();
                json!({"i": i, "kind": k, "desc": d, "amount": a})
            })
            .collect();
        json!({
            "name": self.name, "description": self.description,
            "starts_on": self.starts_on, "ends_on": self.ends_on,
            "currency": self.currency, "budget": self.budget,
            "expected_extra_sales": self.expected_extra_sales, "margin": self.margin,
            "status": self.status, "baseline": self.baseline, "costs": costs,
        })
    }
}

/// The shop's defaults for a new promotion: currency and gross margin.
async fn defaults(state: &AppState) -> Result<(Currency, u32), UiError> {
    let cur = super::products::default_currency(state).await?;
    let bp = patron_store::promotions::default_margin_bp(state.store.as_ref()).await?;
    Ok((cur, bp))
}

struct FormPage<'a> {
    id: Option<i64>,
    form: &'a PromotionForm,
    errors: Map<String, Value>,
    expectation: Option<Value>,
    default_margin: u32,
}

fn render_form(page: &Page, status: StatusCode, f: FormPage<'_>) -> Response {
    let lang = page.lang;
    page.render_status(
        status,
        "promotion_form.html",
        json!({
            "id": f.id,
            "f": f.form.view(),
            "errors": f.errors,
            "expectation": f.expectation,
            "kinds": options::<CostKind>(lang, "promotions-cost"),
            "statuses": options::<PromotionStatus>(lang, "promotions-status"),
            "baselines": options::<Baseline>(lang, "promotions-baseline"),
            "default_margin": percent_bp(f.default_margin),
            "margin_key": MARGIN_KEY,
        }),
    )
}

/// Saves the form (create when `id` is `None`), shows the expectation ("calculate"), or shows
/// the form again with the errors.
async fn submit(
    state: &AppState,
    page: &Page,
    id: Option<i64>,
    pairs: &[(String, String)],
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let f = PromotionForm::from_pairs(pairs);
    page.check_csrf(&f.csrf)?;
    if !may_manage(&caller.user) {
        return Err(UiError::Forbidden);
    }
    if let Some(id) = id {
        // Editing a promotion the user cannot see is "not found".
        state.store.get_promotion(id, caller.scope).await?;
    }
    let (cur, bp) = defaults(state).await?;
    let mut errors = match f.parse(&cur, bp) {
        Ok(input) => {
            if f.action == "calculate" {
                let lines: Vec<(CostKind, i64)> = input
                    .costs
                    .iter()
                    .map(|c| (c.kind, c.amount_minor))
                    .collect();
                let margin = input
                    .gross_margin_bp
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(bp);
                let e = core::expectation(
                    &lines,
                    input.budget_minor,
                    input.expected_extra_sales_minor,
                    margin,
                );
                let c = input.currency.clone().unwrap_or(cur);
                let form_page = FormPage {
                    id,
                    form: &f,
                    errors: Map::new(),
                    expectation: Some(expectation_view(page.lang, &e, &c)),
                    default_margin: bp,
                };
                return Ok(render_form(page, StatusCode::OK, form_page));
            }
            let saved = match id {
                None => state.store.create_promotion(Some(caller.id()), input).await,
                Some(id) => state.store.update_promotion(id, caller.scope, input).await,
            };
            match saved {
                Ok(d) => {
                    return Ok(super::see_other(&format!(
                        "/promotions/{}?done=saved",
                        d.promotion.id
                    )))
                }
                Err(StoreError::Invalid(e)) => {
                    let mut m = Map::new();
                    domain_errors(&mut m, &e);
                    m
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errs) => errs,
    };
    if errors.is_empty() {
        add_error(&mut errors, "name", "invalid");
    }
    let form_page = FormPage {
        id,
        form: &f,
        errors,
        expectation: None,
        default_margin: bp,
    };
    Ok(render_form(
        page,
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page,
    ))
}

/// `GET /promotions/new`.
pub async fn new_form(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        let caller = page.user()?;
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        let (cur, bp) = defaults(&state).await?;
        let today = Utc::now().date_naive();
        let f = PromotionForm {
            currency: cur.as_str().to_owned(),
            margin: percent_bp(bp).trim_end_matches('%').to_owned(),
            starts_on: today.to_string(),
            ends_on: (today + chrono::Duration::days(30)).to_string(),
            status: PromotionStatus::Planned.as_str().to_owned(),
            baseline: Baseline::Preceding.as_str().to_owned(),
            costs: vec![(
                CostKind::MaterialDiscount.as_str().to_owned(),
                String::new(),
                String::new(),
            )],
            ..Default::default()
        };
        let form_page = FormPage {
            id: None,
            form: &f,
            errors: Map::new(),
            expectation: None,
            default_margin: bp,
        };
        Ok(render_form(&page, StatusCode::OK, form_page))
    };
    respond(run.await, &page)
}

/// `POST /promotions/new`.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let r = submit(&state, &page, None, &pairs).await;
    respond(r, &page)
}

/// `GET /promotions/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let id = path_id(&id)?;
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        let d = state.store.get_promotion(id, caller.scope).await?;
        let (_, bp) = defaults(&state).await?;
        let f = PromotionForm::from_detail(&d);
        let e = expectation_view(page.lang, &d.promotion.expectation, &d.promotion.currency);
        let form_page = FormPage {
            id: Some(id),
            form: &f,
            errors: Map::new(),
            expectation: Some(e),
            default_margin: bp,
        };
        Ok(render_form(&page, StatusCode::OK, form_page))
    };
    respond(run.await, &page)
}

/// `POST /promotions/{id}/edit`.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let id = path_id(&id)?;
        submit(&state, &page, Some(id), &pairs).await
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// The promotion's page and its participants
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    done: String,
}

/// A refused participant form, shown again on the page.
#[derive(Debug, Default)]
struct Refused {
    /// `add`, or the customer id of the row.
    form: String,
    values: Value,
    errors: Map<String, Value>,
}

async fn render_show(
    state: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let d = state.store.get_promotion(id, caller.scope).await?;
    let p = &d.promotion;
    let cur = &p.currency;
    let participants: Vec<Value> = d
        .participants
        .iter()
        .map(|x| {
            let row_refused = refused
                .as_ref()
                .filter(|r| r.form == x.customer_id.0.to_string());
            json!({
                "customer_id": x.customer_id.0,
                "name": x.customer_name,
                "attitude": x.attitude.as_str(),
                "attitude_label": label(lang, "promotions-attitude", x.attitude),
                "taking_part": x.attitude.takes_part(),
                "notes": row_refused
                    .and_then(|r| r.values.get("notes").cloned())
                    .unwrap_or_else(|| json!(x.notes.clone().unwrap_or_default())),
                "error": row_refused.and_then(|r| r.errors.get("notes").cloned()),
                "added": i18n::date(lang, x.added_at.date_naive()),
                "added_by": x.added_by_name,
            })
        })
        .collect();
    let add = match refused.as_ref().filter(|r| r.form == "add") {
        Some(r) => json!({"v": r.values, "errors": r.errors}),
        None => json!({"v": {"customer": "", "attitude": "neutral", "notes": ""}, "errors": {}}),
    };
    let costs: Vec<Value> = p
        .costs
        .iter()
        .map(|c| {
            json!({
                "kind": label(lang, "promotions-cost", c.kind),
                "description": c.description,
                "amount": money(lang, c.amount_minor, cur),
            })
        })
        .collect();
    Ok(page.render_status(
        status,
        "promotion.html",
        json!({
            "notice": notice,
            "p": {
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "status": p.status.as_str(),
                "status_label": label(lang, "promotions-status", p.status),
                "starts_on": i18n::date(lang, p.starts_on),
                "ends_on": i18n::date(lang, p.ends_on),
                "days": core::days(p.starts_on, p.ends_on),
                "currency": cur.as_str(),
                "baseline_label": label(lang, "promotions-baseline", p.baseline),
                "created_by": p.created_by_name,
                "costs": costs,
            },
            "e": expectation_view(lang, &p.expectation, cur),
            "participants": participants,
            "hidden": d.hidden_participants,
            "attitudes": options::<Attitude>(lang, "promotions-attitude"),
            "add": add,
            "can_manage": may_manage(&caller.user),
        }),
    ))
}

/// `GET /promotions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<ShowParams>,
) -> Response {
    let run = async {
        let id = path_id(&id)?;
        let notice = match q.done.as_str() {
            "saved" | "added" | "removed" | "attitude" => {
                Some(page.t(&format!("promotions-notice-{}", q.done)))
            }
            _ => None,
        };
        render_show(&state, &page, id, StatusCode::OK, notice, None).await
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct ParticipantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    attitude: String,
    #[serde(default)]
    notes: String,
}

/// The customer a user typed: `#ID`, a bare id, a reference or a name — the one customer in
/// their scope it names. `Err` carries the error code for the field.
async fn resolve_customer(
    state: &AppState,
    page: &Page,
    typed: &str,
) -> Result<Result<CustomerId, &'static str>, UiError> {
    let caller = page.user()?;
    let t = typed.trim();
    if t.is_empty() {
        return Ok(Err("required"));
    }
    let digits = t.strip_prefix('#').unwrap_or(t);
    if let Ok(n) = digits.parse::<i64>() {
        let id = CustomerId(n);
        if state.store.customer_in_scope(id, caller.scope).await? {
            return Ok(Ok(id));
        }
        if t.starts_with('#') {
            return Ok(Err("unknown_reference"));
        }
    }
    let found = state
        .store
        .list_customers(&CustomerQuery {
            q: Some(t.chars().take(200).collect()),
            limit: Some(20),
            scope: caller.scope,
            ..Default::default()
        })
        .await?;
    let lower = t.to_lowercase();
    let exact: Vec<CustomerId> = found
        .items
        .iter()
        .filter(|c| c.external_ref.as_deref() == Some(t) || c.name.to_lowercase() == lower)
        .map(|c| c.id)
        .collect();
    Ok(match (exact.as_slice(), found.items.as_slice()) {
        ([one], _) => Ok(*one),
        ([], [only]) => Ok(only.id),
        ([], []) => Err("unknown_reference"),
        _ => Err("ambiguous"),
    })
}

/// `POST /promotions/{id}/participants`: adds a customer (business managers and above).
pub async fn add_participant(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<ParticipantForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = path_id(&id)?;
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        state.store.get_promotion(id, caller.scope).await?;
        let values = json!({"customer": f.customer, "attitude": f.attitude, "notes": f.notes});
        let mut errors = Map::new();
        let attitude = Attitude::parse(&f.attitude);
        let customer = match resolve_customer(&state, &page, &f.customer).await? {
            Ok(c) => Some(c),
            Err(code) => {
                add_error(&mut errors, "customer", code);
                None
            }
        };
        if let Err(e) = core::participant_notes(Some(&f.notes)) {
            add_error(&mut errors, "notes", &e.code);
        }
        if let (Some(customer), true) = (customer, errors.is_empty()) {
            let input = ParticipantInput {
                customer_id: customer,
                attitude,
                notes: blank(&f.notes),
            };
            match state
                .store
                .add_promotion_participant(Some(caller.id()), id, caller.scope, input)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/promotions/{id}?done=added"))),
                Err(StoreError::Conflict { .. }) => {
                    add_error(&mut errors, "customer", "already_taking_part")
                }
                Err(StoreError::Invalid(e)) => {
                    for fe in &e.0 {
                        let field = if fe.field == "customer_id" {
                            "customer"
                        } else {
                            &fe.field
                        };
                        add_error(&mut errors, field, &fe.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let refused = Refused {
            form: "add".into(),
            values,
            errors,
        };
        render_show(
            &state,
            &page,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(refused),
        )
        .await
    };
    respond(run.await, &page)
}

/// `POST /promotions/{id}/participants/{customer}`: records the attitude and notes.
pub async fn change_participant(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    Form(f): Form<ParticipantForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = path_id(&id)?;
        let customer = CustomerId(path_id(&customer)?);
        let Some(attitude) = Attitude::parse(&f.attitude) else {
            return Err(UiError::NotFound);
        };
        let change = ParticipantChange {
            attitude: Some(attitude),
            notes: Some(f.notes.clone()),
        };
        match state
            .store
            .change_promotion_participant(id, customer, caller.scope, change)
            .await
        {
            Ok(_) => Ok(super::see_other(&format!(
                "/promotions/{id}?done=attitude#participant-{customer}"
            ))),
            Err(StoreError::Invalid(e)) => {
                let mut errors = Map::new();
                for fe in &e.0 {
                    add_error(&mut errors, &fe.field, &fe.code);
                }
                let refused = Refused {
                    form: customer.0.to_string(),
                    values: json!({"notes": f.notes}),
                    errors,
                };
                render_show(
                    &state,
                    &page,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(refused),
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /promotions/{id}/participants/{customer}/remove` (business managers and above).
pub async fn remove_participant(
    State(state): State<AppState>,
    page: Page,
    Path((id, customer)): Path<(String, String)>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = path_id(&id)?;
        let customer = CustomerId(path_id(&customer)?);
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        state
            .store
            .remove_promotion_participant(id, customer, caller.scope)
            .await?;
        Ok(super::see_other(&format!("/promotions/{id}?done=removed")))
    };
    respond(run.await, &page)
}

/// `GET /promotions/{id}/delete`: asks first.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let id = path_id(&id)?;
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        let d = state.store.get_promotion(id, caller.scope).await?;
        Ok(page.render(
            "promotion_delete.html",
            json!({"id": id, "name": d.promotion.name,
                   "participants": d.promotion.participants + d.hidden_participants}),
        ))
    };
    respond(run.await, &page)
}

/// `POST /promotions/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = path_id(&id)?;
        if !may_manage(&caller.user) {
            return Err(UiError::Forbidden);
        }
        state.store.delete_promotion(id, caller.scope).await?;
        Ok(super::see_other("/promotions"))
    };
    respond(run.await, &page)
}

// ---------------------------------------------------------------------------------------------
// The evaluation
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct EvaluationParams {
    #[serde(default)]
    baseline: String,
}

fn evaluation_view(lang: Lang, ev: &Evaluation) -> Value {
    let cur = &ev.currency;
    let m = |v: i64| money(lang, v, cur);
    let window = |w: Option<core::Window>| {
        w.map(|w| {
            json!({
                "from": i18n::date(lang, w.from),
                "to": i18n::date(lang, w.to),
                "days": w.days(),
            })
        })
    };
    let x = &ev.expected;
    let a = &ev.actual;
    json!({
        "started": ev.started,
        "complete": ev.complete,
        "as_of": i18n::date(lang, ev.as_of),
        "baseline": ev.baseline.as_str(),
        "baseline_label": label(lang, "promotions-baseline", ev.baseline),
        "period": window(ev.period),
        "baseline_period": window(ev.baseline_period),
        "cost": m(x.cost_minor),
        "rows": [
            {"label": "promotions-extra-sales", "expected": m(x.expected_extra_sales_minor),
             "actual": m(a.extra_sales_minor), "ratio": percent_ratio(a.extra_sales_ratio),
             "negative": a.extra_sales_minor < 0},
            {"label": "promotions-gross-profit", "expected": m(x.expected_gross_profit_minor),
             "actual": m(a.gross_profit_minor),
             "ratio": percent_ratio(core::ratio(a.gross_profit_minor, x.expected_gross_profit_minor)),
             "negative": a.gross_profit_minor < 0},
            {"label": "promotions-net-effect", "expected": m(x.expected_net_effect_minor),
             "actual": m(a.net_effect_minor), "ratio": percent_ratio(a.net_effect_ratio),
             "negative": a.net_effect_minor < 0},
        ],
        "margin": percent_bp(x.gross_margin_bp),
        "break_even": x.break_even_extra_sales_minor.map(m),
        "broke_even": a.broke_even,
        "period_total": m(a.period_minor),
        "baseline_total": m(a.baseline_minor),
        "counted": a.participants_counted,
        "other_currency_orders": a.other_currency_orders,
        "participants": ev.participants.iter().map(|p| json!({
            "customer_id": p.customer_id.0,
            "name": p.customer_name,
            "attitude_label": label(lang, "promotions-attitude", p.attitude),
            "counted": p.counted,
            "period": m(p.period_minor),
            "period_orders": p.period_orders,
            "baseline": m(p.baseline_minor),
            "baseline_orders": p.baseline_orders,
            "extra": m(p.extra_sales_minor),
            "negative": p.extra_sales_minor < 0,
            "gross_profit": m(p.gross_profit_minor),
            "other": p.other_currency_orders,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /promotions/{id}/evaluation?baseline=preceding|previous_year`.
pub async fn evaluation(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<EvaluationParams>,
) -> Response {
    let run = async {
        let caller = page.user()?;
        let id = path_id(&id)?;
        let d = state.store.get_promotion(id, caller.scope).await?;
        let baseline = Baseline::parse(&q.baseline);
        let ev = state
            .store
            .evaluate_promotion(id, caller.scope, baseline, Utc::now().date_naive())
            .await?;
        let days = FluentValue::from(core::days(d.promotion.starts_on, d.promotion.ends_on));
        Ok(page.render(
            "promotion_evaluation.html",
            json!({
                "p": {"id": id, "name": d.promotion.name,
                      "period": i18n::tr(page.lang, "promotions-period-days", &[
                          ("from", FluentValue::from(i18n::date(page.lang, d.promotion.starts_on))),
                          ("to", FluentValue::from(i18n::date(page.lang, d.promotion.ends_on))),
                          ("days", days),
                      ])},
                "ev": evaluation_view(page.lang, &ev),
                "baselines": options::<Baseline>(page.lang, "promotions-baseline"),
                "hidden": d.hidden_participants,
                "link": format!("/promotions/{id}/evaluation?baseline={}", urlencode(ev.baseline.as_str())),
            }),
        ))
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_field_names() {
        assert_eq!(percent_bp(3000), "30%");
        assert_eq!(percent_bp(2750), "27.5%");
        assert_eq!(percent_bp(1), "0.01%");
        assert_eq!(percent_ratio(Some(0.095)), "9.5%");
        assert_eq!(percent_ratio(None), "–");
        assert_eq!(form_field("costs[2].amount_minor"), "cost_amount_2");
        assert_eq!(form_field("gross_margin_bp"), "margin");
    }

    #[test]
    fn the_form_reads_cost_rows_and_skips_empty_ones() {
        let pairs: Vec<(String, String)> = [
            ("name", "Spring"),
            ("starts_on", "2025-03-01"),
            ("ends_on", "2025-03-31"),
            ("currency", "USD"),
            ("budget", "25,000"),
            ("expected_extra_sales", "100000"),
            ("margin", "30"),
            ("cost_kind_0", "material_discount"),
            ("cost_amount_0", "12,000.00"),
            ("cost_kind_1", "gift"),
            ("cost_amount_1", ""),
            ("cost_kind_2", "advertising"),
            ("cost_amount_2", "-5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let f = PromotionForm::from_pairs(&pairs);
        let errs = f.parse(&Currency::default(), 3000).expect_err("negative");
        assert_eq!(errs["cost_amount_2"], "error-negative");
        assert_eq!(errs.len(), 1);
        let mut pairs = pairs;
        pairs.pop();
        let input = PromotionForm::from_pairs(&pairs)
            .parse(&Currency::default(), 3000)
            .expect("valid");
        assert_eq!(input.budget_minor, 2_500_000);
        assert_eq!(input.gross_margin_bp, Some(3000));
        assert_eq!(input.costs.len(), 1);
        assert_eq!(input.costs[0].amount_minor, 1_200_000);
    }
}
