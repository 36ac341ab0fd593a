//! The whole route table, in one place, with the middleware around it.
//!
//! Paths are written out in full (no `nest`) so this table reads exactly like the `paths` of the
//! OpenAPI document; a test checks the two agree.

use crate::api::{
    agenda, classes, credit, customers, interactions, key_persons, lists, meta, openapi, orders,
    products, satisfaction, touch,
};
use crate::error::{panic_response, ApiError};
use crate::{auth, AppState, BODY_LIMIT};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Every route of the application. The table is also the list `API_ROUTES` below, which the
/// tests compare with the OpenAPI document.
pub fn router(state: AppState) -> Router {
    // Everything under /api/v1 except the OpenAPI document needs a token or a session.
    let api = Router::new()
        .route(
            "/api/v1/customers",
            get(customers::list).post(customers::create),
        )
        .route(
            "/api/v1/customers/{id}",
            get(customers::get)
                .patch(customers::patch)
                .delete(customers::delete),
        )
        .route("/api/v1/customers/{id}/overview", get(customers::overview))
        .route("/api/v1/customers/{id}/score", get(customers::score))
        .route(
            "/api/v1/customers/{id}/classes",
            get(classes::customer_classes),
        )
        .route(
            "/api/v1/customers/{id}/class-history",
            get(classes::class_history),
        )
        .route(
            "/api/v1/customers/{id}/loyalty-override",
            axum::routing::put(classes::set_loyalty_override)
                .delete(classes::delete_loyalty_override),
        )
        .route(
            "/api/v1/customers/{id}/satisfaction",
            get(satisfaction::customer_satisfaction).post(satisfaction::record),
        )
        .route(
            "/api/v1/customers/{id}/location",
            get(crate::api::plans::get_location)
                .put(crate::api::plans::set_location)
                .delete(crate::api::plans::delete_location),
        )
        .route(
            "/api/v1/plans",
            get(crate::api::plans::list).post(crate::api::plans::build),
        )
        .route(
            "/api/v1/plans/{id}",
            get(crate::api::plans::get).put(crate::api::plans::edit),
        )
        .route(
            "/api/v1/plans/{id}/progress",
            get(crate::api::plans::progress),
        )
        .route("/api/v1/route", get(crate::api::plans::route))
        .route(
            "/api/v1/route/start",
            axum::routing::put(crate::api::plans::set_start),
        )
        .route(
            "/api/v1/account-plans",
            get(crate::api::key_accounts::list).post(crate::api::key_accounts::create),
        )
        .route(
            "/api/v1/account-plans/{id}",
            get(crate::api::key_accounts::get)
                .put(crate::api::key_accounts::update)
                .delete(crate::api::key_accounts::delete),
        )
        .route(
            "/api/v1/account-plans/{id}/reviewed",
            axum::routing::post(crate::api::key_accounts::reviewed),
        )
        .route(
            "/api/v1/account-plans/{id}/projects",
            axum::routing::post(crate::api::key_accounts::add_project),
        )
        .route(
            "/api/v1/account-plans/{id}/projects/{item_id}",
            axum::routing::put(crate::api::key_accounts::update_project)
                .delete(crate::api::key_accounts::delete_project),
        )
        .route(
            "/api/v1/account-plans/{id}/actions",
            axum::routing::post(crate::api::key_accounts::add_action),
        )
        .route(
            "/api/v1/account-plans/{id}/actions/{item_id}",
            axum::routing::put(crate::api::key_accounts::update_action)
                .delete(crate::api::key_accounts::delete_action),
        )
        .route("/api/v1/agenda", get(agenda::agenda))
        .route("/api/v1/agenda/actions", axum::routing::post(agenda::act))
        .route(
            "/api/v1/contact/policy",
            get(agenda::policy).put(agenda::set_policy),
        )
        .route(
            "/api/v1/contact/settings",
            get(agenda::settings).put(agenda::set_settings),
        )
        .route("/api/v1/contact/compliance", get(agenda::compliance))
        .route("/api/v1/contact/reassignments", get(agenda::reassignments))
        .route(
            "/api/v1/contact/digest",
            get(agenda::digest).put(agenda::set_digest),
        )
        .route(
            "/api/v1/contact/digest/send",
            axum::routing::post(agenda::send_digest),
        )
        .route(
            "/api/v1/agenda/calendar-feed",
            get(agenda::feed)
                .post(agenda::create_feed)
                .delete(agenda::revoke_feed),
        )
        .route("/api/v1/classify", axum::routing::post(classes::classify))
        .route("/api/v1/classes/summary", get(classes::summary))
        .route("/api/v1/classes/movement", get(classes::movement))
        .route("/api/v1/lists/{name}", get(lists::get))
        .route(
            "/api/v1/classes/rules",
            get(classes::rules).put(classes::set_rules),
        )
        .route(
            "/api/v1/customers/{id}/credit",
            get(credit::customer_credit),
        )
        .route(
            "/api/v1/customers/{id}/credit-reviews",
            axum::routing::post(credit::create_review),
        )
        .route(
            "/api/v1/customers/{id}/payments",
            get(credit::list_payments).post(credit::create_payment),
        )
        .route(
            "/api/v1/payments/{id}",
            get(credit::get_payment).delete(credit::delete_payment),
        )
        .route("/api/v1/credit/accounts", get(credit::accounts))
        .route(
            "/api/v1/customers/{id}/key-persons",
            get(key_persons::list_for_customer).post(key_persons::create),
        )
        .route("/api/v1/key-persons", get(key_persons::list))
        .route(
            "/api/v1/key-persons/{id}",
            get(key_persons::get)
                .patch(key_persons::patch)
                .delete(key_persons::delete),
        )
        .route(
            "/api/v1/products",
            get(products::list).post(products::create),
        )
        .route(
            "/api/v1/products/{id}",
            get(products::get)
                .patch(products::patch)
                .delete(products::delete),
        )
        .route("/api/v1/orders", get(orders::list).post(orders::create))
        .route(
            "/api/v1/orders/{id}",
            get(orders::get).patch(orders::patch).delete(orders::delete),
        )
        .route(
            "/api/v1/interactions",
            get(interactions::list).post(interactions::create),
        )
        .route(
            "/api/v1/interactions/{id}",
            get(interactions::get)
                .patch(interactions::patch)
                .delete(interactions::delete),
        )
        .route(
            "/api/v1/templates",
            get(touch::list_templates).post(touch::create_template),
        )
        .route(
            "/api/v1/templates/{id}",
            get(touch::get_template)
                .put(touch::replace_template)
                .delete(touch::delete_template),
        )
        .route(
            "/api/v1/templates/{id}/render",
            axum::routing::post(touch::render_template),
        )
        .route(
            "/api/v1/events",
            get(touch::list_events).post(touch::create_event),
        )
        .route(
            "/api/v1/events/{id}",
            get(touch::get_event)
                .put(touch::replace_event)
                .delete(touch::delete_event),
        )
        .route(
            "/api/v1/events/{id}/invitations",
            get(touch::list_invitations)
                .post(touch::invite)
                .patch(touch::change_invitation),
        )
        .route(
            "/api/v1/requests",
            get(touch::list_requests).post(touch::create_request),
        )
        .route("/api/v1/requests/{id}", get(touch::get_request))
        .route(
            "/api/v1/requests/{id}/reply",
            axum::routing::post(touch::reply_request),
        )
        .route(
            "/api/v1/surveys",
            get(crate::api::surveys::list).post(crate::api::surveys::create),
        )
        .route(
            "/api/v1/surveys/{id}",
            get(crate::api::surveys::get).put(crate::api::surveys::update),
        )
        .route(
            "/api/v1/surveys/{id}/responses",
            get(crate::api::surveys::responses),
        )
        .route(
            "/api/v1/customers/{id}/survey-responses",
            get(crate::api::surveys::customer_responses).post(crate::api::surveys::record),
        )
        .route(
            "/api/v1/customers/{id}/public-links",
            get(crate::api::surveys::links).post(crate::api::surveys::create_link),
        )
        .route(
            "/api/v1/customers/{id}/public-links/{link_id}",
            axum::routing::delete(crate::api::surveys::revoke_link),
        )
        .route("/api/v1/churn", get(crate::api::churn::report))
        .route(
            "/api/v1/churn/reasons/{code}",
            axum::routing::put(crate::api::churn::save_reason),
        )
        .route(
            "/api/v1/indicators",
            get(crate::api::indicators::indicators),
        )
        .route(
            "/api/v1/complaints",
            get(crate::api::complaints::list_complaints)
                .post(crate::api::complaints::create_complaint),
        )
        .route(
            "/api/v1/complaints/settings",
            get(crate::api::complaints::get_settings).put(crate::api::complaints::put_settings),
        )
        .route(
            "/api/v1/complaints/{id}",
            get(crate::api::complaints::get_complaint)
                .patch(crate::api::complaints::change_complaint),
        )
        .route(
            "/api/v1/complaints/{id}/status",
            axum::routing::post(crate::api::complaints::move_complaint),
        )
        .route(
            "/api/v1/complaints/{id}/steps",
            axum::routing::post(crate::api::complaints::complaint_step),
        )
        .route(
            "/api/v1/complaints/{id}/compensations",
            axum::routing::post(crate::api::complaints::compensate_complaint),
        )
        .route(
            "/api/v1/complaints/{id}/promise",
            axum::routing::put(crate::api::complaints::complaint_promise),
        )
        .route(
            "/api/v1/complaints/{id}/reply",
            axum::routing::post(crate::api::complaints::reply_complaint),
        )
        .route(
            "/api/v1/promotions",
            get(crate::api::promotions::list).post(crate::api::promotions::create),
        )
        .route(
            "/api/v1/promotions/{id}",
            get(crate::api::promotions::get)
                .put(crate::api::promotions::update)
                .delete(crate::api::promotions::delete),
        )
        .route(
            "/api/v1/promotions/{id}/participants",
            axum::routing::post(crate::api::promotions::add_participant),
        )
        .route(
            "/api/v1/promotions/{id}/participants/{customer_id}",
            axum::routing::patch(crate::api::promotions::change_participant)
                .delete(crate::api::promotions::remove_participant),
        )
        .route(
            "/api/v1/promotions/{id}/evaluation",
            get(crate::api::promotions::evaluation),
        )
        .route("/api/v1/users", get(meta::users))
        .route("/api/v1/churn-reasons", get(meta::churn_reasons))
        .route(
            "/api/v1/custom-fields",
            get(meta::custom_fields).post(meta::define_custom_field),
        )
        // After-sales: deliveries and installations (METHOD §6).
        .route(
            "/api/v1/service-jobs",
            get(crate::api::after_sales::list).post(crate::api::after_sales::create),
        )
        .route(
            "/api/v1/service-jobs/{id}",
            get(crate::api::after_sales::get).patch(crate::api::after_sales::patch),
        )
        .route(
            "/api/v1/service-jobs/{id}/notified",
            axum::routing::post(crate::api::after_sales::notified),
        )
        .route(
            "/api/v1/service-jobs/{id}/done",
            axum::routing::post(crate::api::after_sales::done),
        )
        .route(
            "/api/v1/service-jobs/{id}/late",
            axum::routing::post(crate::api::after_sales::late),
        )
        .route(
            "/api/v1/service-jobs/{id}/cancel",
            axum::routing::post(crate::api::after_sales::cancel),
        )
        .route(
            "/api/v1/service-jobs/{id}/after-sales-call",
            axum::routing::post(crate::api::after_sales::after_sales_call),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::api_auth,
        ));
    let public = Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/calendar/{file}", get(agenda::calendar_file));

    crate::metrics::install();
    api.merge(public)
        .merge(crate::ui::routes())
        // Counted by route template (only matched routes carry one).
        .route_layer(middleware::from_fn(crate::metrics::track))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response))
        // Headers every response carries unless its handler set its own (the public forms send
        // `Referrer-Policy: no-referrer`, so their secret address never leaks in a referrer).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// The span of one request in the logs: method, address and version, like tower-http's default
/// span, but with the secret of the paths whose secret is the credential (a customer's public
/// form, `/p/{secret}`; a calendar feed, `/calendar/{secret}.ics`) left out — anyone who can read
/// the logs could otherwise answer the form or read the agenda.
fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        uri = %loggable_uri(req.uri()),
        version = ?req.version(),
    )
}

/// The request's address as the logs show it (see [`request_span`]).
fn loggable_uri(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    for prefix in ["/p/", "/calendar/"] {
        if path.starts_with(prefix) {
            return format!("{prefix}[secret]");
        }
    }
    uri.path_and_query()
        .map_or_else(|| path.to_owned(), ToString::to_string)
}

/// The Content-Security-Policy of every response: scripts, styles, images and requests from
/// Patron itself only (inline `style` attributes allowed; no inline script anywhere), no
/// framing by other sites, forms posting only back to Patron.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Method and path of every route, as the OpenAPI document must list them (the document is
/// fuzzed, so a route missing from it would go untested).
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/{id}"),
    ("patch", "/api/v1/customers/{id}"),
    ("delete", "/api/v1/customers/{id}"),
    ("get", "/api/v1/customers/{id}/overview"),
    ("get", "/api/v1/customers/{id}/score"),
    ("get", "/api/v1/customers/{id}/classes"),
    ("get", "/api/v1/customers/{id}/class-history"),
    ("put", "/api/v1/customers/{id}/loyalty-override"),
    ("delete", "/api/v1/customers/{id}/loyalty-override"),
    ("get", "/api/v1/customers/{id}/satisfaction"),
    ("post", "/api/v1/customers/{id}/satisfaction"),
    ("get", "/api/v1/customers/{id}/location"),
    ("put", "/api/v1/customers/{id}/location"),
    ("delete", "/api/v1/customers/{id}/location"),
    ("get", "/api/v1/plans"),
    ("post", "/api/v1/plans"),
    ("get", "/api/v1/plans/{id}"),
    ("put", "/api/v1/plans/{id}"),
    ("get", "/api/v1/plans/{id}/progress"),
    ("get", "/api/v1/route"),
    ("put", "/api/v1/route/start"),
    ("get", "/api/v1/account-plans"),
    ("post", "/api/v1/account-plans"),
    ("get", "/api/v1/account-plans/{id}"),
    ("put", "/api/v1/account-plans/{id}"),
    ("delete", "/api/v1/account-plans/{id}"),
    ("post", "/api/v1/account-plans/{id}/reviewed"),
    ("post", "/api/v1/account-plans/{id}/projects"),
    ("put", "/api/v1/account-plans/{id}/projects/{item_id}"),
    ("delete", "/api/v1/account-plans/{id}/projects/{item_id}"),
    ("post", "/api/v1/account-plans/{id}/actions"),
    ("put", "/api/v1/account-plans/{id}/actions/{item_id}"),
    ("delete", "/api/v1/account-plans/{id}/actions/{item_id}"),
    ("get", "/api/v1/agenda"),
    ("post", "/api/v1/agenda/actions"),
    ("get", "/api/v1/contact/policy"),
    ("put", "/api/v1/contact/policy"),
    ("get", "/api/v1/contact/settings"),
    ("put", "/api/v1/contact/settings"),
    ("get", "/api/v1/contact/compliance"),
    ("get", "/api/v1/contact/reassignments"),
    ("get", "/api/v1/contact/digest"),
    ("put", "/api/v1/contact/digest"),
    ("post", "/api/v1/contact/digest/send"),
    ("get", "/api/v1/agenda/calendar-feed"),
    ("post", "/api/v1/agenda/calendar-feed"),
    ("delete", "/api/v1/agenda/calendar-feed"),
    ("post", "/api/v1/classify"),
    ("get", "/api/v1/classes/summary"),
    ("get", "/api/v1/classes/movement"),
    ("get", "/api/v1/lists/{name}"),
    ("get", "/api/v1/classes/rules"),
    ("put", "/api/v1/classes/rules"),
    ("get", "/api/v1/customers/{id}/credit"),
    ("post", "/api/v1/customers/{id}/credit-reviews"),
    ("get", "/api/v1/customers/{id}/payments"),
    ("post", "/api/v1/customers/{id}/payments"),
    ("get", "/api/v1/payments/{id}"),
    ("delete", "/api/v1/payments/{id}"),
    ("get", "/api/v1/credit/accounts"),
    ("get", "/api/v1/customers/{id}/key-persons"),
    ("post", "/api/v1/customers/{id}/key-persons"),
    ("get", "/api/v1/key-persons"),
    ("get", "/api/v1/key-persons/{id}"),
    ("patch", "/api/v1/key-persons/{id}"),
    ("delete", "/api/v1/key-persons/{id}"),
    ("get", "/api/v1/products"),
    ("post", "/api/v1/products"),
    ("get", "/api/v1/products/{id}"),
    ("patch", "/api/v1/products/{id}"),
    ("delete", "/api/v1/products/{id}"),
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/{id}"),
    ("patch", "/api/v1/orders/{id}"),
    ("delete", "/api/v1/orders/{id}"),
    ("get", "/api/v1/interactions"),
    ("post", "/api/v1/interactions"),
    ("get", "/api/v1/interactions/{id}"),
    ("patch", "/api/v1/interactions/{id}"),
    ("delete", "/api/v1/interactions/{id}"),
    ("get", "/api/v1/templates"),
    ("post", "/api/v1/templates"),
    ("get", "/api/v1/templates/{id}"),
    ("put", "/api/v1/templates/{id}"),
    ("delete", "/api/v1/templates/{id}"),
    ("post", "/api/v1/templates/{id}/render"),
    ("get", "/api/v1/events"),
    ("post", "/api/v1/events"),
    ("get", "/api/v1/events/{id}"),
    ("put", "/api/v1/events/{id}"),
    ("delete", "/api/v1/events/{id}"),
    ("get", "/api/v1/events/{id}/invitations"),
    ("post", "/api/v1/events/{id}/invitations"),
    ("patch", "/api/v1/events/{id}/invitations"),
    ("get", "/api/v1/requests"),
    ("post", "/api/v1/requests"),
    ("get", "/api/v1/requests/{id}"),
    ("post", "/api/v1/requests/{id}/reply"),
    ("get", "/api/v1/indicators"),
    ("get", "/api/v1/surveys"),
    ("post", "/api/v1/surveys"),
    ("get", "/api/v1/surveys/{id}"),
    ("put", "/api/v1/surveys/{id}"),
    ("get", "/api/v1/surveys/{id}/responses"),
    ("get", "/api/v1/customers/{id}/survey-responses"),
    ("post", "/api/v1/customers/{id}/survey-responses"),
    ("get", "/api/v1/customers/{id}/public-links"),
    ("post", "/api/v1/customers/{id}/public-links"),
    ("delete", "/api/v1/customers/{id}/public-links/{link_id}"),
    ("get", "/api/v1/churn"),
    ("put", "/api/v1/churn/reasons/{code}"),
    ("get", "/api/v1/complaints"),
    ("post", "/api/v1/complaints"),
    ("get", "/api/v1/complaints/settings"),
    ("put", "/api/v1/complaints/settings"),
    ("get", "/api/v1/complaints/{id}"),
    ("patch", "/api/v1/complaints/{id}"),
    ("post", "/api/v1/complaints/{id}/status"),
    ("post", "/api/v1/complaints/{id}/steps"),
    ("post", "/api/v1/complaints/{id}/compensations"),
    ("put", "/api/v1/complaints/{id}/promise"),
    ("post", "/api/v1/complaints/{id}/reply"),
    ("get", "/api/v1/promotions"),
    ("post", "/api/v1/promotions"),
    ("get", "/api/v1/promotions/{id}"),
    ("put", "/api/v1/promotions/{id}"),
    ("delete", "/api/v1/promotions/{id}"),
    ("post", "/api/v1/promotions/{id}/participants"),
    (
        "patch",
        "/api/v1/promotions/{id}/participants/{customer_id}",
    ),
    (
        "delete",
        "/api/v1/promotions/{id}/participants/{customer_id}",
    ),
    ("get", "/api/v1/promotions/{id}/evaluation"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/churn-reasons"),
    ("get", "/api/v1/custom-fields"),
    ("post", "/api/v1/custom-fields"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/v1/service-jobs"),
    ("post", "/api/v1/service-jobs"),
    ("get", "/api/v1/service-jobs/{id}"),
    ("patch", "/api/v1/service-jobs/{id}"),
    ("post", "/api/v1/service-jobs/{id}/notified"),
    ("post", "/api/v1/service-jobs/{id}/done"),
    ("post", "/api/v1/service-jobs/{id}/late"),
    ("post", "/api/v1/service-jobs/{id}/cancel"),
    ("post", "/api/v1/service-jobs/{id}/after-sales-call"),
];

async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
