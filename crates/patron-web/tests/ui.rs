//! The HTML UI through HTTP as a browser without JavaScript uses it: sign in with a form, keep
//! the session cookie, submit forms with their CSRF token. Runs on both backends.

use patron_core::{CustomerInput, CustomerKind, StaffLevel, UserInput};
use patron_store::testkit::TestDb;
use patron_store::Store;
use reqwest::redirect::Policy;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

struct App {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    stop: oneshot::Sender<()>,
}

async fn spawn(db: &TestDb) -> App {
    spawn_with(db, patron_web::WebConfig::default()).await
}

async fn spawn_with(db: &TestDb, config: patron_web::WebConfig) -> App {
    let store = patron_store::connect(&db.url).await.expect("connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let state = patron_web::AppState::with_config(store.clone(), config);
    tokio::spawn(patron_web::launch(listener, state, async move {
        let _ = rx.await;
    }));
    App {
        addr,
        store,
        stop: tx,
    }
}

/// A browser without JavaScript: one cookie jar of one session.
struct Browser<'a> {
    app: &'a App,
    client: reqwest::Client,
    cookie: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a App) -> Self {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            cookie: String::new(),
        }
    }
    fn url(&self, p: &str) -> String {
        format!("http://{}{}", self.app.addr, p)
    }
    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(self.url(path))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        (r.status().as_u16(), r.text().await.expect("body"))
    }
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        for c in r.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap_or("");
            if let Some(kv) = c.split(';').next() {
                if kv.starts_with("patron_session=") || kv.starts_with("patron_lang=") {
                    let name = kv.split('=').next().unwrap_or("");
                    let mut kept: Vec<String> = self
                        .cookie
                        .split("; ")
                        .filter(|x| !x.is_empty() && !x.starts_with(&format!("{name}=")))
                        .map(str::to_owned)
                        .collect();
                    kept.push(kv.to_owned());
                    self.cookie = kept.join("; ");
                }
            }
        }
        (status, loc, r.text().await.expect("body"))
    }
    /// Uploads `body` as the file of the import form.
    async fn upload(
        &self,
        csrf: &str,
        entity: &str,
        name: &str,
        body: Vec<u8>,
    ) -> (u16, String, String) {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .text("entity", entity.to_owned())
            .part(
                "file",
                reqwest::multipart::Part::bytes(body).file_name(name.to_owned()),
            );
        let r = self
            .client
            .post(self.url("/import"))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, loc, r.text().await.unwrap_or_default())
    }
    async fn sign_in(&mut self, email: &str, password: &str) -> (u16, String) {
        let (s, loc, _) = self
            .post(
                "/sign-in",
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/customers"),
                ],
            )
            .await;
        (s, loc)
    }
    /// The CSRF token of the page at `path`.
    async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path).await;
        let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
        html[i..].split('"').next().unwrap_or("").to_owned()
    }
}

async fn user(app: &App, email: &str, level: StaffLevel) -> patron_core::User {
    let u = app
        .store
        .create_user(UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            staff_level: level,
            manager_id: None,
        })
        .await
        .expect("user");
    app.store
        .set_password(u.id, "a good long password")
        .await
        .expect("password");
    u
}

#[tokio::test]
async fn sign_in_search_customer_page_log_visit_language_and_access() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        let mk = |name: &str, owner| CustomerInput {
            kind: CustomerKind::Person,
            name: name.into(),
            owner_id: Some(owner),
            notes: Some("<script>alert(1)</script>".into()),
            ..Default::default()
        };
        let mine = app
            .store
            .create_customer(mk("张三丰", ann.id))
            .await
            .expect("c");
        let theirs = app
            .store
            .create_customer(mk("张无忌", ben.id))
            .await
            .expect("c");

        let mut b = Browser::new(&app);
        // Signed out: pages lead to the sign-in form.
        let (s, _) = b.get("/customers").await;
        assert_eq!(s, 303);
        // A wrong password is refused without saying which part was wrong.
        let (s, _) = b.sign_in("ann@example.com", "wrong password!").await;
        assert_eq!(s, 401);
        let (s, loc) = b.sign_in("ann@example.com", "a good long password").await;
        assert_eq!((s, loc.as_str()), (303, "/customers"));
        assert!(b.cookie.contains("patron_session="));

        // Search by a Chinese substring; only Ann's customers are listed.
        let (s, html) = b.get("/customers?q=%E4%B8%89%E4%B8%B0").await;
        assert_eq!(s, 200);
        assert!(html.contains("张三丰"), "{html}");
        let (_, all) = b.get("/customers?q=%E5%BC%A0").await;
        assert!(all.contains("张三丰") && !all.contains("张无忌"));

        // The customer page escapes what users typed.
        let (s, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert_eq!(s, 200);
        assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
        assert!(!page.contains("<script>alert(1)</script>"));

        // Log a visit through the form.
        let csrf = b.csrf(&format!("/customers/{}", mine.id)).await;
        let path = format!("/customers/{}/interactions", mine.id);
        let (s, _, _) = b
            .post(
                &path,
                &[("csrf", &csrf), ("kind", "visit"), ("outcome", "谈妥了<b>")],
            )
            .await;
        assert_eq!(s, 303);
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains("谈妥了&lt;b&gt;"), "{page}");
        // A forged CSRF token changes nothing.
        let (s, _, _) = b
            .post(
                &path,
                &[("csrf", "forged"), ("kind", "visit"), ("outcome", "forged")],
            )
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            app.store
                .customer_history(mine.id, 10)
                .await
                .expect("history")
                .iter()
                .filter(|h| h.action == "create" && h.entity.as_str() == "interaction")
                .count(),
            1
        );

        // Another rep's customer is "not found", by URL and by form.
        let (s, other) = b.get(&format!("/customers/{}", theirs.id)).await;
        assert_eq!(s, 404);
        assert!(!other.contains("张无忌"));
        let (s, _) = b.get("/customers/not-a-number").await;
        assert_eq!(s, 404);
        let (s, _, _) = b
            .post(
                &format!("/customers/{}/interactions", theirs.id),
                &[("csrf", &csrf), ("kind", "visit")],
            )
            .await;
        assert_eq!(s, 404);

        // Switch to Korean: the labels follow, and the choice is kept for the user.
        let (s, loc, _) = b
            .post(
                "/language",
                &[("csrf", &csrf), ("lang", "ko"), ("next", "/customers")],
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, "/customers"));
        let (_, html) = b.get("/customers").await;
        assert!(
            html.contains("lang=\"ko\"") && html.contains("고객"),
            "{html}"
        );
        let me = app.store.get_user(ann.id).await.expect("user");
        assert_eq!(me.language.as_deref(), Some("ko"));

        // Sign out ends the session on the server.
        let (s, _, _) = b.post("/sign-out", &[("csrf", &csrf)]).await;
        assert_eq!(s, 303);
        let (s, _) = b.get("/customers").await;
        assert_eq!(s, 303);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_expired_sessions_do_not_count() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let u = user(&app, "ann@example.com", StaffLevel::Administrator).await;
        let mut b = Browser::new(&app);
        for _ in 0..5 {
            let (s, _) = b.sign_in("ann@example.com", "wrong password!").await;
            assert_eq!(s, 401);
        }
        // Even the right password is refused now.
        let (s, _) = b.sign_in("ann@example.com", "a good long password").await;
        assert_eq!(s, 429);
        // An expired session is as good as none.
        let old = app
            .store
            .create_session(u.id, chrono::Utc::now() - chrono::Duration::seconds(1))
            .await
            .expect("session");
        b.cookie = format!("patron_session={}", old.token);
        let (s, _) = b.get("/customers").await;
        assert_eq!(s, 303);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn import_wizard_maps_previews_dry_runs_and_imports() {
    for db in TestDb::each().await {
        let uploads = tempfile::tempdir().expect("tempdir");
        let config = patron_web::WebConfig {
            upload_limit: 64 * 1024,
            upload_dir: uploads.path().to_path_buf(),
            ..Default::default()
        };
        let app = spawn_with(&db, config).await;
        user(&app, "dora@example.com", StaffLevel::MarketingDirector).await;
        user(&app, "sam@example.com", StaffLevel::SalesRepresentative).await;

        // A sales representative may not import (an import reaches the whole archive).
        let mut rep = Browser::new(&app);
        rep.sign_in("sam@example.com", "a good long password").await;
        let (s, html) = rep.get("/import").await;
        assert_eq!(s, 403, "{html}");
        let (_, list) = rep.get("/customers").await;
        assert!(!list.contains("href=\"/import\""));
        let csrf = rep.csrf("/customers").await;
        let (s, _, _) = rep
            .upload(&csrf, "customers", "a.csv", b"name\nX\n".to_vec())
            .await;
        assert_eq!(s, 403);

        let mut b = Browser::new(&app);
        b.sign_in("dora@example.com", "a good long password").await;
        let csrf = b.csrf("/import").await;
        // A forged token uploads nothing.
        let (s, _, _) = b
            .upload("forged", "customers", "a.csv", b"name\nX\n".to_vec())
            .await;
        assert_eq!(s, 403);
        // Too big: a clear 413 page, nothing kept.
        let big = vec![b'x'; 70 * 1024];
        let (s, _, html) = b.upload(&csrf, "customers", "big.csv", big).await;
        assert_eq!(s, 413, "{html}");
        assert!(
            html.contains("import-error") && html.contains("MB"),
            "{html}"
        );
        // Not a table file.
        let (s, _, _) = b.upload(&csrf, "customers", "x.exe", b"MZ".to_vec()).await;
        assert_eq!(s, 422);

        let csv = "姓名,电话,Mystery,备注\n王小明,13800000001,a,<script>x</script>\n李四,bad-phone,b,\n,13800000003,c,\n";
        let (s, loc, _) = b
            .upload(&csrf, "customers", "客户.csv", csv.as_bytes().to_vec())
            .await;
        assert_eq!(s, 303);
        assert!(
            loc.starts_with("/import/") && loc.ends_with("?entity=customers"),
            "{loc}"
        );
        let (s, html) = b.get(&loc).await;
        assert_eq!(s, 200, "{html}");
        // Guesses shown and preselected; the unknown column is skipped; cells escaped.
        assert!(html.contains("<option value=\"name\" selected>"), "{html}");
        assert!(html.contains("<option value=\"phone\" selected>"));
        assert!(html.contains("&lt;script&gt;x") && !html.contains("<script>x"));
        let run = loc.split('?').next().unwrap_or("").to_owned();
        // A mapping without a name is refused with a message, before the store sees it.
        let (s, _, html) = b
            .post(
                &run,
                &[
                    ("csrf", &csrf),
                    ("entity", "customers"),
                    ("mode", "dry"),
                    ("col0", "-"),
                    ("col1", "phone"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("import-error"), "{html}");
        let form = |mode: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("entity", "customers".to_owned()),
                ("mode", mode.to_owned()),
                ("col0", "name".to_owned()),
                ("col1", "phone".to_owned()),
                ("col2", "-".to_owned()),
                ("col3", "notes".to_owned()),
            ]
        };
        let dry = form("dry");
        let dry: Vec<(&str, &str)> = dry.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _, html) = b.post(&run, &dry).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("id=\"import-created\">1<"), "{html}");
        assert!(html.contains("id=\"import-rejected\">2<"), "{html}");
        assert!(html.contains("id=\"rejects\""));
        assert_eq!(app.store.count_customers().await.expect("count"), 0);
        let apply = form("apply");
        let apply: Vec<(&str, &str)> = apply.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _, html) = b.post(&run, &apply).await;
        assert_eq!(s, 200, "{html}");
        assert_eq!(app.store.count_customers().await.expect("count"), 1);
        // The upload is gone once imported, its kept name too.
        let (s, _) = b.get(&loc).await;
        assert_eq!(s, 404);
        let left: Vec<_> = std::fs::read_dir(uploads.path())
            .expect("uploads")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(&run[8..]))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // The import is recorded under the file's own name, by who ran it, and the customer's
        // history says which import created it.
        let (s, html) = b.get("/import").await;
        assert_eq!(s, 200);
        let table = html
            .split("id=\"import-history\"")
            .nth(1)
            .expect("imports table");
        assert!(
            table.contains("客户.csv") && table.contains("dora"),
            "{table}"
        );
        let id = app
            .store
            .list_customers(&patron_store::CustomerQuery::default())
            .await
            .expect("list")
            .items[0]
            .id;
        let (_, page) = b.get(&format!("/customers/{}", id.0)).await;
        let imports = app.store.list_imports(None, 1).await.expect("imports");
        let mark = format!("import #{} (客户.csv)", imports[0].id);
        assert!(page.contains(&mark), "{page}");
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let db = TestDb::sqlite();
    let app = spawn_with(
        &db,
        patron_web::WebConfig {
            secure_cookies: true,
            ..Default::default()
        },
    )
    .await;
    user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
    let b = Browser::new(&app);
    let r = b
        .client
        .post(b.url("/sign-in"))
        .form(&[
            ("email", "ann@example.com"),
            ("password", "a good long password"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("sign in");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        cookie.starts_with("patron_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let r = b
        .client
        .post(b.url("/language"))
        .form(&[("lang", "ko"), ("next", "/")])
        .send()
        .await
        .expect("language");
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let _ = app.stop.send(());
    db.cleanup().await;
}

/// Search text goes to the database as a bound parameter: quotes, LIKE wildcards, FTS syntax and
/// SQL comments are searched for literally and neither fail nor widen the search.
#[tokio::test]
async fn sql_and_search_metacharacters_in_the_search_box() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        for (name, owner) in [
            ("O'Brien 100%_off", ann.id),
            ("张三丰", ann.id),
            ("Ben's client", ben.id),
        ] {
            app.store
                .create_customer(CustomerInput {
                    kind: CustomerKind::Person,
                    name: name.into(),
                    owner_id: Some(owner),
                    ..Default::default()
                })
                .await
                .expect("customer");
        }
        let mut b = Browser::new(&app);
        b.sign_in("ann@example.com", "a good long password").await;
        for q in [
            "'",
            "''",
            "\"",
            "%",
            "_",
            "%%",
            "\\",
            "' OR '1'='1",
            "'; DROP TABLE customers; --",
            "*",
            "\"张\" OR *",
            "NEAR(a b)",
            "a:b",
            "^",
            "(",
            ")",
            "--",
            "/*",
            "\0",
            "张' --",
        ] {
            let path = format!("/customers?q={}", patron_web::ui::urlencode(q));
            let (s, html) = b.get(&path).await;
            assert_eq!(s, 200, "{q}: {html}");
            // Never another rep's customer, whatever the query.
            assert!(
                !html.contains("Ben&#x27;s client") && !html.contains("Ben's client"),
                "{q}"
            );
            if ["%", "_", "*", "' OR '1'='1"].contains(&q) {
                assert!(!html.contains("张三丰"), "{q} matched everything");
            }
        }
        // A NUL in a filter is no reason to fail either.
        let (s, _) = b.get("/customers?tag=%00x&q=%00").await;
        assert_eq!(s, 200);
        // Literal matches still work.
        let (_, html) = b.get("/customers?q=O%27Brien").await;
        assert!(html.contains("O&#x27;Brien"), "{html}");
        let (_, html) = b.get("/customers?q=100%25_").await;
        assert!(
            html.contains("O&#x27;Brien") && !html.contains("张三丰"),
            "{html}"
        );
        let (_, html) = b.get("/customers?q=%E4%B8%89%E4%B8%B0").await;
        assert!(html.contains("张三丰"));
        assert_eq!(app.store.count_customers().await.expect("count"), 3);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn customer_forms_validate_next_to_the_field_and_record_who_changed_what() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        let mut b = Browser::new(&app);
        b.sign_in("ann@example.com", "a good long password").await;
        let csrf = b.csrf("/customers/new").await;
        // Korean, to see the messages follow the user's language.
        b.post(
            "/language",
            &[("csrf", &csrf), ("lang", "ko"), ("next", "/")],
        )
        .await;
        let ann_id = ann.id.0.to_string();
        let ben_id = ben.id.0.to_string();
        let form = |name: &'static str, email: &'static str, owner: String| {
            vec![
                ("csrf", csrf.clone()),
                ("kind", "person".to_owned()),
                ("name", name.to_owned()),
                ("email", email.to_owned()),
                ("phone", "010-1234-5678".to_owned()),
                ("stage", "customer".to_owned()),
                ("tags", "vip, 단골".to_owned()),
                ("owner_id", owner),
            ]
        };
        let send = |v: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { v.clone() };
        // Bad e-mail and empty name: both messages, next to their fields, in Korean.
        let bad = send(&form("", "not-an-email", ann_id.clone()));
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _, html) = b.post("/customers/new", &bad).await;
        assert_eq!(s, 422, "{html}");
        assert!(
            html.contains("id=\"email-error\"") && html.contains("id=\"name-error\""),
            "{html}"
        );
        assert!(
            html.contains("이메일 주소가 아닙니다") || html.contains("이메일"),
            "{html}"
        );
        assert!(
            html.contains("value=\"not-an-email\""),
            "the form keeps what was typed"
        );
        // A representative cannot hand a customer to another representative.
        let other = send(&form("김민준", "kim@example.com", ben_id.clone()));
        let other: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _, html) = b.post("/customers/new", &other).await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"owner_id-error\""), "{html}");
        assert_eq!(app.store.count_customers().await.expect("count"), 0);
        // A good form creates the customer and goes to its page.
        let good = send(&form("김민준", "kim@example.com", ann_id.clone()));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, loc, _) = b.post("/customers/new", &good).await;
        assert_eq!(s, 303);
        let id: i64 = loc.trim_start_matches("/customers/").parse().expect("id");
        let c = app
            .store
            .get_customer(patron_core::CustomerId(id))
            .await
            .expect("customer");
        assert_eq!(c.owner_id, Some(ann.id));
        assert_eq!(c.tags.len(), 2);
        // Edit: the form shows the card; a change is audited as Ann's.
        let (s, html) = b.get(&format!("/customers/{id}/edit")).await;
        assert_eq!(s, 200);
        assert!(html.contains("value=\"kim@example.com\""));
        let mut edit = send(&form("김민준", "minjun@example.com", ann_id.clone()));
        edit.push(("relationship_manager_id", ann_id.clone()));
        let edit: Vec<(&str, &str)> = edit.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, _, html) = b.post(&format!("/customers/{id}/edit"), &edit).await;
        assert_eq!(s, 303, "{html}");
        let h = app
            .store
            .customer_history(patron_core::CustomerId(id), 10)
            .await
            .expect("history");
        assert_eq!(h[0].action, "update");
        assert_eq!(h[0].user_id, Some(ann.id));
        assert_eq!(h[0].changes["email"]["after"], "minjun@example.com");
        // Ben's customers cannot be edited by Ann, by URL or by form.
        let theirs = app
            .store
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "Ben's".into(),
                owner_id: Some(ben.id),
                ..Default::default()
            })
            .await
            .expect("c");
        let (s, _) = b.get(&format!("/customers/{}/edit", theirs.id)).await;
        assert_eq!(s, 404);
        let (s, _, _) = b
            .post(&format!("/customers/{}/edit", theirs.id), &good)
            .await;
        assert_eq!(s, 404);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn administrators_manage_users_and_roles() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        user(&app, "ada@example.com", StaffLevel::Administrator).await;
        let mia = user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        user(&app, "sam@example.com", StaffLevel::SalesRepresentative).await;
        // Not for anyone else.
        let mut rep = Browser::new(&app);
        rep.sign_in("sam@example.com", "a good long password").await;
        let (s, _) = rep.get("/users").await;
        assert_eq!(s, 403);
        let csrf = rep.csrf("/customers").await;
        let (s, _, _) = rep
            .post(
                "/users",
                &[
                    ("csrf", &csrf),
                    ("email", "x@example.com"),
                    ("name", "X"),
                    ("role", "administrator"),
                    ("password", "a good long password"),
                ],
            )
            .await;
        assert_eq!(s, 403);

        let mut b = Browser::new(&app);
        b.sign_in("ada@example.com", "a good long password").await;
        let (s, html) = b.get("/users").await;
        assert_eq!(s, 200);
        assert!(html.contains("mia@example.com") && html.contains("href=\"/users\""));
        let csrf = b.csrf("/users").await;
        let mia_id = mia.id.0.to_string();
        // Too short a password: said next to the field, nobody added.
        let (s, _, html) = b
            .post(
                "/users",
                &[
                    ("csrf", &csrf),
                    ("email", "kim@example.com"),
                    ("name", "김민준"),
                    ("role", "sales_representative"),
                    ("manager", &mia_id),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("field-error"));
        let (s, _, _) = b
            .post(
                "/users",
                &[
                    ("csrf", &csrf),
                    ("email", "kim@example.com"),
                    ("name", "김민준"),
                    ("role", "sales_representative"),
                    ("manager", &mia_id),
                    ("password", "a good long password"),
                ],
            )
            .await;
        assert_eq!(s, 200);
        let kim = app
            .store
            .find_user("kim@example.com")
            .await
            .expect("find")
            .expect("kim");
        assert_eq!(kim.manager_id, Some(mia.id));
        // The same e-mail again is refused.
        let (s, _, _) = b
            .post(
                "/users",
                &[
                    ("csrf", &csrf),
                    ("email", "kim@example.com"),
                    ("name", "K"),
                    ("role", "sales_representative"),
                    ("password", "a good long password"),
                ],
            )
            .await;
        assert_eq!(s, 409);
        // Promote to business manager; then deactivate (their sessions end).
        let mut k = Browser::new(&app);
        k.sign_in("kim@example.com", "a good long password").await;
        let path = format!("/users/{}", kim.id);
        let (s, _, _) = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("role", "business_manager"),
                    ("manager", ""),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(s, 200);
        let kim2 = app.store.get_user(kim.id).await.expect("kim");
        assert_eq!(
            (kim2.staff_level, kim2.manager_id, kim2.active),
            (StaffLevel::BusinessManager, None, true)
        );
        let (s, _, _) = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("role", "business_manager"),
                    ("manager", ""),
                ],
            )
            .await;
        assert_eq!(s, 200);
        assert!(!app.store.get_user(kim.id).await.expect("kim").active);
        let (s, _) = k.get("/customers").await;
        assert_eq!(s, 303, "a deactivated user's session ends");
        // A password reset.
        let (s, _, _) = b
            .post(
                &format!("{path}/password"),
                &[("csrf", &csrf), ("password", "another long password")],
            )
            .await;
        assert_eq!(s, 200);
        // The administrator cannot demote themselves by accident.
        let ada = app
            .store
            .find_user("ada@example.com")
            .await
            .expect("f")
            .expect("ada");
        b.post(
            &format!("/users/{}", ada.id),
            &[("csrf", &csrf), ("role", "sales_representative")],
        )
        .await;
        let ada = app.store.get_user(ada.id).await.expect("ada");
        assert_eq!(
            (ada.staff_level, ada.active),
            (StaffLevel::Administrator, true)
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn duplicates_side_by_side_and_merge_in_scope() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let mia = user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        let sam = user(&app, "sam@example.com", StaffLevel::SalesRepresentative).await;
        let other = user(&app, "oz@example.com", StaffLevel::SalesRepresentative).await;
        app.store
            .set_user_manager(sam.id, Some(mia.id))
            .await
            .expect("team");
        let mk = |name: &str, phone: &str, owner| CustomerInput {
            kind: CustomerKind::Person,
            name: name.into(),
            phone: Some(phone.into()),
            owner_id: Some(owner),
            ..Default::default()
        };
        let a = app
            .store
            .create_customer(mk("王小明", "13800000001", sam.id))
            .await
            .expect("a");
        let b2 = app
            .store
            .create_customer(mk("王小明 ", "138-0000-0001", sam.id))
            .await
            .expect("b");
        // A pair outside Mia's team.
        app.store
            .create_customer(mk("Outside", "13900000009", other.id))
            .await
            .expect("c");
        app.store
            .create_customer(mk("Outside2", "13900000009", other.id))
            .await
            .expect("d");

        let mut rep = Browser::new(&app);
        rep.sign_in("sam@example.com", "a good long password").await;
        let (s, _) = rep.get("/duplicates").await;
        assert_eq!(s, 403);

        let mut b = Browser::new(&app);
        b.sign_in("mia@example.com", "a good long password").await;
        let (s, html) = b.get("/duplicates").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("王小明") && !html.contains("Outside"),
            "{html}"
        );
        assert!(html.contains("Same phone number"), "{html}");
        let csrf = b.csrf("/duplicates").await;
        // Merging a customer outside the team is "not found".
        let (s, _, _) = b
            .post(
                "/duplicates/merge",
                &[
                    ("csrf", &csrf),
                    ("keep", &a.id.0.to_string()),
                    ("other", "3"),
                ],
            )
            .await;
        assert_eq!(s, 404);
        let (s, loc, _) = b
            .post(
                "/duplicates/merge",
                &[
                    ("csrf", &csrf),
                    ("keep", &a.id.0.to_string()),
                    ("other", &b2.id.0.to_string()),
                ],
            )
            .await;
        assert_eq!((s, loc), (303, format!("/customers/{}", a.id)));
        assert!(app.store.get_customer(b2.id).await.is_err());
        let h = app.store.customer_history(a.id, 10).await.expect("h");
        assert!(h
            .iter()
            .any(|e| e.action == "merge" && e.user_id == Some(mia.id)));
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

// ---------- record forms: key persons, products, orders, contacts ----------

/// Two sales representatives, each with an organisation of their own; Ann is signed in.
struct TwoReps<'a> {
    b: Browser<'a>,
    ann: patron_core::User,
    ben: patron_core::User,
    mine: patron_core::Customer,
    theirs: patron_core::Customer,
    csrf: String,
}

async fn two_reps(app: &App) -> TwoReps<'_> {
    let ann = user(app, "ann@example.com", StaffLevel::SalesRepresentative).await;
    let ben = user(app, "ben@example.com", StaffLevel::SalesRepresentative).await;
    let mk = |name: &str, owner| CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: Some(owner),
        ..Default::default()
    };
    let mine = app
        .store
        .create_customer(mk("东方商行", ann.id))
        .await
        .expect("c");
    let theirs = app
        .store
        .create_customer(mk("西城百货", ben.id))
        .await
        .expect("c");
    let mut b = Browser::new(app);
    b.sign_in("ann@example.com", "a good long password").await;
    let csrf = b.csrf(&format!("/customers/{}", mine.id)).await;
    TwoReps {
        b,
        ann,
        ben,
        mine,
        theirs,
        csrf,
    }
}

/// Every path, by GET and by a well-formed POST with a valid token, answers 404.
async fn all_not_found(b: &mut Browser<'_>, csrf: &str, paths: &[String]) {
    for p in paths {
        let (s, html) = b.get(p).await;
        assert_eq!(s, 404, "GET {p}: {html}");
        let (s, _, _) = b.post(p, &[("csrf", csrf), ("name", "x")]).await;
        assert_eq!(s, 404, "POST {p}");
    }
}

#[tokio::test]
async fn key_person_forms_add_edit_delete_validate_and_stay_in_scope() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b,
            ann,
            ben: _,
            mine,
            theirs,
            csrf,
        } = two_reps(&app).await;
        // The customer page offers to add one.
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains(&format!("/customers/{}/key-persons/new", mine.id)));
        let new = format!("/customers/{}/key-persons/new", mine.id);
        let (s, html) = b.get(&new).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"wedding_anniversary\""), "{html}");

        // In Simplified Chinese: a bad e-mail and a birthday in the future, each named next to
        // its field, what was typed kept.
        b.post(
            "/language",
            &[("csrf", &csrf), ("lang", "zh-CN"), ("next", "/")],
        )
        .await;
        let future = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
        let (s, _, html) = b
            .post(
                &new,
                &[
                    ("csrf", &csrf),
                    ("name", "王经理"),
                    ("email", "not-an-email"),
                    ("birthday", &future),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"email-error\""), "{html}");
        assert!(html.contains("id=\"birthday-error\""), "{html}");
        assert!(html.contains("该日期晚于今天"), "{html}");
        assert!(html.contains("value=\"not-an-email\""));
        let (s, _, html) = b.post(&new, &[("csrf", &csrf), ("name", " ")]).await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"name-error\""), "{html}");

        // Every field of the model, and a name that tries to run a script.
        let (s, loc, _) = b
            .post(
                &new,
                &[
                    ("csrf", &csrf),
                    ("name", "<script>alert('kp')</script>"),
                    ("title", "采购经理"),
                    ("phone", "010-8888-1234"),
                    ("mobile", "13912345678"),
                    ("email", "wang@example.com"),
                    ("hobbies", "高尔夫, 茶"),
                    ("birthday", "1980-05-06"),
                    ("wedding_anniversary", "2005-10-01"),
                    ("notes", "喜欢周二上午拜访"),
                ],
            )
            .await;
        assert_eq!(
            (s, loc.as_str()),
            (303, &*format!("/customers/{}#kp", mine.id))
        );
        let kps = app
            .store
            .list_key_persons(&patron_store::KeyPersonQuery {
                customer_id: Some(mine.id),
                ..Default::default()
            })
            .await
            .expect("kps")
            .items;
        assert_eq!(kps.len(), 1);
        let kp = &kps[0];
        assert_eq!(kp.title.as_deref(), Some("采购经理"));
        assert_eq!(kp.mobile.as_deref(), Some("13912345678"));
        assert_eq!(
            kp.wedding_anniversary.map(|d| d.to_string()).as_deref(),
            Some("2005-10-01")
        );
        assert_eq!(kp.notes.as_deref(), Some("喜欢周二上午拜访"));
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains("&lt;script&gt;alert("), "{page}");
        assert!(!page.contains("<script>alert('kp')"));
        let edit = format!("/key-persons/{}/edit", kp.id);
        assert!(page.contains(&edit));

        // Edit: the form shows the record; a change is audited as Ann's, field by field.
        let (s, html) = b.get(&edit).await;
        assert_eq!(s, 200);
        assert!(html.contains("value=\"采购经理\"") && html.contains("value=\"1980-05-06\""));
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("name", "王经理"),
                    ("title", "总经理"),
                    ("birthday", "1980-05-06"),
                    ("wedding_anniversary", "2005-10-01"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("update", "key_person", Some(ann.id))
        );
        assert_eq!(h[0].changes["title"]["before"], "采购经理");
        assert_eq!(h[0].changes["title"]["after"], "总经理");
        // The form sends every field: what was left empty is cleared.
        assert_eq!(h[0].changes["mobile"]["after"], serde_json::Value::Null);
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains("总经理"), "the history and the list show it");
        // The history names the field in the reader's language, not the member's name.
        assert!(page.contains("职务: 采购经理 → 总经理"), "{page}");

        // A forged token changes nothing.
        let (s, _, _) = b
            .post(&edit, &[("csrf", "forged"), ("name", "Forged")])
            .await;
        assert_eq!(s, 403);
        let (s, _, _) = b
            .post(
                &format!("/key-persons/{}/delete", kp.id),
                &[("csrf", "forged")],
            )
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            app.store.get_key_person(kp.id).await.expect("kp").name,
            "王经理"
        );

        // Ben's customer and its key person are "not found", by URL and by form.
        let bens = app
            .store
            .create_key_person(
                theirs.id,
                patron_core::KeyPersonInput {
                    name: "Ben's contact".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("kp");
        all_not_found(
            &mut b,
            &csrf,
            &[
                format!("/customers/{}/key-persons/new", theirs.id),
                format!("/key-persons/{}/edit", bens.id),
                format!("/key-persons/{}/delete", bens.id),
                "/key-persons/999999/edit".into(),
                "/key-persons/abc/edit".into(),
            ],
        )
        .await;
        assert_eq!(
            app.store.get_key_person(bens.id).await.expect("kp").name,
            "Ben's contact"
        );

        // Delete asks first, then deletes, and the history says who.
        let del = format!("/key-persons/{}/delete", kp.id);
        let (s, html) = b.get(&del).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"confirm-delete\"") && html.contains("王经理"));
        let (s, _, _) = b.post(&del, &[("csrf", &csrf)]).await;
        assert_eq!(s, 303);
        assert!(app.store.get_key_person(kp.id).await.is_err());
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("delete", "key_person", Some(ann.id))
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn products_are_listed_for_all_and_edited_by_managers_only() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        user(&app, "sam@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        let teapot = app
            .store
            .create_product(patron_core::ProductInput {
                name: "紫砂壶".into(),
                external_ref: Some("T-1".into()),
                product_line: Some("茶具".into()),
                unit_price_minor: Some(8800),
                ..Default::default()
            })
            .await
            .expect("p");
        app.store
            .create_product(patron_core::ProductInput {
                name: "Green tea".into(),
                product_line: Some("Tea".into()),
                ..Default::default()
            })
            .await
            .expect("p");

        // A representative sees the catalogue, may not change it: 403 by URL and by form.
        let mut rep = Browser::new(&app);
        rep.sign_in("sam@example.com", "a good long password").await;
        let (s, html) = rep.get("/products").await;
        assert_eq!(s, 200);
        assert!(html.contains("紫砂壶") && html.contains("href=\"/products\""));
        assert!(
            !html.contains("/products/new") && !html.contains("/edit\""),
            "{html}"
        );
        let rep_csrf = rep.csrf("/products").await;
        let edit = format!("/products/{}/edit", teapot.id);
        for p in ["/products/new", edit.as_str()] {
            let (s, _) = rep.get(p).await;
            assert_eq!(s, 403, "{p}");
            let (s, _, _) = rep
                .post(
                    p,
                    &[("csrf", &rep_csrf), ("name", "Rep's"), ("active", "on")],
                )
                .await;
            assert_eq!(s, 403, "{p}");
        }
        assert_eq!(
            app.store.get_product(teapot.id).await.expect("p").name,
            "紫砂壶"
        );

        let mut b = Browser::new(&app);
        b.sign_in("mia@example.com", "a good long password").await;
        // Filter by product line, and search.
        let (s, html) = b.get("/products?line=%E8%8C%B6%E5%85%B7").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("紫砂壶") && !html.contains("Green tea"),
            "{html}"
        );
        let (_, html) = b.get("/products?q=green").await;
        assert!(
            html.contains("Green tea") && !html.contains("紫砂壶"),
            "{html}"
        );
        assert!(html.contains("/products/new"));
        let csrf = b.csrf("/products/new").await;

        // Validation next to each field.
        let (s, _, html) = b
            .post(
                "/products/new",
                &[
                    ("csrf", &csrf),
                    ("name", ""),
                    ("unit_price", "twelve"),
                    ("currency", "YUAN"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        for id in ["name-error", "unit_price-error", "currency-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        assert!(html.contains("value=\"twelve\""));
        // A reference another product has.
        let (s, _, html) = b
            .post(
                "/products/new",
                &[("csrf", &csrf), ("name", "Copy"), ("ref", "T-1")],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"ref-error\""), "{html}");

        // A good one, with a name that tries markup.
        let (s, _, _) = b
            .post(
                "/products/new",
                &[
                    ("csrf", &csrf),
                    ("name", "<img src=x onerror=alert(1)>"),
                    ("ref", "G-9"),
                    ("product_line", "礼盒"),
                    ("unit_price", "1,234.50"),
                    ("currency", "cny"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let made = app
            .store
            .list_products(&patron_store::ProductQuery {
                q: Some("G-9".into()),
                ..Default::default()
            })
            .await
            .expect("list")
            .items;
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].unit_price_minor, Some(123450));
        assert_eq!(made[0].currency.as_str(), "CNY");
        assert!(made[0].active);
        let (_, html) = b.get("/products").await;
        assert!(html.contains("&lt;img src=x"), "{html}");
        assert!(!html.contains("<img src=x"));

        // Edit: no longer sold (the unticked box), new price.
        let edit = format!("/products/{}/edit", made[0].id);
        let (s, html) = b.get(&edit).await;
        assert_eq!(s, 200);
        assert!(html.contains("value=\"1234.50\""), "{html}");
        let (s, _, _) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("name", "礼盒装"),
                    ("product_line", "礼盒"),
                    ("unit_price", "99"),
                    ("currency", "CNY"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let p = app.store.get_product(made[0].id).await.expect("p");
        assert_eq!(
            (p.name.as_str(), p.unit_price_minor, p.active),
            ("礼盒装", Some(9900), false)
        );
        // Forged token, unknown product.
        let (s, _, _) = b
            .post(&edit, &[("csrf", "forged"), ("name", "Forged")])
            .await;
        assert_eq!(s, 403);
        let (s, _) = b.get("/products/999999/edit").await;
        assert_eq!(s, 404);
        let (s, _, _) = b
            .post(
                "/products/999999/edit",
                &[("csrf", &csrf), ("name", "Ghost")],
            )
            .await;
        assert_eq!(s, 404);
        assert_eq!(
            app.store.get_product(made[0].id).await.expect("p").name,
            "礼盒装"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn orders_are_added_edited_and_deleted_with_errors_next_to_the_field() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b,
            ann,
            ben: _,
            mine,
            theirs,
            csrf,
        } = two_reps(&app).await;
        let usd = patron_core::Currency::parse("c", "USD").expect("usd");
        let cup = app
            .store
            .create_product(patron_core::ProductInput {
                name: "Cup".into(),
                product_line: Some("茶具".into()),
                unit_price_minor: Some(1000),
                currency: Some(usd.clone()),
                ..Default::default()
            })
            .await
            .expect("p");
        let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).expect("date");
        // Imported as 3 for 100.00: the unit price is 33.33, the amount stays 100.00.
        let order = app
            .store
            .create_order(patron_core::OrderInput {
                customer_id: mine.id,
                order_date: date,
                currency: Some(usd.clone()),
                lines: vec![patron_core::OrderLineInput {
                    product_line: Some("茶叶".into()),
                    quantity: 3,
                    amount_minor: Some(10000),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");

        // The add-order form: errors next to the field, typed values kept.
        let add = format!("/customers/{}/orders", mine.id);
        let (s, _, html) = b
            .post(
                &add,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-02-01"),
                    ("quantity", "0"),
                    ("amount", "5"),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"order-quantity-error\""), "{html}");
        assert!(html.contains("greater than zero"), "{html}");
        let (s, _, html) = b
            .post(
                &add,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-02-01"),
                    ("quantity", "1"),
                    ("amount", "a lot"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"order-amount-error\""), "{html}");
        assert!(html.contains("value=\"a lot\""), "{html}");

        // The timeline links to the edit form.
        let edit = format!("/orders/{}/edit", order.id);
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains(&edit), "{page}");
        let (s, html) = b.get(&edit).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"quantity_0\"") && html.contains("value=\"33.33\""),
            "{html}"
        );
        assert!(html.contains("$100.00"), "{html}");

        // Errors land on their row.
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-01-15"),
                    ("currency", "US"),
                    ("quantity_0", "-1"),
                    ("unit_price_0", "33.33"),
                    ("quantity_1", "2"),
                    ("unit_price_1", "abc"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        for id in ["currency-error", "unit_price_1-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-01-15"),
                    ("quantity_0", "-1"),
                    ("unit_price_0", "33.33"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"quantity_0-error\""), "{html}");
        let (s, _, html) = b
            .post(&edit, &[("csrf", &csrf), ("order_date", "2025-01-15")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"lines-error\""), "{html}");

        // A good edit: the untouched line keeps its amount, the new line takes the product's
        // price and line; the flag and notes are saved.
        let cup_id = cup.id.0.to_string();
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-02-03"),
                    ("currency", "USD"),
                    ("order_ref", "SO-1"),
                    ("asked_by_name", "on"),
                    ("notes", "<script>alert(3)</script>"),
                    ("product_id_0", ""),
                    ("product_line_0", "茶叶"),
                    ("quantity_0", "3"),
                    ("unit_price_0", "33.33"),
                    ("product_id_1", &cup_id),
                    ("product_line_1", ""),
                    ("quantity_1", "2"),
                    ("unit_price_1", ""),
                    ("product_line_2", "<b>礼盒</b>"),
                    ("quantity_2", "1"),
                    ("unit_price_2", "5"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        let o = app.store.get_order(order.id).await.expect("order");
        assert_eq!(o.order_date.to_string(), "2025-02-03");
        assert!(o.asked_by_name);
        assert_eq!(o.order_ref.as_deref(), Some("SO-1"));
        assert_eq!(o.lines.len(), 3);
        assert_eq!(o.lines[0].amount_minor, 10000);
        assert_eq!(o.lines[1].product_id, Some(cup.id));
        assert_eq!(o.lines[1].product_line.as_deref(), Some("茶具"));
        assert_eq!(o.lines[1].amount_minor, 2000);
        assert_eq!(o.total_minor, 12500);
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("update", "order", Some(ann.id))
        );
        assert_eq!(h[0].changes["asked_by_name"]["after"], true);
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains("&lt;b&gt;礼盒&lt;&#x2f;b&gt; × 1"), "{page}");
        assert!(!page.contains("<b>礼盒</b>"));
        let (_, html) = b.get(&edit).await;
        assert!(html.contains("&lt;script&gt;alert(3)"), "{html}");
        assert!(html.contains("id=\"order-total\">$125.00<"), "{html}");
        // Changing the quantity recomputes the amount.
        let (s, _, _) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-02-03"),
                    ("quantity_0", "4"),
                    ("unit_price_0", "33.33"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let o = app.store.get_order(order.id).await.expect("order");
        assert_eq!(
            (o.lines.len(), o.total_minor, o.asked_by_name),
            (1, 13332, false)
        );

        // Forged token; Ben's order by URL and by form.
        let (s, _, _) = b
            .post(&edit, &[("csrf", "forged"), ("order_date", "2020-01-01")])
            .await;
        assert_eq!(s, 403);
        let (s, _, _) = b
            .post(
                &format!("/orders/{}/delete", order.id),
                &[("csrf", "forged")],
            )
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            app.store
                .get_order(order.id)
                .await
                .expect("o")
                .order_date
                .to_string(),
            "2025-02-03"
        );
        let bens = app
            .store
            .create_order(patron_core::OrderInput {
                customer_id: theirs.id,
                order_date: date,
                lines: vec![patron_core::OrderLineInput {
                    quantity: 1,
                    amount_minor: Some(100),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");
        all_not_found(
            &mut b,
            &csrf,
            &[
                format!("/orders/{}/edit", bens.id),
                format!("/orders/{}/delete", bens.id),
            ],
        )
        .await;
        let (s, _, _) = b
            .post(
                &format!("/customers/{}/orders", theirs.id),
                &[
                    ("csrf", &csrf),
                    ("order_date", "2025-01-01"),
                    ("quantity", "1"),
                    ("amount", "1"),
                ],
            )
            .await;
        assert_eq!(s, 404);
        assert!(app.store.get_order(bens.id).await.is_ok());

        // Delete asks first.
        let del = format!("/orders/{}/delete", order.id);
        let (s, html) = b.get(&del).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"confirm-delete\""), "{html}");
        let (s, _, _) = b.post(&del, &[("csrf", &csrf)]).await;
        assert_eq!(s, 303);
        assert!(app.store.get_order(order.id).await.is_err());
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("delete", "order", Some(ann.id))
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// Posts a form whose values are owned strings.
async fn post_owned(
    b: &mut Browser<'_>,
    path: &str,
    form: Vec<(&'static str, String)>,
) -> (u16, String, String) {
    let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &f).await
}

#[tokio::test]
async fn order_lines_pick_products_by_reference_or_name_from_the_whole_catalogue() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b, mine, csrf, ..
        } = two_reps(&app).await;
        // More products than the page's own list holds.
        let mut last = None;
        for i in 0..510 {
            let p = app
                .store
                .create_product(patron_core::ProductInput {
                    external_ref: Some(format!("P{i:04}")),
                    name: if i >= 508 {
                        "同名茶".into()
                    } else {
                        format!("Tea {i:04}")
                    },
                    product_line: Some("茶叶".into()),
                    ..Default::default()
                })
                .await
                .expect("product");
            last = Some(p);
        }
        let last = last.expect("made");
        let order = app
            .store
            .create_order(patron_core::OrderInput {
                customer_id: mine.id,
                order_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date"),
                lines: vec![patron_core::OrderLineInput {
                    quantity: 1,
                    amount_minor: Some(100),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");
        let edit = format!("/orders/{}/edit", order.id);
        let (s, html) = b.get(&edit).await;
        assert_eq!(s, 200);
        assert!(html.contains("<datalist id=\"product-list\">"), "{html}");
        assert_eq!(
            html.matches("label=\"茶叶\"").count(),
            500,
            "the page's own list"
        );

        // The suggestions search the whole catalogue; a picked token stays searchable.
        let (s, json) = b.get("/products/suggest?q=p0509").await;
        assert_eq!(s, 200, "{json}");
        let items: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(items[0]["value"], "P0509 · 同名茶", "{json}");
        assert_eq!(items[0]["label"], "茶叶");
        let (_, json) = b
            .get("/products/suggest?q=P0509%20%C2%B7%20%E5%90%8C")
            .await;
        assert!(json.contains("P0509"), "{json}");

        let post = |product: &str| {
            vec![
                ("csrf", csrf.clone()),
                ("order_date", "2025-03-01".to_owned()),
                ("product_id_0", product.to_owned()),
                ("quantity_0", "1".to_owned()),
                ("unit_price_0", "1".to_owned()),
            ]
        };
        // Two products share the name: refused next to the field, the typed text kept.
        let (s, _, html) = post_owned(&mut b, &edit, post("同名茶")).await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"product_id_0-error\""), "{html}");
        assert!(html.contains("Several records match"), "{html}");
        assert!(html.contains("value=\"同名茶\""), "{html}");
        let (s, _, html) = post_owned(&mut b, &edit, post("no such tea")).await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("There is no such record"), "{html}");

        // The token a suggestion puts there, the reference alone, #id, or a unique name.
        for (typed, want) in [
            ("P0509 · 同名茶".to_owned(), last.id),
            ("P0509".to_owned(), last.id),
            (format!("#{}", last.id.0), last.id),
        ] {
            let (s, _, html) = post_owned(&mut b, &edit, post(&typed)).await;
            assert_eq!(s, 303, "{typed}: {html}");
            let o = app.store.get_order(order.id).await.expect("order");
            assert_eq!(o.lines[0].product_id, Some(want), "{typed}");
        }
        let (s, _, _) = post_owned(&mut b, &edit, post("tea 0007")).await;
        assert_eq!(s, 303);
        let o = app.store.get_order(order.id).await.expect("order");
        let p7 = app
            .store
            .get_product(o.lines[0].product_id.expect("p"))
            .await
            .expect("p");
        assert_eq!(p7.external_ref.as_deref(), Some("P0007"));
        // The saved line shows its product's token.
        let (_, html) = b.get(&edit).await;
        assert!(html.contains("value=\"P0007 · Tea 0007\""), "{html}");

        // Signed out: no catalogue.
        let anon = Browser::new(&app);
        let (s, _) = anon.get("/products/suggest?q=tea").await;
        assert_ne!(s, 200);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_customer_page_shows_the_latest_model_scores() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps { b, mine, .. } = two_reps(&app).await;
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(!page.contains("id=\"model-scores\""), "not scored yet");
        let score = patron_store::analytics::CustomerScore {
            customer_id: mine.id,
            p_alive: Some(0.373),
            expected_purchases: Some(2.46),
            expected_spend: Some(35.456),
            clv: None,
            currency: "USD".into(),
            horizon_days: 364,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).expect("date"),
            scored_at: chrono::Utc::now(),
        };
        app.store
            .replace_customer_scores(&[score])
            .await
            .expect("scores");
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        let part = page
            .split("id=\"model-scores\"")
            .nth(1)
            .expect("scores shown");
        assert!(part.contains("<dd>37%</dd>"), "{part}");
        assert!(part.contains("<dd>2.5</dd>"), "{part}");
        assert!(part.contains("$35.46"), "{part}");
        assert!(part.contains("next 364 days"), "{part}");
        assert!(
            part.contains("<dd>—</dd>"),
            "an unknown value is a dash, never NaN: {part}"
        );
        // The list shows the scores as columns once customers have been scored.
        let (_, list) = b.get("/customers").await;
        assert!(list.contains("Lifetime value"), "{list}");
        let row = list
            .split("<tr>")
            .find(|r| r.contains(&format!("/customers/{}\"", mine.id)))
            .expect("the scored customer's row");
        assert!(row.contains("37%") && row.contains("—"), "{row}");
        assert!(!list.contains("NaN"));
        // … and filters by them: P(alive) at most 40% keeps it, at most 30% does not.
        let link = format!("/customers/{}\"", mine.id);
        let (_, list) = b.get("/customers?alive_max=40").await;
        assert!(
            list.contains("id=\"alive_max\"") && list.contains(&link),
            "{list}"
        );
        assert!(
            list.contains("alive_max=40"),
            "kept in the sort and export links"
        );
        let (_, list) = b.get("/customers?alive_max=30%25").await;
        assert!(!list.contains(&link));
        let (_, list) = b.get("/customers?clv_min=1").await;
        assert!(
            !list.contains(&link),
            "no lifetime value, so not at least 1"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn contacts_are_logged_edited_and_deleted_with_errors_next_to_the_field() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b,
            ann,
            ben,
            mine,
            theirs,
            csrf,
        } = two_reps(&app).await;
        let kp = |name: &str| patron_core::KeyPersonInput {
            name: name.into(),
            ..Default::default()
        };
        let met = app
            .store
            .create_key_person(mine.id, kp("李主任"))
            .await
            .expect("kp");
        let elsewhere = app
            .store
            .create_key_person(theirs.id, kp("别家联系人"))
            .await
            .expect("kp");

        // The log form: errors next to the field, typed values kept.
        let log = format!("/customers/{}/interactions", mine.id);
        let (s, _, html) = b
            .post(
                &log,
                &[
                    ("csrf", &csrf),
                    ("kind", "visit"),
                    ("occurred_at", "yesterday"),
                    ("outcome", "kept <i>this</i>"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"log-occurred_at-error\""), "{html}");
        assert!(
            html.contains("value=\"kept &lt;i&gt;this&lt;&#x2f;i&gt;\""),
            "{html}"
        );
        let long = "长".repeat(1001);
        let (s, _, html) = b
            .post(
                &log,
                &[
                    ("csrf", &csrf),
                    ("kind", "bogus"),
                    ("outcome", &long),
                    ("key_person_id", &elsewhere.id.0.to_string()),
                ],
            )
            .await;
        assert_eq!(s, 422);
        for id in ["log-kind-error", "log-key_person_id-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        let (s, _, html) = b
            .post(
                &log,
                &[("csrf", &csrf), ("kind", "call"), ("outcome", &long)],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"log-outcome-error\""), "{html}");
        // A good one, with the key person met and a time.
        let (s, _, _) = b
            .post(
                &log,
                &[
                    ("csrf", &csrf),
                    ("kind", "visit"),
                    ("occurred_at", "2025-03-01T10:00"),
                    ("key_person_id", &met.id.0.to_string()),
                    ("outcome", "谈妥"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let its = app
            .store
            .list_interactions(&patron_store::InteractionQuery {
                customer_id: Some(mine.id),
                ..Default::default()
            })
            .await
            .expect("its")
            .items;
        assert_eq!(its.len(), 1);
        let it = &its[0];
        assert_eq!(
            (it.key_person_id, it.staff_id),
            (Some(met.id), Some(ann.id))
        );
        assert_eq!(it.occurred_at.to_rfc3339(), "2025-03-01T10:00:00+00:00");

        // Edit from the timeline.
        let edit = format!("/interactions/{}/edit", it.id);
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains(&edit), "{page}");
        let (s, html) = b.get(&edit).await;
        assert_eq!(s, 200);
        assert!(html.contains("value=\"2025-03-01T10:00\""), "{html}");
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("kind", "call"),
                    ("occurred_at", ""),
                    ("key_person_id", &elsewhere.id.0.to_string()),
                    ("staff_id", "999999"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        for id in ["occurred_at-error", "key_person_id-error", "staff_id-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
        }
        assert!(
            !html.contains("别家联系人"),
            "another customer's key person is not offered"
        );
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("kind", "call"),
                    ("occurred_at", "2025-03-02T08:30"),
                    ("staff_id", &ben.id.0.to_string()),
                    ("key_person_id", ""),
                    ("outcome", "<script>alert(2)</script>"),
                    ("notes", "回访"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        let i = app.store.get_interaction(it.id).await.expect("it");
        assert_eq!(i.kind.as_str(), "call");
        assert_eq!((i.staff_id, i.key_person_id), (Some(ben.id), None));
        assert_eq!(i.occurred_at.to_rfc3339(), "2025-03-02T08:30:00+00:00");
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("update", "interaction", Some(ann.id))
        );
        assert_eq!(h[0].changes["kind"]["before"], "visit");
        let (_, page) = b.get(&format!("/customers/{}", mine.id)).await;
        assert!(page.contains("&lt;script&gt;alert(2)"), "{page}");
        assert!(!page.contains("<script>alert(2)"));

        // Forged token; Ben's contact by URL and by form.
        let (s, _, _) = b.post(&edit, &[("csrf", "forged"), ("kind", "gift")]).await;
        assert_eq!(s, 403);
        let (s, _, _) = b
            .post(
                &format!("/interactions/{}/delete", it.id),
                &[("csrf", "forged")],
            )
            .await;
        assert_eq!(s, 403);
        assert_eq!(
            app.store
                .get_interaction(it.id)
                .await
                .expect("i")
                .kind
                .as_str(),
            "call"
        );
        let bens = app
            .store
            .create_interaction(patron_core::InteractionInput {
                customer_id: theirs.id,
                kind: patron_core::InteractionKind::Visit,
                occurred_at: None,
                staff_id: Some(ben.id),
                key_person_id: None,
                outcome: Some("Ben's".into()),
                notes: None,
                follow_up_on: None,
                follow_up: None,
            })
            .await
            .expect("i");
        all_not_found(
            &mut b,
            &csrf,
            &[
                format!("/interactions/{}/edit", bens.id),
                format!("/interactions/{}/delete", bens.id),
            ],
        )
        .await;
        assert!(app.store.get_interaction(bens.id).await.is_ok());

        // Delete asks first.
        let del = format!("/interactions/{}/delete", it.id);
        let (s, html) = b.get(&del).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"confirm-delete\""), "{html}");
        let (s, _, _) = b.post(&del, &[("csrf", &csrf)]).await;
        assert_eq!(s, 303);
        assert!(app.store.get_interaction(it.id).await.is_err());
        let h = app.store.customer_history(mine.id, 5).await.expect("h");
        assert_eq!(
            (h[0].action.as_str(), h[0].entity.as_str(), h[0].user_id),
            ("delete", "interaction", Some(ann.id))
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn customer_list_downloads_as_csv_within_scope_search_and_filters() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        user(&app, "gm@example.com", StaffLevel::GeneralManager).await;
        let sam = user(&app, "sam@example.com", StaffLevel::SalesRepresentative).await;
        let oz = user(&app, "oz@example.com", StaffLevel::SalesRepresentative).await;
        // More than one store page (500 rows) of Sam's, so the download streams several.
        let today = chrono::Utc::now().date_naive();
        let mut chunk = patron_store::bulk::BulkChunk::default();
        for i in 0..1100 {
            let c = CustomerInput {
                kind: CustomerKind::Person,
                name: format!("Bulk {i}"),
                owner_id: Some(sam.id),
                ..Default::default()
            };
            chunk.customers.push(c.validate(today).expect("valid"));
        }
        app.store.bulk_insert(chunk).await.expect("bulk");
        for (name, owner, stage) in [
            ("张伟", sam.id, patron_core::LifecycleStage::Customer),
            ("张伟明", sam.id, patron_core::LifecycleStage::Interested),
            ("张伟强", oz.id, patron_core::LifecycleStage::Customer),
            (
                "<script>x</script>",
                oz.id,
                patron_core::LifecycleStage::Customer,
            ),
            (
                "=HYPERLINK(\"http://x\")",
                oz.id,
                patron_core::LifecycleStage::Customer,
            ),
        ] {
            app.store
                .create_customer(CustomerInput {
                    kind: CustomerKind::Person,
                    name: name.into(),
                    owner_id: Some(owner),
                    stage: Some(stage),
                    ..Default::default()
                })
                .await
                .expect("customer");
        }
        let rows = |body: &str| -> Vec<String> {
            body.lines()
                .skip(1)
                .filter_map(|l| l.split(',').nth(2).map(str::to_owned))
                .collect()
        };

        // Signed out: to the sign-in page.
        let anon = Browser::new(&app);
        let (s, _) = anon.get("/customers/export.csv").await;
        assert_eq!(s, 303);

        let mut rep = Browser::new(&app);
        rep.sign_in("sam@example.com", "a good long password").await;
        let (_, html) = rep.get("/customers?q=%E5%BC%A0%E4%BC%9F").await;
        assert!(
            // (minijinja escapes the slashes of the path as &#x2f;)
            html.contains("export.csv?q=%E5%BC%A0%E4%BC%9F&amp;stage="),
            "the link carries the search: {html}"
        );
        let r = rep
            .client
            .get(rep.url("/customers/export.csv"))
            .header("cookie", &rep.cookie)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 200);
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(header("content-type").starts_with("text/csv"));
        assert!(header("content-disposition").starts_with("attachment"));
        let body = r.text().await.expect("body");
        assert!(
            body.starts_with("\u{feff}ref,kind,name,"),
            "{}",
            &body[..40]
        );
        let names = rows(&body);
        assert_eq!(names.len(), 1102, "all of Sam's, none of Oz's");
        assert!(names.iter().any(|n| n == "张伟明"));
        assert!(!names.iter().any(|n| n == "张伟强" || n.contains("script")));

        // The search and the stage filter of the list apply.
        let (s, body) = rep
            .get("/customers/export.csv?q=%E5%BC%A0%E4%BC%9F&stage=&owner=&tag=&sort=name&order=")
            .await;
        assert_eq!(s, 200);
        assert_eq!(rows(&body), vec!["张伟", "张伟明"]);
        let (_, body) = rep
            .get("/customers/export.csv?q=%E5%BC%A0%E4%BC%9F&stage=interested")
            .await;
        assert_eq!(rows(&body), vec!["张伟明"]);

        // The general manager's download holds everyone's; a hostile name stays plain text.
        let mut gm = Browser::new(&app);
        gm.sign_in("gm@example.com", "a good long password").await;
        let (_, body) = gm.get("/customers/export.csv?q=%E5%BC%A0%E4%BC%9F").await;
        assert_eq!(rows(&body), vec!["张伟", "张伟明", "张伟强"]);
        let (_, body) = gm.get("/customers/export.csv").await;
        assert_eq!(rows(&body).len(), 1105);
        assert!(body.contains("<script>x</script>"));
        // A formula is quoted so a spreadsheet shows it as text.
        assert!(
            body.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
            "{body}"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// An import that takes longer than the wizard waits goes on in the background: its page shows
/// the progress and refreshes itself, only its owner may watch it, and it ends with the result.
#[tokio::test]
async fn long_import_shows_its_progress_then_its_result() {
    for db in TestDb::each().await {
        let uploads = tempfile::tempdir().expect("tempdir");
        let config = patron_web::WebConfig {
            upload_dir: uploads.path().to_path_buf(),
            import_wait: std::time::Duration::ZERO,
            ..Default::default()
        };
        let app = spawn_with(&db, config).await;
        user(&app, "dora@example.com", StaffLevel::MarketingDirector).await;
        user(&app, "gina@example.com", StaffLevel::GeneralManager).await;
        let mut b = Browser::new(&app);
        b.sign_in("dora@example.com", "a good long password").await;
        let csrf = b.csrf("/import").await;
        let mut g = Browser::new(&app);
        g.sign_in("gina@example.com", "a good long password").await;
        // Large enough that the first look, which comes at once, finds it running (a debug
        // build imports a few thousand rows a second), small enough to finish quickly while the
        // rest of the suite shares the machine.
        let rows = 10_000;
        let mut csv = String::from("name,phone\n");
        for i in 0..rows {
            csv.push_str(&format!("Customer {i},1380{i:07}\n"));
        }
        let (s, loc, _) = b
            .upload(&csrf, "customers", "many.csv", csv.into_bytes())
            .await;
        assert_eq!(s, 303);
        let run = loc.split('?').next().unwrap_or("").to_owned();
        let id = run.trim_start_matches("/import/").to_owned();
        let (s, job, html) = b
            .post(
                &run,
                &[
                    ("csrf", &csrf),
                    ("entity", "customers"),
                    ("mode", "apply"),
                    ("col0", "name"),
                    ("col1", "phone"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        assert_eq!(job, format!("/import/jobs/{id}"));
        let (s, html) = b.get(&job).await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("id=\"import-progress\"") && html.contains("http-equiv=\"refresh\""),
            "{html}"
        );
        // Nobody else may watch it, not even another user who may import.
        let (s, _) = g.get(&job).await;
        assert_eq!(s, 404);
        // Patient: a loaded CI machine may run the import many times slower than a quiet one.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        let done = loop {
            let (s, html) = b.get(&job).await;
            assert_eq!(s, 200, "{html}");
            if html.contains("id=\"done\"") {
                break html;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not finished after 10 minutes: {html}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(done.contains("id=\"import-created\""), "{done}");
        assert_eq!(app.store.count_customers().await.expect("count"), rows);
        // A finished job is shown once, then forgotten.
        let (s, _) = b.get(&job).await;
        assert_eq!(s, 404);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

// ---------- classification ----------

/// A one-line order of `amount_minor` (USD) placed `days_ago` days before today.
async fn order_days_ago(app: &App, customer: patron_core::CustomerId, days_ago: i64, minor: i64) {
    let usd = patron_core::Currency::parse("currency", "USD").expect("usd");
    app.store
        .create_order(patron_core::OrderInput {
            customer_id: customer,
            order_date: chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago),
            currency: Some(usd),
            lines: vec![patron_core::OrderLineInput {
                quantity: 1,
                amount_minor: Some(minor),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("order");
}

#[tokio::test]
async fn classification_dashboard_list_customer_page_override_and_rules() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        user(&app, "dora@example.com", StaffLevel::MarketingDirector).await;
        // Sales territories are the customers' `territory` custom field.
        app.store
            .define_custom_field(patron_core::CustomFieldDef {
                key: "territory".into(),
                label: "Territory".into(),
                field_type: patron_core::CustomFieldType::Text,
                choices: vec![],
            })
            .await
            .expect("field");
        let mk = |name: &str| CustomerInput {
            kind: CustomerKind::Organisation,
            name: name.into(),
            owner_id: Some(ann.id),
            custom: [(
                "territory".to_string(),
                if name == "甲公司" {
                    "华北"
                } else {
                    "华南"
                }
                .to_string(),
            )]
            .into(),
            ..Default::default()
        };
        let mut ids = Vec::new();
        for name in ["甲公司", "乙公司", "丙公司", "丁公司"] {
            ids.push(app.store.create_customer(mk(name)).await.expect("c").id);
        }
        let (big, medium, small, idle) = (ids[0], ids[1], ids[2], ids[3]);
        // Window revenue 12,000 + 1,500 + 10 (of 13,510): 甲 makes the first 80% (A), 乙 the next
        // 15% (B), 丙 the rest (C), 丁 never bought (C). 甲 buys steadily (loyal); 丙 bought twice
        // but not for 200 days (brand switcher).
        for d in [10, 40, 70] {
            order_days_ago(&app, big, d, 400_000).await;
        }
        order_days_ago(&app, medium, 20, 150_000).await;
        order_days_ago(&app, small, 200, 1_000).await;
        order_days_ago(&app, small, 400, 500).await;

        // A sales representative: no dashboard, no run, no rules, no link.
        let mut rep = Browser::new(&app);
        rep.sign_in("ann@example.com", "a good long password").await;
        let rep_csrf = rep.csrf("/customers").await;
        let (_, list) = rep.get("/customers").await;
        assert!(!list.contains("href=\"/classes\""));
        for p in ["/classes", "/classes/rules"] {
            let (s, _) = rep.get(p).await;
            assert_eq!(s, 403, "{p}");
        }
        let (s, _, _) = rep.post("/classes/run", &[("csrf", &rep_csrf)]).await;
        assert_eq!(s, 403);
        let (_, page) = rep.get(&format!("/customers/{big}")).await;
        assert!(page.contains("id=\"not-classified\""), "{page}");

        // A business manager classifies with the button.
        let mut mgr = Browser::new(&app);
        mgr.sign_in("mia@example.com", "a good long password").await;
        let (s, html) = mgr.get("/classes").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("href=\"/classes\""),
            "the navigation links it"
        );
        assert!(html.contains("No classification has run yet"), "{html}");
        let csrf = mgr.csrf("/classes").await;
        let (s, _, _) = mgr.post("/classes/run", &[("csrf", "forged")]).await;
        assert_eq!(s, 403);
        let (s, loc, _) = mgr.post("/classes/run", &[("csrf", &csrf)]).await;
        assert_eq!((s, loc.as_str()), (303, "/classes?done=1"));
        let (s, html) = mgr.get(&loc).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"territory-table\""), "{html}");
        assert!(html.contains("<td>华北</td>") && html.contains("<td>华南</td>"));
        assert!(
            html.contains("Classified 4 customers as of") && html.contains("class=\"notice\""),
            "{html}"
        );
        assert!(html.contains("<svg id=\"pareto\""), "{html}");
        assert!(html.contains("Cumulative share"), "{html}");
        for (class, n) in [("A", 1), ("B", 1), ("C", 2)] {
            assert!(
                html.contains(&format!("id=\"abc-{class}-count\">{n}<")),
                "{class}: {html}"
            );
            assert!(html.contains(&format!("href=\"/customers?abc={class}\"")));
        }
        assert!(html.contains("id=\"rfm-map\"") && html.contains("/customers?segment="));
        // The movement since a year ago: everyone was unclassified then.
        let year_ago = chrono::Utc::now().date_naive() - chrono::Duration::days(365);
        let (_, html) = mgr.get(&format!("/classes?dim=abc&from={year_ago}")).await;
        let matrix = html
            .split("id=\"movement-matrix\"")
            .nth(1)
            .expect("the movement matrix");
        assert!(matrix.contains("not classified"), "{matrix}");
        let (_, html) = mgr.get("/classes?from=not-a-date").await;
        assert!(html.contains("id=\"movement-from-error\""), "{html}");

        // The rules: a business manager may read them, not change them.
        let (s, html) = mgr.get("/classes/rules").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"rules-view-only\"") && html.contains("value=\"80\""));
        let (s, _, _) = mgr
            .post(
                "/classes/rules",
                &[("csrf", &csrf), ("abc_revenue_a", "70")],
            )
            .await;
        assert_eq!(s, 403);

        // The list filters by class and shows the classes as columns.
        let (_, list) = rep.get("/customers?abc=A").await;
        assert!(list.contains("甲公司"), "{list}");
        assert!(!list.contains("乙公司") && !list.contains("丙公司") && !list.contains("丁公司"));
        assert!(list.contains("<th>ABC</th>") && list.contains("<th>Segment</th>"));
        assert!(list.contains("<option value=\"A\" selected>"), "{list}");
        assert!(
            list.contains("export.csv?q=&amp;stage=&amp;owner=&amp;tag=&amp;abc=A&amp;"),
            "{list}"
        );
        let (_, list) = rep.get("/customers?loyalty=switcher").await;
        assert!(
            list.contains("丙公司") && !list.contains("甲公司"),
            "{list}"
        );

        // The customer page explains the class in the reader's language.
        let (s, _, _) = rep
            .post(
                "/language",
                &[
                    ("csrf", &rep_csrf),
                    ("lang", "zh-CN"),
                    ("next", "/customers"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let (_, page) = rep.get(&format!("/customers/{big}")).await;
        let why = page
            .split("id=\"abc-why\">")
            .nth(1)
            .and_then(|p| p.split('<').next())
            .expect("the ABC explanation");
        assert_eq!(
            why,
            "A: 近 12 个月收入 USD 12,000.00，排名第 1（共 3 位），累计占比 89%"
        );
        assert!(page.contains("忠诚顾客"), "{page}");
        let (_, page) = rep.get(&format!("/customers/{idle}")).await;
        assert!(page.contains("C: 近 12 个月无收入"), "{page}");
        let (s, _, _) = rep
            .post(
                "/language",
                &[("csrf", &rep_csrf), ("lang", "en"), ("next", "/customers")],
            )
            .await;
        assert_eq!(s, 303);
        let (_, page) = rep.get(&format!("/customers/{small}")).await;
        assert!(page.contains("Brand switcher"), "{page}");
        assert!(page.contains("2 purchase days"), "{page}");

        // Overriding loyalty needs a reason, shown next to the field; nothing changes without.
        let path = format!("/customers/{small}/loyalty");
        let (s, _, html) = rep
            .post(
                &path,
                &[("csrf", &rep_csrf), ("loyalty", "loyal"), ("reason", "  ")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"override-reason-error\">This field is required."),
            "{html}"
        );
        let cc = app
            .store
            .customer_classes(small)
            .await
            .expect("classes")
            .expect("classified");
        assert_eq!(cc.loyalty, patron_core::classify::Loyalty::Switcher);
        let (s, loc, _) = rep
            .post(
                &path,
                &[
                    ("csrf", &rep_csrf),
                    ("loyalty", "loyal"),
                    ("reason", "年度框架合同<b>"),
                ],
            )
            .await;
        assert_eq!(
            (s, loc.as_str()),
            (303, format!("/customers/{small}#classes").as_str())
        );
        let (_, page) = rep.get(&format!("/customers/{small}")).await;
        let loyalty = page
            .split("id=\"loyalty-why\">")
            .nth(1)
            .and_then(|p| p.split("</dd>").next())
            .expect("loyalty");
        assert!(
            loyalty.contains("Loyal") && loyalty.contains("set by ann: 年度框架合同&lt;b&gt;"),
            "{loyalty}"
        );
        assert!(
            loyalty.contains("The rules say: Brand switcher"),
            "{loyalty}"
        );
        let history = page
            .split("id=\"class-history\"")
            .nth(1)
            .and_then(|p| p.split("</ul>").next())
            .expect("class history");
        assert!(
            history.contains("Loyalty: Brand switcher → <strong>Loyal</strong>")
                && history.contains("by ann"),
            "{history}"
        );
        let changes = app.store.class_history(small).await.expect("history");
        assert_eq!(
            (changes[0].dimension, changes[0].user_id),
            (patron_core::classify::Dimension::Loyalty, Some(ann.id))
        );
        // Removing the override brings back what the rules say.
        let (s, _, _) = rep
            .post(&path, &[("csrf", &rep_csrf), ("remove", "1")])
            .await;
        assert_eq!(s, 303);
        let cc = app
            .store
            .customer_classes(small)
            .await
            .expect("classes")
            .expect("classified");
        assert_eq!(
            (cc.loyalty, cc.loyalty_overridden),
            (patron_core::classify::Loyalty::Switcher, false)
        );

        // The director changes the rules: shares over 100% are refused next to the field.
        let mut dir = Browser::new(&app);
        dir.sign_in("dora@example.com", "a good long password")
            .await;
        let dcsrf = dir.csrf("/classes/rules").await;
        let form = |revenue_a: &'static str, revenue_b: &'static str| {
            vec![
                ("abc_method", "customer_share"),
                ("abc_window_months", "6"),
                ("abc_revenue_a", revenue_a),
                ("abc_revenue_b", revenue_b),
                ("abc_customers_a", "25"),
                ("abc_customers_b", "30"),
                ("abc_growth", "12.5"),
                ("abc_growth_b", "on"),
                ("loyalty_loyal_min_days", "4"),
                ("loyalty_loyal_min_days_per_year", "2.5"),
                ("loyalty_switcher_min_days", "2"),
                ("loyalty_lapse_days", "120"),
            ]
        };
        let mut bad = form("90", "20");
        bad.push(("csrf", &dcsrf));
        let (s, _, html) = dir.post("/classes/rules", &bad).await;
        assert_eq!(s, 422);
        assert!(
            html.contains(
                "id=\"abc_revenue_b-error\">A&#x27;s and B&#x27;s shares add up to more than 100%"
            ) || html
                .contains("id=\"abc_revenue_b-error\">A's and B's shares add up to more than 100%"),
            "{html}"
        );
        assert!(
            html.contains("value=\"90\""),
            "what was typed is kept: {html}"
        );
        assert_eq!(
            patron_store::classes::load_rules(app.store.as_ref())
                .await
                .expect("rules"),
            Default::default()
        );
        let mut good = form("70", "20");
        good.push(("csrf", &dcsrf));
        let (s, loc, _) = dir.post("/classes/rules", &good).await;
        assert_eq!((s, loc.as_str()), (303, "/classes/rules?saved=1"));
        let rules = patron_store::classes::load_rules(app.store.as_ref())
            .await
            .expect("rules");
        assert_eq!(
            rules.abc.method,
            patron_core::classify::AbcMethod::CustomerShare
        );
        assert_eq!(rules.abc.window_months, 6);
        assert!(
            (rules.abc.revenue_a - 0.7).abs() < 1e-9 && (rules.abc.growth - 0.125).abs() < 1e-9
        );
        assert!(rules.abc.growth_b);
        assert_eq!(rules.loyalty.lapse_days, 120);
        let (_, html) = dir.get(&loc).await;
        assert!(
            html.contains("The rules are saved") && html.contains("value=\"12.5\""),
            "{html}"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

// ---------- value lists ----------

/// A download: status, Content-Type, Content-Disposition and the bytes.
async fn download(b: &Browser<'_>, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = b
        .client
        .get(b.url(path))
        .header("cookie", &b.cookie)
        .send()
        .await
        .expect("get");
    let head = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (status, kind, disposition) = (
        r.status().as_u16(),
        head("content-type"),
        head("content-disposition"),
    );
    let bytes = r.bytes().await.expect("body").to_vec();
    (status, kind, disposition, bytes)
}

/// The count the index shows for `name`.
fn list_count(index: &str, name: &str) -> String {
    index
        .split(&format!("id=\"list-{name}-count\" data-count=\""))
        .nth(1)
        .and_then(|p| p.split('"').next())
        .unwrap_or_else(|| panic!("no count of {name}: {index}"))
        .to_owned()
}

#[tokio::test]
async fn value_lists_index_pages_downloads_languages_and_scope() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "gm@example.com", StaffLevel::GeneralManager).await;
        let mk = |r: &str, name: &str, kind, owner| CustomerInput {
            external_ref: Some(r.into()),
            kind,
            name: name.into(),
            owner_id: Some(owner),
            ..Default::default()
        };
        let org = CustomerKind::Organisation;
        // 甲公司 (Ann's) buys steadily and much: class A, and no key person recorded yet.
        let big = app
            .store
            .create_customer(mk("L-1", "甲公司", org, ann.id))
            .await
            .expect("c")
            .id;
        for d in [10, 40, 70] {
            order_days_ago(&app, big, d, 400_000).await;
        }
        // 乙商行 (Ben's) bought 10,000 dollars 13 to 20 months ago and 10 in the last 12.
        let slipping = app
            .store
            .create_customer(mk("L-2", "乙商行", org, ben.id))
            .await
            .expect("c")
            .id;
        order_days_ago(&app, slipping, 420, 600_000).await;
        order_days_ago(&app, slipping, 580, 400_000).await;
        order_days_ago(&app, slipping, 30, 1_000).await;
        // 丙 (Ann's) bought a little once.
        let small = app
            .store
            .create_customer(mk("L-3", "丙小店", CustomerKind::Person, ann.id))
            .await
            .expect("c")
            .id;
        order_days_ago(&app, small, 200, 5_000).await;
        patron_store::classes::run_classification(app.store.as_ref(), None)
            .await
            .expect("classify");

        // Not signed in: to the sign-in page.
        let anon = Browser::new(&app);
        let (s, _) = anon.get("/lists").await;
        assert_eq!(s, 303);
        let (s, _, _, _) = download(&anon, "/lists/targets.csv").await;
        assert_eq!(s, 303);

        // The general manager sees every list with its count.
        let mut gm = Browser::new(&app);
        gm.sign_in("gm@example.com", "a good long password").await;
        let (s, index) = gm.get("/lists").await;
        assert_eq!(s, 200, "{index}");
        assert!(index.contains("href=\"/lists\""), "the navigation links it");
        for name in [
            "gold",
            "drag",
            "targets",
            "complaining",
            "slipping",
            "narrow",
            "credit",
            "unmanaged",
        ] {
            assert!(
                index.contains(&format!("href=\"/lists/{name}\"")),
                "{name}: {index}"
            );
        }
        assert!(index.contains("Gold customers") && index.contains("Slipping top customers"));
        assert!(
            index.contains("record at least three contacts for each"),
            "{index}"
        );
        assert_eq!(list_count(&index, "targets"), "1");
        assert_eq!(list_count(&index, "slipping"), "1");
        assert_eq!(list_count(&index, "gold"), "0");
        assert_eq!(list_count(&index, "complaining"), "0");
        assert!(index.contains("id=\"list-targets-count\" data-count=\"1\">one customer<"));

        // Slipping: last year's big buyer who bought little this year, with the figures.
        let (s, html) = gm.get("/lists/slipping").await;
        assert_eq!(s, 200);
        let row = html
            .split(&format!("id=\"row-{slipping}\""))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("乙商行 is on the list: {html}"));
        assert!(
            row.contains(&format!("<a href=\"/customers/{slipping}\">乙商行</a>")),
            "{row}"
        );
        assert!(row.contains("<td>L-2</td>"), "{row}");
        assert!(
            row.contains(">$10,000.00<") && row.contains(">$10.00<") && row.contains(">-99.9%<"),
            "{row}"
        );
        assert!(
            !html.contains("甲公司") && !html.contains("丙小店"),
            "{html}"
        );
        assert!(
            html.contains("The 12 months before") && html.contains("The last 12 months"),
            "{html}"
        );
        assert!(html.contains("href=\"/lists/slipping.csv\""));
        assert!(html.contains("href=\"/lists/slipping.xlsx\""));

        // The downloads: CSV with a BOM and the header row, XLSX a zip, named by list and day.
        let today = chrono::Utc::now().date_naive();
        for path in ["/lists/slipping.csv", "/lists/slipping?format=csv"] {
            let (s, kind, disposition, bytes) = download(&gm, path).await;
            assert_eq!(s, 200, "{path}");
            assert_eq!(kind, "text/csv; charset=utf-8");
            assert_eq!(
                disposition,
                format!("attachment; filename=\"slipping-{today}.csv\"")
            );
            assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{path}: a UTF-8 BOM");
            let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("id,ref,name,last_year,this_year,change,abc")
            );
            assert!(
                lines.next().is_some_and(
                    |l| l.starts_with(&format!("{slipping},L-2,乙商行,10000.00,10.00,"))
                ),
                "{text}"
            );
        }
        for path in ["/lists/targets.xlsx", "/lists/targets?format=xlsx"] {
            let (s, kind, disposition, bytes) = download(&gm, path).await;
            assert_eq!(s, 200, "{path}");
            assert_eq!(
                kind,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
            assert_eq!(
                disposition,
                format!("attachment; filename=\"targets-{today}.xlsx\"")
            );
            assert!(bytes.starts_with(b"PK"), "{path}: a zip container");
        }

        // Unknown lists and formats: not found.
        for path in [
            "/lists/platinum",
            "/lists/gold.pdf",
            "/lists/gold?format=pdf",
        ] {
            let (s, html) = gm.get(path).await;
            assert_eq!(s, 404, "{path}");
            assert!(html.contains("Not found"), "{html}");
        }

        // In Chinese: headers, class codes, stage and notes are translated.
        let gcsrf = gm.csrf("/lists").await;
        let (s, _, _) = gm
            .post(
                "/language",
                &[("csrf", &gcsrf), ("lang", "zh-CN"), ("next", "/lists")],
            )
            .await;
        assert_eq!(s, 303);
        let (s, html) = gm.get("/lists/targets").await;
        assert_eq!(s, 200);
        assert!(html.contains("<h1>目标公司</h1>"), "{html}");
        let row = html
            .split(&format!("id=\"row-{big}\""))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("甲公司 is a target: {html}"));
        assert!(
            row.contains("甲公司") && row.contains("<td>A</td>"),
            "{row}"
        );
        assert!(
            row.contains("<td class=\"num\">0</td>"),
            "no key person yet: {row}"
        );
        for header in ["名称", "编号", "关键人数", "阶段"] {
            assert!(
                html.contains(&format!(">{header}</th>")),
                "{header}: {html}"
            );
        }
        assert!(
            !html.contains("乙商行") && !html.contains("丙小店"),
            "{html}"
        );
        assert!(html.contains("数据截至"), "{html}");
        assert!(!html.contains("id=\"list-note\""), "classified: no note");
        let (_, html) = gm.get("/lists/gold").await;
        assert!(html.contains("尚无客户终身价值"), "{html}");
        assert!(!html.contains("no lifetime values yet"), "{html}");
        let (_, html) = gm.get("/lists").await;
        assert!(
            html.contains("金牌客户") && html.contains("拉后腿客户") && html.contains("1 位客户"),
            "{html}"
        );

        // A sales representative sees only their own customers, on every list and download.
        let mut rep = Browser::new(&app);
        rep.sign_in("ben@example.com", "a good long password").await;
        let (s, index) = rep.get("/lists").await;
        assert_eq!(s, 200);
        assert!(index.contains("href=\"/lists\""));
        assert_eq!(list_count(&index, "targets"), "0");
        assert_eq!(list_count(&index, "slipping"), "1");
        let (_, html) = rep.get("/lists/targets").await;
        assert!(
            !html.contains("甲公司") && html.contains("id=\"list-empty\""),
            "{html}"
        );
        let (_, html) = rep.get("/lists/slipping").await;
        assert!(html.contains("乙商行"), "{html}");
        let mut ann_b = Browser::new(&app);
        ann_b
            .sign_in("ann@example.com", "a good long password")
            .await;
        let (_, index) = ann_b.get("/lists").await;
        assert_eq!(list_count(&index, "targets"), "1");
        assert_eq!(list_count(&index, "slipping"), "0");
        let (_, html) = ann_b.get("/lists/slipping").await;
        assert!(
            !html.contains("乙商行") && html.contains("id=\"list-empty\""),
            "{html}"
        );
        let (s, _, _, bytes) = download(&ann_b, "/lists/slipping.csv").await;
        assert_eq!(s, 200);
        let text = String::from_utf8(bytes).expect("utf-8");
        assert_eq!(text.lines().count(), 1, "the header only: {text}");
        let (_, _, _, bytes) = download(&rep, "/lists/targets.csv").await;
        assert!(!String::from_utf8(bytes).expect("utf-8").contains("甲公司"));
        let (s, _) = rep.get("/lists/nope").await;
        assert_eq!(s, 404);

        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn credit_review_payment_and_an_order_refused_then_overridden() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b,
            ann,
            mine,
            csrf,
            ..
        } = two_reps(&app).await;
        let mia = user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        app.store
            .set_user_manager(ann.id, Some(mia.id))
            .await
            .expect("team");
        let page = format!("/customers/{}", mine.id);
        let reviews = format!("/customers/{}/credit-reviews", mine.id);
        let payments = format!("/customers/{}/payments", mine.id);
        let orders = format!("/customers/{}/orders", mine.id);
        let today = chrono::Utc::now().date_naive().to_string();

        // Not under credit management; a representative cannot grant credit.
        let (_, html) = b.get(&page).await;
        assert!(html.contains("id=\"credit-not-managed\""), "{html}");
        assert!(!html.contains("id=\"review-form\""), "{html}");
        assert!(!html.contains("id=\"payment-form\""));
        let (s, _, _) = b.post(&reviews, &[("csrf", &csrf), ("class", "AA")]).await;
        assert_eq!(s, 403);

        // The business manager reviews: errors next to the field, then the credit is granted.
        let mut m = Browser::new(&app);
        m.sign_in("mia@example.com", "a good long password").await;
        let mcsrf = m.csrf(&page).await;
        let (_, html) = m.get(&page).await;
        assert!(html.contains("id=\"review-form\""), "{html}");
        let (s, _, html) = m
            .post(
                &reviews,
                &[
                    ("csrf", &mcsrf),
                    ("class", "AA"),
                    ("limit", "lots"),
                    ("term_days", "30"),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"review-limit-error\""), "{html}");
        assert!(html.contains("value=\"lots\""), "{html}");
        let (s, loc, _) = m
            .post(
                &reviews,
                &[
                    ("csrf", &mcsrf),
                    ("class", "AA"),
                    ("limit", "500.00"),
                    ("term_days", "30"),
                    ("notes", "references checked"),
                ],
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, format!("{page}#credit").as_str()));
        let (_, html) = b.get(&page).await;
        assert!(html.contains("id=\"credit-class\""), "{html}");
        assert!(
            html.contains("<dd id=\"credit-limit\">$500.00</dd>"),
            "{html}"
        );
        assert!(html.contains("30 days") && html.contains("references checked"));
        assert!(html.contains("id=\"payment-form\""));

        // Ann takes orders: 400.00 fits, 200.00 more is refused next to the form, with no
        // override offered to her.
        let add = |amount: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("order_date", today.clone()),
                ("quantity", "1".to_owned()),
                ("amount", amount.to_owned()),
            ]
        };
        let (s, _, _) = post_owned(&mut b, &orders, add("400")).await;
        assert_eq!(s, 303);
        let (s, _, html) = post_owned(&mut b, &orders, add("200")).await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"credit-error\""), "{html}");
        assert!(
            html.contains(
                "This order of $200.00 would take 东方商行 to $600.00 outstanding, over its \
                 credit limit of $500.00 (AA)."
            ),
            "{html}"
        );
        assert!(html.contains("A business manager can let it through"));
        assert!(!html.contains("id=\"credit_override\""), "{html}");
        assert!(html.contains("value=\"200\""), "typed values are kept");
        let mut forged = add("200");
        forged.push(("credit_override", "on".into()));
        forged.push(("credit_reason", "I say so".into()));
        let (s, _, html) = post_owned(&mut b, &orders, forged).await;
        assert_eq!(s, 422);
        assert!(
            html.contains("Only business managers and above may override"),
            "{html}"
        );

        // The manager ticks the override: a reason is required, then the order is saved and
        // the override shows on the customer page.
        let mine_add = |reason: &'static str| {
            vec![
                ("csrf", mcsrf.clone()),
                ("order_date", today.clone()),
                ("quantity", "1".to_owned()),
                ("amount", "200".to_owned()),
                ("credit_override", "on".to_owned()),
                ("credit_reason", reason.to_owned()),
            ]
        };
        let (_, html) = m.get(&page).await;
        assert!(html.contains("id=\"credit_override\""), "{html}");
        let (s, _, html) = post_owned(&mut m, &orders, mine_add("")).await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"credit_reason-error\""), "{html}");
        let (s, _, _) =
            post_owned(&mut m, &orders, mine_add("trade fair order, paid in May")).await;
        assert_eq!(s, 303);
        let (_, html) = b.get(&page).await;
        assert!(html.contains("id=\"credit-overrides\""), "{html}");
        assert!(html.contains("trade fair order, paid in May"));
        assert!(html.contains("mia let an order of $200.00 through, $100.00 over the limit"));
        assert!(
            html.contains("<dd id=\"credit-outstanding\">$600.00"),
            "{html}"
        );
        assert!(html.contains("Over the limit by $100.00"), "{html}");

        // Payments: validated next to the field; a payment brings the balance down.
        let (s, _, html) = b
            .post(&payments, &[("csrf", &csrf), ("amount", "abc")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"payment-amount-error\""), "{html}");
        let (s, _, _) = b
            .post(
                &payments,
                &[("csrf", &csrf), ("amount", "250"), ("reference", "TT-77")],
            )
            .await;
        assert_eq!(s, 303);
        let (_, html) = b.get(&page).await;
        assert!(
            html.contains("<dd id=\"credit-outstanding\">$350.00"),
            "{html}"
        );
        assert!(html.contains("TT-77"));

        // The edit form checks an increase too (350 owed; 400 → 600 is 550).
        let first = app
            .store
            .list_orders(&patron_store::OrderQuery {
                customer_id: Some(mine.id),
                ..Default::default()
            })
            .await
            .expect("orders")
            .items
            .into_iter()
            .find(|o| o.total_minor == 40_000)
            .expect("the 400.00 order");
        let edit = format!("/orders/{}/edit", first.id);
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("order_date", &today),
                    ("currency", "USD"),
                    ("quantity_0", "1"),
                    ("unit_price_0", "600"),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(
            html.contains("id=\"credit-error\"") && html.contains("$550.00"),
            "{html}"
        );

        // Deleting a payment asks first; another representative cannot reach it.
        let pay = app
            .store
            .list_payments(mine.id, 10)
            .await
            .expect("payments")[0]
            .id;
        let del = format!("/payments/{pay}/delete");
        let (s, html) = b.get(&del).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("the customer owes the amount again"),
            "{html}"
        );
        let mut ben = Browser::new(&app);
        ben.sign_in("ben@example.com", "a good long password").await;
        let bcsrf = ben.csrf("/customers").await;
        all_not_found(&mut ben, &bcsrf, std::slice::from_ref(&del)).await;
        let (s, _, _) = b.post(&del, &[("csrf", &csrf)]).await;
        assert_eq!(s, 303);
        let (_, html) = b.get(&page).await;
        assert!(
            html.contains("<dd id=\"credit-outstanding\">$600.00"),
            "{html}"
        );

        // The section in Korean.
        app.store
            .set_user_language(ann.id, Some("ko"))
            .await
            .expect("ko");
        let (_, html) = b.get(&page).await;
        assert!(
            html.contains("신용 한도") && html.contains("미수금"),
            "{html}"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn satisfaction_on_the_customer_page_and_the_dashboard_matrix() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "dora@example.com", StaffLevel::MarketingDirector).await;
        let c = app
            .store
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: "满意公司".into(),
                owner_id: Some(ann.id),
                ..Default::default()
            })
            .await
            .expect("c")
            .id;
        let mut rep = Browser::new(&app);
        rep.sign_in("ann@example.com", "a good long password").await;
        let page_path = format!("/customers/{c}");
        let (s, page) = rep.get(&page_path).await;
        assert_eq!(s, 200);
        assert!(page.contains("id=\"satisfaction-form\""), "{page}");
        assert!(page.contains("Unknown (a score is missing)"), "{page}");
        let csrf = rep.csrf(&page_path).await;
        let path = format!("/customers/{c}/satisfaction");

        // An invalid score is refused next to the field; nothing is recorded.
        let (s, _, html) = rep
            .post(
                &path,
                &[("csrf", &csrf), ("aspect", "product"), ("score", "9")],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("id=\"satisfaction-score-error\""), "{html}");
        assert!(html.contains("aria-describedby=\"satisfaction-score-error\""));
        assert!(
            html.contains("<details id=\"satisfaction-form\" open>"),
            "{html}"
        );
        let (s, _, html) = rep
            .post(
                &path,
                &[("csrf", &csrf), ("aspect", "price"), ("score", "3")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"satisfaction-aspect-error\""), "{html}");
        let (s, _, _) = rep
            .post(
                &path,
                &[("csrf", "forged"), ("aspect", "product"), ("score", "4")],
            )
            .await;
        assert_eq!(s, 403);

        // Product 4, service 2: easily taken by competitors.
        for (aspect, score) in [("product", "4"), ("service", "2")] {
            let (s, loc, _) = rep
                .post(
                    &path,
                    &[
                        ("csrf", &csrf),
                        ("aspect", aspect),
                        ("score", score),
                        ("note", "visit"),
                    ],
                )
                .await;
            assert_eq!(
                (s, loc.as_str()),
                (303, format!("/customers/{c}#satisfaction").as_str())
            );
        }
        let (_, page) = rep.get(&page_path).await;
        assert!(
            page.contains("id=\"satisfaction-quadrant\" class=\"quadrant quadrant-easily_taken\">Easily taken by competitors<"),
            "{page}"
        );
        assert!(
            page.contains("4 of 5, on ") && page.contains(" by ann"),
            "{page}"
        );

        // The dashboard's matrix counts the customers the viewer may see (a marketing director:
        // all); a second customer is not placed yet.
        app.store
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "未评分".into(),
                ..Default::default()
            })
            .await
            .expect("c");
        let mut mgr = Browser::new(&app);
        mgr.sign_in("dora@example.com", "a good long password")
            .await;
        let (s, html) = mgr.get("/classes").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"loyalty-matrix-table\""), "{html}");
        assert!(html.contains("id=\"matrix-easily_taken\">1<"), "{html}");
        assert!(html.contains("id=\"matrix-loyal\">0<"), "{html}");
        assert!(
            html.contains("Not placed yet (a score is missing): 1"),
            "{html}"
        );
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The contact plan (METHOD §3): the agenda, the policy page, the compliance report and promised
// follow-ups on the log forms.

/// A visit by `by` to `customer` `days_ago` days ago: the policy's next visit and call come due
/// a cycle after it.
async fn visited_days_ago(
    app: &App,
    by: &patron_core::User,
    customer: patron_core::CustomerId,
    days_ago: i64,
) {
    app.store
        .create_interaction(patron_core::InteractionInput {
            customer_id: customer,
            kind: patron_core::InteractionKind::Visit,
            occurred_at: Some(chrono::Utc::now() - chrono::Duration::days(days_ago)),
            staff_id: Some(by.id),
            key_person_id: None,
            outcome: None,
            notes: None,
            follow_up_on: None,
            follow_up: None,
        })
        .await
        .expect("visit");
}

/// The element id part of an agenda item (its key with `_` for `:`).
fn item_slug(key: &str) -> String {
    key.replace(':', "_")
}

/// The key of `user`'s agenda item of `kind` about `customer`.
async fn agenda_key(
    app: &App,
    user: &patron_core::User,
    kind: &str,
    customer: patron_core::CustomerId,
) -> String {
    patron_store::contact::agenda(app.store.as_ref(), user, None)
        .await
        .expect("agenda")
        .items
        .iter()
        .find(|i| i.kind.as_str() == kind && i.customer_id == customer)
        .map(|i| i.key.clone())
        .unwrap_or_else(|| panic!("no {kind} item for customer {customer}"))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[tokio::test]
async fn the_agenda_lists_overdue_items_and_done_snooze_dismiss_act_on_them() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        let mk = |name: &str, owner| CustomerInput {
            kind: CustomerKind::Organisation,
            name: name.into(),
            owner_id: Some(owner),
            ..Default::default()
        };
        let jia = app
            .store
            .create_customer(mk("甲商行", ann.id))
            .await
            .expect("c");
        let yi = app
            .store
            .create_customer(mk("乙商行", ann.id))
            .await
            .expect("c");
        let theirs = app
            .store
            .create_customer(mk("丙商行", ben.id))
            .await
            .expect("c");
        for c in [jia.id, yi.id] {
            visited_days_ago(&app, &ann, c, 60).await;
        }
        visited_days_ago(&app, &ben, theirs.id, 60).await;
        // 甲 buys: classified, it is the only A-class customer, and it has no relationship manager.
        order_days_ago(&app, jia.id, 10, 500_000).await;
        patron_store::classes::run_classification(app.store.as_ref(), None)
            .await
            .expect("classify");

        let mut b = Browser::new(&app);
        b.sign_in("ann@example.com", "a good long password").await;
        // Home is the agenda for a signed-in user.
        let r = b
            .client
            .get(b.url("/"))
            .header("cookie", &b.cookie)
            .send()
            .await
            .expect("home");
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(
            r.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/agenda")
        );

        let expected = patron_store::contact::agenda(app.store.as_ref(), &ann, None)
            .await
            .expect("agenda");
        assert!(expected.counts.overdue >= 4, "{:?}", expected.items);
        let (s, html) = b.get("/agenda").await;
        assert_eq!(s, 200, "{html}");
        assert!(
            html.contains("href=\"/agenda\" id=\"nav-agenda\""),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "id=\"count-overdue\">{}<",
                expected.counts.overdue
            )),
            "{html}"
        );
        // Each item: kind, customer link, due day, and why — worded with the policy's numbers.
        let visit_jia = agenda_key(&app, &ann, "visit", jia.id).await;
        let call_yi = agenda_key(&app, &ann, "call", yi.id).await;
        let visit_yi = agenda_key(&app, &ann, "visit", yi.id).await;
        for key in [&visit_jia, &call_yi, &visit_yi] {
            assert!(
                html.contains(&format!("id=\"item-{}\"", item_slug(key))),
                "{key}: {html}"
            );
        }
        assert!(html.contains(&format!("href=\"/customers/{}\"", jia.id)));
        let last = (today() - chrono::Duration::days(60))
            .format("%-d %b %Y")
            .to_string();
        assert!(
            html.contains(&format!(
                "A-class customer: the policy asks for a visit 3× per month; last visit {last}."
            )),
            "{html}"
        );
        assert!(html.contains("Thank-you card"), "{html}");
        // The flag: A-class customers without a relationship manager, linking to the A list.
        assert!(html.contains("id=\"unmanaged-flag\""), "{html}");
        assert!(
            html.contains(
                "<a href=\"/lists/unmanaged\">One A-class customer has no relationship manager</a>"
            ),
            "{html}"
        );
        // Ben's customer is not on Ann's agenda.
        assert!(!html.contains("丙商行"));

        // Done: the visit is logged as Ann's, with the outcome typed.
        let csrf = b.csrf("/agenda").await;
        let (s, _, _) = b
            .post(
                "/agenda/done",
                &[("csrf", "forged"), ("key", &visit_jia), ("date", "")],
            )
            .await;
        assert_eq!(s, 403);
        // The kind of contact done logs: the item's own preselected, another one can be chosen,
        // a kind that does not exist is refused next to the field.
        let (_, html) = b.get("/agenda").await;
        assert!(
            html.contains("<option value=\"visit\" selected>"),
            "the visit item preselects a visit"
        );
        let (s, _, html) = b
            .post(
                "/agenda/done",
                &[
                    ("csrf", &csrf),
                    ("key", &visit_jia),
                    ("date", ""),
                    ("kind", "teleport"),
                ],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        let (s, loc, _) = b
            .post(
                "/agenda/done",
                &[
                    ("csrf", &csrf),
                    ("key", &visit_jia),
                    ("date", ""),
                    ("kind", "visit"),
                    ("outcome", "谈妥春季订单"),
                ],
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, "/agenda?done=1"));
        let its = app
            .store
            .list_interactions(&patron_store::InteractionQuery {
                customer_id: Some(jia.id),
                ..Default::default()
            })
            .await
            .expect("its")
            .items;
        let logged = its
            .iter()
            .find(|i| i.outcome.as_deref() == Some("谈妥春季订单"))
            .expect("the visit is logged");
        assert_eq!(
            (logged.kind, logged.staff_id),
            (patron_core::InteractionKind::Visit, Some(ann.id))
        );
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("Done: the contact is logged."), "{html}");
        assert!(!html.contains(&format!("id=\"item-{}\"", item_slug(&visit_jia))));

        // Snooze: not to a past day, not without a day; then to a day this week.
        let yesterday = (today() - chrono::Duration::days(1)).to_string();
        let (s, _, html) = b
            .post(
                "/agenda/snooze",
                &[("csrf", &csrf), ("key", &call_yi), ("until", &yesterday)],
            )
            .await;
        assert_eq!(s, 422, "{html}");
        let err = format!("id=\"until-{}-error\"", item_slug(&call_yi));
        assert!(html.contains(&err), "{html}");
        assert!(
            html.contains("Snooze until: Pick a day after today."),
            "{html}"
        );
        assert!(html.contains(&format!("value=\"{yesterday}\"")), "{html}");
        let (s, _, html) = b
            .post(
                "/agenda/snooze",
                &[("csrf", &csrf), ("key", &call_yi), ("until", "")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("Snooze until: This field is required."),
            "{html}"
        );
        let until = today() + chrono::Duration::days(3);
        let (s, loc, _) = b
            .post(
                "/agenda/snooze",
                &[
                    ("csrf", &csrf),
                    ("key", &call_yi),
                    ("until", &until.to_string()),
                ],
            )
            .await;
        assert_eq!((s, loc.clone()), (303, format!("/agenda?snoozed={until}")));
        let (_, html) = b.get(&loc).await;
        assert!(
            html.contains(&format!("Snoozed until {}.", until.format("%-d %b %Y"))),
            "{html}"
        );
        let week = html
            .split("id=\"section-week\"")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .unwrap_or("");
        assert!(
            week.contains(&format!("id=\"snoozed-{}\"", item_slug(&call_yi))),
            "the snoozed call is this week's, marked: {html}"
        );

        // Dismiss: a reason is required; with one, the item leaves the agenda.
        let (s, _, html) = b
            .post(
                "/agenda/dismiss",
                &[("csrf", &csrf), ("key", &visit_yi), ("reason", "  ")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains(&format!("id=\"reason-{}-error\"", item_slug(&visit_yi))),
            "{html}"
        );
        assert!(
            html.contains("Reason for dismissing: This field is required."),
            "{html}"
        );
        let (s, loc, _) = b
            .post(
                "/agenda/dismiss",
                &[
                    ("csrf", &csrf),
                    ("key", &visit_yi),
                    ("reason", "客户已搬迁"),
                ],
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, "/agenda?dismissed=1"));
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("Dismissed."));
        assert!(!html.contains(&format!("id=\"item-{}\"", item_slug(&visit_yi))));

        // A key that names nothing, and another rep's customer.
        let (s, _, html) = b
            .post("/agenda/done", &[("csrf", &csrf), ("key", "nonsense")])
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"agenda-error\""), "{html}");
        let (s, _, _) = b
            .post(
                "/agenda/done",
                &[
                    ("csrf", &csrf),
                    ("key", &format!("visit:{}:2026-01-01", theirs.id)),
                ],
            )
            .await;
        assert_eq!(s, 404);
        assert_eq!(
            app.store
                .list_interactions(&patron_store::InteractionQuery {
                    customer_id: Some(theirs.id),
                    ..Default::default()
                })
                .await
                .expect("its")
                .items
                .len(),
            1
        );

        // Another day's agenda, and a day that is not one.
        let (s, html) = b.get("/agenda?date=not-a-day").await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"date-error\""), "{html}");
        let later = today() + chrono::Duration::days(40);
        let (s, html) = b.get(&format!("/agenda?date={later}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("href=\"/agenda\">Back to today"), "{html}");

        // In Korean, the reasons are worded in Korean from the same numbers.
        b.post(
            "/language",
            &[("csrf", &csrf), ("lang", "ko"), ("next", "/agenda")],
        )
        .await;
        let (_, html) = b.get("/agenda").await;
        assert!(html.contains("lang=\"ko\""), "{html}");
        assert!(
            html.contains("정책상 전화 주기 월 1회") && html.contains("감사 카드"),
            "{html}"
        );
        assert!(html.contains("관계 관리자가 없는 A등급 고객 1명"), "{html}");
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// The policy form's fields for `p` (what the page sends when nothing is changed).
fn policy_form(p: &patron_core::contact::ContactPolicy) -> Vec<(String, String)> {
    use patron_core::contact::{Frequency, POLICY_LEVELS};
    let mut v = Vec::new();
    for level in POLICY_LEVELS {
        let Some(row) = p.level(level) else { continue };
        for class in patron_core::classify::AbcClass::ALL {
            let cad = row.for_class(class);
            for (what, f) in [("visit", cad.visit), ("call", cad.call)] {
                let id = format!(
                    "{}-{}-{what}",
                    level.as_str(),
                    class.as_str().to_lowercase()
                );
                let (kind, min, max, period) = match f {
                    Frequency::Times { min, max, per } => {
                        ("times", min.to_string(), max.to_string(), per.as_str())
                    }
                    Frequency::Every { min, max, unit } => {
                        ("every", min.to_string(), max.to_string(), unit.as_str())
                    }
                    Frequency::WhenNecessary => {
                        ("when_necessary", String::new(), String::new(), "month")
                    }
                    Frequency::None => ("none", String::new(), String::new(), "month"),
                };
                v.push((format!("{id}-kind"), kind.to_owned()));
                v.push((format!("{id}-min"), min));
                v.push((format!("{id}-max"), max));
                v.push((format!("{id}-period"), period.to_owned()));
            }
        }
    }
    v
}

/// `fields` with `name` set to `value`.
fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v = fields.to_vec();
    for (name, value) in changes {
        match v.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = (*value).to_owned(),
            None => v.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    v
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn the_policy_page_saves_a_change_and_names_a_backwards_cell() {
    use patron_core::contact::{ContactPolicy, Frequency, Period};
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "dora@example.com", StaffLevel::MarketingDirector).await;
        let defaults = policy_form(&ContactPolicy::default());

        // A sales representative reads the policy but cannot change it.
        let mut rep = Browser::new(&app);
        rep.sign_in("ann@example.com", "a good long password").await;
        let (s, html) = rep.get("/agenda/policy").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"policy-view-only\""), "{html}");
        assert!(!html.contains("id=\"policy-save\""));
        assert!(html.contains("Saved: 3× per month"), "{html}");
        let csrf = rep.csrf("/agenda/policy").await;
        let mut form = defaults.clone();
        form.push(("csrf".into(), csrf.clone()));
        let (s, _, _) = rep.post("/agenda/policy", &refs(&form)).await;
        assert_eq!(s, 403);

        // A marketing director saves a change.
        let mut b = Browser::new(&app);
        b.sign_in("dora@example.com", "a good long password").await;
        let csrf = b.csrf("/agenda/policy").await;
        let form = with(
            &defaults,
            &[
                ("csrf", &csrf),
                ("business_manager-b-visit-kind", "every"),
                ("business_manager-b-visit-min", "1"),
                ("business_manager-b-visit-max", "2"),
                ("business_manager-b-visit-period", "month"),
            ],
        );
        let (s, loc, html) = b.post("/agenda/policy", &refs(&form)).await;
        assert_eq!(
            (s, loc.as_str()),
            (303, "/agenda/policy?saved=policy"),
            "{html}"
        );
        let saved = patron_store::contact::load_policy(app.store.as_ref())
            .await
            .expect("policy");
        assert_eq!(
            saved.business_manager.b.visit,
            Frequency::Every {
                min: 1,
                max: 2,
                unit: Period::Month
            }
        );
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("Policy saved"), "{html}");
        assert!(html.contains("Saved: every 1–2 months"), "{html}");

        // A range that runs backwards: refused, the cell named next to it and at the top.
        let form = with(
            &policy_form(&saved),
            &[
                ("csrf", &csrf),
                ("sales_representative-a-call-min", "3"),
                ("sales_representative-a-call-max", "2"),
            ],
        );
        let (s, _, html) = b.post("/agenda/policy", &refs(&form)).await;
        assert_eq!(s, 422, "{html}");
        assert!(
            html.contains("id=\"sales_representative-a-call-error\""),
            "{html}"
        );
        assert!(
            html.contains("Sales representative, class A, Call</a>: The range runs backwards"),
            "{html}"
        );
        // What was typed is shown again; nothing was saved.
        assert!(
            html.contains("id=\"sales_representative-a-call-min\" name=\"sales_representative-a-call-min\" class=\"tiny\" inputmode=\"numeric\" value=\"3\""),
            "{html}"
        );
        let again = patron_store::contact::load_policy(app.store.as_ref())
            .await
            .expect("policy");
        assert_eq!(again, saved);
        // Unreadable numbers are named too, never a server error.
        let form = with(
            &policy_form(&saved),
            &[("csrf", &csrf), ("general_manager-a-visit-min", "often")],
        );
        let (s, _, html) = b.post("/agenda/policy", &refs(&form)).await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"general_manager-a-visit-error\""),
            "{html}"
        );

        // The settings: a time zone that is none is refused next to the field; then a season is
        // added, and deleted again.
        let settings = |tz: &str, rows: &[(&str, &str, &str, &str)], delete: Option<usize>| {
            let mut v: Vec<(String, String)> = vec![
                ("csrf".into(), csrf.clone()),
                ("time_zone".into(), tz.into()),
                ("top_share".into(), "10".into()),
                ("window_months".into(), "12".into()),
                ("own_multiple".into(), "3".into()),
                ("within_days".into(), "7".into()),
                ("season_rows".into(), rows.len().to_string()),
            ];
            for (i, (name, starts, kind, lead)) in rows.iter().enumerate() {
                v.push((format!("season_name_{i}"), (*name).into()));
                v.push((format!("season_starts_{i}"), (*starts).into()));
                v.push((format!("season_kind_{i}"), (*kind).into()));
                v.push((format!("season_lead_days_{i}"), (*lead).into()));
                if delete == Some(i) {
                    v.push((format!("season_delete_{i}"), "on".into()));
                }
            }
            v
        };
        let (s, _, html) = b
            .post(
                "/agenda/settings",
                &refs(&settings("Mars/Olympus", &[], None)),
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"time_zone-error\""), "{html}");
        assert!(html.contains("Not a time zone name"), "{html}");
        let (s, _, html) = b
            .post(
                "/agenda/settings",
                &refs(&settings(
                    "Asia/Shanghai",
                    &[("春季新品", "2031-03-01", "launch", "")],
                    None,
                )),
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"season_lead_days_0-error\""), "{html}");
        let (s, loc, _) = b
            .post(
                "/agenda/settings",
                &refs(&settings(
                    "Asia/Shanghai",
                    &[
                        ("春季新品", "2031-03-01", "launch", "10"),
                        ("", "", "season", "14"),
                    ],
                    None,
                )),
            )
            .await;
        assert_eq!((s, loc.as_str()), (303, "/agenda/policy?saved=settings"));
        let st = patron_store::contact::load_settings(app.store.as_ref())
            .await
            .expect("settings");
        assert_eq!(st.time_zone, "Asia/Shanghai");
        assert_eq!(st.seasons.len(), 1);
        assert_eq!(
            (st.seasons[0].kind.as_str(), st.seasons[0].lead_days),
            ("launch", 10)
        );
        let (_, html) = b.get(&loc).await;
        assert!(html.contains("value=\"春季新品\""), "{html}");
        let (s, _, _) = b
            .post(
                "/agenda/settings",
                &refs(&settings(
                    "Asia/Shanghai",
                    &[("春季新品", "2031-03-01", "launch", "10")],
                    Some(0),
                )),
            )
            .await;
        assert_eq!(s, 303);
        let st = patron_store::contact::load_settings(app.store.as_ref())
            .await
            .expect("settings");
        assert!(st.seasons.is_empty());
        // The page in Chinese words the frequencies in Chinese.
        let csrf = b.csrf("/agenda/policy").await;
        b.post(
            "/language",
            &[
                ("csrf", &csrf),
                ("lang", "zh-CN"),
                ("next", "/agenda/policy"),
            ],
        )
        .await;
        let (_, html) = b.get("/agenda/policy").await;
        assert!(html.contains("当前：每月3次"), "{html}");
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_compliance_report_shows_managers_everyone_and_reps_their_own_rows() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let ann = user(&app, "ann@example.com", StaffLevel::SalesRepresentative).await;
        let ben = user(&app, "ben@example.com", StaffLevel::SalesRepresentative).await;
        user(&app, "mia@example.com", StaffLevel::BusinessManager).await;
        for (name, owner) in [("甲商行", &ann), ("乙商行", &ben)] {
            let c = app
                .store
                .create_customer(CustomerInput {
                    kind: CustomerKind::Organisation,
                    name: name.into(),
                    owner_id: Some(owner.id),
                    ..Default::default()
                })
                .await
                .expect("c");
            visited_days_ago(&app, owner, c.id, 0).await;
        }
        let mut mgr = Browser::new(&app);
        mgr.sign_in("mia@example.com", "a good long password").await;
        let (s, html) = mgr.get("/agenda/compliance?months=2").await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("id=\"compliance-table\""), "{html}");
        assert!(
            html.contains("<td>ann</td>") && html.contains("<td>ben</td>"),
            "{html}"
        );
        assert!(html.contains("Visits due") && html.contains("Sales representative"));
        let (s, html) = mgr.get("/agenda/compliance?months=99").await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"months-error\""), "{html}");

        let mut rep = Browser::new(&app);
        rep.sign_in("ann@example.com", "a good long password").await;
        let (s, html) = rep.get("/agenda/compliance").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("<td>ann</td>") && !html.contains("<td>ben</td>"),
            "{html}"
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_promised_follow_up_on_the_log_form_goes_on_the_agenda() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps {
            mut b,
            ann,
            mine,
            csrf,
            ..
        } = two_reps(&app).await;
        let log = format!("/customers/{}/interactions", mine.id);
        // What was promised needs its day; the day cannot be before the contact.
        let (s, _, html) = b
            .post(
                &log,
                &[("csrf", &csrf), ("kind", "call"), ("follow_up", "寄样品")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"log-follow_up_on-error\""), "{html}");
        let yesterday = (today() - chrono::Duration::days(1)).to_string();
        let (s, _, html) = b
            .post(
                &log,
                &[
                    ("csrf", &csrf),
                    ("kind", "call"),
                    ("follow_up_on", &yesterday),
                    ("follow_up", "寄样品"),
                ],
            )
            .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("A follow-up cannot be due before the contact it was promised in."),
            "{html}"
        );
        let (s, _, html) = b
            .post(
                &log,
                &[("csrf", &csrf), ("kind", "call"), ("follow_up_on", "soon")],
            )
            .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"log-follow_up_on-error\""), "{html}");

        let on = today() + chrono::Duration::days(2);
        let (s, _, html) = b
            .post(
                &log,
                &[
                    ("csrf", &csrf),
                    ("kind", "call"),
                    ("outcome", "要样品"),
                    ("follow_up_on", &on.to_string()),
                    ("follow_up", "寄样品"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        let its = app
            .store
            .list_interactions(&patron_store::InteractionQuery {
                customer_id: Some(mine.id),
                ..Default::default()
            })
            .await
            .expect("its")
            .items;
        assert_eq!(its.len(), 1);
        assert_eq!(
            (its[0].follow_up_on, its[0].follow_up.as_deref()),
            (Some(on), Some("寄样品"))
        );
        let key = agenda_key(&app, &ann, "follow_up", mine.id).await;
        let (_, html) = b.get("/agenda").await;
        let item = html
            .split(&format!("id=\"item-{}\"", item_slug(&key)))
            .nth(1)
            .and_then(|s| s.split("</li>").next())
            .unwrap_or_else(|| panic!("the follow-up is on the agenda: {html}"));
        assert!(item.contains("Follow-up"), "{item}");
        assert!(
            item.contains("Follow-up promised in an earlier contact: 寄样品"),
            "{item}"
        );

        // The edit form shows and keeps the promise.
        let edit = format!("/interactions/{}/edit", its[0].id);
        let (_, html) = b.get(&edit).await;
        assert!(html.contains(&format!("value=\"{on}\"")), "{html}");
        assert!(html.contains("value=\"寄样品\""), "{html}");
        let later = on + chrono::Duration::days(5);
        let (s, _, html) = b
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("kind", "call"),
                    ("occurred_at", &format!("{}T09:00", today())),
                    ("staff_id", &ann.id.0.to_string()),
                    ("follow_up_on", &later.to_string()),
                    ("follow_up", "寄样品和报价"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{html}");
        let i = app.store.get_interaction(its[0].id).await.expect("i");
        assert_eq!(
            (i.follow_up_on, i.follow_up.as_deref()),
            (Some(later), Some("寄样品和报价"))
        );
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}

/// The calendar feed on the tokens page: created (address shown once), fetched without signing
/// in, renewed and revoked.
#[tokio::test]
async fn the_calendar_feed_is_created_and_revoked_on_the_tokens_page() {
    for db in TestDb::each().await {
        let app = spawn(&db).await;
        let TwoReps { mut b, csrf, .. } = two_reps(&app).await;
        let (s, html) = b.get("/tokens").await;
        assert_eq!(s, 200);
        assert!(html.contains("You have no calendar feed."), "{html}");
        let (s, _, html) = b.post("/tokens/calendar", &[("csrf", &csrf)]).await;
        assert_eq!(s, 200);
        // Attribute values come HTML-escaped ('/' as &#x2f;).
        let html = html.replace("&#x2f;", "/");
        let start = html.find("href=\"/calendar/").expect("feed link") + "href=\"".len();
        let path = html[start..].split('"').next().expect("path").to_owned();
        assert!(path.ends_with(".ics"), "{path}");
        let plain = reqwest::Client::new();
        let res = plain.get(b.url(&path)).send().await.expect("feed");
        assert_eq!(res.status().as_u16(), 200);
        assert!(res
            .text()
            .await
            .expect("body")
            .starts_with("BEGIN:VCALENDAR"));
        let (_, html) = b.get("/tokens").await;
        assert!(html.contains("You have a calendar feed."), "{html}");
        // A forged form changes nothing; revoking cuts the address off.
        let (s, _, _) = b
            .post("/tokens/calendar/revoke", &[("csrf", "forged")])
            .await;
        assert_eq!(s, 403);
        let (s, _, _) = b.post("/tokens/calendar/revoke", &[("csrf", &csrf)]).await;
        assert!(s == 303 || s == 200, "{s}");
        let res = plain.get(b.url(&path)).send().await.expect("feed");
        assert_eq!(res.status().as_u16(), 404);
        drop(b);
        let _ = app.stop.send(());
        db.cleanup().await;
    }
}
