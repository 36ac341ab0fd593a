//! `POST /language`: the language switcher on every page. Signed in, it is saved as the user's
//! setting; signed out, it is remembered in a cookie.

use super::i18n::Lang;
use super::{safe_next, Page, UiError, LANG_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

pub async fn set(State(state): State<AppState>, page: Page, Form(f): Form<LangForm>) -> Response {
    let Some(lang) = Lang::parse(&f.lang) else {
        return UiError::NotFound.render(&page);
    };
    if page.caller.is_some() {
        let caller = match page.check_csrf(&f.csrf) {
            Ok(c) => c,
            Err(e) => return e.render(&page),
        };
        if let Err(e) = state
            .store
            .set_user_language(caller.id(), Some(lang.tag()))
            .await
        {
            return UiError::from(e).render(&page);
        }
    }
    let mut res = Redirect::to(&safe_next(&f.next)).into_response();
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}",
        lang.tag()
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
