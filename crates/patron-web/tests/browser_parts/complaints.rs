//! Browser scenario: a complaint (METHOD §4) in headless Chromium. A sales representative
//! records a complaint from the customer's page; the board shows its first reply due; the
//! server's clock moves 25 hours on and the board flags it overdue and escalated to the business
//! manager; the representative then walks it through the six steps and the statuses to closed,
//! is refused compensation above their authority and gives a smaller one (screenshots
//! `complaints-overdue.png`, `complaint-closed.png`).

use super::user;
use patron_core::{CustomerInput, CustomerKind, StaffLevel, UserInput};

#[tokio::test]
async fn a_complaint_in_headless_chromium() {
    let Some(sc) = super::scenario().await else {
        return;
    };
    let store = sc.store.clone();
    let mia = user(
        &store,
        "mia@example.com",
        "Mia",
        StaffLevel::BusinessManager,
    )
    .await;
    let ann = store
        .create_user(UserInput {
            email: "ann@example.com".into(),
            name: "Ann".into(),
            staff_level: StaffLevel::SalesRepresentative,
            manager_id: Some(mia.id),
        })
        .await
        .expect("ann");
    store
        .set_password(ann.id, super::PASSWORD)
        .await
        .expect("password");
    let c = store
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: "王记家具".into(),
            owner_id: Some(ann.id),
            ..Default::default()
        })
        .await
        .expect("customer");

    let ui = sc.ui();
    ui.sign_in("ann@example.com").await;

    // From the customer's page to the complaint form.
    ui.go(&format!("/customers/{}", c.id)).await;
    ui.click("#record-complaint").await;
    ui.until("the complaint form", |h| {
        h.contains("id=\"complaint-save\"")
    })
    .await;
    ui.click("#cp_channel option[value=\"hotline\"]").await;
    ui.click("#cp_cause option[value=\"delivery\"]").await;
    ui.fill("#cp_summary", "沙发晚到两天，没有提前通知").await;
    ui.click("#complaint-save").await;
    let html = ui
        .until("the complaint's page", |h| {
            h.contains("id=\"complaint-due\"")
        })
        .await;
    assert!(html.contains("沙发晚到两天"), "{html}");
    let id = store
        .list_complaints(&patron_store::complaints::ComplaintQuery::default())
        .await
        .expect("complaints")
        .first()
        .expect("the complaint")
        .id;

    // The board: due, then (25 hours on) overdue and escalated.
    ui.click("#nav-complaints").await;
    ui.until("the board with the complaint due", |h| {
        h.contains(&format!("id=\"due-{id}\""))
    })
    .await;
    sc.clock.advance(chrono::Duration::hours(25));
    ui.go("/complaints").await;
    let html = ui
        .until("the complaint overdue", |h| {
            h.contains(&format!("id=\"overdue-{id}\""))
        })
        .await;
    assert!(html.contains("escalated to Mia"), "{html}");
    ui.shot("complaints-overdue").await;

    // The six steps and the statuses, in order.
    ui.click(&format!("#complaint-{id} a")).await;
    ui.until("the complaint's page", |h| h.contains("id=\"step-listen\""))
        .await;
    ui.fill("#step-note-listen", "电话里听完了客户的意见").await;
    ui.click("#step-listen").await;
    let html = ui
        .until("the first reply", |h| h.contains("id=\"first-reply\""))
        .await;
    assert!(html.contains("replied late"), "{html}");
    for (step, status) in [
        ("apologise", Some("acknowledged")),
        ("root_cause", Some("investigating")),
        ("solve", Some("resolved")),
        ("follow_up", Some("followed_up")),
        ("record", None),
    ] {
        ui.click(&format!("#step-{step}")).await;
        ui.until(step, |h| h.contains(&format!("id=\"step-{step}-done\"")))
            .await;
        if let Some(s) = status {
            ui.click(&format!("#status_to option[value=\"{s}\"]")).await;
            ui.click("#status-save").await;
            ui.until(s, |h| {
                h.contains(&format!(
                    "class=\"status status-{s}\" id=\"complaint-status\""
                ))
            })
            .await;
        }
    }

    // Compensation above a representative's authority is refused; a smaller one is given.
    ui.fill("#comp_amount", "5000").await;
    ui.click("#compensation-save").await;
    ui.until("the refusal", |h| {
        h.contains("id=\"compensation-amount-error\"") && h.contains("above your authority")
    })
    .await;
    ui.fill("#comp_amount", "100").await;
    ui.click("#compensation-save").await;
    ui.until("the compensation", |h| h.contains("id=\"compensations\""))
        .await;

    // Closed.
    ui.click("#status_to option[value=\"closed\"]").await;
    ui.click("#status-save").await;
    let html = ui
        .until("closed", |h| {
            h.contains("class=\"status status-closed\" id=\"complaint-status\"")
        })
        .await;
    assert!(!html.contains("id=\"status-save\""), "{html}");
    assert!(html.contains("id=\"complaint-history\""), "{html}");
    ui.shot("complaint-closed").await;
}
