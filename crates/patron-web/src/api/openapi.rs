//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes.
//!
//! The document is what external tools fuzz and generate clients from, so it must describe every
//! response a request can get. The success responses sit on each handler; the error responses
//! are the same everywhere (they come from the shared extractors and [`crate::error`]), so
//! [`ProblemResponses`] adds them to every operation in one place instead of repeating them in
//! thirty attributes that could drift apart.

use super::{
    agenda, classes, credit, customers, interactions, key_persons, lists, meta, orders, products,
    satisfaction, touch,
};
use crate::error::{Problem, PROBLEM_JSON};
use axum::Json;
use patron_core::{CustomerInput, InteractionInput, KeyPersonInput, OrderInput, ProductInput};
use std::borrow::Cow;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AnyOfBuilder, Object, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Patron API",
        description = "Customer archive, orders and service record of Patron. Errors are \
                       application/problem+json (RFC 9457) with a stable `code` and the \
                       offending `field`. Lists page by keyset: pass `next_cursor` back as \
                       `cursor`. PATCH takes a JSON merge patch (RFC 7396)."
    ),
    paths(
        customers::list,
        customers::create,
        customers::get,
        customers::patch,
        customers::delete,
        customers::overview,
        customers::score,
        classes::customer_classes,
        classes::class_history,
        classes::set_loyalty_override,
        classes::delete_loyalty_override,
        satisfaction::customer_satisfaction,
        satisfaction::record,
        super::plans::get_location,
        super::plans::set_location,
        super::plans::delete_location,
        super::plans::list,
        super::plans::build,
        super::plans::get,
        super::plans::edit,
        super::plans::progress,
        super::plans::route,
        super::plans::set_start,
        super::key_accounts::list,
        super::key_accounts::create,
        super::key_accounts::get,
        super::key_accounts::update,
        super::key_accounts::delete,
        super::key_accounts::reviewed,
        super::key_accounts::add_project,
        super::key_accounts::update_project,
        super::key_accounts::delete_project,
        super::key_accounts::add_action,
        super::key_accounts::update_action,
        super::key_accounts::delete_action,
        agenda::agenda,
        agenda::act,
        agenda::policy,
        agenda::set_policy,
        agenda::settings,
        agenda::set_settings,
        agenda::compliance,
        agenda::reassignments,
        agenda::digest,
        agenda::set_digest,
        agenda::send_digest,
        agenda::feed,
        agenda::create_feed,
        agenda::revoke_feed,
        classes::classify,
        classes::summary,
        classes::movement,
        lists::get,
        classes::rules,
        classes::set_rules,
        credit::customer_credit,
        credit::create_review,
        credit::list_payments,
        credit::create_payment,
        credit::get_payment,
        credit::delete_payment,
        credit::accounts,
        key_persons::list_for_customer,
        key_persons::create,
        key_persons::list,
        key_persons::get,
        key_persons::patch,
        key_persons::delete,
        products::list,
        products::create,
        products::get,
        products::patch,
        products::delete,
        orders::list,
        orders::create,
        orders::get,
        orders::patch,
        orders::delete,
        interactions::list,
        interactions::create,
        interactions::get,
        interactions::patch,
        interactions::delete,
        touch::list_templates,
        touch::create_template,
        touch::get_template,
        touch::replace_template,
        touch::delete_template,
        touch::render_template,
        touch::list_events,
        touch::create_event,
        touch::get_event,
        touch::replace_event,
        touch::delete_event,
        touch::list_invitations,
        touch::invite,
        touch::change_invitation,
        touch::list_requests,
        touch::create_request,
        touch::get_request,
        touch::reply_request,
        super::indicators::indicators,
        super::surveys::list,
        super::surveys::create,
        super::surveys::get,
        super::surveys::update,
        super::surveys::responses,
        super::surveys::customer_responses,
        super::surveys::record,
        super::surveys::links,
        super::surveys::create_link,
        super::surveys::revoke_link,
        super::churn::report,
        super::churn::save_reason,
        super::complaints::list_complaints,
        super::complaints::create_complaint,
        super::complaints::get_complaint,
        super::complaints::change_complaint,
        super::complaints::move_complaint,
        super::complaints::complaint_step,
        super::complaints::compensate_complaint,
        super::complaints::complaint_promise,
        super::complaints::reply_complaint,
        super::complaints::get_settings,
        super::complaints::put_settings,
        super::promotions::list,
        super::promotions::create,
        super::promotions::get,
        super::promotions::update,
        super::promotions::delete,
        super::promotions::add_participant,
        super::promotions::change_participant,
        super::promotions::remove_participant,
        super::promotions::evaluation,
        meta::users,
        meta::churn_reasons,
        meta::custom_fields,
        meta::define_custom_field,
        serve,
        meta::healthz,
        meta::readyz,
        super::after_sales::list,
        super::after_sales::create,
        super::after_sales::get,
        super::after_sales::patch,
        super::after_sales::notified,
        super::after_sales::done,
        super::after_sales::late,
        super::after_sales::cancel,
        super::after_sales::after_sales_call,
    ),
    // Types used only in query parameters are not collected automatically.
    components(schemas(
        Problem,
        super::SortOrder,
        patron_store::CustomerSort,
        patron_core::LifecycleStage,
        patron_core::CustomerKind,
        patron_core::InteractionKind,
        patron_core::classify::AbcClass,
        patron_core::classify::RfmSegment,
        patron_core::classify::Loyalty,
        patron_core::classify::Dimension,
        patron_core::classify::Quadrant,
    )),
    modifiers(&ProblemResponses),
    tags(
        (name = "customers", description = "The customer archive"),
        (name = "key-persons", description = "Contacts of organisations"),
        (name = "products", description = "Products and product lines"),
        (name = "orders", description = "Orders and their lines"),
        (name = "interactions", description = "Visits, calls and other contacts"),
        (name = "classes", description = "Classification: ABC, loyalty, RFM, their history and rules"),
        (name = "credit", description = "Credit classes, reviews, payments, balances and the credit limit of orders"),
        (name = "agenda", description = "The contact plan: agendas, the visit and call policy, contact settings and compliance"),
        (name = "plans", description = "Visit plans per year, quarter and month, planned against done, customers' coordinates and the day's route"),
        (name = "key-accounts", description = "Key-account development plans: goals, our strong, competitors' and our weak projects, actions and reviews"),
        (name = "touch", description = "Keeping in touch: message templates, customer meetings and seminars, customers' opinions and requests with their 24-hour replies"),
        (name = "surveys", description = "Satisfaction surveys: questionnaires in four languages, answers taken on a call or given through a public link, their summary; the customer's public links"),
        (name = "churn", description = "Lost customers by churn reason next to the method's reference shares; the reason list"),
        (name = "indicators", description = "The five indicators per month and quarter: sales power, complaint rate, repeat-purchase rate, name recognition, reputation"),
        (name = "complaints", description = "Complaints: the 24-hour first reply, the six steps, status, compensation within the approver's authority, the promise made, and who did what when"),
        (name = "promotions", description = "Promotions run with customers: cost, expectation, participants and their attitude, expected against actual effect"),
        (name = "after-sales", description = "Deliveries and installations: promised day and window, customer notified, done or late with the reason and the new time, the after-sales call"),
        (name = "meta", description = "Read-only lists, the API document and health"),
    )
)]
pub struct ApiDoc;

/// The document as served.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document (OpenAPI 3.1, JSON).
#[utoipa::path(
    get,
    operation_id = "get_openapi_document",
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    // Built per request: it takes well under a millisecond and needs no shared state.
    Json(document())
}

/// Adds the problem responses every operation can produce, derived from what it accepts:
/// parameters can be malformed (400), a path id can be unknown (404), a body can be of the wrong
/// type, too large or invalid (415, 413, 422, 409), and anything can fail inside (500).
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if api {
                    add_problems(op);
                }
            }
        }
    }
}

fn add_problems(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_body = op.request_body.is_some();
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description).into());
    };
    if has_path || has_query || has_body {
        add(
            "400",
            "Malformed parameter or JSON, or a cursor this list did not hand out; `field` names it",
        );
    }
    if has_path {
        add("404", "No record with this id");
    }
    if has_body {
        add(
            "409",
            "Conflicts with another record (e.g. a duplicate reference)",
        );
        add("413", "The body is larger than 2 MiB");
        add("415", "The body is not JSON");
    }
    if has_body || has_query {
        add(
            "422",
            "The record is invalid; `field` and `errors` name the fields",
        );
    }
    if has_path && !has_body {
        // Deleting a record that others refer to is refused.
        add("409", "Other records still refer to this one");
    }
    add("500", "Internal error (the cause is logged, not returned)");
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The schema of a JSON merge patch of an input type, derived from the input's own schema so the
/// two cannot drift: every member optional; members the input may omit also accept `null`
/// (which clears them); members it requires do not (clearing them is refused). Unknown members
/// stay forbidden. Fuzzers and client generators then produce patches the server can apply.
fn merge_patch_schema(input: RefOr<Schema>, of: &str) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut obj)) = input else {
        return input;
    };
    let required = std::mem::take(&mut obj.required);
    for (name, prop) in obj.properties.iter_mut() {
        if !required.contains(name) {
            let original = std::mem::replace(prop, RefOr::T(Schema::default()));
            *prop = AnyOfBuilder::new()
                .item(Object::with_type(Type::Null))
                .item(original)
                .into();
        }
    }
    obj.description = Some(format!(
        "A JSON merge patch (RFC 7396) of {of}: the members to change; null clears an optional member."
    ));
    RefOr::T(Schema::Object(obj))
}

/// Registers the schemas a patch schema refers to (those of its input type), since the patch
/// reuses the input's `$ref`s to nested types.
fn patch_schemas<T: ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
}

/// Merge patch of [`CustomerInput`] (the PATCH body of a customer).
pub struct CustomerPatch;
/// Merge patch of [`KeyPersonInput`].
pub struct KeyPersonPatch;
/// Merge patch of [`ProductInput`].
pub struct ProductPatch;
/// Merge patch of [`OrderInput`].
pub struct OrderPatch;
/// Merge patch of [`InteractionInput`].
pub struct InteractionPatch;

impl PartialSchema for CustomerPatch {
    fn schema() -> RefOr<Schema> {
        merge_patch_schema(CustomerInput::schema(), "CustomerInput")
    }
}
impl ToSchema for CustomerPatch {
    fn name() -> Cow<'static, str> {
        "CustomerPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<CustomerInput>(out);
    }
}

impl PartialSchema for KeyPersonPatch {
    fn schema() -> RefOr<Schema> {
        merge_patch_schema(KeyPersonInput::schema(), "KeyPersonInput")
    }
}
impl ToSchema for KeyPersonPatch {
    fn name() -> Cow<'static, str> {
        "KeyPersonPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<KeyPersonInput>(out);
    }
}

impl PartialSchema for ProductPatch {
    fn schema() -> RefOr<Schema> {
        merge_patch_schema(ProductInput::schema(), "ProductInput")
    }
}
impl ToSchema for ProductPatch {
    fn name() -> Cow<'static, str> {
        "ProductPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<ProductInput>(out);
    }
}

impl PartialSchema for OrderPatch {
    fn schema() -> RefOr<Schema> {
        with_credit_override(merge_patch_schema(OrderInput::schema(), "OrderInput"))
    }
}
impl ToSchema for OrderPatch {
    fn name() -> Cow<'static, str> {
        "OrderPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<OrderInput>(out);
        patch_schemas::<credit::CreditOverrideBody>(out);
    }
}

/// The body of `POST /api/v1/orders`: [`OrderInput`] plus the optional `credit_override`.
pub struct OrderCreate;

/// Adds the optional `credit_override` member (see [`credit`]) to an order body's schema; built
/// from the input's own schema so the two cannot drift, and with unknown members still refused.
fn with_credit_override(input: RefOr<Schema>) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut obj)) = input else {
        return input;
    };
    obj.properties.insert(
        "credit_override".into(),
        AnyOfBuilder::new()
            .item(Object::with_type(Type::Null))
            .item(Ref::from_schema_name("CreditOverrideBody"))
            .description(Some(
                "A business manager's (or above) permission to let this order through over the \
                 customer's credit limit; recorded with the reason. Others get a 403.",
            ))
            .into(),
    );
    RefOr::T(Schema::Object(obj))
}

impl PartialSchema for OrderCreate {
    fn schema() -> RefOr<Schema> {
        with_credit_override(OrderInput::schema())
    }
}
impl ToSchema for OrderCreate {
    fn name() -> Cow<'static, str> {
        "OrderCreate".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<OrderInput>(out);
        patch_schemas::<credit::CreditOverrideBody>(out);
    }
}

impl PartialSchema for InteractionPatch {
    fn schema() -> RefOr<Schema> {
        merge_patch_schema(InteractionInput::schema(), "InteractionInput")
    }
}
impl ToSchema for InteractionPatch {
    fn name() -> Cow<'static, str> {
        "InteractionPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<InteractionInput>(out);
    }
}

/// Merge patch of [`patron_store::after_sales::ServiceJobInput`] (the PATCH body of a delivery
/// or installation).
pub struct ServiceJobPatch;

impl PartialSchema for ServiceJobPatch {
    fn schema() -> RefOr<Schema> {
        merge_patch_schema(
            patron_store::after_sales::ServiceJobInput::schema(),
            "ServiceJobInput",
        )
    }
}
impl ToSchema for ServiceJobPatch {
    fn name() -> Cow<'static, str> {
        "ServiceJobPatch".into()
    }
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        patch_schemas::<patron_store::after_sales::ServiceJobInput>(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::API_ROUTES;

    #[test]
    fn document_lists_every_route() {
        let v = serde_json::to_value(document()).expect("serialises");
        assert!(v["openapi"].as_str().is_some_and(|s| s.starts_with("3.1")));
        for (method, path) in API_ROUTES {
            assert!(
                v["paths"][path][method].is_object(),
                "{method} {path} missing from the document"
            );
        }
        let ops: usize = v["paths"]
            .as_object()
            .map(|p| {
                p.values()
                    .map(|i| i.as_object().map_or(0, |o| o.len()))
                    .sum()
            })
            .unwrap_or(0);
        assert_eq!(
            ops,
            API_ROUTES.len(),
            "the document has routes the router lacks"
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let v = serde_json::to_value(document()).expect("serialises");
        let mut seen = std::collections::BTreeSet::new();
        for item in v["paths"].as_object().into_iter().flat_map(|p| p.values()) {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                assert!(!id.is_empty(), "an operation lacks an id");
                assert!(seen.insert(id.clone()), "operationId {id} used twice");
            }
        }
    }

    #[test]
    fn patch_schemas_follow_the_inputs() {
        let v = serde_json::to_value(document()).expect("serialises");
        let schemas = &v["components"]["schemas"];
        let p = &schemas["CustomerPatch"];
        assert!(p["required"].is_null(), "nothing is required in a patch");
        assert_eq!(p["additionalProperties"], false);
        assert!(
            p["properties"]["email"]["anyOf"].is_array(),
            "optional members may be null"
        );
        assert!(
            p["properties"]["name"]["anyOf"].is_null(),
            "required members may not be null"
        );
        let body = &v["paths"]["/api/v1/customers/{id}"]["patch"]["requestBody"]["content"];
        assert_eq!(
            body["application/merge-patch+json"]["schema"]["$ref"],
            "#/components/schemas/CustomerPatch"
        );
        for name in [
            "KeyPersonPatch",
            "ProductPatch",
            "OrderPatch",
            "InteractionPatch",
        ] {
            assert!(schemas[name]["properties"].is_object(), "{name}");
        }
    }

    #[test]
    fn every_reference_resolves() {
        let v = serde_json::to_value(document()).expect("serialises");
        let text = v.to_string();
        let schemas = &v["components"]["schemas"];
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(schemas[name].is_object(), "dangling reference to {name}");
        }
    }

    #[test]
    fn errors_are_documented_as_problems() {
        let v = serde_json::to_value(document()).expect("serialises");
        let post = &v["paths"]["/api/v1/customers"]["post"]["responses"];
        for s in ["400", "409", "413", "415", "422", "500"] {
            assert!(
                post[s]["content"][PROBLEM_JSON].is_object(),
                "POST customers lacks {s}"
            );
        }
        let get = &v["paths"]["/api/v1/customers/{id}"]["get"]["responses"];
        assert!(get["404"].is_object());
    }
}
