//! `GET /duplicates` and `POST /duplicates/merge`: likely duplicate customers side by side, merged
//! with one click (METHOD §1: the archive is checked for duplicates). Merging is an archive-wide
//! change ([`Permissions::can_change_archive`]: not sales representatives), and only pairs whose
//! two customers are both in the user's scope are shown or merged.

use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Form;
use patron_core::{Customer, CustomerId, Permissions, UserId};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Pairs shown.
const SHOW: usize = 50;

fn merger(page: &Page) -> Result<&crate::auth::Caller, UiError> {
    let c = page.user()?;
    if c.user.can_change_archive() {
        Ok(c)
    } else {
        Err(UiError::Forbidden)
    }
}

pub async fn list(State(state): State<AppState>, page: Page) -> Response {
    let run = async {
        let caller = merger(&page)?;
        let names: HashMap<UserId, String> = state
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let card = |c: &Customer| {
            json!({
                "id": c.id.0, "name": c.name, "kind": c.kind.as_str(), "stage": c.stage.as_str(),
                "company": c.company, "phone": c.phone, "email": c.email, "address": c.address,
                "owner": c.owner_id.and_then(|o| names.get(&o)),
                "created": i18n::date(page.lang, c.created_at.date_naive()),
            })
        };
        let mut pairs: Vec<Value> = Vec::new();
        // The store only pairs customers that are both inside the caller's scope.
        for p in state.store.find_duplicates_in(caller.scope, SHOW).await? {
            let a = state.store.get_customer(p.a).await?;
            let b = state.store.get_customer(p.b).await?;
            pairs.push(json!({"a": card(&a), "b": card(&b), "reason": p.reason}));
        }
        Ok::<_, UiError>(page.render("duplicates.html", json!({ "pairs": pairs })))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    keep: i64,
    other: i64,
}

pub async fn merge(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<MergeForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        let caller = merger(&page)?;
        let (keep, other) = (CustomerId(f.keep), CustomerId(f.other));
        if keep == other
            || !state.store.customer_in_scope(keep, caller.scope).await?
            || !state.store.customer_in_scope(other, caller.scope).await?
        {
            return Err(UiError::NotFound);
        }
        state
            .store
            .merge_customers_by(Some(caller.id()), keep, other)
            .await?;
        Ok(super::see_other(&format!("/customers/{keep}")))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}
