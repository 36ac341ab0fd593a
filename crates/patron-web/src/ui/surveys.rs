//! Surveys in the UI (METHOD §5):
//! - `/surveys`: the questionnaires, and a new one (business managers and above), prefilled
//!   with the method's own (product, service, delivery, price) in the four languages;
//! - `/surveys/{id}`: its answers summed per aspect (mean expectation and perception,
//!   dissatisfied / basically / very satisfied), praise and by-name shares, the latest answers
//!   of customers the user may see, and the definition form;
//! - on the customer page, the customer's answers and public links (`section`), with
//!   `/customers/{id}/surveys/{survey}` to record answers from a call and
//!   `POST /customers/{id}/public-links` to make a link (its address shown once).

use super::forms::{add_error_key, path_id, respond};
use super::i18n::{self, Lang};
use super::survey_form;
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use patron_core::survey::{AspectDef, SurveyDef, Texts, LANGUAGES, MAX_ASPECTS};
use patron_core::{CustomerId, Permissions};
use patron_store::surveys::{
    LinkInput, LinkPurpose, PublicLink, Response as Answer, ResponseInput, Survey,
    DEFAULT_LINK_DAYS,
};
use patron_store::StoreError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Blank aspect rows the definition form offers beyond the ones already there.
const SPARE_ROWS: usize = 3;

fn pct(yes: i64, all: i64) -> String {
    if all == 0 {
        "—".to_owned()
    } else {
        format!("{:.0}%", yes as f64 * 100.0 / all as f64)
    }
}

fn level_label(lang: Lang, level: &str) -> String {
    i18n::tr(lang, &format!("survey-level-{level}"), &[])
}

/// One answer for a table row.
fn answer_view(lang: Lang, def: Option<&SurveyDef>, r: &Answer) -> Value {
    let label = |code: &str| {
        def.and_then(|d| d.aspects.iter().find(|a| a.code == code))
            .map_or_else(|| code.to_owned(), |a| a.label.get(lang.tag()).to_owned())
    };
    let yn = |b: Option<bool>| match b {
        Some(true) => i18n::tr(lang, "survey-yes", &[]),
        Some(false) => i18n::tr(lang, "survey-no", &[]),
        None => "—".to_owned(),
    };
    json!({
        "id": r.id,
        "customer_id": r.customer_id.0,
        "customer": r.customer_name,
        "when": i18n::datetime(lang, r.answered_at),
        "channel": i18n::tr(lang, &format!("survey-channel-{}", r.channel.as_str()), &[]),
        "by": r.user_name,
        "language": r.language,
        "aspects": r.aspects.iter().map(|a| json!({
            "label": label(&a.aspect),
            "expected": a.expected,
            "perceived": a.perceived,
            "level": a.level.as_str(),
            "level_label": level_label(lang, a.level.as_str()),
        })).collect::<Vec<_>>(),
        "would_praise": yn(r.would_praise),
        "asked_by_name": yn(r.asked_by_name),
        "comment": r.comment,
    })
}

/// The definition form's fields from a questionnaire.
fn def_fields(def: &SurveyDef) -> HashMap<String, String> {
    let mut f = HashMap::new();
    let put = |f: &mut HashMap<String, String>, prefix: &str, t: &Texts| {
        for l in LANGUAGES {
            f.insert(format!("{prefix}_{l}"), t.get_exact(l).to_owned());
        }
    };
    put(&mut f, "title", &def.title);
    put(&mut f, "intro", &def.intro);
    for (i, a) in def.aspects.iter().enumerate() {
        f.insert(format!("code_{i}"), a.code.clone());
        put(&mut f, &format!("label_{i}"), &a.label);
    }
    if def.active {
        f.insert("active".into(), "on".into());
    }
    f
}

/// A questionnaire from the definition form; rows without a code are dropped.
fn def_of(f: &HashMap<String, String>) -> SurveyDef {
    let texts = |prefix: &str| {
        let g = |l: &str| f.get(&format!("{prefix}_{l}")).cloned().unwrap_or_default();
        Texts {
            en: g("en"),
            zh_cn: g("zh-CN"),
            zh_tw: g("zh-TW"),
            ko: g("ko"),
        }
    };
    let mut aspects = Vec::new();
    for i in 0..MAX_ASPECTS + SPARE_ROWS {
        let code = f.get(&format!("code_{i}")).map(|c| c.trim()).unwrap_or("");
        if !code.is_empty() {
            aspects.push(AspectDef {
                code: code.to_owned(),
                label: texts(&format!("label_{i}")),
            });
        }
    }
    SurveyDef {
        title: texts("title"),
        intro: texts("intro"),
        aspects,
        active: f.get("active").is_some_and(|v| v == "on"),
    }
}

/// The definition form's context: rows of aspect inputs (the typed ones plus spares).
fn def_form(f: &HashMap<String, String>, errs: &Map<String, Value>) -> Value {
    let typed_rows = (0..MAX_ASPECTS + SPARE_ROWS)
        .filter(|i| f.contains_key(&format!("code_{i}")))
        .max()
        .map_or(0, |m| m + 1);
    let rows = (typed_rows + SPARE_ROWS).min(MAX_ASPECTS + SPARE_ROWS);
    json!({
        "v": f,
        "rows": (0..rows).collect::<Vec<_>>(),
        "langs": LANGUAGES,
        "active": f.get("active").is_some_and(|v| v == "on"),
        "errors": errs,
    })
}

/// Maps the domain's field names (`aspects[1].label.en`, `title.zh-CN`) to the form's.
fn form_field(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("aspects[") {
        if let Some((i, tail)) = rest.split_once("].") {
            return match tail {
                "code" => format!("code_{i}"),
                t => format!("label_{i}_{}", t.trim_start_matches("label.")),
            };
        }
        return "aspects".into();
    }
    field.replacen('.', "_", 1)
}

fn list_rows(lang: Lang, surveys: &[Survey]) -> Vec<Value> {
    surveys
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "title": s.def.title.get(lang.tag()),
                "aspects": s.def.aspects.iter().map(|a| a.label.get(lang.tag())).collect::<Vec<_>>().join(" · "),
                "responses": i18n::number(s.responses),
                "active": s.def.active,
            })
        })
        .collect()
}

async fn render_list(
    state: &AppState,
    page: &Page,
    typed: Option<(HashMap<String, String>, Map<String, Value>)>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let surveys = state.store.list_surveys().await?;
    let status = match &typed {
        Some((_, e)) if !e.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let (f, errs) = typed.unwrap_or_else(|| (def_fields(&SurveyDef::method_default()), Map::new()));
    Ok(page.render_status(
        status,
        "surveys.html",
        json!({
            "surveys": list_rows(page.lang, &surveys),
            "can_design": caller.user.can_change_archive(),
            "form": def_form(&f, &errs),
        }),
    ))
}

/// `GET /surveys`.
pub async fn list(State(state): State<AppState>, page: Page) -> Response {
    respond(render_list(&state, &page, None).await, &page)
}

/// Runs the definition form through the store; a refusal comes back as field errors.
async fn save_def(
    state: &AppState,
    page: &Page,
    id: Option<i64>,
    f: &HashMap<String, String>,
) -> Result<Result<Survey, Map<String, Value>>, UiError> {
    let caller = page.check_csrf(f.get("csrf").map_or("", String::as_str))?;
    if !caller.user.can_change_archive() {
        return Err(UiError::Forbidden);
    }
    let def = def_of(f);
    let saved = match id {
        None => state.store.create_survey(Some(caller.id()), &def).await,
        Some(id) => state.store.update_survey(id, &def).await,
    };
    match saved {
        Ok(s) => Ok(Ok(s)),
        Err(StoreError::Invalid(e)) => {
            let mut errs = Map::new();
            for x in &e.0 {
                add_error_key(&mut errs, &form_field(&x.field), &x.code);
            }
            Ok(Err(errs))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /surveys`: a new questionnaire.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let f = survey_form::fields(pairs);
        match save_def(&state, &page, None, &f).await? {
            Ok(s) => Ok(super::see_other(&format!("/surveys/{}", s.id))),
            Err(errs) => render_list(&state, &page, Some((f, errs))).await,
        }
    };
    respond(run.await, &page)
}

async fn render_one(
    state: &AppState,
    page: &Page,
    id: i64,
    typed: Option<(HashMap<String, String>, Map<String, Value>)>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let survey = state.store.get_survey(id).await?;
    let summary = state.store.survey_summary(id).await?;
    let answers = state.store.survey_responses(id, caller.scope, 50).await?;
    let mean = |m: Option<f64>| m.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"));
    let status = match &typed {
        Some((_, e)) if !e.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let (f, errs) = typed.unwrap_or_else(|| (def_fields(&survey.def), Map::new()));
    Ok(page.render_status(
        status,
        "survey.html",
        json!({
            "s": {
                "id": survey.id,
                "title": survey.def.title.get(lang.tag()),
                "intro": survey.def.intro.get(lang.tag()),
                "active": survey.def.active,
                "responses": i18n::number(summary.responses),
            },
            "aspects": summary.aspects.iter().map(|a| json!({
                "code": a.aspect,
                "label": survey.def.aspects.iter().find(|d| d.code == a.aspect)
                    .map_or_else(|| a.aspect.clone(), |d| d.label.get(lang.tag()).to_owned()),
                "answers": i18n::number(a.answers),
                "expected": mean(a.mean_expected),
                "perceived": mean(a.mean_perceived),
                "dissatisfied": i18n::number(a.dissatisfied),
                "basic": i18n::number(a.basically_satisfied),
                "very": i18n::number(a.very_satisfied),
            })).collect::<Vec<_>>(),
            "praise": i18n::tr(lang, "survey-praise", &[
                ("share", pct(summary.praise_yes, summary.praise_answers).into()),
                ("yes", summary.praise_yes.into()),
                ("all", summary.praise_answers.into()),
            ]),
            "named": i18n::tr(lang, "survey-named", &[
                ("share", pct(summary.named_yes, summary.named_answers).into()),
                ("yes", summary.named_yes.into()),
                ("all", summary.named_answers.into()),
            ]),
            "answers": answers.iter().map(|r| answer_view(lang, Some(&survey.def), r)).collect::<Vec<_>>(),
            "can_design": caller.user.can_change_archive(),
            "form": def_form(&f, &errs),
        }),
    ))
}

/// `GET /surveys/{id}`.
pub async fn one(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let run = async { render_one(&state, &page, path_id(&id)?, None).await };
    respond(run.await, &page)
}

/// `POST /surveys/{id}`: saves the definition.
pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let id = path_id(&id)?;
        let f = survey_form::fields(pairs);
        match save_def(&state, &page, Some(id), &f).await? {
            Ok(_) => Ok(super::see_other(&format!("/surveys/{id}"))),
            Err(errs) => render_one(&state, &page, id, Some((f, errs))).await,
        }
    };
    respond(run.await, &page)
}

fn link_status(now: chrono::DateTime<chrono::Utc>, l: &PublicLink) -> &'static str {
    if l.revoked_at.is_some() {
        "revoked"
    } else if l.used_at.is_some() {
        "used"
    } else if now >= l.expires_at {
        "expired"
    } else {
        "open"
    }
}

/// The customer page's surveys part: latest answers, the active questionnaires to answer from
/// a call or send as a link, and the customer's links.
pub(crate) async fn section(
    state: &AppState,
    page: &Page,
    id: CustomerId,
) -> Result<Value, UiError> {
    let lang = page.lang;
    let now = state.config.clock.now();
    let surveys = state.store.list_surveys().await?;
    let answers = state.store.customer_survey_responses(id, 5).await?;
    let links = state.store.public_links(id).await?;
    let def_of = |sid: i64| surveys.iter().find(|s| s.id == sid).map(|s| &s.def);
    Ok(json!({
        "answers": answers.iter().map(|r| answer_view(lang, def_of(r.survey_id), r)).collect::<Vec<_>>(),
        "surveys": surveys.iter().filter(|s| s.def.active).map(|s| json!({
            "id": s.id, "title": s.def.title.get(lang.tag()),
        })).collect::<Vec<_>>(),
        "links": links.iter().take(10).map(|l| {
            let status = link_status(now, l);
            json!({
                "id": l.id,
                "purpose": i18n::tr(lang, &format!("survey-purpose-{}", l.purpose.as_str()), &[]),
                "language": l.language,
                "created": i18n::datetime(lang, l.created_at),
                "by": l.created_by,
                "expires": i18n::datetime(lang, l.expires_at),
                "status": status,
                "status_label": i18n::tr(lang, &format!("survey-link-{status}"), &[]),
                "complaint_id": l.complaint_id,
            })
        }).collect::<Vec<_>>(),
        "default_days": DEFAULT_LINK_DAYS,
        "langs": Lang::ALL.iter().map(|l| json!({"tag": l.tag(), "name": l.native_name()})).collect::<Vec<_>>(),
        "lang": lang.tag(),
    }))
}

/// The customer's path parts `{id}` and `{survey}` / `{link}`.
async fn customer_and(
    state: &AppState,
    page: &Page,
    id: &str,
    other: &str,
) -> Result<(CustomerId, String, i64), UiError> {
    let id = CustomerId(path_id(id)?);
    let name = super::forms::customer_in_reach(state, page, id).await?;
    Ok((id, name, path_id(other)?))
}

async fn render_answer(
    state: &AppState,
    page: &Page,
    (id, name, sid): (CustomerId, String, i64),
    typed: HashMap<String, String>,
    errs: Map<String, Value>,
) -> Result<Response, UiError> {
    let survey = state.store.get_survey(sid).await?;
    if !survey.def.active {
        return Err(UiError::NotFound);
    }
    let asked_in = typed
        .get("language")
        .filter(|l| LANGUAGES.contains(&l.as_str()))
        .cloned()
        .unwrap_or_else(|| page.lang.tag().to_owned());
    let status = if errs.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page.render_status(
        status,
        "survey_answer.html",
        json!({
            "c": {"id": id.0, "name": name},
            "survey_id": sid,
            "q": survey_form::questions(&survey.def, &asked_in, &typed, &errs),
            "asked_in": asked_in,
            "langs": Lang::ALL.iter().map(|l| json!({"tag": l.tag(), "name": l.native_name()})).collect::<Vec<_>>(),
        }),
    ))
}

/// `GET /customers/{id}/surveys/{survey}`: the questions, to fill in on a call.
pub async fn answer_form(
    State(state): State<AppState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        let who = customer_and(&state, &page, &id, &sid).await?;
        let typed: HashMap<String, String> =
            q.into_iter().filter(|(k, _)| k == "language").collect();
        render_answer(&state, &page, who, typed, Map::new()).await
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/surveys/{survey}`: records the answers as the user's.
pub async fn record_answer(
    State(state): State<AppState>,
    page: Page,
    Path((id, sid)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let f = survey_form::fields(pairs);
        let caller = page.check_csrf(f.get("csrf").map_or("", String::as_str))?;
        let who = customer_and(&state, &page, &id, &sid).await?;
        let survey = state.store.get_survey(who.2).await?;
        let (answers, mut errs) = survey_form::read(&survey.def, &f);
        if errs.is_empty() {
            let input = ResponseInput::new(who.2, f.get("language").cloned(), answers);
            let now = state.config.clock.now();
            match state
                .store
                .record_survey_response(Some(caller.id()), who.0, &input, now)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{}#surveys", who.0))),
                Err(StoreError::Invalid(e)) => {
                    for x in &e.0 {
                        add_error_key(&mut errs, "form", &x.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        render_answer(&state, &page, who, f, errs).await
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/public-links`: makes a link and shows its address once.
pub async fn create_link(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let f = survey_form::fields(pairs);
        let caller = page.check_csrf(f.get("csrf").map_or("", String::as_str))?;
        let id = CustomerId(path_id(&id)?);
        let name = super::forms::customer_in_reach(&state, &page, id).await?;
        let purpose = match f.get("purpose").map(String::as_str) {
            Some("complaint") => LinkPurpose::Complaint,
            _ => LinkPurpose::Survey,
        };
        let input = LinkInput {
            purpose,
            survey_id: match purpose {
                LinkPurpose::Survey => f.get("survey_id").and_then(|s| s.trim().parse().ok()),
                LinkPurpose::Complaint => None,
            },
            language: f.get("language").cloned(),
            days: f.get("days").and_then(|d| d.trim().parse().ok()),
        };
        let now = state.config.clock.now();
        let made = match state
            .store
            .create_public_link(Some(caller.id()), id, &input, now)
            .await
        {
            Ok(m) => m,
            Err(StoreError::Invalid(e)) => {
                let field = e.first().map_or("form", |x| x.field.as_str());
                let text = i18n::tr(page.lang, &format!("survey-link-error-{field}"), &[]);
                return Ok(page.render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "link_made.html",
                    json!({"c": {"id": id.0, "name": name}, "error": text}),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let url = format!(
            "{}/p/{}",
            crate::api::surveys::origin(&state, &headers),
            made.secret
        );
        Ok(page.render(
            "link_made.html",
            json!({
                "c": {"id": id.0, "name": name},
                "url": url,
                "until": i18n::datetime(page.lang, made.link.expires_at),
                "purpose": i18n::tr(page.lang, &format!("survey-purpose-{}", made.link.purpose.as_str()), &[]),
            }),
        ))
    };
    respond(run.await, &page)
}

/// `POST /customers/{id}/public-links/{link}/revoke`.
pub async fn revoke_link(
    State(state): State<AppState>,
    page: Page,
    Path((id, link)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let run = async {
        let f = survey_form::fields(pairs);
        page.check_csrf(f.get("csrf").map_or("", String::as_str))?;
        let (id, _, link) = customer_and(&state, &page, &id, &link).await?;
        let now = state.config.clock.now();
        state.store.revoke_public_link(id, link, now).await?;
        Ok(super::see_other(&format!("/customers/{}#surveys", id.0)))
    };
    respond(run.await, &page)
}
