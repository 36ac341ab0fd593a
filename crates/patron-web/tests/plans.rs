//! Visit plans and the day's route (METHOD §3.1) through the real server on both databases:
//! the JSON API (coordinates with their validation, building, editing and reading plans,
//! planned against done, the route, access between users) and the HTML pages (the plans page,
//! its build and edit forms, the route page, the coordinates form).

use chrono::{Duration, Utc};
use patron_core::contact::PlanPeriod;
use patron_core::{InteractionInput, InteractionKind, StaffLevel};
use patron_store::testkit::TestDb;
use reqwest::Method;
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{customer, problem, spawn, user_and_token};

#[tokio::test]
async fn the_plans_api() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let (ann, ann_t) =
            user_and_token(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let (ben, ben_t) =
            user_and_token(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        let (_gm, gm_t) = user_and_token(&app, "gm@example.com", StaffLevel::GeneralManager).await;
        let near = customer(&app, "Near Shop", &ann).await;
        let far = customer(&app, "Far Shop", &ann).await;
        let hidden = customer(&app, "Unlocated Shop", &ann).await;
        let bens = customer(&app, "Ben's Shop", &ben).await;

        // Coordinates: 91° is refused naming the field; the value is stored as given.
        let path = format!("/api/v1/customers/{near}/location");
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &path,
                Some(json!({"latitude": 91, "longitude": 0})),
            )
            .await;
        problem(&r, 422, "latitude");
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &path,
                Some(json!({"latitude": 0, "longitude": -181})),
            )
            .await;
        problem(&r, 422, "longitude");
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &path,
                Some(json!({"latitude": "north", "longitude": 0})),
            )
            .await;
        assert!(r.0 == 400 || r.0 == 422, "{}", r.1);
        assert_eq!(r.1["field"], "latitude", "{}", r.1);
        let (s, _) = app.api(&ann_t, Method::GET, &path, None).await;
        assert_eq!(s, 200);
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &path,
                Some(json!({"latitude": 37.5665, "longitude": 126.978})),
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(
            (r.1["located"].clone(), r.1["latitude"].clone()),
            (json!(true), json!(37.5665))
        );
        app.api(
            &ann_t,
            Method::PUT,
            &format!("/api/v1/customers/{far}/location"),
            Some(json!({"latitude": 37.5665, "longitude": 127.078})),
        )
        .await;
        // Another rep's customer is not there for Ann.
        let (s, _) = app
            .api(
                &ann_t,
                Method::PUT,
                &format!("/api/v1/customers/{bens}/location"),
                Some(json!({"latitude": 1, "longitude": 1})),
            )
            .await;
        assert_eq!(s, 404);
        // Delete and put back.
        let r = app
            .api(
                &ann_t,
                Method::DELETE,
                &format!("/api/v1/customers/{far}/location"),
                None,
            )
            .await;
        assert_eq!((r.0, r.1["located"].clone()), (200, json!(false)));
        app.api(
            &ann_t,
            Method::PUT,
            &format!("/api/v1/customers/{far}/location"),
            Some(json!({"latitude": 37.5665, "longitude": 127.078})),
        )
        .await;

        // Build this month's plan; the policy plans each unclassified customer as C: 1 visit
        // and 1 call.
        let today = Utc::now().date_naive();
        let start = PlanPeriod::Month.start_of(today);
        let r = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/plans",
                Some(json!({"period": "month", "starts_on": start + Duration::days(1)})),
            )
            .await;
        if (start + Duration::days(1)) != PlanPeriod::Month.start_of(start + Duration::days(1)) {
            problem(&r, 422, "starts_on");
        }
        let r = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/plans",
                Some(json!({"period": "month", "starts_on": start})),
            )
            .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let id = r.1["id"].as_i64().expect("id");
        let entries = r.1["entries"].as_array().expect("entries").clone();
        assert_eq!(entries.len(), 3);
        assert!(entries
            .iter()
            .all(|e| e["visits"] == 1 && e["calls"] == 1 && e["class"].is_null()));
        let r = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/plans",
                Some(json!({"period": "month", "starts_on": start})),
            )
            .await;
        problem(&r, 409, "starts_on");
        // Ann may not make Ben's plan; the general manager may.
        let r = app
            .api(
                &ann_t,
                Method::POST,
                "/api/v1/plans",
                Some(json!({"user_id": ben.id.0, "period": "year", "starts_on": PlanPeriod::Year.start_of(today)})),
            )
            .await;
        problem(&r, 422, "user_id");
        let r = app
            .api(
                &gm_t,
                Method::POST,
                "/api/v1/plans",
                Some(json!({"user_id": ben.id.0, "period": "quarter", "starts_on": PlanPeriod::Quarter.start_of(today)})),
            )
            .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let bens_plan = r.1["id"].as_i64().expect("id");
        let (s, _) = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/plans/{bens_plan}"),
                None,
            )
            .await;
        assert_eq!(s, 404, "Ann does not see Ben's plan");
        let (s, _) = app
            .api(
                &ben_t,
                Method::GET,
                &format!("/api/v1/plans/{bens_plan}"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        let r = app.api(&ann_t, Method::GET, "/api/v1/plans", None).await;
        assert_eq!(r.1["plans"].as_array().map(Vec::len), Some(1), "{}", r.1);
        let r = app
            .api(&gm_t, Method::GET, "/api/v1/plans?period=quarter", None)
            .await;
        assert_eq!(r.1["plans"].as_array().map(Vec::len), Some(1), "{}", r.1);
        let r = app
            .api(&ann_t, Method::GET, "/api/v1/plans?period=week", None)
            .await;
        assert_eq!(
            (r.0, r.1["field"].clone()),
            (400, json!("period")),
            "{}",
            r.1
        );

        // Edit: both located customers and the unlocated one are planned for today; a day
        // outside the month names the entry's field.
        let next_month = PlanPeriod::Month.end(start);
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &format!("/api/v1/plans/{id}"),
                Some(json!({"entries": [{"customer_id": near, "visits": 1, "calls": 1, "days": [next_month]}]})),
            )
            .await;
        problem(&r, 422, "entries[0].days");
        let edits: Vec<Value> = [near, far, hidden]
            .iter()
            .map(|c| json!({"customer_id": c, "visits": 2, "calls": 1, "days": [today]}))
            .collect();
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                &format!("/api/v1/plans/{id}"),
                Some(json!({"entries": edits})),
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert!(r.1["entries"]
            .as_array()
            .expect("e")
            .iter()
            .all(|e| e["source"] == "edited"));

        // Planned against done after a visit to Near today.
        app.store
            .create_interaction(InteractionInput {
                customer_id: near,
                kind: InteractionKind::Visit,
                occurred_at: None,
                staff_id: Some(ann.id),
                key_person_id: None,
                outcome: None,
                notes: None,
                follow_up_on: None,
                follow_up: None,
            })
            .await
            .expect("visit");
        let r = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/plans/{id}/progress"),
                None,
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(r.1["totals"]["visits_planned"], 6);
        assert_eq!(r.1["totals"]["visits_done"], 1);
        assert_eq!(r.1["state"], "current");

        // Today's route: two stops 7 km apart (0.1° of longitude at 37.6°N ≈ 8.8 km), the
        // unlocated customer listed apart.
        let r = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/route?date={today}"),
                None,
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let stops = r.1["stops"].as_array().expect("stops");
        assert_eq!(stops.len(), 2, "{}", r.1);
        assert_eq!(stops[0]["leg_km"], 0.0);
        let total = r.1["total_km"].as_f64().expect("km");
        assert!((8.0..9.5).contains(&total), "{total}");
        assert_eq!(r.1["not_located"][0]["customer_id"], hidden.0);
        assert_eq!(r.1["start_from"], "first_stop");
        // A start location of the caller's.
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                "/api/v1/route/start",
                Some(json!({"latitude": 37.5665, "longitude": 127.2})),
            )
            .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let r = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/route?date={today}"),
                None,
            )
            .await;
        assert_eq!(r.1["start_from"], "setting");
        assert_eq!(r.1["stops"][0]["customer_id"], far.0, "{}", r.1);
        let r = app
            .api(
                &ann_t,
                Method::GET,
                "/api/v1/route?start_lat=91&start_lon=0",
                None,
            )
            .await;
        problem(&r, 400, "start_lat");
        let r = app
            .api(
                &ann_t,
                Method::PUT,
                "/api/v1/route/start",
                Some(json!({"latitude": 1})),
            )
            .await;
        problem(&r, 422, "longitude");
        // Ben's route is not Ann's to see; the general manager sees it.
        let (s, _) = app
            .api(
                &ann_t,
                Method::GET,
                &format!("/api/v1/route?user_id={}", ben.id.0),
                None,
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .api(
                &gm_t,
                Method::GET,
                &format!("/api/v1/route?user_id={}", ben.id.0),
                None,
            )
            .await;
        assert_eq!(s, 200);

        // The OpenAPI document describes the new operations.
        let r = app
            .api(&ann_t, Method::GET, "/api/v1/openapi.json", None)
            .await;
        for (p, m) in [
            ("/api/v1/customers/{id}/location", "put"),
            ("/api/v1/plans", "post"),
            ("/api/v1/plans/{id}/progress", "get"),
            ("/api/v1/route", "get"),
        ] {
            assert!(r.1["paths"][p][m].is_object(), "{m} {p}");
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_plans_and_route_pages() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let (ann, _) =
            user_and_token(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let (ben, _) =
            user_and_token(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        let shop = customer(&app, "Tea <House>", &ann).await;
        let kiosk = customer(&app, "Kiosk", &ann).await;
        let bens = customer(&app, "Ben's Shop", &ben).await;

        let mut b = Browser::new(app.addr);
        let (s, _) = b.get("/plans").await;
        assert_eq!(s, 303, "signed out: to the sign-in page");
        let (s, _, _) = b
            .post(
                "/sign-in",
                &[
                    ("email", "ann@example.com"),
                    ("password", "a good long password"),
                    ("next", "/plans"),
                ],
            )
            .await;
        assert_eq!(s, 303);

        // The page offers to build this month's plan; the nav links to it.
        let (s, html) = b.get("/plans").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"plans-build\""), "{html}");
        assert!(html.contains("id=\"nav-plans\""));
        let today = Utc::now().date_naive();
        let start = PlanPeriod::Month.start_of(today);
        let csrf = b.csrf("/plans").await;
        let start_s = start.to_string();
        let (s, loc, _) = b
            .post(
                "/plans/build",
                &[("csrf", &csrf), ("period", "month"), ("start", &start_s)],
            )
            .await;
        assert_eq!(s, 303);
        assert!(loc.contains("built=1"), "{loc}");
        let (s, html) = b.get(&loc).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"plans-table\""), "{html}");
        assert!(html.contains("Tea &lt;House&gt;"), "escaped");
        assert!(!html.contains("Ben&#x27;s Shop") && !html.contains("Ben's Shop"));
        let plan = app
            .store
            .find_visit_plan(ann.id, PlanPeriod::Month, start)
            .await
            .expect("find")
            .expect("built");

        // A bad number is shown next to its field (422); a good edit saves.
        let visits_shop = format!("visits_{shop}");
        let days_shop = format!("days_{shop}");
        let action = format!("/plans/{}", plan.id);
        let (s, _, html) = b
            .post(&action, &[("csrf", &csrf), (&visits_shop, "many")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("field-error"), "{html}");
        let outside = (PlanPeriod::Month.end(start)).to_string();
        let (s, _, html) = b
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    (&visits_shop, "1"),
                    (&format!("calls_{shop}"), "1"),
                    (&days_shop, &outside),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("outside the plan"), "{html}");
        let today_s = today.to_string();
        let (s, loc, _) = b
            .post(
                &action,
                &[
                    ("csrf", &csrf),
                    (&visits_shop, "2"),
                    (&format!("calls_{shop}"), "1"),
                    (&days_shop, &today_s),
                    (&format!("visits_{kiosk}"), "1"),
                    (&format!("calls_{kiosk}"), "0"),
                    (&format!("days_{kiosk}"), &today_s),
                ],
            )
            .await;
        assert_eq!(s, 303, "{loc}");
        let p = app.store.get_visit_plan(plan.id).await.expect("plan");
        let e = p
            .entries
            .iter()
            .find(|e| e.customer_id == shop)
            .expect("shop");
        assert_eq!((e.visits, e.calls, e.days.clone()), (2, 1, vec![today]));
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("id=\"plans-totals\""));

        // Coordinates: the customer page links to the form; 91 is refused naming the field.
        let (_, html) = b.get(&format!("/customers/{shop}")).await;
        assert!(html.contains(&format!("/customers/{shop}/location")));
        let lpath = format!("/customers/{shop}/location");
        let (s, html) = b.get(&lpath).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"location-none\""));
        let (s, _, html) = b
            .post(
                &lpath,
                &[("csrf", &csrf), ("latitude", "91"), ("longitude", "126.9")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"latitude-error\""), "{html}");
        let (s, loc, _) = b
            .post(
                &lpath,
                &[
                    ("csrf", &csrf),
                    ("latitude", "37.5665"),
                    ("longitude", "126.978"),
                ],
            )
            .await;
        assert_eq!(
            (s, loc.as_str()),
            (303, format!("/customers/{shop}").as_str())
        );
        let l = app
            .store
            .customer_location(shop)
            .await
            .expect("l")
            .expect("set");
        assert_eq!(l.latitude, 37.5665);
        // Ben's customer is not found for Ann.
        let (s, _) = b.get(&format!("/customers/{bens}/location")).await;
        assert_eq!(s, 404);

        // The route of today: the located shop as its one stop, the kiosk not located.
        let (s, html) = b.get(&format!("/route?date={today}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"stop-1\""), "{html}");
        assert!(!html.contains("id=\"stop-2\""));
        assert!(html.contains("id=\"route-not-located\""));
        assert!(html.contains(&format!("/customers/{kiosk}/location")));
        // A bad start location is refused next to its field; a good one is used.
        let (s, _, html) = b
            .post(
                "/route/start",
                &[("csrf", &csrf), ("latitude", "37.5"), ("longitude", "999")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("aria-invalid"), "{html}");
        let (s, _, _) = b
            .post(
                "/route/start",
                &[("csrf", &csrf), ("latitude", "37.5"), ("longitude", "127")],
            )
            .await;
        assert_eq!(s, 303);
        let (_, html) = b.get(&format!("/route?date={today}")).await;
        assert!(html.contains("id=\"route-total\""));

        // The page in Korean.
        let (s, _, _) = b
            .post(
                "/language",
                &[("csrf", &csrf), ("lang", "ko"), ("next", "/plans")],
            )
            .await;
        assert_eq!(s, 303);
        let (_, html) = b.get("/plans").await;
        assert!(html.contains("방문 계획"), "{html}");
        // Another user's plans are not Ann's to open.
        let (s, _) = b.get(&format!("/plans?user_id={}", ben.id.0)).await;
        assert_eq!(s, 404);
        db.cleanup().await;
    }
}
