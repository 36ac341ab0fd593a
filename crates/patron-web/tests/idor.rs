//! IDOR sweep (issue 7, point 6), on both backends: representative A holds one customer with one
//! record of every kind the API has; representative B, with a bearer token, with the session
//! cookie on the API, and with the session cookie on the HTML UI, asks for every route that
//! addresses a record by id, using A's ids — reading, and writing with a well-formed body.
//!
//! Each answer must be the refusal the project uses (404 for a record outside the caller's scope,
//! exactly as for a record that does not exist; 403 for an act the caller's role may not do at
//! all; 422 naming the field for an id in a body; 200 for the records every user shares, such as
//! products and events, with only B's part of them), none may carry A's data, and afterwards a
//! manager reads all of A's records unchanged.
//!
//! The tables are data-driven and checked against the route tables themselves
//! (`patron_web::router::API_ROUTES`, and the `.route(…)` calls of `src/router.rs` and
//! `src/ui/mod.rs`): a route with a path parameter added later without an entry here fails
//! `every_parametrised_route_has_an_idor_entry`.

use patron_core::{CustomerInput, CustomerKind, StaffLevel};
use patron_store::testkit::TestDb;
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{spawn, user, Api, App};

/// Every text of A's records contains this word (any case): it must not appear in anything B
/// gets back. Records every user shares (templates, events, surveys, products) do
/// not carry it.
const MARK: &str = "aardvark";

/// Routes with a path parameter that address no per-customer record, and why.
const API_EXEMPT: &[(&str, &str, &str)] = &[(
    "get",
    "/calendar/{file}",
    // Addressed by the secret of a calendar feed, not by an id; B guessing A's is a case of
    // the sweep (`calendar_guess`) but the route is public, outside `API_ROUTES`.
    "public, secret-addressed calendar feed",
)];

const UI_EXEMPT: &[(&str, &str, &str)] = &[
    // Static files compiled into the binary.
    ("get", "/assets/{file}", "static assets"),
    // The customer's own forms, addressed by an unguessable secret (forging one is tested in
    // security.rs; guessing with A's link id is a case below).
    ("post", "/p/{secret}", "public form, secret-addressed"),
];

/// A's records (and B's customer, for bodies that need a customer of B's).
#[derive(Debug)]
struct Fx {
    ann: i64,
    a: i64,
    b: i64,
    kp: i64,
    product: i64,
    order: i64,
    interaction: i64,
    payment: i64,
    plan: i64,
    account_plan: i64,
    project: i64,
    action: i64,
    template: i64,
    event: i64,
    invitation: i64,
    request: i64,
    survey: i64,
    link: i64,
    complaint: i64,
    promotion: i64,
    job: i64,
    ann_token: i64,
    today: String,
    gm_token: String,
    ben_token: String,
}

#[track_caller]
fn made(r: (u16, Value), what: &str) -> Value {
    assert!(
        r.0 == 200 || r.0 == 201,
        "setting up {what}: {} {}",
        r.0,
        r.1
    );
    r.1
}

#[track_caller]
fn id_of(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .or_else(|| v["link"]["id"].as_i64())
        .or_else(|| v["summary"]["id"].as_i64())
        .or_else(|| v["plan"]["id"].as_i64())
        .or_else(|| v["promotion"]["id"].as_i64())
        .unwrap_or_else(|| panic!("no id in {v}"))
}

fn survey_def() -> Value {
    json!({
        "title": {"en": "How are we doing?"},
        "aspects": [
            {"code": "product", "label": {"en": "Product"}},
            {"code": "service", "label": {"en": "Service"}}
        ]
    })
}

fn promotion_body() -> Value {
    json!({
        "name": "Spring push",
        "starts_on": "2025-03-01",
        "ends_on": "2025-03-31",
        "currency": "USD",
        "budget_minor": 100_000,
        "expected_extra_sales_minor": 1_000_000,
        "gross_margin_bp": 3000,
        "costs": [{"kind": "gift", "amount_minor": 300}]
    })
}

fn event_body() -> Value {
    let starts = chrono::Utc::now() + chrono::Duration::days(7);
    json!({"kind": "seminar", "title": "Spring seminar", "starts_at": starts,
           "ends_at": starts + chrono::Duration::hours(2)})
}

fn template_body() -> Value {
    json!({"kind": "letter", "name": "Thanks", "language": "en",
           "subject": "Thank you, {customer}", "body": "Dear {customer}"})
}

/// Three users (a general manager, representatives ann and ben), one customer each for ann and
/// ben, and under ann's customer one record of every kind.
async fn setup(app: &App) -> Fx {
    let gm = user(app, "gm@example.com", StaffLevel::GeneralManager, None).await;
    let ann = user(
        app,
        "ann@example.com",
        StaffLevel::SalesRepresentative,
        None,
    )
    .await;
    let ben = user(
        app,
        "ben@example.com",
        StaffLevel::SalesRepresentative,
        None,
    )
    .await;
    let a = app
        .store
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: "Aardvark Trading".into(),
            external_ref: Some("AARDVARK-4711".into()),
            email: Some("buyer@aardvark.example".into()),
            notes: Some("Aardvark notes".into()),
            owner_id: Some(ann.id),
            relationship_manager_id: Some(ann.id),
            ..Default::default()
        })
        .await
        .expect("a")
        .id
        .0;
    let b = app
        .store
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: "Bumblebee Stores".into(),
            owner_id: Some(ben.id),
            relationship_manager_id: Some(ben.id),
            ..Default::default()
        })
        .await
        .expect("b")
        .id
        .0;
    let g = Api::new(app, &gm).await;
    let g_token = app::token(app, &gm).await;
    let an = Api::new(app, &ann).await;
    let today = chrono::Utc::now().date_naive().to_string();

    let kp = id_of(&made(
        an.post(
            &format!("/api/v1/customers/{a}/key-persons"),
            json!({"name": "Aardvark Buyer", "email": "kp@aardvark.example"}),
        )
        .await,
        "key person",
    ));
    let product = id_of(&made(
        g.post(
            "/api/v1/products",
            json!({"name": "Widget", "product_line": "tools", "unit_price_minor": 1000}),
        )
        .await,
        "product",
    ));
    let order = id_of(&made(
        an.post(
            "/api/v1/orders",
            json!({"customer_id": a, "order_date": "2025-01-15", "ref": "AARDVARK-ORD-1",
                   "notes": "Aardvark order", "lines": [
                       {"product_id": product, "quantity": 2, "amount_minor": 2000}]}),
        )
        .await,
        "order",
    ));
    let interaction = id_of(&made(
        an.post(
            "/api/v1/interactions",
            json!({"customer_id": a, "kind": "visit", "notes": "Aardvark visit"}),
        )
        .await,
        "interaction",
    ));
    let payment = id_of(&made(
        an.post(
            &format!("/api/v1/customers/{a}/payments"),
            json!({"amount_minor": 500, "reference": "AARDVARK-PAY"}),
        )
        .await,
        "payment",
    ));
    made(
        g.post(
            &format!("/api/v1/customers/{a}/credit-reviews"),
            json!({"class": "AA", "limit_minor": 5_000_000, "term_days": 30,
                   "notes": "Aardvark references"}),
        )
        .await,
        "credit review",
    );
    made(
        an.post(
            &format!("/api/v1/customers/{a}/satisfaction"),
            json!({"aspect": "product", "score": 4, "note": "Aardvark likes it"}),
        )
        .await,
        "satisfaction",
    );
    made(
        an.put(
            &format!("/api/v1/customers/{a}/location"),
            json!({"latitude": 37.5665, "longitude": 126.978}),
        )
        .await,
        "location",
    );
    made(g.post("/api/v1/classify", json!({})).await, "classify");
    made(
        an.put(
            &format!("/api/v1/customers/{a}/loyalty-override"),
            json!({"loyalty": "switcher", "reason": "Aardvark buys elsewhere"}),
        )
        .await,
        "loyalty override",
    );
    let plan = id_of(&made(
        an.post(
            "/api/v1/plans",
            json!({"period": "month", "starts_on": "2030-01-01"}),
        )
        .await,
        "visit plan",
    ));
    let account_plan = id_of(&made(
        an.post(
            "/api/v1/account-plans",
            json!({"customer_id": a, "short_term_goals": "Aardvark goals"}),
        )
        .await,
        "account plan",
    ));
    let project = id_of(&made(
        an.post(
            &format!("/api/v1/account-plans/{account_plan}/projects"),
            json!({"kind": "competitor", "name": "Aardvark hotel", "competitor": "Rival"}),
        )
        .await,
        "project",
    ));
    let action = id_of(&made(
        an.post(
            &format!("/api/v1/account-plans/{account_plan}/actions"),
            json!({"what": "Aardvark tasting"}),
        )
        .await,
        "action",
    ));
    let template = id_of(&made(
        g.post("/api/v1/templates", template_body()).await,
        "template",
    ));
    let event = id_of(&made(
        an.post("/api/v1/events", event_body()).await,
        "event",
    ));
    made(
        an.post(
            &format!("/api/v1/events/{event}/invitations"),
            json!({"customer_ids": [a]}),
        )
        .await,
        "invitation",
    );
    let invs = made(
        an.get(&format!("/api/v1/events/{event}/invitations")).await,
        "invitations",
    );
    let invitation = id_of(&invs[0]);
    let request = id_of(&made(
        an.post(
            "/api/v1/requests",
            json!({"customer_id": a, "text": "Aardvark asks for a call"}),
        )
        .await,
        "request",
    ));
    let survey = id_of(&made(
        g.post("/api/v1/surveys", survey_def()).await,
        "survey",
    ));
    made(
        an.post(
            &format!("/api/v1/customers/{a}/survey-responses"),
            json!({"survey_id": survey, "aspects": [
                {"aspect": "product", "expected": 5, "perceived": 3}]}),
        )
        .await,
        "survey response",
    );
    let link = id_of(&made(
        an.post(
            &format!("/api/v1/customers/{a}/public-links"),
            json!({"purpose": "survey", "survey_id": survey}),
        )
        .await,
        "public link",
    ));
    let complaint = id_of(&made(
        an.post(
            "/api/v1/complaints",
            json!({"customer_id": a, "channel": "call", "summary": "Aardvark late delivery"}),
        )
        .await,
        "complaint",
    ));
    let promotion = id_of(&made(
        g.post("/api/v1/promotions", promotion_body()).await,
        "promotion",
    ));
    made(
        g.post(
            &format!("/api/v1/promotions/{promotion}/participants"),
            json!({"customer_id": a, "attitude": "enthusiastic", "notes": "Aardvark is keen"}),
        )
        .await,
        "participant",
    );
    let job = id_of(&made(
        an.post(
            "/api/v1/service-jobs",
            json!({"customer_id": a, "order_id": order, "kind": "delivery",
                   "promised_on": today, "notes": "Aardvark back door"}),
        )
        .await,
        "service job",
    ));
    let ann_token = app
        .store
        .create_api_token(ann.id, "ann's script")
        .await
        .expect("token")
        .token
        .id;
    Fx {
        ann: ann.id.0,
        a,
        b,
        kp,
        product,
        order,
        interaction,
        payment,
        plan,
        account_plan,
        project,
        action,
        template,
        event,
        invitation,
        request,
        survey,
        link,
        complaint,
        promotion,
        job,
        ann_token,
        today,
        gm_token: g_token,
        ben_token: app::token(app, &ben).await,
    }
}

/// One request of the sweep: method, route template, the concrete path with A's ids, a body,
/// and the status B must get.
struct Case {
    method: &'static str,
    template: &'static str,
    path: String,
    body: Option<Value>,
    expect: u16,
}

fn case(method: &'static str, template: &'static str, path: String, expect: u16) -> Case {
    Case {
        method,
        template,
        path,
        body: None,
        expect,
    }
}

fn with(
    method: &'static str,
    template: &'static str,
    path: String,
    body: Value,
    expect: u16,
) -> Case {
    Case {
        method,
        template,
        path,
        body: Some(body),
        expect,
    }
}

const LISTS: [&str; 7] = [
    "gold",
    "drag",
    "targets",
    "complaining",
    "slipping",
    "narrow",
    "credit",
];

/// The API table: every route with a path parameter, with A's ids.
fn api_cases(f: &Fx) -> Vec<Case> {
    let Fx {
        a,
        b,
        kp,
        product,
        order,
        interaction,
        payment,
        plan,
        account_plan: ap,
        project,
        action,
        template,
        event,
        invitation,
        request,
        survey,
        link,
        complaint,
        promotion,
        job,
        ..
    } = *f;
    let hijack = "hijacked by ben";
    let mut v = vec![
        // Customers and what hangs off them: not found.
        case(
            "get",
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{a}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{a}"),
            json!({"name": hijack, "owner_id": f.ann + 2}),
            404,
        ),
        case(
            "delete",
            "/api/v1/customers/{id}",
            format!("/api/v1/customers/{a}"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/overview",
            format!("/api/v1/customers/{a}/overview"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/score",
            format!("/api/v1/customers/{a}/score"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/classes",
            format!("/api/v1/customers/{a}/classes"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/class-history",
            format!("/api/v1/customers/{a}/class-history"),
            404,
        ),
        with(
            "put",
            "/api/v1/customers/{id}/loyalty-override",
            format!("/api/v1/customers/{a}/loyalty-override"),
            json!({"loyalty": "loyal", "reason": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/customers/{id}/loyalty-override",
            format!("/api/v1/customers/{a}/loyalty-override"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/satisfaction",
            format!("/api/v1/customers/{a}/satisfaction"),
            404,
        ),
        with(
            "post",
            "/api/v1/customers/{id}/satisfaction",
            format!("/api/v1/customers/{a}/satisfaction"),
            json!({"aspect": "service", "score": 1, "note": hijack}),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/location",
            format!("/api/v1/customers/{a}/location"),
            404,
        ),
        with(
            "put",
            "/api/v1/customers/{id}/location",
            format!("/api/v1/customers/{a}/location"),
            json!({"latitude": 1.0, "longitude": 1.0}),
            404,
        ),
        case(
            "delete",
            "/api/v1/customers/{id}/location",
            format!("/api/v1/customers/{a}/location"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/credit",
            format!("/api/v1/customers/{a}/credit"),
            404,
        ),
        // Granting credit is a manager's act (403), but a customer out of sight is not found
        // first: a refusal by role would tell the customer exists.
        with(
            "post",
            "/api/v1/customers/{id}/credit-reviews",
            format!("/api/v1/customers/{a}/credit-reviews"),
            json!({"class": "C", "limit_minor": 0, "term_days": 0, "notes": hijack}),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/payments",
            format!("/api/v1/customers/{a}/payments"),
            404,
        ),
        with(
            "post",
            "/api/v1/customers/{id}/payments",
            format!("/api/v1/customers/{a}/payments"),
            json!({"amount_minor": 99, "reference": hijack}),
            404,
        ),
        case(
            "get",
            "/api/v1/payments/{id}",
            format!("/api/v1/payments/{payment}"),
            404,
        ),
        case(
            "delete",
            "/api/v1/payments/{id}",
            format!("/api/v1/payments/{payment}"),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/key-persons",
            format!("/api/v1/customers/{a}/key-persons"),
            404,
        ),
        with(
            "post",
            "/api/v1/customers/{id}/key-persons",
            format!("/api/v1/customers/{a}/key-persons"),
            json!({"name": hijack}),
            404,
        ),
        case(
            "get",
            "/api/v1/key-persons/{id}",
            format!("/api/v1/key-persons/{kp}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/key-persons/{id}",
            format!("/api/v1/key-persons/{kp}"),
            json!({"name": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/key-persons/{id}",
            format!("/api/v1/key-persons/{kp}"),
            404,
        ),
        case(
            "get",
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{order}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{order}"),
            json!({"notes": hijack}),
            404,
        ),
        // Moving A's order to B's customer is as unknown as editing it.
        with(
            "patch",
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{order}"),
            json!({"customer_id": b}),
            404,
        ),
        case(
            "delete",
            "/api/v1/orders/{id}",
            format!("/api/v1/orders/{order}"),
            404,
        ),
        case(
            "get",
            "/api/v1/interactions/{id}",
            format!("/api/v1/interactions/{interaction}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/interactions/{id}",
            format!("/api/v1/interactions/{interaction}"),
            json!({"notes": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/interactions/{id}",
            format!("/api/v1/interactions/{interaction}"),
            404,
        ),
        // Survey responses and public links of A's customer.
        case(
            "get",
            "/api/v1/customers/{id}/survey-responses",
            format!("/api/v1/customers/{a}/survey-responses"),
            404,
        ),
        with(
            "post",
            "/api/v1/customers/{id}/survey-responses",
            format!("/api/v1/customers/{a}/survey-responses"),
            json!({"survey_id": survey, "aspects": [
                {"aspect": "service", "expected": 1, "perceived": 1}]}),
            404,
        ),
        case(
            "get",
            "/api/v1/customers/{id}/public-links",
            format!("/api/v1/customers/{a}/public-links"),
            404,
        ),
        with(
            "post",
            "/api/v1/customers/{id}/public-links",
            format!("/api/v1/customers/{a}/public-links"),
            json!({"purpose": "complaint"}),
            404,
        ),
        case(
            "delete",
            "/api/v1/customers/{id}/public-links/{link_id}",
            format!("/api/v1/customers/{a}/public-links/{link}"),
            404,
        ),
        // A's link under B's own customer is not B's either.
        case(
            "delete",
            "/api/v1/customers/{id}/public-links/{link_id}",
            format!("/api/v1/customers/{b}/public-links/{link}"),
            404,
        ),
        // A's visit plan: plans are the planner's (and their managers').
        case(
            "get",
            "/api/v1/plans/{id}",
            format!("/api/v1/plans/{plan}"),
            404,
        ),
        with(
            "put",
            "/api/v1/plans/{id}",
            format!("/api/v1/plans/{plan}"),
            json!({"entries": [{"customer_id": b, "visits": 9, "calls": 9}]}),
            404,
        ),
        case(
            "get",
            "/api/v1/plans/{id}/progress",
            format!("/api/v1/plans/{plan}/progress"),
            404,
        ),
        // A's key-account plan, its projects and actions.
        case(
            "get",
            "/api/v1/account-plans/{id}",
            format!("/api/v1/account-plans/{ap}"),
            404,
        ),
        with(
            "put",
            "/api/v1/account-plans/{id}",
            format!("/api/v1/account-plans/{ap}"),
            json!({"short_term_goals": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/account-plans/{id}",
            format!("/api/v1/account-plans/{ap}"),
            404,
        ),
        with(
            "post",
            "/api/v1/account-plans/{id}/reviewed",
            format!("/api/v1/account-plans/{ap}/reviewed"),
            json!({}),
            404,
        ),
        with(
            "post",
            "/api/v1/account-plans/{id}/projects",
            format!("/api/v1/account-plans/{ap}/projects"),
            json!({"kind": "competitor", "name": hijack}),
            404,
        ),
        with(
            "put",
            "/api/v1/account-plans/{id}/projects/{item_id}",
            format!("/api/v1/account-plans/{ap}/projects/{project}"),
            json!({"kind": "ours_weak", "name": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/account-plans/{id}/projects/{item_id}",
            format!("/api/v1/account-plans/{ap}/projects/{project}"),
            404,
        ),
        with(
            "post",
            "/api/v1/account-plans/{id}/actions",
            format!("/api/v1/account-plans/{ap}/actions"),
            json!({"what": hijack}),
            404,
        ),
        with(
            "put",
            "/api/v1/account-plans/{id}/actions/{item_id}",
            format!("/api/v1/account-plans/{ap}/actions/{action}"),
            json!({"what": hijack, "status": "done"}),
            404,
        ),
        case(
            "delete",
            "/api/v1/account-plans/{id}/actions/{item_id}",
            format!("/api/v1/account-plans/{ap}/actions/{action}"),
            404,
        ),
        // Products are everyone's catalogue: readable, changed by managers only.
        case(
            "get",
            "/api/v1/products/{id}",
            format!("/api/v1/products/{product}"),
            200,
        ),
        with(
            "patch",
            "/api/v1/products/{id}",
            format!("/api/v1/products/{product}"),
            json!({"name": hijack}),
            403,
        ),
        case(
            "delete",
            "/api/v1/products/{id}",
            format!("/api/v1/products/{product}"),
            403,
        ),
        // Templates are shared; managers write them; rendering for A's customer is a 422.
        case(
            "get",
            "/api/v1/templates/{id}",
            format!("/api/v1/templates/{template}"),
            200,
        ),
        with(
            "put",
            "/api/v1/templates/{id}",
            format!("/api/v1/templates/{template}"),
            template_body(),
            403,
        ),
        case(
            "delete",
            "/api/v1/templates/{id}",
            format!("/api/v1/templates/{template}"),
            403,
        ),
        with(
            "post",
            "/api/v1/templates/{id}/render",
            format!("/api/v1/templates/{template}/render"),
            json!({"customer_id": a, "log": true}),
            422,
        ),
        // Events are shared (their counts and invitations only of B's customers); only their
        // creator and managers change them; A's customer cannot be invited or answered for.
        case(
            "get",
            "/api/v1/events/{id}",
            format!("/api/v1/events/{event}"),
            200,
        ),
        with(
            "put",
            "/api/v1/events/{id}",
            format!("/api/v1/events/{event}"),
            event_body(),
            403,
        ),
        case(
            "delete",
            "/api/v1/events/{id}",
            format!("/api/v1/events/{event}"),
            403,
        ),
        case(
            "get",
            "/api/v1/events/{id}/invitations",
            format!("/api/v1/events/{event}/invitations"),
            200,
        ),
        with(
            "post",
            "/api/v1/events/{id}/invitations",
            format!("/api/v1/events/{event}/invitations"),
            json!({"customer_ids": [a]}),
            422,
        ),
        with(
            "patch",
            "/api/v1/events/{id}/invitations",
            format!("/api/v1/events/{event}/invitations"),
            json!({"invitation_id": invitation, "reply": "declined", "attended": false}),
            422,
        ),
        with(
            "patch",
            "/api/v1/events/{id}/invitations",
            format!("/api/v1/events/{event}/invitations"),
            json!({"customer_id": a, "reply": "declined"}),
            422,
        ),
        // Customer requests.
        case(
            "get",
            "/api/v1/requests/{id}",
            format!("/api/v1/requests/{request}"),
            404,
        ),
        with(
            "post",
            "/api/v1/requests/{id}/reply",
            format!("/api/v1/requests/{request}/reply"),
            json!({"text": hijack}),
            404,
        ),
        // Questionnaires are shared, designed by managers; their answers only B's customers'.
        case(
            "get",
            "/api/v1/surveys/{id}",
            format!("/api/v1/surveys/{survey}"),
            200,
        ),
        with(
            "put",
            "/api/v1/surveys/{id}",
            format!("/api/v1/surveys/{survey}"),
            survey_def(),
            403,
        ),
        case(
            "get",
            "/api/v1/surveys/{id}/responses",
            format!("/api/v1/surveys/{survey}/responses"),
            200,
        ),
        // Churn reasons are the archive's words, set by directors.
        with(
            "put",
            "/api/v1/churn/reasons/{code}",
            "/api/v1/churn/reasons/price".into(),
            json!({"label": hijack}),
            403,
        ),
        // Complaints.
        case(
            "get",
            "/api/v1/complaints/{id}",
            format!("/api/v1/complaints/{complaint}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/complaints/{id}",
            format!("/api/v1/complaints/{complaint}"),
            json!({"details": hijack}),
            404,
        ),
        with(
            "post",
            "/api/v1/complaints/{id}/status",
            format!("/api/v1/complaints/{complaint}/status"),
            json!({"status": "closed"}),
            404,
        ),
        with(
            "post",
            "/api/v1/complaints/{id}/steps",
            format!("/api/v1/complaints/{complaint}/steps"),
            json!({"step": "listen", "note": hijack}),
            404,
        ),
        with(
            "post",
            "/api/v1/complaints/{id}/compensations",
            format!("/api/v1/complaints/{complaint}/compensations"),
            json!({"kind": "discount", "amount": "1.00"}),
            404,
        ),
        with(
            "put",
            "/api/v1/complaints/{id}/promise",
            format!("/api/v1/complaints/{complaint}/promise"),
            json!({"promise": hijack, "due": "2030-01-04"}),
            404,
        ),
        with(
            "post",
            "/api/v1/complaints/{id}/reply",
            format!("/api/v1/complaints/{complaint}/reply"),
            json!({"text": hijack}),
            404,
        ),
        // Promotions: seen by those whose customers take part (and their creator), with only
        // the participants in sight; B has none in A's, so it is not found. Managers run them:
        // B's writes are refused by role first (403), the attitude of A's customer is 404.
        case(
            "get",
            "/api/v1/promotions/{id}",
            format!("/api/v1/promotions/{promotion}"),
            404,
        ),
        with(
            "put",
            "/api/v1/promotions/{id}",
            format!("/api/v1/promotions/{promotion}"),
            promotion_body(),
            403,
        ),
        case(
            "delete",
            "/api/v1/promotions/{id}",
            format!("/api/v1/promotions/{promotion}"),
            403,
        ),
        with(
            "post",
            "/api/v1/promotions/{id}/participants",
            format!("/api/v1/promotions/{promotion}/participants"),
            json!({"customer_id": a}),
            403,
        ),
        with(
            "patch",
            "/api/v1/promotions/{id}/participants/{customer_id}",
            format!("/api/v1/promotions/{promotion}/participants/{a}"),
            json!({"attitude": "refused", "notes": hijack}),
            404,
        ),
        case(
            "delete",
            "/api/v1/promotions/{id}/participants/{customer_id}",
            format!("/api/v1/promotions/{promotion}/participants/{a}"),
            403,
        ),
        case(
            "get",
            "/api/v1/promotions/{id}/evaluation",
            format!("/api/v1/promotions/{promotion}/evaluation"),
            404,
        ),
        // Deliveries and installations.
        case(
            "get",
            "/api/v1/service-jobs/{id}",
            format!("/api/v1/service-jobs/{job}"),
            404,
        ),
        with(
            "patch",
            "/api/v1/service-jobs/{id}",
            format!("/api/v1/service-jobs/{job}"),
            json!({"notes": hijack}),
            404,
        ),
        with(
            "post",
            "/api/v1/service-jobs/{id}/notified",
            format!("/api/v1/service-jobs/{job}/notified"),
            json!({}),
            404,
        ),
        with(
            "post",
            "/api/v1/service-jobs/{id}/done",
            format!("/api/v1/service-jobs/{job}/done"),
            json!({}),
            404,
        ),
        with(
            "post",
            "/api/v1/service-jobs/{id}/late",
            format!("/api/v1/service-jobs/{job}/late"),
            json!({"reason": hijack, "promised_on": "2030-01-04"}),
            404,
        ),
        with(
            "post",
            "/api/v1/service-jobs/{id}/cancel",
            format!("/api/v1/service-jobs/{job}/cancel"),
            json!({"reason": hijack}),
            404,
        ),
        with(
            "post",
            "/api/v1/service-jobs/{id}/after-sales-call",
            format!("/api/v1/service-jobs/{job}/after-sales-call"),
            json!({"outcome": hijack}),
            404,
        ),
        // Guessing A's calendar feed by A's user id.
        case(
            "get",
            "/calendar/{file}",
            format!("/calendar/{}.ics", f.ann),
            404,
        ),
    ];
    // The value lists: B's rows only (A's customer is on `complaining` and `credit` for A).
    for name in LISTS {
        v.push(case(
            "get",
            "/api/v1/lists/{name}",
            format!("/api/v1/lists/{name}"),
            200,
        ));
    }
    v
}

/// A form: the session's CSRF token first, then `fields`.
type Form = Vec<(&'static str, String)>;

struct UiCase {
    method: &'static str,
    template: &'static str,
    path: String,
    form: Form,
    expect: u16,
}

fn ui_get(template: &'static str, path: String, expect: u16) -> UiCase {
    UiCase {
        method: "get",
        template,
        path,
        form: Vec::new(),
        expect,
    }
}

fn ui_post(
    template: &'static str,
    path: String,
    form: &[(&'static str, &str)],
    expect: u16,
) -> UiCase {
    UiCase {
        method: "post",
        template,
        path,
        form: form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        expect,
    }
}

/// The UI table: every route with a path parameter, with A's ids.
fn ui_cases(f: &Fx) -> Vec<UiCase> {
    let Fx {
        a,
        b,
        kp,
        product,
        order,
        interaction,
        payment,
        plan,
        project,
        action,
        template,
        event,
        invitation,
        request,
        survey,
        link,
        complaint,
        promotion,
        job,
        ann_token,
        ann,
        ..
    } = *f;
    let today = f.today.as_str();
    let h = "hijacked by ben";
    let a_s = a.to_string();
    let b_s = b.to_string();
    let mut v = vec![
        // Deliveries.
        ui_get("/deliveries/{id}", format!("/deliveries/{job}"), 404),
        ui_get(
            "/deliveries/{id}/edit",
            format!("/deliveries/{job}/edit"),
            404,
        ),
        ui_post(
            "/deliveries/{id}/edit",
            format!("/deliveries/{job}/edit"),
            &[
                ("kind", "installation"),
                ("promised_on", today),
                ("notes", h),
            ],
            404,
        ),
        ui_post(
            "/deliveries/{id}/notified",
            format!("/deliveries/{job}/notified"),
            &[],
            404,
        ),
        ui_post(
            "/deliveries/{id}/done",
            format!("/deliveries/{job}/done"),
            &[("done_on", today)],
            404,
        ),
        ui_post(
            "/deliveries/{id}/late",
            format!("/deliveries/{job}/late"),
            &[("reason", h), ("promised_on", "2030-01-04")],
            404,
        ),
        ui_post(
            "/deliveries/{id}/cancel",
            format!("/deliveries/{job}/cancel"),
            &[("reason", h)],
            404,
        ),
        ui_post(
            "/deliveries/{id}/after-sales-call",
            format!("/deliveries/{job}/after-sales-call"),
            &[("outcome", h)],
            404,
        ),
        // A's visit plan.
        ui_post(
            "/plans/{id}",
            format!("/plans/{plan}"),
            &[("visits", "9"), ("calls", "9")],
            404,
        ),
        // A's customer and everything under it.
        ui_get(
            "/customers/{id}/location",
            format!("/customers/{a}/location"),
            404,
        ),
        ui_post(
            "/customers/{id}/location",
            format!("/customers/{a}/location"),
            &[("latitude", "1"), ("longitude", "1")],
            404,
        ),
        ui_get("/key-accounts/{id}", format!("/key-accounts/{a}"), 404),
        ui_post(
            "/key-accounts/{id}",
            format!("/key-accounts/{a}"),
            &[("short_term_goals", h)],
            404,
        ),
        ui_post(
            "/key-accounts/{id}/reviewed",
            format!("/key-accounts/{a}/reviewed"),
            &[],
            404,
        ),
        ui_post(
            "/key-accounts/{id}/projects",
            format!("/key-accounts/{a}/projects"),
            &[("kind", "competitor"), ("name", h)],
            404,
        ),
        ui_post(
            "/key-accounts/{id}/actions",
            format!("/key-accounts/{a}/actions"),
            &[("what", h)],
            404,
        ),
        ui_get(
            "/key-account-projects/{id}/edit",
            format!("/key-account-projects/{project}/edit"),
            404,
        ),
        ui_post(
            "/key-account-projects/{id}/edit",
            format!("/key-account-projects/{project}/edit"),
            &[("kind", "ours_weak"), ("name", h)],
            404,
        ),
        ui_get(
            "/key-account-projects/{id}/delete",
            format!("/key-account-projects/{project}/delete"),
            404,
        ),
        ui_post(
            "/key-account-projects/{id}/delete",
            format!("/key-account-projects/{project}/delete"),
            &[],
            404,
        ),
        ui_get(
            "/key-account-actions/{id}/edit",
            format!("/key-account-actions/{action}/edit"),
            404,
        ),
        ui_post(
            "/key-account-actions/{id}/edit",
            format!("/key-account-actions/{action}/edit"),
            &[("what", h), ("status", "done")],
            404,
        ),
        ui_get(
            "/key-account-actions/{id}/delete",
            format!("/key-account-actions/{action}/delete"),
            404,
        ),
        ui_post(
            "/key-account-actions/{id}/delete",
            format!("/key-account-actions/{action}/delete"),
            &[],
            404,
        ),
        ui_get("/customers/{id}", format!("/customers/{a}"), 404),
        ui_get("/customers/{id}/edit", format!("/customers/{a}/edit"), 404),
        ui_post(
            "/customers/{id}/edit",
            format!("/customers/{a}/edit"),
            &[("kind", "organisation"), ("name", h)],
            404,
        ),
        ui_post(
            "/customers/{id}/interactions",
            format!("/customers/{a}/interactions"),
            &[("kind", "visit"), ("notes", h)],
            404,
        ),
        ui_post(
            "/customers/{id}/orders",
            format!("/customers/{a}/orders"),
            &[
                ("order_date", "2025-02-01"),
                ("quantity", "1"),
                ("amount", "5"),
            ],
            404,
        ),
        ui_post(
            "/customers/{id}/loyalty",
            format!("/customers/{a}/loyalty"),
            &[("loyalty", "loyal"), ("reason", h)],
            404,
        ),
        ui_post(
            "/customers/{id}/satisfaction",
            format!("/customers/{a}/satisfaction"),
            &[("aspect", "service"), ("score", "1"), ("note", h)],
            404,
        ),
        // Granting credit is a manager's act, for a customer in sight (see the API's).
        ui_post(
            "/customers/{id}/credit-reviews",
            format!("/customers/{a}/credit-reviews"),
            &[("class", "C"), ("limit", "0"), ("term_days", "0")],
            404,
        ),
        ui_post(
            "/customers/{id}/payments",
            format!("/customers/{a}/payments"),
            &[("amount", "1.00"), ("reference", h)],
            404,
        ),
        ui_get(
            "/payments/{id}/delete",
            format!("/payments/{payment}/delete"),
            404,
        ),
        ui_post(
            "/payments/{id}/delete",
            format!("/payments/{payment}/delete"),
            &[],
            404,
        ),
        ui_get(
            "/customers/{id}/key-persons/new",
            format!("/customers/{a}/key-persons/new"),
            404,
        ),
        ui_post(
            "/customers/{id}/key-persons/new",
            format!("/customers/{a}/key-persons/new"),
            &[("name", h)],
            404,
        ),
        ui_get(
            "/key-persons/{id}/edit",
            format!("/key-persons/{kp}/edit"),
            404,
        ),
        ui_post(
            "/key-persons/{id}/edit",
            format!("/key-persons/{kp}/edit"),
            &[("name", h)],
            404,
        ),
        ui_get(
            "/key-persons/{id}/delete",
            format!("/key-persons/{kp}/delete"),
            404,
        ),
        ui_post(
            "/key-persons/{id}/delete",
            format!("/key-persons/{kp}/delete"),
            &[],
            404,
        ),
        // Promotions: as in the API (not found for B; managers' writes 403 by role).
        ui_get("/promotions/{id}", format!("/promotions/{promotion}"), 404),
        ui_get(
            "/promotions/{id}/edit",
            format!("/promotions/{promotion}/edit"),
            403,
        ),
        ui_post(
            "/promotions/{id}/edit",
            format!("/promotions/{promotion}/edit"),
            &[
                ("name", h),
                ("starts_on", "2025-03-01"),
                ("ends_on", "2025-03-31"),
            ],
            403,
        ),
        ui_get(
            "/promotions/{id}/delete",
            format!("/promotions/{promotion}/delete"),
            403,
        ),
        ui_post(
            "/promotions/{id}/delete",
            format!("/promotions/{promotion}/delete"),
            &[],
            403,
        ),
        ui_post(
            "/promotions/{id}/participants",
            format!("/promotions/{promotion}/participants"),
            &[("customer", &a_s), ("attitude", "positive")],
            403,
        ),
        ui_post(
            "/promotions/{id}/participants/{customer}",
            format!("/promotions/{promotion}/participants/{a}"),
            &[("customer", &a_s), ("attitude", "refused"), ("notes", h)],
            404,
        ),
        ui_post(
            "/promotions/{id}/participants/{customer}/remove",
            format!("/promotions/{promotion}/participants/{a}/remove"),
            &[],
            403,
        ),
        ui_get(
            "/promotions/{id}/evaluation",
            format!("/promotions/{promotion}/evaluation"),
            404,
        ),
        // Products: the shared catalogue, changed by managers.
        ui_get(
            "/products/{id}/edit",
            format!("/products/{product}/edit"),
            403,
        ),
        ui_post(
            "/products/{id}/edit",
            format!("/products/{product}/edit"),
            &[("name", h)],
            403,
        ),
        ui_get("/orders/{id}/edit", format!("/orders/{order}/edit"), 404),
        ui_post(
            "/orders/{id}/edit",
            format!("/orders/{order}/edit"),
            &[
                ("order_date", "2025-02-01"),
                ("notes", h),
                ("customer", &b_s),
            ],
            404,
        ),
        ui_get(
            "/orders/{id}/delete",
            format!("/orders/{order}/delete"),
            404,
        ),
        ui_post(
            "/orders/{id}/delete",
            format!("/orders/{order}/delete"),
            &[],
            404,
        ),
        ui_get(
            "/interactions/{id}/edit",
            format!("/interactions/{interaction}/edit"),
            404,
        ),
        ui_post(
            "/interactions/{id}/edit",
            format!("/interactions/{interaction}/edit"),
            &[("kind", "call"), ("notes", h)],
            404,
        ),
        ui_get(
            "/interactions/{id}/delete",
            format!("/interactions/{interaction}/delete"),
            404,
        ),
        ui_post(
            "/interactions/{id}/delete",
            format!("/interactions/{interaction}/delete"),
            &[],
            404,
        ),
        // Imports are a manager's: a representative is refused whatever the upload.
        ui_get("/import/{upload}", "/import/0123456789abcdef".into(), 403),
        ui_post(
            "/import/{upload}",
            "/import/0123456789abcdef".into(),
            &[],
            403,
        ),
        ui_get(
            "/import/jobs/{upload}",
            "/import/jobs/0123456789abcdef".into(),
            403,
        ),
        // Users are the administrator's.
        ui_post(
            "/users/{id}",
            format!("/users/{ann}"),
            &[("role", "administrator"), ("active", "on")],
            403,
        ),
        ui_post(
            "/users/{id}/password",
            format!("/users/{ann}/password"),
            &[("password", "ben knows it now")],
            403,
        ),
        // Templates: shared, written by managers.
        ui_get(
            "/templates/{id}/edit",
            format!("/templates/{template}/edit"),
            403,
        ),
        ui_post(
            "/templates/{id}/edit",
            format!("/templates/{template}/edit"),
            &[
                ("kind", "letter"),
                ("name", h),
                ("language", "en"),
                ("body", h),
            ],
            403,
        ),
        ui_post(
            "/templates/{id}/delete",
            format!("/templates/{template}/delete"),
            &[],
            403,
        ),
        // Events: shared; changed by their creator and managers; B answers for B's customers.
        ui_get("/events/{id}", format!("/events/{event}"), 200),
        ui_post(
            "/events/{id}/edit",
            format!("/events/{event}/edit"),
            &[
                ("kind", "seminar"),
                ("title", h),
                ("starts_at", "2030-01-04T10:00"),
                ("ends_at", "2030-01-04T12:00"),
            ],
            403,
        ),
        ui_post(
            "/events/{id}/delete",
            format!("/events/{event}/delete"),
            &[],
            403,
        ),
        ui_post(
            "/events/{id}/invite",
            format!("/events/{event}/invite"),
            &[("customer_id", &a_s)],
            422,
        ),
        ui_post(
            "/events/{id}/invitations/{invitation}",
            format!("/events/{event}/invitations/{invitation}"),
            &[("reply", "declined"), ("attended", "")],
            404,
        ),
        // Complaints: the page and each of its forms.
        ui_get("/complaints/{id}", format!("/complaints/{complaint}"), 404),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/status"),
            &[("status", "closed")],
            404,
        ),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/steps"),
            &[("step", "listen"), ("note", h)],
            404,
        ),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/compensations"),
            &[("kind", "discount"), ("amount", "1.00")],
            404,
        ),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/promise"),
            &[("promise", h), ("due", "2030-01-04")],
            404,
        ),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/reply"),
            &[("text", h)],
            404,
        ),
        ui_post(
            "/complaints/{id}/{form}",
            format!("/complaints/{complaint}/change"),
            &[("details", h)],
            404,
        ),
        // Customer requests.
        ui_post(
            "/requests/{id}/reply",
            format!("/requests/{request}/reply"),
            &[("text", h)],
            404,
        ),
        ui_get(
            "/customers/{id}/requests/new",
            format!("/customers/{a}/requests/new"),
            404,
        ),
        ui_post(
            "/customers/{id}/requests/new",
            format!("/customers/{a}/requests/new"),
            &[("kind", "request"), ("text", h)],
            404,
        ),
        // A's personal API token.
        ui_post(
            "/tokens/{id}/revoke",
            format!("/tokens/{ann_token}/revoke"),
            &[],
            404,
        ),
        // Questionnaires: shared, designed by managers; answering for A's customer is not found.
        ui_get("/surveys/{id}", format!("/surveys/{survey}"), 200),
        ui_post(
            "/surveys/{id}",
            format!("/surveys/{survey}"),
            &[("title_en", h)],
            403,
        ),
        ui_get(
            "/customers/{id}/surveys/{survey}",
            format!("/customers/{a}/surveys/{survey}"),
            404,
        ),
        ui_post(
            "/customers/{id}/surveys/{survey}",
            format!("/customers/{a}/surveys/{survey}"),
            &[("expected_product", "1"), ("perceived_product", "1")],
            404,
        ),
        ui_post(
            "/customers/{id}/public-links",
            format!("/customers/{a}/public-links"),
            &[("purpose", "complaint")],
            404,
        ),
        ui_post(
            "/customers/{id}/public-links/{link}/revoke",
            format!("/customers/{a}/public-links/{link}/revoke"),
            &[],
            404,
        ),
        ui_post(
            "/customers/{id}/public-links/{link}/revoke",
            format!("/customers/{b}/public-links/{link}/revoke"),
            &[],
            404,
        ),
        // The public form, guessed by A's link id (the route's secret-addressed POST is exempt).
        ui_get("/p/{secret}", format!("/p/{link}"), 404),
    ];
    for name in LISTS {
        v.push(ui_get("/lists/{name}", format!("/lists/{name}"), 200));
    }
    v.push(ui_get(
        "/lists/{name}",
        "/lists/complaining.csv".into(),
        200,
    ));
    v
}

/// The routes of a source file's `.route("…", get(…).post(…))` calls that have a path
/// parameter, as (method, path) pairs.
fn parametrised_routes_in(source: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for chunk in source.split(".route(").skip(1) {
        let Some(rest) = chunk.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        let path = &rest[..end];
        if !path.contains('{') {
            continue;
        }
        let handlers = &rest[end..];
        for m in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{m}(");
            let found = handlers.match_indices(&needle).any(|(i, _)| {
                i == 0
                    || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && handlers.as_bytes()[i - 1] != b'_'
            });
            if found {
                out.insert((m.to_owned(), path.to_owned()));
            }
        }
    }
    out
}

fn api_routes() -> BTreeSet<(String, String)> {
    let mut all: BTreeSet<(String, String)> = patron_web::router::API_ROUTES
        .iter()
        .filter(|(_, p)| p.contains('{'))
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    // Routes outside `API_ROUTES` (the public calendar feed) are in the router's source.
    all.extend(parametrised_routes_in(include_str!("../src/router.rs")));
    all
}

fn ui_routes() -> BTreeSet<(String, String)> {
    parametrised_routes_in(include_str!("../src/ui/mod.rs"))
}

/// Fixture ids only matter for the paths; a dummy one lets the tables be built without a server.
fn dummy_fx() -> Fx {
    Fx {
        ann: 1,
        a: 2,
        b: 3,
        kp: 4,
        product: 5,
        order: 6,
        interaction: 7,
        payment: 8,
        plan: 9,
        account_plan: 10,
        project: 11,
        action: 12,
        template: 13,
        event: 14,
        invitation: 15,
        request: 16,
        survey: 17,
        link: 18,
        complaint: 19,
        promotion: 20,
        job: 21,
        ann_token: 22,
        today: "2025-01-01".into(),
        gm_token: String::new(),
        ben_token: String::new(),
    }
}

#[test]
fn every_parametrised_route_has_an_idor_entry() {
    let fx = dummy_fx();
    let check = |what: &str,
                 routes: BTreeSet<(String, String)>,
                 covered: BTreeSet<(String, String)>,
                 exempt: &[(&str, &str, &str)]| {
        let exempt: BTreeSet<(String, String)> = exempt
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        let missing: Vec<_> = routes
            .iter()
            .filter(|r| !covered.contains(*r) && !exempt.contains(*r))
            .collect();
        assert!(
            missing.is_empty(),
            "{what} routes with a path parameter but no IDOR entry: {missing:?}"
        );
        let stale: Vec<_> = covered
            .iter()
            .chain(exempt.iter())
            .filter(|r| !routes.contains(*r))
            .collect();
        assert!(
            stale.is_empty(),
            "{what} IDOR entries of no route: {stale:?}"
        );
        routes.len()
    };
    let api = check(
        "API",
        api_routes(),
        api_cases(&fx)
            .iter()
            .map(|c| (c.method.to_owned(), c.template.to_owned()))
            .collect(),
        API_EXEMPT,
    );
    let ui = check(
        "UI",
        ui_routes(),
        ui_cases(&fx)
            .iter()
            .map(|c| (c.method.to_owned(), c.template.to_owned()))
            .collect(),
        UI_EXEMPT,
    );
    // Guards the parser: the tables are far from empty.
    assert!(api > 80 && ui > 80, "{api} API and {ui} UI routes");
    // Each case's path is its template filled in.
    for (t, p) in api_cases(&fx)
        .iter()
        .map(|c| (c.template, &c.path))
        .chain(ui_cases(&fx).iter().map(|c| (c.template, &c.path)))
    {
        let (ts, ps): (Vec<_>, Vec<_>) = (t.split('/').collect(), p.split('/').collect());
        assert_eq!(ts.len(), ps.len(), "{t} vs {p}");
        for (a, b) in ts.iter().zip(&ps) {
            assert!(a.starts_with('{') || a == b, "{t} vs {p}");
        }
    }
}

/// How B calls the API.
enum Who<'a> {
    Bearer(&'a str),
    Session { cookie: &'a str, csrf: &'a str },
}

async fn call(
    app: &App,
    who: &Who<'_>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let mut rq = app.client.request(m.clone(), app.url(path));
    rq = match who {
        Who::Bearer(t) => rq.bearer_auth(t),
        Who::Session { cookie, csrf } => rq.header("cookie", *cookie).header("x-csrf-token", *csrf),
    };
    if let Some(b) = body {
        let ct = if m == reqwest::Method::PATCH {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        rq = rq.header("content-type", ct).body(b.to_string());
    }
    let r = rq.send().await.expect("send");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Everything of A's, as a general manager reads it (compared before and after the sweep).
async fn snapshot(app: &App, gm: &str, f: &Fx) -> Vec<(String, Value)> {
    let Fx {
        a,
        kp,
        order,
        interaction,
        payment,
        plan,
        account_plan,
        template,
        event,
        request,
        survey,
        complaint,
        promotion,
        job,
        product,
        ..
    } = *f;
    let paths = [
        format!("/api/v1/customers/{a}"),
        format!("/api/v1/customers/{a}/classes"),
        format!("/api/v1/customers/{a}/class-history"),
        format!("/api/v1/customers/{a}/satisfaction"),
        format!("/api/v1/customers/{a}/location"),
        format!("/api/v1/customers/{a}/credit"),
        format!("/api/v1/customers/{a}/payments"),
        format!("/api/v1/customers/{a}/key-persons"),
        format!("/api/v1/customers/{a}/survey-responses"),
        format!("/api/v1/customers/{a}/public-links"),
        format!("/api/v1/key-persons/{kp}"),
        format!("/api/v1/orders/{order}"),
        format!("/api/v1/orders?customer_id={a}"),
        format!("/api/v1/interactions?customer_id={a}"),
        format!("/api/v1/interactions/{interaction}"),
        format!("/api/v1/payments/{payment}"),
        format!("/api/v1/plans/{plan}"),
        format!("/api/v1/account-plans/{account_plan}"),
        format!("/api/v1/templates/{template}"),
        format!("/api/v1/events/{event}"),
        format!("/api/v1/events/{event}/invitations"),
        format!("/api/v1/requests/{request}"),
        format!("/api/v1/requests?customer_id={a}"),
        format!("/api/v1/surveys/{survey}"),
        format!("/api/v1/surveys/{survey}/responses"),
        format!("/api/v1/complaints/{complaint}"),
        format!("/api/v1/complaints?customer_id={a}"),
        format!("/api/v1/promotions/{promotion}"),
        format!("/api/v1/service-jobs/{job}"),
        format!("/api/v1/products/{product}"),
        "/api/v1/users".to_owned(),
        "/api/v1/churn-reasons".to_owned(),
    ];
    let mut out = Vec::new();
    for p in paths {
        let (st, body) = call(app, &Who::Bearer(gm), "get", &p, None).await;
        assert_eq!(st, 200, "snapshot {p}: {body}");
        out.push((p, serde_json::from_str(&body).unwrap_or(Value::Null)));
    }
    let tokens = app
        .store
        .list_api_tokens(patron_core::UserId(f.ann))
        .await
        .expect("tokens");
    out.push((
        "ann's tokens".into(),
        json!(tokens
            .iter()
            .map(|t| (t.id, t.revoked_at.is_some()))
            .collect::<Vec<_>>()),
    ));
    out
}

#[track_caller]
fn same_snapshot(before: &[(String, Value)], after: &[(String, Value)], what: &str) {
    for ((p, b), (_, a)) in before.iter().zip(after) {
        assert_eq!(b, a, "{what}: {p} changed");
    }
}

/// Runs the method order GET first, writes next, deletes last (a delete that got through would
/// hide what the other requests do).
fn order_of(m: &str) -> u8 {
    match m {
        "get" => 0,
        "delete" => 2,
        _ => 1,
    }
}

#[tokio::test]
async fn a_representative_reaches_nothing_of_another_through_api_and_ui() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let fx = setup(&app).await;
        let (gm, ben_token) = (fx.gm_token.clone(), fx.ben_token.clone());
        let before = snapshot(&app, &gm, &fx).await;
        // A's records are all there for A's manager-level reader, carrying the mark.
        assert!(before[0].1.to_string().to_lowercase().contains(MARK));

        let mut bb = Browser::signed_in(app.addr, "ben@example.com").await;
        let csrf = bb.csrf(&format!("/customers/{}", fx.b)).await;
        let cookie = bb.cookie().to_owned();

        let mut failures = Vec::new();
        let mut cases = api_cases(&fx);
        cases.sort_by_key(|c| order_of(c.method));
        let mut api_count = 0;
        for who in [
            Who::Bearer(&ben_token),
            Who::Session {
                cookie: &cookie,
                csrf: &csrf,
            },
        ] {
            let via = match who {
                Who::Bearer(_) => "token",
                Who::Session { .. } => "session",
            };
            for c in &cases {
                api_count += 1;
                let (st, body) = call(&app, &who, c.method, &c.path, c.body.as_ref()).await;
                if st != c.expect {
                    failures.push(format!(
                        "API {via} {} {}: {st}, expected {}: {body}",
                        c.method, c.path, c.expect
                    ));
                }
                if body.to_lowercase().contains(MARK) {
                    failures.push(format!(
                        "API {via} {} {} leaks A's data: {body}",
                        c.method, c.path
                    ));
                }
            }
        }
        let mid = snapshot(&app, &gm, &fx).await;
        same_snapshot(&before, &mid, "after B's API requests");

        let mut ui = ui_cases(&fx);
        ui.sort_by_key(|c| order_of(c.method));
        for c in &ui {
            let (st, body) = if c.method == "get" {
                bb.get(&c.path).await
            } else {
                let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
                form.extend(c.form.iter().map(|(k, v)| (*k, v.as_str())));
                let (st, _, body) = bb.post(&c.path, &form).await;
                (st, body)
            };
            if st != c.expect {
                let short: String = body.chars().take(300).collect();
                failures.push(format!(
                    "UI {} {}: {st}, expected {}: {short}",
                    c.method, c.path, c.expect
                ));
            }
            if body.to_lowercase().contains(MARK) {
                failures.push(format!("UI {} {} leaks A's data", c.method, c.path));
            }
        }
        assert!(
            failures.is_empty(),
            "{:?}: {} of {} API and {} UI requests went wrong:\n{}",
            db.backend,
            failures.len(),
            api_count,
            ui.len(),
            failures.join("\n")
        );
        eprintln!(
            "{:?}: {api_count} API requests (token and session) and {} UI requests refused",
            db.backend,
            ui.len()
        );
        let after = snapshot(&app, &gm, &fx).await;
        same_snapshot(&before, &after, "after B's UI requests");
        // B is still signed in (no request above ended the session by accident), and A's
        // customer is still A's own on A's own pages.
        let (st, _) = bb.get(&format!("/customers/{}", fx.b)).await;
        assert_eq!(st, 200);
        let ab = Browser::signed_in(app.addr, "ann@example.com").await;
        let (st, html) = ab.get(&format!("/customers/{}", fx.a)).await;
        assert_eq!(st, 200);
        assert!(html.contains("Aardvark Trading") && !html.contains("hijacked"));
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
