//! `GET/POST /agenda/digest`: the daily e-mail digest's settings (off by default), and
//! `POST /agenda/digest/test`, which sends the signed-in user their own digest now so the mail
//! settings can be checked before the digest is switched on. Marketing director, general
//! manager and administrators (those who set the contact plan).

use super::forms::{add_error, code_key, respond};
use super::{Page, UiError};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use patron_core::contact::{DigestSettings, SmtpSecurity};
use patron_core::Permissions;
use patron_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    smtp_host: String,
    #[serde(default)]
    smtp_port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    /// Blank keeps the stored password (the form never shows it).
    #[serde(default)]
    password: String,
    #[serde(default)]
    clear_password: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    send_at: String,
    #[serde(default)]
    send_when_empty: Option<String>,
    #[serde(default)]
    public_url: String,
}

impl DigestForm {
    fn of(d: &DigestSettings) -> Self {
        DigestForm {
            enabled: d.enabled.then(|| "on".into()),
            smtp_host: d.smtp_host.clone(),
            smtp_port: d.smtp_port.to_string(),
            security: d.security.as_str().into(),
            username: d.username.clone().unwrap_or_default(),
            from: d.from.clone(),
            send_at: d.send_at.clone(),
            send_when_empty: d.send_when_empty.then(|| "on".into()),
            public_url: d.public_url.clone(),
            ..Default::default()
        }
    }

    fn parse(&self, errs: &mut Map<String, Value>) -> DigestSettings {
        let security = match self.security.as_str() {
            "none" => SmtpSecurity::None,
            "tls" => SmtpSecurity::Tls,
            "starttls" | "" => SmtpSecurity::Starttls,
            _ => {
                add_error(errs, "security", "invalid");
                SmtpSecurity::Starttls
            }
        };
        let smtp_port = match self.smtp_port.trim() {
            "" => 587,
            t => match t.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    add_error(errs, "smtp_port", "out_of_range");
                    587
                }
            },
        };
        let password = if self.clear_password.is_some() {
            Some(String::new())
        } else if self.password.is_empty() {
            None
        } else {
            Some(self.password.clone())
        };
        DigestSettings {
            enabled: self.enabled.is_some(),
            smtp_host: self.smtp_host.trim().to_owned(),
            smtp_port,
            security,
            username: Some(self.username.trim().to_owned()).filter(|u| !u.is_empty()),
            password,
            from: self.from.trim().to_owned(),
            send_at: self.send_at.trim().to_owned(),
            send_when_empty: self.send_when_empty.is_some(),
            public_url: self.public_url.trim().to_owned(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    /// Set by the redirect after a save.
    #[serde(default)]
    saved: String,
}

fn render(
    page: &Page,
    status: StatusCode,
    form: &DigestForm,
    password_set: bool,
    errs: &Map<String, Value>,
    notice: Option<String>,
    failure: Option<String>,
) -> Response {
    let messages: Map<String, Value> = errs
        .iter()
        .filter_map(|(k, v)| {
            v.as_str().map(|c| {
                (
                    k.clone(),
                    Value::String(page.t(&format!("error-{}", code_key(c)))),
                )
            })
        })
        .collect();
    page.render_status(
        status,
        "digest_settings.html",
        json!({
            "f": {
                "enabled": form.enabled.is_some(),
                "smtp_host": form.smtp_host,
                "smtp_port": form.smtp_port,
                "security": form.security,
                "username": form.username,
                "from": form.from,
                "send_at": form.send_at,
                "send_when_empty": form.send_when_empty.is_some(),
                "public_url": form.public_url,
            },
            "securities": ["starttls", "tls", "none"],
            "password_set": password_set,
            "errors": messages,
            "notice": notice,
            "failure": failure,
        }),
    )
}

fn manager(page: &Page) -> Result<(), UiError> {
    if page.user()?.user.can_set_class_rules() {
        Ok(())
    } else {
        Err(UiError::Forbidden)
    }
}

/// `GET /agenda/digest`.
pub async fn form(State(state): State<AppState>, page: Page, Query(p): Query<Params>) -> Response {
    let run = async {
        manager(&page)?;
        let d = patron_store::contact::load_digest(state.store.as_ref()).await?;
        let notice = (p.saved == "1").then(|| page.t("digest-saved"));
        Ok(render(
            &page,
            StatusCode::OK,
            &DigestForm::of(&d),
            d.password.is_some(),
            &Map::new(),
            notice,
            None,
        ))
    };
    respond(run.await, &page)
}

/// `POST /agenda/digest`: validates and saves; errors are shown next to their fields.
pub async fn save(
    State(state): State<AppState>,
    page: Page,
    Form(f): Form<DigestForm>,
) -> Response {
    let run = async {
        page.check_csrf(&f.csrf)?;
        manager(&page)?;
        let mut errs = Map::new();
        let d = f.parse(&mut errs);
        if errs.is_empty() {
            match patron_store::contact::save_digest(state.store.as_ref(), &d).await {
                Ok(_) => return Ok(super::see_other("/agenda/digest?saved=1")),
                Err(StoreError::Invalid(e)) => {
                    for fe in &e.0 {
                        add_error(&mut errs, &fe.field, &fe.code);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        let stored = patron_store::contact::load_digest(state.store.as_ref()).await?;
        Ok(render(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &f,
            stored.password.is_some(),
            &errs,
            None,
            None,
        ))
    };
    respond(run.await, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct TestForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /agenda/digest/test`: sends the signed-in user's digest now with the saved settings.
pub async fn test(State(state): State<AppState>, page: Page, Form(f): Form<TestForm>) -> Response {
    let run = async {
        let caller = page.check_csrf(&f.csrf)?;
        let user = caller.user.clone();
        manager(&page)?;
        let d = patron_store::contact::load_digest(state.store.as_ref()).await?;
        let (notice, failure, status) = if d.smtp_host.is_empty() || d.from.is_empty() {
            (
                None,
                Some(page.t("digest-test-unset")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        } else {
            match crate::digest::send_now(state.store.as_ref(), &d, &user, None).await {
                Ok(mail) => (
                    Some(super::i18n::tr(
                        page.lang,
                        "digest-test-sent",
                        &[("to", mail.to.into())],
                    )),
                    None,
                    StatusCode::OK,
                ),
                Err(e) => (None, Some(e), StatusCode::BAD_GATEWAY),
            }
        };
        Ok(render(
            &page,
            status,
            &DigestForm::of(&d),
            d.password.is_some(),
            &Map::new(),
            notice,
            failure,
        ))
    };
    respond(run.await, &page)
}
