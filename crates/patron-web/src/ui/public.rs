//! The customer's public forms, `/p/{secret}`: a survey or a complaint/opinion form reached by a
//! link made for one customer (see [`patron_store::surveys`]), without signing in, in the link's
//! language (or one the customer picks with `?lang=`).
//!
//! The page reveals nothing but the form: no name, no archive data, no staff navigation — a
//! leaked or forwarded link shows a questionnaire, not the customer. Unknown, expired and
//! revoked links all get the same answer, so guessing learns nothing; and every client address
//! is held to [`crate::WebConfig::public_requests`] requests per window, so the forms can be
//! neither probed nor used to flood the complaint board.

use super::i18n::Lang;
use super::survey_form;
use super::Page;
use crate::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use patron_core::complaint::MAX_SUMMARY;
use patron_store::surveys::{LinkPurpose, LinkState, PublicComplaint, PublicLink, Survey};
use patron_store::StoreError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Fixed-window request counts per client address.
#[derive(Debug)]
pub struct Limiter {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Addresses remembered before expired windows are swept out.
const SWEEP_AT: usize = 10_000;

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `ip`; false once the address is over its allowance.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut seen = match self.seen.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if seen.len() >= SWEEP_AT {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let e = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.max
    }
}

/// The page in the language asked for with `?lang=`, else the link's.
fn public_page(link_lang: &str, q: &HashMap<String, String>, path: &str) -> Page {
    let lang = q
        .get("lang")
        .and_then(|l| Lang::parse(l))
        .or_else(|| Lang::parse(link_lang))
        .unwrap_or(Lang::En);
    Page {
        caller: None,
        lang,
        path: path.to_owned(),
    }
}

/// A page that is neither cached nor indexed, nor sends its address on as a referrer.
fn private(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn notice(page: &Page, status: StatusCode, key: &str) -> Response {
    private(page.render_status(
        status,
        "public_form.html",
        json!({"notice_key": key, "public_langs": langs(page)}),
    ))
}

fn langs(page: &Page) -> Vec<Value> {
    Lang::ALL
        .iter()
        .map(|l| json!({"tag": l.tag(), "name": l.native_name(), "current": *l == page.lang}))
        .collect()
}

fn form_page(
    page: &Page,
    status: StatusCode,
    link: &PublicLink,
    survey: Option<&Survey>,
    typed: &HashMap<String, String>,
    errs: &Map<String, Value>,
) -> Response {
    let lang = page.lang.tag();
    let mut ctx = json!({
        "purpose": link.purpose.as_str(),
        "action": page.path.split('?').next().unwrap_or_default(),
        "lang_param": lang,
        "public_langs": langs(page),
        "summary": typed.get("summary").cloned().unwrap_or_default(),
        "details": typed.get("details").cloned().unwrap_or_default(),
        "errors": errs,
    });
    if let (Some(s), Some(m)) = (survey, ctx.as_object_mut()) {
        m.insert(
            "q".into(),
            survey_form::questions(&s.def, lang, typed, errs),
        );
    }
    private(page.render_status(status, "public_form.html", ctx))
}

/// Counts the request; the refusal page when the address is over its allowance.
fn limited(state: &AppState, peer: SocketAddr, page: &Page) -> Option<Response> {
    (!state.public_limiter.allow(peer.ip()))
        .then(|| notice(page, StatusCode::TOO_MANY_REQUESTS, "public-too-many"))
}

/// `GET /p/{secret}`.
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(secret): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/p/{secret}");
    let fallback = public_page("en", &q, &path);
    if let Some(r) = limited(&state, peer, &fallback) {
        return r;
    }
    let now = state.config.clock.now();
    match state.store.open_public_link(&secret, now).await {
        Ok(LinkState::Open { link, survey }) => {
            let page = public_page(&link.language, &q, &path);
            form_page(
                &page,
                StatusCode::OK,
                &link,
                survey.as_deref(),
                &HashMap::new(),
                &Map::new(),
            )
        }
        Ok(LinkState::Used { language }) => notice(
            &public_page(&language, &q, &path),
            StatusCode::OK,
            "public-used",
        ),
        Ok(LinkState::Invalid) => notice(&fallback, StatusCode::NOT_FOUND, "public-invalid"),
        Err(e) => {
            tracing::error!(error = %e, "opening a public link");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /p/{secret}`: records the answer (or the complaint) once.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(secret): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let path = format!("/p/{secret}");
    let f = survey_form::fields(pairs);
    let mut q = q;
    if let Some(l) = f.get("lang") {
        q.insert("lang".into(), l.clone());
    }
    let fallback = public_page("en", &q, &path);
    if let Some(r) = limited(&state, peer, &fallback) {
        return r;
    }
    let now = state.config.clock.now();
    let (link, survey) = match state.store.open_public_link(&secret, now).await {
        Ok(LinkState::Open { link, survey }) => (link, survey),
        Ok(LinkState::Used { language }) => {
            return notice(
                &public_page(&language, &q, &path),
                StatusCode::CONFLICT,
                "public-used",
            )
        }
        Ok(LinkState::Invalid) => {
            return notice(&fallback, StatusCode::NOT_FOUND, "public-invalid")
        }
        Err(e) => {
            tracing::error!(error = %e, "opening a public link");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = public_page(&link.language, &q, &path);
    let mut errs = Map::new();
    let done = match (link.purpose, &survey) {
        (LinkPurpose::Survey, Some(s)) => {
            let (answers, e) = survey_form::read(&s.def, &f);
            errs = e;
            if !errs.is_empty() {
                None
            } else {
                Some(
                    state
                        .store
                        .answer_public_survey(&secret, &answers, now)
                        .await
                        .map(|_| ()),
                )
            }
        }
        _ => {
            let summary = f.get("summary").map(|s| s.trim()).unwrap_or("");
            if summary.is_empty() {
                super::forms::add_error_key(&mut errs, "summary", "required");
            } else if summary.chars().count() > MAX_SUMMARY {
                super::forms::add_error_key(&mut errs, "summary", "too_long");
            }
            if !errs.is_empty() {
                None
            } else {
                let c = PublicComplaint {
                    summary: summary.to_owned(),
                    details: f.get("details").cloned(),
                };
                Some(
                    state
                        .store
                        .complain_through_link(&secret, &c, now)
                        .await
                        .map(|_| ()),
                )
            }
        }
    };
    match done {
        Some(Ok(())) => notice(&page, StatusCode::OK, "public-thanks"),
        Some(Err(StoreError::Conflict { .. })) => {
            notice(&page, StatusCode::CONFLICT, "public-used")
        }
        Some(Err(StoreError::NotFound { .. })) => {
            notice(&page, StatusCode::NOT_FOUND, "public-invalid")
        }
        Some(Err(StoreError::Invalid(e))) => {
            for x in &e.0 {
                let field = match x.field.as_str() {
                    "summary" | "details" => x.field.as_str(),
                    _ => "form",
                };
                super::forms::add_error_key(&mut errs, field, &x.code);
            }
            form_page(
                &page,
                StatusCode::UNPROCESSABLE_ENTITY,
                &link,
                survey.as_deref(),
                &f,
                &errs,
            )
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "recording a public answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => form_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            &link,
            survey.as_deref(),
            &f,
            &errs,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_allowance_is_refused_until_the_window_passes() {
        let l = Limiter::new(2, Duration::from_millis(50));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(l.allow(a));
        assert!(l.allow(a));
        assert!(!l.allow(a));
        assert!(l.allow(b), "another address has its own allowance");
        std::thread::sleep(Duration::from_millis(60));
        assert!(l.allow(a));
    }
}
