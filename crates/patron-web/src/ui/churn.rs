//! `/churn`: why customers were lost (METHOD §2.5) — each reason's share of the lost customers
//! next to the method's reference survey (70 / 13 / 15 / 2), as bars; the reason list, which
//! those who set rules may extend or reword; and the way to the churn-risk list.

use super::forms::{add_error, respond};
use super::i18n;
use super::{Page, UiError};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::Permissions;
use patron_store::churn::ChurnReasonInput;
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The reason form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ReasonForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    reference_percent: String,
}

/// A default reason in the reader's language; one a shop added, as typed.
fn label(lang: i18n::Lang, code: &str, stored: &str) -> String {
    let key = format!("churn-reason-{code}");
    let s = i18n::tr(lang, &key, &[]);
    if s == key {
        stored.to_owned()
    } else {
        s
    }
}

async fn render(
    state: &AppState,
    page: &Page,
    form: Option<(ReasonForm, Map<String, Value>)>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let lang = page.lang;
    let r = state.store.churn_report(caller.scope).await?;
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |f| format!("{:.1}%", f * 100.0));
    let status = match &form {
        Some((_, e)) if !e.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let (f, errors) = form.unwrap_or_default();
    Ok(page.render_status(
        status,
        "churn.html",
        json!({
            "lost": i18n::number(r.lost),
            "reasons": r.reasons.iter().map(|x| json!({
                "code": x.code,
                "label": label(lang, &x.code, &x.label),
                "count": i18n::number(x.count),
                "share": pct(x.share),
                "share_w": format!("{:.1}", x.share.unwrap_or(0.0) * 100.0),
                "reference": x.reference_percent.map(|p| format!("{p}%")),
                "reference_w": x.reference_percent.unwrap_or(0),
            })).collect::<Vec<_>>(),
            "can_edit": caller.user.can_set_class_rules(),
            "f": f,
            "errors": errors,
        }),
    ))
}

/// `GET /churn`.
pub async fn page(State(state): State<AppState>, page: Page) -> Response {
    let run = async { render(&state, &page, None).await };
    respond(run.await, &page)
}

/// `POST /churn/reasons`: adds a reason or rewords one.
pub async fn save_reason(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<ReasonForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        if !caller.user.can_set_class_rules() {
            return Err(UiError::Forbidden);
        }
        let mut errs = Map::new();
        let reference_percent = match f.reference_percent.trim() {
            "" => None,
            t => match t.trim_end_matches('%').trim().parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    add_error(&mut errs, "reference_percent", "invalid");
                    None
                }
            },
        };
        if errs.is_empty() {
            let input = ChurnReasonInput {
                label: f.label.clone(),
                reference_percent,
            };
            match state.store.save_churn_reason(&f.code, input).await {
                Ok(()) => return Ok(super::see_other("/churn")),
                Err(StoreError::Invalid(e)) => {
                    for x in &e.0 {
                        add_error(&mut errs, &x.field, &x.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        render(&state, &page, Some((f, errs))).await
    };
    respond(run.await, &page)
}
