//! `GET/POST /password`: change one's own password; every other session of the user ends.

use super::{Page, UiError};
use crate::auth::Via;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_store::accounts::MIN_PASSWORD_LEN;
use serde::Deserialize;
use serde_json::json;

pub async fn form(page: Page) -> Response {
    if let Err(e) = page.user() {
        return e.render(&page);
    }
    page.render(
        "password.html",
        json!({"errors": {}, "min": MIN_PASSWORD_LEN}),
    )
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<PasswordForm>,
) -> Response {
    match change(&state, &page, f).await {
        Ok(r) => r,
        Err(e) => e.render(&page),
    }
}

async fn change(state: &AppState, page: &Page, f: PasswordForm) -> Result<Response, UiError> {
    let caller = page.check_csrf(&f.csrf)?;
    let mut errors = serde_json::Map::new();
    if state
        .store
        .verify_password(&caller.user.email, &f.current)
        .await?
        .is_none()
    {
        errors.insert("current".into(), "password-wrong".into());
    }
    if patron_store::accounts::check_password("new", &f.new).is_err() {
        errors.insert("new".into(), "password-too-short".into());
    } else if f.new != f.repeat {
        errors.insert("repeat".into(), "password-mismatch".into());
    }
    if !errors.is_empty() {
        return Ok(page.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "password.html",
            json!({"errors": errors, "min": MIN_PASSWORD_LEN}),
        ));
    }
    state.store.set_password(caller.id(), &f.new).await?;
    state.store.delete_user_sessions(caller.id()).await?;
    // Keep this browser signed in with a fresh session.
    let s = state
        .store
        .create_session(caller.id(), chrono::Utc::now() + state.config.session_ttl)
        .await?;
    let mut fresh = page.clone();
    if let Some(c) = fresh.caller.as_mut() {
        c.via = Via::Session {
            token: s.token.clone(),
            csrf_token: s.csrf_token.clone(),
        };
    }
    let mut res = fresh.render(
        "password.html",
        json!({"errors": {}, "min": MIN_PASSWORD_LEN, "notice": page.t("password-changed")}),
    );
    if let Some(c) =
        super::sign_in::session_cookie(state, &s.token, state.config.session_ttl.num_seconds())
    {
        res.headers_mut().insert(axum::http::header::SET_COOKIE, c);
    }
    Ok(res)
}
