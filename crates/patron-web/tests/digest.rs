//! The daily agenda digest against a local SMTP sink (a minimal SMTP server in this file that
//! keeps what it receives): the scheduler's run sends each user's digest once a day, the API
//! and the settings page save validated settings and send a test digest, a mail server that
//! refuses is reported, not fatal; and the reassignment report over the API and the UI. Both
//! databases.

use chrono::Utc;
use patron_core::contact::{DigestSettings, SmtpSecurity};
use patron_core::{CustomerInput, CustomerKind, InteractionInput, InteractionKind, StaffLevel};
use patron_core::{User, UserInput};
use patron_store::contact;
use patron_store::testkit::TestDb;
use patron_store::Store;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[path = "support/browser.rs"]
mod browser_kit;
use browser_kit::{Browser, PASSWORD};
#[path = "support/app.rs"]
mod app;
use app::spawn;

/// A local SMTP server that accepts every message (or, when `refuse`, rejects every
/// recipient) and keeps each message's data.
struct Sink {
    port: u16,
    mails: Arc<Mutex<Vec<String>>>,
}

async fn sink(refuse: bool) -> Sink {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sink");
    let port = listener.local_addr().expect("addr").port();
    let mails: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            kept.lock().expect("lock").push(std::mem::take(d));
                            data = None;
                            let _ = w.write_all(b"250 queued\r\n").await;
                        } else {
                            d.push_str(line.strip_prefix('.').unwrap_or(&line));
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "RCPT" if refuse => b"550 no such mailbox here\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 end with .\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    Sink { port, mails }
}

impl Sink {
    fn mails(&self) -> Vec<String> {
        self.mails.lock().expect("lock").clone()
    }
    fn settings(&self) -> DigestSettings {
        DigestSettings {
            enabled: true,
            smtp_host: "127.0.0.1".into(),
            smtp_port: self.port,
            security: SmtpSecurity::None,
            from: "Patron <crm@example.com>".into(),
            // Due from midnight on: the test runs whatever the time of day.
            send_at: "00:00".into(),
            ..Default::default()
        }
    }
}

/// Decodes a mail's body for assertions (lettre sends non-ASCII text quoted-printable or
/// base64; the sink keeps the raw data).
fn text_of(mail: &str) -> String {
    let (head, body) = mail.split_once("\n\n").unwrap_or((mail, ""));
    let head_l = head.to_ascii_lowercase();
    if head_l.contains("content-transfer-encoding: base64") {
        use std::io::Read;
        let joined: String = body.split_whitespace().collect();
        let bytes = base64_decode(&joined);
        let mut s = String::new();
        let _ = bytes.as_slice().read_to_string(&mut s);
        format!("{head}\n\n{s}")
    } else if head_l.contains("content-transfer-encoding: quoted-printable") {
        let mut out = Vec::new();
        let soft = body.replace("=\n", "");
        let b = soft.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&soft[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        format!("{head}\n\n{}", String::from_utf8_lossy(&out))
    } else {
        mail.to_owned()
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let Some(v) = A.iter().position(|&x| x == c) else {
            continue;
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

async fn user(s: &Arc<dyn Store>, email: &str, level: StaffLevel, lang: Option<&str>) -> User {
    let u = s
        .create_user(UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            staff_level: level,
            manager_id: None,
        })
        .await
        .expect("user");
    s.set_password(u.id, PASSWORD).await.expect("password");
    if let Some(l) = lang {
        s.set_user_language(u.id, Some(l)).await.expect("language");
    }
    s.get_user(u.id).await.expect("user")
}

/// A customer of `owner` with a follow-up promised for today (an item due today).
async fn promise_today(s: &Arc<dyn Store>, owner: &User, name: &str) {
    let c = s
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: name.into(),
            owner_id: Some(owner.id),
            ..Default::default()
        })
        .await
        .expect("customer");
    s.create_interaction(InteractionInput {
        customer_id: c.id,
        kind: InteractionKind::Call,
        occurred_at: Some(Utc::now() - chrono::Duration::days(3)),
        staff_id: Some(owner.id),
        key_person_id: None,
        outcome: None,
        notes: None,
        follow_up_on: Some(Utc::now().date_naive()),
        follow_up: Some("send the price list".into()),
    })
    .await
    .expect("interaction");
}

#[tokio::test]
async fn the_daily_digest_goes_out_once_per_user_and_day() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let s = &app.store;
        let box_ = sink(false).await;
        let rep = user(s, "rep@example.com", StaffLevel::SalesRepresentative, None).await;
        let ko = user(
            s,
            "ko@example.com",
            StaffLevel::SalesRepresentative,
            Some("ko"),
        )
        .await;
        let idle = user(s, "idle@example.com", StaffLevel::SalesRepresentative, None).await;
        promise_today(s, &rep, "Bright Tea Co").await;
        promise_today(s, &ko, "서울상사").await;

        // Off by default: nothing is sent.
        let none = patron_web::digest::run_due(s.as_ref()).await.expect("run");
        assert!(none.is_empty());
        assert!(box_.mails().is_empty());

        contact::save_digest(s.as_ref(), &box_.settings())
            .await
            .expect("save");
        let done = patron_web::digest::run_due(s.as_ref()).await.expect("run");
        let status = |email: &str| {
            done.iter()
                .find(|o| o.email == email)
                .map(|o| o.status.clone())
                .unwrap_or_default()
        };
        assert_eq!(status("rep@example.com"), "sent", "{done:?}");
        assert_eq!(status("ko@example.com"), "sent", "{done:?}");
        // Nothing due today: skipped (the default does not send empty digests).
        assert_eq!(status("idle@example.com"), "skipped", "{done:?}");
        let mails: Vec<String> = box_.mails().iter().map(|m| text_of(m)).collect();
        assert_eq!(mails.len(), 2, "{mails:#?}");
        let to_rep = mails
            .iter()
            .find(|m| m.contains("To: rep@example.com"))
            .expect("rep's mail");
        assert!(to_rep.contains("Bright Tea Co"), "{to_rep}");
        assert!(to_rep.contains("send the price list"), "{to_rep}");
        let to_ko = mails
            .iter()
            .find(|m| m.contains("To: ko@example.com"))
            .expect("ko's mail");
        assert!(to_ko.contains("서울상사"), "{to_ko}");
        assert!(to_ko.contains("좋은 아침"), "in Korean: {to_ko}");

        // Again the same day (a restart, a second server): nothing more.
        let again = patron_web::digest::run_due(s.as_ref()).await.expect("run");
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(box_.mails().len(), 2);
        drop(idle);

        // A mail server that refuses: the digest is recorded as failed, nothing crashes.
        let refusing = sink(true).await;
        let late = user(s, "late@example.com", StaffLevel::SalesRepresentative, None).await;
        promise_today(s, &late, "Late Ltd").await;
        contact::save_digest(s.as_ref(), &refusing.settings())
            .await
            .expect("save");
        let failed = patron_web::digest::run_due(s.as_ref()).await.expect("run");
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].status, "failed");
        assert!(
            failed[0].error.as_deref().unwrap_or("").contains("550")
                || failed[0].error.as_deref().unwrap_or("").contains("mailbox"),
            "{failed:?}"
        );
    }
}

#[tokio::test]
async fn digest_settings_api_and_page_send_a_test_and_report_reassignments() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let s = &app.store;
        let box_ = sink(false).await;
        let admin = user(s, "admin@example.com", StaffLevel::Administrator, None).await;
        let rep = user(s, "rep@example.com", StaffLevel::SalesRepresentative, None).await;
        promise_today(s, &admin, "Admin's Customer").await;
        let token = s
            .create_api_token(admin.id, "tests")
            .await
            .expect("token")
            .secret;
        let api = reqwest::Client::new();
        let url = |p: &str| format!("http://{}{p}", app.addr);

        // The API: off by default, a bad field is named, the password never comes back.
        let r = api
            .get(url("/api/v1/contact/digest"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["enabled"], false);
        assert_eq!(v["password_set"], false);
        let mut body = json!({
            "enabled": true, "smtp_host": "127.0.0.1", "smtp_port": box_.port,
            "security": "none", "from": "not an address", "send_at": "07:00"
        });
        let r = api
            .put(url("/api/v1/contact/digest"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.expect("json");
        assert_eq!(p["field"], "from", "{p}");
        body["from"] = json!("crm@example.com");
        body["username"] = json!("crm");
        body["password"] = json!("secret");
        let r = api
            .put(url("/api/v1/contact/digest"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["password_set"], true);
        assert!(v.get("password").is_none(), "{v}");
        // The sink takes no AUTH; log in without credentials for the test send.
        body.as_object_mut().map(|m| m.remove("username"));
        body["password"] = json!("");
        let r = api
            .put(url("/api/v1/contact/digest"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(r.status(), 200);
        let r = api
            .post(url("/api/v1/contact/digest/send"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        assert_eq!(box_.mails().len(), 1);
        assert!(text_of(&box_.mails()[0]).contains("Admin's Customer"));
        // A representative may not see or change the settings.
        let rep_token = s.create_api_token(rep.id, "t").await.expect("t").secret;
        let r = api
            .get(url("/api/v1/contact/digest"))
            .bearer_auth(&rep_token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 403);

        // The page: errors next to the field, a save, and the test button.
        let mut b = Browser::new(app.addr);
        let (st, _, _) = b
            .post(
                "/sign-in",
                &[
                    ("email", "admin@example.com"),
                    ("password", PASSWORD),
                    ("next", "/agenda"),
                ],
            )
            .await;
        assert_eq!(st, 303);
        let (st, html) = b.get("/agenda/digest").await;
        assert_eq!(st, 200);
        assert!(html.contains("id=\"digest-form\""));
        let csrf = b.csrf("/agenda/digest").await;
        let port = box_.port.to_string();
        let (st, _, html) = b
            .post(
                "/agenda/digest",
                &[
                    ("csrf", &csrf),
                    ("enabled", "on"),
                    ("smtp_host", "127.0.0.1"),
                    ("smtp_port", &port),
                    ("security", "none"),
                    ("from", "crm@example.com"),
                    ("send_at", "7 o'clock"),
                ],
            )
            .await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"send_at-error\""), "{html}");
        let (st, loc, _) = b
            .post(
                "/agenda/digest",
                &[
                    ("csrf", &csrf),
                    ("enabled", "on"),
                    ("smtp_host", "127.0.0.1"),
                    ("smtp_port", &port),
                    ("security", "none"),
                    ("from", "crm@example.com"),
                    ("send_at", "06:45"),
                ],
            )
            .await;
        assert_eq!((st, loc.as_str()), (303, "/agenda/digest?saved=1"));
        let saved = contact::load_digest(s.as_ref()).await.expect("load");
        assert!(saved.enabled);
        assert_eq!(saved.send_at, "06:45");
        let (st, _, html) = b.post("/agenda/digest/test", &[("csrf", &csrf)]).await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("id=\"digest-notice\""), "{html}");
        assert_eq!(box_.mails().len(), 2);

        // The reassignment report: move the relationship manager, see it in the API and the page.
        let c = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: "Moved Account".into(),
                owner_id: Some(rep.id),
                ..Default::default()
            })
            .await
            .expect("customer");
        let mut input = CustomerInput::from(c.clone());
        input.relationship_manager_id = Some(admin.id);
        s.update_customer_by(Some(admin.id), c.id, input)
            .await
            .expect("move");
        let r = api
            .get(url(
                "/api/v1/contact/reassignments?role=relationship_manager",
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("report");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["rows"][0]["customer_name"], "Moved Account", "{v}");
        assert_eq!(v["rows"][0]["to_user_name"], "admin");
        let r = api
            .get(url("/api/v1/contact/reassignments?role=boss"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("report");
        assert_eq!(r.status(), 422);
        let p: Value = r.json().await.expect("json");
        assert_eq!(p["field"], "role", "{p}");
        let (st, html) = b.get("/agenda/reassignments").await;
        assert_eq!(st, 200);
        assert!(html.contains("Moved Account"), "{html}");
        let (st, html) = b.get("/agenda/reassignments?from=2026-13-01").await;
        assert_eq!(st, 422);
        assert!(html.contains("id=\"from-error\""), "{html}");
    }
}
