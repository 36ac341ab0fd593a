//! The server-rendered HTML UI: one file per page or action, templates with HTML auto-escaping
//! (minijinja), every visible string from the Fluent message files ([`i18n`]).
//!
//! Pages work as plain forms without JavaScript; `static/patron.js` only adds search-as-you-type
//! and the auto-submitting language switcher. Sign-in uses a session cookie; every form carries
//! the session's CSRF token and every POST handler checks it ([`Page::check_csrf`]).

pub mod after_sales;
pub mod agenda;
pub mod assets;
pub mod churn;
pub mod class_rules;
pub mod class_view;
pub mod classes;
pub mod complaints;
pub mod compliance;
pub mod contact_policy;
pub mod credit_forms;
pub mod customer;
pub mod customer_form;
pub mod customers;
pub mod digest_settings;
pub mod duplicates;
pub mod forms;
pub mod i18n;
pub mod import;
pub mod indicators;
pub mod interaction_form;
pub mod key_accounts;
pub mod key_person_form;
pub mod language;
pub mod lists;
pub mod order_form;
pub mod password;
pub mod plans;
pub mod product_picker;
pub mod products;
pub mod promotions;
pub mod public;
pub mod reassignments;
pub mod satisfaction_form;
pub mod scores;
pub mod sign_in;
pub mod survey_form;
pub mod surveys;
pub mod tokens;
pub mod touch;
pub mod users;

use crate::auth::{cookie, same_secret, Caller, Via, SESSION_COOKIE};
use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fluent_bundle::FluentValue;
use i18n::Lang;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, State};
use patron_core::Scope;
use patron_store::StoreError;
use serde_json::json;
use std::sync::OnceLock;

/// Cookie that remembers the language chosen before signing in.
pub const LANG_COOKIE: &str = "patron_lang";

/// The UI's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/{file}", get(assets::serve))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/language", post(language::set))
        .route("/password", get(password::form).post(password::submit))
        // Deliveries and installations (METHOD §6).
        .route("/deliveries", get(after_sales::list))
        .route(
            "/deliveries/new",
            get(after_sales::new_form).post(after_sales::create),
        )
        .route("/deliveries/{id}", get(after_sales::show))
        .route(
            "/deliveries/{id}/edit",
            get(after_sales::edit_form).post(after_sales::update),
        )
        .route("/deliveries/{id}/notified", post(after_sales::notified))
        .route("/deliveries/{id}/done", post(after_sales::done))
        .route("/deliveries/{id}/late", post(after_sales::late))
        .route("/deliveries/{id}/cancel", post(after_sales::cancel))
        .route(
            "/deliveries/{id}/after-sales-call",
            post(after_sales::after_sales_call),
        )
        .route("/agenda", get(agenda::show))
        .route("/agenda/done", post(agenda::done))
        .route("/agenda/snooze", post(agenda::snooze))
        .route("/agenda/dismiss", post(agenda::dismiss))
        .route(
            "/agenda/policy",
            get(contact_policy::form).post(contact_policy::save),
        )
        .route("/agenda/settings", post(contact_policy::save_settings))
        .route("/agenda/compliance", get(compliance::report))
        .route("/plans", get(plans::show))
        .route("/plans/build", post(plans::build))
        .route("/plans/{id}", post(plans::save))
        .route("/route", get(plans::route))
        .route("/route/start", post(plans::set_start))
        .route(
            "/customers/{id}/location",
            get(plans::location_form).post(plans::save_location),
        )
        .route("/agenda/reassignments", get(reassignments::report))
        .route(
            "/agenda/digest",
            get(digest_settings::form).post(digest_settings::save),
        )
        .route("/agenda/digest/test", post(digest_settings::test))
        .route("/key-accounts", get(key_accounts::list))
        .route(
            "/key-accounts/{id}",
            get(key_accounts::show).post(key_accounts::save),
        )
        .route("/key-accounts/{id}/reviewed", post(key_accounts::reviewed))
        .route(
            "/key-accounts/{id}/projects",
            post(key_accounts::add_project),
        )
        .route("/key-accounts/{id}/actions", post(key_accounts::add_action))
        .route(
            "/key-account-projects/{id}/edit",
            get(key_accounts::edit_project_form).post(key_accounts::update_project),
        )
        .route(
            "/key-account-projects/{id}/delete",
            get(key_accounts::confirm_delete_project).post(key_accounts::delete_project),
        )
        .route(
            "/key-account-actions/{id}/edit",
            get(key_accounts::edit_action_form).post(key_accounts::update_action),
        )
        .route(
            "/key-account-actions/{id}/delete",
            get(key_accounts::confirm_delete_action).post(key_accounts::delete_action),
        )
        .route("/customers", get(customers::list))
        .route("/customers/export.csv", get(customers::export_csv))
        .route(
            "/customers/new",
            get(customer_form::new_form).post(customer_form::create),
        )
        .route("/customers/{id}", get(customer::show))
        .route(
            "/customers/{id}/edit",
            get(customer_form::edit_form).post(customer_form::update),
        )
        .route(
            "/customers/{id}/interactions",
            post(customer::log_interaction),
        )
        .route("/customers/{id}/orders", post(customer::add_order))
        .route("/customers/{id}/loyalty", post(customer::set_loyalty))
        .route(
            "/customers/{id}/satisfaction",
            post(satisfaction_form::record),
        )
        .route("/customers/{id}/credit-reviews", post(credit_forms::review))
        .route("/customers/{id}/payments", post(credit_forms::payment))
        .route(
            "/payments/{id}/delete",
            get(credit_forms::confirm_delete).post(credit_forms::delete),
        )
        .route("/classes", get(classes::dashboard))
        .route("/classes/run", post(classes::run))
        .route("/lists", get(lists::index))
        // `/lists/gold`, and its downloads `/lists/gold.csv`, `/lists/gold.xlsx`.
        .route("/lists/{name}", get(lists::show))
        .route(
            "/classes/rules",
            get(class_rules::form).post(class_rules::save),
        )
        .route(
            "/customers/{id}/key-persons/new",
            get(key_person_form::new_form).post(key_person_form::create),
        )
        .route(
            "/key-persons/{id}/edit",
            get(key_person_form::edit_form).post(key_person_form::update),
        )
        .route(
            "/key-persons/{id}/delete",
            get(key_person_form::confirm_delete).post(key_person_form::delete),
        )
        .route("/promotions", get(promotions::list))
        .route(
            "/promotions/new",
            get(promotions::new_form).post(promotions::create),
        )
        .route("/promotions/{id}", get(promotions::show))
        .route(
            "/promotions/{id}/edit",
            get(promotions::edit_form).post(promotions::update),
        )
        .route(
            "/promotions/{id}/delete",
            get(promotions::confirm_delete).post(promotions::delete),
        )
        .route(
            "/promotions/{id}/participants",
            post(promotions::add_participant),
        )
        .route(
            "/promotions/{id}/participants/{customer}",
            post(promotions::change_participant),
        )
        .route(
            "/promotions/{id}/participants/{customer}/remove",
            post(promotions::remove_participant),
        )
        .route("/promotions/{id}/evaluation", get(promotions::evaluation))
        .route("/products", get(products::list))
        .route("/products/suggest", get(product_picker::suggest))
        .route(
            "/products/new",
            get(products::new_form).post(products::create),
        )
        .route(
            "/products/{id}/edit",
            get(products::edit_form).post(products::update),
        )
        .route(
            "/orders/{id}/edit",
            get(order_form::edit_form).post(order_form::update),
        )
        .route(
            "/orders/{id}/delete",
            get(order_form::confirm_delete).post(order_form::delete),
        )
        .route(
            "/interactions/{id}/edit",
            get(interaction_form::edit_form).post(interaction_form::update),
        )
        .route(
            "/interactions/{id}/delete",
            get(interaction_form::confirm_delete).post(interaction_form::delete),
        )
        .route(
            "/import",
            get(import::form)
                .post(import::upload)
                // The upload handler enforces `WebConfig::upload_limit` itself (with a page
                // that says so); the global body limit is for everything else.
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/import/{upload}",
            get(import::mapping_page).post(import::run),
        )
        .route("/import/jobs/{upload}", get(import::job_page))
        .route("/duplicates", get(duplicates::list))
        .route("/duplicates/merge", post(duplicates::merge))
        .route("/users", get(users::list).post(users::add))
        .route("/users/{id}", post(users::change))
        .route("/users/{id}/password", post(users::reset_password))
        .route(
            "/templates",
            get(touch::templates).post(touch::create_template),
        )
        .route(
            "/templates/use",
            get(touch::use_form).post(touch::use_submit),
        )
        .route(
            "/templates/{id}/edit",
            get(touch::edit_template).post(touch::update_template),
        )
        .route("/templates/{id}/delete", post(touch::delete_template))
        .route("/events", get(touch::events).post(touch::create_event))
        .route("/events/{id}", get(touch::event))
        .route("/events/{id}/edit", post(touch::update_event))
        .route("/events/{id}/delete", post(touch::delete_event))
        .route("/events/{id}/invite", post(touch::invite))
        .route(
            "/events/{id}/invitations/{invitation}",
            post(touch::change_invitation),
        )
        .route("/churn", get(churn::page))
        .route("/churn/reasons", post(churn::save_reason))
        .route("/indicators", get(indicators::page))
        .route("/indicators/refresh", post(indicators::refresh))
        .route("/complaints", get(complaints::board))
        .route(
            "/complaints/new",
            get(complaints::new_complaint).post(complaints::create),
        )
        .route(
            "/complaints/settings",
            get(complaints::settings).post(complaints::save_settings),
        )
        .route("/complaints/{id}", get(complaints::show))
        .route("/complaints/{id}/{form}", post(complaints::action))
        .route("/requests", get(touch::requests))
        .route("/requests/{id}/reply", post(touch::reply))
        .route(
            "/customers/{id}/requests/new",
            get(touch::new_request).post(touch::create_request),
        )
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/tokens/calendar", post(tokens::create_feed))
        .route("/tokens/calendar/revoke", post(tokens::revoke_feed))
        .route("/surveys", get(surveys::list).post(surveys::create))
        .route("/surveys/{id}", get(surveys::one).post(surveys::update))
        .route(
            "/customers/{id}/surveys/{survey}",
            get(surveys::answer_form).post(surveys::record_answer),
        )
        .route("/customers/{id}/public-links", post(surveys::create_link))
        .route(
            "/customers/{id}/public-links/{link}/revoke",
            post(surveys::revoke_link),
        )
        // The customer's own forms: no sign-in, rate limited per client address.
        .route("/p/{secret}", get(public::show).post(public::submit))
}

/// `/`: the signed-in user's day starts with their agenda (METHOD §3); everyone else signs in.
async fn home(page: Page) -> Response {
    match page.caller {
        Some(_) => Redirect::to("/agenda").into_response(),
        None => Redirect::to("/sign-in").into_response(),
    }
}

fn env() -> &'static Environment<'static> {
    static E: OnceLock<Environment<'static>> = OnceLock::new();
    E.get_or_init(|| {
        let mut e = Environment::new();
        for (name, src) in TEMPLATES {
            if let Err(err) = e.add_template(name, src) {
                tracing::error!(template = name, %err, "template does not compile");
            }
        }
        e.add_function("t", t);
        e
    })
}

/// Every template, compiled into the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "promotions.html",
        include_str!("../../templates/promotions.html"),
    ),
    (
        "promotion.html",
        include_str!("../../templates/promotion.html"),
    ),
    (
        "promotion_form.html",
        include_str!("../../templates/promotion_form.html"),
    ),
    (
        "promotion_expectation.html",
        include_str!("../../templates/promotion_expectation.html"),
    ),
    (
        "promotion_evaluation.html",
        include_str!("../../templates/promotion_evaluation.html"),
    ),
    (
        "promotion_delete.html",
        include_str!("../../templates/promotion_delete.html"),
    ),
    ("base.html", include_str!("../../templates/base.html")),
    (
        "after_sales_list.html",
        include_str!("../../templates/after_sales_list.html"),
    ),
    (
        "after_sales_form.html",
        include_str!("../../templates/after_sales_form.html"),
    ),
    (
        "after_sales_job.html",
        include_str!("../../templates/after_sales_job.html"),
    ),
    (
        "after_sales_section.html",
        include_str!("../../templates/after_sales_section.html"),
    ),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("message.html", include_str!("../../templates/message.html")),
    (
        "customers.html",
        include_str!("../../templates/customers.html"),
    ),
    (
        "customer.html",
        include_str!("../../templates/customer.html"),
    ),
    ("tokens.html", include_str!("../../templates/tokens.html")),
    (
        "satisfaction_section.html",
        include_str!("../../templates/satisfaction_section.html"),
    ),
    ("users.html", include_str!("../../templates/users.html")),
    (
        "duplicates.html",
        include_str!("../../templates/duplicates.html"),
    ),
    (
        "customer_form.html",
        include_str!("../../templates/customer_form.html"),
    ),
    ("import.html", include_str!("../../templates/import.html")),
    (
        "import_report.html",
        include_str!("../../templates/import_report.html"),
    ),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    (
        "key_person_form.html",
        include_str!("../../templates/key_person_form.html"),
    ),
    (
        "confirm_delete.html",
        include_str!("../../templates/confirm_delete.html"),
    ),
    (
        "products.html",
        include_str!("../../templates/products.html"),
    ),
    (
        "product_form.html",
        include_str!("../../templates/product_form.html"),
    ),
    (
        "order_form.html",
        include_str!("../../templates/order_form.html"),
    ),
    (
        "interaction_form.html",
        include_str!("../../templates/interaction_form.html"),
    ),
    ("classes.html", include_str!("../../templates/classes.html")),
    (
        "class_rules.html",
        include_str!("../../templates/class_rules.html"),
    ),
    (
        "credit_section.html",
        include_str!("../../templates/credit_section.html"),
    ),
    (
        "credit_order_fields.html",
        include_str!("../../templates/credit_order_fields.html"),
    ),
    ("lists.html", include_str!("../../templates/lists.html")),
    ("list.html", include_str!("../../templates/list.html")),
    ("agenda.html", include_str!("../../templates/agenda.html")),
    (
        "key_accounts.html",
        include_str!("../../templates/key_accounts.html"),
    ),
    (
        "key_account.html",
        include_str!("../../templates/key_account.html"),
    ),
    (
        "key_account_item.html",
        include_str!("../../templates/key_account_item.html"),
    ),
    (
        "contact_policy.html",
        include_str!("../../templates/contact_policy.html"),
    ),
    (
        "compliance.html",
        include_str!("../../templates/compliance.html"),
    ),
    ("plans.html", include_str!("../../templates/plans.html")),
    (
        "plans_route.html",
        include_str!("../../templates/plans_route.html"),
    ),
    (
        "plans_location.html",
        include_str!("../../templates/plans_location.html"),
    ),
    (
        "reassignments.html",
        include_str!("../../templates/reassignments.html"),
    ),
    (
        "digest_settings.html",
        include_str!("../../templates/digest_settings.html"),
    ),
    (
        "touch_templates.html",
        include_str!("../../templates/touch_templates.html"),
    ),
    (
        "touch_template_fields.html",
        include_str!("../../templates/touch_template_fields.html"),
    ),
    (
        "touch_template_form.html",
        include_str!("../../templates/touch_template_form.html"),
    ),
    (
        "touch_use.html",
        include_str!("../../templates/touch_use.html"),
    ),
    (
        "touch_events.html",
        include_str!("../../templates/touch_events.html"),
    ),
    (
        "touch_event_fields.html",
        include_str!("../../templates/touch_event_fields.html"),
    ),
    (
        "touch_event.html",
        include_str!("../../templates/touch_event.html"),
    ),
    (
        "touch_requests.html",
        include_str!("../../templates/touch_requests.html"),
    ),
    (
        "touch_request_form.html",
        include_str!("../../templates/touch_request_form.html"),
    ),
    ("churn.html", include_str!("../../templates/churn.html")),
    ("surveys.html", include_str!("../../templates/surveys.html")),
    ("survey.html", include_str!("../../templates/survey.html")),
    (
        "survey_answer.html",
        include_str!("../../templates/survey_answer.html"),
    ),
    (
        "survey_answers_table.html",
        include_str!("../../templates/survey_answers_table.html"),
    ),
    (
        "survey_def_form.html",
        include_str!("../../templates/survey_def_form.html"),
    ),
    (
        "survey_questions.html",
        include_str!("../../templates/survey_questions.html"),
    ),
    (
        "surveys_section.html",
        include_str!("../../templates/surveys_section.html"),
    ),
    (
        "link_made.html",
        include_str!("../../templates/link_made.html"),
    ),
    (
        "public_form.html",
        include_str!("../../templates/public_form.html"),
    ),
    (
        "indicators.html",
        include_str!("../../templates/indicators.html"),
    ),
    (
        "complaints.html",
        include_str!("../../templates/complaints.html"),
    ),
    (
        "complaint.html",
        include_str!("../../templates/complaint.html"),
    ),
    (
        "complaint_form.html",
        include_str!("../../templates/complaint_form.html"),
    ),
    (
        "complaint_settings.html",
        include_str!("../../templates/complaint_settings.html"),
    ),
];

/// `t("key", name=value, …)` in templates: the message in the page's language.
fn t(state: &State, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default();
    let mut args: Vec<(String, FluentValue<'static>)> = Vec::new();
    for k in kwargs.args() {
        let v: Value = kwargs.get(k)?;
        let fv = if let Some(n) = v.as_i64() {
            FluentValue::from(n)
        } else {
            FluentValue::from(
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string()),
            )
        };
        args.push((k.to_owned(), fv));
    }
    let refs: Vec<(&str, FluentValue<'_>)> =
        args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    Ok(i18n::tr(lang, key, &refs))
}

/// What every page knows about its request: the signed-in user (if any), the language, the
/// path (for the language switcher's return).
#[derive(Debug, Clone)]
pub struct Page {
    pub caller: Option<Caller>,
    pub lang: Lang,
    pub path: String,
}

impl axum::extract::FromRequestParts<AppState> for Page {
    type Rejection = UiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = session_caller(state, &parts.headers).await?;
        let lang = pick_lang(caller.as_ref(), &parts.headers);
        Ok(Page {
            caller,
            lang,
            path: path_and_query(&parts.uri),
        })
    }
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

/// The session of the cookie only: the HTML UI never acts on a Bearer token.
async fn session_caller(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, UiError> {
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty() && t.len() <= 200)
    else {
        return Ok(None);
    };
    Ok(state.store.get_session(token).await?.map(|s| Caller {
        scope: Scope::of(&s.user),
        user: s.user,
        via: Via::Session {
            token: token.to_owned(),
            csrf_token: s.csrf_token,
        },
    }))
}

/// The user's setting, else the language cookie, else `Accept-Language`.
fn pick_lang(caller: Option<&Caller>, headers: &HeaderMap) -> Lang {
    caller
        .and_then(|c| c.user.language.as_deref())
        .and_then(Lang::parse)
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

impl Page {
    /// The signed-in user, or a redirect to the sign-in page that comes back here.
    pub fn user(&self) -> Result<&Caller, UiError> {
        self.caller
            .as_ref()
            .ok_or_else(|| UiError::SignIn(self.path.clone()))
    }

    /// Checks the form's CSRF token against the session's (synchroniser token pattern).
    pub fn check_csrf(&self, sent: &str) -> Result<&Caller, UiError> {
        let c = self.user()?;
        if same_secret(sent, c.csrf_token()) {
            Ok(c)
        } else {
            Err(UiError::Csrf)
        }
    }

    pub fn t(&self, key: &str) -> String {
        i18n::tr(self.lang, key, &[])
    }

    /// Renders `template` with the page's common context plus `extra`.
    pub fn render(&self, template: &str, extra: serde_json::Value) -> Response {
        self.render_status(StatusCode::OK, template, extra)
    }

    pub fn render_status(
        &self,
        status: StatusCode,
        template: &str,
        extra: serde_json::Value,
    ) -> Response {
        let mut ctx = json!({
            "lang": self.lang.tag(),
            "path": self.path,
            "css": assets::url("patron.css"),
            "js": assets::url("patron.js"),
            "csrf": self.caller.as_ref().map(|c| c.csrf_token()).unwrap_or(""),
            "user": self.caller.as_ref().map(|c| json!({
                "name": c.user.name,
                "staff_level": c.user.staff_level.as_str(),
                "can_import": c.scope == Scope::All,
                "can_merge": patron_core::Permissions::can_change_archive(&c.user),
                "can_see_classes": patron_core::Permissions::can_change_archive(&c.user),
                "can_manage_credit": patron_core::Permissions::can_manage_credit(&c.user),
                "is_admin": c.user.staff_level == patron_core::StaffLevel::Administrator,
            })),
            "languages": Lang::ALL.iter().map(|l| json!({"tag": l.tag(), "name": l.native_name()})).collect::<Vec<_>>(),
        });
        if let (Some(base), serde_json::Value::Object(more)) = (ctx.as_object_mut(), extra) {
            base.extend(more);
        }
        let html = env()
            .get_template(template)
            .and_then(|t| t.render(Value::from_serialize(&ctx)));
        match html {
            Ok(body) => (
                status,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                body,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(template, error = %e, "rendering failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// Why a page could not be shown; each becomes a page in the user's language.
#[derive(Debug)]
pub enum UiError {
    /// Not signed in: go to the sign-in page, then back to this path.
    SignIn(String),
    NotFound,
    Forbidden,
    Csrf,
    Store(StoreError),
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => UiError::NotFound,
            e => UiError::Store(e),
        }
    }
}

impl From<crate::error::ApiError> for UiError {
    fn from(e: crate::error::ApiError) -> Self {
        match e {
            crate::error::ApiError::Store(s) => s.into(),
            crate::error::ApiError::Forbidden => UiError::Forbidden,
            other => UiError::Store(StoreError::other(
                "web layer",
                ApiErrorText(other.to_string()),
            )),
        }
    }
}

#[derive(Debug)]
struct ApiErrorText(String);
impl std::fmt::Display for ApiErrorText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ApiErrorText {}

impl UiError {
    /// Renders the error in `page`'s language.
    pub fn render(self, page: &Page) -> Response {
        let (status, heading, text) = match self {
            UiError::SignIn(next) => {
                let to = format!("/sign-in?next={}", urlencode(&next));
                return Redirect::to(&to).into_response();
            }
            UiError::NotFound => (
                StatusCode::NOT_FOUND,
                "page-not-found",
                "page-not-found-text",
            ),
            UiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "page-forbidden",
                "page-forbidden-text",
            ),
            UiError::Csrf => (StatusCode::FORBIDDEN, "page-csrf", "page-csrf-text"),
            UiError::Store(e) => {
                tracing::error!(error = %e, "page failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        page.render_status(
            status,
            "message.html",
            json!({"heading": heading, "text": text}),
        )
    }
}

impl IntoResponse for UiError {
    /// Without the page (an extractor failed): English, which only happens for storage failures.
    fn into_response(self) -> Response {
        let page = Page {
            caller: None,
            lang: Lang::En,
            path: "/".into(),
        };
        self.render(&page)
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// A local path to return to after a form; anything else (another host, `//evil`) becomes `/`.
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/".into()
    }
}

/// A `303 See Other` with an optional notice message key carried in the query.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn templates_compile_and_use_only_known_keys() {
        let en: BTreeSet<String> = i18n::message_ids(Lang::En).into_iter().collect();
        for (name, src) in TEMPLATES {
            let mut e = Environment::new();
            for (n, s) in TEMPLATES {
                e.add_template(n, s)
                    .unwrap_or_else(|err| panic!("{n}: {err}"));
            }
            assert!(e.get_template(name).is_ok());
            // Literal keys: t("key" …).
            let mut rest = *src;
            while let Some(i) = rest.find("t(\"") {
                let after = &rest[i + 3..];
                let end = after.find('"').unwrap_or(0);
                let key = &after[..end];
                if !key.ends_with('-') {
                    assert!(en.contains(key), "{name} uses unknown key {key}");
                }
                rest = &after[end..];
            }
        }
    }

    #[test]
    fn next_paths_stay_local() {
        assert_eq!(safe_next("/customers?q=1"), "/customers?q=1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
    }
}
