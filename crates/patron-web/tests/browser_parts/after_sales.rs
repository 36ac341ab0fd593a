//! Browser scenario: a delivery (METHOD §6) in headless Chromium. A sales representative opens a
//! customer with an order, plans a delivery for the order with a time window, records that the
//! customer was told, marks it late with the reason and the newly agreed time, then done; the
//! job's page shows the history of promises (screenshot `delivery.png`) and the agenda the
//! after-sales call that follows.

use super::user;
use patron_core::{CustomerInput, CustomerKind, StaffLevel};

#[tokio::test]
async fn a_delivery_in_headless_chromium() {
    let Some(sc) = super::scenario().await else {
        return;
    };
    let store = sc.store.clone();
    let ann = user(
        &store,
        "ann@example.com",
        "Ann",
        StaffLevel::SalesRepresentative,
    )
    .await;
    let c = store
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: "王记家具".into(),
            owner_id: Some(ann.id),
            address: Some("上海市黄浦区中山东一路 8 号".into()),
            ..Default::default()
        })
        .await
        .expect("customer");
    let today = chrono::Utc::now().date_naive();
    let order = store
        .create_order(patron_core::OrderInput {
            customer_id: c.id,
            order_date: today - chrono::Days::new(1),
            currency: Some(patron_core::Currency::parse("currency", "CNY").expect("cny")),
            lines: vec![patron_core::OrderLineInput {
                product_line: Some("沙发".into()),
                quantity: 1,
                unit_price_minor: Some(880_000),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("order")
        .id
        .0;

    let ui = sc.ui();
    ui.sign_in("ann@example.com").await;

    // From the order's row on the customer page to the delivery form, the order chosen.
    ui.go(&format!("/customers/{}", c.id)).await;
    ui.until("the customer page", |h| h.contains("id=\"add-delivery\""))
        .await;
    ui.click(&format!("#plan-delivery-{order}")).await;
    let html = ui
        .until("the delivery form", |h| h.contains("id=\"job-save\""))
        .await;
    assert!(
        html.contains(&format!("<option value=\"{order}\" selected")),
        "{html}"
    );
    ui.fill("#job_window_from", "09:00").await;
    ui.fill("#job_window_to", "12:00").await;
    ui.click("#job-save").await;
    let html = ui
        .until("the delivery's page", |h| {
            h.contains("id=\"job-notified-button\"")
        })
        .await;
    assert!(html.contains("09:00-12:00"), "{html}");
    let tomorrow = today + chrono::Days::new(1);

    // The customer is told before the delivery.
    ui.click("#job-notified-button").await;
    ui.until("the customer notified", |h| {
        h.contains("Told ") && !h.contains("id=\"job-notified-button\"")
    })
    .await;

    // Late: the reason and the newly agreed time (the form proposes the next day).
    ui.click("#late-form summary").await;
    ui.fill("#late_reason", "货车故障，改到后天下午").await;
    ui.fill("#late_window_from", "14:00").await;
    ui.fill("#late_window_to", "16:00").await;
    ui.click("#job-late-button").await;
    let html = ui
        .until("the new promise", |h| {
            h.contains("id=\"promise-history\"") && h.contains("货车故障")
        })
        .await;
    assert!(html.contains("Late, new time agreed"), "{html}");
    assert!(html.contains("14:00-16:00"), "{html}");
    // A new promise is told again.
    assert!(html.contains("id=\"job-notified-button\""), "{html}");
    let job = store
        .list_service_jobs(&patron_store::after_sales::ServiceJobQuery::default())
        .await
        .expect("jobs")
        .pop()
        .expect("the job");
    assert_eq!(job.promised_on, tomorrow + chrono::Days::new(1));
    assert_eq!(job.changes.len(), 1);
    assert_eq!(job.changes[0].old_promised_on, tomorrow);

    // Done: the after-sales call is next.
    ui.click("#job-done-button").await;
    ui.until("the delivery done", |h| {
        h.contains("data-status=\"done\"") && h.contains("id=\"job-call-button\"")
    })
    .await;
    ui.shot("delivery").await;

    // On the agenda: the satisfaction call, tomorrow.
    ui.click("#nav-agenda").await;
    let html = ui
        .until("the after-sales call on the agenda", |h| {
            h.contains("data-kind=\"after_sales_call\"")
        })
        .await;
    assert!(html.contains("王记家具"), "{html}");
    assert!(
        html.contains("call to ask whether the customer is satisfied")
            || html.contains("whether the customer is satisfied"),
        "{html}"
    );
    ui.shot("delivery-agenda").await;

    // The list of every job in Ann's reach.
    ui.click("#nav-deliveries").await;
    ui.click("#status option[value=\"all\"]").await;
    ui.click("#deliveries-show").await;
    ui.until("the list with the done delivery", |h| {
        h.contains("id=\"deliveries\"") && h.contains("王记家具")
    })
    .await;
    ui.shot("deliveries").await;
}
