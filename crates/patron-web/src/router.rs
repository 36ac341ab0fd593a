//! The whole route table, in one place, with the middleware around it.
//!
//! Paths are written out in full (no `nest`) so this table reads exactly like the `paths` of the
//! OpenAPI document; a test checks the two agree.

use crate::api::{
    agenda, classes, credit, customers, interactions, key_persons, lists, meta, openapi, orders,
    products, satisfaction,
};
use crate::error::{panic_response, ApiError};
use crate::{auth, AppState, BODY_LIMIT};
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
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
        .route("/api/v1/users", get(meta::users))
        .route("/api/v1/churn-reasons", get(meta::churn_reasons))
        .route(
            "/api/v1/custom-fields",
            get(meta::custom_fields).post(meta::define_custom_field),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::api_auth,
        ));
    let public = Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/healthz", get(meta::healthz))
        .route("/calendar/{file}", get(agenda::calendar_file));

    api.merge(public)
        .merge(crate::ui::routes())
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

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
    ("get", "/api/v1/agenda"),
    ("post", "/api/v1/agenda/actions"),
    ("get", "/api/v1/contact/policy"),
    ("put", "/api/v1/contact/policy"),
    ("get", "/api/v1/contact/settings"),
    ("put", "/api/v1/contact/settings"),
    ("get", "/api/v1/contact/compliance"),
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
    ("get", "/api/v1/users"),
    ("get", "/api/v1/churn-reasons"),
    ("get", "/api/v1/custom-fields"),
    ("post", "/api/v1/custom-fields"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
];

async fn route_not_found() -> ApiError {
    ApiError::RouteNotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
