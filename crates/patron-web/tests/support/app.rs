//! The test server and its JSON API client, shared by the integration tests of the later
//! features: one harness instead of a copy in each file. It starts the real server on
//! 127.0.0.1:0 over a test database, and makes users (who sign in with `browser_kit::PASSWORD`),
//! personal tokens and customers.
//! Included with `#[path]` next to `support/browser.rs` (as `mod browser_kit`) by each test file
//! that needs it; each uses a part of it.
#![allow(dead_code)]

use patron_core::{CustomerId, CustomerInput, CustomerKind, StaffLevel, User, UserInput};
use patron_store::testkit::TestDb;
use patron_store::Store;
use reqwest::redirect::Policy;
use reqwest::Method;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

use super::browser_kit::PASSWORD;

/// The running server: its address, its store, the switch that stops it, and a client that
/// does not follow redirects (the tests look at them).
pub struct App {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub stop: oneshot::Sender<()>,
    pub client: reqwest::Client,
    /// The server's clock: tests move it forward to see deadlines pass.
    pub clock: patron_web::Clock,
}

/// Starts the server over `db` on a free port.
pub async fn spawn(db: &TestDb) -> App {
    let store = patron_store::connect(&db.url).await.expect("connect");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let clock = patron_web::Clock::default();
    let state = patron_web::AppState::with_config(
        store.clone(),
        patron_web::WebConfig {
            clock: clock.clone(),
            ..Default::default()
        },
    );
    tokio::spawn(patron_web::launch(listener, state, async move {
        let _ = rx.await;
    }));
    App {
        addr,
        store,
        stop: tx,
        clock,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client"),
    }
}

impl App {
    pub fn url(&self, p: &str) -> String {
        format!("http://{}{}", self.addr, p)
    }

    /// An API call with a personal token: the status and the JSON body (`Null` when not JSON).
    /// A PATCH body goes as `application/merge-patch+json`, any other as `application/json`.
    pub async fn api(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rq = self
            .client
            .request(method.clone(), self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            let ct = if method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            rq = rq.header("content-type", ct).body(b.to_string());
        }
        let r = rq.send().await.expect("send");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// A user who can sign in (named after the part of `email` before the `@`); representatives
/// report to `manager`, so a manager's team scope covers their customers.
pub async fn user(app: &App, email: &str, level: StaffLevel, manager: Option<&User>) -> User {
    let u = app
        .store
        .create_user(UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            staff_level: level,
            manager_id: manager.map(|m| m.id),
        })
        .await
        .expect("user");
    app.store
        .set_password(u.id, PASSWORD)
        .await
        .expect("password");
    u
}

/// A new personal API token of `u`.
pub async fn token(app: &App, u: &User) -> String {
    app.store
        .create_api_token(u.id, "tests")
        .await
        .expect("token")
        .secret
}

/// A user without a manager, and a personal token of theirs.
pub async fn user_and_token(app: &App, email: &str, level: StaffLevel) -> (User, String) {
    let u = user(app, email, level, None).await;
    let t = token(app, &u).await;
    (u, t)
}

/// An organisation owned by `owner`.
pub async fn customer(app: &App, name: &str, owner: &User) -> CustomerId {
    app.store
        .create_customer(CustomerInput {
            kind: CustomerKind::Organisation,
            name: name.into(),
            owner_id: Some(owner.id),
            ..Default::default()
        })
        .await
        .expect("customer")
        .id
}

/// Asserts a problem response with this status naming `field`.
#[track_caller]
pub fn problem(r: &(u16, Value), status: u16, field: &str) {
    assert_eq!(r.0, status, "{}", r.1);
    assert_eq!(r.1["field"].as_str(), Some(field), "{}", r.1);
}

/// A JSON API client bound to one user's personal token (JSON bodies as `application/json`,
/// redirects followed).
pub struct Api {
    addr: SocketAddr,
    client: reqwest::Client,
    token: String,
}

impl Api {
    /// With a new token of `u`.
    pub async fn new(app: &App, u: &User) -> Api {
        Api {
            addr: app.addr,
            client: reqwest::Client::new(),
            token: token(app, u).await,
        }
    }

    /// The status and the JSON body (`Null` when not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .client
            .request(method, format!("http://{}{}", self.addr, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("send");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
    /// The status alone.
    pub async fn delete(&self, path: &str) -> u16 {
        self.call(Method::DELETE, path, None).await.0
    }
}
