//! Browser scenario: a satisfaction survey (METHOD §5) answered through its public link in
//! Chinese, in headless Chromium. A sales representative makes a survey link in Simplified
//! Chinese on the customer's page; signed out, the customer opens it, sees the questions in
//! Chinese and nothing of the archive, clicks their answers and sends them; the representative
//! then sees the customer's quadrant of the loyalty matrix change from "destructive" (an
//! earlier call) to "loyal" (screenshots `survey-public-zh.png`, `survey-quadrant.png`).

use super::user;
use patron_core::survey::{Answers, AspectAnswer, SurveyDef};
use patron_core::{CustomerInput, CustomerKind, StaffLevel};
use patron_store::surveys::ResponseInput;

#[tokio::test]
async fn a_public_survey_in_chinese_in_headless_chromium() {
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
            name: "李氏茶庄".into(),
            owner_id: Some(ann.id),
            ..Default::default()
        })
        .await
        .expect("customer");
    let survey = store
        .create_survey(Some(ann.id), &SurveyDef::method_default())
        .await
        .expect("survey");
    // An earlier call: both product and service below expectation.
    let low = |aspect: &str| AspectAnswer {
        aspect: aspect.into(),
        expected: 5,
        perceived: 3,
    };
    store
        .record_survey_response(
            Some(ann.id),
            c.id,
            &ResponseInput::new(
                survey.id,
                Some("zh-CN".into()),
                Answers {
                    aspects: vec![low("product"), low("service")],
                    ..Answers::default()
                },
            ),
            chrono::Utc::now() - chrono::Duration::days(30),
        )
        .await
        .expect("earlier answers");

    let ui = sc.ui();
    ui.sign_in("ann@example.com").await;
    let page = format!("/customers/{}", c.id);
    ui.go(&page).await;
    let html = ui
        .until("the customer's surveys", |h| {
            h.contains("id=\"link-create\"")
        })
        .await;
    assert!(
        html.contains("id=\"satisfaction-quadrant\" class=\"quadrant quadrant-destructive\""),
        "{html}"
    );

    // A survey link in Simplified Chinese.
    ui.click("#link_purpose option[value=\"survey\"]").await;
    ui.click("#link_language option[value=\"zh-CN\"]").await;
    ui.click("#link-create").await;
    ui.until("the link", |h| h.contains("id=\"link-url\""))
        .await;
    let url = ui
        .css("#link-url")
        .await
        .prop("value")
        .await
        .expect("value")
        .expect("the link's address");
    assert!(url.contains("/p/"), "{url}");
    ui.sign_out().await;

    // The customer, not signed in, answers in Chinese.
    ui.c.goto(&url).await.expect("open the link");
    let html = ui
        .until("the questions in Chinese", |h| {
            h.contains("id=\"public-form\"")
        })
        .await;
    assert!(html.contains("客户满意度调查"), "{html}");
    assert!(html.contains("您的期望是？"), "{html}");
    assert!(
        !html.contains("李氏茶庄"),
        "the page shows nothing of the customer"
    );
    for (aspect, expected, perceived) in [("product", 3, 5), ("service", 4, 4)] {
        ui.click(&format!("#expected_{aspect}_{expected}")).await;
        ui.click(&format!("#perceived_{aspect}_{perceived}")).await;
    }
    ui.click("#would_praise_yes").await;
    ui.fill("#survey_comment", "茶叶很新鲜，送货也准时。").await;
    ui.shot("survey-public-zh").await;
    ui.click("#public-submit").await;
    ui.until("the thanks", |h| h.contains("谢谢您")).await;
    // The link is used up.
    ui.c.goto(&url).await.expect("open again");
    ui.until("already answered", |h| h.contains("已经提交过了"))
        .await;

    // The representative sees the quadrant change.
    ui.sign_in("ann@example.com").await;
    ui.go(&format!("{page}#satisfaction")).await;
    let html = ui
        .until("the new quadrant", |h| {
            h.contains("id=\"satisfaction-quadrant\" class=\"quadrant quadrant-loyal\"")
        })
        .await;
    assert!(html.contains("茶叶很新鲜"), "{html}");
    assert!(html.contains("link-used"), "{html}");
    ui.shot("survey-quadrant").await;
}
