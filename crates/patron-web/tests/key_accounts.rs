//! Key-account development plans (METHOD §3.4) over the real server, on both backends: the JSON
//! API (list, create, validation naming fields, one plan per customer, projects, actions, the
//! review on the agenda, marking reviewed, scope) and the HTML pages (list, plan page, forms
//! with errors next to the field, the customer page's link, edit and delete pages).

use chrono::{Duration, NaiveDate};
use patron_core::{CustomerInput, CustomerKind, StaffLevel};
use patron_store::testkit::TestDb;
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{spawn, user, Api, App};

/// An A-class customer of `owner` (big orders, classified), and a small one.
async fn archive(app: &App, owner: patron_core::UserId, today: NaiveDate) -> (i64, i64) {
    let mk = |name: &str| CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: Some(owner),
        ..Default::default()
    };
    let big = app.store.create_customer(mk("大茶行")).await.expect("c").id;
    let small = app
        .store
        .create_customer(mk("Small Shop"))
        .await
        .expect("c")
        .id;
    for (c, minor) in [(big, 900_000), (small, 5_000)] {
        for k in [100, 50] {
            app.store
                .create_order(patron_core::OrderInput {
                    customer_id: c,
                    order_date: today - Duration::days(k),
                    lines: vec![patron_core::OrderLineInput {
                        product_line: Some("Tea".into()),
                        quantity: 1,
                        amount_minor: Some(minor),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .await
                .expect("order");
        }
    }
    patron_store::classes::run_classification(app.store.as_ref(), Some(today))
        .await
        .expect("classify");
    (big.0, small.0)
}

#[tokio::test]
async fn key_account_plans_over_the_api_and_the_pages() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let today = patron_store::contact::today(
            &patron_store::contact::load_settings(app.store.as_ref())
                .await
                .expect("settings"),
        );
        let rep = user(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let other = user(
            &app,
            "other@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let (big, small) = archive(&app, rep.id, today).await;
        let theirs = app
            .store
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "Theirs".into(),
                owner_id: Some(other.id),
                ..Default::default()
            })
            .await
            .expect("c")
            .id
            .0;
        let api = Api::new(&app, &rep).await;
        let them = Api::new(&app, &other).await;

        // The key accounts: Big has no plan yet.
        let (s, l) = api.get("/api/v1/account-plans").await;
        assert_eq!(s, 200, "{l}");
        assert_eq!(l["without_plan_total"], 1, "{l}");
        assert_eq!(l["without_plan"][0]["customer_id"], big);
        let (s, l) = them.get("/api/v1/account-plans").await;
        assert_eq!((s, l["without_plan_total"].clone()), (200, json!(0)));

        // Validation: a goal is required; a customer out of scope reads as unknown; a bad date.
        let (s, p) = api
            .post("/api/v1/account-plans", json!({"customer_id": big}))
            .await;
        assert_eq!(
            (s, p["field"].as_str()),
            (422, Some("short_term_goals")),
            "{p}"
        );
        let (s, p) = api
            .post(
                "/api/v1/account-plans",
                json!({"customer_id": theirs, "short_term_goals": "x"}),
            )
            .await;
        assert_eq!((s, p["field"].as_str()), (422, Some("customer_id")), "{p}");
        let (s, p) = api
            .post(
                "/api/v1/account-plans",
                json!({"customer_id": big, "short_term_goals": "x", "next_review_on": "2001-01-01"}),
            )
            .await;
        assert_eq!(
            (s, p["field"].as_str()),
            (422, Some("next_review_on")),
            "{p}"
        );
        let (s, p) = api
            .post(
                "/api/v1/account-plans",
                json!({"customer_id": big, "short_term_goals": "x", "colour": "red"}),
            )
            .await;
        assert_eq!((s, p["field"].as_str()), (422, Some("colour")), "{p}");

        // Created: the rep owns it; a second plan is a conflict.
        let (s, plan) = api
            .post(
                "/api/v1/account-plans",
                json!({"customer_id": big, "short_term_goals": "Win the hotel tender",
                       "long_term_goals": "Sole supplier", "review_every_months": 2}),
            )
            .await;
        assert_eq!(s, 201, "{plan}");
        let id = plan["id"].as_i64().expect("id");
        assert_eq!(plan["owner_id"], rep.id.0);
        assert_eq!(plan["review_every_months"], 2);
        let (s, p) = api
            .post(
                "/api/v1/account-plans",
                json!({"customer_id": big, "short_term_goals": "again"}),
            )
            .await;
        assert_eq!((s, p["field"].as_str()), (409, Some("customer_id")), "{p}");
        let (s, _) = them.get(&format!("/api/v1/account-plans/{id}")).await;
        assert_eq!(s, 404, "out of scope reads as missing");
        let (s, _) = api.get("/api/v1/account-plans/abc").await;
        assert_eq!(s, 400);

        // The review five days ahead, then on the agenda of its day.
        let due = today + Duration::days(5);
        let (s, p) = api
            .put(
                &format!("/api/v1/account-plans/{id}"),
                json!({"short_term_goals": "Win the hotel tender", "next_review_on": due}),
            )
            .await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["next_review_on"], due.to_string());
        assert_eq!(p["long_term_goals"], Value::Null, "PUT replaces the goals");
        let (s, a) = api.get(&format!("/api/v1/agenda?date={due}")).await;
        assert_eq!(s, 200, "{a}");
        let review = a["items"]
            .as_array()
            .and_then(|v| v.iter().find(|i| i["kind"] == "account_review").cloned())
            .expect("review item");
        assert_eq!(review["key"], format!("account_review:{id}:{due}"));
        assert_eq!(review["section"], "today");

        // Projects and actions, with their ids in the path.
        let (s, j) = api
            .post(
                &format!("/api/v1/account-plans/{id}/projects"),
                json!({"kind": "competitor", "name": "Hotel chain", "competitor": "Leaf & Co",
                       "value_minor": 1200000}),
            )
            .await;
        assert_eq!(s, 201, "{j}");
        let jid = j["id"].as_i64().expect("id");
        let (s, p) = api
            .post(
                &format!("/api/v1/account-plans/{id}/projects"),
                json!({"kind": "rivals", "name": "x"}),
            )
            .await;
        assert_eq!((s, p["field"].as_str()), (422, Some("kind")), "{p}");
        let (s, j) = api
            .put(
                &format!("/api/v1/account-plans/{id}/projects/{jid}"),
                json!({"kind": "ours_weak", "name": "Hotel chain"}),
            )
            .await;
        assert_eq!((s, j["kind"].as_str()), (200, Some("ours_weak")), "{j}");
        let (s, _) = api
            .put(
                &format!("/api/v1/account-plans/{id}/projects/x"),
                json!({"kind": "ours_weak", "name": "Hotel chain"}),
            )
            .await;
        assert_eq!(s, 400);
        let (s, a) = api
            .post(
                &format!("/api/v1/account-plans/{id}/actions"),
                json!({"what": "Tasting", "review_on": today - Duration::days(1)}),
            )
            .await;
        assert_eq!((s, a["field"].as_str()), (422, Some("review_on")), "{a}");
        let (s, a) = api
            .post(
                &format!("/api/v1/account-plans/{id}/actions"),
                json!({"what": "Tasting", "owner_id": other.id.0}),
            )
            .await;
        assert_eq!((s, a["field"].as_str()), (422, Some("owner_id")), "{a}");
        let (s, a) = api
            .post(
                &format!("/api/v1/account-plans/{id}/actions"),
                json!({"what": "Tasting with the buyers", "review_on": today + Duration::days(1)}),
            )
            .await;
        assert_eq!(s, 201, "{a}");
        let aid = a["id"].as_i64().expect("id");
        let (s, ag) = api.get("/api/v1/agenda").await;
        assert_eq!(s, 200);
        assert!(
            ag["items"].as_array().is_some_and(|v| v
                .iter()
                .any(|i| i["key"] == format!("plan_action:{aid}:{}", today + Duration::days(1)))),
            "{ag}"
        );
        let (s, a) = api
            .put(
                &format!("/api/v1/account-plans/{id}/actions/{aid}"),
                json!({"what": "Tasting with the buyers", "status": "done"}),
            )
            .await;
        assert_eq!((s, a["status"].as_str()), (200, Some("done")), "{a}");
        assert_eq!(a["done_on"], today.to_string());
        // An action of another plan under this plan's path is not found.
        assert_eq!(
            api.delete(&format!(
                "/api/v1/account-plans/{}/actions/{aid}",
                id + 1000
            ))
            .await,
            404
        );

        // Reviewed: today, the next one a cycle (two months) later.
        let (s, p) = api
            .post(&format!("/api/v1/account-plans/{id}/reviewed"), json!({}))
            .await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["last_reviewed_on"], today.to_string());
        assert_eq!(
            p["next_review_on"],
            patron_store::key_accounts::next_review(today, 2).to_string()
        );
        let (s, p) = api
            .post(
                &format!("/api/v1/account-plans/{id}/reviewed"),
                json!({"next_review_on": today}),
            )
            .await;
        assert_eq!(
            (s, p["field"].as_str()),
            (422, Some("next_review_on")),
            "{p}"
        );
        let (s, l) = api
            .get(&format!("/api/v1/account-plans?customer_id={big}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(l["plans"][0]["status"], "scheduled", "{l}");
        assert_eq!(l["without_plan_total"], 0);
        let (s, _) = api.get("/api/v1/account-plans?customer_id=x").await;
        assert_eq!(s, 400);

        assert_eq!(
            api.delete(&format!("/api/v1/account-plans/{id}/projects/{jid}"))
                .await,
            204
        );
        assert_eq!(
            api.delete(&format!("/api/v1/account-plans/{id}/actions/{aid}"))
                .await,
            204
        );
        assert_eq!(
            them.delete(&format!("/api/v1/account-plans/{id}")).await,
            404
        );
        assert_eq!(
            api.delete(&format!("/api/v1/account-plans/{id}")).await,
            204
        );

        // The pages.
        let mut b = Browser::new(app.addr);
        b.sign_in("rep@example.com").await;
        let (s, html) = b.get("/key-accounts").await;
        assert_eq!(s, 200);
        assert!(html.contains("大茶行") && html.contains(&format!("create-plan-{big}")));
        assert!(html.contains("id=\"nav-key-accounts\""));
        let (s, html) = b.get(&format!("/customers/{big}")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"key-account-link\""),
            "customer page links the plan"
        );
        let (_, html) = b.get(&format!("/customers/{small}")).await;
        assert!(
            !html.contains("id=\"key-account-link\""),
            "not a key account"
        );
        let path = format!("/key-accounts/{big}");
        let csrf = b.csrf(&path).await;
        let (s, _, html) = b
            .post(&path, &[("csrf", &csrf), ("review_every_months", "3")])
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"plan-short_term_goals-error\""),
            "{html}"
        );
        let (s, _, html) = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("short_term_goals", "Win the tender"),
                    ("review_every_months", "99"),
                    ("next_review_on", "tomorrow"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"plan-next_review_on-error\""), "{html}");
        assert!(html.contains("Win the tender"), "typed text kept");
        let (s, loc, _) = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("short_term_goals", "Win the tender"),
                    ("medium_term_goals", "Double the volume"),
                    ("review_every_months", "3"),
                ],
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, format!("{path}#goals").as_str()));
        let (s, _, html) = b
            .post(
                &format!("{path}/projects"),
                &[
                    ("csrf", &csrf),
                    ("kind", "competitor"),
                    ("name", ""),
                    ("value", "abc"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"project-name-error\""), "{html}");
        assert!(html.contains("id=\"project-value-error\""), "{html}");
        let (s, _, _) = b
            .post(
                &format!("{path}/projects"),
                &[
                    ("csrf", &csrf),
                    ("kind", "competitor"),
                    ("name", "Grinder programme"),
                    ("competitor", "Bean & Burr"),
                    ("value", "12,000.50"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let past = (today - Duration::days(3)).to_string();
        let (s, _, html) = b
            .post(
                &format!("{path}/actions"),
                &[("csrf", &csrf), ("what", "Quote"), ("review_on", &past)],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"action-review_on-error\""), "{html}");
        let soon = (today + Duration::days(2)).to_string();
        let (s, _, _) = b
            .post(
                &format!("{path}/actions"),
                &[
                    ("csrf", &csrf),
                    ("what", "Send the grinder quote"),
                    ("owner_id", &rep.id.0.to_string()),
                    ("review_on", &soon),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let (s, html) = b.get(&path).await;
        assert_eq!(s, 200);
        assert!(html.contains("Win the tender</p>"), "{html}");
        assert!(html.contains("Grinder programme") && html.contains("Bean &amp; Burr"));
        assert!(html.contains("$12,000.50"), "{html}");
        assert!(html.contains("Send the grinder quote"));
        let (s, loc, _) = b
            .post(&format!("{path}/reviewed"), &[("csrf", &csrf)])
            .await;
        assert_eq!((s, loc.as_str()), (303, format!("{path}#review").as_str()));
        let plan = app
            .store
            .account_plan_of(patron_core::CustomerId(big))
            .await
            .expect("plan")
            .expect("exists");
        assert_eq!(plan.last_reviewed_on, Some(today));
        // Edit the project, delete the action.
        let jid = plan.projects[0].id;
        let (s, html) = b.get(&format!("/key-account-projects/{jid}/edit")).await;
        assert_eq!(s, 200);
        assert!(html.contains("12000.50"), "{html}");
        let (s, _, _) = b
            .post(
                &format!("/key-account-projects/{jid}/edit"),
                &[
                    ("csrf", &csrf),
                    ("kind", "ours_strong"),
                    ("name", "Grinder programme"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let aid = plan.actions[0].id;
        let (s, _) = b.get(&format!("/key-account-actions/{aid}/delete")).await;
        assert_eq!(s, 200);
        let (s, _, _) = b
            .post(
                &format!("/key-account-actions/{aid}/delete"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(s, 303);
        let plan = app.store.account_plan(plan.id).await.expect("plan");
        assert!(plan.actions.is_empty());
        assert_eq!(
            plan.projects[0].kind,
            patron_store::key_accounts::ProjectKind::OursStrong
        );
        // Another representative cannot open it.
        let mut o = Browser::new(app.addr);
        o.sign_in("other@example.com").await;
        let (s, _) = o.get(&path).await;
        assert_eq!(s, 404);
        let (s, _) = o.get(&format!("/key-account-projects/{jid}/edit")).await;
        assert_eq!(s, 404);
        // The list now shows the plan, reviewed today.
        let (s, html) = b.get("/key-accounts").await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("id=\"plan-{big}\"")), "{html}");
        assert!(html.contains("id=\"all-planned\""), "{html}");

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
