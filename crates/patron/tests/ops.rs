//! Operations of the real `patron` binary (issue 7, point 7), on SQLite and PostgreSQL:
//!
//! - a graceful shutdown (SIGTERM, and SIGINT as Ctrl-C sends it) finishes the request in
//!   flight — one whose body is still arriving when the signal comes — refuses new
//!   connections, and exits with status 0; the record the request made is there after a
//!   restart;
//! - secrets never reach the logs, even at `RUST_LOG=debug`, in text and in JSON: passwords
//!   (right and wrong), API tokens, session cookies, CSRF tokens, public link secrets and
//!   calendar feed secrets, on the server and on the command line.

mod support;

use patron_store::testkit::TestDb;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, run_json, wait_up};

const PASSWORD: &str = "correct horse battery staple 42";
const WRONG_PASSWORD: &str = "wrong-password-Zebra-9917";

/// An administrator with [`PASSWORD`] and a personal API token, made on the command line (at
/// debug level: their logs must not show the password or the token either).
fn admin(db: &TestDb, email: &str) -> String {
    let (_, err) = run_json(
        support::patron(&db.url)
            .env("RUST_LOG", "debug")
            .args(["user", "add", email, "--role", "admin", "--json"]),
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        !err.contains(PASSWORD),
        "`user add` logged the password: {err}"
    );
    let out = support::patron(&db.url)
        .env("RUST_LOG", "debug")
        .args(["user", "reset-password", email])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut i) = c.stdin.take() {
                i.write_all(format!("{PASSWORD}\n").as_bytes())?;
            }
            c.wait_with_output()
        })
        .expect("reset-password");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains(PASSWORD) && !String::from_utf8_lossy(&out.stdout).contains(PASSWORD),
        "`user reset-password` logged the password: {err}"
    );
    let (v, err) = run_json(
        support::patron(&db.url)
            .env("RUST_LOG", "debug")
            .args(["token", "create", email, "--json"]),
        None,
    );
    let token = v["token"].as_str().expect("token").to_owned();
    assert!(
        !err.contains(&token),
        "`token create` logged the token: {err}"
    );
    token
}

/// `patron serve` on `port`, its standard output and error into `log`.
fn serve(db: &TestDb, port: u16, log: &std::fs::File, extra_env: &[(&str, &str)]) -> Child {
    let mut c = support::patron(&db.url);
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log.try_clone().expect("log")))
        .spawn()
        .expect("serve")
}

fn signal(child: &Child, sig: &str) {
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(st.success(), "kill -{sig}");
}

/// Waits up to `limit` for the process to end.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(st) = child.try_wait().expect("poll") {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_finishes_the_request_in_flight() {
    for db in TestDb::each().await {
        let token = admin(&db, "ops@example.com");
        for sig in ["TERM", "INT"] {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let log = tempfile::NamedTempFile::new().expect("log");
            let mut server = serve(&db, port, log.as_file(), &[]);
            let client = reqwest::Client::new();
            wait_up(&client, &base).await;

            // The headers and half the body of a customer's creation…
            let name = format!("Sent across SIG{sig} ({:?})", db.backend);
            let body = json!({"kind": "organisation", "name": name}).to_string();
            let (first, rest) = body.split_at(body.len() / 2);
            let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            write!(
                conn,
                "POST /api/v1/customers HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                 Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .expect("send the first half");
            conn.flush().expect("flush");
            std::thread::sleep(Duration::from_millis(200));

            // …then the signal…
            signal(&server, sig);
            std::thread::sleep(Duration::from_millis(300));
            assert!(
                server.try_wait().expect("poll").is_none(),
                "SIG{sig}: the server exited with a request in flight"
            );
            // …after which nobody new gets in…
            assert!(
                TcpStream::connect_timeout(
                    &format!("127.0.0.1:{port}").parse().expect("addr"),
                    Duration::from_secs(2)
                )
                .is_err(),
                "SIG{sig}: a new connection was accepted after the signal"
            );
            // …but the request in flight is answered in full.
            conn.write_all(rest.as_bytes()).expect("send the rest");
            conn.flush().expect("flush");
            let mut answer = Vec::new();
            let _ = conn.read_to_end(&mut answer);
            let answer = String::from_utf8_lossy(&answer).into_owned();
            assert!(
                answer.starts_with("HTTP/1.1 201"),
                "SIG{sig}: the request in flight got: {answer:?}"
            );
            let json_at = answer.find("\r\n\r\n").map_or(answer.len(), |i| i + 4);
            let made: Value = serde_json::from_str(answer[json_at..].trim()).unwrap_or(Value::Null);
            let id = made["id"].as_i64().unwrap_or_else(|| panic!("{answer}"));

            let status = wait_exit(&mut server, Duration::from_secs(10));
            if status.is_none() {
                let _ = server.kill();
                let _ = server.wait();
            }
            let logs = std::fs::read_to_string(log.path()).unwrap_or_default();
            let status = status.unwrap_or_else(|| panic!("SIG{sig}: still running: {logs}"));
            assert!(status.success(), "SIG{sig}: exit status {status}: {logs}");

            // After a restart the customer is there.
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let log2 = tempfile::NamedTempFile::new().expect("log");
            let mut again = serve(&db, port, log2.as_file(), &[]);
            wait_up(&client, &base).await;
            let r = client
                .get(format!("{base}/api/v1/customers/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status().as_u16(), 200, "SIG{sig}");
            let v: Value = r.json().await.expect("json");
            assert_eq!(v["name"], json!(name));
            signal(&again, "TERM");
            let st = wait_exit(&mut again, Duration::from_secs(10));
            if st.is_none() {
                let _ = again.kill();
                let _ = again.wait();
            }
            assert!(
                st.is_some_and(|s| s.success()),
                "an idle server stops at once on SIGTERM: {st:?}"
            );
        }
        db.cleanup().await;
    }
}

/// The value of the `name` cookie a response sets.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, v)| *k == name && !v.is_empty())
        .map(|(_, v)| v.to_owned())
}

/// The CSRF token in a page's forms.
fn csrf_in(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[i..].split('"').next().unwrap_or("").to_owned()
}

/// The part of `path` after `prefix`, up to `suffix`.
fn between(text: &str, prefix: &str, suffix: &str) -> String {
    let i = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {text}"))
        + prefix.len();
    let rest = &text[i..];
    rest[..rest.find(suffix).unwrap_or(rest.len())].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    for db in TestDb::each().await {
        let token = admin(&db, "ops@example.com");
        for format in ["text", "json"] {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}");
            let log = tempfile::NamedTempFile::new().expect("log");
            let mut cmd = support::patron(&db.url);
            let mut server = cmd
                .env("RUST_LOG", "debug")
                .args(["--log-format", format])
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::from(log.reopen().expect("log")))
                .stderr(Stdio::from(log.reopen().expect("log")))
                .spawn()
                .expect("serve");
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            wait_up(&client, &base).await;
            let mut secrets: Vec<(&str, String)> = vec![
                ("password", PASSWORD.to_owned()),
                ("wrong password", WRONG_PASSWORD.to_owned()),
                ("API token", token.clone()),
            ];

            // A failed sign-in, then a good one through the form.
            let r = client
                .post(format!("{base}/sign-in"))
                .form(&[
                    ("email", "ops@example.com"),
                    ("password", WRONG_PASSWORD),
                    ("next", "/"),
                ])
                .send()
                .await
                .expect("sign in");
            assert_ne!(r.status().as_u16(), 303, "a wrong password signs in");
            let r = client
                .post(format!("{base}/sign-in"))
                .form(&[
                    ("email", "ops@example.com"),
                    ("password", PASSWORD),
                    ("next", "/"),
                ])
                .send()
                .await
                .expect("sign in");
            assert_eq!(r.status().as_u16(), 303);
            let session = set_cookie(&r, "patron_session").expect("session cookie");
            let cookie = format!("patron_session={session}");
            let html = client
                .get(format!("{base}/tokens"))
                .header("cookie", &cookie)
                .send()
                .await
                .expect("tokens page")
                .text()
                .await
                .expect("body");
            let csrf = csrf_in(&html);
            secrets.push(("session cookie", session.clone()));
            secrets.push(("CSRF token", csrf.clone()));

            // A personal token made in the UI (shown once on the page).
            let r = client
                .post(format!("{base}/tokens"))
                .header("cookie", &cookie)
                .form(&[("csrf", csrf.as_str()), ("name", "laptop")])
                .send()
                .await
                .expect("new token");
            assert!(r.status().is_success(), "{}", r.status());
            let page = r.text().await.expect("body");
            let ui_token = between(&page, "id=\"new-token\">", "<");
            secrets.push(("UI token", ui_token));

            // The API with the bearer token, and with the session and its CSRF header.
            let r = client
                .post(format!("{base}/api/v1/customers"))
                .bearer_auth(&token)
                .json(&json!({"kind": "organisation", "name": "Logged Co"}))
                .send()
                .await
                .expect("create");
            assert_eq!(r.status().as_u16(), 201);
            let cid = r.json::<Value>().await.expect("json")["id"]
                .as_i64()
                .expect("id");
            let r = client
                .patch(format!("{base}/api/v1/customers/{cid}"))
                .header("cookie", &cookie)
                .header("x-csrf-token", &csrf)
                .header("content-type", "application/merge-patch+json")
                .body(r#"{"notes": "via the session"}"#)
                .send()
                .await
                .expect("patch");
            assert_eq!(r.status().as_u16(), 200);
            // A bad token is refused (and not logged either).
            let bad = format!("{token}x");
            let r = client
                .get(format!("{base}/api/v1/customers"))
                .bearer_auth(&bad)
                .send()
                .await
                .expect("get");
            assert_eq!(r.status().as_u16(), 401);

            // A public link: its secret URL is in the answer; opened without signing in.
            let r = client
                .post(format!("{base}/api/v1/customers/{cid}/public-links"))
                .bearer_auth(&token)
                .json(&json!({"purpose": "complaint"}))
                .send()
                .await
                .expect("link");
            assert_eq!(r.status().as_u16(), 201);
            let v: Value = r.json().await.expect("json");
            let url = v["url"].as_str().expect("url").to_owned();
            let link = between(&url, "/p/", "?");
            assert!(link.len() >= 16, "{url}");
            secrets.push(("public link secret", link.clone()));
            let r = client
                .get(format!("{base}/p/{link}"))
                .send()
                .await
                .expect("open");
            assert_eq!(r.status().as_u16(), 200);
            let html = r.text().await.expect("body");
            // The form's own token, if it has one, is a secret too.
            if html.contains("name=\"csrf\" value=\"") {
                let t = csrf_in(&html);
                if !t.is_empty() {
                    secrets.push(("public form token", t));
                }
            }

            // A calendar feed: made through the API and fetched by a calendar program.
            let r = client
                .post(format!("{base}/api/v1/agenda/calendar-feed"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("feed");
            assert!(r.status().is_success(), "{}", r.status());
            let v: Value = r.json().await.expect("json");
            let path = v["path"].as_str().expect("path").to_owned();
            let feed = between(&path, "/calendar/", ".ics");
            assert!(feed.len() >= 16, "{path}");
            secrets.push(("calendar secret", feed.clone()));
            let r = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("calendar");
            assert_eq!(r.status().as_u16(), 200);
            // And one made in the UI.
            let r = client
                .post(format!("{base}/tokens/calendar"))
                .header("cookie", &cookie)
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .expect("ui feed");
            assert!(r.status().is_success(), "{}", r.status());
            let page = r.text().await.expect("body");
            let shown = between(&page, "id=\"feed-link\"><code class=\"secret\">", "<")
                .replace("&#x2f;", "/");
            let ui_feed = between(&shown, "/calendar/", ".ics");
            assert!(ui_feed.len() >= 16 && ui_feed != feed, "{shown}");
            secrets.push(("UI calendar secret", ui_feed.clone()));
            let r = client
                .get(format!("{base}/calendar/{ui_feed}.ics"))
                .send()
                .await
                .expect("calendar");
            assert_eq!(r.status().as_u16(), 200);

            // Signing out (the session cookie is sent once more).
            let r = client
                .post(format!("{base}/sign-out"))
                .header("cookie", &cookie)
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .expect("sign out");
            assert_eq!(r.status().as_u16(), 303);

            signal(&server, "TERM");
            let st = wait_exit(&mut server, Duration::from_secs(10));
            if st.is_none() {
                let _ = server.kill();
                let _ = server.wait();
            }
            let logs = std::fs::read_to_string(log.path()).expect("logs");
            // The logs were on, at debug level, in the format asked for.
            let debug = if format == "json" {
                "\"level\":\"DEBUG\""
            } else {
                "DEBUG"
            };
            assert!(logs.contains(debug), "{format}: no debug lines: {logs}");
            assert!(logs.contains("/api/v1/customers"), "{format}: {logs}");
            for (what, secret) in &secrets {
                assert!(secret.len() >= 8, "{what}: {secret:?}");
                if let Some(line) = logs.lines().find(|l| l.contains(secret.as_str())) {
                    panic!(
                        "{:?} {format}: the {what} is in the logs: {line}",
                        db.backend
                    );
                }
            }
            eprintln!(
                "{:?} {format}: {} secrets checked against {} log lines",
                db.backend,
                secrets.len(),
                logs.lines().count()
            );
        }
        db.cleanup().await;
    }
}
