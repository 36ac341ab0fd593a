//! `GET /customers`: the customer list — search as you type (CJK substrings), filters, sortable
//! columns, keyset pages; only the customers the signed-in user may see.

use super::{i18n, urlencode, Page, UiError};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use patron_core::classify::{AbcClass, Loyalty, RfmSegment};
use patron_core::{LifecycleStage, Scope, UserId};
use patron_store::export::{customer_cells, owner_emails, CUSTOMER_HEADER};
use patron_store::{CustomerQuery, CustomerSort, Store};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

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
    abc: String,
    #[serde(default)]
    segment: String,
    #[serde(default)]
    loyalty: String,
    /// Loyalty-matrix quadrant (METHOD §2.3).
    #[serde(default)]
    quadrant: String,
    /// P(alive) at most, in percent.
    #[serde(default)]
    alive_max: String,
    /// Lifetime value at least, in major units.
    #[serde(default)]
    clv_min: String,
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

/// The store query of the list's parameters, inside the caller's `scope` (shared by the page and
/// its CSV download, so the file holds exactly what the list shows, page after page).
fn list_query(p: &ListParams, scope: Scope) -> CustomerQuery {
    let sort = match p.sort.as_str() {
        "name" => CustomerSort::Name,
        "updated" => CustomerSort::Updated,
        "created" => CustomerSort::Created,
        _ => CustomerSort::Id,
    };
    let q: String = p.q.chars().take(200).collect();
    CustomerQuery {
        q: Some(q).filter(|s| !s.trim().is_empty()),
        stage: LifecycleStage::parse("stage", &p.stage).ok(),
        owner_id: p.owner.parse::<i64>().ok().map(UserId),
        tag: Some(p.tag.clone()).filter(|s| !s.trim().is_empty()),
        kind: None,
        abc: AbcClass::parse(&p.abc),
        segment: RfmSegment::parse(&p.segment),
        loyalty: Loyalty::parse(&p.loyalty),
        quadrant: patron_core::classify::Quadrant::parse(&p.quadrant),
        p_alive_max: p
            .alive_max
            .trim()
            .trim_end_matches('%')
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|v| v.clamp(0.0, 100.0) / 100.0),
        clv_min: p
            .clv_min
            .trim()
            .replace(',', "")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite()),
        sort,
        desc: p.order == "desc",
        cursor: Some(p.cursor.clone()).filter(|s| !s.is_empty()),
        limit: Some(50),
        scope,
    }
}

async fn render(state: &AppState, page: &Page, p: ListParams) -> Result<Response, UiError> {
    let caller = page.user()?;
    let q: String = p.q.chars().take(200).collect();
    let query = list_query(&p, caller.scope);
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
    // The page's customers' model scores, when they have been scored.
    let ids: Vec<_> = result.items.iter().map(|c| c.id).collect();
    let scores: HashMap<_, _> = state
        .store
        .customer_scores(&ids)
        .await?
        .into_iter()
        .map(|s| (s.customer_id, super::scores::view(page.lang, &s)))
        .collect();
    // Their classes, when they have been classified.
    let classes: HashMap<_, _> = state
        .store
        .customer_classes_of(&ids)
        .await?
        .into_iter()
        .map(|k| (k.customer_id, super::class_view::list_view(page.lang, &k)))
        .collect();
    let items: Vec<_> = result
        .items
        .iter()
        .map(|c| {
            json!({
                "score": scores.get(&c.id),
                "classes": classes.get(&c.id),
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
            "/customers?q={}&stage={}&owner={}&tag={}&abc={}&segment={}&loyalty={}&quadrant={}&alive_max={}&clv_min={}&sort={sort}&order={order}",
            urlencode(&q),
            urlencode(&p.stage),
            urlencode(&p.owner),
            urlencode(&p.tag),
            urlencode(&p.abc),
            urlencode(&p.segment),
            urlencode(&p.loyalty),
            urlencode(&p.quadrant),
            urlencode(&p.alive_max),
            urlencode(&p.clv_min)
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
            "abc": p.abc, "segment": p.segment, "loyalty": p.loyalty, "quadrant": p.quadrant,
            "quadrants": patron_core::classify::Quadrant::ALL.iter().map(|q| json!({
                "value": q.as_str(),
                "label": super::satisfaction_form::quadrant_label(page.lang, *q),
            })).collect::<Vec<_>>(),
            "alive_max": p.alive_max, "clv_min": p.clv_min,
            "abc_classes": patron_core::classify::AbcClass::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "segments": super::class_view::segment_choices(page.lang),
            "loyalties": super::class_view::loyalty_choices(page.lang),
            "classified": !classes.is_empty(),
            "sort": p.sort, "order": p.order, "cursor": p.cursor,
            "stages": LifecycleStage::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "owners": owners,
            "scored": !scores.is_empty(),
            "items": items,
            "sort_links": {
                "name": base("name", flip("name"), None),
                "updated": base("updated", flip("updated"), None),
            },
            "first_link": base(&p.sort, &p.order, None),
            "export_link": base(&p.sort, &p.order, None).replacen("/customers?", "/customers/export.csv?", 1),
            "next_link": result.next_cursor.as_deref().map(|c| base(&p.sort, &p.order, Some(c))),
        }),
    ))
}

/// Rows per store call while streaming the CSV download.
const EXPORT_PAGE: u32 = 500;

/// `GET /customers/export.csv`: the customers of the list as it stands (search, filters, sort),
/// every page of it, inside the signed-in user's scope; columns as `patron export customers`
/// writes them, so the file re-imports. Streamed a page at a time: a million rows never sit in
/// memory.
pub async fn export_csv(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<ListParams>,
) -> Response {
    match start_export(&state, &page, p).await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

async fn start_export(state: &AppState, page: &Page, p: ListParams) -> Result<Response, UiError> {
    let caller = page.user()?;
    let mut query = list_query(&p, caller.scope);
    query.cursor = None;
    query.limit = Some(EXPORT_PAGE);
    // The first page is read before answering, so a bad request still gets an error page rather
    // than an empty file.
    let first = state.store.list_customers(&query).await?;
    let owners = owner_emails(state.store.as_ref()).await?;
    let mut head = csv_bytes(|w| {
        w.write_record(CUSTOMER_HEADER)?;
        for c in &first.items {
            patron_store::csv_cell::write_record(w, &customer_cells(c, &owners))?;
        }
        Ok(())
    })
    .map_err(|e| UiError::Store(patron_store::StoreError::other("writing CSV", e)))?;
    // BOM: Excel reads BOM-less CSV in the ANSI code page and garbles Chinese and Korean.
    head.splice(0..0, *b"\xEF\xBB\xBF");
    query.cursor = first.next_cursor;
    let rest = ExportRest {
        store: state.store.clone(),
        query,
        owners,
    };
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(futures::stream::unfold(rest, ExportRest::next));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"customers.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// The pages after the first of a streamed download.
struct ExportRest {
    store: Arc<dyn Store>,
    query: CustomerQuery,
    owners: HashMap<UserId, String>,
}

impl ExportRest {
    async fn next(mut self) -> Option<(Result<Vec<u8>, std::io::Error>, Self)> {
        self.query.cursor.as_ref()?;
        let chunk = match self.store.list_customers(&self.query).await {
            Ok(page) => {
                self.query.cursor = page.next_cursor;
                csv_bytes(|w| {
                    for c in &page.items {
                        patron_store::csv_cell::write_record(w, &customer_cells(c, &self.owners))?;
                    }
                    Ok(())
                })
                .map_err(std::io::Error::other)
            }
            Err(e) => {
                // Headers are sent: all that is left is to cut the download short, which the
                // browser reports as a failed download rather than a complete file.
                tracing::error!(error = %e, "customer export stopped");
                self.query.cursor = None;
                Err(std::io::Error::other("customer export stopped"))
            }
        };
        Some((chunk, self))
    }
}

/// CSV text written by `f` into memory.
fn csv_bytes(
    f: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> Result<(), csv::Error>,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    f(&mut w)?;
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
