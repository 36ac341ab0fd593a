//! The five indicators (METHOD §5) through the real server, on both backends: the API's shape
//! (fractions or null with the counts, per month and quarter, per class and owner), bad
//! parameters named, the page with its charts, tables and definitions, and the recount.

use patron_core::{OrderInput, OrderLineInput, StaffLevel};
use patron_store::testkit::TestDb;

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{customer, spawn, user, Api};

#[tokio::test]
async fn indicators_over_the_api_and_on_the_page() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let gm = user(&app, "gm@x.com", StaffLevel::GeneralManager, None).await;
        let rep = user(&app, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&app, "Acme", &rep).await;
        let today = app.clock.now().date_naive();
        for named in [true, false] {
            app.store
                .create_order(OrderInput {
                    customer_id: acme,
                    order_date: today,
                    asked_by_name: named,
                    lines: vec![OrderLineInput {
                        product_line: Some("sofa".into()),
                        quantity: 1,
                        unit_price_minor: Some(10_000),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .await
                .expect("order");
        }
        let month = today.format("%Y-%m").to_string();
        let api = Api::new(&app, &rep).await;
        // The first read counts (nothing was kept yet).
        let (st, r) = api.get(&format!("/api/v1/indicators?period={month}")).await;
        assert_eq!(st, 200, "{r}");
        assert!(r["refreshed_at"].is_string(), "{r}");
        let p = &r["periods"][0];
        assert_eq!(p["period"], month.as_str());
        assert_eq!(p["sales_power"].as_f64(), Some(1.0), "{r}");
        assert_eq!(p["repeat_purchase_rate"].as_f64(), Some(1.0));
        assert_eq!(p["name_recognition"].as_f64(), Some(0.5));
        assert_eq!(p["complaint_rate"].as_f64(), Some(0.0));
        assert!(p["reputation"].is_null(), "{r}");
        assert_eq!(p["counts"]["orders"].as_i64(), Some(2));
        assert!(r["definitions"]["reputation"].is_string());
        // Every kept month and quarter; per owner.
        let (_, all) = api.get("/api/v1/indicators").await;
        assert_eq!(all["periods"].as_array().map(Vec::len), Some(32), "{all}");
        let (_, by_owner) = api
            .get(&format!(
                "/api/v1/indicators?period={month}&dimension=owner"
            ))
            .await;
        assert_eq!(
            by_owner["periods"][0]["segment"].as_str(),
            Some(rep.id.0.to_string().as_str()),
            "{by_owner}"
        );
        // Bad parameters are named.
        let (st, e) = api.get("/api/v1/indicators?period=2026-13").await;
        assert_eq!(st, 400, "{e}");
        assert_eq!(e["field"], "period");
        let (st, e) = api.get("/api/v1/indicators?dimension=planet").await;
        assert_eq!(st, 400, "{e}");
        assert_eq!(e["field"], "dimension");

        // The page: a chart per indicator, the tables, the definitions.
        let mut ui = Browser::signed_in(app.addr, "gm@x.com").await;
        let (st, html) = ui.get("/indicators").await;
        assert_eq!(st, 200, "{html}");
        for id in [
            "chart-sales_power",
            "chart-reputation",
            "indicator-definitions",
            &format!("months-{month}"),
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        assert!(html.contains("50.0%"), "{html}");
        let (st, html) = ui
            .get(&format!("/indicators?period={month}&dimension=owner"))
            .await;
        assert_eq!(st, 200);
        assert!(html.contains("<th scope=\"row\">rep</th>"), "{html}");
        // A recount as a manager picks up a new order.
        app.store
            .create_order(OrderInput {
                customer_id: acme,
                order_date: today,
                asked_by_name: true,
                lines: vec![OrderLineInput {
                    product_line: Some("sofa".into()),
                    quantity: 1,
                    unit_price_minor: Some(10_000),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");
        let (st, loc, _) = ui
            .post_from("/indicators", "/indicators/refresh", &[])
            .await;
        assert_eq!((st, loc.as_str()), (303, "/indicators"));
        let (_, r) = api.get(&format!("/api/v1/indicators?period={month}")).await;
        assert_eq!(r["periods"][0]["counts"]["orders"].as_i64(), Some(3), "{r}");
        // A representative sees the indicators but cannot recount.
        let mut rep_ui = Browser::signed_in(app.addr, "rep@x.com").await;
        let (_, html) = rep_ui.get("/indicators").await;
        assert!(!html.contains("id=\"indicators-refresh\""), "{html}");
        let (st, _, _) = rep_ui
            .post_from("/indicators", "/indicators/refresh", &[])
            .await;
        assert_eq!(st, 403);
        let _ = gm;
    }
}

#[tokio::test]
async fn churn_report_reasons_and_the_risk_list() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let dir = user(&app, "dir@x.com", StaffLevel::MarketingDirector, None).await;
        let rep = user(&app, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        for name in ["Gone A", "Gone B"] {
            app.store
                .create_customer(patron_core::CustomerInput {
                    kind: patron_core::CustomerKind::Organisation,
                    name: name.into(),
                    owner_id: Some(rep.id),
                    stage: Some(patron_core::LifecycleStage::Lost),
                    churn_reason: Some("better_product".into()),
                    ..Default::default()
                })
                .await
                .expect("lost customer");
        }
        let api = Api::new(&app, &rep).await;
        let (st, r) = api.get("/api/v1/churn").await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["lost"].as_i64(), Some(2));
        let better = r["reasons"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["code"] == "better_product"))
            .cloned()
            .expect("reason");
        assert_eq!(better["share"].as_f64(), Some(1.0));
        assert_eq!(better["reference_percent"].as_i64(), Some(13));
        // Only those who set rules change the list; bad input is named.
        let (st, _) = api
            .put(
                "/api/v1/churn/reasons/price",
                serde_json::json!({"label": "Price"}),
            )
            .await;
        assert_eq!(st, 403);
        let boss = Api::new(&app, &dir).await;
        let (st, r) = boss
            .put(
                "/api/v1/churn/reasons/price",
                serde_json::json!({"label": "Price", "reference_percent": 5}),
            )
            .await;
        assert_eq!(st, 200, "{r}");
        assert_eq!(r["reasons"].as_array().map(Vec::len), Some(5));
        let (st, e) = boss
            .put(
                "/api/v1/churn/reasons/price",
                serde_json::json!({"label": "Price", "reference_percent": 500}),
            )
            .await;
        assert_eq!(st, 422, "{e}");
        assert_eq!(e["field"], "reference_percent");

        // The page: the distribution next to the reference; the form for the director only.
        let mut ui = Browser::signed_in(app.addr, "dir@x.com").await;
        let (st, html) = ui.get("/churn").await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"churn-better_product\""), "{html}");
        assert!(html.contains("100.0%") && html.contains("13%"), "{html}");
        assert!(html.contains("id=\"reason-save\""), "{html}");
        let (st, loc, _) = ui
            .post_from(
                "/churn",
                "/churn/reasons",
                &[
                    ("code", "moved"),
                    ("label", "Moved away"),
                    ("reference_percent", ""),
                ],
            )
            .await;
        assert_eq!((st, loc.as_str()), (303, "/churn"));
        let (st, _, html) = ui
            .post_from(
                "/churn",
                "/churn/reasons",
                &[("code", "Bad!"), ("label", "x"), ("reference_percent", "")],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"code-error\""), "{html}");
        let mut rep_ui = Browser::signed_in(app.addr, "rep@x.com").await;
        let (_, html) = rep_ui.get("/churn").await;
        assert!(!html.contains("id=\"reason-save\""), "{html}");
        assert!(html.contains("Moved away"), "{html}");
        let (st, html) = rep_ui.get("/lists/churn_risk").await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("Customers we may be losing"), "{html}");
        let (st, _, _) = rep_ui
            .post_from("/churn", "/churn/reasons", &[("code", "x"), ("label", "x")])
            .await;
        assert_eq!(st, 403);
    }
}
