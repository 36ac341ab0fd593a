//! Complaints (METHOD §4) through the real server, on both backends: recorded and walked through
//! the six steps to closed over the JSON API and in the UI; the 24-hour first reply seen turning
//! overdue (the server's clock moved forward) and escalated to the business manager; status
//! moves refused backwards, out of closed, or without their steps; compensation above the
//! approver's limit refused naming `amount`; the settings kept to those who set rules; scope.

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

#[tokio::test]
async fn api_complaint_from_record_to_closed() {
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
        let gm = user(&app, "gm@x.com", StaffLevel::GeneralManager, None).await;
        let acme = customer(&app, "Acme", &rep).await;
        let (r, b, s, g) = (
            Api::new(&app, &rep).await,
            Api::new(&app, &boss).await,
            Api::new(&app, &stranger).await,
            Api::new(&app, &gm).await,
        );

        // Bad input names the field.
        let bad = r
            .post(
                "/api/v1/complaints",
                json!({"customer_id": acme.0, "channel": "call", "summary": "  "}),
            )
            .await;
        problem(&bad, 422, "summary");
        let bad = r
            .post(
                "/api/v1/complaints",
                json!({"customer_id": acme.0, "channel": "pigeon", "summary": "late"}),
            )
            .await;
        assert_eq!(bad.0, 422, "{}", bad.1);
        assert_eq!(bad.1["field"].as_str(), Some("channel"), "{}", bad.1);
        let bad = s
            .post(
                "/api/v1/complaints",
                json!({"customer_id": acme.0, "channel": "call", "summary": "late"}),
            )
            .await;
        problem(&bad, 422, "customer_id");

        // Recorded: open, handled by the owner, the reply due in 24 hours.
        let (st, c) = r
            .post(
                "/api/v1/complaints",
                json!({"customer_id": acme.0, "channel": "hotline", "cause": "delivery",
                       "summary": "The sofa came two days late", "details": "No call before"}),
            )
            .await;
        assert_eq!(st, 201, "{c}");
        let id = id_of(&c);
        assert_eq!(c["status"], "open");
        assert_eq!(c["owner_id"].as_i64(), Some(rep.id.0));
        assert_eq!(c["overdue"], false);
        assert_eq!(c["steps"].as_array().map(Vec::len), Some(6));
        assert_eq!(c["events"][0]["action"], "recorded");
        let recorded: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(c["recorded_at"].clone()).expect("recorded_at");
        let due: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(c["reply_due_at"].clone()).expect("reply_due_at");
        assert_eq!(due - recorded, Duration::hours(24));
        // Outside the stranger's scope.
        assert_eq!(s.get(&format!("/api/v1/complaints/{id}")).await.0, 404);
        let (_, l) = s.get("/api/v1/complaints").await;
        assert_eq!(l["items"].as_array().map(Vec::len), Some(0), "{l}");

        // 25 hours later: overdue, escalated to the representative's business manager.
        app.clock.advance(Duration::hours(25));
        let (st, l) = b.get("/api/v1/complaints?overdue=true").await;
        assert_eq!(st, 200, "{l}");
        assert_eq!(l["items"][0]["id"].as_i64(), Some(id), "{l}");
        assert_eq!(l["items"][0]["overdue"], true);
        assert_eq!(l["items"][0]["escalated_to"].as_i64(), Some(boss.id.0));
        assert_eq!(l["counts"]["overdue"].as_i64(), Some(1), "{l}");

        // Resolved needs its steps first.
        let moved = r
            .post(
                &format!("/api/v1/complaints/{id}/status"),
                json!({"status": "resolved"}),
            )
            .await;
        assert_eq!(moved.0, 409, "{}", moved.1);
        assert!(
            moved.1["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("apologise, root_cause, solve"),
            "{}",
            moved.1
        );
        // Listening is the first reply (late).
        let (st, c) = r
            .post(
                &format!("/api/v1/complaints/{id}/steps"),
                json!({"step": "listen", "note": "Heard the customer out"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert!(c["first_reply_at"].is_string(), "{c}");
        assert_eq!(c["replied_late"], true);
        assert_eq!(c["overdue"], false);
        let (_, l) = b.get("/api/v1/complaints?overdue=true").await;
        assert_eq!(l["items"].as_array().map(Vec::len), Some(0), "{l}");

        // Compensation within the representative's authority (200.00), not above it.
        let over = r
            .post(
                &format!("/api/v1/complaints/{id}/compensations"),
                json!({"kind": "discount", "amount": "500.00"}),
            )
            .await;
        problem(&over, 422, "amount");
        assert_eq!(over.1["errors"][0]["code"], "above_limit", "{}", over.1);
        let (st, c) = r
            .post(
                &format!("/api/v1/complaints/{id}/compensations"),
                json!({"kind": "discount", "amount": "150.00"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["compensations"][0]["amount_minor"].as_i64(), Some(15_000));
        assert_eq!(
            c["compensations"][0]["approved_by"].as_i64(),
            Some(rep.id.0)
        );
        let (st, c) = b
            .post(
                &format!("/api/v1/complaints/{id}/compensations"),
                json!({"kind": "refund", "amount": "500.00"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");

        // The promise, then the rest of the steps and the statuses in order.
        let (st, c) = r
            .put(
                &format!("/api/v1/complaints/{id}/promise"),
                json!({"promise": "Deliver the cushions on Friday", "due": "2030-01-04"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["promise_due"], "2030-01-04");
        for step in ["apologise", "root_cause", "solve"] {
            let (st, c) = r
                .post(
                    &format!("/api/v1/complaints/{id}/steps"),
                    json!({"step": step}),
                )
                .await;
            assert_eq!(st, 200, "{step}: {c}");
        }
        let (st, c) = r
            .post(
                &format!("/api/v1/complaints/{id}/status"),
                json!({"status": "resolved", "note": "Cushions delivered"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        let back = r
            .post(
                &format!("/api/v1/complaints/{id}/status"),
                json!({"status": "investigating"}),
            )
            .await;
        assert_eq!(back.0, 409, "{}", back.1);
        for step in ["follow_up", "record"] {
            r.post(
                &format!("/api/v1/complaints/{id}/steps"),
                json!({"step": step}),
            )
            .await;
        }
        let (st, c) = r
            .put(
                &format!("/api/v1/complaints/{id}/promise"),
                json!({"promise": "Deliver the cushions on Friday", "due": "2030-01-04",
                       "outcome": "kept"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["promise_outcome"], "kept");
        let (st, c) = r
            .post(
                &format!("/api/v1/complaints/{id}/status"),
                json!({"status": "closed"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["status"], "closed");
        assert!(c["closed_at"].is_string());
        assert_eq!(c["steps_done"].as_i64(), Some(6));
        // Who did what: every change, in order.
        let actions: Vec<&str> = c["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions.first(), Some(&"recorded"));
        assert_eq!(actions.last(), Some(&"status"));
        assert!(actions.contains(&"compensation") && actions.contains(&"first_reply"));

        // Reopening, or changing a closed complaint, is a conflict.
        let reopen = r
            .post(
                &format!("/api/v1/complaints/{id}/status"),
                json!({"status": "open"}),
            )
            .await;
        assert_eq!(reopen.0, 409, "{}", reopen.1);
        let late_step = r
            .post(
                &format!("/api/v1/complaints/{id}/steps"),
                json!({"step": "listen"}),
            )
            .await;
        assert_eq!(late_step.0, 409, "{}", late_step.1);
        let (_, l) = r.get("/api/v1/complaints?status=closed").await;
        assert_eq!(l["items"][0]["id"].as_i64(), Some(id), "{l}");
        let (_, l) = r.get("/api/v1/complaints").await;
        assert_eq!(l["items"][0]["status"], "closed", "{l}");
        let (st, _) = r.get("/api/v1/complaints?status=reopened").await;
        assert_eq!(st, 400);

        // Settings: everyone reads them, those who set rules change them.
        let (st, set) = r.get("/api/v1/complaints/settings").await;
        assert_eq!(st, 200, "{set}");
        assert_eq!(set["reply_hours"].as_i64(), Some(24));
        let mut changed = set.clone();
        changed["reply_hours"] = json!(48);
        assert_eq!(
            r.put("/api/v1/complaints/settings", changed.clone())
                .await
                .0,
            403
        );
        let (st, out) = g.put("/api/v1/complaints/settings", changed).await;
        assert_eq!(st, 200, "{out}");
        let bad = g
            .put(
                "/api/v1/complaints/settings",
                json!({"reply_hours": 0, "compensation_limits": []}),
            )
            .await;
        problem(&bad, 422, "reply_hours");
        let (_, c) = r
            .post(
                "/api/v1/complaints",
                json!({"customer_id": acme.0, "channel": "letter", "summary": "Scratched"}),
            )
            .await;
        let recorded: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(c["recorded_at"].clone()).expect("recorded_at");
        let due: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(c["reply_due_at"].clone()).expect("reply_due_at");
        assert_eq!(due - recorded, Duration::hours(48));
        // A reply to the customer is logged and is the first reply.
        let (st, c) = r
            .post(
                &format!("/api/v1/complaints/{}/reply", id_of(&c)),
                json!({"text": "We will send a technician tomorrow"}),
            )
            .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["status"], "acknowledged");
        assert_eq!(c["replied_late"], false);
    }
}

#[tokio::test]
async fn ui_board_overdue_flag_steps_and_limits() {
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
        let acme = customer(&app, "王记家具", &rep).await;
        let mut ui = Browser::signed_in(app.addr, "rep@x.com").await;

        let form = format!("/complaints/new?customer={}", acme.0);
        let (st, html) = ui.get(&form).await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"cp_summary\""), "{html}");
        // An empty summary is refused next to the field.
        let acme_id = acme.0.to_string();
        let (st, _, html) = ui
            .post_from(
                &form,
                "/complaints/new",
                &[
                    ("customer_id", &acme_id),
                    ("channel", "call"),
                    ("cause", "delivery"),
                    ("summary", ""),
                ],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"summary-error\""), "{html}");
        let (st, loc, _) = ui
            .post_from(
                &form,
                "/complaints/new",
                &[
                    ("customer_id", &acme_id),
                    ("channel", "call"),
                    ("cause", "delivery"),
                    ("summary", "沙发晚到两天"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        let id: i64 = loc
            .trim_start_matches("/complaints/")
            .parse()
            .unwrap_or_else(|_| panic!("{loc}"));
        let page = format!("/complaints/{id}");

        // The board: due, not overdue; 25 hours later overdue.
        let (_, html) = ui.get("/complaints").await;
        assert!(html.contains(&format!("id=\"due-{id}\"")), "{html}");
        assert!(!html.contains(&format!("id=\"overdue-{id}\"")), "{html}");
        app.clock.advance(Duration::hours(25));
        let (_, html) = ui.get("/complaints").await;
        assert!(html.contains(&format!("id=\"overdue-{id}\"")), "{html}");
        assert!(html.contains("escalated to boss"), "{html}");
        let (_, html) = ui.get("/complaints?overdue=1").await;
        assert!(html.contains(&format!("id=\"complaint-{id}\"")), "{html}");
        // The customer's page shows it on the timeline, flagged.
        let (_, html) = ui.get(&format!("/customers/{}", acme.0)).await;
        assert!(
            html.contains(&format!("id=\"timeline-complaint-{id}\"")),
            "{html}"
        );
        assert!(html.contains("id=\"record-complaint\""), "{html}");

        // Resolved before its steps: refused, naming the missing steps.
        let status = format!("/complaints/{id}/status");
        let (st, _, html) = ui
            .post_from(&page, &status, &[("status", "resolved")])
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("these steps must be done first"), "{html}");
        // Above the representative's authority.
        let comp = format!("/complaints/{id}/compensations");
        let (st, _, html) = ui
            .post_from(&page, &comp, &[("kind", "refund"), ("amount", "999")])
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("above your authority"), "{html}");
        assert!(html.contains("id=\"compensation-amount-error\""), "{html}");

        // The six steps, then closed.
        let steps = format!("/complaints/{id}/steps");
        for step in [
            "listen",
            "apologise",
            "root_cause",
            "solve",
            "follow_up",
            "record",
        ] {
            let (st, loc, _) = ui
                .post_from(&page, &steps, &[("step", step), ("note", "好")])
                .await;
            assert_eq!(st, 303, "{step}");
            assert!(loc.starts_with(&page), "{loc}");
        }
        let (st, _, _) = ui
            .post_from(&page, &status, &[("status", "closed"), ("note", "done")])
            .await;
        assert_eq!(st, 303);
        let (_, html) = ui.get(&page).await;
        assert!(html.contains("id=\"complaint-status\">Closed"), "{html}");
        assert!(html.contains("id=\"step-record-done\""), "{html}");
        assert!(!html.contains("id=\"status-save\""), "{html}");

        // Settings: a representative reads them but has no save button.
        let (st, html) = ui.get("/complaints/settings").await;
        assert_eq!(st, 200);
        assert!(!html.contains("id=\"settings-save\""), "{html}");
        let (st, _, _) = ui
            .post_from(
                "/complaints",
                "/complaints/settings",
                &[("reply_hours", "48")],
            )
            .await;
        assert_eq!(st, 403);
        // A business manager cannot either (the marketing director and above can).
        let mut bm = Browser::signed_in(app.addr, "boss@x.com").await;
        let (_, html) = bm.get("/complaints?status=closed").await;
        assert!(html.contains(&format!("id=\"complaint-{id}\"")), "{html}");
        let (st, _, _) = bm
            .post_from(
                "/complaints",
                "/complaints/settings",
                &[("reply_hours", "48")],
            )
            .await;
        assert_eq!(st, 403);
        let _ = rep;
    }
}
