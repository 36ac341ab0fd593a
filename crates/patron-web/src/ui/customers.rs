//! `GET /customers`: the customer list — search as you type (CJK substrings), filters, sortable
//! columns, keyset pages; only the customers the signed-in user may see.

use super::{i18n, urlencode, Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_core::{LifecycleStage, UserId};
use patron_store::{CustomerQuery, CustomerSort};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    cursor: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ListParams>,
) -> Response {
    match render(&state, &page, p).await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

async fn render(state: &AppState, page: &Page, p: ListParams) -> Result<Response, UiError> {
    let caller = page.user()?;
    let sort = match p.sort.as_str() {
        "name" => CustomerSort::Name,
        "updated" => CustomerSort::Updated,
        "created" => CustomerSort::Created,
        _ => CustomerSort::Id,
    };
    let q: String = p.q.chars().take(200).collect();
    let stage = LifecycleStage::parse("stage", &p.stage).ok();
    let owner = p.owner.parse::<i64>().ok().map(UserId);
    let query = CustomerQuery {
        q: Some(q.clone()).filter(|s| !s.trim().is_empty()),
        stage,
        owner_id: owner,
        tag: Some(p.tag.clone()).filter(|s| !s.trim().is_empty()),
        kind: None,
        sort,
        desc: p.order == "desc",
        cursor: Some(p.cursor.clone()).filter(|s| !s.is_empty()),
        limit: Some(50),
        scope: caller.scope,
    };
    // A cursor from another sort (or a tampered one) restarts at the first page.
    let result = match state.store.list_customers(&query).await {
        Err(patron_store::StoreError::Invalid(_)) => {
            let mut first = query.clone();
            first.cursor = None;
            state.store.list_customers(&first).await?
        }
        other => other?,
    };
    let users = state.store.list_users().await?;
    let names: HashMap<UserId, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let items: Vec<_> = result
        .items
        .iter()
        .map(|c| {
            json!({
                "id": c.id.0,
                "name": c.name,
                "company": c.company,
                "kind": c.kind.as_str(),
                "stage": c.stage.as_str(),
                "owner_name": c.owner_id.and_then(|o| names.get(&o)),
                "phone": c.phone,
                "updated": i18n::date(page.lang, c.updated_at.date_naive()),
            })
        })
        .collect();
    let base = |sort: &str, order: &str, cursor: Option<&str>| {
        let mut s = format!(
            "/customers?q={}&stage={}&owner={}&tag={}&sort={sort}&order={order}",
            urlencode(&q),
            urlencode(&p.stage),
            urlencode(&p.owner),
            urlencode(&p.tag)
        );
        if let Some(c) = cursor {
            s.push_str(&format!("&cursor={}", urlencode(c)));
        }
        s
    };
    let flip = |col: &str| {
        if p.sort == col && p.order != "desc" {
            "desc"
        } else {
            "asc"
        }
    };
    let owners: Vec<_> = users
        .iter()
        .filter(|u| u.active)
        .map(|u| json!({"id": u.id.0.to_string(), "name": u.name}))
        .collect();
    Ok(page.render(
        "customers.html",
        json!({
            "q": q, "stage": p.stage, "owner": p.owner, "tag": p.tag,
            "sort": p.sort, "order": p.order, "cursor": p.cursor,
            "stages": LifecycleStage::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "owners": owners,
            "items": items,
            "sort_links": {
                "name": base("name", flip("name"), None),
                "updated": base("updated", flip("updated"), None),
            },
            "first_link": base(&p.sort, &p.order, None),
            "next_link": result.next_cursor.as_deref().map(|c| base(&p.sort, &p.order, Some(c))),
        }),
    ))
}
