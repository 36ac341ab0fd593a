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
    let store = patron_store::connect(&db.url).await.expect("connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let state = patron_web::AppState::new(store.clone());
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
