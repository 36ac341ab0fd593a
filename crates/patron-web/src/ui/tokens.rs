//! `GET/POST /tokens` and `POST /tokens/{id}/revoke`: personal API tokens; and the personal
//! iCalendar feed (`POST /tokens/calendar`, `POST /tokens/calendar/revoke`), the other secret
//! URL a user hands to another program.

use super::{i18n, Page, UiError};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use serde_json::json;

pub async fn list(State(state): State<AppState>, page: Page) -> Response {
    match render(&state, &page, None, None).await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

async fn render(
    state: &AppState,
    page: &Page,
    secret: Option<String>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    render_with(state, page, secret, error, None).await
}

async fn render_with(
    state: &AppState,
    page: &Page,
    secret: Option<String>,
    error: Option<&str>,
    feed_path: Option<String>,
) -> Result<Response, UiError> {
    let caller = page.user()?;
    let tokens: Vec<_> = state
        .store
        .list_api_tokens(caller.id())
        .await?
        .into_iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "created": i18n::datetime(page.lang, t.created_at),
                "used": t.last_used_at.map(|u| i18n::datetime(page.lang, u)),
                "revoked": t.revoked_at.is_some(),
            })
        })
        .collect();
    let feed = state.store.has_calendar_feed(caller.id()).await?;
    Ok(page.render(
        "tokens.html",
        json!({"tokens": tokens, "secret": secret, "error": error,
               "feed_active": feed, "feed_path": feed_path}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CreateForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        match state.store.create_api_token(caller.id(), &f.name).await {
            Ok(t) => render(&state, &page, Some(t.secret), None).await,
            Err(patron_store::StoreError::Invalid(_)) => {
                render(&state, &page, None, Some("required")).await
            }
            Err(e) => Err(e.into()),
        }
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn revoke(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        state.store.revoke_api_token(caller.id(), id).await?;
        Ok::<_, UiError>(super::see_other("/tokens"))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// `POST /tokens/calendar`: a new calendar feed (an earlier one stops working); its address is
/// shown once.
pub async fn create_feed(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let secret = state.store.create_calendar_feed(caller.id()).await?;
        render_with(
            &state,
            &page,
            None,
            None,
            Some(format!("/calendar/{secret}.ics")),
        )
        .await
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

/// `POST /tokens/calendar/revoke`: the feed stops working.
pub async fn revoke_feed(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        state.store.revoke_calendar_feeds(caller.id()).await?;
        Ok::<_, UiError>(super::see_other("/tokens"))
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}
