//! Satisfaction in the UI (METHOD §2.3): the "Satisfaction" part of the customer page — the
//! latest product and service scores with their day and who recorded them, the customer's
//! quadrant of the loyalty matrix — and its form, `POST /customers/{id}/satisfaction` (anyone
//! who may edit the customer; recorded as the signed-in user's). A refused form shows the
//! customer page again with the messages next to the fields, like the page's other forms.

use super::customer::{render_refused, Refused};
use super::forms::{add_error, blank, field_errors_as, path_id, respond};
use super::i18n::{self, Lang};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use fluent_bundle::FluentValue;
use patron_core::classify::matrix::{MAX_SCORE, MIN_SCORE};
use patron_core::classify::{Aspect, Quadrant};
use patron_core::CustomerId;
use patron_store::satisfaction::Rating;
use patron_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A quadrant's name in the reader's language.
pub(crate) fn quadrant_label(lang: Lang, q: Quadrant) -> String {
    i18n::tr(lang, &format!("quadrant-{}", q.as_str()), &[])
}

fn rating_view(lang: Lang, r: &Rating) -> Value {
    let score = FluentValue::from(i64::from(r.score));
    let date = FluentValue::from(i18n::date(lang, r.rated_on));
    let text = match (r.user_id, &r.user_name) {
        (Some(_), Some(who)) => i18n::tr(
            lang,
            "satisfaction-rated-by",
            &[
                ("score", score),
                ("date", date),
                ("who", FluentValue::from(who.clone())),
            ],
        ),
        _ => i18n::tr(
            lang,
            "satisfaction-rated",
            &[("score", score), ("date", date)],
        ),
    };
    json!({"score": r.score, "text": text, "note": r.note,
           "level": r.level.as_str(),
           "level_label": i18n::tr(lang, &format!("survey-level-{}", r.level.as_str()), &[]),
           "from_survey": r.response_id.is_some()})
}

/// The part's data for the customer page. A refused satisfaction form is taken out of
/// `refused` and shown in its form; any other is left for the page.
pub(crate) async fn section(
    state: &AppState,
    page: &Page,
    id: CustomerId,
    refused: &mut Option<Refused>,
) -> Result<Value, UiError> {
    let lang = page.lang;
    let form = match refused.take_if(|r| r.form == "satisfaction") {
        Some(r) => json!({"v": r.values, "errors": r.errors}),
        None => json!({"v": SatisfactionForm::default(), "errors": {}}),
    };
    let s = state.store.customer_satisfaction(id).await?;
    Ok(json!({
        "product": s.product.as_ref().map(|r| rating_view(lang, r)),
        "service": s.service.as_ref().map(|r| rating_view(lang, r)),
        "quadrant": s.quadrant.as_str(),
        "quadrant_label": quadrant_label(lang, s.quadrant),
        "aspects": Aspect::ALL.iter().map(|a| json!({
            "value": a.as_str(),
            "label": i18n::tr(lang, &format!("satisfaction-{}", a.as_str()), &[]),
        })).collect::<Vec<_>>(),
        "scores": (MIN_SCORE..=MAX_SCORE).rev().map(|n| n.to_string()).collect::<Vec<_>>(),
        "form": form,
    }))
}

/// The satisfaction form, as typed.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SatisfactionForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    aspect: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    note: String,
}

/// `POST /customers/{id}/satisfaction`: records a rating as the signed-in user's.
pub async fn record(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Form(f): Form<SatisfactionForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let id = CustomerId(path_id(&id)?);
        if !state.store.customer_in_scope(id, caller.scope).await? {
            return Err(UiError::NotFound);
        }
        let mut errs = Map::new();
        let aspect = Aspect::parse(&f.aspect);
        if aspect.is_none() {
            add_error(&mut errs, "aspect", "invalid");
        }
        let score = match blank(&f.score).map(|s| s.parse::<u8>()) {
            None => {
                add_error(&mut errs, "score", "required");
                None
            }
            Some(Ok(n)) if (MIN_SCORE..=MAX_SCORE).contains(&n) => Some(n),
            Some(_) => {
                add_error(&mut errs, "score", "out_of_range");
                None
            }
        };
        if let (Some(aspect), Some(score), true) = (aspect, score, errs.is_empty()) {
            match state
                .store
                .record_satisfaction(Some(caller.id()), id, aspect, score, blank(&f.note), None)
                .await
            {
                Ok(_) => return Ok(super::see_other(&format!("/customers/{id}#satisfaction"))),
                Err(StoreError::Invalid(e)) => errs = field_errors_as(&e, str::to_owned),
                Err(e) => return Err(e.into()),
            }
        }
        render_refused(
            &state,
            &page,
            id,
            Refused {
                form: "satisfaction",
                values: json!(f),
                errors: errs,
            },
        )
        .await
    };
    respond(run.await, &page)
}

/// The dashboard's 2×2 loyalty matrix (rows: product satisfied, dissatisfied; columns: service
/// satisfied, dissatisfied) and the customers not yet placed.
pub(crate) fn matrix_view(lang: Lang, counts: &[(Quadrant, i64)]) -> Value {
    let n = |q: Quadrant| {
        counts
            .iter()
            .find(|(k, _)| *k == q)
            .map(|(_, c)| *c)
            .unwrap_or(0)
    };
    let cell = |q: Quadrant| {
        json!({"quadrant": q.as_str(), "label": quadrant_label(lang, q),
               "customers": i18n::number(n(q))})
    };
    json!({
        "rows": [
            {"label": i18n::tr(lang, "matrix-product-satisfied", &[]),
             "cells": [cell(Quadrant::Loyal), cell(Quadrant::EasilyTaken)]},
            {"label": i18n::tr(lang, "matrix-product-dissatisfied", &[]),
             "cells": [cell(Quadrant::StillHopeful), cell(Quadrant::Destructive)]},
        ],
        "unknown": i18n::tr(lang, "matrix-unknown",
            &[("count", FluentValue::from(i18n::number(n(Quadrant::Unknown))))]),
    })
}
