//! Deliveries and installations (METHOD §6) over the real server on port 0, on both backends:
//! the JSON API (record, check, notified, late with the reason and a new time, edit, done, the
//! after-sales call on the agenda and recorded, access by scope) and the HTML pages (the list,
//! the form from an order with messages next to the fields, the job's steps, the customer page's
//! part, the agenda).

use chrono::{Days, NaiveDate};
use patron_core::{
    CustomerId, CustomerInput, CustomerKind, OrderInput, OrderLineInput, StaffLevel, User,
    UserInput,
};
use patron_store::testkit::TestDb;
use patron_store::Store;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::{Browser, PASSWORD};
#[path = "support/app.rs"]
mod app;
use app::spawn;

async fn user(s: &Arc<dyn Store>, email: &str, name: &str, level: StaffLevel) -> (User, String) {
    let u = s
        .create_user(UserInput {
            email: email.into(),
            name: name.into(),
            staff_level: level,
            manager_id: None,
        })
        .await
        .expect("user");
    s.set_password(u.id, PASSWORD).await.expect("password");
    let token = s
        .create_api_token(u.id, "tests")
        .await
        .expect("token")
        .secret;
    (u, token)
}

async fn customer(s: &Arc<dyn Store>, name: &str, owner: &User) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: Some(owner.id),
        address: Some("8 Dock Street".into()),
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate) -> i64 {
    s.create_order(OrderInput {
        customer_id: c,
        order_date: day,
        currency: Some(patron_core::Currency::parse("currency", "USD").expect("usd")),
        lines: vec![OrderLineInput {
            product_line: Some("Sofa".into()),
            quantity: 1,
            unit_price_minor: Some(120_000),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .expect("order")
    .id
    .0
}

fn today() -> NaiveDate {
    // The shop's time zone is UTC unless set (the tests never set it).
    chrono::Utc::now().date_naive()
}

#[tokio::test]
async fn service_jobs_over_the_api() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let s = &app.store;
        let (ann, ann_t) = user(s, "ann@example.com", "Ann", StaffLevel::SalesRepresentative).await;
        let (_ben, ben_t) =
            user(s, "ben@example.com", "Ben", StaffLevel::SalesRepresentative).await;
        let a = customer(s, "Alpha Furniture", &ann).await;
        let b = customer(s, "Beta Homes", &_ben).await;
        let today = today();
        let o = order(s, a, today - Days::new(2)).await;

        // Recorded by Ann: assigned to her (the owner), with the order's day.
        let (st, j) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(
                    json!({"customer_id": a.0, "order_id": o, "kind": "delivery",
                            "promised_on": today.to_string(),
                            "window_from": "09:00", "window_to": "12:00"}),
                ),
            )
            .await;
        assert_eq!(st, 201, "{j}");
        let id = j["id"].as_i64().expect("id");
        assert_eq!(j["assigned_to"], ann.id.0);
        assert_eq!(j["status"], "planned");
        assert_eq!(j["order_date"], (today - Days::new(2)).to_string());

        // On Ann's iCalendar feed (the agenda's items, whatever their kind).
        let (st, feed) = app
            .api(&ann_t, Method::POST, "/api/v1/agenda/calendar-feed", None)
            .await;
        assert_eq!(st, 200, "{feed}");
        let ics = app
            .client
            .get(app.url(feed["path"].as_str().expect("path")))
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("ics")
            .replace("\r\n ", "");
        assert!(
            ics.contains(&format!("UID:delivery:{id}:{today}@patron")),
            "{ics}"
        );

        // Checks name the field.
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(json!({"customer_id": a.0, "kind": "delivery",
                            "promised_on": today.to_string(),
                            "window_from": "12:00", "window_to": "09:00"})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("window_to")), "{p}");
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(
                    json!({"customer_id": a.0, "order_id": o, "kind": "delivery",
                            "promised_on": (today - Days::new(5)).to_string()}),
                ),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("promised_on")), "{p}");
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(json!({"customer_id": a.0, "kind": "repair",
                            "promised_on": today.to_string()})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("kind")), "{p}");
        // Ben's customer is unknown to Ann; Ann's job is not found for Ben.
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(json!({"customer_id": b.0, "kind": "delivery",
                            "promised_on": today.to_string()})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("customer_id")), "{p}");
        let (st, _) = app
            .api(
                &ben_t,
                Method::GET,
                &format!("/api/v1/service-jobs/{id}"),
                None,
            )
            .await;
        assert_eq!(st, 404);
        let (st, _) = app
            .api(
                &ben_t,
                Method::POST,
                &format!("/api/v1/service-jobs/{id}/notified"),
                None,
            )
            .await;
        assert_eq!(st, 404);
        let (st, l) = app
            .api(&ben_t, Method::GET, "/api/v1/service-jobs", None)
            .await;
        assert_eq!((st, l["items"].as_array().map(Vec::len)), (200, Some(0)));
        let (st, l) = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/service-jobs?status=open&order_id={o}"),
                None,
            )
            .await;
        assert_eq!((st, l["items"].as_array().map(Vec::len)), (200, Some(1)));
        let (st, p) = app
            .api(
                &ann_t,
                Method::GET,
                "/api/v1/service-jobs?status=soon",
                None,
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (400, Some("status")), "{p}");

        // Customer notified; late with the reason and the new time.
        let (st, j) = app
            .api(
                &ann_t,
                Method::POST,
                &format!("/api/v1/service-jobs/{id}/notified"),
                None,
            )
            .await;
        assert_eq!(st, 200, "{j}");
        assert!(j["notified_at"].is_string());
        let late = format!("/api/v1/service-jobs/{id}/late");
        let new_day = (today + Days::new(1)).to_string();
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                &late,
                Some(json!({"reason": "", "promised_on": new_day})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("reason")), "{p}");
        let (st, p) = app
            .api(
                &ann_t,
                Method::POST,
                &late,
                Some(json!({"reason": "Van broke down",
                            "promised_on": (today - Days::new(1)).to_string()})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("promised_on")), "{p}");
        let (st, j) = app
            .api(
                &ann_t,
                Method::POST,
                &late,
                Some(json!({"reason": "Van broke down", "promised_on": new_day,
                            "window_from": "14:00", "window_to": "16:00"})),
            )
            .await;
        assert_eq!(st, 200, "{j}");
        assert_eq!(j["status"], "late");
        assert_eq!(j["promised_on"], new_day);
        assert_eq!(j["changes"][0]["change"], "late");
        assert_eq!(j["changes"][0]["old_window"], "09:00-12:00");
        assert_eq!(j["changes"][0]["reason"], "Van broke down");
        assert!(j["notified_at"].is_null());

        // Edit by merge patch; the customer stays.
        let path = format!("/api/v1/service-jobs/{id}");
        let (st, j) = app
            .api(
                &ann_t,
                Method::PATCH,
                &path,
                Some(json!({"notes": "Side door"})),
            )
            .await;
        assert_eq!((st, j["notes"].as_str()), (200, Some("Side door")), "{j}");
        let (st, p) = app
            .api(
                &ann_t,
                Method::PATCH,
                &path,
                Some(json!({"customer_id": b.0})),
            )
            .await;
        assert_eq!((st, p["field"].as_str()), (422, Some("customer_id")), "{p}");

        // Done; twice is a conflict.
        let done = format!("/api/v1/service-jobs/{id}/done");
        let (st, j) = app.api(&ann_t, Method::POST, &done, Some(json!({}))).await;
        assert_eq!((st, j["status"].as_str()), (200, Some("done")), "{j}");
        let (st, p) = app.api(&ann_t, Method::POST, &done, Some(json!({}))).await;
        assert_eq!(st, 409, "{p}");

        // The after-sales call is on Ann's agenda tomorrow, then recorded.
        let (st, ag) = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/agenda?date={}", today + Days::new(1)),
                None,
            )
            .await;
        assert_eq!(st, 200);
        let items = ag["items"].as_array().cloned().unwrap_or_default();
        let call = items
            .iter()
            .find(|i| i["kind"] == "after_sales_call")
            .unwrap_or_else(|| panic!("no after-sales call: {ag}"));
        assert_eq!(call["key"], format!("after_sales_call:{id}"));
        assert_eq!(call["section"], "today");
        let (st, j) = app
            .api(
                &ann_t,
                Method::POST,
                &format!("/api/v1/service-jobs/{id}/after-sales-call"),
                Some(json!({"outcome": "Happy with it"})),
            )
            .await;
        assert_eq!(st, 200, "{j}");
        assert!(j["after_sales_interaction_id"].is_i64());

        // Cancel an open one.
        let (_, k) = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/service-jobs",
                Some(json!({"customer_id": a.0, "kind": "installation",
                            "promised_on": today.to_string()})),
            )
            .await;
        let (st, k) = app
            .api(
                &ann_t,
                Method::POST,
                &format!("/api/v1/service-jobs/{}/cancel", k["id"]),
                Some(json!({"reason": "Collected in store"})),
            )
            .await;
        assert_eq!((st, k["status"].as_str()), (200, Some("cancelled")), "{k}");

        // In the API document.
        let (st, doc) = app
            .api(&ann_t, Method::GET, "/api/v1/openapi.json", None)
            .await;
        assert_eq!(st, 200);
        assert!(doc["paths"]["/api/v1/service-jobs/{id}/late"]["post"].is_object());

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn service_jobs_in_the_pages() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let s = &app.store;
        let (ann, _) = user(s, "ann@example.com", "Ann", StaffLevel::SalesRepresentative).await;
        let (_ben, _) = user(s, "ben@example.com", "Ben", StaffLevel::SalesRepresentative).await;
        let a = customer(s, "Alpha Furniture", &ann).await;
        let today = today();
        let o = order(s, a, today - Days::new(1)).await;
        let mut ui = Browser::signed_in(app.addr, "ann@example.com").await;
        assert!(!ui.cookie().is_empty(), "no session cookie");

        // The customer page links to a new job, and each order row to one for that order.
        let (st, html) = ui.get(&format!("/customers/{}", a.0)).await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"after-sales\""), "section");
        assert!(html.contains(&format!("/deliveries/new?customer={}&amp;order={o}", a.0)));

        // The form for the order: the order chosen, tomorrow, the customer's address.
        let new = format!("/deliveries/new?customer={}&order={o}", a.0);
        let (st, html) = ui.get(&new).await;
        assert_eq!(st, 200);
        assert!(
            html.contains(&format!("<option value=\"{o}\" selected")),
            "order preselected"
        );
        assert!(html.contains("8 Dock Street"));
        assert!(html.contains(&format!("value=\"{}\"", today + Days::new(1))));

        // Refused: the message next to the field, what was typed kept.
        let post = format!("/deliveries/new?customer={}", a.0);
        let tomorrow = (today + Days::new(1)).to_string();
        let (st, _, html) = ui
            .post_from(
                &new,
                &post,
                &[
                    ("kind", "delivery"),
                    ("order_id", &o.to_string()),
                    ("promised_on", &tomorrow),
                    ("window_from", "12:00"),
                    ("window_to", "9:00"),
                ],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"window_to-error\""), "{html}");
        assert!(html.contains("Write a time of day as HH:MM"), "{html}");
        assert!(html.contains("value=\"12:00\""));
        let (st, loc, _) = ui
            .post_from(
                &new,
                &post,
                &[
                    ("kind", "delivery"),
                    ("order_id", &o.to_string()),
                    ("promised_on", &tomorrow),
                    ("window_from", "09:00"),
                    ("window_to", "12:00"),
                    ("address", "8 Dock Street"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        assert!(loc.starts_with("/deliveries/"), "{loc}");
        let (st, html) = ui.get(&loc).await;
        assert_eq!(st, 200);
        assert!(html.contains("09:00-12:00"));
        assert!(html.contains("Customer not notified yet"));

        // The steps: notified, late (the reason is required), done.
        let (st, to, _) = ui.post_from(&loc, &format!("{loc}/notified"), &[]).await;
        assert_eq!((st, to.as_str()), (303, loc.as_str()));
        let (_, html) = ui.get(&loc).await;
        assert!(html.contains("Told "), "notified");
        let in_two = (today + Days::new(2)).to_string();
        let (st, _, html) = ui
            .post_from(
                &loc,
                &format!("{loc}/late"),
                &[("reason", " "), ("promised_on", &in_two)],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"late-reason-error\""), "{html}");
        let (st, _, _) = ui
            .post_from(
                &loc,
                &format!("{loc}/late"),
                &[
                    ("reason", "Van broke down"),
                    ("promised_on", &in_two),
                    ("window_from", "14:00"),
                    ("window_to", "16:00"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        let (_, html) = ui.get(&loc).await;
        assert!(html.contains("Van broke down"));
        assert!(html.contains("id=\"promise-history\""));
        assert!(html.contains("14:00-16:00"));
        assert!(html.contains("Late, new time agreed"));
        let (st, _, _) = ui
            .post_from(&loc, &format!("{loc}/done"), &[("done_on", "")])
            .await;
        assert_eq!(st, 303);
        let (_, html) = ui.get(&loc).await;
        assert!(html.contains("data-status=\"done\""));
        assert!(html.contains("id=\"job-call-button\""), "the call's form");

        // The list, the customer page and tomorrow's agenda.
        let (_, html) = ui.get("/deliveries?status=done").await;
        assert!(html.contains("Alpha Furniture"), "{html}");
        let (_, html) = ui.get("/deliveries").await;
        assert!(
            html.contains("id=\"deliveries-empty\""),
            "no open jobs left"
        );
        let (_, html) = ui.get(&format!("/customers/{}", a.0)).await;
        assert!(html.contains("customer-job-"));
        let (_, html) = ui
            .get(&format!("/agenda?date={}", today + Days::new(1)))
            .await;
        assert!(html.contains("data-kind=\"after_sales_call\""), "{html}");

        // Ben cannot open Ann's job.
        let other = Browser::signed_in(app.addr, "ben@example.com").await;
        assert!(!other.cookie().is_empty(), "no session cookie");
        let (st, _) = other.get(&loc).await;
        assert_eq!(st, 404);
        let (st, _) = other.get(&new).await;
        assert_eq!(st, 404);

        // Chinese pages.
        let r = app
            .client
            .get(app.url(&loc))
            .header("cookie", ui.cookie())
            .header("accept-language", "zh-CN")
            .send()
            .await
            .expect("get");
        let html = r.text().await.expect("body");
        assert!(html.contains("售后回访") || html.contains("送货"), "{html}");

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
