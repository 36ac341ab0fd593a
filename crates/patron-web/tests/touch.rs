//! Keeping in touch (METHOD §3.3) through the real server, on both backends: templates rendered
//! and used over the JSON API and in the UI, the event flow (invite, reply, attend → a meeting
//! logged), customers' requests replied to (ending the agenda item), 4xx answers naming the
//! field, and scope.

use chrono::{Duration, Utc};
use patron_core::{CustomerId, InteractionKind, KeyPersonInput, StaffLevel};
use patron_store::testkit::TestDb;
use patron_store::InteractionQuery;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::Browser;
#[path = "support/app.rs"]
mod app;
use app::{customer, problem, spawn, user, Api, App};

async fn kinds_logged(app: &App, c: CustomerId, kind: InteractionKind) -> usize {
    app.store
        .list_interactions(&InteractionQuery {
            customer_id: Some(c),
            kind: Some(kind),
            ..Default::default()
        })
        .await
        .expect("interactions")
        .items
        .len()
}

#[tokio::test]
async fn api_templates_events_and_requests() {
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
        let li = app
            .store
            .create_key_person(
                acme,
                KeyPersonInput {
                    name: "Ms Li".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("kp")
            .id;
        let (b, r, s) = (
            Api::new(&app, &boss).await,
            Api::new(&app, &rep).await,
            Api::new(&app, &stranger).await,
        );

        // Templates: managers write them; an unknown placeholder is a 422 naming the field.
        let body = |text: &str| {
            json!({"kind": "letter", "name": "Thanks", "language": "en",
                   "subject": "Thank you, {customer}", "body": text})
        };
        let e = b.post("/api/v1/templates", body("Dear {custmer}")).await;
        problem(&e, 422, "body");
        assert!(
            e.1["detail"].as_str().unwrap_or("").contains("{custmer}"),
            "{}",
            e.1
        );
        problem(
            &b.post(
                "/api/v1/templates",
                json!({"kind": "visit", "name": "x", "language": "en", "body": "x"}),
            )
            .await,
            422,
            "kind",
        );
        assert_eq!(
            r.post("/api/v1/templates", body("Dear {key_person}"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (st, t) = b
            .post(
                "/api/v1/templates",
                body("Dear {key_person}, regards {staff}"),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{t}");
        let tid = t["id"].as_i64().expect("id");
        let (st, list) = r.get("/api/v1/templates?active=true").await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(list.as_array().map(Vec::len), Some(1));

        // Rendering for a customer the caller sees; logging makes a letter interaction.
        let render = format!("/api/v1/templates/{tid}/render");
        let (st, out) = r
            .post(
                &render,
                json!({"customer_id": acme.0, "key_person_id": li.0}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{out}");
        assert_eq!(out["rendered"]["body"], "Dear Ms Li, regards rep");
        assert_eq!(out["rendered"]["subject"], "Thank you, Acme");
        assert!(out["interaction_id"].is_null());
        problem(
            &s.post(&render, json!({"customer_id": acme.0})).await,
            422,
            "customer_id",
        );
        let (st, out) = r
            .post(&render, json!({"customer_id": acme.0, "log": true}))
            .await;
        assert_eq!(st, StatusCode::OK, "{out}");
        assert!(out["interaction_id"].is_i64());
        assert_eq!(kinds_logged(&app, acme, InteractionKind::Letter).await, 1);

        // Events: create, invite, reply and attend.
        let starts = Utc::now() + Duration::days(7);
        let ev = json!({"kind": "seminar", "title": "Spring seminar",
                        "starts_at": starts, "ends_at": starts - Duration::hours(1)});
        problem(&r.post("/api/v1/events", ev.clone()).await, 422, "ends_at");
        let mut ok = ev.clone();
        ok["ends_at"] = json!(starts + Duration::hours(2));
        let (st, e) = r.post("/api/v1/events", ok).await;
        assert_eq!(st, StatusCode::CREATED, "{e}");
        let eid = e["id"].as_i64().expect("event id");
        let inv = format!("/api/v1/events/{eid}/invitations");
        problem(&r.post(&inv, json!({})).await, 422, "customer_ids");
        problem(
            &s.post(&inv, json!({"customer_ids": [acme.0]})).await,
            422,
            "customer_ids[0]",
        );
        let (st, rep_) = r.post(&inv, json!({"customer_ids": [acme.0]})).await;
        assert_eq!(st, StatusCode::OK, "{rep_}");
        assert_eq!(rep_["invited"], 1);
        problem(
            &r.patch(&inv, json!({"invitation_id": 999_999, "reply": "accepted"}))
                .await,
            422,
            "invitation_id",
        );
        problem(
            &r.patch(&inv, json!({"customer_id": acme.0})).await,
            422,
            "reply",
        );
        let (st, changed) = r
            .patch(
                &inv,
                json!({"customer_id": acme.0, "reply": "accepted", "attended": true}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{changed}");
        assert_eq!(changed["reply"], "accepted");
        assert_eq!(changed["attended"], true);
        assert!(changed["interaction_id"].is_i64());
        assert_eq!(kinds_logged(&app, acme, InteractionKind::Meeting).await, 1);
        let (_, e) = r.get(&format!("/api/v1/events/{eid}")).await;
        assert_eq!(
            (e["invited"].as_i64(), e["attended"].as_i64()),
            (Some(1), Some(1))
        );
        // The stranger sees the event but none of the rep's invitations.
        let (_, theirs) = s.get(&inv).await;
        assert_eq!(theirs.as_array().map(Vec::len), Some(0));
        assert_eq!(
            s.call(Method::DELETE, &format!("/api/v1/events/{eid}"), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // Requests: voiced 25 hours ago, overdue; on the owner's agenda until replied.
        problem(
            &r.post(
                "/api/v1/requests",
                json!({"customer_id": acme.0, "text": " "}),
            )
            .await,
            422,
            "text",
        );
        problem(
            &s.post(
                "/api/v1/requests",
                json!({"customer_id": acme.0, "text": "x"}),
            )
            .await,
            422,
            "customer_id",
        );
        let (st, req) = b
            .post(
                "/api/v1/requests",
                json!({"customer_id": acme.0, "kind": "request",
                       "text": "Please call about the invoice",
                       "voiced_at": Utc::now() - Duration::hours(25)}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{req}");
        assert_eq!(req["overdue"], true);
        assert_eq!(req["assigned_to"], rep.id.0);
        let rid = req["id"].as_i64().expect("request id");
        let (_, overdue) = r.get("/api/v1/requests?overdue=true").await;
        assert_eq!(overdue.as_array().map(Vec::len), Some(1));
        let key = format!("reply_due:{rid}");
        let on_agenda = |a: &Value| {
            a["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|i| i["key"] == key.as_str()))
        };
        let (_, agenda) = r.get("/api/v1/agenda").await;
        assert!(on_agenda(&agenda), "{agenda}");
        assert!(agenda["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["kind"] == "reply_due")));
        assert_eq!(
            s.get(&format!("/api/v1/requests/{rid}")).await.0,
            StatusCode::NOT_FOUND
        );
        let reply = format!("/api/v1/requests/{rid}/reply");
        problem(&r.post(&reply, json!({"text": ""})).await, 422, "text");
        let (st, done) = r
            .post(&reply, json!({"text": "Called back, invoice corrected"}))
            .await;
        assert_eq!(st, StatusCode::OK, "{done}");
        assert!(done["replied_at"].is_string());
        assert_eq!(done["overdue"], false);
        assert_eq!(
            r.post(&reply, json!({"text": "again"})).await.0,
            StatusCode::CONFLICT
        );
        let (_, agenda) = r.get("/api/v1/agenda").await;
        assert!(!on_agenda(&agenda), "{agenda}");
        let (_, open) = r.get("/api/v1/requests?open=true").await;
        assert_eq!(open.as_array().map(Vec::len), Some(0));

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// A browser without JavaScript: one cookie jar of one session.
#[tokio::test]
async fn ui_template_use_event_flow_and_request_reply() {
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
        let _other = user(&app, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&app, "Acme Trading", &rep).await;
        let mut b = Browser::signed_in(app.addr, "boss@x.com").await;
        let csrf = b.csrf("/templates").await;

        // Templates: the manager writes one; a typo in a placeholder is named next to the text.
        let (s, html) = b.get("/templates").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"tpl_body\""),
            "the manager gets the form"
        );
        let form = |body: &'static str| {
            vec![
                ("kind", "card"),
                ("name", "Thank-you card"),
                ("language", "en"),
                ("subject", ""),
                ("body", body),
                ("active", "1"),
            ]
        };
        let mut f: Vec<(&str, &str)> = form("Dear {custmer}");
        f.push(("csrf", &csrf));
        let (s, _, html) = b.post("/templates", &f).await;
        assert_eq!(s, 422);
        assert!(html.contains("{custmer} is not a placeholder"), "{html}");
        let mut f: Vec<(&str, &str)> = form("Dear {customer}, thank you! {staff}");
        f.push(("csrf", &csrf));
        let (s, loc, _) = b.post("/templates", &f).await;
        assert_eq!((s, loc.as_str()), (303, "/templates"));
        let tid = app.store.list_templates(None, true).await.expect("list")[0].id;

        // Using it from the customer page: preview, then log as a card.
        let (_, page) = b.get(&format!("/customers/{acme}")).await;
        assert!(page.contains("id=\"voice-request\"") && page.contains("id=\"use-template\""));
        let (s, html) = b
            .get(&format!("/templates/use?customer={acme}&template={tid}"))
            .await;
        assert_eq!(s, 200);
        assert!(
            html.contains("Dear Acme Trading, thank you! boss"),
            "{html}"
        );
        let (s, loc, _) = b
            .post(
                "/templates/use",
                &[
                    ("csrf", &csrf),
                    ("customer", &acme.to_string()),
                    ("template", &tid.to_string()),
                    ("key_person", ""),
                ],
            )
            .await;
        assert_eq!((s, loc), (303, format!("/customers/{acme}#timeline")));
        assert_eq!(kinds_logged(&app, acme, InteractionKind::Card).await, 1);
        let (s, _, _) = b
            .post(
                "/templates/use",
                &[
                    ("csrf", &csrf),
                    ("customer", &acme.to_string()),
                    ("template", ""),
                ],
            )
            .await;
        assert_eq!(s, 422, "a template must be chosen");

        // Events: create, invite the customer, record the reply and attendance.
        let starts = (Utc::now() + Duration::days(5))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let (s, _, html) = b
            .post(
                "/events",
                &[
                    ("csrf", &csrf),
                    ("kind", "seminar"),
                    ("title", " "),
                    ("starts_at", &starts),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"title-error\""), "{html}");
        let (s, loc, _) = b
            .post(
                "/events",
                &[
                    ("csrf", &csrf),
                    ("kind", "seminar"),
                    ("title", "Product seminar"),
                    ("starts_at", &starts),
                    ("place", "Head office"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let (s, loc2, _) = b
            .post(
                &format!("{loc}/invite"),
                &[("csrf", &csrf), ("customer_id", &acme.to_string())],
            )
            .await;
        assert_eq!((s, loc2), (303, format!("{loc}#invitations")));
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("Acme Trading"), "{html}");
        let eid: i64 = loc
            .trim_start_matches("/events/")
            .parse()
            .expect("event id");
        let inv = app
            .store
            .list_invitations(eid, patron_core::Scope::All)
            .await
            .expect("invitations")[0]
            .id;
        let (s, _, _) = b
            .post(
                &format!("{loc}/invitations/{inv}"),
                &[("csrf", &csrf), ("reply", "accepted"), ("attended", "yes")],
            )
            .await;
        assert_eq!(s, 303);
        assert_eq!(kinds_logged(&app, acme, InteractionKind::Meeting).await, 1);
        let (_, html) = b.get("/events").await;
        assert!(html.contains("Product seminar"));

        // A request voiced two days ago: overdue on the replies page until answered.
        let (s, html) = b.get(&format!("/customers/{acme}/requests/new")).await;
        assert_eq!(s, 200, "{html}");
        let path = format!("/customers/{acme}/requests/new");
        let (s, _, html) = b
            .post(&path, &[("csrf", &csrf), ("kind", "opinion"), ("text", "")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"text-error\""), "{html}");
        let voiced = (Utc::now() - Duration::days(2))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let (s, loc, _) = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("kind", "criticism"),
                    ("text", "The delivery came late"),
                    ("voiced_at", &voiced),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let rid: i64 = loc
            .trim_start_matches("/requests#request-")
            .parse()
            .expect("request id");
        let (_, html) = b.get("/requests").await;
        assert!(html.contains(&format!("id=\"overdue-{rid}\"")), "{html}");
        let (s, _, html) = b
            .post(
                &format!("/requests/{rid}/reply"),
                &[("csrf", &csrf), ("text", " "), ("kind", "call")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains(&format!("id=\"reply-error-{rid}\"")),
            "{html}"
        );
        let (s, _, _) = b
            .post(
                &format!("/requests/{rid}/reply"),
                &[
                    ("csrf", &csrf),
                    ("text", "Apologised, redelivered"),
                    ("kind", "call"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let (_, html) = b.get("/requests").await;
        assert!(!html.contains(&format!("id=\"overdue-{rid}\"")));
        assert!(html.contains("Apologised, redelivered"));

        // Another representative sees neither the customer's form nor its invitation.
        let o = Browser::signed_in(app.addr, "other@x.com").await;
        assert_eq!(
            o.get(&format!("/customers/{acme}/requests/new")).await.0,
            404
        );
        let (_, html) = o.get(&format!("/events/{eid}")).await;
        assert!(!html.contains(&format!("id=\"inv-{inv}\"")));
        // And a representative may not write templates.
        let mut rb = Browser::signed_in(app.addr, "rep@x.com").await;
        let (_, html) = rb.get("/templates").await;
        assert!(!html.contains("id=\"tpl_body\""));
        let rc = rb.csrf("/templates").await;
        let mut f: Vec<(&str, &str)> = form("x");
        f.push(("csrf", &rc));
        assert_eq!(rb.post("/templates", &f).await.0, 403);
        let _ = rep;

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
