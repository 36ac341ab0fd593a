//! `GET/POST /sign-in` and `POST /sign-out`: e-mail and password, rate-limited by account and by
//! client address, a new server-side session per sign-in.

use super::{safe_next, Page, UiError};
use crate::auth::{Via, SESSION_COOKIE};
use crate::AppState;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

pub async fn form(page: Page, Query(p): Query<NextParam>) -> Response {
    if page.caller.is_some() {
        return Redirect::to("/customers").into_response();
    }
    page.render(
        "sign_in.html",
        json!({"next": safe_next(p.next.as_deref().unwrap_or("/customers")), "email": ""}),
    )
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The `Set-Cookie` value of a session cookie (`max_age` 0 clears it).
pub fn session_cookie(state: &AppState, token: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    page: Page,
    Form(f): Form<SignInForm>,
) -> Result<Response, UiError> {
    let ip = peer.ip().to_string();
    let email = f.email.trim().chars().take(320).collect::<String>();
    let again = |error: &str| {
        page.render_status(
            if error == "sign-in-throttled" {
                axum::http::StatusCode::TOO_MANY_REQUESTS
            } else {
                axum::http::StatusCode::UNAUTHORIZED
            },
            "sign_in.html",
            json!({"error": error, "email": email, "next": safe_next(&f.next)}),
        )
    };
    let cfg = &state.config;
    let since = chrono::Utc::now() - cfg.login_window;
    let fails = state.store.login_failures(&email, &ip, since).await?;
    if fails.by_email >= cfg.login_max_failures || fails.by_ip >= cfg.login_max_failures * 4 {
        return Ok(again("sign-in-throttled"));
    }
    let password: String = f.password.chars().take(1024).collect();
    let user = state.store.verify_password(&email, &password).await?;
    state
        .store
        .record_login_attempt(&email, &ip, user.is_some())
        .await?;
    let Some(user) = user else {
        return Ok(again("sign-in-failed"));
    };
    let expires = chrono::Utc::now() + cfg.session_ttl;
    let s = state.store.create_session(user.id, expires).await?;
    let mut res = Redirect::to(&safe_next(if f.next.is_empty() {
        "/customers"
    } else {
        &f.next
    }))
    .into_response();
    if let Some(c) = session_cookie(&state, &s.token, cfg.session_ttl.num_seconds()) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Response {
    let caller = match page.check_csrf(&f.csrf) {
        Ok(c) => c,
        Err(e) => return e.render(&page),
    };
    if let Via::Session { token, .. } = &caller.via {
        if let Err(e) = state.store.delete_session(token).await {
            return UiError::from(e).render(&page);
        }
    }
    let mut res = Redirect::to("/sign-in").into_response();
    if let Some(c) = session_cookie(&state, "", 0) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}
