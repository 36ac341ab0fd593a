//! Visit plans and the day's route in the UI (METHOD §3.1):
//!
//! * `GET /plans` — choose the period (year, quarter, month), its start and (for managers) the
//!   person; build the plan from the policy; one table to edit the planned visits, calls and
//!   visit days next to what was done, with the share kept. `POST /plans/build` builds (or
//!   rebuilds), `POST /plans/{id}` saves the edits.
//! * `GET /route` — a day's visits in a short order with each leg's and the running distance,
//!   and the customers that have no coordinates; `POST /route/start` sets where routes start.
//! * `GET|POST /customers/{id}/location` — a customer's latitude and longitude.
//!
//! The pages call the same [`patron_store::plans`] functions as the JSON API and the CLI, and
//! follow the API's access rules ([`crate::api::plans`]). A refused form shows the page again
//! (422) with the message next to the field.

use super::forms::{add_error, blank, optional_date, path_id, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::api::plans::{may_plan_for, plannable_users, planned_user};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use chrono::{Days, NaiveDate};
use fluent_bundle::FluentValue;
use patron_core::contact::{EntryEdit, EntrySource, PlanPeriod, POLICY_LEVELS};
use patron_core::{CustomerId, User, UserId};
use patron_store::plans::{self, DayRoute, PlanProgress, VisitPlan};
use patron_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn tr(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let args: Vec<(&str, FluentValue<'_>)> = args
        .iter()
        .map(|(k, v)| (*k, FluentValue::from(v.clone())))
        .collect();
    i18n::tr(lang, key, &args)
}

/// A share as a whole percentage.
fn percent(share: Option<f64>) -> Option<String> {
    share.map(|s| format!("{:.0}%", s * 100.0))
}

/// Kilometres to one decimal.
fn km(x: f64) -> String {
    format!("{x:.1}")
}

/// The people the caller may choose between (`None`: only themselves, no chooser shown).
async fn choosable(state: &AppState, page: &Page) -> Result<Option<Vec<Value>>, UiError> {
    let caller = page.user()?;
    let users: Vec<User> = match plannable_users(state, caller).await? {
        Some(v) if v.len() <= 1 => return Ok(None),
        Some(v) => v,
        None => state.store.list_users().await?,
    };
    Ok(Some(
        users
            .into_iter()
            .filter(|u| u.active && POLICY_LEVELS.contains(&u.staff_level))
            .map(|u| json!({"id": u.id.0, "name": u.name}))
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct PlansParams {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    period: String,
    /// Any day of the period (the page moves it to the period's first day).
    #[serde(default)]
    start: String,
    /// Set by the redirects, for the notice.
    #[serde(default)]
    built: String,
    #[serde(default)]
    saved: String,
}

/// What the plans page shows.
struct Choice {
    user: User,
    period: PlanPeriod,
    start: NaiveDate,
}

async fn choose(state: &AppState, page: &Page, p: &PlansParams) -> Result<Choice, UiError> {
    let caller = page.user()?;
    let user_id = match blank(&p.user_id) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| UiError::NotFound)?),
    };
    let user = planned_user(state, caller, user_id).await?;
    let period = PlanPeriod::parse(&p.period).unwrap_or(PlanPeriod::Month);
    let mut errs = Map::new();
    let start = match optional_date(&p.start, "start", &mut errs) {
        Some(d) => period.start_of(d),
        None => plans::current_start(state.store.as_ref(), period).await?,
    };
    Ok(Choice {
        user,
        period,
        start,
    })
}

fn plans_url(user: UserId, period: PlanPeriod, start: NaiveDate) -> String {
    format!(
        "/plans?user_id={}&period={}&start={start}",
        user.0,
        period.as_str()
    )
}

/// A refused edit: what was typed and the messages, by form field.
struct Refused {
    values: Map<String, Value>,
    errors: Map<String, Value>,
}

async fn render_plans(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    c: Choice,
    notice: Option<String>,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let lang = page.lang;
    let found = state
        .store
        .find_visit_plan(c.user.id, c.period, c.start)
        .await?;
    let end = c.period.end(c.start);
    let prev = c.period.start_of(c.start - Days::new(1));
    let heading = tr(
        lang,
        "plans-heading",
        &[
            ("user", c.user.name.clone()),
            (
                "period",
                tr(lang, &format!("plans-period-{}", c.period.as_str()), &[]),
            ),
            ("from", i18n::date(lang, c.start)),
            ("to", i18n::date(lang, plans::last_day(c.period, c.start))),
        ],
    );
    let mut plan_view = Value::Null;
    if let Some(summary) = found {
        let plan: VisitPlan = state.store.get_visit_plan(summary.id).await?;
        let progress: PlanProgress = plans::progress(state.store.as_ref(), summary.id).await?;
        let (values, errors) = match refused {
            Some(r) => (r.values, r.errors),
            None => (Map::new(), Map::new()),
        };
        let typed = |field: &str, default: String| {
            values
                .get(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .unwrap_or(default)
        };
        let rows: Vec<Value> = plan
            .entries
            .iter()
            .zip(&progress.rows)
            .map(|(e, r)| {
                let id = e.customer_id.0;
                let days = e
                    .days
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                json!({
                    "id": id,
                    "name": e.customer_name,
                    "class": e.class,
                    "source": match e.source {
                        EntrySource::Policy => Value::Null,
                        s => Value::String(tr(lang, &format!("plans-source-{}", s.as_str()), &[])),
                    },
                    "visits": typed(&format!("visits_{id}"), e.visits.to_string()),
                    "calls": typed(&format!("calls_{id}"), e.calls.to_string()),
                    "days": typed(&format!("days_{id}"), days),
                    "visits_done": r.visits_done,
                    "calls_done": r.calls_done,
                    "share": percent(r.share),
                    "behind": progress.state != "future" && r.share.is_some_and(|s| s < 0.5),
                })
            })
            .collect();
        let t = progress.totals;
        plan_view = json!({
            "id": summary.id,
            "rows": rows,
            "errors": errors,
            "state": tr(lang, &format!("plans-state-{}", progress.state), &[]),
            "totals": {
                "visits_planned": t.visits_planned, "visits_done": t.visits_done,
                "calls_planned": t.calls_planned, "calls_done": t.calls_done,
                "share": percent(t.share),
            },
            "unplanned": (t.visits_unplanned + t.calls_unplanned > 0).then(|| tr(lang, "plans-unplanned", &[
                ("visits", t.visits_unplanned.to_string()),
                ("calls", t.calls_unplanned.to_string()),
            ])),
        });
    }
    let others: Vec<Value> = state
        .store
        .list_visit_plans(Some(&[c.user.id]), None, None)
        .await?
        .into_iter()
        .take(24)
        .map(|s| {
            json!({
                "url": plans_url(s.user_id, s.period, s.starts_on),
                "text": format!("{} · {} – {}",
                    tr(lang, &format!("plans-period-{}", s.period.as_str()), &[]),
                    i18n::date(lang, s.starts_on), i18n::date(lang, s.ends_on)),
            })
        })
        .collect();
    Ok(page.render_status(
        status,
        "plans.html",
        json!({
            "heading": heading,
            "notice": notice,
            "users": choosable(state, page).await?,
            "user_id": c.user.id.0,
            "period": c.period.as_str(),
            "periods": PlanPeriod::ALL.iter().map(|p| json!({
                "value": p.as_str(),
                "label": tr(lang, &format!("plans-period-{}", p.as_str()), &[]),
            })).collect::<Vec<_>>(),
            "start": c.start.to_string(),
            "prev_url": plans_url(c.user.id, c.period, prev),
            "next_url": plans_url(c.user.id, c.period, end),
            "plan": plan_view,
            "others": others,
            "route_url": format!("/route?user_id={}", c.user.id.0),
        }),
    ))
}

/// `GET /plans`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<PlansParams>,
) -> Response {
    let run = async {
        let c = choose(&state, &page, &p).await?;
        let notice = if !p.built.is_empty() {
            Some(page.t("plans-built"))
        } else if !p.saved.is_empty() {
            Some(page.t("plans-saved"))
        } else {
            None
        };
        render_plans(&state, &page, StatusCode::OK, c, notice, None).await
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct BuildForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    replace: String,
}

/// `POST /plans/build`: builds the chosen plan from the policy (or rebuilds it with `replace`).
pub async fn build(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<BuildForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        let c = choose(
            &state,
            &page,
            &PlansParams {
                user_id: f.user_id.clone(),
                period: f.period.clone(),
                start: f.start.clone(),
                ..Default::default()
            },
        )
        .await?;
        match plans::build(
            state.store.as_ref(),
            &c.user,
            c.period,
            c.start,
            !f.replace.is_empty(),
        )
        .await
        {
            // Built meanwhile (a second click): show it.
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(super::see_other(&format!(
            "{}&built=1",
            plans_url(c.user.id, c.period, c.start)
        )))
    };
    respond(run.await, &page)
}

/// Reads one entry's fields of the plan form; errors go next to the field.
fn read_entry(
    form: &Map<String, Value>,
    id: i64,
    errs: &mut Map<String, Value>,
) -> Option<EntryEdit> {
    let text = |name: &str| {
        form.get(&format!("{name}_{id}"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let mut whole = |name: &str| -> Option<u32> {
        let field = format!("{name}_{id}");
        let t = text(name)?;
        match t.trim() {
            "" => Some(0),
            s => match s.parse::<u32>() {
                Ok(n) if n <= patron_core::contact::plan::MAX_PER_ENTRY => Some(n),
                Ok(_) => {
                    add_error(errs, &field, "out_of_range");
                    None
                }
                Err(_) => {
                    add_error(errs, &field, "invalid");
                    None
                }
            },
        }
    };
    let visits = whole("visits");
    let calls = whole("calls");
    let days = match text("days") {
        None => None,
        Some(t) => {
            let mut v = Vec::new();
            for part in t.split([',', ' ', ';']).filter(|s| !s.trim().is_empty()) {
                match NaiveDate::parse_from_str(part.trim(), "%Y-%m-%d") {
                    Ok(d) if crate::api::date_in_range(d) => v.push(d),
                    _ => {
                        add_error(errs, &format!("days_{id}"), "invalid");
                        break;
                    }
                }
            }
            Some(v)
        }
    };
    Some(EntryEdit {
        customer_id: CustomerId(id),
        visits: visits?,
        calls: calls?,
        days,
    })
}

/// The message key of an error the plan form shows: the store's own codes for days get their
/// own wording, the others the shared ones.
fn plan_error_key(code: &str) -> String {
    match code {
        "outside_period" => "plans-error-outside-period".into(),
        "more_days_than_visits" => "plans-error-more-days".into(),
        other => format!("error-{}", super::forms::code_key(other)),
    }
}

/// `POST /plans/{id}`: saves the planned numbers and days typed into the table.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let form: Map<String, Value> = fields
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let csrf = form.get("csrf").and_then(|v| v.as_str()).unwrap_or("");
        let caller = page.check_csrf(csrf)?;
        let id = path_id(&id)?;
        let plan = state.store.get_visit_plan(id).await?;
        if !may_plan_for(&state, caller, plan.summary.user_id).await? {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        let mut edits = Vec::new();
        for e in &plan.entries {
            if let Some(edit) = read_entry(&form, e.customer_id.0, &mut errs) {
                edits.push(edit);
            }
        }
        // Raw codes first; turned into message keys below.
        let mut errors = Map::new();
        for (k, v) in &errs {
            errors.insert(
                k.clone(),
                Value::String(plan_error_key(v.as_str().unwrap_or("invalid"))),
            );
        }
        if errors.is_empty() {
            match plans::edit(state.store.as_ref(), id, &edits).await {
                Ok(p) => {
                    let s = p.summary;
                    return Ok(super::see_other(&format!(
                        "{}&saved=1",
                        plans_url(s.user_id, s.period, s.starts_on)
                    )));
                }
                Err(StoreError::Invalid(v)) => {
                    for f in &v.0 {
                        // `entries[i].days` → the form's `days_{customer}`.
                        let field = f
                            .field
                            .strip_prefix("entries[")
                            .and_then(|r| r.split_once("]."))
                            .and_then(|(i, name)| {
                                let i: usize = i.parse().ok()?;
                                Some(format!("{name}_{}", edits.get(i)?.customer_id.0))
                            })
                            .unwrap_or_else(|| f.field.clone());
                        errors
                            .entry(field)
                            .or_insert_with(|| Value::String(plan_error_key(&f.code)));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let s = &plan.summary;
        let user = state.store.get_user(s.user_id).await?;
        render_plans(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            Choice {
                user,
                period: s.period,
                start: s.starts_on,
            },
            None,
            Some(Refused {
                values: form,
                errors,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct RouteParams {
    #[serde(default)]
    date: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    saved: String,
}

/// The start form as typed, with its messages.
#[derive(Default)]
struct StartForm {
    latitude: String,
    longitude: String,
    errors: Map<String, Value>,
}

async fn render_route(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    p: &RouteParams,
    start_form: Option<StartForm>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let user_id = match blank(&p.user_id) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| UiError::NotFound)?),
    };
    let user = planned_user(state, caller, user_id).await?;
    let mut errs = Map::new();
    let date = optional_date(&p.date, "date", &mut errs);
    let status = if errs.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let r: DayRoute = plans::day_route(state.store.as_ref(), &user, date, None).await?;
    let stops: Vec<Value> = r
        .route
        .stops
        .iter()
        .map(|s| {
            json!({
                "position": s.position, "id": s.customer_id.0, "name": s.customer_name,
                "leg": tr(lang, "plans-route-km", &[("km", km(s.leg_km))]),
                "cumulative": tr(lang, "plans-route-km", &[("km", km(s.cumulative_km))]),
                "latitude": s.latitude, "longitude": s.longitude,
            })
        })
        .collect();
    let unrouted = |v: &[patron_core::contact::Unrouted]| {
        v.iter()
            .map(|u| json!({"id": u.customer_id.0, "name": u.customer_name}))
            .collect::<Vec<_>>()
    };
    let own = user.id == caller.id();
    let start = if own {
        plans::route_start(state.store.as_ref(), user.id).await?
    } else {
        None
    };
    let form = start_form.unwrap_or_else(|| StartForm {
        latitude: start.map(|p| p.latitude.to_string()).unwrap_or_default(),
        longitude: start.map(|p| p.longitude.to_string()).unwrap_or_default(),
        errors: Map::new(),
    });
    Ok(page.render_status(
        status,
        "plans_route.html",
        json!({
            "heading": format!("{} · {}", page.t("plans-route-title"), i18n::date(lang, r.date)),
            "user_name": user.name,
            "users": choosable(state, page).await?,
            "user_id": user.id.0,
            "date": r.date.to_string(),
            "date_typed": p.date.chars().take(40).collect::<String>(),
            "date_error": errs.get("date"),
            "stops": stops,
            "total": tr(lang, "plans-route-total", &[
                ("km", km(r.route.total_km)),
                ("stops", r.route.stops.len().to_string()),
            ]),
            "from_start": r.route.start.is_some(),
            "not_located": unrouted(&r.route.not_located),
            "left_out": unrouted(&r.route.left_out),
            "own": own,
            "start_form": {"latitude": form.latitude, "longitude": form.longitude, "errors": form.errors},
            "notice": (!p.saved.is_empty()).then(|| page.t("plans-route-start-saved")),
            "plans_url": format!("/plans?user_id={}", user.id.0),
        }),
    ))
}

/// `GET /route`.
pub async fn route(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<RouteParams>,
) -> Response {
    let run = render_route(&state, &page, StatusCode::OK, &p, None);
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct PointForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    latitude: String,
    #[serde(default)]
    longitude: String,
}

/// Reads a latitude and longitude typed into a form: both empty is `Ok(None)` (clear); the
/// messages name the field.
fn read_point(f: &PointForm, errs: &mut Map<String, Value>) -> Option<Option<(f64, f64)>> {
    let (lat, lon) = (blank(&f.latitude), blank(&f.longitude));
    if lat.is_none() && lon.is_none() {
        return Some(None);
    }
    let mut number = |v: Option<String>, field: &str, limit: f64| -> Option<f64> {
        let Some(t) = v else {
            add_error(errs, field, "required");
            return None;
        };
        match t.replace(',', ".").parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
            Ok(_) => {
                add_error(errs, field, "out_of_range");
                None
            }
            Err(_) => {
                add_error(errs, field, "invalid");
                None
            }
        }
    };
    let lat = number(lat, "latitude", 90.0);
    let lon = number(lon, "longitude", 180.0);
    Some(Some((lat?, lon?)))
}

/// `POST /route/start`: where the signed-in user's routes start.
pub async fn set_start(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<PointForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let mut errs = Map::new();
        if let Some(at) = read_point(&f, &mut errs) {
            match plans::set_route_start(state.store.as_ref(), caller.id(), at).await {
                Ok(_) => return Ok(super::see_other("/route?saved=1")),
                Err(StoreError::Invalid(v)) => {
                    for e in &v.0 {
                        add_error(&mut errs, &e.field, &e.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        render_route(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &RouteParams::default(),
            Some(StartForm {
                latitude: f.latitude.chars().take(40).collect(),
                longitude: f.longitude.chars().take(40).collect(),
                errors: errs,
            }),
        )
        .await
    };
    respond(run.await, &page)
}

async fn render_location(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    id: CustomerId,
    typed: Option<(&PointForm, Map<String, Value>)>,
) -> Result<Response, UiError> {
    let name = super::forms::customer_in_reach(state, page, id).await?;
    let current = state.store.customer_location(id).await?;
    let (latitude, longitude, errors) = match typed {
        Some((f, errs)) => (
            f.latitude.chars().take(40).collect(),
            f.longitude.chars().take(40).collect(),
            errs,
        ),
        None => (
            current
                .as_ref()
                .map(|l| l.latitude.to_string())
                .unwrap_or_default(),
            current
                .as_ref()
                .map(|l| l.longitude.to_string())
                .unwrap_or_default(),
            Map::new(),
        ),
    };
    Ok(page.render_status(
        status,
        "plans_location.html",
        json!({
            "customer": {"id": id.0, "name": name},
            "heading": tr(page.lang, "plans-location-title", &[("name", name.clone())]),
            "located": current.is_some(),
            "latitude": latitude,
            "longitude": longitude,
            "errors": errors,
        }),
    ))
}

/// `GET /customers/{id}/location`.
pub async fn location_form(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let id = CustomerId(path_id(&id)?);
        render_location(&state, &page, StatusCode::OK, id, None).await
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/location`: saves (or, both fields empty, removes) the coordinates.
pub async fn save_location(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<PointForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = CustomerId(path_id(&id)?);
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        if let Some(at) = read_point(&f, &mut errs) {
            let point = match at {
                Some((lat, lon)) => match plans::check_point(lat, lon) {
                    Ok(p) => Some(p),
                    Err(StoreError::Invalid(v)) => {
                        for e in &v.0 {
                            add_error(&mut errs, &e.field, &e.code);
                        }
                        None
                    }
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            if errs.is_empty() {
                state
                    .store
                    .set_customer_location(Some(caller.id()), id, point)
                    .await?;
                return Ok(super::see_other(&format!("/customers/{id}")));
            }
        }
        render_location(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            id,
            Some((&f, errs)),
        )
        .await
    };
    respond(run.await, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_with_the_field_named() {
        let form = |lat: &str, lon: &str| PointForm {
            csrf: String::new(),
            latitude: lat.into(),
            longitude: lon.into(),
        };
        let mut errs = Map::new();
        assert_eq!(read_point(&form("", " "), &mut errs), Some(None));
        assert_eq!(
            read_point(&form("37,5", "127"), &mut errs),
            Some(Some((37.5, 127.0)))
        );
        assert!(errs.is_empty());
        assert_eq!(read_point(&form("91", "0"), &mut errs), None);
        assert_eq!(errs["latitude"], "out_of_range");
        let mut errs = Map::new();
        assert_eq!(read_point(&form("1", ""), &mut errs), None);
        assert_eq!(errs["longitude"], "required");
        assert_eq!(
            plan_error_key("outside_period"),
            "plans-error-outside-period"
        );
        assert_eq!(plan_error_key("whatever"), "error-invalid");
        assert_eq!(km(12.345), "12.3");
        assert_eq!(percent(Some(0.756)), Some("76%".into()));
    }
}
