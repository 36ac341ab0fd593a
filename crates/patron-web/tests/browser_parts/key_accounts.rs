//! Browser scenario: a key-account development plan (METHOD §3.4) in headless Chromium — a
//! sales representative opens the key accounts, creates the plan of their A-class customer with
//! goals on three horizons, a competitor's project and an action with owner and review date,
//! finds the plan's review and the action's review on the agenda, marks the plan reviewed.
//! Screenshot: `key_account.png`.

use super::{user, Ui};
use patron_core::{CustomerInput, CustomerKind, StaffLevel};
use serde_json::json;

/// Sets a date input through the DOM: typing into `<input type="date">` depends on the
/// browser's locale, the value property does not.
async fn set_value(ui: &Ui, id: &str, value: &str) {
    ui.c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![json!(id), json!(value)],
    )
    .await
    .expect("set value");
}

#[tokio::test]
async fn a_key_account_plan_in_headless_chromium() {
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
    let today = patron_store::contact::today(
        &patron_store::contact::load_settings(store.as_ref())
            .await
            .expect("settings"),
    );
    // Two customers of Ann's; the tea group buys far more and is classed A.
    let mut ids = Vec::new();
    for (name, minor) in [("华东茶业集团", 2_000_000), ("Corner Café", 6_000)] {
        let c = store
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: name.into(),
                owner_id: Some(ann.id),
                ..Default::default()
            })
            .await
            .expect("customer");
        for k in [90, 30] {
            store
                .create_order(patron_core::OrderInput {
                    customer_id: c.id,
                    order_date: today - chrono::Duration::days(k),
                    lines: vec![patron_core::OrderLineInput {
                        product_line: Some("茶叶".into()),
                        quantity: 1,
                        amount_minor: Some(minor),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .await
                .expect("order");
        }
        ids.push(c.id);
    }
    patron_store::classes::run_classification(store.as_ref(), Some(today))
        .await
        .expect("classify");
    let big = ids[0];

    let ui = sc.ui();
    ui.sign_in("ann@example.com").await;

    // The key accounts: the tea group has no plan yet.
    ui.click("#nav-key-accounts").await;
    ui.until("the key-account list", |h| {
        h.contains("id=\"without-plan\"")
    })
    .await;
    ui.click(&format!("#create-plan-{big}")).await;
    ui.until("the new plan form", |h| h.contains("id=\"plan-form\""))
        .await;

    // Goals on three horizons, the first review in five days.
    ui.fill("#short_term_goals", "拿下春季补货订单").await;
    ui.fill(
        "#medium_term_goals",
        "Raise our share of their tea purchases to 60%",
    )
    .await;
    ui.fill("#long_term_goals", "Sole supplier of every branch")
        .await;
    let review = today + chrono::Duration::days(5);
    set_value(&ui, "next_review_on", &review.to_string()).await;
    ui.click("#save-plan").await;
    ui.until("the plan's goals", |h| h.contains("拿下春季补货订单</p>"))
        .await;

    // A competitor's project.
    ui.click("#add-project summary").await;
    ui.click("#project_kind option[value=\"competitor\"]").await;
    ui.fill("#project_name", "Hotel chain tender").await;
    ui.fill("#project_competitor", "Leaf & Co").await;
    ui.fill("#project_value", "120000").await;
    ui.click("#save-project").await;
    let html = ui
        .until("the competitor's project", |h| {
            h.contains("Hotel chain tender")
        })
        .await;
    let section = html
        .split("id=\"projects-competitor\"")
        .nth(1)
        .and_then(|s| s.split("id=\"projects-ours_weak\"").next())
        .unwrap_or("");
    assert!(
        section.contains("Hotel chain tender") && section.contains("Leaf &amp; Co"),
        "listed under competitors' projects: {section}"
    );

    // An action owned by Ann, reviewed in two days.
    ui.click("#add-action summary").await;
    ui.fill("#action_what", "Invite the buyers to a tasting")
        .await;
    ui.click(&format!("#action_owner option[value=\"{}\"]", ann.id.0))
        .await;
    let action_review = today + chrono::Duration::days(2);
    set_value(&ui, "action_review", &action_review.to_string()).await;
    ui.click("#save-action").await;
    ui.until("the action", |h| {
        h.contains("Invite the buyers to a tasting")
    })
    .await;
    let plan = store
        .account_plan_of(big)
        .await
        .expect("plan")
        .expect("created");
    assert_eq!(plan.owner_id, ann.id);
    assert_eq!(plan.next_review_on, review);
    assert_eq!(plan.actions[0].review_on, Some(action_review));

    // Both reviews are on Ann's agenda this week.
    ui.click("#nav-agenda").await;
    let key = format!("account_review:{}:{review}", plan.id);
    let html = ui
        .until("the plan's review on the agenda", |h| h.contains(&key))
        .await;
    let action_key = format!("plan_action:{}:{action_review}", plan.actions[0].id);
    assert!(html.contains(&action_key), "the action's review: {html}");
    assert!(
        html.contains("拿下春季补货订单"),
        "the review says why: {html}"
    );

    // Mark the plan reviewed from its page: reviewed today, next one a quarter later.
    ui.go(&format!("/key-accounts/{big}")).await;
    ui.click("#mark-reviewed").await;
    ui.until("the review recorded", |h| {
        !h.contains("id=\"last-reviewed\">never")
    })
    .await;
    let plan = store.account_plan(plan.id).await.expect("plan");
    assert_eq!(plan.last_reviewed_on, Some(today));
    assert_eq!(
        plan.next_review_on,
        patron_store::key_accounts::next_review(today, 3)
    );
    ui.c.execute("window.scrollTo(0, 0);", vec![])
        .await
        .expect("scroll");
    ui.shot("key_account").await;
    // The review has left the agenda.
    ui.go("/agenda").await;
    let html = ui
        .until("the agenda", |h| h.contains("id=\"agenda-counts\""))
        .await;
    assert!(!html.contains(&key), "reviewed: off the agenda");

    let _ = ui.c.close().await;
    sc.cleanup().await;
}
