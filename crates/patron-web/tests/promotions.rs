//! Promotions (METHOD §7) over the real server, once per backend: the JSON API (roles, scope,
//! 4xx naming the field, the evaluation from orders with known totals) and the HTML UI (the form
//! with its cost lines and computed expectation, participants and attitude, the evaluation page).

use chrono::NaiveDate;
use patron_core::{CustomerId, OrderInput, OrderLineInput, StaffLevel};
use patron_store::testkit::TestDb;
use reqwest::Method;
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{customer, problem, spawn, user, Api, App};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn order(app: &App, c: CustomerId, day: NaiveDate, minor: i64, currency: &str) {
    app.store
        .create_order(OrderInput {
            customer_id: c,
            order_ref: None,
            order_date: day,
            currency: Some(patron_core::Currency::parse("c", currency).expect("currency")),
            asked_by_name: false,
            notes: None,
            lines: vec![OrderLineInput {
                product_id: None,
                product_line: Some("machines".into()),
                quantity: 1,
                unit_price_minor: Some(minor),
                amount_minor: None,
            }],
        })
        .await
        .expect("order");
}

fn spring() -> Value {
    json!({
        "name": "Spring dealer push",
        "starts_on": "2025-03-01",
        "ends_on": "2025-03-31",
        "currency": "USD",
        "budget_minor": 2_500_000,
        "expected_extra_sales_minor": 10_000_000,
        "gross_margin_bp": 3000,
        "costs": [
            {"kind": "material_discount", "description": "10% off machines", "amount_minor": 1_200_000},
            {"kind": "gift", "amount_minor": 300_000},
            {"kind": "advertising", "amount_minor": 500_000}
        ]
    })
}

#[tokio::test]
async fn promotions_over_the_api() {
    for db in TestDb::each().await {
        eprintln!("-- backend {:?}", db.backend);
        let app = spawn(&db).await;
        let manager = user(&app, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            Some(&manager),
        )
        .await;
        let other = user(
            &app,
            "other@example.com",
            StaffLevel::SalesRepresentative,
            Some(&manager),
        )
        .await;
        let (m, r, o) = (
            Api::new(&app, &manager).await,
            Api::new(&app, &rep).await,
            Api::new(&app, &other).await,
        );
        let alpha = customer(&app, "Alpha Dealer", &rep).await;
        let beta = customer(&app, "Beta Dealer", &other).await;

        // Representatives do not create promotions; invalid bodies name the field.
        let res = r
            .call(Method::POST, "/api/v1/promotions", Some(spring()))
            .await;
        assert_eq!(res.0, 403, "{}", res.1);
        let mut bad = spring();
        bad["ends_on"] = json!("2025-02-01");
        problem(
            &m.call(Method::POST, "/api/v1/promotions", Some(bad)).await,
            422,
            "ends_on",
        );
        let mut bad = spring();
        bad["gross_margin_bp"] = json!(10_001);
        problem(
            &m.call(Method::POST, "/api/v1/promotions", Some(bad)).await,
            422,
            "gross_margin_bp",
        );
        let mut bad = spring();
        bad["costs"][1]["amount_minor"] = json!(-5);
        problem(
            &m.call(Method::POST, "/api/v1/promotions", Some(bad)).await,
            422,
            "costs[1].amount_minor",
        );
        let mut bad = spring();
        bad["currency"] = json!("US1");
        problem(
            &m.call(Method::POST, "/api/v1/promotions", Some(bad)).await,
            422,
            "currency",
        );
        let mut bad = spring();
        bad["status"] = json!("running");
        problem(
            &m.call(Method::POST, "/api/v1/promotions", Some(bad)).await,
            422,
            "status",
        );
        let mut bad = spring();
        bad["costs"][0]["kind"] = json!("bribe");
        let res = m.call(Method::POST, "/api/v1/promotions", Some(bad)).await;
        assert_eq!(res.0, 422, "{}", res.1);
        assert!(
            res.1["field"].as_str().is_some_and(|f| f.contains("kind")),
            "{}",
            res.1
        );

        // Created: the expectation comes back with it.
        let res = m
            .call(Method::POST, "/api/v1/promotions", Some(spring()))
            .await;
        assert_eq!(res.0, 201, "{}", res.1);
        let id = res.1["promotion"]["id"].as_i64().expect("id");
        let e = &res.1["promotion"]["expectation"];
        assert_eq!(e["cost_minor"], 2_000_000);
        assert_eq!(e["material_discounts_minor"], 1_200_000);
        assert_eq!(e["expected_gross_profit_minor"], 3_000_000);
        assert_eq!(e["expected_net_effect_minor"], 1_000_000);
        assert_eq!(e["break_even_extra_sales_minor"], 6_666_667);
        assert_eq!(res.1["promotion"]["status"], "planned");

        // Nobody takes part yet: the representatives do not see it.
        let res = r.call(Method::GET, "/api/v1/promotions", None).await;
        assert_eq!(res.1["items"].as_array().map(Vec::len), Some(0));
        let res = m.call(Method::GET, "/api/v1/promotions", None).await;
        assert_eq!(res.1["items"].as_array().map(Vec::len), Some(1));
        problem(
            &m.call(Method::GET, "/api/v1/promotions?status=over", None)
                .await,
            400,
            "status",
        );
        assert_eq!(
            r.call(Method::GET, &format!("/api/v1/promotions/{id}"), None)
                .await
                .0,
            404
        );

        // Participants: the manager adds both; twice is a conflict; unknown ids are 422.
        let parts = format!("/api/v1/promotions/{id}/participants");
        for (c, a) in [(alpha, "enthusiastic"), (beta, "neutral")] {
            let res = m
                .call(
                    Method::POST,
                    &parts,
                    Some(json!({"customer_id": c.0, "attitude": a})),
                )
                .await;
            assert_eq!(res.0, 201, "{}", res.1);
        }
        problem(
            &m.call(Method::POST, &parts, Some(json!({"customer_id": alpha.0})))
                .await,
            409,
            "customer_id",
        );
        problem(
            &m.call(Method::POST, &parts, Some(json!({"customer_id": 999_999})))
                .await,
            422,
            "customer_id",
        );
        problem(
            &m.call(
                Method::POST,
                &parts,
                Some(json!({"customer_id": alpha.0, "attitude": "keen"})),
            )
            .await,
            422,
            "attitude",
        );
        assert_eq!(
            r.call(Method::POST, &parts, Some(json!({"customer_id": alpha.0})))
                .await
                .0,
            403
        );

        // The representative sees the promotion with their own dealer only.
        let res = r
            .call(Method::GET, &format!("/api/v1/promotions/{id}"), None)
            .await;
        assert_eq!(res.0, 200, "{}", res.1);
        assert_eq!(res.1["participants"].as_array().map(Vec::len), Some(1));
        assert_eq!(res.1["participants"][0]["customer_name"], "Alpha Dealer");
        assert_eq!(res.1["hidden_participants"], 1);

        // Attitude: the representative records their dealer's, not the other's.
        let alpha_path = format!("{parts}/{}", alpha.0);
        let res = r
            .call(
                Method::PATCH,
                &alpha_path,
                Some(json!({"attitude": "reluctant", "notes": "wants 12%"})),
            )
            .await;
        assert_eq!(res.0, 200, "{}", res.1);
        assert_eq!(res.1["attitude"], "reluctant");
        assert_eq!(
            r.call(
                Method::PATCH,
                &format!("{parts}/{}", beta.0),
                Some(json!({"attitude": "refused"}))
            )
            .await
            .0,
            404
        );
        problem(
            &r.call(
                Method::PATCH,
                &format!("{parts}/abc"),
                Some(json!({"attitude": "refused"})),
            )
            .await,
            400,
            "customer_id",
        );
        problem(
            &r.call(Method::PATCH, &alpha_path, Some(json!({"mood": "good"})))
                .await,
            422,
            "mood",
        );

        // Start it: now it has participants.
        let mut running = spring();
        running["status"] = json!("running");
        let res = m
            .call(
                Method::PUT,
                &format!("/api/v1/promotions/{id}"),
                Some(running),
            )
            .await;
        assert_eq!(res.0, 200, "{}", res.1);
        assert_eq!(res.1["promotion"]["status"], "running");

        // Orders with known totals; baseline 29 January – 28 February.
        order(&app, alpha, d(2025, 2, 10), 200_000, "USD").await;
        order(&app, alpha, d(2025, 3, 5), 900_000, "USD").await;
        order(&app, alpha, d(2025, 3, 6), 50_000, "CNY").await;
        order(&app, beta, d(2025, 2, 20), 100_000, "USD").await;
        order(&app, beta, d(2025, 3, 30), 400_000, "USD").await;
        order(&app, beta, d(2024, 3, 30), 250_000, "USD").await;

        let ev = format!("/api/v1/promotions/{id}/evaluation");
        let res = m
            .call(Method::GET, &format!("{ev}?as_of=2025-05-01"), None)
            .await;
        assert_eq!(res.0, 200, "{}", res.1);
        let a = &res.1["actual"];
        assert_eq!(a["period_minor"], 1_300_000);
        assert_eq!(a["baseline_minor"], 300_000);
        assert_eq!(a["extra_sales_minor"], 1_000_000);
        assert_eq!(a["gross_profit_minor"], 300_000);
        assert_eq!(a["net_effect_minor"], -1_700_000);
        assert_eq!(a["extra_sales_ratio"], 0.1);
        assert_eq!(a["other_currency_orders"], 1);
        assert_eq!(res.1["complete"], true);
        assert_eq!(res.1["baseline_period"]["from"], "2025-01-29");
        let res = m
            .call(
                Method::GET,
                &format!("{ev}?as_of=2025-05-01&baseline=previous_year"),
                None,
            )
            .await;
        assert_eq!(res.1["actual"]["baseline_minor"], 250_000, "{}", res.1);
        // The representative's evaluation covers their dealer only.
        let res = r
            .call(Method::GET, &format!("{ev}?as_of=2025-05-01"), None)
            .await;
        assert_eq!(res.1["actual"]["extra_sales_minor"], 700_000, "{}", res.1);
        problem(
            &m.call(Method::GET, &format!("{ev}?baseline=last_week"), None)
                .await,
            400,
            "baseline",
        );
        problem(
            &m.call(Method::GET, &format!("{ev}?as_of=yesterday"), None)
                .await,
            400,
            "as_of",
        );
        assert_eq!(
            o.call(Method::GET, "/api/v1/promotions", None).await.1["items"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );

        // Removing and deleting are the manager's.
        assert_eq!(r.call(Method::DELETE, &alpha_path, None).await.0, 403);
        assert_eq!(m.call(Method::DELETE, &alpha_path, None).await.0, 204);
        assert_eq!(m.call(Method::DELETE, &alpha_path, None).await.0, 404);
        let one = format!("/api/v1/promotions/{id}");
        assert_eq!(r.call(Method::DELETE, &one, None).await.0, 403);
        assert_eq!(m.call(Method::DELETE, &one, None).await.0, 204);
        assert_eq!(m.call(Method::GET, &one, None).await.0, 404);
        problem(
            &m.call(Method::GET, "/api/v1/promotions/x", None).await,
            400,
            "id",
        );

        // The document describes the routes.
        let doc = m.call(Method::GET, "/api/v1/openapi.json", None).await.1;
        assert!(doc["paths"]["/api/v1/promotions/{id}/evaluation"]["get"].is_object());
        assert!(doc["components"]["schemas"]["Evaluation"].is_object());

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// A browser without JavaScript: one cookie jar of one session.
#[tokio::test]
async fn promotions_in_the_web_ui() {
    for db in TestDb::each().await {
        eprintln!("-- backend {:?}", db.backend);
        let app = spawn(&db).await;
        let manager = user(&app, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            Some(&manager),
        )
        .await;
        let alpha = customer(&app, "Alpha Dealer", &rep).await;
        let _beta = customer(&app, "Beta Dealer", &manager).await;

        let mut m = Browser::signed_in(app.addr, "boss@example.com").await;
        let (s, html) = m.get("/promotions").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"new-promotion\"") && html.contains("id=\"nav-promotions\""));
        let csrf = m.csrf("/promotions/new").await;
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("name", "Spring dealer push"),
            ("starts_on", "2025-03-01"),
            ("ends_on", "2025-03-31"),
            ("currency", "USD"),
            ("budget", "25,000"),
            ("expected_extra_sales", "100,000.00"),
            ("margin", "30"),
            ("status", "planned"),
            ("baseline", "preceding"),
            ("cost_kind_0", "material_discount"),
            ("cost_desc_0", "10% off machines"),
            ("cost_amount_0", "12,000"),
            ("cost_kind_1", "gift"),
            ("cost_amount_1", "3,000"),
            ("cost_kind_2", "advertising"),
            ("cost_amount_2", "5,000"),
            ("cost_kind_3", "staff"),
            ("cost_amount_3", ""),
        ];
        // "Calculate" shows the expectation without saving.
        let mut calc = form.clone();
        calc.push(("action", "calculate"));
        let (s, _, html) = m.post("/promotions/new", &calc).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("$20,000.00"), "total cost");
        assert!(html.contains("$66,666.67"), "break-even");
        assert!(html.contains("$10,000.00"), "net effect");
        assert!(m
            .get("/promotions")
            .await
            .1
            .contains("id=\"no-promotions\""));

        // Errors next to the fields, in the reader's language.
        let mut bad = form.clone();
        bad[3] = ("ends_on", "2025-02-01");
        bad[7] = ("margin", "130");
        bad[14] = ("cost_amount_1", "-3");
        let (s, _, html) = m.post("/promotions/new", &bad).await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"ends_on-error\""), "{html}");
        assert!(html.contains("The last day cannot come before the first."));
        assert!(html.contains("id=\"margin-error\""));
        assert!(html.contains("id=\"cost_amount_1-error\""));

        // Saved.
        form.push(("action", "save"));
        let (s, loc, _) = m.post("/promotions/new", &form).await;
        assert_eq!(s, 303);
        assert!(
            loc.starts_with("/promotions/") && loc.ends_with("?done=saved"),
            "{loc}"
        );
        let id: i64 = loc
            .trim_start_matches("/promotions/")
            .split('?')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("id");
        let page = format!("/promotions/{id}");
        let (s, html) = m.get(&loc).await;
        assert_eq!(s, 200);
        assert!(html.contains("Promotion saved."));
        assert!(html.contains("$66,666.67") && html.contains("$12,000.00"));

        // Participants: by name; an unknown one is refused next to the field.
        let csrf = m.csrf(&page).await;
        let add = format!("{page}/participants");
        let (s, _, html) = m
            .post(
                &add,
                &[
                    ("csrf", &csrf),
                    ("customer", "Nobody Ltd"),
                    ("attitude", "neutral"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"customer-error\""), "{html}");
        let (s, loc, _) = m
            .post(
                &add,
                &[
                    ("csrf", &csrf),
                    ("customer", "alpha dealer"),
                    ("attitude", "positive"),
                ],
            )
            .await;
        assert_eq!(
            (s, loc.as_str()),
            (303, format!("{page}?done=added").as_str())
        );
        let (s, _, html) = m
            .post(&add, &[("csrf", &csrf), ("customer", "Alpha Dealer")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("This customer already takes part."));
        let (s, _, _) = m
            .post(&add, &[("csrf", &csrf), ("customer", "Beta Dealer")])
            .await;
        assert_eq!(s, 303);

        // The representative: sees it with their dealer, records the attitude, may not edit.
        let mut r = Browser::signed_in(app.addr, "rep@example.com").await;
        let (s, html) = r.get("/promotions").await;
        assert_eq!(s, 200);
        assert!(html.contains("Spring dealer push") && !html.contains("id=\"new-promotion\""));
        let (s, html) = r.get(&page).await;
        assert_eq!(s, 200);
        assert!(html.contains("Alpha Dealer") && !html.contains("Beta Dealer"));
        assert!(html.contains("One more participant is not one of your customers"));
        assert_eq!(r.get("/promotions/new").await.0, 403);
        assert_eq!(r.get(&format!("{page}/edit")).await.0, 403);
        let rcsrf = r.csrf(&page).await;
        let (s, loc, _) = r
            .post(
                &format!("{page}/participants/{}", alpha.0),
                &[
                    ("csrf", &rcsrf),
                    ("attitude", "enthusiastic"),
                    ("notes", "wants more"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{loc}");
        let html = r.get(&page).await.1;
        assert!(html.contains("Attitude recorded.") || html.contains("Enthusiastic"));
        assert!(html.contains("wants more"));

        // The evaluation page: expected against actual, money in the locale's format.
        order(&app, alpha, d(2025, 2, 10), 200_000, "USD").await;
        order(&app, alpha, d(2025, 3, 5), 900_000, "USD").await;
        let (s, html) = r.get(&format!("{page}/evaluation")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("$7,000.00"),
            "extra sales of the rep's dealer: {html}"
        );
        assert!(html.contains("$9,000.00") && html.contains("$2,000.00"));
        let (s, html) = r
            .get(&format!("{page}/evaluation?baseline=previous_year"))
            .await;
        assert_eq!(s, 200);
        assert!(html.contains("$9,000.00"));

        // In Korean, won-free amounts keep their currency code; the labels are translated.
        let (s, _, _) = m
            .post(
                "/language",
                &[("csrf", &csrf), ("lang", "ko"), ("next", "/")],
            )
            .await;
        assert_eq!(s, 303);
        let html = m.get(&format!("{page}/evaluation")).await.1;
        assert!(html.contains("기대 대비 실제"), "{html}");

        // The manager deletes it, after a confirmation page.
        let (s, _) = m.get(&format!("{page}/delete")).await;
        assert_eq!(s, 200);
        let (s, loc, _) = m.post(&format!("{page}/delete"), &[("csrf", &csrf)]).await;
        assert_eq!((s, loc.as_str()), (303, "/promotions"));
        assert_eq!(m.get(&page).await.0, 404);

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
