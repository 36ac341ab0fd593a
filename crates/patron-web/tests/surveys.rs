//! Surveys and public forms (METHOD §5) through the real server, on both backends: a
//! questionnaire defined over the API (refused to a representative, bad fields named), answers
//! from a call, a public link answered without signing in in Chinese (once; then "already
//! answered"; a guessed, expired or revoked link all read the same), a complaint through a
//! link, the quadrant following the answers and filtering the list, the staff pages, and the
//! rate limit on the public forms.

use chrono::Duration;
use patron_core::StaffLevel;
use patron_store::testkit::TestDb;
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{customer, problem, spawn, user, Api};

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

/// The secret path (`/p/…`) of a link made over the API.
fn path_of(v: &Value) -> String {
    v["path"]
        .as_str()
        .unwrap_or_else(|| panic!("no path in {v}"))
        .to_owned()
}

#[tokio::test]
async fn api_surveys_links_and_the_public_form() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let boss = user(&app, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &app,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(&boss),
        )
        .await;
        let stranger = user(&app, "str@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&app, "Acme", &rep).await;
        let (r, b, s) = (
            Api::new(&app, &rep).await,
            Api::new(&app, &boss).await,
            Api::new(&app, &stranger).await,
        );
        let def = json!({
            "title": {"en": "How are we doing?", "zh-CN": "我们做得怎么样？"},
            "aspects": [
                {"code": "product", "label": {"en": "Product", "zh-CN": "产品"}},
                {"code": "service", "label": {"en": "Service", "zh-CN": "服务"}},
                {"code": "delivery", "label": {"en": "Delivery"}}
            ]
        });

        // Only business managers and above define questionnaires; fields are named.
        assert_eq!(r.post("/api/v1/surveys", def.clone()).await.0, 403);
        let mut bad = def.clone();
        bad["aspects"][1]["code"] = json!("Service!");
        problem(
            &b.post("/api/v1/surveys", bad).await,
            422,
            "aspects[1].code",
        );
        let mut bad = def.clone();
        bad["title"]["en"] = json!("");
        problem(&b.post("/api/v1/surveys", bad).await, 422, "title.en");
        let mut bad = def.clone();
        bad["colour"] = json!("blue");
        problem(&b.post("/api/v1/surveys", bad).await, 422, "colour");
        let made = b.post("/api/v1/surveys", def.clone()).await;
        assert_eq!(made.0, 201, "{}", made.1);
        let sid = id_of(&made.1);
        assert_eq!(made.1["active"], json!(true));
        let list = r.get("/api/v1/surveys").await;
        assert_eq!(list.1.as_array().map(Vec::len), Some(1), "{}", list.1);

        // Answers from a call; the customer's quadrant follows.
        let call = r
            .post(
                &format!("/api/v1/customers/{}/survey-responses", acme.0),
                json!({"survey_id": sid, "aspects": [
                    {"aspect": "product", "expected": 4, "perceived": 3},
                    {"aspect": "service", "expected": 3, "perceived": 3}
                ], "would_praise": false}),
            )
            .await;
        assert_eq!(call.0, 201, "{}", call.1);
        assert_eq!(call.1["aspects"][0]["level"], json!("dissatisfied"));
        let sat = r
            .get(&format!("/api/v1/customers/{}/satisfaction", acme.0))
            .await;
        assert_eq!(sat.1["quadrant"], json!("still_hopeful"), "{}", sat.1);
        let bad = r
            .post(
                &format!("/api/v1/customers/{}/survey-responses", acme.0),
                json!({"survey_id": sid, "aspects": [{"aspect": "product", "expected": 9, "perceived": 3}]}),
            )
            .await;
        problem(&bad, 422, "aspects[0].expected");
        // Outside the caller's scope the customer does not exist.
        assert_eq!(
            s.get(&format!("/api/v1/customers/{}/survey-responses", acme.0))
                .await
                .0,
            404
        );

        // A link in Simplified Chinese, answered without signing in.
        let link = r
            .post(
                &format!("/api/v1/customers/{}/public-links", acme.0),
                json!({"purpose": "survey", "survey_id": sid, "language": "zh-CN"}),
            )
            .await;
        assert_eq!(link.0, 201, "{}", link.1);
        let path = path_of(&link.1);
        assert!(link.1["url"].as_str().unwrap_or("").ends_with(&path));
        problem(
            &r.post(
                &format!("/api/v1/customers/{}/public-links", acme.0),
                json!({"purpose": "survey", "survey_id": sid, "language": "fr"}),
            )
            .await,
            422,
            "language",
        );
        // Every response carries the security headers; the public page sends no referrer, so
        // its secret address never leaks to another site.
        let res = app.client.get(app.url(&path)).send().await.expect("get");
        let h = res.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap_or("")
                .contains("frame-ancestors 'none'"),
            "{h:?}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let api = app
            .client
            .get(app.url("/api/v1/surveys"))
            .send()
            .await
            .expect("get");
        assert_eq!(api.headers()["referrer-policy"], "same-origin");
        assert_eq!(api.headers()["x-content-type-options"], "nosniff");
        let anon = Browser::new(app.addr);
        let (st, html) = anon.get(&path).await;
        assert_eq!(st, 200);
        assert!(html.contains("我们做得怎么样？"), "{html}");
        assert!(html.contains("您的期望是？"), "the questions in Chinese");
        assert!(
            !html.contains("Acme"),
            "the page reveals nothing of the customer"
        );
        assert!(!html.contains("nav-agenda"), "no staff navigation");
        let mut anon = anon;
        // Half an answer is refused naming the field, in Chinese.
        let (st, _, html) = anon
            .post(&path, &[("expected_product", "3"), ("lang", "zh-CN")])
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"perceived_product-error\""), "{html}");
        let (st, _, html) = anon
            .post(
                &path,
                &[
                    ("expected_product", "3"),
                    ("perceived_product", "5"),
                    ("expected_service", "3"),
                    ("perceived_service", "4"),
                    ("would_praise", "yes"),
                    ("asked_by_name", "yes"),
                    ("comment", "很好"),
                    ("lang", "zh-CN"),
                ],
            )
            .await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("谢谢您"), "{html}");
        let sat = r
            .get(&format!("/api/v1/customers/{}/satisfaction", acme.0))
            .await;
        assert_eq!(sat.1["quadrant"], json!("loyal"), "{}", sat.1);
        // Used once: a second answer is refused; a guess reads like an expired link.
        let (st, _, html) = anon.post(&path, &[("expected_product", "1")]).await;
        assert_eq!(st, 409);
        assert!(html.contains("id=\"public-notice\""));
        let (st, _) = anon.get("/p/not-a-real-secret").await;
        assert_eq!(st, 404);
        let answers = r
            .get(&format!("/api/v1/customers/{}/survey-responses", acme.0))
            .await;
        assert_eq!(answers.1.as_array().map(Vec::len), Some(2), "{}", answers.1);
        assert_eq!(answers.1[0]["channel"], json!("public_form"));
        assert_eq!(answers.1[0]["language"], json!("zh-CN"));

        // A complaint link: recorded as the customer's web-form complaint.
        let cl = r
            .post(
                &format!("/api/v1/customers/{}/public-links", acme.0),
                json!({"purpose": "complaint", "language": "ko"}),
            )
            .await;
        assert_eq!(cl.0, 201, "{}", cl.1);
        let cpath = path_of(&cl.1);
        let (st, html) = anon.get(&cpath).await;
        assert_eq!(st, 200);
        assert!(html.contains("불편하셨던 점을 알려 주세요"), "{html}");
        let (st, _, _) = anon.post(&cpath, &[("summary", " ")]).await;
        assert_eq!(st, 422);
        let (st, _, _) = anon
            .post(
                &cpath,
                &[("summary", "배송이 늦었습니다"), ("details", "일주일")],
            )
            .await;
        assert_eq!(st, 200);
        let complaints = r
            .get(&format!("/api/v1/complaints?customer_id={}", acme.0))
            .await;
        assert!(
            complaints.1.to_string().contains("배송이 늦었습니다")
                && complaints.1.to_string().contains("web_form"),
            "{}",
            complaints.1
        );

        // Revoked and expired links show only that they are not valid.
        let third = r
            .post(
                &format!("/api/v1/customers/{}/public-links", acme.0),
                json!({"purpose": "survey", "survey_id": sid, "days": 1}),
            )
            .await;
        let tpath = path_of(&third.1);
        app.clock.advance(Duration::days(2));
        assert_eq!(anon.get(&tpath).await.0, 404);
        app.clock.advance(Duration::days(-2));
        assert_eq!(anon.get(&tpath).await.0, 200);
        let lid = third.1["link"]["id"].as_i64().expect("link id");
        assert_eq!(
            r.delete(&format!("/api/v1/customers/{}/public-links/{lid}", acme.0))
                .await,
            204
        );
        assert_eq!(anon.get(&tpath).await.0, 404);
        let links = r
            .get(&format!("/api/v1/customers/{}/public-links", acme.0))
            .await;
        assert_eq!(links.1.as_array().map(Vec::len), Some(3), "{}", links.1);
        assert!(!links.1.to_string().contains(&tpath[3..]), "no secret kept");

        // The summary, and the list filtered by quadrant.
        let one = r.get(&format!("/api/v1/surveys/{sid}")).await;
        assert_eq!(one.1["summary"]["responses"], json!(2), "{}", one.1);
        assert_eq!(one.1["summary"]["praise_yes"], json!(1));
        let loyal = r.get("/api/v1/customers?quadrant=loyal").await;
        assert_eq!(loyal.1["items"][0]["id"], json!(acme.0), "{}", loyal.1);
        let bad = r.get("/api/v1/customers?quadrant=happy").await;
        assert_eq!(bad.0, 400, "{}", bad.1);

        // Deactivated: no new links.
        let mut closed = def.clone();
        closed["active"] = json!(false);
        assert_eq!(
            b.put(&format!("/api/v1/surveys/{sid}"), closed).await.0,
            200
        );
        problem(
            &r.post(
                &format!("/api/v1/customers/{}/public-links", acme.0),
                json!({"purpose": "survey", "survey_id": sid}),
            )
            .await,
            422,
            "survey_id",
        );
        let _ = app.stop.send(());
    }
}

#[tokio::test]
async fn ui_define_answer_on_a_call_and_send_a_link() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let boss = user(&app, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let acme = customer(&app, "Acme", &boss).await;
        let mut br = Browser::signed_in(app.addr, "boss@x.com").await;

        // The new-questionnaire form starts from the method's own.
        let (st, html) = br.get("/surveys").await;
        assert_eq!(st, 200);
        assert!(
            html.contains("value=\"Customer satisfaction survey\""),
            "{html}"
        );
        assert!(html.contains("value=\"客户满意度调查\""));
        let (st, _, html) = br
            .post_from(
                "/surveys",
                "/surveys",
                &[("title_en", ""), ("code_0", "product")],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"title_en-error\""), "{html}");
        let (st, loc, _) = br
            .post_from(
                "/surveys",
                "/surveys",
                &[
                    ("title_en", "Quick check"),
                    ("title_ko", "간단 점검"),
                    ("code_0", "product"),
                    ("label_0_en", "Product"),
                    ("code_1", "service"),
                    ("label_1_en", "Service"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        let (st, html) = br.get(&loc).await;
        assert_eq!(st, 200);
        assert!(html.contains("Quick check"));
        let sid: i64 = loc.trim_start_matches("/surveys/").parse().expect("id");

        // The customer page offers the questionnaire and the link form.
        let page = format!("/customers/{}", acme.0);
        let (_, html) = br.get(&page).await;
        assert!(
            html.contains(&format!("id=\"take-survey-{sid}\"")),
            "{html}"
        );
        assert!(html.contains("id=\"link-create\""));

        // Answers from a call.
        let form = format!("/customers/{}/surveys/{sid}", acme.0);
        let (st, html) = br.get(&form).await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"expected_product_5\""));
        let (st, loc, _) = br
            .post_from(
                &form,
                &form,
                &[
                    ("expected_product", "2"),
                    ("perceived_product", "4"),
                    ("expected_service", "4"),
                    ("perceived_service", "2"),
                    ("would_praise", "no"),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        assert_eq!(loc, format!("/customers/{}#surveys", acme.0));
        let (_, html) = br.get(&page).await;
        assert!(html.contains("quadrant-easily_taken"), "{html}");
        assert!(html.contains("Product 2→4"));

        // A link, its address shown once, then listed without it.
        let (st, _, html) = br
            .post_from(
                &page,
                &format!("/customers/{}/public-links", acme.0),
                &[
                    ("purpose", "survey"),
                    ("survey_id", &sid.to_string()),
                    ("language", "ko"),
                    ("days", "7"),
                ],
            )
            .await;
        assert_eq!(st, 200);
        let html = html.replace("&#x2f;", "/");
        let i = html
            .find("/p/")
            .unwrap_or_else(|| panic!("link shown: {html}"));
        let path: String = html[i..].split('"').next().unwrap_or("").to_owned();
        let anon = Browser::new(app.addr);
        let (st, public) = anon.get(&path).await;
        assert_eq!(st, 200);
        assert!(public.contains("간단 점검"), "{public}");
        let (_, html) = br.get(&page).await;
        assert!(!html.contains(&path), "the address is not shown again");
        assert!(html.contains("link-open"));

        // The survey page sums the answer; the matrix links to the list.
        let (_, html) = br.get(&format!("/surveys/{sid}")).await;
        assert!(html.contains("id=\"summary-product\""), "{html}");
        let (_, html) = br.get("/customers?quadrant=easily_taken").await;
        assert!(html.contains("Acme"), "{html}");
        let (_, html) = br.get("/customers?quadrant=loyal").await;
        assert!(!html.contains(">Acme<"), "{html}");
        let (_, html) = br.get("/classes").await;
        assert!(
            html.contains("href=\"/customers?quadrant=easily_taken\""),
            "{html}"
        );
        let _ = app.stop.send(());
    }
}

#[tokio::test]
async fn public_forms_are_rate_limited() {
    let db = TestDb::sqlite();
    let store = patron_store::connect(&db.url).await.expect("connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = patron_web::AppState::with_config(
        store,
        patron_web::WebConfig {
            public_requests: 3,
            ..Default::default()
        },
    );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(patron_web::launch(listener, state, async move {
        let _ = rx.await;
    }));
    let anon = Browser::new(addr);
    for _ in 0..3 {
        assert_eq!(anon.get("/p/guess").await.0, 404);
    }
    let (st, html) = anon.get("/p/guess").await;
    assert_eq!(st, 429);
    assert!(html.contains("Please wait"), "{html}");
    let _ = tx.send(());
}
